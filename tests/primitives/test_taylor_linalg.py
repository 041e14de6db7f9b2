"""Taylor rules of the linear algebra primitives against closed forms
(the registry test checks each against nested jvp to order 4)."""

from __future__ import annotations

from typing import Any

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp

K = 5
RNG = np.random.default_rng(7)


def _line(f: Any, x0: Any, v: Any, order: int = K) -> Any:
    return fd.taylor(f, order=order)(x0, v)


def test_solve_neumann_series() -> None:
    # x(t) = (I + t E)^-1 b: x_k = (-E)^k b
    n = 4
    e, b = RNG.normal(size=(n, n)) / 3, RNG.normal(size=n)
    c = _line(lambda m: fnp.linalg.solve(m, b), np.eye(n), e)
    want = [np.linalg.matrix_power(-e, k) @ b for k in range(K + 1)]
    np.testing.assert_allclose(c, want, rtol=1e-12, atol=1e-13)


def test_triangular_solve_moving_both_sides() -> None:
    import funcdiff.scipy.linalg as fsl

    n = 4
    a0 = np.tril(RNG.normal(size=(n, n))) + 3 * np.eye(n)
    da = np.tril(RNG.normal(size=(n, n)))
    b0, db = RNG.normal(size=n), RNG.normal(size=n)

    def f(t: Any) -> Any:
        return fsl.solve_triangular(a0 + t * da, b0 + t * db, lower=True)

    c = _line(f, 0.0, 1.0)
    # reference: the same curve solved densely at many t, fitted by a polynomial
    ts = np.linspace(-1e-2, 1e-2, 21)
    xs = np.stack([np.linalg.solve(a0 + t * da, b0 + t * db) for t in ts])
    fit = np.polynomial.polynomial.polyfit(ts, xs, 4)
    np.testing.assert_allclose(c[:3], fit[:3], rtol=1e-6, atol=1e-8)


def test_slogdet_log_series() -> None:
    # log det(A0 + t E) = log det A0 + sum_k (-1)^(k+1) tr((A0^-1 E)^k) t^k / k
    n = 3
    q = RNG.normal(size=(n, n))
    a0 = q @ q.T + n * np.eye(n)
    e = RNG.normal(size=(n, n))
    c = _line(lambda m: fnp.linalg.slogdet(m)[1], a0, e)
    m = np.linalg.solve(a0, e)
    want = [np.linalg.slogdet(a0)[1]] + [
        (-1) ** (k + 1) * np.trace(np.linalg.matrix_power(m, k)) / k for k in range(1, K + 1)
    ]
    np.testing.assert_allclose(c, want, rtol=1e-12, atol=1e-13)


def test_cholesky_of_a_square_is_a_line() -> None:
    # A(t) = (L0 + t M)(L0 + t M)^T with M lower: L(t) = L0 + t M exactly
    n = 4
    l0 = np.tril(RNG.normal(size=(n, n)), -1) + np.diag(2.0 + RNG.random(n))
    m = np.tril(RNG.normal(size=(n, n))) * 0.3
    c = fd.taylor(lambda t: fnp.linalg.cholesky((l0 + t * m) @ (l0 + t * m).T), order=K)(0.0, 1.0)
    np.testing.assert_allclose(c[0], l0, rtol=1e-13)
    np.testing.assert_allclose(c[1], m, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(c[2:], 0.0, atol=1e-11)


def test_eigh_series_sums_to_the_eigenvalues_nearby() -> None:
    n = 4
    q = np.linalg.qr(RNG.normal(size=(n, n)))[0]
    a0 = (q * np.array([-1.0, 0.5, 1.5, 3.0])) @ q.T
    e = RNG.normal(size=(n, n))
    e = e + e.T
    w_c = _line(lambda m: fnp.linalg.eigh(m)[0], a0, e, order=6)
    t = 0.004
    w_sum = np.polynomial.polynomial.polyval(t, w_c)
    np.testing.assert_allclose(w_sum, np.linalg.eigvalsh(a0 + t * e), rtol=1e-11)
    v_c = _line(lambda m: fnp.linalg.eigh(m)[1], a0, e, order=6)
    v_sum = np.tensordot(t ** np.arange(7), v_c, axes=1)
    v_ref = np.linalg.eigh(a0 + t * e)[1]
    v_ref = v_ref * np.sign(np.sum(v_ref * v_sum, axis=0))  # eigenvector signs
    np.testing.assert_allclose(v_sum, v_ref, atol=1e-10)


def test_under_jit_equals_eager() -> None:
    n = 3
    q = RNG.normal(size=(n, n))
    a0 = q @ q.T + n * np.eye(n)
    e = RNG.normal(size=(n, n))

    def g(a: Any, d: Any) -> Any:
        f = lambda m: fnp.sum(fnp.linalg.cholesky(m)) + fnp.linalg.slogdet(m)[1]  # noqa: E731
        return fd.taylor(f, order=4)(a, d)

    np.testing.assert_allclose(fd.jit(g)(a0, e), g(a0, e), rtol=1e-13)

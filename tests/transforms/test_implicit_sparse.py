"""``custom_root(..., solve="sparse")`` and the ``sparse_solve`` primitive
under it: against the dense solve, mpmath and scipy."""

from __future__ import annotations

from typing import Any

import mpmath as mp
import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.implicit import custom_root

pytest.importorskip("scipy")
from scipy.sparse import csr_array

from funcdiff.sparse._solve import SparsePattern, sparse_solve


def chain(x: Any, theta: Any) -> Any:
    """The gradient of sum (x - theta)^2 / 2 + x^4 / 4 + sum (x_(i+1) - x_i)^4 / 4:
    a tridiagonal Jacobian in x."""
    d3 = (x[1:] - x[:-1]) ** 3
    z = fnp.zeros(1)
    return (x - theta) + x**3 + fnp.concatenate([z, d3]) - fnp.concatenate([d3, z])


def newton_solver(x0: Any, theta: Any) -> Any:
    """Newton with the dense Jacobian (written with funcdiff ops, jit-able)."""

    def body(_: Any, x: Any) -> Any:
        jac = fd.jacfwd(lambda y: chain(y, theta))(x)
        return x - fnp.linalg.solve(jac, chain(x, theta))

    return lax.fori_loop(0, 30, body, fnp.zeros_like(theta))


def _loss(root: Any) -> Any:
    return lambda t: fnp.sum(fnp.sin(root(None, t)))


def test_sparse_equals_dense_to_third_order() -> None:
    theta = np.linspace(-1.0, 1.5, 12)
    v = np.linspace(0.3, -0.2, 12)
    dense = _loss(custom_root(chain)(newton_solver))
    sparse = _loss(custom_root(chain, solve="sparse")(newton_solver))
    for f in (fd.grad, lambda L: lambda t: fd.hvp(L, t, v)):
        np.testing.assert_allclose(f(sparse)(theta), f(dense)(theta), rtol=1e-10, atol=1e-12)
    third = [fd.jvp(lambda t, L=L: fd.hvp(L, t, v), (theta,), (v,))[1] for L in (sparse, dense)]
    np.testing.assert_allclose(third[0], third[1], rtol=1e-9, atol=1e-12)


def _mp_derivs(t: float) -> list[float]:
    """x(t) with x + x^3 = t: derivatives 1..3 by mpmath, 40 digits."""
    with mp.workdps(40):

        def root(s: Any) -> Any:
            return mp.findroot(lambda x: x + x**3 - s, 0.5)

        return [float(mp.diff(root, mp.mpf(t), k)) for k in (1, 2, 3)]


def test_diagonal_problem_orders_1_to_3_match_mpmath() -> None:
    # decoupled: each x_i solves x + x^3 = theta_i (a diagonal Jacobian)
    def opt(x: Any, theta: Any) -> Any:
        return x + x**3 - theta

    root = custom_root(opt, solve="sparse")(lambda x0, t: newton_solver_diag(t))
    ts = np.array([0.3, 1.7, -2.0])
    want = np.array([_mp_derivs(t) for t in ts])
    one = lambda t: fnp.sum(root(None, t))  # noqa: E731  (d/dt_i of sum = x_i'(t_i))
    d1 = fd.grad(one)(ts)
    d2 = fd.grad(lambda t: fnp.sum(fd.grad(one)(t)))(ts)
    d3 = fd.grad(lambda t: fnp.sum(fd.grad(lambda s: fnp.sum(fd.grad(one)(s)))(t)))(ts)
    np.testing.assert_allclose(np.stack([d1, d2, d3], axis=1), want, rtol=1e-11)


def newton_solver_diag(theta: Any) -> Any:
    x = np.zeros_like(np.asarray(theta))
    t = np.asarray(theta)
    for _ in range(60):
        x = x - (x + x**3 - t) / (1.0 + 3.0 * x**2)
    return x


def test_under_jit() -> None:
    root = custom_root(chain, solve="sparse")(newton_solver)
    theta = np.linspace(-1.0, 1.0, 8)
    eager = fd.grad(_loss(root))(theta)
    jitted = fd.jit(fd.grad(_loss(root)))(theta)
    np.testing.assert_allclose(jitted, eager, rtol=1e-12)
    dense = fd.grad(_loss(custom_root(chain)(newton_solver)))(theta)
    np.testing.assert_allclose(eager, dense, rtol=1e-10)


# -- the primitive ---------------------------------------------------------------


def _random_system(n: int, seed: int) -> tuple[SparsePattern, np.ndarray, Any]:
    rng = np.random.default_rng(seed)
    rows = np.concatenate([np.arange(n), rng.integers(0, n, 3 * n)])
    cols = np.concatenate([np.arange(n), rng.integers(0, n, 3 * n)])
    data = np.concatenate([4.0 + rng.random(n) * n, rng.normal(size=3 * n)])
    a = csr_array((data, (rows, cols)), shape=(n, n))  # repeated positions add up
    return SparsePattern(rows, cols, n), data, a


def test_values_match_scipy_with_repeated_positions_and_transpose() -> None:
    p, data, a = _random_system(30, 0)
    b = np.random.default_rng(1).normal(size=30)
    dense = a.toarray()  # repeated positions summed by scipy
    np.testing.assert_allclose(sparse_solve(data, b, p), np.linalg.solve(dense, b), rtol=1e-12)
    np.testing.assert_allclose(
        sparse_solve(data, b, p, transpose=True), np.linalg.solve(dense.T, b), rtol=1e-12
    )


def test_derivatives_against_dense_solve() -> None:
    p, data, _ = _random_system(8, 2)
    b = np.random.default_rng(3).normal(size=8)
    rows, cols = p.rows, p.cols

    def dense(d: Any, rhs: Any) -> Any:
        m = fnp.zeros((8, 8)).at[rows, cols].add(d)
        return fnp.linalg.solve(m, rhs)

    for argnums in (0, 1):
        got = fd.jacrev(lambda d, r: sparse_solve(d, r, p), argnums)(data, b)
        want = fd.jacrev(dense, argnums)(data, b)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    h = fd.hessian(lambda d: fnp.sum(sparse_solve(d, b, p) ** 2))(data)
    h_ref = fd.hessian(lambda d: fnp.sum(dense(d, b) ** 2))(data)
    np.testing.assert_allclose(h, h_ref, rtol=1e-9, atol=1e-11)


def test_batched_equals_looped() -> None:
    p, data, _ = _random_system(6, 4)
    bs = np.random.default_rng(5).normal(size=(3, 6))
    batched = fd.vmap(lambda r: sparse_solve(data, r, p))(bs)
    looped = np.stack([sparse_solve(data, r, p) for r in bs])
    np.testing.assert_allclose(batched, looped, rtol=1e-13)


def test_nan_in_gives_nan_out() -> None:
    p, data, _ = _random_system(5, 6)
    b = np.ones(5)
    b[2] = np.nan
    assert np.all(np.isnan(sparse_solve(data, b, p)))
    d = data.copy()
    d[0] = np.nan
    assert np.all(np.isnan(sparse_solve(d, np.ones(5), p)))


def test_errors_are_named() -> None:
    p = SparsePattern([0, 1], [0, 0], 2)  # column 1 empty: singular
    with pytest.raises(np.linalg.LinAlgError, match="sparse_solve: the 2 x 2 sparse matrix"):
        sparse_solve(np.ones(2), np.ones(2), p)
    with pytest.raises(fd.ShapeError, match="must end with the pattern's 2 entries"):
        sparse_solve(np.ones(3), np.ones(2), p)
    with pytest.raises(fd.ShapeError, match="outside the 2 x 2 matrix"):
        SparsePattern([0, 2], [0, 0], 2)
    with pytest.raises(fd.DTypeError, match="must be a float array"):
        sparse_solve(np.ones(2, dtype=np.int64), np.ones(2), p)


def test_taylor_mode_through_the_solution() -> None:
    root = custom_root(chain, solve="sparse")(newton_solver)
    theta, v = np.linspace(-1.0, 1.0, 6), np.linspace(1.0, 0.5, 6)
    c = fd.taylor(_loss(root), order=2)(theta, v)
    np.testing.assert_allclose(2 * c[2], v @ fd.hvp(_loss(root), theta, v), rtol=1e-10)

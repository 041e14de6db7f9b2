"""Taylor rules of the linear-algebra primitives: a second, independently
written set of checks against nested jvp, closed forms and numpy at small t
(test_taylor_linalg.py is the first)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
from funcdiff._jet import jet
from funcdiff.core.trace import bind
from funcdiff.interpreters.taylor_mode import taylor_jaxpr
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import linalg as la
from funcdiff.tree import tree_flatten

ORDER = 4


def _nested_jvp(f: Callable[..., Any], xs: tuple[Any, ...], vs: tuple[Any, ...], k: int) -> Any:
    g = f
    for _ in range(k):
        g = (lambda h: lambda *a: fd.jvp(h, a, vs)[1])(g)
    return g(*xs)


def _series(vs: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((v, *(np.zeros_like(v) for _ in range(ORDER - 1))) for v in vs)


def _leaves(out: Any, n: int) -> list[Any]:
    return [out] if n == 1 else list(out)


def _against_nested(f: Callable[..., Any], xs: tuple[Any, ...], vs: tuple[Any, ...]) -> None:
    y, out = jet(f, xs, _series(vs))
    n = len(tree_flatten(y)[0])
    per_leaf = _leaves(out, n)
    for k in range(1, ORDER + 1):
        refs = tree_flatten(_nested_jvp(f, xs, vs, k))[0]
        for leaf, ref in zip(per_leaf, refs, strict=True):
            ref = np.asarray(ref)
            scale = 1 + np.abs(ref).max()
            np.testing.assert_allclose(np.asarray(leaf[k - 1]), ref, rtol=1e-10, atol=1e-10 * scale)


def _well(rng: np.random.Generator, *shape: int) -> np.ndarray:
    out: np.ndarray = rng.normal(size=shape) + 3 * shape[-1] * np.eye(shape[-1])
    return out


def _spd(rng: np.random.Generator, *shape: int) -> np.ndarray:
    m = rng.normal(size=shape)
    out: np.ndarray = m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_solve_both_moving(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = _well(rng, 2, 3, 3), rng.normal(size=(2, 3, 2))
    _against_nested(la.solve, (a, b), (rng.normal(size=a.shape), rng.normal(size=b.shape)))
    # only one moving
    _against_nested(lambda x: la.solve(x, b), (a,), (rng.normal(size=a.shape),))
    _against_nested(lambda y: la.solve(a, y), (b,), (rng.normal(size=b.shape),))


def test_inverse_neumann_series() -> None:
    # (I + tE)^-1 = sum_k (-tE)^k: normalized coefficient k is (-E)^k
    rng = np.random.default_rng(2)
    e = rng.normal(size=(3, 3))
    eye = np.eye(3)
    _, out = jet(lambda x: la.solve(x, eye), (eye,), ((e, 0 * e, 0 * e, 0 * e),))
    for k in range(1, ORDER + 1):
        want = math.factorial(k) * np.linalg.matrix_power(-e, k)
        np.testing.assert_allclose(np.asarray(out[k - 1]), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "params",
    [
        {"left_side": True, "lower": True, "transpose_a": False, "unit_diagonal": False},
        {"left_side": False, "lower": False, "transpose_a": True, "unit_diagonal": True},
        {"left_side": True, "lower": False, "transpose_a": True, "unit_diagonal": False},
    ],
)
def test_triangular_solve(params: dict[str, bool]) -> None:
    rng = np.random.default_rng(3)
    a = _well(rng, 2, 3, 3)
    b = rng.normal(size=(2, 3, 2) if params["left_side"] else (2, 2, 3))

    def f(x: Any, y: Any) -> Any:
        return bind(la.triangular_solve_p, x, y, **params)

    _against_nested(f, (a, b), (rng.normal(size=a.shape), rng.normal(size=b.shape)))


def test_cholesky_nested_and_recovery() -> None:
    rng = np.random.default_rng(4)
    a = _spd(rng, 2, 3, 3)
    _against_nested(la.cholesky, (a,), (rng.normal(size=a.shape),))
    # cholesky((L0 + tM)(L0 + tM)^T) = L0 + tM for lower M with L0 + tM's
    # diagonal positive: coefficient 1 is M, the others vanish
    l0 = np.linalg.cholesky(_spd(rng, 3, 3))
    m = np.tril(rng.normal(size=(3, 3)))
    a0 = l0 @ l0.T
    a1 = l0 @ m.T + m @ l0.T
    a2 = m @ m.T
    _, out = jet(la.cholesky, (a0,), ((a1, 2 * a2, 0 * a2, 0 * a2),))
    np.testing.assert_allclose(np.asarray(out[0]), m, rtol=1e-12, atol=1e-12)
    for k in range(2, ORDER + 1):
        np.testing.assert_allclose(np.asarray(out[k - 1]), 0.0, atol=1e-12)


def test_det_polynomial_coefficients() -> None:
    # det(A0 + tE) is a polynomial of degree n; its coefficients from numpy
    # by interpolation at n + 1 points
    rng = np.random.default_rng(5)
    n = 3
    a0, e = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    ts = np.arange(n + 1, dtype=float)
    vals = [np.linalg.det(a0 + t * e) for t in ts]
    coeffs = np.linalg.solve(np.vander(ts, increasing=True), vals)
    _, out = jet(la.det, (a0,), ((e, 0 * e, 0 * e, 0 * e),))
    for k in range(1, ORDER + 1):
        want = math.factorial(k) * coeffs[k] if k <= n else 0.0
        np.testing.assert_allclose(float(out[k - 1]), want, rtol=1e-10, atol=1e-10)


def test_det_singular_and_slogdet() -> None:
    rng = np.random.default_rng(6)
    sing = rng.normal(size=(3, 2)) @ rng.normal(size=(2, 3))
    _against_nested(la.det, (sing,), (rng.normal(size=(3, 3)),))
    a = _well(rng, 2, 3, 3)
    _against_nested(la.slogdet, (a,), (rng.normal(size=a.shape),))
    _against_nested(la.det, (a,), (rng.normal(size=a.shape),))


def test_cofactor_directions_moving() -> None:
    rng = np.random.default_rng(7)
    a, e = _well(rng, 3, 3), rng.normal(size=(3, 3))
    for normalized in (False, True):

        def f(x: Any, y: Any, normalized: bool = normalized) -> Any:
            return la.cofactor(x, y, normalized=normalized)

        _against_nested(f, (a, e), (rng.normal(size=(3, 3)), rng.normal(size=(3, 3))))


def test_eigh_against_nested_and_numpy() -> None:
    rng = np.random.default_rng(8)
    q = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    a = (q * np.array([-1.0, 0.5, 1.5, 3.0])) @ q.T
    e = rng.normal(size=(4, 4))
    e = e + e.T
    _against_nested(lambda x: la.eigh(x), (a,), (e,))
    # curve A(t) = a + t e + t^2 e2: the series sum against numpy at small t
    e2 = rng.normal(size=(4, 4))
    e2 = e2 + e2.T
    (w0, v0), (ws, vs) = jet(lambda x: la.eigh(x), (a,), ((e, 2 * e2, 0 * e, 0 * e),))
    t = 1e-2
    w_t, v_t = np.linalg.eigh(a + t * e + t * t * e2)
    v_t = v_t * np.sign(np.sum(v_t * np.asarray(v0), axis=0))
    w_sum = np.asarray(w0) + sum(
        np.asarray(ws[k]) * t ** (k + 1) / math.factorial(k + 1) for k in range(ORDER)
    )
    v_sum = np.asarray(v0) + sum(
        np.asarray(vs[k]) * t ** (k + 1) / math.factorial(k + 1) for k in range(ORDER)
    )
    np.testing.assert_allclose(w_sum, w_t, atol=1e-9)
    np.testing.assert_allclose(v_sum, v_t, atol=1e-8)


def test_eigh_degenerate_is_not_finite() -> None:
    a = np.diag([1.0, 1.0, 2.0])
    e = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.5], [0.0, 0.5, 0.0]])
    _, (_, vs) = jet(lambda x: la.eigh(x), (a,), ((e, 0 * e),))
    assert not np.isfinite(np.asarray(vs[0])).all()


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4), (2, 3, 2)])
def test_qr(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(9)
    a = rng.normal(size=shape)
    k = min(shape[-2:])
    a[..., :k, :k] += 3 * np.eye(k)  # well conditioned
    _against_nested(lambda x: la.qr(x), (a,), (rng.normal(size=shape),))


def test_concatenate_with_constant_operand() -> None:
    rng = np.random.default_rng(10)
    x, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
    _against_nested(lambda y: ix.concatenate([y, c, y], 1), (x,), (rng.normal(size=x.shape),))


def test_jit_equals_eager() -> None:
    # the rules run on Tracer primals: the Taylor interpreter staged by fd.jit
    rng = np.random.default_rng(11)
    a, b = _well(rng, 3, 3), rng.normal(size=(3, 2))

    def f(x: Any) -> Any:
        l = la.cholesky(ix.concatenate([x[:, :2], x[:, 2:]], 1) @ x.T + 3 * np.eye(3))
        w = la.eigh(x + x.T)[0]
        return la.slogdet(x)[1] + la.solve(l, b).sum() + la.det(x) + w.sum() + la.qr(x)[1].sum()

    closed = fd.make_jaxpr(f)(a)
    vs = [rng.normal(size=a.shape) for _ in range(3)]

    def run(x: Any, v1: Any, v2: Any, v3: Any) -> Any:
        outs, ser = taylor_jaxpr(closed, [x], [[v1, v2, v3]])
        return [outs[0], *ser[0]]

    eager = run(a, *vs)
    staged = fd.jit(run)(a, *vs)
    for p, q in zip(eager, staged, strict=True):
        np.testing.assert_allclose(np.asarray(p), np.asarray(q), rtol=1e-10, atol=1e-12)
    _, out = jet(f, (a,), tuple([(vs[0], 2 * vs[1], 6 * vs[2])]))
    for k in range(3):
        want = np.asarray(eager[k + 1]) * math.factorial(k + 1)
        np.testing.assert_allclose(np.asarray(out[k]), want, rtol=1e-10)


def test_nan_in_nan_out() -> None:
    a = np.full((3, 3), np.nan)
    e = np.ones((3, 3))
    for f in (lambda x: la.solve(x + np.eye(3), np.ones((3, 1))), la.det):
        _, out = jet(f, (a,), ((e, 0 * e),))
        assert np.isnan(np.asarray(out[0])).all()

"""Implicit derivatives (funcdiff.implicit): roots, fixed points and
minimizers differentiated by the implicit function theorem, orders 1 to 3,
against mpmath high-precision finite differences and closed forms."""

from __future__ import annotations

from typing import Any

import mpmath as mp
import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax, optimize
from funcdiff.errors import ConcretizationError, ShapeError
from funcdiff.implicit import cg_solve, custom_fixed_point, custom_root


def _cubic(x: Any, t: Any) -> Any:
    return x**3 + t * x - 1.0


def _newton_py(x: Any, t: Any) -> Any:
    x, t = float(x), float(t)
    for _ in range(100):
        x = x - (x**3 + t * x - 1.0) / (3.0 * x**2 + t)
    return np.float64(x)


cubic_root = custom_root(_cubic)(_newton_py)


def _mp_root_derivs(t: float) -> list[Any]:
    with mp.workdps(50):

        def root(s: Any) -> Any:
            return mp.findroot(lambda x: x**3 + s * x - 1, 0.7)

        return [mp.diff(root, mp.mpf(t), k) for k in (1, 2, 3)]


@pytest.mark.parametrize("t", [0.5, 2.0])
def test_scalar_root_orders_1_to_3_match_mpmath(t: float) -> None:
    g1 = fd.grad(cubic_root, 1)
    g2 = fd.grad(g1, 1)
    g3 = fd.grad(g2, 1)
    got = [g(1.0, t) for g in (g1, g2, g3)]
    want = _mp_root_derivs(t)
    assert abs(float(cubic_root(1.0, t)) ** 3 + t * float(cubic_root(1.0, t)) - 1) < 1e-14
    for g, w in zip(got, want, strict=True):
        assert abs(float(g) - float(w)) < 1e-10


def test_forward_and_reverse_third_order_agree() -> None:
    f3 = fd.jacfwd(fd.jacfwd(fd.jacfwd(cubic_root, 1), 1), 1)(1.0, 0.5)
    r3 = fd.grad(fd.grad(fd.grad(cubic_root, 1), 1), 1)(1.0, 0.5)
    assert abs(float(f3) - float(r3)) < 1e-12


def test_beyond_depth_is_nan_not_wrong() -> None:
    root = custom_root(_cubic, depth=2)(_newton_py)
    assert abs(float(fd.grad(root, 1)(1.0, 0.5)) - float(_mp_root_derivs(0.5)[0])) < 1e-10
    assert np.isnan(float(fd.grad(fd.grad(root, 1), 1)(1.0, 0.5)))


_A = np.array([[0.3, -0.2, 0.1], [0.05, 0.4, -0.1], [-0.2, 0.1, 0.25]])
_B = np.array([1.0, -0.5, 0.3])


def _tanh_map(x: Any, theta: Any) -> Any:
    return fnp.tanh(fnp.dot(_A, x) + _B * theta)


def _iterate(x: Any, theta: Any) -> Any:
    x, theta = np.asarray(x, float), float(theta)
    for _ in range(400):
        x = np.tanh(_A @ x + _B * theta)
    return x


def _mp_fixed_point(theta: Any) -> Any:
    a = mp.matrix(_A.tolist())
    b = mp.matrix(_B.tolist())
    x = mp.matrix([0, 0, 0])
    for _ in range(400):
        y = a * x + b * theta
        x = mp.matrix([mp.tanh(y[i]) for i in range(3)])
    return x


def test_vector_fixed_point_matches_mpmath_differences() -> None:
    fp = custom_fixed_point(_tanh_map)(_iterate)
    theta = 0.7
    d1 = fd.jacfwd(fp, 1)(np.zeros(3), theta)
    d2 = fd.jacfwd(fd.jacfwd(fp, 1), 1)(np.zeros(3), theta)
    with mp.workdps(60):
        h = mp.mpf("1e-15")
        t0 = mp.mpf(theta)
        xp, x0, xm = _mp_fixed_point(t0 + h), _mp_fixed_point(t0), _mp_fixed_point(t0 - h)
        fd1 = [(xp[i] - xm[i]) / (2 * h) for i in range(3)]
        fd2 = [(xp[i] - 2 * x0[i] + xm[i]) / h**2 for i in range(3)]
    np.testing.assert_allclose(np.asarray(d1), [float(v) for v in fd1], rtol=0, atol=1e-10)
    np.testing.assert_allclose(np.asarray(d2), [float(v) for v in fd2], rtol=0, atol=1e-10)


_rng = np.random.default_rng(0)
_X = _rng.normal(size=(20, 4))
_Y = _rng.normal(size=20)


def _ridge_loss(w: Any, lam: Any) -> Any:
    r = fnp.dot(_X, w) - _Y
    return 0.5 * fnp.sum(r * r) + 0.5 * lam * fnp.sum(w * w)


def _ridge_newton(w0: Any, lam: Any) -> Any:
    res = optimize.minimize(lambda w: _ridge_loss(w, float(lam)), w0, method="newton", tol=1e-12)
    return np.asarray(res.x)


def _ridge_closed(lam: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = _X.T @ _X + lam * np.eye(4)
    w = np.linalg.solve(a, _X.T @ _Y)
    d1 = -np.linalg.solve(a, w)
    d2 = -2.0 * np.linalg.solve(a, d1)
    return w, d1, d2


@pytest.mark.parametrize("solve", ["dense", "cg", "sparse"])
def test_ridge_argmin_orders_1_2_match_closed_form(solve: str) -> None:
    opt = fd.grad(_ridge_loss)
    ridge = custom_root(opt, solve=solve)(_ridge_newton)
    lam = 0.8
    w, d1, d2 = _ridge_closed(lam)
    np.testing.assert_allclose(np.asarray(ridge(np.zeros(4), lam)), w, atol=1e-10)
    np.testing.assert_allclose(np.asarray(fd.jacfwd(ridge, 1)(np.zeros(4), lam)), d1, atol=1e-10)
    got2 = fd.jacfwd(fd.jacrev(ridge, 1), 1)(np.zeros(4), lam)
    np.testing.assert_allclose(np.asarray(got2), d2, atol=1e-10)
    # the hyperparameter gradient of an outer loss
    g = fd.grad(lambda s: fnp.sum(ridge(np.zeros(4), s) ** 2))(lam)
    assert abs(float(g) - 2.0 * float(w @ d1)) < 1e-10


def test_cg_equals_dense_at_order_1() -> None:
    opt = fd.grad(_ridge_loss)
    dense = fd.jacfwd(custom_root(opt)(_ridge_newton), 1)(np.zeros(4), 0.3)
    cg = fd.jacfwd(custom_root(opt, solve=cg_solve(maxiter=10))(_ridge_newton), 1)(np.zeros(4), 0.3)
    np.testing.assert_allclose(np.asarray(cg), np.asarray(dense), atol=1e-12)


def _newton_lax(x: Any, t: Any) -> Any:
    def body(_: Any, x: Any) -> Any:
        return x - (x**3 + t * x - 1.0) / (3.0 * x**2 + t)

    return lax.fori_loop(0, 60, body, fnp.asarray(x, dtype=float))


def test_jit_and_vmap_with_a_traceable_solver() -> None:
    root = custom_root(_cubic)(_newton_lax)
    ts = np.array([0.5, 1.0, 2.0])
    want = [float(_mp_root_derivs(t)[0]) for t in ts]
    jitted = fd.jit(fd.grad(root, 1))
    np.testing.assert_allclose([float(jitted(1.0, t)) for t in ts], want, atol=1e-10)
    batched = fd.vmap(fd.grad(root, 1), in_axes=(None, 0))(1.0, ts)
    np.testing.assert_allclose(np.asarray(batched), want, atol=1e-10)
    second = fd.jit(fd.grad(fd.grad(root, 1), 1))(1.0, 0.5)
    assert abs(float(second) - float(_mp_root_derivs(0.5)[1])) < 1e-10


def test_python_solver_under_jit_is_a_clear_error() -> None:
    with pytest.raises(ConcretizationError, match="funcdiff.lax"):
        fd.jit(fd.grad(cubic_root, 1))(1.0, 0.5)


def test_optimality_shape_mismatch_is_a_clear_error() -> None:
    bad = custom_root(lambda x, t: fnp.stack([x - t, x + t]))(lambda x, t: np.float64(t))
    with pytest.raises(ShapeError, match="square"):
        fd.grad(bad, 1)(0.0, 1.0)


def test_minimize_result_is_differentiable_in_args() -> None:
    lam = 0.8
    w, d1, d2 = _ridge_closed(lam)

    def argmin(s: Any) -> Any:
        return optimize.minimize(_ridge_loss, np.zeros(4), method="newton", args=(s,), tol=1e-12).x

    np.testing.assert_allclose(np.asarray(argmin(lam)), w, atol=1e-10)
    np.testing.assert_allclose(np.asarray(fd.jacfwd(argmin)(lam)), d1, atol=1e-10)
    np.testing.assert_allclose(np.asarray(fd.jacfwd(fd.jacrev(argmin))(lam)), d2, atol=1e-10)
    g = fd.grad(lambda s: fnp.sum(argmin(s) ** 2))(lam)
    assert abs(float(g) - 2.0 * float(w @ d1)) < 1e-10


def test_minimize_args_under_jit_is_a_clear_error() -> None:
    def argmin(s: Any) -> Any:
        return optimize.minimize(_ridge_loss, np.zeros(4), method="newton", args=(s,)).x

    with pytest.raises(ConcretizationError, match="outside jit"):
        fd.jit(argmin)(0.5)


def test_fifth_order_matches_mpmath() -> None:
    g: Any = cubic_root
    for _ in range(5):
        g = fd.grad(g, 1)
    with mp.workdps(60):
        want = mp.diff(lambda s: mp.findroot(lambda x: x**3 + s * x - 1, 0.7), mp.mpf("0.5"), 5)
    assert abs(float(g(1.0, 0.5)) - float(want)) < 1e-10


def test_scipy_minimize_result_is_differentiable_in_args() -> None:
    lam = 0.8
    w, d1, d2 = _ridge_closed(lam)

    def argmin(s: Any) -> Any:
        res = optimize.scipy_minimize(
            _ridge_loss, np.zeros(4), method="trust-exact", args=(s,), tol=1e-14
        )
        return res.x_tree

    np.testing.assert_allclose(np.asarray(argmin(lam)), w, atol=1e-9)
    np.testing.assert_allclose(np.asarray(fd.jacfwd(argmin)(lam)), d1, atol=1e-9)
    np.testing.assert_allclose(np.asarray(fd.jacfwd(fd.jacrev(argmin))(lam)), d2, atol=1e-9)


def test_vector_fixed_point_third_order_matches_mpmath_differences() -> None:
    fp = custom_fixed_point(_tanh_map)(_iterate)
    d3 = fd.jacfwd(fd.jacfwd(fd.jacfwd(fp, 1), 1), 1)(np.zeros(3), 0.7)
    with mp.workdps(100):
        h, t0 = mp.mpf("1e-20"), mp.mpf(0.7)
        xs = [_mp_fixed_point(t0 + k * h) for k in (-2, -1, 1, 2)]
        fd3 = [(xs[3][i] - 2 * xs[2][i] + 2 * xs[1][i] - xs[0][i]) / (2 * h**3) for i in range(3)]
    np.testing.assert_allclose(np.asarray(d3), [float(v) for v in fd3], rtol=0, atol=1e-10)

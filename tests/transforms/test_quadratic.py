"""Tests for ``taylor2`` and ``QuadraticModel`` (funcdiff/quadratic.py)."""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import quadratic as taylor_module
from funcdiff.errors import DTypeError, ShapeError
from funcdiff.quadratic import (
    MatrixFreeError,
    NonConvexModelError,
    NonConvexModelWarning,
    QuadraticModel,
    TaylorCheck,
    taylor2,
)
from funcdiff.tree import tree_leaves, tree_structure

E0 = np.array([1.0, 0.0])
E1 = np.array([0.0, 1.0])


# ---------------------------------------------------------------------------
# test functions with analytic derivatives
# ---------------------------------------------------------------------------


def rosen_tuple(p: Any) -> Any:
    x, y = p
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosen_array(v: Any) -> Any:
    x, y = v @ E0, v @ E1  # no indexing needed
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosen_derivs(x: float, y: float) -> tuple[float, np.ndarray, np.ndarray]:
    value = (1 - x) ** 2 + 100 * (y - x**2) ** 2
    g = np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])
    H = np.array([[2 - 400 * (y - x**2) + 800 * x**2, -400 * x], [-400 * x, 200.0]])
    return value, g, H


def lecture(p: Any) -> Any:
    """The lecture's worked example x**2 * exp(x + cos(y))."""
    x, y = p
    return x**2 * fnp.exp(x + fnp.cos(y))


def lecture_derivs(x: float, y: float) -> tuple[float, np.ndarray, np.ndarray]:
    e = np.exp(x + np.cos(y))
    value = x**2 * e
    g = np.array([(2 * x + x**2) * e, -(x**2) * np.sin(y) * e])
    fxy = -(2 * x + x**2) * np.sin(y) * e
    H = np.array(
        [
            [(2 + 4 * x + x**2) * e, fxy],
            [fxy, x**2 * e * (np.sin(y) ** 2 - np.cos(y))],
        ]
    )
    return value, g, H


def shifts(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Matrices taking x to x[:-1] and x[1:]."""
    eye = np.eye(n)
    return eye[:-1], eye[1:]


def rosen_nd(n: int) -> Any:
    lo, hi = shifts(n)

    def f(x: Any) -> Any:
        a, b = lo @ x, hi @ x
        return fnp.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2)

    return f


def smooth_nd(n: int, seed: int = 0) -> tuple[Any, np.ndarray]:
    """A smooth strictly convex function of n inputs (and its A)."""
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(n, n))
    A = M @ M.T / n + np.eye(n)
    c = rng.normal(size=n)

    def f(x: Any) -> Any:
        return 0.5 * (x @ A @ x) + fnp.sum(fnp.log(1.0 + fnp.exp(c * x))) + 0.1 * fnp.sum(x**4)

    return f, A


def flat(tree: Any) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in tree_leaves(tree)])


# ---------------------------------------------------------------------------
# value, grad, hess against analytic forms
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("pt", [(-1.2, 1.0), (1.0, 1.0), (0.3, -0.7)])
def test_rosenbrock_analytic_tuple_and_array(pt: tuple[float, float]) -> None:
    value, g, H = rosen_derivs(*pt)
    m = taylor2(rosen_tuple)(pt)
    np.testing.assert_allclose(m.value, value, rtol=1e-13)
    np.testing.assert_allclose(m.g_flat, g, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(m.H_flat, H, rtol=1e-12, atol=1e-12)
    assert isinstance(m.grad, tuple) and len(m.grad) == 2
    assert all(np.shape(b) == () for row in m.hess for b in row)

    ma = taylor2(rosen_array)(np.array(pt))
    np.testing.assert_allclose(ma.value, value, rtol=1e-13)
    assert ma.grad.shape == (2,) and ma.hess.shape == (2, 2)
    np.testing.assert_allclose(ma.grad, g, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ma.hess, H, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("pt", [(1.0, 2.0), (-0.5, 0.3), (2.0, -1.0)])
def test_lecture_example_analytic(pt: tuple[float, float]) -> None:
    value, g, H = lecture_derivs(*pt)
    for mf in (False, True):
        m = taylor2(lecture, matrix_free=mf)(pt)
        assert m.matrix_free is mf
        np.testing.assert_allclose(m.value, value, rtol=1e-13)
        np.testing.assert_allclose(m.g_flat, g, rtol=1e-12)
        np.testing.assert_allclose(flat(m.grad), g, rtol=1e-12)
        # the Hessian column by column through hvp (both modes)
        cols = np.stack([m.hvp(e) for e in np.eye(2)], axis=1)
        np.testing.assert_allclose(cols, H, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(taylor2(lecture)(pt).H_flat, H, rtol=1e-12, atol=1e-14)


def test_matches_grad_and_hessian_transforms() -> None:
    f, _ = smooth_nd(6)
    x0 = np.linspace(-1.0, 1.0, 6)
    m = taylor2(f)(x0)
    np.testing.assert_allclose(m.value, f(x0), rtol=1e-14)
    np.testing.assert_allclose(m.grad, fd.grad(f)(x0), rtol=1e-13)
    np.testing.assert_allclose(m.hess, fd.hessian(f)(x0), rtol=1e-13, atol=1e-14)


# ---------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("mf", [False, True])
def test_model_at_x0_is_f_x0(mf: bool) -> None:
    x0 = (0.4, -1.3)
    m = taylor2(lecture, matrix_free=mf)(x0)
    assert float(m(x0)) == pytest.approx(float(lecture(x0)), rel=1e-15)
    assert float(m.step_value((0.0, 0.0))) == pytest.approx(float(m.value), rel=1e-15)
    assert float(m.predicted_decrease(np.zeros(2))) == 0.0


@pytest.mark.parametrize("mf", [False, True])
@pytest.mark.parametrize("f, x0", [(lecture, (0.7, 1.1)), (rosen_tuple, (-1.2, 1.0))])
def test_model_error_is_third_order(mf: bool, f: Any, x0: Any) -> None:
    m = taylor2(f, matrix_free=mf)(x0)
    u = np.array([0.6, -0.8])
    errs = []
    for t in [0.08, 0.04, 0.02, 0.01]:
        p = t * u
        x = (x0[0] + p[0], x0[1] + p[1])
        errs.append(abs(float(f(x)) - float(m.step_value(p))))
        assert float(m(x)) == pytest.approx(float(m.step_value(p)), rel=1e-13)
    ratios = [a / b for a, b in itertools.pairwise(errs)]
    # |f(x0 + p) - m(p)| = O(|p|^3): halving p divides the error by ~8
    for r in ratios:
        assert 6.5 < r < 9.5, ratios


@pytest.mark.parametrize("mf", [False, True])
def test_quadratic_is_reproduced_exactly(mf: bool) -> None:
    rng = np.random.default_rng(1)
    n = 5
    M = rng.normal(size=(n, n))
    A = M + M.T
    b = rng.normal(size=n)

    def q(x: Any) -> Any:
        return 3.0 + b @ x + 0.5 * (x @ A @ x)

    m = taylor2(q, matrix_free=mf)(rng.normal(size=n))
    if not mf:
        np.testing.assert_allclose(m.H_flat, A, rtol=1e-13, atol=1e-13)
    for _ in range(5):
        x = rng.normal(size=n) * 3
        np.testing.assert_allclose(m(x), q(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mf", [False, True])
def test_newton_step_on_convex_quadratic_reaches_minimum(mf: bool) -> None:
    rng = np.random.default_rng(2)
    n = 8
    M = rng.normal(size=(n, n))
    A = M @ M.T + n * np.eye(n)
    b = rng.normal(size=n)

    def q(x: Any) -> Any:
        return 0.5 * (x @ A @ x) - b @ x + 7.0

    x0 = rng.normal(size=n)
    m = taylor2(q, matrix_free=mf)(x0)
    if not mf:
        assert m.is_convex
    p, info = m.newton_step(return_info=True)
    assert info.converged and info.is_convex is not False
    assert info.method == ("cg" if mf else "cholesky")
    np.testing.assert_allclose(x0 + p, np.linalg.solve(A, b), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(fd.grad(q)(x0 + p), 0.0, atol=1e-8)
    # the model's minimum value is f's minimum value, and rho == 1 exactly-ish
    assert float(m.step_value(p)) == pytest.approx(float(q(x0 + p)), rel=1e-12)
    assert float(m.ratio(p)) == pytest.approx(1.0, abs=1e-9)


def test_predicted_and_actual_decrease_definitions() -> None:
    x0 = (0.2, 0.9)
    m = taylor2(lecture)(x0)
    p = (0.05, -0.1)
    np.testing.assert_allclose(m.predicted_decrease(p), m.value - m.step_value(p), rtol=1e-12)
    np.testing.assert_allclose(m.actual_decrease(p), lecture(x0) - lecture((0.25, 0.8)), rtol=1e-12)
    np.testing.assert_allclose(
        m.ratio(p), m.actual_decrease(p) / m.predicted_decrease(p), rtol=1e-14
    )
    pt = m.point(np.array(p))
    assert isinstance(pt, tuple)
    np.testing.assert_allclose(flat(pt), [0.25, 0.8])


@pytest.mark.parametrize("mf", [False, True])
def test_ratio_tends_to_one(mf: bool) -> None:
    m = taylor2(rosen_tuple, matrix_free=mf)((-1.2, 1.0))
    d = np.array([0.3, 0.5])
    devs = [abs(float(m.ratio(t * d)) - 1.0) for t in [1e-1, 1e-2, 1e-3, 1e-4]]
    assert devs[-1] < 1e-6
    assert all(b < a for a, b in itertools.pairwise(devs)), devs
    # p = 0: 0/0 is nan, without a numpy warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(m.ratio(np.zeros(2)))


@pytest.mark.parametrize("mf", [False, True])
def test_curvature_is_vHv(mf: bool) -> None:
    f, _ = smooth_nd(7, seed=3)
    x0 = np.linspace(-0.5, 0.8, 7)
    H = fd.hessian(f)(x0)
    m = taylor2(f, matrix_free=mf)(x0)
    rng = np.random.default_rng(4)
    for _ in range(3):
        v = rng.normal(size=7)
        assert float(m.curvature(v)) == pytest.approx(v @ H @ v, rel=1e-12)
        np.testing.assert_allclose(m.hvp(v), H @ v, rtol=1e-12, atol=1e-13)


def test_curvature_uses_one_hvp_and_no_f_call(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"f": 0, "hvp": 0}

    def f(x: Any) -> Any:
        calls["f"] += 1
        return fnp.sum(fnp.sin(x) * x)

    m = taylor2(f, matrix_free=True)(np.ones(4))
    assert calls["f"] == 1  # value, grad and the Hessian-vector map: one trace of f
    orig = QuadraticModel._hvp_flat

    def counting(self: QuadraticModel, v: Any) -> Any:
        calls["hvp"] += 1
        return orig(self, v)

    monkeypatch.setattr(QuadraticModel, "_hvp_flat", counting)
    m.curvature(np.arange(4.0))
    assert calls == {"f": 1, "hvp": 1}
    m.dense()
    assert calls["f"] == 1


def test_f_runs_once_for_value_grad_and_dense_hessian() -> None:
    calls = [0]

    def f(p: Any) -> Any:
        calls[0] += 1
        return lecture(p)

    m = taylor2(f)((1.0, 2.0))
    _ = m.value, m.grad, m.hess, m.H_flat, m.g_flat, m.eigenvalues(), m.newton_step()
    assert calls[0] == 1
    m.actual_decrease((0.1, 0.1))
    assert calls[0] == 2


# ---------------------------------------------------------------------------
# dense vs matrix-free
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["smooth", "rosen"])
def test_dense_and_matrix_free_agree_n50(kind: str) -> None:
    n = 50
    rng = np.random.default_rng(5)
    if kind == "smooth":
        f, _ = smooth_nd(n, seed=6)
        x0 = rng.normal(size=n) * 0.5
    else:
        f = rosen_nd(n)
        x0 = 1.0 + 0.001 * rng.normal(size=n)  # near the minimum: H positive definite
    md = taylor2(f)(x0)
    mm = taylor2(f, matrix_free=True)(x0)
    assert md.mode == "dense" and mm.mode == "matrix-free"
    np.testing.assert_allclose(md.g_flat, mm.g_flat, rtol=1e-14)
    assert md.is_convex
    for _ in range(3):
        v = rng.normal(size=n)
        x = x0 + 0.1 * rng.normal(size=n)
        np.testing.assert_allclose(md(x), mm(x), rtol=1e-12)
        np.testing.assert_allclose(md.curvature(v), mm.curvature(v), rtol=1e-12)
        np.testing.assert_allclose(md.hvp(v), mm.hvp(v), rtol=1e-11, atol=1e-11)
        np.testing.assert_allclose(md.predicted_decrease(v), mm.predicted_decrease(v), rtol=1e-11)
    pd, info_d = md.newton_step(return_info=True)
    pm, info_m = mm.newton_step(return_info=True)
    assert info_d.method == "cholesky" and info_m.method == "cg"
    assert info_m.converged and 0 < info_m.iterations <= 2 * n
    np.testing.assert_allclose(pm, pd, rtol=1e-7, atol=1e-9 * float(np.linalg.norm(pd)))
    np.testing.assert_allclose(mm.dense().H_flat, md.H_flat, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("mf", [False, True])
def test_damped_newton_step(mf: bool) -> None:
    f, _ = smooth_nd(10, seed=7)
    x0 = np.linspace(-1, 1, 10)
    m = taylor2(f, matrix_free=mf)(x0)
    H = fd.hessian(f)(x0)
    p = m.newton_step(damping=2.5)
    np.testing.assert_allclose((H + 2.5 * np.eye(10)) @ p, -m.g_flat, rtol=1e-8, atol=1e-9)


def test_automatic_matrix_free_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    def f(x: Any) -> Any:
        return fnp.sum(x**2)

    big = taylor2(f)(np.ones(taylor_module.MATRIX_FREE_THRESHOLD + 1))
    assert big.matrix_free and big.mode == "matrix-free"
    monkeypatch.setattr(taylor_module, "MATRIX_FREE_THRESHOLD", 10)
    assert not taylor2(f)(np.ones(10)).matrix_free
    assert taylor2(f)(np.ones(11)).matrix_free
    assert not taylor2(f, matrix_free=False)(np.ones(11)).matrix_free
    assert taylor2(f, matrix_free=True)(np.ones(3)).matrix_free


def test_large_matrix_free_newton_cg() -> None:
    n = 20000

    def f(x: Any) -> Any:
        return fnp.sum(fnp.log(1.0 + x * x)) + 0.5 * fnp.sum(x * x) + 0.01 * fnp.sum(x) ** 2

    x0 = np.linspace(-0.5, 0.5, n)
    m = taylor2(f)(x0)
    assert m.matrix_free
    p, info = m.newton_step(return_info=True)
    assert info.converged
    r = m.hvp(p) + m.g_flat
    assert np.linalg.norm(r) <= 1e-9 * np.linalg.norm(m.g_flat)
    assert float(m.predicted_decrease(p)) > 0


# ---------------------------------------------------------------------------
# pytrees
# ---------------------------------------------------------------------------


def dict_f(p: Any) -> Any:
    a, b = p["a"], p["b"]
    return fnp.sum(fnp.exp(0.3 * a)) * fnp.sum(b * b) + fnp.sum(fnp.sin(a)) + fnp.sum(b**3)


@pytest.mark.parametrize("mf", [False, True])
def test_pytree_input_shapes(mf: bool) -> None:
    rng = np.random.default_rng(8)
    x0 = {"a": rng.normal(size=(2, 3)), "b": rng.normal(size=4)}
    m = taylor2(dict_f, matrix_free=mf)(x0)
    assert m.n == 10
    assert np.shape(m.value) == ()
    assert set(m.grad) == {"a", "b"}
    assert m.grad["a"].shape == (2, 3) and m.grad["b"].shape == (4,)
    ref_g = fd.grad(dict_f)(x0)
    for k in ("a", "b"):
        np.testing.assert_allclose(m.grad[k], ref_g[k], rtol=1e-13)
    assert m.g_flat.shape == (10,) and m.x0_flat.shape == (10,)
    back = m.unravel(m.g_flat)
    np.testing.assert_array_equal(back["a"], m.grad["a"])
    v = {"a": rng.normal(size=(2, 3)), "b": rng.normal(size=4)}
    hv = m.hvp(v)
    assert set(hv) == {"a", "b"} and hv["a"].shape == (2, 3)
    assert m.hvp(flat(v)).shape == (10,)
    np.testing.assert_allclose(flat(hv), m.hvp(flat(v)), rtol=1e-14)
    step = m.newton_step(on_nonconvex="ignore")
    assert set(step) == {"a", "b"} and step["b"].shape == (4,)
    assert m.newton_step(flat=True, on_nonconvex="ignore").shape == (10,)
    if mf:
        return
    ref_h = fd.hessian(dict_f)(x0)
    assert tree_structure(m.hess) == tree_structure(ref_h)
    assert m.hess["a"]["a"].shape == (2, 3, 2, 3)
    assert m.hess["a"]["b"].shape == (2, 3, 4)
    assert m.hess["b"]["a"].shape == (4, 2, 3)
    assert m.hess["b"]["b"].shape == (4, 4)
    for got, want in zip(tree_leaves(m.hess), tree_leaves(ref_h), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)
    assert m.H_flat.shape == (10, 10)
    np.testing.assert_allclose(m.H_flat, m.H_flat.T, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(m.H_flat @ flat(v), flat(hv), rtol=1e-12)


def test_scalar_x0_and_float32() -> None:
    m = taylor2(lambda x: x**3 + fnp.sin(x))(0.7)
    assert m.n == 1 and np.shape(m.grad) == () and np.shape(m.hess) == ()
    assert float(m.hess) == pytest.approx(6 * 0.7 - np.sin(0.7))
    assert float(m.newton_step()) == pytest.approx(-float(m.grad) / float(m.hess))

    def f(x: Any) -> Any:
        return fnp.sum(fnp.exp(x) * x)

    x32 = np.array([0.5, -0.3], dtype=np.float32)
    m32 = taylor2(f)(x32)
    assert m32.value.dtype == m32.grad.dtype == m32.hess.dtype == np.float32
    assert m32.hess.dtype == fd.hessian(f)(x32).dtype
    assert m32.newton_step().dtype == np.float32


# ---------------------------------------------------------------------------
# composition with transforms
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("mf", [False, True])
def test_model_is_differentiable_and_vmappable(mf: bool) -> None:
    f, _ = smooth_nd(4, seed=9)
    x0 = np.array([0.1, -0.2, 0.3, 0.4])
    m = taylor2(f, matrix_free=mf)(x0)
    H = fd.hessian(f)(x0)
    x = np.array([0.5, 0.0, -0.3, 1.0])
    np.testing.assert_allclose(fd.grad(m)(x), m.g_flat + H @ (x - x0), rtol=1e-12)
    np.testing.assert_allclose(fd.hessian(m)(x), H, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(fd.grad(m.curvature)(x), 2 * H @ x, rtol=1e-12)
    grid = np.random.default_rng(10).normal(size=(6, 4))
    np.testing.assert_allclose(fd.vmap(m)(grid), [float(m(g)) for g in grid], rtol=1e-13)


# ---------------------------------------------------------------------------
# non-convex models
# ---------------------------------------------------------------------------


def saddle(p: Any) -> Any:
    x, y = p
    return x**2 - y**2 + 0.5 * x + 0.25 * y


def test_nonconvex_dense_warns_and_returns_stationary_point() -> None:
    m = taylor2(saddle)((1.0, 1.0))
    assert not m.is_convex
    np.testing.assert_allclose(m.eigenvalues(), [-2.0, 2.0])
    with pytest.warns(NonConvexModelWarning, match="not positive definite"):
        p, info = m.newton_step(return_info=True)
    assert info.method == "lstsq" and info.is_convex is False and info.converged
    x1 = (1.0 + p[0], 1.0 + p[1])  # the saddle point of f: (-1/4, 1/8)
    np.testing.assert_allclose(flat(x1), [-0.25, 0.125], atol=1e-14)
    with pytest.raises(NonConvexModelError, match="damping"):
        m.newton_step(on_nonconvex="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.newton_step(on_nonconvex="ignore")
        # enough damping makes it a descent step
        pd = m.newton_step(damping=3.0, flat=True)
    assert float(m.predicted_decrease(pd)) > 0


def test_singular_hessian_is_not_convex() -> None:
    m = taylor2(lambda p: p[0] ** 2 + 3.0 * p[1])((1.0, 1.0))  # H = diag(2, 0)
    assert not m.is_convex
    with pytest.warns(NonConvexModelWarning):
        _, info = m.newton_step(return_info=True)
    assert info.method == "lstsq" and not info.converged


def test_nonconvex_matrix_free_reports_negative_curvature() -> None:
    m = taylor2(saddle, matrix_free=True)((1.0, 1.0))
    with pytest.warns(NonConvexModelWarning, match="conjugate gradients"):
        _, info = m.newton_step(return_info=True)
    assert info.method == "cg" and info.negative_curvature and not info.converged
    assert info.is_convex is False
    assert info.direction is not None and info.direction_curvature is not None
    d = info.direction
    assert info.direction_curvature <= 0
    assert float(m.curvature(d)) == pytest.approx(info.direction_curvature)
    with pytest.raises(NonConvexModelError):
        m.newton_step(on_nonconvex="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.newton_step(on_nonconvex="ignore")


def test_newton_step_zero_gradient() -> None:
    m = taylor2(lambda x: fnp.sum(x * x), matrix_free=True)(np.zeros(3))
    p, info = m.newton_step(return_info=True)
    np.testing.assert_array_equal(p, 0.0)
    assert info.converged and info.iterations == 0


def test_cg_maxiter_warns() -> None:
    f, _ = smooth_nd(30, seed=11)
    m = taylor2(f, matrix_free=True)(np.ones(30))
    with pytest.warns(RuntimeWarning, match="did not reach"):
        _, info = m.newton_step(maxiter=2, return_info=True)
    assert not info.converged and info.iterations == 2


# ---------------------------------------------------------------------------
# repr and errors
# ---------------------------------------------------------------------------


def test_repr() -> None:
    r = repr(taylor2(rosen_tuple)((-1.2, 1.0)))
    assert r.startswith("QuadraticModel(value=24.2, |grad|=232.8")
    assert "n=2" in r and "mode='dense'" in r and "1330" in r and "480" in r
    r = repr(taylor2(rosen_tuple, matrix_free=True)((-1.2, 1.0)))
    assert "mode='matrix-free'" in r and "1330" not in r
    r = repr(taylor2(lambda x: fnp.sum(x * x))(np.ones(20)))
    assert "n=20" in r and "H_flat" not in r


def test_error_non_scalar_f() -> None:
    with pytest.raises(ShapeError, match=r"scalar field.*shape \(2,\)"):
        taylor2(lambda x: x * 2.0)(np.ones(2))
    with pytest.raises(TypeError, match="scalar field"):
        taylor2(lambda x: (fnp.sum(x), fnp.sum(x)))(np.ones(2))
    with pytest.raises(TypeError, match="callable"):
        taylor2(3.0)  # type: ignore[arg-type]


def test_error_matrix_free_dense_access() -> None:
    m = taylor2(rosen_tuple, matrix_free=True)((-1.2, 1.0))
    for what in ("hess", "H_flat", "is_convex"):
        with pytest.raises(MatrixFreeError, match="matrix-free") as exc:
            getattr(m, what)
        assert "matrix_free=False" in str(exc.value) and "dense()" in str(exc.value)
    with pytest.raises(MatrixFreeError):
        m.eigenvalues()


def test_error_bad_inputs() -> None:
    m = taylor2(lecture)((1.0, 2.0))
    with pytest.raises(ShapeError, match=r"flat array of shape \(2,\)"):
        m.step_value(np.ones(3))
    with pytest.raises(ShapeError):
        m({"x": 1.0, "y": 2.0})
    with pytest.raises(DTypeError, match="floating point"):
        taylor2(lambda x: fnp.sum(x))(np.array([1, 2]))
    with pytest.raises(ValueError, match="on_nonconvex"):
        m.newton_step(on_nonconvex="loud")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="damping"):
        m.newton_step(damping=-1.0)
    with pytest.raises(TypeError, match="outside"):
        fd.grad(lambda x: taylor2(lambda y: fnp.sum(y * y))(x).value)(np.ones(2))


# ---------------------------------------------------------------------------
# Taylor consistency: |f(x0 + t d) - m(x0 + t d)| = O(t^3), and QuadraticModel.check
# ---------------------------------------------------------------------------


def _rosen_flat(v: Any) -> Any:
    return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2


def _explog(v: Any) -> Any:
    return fnp.log(1.0 + fnp.exp(v[0] * v[1])) + fnp.exp(-(v[2] ** 2)) * fnp.log(2.0 + v[0] ** 2)


_MLP_RNG = np.random.default_rng(7)
_MLP_X = _MLP_RNG.normal(size=(8, 3))
_MLP_Y = _MLP_RNG.normal(size=(8,))


def _mlp_loss(params: dict[str, Any]) -> Any:
    h = fnp.tanh(_MLP_X @ params["W1"] + params["b1"])
    out = h @ params["w2"] + params["b2"]
    return fnp.mean((out - _MLP_Y) ** 2)


def _mlp_params() -> dict[str, Any]:
    rng = np.random.default_rng(3)
    return {
        "W1": rng.normal(size=(3, 4)) * 0.7,
        "b1": rng.normal(size=(4,)) * 0.1,
        "w2": rng.normal(size=(4,)) * 0.7,
        "b2": np.array(0.2),
    }


SMOOTH = [
    pytest.param(_rosen_flat, np.array([-1.2, 1.0]), id="rosenbrock"),
    pytest.param(_rosen_flat, np.array([1.0, 1.0]), id="rosenbrock-minimum"),
    pytest.param(_explog, np.array([0.3, -0.8, 0.5]), id="exp-log"),
    pytest.param(_mlp_loss, _mlp_params(), id="mlp-loss"),
]


@pytest.mark.parametrize(("f", "x0"), SMOOTH)
@pytest.mark.parametrize("mf", [False, True])
def test_model_error_has_slope_three(f: Any, x0: Any, mf: bool) -> None:
    """log-log slope of |f - m| between t = 1e-2 and 1e-3 in [2.7, 3.3], computed
    here from f and the model directly (independently of ``check``)."""
    m = taylor2(f, matrix_free=mf)(x0)
    rng = np.random.default_rng(0)
    for _ in range(3):
        d = rng.normal(size=m.n)
        d /= np.linalg.norm(d)
        errs = [abs(float(f(m.point(t * d))) - float(m.step_value(t * d))) for t in (1e-2, 1e-3)]
        slope = np.log(errs[0] / errs[1]) / np.log(10.0)
        assert 2.7 <= slope <= 3.3, (slope, errs)
        c = m.check(d, ts=(1e-2, 1e-3))
        assert c.passed and c.order == pytest.approx(slope, abs=1e-9), c


@pytest.mark.parametrize(("f", "x0"), SMOOTH)
def test_model_hessian_is_symmetric_and_equals_hessian(f: Any, x0: Any) -> None:
    m = taylor2(f)(x0)
    H = m.H_flat
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-12 * np.abs(H).max())
    flat = lambda z: f(m.unravel(z))  # noqa: E731
    np.testing.assert_allclose(H, fd.hessian(flat)(m.x0_flat), rtol=1e-12, atol=1e-12)
    want = fd.hessian(f)(x0)
    for a, b in zip(tree_leaves(m.hess), tree_leaves(want), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    # matrix-free: the Hessian-vector products are the same matrix
    mf = taylor2(f, matrix_free=True)(x0)
    np.testing.assert_allclose(mf.dense().H_flat, H, rtol=1e-12, atol=1e-12)
    c = mf.check(seed=1)
    assert c.asymmetry <= 1e-12 and c.passed, c


@pytest.mark.parametrize(("f", "x0"), SMOOTH)
def test_check_passes_on_smooth_functions(f: Any, x0: Any) -> None:
    m = taylor2(f)(x0)
    for seed in range(3):
        c = m.check(seed=seed)
        assert isinstance(c, TaylorCheck) and c and c.passed, c
        assert 2.7 <= c.order <= 3.3 and c.note == ""
        assert np.linalg.norm(c.direction) == pytest.approx(1.0)
        assert len(c.errors) == len(c.ts) == 3 and c.errors[0] > c.errors[-1]


def _perturbed(
    m: QuadraticModel, dH: np.ndarray | None = None, dg: np.ndarray | None = None
) -> None:
    # a deliberately wrong model: the check must see it (private fields, test only)
    if dH is not None:
        assert m._H is not None
        m._H = m._H + dH
    if dg is not None:
        m.g_flat = m.g_flat + dg


@pytest.mark.parametrize(("f", "x0"), SMOOTH)
def test_check_catches_a_wrong_hessian_as_order_two(f: Any, x0: Any) -> None:
    m = taylor2(f)(x0)
    # symmetric, 10% of the largest entry: caught by the order alone
    _perturbed(m, dH=0.1 * max(np.abs(m.H_flat).max(), 1.0) * np.eye(m.n))
    c = m.check(seed=0)
    assert not c.passed and c.order == pytest.approx(2.0, abs=0.15), c
    assert c.asymmetry <= 1e-12  # still symmetric: caught by the order alone
    assert "passed=False" in repr(c) and not c


@pytest.mark.parametrize(("f", "x0"), SMOOTH)
def test_check_catches_a_wrong_gradient_as_order_one(f: Any, x0: Any) -> None:
    m = taylor2(f)(x0)
    dg = max(np.abs(m.g_flat).max(), 1.0) * np.ones(m.n) / np.sqrt(m.n)
    _perturbed(m, dg=dg)
    c = m.check(dg)
    assert not c.passed and c.order == pytest.approx(1.0, abs=0.15), c


def test_check_catches_an_asymmetric_hessian() -> None:
    m = taylor2(_explog)(np.array([0.3, -0.8, 0.5]))
    dH = np.zeros((3, 3))
    dH[0, 1] = 1e-3  # v^T dH v is tiny for most v; the symmetry probe is not
    _perturbed(m, dH=dH)
    c = m.check([0.0, 0.6, 0.8])  # d^T dH d = 0: the order is unharmed
    assert 2.7 <= c.order <= 3.3 and c.asymmetry > c.tol_asymmetry and not c.passed, c


def test_check_on_exact_quadratic_and_kink() -> None:
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    m = taylor2(lambda x: 0.5 * x @ A @ x + x[0])(np.array([0.5, -1.0]))
    c = m.check([1.0, 1.0])
    assert c.passed and np.isnan(c.order) and "exact to rounding" in c.note, c
    assert "note=" in repr(c)
    kinked = taylor2(lambda x: fnp.sum(x**2) + fnp.abs(x[0] - 1.0))(np.array([1.0, 2.0]))
    c = kinked.check([-0.6, 0.8])
    assert not c.passed and c.order == pytest.approx(1.0, abs=0.1), c


def test_check_float32_default_steps() -> None:
    m = taylor2(lambda x: fnp.sum(fnp.exp(x) * fnp.sin(x)))(np.array([0.3, -0.2], np.float32))
    c = m.check([0.6, 0.8])
    assert c.ts == (1e-1, 3e-2) and c.passed and 2.7 <= c.order <= 3.3, c
    assert c.direction.dtype == np.float32


def test_check_pytree_direction_and_repr() -> None:
    rosen = lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2  # noqa: E731
    m = taylor2(rosen)((-1.2, 1.0))
    c = m.check((0.6, 0.8))
    np.testing.assert_allclose(c.direction, [0.6, 0.8])
    # along d, f is a quartic in t and m its truncation after t^2, so the error is
    # |c3 t^3 + c4 t^4| with (x, y) = x0 + t (a, b), r1 = b - 2 x0 a:
    # c3 = -200 r1 a^2, c4 = 100 a^4
    a, b, x0 = 0.6, 0.8, -1.2
    c3, c4 = -200 * (b - 2 * x0 * a) * a**2, 100 * a**4
    want = [abs(c3 * t**3 + c4 * t**4) for t in c.ts]
    np.testing.assert_allclose(c.errors, want, rtol=1e-6)
    assert repr(c).startswith("TaylorCheck(passed=True, order=3.00 (accepted [2.7, 3.3])")


def test_check_bad_arguments() -> None:
    m = taylor2(_rosen_flat)(np.array([-1.2, 1.0]))
    with pytest.raises(ValueError, match="direction must be non-zero"):
        m.check([0.0, 0.0])
    with pytest.raises(ValueError, match="two or more positive step lengths"):
        m.check(ts=(1e-2,))
    with pytest.raises(ValueError, match="two or more positive step lengths"):
        m.check(ts=(1e-2, -1e-3))
    with pytest.raises(ShapeError, match="QuadraticModel.check"):
        m.check([1.0, 2.0, 3.0])

"""Gauss-Newton models (funcdiff.quadratic.gauss_newton) and Levenberg-Marquardt
(funcdiff.optimize.levenberg_marquardt), checked against NIST StRD certified
results (tests/tools/_nist_strd.py) and against scipy.optimize.least_squares."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.errors import ShapeError
from funcdiff.optimize import levenberg_marquardt
from funcdiff.quadratic import GaussNewtonModel, gauss_newton

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _nist_strd import PROBLEMS, digits_matched

T = np.linspace(0.0, 2.0, 7)
Y = 3.0 * np.exp(-0.7 * T) + 0.05 * np.sin(5 * T)  # not exactly of the model's form


def expfit(p: Any) -> Any:
    return p[0] * fnp.exp(p[1] * T) - Y


def half_sq(p: Any) -> Any:
    r = expfit(p)
    return 0.5 * (r * r).sum()


X0 = np.array([1.0, -0.2])

# -- gauss_newton -------------------------------------------------------------


def test_gn_value_grad_hess_are_those_of_half_squared_norm() -> None:
    m = gauss_newton(expfit)(X0)
    assert isinstance(m, GaussNewtonModel)
    r = np.asarray(expfit(X0))
    np.testing.assert_allclose(m.residual, r, rtol=1e-15)
    np.testing.assert_allclose(float(m.value), 0.5 * r @ r, rtol=1e-14)
    np.testing.assert_allclose(m.grad, fd.grad(half_sq)(X0), rtol=1e-12)
    J = np.asarray(fd.jacfwd(expfit)(X0))
    np.testing.assert_allclose(m.jac, J, rtol=1e-14)
    np.testing.assert_allclose(m.H_flat, J.T @ J, rtol=1e-13)
    # not the exact Hessian (the residual is not zero): the difference is sum r_i hess r_i
    H = np.asarray(fd.hessian(half_sq)(X0))
    assert not np.allclose(m.H_flat, H)
    assert m.mode == "dense" and m.m == T.size and m.n == 2


def test_gn_matrix_free_hvp_equals_dense() -> None:
    dense = gauss_newton(expfit)(X0)
    mf = gauss_newton(expfit, mode="matrix_free")(X0)
    assert mf.mode == "matrix-free" and mf.jac is None
    rng = np.random.default_rng(0)
    for _ in range(3):
        v = rng.normal(size=2)
        np.testing.assert_allclose(mf.hvp(v), dense.H_flat @ v, rtol=1e-12)
        np.testing.assert_allclose(float(mf.curvature(v)), v @ dense.H_flat @ v, rtol=1e-12)
    np.testing.assert_allclose(mf.grad, dense.grad, rtol=1e-14)
    np.testing.assert_allclose(mf.dense().H_flat, dense.H_flat, rtol=1e-12)
    # the Newton step by CG on J^T J v equals the dense one
    np.testing.assert_allclose(mf.newton_step(tol=1e-13), dense.newton_step(), rtol=1e-8)


def test_gn_newton_step_is_the_least_squares_solution() -> None:
    m = gauss_newton(expfit)(X0)
    p, info = m.newton_step(return_info=True)
    lsq = np.linalg.lstsq(m.jac, -m.residual, rcond=None)[0]
    np.testing.assert_allclose(p, lsq, rtol=1e-10)
    assert info.method == "cholesky" and m.is_convex
    # the damped step is the Levenberg-Marquardt step
    lam = 0.3
    A = np.vstack([m.jac, np.sqrt(lam) * np.eye(2)])
    lm = np.linalg.lstsq(A, np.concatenate([-m.residual, np.zeros(2)]), rcond=None)[0]
    np.testing.assert_allclose(m.newton_step(damping=lam), lm, rtol=1e-10)
    # the model predicts the decrease: 1/2|r|^2 - 1/2|r + J p|^2
    rp = m.residual + m.jac @ p
    np.testing.assert_allclose(
        float(m.predicted_decrease(p)), 0.5 * (m.residual @ m.residual - rp @ rp), rtol=1e-10
    )


def test_gn_check_order_tells_gauss_newton_from_newton() -> None:
    # an affine residual: the Gauss-Newton model is exact
    A = np.array([[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]])
    b = np.array([1.0, -1.0, 0.5])
    c = gauss_newton(lambda x: A @ x - b)(np.array([0.3, 0.7])).check()
    assert c.passed
    # a nonzero nonlinear residual: H misses sum r_i hess r_i, the error is O(t^2)
    c = gauss_newton(expfit)(X0).check(ts=(1e-1, 3e-2, 1e-2))
    assert not c.passed and abs(c.order - 2.0) < 0.3


def test_gn_pytree_x0_and_argnums() -> None:
    def res(p: dict[str, Any], t: np.ndarray) -> Any:
        return p["a"] * fnp.exp(p["b"] * t) - Y

    p0 = {"a": np.array(1.0), "b": np.array(-0.2)}
    m = gauss_newton(res)(p0, T)
    flat = gauss_newton(expfit)(X0)
    np.testing.assert_allclose(m.H_flat, flat.H_flat, rtol=1e-13)
    assert set(m.grad) == {"a", "b"}
    np.testing.assert_allclose(float(m.grad["b"]), flat.g_flat[1], rtol=1e-13)
    np.testing.assert_allclose(float(m.hess["a"]["b"]), flat.H_flat[0, 1], rtol=1e-13)
    step = m.newton_step()
    np.testing.assert_allclose([float(step["a"]), float(step["b"])], flat.newton_step())
    # argnums: the model in the second argument
    m1 = gauss_newton(lambda t, p: expfit(p), argnums=1)(T, X0)
    np.testing.assert_allclose(m1.H_flat, flat.H_flat, rtol=1e-13)
    mf = gauss_newton(res, mode="matrix_free")(p0, T)
    hv = mf.hvp({"a": np.array(1.0), "b": np.array(0.0)})
    np.testing.assert_allclose(float(hv["b"]), flat.H_flat[1, 0], rtol=1e-12)


def test_gn_more_unknowns_than_residuals_uses_reverse_mode() -> None:
    W = np.arange(12.0).reshape(2, 6) / 10
    m = gauss_newton(lambda x: fnp.tanh(W @ x))(np.linspace(-1, 1, 6))
    J = np.asarray(fd.jacrev(lambda x: fnp.tanh(W @ x))(np.linspace(-1, 1, 6)))
    np.testing.assert_allclose(m.H_flat, J.T @ J, rtol=1e-12)
    assert not m.is_convex  # rank 2 < 6


def test_gn_errors_name_the_residual_shape() -> None:
    with pytest.raises(ShapeError, match=r"vector residual.*shape \(\).*taylor2"):
        gauss_newton(half_sq)(X0)
    with pytest.raises(ShapeError, match=r"shape \(2, 2\).*ravel"):
        gauss_newton(lambda x: fnp.outer(x, x))(X0)
    with pytest.raises(TypeError, match="pytree"):
        gauss_newton(lambda x: (x, x))(X0)
    with pytest.raises(ValueError, match="mode must be"):
        gauss_newton(expfit, mode="banana")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable"):
        gauss_newton(3)  # type: ignore[arg-type]


def test_gn_sparse_mode_through_funcdiff_sparse() -> None:
    sp = pytest.importorskip("scipy.sparse")
    # a chained residual with a banded Jacobian
    n = 8

    def chain(x: Any) -> Any:
        return fnp.concatenate([10 * (x[1:] - x[:-1] ** 2), 1 - x[:-1]])

    x0 = np.linspace(-1.0, 0.5, n)
    ms = gauss_newton(chain, mode="sparse")(x0)
    md = gauss_newton(chain)(x0)
    assert ms.mode == "sparse" and sp.issparse(ms.jac) and sp.issparse(ms.hess)
    assert ms.jac.nnz == 3 * (n - 1)  # the detected pattern: two per row, then one
    np.testing.assert_allclose(ms.hess.toarray(), md.H_flat, rtol=1e-12, atol=1e-12)
    v = np.arange(n, dtype=float)
    np.testing.assert_allclose(ms.hvp(v), md.H_flat @ v, rtol=1e-12)
    np.testing.assert_allclose(ms.newton_step(tol=1e-13), md.newton_step(), rtol=1e-7)


# -- levenberg_marquardt: NIST StRD ---------------------------------------------

# (problem, start): every start1 and start2 but BoxBOD from (1, 1), which runs
# to the plateau b2 -> inf (a minimum at infinity; scipy's MINPACK too)
CASES = [(name, start) for name in PROBLEMS for start in (1, 2) if (name, start) != ("BoxBOD", 1)]
# Nielsen's damping update reaches them too, but for MGH10 from start 1
NIELSEN = [c for c in CASES if c != ("MGH10", 1)]


@pytest.mark.parametrize(("name", "start"), CASES, ids=[f"{n}-start{s}" for n, s in CASES])
def test_lm_reaches_the_certified_values(name: str, start: int) -> None:
    prob = PROBLEMS[name]
    x0 = np.array(prob.start1 if start == 1 else prob.start2)
    res = levenberg_marquardt(prob.residual, x0, maxiter=1000)
    assert res.success, res.message
    digits = digits_matched(res.x, prob.certified)
    assert digits >= 6.0, (res.x, prob.certified)
    np.testing.assert_allclose(2 * res.fun, prob.rss, rtol=1e-9)
    assert res.nfev == res.nit + 1
    assert res.njev == int(res.history_array("accepted")[1:].sum()) + 1
    # scipy's MINPACK LM on the same problem (exact Jacobian from funcdiff): where
    # it reaches the certified values, so must we (no claim on who is faster)
    so = pytest.importorskip("scipy.optimize")
    jac = fd.jacfwd(prob.residual)
    ref = so.least_squares(
        prob.residual_np,
        x0,
        jac=lambda b: np.asarray(jac(np.asarray(b))),
        method="lm",
        xtol=1e-15,
        ftol=1e-15,
        gtol=1e-15,
    )
    if digits_matched(ref.x, prob.certified) >= 6.0:
        assert digits >= 6.0


@pytest.mark.parametrize(("name", "start"), NIELSEN, ids=[f"{n}-start{s}" for n, s in NIELSEN])
def test_lm_nielsen_reaches_the_certified_values(name: str, start: int) -> None:
    prob = PROBLEMS[name]
    x0 = np.array(prob.start1 if start == 1 else prob.start2)
    res = levenberg_marquardt(prob.residual, x0, update="nielsen", maxiter=1000)
    assert res.success, res.message
    assert digits_matched(res.x, prob.certified) >= 6.0
    assert all(rec.radius is None for rec in res.history)


def test_lm_nist_coverage() -> None:
    """At least 5 problems from start 1, at least 2 of them of higher difficulty."""
    start1 = [n for n, s in CASES if s == 1]
    assert len(start1) >= 5
    assert sum(PROBLEMS[n].difficulty == "higher" for n in start1) >= 2


# -- levenberg_marquardt: behaviour ----------------------------------------------


def rosen_residual(x: Any) -> Any:
    return fnp.stack([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])


def test_lm_zero_residual_converges_fast_and_exactly() -> None:
    res = levenberg_marquardt(rosen_residual, [-1.2, 1.0])
    assert res.success
    np.testing.assert_allclose(res.x, [1.0, 1.0], rtol=1e-12)
    assert res.fun < 1e-25 and res.nit < 30
    assert res.method == "levenberg-marquardt"


def test_lm_pytree_x0_jit_and_history() -> None:
    def res_tree(p: dict[str, Any]) -> Any:
        return p["a"] * fnp.exp(p["b"] * T) - Y

    p0 = {"a": 1.0, "b": -0.2}
    r1 = levenberg_marquardt(res_tree, p0)
    r2 = levenberg_marquardt(res_tree, p0, jit=True)
    r3 = levenberg_marquardt(expfit, X0)
    assert r1.success and r2.success and r3.success
    assert set(r1.x) == {"a", "b"}
    np.testing.assert_allclose([r1.x["a"], r1.x["b"]], r3.x, rtol=1e-10)
    np.testing.assert_allclose([r2.x["a"], r2.x["b"]], r3.x, rtol=1e-10)
    assert r1.nit == r2.nit == r3.nit
    # the result's gradient is J^T r, ~0 at the solution; f is 1/2 |r|^2
    r = np.asarray(expfit(r3.x))
    np.testing.assert_allclose(r3.fun, 0.5 * r @ r, rtol=1e-14)
    assert r3.grad_norm < 1e-8
    h = r3.history
    assert h[0].nit == 0 and h[0].damping is None and h[1].damping is not None
    assert all(rec.f <= prev.f for prev, rec in itertools.pairwise(h))
    for rec in h[1:]:  # the trust region takes a step when rho > 1e-4, as MINPACK
        assert (rec.rho is not None and rec.rho > 1e-4) == rec.accepted
    assert r3.history_array("x").shape == (r3.nit + 1, 2)


def test_lm_first_step_is_the_damped_gauss_newton_step() -> None:
    # Nielsen without scaling starts from mu = mu0 max diag(J^T J): its first step
    # is the Gauss-Newton model's newton_step(damping=mu)
    res = levenberg_marquardt(expfit, X0, update="nielsen", scale=False, maxiter=1)
    m = gauss_newton(expfit)(X0)
    mu = res.history[1].damping
    assert mu == pytest.approx(1e-3 * float(np.max(np.diag(m.H_flat))), rel=1e-14)
    np.testing.assert_allclose(res.x - X0, m.newton_step(damping=mu), rtol=1e-10)
    assert res.history[1].predicted == pytest.approx(
        float(m.predicted_decrease(res.x - X0)), rel=1e-9
    )


def test_lm_verbose_table(capsys: pytest.CaptureFixture[str]) -> None:
    levenberg_marquardt(expfit, X0, verbose=True)
    out = capsys.readouterr().out
    assert out.startswith("levenberg-marquardt: n = 2")
    header = out.splitlines()[1].split()
    assert header[-2:] == ["mu", "ok"] and "rho" in header
    assert "evals: f" in out and "jac" in out


def test_lm_rejected_steps_grow_the_damping() -> None:
    # MGH09 from start 1: far away, many steps are rejected on the way
    prob = PROBLEMS["MGH09"]
    res = levenberg_marquardt(prob.residual, np.array(prob.start1), update="nielsen")
    acc = res.history_array("accepted")
    mu = res.history_array("damping")
    rejected = np.flatnonzero(~acc[1:-1]) + 1
    assert rejected.size > 0
    for i in rejected:
        assert mu[i + 1] > mu[i]
    # the trust region shrinks its radius instead, and its step fits the radius
    res = levenberg_marquardt(prob.residual, np.array(prob.start1), maxiter=1000)
    acc = res.history_array("accepted")
    radius = res.history_array("radius")
    rejected = np.flatnonzero(~acc[1:-1]) + 1
    assert rejected.size > 0
    for i in rejected:
        assert radius[i + 1] < radius[i]
    assert np.all(res.history_array("damping")[1:] >= 0)


def test_lm_underdetermined_and_unscaled() -> None:
    # one equation, three unknowns: jacrev, any solution of the equation will do
    res = levenberg_marquardt(lambda x: fnp.stack([x @ x - 4.0]), [1.0, 0.5, 0.2])
    assert res.success and abs(np.linalg.norm(res.x) - 2.0) < 1e-9
    res2 = levenberg_marquardt(expfit, X0, scale=False)
    np.testing.assert_allclose(res2.x, levenberg_marquardt(expfit, X0).x, rtol=1e-8)


def test_lm_callback_and_maxiter() -> None:
    seen: list[int] = []
    res = levenberg_marquardt(expfit, X0, callback=lambda rec: seen.append(rec.nit) or rec.nit >= 2)
    assert res.nit == 2 and not res.success and "callback" in res.message
    assert seen == [0, 1, 2]
    res = levenberg_marquardt(expfit, X0, maxiter=1)
    assert res.nit == 1 and not res.success


def test_lm_errors() -> None:
    with pytest.raises(ShapeError, match=r"vector.*shape \(\).*minimize"):
        levenberg_marquardt(half_sq, X0)
    with pytest.raises(ShapeError, match="ravel"):
        levenberg_marquardt(lambda x: fnp.outer(x, x), X0)
    with pytest.raises(ValueError, match="xtol"):
        levenberg_marquardt(expfit, X0, xtol=-1.0)
    with pytest.raises(ValueError, match="jac must be"):
        levenberg_marquardt(expfit, X0, jac="central")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="update must be"):
        levenberg_marquardt(expfit, X0, update="more")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mu0"):
        levenberg_marquardt(expfit, X0, mu0=0.0)
    with pytest.raises(TypeError, match="callable"):
        levenberg_marquardt(None, X0)  # type: ignore[arg-type]

"""Tests for funcdiff.optimize (and its scipy adapter, funcdiff.optimize.scipy_objective)."""

from __future__ import annotations

import math
import sys
import warnings
from typing import Any

import numpy as np
import pytest

import funcdiff.numpy as fnp
from funcdiff import optimize as O
from funcdiff.optimize import (
    HISTORY_FIELDS,
    OptimizeResult,
    _trust_region,
    bfgs,
    gradient_descent,
    minimize,
    newton,
    scipy_objective,
    solve_trust_region_exact,
    steihaug_cg,
    trust_region,
)
from funcdiff.quadratic import taylor2

ONES = np.ones(2)
X0 = [-1.2, 1.0]


def rosen(x: Any) -> Any:
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def rosen_chain(x: Any) -> Any:
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def saddle(x: Any) -> Any:
    # minima at (0, +-1) with f = -1/4, a saddle at (0, 0)
    return x[0] ** 2 + x[1] ** 4 / 4 - x[1] ** 2 / 2


def spd(n: int, seed: int = 0) -> np.ndarray:
    A = np.random.default_rng(seed).standard_normal((n, n))
    return A @ A.T + 0.5 * np.eye(n)


# ---------------------------------------------------------------------------
# convergence targets
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize(
    "method, opts",
    [
        ("newton", {}),
        ("newton", {"safeguard": "eigen"}),
        ("trust-region", {"subproblem": "exact"}),
        ("trust-region", {"subproblem": "cg"}),
    ],
)
def test_rosenbrock_second_order_methods_converge(
    method: str, opts: dict[str, Any], jit: bool
) -> None:
    res = minimize(rosen, X0, method=method, jit=jit, **opts)
    assert res.success, res.message
    assert res.nit < 50
    assert np.linalg.norm(res.x - ONES) < 1e-8
    assert res.grad_norm < 1e-8
    assert np.linalg.norm(res.grad) == pytest.approx(res.grad_norm)
    assert res.fun < 1e-16


def test_rosenbrock_iteration_counts_are_stable() -> None:
    # the numbers quoted in the report: a regression guard
    assert newton(rosen, X0).nit == 21
    assert trust_region(rosen, X0).nit == 26
    assert trust_region(rosen, X0, subproblem="cg").nit == 30


def test_bfgs_converges_and_gd_makes_progress() -> None:
    f0 = float(rosen(np.array(X0)))
    for ls in ("wolfe", "armijo"):
        res = bfgs(rosen, X0, line_search=ls)
        assert res.success, res.message
        assert np.linalg.norm(res.x - ONES) < 1e-6
        assert res.nhev == 0 and res.nhvp == 0
    res = gradient_descent(rosen, X0, maxiter=300)
    assert not res.success and res.nit == 300
    assert res.message == "maximum number of iterations reached"
    assert res.fun < f0 / 10
    f = res.history_array("f")
    assert np.all(np.diff(f) <= 0)


def test_gd_fixed_step_and_divergence() -> None:
    res = gradient_descent(lambda x: (x**2).sum(), np.ones(3), lr=0.1, line_search=None)
    assert res.success and np.allclose(res.x, 0, atol=1e-8)
    assert np.allclose(res.history_array("alpha")[1:], 0.1)
    with np.errstate(over="ignore", invalid="ignore"):
        bad = gradient_descent(
            lambda x: (x**2).sum(), np.ones(3), lr=1.5, line_search=None, maxiter=5000
        )
    assert not bad.success
    assert "diverged" in bad.message


def test_convex_quadratic_newton_one_step() -> None:
    n = 6
    A, b = spd(n), np.arange(1.0, n + 1)
    xstar = np.linalg.solve(A, b)

    def q(x: Any) -> Any:
        return 0.5 * x @ A @ x - b @ x

    for jit in (False, True):
        res = newton(q, np.zeros(n), jit=jit)
        assert res.nit == 1 and res.success
        np.testing.assert_allclose(res.x, xstar, rtol=1e-10, atol=1e-12)
        assert res.history[1].alpha == 1.0 and res.history[1].damping == 0.0
        # the model is exact: predicted decrease == actual decrease
        assert res.history[1].predicted == pytest.approx(res.history[1].actual, rel=1e-10)
    # a trust region big enough holds the Newton step: one step as well
    res = trust_region(q, np.zeros(n), radius=1e3)
    assert res.nit == 1 and res.success
    np.testing.assert_allclose(res.x, xstar, rtol=1e-10, atol=1e-12)
    assert res.history[1].rho == pytest.approx(1.0)


# ---------------------------------------------------------------------------
# trust-region subproblems
# ---------------------------------------------------------------------------


def _model(g: np.ndarray, H: np.ndarray, p: np.ndarray) -> float:
    return float(g @ p + 0.5 * p @ H @ p)


def test_subproblems_agree_when_newton_step_is_inside() -> None:
    H, g = spd(5, 1), np.linspace(-1.0, 1.0, 5)
    newton_p = np.linalg.solve(H, -g)
    radius = 2 * float(np.linalg.norm(newton_p))
    ex = solve_trust_region_exact(g, H, radius)
    cg = steihaug_cg(g, lambda v: H @ v, radius, rtol=1e-12)
    assert not ex.hits_boundary and not cg.hits_boundary
    assert ex.lam == 0.0
    np.testing.assert_allclose(ex.p, newton_p, rtol=1e-10)
    np.testing.assert_allclose(cg.p, ex.p, rtol=1e-8, atol=1e-12)


def test_subproblems_agree_for_small_radius() -> None:
    # as the radius shrinks both tend to the scaled steepest-descent step
    H = np.array([[2.0, 0.5], [0.5, -1.0]])
    g = np.array([1.0, 0.3])
    r = 1e-4
    ex = solve_trust_region_exact(g, H, r)
    cg = steihaug_cg(g, lambda v: H @ v, r)
    cauchy = -r * g / np.linalg.norm(g)
    assert ex.hits_boundary and cg.hits_boundary
    np.testing.assert_allclose(ex.p, cauchy, atol=r * 1e-3)
    np.testing.assert_allclose(cg.p, cauchy, atol=r * 1e-3)
    assert np.linalg.norm(ex.p) == pytest.approx(r, rel=1e-9)


@pytest.mark.parametrize("seed", range(12))
def test_exact_subproblem_optimality_conditions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 7))
    A = rng.standard_normal((n, n))
    H = A + A.T  # usually indefinite
    g = rng.standard_normal(n)
    radius = float(rng.uniform(0.1, 3.0))
    r = solve_trust_region_exact(g, H, radius)
    lam = r.lam
    assert lam is not None and lam >= 0
    np.testing.assert_allclose((H + lam * np.eye(n)) @ r.p, -g, atol=1e-7)
    assert np.linalg.eigvalsh(H + lam * np.eye(n))[0] >= -1e-9
    pn = float(np.linalg.norm(r.p))
    assert pn <= radius * (1 + 1e-9)
    if lam > 0:
        assert pn == pytest.approx(radius, rel=1e-8)
    # the exact solution is the global minimizer: CG and random feasible points do not beat it
    cg = steihaug_cg(g, lambda v: H @ v, radius, rtol=1e-12)
    assert _model(g, H, r.p) <= _model(g, H, cg.p) + 1e-10
    for _ in range(50):
        d = rng.standard_normal(n)
        p = d / np.linalg.norm(d) * radius * rng.uniform() ** (1 / n)
        assert _model(g, H, r.p) <= _model(g, H, p) + 1e-10


def test_exact_subproblem_hard_case() -> None:
    H = np.diag([-2.0, 1.0, 3.0])
    g = np.array([0.0, 1.0, 1.0])  # no component on the negative-curvature eigenvector
    r = solve_trust_region_exact(g, H, 2.0)
    assert r.hard_case and r.hits_boundary and r.lam == pytest.approx(2.0)
    assert np.linalg.norm(r.p) == pytest.approx(2.0)
    np.testing.assert_allclose(r.p[1:], [-1 / 3, -1 / 5])
    assert abs(r.p[0]) > 1.0  # the step goes along e_0
    # a zero gradient at a saddle: the step follows the negative curvature direction
    r0 = solve_trust_region_exact(np.zeros(3), H, 0.5)
    assert r0.hard_case and np.allclose(np.abs(r0.p), [0.5, 0, 0])


def test_steihaug_negative_curvature_goes_to_boundary() -> None:
    H = np.diag([1.0, -1.0])
    r = steihaug_cg(np.array([0.0, 1.0]), lambda v: H @ v, 3.0)
    assert r.negative_curvature and r.hits_boundary
    np.testing.assert_allclose(r.p, [0.0, -3.0])


def test_trust_region_exact_and_cg_reach_same_minimizer() -> None:
    # chained Rosenbrock, n = 5: a global minimum at ones and a local one near
    # x_1 = -0.96; from zero both solvers find the global one (from other starts
    # they may part ways: each is a local method)
    x0 = np.zeros(5)
    a = trust_region(rosen_chain, x0, subproblem="exact")
    b = trust_region(rosen_chain, x0, subproblem="cg")
    assert a.success and b.success
    np.testing.assert_allclose(a.x, np.ones(5), atol=1e-8)
    np.testing.assert_allclose(a.x, b.x, atol=1e-8)
    assert a.nit < b.nit  # the exact solver takes better steps
    assert a.method == "trust region (exact)" and b.method == "trust region (cg)"
    assert a.nhev == a.nit - _rejected(a) + 1 and a.nhvp == 0
    assert b.nhev == 0 and b.nhvp > 0


def _rejected(res: OptimizeResult) -> int:
    return int(np.sum(~res.history_array("accepted")))


def test_trust_region_auto_is_matrix_free_for_large_n(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_trust_region, "EXACT_MAX_N", 4)  # where trust_region reads it
    res = trust_region(lambda x: fnp.sum(fnp.exp(x) - 2 * x) + fnp.sum(x**2), np.zeros(6))
    assert res.method == "trust region (cg)" and res.success
    assert res.nhev == 0 and res.nhvp > 0
    res2 = trust_region(lambda x: fnp.sum(fnp.exp(x) - 2 * x), np.zeros(3))
    assert res2.method == "trust region (exact)"


# ---------------------------------------------------------------------------
# indefinite Hessians
# ---------------------------------------------------------------------------


def test_pure_newton_heads_for_the_saddle() -> None:
    m = taylor2(saddle)(np.array([1.0, 0.1]))
    assert not m.is_convex
    p = m.newton_step(on_nonconvex="ignore")
    # the model's stationary point is near the saddle (0, 0)
    assert np.linalg.norm(np.array([1.0, 0.1]) + p) < 0.01


@pytest.mark.parametrize("safeguard", ["cholesky", "eigen"])
def test_newton_safeguard_escapes_the_saddle(safeguard: str) -> None:
    res = newton(saddle, [1.0, 0.1], safeguard=safeguard)  # type: ignore[arg-type]
    assert res.success
    assert res.fun == pytest.approx(-0.25)
    np.testing.assert_allclose(np.abs(res.x), [0.0, 1.0], atol=1e-8)
    damping = res.history_array("damping")
    assert damping[1] > 0  # H was indefinite at the start: modified
    assert damping[-1] == 0  # pure Newton near the minimum
    assert np.all(np.diff(res.history_array("f")) <= 0)


def test_trust_region_handles_indefinite_start_and_exact_saddle() -> None:
    for sub in ("exact", "cg"):
        res = trust_region(saddle, [1.0, 0.1], subproblem=sub)
        assert res.success and res.fun == pytest.approx(-0.25)
    # starting exactly at the saddle: g = 0, but H has negative curvature
    res = trust_region(saddle, [0.0, 0.0])
    assert res.success and res.nit >= 1 and res.fun == pytest.approx(-0.25)
    stuck = trust_region(saddle, [0.0, 0.0], escape_saddles=False)
    assert stuck.nit == 0 and stuck.fun == 0.0


# ---------------------------------------------------------------------------
# pytrees
# ---------------------------------------------------------------------------

TARGET_W = np.arange(6.0).reshape(2, 3) / 4


def tree_loss(p: dict[str, Any]) -> Any:
    return fnp.sum((p["w"] - TARGET_W) ** 2) + (p["b"] - 3.0) ** 2 + 0.01 * fnp.sum(p["w"] ** 4)


@pytest.mark.parametrize("method", ["newton", "trust-region", "bfgs", "gd"])
def test_pytree_round_trip(method: str) -> None:
    x0 = {"w": np.zeros((2, 3)), "b": 0.0}
    res = minimize(tree_loss, x0, method=method, maxiter=5000)
    assert res.success, res.message
    assert isinstance(res.x, dict) and set(res.x) == {"w", "b"}
    assert res.x["w"].shape == (2, 3) and np.shape(res.x["b"]) == ()
    assert res.x["w"].dtype == np.float64
    assert isinstance(res.grad, dict) and res.grad["w"].shape == (2, 3)
    assert float(res.x["b"]) == pytest.approx(3.0, abs=1e-7)
    # same answer as the flat problem
    flat = minimize(lambda z: tree_loss(res.unravel(z)), res.x_flat * 0, method="newton")
    np.testing.assert_allclose(res.x_flat, flat.x, atol=1e-6)
    assert res.unravel(res.x_flat)["w"].shape == (2, 3)
    # history iterates are flat; unravel maps them back
    xs = res.history_array("x")
    assert xs.shape == (len(res.history), 7)
    assert res.unravel(xs[0])["w"].shape == (2, 3)


def test_tuple_and_int_x0() -> None:
    res = newton(lambda p: (p[0] - 1.0) ** 2 + (p[1] + 1.0) ** 4, (0, 0.5))
    assert isinstance(res.x, tuple) and len(res.x) == 2
    assert float(res.x[0]) == pytest.approx(1.0)
    res2 = newton(lambda x: ((x - 2.0) ** 2).sum(), np.array([0, 1]))  # int array is cast
    assert res2.x.dtype == np.float64 and np.allclose(res2.x, 2.0)


# ---------------------------------------------------------------------------
# history
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["newton", "trust-region", "bfgs", "gd"])
def test_history_fields(method: str) -> None:
    res = minimize(rosen, X0, method=method, maxiter=60)
    h = res.history
    assert len(h) == res.nit + 1
    assert [r.nit for r in h] == list(range(res.nit + 1))
    first = h[0]
    assert first.step_norm is None and first.predicted is None and first.actual is None
    assert first.x is not None
    np.testing.assert_allclose(first.x, np.array(X0))
    assert first.f == pytest.approx(24.2)
    cols = res.history_columns()
    assert set(cols) == (set(HISTORY_FIELDS) - {"x"}) | {"x[0]", "x[1]"}
    assert cols["x[0]"].shape == (res.nit + 1,)
    np.testing.assert_array_equal(res.history_array("x")[:, 1], cols["x[1]"])
    assert np.all(np.diff(cols["time"]) >= 0)
    for name in ("f", "grad_norm", "step_norm", "predicted", "actual", "rho"):
        assert cols[name].shape == (res.nit + 1,)
        assert np.all(np.isfinite(cols[name][1:])), name
    np.testing.assert_allclose(cols["rho"][1:], cols["actual"][1:] / cols["predicted"][1:])
    assert np.all(cols["predicted"][1:] > 0)
    f = cols["f"]
    accepted = cols["accepted"]
    if method == "trust-region":
        assert np.all(np.isfinite(cols["radius"]))
        assert np.all(np.isnan(cols["alpha"]))
        # rejected steps do not move x; accepted ones move it by the step
        xs = res.history_array("x")
        for k in range(1, len(h)):
            moved = np.linalg.norm(xs[k] - xs[k - 1])
            if accepted[k]:
                assert moved == pytest.approx(cols["step_norm"][k], rel=1e-12)
                assert cols["rho"][k] > 0.15
                assert f[k - 1] - f[k] == pytest.approx(cols["actual"][k], rel=1e-9, abs=1e-14)
            else:
                assert moved == 0.0 and cols["rho"][k] <= 0.15
        assert not accepted.all()  # Rosenbrock from (-1.2, 1) rejects some steps
    else:
        assert accepted.all()
        assert np.all(np.isnan(cols["radius"]))
        assert np.all(cols["alpha"][1:] > 0)
        xs = res.history_array("x")
        np.testing.assert_allclose(
            np.linalg.norm(np.diff(xs, axis=0), axis=1),
            cols["step_norm"][1:],
            rtol=1e-9,
            atol=1e-15,
        )
        np.testing.assert_allclose(-np.diff(f), cols["actual"][1:], rtol=1e-9, atol=1e-14)
    # every method here is monotone on the accepted iterates
    assert np.all(np.diff(f) <= 1e-15)
    assert res.path().shape[0] == int(accepted.sum())
    assert res.history[-1].f == res.fun


def test_history_keep_x_false_and_bad_column() -> None:
    res = newton(rosen, X0, keep_x=False)
    assert all(r.x is None for r in res.history)
    with pytest.raises(ValueError, match="keep_x"):
        res.history_array("x")
    assert not any(k.startswith("x") for k in res.history_columns())
    with pytest.raises(KeyError, match="unknown column 'fun'"):
        res.history_array("fun")


def test_newton_prediction_is_taylor_model() -> None:
    res = newton(rosen, X0)
    h = res.history
    xs = res.history_array("x")
    for k in range(1, len(h)):
        m = taylor2(rosen)(xs[k - 1])
        step = xs[k] - xs[k - 1]
        assert h[k].predicted == pytest.approx(float(m.predicted_decrease(step)), rel=1e-9)
    # near the solution the model is excellent: rho -> 1
    assert h[-1].rho == pytest.approx(1.0, abs=1e-3)


# ---------------------------------------------------------------------------
# counts, jit, verbose, callback, front door, errors
# ---------------------------------------------------------------------------


def test_evaluation_counts() -> None:
    res = newton(rosen, X0)
    assert res.ngev == res.nhev == res.nit + 1  # one taylor2 model per iterate
    assert res.nfev > res.ngev  # line-search trial evaluations
    res = bfgs(rosen, X0)
    assert res.nfev == res.ngev  # Wolfe search: value and gradient together
    res = trust_region(rosen, X0)
    accepted = int(res.history_array("accepted")[1:].sum())
    assert res.ngev == accepted + 1
    assert res.nfev == res.nit + accepted + 1  # one trial f per iteration + models


@pytest.mark.parametrize("method", ["newton", "trust-region", "bfgs", "gd"])
def test_jit_gives_the_same_iterates(method: str) -> None:
    a = minimize(rosen, X0, method=method, maxiter=40)
    b = minimize(rosen, X0, method=method, maxiter=40, jit=True)
    assert a.nit == b.nit
    np.testing.assert_allclose(a.history_array("x"), b.history_array("x"), rtol=1e-9, atol=1e-12)


def test_verbose_prints_table(capsys: pytest.CaptureFixture[str]) -> None:
    trust_region(rosen, X0, verbose=True)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("trust region (exact): n = 2")
    header = lines[1]
    for col in ("iter", "f(x)", "|grad|", "|step|", "predicted", "actual", "rho", "radius"):
        assert col in header
    assert "converged" in out and "success: True" in out
    assert sum(1 for ln in lines if ln.strip()[:1].isdigit()) >= 27
    newton(rosen, X0)
    assert capsys.readouterr().out == ""


def test_callback_can_stop() -> None:
    seen: list[int] = []

    def cb(rec: O.IterationRecord) -> bool:
        seen.append(rec.nit)
        return rec.nit >= 3

    res = bfgs(rosen, X0, callback=cb)
    assert res.nit == 3 and not res.success and res.message == "stopped by the callback"
    assert seen == [0, 1, 2, 3]


def test_minimize_front_door() -> None:
    for name in ("trust_region", "Trust-Region", "gradient_descent", "gd", "BFGS", "newton"):
        res = minimize(lambda x: ((x - 1.0) ** 2).sum(), [0.0, 0.0], method=name)
        assert res.success, name
    with pytest.raises(ValueError, match="unknown method 'lbfgs'"):
        minimize(rosen, X0, method="lbfgs")
    with pytest.raises(TypeError):
        minimize(rosen, X0, method="newton", radius=2.0)
    rs = O.compare(rosen, X0, methods=("newton", "trust-region"))
    assert list(rs) == ["newton", "trust-region"] and all(r.success for r in rs.values())
    assert "newton: converged" in str(rs["newton"])


def test_bad_input_errors() -> None:
    with pytest.raises(ValueError, match=r"f\(x0\) = nan"), np.errstate(invalid="ignore"):
        newton(lambda x: fnp.log(x).sum(), np.array([-1.0, 1.0]))
    with pytest.raises(TypeError, match="f must be a callable"):
        bfgs(3.0, X0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="dtype complex128"):
        newton(rosen, np.array([1j, 1.0]))
    with pytest.raises(ValueError, match="no array leaves"):
        newton(rosen, {})
    with pytest.raises(ValueError, match="radius must be > 0"):
        trust_region(rosen, X0, radius=0.0)
    with pytest.raises(ValueError, match="eta"):
        trust_region(rosen, X0, eta=0.5)
    with pytest.raises(ValueError, match="subproblem"):
        trust_region(rosen, X0, subproblem="dogleg")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lr > 0"):
        gradient_descent(rosen, X0, line_search=None)
    with pytest.raises(ValueError, match="c1 < c2"):
        bfgs(rosen, X0, c1=0.5, c2=0.1)
    with pytest.raises(ValueError, match="safeguard"):
        newton(rosen, X0, safeguard="abs")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tol"):
        newton(rosen, X0, tol=-1.0)
    with pytest.raises(Exception, match="scalar"):
        newton(lambda x: x * 2, X0)


def test_maxiter_zero_and_start_at_minimum() -> None:
    res = trust_region(rosen, X0, maxiter=0)
    assert res.nit == 0 and not res.success and len(res.history) == 1
    res = newton(rosen, [1.0, 1.0])
    assert res.nit == 0 and res.success and res.fun == 0.0


def test_larger_problem_bfgs_and_newton_agree() -> None:
    x0 = np.full(8, -1.0)
    a = newton(rosen_chain, x0)
    b = bfgs(rosen_chain, x0, jit=True)
    c = trust_region(rosen_chain, x0, jit=True)
    for r in (a, b, c):
        assert r.success, r.message
        np.testing.assert_allclose(r.x, np.ones(8), atol=1e-7)
    assert a.nit < c.nit < b.nit  # Newton < trust region < BFGS in iterations here


# ---------------------------------------------------------------------------
# the scipy adapter
# ---------------------------------------------------------------------------


@pytest.fixture
def scipy_optimize() -> Any:
    return pytest.importorskip("scipy.optimize")


def test_scipy_trust_ncg_converges_with_shared_evaluations(scipy_optimize: Any) -> None:
    obj = scipy_objective(rosen, method="trust-ncg")
    assert set(obj) == {"fun", "jac", "hessp", "method"}
    res = scipy_optimize.minimize(**obj, x0=np.array(X0), options={"gtol": 1e-10})
    assert res.success
    np.testing.assert_allclose(res.x, ONES, atol=1e-8)
    c = obj.counts
    assert c.fun_calls == res.nfev and c.jac_calls == res.njev
    # fun then jac at the same point: one value_and_grad
    assert c.value_and_grad == c.fun_calls
    assert c.value_and_grad < c.fun_calls + c.jac_calls
    assert c.jac_calls > 10
    # one taylor2 linearization per point that needed Hessian-vector products
    assert c.linearize <= c.jac_calls < c.hvp
    # against BFGS with finite-difference gradients: many more f evaluations
    plain = scipy_optimize.minimize(rosen, np.array(X0), method="BFGS")
    assert plain.nfev > 2 * c.value_and_grad


def test_scipy_bfgs_counts_one_evaluation_per_point(scipy_optimize: Any) -> None:
    obj = scipy_objective(rosen, method="BFGS")
    assert set(obj) == {"fun", "jac", "method"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "method does not use hess" warning
        res = scipy_optimize.minimize(**obj, x0=np.array(X0))
    assert res.success
    c = obj.counts
    assert c.value_and_grad == max(c.fun_calls, c.jac_calls)
    plain = scipy_optimize.minimize(rosen, np.array(X0), method="BFGS")
    assert plain.nfev >= 2 * c.value_and_grad
    obj.reset_counts()
    assert obj.counts.fun_calls == 0
    obj["fun"](np.array(X0))
    assert obj.counts.fun_calls == 1


def test_scipy_all_callables_pytree_and_jit(scipy_optimize: Any) -> None:
    def loss(p: dict[str, Any]) -> Any:
        return rosen(fnp.stack([p["a"], p["b"]]))

    for jit in (False, True):
        obj = scipy_objective(loss, {"a": -1.2, "b": 1.0}, jit=jit)
        assert set(obj) == {"fun", "jac", "hess", "hessp"}
        assert obj.x0 is not None
        np.testing.assert_allclose(obj.x0, X0)
        x = np.array([0.3, -0.2])
        H = obj["hess"](x)
        np.testing.assert_allclose(obj["hessp"](x, np.array([1.0, 2.0])), H @ [1.0, 2.0])
        g = obj["jac"](x)
        np.testing.assert_allclose(g, [2 * 0.3 - 2 - 400 * 0.3 * (-0.2 - 0.09), 200 * (-0.29)])
        no_hessp = {k: v for k, v in obj.items() if k != "hessp"}
        res = scipy_optimize.minimize(**no_hessp, x0=obj.x0, method="trust-exact")
        assert res.success
        sol = obj.unravel(res.x)
        assert set(sol) == {"a", "b"} and float(sol["a"]) == pytest.approx(1.0, abs=1e-6)


def test_scipy_minimize_helper_and_errors(
    scipy_optimize: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = O.scipy_minimize(tree_loss, {"w": np.zeros((2, 3)), "b": 0.0})
    assert res.success and res.x_tree["w"].shape == (2, 3)
    assert res.counts.value_and_grad >= 1
    with pytest.raises(ValueError, match="unknown scipy method"):
        scipy_objective(rosen, method="magic")
    obj = scipy_objective(rosen, X0)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        obj["fun"](np.zeros(3))
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    with pytest.raises(ImportError, match="scipy_minimize needs scipy"):
        O.scipy_minimize(rosen, X0)


def test_scipy_cache_is_keyed_on_the_point() -> None:
    obj = scipy_objective(lambda x: (x**2).sum())
    x = np.array([1.0, 2.0])
    assert obj["fun"](x) == 5.0
    x[0] = 3.0  # scipy may reuse its buffer: the cache must not be fooled
    assert obj["fun"](x) == 13.0
    assert obj.counts.value_and_grad == 2
    np.testing.assert_allclose(obj["jac"](x), [6.0, 4.0])
    assert obj.counts.value_and_grad == 2
    assert math.isclose(obj["fun"](x.copy()), 13.0) and obj.counts.value_and_grad == 2


def test_scipy_adapter_is_a_deprecated_alias() -> None:
    import funcdiff.scipy_adapter as old

    for name in ("EvalCounts", "ScipyObjective", "scipy_minimize", "scipy_objective"):
        with pytest.warns(DeprecationWarning, match=f"import {name} from funcdiff.optimize"):
            assert getattr(old, name) is getattr(O, name)
    with pytest.raises(AttributeError):
        old.nothing  # noqa: B018

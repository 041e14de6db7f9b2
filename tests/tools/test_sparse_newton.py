"""Sparse quadratic models and solvers (issue 11 item 3): ``taylor2(f, sparse=True)``,
``sparse_ldl`` (positive-definiteness by factorization), ``newton(hessian="sparse")``,
``trust_region(hessian="sparse")`` and the scipy adapter's sparse Hessian.

The sparse model must equal the dense one (value, gradient, Hessian entries,
Newton step), the sparse shifted Newton step must equal the dense Cholesky
safeguard's, and the sparse solvers must take the same iterations as the
dense ones on chained Rosenbrock."""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import optimize as opt
from funcdiff.optimize._newton import _modified_newton_direction
from funcdiff.quadratic import (
    MatrixFreeError,
    NonConvexModelWarning,
    sparse_ldl,
    sparse_shifted_newton,
)

sp = pytest.importorskip("scipy.sparse")


def rosen(x: Any) -> Any:
    """Chained Rosenbrock: a tridiagonal Hessian, minimum at x = 1."""
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()


N = 50
PD_POINT = np.full(N, 1.2) + 0.05 * np.cos(np.arange(N))  # H positive definite
INDEFINITE_POINT = np.full(N, 0.9)  # smallest eigenvalue about -11


def _models(x: np.ndarray) -> tuple[Any, Any]:
    return fd.taylor2(rosen, matrix_free=False)(x), fd.taylor2(rosen, sparse=True)(x)


@pytest.mark.parametrize("x", [PD_POINT, INDEFINITE_POINT], ids=["pd", "indefinite"])
def test_sparse_model_equals_dense(x: np.ndarray) -> None:
    md, ms = _models(x)
    assert ms.mode == "sparse" and md.mode == "dense"
    assert isinstance(ms.hess, sp.csr_array) and ms.H_flat is ms.hess
    assert ms.hess.nnz == 3 * N - 2  # the pattern: tridiagonal
    assert float(ms.value) == pytest.approx(float(md.value), rel=1e-14)
    np.testing.assert_allclose(ms.g_flat, md.g_flat, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(ms.hess.toarray(), md.H_flat, rtol=0, atol=1e-12)
    assert (ms.hess - ms.hess.T).nnz == 0  # exactly symmetric
    v = np.sin(np.arange(N) + 1.0)
    np.testing.assert_allclose(ms.hvp(v), md.hvp(v), rtol=1e-13, atol=1e-10)
    assert float(ms.predicted_decrease(v)) == pytest.approx(float(md.predicted_decrease(v)))
    assert float(ms(x + v)) == pytest.approx(float(md(x + v)), rel=1e-13)
    assert float(ms.ratio(0.01 * v)) == pytest.approx(float(md.ratio(0.01 * v)), rel=1e-10)
    assert ms.is_convex == md.is_convex == (float(md.eigenvalues()[0]) > 0)
    assert ms.check().passed
    assert "mode='sparse'" in repr(ms)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonConvexModelWarning)
        pd_, info_d = md.newton_step(return_info=True)
        ps, info_s = ms.newton_step(return_info=True)
    scale = float(np.max(np.abs(pd_)))
    np.testing.assert_allclose(ps, pd_, rtol=0, atol=1e-10 * scale)
    assert info_s.is_convex == info_d.is_convex
    assert info_s.method == ("ldl" if md.is_convex else "lu")
    assert info_s.converged and info_s.residual < 1e-12
    # dense() gives the dense model back
    np.testing.assert_array_equal(ms.dense().H_flat, ms.hess.toarray())
    assert ms.dense().mode == "dense"


def test_sparse_model_nonconvex_warns_and_damping() -> None:
    ms = fd.taylor2(rosen, sparse=True)(INDEFINITE_POINT)
    assert not ms.is_convex
    with pytest.warns(NonConvexModelWarning, match="not positive definite"):
        ms.newton_step()
    with pytest.raises(fd.quadratic.NonConvexModelError):
        ms.newton_step(on_nonconvex="raise")
    md = ms.dense()
    lam = -float(md.eigenvalues()[0]) + 1.0
    p, info = ms.newton_step(damping=lam, return_info=True)
    assert info.method == "ldl" and info.is_convex
    np.testing.assert_allclose(p, md.newton_step(damping=lam), rtol=0, atol=1e-10)


def test_sparse_shift_equals_dense_cholesky_safeguard() -> None:
    """The sparse safeguard picks the same shift tau as the dense one, and the
    same step; the step is a descent direction and H + tau I is PD."""
    for x in (INDEFINITE_POINT, np.linspace(-1.0, 1.0, N), np.full(N, 0.5)):
        md, ms = _models(x)
        H = 0.5 * (md.H_flat + md.H_flat.T)
        p_d, tau_d = _modified_newton_direction(H, md.g_flat, "cholesky")
        p_s, tau_s = sparse_shifted_newton(ms.hess, ms.g_flat)
        assert tau_s == tau_d
        np.testing.assert_allclose(p_s, p_d, rtol=0, atol=1e-10 * float(np.max(np.abs(p_d))))
        assert float(ms.g_flat @ p_s) < 0
        assert float(np.linalg.eigvalsh(H + tau_s * np.eye(N))[0]) > 0
    assert tau_d > 0  # the shift path was taken (at least at the last point)


def test_newton_step_shift_option_dense_and_sparse() -> None:
    """newton_step(on_nonconvex="shift"): the safeguard's step, sparse = dense,
    no warning, info.shift the tau; a positive definite H needs no shift."""
    md, ms = _models(INDEFINITE_POINT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "shift" does not warn
        pd_, info_d = md.newton_step(on_nonconvex="shift", return_info=True)
        ps, info_s = ms.newton_step(on_nonconvex="shift", return_info=True)
    H = 0.5 * (md.H_flat + md.H_flat.T)
    p_ref, tau = _modified_newton_direction(H, md.g_flat, "cholesky")
    assert info_d.shift == info_s.shift == tau > 0
    assert (info_d.method, info_s.method) == ("cholesky", "ldl")
    assert info_d.converged and info_s.residual < 1e-12
    np.testing.assert_allclose(pd_, p_ref, rtol=0, atol=1e-12 * float(np.max(np.abs(p_ref))))
    np.testing.assert_allclose(ps, p_ref, rtol=0, atol=1e-10 * float(np.max(np.abs(p_ref))))
    assert float(md.g_flat @ ps) < 0  # a descent direction
    # with damping the shift is on top of it
    _, info = ms.newton_step(damping=1.0, on_nonconvex="shift", return_info=True)
    assert 0 < info.shift
    ms2 = fd.taylor2(rosen, sparse=True)(PD_POINT)
    _, info2 = ms2.newton_step(on_nonconvex="shift", return_info=True)
    assert info2.shift == 0.0 and info2.is_convex
    mf = fd.taylor2(rosen, matrix_free=True)(PD_POINT)
    with pytest.raises(ValueError, match="matrix-free"):
        mf.newton_step(on_nonconvex="shift")


@pytest.mark.parametrize("banded", [True, False], ids=["banded-cholesky", "splu-ldl"])
def test_sparse_ldl_decides_definiteness_like_eigenvalues(banded: bool) -> None:
    rng = np.random.default_rng(1)
    agree = 0
    for _ in range(60):
        n = int(rng.integers(2, 40))
        if banded:
            k = int(rng.integers(1, 3))
            A = np.zeros((n, n))
            for off in range(-k, k + 1):
                A += np.diag(rng.normal(size=n - abs(off)), off)
        else:
            A = sp.random(n, n, density=0.3, random_state=int(rng.integers(1 << 30))).toarray()
            A[0, -1] = A[-1, 0] = 1.0  # a wide band: splu's symmetric LDL^T route
        A = A + A.T + np.diag(rng.uniform(-1.0, 4.0) + rng.uniform(0, 1, size=n))
        w0 = float(np.linalg.eigvalsh(A)[0])
        if abs(w0) < 1e-8:
            continue
        factor, pivot = sparse_ldl(sp.csr_array(A))
        assert (factor is not None) == (w0 > 0), (n, w0, pivot)
        if factor is not None:
            b = rng.normal(size=n)
            np.testing.assert_allclose(A @ factor.solve(b), b, atol=1e-8 * np.abs(A).max())
        agree += 1
    assert agree > 40


def test_sparse_model_pytree_and_errors() -> None:
    def f(p: Any) -> Any:
        return rosen(fnp.concatenate([p["a"], p["b"]])) + (p["a"] ** 2).sum()

    x0 = {"a": np.full(5, 0.7), "b": np.full(4, 1.1)}
    ms = fd.taylor2(f, sparse=True)(x0)
    md = fd.taylor2(f, matrix_free=False)(x0)
    np.testing.assert_allclose(ms.hess.toarray(), md.H_flat, atol=1e-12)
    assert set(ms.grad) == {"a", "b"}
    np.testing.assert_allclose(ms.grad["b"], md.grad["b"], atol=1e-12)
    p = ms.newton_step(damping=100.0)
    np.testing.assert_allclose(p["a"], md.newton_step(damping=100.0)["a"], atol=1e-10)

    with pytest.raises(ValueError, match="exclude each other"):
        fd.taylor2(rosen, matrix_free=True, sparse=True)
    with pytest.raises(ValueError, match="sparse=True"):
        fd.taylor2(rosen, sparsity=np.eye(3, dtype=bool))
    ms = fd.taylor2(rosen, sparse=True)(PD_POINT)
    with pytest.raises(MatrixFreeError, match="sparse"):
        ms.eigenvalues()
    with pytest.raises(TypeError, match="cannot be traced"):
        fd.grad(lambda v: ms.curvature(v))(np.ones(N))


def test_sparse_models_share_one_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """taylor2(f, sparse=True) detects the pattern once per input structure."""
    import funcdiff.sparse._eval as ev

    calls = []
    real = ev.__dict__["hessian_sparsity"]

    def counting(*a: Any, **k: Any) -> Any:
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(ev, "hessian_sparsity", counting)
    model = fd.taylor2(rosen, sparse=True)
    for c in (0.5, 0.9, 1.3):
        model(np.full(30, c))
    assert len(calls) == 1
    model(np.full(31, 1.0))  # a new shape: a new plan
    assert len(calls) == 2
    tri = sp.diags([np.ones(29), np.ones(30), np.ones(29)], [-1, 0, 1])
    given = fd.taylor2(rosen, sparse=True, sparsity=tri)(np.full(30, 0.5))
    assert len(calls) == 2 and given.hess.nnz == 88


def test_newton_sparse_same_iterations_as_dense() -> None:
    x0 = np.full(200, 0.5)  # the shift path is needed on the way
    dense = opt.newton(rosen, x0)
    sparse = opt.newton(rosen, x0, hessian="sparse")
    assert dense.success and sparse.success
    assert sparse.nit == dense.nit
    assert max(r.damping or 0.0 for r in sparse.history) > 0
    np.testing.assert_allclose(sparse.x, 1.0, atol=1e-8)
    np.testing.assert_allclose(sparse.history_array("f"), dense.history_array("f"), rtol=1e-6)


@pytest.mark.parametrize("n", [1000, 10_000])
def test_newton_sparse_converges_large(n: int) -> None:
    res = opt.newton(rosen, np.full(n, 0.5), hessian="sparse")
    assert res.success and res.nit <= 20, (res.nit, res.message)
    np.testing.assert_allclose(res.x, 1.0, atol=1e-8)


def test_trust_region_sparse() -> None:
    x0 = np.full(200, 0.5)
    dense = opt.trust_region(rosen, x0, subproblem="cg", hessian="dense")
    sparse = opt.trust_region(rosen, x0, hessian="sparse")
    assert sparse.success and sparse.nit == dense.nit
    assert "sparse" in sparse.method
    big = opt.trust_region(rosen, np.full(10_000, 0.5), hessian="sparse")
    assert big.success
    np.testing.assert_allclose(big.x, 1.0, atol=1e-7)


def test_optimizer_option_errors() -> None:
    with pytest.raises(ValueError, match="hessian must be"):
        opt.newton(rosen, np.ones(3), hessian="diagonal")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="safeguard='eigen'"):
        opt.newton(rosen, np.ones(3), hessian="sparse", safeguard="eigen")
    with pytest.raises(ValueError, match="exact subproblem"):
        opt.trust_region(rosen, np.ones(3), hessian="sparse", subproblem="exact")
    with pytest.raises(ValueError, match="hessian must be"):
        opt.trust_region(rosen, np.ones(3), hessian="banded")  # type: ignore[arg-type]
    # old keywords unchanged: subproblem alone still picks the Hessian
    res = opt.trust_region(rosen, np.full(4, 0.5), subproblem="cg")
    assert res.success and res.method == "trust region (cg)"


def test_scipy_sparse_hessian() -> None:
    x0 = np.full(500, 0.5)
    obj = opt.scipy_objective(rosen, x0, method="trust-constr", hessian="sparse")
    H = obj["hess"](x0)
    assert isinstance(H, sp.csr_array) and H.nnz == 3 * 500 - 2
    dense = fd.hessian(rosen)(x0)
    np.testing.assert_allclose(H.toarray(), dense, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # trust-constr's "delta_grad == 0" chatter
        res = opt.scipy_minimize(
            rosen, x0, method="trust-constr", hessian="sparse", options={"gtol": 1e-10}
        )
    assert res.success
    np.testing.assert_allclose(res.x, 1.0, atol=1e-7)
    assert res.counts.hessian >= 1
    for method in ("newton-cg", "trust-ncg", "trust-krylov"):
        options = {"xtol": 1e-10} if method == "newton-cg" else {"gtol": 1e-8}
        r = opt.scipy_minimize(rosen, x0, method=method, hessian="sparse", options=options)
        assert r.success, method
        np.testing.assert_allclose(r.x, 1.0, atol=1e-5)
    for method in ("trust-exact", "dogleg"):
        with pytest.raises(ValueError, match="does not\\s+accept a scipy.sparse"):
            opt.scipy_objective(rosen, x0, method=method, hessian="sparse")
    with pytest.raises(ValueError, match="uses no Hessian"):
        opt.scipy_objective(rosen, x0, method="bfgs", hessian="sparse")


def test_full_sparse_newton_step_at_one_million() -> None:
    """Gradient, sparse Hessian, factorization and solve at n = 1,000,000.

    Measured on the 2-core machine: about 2.5 s for the first step (pattern
    detection, coloring and compilation included), 0.35 s for each later
    one, with a peak of about 19 x the size of x above the step's start."""
    n = 1_000_000
    x = np.full(n, 1.2)
    x[::3] = 1.1
    model = fd.taylor2(rosen, sparse=True)
    model(x)  # prepare: detect, color, compile
    t0 = time.perf_counter()
    m = model(x + 0.01)
    p, info = m.newton_step(flat=True, return_info=True)
    seconds = time.perf_counter() - t0
    assert info.method == "ldl" and info.is_convex
    r = m.hess @ p + m.g_flat
    assert float(np.linalg.norm(r)) <= 1e-10 * float(np.linalg.norm(m.g_flat))
    assert float(m.predicted_decrease(p)) > 0
    assert math.isfinite(seconds)

"""The trust-region method on the second-order Taylor model."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from funcdiff.optimize._loop import Run, check_common
from funcdiff.optimize._problem import EPS, Fun, LocalModel, Problem
from funcdiff.optimize._result import Callback, OptimizeResult
from funcdiff.optimize._subproblem import solve_trust_region_exact, steihaug_cg

#: ``trust_region(subproblem="auto")`` solves the subproblem exactly (dense
#: Hessian, eigendecomposition) up to this many unknowns, by Steihaug-CG
#: (matrix-free) above.
EXACT_MAX_N = 500


def _negative_curvature(m: LocalModel) -> bool:
    """The dense model's Hessian has a clearly negative eigenvalue."""
    if m.H is None or m.sparse or not np.all(np.isfinite(m.H)):
        return False
    w = np.linalg.eigvalsh(m.H)
    scale = max(float(np.max(np.abs(w))), 1.0)
    return bool(w[0] < -math.sqrt(EPS) * scale)


def trust_region(
    f: Fun,
    x0: Any,
    *,
    radius: float = 1.0,
    max_radius: float | None = None,
    eta: float = 0.15,
    subproblem: Literal["auto", "exact", "cg"] = "auto",
    hessian: Literal["auto", "dense", "sparse", "matrix_free"] = "auto",
    cg_rtol: float | None = None,
    cg_maxiter: int | None = None,
    escape_saddles: bool = True,
    tol: float = 1e-8,
    maxiter: int = 1000,
    jit: bool = False,
    verbose: bool = False,
    progress: bool = False,
    callback: Callback | None = None,
    keep_x: bool = True,
) -> OptimizeResult:
    """A trust-region method on the second-order Taylor model (``taylor2``).

    Each iteration minimizes the quadratic model ``m(p) = f + g.p + 1/2 p^T H p``
    within ``|p| <= radius`` and compares the decrease ``f`` really makes with
    the decrease the model predicted, ``rho = actual / predicted``:

    - ``rho < 1/4``: the model is poor at this scale: ``radius = |p| / 4``;
    - ``rho > 3/4`` and the step reached the boundary: ``radius *= 2``
      (at most ``max_radius``);
    - the step is accepted when ``rho > eta``, otherwise ``x`` stays.

    Subproblem solvers:

    - ``"exact"``: :func:`solve_trust_region_exact` on the dense Hessian
      (eigendecomposition, secular equation, hard case handled): the best
      step, O(n^3) per iteration;
    - ``"cg"``: :func:`steihaug_cg` on Hessian-vector products of a
      matrix-free model (the Hessian is never formed);
    - ``"auto"``: exact for ``n <= EXACT_MAX_N`` (500), else CG.

    The Hessian (``hessian=``): ``"auto"`` (default): dense for the exact
    solver, matrix-free for CG; ``"dense"``: always formed (CG then
    multiplies by it); ``"matrix_free"``: Hessian-vector products only (CG);
    ``"sparse"``: a ``scipy.sparse`` matrix from ``taylor2(f, sparse=True)``
    (pattern detected and colored once, a few Hessian-vector products per
    iteration, value and gradient compiled: ``f`` must be traceable), and
    Steihaug-CG multiplies by it: each CG iteration is one sparse
    matrix-vector product instead of a Hessian-vector product through
    ``f``. The exact solver is dense (an eigendecomposition), so
    ``"sparse"`` and ``"matrix_free"`` use CG.

    Indefinite Hessians need no special treatment: the ball bounds the step,
    and negative curvature directions are followed to the boundary.

    Args:
      f, x0: the scalar field and the starting point (array or pytree).
      radius: the initial trust radius.
      max_radius: the largest radius (default ``1000 * radius``).
      eta: the acceptance threshold on rho, ``0 <= eta < 1/4``.
      subproblem: ``"auto"``, ``"exact"`` or ``"cg"``.
      hessian: ``"auto"``, ``"dense"``, ``"sparse"`` or ``"matrix_free"``.
      cg_rtol, cg_maxiter: passed to :func:`steihaug_cg`.
      escape_saddles: with the exact solver, do not stop at a point with a
        small gradient where the Hessian has a negative eigenvalue (a saddle):
        the hard case of the subproblem then steps along that eigenvector.
      tol: stop when ``|grad f(x)| <= tol``.
      maxiter: maximum number of iterations (rejected steps count).
      jit: compile value/gradient and Hessian (or Hessian-vector products).
      verbose, progress, callback, keep_x: see :func:`gradient_descent`.

    >>> rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    >>> res = trust_region(rosen, [-1.2, 1.0])
    >>> res.success, res.x.round(8)
    (True, array([1., 1.]))
    """
    where = "trust_region"
    check_common(where, tol, maxiter)
    if not radius > 0:
        raise ValueError(f"{where}: radius must be > 0, got {radius}")
    max_radius = 1000.0 * radius if max_radius is None else max_radius
    if not max_radius >= radius:
        raise ValueError(f"{where}: need max_radius >= radius, got {max_radius} < {radius}")
    if not 0 <= eta < 0.25:
        raise ValueError(f"{where}: eta must satisfy 0 <= eta < 0.25, got {eta}")
    if subproblem not in ("auto", "exact", "cg"):
        raise ValueError(f"{where}: subproblem must be 'auto', 'exact' or 'cg', got {subproblem!r}")
    if hessian not in ("auto", "dense", "sparse", "matrix_free"):
        raise ValueError(
            f"{where}: hessian must be 'auto', 'dense', 'sparse' or 'matrix_free', got {hessian!r}"
        )
    if subproblem == "exact" and hessian in ("sparse", "matrix_free"):
        raise ValueError(
            f"{where}: the exact subproblem solver needs the dense Hessian (an "
            f"eigendecomposition); with hessian={hessian!r} use subproblem='cg' (or 'auto')"
        )
    prob = Problem(f, x0, use_jit=jit, where=where)
    if subproblem != "auto":
        solver = subproblem
    elif hessian in ("sparse", "matrix_free"):
        solver = "cg"
    else:
        solver = "exact" if prob.n <= EXACT_MAX_N else "cg"
    sparse = hessian == "sparse"
    matrix_free = hessian == "matrix_free" or (hessian == "auto" and solver == "cg")
    run = Run(
        prob,
        f"trust region ({solver}, sparse)" if sparse else f"trust region ({solver})",
        tol=tol,
        maxiter=maxiter,
        verbose=verbose,
        progress=progress,
        keep_x=keep_x,
        callback=callback,
    )
    m = prob.model(prob.x0, matrix_free=matrix_free, sparse=sparse)
    run.start(prob.x0, m.value, m.g, radius=radius)

    def not_a_saddle() -> bool:
        return not (escape_saddles and _negative_curvature(m))

    while run.going(confirm_minimum=not_a_saddle):
        z, fz, g = run.z, run.f, run.g
        if radius <= 10 * EPS * max(1.0, float(np.linalg.norm(z))):
            run.fail("the trust radius became too small (precision limit?)")
            break
        if solver == "exact":
            assert m.H is not None
            if not np.all(np.isfinite(m.H)):
                run.fail("the Hessian is not finite")
                break
            sub = solve_trust_region_exact(g, m.H, radius)
        else:
            sub = steihaug_cg(g, m.hvp, radius, rtol=cg_rtol, maxiter=cg_maxiter)
        p = sub.p
        pnorm = float(np.linalg.norm(p))
        predicted = m.predicted_decrease(p)
        if not predicted > 0:
            run.fail("the model predicts no decrease (precision limit?)")
            break
        f_trial = prob.fun(z + p)
        actual = fz - f_trial
        rho = actual / predicted
        used_radius = radius
        if not rho >= 0.25:  # also nan
            radius = 0.25 * pnorm
        elif rho > 0.75 and sub.hits_boundary:
            radius = min(2.0 * radius, max_radius)
        accepted = bool(rho > eta)
        if accepted:
            z = z + p
            m = prob.model(z, matrix_free=matrix_free, sparse=sparse)
            fz, g = m.value, m.g
        run.step(
            z,
            fz,
            g,
            step_norm=pnorm,
            predicted=predicted,
            actual=actual,
            rho=rho,
            radius=used_radius,
            accepted=accepted,
        )
    return run.finish()


__all__ = ["EXACT_MAX_N", "trust_region"]

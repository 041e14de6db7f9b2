"""BFGS: a quasi-Newton method that learns the inverse Hessian from gradients."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from funcdiff.optimize._line_search import armijo, wolfe
from funcdiff.optimize._loop import NO_DECREASE, Run, check_common
from funcdiff.optimize._problem import EPS, Fun, Problem
from funcdiff.optimize._result import Callback, OptimizeResult


def bfgs(
    f: Fun,
    x0: Any,
    *,
    line_search: Literal["wolfe", "armijo"] = "wolfe",
    c1: float = 1e-4,
    c2: float = 0.9,
    shrink: float = 0.5,
    tol: float = 1e-8,
    maxiter: int = 1000,
    jit: bool = False,
    verbose: bool = False,
    progress: bool = False,
    callback: Callback | None = None,
    keep_x: bool = True,
) -> OptimizeResult:
    """BFGS: a quasi-Newton method that learns the inverse Hessian from gradients.

    The approximation ``Hinv`` starts as the identity (rescaled by
    ``s.y / y.y`` after the first step) and after each step ``s`` with
    gradient change ``y`` gets the rank-two update
    ``Hinv <- (I - rho s y^T) Hinv (I - rho y s^T) + rho s s^T``, ``rho = 1/(y.s)``,
    which keeps it positive definite when ``y.s > 0``. The direction is
    ``-Hinv g``, the step length comes from a strong Wolfe line search
    (which guarantees ``y.s > 0``) or Armijo backtracking (updates with
    ``y.s <= 0`` are then skipped). Only gradients are used: no Hessian.

    Args:
      f, x0: the scalar field and the starting point (array or pytree).
      line_search: ``"wolfe"`` (default) or ``"armijo"``.
      c1, c2: sufficient-decrease and curvature constants (0 < c1 < c2 < 1).
      shrink: Armijo backtracking factor.
      tol, maxiter, jit, verbose, progress, callback, keep_x: see :func:`gradient_descent`.

    The history's ``predicted`` is the decrease predicted by BFGS's own
    quadratic model (Hessian ``Hinv^-1``) for the step taken.

    >>> rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    >>> res = bfgs(rosen, [-1.2, 1.0])
    >>> res.success, res.nhev, res.x.round(6)
    (True, 0, array([1., 1.]))
    """
    where = "bfgs"
    check_common(where, tol, maxiter)
    if line_search not in ("wolfe", "armijo"):
        raise ValueError(f"{where}: line_search must be 'wolfe' or 'armijo', got {line_search!r}")
    if not 0 < c1 < c2 < 1:
        raise ValueError(f"{where}: need 0 < c1 < c2 < 1, got c1={c1}, c2={c2}")
    if not 0 < shrink < 1:
        raise ValueError(f"{where}: need 0 < shrink < 1, got {shrink}")
    prob = Problem(f, x0, use_jit=jit, where=where)
    run = Run(
        prob,
        f"bfgs ({line_search})",
        tol=tol,
        maxiter=maxiter,
        verbose=verbose,
        progress=progress,
        keep_x=keep_x,
        callback=callback,
    )
    n = prob.n
    run.start(prob.x0, *prob.value_and_grad(prob.x0))
    Hinv = np.eye(n)
    first = True
    while run.going():
        z, fz, g, gnorm = run.z, run.f, run.g, run.gnorm
        d = -(Hinv @ g)
        slope = float(g @ d)
        if not slope < 0:  # lost positive definiteness to rounding: restart
            Hinv = np.eye(n)
            first = True
            d = -g
            slope = -gnorm * gnorm
        alpha0 = min(1.0, 1.0 / gnorm) if first else 1.0
        if line_search == "wolfe":
            found = wolfe(prob, z, fz, g, d, alpha0, c1, c2)
            if found is None:
                run.fail("line search failed: no step length satisfies the Wolfe conditions")
                break
            alpha, f_new, g_new = found
        else:
            arm = armijo(prob, z, fz, slope, d, alpha0, c1, shrink)
            if arm is None:
                run.fail(NO_DECREASE)
                break
            alpha, _ = arm
            f_new, g_new = prob.value_and_grad(z + alpha * d)
        s = alpha * d
        y = g_new - g
        # the BFGS model's Hessian B = Hinv^-1 has B s = -alpha g
        predicted = -slope * alpha * (1.0 - 0.5 * alpha)
        actual = fz - f_new
        sy = float(s @ y)
        if sy > EPS * float(np.linalg.norm(s)) * float(np.linalg.norm(y)):
            if first:
                Hinv = (sy / float(y @ y)) * np.eye(n)
                first = False
            rho_k = 1.0 / sy
            Hy = Hinv @ y
            # (I - rho s y^T) Hinv (I - rho y s^T) + rho s s^T, expanded
            Hinv = (
                Hinv
                - rho_k * (np.outer(s, Hy) + np.outer(Hy, s))
                + (rho_k * rho_k * float(y @ Hy) + rho_k) * np.outer(s, s)
            )
        run.step(
            z + s,
            f_new,
            g_new,
            step_norm=float(np.linalg.norm(s)),
            predicted=predicted,
            actual=actual,
            rho=actual / predicted if predicted != 0 else None,
            alpha=alpha,
        )
    return run.finish()


__all__ = ["bfgs"]

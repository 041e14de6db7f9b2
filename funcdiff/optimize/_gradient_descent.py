"""Steepest descent, with a fixed step or Armijo backtracking."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from funcdiff.optimize._line_search import armijo
from funcdiff.optimize._loop import NO_DECREASE, Run, check_armijo, check_common
from funcdiff.optimize._problem import Fun, Problem
from funcdiff.optimize._result import Callback, OptimizeResult


def gradient_descent(
    f: Fun,
    x0: Any,
    *,
    lr: float | None = None,
    line_search: Literal["armijo"] | None = "armijo",
    c1: float = 1e-4,
    shrink: float = 0.5,
    tol: float = 1e-8,
    maxiter: int = 1000,
    jit: bool = False,
    verbose: bool = False,
    progress: bool = False,
    callback: Callback | None = None,
    keep_x: bool = True,
) -> OptimizeResult:
    """Steepest descent ``x <- x - alpha grad f(x)``.

    Args:
      f: a scalar field of one argument (an array or a pytree of arrays).
      x0: the starting point, like ``f``'s argument: an array or a pytree.
        A plain list of numbers is taken as a vector (as scipy does); tuples,
        dicts and nested containers are pytrees, and ``x`` comes back alike.
      lr: with ``line_search=None``, the fixed step length (required). With
        ``"armijo"``, the first step tried in every iteration; by default
        (None) the search starts from twice the previous accepted step
        (1.0 the first time), so the step adapts in both directions.
      line_search: ``"armijo"`` (backtracking until
        ``f(x - a g) <= f(x) - c1 a |g|^2``) or None (fixed step ``lr``).
      c1, shrink: the Armijo constant and the backtracking factor.
      tol: stop when ``|grad f(x)| <= tol``.
      maxiter: maximum number of iterations.
      jit: compile ``value_and_grad(f)`` and ``f`` with ``funcdiff.jit``.
      verbose: print one table row per iteration.
      progress: show a progress bar over ``maxiter`` iterations with the current
        ``f`` and ``|grad|`` (tqdm when installed, else a text bar on stderr).
      callback: called with each :class:`IterationRecord`; returning True stops.
      keep_x: store every iterate in the history.

    The history's ``predicted`` is the linear model's decrease ``alpha |g|^2``.

    >>> res = gradient_descent(lambda x: ((x - 3.0) ** 2).sum(), [0.0, 1.0])
    >>> res.success, res.x.round(6)
    (True, array([3., 3.]))
    >>> gradient_descent(lambda x: x ** 2, 1.0, lr=0.25, line_search=None).nit  # x halves
    28
    """
    where = "gradient_descent"
    check_common(where, tol, maxiter)
    if line_search not in ("armijo", None, "none"):
        raise ValueError(f"{where}: line_search must be 'armijo' or None, got {line_search!r}")
    fixed = line_search in (None, "none")
    if fixed and (lr is None or not lr > 0):
        raise ValueError(f"{where}: line_search=None needs a fixed step lr > 0, got lr={lr}")
    if lr is not None and not lr > 0:
        raise ValueError(f"{where}: lr must be > 0, got {lr}")
    check_armijo(where, c1, shrink)
    prob = Problem(f, x0, use_jit=jit, where=where)
    run = Run(
        prob,
        "gradient descent",
        tol=tol,
        maxiter=maxiter,
        verbose=verbose,
        progress=progress,
        keep_x=keep_x,
        callback=callback,
    )
    run.start(prob.x0, *prob.value_and_grad(prob.x0))
    alpha_prev: float | None = None
    while run.going():
        z, fz, g, gnorm = run.z, run.f, run.g, run.gnorm
        slope = -gnorm * gnorm
        if fixed:
            assert lr is not None
            alpha = lr
        else:
            start = lr if lr is not None else (1.0 if alpha_prev is None else alpha_prev / shrink)
            found = armijo(prob, z, fz, slope, -g, start, c1, shrink)
            if found is None:
                run.fail(NO_DECREASE)
                break
            alpha = found[0]
            alpha_prev = alpha
        step = -alpha * g
        z_new = z + step
        f_new, g_new = prob.value_and_grad(z_new)
        actual = fz - f_new
        predicted = alpha * gnorm * gnorm
        run.step(
            z_new,
            f_new,
            g_new,
            step_norm=alpha * math.sqrt(-slope),
            predicted=predicted,
            actual=actual,
            rho=actual / predicted if predicted > 0 else None,
            alpha=alpha,
        )
        if not (math.isfinite(f_new) and np.all(np.isfinite(g_new))):
            run.fail("diverged: f or its gradient is not finite (lower lr?)")
            break
    return run.finish()


__all__ = ["gradient_descent"]

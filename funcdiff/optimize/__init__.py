"""Optimizers for experiments: gradient descent, Newton, trust region, BFGS.

Every method minimizes a scalar field ``f`` from a starting point ``x0`` that
is a float vector or any pytree of arrays (a dict of weights, a tuple...):
``x0`` is raveled to one flat float64 vector with ``funcdiff.tree.ravel_pytree``,
the method works on that vector, and the result's ``x`` has ``x0``'s
structure again. Derivatives come from funcdiff (``value_and_grad``, the
second-order Taylor model ``taylor2``, Hessian-vector products); with
``jit=True`` they are compiled with ``funcdiff.jit.jit`` once and reused in
every iteration (``f`` must then be traceable without Python control flow on
array values).

The second-order Taylor model ``m(p) = f(x) + g.p + 1/2 p^T H p`` is the
base of the second-order methods:

- :func:`newton`: minimize the model (``H p = -g``), with a safeguard when
  ``H`` is not positive definite (a multiple of the identity added until
  Cholesky succeeds, or eigenvalues replaced by their absolute values) and a
  backtracking (Armijo) line search;
- :func:`trust_region`: minimize the model within a ball ``|p| <= radius``;
  the ratio of actual to model-predicted decrease decides whether the step is
  taken and how the radius changes. The ball problem is solved exactly
  (:func:`solve_trust_region_exact`, eigendecomposition + secular equation,
  hard case included) for small ``n``, or approximately by Steihaug's
  truncated conjugate gradients on Hessian-vector products
  (:func:`steihaug_cg`, matrix-free) for large ``n``;
- :func:`bfgs` builds an approximate inverse Hessian from gradients only
  (the quasi-Newton comparison), :func:`gradient_descent` uses no curvature.

For nonlinear least squares, ``min 1/2 |r(x)|^2`` with a vector residual
``r``, :func:`levenberg_marquardt` uses the Gauss-Newton model ``H = J^T J``
(see ``funcdiff.quadratic.gauss_newton``), damped by Moré's trust region (as
MINPACK) or Nielsen's update, with Moré's scaling.

Each returns an :class:`OptimizeResult` whose ``history`` holds one
:class:`IterationRecord` per iteration (iterate, f, |grad|, step length,
model-predicted and actual decrease, trust radius, time), ready for plotting
with ``result.history_array("f")`` or :mod:`funcdiff.plot`.

>>> import funcdiff.numpy as fnp
>>> rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
>>> res = minimize(rosen, [-1.2, 1.0], method="newton")
>>> res.success, res.nit, res.x.round(8)
(True, 21, array([1., 1.]))

scipy users can hand funcdiff's derivatives to ``scipy.optimize.minimize``
with :func:`scipy_objective` (value and gradient from one pass, cached per
point; :class:`EvalCounts` says how much work was done), or call
:func:`scipy_minimize`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from funcdiff.api_util import has_tracer
from funcdiff.implicit import LinearSolve
from funcdiff.optimize._argmin import concrete_args, differentiable_argmin
from funcdiff.optimize._bfgs import bfgs
from funcdiff.optimize._gradient_descent import gradient_descent
from funcdiff.optimize._levenberg_marquardt import levenberg_marquardt
from funcdiff.optimize._newton import newton
from funcdiff.optimize._problem import Fun
from funcdiff.optimize._result import HISTORY_FIELDS, IterationRecord, OptimizeResult
from funcdiff.optimize._scipy import EvalCounts, ScipyObjective, scipy_minimize, scipy_objective
from funcdiff.optimize._subproblem import SubproblemResult, solve_trust_region_exact, steihaug_cg
from funcdiff.optimize._trust_region import EXACT_MAX_N, trust_region
from funcdiff.tree import tree_flatten

_METHODS: dict[str, Callable[..., OptimizeResult]] = {
    "gd": gradient_descent,
    "gradient-descent": gradient_descent,
    "newton": newton,
    "trust-region": trust_region,
    "bfgs": bfgs,
}


def minimize(
    f: Fun,
    x0: Any,
    method: str = "trust-region",
    *,
    args: tuple[Any, ...] = (),
    implicit_solve: str | LinearSolve = "dense",
    **options: Any,
) -> OptimizeResult:
    """Minimize the scalar field ``f`` from ``x0`` with one of this module's methods.

    Args:
      f: a scalar field of one argument (an array or a pytree of arrays).
      x0: the starting point (an array, a list of numbers, or a pytree).
      method: ``"trust-region"`` (default), ``"newton"``, ``"bfgs"`` or
        ``"gd"`` (``"gradient-descent"``); underscores work too.
        args: extra arguments of ``f`` (``f(x, *args)``). The result's ``x``
        is differentiable with respect to them (argmin differentiation by
        the implicit function theorem on ``grad f = 0``, see
        :mod:`funcdiff.implicit`): the optimizer runs on their concrete
        values, never differentiated; ``x`` must then be an array.
      implicit_solve: the linear solve with the Hessian for those
        derivatives: ``"dense"``, ``"cg"`` (Hessian-vector products) or a
        callable (see :func:`funcdiff.implicit.custom_root`).
      **options: the method's keyword arguments (``tol``, ``maxiter``,
        ``jit``, ``verbose``, ...): see :func:`trust_region`, :func:`newton`,
        :func:`bfgs`, :func:`gradient_descent`.

    >>> res = minimize(lambda p: (p["a"] - 1.0) ** 2 + (p["b"] + 2.0) ** 2,
    ...                {"a": 0.0, "b": 0.0}, method="bfgs")
    >>> {k: round(float(v), 6) for k, v in res.x.items()}
    {'a': 1.0, 'b': -2.0}
    """
    key = method.lower().replace("_", "-") if isinstance(method, str) else method
    if key not in _METHODS:
        raise ValueError(
            f"minimize: unknown method {method!r}; choose one of 'trust-region', 'newton', "
            "'bfgs', 'gd' (for scipy's methods use funcdiff.optimize.scipy_minimize)"
        )
    if not args:
        return _METHODS[key](f, x0, **options)
    return _argmin(_METHODS[key], f, x0, tuple(args), implicit_solve, options)


def _argmin(
    method: Callable[..., OptimizeResult],
    f: Fun,
    x0: Any,
    args: tuple[Any, ...],
    solve: str | LinearSolve,
    options: dict[str, Any],
) -> OptimizeResult:
    if not has_tracer(tree_flatten(args)[0]):
        return method(lambda x: f(x, *args), x0, **options)
    c_args = concrete_args(args, "minimize")
    res = method(lambda x: f(x, *c_args), x0, **options)
    x = differentiable_argmin(f, res.x, args, solve, "minimize")
    return dataclasses.replace(res, x=x)


def compare(
    f: Fun,
    x0: Any,
    methods: Sequence[str] = ("gd", "bfgs", "newton", "trust-region"),
    **options: Any,
) -> dict[str, OptimizeResult]:
    """Run several methods from the same start: ``{method: result}`` (e.g. for ``plot.paths``).

    >>> rs = compare(lambda x: (x ** 2).sum(), [1.0, -1.0], methods=("newton", "bfgs"))
    >>> {k: r.success for k, r in rs.items()}
    {'newton': True, 'bfgs': True}
    """
    return {m: minimize(f, x0, method=m, **options) for m in methods}


__all__ = [
    "EXACT_MAX_N",
    "HISTORY_FIELDS",
    "EvalCounts",
    "IterationRecord",
    "OptimizeResult",
    "ScipyObjective",
    "SubproblemResult",
    "bfgs",
    "compare",
    "gradient_descent",
    "levenberg_marquardt",
    "minimize",
    "newton",
    "scipy_minimize",
    "scipy_objective",
    "solve_trust_region_exact",
    "steihaug_cg",
    "trust_region",
]

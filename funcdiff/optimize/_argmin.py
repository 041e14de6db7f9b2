"""Argmin differentiation: a minimizer differentiable in the objective's extra
arguments, by the implicit function theorem on ``grad_x f(x, *args) = 0``
(:mod:`funcdiff.implicit`). The optimizer itself runs on concrete values."""

from __future__ import annotations

from typing import Any

import numpy as np

from funcdiff.api import grad
from funcdiff.api_util import concrete_or_none
from funcdiff.errors import ConcretizationError
from funcdiff.implicit import LinearSolve, custom_root
from funcdiff.optimize._problem import Fun
from funcdiff.tree import tree_flatten, tree_structure, tree_unflatten


def concrete_args(args: tuple[Any, ...], who: str) -> tuple[Any, ...]:
    """``args`` with every traced leaf replaced by its concrete value; a
    ConcretizationError under jit/vmap (abstract values)."""
    values = [concrete_or_none(v) for v in tree_flatten(args)[0]]
    if any(v is None for v in values):
        raise ConcretizationError(
            f"{who}(..., args=...) runs the optimizer on the concrete values of args; "
            "they are abstract here (under jit or vmap): call it outside jit/vmap "
            "(its derivatives with respect to args work under grad, jacfwd, hessian)"
        )
    return tuple(tree_unflatten(tree_structure(args), values))


def differentiable_argmin(
    f: Fun, x_star: Any, args: tuple[Any, ...], solve: str | LinearSolve, who: str
) -> Any:
    """``x_star`` (a minimizer of ``f(., *args)``) as a function of ``args``."""
    if not isinstance(x_star, np.ndarray):
        raise TypeError(
            f"{who}: derivatives with respect to args need x0 to be an array, "
            f"got a {type(x_star).__name__}"
        )
    root = custom_root(grad(f), solve=solve)(lambda init, *a: x_star)
    return root(x_star, *args)

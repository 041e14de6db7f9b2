"""Sparsity patterns of Jacobians and Hessians, read from the jaxpr.

``jacobian_sparsity(f)(x)`` and ``hessian_sparsity(f)(x)`` trace ``f`` at the
shape and dtype of ``x`` (never at its values) and interpret the jaxpr over
index sets (``funcdiff.interpreters.sparsity``), so the pattern holds for
every ``x`` of that shape and dtype, with ``f``'s other arguments fixed at
the values given. Nothing evaluates a derivative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from funcdiff.api_util import as_array_leaf
from funcdiff.core.ir import ClosedJaxpr
from funcdiff.core.primitive import REGISTRY, load_families
from funcdiff.interpreters import sparsity as spd_run
from funcdiff.interpreters.staging import dce_jaxpr
from funcdiff.primitives import sparsity as spd
from funcdiff.tree import tree_flatten, tree_unflatten

__all__ = ["conservative_primitives", "hessian_sparsity", "jacobian_sparsity"]


def conservative_primitives() -> list[str]:
    """The primitives with no sparsity rule, sorted: detection treats each
    output element of theirs as depending on every input element of every
    operand, all interacting (a dense block). Piecewise-constant primitives
    (``zero_derivative``) need no rule and are not listed.

    >>> "dot_general" in conservative_primitives(), "scan" in conservative_primitives()
    (False, False)
    """
    load_families()
    return sorted(
        name
        for name, prim in REGISTRY.items()
        if getattr(prim, "sparsity", None) is None and not prim.zero_derivative
    )


def _traced(
    f: Callable[..., Any], args: Sequence[Any], argnums: int, what: str
) -> tuple[ClosedJaxpr, list[int]]:
    from funcdiff.api import make_jaxpr

    if not isinstance(argnums, int) or not -len(args) <= argnums < len(args):
        raise ValueError(f"{what}: argnums={argnums!r} is not the position of an argument")
    argnums %= len(args)
    leaves, tree = tree_flatten(args[argnums])
    xs = [np.asarray(as_array_leaf(v, f"{what}: argument {argnums}")) for v in leaves]
    for v in xs:
        if v.dtype.kind != "f":
            raise TypeError(
                f"{what}: argument {argnums} must be a real floating-point array (or a "
                f"pytree of them), got dtype {v.dtype} (convert it with astype(float))"
            )
    rest = list(args)

    def g(*vs: Any) -> list[Any]:
        rest[argnums] = tree_unflatten(tree, vs)
        out, _ = tree_flatten(f(*rest))
        return list(out)

    closed = make_jaxpr(g)(*xs)
    closed, _ = dce_jaxpr(closed)
    return closed, [v.size for v in xs]


def _run(closed: ClosedJaxpr, sizes: list[int], hessian: bool) -> tuple[spd_run.State, list[Any]]:
    sp = spd.scipy_sparse()
    n = sum(sizes)
    state = spd_run.State(n, hessian)
    identity = sp.csr_array(sp.identity(n, dtype=bool, format="csr"))
    starts = np.cumsum([0, *sizes])
    deps = [identity if len(sizes) == 1 else identity[a:b] for a, b in pairwise(starts)]
    outs = spd_run.run(state, closed, deps)
    return state, outs


def jacobian_sparsity(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """A function of ``f``'s arguments returning the sparsity pattern of the
    Jacobian of ``f`` in argument ``argnums`` (a real floating-point array,
    or a pytree of them), as a boolean ``scipy.sparse.csr_array`` of shape
    ``(out.size, x.size)``: the outputs (all leaves of ``f``'s result,
    flattened in C order and concatenated) by the elements of ``x`` (its
    leaves flattened in C order and concatenated, as ``tree_flatten``
    orders them).

    The pattern is structural: it holds for every ``x`` of that shape and
    dtype (the values of ``x`` are never read; ``f`` is traced abstractly, so
    Python control flow on them is an error). It may contain entries that are
    zero for every ``x`` (a primitive without a rule is taken as dense, see
    ``conservative_primitives``), never miss one that is not.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> p = jacobian_sparsity(lambda x: x[1:] - x[:-1] ** 2)(np.zeros(4))
    >>> p.toarray().astype(int)
    array([[1, 1, 0, 0],
           [0, 1, 1, 0],
           [0, 0, 1, 1]])
    """

    def jac_pattern(*args: Any) -> Any:
        closed, sizes = _traced(f, args, argnums, "jacobian_sparsity")
        _, outs = _run(closed, sizes, hessian=False)
        n = sum(sizes)
        sp = spd.scipy_sparse()
        rows = [
            d if d is not None else sp.csr_array((a.size, n), dtype=bool)
            for d, a in zip(outs, closed.out_avals, strict=True)
        ]
        if not rows:
            return sp.csr_array((0, n), dtype=bool)
        out = sp.vstack(rows, format="csr").astype(bool)
        out = sp.csr_array(out)
        out.sum_duplicates()
        out.sort_indices()
        return out

    return jac_pattern


def hessian_sparsity(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """A function of ``f``'s arguments returning the sparsity pattern of the
    Hessian of ``f`` (a scalar function) in argument ``argnums``, a
    symmetric boolean ``scipy.sparse.csr_array`` of shape ``(x.size,
    x.size)``. For a non-scalar ``f`` it is the union over the outputs.

    Like ``jacobian_sparsity``, the pattern holds for every ``x`` of that
    shape and dtype, and over-approximates (never misses): each non-linear
    operation on the way to the output adds the interactions it creates
    (``sin(u)``: all pairs of inputs of each ``u_i``; ``a * b``: the inputs
    of ``a_i`` with those of ``b_i``); linear and piecewise-linear ones
    (``max``, ``abs``, ``where``) add none.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> rosen = lambda x: fnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    >>> hessian_sparsity(rosen)(np.zeros(4)).toarray().astype(int)
    array([[1, 1, 0, 0],
           [1, 1, 1, 0],
           [0, 1, 1, 1],
           [0, 0, 1, 1]])
    """

    def hess_pattern(*args: Any) -> Any:
        closed, sizes = _traced(f, args, argnums, "hessian_sparsity")
        state, _ = _run(closed, sizes, hessian=True)
        return state.hessian_pattern()

    return hess_pattern

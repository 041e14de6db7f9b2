"""Taylor mode: ``jet(f, primals, series)`` with JAX's signature and
convention (``jax.experimental.jet``), and ``taylor(f, order)`` for the
directional Taylor coefficients of ``f`` along a line.

``series[i]`` (one tuple per argument, each of K arrays shaped like the
primal) holds the derivatives of the input curve ``x(t)`` at ``t = 0``:
``series[i][k-1] = x^(k)(0)``, so ``x(t) = x0 + sum_k series[k-1] t^k / k!``.
The result is ``(f(x0), out_series)`` with ``out_series[k-1] = d^k/dt^k
f(x(t)) at t = 0``, the same convention. With ``series = [[v, 0, 0, 0]]`` the
output series are the directional derivatives of orders 1..4 along ``v``
(what nested ``jvp`` gives, in one pass: the cost grows like K^2, not 2^K).

Internally each rule sees normalized coefficients (``x^(k)(0) / k!``), the
form the standard recurrences are written in; ``jet`` converts at the
boundary, ``taylor`` returns them as they are. See docs/jet.md.

>>> import numpy as np, funcdiff.numpy as fnp
>>> from funcdiff import jet
>>> y, (d1, d2, d3) = jet(fnp.exp, (0.0,), ((1.0, 0.0, 0.0),))
>>> float(y), float(d1), float(d2), float(d3)
(1.0, 1.0, 1.0, 1.0)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcdiff.api_util import as_array_leaf, concrete_or_none, fun_name, trace_to_jaxpr
from funcdiff.core.ir import ClosedJaxpr, aval_of
from funcdiff.core.primitive import Zero, zeros
from funcdiff.core.trace import Tracer
from funcdiff.interpreters.taylor_mode import taylor_jaxpr
from funcdiff.tree import PyTreeDef, tree_flatten, tree_unflatten

__all__ = ["jet", "taylor"]

Fun = Callable[..., Any]


def _float_leaf(x: Any, what: str) -> Any:
    x = as_array_leaf(x, what)
    if aval_of(x).dtype.kind not in "fc":
        x = x.astype(np.float64) if isinstance(x, np.ndarray) else x * 1.0
    return x


def _trace(f: Fun, xs: Sequence[Any], in_tree: PyTreeDef) -> tuple[ClosedJaxpr, PyTreeDef]:
    """``f``'s jaxpr at the leaves ``xs``: traced with their values when they
    are known (so Python control flow on them works, as under ``grad``),
    abstractly otherwise (under ``jit``/``vmap``)."""
    out_tree: list[PyTreeDef] = []

    def flat(*args: Any) -> list[Any]:
        out_leaves, tree = tree_flatten(f(*tree_unflatten(in_tree, list(args))))
        out_tree.append(tree)
        return [as_array_leaf(o, f"an output of {fun_name(f)}") for o in out_leaves]

    vals = [concrete_or_none(x) for x in xs]
    known = None if any(v is None for v in vals) else vals
    closed, _ = trace_to_jaxpr(flat, [aval_of(x) for x in xs], known)
    return closed, out_tree[-1]


def _is_zero(coeffs: Sequence[Any]) -> bool:
    if any(isinstance(c, Tracer) for c in coeffs):
        return False
    return not any(np.any(np.asarray(c) != 0) for c in coeffs)


def _times(c: Any, factor: int) -> Any:
    """``c * factor`` in ``c``'s dtype (numpy 1.x promotes a float32 scalar
    times a Python int to float64)."""
    if isinstance(c, Tracer):
        return c * float(factor)
    c = np.asarray(c)
    return c * np.asarray(factor, dtype=c.dtype)


def _stack(arrays: Sequence[Any]) -> Any:
    if any(isinstance(a, Tracer) for a in arrays):
        import funcdiff.numpy as fnp

        return fnp.stack(list(arrays))
    return np.stack([np.asarray(a) for a in arrays])


def jet(f: Fun, primals: Sequence[Any], series: Sequence[Sequence[Any]]) -> tuple[Any, Any]:
    """Taylor mode: ``(f(*primals), out_series)``, JAX's ``jet`` convention
    (``series[i][k-1]`` is the k-th derivative of argument i's curve; the
    output series likewise, one list of K arrays per output leaf).

    One pass propagates all K orders (each primitive's ``taylor`` rule, a
    recurrence on the coefficients); nesting ``jvp`` K times instead grows
    the program exponentially. Works under ``jit``, ``grad`` and ``vmap``.

    The derivatives of orders 1 to 3 of ``sin`` along ``x(t) = t``, at 0:

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> y, series = fd.jet(fnp.sin, (0.0,), ((1.0, 0.0, 0.0),))
    >>> float(y), [float(c) for c in series]
    (0.0, [1.0, 0.0, -1.0])
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(series, (tuple, list)):
        raise TypeError("jet: primals and series must be tuples (or lists) of arguments")
    if len(primals) != len(series):
        raise ValueError(f"jet: {len(primals)} primals but {len(series)} series")
    leaves, in_tree = tree_flatten(tuple(primals))
    if len(leaves) != len(primals):
        raise TypeError("jet: each primal must be an array (pytrees are not supported yet)")
    xs = [_float_leaf(x, f"jet: primal {i}") for i, x in enumerate(leaves)]
    if not all(isinstance(s, (tuple, list)) for s in series):
        raise TypeError("jet: each series must be a tuple (or list) of K arrays")
    orders = {len(s) for s in series}
    if len(orders) != 1:
        raise ValueError(f"jet: every series must have the same length, got {sorted(orders)}")
    (k,) = orders
    if k < 1:
        raise ValueError("jet: the series must hold at least one term (K >= 1)")
    closed, out_tree = _trace(f, xs, in_tree)
    norm: list[Any] = []
    for i, (x, s) in enumerate(zip(xs, series, strict=True)):
        dtype, shape = aval_of(x).dtype, aval_of(x).shape
        coeffs = []
        for j, c in enumerate(s):
            c = as_array_leaf(c, f"jet: series {i} term {j + 1}")
            if aval_of(c).shape != shape:
                raise ValueError(
                    f"jet: series {i} term {j + 1} has shape {aval_of(c).shape}, but its "
                    f"primal has shape {shape}: each term must have the primal's shape"
                )
            scaled = c / math.factorial(j + 1)
            coeffs.append(scaled if isinstance(scaled, Tracer) else np.asarray(scaled, dtype))
        norm.append(Zero(aval_of(x)) if _is_zero(coeffs) else coeffs)
    outs, out_norm = taylor_jaxpr(closed, xs, norm)
    out_series = [
        [zeros(aval_of(o))] * k
        if isinstance(s, Zero)
        else [_times(c, math.factorial(i + 1)) for i, c in enumerate(s)]
        for o, s in zip(outs, out_norm, strict=True)
    ]
    return tree_unflatten(out_tree, outs), tree_unflatten(out_tree, out_series)


def taylor(f: Fun, order: int = 2) -> Callable[[Any, Any], Any]:
    """The Taylor coefficients of ``t -> f(x0 + t v)`` at ``t = 0``, up to
    ``order``, in one Taylor-mode pass: ``taylor(f, order=k)(x0, v)``.

    Returns, for each output leaf of ``f``, an array of shape
    ``(order + 1, *leaf.shape)`` holding ``c_0 = f(x0)``, ``c_1 = Df(x0)[v]``,
    ..., ``c_k = D^k f(x0)[v, ..., v] / k!``, so that ``f(x0 + t v) = sum_j
    c_j t^j + O(t^(k+1))`` (``np.polynomial.polynomial.polyval(t, c)``
    evaluates the expansion). ``x0`` and ``v`` are pytrees of the same
    structure (the one argument of ``f``). Composes with ``jit``, ``grad``
    and ``vmap``; see :func:`jet` for curves other than lines.

    ``exp`` along a line: the coefficients are ``e^x0 v^j / j!``:

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> fd.taylor(fnp.exp, order=3)(0.0, 2.0).round(6).tolist()
    [1.0, 2.0, 2.0, 1.333333]

    The lecture's ``x**2 * exp(x + cos(y))`` along ``v = (1, 0)`` at (1, 2):
    ``2 c_2`` is ``d2f/dx2`` (what ``taylor2(f)(x0).curvature(v)`` gives):

    >>> f = lambda p: p[0] ** 2 * fnp.exp(p[0] + fnp.cos(p[1]))
    >>> c = fd.taylor(f, order=4)((1.0, 2.0), (1.0, 0.0))
    >>> round(float(2 * c[2]), 6)
    12.550535
    """
    if not callable(f):
        raise TypeError(f"taylor: f must be callable, got {type(f).__name__}")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"taylor: order must be an int >= 1, got {order!r}")
    k = int(order)

    @functools.wraps(f)
    def taylor_f(x0: Any, v: Any) -> Any:
        leaves, in_tree = tree_flatten(x0)
        v_leaves, v_tree = tree_flatten(v)
        if v_tree != in_tree:
            raise ValueError(
                f"taylor: the direction v must have x0's structure; x0 is {in_tree}, v is {v_tree}"
            )
        xs = [_float_leaf(x, f"taylor: x0 leaf {i}") for i, x in enumerate(leaves)]
        norm: list[Any] = []
        for i, (x, d) in enumerate(zip(xs, v_leaves, strict=True)):
            d = as_array_leaf(d, f"taylor: v leaf {i}")
            if aval_of(d).shape != aval_of(x).shape:
                raise ValueError(
                    f"taylor: v leaf {i} has shape {aval_of(d).shape}, but x0's has "
                    f"{aval_of(x).shape}"
                )
            dtype = aval_of(x).dtype
            d = d.astype(dtype) if isinstance(d, np.ndarray) else d * np.ones((), dtype)
            rest = [np.zeros(aval_of(x).shape, dtype)] * (k - 1)
            norm.append(Zero(aval_of(x)) if _is_zero([d]) else [d, *rest])
        closed, out_tree = _trace(f, xs, tree_flatten((x0,))[1])
        outs, out_norm = taylor_jaxpr(closed, xs, norm)
        stacked = [
            _stack([o, *([zeros(aval_of(o))] * k if isinstance(s, Zero) else s)])
            for o, s in zip(outs, out_norm, strict=True)
        ]
        return tree_unflatten(out_tree, stacked)

    return taylor_f

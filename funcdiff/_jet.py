"""Taylor mode: ``jet(f, primals, series)``, with JAX's signature and
convention (``jax.experimental.jet``).

``series[i]`` (one tuple per argument, each of K arrays shaped like the
primal) holds the derivatives of the input curve ``x(t)`` at ``t = 0``:
``series[i][k-1] = x^(k)(0)``, so ``x(t) = x0 + sum_k series[k-1] t^k / k!``.
The result is ``(f(x0), out_series)`` with ``out_series[k-1] = d^k/dt^k
f(x(t)) at t = 0``, the same convention. With ``series = [[v, 0, 0, 0]]`` the
output series are the directional derivatives of orders 1..4 along ``v``
(what nested ``jvp`` gives).

Internally each rule sees normalized coefficients (``x^(k)(0) / k!``), the
form the standard recurrences are written in; ``jet`` converts at the
boundary. See docs/jet.md.

>>> import numpy as np, funcdiff.numpy as fnp
>>> from funcdiff import jet
>>> y, (d1, d2, d3) = jet(fnp.exp, (0.0,), ((1.0, 0.0, 0.0),))
>>> float(y), float(d1), float(d2), float(d3)
(1.0, 1.0, 1.0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcdiff.api import make_jaxpr
from funcdiff.core.ir import aval_of
from funcdiff.core.primitive import Zero, zeros
from funcdiff.interpreters.taylor_mode import taylor_jaxpr
from funcdiff.tree import tree_flatten, tree_unflatten

__all__ = ["jet"]


def jet(
    f: Callable[..., Any], primals: Sequence[Any], series: Sequence[Sequence[Any]]
) -> tuple[Any, Any]:
    """Taylor mode: ``(f(*primals), out_series)``, JAX's ``jet`` convention
    (``series[i][k-1]`` is the k-th derivative of argument i's curve; the
    output series likewise, one list of K arrays per output leaf).

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
    xs = [np.asarray(x) for x in leaves]
    xs = [x.astype(np.float64) if x.dtype.kind not in "fc" else x for x in xs]
    orders = {len(s) for s in series}
    if len(orders) != 1:
        raise ValueError(f"jet: every series must have the same length, got {sorted(orders)}")
    (k,) = orders
    out_tree: list[Any] = []

    def flat(*args: Any) -> list[Any]:
        out = f(*tree_unflatten(in_tree, list(args)))
        out_leaves, tree = tree_flatten(out)
        out_tree.append(tree)
        return out_leaves

    closed = make_jaxpr(flat)(*xs)
    norm: list[Any] = []
    for x, s in zip(xs, series, strict=True):
        coeffs = [np.asarray(c, x.dtype) / math.factorial(i + 1) for i, c in enumerate(s)]
        for c in coeffs:
            if c.shape != x.shape:
                raise ValueError(f"jet: series term of shape {c.shape} for a primal {x.shape}")
        norm.append(coeffs if any(np.any(c != 0) for c in coeffs) else Zero(aval_of(x)))
    outs, out_norm = taylor_jaxpr(closed, xs, norm)
    out_series = [
        [zeros(aval_of(o))] * k
        if isinstance(s, Zero)
        else [np.asarray(c) * math.factorial(i + 1) for i, c in enumerate(s)]
        for o, s in zip(outs, out_norm, strict=True)
    ]
    tree = out_tree[-1]
    return tree_unflatten(tree, outs), tree_unflatten(tree, out_series)

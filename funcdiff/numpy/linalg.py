"""``funcdiff.numpy.linalg``: numpy's linear algebra, traceable and differentiable.

Built from primitives like the rest of ``funcdiff.numpy``. Functions are
grouped by kind under section banners; add new ones (solve, inv, det...) in
their own section and list them in ``__all__``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcdiff.core.trace import bind
from funcdiff.numpy._core import Array, asarray_arg, dtype_of, shape_of
from funcdiff.numpy._reductions import _axes_list, _safe_sqrt
from funcdiff.numpy._reductions import max as _max
from funcdiff.numpy._reductions import min as _min
from funcdiff.primitives import elementwise as E
from funcdiff.primitives import shape as S

__all__ = ["norm"]


# ---------------------------------------------------------------------------
# norms
# ---------------------------------------------------------------------------


def _abs(x: Array) -> Array:
    return bind(E.abs_p, x)


def _sum_sq(x: Array, axes: tuple[int, ...]) -> Array:
    """``sqrt(sum(x * x))`` over ``axes``, with a zero gradient at x = 0."""
    return _safe_sqrt(S.reduce_sum(E.mul(x, x), axes))


def _vector_norm(x: Array, order: Any, axis: int) -> Array:
    axes = (axis,)
    if order is None or (_is_number(order) and order == 2):
        return _sum_sq(x, axes)
    if not _is_number(order):
        raise ValueError(f"norm: invalid norm order {order!r} for vectors")
    if order == np.inf:
        return _max(_abs(x), axis)
    if order == -np.inf:
        return _min(_abs(x), axis)
    if order == 0:
        return S.reduce_sum(E.convert(E.ne(x, 0.0), dtype_of(x)), axes)
    if order == 1:
        return S.reduce_sum(_abs(x), axes)
    p = float(order)
    s = S.reduce_sum(E.pow(_abs(x), p), axes)
    if p < 0:
        return E.pow(s, 1.0 / p)
    # s ** (1/p) selecting away s == 0, so the gradient at x = 0 is 0, not NaN
    zero = E.eq(s, 0.0)
    return E.select(zero, 0.0, E.pow(E.select(zero, 1.0, s), 1.0 / p))


def _matrix_norm(x: Array, order: Any, row: int, col: int) -> Array:
    if order is None or order == "fro":
        return _sum_sq(x, tuple(sorted((row, col))))
    if order in (2, -2, "nuc"):
        raise NotImplementedError(
            f"norm: ord={order!r} for matrices needs the singular values (an SVD), which "
            "funcdiff does not have yet. Use ord='fro' (the Frobenius norm, an upper bound "
            "of the 2-norm), or ord=1 / ord=inf."
        )
    if not _is_number(order) or order not in (1, -1, np.inf, -np.inf):
        raise ValueError(
            f"norm: invalid norm order {order!r} for matrices (use None, 'fro', 1, -1, inf, -inf)"
        )
    if order in (1, -1):
        # largest (smallest) column sum: sum over rows, then extremum over columns
        sums = S.reduce_sum(_abs(x), (row,))
        other = col - 1 if col > row else col
    else:
        # largest (smallest) row sum
        sums = S.reduce_sum(_abs(x), (col,))
        other = row - 1 if row > col else row
    return _max(sums, other) if order > 0 else _min(sums, other)


def _is_number(order: Any) -> bool:
    return isinstance(order, (int, float, np.integer, np.floating)) and not isinstance(order, bool)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Array:  # noqa: A002
    """Vector or matrix norm, as ``numpy.linalg.norm``.

    Args:
      x: the array; integer inputs are converted to float64.
      ord: for vectors (``axis`` an int, or ``x`` 1-D): None or 2 (Euclidean),
        1, inf, -inf, 0 (number of non-zeros) or any other p
        (``sum(|x|**p)**(1/p)``). For matrices (``axis`` a pair, or ``x``
        2-D): None or 'fro' (Frobenius), 1, -1 (max/min column sum of
        ``|x|``), inf, -inf (max/min row sum). ord=2, -2 and 'nuc' need an
        SVD and raise NotImplementedError for now.
      axis: None (with ord None: the 2-norm of the flattened array), an int
        or a tuple of one or two ints (negative allowed).
      keepdims: keep the normed axes as size 1.

    Differentiation: the 2-norm, the Frobenius norm and p-norms (p > 0)
    take a "safe" root that selects the zero away before the square root,
    so at ``x = 0`` their gradient is 0 (a valid subgradient) instead of NaN.
    ``inf``/``-inf`` norms share the gradient equally among tied entries.

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.linalg.norm(np.array([3.0, 4.0])))
    5.0
    >>> float(fnp.linalg.norm(np.array([[1.0, -2.0], [3.0, 4.0]]), ord=1))
    6.0
    >>> fd.grad(fnp.linalg.norm)(np.zeros(3))
    array([0., 0., 0.])
    """
    x = asarray_arg(x)
    if dtype_of(x).kind == "c":
        raise NotImplementedError("norm: complex input is not supported yet")
    if dtype_of(x).kind != "f":
        x = E.convert(x, np.float64)
    shape = shape_of(x)
    nd = len(shape)
    if axis is None:
        if ord is None:
            r = _sum_sq(x, tuple(range(nd)))
            return S.reshape(r, (1,) * nd) if keepdims else r
        if nd not in (1, 2):
            raise ValueError(
                f"norm: improper number of dimensions to norm: ord={ord!r} needs a 1-D or "
                f"2-D array (or axis=), got shape {shape}"
            )
        axes = list(range(nd))
    else:
        if not isinstance(axis, (tuple, list)):
            axis = (axis,)
        axes = _axes_list("norm", axis, shape)  # raises on out-of-range or repeated axes
    if len(axes) == 1:
        r = _vector_norm(x, ord, axes[0])
    elif len(axes) == 2:
        r = _matrix_norm(x, ord, axes[0], axes[1])
    else:
        raise ValueError(
            f"norm: improper number of dimensions to norm: axis={axis!r} (give one axis "
            "for a vector norm or two for a matrix norm)"
        )
    if keepdims:
        r = S.reshape(r, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return r

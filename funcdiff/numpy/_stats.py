"""Differences, integration, interpolation, order statistics, covariance
and histograms, with numpy's signatures, composed from existing
``funcdiff.numpy`` functions and primitives.

Derivatives are the composition's: ``median`` and ``quantile`` differentiate
through the sort and the interpolation between the two neighbouring order
statistics (in ``a`` and in ``q``), as JAX's do. Integer-valued results
(``searchsorted``, ``digitize``, ``bincount``, ``histogram`` counts) carry no
derivative; ``histogram``'s weights and bin edges do.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcdiff.api_util import concrete_or_none, concrete_or_raise
from funcdiff.core.typing import ArrayLike, Axis, DTypeLike
from funcdiff.errors import DTypeError
from funcdiff.numpy._core import (
    Array,
    asarray_arg,
    dtype_of,
    promote,
    promote_float,
    shape_of,
)
from funcdiff.numpy._creation import linspace, zeros
from funcdiff.numpy._indexing import _update
from funcdiff.numpy._linear import dot, matrix_transpose
from funcdiff.numpy._reductions import (
    _axes_list,
    _check_out,
    _NoValue,
    _one_axis,
    argmax,
    argmin,
    average,
    cumprod,
    cumsum,
    mean,
    prod,
    std,
    var,
)
from funcdiff.numpy._reductions import (
    all as _all,
)
from funcdiff.numpy._reductions import (
    max as _max,
)
from funcdiff.numpy._reductions import (
    min as _min,
)
from funcdiff.numpy._reductions import sum as _sum
from funcdiff.numpy._shape import (
    _slice_axis,
    atleast_2d,
    concatenate,
    moveaxis,
    ravel,
    sort,
    squeeze,
    take_along_axis,
)
from funcdiff.numpy._ufuncs import (
    abs as _abs,
)
from funcdiff.numpy._ufuncs import (
    ceil,
    clip,
    conj,
    floor,
    isnan,
    logical_not,
    remainder,
    rint,
    sqrt,
)
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import shape as sh

_I64 = np.dtype(np.int64)


def _float(x: Array) -> Array:
    dt = dtype_of(x)
    return x if dt.kind in "fc" else ew.convert(x, np.float64)


def _along(v: Array, ax: int, nd: int) -> Array:
    """A 1-D ``v`` shaped to broadcast along axis ``ax`` of an ``nd``-D array."""
    n = shape_of(v)[0]
    return sh.reshape(v, tuple(n if k == ax else 1 for k in range(nd)))


# ---------------------------------------------------------------------------
# differences and integrals
# ---------------------------------------------------------------------------


def diff(
    a: ArrayLike,
    n: int = 1,
    axis: int = -1,
    prepend: ArrayLike = _NoValue,
    append: ArrayLike = _NoValue,
) -> Array:
    """The ``n``-th discrete difference along ``axis`` (``a[1:] - a[:-1]``,
    ``n`` times); bools give ``!=``. ``prepend``/``append`` extend ``a`` first.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.diff(np.array([1.0, 4.0, 9.0, 16.0]), n=2)
    array([2., 2.])
    """
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    x = asarray_arg(a)
    nd = len(shape_of(x))
    if nd == 0:
        raise ValueError("diff: requires input that is at least one dimensional")
    ax = _one_axis("diff", axis, shape_of(x))
    parts: list[Any] = []
    for extra in (prepend, append):
        if extra is _NoValue:
            parts.append(None)
            continue
        e = asarray_arg(extra)
        if len(shape_of(e)) == 0:
            shp = list(shape_of(x))
            shp[ax] = 1
            e = sh.broadcast_to(e, tuple(shp))
        parts.append(e)
    pieces = [p for p in (parts[0], x, parts[1]) if p is not None]
    if len(pieces) > 1:
        x = concatenate(pieces, axis=ax)
    for _ in range(n):
        m = shape_of(x)[ax]
        if m == 0:
            break
        hi, lo = _slice_axis(x, 1, m, ax), _slice_axis(x, 0, m - 1, ax)
        x = ew.ne(hi, lo) if dtype_of(x) == np.bool_ else ew.sub(hi, lo)
    return x


def ediff1d(
    ary: ArrayLike, to_end: ArrayLike | None = None, to_begin: ArrayLike | None = None
) -> Array:
    """Differences of the flattened array, with optional values before and after.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.ediff1d(np.array([1.0, 2.0, 4.0]), to_begin=0.0)
    array([0., 1., 2.])
    """
    x = ravel(asarray_arg(ary))
    d = diff(x) if shape_of(x)[0] > 0 else x
    dt = dtype_of(d)
    pieces = []
    if to_begin is not None:
        pieces.append(ew.convert(ravel(asarray_arg(to_begin)), dt))
    pieces.append(d)
    if to_end is not None:
        pieces.append(ew.convert(ravel(asarray_arg(to_end)), dt))
    return concatenate(pieces) if len(pieces) > 1 else d


def _gradient_axis(f: Array, ax: int, h: Any, edge_order: int) -> Array:
    nd = len(shape_of(f))
    n = shape_of(f)[ax]
    if n < edge_order + 1:
        raise ValueError(
            f"gradient: shape {shape_of(f)} has {n} points along axis {ax}; edge_order="
            f"{edge_order} needs at least {edge_order + 1}"
        )

    def s(i: int, j: int) -> Array:
        return _slice_axis(f, i % n if i < 0 else i, j % n if j < 0 else j, ax)

    def at(i: int) -> Array:
        i = i % n
        return _slice_axis(f, i, i + 1, ax)

    uniform = len(shape_of(h)) == 0
    if uniform:
        inner = ew.div(ew.sub(s(2, n), s(0, n - 2)), ew.mul(h, 2.0))
        if edge_order == 1:
            first = ew.div(ew.sub(at(1), at(0)), h)
            last = ew.div(ew.sub(at(-1), at(-2)), h)
        else:
            first = ew.div(
                ew.add(ew.add(ew.mul(at(0), -1.5), ew.mul(at(1), 2.0)), ew.mul(at(2), -0.5)), h
            )
            last = ew.div(
                ew.add(ew.add(ew.mul(at(-3), 0.5), ew.mul(at(-2), -2.0)), ew.mul(at(-1), 1.5)), h
            )
    else:
        if shape_of(h) != (n,):
            raise ValueError(
                f"gradient: coordinate array of shape {shape_of(h)} does not match the "
                f"length {n} of axis {ax}"
            )
        dx = diff(h)
        dx1, dx2 = dx[:-1], dx[1:]
        a = ew.neg(ew.div(dx2, ew.mul(dx1, ew.add(dx1, dx2))))
        b = ew.div(ew.sub(dx2, dx1), ew.mul(dx1, dx2))
        c = ew.div(dx1, ew.mul(dx2, ew.add(dx1, dx2)))
        inner = ew.add(
            ew.add(ew.mul(_along(a, ax, nd), s(0, n - 2)), ew.mul(_along(b, ax, nd), s(1, n - 1))),
            ew.mul(_along(c, ax, nd), s(2, n)),
        )
        if edge_order == 1:
            first = ew.div(ew.sub(at(1), at(0)), dx[0])
            last = ew.div(ew.sub(at(-1), at(-2)), dx[-1])
        else:
            d1, d2 = dx[0], dx[1]
            a0 = ew.neg(ew.div(ew.add(ew.mul(d1, 2.0), d2), ew.mul(d1, ew.add(d1, d2))))
            b0 = ew.div(ew.add(d1, d2), ew.mul(d1, d2))
            c0 = ew.neg(ew.div(d1, ew.mul(d2, ew.add(d1, d2))))
            first = ew.add(ew.add(ew.mul(at(0), a0), ew.mul(at(1), b0)), ew.mul(at(2), c0))
            d1, d2 = dx[-2], dx[-1]
            a1 = ew.div(d2, ew.mul(d1, ew.add(d1, d2)))
            b1 = ew.neg(ew.div(ew.add(d2, d1), ew.mul(d1, d2)))
            c1 = ew.div(ew.add(ew.mul(d2, 2.0), d1), ew.mul(d2, ew.add(d1, d2)))
            last = ew.add(ew.add(ew.mul(at(-3), a1), ew.mul(at(-2), b1)), ew.mul(at(-1), c1))
    return concatenate([first, inner, last], axis=ax)


def gradient(
    f: ArrayLike, *varargs: ArrayLike, axis: Axis = None, edge_order: int = 1
) -> Array | tuple[Array, ...]:
    """Second-order central differences inside, one-sided (order
    ``edge_order``, 1 or 2) at the ends; spacing is a scalar per axis or the
    coordinates along it. One axis: an array; several: a tuple.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.gradient(np.array([1.0, 2.0, 4.0, 7.0]))
    array([1. , 1.5, 2.5, 3. ])
    """
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    x = asarray_arg(f)
    dt = dtype_of(x)
    x = x if dt.kind in "fc" else ew.convert(x, np.float64)
    shape = shape_of(x)
    axes = _axes_list("gradient", axis, shape)
    if not varargs:
        hs: list[Any] = [1.0] * len(axes)
    elif len(varargs) == 1 and len(shape_of(asarray_arg(varargs[0]))) == 0:
        hs = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        hs = list(varargs)
    else:
        raise TypeError(
            f"gradient: give no spacing, one scalar, or one per axis ({len(axes)}); "
            f"got {len(varargs)}"
        )
    out = []
    for ax, h in zip(axes, hs, strict=True):
        h = asarray_arg(h)
        hd = dtype_of(h)
        h = ew.convert(h, dtype_of(x)) if hd.kind not in "fc" or len(shape_of(h)) else h
        if len(shape_of(h)) == 0:
            h = ew.convert(h, dtype_of(x))
        out.append(_gradient_axis(x, ax, h, edge_order))
    return out[0] if len(out) == 1 else tuple(out)


def trapezoid(y: ArrayLike, x: ArrayLike | None = None, dx: float = 1.0, axis: int = -1) -> Array:
    """Integral of ``y`` by the trapezoidal rule along ``axis``, at points
    ``x`` (1-D, or ``y``'s shape) or with spacing ``dx``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.trapezoid(np.array([1.0, 2.0, 3.0]), x=np.array([0.0, 1.0, 3.0])))
    6.5
    """
    yv = asarray_arg(y)
    nd = len(shape_of(yv))
    ax = _one_axis("trapezoid", axis, shape_of(yv))
    n = shape_of(yv)[ax]
    if x is None:
        d: Any = dx
    else:
        xv = asarray_arg(x)
        d = diff(xv, axis=-1 if len(shape_of(xv)) == 1 else ax)
        if len(shape_of(xv)) == 1:
            d = _along(d, ax, nd)
    hi, lo = _slice_axis(yv, 1, n, ax), _slice_axis(yv, 0, builtins.max(n - 1, 0), ax)
    (avg,) = promote_float(ew.add(hi, lo))
    return _sum(
        ew.mul(d, ew.div(avg, 2.0)) if not isinstance(d, float) else ew.mul(ew.div(avg, 2.0), d),
        axis=ax,
    )


def unwrap(
    p: ArrayLike, discont: float | None = None, axis: int = -1, *, period: float = 2 * math.pi
) -> Array:
    """Remove jumps larger than ``discont`` (default ``period / 2``) by adding
    multiples of ``period`` along ``axis``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> np.round(fnp.unwrap(np.array([0.0, 3.0, 6.5, 0.2])), 4)
    array([0.    , 3.    , 0.2168, 0.2   ])
    """
    x = asarray_arg(p)
    (x,) = promote_float(x)
    nd = len(shape_of(x))
    ax = _one_axis("unwrap", axis, shape_of(x))
    n = shape_of(x)[ax]
    if n < 2:
        return x
    if discont is None:
        discont = period / 2
    dt = dtype_of(x)
    half = dt.type(period / 2)
    dd = diff(x, axis=ax)
    ddmod = ew.sub(remainder(ew.add(dd, half), dt.type(period)), half)
    ddmod = ew.select(
        ew.logical_and(ew.eq(ddmod, ew.neg(half)), ew.gt(dd, dt.type(0))), half, ddmod
    )
    corr = ew.sub(ddmod, dd)
    corr = ew.select(ew.lt(_abs(dd), dt.type(builtins.max(discont, period / 2))), dt.type(0), corr)
    csum = cumsum(corr, axis=ax)
    shp = list(shape_of(x))
    shp[ax] = 1
    return ew.add(x, concatenate([zeros(tuple(shp), dt), csum], axis=ax)) if nd else x


def _cumulative(
    name: str, fn: Any, x: Any, axis: int | None, dtype: Any, include_initial: bool, init: int
) -> Array:
    x = asarray_arg(x)
    nd = len(shape_of(x))
    if axis is None:
        if nd > 1:
            raise ValueError(f"{name}: axis must be given for arrays of more than one dimension")
        axis = 0
    if nd == 0:
        x = sh.reshape(x, (1,))
    out = fn(x, axis=axis, dtype=dtype)
    if include_initial:
        ax = _one_axis(name, axis, shape_of(out))
        shp = list(shape_of(out))
        shp[ax] = 1
        first = ew.convert(np.full(tuple(shp), init), dtype_of(out))
        out = concatenate([first, out], axis=ax)
    return out


def cumulative_sum(
    x: ArrayLike,
    /,
    *,
    axis: int | None = None,
    dtype: DTypeLike | None = None,
    include_initial: bool = False,
) -> Array:
    """The array API's cumulative sum (``include_initial`` prepends 0).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.cumulative_sum(np.array([1, 2, 3]), include_initial=True)
    array([0, 1, 3, 6])
    """
    return _cumulative("cumulative_sum", cumsum, x, axis, dtype, include_initial, 0)


def cumulative_prod(
    x: ArrayLike,
    /,
    *,
    axis: int | None = None,
    dtype: DTypeLike | None = None,
    include_initial: bool = False,
) -> Array:
    """The array API's cumulative product (``include_initial`` prepends 1).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.cumulative_prod(np.array([1.0, 2.0, 3.0]))
    array([1., 2., 6.])
    """
    return _cumulative("cumulative_prod", cumprod, x, axis, dtype, include_initial, 1)


# ---------------------------------------------------------------------------
# searching and interpolation
# ---------------------------------------------------------------------------


def _lt_nan(a: Array, v: Array) -> Array:
    """``a < v`` in numpy's sort order (NaN after everything)."""
    if dtype_of(a).kind not in "fc":
        return ew.lt(a, v)
    return ew.logical_and(logical_not(isnan(a)), ew.logical_or(isnan(v), ew.lt(a, v)))


def _le_nan(a: Array, v: Array) -> Array:
    if dtype_of(a).kind not in "fc":
        return ew.le(a, v)
    return ew.logical_or(isnan(v), ew.logical_and(logical_not(isnan(a)), ew.le(a, v)))


def searchsorted(
    a: ArrayLike, v: ArrayLike, side: str = "left", sorter: ArrayLike | None = None
) -> Array:
    """Indices at which to insert ``v`` into the sorted 1-D ``a`` to keep it
    sorted (a binary search of ``ceil(log2(len(a) + 1))`` vectorized steps:
    traceable, int64 result, zero derivative).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.searchsorted(np.array([1.0, 2.0, 2.0, 5.0]), np.array([2.0, 0.0, 9.0]), side="right")
    array([3, 0, 4])
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    arr = asarray_arg(a)
    if len(shape_of(arr)) != 1:
        raise ValueError(f"searchsorted: a must be 1-D, got shape {shape_of(arr)}")
    if sorter is not None:
        arr = ix.gather(arr, asarray_arg(sorter), 0)
    arr, vals = promote(ew.stop_gradient(arr), ew.stop_gradient(asarray_arg(v)))
    n = shape_of(arr)[0]
    vshape = shape_of(vals)
    lo: Any = np.zeros(vshape, _I64)
    if n == 0:
        return lo
    hi: Any = np.full(vshape, n, _I64)
    pred = _lt_nan if side == "left" else _le_nan
    for _ in range(math.ceil(math.log2(n + 1))):
        mid = ew.convert(ew.floor(ew.div(ew.convert(ew.add(lo, hi), np.float64), 2.0)), _I64)
        am = ix.gather(arr, ew.minimum(mid, _I64.type(n - 1)), 0)
        right = ew.logical_and(pred(am, vals), ew.lt(lo, hi))
        lo, hi = ew.select(right, ew.add(mid, _I64.type(1)), lo), ew.select(right, hi, mid)
    return lo


def _is_increasing(bins: Any) -> bool | None:
    c = concrete_or_none(bins)
    if c is None:
        return None
    d = np.diff(c)
    if np.all(d >= 0):
        return True
    if np.all(d <= 0):
        return False
    raise ValueError("digitize: bins must be monotonically increasing or decreasing")


def digitize(x: ArrayLike, bins: ArrayLike, right: bool = False) -> Array:
    """Index of the bin each value falls in (numpy's convention for
    increasing or decreasing ``bins``; traced bins are taken as increasing).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.digitize(np.array([0.5, 1.0, 2.5]), np.array([1.0, 2.0, 3.0]))
    array([0, 1, 2])
    """
    b = asarray_arg(bins)
    if len(shape_of(b)) != 1:
        raise ValueError(f"digitize: bins must be 1-D, got shape {shape_of(b)}")
    inc = _is_increasing(b)
    if inc is False:
        n = shape_of(b)[0]
        rev = ix.rev(b, (0,))
        idx = searchsorted(rev, x, side="left" if right else "right")
        return ew.sub(_I64.type(n), idx)
    return searchsorted(b, x, side="left" if right else "right")


def interp(
    x: ArrayLike,
    xp: ArrayLike,
    fp: ArrayLike,
    left: ArrayLike | None = None,
    right: ArrayLike | None = None,
    period: ArrayLike | None = None,
) -> Array:
    """Piecewise-linear interpolation of the points ``(xp, fp)`` (``xp``
    increasing) at ``x``; ``left``/``right`` outside (default the end
    values), or a ``period``. Differentiable in ``x``, ``xp`` and ``fp``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.interp(np.array([0.5, 2.5, 9.0]), np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 3.0]))
    array([1.  , 2.75, 3.  ])
    """
    xv, xpv = promote_float(x, xp)
    fpv = asarray_arg(fp)
    (fpv,) = promote_float(fpv)
    if dtype_of(fpv).kind != "c":
        fpv = ew.convert(fpv, np.promote_types(dtype_of(fpv), dtype_of(xv)))
    if len(shape_of(xpv)) != 1 or shape_of(xpv) != shape_of(fpv):
        raise ValueError(
            f"interp: xp and fp must be 1-D of the same length, got shapes {shape_of(xpv)} "
            f"and {shape_of(fpv)}"
        )
    n = shape_of(xpv)[0]
    if n == 0:
        raise ValueError("interp: array of sample points is empty")
    if period is not None:
        per = ew.convert(asarray_arg(period), dtype_of(xv))
        xv = remainder(xv, per)
        xpv = remainder(xpv, per)
        order = ix.argsort(ew.stop_gradient(xpv), 0)
        xpv, fpv = ix.gather(xpv, order, 0), ix.gather(fpv, order, 0)
        xpv = concatenate([ew.sub(xpv[-1:], per), xpv, ew.add(xpv[0:1], per)])
        fpv = concatenate([fpv[-1:], fpv, fpv[0:1]])
        left = right = None
        n += 2
    if n == 1:
        out = sh.broadcast_to(fpv[0], shape_of(xv))
    else:
        i = searchsorted(xpv, xv, side="right")
        i = ew.minimum(ew.maximum(i, _I64.type(1)), _I64.type(n - 1))
        im = ew.sub(i, _I64.type(1))
        x0, x1 = ix.gather(xpv, im, 0), ix.gather(xpv, i, 0)
        f0, f1 = ix.gather(fpv, im, 0), ix.gather(fpv, i, 0)
        h = ew.sub(x1, x0)
        t = ew.div(ew.sub(xv, x0), ew.select(ew.eq(h, 0.0), 1.0, h))
        if dtype_of(fpv).kind == "c":
            t = ew.convert(t, dtype_of(fpv))
        out = ew.add(f0, ew.mul(t, ew.sub(f1, f0)))
        out = ew.select(ew.eq(xv, x1), f1, out)
    if period is None:
        lo = fpv[0] if left is None else ew.convert(asarray_arg(left), dtype_of(out))
        hi = fpv[-1] if right is None else ew.convert(asarray_arg(right), dtype_of(out))
        out = ew.select(ew.lt(xv, xpv[0]), lo, out)
        out = ew.select(ew.gt(xv, xpv[-1]), hi, out)
    return ew.select(isnan(xv), dtype_of(out).type(np.nan), out)


# ---------------------------------------------------------------------------
# quantiles
# ---------------------------------------------------------------------------

_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _quantile(
    name: str,
    a: Any,
    q: Any,
    axis: Any,
    method: str,
    keepdims: bool,
    skip_nan: bool,
    out: Any = None,
    weights: Any = None,
) -> Array:
    _check_out(name, out)
    if weights is not None:
        raise NotImplementedError(f"{name}: weights= is not supported")
    if method not in _METHODS:
        raise ValueError(f"{name}: method must be one of {_METHODS}, got {method!r}")
    x = asarray_arg(a)
    if dtype_of(x).kind == "c":
        raise DTypeError(f"{name}: complex input is not supported (numpy refuses it too)")
    qv = asarray_arg(q)
    qc = concrete_or_none(qv)
    if qc is not None and qc.size and not (np.all(qc >= 0) and np.all(qc <= 1)):
        raise ValueError(f"{name}: quantiles must be in the range [0, 1]")
    if method in ("linear", "midpoint"):
        x, qv = promote_float(x, q)
    else:
        (qv,) = promote_float(q)
    shape = shape_of(x)
    axes = _axes_list(name, axis, shape)
    rest = [k for k in range(len(shape)) if k not in axes]
    xt = sh.transpose(x, tuple(rest + axes)) if len(shape) else x
    rshape = tuple(shape[k] for k in rest)
    n = math.prod(shape[k] for k in axes)
    xt = sh.reshape(xt, (*rshape, n))
    qshape = shape_of(qv)
    qf = sh.reshape(qv, (math.prod(qshape),))
    m = shape_of(qf)[0]
    xs = sort(xt, axis=-1) if n > 1 else xt
    hasnan = isnan(xs) if dtype_of(xs).kind == "f" else None
    if skip_nan and hasnan is not None:
        cnt: Any = _sum(logical_not(hasnan), axis=-1, keepdims=True)
        cnt = ew.convert(cnt, dtype_of(qf))
    else:
        cnt = dtype_of(qf).type(n)
    last = ew.sub(cnt, 1.0)
    pos = ew.mul(qf, last)  # (*rshape, m) or (m,)
    pos = sh.broadcast_to(pos, (*rshape, m))
    top = ew.maximum(last, 0.0)

    def idx(p: Any) -> Any:
        p = ew.minimum(ew.maximum(p, 0.0), top)
        return ew.convert(ew.stop_gradient(p), _I64)

    def pick(i: Any) -> Any:
        if n == 0:
            return sh.broadcast_to(np.array(np.nan, dtype_of(xs)), (*rshape, m))
        return take_along_axis(xs, ew.minimum(i, _I64.type(n - 1)), axis=-1)

    if method == "lower":
        r = pick(idx(floor(pos)))
    elif method == "higher":
        r = pick(idx(ceil(pos)))
    elif method == "nearest":
        r = pick(idx(rint(pos)))
    else:
        fl = floor(pos)
        lo_i = idx(fl)
        a0, b0 = pick(lo_i), pick(idx(ew.add(fl, 1.0)))
        g = ew.sub(pos, fl)
        if method == "midpoint":
            g = ew.select(ew.eq(g, 0.0), 0.0, 0.5)
        g = ew.convert(g, dtype_of(a0))
        d = ew.sub(b0, a0)
        r = ew.select(
            ew.ge(g, 0.5),
            ew.sub(b0, ew.mul(d, ew.sub(1.0, g))),
            ew.add(a0, ew.mul(d, g)),
        )
        # equal neighbours (inf included) give themselves, not inf - inf
        r = ew.select(ew.eq(a0, b0), a0, r)
    if hasnan is not None:
        nan = dtype_of(r).type(np.nan) if dtype_of(r).kind == "f" else None
        if nan is not None:
            if skip_nan:
                r = ew.select(
                    ew.eq(
                        sh.broadcast_to(cnt, (*rshape, 1))
                        if not isinstance(cnt, np.generic)
                        else cnt,
                        0.0,
                    ),
                    nan,
                    r,
                )
            elif n:
                anynan = isnan(_slice_axis(xs, n - 1, n, len(rshape)))
                r = ew.select(anynan, nan, r)
    # (*rshape, m) -> (*qshape, *rshape)
    r = moveaxis(r, -1, 0)
    r = sh.reshape(r, (*qshape, *rshape))
    if keepdims:
        full = tuple(1 if k in axes else shape[k] for k in range(len(shape)))
        r = sh.reshape(r, (*qshape, *full))
    return r


def quantile(
    a: ArrayLike,
    q: ArrayLike,
    axis: Axis = None,
    out: None = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: ArrayLike | None = None,
) -> Array:
    """The ``q``-th quantiles (``q`` in [0, 1], scalar or array) over
    ``axis``, with numpy's ``method`` 'linear', 'lower', 'higher',
    'nearest' or 'midpoint'. NaN in a slice gives NaN. Differentiable in
    ``a`` and ``q`` (through the sort and the interpolation).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.quantile(np.array([1.0, 2.0, 4.0, 8.0]), np.array([0.25, 0.5]))
    array([1.75, 3.  ])
    """
    return _quantile("quantile", a, q, axis, method, keepdims, False, out, weights)


def _percent(q: Any) -> Array:
    (qv,) = promote_float(q)
    return ew.div(qv, 100.0)


def percentile(
    a: ArrayLike,
    q: ArrayLike,
    axis: Axis = None,
    out: None = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: ArrayLike | None = None,
) -> Array:
    """The ``q``-th percentiles (``q`` in [0, 100]); see ``quantile``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.percentile(np.array([1.0, 2.0, 3.0, 4.0]), 50))
    2.5
    """
    return _quantile("percentile", a, _pq(q), axis, method, keepdims, False, out, weights)


def _pq(q: Any) -> Any:
    qv = asarray_arg(q)
    qc = concrete_or_none(qv)
    if qc is not None and qc.size and not (np.all(qc >= 0) and np.all(qc <= 100)):
        raise ValueError("percentile: percentiles must be in the range [0, 100]")
    if isinstance(q, (int, float)):
        return q / 100
    return _percent(qv)


def median(
    a: ArrayLike,
    axis: Axis = None,
    out: None = None,
    overwrite_input: bool = False,
    keepdims: bool = False,
) -> Array:
    """The median over ``axis`` (the mean of the two middle values for an
    even count). Differentiable: the derivative goes to the middle value(s).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.median(np.array([3.0, 1.0, 4.0, 1.0])))
    2.0
    """
    return _quantile("median", a, 0.5, axis, "linear", keepdims, False, out)


def nanquantile(
    a: ArrayLike,
    q: ArrayLike,
    axis: Axis = None,
    out: None = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: ArrayLike | None = None,
) -> Array:
    """``quantile`` ignoring NaNs (NaN only for an all-NaN slice).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.nanquantile(np.array([1.0, np.nan, 3.0]), 0.5))
    2.0
    """
    return _quantile("nanquantile", a, q, axis, method, keepdims, True, out, weights)


def nanpercentile(
    a: ArrayLike,
    q: ArrayLike,
    axis: Axis = None,
    out: None = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: ArrayLike | None = None,
) -> Array:
    """``percentile`` ignoring NaNs.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.nanpercentile(np.array([1.0, np.nan, 3.0]), 100))
    3.0
    """
    return _quantile("nanpercentile", a, _pq(q), axis, method, keepdims, True, out, weights)


def nanmedian(
    a: ArrayLike,
    axis: Axis = None,
    out: None = None,
    overwrite_input: bool = False,
    keepdims: bool = False,
) -> Array:
    """``median`` ignoring NaNs.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.nanmedian(np.array([1.0, np.nan, 3.0, 10.0])))
    3.0
    """
    return _quantile("nanmedian", a, 0.5, axis, "linear", keepdims, True, out)


# ---------------------------------------------------------------------------
# NaN-ignoring reductions
# ---------------------------------------------------------------------------


def _nan_fill(a: Any, value: float) -> tuple[Array, Array | None]:
    x = asarray_arg(a)
    if dtype_of(x).kind not in "fc":
        return x, None
    bad = isnan(x)
    return ew.select(bad, dtype_of(x).type(value), x), bad


def _nan_where(bad: Array | None, where: Any) -> Any:
    if bad is None:
        return where
    ok = logical_not(bad)
    return ok if where is True else ew.logical_and(ok, asarray_arg(where))


def nanvar(
    a: ArrayLike,
    axis: Axis = None,
    dtype: DTypeLike | None = None,
    out: None = None,
    ddof: float = 0,
    keepdims: bool = False,
    *,
    where: ArrayLike = True,
    mean: ArrayLike = _NoValue,
    correction: float = _NoValue,
) -> Array:
    """``var`` over the non-NaN entries.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.nanvar(np.array([1.0, np.nan, 3.0])))
    1.0
    """
    x, bad = _nan_fill(a, 0.0)
    w = _nan_where(bad, where)
    return var(x, axis, dtype, out, ddof, keepdims, where=w, mean=mean, correction=correction)


def nanstd(
    a: ArrayLike,
    axis: Axis = None,
    dtype: DTypeLike | None = None,
    out: None = None,
    ddof: float = 0,
    keepdims: bool = False,
    *,
    where: ArrayLike = True,
    mean: ArrayLike = _NoValue,
    correction: float = _NoValue,
) -> Array:
    """``std`` over the non-NaN entries.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.nanstd(np.array([1.0, np.nan, 3.0])))
    1.0
    """
    x, bad = _nan_fill(a, 0.0)
    w = _nan_where(bad, where)
    return std(x, axis, dtype, out, ddof, keepdims, where=w, mean=mean, correction=correction)


def nanprod(
    a: ArrayLike,
    axis: Axis = None,
    dtype: DTypeLike | None = None,
    out: None = None,
    keepdims: bool = False,
    initial: ArrayLike = _NoValue,
    where: ArrayLike = True,
) -> Array:
    """``prod`` with NaNs taken as 1.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.nanprod(np.array([2.0, np.nan, 3.0])))
    6.0
    """
    x, _ = _nan_fill(a, 1.0)
    return prod(x, axis, dtype, out, keepdims, initial, where)


def nancumsum(
    a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None
) -> Array:
    """``cumsum`` with NaNs taken as 0.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.nancumsum(np.array([1.0, np.nan, 3.0]))
    array([1., 1., 4.])
    """
    x, _ = _nan_fill(a, 0.0)
    return cumsum(x, axis, dtype, out)


def nancumprod(
    a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None
) -> Array:
    """``cumprod`` with NaNs taken as 1.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.nancumprod(np.array([2.0, np.nan, 3.0]))
    array([2., 2., 6.])
    """
    x, _ = _nan_fill(a, 1.0)
    return cumprod(x, axis, dtype, out)


def _nan_arg(name: str, fn: Any, fill: float, a: Any, axis: Any, out: Any, keepdims: bool) -> Array:
    x, bad = _nan_fill(a, fill)
    r = fn(x, axis, out, keepdims=keepdims)
    if bad is None:
        return r
    allbad = _all(bad, axis=axis, keepdims=keepdims)
    c = concrete_or_none(allbad)
    if c is not None and np.any(c):
        raise ValueError(f"{name}: All-NaN slice encountered")
    return ew.select(allbad, _I64.type(-1), r)


def nanargmax(
    a: ArrayLike, axis: int | None = None, out: None = None, *, keepdims: bool = False
) -> Array:
    """``argmax`` ignoring NaNs (an all-NaN slice raises when concrete and
    gives -1 under tracing).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> int(fnp.nanargmax(np.array([1.0, np.nan, 3.0])))
    2
    """
    return _nan_arg("nanargmax", argmax, -np.inf, a, axis, out, keepdims)


def nanargmin(
    a: ArrayLike, axis: int | None = None, out: None = None, *, keepdims: bool = False
) -> Array:
    """``argmin`` ignoring NaNs (an all-NaN slice raises when concrete and
    gives -1 under tracing).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> int(fnp.nanargmin(np.array([1.0, np.nan, -3.0])))
    2
    """
    return _nan_arg("nanargmin", argmin, np.inf, a, axis, out, keepdims)


# ---------------------------------------------------------------------------
# covariance
# ---------------------------------------------------------------------------


def cov(
    m: ArrayLike,
    y: ArrayLike | None = None,
    rowvar: bool = True,
    bias: bool = False,
    ddof: int | None = None,
    fweights: ArrayLike | None = None,
    aweights: ArrayLike | None = None,
    *,
    dtype: DTypeLike | None = None,
) -> Array:
    """Covariance matrix of the variables in the rows (``rowvar``) or
    columns of ``m`` (and ``y``), with optional frequency and analytic weights.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.cov(np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    x = asarray_arg(m)
    if len(shape_of(x)) > 2:
        raise ValueError(f"cov: m has more than 2 dimensions (shape {shape_of(x)})")
    args = [x] if y is None else [x, asarray_arg(y)]
    fl = promote_float(*args)
    if dtype is not None:
        fl = [ew.convert(v, dtype) for v in fl]
    X = atleast_2d(fl[0])
    if not rowvar and shape_of(X)[0] != 1:
        X = matrix_transpose(X)
    if y is not None:
        Y = atleast_2d(fl[1])
        if not rowvar and shape_of(Y)[0] != 1:
            Y = matrix_transpose(Y)
        X = concatenate([X, Y], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    n = shape_of(X)[1]
    w: Any = None
    if fweights is not None:
        w = ew.convert(asarray_arg(fweights), np.float64)
    if aweights is not None:
        aw = ew.convert(asarray_arg(aweights), np.float64)
        w = aw if w is None else ew.mul(w, aw)
    rdt = ew.real_dtype(dtype_of(X))
    if w is None:
        avg = mean(X, axis=1)
        fact: Any = builtins.max(n - ddof, 0)
    else:
        avg = average(X, axis=1, weights=w)
        w_sum = _sum(w)
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = ew.sub(w_sum, float(ddof))
        else:
            fact = ew.sub(w_sum, ew.div(ew.mul(float(ddof), _sum(ew.mul(w, aw))), w_sum))
        fact = ew.convert(ew.maximum(fact, 0.0), rdt)
    Xc = ew.sub(X, sh.reshape(avg, (shape_of(X)[0], 1)))
    Xw = Xc if w is None else ew.mul(Xc, ew.convert(w, rdt))
    c = dot(Xc, conj(matrix_transpose(Xw)))
    c = ew.div(c, rdt.type(fact) if isinstance(fact, int) else fact)
    return squeeze(c)


def corrcoef(
    x: ArrayLike, y: ArrayLike | None = None, rowvar: bool = True, *, dtype: DTypeLike | None = None
) -> Array:
    """Pearson correlation coefficients: ``cov`` normalized by the standard
    deviations (clipped to [-1, 1]).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> np.round(fnp.corrcoef(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 2.5])), 4)
    array([[1.    , 0.9820],
           [0.9820, 1.    ]])
    """
    c = cov(x, y, rowvar, dtype=dtype)
    if len(shape_of(c)) == 0:
        return ew.div(c, c)
    d = ew.real(c) if dtype_of(c).kind == "c" else c
    s = sqrt(ix.gather(ravel(d), np.arange(shape_of(c)[0]) * (shape_of(c)[0] + 1), 0))
    c = ew.div(ew.div(c, sh.reshape(s, (-1, 1) if False else (shape_of(s)[0], 1))), s)
    if dtype_of(c).kind == "c":
        return ew.add(
            ew.convert(clip(ew.real(c), -1.0, 1.0), dtype_of(c)),
            ew.mul(ew.convert(clip(ew.imag(c), -1.0, 1.0), dtype_of(c)), 1j),
        )
    return clip(c, -1.0, 1.0)


# ---------------------------------------------------------------------------
# histograms and counting
# ---------------------------------------------------------------------------


def _edges(name: str, a: Array, bins: Any, range: Any) -> Array:  # noqa: A002
    if isinstance(bins, str):
        c = concrete_or_raise(a, f"{name} with bins={bins!r}")
        return np.histogram_bin_edges(c, bins=bins, range=range)
    if isinstance(bins, (int, np.integer)):
        if bins < 1:
            raise ValueError(f"{name}: bins must be a positive integer, got {bins}")
        dt = dtype_of(a) if dtype_of(a).kind == "f" else np.dtype(np.float64)
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
            if lo > hi:
                raise ValueError(f"{name}: max must be larger than min in range parameter")
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            first, last = ew.convert(np.asarray(lo), dt), ew.convert(np.asarray(hi), dt)
        elif shape_of(a) and math.prod(shape_of(a)) == 0:
            first, last = dt.type(0), dt.type(1)
        else:
            first = ew.convert(_min(a), dt)
            last = ew.convert(_max(a), dt)
            same = ew.eq(first, last)
            first = ew.select(same, ew.sub(first, dt.type(0.5)), first)
            last = ew.select(same, ew.add(last, dt.type(0.5)), last)
        return linspace(first, last, int(bins) + 1)
    e = asarray_arg(bins)
    if len(shape_of(e)) != 1:
        raise ValueError(f"{name}: bins must be an integer, a string or a 1-D array")
    ce = concrete_or_none(e)
    if ce is not None and np.any(np.diff(ce) < 0):
        raise ValueError(f"{name}: bins must increase monotonically, when an array")
    return e


def histogram_bin_edges(
    a: ArrayLike,
    bins: int | str | ArrayLike = 10,
    range: tuple[float, float] | None = None,  # noqa: A002
    weights: ArrayLike | None = None,
) -> Array:
    """The bin edges ``histogram`` would use (``bins`` an int: equal widths
    over ``range`` or ``[min, max]``, differentiable in ``a``; a string:
    numpy's estimators, concrete input only).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.histogram_bin_edges(np.array([0.0, 1.0, 4.0]), bins=4)
    array([0., 1., 2., 3., 4.])
    """
    x = ravel(asarray_arg(a))
    return _edges("histogram_bin_edges", x, bins, range)


def histogram(
    a: ArrayLike,
    bins: int | str | ArrayLike = 10,
    range: tuple[float, float] | None = None,  # noqa: A002
    density: bool | None = None,
    weights: ArrayLike | None = None,
) -> tuple[Array, Array]:
    """Counts (or summed ``weights``, or a ``density``) of the values of
    ``a`` in each bin, and the bin edges. The last bin includes its right
    edge; values outside the edges are left out. Traceable for an int or an
    array ``bins``; the counts carry no derivative, the weights and edges do.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> counts, edges = fnp.histogram(np.array([0.0, 0.5, 1.0, 3.0]), bins=3)
    >>> counts
    array([2, 1, 1])
    """
    x = ravel(asarray_arg(a))
    edges = _edges("histogram", x, bins, range)
    nb = shape_of(edges)[0] - 1
    xs = ew.stop_gradient(x)
    es = ew.stop_gradient(edges)
    xs, es = promote(xs, es)
    idx = ew.sub(searchsorted(es, xs, side="right"), _I64.type(1))
    last = es[-1]
    idx = ew.select(ew.eq(xs, last), _I64.type(nb - 1), idx)
    ok = ew.logical_and(ew.ge(xs, es[0]), ew.le(xs, last))
    idx = ew.select(ok, idx, _I64.type(0))
    if weights is None:
        w: Any = ew.convert(ok, _I64)
        base = np.zeros(nb, _I64)
    else:
        wv = asarray_arg(weights)
        if shape_of(wv) != shape_of(asarray_arg(a)):
            raise ValueError(
                f"histogram: weights should have the same shape as a, got {shape_of(wv)} "
                f"and {shape_of(asarray_arg(a))}"
            )
        wv = ravel(wv)
        w = ew.select(ok, wv, dtype_of(wv).type(0))
        base = np.zeros(nb, dtype_of(wv))
    counts = _update(base, idx, w, "add") if shape_of(x)[0] else base
    if density:
        (cf,) = promote_float(counts)
        widths = diff(edges)
        return ew.div(ew.div(cf, _sum(cf)), widths), edges
    return counts, edges


def bincount(
    x: ArrayLike,
    weights: ArrayLike | None = None,
    minlength: int = 0,
    *,
    length: int | None = None,
) -> Array:
    """How often each non-negative integer occurs in ``x`` (or the sum of
    its ``weights``, as float64). The output length is
    ``max(x.max() + 1, minlength)``, which needs a concrete ``x``; under
    tracing pass ``length=`` (values >= length are dropped). Counts carry no
    derivative; weights do.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.bincount(np.array([0, 1, 1, 3]))
    array([1, 2, 0, 1])
    """
    xv = asarray_arg(x)
    if dtype_of(xv).kind not in "biu":
        raise TypeError(f"bincount: x must be non-negative integers, got dtype {dtype_of(xv)}")
    if len(shape_of(xv)) != 1:
        raise ValueError(f"bincount: x must be 1-D, got shape {shape_of(xv)}")
    c = concrete_or_none(xv)
    if c is not None and c.size and c.min() < 0:
        raise ValueError("bincount: x must be non-negative")
    if length is None:
        if c is None:
            concrete_or_raise(xv, "bincount's output length (pass length=)")
        assert c is not None
        length = builtins.max(int(c.max()) + 1 if c.size else 0, int(minlength))
    ok = ew.lt(xv, _I64.type(length))
    idx = ew.select(ok, ew.convert(xv, _I64), _I64.type(0))
    if weights is None:
        w: Any = ew.convert(ok, _I64)
        base = np.zeros(length, _I64)
    else:
        wv = ew.convert(asarray_arg(weights), np.float64)
        w = ew.select(ok, wv, 0.0)
        base = np.zeros(length, np.float64)
    if shape_of(xv)[0] == 0 or length == 0:
        return base
    return _update(base, idx, w, "add")


def _bin_index(x: Array, edges: Array) -> tuple[Array, Array]:
    """Bin of each value (last bin closed on the right) and whether it falls
    inside the edges; no derivative."""
    nb = shape_of(edges)[0] - 1
    xs, es = promote(ew.stop_gradient(x), ew.stop_gradient(edges))
    idx = ew.sub(searchsorted(es, xs, side="right"), _I64.type(1))
    last = es[-1]
    idx = ew.select(ew.eq(xs, last), _I64.type(nb - 1), idx)
    ok = ew.logical_and(ew.ge(xs, es[0]), ew.le(xs, last))
    return ew.select(ok, idx, _I64.type(0)), ok


def histogramdd(
    sample: Any,
    bins: Any = 10,
    range: Sequence[Any] | None = None,  # noqa: A002
    density: bool | None = None,
    weights: ArrayLike | None = None,
) -> tuple[Array, tuple[Array, ...]]:
    """Multidimensional histogram of the ``(N, D)`` points ``sample`` (or a
    sequence of D coordinate arrays): float counts (or summed weights, or a
    density) and the D edge arrays. ``bins``: an int, or one int or edge
    array per dimension. Traceable; counts carry no derivative.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> h, edges = fnp.histogramdd(np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0]]), bins=2)
    >>> h
    array([[1., 0.],
           [1., 1.]])
    """
    if isinstance(sample, (list, tuple)):
        cols = [ravel(asarray_arg(c)) for c in sample]
    else:
        sv = asarray_arg(sample)
        if len(shape_of(sv)) == 1:
            sv = sh.reshape(sv, (shape_of(sv)[0], 1))
        if len(shape_of(sv)) != 2:
            raise ValueError(f"histogramdd: sample must be (N, D), got shape {shape_of(sv)}")
        cols = [ix.slice_axis(sv, d, d + 1, 1) for d in builtins.range(shape_of(sv)[1])]
        cols = [sh.reshape(c, (shape_of(c)[0],)) for c in cols]
    nd = len(cols)
    if isinstance(bins, (int, np.integer)):
        binlist: list[Any] = [int(bins)] * nd
    else:
        binlist = list(bins)
        if len(binlist) != nd:
            raise ValueError(
                "histogramdd: the dimension of bins must be equal to the dimension of the sample"
            )
    ranges = [None] * nd if range is None else list(range)
    edges = [_edges("histogramdd", c, b, r) for c, b, r in zip(cols, binlist, ranges, strict=True)]
    nbs = [shape_of(e)[0] - 1 for e in edges]
    n = shape_of(cols[0])[0] if cols else 0
    flat: Any = np.zeros(n, _I64)
    ok: Any = np.ones(n, np.bool_)
    for c, e, nb in zip(cols, edges, nbs, strict=True):
        idx, inside = _bin_index(c, e)
        flat = ew.add(ew.mul(flat, _I64.type(nb)), idx)
        ok = ew.logical_and(ok, inside)
    total = math.prod(nbs)
    if weights is None:
        w: Any = ew.convert(ok, np.float64)
    else:
        wv = ravel(asarray_arg(weights))
        (wv,) = promote_float(wv)
        w = ew.select(ok, wv, dtype_of(wv).type(0))
    base = np.zeros(total, dtype_of(w))
    flat = ew.select(ok, flat, _I64.type(0))
    counts = _update(base, flat, w, "add") if n else base
    hist = sh.reshape(counts, tuple(nbs))
    if density:
        vol: Any = None
        for k, e in enumerate(edges):
            dk = sh.reshape(diff(e), tuple(nbs[k] if j == k else 1 for j in builtins.range(nd)))
            vol = dk if vol is None else ew.mul(vol, dk)
        hist = ew.div(ew.div(hist, _sum(hist)), vol)
    return hist, tuple(edges)


def histogram2d(
    x: ArrayLike,
    y: ArrayLike,
    bins: Any = 10,
    range: Sequence[Any] | None = None,  # noqa: A002
    density: bool | None = None,
    weights: ArrayLike | None = None,
) -> tuple[Array, Array, Array]:
    """Two-dimensional histogram of the points ``(x, y)``: ``(H, xedges,
    yedges)``; see ``histogramdd``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.histogram2d(np.array([0.0, 1.0, 1.0]), np.array([0.0, 1.0, 0.0]), bins=2)[0]
    array([[1., 0.],
           [1., 1.]])
    """
    if not isinstance(bins, (int, np.integer)) and len(bins) != 2:
        bins = [bins, bins]  # one edge array for both axes (numpy's rule)
    h, (ex, ey) = histogramdd([x, y], bins, range, density, weights)
    return h, ex, ey


__all__ = [
    "bincount",
    "corrcoef",
    "cov",
    "cumulative_prod",
    "cumulative_sum",
    "diff",
    "digitize",
    "ediff1d",
    "gradient",
    "histogram",
    "histogram2d",
    "histogram_bin_edges",
    "histogramdd",
    "interp",
    "median",
    "nanargmax",
    "nanargmin",
    "nancumprod",
    "nancumsum",
    "nanmedian",
    "nanpercentile",
    "nanprod",
    "nanquantile",
    "nanstd",
    "nanvar",
    "percentile",
    "quantile",
    "searchsorted",
    "trapezoid",
    "unwrap",
]

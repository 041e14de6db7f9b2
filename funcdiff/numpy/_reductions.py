"""Reductions with numpy's names, signatures and dtype rules.

Everything here is built from primitives: ``reduce_sum``, ``reduce_max``,
``reduce_min``, ``argmax``, ``argmin``, ``cumsum`` and element-wise and
slicing operations. Two constructions are worth knowing:

- ``prod`` multiplies pairwise in a tree over the reduced elements, and
  ``cumprod`` is a log-step (Hillis-Steele) scan of multiplies. Both are
  only multiplies, so their derivatives are exact even where entries are
  zero (no division by the product), and they differentiate again.
- ``std`` takes a "safe" square root (selecting away the zero before the
  sqrt), so its gradient at a constant input is 0 instead of NaN.

Integer sums stay integers (small ones widen to int64, as numpy's do);
``mean``, ``var`` and ``std`` of integers are float64. ``axis`` accepts
None, an int or a tuple, negative values included; ``where=`` masks and
``initial=`` work as in numpy. ``out=`` is accepted for signature
compatibility but must be None: arrays here are immutable.
"""

from __future__ import annotations

import builtins
import math
import operator
import warnings
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from funcdiff._compat import AxisError
from funcdiff.api_util import concrete_or_none
from funcdiff.core.trace import Tracer, bind
from funcdiff.core.typing import ArrayLike, Axis
from funcdiff.numpy._core import Array, asarray_arg, dtype_of, shape_of
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import reductions as red
from funcdiff.primitives import shape as sh

if TYPE_CHECKING:
    from funcdiff.core.typing import DTypeLike

_F64 = np.dtype(np.float64)


class _NoValueType:
    """Marks an argument that was not passed (numpy's ``<no value>``)."""

    def __repr__(self) -> str:
        return "<no value>"


_NoValue: Any = _NoValueType()


# ---------------------------------------------------------------------------
# argument handling
# ---------------------------------------------------------------------------


def _check_out(name: str, out: Any) -> None:
    if out is not None:
        raise TypeError(
            f"{name}: out= is not supported: funcdiff arrays are immutable; "
            "use the returned array instead"
        )


def _axes_list(name: str, axis: Any, shape: tuple[int, ...]) -> list[int]:
    """``axis`` (None, int or tuple) as non-negative axes, in the order given."""
    ndim = len(shape)
    if axis is None:
        return list(range(ndim))
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in items:
        try:
            i = operator.index(a)
        except TypeError:
            raise TypeError(
                f"{name}: axis must be None, an integer or a tuple of integers, got {axis!r}"
            ) from None
        if not -ndim <= i < ndim:
            raise AxisError(
                f"{name}: axis {i} is out of bounds for an array of dimension {ndim} "
                f"(shape {shape})"
            )
        out.append(i % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: repeated axis in axis={axis!r}")
    return out


def _axes(name: str, axis: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(sorted(_axes_list(name, axis, shape)))


def _one_axis(name: str, axis: Any, shape: tuple[int, ...]) -> int:
    if isinstance(axis, (tuple, list)):
        raise TypeError(f"{name}: axis must be an integer, got {axis!r}")
    return _axes_list(name, axis, shape)[0]


def _size(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return math.prod(shape[a] for a in axes)


def _reduced(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _keepdims(r: Array, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Array:
    if not keepdims:
        return r
    return sh.reshape(r, tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _sum_dtype(dt: np.dtype[Any]) -> np.dtype[Any]:
    """numpy's accumulator for sum/prod/cumsum: bool and small ints widen."""
    if dt.kind == "b" or (dt.kind == "i" and dt.itemsize < np.dtype(np.int_).itemsize):
        return np.dtype(np.int_)
    if dt.kind == "u" and dt.itemsize < np.dtype(np.uint).itemsize:
        return np.dtype(np.uint)
    return dt


def _where(name: str, where: Any, shape: tuple[int, ...]) -> Array | None:
    """The ``where=`` mask as a bool array, or None when it is ``True``."""
    if where is True:
        return None
    w = asarray_arg(where)
    if dtype_of(w) != np.bool_:
        w = ew.ne(w, 0)
    try:
        ok = np.broadcast_shapes(shape_of(w), shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"{name}: where= has shape {shape_of(w)}, which does not broadcast to the "
            f"array's shape {shape}"
        )
    return w


def _count(w: Array | None, shape: tuple[int, ...], axes: tuple[int, ...], dt: Any) -> Any:
    """How many elements each output reduces over (an int, or an array with ``where``)."""
    if w is None:
        return _size(shape, axes)
    return sh.reduce_sum(sh.broadcast_to(ew.convert(w, dt), shape), axes)


def _safe_sqrt(s: Array) -> Array:
    """``sqrt(s)`` of a variance with the norm's convention where ``s == 0``
    (all entries equal): value and gradient 0, higher derivatives NaN, since
    no finite curvature is right there (``std**2`` must have the Hessian of
    ``var``, which the chain rule through a finite one never gives)."""
    from funcdiff.numpy._ufuncs import _norm_root

    return _norm_root(s)


# ---------------------------------------------------------------------------
# sums and means
# ---------------------------------------------------------------------------


def sum(  # noqa: A001
    a: ArrayLike,
    axis: Axis = None,
    dtype: DTypeLike | None = None,
    out: None = None,
    keepdims: bool = False,
    initial: ArrayLike = _NoValue,
    where: ArrayLike = True,
) -> Array:
    """Sum over ``axis`` (None: all axes; int or tuple; negative allowed).

    Integer and bool inputs sum in int64 (as numpy's do); ``dtype=`` sets
    the accumulator and result type; ``initial=`` is added; ``where=`` masks
    elements out.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.sum(np.arange(6).reshape(2, 3), axis=0)
    array([3, 5, 7])
    >>> fnp.sum(np.ones((2, 3)), axis=-1, keepdims=True).shape
    (2, 1)
    """
    if (
        type(a) is Tracer
        and axis is None
        and dtype is None
        and not keepdims
        and out is None
        and initial is _NoValue
        and where is True
        and a.aval.dtype.kind == "f"
    ):  # the common traced sum of everything: what _sum does, without its steps
        return a._trace.process1(sh.reduce_sum_p, a, {"axes": _ALL_AXES[a.aval.ndim]})
    return _sum("sum", a, axis, dtype, out, keepdims, initial, where)


_ALL_AXES = [tuple(range(n)) for n in range(65)]


def _sum(
    name: str,
    a: Any,
    axis: Any,
    dtype: Any,
    out: Any,
    keepdims: bool,
    initial: Any,
    where: Any,
) -> Array:
    _check_out(name, out)
    a = asarray_arg(a)
    dt = _sum_dtype(dtype_of(a)) if dtype is None else np.dtype(dtype)
    # narrow integers (an explicit dtype=int8...) accumulate in int64 and wrap
    # at the end: the same result modulo 2**bits, and reduce_sum stays int64
    acc = _sum_dtype(dt)
    a = ew.convert(ew.convert(a, dt), acc)
    shape = shape_of(a)
    axes = _axes(name, axis, shape)
    w = _where(name, where, shape)
    if w is not None:
        a = ew.select(w, a, acc.type(0))
    r = sh.reduce_sum(a, axes)
    if initial is not _NoValue:
        r = ew.add(r, acc.type(initial))
    return _keepdims(ew.convert(r, dt), shape, axes, keepdims)


def mean(
    a: ArrayLike,
    axis: Axis = None,
    dtype: DTypeLike | None = None,
    out: None = None,
    keepdims: bool = False,
    *,
    where: ArrayLike = True,
) -> Array:
    """Arithmetic mean over ``axis``; float64 for integer inputs (as numpy).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.mean(np.array([[1, 2], [3, 5]]), axis=1)
    array([1.5, 4. ])
    """
    return _mean("mean", a, axis, dtype, out, keepdims, where)


def _mean(name: str, a: Any, axis: Any, dtype: Any, out: Any, keepdims: bool, where: Any) -> Array:
    _check_out(name, out)
    a = asarray_arg(a)
    in_dt = dtype_of(a)
    if dtype is not None:
        acc = res = np.dtype(dtype)
    elif in_dt.kind in "biu":
        acc = res = _F64
    elif in_dt == np.float16:
        acc, res = np.dtype(np.float32), in_dt  # numpy accumulates float16 in float32
    else:
        acc = res = in_dt
    work = acc if acc.kind in "fc" else _F64
    wide = _sum_dtype(acc)  # narrow integers sum in int64, then wrap (as in _sum)
    x = ew.convert(ew.convert(a, acc), wide)
    shape = shape_of(x)
    axes = _axes(name, axis, shape)
    w = _where(name, where, shape)
    if w is not None:
        x = ew.select(w, x, wide.type(0))
    total = ew.convert(ew.convert(sh.reduce_sum(x, axes), acc), work)
    r = ew.convert(ew.div(total, _count(w, shape, axes, work)), res)
    return _keepdims(r, shape, axes, keepdims)


@overload
def average(
    a: ArrayLike,
    axis: Axis = ...,
    weights: ArrayLike | None = ...,
    returned: Literal[False] = ...,
    *,
    keepdims: bool = ...,
) -> Array: ...
@overload
def average(
    a: ArrayLike,
    axis: Axis = ...,
    weights: ArrayLike | None = ...,
    returned: bool = ...,
    *,
    keepdims: bool = ...,
) -> Array | tuple[Array, Array]: ...
def average(
    a: ArrayLike,
    axis: Axis = None,
    weights: ArrayLike | None = None,
    returned: bool = False,
    *,
    keepdims: bool = False,
) -> Array | tuple[Array, Array]:
    """Weighted average ``sum(a * w) / sum(w)`` over ``axis``.

    ``weights`` has ``a``'s shape, or, with ``axis`` given, the shape of
    ``a`` along those axes. ``returned=True`` also returns the sum of the
    weights, broadcast to the result's shape.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.average(np.array([1.0, 2.0, 4.0]), weights=np.array([1.0, 1.0, 2.0])))
    2.75
    """
    a = asarray_arg(a)
    shape = shape_of(a)
    if weights is None:
        avg = mean(a, axis, keepdims=keepdims)
        if not returned:
            return avg
        n = _size(shape, _axes("average", axis, shape))
        return avg, np.full(shape_of(avg), n, dtype_of(avg))
    w = asarray_arg(weights)
    a_dt, w_dt = dtype_of(a), dtype_of(w)
    res_dt = np.result_type(a_dt, w_dt, _F64) if a_dt.kind in "biu" else np.result_type(a_dt, w_dt)
    ax_list = _axes_list("average", axis, shape)
    axes = tuple(sorted(ax_list))
    if shape_of(w) != shape:
        if axis is None:
            raise TypeError(
                f"average: axis must be specified when the shapes of a {shape} and "
                f"weights {shape_of(w)} differ"
            )
        along = tuple(shape[i] for i in ax_list)
        if shape_of(w) != along:
            raise ValueError(
                f"average: weights of shape {shape_of(w)} are not consistent with a of "
                f"shape {shape} along axis {axis!r} (expected {along} or {shape})"
            )
        w = sh.transpose(w, tuple(int(i) for i in np.argsort(ax_list)))
        w = sh.reshape(w, tuple(n if i in axes else 1 for i, n in enumerate(shape)))
    a = ew.convert(a, res_dt)
    w = ew.convert(w, res_dt)
    scl = sh.reduce_sum(w, axes)
    value = concrete_or_none(scl)
    if value is not None and np.any(value == 0.0):
        raise ZeroDivisionError("average: weights sum to zero, can't be normalized")
    avg = ew.div(sh.reduce_sum(ew.mul(a, w), axes), scl)
    avg = _keepdims(avg, shape, axes, keepdims)
    if not returned:
        return avg
    scl = _keepdims(scl, shape_of(w), axes, keepdims)
    return avg, sh.broadcast_to(scl, shape_of(avg))


def count_nonzero(a: ArrayLike, axis: Axis = None, *, keepdims: bool = False) -> Array:
    """Number of non-zero entries over ``axis`` (int64).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.count_nonzero(np.array([[0.0, 1.0], [2.0, 0.5]]), axis=0)
    array([1, 2])
    """
    a = asarray_arg(a)
    shape = shape_of(a)
    axes = _axes("count_nonzero", axis, shape)
    nz = a if dtype_of(a) == np.bool_ else ew.ne(a, 0)
    r = sh.reduce_sum(ew.convert(nz, np.intp), axes)
    return _keepdims(r, shape, axes, keepdims)


def cumsum(
    a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None
) -> Array:
    """Cumulative sum along ``axis`` (None: of the flattened array).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.cumsum(np.array([[1, 2], [3, 4]]), axis=0)
    array([[1, 2],
           [4, 6]])
    """
    x, ax = _scan_arg("cumsum", a, axis, dtype, out)
    if shape_of(x)[ax] <= 1:
        return x
    return red.cumsum(x, ax)


def _scan_arg(name: str, a: Any, axis: Any, dtype: Any, out: Any) -> tuple[Array, int]:
    _check_out(name, out)
    a = asarray_arg(a)
    if axis is None:
        a = sh.reshape(a, (math.prod(shape_of(a)),))
        ax = 0
    else:
        ax = _one_axis(name, axis, shape_of(a))
    dt = _sum_dtype(dtype_of(a)) if dtype is None else np.dtype(dtype)
    return ew.convert(a, dt), ax


# ---------------------------------------------------------------------------
# products: only multiplies, so derivatives are exact at zeros
# ---------------------------------------------------------------------------


def _prod_tree(x: Array, axes: tuple[int, ...]) -> Array:
    """Product over ``axes`` as a balanced tree of multiplies: the reduced
    axes go last and are flattened to one of length n, then each level
    multiplies the first half by the second (odd lengths padded with a 1),
    so there are ceil(log2 n) levels."""
    if not axes:
        return sh.reduce_sum(x, ())  # a new value, as np.prod(x, axis=()) gives
    shape = shape_of(x)
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    out_shape = tuple(shape[i] for i in kept)
    n = _size(shape, axes)
    if n == 0:
        # an empty product is 1; summing the empty slices gives exact zeros
        return ew.add(sh.reduce_sum(x, axes), 1)
    y = sh.reshape(sh.transpose(x, kept + axes), (*out_shape, n))
    last = len(out_shape)
    while n > 1:
        if n % 2:
            y = ix.pad(y, 1, ((0, 0, 0),) * last + ((0, 1, 0),))
            n += 1
        h = n // 2
        y = ew.mul(ix.slice_axis(y, 0, h, last), ix.slice_axis(y, h, n, last))
        n = h
    return sh.reshape(y, out_shape)


def prod(
    a: ArrayLike,
    axis: Axis = None,
    dtype: DTypeLike | None = None,
    out: None = None,
    keepdims: bool = False,
    initial: ArrayLike = _NoValue,
    where: ArrayLike = True,
) -> Array:
    """Product over ``axis``. Built from multiplies only (a pairwise tree),
    so the gradient is exact where entries are zero, including two zeros.

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> fnp.prod(np.array([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    array([ 2., 12.])
    >>> fd.grad(fnp.prod)(np.array([0.0, 2.0, 3.0]))
    array([6., 0., 0.])
    """
    _check_out("prod", out)
    x = asarray_arg(a)
    dt: np.dtype[Any] = _sum_dtype(dtype_of(x)) if dtype is None else np.dtype(dtype)
    x = ew.convert(x, dt)
    shape = shape_of(x)
    axes = _axes("prod", axis, shape)
    w = _where("prod", where, shape)
    if w is not None:
        x = ew.select(w, x, dt.type(1))
    r = _prod_tree(x, axes)
    if initial is not _NoValue:
        r = ew.mul(r, dt.type(initial))
    return _keepdims(r, shape, axes, keepdims)


def cumprod(
    a: ArrayLike, axis: Axis = None, dtype: DTypeLike | None = None, out: None = None
) -> Array:
    """Cumulative product along ``axis`` (None: of the flattened array).

    A log-step (Hillis-Steele) scan: step k multiplies each entry by the
    running product ``2**k`` places before it, so n entries take
    ceil(log2 n) steps of multiplies, with exact derivatives at zeros.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.cumprod(np.array([1.0, 2.0, 3.0, 4.0]))
    array([ 1.,  2.,  6., 24.])
    """
    y, ax = _scan_arg("cumprod", a, axis, dtype, out)
    ndim = len(shape_of(y))
    n = shape_of(y)[ax]
    s = 1
    while s < n:
        config = tuple((s, 0, 0) if i == ax else (0, 0, 0) for i in range(ndim))
        y = ew.mul(y, ix.pad(ix.slice_axis(y, 0, n - s, ax), 1, config))
        s *= 2
    return y


# ---------------------------------------------------------------------------
# extrema: ties share the derivative evenly
# ---------------------------------------------------------------------------


def _extremum(
    name: str,
    ufunc: str,
    maximum: bool,
    a: Any,
    axis: Any,
    out: Any,
    keepdims: bool,
    initial: Any,
    where: Any,
) -> Array:
    _check_out(name, out)
    a = asarray_arg(a)
    shape = shape_of(a)
    axes = _axes(name, axis, shape)
    dt = dtype_of(a)
    w = _where(name, where, shape)
    if w is not None and initial is _NoValue:
        raise ValueError(
            f"{name}: reduction operation '{ufunc}' does not have an identity, so to use "
            "a where mask one has to specify 'initial'"
        )
    if _size(shape, axes) == 0:
        if initial is _NoValue:
            raise ValueError(
                f"{name}: zero-size array to reduction operation {ufunc} which has no "
                f"identity (array shape {shape}, axis={axis!r}); pass initial= to give "
                "empty slices a value"
            )
        r: Array = np.full(_reduced(shape, axes), initial, dtype=dt)
    else:
        if w is not None:
            a = ew.select(w, a, dt.type(initial))
        r = red.reduce_max(a, axes) if maximum else red.reduce_min(a, axes)
        if initial is not _NoValue:
            r = (ew.maximum if maximum else ew.minimum)(r, dt.type(initial))
    return _keepdims(r, shape, axes, keepdims)


def max(  # noqa: A001
    a: ArrayLike,
    axis: Axis = None,
    out: None = None,
    keepdims: bool = False,
    initial: ArrayLike = _NoValue,
    where: ArrayLike = True,
) -> Array:
    """Maximum over ``axis``. NaN propagates. Where several entries tie for
    the maximum, the gradient is shared equally among them.

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> fnp.max(np.array([[1.0, 5.0], [3.0, 2.0]]), axis=0)
    array([3., 5.])
    >>> fd.grad(fnp.max)(np.array([1.0, 3.0, 3.0]))
    array([0. , 0.5, 0.5])
    """
    return _extremum("max", "maximum", True, a, axis, out, keepdims, initial, where)


def min(  # noqa: A001
    a: ArrayLike,
    axis: Axis = None,
    out: None = None,
    keepdims: bool = False,
    initial: ArrayLike = _NoValue,
    where: ArrayLike = True,
) -> Array:
    """Minimum over ``axis``. NaN propagates; ties share the gradient equally.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.min(np.array([[1.0, 5.0], [3.0, 2.0]]), axis=1)
    array([1., 2.])
    """
    return _extremum("min", "minimum", False, a, axis, out, keepdims, initial, where)


amax = max
amin = min


def ptp(a: ArrayLike, axis: Axis = None, out: None = None, keepdims: bool = False) -> Array:
    """Range ``max - min`` over ``axis`` ("peak to peak").

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.ptp(np.array([[1.0, 5.0], [3.0, 2.0]]), axis=1)
    array([4., 1.])
    """
    if dtype_of(asarray_arg(a)) == np.bool_:
        raise TypeError("ptp: bool arrays have no subtraction; convert to int first")
    hi = _extremum("ptp", "maximum", True, a, axis, out, keepdims, _NoValue, True)
    lo = _extremum("ptp", "minimum", False, a, axis, out, keepdims, _NoValue, True)
    return ew.sub(hi, lo)


def _nan_extremum(
    name: str, maximum: bool, a: Any, axis: Any, out: Any, keepdims: bool, initial: Any, where: Any
) -> Array:
    a = asarray_arg(a)
    ufunc = "fmax" if maximum else "fmin"
    if dtype_of(a).kind != "f":
        return _extremum(name, ufunc, maximum, a, axis, out, keepdims, initial, where)
    nan = bind(ew.isnan_p, a)
    filled = ew.select(nan, -np.inf if maximum else np.inf, a)
    r = _extremum(name, ufunc, maximum, filled, axis, out, keepdims, initial, where)
    if initial is not _NoValue:
        return r  # all-NaN slices give ``initial``, as numpy's fmax.reduce does
    all_nan = all(nan, axis, keepdims=keepdims)
    value = concrete_or_none(all_nan)
    if value is not None and np.any(value):
        warnings.warn(f"{name}: All-NaN slice encountered", RuntimeWarning, stacklevel=3)
    return ew.select(all_nan, np.nan, r)


def nanmax(
    a: ArrayLike,
    axis: Axis = None,
    out: None = None,
    keepdims: bool = False,
    initial: ArrayLike = _NoValue,
    where: ArrayLike = True,
) -> Array:
    """Maximum ignoring NaNs (NaN only for an all-NaN slice). The gradient
    is zero at NaN entries.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.nanmax(np.array([1.0, np.nan, 3.0])))
    3.0
    """
    return _nan_extremum("nanmax", True, a, axis, out, keepdims, initial, where)


def nanmin(
    a: ArrayLike,
    axis: Axis = None,
    out: None = None,
    keepdims: bool = False,
    initial: ArrayLike = _NoValue,
    where: ArrayLike = True,
) -> Array:
    """Minimum ignoring NaNs (NaN only for an all-NaN slice).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.nanmin(np.array([1.0, np.nan, 3.0])))
    1.0
    """
    return _nan_extremum("nanmin", False, a, axis, out, keepdims, initial, where)


def nansum(
    a: ArrayLike,
    axis: Axis = None,
    dtype: DTypeLike | None = None,
    out: None = None,
    keepdims: bool = False,
    initial: ArrayLike = _NoValue,
    where: ArrayLike = True,
) -> Array:
    """Sum treating NaNs as zero (their gradient is zero).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.nansum(np.array([1.0, np.nan, 3.0])))
    4.0
    """
    a = asarray_arg(a)
    if dtype_of(a).kind in "fc":
        a = ew.select(bind(ew.isnan_p, a), 0, a)
    return _sum("nansum", a, axis, dtype, out, keepdims, initial, where)


def nanmean(
    a: ArrayLike,
    axis: Axis = None,
    dtype: DTypeLike | None = None,
    out: None = None,
    keepdims: bool = False,
    *,
    where: ArrayLike = True,
) -> Array:
    """Mean of the non-NaN entries (NaN for an all-NaN slice); zero gradient at NaNs.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.nanmean(np.array([1.0, np.nan, 3.0])))
    2.0
    """
    a = asarray_arg(a)
    if dtype_of(a).kind in "fc":
        ok = bind(ew.not_p, bind(ew.isnan_p, a))
        w = _where("nanmean", where, shape_of(a))
        where = ok if w is None else bind(ew.and_p, ok, sh.broadcast_to(w, shape_of(a)))
    return _mean("nanmean", a, axis, dtype, out, keepdims, where)


# ---------------------------------------------------------------------------
# variance and standard deviation
# ---------------------------------------------------------------------------


def _var(
    name: str,
    a: Any,
    axis: Any,
    dtype: Any,
    out: Any,
    ddof: Any,
    keepdims: bool,
    where: Any,
    mean: Any,
    correction: Any,
) -> Array:
    _check_out(name, out)
    if correction is not _NoValue:
        if ddof != 0:
            raise ValueError(f"{name}: ddof and correction can't be provided simultaneously")
        ddof = correction
    a = asarray_arg(a)
    in_dt = dtype_of(a)
    if in_dt.kind == "c":
        raise NotImplementedError(f"{name}: complex input is not supported yet")
    res = np.dtype(dtype) if dtype is not None else (_F64 if in_dt.kind in "biu" else in_dt)
    work = res if res.kind == "f" else _F64
    x = ew.convert(a, work)
    shape = shape_of(x)
    axes = _axes(name, axis, shape)
    keep = tuple(1 if i in axes else n for i, n in enumerate(shape))
    w = _where(name, where, shape)
    n = _count(w, shape, axes, work)
    if mean is _NoValue:
        total = sh.reduce_sum(x if w is None else ew.select(w, x, 0.0), axes)
        m = ew.div(sh.reshape(total, keep), n if w is None else sh.reshape(n, keep))
    else:
        m = ew.convert(asarray_arg(mean), work)
    d = ew.sub(x, m)
    sq = ew.mul(d, d)
    ss = sh.reduce_sum(sq if w is None else ew.select(w, sq, 0.0), axes)
    denom = builtins.max(n - ddof, 0) if w is None else ew.maximum(ew.sub(n, float(ddof)), 0.0)
    r = ew.convert(ew.div(ss, denom), res)
    return _keepdims(r, shape, axes, keepdims)


def var(
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
    """Variance ``sum((a - mean)**2) / (n - ddof)`` over ``axis``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.var(np.array([1.0, 2.0, 3.0, 4.0])))
    1.25
    >>> round(float(fnp.var(np.array([1.0, 2.0, 3.0, 4.0]), ddof=1)), 4)
    1.6667
    """
    return _var("var", a, axis, dtype, out, ddof, keepdims, where, mean, correction)


def std(
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
    """Standard deviation: the square root of ``var``.

    At a constant input (zero variance) the gradient is 0, a valid
    subgradient, instead of the NaN a plain ``sqrt`` would give.

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.std(np.array([1.0, 3.0])))
    1.0
    >>> fd.grad(fnp.std)(np.array([2.0, 2.0]))
    array([0., 0.])
    """
    return _safe_sqrt(_var("std", a, axis, dtype, out, ddof, keepdims, where, mean, correction))


# ---------------------------------------------------------------------------
# argmax, argmin, all, any: integer/bool results, zero derivative
# ---------------------------------------------------------------------------


def _arg_extremum(name: str, a: Any, axis: Any, out: Any, keepdims: bool) -> Array:
    _check_out(name, out)
    a = asarray_arg(a)
    shape = shape_of(a)
    fn = red.argmax if name == "argmax" else red.argmin
    if axis is None:
        size = math.prod(shape)
        if size == 0:
            raise ValueError(f"{name}: attempt to get {name} of an empty sequence")
        r = fn(sh.reshape(a, (size,)), 0)
        return sh.reshape(r, (1,) * len(shape)) if keepdims else r
    ax = _one_axis(name, axis, shape)
    if shape[ax] == 0:
        raise ValueError(
            f"{name}: attempt to get {name} of an empty sequence (axis {ax} of shape {shape})"
        )
    return _keepdims(fn(a, ax), shape, (ax,), keepdims)


def argmax(a: ArrayLike, axis: Axis = None, out: None = None, *, keepdims: bool = False) -> Array:
    """Index of the maximum along ``axis`` (None: in the flattened array).

    The first occurrence wins a tie, and a NaN counts as the maximum (as in
    numpy). The result is int64 and has zero derivative.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.argmax(np.array([[1.0, 5.0], [7.0, 2.0]]), axis=1)
    array([1, 0])
    >>> int(fnp.argmax(np.array([1.0, np.nan, 3.0])))
    1
    """
    return _arg_extremum("argmax", a, axis, out, keepdims)


def argmin(a: ArrayLike, axis: Axis = None, out: None = None, *, keepdims: bool = False) -> Array:
    """Index of the minimum along ``axis``; first occurrence, NaN wins (numpy).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.argmin(np.array([[1.0, 5.0], [7.0, 2.0]]), axis=0)
    array([0, 1])
    """
    return _arg_extremum("argmin", a, axis, out, keepdims)


def _logical(
    name: str, every: bool, a: Any, axis: Any, out: Any, keepdims: bool, where: Any
) -> Array:
    _check_out(name, out)
    a = asarray_arg(a)
    shape = shape_of(a)
    axes = _axes(name, axis, shape)
    b = a if dtype_of(a) == np.bool_ else ew.ne(a, 0)
    w = _where(name, where, shape)
    if w is not None:
        b = ew.select(w, b, np.bool_(every))
    if _size(shape, axes) == 0:
        r: Array = np.full(_reduced(shape, axes), every)
    else:
        # on bools, all is the minimum and any is the maximum
        r = red.reduce_min(b, axes) if every else red.reduce_max(b, axes)
    return _keepdims(r, shape, axes, keepdims)


def all(  # noqa: A001
    a: ArrayLike,
    axis: Axis = None,
    out: None = None,
    keepdims: bool = False,
    *,
    where: ArrayLike = True,
) -> Array:
    """True where every element over ``axis`` is non-zero (True when empty).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.all(np.array([[1.0, 0.0], [2.0, 3.0]]), axis=1)
    array([False,  True])
    """
    return _logical("all", True, a, axis, out, keepdims, where)


def any(  # noqa: A001
    a: ArrayLike,
    axis: Axis = None,
    out: None = None,
    keepdims: bool = False,
    *,
    where: ArrayLike = True,
) -> Array:
    """True where some element over ``axis`` is non-zero (False when empty).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.any(np.array([[1.0, 0.0], [0.0, 0.0]]), axis=1)
    array([ True, False])
    """
    return _logical("any", False, a, axis, out, keepdims, where)


__all__ = [
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "average",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "max",
    "mean",
    "min",
    "nanmax",
    "nanmean",
    "nanmin",
    "nansum",
    "prod",
    "ptp",
    "std",
    "sum",
    "var",
]

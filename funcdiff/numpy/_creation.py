"""Array creation, dtypes and dtype queries.

Creation functions of a shape (``zeros``, ``eye``, ``arange``, ``tri``...)
return numpy arrays (``ConstantArray``, an ndarray that also offers JAX's
``.at[...]`` updates): they are constants of any function that uses them.
The ``*_like`` functions accept tracers and read only their shape and dtype.
Functions whose values depend on array arguments (``linspace`` and friends
with traced endpoints, ``full`` with a traced fill value, ``meshgrid``,
``tril``/``triu``, ``diagflat``) are differentiable in those arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from funcdiff import _compat
from funcdiff.api_util import contains_tracer
from funcdiff.core.trace import Tracer
from funcdiff.core.typing import ArrayLike, Shape
from funcdiff.numpy._core import (
    Array,
    ConstantArray,
    asarray_arg,
    constant,
    dtype_of,
    normalize_axis,
    promote_float,
    shape_of,
)
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import shape as sh

if TYPE_CHECKING:
    from funcdiff.core.typing import DTypeLike

# -- dtypes, re-exported from numpy -------------------------------------------

float64 = np.float64
float32 = np.float32
float16 = np.float16
int64 = np.int64
int32 = np.int32
int16 = np.int16
int8 = np.int8
uint64 = np.uint64
uint32 = np.uint32
uint16 = np.uint16
uint8 = np.uint8
bool_ = np.bool_
complex128 = np.complex128
complex64 = np.complex64
generic = np.generic
number = np.number
inexact = np.inexact
floating = np.floating
complexfloating = np.complexfloating
integer = np.integer
signedinteger = np.signedinteger
unsignedinteger = np.unsignedinteger
ndarray = np.ndarray
dtype = np.dtype
finfo = np.finfo
iinfo = np.iinfo
issubdtype = np.issubdtype
promote_types = np.promote_types


def _static(x: Any, what: str) -> Any:
    """The concrete value of ``x`` (an argument that must be known while tracing)."""
    if isinstance(x, Tracer):
        return x.concrete_value(what)
    return x


def result_type(*arrays_and_dtypes: ArrayLike | DTypeLike) -> np.dtype[Any]:
    """``numpy.result_type`` with numpy 2's rules (NEP 50), on numpy 1.x too;
    traced arrays count by their dtype.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.result_type(np.ones(2, np.float32), 2.0)
    dtype('float32')
    """
    return _compat.result_type(
        *[x.aval.dtype if isinstance(x, Tracer) else x for x in arrays_and_dtypes]
    )


def can_cast(from_: ArrayLike | DTypeLike, to: DTypeLike, casting: str = "safe") -> bool:
    """``numpy.can_cast``; a traced array counts by its dtype.

    >>> import funcdiff.numpy as fnp
    >>> fnp.can_cast(fnp.int32, fnp.float64)
    True
    """
    if isinstance(from_, Tracer):
        from_ = from_.aval.dtype
    return bool(np.can_cast(from_, to, casting=casting))  # type: ignore[arg-type]


def isscalar(element: object) -> bool:
    """``numpy.isscalar``: True for Python and numpy scalars, False for arrays
    (0-d ones and traced ones included).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.isscalar(3.0), fnp.isscalar(np.array(3.0))
    (True, False)
    """
    if isinstance(element, Tracer):
        return False
    return bool(np.isscalar(element))


# -- from data ------------------------------------------------------------------


def asarray(
    a: ArrayLike, dtype: DTypeLike | None = None, order: Any = None, *, copy: bool | None = None
) -> Array:
    """Convert to an array without copying; traced arrays pass through (cast
    when ``dtype`` is given) and lists holding traced values are stacked.

    >>> import funcdiff.numpy as fnp
    >>> fnp.asarray([1, 2], dtype=fnp.float32)
    array([1., 2.], dtype=float32)
    """
    if copy and not contains_tracer(a):
        return constant(np.array(a, dtype=dtype, order=order, copy=True))
    out = asarray_arg(a, None if dtype is None else np.dtype(dtype))
    if out is a or not isinstance(out, np.ndarray):
        return out  # as numpy: an array passes through (a traced one too)
    return constant(out)


def array(
    object: ArrayLike,  # noqa: A002
    dtype: DTypeLike | None = None,
    *,
    copy: bool = True,
    ndmin: int = 0,
) -> Array:
    """``numpy.array``: a new array; traced arrays (and lists of them) are
    accepted.

    >>> import funcdiff.numpy as fnp
    >>> fnp.array([[1.0, 2.0]], ndmin=3).shape
    (1, 1, 2)
    """
    if not contains_tracer(object):
        return constant(np.array(object, dtype=dtype, copy=copy, ndmin=ndmin))
    out = asarray_arg(object, None if dtype is None else np.dtype(dtype))
    shape = shape_of(out)
    if len(shape) < ndmin:
        out = sh.reshape(out, (1,) * (ndmin - len(shape)) + shape)
    return out


def copy(a: ArrayLike) -> Array:
    """A copy of ``a`` (traced arrays are immutable, so they are returned as is).

    >>> import funcdiff.numpy as fnp
    >>> fnp.copy([1.0, 2.0])
    array([1., 2.])
    """
    if contains_tracer(a):
        return asarray_arg(a)
    return constant(np.array(a, copy=True))


def astype(x: ArrayLike, dtype: DTypeLike, /, *, copy: bool = True) -> Array:
    """Cast to ``dtype`` (differentiable between floating dtypes).

    >>> import funcdiff.numpy as fnp
    >>> fnp.astype(fnp.asarray([1.5, 2.5]), fnp.int32)
    array([1, 2], dtype=int32)
    """
    dtype = np.dtype(dtype)
    if isinstance(x, Tracer):
        return ew.convert(x, dtype)
    if np.asarray(x).dtype == dtype:  # nothing to convert: the value as given, as under jit
        return x.copy() if copy and isinstance(x, np.ndarray) else x  # type: ignore[return-value]
    return ew.convert(x, dtype)


# -- from a shape -----------------------------------------------------------------


def zeros(shape: Shape, dtype: DTypeLike | None = None) -> ConstantArray:
    """An array of zeros (float64 unless ``dtype``).

    >>> import funcdiff.numpy as fnp
    >>> fnp.zeros((2, 3)).shape
    (2, 3)
    """
    return constant(np.zeros(_static(shape, "zeros' shape"), dtype=dtype))


def ones(shape: Shape, dtype: DTypeLike | None = None) -> ConstantArray:
    """An array of ones (float64 unless ``dtype``).

    >>> import funcdiff.numpy as fnp
    >>> fnp.ones(2, dtype=fnp.int64)
    array([1, 1])
    """
    return constant(np.ones(_static(shape, "ones' shape"), dtype=dtype))


def empty(shape: Shape, dtype: DTypeLike | None = None) -> ConstantArray:
    """Same as ``zeros`` (funcdiff never hands out uninitialized memory).

    >>> import funcdiff.numpy as fnp
    >>> fnp.empty(2)
    array([0., 0.])
    """
    return zeros(shape, dtype)


def full(shape: Shape, fill_value: ArrayLike, dtype: DTypeLike | None = None) -> Array:
    """An array of ``shape`` filled with ``fill_value``; a traced fill value
    is broadcast (and stays differentiable).

    >>> import funcdiff.numpy as fnp
    >>> fnp.full((2,), 7.0)
    array([7., 7.])
    """
    shape = _static(shape, "full's shape")
    if not contains_tracer(fill_value):
        return constant(np.full(shape, fill_value, dtype=dtype))
    fill = asarray_arg(fill_value, None if dtype is None else np.dtype(dtype))
    shape_t = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return sh.broadcast_to(fill, shape_t)


def _like(a: Any, dtype: Any, shape: Any) -> tuple[tuple[int, ...], np.dtype[Any]]:
    a_shape = shape_of(a) if isinstance(a, (Tracer, np.ndarray)) else np.shape(a)
    if shape is None:
        out_shape = tuple(a_shape)
    elif isinstance(shape, (int, np.integer)):
        out_shape = (int(shape),)
    else:
        out_shape = tuple(int(n) for n in shape)
    dt = (
        np.dtype(dtype)
        if dtype is not None
        else (
            dtype_of(a) if isinstance(a, (Tracer, np.ndarray, np.generic)) else np.asarray(a).dtype
        )
    )
    return out_shape, dt


def zeros_like(
    a: ArrayLike, dtype: DTypeLike | None = None, shape: Shape | None = None
) -> ConstantArray:
    """Zeros with the shape and dtype of ``a`` (which may be traced).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.zeros_like(np.ones((2, 2), np.float32)).dtype
    dtype('float32')
    """
    s, dt = _like(a, dtype, shape)
    return constant(np.zeros(s, dt))


def ones_like(
    a: ArrayLike, dtype: DTypeLike | None = None, shape: Shape | None = None
) -> ConstantArray:
    """Ones with the shape and dtype of ``a`` (which may be traced).

    >>> import funcdiff.numpy as fnp
    >>> fnp.ones_like([1, 2])
    array([1, 1])
    """
    s, dt = _like(a, dtype, shape)
    return constant(np.ones(s, dt))


def empty_like(
    a: ArrayLike, dtype: DTypeLike | None = None, shape: Shape | None = None
) -> ConstantArray:
    """Same as ``zeros_like``.

    >>> import funcdiff.numpy as fnp
    >>> fnp.empty_like([1.0])
    array([0.])
    """
    return zeros_like(a, dtype, shape)


def full_like(
    a: ArrayLike, fill_value: ArrayLike, dtype: DTypeLike | None = None, shape: Shape | None = None
) -> Array:
    """``fill_value`` in the shape and dtype of ``a``; a traced fill value is
    broadcast (differentiable).

    >>> import funcdiff.numpy as fnp
    >>> fnp.full_like([1, 2], 2.7)
    array([2, 2])
    """
    s, dt = _like(a, dtype, shape)
    if not contains_tracer(fill_value):
        return constant(np.full(s, fill_value, dt))
    return sh.broadcast_to(asarray_arg(fill_value, dt), s)


def eye(N: int, M: int | None = None, k: int = 0, dtype: DTypeLike = float) -> ConstantArray:
    """Ones on the ``k``-th diagonal, zeros elsewhere.

    >>> import funcdiff.numpy as fnp
    >>> fnp.eye(2, 3, k=1)
    array([[0., 1., 0.],
           [0., 0., 1.]])
    """
    return constant(np.eye(N, M, k=k, dtype=dtype))


def identity(n: int, dtype: DTypeLike | None = None) -> ConstantArray:
    """The ``n`` x ``n`` identity matrix.

    >>> import funcdiff.numpy as fnp
    >>> fnp.identity(2)
    array([[1., 0.],
           [0., 1.]])
    """
    return constant(np.identity(n, dtype=dtype))


def tri(N: int, M: int | None = None, k: int = 0, dtype: DTypeLike = float) -> ConstantArray:
    """Ones at and below the ``k``-th diagonal.

    >>> import funcdiff.numpy as fnp
    >>> fnp.tri(2)
    array([[1., 0.],
           [1., 1.]])
    """
    return constant(np.tri(N, M, k=k, dtype=dtype))


def arange(
    start: float,
    stop: float | None = None,
    step: float | None = None,
    dtype: DTypeLike | None = None,
) -> ConstantArray:
    """Evenly spaced values in ``[start, stop)`` with numpy's dtype rules
    (Python ints give int64, floats float64). The result is a constant.

    >>> import funcdiff.numpy as fnp
    >>> fnp.arange(3), fnp.arange(0.0, 1.0, 0.5)
    (array([0, 1, 2]), array([0. , 0.5]))
    """
    args = [_static(v, "arange's arguments") for v in (start, stop, step)]
    if args[1] is None:
        return constant(np.arange(args[0], step=args[2], dtype=dtype))
    return constant(np.arange(args[0], args[1], args[2], dtype=dtype))


# -- ranges with (possibly traced) endpoints ---------------------------------------


def _check_num(num: Any) -> int:
    n = int(_static(num, "linspace's num"))
    if n < 0:
        raise ValueError(f"Number of samples, {n}, must be non-negative.")
    return n


def _set_row(y: Array, row: int, value: Array) -> Array:
    """``y[row] = value`` along axis 0, functionally (a select with a constant mask)."""
    shape = shape_of(y)
    mask = np.zeros((shape[0],) + (1,) * (len(shape) - 1), dtype=bool)
    mask[row] = True
    return ew.select(mask, value, y)


@overload
def linspace(
    start: ArrayLike,
    stop: ArrayLike,
    num: int = ...,
    endpoint: bool = ...,
    retstep: Literal[False] = ...,
    dtype: DTypeLike | None = ...,
    axis: int = ...,
) -> Array: ...
@overload
def linspace(
    start: ArrayLike,
    stop: ArrayLike,
    num: int = ...,
    endpoint: bool = ...,
    retstep: bool = ...,
    dtype: DTypeLike | None = ...,
    axis: int = ...,
) -> Array | tuple[Array, Array]: ...
def linspace(
    start: ArrayLike,
    stop: ArrayLike,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: DTypeLike | None = None,
    axis: int = 0,
) -> Array | tuple[Array, Array]:
    """``num`` evenly spaced values from ``start`` to ``stop``; ``start`` and
    ``stop`` may be (traced) arrays, and the result is differentiable in them:
    ``start + (stop - start) * t``.

    >>> import funcdiff.numpy as fnp
    >>> fnp.linspace(0.0, 1.0, 5)
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    return _linspace(start, stop, num, endpoint, retstep, dtype, axis)


def _linspace(
    start: Any,
    stop: Any,
    num: int,
    endpoint: bool,
    retstep: bool,
    dtype: Any,
    axis: int,
) -> Array | tuple[Array, Array]:
    num = _check_num(num)
    if not contains_tracer((start, stop)):
        if dtype is None and not _compat.NUMPY2:  # numpy 1.x: float32 scalars give float64
            dtype = _compat.result_type(start, stop, float(num))
        got = np.linspace(
            start,
            stop,
            num,
            endpoint=endpoint,
            retstep=retstep,  # type: ignore[call-overload]
            dtype=dtype,
            axis=axis,
        )
        return (constant(got[0]), got[1]) if retstep else constant(got)
    start, stop = promote_float(start, stop)
    start, stop = asarray_arg(start), asarray_arg(stop)
    dt = dtype_of(start)
    nd = len(np.broadcast_shapes(shape_of(start), shape_of(stop)))
    div = num - 1 if endpoint else num
    delta = ew.sub(stop, start)
    t = np.arange(num, dtype=dt).reshape((num,) + (1,) * nd)
    if div > 0:
        step: Any = ew.div(delta, dt.type(div))
        y = ew.add(ew.mul(t, step), start)
    else:
        step = np.full(shape_of(delta), np.nan, dt) if shape_of(delta) else dt.type(np.nan)
        y = ew.add(ew.mul(t, delta), start)
    shape = (num, *np.broadcast_shapes(shape_of(start), shape_of(stop)))
    y = sh.broadcast_to(y, shape)
    if endpoint and num > 1:
        y = _set_row(y, -1, stop)
    if axis != 0:
        y = sh.moveaxis(y, 0, normalize_axis(axis, len(shape)))
    if dtype is not None:
        out_dt = np.dtype(dtype)
        if np.issubdtype(out_dt, np.integer):
            y = ew.floor(y)
        y = ew.convert(y, out_dt)
    return (y, step) if retstep else y


def logspace(
    start: ArrayLike,
    stop: ArrayLike,
    num: int = 50,
    endpoint: bool = True,
    base: ArrayLike = 10.0,
    dtype: DTypeLike | None = None,
    axis: int = 0,
) -> Array:
    """``base ** linspace(start, stop)``, differentiable in ``start``, ``stop``
    and ``base``.

    >>> import funcdiff.numpy as fnp
    >>> fnp.logspace(0.0, 2.0, 3)
    array([  1.,  10., 100.])
    """
    return _logspace(start, stop, num, endpoint, base, dtype, axis)


def _logspace(
    start: Any,
    stop: Any,
    num: int,
    endpoint: bool,
    base: Any,
    dtype: Any,
    axis: int,
) -> Array:
    from funcdiff.numpy._ufuncs import power

    num = _check_num(num)
    # an array base needs numpy >= 1.25: on numpy 1.x, funcdiff's own path below
    if not contains_tracer((start, stop, base)) and (_compat.NUMPY2 or np.ndim(base) == 0):
        return constant(
            np.logspace(start, stop, num, endpoint=endpoint, base=base, dtype=dtype, axis=axis)
        )
    start, stop, base = (asarray_arg(v) for v in (start, stop, base))
    nd = len(np.broadcast_shapes(shape_of(start), shape_of(stop), shape_of(base)))

    def lift(v: Array) -> Array:
        s = shape_of(v)
        return sh.reshape(v, (1,) * (nd - len(s)) + s)

    y = linspace(lift(start), lift(stop), num, endpoint=endpoint, axis=axis)
    b = sh.expand_dims(lift(base), normalize_axis(axis, nd + 1))
    out = power(b, y)
    return out if dtype is None else ew.convert(out, np.dtype(dtype))


def geomspace(
    start: ArrayLike,
    stop: ArrayLike,
    num: int = 50,
    endpoint: bool = True,
    dtype: DTypeLike | None = None,
    axis: int = 0,
) -> Array:
    """Numbers spaced evenly on a log scale from ``start`` to ``stop`` (both of
    one sign), differentiable in both.

    >>> import funcdiff.numpy as fnp
    >>> fnp.geomspace(1.0, 1000.0, 4)
    array([   1.,   10.,  100., 1000.])
    """
    return _geomspace(start, stop, num, endpoint, dtype, axis)


def _geomspace(
    start: Any,
    stop: Any,
    num: int,
    endpoint: bool,
    dtype: Any,
    axis: int,
) -> Array:
    from funcdiff.numpy._ufuncs import log10, sign

    num = _check_num(num)
    if not contains_tracer((start, stop)):
        return constant(np.geomspace(start, stop, num, endpoint=endpoint, dtype=dtype, axis=axis))
    start, stop = promote_float(start, stop)
    start, stop = asarray_arg(start), asarray_arg(stop)
    for v in (start, stop):
        val = v.val if isinstance(v, Tracer) else v
        while isinstance(val, Tracer):
            val = val.val
        if val is not None and np.any(np.asarray(val) == 0):
            raise ValueError("Geometric sequence cannot include zero")
    out_sign = sign(start)
    start = ew.div(start, out_sign)
    stop = ew.div(stop, out_sign)
    result = logspace(log10(start), log10(stop), num, endpoint=endpoint, base=10.0)
    shape = shape_of(result)
    if num > 0:
        result = _set_row(result, 0, start)
        if num > 1 and endpoint:
            result = _set_row(result, -1, stop)
    result = ew.mul(result, out_sign)
    if axis != 0:
        result = sh.moveaxis(result, 0, normalize_axis(axis, len(shape)))
    return result if dtype is None else ew.convert(result, np.dtype(dtype))


def meshgrid(
    *xi: ArrayLike, copy: bool = True, sparse: bool = False, indexing: str = "xy"
) -> tuple[Array, ...]:
    """Coordinate arrays from 1-D coordinate vectors (``indexing='xy'`` swaps
    the first two output axes, as numpy does). Traced vectors are allowed.

    >>> import funcdiff.numpy as fnp
    >>> [g.shape for g in fnp.meshgrid(fnp.arange(3), fnp.arange(2))]
    [(2, 3), (2, 3)]
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    if not contains_tracer(xi):
        return tuple(np.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing))  # type: ignore[call-overload]
    xs = [asarray_arg(x) for x in xi]
    xs = [sh.reshape(x, (int(np.prod(shape_of(x), dtype=np.int64)),)) for x in xs]
    nd = len(xs)
    sizes = [shape_of(x)[0] for x in xs]
    shapes = [tuple(sizes[i] if j == i else 1 for j in range(nd)) for i in range(nd)]
    if indexing == "xy" and nd > 1:
        for s in range(nd):
            dims = list(shapes[s])
            dims[0], dims[1] = dims[1], dims[0]
            shapes[s] = tuple(dims)
    out = [sh.reshape(x, s) for x, s in zip(xs, shapes, strict=True)]
    if sparse:
        return tuple(out)
    full_shape = tuple(int(n) for n in np.broadcast_shapes(*shapes))
    return tuple(sh.broadcast_to(o, full_shape) for o in out)


# -- triangles and diagonals ---------------------------------------------------------


def _tri_mask(m: Array, k: int, lower: bool, name: str) -> Array:
    shape = shape_of(m)
    if not shape:
        raise ValueError(f"{name}: the input must be at least 1-D, got a 0-d array")
    n, mm = shape[-2:] if len(shape) >= 2 else (shape[0], shape[0])
    mask = np.tri(n, mm, k=k, dtype=bool) if lower else ~np.tri(n, mm, k=k - 1, dtype=bool)
    return ew.select(mask, m, np.zeros((), dtype_of(m)))


def tril(m: ArrayLike, k: int = 0) -> Array:
    """Zero the entries above the ``k``-th diagonal (of the last two axes).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.tril(np.ones((2, 2)))
    array([[1., 0.],
           [1., 1.]])
    """
    if not contains_tracer(m):
        return np.tril(np.asanyarray(m), k)
    return _tri_mask(asarray_arg(m), int(k), True, "tril")


def triu(m: ArrayLike, k: int = 0) -> Array:
    """Zero the entries below the ``k``-th diagonal (of the last two axes).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.triu(np.ones((2, 2)))
    array([[1., 1.],
           [0., 1.]])
    """
    if not contains_tracer(m):
        return np.triu(np.asanyarray(m), k)
    return _tri_mask(asarray_arg(m), int(k), False, "triu")


def diagflat(v: ArrayLike, k: int = 0) -> Array:
    """A 2-D array with the flattened ``v`` on the ``k``-th diagonal.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.diagflat(np.array([[1.0, 2.0]]))
    array([[1., 0.],
           [0., 2.]])
    """
    from funcdiff.numpy._linear import diag

    if not contains_tracer(v):
        return np.diagflat(np.asarray(v), k)
    v = asarray_arg(v)
    return diag(sh.reshape(v, (int(np.prod(shape_of(v), dtype=np.int64)),)), k)


__all__ = [
    "arange",
    "array",
    "asarray",
    "astype",
    "bool_",
    "can_cast",
    "complex64",
    "complex128",
    "complexfloating",
    "copy",
    "diagflat",
    "dtype",
    "empty",
    "empty_like",
    "eye",
    "finfo",
    "float16",
    "float32",
    "float64",
    "floating",
    "full",
    "full_like",
    "generic",
    "geomspace",
    "identity",
    "iinfo",
    "inexact",
    "int8",
    "int16",
    "int32",
    "int64",
    "integer",
    "isscalar",
    "issubdtype",
    "linspace",
    "logspace",
    "meshgrid",
    "ndarray",
    "number",
    "ones",
    "ones_like",
    "promote_types",
    "result_type",
    "signedinteger",
    "tri",
    "tril",
    "triu",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "unsignedinteger",
    "zeros",
    "zeros_like",
]

"""Shape functions: reshape, transpose, concatenate, stack, split, tile,
repeat, flip, roll, pad, take, sort, ...

Every function is built from the shape and indexing primitives (reshape,
transpose, broadcast_in_dim, slice, pad, concatenate, rev, gather, argsort)
and records nothing when there is nothing to do. Gathers are used only where
the output genuinely picks elements by an index array (take, repeat with
varying counts, sort, wide reflect/wrap padding).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from funcdiff.api_util import concrete_or_raise
from funcdiff.core.trace import Tracer, bind
from funcdiff.core.typing import ArrayLike, Axis, Shape
from funcdiff.numpy._core import (
    Array,
    asarray_arg,
    dtype_of,
    normalize_axis,
    promote,
    shape_of,
)
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import shape as sh

if TYPE_CHECKING:
    from funcdiff.core.typing import DTypeLike

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _slice_axis(x: Any, start: int, stop: int, axis: int) -> Array:
    return ix.slice_axis(asarray_arg(x), start, stop, axis)


def _axis_tuple(axis: Any, ndim: int, name: str = "axis") -> tuple[int, ...]:
    """An int or a sequence of ints as a tuple of distinct non-negative axes (in order)."""
    seq = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = tuple(normalize_axis(_as_int(a, name), ndim, name) for a in seq)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in `{name}` argument: {axis}")
    return out


def _as_int(v: Any, what: str) -> int:
    try:
        return int(v.__index__())
    except (AttributeError, TypeError):
        raise TypeError(f"{what} must be an integer, got {type(v).__name__}") from None


def _normalize_indices(
    idx: Array, n: int, name: str, axis: int | None = None, mode: str = "raise"
) -> Array:
    """Integer indices into an axis of size ``n`` made non-negative.

    ``mode`` is numpy's take mode: 'raise' (negative indices count from the
    end; out of range is an IndexError when the indices are concrete),
    'wrap' (modulo n) or 'clip' (clipped to [0, n-1]).
    """
    if isinstance(idx, Tracer):
        if idx.dtype.kind not in "iu":
            raise TypeError(f"{name}: indices must be integers, got {idx.aval.str_short()}")
        val = idx.val
        while isinstance(val, Tracer):
            val = val.val
        idx = ew.convert(idx, np.int64)
        if mode == "wrap":
            return bind(ew.rem_p, idx, np.int64(n)) if n else idx
        if mode == "clip":
            return ew.maximum(ew.minimum(idx, n - 1), 0)
        if val is not None:
            _check_range(np.asarray(val), n, name, axis)
        return ew.select(ew.lt(idx, 0), ew.add(idx, n), idx)
    arr = np.asarray(idx)
    if arr.dtype.kind not in "iub":
        if arr.size == 0:
            arr = arr.astype(np.int64)
        else:
            prefix = f"{name}: " if name else ""
            raise IndexError(
                f"{prefix}only integers, slices (`:`), ellipsis (`...`), numpy.newaxis "
                f"(`None`) and integer or boolean arrays are valid indices (got dtype {arr.dtype})"
            )
    arr = arr.astype(np.int64, copy=False)
    if mode == "wrap":
        return np.mod(arr, n) if n else arr
    if mode == "clip":
        return np.clip(arr, 0, max(n - 1, 0))
    _check_range(arr, n, name, axis)
    return np.where(arr < 0, arr + n, arr) if arr.size and arr.min() < 0 else arr


def _check_range(arr: np.ndarray, n: int, name: str, axis: int | None) -> None:
    if arr.size == 0:
        return
    bad = (arr < -n) | (arr >= n)
    if bad.any():
        first = int(arr[bad].flat[0])
        where = f"axis {axis} with size {n}" if axis is not None else f"size {n}"
        prefix = f"{name}: " if name else ""
        raise IndexError(f"{prefix}index {first} is out of bounds for {where}")


# ---------------------------------------------------------------------------
# shape queries
# ---------------------------------------------------------------------------


def shape(a: ArrayLike) -> tuple[int, ...]:
    """The shape of an array, as numpy.shape.

    >>> shape([[1.0, 2.0, 3.0]])
    (1, 3)
    """
    return tuple(shape_of(asarray_arg(a)))


def ndim(a: ArrayLike) -> int:
    """The number of dimensions, as numpy.ndim.

    >>> ndim(np.zeros((2, 3)))
    2
    """
    return len(shape_of(asarray_arg(a)))


def size(a: ArrayLike, axis: int | None = None) -> int:
    """The number of elements (along ``axis`` if given), as numpy.size.

    >>> size(np.zeros((2, 3))), size(np.zeros((2, 3)), 1)
    (6, 3)
    """
    shp = shape_of(asarray_arg(a))
    if axis is None:
        return math.prod(shp)
    return shp[normalize_axis(axis, len(shp))]


# ---------------------------------------------------------------------------
# reshaping and axis permutation
# ---------------------------------------------------------------------------


def reshape(
    a: ArrayLike,
    shape: Shape | None = None,
    order: str = "C",
    *,
    newshape: Any = None,
    copy: Any = None,
) -> Array:
    """Give an array a new shape (one entry may be -1), as numpy.reshape.

    Only C order is supported.

    >>> reshape(np.arange(6.0), (2, -1))
    array([[0., 1., 2.],
           [3., 4., 5.]])
    """
    if shape is None:
        shape = newshape
    if shape is None:
        raise TypeError("reshape() missing required argument 'shape'")
    if order != "C":
        raise NotImplementedError(
            f"reshape: order={order!r} is not supported, only order='C' "
            "(transpose before and after to emulate Fortran order)"
        )
    a = asarray_arg(a)
    old = shape_of(a)
    sz = math.prod(old)
    dims = (shape,) if not isinstance(shape, (tuple, list)) else tuple(shape)
    new = [_as_int(s, "reshape: shape entries") for s in dims]
    if new.count(-1) > 1:
        raise ValueError("reshape: can only specify one unknown dimension (-1)")
    if any(s < -1 for s in new):
        raise ValueError(f"reshape: negative dimensions not allowed in {tuple(new)}")
    if -1 in new:
        known = math.prod(s for s in new if s != -1)
        if known == 0 or sz % known:
            raise ValueError(f"cannot reshape array of size {sz} into shape {tuple(dims)}")
        new[new.index(-1)] = sz // known
    if math.prod(new) != sz:
        raise ValueError(f"cannot reshape array of size {sz} into shape {tuple(dims)}")
    return sh.reshape(a, tuple(new))


def ravel(a: ArrayLike, order: str = "C") -> Array:
    """The flattened array, as numpy.ravel (C order only).

    >>> ravel(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([1., 2., 3., 4.])
    """
    if order != "C":
        raise NotImplementedError(f"ravel: order={order!r} is not supported, only 'C'")
    a = asarray_arg(a)
    return sh.reshape(a, (math.prod(shape_of(a)),))


def transpose(a: ArrayLike, axes: Sequence[int] | None = None) -> Array:
    """Permute the axes (reverse them by default), as numpy.transpose.

    >>> transpose(np.zeros((2, 3, 4)), (1, 0, 2)).shape
    (3, 2, 4)
    """
    a = asarray_arg(a)
    nd = len(shape_of(a))
    if axes is None:
        perm = tuple(reversed(range(nd)))
    else:
        ax = tuple(axes) if isinstance(axes, (tuple, list)) else (axes,)
        if len(ax) != nd:
            raise ValueError(f"transpose: axes {tuple(ax)} don't match array of {nd} dimensions")
        perm = _axis_tuple(ax, nd, "axes")
    return sh.transpose(a, perm)


def swapaxes(a: ArrayLike, axis1: int, axis2: int) -> Array:
    """Interchange two axes, as numpy.swapaxes.

    >>> swapaxes(np.zeros((2, 3, 4)), 0, -1).shape
    (4, 3, 2)
    """
    a = asarray_arg(a)
    nd = len(shape_of(a))
    i, j = normalize_axis(axis1, nd, "axis1"), normalize_axis(axis2, nd, "axis2")
    perm = list(range(nd))
    perm[i], perm[j] = j, i
    return sh.transpose(a, tuple(perm))


def moveaxis(a: ArrayLike, source: int | Sequence[int], destination: int | Sequence[int]) -> Array:
    """Move axes to new positions (others keep their order), as numpy.moveaxis.

    >>> moveaxis(np.zeros((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    a = asarray_arg(a)
    nd = len(shape_of(a))
    src = _axis_tuple(source, nd, "source")
    dst = _axis_tuple(destination, nd, "destination")
    if len(src) != len(dst):
        raise ValueError(
            "moveaxis: `source` and `destination` arguments must have the same number of elements"
        )
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return sh.transpose(a, tuple(order))


def expand_dims(a: ArrayLike, axis: Axis) -> Array:
    """Insert unit axes at the given positions of the result, as numpy.expand_dims.

    >>> expand_dims(np.zeros((2, 3)), (0, -1)).shape
    (1, 2, 3, 1)
    """
    a = asarray_arg(a)
    shp = shape_of(a)
    axes = _axis_tuple(axis, len(shp) + (len(axis) if isinstance(axis, (tuple, list)) else 1))
    it = iter(shp)
    new = tuple(1 if i in axes else next(it) for i in range(len(shp) + len(axes)))
    return sh.reshape(a, new)


def squeeze(a: ArrayLike, axis: Axis = None) -> Array:
    """Remove unit axes (all of them, or the given ones), as numpy.squeeze.

    >>> squeeze(np.zeros((1, 3, 1))).shape
    (3,)
    """
    a = asarray_arg(a)
    shp = shape_of(a)
    if axis is None:
        axes = tuple(i for i, n in enumerate(shp) if n == 1)
    else:
        axes = _axis_tuple(axis, len(shp))
        if any(shp[i] != 1 for i in axes):
            raise ValueError(
                "squeeze: cannot select an axis to squeeze out which has size not equal "
                f"to one (shape {shp}, axis {axis})"
            )
    return sh.reshape(a, tuple(n for i, n in enumerate(shp) if i not in axes))


# ---------------------------------------------------------------------------
# broadcasting and promotion of dimensions
# ---------------------------------------------------------------------------


def broadcast_to(array: ArrayLike, shape: Shape, subok: bool = False) -> Array:
    """Broadcast an array to a shape, as numpy.broadcast_to.

    >>> broadcast_to(np.array([1.0, 2.0]), (2, 2))
    array([[1., 2.],
           [1., 2.]])
    """
    x = asarray_arg(array)
    shp = (shape,) if not isinstance(shape, (tuple, list)) else tuple(shape)
    target = tuple(_as_int(s, "broadcast_to: shape entries") for s in shp)
    xs = shape_of(x)
    lead = len(target) - len(xs)
    if lead < 0 or any(n not in (1, target[lead + i]) for i, n in enumerate(xs)):
        raise ValueError(
            f"broadcast_to: operands could not be broadcast together: array of shape {xs} "
            f"cannot be broadcast to shape {target}"
        )
    return sh.broadcast_to(x, target)


def broadcast_arrays(*args: ArrayLike) -> tuple[Array, ...]:
    """Broadcast arrays against each other, as numpy.broadcast_arrays.

    >>> [x.shape for x in broadcast_arrays(np.zeros(3), np.zeros((2, 1)))]
    [(2, 3), (2, 3)]
    """
    xs = [asarray_arg(a) for a in args]
    try:
        target = np.broadcast_shapes(*[shape_of(x) for x in xs])
    except ValueError:
        listed = " ".join(str(shape_of(x)) for x in xs)
        raise ValueError(
            f"broadcast_arrays: shape mismatch: objects cannot be broadcast to a single "
            f"shape (shapes {listed})"
        ) from None
    return tuple(sh.broadcast_to(x, target) for x in xs)


def _atleast(arys: Sequence[Any], fix: Any) -> Any:
    res = [fix(asarray_arg(a)) for a in arys]
    return res[0] if len(res) == 1 else tuple(res)


@overload
def atleast_1d(ary: ArrayLike, /) -> Array: ...
@overload
def atleast_1d(*arys: ArrayLike) -> Array | tuple[Array, ...]: ...
def atleast_1d(*arys: ArrayLike) -> Array | tuple[Array, ...]:
    """View inputs as arrays of at least one dimension, as numpy.atleast_1d.

    >>> atleast_1d(3.0)
    array([3.])
    """

    def fix(x: Array) -> Array:
        return sh.reshape(x, (1,)) if len(shape_of(x)) == 0 else x

    return _atleast(arys, fix)


@overload
def atleast_2d(ary: ArrayLike, /) -> Array: ...
@overload
def atleast_2d(*arys: ArrayLike) -> Array | tuple[Array, ...]: ...
def atleast_2d(*arys: ArrayLike) -> Array | tuple[Array, ...]:
    """View inputs as arrays of at least two dimensions, as numpy.atleast_2d.

    >>> atleast_2d(np.array([1.0, 2.0])).shape
    (1, 2)
    """

    def fix(x: Array) -> Array:
        shp = shape_of(x)
        return sh.reshape(x, (1,) * (2 - len(shp)) + tuple(shp)) if len(shp) < 2 else x

    return _atleast(arys, fix)


@overload
def atleast_3d(ary: ArrayLike, /) -> Array: ...
@overload
def atleast_3d(*arys: ArrayLike) -> Array | tuple[Array, ...]: ...
def atleast_3d(*arys: ArrayLike) -> Array | tuple[Array, ...]:
    """View inputs as arrays of at least three dimensions, as numpy.atleast_3d
    (a 1-D (n,) becomes (1, n, 1), a 2-D (m, n) becomes (m, n, 1)).

    >>> atleast_3d(np.zeros((2, 3))).shape
    (2, 3, 1)
    """

    def fix(x: Array) -> Array:
        shp = tuple(shape_of(x))
        if len(shp) == 0:
            return sh.reshape(x, (1, 1, 1))
        if len(shp) == 1:
            return sh.reshape(x, (1, shp[0], 1))
        if len(shp) == 2:
            return sh.reshape(x, (*shp, 1))
        return x

    return _atleast(arys, fix)


# ---------------------------------------------------------------------------
# joining and splitting
# ---------------------------------------------------------------------------


def _promote_all(arrays: Sequence[Any], dtype: Any, name: str) -> list[Array]:
    if isinstance(arrays, (np.ndarray, Tracer)):
        arrays = list(arrays)
    arrays = list(arrays)
    if not arrays:
        raise ValueError(f"{name}: need at least one array to concatenate")
    xs = promote(*[asarray_arg(a) for a in arrays])
    if dtype is not None:
        xs = [ew.convert(x, dtype) for x in xs]
    return xs


def concatenate(
    arrays: Sequence[ArrayLike],
    axis: int | None = 0,
    out: None = None,
    *,
    dtype: DTypeLike | None = None,
    casting: str = "same_kind",
) -> Array:
    """Join arrays along an existing axis (``axis=None`` flattens them first),
    as numpy.concatenate.

    >>> concatenate([np.zeros((2, 1)), np.ones((2, 2))], axis=1)
    array([[0., 1., 1.],
           [0., 1., 1.]])
    """
    if out is not None:
        raise NotImplementedError("concatenate: out= is not supported (arrays are immutable)")
    xs = _promote_all(arrays, dtype, "concatenate")
    if axis is None:
        xs = [ravel(x) for x in xs]
        axis = 0
    nd = len(shape_of(xs[0]))
    if nd == 0:
        raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated")
    ax = normalize_axis(axis, nd)
    for i, x in enumerate(xs):
        s = shape_of(x)
        if len(s) != nd:
            raise ValueError(
                "concatenate: all the input arrays must have the same number of dimensions, "
                f"but the array at index 0 has {nd} dimension(s) and the array at index {i} "
                f"has {len(s)} dimension(s)"
            )
        ref = shape_of(xs[0])
        if any(s[k] != ref[k] for k in range(nd) if k != ax):
            raise ValueError(
                "concatenate: all the input array dimensions except for the concatenation "
                f"axis must match exactly, but along dimension {ax} the array at index 0 "
                f"has shape {ref} and the array at index {i} has shape {s}"
            )
    return ix.concatenate(xs, ax)


def stack(
    arrays: Sequence[ArrayLike],
    axis: int = 0,
    out: None = None,
    *,
    dtype: DTypeLike | None = None,
    casting: str = "same_kind",
) -> Array:
    """Join arrays of one shape along a new axis, as numpy.stack.

    >>> stack([np.zeros(2), np.ones(2)], axis=1)
    array([[0., 1.],
           [0., 1.]])
    """
    if out is not None:
        raise NotImplementedError("stack: out= is not supported (arrays are immutable)")
    xs = _promote_all(arrays, dtype, "stack")
    shp = shape_of(xs[0])
    if any(shape_of(x) != shp for x in xs):
        raise ValueError(
            "stack: all input arrays must have the same shape, got "
            + ", ".join(str(shape_of(x)) for x in xs)
        )
    ax = normalize_axis(axis, len(shp) + 1)
    new = (*shp[:ax], 1, *shp[ax:])
    return ix.concatenate([sh.reshape(x, new) for x in xs], ax)


def hstack(
    tup: Sequence[ArrayLike], *, dtype: DTypeLike | None = None, casting: str = "same_kind"
) -> Array:
    """Stack arrays horizontally (along axis 1; axis 0 for 1-D), as numpy.hstack.

    >>> hstack([np.zeros(2), np.ones(1)])
    array([0., 0., 1.])
    """
    xs = [atleast_1d(x) for x in tup]
    if not xs:
        raise ValueError("hstack: need at least one array to concatenate")
    return concatenate(xs, axis=0 if len(shape_of(xs[0])) == 1 else 1, dtype=dtype)


def vstack(
    tup: Sequence[ArrayLike], *, dtype: DTypeLike | None = None, casting: str = "same_kind"
) -> Array:
    """Stack arrays vertically (1-D arrays become rows), as numpy.vstack.

    >>> vstack([np.zeros(2), np.ones(2)]).shape
    (2, 2)
    """
    return concatenate([atleast_2d(x) for x in tup], axis=0, dtype=dtype)


def dstack(tup: Sequence[ArrayLike]) -> Array:
    """Stack arrays along the third axis, as numpy.dstack.

    >>> dstack([np.zeros(2), np.ones(2)]).shape
    (1, 2, 2)
    """
    return concatenate([atleast_3d(x) for x in tup], axis=2)


def column_stack(tup: Sequence[ArrayLike]) -> Array:
    """Stack 1-D arrays as columns of a 2-D array, as numpy.column_stack.

    >>> column_stack([np.zeros(2), np.ones(2)])
    array([[0., 1.],
           [0., 1.]])
    """
    cols = []
    for v in tup:
        x = asarray_arg(v)
        shp = shape_of(x)
        if len(shp) < 2:
            x = sh.reshape(x, (math.prod(shp), 1))
        cols.append(x)
    return concatenate(cols, axis=1)


def _split_points(n: int, sections: Any, name: str, even: bool) -> list[tuple[int, int]]:
    if isinstance(sections, (int, np.integer)) or (
        isinstance(sections, (np.ndarray, Tracer)) and np.ndim(sections) == 0
    ):
        k = _as_int(sections, f"{name}: indices_or_sections")
        if k <= 0:
            raise ValueError(f"{name}: number sections must be larger than 0.")
        if even and n % k:
            raise ValueError(f"{name}: array split does not result in an equal division")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        return [(int(bounds[i]), int(bounds[i + 1])) for i in range(k)]
    pts = [
        _as_int(p, f"{name}: indices")
        for p in concrete_or_raise(sections, f"{name} indices").ravel()
    ]
    edges = [0, *pts, n]
    out = []
    for lo, hi in itertools.pairwise(edges):
        start, stop, _ = slice(lo, hi).indices(n)
        out.append((start, max(start, stop)))
    return out


def _split(ary: Any, indices_or_sections: Any, axis: int, name: str, even: bool) -> list[Array]:
    x = asarray_arg(ary)
    shp = shape_of(x)
    ax = normalize_axis(axis, len(shp))
    return [
        ix.slice_axis(x, lo, hi, ax)
        for lo, hi in _split_points(shp[ax], indices_or_sections, name, even)
    ]


def split(ary: ArrayLike, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Array]:
    """Split into equal sections or at the given indices, as numpy.split.

    >>> [p.tolist() for p in split(np.arange(6.0), [2, 5])]
    [[0.0, 1.0], [2.0, 3.0, 4.0], [5.0]]
    """
    return _split(ary, indices_or_sections, axis, "split", even=True)


def array_split(
    ary: ArrayLike, indices_or_sections: int | Sequence[int], axis: int = 0
) -> list[Array]:
    """Split into (possibly unequal) sections, as numpy.array_split.

    >>> [p.tolist() for p in array_split(np.arange(5.0), 2)]
    [[0.0, 1.0, 2.0], [3.0, 4.0]]
    """
    return _split(ary, indices_or_sections, axis, "array_split", even=False)


# ---------------------------------------------------------------------------
# tiling and repeating
# ---------------------------------------------------------------------------


def tile(A: ArrayLike, reps: ArrayLike) -> Array:
    """Repeat a whole array along each axis, as numpy.tile.

    >>> tile(np.array([1.0, 2.0]), (2, 2))
    array([[1., 2., 1., 2.],
           [1., 2., 1., 2.]])
    """
    x = asarray_arg(A)
    r = tuple(reps) if isinstance(reps, (tuple, list)) else (reps,)
    r = tuple(_as_int(v, "tile: reps") for v in r)
    if any(v < 0 for v in r):
        raise ValueError(f"tile: negative repetitions are not allowed, got {r}")
    shp = tuple(shape_of(x))
    d = max(len(r), len(shp))
    shp = (1,) * (d - len(shp)) + shp
    r = (1,) * (d - len(r)) + r
    x = sh.reshape(x, shp)
    if all(v == 1 for v in r):
        return x
    inter = tuple(v for pair in zip(r, shp, strict=True) for v in pair)
    y = sh.broadcast_in_dim(x, inter, tuple(range(1, 2 * d, 2)))
    return sh.reshape(y, tuple(v * n for v, n in zip(r, shp, strict=True)))


def repeat(a: ArrayLike, repeats: ArrayLike, axis: int | None = None) -> Array:
    """Repeat each element (``repeats`` an int or one count per element), as
    numpy.repeat.

    >>> repeat(np.array([1.0, 2.0]), [1, 3])
    array([1., 2., 2., 2.])
    """
    x = asarray_arg(a)
    if axis is None:
        x = ravel(x)
        axis = 0
    shp = shape_of(x)
    ax = normalize_axis(axis, len(shp))
    n = shp[ax]
    reps = concrete_or_raise(repeats, "repeat: repeats (they fix the output shape)")
    if reps.dtype.kind not in "iub":
        raise TypeError(f"repeat: repeats must be integers, got dtype {reps.dtype}")
    if (reps < 0).any():
        raise ValueError("repeat: negative dimensions are not allowed")
    if reps.ndim == 0 or reps.size == 1:
        k = int(reps.reshape(-1)[0]) if reps.size else 0
        if k == 1:
            return x
        y = sh.broadcast_in_dim(
            sh.reshape(x, (*shp[: ax + 1], 1, *shp[ax + 1 :])),
            (*shp[: ax + 1], k, *shp[ax + 1 :]),
            tuple(range(len(shp) + 1)),
        )
        return sh.reshape(y, (*shp[:ax], n * k, *shp[ax + 1 :]))
    if reps.shape != (n,):
        raise ValueError(
            f"repeat: operands could not be broadcast together: repeats of shape {reps.shape} "
            f"for an axis of length {n}"
        )
    return ix.gather(x, np.repeat(np.arange(n), reps), ax)


# ---------------------------------------------------------------------------
# flipping, rolling, rotating
# ---------------------------------------------------------------------------


def flip(m: ArrayLike, axis: Axis = None) -> Array:
    """Reverse the order of elements along axes (all by default), as numpy.flip.

    >>> flip(np.array([[1.0, 2.0], [3.0, 4.0]]), 1)
    array([[2., 1.],
           [4., 3.]])
    """
    x = asarray_arg(m)
    nd = len(shape_of(x))
    axes = tuple(range(nd)) if axis is None else _axis_tuple(axis, nd)
    return ix.rev(x, axes)


def fliplr(m: ArrayLike) -> Array:
    """Reverse the columns (axis 1), as numpy.fliplr.

    >>> fliplr(np.array([[1.0, 2.0]]))
    array([[2., 1.]])
    """
    x = asarray_arg(m)
    if len(shape_of(x)) < 2:
        raise ValueError("fliplr: Input must be >= 2-d.")
    return ix.rev(x, (1,))


def flipud(m: ArrayLike) -> Array:
    """Reverse the rows (axis 0), as numpy.flipud.

    >>> flipud(np.array([1.0, 2.0]))
    array([2., 1.])
    """
    x = asarray_arg(m)
    if len(shape_of(x)) < 1:
        raise ValueError("flipud: Input must be >= 1-d.")
    return ix.rev(x, (0,))


def roll(a: ArrayLike, shift: ArrayLike, axis: Axis = None) -> Array:
    """Roll elements along axes (elements leaving one end re-enter at the
    other), as numpy.roll.

    >>> roll(np.arange(5.0), 2)
    array([3., 4., 0., 1., 2.])
    """
    x = asarray_arg(a)
    shp = shape_of(x)
    if axis is None:
        return sh.reshape(roll(ravel(x), shift, 0), shp)
    shifts = np.atleast_1d(concrete_or_raise(shift, "roll: shift"))
    axes_arr = np.atleast_1d(np.asarray(axis))
    try:
        shifts, axes_arr = np.broadcast_arrays(shifts, axes_arr)
    except ValueError:
        raise ValueError("roll: 'shift' and 'axis' should be scalars or 1D sequences") from None
    total: dict[int, int] = {}
    for s, ax in zip(shifts.tolist(), axes_arr.tolist(), strict=True):
        k = normalize_axis(int(ax), len(shp))
        total[k] = total.get(k, 0) + int(s)
    for k, s in total.items():
        n = shp[k]
        if n == 0:
            continue
        s %= n
        if s:
            x = ix.concatenate([ix.slice_axis(x, n - s, n, k), ix.slice_axis(x, 0, n - s, k)], k)
    return x


def rot90(m: ArrayLike, k: int = 1, axes: Sequence[int] = (0, 1)) -> Array:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``, as numpy.rot90.

    >>> rot90(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[2., 4.],
           [1., 3.]])
    """
    x = asarray_arg(m)
    nd = len(shape_of(x))
    ax = tuple(axes)
    if len(ax) != 2:
        raise ValueError("rot90: len(axes) must be 2.")
    a0, a1 = normalize_axis(ax[0], nd, "axes"), normalize_axis(ax[1], nd, "axes")
    if a0 == a1:
        raise ValueError("rot90: Axes must be different.")
    k = _as_int(k, "rot90: k") % 4
    if k == 0:
        return x
    if k == 2:
        return ix.rev(x, (a0, a1))
    perm = list(range(nd))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return sh.transpose(ix.rev(x, (a1,)), tuple(perm))
    return ix.rev(sh.transpose(x, tuple(perm)), (a1,))


# ---------------------------------------------------------------------------
# pad
# ---------------------------------------------------------------------------


def _pairs(v: Any, nd: int, what: str, ints: bool) -> np.ndarray:
    arr = np.asarray(v) if not ints else np.asarray(concrete_or_raise(v, f"pad: {what}"))
    if ints:
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise TypeError(f"pad: `{what}` must be of integral type.")
    try:
        return np.broadcast_to(arr, (nd, 2))
    except ValueError:
        raise ValueError(
            f"pad: {what} of shape {arr.shape} cannot be broadcast to ({nd}, 2) "
            "(give an int, (before, after), or one (before, after) per axis)"
        ) from None


def pad(
    array: ArrayLike,
    pad_width: ArrayLike,
    mode: str = "constant",
    **kwargs: Any,
) -> Array:
    """Pad an array, as numpy.pad, for the modes 'constant' (with
    ``constant_values``), 'edge', 'reflect', 'symmetric' and 'wrap'.

    >>> pad(np.array([1.0, 2.0, 3.0]), (2, 1), mode="reflect")
    array([3., 2., 1., 2., 3., 2.])
    """
    x = asarray_arg(array)
    shp = shape_of(x)
    nd = len(shp)
    widths = _pairs(pad_width, nd, "pad_width", ints=True)
    if (widths < 0).any():
        raise ValueError("pad: index can't contain negative values")
    allowed = {
        "constant": {"constant_values"},
        "edge": set(),
        "reflect": {"reflect_type"},
        "symmetric": {"reflect_type"},
        "wrap": set(),
    }
    if mode not in allowed:
        raise NotImplementedError(
            f"pad: mode {mode!r} is not supported; use one of {sorted(allowed)}"
        )
    unknown = set(kwargs) - allowed[mode]
    if unknown:
        raise ValueError(f"pad: unsupported keyword arguments for mode '{mode}': {sorted(unknown)}")
    if kwargs.get("reflect_type", "even") != "even":
        raise NotImplementedError("pad: only reflect_type='even' is supported")
    if mode == "constant":
        return _pad_constant(x, widths, kwargs.get("constant_values", 0))
    for k in range(nd):
        b, a = int(widths[k, 0]), int(widths[k, 1])
        if b == 0 and a == 0:
            continue
        if shp[k] == 0:
            raise ValueError(
                f"pad: can't extend empty axis {k} using modes other than 'constant' or 'empty'"
            )
        x = _pad_axis(x, k, b, a, mode)
    return x


def _pad_constant(x: Array, widths: np.ndarray, values: Any) -> Array:
    dt = dtype_of(x)
    nd = widths.shape[0]
    if isinstance(values, Tracer) or (
        isinstance(values, (list, tuple)) and any(isinstance(v, Tracer) for v in values)
    ):
        vals = asarray_arg(values)
        vshape = shape_of(vals)
        if vshape == ():
            return ix.pad(x, ew.convert(vals, dt), tuple((int(b), int(a), 0) for b, a in widths))
        vals = sh.broadcast_to(vals, (nd, 2)) if vshape != (nd, 2) else vals
        pairs = [
            [
                ew.convert(sh.reshape(ix.slice_(vals, (k, j), (k + 1, j + 1)), ()), dt)
                for j in range(2)
            ]
            for k in range(nd)
        ]
    else:
        arr = _pairs(values, nd, "constant_values", ints=False)
        if arr.size == 0 or (arr == arr.flat[0]).all():
            v = np.asarray(arr.flat[0] if arr.size else 0).astype(dt)
            return ix.pad(x, v, tuple((int(b), int(a), 0) for b, a in widths))
        pairs = [[np.asarray(arr[k, j]).astype(dt) for j in range(2)] for k in range(nd)]
    # different values per side: pad one side of one axis at a time (later
    # axes cover the corners, as numpy does)
    for k in range(nd):
        for j in range(2):
            w = int(widths[k, j])
            if w:
                cfg = [(0, 0, 0)] * nd
                cfg[k] = (w, 0, 0) if j == 0 else (0, w, 0)
                x = ix.pad(x, pairs[k][j], tuple(cfg))
    return x


def _pad_axis(x: Array, k: int, b: int, a: int, mode: str) -> Array:
    n = shape_of(x)[k]
    fits = {
        "edge": True,
        "reflect": b <= n - 1 and a <= n - 1,
        "symmetric": b <= n and a <= n,
        "wrap": b <= n and a <= n,
    }[mode]
    if not fits:
        # wide padding repeats the pattern: one gather with numpy's own index map
        return ix.gather(x, np.pad(np.arange(n), (b, a), mode=mode), k)  # type: ignore[call-overload]
    shp = shape_of(x)
    parts = []
    if mode == "edge":
        for w, (lo, hi) in ((b, (0, 1)), (a, (n - 1, n))):
            if w:
                edge = ix.slice_axis(x, lo, hi, k)
                parts.append(
                    sh.broadcast_in_dim(edge, (*shp[:k], w, *shp[k + 1 :]), tuple(range(len(shp))))
                )
            else:
                parts.append(None)
    elif mode == "wrap":
        parts = [
            ix.slice_axis(x, n - b, n, k) if b else None,
            ix.slice_axis(x, 0, a, k) if a else None,
        ]
    else:
        off = 1 if mode == "reflect" else 0
        parts = [
            ix.rev(ix.slice_axis(x, off, off + b, k), (k,)) if b else None,
            ix.rev(ix.slice_axis(x, n - off - a, n - off, k), (k,)) if a else None,
        ]
    pieces = [p for p in (parts[0], x, parts[1]) if p is not None]
    return ix.concatenate(pieces, k)


# ---------------------------------------------------------------------------
# take, take_along_axis, sort, argsort
# ---------------------------------------------------------------------------


def _index_arg(indices: Any) -> Any:
    if isinstance(indices, Tracer):
        return indices
    if isinstance(indices, (list, tuple)) and any(isinstance(e, Tracer) for e in indices):
        return asarray_arg(indices)
    arr = np.asarray(indices)
    if arr.size == 0 and arr.dtype.kind == "f":
        arr = arr.astype(np.int64)
    return arr


def take(
    a: ArrayLike, indices: ArrayLike, axis: int | None = None, out: None = None, mode: str = "raise"
) -> Array:
    """Take elements along an axis (of the flattened array when ``axis`` is
    None), as numpy.take, with mode 'raise', 'wrap' or 'clip'.

    >>> take(np.array([[1.0, 2.0], [3.0, 4.0]]), [1, -1], axis=1)
    array([[2., 2.],
           [4., 4.]])
    """
    if out is not None:
        raise NotImplementedError("take: out= is not supported (arrays are immutable)")
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    x = asarray_arg(a)
    if axis is None:
        x = ravel(x)
        axis = 0
    shp = shape_of(x)
    ax = normalize_axis(axis, len(shp))
    idx = _index_arg(indices)
    if isinstance(idx, np.ndarray) and idx.dtype.kind == "f":
        idx = idx.astype(np.int64)  # numpy's take casts float indices
    if dtype_of(idx).kind not in "iub":
        raise TypeError(f"take: indices must be integers, got dtype {dtype_of(idx)}")
    n_idx: int = math.prod(shape_of(idx))
    if shp[ax] == 0 and n_idx > 0:
        raise IndexError(f"take: cannot do a non-empty take from an empty axis {ax}")
    idx = _normalize_indices(idx, shp[ax], "take", ax, mode)
    return ix.gather(x, idx, ax)


def take_along_axis(arr: ArrayLike, indices: ArrayLike, axis: int | None = -1) -> Array:
    """Take values by matching 1-D index slices along an axis (the other
    axes broadcast), as numpy.take_along_axis.

    >>> x = np.array([[10.0, 30.0, 20.0], [60.0, 40.0, 50.0]])
    >>> take_along_axis(x, np.argsort(x, axis=1), axis=1)
    array([[10., 20., 30.],
           [40., 50., 60.]])
    """
    x = asarray_arg(arr)
    idx = _index_arg(indices)
    if axis is None:
        if len(shape_of(idx)) != 1:
            raise ValueError(
                "take_along_axis: when axis=None, `indices` must have a single dimension."
            )
        x = ravel(x)
        axis = 0
    xs, ishp = shape_of(x), shape_of(idx)
    nd = len(xs)
    if len(ishp) != nd:
        raise ValueError(
            f"take_along_axis: `indices` and `arr` must have the same number of dimensions "
            f"(got {len(ishp)} and {nd})"
        )
    ax = normalize_axis(axis, nd)
    if dtype_of(idx).kind not in "iu":
        raise IndexError("take_along_axis: `indices` must be an integer array")
    n = xs[ax]
    idx = _normalize_indices(idx, n, "take_along_axis", ax)
    if nd == 1:
        return ix.gather(x, idx, 0)
    try:
        other = np.broadcast_shapes(
            tuple(s for k, s in enumerate(xs) if k != ax),
            tuple(s for k, s in enumerate(ishp) if k != ax),
        )
    except ValueError:
        raise ValueError(
            f"take_along_axis: shape mismatch: arr {xs} and indices {ishp} cannot be broadcast "
            f"outside axis {ax}"
        ) from None
    full_x = (*other[:ax], n, *other[ax:])
    full_i = (*other[:ax], ishp[ax], *other[ax:])
    x = sh.broadcast_to(x, full_x)
    idx = sh.broadcast_to(idx, full_i)
    # flat position in the C-order ravel of x: idx * stride(ax) + offsets of the other axes
    strides = [math.prod(full_x[k + 1 :]) for k in range(nd)]
    base = np.zeros((), np.int64)
    for k in range(nd):
        if k != ax:
            shape_k = [1] * nd
            shape_k[k] = full_x[k]
            base = base + (np.arange(full_x[k], dtype=np.int64) * strides[k]).reshape(shape_k)
    flat = ew.add(ew.mul(idx, strides[ax]) if strides[ax] != 1 else idx, base)
    return ix.gather(sh.reshape(x, (math.prod(full_x),)), flat, 0)


def argsort(
    a: ArrayLike,
    axis: int | None = -1,
    kind: str | None = None,
    order: None = None,
    *,
    stable: bool | None = None,
) -> Array:
    """Indices that sort an array along an axis (always a stable sort; NaNs
    last), as numpy.argsort. Integer output: zero derivative.

    >>> argsort(np.array([3.0, 1.0, 2.0]))
    array([1, 2, 0])
    """
    if order is not None:
        raise NotImplementedError("argsort: order= (structured arrays) is not supported")
    x = asarray_arg(a)
    if axis is None:
        x = ravel(x)
        axis = 0
    shp = shape_of(x)
    if len(shp) == 0:
        return np.zeros((1,), np.int64)  # numpy's answer for a 0-d array
    return ix.argsort(x, normalize_axis(axis, len(shp)))


def sort(
    a: ArrayLike,
    axis: int | None = -1,
    kind: str | None = None,
    order: None = None,
    *,
    stable: bool | None = None,
) -> Array:
    """A sorted copy of an array along an axis (NaNs last), as numpy.sort.
    Differentiable: the derivative moves with the sorting permutation.

    >>> sort(np.array([[3.0, 1.0], [0.0, 2.0]]), axis=None)
    array([0., 1., 2., 3.])
    """
    if order is not None:
        raise NotImplementedError("sort: order= (structured arrays) is not supported")
    x = asarray_arg(a)
    if axis is None:
        x = ravel(x)
        axis = 0
    shp = shape_of(x)
    if len(shp) == 0:
        raise ValueError("sort: axis -1 is out of bounds for array of dimension 0")
    ax = normalize_axis(axis, len(shp))
    if shp[ax] <= 1:
        return x
    perm = ix.argsort(x, ax)
    if len(shp) == 1:
        return ix.gather(x, perm, 0)
    return take_along_axis(x, perm, ax)


__all__ = [
    "argsort",
    "array_split",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "broadcast_arrays",
    "broadcast_to",
    "column_stack",
    "concatenate",
    "dstack",
    "expand_dims",
    "flip",
    "fliplr",
    "flipud",
    "hstack",
    "moveaxis",
    "ndim",
    "pad",
    "ravel",
    "repeat",
    "reshape",
    "roll",
    "rot90",
    "shape",
    "size",
    "sort",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "take",
    "take_along_axis",
    "tile",
    "transpose",
    "vstack",
]

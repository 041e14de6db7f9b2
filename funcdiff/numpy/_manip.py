"""Array manipulation, index construction, functional updates and function
application, with numpy's signatures, composed from ``funcdiff.numpy``
functions and primitives.

``insert``, ``delete``, ``resize`` and ``fill_diagonal`` are gathers: numpy
itself arranges an array of position codes (so every corner of numpy's
argument rules is kept), and the result picks from the inputs by those codes,
so it is differentiable in the array and the values. Positions and masks
(``obj``, ``condition``) must be concrete. numpy's in-place updates
(``fill_diagonal``, ``put``, ``place``, ``put_along_axis``) return the new
array instead, and, as in JAX, ask for ``inplace=False`` so that a call
written for numpy cannot silently do nothing.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcdiff.api_util import concrete_or_none, concrete_or_raise
from funcdiff.core.trace import Tracer
from funcdiff.core.typing import ArrayLike, DTypeLike
from funcdiff.errors import ConcretizationError
from funcdiff.numpy._core import (
    Array,
    asarray_arg,
    constant,
    dtype_of,
    normalize_axis,
    promote,
    shape_of,
)
from funcdiff.numpy._indexing import _update, getitem
from funcdiff.numpy._linear import matmul
from funcdiff.numpy._reductions import sum as _sum
from funcdiff.numpy._shape import (
    broadcast_to,
    concatenate,
    moveaxis,
    ravel,
    reshape,
    split,
    stack,
    take,
    transpose,
)
from funcdiff.numpy._ufuncs import conj, floor_divide, logical_not, remainder
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import shape as sh

_I64 = np.dtype(np.int64)


def _static(x: Any, what: str) -> Any:
    if isinstance(x, slice):
        return x
    if isinstance(x, Tracer) or (
        isinstance(x, (list, tuple)) and any(isinstance(e, Tracer) for e in x)
    ):
        return concrete_or_raise(x, what)
    return x


def _pick_codes(codes: np.ndarray, x: Array, values: Array | None = None) -> Array:
    """The array whose element at each position is ``ravel(x)[c]`` where the
    code ``c >= 0`` and ``ravel(values)[-1 - c]`` where it is negative."""
    codes = np.asarray(codes, np.int64)
    xf = ravel(x)
    if codes.size == 0:
        return ew.convert(np.zeros(codes.shape), dtype_of(x))
    from_x = ix.gather(xf, np.maximum(codes, 0), 0) if shape_of(xf)[0] else None
    if values is None or not np.any(codes < 0):
        assert from_x is not None
        return from_x
    vf = ew.convert(ravel(values), dtype_of(x))
    from_v = ix.gather(vf, np.maximum(-1 - codes, 0), 0)
    if from_x is None:
        return from_v
    return ew.select(codes >= 0, from_x, from_v)


def _codes(shape: tuple[int, ...]) -> np.ndarray:
    return np.arange(math.prod(shape), dtype=np.int64).reshape(shape)


def append(arr: ArrayLike, values: ArrayLike, axis: int | None = None) -> Array:
    """``values`` appended to ``arr`` (both flattened when ``axis`` is None).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.append(np.array([1.0, 2.0]), [[3.0], [4.0]])
    array([1., 2., 3., 4.])
    """
    x, v = asarray_arg(arr), asarray_arg(values)
    if axis is None:
        return concatenate([ravel(x), ravel(v)])
    return concatenate([x, v], axis=axis)


def insert(arr: ArrayLike, obj: Any, values: ArrayLike, axis: int | None = None) -> Array:
    """``values`` inserted before the index or indices ``obj`` (an int, a
    slice or a sequence; concrete) along ``axis`` (flattened when None).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.insert(np.array([1.0, 2.0, 3.0]), 1, 9.0)
    array([1., 9., 2., 3.])
    """
    x, v = asarray_arg(arr), asarray_arg(values)
    obj = _static(obj, "insert's obj")
    vcodes = -1 - _codes(tuple(shape_of(v)))
    codes = np.insert(_codes(tuple(shape_of(x))), obj, vcodes, axis=axis)
    return _pick_codes(codes, x, v)


def delete(arr: ArrayLike, obj: Any, axis: int | None = None) -> Array:
    """``arr`` without the entries ``obj`` (an int, a slice, a sequence or a
    bool mask; concrete) along ``axis`` (flattened when None).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.delete(np.array([1.0, 2.0, 3.0, 4.0]), [0, 2])
    array([2., 4.])
    """
    x = asarray_arg(arr)
    obj = _static(obj, "delete's obj")
    codes = np.delete(_codes(tuple(shape_of(x))), obj, axis=axis)
    return _pick_codes(codes, x)


def resize(a: ArrayLike, new_shape: int | Sequence[int]) -> Array:
    """An array of ``new_shape`` filled by repeating ``a``'s flattened values.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.resize(np.array([1.0, 2.0, 3.0]), (2, 2))
    array([[1., 2.],
           [3., 1.]])
    """
    x = asarray_arg(a)
    shape = (new_shape,) if isinstance(new_shape, int) else tuple(new_shape)
    if math.prod(shape_of(x)) == 0:
        return ew.convert(np.zeros(shape), dtype_of(x))
    codes = np.resize(_codes(tuple(shape_of(x))), shape)
    return _pick_codes(codes, x)


def block(arrays: Any) -> Array:
    """Assemble an array from nested lists of blocks: the innermost lists
    join along the last axis, the next along the second-to-last, and so on.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.block([[np.eye(2), np.zeros((2, 1))], [np.ones((1, 2)), np.ones((1, 1))]])
    array([[1., 0., 0.],
           [0., 1., 0.],
           [1., 1., 1.]])
    """
    # nesting depth and the leaves, level by level (no recursion)
    depth = 0
    level: list[Any] = [arrays]
    while level and all(isinstance(e, list) for e in level):
        if any(len(e) == 0 for e in level):
            raise ValueError("block: lists cannot be empty")
        depth += 1
        level = [item for e in level for item in e]
    if any(isinstance(e, list) for e in level):
        raise ValueError("block: list depths are mismatched")
    if any(isinstance(e, tuple) for e in level):
        raise TypeError("block: arrays is a tuple; only lists can be used to arrange blocks")
    leaves = [asarray_arg(e) for e in level]
    nd = max([depth] + [len(shape_of(e)) for e in leaves])
    cur = [reshape(e, (1,) * (nd - len(shape_of(e))) + tuple(shape_of(e))) for e in leaves]
    # the list structure's sizes per level, to regroup bottom-up
    sizes: list[list[int]] = []
    level = [arrays]
    for _ in range(depth):
        sizes.append([len(e) for e in level])
        level = [item for e in level for item in e]
    for d in range(depth - 1, -1, -1):
        axis = -(depth - d)
        out, k = [], 0
        for n in sizes[d]:
            out.append(concatenate(cur[k : k + n], axis=axis) if n > 1 else cur[k])
            k += n
        cur = out
    return cur[0]


def rollaxis(a: ArrayLike, axis: int, start: int = 0) -> Array:
    """Move ``axis`` to before position ``start`` (numpy's older ``moveaxis``).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.rollaxis(np.ones((3, 4, 5, 6)), 3, 1).shape
    (3, 6, 4, 5)
    """
    x = asarray_arg(a)
    n = len(shape_of(x))
    axis = normalize_axis(axis, n)
    if not -n <= start <= n:
        raise ValueError(f"rollaxis: start={start} must satisfy {-n} <= start < {n + 1}")
    if start < 0:
        start += n
    if axis < start:
        start -= 1
    if axis == start:
        return x
    axes = list(range(n))
    axes.remove(axis)
    axes.insert(start, axis)
    return transpose(x, tuple(axes))


def unstack(x: ArrayLike, /, *, axis: int = 0) -> tuple[Array, ...]:
    """The slices of ``x`` along ``axis``, as a tuple (inverse of ``stack``).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> [a.shape for a in fnp.unstack(np.zeros((2, 3)), axis=1)]
    [(2,), (2,), (2,)]
    """
    v = asarray_arg(x)
    nd = len(shape_of(v))
    if nd == 0:
        raise ValueError("unstack: input must be at least 1-d")
    ax = normalize_axis(axis, nd)
    m = moveaxis(v, ax, 0)
    return tuple(
        sh.reshape(ix.slice_axis(m, i, i + 1, 0), shape_of(m)[1:]) for i in range(shape_of(m)[0])
    )


def hsplit(ary: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[Array]:
    """Split along the second axis (the first for 1-D arrays).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> [a.shape for a in fnp.hsplit(np.zeros((2, 4)), 2)]
    [(2, 2), (2, 2)]
    """
    x = asarray_arg(ary)
    if len(shape_of(x)) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(x, indices_or_sections, axis=1 if len(shape_of(x)) > 1 else 0)


def vsplit(ary: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[Array]:
    """Split along the first axis (arrays of 2 or more dimensions).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> [a.shape for a in fnp.vsplit(np.zeros((4, 2)), [1])]
    [(1, 2), (3, 2)]
    """
    x = asarray_arg(ary)
    if len(shape_of(x)) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(x, indices_or_sections, axis=0)


def dsplit(ary: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[Array]:
    """Split along the third axis (arrays of 3 or more dimensions).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> [a.shape for a in fnp.dsplit(np.zeros((1, 1, 4)), 2)]
    [(1, 1, 2), (1, 1, 2)]
    """
    x = asarray_arg(ary)
    if len(shape_of(x)) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(x, indices_or_sections, axis=2)


# ---------------------------------------------------------------------------
# selection by index or condition
# ---------------------------------------------------------------------------


def _index_mode(name: str, idx: Array, n: int, mode: str | None) -> Array:
    if mode in (None, "raise"):
        c = concrete_or_none(idx)
        if c is not None and c.size and (c.min() < -n or c.max() >= n):
            raise ValueError(f"{name}: invalid entry in the index array (not in [{-n}, {n}))")
        return ew.select(ew.lt(idx, _I64.type(0)), ew.add(idx, _I64.type(n)), idx)
    if mode == "wrap":
        return remainder(idx, _I64.type(n))
    if mode == "clip":
        return ew.minimum(ew.maximum(idx, _I64.type(0)), _I64.type(n - 1))
    raise ValueError(f"{name}: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")


def choose(
    a: ArrayLike, choices: Sequence[ArrayLike], out: None = None, mode: str = "raise"
) -> Array:
    """``choices[a[i]][i]`` element-wise (all broadcast together); mode
    'raise' (checked on concrete indices), 'wrap' or 'clip'.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.choose(np.array([0, 1, 0]), [np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0])])
    array([ 1., 20.,  3.])
    """
    if out is not None:
        raise TypeError("choose: out= is not supported (arrays are immutable)")
    idx = ew.convert(asarray_arg(a), _I64)
    cs = promote(*choices)
    n = len(cs)
    if mode == "raise":
        c = concrete_or_none(idx)
        if c is not None and c.size and (c.min() < 0 or c.max() >= n):
            raise ValueError("choose: invalid entry in choice array")
    else:
        idx = _index_mode("choose", idx, n, mode)
    shape = np.broadcast_shapes(shape_of(idx), *[shape_of(c) for c in cs])
    out_: Any = broadcast_to(cs[0], shape)
    for k in range(1, n):
        out_ = ew.select(ew.eq(idx, _I64.type(k)), cs[k], out_)
    return broadcast_to(out_, shape)


def compress(
    condition: ArrayLike, a: ArrayLike, axis: int | None = None, out: None = None
) -> Array:
    """The slices of ``a`` along ``axis`` where the (concrete, 1-D)
    ``condition`` is true (flattened when ``axis`` is None).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.compress([False, True, True], np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), axis=0)
    array([[3., 4.],
           [5., 6.]])
    """
    if out is not None:
        raise TypeError("compress: out= is not supported (arrays are immutable)")
    c = np.asarray(concrete_or_raise(condition, "compress's condition")).astype(bool).ravel()
    x = asarray_arg(a)
    if axis is None:
        x = ravel(x)
        axis = 0
    n = shape_of(x)[normalize_axis(axis, len(shape_of(x)))]
    if c.size > n:
        raise IndexError(f"compress: condition of length {c.size} is longer than axis ({n})")
    return take(x, np.flatnonzero(c), axis=axis)


def extract(
    condition: ArrayLike, arr: ArrayLike, *, size: int | None = None, fill_value: Any = 0
) -> Array:
    """The elements of ``arr`` where ``condition`` is true, flattened
    (concrete condition; or a static ``size=``, padded with ``fill_value``).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.extract(np.array([True, False, True]), np.array([1.0, 2.0, 3.0]))
    array([1., 3.])
    """
    x = ravel(asarray_arg(arr))
    cond = ravel(asarray_arg(condition))
    if size is None:
        c = np.asarray(concrete_or_raise(cond, "extract's condition (or pass size=)")).astype(bool)
        return take(x, np.flatnonzero(c)[np.flatnonzero(c) < shape_of(x)[0]])
    cb = ew.ne(cond, dtype_of(cond).type(0)) if dtype_of(cond) != np.bool_ else cond
    pos = ew.sub(ix.gather(_cumsum_int(cb), np.arange(shape_of(cb)[0]), 0), _I64.type(1))
    tgt = ew.select(ew.logical_and(cb, ew.lt(pos, _I64.type(size))), pos, _I64.type(size))
    base = ew.convert(np.full(size + 1, fill_value), dtype_of(x))
    return ix.slice_axis(_update(base, tgt, x, "set"), 0, size, 0)


def _cumsum_int(b: Array) -> Array:
    from funcdiff.primitives import reductions as red

    return red.cumsum(ew.convert(b, _I64), 0)


def _check_inplace(name: str, inplace: bool) -> None:
    if inplace:
        raise ValueError(
            f"{name}: funcdiff arrays are immutable, so {name} cannot work in place as "
            f"numpy's does; call {name}(..., inplace=False) and use the array it returns"
        )


def place(arr: ArrayLike, mask: ArrayLike, vals: ArrayLike, *, inplace: bool = True) -> Array:
    """``arr`` with the positions where ``mask`` is true set to ``vals``
    (repeated as needed); concrete mask. Returns the new array: pass
    ``inplace=False``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.place(np.zeros(4), np.array([1, 0, 1, 1]), [5.0, 6.0], inplace=False)
    array([5., 0., 6., 5.])
    """
    _check_inplace("place", inplace)
    x = asarray_arg(arr)
    m = np.asarray(concrete_or_raise(mask, "place's mask")).astype(bool).ravel()
    pos = np.flatnonzero(m)
    v = ravel(asarray_arg(vals))
    if pos.size == 0:
        return x
    k = shape_of(v)[0]
    if k == 0:
        raise ValueError("place: cannot insert from an empty array")
    vv = ix.gather(v, np.arange(pos.size) % k, 0)
    return reshape(_update(ravel(x), pos, vv, "set"), shape_of(x))


def put(
    a: ArrayLike, ind: ArrayLike, v: ArrayLike, mode: str | None = None, *, inplace: bool = True
) -> Array:
    """``a`` with the flat positions ``ind`` set to ``v`` (repeated as
    needed); mode 'raise', 'wrap' or 'clip'. Returns the new array: pass
    ``inplace=False``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.put(np.zeros(4), [0, 2], [1.0, 2.0], inplace=False)
    array([1., 0., 2., 0.])
    """
    _check_inplace("put", inplace)
    x = asarray_arg(a)
    size = math.prod(shape_of(x))
    idx = ravel(ew.convert(asarray_arg(ind), _I64))
    k = shape_of(idx)[0]
    if k == 0:
        return x
    idx = _index_mode("put", idx, size, mode)
    vv = ravel(asarray_arg(v))
    if shape_of(vv)[0] == 0:
        return x
    vv = ix.gather(vv, np.arange(k) % shape_of(vv)[0], 0)
    return reshape(_update(ravel(x), idx, vv, "set"), shape_of(x))


def fill_diagonal(
    a: ArrayLike, val: ArrayLike, wrap: bool = False, *, inplace: bool = True
) -> Array:
    """``a`` with its main diagonal set to ``val`` (repeated along it; for
    arrays of 3 or more equal dimensions, the entries ``a[i, i, ..., i]``).
    Returns the new array: pass ``inplace=False``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.fill_diagonal(np.zeros((2, 3)), 7.0, inplace=False)
    array([[7., 0., 0.],
           [0., 7., 0.]])
    """
    _check_inplace("fill_diagonal", inplace)
    x = asarray_arg(a)
    v = asarray_arg(val)
    codes = _codes(tuple(shape_of(x)))
    vcodes = -1 - _codes(tuple(shape_of(v))).ravel()
    if vcodes.size == 0:
        return x
    np.fill_diagonal(codes, vcodes, wrap=wrap)
    return _pick_codes(codes, x, v)


def put_along_axis(
    arr: ArrayLike,
    indices: ArrayLike,
    values: ArrayLike,
    axis: int | None,
    inplace: bool = True,
    *,
    mode: str | None = None,
) -> Array:
    """``arr`` with ``values`` put at ``indices`` along ``axis`` (the
    inverse of ``take_along_axis``). Returns the new array: pass
    ``inplace=False``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.put_along_axis(np.zeros((2, 2)), np.array([[1], [0]]), 5.0, axis=1, inplace=False)
    array([[0., 5.],
           [5., 0.]])
    """
    _check_inplace("put_along_axis", inplace)
    x = asarray_arg(arr)
    idx = asarray_arg(indices)
    if dtype_of(idx).kind not in "iu":
        raise IndexError("put_along_axis: indices must be integers")
    shape = tuple(shape_of(x))
    if axis is None:
        flat = _index_mode("put_along_axis", ravel(ew.convert(idx, _I64)), math.prod(shape), mode)
        v = broadcast_to(asarray_arg(values), shape_of(flat))
        return reshape(_update(ravel(x), flat, v, "set"), shape)
    nd = len(shape)
    ax = normalize_axis(axis, nd)
    if len(shape_of(idx)) != nd:
        raise ValueError(
            f"put_along_axis: indices and arr must have the same number of dimensions "
            f"(got {len(shape_of(idx))} and {nd})"
        )
    ishape = tuple(shape_of(idx))
    bshape = tuple(ishape[k] if k == ax else max(ishape[k], shape[k]) for k in range(nd))
    idx = broadcast_to(ew.convert(idx, _I64), bshape)
    idx = _index_mode("put_along_axis", idx, shape[ax], mode)
    strides = [math.prod(shape[k + 1 :]) for k in range(nd)]
    pos: Any = ew.mul(idx, _I64.type(strides[ax]))
    for k in range(nd):
        if k != ax:
            shp = [1] * nd
            shp[k] = bshape[k]
            pos = ew.add(pos, (np.arange(bshape[k], dtype=np.int64) * strides[k]).reshape(shp))
    v = broadcast_to(asarray_arg(values), bshape)
    return reshape(_update(ravel(x), ravel(pos), ravel(v), "set"), shape)


# ---------------------------------------------------------------------------
# index construction (static shapes)
# ---------------------------------------------------------------------------


def indices(dimensions: Sequence[int], dtype: DTypeLike = int, sparse: bool = False) -> Any:
    """Coordinate grids of an array of shape ``dimensions`` (constants).

    >>> import funcdiff.numpy as fnp
    >>> fnp.indices((2, 3)).shape
    (2, 2, 3)
    """
    r = np.indices(tuple(dimensions), dtype=dtype, sparse=sparse)  # type: ignore[call-overload]
    return tuple(constant(np.asarray(g)) for g in r) if sparse else constant(r)


def ix_(*args: ArrayLike) -> tuple[Array, ...]:
    """Open-mesh index arrays from 1-D sequences (bool ones via their
    nonzero positions, concrete): ``a[ix_(rows, cols)]`` picks a sub-grid.

    >>> import funcdiff.numpy as fnp
    >>> [i.shape for i in fnp.ix_([0, 1], [2, 4, 5])]
    [(2, 1), (1, 3)]
    """
    out = []
    n = len(args)
    for k, a in enumerate(args):
        v = asarray_arg(a)
        if len(shape_of(v)) != 1:
            raise ValueError("ix_: cross index must be 1 dimensional")
        if dtype_of(v) == np.bool_:
            v = np.flatnonzero(np.asarray(concrete_or_raise(v, "ix_ of a bool array")))
        elif isinstance(v, np.ndarray) and v.size == 0:
            v = v.astype(np.int64)
        out.append(reshape(v, (1,) * k + (shape_of(v)[0],) + (1,) * (n - k - 1)))
    return tuple(out)


def _const_tuple(t: Sequence[np.ndarray]) -> tuple[Array, ...]:
    return tuple(constant(np.asarray(a)) for a in t)


def tril_indices(n: int, k: int = 0, m: int | None = None) -> tuple[Array, ...]:
    """Row and column indices of the lower triangle of an (n, m) array.

    >>> import funcdiff.numpy as fnp
    >>> fnp.tril_indices(2)
    (array([0, 1, 1]), array([0, 0, 1]))
    """
    return _const_tuple(np.tril_indices(n, k, m))


def triu_indices(n: int, k: int = 0, m: int | None = None) -> tuple[Array, ...]:
    """Row and column indices of the upper triangle of an (n, m) array.

    >>> import funcdiff.numpy as fnp
    >>> fnp.triu_indices(2)
    (array([0, 0, 1]), array([0, 1, 1]))
    """
    return _const_tuple(np.triu_indices(n, k, m))


def _check_2d(name: str, arr: Any) -> tuple[int, ...]:
    s = tuple(shape_of(asarray_arg(arr)))
    if len(s) != 2:
        raise ValueError(f"{name}: input array must be 2-d, got shape {s}")
    return s


def tril_indices_from(arr: ArrayLike, k: int = 0) -> tuple[Array, ...]:
    """``tril_indices`` for the shape of the 2-D ``arr``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.tril_indices_from(np.zeros((2, 2)))
    (array([0, 1, 1]), array([0, 0, 1]))
    """
    s = _check_2d("tril_indices_from", arr)
    return tril_indices(s[0], k, s[1])


def triu_indices_from(arr: ArrayLike, k: int = 0) -> tuple[Array, ...]:
    """``triu_indices`` for the shape of the 2-D ``arr``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.triu_indices_from(np.zeros((2, 2)))
    (array([0, 0, 1]), array([0, 1, 1]))
    """
    s = _check_2d("triu_indices_from", arr)
    return triu_indices(s[0], k, s[1])


def diag_indices(n: int, ndim: int = 2) -> tuple[Array, ...]:
    """Indices of the main diagonal of an ``(n,) * ndim`` array.

    >>> import funcdiff.numpy as fnp
    >>> fnp.diag_indices(2)
    (array([0, 1]), array([0, 1]))
    """
    return _const_tuple(np.diag_indices(n, ndim))


def diag_indices_from(arr: ArrayLike) -> tuple[Array, ...]:
    """``diag_indices`` for an array with all dimensions equal (at least 2-D).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.diag_indices_from(np.zeros((2, 2)))
    (array([0, 1]), array([0, 1]))
    """
    s = tuple(shape_of(asarray_arg(arr)))
    if len(s) < 2:
        raise ValueError("diag_indices_from: input array must be at least 2-d")
    if len(set(s)) != 1:
        raise ValueError("diag_indices_from: all dimensions of input must be of equal length")
    return diag_indices(s[0], len(s))


def mask_indices(n: int, mask_func: Callable[..., Any], k: int = 0) -> tuple[Array, ...]:
    """Indices where ``mask_func(ones((n, n)), k)`` is nonzero (e.g. ``triu``).

    >>> import funcdiff.numpy as fnp
    >>> fnp.mask_indices(2, fnp.triu)
    (array([0, 0, 1]), array([0, 1, 1]))
    """
    m = np.asarray(concrete_or_raise(mask_func(np.ones((n, n), int), k), "mask_indices"))
    return _const_tuple(np.nonzero(m != 0))


def _modes(mode: Any, k: int) -> list[str]:
    modes = list(mode) if isinstance(mode, (list, tuple)) else [mode] * k
    if len(modes) != k:
        raise ValueError(f"ravel_multi_index: {len(modes)} modes given for {k} dimensions")
    return modes


def ravel_multi_index(
    multi_index: Sequence[ArrayLike],
    dims: Sequence[int],
    mode: str | Sequence[str] = "raise",
    order: str = "C",
) -> Array:
    """Flat indices of the coordinate arrays ``multi_index`` in an array of
    shape ``dims`` (C or F order); mode 'raise' (checked on concrete
    values), 'wrap' or 'clip', or one per dimension.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.ravel_multi_index((np.array([0, 1]), np.array([2, 0])), (2, 3))
    array([2, 3])
    """
    dims = tuple(int(d) for d in dims)
    if len(multi_index) != len(dims):
        raise ValueError(
            f"ravel_multi_index: parameter multi_index must be a sequence of length {len(dims)}"
        )
    if order not in ("C", "F"):
        raise ValueError("ravel_multi_index: order must be 'C' or 'F'")
    modes = _modes(mode, len(dims))
    if order == "C":
        strides = [math.prod(dims[k + 1 :]) for k in range(len(dims))]
    else:
        strides = [math.prod(dims[:k]) for k in range(len(dims))]
    out: Any = None
    for i, d, s, md in zip(multi_index, dims, strides, modes, strict=True):
        iv = asarray_arg(i)
        if dtype_of(iv).kind not in "iu":
            raise TypeError("ravel_multi_index: only int indices permitted")
        iv = ew.convert(iv, _I64)
        if md == "raise":
            c = concrete_or_none(iv)
            if c is not None and c.size and (c.min() < 0 or c.max() >= d):
                raise ValueError("ravel_multi_index: invalid entry in coordinates array")
        else:
            iv = _index_mode("ravel_multi_index", iv, d, md)
        term = ew.mul(iv, _I64.type(s))
        out = term if out is None else ew.add(out, term)
    return out


def unravel_index(indices: ArrayLike, shape: Sequence[int], order: str = "C") -> tuple[Array, ...]:
    """Coordinate arrays of flat ``indices`` in an array of ``shape``
    (checked against the size when concrete).

    >>> import funcdiff.numpy as fnp
    >>> fnp.unravel_index([5, 1], (2, 3))
    (array([1, 0]), array([2, 1]))
    """
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    iv = asarray_arg(indices)
    if dtype_of(iv).kind not in "iu":
        raise TypeError("unravel_index: only int indices permitted")
    iv = ew.convert(iv, _I64)
    size = math.prod(shape)
    c = concrete_or_none(iv)
    if c is not None and c.size and (c.min() < 0 or c.max() >= size):
        raise ValueError(f"unravel_index: index out of bounds for array with size {size}")
    if order not in ("C", "F"):
        raise ValueError("unravel_index: order must be 'C' or 'F'")
    ks = range(len(shape)) if order == "F" else range(len(shape) - 1, -1, -1)
    out: dict[int, Any] = {}
    rest: Any = iv
    for k in ks:
        d = shape[k]
        if d == 0:
            out[k] = rest
            continue
        out[k] = remainder(rest, _I64.type(d))
        rest = floor_divide(rest, _I64.type(d))
    return tuple(out[k] for k in range(len(shape)))


# ---------------------------------------------------------------------------
# conditional selection and function application
# ---------------------------------------------------------------------------


def select(
    condlist: Sequence[ArrayLike], choicelist: Sequence[ArrayLike], default: ArrayLike = 0
) -> Array:
    """``choicelist[i]`` where ``condlist[i]`` is the first true condition,
    else ``default`` (all broadcast together).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> x = np.arange(5.0)
    >>> fnp.select([x < 2, x > 3], [x, x ** 2], default=-1.0)
    array([ 0.,  1., -1., -1., 16.])
    """
    if len(condlist) != len(choicelist):
        raise ValueError("select: list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    conds = [asarray_arg(c) for c in condlist]
    for i, c in enumerate(conds):
        if dtype_of(c) != np.bool_:
            raise TypeError(f"select: invalid entry {i} in condlist: should be boolean ndarray")
    vals = promote(*choicelist, default)
    shape = np.broadcast_shapes(*[shape_of(c) for c in conds], *[shape_of(v) for v in vals])
    out: Any = broadcast_to(vals[-1], shape)
    for c, v in zip(reversed(conds), reversed(vals[:-1]), strict=True):
        out = ew.select(broadcast_to(c, shape), broadcast_to(v, shape), out)
    return out


def piecewise(x: ArrayLike, condlist: Any, funclist: Sequence[Any], *args: Any, **kw: Any) -> Array:
    """Evaluate ``funclist[i]`` (a function of ``x`` or a constant) where
    ``condlist[i]`` holds; one extra function is the "otherwise" case.
    Every function is evaluated on all of ``x`` and the results selected,
    so a branch must be safe (finite, with finite derivative) outside its
    region for gradients to be finite.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> x = np.array([-2.0, 0.5, 3.0])
    >>> fnp.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v ** 2])
    array([2.  , 0.25, 9.  ])
    """
    xv = asarray_arg(x)
    nd = len(shape_of(xv))
    if not isinstance(condlist, (list, tuple)) or (
        len(condlist) and not isinstance(condlist[0], (list, tuple, np.ndarray, Tracer)) and nd != 0
    ):
        if not isinstance(condlist, (list, tuple)) or nd != 0:
            condlist = [condlist]
    conds = [asarray_arg(c) for c in condlist]
    conds = [c if dtype_of(c) == np.bool_ else ew.ne(c, dtype_of(c).type(0)) for c in conds]
    n, n2 = len(conds), len(funclist)
    if n == n2 - 1:
        anyc: Any = conds[0]
        for c in conds[1:]:
            anyc = ew.logical_or(anyc, c)
        conds.append(logical_not(anyc))
    elif n != n2:
        raise ValueError(
            f"piecewise: with {n} condition(s), either {n} or {n + 1} functions are expected"
        )
    dt = dtype_of(xv)
    out: Any = ew.mul(xv, dt.type(0)) if dt.kind in "fc" else ew.convert(np.zeros(shape_of(xv)), dt)
    for c, f in zip(conds, funclist, strict=True):
        val = f(xv, *args, **kw) if callable(f) else f
        out = ew.select(
            broadcast_to(c, shape_of(xv)),
            ew.convert(broadcast_to(asarray_arg(val), shape_of(xv)), dt),
            out,
        )
    return out


def _map_leading(fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    """``fn`` mapped over the leading axis of each of ``args`` (the batching
    interpreter on ``fn``'s traced jaxpr; ``funcdiff.vmap`` itself sits above
    this package)."""
    from funcdiff.api_util import as_array_leaf, trace_to_jaxpr
    from funcdiff.core.ir import ShapedArray
    from funcdiff.interpreters.vmap import vmap_jaxpr
    from funcdiff.tree import tree_flatten, tree_unflatten

    n = shape_of(args[0])[0]
    avals = [ShapedArray(tuple(shape_of(a))[1:], dtype_of(a)) for a in args]
    box: list[Any] = [None]

    def flat_fun(*xs: Any) -> list[Any]:
        leaves, box[0] = tree_flatten(fn(*xs))
        return [as_array_leaf(o, "an output of the mapped function") for o in leaves]

    closed, _ = trace_to_jaxpr(flat_fun, avals)
    outs, dims = vmap_jaxpr(closed.jaxpr, closed.consts, list(args), [0] * len(args))
    res = []
    for o, d in zip(outs, dims, strict=True):
        if d is None:
            o = broadcast_to(o, (n, *shape_of(o)))
        elif d != 0:
            o = moveaxis(o, d, 0)
        res.append(o)
    return tree_unflatten(box[0], res)


def apply_along_axis(
    func1d: Callable[..., Any], axis: int, arr: ArrayLike, *args: Any, **kwargs: Any
) -> Array:
    """``func1d`` applied to every 1-D slice along ``axis`` (through
    ``vmap``, so traceable and differentiable); its output dimensions
    replace ``axis``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.apply_along_axis(lambda r: r[0] + r[-1], 1, np.arange(6.0).reshape(2, 3))
    array([2., 8.])
    """
    x = asarray_arg(arr)
    nd = len(shape_of(x))
    ax = normalize_axis(axis, nd)
    xm = moveaxis(x, ax, -1)
    lead = tuple(shape_of(xm)[:-1])
    p = math.prod(lead)
    if p == 0:
        raise ValueError("apply_along_axis: cannot apply when any iteration dimensions are 0")
    flat = reshape(xm, (p, shape_of(xm)[-1]))
    out = _map_leading(lambda r: asarray_arg(func1d(r, *args, **kwargs)), [flat])
    oshape = tuple(shape_of(out)[1:])
    out = reshape(out, lead + oshape)
    k = len(oshape)
    if k == 0:
        return out
    src = list(range(len(lead), len(lead) + k))
    dst = list(range(ax, ax + k))
    return moveaxis(out, src, dst)


def apply_over_axes(
    func: Callable[[Any, int], Any], a: ArrayLike, axes: int | Sequence[int]
) -> Array:
    """Apply ``func(a, axis)`` for each axis in turn, keeping the number of
    dimensions (a reduced axis is put back with length 1).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.apply_over_axes(fnp.sum, np.ones((2, 3, 4)), [0, 2])
    array([[[8.],
            [8.],
            [8.]]])
    """
    val = asarray_arg(a)
    n = len(shape_of(val))
    for ax in [axes] if isinstance(axes, int) else list(axes):
        ax = ax + n if ax < 0 else ax
        res = asarray_arg(func(val, ax))
        if len(shape_of(res)) == n:
            val = res
        elif len(shape_of(res)) == n - 1:
            val = sh.expand_dims(res, ax)
        else:
            raise ValueError(
                "apply_over_axes: function is not returning an array of the correct shape"
            )
    return val


def fromfunction(
    function: Callable[..., Any], shape: Sequence[int], *, dtype: DTypeLike = float, **kwargs: Any
) -> Any:
    """``function(*coordinate_grids)`` for an array of ``shape``.

    >>> import funcdiff.numpy as fnp
    >>> fnp.fromfunction(lambda i, j: i + 10 * j, (2, 2))
    array([[ 0., 10.],
           [ 1., 11.]])
    """
    grids = indices(shape, dtype=dtype)
    return function(*[grids[k] for k in range(len(shape))], **kwargs)


# ---------------------------------------------------------------------------
# windows (constants of their length)
# ---------------------------------------------------------------------------


def bartlett(M: int) -> Array:
    """The Bartlett (triangular) window of ``M`` points.

    >>> import funcdiff.numpy as fnp
    >>> fnp.bartlett(5)
    array([0. , 0.5, 1. , 0.5, 0. ])
    """
    return constant(np.bartlett(operator.index(M)))


def blackman(M: int) -> Array:
    """The Blackman window of ``M`` points.

    >>> import funcdiff.numpy as fnp
    >>> fnp.blackman(3).round(6)
    array([-0.,  1., -0.])
    """
    return constant(np.blackman(operator.index(M)))


def hamming(M: int) -> Array:
    """The Hamming window of ``M`` points.

    >>> import funcdiff.numpy as fnp
    >>> fnp.hamming(3)
    array([0.08, 1.  , 0.08])
    """
    return constant(np.hamming(operator.index(M)))


def hanning(M: int) -> Array:
    """The Hann window of ``M`` points.

    >>> import funcdiff.numpy as fnp
    >>> fnp.hanning(3)
    array([0., 1., 0.])
    """
    return constant(np.hanning(operator.index(M)))


def kaiser(M: int, beta: ArrayLike) -> Array:
    """The Kaiser window of ``M`` points with shape parameter ``beta``
    (differentiable in ``beta``).

    >>> import funcdiff.numpy as fnp
    >>> fnp.kaiser(3, 5.0).round(6)
    array([0.036711, 1.      , 0.036711])
    """
    from funcdiff.numpy._misc import i0

    m = operator.index(M)
    if m <= 0:
        return constant(np.zeros(0))
    if m == 1:
        return constant(np.ones(1))
    alpha = (m - 1) / 2.0
    r = np.sqrt(np.maximum(1.0 - ((np.arange(m) - alpha) / alpha) ** 2, 0.0))
    b = ew.convert(asarray_arg(beta), np.float64)
    return ew.div(i0(ew.mul(b, r)), i0(b))


# ---------------------------------------------------------------------------
# vector products (numpy 2 gufuncs)
# ---------------------------------------------------------------------------


def matvec(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """Matrix-vector product over stacks: ``(..., m, n) x (..., n) -> (..., m)``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.matvec(np.eye(2), np.array([1.0, 2.0]))
    array([1., 2.])
    """
    a, b = asarray_arg(x1), asarray_arg(x2)
    r = matmul(a, sh.expand_dims(b, len(shape_of(b))))
    return sh.reshape(r, tuple(shape_of(r)[:-1]))


def vecmat(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """Vector-matrix product over stacks, conjugating the vector:
    ``(..., m) x (..., m, n) -> (..., n)``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.vecmat(np.array([1.0, 2.0]), np.eye(2))
    array([1., 2.])
    """
    a, b = asarray_arg(x1), asarray_arg(x2)
    a = conj(a) if dtype_of(a).kind == "c" else a
    r = matmul(sh.expand_dims(a, len(shape_of(a)) - 1), b)
    s = tuple(shape_of(r))
    return sh.reshape(r, s[:-2] + s[-1:])


def vecdot(x1: ArrayLike, x2: ArrayLike, /, *, axis: int = -1) -> Array:
    """Vector dot product along ``axis`` over broadcast stacks,
    conjugating ``x1``: ``sum(conj(x1) * x2, axis)``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.vecdot(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 1.0]))
    array([3., 7.])
    """
    a, b = promote(x1, x2)
    a = conj(a) if dtype_of(a).kind == "c" else a
    na, nb = shape_of(a), shape_of(b)
    if not na or not nb or na[axis] != nb[axis]:
        raise ValueError(f"vecdot: the shapes {na} and {nb} do not match along axis {axis}")
    return _sum(ew.mul(a, b), axis=axis)


def einsum_path(subscripts: Any, *operands: Any, optimize: Any = "greedy") -> tuple[list[Any], str]:
    """numpy's contraction-order planner for ``einsum`` (only the shapes
    matter, so traced operands are fine).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.einsum_path("ij,jk->ik", np.ones((2, 3)), np.ones((3, 4)))[0]
    ['einsum_path', (0, 1)]
    """
    shaped = [
        np.broadcast_to(np.zeros((), dtype_of(o)), shape_of(o)) if isinstance(o, Tracer) else o
        for o in operands
    ]
    return np.einsum_path(subscripts, *shaped, optimize=optimize)


# ---------------------------------------------------------------------------
# vectorize
# ---------------------------------------------------------------------------

_DIMS = r"\((?:\w+(?:,\s*\w+)*)?\)"


def _parse_signature(sig: str) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    sig = sig.replace(" ", "")
    if not re.fullmatch(rf"{_DIMS}(?:,{_DIMS})*->{_DIMS}(?:,{_DIMS})*", sig):
        raise ValueError(f"vectorize: not a valid gufunc signature: {sig!r}")
    ins, outs = sig.split("->")

    def groups(part: str) -> list[tuple[str, ...]]:
        return [tuple(d for d in g.split(",") if d) for g in re.findall(r"\(([^)]*)\)", part)]

    return groups(ins), groups(outs)


class vectorize:
    """Vectorize a function of scalars (or of core arrays given by a gufunc
    ``signature`` such as ``"(n),(n)->()"``) over the broadcast leading
    axes of its arguments, through ``vmap``: traceable and differentiable.
    A function with Python control flow on the values cannot be traced; on
    concrete inputs it then runs as a Python loop (still differentiable).
    ``excluded`` names positions or keywords passed through unchanged.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> f = fnp.vectorize(lambda a, b: a - b if a > b else a + b)
    >>> f(np.array([1.0, 4.0]), 2.0)
    array([3., 2.])
    """

    def __init__(
        self,
        pyfunc: Callable[..., Any],
        otypes: Any = None,
        doc: str | None = None,
        excluded: Any = None,
        cache: bool = False,
        signature: str | None = None,
    ) -> None:
        self.pyfunc = pyfunc
        self.otypes = otypes
        self.excluded = set(excluded or ())
        self.signature = signature
        self.__doc__ = doc if doc is not None else pyfunc.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        pos = [i for i in range(len(args)) if i not in self.excluded]
        keys = [k for k in kwargs if k not in self.excluded]
        vals = [asarray_arg(args[i]) for i in pos] + [asarray_arg(kwargs[k]) for k in keys]
        if self.signature is None:
            core_in: list[tuple[str, ...]] = [()] * len(vals)
        else:
            core_in = _parse_signature(self.signature)[0]
            if len(core_in) != len(vals):
                raise TypeError(
                    f"vectorize: signature {self.signature!r} has {len(core_in)} inputs, "
                    f"got {len(vals)} vectorized arguments"
                )
        loops = []
        for v, core in zip(vals, core_in, strict=True):
            nd = len(shape_of(v))
            if nd < len(core):
                raise ValueError(
                    f"vectorize: an input has {nd} dimensions, fewer than its core dims {core}"
                )
            loops.append(tuple(shape_of(v))[: nd - len(core)])
        loop = tuple(np.broadcast_shapes(*loops)) if loops else ()
        p = math.prod(loop)
        flat = []
        for v, core in zip(vals, core_in, strict=True):
            cshape = tuple(shape_of(v))[len(shape_of(v)) - len(core) :]
            flat.append(reshape(broadcast_to(v, loop + cshape), (p, *cshape)))

        def call(*xs: Any) -> Any:
            a = list(args)
            kw = dict(kwargs)
            for i, x in zip(pos, xs[: len(pos)], strict=True):
                a[i] = x
            for k, x in zip(keys, xs[len(pos) :], strict=True):
                kw[k] = x
            out = self.pyfunc(*a, **kw)
            if isinstance(out, tuple):
                return tuple(asarray_arg(o) for o in out)
            return asarray_arg(out)

        if not vals:
            return call()
        if p == 0:
            raise ValueError("vectorize: cannot call a vectorized function on empty input")
        try:
            out = _map_leading(call, flat)
        except ConcretizationError:
            # Python control flow on the values: with concrete inputs, loop
            if any(concrete_or_none(v) is None for v in flat):
                raise
            items = [call(*[getitem(v, i) for v in flat]) for i in range(p)]
            if isinstance(items[0], tuple):
                out = tuple(stack([it[k] for it in items]) for k in range(len(items[0])))
            else:
                out = stack(items)
        outs = list(out) if isinstance(out, tuple) else [out]
        res = []
        for k, o in enumerate(outs):
            r = reshape(o, loop + tuple(shape_of(o))[1:])
            if self.otypes:
                r = ew.convert(r, np.dtype(self.otypes[k]))
            res.append(r)
        return tuple(res) if isinstance(out, tuple) else res[0]


__all__ = [
    "append",
    "apply_along_axis",
    "apply_over_axes",
    "bartlett",
    "blackman",
    "block",
    "choose",
    "compress",
    "delete",
    "diag_indices",
    "diag_indices_from",
    "dsplit",
    "einsum_path",
    "extract",
    "fill_diagonal",
    "fromfunction",
    "hamming",
    "hanning",
    "hsplit",
    "indices",
    "insert",
    "ix_",
    "kaiser",
    "mask_indices",
    "matvec",
    "piecewise",
    "place",
    "put",
    "put_along_axis",
    "ravel_multi_index",
    "resize",
    "rollaxis",
    "select",
    "tril_indices",
    "tril_indices_from",
    "triu_indices",
    "triu_indices_from",
    "unravel_index",
    "unstack",
    "vecdot",
    "vecmat",
    "vectorize",
    "vsplit",
]

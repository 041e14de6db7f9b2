"""Unique values, set operations, membership and sort variants.

``unique`` and its array-API forms sort, mark the first element of each run
of equal values and scatter those into the output. The number of unique
values fixes the output shape, so it needs a concrete array, or, under
``jit``/``vmap``, a static ``size=`` (JAX's convention: extra slots get
``fill_value``, default the smallest value). The values are gathered from
the input, so their derivative is the composition's (each unique value
follows the first of its equal entries in sorted order); indices, inverse
and counts are integers. ``intersect1d``, ``union1d``, ``setdiff1d`` and
``setxor1d`` need concrete inputs and return constants (zero derivative).
``partition``/``argpartition`` return a full sort, which is one valid
partition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from funcdiff._compat import NUMPY2
from funcdiff.api_util import concrete_or_none, concrete_or_raise
from funcdiff.core.typing import ArrayLike
from funcdiff.errors import ConcretizationError
from funcdiff.numpy._core import Array, asarray_arg, constant, dtype_of, promote, shape_of
from funcdiff.numpy._indexing import _update, getitem
from funcdiff.numpy._reductions import any as _any
from funcdiff.numpy._reductions import min as _min
from funcdiff.numpy._shape import argsort, concatenate, ravel, sort, take_along_axis
from funcdiff.numpy._ufuncs import isnan, logical_not
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import reductions as red
from funcdiff.primitives import shape as sh

_I64 = np.dtype(np.int64)


class UniqueAllResult(NamedTuple):
    values: Array
    indices: Array
    inverse_indices: Array
    counts: Array


class UniqueCountsResult(NamedTuple):
    values: Array
    counts: Array


class UniqueInverseResult(NamedTuple):
    values: Array
    inverse_indices: Array


def _unique_core(
    name: str, ar: Any, size: int | None, fill_value: Any, equal_nan: bool
) -> tuple[Array, Array, Array, Array]:
    """(values, first indices, inverse (flat), counts) of the flattened ``ar``."""
    x = ravel(asarray_arg(ar))
    n = shape_of(x)[0]
    if n == 0:
        k = 0 if size is None else size
        z = np.zeros(k, _I64)
        vals = np.full(k, 0 if fill_value is None else fill_value, dtype_of(x))
        return vals, z, np.zeros(0, _I64), z
    xc = ew.stop_gradient(x)
    perm = ix.argsort(xc, 0)
    xs = ix.gather(x, perm, 0)
    sc = ix.gather(xc, perm, 0)
    hi, lo = ix.slice_axis(sc, 1, n, 0), ix.slice_axis(sc, 0, n - 1, 0)
    neq = ew.ne(hi, lo)
    if dtype_of(x).kind in "fc" and equal_nan:
        neq = ew.logical_and(neq, logical_not(ew.logical_and(isnan(hi), isnan(lo))))
    first = concatenate([np.ones(1, np.bool_), neq])
    pos = ew.sub(red.cumsum(ew.convert(first, _I64), 0), _I64.type(1))
    if size is None:
        c = concrete_or_none(first)
        if c is None:
            raise ConcretizationError(
                f"{name}: the number of unique values fixes the output shape, so {name} needs "
                "a concrete array, but got an abstract traced array (under jit, make_jaxpr or "
                f"vmap).\nWhat to do: pass a static size= (and optionally fill_value=) to "
                f"{name}, or call it outside the transformed function."
            )
        k = int(c.sum())
    else:
        k = int(size)
        if k < 1:
            raise ValueError(f"{name}: size must be a positive integer, got {size}")
    inside = ew.lt(pos, _I64.type(k))
    tgt = ew.select(ew.logical_and(first, inside), pos, _I64.type(k))
    fill = _min(x) if fill_value is None else ew.convert(asarray_arg(fill_value), dtype_of(x))
    base = ew.add(sh.broadcast_to(ew.convert(fill, dtype_of(x)), (k + 1,)), dtype_of(x).type(0))
    vals = ix.slice_axis(_update(base, tgt, xs, "set"), 0, k, 0)
    idx = ix.slice_axis(_update(np.zeros(k + 1, _I64), tgt, perm, "set"), 0, k, 0)
    tgt_all = ew.select(inside, pos, _I64.type(k))
    counts = ix.slice_axis(
        _update(np.zeros(k + 1, _I64), tgt_all, np.ones(n, _I64), "add"), 0, k, 0
    )
    inverse = _update(np.zeros(n, _I64), perm, pos, "set")
    return vals, idx, inverse, counts


def unique(
    ar: ArrayLike,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: int | None = None,
    *,
    equal_nan: bool = True,
    sorted: bool = True,  # noqa: A002
    size: int | None = None,
    fill_value: ArrayLike | None = None,
) -> Any:
    """The sorted unique values (of the flattened array), optionally with
    the first index of each, the inverse (``values[inverse]`` rebuilds the
    array) and the counts. Needs a concrete array unless ``size=`` is given
    (JAX's extension); ``axis`` needs a concrete array.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.unique(np.array([3, 1, 3, 2, 1]), return_counts=True)
    (array([1, 2, 3]), array([2, 1, 2]))
    """
    if axis is not None:
        c = concrete_or_raise(ar, "unique with axis=")
        return np.unique(  # type: ignore[call-overload]
            c,
            return_index=return_index,
            return_inverse=return_inverse,
            return_counts=return_counts,
            axis=axis,
        )
    shape = shape_of(asarray_arg(ar))
    vals, idx, inv, counts = _unique_core("unique", ar, size, fill_value, equal_nan)
    extra: list[Any] = []
    if return_index:
        extra.append(idx)
    if return_inverse:
        # numpy 2 gives the inverse the input's shape (numpy 1: flat)
        extra.append(sh.reshape(inv, shape) if NUMPY2 else inv)
    if return_counts:
        extra.append(counts)
    return (vals, *extra) if extra else vals


def unique_values(x: ArrayLike, /, *, size: int | None = None, fill_value: Any = None) -> Array:
    """The array API's ``unique_values``: sorted unique values.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.unique_values(np.array([2.0, 1.0, 2.0]))
    array([1., 2.])
    """
    return _unique_core("unique_values", x, size, fill_value, False)[0]


def unique_counts(
    x: ArrayLike, /, *, size: int | None = None, fill_value: Any = None
) -> UniqueCountsResult:
    """The array API's ``unique_counts``: ``(values, counts)``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.unique_counts(np.array([2, 1, 2])).counts
    array([1, 2])
    """
    v, _, _, c = _unique_core("unique_counts", x, size, fill_value, False)
    return UniqueCountsResult(v, c)


def unique_inverse(
    x: ArrayLike, /, *, size: int | None = None, fill_value: Any = None
) -> UniqueInverseResult:
    """The array API's ``unique_inverse``: ``(values, inverse_indices)``,
    the inverse with ``x``'s shape.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.unique_inverse(np.array([2, 1, 2])).inverse_indices
    array([1, 0, 1])
    """
    v, _, inv, _ = _unique_core("unique_inverse", x, size, fill_value, False)
    return UniqueInverseResult(v, sh.reshape(inv, shape_of(asarray_arg(x))))


def unique_all(
    x: ArrayLike, /, *, size: int | None = None, fill_value: Any = None
) -> UniqueAllResult:
    """The array API's ``unique_all``: ``(values, indices, inverse_indices, counts)``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.unique_all(np.array([2, 1, 2])).indices
    array([1, 0])
    """
    v, i, inv, c = _unique_core("unique_all", x, size, fill_value, False)
    return UniqueAllResult(v, i, sh.reshape(inv, shape_of(asarray_arg(x))), c)


# ---------------------------------------------------------------------------
# set operations (concrete)
# ---------------------------------------------------------------------------


def _concrete(a: Any, name: str) -> np.ndarray:
    return np.asarray(concrete_or_raise(a, f"{name} (its output shape depends on the values)"))


def intersect1d(
    ar1: ArrayLike, ar2: ArrayLike, assume_unique: bool = False, return_indices: bool = False
) -> Any:
    """Sorted values in both arrays (concrete inputs; zero derivative).

    >>> import funcdiff.numpy as fnp
    >>> fnp.intersect1d([1, 3, 4, 3], [3, 1, 2, 1])
    array([1, 3])
    """
    r = np.intersect1d(  # type: ignore[call-overload]
        _concrete(ar1, "intersect1d"),
        _concrete(ar2, "intersect1d"),
        assume_unique=assume_unique,
        return_indices=return_indices,
    )
    return tuple(constant(np.asarray(v)) for v in r) if return_indices else constant(r)


def union1d(ar1: ArrayLike, ar2: ArrayLike) -> Array:
    """Sorted values in either array (concrete inputs; zero derivative).

    >>> import funcdiff.numpy as fnp
    >>> fnp.union1d([-1, 0, 1], [-2, 0, 2])
    array([-2, -1,  0,  1,  2])
    """
    return constant(np.union1d(_concrete(ar1, "union1d"), _concrete(ar2, "union1d")))


def setdiff1d(ar1: ArrayLike, ar2: ArrayLike, assume_unique: bool = False) -> Array:
    """Sorted unique values of ``ar1`` not in ``ar2`` (concrete inputs).

    >>> import funcdiff.numpy as fnp
    >>> fnp.setdiff1d([1, 2, 3, 2, 4, 1], [3, 4, 5, 6])
    array([1, 2])
    """
    return constant(
        np.setdiff1d(
            _concrete(ar1, "setdiff1d"), _concrete(ar2, "setdiff1d"), assume_unique=assume_unique
        )
    )


def setxor1d(ar1: ArrayLike, ar2: ArrayLike, assume_unique: bool = False) -> Array:
    """Sorted values in exactly one of the arrays (concrete inputs).

    >>> import funcdiff.numpy as fnp
    >>> fnp.setxor1d([1, 2, 3, 2, 4], [2, 3, 5, 7, 5])
    array([1, 4, 5, 7])
    """
    return constant(
        np.setxor1d(
            _concrete(ar1, "setxor1d"), _concrete(ar2, "setxor1d"), assume_unique=assume_unique
        )
    )


def isin(
    element: ArrayLike,
    test_elements: ArrayLike,
    assume_unique: bool = False,
    invert: bool = False,
    *,
    kind: str | None = None,
) -> Array:
    """True where ``element`` is in ``test_elements`` (traceable: one
    broadcast comparison; bool, zero derivative).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.isin(np.array([[1, 2], [3, 4]]), [2, 4])
    array([[False,  True],
           [False,  True]])
    """
    e = asarray_arg(element)
    t = ravel(asarray_arg(test_elements))
    e, t = promote(ew.stop_gradient(e), ew.stop_gradient(t))
    shp = shape_of(e)
    m = shape_of(t)[0]
    if m == 0:
        r: Any = np.zeros(shp, np.bool_)
    else:
        eq = ew.eq(sh.reshape(e, (*shp, 1)), t)
        r = _any(eq, axis=-1)
    return logical_not(r) if invert else r


def trim_zeros(filt: ArrayLike, trim: str = "fb") -> Array:
    """Drop leading ('f') and/or trailing ('b') zeros of a 1-D array. The
    cut points need concrete values; the kept part is a slice of the input
    (differentiable).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.trim_zeros(np.array([0.0, 0.0, 1.0, 2.0, 0.0]))
    array([1., 2.])
    """
    x = asarray_arg(filt)
    if len(shape_of(x)) != 1:
        raise ValueError(f"trim_zeros: filt must be 1-D, got shape {shape_of(x)}")
    c = _concrete(x, "trim_zeros")
    nz = np.flatnonzero(c)
    t = trim.lower()
    if nz.size == 0:
        return getitem(x, slice(0, 0))
    start = int(nz[0]) if "f" in t else 0
    stop = int(nz[-1]) + 1 if "b" in t else c.shape[0]
    return getitem(x, slice(start, stop))


# ---------------------------------------------------------------------------
# sort variants
# ---------------------------------------------------------------------------


def lexsort(keys: ArrayLike | Sequence[ArrayLike], axis: int = -1) -> Array:
    """Indirect stable sort by several keys, the last key primary (int64,
    zero derivative).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.lexsort((np.array([9, 4, 0, 4, 0]), np.array([1, 5, 1, 4, 3])))
    array([2, 0, 4, 3, 1])
    """
    if isinstance(keys, (list, tuple)):
        ks = [asarray_arg(k) for k in keys]
    else:
        kv = asarray_arg(keys)
        if len(shape_of(kv)) == 0:
            raise TypeError("lexsort: need a sequence of keys with len > 0")
        ks = [getitem(kv, i) for i in range(shape_of(kv)[0])]
    if not ks:
        raise TypeError("lexsort: need a sequence of keys with len > 0")
    ks = [ew.stop_gradient(k) for k in ks]
    shp = np.broadcast_shapes(*[shape_of(k) for k in ks])
    ks = [sh.broadcast_to(k, shp) for k in ks]
    if len(shp) == 0:
        return np.zeros(1, _I64)
    perm = argsort(ks[0], axis=axis)
    for k in ks[1:]:
        perm = take_along_axis(perm, argsort(take_along_axis(k, perm, axis), axis=axis), axis)
    return perm


def _check_kth(name: str, kth: Any, n: int) -> None:
    for k in np.atleast_1d(np.asarray(kth)).tolist():
        if not -n <= int(k) < n:
            raise ValueError(f"{name}: kth(={k}) out of bounds ({n})")


def partition(a: ArrayLike, kth: int | Sequence[int], axis: int = -1) -> Array:
    """A partition of ``a`` around ``kth``: here the full sort along
    ``axis`` (one valid answer; numpy's own order may differ off ``kth``).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.partition(np.array([3.0, 1.0, 2.0]), 1)
    array([1., 2., 3.])
    """
    x = asarray_arg(a)
    _check_kth("partition", kth, shape_of(x)[axis] if shape_of(x) else 1)
    return sort(x, axis=axis)


def argpartition(a: ArrayLike, kth: int | Sequence[int], axis: int = -1) -> Array:
    """Indices of a partition of ``a`` around ``kth``: here a full
    ``argsort`` (one valid answer).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.argpartition(np.array([3.0, 1.0, 2.0]), 1)
    array([1, 2, 0])
    """
    x = asarray_arg(a)
    _check_kth("argpartition", kth, shape_of(x)[axis] if shape_of(x) else 1)
    return argsort(x, axis=axis)


def sort_complex(a: ArrayLike) -> Array:
    """Sort by real part, then imaginary part, along the last axis; the
    result is complex (complex64 for 8- and 16-bit integers, as numpy).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.sort_complex(np.array([1 + 2j, 1 - 1j, 0 + 5j]))
    array([0.+5.j, 1.-1.j, 1.+2.j])
    """
    x = asarray_arg(a)
    dt = dtype_of(x)
    if dt.kind != "c":
        small = dt.kind in "iu" and dt.itemsize <= 2  # numpy's rule
        x = ew.convert(x, np.complex64 if small else np.complex128)
    if len(shape_of(x)) == 0 or shape_of(x)[-1] <= 1:
        return x
    perm = lexsort((ew.imag(x), ew.real(x)), axis=-1)
    return take_along_axis(x, perm, -1)


__all__ = [
    "argpartition",
    "intersect1d",
    "isin",
    "lexsort",
    "partition",
    "setdiff1d",
    "setxor1d",
    "sort_complex",
    "trim_zeros",
    "union1d",
    "unique",
    "unique_all",
    "unique_counts",
    "unique_inverse",
    "unique_values",
]

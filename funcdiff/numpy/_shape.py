"""Shape functions (reshape, transpose, concatenate, stack, ...). STUB: extended by the shape helper."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcdiff.numpy._core import Array, asarray_arg, normalize_axis, promote, shape_of
from funcdiff.primitives import indexing as I
from funcdiff.primitives import shape as S


def _slice_axis(x: Any, start: int, stop: int, axis: int) -> Array:
    return I.slice_axis(asarray_arg(x), start, stop, axis)


def reshape(a: Any, newshape: Any, order: str = "C") -> Array:
    a = asarray_arg(a)
    if isinstance(newshape, int):
        newshape = (newshape,)
    newshape = tuple(int(s) for s in newshape)
    size = int(np.prod(shape_of(a), dtype=np.int64))
    if -1 in newshape:
        known = int(np.prod([s for s in newshape if s != -1], dtype=np.int64))
        newshape = tuple(size // known if s == -1 else s for s in newshape)
    return S.reshape(a, newshape)


def transpose(a: Any, axes: Any = None) -> Array:
    a = asarray_arg(a)
    nd = len(shape_of(a))
    perm = tuple(reversed(range(nd))) if axes is None else tuple(normalize_axis(int(i), nd) for i in axes)
    return S.transpose(a, perm)


def concatenate(arrays: Sequence[Any], axis: int = 0) -> Array:
    xs = promote(*arrays)
    nd = len(shape_of(xs[0]))
    return I.concatenate(xs, normalize_axis(axis, nd))


def stack(arrays: Sequence[Any], axis: int = 0) -> Array:
    xs = promote(*arrays)
    nd = len(shape_of(xs[0])) + 1
    ax = normalize_axis(axis, nd)
    return I.concatenate([S.expand_dims(asarray_arg(x), ax) for x in xs], ax)


__all__ = ["concatenate", "reshape", "stack", "transpose"]

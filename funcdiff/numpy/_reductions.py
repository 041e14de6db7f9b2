"""Reductions. STUB: extended by the reductions helper."""

from __future__ import annotations

from typing import Any

from funcdiff.numpy._core import Array, asarray_arg, normalize_axes, shape_of
from funcdiff.primitives import shape as S


def sum(a: Any, axis: Any = None, keepdims: bool = False) -> Array:  # noqa: A001
    a = asarray_arg(a)
    shape = shape_of(a)
    axes = normalize_axes(axis, len(shape))
    out = S.reduce_sum(a, axes)
    if keepdims:
        out = S.reshape(out, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return out


__all__ = ["sum"]

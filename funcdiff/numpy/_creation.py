"""Array creation. STUB."""

from __future__ import annotations

from typing import Any

from funcdiff.numpy._core import Array, asarray_arg


def asarray(a: Any, dtype: Any = None) -> Array:
    return asarray_arg(a, dtype)


array = asarray

__all__ = ["array", "asarray"]

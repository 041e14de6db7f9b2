"""Products: dot, matmul, einsum, ... STUB."""

from __future__ import annotations

from typing import Any

from funcdiff.numpy._core import Array, promote, shape_of
from funcdiff.primitives.linalg import dot_general


def matmul(a: Any, b: Any) -> Array:
    a, b = promote(a, b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    return dot_general(a, b, (((na - 1,), (max(nb - 2, 0),)), ((), ())))


def dot(a: Any, b: Any) -> Array:
    return matmul(a, b)


__all__ = ["dot", "matmul"]

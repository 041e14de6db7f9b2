"""numpy 2's array-API names in ``numpy.linalg`` (cross, diagonal,
matrix_norm, matrix_transpose, outer, tensordot, trace, vecdot, vector_norm):
values equal numpy's (numpy 2's own functions, or their definitions on numpy
1.x), derivatives equal central differences, jit equals eager, vmap equals a
loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy.linalg as LA

RNG = np.random.default_rng(3)
A = RNG.normal(size=(2, 3, 3))
V = RNG.normal(size=(4, 3))
W = RNG.normal(size=3)


def _np(name: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    return getattr(np.linalg, name, fallback)


CASES: list[tuple[str, Callable[..., Any], Callable[..., Any], tuple[Any, ...]]] = [
    ("cross", LA.cross, _np("cross", np.cross), (V, np.roll(V, 1, axis=1))),
    ("diagonal", LA.diagonal, _np("diagonal", lambda x: np.diagonal(x, axis1=-2, axis2=-1)), (A,)),
    (
        "matrix_transpose",
        LA.matrix_transpose,
        _np("matrix_transpose", lambda x: np.swapaxes(x, -1, -2)),
        (A,),
    ),
    ("outer", LA.outer, _np("outer", np.outer), (W, W[::-1])),
    ("tensordot", LA.tensordot, _np("tensordot", np.tensordot), (A[0], A[1])),
    ("trace", LA.trace, _np("trace", lambda x: np.trace(x, axis1=-2, axis2=-1)), (A,)),
    ("vecdot", LA.vecdot, _np("vecdot", lambda a, b: np.sum(a * b, axis=-1)), (V, W)),
    ("vector_norm", LA.vector_norm, _np("vector_norm", lambda x: np.linalg.norm(x.ravel())), (V,)),
    (
        "matrix_norm",
        LA.matrix_norm,
        _np("matrix_norm", lambda x: np.linalg.norm(x, axis=(-2, -1))),
        (A,),
    ),
]


@pytest.mark.parametrize(("name", "ours", "ref", "args"), CASES, ids=[c[0] for c in CASES])
def test_values_jit_and_gradients(
    name: str, ours: Callable[..., Any], ref: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    np.testing.assert_allclose(ours(*args), ref(*args), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(fd.jit(ours)(*args), ours(*args), rtol=1e-14, atol=1e-14)

    def loss(x: Any) -> Any:
        out = ours(x, *args[1:])
        return (out * out).sum() if np.ndim(out) else out * out

    x0 = args[0]
    g = fd.grad(loss)(x0)
    h = 1e-6
    num = np.zeros_like(x0)
    for k in np.ndindex(x0.shape):
        e = np.zeros_like(x0)
        e[k] = h
        num[k] = (float(loss(x0 + e)) - float(loss(x0 - e))) / (2 * h)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("ord", [2, 1, np.inf, -np.inf, 0, 3.5])
def test_vector_norm_orders_axes_and_keepdims(ord: float) -> None:  # noqa: A002
    for axis in (None, 0, 1, (0, 1)):
        got = LA.vector_norm(V, axis=axis, ord=ord, keepdims=True)
        if isinstance(axis, int):
            want = np.linalg.norm(V, ord=ord, axis=axis, keepdims=True)
        else:  # all the elements, as one vector
            want = np.linalg.norm(V.ravel(), ord=ord).reshape(1, 1)
        np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_matrix_norm_orders_and_vmap(ord: Any) -> None:  # noqa: A002
    want = np.linalg.norm(A, ord=ord, axis=(-2, -1))
    np.testing.assert_allclose(LA.matrix_norm(A, ord=ord), want, rtol=1e-12)
    looped = np.stack([LA.matrix_norm(a, ord=ord) for a in A])
    np.testing.assert_allclose(fd.vmap(lambda a: LA.matrix_norm(a, ord=ord))(A), looped)


def test_errors_name_the_argument() -> None:
    with pytest.raises(fd.ShapeError, match="x1 must have 3 elements"):
        LA.cross(np.ones(2), np.ones(2))
    with pytest.raises(fd.ShapeError, match="x2 must be 1-D"):
        LA.outer(np.ones(2), np.ones((2, 2)))
    with pytest.raises(fd.ShapeError, match="at least 2 dimensions"):
        LA.matrix_norm(np.ones(3))

"""Products and diagonals (funcdiff.numpy._linear): values against numpy on
many shapes, derivatives against finite differences in both modes and to
second order, hessians against closed forms, vmap against loops, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.checking import check_grads
from funcdiff.errors import ShapeError


def _x(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed + 7 * len(shape) + sum(shape)).normal(size=shape)


def _same(got: Any, want: Any, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    got_a, want_a = np.asarray(got), np.asarray(want)
    assert got_a.shape == want_a.shape, (got_a.shape, want_a.shape)
    assert got_a.dtype == want_a.dtype, (got_a.dtype, want_a.dtype)
    rtol, atol = _dtype_tol(want_a.dtype, rtol, atol)
    np.testing.assert_allclose(got_a, want_a, rtol=rtol, atol=atol)


def _dtype_tol(dtype: np.dtype[Any], rtol: float, atol: float) -> tuple[float, float]:
    """Tolerances follow the dtype: below float64, no tighter than a few ulps."""
    if dtype.kind in "fc" and np.finfo(dtype).eps > np.finfo(np.float64).eps:
        eps = float(np.finfo(dtype).eps)
        return max(rtol, 4 * eps), max(atol, 10 * eps)
    return rtol, atol


def _vmap_vs_loop(f: Callable[..., Any], batched: list[np.ndarray], in_axes: Any = 0) -> None:
    axes = in_axes if isinstance(in_axes, (tuple, list)) else [in_axes] * len(batched)
    n = next(np.shape(b)[a] for b, a in zip(batched, axes, strict=True) if a is not None)
    got = fd.vmap(f, in_axes=tuple(axes))(*batched)
    want = np.stack(
        [
            np.asarray(
                f(
                    *[
                        b if a is None else np.take(b, i, axis=a)
                        for b, a in zip(batched, axes, strict=True)
                    ]
                )
            )
            for i in range(n)
        ]
    )
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def _prims(f: Callable[..., Any], *args: Any) -> list[str]:
    return [e.primitive.name for e in fd.make_jaxpr(f)(*args).eqns]


# ---------------------------------------------------------------------------
# matmul
# ---------------------------------------------------------------------------

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((1, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (1, 4, 5)),
    ((2, 1, 3, 4), (1, 6, 4, 2)),
    ((4,), (2, 3, 4, 5)),
    ((2, 3, 3, 4), (4,)),
    ((1, 1, 4), (4, 1)),
    ((0, 3), (3, 2)),
    ((3, 0), (0, 2)),
]


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES)
def test_matmul_values(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    a, b = _x(*sa), _x(*sb, seed=1)
    _same(fnp.matmul(a, b), np.matmul(a, b))


def test_matmul_dtypes_and_operator() -> None:
    a = np.arange(6).reshape(2, 3)
    b = np.arange(3)
    _same(fnp.matmul(a, b), a @ b)
    a32 = _x(2, 3).astype(np.float32)
    _same(
        fnp.matmul(a32, _x(3, 2).astype(np.float32)), a32 @ _x(3, 2).astype(np.float32), rtol=1e-6
    )
    _same(fnp.matmul(a32, 2 * np.ones((3,), np.float64)), a32 @ (2 * np.ones(3)))
    _same(fnp.matmul([[1.0, 2.0]], [[3.0], [4.0]]), np.array([[11.0]]))
    # the @ operator on tracers
    g = fd.grad(lambda x: fnp.sum(x @ np.ones((3, 2)) @ np.ones(2)))(np.ones((4, 3)))
    _same(g, 2.0 * np.ones((4, 3)))
    g2 = fd.grad(lambda x: fnp.sum(np.ones((2, 4)) @ x))(np.ones((4, 3)))
    _same(g2, 2.0 * np.ones((4, 3)))


def test_matmul_records_one_dot_general() -> None:
    assert _prims(fnp.matmul, _x(3, 4), _x(4, 5)) == ["dot_general"]
    assert _prims(fnp.matmul, _x(2, 3, 4), _x(2, 4, 5)) == ["dot_general"]
    # broadcasting a size-1 batch axis needs no broadcast, only a reshape
    prims = _prims(fnp.matmul, _x(1, 3, 4), _x(2, 4, 5))
    assert "broadcast_in_dim" not in prims and "dot_general" in prims


def test_matmul_errors_name_both_shapes() -> None:
    with pytest.raises(ShapeError) as e:
        fnp.matmul(np.ones((3, 4)), np.ones((5, 2)))
    assert str(e.value) == (
        "matmul: contraction size mismatch: a has shape (3, 4), b has shape (5, 2); "
        "a.shape[-1] (4) must equal b.shape[-2] (5)"
    )
    with pytest.raises(ShapeError, match=r"\(3,\).*\(4,\).*b.shape\[0\]"):
        fnp.matmul(np.ones(3), np.ones(4))
    with pytest.raises(ShapeError, match=r"batch dimensions.*\(2, 3, 4\).*\(5, 4, 2\)"):
        fnp.matmul(np.ones((2, 3, 4)), np.ones((5, 4, 2)))
    with pytest.raises(ShapeError, match="at least 1-D"):
        fnp.matmul(2.0, np.ones(3))
    # the same messages under tracing
    with pytest.raises(ShapeError, match=r"a has shape \(3, 4\), b has shape \(5, 2\)"):
        fd.grad(lambda x: fnp.sum(fnp.matmul(x, np.ones((5, 2)))))(np.ones((3, 4)))
    # ShapeError is a ValueError, as numpy raises
    with pytest.raises(ValueError):
        fnp.matmul(np.ones((3, 4)), np.ones((5, 2)))


@pytest.mark.parametrize("sa, sb", [s for s in MATMUL_SHAPES if 0 not in s[0] + s[1]])
def test_matmul_grads(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    check_grads(fnp.matmul, (_x(*sa), _x(*sb, seed=1)), order=2)


def test_matmul_hessian_quadratic_form() -> None:
    a = _x(4, 4)
    h = fd.hessian(lambda x: x @ a @ x)(_x(4, seed=3))
    np.testing.assert_allclose(h, a + a.T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "sa, sb, in_axes",
    [
        ((5, 3, 4), (4, 2), (0, None)),
        ((3, 4), (5, 4, 2), (None, 0)),
        ((5, 3, 4), (5, 4, 2), (0, 0)),
        ((3, 5, 4), (4, 2, 5), (1, 2)),
        ((5, 4), (4, 2), (0, None)),
        ((4,), (5, 4), (None, 0)),
        ((5, 2, 3, 4), (4, 2), (0, None)),
        ((2, 3, 4), (5, 1, 4, 2), (None, 0)),
    ],
)
def test_matmul_vmap(sa: tuple[int, ...], sb: tuple[int, ...], in_axes: Any) -> None:
    _vmap_vs_loop(fnp.matmul, [_x(*sa), _x(*sb, seed=1)], in_axes)


def test_matmul_jacobians_both_modes() -> None:
    a = _x(3, 4)
    x = _x(4, 2, seed=2)
    jf = fd.jacfwd(lambda x: a @ x)(x)
    jr = fd.jacrev(lambda x: a @ x)(x)
    want = np.einsum("ij,kl->ikjl", a, np.eye(2))
    np.testing.assert_allclose(jf, want, atol=1e-12)
    np.testing.assert_allclose(jr, want, atol=1e-12)


def test_matrix_transpose() -> None:
    x = _x(2, 3, 4)
    _same(fnp.matrix_transpose(x), np.swapaxes(x, -1, -2))
    check_grads(fnp.matrix_transpose, (x,), order=1)
    with pytest.raises(ValueError, match="at least 2-D"):
        fnp.matrix_transpose(np.ones(3))


# ---------------------------------------------------------------------------
# dot, vdot, inner, outer, tensordot, kron, cross
# ---------------------------------------------------------------------------

DOT_SHAPES = [
    ((), ()),
    ((), (3,)),
    ((2, 3), ()),
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (5, 4, 6)),
    ((4,), (2, 4, 3)),
]


@pytest.mark.parametrize("sa, sb", DOT_SHAPES)
def test_dot(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    a, b = _x(*sa), _x(*sb, seed=1)
    _same(fnp.dot(a, b), np.dot(a, b))
    check_grads(fnp.dot, (a, b), order=2)


def test_dot_scalars_and_errors() -> None:
    _same(fnp.dot(2.0, np.array([1.0, 2.0])), np.array([2.0, 4.0]))
    _same(fnp.dot(np.arange(3), np.arange(3)), np.dot(np.arange(3), np.arange(3)))
    with pytest.raises(ShapeError, match=r"dot: shapes \(2, 3\) and \(4, 5\)"):
        fnp.dot(np.ones((2, 3)), np.ones((4, 5)))


def test_vdot_inner_outer() -> None:
    a, b = _x(2, 3), _x(3, 2, seed=1)
    _same(fnp.vdot(a, b), np.asarray(np.vdot(a, b)))
    check_grads(fnp.vdot, (a, b), order=2)
    with pytest.raises(ShapeError, match="vdot"):
        fnp.vdot(np.ones(3), np.ones(4))
    for sa, sb in [((3,), (3,)), ((2, 3), (4, 3)), ((2, 3, 4), (4,)), ((), (2, 3))]:
        x, y = _x(*sa), _x(*sb, seed=1)
        _same(fnp.inner(x, y), np.inner(x, y))
        check_grads(fnp.inner, (x, y), order=2)
    with pytest.raises(ShapeError, match="inner"):
        fnp.inner(np.ones((2, 3)), np.ones(4))
    for sa, sb in [((3,), (4,)), ((2, 2), (3,)), ((), (2,))]:
        x, y = _x(*sa), _x(*sb, seed=1)
        _same(fnp.outer(x, y), np.outer(x, y))
        check_grads(fnp.outer, (x, y), order=2)


@pytest.mark.parametrize(
    "sa, sb, axes",
    [
        ((3, 4, 5), (4, 5, 2), 2),
        ((3, 4), (4, 5), 1),
        ((3, 4), (5, 6), 0),
        ((3, 4, 5), (4, 3, 2), ([1, 0], [0, 1])),
        ((3, 4, 5), (5, 2), (-1, 0)),
        ((2, 3), (2, 3), ((0, 1), (0, 1))),
        ((3, 4, 5), (5, 4), ([2, 1], [0, 1])),
    ],
)
def test_tensordot(sa: tuple[int, ...], sb: tuple[int, ...], axes: Any) -> None:
    a, b = _x(*sa), _x(*sb, seed=1)
    _same(fnp.tensordot(a, b, axes), np.tensordot(a, b, axes))
    check_grads(lambda x, y: fnp.tensordot(x, y, axes), (a, b), order=2)


def test_tensordot_errors() -> None:
    with pytest.raises(ShapeError, match=r"a.shape\[1\] \(4\) must equal b.shape\[0\] \(5\)"):
        fnp.tensordot(np.ones((3, 4)), np.ones((5, 2)), axes=1)
    with pytest.raises(ValueError, match="axes"):
        fnp.tensordot(np.ones((3, 4)), np.ones((4, 2)), axes=3)


@pytest.mark.parametrize(
    "sa, sb",
    [
        ((2, 3), (3, 2)),
        ((2,), (3,)),
        ((2, 2), (3,)),
        ((3,), (2, 2)),
        ((2, 1, 2), (1, 3, 2)),
        ((), (2,)),
    ],
)
def test_kron(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    a, b = _x(*sa), _x(*sb, seed=1)
    _same(fnp.kron(a, b), np.kron(a, b))
    check_grads(fnp.kron, (a, b), order=2)


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
@pytest.mark.parametrize(
    "sa, sb, kw",
    [
        ((3,), (3,), {}),
        ((4, 3), (3,), {}),
        ((4, 3), (4, 3), {}),
        ((3, 4), (5, 3, 4), {"axisa": 0, "axisb": 1, "axisc": 0}),
        ((3, 4), (3, 4), {"axis": 0}),
        ((2, 3), (2, 3), {"axisc": 0}),
        ((4, 3), (4, 2), {}),
        ((2,), (3,), {}),
    ],
)
def test_cross(sa: tuple[int, ...], sb: tuple[int, ...], kw: dict[str, Any]) -> None:
    a, b = _x(*sa), _x(*sb, seed=1)
    _same(fnp.cross(a, b, **kw), np.cross(a, b, **kw))
    check_grads(lambda x, y: fnp.cross(x, y, **kw), (a, b), order=2)


def test_cross_2d_vectors_and_errors() -> None:
    a, b = _x(4, 2), _x(4, 2, seed=1)
    want = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    _same(fnp.cross(a, b), want)
    with pytest.raises(ValueError, match="dimension must be 2 or 3"):
        fnp.cross(np.ones(4), np.ones(3))
    _vmap_vs_loop(fnp.cross, [_x(5, 3), _x(3, seed=1)], (0, None))


# ---------------------------------------------------------------------------
# diagonal, trace, diag
# ---------------------------------------------------------------------------

DIAG_CASES = [
    ((4, 4), 0, 0, 1),
    ((4, 4), 1, 0, 1),
    ((4, 4), -2, 0, 1),
    ((3, 5), 2, 0, 1),
    ((5, 3), -1, 0, 1),
    ((3, 5), 7, 0, 1),
    ((3, 5), -4, 0, 1),
    ((2, 3, 4), 0, 1, 2),
    ((2, 3, 4), 1, 0, 2),
    ((2, 3, 4), -1, 2, 0),
    ((2, 3, 4, 5), 1, -1, 1),
    ((1, 1), 0, 0, 1),
]


@pytest.mark.parametrize("shape, k, a1, a2", DIAG_CASES)
def test_diagonal_and_trace(shape: tuple[int, ...], k: int, a1: int, a2: int) -> None:
    x = _x(*shape)
    _same(fnp.diagonal(x, k, a1, a2), np.diagonal(x, k, a1, a2))
    _same(fnp.trace(x, k, a1, a2), np.asarray(np.trace(x, k, a1, a2)))
    if np.diagonal(x, k, a1, a2).size:
        check_grads(lambda v: fnp.diagonal(v, k, a1, a2), (x,), order=2)
        check_grads(lambda v: fnp.trace(v, k, a1, a2), (x,), order=2)


def test_diagonal_is_reshape_and_strided_slice() -> None:
    prims = _prims(lambda x: fnp.diagonal(x, 1), _x(4, 5))
    assert set(prims) <= {"reshape", "slice", "transpose"} and "gather" not in prims
    g = fd.grad(lambda x: fnp.trace(x))(_x(3, 3))
    _same(g, np.eye(3))
    g = fd.grad(lambda x: fnp.sum(fnp.diagonal(x, -1) * np.array([1.0, 2.0])))(_x(3, 3))
    _same(g, np.array([[0.0, 0, 0], [1, 0, 0], [0, 2, 0]]))


def test_trace_dtypes_and_method() -> None:
    for dt in (np.bool_, np.int32, np.int64, np.float32, np.uint8):
        x = np.ones((3, 3), dt)
        _same(fnp.trace(x), np.asarray(np.trace(x)))
    _same(fnp.trace(np.ones((3, 3)), dtype=np.float32), np.asarray(np.float32(3.0)))
    # the tracer method
    g = fd.grad(lambda x: x.trace())(_x(2, 2))
    _same(g, np.eye(2))
    with pytest.raises(ValueError, match="at least 2-D"):
        fnp.diagonal(np.ones(3))
    with pytest.raises(ValueError, match="cannot be the same"):
        fnp.diagonal(np.ones((3, 3)), 0, 1, 1)


@pytest.mark.parametrize("k", [-3, -1, 0, 1, 2])
def test_diag(k: int) -> None:
    v = _x(3)
    _same(fnp.diag(v, k), np.diag(v, k))
    m = _x(3, 4)
    _same(fnp.diag(m, k), np.diag(m, k))
    check_grads(lambda x: fnp.diag(x, k), (v,), order=2)
    check_grads(lambda x: fnp.diag(x, k), (m,), order=1)
    _same(fnp.diag(np.arange(3), k), np.diag(np.arange(3), k))
    _same(fnp.diag(np.zeros(0), k), np.diag(np.zeros(0), k))


def test_diag_errors_and_vmap() -> None:
    with pytest.raises(ValueError, match="1-D or 2-D"):
        fnp.diag(np.ones((2, 2, 2)))
    _vmap_vs_loop(lambda v: fnp.diag(v, 1), [_x(4, 3)])
    _vmap_vs_loop(lambda m: fnp.diagonal(m, -1), [_x(4, 3, 3)])
    _vmap_vs_loop(lambda m: fnp.trace(m), [_x(3, 4, 4)], 2)
    _vmap_vs_loop(lambda m: fnp.diagonal(m, 1, 0, 2), [_x(3, 4, 5, 4)], 1)


# ---------------------------------------------------------------------------
# einsum
# ---------------------------------------------------------------------------

EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ij,kj->ik", [(2, 3), (4, 3)]),
    ("i,i->", [(3,), (3,)]),
    ("i,i", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ij->ji", [(2, 3)]),
    ("ij", [(2, 3)]),
    ("ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ii->", [(3, 3)]),
    ("iij->ji", [(3, 3, 2)]),
    ("iii->i", [(3, 3, 3)]),
    ("ijji->ij", [(2, 3, 3, 2)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bij,jk->bik", [(2, 3, 4), (4, 5)]),
    ("ijk,ikl->jl", [(2, 3, 4), (2, 4, 5)]),
    ("abc,cda->bd", [(2, 3, 4), (4, 5, 2)]),
    ("...ij,...jk", [(4, 2, 3), (3, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 5)]),
    ("i...,i...", [(2, 3), (2, 1)]),
    ("...", [(2, 3)]),
    ("...i->...", [(2, 3, 4)]),
    ("i...->...", [(2, 3, 4)]),
    ("ij...,jk...->ik...", [(2, 3, 4), (3, 5, 4)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("i,i,i->i", [(3,), (3,), (3,)]),
    ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 5)]),
    ("ab,cd,bc->da", [(2, 3), (4, 5), (3, 4)]),
    ("ij,jk,kl->", [(2, 3), (3, 4), (4, 5)]),
    ("ij,ij->ij", [(2, 1), (2, 3)]),
    ("ij,ij->i", [(2, 3), (1, 3)]),
    ("Ba", [(2, 3)]),
    ("bA", [(2, 3)]),
    (",i->i", [(), (3,)]),
    (",->", [(), ()]),
    ("i,->i", [(3,), ()]),
    ("ij,k->", [(2, 3), (4,)]),
    ("ijk,jil->kl", [(3, 2, 4), (2, 3, 5)]),
    ("ab,ab,ab->ab", [(2, 3), (2, 3), (2, 3)]),
    ("ij, jk -> ik", [(2, 3), (3, 4)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("ij,jj->i", [(2, 3), (3, 3)]),
]


@pytest.mark.parametrize("subscripts, shapes", EINSUM_CASES)
def test_einsum_values(subscripts: str, shapes: list[tuple[int, ...]]) -> None:
    ops = [_x(*s, seed=i) for i, s in enumerate(shapes)]
    _same(fnp.einsum(subscripts, *ops), np.asarray(np.einsum(subscripts, *ops)))
    _same(fnp.einsum(subscripts, *ops, optimize=True), np.asarray(np.einsum(subscripts, *ops)))


@pytest.mark.parametrize("subscripts, shapes", EINSUM_CASES[::2])
def test_einsum_grads(subscripts: str, shapes: list[tuple[int, ...]]) -> None:
    ops = tuple(_x(*s, seed=i) for i, s in enumerate(shapes))
    check_grads(lambda *xs: fnp.einsum(subscripts, *xs), ops, order=2)


def test_einsum_interleaved_and_dtypes() -> None:
    a, b = _x(2, 3), _x(3, seed=1)
    _same(fnp.einsum(a, [0, 1], b, [1], [0]), np.einsum(a, [0, 1], b, [1], [0]))
    _same(fnp.einsum(a, [Ellipsis, 1], b, [1]), np.einsum(a, [Ellipsis, 1], b, [1]))
    i = np.arange(6).reshape(2, 3)
    _same(fnp.einsum("ij,j", i, np.arange(3)), np.einsum("ij,j", i, np.arange(3)))
    _same(fnp.einsum("ij,j", i, np.ones(3)), np.einsum("ij,j", i, np.ones(3)))
    f32 = a.astype(np.float32)
    assert fnp.einsum("ij->i", f32).dtype == np.float32


def test_einsum_errors() -> None:
    with pytest.raises(ValueError, match="2 operands"):
        fnp.einsum("ij,jk", np.ones((2, 3)))
    with pytest.raises(ShapeError, match=r"label 'i' has size 2.*3"):
        fnp.einsum("i,i", np.ones(2), np.ones(3))
    with pytest.raises(ShapeError, match="different sizes"):
        fnp.einsum("ii->i", np.ones((2, 3)))
    with pytest.raises(ValueError, match="does not appear"):
        fnp.einsum("ij->k", np.ones((2, 3)))
    with pytest.raises(ValueError, match="axes"):
        fnp.einsum("ijk", np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"'\.\.\.'"):
        fnp.einsum("...i->i", np.ones((2, 3)))
    with pytest.raises(ValueError, match="invalid"):
        fnp.einsum("i1", np.ones((2, 3)))
    with pytest.raises(ValueError, match="more than once"):
        fnp.einsum("ij->ii", np.ones((2, 3)))


def test_einsum_hessian_and_vmap() -> None:
    a = _x(3, 3)
    f = lambda x: fnp.einsum("i,ij,j->", x, a, x)  # noqa: E731
    np.testing.assert_allclose(fd.hessian(f)(_x(3, seed=2)), a + a.T, atol=1e-12)
    _vmap_vs_loop(lambda x, y: fnp.einsum("ij,jk->ik", x, y), [_x(4, 2, 3), _x(3, 5)], (0, None))
    _vmap_vs_loop(lambda x, y: fnp.einsum("ij,jk->ik", x, y), [_x(2, 3), _x(3, 4, 5)], (None, 1))
    _vmap_vs_loop(lambda x, y: fnp.einsum("ii,i->", x, y), [_x(4, 3, 3), _x(3, 4)], (0, 1))
    _vmap_vs_loop(lambda x: fnp.einsum("...ij->...ji", x), [_x(4, 2, 3)])
    _vmap_vs_loop(
        lambda x, y, z: fnp.einsum("a,ab,b", x, y, z), [_x(4, 2), _x(2, 3), _x(4, 3)], (0, None, 0)
    )


def test_einsum_contracts_pairwise() -> None:
    prims = _prims(
        lambda x, y, z: fnp.einsum("ab,bc,cd->ad", x, y, z), _x(2, 3), _x(3, 4), _x(4, 5)
    )
    assert prims.count("dot_general") == 2
    # a label only in one operand is summed before contracting
    prims = _prims(lambda x, y: fnp.einsum("ij,jk->k", x, y), _x(2, 3), _x(3, 4))
    assert prims[0] == "reduce_sum" and prims.count("dot_general") == 1

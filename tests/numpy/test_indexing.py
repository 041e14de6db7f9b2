"""Indexing: ``x[idx]`` against numpy (concrete and abstract tracing), its
derivatives (scatter-add of cotangents), ``x.at[idx]`` updates, vmap with
batched indices, the recorded equations, and the errors."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.checking import check_grads
from funcdiff.errors import ConcretizationError, InPlaceUpdateError
from funcdiff.interpreters.eval import eval_jaxpr

X = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5) * 0.1 - 3.0
RNG = np.random.default_rng(0)


def concrete(f: Callable[..., Any], *args: Any) -> np.ndarray:
    """``f`` traced with concrete values (as under a top-level grad)."""
    out, _ = fd.vjp(f, *args)
    return np.asarray(out)


def abstract(f: Callable[..., Any], *args: Any) -> np.ndarray:
    """``f`` traced abstractly into a jaxpr, then evaluated."""
    closed = fd.make_jaxpr(f)(*args)
    return np.asarray(eval_jaxpr(closed.jaxpr, closed.consts, list(args))[0])


at = fnp._indexing.AtIndexer  # ``x.at`` for tracers and numpy arrays alike


def prims(f: Callable[..., Any], *args: Any) -> list[str]:
    return [e.primitive.name for e in fd.make_jaxpr(f)(*args).eqns]


# ---------------------------------------------------------------------------
# values against numpy
# ---------------------------------------------------------------------------

MASK = np.array([[True, False, True, True], [False, False, True, True], [True, True, True, False]])

CASES: list[Any] = [
    0,
    -1,
    1,
    (1, 2),
    (1, -1, 0, 2),
    slice(None),
    slice(1, None),
    slice(None, -1),
    slice(None, None, -1),
    slice(None, None, 2),
    slice(3, 0, -2),
    slice(-1, -4, -1),
    slice(5, 10),
    slice(10, 0, -3),
    (slice(None), slice(None, None, -2)),
    None,
    (None, 0),
    (Ellipsis, 0),
    (Ellipsis, None),
    (0, Ellipsis, slice(None, None, -1)),
    (slice(None), None, 1, slice(1, 3)),
    [1, 0],
    [[1], [0]],
    np.array([-1, 0, 0]),
    (slice(None), [2, 0, 2]),
    ([0, 1], [1, 2]),
    ([0, 1], slice(None), [1, 2]),
    (slice(None), 0, [1, 2]),
    (0, slice(None), [1, 2]),
    (Ellipsis, [0, 3], [[1], [4]]),
    ([1, 1], None, [0, 2]),
    (slice(None), [0, 1], Ellipsis, [0, 1]),
    ([0], [[2, 1]], [[[3]]]),
    (slice(None, None, -1), [2, 0], slice(None, None, 2)),
    np.array([True, False]),
    (slice(None), MASK),
    (1, MASK),
    (np.array([False, True]), Ellipsis, 1),
    (slice(None), np.array([False, True, True])),
    True,
    (False, 0),
    (0, True, [1, 2]),
    [],
    (slice(None), []),
    np.array(1),
    (np.int64(1), np.array(2)),
]


@pytest.mark.parametrize("idx", CASES, ids=[repr(c)[:50] for c in CASES])
def test_getitem_matches_numpy(idx: Any) -> None:
    want = X[idx]
    f = lambda x: x[idx]  # noqa: E731
    for got in (concrete(f, X), abstract(f, X), fnp._indexing.getitem(X, idx)):
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_getitem_random_indices_match_numpy() -> None:
    """A seeded sweep over random combinations, errors included."""
    items: list[Any] = [
        0,
        -1,
        2,
        slice(None),
        slice(1, None),
        slice(None, None, -1),
        slice(3, 0, -2),
        slice(None, None, 2),
        None,
        Ellipsis,
        [0, 1],
        [[1], [0]],
        np.array([-1, 0]),
        [1, 1, 0],
        np.array(1),
        [],
        True,
        np.array([True, False]),
        MASK,
    ]
    rnd = random.Random(0)
    for _ in range(1500):
        idx = tuple(rnd.choice(items) for _ in range(rnd.randint(1, 4)))
        try:
            want = X[idx]
        except IndexError:
            with pytest.raises(IndexError):
                concrete(lambda x, idx=idx: x[idx], X)
            continue
        got = concrete(lambda x, idx=idx: x[idx], X)
        assert got.shape == want.shape, idx
        np.testing.assert_array_equal(got, want, err_msg=repr(idx))


def test_getitem_on_numpy_arrays_is_numpy() -> None:
    a = np.arange(6.0).reshape(2, 3)
    assert fnp._indexing.getitem(a, (0, slice(None))).tolist() == [0.0, 1.0, 2.0]
    assert fnp._indexing.getitem(a.tolist(), 1).tolist() == [3.0, 4.0, 5.0]


def test_traced_integer_scalar_index() -> None:
    x = np.arange(5.0) ** 2
    for i in (0, 3, -1, -5):
        got = abstract(lambda x, i: x[i], x, np.int64(i))
        assert got == x[i]
        got = abstract(lambda x, i: x[i, None], x, np.int32(i))
        np.testing.assert_array_equal(got, x[i, None])
    assert "gather" in prims(lambda x, i: x[i], x, np.int64(1))
    # a numpy array indexed by a traced integer
    assert abstract(lambda i: fnp._indexing.getitem(x, i), np.int64(2)) == 4.0


def test_traced_integer_array_index() -> None:
    x = X[0]
    for idx in ([2, 0, -1], [[1], [0]]):
        i = np.array(idx)
        np.testing.assert_array_equal(abstract(lambda x, i: x[i], x, i), x[i])
        np.testing.assert_array_equal(abstract(lambda x, i: x[:, i, 1:], x, i), x[:, i, 1:])
        np.testing.assert_array_equal(abstract(lambda x, i: x[1, :, i], x, i), x[1, :, i])
        # a list mixing Python ints and traced ints
        np.testing.assert_array_equal(
            abstract(lambda x, i: x[[0, fnp.ravel(i)[0]]], x, i), x[[0, np.ravel(i)[0]]]
        )


# ---------------------------------------------------------------------------
# recorded equations: basic slicing is one slice
# ---------------------------------------------------------------------------


def test_basic_slicing_records_one_slice() -> None:
    x = np.arange(10.0)
    assert prims(lambda x: x[1:], x) == ["slice"]
    assert prims(lambda x: x[1:] - x[:-1] ** 2, x) == ["slice", "slice", "integer_pow", "sub"]
    assert prims(lambda x: x[::3], x) == ["slice"]
    assert prims(lambda x: x[3], x) == ["slice", "reshape"]
    assert prims(lambda x: x[:], x) == []
    assert prims(lambda x: x[...], x) == []
    assert prims(lambda x: x[::-1], x) == ["rev"]
    assert prims(lambda x: x[8:1:-2], x) == ["slice", "rev"]
    m = np.zeros((4, 5))
    assert prims(lambda m: m[1:, 2], m) == ["slice", "reshape"]
    assert prims(lambda m: m[:, None, 1:3], m) == ["slice", "reshape"]
    assert prims(lambda m: m[[0, 2]], m) == ["gather"]


# ---------------------------------------------------------------------------
# derivatives
# ---------------------------------------------------------------------------

GRAD_CASES: list[Any] = [
    (1, slice(None, None, -1)),
    (slice(1, None), 0, slice(None, None, 2)),
    ([0, 0, 1], [2, 2, 0]),
    (slice(None), [1, 1, 1, 0]),
    (MASK[None, :, :].repeat(2, 0),),
    (0, slice(None), [3, 3]),
    (Ellipsis, [3, 0, 3], None),
    (slice(None, None, -1), [2, 2], 1),
]


@pytest.mark.parametrize("idx", GRAD_CASES, ids=[repr(c)[:50] for c in GRAD_CASES])
def test_getitem_gradients(idx: Any) -> None:
    x = X[..., :4] if not isinstance(idx[0], np.ndarray) else X[..., 0]
    w = RNG.normal(size=np.shape(x[idx]))
    check_grads(lambda x: fnp.sin(x[idx]) * w, (x,), order=2)


def test_gradient_accumulates_duplicates() -> None:
    x = np.array([1.0, 2.0, 3.0])
    g = fd.grad(lambda x: fnp.sum(x[[0, 2, 2, 2]] * np.array([1.0, 2.0, 3.0, 4.0])))(x)
    np.testing.assert_array_equal(g, [1.0, 0.0, 9.0])
    g = fd.grad(lambda x: fnp.sum(x[np.array([[0, 0], [1, 0]])] ** 2))(x)
    np.testing.assert_array_equal(g, [6.0, 4.0, 0.0])
    # forward mode agrees
    np.testing.assert_array_equal(fd.jacfwd(lambda x: x[[0, 2, 2]])(x), np.eye(3)[[0, 2, 2]])


def test_hessian_through_indexing() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])

    def rosen(x: Any) -> Any:
        return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    h = fd.hessian(rosen)(x)
    eps = 1e-5
    fd_h = np.stack(
        [(fd.grad(rosen)(x + eps * e) - fd.grad(rosen)(x - eps * e)) / (2 * eps) for e in np.eye(4)]
    )
    np.testing.assert_allclose(h, fd_h, rtol=1e-6, atol=1e-4)


def test_gradient_with_traced_index() -> None:
    x = np.arange(5.0)
    g = fd.grad(lambda x, i: x[i] ** 2)(x, np.int64(3))
    np.testing.assert_array_equal(g, [0, 0, 0, 6.0, 0])


# ---------------------------------------------------------------------------
# .at updates
# ---------------------------------------------------------------------------

AT_CASES: list[Any] = [
    1,
    (slice(None), 2),
    (slice(None, None, -1), 1),
    [0, 2, 0],
    ([1, 1, 1], [0, 3, 0]),
    (Ellipsis, [4, 4, 1]),
    (slice(1, None), [2, 2]),
    MASK,
    (0, None, [1, 1]),
]
NP_UFUNC = {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum}


def _numpy_update(x: np.ndarray, idx: Any, op: str, v: np.ndarray) -> np.ndarray:
    out = x.copy()
    if op == "set":
        out[idx] = v
    else:
        NP_UFUNC[op].at(out, idx, v)
    return out


@pytest.mark.parametrize("op", ["set", "add", "multiply", "min", "max"])
@pytest.mark.parametrize("idx", AT_CASES, ids=[repr(c)[:40] for c in AT_CASES])
def test_at_values(idx: Any, op: str) -> None:
    x = X[0]
    v = RNG.normal(size=np.shape(x[idx]))
    want = _numpy_update(x, idx, op, v)
    f = lambda x, v: getattr(at(x)[idx], op)(v)  # noqa: E731
    np.testing.assert_allclose(concrete(f, x, v), want, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(abstract(f, x, v), want, rtol=1e-14, atol=1e-14)
    # on numpy arrays: numpy results, the input untouched
    before = x.copy()
    np.testing.assert_allclose(getattr(fnp._indexing.AtIndexer(x)[idx], op)(v), want)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("op", ["set", "add", "multiply", "min", "max"])
def test_at_with_traced_indices(op: str) -> None:
    x = X[0, 0, 0]
    for idx in (np.array([3, 0, 3, 3, 1]), np.array([[2], [2]]), np.array([4])):
        v = RNG.normal(size=idx.shape)
        want = _numpy_update(x, idx, op, v)
        got = abstract(lambda x, i, v: getattr(at(x)[i], op)(v), x, idx, v)
        np.testing.assert_allclose(got, want, rtol=1e-14)


def test_at_scalar_values_and_get() -> None:
    x = np.zeros((2, 3))
    got = concrete(lambda x: x.at[:, [0, 0, 2]].add(1.0), x)
    np.testing.assert_array_equal(got, [[2, 0, 1], [2, 0, 1]])
    got = concrete(lambda x: x.at[1].set(5), x)
    np.testing.assert_array_equal(got, [[0, 0, 0], [5, 5, 5]])
    assert concrete(lambda x: x.at[1, 2].get(), x + 7.0) == 7.0
    got = fnp._indexing.AtIndexer(np.arange(3))[[0, 0]].add(2)
    assert got.dtype == np.int64 and got.tolist() == [4, 1, 2]


def test_at_set_last_write_wins() -> None:
    x = np.zeros(3)
    v = np.array([1.0, 2.0, 3.0])
    for f in (concrete, abstract):
        np.testing.assert_array_equal(f(lambda x, v: x.at[[1, 1, 1]].set(v), x, v), [0, 3, 0])
    got = abstract(lambda x, i, v: x.at[i].set(v), x, np.array([2, 0, 2]), v)
    np.testing.assert_array_equal(got, [2.0, 0.0, 3.0])
    # only the winning value gets a derivative
    g = fd.grad(lambda v: fnp.sum(at(x)[np.array([1, 1, 1])].set(v) * 2.0))(v)
    np.testing.assert_array_equal(g, [0.0, 0.0, 2.0])


@pytest.mark.parametrize("op", ["set", "add", "multiply", "min", "max"])
@pytest.mark.parametrize(
    "idx",
    [(slice(None), 2), [0, 2, 0], (slice(None, None, -1), [3, 1, 1])],
    ids=["slice", "dup", "mixed"],
)
def test_at_gradients(idx: Any, op: str) -> None:
    x = X[0] + 0.01 * RNG.normal(size=X[0].shape)  # no ties for min/max
    v = RNG.normal(size=np.shape(x[idx]))
    check_grads(lambda x, v: fnp.sin(getattr(at(x)[idx], op)(v)), (x, v), order=2)


def test_at_gradient_with_duplicates_accumulates() -> None:
    x = np.zeros(4)
    v = np.array([1.0, 2.0, 3.0])
    jac = fd.jacrev(lambda v: at(x)[[1, 3, 1]].add(v))(v)
    np.testing.assert_array_equal(jac, [[0, 0, 0], [1, 0, 1], [0, 0, 0], [0, 1, 0]])


# ---------------------------------------------------------------------------
# vmap
# ---------------------------------------------------------------------------


def _loop(f: Callable[..., Any], args: tuple[Any, ...], axes: tuple[int | None, ...]) -> Any:
    n = next(np.shape(a)[d] for a, d in zip(args, axes, strict=True) if d is not None)
    return np.stack(
        [
            np.asarray(
                f(
                    *[
                        a if d is None else np.take(a, b, axis=d)
                        for a, d in zip(args, axes, strict=True)
                    ]
                )
            )
            for b in range(n)
        ]
    )


get = fnp._indexing.getitem  # ``x[idx]`` also when x is a numpy array and idx traced
VMAP_FUNS: list[tuple[str, Callable[..., Any]]] = [
    ("x[i]", lambda x, i: get(x, i)),
    ("x[:, i]", lambda x, i: get(x, (slice(None), i))),
    ("x[i, ::-1]", lambda x, i: get(x, (i, slice(None, None, -1)))),
    ("x[i, i]", lambda x, i: get(x, (i, i))),
    ("x[i, :, i]", lambda x, i: get(x, (i, slice(None), i))),
    ("at.add", lambda x, i: at(x)[i].add(1.0)),
    ("at.set", lambda x, i: at(x)[:, i].set(-get(x, (0, 0)))),
    ("at.max", lambda x, i: at(x)[i, 1].max(0.5)),
]


@pytest.mark.parametrize("name,f", VMAP_FUNS, ids=[n for n, _ in VMAP_FUNS])
@pytest.mark.parametrize("axes", [(0, 0), (None, 0), (0, None), (1, 0)])
def test_vmap_of_indexing_matches_loop(name: str, f: Callable[..., Any], axes: Any) -> None:
    x = RNG.normal(size=(3, 4, 3))
    i = np.array([[2, 0], [1, 1], [0, -1]])
    xb = x if axes[0] is None else np.moveaxis(np.stack([x, 2 * x, -x, x + 1]), 0, axes[0])
    ib = i if axes[1] is None else np.stack([i, i[::-1], i % 2, -i - 1])
    got = fd.vmap(f, in_axes=axes)(xb, ib)
    np.testing.assert_allclose(got, _loop(f, (xb, ib), axes), rtol=1e-14)


def test_vmap_traced_scalar_index() -> None:
    x = np.arange(6.0).reshape(2, 3)
    got = fd.vmap(lambda i: fnp._indexing.getitem(x, (slice(None), i)))(np.array([2, 0, -1]))
    np.testing.assert_array_equal(got, x[:, [2, 0, -1]].T)
    got = fd.vmap(lambda r, i: r[i])(x, np.array([2, 0]))
    np.testing.assert_array_equal(got, [2.0, 3.0])


def test_jacobians_of_batched_gathers() -> None:
    x = RNG.normal(size=(3, 4))
    i = np.array([[1, 3], [0, 0], [2, 3]])
    # per-row picks: the Jacobian through a gather with batched x and indices
    jac = fd.jacfwd(lambda x: fd.vmap(lambda r, j: r[j] ** 2)(x, i))(x)
    want = np.zeros((3, 2, 3, 4))
    for r in range(3):
        for c in range(2):
            want[r, c, r, i[r, c]] = 2 * x[r, i[r, c]]
    np.testing.assert_allclose(jac, want)
    np.testing.assert_allclose(fd.jacrev(lambda x: fd.vmap(lambda r, j: r[j] ** 2)(x, i))(x), want)


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


def test_abstract_boolean_mask_raises() -> None:
    x = np.arange(3.0)
    with pytest.raises(ConcretizationError, match="where"):
        fd.make_jaxpr(lambda x: x[x > 1.0])(x)
    # a concrete mask (even a traced one with a known value) works
    np.testing.assert_array_equal(concrete(lambda x: x[x > 1.0], x), [2.0])
    g = fd.grad(lambda x: fnp.sum(x[x > 0.5] ** 2))(x)
    np.testing.assert_array_equal(g, [0.0, 2.0, 4.0])


def test_out_of_range_raises_index_error() -> None:
    x = np.arange(3.0)
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        concrete(lambda x: x[3], x)
    with pytest.raises(IndexError, match="index -4 is out of bounds"):
        abstract(lambda x: x[[0, -4]], x)
    with pytest.raises(IndexError, match="index 3"):  # a traced index with a known value
        fd.grad(lambda x: fnp.sum(x[fnp.argsort(x) + 3]))(x)
    with pytest.raises(IndexError, match="too many indices"):
        concrete(lambda x: x[0, 0], x)
    with pytest.raises(IndexError, match="could not be broadcast"):
        concrete(lambda x: x[[0, 1], [0, 1, 2]], np.zeros((3, 3)))
    with pytest.raises(IndexError, match="boolean index did not match"):
        concrete(lambda x: x[np.array([True, False])], x)
    with pytest.raises(IndexError, match="only integers"):
        concrete(lambda x: x[1.0], x)
    with pytest.raises(IndexError, match="single ellipsis"):
        concrete(lambda x: x[..., ...], x)


def test_inplace_assignment_raises() -> None:
    def f(x: Any) -> Any:
        x[0] = 1.0
        return x

    with pytest.raises(InPlaceUpdateError, match=r"\.at"):
        fd.grad(lambda x: fnp.sum(f(x)))(np.zeros(3))


def test_at_value_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="could not be broadcast"):
        concrete(lambda x: x.at[[0, 1]].set(np.ones(3)), np.zeros(3))


# ---------------------------------------------------------------------------
# nonzero, argwhere, flatnonzero
# ---------------------------------------------------------------------------


def test_nonzero_family() -> None:
    a = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    for got, want in zip(fnp.nonzero(a), np.nonzero(a), strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(fnp.argwhere(a), np.argwhere(a))
    np.testing.assert_array_equal(fnp.flatnonzero(a), np.flatnonzero(a))
    # concrete tracers work: the result is a constant index array
    g = fd.grad(lambda x: fnp.sum(x[fnp.nonzero(x)] ** 2))(a)
    np.testing.assert_array_equal(g, 2 * a)
    with pytest.raises(ConcretizationError, match="nonzero"):
        fd.make_jaxpr(lambda x: fnp.nonzero(x))(a)
    with pytest.raises(ConcretizationError, match="flatnonzero"):
        fd.vmap(lambda x: fnp.flatnonzero(x))(a)

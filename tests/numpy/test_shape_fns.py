"""Shape functions of funcdiff.numpy against numpy: values (on numpy arrays,
concretely traced and abstractly traced), derivatives against finite
differences (both modes, second order), vmap against a Python loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.checking import check_grads
from funcdiff.interpreters.eval import eval_jaxpr

RNG = np.random.default_rng(0)
A = RNG.normal(size=(2, 3, 4))
M = RNG.normal(size=(3, 4))
V = RNG.normal(size=(5,))
S0 = np.array(1.5)

# (name, fn(module, x) -> result, input). ``fn`` is called with ``np`` and ``fnp``.
Case = tuple[str, Callable[[Any, Any], Any], np.ndarray]
CASES: list[Case] = [
    ("reshape", lambda m, x: m.reshape(x, (4, -1)), A),
    ("reshape_int", lambda m, x: m.reshape(x, -1), A),
    ("reshape_scalar", lambda m, x: m.reshape(x, (1, 1)), S0),
    ("ravel", lambda m, x: m.ravel(x), A),
    ("transpose", lambda m, x: m.transpose(x), A),
    ("transpose_axes", lambda m, x: m.transpose(x, (1, -1, 0)), A),
    ("swapaxes", lambda m, x: m.swapaxes(x, 0, -1), A),
    ("moveaxis", lambda m, x: m.moveaxis(x, 0, -1), A),
    ("moveaxis_seq", lambda m, x: m.moveaxis(x, (0, 1), (-1, 0)), A),
    ("expand_dims", lambda m, x: m.expand_dims(x, 1), A),
    ("expand_dims_tuple", lambda m, x: m.expand_dims(x, (0, -1, 3)), M),
    ("squeeze", lambda m, x: m.squeeze(x), A[:, :1, None]),
    ("squeeze_axis", lambda m, x: m.squeeze(x, axis=(1, -2)), A[:, :1, None]),
    ("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3, 4)), M),
    ("broadcast_arrays", lambda m, x: m.broadcast_arrays(x, x[:, :1], 2.0)[1], M),
    ("atleast_1d", lambda m, x: m.atleast_1d(x), S0),
    ("atleast_1d_many", lambda m, x: m.atleast_1d(x, x[0])[1], V),
    ("atleast_2d", lambda m, x: m.atleast_2d(x), V),
    ("atleast_2d_scalar", lambda m, x: m.atleast_2d(x), S0),
    ("atleast_3d_1", lambda m, x: m.atleast_3d(x), V),
    ("atleast_3d_2", lambda m, x: m.atleast_3d(x), M),
    ("atleast_3d_0", lambda m, x: m.atleast_3d(x), S0),
    ("concatenate", lambda m, x: m.concatenate([x, 2 * x[:1]], axis=0), M),
    ("concatenate_neg", lambda m, x: m.concatenate([x, x[:, :2]], axis=-1), M),
    ("concatenate_none", lambda m, x: m.concatenate([x, x[0]], axis=None), M),
    ("stack", lambda m, x: m.stack([x, -x, x * x], axis=1), M),
    ("stack_last", lambda m, x: m.stack([x, -x], axis=-1), V),
    ("hstack", lambda m, x: m.hstack([x, x[:, :1]]), M),
    ("hstack_1d", lambda m, x: m.hstack([x, x[:2], 1.0]), V),
    ("vstack", lambda m, x: m.vstack([x, x[:1]]), M),
    ("vstack_1d", lambda m, x: m.vstack([x, 2 * x]), V),
    ("dstack", lambda m, x: m.dstack([x, x]), M),
    ("dstack_1d", lambda m, x: m.dstack([x, x]), V),
    ("column_stack", lambda m, x: m.column_stack([x, x[::-1]]), V),
    ("column_stack_2d", lambda m, x: m.column_stack([x, x[:, 0]]), M),
    ("split", lambda m, x: m.split(x, 2, axis=-1)[1], M),
    ("split_idx", lambda m, x: m.split(x, [1, 4, 9])[1], V),
    ("split_neg_idx", lambda m, x: m.split(x, [-2])[0], V),
    ("array_split", lambda m, x: m.array_split(x, 3)[0], V),
    ("array_split_2", lambda m, x: m.array_split(x, 3, axis=1)[2], M),
    ("tile", lambda m, x: m.tile(x, (2, 1, 2)), M),
    ("tile_int", lambda m, x: m.tile(x, 3), V),
    ("tile_short", lambda m, x: m.tile(x, 2), M),
    ("repeat", lambda m, x: m.repeat(x, 2), M),
    ("repeat_axis", lambda m, x: m.repeat(x, 3, axis=1), M),
    ("repeat_array", lambda m, x: m.repeat(x, [1, 0, 2], axis=0), M),
    ("repeat_one", lambda m, x: m.repeat(x, [2], axis=-1), M),
    ("flip", lambda m, x: m.flip(x), A),
    ("flip_axis", lambda m, x: m.flip(x, 1), A),
    ("flip_tuple", lambda m, x: m.flip(x, (0, -1)), A),
    ("fliplr", lambda m, x: m.fliplr(x), M),
    ("flipud", lambda m, x: m.flipud(x), M),
    ("roll", lambda m, x: m.roll(x, 2), M),
    ("roll_axis", lambda m, x: m.roll(x, -1, axis=1), M),
    ("roll_tuple", lambda m, x: m.roll(x, (1, 5), axis=(0, 1)), M),
    ("roll_same_axis", lambda m, x: m.roll(x, (1, 2), axis=(1, 1)), M),
    ("rot90", lambda m, x: m.rot90(x), M),
    ("rot90_k2", lambda m, x: m.rot90(x, 2), M),
    ("rot90_k3", lambda m, x: m.rot90(x, -1, axes=(2, 0)), A),
    ("pad_constant", lambda m, x: m.pad(x, 2), M),
    ("pad_constant_values", lambda m, x: m.pad(x, ((1, 0), (2, 3)), constant_values=1.5), M),
    ("pad_constant_pairs", lambda m, x: m.pad(x, 1, constant_values=((1, 2), (3, 4))), M),
    ("pad_edge", lambda m, x: m.pad(x, ((1, 2), (0, 3)), mode="edge"), M),
    ("pad_reflect", lambda m, x: m.pad(x, (2, 3), mode="reflect"), M),
    ("pad_reflect_wide", lambda m, x: m.pad(x, (7, 9), mode="reflect"), V),
    ("pad_symmetric", lambda m, x: m.pad(x, ((3, 1), (4, 2)), mode="symmetric"), M),
    ("pad_symmetric_wide", lambda m, x: m.pad(x, (6, 12), mode="symmetric"), V),
    ("pad_wrap", lambda m, x: m.pad(x, ((1, 3), (4, 0)), mode="wrap"), M),
    ("pad_wrap_wide", lambda m, x: m.pad(x, 11, mode="wrap"), V),
    ("take", lambda m, x: m.take(x, [3, 0, 3, -1]), M),
    ("take_axis", lambda m, x: m.take(x, [[2, 0], [1, 1]], axis=1), M),
    ("take_scalar", lambda m, x: m.take(x, -2, axis=0), M),
    ("take_clip", lambda m, x: m.take(x, [-3, 1, 9], axis=1, mode="clip"), M),
    ("take_wrap", lambda m, x: m.take(x, [-7, 1, 9], axis=0, mode="wrap"), M),
    ("take_along_axis", lambda m, x: m.take_along_axis(x, np.argsort(x, axis=1), axis=1), M),
    ("take_along_axis_0", lambda m, x: m.take_along_axis(x, np.array([[2, 0, 1, 1]]), 0), M),
    (
        "take_along_axis_bcast",
        lambda m, x: m.take_along_axis(x, np.array([[[1], [0], [-1]]]), axis=-1),
        A,
    ),
    ("take_along_axis_none", lambda m, x: m.take_along_axis(x, np.array([5, 0, 11]), None), M),
    ("sort", lambda m, x: m.sort(x), A),
    ("sort_axis0", lambda m, x: m.sort(x, axis=0), A),
    ("sort_none", lambda m, x: m.sort(x, axis=None), M),
    ("sort_1d", lambda m, x: m.sort(x), V),
]

# functions with integer (non-differentiable) outputs
INT_CASES: list[Case] = [
    ("argsort", lambda m, x: m.argsort(x), A),
    ("argsort_axis", lambda m, x: m.argsort(x, axis=0), M),
    ("argsort_none", lambda m, x: m.argsort(x, axis=None), M),
    ("argsort_ties", lambda m, x: m.argsort(x, kind="stable"), np.arange(8.0) % 3),
]


def run_concrete(f: Callable[[Any], Any], x: np.ndarray) -> np.ndarray:
    out, _ = fd.vjp(f, x)
    return np.asarray(out)


def run_abstract(f: Callable[[Any], Any], x: np.ndarray) -> np.ndarray:
    closed = fd.make_jaxpr(f)(x)
    return np.asarray(eval_jaxpr(closed.jaxpr, closed.consts, [x])[0])


@pytest.mark.parametrize("name,fn,x", CASES + INT_CASES, ids=[c[0] for c in CASES + INT_CASES])
def test_values_match_numpy(name: str, fn: Callable[[Any, Any], Any], x: np.ndarray) -> None:
    want = np.asarray(fn(np, x))
    got = np.asarray(fn(fnp, x))
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    if name.startswith("argsort_ties"):
        return
    for run in (
        (run_abstract,)
        if name in dict((c[0], 1) for c in INT_CASES)
        else (run_concrete, run_abstract)
    ):
        got = run(lambda x: fn(fnp, x), x)
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name,fn,x", CASES, ids=[c[0] for c in CASES])
def test_gradients(name: str, fn: Callable[[Any, Any], Any], x: np.ndarray) -> None:
    w = RNG.normal(size=np.shape(fn(np, x)))
    check_grads(lambda x: fnp.sin(fn(fnp, x)) * w, (x,), order=2)


@pytest.mark.parametrize("name,fn,x", CASES + INT_CASES, ids=[c[0] for c in CASES + INT_CASES])
def test_vmap_matches_loop(name: str, fn: Callable[[Any, Any], Any], x: np.ndarray) -> None:
    xb = np.stack([x, 2.0 * x + 1.0, -x])
    got = fd.vmap(lambda x: fn(fnp, x))(xb)
    want = np.stack([np.asarray(fn(np, xi)) for xi in xb])
    np.testing.assert_array_equal(got, want)
    # the batch axis elsewhere
    got = fd.vmap(lambda x: fn(fnp, x), in_axes=-1)(np.moveaxis(xb, 0, -1))
    np.testing.assert_array_equal(got, want)


def test_queries() -> None:
    assert fnp.shape(A) == (2, 3, 4) and fnp.ndim(A) == 3 and fnp.size(A) == 24
    assert fnp.size(A, -1) == 4 and fnp.shape(3.0) == () and fnp.ndim([[1, 2]]) == 2
    out = fd.make_jaxpr(lambda x: x * fnp.size(x) + fnp.ndim(x))(A)
    assert [e.primitive.name for e in out.eqns] == ["mul", "add"]


def test_no_equations_for_no_ops() -> None:
    def prims(f: Callable[[Any], Any], x: np.ndarray) -> list[str]:
        return [e.primitive.name for e in fd.make_jaxpr(f)(x).eqns]

    assert prims(lambda x: fnp.reshape(x, (3, 4)), M) == []
    assert prims(lambda x: fnp.transpose(x, (0, 1)), M) == []
    assert prims(lambda x: fnp.squeeze(x), M) == []
    assert prims(lambda x: fnp.tile(x, 1), M) == []
    assert prims(lambda x: fnp.roll(x, 4, axis=1), M) == []
    assert prims(lambda x: fnp.pad(x, 0), M) == []
    assert prims(lambda x: fnp.atleast_2d(x), M) == []
    assert prims(lambda x: fnp.pad(x, 2), M) == ["pad"]
    assert prims(lambda x: fnp.flip(x), M) == ["rev"]
    assert prims(lambda x: fnp.sort(x), V) == ["argsort", "gather"]
    assert "gather" not in prims(lambda x: fnp.pad(x, 2, mode="reflect"), M)
    assert "gather" not in prims(lambda x: fnp.repeat(x, 3, axis=0), M)


def test_sort_gradient_follows_permutation() -> None:
    x = np.array([3.0, 1.0, 2.0])
    g = fd.grad(lambda x: fnp.sum(fnp.sort(x) * np.array([1.0, 10.0, 100.0])))(x)
    np.testing.assert_array_equal(g, [100.0, 1.0, 10.0])
    np.testing.assert_array_equal(fnp.sort(np.array([np.nan, 1.0, -1.0])), [-1.0, 1.0, np.nan])


def test_take_with_traced_indices() -> None:
    i = np.array([2, -1, 0])
    got = fd.vmap(lambda i: fnp.take(M, i, axis=1))(np.stack([i, i[::-1]]))
    np.testing.assert_array_equal(got, np.stack([np.take(M, i, 1), np.take(M, i[::-1], 1)]))
    got = fd.make_jaxpr(lambda x, i: fnp.take_along_axis(x, i, axis=0))(M, np.zeros((1, 4), int))
    assert "gather" in str(got)


def test_pad_with_traced_constant() -> None:
    g = fd.grad(lambda c: fnp.sum(fnp.pad(M, 1, constant_values=c)))(2.0)
    assert g == np.pad(M, 1).size - M.size
    g = fd.grad(lambda c: fnp.sum(fnp.pad(V, (1, 2), constant_values=(c, 2 * c))))(2.0)
    assert g == 5.0


def test_dtypes() -> None:
    i = np.arange(6).reshape(2, 3)
    assert fnp.concatenate([i, np.ones((1, 3))]).dtype == np.float64
    assert fnp.concatenate([i, i], dtype=np.float32).dtype == np.float32
    assert fnp.stack([i, i]).dtype == np.int64
    assert fnp.pad(i, 1, constant_values=2.7).tolist()[0][0] == 2
    f32 = np.ones(3, np.float32)
    assert fnp.hstack([f32, f32]).dtype == np.float32
    assert fnp.sort(i).dtype == np.int64 and fnp.argsort(i).dtype == np.int64


@pytest.mark.parametrize(
    "call,err,match",
    [
        (lambda: fnp.reshape(M, (5, -1)), ValueError, "cannot reshape array of size 12"),
        (lambda: fnp.reshape(M, (2, 6), order="F"), NotImplementedError, "order='C'"),
        (lambda: fnp.reshape(M, (-1, -1)), ValueError, "one unknown dimension"),
        (lambda: fnp.squeeze(M, 0), ValueError, "size not equal to one"),
        (lambda: fnp.transpose(M, (0,)), ValueError, "axes"),
        (lambda: fnp.moveaxis(A, (0, 1), 2), ValueError, "same number of elements"),
        (lambda: fnp.expand_dims(M, 5), ValueError, "out of bounds"),
        (lambda: fnp.broadcast_to(M, (4, 3)), ValueError, "cannot be broadcast"),
        (lambda: fnp.concatenate([M, V]), ValueError, "same number of dimensions"),
        (lambda: fnp.concatenate([M, M.T]), ValueError, "must match exactly"),
        (lambda: fnp.concatenate([]), ValueError, "at least one array"),
        (lambda: fnp.stack([M, M.T]), ValueError, "same shape"),
        (lambda: fnp.split(V, 2), ValueError, "equal division"),
        (lambda: fnp.fliplr(V), ValueError, ">= 2-d"),
        (lambda: fnp.rot90(M, axes=(1, 1)), ValueError, "different"),
        (lambda: fnp.pad(M, -1), ValueError, "negative"),
        (lambda: fnp.pad(M, 1, mode="median"), NotImplementedError, "not supported"),
        (lambda: fnp.pad(np.zeros((0, 2)), 1, mode="edge"), ValueError, "empty axis"),
        (lambda: fnp.take(V, [5]), IndexError, "index 5 is out of bounds"),
        (lambda: fnp.take(M, [-5], axis=0), IndexError, "index -5"),
        (lambda: fnp.take_along_axis(M, np.array([0]), 0), ValueError, "same number"),
        (lambda: fnp.repeat(M, [1, 2], axis=0), ValueError, "repeats"),
        (lambda: fnp.tile(M, -1), ValueError, "negative"),
    ],
)
def test_errors(call: Callable[[], Any], err: type[Exception], match: str) -> None:
    with pytest.raises(err, match=match):
        call()


def test_repeat_with_abstract_repeats_raises() -> None:
    from funcdiff.errors import ConcretizationError

    with pytest.raises(ConcretizationError):
        fd.make_jaxpr(lambda x, r: fnp.repeat(x, r))(V, np.ones(5, int))

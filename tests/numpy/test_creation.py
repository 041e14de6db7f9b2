"""Array creation (funcdiff.numpy._creation): values and dtypes against numpy,
``*_like`` on tracers, differentiable ranges (linspace, logspace, geomspace,
meshgrid), triangles, dtype helpers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._compat import result_type
from funcdiff.checking import check_grads
from funcdiff.core.trace import Tracer
from funcdiff.errors import ConcretizationError


def _same(got: Any, want: Any, rtol: float = 1e-12, atol: float = 1e-14) -> None:
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


def _x(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


# ---------------------------------------------------------------------------
# from a shape
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("shape", [3, (2, 3), (), (0, 2)])
@pytest.mark.parametrize("dtype", [None, np.float32, np.int64, bool])
def test_zeros_ones(name: str, shape: Any, dtype: Any) -> None:
    got = getattr(fnp, name)(shape, dtype=dtype)
    want = getattr(np, "zeros" if name == "empty" else name)(shape, dtype=dtype)
    _same(got, want)
    assert isinstance(got, np.ndarray)


def test_full() -> None:
    _same(fnp.full((2, 3), 7.0), np.full((2, 3), 7.0))
    _same(fnp.full(3, 2), np.full(3, 2))
    _same(fnp.full((2, 2), 1.5, dtype=np.float32), np.full((2, 2), 1.5, np.float32))
    _same(fnp.full((2, 2), [1.0, 2.0]), np.full((2, 2), [1.0, 2.0]))
    # a traced fill value broadcasts and stays differentiable
    g = fd.grad(lambda v: fnp.sum(fnp.full((2, 3), v) * np.arange(6.0).reshape(2, 3)))(2.0)
    _same(g, np.asarray(15.0))
    check_grads(lambda v: fnp.full((2, 3), v), (np.array([1.0, 2.0, 3.0]),), order=2)
    check_grads(lambda v: fnp.full(4, v, dtype=np.float64), (1.5,), order=1)


def test_eye_identity_tri() -> None:
    for args in [(3,), (2, 4), (4, 2, 1), (3, 3, -1), (3, None, 5)]:
        _same(fnp.eye(*args), np.eye(*args))
        _same(fnp.tri(*args), np.tri(*args))
    _same(fnp.eye(3, dtype=np.int32), np.eye(3, dtype=np.int32))
    _same(fnp.eye(2, k=1, dtype=bool), np.eye(2, k=1, dtype=bool))
    _same(fnp.identity(3), np.identity(3))
    _same(fnp.identity(2, dtype=np.float32), np.identity(2, dtype=np.float32))
    _same(fnp.tri(3, 2, dtype=np.int64), np.tri(3, 2, dtype=np.int64))


@pytest.mark.parametrize(
    "args, kw",
    [
        ((5,), {}),
        ((2, 7), {}),
        ((0, 1, 0.25), {}),
        ((1.0, 2.0), {}),
        ((5,), {"dtype": float}),
        ((-3, 3, 2), {}),
        ((10, 0, -3), {}),
        ((3,), {"dtype": np.float32}),
        ((0.0, 1.0, 0.1), {}),
        ((np.int32(3),), {}),
        ((2, 5), {"dtype": np.int8}),
    ],
)
def test_arange(args: tuple[Any, ...], kw: dict[str, Any]) -> None:
    _same(fnp.arange(*args, **kw), np.arange(*args, **kw))


def test_arange_in_transforms() -> None:
    # concrete values while differentiating: fine, and a constant
    g = fd.grad(lambda n: fnp.sum(fnp.arange(n) * n))(3.0)
    _same(g, np.asarray(3.0))
    with pytest.raises(ConcretizationError, match="arange"):
        fd.make_jaxpr(lambda n: fnp.arange(n))(3.0)


# ---------------------------------------------------------------------------
# *_like accept tracers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like"])
def test_like(name: str) -> None:
    want_name = "zeros_like" if name == "empty_like" else name
    for a in [np.ones((2, 3), np.float32), np.arange(4), [1.0, 2.0], 3.0, np.ones((0,))]:
        _same(getattr(fnp, name)(a), getattr(np, want_name)(a))
        _same(getattr(fnp, name)(a, dtype=np.int32), getattr(np, want_name)(a, dtype=np.int32))
    _same(
        getattr(fnp, name)(np.ones(3), shape=(2, 2)),
        getattr(np, want_name)(np.ones(3), shape=(2, 2)),
    )

    seen: list[Any] = []

    def f(x: Any) -> Any:
        c = getattr(fnp, name)(x)
        seen.append(c)
        return fnp.sum(x * 2.0 + c)

    _same(fd.grad(f)(np.ones((2, 3))), 2.0 * np.ones((2, 3)))
    assert isinstance(seen[0], np.ndarray) and seen[0].shape == (2, 3)
    # abstract tracing works too: only the aval is read
    jaxpr = fd.make_jaxpr(lambda x: x + getattr(fnp, name)(x, dtype=np.float64))(np.ones(2))
    assert len(jaxpr.eqns) == 1


def test_full_like() -> None:
    _same(fnp.full_like(np.arange(3), 2.7), np.full_like(np.arange(3), 2.7))
    _same(fnp.full_like(np.ones(2, np.float32), 3), np.full_like(np.ones(2, np.float32), 3))
    _same(
        fnp.full_like(np.ones(2), 1, dtype=np.int8, shape=(3,)),
        np.full_like(np.ones(2), 1, dtype=np.int8, shape=(3,)),
    )
    # tracer as the template: a constant
    out = fd.grad(lambda x: fnp.sum(fnp.full_like(x, 5.0) * x))(np.ones(3))
    _same(out, 5.0 * np.ones(3))
    # tracer as the fill value: broadcast, differentiable
    g = fd.grad(lambda v: fnp.sum(fnp.full_like(np.ones((2, 2)), v)))(1.0)
    _same(g, np.asarray(4.0))
    check_grads(lambda v: fnp.full_like(np.ones((3, 2)), v), (np.array([1.0, 2.0]),), order=2)


# ---------------------------------------------------------------------------
# from data
# ---------------------------------------------------------------------------


def test_array_asarray() -> None:
    _same(fnp.array([[1, 2]], ndmin=3), np.array([[1, 2]], ndmin=3))
    _same(fnp.array([1.0, 2.0], dtype=np.float32), np.array([1.0, 2.0], np.float32))
    _same(fnp.asarray([1, 2], dtype=np.float64), np.asarray([1, 2], np.float64))
    a = np.ones(3)
    assert fnp.asarray(a) is a
    assert fnp.array(a) is not a
    _same(fnp.copy(a), a)
    assert fnp.copy(a) is not a
    _same(fnp.asarray(3.0), np.asarray(3.0))


def test_array_of_tracers_stacks() -> None:
    def f(x: Any) -> Any:
        v = fnp.array([x, 2.0 * x, x * x])
        return fnp.sum(v * np.array([1.0, 1.0, 1.0]))

    _same(fd.grad(f)(3.0), np.asarray(1.0 + 2.0 + 6.0))
    check_grads(lambda x: fnp.array([[x, 1.0], [2.0, x * x]]), (1.5,), order=2)
    check_grads(lambda x: fnp.array([x, x], ndmin=3), (1.5,), order=1)
    check_grads(lambda x: fnp.asarray([x, 2 * x], dtype=np.float64), (1.5,), order=1)
    out = fd.vmap(lambda x: fnp.array([x, 2.0 * x]))(np.arange(3.0))
    _same(out, np.stack([np.arange(3.0), 2 * np.arange(3.0)], axis=1))


def test_astype_and_copy_on_tracers() -> None:
    _same(fnp.astype(np.array([1.5, -2.5]), np.int32), np.array([1, -2], np.int32))
    g = fd.grad(lambda x: fnp.sum(fnp.astype(x, np.float32) * 2.0))(np.ones(2))
    _same(g, 2.0 * np.ones(2))
    g = fd.grad(lambda x: fnp.sum(fnp.astype(x, np.int64) * 1.0))(np.ones(2))
    _same(g, np.zeros(2))
    g = fd.grad(lambda x: fnp.sum(fnp.copy(x) * 3.0))(np.ones(2))
    _same(g, 3.0 * np.ones(2))


def test_dtype_helpers() -> None:
    assert fnp.float64 is np.float64 and fnp.int32 is np.int32 and fnp.bool_ is np.bool_
    assert fnp.complex128 is np.complex128 and fnp.float32 is np.float32
    assert fnp.ndarray is np.ndarray and fnp.dtype is np.dtype
    assert fnp.finfo(np.float64).eps == np.finfo(np.float64).eps
    assert fnp.iinfo(np.int32).max == np.iinfo(np.int32).max
    assert fnp.issubdtype(np.float32, fnp.floating)
    assert not fnp.issubdtype(np.int8, fnp.floating)
    assert fnp.result_type(np.ones(2, np.float32), 2.0) == np.float32
    assert fnp.result_type(np.int32, np.float32) == np.float64
    assert fnp.promote_types(np.int8, np.uint8) == np.int16
    assert fnp.isscalar(1.0) and fnp.isscalar(np.float32(1)) and not fnp.isscalar(np.ones(1))
    assert fnp.can_cast(np.int32, np.float64) and not fnp.can_cast(np.float64, np.int32)

    def f(x: Any) -> Any:
        assert isinstance(x, Tracer)
        assert fnp.result_type(x, 1.0) == np.float32
        assert fnp.result_type(x, np.float64) == np.float64
        assert not fnp.isscalar(x)
        assert fnp.can_cast(x, np.float64)
        return fnp.sum(x)

    fd.grad(f)(np.ones(2, np.float32))


# ---------------------------------------------------------------------------
# linspace, logspace, geomspace
# ---------------------------------------------------------------------------

LINSPACE_CASES = [
    ((0.0, 1.0), {}),
    ((0.0, 1.0, 5), {}),
    ((2.0, -3.0, 7), {"endpoint": False}),
    ((0.0, 1.0, 1), {}),
    ((0.0, 1.0, 1), {"endpoint": False}),
    ((0.0, 1.0, 0), {}),
    ((0.0, 10.0, 4), {"dtype": np.int64}),
    ((-1.0, 10.0, 6), {"dtype": np.int32}),
    ((np.array([0.0, 1.0]), np.array([1.0, 3.0]), 4), {}),
    ((np.array([0.0, 1.0]), 5.0, 3), {"axis": 1}),
    ((np.array([[0.0], [1.0]]), np.array([1.0, 2.0, 3.0]), 3), {"axis": -1}),
    ((np.float32(0.0), np.float32(1.0), 3), {}),
    ((0, 5, 6), {}),
    ((1.0, 1.0, 3), {}),
]


def _np_linspace(*args: Any, **kw: Any) -> np.ndarray:
    """numpy's linspace in numpy 2's dtype (numpy 1.x makes float32 scalars float64)."""
    want = np.linspace(*args, **kw)
    if "dtype" in kw:
        return want
    return want.astype(result_type(args[0], args[1], float(args[2]) if len(args) > 2 else 1.0))


@pytest.mark.parametrize("args, kw", LINSPACE_CASES)
def test_linspace_values(args: tuple[Any, ...], kw: dict[str, Any]) -> None:
    _same(fnp.linspace(*args, **kw), _np_linspace(*args, **kw))
    start, stop, *rest = args
    # the traced path gives the same values
    if np.ndim(start) == 0 and np.ndim(stop) == 0:
        s = np.asarray(start)
        got = fd.vmap(lambda a: fnp.linspace(a, stop, *rest, **kw))(np.stack([s, s]))
        want = _np_linspace(*args, **kw)
        _same(got[1], want, rtol=1e-12)


def test_linspace_retstep() -> None:
    y, step = fnp.linspace(0.0, 2.0, 5, retstep=True)
    wy, wstep = np.linspace(0.0, 2.0, 5, retstep=True)
    _same(y, wy)
    assert step == wstep

    def f(a: Any) -> Any:
        _, step = fnp.linspace(a, 2.0, 5, retstep=True)
        return step

    _same(fd.grad(f)(0.0), np.asarray(-0.25))


@pytest.mark.parametrize("endpoint", [True, False])
def test_linspace_grads(endpoint: bool) -> None:
    def f(a: Any, b: Any) -> Any:
        return fnp.linspace(a, b, 5, endpoint=endpoint)

    check_grads(f, (0.3, 2.0), order=2)
    ja, jb = fd.jacrev(f, argnums=(0, 1))(0.3, 2.0)
    t = np.arange(5) / (4 if endpoint else 5)
    _same(ja, 1 - t)
    _same(jb, t)
    jfa, jfb = fd.jacfwd(f, argnums=(0, 1))(0.3, 2.0)
    _same(jfa, 1 - t)
    _same(jfb, t)
    check_grads(
        lambda a, b: fnp.linspace(a, b, 4, axis=1, endpoint=endpoint),
        (np.array([0.0, 1.0]), np.array([[1.0, 2.0], [3.0, 4.0]])),
        order=2,
    )


def test_linspace_vmap_and_stop_only_traced() -> None:
    starts = np.array([0.0, 1.0, -2.0])
    got = fd.vmap(lambda a: fnp.linspace(a, 4.0, 5))(starts)
    _same(got, np.stack([np.linspace(a, 4.0, 5) for a in starts]))
    got = fd.vmap(lambda b: fnp.linspace(np.array([0.0, 1.0]), b, 3, axis=-1))(starts)
    _same(got, np.stack([np.linspace(np.array([0.0, 1.0]), b, 3, axis=-1) for b in starts]))
    with pytest.raises(ValueError, match="non-negative"):
        fnp.linspace(0.0, 1.0, -1)


def _np_logspace(*args: Any, **kw: Any) -> np.ndarray:
    """numpy's logspace; with scalar ends, an array base (numpy >= 1.25) gives one
    logspace per base, stacked on the last axis."""
    base = kw.pop("base", 10.0)
    if np.ndim(base) == 0:
        return np.logspace(*args, base=base, **kw)
    return np.stack([np.logspace(*args, base=b, **kw) for b in np.ravel(base)], axis=-1)


@pytest.mark.parametrize(
    "args, kw",
    [
        ((0.0, 2.0, 3), {}),
        ((0.0, 2.0, 4), {"endpoint": False, "base": 2.0}),
        ((np.array([0.0, 1.0]), 3.0, 3), {"axis": 1}),
        ((1.0, 2.0, 3), {"dtype": np.float32}),
        ((0.0, 1.0, 3), {"base": np.array([2.0, 3.0])}),
    ],
)
def test_logspace(args: tuple[Any, ...], kw: dict[str, Any]) -> None:
    want = _np_logspace(*args, **kw)
    _same(fnp.logspace(*args, **kw), want)
    start, stop, num = args
    kw2 = {k: v for k, v in kw.items() if k != "dtype"}
    got = fd.vmap(lambda s: fnp.logspace(s, stop, num, **kw2), in_axes=0)(
        np.stack([np.asarray(start), np.asarray(start)])
    )
    _same(got[0], _np_logspace(*args, **kw2), rtol=1e-12)
    check_grads(lambda s, t: fnp.logspace(s, t, num, **kw2), (start, stop), order=2)


def test_logspace_base_grad() -> None:
    g = fd.grad(lambda b: fnp.sum(fnp.logspace(0.0, 2.0, 3, base=b)))(10.0)
    _same(g, np.asarray(21.0))  # d/db (1 + b + b^2) = 1 + 2b


@pytest.mark.parametrize(
    "args, kw",
    [
        ((1.0, 1000.0, 4), {}),
        ((-1.0, -1000.0, 4), {}),
        ((2.0, 32.0, 5), {"endpoint": False}),
        ((1.0, 8.0, 1), {}),
        ((np.array([1.0, 10.0]), 100.0, 3), {"axis": 1}),
        ((1.0, 256.0, 9), {"dtype": np.int64}),
        ((1000.0, 1.0, 4), {}),
    ],
)
def test_geomspace(args: tuple[Any, ...], kw: dict[str, Any]) -> None:
    want = np.geomspace(*args, **kw)
    _same(fnp.geomspace(*args, **kw), want)
    start, stop, num = args
    if "dtype" not in kw:  # (integer results of rounded powers may differ by one)
        got = fd.vmap(lambda s: fnp.geomspace(s, stop, num, **kw))(
            np.stack([np.asarray(start), np.asarray(start)])
        )
        _same(got[1], want, rtol=1e-12)
        check_grads(lambda s, t: fnp.geomspace(s, t, num, **kw), (start, stop), order=2)


def test_geomspace_derivative_and_zero() -> None:
    # geomspace(s, 100, 3) = [s, sqrt(100 s), 100]
    _same(fd.jacfwd(lambda s: fnp.geomspace(s, 100.0, 3))(1.0), np.array([1.0, 5.0, 0.0]))
    _same(fd.jacrev(lambda s: fnp.geomspace(s, 100.0, 3))(4.0), np.array([1.0, 2.5, 0.0]))
    with pytest.raises(ValueError, match="zero"):
        fnp.geomspace(0.0, 1.0, 3)
    with pytest.raises(ValueError, match="zero"):
        fd.grad(lambda s: fnp.sum(fnp.geomspace(s, 1.0, 3)))(0.0)


# ---------------------------------------------------------------------------
# meshgrid
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("shapes", [[(3,)], [(3,), (2,)], [(3,), (2,), (4,)], [(2, 2), (3,)]])
def test_meshgrid(indexing: str, sparse: bool, shapes: list[tuple[int, ...]]) -> None:
    xs = [_x(*s, seed=i) for i, s in enumerate(shapes)]
    want = np.meshgrid(*xs, indexing=indexing, sparse=sparse)
    got = fnp.meshgrid(*xs, indexing=indexing, sparse=sparse)
    assert isinstance(got, tuple) and len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        _same(g, w)

    # traced inputs give the same values and are differentiable
    def f(*vs: Any) -> Any:
        return fnp.meshgrid(*vs, indexing=indexing, sparse=sparse)

    traced = fd.vmap(f)(*[np.stack([x, x]) for x in xs])
    for g, w in zip(traced, want, strict=True):
        _same(g[1], w)
    check_grads(f, tuple(xs), order=2)


def test_meshgrid_grad_and_errors() -> None:
    x, y = np.arange(3.0), np.arange(2.0)
    gx = fd.grad(lambda a: fnp.sum(fnp.meshgrid(a, y)[0]))(x)
    _same(gx, 2.0 * np.ones(3))
    with pytest.raises(ValueError, match="indexing"):
        fnp.meshgrid(x, y, indexing="xx")


# ---------------------------------------------------------------------------
# tril, triu, diagflat
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 3), (2, 3, 4), (4,)])
@pytest.mark.parametrize("k", [-1, 0, 2])
def test_tril_triu(name: str, shape: tuple[int, ...], k: int) -> None:
    m = _x(*shape)
    f = getattr(fnp, name)
    want = getattr(np, name)(m, k)
    _same(f(m, k), want)
    _same(fd.vmap(lambda v: f(v, k))(np.stack([m, m]))[0], want)
    check_grads(lambda v: f(v, k), (m,), order=2)
    g = fd.grad(lambda v: fnp.sum(f(v, k)))(m)
    ones = getattr(np, name)(np.ones(shape), k)
    _same(g, ones if len(shape) > 1 else ones.sum(axis=0))  # 1-D input: rows broadcast


def test_tril_int_and_errors() -> None:
    _same(fnp.tril(np.arange(9).reshape(3, 3)), np.tril(np.arange(9).reshape(3, 3)))
    with pytest.raises(ValueError, match="0-d"):
        fd.grad(lambda x: fnp.sum(fnp.tril(x)))(1.0)


@pytest.mark.parametrize("shape, k", [((3,), 0), ((2, 2), 1), ((2, 2), -2), ((1, 3), 0)])
def test_diagflat(shape: tuple[int, ...], k: int) -> None:
    v = _x(*shape)
    _same(fnp.diagflat(v, k), np.diagflat(v, k))
    check_grads(lambda x: fnp.diagflat(x, k), (v,), order=2)
    _same(fd.vmap(lambda x: fnp.diagflat(x, k))(np.stack([v, v]))[1], np.diagflat(v, k))

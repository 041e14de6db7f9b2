"""Reductions: values against numpy, derivatives (finite differences and
analytic forms, both modes, second order), vmap against loops, errors."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._compat import AxisError
from funcdiff.checking import check_grads
from funcdiff.core.primitive import REGISTRY
from funcdiff.core.trace import bind
from funcdiff.primitives import reductions as red

RNG = np.random.default_rng(1234)


def _x(shape: tuple[int, ...], dtype: Any = np.float64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.bool_:
        return rng.uniform(size=shape) > 0.4
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 5, size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


def _same(got: Any, want: Any, rtol: float = 1e-7, atol: float = 1e-12) -> None:
    got_a, want_a = np.asarray(got), np.asarray(want)
    assert got_a.shape == want_a.shape, (got_a.shape, want_a.shape)
    assert got_a.dtype == want_a.dtype, (got_a.dtype, want_a.dtype)
    if want_a.dtype.kind in "biu":
        np.testing.assert_array_equal(got_a, want_a)
    else:
        np.testing.assert_allclose(got_a, want_a, rtol=rtol, atol=atol, equal_nan=True)


def _tol(dtype: Any) -> dict[str, float]:
    return {"rtol": 2e-5, "atol": 1e-5} if np.dtype(dtype) in (np.float32,) else {}


def _fd_grad(f: Callable[[np.ndarray], Any], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of a scalar function, one coordinate at a time."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (float(f(x + e)) - float(f(x - e))) / (2 * eps)
    return g


def _fd_jac(f: Callable[[np.ndarray], Any], x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central finite differences of an array function: shape out.shape + x.shape."""
    out_shape = np.shape(f(x))
    jac = np.zeros(out_shape + x.shape)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        jac[(..., *i)] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps)
    return jac


# ---------------------------------------------------------------------------
# values against numpy: many axis / keepdims / dtype combinations
# ---------------------------------------------------------------------------

AXES = [None, 0, 1, -1, (0, 2), (-1, 0), (), (0, 1, 2)]
DTYPES = [np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_]
PLAIN = [
    "sum",
    "mean",
    "prod",
    "max",
    "min",
    "amax",
    "amin",
    "all",
    "any",
    "count_nonzero",
    "var",
    "std",
    "ptp",
    "nansum",
    "nanmean",
    "nanmax",
    "nanmin",
]


def _compare(name: str, x: np.ndarray, **kw: Any) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = getattr(np, name)(x, **kw)
    except (TypeError, ValueError) as e:
        with pytest.raises(type(e)), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            getattr(fnp, name)(x, **kw)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = getattr(fnp, name)(x, **kw)
    _same(got, want, **_tol(np.asarray(want).dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", PLAIN)
def test_values_match_numpy(name: str, dtype: Any) -> None:
    x = _x((2, 3, 4), dtype)
    for axis in AXES:
        for keepdims in (False, True):
            _compare(name, x, axis=axis, keepdims=keepdims)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_extrema_match_numpy(name: str, dtype: Any) -> None:
    x = _x((3, 4, 5), dtype)
    for axis in (None, 0, 1, 2, -1):
        for keepdims in (False, True):
            _compare(name, x, axis=axis, keepdims=keepdims)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_scans_match_numpy(name: str, dtype: Any) -> None:
    for shape in [(7,), (3, 5), (2, 3, 4), (1,), (0,), ()]:
        x = _x(shape, dtype)
        axes: list[Any] = [None, *range(len(shape)), *(-a - 1 for a in range(len(shape)))]
        for axis in axes:
            _compare(name, x, axis=axis)


@pytest.mark.parametrize(
    "name,kw",
    [
        ("sum", {"dtype": np.float32}),
        ("sum", {"dtype": np.int8}),
        ("mean", {"dtype": np.float32}),
        ("prod", {"dtype": np.float64}),
        ("cumsum", {"dtype": np.float32, "axis": 1}),
        ("cumprod", {"dtype": np.int64, "axis": 0}),
        ("var", {"dtype": np.float32}),
        ("std", {"ddof": 1, "axis": 1}),
        ("var", {"ddof": 2, "axis": (0, 1)}),
        ("sum", {"initial": 10, "axis": 1}),
        ("prod", {"initial": 2, "axis": 0}),
        ("max", {"initial": 3, "axis": 1}),
        ("min", {"initial": -1, "axis": 0}),
        ("nanmax", {"initial": 0.5, "axis": 0}),
    ],
)
def test_dtype_ddof_initial(name: str, kw: dict[str, Any]) -> None:
    for dtype in (np.float64, np.int32):
        _compare(name, _x((3, 4), dtype), **kw)


def test_var_correction_is_ddof() -> None:
    # correction= is the array API's name for ddof= (numpy >= 2 accepts both)
    for dtype in (np.float64, np.int32):
        x = _x((3, 4), dtype)
        _same(fnp.var(x, correction=1, axis=0), np.var(x, ddof=1, axis=0))
        _same(fnp.std(x, correction=2), np.std(x, ddof=2))


def test_where_masks_match_numpy() -> None:
    x = _x((3, 4))
    w = _x((3, 4), np.bool_, seed=5)
    w_row = np.array([True, False, True, True])  # broadcasts
    for mask in (w, w_row):
        for axis in (None, 0, 1):
            _compare("sum", x, axis=axis, where=mask)
            _compare("prod", x, axis=axis, where=mask)
            _compare("mean", x, axis=axis, where=mask)
            _compare("var", x, axis=axis, where=mask)
            _compare("std", x, axis=axis, where=mask, ddof=1)
            _compare("max", x, axis=axis, where=mask, initial=-10.0)
            _compare("min", x, axis=axis, where=mask, initial=10.0)
            _compare("all", x > 0, axis=axis, where=mask)
            _compare("any", x > 0, axis=axis, where=mask)
            _compare("nanmean", x, axis=axis, where=mask)


def test_result_dtypes() -> None:
    i32 = np.arange(6, dtype=np.int32).reshape(2, 3)
    assert fnp.sum(i32).dtype == np.int64
    assert fnp.sum(np.ones(3, bool)).dtype == np.int64
    assert fnp.sum(np.ones(3, np.uint8)).dtype == np.uint64
    assert fnp.mean(i32).dtype == np.float64
    assert fnp.var(i32).dtype == np.float64
    assert fnp.mean(np.ones(3, np.float16)).dtype == np.float16
    assert fnp.sum(np.ones(3, np.float32)).dtype == np.float32
    assert fnp.argmax(i32).dtype == np.int64
    assert fnp.max(i32).dtype == np.int32
    assert fnp.all(i32).dtype == np.bool_
    assert fnp.linalg.norm(i32).dtype == np.float64
    assert fnp.linalg.norm(np.ones(3, np.float32)).dtype == np.float32
    assert fnp.cumsum(np.ones(3, np.int16)).dtype == np.int64


def test_mean_int_dtype_truncates_like_numpy() -> None:
    _compare("mean", np.arange(4), dtype=np.int64)


def test_python_and_list_inputs() -> None:
    _same(fnp.sum([1, 2, 3]), np.sum([1, 2, 3]))
    _same(fnp.mean([[1.0, 2.0], [3.0, 4.0]], axis=0), np.mean([[1.0, 2.0], [3.0, 4.0]], axis=0))
    _same(fnp.max(3.0), np.max(3.0))
    _same(fnp.prod(2), np.prod(2))
    _same(fnp.cumsum(5.0), np.cumsum(5.0))


def test_average_matches_numpy() -> None:
    a = _x((2, 3, 4))
    w_full = np.abs(_x((2, 3, 4), seed=1)) + 0.1
    _same(fnp.average(a), np.average(a))
    _same(fnp.average(a, axis=1), np.average(a, axis=1))
    _same(fnp.average(a, weights=w_full), np.average(a, weights=w_full))
    _same(fnp.average(a, axis=(0, 2), weights=w_full), np.average(a, axis=(0, 2), weights=w_full))
    w1 = np.array([1.0, 2.0, 3.0])
    _same(fnp.average(a, axis=1, weights=w1), np.average(a, axis=1, weights=w1))
    w2 = np.abs(_x((4, 2), seed=2))
    # N-D weights over a tuple axis (numpy >= 2): w2[k, i] weighs a[i, :, k]
    _same(fnp.average(a, axis=(2, 0), weights=w2), np.einsum("ijk,ki->j", a, w2) / np.sum(w2))
    for kw in ({"axis": 1, "weights": w1}, {"axis": None}, {"axis": 0}):
        got = fnp.average(a, returned=True, keepdims=True, **kw)
        want = np.average(a, returned=True, keepdims=True, **kw)
        _same(got[0], want[0])
        _same(got[1], want[1])
    ints = np.arange(6).reshape(2, 3)
    _same(fnp.average(ints, axis=1, weights=[1, 1, 2]), np.average(ints, axis=1, weights=[1, 1, 2]))


def test_average_errors() -> None:
    a = np.ones((2, 3))
    with pytest.raises(ZeroDivisionError, match="sum to zero"):
        fnp.average(a, axis=1, weights=np.zeros(3))
    with pytest.raises(TypeError, match="axis must be specified"):
        fnp.average(a, weights=np.ones(3))
    with pytest.raises(ValueError, match="not consistent"):
        fnp.average(a, axis=0, weights=np.ones(3))


def test_tracer_methods() -> None:
    x = _x((3, 4))

    def f(x: Any) -> Any:
        return x.sum() + x.mean(axis=0).sum() + x.max() + x.prod() + x.var() + x.std(axis=1).sum()

    want = x.sum() + x.mean(axis=0).sum() + x.max() + x.prod() + x.var() + x.std(axis=1).sum()
    np.testing.assert_allclose(fd.grad(f)(x).shape, x.shape)
    np.testing.assert_allclose(fd.value_and_grad(f)(x)[0], want)


# ---------------------------------------------------------------------------
# empty reductions
# ---------------------------------------------------------------------------


def test_empty_reductions_follow_numpy() -> None:
    e = np.zeros((0, 3))
    _same(fnp.sum(e), np.sum(e))
    _same(fnp.sum(e, axis=0), np.sum(e, axis=0))
    _same(fnp.prod(e, axis=0), np.prod(e, axis=0))
    _same(fnp.prod(np.zeros(0)), np.prod(np.zeros(0)))
    _same(fnp.max(e, axis=1), np.max(e, axis=1))
    _same(fnp.max(e, axis=0, initial=-1.0), np.max(e, axis=0, initial=-1.0))
    _same(fnp.all(e, axis=0), np.all(e, axis=0))
    _same(fnp.any(e), np.any(e))
    _same(fnp.count_nonzero(e, axis=0), np.count_nonzero(e, axis=0))
    _same(fnp.cumsum(e, axis=0), np.cumsum(e, axis=0))
    _same(fnp.cumprod(e, axis=0), np.cumprod(e, axis=0))
    with pytest.warns(RuntimeWarning):
        _same(fnp.mean(e, axis=0), np.full(3, np.nan))
    for name in ("max", "min", "amax", "ptp", "nanmax"):
        with pytest.raises(ValueError, match="zero-size array to reduction operation"):
            getattr(fnp, name)(e, axis=0)
    with pytest.raises(ValueError, match="empty sequence"):
        fnp.argmax(e, axis=0)
    with pytest.raises(ValueError, match="empty sequence"):
        fnp.argmin(np.zeros(0))
    _same(fnp.argmax(np.zeros((3, 0)), axis=0), np.argmax(np.zeros((3, 0)), axis=0))


def test_grad_of_empty_product() -> None:
    g = fd.grad(lambda x: fnp.prod(x))(np.zeros(0))
    assert g.shape == (0,)


# ---------------------------------------------------------------------------
# NaN semantics
# ---------------------------------------------------------------------------


def test_argmax_nan_wins_first_occurrence() -> None:
    x = np.array([1.0, np.nan, 5.0, np.nan])
    assert int(fnp.argmax(x)) == int(np.argmax(x)) == 1
    assert int(fnp.argmin(x)) == int(np.argmin(x)) == 1
    m = np.array([[1.0, 3.0, 3.0], [np.nan, 0.0, np.nan], [2.0, 2.0, -1.0]])
    for axis in (0, 1, None):
        _same(fnp.argmax(m, axis=axis), np.argmax(m, axis=axis))
        _same(fnp.argmin(m, axis=axis), np.argmin(m, axis=axis))
    # ties: first occurrence
    assert int(fnp.argmax(np.array([2.0, 7.0, 7.0]))) == 1
    assert int(fnp.argmin(np.array([2.0, 1.0, 1.0]))) == 1


def test_nan_propagates_and_nan_functions_skip() -> None:
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan], [4.0, 5.0, 6.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in (
            "sum",
            "mean",
            "max",
            "min",
            "prod",
            "var",
            "std",
            "nansum",
            "nanmean",
            "nanmax",
            "nanmin",
        ):
            for axis in (None, 0, 1):
                _same(getattr(fnp, name)(x, axis=axis), getattr(np, name)(x, axis=axis))
    with pytest.warns(RuntimeWarning, match="All-NaN"):
        fnp.nanmax(x, axis=1)


@pytest.mark.parametrize("name", ["nansum", "nanmean", "nanmax", "nanmin"])
def test_nan_function_gradients_are_zero_at_nans(name: str) -> None:
    x = np.array([[1.0, np.nan, 3.0], [np.nan, 2.5, -1.0]])
    fn = getattr(fnp, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for axis in (None, 0, 1):
            g = fd.grad(lambda v, axis=axis: fnp.sum(fn(v, axis=axis)))(x)
            assert np.all(g[np.isnan(x)] == 0.0)
            assert np.all(np.isfinite(g))
            clean = np.where(np.isnan(x), 0.0, x)

            def masked(v: np.ndarray, axis: Any = axis) -> Any:
                return np.sum(getattr(np, name)(np.where(np.isnan(x), np.nan, v), axis=axis))

            want = _fd_grad(masked, clean)
            want[np.isnan(x)] = 0.0
            np.testing.assert_allclose(g, want, atol=1e-6)


def test_all_nan_slice_gradient_is_zero() -> None:
    x = np.array([[np.nan, np.nan], [1.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = fd.grad(lambda v: fnp.nansum(fnp.nanmean(v, axis=1)))(x)
        g2 = fd.grad(lambda v: fnp.nansum(fnp.nanmax(v, axis=1)))(x)
    np.testing.assert_array_equal(g, [[0.0, 0.0], [0.5, 0.5]])
    np.testing.assert_array_equal(g2, [[0.0, 0.0], [0.0, 1.0]])


# ---------------------------------------------------------------------------
# derivatives: finite differences (both modes, second order) and analytic forms
# ---------------------------------------------------------------------------

DIFF_CASES: list[tuple[str, Callable[[Any], Any]]] = [
    ("sum", lambda x: fnp.sum(x, axis=1)),
    ("sum_all", lambda x: fnp.sum(x)),
    ("sum_where", lambda x: fnp.sum(x, axis=0, where=np.array([True, False, True, True]))),
    ("mean", lambda x: fnp.mean(x, axis=(0, 2), keepdims=True)),
    ("prod", lambda x: fnp.prod(x, axis=1)),
    ("prod_all", lambda x: fnp.prod(x)),
    ("prod_two_axes", lambda x: fnp.prod(x, axis=(0, 2))),
    ("max", lambda x: fnp.max(x, axis=-1)),
    ("min", lambda x: fnp.min(x, axis=(0, 1))),
    ("max_initial", lambda x: fnp.max(x, axis=0, initial=0.0)),
    ("ptp", lambda x: fnp.ptp(x, axis=1)),
    ("var", lambda x: fnp.var(x, axis=1)),
    ("var_ddof", lambda x: fnp.var(x, axis=(0, 2), ddof=1)),
    ("std", lambda x: fnp.std(x, axis=0)),
    ("std_all", lambda x: fnp.std(x, ddof=1)),
    ("cumsum", lambda x: fnp.cumsum(x, axis=1)),
    ("cumsum_flat", lambda x: fnp.cumsum(x)),
    ("cumprod", lambda x: fnp.cumprod(x, axis=2)),
    ("cumprod_flat", lambda x: fnp.cumprod(x)),
    ("average", lambda x: fnp.average(x, axis=1, weights=np.array([1.0, 2.0, 0.5]))),
    ("average_w", lambda x: fnp.average(x[0], axis=0, weights=fnp.exp(x[1]))),
    ("nansum", lambda x: fnp.nansum(x, axis=2)),
    ("nanmean", lambda x: fnp.nanmean(x, axis=0)),
    ("nanmax", lambda x: fnp.nanmax(x, axis=1)),
    ("norm", lambda x: fnp.linalg.norm(x)),
    ("norm_axis", lambda x: fnp.linalg.norm(x, axis=1)),
    ("norm_l1", lambda x: fnp.linalg.norm(x, ord=1, axis=2)),
    ("norm_p3", lambda x: fnp.linalg.norm(x, ord=3, axis=0)),
    ("norm_p1_5", lambda x: fnp.linalg.norm(x, ord=1.5, axis=-1)),
    ("norm_neg", lambda x: fnp.linalg.norm(x, ord=-2, axis=0)),
    ("norm_inf", lambda x: fnp.linalg.norm(x, ord=np.inf, axis=1)),
    ("norm_fro", lambda x: fnp.linalg.norm(x, ord="fro", axis=(0, 2))),
    ("norm_mat1", lambda x: fnp.linalg.norm(x, ord=1, axis=(1, 2))),
    ("norm_matinf", lambda x: fnp.linalg.norm(x, ord=np.inf, axis=(2, 0))),
    ("norm_mat-1", lambda x: fnp.linalg.norm(x, ord=-1, axis=(0, 1), keepdims=True)),
]


@pytest.mark.parametrize("name,f", DIFF_CASES, ids=[c[0] for c in DIFF_CASES])
def test_derivatives_against_finite_differences(name: str, f: Callable[[Any], Any]) -> None:
    # distinct, well-separated entries away from 0: every function is smooth here
    x = np.linspace(0.5, 2.5, 24)
    x = RNG.permutation(x).reshape(2, 3, 4)
    x = x * np.where(RNG.uniform(size=x.shape) > 0.5, 1.0, -1.0) if "cumprod" in name else x
    check_grads(f, (x,), order=2, modes=("fwd", "rev"))


def test_grad_and_jacfwd_agree_with_fd_jacobian() -> None:
    x = RNG.normal(size=(3, 4))
    for f in (
        lambda v: fnp.prod(v, axis=0),
        lambda v: fnp.cumprod(v, axis=1),
        lambda v: fnp.max(v, axis=1),
        lambda v: fnp.std(v, axis=0),
    ):
        want = _fd_jac(f, x)
        np.testing.assert_allclose(fd.jacrev(f)(x), want, atol=1e-6)
        np.testing.assert_allclose(fd.jacfwd(f)(x), want, atol=1e-6)


def test_max_ties_split_evenly() -> None:
    x = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    np.testing.assert_allclose(fd.grad(fnp.max)(x), [0, 1 / 3, 1 / 3, 0, 1 / 3])
    np.testing.assert_allclose(fd.grad(fnp.min)(-x), [0, 1 / 3, 1 / 3, 0, 1 / 3])
    m = np.array([[1.0, 1.0], [0.0, 2.0]])
    g = fd.grad(lambda v: fnp.sum(fnp.max(v, axis=1) * np.array([1.0, 10.0])))(m)
    np.testing.assert_allclose(g, [[0.5, 0.5], [0.0, 10.0]])
    # forward mode: the mean of the tangents at the tied positions
    _, t = fd.jvp(fnp.max, (x,), (np.array([0.0, 1.0, 2.0, 5.0, 3.0]),))
    np.testing.assert_allclose(t, 2.0)
    # hessian of max is zero (piecewise linear)
    np.testing.assert_allclose(fd.hessian(fnp.max)(x), np.zeros((5, 5)))
    # ptp with ties at both ends
    np.testing.assert_allclose(fd.grad(fnp.ptp)(np.array([0.0, 0.0, 1.0])), [-0.5, -0.5, 1.0])


def _prod_grad_analytic(x: np.ndarray) -> np.ndarray:
    return np.array([np.prod(np.delete(x, i)) for i in range(x.size)])


@pytest.mark.parametrize(
    "x",
    [
        [2.0, 3.0, 4.0],
        [0.0, 3.0, 4.0],
        [2.0, 0.0, 4.0, 5.0, -1.0],
        [0.0, 0.0, 4.0],
        [0.0, 3.0, 0.0, 7.0, 1.5, 2.0, -2.0],
        [5.0],
    ],
)
def test_prod_gradient_exact_with_zeros(x: list[float]) -> None:
    xa = np.array(x)
    want = _prod_grad_analytic(xa)
    np.testing.assert_allclose(fd.grad(fnp.prod)(xa), want)
    np.testing.assert_allclose(fd.jacfwd(fnp.prod)(xa), want)
    # cumprod: its last entry is the product, with the same exact gradient
    np.testing.assert_allclose(fd.grad(lambda v: fnp.cumprod(v)[-1])(xa), want)


def test_prod_hessian_with_zeros() -> None:
    x = np.array([0.0, 2.0, 0.0, 3.0, 1.5])
    h = fd.hessian(fnp.prod)(x)
    want = np.zeros((5, 5))
    for i in range(5):
        for j in range(5):
            if i != j:
                want[i, j] = np.prod(np.delete(x, [i, j]))
    np.testing.assert_allclose(h, want)
    np.testing.assert_allclose(h, _fd_jac(fd.grad(fnp.prod), x), atol=1e-6)
    y = np.array([1.5, -2.0, 0.5, 3.0])
    np.testing.assert_allclose(
        fd.hessian(lambda v: fnp.prod(v, axis=0).sum())(y),
        _fd_jac(fd.grad(lambda v: fnp.prod(v, axis=0).sum()), y),
        atol=1e-6,
    )


def test_cumprod_jacobian_with_zeros() -> None:
    x = np.array([2.0, 0.0, 3.0, 0.0, -1.5])
    jac = fd.jacrev(fnp.cumprod)(x)
    want = np.zeros((5, 5))
    for k in range(5):
        for i in range(k + 1):
            want[k, i] = np.prod(np.delete(x[: k + 1], i))
    np.testing.assert_allclose(jac, want)
    np.testing.assert_allclose(fd.jacfwd(fnp.cumprod)(x), want)


def test_var_std_analytic() -> None:
    x = np.array([1.0, 2.0, 4.0, 7.0])
    n = x.size
    for ddof in (0, 1):
        g = fd.grad(lambda v, d=ddof: fnp.var(v, ddof=d))(x)
        np.testing.assert_allclose(g, 2 * (x - x.mean()) / (n - ddof))
        gs = fd.grad(lambda v, d=ddof: fnp.std(v, ddof=d))(x)
        np.testing.assert_allclose(gs, (x - x.mean()) / ((n - ddof) * np.std(x, ddof=ddof)))
    # hessian of var is (I - 1/n) * 2 / n
    np.testing.assert_allclose(fd.hessian(fnp.var)(x), (np.eye(n) - 1.0 / n) * 2 / n)
    # std at a constant input: a zero subgradient, not NaN
    np.testing.assert_array_equal(fd.grad(fnp.std)(np.full(3, 2.0)), np.zeros(3))


def test_mean_gradient() -> None:
    x = _x((3, 4))
    np.testing.assert_allclose(fd.grad(fnp.mean)(x), np.full((3, 4), 1 / 12))
    np.testing.assert_allclose(
        fd.grad(lambda v: fnp.sum(fnp.mean(v, axis=0)))(x), np.full((3, 4), 1 / 3)
    )


# ---------------------------------------------------------------------------
# norm
# ---------------------------------------------------------------------------

VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 0, 3, 0.5, -1, -2.5]
MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]


def test_norm_values_match_numpy() -> None:
    v = _x((5,))
    m = _x((3, 4))
    t = _x((2, 3, 4))
    for ord_ in VECTOR_ORDS:
        for keepdims in (False, True):
            _same(
                fnp.linalg.norm(v, ord_, keepdims=keepdims),
                np.linalg.norm(v, ord_, keepdims=keepdims),
            )
            for axis in (0, 1, -1):
                _same(
                    fnp.linalg.norm(t, ord_, axis=axis, keepdims=keepdims),
                    np.linalg.norm(t, ord_, axis=axis, keepdims=keepdims),
                )
    for ord_ in MATRIX_ORDS:
        for keepdims in (False, True):
            _same(
                fnp.linalg.norm(m, ord_, keepdims=keepdims),
                np.linalg.norm(m, ord_, keepdims=keepdims),
            )
            for axis in ((0, 1), (1, 0), (2, 0), (-1, -2), (0, 2)):
                _same(
                    fnp.linalg.norm(t, ord_, axis=axis, keepdims=keepdims),
                    np.linalg.norm(t, ord_, axis=axis, keepdims=keepdims),
                )
    for keepdims in (False, True):
        _same(fnp.linalg.norm(t, keepdims=keepdims), np.linalg.norm(t, keepdims=keepdims))
    _same(fnp.linalg.norm(np.arange(4)), np.linalg.norm(np.arange(4)))
    _same(fnp.linalg.norm(np.float64(-3.0)), np.linalg.norm(np.float64(-3.0)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z = np.array([0.0, 1.0, -2.0])
        for ord_ in VECTOR_ORDS:
            _same(fnp.linalg.norm(z, ord_), np.linalg.norm(z, ord_))


def test_norm_gradients_analytic() -> None:
    x = np.array([1.0, -2.0, 3.5, -0.5])
    n2 = np.linalg.norm(x)
    np.testing.assert_allclose(fd.grad(fnp.linalg.norm)(x), x / n2)
    np.testing.assert_allclose(fd.grad(lambda v: fnp.linalg.norm(v, 1))(x), np.sign(x))
    np.testing.assert_allclose(
        fd.grad(lambda v: fnp.linalg.norm(v, np.inf))(x), [0.0, 0.0, 1.0, 0.0]
    )
    np.testing.assert_allclose(
        fd.grad(lambda v: fnp.linalg.norm(v, -np.inf))(x), [0.0, 0.0, 0.0, -1.0]
    )
    np.testing.assert_allclose(fd.grad(lambda v: fnp.linalg.norm(v, 0))(x), np.zeros(4))
    p = 3.0
    np_ = np.linalg.norm(x, p)
    np.testing.assert_allclose(
        fd.grad(lambda v: fnp.linalg.norm(v, p))(x),
        np.sign(x) * np.abs(x) ** (p - 1) / np_ ** (p - 1),
    )
    m = np.array([[1.0, -2.0, 0.5], [3.0, 4.0, -1.0]])
    np.testing.assert_allclose(
        fd.grad(lambda v: fnp.linalg.norm(v, "fro"))(m), m / np.linalg.norm(m)
    )
    # ord=1: column 1 has the largest absolute sum
    g1 = fd.grad(lambda v: fnp.linalg.norm(v, 1))(m)
    np.testing.assert_allclose(g1, np.array([[0, 1, 0], [0, 1, 0]]) * np.sign(m))
    # ord=inf: row 1 has the largest absolute sum
    gi = fd.grad(lambda v: fnp.linalg.norm(v, np.inf))(m)
    np.testing.assert_allclose(gi, np.array([[0, 0, 0], [1, 1, 1]]) * np.sign(m))
    for ord_ in [*VECTOR_ORDS[:5], 3, 0.5]:
        want = _fd_grad(lambda v, o=ord_: np.linalg.norm(v, o), x)
        np.testing.assert_allclose(
            fd.grad(lambda v, o=ord_: fnp.linalg.norm(v, o))(x), want, atol=1e-6
        )
    for ord_ in MATRIX_ORDS:
        want = _fd_grad(lambda v, o=ord_: np.linalg.norm(v, o), m)
        np.testing.assert_allclose(
            fd.grad(lambda v, o=ord_: fnp.linalg.norm(v, o))(m), want, atol=1e-6
        )


def test_norm_safe_at_zero() -> None:
    z = np.zeros(4)
    for ord_ in (None, 2, 3, 1.5):
        g = fd.grad(lambda v, o=ord_: fnp.linalg.norm(v, o))(z)
        np.testing.assert_array_equal(g, np.zeros(4))
        np.testing.assert_array_equal(fd.jacfwd(lambda v, o=ord_: fnp.linalg.norm(v, o))(z), 0)
    g = fd.grad(lambda v: fnp.linalg.norm(v, "fro"))(np.zeros((2, 2)))
    np.testing.assert_array_equal(g, np.zeros((2, 2)))
    # a zero row in a batch of norms does not poison the others
    m = np.array([[0.0, 0.0], [3.0, 4.0]])
    g = fd.grad(lambda v: fnp.sum(fnp.linalg.norm(v, axis=1)))(m)
    np.testing.assert_allclose(g, [[0.0, 0.0], [0.6, 0.8]])
    # the second derivative at 0 does not exist (unbounded curvature): NaN, so
    # that no finite wrong number reaches e.g. hessian(norm(x)**2)
    assert np.all(np.isnan(fd.hessian(fnp.linalg.norm)(z)))


def test_norm_hessian_against_fd_of_grad() -> None:
    x = np.array([1.0, -2.0, 0.5])
    for ord_ in (None, 3, 1.5):
        f = lambda v, o=ord_: fnp.linalg.norm(v, o)  # noqa: E731
        np.testing.assert_allclose(fd.hessian(f)(x), _fd_jac(fd.grad(f), x), atol=1e-6)
    n = np.linalg.norm(x)
    np.testing.assert_allclose(
        fd.hessian(fnp.linalg.norm)(x), (np.eye(3) - np.outer(x, x) / n**2) / n
    )
    m = np.array([[1.0, -2.0], [3.0, 0.5]])
    f = lambda v: fnp.linalg.norm(v, "fro")  # noqa: E731
    np.testing.assert_allclose(fd.hessian(f)(m), _fd_jac(fd.grad(f), m), atol=1e-6)


def test_norm_errors() -> None:
    with pytest.raises(ValueError, match="invalid norm order 'fro' for vectors"):
        fnp.linalg.norm(np.ones(3), "fro")
    with pytest.raises(ValueError, match="invalid norm order 3 for matrices"):
        fnp.linalg.norm(np.ones((2, 2)), 3)
    with pytest.raises(ValueError, match="improper number of dimensions"):
        fnp.linalg.norm(np.ones((2, 2, 2)), 1)
    with pytest.raises(ValueError, match="improper number of dimensions"):
        fnp.linalg.norm(np.ones((2, 2, 2)), axis=(0, 1, 2))
    with pytest.raises(ValueError, match="repeated axis"):
        fnp.linalg.norm(np.ones((2, 2)), axis=(0, -2))
    with pytest.raises(AxisError, match="axis 2 is out of bounds"):
        fnp.linalg.norm(np.ones((2, 2)), axis=2)


# ---------------------------------------------------------------------------
# vmap against a Python loop, including batching over a non-leading axis
# ---------------------------------------------------------------------------

VMAP_CASES: list[tuple[str, Callable[[Any], Any]]] = [
    ("sum", lambda x: fnp.sum(x, axis=0)),
    ("mean_keep", lambda x: fnp.mean(x, axis=-1, keepdims=True)),
    ("prod", lambda x: fnp.prod(x, axis=1)),
    ("max", lambda x: fnp.max(x, axis=0)),
    ("min_all", lambda x: fnp.min(x)),
    ("argmax", lambda x: fnp.argmax(x, axis=1)),
    ("argmin_flat", lambda x: fnp.argmin(x)),
    ("argmax_keep", lambda x: fnp.argmax(x, axis=0, keepdims=True)),
    ("cumsum", lambda x: fnp.cumsum(x, axis=0)),
    ("cumsum_last", lambda x: fnp.cumsum(x, axis=-1)),
    ("cumprod", lambda x: fnp.cumprod(x, axis=1)),
    ("var", lambda x: fnp.var(x, axis=1, ddof=1)),
    ("std", lambda x: fnp.std(x)),
    ("ptp", lambda x: fnp.ptp(x, axis=0)),
    ("all", lambda x: fnp.all(x > 0, axis=1)),
    ("any", lambda x: fnp.any(x > 0, axis=0)),
    ("count_nonzero", lambda x: fnp.count_nonzero(x > 0, axis=1)),
    ("nanmax", lambda x: fnp.nanmax(x, axis=1)),
    ("nanmean", lambda x: fnp.nanmean(x, axis=0)),
    ("average", lambda x: fnp.average(x, axis=1, weights=np.array([1.0, 2.0, 3.0, 4.0]))),
    ("norm", lambda x: fnp.linalg.norm(x, axis=0)),
    ("norm_inf", lambda x: fnp.linalg.norm(x, np.inf, axis=1)),
    ("norm_mat1", lambda x: fnp.linalg.norm(x, 1)),
    ("norm_fro", lambda x: fnp.linalg.norm(x)),
]


@pytest.mark.parametrize("name,f", VMAP_CASES, ids=[c[0] for c in VMAP_CASES])
@pytest.mark.parametrize("in_axis", [0, 1, 2])
def test_vmap_matches_loop(name: str, f: Callable[[Any], Any], in_axis: int) -> None:
    # each batch member is a (3, 4) array; the batch of 5 sits at in_axis
    members = [_x((3, 4), seed=s) for s in range(5)]
    if "nan" in name:
        members[1][0, 2] = np.nan
    batched = np.stack(members, axis=in_axis)
    got = fd.vmap(f, in_axes=in_axis)(batched)
    want = np.stack([np.asarray(f(m)) for m in members])
    _same(got, want)


def test_vmap_of_grad_matches_loop() -> None:
    members = [_x((3, 4), seed=s) for s in range(4)]
    batched = np.stack(members, axis=1)
    for f in (
        lambda v: fnp.sum(fnp.max(v, axis=0)),
        lambda v: fnp.prod(v),
        lambda v: fnp.sum(fnp.cumsum(v, axis=1) ** 2),
        lambda v: fnp.std(v),
        lambda v: fnp.linalg.norm(v, 1),
    ):
        got = fd.vmap(fd.grad(f), in_axes=1, out_axes=1)(batched)
        want = np.stack([fd.grad(f)(m) for m in members], axis=1)
        np.testing.assert_allclose(got, want)


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "sum",
        "mean",
        "prod",
        "max",
        "min",
        "var",
        "std",
        "all",
        "any",
        "argmax",
        "cumsum",
        "cumprod",
        "count_nonzero",
        "ptp",
        "nanmax",
        "nansum",
    ],
)
def test_bad_axis_names_axis_and_ndim(name: str) -> None:
    x = np.ones((2, 3))
    with pytest.raises(AxisError, match=rf"{name}: axis 2 .*dimension 2"):
        getattr(fnp, name)(x, axis=2)
    with pytest.raises(AxisError, match=r"axis -3 .*dimension 2"):
        getattr(fnp, name)(x, axis=-3)
    with pytest.raises(ValueError, match="axis 5"):  # AxisError is a ValueError, as in numpy
        getattr(fnp, name)(x, axis=5)


def test_other_argument_errors() -> None:
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="repeated axis"):
        fnp.sum(x, axis=(0, -2))
    with pytest.raises(TypeError, match="axis must be"):
        fnp.sum(x, axis=1.5)
    with pytest.raises(TypeError, match="axis must be an integer"):
        fnp.argmax(x, axis=(0,))
    with pytest.raises(TypeError, match="out= is not supported"):
        fnp.sum(x, out=np.zeros(3))
    with pytest.raises(ValueError, match="does not have an identity"):
        fnp.max(x, where=x > 0)
    with pytest.raises(ValueError, match="does not broadcast"):
        fnp.sum(x, where=np.ones((3, 3), bool))
    with pytest.raises(ValueError, match="ddof and correction"):
        fnp.var(x, ddof=1, correction=1)
    with pytest.raises(TypeError, match="ptp: bool"):
        fnp.ptp(x > 0)


def test_primitive_shape_errors() -> None:
    from funcdiff.errors import DTypeError, ShapeError

    with pytest.raises(ShapeError, match=r"reduce_max: .*zero-size"):
        bind(red.reduce_max_p, np.zeros((0, 2)), axes=(0,))
    with pytest.raises(ShapeError, match="reduce_min: axes"):
        fd.make_jaxpr(lambda v: bind(red.reduce_min_p, v, axes=(3,)))(np.ones(2))
    with pytest.raises(ShapeError, match="argmax: axis 2 out of range"):
        fd.make_jaxpr(lambda v: bind(red.argmax_p, v, axis=2, index_dtype=np.dtype("int64")))(
            np.ones((2, 2))
        )
    with pytest.raises(DTypeError, match="cumsum: bool"):
        fd.make_jaxpr(lambda v: bind(red.cumsum_p, v, axis=0, reverse=False))(np.ones(2, bool))


# ---------------------------------------------------------------------------
# the primitives themselves (the registry sweep checks their samples too)
# ---------------------------------------------------------------------------


def test_primitives_registered_with_all_rules() -> None:
    for name in ("reduce_max", "reduce_min", "argmax", "argmin", "cumsum"):
        prim = REGISTRY[name]
        assert prim.jvp and prim.vjp and prim.batch and prim.samples(RNG)


@pytest.mark.parametrize("name", ["reduce_max", "reduce_min", "cumsum"])
def test_primitive_rules_on_samples(name: str) -> None:
    prim = REGISTRY[name]
    for args, params in prim.samples(np.random.default_rng(3)):
        (x,) = args

        def f(v: Any, params: dict[str, Any] = params) -> Any:
            return bind(prim, v, **params)

        check_grads(f, (x,), order=2, modes=("fwd", "rev"))
        # vjp against jvp: <u, J v> = <J^T u, v>
        v = RNG.normal(size=x.shape)
        out, tout = fd.jvp(f, (x,), (v,))
        u = RNG.normal(size=np.shape(out))
        (ct,) = fd.vjp(f, x)[1](u)
        np.testing.assert_allclose(np.vdot(u, tout), np.vdot(ct, v))


def test_cumsum_reverse_and_transpose() -> None:
    x = _x((3, 5))
    _same(red.cumsum(x, 1, reverse=True), np.flip(np.cumsum(np.flip(x, 1), 1), 1))
    # the transpose of a forward cumsum is a reverse cumsum
    u = _x((3, 5), seed=9)
    (ct,) = fd.vjp(lambda v: red.cumsum(v, 1), x)[1](u)
    _same(ct, np.flip(np.cumsum(np.flip(u, 1), 1), 1))


def test_jaxpr_sizes_are_logarithmic() -> None:
    for n, max_eqns in ((8, 12), (1000, 4 * 10 + 2)):
        jp = fd.make_jaxpr(fnp.prod)(np.ones(n))
        assert len(jp.eqns) <= max_eqns, str(jp)
        jc = fd.make_jaxpr(fnp.cumprod)(np.ones(n))
        assert len(jc.eqns) <= 3 * 10, str(jc)
    # sum of a float array records only the reduction; keepdims adds one reshape
    assert len(fd.make_jaxpr(lambda v: fnp.sum(v, axis=0))(np.ones((2, 3))).eqns) == 1
    keep = fd.make_jaxpr(lambda v: fnp.max(v, axis=0, keepdims=True))(np.ones((2, 3)))
    assert len(keep.eqns) == 2
    # nothing to reduce: a new value all the same (as np.sum(v, axis=()) gives),
    # one equation that jit's simplify pass removes
    f = lambda v: fnp.sum(v, axis=())  # noqa: E731
    assert len(fd.make_jaxpr(f)(np.ones((2, 3))).eqns) == 1
    assert len(fd.jit(f).lower(np.ones((2, 3))).jaxpr.eqns) == 0


def test_float32_stays_float32_under_grad() -> None:
    x = _x((3, 4), np.float32)
    for f in (
        lambda v: fnp.prod(v),
        lambda v: fnp.max(v),
        lambda v: fnp.std(v),
        lambda v: fnp.linalg.norm(v),
        lambda v: fnp.cumsum(v).sum(),
    ):
        g = fd.grad(f)(x)
        assert g.dtype == np.float32

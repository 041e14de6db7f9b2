"""The jax.numpy-surface additions (_misc, _stats, _poly, _sets, _manip and
the linalg compositions): one table of cases, each checked for values
against numpy, first and second derivatives against finite differences
(both modes, where differentiable), jit against eager and vmap against a
Python loop; then edge values, dtypes, zero derivatives and errors."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.checking import check_grads
from funcdiff.errors import ConcretizationError

RNG = np.random.default_rng(7)
X = RNG.normal(size=(3, 4))
V = RNG.normal(size=5)
W = RNG.normal(size=3)
SQ = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
Q = np.array([0.1, 0.35, 0.8])
XP = np.array([0.0, 0.7, 1.5, 3.0])
FP = np.array([1.0, -1.0, 2.0, 0.5])
XQ = np.array([-0.5, 0.3, 1.1, 2.2, 3.5])
NP2 = int(np.__version__.split(".")[0]) >= 2
NPV = tuple(int(p) for p in np.__version__.split(".")[:2])


def _np(name: str, fallback: str | None = None) -> Any:
    fn = getattr(np, name, None)
    if fn is None and fallback is not None:
        fn = getattr(np, fallback, None)
    return fn


@dataclass
class Case:
    id: str
    f: Callable[..., Any]
    ref: Callable[..., Any] | None
    args: tuple[Any, ...]
    grad: bool = True
    jit: bool = True
    vmap: bool = True
    tol: float = 1e-9


def _c(id: str, f: Any, ref: Any, *args: Any, **kw: Any) -> Case:  # noqa: A002
    return Case(id, f, ref, args, **kw)


def _vd(a: Any, b: Any) -> Any:
    return a - b if a > b else a + b


CASES = [
    # differences, integrals, interpolation
    _c("diff", lambda x: fnp.diff(x, n=2, axis=1), lambda x: np.diff(x, n=2, axis=1), X),
    _c("diff_prepend", lambda x: fnp.diff(x, prepend=0.0), lambda x: np.diff(x, prepend=0.0), X),
    _c(
        "ediff1d",
        lambda x: fnp.ediff1d(x, to_begin=[1.0]),
        lambda x: np.ediff1d(x, to_begin=[1.0]),
        X,
    ),
    _c(
        "gradient", lambda x: fnp.gradient(x, 0.5, axis=1), lambda x: np.gradient(x, 0.5, axis=1), X
    ),
    _c(
        "gradient_coords2",
        lambda x: fnp.gradient(x, np.array([0.0, 1.0, 3.0, 4.5]), axis=1, edge_order=2),
        lambda x: np.gradient(x, np.array([0.0, 1.0, 3.0, 4.5]), axis=1, edge_order=2),
        X,
    ),
    _c("gradient_all", lambda x: fnp.gradient(x)[0], lambda x: np.gradient(x)[0], X),
    _c(
        "trapezoid",
        lambda y: fnp.trapezoid(y, x=np.array([0.0, 1.0, 3.0, 4.5])),
        lambda y: _np("trapezoid", "trapz")(y, x=np.array([0.0, 1.0, 3.0, 4.5])),
        X,
    ),
    _c(
        "trapezoid_dx",
        lambda y: fnp.trapezoid(y, dx=0.5, axis=0),
        lambda y: _np("trapezoid", "trapz")(y, dx=0.5, axis=0),
        X,
    ),
    _c("interp_x", lambda x: fnp.interp(x, XP, FP), lambda x: np.interp(x, XP, FP), XQ),
    _c(
        "interp_fp",
        lambda fp: fnp.interp(XQ, XP, fp, left=-2.0),
        lambda fp: np.interp(XQ, XP, fp, left=-2.0),
        FP,
    ),
    _c(
        "interp_period",
        lambda x: fnp.interp(x, XP, FP, period=3.5),
        lambda x: np.interp(x, XP, FP, period=3.5),
        XQ + 0.05,
    ),
    _c("unwrap", lambda p: fnp.unwrap(p * 4.0), lambda p: np.unwrap(p * 4.0), V),
    _c(
        "cumulative_sum",
        lambda x: fnp.cumulative_sum(x, axis=1, include_initial=True),
        (lambda x: np.cumulative_sum(x, axis=1, include_initial=True)) if NPV >= (2, 1) else None,
        X,
    ),
    _c(
        "cumulative_prod",
        lambda x: fnp.cumulative_prod(x, axis=0),
        (lambda x: np.cumulative_prod(x, axis=0)) if NPV >= (2, 1) else None,
        X,
    ),
    # order statistics
    _c("median", lambda x: fnp.median(x, axis=1), lambda x: np.median(x, axis=1), X),
    _c("median_all", fnp.median, np.median, V),
    *[
        _c(
            f"quantile_{m}",
            lambda x, m=m: fnp.quantile(x, Q, axis=0, method=m),
            lambda x, m=m: np.quantile(x, Q, axis=0, method=m),
            X,
        )
        for m in ("linear", "lower", "higher", "nearest", "midpoint")
    ],
    _c("quantile_q", lambda q: fnp.quantile(V, q), lambda q: np.quantile(V, q), Q),
    _c(
        "percentile",
        lambda x: fnp.percentile(x, [10.0, 90.0], axis=(0, 1), keepdims=True),
        lambda x: np.percentile(x, [10.0, 90.0], axis=(0, 1), keepdims=True),
        X,
    ),
    _c("nanmedian", lambda x: fnp.nanmedian(x, axis=0), lambda x: np.nanmedian(x, axis=0), X),
    _c(
        "nanpercentile",
        lambda x: fnp.nanpercentile(x, 30.0, axis=1),
        lambda x: np.nanpercentile(x, 30.0, axis=1),
        X,
    ),
    _c("nanquantile", lambda x: fnp.nanquantile(x, Q), lambda x: np.nanquantile(x, Q), X),
    _c(
        "nanstd", lambda x: fnp.nanstd(x, axis=0, ddof=1), lambda x: np.nanstd(x, axis=0, ddof=1), X
    ),
    _c("nanvar", lambda x: fnp.nanvar(x, axis=1), lambda x: np.nanvar(x, axis=1), X),
    _c("nanprod", lambda x: fnp.nanprod(x, axis=1), lambda x: np.nanprod(x, axis=1), X),
    _c("nancumsum", lambda x: fnp.nancumsum(x, axis=0), lambda x: np.nancumsum(x, axis=0), X),
    _c("nancumprod", lambda x: fnp.nancumprod(x, axis=1), lambda x: np.nancumprod(x, axis=1), X),
    _c(
        "nanargmax",
        lambda x: fnp.nanargmax(x, axis=1),
        lambda x: np.nanargmax(x, axis=1),
        X,
        grad=False,
    ),
    _c("nanargmin", lambda x: fnp.nanargmin(x), lambda x: np.nanargmin(x), X, grad=False),
    _c("cov", fnp.cov, np.cov, X),
    _c(
        "cov_weights",
        lambda x: fnp.cov(x, rowvar=False, fweights=[1, 2, 1], aweights=[0.5, 1.0, 2.0]),
        lambda x: np.cov(x, rowvar=False, fweights=[1, 2, 1], aweights=[0.5, 1.0, 2.0]),
        X,
    ),
    _c("cov_y", lambda x: fnp.cov(x, X[0], ddof=0), lambda x: np.cov(x, X[0], ddof=0), X[1]),
    _c("corrcoef", fnp.corrcoef, np.corrcoef, X),
    # polynomials, convolution
    _c("polyval", lambda p: fnp.polyval(p, XQ), lambda p: np.polyval(p, XQ), V),
    _c("polyval_x", lambda x: fnp.polyval(V, x), lambda x: np.polyval(V, x), XQ),
    _c("polyadd", lambda p: fnp.polyadd(p, W), lambda p: np.polyadd(p, W), V),
    _c("polysub", lambda p: fnp.polysub(W, p), lambda p: np.polysub(W, p), V),
    _c("polymul", lambda p: fnp.polymul(p, W), lambda p: np.polymul(p, W), V),
    _c("polydiv_q", lambda p: fnp.polydiv(p, W)[0], lambda p: np.polydiv(p, W)[0], V),
    _c("polyder", lambda p: fnp.polyder(p, 2), lambda p: np.polyder(p, 2), V),
    _c(
        "polyint",
        lambda p: fnp.polyint(p, 2, [1.0, 2.0]),
        lambda p: np.polyint(p, 2, [1.0, 2.0]),
        V,
    ),
    _c("poly", fnp.poly, np.poly, W),
    _c("vander", lambda x: fnp.vander(x, 4), lambda x: np.vander(x, 4), V),
    _c(
        "vander_inc",
        lambda x: fnp.vander(x, increasing=True),
        lambda x: np.vander(x, increasing=True),
        W,
    ),
    _c("polyfit", lambda y: fnp.polyfit(XQ, y, 2), lambda y: np.polyfit(XQ, y, 2), V, tol=1e-7),
    _c(
        "polyfit_w",
        lambda x: fnp.polyfit(x, V, 2, w=V**2 + 1),
        lambda x: np.polyfit(x, V, 2, w=V**2 + 1),
        XQ,
        tol=1e-7,
    ),
    *[
        _c(
            f"convolve_{m}",
            lambda a, m=m: fnp.convolve(a, W, m),
            lambda a, m=m: np.convolve(a, W, m),
            V,
        )
        for m in ("full", "same", "valid")
    ],
    *[
        _c(
            f"correlate_{m}",
            lambda a, m=m: fnp.correlate(W, a, m),
            lambda a, m=m: np.correlate(W, a, m),
            V,
        )
        for m in ("full", "same", "valid")
    ],
    # element-wise
    _c("fmax", lambda x: fnp.fmax(x, 0.1), lambda x: np.fmax(x, 0.1), X),
    _c("fmin", lambda x: fnp.fmin(x, X[::-1] + 0.3), lambda x: np.fmin(x, X[::-1] + 0.3), X),
    _c("copysign", lambda x: fnp.copysign(x, X[::-1]), lambda x: np.copysign(x, X[::-1]), X),
    _c(
        "ldexp",
        lambda x: fnp.ldexp(x, np.array([1, -2, 3, 0])),
        lambda x: np.ldexp(x, np.array([1, -2, 3, 0])),
        X,
    ),
    _c("frexp_m", lambda x: fnp.frexp(x)[0], lambda x: np.frexp(x)[0], X),
    _c("frexp_e", lambda x: fnp.frexp(x)[1], lambda x: np.frexp(x)[1], X, grad=False),
    _c("modf_frac", lambda x: fnp.modf(x * 3)[0], lambda x: np.modf(x * 3)[0], X),
    _c("modf_int", lambda x: fnp.modf(x * 3)[1], lambda x: np.modf(x * 3)[1], X, grad=False),
    _c("divmod_r", lambda x: fnp.divmod(x * 3, 0.7)[1], lambda x: np.divmod(x * 3, 0.7)[1], X),
    _c("fabs", fnp.fabs, np.fabs, X),
    _c("nextafter", lambda x: fnp.nextafter(x, 0.0), lambda x: np.nextafter(x, 0.0), X, grad=False),
    _c("spacing", fnp.spacing, np.spacing, X, grad=False),
    _c("signbit", fnp.signbit, np.signbit, X, grad=False),
    _c(
        "isclose",
        lambda x: fnp.isclose(x, np.round(X, 1), atol=0.03),
        lambda x: np.isclose(x, np.round(X, 1), atol=0.03),
        X,
        grad=False,
    ),
    _c(
        "allclose",
        lambda x: fnp.allclose(x, x + 1e-9),
        lambda x: np.allclose(x, x + 1e-9),
        X,
        grad=False,
    ),
    _c(
        "array_equal",
        lambda x: fnp.array_equal(x, x),
        lambda x: np.array_equal(x, x),
        X,
        grad=False,
    ),
    _c(
        "array_equiv",
        lambda x: fnp.array_equiv(x, x[0]),
        lambda x: np.array_equiv(x, x[0]),
        X,
        grad=False,
    ),
    _c(
        "gcd",
        lambda a: fnp.gcd(a, 12),
        lambda a: np.gcd(a, 12),
        np.array([0, 18, -8, 7, 36]),
        grad=False,
    ),
    _c("lcm", lambda a: fnp.lcm(a, 6), lambda a: np.lcm(a, 6), np.array([0, 4, -9, 7]), grad=False),
    _c("acos", fnp.acos, np.arccos, W / 4),
    _c("atan2", lambda x: fnp.atan2(x, 0.5), lambda x: np.arctan2(x, 0.5), W),
    _c("pow", lambda x: fnp.pow(x**2, 1.5), lambda x: np.power(x**2, 1.5), W),
    _c("i0", fnp.i0, np.i0, np.array([0.0, 0.3, -2.0, 9.0, 14.9, 15.2, 40.0])),
    _c(
        "kaiser",
        lambda b: fnp.kaiser(6, b),
        lambda b: np.kaiser(6, float(b)),
        np.array(4.5),
        vmap=False,
    ),
    # searching, counting
    _c(
        "searchsorted",
        lambda v: fnp.searchsorted(XP, v),
        lambda v: np.searchsorted(XP, v),
        XQ,
        grad=False,
    ),
    _c(
        "searchsorted_right",
        lambda v: fnp.searchsorted(np.sort(V), v, side="right"),
        lambda v: np.searchsorted(np.sort(V), v, side="right"),
        X,
        grad=False,
    ),
    _c(
        "digitize",
        lambda v: fnp.digitize(v, XP, right=True),
        lambda v: np.digitize(v, XP, right=True),
        XQ,
        grad=False,
    ),
    _c(
        "histogram_counts",
        lambda x: fnp.histogram(x, bins=4)[0],
        lambda x: np.histogram(x, bins=4)[0],
        X,
        grad=False,
    ),
    _c(
        "histogram_edges",
        lambda x: fnp.histogram(x, bins=4)[1],
        lambda x: np.histogram(x, bins=4)[1],
        X,
    ),
    _c(
        "histogram_weights",
        lambda w: fnp.histogram(X, bins=[-2.0, 0.0, 0.5, 2.0], weights=w)[0],
        lambda w: np.histogram(X, bins=[-2.0, 0.0, 0.5, 2.0], weights=w)[0],
        X,
    ),
    _c(
        "histogram_density",
        lambda x: fnp.histogram(x, bins=3, range=(-1.0, 1.0), density=True)[0],
        lambda x: np.histogram(x, bins=3, range=(-1.0, 1.0), density=True)[0],
        X,
        grad=False,
    ),
    _c(
        "histogram_bin_edges",
        lambda x: fnp.histogram_bin_edges(x, bins=5),
        lambda x: np.histogram_bin_edges(x, bins=5),
        X,
    ),
    _c(
        "bincount_w",
        lambda w: fnp.bincount(np.array([0, 2, 2, 4]), weights=w),
        lambda w: np.bincount(np.array([0, 2, 2, 4]), weights=w),
        V[:4],
    ),
    _c(
        "isin",
        lambda x: fnp.isin(x, [1, 3]),
        lambda x: np.isin(x, [1, 3]),
        np.array([[1, 2], [3, 4]]),
        grad=False,
    ),
    _c(
        "lexsort",
        lambda k: fnp.lexsort((k, k > 0)),
        lambda k: np.lexsort((k, k > 0)),
        V,
        grad=False,
    ),
    _c(
        "argpartition",
        lambda x: fnp.sort(fnp.take_along_axis(x, fnp.argpartition(x, 1), -1), -1),
        lambda x: np.sort(x, -1),
        X,
        grad=False,
    ),
    _c(
        "partition",
        lambda x: fnp.partition(x, 2, axis=0)[2],
        lambda x: np.partition(x, 2, axis=0)[2],
        X,
    ),
    _c(
        "unique_size",
        lambda x: fnp.unique(fnp.round(x), size=6, fill_value=9.0),
        lambda x: np.concatenate(
            [np.unique(np.round(x)), [9.0] * (6 - np.unique(np.round(x)).size)]
        ),
        V * 2,
    ),
    _c(
        "unique_values",
        lambda x: fnp.unique_values(x),
        lambda x: np.unique(x),
        V,
        jit=False,
        vmap=False,
    ),
    # manipulation
    _c("append", lambda x: fnp.append(x, W), lambda x: np.append(x, W), X),
    _c(
        "insert",
        lambda x: fnp.insert(x, [0, 2], 7.0, axis=1),
        lambda x: np.insert(x, [0, 2], 7.0, axis=1),
        X,
    ),
    _c(
        "insert_values",
        lambda v: fnp.insert(X, 1, v[:4], axis=0),
        lambda v: np.insert(X, 1, v[:4], axis=0),
        V,
    ),
    _c(
        "delete",
        lambda x: fnp.delete(x, slice(0, 3, 2), axis=1),
        lambda x: np.delete(x, slice(0, 3, 2), axis=1),
        X,
    ),
    _c("resize", lambda x: fnp.resize(x, (5, 3)), lambda x: np.resize(x, (5, 3)), X),
    _c(
        "block",
        lambda x: fnp.block([[x, x[:, :1]], [x[:1], x[:1, :1]]]),
        lambda x: np.block([[x, x[:, :1]], [x[:1], x[:1, :1]]]),
        X,
    ),
    _c("rollaxis", lambda x: fnp.rollaxis(x, 1), lambda x: np.rollaxis(x, 1), X),
    _c("permute_dims", lambda x: fnp.permute_dims(x, (1, 0)), lambda x: np.transpose(x, (1, 0)), X),
    _c("concat", lambda x: fnp.concat([x, x], axis=1), lambda x: np.concatenate([x, x], axis=1), X),
    _c("unstack", lambda x: fnp.unstack(x, axis=1)[2], lambda x: x[:, 2], X),
    _c("hsplit", lambda x: fnp.hsplit(x, 2)[1], lambda x: np.hsplit(x, 2)[1], X),
    _c("vsplit", lambda x: fnp.vsplit(x, [1])[1], lambda x: np.vsplit(x, [1])[1], X),
    _c(
        "dsplit",
        lambda x: fnp.dsplit(x.reshape(1, 3, 4), 2)[0],
        lambda x: np.dsplit(x.reshape(1, 3, 4), 2)[0],
        X,
    ),
    _c(
        "choose",
        lambda x: fnp.choose(np.array([0, 2, 1, 0]), list(x)),
        lambda x: np.choose(np.array([0, 2, 1, 0]), list(x)),
        X,
    ),
    _c(
        "compress",
        lambda x: fnp.compress([True, False, True], x, axis=0),
        lambda x: np.compress([True, False, True], x, axis=0),
        X,
    ),
    _c("extract", lambda x: fnp.extract(X > 0, x), lambda x: np.extract(X > 0, x), X),
    _c(
        "select",
        lambda x: fnp.select([x < -0.5, x > 0.5], [x**2, 2 * x], 0.0),
        lambda x: np.select([x < -0.5, x > 0.5], [x**2, 2 * x], 0.0),
        X,
    ),
    _c(
        "piecewise",
        lambda x: fnp.piecewise(x, [x < 0], [lambda v: v**2, lambda v: fnp.sin(v)]),
        lambda x: np.piecewise(x, [x < 0], [lambda v: v**2, np.sin]),
        X,
    ),
    _c(
        "fill_diagonal",
        lambda x: fnp.fill_diagonal(x, 1.5, inplace=False),
        lambda x: _inplace(np.fill_diagonal, x, 1.5),
        X,
    ),
    _c(
        "put_along_axis",
        lambda x: fnp.put_along_axis(x, np.array([[1], [0], [3]]), 2.0, axis=1, inplace=False),
        lambda x: _inplace(np.put_along_axis, x, np.array([[1], [0], [3]]), 2.0, 1),
        X,
    ),
    _c(
        "put",
        lambda x: fnp.put(x, [0, -1], [5.0, 6.0], inplace=False),
        lambda x: _inplace(np.put, x, [0, -1], [5.0, 6.0]),
        X,
    ),
    _c(
        "place",
        lambda x: fnp.place(x, X > 0, [5.0], inplace=False),
        lambda x: _inplace(np.place, x, X > 0, [5.0]),
        X,
    ),
    _c(
        "apply_along_axis",
        lambda x: fnp.apply_along_axis(lambda r: fnp.stack([r.sum(), (r**2).max()]), 1, x),
        lambda x: np.apply_along_axis(lambda r: np.stack([r.sum(), (r**2).max()]), 1, x),
        X,
    ),
    _c(
        "apply_over_axes",
        lambda x: fnp.apply_over_axes(fnp.sum, x, [0]),
        lambda x: np.apply_over_axes(np.sum, x, [0]),
        X,
    ),
    _c(
        "vectorize",
        lambda x: fnp.vectorize(lambda a: fnp.sin(a) * a)(x),
        lambda x: np.vectorize(lambda a: np.sin(a) * a)(x),
        X,
    ),
    _c(
        "vectorize_sig",
        lambda x: fnp.vectorize(lambda a, b: fnp.sum(a * b), signature="(n),(n)->()")(x, x),
        lambda x: np.vectorize(lambda a, b: np.sum(a * b), signature="(n),(n)->()")(x, x),
        X,
    ),
    _c(
        "vectorize_if",
        lambda x: fnp.vectorize(_vd)(x, 0.2),
        lambda x: np.vectorize(_vd)(x, 0.2),
        X,
        jit=False,
        vmap=False,
    ),
    _c(
        "matvec",
        lambda x: fnp.matvec(x, X[0]),
        (lambda x: np.matvec(x, X[0])) if hasattr(np, "matvec") else None,
        X[:, :, None] * X[None, :, :] if False else np.stack([X, X * 2]),
    ),
    _c(
        "vecmat",
        lambda x: fnp.vecmat(x[0, :, 0], x),
        (lambda x: np.vecmat(x[0, :, 0], x)) if hasattr(np, "vecmat") else None,
        np.stack([X, X * 2]),
    ),
    _c(
        "vecdot",
        lambda x: fnp.vecdot(x, X),
        (lambda x: np.vecdot(x, X)) if hasattr(np, "vecdot") else None,
        X,
    ),
    _c(
        "trim_zeros",
        lambda x: fnp.trim_zeros(x),
        lambda x: np.trim_zeros(x),
        np.array([0.0, 0.0, 1.5, 0.0, 2.0, 0.0]),
        grad=False,
        jit=False,
        vmap=False,
    ),
    _c("sort_complex", fnp.sort_complex, np.sort_complex, V, grad=False),
    # linalg compositions
    _c(
        "matrix_power",
        lambda a: fnp.linalg.matrix_power(a, 3),
        lambda a: np.linalg.matrix_power(a, 3),
        SQ,
    ),
    _c(
        "matrix_power_neg",
        lambda a: fnp.linalg.matrix_power(a, -2),
        lambda a: np.linalg.matrix_power(a, -2),
        SQ,
    ),
    _c(
        "multi_dot",
        lambda a: fnp.linalg.multi_dot([W, a, a.T, X]),
        lambda a: np.linalg.multi_dot([W, a, a.T, X]),
        SQ,
    ),
    _c("cond", fnp.linalg.cond, np.linalg.cond, SQ, tol=1e-7),
    _c(
        "cond_fro",
        lambda a: fnp.linalg.cond(a, "fro"),
        lambda a: np.linalg.cond(a, "fro"),
        SQ,
        tol=1e-7,
    ),
    _c("matrix_rank", fnp.linalg.matrix_rank, np.linalg.matrix_rank, SQ, grad=False),
    _c(
        "tensorinv",
        lambda a: fnp.linalg.tensorinv(a.reshape(3, 3, 1), ind=1),
        lambda a: np.linalg.tensorinv(a.reshape(3, 3, 1), ind=1),
        SQ,
    ),
    _c(
        "tensorsolve",
        lambda a: fnp.linalg.tensorsolve(a.reshape(3, 3, 1), W),
        lambda a: np.linalg.tensorsolve(a.reshape(3, 3, 1), W),
        SQ,
    ),
]


def _inplace(fn: Any, x: np.ndarray, *args: Any) -> np.ndarray:
    y = np.array(x, copy=True)
    fn(y, *args)
    return y


def _same(got: Any, want: Any, tol: float) -> None:
    g, w = np.asarray(got), np.asarray(want)
    assert g.shape == w.shape, (g.shape, w.shape)
    if w.dtype.kind in "biu":
        assert g.dtype.kind == w.dtype.kind, (g.dtype, w.dtype)
        np.testing.assert_array_equal(g, w)
    else:
        assert g.dtype == w.dtype, (g.dtype, w.dtype)
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol, equal_nan=True)


IDS = [c.id for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values(case: Case) -> None:
    if case.ref is None:
        pytest.skip("this numpy has no reference function")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _same(case.f(*case.args), case.ref(*case.args), case.tol)


@pytest.mark.parametrize("case", [c for c in CASES if c.grad], ids=[c.id for c in CASES if c.grad])
def test_derivatives(case: Case) -> None:
    check_grads(case.f, case.args, order=2, modes=("fwd", "rev"), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", [c for c in CASES if c.jit], ids=[c.id for c in CASES if c.jit])
def test_jit_matches_eager(case: Case) -> None:
    _same(fd.jit(case.f)(*case.args), case.f(*case.args), 1e-12)


@pytest.mark.parametrize("case", [c for c in CASES if c.vmap], ids=[c.id for c in CASES if c.vmap])
def test_vmap_matches_loop(case: Case) -> None:
    a0 = np.asarray(case.args[0])
    batch = np.stack([a0, a0 * 0.5 + 0.25 if a0.dtype.kind == "f" else a0 * 2])
    rest = case.args[1:]
    got = fd.vmap(lambda a: case.f(a, *rest))(batch)
    want = np.stack([np.asarray(case.f(b, *rest)) for b in batch])
    _same(got, want, 1e-12)


# ---------------------------------------------------------------------------
# edge values and dtypes
# ---------------------------------------------------------------------------

EDGE = np.array(
    [-3.5, -0.0, 0.0, 1e-310, 5e-324, 1.0, 0.75, np.inf, -np.inf, np.nan, 1e308, -(2.0**-1022)]
)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "name",
    ["fabs", "signbit", "spacing", "isposinf", "isneginf", "isreal", "iscomplex", "frexp", "modf"],
)
def test_unary_edges(name: str, dtype: Any) -> None:
    with np.errstate(over="ignore"):
        x = EDGE.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got, want = getattr(fnp, name)(x), getattr(np, name)(x)
    for g, w in zip(
        got if isinstance(got, tuple) else [got],
        want if isinstance(want, tuple) else [want],
        strict=True,
    ):
        _same(g, w, 0.0)
        if np.asarray(w).dtype.kind == "f":
            np.testing.assert_array_equal(np.signbit(g), np.signbit(w))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("target", [np.inf, -np.inf, 0.0, 1.0, np.nan])
def test_nextafter_exact(dtype: Any, target: float) -> None:
    with np.errstate(over="ignore"):
        x = EDGE.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _same(fnp.nextafter(x, dtype(target)), np.nextafter(x, dtype(target)), 0.0)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: fnp.copysign(x, -1.0),
        lambda x: fnp.fmax(x, np.float32(0.5)),
        lambda x: fnp.ldexp(x, 3),
        lambda x: fnp.median(x),
        lambda x: fnp.quantile(x, 0.3),
        lambda x: fnp.nanvar(x),
        lambda x: fnp.diff(x),
        lambda x: fnp.gradient(x),
        lambda x: fnp.interp(x, np.float32([0, 1]), np.float32([1, 2])),
        lambda x: fnp.convolve(x, x),
        lambda x: fnp.polyval(x, np.float32(2.0)),
        lambda x: fnp.cov(x),
        lambda x: fnp.histogram(x, 3)[1],
        lambda x: fnp.unique(x),
        lambda x: fnp.insert(x, 1, 2.0),
        lambda x: fnp.trapezoid(x),
    ],
)
def test_float32_preserved(fn: Callable[[Any], Any]) -> None:
    x = np.array([0.5, -1.0, 2.0, 0.25], np.float32)
    assert np.asarray(fn(x)).dtype == np.float32


def test_quantile_nan_and_inf() -> None:
    x = np.array([[1.0, np.nan, 3.0], [np.inf, 2.0, -np.inf], [np.nan, np.nan, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for m in ("linear", "lower", "higher", "nearest", "midpoint"):
            _same(
                fnp.quantile(x, 0.5, axis=1, method=m), np.quantile(x, 0.5, axis=1, method=m), 1e-12
            )
            _same(
                fnp.nanquantile(x, [0.2, 0.9], axis=1, method=m),
                np.nanquantile(x, [0.2, 0.9], axis=1, method=m),
                1e-12,
            )
    # equal neighbours give themselves (numpy's lerp makes inf - inf = NaN here)
    with np.errstate(invalid="ignore"):
        assert float(fnp.quantile(np.array([np.inf, 2.0, -np.inf]), 1.0)) == np.inf
    _same(fnp.median(np.arange(5)), np.median(np.arange(5)), 0.0)


def test_empty_inputs() -> None:
    e = np.zeros(0)
    _same(fnp.diff(e), np.diff(e), 0.0)
    _same(fnp.searchsorted(e, [1.0]), np.searchsorted(e, [1.0]), 0.0)
    _same(fnp.histogram(e, 3)[0], np.histogram(e, 3)[0], 0.0)
    _same(fnp.bincount(np.zeros(0, int)), np.bincount(np.zeros(0, int)), 0.0)
    _same(fnp.isin(e, [1.0]), np.isin(e, [1.0]), 0.0)
    _same(fnp.unique(e), np.unique(e), 0.0)
    _same(fnp.append(e, e), np.append(e, e), 0.0)
    _same(fnp.trapezoid(e), _np("trapezoid", "trapz")(e), 0.0)
    _same(fnp.isclose(e, e), np.isclose(e, e), 0.0)
    _same(fnp.cumulative_sum(e, include_initial=True), np.zeros(1), 0.0)


def test_convolution_lengths_and_complex() -> None:
    rng = np.random.default_rng(3)
    for n in range(1, 6):
        for m in range(1, 6):
            a = rng.normal(size=n) + 1j * rng.normal(size=n)
            v = rng.normal(size=m) + 1j * rng.normal(size=m)
            for mode in ("full", "same", "valid"):
                _same(fnp.convolve(a, v, mode), np.convolve(a, v, mode), 1e-12)
                _same(fnp.correlate(a, v, mode), np.correlate(a, v, mode), 1e-12)


def test_quantile_table() -> None:
    x = RNG.normal(size=(3, 4, 5))
    for m in ("linear", "lower", "higher", "nearest", "midpoint"):
        for axis in (None, 0, -1, (0, 2)):
            for q in (0.3, np.array([0.0, 0.5, 1.0]), np.array([[0.1], [0.9]])):
                for kd in (False, True):
                    _same(
                        fnp.quantile(x, q, axis=axis, method=m, keepdims=kd),
                        np.quantile(x, q, axis=axis, method=m, keepdims=kd),
                        1e-12,
                    )


def test_unique_family() -> None:
    x = np.array([[3.0, 1.0, np.nan], [3.0, 2.0, np.nan]])
    for arr in (x, np.array([3, 1, 3, 2, 1]), np.array([2, 2, 2])):
        got = fnp.unique(arr, True, True, True)
        want = np.unique(arr, True, True, True)
        for g, w in zip(got, want, strict=True):
            _same(g, w, 0.0)
        g4 = fnp.unique_all(arr)
        w4 = np.unique(arr, True, True, True, equal_nan=False)
        for g, w in zip(g4, w4, strict=True):
            _same(g, np.reshape(w, np.shape(g)), 0.0)
        _same(fnp.unique_counts(arr).counts, w4[3], 0.0)
        _same(fnp.unique_inverse(arr).inverse_indices, np.reshape(w4[2], np.shape(arr)), 0.0)
    out = fd.jit(lambda v: fnp.unique(v, size=5, return_counts=True))(np.array([3, 1, 3, 2, 1]))
    _same(out[0], np.array([1, 2, 3, 1, 1]), 0.0)
    _same(out[1], np.array([2, 1, 2, 0, 0]), 0.0)
    # the derivative goes to the first of equal entries
    _same(
        fd.grad(lambda v: fnp.unique(v).sum())(np.array([3.0, 1.0, 3.0, 2.0])),
        np.array([1.0, 1.0, 0.0, 1.0]),
        0.0,
    )


def test_set_operations() -> None:
    a, b = np.array([1, 3, 4, 3, 7]), np.array([3, 1, 2, 1])
    _same(fnp.intersect1d(a, b), np.intersect1d(a, b), 0.0)
    for g, w in zip(
        fnp.intersect1d(a, b, return_indices=True),
        np.intersect1d(a, b, return_indices=True),
        strict=True,
    ):
        _same(g, w, 0.0)
    _same(fnp.union1d(a, b), np.union1d(a, b), 0.0)
    _same(fnp.setdiff1d(a, b), np.setdiff1d(a, b), 0.0)
    _same(fnp.setxor1d(a, b), np.setxor1d(a, b), 0.0)


def test_index_helpers() -> None:
    for name, args in [
        ("tril_indices", (4, -1, 5)),
        ("triu_indices", (3, 1)),
        ("diag_indices", (3, 3)),
        ("unravel_index", ([22, 41, 37], (7, 6))),
        ("ix_", ([0, 1], [True, False, True])),
    ]:
        for g, w in zip(getattr(fnp, name)(*args), getattr(np, name)(*args), strict=True):
            _same(g, w, 0.0)
    for g, w in zip(fnp.tril_indices_from(X, 1), np.tril_indices_from(X, 1), strict=True):
        _same(g, w, 0.0)
    for g, w in zip(fnp.triu_indices_from(X), np.triu_indices_from(X), strict=True):
        _same(g, w, 0.0)
    for g, w in zip(fnp.diag_indices_from(SQ), np.diag_indices_from(SQ), strict=True):
        _same(g, w, 0.0)
    for g, w in zip(fnp.mask_indices(3, fnp.triu, 1), np.mask_indices(3, np.triu, 1), strict=True):
        _same(g, w, 0.0)
    mi = (np.array([3, 6, 6]), np.array([4, 5, 1]))
    _same(
        fnp.ravel_multi_index(mi, (7, 6), order="F"),
        np.ravel_multi_index(mi, (7, 6), order="F"),
        0.0,
    )
    _same(
        fnp.ravel_multi_index(mi, (4, 4), mode=("clip", "wrap")),
        np.ravel_multi_index(mi, (4, 4), mode=("clip", "wrap")),
        0.0,
    )
    _same(fnp.indices((2, 3)), np.indices((2, 3)), 0.0)
    _same(
        fnp.fromfunction(lambda i, j: i * j, (2, 3)),
        np.fromfunction(lambda i, j: i * j, (2, 3)),
        0.0,
    )
    for w in ("bartlett", "blackman", "hamming", "hanning"):
        _same(getattr(fnp, w)(7), getattr(np, w)(7), 1e-15)
    _same(fnp.r_[0:3, 7, np.array([8.0, 9.0])], np.r_[0:3, 7, np.array([8.0, 9.0])], 0.0)
    _same(fnp.r_[-1:1:5j], np.r_[-1:1:5j], 0.0)
    _same(fnp.r_["0,2,0", [1, 2], [3, 4]], np.r_["0,2,0", [1, 2], [3, 4]], 0.0)
    _same(fnp.c_[np.ones((2, 2)), [1, 2]], np.c_[np.ones((2, 2)), [1, 2]], 0.0)
    _same(fnp.mgrid[0:2, 0:3], np.mgrid[0:2, 0:3], 0.0)
    for g, w in zip(fnp.ogrid[0:2, 0:3], np.ogrid[0:2, 0:3], strict=True):
        _same(g, w, 0.0)
    assert fnp.s_[1:2] == np.s_[1:2] and fnp.index_exp[1] == np.index_exp[1]
    assert fnp.broadcast_shapes((2, 1), (3,)) == (2, 3)
    assert fnp.iterable([1]) and not fnp.iterable(1)
    assert fnp.isdtype(np.float32, ("real floating", "complex floating"))
    assert not fnp.isdtype(np.int8, "unsigned integer") and fnp.isdtype(np.bool_, np.bool_)
    assert fnp.isrealobj(1.0) and not fnp.isrealobj(1j)
    assert fnp.float_ is np.float64 and fnp.single is np.float32 and fnp.int_ is np.int_
    assert abs(fnp.euler_gamma - 0.5772156649015329) < 1e-16


def test_traced_r_and_block_differentiate() -> None:
    g = fd.grad(lambda x: (fnp.r_[x, 2 * x, 1.0] ** 2).sum())(np.array([1.0, 2.0]))
    _same(g, np.array([10.0, 20.0]), 1e-12)
    g = fd.grad(lambda x: fnp.block([[x, x], [x, x]]).sum())(np.ones((2, 2)))
    _same(g, 4 * np.ones((2, 2)), 1e-12)


# ---------------------------------------------------------------------------
# zero derivatives, traced limits and errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: fnp.searchsorted(np.array([0.0, 1.0, 2.0]), x).sum() * 1.0,
        lambda x: fnp.digitize(x, np.array([0.0, 1.0])).sum() * 1.0,
        lambda x: fnp.histogram(x, bins=3)[0].sum() * 1.0,
        lambda x: fnp.isclose(x, 0.5).sum() * 1.0,
        lambda x: fnp.nextafter(x, 5.0).sum(),
        lambda x: fnp.spacing(x).sum(),
        lambda x: fnp.signbit(x).sum() * 1.0,
        lambda x: fnp.linalg.matrix_rank(fnp.outer(x, x)) * 1.0,
    ],
)
def test_zero_derivative(fn: Callable[[Any], Any]) -> None:
    x = np.array([0.3, 1.7, 0.9])
    _same(fd.grad(fn)(x), np.zeros(3), 0.0)


def test_concrete_only_functions_refuse_tracing() -> None:
    with pytest.raises(ConcretizationError, match="size="):
        fd.jit(fnp.unique)(np.array([1.0, 2.0]))
    with pytest.raises(ConcretizationError):
        fd.jit(lambda x: fnp.intersect1d(x, x))(np.array([1.0, 2.0]))
    with pytest.raises(ConcretizationError):
        fd.jit(fnp.trim_zeros)(np.array([0.0, 1.0]))
    with pytest.raises(ConcretizationError):
        fd.jit(fnp.bincount)(np.array([0, 1]))
    _same(
        fd.jit(lambda x: fnp.bincount(x, length=4))(np.array([0, 1, 1])),
        np.array([1, 2, 0, 0]),
        0.0,
    )


def test_errors() -> None:
    with pytest.raises(ValueError, match="inplace=False"):
        fnp.fill_diagonal(np.zeros((2, 2)), 1.0)
    with pytest.raises(ValueError, match="method"):
        fnp.quantile(X, 0.5, method="bogus")
    with pytest.raises(ValueError, match="range"):
        fnp.quantile(X, 1.5)
    with pytest.raises(ValueError, match="mode"):
        fnp.convolve(V, W, "wide")
    with pytest.raises(ValueError, match="All-NaN"):
        fnp.nanargmax(np.array([np.nan, np.nan]))
    with pytest.raises(NotImplementedError, match="eigenvalues"):
        fnp.poly(np.eye(2))
    with pytest.raises(ValueError, match="monotonically"):
        fnp.digitize(V, np.array([0.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match="signature"):
        fnp.vectorize(np.sum, signature="(n)->")(X)


def test_gcd_lcm_traced() -> None:
    a, b = np.array([12, 0, -8, 0, 35]), np.array([18, 5, 12, 0, 14])
    _same(fd.jit(fnp.gcd)(a, b), np.gcd(a, b), 0.0)
    _same(fd.vmap(fnp.lcm)(a, b), np.lcm(a, b), 0.0)


def test_interp_derivatives_match_slopes() -> None:
    g = fd.grad(lambda x: fnp.interp(x, XP, FP).sum())(np.array([0.2, 1.0, 2.0]))
    slopes = np.diff(FP) / np.diff(XP)
    _same(g, slopes, 1e-12)


def test_io_on_concrete_values(tmp_path: Any) -> None:
    path = str(tmp_path / "a.npy")
    fnp.save(path, fnp.arange(3.0))
    _same(fnp.load(path), np.arange(3.0), 0.0)
    fnp.savez(str(tmp_path / "b.npz"), x=fnp.ones(2))
    _same(np.load(str(tmp_path / "b.npz"))["x"], np.ones(2), 0.0)
    assert fnp.array_repr(fnp.zeros(2)) == np.array_repr(np.zeros(2))
    with fnp.printoptions(precision=2):
        assert fnp.array_str(np.array([1.2345])) == "[1.23]"
    with pytest.raises(ConcretizationError):
        fd.jit(fnp.array_str)(np.zeros(2))
    _same(fnp.fromstring("1 2", sep=" "), np.array([1.0, 2.0]), 0.0)
    _same(fnp.fromiter(range(3), dtype=np.int64), np.arange(3), 0.0)
    _same(fnp.frombuffer(np.arange(2.0).tobytes()), np.arange(2.0), 0.0)


def test_i0_large_and_special() -> None:
    x = np.array([0.0, 700.0, np.inf, -np.inf, np.nan])
    with np.errstate(invalid="ignore", over="ignore"):
        got = fnp.i0(x)
    np.testing.assert_allclose(got[:2], np.i0(x[:2]), rtol=1e-12)
    assert got[2] == np.inf and got[3] == np.inf and np.isnan(got[4])
    assert fnp.i0(np.float32(3.0)).dtype == np.float32

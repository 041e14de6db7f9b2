"""Plain numpy code under funcdiff's transforms (numpy's dispatch protocols).

Each case is one program written once against a namespace ``m``: run with
``m = numpy`` it is plain numpy code, which numpy hands to funcdiff when it
meets a traced array; run with ``m = funcdiff.numpy`` it is the reference.
The two must give the same derivatives (grad, jacfwd, hessian), those must
match finite differences, and jit and vmap must agree with eager and looped
evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.errors import (
    ConcretizationError,
    DerivativeDroppedError,
    InPlaceUpdateError,
    TracerArrayConversionError,
    UnsupportedNumpyFunctionError,
)

RNG = np.random.default_rng(0)
A = RNG.normal(size=(3, 3))
B = RNG.normal(size=(2, 3))
W = RNG.normal(size=3)
SPD = A @ A.T + 3 * np.eye(3)
V3 = np.array([0.3, 0.55, 0.8])  # inside every unary domain below
M23 = np.array([[0.3, 0.55, 0.8], [0.45, 0.25, 0.65]])

Case = tuple[str, Callable[[Any, Any], Any], np.ndarray]

UNARY = [
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "arcsinh", "arctanh", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
    "sqrt", "cbrt", "square", "reciprocal", "abs", "absolute", "negative", "positive",
    "deg2rad", "rad2deg", "sinc",
]  # fmt: skip

BINARY = [
    "add", "subtract", "multiply", "divide", "true_divide", "power", "maximum",
    "minimum", "arctan2", "hypot", "logaddexp", "logaddexp2", "float_power",
]  # fmt: skip


def _unary(name: str) -> Case:
    return (name, lambda m, x: getattr(m, name)(x) * W, V3)


def _binary(name: str, side: str) -> Case:
    other: Any = {"array": A[0] + 1.5, "scalar": 1.7, "npscalar": np.float64(1.3)}[side]

    def f(m: Any, x: Any) -> Any:
        op = getattr(m, name)
        return op(x, other) + op(other, x) + op(x, x * 0.5 + 0.2)

    return (f"{name}-{side}", f, V3)


REDUCTIONS = ("sum", "mean", "prod", "max", "min", "std", "var")
REDUCTION_AXES = ((None, False), (0, False), (1, True), ((0, 1), False))


def _reduction(name: str, axis: Any, keepdims: bool) -> Case:
    return (
        f"{name}-{axis}-{keepdims}",
        lambda m, x: getattr(m, name)(x, axis=axis, keepdims=keepdims),
        M23,
    )


CASES: list[Case] = [
    *[_unary(u) for u in UNARY],
    *[_binary(b, s) for b in BINARY for s in ("array", "scalar", "npscalar")],
    # operators with a numpy array or scalar on the left
    (
        "ops-left",
        lambda m, x: A @ x + A[0] * x - np.float64(2.0) / (x + 1) + (np.abs(A[1]) + 0.5) ** x,
        V3,
    ),
    ("comparisons", lambda m, x: m.where(A[0] < x, x, 2 * x) * (x >= np.float64(0.5)), V3),
    # reductions
    *[_reduction(r, ax, kd) for r in REDUCTIONS for ax, kd in REDUCTION_AXES],
    ("cumsum", lambda m, x: m.cumsum(x, axis=1), M23),
    ("cumprod", lambda m, x: m.cumprod(x), M23),
    ("amax", lambda m, x: m.amax(x, axis=0) + m.amin(x, axis=1).sum(), M23),
    ("method-sum", lambda m, x: (x * x).sum(axis=0) + x.mean() + x.T.dot(W[:2]), M23),
    ("average", lambda m, x: m.average(x, axis=1, weights=np.array([1.0, 2.0, 3.0])), M23),
    ("linalg.norm", lambda m, x: m.linalg.norm(x) + m.linalg.norm(x, axis=1), M23),
    # linear algebra
    ("dot", lambda m, x: m.dot(A, x) + m.dot(x, A), V3),
    ("matmul", lambda m, x: m.matmul(B, x) + B @ x, V3),
    ("einsum", lambda m, x: m.einsum("ij,j,i->i", A, x, x), V3),
    ("outer-kron", lambda m, x: m.outer(x, W).sum(0) + m.kron(x, W[:2]).sum(), V3),
    ("inner-tensordot", lambda m, x: m.inner(x, W) + m.tensordot(A, x, axes=1), V3),
    ("trace-diag", lambda m, x: m.trace(m.outer(x, x)) + m.diag(m.diag(x) @ A), V3),
    ("linalg.solve", lambda m, x: m.linalg.solve(SPD + m.diag(x), x * W), V3),
    ("linalg.inv", lambda m, x: m.linalg.inv(SPD + m.outer(x, x)) @ W, V3),
    ("linalg.det", lambda m, x: m.linalg.det(SPD * x[0] + m.diag(x)), V3),
    ("linalg.slogdet", lambda m, x: m.linalg.slogdet(SPD + m.diag(x))[1], V3),
    ("linalg.cholesky", lambda m, x: m.linalg.cholesky(SPD + m.diag(x)) @ W, V3),
    ("linalg.eigh", lambda m, x: m.linalg.eigh(SPD + m.diag(x * W))[0], V3),
    ("linalg.svdvals", lambda m, x: m.linalg.svd(B * x, compute_uv=False), V3),
    ("linalg.pinv", lambda m, x: m.linalg.pinv(B * x) @ W[:2], V3),
    # shape functions and selection
    ("reshape-transpose", lambda m, x: m.transpose(m.reshape(x, (3, 2))) @ W * 2, M23),
    ("concatenate", lambda m, x: m.concatenate([x, A[0], x**2]), V3),
    ("stack", lambda m, x: m.stack([x, W, x * x], axis=1).sum(1), V3),
    ("hstack-vstack", lambda m, x: m.vstack([x, W]).sum(0) + m.hstack([x, W])[1:4], V3),
    ("expand-squeeze", lambda m, x: m.squeeze(m.expand_dims(x, 0) * W, axis=0), V3),
    ("flip-roll", lambda m, x: m.flip(x) * m.roll(x, 1), V3),
    ("tile-repeat", lambda m, x: m.tile(x, 2)[1:4] + m.repeat(x, 2)[::2], V3),
    ("swap-move", lambda m, x: m.swapaxes(x, 0, 1).sum(1) + m.moveaxis(x, 0, 1)[:, 0], M23),
    ("ravel-broadcast", lambda m, x: m.ravel(m.broadcast_to(x, (2, 3))) @ np.arange(6.0), V3),
    ("tril-triu", lambda m, x: (m.tril(m.outer(x, W)) + m.triu(m.outer(W, x), 1)).sum(0), V3),
    ("take-sort", lambda m, x: m.take(x, [2, 0, 0]) + m.sort(x * W), V3),
    ("where-clip", lambda m, x: m.where(x > 0.5, m.sin(x), x**2) + m.clip(x, 0.4, 0.7), V3),
    ("atleast-round", lambda m, x: m.atleast_2d(x)[0] + m.round(x, 1) * 0 + m.real(x), V3),
]

IDS = [c[0] for c in CASES]


def scalar(case: Case, m: Any) -> Callable[[Any], Any]:
    _, f, _ = case

    def weighted_sum(x: Any) -> Any:
        y = f(m, x)
        return m.sum(y * np.linspace(1.0, 2.0, np.size(y)).reshape(np.shape(y)))

    return weighted_sum


def vector(case: Case, m: Any) -> Callable[[Any], Any]:
    _, f, _ = case
    return lambda x: m.ravel(f(m, x))


def close(a: Any, b: Any, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_eager_plain_numpy_unchanged(case: Case) -> None:
    """On plain arrays the numpy program is numpy's: same values, numpy's types."""
    _, f, x = case
    got = f(np, x)
    assert isinstance(got, (np.ndarray, np.generic))
    close(got, f(fnp, x))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_grad_matches_funcdiff_numpy_and_finite_differences(case: Case) -> None:
    x = case[2]
    f_np, f_fd = scalar(case, np), scalar(case, fnp)
    g = fd.grad(f_np)(x)
    close(g, fd.grad(f_fd)(x))
    # central differences along a random direction
    v = np.random.default_rng(1).normal(size=x.shape)
    h = 1e-6
    fdiff = (f_np(x + h * v) - f_np(x - h * v)) / (2 * h)
    np.testing.assert_allclose(np.sum(g * v), fdiff, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jacfwd_and_hessian_match(case: Case) -> None:
    x = case[2]
    close(fd.jacfwd(vector(case, np))(x), fd.jacfwd(vector(case, fnp))(x))
    close(fd.jacrev(vector(case, np))(x), fd.jacfwd(vector(case, fnp))(x))
    close(fd.hessian(scalar(case, np))(x), fd.hessian(scalar(case, fnp))(x))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jit_and_vmap_match_eager_and_loop(case: Case) -> None:
    x = case[2]
    f = scalar(case, np)
    g = fd.grad(f)
    close(fd.jit(f)(x), f(x))
    close(fd.jit(g)(x), g(x))
    xs = np.stack([x, x * 0.9 + 0.02, x * 1.05])
    close(fd.vmap(g)(xs), np.stack([g(xi) for xi in xs]))
    close(fd.vmap(vector(case, np))(xs), np.stack([vector(case, np)(xi) for xi in xs]))


def test_jet_of_plain_numpy() -> None:
    def f(m: Any, x: Any) -> Any:
        return m.sum(m.exp(m.sin(x)) * W) + m.linalg.norm(A @ x)

    series = ((np.ones(3), np.zeros(3), np.zeros(3)),)
    y1, s1 = fd.jet(lambda x: f(np, x), (V3,), series)
    y2, s2 = fd.jet(lambda x: f(fnp, x), (V3,), series)
    close(y1, y2)
    for a, b in zip(s1, s2, strict=True):
        close(a, b)


# -- ufunc methods ---------------------------------------------------------------


UFUNC_METHODS: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = [
    ("add.reduce", lambda x: np.add.reduce(x), lambda x: fnp.sum(x, axis=0)),
    ("add.reduce-axis", lambda x: np.add.reduce(x, axis=1), lambda x: fnp.sum(x, axis=1)),
    ("add.reduce-keepdims", lambda x: np.add.reduce(x, keepdims=True), lambda x: x.sum(0)[None]),
    ("multiply.reduce", lambda x: np.multiply.reduce(x, axis=None), lambda x: fnp.prod(x)),
    ("maximum.reduce", lambda x: np.maximum.reduce(x, axis=1), lambda x: fnp.max(x, axis=1)),
    ("minimum.reduce", lambda x: np.minimum.reduce(x), lambda x: fnp.min(x, axis=0)),
    ("add.accumulate", lambda x: np.add.accumulate(x), lambda x: fnp.cumsum(x, axis=0)),
    ("multiply.accumulate", lambda x: np.multiply.accumulate(x, 1), lambda x: fnp.cumprod(x, 1)),
    ("multiply.outer", lambda x: np.multiply.outer(x, W), lambda x: x[:, :, None] * W),
    ("subtract.outer", lambda x: np.subtract.outer(W[:2], x), lambda x: W[:2, None, None] - x),
    ("power.outer", lambda x: np.power.outer(x[0], x[1]), lambda x: x[0][:, None] ** x[1]),
]  # fmt: skip


@pytest.mark.parametrize("case", UFUNC_METHODS, ids=[c[0] for c in UFUNC_METHODS])
def test_ufunc_methods(case: tuple[str, Callable[[Any], Any], Callable[[Any], Any]]) -> None:
    _, f_np, f_fd = case
    close(f_np(M23), f_fd(M23))  # eager: numpy itself
    close(fd.jacfwd(f_np)(M23), fd.jacfwd(f_fd)(M23))
    close(fd.jacrev(f_np)(M23), fd.jacfwd(f_fd)(M23))
    close(fd.jit(f_np)(M23), f_np(M23))


# -- what numpy itself implements from supported pieces --------------------------


def test_numpy_implementations_built_from_supported_functions() -> None:
    # funcdiff.numpy has no isreal, isrealobj or tril_indices_from, but numpy's
    # own code for them uses only what it has (imag(x) == 0, x.dtype, x.shape)
    def f(x: Any) -> Any:
        assert np.isrealobj(x)
        low = np.outer(x, x)[np.tril_indices_from(np.eye(3) + 0 * x)]
        return np.sum(np.where(np.isreal(x), x, 0.0) ** 2) + np.sum(low)

    expected = 2 * V3 + (np.tril(np.ones((3, 3))) + np.tril(np.ones((3, 3))).T) @ V3
    close(fd.grad(f)(V3), expected)
    close(fd.jit(fd.grad(f))(V3), expected)


def test_like_argument_and_metadata_functions() -> None:
    def f(x: Any) -> Any:
        assert np.shape(x) == (3,) and np.ndim(x) == 1 and np.size(x) == 3
        assert np.result_type(x, np.float32) == np.float64
        return np.sum(np.ones(3, like=x) * x + np.zeros_like(x))

    close(fd.grad(f)(V3), np.ones(3))
    close(fd.jit(fd.grad(f))(V3), np.ones(3))


def test_lookup_is_dynamic(monkeypatch: pytest.MonkeyPatch) -> None:
    """A function added to funcdiff.numpy later is found by name at call time."""

    def isclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8) -> Any:
        return fnp.abs(a - b) <= atol + rtol * fnp.abs(b)

    isclose.__module__ = "funcdiff.numpy._late"
    monkeypatch.delattr(fnp, "isclose", raising=False)  # as before it was written
    with pytest.raises(UnsupportedNumpyFunctionError, match="numpy.isclose"):
        fd.grad(lambda x: np.sum(np.where(np.isclose(x, 0.55), x, 0.0)))(V3)
    monkeypatch.setattr(fnp, "isclose", isclose, raising=False)
    close(fd.grad(lambda x: np.sum(np.where(np.isclose(x, 0.55), x, 0.0)))(V3), [0.0, 1.0, 0.0])


def test_a_plain_numpy_program() -> None:
    """Logistic regression with an L2 penalty, written for numpy only."""
    X = RNG.normal(size=(20, 3))
    y = (RNG.random(20) > 0.5).astype(float)

    def loss(w: Any) -> Any:
        z = X @ w
        p = 1.0 / (1.0 + np.exp(-z))
        nll = -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))
        return nll + 0.1 * np.dot(w, w)

    w = np.array([0.2, -0.4, 0.1])
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    expected = X.T @ (p - y) / 20 + 0.2 * w
    close(fd.grad(loss)(w), expected)
    close(fd.jit(fd.grad(loss))(w), expected)
    H = fd.hessian(loss)(w)
    close(H, (X.T * (p * (1 - p))) @ X / 20 + 0.2 * np.eye(3))


# -- in-place forms ---------------------------------------------------------------


def test_inplace_operator_on_numpy_array_rebinds() -> None:
    buf = np.zeros(3)

    def f(x: Any) -> Any:
        acc = buf
        acc += x**2  # numpy: np.add(acc, x**2, out=acc); funcdiff rebinds acc
        acc *= 2.0
        return np.sum(acc)

    close(fd.grad(f)(V3), 4 * V3)
    close(fd.jit(fd.grad(f))(V3), 4 * V3)
    assert np.all(buf == 0.0)  # never written


def test_where_with_out_is_a_select() -> None:
    mask = np.array([True, False, True])

    def f(x: Any) -> Any:
        a = np.ones(3)
        return np.sum(np.multiply(a, x, out=a, where=mask) * W)

    close(fd.grad(f)(V3), W * mask)


@pytest.mark.parametrize(
    "f, error, match",
    [
        (lambda x: np.sin(x, out=np.empty(3)), InPlaceUpdateError, "numpy.sin with out="),
        (lambda x: np.add(x, 1.0, out=np.empty(3)), InPlaceUpdateError, "numpy.add with out="),
        (lambda x: np.sum(x, out=np.empty(())), InPlaceUpdateError, "numpy.sum with out="),
        (lambda x: np.add.reduce(x, out=np.empty(())), InPlaceUpdateError, "numpy.add.reduce"),
        (lambda x: np.add.at(np.zeros(3), [0, 0], x[:2]), InPlaceUpdateError, r"a.at\[idx\].add"),
        (lambda x: np.add(x, 1.0, where=x > 0.5), UnsupportedNumpyFunctionError, "where="),
        (lambda x: np.add(x, 1.0, casting="unsafe"), UnsupportedNumpyFunctionError, "casting="),
        (lambda x: np.add.reduceat(x, [0, 1]), UnsupportedNumpyFunctionError, "reduceat"),
        (lambda x: np.roots(x), UnsupportedNumpyFunctionError, r"numpy\.roots"),
        (lambda x: np.packbits(x > 0), UnsupportedNumpyFunctionError, "packbits"),
        (lambda x: np.asarray(x), TracerArrayConversionError, "np.asarray"),
        (lambda x: np.array([x[0], x[1]]), TracerArrayConversionError, "fnp.stack"),
        (lambda x: np.zeros(3).__setitem__(slice(0, 2), x[:2]), TracerArrayConversionError, "buf"),
        (lambda x: float(x[0]), DerivativeDroppedError, "float"),
        (lambda x: math.sin(x[0]), DerivativeDroppedError, "math"),
    ],
)
def test_errors_name_the_function(f: Callable[[Any], Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        fd.grad(lambda x: fnp.sum(f(x)))(V3)


def test_unsupported_error_points_to_the_list() -> None:
    with pytest.raises(UnsupportedNumpyFunctionError) as info:
        fd.grad(lambda x: np.roots(x).real.sum())(V3)
    assert "docs/api.md, section funcdiff.numpy" in str(info.value)
    assert isinstance(info.value, NotImplementedError)


def test_conversions_under_jit_are_concretization_errors() -> None:
    for f in (np.asarray, lambda x: float(x[0]), lambda x: math.exp(x[0])):
        with pytest.raises(ConcretizationError):
            fd.jit(lambda x, f=f: f(x))(V3)

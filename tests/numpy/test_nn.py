"""funcdiff.nn: activations, softmax, logsumexp, one_hot, standardize.

Values against numpy/scipy, stability at extreme inputs (no overflow, no
warnings), derivatives against finite differences (both modes, second order)
and closed forms, vmap against loops, and a two-layer network's gradient
against hand-written backpropagation."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import pytest
import scipy.special as sp

import funcdiff as fd
import funcdiff.nn as fnn
import funcdiff.numpy as fnp
from funcdiff.checking import check_grads


def _x(*shape: int, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    return scale * np.random.default_rng(seed).normal(size=shape)


def _same(got: Any, want: Any, rtol: float = 1e-12, atol: float = 1e-14) -> None:
    got_a, want_a = np.asarray(got), np.asarray(want)
    assert got_a.shape == want_a.shape, (got_a.shape, want_a.shape)
    assert got_a.dtype == want_a.dtype, (got_a.dtype, want_a.dtype)
    rtol, atol = _dtype_tol(want_a.dtype, rtol, atol)
    np.testing.assert_allclose(got_a, want_a, rtol=rtol, atol=atol, equal_nan=True)


def _dtype_tol(dtype: np.dtype[Any], rtol: float, atol: float) -> tuple[float, float]:
    """Tolerances follow the dtype: below float64, no tighter than a few ulps."""
    if dtype.kind in "fc" and np.finfo(dtype).eps > np.finfo(np.float64).eps:
        eps = float(np.finfo(dtype).eps)
        return max(rtol, 4 * eps), max(atol, 10 * eps)
    return rtol, atol


def _quiet(f: Callable[[], Any]) -> Any:
    """Run ``f`` with every numpy warning turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return f()


# ---------------------------------------------------------------------------
# activations: values
# ---------------------------------------------------------------------------

SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda x: np.maximum(x, 0.0),
    "relu6": lambda x: np.minimum(np.maximum(x, 0.0), 6.0),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.01 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "celu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "selu": lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(np.minimum(x, 0.0))),
    "sigmoid": sp.expit,
    "log_sigmoid": sp.log_expit,
    "softplus": lambda x: np.logaddexp(x, 0.0),
    "silu": lambda x: x * sp.expit(x),
    "swish": lambda x: x * sp.expit(x),
    "mish": lambda x: x * np.tanh(np.logaddexp(x, 0.0)),
    "softsign": lambda x: x / (np.abs(x) + 1),
    "hard_tanh": lambda x: np.clip(x, -1.0, 1.0),
    "hard_sigmoid": lambda x: np.clip(x + 3.0, 0.0, 6.0) / 6.0,
    "hard_silu": lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0,
    "hard_swish": lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0,
    "gelu": lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    "tanh": np.tanh,
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values(name: str) -> None:
    f = getattr(fnn, name)
    ref = ACTIVATIONS[name]
    for x in [_x(3, 4, scale=4.0), np.array([-50.0, -7.0, -1e-3, 0.0, 1e-3, 5.5, 7.0, 50.0])]:
        _same(f(x), ref(x), rtol=1e-12, atol=1e-15)
    _same(f(1.5), np.asarray(ref(np.float64(1.5))))
    x32 = _x(5).astype(np.float32)
    got = f(x32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, ref(x32.astype(np.float64)), rtol=2e-6, atol=1e-6)


def test_activation_parameters() -> None:
    x = np.linspace(-3, 3, 13)
    _same(fnn.leaky_relu(x, 0.2), np.where(x >= 0, x, 0.2 * x))
    _same(fnn.elu(x, 2.0), np.where(x > 0, x, 2.0 * np.expm1(np.minimum(x, 0.0))))
    _same(fnn.celu(x, 2.0), np.where(x > 0, x, 2.0 * np.expm1(np.minimum(x, 0.0) / 2.0)))
    _same(fnn.relu(np.array([-2, 0, 3])), np.array([0, 0, 3]))


def test_gelu_exact_matches_normal_cdf() -> None:
    x = np.concatenate([np.linspace(-40, 40, 4001), [0.0, 1e-300, -1e-8, 0.6629, 5.6569]])
    got = fnn.gelu(x, approximate=False)
    want = x * sp.ndtr(x)
    ok = np.abs(want) > 1e-300
    rel = np.abs(got[ok] - want[ok]) / np.abs(want[ok])
    assert rel.max() < 1e-12
    # the error function inside is accurate far beyond 1e-7 relative
    erf, erfc = fnn._erf_erfc(np.linspace(-6, 6, 2001))
    np.testing.assert_allclose(erf, sp.erf(np.linspace(-6, 6, 2001)), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(erfc, sp.erfc(np.linspace(-6, 6, 2001)), rtol=1e-13)
    _same(fnn.gelu(np.array([np.nan, np.inf]), approximate=False), np.array([np.nan, np.inf]))
    # derivative: Phi(x) + x phi(x)
    xs = np.linspace(-8, 8, 33)
    g = fd.vmap(fd.grad(lambda v: fnn.gelu(v, approximate=False)))(xs)
    np.testing.assert_allclose(
        g, sp.ndtr(xs) + xs * np.exp(-(xs**2) / 2) / math.sqrt(2 * math.pi), rtol=1e-11, atol=1e-14
    )


def test_glu() -> None:
    x = _x(3, 6)
    _same(fnn.glu(x), x[:, :3] * sp.expit(x[:, 3:]))
    _same(fnn.glu(x.T, axis=0), (x[:, :3] * sp.expit(x[:, 3:])).T)
    check_grads(fnn.glu, (x,), order=2)
    with pytest.raises(ValueError, match="even"):
        fnn.glu(np.ones((2, 3)))


# ---------------------------------------------------------------------------
# activations: derivatives
# ---------------------------------------------------------------------------

SMOOTH = [
    "elu",
    "celu",
    "selu",
    "sigmoid",
    "log_sigmoid",
    "softplus",
    "silu",
    "mish",
    "softsign",
    "gelu",
    "tanh",
    "relu",
    "relu6",
    "leaky_relu",
    "hard_tanh",
    "hard_sigmoid",
    "hard_silu",
]


@pytest.mark.parametrize("name", SMOOTH)
def test_activation_grads(name: str) -> None:
    f = getattr(fnn, name)
    # away from the kinks (0, +-1, +-3, 6) so finite differences are valid
    x = np.array([-4.3, -2.2, -0.7, -0.4, 0.3, 0.8, 2.1, 4.6, 7.4])
    check_grads(f, (x,), order=2)
    check_grads(lambda v: f(v * 1.0), (x.reshape(3, 3),), order=1)


def test_gelu_exact_grads() -> None:
    check_grads(
        lambda x: fnn.gelu(x, approximate=False),
        (np.array([-5.0, -3.0, -1.0, -0.3, 0.2, 0.45, 0.5, 2.0, 4.5]),),
        order=2,
    )


def test_kink_derivatives_like_jax() -> None:
    g = fd.grad(fnn.relu)
    assert float(g(0.0)) == 0.0 and float(g(2.0)) == 1.0 and float(g(-2.0)) == 0.0
    g6 = fd.grad(fnn.relu6)
    assert float(g6(0.0)) == 0.0 and float(g6(6.0)) == 0.0 and float(g6(3.0)) == 1.0
    assert float(fd.grad(fnn.leaky_relu)(0.0)) == 1.0
    assert float(fd.grad(fnn.elu)(0.0)) == 1.0
    # jvp agrees with grad at the kink
    _, t = fd.jvp(fnn.relu, (0.0,), (1.0,))
    assert float(t) == 0.0
    # NaN in, NaN out
    assert np.isnan(fnn.relu(np.nan)) and np.isnan(fnn.relu6(np.nan))
    assert np.isnan(fnn.elu(np.nan)) and np.isnan(fnn.leaky_relu(np.nan))


def test_activations_stable_at_extremes() -> None:
    big = np.array([-1000.0, -745.0, 0.0, 745.0, 1000.0])
    _same(_quiet(lambda: fnn.sigmoid(-1000.0)), np.asarray(0.0))
    _same(_quiet(lambda: fnn.sigmoid(big)), sp.expit(big))
    _same(_quiet(lambda: fnn.log_sigmoid(big)), sp.log_expit(big))
    _same(_quiet(lambda: fnn.softplus(big)), np.logaddexp(big, 0.0))
    _same(_quiet(lambda: fnn.silu(big)), big * sp.expit(big))
    _same(_quiet(lambda: fnn.elu(big)), np.where(big > 0, big, np.expm1(np.minimum(big, 0.0))))
    gs = _quiet(lambda: fd.vmap(fd.grad(fnn.log_sigmoid))(big))
    _same(gs, sp.expit(-big))
    gp = _quiet(lambda: fd.vmap(fd.grad(fnn.softplus))(big))
    _same(gp, sp.expit(big))


# ---------------------------------------------------------------------------
# logsumexp
# ---------------------------------------------------------------------------

AXES = [None, 0, 1, -1, (0, 2), (1, 2), (0, 1, 2)]


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_values(axis: Any, keepdims: bool) -> None:
    a = _x(3, 4, 5, scale=3.0)
    _same(
        fnn.logsumexp(a, axis, keepdims=keepdims),
        np.asarray(sp.logsumexp(a, axis, keepdims=keepdims)),
    )
    b = _x(4, 5, seed=1)
    got, sgn = fnn.logsumexp(a, axis, b=b, keepdims=keepdims, return_sign=True)
    want, wsgn = sp.logsumexp(a, axis, b=b, keepdims=keepdims, return_sign=True)
    _same(got, np.asarray(want))
    _same(sgn, np.asarray(wsgn))
    bp = np.abs(b)
    _same(
        fnn.logsumexp(a, axis, b=bp, keepdims=keepdims),
        np.asarray(sp.logsumexp(a, axis, b=bp, keepdims=keepdims)),
    )


def test_logsumexp_edge_cases() -> None:
    def both(*args: Any, **kw: Any) -> None:
        got = _quiet(lambda: fnn.logsumexp(*args, **kw))
        want = sp.logsumexp(*args, **kw)
        if kw.get("return_sign"):
            _same(got[0], np.asarray(want[0]))
            _same(got[1], np.asarray(want[1]))
        else:
            _same(got, np.asarray(want))

    inf = np.inf
    both(np.array([1000.0, 1000.0]))
    both(np.array([-1000.0, -1000.0]))
    both(np.array([-inf, -inf]))
    both(np.array([-inf, 0.0]))
    both(np.array([inf, 1.0]))
    both(np.array([np.nan, 1.0]))
    both(np.array([[-inf, -inf], [0.0, 1.0]]), axis=1)
    both(np.array([1.0, 2.0]), b=np.array([1.0, -1.0]))  # negative sum: NaN
    both(np.array([1.0, 2.0]), b=np.array([1.0, -1.0]), return_sign=True)
    both(np.array([1.0, 1.0]), b=np.array([1.0, -1.0]), return_sign=True)  # zero sum
    both(np.array([1.0, inf]), b=np.array([1.0, 0.0]))  # zero weight drops inf
    both(np.array([1.0, np.nan]), b=np.array([2.0, 0.0]))
    # an empty sum is 0, its log -inf (scipy < 1.15 raises here)
    _same(_quiet(lambda: fnn.logsumexp(np.zeros((0, 3)), axis=0)), np.full(3, -inf))
    both(3.0)
    both(np.float32([1.0, 2.0]))  # float32: within a few ulps of scipy's float32 answer
    # and within one ulp of log(e + e^2) (scipy 1.17 returns the float32 below the nearest)
    got32 = fnn.logsumexp(np.float32([1.0, 2.0]))
    exact = mpmath.log(mpmath.e + mpmath.e**2)
    assert abs(float(got32) - float(exact)) <= np.spacing(np.float32(exact)), (got32, exact)
    both([1, 2, 3])
    both(np.array([1.0, 2.0]), b=2.0)


def test_logsumexp_derivatives() -> None:
    a = _x(5, scale=2.0)
    p = sp.softmax(a)
    _same(fd.grad(fnn.logsumexp)(a), p, rtol=1e-12)
    h = fd.hessian(fnn.logsumexp)(a)
    np.testing.assert_allclose(h, np.diag(p) - np.outer(p, p), atol=1e-14)
    check_grads(lambda x: fnn.logsumexp(x, axis=1), (_x(3, 4),), order=2)
    check_grads(
        lambda x, b: fnn.logsumexp(x, axis=0, b=b), (_x(3, 4), np.abs(_x(3, 4)) + 0.1), order=2
    )
    check_grads(lambda x: fnn.logsumexp(x, axis=(0, 2), keepdims=True), (_x(2, 3, 4),), order=2)
    # huge logits: the gradient is still the softmax, finite
    big = np.array([1000.0, 1000.0, -1000.0])
    _same(_quiet(lambda: fd.grad(fnn.logsumexp)(big)), np.array([0.5, 0.5, 0.0]))
    hb = fd.hessian(fnn.logsumexp)(big)
    pb = np.array([0.5, 0.5, 0.0])
    np.testing.assert_allclose(hb, np.diag(pb) - np.outer(pb, pb), atol=1e-14)
    # -inf entries get zero gradient, not NaN
    g = _quiet(lambda: fd.grad(fnn.logsumexp)(np.array([-np.inf, 0.0, 0.0])))
    _same(g, np.array([0.0, 0.5, 0.5]))


def test_logsumexp_vmap() -> None:
    a = _x(4, 3, 5)
    got = fd.vmap(lambda v: fnn.logsumexp(v, axis=-1))(a)
    _same(got, np.stack([sp.logsumexp(v, axis=-1) for v in a]))
    got = fd.vmap(lambda v: fnn.logsumexp(v), in_axes=1)(a)
    _same(got, np.stack([sp.logsumexp(a[:, i]) for i in range(3)]))


# ---------------------------------------------------------------------------
# softmax, log_softmax
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [-1, 0, 1, (0, 2), None])
def test_softmax_values(axis: Any) -> None:
    x = _x(3, 4, 5, scale=3.0)
    _same(fnn.softmax(x, axis), sp.softmax(x, axis), rtol=1e-12)
    _same(fnn.log_softmax(x, axis), sp.log_softmax(x, axis), rtol=1e-12)


def test_softmax_stability() -> None:
    _same(_quiet(lambda: fnn.softmax(np.array([1000.0, 1000.0]))), np.array([0.5, 0.5]))
    _same(_quiet(lambda: fnn.softmax(np.array([-1000.0, -1000.0]))), np.array([0.5, 0.5]))
    x = np.array([[1000.0, -1000.0, 0.0], [1e300, 1e300, -1e300]])
    _same(_quiet(lambda: fnn.softmax(x)), sp.softmax(x, axis=-1))
    _same(_quiet(lambda: fnn.log_softmax(x)), sp.log_softmax(x, axis=-1))
    _same(_quiet(lambda: fnn.log_softmax(np.array([1000.0, 0.0]))), np.array([0.0, -1000.0]))
    _same(fnn.softmax(np.array([-np.inf, 0.0])), np.array([0.0, 1.0]))
    # the log_softmax gradient stays exact at extreme logits: e_k - softmax
    for logits in [np.array([1000.0, -1000.0, 0.0]), np.array([0.0, 800.0, 799.0])]:
        p = sp.softmax(logits)
        for k in range(3):
            pick = np.eye(3)[k]
            g = _quiet(lambda: fd.grad(lambda v: fnp.sum(fnn.log_softmax(v) * pick))(logits))  # noqa: B023
            np.testing.assert_allclose(g, pick - p, atol=1e-15)
        jac = fd.jacfwd(fnn.log_softmax)(logits)
        np.testing.assert_allclose(jac, np.eye(3) - p[None, :], atol=1e-15)


def test_softmax_derivatives() -> None:
    x = _x(4, scale=2.0)
    p = sp.softmax(x)
    want = np.diag(p) - np.outer(p, p)
    np.testing.assert_allclose(fd.jacrev(fnn.softmax)(x), want, atol=1e-14)
    np.testing.assert_allclose(fd.jacfwd(fnn.softmax)(x), want, atol=1e-14)
    np.testing.assert_allclose(fd.jacrev(fnn.log_softmax)(x), np.eye(4) - p[None, :], atol=1e-14)
    check_grads(fnn.softmax, (_x(3, 4),), order=2)
    check_grads(lambda v: fnn.softmax(v, axis=0), (_x(3, 4),), order=2)
    check_grads(fnn.log_softmax, (_x(3, 4),), order=2)
    check_grads(lambda v: fnn.log_softmax(v, axis=(0, 1)), (_x(3, 4),), order=2)


def test_softmax_vmap() -> None:
    x = _x(5, 3, 4)
    for f in (fnn.softmax, fnn.log_softmax, lambda v: fnn.softmax(v, axis=0)):
        _same(fd.vmap(f)(x), np.stack([f(v) for v in x]))
        _same(fd.vmap(f, in_axes=2)(x), np.stack([f(x[:, :, i]) for i in range(4)]))


# ---------------------------------------------------------------------------
# one_hot, standardize
# ---------------------------------------------------------------------------


def test_one_hot() -> None:
    labels = np.array([0, 2, 1, 5, -1])  # out-of-range labels give zero rows
    _same(
        fnn.one_hot(labels, 3), np.array([[1.0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0], [0, 0, 0]])
    )
    _same(fnn.one_hot(np.array([[0, 1]]), 2, axis=0), np.array([[[1.0, 0.0]], [[0.0, 1.0]]]))
    _same(fnn.one_hot(np.array([1, 0]), 2, dtype=np.int32), np.array([[0, 1], [1, 0]], np.int32))
    _same(fnn.one_hot(2, 4), np.array([0.0, 0.0, 1.0, 0.0]))
    _same(fnn.one_hot(np.array([1.0, 0.0]), 2), np.array([[0.0, 1.0], [1.0, 0.0]]))
    out = fd.vmap(lambda y: fnn.one_hot(y, 3))(np.array([2, 0]))
    _same(out, np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]))


def test_standardize() -> None:
    x = _x(3, 5, scale=2.0) + 1.0
    want = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    _same(fnn.standardize(x), want, rtol=1e-12)
    want0 = (x - x.mean(0, keepdims=True)) / np.sqrt(x.var(0, keepdims=True) + 1e-3)
    _same(fnn.normalize(x, axis=0, epsilon=1e-3), want0, rtol=1e-12)
    _same(fnn.standardize(x, mean=1.0, variance=4.0, epsilon=0.0), (x - 1.0) / 2.0)
    check_grads(fnn.standardize, (x,), order=2)
    check_grads(lambda v: fnn.standardize(v, axis=(0, 1)), (x,), order=2)
    _same(
        fd.vmap(fnn.standardize)(x[:, None, :]),
        np.stack([fnn.standardize(v) for v in x[:, None, :]]),
    )


# ---------------------------------------------------------------------------
# a two-layer network against hand-written backpropagation
# ---------------------------------------------------------------------------


def _mlp_setup(seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, d, h, c = 8, 5, 7, 4
    params = {
        "W1": rng.normal(size=(d, h)) / np.sqrt(d),
        "b1": rng.normal(size=(h,)) * 0.1,
        "W2": rng.normal(size=(h, c)) / np.sqrt(h),
        "b2": rng.normal(size=(c,)) * 0.1,
    }
    x = rng.normal(size=(n, d))
    y = rng.integers(0, c, size=n)
    return params, x, y


def _mlp_loss(params: dict[str, Any], x: np.ndarray, y: np.ndarray, act: str) -> Any:
    hidden = getattr(fnn, act)(x @ params["W1"] + params["b1"])
    logits = hidden @ params["W2"] + params["b2"]
    labels = fnn.one_hot(y, 4)
    return -fnp.sum(labels * fnn.log_softmax(logits)) / x.shape[0]


def _mlp_backprop(
    params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, act: str
) -> tuple[float, dict[str, np.ndarray]]:
    n = x.shape[0]
    z1 = x @ params["W1"] + params["b1"]
    h = np.tanh(z1) if act == "tanh" else np.maximum(z1, 0.0)
    z2 = h @ params["W2"] + params["b2"]
    p = sp.softmax(z2, axis=1)
    onehot = np.eye(4)[y]
    loss = -np.sum(onehot * np.log(p)) / n
    dz2 = (p - onehot) / n
    dh = dz2 @ params["W2"].T
    dz1 = dh * (1 - h**2) if act == "tanh" else dh * (z1 > 0)
    grads = {"W1": x.T @ dz1, "b1": dz1.sum(0), "W2": h.T @ dz2, "b2": dz2.sum(0)}
    return float(loss), grads


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_mlp_cross_entropy_grad_matches_backprop(act: str) -> None:
    params, x, y = _mlp_setup()
    loss, grads = fd.value_and_grad(_mlp_loss)(params, x, y, act)
    want_loss, want = _mlp_backprop(params, x, y, act)
    np.testing.assert_allclose(float(loss), want_loss, rtol=1e-12)
    assert set(grads) == set(want)
    for k in want:
        np.testing.assert_allclose(grads[k], want[k], rtol=1e-10, atol=1e-14)
    # forward mode agrees: a directional derivative equals <grad, v>
    v = {k: np.random.default_rng(1).normal(size=p.shape) for k, p in params.items()}
    _, t = fd.jvp(lambda p: _mlp_loss(p, x, y, act), (params,), (v,))
    np.testing.assert_allclose(
        float(t), sum(float(np.sum(want[k] * v[k])) for k in want), rtol=1e-10
    )


def test_mlp_per_example_grads_with_vmap() -> None:
    params, x, y = _mlp_setup(1)

    def one(p: Any, xi: np.ndarray, yi: np.ndarray) -> Any:
        return _mlp_loss(p, xi[None, :], yi[None], "tanh")

    per_ex = fd.vmap(fd.grad(one), in_axes=(None, 0, 0))(params, x, y)
    for i in range(x.shape[0]):
        _, want = _mlp_backprop(params, x[i : i + 1], y[i : i + 1], "tanh")
        for k in want:
            np.testing.assert_allclose(per_ex[k][i], want[k], rtol=1e-10, atol=1e-14)

"""Derivatives of order 1 to 4 at special points (0, equal arguments, zero and
integer exponents, the tip of a norm), against mpmath (arbitrary precision)
and closed forms; and the conventions chosen where a derivative does not
exist, with the smooth compositions through those kinks that must stay right.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import mpmath as mp
import numpy as np
import pytest

import funcdiff as fd
import funcdiff.nn as fnn
import funcdiff.numpy as fnp

mp.mp.dps = 40

Fn = Callable[..., Any]


def nested_grad(f: Fn, k: int) -> Fn:
    for _ in range(k):
        f = fd.grad(f)
    return f


def nested_jvp(f: Fn, k: int) -> Fn:
    """The k-th derivative of a scalar function by forward mode only."""
    for _ in range(k):

        def d(x: Any, g: Fn = f) -> Any:
            return fd.jvp(g, (x,), (fnp.ones_like(x),))[1]

        f = d
    return f


def mp_deriv(f: Callable[[Any], Any], x: float, k: int) -> float:
    return float(mp.diff(f, mp.mpf(x), k))


def all_orders(f: Fn, x: float, want: Callable[[int], float], rtol: float = 1e-9) -> None:
    """Orders 1-4 by nested grad, nested jvp and (order 2) jacfwd(jacrev)."""
    for k in range(1, 5):
        w = want(k)
        for how, g in (("grad", nested_grad(f, k)), ("jvp", nested_jvp(f, k))):
            got = float(g(x))
            assert got == pytest.approx(w, rel=rtol, abs=1e-9), (how, k, x, got, w)
    h = float(fd.hessian(f)(x))
    assert h == pytest.approx(want(2), rel=rtol, abs=1e-9)


# ---------------------------------------------------------------------------
# pow: the derivative in the exponent survives y == 0; 0 ** 0
# ---------------------------------------------------------------------------


def test_pow_hessian_at_zero_exponent_is_symmetric_and_exact() -> None:
    h = fd.hessian(lambda v: v[0] ** v[1])(np.array([2.0, 0.0]))
    np.testing.assert_allclose(h, [[0.0, 0.5], [0.5, math.log(2.0) ** 2]], rtol=1e-14)
    h = fd.jacrev(fd.jacfwd(lambda v: v[0] ** v[1]))(np.array([2.0, 0.0]))
    np.testing.assert_allclose(h, [[0.0, 0.5], [0.5, math.log(2.0) ** 2]], rtol=1e-14)


@pytest.mark.parametrize("x0", [1.0, 0.5, 2.0])
def test_x_pow_x_all_orders(x0: float) -> None:
    # at x = 1 the inner pow(x, y - 1) has exponent exactly 0
    all_orders(lambda x: x**x, x0, lambda k: mp_deriv(lambda t: t**t, x0, k))


@pytest.mark.parametrize(
    ("x0", "y0"), [(2.0, 0.0), (1.0, 1.0), (0.5, 2.0), (3.0, -1.0), (1.0, 0.0), (2.0, 1.0)]
)
def test_pow_partials_to_third_order_against_mpmath(x0: float, y0: float) -> None:
    f = lambda v: v[0] ** v[1]  # noqa: E731
    v0 = np.array([x0, y0])
    g = fd.grad(f)(v0)
    h = fd.hessian(f)(v0)
    t = fd.jacfwd(fd.jacfwd(fd.jacrev(f)))(v0)
    ref = lambda i, j: float(mp.diff(lambda a, b: a**b, (x0, y0), (i, j)))  # noqa: E731
    np.testing.assert_allclose(g, [ref(1, 0), ref(0, 1)], rtol=1e-12)
    np.testing.assert_allclose(h, [[ref(2, 0), ref(1, 1)], [ref(1, 1), ref(0, 2)]], rtol=1e-12)
    for i in range(2):
        for j in range(2):
            for k in range(2):
                order = (i == 0) + (j == 0) + (k == 0)
                assert t[i, j, k] == pytest.approx(ref(order, 3 - order), rel=1e-10, abs=1e-12)


def test_pow_zero_exponent_at_zero_base() -> None:
    f = lambda x: x**0.0  # noqa: E731
    for k in range(1, 5):
        assert float(nested_grad(f, k)(0.0)) == 0.0
        assert float(nested_jvp(f, k)(0.0)) == 0.0
    assert float(nested_grad(f, 2)(3.0)) == 0.0


@pytest.mark.parametrize("n", [2.0, 3.0, 4.0])
def test_float_pow_at_zero_base_all_orders(n: float) -> None:
    # x ** n with a float exponent reaches x ** 0.0 after n derivatives
    want = lambda k: math.factorial(int(n)) if k == n else 0.0  # noqa: E731
    all_orders(lambda x: x**n, 0.0, want)


@pytest.mark.parametrize("x0", [-2.0, -0.5, 0.0, 1.5])
@pytest.mark.parametrize("n", [2, 3, -1, -2])
def test_integer_pow_and_integer_valued_float_pow(x0: float, n: int) -> None:
    if x0 == 0.0 and n < 0:
        return
    want = lambda k: float(mp.diff(lambda t: t**n, x0, k))  # noqa: E731
    all_orders(lambda x: x**n, x0, want)  # integer_pow
    all_orders(lambda x: x ** float(n), x0, want)  # pow with an integer-valued float


def test_pow_conventions_at_zero_base_and_negative_base() -> None:
    dx = fd.grad(lambda x, y: x**y, argnums=(0, 1))
    # 0 ** 0: derivative 0 in both arguments
    assert [float(g) for g in dx(0.0, 0.0)] == [0.0, 0.0]
    # 0 ** y for y > 0 is constant in y: derivative 0 there
    assert [float(g) for g in dx(0.0, 2.0)] == [0.0, 0.0]
    assert [float(g) for g in dx(0.0, 1.0)] == [1.0, 0.0]
    # x < 0: x ** y is not real for non-integer y, so no derivative in y (NaN)
    with np.errstate(invalid="ignore"):
        gx, gy = dx(-2.0, 3.0)
    assert float(gx) == 12.0 and np.isnan(gy)


# ---------------------------------------------------------------------------
# sinc
# ---------------------------------------------------------------------------


def _sinc_at_zero(k: int) -> float:
    # sinc(x) = sum (-1)^n (pi x)^(2n) / (2n+1)!
    return 0.0 if k % 2 else (-1) ** (k // 2) * math.pi**k / (k + 1)


def test_sinc_derivatives_at_zero_closed_form() -> None:
    assert _sinc_at_zero(2) == pytest.approx(-(math.pi**2) / 3)
    assert _sinc_at_zero(4) == pytest.approx(math.pi**4 / 5)
    all_orders(fnp.sinc, 0.0, _sinc_at_zero, rtol=1e-14)
    # higher orders through the polynomial branch
    for k in (6, 8):
        assert float(nested_grad(fnp.sinc, k)(0.0)) == pytest.approx(_sinc_at_zero(k), rel=1e-12)


@pytest.mark.parametrize(
    "x0", [1e-8, -1e-3, 0.1, 0.3, 1 / math.pi - 1e-9, 1 / math.pi + 1e-9, 0.5, -2.7, 3.0]
)
def test_sinc_near_and_away_from_zero(x0: float) -> None:
    all_orders(fnp.sinc, x0, lambda k: mp_deriv(mp.sincpi, x0, k), rtol=1e-9)
    assert float(fnp.sinc(x0)) == pytest.approx(np.sinc(x0), rel=1e-15)


def test_sinc_float32_and_arrays() -> None:
    x = np.array([0.0, 0.25, 1.0, 2.5], dtype=np.float32)
    y = fnp.sinc(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, np.sinc(x), rtol=1e-6, atol=1e-7)
    g = fd.grad(lambda v: fnp.sum(fnp.sinc(v)))(x)
    assert g.dtype == np.float32 and np.all(np.isfinite(g))


# ---------------------------------------------------------------------------
# abs, hypot, norm at 0
# ---------------------------------------------------------------------------


def test_abs_convention_and_smooth_compositions() -> None:
    assert float(fd.grad(fnp.abs)(0.0)) == 1.0  # sign(0) taken as +1
    assert float(fd.grad(fnp.abs)(-0.0)) == 1.0
    assert float(fd.grad(fnp.abs)(-3.0)) == -1.0
    assert float(fd.hessian(fnp.abs)(0.0)) == 0.0
    assert float(fd.hessian(lambda x: fnp.abs(x) ** 2)(0.0)) == 2.0
    assert float(fd.hessian(lambda x: fnp.abs(x) * fnp.abs(x))(0.0)) == 2.0
    # cos(|x|) = cos(x): every order right at the kink of |x|
    all_orders(lambda x: fnp.cos(fnp.abs(x)), 0.0, lambda k: mp_deriv(mp.cos, 0.0, k))
    x32 = np.float32(0.0)
    assert fd.grad(fnp.abs)(x32).dtype == np.float32
    assert np.isnan(fd.grad(fnp.abs)(np.nan))


def test_hypot_smooth_points_and_origin() -> None:
    assert float(fd.hessian(lambda x: fnp.hypot(x, 1.0))(0.0)) == 1.0
    all_orders(
        lambda x: fnp.hypot(x, 1.0), 0.0, lambda k: mp_deriv(lambda t: mp.sqrt(t * t + 1), 0.0, k)
    )
    v = np.array([1.0, 1.0])
    h = np.hypot(*v)
    u = v / h
    want = (np.eye(2) - np.outer(u, u)) / h
    np.testing.assert_allclose(fd.hessian(lambda w: fnp.hypot(w[0], w[1]))(v), want, rtol=1e-14)
    # at the origin (a cone): value and gradient 0, curvature NaN
    np.testing.assert_array_equal(fd.grad(lambda w: fnp.hypot(w[0], w[1]))(np.zeros(2)), 0.0)
    assert np.all(np.isnan(fd.hessian(lambda w: fnp.hypot(w[0], w[1]))(np.zeros(2))))
    # no overflow or underflow, numpy's inf/NaN rule
    assert float(fnp.hypot(1e200, 1e200)) == pytest.approx(np.hypot(1e200, 1e200), rel=1e-15)
    assert float(fnp.hypot(3e-200, 4e-200)) == pytest.approx(5e-200, rel=1e-15)
    assert float(fnp.hypot(np.inf, np.nan)) == np.inf
    assert float(fd.grad(lambda x: fnp.hypot(x, 4.0))(3e200)) == pytest.approx(1.0)


def test_norm_at_zero_convention() -> None:
    z = np.zeros(3)
    np.testing.assert_array_equal(fd.grad(fnp.linalg.norm)(z), 0.0)
    # the curvature of |x| is unbounded near 0: NaN, never a finite number
    assert np.all(np.isnan(fd.hessian(fnp.linalg.norm)(z)))
    # so a smooth function of the norm cannot be right through it at 0 (no
    # linear tangent g of the norm gives 2 g g^T = 2 I): NaN, not 0
    assert np.all(np.isnan(fd.hessian(lambda x: fnp.linalg.norm(x) ** 2)(z)))
    np.testing.assert_array_equal(fd.grad(lambda x: fnp.linalg.norm(x) ** 2)(z), 0.0)
    # the squared norm written as a sum of squares is exact
    np.testing.assert_array_equal(fd.hessian(lambda x: fnp.sum(x**2))(z), 2 * np.eye(3))
    for o in (3, 1.5):
        assert np.all(np.isnan(fd.hessian(lambda x, o=o: fnp.linalg.norm(x, o))(z)))
        np.testing.assert_array_equal(fd.grad(lambda x, o=o: fnp.linalg.norm(x, o))(z), 0.0)


def test_norm_squared_away_from_zero_is_2i() -> None:
    x = np.array([1e-3, -2.0, 0.5])
    np.testing.assert_allclose(
        fd.hessian(lambda v: fnp.linalg.norm(v) ** 2)(x), 2 * np.eye(3), rtol=1e-13, atol=1e-13
    )
    x = np.array([0.0, 1e-150])
    np.testing.assert_allclose(
        fd.hessian(lambda v: fnp.linalg.norm(v) ** 2)(x), 2 * np.eye(2), rtol=1e-13
    )


# ---------------------------------------------------------------------------
# maximum / minimum / clip at ties
# ---------------------------------------------------------------------------


def test_max_min_ties_split_evenly_and_smooth_compositions() -> None:
    tie = np.array([1.5, 1.5])
    np.testing.assert_allclose(fd.grad(lambda v: fnp.maximum(v[0], v[1]))(tie), [0.5, 0.5])
    np.testing.assert_allclose(fd.grad(lambda v: fnp.minimum(v[0], v[1]))(tie), [0.5, 0.5])
    s = lambda v: fnp.maximum(v[0], v[1]) + fnp.minimum(v[0], v[1])  # noqa: E731
    np.testing.assert_allclose(fd.grad(s)(tie), [1.0, 1.0])
    np.testing.assert_allclose(fd.hessian(s)(tie), np.zeros((2, 2)))
    odd = lambda x: fnp.maximum(x, 0.0) - fnp.maximum(-x, 0.0)  # = x  # noqa: E731
    all_orders(odd, 0.0, lambda k: 1.0 if k == 1 else 0.0)
    assert float(fd.grad(lambda x: fnp.maximum(x, x))(2.0)) == 1.0
    _, t = fd.jvp(lambda x, y: fnp.maximum(x, y), (1.0, 1.0), (2.0, 5.0))
    assert float(t) == 3.5
    # away from ties: the operand picked, broadcasting
    x = np.array([[0.0, 2.0, -1.0]])
    y = np.array([[1.0], [-3.0]])
    gx, gy = fd.grad(lambda a, b: fnp.sum(fnp.maximum(a, b)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [[1.0, 2.0, 1.0]])
    np.testing.assert_array_equal(gy, [[2.0], [0.0]])


def test_clip_at_the_bounds() -> None:
    g = fd.grad(lambda v: fnp.sum(fnp.clip(v, 0.0, 1.0)))(np.array([-1.0, 0.0, 0.5, 1.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.5, 1.0, 0.5, 0.0])
    gl, gh = fd.grad(lambda lo, hi: fnp.clip(2.0, lo, hi), argnums=(0, 1))(3.0, 4.0)
    assert (float(gl), float(gh)) == (1.0, 0.0)


# ---------------------------------------------------------------------------
# the other kinks and guarded points
# ---------------------------------------------------------------------------

_UNARY_SMOOTH = [
    ("log1p", fnp.log1p, mp.log1p, 0.0),
    ("expm1", fnp.expm1, mp.expm1, 0.0),
    ("sqrt", fnp.sqrt, mp.sqrt, 1.0),
    ("cbrt", fnp.cbrt, mp.cbrt, 1.0),
    ("tan", fnp.tan, mp.tan, 0.0),
    ("arcsin", fnp.arcsin, mp.asin, 0.0),
    ("arccos", fnp.arccos, mp.acos, 0.0),
    ("arctan", fnp.arctan, mp.atan, 0.0),
    ("tanh", fnp.tanh, mp.tanh, 0.0),
    ("arcsinh", fnp.arcsinh, mp.asinh, 0.0),
    ("arccosh", fnp.arccosh, mp.acosh, 2.0),
    ("arctanh", fnp.arctanh, mp.atanh, 0.0),
    ("sigmoid", fnn.sigmoid, lambda t: 1 / (1 + mp.exp(-t)), 0.0),
    ("softplus", fnn.softplus, lambda t: mp.log(1 + mp.exp(t)), 0.0),
    ("log_sigmoid", fnn.log_sigmoid, lambda t: -mp.log(1 + mp.exp(-t)), 0.0),
    ("gelu", lambda x: fnn.gelu(x, approximate=False), lambda t: t * mp.ncdf(t), 0.0),
    ("silu", fnn.silu, lambda t: t / (1 + mp.exp(-t)), 0.0),
    ("softsign_pos", fnn.softsign, lambda t: t / (1 + abs(t)), 0.5),
    ("logaddexp_tie", lambda x: fnp.logaddexp(x, 0.0), lambda t: mp.log(mp.exp(t) + 1), 0.0),
    ("log2", fnp.log2, lambda t: mp.log(t, 2), 1.0),
    ("exp2", fnp.exp2, lambda t: 2**t, 0.0),
]


@pytest.mark.parametrize(
    ("name", "f", "ref", "x0"), _UNARY_SMOOTH, ids=[u[0] for u in _UNARY_SMOOTH]
)
def test_smooth_functions_at_special_points(name: str, f: Fn, ref: Any, x0: float) -> None:
    all_orders(f, x0, lambda k: mp_deriv(ref, x0, k), rtol=1e-8)


def test_logaddexp_tie_both_arguments() -> None:
    h = fd.hessian(lambda v: fnp.logaddexp(v[0], v[1]))(np.array([0.3, 0.3]))
    np.testing.assert_allclose(h, [[0.25, -0.25], [-0.25, 0.25]], rtol=1e-14)


def test_kink_conventions() -> None:
    """The conventions at points with no derivative (docs/conventions.md)."""
    g = lambda f, x: float(fd.grad(f)(x))  # noqa: E731
    assert g(fnn.relu, 0.0) == 0.0
    assert g(fnn.relu6, 0.0) == 0.0 and g(fnn.relu6, 6.0) == 0.0
    assert g(fnn.hard_tanh, 1.0) == 1.0 and g(fnn.hard_tanh, -1.0) == 1.0
    assert g(fnn.leaky_relu, 0.0) == 1.0
    assert g(fnp.sign, 0.0) == 0.0
    assert g(fnp.floor, 2.0) == 0.0
    assert g(lambda x: fnp.linalg.norm(fnp.stack([x]), 1), 0.0) == 1.0  # sum |x|
    # elu (alpha = 1) is C^1; its second derivative at 0 is the left one
    assert g(fnn.elu, 0.0) == 1.0
    assert float(fd.hessian(fnn.elu)(0.0)) == 1.0
    # sqrt at 0: the one-sided derivative, infinite
    assert g(fnp.sqrt, 0.0) == np.inf


@pytest.mark.parametrize("x0", [-50.0, -40.0, -30.0, 30.0, 40.0])
def test_sigmoid_and_softplus_tails_all_orders(x0: float) -> None:
    sig = lambda t: 1 / (1 + mp.exp(-t))  # noqa: E731
    assert float(fnn.sigmoid(x0)) == pytest.approx(float(sig(x0)), rel=1e-14)
    assert float(fnn.softplus(x0)) == pytest.approx(float(mp.log1p(mp.exp(x0))), rel=1e-14)
    all_orders(fnn.sigmoid, x0, lambda k: mp_deriv(sig, x0, k), rtol=1e-9)
    all_orders(fnn.softplus, x0, lambda k: mp_deriv(lambda t: mp.log1p(mp.exp(t)), x0, k))


def test_logaddexp_edges_match_numpy() -> None:
    inf, nan = np.inf, np.nan
    for a, b in [(-inf, -inf), (inf, 1.0), (inf, inf), (nan, 1.0), (1.0, nan), (inf, -inf)]:
        np.testing.assert_equal(fnp.logaddexp(a, b), np.logaddexp(a, b))
    x = np.array([1000.0, -3.0, 0.5], dtype=np.float32)
    y = np.array([1000.0, 2.0, 0.5], dtype=np.float32)
    out = fnp.logaddexp(x, y)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.logaddexp(x, y), rtol=1e-6)

"""Taylor mode through control flow and custom rules, against nested jvp
(orders 1 to 4), closed forms and mpmath; eagerly and under ``jit``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import mpmath as mp
import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.implicit import custom_root

K = 4


def nested(f: Callable[[Any], Any], x: Any, v: Any, k: int) -> Any:
    g = f
    for _ in range(k):
        g = (lambda h: lambda y: fd.jvp(h, (y,), (v,))[1])(g)
    return g(x)


def check(f: Callable[[Any], Any], x: Any, v: Any, order: int = K) -> None:
    tf = fd.taylor(f, order=order)
    eager = tf(x, v)
    jitted = fd.jit(lambda x, v: tf(x, v))(x, v)
    np.testing.assert_allclose(jitted, eager, rtol=1e-13, atol=1e-14)
    for k in range(1, order + 1):
        ref = np.asarray(nested(f, x, v, k))
        got = np.asarray(eager[k]) * math.factorial(k)
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10 * (1 + np.abs(ref).max()))


X, V = np.array([0.7, 1.3]), np.array([0.4, -0.9])


def _branches(threshold: float) -> Callable[[Any], Any]:
    return lambda x: lax.cond(
        fnp.sum(x) > threshold, lambda y: fnp.sin(y) * y, lambda y: fnp.exp(y), x
    )


@pytest.mark.parametrize("threshold", [1.0, 5.0], ids=["true_branch", "false_branch"])
def test_cond(threshold: float) -> None:
    check(_branches(threshold), X, V)


def test_switch_three_branches() -> None:
    for i in range(3):
        check(
            lambda x, i=i: lax.switch(i, [lambda y: y, lambda y: fnp.tanh(y) ** 2, fnp.cos], x),
            X,
            V,
        )


def test_fori_loop() -> None:
    check(lambda x: lax.fori_loop(0, 5, lambda i, c: c * fnp.cos(c), x), X, V)


def test_while_loop_concrete_trip_count() -> None:
    def f(x: Any) -> Any:
        body = lambda c: (fnp.sin(c[0]) + c[0], c[1] + 1)  # noqa: E731
        return lax.while_loop(lambda c: c[1] < 4, body, (x, 0))[0]

    check(f, X, V)


def test_newton_sqrt_closed_form() -> None:
    # sqrt(a) by 30 Newton steps in a while loop: the series of sqrt along a + t
    def sqrt(a: Any) -> Any:
        body = lambda c: (0.5 * (c[0] + a / c[0]), c[1] + 1)  # noqa: E731
        return lax.while_loop(lambda c: c[1] < 30, body, (a, 0))[0]

    a = 2.0
    c = fd.taylor(sqrt, order=4)(a, 1.0)
    want = [float(mp.binomial(0.5, j)) * a ** (0.5 - j) for j in range(5)]
    np.testing.assert_allclose(c, want, rtol=1e-12)


def test_scan_cumulative_product() -> None:
    def f(x: Any) -> Any:
        c, ys = lax.scan(lambda c, xi: (c * xi, c * xi), 1.0, x)
        return fnp.sum(ys) + c

    check(f, X, V)


def test_scan_tanh_recurrence_with_closed_over_input() -> None:
    w = np.array([[0.5, -0.3], [0.2, 0.8]])

    def f(x: Any) -> Any:
        step = lambda h, xi: (fnp.tanh(w @ h + xi * x), fnp.sum(h))  # noqa: E731
        c, ys = lax.scan(step, x, np.arange(3.0))
        return fnp.sum(c) + fnp.sum(ys**2)

    check(f, X, V)


def test_scan_over_moving_xs_reverse() -> None:
    def f(x: Any) -> Any:
        c, ys = lax.scan(lambda c, xi: (c + fnp.sin(xi * c), c * xi), 0.3, x, reverse=True)
        return c + fnp.sum(ys)

    check(f, X, V)


def test_cond_inside_scan() -> None:
    def f(x: Any) -> Any:
        step = lambda h, xi: (  # noqa: E731
            lax.cond(xi > 0.5, fnp.sin, lambda h: h * h, h),
            h,
        )
        c, _ = lax.scan(step, x, np.array([0.0, 1.0, 2.0]))
        return fnp.sum(c)

    check(f, X, V)


def test_checkpoint() -> None:
    check(fd.checkpoint(lambda x: fnp.sum(fnp.exp(fnp.sin(x)) * x)), X, V)


def test_custom_jvp_with_correct_rule() -> None:
    @fd.custom_jvp
    def softplus(x: Any) -> Any:
        return fnp.log1p(fnp.exp(x))

    @softplus.defjvp
    def _(primals: Any, tangents: Any) -> Any:
        (x,), (t,) = primals, tangents
        return softplus(x), t / (1.0 + fnp.exp(-x))

    check(lambda x: fnp.sum(softplus(x) * x), X, V)
    plain = fd.taylor(lambda x: fnp.sum(fnp.log1p(fnp.exp(x)) * x), order=K)(X, V)
    np.testing.assert_allclose(fd.taylor(lambda x: fnp.sum(softplus(x) * x), order=K)(X, V), plain)


def test_custom_jvp_rule_is_followed() -> None:
    # a deliberately different rule: d/dx "f" = 2 (f itself is sin): jet follows
    # the rule as jvp does, so the series of f along t is (sin x0, 2, 0, ...)
    @fd.custom_jvp
    def f(x: Any) -> Any:
        return fnp.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), 2.0 * t[0]))
    c = fd.taylor(f, order=3)(0.4, 1.0)
    np.testing.assert_allclose(c, [np.sin(0.4), 2.0, 0.0, 0.0], atol=1e-15)
    check(lambda x: fnp.sum(f(x) ** 2), X, V)


def test_custom_vjp_follows_forward_mode() -> None:
    @fd.custom_vjp
    def f(x: Any) -> Any:
        return fnp.sin(x) * x

    f.defvjp(lambda x: (fnp.sin(x) * x, x), lambda r, g: (g * (fnp.cos(r) * r + fnp.sin(r)),))
    check(lambda x: fnp.sum(f(x) ** 2), X, V)


def _cubic_root_derivs(t: float) -> list[float]:
    """x(t) with x^3 + x = t: derivatives 1..3, mpmath, 40 digits."""
    with mp.workdps(40):

        def root(s: Any) -> Any:
            return mp.findroot(lambda x: x**3 + x - s, 0.5)

        return [float(mp.diff(root, mp.mpf(t), k)) for k in (1, 2, 3)]


def test_custom_root_solution_orders_1_to_3() -> None:
    def newton(x: Any, t: Any) -> Any:
        x = 0.5
        for _ in range(60):
            x = x - (x**3 + x - float(t)) / (3 * x**2 + 1)
        return np.float64(x)

    root = custom_root(lambda x, t: x**3 + x - t)(newton)
    t0 = 1.3
    c = fd.taylor(lambda t: root(0.0, t), order=3)(t0, 1.0)
    want = _cubic_root_derivs(t0)
    got = [c[k] * math.factorial(k) for k in (1, 2, 3)]
    np.testing.assert_allclose(got, want, rtol=1e-11)

"""jet through control flow and custom-derivative primitives: a second,
independently written set of checks against nested jvp (orders 1-4) and
closed forms (test_jet_control.py is the first)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.interpreters.taylor_mode import taylor_jaxpr

ORDER = 4


def nested_jvp(f: Callable[..., Any], x: Any, v: Any, k: int) -> Any:
    g = f
    for _ in range(k):
        g = (lambda h: lambda a: fd.jvp(h, (a,), (v,))[1])(g)
    return g(x)


def series_of(v: Any) -> tuple[Any, ...]:
    return (v, *(np.zeros_like(v) for _ in range(ORDER - 1)))


def check(f: Callable[[Any], Any], x: Any, order: int = ORDER) -> list[Any]:
    x = np.asarray(x, dtype=float)
    v = np.ones_like(x) * 0.7
    y, out = fd.jet(f, (x,), (series_of(v)[:order],))
    np.testing.assert_allclose(np.asarray(y), np.asarray(f(x)), rtol=1e-12)
    for k in range(1, order + 1):
        ref = np.asarray(nested_jvp(f, x, v, k))
        scale = 1 + np.abs(ref).max()
        np.testing.assert_allclose(np.asarray(out[k - 1]), ref, rtol=1e-10, atol=1e-10 * scale)
    return [np.asarray(o) for o in out]


def branchy(x: Any) -> Any:
    return lax.cond(fnp.sum(x) > 0, lambda a: fnp.sin(a) * a, lambda a: fnp.exp(a) ** 2, x)


@pytest.mark.parametrize("x", [[0.3, 0.5], [-0.4, -0.2]])
def test_cond_both_branches(x: Any) -> None:
    check(branchy, x)


@pytest.mark.parametrize("i", [0, 1, 2])
def test_switch_three_branches(i: int) -> None:
    brs = [lambda a: fnp.sin(a), lambda a: fnp.cos(a) * a, lambda a: fnp.log1p(a * a)]
    check(lambda x: lax.switch(i, brs, x), [0.3, 0.8])


def test_fori_loop_iterated_map() -> None:
    check(lambda x: lax.fori_loop(0, 5, lambda i, a: a * fnp.cos(a), x), [0.4, 1.1])


def test_while_newton_sqrt_closed_form() -> None:
    # Newton for sqrt(theta): converges in ~8 steps; derivatives of sqrt
    def f(theta: Any) -> Any:
        def body(c: Any) -> Any:
            i, a = c
            return i + 1, 0.5 * (a + theta / a)

        return lax.while_loop(lambda c: c[0] < 12, body, (0, theta))[1]

    out = check(f, 2.0)
    th, v = 2.0, 0.7
    closed = [
        0.5 * th**-0.5 * v,
        -0.25 * th**-1.5 * v**2,
        0.375 * th**-2.5 * v**3,
        -0.9375 * th**-3.5 * v**4,
    ]
    np.testing.assert_allclose(out, closed, rtol=1e-9)


def test_scan_cumprod_and_rnn() -> None:
    def cumprod(x: Any) -> Any:
        return lax.scan(lambda c, a: (c * a, c * a), 1.0, x)[1]

    check(cumprod, [0.5, 1.5, 2.0, -0.7])

    w = np.array([[0.3, -0.5], [0.8, 0.1]])

    def rnn(x: Any) -> Any:
        h, hs = lax.scan(lambda h, a: (fnp.tanh(w @ h + a), h * a), fnp.zeros(2), x)
        return fnp.sum(hs) + fnp.sum(h**2)

    check(rnn, np.linspace(-1, 1, 8).reshape(4, 2))


def test_cond_inside_scan() -> None:
    def f(x: Any) -> Any:
        def step(c: Any, a: Any) -> Any:
            c2 = lax.cond(a > 0, lambda u: u * fnp.sin(a), lambda u: u + a**2, c)
            return c2, c2

        return lax.scan(step, 1.0, x)[1]

    check(f, [0.5, -0.3, 1.2, -0.8])


@fd.custom_jvp
def softplus(x: Any) -> Any:
    return fnp.log1p(fnp.exp(x))


@softplus.defjvp
def _softplus_jvp(primals: Any, tangents: Any) -> Any:
    (x,), (t,) = primals, tangents
    return softplus(x), t / (1 + fnp.exp(-x))


@fd.custom_jvp
def wrong(x: Any) -> Any:
    return fnp.sin(x)


@wrong.defjvp
def _wrong_jvp(primals: Any, tangents: Any) -> Any:
    (x,), (t,) = primals, tangents
    return wrong(x), t * fnp.exp(x)  # deliberately not cos


def test_custom_jvp_follows_rule() -> None:
    out = check(softplus, [0.3, -1.0])
    plain = check(lambda x: fnp.log1p(fnp.exp(x)), [0.3, -1.0])
    np.testing.assert_allclose(out, plain, rtol=1e-10)
    out = check(wrong, 0.4)
    # the rule says y' = exp(x): every derivative of y is exp(x) v^k
    np.testing.assert_allclose(out, [np.exp(0.4) * 0.7**k for k in range(1, 5)], rtol=1e-12)


def test_custom_root_implicit_derivatives() -> None:
    def newton(x0: Any, theta: Any) -> Any:
        x = 1.0
        for _ in range(60):
            x = x - (x**3 + x - theta) / (3 * x**2 + 1)
        return x

    def scalar_solve(matvec: Any, b: Any, n: int) -> Any:
        return b / matvec(fnp.ones_like(b))

    root = fd.custom_root(lambda x, theta: x**3 + x - theta, scalar_solve, depth=4)(newton)
    th = 2.0
    y, out = fd.jet(lambda t: root(0.0, t), (th,), ((1.0, 0.0, 0.0),))
    x = float(y)
    # x(theta) with x^3 + x = theta: x' = 1/(3x^2+1), x'' = -6x x'^3,
    # x''' = -6 x'^4 - 18 x x' x'' ... (differentiate x'' = -6 x x'^3)
    d1 = 1 / (3 * x**2 + 1)
    d2 = -6 * x * d1**3
    d3 = -6 * d1**4 - 18 * x * d1**2 * d2
    np.testing.assert_allclose(x**3 + x, th, rtol=1e-14)
    np.testing.assert_allclose([float(o) for o in out], [d1, d2, d3], rtol=1e-10)


def test_checkpoint() -> None:
    check(fd.checkpoint(lambda x: fnp.sin(fnp.sin(x)) * x), [0.3, 1.4])


def _jit_jet(f: Callable[[Any], Any], x: Any) -> None:
    # the Taylor interpreter itself under jit, on traced primals
    x = np.asarray(x, dtype=float)
    closed = fd.make_jaxpr(f)(x)
    s = [np.ones_like(x), *(np.zeros_like(x) for _ in range(ORDER - 1))]
    eager = taylor_jaxpr(closed, [x], [s])
    jitted = fd.jit(lambda a, *c: taylor_jaxpr(closed, [a], [list(c)]))(x, *s)
    for a, b in zip(fd.tree.tree_flatten(eager)[0], fd.tree.tree_flatten(jitted)[0], strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-14)


def test_under_jit_equals_eager() -> None:
    _jit_jet(softplus, [0.3, -1.0])
    _jit_jet(wrong, [0.4])
    _jit_jet(fd.checkpoint(lambda x: fnp.sin(fnp.sin(x)) * x), [0.3, 1.4])


def test_under_jit_loops_and_cond_equal_eager() -> None:
    _jit_jet(branchy, [0.3, 0.5])
    _jit_jet(lambda x: lax.fori_loop(0, 5, lambda i, a: a * fnp.cos(a), x), [0.4])
    _jit_jet(
        lambda x: lax.scan(lambda c, xi: (c * fnp.sin(xi + c), c), x, np.arange(3.0))[0], [0.4]
    )

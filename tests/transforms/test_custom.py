"""custom_jvp, custom_vjp, stop_gradient, checkpoint, safe_where and debug_nans."""

from __future__ import annotations

import gc
import threading
import tracemalloc
from functools import partial
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.checking import check_grads
from funcdiff.custom import (
    checkpoint,
    custom_jvp,
    custom_vjp,
    remat,
    safe_where,
    stop_gradient,
)
from funcdiff.debug import NaNError, debug_nans, is_enabled
from funcdiff.errors import ShapeError

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + fnp.exp(-x))


def np_sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


# ---------------------------------------------------------------------------
# custom_jvp
# ---------------------------------------------------------------------------


@custom_jvp
def log1pexp(x: Any) -> Any:
    return fnp.log1p(fnp.exp(x))


@log1pexp.defjvp
def log1pexp_jvp(primals: Any, tangents: Any) -> Any:
    (x,), (t,) = primals, tangents
    return log1pexp(x), t * (1.0 - 1.0 / (1.0 + fnp.exp(x)))


def test_custom_jvp_stable_gradient_where_the_naive_one_is_nan() -> None:
    naive = fd.grad(lambda x: fnp.log1p(fnp.exp(x)))(1000.0)
    assert np.isnan(naive)
    assert float(fd.grad(log1pexp)(1000.0)) == 1.0
    _, t = fd.jvp(log1pexp, (1000.0,), (1.0,))
    assert float(t) == 1.0
    x = np.array([-3.0, 0.0, 2.5])
    np.testing.assert_allclose(fd.jacfwd(log1pexp)(x), np.diag(np_sigmoid(x)), rtol=1e-12)
    np.testing.assert_allclose(fd.jacrev(log1pexp)(x), np.diag(np_sigmoid(x)), rtol=1e-12)


def test_custom_jvp_eager_call_runs_the_function() -> None:
    np.testing.assert_allclose(log1pexp(np.array([0.0, 1.0])), np.log1p(np.exp([0.0, 1.0])))


def test_custom_jvp_rule_is_used_in_both_modes() -> None:
    # a deliberately "wrong" rule shows the body is not differentiated
    @custom_jvp
    def f(x: Any) -> Any:
        return x * 1.0

    f.defjvp(lambda p, t: (f(p[0]), 3.0 * t[0]))
    assert float(fd.grad(f)(2.0)) == 3.0
    assert float(fd.jvp(f, (2.0,), (1.0,))[1]) == 3.0
    np.testing.assert_allclose(fd.jacrev(f)(np.ones(2)), 3.0 * np.eye(2))
    np.testing.assert_allclose(fd.jacfwd(f)(np.ones(2)), 3.0 * np.eye(2))


def test_custom_jvp_higher_order() -> None:
    # d2/dx2 softplus = sigmoid * (1 - sigmoid), through the rule
    d2 = fd.grad(fd.grad(log1pexp))
    for v in (-2.0, 0.3, 4.0):
        s = np_sigmoid(v)
        np.testing.assert_allclose(d2(v), s * (1 - s), rtol=1e-10)
    x = np.array([-1.0, 0.5, 2.0])
    s = np_sigmoid(x)
    h = fd.hessian(lambda v: log1pexp(v).sum())(x)
    np.testing.assert_allclose(h, np.diag(s * (1 - s)), rtol=1e-10)
    check_grads(log1pexp, (x,), order=2, modes=("fwd", "rev"))
    # third order, forward over reverse over reverse
    d3 = fd.grad(fd.grad(fd.grad(log1pexp)))(0.7)
    s = np_sigmoid(0.7)
    np.testing.assert_allclose(d3, s * (1 - s) * (1 - 2 * s), rtol=1e-8)


def test_custom_jvp_rule_using_its_own_output() -> None:
    @custom_jvp
    def my_exp(x: Any) -> Any:
        return fnp.exp(x)

    @my_exp.defjvp
    def _(p: Any, t: Any) -> Any:
        ans = my_exp(p[0])
        return ans, ans * t[0]

    for order_fn in (fd.grad, lambda f: fd.grad(fd.grad(f))):
        np.testing.assert_allclose(order_fn(my_exp)(0.5), np.exp(0.5), rtol=1e-12)
    np.testing.assert_allclose(fd.jit(fd.grad(my_exp))(0.5), np.exp(0.5), rtol=1e-12)


def test_custom_jvp_vmap_and_jit() -> None:
    x = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    want = np_sigmoid(x)
    g = fd.grad(log1pexp)
    np.testing.assert_allclose(fd.vmap(g)(x), want)
    np.testing.assert_allclose(fd.jit(g)(1000.0), 1.0)
    np.testing.assert_allclose(fd.grad(fd.jit(log1pexp))(1000.0), 1.0)
    np.testing.assert_allclose(fd.jit(fd.vmap(g))(x), want)
    # the custom rule survives vmap: grad of a batched call is still stable
    np.testing.assert_allclose(fd.grad(lambda v: fd.vmap(log1pexp)(v).sum())(x), want)
    np.testing.assert_allclose(fd.jacfwd(fd.vmap(log1pexp))(x), np.diag(want))
    # batching over a 2-d input, axis 1
    m = np.arange(6.0).reshape(2, 3) - 2.0
    got = fd.vmap(log1pexp, in_axes=1, out_axes=1)(m)
    np.testing.assert_allclose(got, np.log1p(np.exp(m)))
    j = fd.jit(fd.hessian(lambda v: log1pexp(v).sum()))(x[1:4])
    s = want[1:4]
    np.testing.assert_allclose(j, np.diag(s * (1 - s)), rtol=1e-10)


def test_custom_jvp_in_make_jaxpr() -> None:
    text = str(fd.make_jaxpr(log1pexp)(1.0))
    assert "custom_jvp_call" in text and "name='log1pexp'" in text


def test_custom_jvp_nondiff_argnums() -> None:
    @partial(custom_jvp, nondiff_argnums=(0,))
    def app(f: Any, x: Any) -> Any:
        return f(x)

    @app.defjvp
    def app_jvp(f: Any, primals: Any, tangents: Any) -> Any:
        (x,), (t,) = primals, tangents
        return f(x), 2.0 * t

    assert float(app(lambda y: y**2, 3.0)) == 9.0
    assert float(fd.grad(lambda x: app(lambda y: y**2, x))(4.0)) == 2.0
    np.testing.assert_allclose(
        fd.vmap(fd.grad(lambda x: app(fnp.sin, x)))(np.ones(3)), 2.0 * np.ones(3)
    )

    # nondiff in the middle, with an int
    @partial(custom_jvp, nondiff_argnums=(1,))
    def power(x: Any, n: int) -> Any:
        return x**n

    power.defjvp(lambda n, p, t: (power(p[0], n), n * p[0] ** (n - 1) * t[0]))
    assert float(fd.grad(power)(2.0, 3)) == 12.0
    assert float(fd.grad(fd.grad(power))(2.0, 3)) == 12.0
    assert float(fd.jit(fd.grad(power), static_argnums=1)(2.0, 3)) == 12.0


def test_custom_jvp_pytrees_and_several_arguments() -> None:
    @custom_jvp
    def f(p: dict[str, Any], y: Any) -> Any:
        return (fnp.sin(p["a"]) * y, p["b"] * y)

    @f.defjvp
    def f_jvp(primals: Any, tangents: Any) -> Any:
        (p, y), (tp, ty) = primals, tangents
        out = f(p, y)
        ta = fnp.cos(p["a"]) * y * tp["a"] + fnp.sin(p["a"]) * ty
        tb = tp["b"] * y + p["b"] * ty
        return out, (ta, tb)

    p = {"a": np.array([0.3, 1.2]), "b": np.array(2.0)}
    y = np.array([1.5, -0.5])

    def loss(p: Any, y: Any) -> Any:
        a, b = f(p, y)
        return (a * a).sum() + (b * 3.0).sum()

    def plain(p: Any, y: Any) -> Any:
        a, b = fnp.sin(p["a"]) * y, p["b"] * y
        return (a * a).sum() + (b * 3.0).sum()

    gp, gy = fd.grad(loss, argnums=(0, 1))(p, y)
    wp, wy = fd.grad(plain, argnums=(0, 1))(p, y)
    np.testing.assert_allclose(gp["a"], wp["a"])
    np.testing.assert_allclose(gp["b"], wp["b"])
    np.testing.assert_allclose(gy, wy)
    np.testing.assert_allclose(
        fd.hessian(lambda y: loss(p, y))(y), fd.hessian(lambda y: plain(p, y))(y)
    )
    # keyword arguments are resolved to positions
    np.testing.assert_allclose(fd.grad(lambda y: f(p, y=y)[1].sum())(y), [2.0, 2.0])


def test_custom_jvp_closing_over_a_traced_value() -> None:
    # f and its rule close over y, which the outer grad differentiates: the
    # rule covers x, and y gets the ordinary derivative of the body
    def outer(x: Any, y: Any) -> Any:
        @custom_jvp
        def f(x: Any) -> Any:
            return fnp.sin(x) * y

        @f.defjvp
        def f_jvp(p: Any, t: Any) -> Any:
            return f(p[0]), fnp.cos(p[0]) * y * t[0]

        return f(x * x)

    x, y = 0.7, 1.3
    gx, gy = fd.grad(outer, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.cos(x * x) * y * 2 * x)
    np.testing.assert_allclose(gy, np.sin(x * x))
    hess = fd.hessian(lambda v: outer(v[0], v[1]))(np.array([x, y]))
    want = fd.hessian(lambda v: fnp.sin(v[0] * v[0]) * v[1])(np.array([x, y]))
    np.testing.assert_allclose(hess, want, rtol=1e-10)
    np.testing.assert_allclose(fd.jit(fd.grad(outer, argnums=1))(x, y), np.sin(x * x))


def test_custom_jvp_defjvps() -> None:
    f = custom_jvp(lambda x, y: fnp.sin(x) * y)
    f.defjvps(lambda t, out, x, y: fnp.cos(x) * y * t, lambda t, out, x, y: fnp.sin(x) * t)
    check_grads(f, (0.4, 1.7), order=2)
    g = custom_jvp(lambda x, y: x * y)
    g.defjvps(None, lambda t, out, x, y: x * t)
    assert float(fd.grad(g, 0)(2.0, 3.0)) == 0.0
    assert float(fd.grad(g, 1)(2.0, 3.0)) == 2.0


def test_custom_jvp_errors() -> None:
    @custom_jvp
    def no_rule(x: Any) -> Any:
        return x

    with pytest.raises(AttributeError, match="no JVP rule.*no_rule"):
        fd.grad(no_rule)(1.0)

    @custom_jvp
    def bad(x: Any) -> Any:
        return x * 2.0

    bad.defjvp(lambda p, t: (bad(p[0]), fnp.ones(4)))
    with pytest.raises(ShapeError, match="tangent output 0 of the jvp rule of bad"):
        fd.grad(lambda x: bad(x).sum())(np.ones(3))

    @custom_jvp
    def unpaired(x: Any) -> Any:
        return x

    unpaired.defjvp(lambda p, t: t[0])
    with pytest.raises(TypeError, match="must return a pair"):
        fd.grad(unpaired)(1.0)


# ---------------------------------------------------------------------------
# custom_vjp
# ---------------------------------------------------------------------------


@custom_vjp
def softplus(x: Any) -> Any:
    return fnp.logaddexp(x, 0.0)


def softplus_fwd(x: Any) -> Any:
    return softplus(x), x


def softplus_bwd(x: Any, g: Any) -> Any:
    return (g * sigmoid(x),)


softplus.defvjp(softplus_fwd, softplus_bwd)


def naive_softplus(x: Any) -> Any:
    return fnp.log(1.0 + fnp.exp(x))


def test_custom_vjp_stable_log1pexp_at_1000() -> None:
    assert np.isnan(fd.grad(naive_softplus)(1000.0))
    assert np.isinf(naive_softplus(1000.0))
    v, g = fd.value_and_grad(softplus)(1000.0)
    assert float(v) == 1000.0
    assert float(g) == 1.0
    assert np.isfinite(fd.grad(softplus)(-1000.0))
    x = np.array([-1000.0, -2.0, 0.0, 3.0, 1000.0])
    np.testing.assert_allclose(fd.grad(lambda v: softplus(v).sum())(x), np_sigmoid(x))


def test_custom_vjp_rule_is_used() -> None:
    @custom_vjp
    def clip_gradient(x: Any) -> Any:
        return x

    clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (fnp.clip(g, -1.0, 1.0),))
    assert float(fd.grad(lambda x: 3.0 * clip_gradient(x))(2.0)) == 1.0
    assert float(fd.grad(lambda x: 0.5 * clip_gradient(x))(2.0)) == 0.5
    np.testing.assert_allclose(fd.jacrev(lambda x: 5.0 * clip_gradient(x))(np.ones(2)), np.eye(2))


def test_custom_vjp_residuals_come_from_the_forward_pass() -> None:
    seen: list[Any] = []

    @custom_vjp
    def f(x: Any) -> Any:
        return fnp.sin(x)

    def fwd(x: Any) -> Any:
        return fnp.sin(x), (fnp.cos(x), 2)

    def bwd(res: Any, g: Any) -> Any:
        cos_x, two = res
        seen.append(two)
        return (g * cos_x,)

    f.defvjp(fwd, bwd)
    np.testing.assert_allclose(fd.grad(f)(0.3), np.cos(0.3))
    jaxpr = fd.make_jaxpr(fd.grad(f))(0.3)
    eqns = [e for e in jaxpr.eqns if e.primitive.name == "custom_vjp_call"]
    # one equation: outputs are the value and the two residuals (no recomputation)
    assert len(eqns) == 1 and len(eqns[0].outvars) == 3
    assert not any(e.primitive.name == "sin" for e in jaxpr.eqns)


def test_custom_vjp_higher_order_vmap_jit() -> None:
    x = np.array([-3.0, -0.5, 0.0, 1.5, 1000.0])
    s = np_sigmoid(x)
    g = fd.grad(softplus)
    np.testing.assert_allclose(fd.vmap(g)(x), s)
    np.testing.assert_allclose(fd.jit(g)(1000.0), 1.0)
    np.testing.assert_allclose(fd.grad(fd.jit(softplus))(1000.0), 1.0)
    np.testing.assert_allclose(fd.grad(lambda v: fd.vmap(softplus)(v).sum())(x), s)
    np.testing.assert_allclose(fd.jit(fd.vmap(g))(x), s)
    # second order: forward over reverse and reverse over reverse
    for v in (-2.0, 0.1, 3.0):
        sv = np_sigmoid(v)
        np.testing.assert_allclose(fd.grad(g)(v), sv * (1 - sv), rtol=1e-10)
    h = fd.hessian(lambda v: softplus(v).sum())(x[:4])
    np.testing.assert_allclose(h, np.diag(s[:4] * (1 - s[:4])), rtol=1e-10)
    hj = fd.jit(fd.hessian(lambda v: softplus(v).sum()))(x[:4])
    np.testing.assert_allclose(hj, h, rtol=1e-12)
    # (not at 0: fnp.logaddexp's second derivative at x == y is 0, not 1/4)
    check_grads(softplus, (np.array([-3.0, -0.5, 1.5]),), order=2, modes=("fwd", "rev"))


def test_custom_vjp_forward_mode_differentiates_fwd() -> None:
    # JAX refuses forward mode here; funcdiff differentiates fwd instead
    _, t = fd.jvp(softplus, (0.5,), (2.0,))
    np.testing.assert_allclose(t, 2.0 * np_sigmoid(0.5))
    np.testing.assert_allclose(
        fd.jacfwd(softplus)(np.array([0.0, 1.0])), np.diag(np_sigmoid([0.0, 1.0]))
    )


def test_custom_vjp_nondiff_argnums_and_none_cotangents() -> None:
    @partial(custom_vjp, nondiff_argnums=(0, 1))
    def clip_grad(lo: float, hi: float, x: Any, y: Any) -> Any:
        return x * y

    def fwd(lo: float, hi: float, x: Any, y: Any) -> Any:
        return x * y, y

    def bwd(lo: float, hi: float, y: Any, g: Any) -> Any:
        return fnp.clip(g * y, lo, hi), None

    clip_grad.defvjp(fwd, bwd)
    gx, gy = fd.grad(lambda x, y: clip_grad(-1.0, 1.0, x, y), argnums=(0, 1))(2.0, 5.0)
    assert float(gx) == 1.0 and float(gy) == 0.0
    gx = fd.vmap(fd.grad(lambda x, y: clip_grad(-1.0, 1.0, x, y)))(
        np.ones(3), np.array([0.5, 2.0, -3.0])
    )
    np.testing.assert_allclose(gx, [0.5, 1.0, -1.0])


def test_custom_vjp_vmap_with_unbatched_argument() -> None:
    @custom_vjp
    def f(w: Any, x: Any) -> Any:
        return (w * x).sum()

    f.defvjp(lambda w, x: (f(w, x), (w, x)), lambda r, g: (g * r[1], g * r[0]))
    w = np.array([1.0, 2.0, 3.0])
    xs = np.arange(12.0).reshape(4, 3)
    # per-example gradient w.r.t. the shared w, and the summed gradient
    per = fd.vmap(fd.grad(f), in_axes=(None, 0))(w, xs)
    np.testing.assert_allclose(per, xs)
    total = fd.grad(lambda w: fd.vmap(f, in_axes=(None, 0))(w, xs).sum())(w)
    np.testing.assert_allclose(total, xs.sum(0))


def test_custom_vjp_closing_over_a_traced_value() -> None:
    def outer(x: Any, y: Any) -> Any:
        @custom_vjp
        def f(x: Any) -> Any:
            return fnp.sin(x) * y

        f.defvjp(lambda x: (f(x), fnp.cos(x)), lambda c, g: (g * c * y,))
        return f(x * x)

    x, y = 0.7, 1.3
    gx, gy = fd.grad(outer, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.cos(x * x) * y * 2 * x)
    np.testing.assert_allclose(gy, np.sin(x * x))
    hess = fd.hessian(lambda v: outer(v[0], v[1]))(np.array([x, y]))
    want = fd.hessian(lambda v: fnp.sin(v[0] * v[0]) * v[1])(np.array([x, y]))
    np.testing.assert_allclose(hess, want, rtol=1e-10)


def test_custom_vjp_errors() -> None:
    @custom_vjp
    def f(x: Any, y: Any) -> Any:
        return x * y

    with pytest.raises(AttributeError, match=r"no VJP rule.*f\.defvjp"):
        fd.grad(f)(1.0, 2.0)
    f.defvjp(lambda x, y: (x * y, (x, y)), lambda r, g: (g * r[1],))
    with pytest.raises(TypeError, match="one cotangent per differentiable argument"):
        fd.grad(f)(1.0, 2.0)
    f.defvjp(lambda x, y: x * y, lambda r, g: (g, g))
    with pytest.raises(TypeError, match="must return a pair"):
        fd.grad(f)(1.0, 2.0)


# ---------------------------------------------------------------------------
# stop_gradient
# ---------------------------------------------------------------------------


def test_stop_gradient() -> None:
    assert float(fd.grad(lambda x: x * stop_gradient(x))(3.0)) == 3.0
    assert float(fd.jvp(lambda x: x * stop_gradient(x), (3.0,), (1.0,))[1]) == 3.0
    assert float(fd.grad(fd.grad(lambda x: x**2 * stop_gradient(x)))(2.0)) == 4.0
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(fd.vmap(fd.grad(lambda v: v * stop_gradient(v * v)))(x), x * x)
    tree = stop_gradient({"a": 1.0, "b": (np.ones(2),)})
    assert float(tree["a"]) == 1.0 and tree["b"][0].shape == (2,)
    np.testing.assert_allclose(
        fd.hessian(lambda v: (v * stop_gradient(v)).sum())(x), np.zeros((2, 2))
    )
    np.testing.assert_allclose(fd.jit(fd.grad(lambda v: v * stop_gradient(v)))(3.0), 3.0)


def test_stop_gradient_is_safe_under_jit_buffer_reuse() -> None:
    def f(x: Any) -> Any:
        y = fnp.exp(x)
        z = stop_gradient(y)
        w = fnp.sin(y)  # last use of y: jit may write into y's buffer
        return z + w

    x = np.linspace(0.0, 1.0, 5)
    np.testing.assert_allclose(fd.jit(f)(x), np.exp(x) + np.sin(np.exp(x)))


# ---------------------------------------------------------------------------
# checkpoint
# ---------------------------------------------------------------------------


def block(x: Any) -> Any:
    for _ in range(5):
        x = fnp.sin(x) * 1.01
    return x


def chain(x: Any, ck: bool) -> Any:
    f = checkpoint(block) if ck else block
    for _ in range(10):
        x = f(x)
    return x.sum()


def test_checkpoint_same_derivatives() -> None:
    x = np.linspace(-1.0, 1.0, 7)
    g0 = fd.grad(chain)(x, False)
    g1 = fd.grad(chain)(x, True)
    np.testing.assert_allclose(g1, g0, rtol=1e-13)
    np.testing.assert_allclose(fd.jit(fd.grad(chain), static_argnums=1)(x, True), g0, rtol=1e-12)
    np.testing.assert_allclose(fd.grad(fd.jit(chain, static_argnums=1))(x, True), g0, rtol=1e-12)
    h0 = fd.hessian(chain)(x[:3], False)
    np.testing.assert_allclose(fd.hessian(chain)(x[:3], True), h0, rtol=1e-12)
    np.testing.assert_allclose(fd.jacfwd(chain)(x, True), g0, rtol=1e-12)
    xs = np.stack([x, 2 * x])
    got = fd.vmap(fd.grad(chain), in_axes=(0, None))(xs, True)
    np.testing.assert_allclose(got[1], fd.grad(chain)(2 * x, False), rtol=1e-12)
    got = fd.grad(lambda v: fd.vmap(checkpoint(block))(v).sum())(xs)
    np.testing.assert_allclose(got[0], fd.grad(lambda v: block(v).sum())(x), rtol=1e-13)
    check_grads(checkpoint(block), (x,), order=2)
    assert remat is checkpoint


def test_checkpoint_pytrees_static_args_and_jaxpr() -> None:
    @partial(checkpoint, static_argnums=(1,))
    def f(p: dict[str, Any], n: int) -> Any:
        y = p["x"]
        for _ in range(n):
            y = fnp.tanh(y * p["w"])
        return {"y": y, "s": y.sum()}

    p = {"x": np.array([0.1, 0.2]), "w": np.array(1.5)}

    def loss(p: Any) -> Any:
        out = f(p, 3)
        return out["s"] + (out["y"] ** 2).sum()

    def plain(p: Any) -> Any:
        y = p["x"]
        for _ in range(3):
            y = fnp.tanh(y * p["w"])
        return y.sum() + (y**2).sum()

    g, w = fd.grad(loss)(p), fd.grad(plain)(p)
    np.testing.assert_allclose(g["x"], w["x"])
    np.testing.assert_allclose(g["w"], w["w"])
    assert "checkpoint_call" in str(fd.make_jaxpr(loss)(p))


def _peak_bytes(fn: Any, *args: Any) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_checkpoint_saves_memory() -> None:
    # 50 element-wise ops on a 1e5-vector (0.8 MB each), in 10 blocks of 5:
    # without checkpointing grad stores all 50 intermediates; with it, only
    # the 10 block boundaries plus one block while it is differentiated
    x = np.linspace(-1.0, 1.0, 100_000)
    g_plain = fd.grad(chain)
    g_ck = fd.grad(chain)
    np.testing.assert_allclose(g_ck(x, True), g_plain(x, False), rtol=1e-12)
    plain = _peak_bytes(g_plain, x, False)
    ck = _peak_bytes(g_ck, x, True)
    assert plain > 40e6  # at least the 50 stored intermediates
    assert ck < 0.5 * plain, (ck, plain)


# ---------------------------------------------------------------------------
# NaN safety
# ---------------------------------------------------------------------------


def test_where_sqrt_nan_and_the_double_where_fix() -> None:
    def naive(x: Any) -> Any:
        return fnp.where(x > 0, fnp.sqrt(x), 0.0)

    def double_where(x: Any) -> Any:
        safe = fnp.where(x > 0, x, 1.0)
        return fnp.where(x > 0, fnp.sqrt(safe), 0.0)

    def helper(x: Any) -> Any:
        return safe_where(x > 0, fnp.sqrt, x)

    assert np.isnan(fd.grad(naive)(0.0))  # JAX's semantics, kept
    for f in (double_where, helper):
        assert float(fd.grad(f)(0.0)) == 0.0
        assert float(fd.grad(f)(4.0)) == 0.25
        x = np.array([-1.0, 0.0, 4.0])
        np.testing.assert_allclose(f(x), [0.0, 0.0, 2.0])
        np.testing.assert_allclose(fd.vmap(fd.grad(f))(x), [0.0, 0.0, 0.25])
        np.testing.assert_allclose(fd.jacfwd(f)(x), np.diag([0.0, 0.0, 0.25]))
        assert float(fd.grad(fd.grad(f))(0.0)) == 0.0


def test_debug_nans_flag() -> None:
    assert not is_enabled()
    with debug_nans():
        assert is_enabled()
        with debug_nans(False):
            assert not is_enabled()
        assert is_enabled()
        other: list[bool] = []
        t = threading.Thread(target=lambda: other.append(is_enabled()))
        t.start()
        t.join()
        assert other == [False]  # per thread
    assert not is_enabled()
    debug_nans(True)
    try:
        assert is_enabled()
    finally:
        debug_nans(False)
    assert not is_enabled()


def test_debug_nans_check_and_message_without_hooks() -> None:
    from funcdiff.core.trace import new_trace
    from funcdiff.debug import check_output, record_source, source_of
    from funcdiff.primitives import elementwise as ew

    nan_args: tuple[Any, ...] = ((np.array([1.0, 0.0]), np.inf), {}, np.array([1.0, np.nan]))
    check_output(ew.mul_p, *nan_args)  # off: no check
    with debug_nans():
        check_output(ew.mul_p, (np.ones(2), np.ones(2)), {}, np.ones(2))
        check_output(ew.lt_p, (np.ones(2), np.ones(2)), {}, np.zeros(2, bool))
        with pytest.raises(NaNError) as info:
            check_output(ew.mul_p, *nan_args)
        # an equation remembers where it was traced; the interpreters add context
        with new_trace() as trace:
            x = trace.new_arg(fd.ShapedArray((), np.float64))
            fnp.sqrt(x)
            record_source(trace.eqns[-1].outvars)
        eqn = trace.eqns[-1]
        src = source_of(eqn)
        info.value.add_context(eqn, "backward")
    err = info.value
    assert isinstance(err, FloatingPointError)
    assert err.op_primitive == "mul"
    assert "index (1,)" in err.operation and "0.0, inf" in err.operation
    assert "double where" in str(err)
    assert err.here is not None and err.here.filename == __file__
    assert src is not None and src.function == "test_debug_nans_check_and_message_without_hooks"
    assert err.source == src
    text = str(err)
    assert err.phase == "backward" and err.primitive == "sqrt"
    assert "in the VJP rule of `sqrt`" in text and "= sqrt a" in text
    assert "record_source" in text  # the traced line is quoted
    assert source_of(eqn) is None  # the table is cleared when the mode goes off


def f_sqrt(x: Any) -> Any:
    return fnp.where(x > 0, fnp.sqrt(x), 0.0) * 2.0


def test_debug_nans_backward_names_equation_and_line() -> None:
    assert np.isnan(fd.grad(f_sqrt)(0.0))  # off: silent, like JAX
    with debug_nans(), pytest.raises(FloatingPointError) as info:
        fd.grad(f_sqrt)(0.0)
    err = info.value
    assert isinstance(err, NaNError)
    assert err.phase == "backward" and err.primitive == "sqrt"
    assert err.equation is not None and "sqrt" in err.equation
    assert err.source is not None and err.source.function == "f_sqrt"
    assert "fnp.sqrt(x)" in err.source.code
    text = str(err)
    assert "backward pass" in text and "f_sqrt" in text and "0 * inf" in text
    # a second call (the compiled fast path would apply) still checks
    with debug_nans(), pytest.raises(FloatingPointError):
        fd.grad(f_sqrt)(0.0)
    with debug_nans():
        assert float(fd.grad(f_sqrt)(1.0)) == 1.0
        assert float(fd.grad(lambda x: safe_where(x > 0, fnp.sqrt, x))(0.0)) == 0.0


def test_debug_nans_forward_jit_and_custom() -> None:
    def g(x: Any) -> Any:
        y = fnp.log(x - 1.0)
        return y.sum()

    x = np.array([2.0, 0.5])
    with debug_nans(), pytest.raises(FloatingPointError) as info:
        fd.grad(g)(x)
    err = info.value
    assert isinstance(err, NaNError)
    assert err.phase == "forward" and err.primitive == "log"
    assert err.source is not None and "fnp.log(x - 1.0)" in err.source.code
    jg = fd.jit(g)
    for _ in range(3):  # warm every compiled fast path
        jg(np.array([2.0, 3.0]))
        fd.jvp(g, (np.array([2.0, 3.0]),), (np.ones(2),))
        fd.grad(f_sqrt)(1.0)
        fd.jvp(fnp.sqrt, (np.array([1.0]),), (np.zeros(1),))
    with debug_nans(), pytest.raises(NaNError) as info:
        jg(x)
    assert info.value.equation is not None and "log" in info.value.equation
    with debug_nans(), pytest.raises(NaNError) as info:
        fd.jit(g)(x)
    assert info.value.source is not None and "fnp.log(x - 1.0)" in info.value.source.code
    with debug_nans(), pytest.raises(NaNError) as info:
        fd.jvp(fnp.sqrt, (np.array([0.0]),), (np.zeros(1),))
    assert info.value.phase == "jvp" and info.value.primitive == "sqrt"
    with debug_nans(), pytest.raises(NaNError) as info:
        fd.grad(f_sqrt)(0.0)
    assert info.value.phase == "backward"

    @custom_jvp
    def h(x: Any) -> Any:
        return fnp.sqrt(x) + 1.0

    h.defjvp(lambda p, t: (h(p[0]), t[0]))
    with debug_nans(), pytest.raises(NaNError) as info:
        fd.grad(h)(-1.0)
    assert info.value.source is not None and "fnp.sqrt(x) + 1.0" in info.value.source.code
    assert "sqrt" in str(info.value)

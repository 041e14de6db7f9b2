"""Structured control flow: funcdiff.lax.cond/switch/while_loop/fori_loop/scan.

Values against plain Python loops; derivatives (both modes, second order)
against finite differences; jit with traced predicates and bounds against
eager; vmap with batched predicates against a Python loop; reverse mode
through while_loop on concrete values, and its clear error under jit.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.checking import check_grads
from funcdiff.core.primitive import REGISTRY
from funcdiff.errors import ConcretizationError, DTypeError, ShapeError, TreeMismatchError
from funcdiff.primitives.control import cond_p, scan_p, while_p

RNG = np.random.default_rng(0)


def central_diff(f: Any, x: float, eps: float = 1e-6) -> float:
    return (float(f(x + eps)) - float(f(x - eps))) / (2 * eps)


def test_primitives_are_registered() -> None:
    for name in ("cond", "scan", "while"):
        prim = REGISTRY[name]
        assert prim.samples(np.random.default_rng(0)), name
        assert prim.jvp and prim.vjp and prim.batch, name


# ---------------------------------------------------------------------------
# cond and switch
# ---------------------------------------------------------------------------


def piecewise(x: Any) -> Any:
    return lax.cond(x.sum() > 0, lambda v: fnp.sin(v) * v, lambda v: v**3 - v, x)


def piecewise_np(x: np.ndarray) -> Any:
    return np.sin(x) * x if x.sum() > 0 else x**3 - x


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cond_values_and_derivatives(sign: float) -> None:
    x = sign * np.array([0.3, -0.1, 0.5])
    np.testing.assert_allclose(piecewise(x), piecewise_np(x))
    check_grads(piecewise, (x,), order=2, modes=("fwd", "rev"))
    h = fd.hessian(lambda x: piecewise(x).sum())(x)
    want = np.diag(2 * np.cos(x) - x * np.sin(x)) if sign > 0 else np.diag(6 * x)
    np.testing.assert_allclose(h, want, atol=1e-12)


def test_cond_under_jit_with_traced_predicate() -> None:
    f = fd.jit(piecewise)
    for x in (np.array([0.3, 0.2]), np.array([-0.3, 0.2])):
        np.testing.assert_allclose(f(x), piecewise_np(x))
    assert f.trace_count == 1
    g = fd.jit(fd.grad(lambda x: piecewise(x).sum()))
    x = np.array([-0.3, 0.2])
    np.testing.assert_allclose(g(x), 3 * x**2 - 1)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cond_rules_with_traced_index(sign: float) -> None:
    # under jit the index is abstract: the JVP and VJP are cond equations over
    # the branches' JVPs/VJPs (a concrete index takes one branch directly)
    x = sign * np.array([0.3, -0.1, 0.5])

    def f(x: Any) -> Any:
        return lax.switch(
            (x.sum() > 0).astype(int) + (x[0] > 0.4).astype(int),
            [lambda v: v**3 - v, lambda v: fnp.sin(v) * v, lambda v: fnp.exp(v)],
            x,
        )

    for transform in (fd.jacfwd, fd.jacrev, lambda g: fd.hessian(lambda x: g(x).sum())):
        np.testing.assert_allclose(fd.jit(transform(f))(x), transform(f)(x), atol=1e-12)
        np.testing.assert_allclose(fd.jit(transform(f))(x + 0.5), transform(f)(x + 0.5))
    jaxpr = fd.make_jaxpr(fd.jacrev(f))(x)
    assert sum(e.primitive is cond_p for e in jaxpr.eqns) == 2  # forward and backward


def test_cond_python_pred_and_operand_forms() -> None:
    assert float(lax.cond(True, lambda: 1.0, lambda: 2.0)) == 1.0
    assert float(lax.cond(np.float64(0.0), lambda a, b: a, lambda a, b: b, 1.0, 2.0)) == 2.0
    out = lax.cond(
        1,
        lambda p: {"a": p[0] * 2.0, "b": p[1]},
        lambda p: {"a": p[0], "b": p[1]},
        (3.0, np.arange(3)),
    )
    assert float(out["a"]) == 6.0 and out["b"].dtype == np.arange(3).dtype


def test_cond_weak_scalar_output_takes_branch_dtype() -> None:
    x = np.array([1.0, -2.0], np.float32)
    out = fd.jit(lambda x: lax.cond(x[0] > 0, lambda v: v * 2, lambda v: 0.0 * v, x))(x)
    assert out.dtype == np.float32
    y = lax.cond(False, lambda v: v.sum(), lambda v: 0.0, x)
    assert y.dtype == np.float32 and float(y) == 0.0


def test_cond_branch_mismatch_errors() -> None:
    with pytest.raises(ShapeError, match="cond: output leaf 0"):
        lax.cond(True, lambda x: x, lambda x: x.sum(), np.ones(3))
    with pytest.raises(TreeMismatchError, match="same pytree structure"):
        lax.cond(True, lambda x: (x, x), lambda x: x, np.ones(3))
    with pytest.raises(ShapeError, match="pred must be a scalar"):
        lax.cond(np.array([True, False]), lambda x: x, lambda x: x, 1.0)


def test_cond_vmap_batched_predicate_is_a_select() -> None:
    xs = RNG.normal(size=(6, 3))
    np.testing.assert_allclose(fd.vmap(piecewise)(xs), np.stack([piecewise_np(r) for r in xs]))
    g = fd.grad(lambda x: piecewise(x).sum())
    np.testing.assert_allclose(fd.vmap(g)(xs), np.stack([g(r) for r in xs]))
    # under vmap with a batched predicate the jaxpr has no cond left, only selects
    jaxpr = fd.make_jaxpr(fd.vmap(piecewise))(xs)
    names = {e.primitive.name for e in jaxpr.eqns}
    assert "select" in names and "cond" not in names


def test_cond_vmap_unbatched_predicate_keeps_cond() -> None:
    def f(p: Any, x: Any) -> Any:
        return lax.cond(p > 0, lambda v: v * 2.0, lambda v: -v, x)

    xs = RNG.normal(size=(4, 2))
    np.testing.assert_allclose(fd.vmap(f, in_axes=(None, 0))(1.0, xs), 2 * xs)
    np.testing.assert_allclose(fd.vmap(f, in_axes=(None, 0))(-1.0, xs), -xs)
    jaxpr = fd.make_jaxpr(fd.vmap(f, in_axes=(None, 0)))(1.0, xs)
    assert any(e.primitive is cond_p for e in jaxpr.eqns)


def test_switch_values_clamping_jit_vmap_and_grad() -> None:
    fns = [lambda v: v + 1.0, lambda v: v * v, lambda v: fnp.exp(v)]

    def f(i: Any, x: Any) -> Any:
        return lax.switch(i, fns, x)

    want = {-3: 1.5, 0: 1.5, 1: 0.25, 2: np.exp(0.5), 9: np.exp(0.5)}
    jf = fd.jit(f)
    for i, w in want.items():
        assert float(f(i, 0.5)) == pytest.approx(w)
        assert float(jf(np.int64(i), 0.5)) == pytest.approx(w)
    idx = np.array([-1, 0, 1, 2, 3])
    np.testing.assert_allclose(
        fd.vmap(f, in_axes=(0, None))(idx, 0.5), [want[min(max(i, 0), 2)] for i in idx]
    )
    for i in range(3):
        check_grads(lambda x, i=i: f(i, x), (0.7,), order=2)
    with pytest.raises(DTypeError, match="switch: index must be an integer"):
        lax.switch(1.0, fns, 0.5)


# ---------------------------------------------------------------------------
# while_loop
# ---------------------------------------------------------------------------


def geometric(a: Any) -> Any:
    """Sum a + a^2 + ... until the sum reaches 5 (a value-dependent trip count)."""
    _, total = lax.while_loop(lambda c: c[1] < 5.0, lambda c: (c[0] * a, c[1] + c[0]), (a, 0.0))
    return total


def geometric_py(a: float) -> float:
    term, total = a, 0.0
    while total < 5.0:
        term, total = term * a, total + term
    return total


def test_while_loop_values() -> None:
    for a in (1.1, 1.3, 2.0, 6.0):
        assert float(geometric(a)) == pytest.approx(geometric_py(a))
    assert int(lax.while_loop(lambda i: i < 10, lambda i: i * 3, 1)) == 27
    out = lax.while_loop(
        lambda c: c["n"] > 0,
        lambda c: {"n": c["n"] - 1, "x": c["x"] * 2.0},
        {"n": 3, "x": np.ones(2)},
    )
    np.testing.assert_allclose(out["x"], [8.0, 8.0])
    assert int(out["n"]) == 0


@pytest.mark.parametrize("a", [1.1, 1.3, 2.0])
def test_while_loop_reverse_mode_on_concrete_values(a: float) -> None:
    # 1.3: three terms, f = a + a^2 + a^3
    g = float(fd.grad(geometric)(a))
    assert g == pytest.approx(central_diff(geometric_py, a), rel=1e-6)
    check_grads(geometric, (a,), order=2, modes=("fwd", "rev"))
    assert float(fd.grad(fd.grad(geometric))(a)) == pytest.approx(
        central_diff(lambda t: fd.grad(geometric)(t), a), rel=1e-5
    )


def test_while_loop_newton_sqrt_derivative() -> None:
    def root(a: Any) -> Any:
        return lax.while_loop(lambda x: abs(x * x - a) > 1e-12, lambda x: 0.5 * (x + a / x), a)

    for a in (2.0, 9.0, 0.3):
        assert float(root(a)) == pytest.approx(np.sqrt(a))
        assert float(fd.grad(root)(a)) == pytest.approx(0.5 / np.sqrt(a), rel=1e-8)
        assert float(fd.jacfwd(root)(a)) == pytest.approx(0.5 / np.sqrt(a), rel=1e-8)


def test_while_loop_jacrev_and_hessian_vectors() -> None:
    def cube(v: Any) -> Any:
        return lax.while_loop(lambda c: c.sum() < 10, lambda c: c * v, v)

    v = np.array([1.5, 2.0])  # two steps: v^3
    np.testing.assert_allclose(fd.jacrev(cube)(v), np.diag(3 * v**2))
    np.testing.assert_allclose(fd.jacfwd(cube)(v), np.diag(3 * v**2))
    np.testing.assert_allclose(fd.hessian(lambda v: cube(v).sum())(v), np.diag(6 * v))


def test_while_loop_reverse_mode_under_jit_raises_clear_error() -> None:
    with pytest.raises(lax.WhileLoopReverseModeError) as info:
        fd.jit(fd.grad(geometric))(1.3)
    msg = str(info.value)
    assert "trip count" in msg and "fori_loop" in msg and "scan" in msg and "jvp" in msg
    assert isinstance(info.value, ConcretizationError)
    with pytest.raises(lax.WhileLoopReverseModeError):
        fd.make_jaxpr(fd.grad(geometric))(1.3)
    with pytest.raises(lax.WhileLoopReverseModeError):
        fd.vmap(fd.grad(geometric))(np.array([1.2, 1.3]))
    # what does work: forward mode under jit, reverse mode outside jit
    assert float(fd.jit(fd.jacfwd(geometric))(1.3)) == pytest.approx(1 + 2.6 + 3 * 1.69)
    assert float(fd.grad(fd.jit(geometric))(1.3)) == pytest.approx(1 + 2.6 + 3 * 1.69)


def test_while_loop_under_jit_and_vmap_with_batched_predicate() -> None:
    jg = fd.jit(geometric)
    for a in (1.1, 1.3, 2.0):
        assert float(jg(a)) == pytest.approx(geometric_py(a))
    assert jg.trace_count == 1
    a_s = np.array([1.05, 1.3, 2.0, 6.0])  # different trip counts per member
    np.testing.assert_allclose(fd.vmap(geometric)(a_s), [geometric_py(a) for a in a_s])
    np.testing.assert_allclose(fd.jit(fd.vmap(geometric))(a_s), [geometric_py(a) for a in a_s])
    # forward-mode derivatives under vmap (members stop at different steps)
    d = fd.vmap(fd.jacfwd(geometric))(a_s)
    np.testing.assert_allclose(d, [central_diff(geometric_py, a) for a in a_s], rtol=1e-6)


def test_while_loop_vmap_unbatched_predicate() -> None:
    def f(x: Any) -> Any:
        return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * x), (0, x))[1]

    xs = np.array([0.5, 2.0, -1.0])
    np.testing.assert_allclose(fd.vmap(f)(xs), xs**4)
    jaxpr = fd.make_jaxpr(fd.vmap(f))(xs)
    (eqn,) = [e for e in jaxpr.eqns if e.primitive is while_p]
    # the counter stays unbatched, so the loop itself is not rewritten
    assert eqn.outvars[0].aval.shape == () and eqn.outvars[1].aval.shape == (3,)


def test_while_loop_carry_errors() -> None:
    with pytest.raises(DTypeError, match="while_loop: leaf 0 .* dtype"):
        lax.while_loop(lambda c: c < 3, lambda c: c + 0.5, 0)
    with pytest.raises(ShapeError, match="while_loop: leaf 0 .* shape"):
        lax.while_loop(lambda c: c.sum() < 3, lambda c: fnp.concatenate([c, c]), np.ones(2))
    with pytest.raises(TreeMismatchError, match="while_loop"):
        lax.while_loop(lambda c: c[0] < 3, lambda c: c[0] + 1, (0, 1))
    with pytest.raises(ShapeError, match="cond_fun must return a scalar"):
        lax.while_loop(lambda c: c < 3, lambda c: c + 1, np.zeros(2))


# ---------------------------------------------------------------------------
# fori_loop
# ---------------------------------------------------------------------------


def gd_final(lr: Any, steps: int = 20) -> Any:
    """20 gradient-descent steps on a non-quadratic 1-d loss, from x0 = 0.5."""

    def loss_grad(x: Any) -> Any:
        return fd.grad(lambda z: (z - 3.0) ** 2 + 0.5 * fnp.sin(2.0 * z))(x)

    return lax.fori_loop(0, steps, lambda i, x: x - lr * loss_grad(x), 0.5)


def gd_final_py(lr: float, steps: int = 20) -> float:
    x = 0.5
    for _ in range(steps):
        x = x - lr * (2 * (x - 3.0) + np.cos(2.0 * x))
    return x


def test_fori_loop_gradient_descent_differentiated_wrt_learning_rate() -> None:
    lr = 0.07
    assert float(gd_final(lr)) == pytest.approx(gd_final_py(lr))
    g = float(fd.grad(gd_final)(lr))
    assert g == pytest.approx(central_diff(gd_final_py, lr), rel=1e-6)
    check_grads(gd_final, (lr,), order=2, modes=("fwd", "rev"))
    assert float(fd.jit(fd.grad(gd_final))(lr)) == pytest.approx(g)
    # per-iteration residuals: the reverse pass reads the 20 stored carries
    jaxpr = fd.make_jaxpr(fd.grad(gd_final))(lr)
    stored = [v.aval.shape for e in jaxpr.eqns if e.primitive is scan_p for v in e.outvars]
    assert (20,) in stored


def test_fori_loop_values_and_dtypes() -> None:
    assert float(lax.fori_loop(0, 5, lambda i, x: x + i, 0.0)) == 10.0
    assert float(lax.fori_loop(3, 3, lambda i, x: x + 1.0, 2.0)) == 2.0
    assert float(lax.fori_loop(5, 2, lambda i, x: x + 1.0, 2.0)) == 2.0
    assert int(lax.fori_loop(0, 4, lambda i, c: c * 2 + i, 1)) == 27
    i_dtype = lax.fori_loop(np.int32(0), np.int32(2), lambda i, c: i, np.int32(7)).dtype
    assert i_dtype == np.int32
    with pytest.raises(DTypeError, match="fori_loop: upper must be an integer"):
        lax.fori_loop(0, 2.5, lambda i, x: x, 0.0)


def test_fori_loop_traced_bounds_under_jit() -> None:
    f = fd.jit(lambda n, x: lax.fori_loop(0, n, lambda i, c: c * 2.0 + i, x))
    for n in (0, 3, 5):
        want = 1.0
        for i in range(n):
            want = want * 2.0 + i
        assert float(f(n, 1.0)) == want
    assert f.trace_count == 1
    assert any(e.primitive is while_p for e in f.lower(3, 1.0).jaxpr.eqns)
    # forward mode through the traced-bound loop under jit
    d = fd.jit(fd.jacfwd(lambda x, n: lax.fori_loop(0, n, lambda i, c: c * x, x)))(2.0, 4)
    assert float(d) == 5 * 2.0**4
    # static bounds under jit are a scan, so reverse mode works there
    g = fd.jit(fd.grad(lambda x: lax.fori_loop(0, 4, lambda i, c: c * x, x)))
    assert float(g(2.0)) == 5 * 2.0**4


def test_fori_loop_vmap_over_bounds() -> None:
    f = fd.vmap(lambda n, x: lax.fori_loop(0, n, lambda i, c: c + x * i, 0.0))
    ns = np.array([0, 1, 4, 2])
    xs = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(
        f(ns, xs), [x * n * (n - 1) / 2 for n, x in zip(ns, xs, strict=True)]
    )


# ---------------------------------------------------------------------------
# scan
# ---------------------------------------------------------------------------


def rnn(w: Any, h0: Any, xs: Any) -> Any:
    def step(h: Any, x: Any) -> Any:
        h = fnp.tanh(w @ h + x)
        return h, fnp.sum(h * h)

    h, ys = lax.scan(step, h0, xs)
    return h.sum() + ys.sum()


def rnn_py(w: np.ndarray, h: np.ndarray, xs: np.ndarray) -> float:
    ys = []
    for x in xs:
        h = np.tanh(w @ h + x)
        ys.append(np.sum(h * h))
    return float(h.sum() + sum(ys))


def test_scan_rnn_values_and_derivatives() -> None:
    w = RNG.normal(size=(3, 3)) * 0.5
    h0 = RNG.normal(size=3)
    xs = RNG.normal(size=(6, 3))
    assert float(rnn(w, h0, xs)) == pytest.approx(rnn_py(w, h0, xs))
    check_grads(rnn, (w, h0, xs), order=2, modes=("fwd", "rev"))
    assert float(fd.jit(rnn)(w, h0, xs)) == pytest.approx(rnn_py(w, h0, xs))
    gw = fd.grad(rnn)(w, h0, xs)
    np.testing.assert_allclose(fd.jit(fd.grad(rnn))(w, h0, xs), gw)
    np.testing.assert_allclose(fd.grad(fd.jit(rnn))(w, h0, xs), gw)


def test_scan_reverse_and_pytrees() -> None:
    xs = np.array([0.3, -0.2, 0.7, -1.0, 0.1])

    def f(p: Any, xs: Any) -> Any:
        def body(c: Any, x: Any) -> Any:
            a, b = c["a"], c["b"]
            return {"a": a + x["u"] * b, "b": b * fnp.cos(x["v"])}, (a, b * 2.0)

        c, (ya, yb) = lax.scan(body, {"a": p, "b": p * p}, {"u": xs, "v": xs * 2.0}, reverse=True)
        return c["a"] + c["b"] + ya.sum() + (yb**2).sum()

    def f_py(p: float, xs: np.ndarray) -> float:
        a, b = p, p * p
        ya, yb = [0.0] * len(xs), [0.0] * len(xs)
        for i in reversed(range(len(xs))):
            ya[i], yb[i] = a, b * 2.0
            a, b = a + xs[i] * b, b * np.cos(2 * xs[i])
        return a + b + sum(ya) + sum(y**2 for y in yb)

    assert float(f(0.7, xs)) == pytest.approx(f_py(0.7, xs))
    check_grads(f, (0.7, xs), order=2)
    # reverse=True stacks ys in the order of xs
    _, ys = lax.scan(lambda c, x: (c + x, c), 0.0, np.arange(4.0), reverse=True)
    np.testing.assert_allclose(ys, [6.0, 5.0, 3.0, 0.0])


def test_scan_length_without_xs_and_none_outputs() -> None:
    c, ys = lax.scan(lambda c, _: (c * 2, c), 1, None, length=4)
    assert int(c) == 16
    np.testing.assert_array_equal(ys, [1, 2, 4, 8])
    c, ys = lax.scan(lambda c, x: (c + x, None), 0.0, np.arange(5.0))
    assert float(c) == 10.0 and ys is None
    with pytest.raises(ValueError, match="pass length="):
        lax.scan(lambda c, x: (c, None), 0.0, None)
    with pytest.raises(ShapeError, match="different leading axis sizes"):
        lax.scan(lambda c, x: (c, None), 0.0, (np.ones(3), np.ones(4)))
    with pytest.raises(TypeError, match="must return a pair"):
        lax.scan(lambda c, x: c, 0.0, np.ones(3))
    # zero-length scans: the carry passes through, ys are empty
    c, ys = lax.scan(lambda c, x: (c + x, c * x), 1.0, np.zeros((0,)))
    assert float(c) == 1.0 and ys.shape == (0,)


def test_scan_gradient_wrt_closed_over_parameter() -> None:
    def f(a: Any) -> Any:
        c, _ = lax.scan(lambda c, x: (c * a + x, None), 1.0, np.array([1.0, 2.0, 3.0]))
        return c  # a^3 + a^2 + 2a + 3

    assert float(fd.grad(f)(1.5)) == pytest.approx(3 * 1.5**2 + 2 * 1.5 + 2)
    assert float(fd.hessian(f)(1.5)) == pytest.approx(6 * 1.5 + 2)


def test_scan_vmap_batched_xs_on_any_axis() -> None:
    w = RNG.normal(size=(3, 3)) * 0.5
    h0 = RNG.normal(size=3)
    xs = RNG.normal(size=(4, 6, 3))  # batch of 4
    got = fd.vmap(rnn, in_axes=(None, None, 0))(w, h0, xs)
    np.testing.assert_allclose(got, [rnn_py(w, h0, x) for x in xs])
    got = fd.vmap(rnn, in_axes=(None, None, 2))(w, h0, np.moveaxis(xs, 0, 2))
    np.testing.assert_allclose(got, [rnn_py(w, h0, x) for x in xs])
    ws = RNG.normal(size=(4, 3, 3)) * 0.5
    got = fd.vmap(rnn, in_axes=(0, None, None))(ws, h0, xs[0])
    np.testing.assert_allclose(got, [rnn_py(wi, h0, xs[0]) for wi in ws])


# ---------------------------------------------------------------------------
# nesting
# ---------------------------------------------------------------------------


def cond_in_scan(w: Any, xs: Any) -> Any:
    def body(c: Any, x: Any) -> Any:
        c2 = lax.cond(x > 0, lambda a: a * w + x, lambda a: fnp.sin(a) - x * w, c)
        return c2, c2 * c2

    c, ys = lax.scan(body, 0.5, xs)
    return c + ys.sum()


def cond_in_scan_py(w: float, xs: np.ndarray) -> float:
    c, total = 0.5, 0.0
    for x in xs:
        c = c * w + x if x > 0 else np.sin(c) - x * w
        total += c * c
    return float(c + total)


def test_cond_inside_scan() -> None:
    xs = np.array([0.3, -0.2, 0.7, -1.0, 0.1])
    assert float(cond_in_scan(0.8, xs)) == pytest.approx(cond_in_scan_py(0.8, xs))
    assert float(fd.jit(cond_in_scan)(0.8, xs)) == pytest.approx(cond_in_scan_py(0.8, xs))
    check_grads(cond_in_scan, (0.8, xs), order=2)


def test_scan_inside_grad_inside_vmap() -> None:
    xs = np.array([0.3, -0.2, 0.7, -1.0, 0.1])
    ws = np.array([0.5, 0.8, 1.1])
    g = fd.grad(cond_in_scan)
    want = [central_diff(lambda w: cond_in_scan_py(w, xs), w) for w in ws]
    np.testing.assert_allclose(fd.vmap(g, in_axes=(0, None))(ws, xs), want, rtol=1e-6)
    np.testing.assert_allclose(fd.jit(fd.vmap(g, in_axes=(0, None)))(ws, xs), want, rtol=1e-6)


def test_while_inside_cond_and_scan_inside_scan() -> None:
    def f(x: Any) -> Any:
        def inner(c: Any, y: Any) -> Any:
            return c * fnp.cos(y) + x, None

        def outer(c: Any, y: Any) -> Any:
            c2, _ = lax.scan(inner, c, y * np.arange(1.0, 4.0))
            return c2, c2

        c, ys = lax.scan(outer, x, np.array([0.1, 0.2]))
        return lax.cond(
            c > 0,
            lambda v: lax.while_loop(lambda t: t[0] < 3, lambda t: (t[0] + 1, t[1] * x), (0, v))[1],
            lambda v: v,
            c + ys.sum(),
        )

    check_grads(f, (0.7,), order=2)
    assert float(fd.jit(f)(0.7)) == pytest.approx(float(f(0.7)))
    np.testing.assert_allclose(fd.vmap(f)(np.array([0.5, 0.7])), [f(0.5), f(0.7)])


# ---------------------------------------------------------------------------
# printing and errors
# ---------------------------------------------------------------------------


def test_jaxpr_prints_nested_bodies() -> None:
    def f(x: Any) -> Any:
        c, _ = lax.scan(lambda c, y: (c * fnp.sin(y), None), x, np.arange(3.0))
        return lax.cond(c > 0, lambda v: v, lambda v: -v, c)

    text = str(fd.make_jaxpr(f)(1.0))
    assert "scan[jaxpr={ lambda ; " in text
    assert "length=3, num_carry=1, num_consts=0, reverse=False]" in text
    assert "cond[branches=({ lambda ; " in text
    assert "        c:f64[] = sin b" in text  # the body, indented under its equation
    assert text.count("lambda") == 4


def test_python_if_under_jit_points_to_lax() -> None:
    def f(x: Any) -> Any:
        return x if x > 0 else -x

    with pytest.raises(ConcretizationError, match="funcdiff.lax"):
        fd.jit(f)(1.0)
    assert float(fd.jit(lambda x: lax.cond(x > 0, lambda v: v, lambda v: -v, x))(-2.0)) == 2.0


def test_long_loops_do_not_recurse() -> None:
    def f(a: Any) -> Any:
        return lax.fori_loop(0, 3000, lambda i, x: x + 1e-4 * fnp.sin(a * x), 0.1)

    g = float(fd.grad(f)(0.5))
    assert g == pytest.approx(central_diff(f, 0.5, 1e-5), rel=1e-5)


@pytest.mark.skipif(
    importlib.util.find_spec("funcdiff.custom") is None, reason="funcdiff.custom not present"
)
def test_stop_gradient_reexport() -> None:
    f = lambda x: x * lax.stop_gradient(x)  # noqa: E731
    assert float(fd.grad(f)(3.0)) == 3.0

"""``fd.taylor(f, order)(x0, v)``: directional Taylor coefficients in one
Taylor-mode pass, against nested jvp, mpmath and closed forms; and
``QuadraticModel.line``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp


def nested(f: Callable[[Any], Any], x: Any, v: Any, k: int) -> Any:
    g = f
    for _ in range(k):
        g = (lambda h: lambda y: fd.jvp(h, (y,), (v,))[1])(g)
    return g(x)


def lecture(p: Any) -> Any:
    return p[0] ** 2 * fnp.exp(p[0] + fnp.cos(p[1]))


def test_exp_closed_form_order_8() -> None:
    c = fd.taylor(fnp.exp, order=8)(0.3, 2.0)
    ref = [math.exp(0.3) * 2.0**j / math.factorial(j) for j in range(9)]
    np.testing.assert_allclose(c, ref, rtol=1e-14)


def test_lecture_function_against_mpmath_order_8() -> None:
    x0, v = (1.0, 2.0), (0.6, -0.8)
    c = fd.taylor(lecture, order=8)(x0, v)
    mpmath.mp.dps = 40

    def line(t: Any) -> Any:
        x, y = x0[0] + t * v[0], x0[1] + t * v[1]
        return x**2 * mpmath.exp(x + mpmath.cos(y))

    ref = [float(r) for r in mpmath.taylor(line, 0, 8)]
    np.testing.assert_allclose(c, ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "f",
    [
        lambda x: fnp.sum(fnp.tanh(x) * fnp.exp(-x * x)),
        lambda x: fnp.log1p(fnp.exp(x)) / fnp.sqrt(1.0 + x * x),
        lambda x: fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2),
    ],
    ids=["tanh_gauss", "softplus_ratio", "rosenbrock"],
)
def test_against_nested_jvp(f: Callable[[Any], Any]) -> None:
    rng = np.random.default_rng(0)
    x, v = rng.normal(size=5), rng.normal(size=5)
    c = fd.taylor(f, order=5)(x, v)
    for k in range(6):
        ref = f(x) if k == 0 else nested(f, x, v, k) / math.factorial(k)
        ref = np.asarray(ref)
        np.testing.assert_allclose(c[k], ref, rtol=1e-10, atol=1e-10 * (1 + np.abs(ref).max()))


def test_pytree_in_and_out() -> None:
    def f(p: dict[str, Any]) -> Any:
        return {"s": fnp.sin(p["a"]) * p["b"], "q": fnp.sum(p["a"] ** 2)}

    x0 = {"a": np.array([0.2, 0.5]), "b": np.array(3.0)}
    v = {"a": np.array([1.0, -1.0]), "b": np.array(0.5)}
    c = fd.taylor(f, order=3)(x0, v)
    assert c["s"].shape == (4, 2) and c["q"].shape == (4,)
    for k in range(1, 4):
        ref = nested(f, x0, v, k)
        np.testing.assert_allclose(c["s"][k], ref["s"] / math.factorial(k), rtol=1e-12)
        np.testing.assert_allclose(c["q"][k], ref["q"] / math.factorial(k), rtol=1e-12)


def test_python_control_flow_at_concrete_points() -> None:
    def f(x: Any) -> Any:
        return fnp.sin(x) if x > 0 else fnp.cos(x)

    np.testing.assert_allclose(
        fd.taylor(f, order=2)(0.5, 1.0), [np.sin(0.5), np.cos(0.5), -np.sin(0.5) / 2]
    )
    np.testing.assert_allclose(
        fd.taylor(f, order=2)(-0.5, 1.0), [np.cos(0.5), np.sin(0.5), -np.cos(0.5) / 2]
    )


def test_composes_with_jit_grad_vmap() -> None:
    x0, v = np.array([1.0, 2.0]), np.array([0.3, 0.7])

    def g(x: Any, d: Any) -> Any:
        return fd.taylor(lambda p: lecture((p[0], p[1])), order=4)(x, d)

    eager = g(x0, v)
    np.testing.assert_allclose(fd.jit(g)(x0, v), eager, rtol=1e-14)
    # d/dx of the third coefficient equals the third coefficient of the directional
    # derivative of the gradient... checked against nested jvp of grad
    d3 = fd.grad(lambda x: g(x, v)[3])(x0)
    ref = fd.grad(lambda x: nested(lambda p: lecture((p[0], p[1])), x, v, 3) / 6.0)(x0)
    np.testing.assert_allclose(d3, ref, rtol=1e-11)
    xs = np.stack([x0, x0 + 0.1, x0 - 0.2])
    batched = fd.vmap(lambda x: g(x, v))(xs)
    looped = np.stack([g(x, v) for x in xs])
    np.testing.assert_allclose(batched, looped, rtol=1e-13)


def test_zero_direction_gives_zero_coefficients() -> None:
    c = fd.taylor(fnp.sin, order=3)(0.4, 0.0)
    np.testing.assert_array_equal(c, [np.sin(0.4), 0.0, 0.0, 0.0])


def test_nan_in_gives_nan_out() -> None:
    c = fd.taylor(fnp.exp, order=2)(np.nan, 1.0)
    assert np.all(np.isnan(c))


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="order must be an int >= 1"):
        fd.taylor(fnp.sin, order=0)
    with pytest.raises(ValueError, match="x0's structure"):
        fd.taylor(lecture)((1.0, 2.0), (1.0,))
    with pytest.raises(ValueError, match="v leaf 0 has shape"):
        fd.taylor(fnp.sin)(np.ones(3), np.ones(2))
    with pytest.raises(TypeError, match="f must be callable"):
        fd.taylor(3.0)  # type: ignore[arg-type]


def test_quadratic_model_line_is_the_model_along_v() -> None:
    m = fd.taylor2(lecture)((1.0, 2.0))
    v = np.array([0.6, -0.8])
    c = m.line(v)
    np.testing.assert_allclose(c[0], m.value, rtol=1e-15)
    np.testing.assert_allclose(c[1], m.g_flat @ v, rtol=1e-13)
    np.testing.assert_allclose(2 * c[2], m.curvature(v), rtol=1e-12)
    np.testing.assert_allclose(2 * c[2], v @ m.H_flat @ v, rtol=1e-12)
    # matrix-free: the same numbers with no Hessian formed
    mf = fd.taylor2(lecture, matrix_free=True)((1.0, 2.0))
    np.testing.assert_allclose(mf.line(v), c, rtol=1e-14)
    # order 3 continues beyond the model: f's third directional derivative
    c3 = m.line((0.6, -0.8), order=3)
    ref = nested(lambda p: lecture((p[0], p[1])), np.array([1.0, 2.0]), v, 3) / 6.0
    np.testing.assert_allclose(c3[3], ref, rtol=1e-12)


def test_jet_under_jit_equals_eager() -> None:
    def g(x: Any) -> Any:
        return fd.jet(lambda y: fnp.tanh(y) * fnp.exp(y), (x,), ((fnp.ones_like(x), x, x),))

    x = np.array([0.1, 0.7])
    eager = g(x)
    jitted = fd.jit(g)(x)
    np.testing.assert_allclose(jitted[0], eager[0], rtol=1e-15)
    for a, b in zip(jitted[1], eager[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13)

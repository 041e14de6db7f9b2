"""jit's contract: trace once per signature, same results as eager, composes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.errors import ConcretizationError
from funcdiff.jit import jit


class Counted:
    def __init__(self, f: Any) -> None:
        self.f = f
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.f(*args, **kwargs)


def rosenbrock(x: Any) -> Any:
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_traces_once_per_signature() -> None:
    f = Counted(lambda x: fnp.sum(fnp.sin(x) * x))
    jf = jit(f)
    for k in range(5):
        jf(np.arange(3.0) + k)
    assert f.calls == 1
    jf(np.arange(4.0))  # new shape
    assert f.calls == 2
    jf(np.arange(4.0, dtype=np.float32))  # new dtype
    assert f.calls == 3
    jf(np.arange(3.0))
    assert f.calls == 3


def test_grad_of_jit_traces_once() -> None:
    f = Counted(lambda x: x ** fnp.cos(x))
    g = fd.grad(jit(f))
    vals = [float(g(x)) for x in (3.0, 2.0, 1.5, 3.0)]
    assert f.calls == 1
    assert vals[0] == pytest.approx(float(fd.grad(lambda x: x ** fnp.cos(x))(3.0)))


def test_static_argnums_key_the_cache_and_allow_control_flow() -> None:
    f = Counted(lambda x, n: x**2 if n > 0 else -x)
    jf = jit(f, static_argnums=1)
    assert float(jf(3.0, 1)) == 9.0
    assert float(jf(3.0, -1)) == -3.0
    assert float(jf(4.0, 1)) == 16.0
    assert f.calls == 2
    g = jit(lambda x, *, mode: x * 2.0 if mode == "double" else x, static_argnames="mode")
    assert float(g(2.0, mode="double")) == 4.0
    assert float(g(2.0, mode="same")) == 2.0


def test_control_flow_on_traced_values_names_static_argnums() -> None:
    jf = jit(lambda x: x if x > 0 else -x)
    with pytest.raises(ConcretizationError, match="static_argnums"):
        jf(1.0)


def test_unhashable_static_argument() -> None:
    jf = jit(lambda x, shape: fnp.reshape(x, shape), static_argnums=1)
    with pytest.raises(TypeError, match="unhashable.*tuple"):
        jf(np.ones(4), [2, 2])
    assert jf(np.ones(4), (2, 2)).shape == (2, 2)


FUNCTIONS = {
    "x_pow_cos": (lambda x: x ** fnp.cos(x), 3.0),
    "rosenbrock": (rosenbrock, np.array([-1.2, 1.0, 0.5, 2.0])),
    "mlp": (
        lambda w: fnp.sum(fnp.tanh(np.linspace(-1, 1, 12).reshape(4, 3) @ w) ** 2),
        np.linspace(0.1, 0.6, 6).reshape(3, 2),
    ),
    "softplus_chain": (
        lambda x: fnp.sum(fnp.log1p(fnp.exp(fnp.sin(x) * x))),
        np.linspace(-2, 2, 5),
    ),
}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_composition_matrix(name: str) -> None:
    f, x = FUNCTIONS[name]
    x = np.asarray(x, dtype=np.float64)
    eager = {
        "f": f(x),
        "grad": fd.grad(f)(x),
        "hessian": fd.hessian(f)(x),
    }
    np.testing.assert_allclose(jit(f)(x), eager["f"], rtol=1e-12)
    np.testing.assert_allclose(jit(fd.grad(f))(x), eager["grad"], rtol=1e-12)
    np.testing.assert_allclose(fd.grad(jit(f))(x), eager["grad"], rtol=1e-12)
    np.testing.assert_allclose(jit(fd.hessian(f))(x), eager["hessian"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fd.hessian(jit(f))(x), eager["hessian"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(jit(jit(fd.grad(f)))(x), eager["grad"], rtol=1e-12)
    np.testing.assert_allclose(jit(fd.grad(jit(f)))(x), eager["grad"], rtol=1e-12)
    xs = np.stack([x, x * 0.9, x * 1.1])
    np.testing.assert_allclose(fd.vmap(jit(f))(xs), np.stack([f(v) for v in xs]), rtol=1e-12)
    np.testing.assert_allclose(
        jit(fd.vmap(fd.grad(f)))(xs), np.stack([fd.grad(f)(v) for v in xs]), rtol=1e-12
    )
    t = np.linspace(0.5, 1.5, x.size).reshape(x.shape)
    np.testing.assert_allclose(
        jit(lambda x, t: fd.hvp(f, x, t))(x, t), fd.hvp(f, x, t), rtol=1e-10, atol=1e-12
    )
    _, jv = fd.jvp(jit(f), (x,), (t,))
    _, jv_eager = fd.jvp(f, (x,), (t,))
    np.testing.assert_allclose(jv, jv_eager, rtol=1e-12)


def test_jit_of_closure_over_outer_tracer() -> None:
    # jit inside grad, closing over the traced x: not cached, still correct
    def f(x: Any) -> Any:
        return jit(lambda y: y * x)(2.0) * x

    assert float(fd.grad(f)(3.0)) == pytest.approx(12.0)


def test_lower_shows_jaxpr_and_code() -> None:
    text = str(jit(fd.grad(lambda x: x ** fnp.cos(x))).lower(3.0))
    assert "optimized jaxpr" in text
    assert "def " in text and "np_cos(a)" in text


def test_pytree_arguments_and_outputs() -> None:
    def f(p: dict[str, Any], x: Any) -> Any:
        return {"y": p["w"] * x + p["b"], "s": fnp.sum(x)}

    p = {"w": np.array([1.0, 2.0]), "b": np.array([0.5, 0.5])}
    out = jit(f)(p, np.array([3.0, 4.0]))
    np.testing.assert_allclose(out["y"], [3.5, 8.5])
    assert float(out["s"]) == 7.0


def test_buffer_reuse_does_not_corrupt_inputs() -> None:
    x = np.linspace(-1, 1, 50)
    x_copy = x.copy()
    f = jit(lambda x: fnp.sum(fnp.exp(fnp.sin(x) + 1.0) * fnp.cos(x)))
    a = f(x)
    b = f(x)
    np.testing.assert_array_equal(x, x_copy)
    assert float(a) == float(b) == pytest.approx(np.sum(np.exp(np.sin(x) + 1) * np.cos(x)))


def test_buffer_reuse_respects_views_returned_by_unknown_impls() -> None:
    # a primitive whose impl returns a view of its input, unknown to codegen:
    # the generated code must not write into the viewed buffer while it lives
    from funcdiff.core.primitive import REGISTRY, Primitive
    from funcdiff.core.trace import bind
    from funcdiff.primitives.rules import deflinear

    p = REGISTRY.get("test_flip_view")
    if p is None:
        p = Primitive("test_flip_view")
        p.impl = lambda x: np.flip(x, axis=-1)
        p.abstract_eval = lambda x: x
        deflinear(p, lambda ct, x: bind(p, ct))

    def f(x: Any) -> Any:
        return bind(p, fnp.sin(x)) + fnp.exp(fnp.sin(x))

    x = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(jit(f)(x), f(x), rtol=1e-14)

"""The transforms: the lecture's numbers, analytic derivatives, composition."""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.checking import check_grads

# ---------------------------------------------------------------------------
# the lecture's examples
# ---------------------------------------------------------------------------


def x_pow_cos(x: Any) -> Any:
    return x ** fnp.cos(x)


def d_x_pow_cos(x: float) -> float:
    return float(x ** np.cos(x) * (np.cos(x) / x - np.sin(x) * np.log(x)))


def test_lecture_derivative_of_x_pow_cos_x_at_3() -> None:
    g = float(fd.grad(x_pow_cos)(3.0))
    assert round(g, 6) == -0.163465
    assert round(g, 4) == -0.1635  # the lecture quoted -0.1634 (truncated)
    assert g == pytest.approx(d_x_pow_cos(3.0), rel=1e-12)


def test_lecture_jaxpr_prints_like_jax() -> None:
    text = str(fd.make_jaxpr(x_pow_cos)(3.0))
    assert text == (
        "{ lambda ; a:f64[]. let\n    b:f64[] = cos a\n    c:f64[] = pow a b\n  in (c,) }"
    )


def test_lecture_two_variable_gradient() -> None:
    def f(x: Any, y: Any) -> Any:
        return x**2 * fnp.exp(x + fnp.cos(y))

    for x, y in [(1.0, 2.0), (-0.5, 0.3), (2.0, -1.0)]:
        gx, gy = fd.grad(f, argnums=(0, 1))(x, y)
        e = np.exp(x + np.cos(y))
        assert float(gx) == pytest.approx((2 * x + x**2) * e, rel=1e-12)
        assert float(gy) == pytest.approx(-(x**2) * np.sin(y) * e, rel=1e-12)


def test_lecture_three_variable_gradient() -> None:
    def f(x: Any, y: Any, z: Any) -> Any:
        a = fnp.cos(y)
        b = z**2
        c = a * b
        return x**c

    x, y, z = 1.5, 0.5, 1.2
    p = np.cos(y) * z**2
    want = (
        p * x ** (p - 1),
        x**p * np.log(x) * (-np.sin(y) * z**2),
        x**p * np.log(x) * np.cos(y) * 2 * z,
    )
    got = fd.grad(f, argnums=(0, 1, 2))(x, y, z)
    np.testing.assert_allclose([float(g) for g in got], want, rtol=1e-12)


def test_second_derivative_of_x_pow_cos_x() -> None:
    h = 1e-5
    want = (d_x_pow_cos(3.0 + h) - d_x_pow_cos(3.0 - h)) / (2 * h)
    assert float(fd.grad(fd.grad(x_pow_cos))(3.0)) == pytest.approx(want, rel=1e-7)
    check_grads(x_pow_cos, (3.0,), order=3)


# ---------------------------------------------------------------------------
# Hessians and higher order
# ---------------------------------------------------------------------------


def rosenbrock(x: Any) -> Any:
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hessian(x: np.ndarray) -> np.ndarray:
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i, i + 1] += -400 * x[i]
        h[i + 1, i] += -400 * x[i]
        h[i + 1, i + 1] += 200
    return h


def test_hessian_of_rosenbrock_is_analytic() -> None:
    x = np.array([-1.2, 1.0, 0.3, 2.0, -0.7])
    np.testing.assert_allclose(fd.hessian(rosenbrock)(x), rosenbrock_hessian(x), rtol=1e-12)
    np.testing.assert_allclose(fd.jacfwd(fd.jacrev(rosenbrock))(x), rosenbrock_hessian(x))
    np.testing.assert_allclose(fd.jacrev(fd.jacrev(rosenbrock))(x), rosenbrock_hessian(x))
    np.testing.assert_allclose(fd.jacfwd(fd.jacfwd(rosenbrock))(x), rosenbrock_hessian(x))
    np.testing.assert_allclose(
        fd.hessian(rosenbrock, chunk_size=2)(x), rosenbrock_hessian(x), rtol=1e-12
    )


def test_hessian_of_nonquadratic_function() -> None:
    # f(x) = sum(sin(x) * exp(x)) + x0 * x1**3: H = diag(2 cos e^x) + coupling
    def f(x: Any) -> Any:
        return fnp.sum(fnp.sin(x) * fnp.exp(x)) + x[0] * x[1] ** 3

    x = np.array([0.3, -1.1, 0.8])
    want = np.diag(2 * np.cos(x) * np.exp(x))
    want[0, 1] += 3 * x[1] ** 2
    want[1, 0] += 3 * x[1] ** 2
    want[1, 1] += 6 * x[0] * x[1]
    np.testing.assert_allclose(fd.hessian(f)(x), want, rtol=1e-12, atol=1e-14)


def test_third_derivatives() -> None:
    f = fd.grad(fd.grad(fd.grad(lambda x: x**4 + fnp.sin(x))))
    for x in (0.5, -2.0, 3.0):
        assert float(f(x)) == pytest.approx(24 * x - np.cos(x), rel=1e-12)
    g = fd.grad(fd.grad(fd.grad(fd.grad(fnp.exp))))
    assert float(g(1.3)) == pytest.approx(np.exp(1.3))


def test_hessian_of_a_function_that_calls_grad() -> None:
    def energy(x: Any) -> Any:
        return fnp.sum(x**3) / 3.0

    def grad_norm2(x: Any) -> Any:  # |grad E|^2 = sum(x^4)
        g = fd.grad(energy)(x)
        return fnp.sum(g * g)

    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(fd.hessian(grad_norm2)(x), np.diag(12 * x**2), rtol=1e-12)


def test_hvp_matches_dense_hessian() -> None:
    x = np.array([-1.2, 1.0, 0.5])
    v = np.array([0.3, -0.2, 1.0])
    np.testing.assert_allclose(fd.hvp(rosenbrock, x, v), rosenbrock_hessian(x) @ v)


# ---------------------------------------------------------------------------
# perturbation confusion and nesting
# ---------------------------------------------------------------------------


def test_perturbation_confusion() -> None:
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1, not 2
    def f(x: Any) -> Any:
        return x * fd.grad(lambda y: x + y)(1.0)

    assert float(fd.grad(f)(3.0)) == 1.0
    # the same through forward mode
    _, t = fd.jvp(f, (3.0,), (1.0,))
    assert float(t) == 1.0


def test_nested_closure_derivatives() -> None:
    # d/dx [ d/dy (x * y**2) at y=x ] = d/dx [2 x * x] = 4x
    def f(x: Any) -> Any:
        return fd.grad(lambda y: x * y**2)(x)

    assert float(fd.grad(f)(1.5)) == pytest.approx(6.0)
    assert float(fd.grad(fd.grad(f))(1.5)) == pytest.approx(4.0)


def test_vmap_of_grad_equals_loop() -> None:
    xs = np.random.default_rng(0).normal(size=(5, 4))
    g = fd.grad(lambda x: fnp.sum(fnp.tanh(x) ** 2 * x))
    np.testing.assert_allclose(fd.vmap(g)(xs), np.stack([g(x) for x in xs]), rtol=1e-12)


def test_grad_of_vmap() -> None:
    xs = np.random.default_rng(1).normal(size=(3, 2))
    f = lambda xs: fnp.sum(fd.vmap(lambda x: fnp.sum(fnp.sin(x) * x))(xs))  # noqa: E731
    np.testing.assert_allclose(fd.grad(f)(xs), np.cos(xs) * xs + np.sin(xs), rtol=1e-12)


def test_vmap_of_hessian_equals_loop() -> None:
    xs = np.random.default_rng(2).normal(size=(4, 3))
    got = fd.vmap(fd.hessian(rosenbrock))(xs)
    np.testing.assert_allclose(got, np.stack([rosenbrock_hessian(x) for x in xs]), rtol=1e-10)


def test_jvp_agrees_with_vjp() -> None:
    def f(x: Any) -> Any:
        return fnp.sin(x) * fnp.sum(x**2)

    rng = np.random.default_rng(3)
    x, v, u = rng.normal(size=(3, 4))
    _, jv = fd.jvp(f, (x,), (v,))
    _, pullback = fd.vjp(f, x)
    (jtu,) = pullback(u)
    assert float(u @ jv) == pytest.approx(float(jtu @ v), rel=1e-12)


def test_value_and_grad_and_has_aux() -> None:
    def loss(w: Any, x: Any) -> Any:
        y = fnp.tanh(x @ w)
        return fnp.sum(y**2), {"pred": y}

    w = np.array([0.5, -0.3])
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    (value, aux), g = fd.value_and_grad(loss, has_aux=True)(w, x)
    y = np.tanh(x @ w)
    assert float(value) == pytest.approx(np.sum(y**2))
    np.testing.assert_allclose(aux["pred"], y)
    np.testing.assert_allclose(g, x.T @ (2 * y * (1 - y**2)))
    g2, _aux2 = fd.grad(loss, has_aux=True)(w, x)
    np.testing.assert_allclose(g2, g)


class Params(NamedTuple):
    w: Any
    b: Any


def test_pytree_inputs_and_outputs() -> None:
    p = Params(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -0.5]))
    data = {"x": np.array([1.0, -1.0])}

    def f(p: Params, data: dict[str, Any]) -> Any:
        return fnp.sum(fnp.tanh(p.w @ data["x"] + p.b))

    g = fd.grad(f)(p, data)
    assert isinstance(g, Params)
    z = p.w @ data["x"] + p.b
    d = 1 - np.tanh(z) ** 2
    np.testing.assert_allclose(g.w, np.outer(d, data["x"]))
    np.testing.assert_allclose(g.b, d)
    jac = fd.jacrev(lambda p: {"a": p.w * 2.0, "b": p.b})(p)
    assert jac["a"].w.shape == (2, 2, 2, 2)
    assert jac["b"].b.shape == (2, 2)
    np.testing.assert_allclose(jac["b"].b, np.eye(2))
    jf = fd.jacfwd(lambda p: {"a": p.w * 2.0, "b": p.b})(p)
    np.testing.assert_allclose(jf["a"].w, jac["a"].w)


def test_jacobian_shapes_match_jax_convention() -> None:
    f = lambda x: fnp.outer(x, x) if hasattr(fnp, "outer") else x[:, None] * x[None, :]  # noqa: E731
    x = np.array([1.0, 2.0, 3.0])
    j1 = fd.jacrev(f)(x)
    j2 = fd.jacfwd(f)(x)
    assert j1.shape == (3, 3, 3)
    np.testing.assert_allclose(j1, j2)
    want = np.zeros((3, 3, 3))
    for i in range(3):
        for j in range(3):
            want[i, j, i] += x[j]
            want[i, j, j] += x[i]
    np.testing.assert_allclose(j1, want)


def test_vmap_in_axes_out_axes_and_pytrees() -> None:
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(3.0)
    out = fd.vmap(lambda x, y: x * y, in_axes=(1, None), out_axes=1)(a, b[:2])
    np.testing.assert_allclose(out, a * b[:2, None])
    out2 = fd.vmap(lambda d: d["u"] + d["v"], in_axes=({"u": 0, "v": None},))({"u": a, "v": b})
    np.testing.assert_allclose(out2, a + b)
    out3 = fd.vmap(lambda x: 2.0, axis_size=4, in_axes=None)(1.0)
    np.testing.assert_allclose(out3, [2.0] * 4)


def test_float32_stays_float32() -> None:
    x = np.array([1.0, 2.0], dtype=np.float32)
    g = fd.grad(lambda x: fnp.sum(x * 2.0 + fnp.sin(x)))(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2 + np.cos(x), rtol=1e-6)


def test_python_control_flow_on_concrete_values() -> None:
    def f(x: Any) -> Any:
        if x > 0:
            return x**2
        while x < -1.0:
            x = x / 2.0
        return -x

    assert float(fd.grad(f)(3.0)) == 6.0
    assert float(fd.grad(f)(-5.0)) == pytest.approx(-1 / 8)


# ---------------------------------------------------------------------------
# scale and threads
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_long_chain_has_no_recursion() -> None:
    n = 100_000

    def f(x: Any) -> Any:
        for _ in range(n):
            x = x * 1.00001 + 1e-6
        return x

    assert float(fd.grad(f)(1.0)) == pytest.approx(1.00001**n, rel=1e-9)
    text = str(fd.make_jaxpr(f)(1.0))
    assert text.count("\n") == 2 * n + 1


def test_nested_grads_in_threads_agree() -> None:
    def f(x: Any) -> Any:
        return fnp.sum(fnp.sin(x) * x**3) + fd.grad(lambda y: fnp.sum(y * x**2))(x)[0]

    xs = [np.linspace(-1, 1, 5) + 0.1 * k for k in range(8)]
    want = [fd.hessian(f)(x) for x in xs]
    got: list[Any] = [None] * 8
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(k: int) -> None:
        try:
            barrier.wait()
            for _ in range(5):
                got[k] = fd.hessian(f)(xs[k])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_repeated_calls_use_compiled_passes_with_same_results() -> None:
    # the second sighting of a structure compiles its backward/tangent pass;
    # every later call must agree exactly with the interpreted first call
    from funcdiff.interpreters import compiled

    x = np.array([-1.2, 1.0, 0.5, 2.0])
    v = np.array([0.3, -0.2, 1.0, 0.5])
    first = (fd.grad(rosenbrock)(x), fd.hvp(rosenbrock, x, v), fd.jvp(rosenbrock, (x,), (v,))[1])
    for _ in range(3):
        again = (
            fd.grad(rosenbrock)(x),
            fd.hvp(rosenbrock, x, v),
            fd.jvp(rosenbrock, (x,), (v,))[1],
        )
        for a, b in zip(first, again, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-14)
    kinds = {key[0] for key, e in compiled._cache.items() if isinstance(e, compiled.Compiled)}
    assert {compiled.Pass.GRAD, compiled.Pass.JVP} <= kinds
    np.testing.assert_allclose(first[1], rosenbrock_hessian(x) @ v, rtol=1e-12)


def test_grads_compiled_pass_folds_its_unit_seed() -> None:
    # grad's cotangent 1 is a literal of the compiled pass: nothing multiplies
    # by it or broadcasts it, and it has the output's dtype (float32 stays float32)
    from funcdiff.interpreters import compiled

    def f(x: Any) -> Any:
        return fnp.sum(fnp.sin(x) * x)

    compiled._cache.clear()  # only this test's passes below
    for dtype in (np.float64, np.float32):
        x = np.linspace(-1.0, 2.0, 5).astype(dtype)
        first = fd.grad(f)(x)
        for _ in range(3):
            again = fd.grad(f)(x)
            assert again.dtype == dtype
            np.testing.assert_array_equal(again, first)
        np.testing.assert_allclose(first, np.cos(x) * x + np.sin(x), rtol=4 * np.finfo(dtype).eps)
    sources = [
        e.source
        for key, e in compiled._cache.items()
        if key[0] is compiled.Pass.GRAD and isinstance(e, compiled.Compiled)
    ]
    assert sources and not any("broadcast" in src for src in sources)

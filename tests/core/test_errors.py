"""Bad input gets a clear error that names what is wrong; NaN in gives NaN out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.errors import ConcretizationError, DTypeError, ShapeError, UnexpectedTracerError


def test_grad_of_non_scalar_output() -> None:
    with pytest.raises(ShapeError, match=r"scalar output.*shape \(3,\).*jacrev"):
        fd.grad(lambda x: x * 2.0)(np.ones(3))


def test_grad_of_tuple_output() -> None:
    with pytest.raises(TypeError, match="has_aux"):
        fd.grad(lambda x: (fnp.sum(x), x))(np.ones(3))


def test_grad_with_respect_to_integer_array() -> None:
    with pytest.raises(DTypeError, match=r"argument 0.*int64.*astype"):
        fd.grad(lambda x: fnp.sum(x * 1.0))(np.arange(3))


def test_python_ints_are_promoted() -> None:
    assert float(fd.grad(lambda x: x**3)(2)) == 12.0
    # a list is a pytree, as in JAX: one gradient per element
    np.testing.assert_allclose(fd.grad(lambda xs: xs[0] ** 2 * xs[1])([1, 2]), [4.0, 1.0])


def test_argnums_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"argnums=2.*2 positional arguments"):
        fd.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)


def test_matmul_shape_mismatch() -> None:
    with pytest.raises(ShapeError, match=r"\(3, 4\).*\(5, 2\)|f64\[3,4\].*f64\[5,2\]"):
        fd.grad(lambda a: fnp.sum(a @ np.ones((5, 2))))(np.ones((3, 4)))


def test_broadcasting_mismatch_names_primitive_and_shapes() -> None:
    with pytest.raises(ShapeError, match=r"add: operand shapes f64\[3\] and f64\[4\]"):
        fd.grad(lambda x: fnp.sum(x + np.ones(4)))(np.ones(3))


def test_vmap_inconsistent_axis_sizes() -> None:
    with pytest.raises(ValueError, match=r"inconsistent sizes: leaf 0: 3, leaf 1: 4"):
        fd.vmap(lambda a, b: a + b)(np.ones(3), np.ones(4))


def test_vmap_needs_a_mapped_axis_or_size() -> None:
    with pytest.raises(ValueError, match="axis_size"):
        fd.vmap(lambda a: a, in_axes=None)(np.ones(3))


def test_has_aux_without_a_pair() -> None:
    with pytest.raises(TypeError, match=r"has_aux=True.*pair"):
        fd.grad(lambda x: x * 2.0, has_aux=True)(1.0)


def test_non_array_output() -> None:
    with pytest.raises(TypeError, match="not an array"):
        fd.grad(lambda x: "hello")(1.0)


def test_concretization_error_names_the_fix() -> None:
    def f(x: Any) -> Any:
        return x if x > 0 else -x

    with pytest.raises(ConcretizationError, match="static_argnums"):
        fd.make_jaxpr(f)(1.0)
    with pytest.raises(ConcretizationError, match="where"):
        fd.vmap(f)(np.ones(3))
    # but under grad the value is known
    assert float(fd.grad(f)(-2.0)) == -1.0


def test_escaped_tracer() -> None:
    leaked: list[Any] = []

    def f(x: Any) -> Any:
        leaked.append(x)
        return x * 2.0

    fd.make_jaxpr(f)(1.0)
    with pytest.raises(UnexpectedTracerError, match="escaped"):
        fd.grad(lambda y: y * leaked[0])(1.0)


def test_jvp_tangent_shape_mismatch() -> None:
    with pytest.raises(ShapeError, match="tangent"):
        fd.jvp(fnp.sin, (np.ones(3),), (np.ones(2),))


def test_nan_in_gives_nan_out() -> None:
    with np.errstate(all="ignore"):
        g = fd.grad(lambda x: fnp.sum(fnp.sin(x) * x**2))(np.array([np.nan, 1.0]))
        assert np.isnan(g[0]) and np.isfinite(g[1])
        h = fd.hessian(lambda x: fnp.sum(fnp.exp(x)))(np.array([np.nan, 0.0]))
        assert np.isnan(h[0, 0]) and h[1, 1] == 1.0
        assert np.isnan(float(fd.grad(fnp.log)(float("nan"))))


def test_hashing_a_tracer_names_the_fix() -> None:
    # the core's message, not the generic one: funcdiff.numpy installs the
    # operators (with __eq__) on Tracer but keeps its __hash__
    with pytest.raises(TypeError, match="traced arrays are unhashable.*static_argnums"):
        fd.grad(lambda x: float(hash(x)))(1.0)

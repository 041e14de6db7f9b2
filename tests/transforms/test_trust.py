"""No silently wrong number: conversions that would drop a derivative raise,
jit hands out results that are the caller's own and typed as eager results,
bad arguments are named (issue 9, points 1, 2, 5, 6, 7)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.errors import ConcretizationError, DerivativeDroppedError, DTypeError, ShapeError

# ---------------------------------------------------------------------------
# 1. converting a value that carries a derivative to a Python number
# ---------------------------------------------------------------------------

_DROPPING = {
    "float": lambda x: x * float(x),
    "int": lambda x: x * int(x),
    "complex": lambda x: x * complex(x).real,
    "item": lambda x: x * x.item(),
    "tolist": lambda x: x * x.tolist(),
    "math.exp": lambda x: x * math.exp(x),
    "math.sin": lambda x: math.sin(x) + x,
    "math.sqrt": lambda x: x * math.sqrt(x),
}


@pytest.mark.parametrize("name", sorted(_DROPPING))
@pytest.mark.parametrize("transform", ["grad", "jvp", "hessian", "vjp", "jacrev"])
def test_conversion_that_drops_the_derivative_raises(name: str, transform: str) -> None:
    f = _DROPPING[name]
    calls = {
        "grad": lambda: fd.grad(f)(1.3),
        "jvp": lambda: fd.jvp(f, (1.3,), (1.0,)),
        "hessian": lambda: fd.hessian(f)(1.3),
        "vjp": lambda: fd.vjp(f, 1.3),
        "jacrev": lambda: fd.jacrev(f)(1.3),
    }
    with pytest.raises(ConcretizationError) as info:
        calls[transform]()
    msg = str(info.value)
    if isinstance(info.value, DerivativeDroppedError):
        # names what happened and the fixes
        assert "derivative" in msg and "silently dropped" in msg
        assert "fnp.sin(x), not math.sin(x)" in msg and "stop_gradient" in msg
    else:  # under vmap (hessian's outer pass) values are abstract
        assert "abstract" in msg


def test_the_issue_example_now_raises_instead_of_answering_e() -> None:
    # grad(x * exp(x)) at 1 is 2e; with math.exp the derivative of exp was dropped (gave e)
    with pytest.raises(DerivativeDroppedError, match=r"float\(\)"):
        fd.grad(lambda x: x * math.exp(x))(1.0)
    assert float(fd.grad(lambda x: x * fnp.exp(x))(1.0)) == pytest.approx(2 * math.e, rel=1e-15)


def test_writing_a_traced_value_into_a_numpy_buffer_raises() -> None:
    def f(x: Any) -> Any:
        buf = np.zeros(2)
        buf[0] = x
        return fnp.sum(buf * x)

    with pytest.raises((TypeError, ValueError)) as info:
        fd.grad(f)(1.0)
    # numpy re-raises its own ValueError; ours is chained as the cause of it
    err: BaseException | None = info.value
    chain = []
    while err is not None:
        chain.append(err)
        err = err.__cause__ or err.__context__
    assert any(isinstance(e, DerivativeDroppedError) for e in chain)


def test_np_asarray_of_a_tracer_names_the_fix_and_never_recommends_float() -> None:
    with pytest.raises(TypeError) as info:
        fd.grad(lambda x: np.asarray(x) * x)(1.0)
    msg = str(info.value)
    assert "float(x)" not in msg and ".item()" not in msg
    assert "funcdiff.numpy" in msg and "stop_gradient" in msg


def test_conversions_that_drop_nothing_still_work() -> None:
    # Python control flow on values
    assert float(fd.grad(lambda x: x**2 if x > 0 else -x)(3.0)) == 6.0
    assert float(fd.grad(lambda x: x**2 if x else -x)(3.0)) == 6.0
    assert float(fd.hessian(lambda x: x**3 if x > 0 else -x)(1.0)) == 6.0
    # a value behind stop_gradient: d/dx [x * c] with c = x held fixed is c
    assert float(fd.grad(lambda x: x * float(fd.stop_gradient(x)))(3.0)) == 3.0
    # piecewise-constant and integer values carry no derivative
    assert float(fd.grad(lambda x: x * float(fnp.floor(x)))(2.5)) == 2.0
    g = fd.grad(lambda x: x[int(fnp.argmax(x))] * 2.0)(np.array([1.0, 3.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 2.0, 0.0])
    assert float(fd.grad(lambda x: x * len([0] * int(x.shape[0] if x.ndim else 2)))(1.0)) == 2.0


def test_nested_transforms_check_every_level() -> None:
    # x (outer) reaches the inner function as a constant that carries the
    # outer derivative: converting it must raise too
    def outer(x: Any) -> Any:
        return fd.grad(lambda y: y * float(x))(2.0)

    with pytest.raises(DerivativeDroppedError):
        fd.grad(outer)(3.0)

    # stop_gradient at the inner level holds the value fixed at every level:
    # d/dy [ d/dx (x * c) ] with c = stop_gradient(x * y) is d/dy c-free = 0
    def inner_sg(y: Any) -> Any:
        return fd.grad(lambda x: x * float(fd.stop_gradient(x * y)))(3.0)

    assert float(fd.grad(inner_sg)(2.0)) == 0.0
    # and the value is right: c = 3 * 2
    assert float(inner_sg(2.0)) == 6.0


def test_under_jit_conversions_are_abstract_errors() -> None:
    with pytest.raises(ConcretizationError, match="abstract"):
        fd.jit(lambda x: x * math.sin(x))(1.0)


def test_round_and_conj_on_tracers_are_traced() -> None:
    # round() goes through fnp.round (derivative zero), not through float()
    assert float(fd.grad(lambda x: x * round(x))(1.2)) == 1.0
    assert fd.jit(lambda x: round(x))(2.6) == 3.0


# ---------------------------------------------------------------------------
# 2. jit: results are the caller's own; constants keep their type
# ---------------------------------------------------------------------------


def test_jit_gradient_of_a_linear_function_is_not_its_cached_constant() -> None:
    w = np.array([1.0, 2.0, 3.0])
    step = fd.jit(fd.grad(lambda p: fnp.sum(p * w)))
    p = np.zeros(3)
    for _ in range(3):
        g = step(p)
        g *= 0.1
        p -= g
    np.testing.assert_allclose(p, [-0.3, -0.6, -0.9], rtol=1e-15)
    np.testing.assert_array_equal(w, [1.0, 2.0, 3.0])


def test_jit_hessian_can_be_modified_without_changing_the_next_call() -> None:
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    hess = fd.jit(fd.hessian(lambda x: 0.5 * x @ a @ x))
    x = np.ones(2)
    h = hess(x)
    h += 10.0 * np.eye(2)
    np.testing.assert_array_equal(hess(x), a)


def test_jit_never_returns_its_input_or_a_view_of_it() -> None:
    x = np.array([1.0, 2.0, 3.0])
    for f in (lambda x: x, lambda x: x[1:], lambda x: x.reshape(3, 1), lambda x: x.T):
        out = fd.jit(f)(x)
        out2 = fd.jit(f)(x)  # second call: the fast path
        for o in (out, out2):
            assert not np.shares_memory(o, x)
            o += 100.0
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_jit_outputs_are_independent_and_writable() -> None:
    x = np.array([1.0, 2.0])
    f = fd.jit(lambda x: (x * 2, x * 2, fnp.broadcast_to(x[0], (3,)), (x * 2).T))
    for _ in range(2):
        outs = f(x)
        for o in outs:
            assert o.flags.writeable
        for i, a in enumerate(outs):
            for b in outs[i + 1 :]:
                assert not np.shares_memory(a, b)
        for o in outs:
            o += 100.0
    np.testing.assert_array_equal(f(x)[0], [2.0, 4.0])
    np.testing.assert_array_equal(f(x)[2], [1.0, 1.0, 1.0])


def test_jit_array_constant_output_is_a_fresh_copy() -> None:
    c = np.array([1.0, 2.0])
    f = fd.jit(lambda x: (x * 2, c))
    out = f(1.0)[1]
    out += 1.0
    np.testing.assert_array_equal(f(1.0)[1], [1.0, 2.0])
    np.testing.assert_array_equal(c, [1.0, 2.0])
    z = np.array(5.0)
    g = fd.jit(lambda x: z)
    r = g(1.0)
    r[...] = 0.0
    assert float(g(1.0)) == 5.0 and float(z) == 5.0


def _same_as_eager(f: Any, *args: Any) -> None:
    want = f(*args)
    jf = fd.jit(f)
    for got in (jf(*args), jf(*args)):  # the first call compiles, the second is the fast path
        gl, wl = fd.tree.tree_leaves(got), fd.tree.tree_leaves(want)
        assert len(gl) == len(wl)
        for g, w in zip(gl, wl, strict=True):
            assert type(g) is type(w), (type(g), type(w))
            assert np.asarray(g).dtype == np.asarray(w).dtype
            np.testing.assert_array_equal(g, w)


_CONSTANT_OUTPUTS = [
    lambda x: 3,
    lambda x: 2.5,
    lambda x: True,
    lambda x: 1 + 2j,
    lambda x: np.float32(2.5),
    lambda x: np.int32(7),
    lambda x: np.array(2.0),
    lambda x: np.arange(3),
    lambda x: fnp.sum(fnp.ones(3, dtype=int)),
    lambda x: (3, None, [np.float32(1.5), np.bool_(False)]),
    lambda x: (fnp.sin(x), np.float64(1.5)),
    lambda x: x,
]
_COMPUTED_OUTPUTS = [
    lambda x: (x * 2, fnp.sum(fnp.ones(3, dtype=int))),
    lambda x: x > 0,
    lambda x: fnp.floor(x).astype(int),
    lambda x: (fnp.sin(x), x * 1j),
    lambda x: (x + 1j) * (x - 1j),
    lambda x: fnp.stack([x, x]),
]


@pytest.mark.parametrize("f", _CONSTANT_OUTPUTS)
@pytest.mark.parametrize("x", [1.5, np.float64(1.5), np.array(1.5), np.float32(1.5)])
def test_jit_constant_outputs_equal_eager_in_value_dtype_and_type(f: Any, x: Any) -> None:
    _same_as_eager(f, x)


_NUMPY2 = int(np.__version__.split(".")[0]) >= 2


@pytest.mark.parametrize("f", _COMPUTED_OUTPUTS)
@pytest.mark.parametrize(
    "x",
    [
        np.float64(1.5),
        np.array(1.5),
        # eager arithmetic on a numpy float32 scalar follows numpy 1.x's value-based
        # casting there; funcdiff follows numpy 2's rules on every version
        pytest.param(np.float32(1.5), marks=pytest.mark.skipif(not _NUMPY2, reason="NEP 50")),
    ],
)
def test_jit_computed_outputs_equal_eager_in_value_dtype_and_type(f: Any, x: Any) -> None:
    _same_as_eager(f, x)


@pytest.mark.parametrize("f", _COMPUTED_OUTPUTS)
def test_jit_computed_outputs_from_python_numbers_are_numpy_values(f: Any) -> None:
    # eager Python arithmetic on a Python float gives Python numbers; jit gives
    # the numpy scalar of the same value and dtype (as numpy functions do)
    want = fd.tree.tree_leaves(f(1.5))
    for got in (fd.jit(f)(1.5), fd.jit(f)(1.5)):
        for g, w in zip(fd.tree.tree_leaves(got), want, strict=True):
            assert isinstance(g, (np.generic, np.ndarray))
            assert np.asarray(g).dtype == np.asarray(w).dtype
            np.testing.assert_array_equal(g, w)


def test_jit_true_constant_is_not_a_numpy_bool() -> None:
    # the issue's example: jit(lambda x: 3)(1.0) returned np.True_
    out = fd.jit(lambda x: 3)(1.0)
    assert out == 3 and type(out) is int


# ---------------------------------------------------------------------------
# 5. bad arguments are named
# ---------------------------------------------------------------------------


def test_duplicate_argnums_raise() -> None:
    with pytest.raises(ValueError, match=r"argnums=\(0, 0\) names the same argument twice"):
        fd.grad(lambda x, y: x * y, argnums=(0, 0))(1.0, 2.0)
    with pytest.raises(ValueError, match="same argument twice"):
        fd.jacrev(lambda x, y: x * y, argnums=(1, -1))(1.0, 2.0)


@pytest.mark.parametrize("bad", [0.0, "0", None, (0, 1.0), True])
def test_argnums_of_the_wrong_type_raise(bad: Any) -> None:
    with pytest.raises(TypeError, match="argnums must be an int or a tuple of ints"):
        fd.grad(lambda x, y: x * y, argnums=bad)(1.0, 2.0)


def test_numpy_integer_argnums_are_accepted() -> None:
    g = fd.grad(lambda x, y: x * y, argnums=np.int64(1))(3.0, 2.0)
    assert float(g) == 3.0


@pytest.mark.parametrize("bad", [0.0, "0", [0.0], {"a": 1.5}, True])
def test_in_axes_of_the_wrong_type_raise(bad: Any) -> None:
    with pytest.raises(TypeError, match="vmap: in_axes must be an int, None"):
        fd.vmap(lambda x: x * 2, in_axes=bad)


def test_out_axes_out_of_range_raise() -> None:
    with pytest.raises(ValueError, match=r"out_axes=3 is out of range for output leaf 0"):
        fd.vmap(lambda x: x * 2, out_axes=3)(np.ones(3))
    with pytest.raises(ValueError, match=r"out_axes=-3 is out of range"):
        fd.vmap(lambda x: x * 2, out_axes=-3)(np.ones((3, 2)))
    with pytest.raises(TypeError, match="out_axes must be an int"):
        fd.vmap(lambda x: x * 2, out_axes=1.0)
    # the valid extremes still work
    assert fd.vmap(lambda x: x * 2, out_axes=-1)(np.ones((3, 2))).shape == (2, 3)
    assert fd.vmap(lambda x: x * 2, out_axes=1)(np.ones((3, 2))).shape == (2, 3)


@pytest.mark.parametrize("bad", [0, -1, 2.0, "2", True])
@pytest.mark.parametrize("transform", [fd.jacfwd, fd.jacrev, fd.hessian])
def test_chunk_size_of_the_wrong_kind_raise(bad: Any, transform: Any) -> None:
    with pytest.raises(ValueError, match="chunk_size must be a positive int or None"):
        transform(lambda x: x * 2, chunk_size=bad)


def test_check_grads_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match=r"modes must name 'fwd' and/or 'rev', got \['bogus'\]"):
        fd.check_grads(lambda x: x * x, (1.0,), order=1, modes=["bogus"])
    with pytest.raises(ValueError, match="modes must name"):
        fd.check_grads(lambda x: x * x, (1.0,), order=1, modes=[])
    with pytest.raises(TypeError, match=r"args must be a tuple .* write args=\(x,\)"):
        fd.check_grads(lambda x: x * x, 1.0, order=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="order must be a positive int"):
        fd.check_grads(lambda x: x * x, (1.0,), order=0)
    fd.check_grads(lambda x: x * x, (1.0,), order=1, modes="fwd")  # one mode as a string


def test_jvp_tangent_dtype_must_match_its_primal() -> None:
    with pytest.raises(DTypeError, match="tangent leaf 0 has dtype float32 but its primal has"):
        fd.jvp(lambda x: x * x, (np.ones(2),), (np.ones(2, np.float32),))
    # a Python number takes the primal's dtype
    _, t = fd.jvp(lambda x: x * x, (np.float32(2.0),), (1.0,))
    assert np.asarray(t).dtype == np.float32 and float(t) == 4.0


def test_vjp_cotangent_shape_and_dtype_must_match_the_output() -> None:
    _, pullback = fd.vjp(lambda x: x * x, np.ones(2))
    with pytest.raises(ShapeError, match=r"cotangent leaf 0 has shape \(3,\)"):
        pullback(np.ones(3))
    with pytest.raises(ShapeError, match=r"cotangent leaf 0 has shape \(\)"):
        pullback(1.0)
    with pytest.raises(DTypeError, match="cotangent leaf 0 has dtype float32"):
        pullback(np.ones(2, np.float32))
    np.testing.assert_array_equal(pullback(np.ones(2))[0], [2.0, 2.0])


def test_cyclic_pytrees_raise_instead_of_hanging() -> None:
    loop: list[Any] = [1.0]
    loop.append(loop)
    with pytest.raises(ValueError, match=r"reference cycle: the list at \[0\]\[1\] contains"):
        fd.grad(lambda t: t[0])(loop)
    d: dict[str, Any] = {"a": 1.0}
    d["b"] = d
    with pytest.raises(ValueError, match="reference cycle"):
        fd.jit(lambda t: t["a"])(d)
    with pytest.raises(ValueError, match="reference cycle"):
        fd.tree.tree_leaves([loop])
    # shared (non-cyclic) structure is fine
    shared = [1.0, 2.0]
    assert fd.tree.tree_leaves([shared, shared, (shared,)]) == [1.0, 2.0] * 3


# ---------------------------------------------------------------------------
# 6. check_grads on pytrees holding Python floats
# ---------------------------------------------------------------------------


def test_check_grads_on_a_pytree_with_python_floats() -> None:
    def f(d: Any) -> Any:
        return fnp.sum(d["a"] * fnp.sin(d["b"]))

    fd.check_grads(f, ({"a": 1.5, "b": np.array([0.3, -0.7])},), order=2)


def test_check_grads_still_catches_a_wrong_rule_in_a_pytree() -> None:
    @fd.custom_jvp
    def bad_sin(x: Any) -> Any:
        return fnp.sin(x)

    @bad_sin.defjvp
    def _bad_sin_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (t,) = primals, tangents
        return fnp.sin(x), 1.1 * fnp.cos(x) * t  # 10% off

    with pytest.raises(AssertionError, match="mismatch"):
        fd.check_grads(lambda d: d["a"] * bad_sin(d["b"]), ({"a": 1.5, "b": 0.4},), order=1)


# ---------------------------------------------------------------------------
# 7. .at[...] on constants made by funcdiff.numpy
# ---------------------------------------------------------------------------


def test_at_updates_on_constants_inside_grad() -> None:
    def f(x: Any) -> Any:
        v = fnp.zeros(3).at[0].set(x[1] ** 2).at[2].add(3.0)
        return fnp.sum(v * x)  # = x0 x1^2 + 3 x2

    x = np.array([1.0, 2.0, 3.0])
    want = [x[1] ** 2, 2 * x[0] * x[1], 3.0]
    np.testing.assert_allclose(fd.grad(f)(x), want, rtol=1e-15)
    np.testing.assert_allclose(fd.jit(fd.grad(f))(x), want, rtol=1e-15)


@pytest.mark.parametrize(
    "make",
    [
        lambda x: fnp.zeros_like(x),
        lambda x: fnp.ones_like(x),
        lambda x: fnp.full_like(x, 2.0),
        lambda x: fnp.zeros(x.shape),
        lambda x: fnp.ones(3),
        lambda x: fnp.full(3, 0.5),
        lambda x: fnp.eye(3)[0],
        lambda x: fnp.arange(3.0),
        lambda x: fnp.array([0.0, 1.0, 2.0]),
        lambda x: fnp.asarray([0.0, 1.0, 2.0]),
    ],
)
def test_constants_from_funcdiff_numpy_support_at(make: Any) -> None:
    x = np.array([0.5, -1.0, 2.0])

    def f(x: Any) -> Any:
        return fnp.sum(make(x).at[1].set(x[0] * x[2]))

    base = np.asarray(make(x))
    # d/dx of (sum of base without element 1) + x0 * x2
    np.testing.assert_array_equal(fd.grad(f)(x), [x[2], 0.0, x[0]])
    assert float(f(x)) == pytest.approx(base.sum() - base[1] + x[0] * x[2], rel=1e-15)


def test_constant_arrays_are_plain_numpy_arrays_to_users() -> None:
    z = fnp.zeros(2)
    assert isinstance(z, np.ndarray)
    assert repr(z) == "array([0., 0.])"
    assert type(fd.grad(lambda x: fnp.sum(x * fnp.ones(2)))(np.ones(2))) is np.ndarray
    a = np.ones(3)
    assert fnp.asarray(a) is a  # numpy's asarray passes arrays through
    # numpy functions of constants give plain arrays (eager and jit agree)
    assert type(fnp.zeros(2) + 1.0) is np.ndarray
    assert type(np.sum(fnp.ones((2, 2)), axis=0)) is np.ndarray
    assert type(np.sum(fnp.ones(2))) is np.float64


def test_std_at_constant_input_gives_nan_curvature_not_a_wrong_number() -> None:
    x = np.ones(3)
    np.testing.assert_array_equal(fd.grad(fnp.std)(x), np.zeros(3))
    with np.errstate(all="ignore"):
        assert np.all(np.isnan(fd.hessian(lambda x: fnp.std(x) ** 2)(x)))
    # away from the tip, std**2 has exactly var's Hessian (I - 11^T/n) * 2/n
    y = np.array([1.0, 2.0, 4.0])
    want = (np.eye(3) - 1.0 / 3.0) * 2.0 / 3.0
    np.testing.assert_allclose(fd.hessian(lambda x: fnp.std(x) ** 2)(y), want, atol=1e-14)

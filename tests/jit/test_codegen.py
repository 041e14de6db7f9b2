"""codegen's buffer analysis (``_Liveness``) on small jaxprs: which buffer
each equation writes into, and how outputs are handed to the caller."""

from __future__ import annotations

from typing import Any

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.core.ir import ClosedJaxpr
from funcdiff.interpreters.codegen import _Liveness, compile_jaxpr

X = np.linspace(0.1, 0.9, 6)


def _reuse(closed: ClosedJaxpr, reuse_buffers: bool = True) -> dict[str, str]:
    """equation's primitive name -> the operand (by position in the jaxpr's
    equations that defined it) whose buffer it writes into."""
    j = closed.jaxpr
    live = _Liveness(j, reuse_buffers)
    made = {v: e.primitive.name for e in j.eqns for v in e.outvars}
    return {j.eqns[i].primitive.name: made[v] for i, v in live.reuse.items()}


def test_a_dying_temporary_receives_the_next_result() -> None:
    closed = fd.make_jaxpr(lambda x: fnp.exp(fnp.sin(x)) * 2.0)(X)
    assert _reuse(closed) == {"exp": "sin", "mul": "exp"}
    assert _reuse(closed, reuse_buffers=False) == {}
    _, source = compile_jaxpr(closed)
    assert "out=" in source
    _, source = compile_jaxpr(closed, reuse_buffers=False)
    assert "out=" not in source


def test_a_primitive_slow_in_place_never_writes_into_its_operand() -> None:
    # numpy's sign into its own operand runs a loop about five times slower
    # on mixed signs; the next equation still takes sign's fresh buffer
    closed = fd.make_jaxpr(lambda x: fnp.sign(fnp.sin(x)) * 2.0)(X)
    assert _reuse(closed) == {"mul": "sign"}
    x = np.linspace(-1.0, 1.0, 7)
    np.testing.assert_array_equal(fd.jit(lambda x: fnp.sign(fnp.sin(x)) * 2.0)(x), np.sign(x) * 2)


def test_inputs_and_live_temporaries_are_never_written() -> None:
    def f(x: Any) -> Any:
        y = fnp.sin(x)
        return fnp.exp(x) + fnp.cos(y) * y  # cos(y): y is read again after

    closed = fd.make_jaxpr(f)(X)
    reuse = _reuse(closed)
    assert "exp" not in reuse  # x is the caller's
    assert "cos" not in reuse  # y lives on
    x = X.copy()
    np.testing.assert_allclose(fd.jit(f)(x), f(X), rtol=1e-14)
    np.testing.assert_array_equal(x, X)


def test_an_operand_read_twice_by_the_equation_is_not_its_output_buffer() -> None:
    closed = fd.make_jaxpr(lambda x: (lambda y: y * y)(fnp.sin(x)))(X)
    assert "mul" not in _reuse(closed)
    np.testing.assert_allclose(compile_jaxpr(closed)[0](X)[0], np.sin(X) ** 2, rtol=1e-14)


def test_outputs_aliasing_inputs_or_each_other_are_copied() -> None:
    def f(x: Any) -> Any:
        y = fnp.sin(x)
        return x, y, y, fnp.transpose(fnp.reshape(x, (2, 3)))

    closed = fd.make_jaxpr(f)(X)
    assert _Liveness(closed.jaxpr).out_wrap == ["_copy", "", "_copy", "_copy"]
    outs = fd.jit(f)(X)
    for k, a in enumerate(outs):
        assert not np.shares_memory(a, X)
        for b in outs[k + 1 :]:
            assert not np.shares_memory(a, b)


def test_a_broadcast_handed_out_is_made_writable() -> None:
    closed = fd.make_jaxpr(lambda x: fnp.broadcast_to(x, (3, 6)))(X)
    assert _Liveness(closed.jaxpr).out_wrap == ["_copy"]  # a view of the input
    closed = fd.make_jaxpr(lambda x: fnp.broadcast_to(fnp.sin(x), (3, 6)))(X)
    assert _Liveness(closed.jaxpr).out_wrap == ["_writable"]  # a read-only view
    out = fd.jit(lambda x: fnp.broadcast_to(fnp.sin(x), (3, 6)))(X)
    out[0, 0] = 1.0  # the caller's own, writable


def test_numpy_methods_on_numpy_values_and_functions_on_inputs() -> None:
    # ``x.reshape(...)`` skips numpy's Python wrapper, but an input may be a
    # Python float or another library's array: it gets ``np.reshape``
    def f(x: Any) -> Any:
        y = fnp.sin(x)
        return fnp.sum(fnp.transpose(fnp.reshape(y, (2, 3))), axis=0), fnp.reshape(x, (3, 2))

    closed = fd.make_jaxpr(f)(X)
    fn, source = compile_jaxpr(closed)
    assert ".reshape((2, 3))" in source and ".transpose(" in source and ".sum(" in source
    assert "np_reshape(a, (3, 2))" in source  # the input ``a``
    want = f(X)
    for got, ref in zip(fn(X), want, strict=True):
        np.testing.assert_array_equal(got, ref)

    def g(x: Any) -> Any:
        return fnp.reshape(x, (1,)), fnp.reshape(x * 2.0, (1, 1))

    for x in (1.5, np.float64(1.5), np.asarray(1.5)):
        a, b = fd.jit(g)(x)
        assert type(a) is np.ndarray and type(b) is np.ndarray
        np.testing.assert_array_equal(a, [1.5])
        np.testing.assert_array_equal(b, [[3.0]])


def test_scatter_add_into_zeros_at_distinct_constant_places_assigns() -> None:
    # np.add.at only where a place may repeat (or the places are not known)
    distinct, repeated = np.array([4, 0, 2]), np.array([4, 0, 4])
    x = np.array([1.5, -2.0, 0.25])
    for idx, assigns in [(distinct, True), (repeated, False)]:

        def f(x: Any, idx: Any = idx) -> Any:
            return fnp.sin(fnp.zeros(5000).at[idx].add(x * 2.0))

        closed = fd.make_jaxpr(f)(x)
        fn, source = compile_jaxpr(closed)
        assert ("np.add.at" not in source) == assigns, source
        np.testing.assert_array_equal(fn(x)[0], f(x))
        np.testing.assert_array_equal(fd.jit(f)(x), f(x))
    # places given at run time: add.at
    g = fd.jit(lambda x, i: fnp.zeros(5000).at[i].add(x))
    want = np.zeros(5000)
    np.add.at(want, repeated, x)
    np.testing.assert_array_equal(g(x, repeated), want)
    assert "np.add.at" in g.lower(x, distinct).as_text()

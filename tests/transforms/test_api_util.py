"""The shared vocabulary of the transforms (``funcdiff.api_util``)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
from funcdiff.api_util import (
    as_array_leaf,
    concrete_or_none,
    concrete_or_raise,
    contains_tracer,
    fun_name,
    has_tracer,
    merge_args,
    split_args,
    trace_to_jaxpr,
)
from funcdiff.core.ir import ShapedArray


def test_fun_name() -> None:
    def square(x: Any) -> Any:
        return x * x

    class Callable_:
        def __call__(self, x: Any) -> Any:
            return x

    assert fun_name(square) == "square"
    assert fun_name(Callable_()) == "Callable_"
    assert fun_name(functools.partial(square)) == "partial"


def test_as_array_leaf() -> None:
    a = np.ones(3, np.float32)
    assert as_array_leaf(a, "x") is a
    assert as_array_leaf(2.0, "x").dtype == np.float64
    assert as_array_leaf(True, "x").dtype == np.bool_
    assert as_array_leaf(np.float32(1), "x").dtype == np.float32
    # a list taken as a leaf: its elements' promoted dtype (weak Python floats)
    assert as_array_leaf([np.float32(1), 2.0], "x").dtype == np.float32
    with pytest.raises(TypeError, match=r"^argument 1 is a str, not an array: pass arrays"):
        as_array_leaf("a", "argument 1")
    with pytest.raises(TypeError, match=r"is a object, not an array: mark it static$"):
        as_array_leaf(object(), "leaf", "mark it static")


def test_split_and_merge_args() -> None:
    args = ("a", 1, "b", 2)
    at, rest = split_args(args, {0, 2})
    assert (at, rest) == (["a", "b"], [1, 2])
    assert merge_args({0, 2}, at, rest) == list(args)
    assert split_args(args, ()) == ([], list(args))


def test_tracer_helpers_and_trace_to_jaxpr() -> None:
    seen: dict[str, Any] = {}

    def fun(x: Any) -> list[Any]:
        seen["traced"] = has_tracer([1.0, x])
        seen["value"] = concrete_or_none(x)
        return [x * 2.0]

    aval = ShapedArray((), np.dtype(np.float64))
    closed, trace = trace_to_jaxpr(fun, [aval], [np.asarray(3.0)])
    assert seen["traced"] and seen["value"] == 3.0
    assert [str(e.primitive) for e in closed.jaxpr.eqns] == ["mul"]
    assert trace.env[closed.jaxpr.outvars[0]] == 6.0
    closed, _ = trace_to_jaxpr(fun, [aval])  # abstract: no value now
    assert seen["value"] is None
    assert not has_tracer([1.0, np.ones(2)])
    assert concrete_or_none(2) == 2


def test_contains_tracer_and_concrete_or_raise() -> None:
    seen: dict[str, Any] = {}

    def fun(x: Any) -> list[Any]:
        seen["nested"] = contains_tracer([1.0, (np.ones(2), [x])])
        seen["in a slice"] = contains_tracer((0, slice(None, x)))
        seen["flat"] = has_tracer([[x]])  # has_tracer looks one level deep only
        seen["list"] = concrete_or_raise([x, 2.0], "stacking")
        try:
            seen["value"] = concrete_or_raise(x, "repeats")
        except fd.ConcretizationError as err:
            seen["error"] = str(err)
        return [x]

    aval = ShapedArray((), np.dtype(np.float64))
    trace_to_jaxpr(fun, [aval], [np.asarray(3.0)])
    assert seen["nested"] and seen["in a slice"] and not seen["flat"]
    assert seen["list"].tolist() == [3.0, 2.0] and seen["value"] == 3.0
    seen.clear()
    with pytest.raises(fd.ConcretizationError, match="stacking needs a concrete value"):
        trace_to_jaxpr(fun, [aval])
    seen.clear()

    def abstract(x: Any) -> list[Any]:
        try:
            concrete_or_raise(x, "repeats")
        except fd.ConcretizationError as err:
            seen["error"] = str(err)
        return [x]

    trace_to_jaxpr(abstract, [aval])
    assert seen["error"].startswith("repeats needs a concrete value")
    assert "static_argnums" in seen["error"]
    assert not contains_tracer([1.0, (np.ones(2), [slice(1, 2)])])
    assert concrete_or_raise([1, 2], "x").tolist() == [1, 2]


def test_jit_names_a_bad_output_leaf_as_an_output() -> None:
    with pytest.raises(TypeError, match="jit: an output leaf of <lambda> is a str"):
        fd.jit(lambda x: "b")(1.0)
    with pytest.raises(TypeError, match="jit: an argument leaf is a str.*static_argnums"):
        fd.jit(lambda x: x)("a")

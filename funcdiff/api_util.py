"""The vocabulary the transforms share (api, jit, custom, lax, taylor, debug).

- ``fun_name(f)``: how error messages name a user function.
- ``as_array_leaf(x, what, hint)``: a pytree leaf as an array value, or a
  TypeError naming the leaf (``what``).
- ``split_args(args, nums)`` / ``merge_args(nums, at, rest)``: the
  positional arguments at ``nums`` (static or nondiff ones) apart from the
  rest, and back.
- ``has_tracer(xs)``: whether any value is being traced;
  ``contains_tracer(x)``: the same inside nested lists, tuples and slices
  (an index, a list of arrays).
- ``concrete_or_none(x)``: the value of ``x`` now, None while abstract;
  ``concrete_or_raise(x, what)``: the same, or the ConcretizationError that
  says ``what`` needs a concrete value.
- ``trace_to_jaxpr(fun, in_avals, in_vals)``: trace a flat function into a
  closed jaxpr (the one ``new_trace`` / ``new_arg`` / ``to_jaxpr`` sequence).

It sits with the transforms: it imports the core, and nothing in ``core``,
``primitives`` or ``interpreters`` imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from typing import Any

import numpy as np

from funcdiff._compat import result_type
from funcdiff.core.ir import ClosedJaxpr, Jaxpr, ShapedArray
from funcdiff.core.trace import JaxprTrace, Tracer, new_trace

#: the advice after "... is not an array: " when nothing more specific applies
PYTREE_HINT = "pass arrays, Python numbers or pytrees (tuples, lists, dicts) of them"


def fun_name(f: Any) -> str:
    """The name error messages give a user function (its type's for a callable object)."""
    return str(getattr(f, "__name__", type(f).__name__))


def as_array_leaf(x: Any, what: str, hint: str = PYTREE_HINT) -> Any:
    """A pytree leaf as an array value: tracers and arrays pass unchanged,
    numbers become arrays (a Python float float64, a Python int numpy's
    default int), a list or tuple taken as a leaf an array of its elements'
    promoted dtype. Anything else, strings and objects, is a TypeError
    naming the leaf (``what``) and saying what to do (``hint``)."""
    if isinstance(x, (Tracer, np.ndarray)):
        return x
    if isinstance(x, (list, tuple)):
        return np.asarray(x, dtype=result_type(*x) if x else np.float64)
    try:
        arr = np.asarray(x)
    except Exception:
        arr = None
    if arr is None or arr.dtype.kind not in "biufc":
        raise TypeError(f"{what} is a {type(x).__name__}, not an array: {hint}")
    return arr


def split_args(args: Sequence[Any], nums: Container[int]) -> tuple[list[Any], list[Any]]:
    """(the arguments at positions ``nums``, the others), each in positional
    order; ``nums`` holds non-negative positions."""
    at: list[Any] = []
    rest: list[Any] = []
    for i, a in enumerate(args):
        (at if i in nums else rest).append(a)
    return at, rest


def merge_args(nums: Container[int], at: Sequence[Any], rest: Sequence[Any]) -> list[Any]:
    """The full positional argument list again: ``split_args`` undone."""
    a, r = iter(at), iter(rest)
    return [next(a) if i in nums else next(r) for i in range(len(at) + len(rest))]


def has_tracer(xs: Iterable[Any]) -> bool:
    """Whether any of ``xs`` is a tracer (of any trace, concrete or abstract)."""
    for x in xs:
        if isinstance(x, Tracer):
            return True
    return False


def contains_tracer(x: Any) -> bool:
    """Whether ``x`` is a tracer or holds one in nested lists, tuples or
    slices (an index such as ``(0, slice(None, t))``, a list of arrays)."""
    stack = [x]
    while stack:
        e = stack.pop()
        if isinstance(e, Tracer):
            return True
        if isinstance(e, (tuple, list)):
            stack.extend(e)
        elif isinstance(e, slice):
            stack.extend((e.start, e.stop, e.step))
    return False


def concrete_or_none(x: Any) -> np.ndarray | None:
    """The value of ``x`` known now, as an array: a number's or array's own,
    a concrete tracer's (through nested traces); None for an abstract tracer.
    ``Tracer.concrete_value`` is the form that raises instead."""
    while isinstance(x, Tracer):
        x = x.val
    return None if x is None else np.asarray(x)


def concrete_or_raise(x: Any, what: str) -> np.ndarray:
    """The value of ``x`` known now, as an array (a list or tuple holding
    tracers becomes one array of their values). For an abstract tracer, a
    ConcretizationError saying that ``what`` needs a concrete value and what
    to do (``Tracer.concrete_value``'s message)."""
    if isinstance(x, Tracer):
        return np.asarray(x.concrete_value(what))
    if isinstance(x, (list, tuple)) and contains_tracer(x):
        return np.asarray([concrete_or_raise(e, what) for e in x])
    return np.asarray(x)


def trace_to_jaxpr(
    fun: Callable[..., Sequence[Any]],
    in_avals: Sequence[ShapedArray],
    in_vals: Sequence[Any] | None = None,
    expect: Jaxpr | None = None,
) -> tuple[ClosedJaxpr, JaxprTrace]:
    """Trace ``fun`` (flat arrays in, a flat list of array leaves out) into a
    closed jaxpr. With ``in_vals`` the trace carries values, so the forward
    pass runs now and ``trace.env`` maps each variable to its value; without
    them tracing is abstract. Returns the jaxpr and the finished trace.
    ``expect``: a jaxpr an earlier trace of ``fun`` made, replayed while it
    matches (``JaxprTrace``; ``trace.replayed`` says whether it did to the
    end, and the jaxpr returned is then ``expect`` itself)."""
    with new_trace(expect) as trace:
        if in_vals is None:
            tracers = [trace.new_arg(a) for a in in_avals]
        else:
            tracers = [trace.new_arg(a, v) for a, v in zip(in_avals, in_vals, strict=True)]
        closed = trace.to_jaxpr(tracers, fun(*tracers))
    return closed, trace

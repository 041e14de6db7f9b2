"""Compiled interpreters for eager calls: the backward pass of a jaxpr whose
*structure* was seen before runs as cached straight-line numpy code.

``grad(f)(x)`` must trace ``f`` on every call (Python control flow on values
may take another path each time), but most calls record the same equations
on the same shapes. The structure of a jaxpr (primitives, params, wiring,
types and literal values) keys a cache of its backward pass, traced once
abstractly from the same VJP rules (``backward_pass``), optimized
(``funcdiff.passes``) and compiled (``codegen``). A cache hit runs the
backward pass as one generated function over the recorded forward values:
the interpretation overhead per equation disappears, the arithmetic is the
same.

The fast path is only taken at the top level (every recorded value is a
concrete numpy array); nested transforms interpret as usual, so their outer
traces see every operation.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcdiff.core import debug_state as _debug
from funcdiff.core.ir import ClosedJaxpr, Jaxpr, ShapedArray, Var, aval_of
from funcdiff.core.trace import Tracer, new_trace

CACHE_SIZE = 512
_cache: OrderedDict[Any, Callable[..., list[Any]] | None] = OrderedDict()
_lock = threading.Lock()


def structure_key(jaxpr: Jaxpr) -> Any:
    """A hashable description of everything the backward pass depends on,
    or None when the jaxpr holds parameters that cannot be compared
    (sub-jaxprs, which are compared by identity and would never hit).

    Output types are implied by the inputs and params (abstract_eval is a
    function), so only input types, wiring, params and literals enter.
    """
    index: dict[Any, int] = {}
    parts: list[Any] = []
    for v in (*jaxpr.constvars, *jaxpr.invars):
        index[v] = len(index)
        parts.append((v.aval.shape, v.aval.dtype))
    get = index.get
    for eqn in jaxpr.eqns:
        ins: list[Any] = []
        for x in eqn.invars:
            i = get(x)
            if i is None:  # a Literal
                val = x.val  # type: ignore[union-attr]
                if isinstance(val, np.generic):
                    ins.append((val.dtype, val.item()))
                else:
                    arr = np.asarray(val)
                    ins.append((arr.dtype, arr.tobytes()))
            else:
                ins.append(i)
        params = eqn.params
        if params:
            pkey: Any = tuple(params.items())
            for p in params.values():
                if isinstance(p, (Jaxpr, ClosedJaxpr)) or callable(p):
                    return None
            parts.append((eqn.primitive, pkey, tuple(ins)))
        else:
            parts.append((eqn.primitive, tuple(ins)))
        for v in eqn.outvars:
            index[v] = len(index)
    parts.append(
        tuple(
            get(x, -1) if isinstance(x, Var) else ("L", np.asarray(x.val).tobytes())
            for x in jaxpr.outvars
        )
    )
    return tuple(parts)


def _all_vars(jaxpr: Jaxpr) -> list[Var]:
    out = [*jaxpr.constvars, *jaxpr.invars]
    for eqn in jaxpr.eqns:
        out.extend(eqn.outvars)
    return out


def _build(
    kind: str, jaxpr: Jaxpr, extra_avals: Sequence[ShapedArray]
) -> Callable[..., list[Any]] | None:
    """Trace the backward (``kind="vjp"``) or tangent (``"jvp"``) pass of
    ``jaxpr`` abstractly, from the same rules the interpreters use, then
    optimize and compile it. Inputs: every variable's value, then the
    output cotangents or input tangents. Kinds ``"vjp_batched"`` and
    ``"jvp_batched"`` take a stack of those along axis 0 (the basis of
    jacrev/jacfwd) and are the ``vmap`` of the same pass."""
    from funcdiff.api import vmap
    from funcdiff.core.primitive import Zero
    from funcdiff.interpreters.codegen import compile_jaxpr
    from funcdiff.interpreters.jvp import jvp_jaxpr
    from funcdiff.interpreters.vjp import backward_pass
    from funcdiff.passes import optimize
    from funcdiff.primitives.elementwise import convert

    variables = _all_vars(jaxpr)
    avals = [v.aval for v in variables]
    reverse = kind.startswith("vjp")
    result_avals = [v.aval for v in jaxpr.invars] if reverse else [x.aval for x in jaxpr.outvars]

    def one(env: dict[Var, Any], extra: list[Any]) -> list[Any]:
        res = backward_pass(jaxpr, env, extra) if reverse else jvp_jaxpr(jaxpr, env, extra)
        out = []
        for r, a in zip(res, result_avals, strict=True):
            if r is None or isinstance(r, Zero):
                r = np.zeros(a.shape, a.dtype)
            out.append(convert(r, a.dtype))
        return out

    def run(*args: Any) -> list[Any]:
        vals, extra = args[: len(variables)], list(args[len(variables) :])
        env = dict(zip(variables, vals, strict=True))
        if kind.endswith("batched"):
            return list(vmap(lambda *e: one(env, list(e)))(*extra))
        return one(env, extra)

    with new_trace() as trace:
        tracers = [trace.new_arg(a) for a in [*avals, *extra_avals]]
        outs = run(*tracers)
        closed = trace.to_jaxpr(tracers, outs)
    if any(isinstance(c, Tracer) for c in closed.consts):
        return None
    fn, _ = compile_jaxpr(optimize(closed), name="backward" if reverse else "tangents")
    return fn


def _compiled(
    kind: str, jaxpr: Jaxpr, env: dict[Var, Any], extra: Sequence[Any]
) -> list[Any] | None:
    if _debug.STATE.enabled:  # debug_nans checks every equation: interpret
        return None
    for v in jaxpr.constvars:
        if isinstance(env[v], Tracer):
            return None
    for v in jaxpr.invars:
        if isinstance(env[v], Tracer):
            return None
    for c in extra:
        if isinstance(c, Tracer) or not isinstance(c, (np.ndarray, np.generic)):
            return None
    skey = structure_key(jaxpr)
    if skey is None:
        return None
    key = (kind, skey, tuple((c.shape, c.dtype.char) for c in extra))
    fn = _cache.get(key, _MISSING)
    if fn is _MISSING:
        # first sighting: interpret (compiling only pays off when it repeats)
        with _lock:
            _cache[key] = _SEEN
            if len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        return None
    if fn is _SEEN:
        fn = _build(kind, jaxpr, [aval_of(c) for c in extra])
        with _lock:
            _cache[key] = fn
    if fn is None:
        return None
    vals = [env[v] for v in _all_vars(jaxpr)]
    result: list[Any] = fn(*vals, *extra)
    return result


def compiled_backward(jaxpr: Jaxpr, env: dict[Var, Any], cts: Sequence[Any]) -> list[Any] | None:
    """The input cotangents via a cached compiled backward pass, or None when
    the fast path does not apply (nested transforms, uncomparable params)."""
    return _compiled("vjp", jaxpr, env, cts)


def compiled_batched(
    kind: str, jaxpr: Jaxpr, env: dict[Var, Any], stacked: Sequence[Any]
) -> list[Any] | None:
    """``vmap`` of the backward (``kind="vjp"``) or tangent (``"jvp"``) pass
    over stacked cotangents/tangents (axis 0), compiled; or None."""
    if not _values_known(kind, jaxpr, env):
        return None
    return _compiled(f"{kind}_batched", jaxpr, env, stacked)


def _values_known(kind: str, jaxpr: Jaxpr, env: dict[Var, Any]) -> bool:
    # forward mode reads every recorded value; reverse mode only the residuals
    return kind == "vjp" or all(v in env for v in _all_vars(jaxpr))


def compiled_pushforward(
    jaxpr: Jaxpr, env: dict[Var, Any], tangents: Sequence[Any]
) -> list[Any] | None:
    """The output tangents via a cached compiled tangent pass (forward mode),
    or None when the fast path does not apply."""
    if not _values_known("jvp", jaxpr, env):
        return None
    return _compiled("jvp", jaxpr, env, tangents)


class _Missing:
    pass


_MISSING: Any = _Missing()
_SEEN: Any = _Missing()

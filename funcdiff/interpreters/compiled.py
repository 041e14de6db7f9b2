"""Compiled interpreters for eager calls: the backward pass of a jaxpr whose
*structure* was seen before runs as cached straight-line numpy code.

``grad(f)(x)`` must trace ``f`` on every call (Python control flow on values
may take another path each time), but most calls record the same equations
on the same shapes. The structure of a jaxpr (``staging.structure_key``:
primitives, params, wiring, types and literal values) keys a cache of its
passes. The first sighting of a structure interprets as usual; the second
stages the pass (``staging.backward_jaxpr`` / ``tangent_jaxpr``, from the
same rules the interpreters use, batched with ``staging.batch_jaxpr`` for
the basis of jacrev/jacfwd) and compiles it (``staging.compile_cached``).
From then on the pass runs as one generated function over the recorded
forward values: the interpretation overhead per equation disappears, the
arithmetic is the same.

The fast path is only taken at the top level (every recorded value is a
concrete numpy array); nested transforms interpret as usual, so their outer
traces see every operation. Jaxprs holding sub-jaxprs (control flow, custom
rules) always interpret: a while loop's trip count, for one, is a value.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcdiff.core import debug_state as _debug
from funcdiff.core.ir import ClosedJaxpr, Jaxpr, ShapedArray, Var, aval_of
from funcdiff.core.lru import LRUCache, jaxpr_bytes
from funcdiff.core.trace import Tracer, new_trace
from funcdiff.interpreters.eval import eval_jaxpr
from funcdiff.interpreters.staging import (
    Compiled,
    all_vars,
    backward_jaxpr,
    batch_jaxpr,
    close_body,
    compile_cached,
    structure_key,
    tangent_jaxpr,
)


class Pass(enum.Enum):
    """Which pass of a traced function runs compiled.

    ``VJP``: output cotangents -> input cotangents. ``JVP``: input tangents
    -> output tangents. The ``_BATCHED`` kinds take a stack of those along
    axis 0 (the basis of jacrev/jacfwd) and are the batched pass.
    """

    VJP = "vjp"
    JVP = "jvp"
    VJP_BATCHED = "vjp_batched"
    JVP_BATCHED = "jvp_batched"
    #: ``grad``'s VJP: one scalar output, its cotangent 1 staged as a literal
    #: (the passes then fold the seed away: no broadcast of it, no products with it)
    GRAD = "grad"

    # members are singletons: hash by identity (Enum's hash is Python code,
    # and a pass kind keys the cache on every eager call)
    __hash__ = object.__hash__

    @property
    def reverse(self) -> bool:
        return self is Pass.VJP or self is Pass.VJP_BATCHED or self is Pass.GRAD

    @property
    def batched(self) -> bool:
        return self is Pass.VJP_BATCHED or self is Pass.JVP_BATCHED


CACHE_SIZE = 512
CACHE_BYTES = 256 << 20


class _Seen:
    """The cache's mark for a structure seen once (compiled at the next sighting)."""

    def __repr__(self) -> str:
        return "SEEN"


SEEN: Any = _Seen()


def _entry_bytes(entry: Compiled | _Seen | None) -> int:
    if isinstance(entry, Compiled):
        return jaxpr_bytes(entry.closed.consts, len(entry.closed.jaxpr.eqns), entry.source)
    return 100


# key -> SEEN, the compiled pass, or None (the pass cannot be compiled)
_cache: LRUCache[Any, Compiled | _Seen | None] = LRUCache(
    "compiled passes", max_entries=CACHE_SIZE, max_bytes=CACHE_BYTES, sizeof=_entry_bytes
)


def _build(kind: Pass, jaxpr: Jaxpr, extra_avals: Sequence[ShapedArray]) -> Compiled | None:
    """Stage and compile pass ``kind`` of ``jaxpr``. Inputs of the result:
    every variable's value (``all_vars``), then the output cotangents or
    input tangents (stacked along axis 0 for the batched kinds)."""
    rows = list(extra_avals)
    if kind.batched:
        if not rows:
            return None  # nothing gives the batch size
        rows = [ShapedArray(a.shape[1:], a.dtype) for a in extra_avals]
    if kind is Pass.GRAD:
        (out,) = jaxpr.outvars
        rows = [ShapedArray((), out.aval.dtype)]
    closed = (backward_jaxpr if kind.reverse else tangent_jaxpr)(jaxpr, rows)
    if kind is Pass.GRAD:
        closed = _unit_seed(closed)
    if kind.batched:
        n_vals = len(closed.jaxpr.invars) - len(rows)
        body, consts, _ = batch_jaxpr(
            closed,
            [None] * n_vals + [0] * len(rows),
            extra_avals[0].shape[0],
            [0] * len(closed.jaxpr.outvars),
        )
        closed = close_body(body, consts)
    if any(isinstance(c, Tracer) for c in closed.consts):
        return None
    # this module's cache keeps the function by the forward structure; the
    # staged jaxprs (and a second key) need not stay alive in compile_cached's
    name = "backward" if kind.reverse else "tangents"
    return compile_cached(closed, name=name, share=False)


def _unit_seed(closed: ClosedJaxpr) -> ClosedJaxpr:
    """``closed`` (values, then one scalar cotangent -> input cotangents) with
    the cotangent fixed to 1, a literal."""
    j = closed.jaxpr
    *vals, seed = j.invars
    one = np.ones((), seed.aval.dtype)

    with new_trace() as trace:
        tracers = [trace.new_arg(v.aval) for v in vals]
        return trace.to_jaxpr(tracers, eval_jaxpr(j, closed.consts, [*tracers, one]))


def run_pass(
    kind: Pass,
    jaxpr: Jaxpr,
    env: dict[Var, Any],
    extra: Sequence[Any],
    skey: Any = None,
) -> list[Any] | None:
    """Pass ``kind`` of ``jaxpr`` on the recorded values ``env`` and the
    cotangents or tangents ``extra``, through a cached compiled pass; or
    None when the fast path does not apply (nested transforms, debug_nans,
    uncomparable params, a structure seen for the first time)."""
    if _debug.STATE.enabled:  # debug_nans checks every equation: interpret
        return None
    if (kind is Pass.JVP or kind is Pass.JVP_BATCHED) and not all(
        v in env for v in all_vars(jaxpr)
    ):
        return None  # forward mode reads every recorded value
    for v in jaxpr.constvars:
        if isinstance(env[v], Tracer):
            return None
    for v in jaxpr.invars:
        if isinstance(env[v], Tracer):
            return None
    for c in extra:
        if isinstance(c, Tracer) or not isinstance(c, (np.ndarray, np.generic)):
            return None
    if skey is None:  # (unless the caller knows it: a replayed trace's jaxpr)
        skey = structure_key(jaxpr)
        if skey is None:
            return None
    key = (kind, skey, tuple([(c.shape, c.dtype.char) for c in extra]) if extra else ())
    entry = _cache.get(key, _MISSING)
    if entry is _MISSING:
        # first sighting: interpret (compiling only pays off when it repeats)
        _cache.put(key, SEEN)
        return None
    if entry is SEEN:
        entry = _build(kind, jaxpr, [aval_of(c) for c in extra])
        _cache.put(key, entry)
    if entry is None:
        return None
    vals = list(map(env.__getitem__, all_vars(jaxpr)))
    result: list[Any] = entry.fn(*vals, *extra)
    return result


_MISSING: Any = object()

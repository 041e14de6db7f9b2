"""Staging: jaxpr -> jaxpr transforms, and the one compile cache.

Everything that holds a sub-computation stages it here: the bodies and
branches of ``cond``/``scan``/``while`` (``primitives.control``), the
functions and rules of ``custom_jvp``/``custom_vjp``/``checkpoint``
(``funcdiff.custom``), the eager compiled passes (``interpreters.compiled``)
and ``jit``.

A *body* is a closure-converted ``ClosedJaxpr``: it has no constants of its
own; its leading inputs stand for the values it closes over, which are
returned beside it (``consts``) and passed by the caller as the leading
operands of its equation. Values a body closes over (tracers of enclosing
transforms included) are then ordinary operands every interpreter sees.

The transforms take any ``ClosedJaxpr`` and return a body. Each one traces
a small function that runs one of the interpreters (``eval``, ``jvp``,
``vjp``, ``vmap``) over the given jaxpr, so a staged derivative is built
from exactly the rules the interpreters use:

- ``trace_body(fun, in_avals) -> (body, consts)``
- ``jvp_jaxpr(closed, nonzeros, instantiate) -> (body, consts, out_nonzeros)``
- ``vjp_jaxpr(closed, needs, ct_nonzeros) -> (body, consts)``
- ``batch_jaxpr(closed, in_dims, size, out_dims) -> (body, consts, out_batched)``
- ``dce_jaxpr(closed, used_outputs) -> (closed, used_inputs)``
- ``backward_jaxpr`` / ``tangent_jaxpr``: the reverse / forward pass of a
  jaxpr reading its recorded forward values (the eager fast path)

The same transforms applied on the spot, without staging: ``eval_jaxpr_env``
(the one environment evaluator, from ``interpreters.eval``), ``apply_jvp``
and ``Linearized`` (evaluate once, pull back as often as needed).

``compile_cached(closed) -> Compiled`` optimizes (``funcdiff.passes``) and
compiles (``interpreters.codegen``) a closed jaxpr once per *structure*
(``structure_key``: primitives, params, wiring, types, literal values and
the identity of its constants): loop bodies, the eager passes and ``jit``
all compile through it.

>>> import funcdiff as fd, funcdiff.numpy as fnp
>>> closed = fd.make_jaxpr(lambda x: fnp.sin(x) * x)(1.0)
>>> body, consts, nonzero = jvp_jaxpr(closed, [True], [True])
>>> [round(float(v), 6) for v in compile_cached(close_body(body, consts)).fn(1.0, 1.0)]
[0.841471, 1.381773]
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, Final, NamedTuple
from typing import Literal as TypingLiteral

import numpy as np

from funcdiff.core.ir import ClosedJaxpr, Jaxpr, Literal, ShapedArray, Var, aval_of
from funcdiff.core.lru import LRUCache, jaxpr_bytes
from funcdiff.core.primitive import Zero
from funcdiff.core.primitive import instantiate as instantiate_zero
from funcdiff.core.trace import trace_closure_converted, trace_flat
from funcdiff.core.typing import Array
from funcdiff.interpreters import jvp as _jvp
from funcdiff.interpreters.codegen import compile_jaxpr
from funcdiff.interpreters.eval import eval_jaxpr_env
from funcdiff.interpreters.vjp import backward_pass
from funcdiff.interpreters.vmap import vmap_jaxpr
from funcdiff.passes import dce, fuse_pad_add, optimize
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import shape as sh

__all__ = [
    "SUM",
    "Compiled",
    "Linearized",
    "all_vars",
    "apply_jvp",
    "backward_jaxpr",
    "batch_jaxpr",
    "batch_size",
    "close_body",
    "compile_cached",
    "dce_jaxpr",
    "eval_jaxpr_env",
    "jvp_jaxpr",
    "place_batch_axis",
    "structure_key",
    "tangent_jaxpr",
    "trace_body",
    "vjp_jaxpr",
]

# ---------------------------------------------------------------------------
# bodies
# ---------------------------------------------------------------------------


def trace_body(
    fun: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray]
) -> tuple[ClosedJaxpr, list[Any]]:
    """Trace ``fun`` abstractly into a body: ``(body, consts)``.

    The body's inputs are the constants it closes over, then the arguments;
    dead equations are dropped.
    """
    jaxpr, consts, _ = trace_closure_converted(fun, in_avals)
    return dce(ClosedJaxpr(jaxpr, [])), consts


def close_body(body: ClosedJaxpr, consts: Sequence[Any]) -> ClosedJaxpr:
    """The inverse of closure conversion: the body's leading inputs become
    constants with the values ``consts``."""
    j = body.jaxpr
    k = len(consts)
    assert not j.constvars, "a body has no constants of its own"
    return ClosedJaxpr(Jaxpr(j.invars[:k], j.invars[k:], j.eqns, j.outvars), list(consts))


def all_vars(jaxpr: Jaxpr) -> list[Var]:
    """Every variable of ``jaxpr``: constants, inputs, then each equation's
    outputs (kept on the jaxpr: an eager pass reads it on every call; do not
    change the list)."""
    out = jaxpr._all_vars
    if out is None:
        out = [*jaxpr.constvars, *jaxpr.invars]
        for eqn in jaxpr.eqns:
            out.extend(eqn.outvars)
        jaxpr._all_vars = out
    return out


def _read(env: dict[Var, Any], x: Any) -> Any:
    return x.val if isinstance(x, Literal) else env[x]


def _env(closed: ClosedJaxpr, args: Sequence[Any]) -> dict[Var, Any]:
    j = closed.jaxpr
    env: dict[Var, Any] = dict(zip(j.constvars, closed.consts, strict=True))
    env.update(zip(j.invars, args, strict=True))
    return env


# ---------------------------------------------------------------------------
# forward mode
# ---------------------------------------------------------------------------


def apply_jvp(closed: ClosedJaxpr, primals: Sequence[Any], tangents: Sequence[Any]) -> list[Any]:
    """Output tangents of ``closed`` at ``primals`` (``Zero`` where known zero);
    ``tangents`` holds ``Zero`` for inputs with a zero tangent."""
    return _jvp.jvp_jaxpr(closed.jaxpr, _env(closed, primals), tangents)


def jvp_jaxpr(
    closed: ClosedJaxpr,
    nonzeros: Sequence[bool],
    instantiate: Sequence[bool],
    *,
    with_primals: bool = True,
) -> tuple[ClosedJaxpr, list[Any], list[bool]]:
    """The JVP of ``closed`` as a body: ``(*consts, *primals, *nonzero tangents)
    -> (*primal outs, *tangent outs)``.

    Only inputs marked in ``nonzeros`` take a tangent. A tangent output is
    produced exactly where ``instantiate`` says (as zeros when it is known to
    be zero); ``with_primals=False`` leaves out the primal outputs. Also
    returns which output tangents are not known to be zero, so loops can
    iterate their carries to a fixpoint.
    """
    j = closed.jaxpr
    avals = closed.in_avals
    n = len(avals)
    t_avals = [a for a, nz in zip(avals, nonzeros, strict=True) if nz]
    out_nonzeros: list[bool] = []

    def fun(*args: Any) -> list[Any]:
        primals, tans = args[:n], iter(args[n:])
        tangents = [next(tans) if nz else Zero(a) for a, nz in zip(avals, nonzeros, strict=True)]
        env = _env(closed, primals)
        touts = _jvp.jvp_jaxpr(j, env, tangents)
        out_nonzeros[:] = [not isinstance(t, Zero) for t in touts]
        outs = [instantiate_zero(t) for t, i in zip(touts, instantiate, strict=True) if i]
        if with_primals:
            outs = [_read(env, x) for x in j.outvars] + outs
        return outs

    body, consts = trace_body(fun, [*avals, *t_avals])
    return body, consts, out_nonzeros


# ---------------------------------------------------------------------------
# reverse mode
# ---------------------------------------------------------------------------


class Linearized:
    """``closed`` evaluated once at ``primals`` (every intermediate kept),
    pulled back as often as needed.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> lin = Linearized(fd.make_jaxpr(lambda x, y: x * fnp.exp(y))(2.0, 0.0), [2.0, 0.0])
    >>> [float(c) for c in lin.pullback([1.0], [True, True])]
    [1.0, 2.0]
    """

    def __init__(self, closed: ClosedJaxpr, primals: Sequence[Any]) -> None:
        self.jaxpr = closed.jaxpr
        self.env = eval_jaxpr_env(closed.jaxpr, closed.consts, primals)

    def pullback(self, cts: Sequence[Any], wrt: Sequence[bool]) -> list[Any]:
        """Cotangents of the inputs selected by ``wrt`` for output cotangents
        ``cts``; ``Zero`` where zero or not selected. Inputs not selected are
        constants to the backward pass, which skips what only they reach."""
        j = self.jaxpr
        const = [*j.constvars, *(v for v, w in zip(j.invars, wrt, strict=True) if not w)]
        var = [v for v, w in zip(j.invars, wrt, strict=True) if w]
        res = iter(backward_pass(Jaxpr(const, var, j.eqns, j.outvars), self.env, cts))
        return [next(res) if w else Zero(v.aval) for v, w in zip(j.invars, wrt, strict=True)]


def vjp_jaxpr(
    closed: ClosedJaxpr, needs: Sequence[bool], ct_nonzeros: Sequence[bool]
) -> tuple[ClosedJaxpr, list[Any]]:
    """The VJP of ``closed`` as a body that recomputes the forward pass:
    ``(*consts, *primals, *nonzero output cotangents) -> (cotangents of the
    inputs marked in needs)``, zeros instantiated."""
    j = closed.jaxpr
    avals = closed.in_avals
    n = len(avals)
    ct_avals = [x.aval for x, nz in zip(j.outvars, ct_nonzeros, strict=True) if nz]

    def fun(*args: Any) -> list[Any]:
        primals, cts = args[:n], iter(args[n:])
        ct_out = [
            next(cts) if nz else Zero(x.aval) for x, nz in zip(j.outvars, ct_nonzeros, strict=True)
        ]
        res = Linearized(closed, primals).pullback(ct_out, needs)
        return [instantiate_zero(r) for r, need in zip(res, needs, strict=True) if need]

    return trace_body(fun, [*avals, *ct_avals])


# ---------------------------------------------------------------------------
# the passes of the eager fast path: forward values are inputs, not recomputed
# ---------------------------------------------------------------------------


def _recorded_pass(
    jaxpr: Jaxpr,
    extra_avals: Sequence[ShapedArray],
    run: Callable[[dict[Var, Any], list[Any]], list[Any]],
    result_avals: Sequence[ShapedArray],
) -> ClosedJaxpr:
    variables = all_vars(jaxpr)
    nv = len(variables)

    def fun(*args: Any) -> list[Any]:
        env = dict(zip(variables, args[:nv], strict=True))
        out = []
        for r, a in zip(run(env, list(args[nv:])), result_avals, strict=True):
            if isinstance(r, Zero):
                r = np.zeros(a.shape, a.dtype)
            out.append(ew.convert(r, a.dtype))
        return out

    closed, _, _ = trace_flat(fun, [*(v.aval for v in variables), *extra_avals], None)
    return closed


def backward_jaxpr(jaxpr: Jaxpr, ct_avals: Sequence[ShapedArray]) -> ClosedJaxpr:
    """The backward pass of ``jaxpr`` reading its forward values:
    ``(*values of all_vars(jaxpr), *output cotangents) -> input cotangents``
    (zeros instantiated, each in its input's dtype)."""
    return _recorded_pass(
        jaxpr,
        ct_avals,
        lambda env, cts: backward_pass(jaxpr, env, cts),
        [v.aval for v in jaxpr.invars],
    )


def tangent_jaxpr(jaxpr: Jaxpr, t_avals: Sequence[ShapedArray]) -> ClosedJaxpr:
    """The tangent pass of ``jaxpr`` reading its forward values:
    ``(*values of all_vars(jaxpr), *input tangents) -> output tangents``
    (zeros instantiated, each in its output's dtype)."""
    return _recorded_pass(
        jaxpr,
        t_avals,
        lambda env, ts: _jvp.jvp_jaxpr(jaxpr, env, ts),
        [x.aval for x in jaxpr.outvars],
    )


# ---------------------------------------------------------------------------
# batching
# ---------------------------------------------------------------------------

#: an output spec of ``batch_jaxpr``: the batch axis is summed away
SUM: Final = "sum"
OutDim = int | TypingLiteral["sum"] | None


def batch_size(args: Sequence[Any], dims: Sequence[int | None]) -> int:
    """The batch size of a batch rule's arguments (from the first batched one)."""
    for x, d in zip(args, dims, strict=True):
        if d is not None:
            return int(aval_of(x).shape[d])
    raise AssertionError("batch rule called with no batched argument")


def _batched_aval(a: ShapedArray, d: int | None, size: int) -> ShapedArray:
    if d is None:
        return a
    return ShapedArray((*a.shape[:d], size, *a.shape[d:]), a.dtype)


def place_batch_axis(x: Array, d: int | None, target: OutDim, size: int | None = None) -> Array:
    """``x``, whose batch axis is ``d`` (None: unbatched), with the batch
    axis at ``target``: an int moves it there (broadcasting an unbatched
    value to ``size``); None moves it to the front if there is one; ``SUM``
    sums it away (the cotangent of an unbatched input)."""
    if target is None:
        return x if d is None else sh.moveaxis(x, d, 0)
    if target == SUM:
        return x if d is None else sh.reduce_sum(x, (d,))
    assert isinstance(target, int)
    if d is None:
        assert size is not None, "broadcasting an unbatched value needs the batch size"
        shape = aval_of(x).shape
        new = (*shape[:target], size, *shape[target:])
        dims = tuple(i if i < target else i + 1 for i in range(len(shape)))
        return sh.broadcast_in_dim(x, new, dims)
    return sh.moveaxis(x, d, target)


def batch_jaxpr(
    closed: ClosedJaxpr,
    in_dims: Sequence[int | None],
    size: int,
    out_dims: Sequence[OutDim],
) -> tuple[ClosedJaxpr, list[Any], list[bool]]:
    """``closed`` on batched inputs as a body: ``(body, consts, out_batched)``.

    ``in_dims[i]`` is the batch axis of input ``i`` (None: unbatched),
    ``size`` the batch size. ``out_dims[k]`` places output ``k``'s batch axis
    (see ``place_batch_axis``): an int puts it there, None leaves the output
    unbatched when it does not depend on a batched input (axis 0 otherwise),
    ``SUM`` sums it away. ``out_batched[k]`` says whether output ``k`` has a
    batch axis.

    >>> import funcdiff as fd, numpy as np
    >>> closed = fd.make_jaxpr(lambda x, y: (x * 2.0, y))(1.0, 1.0)
    >>> body, consts, out_batched = batch_jaxpr(closed, [0, None], 3, [None, None])
    >>> out_batched
    [True, False]
    """
    j = closed.jaxpr
    avals = [_batched_aval(a, d, size) for a, d in zip(closed.in_avals, in_dims, strict=True)]
    out_batched: list[bool] = []

    def fun(*args: Any) -> list[Any]:
        outs, odims = vmap_jaxpr(j, closed.consts, args, in_dims)
        out_batched[:] = [
            t != SUM and (d is not None or t is not None)
            for d, t in zip(odims, out_dims, strict=True)
        ]
        return [
            place_batch_axis(o, d, t, size) for o, d, t in zip(outs, odims, out_dims, strict=True)
        ]

    body, consts = trace_body(fun, avals)
    return body, consts, out_batched


# ---------------------------------------------------------------------------
# dead-code elimination
# ---------------------------------------------------------------------------


def dce_jaxpr(
    closed: ClosedJaxpr,
    used_outputs: Sequence[bool] | None = None,
    *,
    prune_inputs: bool = False,
) -> tuple[ClosedJaxpr, list[bool]]:
    """``closed`` with only the outputs marked in ``used_outputs`` (all when
    None) and only the equations and constants they need; also returns which
    inputs those outputs read. ``prune_inputs=True`` drops the inputs they
    do not read (callers then drop the matching operands).

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> closed = fd.make_jaxpr(lambda x, y: (fnp.sin(x), fnp.cos(y)))(1.0, 2.0)
    >>> small, used = dce_jaxpr(closed, [True, False], prune_inputs=True)
    >>> [e.primitive.name for e in small.eqns], used
    (['sin'], [True, False])
    """
    j = closed.jaxpr
    outvars = (
        list(j.outvars)
        if used_outputs is None
        else [x for x, u in zip(j.outvars, used_outputs, strict=True) if u]
    )
    pruned = dce(ClosedJaxpr(Jaxpr(j.constvars, j.invars, j.eqns, outvars), closed.consts))
    read = {x for x in outvars if isinstance(x, Var)}
    for eqn in pruned.eqns:
        read.update(x for x in eqn.invars if isinstance(x, Var))
    used_inputs = [v in read for v in j.invars]
    if prune_inputs:
        p = pruned.jaxpr
        invars = [v for v, u in zip(j.invars, used_inputs, strict=True) if u]
        pruned = ClosedJaxpr(Jaxpr(p.constvars, invars, p.eqns, p.outvars), pruned.consts)
    return pruned, used_inputs


# ---------------------------------------------------------------------------
# structure keys and the compile cache
# ---------------------------------------------------------------------------

_SUBS = (Jaxpr, ClosedJaxpr)


def _literal_key(val: Any) -> Any:
    # by the bits, not by ==: -0.0 == 0.0 (and 1/x tells them apart), nan != nan
    if isinstance(val, np.generic):
        return (val.dtype, val.tobytes())
    arr = np.asarray(val)
    return (type(val), arr.dtype, arr.shape, arr.tobytes())


class _Uncomparable(Exception):
    """A param that cannot enter a structure key (a callable, or a sub-jaxpr
    when sub-jaxprs are not compared)."""


def _sub_key(p: Any) -> Any:
    """A sub-jaxpr param (or a tuple of them) by its structure; others as they are."""
    if isinstance(p, tuple):
        return tuple(_sub_key(q) for q in p)
    if isinstance(p, ClosedJaxpr):
        return ("closed", _key(p.jaxpr, True), tuple(id(c) for c in p.consts))
    if isinstance(p, Jaxpr):
        return ("jaxpr", _key(p, True))
    return p


def structure_key(jaxpr: Jaxpr, nested: bool = False) -> Any:
    """A hashable description of everything a transform or compilation of
    ``jaxpr`` depends on except the values of its constants, or None when
    it holds params that cannot be compared: callables, and sub-jaxprs
    unless ``nested`` (then they enter by their own structure, their
    constants by identity).

    Output types are implied by the inputs and params (abstract_eval is a
    function), so only input types, wiring, params and literals enter.
    """
    try:
        return _key(jaxpr, nested)
    except _Uncomparable:
        return None


def _key(jaxpr: Jaxpr, nested: bool) -> Any:
    # one flat tuple: per equation its primitive, operand count, operands (a
    # variable's number, or a literal's dtype and bytes) and params (None for
    # none): unambiguous, and no tuples per equation to build (this is hot)
    index: dict[Any, int] = {}
    # how many of the numbered variables are constants: a constant and an
    # input are not interchangeable (a pass differentiates the inputs only)
    parts: list[Any] = [len(jaxpr.constvars)]
    append = parts.append
    for v in (*jaxpr.constvars, *jaxpr.invars):
        index[v] = len(index)
        append((v.aval.shape, v.aval.dtype))
    get = index.get
    for eqn in jaxpr.eqns:
        invars = eqn.invars
        append(eqn.primitive)
        append(len(invars))
        for x in invars:
            i = get(x)
            if i is None:  # a Literal (the common numpy scalar inline)
                val = x.val  # type: ignore[union-attr]
                append(
                    (val.dtype, val.tobytes()) if isinstance(val, np.generic) else _literal_key(val)
                )
            else:
                append(i)
        params = eqn.params
        if params:
            pkey: Any = tuple(params.items())
            for p in params.values():
                if callable(p):
                    raise _Uncomparable
                if isinstance(p, _SUBS) or (type(p) is tuple and p and isinstance(p[0], _SUBS)):
                    if not nested:
                        raise _Uncomparable
                    pkey = tuple((k, _sub_key(q)) for k, q in params.items())
                    break
            append(pkey)
        else:
            append(None)
        for v in eqn.outvars:
            index[v] = len(index)
    append(
        tuple(
            get(x, -1) if isinstance(x, Var) else ("L", _literal_key(x.val)) for x in jaxpr.outvars
        )
    )
    return StructureKey(parts)


class StructureKey(tuple[Any, ...]):
    """A structure key (``structure_key``): a tuple that computes its hash
    once. An eager transform looks its compiled pass up by the key of the
    jaxpr it replayed on every call, and a tuple of thousands of items would
    be hashed anew each time. Equal to, and hashed as, the plain tuple."""

    _hash: int

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:
            h = self._hash = tuple.__hash__(self)
            return h

    def __reduce__(self) -> tuple[Any, ...]:
        # (not the kept hash: string hashes differ from process to process)
        return StructureKey, (tuple(self),)


class Compiled(NamedTuple):
    """A closed jaxpr compiled: the optimized jaxpr, its generated function
    (arrays in, list of arrays out) and the function's source."""

    closed: ClosedJaxpr
    fn: Callable[..., list[Any]]
    source: str


#: entries kept (least recently used dropped first), and their estimated bytes
CACHE_SIZE = 256
CACHE_BYTES = 256 << 20
#: jaxprs whose constants take more bytes than this are compiled but not
#: cached: the cache would keep those arrays alive after their user is gone
MAX_CACHED_CONST_BYTES = 1 << 16
#: jaxprs of more equations than this are not shared by structure: their key
#: would cost as much to build and keep as a tenth of their compilation, for a
#: match that hardly happens (they are still found again by identity)
MAX_SHARED_EQNS = 20_000


def _compiled_bytes(c: Compiled) -> int:
    return jaxpr_bytes(c.closed.consts, len(c.closed.jaxpr.eqns), c.source)


_cache: LRUCache[Any, Compiled] = LRUCache(
    "compiled jaxprs", max_entries=CACHE_SIZE, max_bytes=CACHE_BYTES, sizeof=_compiled_bytes
)
# the same entries by the identity of the jaxpr asked for, so that a loop
# body compiled before is found without walking it again
_by_id: LRUCache[tuple[int, str, tuple[int, ...]], tuple[ClosedJaxpr, Compiled]] = LRUCache(
    "compiled jaxprs",
    max_entries=CACHE_SIZE,
    max_bytes=CACHE_BYTES,
    sizeof=lambda item: _compiled_bytes(item[1]),
)


def _cache_key(closed: ClosedJaxpr, name: str, scalar_outputs: tuple[int, ...]) -> Any:
    if len(closed.jaxpr.eqns) > MAX_SHARED_EQNS:
        return None
    if sum(getattr(c, "nbytes", 0) for c in closed.consts) > MAX_CACHED_CONST_BYTES:
        return None
    skey = structure_key(closed.jaxpr, nested=True)
    if skey is None:
        return None
    key = (skey, tuple(id(c) for c in closed.consts), name, scalar_outputs)
    try:
        hash(key)
    except TypeError:  # an unhashable param: compile without caching
        return None
    return key


def compile_cached(
    closed: ClosedJaxpr,
    *,
    name: str = "body",
    scalar_outputs: Collection[int] = (),
    share: bool = True,
    by_identity: bool = True,
) -> Compiled:
    """``closed`` optimized and compiled, once per structure.

    Jaxprs with the same structure (``structure_key``, constants compared by
    identity) share one entry; the name of the generated function and the
    outputs returned as numpy scalars (``scalar_outputs``, see
    ``codegen.compile_jaxpr``) are part of the key. ``share=False``
    compiles ``closed`` itself, neither looked up nor stored (its variables
    then stay the ones of its own trace). ``by_identity``: also remember
    ``closed`` itself, so that handing the same object again (a loop body on
    every iteration of an eager loop) skips walking it; a caller whose jaxpr
    is new each time (jit traces afresh) passes False, so the cache does not
    keep that jaxpr alive.
    """
    outs = tuple(sorted(scalar_outputs)) if scalar_outputs else ()
    if not share:
        optimized = optimize(closed)
        fn, source = compile_jaxpr(fuse_pad_add(optimized), name=name, scalar_outputs=outs)
        return Compiled(optimized, fn, source)
    id_key = (id(closed), name, outs)
    if by_identity:
        seen = _by_id.get(id_key)
        if seen is not None and seen[0] is closed:
            return seen[1]
    key = _cache_key(closed, name, outs)
    if key is not None:
        hit = _cache.get(key)
        if hit is not None:
            if by_identity:
                _by_id.put(id_key, (closed, hit))
            return hit
    optimized = optimize(closed)
    fn, source = compile_jaxpr(fuse_pad_add(optimized), name=name, scalar_outputs=outs)
    compiled = Compiled(optimized, fn, source)
    if key is not None:
        _cache.put(key, compiled)
    if by_identity and (key is not None or len(closed.jaxpr.eqns) > MAX_SHARED_EQNS):
        _by_id.put(id_key, (closed, compiled))
    return compiled


def clear_compile_cache() -> None:
    """Forget every compiled jaxpr (``funcdiff.clear_caches`` empties all caches)."""
    _cache.clear()
    _by_id.clear()

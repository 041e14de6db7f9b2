"""Batching: ``vmap_jaxpr : Jaxpr -> consts -> batched args -> batched outs``.

Walks the equations with a (value, batch axis) pair per variable, calling
each primitive's batch rule; an equation whose inputs are all unbatched is
simply evaluated. The batch axis of a value is an int or None (unbatched).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcdiff.core import debug_state as _debug
from funcdiff.core.ir import Jaxpr, Literal, Var
from funcdiff.core.trace import bind


def vmap_jaxpr(
    jaxpr: Jaxpr,
    consts: Sequence[Any],
    args: Sequence[Any],
    dims: Sequence[int | None],
) -> tuple[list[Any], list[int | None]]:
    """Run ``jaxpr`` on batched ``args``; returns outputs and their batch axes."""
    env: dict[Var, tuple[Any, int | None]] = {
        v: (c, None) for v, c in zip(jaxpr.constvars, consts, strict=True)
    }
    env.update((v, (a, d)) for v, a, d in zip(jaxpr.invars, args, dims, strict=True))

    def read(x: Any) -> tuple[Any, int | None]:
        return (x.val, None) if isinstance(x, Literal) else env[x]

    for eqn in jaxpr.eqns:
        prim = eqn.primitive
        vals, bdims = zip(*[read(x) for x in eqn.invars], strict=True) if eqn.invars else ((), ())
        if all(d is None for d in bdims):
            out = bind(prim, *vals, **eqn.params)
            outs = out if prim.multiple_results else [out]
            out_dims: Sequence[int | None] = [None] * len(eqn.outvars)
        else:
            try:
                out, od = prim.rule("batch")(vals, bdims, **eqn.params)
            except _debug.NaNError as err:  # debug_nans: say which equation
                err.add_context(eqn, "vmap")
                raise
            outs, out_dims = (out, od) if prim.multiple_results else ([out], [od])
        env.update((v, (o, d)) for v, o, d in zip(eqn.outvars, outs, out_dims, strict=True))
    results = [read(x) for x in jaxpr.outvars]
    return [r[0] for r in results], [r[1] for r in results]

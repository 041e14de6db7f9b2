"""Batching: ``vmap_jaxpr : Jaxpr -> consts -> batched args -> batched outs``.

Walks the equations with a (value, batch axis) pair per variable, calling
each primitive's batch rule; an equation whose inputs are all unbatched is
simply evaluated. The batch axis of a value is an int or None (unbatched).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcdiff.core.ir import Jaxpr, Literal, Var
from funcdiff.core.trace import bind_list
from funcdiff.interpreters._loop import apply_rule, write


def vmap_jaxpr(
    jaxpr: Jaxpr,
    consts: Sequence[Any],
    args: Sequence[Any],
    dims: Sequence[int | None],
) -> tuple[list[Any], list[int | None]]:
    """Run ``jaxpr`` on batched ``args``; returns outputs and their batch axes."""
    env: dict[Var, tuple[Any, int | None]] = {}
    write(env, jaxpr.constvars, [(c, None) for c in consts])
    write(env, jaxpr.invars, zip(args, dims, strict=True))

    def read(x: Any) -> tuple[Any, int | None]:
        return (x.val, None) if isinstance(x, Literal) else env[x]

    for eqn in jaxpr.eqns:
        pairs = [read(x) for x in eqn.invars]
        vals = [p[0] for p in pairs]
        bdims = [p[1] for p in pairs]
        if bdims.count(None) == len(bdims):
            outs = bind_list(eqn.primitive, *vals, **eqn.params)
            out_dims: Sequence[int | None] = [None] * len(outs)
        else:
            outs, out_dims = apply_rule(eqn, "batch", vals, bdims)
        write(env, eqn.outvars, zip(outs, out_dims, strict=True))
    results = [read(x) for x in jaxpr.outvars]
    return [r[0] for r in results], [r[1] for r in results]

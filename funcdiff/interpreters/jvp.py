"""Forward mode: ``jvp_jaxpr : Jaxpr -> env -> T a -> T b``.

Walks the equations in order with a tangent for each variable, calling each
primitive's JVP rule. The primal values come from ``env``, the values the
trace recorded while it ran the function, so the forward pass is not
computed again; values missing from ``env`` are evaluated on the way.
Tangents known to be zero are absent from the tangent environment and reach
rules as ``Zero``; an equation whose tangents are all zero is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat
from operator import is_not
from typing import Any

from funcdiff.core.ir import Jaxpr, Literal, Var
from funcdiff.core.primitive import Zero
from funcdiff.core.trace import bind_list
from funcdiff.interpreters._loop import apply_rule, write


def jvp_jaxpr(jaxpr: Jaxpr, env: dict[Var, Any], tangents: Sequence[Any]) -> list[Any]:
    """Output tangents (``Zero`` where known zero) for input ``tangents``."""
    tenv: dict[Var, Any] = {
        v: t for v, t in zip(jaxpr.invars, tangents, strict=True) if not isinstance(t, Zero)
    }
    for eqn in jaxpr.eqns:
        invars = eqn.invars
        tins = [tenv.get(x) if isinstance(x, Var) else None for x in invars]
        ins = [x.val if isinstance(x, Literal) else env[x] for x in invars]  # ``read``, inlined
        outvars = eqn.outvars
        if outvars[0] in env:
            outs = [env[v] for v in outvars]
        else:
            outs = bind_list(eqn.primitive, *ins, **eqn.params)
            write(env, outvars, outs)
        if not any(map(is_not, tins, repeat(None))):
            continue
        tins = [Zero(x.aval) if t is None else t for x, t in zip(invars, tins, strict=True)]
        touts = apply_rule(eqn, "jvp", ins, tins, outs)
        for v, t in zip(outvars, touts, strict=True):
            if not isinstance(t, Zero):
                tenv[v] = t
    return [
        tenv.get(x, Zero(x.aval)) if isinstance(x, Var) else Zero(x.aval) for x in jaxpr.outvars
    ]

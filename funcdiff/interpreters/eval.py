"""Evaluation: ``eval_jaxpr : Jaxpr -> consts -> args -> outs``.

Runs each equation through ``bind_list``, so evaluating a jaxpr inside
another trace simply records its equations there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcdiff.core import debug_state as _debug
from funcdiff.core.ir import Jaxpr, Literal, Var
from funcdiff.core.trace import bind_list


def eval_jaxpr(jaxpr: Jaxpr, consts: Sequence[Any], args: Sequence[Any]) -> list[Any]:
    """Evaluate ``jaxpr`` on ``args`` (arrays or tracers of an outer trace)."""
    env = eval_jaxpr_env(jaxpr, consts, args)
    return [x.val if isinstance(x, Literal) else env[x] for x in jaxpr.outvars]


def eval_jaxpr_env(jaxpr: Jaxpr, consts: Sequence[Any], args: Sequence[Any]) -> dict[Var, Any]:
    """Evaluate ``jaxpr`` and return the value of every variable."""
    # ``read`` and ``write`` (``interpreters._loop``) inlined: loop bodies run here
    env: dict[Var, Any] = dict(zip(jaxpr.constvars, consts, strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))
    for eqn in jaxpr.eqns:
        ins = [x.val if isinstance(x, Literal) else env[x] for x in eqn.invars]
        try:
            outs = bind_list(eqn.primitive, *ins, **eqn.params)
        except _debug.NaNError as err:  # debug_nans: say which equation
            err.add_context(eqn, "forward")
            raise
        outvars = eqn.outvars
        if len(outvars) == 1:  # the common case, without a zip
            env[outvars[0]] = outs[0]
        else:
            env.update(zip(outvars, outs, strict=True))
    return env

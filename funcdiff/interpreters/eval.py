"""Evaluation: ``eval_jaxpr : Jaxpr -> consts -> args -> outs``.

Runs each equation through ``bind_list``, so evaluating a jaxpr inside
another trace simply records its equations there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcdiff.core import debug_state as _debug
from funcdiff.core.ir import Jaxpr, Var
from funcdiff.core.trace import bind_list
from funcdiff.interpreters._loop import read, write


def eval_jaxpr(jaxpr: Jaxpr, consts: Sequence[Any], args: Sequence[Any]) -> list[Any]:
    """Evaluate ``jaxpr`` on ``args`` (arrays or tracers of an outer trace)."""
    env = eval_jaxpr_env(jaxpr, consts, args)
    return [read(env, x) for x in jaxpr.outvars]


def eval_jaxpr_env(jaxpr: Jaxpr, consts: Sequence[Any], args: Sequence[Any]) -> dict[Var, Any]:
    """Evaluate ``jaxpr`` and return the value of every variable."""
    env: dict[Var, Any] = {}
    write(env, jaxpr.constvars, consts)
    write(env, jaxpr.invars, args)
    for eqn in jaxpr.eqns:
        ins = [read(env, x) for x in eqn.invars]
        try:
            outs = bind_list(eqn.primitive, *ins, **eqn.params)
        except _debug.NaNError as err:  # debug_nans: say which equation
            err.add_context(eqn, "forward")
            raise
        write(env, eqn.outvars, outs)
    return env

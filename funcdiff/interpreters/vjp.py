"""Reverse mode: ``backward_pass : Jaxpr -> env -> T b -> T a``.

The forward values (residuals) are the ones the trace recorded in ``env``
while running the function. One sweep over the equations in reverse order
calls each primitive's VJP rule and sums cotangents where a variable fans
out. Cotangents are dropped from the environment as soon as they are
consumed. Only equations on a path from the inputs (the *active* ones, found
by one forward sweep) are visited, and a rule is only asked for the input
cotangents it is needed for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcdiff.core import debug_state as _debug
from funcdiff.core.ir import Eqn, Jaxpr, Literal, Var
from funcdiff.core.primitive import Zero, is_float
from funcdiff.core.trace import bind


def active_vars(jaxpr: Jaxpr) -> set[Var]:
    """Variables that depend differentiably on the jaxpr's inputs."""
    active: set[Var] = {v for v in jaxpr.invars if is_float(v.aval)}
    for eqn in jaxpr.eqns:
        if eqn.primitive.zero_derivative:
            continue
        for x in eqn.invars:
            if x in active:
                active.update(v for v in eqn.outvars if is_float(v.aval))
                break
    return active


#: ``observe(eqn, ct_out, contributions)`` sees each visited equation: the
#: cotangent of its output(s) and, per input, the contribution sent to it
#: (None where none). Used by ``funcdiff.viz``/``explain`` to show adjoints.
Observer = Callable[[Eqn, Any, list[Any]], None]


def backward_pass(
    jaxpr: Jaxpr,
    env: dict[Var, Any],
    cts_out: Sequence[Any],
    observe: Observer | None = None,
) -> list[Any]:
    """Cotangents of the inputs (None where zero) given output cotangents."""
    active = active_vars(jaxpr)
    ct_env: dict[Var, Any] = {}

    def accumulate(v: Var, ct: Any) -> None:
        prev = ct_env.get(v)
        ct_env[v] = ct if prev is None else _add(prev, ct)

    for x, c in zip(jaxpr.outvars, cts_out, strict=True):
        if isinstance(x, Var) and x in active and c is not None and not isinstance(c, Zero):
            accumulate(x, c)
    for eqn in reversed(jaxpr.eqns):
        outvars = eqn.outvars
        ct: Any
        if eqn.primitive.multiple_results:
            cts = [ct_env.pop(v, None) for v in outvars]
            if all(c is None for c in cts):
                continue
            ct = [Zero(v.aval) if c is None else c for v, c in zip(outvars, cts, strict=True)]
            out: Any = [env[v] for v in outvars]
        else:
            ct = ct_env.pop(outvars[0], None)
            if ct is None:
                continue
            out = env[outvars[0]]
        needs = [isinstance(x, Var) and x in active for x in eqn.invars]
        if not any(needs):
            continue
        ins = [x.val if isinstance(x, Literal) else env[x] for x in eqn.invars]
        try:
            cts_in = eqn.primitive.rule("vjp")(ct, ins, out, needs, **eqn.params)
        except _debug.NaNError as err:  # debug_nans: say which equation's VJP
            err.add_context(eqn, "backward")
            raise
        if observe is not None:
            observe(eqn, ct, [c if need else None for c, need in zip(cts_in, needs, strict=True)])
        for x, need, c in zip(eqn.invars, needs, cts_in, strict=True):
            if need and c is not None and not isinstance(c, Zero):
                accumulate(x, c)  # type: ignore[arg-type]
    return [ct_env.get(v) for v in jaxpr.invars]


def _add(a: Any, b: Any) -> Any:
    from funcdiff.primitives.elementwise import add_p

    return bind(add_p, a, b)

"""Reverse mode: ``backward_pass : Jaxpr -> env -> T b -> T a``.

The forward values (residuals) are the ones the trace recorded in ``env``
while running the function. One sweep over the equations in reverse order
calls each primitive's VJP rule and sums cotangents where a variable fans
out. Cotangents are dropped from the environment as soon as they are
consumed. Only equations on a path from the inputs (the *active* ones, found
by one forward sweep) are visited, and a rule is only asked for the input
cotangents it is needed for. A cotangent known to be zero is a ``Zero``:
rules return one, the sweep never stores one, and inputs that receive no
cotangent get one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import repeat
from operator import is_not
from typing import Any

from funcdiff.core.ir import Eqn, Jaxpr, Literal, Var
from funcdiff.core.primitive import Zero, is_float
from funcdiff.core.trace import bind
from funcdiff.interpreters._loop import apply_rule

_NONE = repeat(None)


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


#: ``observe(eqn, cts_out, contributions)`` sees each visited equation: the
#: cotangents of its outputs (a list, ``Zero`` where none) and, per input, the
#: contribution sent to it (``Zero`` where none). Used by ``funcdiff.see``
#: (``viz``/``explain``) to show adjoints.
Observer = Callable[[Eqn, list[Any], list[Any]], None]


def backward_pass(
    jaxpr: Jaxpr,
    env: dict[Var, Any],
    cts_out: Sequence[Any],
    observe: Observer | None = None,
) -> list[Any]:
    """Cotangents of the inputs (``Zero`` where zero) given output cotangents
    (arrays or ``Zero``)."""
    active = active_vars(jaxpr)
    ct_env: dict[Var, Any] = {}

    def accumulate(v: Var, ct: Any) -> None:
        prev = ct_env.get(v)
        ct_env[v] = ct if prev is None else _add(prev, ct)

    for x, c in zip(jaxpr.outvars, cts_out, strict=True):
        if isinstance(x, Var) and x in active and not isinstance(c, Zero):
            accumulate(x, c)
    pop = ct_env.pop
    for eqn in reversed(jaxpr.eqns):
        outvars = eqn.outvars
        if len(outvars) == 1:  # the common case, without comprehensions
            ct = pop(outvars[0], None)
            if ct is None:
                continue
            cts = [ct]
        else:
            cts = [pop(v, None) for v in outvars]
            if not any(map(is_not, cts, _NONE)):
                continue
            cts = [Zero(v.aval) if c is None else c for v, c in zip(outvars, cts, strict=True)]
        invars = eqn.invars
        needs = [x in active for x in invars]  # a Literal is never active
        if True not in needs:
            continue
        ins = [x.val if isinstance(x, Literal) else env[x] for x in invars]  # ``read``, inlined
        outs = [env[outvars[0]]] if len(outvars) == 1 else [env[v] for v in outvars]
        cts_in = apply_rule(eqn, "vjp", cts, ins, outs, needs)
        if observe is not None:
            observe(
                eqn,
                cts,
                [
                    c if need else Zero(x.aval)
                    for x, c, need in zip(invars, cts_in, needs, strict=True)
                ],
            )
        for x, need, c in zip(invars, needs, cts_in, strict=True):
            if need and not isinstance(c, Zero):
                accumulate(x, c)  # type: ignore[arg-type]
    return [ct_env[v] if v in ct_env else Zero(v.aval) for v in jaxpr.invars]


def _add(a: Any, b: Any) -> Any:
    from funcdiff.primitives.elementwise import add_p

    return bind(add_p, a, b)

"""Taylor mode: a jaxpr interpreted over truncated Taylor series.

Each variable holds ``(primal, series)``: ``series`` is the list of its
normalized Taylor coefficients ``c_1..c_K`` along a curve ``x(t)``
(``c_i = x^(i)(0) / i!``), or a ``Zero`` when they are all zero (constants,
indices, anything computed from those only). Each equation calls its
primitive's ``taylor`` rule (``prim.taylor``, in list form: see
``funcdiff.core.primitive``); a primitive without one raises
``MissingRuleError`` naming it. ``fd.jet`` converts to and from JAX's
derivative convention at the boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from funcdiff.core.ir import ClosedJaxpr, Literal, Var, aval_of
from funcdiff.core.primitive import Zero
from funcdiff.errors import MissingRuleError
from funcdiff.interpreters._loop import read, write

__all__ = ["taylor_jaxpr"]


def taylor_jaxpr(
    closed: ClosedJaxpr, primals: Sequence[Any], series: Sequence[Any]
) -> tuple[list[Any], list[Any]]:
    """The outputs of ``closed`` and their normalized Taylor coefficients,
    given its inputs' (``series[i]``: a list of K arrays, or a ``Zero``)."""
    j = closed.jaxpr
    env: dict[Var, Any] = {}
    ser: dict[Var, Any] = {}
    write(env, j.constvars, closed.consts)
    write(ser, j.constvars, [Zero(aval_of(c)) for c in closed.consts])
    write(env, j.invars, primals)
    write(ser, j.invars, series)
    for eqn in j.eqns:
        prim = eqn.primitive
        ins = [read(env, a) for a in eqn.invars]
        in_series = [Zero(a.aval) if isinstance(a, Literal) else ser[a] for a in eqn.invars]
        if all(isinstance(s, Zero) for s in in_series):
            outs = prim.as_list(prim.bind(*ins, **eqn.params))
            out_series: list[Any] = [Zero(aval_of(o)) for o in outs]
        else:
            if prim.taylor is None:
                raise MissingRuleError(
                    f"primitive '{prim.name}' has no taylor rule, so jet cannot go "
                    "through it. Add the rule in the primitive's paragraph."
                )
            outs, out_series = prim.taylor(ins, in_series, **eqn.params)
        write(env, eqn.outvars, outs)
        write(ser, eqn.outvars, out_series)
    return (
        [read(env, a) for a in j.outvars],
        [Zero(a.aval) if isinstance(a, Literal) else ser[a] for a in j.outvars],
    )

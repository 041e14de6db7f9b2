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

__all__ = ["flat_series", "series_order", "split_series", "taylor_body", "taylor_jaxpr"]


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


def taylor_body(
    closed: ClosedJaxpr, in_nz: Sequence[bool], order: int
) -> tuple[ClosedJaxpr, list[Any], list[bool]]:
    """``closed`` in Taylor mode to ``order``, staged as a body for a
    higher-order primitive: ``(body, consts, out_nz)``.

    The body takes ``[*consts, *primals, *series]`` where ``series`` holds the
    ``order`` normalized coefficients of each input with ``in_nz`` (input
    after input), and returns ``[*outs, *out_series]``: the coefficients of
    every float output (``out_nz``), zeros where they are known to vanish,
    so that a loop's carry keeps one layout from step to step.
    """
    from funcdiff.core.ir import ShapedArray
    from funcdiff.core.primitive import is_float, zeros
    from funcdiff.interpreters.staging import trace_body

    in_avals = closed.in_avals
    out_nz = [is_float(a) for a in closed.out_avals]
    series_avals: list[ShapedArray] = [
        a for a, nz in zip(in_avals, in_nz, strict=True) if nz for _ in range(order)
    ]

    def fun(*args: Any) -> list[Any]:
        n = len(in_avals)
        primals, flat = list(args[:n]), list(args[n:])
        series: list[Any] = []
        at = 0
        for a, nz in zip(in_avals, in_nz, strict=True):
            if nz:
                series.append(flat[at : at + order])
                at += order
            else:
                series.append(Zero(a))
        outs, out_series = taylor_jaxpr(closed, primals, series)
        extra: list[Any] = []
        for o, s, nz in zip(outs, out_series, out_nz, strict=True):
            if nz:
                extra.extend([zeros(aval_of(o))] * order if isinstance(s, Zero) else s)
        return [*outs, *extra]

    body, consts = trace_body(fun, [*in_avals, *series_avals])
    return body, consts, out_nz


def flat_series(
    series: Sequence[Any], primals: Sequence[Any], mask: Sequence[bool], order: int
) -> list[Any]:
    """The coefficients of the series where ``mask``, input after input (a
    ``Zero`` there becomes zeros): the layout ``taylor_body`` takes."""
    from funcdiff.core.primitive import zeros

    out: list[Any] = []
    for s, p, m in zip(series, primals, mask, strict=True):
        if m:
            out.extend([zeros(aval_of(p))] * order if isinstance(s, Zero) else s)
    return out


def split_series(
    flat: Sequence[Any], outs: Sequence[Any], mask: Sequence[bool], order: int
) -> list[Any]:
    """The inverse of ``flat_series`` for outputs: a list of ``order``
    coefficients where ``mask``, a ``Zero`` elsewhere."""
    result: list[Any] = []
    at = 0
    for o, m in zip(outs, mask, strict=True):
        if m:
            result.append(list(flat[at : at + order]))
            at += order
        else:
            result.append(Zero(aval_of(o)))
    return result


def series_order(series: Sequence[Any]) -> int:
    """K, from the first series that is not a ``Zero``."""
    return next(len(s) for s in series if not isinstance(s, Zero))

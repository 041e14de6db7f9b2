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
from funcdiff.core.primitive import TAYLOR_VIA_JVP, Zero
from funcdiff.errors import MissingRuleError
from funcdiff.interpreters._loop import read, write

__all__ = [
    "flat_series",
    "series_order",
    "split_series",
    "taylor_body",
    "taylor_jaxpr",
    "taylor_via_jvp",
]


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
        elif prim.taylor is TAYLOR_VIA_JVP:
            outs, out_series = taylor_via_jvp(prim, ins, in_series, **eqn.params)
        elif prim.taylor is None:
            raise MissingRuleError(
                f"primitive '{prim.name}' has no taylor rule, so jet cannot go "
                "through it. Add the rule in the primitive's paragraph."
            )
        else:
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


def taylor_via_jvp(
    prim: Any, primals: Sequence[Any], series: Sequence[Any], **params: Any
) -> tuple[list[Any], list[Any]]:
    """The Taylor rule every primitive with a JVP rule has: ``y = f(x(t))``
    has ``y'(t) = jvp_f(x(t), x'(t))``, so the JVP rule, staged and run in
    Taylor mode to order K - 1 on ``x`` and on the curve ``x'`` (coefficients
    ``(j + 1) c_(j+1)``), gives ``y_k = e_(k-1) / k``. Exact whenever the JVP
    rule is; the primitives in the JVP rule need Taylor rules of their own
    (order K - 1), so a primitive whose JVP uses itself recurses K levels.
    A primitive asks for it with ``taylor=TAYLOR_VIA_JVP`` (``det``, ``qr``,
    ``svd``...: no closed recurrence written)."""
    from funcdiff.core.primitive import is_float, zeros
    from funcdiff.core.trace import bind
    from funcdiff.interpreters.staging import close_body, jvp_jaxpr, trace_body

    outs = prim.as_list(bind(prim, *primals, **params))
    k = series_order(series)
    avals = [aval_of(p) for p in primals]
    nz = [not isinstance(s, Zero) and is_float(a) for s, a in zip(series, avals, strict=True)]
    body, consts = trace_body(lambda *xs: prim.as_list(bind(prim, *xs, **params)), avals)
    jbody, jconsts, _ = jvp_jaxpr(
        close_body(body, consts), nz, [True] * len(outs), with_primals=False
    )
    moving = [s for s, m in zip(series, nz, strict=True) if m]
    d0 = [s[0] for s in moving]
    tangent = close_body(jbody, jconsts)
    if k == 1:
        es = [
            [e]
            for e in taylor_jaxpr(
                tangent,
                [*primals, *d0],
                [*[Zero(a) for a in avals], *[Zero(aval_of(d)) for d in d0]],
            )[0]
        ]
    else:
        from funcdiff.primitives import elementwise as ew

        cut = [s if isinstance(s, Zero) else list(s[: k - 1]) for s in series]
        ds = [[ew.mul(float(j + 1), s[j]) for j in range(1, k)] for s in moving]
        e0, rest = taylor_jaxpr(tangent, [*primals, *d0], [*cut, *ds])
        es = [
            [e] + ([zeros(aval_of(e))] * (k - 1) if isinstance(r, Zero) else list(r))
            for e, r in zip(e0, rest, strict=True)
        ]
    from funcdiff.primitives import elementwise as ew

    out_series: list[Any] = []
    for o, e in zip(outs, es, strict=True):
        if not is_float(aval_of(o)):
            out_series.append(Zero(aval_of(o)))
        else:
            out_series.append([ew.mul(1.0 / (i + 1), c) for i, c in enumerate(e)])
    return outs, out_series

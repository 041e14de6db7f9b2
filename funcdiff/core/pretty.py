"""The jaxpr printer: letter-named variables, one equation a line.

{ lambda ; a:f64[]. let
    b:f64[] = cos a
    c:f64[] = pow a b
  in (c,) }
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcdiff.core.ir import Atom, ClosedJaxpr, Eqn, Jaxpr, Literal, Var, dtype_short


def letter_name(i: int) -> str:
    # a..z, ba..bz, ca.. : JAX-style names (bijective base 26 would give 'aa').
    s = ""
    while True:
        s = chr(ord("a") + i % 26) + s
        i //= 26
        if i == 0:
            return s


class _Names:
    def __init__(self) -> None:
        self.names: dict[int, str] = {}

    def __call__(self, v: Var) -> str:
        name = self.names.get(id(v))
        if name is None:
            name = self.names[id(v)] = letter_name(len(self.names))
        return name


def pp_literal(lit: Literal) -> str:
    val = np.asarray(lit.val)
    text = repr(val.item()) if val.ndim == 0 else np.array2string(val, separator=",")
    if val.dtype == np.float64 or val.dtype == np.bool_:
        return text
    return f"{text}:{dtype_short(val.dtype)}[]"


def pp_param(value: Any) -> str:
    if isinstance(value, np.dtype) or isinstance(value, type):
        return dtype_short(value)
    if isinstance(value, ClosedJaxpr):
        return pp_jaxpr(value.jaxpr, value.consts).replace("\n", "\n    ")
    if isinstance(value, Jaxpr):
        return pp_jaxpr(value).replace("\n", "\n    ")
    if (
        isinstance(value, tuple)
        and value
        and all(isinstance(v, (Jaxpr, ClosedJaxpr)) for v in value)
    ):
        return "(" + ", ".join(pp_param(v) for v in value) + ")"
    return repr(value)


def pp_jaxpr(jaxpr: Jaxpr, consts: list[Any] | None = None) -> str:
    """The readable listing of a jaxpr (iterative: any length prints)."""
    names = _Names()

    def atom(x: Atom) -> str:
        return pp_literal(x) if isinstance(x, Literal) else names(x)

    def binder(v: Var) -> str:
        return f"{names(v)}:{v.aval.str_short()}"

    consts_s = " ".join(binder(v) for v in jaxpr.constvars)
    ins_s = " ".join(binder(v) for v in jaxpr.invars)
    lines = [f"{{ lambda {consts_s}{' ' if consts_s else ''}; {ins_s}. let"]
    for eqn in jaxpr.eqns:
        outs = " ".join(binder(v) for v in eqn.outvars)
        params = ""
        if eqn.params:
            params = (
                "[" + ", ".join(f"{k}={pp_param(v)}" for k, v in sorted(eqn.params.items())) + "]"
            )
        args = " ".join(atom(x) for x in eqn.invars)
        lines.append(f"    {outs} = {eqn.primitive.name}{params} {args}".rstrip())
    outs = ", ".join(atom(x) for x in jaxpr.outvars)
    lines.append(f"  in ({outs}{',' if len(jaxpr.outvars) == 1 else ''}) }}")
    return "\n".join(lines)


def pp_params_short(params: dict[str, Any]) -> str:
    """Params in brackets, each cut to 40 characters, sub-jaxprs as ``{...}``."""
    if not params:
        return ""
    parts = []
    for k, v in sorted(params.items()):
        text = "{...}" if isinstance(v, (Jaxpr, ClosedJaxpr)) else repr(v)
        parts.append(f"{k}={text if len(text) <= 40 else text[:37] + '...'}")
    return "[" + ", ".join(parts) + "]"


def pp_eqn_short(eqn: Eqn) -> str:
    """One equation as a jaxpr line on its own, e.g. ``b:f64[] = sqrt a``."""
    names = _Names()

    def atom(x: Atom) -> str:
        return pp_literal(x) if isinstance(x, Literal) else names(x)

    ins = " ".join(atom(x) for x in eqn.invars)
    outs = " ".join(f"{names(v)}:{v.aval.str_short()}" for v in eqn.outvars)
    return f"{outs} = {eqn.primitive.name}{pp_params_short(eqn.params)} {ins}".rstrip()

"""The jaxpr printer: letter-named variables, one equation a line.

{ lambda ; a:f64[]. let
    b:f64[] = cos a
    c:f64[] = pow a b
  in (c,) }
"""

from __future__ import annotations

import html
import re
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


# ---------------------------------------------------------------------------
# notebooks: the printed jaxpr as HTML, highlighted
# ---------------------------------------------------------------------------

_HTML_STYLE = {
    "kw": "color:#8959a8;font-weight:bold",
    "prim": "color:#4271ae;font-weight:bold",
    "type": "color:#718c00",
    "param": "color:#8e908c",
}
_TYPE = re.compile(r":((?:f|i|u|c|bool|bf)\d*\[[^\]]*\])")
_EQN = re.compile(r"^(\s*)(.*?) = ([A-Za-z_]\w*)(.*)$")
_KW = re.compile(r"(\{ lambda|\blet\b|^(\s*)in\b)")


def _span(kind: str, text: str) -> str:
    return f'<span style="{_HTML_STYLE[kind]}">{text}</span>'


def _split_params(rest: str) -> tuple[str, str]:
    """``rest`` of an equation line split into its ``[params]`` (to the
    matching bracket, or the end of the line when they span lines) and
    the operands."""
    if not rest.startswith("["):
        return "", rest
    depth = 0
    for i, ch in enumerate(rest):
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if depth == 0:
            return rest[: i + 1], rest[i + 1 :]
    return rest, ""


def html_jaxpr(text: str) -> str:
    """The printed jaxpr ``text`` as an HTML ``<pre>`` block with the
    keywords, primitives, parameters and types highlighted (what notebooks
    show for a jaxpr); its text content is ``text`` exactly.

    >>> h = html_jaxpr("    b:f64[] = sin a")
    >>> h.count("<span"), "sin</span> a" in h
    (2, True)
    """
    out = []
    for line in text.split("\n"):
        m = _EQN.match(line)
        if m is not None and not line.lstrip().startswith("{ lambda"):
            indent, lhs, prim, rest = m.groups()
            params, rest = _split_params(rest)
            line = (
                html.escape(indent)
                + _TYPE.sub(lambda t: ":" + _span("type", t.group(1)), html.escape(lhs))
                + " = "
                + _span("prim", html.escape(prim))
                + (_span("param", html.escape(params)) if params else "")
                + html.escape(rest)
            )
        else:
            line = _TYPE.sub(lambda t: ":" + _span("type", t.group(1)), html.escape(line))
            line = _KW.sub(lambda k: _span("kw", k.group(0)), line)
        out.append(line)
    body = "\n".join(out)
    return f'<pre style="line-height:1.35">{body}</pre>'

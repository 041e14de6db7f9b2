"""Compile a closed jaxpr into straight-line numpy source, one line per equation.

``compile_jaxpr : ClosedJaxpr -> (Callable[arrays -> list of arrays], source)``

Each equation becomes one assignment. A primitive with an ``emit`` rule
(``emit(*arg_names, **params) -> expression``) is written inline as numpy
code; any other primitive calls its ``impl`` with the params bound. The
variable names are the ones the jaxpr printer uses, so the source reads
side by side with ``str(jaxpr)``.

Buffer reuse: an element-wise equation whose first operand is a temporary
buffer of the same shape and dtype that dies at this equation writes its
result into that buffer (numpy ``out=``), saving an allocation. A buffer is
only reused when this equation owns it: it was freshly allocated by an
element-wise equation, is no function input or constant, and no view of it
is alive.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from funcdiff.core.ir import Atom, ClosedJaxpr, Literal, Var
from funcdiff.core.pretty import _letters

#: primitives whose outputs may be views of (share memory with) their inputs
VIEW_PRIMITIVES = frozenset(
    {"reshape", "transpose", "broadcast_in_dim", "slice", "rev", "squeeze", "expand_dims"}
)


class _Names:
    def __init__(self) -> None:
        self.n = 0
        self.names: dict[Var, str] = {}

    def __call__(self, v: Var) -> str:
        name = self.names.get(v)
        if name is None:
            name = _letters(self.n)
            # never shadow a Python keyword or builtin used by the generated code
            if name in ("as", "if", "in", "is", "or", "np", "def", "for", "and", "del", "not"):
                name = name + "_"
            self.n += 1
            self.names[v] = name
        return name


def compile_jaxpr(
    closed: ClosedJaxpr, reuse_buffers: bool = True, name: str = "jitted"
) -> tuple[Callable[..., list[Any]], str]:
    """Generate and ``exec`` the straight-line function for ``closed``."""
    j = closed.jaxpr
    names = _Names()
    glb: dict[str, Any] = {"np": np}
    const_names = []
    for k, (v, c) in enumerate(zip(j.constvars, closed.consts, strict=True)):
        cname = f"_c{k}"
        glb[cname] = c
        names.names[v] = cname
        const_names.append(cname)
    arg_names = [names(v) for v in j.invars]
    lit_count = [0]

    def atom(x: Atom) -> str:
        if isinstance(x, Literal):
            val = x.val
            if isinstance(val, (float, np.float64)) and np.isfinite(val):
                return repr(float(val))
            lname = f"_k{lit_count[0]}"
            lit_count[0] += 1
            glb[lname] = val
            return lname
        return names(x)

    # liveness: last equation index that reads each var
    last_use: dict[Var, int] = {}
    for i, eqn in enumerate(j.eqns):
        for x in eqn.invars:
            if isinstance(x, Var):
                last_use[x] = i
    for x in j.outvars:
        if isinstance(x, Var):
            last_use[x] = len(j.eqns)
    owned: set[Var] = set()  # fresh buffers made by element-wise equations
    base: dict[Var, Var] = {}  # view -> the buffer it views
    views_alive: dict[Var, int] = {}  # buffer -> last use of any view of it

    lines = [f"def {name}({', '.join(arg_names)}):"]
    for i, eqn in enumerate(j.eqns):
        prim = eqn.primitive
        args = [atom(x) for x in eqn.invars]
        out_names = [names(v) for v in eqn.outvars]
        emit = prim.emit
        reuse = None
        emit_out = prim.emit_out
        if reuse_buffers and emit_out is not None:
            for x in eqn.invars[:2]:
                if (
                    isinstance(x, Var)
                    and x in owned
                    and last_use.get(x) == i
                    and views_alive.get(x, -1) <= i
                    and x.aval == eqn.outvars[0].aval
                    and sum(1 for y in eqn.invars if y is x) == 1
                ):
                    reuse = x
                    break
        if reuse is not None and emit_out is not None:
            expr = emit_out(*args, out=names(reuse), **eqn.params)
        elif emit is not None:
            expr = emit(*args, **eqn.params)
        else:
            fname = f"_{prim.name}_{i}"
            glb[fname] = functools.partial(prim.impl, **eqn.params) if eqn.params else prim.impl
            expr = f"{fname}({', '.join(args)})"
        lhs = ", ".join(out_names) + ("," if prim.multiple_results and len(out_names) == 1 else "")
        lines.append(f"    {lhs} = {expr}")
        # ownership bookkeeping for later reuse decisions
        if prim.name in VIEW_PRIMITIVES:
            src = eqn.invars[0]
            if isinstance(src, Var):
                b = base.get(src, src)
                base[eqn.outvars[0]] = b
                views_alive[b] = max(views_alive.get(b, -1), last_use.get(eqn.outvars[0], -1))
        elif prim.emit_out is not None or reuse is not None:
            owned.update(v for v in eqn.outvars if v.aval.ndim > 0)
        if reuse is not None:
            # the reused buffer now holds the output; the output inherits ownership
            owned.discard(reuse)
            owned.update(eqn.outvars)
    outs = ", ".join(atom(x) for x in j.outvars)
    lines.append(f"    return [{outs}]")
    source = "\n".join(lines) + "\n"
    code = compile(source, f"<funcdiff.jit {name}>", "exec")
    exec(code, glb)
    fn = glb[name]
    return fn, source

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

Ownership of results: every array the generated function returns belongs to
the caller. An output that may share memory with an input, a constant or an
earlier output is copied, and a read-only view (a broadcast) is copied when it
is handed out; freshly computed buffers are returned as they are.
"""

from __future__ import annotations

import builtins
import functools
import keyword
import math
from collections.abc import Callable, Collection
from typing import Any

import numpy as np

from funcdiff.core.ir import Atom, ClosedJaxpr, Literal, Var, as_result
from funcdiff.core.pretty import letter_name

_RESERVED = frozenset(dir(builtins)) | {"np"}


class _Names:
    def __init__(self) -> None:
        self.n = 0
        self.names: dict[Var, str] = {}

    def __call__(self, v: Var) -> str:
        name = self.names.get(v)
        if name is None:
            name = letter_name(self.n)
            # never shadow a Python keyword or a builtin the generated code uses
            if name in _RESERVED or keyword.iskeyword(name) or keyword.issoftkeyword(name):
                name = name + "_"
            self.n += 1
            self.names[v] = name
        return name


def compile_jaxpr(
    closed: ClosedJaxpr,
    reuse_buffers: bool = True,
    name: str = "jitted",
    scalar_outputs: Collection[int] = (),
) -> tuple[Callable[..., list[Any]], str]:
    """Generate and ``exec`` the straight-line function for ``closed``.

    The outputs whose positions are in ``scalar_outputs`` (0-d results the
    traced function computed) are returned by numpy's rule, ``as_result``:
    as numpy scalars, as an eager call returns them.
    """
    j = closed.jaxpr
    names = _Names()
    glb: dict[str, Any] = {
        "np": np,
        "_copy": _copy,
        "_writable": _writable,
        "_result": as_result,
    }
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

    # liveness: last equation index that reads each var, and use counts
    last_use: dict[Var, int] = {}
    uses: dict[Var, int] = {}
    for i, eqn in enumerate(j.eqns):
        for x in eqn.invars:
            if isinstance(x, Var):
                last_use[x] = i
                uses[x] = uses.get(x, 0) + 1
    for x in j.outvars:
        if isinstance(x, Var):
            last_use[x] = len(j.eqns)
    owned: set[Var] = set()  # fresh buffers made by element-wise equations
    base: dict[Var, Var] = {}  # view -> the buffer it views
    views_alive: dict[Var, int] = {}  # buffer -> last use of any view of it
    # var -> the buffers it may share memory with (absent: only its own)
    shares: dict[Var, frozenset[Var]] = {}
    maybe_readonly: set[Var] = set()  # results of impls (a broadcast is a read-only view)

    def reusable(x: Atom, i: int, eqn: Any) -> bool:
        # a buffer this equation owns, dying here, of the output's type, read once
        return (
            isinstance(x, Var)
            and x in owned
            and last_use.get(x) == i
            and views_alive.get(x, -1) <= i
            and x.aval == eqn.outvars[0].aval
            and sum(1 for y in eqn.invars if y is x) == 1
        )

    lines = [f"def {name}({', '.join(arg_names)}):"]
    for i, eqn in enumerate(j.eqns):
        prim = eqn.primitive
        if prim.emit_inplace is not None:
            # the result starts as the first operand: its buffer if it dies
            # here, else a copy; then one statement updates it in place
            first = eqn.invars[0]
            zeros = _is_zeros(first)
            ins = [atom(x) for x in eqn.invars]
            out_name = names(eqn.outvars[0])
            if reuse_buffers and isinstance(first, Var) and reusable(first, i, eqn):
                lines.append(f"    {out_name} = {ins[0]}")
                owned.discard(first)
            elif zeros:  # fresh zeros, never a copy of them
                aval = eqn.outvars[0].aval
                glb[f"_dt{i}"] = aval.dtype
                lines.append(f"    {out_name} = np.zeros({aval.shape!r}, _dt{i})")
            else:
                lines.append(f"    {out_name} = {ins[0]}.copy()")
            stmt = prim.emit_inplace(out_name, *ins, zeros=zeros, **eqn.params)
            lines.append(f"    {stmt}")
            owned.add(eqn.outvars[0])
            continue
        args = [atom(x) for x in eqn.invars]
        out_names = [names(v) for v in eqn.outvars]
        emit = prim.emit
        reuse = None
        emit_out = prim.emit_out
        if reuse_buffers and emit_out is not None:
            reuse = next(
                (x for x in eqn.invars[:2] if isinstance(x, Var) and reusable(x, i, eqn)), None
            )
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
        if prim.returns_view:
            src = eqn.invars[0]
            if isinstance(src, Var):
                b = base.get(src, src)
                base[eqn.outvars[0]] = b
                views_alive[b] = max(views_alive.get(b, -1), last_use.get(eqn.outvars[0], -1))
                shares[eqn.outvars[0]] = shares.get(src, frozenset((src,)))
                if emit is None or src in maybe_readonly:
                    maybe_readonly.add(eqn.outvars[0])
        elif emit is None:
            # an impl we know nothing about may return views of its inputs: keep
            # every input buffer alive as long as any of its outputs
            live = max(last_use.get(v, -1) for v in eqn.outvars)
            viewed: set[Var] = set()
            for x in eqn.invars:
                if isinstance(x, Var):
                    b = base.get(x, x)
                    views_alive[b] = max(views_alive.get(b, -1), live)
                    viewed |= shares.get(x, {x})
            for v in eqn.outvars:
                shares[v] = frozenset(viewed | {v})
            maybe_readonly.update(eqn.outvars)
        elif prim.emit_out is not None or reuse is not None:
            owned.update(v for v in eqn.outvars if v.aval.ndim > 0)
        if reuse is not None:
            # the reused buffer now holds the output; the output inherits ownership
            owned.discard(reuse)
            owned.update(eqn.outvars)
    external = {*j.invars, *j.constvars}

    def out_atom(x: Atom) -> str:
        # a constant output is returned as the very object the function gave
        # (np.float64 stays np.float64), never as an inlined Python literal
        if isinstance(x, Literal):
            lname = f"_k{lit_count[0]}"
            lit_count[0] += 1
            glb[lname] = x.val
            return lname
        return atom(x)

    outs = _owned_outputs(j.outvars, out_atom, shares, external, maybe_readonly)
    for k in scalar_outputs:
        outs[k] = f"_result({outs[k]})"  # a numpy scalar
    lines.append(f"    return [{', '.join(outs)}]")
    source = "\n".join(lines) + "\n"
    code = compile(source, f"<funcdiff.jit {name}>", "exec")
    exec(code, glb)
    fn: Callable[..., list[Any]] = glb[name]
    scalar = _compile_scalar(closed, name, scalar_outputs)
    if scalar is not None:
        scalar_fn, scalar_source = scalar
        source = scalar_source + "\n" + source
        glb_fn: Callable[..., list[Any]] = fn

        def fn_dispatch(*args: Any) -> list[Any]:
            try:
                return scalar_fn(*args)
            except (ValueError, ArithmeticError, TypeError):
                return glb_fn(*args)

        return fn_dispatch, source
    return fn, source


def _is_zeros(x: Atom) -> bool:
    return isinstance(x, Literal) and isinstance(x.val, np.ndarray) and not x.val.any()


def _copy(x: Any) -> Any:
    return x.copy() if isinstance(x, np.ndarray) else x


def _writable(x: Any) -> Any:
    return x.copy() if isinstance(x, np.ndarray) and not x.flags.writeable else x


def _owned_outputs(
    outvars: list[Atom],
    atom: Callable[[Atom], str],
    shares: dict[Var, frozenset[Var]],
    external: set[Var],
    maybe_readonly: set[Var],
) -> list[str]:
    """Expressions that hand the caller arrays of its own: a copy where an
    output may share memory with an input or constant (``external``), an array
    literal or an earlier output; a writability check on results of impls
    (which may return read-only views, as broadcasting does) and views of them."""
    claimed: set[Var] = set()
    exprs = []
    for x in outvars:
        expr = atom(x)
        if isinstance(x, Literal):
            exprs.append(f"_copy({expr})" if isinstance(x.val, np.ndarray) else expr)
            continue
        buffers = shares.get(x, frozenset((x,)))
        if not buffers.isdisjoint(external) or not buffers.isdisjoint(claimed):
            exprs.append(f"_copy({expr})")
        elif x in maybe_readonly:
            exprs.append(f"_writable({expr})")
        else:
            exprs.append(expr)  # a fresh buffer
        claimed |= buffers
    return exprs


# ---------------------------------------------------------------------------
# scalar specialization
# ---------------------------------------------------------------------------

# Each primitive's ``emit_scalar`` is a Python-float expression on float64
# scalars, exact for finite inputs; where Python raises instead of returning
# inf/nan (log(0), 1/0, overflow, a negative base to a fractional power), the
# generated function falls back to the numpy code, so results match numpy bit
# for bit in value and special cases. The expressions may use ``_m`` (math)
# and ``_pow`` (below).


def _scalar_expr(eqn: Any, ins: list[str]) -> str | None:
    """The Python-float expression of ``eqn`` on the operand names ``ins``, or
    None when its primitive has none for these params."""
    form = eqn.primitive.emit_scalar
    if form is None:
        return None
    if isinstance(form, str):
        return form.format(*ins)
    expr: str | None = form(*ins, **eqn.params)
    return expr


def _scalar_pow(x: float, y: float) -> float:
    # math.pow raises ValueError where numpy returns nan (negative ** fraction)
    # and OverflowError where numpy returns inf: both fall back to numpy.
    return math.pow(x, y)


def _compile_scalar(
    closed: ClosedJaxpr, name: str, scalar_outputs: Collection[int] = ()
) -> tuple[Callable[..., list[Any]], str] | None:
    """Straight-line Python-float code when every value is a float64 (or bool)
    scalar and every primitive has a scalar expression; else None."""
    j = closed.jaxpr
    f64 = np.dtype(np.float64)

    def scalar_ok(v: Atom) -> bool:
        a = v.aval
        return a.shape == () and (a.dtype == f64 or a.dtype == np.bool_)

    if not j.invars or not all(scalar_ok(v) for v in (*j.constvars, *j.invars)):
        return None
    for eqn in j.eqns:
        if _scalar_expr(eqn, ["_"] * len(eqn.invars)) is None:
            return None
        if not all(scalar_ok(v) for v in (*eqn.invars, *eqn.outvars)):
            return None
    names = _Names()
    glb: dict[str, Any] = {
        "_m": math,
        "_pow": _scalar_pow,
        "_f64": np.float64,
        "_copy": _copy,
        "_result": as_result,
    }
    for k, (v, c) in enumerate(zip(j.constvars, closed.consts, strict=True)):
        glb[f"_c{k}"] = float(c)
        names.names[v] = f"_c{k}"
    args = [names(v) for v in j.invars]
    # an input handed back is returned as the caller's own object: keep it by name
    handed_back = any(x in j.invars for x in j.outvars if isinstance(x, Var))
    suffix = "_in" if handed_back else ""
    raw = {v: f"{a}{suffix}" for v, a in zip(j.invars, args, strict=True)}

    def atom(x: Atom) -> str:
        if isinstance(x, Literal):
            val = np.asarray(x.val)
            return repr(bool(val)) if val.dtype == np.bool_ else repr(float(val))
        return names(x)

    lines = [f"def {name}_scalar({', '.join(raw.values())}):"]
    # inputs may be Python numbers, numpy scalars or 0-d arrays: work on Python floats
    lines.extend(
        f"    {a} = float({r})" if v.aval.dtype == f64 else f"    {a} = bool({r})"
        for a, (v, r) in zip(args, raw.items(), strict=True)
    )
    for eqn in j.eqns:
        expr = _scalar_expr(eqn, [atom(x) for x in eqn.invars])
        lines.append(f"    {names(eqn.outvars[0])} = {expr}")
    outs = []
    for k, x in enumerate(j.outvars):
        if isinstance(x, Literal):  # a constant output, exactly as the function returned it
            glb[f"_out{k}"] = x.val
            expr = f"_copy(_out{k})"
        elif handed_back and x in raw:  # an input handed back: the caller's object
            expr = f"_copy({raw[x]})"
        elif not scalar_ok(x):
            return None
        else:
            outs.append(f"_f64({atom(x)})" if x.aval.dtype == f64 else f"np.bool_({atom(x)})")
            continue
        # unless the traced function computed it (``where(c, x, x)`` is ``x``
        # once simplified): then a numpy scalar, as eagerly
        outs.append(f"_result({expr})" if k in scalar_outputs else expr)
    lines.append(f"    return [{', '.join(outs)}]")
    source = "\n".join(lines) + "\n"
    glb["np"] = np
    exec(compile(source, f"<funcdiff.jit {name} scalar>", "exec"), glb)
    return glb[f"{name}_scalar"], source

"""The lecture's debug mode: every forward value and every backward contribution.

``explain(f)(*args)`` evaluates ``f`` at ``args`` and prints, as plain text a
student can check by hand:

1. the forward pass: each equation of ``f``'s jaxpr in order, with its
   inputs' values substituted and its value;
2. the backward pass (reverse mode, for a scalar output ``z``): starting from
   ``dz/dz = 1``, each equation in reverse order with the adjoint of its
   output, and the contribution it sends to each input,
   ``dz/dv += dz/dout * dout/dv`` (with the local derivative ``dout/dv`` when
   everything is a scalar); where a variable fans out to several equations
   its adjoint is the sum of the contributions, and the sum is written out;
3. the gradient: ``dz/dx`` for every input.

The numbers come from the same machinery ``grad`` uses: one traced forward
pass (``funcdiff.api``) and the reverse-mode interpreter
(``backward_pass``), observed equation by equation.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from funcdiff.core.ir import Atom, Eqn, Var
from funcdiff.core.primitive import Zero
from funcdiff.interpreters._loop import apply_rule, read
from funcdiff.see._analysis import Analysis, Fun, arg_names, check_notation, eqn_text
from funcdiff.see._format import format_sum, format_value

#: Width beyond which a column is not padded (long array text stays readable).
_MAX_COL = 36


def _pad(cells: Sequence[str], widths: Sequence[int]) -> str:
    out = []
    for c, w in zip(cells, widths, strict=True):
        out.append(c.ljust(w) if len(c) < w else c + "  ")
    return "".join(out).rstrip()


def _table(rows: Sequence[Sequence[str]], indent: str = "  ", sep: str = "  ") -> list[str]:
    """Rows of cells, columns padded to the widest cell (capped)."""
    if not rows:
        return []
    ncol = max(len(r) for r in rows)
    widths = [0] * ncol
    for r in rows:
        for j, c in enumerate(r):
            if len(c) <= _MAX_COL:
                widths[j] = max(widths[j], len(c))
    widths = [w + len(sep) for w in widths]
    return [indent + _pad([*r, *[""] * (ncol - len(r))], widths) for r in rows]


def _local_derivatives(eqn: Eqn, an: Analysis, needs: list[bool]) -> list[Any] | None:
    """``d out / d input`` per input for an all-scalar equation, else None.

    The primitive's own VJP rule applied to a unit cotangent: the local
    derivative the chain rule multiplies by.
    """
    if len(eqn.outvars) != 1 or eqn.outvars[0].aval.shape != ():
        return None
    if any(x.aval.shape != () for x in eqn.invars):
        return None
    env = an.env
    assert env is not None
    ins = [read(env, x) for x in eqn.invars]
    outs = [env[eqn.outvars[0]]]
    try:
        one = np.ones((), eqn.outvars[0].aval.dtype)
        res = apply_rule(eqn, "vjp", [one], ins, outs, needs)
    except Exception:  # display only: never let a rule's corner case break the table
        return None
    return list(res)


def explain(f: Fun, *, file: IO[str] | None = None, notation: str = "lecture") -> Fun:
    """Print the forward and backward tables of ``f`` at a point; return
    ``(value, gradient)``.

    Args:
      f: a function of arrays; all positional arguments are inputs (names
        in the tables come from ``f``'s parameters). Only a scalar output
        gets the backward table; for any other output only the forward table
        is printed (with a note) and the gradient returned is None.
      file: where to print (default ``sys.stdout``).
      notation: ``"lecture"`` (default) writes operations as the lecture
        does (``x ** 2``, ``a * b``, ``A @ x``, ``sum(x)``); ``"raw"`` as
        the jaxpr's primitives (``integer_pow[y=2](x)``, ``mul(a, b)``).

    Returns:
      A function of the arguments returning ``(value, gradient)``; the
      gradient is shaped like the argument (one argument) or a tuple (several),
      as ``value_and_grad(f, argnums=(0, 1, ...))`` gives it.

    >>> import funcdiff.numpy as fnp
    >>> value, g = explain(lambda x: x ** fnp.cos(x))(3.0)
    Forward pass: every equation in order, at x = 3
      x : f64[]  (input)                       = 3
      a : f64[]  = cos(x)  = cos(3)            = -0.989992
      b : f64[]  = x ** a  = 3 ** (-0.989992)  = 0.337018
      z          = b       (output)            = 0.337018
    <BLANKLINE>
    Backward pass: reverse order, starting from dz/dz = 1 at the output z = b
      dz/db = 1   (seed)
      b = x ** a       with dz/db = 1
        dz/dx += dz/db * db/dx = 1 * -0.111215 = -0.111215
        dz/da += dz/db * db/da = 1 * 0.370252 = 0.370252
      a = cos(x)       with dz/da = 0.370252
        dz/dx += dz/da * da/dx = 0.370252 * -0.14112 = -0.05225
    <BLANKLINE>
    Sums at fan-out (a variable used by several equations):
      dz/dx = -0.111215 - 0.05225 = -0.163465
    <BLANKLINE>
    Gradient at x = 3:
      dz/dx = -0.163465
    >>> round(float(g), 6)
    -0.163465
    """
    from funcdiff.api import _Traced
    from funcdiff.tree import tree_unflatten

    if not callable(f):
        raise TypeError(f"explain: f must be a function, got {type(f).__name__}")
    check_notation(notation, "explain")

    def explain_f(*args: Any) -> tuple[Any, Any]:
        if not args:
            raise TypeError("explain(f)(*args): give the point, e.g. explain(f)(3.0)")
        out = sys.stdout if file is None else file
        tr = _Traced(f, args, {}, tuple(range(len(args))), "explain")
        jaxpr = tr.closed.jaxpr
        in_names = arg_names(f, args)
        if len(in_names) != len(jaxpr.invars):
            in_names = [f"arg{i}" for i in range(len(jaxpr.invars))]
        an = Analysis(tr.closed, tr.env, in_names, adjoints=True, out_symbol="z")
        lines = _report(an, in_names, tr.in_vals, notation)
        print("\n".join(lines), file=out)
        values = [np.asarray(v) for v in tr.out_vals]
        value = tree_unflatten(tr.out_tree, values)
        if not an.in_cts and an.note is not None:
            return value, None
        grads = [
            np.zeros(v.aval.shape, v.aval.dtype)
            if isinstance(c, Zero)
            else np.array(c, dtype=v.aval.dtype)
            for v, c in zip(jaxpr.invars, an.in_cts, strict=True)
        ]
        g = tree_unflatten(tr.in_tree, grads)
        return value, (g[0] if len(args) == 1 else tuple(g))

    return explain_f


def _report(
    an: Analysis, in_names: Sequence[str], in_vals: Sequence[Any], notation: str
) -> list[str]:
    jaxpr = an.jaxpr
    names = an.names
    z = an.z

    def val(x: Atom) -> str:
        return format_value(an.value(x), max_items=3)

    point = ", ".join(f"{n} = {format_value(v)}" for n, v in zip(in_names, in_vals, strict=True))
    lines = [f"Forward pass: every equation in order, at {point}"]
    rows: list[list[str]] = []
    for v in jaxpr.constvars:
        rows.append([f"{names(v)} : {v.aval.str_short()}", "(constant)", "", f"= {val(v)}"])
    for v in jaxpr.invars:
        rows.append([f"{names(v)} : {v.aval.str_short()}", "(input)", "", f"= {val(v)}"])
    for eqn in jaxpr.eqns:
        lhs = ", ".join(f"{names(v)}" for v in eqn.outvars)
        types = ", ".join(v.aval.str_short() for v in eqn.outvars)
        sym = eqn_text(eqn, [names.atom(x) for x in eqn.invars], notation)
        num = eqn_text(eqn, [val(x) for x in eqn.invars], notation)
        outs = ", ".join(val(v) for v in eqn.outvars)
        rows.append([f"{lhs} : {types}", f"= {sym}", f"= {num}", f"= {outs}"])
    if len(jaxpr.outvars) == 1:
        (o,) = jaxpr.outvars
        rows.append([z, f"= {names.atom(o)}", "(output)", f"= {val(o)}"])
    else:
        for k, o in enumerate(jaxpr.outvars):
            rows.append([f"output {k}", f"= {names.atom(o)}", "(output)", f"= {val(o)}"])
    lines += _table(rows)

    lines.append("")
    if not an.in_cts and an.note is not None:
        lines.append(f"Backward pass: skipped, because {an.note}.")
        lines.append(
            "  Reduce the output to a scalar (e.g. sum it), or use jacrev/jacobian "
            "for the full Jacobian."
        )
        return lines

    (o,) = jaxpr.outvars
    lines.append(
        f"Backward pass: reverse order, starting from d{z}/d{z} = 1 at the output "
        f"{z} = {names.atom(o)}"
    )
    if isinstance(o, Var) and o in an.adjoint:
        lines.append(f"  d{z}/d{names(o)} = 1   (seed)")
    fan_out: list[Var] = []
    for i in an.order:
        eqn = jaxpr.eqns[i]
        sym = eqn_text(eqn, [names.atom(x) for x in eqn.invars], notation)
        outs = ", ".join(names(v) for v in eqn.outvars)
        adj = ", ".join(
            f"d{z}/d{names(v)} = {format_value(c)}"
            for v, c in zip(eqn.outvars, an.out_cts[i], strict=True)
            if not isinstance(c, Zero)
        )
        lines.append(f"  {f'{outs} = {sym}'.ljust(16)} with {adj}")
        contribs = {k: c for (j, k, c) in _contribs_of(an, i)}
        local = _local_derivatives(eqn, an, [k in contribs for k in range(len(eqn.invars))])
        for k, x in enumerate(eqn.invars):
            if not isinstance(x, Var) or k not in contribs:
                continue
            c = contribs[k]
            xn = names(x)
            nth = ""
            if sum(1 for y in eqn.invars if y is x) > 1:
                nth = f"   (as argument {k + 1})"
            if local is not None and len(eqn.outvars) == 1:
                on = names(eqn.outvars[0])
                d = local[k]
                dtext = format_value(0.0 if isinstance(d, Zero) else d)
                lines.append(
                    f"    d{z}/d{xn} += d{z}/d{on} * d{on}/d{xn} = "
                    f"{format_value(an.out_cts[i][0])} * {dtext} = {format_value(c)}{nth}"
                )
            else:
                via = f"d{z}/d{outs}" if len(eqn.outvars) == 1 else f"d{z}/d({outs})"
                lines.append(
                    f"    d{z}/d{xn} += {via} pulled back through {eqn.primitive.name} "
                    f"= {format_value(c, max_items=3)}{nth}"
                )
    seen: set[Var] = set()
    for v in [*jaxpr.constvars, *jaxpr.invars, *(w for e in jaxpr.eqns for w in e.outvars)]:
        if len(an.contributions.get(v, [])) > 1 and v not in seen:
            seen.add(v)
            fan_out.append(v)
    if fan_out:
        lines.append("")
        lines.append("Sums at fan-out (a variable used by several equations):")
        for v in fan_out:
            terms = [c for _, _, c in an.contributions[v]]
            lines.append(
                f"  d{z}/d{names(v)} = {format_sum(terms, max_items=3)} = "
                f"{format_value(an.adjoint[v], max_items=3)}"
            )

    lines.append("")
    lines.append(f"Gradient at {point}:")
    for v, c in zip(jaxpr.invars, an.in_cts, strict=True):
        if isinstance(c, Zero):
            lines.append(
                f"  d{z}/d{names(v)} = {format_value(np.zeros(v.aval.shape), max_items=8)}"
                f"   ({z} does not depend on {names(v)})"
            )
        else:
            lines.append(f"  d{z}/d{names(v)} = {format_value(c, max_items=8)}")
    return lines


def _contribs_of(an: Analysis, i: int) -> list[tuple[int, int, Any]]:
    """The contributions equation ``i`` sent back (from ``an.contributions``)."""
    eqn = an.jaxpr.eqns[i]
    found: list[tuple[int, int, Any]] = []
    for x in eqn.invars:
        if isinstance(x, Var):
            for entry in an.contributions.get(x, []):
                if entry[0] == i and entry not in found:
                    found.append(entry)
    return found


__all__ = ["explain"]

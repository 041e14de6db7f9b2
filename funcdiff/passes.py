"""IR passes: each takes a closed jaxpr and returns an equivalent one.

Every pass is one linear walk over the equations, small enough to read at a
glance, and usable on its own:

- ``dce``: dead-code elimination (drop equations whose results are unused).
- ``cse``: common-subexpression elimination (same primitive, params, inputs).
- ``fold_constants``: evaluate equations whose inputs are all known.
- ``simplify``: algebra that autodiff leaves behind: ``x*1``, ``x+0``,
  zeros flowing through ``add``/``mul``/``neg``/linear ops, casts and
  broadcasts to the same type, reshapes/transposes that compose or undo.

``optimize`` runs them in a sensible order until nothing changes.

``fuse_pad_add`` is for code generation only (``staging.compile_cached``
runs it on the optimized jaxpr just before ``codegen``): it writes
``add_into_slice`` equations that no user transform ever sees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from funcdiff.core.ir import Atom, ClosedJaxpr, Eqn, Jaxpr, Literal, Var
from funcdiff.core.primitive import Primitive
from funcdiff.core.trace import Tracer

Env = dict[Var, Atom]


def _subst(env: Env, x: Atom) -> Atom:
    # follow chains of substitutions (iteratively)
    while isinstance(x, Var) and x in env:
        x = env[x]
    return x


def _subst_all(env: Env, xs: list[Atom]) -> list[Atom]:
    """``xs`` with substitutions applied; the very list when none applies
    (most equations of a long jaxpr keep their operands: no copy then)."""
    if not env:
        return xs
    get = env.get
    for x in xs:
        if get(x) is not None:  # type: ignore[arg-type]
            return [_subst(env, y) for y in xs]
    return xs


def _same(eqn: Eqn, invars: list[Atom]) -> Eqn:
    """``eqn`` on ``invars``: the equation itself when they are its own."""
    if invars is eqn.invars:
        return eqn
    return Eqn(eqn.primitive, invars, eqn.outvars, eqn.params, eqn.scope)


def _rebuild(closed: ClosedJaxpr, eqns: list[Eqn], env: Env) -> ClosedJaxpr:
    j = closed.jaxpr
    outvars = [_subst(env, x) for x in j.outvars]
    return ClosedJaxpr(Jaxpr(j.constvars, j.invars, eqns, outvars), closed.consts)


# ---------------------------------------------------------------------------
# dead-code elimination
# ---------------------------------------------------------------------------


def dce(closed: ClosedJaxpr) -> ClosedJaxpr:
    """Drop equations none of whose outputs are used, and unused constants."""
    j = closed.jaxpr
    live: set[Atom] = {x for x in j.outvars if isinstance(x, Var)}
    kept: list[Eqn] = []
    for eqn in reversed(j.eqns):
        outs = eqn.outvars
        if outs[0] in live if len(outs) == 1 else any(v in live for v in outs):
            kept.append(eqn)
            live.update(eqn.invars)  # literals too: harmless, and faster than filtering
    kept.reverse()
    pairs = [(v, c) for v, c in zip(j.constvars, closed.consts, strict=True) if v in live]
    jaxpr = Jaxpr([v for v, _ in pairs], j.invars, kept, j.outvars)
    return ClosedJaxpr(jaxpr, [c for _, c in pairs])


# ---------------------------------------------------------------------------
# common-subexpression elimination
# ---------------------------------------------------------------------------


def _atom_key(x: Atom) -> Any:
    if isinstance(x, Literal):
        if isinstance(x.val, np.generic):  # the common case, without a conversion
            return ("lit", x.val.dtype.str, x.val.tobytes())
        v = np.asarray(x.val)
        return ("lit", v.dtype.str, v.shape, v.tobytes())
    return x


def _params_key(params: dict[str, Any]) -> Any:
    if not params:
        return ()
    key = tuple(sorted(params.items()))
    hash(key)  # raises TypeError for unhashable params: no CSE for that eqn
    return key


def cse(closed: ClosedJaxpr) -> ClosedJaxpr:
    """Reuse the result of an identical earlier equation."""
    env: Env = {}
    seen: dict[Any, list[Var]] = {}
    eqns: list[Eqn] = []
    for eqn in closed.jaxpr.eqns:
        invars = _subst_all(env, eqn.invars)
        try:
            key = (
                eqn.primitive,
                tuple([x if isinstance(x, Var) else _atom_key(x) for x in invars]),
                _params_key(eqn.params),
            )
        except TypeError:
            key = None
        prev = seen.get(key) if key is not None else None
        if prev is not None:
            env.update(zip(eqn.outvars, prev, strict=True))
            continue
        if key is not None:
            seen[key] = eqn.outvars
        eqns.append(_same(eqn, invars))
    return _rebuild(closed, eqns, env)


# ---------------------------------------------------------------------------
# constant folding
# ---------------------------------------------------------------------------

#: constants larger than this many elements are not materialized by folding
FOLD_MAX_SIZE = 1 << 16


def fold_constants(closed: ClosedJaxpr, run_dce: bool = True) -> ClosedJaxpr:
    """Evaluate equations whose inputs are all literals or constants."""
    j = closed.jaxpr
    known: dict[Var, Any] = {
        v: c for v, c in zip(j.constvars, closed.consts, strict=True) if not isinstance(c, Tracer)
    }
    constvars = list(j.constvars)
    consts = list(closed.consts)
    env: Env = {}
    eqns: list[Eqn] = []
    for eqn in j.eqns:
        invars = _subst_all(env, eqn.invars)
        for x in invars:  # (a loop: this test runs for every equation)
            if x not in known and not isinstance(x, Literal):
                all_known = False
                break
        else:
            all_known = True
        if (
            all_known
            and not (eqn.primitive.name == "broadcast_in_dim" and invars[0].aval.size == 1)
            and all(v.aval.size <= FOLD_MAX_SIZE for v in eqn.outvars)
        ):
            args = [x.val if isinstance(x, Literal) else known[x] for x in invars]
            try:
                with np.errstate(all="ignore"):
                    outs = eqn.primitive.rule("impl")(*args, **eqn.params)
            except Exception:
                outs = None
            if outs is not None:
                for v, o in zip(eqn.outvars, outs, strict=True):
                    o = np.asarray(o)
                    if o.ndim == 0:
                        env[v] = Literal(o.dtype.type(o))
                    else:
                        known[v] = o
                        constvars.append(v)
                        consts.append(o)
                continue
        eqns.append(_same(eqn, invars))
    outvars = [_subst(env, x) for x in j.outvars]
    out = ClosedJaxpr(Jaxpr(constvars, j.invars, eqns, outvars), consts)
    return dce(out) if run_dce else out


# ---------------------------------------------------------------------------
# algebraic simplification
# ---------------------------------------------------------------------------


def _is_const(x: Atom, consts: dict[Var, Any], value: float) -> bool:
    """Is ``x`` a literal or small constant array equal to ``value`` everywhere?"""
    if isinstance(x, Literal):
        val = x.val
        if isinstance(val, (np.floating, np.integer, np.bool_, float, int)):
            return bool(val == value)  # a real scalar, without a conversion
        v = np.asarray(val)
    elif x in consts:
        v = np.asarray(consts[x])
        if v.size > 1 and not all(s == 0 for s in v.strides):
            if v.size > 4096:
                return False
    else:
        return False
    return v.dtype.kind in "fiub" and bool(np.all(v == value))


Rule = Callable[[Eqn, list[Atom], dict[Var, Any]], "Atom | None"]
_RULES: dict[str, Rule] = {}


def _rule(*names: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for n in names:
            _RULES[n] = fn
        return fn

    return register


def _same_type(eqn: Eqn, x: Atom) -> bool:
    return x.aval == eqn.outvars[0].aval


@_rule("mul")
def _mul(eqn: Eqn, ins: list[Atom], consts: dict[Var, Any]) -> Atom | None:
    a, b = ins
    if _is_const(b, consts, 1.0) and _same_type(eqn, a):
        return a
    if _is_const(a, consts, 1.0) and _same_type(eqn, b):
        return b
    return None


@_rule("div")
def _div(eqn: Eqn, ins: list[Atom], consts: dict[Var, Any]) -> Atom | None:
    a, b = ins
    return a if _is_const(b, consts, 1.0) and _same_type(eqn, a) else None


def _is_zero(x: Atom, consts: dict[Var, Any], negative: bool) -> bool:
    """Is ``x`` a constant zero, of the given sign if it is floating point?
    ``x + (-0.0)`` and ``x - (+0.0)`` are ``x`` for every ``x``; ``x + 0.0``
    is not (``-0.0 + 0.0`` is ``+0.0``, and ``1 / x`` tells them apart)."""
    if not _is_const(x, consts, 0.0):
        return False
    v = np.asarray(x.val if isinstance(x, Literal) else consts[x])
    return v.dtype.kind not in "fc" or bool(np.all(np.signbit(np.real(v)) == negative))


@_rule("add")
def _add(eqn: Eqn, ins: list[Atom], consts: dict[Var, Any]) -> Atom | None:
    a, b = ins
    if _is_zero(b, consts, negative=True) and _same_type(eqn, a):
        return a
    if _is_zero(a, consts, negative=True) and _same_type(eqn, b):
        return b
    return None


@_rule("sub")
def _sub(eqn: Eqn, ins: list[Atom], consts: dict[Var, Any]) -> Atom | None:
    a, b = ins
    return a if _is_zero(b, consts, negative=False) and _same_type(eqn, a) else None


@_rule("convert_element_type", "reshape", "broadcast_in_dim")
def _identity_if_same_type(eqn: Eqn, ins: list[Atom], consts: dict[Var, Any]) -> Atom | None:
    return ins[0] if _same_type(eqn, ins[0]) else None


@_rule("transpose")
def _transpose(eqn: Eqn, ins: list[Atom], consts: dict[Var, Any]) -> Atom | None:
    perm = eqn.params["permutation"]
    return ins[0] if tuple(perm) == tuple(range(len(perm))) else None


@_rule("reduce_sum", "reduce_max", "reduce_min")
def _reduce_over_no_axes(eqn: Eqn, ins: list[Atom], consts: dict[Var, Any]) -> Atom | None:
    return ins[0] if not eqn.params["axes"] else None


@_rule("integer_pow")
def _integer_pow(eqn: Eqn, ins: list[Atom], consts: dict[Var, Any]) -> Atom | None:
    return ins[0] if eqn.params["y"] == 1 else None


@_rule("select")
def _select(eqn: Eqn, ins: list[Atom], consts: dict[Var, Any]) -> Atom | None:
    _, a, b = ins
    return a if a is b and _same_type(eqn, a) else None


def simplify(closed: ClosedJaxpr, run_dce: bool = True) -> ClosedJaxpr:
    """Remove equations that compute nothing and fuse shape ops that compose.

    Also rewrites ``neg(neg(x))``, ``reshape(reshape(x))`` and
    ``transpose(transpose(x))`` into one (or no) equation.
    """
    j = closed.jaxpr
    consts = {
        v: c for v, c in zip(j.constvars, closed.consts, strict=True) if not isinstance(c, Tracer)
    }
    producer: dict[Var, Eqn] = {}
    env: Env = {}
    eqns: list[Eqn] = []
    for eqn in j.eqns:
        ins = _subst_all(env, eqn.invars)
        rule = _RULES.get(eqn.primitive.name)
        if rule is not None and len(eqn.outvars) == 1:
            repl = rule(eqn, ins, consts)
            if repl is not None:
                env[eqn.outvars[0]] = repl
                continue
        new = _compose(eqn, ins, producer)
        if new is None and eqn.primitive.name == "dot_general":
            new = _dot_with_identity(eqn, ins, consts)
        if new is None:
            new = _same(eqn, ins)
        elif isinstance(new, (Var, Literal)):
            env[eqn.outvars[0]] = new
            continue
        if new.primitive.name in _COMPOSABLE:  # only these are looked up
            for v in new.outvars:
                producer[v] = new
        eqns.append(new)
    result = _rebuild(closed, eqns, env)
    return dce(result) if run_dce else result


def _is_identity(x: Atom, consts: dict[Var, Any]) -> bool:
    if not isinstance(x, Var) or x not in consts:
        return False
    c = np.asarray(consts[x])
    return bool(
        c.ndim == 2
        and c.shape[0] == c.shape[1]
        and c.dtype.kind == "f"
        and np.array_equal(c, np.eye(c.shape[0], dtype=c.dtype))
    )


def _dot_with_identity(eqn: Eqn, ins: list[Atom], consts: dict[Var, Any]) -> Eqn | Atom | None:
    """``x @ I`` (any contraction with an identity matrix) is a transpose of x.

    jacfwd and hessian push the identity basis through linear maps, so
    ``X @ eye(n)`` is common in their jaxprs."""
    (xc, yc), (xb, _) = eqn.params["dimension_numbers"]
    if xb or len(xc) != 1:
        return None
    x, y = ins
    out = eqn.outvars[0]
    transpose_p = _prim("transpose")
    if _is_identity(y, consts) and x.aval.dtype == out.aval.dtype:
        k = xc[0]
        perm = (*(d for d in range(x.aval.ndim) if d != k), k)
    elif _is_identity(x, consts) and y.aval.dtype == out.aval.dtype:
        k = yc[0]
        perm = (k, *(d for d in range(y.aval.ndim) if d != k))
        x = y
    else:
        return None
    if perm == tuple(range(len(perm))):
        return x
    return Eqn(transpose_p, [x], [out], {"permutation": perm})


def _prim(name: str) -> Primitive:
    from funcdiff.core.primitive import REGISTRY

    return REGISTRY[name]


_COMPOSABLE = frozenset(("neg", "reshape", "transpose"))


def _compose(eqn: Eqn, ins: list[Atom], producer: dict[Var, Eqn]) -> Eqn | Atom | None:
    """Fold a unary shape op or negation into the same op that produced its input."""
    name = eqn.primitive.name
    if name not in _COMPOSABLE or not isinstance(ins[0], Var):
        return None
    prev = producer.get(ins[0])
    if prev is None or prev.primitive is not eqn.primitive:
        return None
    src = prev.invars[0]
    if name == "neg":
        return src
    if name == "reshape":
        if src.aval.shape == eqn.outvars[0].aval.shape:
            return src
        return Eqn(eqn.primitive, [src], eqn.outvars, eqn.params)
    p1, p2 = prev.params["permutation"], eqn.params["permutation"]
    perm = tuple(p1[i] for i in p2)
    if perm == tuple(range(len(perm))):
        return src
    return Eqn(eqn.primitive, [src], eqn.outvars, {"permutation": perm})


# ---------------------------------------------------------------------------
# scalar factors
# ---------------------------------------------------------------------------


def _uniform(c: np.ndarray) -> bool:
    """Does every element of ``c`` equal its first, sign of zero included?"""
    first = c.flat[0]
    return bool(np.all(c == first)) and bool(np.all(np.signbit(c) == np.signbit(first)))


def fold_scalars(closed: ClosedJaxpr, run_dce: bool = True) -> ClosedJaxpr:
    """Fold chains of scalar multiplies and negations (``neg``, ``* 2.0``,
    ``* -1.0`` -> one ``* -2.0`` or nothing) and use a scalar instead of a
    broadcast of one (``x * broadcast(100.0)`` -> ``x * 100.0``).

    Reverse mode leaves these behind: the cotangent of a sum is a broadcast
    of 1.0, and every linear rule multiplies by its own constant.
    """
    from funcdiff.core.primitive import REGISTRY

    mul_p, neg_p, bcast_p = REGISTRY["mul"], REGISTRY["neg"], REGISTRY["broadcast_in_dim"]
    scalar: dict[Var, Any] = {}  # var -> the numpy scalar it holds everywhere
    for v, c in zip(closed.jaxpr.constvars, closed.consts, strict=True):
        if isinstance(c, np.ndarray) and c.size > 1 and c.dtype.kind == "f":
            if all(st == 0 for st in c.strides) or (c.size <= 1 << 20 and _uniform(c)):
                scalar[v] = c.flat[0]
    factor: dict[Var, tuple[Atom, Any]] = {}  # var -> (base, c): var == base * c
    env: Env = {}
    eqns: list[Eqn] = []

    def scalar_of(x: Atom) -> Any:
        if isinstance(x, Literal):
            if isinstance(x.val, np.floating):
                return x.val
            v = np.asarray(x.val)
            return v[()] if v.ndim == 0 and v.dtype.kind == "f" else None
        return scalar.get(x)

    for eqn in closed.jaxpr.eqns:
        ins = _subst_all(env, eqn.invars)
        name = eqn.primitive.name
        out = eqn.outvars[0]
        new: Eqn | None = None
        if name == "broadcast_in_dim":
            sv = scalar_of(ins[0])
            if sv is not None:
                scalar[out] = sv
        elif name in ("mul", "neg") and out.aval.dtype.kind == "f":
            if name == "neg":
                x, c = ins[0], out.aval.dtype.type(-1)
            else:
                a, b = ins
                sa, sb = scalar_of(a), scalar_of(b)
                if sa is not None and sb is not None:
                    scalar[out] = out.aval.dtype.type(sa * sb)
                    new = Eqn(
                        bcast_p,
                        [Literal(scalar[out])],
                        [out],
                        {"shape": out.aval.shape, "broadcast_dimensions": ()},
                    )
                    x, c = a, None
                elif sb is not None and a.aval.shape == out.aval.shape:
                    x, c = a, sb
                elif sa is not None and b.aval.shape == out.aval.shape:
                    x, c = b, sa
                else:
                    x, c = a, None
            if (
                new is None
                and c is not None
                and isinstance(x, Var)
                and x.aval.dtype == out.aval.dtype
            ):
                base, c0 = factor.get(x, (x, 1.0))
                total = out.aval.dtype.type(c0 * c)
                if total == 1:
                    env[out] = base
                    continue
                factor[out] = (base, total)
                if total == -1:
                    new = Eqn(neg_p, [base], [out], {})
                else:
                    new = Eqn(mul_p, [base, Literal(total)], [out], {})
        elif name in ("add", "sub") and out.aval.dtype.kind == "f":
            a, b = ins
            sb = scalar_of(b)
            if isinstance(b, Var) and sb is not None and a.aval.shape == out.aval.shape:
                new = Eqn(eqn.primitive, [a, Literal(sb)], [out], {})
            sa = scalar_of(a)
            if (
                new is None
                and isinstance(a, Var)
                and sa is not None
                and b.aval.shape == out.aval.shape
            ):
                new = Eqn(eqn.primitive, [Literal(sa), b], [out], {})
        eqns.append(new if new is not None else _same(eqn, ins))
    result = _rebuild(closed, eqns, env)
    return dce(result) if run_dce else result


# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# pad-into-add fusion (for codegen)
# ---------------------------------------------------------------------------


def _zero_pad_start(eqn: Eqn, pad_p: Primitive) -> tuple[int, ...] | None:
    """Where a pad with zeros (no interior padding) puts its operand, or None."""
    if eqn.primitive is not pad_p or eqn.outvars[0].aval.ndim == 0:
        return None
    pv = eqn.invars[1]
    config = eqn.params["padding_config"]
    if not isinstance(pv, Literal) or not bool(np.asarray(pv.val) == 0):
        return None
    if any(interior != 0 for _, _, interior in config):
        return None
    if eqn.invars[0].aval.shape == eqn.outvars[0].aval.shape:
        return None
    return tuple(lo for lo, _, _ in config)


def _merge_pads(
    j: Jaxpr, pads: dict[Var, tuple[Eqn, tuple[int, ...]]], uses: dict[Var, int], add_p: Primitive
) -> Jaxpr:
    """``pad(a) + pad(b)``, two zero pads of the same place, as ``pad(a + b)``
    (``pads`` is updated): ``0.0 + 0.0`` is ``0.0``, and the add of the
    operands joins their element-wise neighbours (a blocked run)."""
    merged: dict[Var, Eqn] = {}  # the add's output -> the pad replacing it
    eqns: list[Eqn] = []
    for eqn in j.eqns:
        if eqn.primitive is add_p and len(eqn.invars) == 2:
            a, b = eqn.invars
            pa = pads.get(a) if isinstance(a, Var) else None
            pb = pads.get(b) if isinstance(b, Var) else None
            if (
                pa is not None
                and pb is not None
                and a is not b
                and pa[0].params == pb[0].params
                and pa[0].invars[0].aval == pb[0].invars[0].aval
                and a.aval == eqn.outvars[0].aval
            ):
                (src_a, va), (src_b, vb) = pa[0].invars, pb[0].invars
                assert isinstance(va, Literal) and isinstance(vb, Literal)  # (zero pads)
                inner = Var(src_a.aval)
                eqns.append(Eqn(add_p, [src_a, src_b], [inner], {}))
                value = Literal(np.add(va.val, vb.val))  # (-0.0 + 0.0 is 0.0)
                pad = Eqn(pa[0].primitive, [inner, value], eqn.outvars, pa[0].params)
                eqns.append(pad)
                merged[a] = merged[b] = pad  # type: ignore[index]
                if uses.get(eqn.outvars[0]) == 1:
                    pads[eqn.outvars[0]] = (pad, pa[1])
                continue
        eqns.append(eqn)
    if not merged:
        return j
    for v in merged:
        del pads[v]
    # the merged pads are gone; a merged result read once may merge or fuse again
    return Jaxpr(j.constvars, j.invars, [e for e in eqns if e.outvars[0] not in merged], j.outvars)


def fuse_pad_add(closed: ClosedJaxpr) -> ClosedJaxpr:
    """Rewrite ``add(pad(x), y)``, a zero pad read only by that add, as
    ``add_into_slice(y, x)``: the generated code adds ``x`` into the region
    of (a copy of) ``y`` instead of building the padded array. Reverse mode
    writes this for the transpose of slicing (``x[1:] - x[:-1]``).
    For ``jit``'s code generation only; the result is no input to transforms."""
    j = closed.jaxpr
    pad_p = _prim("pad")
    if not any(eqn.primitive is pad_p for eqn in j.eqns):
        return closed
    uses: dict[Var, int] = {}
    for eqn in j.eqns:
        for x in eqn.invars:
            if isinstance(x, Var):
                uses[x] = uses.get(x, 0) + 1
    for x in j.outvars:
        if isinstance(x, Var):
            uses[x] = uses.get(x, 0) + 1
    pads: dict[Var, tuple[Eqn, tuple[int, ...]]] = {}
    for eqn in j.eqns:
        start = _zero_pad_start(eqn, pad_p)
        if start is not None and uses.get(eqn.outvars[0]) == 1:
            pads[eqn.outvars[0]] = (eqn, start)
    if not pads:
        return closed
    add_p, into_p = _prim("add"), _prim("add_into_slice")
    unmerged = j
    j = _merge_pads(j, pads, uses, add_p)
    fused: set[Var] = set()
    eqns: list[Eqn] = []
    for eqn in j.eqns:
        out = eqn.outvars[0]
        padded = [x for x in eqn.invars if isinstance(x, Var) and x in pads]
        if (
            eqn.primitive is not add_p
            or not padded
            or not all(x.aval == out.aval for x in eqn.invars)
        ):
            eqns.append(eqn)
            continue
        a, b = eqn.invars
        if len(padded) == 2:  # both sides padded: add both into zeros
            # a broadcast: the constant costs no memory of its shape
            zeros = Literal(np.broadcast_to(np.zeros((), out.aval.dtype), out.aval.shape))
            pad_b, start_b = pads[b]  # type: ignore[index]
            tmp = Var(out.aval)
            src_b = pad_b.invars[0]
            eqns.append(
                Eqn(into_p, [zeros, src_b], [tmp], {"start": start_b, "shape": src_b.aval.shape})
            )
            fused.add(b)  # type: ignore[arg-type]
            other: Atom = tmp
            pad_var = a
        else:
            pad_var, other = (a, b) if a in padded else (b, a)
        pad_eqn, start = pads[pad_var]  # type: ignore[index]
        src = pad_eqn.invars[0]
        eqns.append(Eqn(into_p, [other, src], [out], {"start": start, "shape": src.aval.shape}))
        fused.add(pad_var)  # type: ignore[arg-type]
    if not fused:
        return closed if j is unmerged else ClosedJaxpr(j, closed.consts)
    eqns = [e for e in eqns if e.outvars[0] not in fused]
    return ClosedJaxpr(Jaxpr(j.constvars, j.invars, eqns, j.outvars), closed.consts)


def optimize(closed: ClosedJaxpr, max_rounds: int = 4) -> ClosedJaxpr:
    """Run every pass until the equation count stops shrinking."""
    closed = dce(closed)
    for _ in range(max_rounds):
        n = len(closed.jaxpr.eqns)
        closed = fold_constants(closed, run_dce=False)
        closed = fold_scalars(cse(closed), run_dce=False)
        closed = dce(simplify(closed, run_dce=False))
        if len(closed.jaxpr.eqns) > 0.98 * n:  # another round would gain little
            break
    return closed

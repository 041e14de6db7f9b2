"""Control-flow primitives holding sub-jaxprs: cond, while and scan.

Each primitive carries its body (or branches) as ``ClosedJaxpr`` params whose
inputs are closure-converted: values the user's functions close over are
ordinary operands of the equation, so every interpreter sees and transforms
them. The user API is ``funcdiff.lax``.

- ``cond[branches] index *ops``: runs ``branches[clamp(index)]`` on ``ops``.
- ``while[cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts] *cc *bc *carry``:
  ``while cond(cc, carry): carry = body(bc, carry)``.
- ``scan[jaxpr, num_consts, num_carry, length, reverse] *consts *init *xs``:
  ``carry, y = body(consts, carry, x[i])`` for each ``i``; outputs the final
  carry and the ``y`` stacked along a new leading axis.

Rules, all written by transforming the sub-jaxprs with
``funcdiff.interpreters.staging`` (so they compose):

- JVP: the same primitive over the JVP of the body; a loop's carry gains the
  tangents that can be non-zero (found by iterating to a fixpoint).
- VJP of ``cond``: a ``cond`` over the branches' VJPs. VJP of ``scan``: a
  forward scan storing the carry at every step (the per-iteration residuals),
  then a reverse scan whose body is one step's VJP (recomputing that step from
  its stored carry). VJP of ``while``: when the loop's inputs are concrete the
  trip count is known, so the loop is differentiated as a scan of that length;
  when they are abstract (under ``jit``) a ``WhileLoopReverseModeError`` says
  what to use instead.
- Batching: an unbatched predicate keeps the primitive with batched bodies; a
  batched ``cond`` index runs every branch and ``select``s per member; a
  batched ``while`` predicate runs until every member is done, updating only
  the members still running.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcdiff.core.ir import ClosedJaxpr, Jaxpr, ShapedArray, Var, aval_of
from funcdiff.core.primitive import Primitive, Samples, Zero, instantiate, is_float, zero_of, zeros
from funcdiff.core.trace import Tracer, bind
from funcdiff.errors import ConcretizationError, DTypeError, ShapeError
from funcdiff.interpreters.eval import eval_jaxpr
from funcdiff.interpreters.sparsity import sub_jaxpr
from funcdiff.interpreters.staging import (
    Linearized,
    apply_jvp,
    batch_jaxpr,
    batch_size,
    compile_cached,
    dce_jaxpr,
    jvp_jaxpr,
    trace_body,
    vjp_jaxpr,
)
from funcdiff.interpreters.taylor_mode import (
    flat_series,
    series_order,
    split_series,
    taylor_body,
    taylor_jaxpr,
)
from funcdiff.interpreters.vmap import vmap_jaxpr
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import reductions as red
from funcdiff.primitives import shape as sh
from funcdiff.primitives import sparsity as spd
from funcdiff.primitives.batching import to_front

Array = Any


class WhileLoopReverseModeError(ConcretizationError):
    """Reverse-mode differentiation through ``while_loop`` with an unknown trip count.

    Reverse mode has to replay the loop's iterations backwards, so it needs to
    know how many there were. funcdiff finds out by running the loop when its
    inputs are concrete (a top-level ``grad``, ``vjp`` or ``jacrev``, also
    ``grad(jit(f))``); under ``jit``, ``make_jaxpr`` or ``vmap`` they are
    abstract. Use ``fori_loop`` with static bounds or ``scan`` with a static
    length, differentiate outside ``jit`` (``grad(jit(f))`` instead of
    ``jit(grad(f))``), or use forward mode (``jvp``, ``jacfwd``), which works
    everywhere.
    """


# ---------------------------------------------------------------------------
# running bodies; body plumbing (the transforms themselves: interpreters.staging)
# ---------------------------------------------------------------------------


def _run(closed: ClosedJaxpr, args: Sequence[Any]) -> list[Any]:
    """Evaluate a body on numpy values, returning arrays."""
    return [np.asarray(o) for o in eval_jaxpr(closed.jaxpr, [], args)]


#: loops running at least this many iterations run their body as generated
#: numpy code (``staging.compile_cached``)
COMPILE_AFTER = 32


def _compiled(closed: ClosedJaxpr) -> Callable[[Sequence[Any]], list[Any]]:
    """A fast evaluator of ``closed`` on numpy values (falls back to ``_run``)."""
    try:
        fn = compile_cached(closed, name="body").fn
    except Exception:  # a primitive codegen cannot handle: interpret instead
        return lambda args: _run(closed, args)
    return lambda args: fn(*args)


def _runner(closed: ClosedJaxpr, iterations: int) -> Callable[[Sequence[Any]], list[Any]]:
    if iterations >= COMPILE_AFTER:
        return _compiled(closed)
    return lambda args: _run(closed, args)


def _while_run(
    cond_jaxpr: ClosedJaxpr,
    body_jaxpr: ClosedJaxpr,
    cc: Sequence[Any],
    bc: Sequence[Any],
    carry: Sequence[Any],
    steps: list[list[Any]] | None = None,
) -> list[Any]:
    """Run a while loop on numpy values; ``steps`` collects the carry entering each step."""
    cond = _runner(cond_jaxpr, 0)
    body = _runner(body_jaxpr, 0)
    n = 0
    carry = list(carry)
    while _truth(cond([*cc, *carry])[0]):
        if steps is not None:
            steps.append(carry)
        carry = list(body([*bc, *carry]))
        n += 1
        if n == COMPILE_AFTER:  # a long loop: switch to generated code
            cond = _compiled(cond_jaxpr)
            body = _compiled(body_jaxpr)
    return [np.asarray(c) for c in carry]


def _reorder(
    closed: ClosedJaxpr, in_order: Sequence[int] | None, out_order: Sequence[int] | None = None
) -> ClosedJaxpr:
    """The same body with its inputs (and outputs) permuted."""
    j = closed.jaxpr
    invars = j.invars if in_order is None else [j.invars[i] for i in in_order]
    outvars = j.outvars if out_order is None else [j.outvars[i] for i in out_order]
    return ClosedJaxpr(Jaxpr([], invars, j.eqns, outvars), [])


def _pad_inputs(closed: ClosedJaxpr, avals: Sequence[ShapedArray]) -> ClosedJaxpr:
    """The same body taking extra (unused) trailing inputs of ``avals``."""
    j = closed.jaxpr
    return ClosedJaxpr(Jaxpr([], [*j.invars, *[Var(a) for a in avals]], j.eqns, j.outvars), [])


def join_branches(
    subs: Sequence[tuple[ClosedJaxpr, list[Any]]],
) -> tuple[tuple[ClosedJaxpr, ...], list[Any]]:
    """Give every branch the same leading constants: the union of all branches'.

    Each ``(closed, consts)`` has inputs ``[*consts, *operands]``; the result
    branches all take ``[*all_consts, *operands]`` (a branch ignores the
    constants of the others), ready for one ``cond`` equation.
    """
    all_consts: list[Any] = []
    index: dict[int, int] = {}
    for _, consts in subs:
        for c in consts:
            if id(c) not in index:
                index[id(c)] = len(all_consts)
                all_consts.append(c)
    avals = [aval_of(c) for c in all_consts]
    out = []
    for closed, consts in subs:
        j = closed.jaxpr
        lead: list[Var] = [Var(a) for a in avals]
        for v, c in zip(j.invars, consts, strict=False):
            lead[index[id(c)]] = v
        invars = [*lead, *j.invars[len(consts) :]]
        out.append(ClosedJaxpr(Jaxpr([], invars, j.eqns, j.outvars), []))
    return tuple(out), all_consts


def _at_front(flags: Sequence[bool]) -> list[int | None]:
    """Batch axes for values batched (at the front) where ``flags`` says."""
    return [0 if b else None for b in flags]


def _nonzero(ts: Sequence[Any], ps: Sequence[Any]) -> list[bool]:
    return [not isinstance(t, Zero) and is_float(aval_of(p)) for t, p in zip(ts, ps, strict=True)]


def _pick(xs: Sequence[Any], mask: Sequence[bool]) -> list[Any]:
    return [x for x, m in zip(xs, mask, strict=True) if m]


def _scatter(vals: Sequence[Any], mask: Sequence[bool], fill: Sequence[Any]) -> list[Any]:
    """Values where ``mask``, ``fill`` elsewhere (inverse of ``_pick``)."""
    it = iter(vals)
    return [next(it) if m else f for m, f in zip(mask, fill, strict=True)]


def _avals_text(avals: Sequence[ShapedArray]) -> str:
    return "(" + ", ".join(a.str_short() for a in avals) + ")"


def _concrete(x: Any) -> Any:
    """The value if known now (numpy, or a tracer whose value chain ends in one), else None."""
    while isinstance(x, Tracer):
        x = x.val
    return x


def _is_concrete(x: Any) -> bool:
    return _concrete(x) is not None


def _contains_while(jaxpr: Jaxpr) -> bool:
    """Does ``jaxpr`` hold a while equation, at any depth of nesting?"""
    stack = [jaxpr]
    while stack:
        for eqn in stack.pop().eqns:
            if eqn.primitive is while_p:
                return True
            for p in eqn.params.values():
                for q in p if isinstance(p, tuple) else (p,):
                    if isinstance(q, ClosedJaxpr):
                        stack.append(q.jaxpr)
                    elif isinstance(q, Jaxpr):
                        stack.append(q)
    return False


def _truth(x: Any) -> bool:
    return bool(np.asarray(x))


# ---------------------------------------------------------------------------
# cond(index, *operands): run branches[clamp(index)]
# ---------------------------------------------------------------------------


def _cond_impl(index: Array, *args: Array, branches: tuple[ClosedJaxpr, ...]) -> list[Array]:
    i = min(max(int(index), 0), len(branches) - 1)
    return _run(branches[i], args)


def _cond_abstract_eval(
    index: ShapedArray, *args: ShapedArray, branches: tuple[ClosedJaxpr, ...]
) -> list[ShapedArray]:
    if index.shape != () or index.dtype.kind not in "iu":
        raise DTypeError(
            f"cond: the branch index must be an integer scalar, got {index.str_short()}; "
            "convert a predicate with astype(int) (funcdiff.lax.cond does this)"
        )
    outs = branches[0].out_avals
    for k, br in enumerate(branches):
        if br.in_avals != list(args):
            raise ShapeError(
                f"cond: branch {k} takes {_avals_text(br.in_avals)} but the operands are "
                f"{_avals_text(args)}"
            )
        if br.out_avals != outs:
            raise ShapeError(
                f"cond: branch {k} returns {_avals_text(br.out_avals)} but branch 0 returns "
                f"{_avals_text(outs)}; every branch must return the same shapes and dtypes"
            )
    return list(outs)


def _cond_jvp(
    primals: Sequence[Any],
    tangents: Sequence[Any],
    out: Any,
    *,
    branches: tuple[ClosedJaxpr, ...],
) -> list[Any]:
    index, *args = primals
    nz = _nonzero(tangents[1:], args)
    out_avals = branches[0].out_avals
    i = _concrete(index)
    if i is not None:  # the branch is known: its JVP directly
        branch = branches[min(max(int(i), 0), len(branches) - 1)]
        ts = [t if n else Zero(aval_of(a)) for t, n, a in zip(tangents[1:], nz, args, strict=True)]
        return apply_jvp(branch, args, ts)
    nout = len(out_avals)
    out_nz = [False] * nout
    if any(nz):
        for br in branches:
            natural = jvp_jaxpr(br, nz, [False] * nout, with_primals=False)[2]
            out_nz = [a or b for a, b in zip(out_nz, natural, strict=True)]
    if not any(out_nz):
        return [Zero(a) for a in out_avals]
    subs = [jvp_jaxpr(br, nz, out_nz, with_primals=False)[:2] for br in branches]
    joined, consts = join_branches(subs)
    touts = bind(cond_p, index, *consts, *args, *_pick(tangents[1:], nz), branches=joined)
    return _scatter(touts, out_nz, [Zero(a) for a in out_avals])


def _cond_vjp(
    cts: Sequence[Any],
    primals: Sequence[Any],
    out: Any,
    needs: Sequence[bool],
    *,
    branches: tuple[ClosedJaxpr, ...],
) -> list[Any]:
    index, *args = primals
    need = [n and is_float(aval_of(a)) for n, a in zip(needs[1:], args, strict=True)]
    ct_nz = [not isinstance(c, Zero) for c in cts]
    if not any(need) or not any(ct_nz):
        return [zero_of(p) for p in primals]
    i = _concrete(index)
    if i is not None:
        # the branch is known: its backward pass directly (values stay concrete,
        # so loops inside it can be reverse-differentiated)
        branch = branches[min(max(int(i), 0), len(branches) - 1)]
        return [zero_of(index), *Linearized(branch, args).pullback(cts, need)]
    joined, consts = join_branches([vjp_jaxpr(br, need, ct_nz) for br in branches])
    res = bind(cond_p, index, *consts, *args, *_pick(cts, ct_nz), branches=joined)
    return [zero_of(index), *_scatter(res, need, [zero_of(a) for a in args])]


def _cond_batch(
    args: Sequence[Any], dims: Sequence[int | None], *, branches: tuple[ClosedJaxpr, ...]
) -> tuple[list[Any], list[int | None]]:
    size = batch_size(args, dims)
    index, idim = args[0], dims[0]
    ops = [to_front(x, d) for x, d in zip(args[1:], dims[1:], strict=True)]
    in_dims = _at_front([d is not None for d in dims[1:]])
    nout = len(branches[0].out_avals)
    if idim is None:
        subs = [batch_jaxpr(br, in_dims, size, [0] * nout)[:2] for br in branches]
        joined, consts = join_branches(subs)
        outs = bind(cond_p, index, *consts, *ops, branches=joined)
        return list(outs), [0] * nout
    # a batched index: every branch runs on the whole batch, select per member
    index = to_front(index, idim)
    result: list[Any] = []
    for k, br in enumerate(branches):
        outs, odims = vmap_jaxpr(br.jaxpr, [], ops, in_dims)
        outs = [to_front(o, d, size) for o, d in zip(outs, odims, strict=True)]
        if k == 0:
            result = outs
            continue
        # members whose index is >= k take branch k (so indices clamp like cond's)
        pick = ew.ge(index, k)
        result = [
            ew.select(sh.reshape(pick, (size,) + (1,) * (aval_of(o).ndim - 1)), o, r)
            for o, r in zip(outs, result, strict=True)
        ]
    return result, [0] * nout


def _cond_samples(rng: np.random.Generator) -> Samples:
    f = ShapedArray((3,), np.float64)
    s = ShapedArray((), np.float64)

    def two(b0: Callable[..., list[Any]], b1: Callable[..., list[Any]], avals: Any) -> Any:
        return join_branches([trace_body(b0, avals), trace_body(b1, avals)])

    br1, c1 = two(
        lambda x, y: [ew.mul(ew.sin(x), y)],
        lambda x, y: [ew.add(ew.mul(x, ew.cos(y)), y)],
        [f, f],
    )
    # one branch's output does not depend on the operands (a symbolic-zero tangent)
    br2, c2 = two(
        lambda x, y: [ew.mul(x, y), ew.exp(y)],
        lambda x, y: [np.full((3,), 2.0), ew.mul(y, y)],
        [f, s],
    )
    br3, c3 = join_branches(
        [
            trace_body(lambda x: [ew.sin(x)], [s]),
            trace_body(lambda x: [ew.mul(x, x)], [s]),
            trace_body(lambda x: [ew.neg(ew.exp(x))], [s]),
        ]
    )
    i32 = np.int32
    return [
        ((i32(0), *c1, rng.normal(size=3), rng.normal(size=3)), {"branches": br1}),
        ((i32(1), *c1, rng.normal(size=3), rng.normal(size=3)), {"branches": br1}),
        ((i32(1), *c2, rng.normal(size=3), rng.normal(size=())), {"branches": br2}),
        ((i32(0), *c2, rng.normal(size=3), rng.normal(size=())), {"branches": br2}),
        ((i32(2), *c3, rng.normal(size=())), {"branches": br3}),
        ((i32(7), *c3, rng.normal(size=())), {"branches": br3}),
    ]


def _cond_sparsity(
    ctx: spd.Context, deps: Sequence[Any], *, branches: tuple[ClosedJaxpr, ...]
) -> list[Any]:
    """The union over the branches (only the taken one when the index is known)."""
    index = ctx.known[0]
    if index is not None:
        branches = (branches[min(max(int(index), 0), len(branches) - 1)],)
    outs = [sub_jaxpr(ctx, br, deps[1:], ctx.known[1:]) for br in branches]
    return [spd.union(*col) for col in zip(*outs, strict=True)]


def _cond_taylor(
    primals: Sequence[Any], series: Sequence[Any], *, branches: tuple[ClosedJaxpr, ...]
) -> tuple[list[Any], list[Any]]:
    """The known branch in Taylor mode; with an abstract index, a ``cond``
    over every branch's Taylor body (the index has no series)."""
    index, *args = primals
    s_args = series[1:]
    i = _concrete(index)
    if i is not None:
        return taylor_jaxpr(branches[min(max(int(i), 0), len(branches) - 1)], args, s_args)
    k = series_order(s_args)
    nz = _nonzero(s_args, args)
    subs = []
    out_nz: list[bool] = []
    for br in branches:
        body, consts, out_nz = taylor_body(br, nz, k)
        subs.append((body, consts))
    joined, consts = join_branches(subs)
    res = bind(cond_p, index, *consts, *args, *flat_series(s_args, args, nz, k), branches=joined)
    n = len(branches[0].out_avals)
    return list(res[:n]), split_series(res[n:], res[:n], out_nz, k)


def _cond_lower(ctx: Any, index: Any, *args: Any, branches: tuple[ClosedJaxpr, ...]) -> list[Any]:
    # lax.switch clamps the index into range, as _cond_impl does
    fns = [functools.partial(ctx.call, br) for br in branches]
    return list(ctx.lax.switch(index, fns, *args))


cond_p = Primitive(
    "cond",
    multiple_results=True,
    impl=_cond_impl,
    abstract_eval=_cond_abstract_eval,
    lower_jax=_cond_lower,
    jvp=_cond_jvp,
    vjp=_cond_vjp,
    taylor=_cond_taylor,
    batch=_cond_batch,
    sparsity=_cond_sparsity,
    samples=_cond_samples,
)


# ---------------------------------------------------------------------------
# scan(*consts, *init, *xs): carry, y = body(consts, carry, x) along axis 0
# ---------------------------------------------------------------------------


def _scan_split(
    args: Sequence[Any], num_consts: int, num_carry: int
) -> tuple[list[Any], list[Any], list[Any]]:
    args = list(args)
    return (
        args[:num_consts],
        args[num_consts : num_consts + num_carry],
        args[num_consts + num_carry :],
    )


def _scan_impl(
    *args: Array,
    jaxpr: ClosedJaxpr,
    num_consts: int,
    num_carry: int,
    length: int,
    reverse: bool,
) -> list[Array]:
    consts, carry, xs = _scan_split(args, num_consts, num_carry)
    xs = [np.asarray(x) for x in xs]
    ys: list[list[Array]] = []
    run = _runner(jaxpr, length)
    for i in range(length - 1, -1, -1) if reverse else range(length):
        outs = run([*consts, *carry, *[x[i] for x in xs]])
        carry = outs[:num_carry]
        ys.append(outs[num_carry:])
    if reverse:
        ys.reverse()
    y_avals = jaxpr.out_avals[num_carry:]
    stacked = [
        np.stack([y[k] for y in ys]) if ys else np.zeros((0, *a.shape), a.dtype)
        for k, a in enumerate(y_avals)
    ]
    return [np.asarray(c) for c in carry] + stacked


def _scan_abstract_eval(
    *args: ShapedArray,
    jaxpr: ClosedJaxpr,
    num_consts: int,
    num_carry: int,
    length: int,
    reverse: bool,
) -> list[ShapedArray]:
    consts, carry, xs = _scan_split(args, num_consts, num_carry)
    for x in xs:
        if x.ndim == 0 or x.shape[0] != length:
            raise ShapeError(
                f"scan: every scanned input needs a leading axis of length {length}, "
                f"got {x.str_short()}"
            )
    want = [*consts, *carry, *[ShapedArray(x.shape[1:], x.dtype) for x in xs]]
    if jaxpr.in_avals != want:
        raise ShapeError(
            f"scan: the body takes {_avals_text(jaxpr.in_avals)} but is given "
            f"{_avals_text(want)} (constants, carry, one slice of xs)"
        )
    outs = jaxpr.out_avals
    if outs[:num_carry] != list(carry):
        raise ShapeError(
            f"scan: the body returns the carry {_avals_text(outs[:num_carry])} but it "
            f"came in as {_avals_text(carry)}; the carry must keep its shapes and dtypes"
        )
    return [*carry, *[ShapedArray((length, *y.shape), y.dtype) for y in outs[num_carry:]]]


def _scan_jvp(
    primals: Sequence[Any],
    tangents: Sequence[Any],
    out: Any,
    *,
    jaxpr: ClosedJaxpr,
    num_consts: int,
    num_carry: int,
    length: int,
    reverse: bool,
) -> list[Any]:
    nc, nk = num_consts, num_carry
    consts, init, xs = _scan_split(primals, nc, nk)
    t_consts, t_init, t_xs = _scan_split(tangents, nc, nk)
    c_nz, k_nz, x_nz = _nonzero(t_consts, consts), _nonzero(t_init, init), _nonzero(t_xs, xs)
    ny = len(jaxpr.out_avals) - nk
    y_nz = [False] * ny
    while True:  # carries whose tangent can become non-zero: iterate to a fixpoint
        body, bconsts, natural = jvp_jaxpr(jaxpr, [*c_nz, *k_nz, *x_nz], [*k_nz, *y_nz])
        new_k = [a or b for a, b in zip(k_nz, natural[:nk], strict=True)]
        new_y = [a or b for a, b in zip(y_nz, natural[nk:], strict=True)]
        if new_k == k_nz and new_y == y_nz:
            break
        k_nz, y_nz = new_k, new_y
    out_avals = _scan_abstract_eval(
        *[aval_of(p) for p in primals],
        jaxpr=jaxpr,
        num_consts=nc,
        num_carry=nk,
        length=length,
        reverse=reverse,
    )
    if not any(k_nz) and not any(y_nz):
        return [Zero(a) for a in out_avals]
    # body inputs: [bconsts, consts, carry, xs, tc, tk, tx] -> [bconsts, consts, tc,
    # carry, tk, xs, tx]; outputs: [carry, ys, tk, ty] -> [carry, tk, ys, ty]
    nb, ntc, ntk, ntx = len(bconsts), sum(c_nz), sum(k_nz), sum(x_nz)
    nx = len(xs)
    pos = list(range(nb + nc + nk + nx + ntc + ntk + ntx))
    b, c, k, x = 0, nb, nb + nc, nb + nc + nk
    tc = x + nx
    tk, tx = tc + ntc, tc + ntc + ntk
    in_order = [
        *pos[b:c],
        *pos[c:k],
        *pos[tc:tk],
        *pos[k:x],
        *pos[tk:tx],
        *pos[x:tc],
        *pos[tx:],
    ]
    nty = sum(y_nz)
    out_order = [
        *range(nk),
        *range(nk + ny, nk + ny + ntk),
        *range(nk, nk + ny),
        *range(nk + ny + ntk, nk + ny + ntk + nty),
    ]
    body = _reorder(body, in_order, out_order)
    res = bind(
        scan_p,
        *bconsts,
        *consts,
        *_pick(t_consts, c_nz),
        *init,
        *[instantiate(t) for t in _pick(t_init, k_nz)],
        *xs,
        *_pick(t_xs, x_nz),
        jaxpr=body,
        num_consts=nb + nc + ntc,
        num_carry=nk + ntk,
        length=length,
        reverse=reverse,
    )
    t_carry = res[nk : nk + ntk]
    t_ys = res[nk + ntk + ny :]
    return [
        *_scatter(t_carry, k_nz, [Zero(a) for a in out_avals[:nk]]),
        *_scatter(t_ys, y_nz, [Zero(a) for a in out_avals[nk:]]),
    ]


def _residual_body(jaxpr: ClosedJaxpr, num_consts: int, num_carry: int) -> ClosedJaxpr:
    """The body returning its input carry as the per-step output (the residuals)."""
    j = jaxpr.jaxpr
    carry_in = j.invars[num_consts : num_consts + num_carry]
    swapped = ClosedJaxpr(Jaxpr([], j.invars, j.eqns, [*j.outvars[:num_carry], *carry_in]), [])
    return dce_jaxpr(swapped)[0]


def scan_backward(
    jaxpr: ClosedJaxpr,
    consts: Sequence[Any],
    residuals: Sequence[Any],
    xs: Sequence[Any],
    ct_carry: Sequence[Any],
    ct_ys: Sequence[Any],
    needs_consts: Sequence[bool],
    needs_xs: Sequence[bool],
    length: int,
    reverse: bool,
) -> tuple[list[Any], list[Any], list[Any]]:
    """The backward sweep of a scan, as a scan in the opposite direction.

    ``residuals`` are the carries entering each step (stacked). Each backward
    step recomputes its forward step from its stored carry and applies that
    step's VJP. Returns ``(ct_consts, ct_init, ct_xs)`` with a ``Zero`` where
    an input needs no cotangent (or is not floating point).
    """
    nc, nk = len(consts), len(residuals)
    j = jaxpr.jaxpr
    in_avals = [v.aval for v in j.invars]
    c_avals, k_avals, x_avals = _scan_split(in_avals, nc, nk)
    y_avals = [v.aval for v in j.outvars[nk:]]
    k_float = [is_float(a) for a in k_avals]
    c_need = [n and is_float(a) for n, a in zip(needs_consts, c_avals, strict=True)]
    x_need = [n and is_float(a) for n, a in zip(needs_xs, x_avals, strict=True)]
    y_nz = [not isinstance(c, Zero) for c in ct_ys]
    nkf, ncn = sum(k_float), sum(c_need)

    def one_step(
        cs: Sequence[Any],
        ct_k: Sequence[Any],
        acc: Sequence[Any],
        carry: Sequence[Any],
        x: Sequence[Any],
        ct_y: Sequence[Any],
    ) -> list[Any]:
        """One backward step: recompute the step's forward pass, apply its VJP."""
        it_k, it_y = iter(ct_k), iter(ct_y)
        cts_out = [next(it_k) if f else Zero(a) for f, a in zip(k_float, k_avals, strict=True)]
        cts_out += [next(it_y) if nz else Zero(a) for nz, a in zip(y_nz, y_avals, strict=True)]
        lin = Linearized(jaxpr, [*cs, *carry, *x])
        res = lin.pullback(cts_out, [*c_need, *k_float, *x_need])
        r_c, r_k, r_x = _scan_split(res, nc, nk)
        new_ct_k = [instantiate(r) for r, f in zip(r_k, k_float, strict=True) if f]
        new_acc = [
            a if isinstance(r, Zero) else ew.add(a, r)
            for a, r in zip(acc, _pick(r_c, c_need), strict=True)
        ]
        ct_x = [instantiate(r) for r, need in zip(r_x, x_need, strict=True) if need]
        return [*new_ct_k, *new_acc, *ct_x]

    def step(*args: Any) -> list[Any]:
        nx = len(x_avals)
        cs, rest = args[:nc], args[nc:]
        ct_k, acc, rest = rest[:nkf], rest[nkf : nkf + ncn], rest[nkf + ncn :]
        return one_step(cs, ct_k, acc, rest[:nk], rest[nk : nk + nx], rest[nk + nx :])

    ct_k0 = [instantiate(c) for c in _pick(ct_carry, k_float)]
    acc0 = [zeros(a) for a in _pick(c_avals, c_need)]
    ct_y_nz = _pick(ct_ys, y_nz)
    if _contains_while(j) and all(_is_concrete(v) for v in (*consts, *residuals, *xs)):
        # A while_loop inside the body needs concrete values for its own reverse
        # mode, which a traced backward body cannot give it: sweep in Python.
        ct_k, acc = ct_k0, acc0
        ct_x_steps: list[list[Any]] = []
        for i in range(length) if reverse else range(length - 1, -1, -1):
            out = one_step(
                consts,
                ct_k,
                acc,
                [r[i] for r in residuals],
                [x[i] for x in xs],
                [c[i] for c in ct_y_nz],
            )
            ct_k, acc = out[:nkf], out[nkf : nkf + ncn]
            ct_x_steps.append(out[nkf + ncn :])
        if not reverse:
            ct_x_steps.reverse()
        stacked = [
            ix.concatenate([sh.expand_dims(s[k], 0) for s in ct_x_steps], 0)
            if ct_x_steps
            else zeros(ShapedArray((0, *a.shape), a.dtype))
            for k, a in enumerate(_pick(x_avals, x_need))
        ]
        res = [*ct_k, *acc, *stacked]
        return (
            _scatter(res[nkf : nkf + ncn], c_need, [Zero(a) for a in c_avals]),
            _scatter(res[:nkf], k_float, [Zero(a) for a in k_avals]),
            _scatter(res[nkf + ncn :], x_need, [Zero(a) for a in x_avals]),
        )

    body, bconsts = trace_body(
        step,
        [
            *c_avals,
            *_pick(k_avals, k_float),
            *_pick(c_avals, c_need),
            *k_avals,
            *x_avals,
            *_pick(y_avals, y_nz),
        ],
    )
    res = bind(
        scan_p,
        *bconsts,
        *consts,
        *ct_k0,
        *acc0,
        *residuals,
        *xs,
        *ct_y_nz,
        jaxpr=body,
        num_consts=len(bconsts) + nc,
        num_carry=nkf + ncn,
        length=length,
        reverse=not reverse,
    )
    ct_init = _scatter(res[:nkf], k_float, [Zero(a) for a in k_avals])
    ct_consts = _scatter(res[nkf : nkf + ncn], c_need, [Zero(a) for a in c_avals])
    ct_xs = _scatter(res[nkf + ncn :], x_need, [Zero(a) for a in x_avals])
    return ct_consts, ct_init, ct_xs


def _scan_vjp(
    cts: Sequence[Any],
    primals: Sequence[Any],
    out: Any,
    needs: Sequence[bool],
    *,
    jaxpr: ClosedJaxpr,
    num_consts: int,
    num_carry: int,
    length: int,
    reverse: bool,
) -> list[Any]:
    nc, nk = num_consts, num_carry
    consts, _, xs = _scan_split(primals, nc, nk)
    n_consts, _, n_xs = _scan_split(needs, nc, nk)
    # forward: the carry entering every step, stacked (the per-iteration residuals)
    residuals = bind(
        scan_p,
        *primals,
        jaxpr=_residual_body(jaxpr, nc, nk),
        num_consts=nc,
        num_carry=nk,
        length=length,
        reverse=reverse,
    )[nk:]
    ct_consts, ct_init, ct_xs = scan_backward(
        jaxpr, consts, residuals, xs, cts[:nk], cts[nk:], n_consts, n_xs, length, reverse
    )
    return [*ct_consts, *ct_init, *ct_xs]


def _scan_batch(
    args: Sequence[Any],
    dims: Sequence[int | None],
    *,
    jaxpr: ClosedJaxpr,
    num_consts: int,
    num_carry: int,
    length: int,
    reverse: bool,
) -> tuple[list[Any], list[int | None]]:
    nc, nk = num_consts, num_carry
    size = batch_size(args, dims)
    consts, init, xs = _scan_split(args, nc, nk)
    d_consts, d_init, d_xs = _scan_split(dims, nc, nk)
    consts = [to_front(x, d) for x, d in zip(consts, d_consts, strict=True)]
    init = [to_front(x, d) for x, d in zip(init, d_init, strict=True)]
    # scanned inputs keep axis 0 for the scan: their batch axis goes to 1
    xs = [x if d is None else sh.moveaxis(x, d, 1) for x, d in zip(xs, d_xs, strict=True)]
    c_b = [d is not None for d in d_consts]
    k_b = [d is not None for d in d_init]
    x_b = [d is not None for d in d_xs]
    ny = len(jaxpr.out_avals) - nk
    while True:  # carries that become batched: iterate to a fixpoint
        in_dims = _at_front([*c_b, *k_b, *x_b])
        body, bconsts, out_b = batch_jaxpr(jaxpr, in_dims, size, [*_at_front(k_b), *[None] * ny])
        new_k = [a or b for a, b in zip(k_b, out_b[:nk], strict=True)]
        if new_k == k_b:
            break
        k_b = new_k
    init = [
        to_front(x, None, size) if b and d is None else x
        for x, b, d in zip(init, k_b, d_init, strict=True)
    ]
    outs = bind(
        scan_p,
        *bconsts,
        *consts,
        *init,
        *xs,
        jaxpr=body,
        num_consts=len(bconsts) + nc,
        num_carry=nk,
        length=length,
        reverse=reverse,
    )
    out_dims = _at_front(k_b)
    out_dims += [1 if b else None for b in out_b[nk:]]
    return list(outs), out_dims


def _scan_samples(rng: np.random.Generator) -> Samples:
    s = ShapedArray((), np.float64)
    v = ShapedArray((3,), np.float64)
    i64 = ShapedArray((), np.int64)

    # consts (w,), carry (h,), xs (x,): h' = tanh(w * h + x), y = h' * h'
    def rnn(w: Any, h: Any, x: Any) -> list[Any]:
        h2 = bind(ew.tanh_p, ew.add(ew.mul(w, h), x))
        return [h2, ew.mul(h2, h2)]

    body1, c1 = trace_body(rnn, [v, v, v])

    # carry (i, acc) with an int counter, no xs, an output that ignores the carry
    def count(a: Any, i: Any, acc: Any) -> list[Any]:
        return [
            ew.add(i, np.int64(1)),
            ew.add(ew.mul(acc, ew.cos(a)), ew.convert(i, np.float64)),
            a,
        ]

    body2, c2 = trace_body(count, [s, i64, s])
    # no consts; carry (c,), xs (x,): c' = c * sin(x), y = c + x
    body3, c3 = trace_body(lambda c, x: [ew.mul(c, ew.sin(x)), ew.add(c, x)], [v, v])
    w = rng.uniform(0.5, 1.0, size=3)
    params = dict(num_carry=1, reverse=False)
    return [
        (
            (*c1, w, rng.normal(size=3), rng.normal(size=(4, 3))),
            {"jaxpr": body1, "num_consts": len(c1) + 1, "length": 4, **params},
        ),
        (
            (*c1, w, rng.normal(size=3), rng.normal(size=(5, 3))),
            {"jaxpr": body1, "num_consts": len(c1) + 1, "length": 5, **params, "reverse": True},
        ),
        (
            (*c2, rng.normal(), np.int64(0), rng.normal()),
            {
                "jaxpr": body2,
                "num_consts": len(c2) + 1,
                "num_carry": 2,
                "length": 3,
                "reverse": False,
            },
        ),
        (
            (*c3, rng.normal(size=3), rng.normal(size=(3, 3))),
            {"jaxpr": body3, "num_consts": len(c3), "length": 3, **params},
        ),
    ]


#: scans up to this length are unrolled for sparsity detection (exact per
#: step); longer ones iterate the carry's pattern to a fixpoint
SCAN_UNROLL = 1000
#: a loop whose carry pattern grows for longer than this is taken as dense
FIXPOINT_STEPS = 64


def _same_pattern(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return (a is None or not a.nnz) and (b is None or not b.nnz)
    return not (a != b).nnz


def _carry_fixpoint(
    ctx: spd.Context,
    body: ClosedJaxpr,
    before: Sequence[Any],
    carry: Sequence[Any],
    after: Sequence[Any],
    known: Sequence[Any],
) -> tuple[list[Any], list[Any]] | None:
    """Run ``body`` on ``[*before, *carry, *after]`` until the carry's
    pattern stops growing: (carry, other outputs), or None if it keeps
    growing past ``FIXPOINT_STEPS``."""
    carry = list(carry)
    for _ in range(FIXPOINT_STEPS):
        outs = sub_jaxpr(ctx, body, [*before, *carry, *after], known)
        grown = [spd.union(c, o) for c, o in zip(carry, outs, strict=False)]
        if all(_same_pattern(c, g) for c, g in zip(carry, grown, strict=True)):
            return carry, outs[len(carry) :]
        carry = grown
    return None


def _scan_sparsity(
    ctx: spd.Context,
    deps: Sequence[Any],
    *,
    jaxpr: ClosedJaxpr,
    num_consts: int,
    num_carry: int,
    length: int,
    reverse: bool,
) -> list[Any]:
    """Unrolled (exact per step) up to ``SCAN_UNROLL`` steps; beyond, the
    carry's pattern to a fixpoint over the union of all ``x`` slices, each
    ``y`` slice with the pattern of all."""
    consts, carry, xs = _scan_split(deps, num_consts, num_carry)
    kc = list(ctx.known[:num_consts]) + [None] * num_carry
    x_known = ctx.known[num_consts + num_carry :]
    x_sizes = [a.size // max(length, 1) for a in ctx.in_avals[num_consts + num_carry :]]
    y_sizes = [a.size // max(length, 1) for a in ctx.out_avals[num_carry:]]
    if length <= SCAN_UNROLL:
        steps: list[list[Any]] = [[] for _ in range(length)]
        for t in range(length - 1, -1, -1) if reverse else range(length):
            x_t = [None if d is None else d[t * m : (t + 1) * m] for d, m in zip(xs, x_sizes)]
            k_t = [None if k is None else np.asarray(k)[t] for k in x_known]
            outs = sub_jaxpr(ctx, jaxpr, [*consts, *carry, *x_t], [*kc, *k_t])
            carry, steps[t] = outs[:num_carry], outs[num_carry:]
        ys: list[Any] = []
        for j, m in enumerate(y_sizes):
            rows = [s[j] for s in steps]
            if all(r is None for r in rows) or not rows:
                ys.append(None)
            else:
                filled = [ctx.empty(m) if r is None else r for r in rows]
                ys.append(spd.scipy_sparse().vstack(filled, format="csr"))
        return [*carry, *ys]
    x_all = [
        None
        if d is None
        else spd.combine(
            spd.index_matrix(np.arange(m * length) % m, np.arange(m * length), (m, m * length)), d
        )
        for d, m in zip(xs, x_sizes)
    ]
    found = _carry_fixpoint(ctx, jaxpr, consts, carry, x_all, [*kc, *[None] * len(xs)])
    if found is None:
        return spd.conservative(ctx, deps)
    carry, y_one = found
    tile = [np.tile(np.arange(m), length) for m in y_sizes]
    return [*carry, *(spd.take_rows(y, t) for y, t in zip(y_one, tile, strict=True))]


def _scan_taylor(
    primals: Sequence[Any],
    series: Sequence[Any],
    *,
    jaxpr: ClosedJaxpr,
    num_consts: int,
    num_carry: int,
    length: int,
    reverse: bool,
) -> tuple[list[Any], list[Any]]:
    """A scan over the body in Taylor mode: constants and scanned inputs with a
    series pass their coefficients along, every float carry carries its
    coefficients (zeros until they are not), each ``y`` gets its own."""
    nc, nk = num_consts, num_carry
    consts, init, xs = _scan_split(primals, nc, nk)
    s_consts, s_init, s_xs = _scan_split(series, nc, nk)
    k = series_order(series)
    c_nz, x_nz = _nonzero(s_consts, consts), _nonzero(s_xs, xs)
    k_nz = [is_float(aval_of(c)) for c in init]
    body, bconsts, out_nz = taylor_body(jaxpr, [*c_nz, *k_nz, *x_nz], k)
    # body inputs [bconsts, consts, carry, xs, sc, sk, sx] -> [bconsts, consts, sc,
    # carry, sk, xs, sx]; outputs [carry, ys, sk, sy] -> [carry, sk, ys, sy]
    nb, nx = len(bconsts), len(xs)
    nsc, nsk, nsx = k * sum(c_nz), k * sum(k_nz), k * sum(x_nz)
    c0, k0, x0 = nb, nb + nc, nb + nc + nk
    sc0 = x0 + nx
    sk0, sx0 = sc0 + nsc, sc0 + nsc + nsk
    in_order = [
        *range(k0),
        *range(sc0, sk0),
        *range(k0, x0),
        *range(sk0, sx0),
        *range(x0, sc0),
        *range(sx0, sx0 + nsx),
    ]
    ny = len(jaxpr.out_avals) - nk
    y_nz = out_nz[nk:]
    nsy = k * sum(y_nz)
    out_order = [
        *range(nk),
        *range(nk + ny, nk + ny + nsk),
        *range(nk, nk + ny),
        *range(nk + ny + nsk, nk + ny + nsk + nsy),
    ]
    del c0
    res = bind(
        scan_p,
        *bconsts,
        *consts,
        *flat_series(s_consts, consts, c_nz, k),
        *init,
        *flat_series(s_init, init, k_nz, k),
        *xs,
        *flat_series(s_xs, xs, x_nz, k),
        jaxpr=_reorder(body, in_order, out_order),
        num_consts=nb + nc + nsc,
        num_carry=nk + nsk,
        length=length,
        reverse=reverse,
    )
    carry, ys = res[:nk], res[nk + nsk : nk + nsk + ny]
    return [*carry, *ys], [
        *split_series(res[nk : nk + nsk], carry, k_nz, k),
        *split_series(res[nk + nsk + ny :], ys, y_nz, k),
    ]


def _carry_in(ctx: Any, carry: Sequence[Any], avals: Sequence[ShapedArray]) -> list[Any]:
    """A loop's initial carry with exactly the dtypes the body keeps (XLA
    loops need them equal; a literal may come in as a Python number)."""
    return [ctx.jnp.asarray(c, a.dtype) for c, a in zip(carry, avals, strict=True)]


def _scan_lower(
    ctx: Any,
    *args: Any,
    jaxpr: ClosedJaxpr,
    num_consts: int,
    num_carry: int,
    length: int,
    reverse: bool,
) -> list[Any]:
    consts, carry, xs = _scan_split(args, num_consts, num_carry)

    def body(c: list[Any], x: list[Any]) -> tuple[list[Any], list[Any]]:
        outs = ctx.call(jaxpr, *consts, *c, *x)
        return outs[:num_carry], outs[num_carry:]

    init = _carry_in(ctx, carry, jaxpr.out_avals[:num_carry])
    out, ys = ctx.lax.scan(body, init, list(xs), length=length, reverse=reverse)
    return [*out, *ys]


scan_p = Primitive(
    "scan",
    multiple_results=True,
    impl=_scan_impl,
    abstract_eval=_scan_abstract_eval,
    lower_jax=_scan_lower,
    jvp=_scan_jvp,
    vjp=_scan_vjp,
    taylor=_scan_taylor,
    batch=_scan_batch,
    sparsity=_scan_sparsity,
    samples=_scan_samples,
)


# ---------------------------------------------------------------------------
# while(*cond_consts, *body_consts, *carry): while cond(carry): carry = body(carry)
# ---------------------------------------------------------------------------


def _while_split(
    args: Sequence[Any], cond_nconsts: int, body_nconsts: int
) -> tuple[list[Any], list[Any], list[Any]]:
    args = list(args)
    nb = cond_nconsts + body_nconsts
    return args[:cond_nconsts], args[cond_nconsts:nb], args[nb:]


def _while_impl(
    *args: Array,
    cond_jaxpr: ClosedJaxpr,
    body_jaxpr: ClosedJaxpr,
    cond_nconsts: int,
    body_nconsts: int,
) -> list[Array]:
    cc, bc, carry = _while_split(args, cond_nconsts, body_nconsts)
    return _while_run(cond_jaxpr, body_jaxpr, cc, bc, carry)


def _while_abstract_eval(
    *args: ShapedArray,
    cond_jaxpr: ClosedJaxpr,
    body_jaxpr: ClosedJaxpr,
    cond_nconsts: int,
    body_nconsts: int,
) -> list[ShapedArray]:
    cc, bc, carry = _while_split(args, cond_nconsts, body_nconsts)
    if cond_jaxpr.in_avals != [*cc, *carry]:
        raise ShapeError(
            f"while: cond takes {_avals_text(cond_jaxpr.in_avals)} but is given "
            f"{_avals_text([*cc, *carry])}"
        )
    pred = cond_jaxpr.out_avals
    if len(pred) != 1 or pred[0] != ShapedArray((), np.bool_):
        raise DTypeError(f"while: cond must return one bool scalar, got {_avals_text(pred)}")
    if body_jaxpr.in_avals != [*bc, *carry]:
        raise ShapeError(
            f"while: body takes {_avals_text(body_jaxpr.in_avals)} but is given "
            f"{_avals_text([*bc, *carry])}"
        )
    if body_jaxpr.out_avals != list(carry):
        raise ShapeError(
            f"while: body returns {_avals_text(body_jaxpr.out_avals)} but the carry is "
            f"{_avals_text(carry)}; the carry must keep its shapes and dtypes"
        )
    return list(carry)


def _while_jvp(
    primals: Sequence[Any],
    tangents: Sequence[Any],
    out: Any,
    *,
    cond_jaxpr: ClosedJaxpr,
    body_jaxpr: ClosedJaxpr,
    cond_nconsts: int,
    body_nconsts: int,
) -> list[Any]:
    cc, bc, init = _while_split(primals, cond_nconsts, body_nconsts)
    _, t_bc, t_init = _while_split(tangents, cond_nconsts, body_nconsts)
    c_nz, k_nz = _nonzero(t_bc, bc), _nonzero(t_init, init)
    nk = len(init)
    while True:
        body, bconsts, natural = jvp_jaxpr(body_jaxpr, [*c_nz, *k_nz], k_nz)
        new_k = [a or b for a, b in zip(k_nz, natural, strict=True)]
        if new_k == k_nz:
            break
        k_nz = new_k
    carry_avals = [aval_of(p) for p in init]
    if not any(k_nz):
        return [Zero(a) for a in carry_avals]
    # body inputs [bconsts, bc, carry, tbc, tk] -> [bconsts, bc, tbc, carry, tk]
    nb, nbc, ntc, ntk = len(bconsts), len(bc), sum(c_nz), sum(k_nz)
    k0 = nb + nbc
    tc0 = k0 + nk
    in_order = [
        *range(k0),
        *range(tc0, tc0 + ntc),
        *range(k0, tc0),
        *range(tc0 + ntc, tc0 + ntc + ntk),
    ]
    body = _reorder(body, in_order)
    cond = _pad_inputs(cond_jaxpr, _pick(carry_avals, k_nz))
    res = bind(
        while_p,
        *cc,
        *bconsts,
        *bc,
        *_pick(t_bc, c_nz),
        *init,
        *[instantiate(t) for t in _pick(t_init, k_nz)],
        cond_jaxpr=cond,
        body_jaxpr=body,
        cond_nconsts=cond_nconsts,
        body_nconsts=nb + nbc + ntc,
    )
    return _scatter(res[nk:], k_nz, [Zero(a) for a in carry_avals])


def _concrete_or_raise(x: Any) -> Any:
    if not isinstance(x, Tracer):
        return x
    try:
        return x.concrete_value("reverse-mode differentiation through while_loop")
    except ConcretizationError:
        raise WhileLoopReverseModeError(
            "reverse-mode differentiation (grad, vjp, jacrev) through while_loop needs the "
            "loop's trip count, which is only known when the loop runs on concrete values; "
            f"here its inputs are abstract ({x.aval.str_short()} under jit, make_jaxpr or "
            "vmap), so the number of iterations cannot be known.\n"
            "What to do: use funcdiff.lax.fori_loop with static (Python int) bounds or "
            "funcdiff.lax.scan with a static length; or differentiate outside jit "
            "(grad(jit(f)) instead of jit(grad(f))); or use forward mode (jvp, jacfwd), "
            "which works through while_loop everywhere."
        ) from None


def _while_vjp(
    cts: Sequence[Any],
    primals: Sequence[Any],
    out: Any,
    needs: Sequence[bool],
    *,
    cond_jaxpr: ClosedJaxpr,
    body_jaxpr: ClosedJaxpr,
    cond_nconsts: int,
    body_nconsts: int,
) -> list[Any]:
    cc, bc, init = _while_split(primals, cond_nconsts, body_nconsts)
    _, n_bc, _ = _while_split(needs, cond_nconsts, body_nconsts)
    # run the loop on the concrete values: the trip count (and, when nothing is
    # traced, the carry entering every step: the residuals)
    cc_v = [_concrete_or_raise(x) for x in cc]
    bc_v = [_concrete_or_raise(x) for x in bc]
    init_v = [_concrete_or_raise(x) for x in init]
    steps: list[list[Any]] = []
    _while_run(cond_jaxpr, body_jaxpr, cc_v, bc_v, init_v, steps)
    length = len(steps)
    nk = len(init)
    if length == 0:  # the loop is the identity
        return [zero_of(x) for x in (*cc, *bc)] + list(cts)
    if any(isinstance(x, Tracer) for x in (*bc, *init)):
        # differentiating again: residuals as a function of the traced inputs
        residuals = bind(
            scan_p,
            *bc,
            *init,
            jaxpr=_residual_body(body_jaxpr, len(bc), nk),
            num_consts=len(bc),
            num_carry=nk,
            length=length,
            reverse=False,
        )[nk:]
    else:
        residuals = [np.stack([s[k] for s in steps]) for k in range(nk)]
    ct_bc, ct_init, _ = scan_backward(
        body_jaxpr, bc, residuals, [], cts, [], n_bc, [], length, False
    )
    return [zero_of(x) for x in cc] + ct_bc + ct_init


def _while_batch(
    args: Sequence[Any],
    dims: Sequence[int | None],
    *,
    cond_jaxpr: ClosedJaxpr,
    body_jaxpr: ClosedJaxpr,
    cond_nconsts: int,
    body_nconsts: int,
) -> tuple[list[Any], list[int | None]]:
    size = batch_size(args, dims)
    moved = [to_front(x, d) for x, d in zip(args, dims, strict=True)]
    cc, bc, init = _while_split(moved, cond_nconsts, body_nconsts)
    d_cc, d_bc, d_init = _while_split(dims, cond_nconsts, body_nconsts)
    cc_b = [d is not None for d in d_cc]
    bc_b = [d is not None for d in d_bc]
    k_b = [d is not None for d in d_init]

    def batch_body(k_b: list[bool]) -> tuple[ClosedJaxpr, list[Any], list[bool]]:
        return batch_jaxpr(body_jaxpr, _at_front([*bc_b, *k_b]), size, _at_front(k_b))

    def batch_cond(k_b: list[bool]) -> tuple[ClosedJaxpr, list[Any], list[bool]]:
        return batch_jaxpr(cond_jaxpr, _at_front([*cc_b, *k_b]), size, [None])

    while True:  # carries that become batched: iterate to a fixpoint
        new_k = [a or b for a, b in zip(k_b, batch_body(k_b)[2], strict=True)]
        if new_k == k_b:
            break
        k_b = new_k
    pred_b = batch_cond(k_b)[2][0]
    if pred_b:
        k_b = [True] * len(init)  # members stop at different times: all carries batched
    init = [
        to_front(x, None, size) if b and d is None else x
        for x, b, d in zip(init, k_b, d_init, strict=True)
    ]
    nk = len(init)
    if not pred_b:
        body, bconsts, _ = batch_body(k_b)
        cond, cconsts, _ = batch_cond(k_b)
        outs = bind(
            while_p,
            *cconsts,
            *cc,
            *bconsts,
            *bc,
            *init,
            cond_jaxpr=cond,
            body_jaxpr=body,
            cond_nconsts=len(cconsts) + len(cc),
            body_nconsts=len(bconsts) + len(bc),
        )
        return list(outs), _at_front(k_b)
    # a batched predicate: loop while any member runs; finished members keep their carry
    ncc = len(cc)
    cc_dims = _at_front(cc_b)
    bc_dims = _at_front(bc_b)
    k_dims = [0] * nk
    cc_avals = [aval_of(x) for x in cc]
    bc_avals = [aval_of(x) for x in bc]
    k_avals = [aval_of(x) for x in init]

    def member_pred(consts: Sequence[Any], carry: Sequence[Any]) -> Any:
        (p,), (d,) = vmap_jaxpr(cond_jaxpr.jaxpr, [], [*consts, *carry], [*cc_dims, *k_dims])
        return to_front(p, d)

    def any_running(*a: Any) -> list[Any]:
        return [red.reduce_max(member_pred(a[:ncc], a[ncc:]), (0,))]

    def step(*a: Any) -> list[Any]:
        ccs, bcs, carry = a[:ncc], a[ncc : ncc + len(bc)], a[ncc + len(bc) :]
        running = member_pred(ccs, carry)
        new, ndims = vmap_jaxpr(body_jaxpr.jaxpr, [], [*bcs, *carry], [*bc_dims, *k_dims])
        outs = []
        for n, d, old in zip(new, ndims, carry, strict=True):
            n = to_front(n, d, size)
            p = sh.reshape(running, (size,) + (1,) * (aval_of(old).ndim - 1))
            outs.append(ew.select(p, n, old))
        return outs

    cond, cconsts = trace_body(any_running, [*cc_avals, *k_avals])
    body, bconsts = trace_body(step, [*cc_avals, *bc_avals, *k_avals])
    outs = bind(
        while_p,
        *cconsts,
        *cc,
        *bconsts,
        *cc,
        *bc,
        *init,
        cond_jaxpr=cond,
        body_jaxpr=body,
        cond_nconsts=len(cconsts) + ncc,
        body_nconsts=len(bconsts) + ncc + len(bc),
    )
    return list(outs), [0] * nk


def _while_samples(rng: np.random.Generator) -> Samples:
    s = ShapedArray((), np.float64)
    v = ShapedArray((3,), np.float64)
    i64 = ShapedArray((), np.int64)

    # a counted loop: carry (i, x), x <- x * cos(a) + b; cond consts (n,)
    cond1, cc1 = trace_body(lambda n, i, x: [ew.lt(i, n)], [i64, i64, v])
    body1, bc1 = trace_body(
        lambda a, b, i, x: [ew.add(i, np.int64(1)), ew.add(ew.mul(x, ew.cos(a)), b)],
        [v, s, i64, v],
    )
    # a value-dependent trip count: grow x until it passes a threshold
    cond2, cc2 = trace_body(lambda t, x, y: [ew.lt(x, t)], [s, s, v])
    body2, bc2 = trace_body(
        lambda r, x, y: [ew.mul(x, r), ew.add(ew.mul(y, ew.sin(x)), x)], [s, s, v]
    )
    p1 = {"cond_jaxpr": cond1, "body_jaxpr": body1}
    p2 = {"cond_jaxpr": cond2, "body_jaxpr": body2}
    return [
        (
            (
                *cc1,
                np.int64(4),
                *bc1,
                rng.normal(size=3),
                rng.normal(),
                np.int64(0),
                rng.normal(size=3),
            ),
            {**p1, "cond_nconsts": len(cc1) + 1, "body_nconsts": len(bc1) + 2},
        ),
        (
            (
                *cc1,
                np.int64(2),
                *bc1,
                rng.normal(size=3),
                rng.normal(),
                np.int64(3),
                rng.normal(size=3),
            ),
            {**p1, "cond_nconsts": len(cc1) + 1, "body_nconsts": len(bc1) + 2},
        ),
        (
            # x: 1.05 -> 1.575 -> 2.36 -> 3.54 -> 5.3 (threshold 4.5: 4 steps, far from it)
            (*cc2, np.float64(4.5), *bc2, np.float64(1.5), np.float64(1.05), rng.normal(size=3)),
            {**p2, "cond_nconsts": len(cc2) + 1, "body_nconsts": len(bc2) + 1},
        ),
    ]


def _while_sparsity(
    ctx: spd.Context,
    deps: Sequence[Any],
    *,
    cond_jaxpr: ClosedJaxpr,
    body_jaxpr: ClosedJaxpr,
    cond_nconsts: int,
    body_nconsts: int,
) -> list[Any]:
    """The carry's pattern iterated to a fixpoint over the body (the trip
    count is not known; the predicate has a zero derivative); dense when it
    keeps growing past ``FIXPOINT_STEPS``."""
    _, bc, carry = _while_split(deps, cond_nconsts, body_nconsts)
    _, kb, _ = _while_split(ctx.known, cond_nconsts, body_nconsts)
    found = _carry_fixpoint(ctx, body_jaxpr, bc, carry, [], [*kb, *[None] * len(carry)])
    return spd.conservative(ctx, deps) if found is None else found[0]


def _while_taylor(
    primals: Sequence[Any],
    series: Sequence[Any],
    *,
    cond_jaxpr: ClosedJaxpr,
    body_jaxpr: ClosedJaxpr,
    cond_nconsts: int,
    body_nconsts: int,
) -> tuple[list[Any], list[Any]]:
    """A while loop over the body in Taylor mode; the predicate reads the
    primal carry only (its coefficients ride along as unused inputs)."""
    cc, bc, init = _while_split(primals, cond_nconsts, body_nconsts)
    _, s_bc, s_init = _while_split(series, cond_nconsts, body_nconsts)
    k = series_order(series)
    c_nz = _nonzero(s_bc, bc)
    k_nz = [is_float(aval_of(c)) for c in init]
    body, bconsts, _ = taylor_body(body_jaxpr, [*c_nz, *k_nz], k)
    # body inputs [bconsts, bc, carry, sbc, sk] -> [bconsts, bc, sbc, carry, sk]
    nb, nbc, nk = len(bconsts), len(bc), len(init)
    nsc, nsk = k * sum(c_nz), k * sum(k_nz)
    k0 = nb + nbc
    sc0 = k0 + nk
    in_order = [
        *range(k0),
        *range(sc0, sc0 + nsc),
        *range(k0, sc0),
        *range(sc0 + nsc, sc0 + nsc + nsk),
    ]
    s_avals = [aval_of(c) for c, m in zip(init, k_nz, strict=True) if m for _ in range(k)]
    res = bind(
        while_p,
        *cc,
        *bconsts,
        *bc,
        *flat_series(s_bc, bc, c_nz, k),
        *init,
        *flat_series(s_init, init, k_nz, k),
        cond_jaxpr=_pad_inputs(cond_jaxpr, s_avals),
        body_jaxpr=_reorder(body, in_order),
        cond_nconsts=cond_nconsts,
        body_nconsts=nb + nbc + nsc,
    )
    return list(res[:nk]), split_series(res[nk:], res[:nk], k_nz, k)


def _while_lower(
    ctx: Any,
    *args: Any,
    cond_jaxpr: ClosedJaxpr,
    body_jaxpr: ClosedJaxpr,
    cond_nconsts: int,
    body_nconsts: int,
) -> list[Any]:
    cc, bc, carry = _while_split(args, cond_nconsts, body_nconsts)
    return list(
        ctx.lax.while_loop(
            lambda c: ctx.call(cond_jaxpr, *cc, *c)[0],
            lambda c: ctx.call(body_jaxpr, *bc, *c),
            _carry_in(ctx, carry, body_jaxpr.out_avals),
        )
    )


while_p = Primitive(
    "while",
    multiple_results=True,
    impl=_while_impl,
    abstract_eval=_while_abstract_eval,
    lower_jax=_while_lower,
    jvp=_while_jvp,
    vjp=_while_vjp,
    taylor=_while_taylor,
    batch=_while_batch,
    sparsity=_while_sparsity,
    samples=_while_samples,
)

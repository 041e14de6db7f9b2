"""Custom derivative rules, ``stop_gradient`` and ``checkpoint`` (remat).

``custom_jvp`` and ``custom_vjp`` let a user replace the derivative of a
function with a rule of their own (for numerical stability, or to skip
differentiating through an iterative solver); ``stop_gradient`` treats a
value as a constant; ``checkpoint`` recomputes a function's forward pass in
the backward pass instead of storing its intermediates.

How they fit the core: each is a higher-order primitive. When the decorated
function is called with traced arguments, its body is traced into a
closure-converted sub-jaxpr, a body of ``funcdiff.interpreters.staging``
(values it closes over become ordinary leading operands, so every
transform sees them), the user's rules are traced into bodies the same
way, and one equation is recorded:

- ``custom_jvp_call(*consts, *rule_consts, *args)``: ``call_jaxpr`` is the
  function, ``jvp_jaxpr`` maps ``(rule_consts, primals, tangents)`` to the
  output tangents. Forward mode evaluates ``jvp_jaxpr``. Reverse mode has no
  transpose interpreter to use, so the VJP is the reverse-mode derivative of
  the user's rule with respect to its tangents (the rule is linear in them,
  so that derivative is exactly its transpose), taken at zero tangents.
- ``custom_vjp_call(*fwd_consts, *bwd_consts, *args)``: runs ``fwd``; its
  residuals are extra outputs of the equation, so reverse mode reads them
  from the forward values the trace recorded (no recomputation) and calls
  ``bwd``. Forward mode (which JAX refuses) differentiates ``fwd`` by
  ordinary autodiff; that is also how residuals are differentiated at second
  order.
- ``checkpoint_call(*consts, *args)``: evaluating keeps only inputs and
  outputs; the VJP rule evaluates the body again and runs reverse mode on it.

Closed-over values that are being differentiated (tracers of an enclosing
transform) get the ordinary derivative of the function's body: a custom
rule speaks only for the function's explicit arguments.

Rules are traced when the function is called (not when a derivative is
taken) because every interpreter of this core runs after the trace that
recorded the equation has finished: a rule that closes over a traced value
must capture it while that value is alive.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from funcdiff.api_util import (
    PYTREE_HINT,
    as_array_leaf,
    fun_name,
    has_tracer,
    merge_args,
    split_args,
    trace_to_jaxpr,
)
from funcdiff.core.ir import ClosedJaxpr, Literal, ShapedArray, aval_of
from funcdiff.core.primitive import (
    TAYLOR_VIA_JVP,
    Primitive,
    Samples,
    Zero,
    instantiate,
    is_float,
    zero_of,
    zeros,
)
from funcdiff.core.trace import bind
from funcdiff.errors import ShapeError
from funcdiff.interpreters.eval import eval_jaxpr
from funcdiff.interpreters.sparsity import State, run, sub_jaxpr
from funcdiff.interpreters.staging import (
    SUM,
    Linearized,
    apply_jvp,
    batch_jaxpr,
    batch_size,
    trace_body,
)
from funcdiff.interpreters.taylor_mode import taylor_jaxpr
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import shape as sh
from funcdiff.primitives import sparsity as spd
from funcdiff.primitives.elementwise import stop_gradient as stop_gradient
from funcdiff.primitives.elementwise import stop_gradient_p as stop_gradient_p
from funcdiff.tree import PyTreeDef, tree_flatten, tree_map, tree_structure, tree_unflatten

__all__ = [
    "checkpoint",
    "custom_jvp",
    "custom_vjp",
    "remat",
    "safe_where",
    "stop_gradient",
]

Fun = Callable[..., Any]


# ---------------------------------------------------------------------------
# shared machinery: arguments and checks (sub-jaxprs: interpreters.staging)
# ---------------------------------------------------------------------------


_STATIC_HINT = f"{PYTREE_HINT} (mark configuration values with nondiff_argnums / static_argnums)"


def _leaf(x: Any, what: str) -> Any:
    return as_array_leaf(x, what, _STATIC_HINT)


class _RuleGuard(threading.local):
    """Per thread: the custom functions whose rules are being traced right now."""

    def __init__(self) -> None:
        self.active: set[int] = set()


_RULE_GUARD = _RuleGuard()


@contextlib.contextmanager
def _tracing_rules_of(owner: object) -> Iterator[None]:
    """While ``owner``'s rules are traced, a call of ``owner`` inside them (a
    rule computing the primal output as ``f(x)``) runs its body inline
    instead of tracing the rules again, which would never end."""
    _RULE_GUARD.active.add(id(owner))
    try:
        yield
    finally:
        _RULE_GUARD.active.discard(id(owner))


def _normalize_argnums(nums: int | Sequence[int], name: str) -> tuple[int, ...]:
    out = (nums,) if isinstance(nums, int) else tuple(nums)
    if any(not isinstance(i, int) or i < 0 for i in out):
        raise ValueError(f"{name} must be non-negative ints, got {nums!r}")
    return tuple(sorted(set(out)))


def _positional(fun: Fun, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Keyword arguments resolved to positions through ``fun``'s signature."""
    if not kwargs:
        return args
    bound = inspect.signature(fun).bind(*args, **kwargs)
    bound.apply_defaults()
    if bound.kwargs:
        raise TypeError(
            f"{fun_name(fun)}: keyword-only arguments {sorted(bound.kwargs)} are not "
            "supported by custom derivative rules; make them positional"
        )
    return tuple(bound.args)


def _split_static(
    args: tuple[Any, ...], nums: tuple[int, ...], name: str
) -> tuple[list[Any], list[Any]]:
    """(static values, dynamic values) of ``args`` for positions ``nums``."""
    for i in nums:
        if i >= len(args):
            raise ValueError(
                f"{name}: nondiff/static argnum {i} is out of range for a call with "
                f"{len(args)} positional arguments"
            )
    return split_args(args, nums)


def _check_operands(
    name: str, label: str, avals: Sequence[ShapedArray], closed: ClosedJaxpr
) -> None:
    want = closed.in_avals
    if list(avals) != want:
        got = ", ".join(a.str_short() for a in avals)
        exp = ", ".join(a.str_short() for a in want)
        raise ShapeError(
            f"{name}: operands ({got}) do not match the traced function {label!r}, which "
            f"takes ({exp}). Bind the primitive through the decorator, which builds them."
        )


def _unalias(outs: Sequence[Any], ins: Sequence[Any]) -> list[Any]:
    """Copy outputs that share memory with an input: jit's generated code may
    reuse an input's buffer in place once it is dead, and the output of a
    primitive that is not a known view must not change when that happens."""
    arrays = [x for x in ins if isinstance(x, np.ndarray)]
    res = []
    for o in outs:
        if isinstance(o, np.ndarray) and any(np.may_share_memory(o, x) for x in arrays):
            o = o.copy()
        res.append(o)
    return res


def _eval(closed: ClosedJaxpr, args: Sequence[Any]) -> list[Any]:
    return eval_jaxpr(closed.jaxpr, closed.consts, args)


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, Zero):
        return b
    if isinstance(b, Zero):
        return a
    return ew.add(a, b)


def _all_zero(ts: Sequence[Any]) -> bool:
    return all(isinstance(t, Zero) for t in ts)


def _split(xs: Sequence[Any], *sizes: int) -> list[list[Any]]:
    """Split ``xs`` into consecutive pieces of ``sizes``, the rest last."""
    out, start = [], 0
    for n in sizes:
        out.append(list(xs[start : start + n]))
        start += n
    out.append(list(xs[start:]))
    return out


def _fit(t: Any, aval: ShapedArray, what: str) -> Any:
    """A rule's output leaf checked against the type it must have."""
    t = _leaf(t, what)
    ta = aval_of(t)
    if ta.shape != aval.shape:
        if ta.shape == ():
            t = sh.broadcast_in_dim(t, aval.shape, ())
        else:
            raise ShapeError(
                f"{what} has shape {ta.shape} but must have shape {aval.shape} "
                "(the shape of the value it is the derivative of)"
            )
    if ta.dtype != aval.dtype:
        t = ew.convert(t, aval.dtype)
    return t


# ---------------------------------------------------------------------------
# custom_jvp_call: operands (*consts, *rule_consts, *args)
# ---------------------------------------------------------------------------


def _cj_impl(
    *operands: Any,
    call_jaxpr: ClosedJaxpr,
    jvp_jaxpr: ClosedJaxpr,
    num_consts: int,
    num_jvp_consts: int,
    name: str,
) -> list[Any]:
    cf, _, xs = _split(operands, num_consts, num_jvp_consts)
    return _unalias(_eval(call_jaxpr, [*cf, *xs]), operands)


def _cj_abstract_eval(
    *avals: ShapedArray,
    call_jaxpr: ClosedJaxpr,
    jvp_jaxpr: ClosedJaxpr,
    num_consts: int,
    num_jvp_consts: int,
    name: str,
) -> list[ShapedArray]:
    cf, cj, xs = _split(avals, num_consts, num_jvp_consts)
    _check_operands(f"custom_jvp_call of {name}", name, [*cf, *xs], call_jaxpr)
    _check_operands(f"custom_jvp_call of {name}", "its jvp rule", [*cj, *xs, *xs], jvp_jaxpr)
    return call_jaxpr.out_avals


def _cj_jvp(
    primals: Sequence[Any],
    tangents: Sequence[Any],
    outs: Sequence[Any],
    *,
    call_jaxpr: ClosedJaxpr,
    jvp_jaxpr: ClosedJaxpr,
    num_consts: int,
    num_jvp_consts: int,
    name: str,
) -> list[Any]:
    cf, cj, xs = _split(primals, num_consts, num_jvp_consts)
    tcf, _, txs = _split(tangents, num_consts, num_jvp_consts)
    total: list[Any] = [zero_of(o) for o in outs]
    if not _all_zero(txs):
        # the user's rule, on instantiated tangents (symbolic zeros become arrays)
        total = _eval(jvp_jaxpr, [*cj, *xs, *[instantiate(t) for t in txs]])
    if not _all_zero(tcf):
        # closed-over values: the ordinary derivative of the body
        extra = apply_jvp(call_jaxpr, [*cf, *xs], [*tcf, *[Zero(aval_of(x)) for x in xs]])
        total = [_add(a, b) for a, b in zip(total, extra, strict=True)]
    return total


def _cj_vjp(
    cts: Sequence[Any],
    primals: Sequence[Any],
    outs: Sequence[Any],
    needs: Sequence[bool],
    *,
    call_jaxpr: ClosedJaxpr,
    jvp_jaxpr: ClosedJaxpr,
    num_consts: int,
    num_jvp_consts: int,
    name: str,
) -> list[Any]:
    nc, nj = num_consts, num_jvp_consts
    cf, cj, xs = _split(primals, nc, nj)
    need_cf, _, need_xs = _split(needs, nc, nj)
    result: list[Any] = [zero_of(p) for p in primals]
    if _all_zero(cts):
        return result
    if any(need_xs):
        # The rule t -> tangent_out is linear in t, so its reverse-mode
        # derivative (taken at t = 0) is its transpose: the VJP we need.
        nx = len(xs)
        zero_ts = [zeros(aval_of(x)) for x in xs]
        lin = Linearized(jvp_jaxpr, [*cj, *xs, *zero_ts])
        ct_ts = lin.pullback(cts, [False] * (nj + nx) + list(need_xs))[nj + nx :]
        for i, c in enumerate(ct_ts):
            result[nc + nj + i] = c
    if any(need_cf):
        body = Linearized(call_jaxpr, [*cf, *xs])
        ct_cf = body.pullback(cts, list(need_cf) + [False] * len(xs))
        result[:nc] = ct_cf[:nc]
    return result


def _cj_batch(
    args: Sequence[Any],
    dims: Sequence[int | None],
    *,
    call_jaxpr: ClosedJaxpr,
    jvp_jaxpr: ClosedJaxpr,
    num_consts: int,
    num_jvp_consts: int,
    name: str,
) -> tuple[list[Any], list[int | None]]:
    size = batch_size(args, dims)
    cf, cj, xs = _split(args, num_consts, num_jvp_consts)
    df, dj, dx = _split(dims, num_consts, num_jvp_consts)
    n_out = len(call_jaxpr.out_avals)
    new_call, call_consts, _ = batch_jaxpr(call_jaxpr, [*df, *dx], size, [0] * n_out)
    new_jvp, jvp_consts, _ = batch_jaxpr(jvp_jaxpr, [*dj, *dx, *dx], size, [0] * n_out)
    outs = bind(
        custom_jvp_call_p,
        *call_consts,
        *cf,
        *jvp_consts,
        *cj,
        *xs,
        call_jaxpr=new_call,
        jvp_jaxpr=new_jvp,
        num_consts=len(call_consts) + num_consts,
        num_jvp_consts=len(jvp_consts) + num_jvp_consts,
        name=name,
    )
    return list(outs), [0] * n_out


def _cj_sparsity(
    ctx: spd.Context,
    deps: Sequence[Any],
    *,
    call_jaxpr: ClosedJaxpr,
    jvp_jaxpr: ClosedJaxpr,
    num_consts: int,
    num_jvp_consts: int,
    name: str,
) -> list[Any]:
    # the user's rule decides the derivative: its tangent outputs, run with
    # each tangent carrying its primal's dependencies, give the Jacobian's
    # pattern (and its products of tangents with primal functions, the
    # Hessian's); closed-over values go through the body, as in the JVP rule
    df, dj, dx = _split(deps, num_consts, num_jvp_consts)
    kf, kj, kx = _split(ctx.known, num_consts, num_jvp_consts)
    outs = sub_jaxpr(ctx, jvp_jaxpr, [*dj, *dx, *dx], [*kj, *kx, *[None] * len(kx)])
    if any(d is not None for d in df):
        extra = sub_jaxpr(ctx, call_jaxpr, [*df, *dx], [*kf, *kx])
        outs = [spd.union(a, b) for a, b in zip(outs, extra, strict=True)]
    return outs


custom_jvp_call_p = Primitive(
    "custom_jvp_call",
    multiple_results=True,
    impl=_cj_impl,
    abstract_eval=_cj_abstract_eval,
    # funcdiff differentiates before lowering: XLA runs the primal
    lower_jax=lambda ctx, *operands, call_jaxpr, jvp_jaxpr, num_consts, num_jvp_consts, name: (
        ctx.call(call_jaxpr, *operands[:num_consts], *operands[num_consts + num_jvp_consts :])
    ),
    jvp=_cj_jvp,
    vjp=_cj_vjp,
    # Taylor mode through the user's rule: y' = jvp(x, x'), that JVP (the rule
    # on the arguments, the body's derivative for closed-over values) run in
    # Taylor mode one order lower; nested custom rules recurse
    taylor=TAYLOR_VIA_JVP,
    batch=_cj_batch,
    sparsity=_cj_sparsity,
    samples=lambda rng: _cj_samples(rng),  # defined at the end (they use the user API)
)


class custom_jvp:
    """A function with a custom forward-mode derivative rule (JAX's API).

    Define the rule with ``defjvp``: ``jvp(primals, tangents) ->
    (primal_out, tangent_out)``, where ``primals`` and ``tangents`` are tuples
    of the differentiable arguments. The rule is written with funcdiff
    operations, so it is differentiated again for higher orders; reverse
    mode uses its transpose (the rule must be linear in the tangents).
    Arguments at ``nondiff_argnums`` are static Python values (functions,
    sizes, flags): passed to ``fun`` in place and to the rule first, never
    differentiated.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> @custom_jvp
    ... def log1pexp(x):
    ...     return fnp.log1p(fnp.exp(x))
    >>> @log1pexp.defjvp
    ... def log1pexp_jvp(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return log1pexp(x), t * (1.0 - 1.0 / (1.0 + fnp.exp(x)))
    >>> float(fd.grad(log1pexp)(1000.0))
    1.0
    """

    def __init__(self, fun: Fun, nondiff_argnums: int | Sequence[int] = ()) -> None:
        self.fun = fun
        self.nondiff_argnums = _normalize_argnums(nondiff_argnums, "nondiff_argnums")
        self.jvp: Fun | None = None
        functools.update_wrapper(self, fun, updated=())

    def defjvp(self, jvp: Fun) -> Fun:
        """Set the rule ``jvp(*nondiff_args, primals, tangents) -> (out, tangent_out)``.

        Returns ``jvp``, so it can be used as a decorator.
        """
        self.jvp = jvp
        return jvp

    def defjvps(self, *fns: Fun | None) -> None:
        """One rule per differentiable argument: ``fn(t, primal_out, *primals)``
        is that argument's contribution to the output tangent (None: no
        dependence); contributions are summed.

        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> f = custom_jvp(lambda x, y: fnp.sin(x) * y)
        >>> f.defjvps(lambda t, out, x, y: fnp.cos(x) * y * t,
        ...           lambda t, out, x, y: fnp.sin(x) * t)
        >>> float(fd.grad(f, 1)(0.0, 2.0))
        0.0
        """

        def jvp(*rest: Any) -> tuple[Any, Any]:
            nondiff, primals, tangents = rest[:-2], rest[-2], rest[-1]
            out = self.fun(*merge_args(self.nondiff_argnums, nondiff, primals))
            total: Any = None
            for fn, t in zip(fns, tangents, strict=False):
                if fn is not None:
                    term = fn(t, out, *primals)
                    total = term if total is None else tree_map(ew.add, total, term)
            if total is None:
                total = tree_map(lambda o: np.zeros(np.shape(o), np.result_type(o)), out)
            return out, total

        self.jvp = jvp

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        # behave like a function when used as a method
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = fun_name(self.fun)
        if self.jvp is None:
            raise AttributeError(
                f"no JVP rule defined for custom_jvp function {name}: "
                f"decorate one with @{name}.defjvp"
            )
        args = _positional(self.fun, args, kwargs)
        static, dyn = _split_static(args, self.nondiff_argnums, name)
        leaves, in_tree = tree_flatten(tuple(dyn))
        leaves = [_leaf(x, f"an argument of {name}") for x in leaves]
        if not has_tracer(leaves) or id(self) in _RULE_GUARD.active:
            # nothing to differentiate or batch (or called from its own rule):
            # just run the function
            return self.fun(*args)
        consts, params, out_tree = _trace_custom_jvp(
            self, self.jvp, self.nondiff_argnums, static, in_tree, leaves, name
        )
        outs = bind(custom_jvp_call_p, *consts, *leaves, **params)
        return tree_unflatten(out_tree, outs)


def _trace_custom_jvp(
    owner: custom_jvp,
    jvp: Fun,
    nums: tuple[int, ...],
    static: Sequence[Any],
    in_tree: PyTreeDef,
    leaves: Sequence[Any],
    name: str,
) -> tuple[list[Any], dict[str, Any], PyTreeDef]:
    """Trace ``fun`` and its rule; return ``(leading operands, params, out_tree)``."""
    fun = owner.fun
    avals = [aval_of(x) for x in leaves]
    trees: list[PyTreeDef] = []

    def flat_fun(*xs: Any) -> list[Any]:
        out = fun(*merge_args(nums, static, tree_unflatten(in_tree, xs)))
        out_leaves, out_tree = tree_flatten(out)
        trees.append(out_tree)
        return [_leaf(o, f"an output of {name}") for o in out_leaves]

    call_jaxpr, call_consts = trace_body(flat_fun, avals)
    out_avals = call_jaxpr.out_avals
    out_tree = trees[0]
    n = len(avals)

    def flat_jvp(*xs_ts: Any) -> list[Any]:
        primals = tree_unflatten(in_tree, xs_ts[:n])
        tangents = tree_unflatten(in_tree, xs_ts[n:])
        res = jvp(*static, primals, tangents)
        if not (isinstance(res, (tuple, list)) and len(res) == 2):
            raise TypeError(
                f"the jvp rule of {name} must return a pair (primal_out, tangent_out), "
                f"got {type(res).__name__}"
            )
        p_leaves, p_tree = tree_flatten(res[0])
        t_leaves, t_tree = tree_flatten(res[1])
        for what, tree in (("primal output", p_tree), ("tangent output", t_tree)):
            if tree != out_tree:
                raise TypeError(
                    f"the jvp rule of {name} returned a {what} with structure {tree}, "
                    f"but {name} returns {out_tree}"
                )
        for i, (p, a) in enumerate(zip(p_leaves, out_avals, strict=True)):
            pa = aval_of(_leaf(p, f"primal output {i} of the jvp rule of {name}"))
            if pa.shape != a.shape:
                raise ShapeError(
                    f"the jvp rule of {name} returned primal output {i} of shape "
                    f"{pa.shape}, but {name} returns shape {a.shape}"
                )
        return [
            _fit(t, a, f"tangent output {i} of the jvp rule of {name}")
            for i, (t, a) in enumerate(zip(t_leaves, out_avals, strict=True))
        ]

    with _tracing_rules_of(owner):
        jvp_jaxpr, jvp_consts = trace_body(flat_jvp, avals + avals)
    params = {
        "call_jaxpr": call_jaxpr,
        "jvp_jaxpr": jvp_jaxpr,
        "num_consts": len(call_consts),
        "num_jvp_consts": len(jvp_consts),
        "name": name,
    }
    return [*call_consts, *jvp_consts], params, out_tree


# ---------------------------------------------------------------------------
# custom_vjp_call: operands (*fwd_consts, *bwd_consts, *args);
# outputs (*outs, *residuals)
# ---------------------------------------------------------------------------


def _cv_impl(
    *operands: Any,
    fwd_jaxpr: ClosedJaxpr,
    bwd_jaxpr: ClosedJaxpr,
    num_consts: int,
    num_bwd_consts: int,
    num_res: int,
    name: str,
) -> list[Any]:
    cf, _, xs = _split(operands, num_consts, num_bwd_consts)
    return _unalias(_eval(fwd_jaxpr, [*cf, *xs]), operands)


def _cv_abstract_eval(
    *avals: ShapedArray,
    fwd_jaxpr: ClosedJaxpr,
    bwd_jaxpr: ClosedJaxpr,
    num_consts: int,
    num_bwd_consts: int,
    num_res: int,
    name: str,
) -> list[ShapedArray]:
    cf, cb, xs = _split(avals, num_consts, num_bwd_consts)
    where = f"custom_vjp_call of {name}"
    _check_operands(where, "its fwd", [*cf, *xs], fwd_jaxpr)
    outs = fwd_jaxpr.out_avals
    n_out = len(outs) - num_res
    _check_operands(where, "its bwd", [*cb, *outs[n_out:], *outs[:n_out]], bwd_jaxpr)
    return outs


def _cv_jvp(
    primals: Sequence[Any],
    tangents: Sequence[Any],
    outs: Sequence[Any],
    *,
    fwd_jaxpr: ClosedJaxpr,
    bwd_jaxpr: ClosedJaxpr,
    num_consts: int,
    num_bwd_consts: int,
    num_res: int,
    name: str,
) -> list[Any]:
    # Forward mode differentiates fwd (outputs and residuals) by autodiff.
    cf, _, xs = _split(primals, num_consts, num_bwd_consts)
    tcf, _, txs = _split(tangents, num_consts, num_bwd_consts)
    return apply_jvp(fwd_jaxpr, [*cf, *xs], [*tcf, *txs])


def _cv_vjp(
    cts: Sequence[Any],
    primals: Sequence[Any],
    outs: Sequence[Any],
    needs: Sequence[bool],
    *,
    fwd_jaxpr: ClosedJaxpr,
    bwd_jaxpr: ClosedJaxpr,
    num_consts: int,
    num_bwd_consts: int,
    num_res: int,
    name: str,
) -> list[Any]:
    nc, nb = num_consts, num_bwd_consts
    cf, cb, xs = _split(primals, nc, nb)
    need_cf, _, need_xs = _split(needs, nc, nb)
    n_out = len(outs) - num_res
    ct_out, ct_res = list(cts[:n_out]), list(cts[n_out:])
    result: list[Any] = [zero_of(p) for p in primals]
    has_out, has_res = not _all_zero(ct_out), not _all_zero(ct_res)
    off = nc + nb
    if has_out and any(need_xs):
        # the user's bwd, on the residuals recorded by the forward pass
        res = list(outs[n_out:])
        g = _eval(bwd_jaxpr, [*cb, *res, *[instantiate(c) for c in ct_out]])
        for i, (c, need) in enumerate(zip(g, need_xs, strict=True)):
            if need:
                result[off + i] = c
    if (has_res and any(need_xs)) or ((has_out or has_res) and any(need_cf)):
        lin = Linearized(fwd_jaxpr, [*cf, *xs])
        if has_res and any(need_xs):
            # residuals are differentiated like any other value of fwd
            no_out = [Zero(aval_of(o)) for o in outs[:n_out]]
            got = lin.pullback([*no_out, *ct_res], [False] * nc + list(need_xs))
            for i in range(len(xs)):
                result[off + i] = _add(result[off + i], got[nc + i])
        if any(need_cf):
            got = lin.pullback(cts, list(need_cf) + [False] * len(xs))
            result[:nc] = got[:nc]
    return result


def _cv_batch(
    args: Sequence[Any],
    dims: Sequence[int | None],
    *,
    fwd_jaxpr: ClosedJaxpr,
    bwd_jaxpr: ClosedJaxpr,
    num_consts: int,
    num_bwd_consts: int,
    num_res: int,
    name: str,
) -> tuple[list[Any], list[int | None]]:
    size = batch_size(args, dims)
    cf, cb, xs = _split(args, num_consts, num_bwd_consts)
    df, db, dx = _split(dims, num_consts, num_bwd_consts)
    n_all = len(fwd_jaxpr.out_avals)
    new_fwd, fwd_consts, _ = batch_jaxpr(fwd_jaxpr, [*df, *dx], size, [0] * n_all)
    # bwd takes the batched residuals and cotangents (batch axis 0) and gives
    # each argument's cotangent with that argument's batch axis (summed if none)
    new_bwd, bwd_consts, _ = batch_jaxpr(
        bwd_jaxpr, [*db, *[0] * n_all], size, [SUM if d is None else d for d in dx]
    )
    outs = bind(
        custom_vjp_call_p,
        *fwd_consts,
        *cf,
        *bwd_consts,
        *cb,
        *xs,
        fwd_jaxpr=new_fwd,
        bwd_jaxpr=new_bwd,
        num_consts=len(fwd_consts) + num_consts,
        num_bwd_consts=len(bwd_consts) + num_bwd_consts,
        num_res=num_res,
        name=name,
    )
    return list(outs), [0] * n_all


def _cv_sparsity(
    ctx: spd.Context,
    deps: Sequence[Any],
    *,
    fwd_jaxpr: ClosedJaxpr,
    bwd_jaxpr: ClosedJaxpr,
    num_consts: int,
    num_bwd_consts: int,
    num_res: int,
    name: str,
) -> list[Any]:
    # as the VJP rule: the outputs' derivatives in the arguments are what bwd
    # says (bwd is linear in the output cotangents: run over index sets of
    # those, it gives the transposed pattern), the rest is fwd's. bwd reads
    # the residuals, so how the derivative varies is unknown: all the
    # arguments' inputs interact (the conservative Hessian term).
    df, _, dx = _split(deps, num_consts, num_bwd_consts)
    kf, kb, kx = _split(ctx.known, num_consts, num_bwd_consts)
    outs = sub_jaxpr(ctx, fwd_jaxpr, [*df, *dx], [*kf, *kx])
    ctx.square(spd.all_inputs(deps, ctx))
    if all(d is None for d in dx):
        return outs
    sp = spd.scipy_sparse()
    n_out = len(ctx.out_avals) - num_res
    sizes = [a.size for a in ctx.out_avals[:n_out]]
    total = sum(sizes)
    eye = sp.identity(total, dtype=bool, format="csr")
    starts = np.cumsum([0, *sizes])
    cts = [sp.csr_array(eye[starts[k] : starts[k + 1]]) for k in range(n_out)]
    res_none = [None] * num_res
    transposed = run(
        State(total, hessian=False),
        bwd_jaxpr,
        [*[None] * num_bwd_consts, *res_none, *cts],
        [*kb, *res_none, *[None] * n_out],
    )
    jac: Any = None
    for t, d in zip(transposed, dx, strict=True):
        if t is not None and d is not None:
            jac = spd.union(jac, spd.combine(sp.csr_array(t.T), d))
    if jac is not None:
        for k in range(n_out):
            outs[k] = spd.union(outs[k], sp.csr_array(jac[starts[k] : starts[k + 1]]))
    return outs


def _cv_taylor(
    primals: Sequence[Any], series: Sequence[Any], **params: Any
) -> tuple[list[Any], list[Any]]:
    """As forward mode: ``fwd`` (outputs and residuals) in Taylor mode."""
    cf, _, xs = _split(primals, params["num_consts"], params["num_bwd_consts"])
    scf, _, sxs = _split(series, params["num_consts"], params["num_bwd_consts"])
    outs = list(bind(custom_vjp_call_p, *primals, **params))
    _, out_series = taylor_jaxpr(params["fwd_jaxpr"], [*cf, *xs], [*scf, *sxs])
    return outs, out_series


custom_vjp_call_p = Primitive(
    "custom_vjp_call",
    multiple_results=True,
    impl=_cv_impl,
    abstract_eval=_cv_abstract_eval,
    # the forward pass (outputs and residuals); funcdiff differentiates before lowering
    lower_jax=lambda ctx, *operands, fwd_jaxpr, num_consts, num_bwd_consts, **_: ctx.call(
        fwd_jaxpr, *operands[:num_consts], *operands[num_consts + num_bwd_consts :]
    ),
    jvp=_cv_jvp,
    vjp=_cv_vjp,
    taylor=_cv_taylor,
    batch=_cv_batch,
    sparsity=_cv_sparsity,
    samples=lambda rng: _cv_samples(rng),  # defined at the end (they use the user API)
)


class custom_vjp:
    """A function with a custom reverse-mode derivative rule (JAX's API).

    ``defvjp(fwd, bwd)``: ``fwd(*args) -> (out, residuals)`` computes the
    output and what the backward pass needs (a pytree of arrays);
    ``bwd(*nondiff_args, residuals, ct) -> tuple`` returns one cotangent per
    differentiable argument (``None`` for zero). The residuals are kept from
    the forward pass, not recomputed. Forward mode (``jvp``, ``jacfwd``, the
    outer half of ``hessian``) differentiates ``fwd`` by ordinary autodiff,
    where JAX raises an error instead.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> @custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> def fwd(x):
    ...     return x, None
    >>> def bwd(res, g):
    ...     return (fnp.clip(g, -1.0, 1.0),)
    >>> clip_gradient.defvjp(fwd, bwd)
    >>> float(fd.grad(lambda x: 3.0 * clip_gradient(x))(2.0))
    1.0
    """

    def __init__(self, fun: Fun, nondiff_argnums: int | Sequence[int] = ()) -> None:
        self.fun = fun
        self.nondiff_argnums = _normalize_argnums(nondiff_argnums, "nondiff_argnums")
        self.fwd: Fun | None = None
        self.bwd: Fun | None = None
        functools.update_wrapper(self, fun, updated=())

    def defvjp(self, fwd: Fun, bwd: Fun) -> None:
        """Set ``fwd(*args) -> (out, res)`` and ``bwd(*nondiff_args, res, ct) -> cts``."""
        self.fwd = fwd
        self.bwd = bwd

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        name = fun_name(self.fun)
        if self.fwd is None or self.bwd is None:
            raise AttributeError(
                f"no VJP rule defined for custom_vjp function {name}: call {name}.defvjp(fwd, bwd)"
            )
        args = _positional(self.fun, args, kwargs)
        static, dyn = _split_static(args, self.nondiff_argnums, name)
        leaves, in_tree = tree_flatten(tuple(dyn))
        leaves = [_leaf(x, f"an argument of {name}") for x in leaves]
        if not has_tracer(leaves) or id(self) in _RULE_GUARD.active:
            return self.fun(*args)
        consts, params, out_tree = _trace_custom_vjp(
            self, self.fwd, self.bwd, self.nondiff_argnums, static, dyn, in_tree, leaves, name
        )
        outs = bind(custom_vjp_call_p, *consts, *leaves, **params)
        n_out = len(outs) - params["num_res"]
        return tree_unflatten(out_tree, outs[:n_out])


def _trace_custom_vjp(
    owner: custom_vjp,
    fwd: Fun,
    bwd: Fun,
    nums: tuple[int, ...],
    static: Sequence[Any],
    dyn: Sequence[Any],
    in_tree: PyTreeDef,
    leaves: Sequence[Any],
    name: str,
) -> tuple[list[Any], dict[str, Any], PyTreeDef]:
    """Trace fwd and bwd; return ``(leading operands, params, out_tree)``."""
    avals = [aval_of(x) for x in leaves]
    trees: list[PyTreeDef] = []

    def flat_fwd(*xs: Any) -> list[Any]:
        res = fwd(*merge_args(nums, static, tree_unflatten(in_tree, xs)))
        if not (isinstance(res, (tuple, list)) and len(res) == 2):
            raise TypeError(
                f"the fwd rule of {name} must return a pair (output, residuals), "
                f"got {type(res).__name__}"
            )
        out_leaves, out_tree = tree_flatten(res[0])
        res_leaves, res_tree = tree_flatten(res[1])
        trees.extend([out_tree, res_tree])
        return [
            *[_leaf(o, f"an output of {name}") for o in out_leaves],
            *[_leaf(r, f"a residual of {name}") for r in res_leaves],
        ]

    with _tracing_rules_of(owner):
        fwd_jaxpr, fwd_consts = trace_body(flat_fwd, avals)
    fwd_avals = fwd_jaxpr.out_avals
    out_tree, res_tree = trees
    n_out = out_tree.num_leaves
    out_avals, res_avals = fwd_avals[:n_out], fwd_avals[n_out:]
    arg_trees = [tree_structure(a) for a in dyn]
    arg_avals = _split(avals, *[t.num_leaves for t in arg_trees])[:-1]

    def flat_bwd(*rs_cts: Any) -> list[Any]:
        res = tree_unflatten(res_tree, rs_cts[: len(res_avals)])
        ct = tree_unflatten(out_tree, rs_cts[len(res_avals) :])
        got = bwd(*static, res, ct)
        if not isinstance(got, (tuple, list)) or len(got) != len(dyn):
            raise TypeError(
                f"the bwd rule of {name} must return a tuple with one cotangent per "
                f"differentiable argument ({len(dyn)}), got "
                f"{len(got) if isinstance(got, (tuple, list)) else type(got).__name__}"
            )
        flat: list[Any] = []
        for k, (g, tree, av) in enumerate(zip(got, arg_trees, arg_avals, strict=True)):
            if g is None:
                flat.extend(np.zeros(a.shape, a.dtype) for a in av)
                continue
            g_leaves, g_tree = tree_flatten(g)
            if g_tree != tree:
                raise TypeError(
                    f"the bwd rule of {name} returned a cotangent with structure {g_tree} "
                    f"for argument {k}, whose structure is {tree}"
                )
            for j, (c, a) in enumerate(zip(g_leaves, av, strict=True)):
                if not is_float(a):
                    flat.append(np.zeros(a.shape, a.dtype))
                    continue
                flat.append(
                    _fit(c, a, f"the cotangent of argument {k} (leaf {j}) from {name}'s bwd")
                )
        return flat

    with _tracing_rules_of(owner):
        bwd_jaxpr, bwd_consts = trace_body(flat_bwd, res_avals + out_avals)
    params = {
        "fwd_jaxpr": fwd_jaxpr,
        "bwd_jaxpr": bwd_jaxpr,
        "num_consts": len(fwd_consts),
        "num_bwd_consts": len(bwd_consts),
        "num_res": len(res_avals),
        "name": name,
    }
    return [*fwd_consts, *bwd_consts], params, out_tree


# ---------------------------------------------------------------------------
# checkpoint_call: recompute the body in the backward pass
# ---------------------------------------------------------------------------


def _ck_impl(*args: Any, jaxpr: ClosedJaxpr, name: str) -> list[Any]:
    return _unalias(_eval(jaxpr, args), args)


def _ck_abstract_eval(*avals: ShapedArray, jaxpr: ClosedJaxpr, name: str) -> list[ShapedArray]:
    _check_operands(f"checkpoint_call of {name}", name, avals, jaxpr)
    return jaxpr.out_avals


def _ck_jvp(
    primals: Sequence[Any],
    tangents: Sequence[Any],
    outs: Sequence[Any],
    *,
    jaxpr: ClosedJaxpr,
    name: str,
) -> list[Any]:
    return apply_jvp(jaxpr, primals, tangents)


def _ck_vjp(
    cts: Sequence[Any],
    primals: Sequence[Any],
    outs: Sequence[Any],
    needs: Sequence[bool],
    *,
    jaxpr: ClosedJaxpr,
    name: str,
) -> list[Any]:
    # the rematerialization: evaluate the body again, keeping its
    # intermediates only while this equation's cotangents are computed
    return Linearized(jaxpr, primals).pullback(cts, needs)


def _ck_batch(
    args: Sequence[Any], dims: Sequence[int | None], *, jaxpr: ClosedJaxpr, name: str
) -> tuple[list[Any], list[int | None]]:
    size = batch_size(args, dims)
    n_out = len(jaxpr.out_avals)
    new, consts, _ = batch_jaxpr(jaxpr, dims, size, [0] * n_out)
    outs = bind(checkpoint_call_p, *consts, *args, jaxpr=new, name=name)
    return list(outs), [0] * n_out


def _ck_taylor(
    primals: Sequence[Any], series: Sequence[Any], *, jaxpr: ClosedJaxpr, name: str
) -> tuple[list[Any], list[Any]]:
    """The body in Taylor mode (recomputation matters to reverse mode only)."""
    outs = list(bind(checkpoint_call_p, *primals, jaxpr=jaxpr, name=name))
    _, out_series = taylor_jaxpr(jaxpr, primals, series)
    return outs, out_series


checkpoint_call_p = Primitive(
    "checkpoint_call",
    multiple_results=True,
    impl=_ck_impl,
    abstract_eval=_ck_abstract_eval,
    # jax.checkpoint: JAX's own derivatives of the lowered program recompute it too
    lower_jax=lambda ctx, *args, jaxpr, name: ctx.jax.checkpoint(
        functools.partial(ctx.call, jaxpr)
    )(*args),
    jvp=_ck_jvp,
    vjp=_ck_vjp,
    taylor=_ck_taylor,
    batch=_ck_batch,
    # its derivatives are those of the body, recomputed or not
    sparsity=lambda ctx, deps, *, jaxpr, name: sub_jaxpr(ctx, jaxpr, deps, ctx.known),
    samples=lambda rng: _ck_samples(rng),  # defined at the end (they use the user API)
)


def checkpoint(fun: Fun, *, static_argnums: int | Sequence[int] = ()) -> Fun:
    """``fun`` whose intermediates are recomputed in the backward pass, not stored.

    Under ``grad``, the forward pass keeps only the inputs and outputs of
    each call of the checkpointed function; its backward pass evaluates
    ``fun`` again and differentiates that. Checkpointing the blocks of a
    long chain trades one extra forward evaluation for memory proportional
    to one block instead of the whole chain. ``static_argnums`` marks
    Python-value arguments (sizes, flags) that are not traced.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> f = checkpoint(lambda x: fnp.sin(fnp.sin(x)))
    >>> round(float(fd.grad(f)(1.0)), 6)
    0.360039
    """
    nums = _normalize_argnums(static_argnums, "static_argnums")
    name = fun_name(fun)

    @functools.wraps(fun)
    def checkpointed(*args: Any, **kwargs: Any) -> Any:
        args = _positional(fun, args, kwargs)
        static, dyn = _split_static(args, nums, name)
        leaves, in_tree = tree_flatten(tuple(dyn))
        leaves = [_leaf(x, f"an argument of {name}") for x in leaves]
        if not has_tracer(leaves):
            return fun(*args)
        trees: list[PyTreeDef] = []

        def flat_fun(*xs: Any) -> list[Any]:
            out_leaves, out_tree = tree_flatten(
                fun(*merge_args(nums, static, tree_unflatten(in_tree, xs)))
            )
            trees.append(out_tree)
            return [_leaf(o, f"an output of {name}") for o in out_leaves]

        jaxpr, consts = trace_body(flat_fun, [aval_of(x) for x in leaves])
        outs = bind(checkpoint_call_p, *consts, *leaves, jaxpr=jaxpr, name=name)
        return tree_unflatten(trees[0], outs)

    return checkpointed


remat = checkpoint


# ---------------------------------------------------------------------------
# NaN-safe masking
# ---------------------------------------------------------------------------


def safe_where(cond: Any, fun: Fun, x: Any, otherwise: Any = 0.0, safe_value: Any = 1.0) -> Any:
    """``where(cond, fun(x), otherwise)`` whose derivative stays finite where
    ``cond`` is False.

    The plain ``where(x > 0, sqrt(x), 0.0)`` has a NaN gradient at 0: the
    cotangent reaching ``sqrt`` there is 0 and sqrt's derivative is infinite,
    and 0 * inf = NaN. This is the "double where": ``fun`` only ever sees
    ``x`` where ``cond`` holds and ``safe_value`` elsewhere.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> f = lambda x: safe_where(x > 0, fnp.sqrt, x)
    >>> float(fd.grad(f)(0.0)), float(fd.grad(f)(4.0))
    (0.0, 0.25)
    """
    if isinstance(x, (int, float)):
        x = np.asarray(x, dtype=np.float64)
    safe_x = ew.select(cond, x, safe_value)
    return ew.select(cond, fun(safe_x), otherwise)


# ---------------------------------------------------------------------------
# samples for the registry sweep: params built by tracing small functions
# ---------------------------------------------------------------------------


def _sample_softplus() -> tuple[custom_jvp, custom_vjp]:
    """A stable softplus with both kinds of custom rule (for the samples)."""

    def sp(v: Any) -> Any:
        return ew.add(ew.maximum(v, 0.0), bind(ew.log1p_p, ew.exp(ew.neg(bind(ew.abs_p, v)))))

    def sigmoid(v: Any) -> Any:
        return ew.div(1.0, ew.add(1.0, ew.exp(ew.neg(v))))

    fj = custom_jvp(sp)
    fj.defjvp(lambda p, t: (sp(p[0]), ew.mul(t[0], sigmoid(p[0]))))
    fv = custom_vjp(sp)
    fv.defvjp(lambda v: (sp(v), v), lambda res, g: (ew.mul(g, sigmoid(res)),))
    return fj, fv


def _traced_params(
    prim: Primitive, wrapper: Fun, args: Sequence[Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Record one call of ``wrapper`` on stand-in tracers; return the equation's
    leading (constant) operands with the concrete ``args``, and its params."""

    def record(*tracers: Any) -> list[Any]:
        wrapper(*tracers)
        return []

    closed, _ = trace_to_jaxpr(record, [aval_of(a) for a in args])
    (eqn,) = [e for e in closed.jaxpr.eqns if e.primitive is prim]
    leading = []
    for x in eqn.invars[: len(eqn.invars) - len(args)]:
        if isinstance(x, Literal):
            leading.append(np.asarray(x.val))
        else:
            leading.append(closed.consts[closed.jaxpr.constvars.index(x)])
    return (*leading, *args), dict(eqn.params)


def _cj_samples(rng: np.random.Generator) -> Samples:
    c = rng.uniform(0.5, 1.5, size=(3,))
    fj, _ = _sample_softplus()

    def f2(x: Any, y: Any) -> Any:  # closes over c: a differentiated constant
        return ew.mul(ew.mul(ew.sin(x), y), c)

    g = custom_jvp(f2)
    g.defjvp(
        lambda p, t: (
            f2(*p),
            ew.add(
                ew.mul(ew.mul(ew.mul(ew.cos(p[0]), p[1]), c), t[0]),
                ew.mul(ew.mul(ew.sin(p[0]), c), t[1]),
            ),
        )
    )

    def f3(x: Any) -> Any:  # two outputs
        return [ew.mul(x, x), sh.reduce_sum(x, (0,))]

    h = custom_jvp(f3)
    h.defjvp(lambda p, t: (f3(p[0]), [ew.mul(ew.mul(2.0, p[0]), t[0]), sh.reduce_sum(t[0], (0,))]))
    return [
        _traced_params(custom_jvp_call_p, lambda x: fj(x), [rng.normal(size=(3,)) * 3]),
        _traced_params(
            custom_jvp_call_p, lambda x, y: g(x, y), [rng.normal(size=(3,)), rng.normal(size=(3,))]
        ),
        _traced_params(custom_jvp_call_p, lambda x: h(x), [rng.normal(size=(2, 3))]),
    ]


def _cv_samples(rng: np.random.Generator) -> Samples:
    c = rng.uniform(0.5, 1.5, size=(3,))
    _, fv = _sample_softplus()

    def f2(x: Any, y: Any) -> Any:
        return ew.mul(ew.mul(ew.sin(x), y), c)

    g = custom_vjp(f2)
    g.defvjp(
        lambda x, y: (f2(x, y), (ew.cos(x), ew.sin(x), y)),
        lambda r, ct: (
            ew.unbroadcast(ew.mul(ew.mul(ew.mul(ct, r[0]), r[2]), c), (3,)),
            ew.mul(ew.mul(ct, r[1]), c),
        ),
    )
    return [
        _traced_params(custom_vjp_call_p, lambda x: fv(x), [rng.normal(size=(3,)) * 3]),
        _traced_params(
            custom_vjp_call_p,
            lambda x, y: g(x, y),
            [rng.normal(size=(3,)), rng.normal(size=(2, 3))],
        ),
    ]


def _ck_samples(rng: np.random.Generator) -> Samples:
    c = rng.uniform(0.5, 1.5, size=(3,))

    def body(x: Any, y: Any) -> Any:
        return [ew.mul(ew.sin(ew.mul(x, y)), c), ew.exp(ew.mul(x, 0.5))]

    f = checkpoint(body)
    return [
        _traced_params(
            checkpoint_call_p, lambda x, y: f(x, y), [rng.normal(size=(3,)), rng.normal(size=(3,))]
        ),
        _traced_params(
            checkpoint_call_p, lambda x, y: f(x, y), [rng.normal(size=(2, 3)), rng.normal(size=())]
        ),
    ]

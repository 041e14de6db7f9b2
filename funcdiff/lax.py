"""Structured control flow with JAX's names and signatures.

``cond``, ``switch``, ``while_loop``, ``fori_loop`` and ``scan`` trace the
functions they are given into sub-jaxprs held by one equation, so they work
where Python control flow cannot: under ``jit`` and ``vmap``, with traced
predicates and bounds. Every transform goes through them (see
``funcdiff.primitives.control`` for the rules). Beyond JAX, reverse mode
through ``while_loop`` works whenever the loop runs on concrete values.

>>> import funcdiff as fd
>>> from funcdiff import lax
>>> f = fd.jit(lambda x: lax.cond(x > 0, lambda v: v * 2.0, lambda v: -v, x))
>>> float(f(3.0)), float(f(-1.0))
(6.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcdiff.api_util import as_array_leaf, concrete_or_none, fun_name
from funcdiff.core.ir import ShapedArray, aval_of
from funcdiff.core.trace import Tracer, bind
from funcdiff.errors import DTypeError, ShapeError, TreeMismatchError
from funcdiff.interpreters.staging import trace_body
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives.control import (
    WhileLoopReverseModeError,
    cond_p,
    join_branches,
    scan_p,
    while_p,
)
from funcdiff.tree import PyTreeDef, tree_flatten, tree_unflatten

Fun = Callable[..., Any]

__all__ = [
    "WhileLoopReverseModeError",
    "cond",
    "fori_loop",
    "scan",
    "switch",
    "while_loop",
]


def __getattr__(name: str) -> Any:
    # ``funcdiff.lax.stop_gradient``, as in JAX (the primitive's wrapper in
    # funcdiff.primitives.elementwise; documented as funcdiff.stop_gradient)
    if name == "stop_gradient":
        return ew.stop_gradient
    raise AttributeError(f"module 'funcdiff.lax' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"stop_gradient"})


# ---------------------------------------------------------------------------
# helpers: leaves as values, tracing user functions on pytrees
# ---------------------------------------------------------------------------


def _flatten(tree: Any, what: str) -> tuple[list[Any], PyTreeDef]:
    leaves, treedef = tree_flatten(tree)
    return [as_array_leaf(x, what) for x in leaves], treedef


def _is_weak(x: Any) -> bool:
    return type(x) in (int, float, bool)


def _match_leaves(
    outs: Sequence[Any], want: Sequence[ShapedArray], who: str, what: str
) -> list[Any]:
    """Output leaves checked against the expected avals; Python scalars take their dtype."""
    res = []
    for k, (o, a) in enumerate(zip(outs, want, strict=True)):
        if _is_weak(o):
            o = np.asarray(o, dtype=a.dtype)
        o = as_array_leaf(o, f"{who}: leaf {k} of {what}")
        got = aval_of(o)
        if got.shape != a.shape:
            raise ShapeError(
                f"{who}: leaf {k} of {what} has shape {got.shape}, but it must keep the "
                f"shape {a.shape} of the initial value (a loop carry keeps its type)"
            )
        if got.dtype != a.dtype:
            raise DTypeError(
                f"{who}: leaf {k} of {what} has dtype {got.dtype}, but the initial value has "
                f"{a.dtype}; cast it (x.astype(...)) or start from a value of the same dtype"
            )
        res.append(o)
    return res


def _check_tree(got: PyTreeDef, want: PyTreeDef, who: str, what: str) -> None:
    if got != want:
        raise TreeMismatchError(
            f"{who}: {what} has the structure {got}, but it must match the initial value's "
            f"{want} (the carry keeps its structure from one iteration to the next)"
        )


# ---------------------------------------------------------------------------
# cond and switch
# ---------------------------------------------------------------------------


def _branches(
    index: Any, branches: Sequence[Fun], operands: tuple[Any, ...], who: str, names: Sequence[str]
) -> Any:
    leaves, in_tree = _flatten(operands, f"{who}: an operand")
    avals = [aval_of(x) for x in leaves]
    trees: list[PyTreeDef] = []
    weak: list[list[bool]] = []

    def wrap(fun: Fun, targets: Sequence[Any] | None) -> Callable[..., list[Any]]:
        def flat(*xs: Any) -> list[Any]:
            out_leaves, out_tree = tree_flatten(fun(*tree_unflatten(in_tree, xs)))
            trees.append(out_tree)
            weak.append([_is_weak(o) for o in out_leaves])
            if targets is not None:
                out_leaves = [
                    np.asarray(o, dtype=t) if _is_weak(o) and t is not None else o
                    for o, t in zip(out_leaves, targets, strict=True)
                ]
            return [as_array_leaf(o, f"{who}: an output") for o in out_leaves]

        return flat

    subs = [trace_body(wrap(b, None), avals) for b in branches]
    for k, t in enumerate(trees[1:], 1):
        if t != trees[0]:
            raise TreeMismatchError(
                f"{who}: {names[k]} returns the structure {t} but {names[0]} returns "
                f"{trees[0]}; every branch must return the same pytree structure"
            )
    outs = [sub[0].out_avals for sub in subs]
    # Python scalars (weakly typed) take the dtype other branches give that output
    targets: list[Any] = []
    for i in range(len(outs[0])):
        strong = [o[i].dtype for o, w in zip(outs, weak, strict=True) if not w[i]]
        targets.append(strong[0] if strong else None)
    if any(
        w[i] and t is not None and o[i].dtype != t
        for o, w in zip(outs, weak, strict=True)
        for i, t in enumerate(targets)
    ):
        subs = [trace_body(wrap(b, targets), avals) for b in branches]
        outs = [sub[0].out_avals for sub in subs]
    for k, o in enumerate(outs[1:], 1):
        if o != outs[0]:
            bad = next(i for i, (a, b) in enumerate(zip(o, outs[0], strict=True)) if a != b)
            raise ShapeError(
                f"{who}: output leaf {bad} of {names[k]} is {o[bad].str_short()} but "
                f"{names[0]} gives {outs[0][bad].str_short()}; every branch must return "
                "the same shapes and dtypes"
            )
    joined, consts = join_branches(subs)
    if not outs[0]:
        return tree_unflatten(trees[0], [])
    res = bind(cond_p, index, *consts, *leaves, branches=joined)
    return tree_unflatten(trees[0], res)


def _index_scalar(x: Any, who: str, what: str) -> Any:
    x = as_array_leaf(x, f"{who}: {what}")
    a = aval_of(x)
    if a.shape != ():
        raise ShapeError(f"{who}: {what} must be a scalar, got shape {a.shape}")
    return x


def cond(pred: Any, true_fun: Fun, false_fun: Fun, *operands: Any) -> Any:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``, as one equation.

    Both branches are traced (they must return the same pytree of shapes and
    dtypes); only the chosen one runs. Works with a traced ``pred`` under
    ``jit``; under ``vmap`` with a batched ``pred`` both branches run and the
    results are selected per member. Derivatives flow through the branch taken.

    Args:
      pred: a scalar (bool, or a number compared with 0).
      true_fun, false_fun: functions of ``*operands`` (pytrees of arrays).
      operands: the branches' arguments.

    >>> from funcdiff import lax
    >>> import funcdiff as fd
    >>> float(fd.grad(lambda x: lax.cond(x < 1.0, lambda v: v ** 2, lambda v: 3.0 * v, x))(0.5))
    1.0
    """
    pred = _index_scalar(pred, "cond", "pred")
    if aval_of(pred).dtype != np.bool_:
        pred = ew.ne(pred, 0)
    index = ew.convert(pred, np.int32)
    return _branches(index, (false_fun, true_fun), operands, "cond", ("false_fun", "true_fun"))


def switch(index: Any, branches: Sequence[Fun], *operands: Any) -> Any:
    """``branches[index](*operands)``, with ``index`` clamped to ``[0, len(branches) - 1]``.

    >>> from funcdiff import lax
    >>> fns = [lambda x: x + 1.0, lambda x: x * 10.0, lambda x: -x]
    >>> [float(lax.switch(i, fns, 2.0)) for i in (0, 1, 2, 5)]
    [3.0, 20.0, -2.0, -2.0]
    """
    branches = list(branches)
    if not branches:
        raise ValueError("switch: branches must be a non-empty sequence of functions")
    index = _index_scalar(index, "switch", "index")
    dt = aval_of(index).dtype
    if dt.kind not in "biu":
        raise DTypeError(f"switch: index must be an integer scalar, got dtype {dt}")
    if len(branches) == 1:
        return branches[0](*operands)
    index = ew.convert(index, np.int32)
    names = [f"branch {k} ({fun_name(b)})" for k, b in enumerate(branches)]
    return _branches(index, branches, operands, "switch", names)


# ---------------------------------------------------------------------------
# while_loop and fori_loop
# ---------------------------------------------------------------------------


def while_loop(cond_fun: Fun, body_fun: Fun, init_val: Any) -> Any:
    """``val = init_val; while cond_fun(val): val = body_fun(val)``, as one equation.

    ``body_fun`` must return a carry with the same pytree structure, shapes and
    dtypes as ``init_val``; ``cond_fun`` returns a scalar. Works under ``jit``
    and ``vmap`` (a batched predicate runs until every member is done). Forward
    mode works everywhere. Reverse mode works whenever the loop runs on
    concrete values (a top-level ``grad``; ``grad(jit(f))``): the trip count
    is then known. Under ``jit``/``vmap`` it raises ``WhileLoopReverseModeError``
    (use ``fori_loop`` with static bounds or ``scan`` instead).

    >>> from funcdiff import lax
    >>> import funcdiff as fd
    >>> int(lax.while_loop(lambda i: i < 10, lambda i: i * 3, 1))
    27
    >>> # Newton's method for sqrt(a): d/da of the converged root is 1 / (2 sqrt(a))
    >>> def root(a):
    ...     step = lambda x: 0.5 * (x + a / x)
    ...     return lax.while_loop(lambda x: abs(x * x - a) > 1e-12, step, a)
    >>> round(float(fd.grad(root)(4.0)), 6)
    0.25
    """
    leaves, tree = _flatten(init_val, "while_loop: a leaf of init_val")
    avals = [aval_of(x) for x in leaves]

    def cond_flat(*xs: Any) -> list[Any]:
        p = cond_fun(tree_unflatten(tree, xs))
        p = as_array_leaf(p, "while_loop: the result of cond_fun")
        a = aval_of(p)
        if a.shape != ():
            raise ShapeError(
                f"while_loop: cond_fun must return a scalar, got shape {a.shape}; "
                "reduce it (e.g. fnp.any / fnp.all)"
            )
        return [p if a.dtype == np.bool_ else ew.ne(p, 0)]

    def body_flat(*xs: Any) -> list[Any]:
        out_leaves, out_tree = tree_flatten(body_fun(tree_unflatten(tree, xs)))
        _check_tree(out_tree, tree, "while_loop", "the result of body_fun")
        return _match_leaves(out_leaves, avals, "while_loop", "the result of body_fun")

    cond_j, cond_consts = trace_body(cond_flat, avals)
    body_j, body_consts = trace_body(body_flat, avals)
    if not leaves:
        return init_val
    outs = bind(
        while_p,
        *cond_consts,
        *body_consts,
        *leaves,
        cond_jaxpr=cond_j,
        body_jaxpr=body_j,
        cond_nconsts=len(cond_consts),
        body_nconsts=len(body_consts),
    )
    return tree_unflatten(tree, outs)


def _concrete_int(x: Any) -> int | None:
    """The value of a bound when it is known now (Python/numpy or a concrete tracer)."""
    val = concrete_or_none(x)
    return None if val is None else int(val)


def _bound_dtype(b: Any, name: str) -> np.dtype[Any] | None:
    """The dtype of a loop bound; None for a Python int (weakly typed)."""
    if isinstance(b, int) and not isinstance(b, bool):
        return None
    a = aval_of(as_array_leaf(b, f"fori_loop: {name}"))
    if a.shape != () or a.dtype.kind not in "iu":
        raise DTypeError(f"fori_loop: {name} must be an integer scalar, got {a.str_short()}")
    return a.dtype


def fori_loop(lower: Any, upper: Any, body_fun: Fun, init_val: Any) -> Any:
    """``val = init_val; for i in range(lower, upper): val = body_fun(i, val)``.

    With bounds known at trace time (Python ints, or concrete values) it is a
    ``scan`` of ``upper - lower`` steps, so every transform works, reverse mode
    storing one carry per iteration. With traced bounds (arguments of a
    ``jit``-ed function) it is a ``while_loop``.

    >>> from funcdiff import lax
    >>> import funcdiff as fd
    >>> float(lax.fori_loop(0, 5, lambda i, x: x + i, 0.0))
    10.0
    >>> # 20 gradient-descent steps on (x - 3)^2, differentiated w.r.t. the rate
    >>> def final(lr):
    ...     return lax.fori_loop(0, 20, lambda i, x: x - lr * 2.0 * (x - 3.0), 0.0)
    >>> round(float(fd.grad(final)(0.1)), 6)
    1.729382
    """
    strong = [d for d in (_bound_dtype(lower, "lower"), _bound_dtype(upper, "upper")) if d]
    idx = np.result_type(*strong) if strong else np.dtype(np.int64)
    lo, hi = _concrete_int(lower), _concrete_int(upper)
    if lo is not None and hi is not None:

        def step(carry: Any, _: Any) -> Any:
            i, x = carry
            return (i + 1, body_fun(i, x)), None

        (_, out), _ = scan(step, (np.asarray(lo, idx), init_val), None, length=max(hi - lo, 0))
        return out

    def body(carry: Any) -> Any:
        i, x = carry
        return i + 1, body_fun(i, x)

    start = ew.convert(lower, idx) if isinstance(lower, Tracer) else np.asarray(lower, idx)
    stop = ew.convert(upper, idx) if isinstance(upper, Tracer) else np.asarray(upper, idx)
    _, out = while_loop(lambda c: c[0] < stop, body, (start, init_val))
    return out


# ---------------------------------------------------------------------------
# scan
# ---------------------------------------------------------------------------


def scan(
    f: Fun,
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``; stack the ``y``.

    Equivalent to::

        ys = []
        for x in (reversed(xs) if reverse else xs):   # or range(length) with xs None
            carry, y = f(carry, x)
            ys.append(y)
        return carry, stack(ys)   # ys in the order of xs

    ``carry`` keeps its pytree structure, shapes and dtypes; ``xs`` and ``y``
    may be pytrees (or None). Reverse mode stores the carry of every
    iteration and runs a reverse scan of the step's VJP. ``unroll`` is
    accepted for JAX compatibility and has no effect.

    >>> from funcdiff import lax
    >>> import numpy as np
    >>> total, partial = lax.scan(lambda c, x: (c + x, c + x), 0.0, np.arange(1.0, 5.0))
    >>> float(total), partial
    (10.0, array([ 1.,  3.,  6., 10.]))
    """
    del unroll
    c_leaves, c_tree = _flatten(init, "scan: a leaf of init")
    x_leaves, x_tree = _flatten(xs, "scan: a leaf of xs")
    lengths = set()
    for k, x in enumerate(x_leaves):
        shape = aval_of(x).shape
        if not shape:
            raise ShapeError(
                f"scan: leaf {k} of xs is a scalar; every leaf of xs needs a leading axis "
                "to scan over"
            )
        lengths.add(shape[0])
    if length is not None:
        length = int(length)
        if lengths and lengths != {length}:
            raise ShapeError(
                f"scan: length={length} but the leaves of xs have leading axes {sorted(lengths)}"
            )
    elif len(lengths) > 1:
        raise ShapeError(
            f"scan: the leaves of xs have different leading axis sizes {sorted(lengths)}; "
            "they are scanned together, so they must agree"
        )
    elif not lengths:
        raise ValueError("scan: xs is None (or empty), so pass length= to say how many steps")
    else:
        length = lengths.pop()
    c_avals = [aval_of(c) for c in c_leaves]
    x_avals = [ShapedArray(aval_of(x).shape[1:], aval_of(x).dtype) for x in x_leaves]
    nc = len(c_leaves)
    y_tree_box: list[PyTreeDef] = []

    def body(*args: Any) -> list[Any]:
        carry = tree_unflatten(c_tree, args[:nc])
        x = tree_unflatten(x_tree, args[nc:])
        out = f(carry, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(
                f"scan: {fun_name(f)} must return a pair (carry, y), got {type(out).__name__}"
            )
        new_c, y = out
        new_leaves, new_tree = tree_flatten(new_c)
        _check_tree(new_tree, c_tree, "scan", "the carry returned by f")
        new_leaves = _match_leaves(new_leaves, c_avals, "scan", "the carry returned by f")
        y_leaves, y_tree = _flatten(y, "scan: a leaf of y")
        y_tree_box.append(y_tree)
        return [*new_leaves, *y_leaves]

    jaxpr, consts = trace_body(body, [*c_avals, *x_avals])
    if not jaxpr.out_avals:
        return tree_unflatten(c_tree, []), tree_unflatten(y_tree_box[0], [])
    outs = bind(
        scan_p,
        *consts,
        *c_leaves,
        *x_leaves,
        jaxpr=jaxpr,
        num_consts=len(consts),
        num_carry=nc,
        length=length,
        reverse=bool(reverse),
    )
    return tree_unflatten(c_tree, outs[:nc]), tree_unflatten(y_tree_box[0], outs[nc:])

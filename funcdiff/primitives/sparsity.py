"""Sparsity rules: how each primitive's derivative pattern propagates.

A rule is ``rule(ctx, deps, **params) -> list of deps`` (one per output),
set as ``prim.sparsity`` (``Primitive(..., sparsity=...)``). A dependency
pattern ``D_v`` of a value ``v`` is a boolean ``scipy.sparse`` CSR matrix of
shape ``(v.size, n)``: row ``i`` marks the inputs (of the flattened argument,
``n`` elements) that element ``i`` of ``v`` has a structurally non-zero
derivative in; ``None`` stands for none at all. ``ctx`` (a :class:`Context`)
gives the operands' avals and their values when known at trace time, and
records second-order interactions for the Hessian (``square``, ``cross``).
The builders below make the rules of whole families; the interpreter that
runs them is ``funcdiff.interpreters.sparsity``. Every operation is
vectorized: sparse products with 0/1 index matrices, row selections by
index arrays, never a Python loop per element.

scipy is imported lazily: it is an optional extra (``funcdiff[scipy]``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from funcdiff.core.ir import ShapedArray

if TYPE_CHECKING:  # (the interpreter is a layer up)
    from funcdiff.interpreters.sparsity import State

Dep = Any  # a scipy.sparse csr_array of bool, shape (size, n), or None
SparsityRule = Callable[..., list[Any]]


def scipy_sparse() -> Any:
    """``scipy.sparse``, or an ImportError naming the extra that installs it."""
    try:
        import scipy.sparse
    except ImportError as err:  # pragma: no cover - scipy is installed for the tests
        raise ImportError(
            "sparsity detection needs scipy, an optional dependency of funcdiff: "
            "pip install 'funcdiff[scipy]'"
        ) from err
    return scipy.sparse


class TooDense(Exception):
    """A detection run with ``State.max_clique`` met a row interacting with
    more inputs than that: the Hessian's coloring cannot be small."""


class Context:
    """What a sparsity rule sees of its equation: the operands' abstract
    values, their values when known at trace time (else None), the output
    avals, and where to record second-order interactions."""

    __slots__ = ("in_avals", "known", "out_avals", "primitive", "second_order", "state")

    def __init__(
        self,
        state: State,
        primitive: Any,
        in_avals: Sequence[ShapedArray],
        out_avals: Sequence[ShapedArray],
        known: Sequence[Any],
        second_order: bool,
    ) -> None:
        self.state = state
        #: the equation's primitive (``selection`` calls its ``impl``)
        self.primitive = primitive
        self.in_avals = in_avals
        self.out_avals = out_avals
        self.known = known
        #: False when no Hessian is wanted, or this equation does not reach an
        #: output through a differentiable path: rules may skip their terms
        self.second_order = second_order

    @property
    def n(self) -> int:
        return self.state.n

    def square(self, a: Dep) -> None:
        """Every pair of inputs within each row of ``a`` interacts: ``a^T a``."""
        if self.second_order and a is not None and a.nnz:
            limit = self.state.max_clique
            if limit is not None and int(np.diff(a.indptr).max()) > limit:
                # a row of k inputs makes a k-clique: k colors at least
                raise TooDense
            self.state.terms.append((a.T @ a).tocsr())

    def cross(self, a: Dep, b: Dep, m: Any = None) -> None:
        """Inputs of row ``i`` of ``a`` interact with those of row ``j`` of
        ``b`` where ``m[i, j]`` (``m`` None: the same row, ``i == j``):
        ``a^T m b`` (symmetrized later)."""
        if not self.second_order or a is None or b is None or not a.nnz or not b.nnz:
            return
        term = a.T @ b if m is None else a.T @ (m @ b)
        self.state.terms.append(term.tocsr())

    def empty(self, rows: int) -> Any:
        return scipy_sparse().csr_array((rows, self.state.n), dtype=bool)


# ---------------------------------------------------------------------------
# building blocks on dependency matrices
# ---------------------------------------------------------------------------


def union(*deps: Dep) -> Dep:
    """Element-wise OR of same-shaped patterns (None is empty)."""
    present = [d for d in deps if d is not None]
    if not present:
        return None
    out = present[0]
    for d in present[1:]:
        out = out + d
    return out


def take_rows(d: Dep, index: np.ndarray) -> Dep:
    """Row ``index[i]`` of ``d`` as row ``i`` (an empty row where ``index[i] < 0``)."""
    if d is None:
        return None
    index = np.asarray(index, dtype=np.int64).ravel()
    if index.shape[0] == d.shape[0] and np.array_equal(index, np.arange(index.shape[0])):
        return d
    if index.size == 0 or index.min() >= 0:
        return d[index]
    sp = scipy_sparse()
    rows = np.flatnonzero(index >= 0)
    sel = sp.csr_array(
        (np.ones(rows.size, dtype=bool), (rows, index[rows])), shape=(index.size, d.shape[0])
    )
    return (sel @ d).tocsr()


def combine(matrix: Any, d: Dep) -> Dep:
    """``matrix @ d``: each output row the OR of the rows of ``d`` it marks."""
    if d is None:
        return None
    out = (matrix @ d).tocsr()
    return out.astype(bool) if out.dtype != bool else out


def index_matrix(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> Any:
    """The 0/1 matrix with ones at ``(rows[k], cols[k])``."""
    sp = scipy_sparse()
    rows = np.asarray(rows, dtype=np.int64).ravel()
    cols = np.asarray(cols, dtype=np.int64).ravel()
    m = sp.csr_array((np.ones(rows.size, dtype=bool), (rows, cols)), shape=shape)
    m.sum_duplicates()
    return m


def broadcast_rows(d: Dep, aval: ShapedArray, shape: tuple[int, ...], ctx: Context) -> Dep:
    """The pattern of ``d`` (of ``aval``'s shape) broadcast to ``shape``."""
    if d is None or aval.shape == shape:
        return d
    index = np.broadcast_to(np.arange(aval.size).reshape(aval.shape), shape)
    return take_rows(d, index)


def all_inputs(deps: Sequence[Dep], ctx: Context) -> Dep:
    """One row: every input any element of any of ``deps`` depends on."""
    rows = [d for d in deps if d is not None and d.nnz]
    if not rows:
        return None
    sp = scipy_sparse()
    cols = np.unique(np.concatenate([d.indices for d in rows]))
    return sp.csr_array(
        (np.ones(cols.size, dtype=bool), cols, np.array([0, cols.size])), shape=(1, ctx.n)
    )


def repeat_row(row: Dep, size: int) -> Dep:
    """``row`` (one row) repeated ``size`` times."""
    if row is None:
        return None
    return take_rows(row, np.zeros(size, dtype=np.int64))


# ---------------------------------------------------------------------------
# rule builders
# ---------------------------------------------------------------------------


def conservative(ctx: Context, deps: Sequence[Dep], **params: Any) -> list[Dep]:
    """The rule of a primitive that states none: every output element
    depends on every input element of every operand, and all of them
    interact (a full block in the Hessian)."""
    row = all_inputs(deps, ctx)
    ctx.square(row)
    return [repeat_row(row, a.size) for a in ctx.out_avals]


def conservative_linear(ctx: Context, deps: Sequence[Dep], **params: Any) -> list[Dep]:
    """A linear primitive whose index map is unknown: dense Jacobian, no
    Hessian term."""
    row = all_inputs(deps, ctx)
    return [repeat_row(row, a.size) for a in ctx.out_avals]


#: the second-order structures of element-wise primitives
ELEMENTWISE_KINDS = ("linear", "piecewise", "nonlinear", "bilinear", "quotient")


def elementwise(kind: str, operands: Sequence[int] | None = None) -> SparsityRule:
    """The rule of an element-wise (broadcasting) primitive. ``operands``:
    the operands with a derivative (all when None; ``select`` names 1 and 2).
    ``kind``: ``linear`` and ``piecewise`` (``max``, ``abs``...: linear where
    differentiable) add no Hessian term; ``nonlinear``: all pairs of inputs of
    the operands interact; ``bilinear`` (``a * b``): only across the two
    operands; ``quotient`` (``a / b``): across, and within ``b``."""
    if kind not in ELEMENTWISE_KINDS:
        raise ValueError(f"unknown element-wise kind {kind!r}; one of {ELEMENTWISE_KINDS}")

    def rule(ctx: Context, deps: Sequence[Dep], **params: Any) -> list[Dep]:
        shape = ctx.out_avals[0].shape
        picks = range(len(deps)) if operands is None else operands
        rows = [broadcast_rows(deps[i], ctx.in_avals[i], shape, ctx) for i in picks]
        out = union(*rows)
        if kind == "nonlinear":
            ctx.square(out)
        elif kind == "bilinear":
            ctx.cross(rows[0], rows[1])
        elif kind == "quotient":
            ctx.cross(rows[0], rows[1])
            ctx.square(rows[1])
        return [out]

    rule.kind = kind  # type: ignore[attr-defined]
    return rule


def selection(linear: Sequence[int] | None = None) -> SparsityRule:
    """The rule of a primitive whose every output element is one element of
    its ``linear`` operands (or none): reshape, transpose, broadcast, slice,
    pad, concatenate, gather... The index map is the primitive's own ``impl``
    applied to ``np.arange`` over those operands (the others, such as
    indices, must be known at trace time; if not, the rule is
    ``conservative_linear``). ``linear`` None: every operand."""

    def rule(ctx: Context, deps: Sequence[Dep], **params: Any) -> list[Dep]:
        args: list[Any] = list(ctx.known)
        offset = 0
        picks = range(len(deps)) if linear is None else linear
        for i in picks:
            size = ctx.in_avals[i].size
            args[i] = np.arange(offset, offset + size, dtype=np.int64).reshape(
                ctx.in_avals[i].shape
            )
            offset += size
        if any(a is None for a in args):
            return conservative_linear(ctx, deps)
        index = np.asarray(ctx.primitive.listed["impl"](*args, **params)[0])
        parts = [deps[i] if deps[i] is not None else ctx.empty(ctx.in_avals[i].size) for i in picks]
        stacked = parts[0] if len(parts) == 1 else scipy_sparse().vstack(parts, format="csr")
        return [take_rows(stacked, index)]

    return rule


def reduction(axes_param: str, *, nonlinear: bool = False) -> SparsityRule:
    """Output element ``j`` depends on the input elements reduced into it
    (``reduce_sum``; ``reduce_max``/``reduce_min`` are piecewise linear)."""

    def rule(ctx: Context, deps: Sequence[Dep], **params: Any) -> list[Dep]:
        (d,) = deps
        a = ctx.in_avals[0]
        axes = params[axes_param]
        axes = (axes,) if isinstance(axes, int) else tuple(axes)
        keep = [k for k in range(a.ndim) if k not in axes]
        if keep:
            coords = np.unravel_index(np.arange(a.size), a.shape)
            kept_shape = tuple(a.shape[k] for k in keep)
            target = np.ravel_multi_index(tuple(coords[k] for k in keep), kept_shape)
        else:
            target = np.zeros(a.size, dtype=np.int64)
        out_size = ctx.out_avals[0].size
        m = index_matrix(target, np.arange(a.size), (out_size, a.size))
        out = combine(m, d)
        if nonlinear:
            ctx.square(out)
        return [out]

    return rule


def placement(
    base: int | None, placed: int, target: Callable[..., np.ndarray | None]
) -> SparsityRule:
    """``out = base + updates placed at target positions`` (add_into_slice,
    scatter_add): ``target(ctx, **params)`` gives the output position of each
    element of operand ``placed`` (None when unknown: every position)."""

    def rule(ctx: Context, deps: Sequence[Dep], **params: Any) -> list[Dep]:
        out_size = ctx.out_avals[0].size
        upd = deps[placed]
        moved: Dep = None
        if upd is not None:
            where = target(ctx, **params)
            if where is None:
                moved = repeat_row(all_inputs([upd], ctx), out_size)
            else:
                usize = ctx.in_avals[placed].size
                moved = combine(index_matrix(where, np.arange(usize), (out_size, usize)), upd)
        own = None if base is None else deps[base]
        return [union(own, moved)]

    return rule


def per_matrix(ctx: Context, deps: Sequence[Dep], **params: Any) -> list[Dep]:
    """Linear algebra on stacks of matrices (``solve``, ``cholesky``,
    ``eigh``...): dense per matrix, not across the stack. Each output element
    depends on every element of its own matrix in every operand (the stack's
    batch shape is operand 0's shape but the last two axes, which every
    operand and output leads with), and all of those interact."""
    batch = ctx.in_avals[0].shape[:-2]
    count = int(np.prod(batch, dtype=np.int64))

    def groups(a: ShapedArray) -> np.ndarray | None:
        if count == 0 or a.shape[: len(batch)] != batch:
            return None
        return np.arange(a.size) // max(a.size // count, 1)

    rows: Dep = None
    for d, a in zip(deps, ctx.in_avals, strict=True):
        g = groups(a)
        if g is None:
            return conservative(ctx, deps)
        if d is not None:
            rows = union(rows, combine(index_matrix(g, np.arange(a.size), (count, a.size)), d))
    ctx.square(rows)
    outs = []
    for a in ctx.out_avals:
        g = groups(a)
        if g is None:
            return conservative(ctx, deps)
        outs.append(take_rows(rows, g))
    return outs


def dot_general_rule(ctx: Context, deps: Sequence[Dep], **params: Any) -> list[Dep]:
    """``out[b, i, j] = sum_k x[b, i, k] y[b, k, j]``: each output element
    depends on the products it sums (a product with a known zero factor
    drops out), and each product makes its two factors interact. With one
    factor known (a constant matrix), the work is proportional to its
    non-zeros times the other factor's free size, not to the dense product."""
    (xc, yc), (xb, yb) = params["dimension_numbers"]
    xa, ya = ctx.in_avals
    dx, dy = deps
    xf = [k for k in range(xa.ndim) if k not in xc and k not in xb]
    yf = [k for k in range(ya.ndim) if k not in yc and k not in yb]

    def grouped(a: ShapedArray, order: Sequence[int], groups: Sequence[Sequence[int]]) -> Any:
        sizes = [int(np.prod([a.shape[k] for k in g], dtype=np.int64)) for g in groups]
        return np.arange(a.size).reshape(a.shape).transpose(order).reshape(sizes)

    ix = grouped(xa, [*xb, *xf, *xc], [xb, xf, xc])  # (B, Fx, K)
    iy = grouped(ya, [*yb, *yf, *yc], [yb, yf, yc])  # (B, Fy, K)
    bsz, fx = ix.shape[:2]
    fy = iy.shape[1]
    io = np.arange(bsz * fx * fy).reshape(bsz, fx, fy)
    out_size = ctx.out_avals[0].size
    if ctx.known[0] is not None and dy is not None:  # a known x: its non-zeros
        bb, ii, kk = np.nonzero(np.asarray(ctx.known[0]).ravel()[ix])
        jj = np.arange(fy)[None, :]
        o = io[bb[:, None], ii[:, None], jj]
        b = iy[bb[:, None], jj, kk[:, None]]
        return [combine(index_matrix(o, b, (out_size, ya.size)), dy)]
    if ctx.known[1] is not None and dx is not None:  # a known y: its non-zeros
        bb, jj, kk = np.nonzero(np.asarray(ctx.known[1]).ravel()[iy])
        ii = np.arange(fx)[None, :]
        o = io[bb[:, None], ii, jj[:, None]]
        a = ix[bb[:, None], ii, kk[:, None]]
        return [combine(index_matrix(o, a, (out_size, xa.size)), dx)]
    o, a, b = np.broadcast_arrays(io[..., None], ix[:, :, None, :], iy[:, None, :, :])
    o, a, b = o.ravel(), a.ravel(), b.ravel()
    keep = np.ones(o.size, dtype=bool)
    for val, idx in ((ctx.known[0], a), (ctx.known[1], b)):
        if val is not None:
            keep &= np.asarray(val).ravel()[idx] != 0
    o, a, b = o[keep], a[keep], b[keep]
    jx = None if dx is None else combine(index_matrix(o, a, (out_size, xa.size)), dx)
    jy = None if dy is None else combine(index_matrix(o, b, (out_size, ya.size)), dy)
    if dx is not None and dy is not None:
        ctx.cross(dx, dy, index_matrix(a, b, (xa.size, ya.size)))
    return [union(jx, jy)]


def cumsum_rule(ctx: Context, deps: Sequence[Dep], **params: Any) -> list[Dep]:
    """Output element ``i`` of a fiber depends on the elements up to ``i``
    (from ``i`` on when ``reverse``)."""
    (d,) = deps
    a = ctx.in_avals[0]
    axis, reverse = params["axis"], params["reverse"]
    length = a.shape[axis]
    pos = np.moveaxis(np.arange(a.size).reshape(a.shape), axis, -1).reshape(-1, length)
    i, j = np.tril_indices(length)  # j <= i
    if reverse:
        i, j = j, i
    rows = pos[:, i].ravel()
    cols = pos[:, j].ravel()
    return [combine(index_matrix(rows, cols, (a.size, a.size)), d)]


def integer_pow_rule(ctx: Context, deps: Sequence[Dep], **params: Any) -> list[Dep]:
    """``x ** y``: constant for y = 0, linear for y = 1, nonlinear otherwise."""
    y = params["y"]
    if y == 0:
        return [None]
    (d,) = deps
    if y != 1:
        ctx.square(d)
    return [d]


def abs_rule(ctx: Context, deps: Sequence[Dep], **params: Any) -> list[Dep]:
    """|x|: piecewise linear for real x, nonlinear (a cone) for complex x."""
    (d,) = deps
    if ctx.in_avals[0].dtype.kind == "c":
        ctx.square(d)
    return [d]


def identity_rule(ctx: Context, deps: Sequence[Dep], **params: Any) -> list[Dep]:
    """Output element ``i`` is input element ``i`` (convert_element_type)."""
    return [deps[0]]


def rule_of(prim: Any) -> SparsityRule:
    """``prim``'s sparsity rule; when it states none, ``conservative``, or
    ``conservative_linear`` (dense, but no Hessian term) for a primitive
    declared linear (``rules=linear(...)``)."""
    rule: SparsityRule | None = getattr(prim, "sparsity", None)
    if rule is not None:
        return rule
    return conservative_linear if getattr(prim, "linear", False) else conservative

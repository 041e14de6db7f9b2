"""Slicing primitives: slice, pad, concatenate (and, below, rev, gather and
scatter_add).

slice and pad are each other's transpose; concatenate's transpose is one
slice per operand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from funcdiff.core.ir import ShapedArray, aval_of
from funcdiff.core.primitive import Primitive, Zero, instantiate, zero_of
from funcdiff.core.trace import bind
from funcdiff.errors import DTypeError, ShapeError
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import shape as sh
from funcdiff.primitives import sparsity as spd
from funcdiff.primitives.batching import front_batch, keep_axis_batch, to_front
from funcdiff.primitives.rules import def_zero_derivative, linear

Array = Any

# ---------------------------------------------------------------------------
# slice: x[start:limit:stride] along every axis (strides positive)
# ---------------------------------------------------------------------------


def _slice_impl(
    x: Array,
    *,
    start_indices: tuple[int, ...],
    limit_indices: tuple[int, ...],
    strides: tuple[int, ...],
) -> Array:
    if type(x) is not np.ndarray:
        x = np.asarray(x)
    if len(strides) == 1:  # (the common x[a:b]: no tuple of slices to build)
        return x[start_indices[0] : limit_indices[0] : strides[0]]
    return x[tuple(map(slice, start_indices, limit_indices, strides))]


def _slice_abstract_eval(
    x: ShapedArray,
    *,
    start_indices: tuple[int, ...],
    limit_indices: tuple[int, ...],
    strides: tuple[int, ...],
) -> ShapedArray:
    ok = len(start_indices) == len(limit_indices) == len(strides) == x.ndim and all(
        0 <= s <= l <= n and st >= 1
        for s, l, st, n in zip(start_indices, limit_indices, strides, x.shape, strict=True)
    )
    if not ok:
        raise ShapeError(
            f"slice: start {start_indices}, limit {limit_indices}, strides {strides} "
            f"do not fit operand {x.str_short()}"
        )
    shape = tuple(
        -(-(l - s) // st) for s, l, st in zip(start_indices, limit_indices, strides, strict=True)
    )
    return ShapedArray(shape, x.dtype)


def _slice_transpose(
    ct: Array,
    x: Array,
    *,
    start_indices: tuple[int, ...],
    limit_indices: tuple[int, ...],
    strides: tuple[int, ...],
) -> Array:
    shape = aval_of(x).shape
    ct_shape = aval_of(ct).shape
    config = []
    for s, st, n, m in zip(start_indices, strides, shape, ct_shape, strict=True):
        used = s + (m - 1) * st + 1 if m else s
        config.append((s, n - used, st - 1) if m else (n, 0, 0))
    zero = np.zeros((), aval_of(ct).dtype)
    if any(m == 0 for m in ct_shape):
        return np.zeros(shape, aval_of(ct).dtype)
    return pad(ct, zero, tuple(config))


def _slice_emit(
    x: str,
    *,
    start_indices: tuple[int, ...],
    limit_indices: tuple[int, ...],
    strides: tuple[int, ...],
) -> str:
    if not start_indices:
        return x
    return "{}[{}]".format(
        x,
        ", ".join(
            f"{s}:{lim}" if st == 1 else f"{s}:{lim}:{st}"
            for s, lim, st in zip(start_indices, limit_indices, strides, strict=True)
        ),
    )


slice_p = Primitive(
    "slice",
    impl=_slice_impl,
    emit=_slice_emit,
    returns_view=True,  # numpy returns a view of the operand
    abstract_eval=_slice_abstract_eval,
    lower_jax=lambda ctx, x, *, start_indices, limit_indices, strides: ctx.lax.slice(
        x, start_indices, limit_indices, strides
    ),
    rules=linear(_slice_transpose),
    sparsity=spd.selection((0,)),
    batch=front_batch(
        lambda n, *, start_indices, limit_indices, strides: {
            "start_indices": (0, *start_indices),
            "limit_indices": (n, *limit_indices),
            "strides": (1, *strides),
        }
    ),
    samples=lambda rng: [
        ((rng.normal(size=(5,)),), {"start_indices": (1,), "limit_indices": (4,), "strides": (1,)}),
        (
            (rng.normal(size=(4, 6)),),
            {"start_indices": (0, 1), "limit_indices": (3, 6), "strides": (2, 2)},
        ),
        (
            (rng.normal(size=(3, 2)),),
            {"start_indices": (1, 0), "limit_indices": (2, 2), "strides": (1, 1)},
        ),
    ],
)

# ---------------------------------------------------------------------------
# pad: (lo, hi, interior) padding per axis with a scalar padding value
# ---------------------------------------------------------------------------

PadConfig = tuple[tuple[int, int, int], ...]


def _pad_impl(x: Array, padding_value: Array, *, padding_config: PadConfig) -> Array:
    x = np.asarray(x)
    if len(padding_config) == 1:  # the common 1-D case, without generators
        ((lo, hi, interior),) = padding_config
        n = x.shape[0]
        span = n + max(n - 1, 0) * interior
        out = (
            np.zeros(lo + hi + span, x.dtype)
            if padding_value == 0
            else np.full(lo + hi + span, padding_value, x.dtype)
        )
        out[lo : lo + span : interior + 1] = x
        return out
    shape = tuple(
        lo + hi + n + max(n - 1, 0) * interior
        for (lo, hi, interior), n in zip(padding_config, x.shape, strict=True)
    )
    out = (
        np.zeros(shape, x.dtype)
        if padding_value == 0
        else np.full(shape, padding_value, dtype=x.dtype)
    )
    idx = tuple(
        slice(lo, lo + n + max(n - 1, 0) * interior, interior + 1)
        for (lo, _, interior), n in zip(padding_config, x.shape, strict=True)
    )
    out[idx] = x
    return out


def _pad_abstract_eval(
    x: ShapedArray, pv: ShapedArray, *, padding_config: PadConfig
) -> ShapedArray:
    if len(padding_config) != x.ndim or any(
        lo < 0 or hi < 0 or it < 0 for lo, hi, it in padding_config
    ):
        raise ShapeError(
            f"pad: padding_config {padding_config} does not fit operand {x.str_short()} "
            "(one non-negative (lo, hi, interior) per axis)"
        )
    if pv.shape != ():
        raise ShapeError(f"pad: the padding value must be a scalar, got {pv.str_short()}")
    if pv.dtype != x.dtype:
        raise DTypeError(f"pad: padding value dtype {pv.dtype} differs from operand {x.dtype}")
    shape = tuple(
        lo + hi + n + max(n - 1, 0) * it
        for (lo, hi, it), n in zip(padding_config, x.shape, strict=True)
    )
    return ShapedArray(shape, x.dtype)


def _unpad(ct: Array, x_shape: tuple[int, ...], padding_config: PadConfig) -> Array:
    start = tuple(lo for lo, _, _ in padding_config)
    limit = tuple(
        lo + n + max(n - 1, 0) * it for (lo, _, it), n in zip(padding_config, x_shape, strict=True)
    )
    strides = tuple(it + 1 for _, _, it in padding_config)
    if any(n == 0 for n in x_shape):
        return np.zeros(x_shape, aval_of(ct).dtype)
    return slice_(ct, start, limit, strides)


def _pad_transpose_operand(ct: Array, x: Array, pv: Array, *, padding_config: PadConfig) -> Array:
    return _unpad(ct, aval_of(x).shape, padding_config)


def _pad_transpose_value(ct: Array, x: Array, pv: Array, *, padding_config: PadConfig) -> Array:
    total = sh.reduce_sum(ct, tuple(range(aval_of(ct).ndim)))
    inner = _unpad(ct, aval_of(x).shape, padding_config)
    return ew.sub(total, sh.reduce_sum(inner, tuple(range(aval_of(inner).ndim))))


def _pad_batch(
    args: Sequence[Array], dims: Sequence[int | None], *, padding_config: PadConfig
) -> tuple[Array, int]:
    x, pv = args
    dx, dpv = dims
    n = aval_of(x).shape[dx] if dx is not None else aval_of(pv).shape[dpv]  # type: ignore[index]
    x = to_front(x, dx, n)
    config = ((0, 0, 0), *padding_config)
    if dpv is None:
        return bind(pad_p, x, pv, padding_config=config), 0
    # a batched padding value: pad with zero, then add value * (padding mask)
    pv = to_front(pv, dpv)
    dtype = aval_of(x).dtype
    zero = np.zeros((), dtype)
    padded = bind(pad_p, x, zero, padding_config=config)
    mask = _pad_impl(
        np.zeros(aval_of(x).shape[1:], dtype), np.ones((), dtype), padding_config=padding_config
    )
    out_shape = aval_of(padded).shape
    pv_b = sh.broadcast_in_dim(pv, out_shape, (0,))
    return ew.add(padded, ew.mul(pv_b, mask)), 0


pad_p = Primitive(
    "pad",
    impl=_pad_impl,
    abstract_eval=_pad_abstract_eval,
    lower_jax=lambda ctx, x, value, *, padding_config: ctx.lax.pad(
        x, ctx.jnp.asarray(value, x.dtype), padding_config
    ),
    rules=linear(_pad_transpose_operand, _pad_transpose_value),
    sparsity=spd.selection((0, 1)),
    batch=_pad_batch,
    samples=lambda rng: [
        ((rng.normal(size=(3,)), rng.normal(size=())), {"padding_config": ((1, 2, 0),)}),
        (
            (rng.normal(size=(2, 3)), rng.normal(size=())),
            {"padding_config": ((0, 1, 1), (2, 0, 1))},
        ),
    ],
)

# ---------------------------------------------------------------------------
# add_into_slice(y, x, start): y + pad(x) with zeros, without building the pad.
# jit's codegen-only form of that add (``passes.fuse_pad_add`` writes it just
# before code generation; users' programs never contain it): the generated
# code adds ``x`` into a copy of ``y``, or into ``y``'s dying buffer.
# ---------------------------------------------------------------------------

Index = tuple[int, ...]


def _add_into_slice_impl(y: Array, x: Array, *, start: Index, shape: Index) -> Array:
    out = np.array(y, copy=True)
    out[tuple(slice(lo, lo + n) for lo, n in zip(start, shape, strict=True))] += x
    return out


def _add_into_slice_abstract_eval(
    y: ShapedArray, x: ShapedArray, *, start: Index, shape: Index
) -> ShapedArray:
    if x.dtype != y.dtype or x.shape != shape or len(start) != y.ndim:
        raise ShapeError(
            f"add_into_slice: operand {x.str_short()} does not fit {y.str_short()} at {start}"
        )
    if any(lo < 0 or lo + n > m for lo, n, m in zip(start, x.shape, y.shape, strict=True)):
        raise ShapeError(
            f"add_into_slice: operand {x.str_short()} at {start} runs past {y.str_short()}"
        )
    return y


def _add_into_slice_transpose_x(
    ct: Array, y: Array, x: Array, *, start: Index, shape: Index
) -> Array:
    limit = tuple(lo + n for lo, n in zip(start, shape, strict=True))
    return bind(slice_p, ct, start_indices=start, limit_indices=limit, strides=(1,) * len(shape))


def _add_into_slice_targets(ctx: Any, *, start: Index, shape: Index) -> Array:
    """Where each element of ``x`` lands in the output (sparsity detection)."""
    out = ctx.out_avals[0]
    where = np.arange(out.size).reshape(out.shape)
    return where[tuple(slice(lo, lo + n) for lo, n in zip(start, shape, strict=True))]


add_into_slice_p = Primitive(
    "add_into_slice",
    impl=_add_into_slice_impl,
    emit_inplace=lambda out, y, x, *, zeros, known, start, shape: "{}[{}] {} {}".format(
        out,
        ", ".join(f"{lo}:{lo + n}" for lo, n in zip(start, shape, strict=True)),
        "=" if zeros else "+=",  # into fresh zeros, adding is assigning
        x,
    ),
    region=lambda *, start, shape: tuple(
        slice(lo, lo + n) for lo, n in zip(start, shape, strict=True)
    ),
    abstract_eval=_add_into_slice_abstract_eval,
    lower_jax=lambda ctx, y, x, *, start, shape: y.at[
        tuple(slice(lo, lo + n) for lo, n in zip(start, shape, strict=True))
    ].add(x),
    rules=linear(lambda ct, y, x, **params: ct, _add_into_slice_transpose_x),
    sparsity=spd.placement(0, 1, _add_into_slice_targets),
    batch=front_batch(lambda n, *, start, shape: {"start": (0, *start), "shape": (n, *shape)}),
    samples=lambda rng: [
        ((rng.normal(size=(5,)), rng.normal(size=(3,))), {"start": (1,), "shape": (3,)}),
        ((rng.normal(size=(3, 4)), rng.normal(size=(2, 4))), {"start": (1, 0), "shape": (2, 4)}),
    ],
)

# ---------------------------------------------------------------------------
# concatenate
# ---------------------------------------------------------------------------


def _concatenate_abstract_eval(*xs: ShapedArray, dimension: int) -> ShapedArray:
    first = xs[0]
    ok = all(
        x.ndim == first.ndim
        and 0 <= dimension < first.ndim
        and all(
            a == b
            for i, (a, b) in enumerate(zip(x.shape, first.shape, strict=True))
            if i != dimension
        )
        for x in xs
    )
    if not ok:
        listed = ", ".join(x.str_short() for x in xs)
        raise ShapeError(
            f"concatenate: operands {listed} must have equal shapes except along axis {dimension}"
        )
    if any(x.dtype != first.dtype for x in xs):
        raise DTypeError("concatenate: operands must share a dtype")
    shape = list(first.shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(tuple(shape), first.dtype)


def _concatenate_transpose(k: int) -> Any:
    def transpose(ct: Array, *xs: Array, dimension: int) -> Array:
        start = sum(aval_of(x).shape[dimension] for x in xs[:k])
        return slice_axis(ct, start, start + aval_of(xs[k]).shape[dimension], dimension)

    return transpose


def _concatenate_jvp(
    primals: Sequence[Any], tangents: Sequence[Any], out: Any, *, dimension: int
) -> Any:
    if all(isinstance(t, Zero) for t in tangents):
        return Zero(aval_of(out))
    return bind(concatenate_p, *[instantiate(t) for t in tangents], dimension=dimension)


def _concatenate_taylor(
    primals: Sequence[Any], series: Sequence[Any], *, dimension: int
) -> tuple[list[Any], list[Any]]:
    """Linear: coefficient k of the output is the concatenation of the
    operands' coefficient k (zeros for an operand with a zero series)."""
    out = bind(concatenate_p, *primals, dimension=dimension)
    k = next(len(s) for s in series if not isinstance(s, Zero))
    coeffs = [
        bind(
            concatenate_p,
            *[
                np.zeros(aval_of(p).shape, aval_of(p).dtype) if isinstance(s, Zero) else s[i]
                for p, s in zip(primals, series, strict=True)
            ],
            dimension=dimension,
        )
        for i in range(k)
    ]
    return [out], [coeffs]


def _concatenate_vjp(
    ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool], *, dimension: int
) -> list[Any]:
    return [
        _concatenate_transpose(k)(ct, *primals, dimension=dimension) if need else zero_of(x)
        for k, (x, need) in enumerate(zip(primals, needs, strict=True))
    ]


concatenate_p = Primitive(
    "concatenate",
    impl=lambda *xs, dimension: np.concatenate(xs, axis=dimension),
    abstract_eval=_concatenate_abstract_eval,
    lower_jax=lambda ctx, *xs, dimension: ctx.jnp.concatenate(xs, axis=dimension),
    jvp=_concatenate_jvp,
    vjp=_concatenate_vjp,
    taylor=_concatenate_taylor,
    sparsity=spd.selection(),
    batch=front_batch(lambda n, *, dimension: {"dimension": dimension + 1}),
    samples=lambda rng: [
        ((rng.normal(size=(2,)), rng.normal(size=(3,))), {"dimension": 0}),
        (
            (rng.normal(size=(2, 3)), rng.normal(size=(2, 1)), rng.normal(size=(2, 2))),
            {"dimension": 1},
        ),
    ],
)

# ---------------------------------------------------------------------------
# wrappers
# ---------------------------------------------------------------------------


def slice_(
    x: Array,
    start: tuple[int, ...],
    limit: tuple[int, ...],
    strides: tuple[int, ...] | None = None,
) -> Array:
    shape = aval_of(x).shape
    strides = strides or (1,) * len(shape)
    if tuple(start) == (0,) * len(shape) and tuple(limit) == shape and set(strides) <= {1}:
        return x
    return bind(
        slice_p,
        x,
        start_indices=tuple(int(s) for s in start),
        limit_indices=tuple(int(s) for s in limit),
        strides=tuple(int(s) for s in strides),
    )


def slice_axis(x: Array, start: int, stop: int, axis: int, step: int = 1) -> Array:
    """``x[..., start:stop:step, ...]`` along one axis."""
    shape = aval_of(x).shape
    axis = axis % len(shape)
    starts = [0] * len(shape)
    limits = list(shape)
    strides = [1] * len(shape)
    starts[axis], limits[axis], strides[axis] = start, stop, step
    return slice_(x, tuple(starts), tuple(limits), tuple(strides))


def pad(x: Array, padding_value: Any, config: PadConfig) -> Array:
    pv = ew.weak(padding_value, x) if isinstance(padding_value, (int, float)) else padding_value
    if all(c == (0, 0, 0) for c in config):
        return x
    return bind(pad_p, x, pv, padding_config=tuple(tuple(int(v) for v in c) for c in config))


def concatenate(xs: Sequence[Array], dimension: int) -> Array:
    if len(xs) == 1:
        return xs[0]
    return bind(concatenate_p, *xs, dimension=int(dimension))


# ---------------------------------------------------------------------------
# rev: reverse the order of elements along some axes
# ---------------------------------------------------------------------------


def _rev_abstract_eval(x: ShapedArray, *, dimensions: tuple[int, ...]) -> ShapedArray:
    sh.check_axes("rev", x, dimensions)
    return x


rev_p = Primitive(
    "rev",
    impl=lambda x, *, dimensions: np.flip(x, dimensions),
    returns_view=True,  # numpy returns a view of the operand
    abstract_eval=_rev_abstract_eval,
    lower_jax=lambda ctx, x, *, dimensions: ctx.lax.rev(x, dimensions),
    rules=linear(lambda ct, x, *, dimensions: rev(ct, dimensions)),
    sparsity=spd.selection((0,)),
    batch=keep_axis_batch("dimensions"),
    samples=lambda rng: [
        ((rng.normal(size=(4,)),), {"dimensions": (0,)}),
        ((rng.normal(size=(2, 3)),), {"dimensions": (1,)}),
        ((rng.normal(size=(2, 3, 4)),), {"dimensions": (0, 2)}),
    ],
)

# ---------------------------------------------------------------------------
# gather: np.take(x, idx, axis) with in-range, non-negative integer indices
# ---------------------------------------------------------------------------


def _gather_impl(x: Array, idx: Array, *, axis: int) -> Array:
    return np.take(x, idx, axis=axis)


def _check_index_aval(name: str, idx: ShapedArray) -> None:
    if idx.dtype.kind not in "iu":
        raise DTypeError(
            f"{name}: indices must be an integer array, got {idx.str_short()}; "
            "convert them with astype(int)"
        )


def _gather_abstract_eval(x: ShapedArray, idx: ShapedArray, *, axis: int) -> ShapedArray:
    _check_index_aval("gather", idx)
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"gather: axis {axis} is out of range for operand {x.str_short()}")
    return ShapedArray(x.shape[:axis] + idx.shape + x.shape[axis + 1 :], x.dtype)


def _gather_transpose(ct: Array, x: Array, idx: Array, *, axis: int) -> Array:
    zeros = np.zeros(aval_of(x).shape, aval_of(ct).dtype)
    return bind(scatter_add_p, zeros, idx, ct, axis=axis)


def _check_batched_indices(idx: Array, n: int, name: str) -> None:
    """Flattening a batch into the indexed axis turns an out-of-range index
    into a silent read of the neighbouring batch member; catch it when the
    indices are concrete."""
    if isinstance(idx, np.ndarray) and idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= n:
            bad = lo if lo < 0 else hi
            raise IndexError(f"{name}: index {bad} is out of bounds for axis size {n}")


def _flat_batch_indices(idx: Array, n: int, name: str) -> Array:
    """Batched indices (batch axis first) into a batch flattened into the
    indexed axis: ``idx[b] + b * n``."""
    _check_batched_indices(idx, n, name)
    ishape = aval_of(idx).shape
    nb = ishape[0]
    offsets = np.arange(nb, dtype=aval_of(idx).dtype) * n
    offsets = offsets.reshape((nb,) + (1,) * (len(ishape) - 1))
    return ew.add(idx, offsets)


def _gather_batch(
    args: Sequence[Array], dims: Sequence[int | None], *, axis: int
) -> tuple[Array, int]:
    x, idx = args
    dx, di = dims
    if di is None:
        assert dx is not None
        a = axis if axis < dx else axis + 1
        out_dim = dx if dx < a else dx + aval_of(idx).ndim - 1
        return bind(gather_p, x, idx, axis=a), out_dim
    if dx is None:
        return bind(gather_p, x, idx, axis=axis), axis + di
    # both batched: fold the batch into the gathered axis, offset the indices
    x = sh.moveaxis(to_front(x, dx), axis + 1, 1)
    xs = aval_of(x).shape
    nb, n, rest = xs[0], xs[1], xs[2:]
    flat_x = sh.reshape(x, (nb * n, *rest))
    idx = to_front(idx, di)
    flat_idx = _flat_batch_indices(idx, n, "gather")
    out = bind(gather_p, flat_x, flat_idx, axis=0)  # (nb, *ishape, *pre, *post)
    k = aval_of(idx).ndim - 1
    perm = (
        0,
        *range(1 + k, 1 + k + axis),
        *range(1, 1 + k),
        *range(1 + k + axis, 1 + k + len(rest)),
    )
    return sh.transpose(out, perm), 0


gather_p = Primitive(
    "gather",
    impl=_gather_impl,
    abstract_eval=_gather_abstract_eval,
    emit=lambda x, idx, *, axis: f"np.take({x}, {idx}, axis={axis})",
    emit_method=lambda x, idx, *, axis: f"{x}.take({idx}, axis={axis})",
    # (the indices are in range: clipping, XLA's cheapest mode, changes none)
    lower_jax=lambda ctx, x, idx, *, axis: ctx.jnp.take(x, idx, axis=axis, mode="clip"),
    rules=linear(_gather_transpose, None),
    sparsity=spd.selection((0,)),
    batch=_gather_batch,
    samples=lambda rng: [
        ((rng.normal(size=(5,)), np.array([0, 3, 3, 1])), {"axis": 0}),
        ((rng.normal(size=(3, 4)), np.array([[2, 0], [1, 1]])), {"axis": 1}),
        ((rng.normal(size=(3, 4)), np.array(2)), {"axis": 0}),
        ((rng.normal(size=(2, 3, 2)), np.array([1, 0, 2, 1])), {"axis": 1}),
    ],
)

# ---------------------------------------------------------------------------
# scatter_add: operand with updates added at idx along an axis (np.add.at)
# ---------------------------------------------------------------------------


def _scatter_add_impl(operand: Array, idx: Array, updates: Array, *, axis: int) -> Array:
    operand = np.asarray(operand)
    if operand.ndim == 1 and operand.dtype == np.float64:
        # bincount is much faster than add.at for the common 1-D case
        counts = np.bincount(np.ravel(idx), weights=np.ravel(updates), minlength=operand.shape[0])
        if counts.shape[0] > operand.shape[0]:
            raise IndexError(
                f"index {int(np.max(idx))} is out of bounds for axis 0 with size {operand.shape[0]}"
            )
        return operand + counts
    out = np.array(operand, copy=True)
    np.add.at(out, (slice(None),) * axis + (idx,), updates)  # type: ignore[arg-type]
    return out


def _scatter_add_abstract_eval(
    operand: ShapedArray, idx: ShapedArray, updates: ShapedArray, *, axis: int
) -> ShapedArray:
    _check_index_aval("scatter_add", idx)
    if not 0 <= axis < operand.ndim:
        raise ShapeError(
            f"scatter_add: axis {axis} is out of range for operand {operand.str_short()}"
        )
    want = operand.shape[:axis] + idx.shape + operand.shape[axis + 1 :]
    if updates.shape != want:
        raise ShapeError(
            f"scatter_add: updates {updates.str_short()} must have shape {want} "
            f"(operand {operand.str_short()}, indices {idx.str_short()}, axis {axis})"
        )
    if updates.dtype != operand.dtype:
        raise DTypeError(
            f"scatter_add: updates dtype {updates.dtype} differs from operand {operand.dtype}"
        )
    return operand


def _scatter_add_batch(
    args: Sequence[Array], dims: Sequence[int | None], *, axis: int
) -> tuple[Array, int]:
    operand, idx, updates = args
    do, di, du = dims
    nb = next(aval_of(x).shape[d] for x, d in zip(args, dims, strict=True) if d is not None)
    operand = to_front(operand, do, nb)
    updates = to_front(updates, du, nb)
    if di is None:
        return bind(scatter_add_p, operand, idx, updates, axis=axis + 1), 0
    # batched indices: fold the batch into the scattered axis
    idx = to_front(idx, di)
    k = aval_of(idx).ndim - 1
    operand = sh.moveaxis(operand, axis + 1, 1)
    os_ = aval_of(operand).shape
    n, rest = os_[1], os_[2:]
    flat_op = sh.reshape(operand, (nb * n, *rest))
    # updates: (nb, *pre, *ishape, *post) -> (nb, *ishape, *pre, *post)
    perm = (
        0,
        *range(1 + axis, 1 + axis + k),
        *range(1, 1 + axis),
        *range(1 + axis + k, aval_of(updates).ndim),
    )
    updates = sh.transpose(updates, perm)
    flat_idx = _flat_batch_indices(idx, n, "scatter_add")
    out = bind(scatter_add_p, flat_op, flat_idx, updates, axis=0)
    out = sh.reshape(out, (nb, n, *rest))
    return sh.moveaxis(out, 1, axis + 1), 0


def _scatter_add_targets(ctx: Any, *, axis: int) -> Array | None:
    """Where each element of ``updates`` lands (None: indices unknown)."""
    idx = ctx.known[1]
    if idx is None:
        return None
    out = ctx.out_avals[0]
    return np.take(np.arange(out.size).reshape(out.shape), idx, axis=axis)


def _scatter_add_emit(
    out: str,
    operand: str,
    idx: str,
    updates: str,
    *,
    zeros: bool,
    known: Sequence[Any],
    axis: int,
) -> str:
    where = ", ".join(["slice(None)"] * axis + [idx])
    indices = known[1]
    if (
        zeros
        and isinstance(indices, np.ndarray)
        and indices.size
        and indices.min() >= 0  # (-1 and n - 1 would be one place)
        and np.unique(indices).size == indices.size
    ):
        # each place written once, into fresh zeros: adding is assigning
        # (as for add_into_slice), and numpy's fancy assignment is 3x faster
        return f"{out}[{where}] = {updates}"
    return f"np.add.at({out}, ({where},), {updates})"


scatter_add_p = Primitive(
    "scatter_add",
    impl=_scatter_add_impl,
    abstract_eval=_scatter_add_abstract_eval,
    # jit: on a copy of the operand (or its buffer, when it dies here)
    emit_inplace=_scatter_add_emit,
    # (``.at[...].add`` accumulates repeated indices, as np.add.at does)
    lower_jax=lambda ctx, operand, idx, updates, *, axis: operand.at[
        (slice(None),) * axis + (idx,)
    ].add(updates),
    rules=linear(
        lambda ct, operand, idx, updates, *, axis: ct,
        None,
        lambda ct, operand, idx, updates, *, axis: bind(gather_p, ct, idx, axis=axis),
    ),
    batch=_scatter_add_batch,
    sparsity=spd.placement(0, 2, _scatter_add_targets),
    samples=lambda rng: [
        ((rng.normal(size=(5,)), np.array([0, 3, 3, 1]), rng.normal(size=(4,))), {"axis": 0}),
        (
            (rng.normal(size=(3, 4)), np.array([[2, 0], [2, 2]]), rng.normal(size=(3, 2, 2))),
            {"axis": 1},
        ),
        ((rng.normal(size=(3, 2)), np.array(1), rng.normal(size=(2,))), {"axis": 0}),
    ],
)

# ---------------------------------------------------------------------------
# argsort: stable sorting permutation along an axis (integer output)
# ---------------------------------------------------------------------------


def _argsort_abstract_eval(x: ShapedArray, *, axis: int) -> ShapedArray:
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"argsort: axis {axis} is out of range for operand {x.str_short()}")
    return ShapedArray(x.shape, np.int64)


argsort_p = Primitive(
    "argsort",
    impl=lambda x, *, axis: np.argsort(x, axis=axis, kind="stable"),
    abstract_eval=_argsort_abstract_eval,
    lower_jax=lambda ctx, x, *, axis: ctx.jnp.argsort(x, axis=axis, stable=True),
    rules=def_zero_derivative,
    batch=keep_axis_batch("axis"),
    samples=lambda rng: [
        ((rng.normal(size=(5,)),), {"axis": 0}),
        ((rng.normal(size=(3, 4)),), {"axis": 1}),
        ((rng.normal(size=(3, 4)),), {"axis": 0}),
    ],
)

# ---------------------------------------------------------------------------
# wrappers (record nothing when there is nothing to do)
# ---------------------------------------------------------------------------


def rev(x: Array, dimensions: Sequence[int]) -> Array:
    """Reverse ``x`` along ``dimensions`` (non-negative axes)."""
    shape = aval_of(x).shape
    dims = tuple(sorted(int(d) for d in dimensions if shape[int(d)] > 1))
    if not dims:
        return x
    return bind(rev_p, x, dimensions=dims)


def gather(x: Array, idx: Array, axis: int) -> Array:
    """``np.take(x, idx, axis)`` for in-range, non-negative integer indices."""
    return bind(gather_p, x, idx, axis=int(axis))


def scatter_add(operand: Array, idx: Array, updates: Array, axis: int) -> Array:
    """``operand`` with ``updates`` added at ``idx`` along ``axis`` (np.add.at)."""
    return bind(scatter_add_p, operand, idx, updates, axis=int(axis))


def argsort(x: Array, axis: int) -> Array:
    """The stable sorting permutation of ``x`` along ``axis`` (int64)."""
    return bind(argsort_p, x, axis=int(axis))

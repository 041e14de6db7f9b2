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
from funcdiff.core.primitive import Primitive, Zero, deflinear, instantiate
from funcdiff.core.trace import bind
from funcdiff.errors import DTypeError, ShapeError
from funcdiff.primitives import elementwise as E
from funcdiff.primitives import shape as S

Array = Any

# ---------------------------------------------------------------------------
# slice: x[start:limit:stride] along every axis (strides positive)
# ---------------------------------------------------------------------------

slice_p = Primitive("slice")


def _slice_impl(
    x: Array,
    *,
    start_indices: tuple[int, ...],
    limit_indices: tuple[int, ...],
    strides: tuple[int, ...],
) -> Array:
    return np.asarray(x)[
        tuple(slice(s, l, st) for s, l, st in zip(start_indices, limit_indices, strides, strict=True))
    ]


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


def _slice_batch(
    args: Sequence[Array],
    dims: Sequence[int | None],
    *,
    start_indices: tuple[int, ...],
    limit_indices: tuple[int, ...],
    strides: tuple[int, ...],
) -> tuple[Array, int]:
    x = S.moveaxis(args[0], dims[0], 0)  # type: ignore[arg-type]
    n = aval_of(x).shape[0]
    out = bind(
        slice_p,
        x,
        start_indices=(0, *start_indices),
        limit_indices=(n, *limit_indices),
        strides=(1, *strides),
    )
    return out, 0


slice_p.impl = _slice_impl
slice_p.abstract_eval = _slice_abstract_eval
deflinear(slice_p, _slice_transpose)
slice_p.batch = _slice_batch
slice_p.samples = lambda rng: [
    ((rng.normal(size=(5,)),), {"start_indices": (1,), "limit_indices": (4,), "strides": (1,)}),
    ((rng.normal(size=(4, 6)),), {"start_indices": (0, 1), "limit_indices": (3, 6), "strides": (2, 2)}),
    ((rng.normal(size=(3, 2)),), {"start_indices": (1, 0), "limit_indices": (2, 2), "strides": (1, 1)}),
]

# ---------------------------------------------------------------------------
# pad: (lo, hi, interior) padding per axis with a scalar padding value
# ---------------------------------------------------------------------------

pad_p = Primitive("pad")
PadConfig = tuple[tuple[int, int, int], ...]


def _pad_impl(x: Array, padding_value: Array, *, padding_config: PadConfig) -> Array:
    x = np.asarray(x)
    shape = tuple(
        lo + hi + n + max(n - 1, 0) * interior
        for (lo, hi, interior), n in zip(padding_config, x.shape, strict=True)
    )
    out = np.full(shape, padding_value, dtype=x.dtype)
    idx = tuple(
        slice(lo, lo + n + max(n - 1, 0) * interior, interior + 1)
        for (lo, _, interior), n in zip(padding_config, x.shape, strict=True)
    )
    out[idx] = x
    return out


def _pad_abstract_eval(x: ShapedArray, pv: ShapedArray, *, padding_config: PadConfig) -> ShapedArray:
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
        lo + hi + n + max(n - 1, 0) * it for (lo, hi, it), n in zip(padding_config, x.shape, strict=True)
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
    total = S.reduce_sum(ct, tuple(range(aval_of(ct).ndim)))
    inner = _unpad(ct, aval_of(x).shape, padding_config)
    return E.sub(total, S.reduce_sum(inner, tuple(range(aval_of(inner).ndim))))


def _pad_batch(
    args: Sequence[Array], dims: Sequence[int | None], *, padding_config: PadConfig
) -> tuple[Array, int]:
    x, pv = args
    dx, dpv = dims
    if dx is None:
        n = aval_of(pv).shape[dpv]  # type: ignore[index]
        x = S.broadcast_in_dim(x, (n, *aval_of(x).shape), tuple(range(1, aval_of(x).ndim + 1)))
    else:
        x = S.moveaxis(x, dx, 0)
    config = ((0, 0, 0), *padding_config)
    if dpv is None:
        return bind(pad_p, x, pv, padding_config=config), 0
    # a batched padding value: pad with zero, then add value * (padding mask)
    pv = S.moveaxis(pv, dpv, 0)
    dtype = aval_of(x).dtype
    zero = np.zeros((), dtype)
    padded = bind(pad_p, x, zero, padding_config=config)
    mask = _pad_impl(np.zeros(aval_of(x).shape[1:], dtype), np.ones((), dtype), padding_config=padding_config)
    out_shape = aval_of(padded).shape
    pv_b = S.broadcast_in_dim(pv, out_shape, (0,))
    return E.add(padded, E.mul(pv_b, mask)), 0


pad_p.impl = _pad_impl
pad_p.abstract_eval = _pad_abstract_eval
deflinear(pad_p, _pad_transpose_operand, _pad_transpose_value)
pad_p.batch = _pad_batch
pad_p.samples = lambda rng: [
    ((rng.normal(size=(3,)), rng.normal(size=())), {"padding_config": ((1, 2, 0),)}),
    ((rng.normal(size=(2, 3)), rng.normal(size=())), {"padding_config": ((0, 1, 1), (2, 0, 1))}),
]

# ---------------------------------------------------------------------------
# concatenate
# ---------------------------------------------------------------------------

concatenate_p = Primitive("concatenate")
concatenate_p.impl = lambda *xs, dimension: np.concatenate(xs, axis=dimension)


def _concatenate_abstract_eval(*xs: ShapedArray, dimension: int) -> ShapedArray:
    first = xs[0]
    ok = all(
        x.ndim == first.ndim
        and 0 <= dimension < first.ndim
        and all(a == b for i, (a, b) in enumerate(zip(x.shape, first.shape, strict=True)) if i != dimension)
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


def _concatenate_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any, *, dimension: int) -> Any:
    if all(isinstance(t, Zero) for t in tangents):
        return Zero(aval_of(out))
    return bind(concatenate_p, *[instantiate(t) for t in tangents], dimension=dimension)


def _concatenate_vjp(
    ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool], *, dimension: int
) -> list[Any]:
    return [
        _concatenate_transpose(k)(ct, *primals, dimension=dimension) if need else None
        for k, need in enumerate(needs)
    ]


def _concatenate_batch(
    args: Sequence[Array], dims: Sequence[int | None], *, dimension: int
) -> tuple[Array, int]:
    n = next(aval_of(x).shape[d] for x, d in zip(args, dims, strict=True) if d is not None)
    moved = []
    for x, d in zip(args, dims, strict=True):
        if d is None:
            shape = aval_of(x).shape
            moved.append(S.broadcast_in_dim(x, (n, *shape), tuple(range(1, len(shape) + 1))))
        else:
            moved.append(S.moveaxis(x, d, 0))
    return bind(concatenate_p, *moved, dimension=dimension + 1), 0


concatenate_p.abstract_eval = _concatenate_abstract_eval
concatenate_p.jvp = _concatenate_jvp
concatenate_p.vjp = _concatenate_vjp
concatenate_p.batch = _concatenate_batch
concatenate_p.samples = lambda rng: [
    ((rng.normal(size=(2,)), rng.normal(size=(3,))), {"dimension": 0}),
    ((rng.normal(size=(2, 3)), rng.normal(size=(2, 1)), rng.normal(size=(2, 2))), {"dimension": 1}),
]

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
    pv = E.weak(padding_value, x) if isinstance(padding_value, (int, float)) else padding_value
    if all(c == (0, 0, 0) for c in config):
        return x
    return bind(pad_p, x, pv, padding_config=tuple(tuple(int(v) for v in c) for c in config))


def concatenate(xs: Sequence[Array], dimension: int) -> Array:
    if len(xs) == 1:
        return xs[0]
    return bind(concatenate_p, *xs, dimension=int(dimension))

"""Shape primitives: broadcast_in_dim, reshape, transpose and reduce_sum.

They are linear, so each is defined by its transpose: broadcast_in_dim and
reduce_sum are each other's, reshape and transpose undo themselves. The
wrappers at the bottom (``moveaxis``, ``broadcast_to``, ``expand_dims``)
record nothing when there is nothing to do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcdiff.core.ir import ShapedArray, aval_of
from funcdiff.core.primitive import Primitive
from funcdiff.core.trace import bind
from funcdiff.errors import ShapeError
from funcdiff.primitives import sparsity as spd
from funcdiff.primitives.batching import front_batch, shift
from funcdiff.primitives.rules import linear

Array = Any


# ---------------------------------------------------------------------------
# broadcast_in_dim: operand axis i becomes output axis broadcast_dimensions[i]
# ---------------------------------------------------------------------------


def _bid_impl(x: Array, *, shape: tuple[int, ...], broadcast_dimensions: tuple[int, ...]) -> Array:
    x = np.asarray(x)
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


def _bid_abstract_eval(
    x: ShapedArray, *, shape: tuple[int, ...], broadcast_dimensions: tuple[int, ...]
) -> ShapedArray:
    ok = (
        len(broadcast_dimensions) == x.ndim
        and all(
            0 <= d < len(shape) and x.shape[i] in (1, shape[d])
            for i, d in enumerate(broadcast_dimensions)
        )
        and list(broadcast_dimensions) == sorted(set(broadcast_dimensions))
    )
    if not ok:
        raise ShapeError(
            f"broadcast_in_dim: cannot broadcast {x.str_short()} to shape {shape} "
            f"along dimensions {broadcast_dimensions}"
        )
    return ShapedArray(shape, x.dtype)


def _bid_transpose(
    ct: Array, x: Array, *, shape: tuple[int, ...], broadcast_dimensions: tuple[int, ...]
) -> Array:
    x_shape = aval_of(x).shape
    kept = set(broadcast_dimensions)
    axes = tuple(d for d in range(len(shape)) if d not in kept) + tuple(
        d for i, d in enumerate(broadcast_dimensions) if x_shape[i] == 1 and shape[d] != 1
    )
    out = reduce_sum(ct, tuple(sorted(axes))) if axes else ct
    return reshape(out, x_shape)


broadcast_in_dim_p = Primitive(
    "broadcast_in_dim",
    impl=_bid_impl,
    returns_view=True,  # numpy returns a view of the operand
    abstract_eval=_bid_abstract_eval,
    lower_jax=lambda ctx, x, *, shape, broadcast_dimensions: ctx.lax.broadcast_in_dim(
        x, shape, broadcast_dimensions
    ),
    rules=linear(_bid_transpose),
    sparsity=spd.selection((0,)),
    batch=front_batch(
        lambda n, *, shape, broadcast_dimensions: {
            "shape": (n, *shape),
            "broadcast_dimensions": (0, *shift(broadcast_dimensions)),
        }
    ),
    samples=lambda rng: [
        ((rng.normal(size=(3,)),), {"shape": (2, 3), "broadcast_dimensions": (1,)}),
        ((rng.normal(size=(3, 1)),), {"shape": (3, 4), "broadcast_dimensions": (0, 1)}),
        ((rng.normal(size=()),), {"shape": (2, 2), "broadcast_dimensions": ()}),
        ((rng.normal(size=(2,)),), {"shape": (2, 3, 4), "broadcast_dimensions": (0,)}),
    ],
)

# ---------------------------------------------------------------------------
# reshape
# ---------------------------------------------------------------------------


def _reshape_abstract_eval(x: ShapedArray, *, new_sizes: tuple[int, ...]) -> ShapedArray:
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise ShapeError(
            f"reshape: cannot reshape {x.str_short()} ({x.size} elements) into shape {new_sizes}"
        )
    return ShapedArray(new_sizes, x.dtype)


reshape_p = Primitive(
    "reshape",
    impl=lambda x, *, new_sizes: np.reshape(x, new_sizes),
    emit=lambda x, *, new_sizes: f"np.reshape({x}, {new_sizes!r})",
    emit_method=lambda x, *, new_sizes: f"{x}.reshape({new_sizes!r})",
    returns_view=True,  # numpy returns a view of the operand
    abstract_eval=_reshape_abstract_eval,
    lower_jax=lambda ctx, x, *, new_sizes: ctx.lax.reshape(x, new_sizes),
    rules=linear(lambda ct, x, *, new_sizes: reshape(ct, aval_of(x).shape)),
    sparsity=spd.selection((0,)),
    batch=front_batch(lambda n, *, new_sizes: {"new_sizes": (n, *new_sizes)}),
    samples=lambda rng: [
        ((rng.normal(size=(2, 3)),), {"new_sizes": (3, 2)}),
        ((rng.normal(size=(6,)),), {"new_sizes": (1, 2, 3)}),
        ((rng.normal(size=(1,)),), {"new_sizes": ()}),
    ],
)

# ---------------------------------------------------------------------------
# transpose
# ---------------------------------------------------------------------------


def _transpose_abstract_eval(x: ShapedArray, *, permutation: tuple[int, ...]) -> ShapedArray:
    if sorted(permutation) != list(range(x.ndim)):
        raise ShapeError(
            f"transpose: {permutation} is not a permutation of the axes of {x.str_short()}"
        )
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype)


transpose_p = Primitive(
    "transpose",
    impl=lambda x, *, permutation: np.transpose(x, permutation),
    emit=lambda x, *, permutation: f"np.transpose({x}, {permutation!r})",
    emit_method=lambda x, *, permutation: f"{x}.transpose({permutation!r})",
    returns_view=True,  # numpy returns a view of the operand
    abstract_eval=_transpose_abstract_eval,
    lower_jax=lambda ctx, x, *, permutation: ctx.lax.transpose(x, permutation),
    rules=linear(
        lambda ct, x, *, permutation: transpose(ct, tuple(int(i) for i in np.argsort(permutation)))
    ),
    batch=front_batch(lambda n, *, permutation: {"permutation": (0, *shift(permutation))}),
    sparsity=spd.selection((0,)),
    samples=lambda rng: [
        ((rng.normal(size=(2, 3)),), {"permutation": (1, 0)}),
        ((rng.normal(size=(2, 3, 4)),), {"permutation": (2, 0, 1)}),
    ],
)

# ---------------------------------------------------------------------------
# reduce_sum
# ---------------------------------------------------------------------------


def check_axes(name: str, x: ShapedArray, axes: tuple[int, ...]) -> None:
    if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
        raise ShapeError(f"{name}: axes {axes} out of range for operand {x.str_short()}")


def _reduce_sum_abstract_eval(x: ShapedArray, *, axes: tuple[int, ...]) -> ShapedArray:
    check_axes("reduce_sum", x, axes)
    return ShapedArray(tuple(n for i, n in enumerate(x.shape) if i not in axes), x.dtype)


def _reduce_sum_transpose(ct: Array, x: Array, *, axes: tuple[int, ...]) -> Array:
    shape = aval_of(x).shape
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    return bind(broadcast_in_dim_p, ct, shape=shape, broadcast_dimensions=kept)


reduce_sum_p = Primitive(
    "reduce_sum",
    # (numpy's ufunc itself: ``np.sum``'s Python wrapper costs as much as a short sum)
    impl=lambda x, *, axes: np.add.reduce(x, axis=axes, dtype=x.dtype),
    emit=lambda x, *, axes: f"np.sum({x}, axis={axes!r})",
    emit_method=lambda x, *, axes: f"{x}.sum(axis={axes!r})",
    abstract_eval=_reduce_sum_abstract_eval,
    lower_jax=lambda ctx, x, *, axes: ctx.lax.reduce_sum(x, axes),
    rules=linear(_reduce_sum_transpose),
    sparsity=spd.reduction("axes"),
    batch=front_batch(lambda n, *, axes: {"axes": shift(axes)}),
    samples=lambda rng: [
        ((rng.normal(size=(2, 3)),), {"axes": (1,)}),
        ((rng.normal(size=(2, 3, 4)),), {"axes": (0, 2)}),
        ((rng.normal(size=(3,)),), {"axes": (0,)}),
    ],
)

# ---------------------------------------------------------------------------
# wrappers
# ---------------------------------------------------------------------------


def reshape(x: Array, shape: tuple[int, ...]) -> Array:
    shape = tuple(int(s) for s in shape)
    if aval_of(x).shape == shape:
        return x
    return bind(reshape_p, x, new_sizes=shape)


def transpose(x: Array, permutation: tuple[int, ...]) -> Array:
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return bind(transpose_p, x, permutation=permutation)


def moveaxis(x: Array, src: int, dst: int) -> Array:
    ndim = aval_of(x).ndim
    src, dst = src % ndim, dst % ndim
    if src == dst:
        return x
    perm = [i for i in range(ndim) if i != src]
    perm.insert(dst, src)
    return transpose(x, tuple(perm))


def reduce_sum(x: Array, axes: tuple[int, ...]) -> Array:
    """Sum over ``axes``. Over no axes it still computes a new value, as
    ``np.sum(x, axis=())`` does (``simplify`` drops the equation): a 0-d
    result is then a numpy scalar, not the caller's array."""
    return bind(reduce_sum_p, x, axes=tuple(sorted(int(a) for a in axes)))


def broadcast_in_dim(x: Array, shape: tuple[int, ...], dims: tuple[int, ...]) -> Array:
    if aval_of(x).shape == tuple(shape):
        return x
    return bind(broadcast_in_dim_p, x, shape=tuple(shape), broadcast_dimensions=tuple(dims))


def broadcast_to(x: Array, shape: tuple[int, ...]) -> Array:
    """numpy.broadcast_to: align axes from the right."""
    shape = tuple(int(s) for s in shape)
    xs = aval_of(x).shape
    if xs == shape:
        return x
    lead = len(shape) - len(xs)
    if lead < 0 or any(n not in (1, shape[lead + i]) for i, n in enumerate(xs)):
        raise ShapeError(f"broadcast_to: cannot broadcast shape {xs} to {shape}")
    return bind(
        broadcast_in_dim_p, x, shape=shape, broadcast_dimensions=tuple(range(lead, len(shape)))
    )


def expand_dims(x: Array, axis: int) -> Array:
    shape = list(aval_of(x).shape)
    axis = axis % (len(shape) + 1)
    shape.insert(axis, 1)
    return reshape(x, tuple(shape))

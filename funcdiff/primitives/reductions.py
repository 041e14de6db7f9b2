"""Reduction primitives: reduce_max, reduce_min, argmax, argmin and cumsum.

(reduce_sum lives with the shape primitives, as broadcast_in_dim's transpose.)

- ``reduce_max``/``reduce_min`` over ``axes``: where several entries tie for
  the extremum, the derivative is shared equally among them (as in JAX), so
  the JVP is the mean of the tangents at the winning positions and the VJP
  spreads ``ct / count`` over them. Both rules are a piecewise-constant mask
  times linear operations, so they differentiate again.
- ``argmax``/``argmin`` along one ``axis``: integer output, zero derivative;
  numpy's semantics (first occurrence wins a tie, a NaN beats every number).
- ``cumsum`` along ``axis`` (from the end when ``reverse``): linear, its
  transpose is the cumulative sum in the other direction.

Other scans (``cumprod``...) are built in ``funcdiff.numpy`` out of these and
the element-wise and slicing primitives.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcdiff.core.ir import ShapedArray, aval_of
from funcdiff.core.primitive import Primitive, Samples, Zero, is_float, zero_of
from funcdiff.core.trace import bind
from funcdiff.errors import DTypeError, ShapeError
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import shape as sh
from funcdiff.primitives import sparsity as spd
from funcdiff.primitives.batching import keep_axis_batch
from funcdiff.primitives.rules import def_zero_derivative, linear

Array = Any


def _keep_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` kept as size 1 (numpy's keepdims)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


# ---------------------------------------------------------------------------
# reduce_max, reduce_min: the extremum over ``axes``; ties share the derivative
# ---------------------------------------------------------------------------


def _extremum(name: str, np_fn: Any, jnp_name: str) -> Primitive:
    def impl(x: Array, *, axes: tuple[int, ...]) -> Array:
        return np_fn(x, axis=axes)

    def abstract_eval(x: ShapedArray, *, axes: tuple[int, ...]) -> ShapedArray:
        sh.check_axes(name, x, axes)
        if x.dtype.kind == "c":
            raise DTypeError(
                f"{name}: complex operand {x.str_short()} has no order; reduce its "
                "real part or its absolute value instead"
            )
        if math.prod(x.shape[a] for a in axes) == 0:
            raise ShapeError(
                f"{name}: cannot reduce zero-size axes {axes} of {x.str_short()}: an "
                "empty slice has no extremum. Give funcdiff.numpy.max/min an initial= value."
            )
        return ShapedArray(tuple(n for i, n in enumerate(x.shape) if i not in axes), x.dtype)

    def weights(x: Array, out: Array, axes: tuple[int, ...]) -> tuple[Array, Array]:
        # mask: 1.0 where x attains the extremum; count: how many do, per slice
        keep = _keep_shape(aval_of(x).shape, axes)
        mask = ew.convert(ew.eq(x, sh.reshape(out, keep)), aval_of(x).dtype)
        return mask, sh.reduce_sum(mask, axes)

    def jvp(
        primals: Sequence[Any], tangents: Sequence[Any], out: Any, *, axes: tuple[int, ...]
    ) -> Any:
        (x,), (t,) = primals, tangents
        if isinstance(t, Zero) or not is_float(aval_of(x)):
            return Zero(aval_of(out))
        mask, count = weights(x, out, axes)
        return ew.div(sh.reduce_sum(ew.mul(t, mask), axes), count)

    def vjp(
        ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool], *, axes: tuple[int, ...]
    ) -> list[Any]:
        (x,) = primals
        if not needs[0] or not is_float(aval_of(x)):
            return [zero_of(x)]
        mask, count = weights(x, out, axes)
        keep = _keep_shape(aval_of(x).shape, axes)
        return [ew.mul(sh.reshape(ew.div(ct, count), keep), mask)]

    def taylor(
        primals: Sequence[Any], series: Sequence[Any], *, axes: tuple[int, ...]
    ) -> tuple[list[Any], list[Any]]:
        # coefficient-wise along the extremum: exact where it is attained once
        # (at a tie, the mean of the tied coefficients, as the jvp rule)
        (x,), (s,) = primals, series
        out = bind(prim_of[0], x, axes=axes)
        if isinstance(s, Zero) or not is_float(aval_of(x)):
            return [out], [Zero(aval_of(out))]
        mask, count = weights(x, out, axes)
        return [out], [[ew.div(sh.reduce_sum(ew.mul(c, mask), axes), count) for c in s]]

    def samples(rng: np.random.Generator) -> Samples:
        # continuous random values: no ties, so the extremum is differentiable
        return [
            ((rng.normal(size=(5,)),), {"axes": (0,)}),
            ((rng.normal(size=(3, 4)),), {"axes": (1,)}),
            ((rng.normal(size=(3, 4)),), {"axes": (0,)}),
            ((rng.normal(size=(2, 3, 4)),), {"axes": (0, 2)}),
            ((rng.normal(size=(2, 3)),), {"axes": (0, 1)}),
        ]

    prim_of: list[Primitive] = []
    prim = Primitive(
        name,
        impl=impl,
        abstract_eval=abstract_eval,
        jvp=jvp,
        vjp=vjp,
        batch=keep_axis_batch("axes", removes=True),
        sparsity=spd.reduction("axes"),  # piecewise linear: no Hessian term
        samples=samples,
        taylor=taylor,
        # jax.numpy's max and min propagate NaN, as numpy's do
        lower_jax=lambda ctx, x, *, axes: getattr(ctx.jnp, jnp_name)(x, axis=axes),
    )
    prim_of.append(prim)
    return prim


reduce_max_p = _extremum("reduce_max", np.max, "max")
reduce_min_p = _extremum("reduce_min", np.min, "min")


# ---------------------------------------------------------------------------
# argmax, argmin: index of the first extremum along ``axis`` (NaN wins)
# ---------------------------------------------------------------------------


def _arg_extremum(name: str, np_fn: Any, jnp_name: str) -> Primitive:
    def impl(x: Array, *, axis: int, index_dtype: np.dtype[Any]) -> Array:
        return np.asarray(np_fn(x, axis=axis)).astype(index_dtype, copy=False)

    def abstract_eval(x: ShapedArray, *, axis: int, index_dtype: np.dtype[Any]) -> ShapedArray:
        if not 0 <= axis < x.ndim:
            raise ShapeError(f"{name}: axis {axis} out of range for operand {x.str_short()}")
        if x.shape[axis] == 0:
            raise ShapeError(
                f"{name}: axis {axis} of {x.str_short()} has size 0 "
                "(an empty sequence has no extremum)"
            )
        if np.dtype(index_dtype).kind not in "iu":
            raise DTypeError(f"{name}: index_dtype must be an integer dtype, got {index_dtype}")
        if x.dtype.kind == "c":
            raise DTypeError(f"{name}: complex operand {x.str_short()} has no order")
        shape = tuple(n for i, n in enumerate(x.shape) if i != axis)
        return ShapedArray(shape, index_dtype)

    def samples(rng: np.random.Generator) -> Samples:
        i64 = np.dtype(np.int64)
        return [
            ((rng.normal(size=(5,)),), {"axis": 0, "index_dtype": i64}),
            ((rng.normal(size=(3, 4)),), {"axis": 1, "index_dtype": i64}),
            ((rng.normal(size=(3, 4)),), {"axis": 0, "index_dtype": np.dtype(np.int32)}),
            ((rng.normal(size=(2, 3, 4)),), {"axis": 2, "index_dtype": i64}),
        ]

    return Primitive(
        name,
        impl=impl,
        abstract_eval=abstract_eval,
        rules=def_zero_derivative,
        batch=keep_axis_batch("axis", removes=True),
        samples=samples,
        # (jax.numpy's argmax and argmin, like numpy's, give the first NaN's index)
        lower_jax=lambda ctx, x, *, axis, index_dtype: getattr(ctx.jnp, jnp_name)(
            x, axis=axis
        ).astype(index_dtype),
    )


argmax_p = _arg_extremum("argmax", np.argmax, "argmax")
argmin_p = _arg_extremum("argmin", np.argmin, "argmin")


# ---------------------------------------------------------------------------
# cumsum: inclusive cumulative sum along ``axis`` (from the end if ``reverse``)
# ---------------------------------------------------------------------------


def _cumsum_impl(x: Array, *, axis: int, reverse: bool) -> Array:
    x = np.asarray(x)
    if not reverse:
        return np.cumsum(x, axis=axis, dtype=x.dtype)
    return np.flip(np.cumsum(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)


def _cumsum_abstract_eval(x: ShapedArray, *, axis: int, reverse: bool) -> ShapedArray:
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"cumsum: axis {axis} out of range for operand {x.str_short()}")
    if x.dtype.kind == "b":
        raise DTypeError(
            f"cumsum: bool operand {x.str_short()}; convert it to an integer dtype first "
            "(funcdiff.numpy.cumsum does)"
        )
    return x


def _cumsum_transpose(ct: Array, x: Array, *, axis: int, reverse: bool) -> Array:
    return cumsum(ct, axis, not reverse)


cumsum_p = Primitive(
    "cumsum",
    impl=_cumsum_impl,
    abstract_eval=_cumsum_abstract_eval,
    lower_jax=lambda ctx, x, *, axis, reverse: ctx.lax.cumsum(x, axis, reverse),
    rules=linear(_cumsum_transpose),
    sparsity=spd.cumsum_rule,
    batch=keep_axis_batch("axis"),
    samples=lambda rng: [
        ((rng.normal(size=(5,)),), {"axis": 0, "reverse": False}),
        ((rng.normal(size=(5,)),), {"axis": 0, "reverse": True}),
        ((rng.normal(size=(3, 4)),), {"axis": 1, "reverse": False}),
        ((rng.normal(size=(2, 3, 4)),), {"axis": 1, "reverse": True}),
        ((rng.normal(size=(3, 4)),), {"axis": 0, "reverse": False}),
    ],
)


# ---------------------------------------------------------------------------
# wrappers: bind, recording nothing when there is nothing to reduce
# ---------------------------------------------------------------------------


def _axes_param(axes: Sequence[int]) -> tuple[int, ...]:
    return tuple(sorted(int(a) for a in axes))


def reduce_max(x: Array, axes: Sequence[int]) -> Array:
    """Maximum over ``axes`` (non-negative ints); over no axes a new
    value equal to ``x`` (see ``reduce_sum``)."""
    return bind(reduce_max_p, x, axes=_axes_param(axes))


def reduce_min(x: Array, axes: Sequence[int]) -> Array:
    """Minimum over ``axes`` (non-negative ints); over no axes a new
    value equal to ``x`` (see ``reduce_sum``)."""
    return bind(reduce_min_p, x, axes=_axes_param(axes))


def argmax(x: Array, axis: int, index_dtype: Any = np.int64) -> Array:
    """Index of the first maximum along ``axis`` (a NaN counts as the maximum)."""
    return bind(argmax_p, x, axis=int(axis), index_dtype=np.dtype(index_dtype))


def argmin(x: Array, axis: int, index_dtype: Any = np.int64) -> Array:
    """Index of the first minimum along ``axis`` (a NaN counts as the minimum)."""
    return bind(argmin_p, x, axis=int(axis), index_dtype=np.dtype(index_dtype))


def cumsum(x: Array, axis: int, reverse: bool = False) -> Array:
    """Inclusive cumulative sum along ``axis``; from the end when ``reverse``."""
    return bind(cumsum_p, x, axis=int(axis), reverse=bool(reverse))

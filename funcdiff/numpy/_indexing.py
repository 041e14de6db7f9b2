"""Indexing: ``x[idx]`` on traced arrays, functional updates
``x.at[idx].set(v)``, and ``nonzero``/``argwhere``/``flatnonzero``.

``x[idx]`` follows numpy's indexing rules exactly. Basic indexing (ints,
slices of any step, ``None``, ``...``) records at most one ``slice``, one
``rev`` (for negative steps) and one ``reshape`` (dropping integer-indexed
axes, inserting new ones). Advanced indexing (integer arrays, lists, concrete
boolean masks, traced integers) broadcasts the index arrays together,
combines them into one flat index over the indexed axes
(``ravel_multi_index``) and records a single ``gather``; the new dimensions
go where numpy puts them (in place of the indexed axes when those are
adjacent, first otherwise).

The derivative of ``x[idx]`` is a ``scatter_add`` of the cotangent, so
repeated indices accumulate. Index arrays themselves are not differentiable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcdiff.api_util import concrete_or_none, contains_tracer
from funcdiff.core.trace import Tracer
from funcdiff.core.typing import ArrayLike
from funcdiff.errors import ConcretizationError
from funcdiff.numpy._core import Array, asarray_arg, constant, dtype_of, shape_of
from funcdiff.numpy._shape import _normalize_indices
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import shape as sh

# entry kinds of a parsed index
_NONE, _SLICE, _INT, _ADV = "none", "slice", "int", "adv"
_INDEX_TYPES_MSG = (
    "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and "
    "integer or boolean arrays are valid indices"
)


def _abstract_mask_error(aval: Any) -> ConcretizationError:
    return ConcretizationError(
        f"boolean mask indexing x[mask] with an abstract traced mask {aval.str_short()}: "
        "the shape of the result would depend on the values of the mask (how many "
        "entries are True), which are not known while tracing under jit, make_jaxpr "
        "or vmap.\nWhat to do: keep the shape fixed with funcdiff.numpy.where, e.g. "
        "fnp.where(mask, x, 0.0) or fnp.sum(fnp.where(mask, x, 0.0)), or compute the "
        "mask outside the transformed function and pass it as a concrete array."
    )


class _Plan:
    """A parsed index: one entry per result-producing item, in index order.

    ``entries`` holds (kind, value) pairs; every kind but ``none`` consumes
    one axis of ``vshape`` (the array's shape with the unit axes that 0-d
    boolean indices add).
    """

    __slots__ = ("adjacent", "entries", "inserted", "vshape")

    def __init__(
        self,
        entries: list[tuple[str, Any]],
        vshape: tuple[int, ...],
        inserted: bool,
        adjacent: bool,
    ) -> None:
        self.entries = entries
        self.vshape = vshape
        self.inserted = inserted
        #: whether the advanced (and integer) index items are next to each
        #: other in the index tuple (None and ``...`` separate them, as in numpy)
        self.adjacent = adjacent

    @property
    def has_adv(self) -> bool:
        return any(k == _ADV for k, _ in self.entries)


def _classify(item: Any) -> tuple[str, Any]:
    """One index item as (kind, value); kinds here also include 'ellipsis',
    'bool0' (a 0-d boolean) and 'mask' (a concrete boolean array)."""
    if item is None:
        return _NONE, None
    if item is Ellipsis:
        return "ellipsis", None
    if isinstance(item, slice):
        return _SLICE, item
    if isinstance(item, (bool, np.bool_)):
        return "bool0", bool(item)
    if isinstance(item, (int, np.integer)):
        return _INT, int(item)
    if isinstance(item, Tracer):
        kind = item.dtype.kind
        if kind == "b":
            val = concrete_or_none(item)
            if val is None:
                raise _abstract_mask_error(item.aval)
            return _classify(val)
        if kind in "iu":
            return _ADV, item
        raise IndexError(f"{_INDEX_TYPES_MSG} (got a traced array of dtype {item.dtype})")
    if isinstance(item, (list, tuple)) and contains_tracer(item):
        arr = asarray_arg(item)
        if isinstance(arr, Tracer) and arr.dtype.kind == "b":
            return _classify(arr)
        if dtype_of(arr).kind not in "iu":
            raise IndexError(_INDEX_TYPES_MSG)
        return _ADV, arr
    if not isinstance(item, (np.ndarray, list, tuple)) and hasattr(item, "__index__"):
        return _INT, int(item.__index__())
    arr = np.asarray(item)
    if arr.dtype.kind == "b":
        return ("bool0", bool(arr)) if arr.ndim == 0 else ("mask", arr)
    if arr.dtype.kind in "iu":
        return (_INT, int(arr)) if arr.ndim == 0 else (_ADV, arr)
    if arr.size == 0 and arr.dtype.kind == "f" and isinstance(item, list):
        return _ADV, arr.astype(np.int64)  # x[[]] is an empty integer index
    raise IndexError(_INDEX_TYPES_MSG)


def _parse(shape: tuple[int, ...], idx: Any) -> _Plan:
    items = idx if type(idx) is tuple else (idx,)
    classified = [_classify(it) for it in items]
    consumed = 0
    n_ellipsis = 0
    for kind, val in classified:
        if kind == "ellipsis":
            n_ellipsis += 1
        elif kind == "mask":
            consumed += val.ndim
        elif kind not in (_NONE, "bool0"):
            consumed += 1
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    nd = len(shape)
    if consumed > nd:
        raise IndexError(
            f"too many indices for array: array is {nd}-dimensional, but {consumed} were indexed"
        )
    fill = [(_SLICE, slice(None))] * (nd - consumed)
    expanded: list[tuple[str, Any]] = []
    for kind, val in classified:
        if kind == "ellipsis":
            expanded.extend(fill)
            fill = []
        else:
            expanded.append((kind, val))
    expanded.extend(fill)
    adv_items = [
        i for i, (kind, _) in enumerate(classified) if kind in (_ADV, _INT, "mask", "bool0")
    ]
    adjacent = not adv_items or adv_items[-1] - adv_items[0] + 1 == len(adv_items)
    entries: list[tuple[str, Any]] = []
    vshape: list[int] = []
    axis = 0  # axis of the original array
    inserted = False
    for kind, val in expanded:
        if kind == _NONE:
            entries.append((kind, val))
        elif kind == "bool0":
            inserted = True
            vshape.append(1)
            entries.append((_ADV, np.zeros(1 if val else 0, np.int64)))
        elif kind == "mask":
            k = val.ndim
            want = shape[axis : axis + k]
            for j in range(k):
                if val.shape[j] != want[j]:
                    raise IndexError(
                        f"boolean index did not match indexed array along axis {axis + j}; "
                        f"size of axis is {want[j]} but size of corresponding boolean axis "
                        f"is {val.shape[j]}"
                    )
            for coords in np.nonzero(val):
                entries.append((_ADV, coords))
            vshape.extend(want)
            axis += k
        else:
            entries.append((kind, val))
            vshape.append(shape[axis])
            axis += 1
    return _Plan(entries, tuple(vshape), inserted, adjacent)


def _slice_params(n: int, s: slice) -> tuple[int, int, int, int, bool]:
    """(lo, hi, stride, length, reversed) of ``s`` on an axis of size n, as a
    positive-stride slice followed by an optional reversal."""
    start, stop, step = s.indices(n)
    m = len(range(start, stop, step))
    if m == 0:
        return 0, 0, 1, 0, False
    if step > 0:
        return start, start + (m - 1) * step + 1, step if m > 1 else 1, m, False
    last = start + (m - 1) * step
    return last, start + 1, -step if m > 1 else 1, m, m > 1


class _Basic:
    """The basic part of a plan: one slice (and reversal) over the array."""

    __slots__ = ("lengths", "limits", "revs", "starts", "strides")

    def __init__(self, plan: _Plan) -> None:
        self.starts: list[int] = []
        self.limits: list[int] = []
        self.strides: list[int] = []
        self.revs: list[int] = []
        self.lengths: list[int] = []
        axis = 0
        for kind, val in plan.entries:
            if kind == _NONE:
                continue
            n = plan.vshape[axis]
            if kind == _SLICE:
                lo, hi, st, m, rv = _slice_params(n, val)
                if rv:
                    self.revs.append(axis)
            elif kind == _INT:
                if not -n <= val < n:
                    raise IndexError(f"index {val} is out of bounds for axis {axis} with size {n}")
                lo, hi, st, m = val % n, val % n + 1, 1, 1
            else:
                lo, hi, st, m = 0, n, 1, n
            self.starts.append(lo)
            self.limits.append(hi)
            self.strides.append(st)
            self.lengths.append(m)
            axis += 1

    def apply(self, x: Array) -> Array:
        y = ix.slice_(x, tuple(self.starts), tuple(self.limits), tuple(self.strides))
        return ix.rev(y, self.revs)


def _basic_result_shape(plan: _Plan, lengths: Sequence[int]) -> tuple[int, ...]:
    out: list[int] = []
    axis = 0
    for kind, _ in plan.entries:
        if kind == _NONE:
            out.append(1)
            continue
        if kind == _SLICE:
            out.append(lengths[axis])
        axis += 1
    return tuple(out)


def _apply_plan(x: Array, plan: _Plan) -> Array:
    if plan.inserted:
        x = sh.reshape(x, plan.vshape)
    if not plan.has_adv:
        basic = _Basic(plan)
        return sh.reshape(basic.apply(x), _basic_result_shape(plan, basic.lengths))
    # with an advanced index present, integers are advanced indices too
    entries = [(_ADV, np.asarray(v, np.int64)) if k == _INT else (k, v) for k, v in plan.entries]
    adjacent = plan.adjacent
    plan = _Plan(entries, plan.vshape, False, adjacent)
    basic = _Basic(plan)
    y = basic.apply(x)
    ys = shape_of(y)
    adv_axes: list[int] = []
    arrays: list[Array] = []
    axis = 0
    for kind, val in entries:
        if kind == _NONE:
            continue
        if kind == _ADV:
            adv_axes.append(axis)
            arrays.append(_normalize_indices(val, ys[axis], "", axis))
        axis += 1
    try:
        bshape = tuple(np.broadcast_shapes(*[shape_of(a) for a in arrays]))
    except ValueError:
        listed = " ".join(str(shape_of(a)) for a in arrays)
        raise IndexError(
            f"shape mismatch: indexing arrays could not be broadcast together with shapes {listed}"
        ) from None
    k = len(adv_axes)
    p0 = adv_axes[0]
    if k == 1 and adjacent:
        flat, gax = arrays[0], p0
    else:
        sizes = [ys[p] for p in adv_axes]
        if adjacent:  # the indexed axes are next to each other in y too
            y = sh.reshape(y, (*ys[:p0], math.prod(sizes), *ys[p0 + k :]))
            gax = p0
        else:
            others = [i for i in range(len(ys)) if i not in adv_axes]
            y = sh.transpose(y, (*adv_axes, *others))
            y = sh.reshape(y, (math.prod(sizes), *(ys[i] for i in others)))
            gax = 0
        flat = None
        for a, stride in zip(arrays, [math.prod(sizes[j + 1 :]) for j in range(k)], strict=True):
            term = a if stride == 1 else ew.mul(a, stride)
            flat = term if flat is None else ew.add(flat, term)
        if shape_of(flat) != bshape:
            flat = sh.broadcast_to(flat, bshape)
    out = ix.gather(y, flat, gax)
    # where the broadcast index dimensions go, and the None axes
    before: list[int] = []
    after: list[int] = []
    axis = 0
    placed = False
    for kind, _ in entries:
        if kind == _ADV:
            placed = True
        else:
            (after if placed else before).append(1 if kind == _NONE else basic.lengths[axis])
        if kind != _NONE:
            axis += 1
    final = [*before, *bshape, *after] if adjacent else [*bshape, *before, *after]
    return sh.reshape(out, tuple(final))


# ---------------------------------------------------------------------------
# x[idx]
# ---------------------------------------------------------------------------


def _fast_basic(x: Tracer, idx: Any) -> Array | None:
    """The hot path: only Python ints and positive-step slices (None when
    the index is anything else, or when an error message is due)."""
    shape = x.aval.shape
    if type(idx) is slice and shape:  # x[a:b], the most common of all
        start, stop, step = idx.indices(shape[0])
        if step == 1:
            m = max(stop - start, 0)
            if m == 0:
                start = 0
            if start == 0 and m == shape[0]:
                return x
            if len(shape) == 1:  # (x[a:b] of a vector: its params built directly)
                params: dict[str, tuple[int, ...]] = {
                    "start_indices": (start,),
                    "limit_indices": (start + m,),
                    "strides": (1,),
                }
            else:
                rest = shape[1:]
                params = {
                    "start_indices": (start, *(0,) * len(rest)),
                    "limit_indices": (start + m, *rest),
                    "strides": (1,) * len(shape),
                }
            return x._trace.process1(ix.slice_p, x, params)  # (``bind`` with one tracer)
    items = idx if type(idx) is tuple else (idx,)
    if len(items) > len(shape):
        return None
    starts, limits, strides = [], [], []
    out_shape: list[int] = []
    dropped = False
    for item, n in zip(items, shape, strict=False):
        if type(item) is slice:
            start, stop, step = item.indices(n)
            if step < 0:
                return None
            m = len(range(start, stop, step))
            if m == 0:
                start = stop = 0
            starts.append(start)
            limits.append(start + (m - 1) * step + 1 if m else 0)
            strides.append(step if m > 1 else 1)
            out_shape.append(m)
        elif type(item) is int:
            if not -n <= item < n:
                return None
            i = item % n
            starts.append(i)
            limits.append(i + 1)
            strides.append(1)
            dropped = True
        else:
            return None
    rest = shape[len(items) :]
    starts.extend([0] * len(rest))
    limits.extend(rest)
    strides.extend([1] * len(rest))
    y = ix.slice_(x, tuple(starts), tuple(limits), tuple(strides))
    return sh.reshape(y, (*out_shape, *rest)) if dropped else y


def getitem(x: Any, idx: Any) -> Array:
    """``x[idx]`` with numpy's semantics, for traced and plain arrays.

    On numpy arrays with a concrete index this is numpy's own result.

    >>> import funcdiff as fd
    >>> fd.grad(lambda x: getitem(x, [0, 2, 2]).sum())(np.array([1.0, 2.0, 3.0]))
    array([1., 0., 2.])
    """
    if not isinstance(x, Tracer) and not contains_tracer(idx):
        return np.asarray(x)[idx]
    if isinstance(x, Tracer):
        out = _fast_basic(x, idx)
        if out is not None:
            return out
    x = asarray_arg(x)
    return _apply_plan(x, _parse(shape_of(x), idx))


# ---------------------------------------------------------------------------
# x.at[idx].set(v) and friends
# ---------------------------------------------------------------------------


class AtIndexer:
    """``x.at``: functional index updates, ``x.at[idx].set(v)`` etc.

    Works on traced and on plain numpy arrays; the input is never modified,
    a new array is returned.

    >>> x = np.zeros(3)
    >>> AtIndexer(x)[[0, 0, 2]].add(1.0)
    array([2., 0., 1.])
    >>> x
    array([0., 0., 0.])
    """

    __slots__ = ("x",)

    def __init__(self, x: Any) -> None:
        self.x = x

    def __getitem__(self, idx: Any) -> _IndexUpdateRef:
        return _IndexUpdateRef(self.x, idx)


class _IndexUpdateRef:
    """``x.at[idx]``: call ``.get()``, ``.set(v)``, ``.add(v)``,
    ``.multiply(v)``, ``.min(v)`` or ``.max(v)`` to get a new array."""

    __slots__ = ("idx", "x")

    def __init__(self, x: Any, idx: Any) -> None:
        self.x = x
        self.idx = idx

    def __repr__(self) -> str:
        return f"_IndexUpdateRef({self.x!r}, {self.idx!r})"

    def get(self) -> Array:
        """``x[idx]``."""
        return getitem(self.x, self.idx)

    def set(self, values: Any) -> Array:
        """A copy of x with ``x[idx] = values`` (with repeated indices the last write wins)."""
        return _update(self.x, self.idx, values, "set")

    def add(self, values: Any) -> Array:
        """A copy of x with ``values`` added at idx (repeated indices accumulate)."""
        return _update(self.x, self.idx, values, "add")

    def multiply(self, values: Any) -> Array:
        """A copy of x multiplied by ``values`` at idx (repeated indices multiply)."""
        return _update(self.x, self.idx, values, "mul")

    mul = multiply

    def min(self, values: Any) -> Array:
        """A copy of x with ``x[idx] = minimum(x[idx], values)``."""
        return _update(self.x, self.idx, values, "min")

    def max(self, values: Any) -> Array:
        """A copy of x with ``x[idx] = maximum(x[idx], values)``."""
        return _update(self.x, self.idx, values, "max")


_NP_AT = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}


def _combine(op: str, x: Array, v: Array) -> Array:
    if op == "set":
        return v
    if op == "add":
        return ew.add(x, v)
    if op == "mul":
        return ew.mul(x, v)
    return ew.minimum(x, v) if op == "min" else ew.maximum(x, v)


def _broadcast_value(v: Array, shape: tuple[int, ...]) -> Array:
    vs = shape_of(v)
    try:
        np.broadcast_shapes(vs, shape)
        if len(vs) > len(shape) or np.broadcast_shapes(vs, shape) != tuple(shape):
            raise ValueError
    except ValueError:
        raise ValueError(
            f"shape mismatch: value array of shape {vs} could not be broadcast to "
            f"indexing result of shape {shape}"
        ) from None
    return sh.broadcast_to(v, shape)


def _update(x: Any, idx: Any, values: Any, op: str) -> Array:
    if not isinstance(x, Tracer) and not contains_tracer(idx) and not contains_tracer(values):
        arr = np.array(x, copy=True)
        vals = np.asarray(values)
        if op == "set":
            arr[idx] = vals
        else:
            _NP_AT[op].at(arr, idx, vals.astype(arr.dtype, copy=False))
        return constant(arr)
    x = asarray_arg(x)
    shape = tuple(shape_of(x))
    dt = dtype_of(x)
    v = ew.convert(asarray_arg(values), dt)
    plan = _parse(shape, idx)
    if not plan.has_adv and not plan.inserted:
        basic = _Basic(plan)
        if not basic.revs:
            return _update_window(x, v, plan, basic, op)
    size = math.prod(shape)
    pos = _apply_plan(np.arange(size).reshape(shape), plan)
    rshape = tuple(shape_of(pos))
    vf = sh.reshape(_broadcast_value(v, rshape), (math.prod(rshape),))
    m = math.prod(rshape)
    if m == 0:
        return x
    posf = sh.reshape(pos, (m,))
    xf = sh.reshape(x, (size,))
    if op == "add":
        out = ix.scatter_add(xf, posf, vf, 0)
    else:
        out = _scatter_combine(xf, posf, vf, op, dt)
    return sh.reshape(out, shape)


def _update_window(x: Array, v: Array, plan: _Plan, basic: _Basic, op: str) -> Array:
    """An update at a strided window (basic index, positive steps): the
    values are padded out to x's shape, no scatter needed."""
    shape = tuple(shape_of(x))
    window = tuple(basic.lengths)
    vw = sh.reshape(_broadcast_value(v, _basic_result_shape(plan, window)), window)
    if 0 in window:
        return x
    if window == shape and op == "set":
        return vw
    config = tuple(
        (lo, n - (lo + (m - 1) * st + 1), st - 1)
        for lo, st, m, n in zip(basic.starts, basic.strides, window, shape, strict=True)
    )
    if op == "add":
        return ew.add(x, ix.pad(vw, 0, config))
    if op == "mul":
        return ew.mul(x, ix.pad(vw, 1, config))
    mask = np.zeros(shape, np.bool_)
    mask[
        tuple(
            slice(lo, hi, st)
            for lo, hi, st in zip(basic.starts, basic.limits, basic.strides, strict=True)
        )
    ] = True
    return ew.select(mask, _combine(op, x, ix.pad(vw, 0, config)), x)


def _segmented_scan(vs: Array, ps: Array, op: str, steps: int) -> Array:
    """Inclusive scan of ``vs`` with ``op`` within runs of equal ``ps``
    (sorted), by doubling: after the scan the last entry of each run holds
    the reduction of the run."""
    m = shape_of(vs)[0]
    d = 1
    for _ in range(steps):
        if d >= m:
            break
        same = ew.eq(ix.slice_axis(ps, d, m, 0), ix.slice_axis(ps, 0, m - d, 0))
        cur = ix.slice_axis(vs, d, m, 0)
        comb = _combine(op, ix.slice_axis(vs, 0, m - d, 0), cur)
        vs = ix.concatenate([ix.slice_axis(vs, 0, d, 0), ew.select(same, comb, cur)], 0)
        d *= 2
    return vs


def _scatter_combine(xf: Array, posf: Array, vf: Array, op: str, dt: Any) -> Array:
    """``xf`` combined by ``op`` with the values ``vf`` at flat positions
    ``posf``; repeated positions reduce with ``op`` first (set: last wins)."""
    size = shape_of(xf)[0]
    m = shape_of(posf)[0]
    zeros = np.zeros(size, dt)
    if isinstance(posf, np.ndarray):
        perm = np.argsort(posf, kind="stable")
        ps = posf[perm]
        is_last = np.ones(m, np.bool_)
        is_last[:-1] = ps[1:] != ps[:-1]
        if is_last.all():
            u, p = vf, posf
        elif op == "set":
            u, p = ix.gather(vf, perm[is_last], 0), ps[is_last]
        else:
            run = int(np.max(np.diff(np.flatnonzero(np.r_[True, is_last]))))
            vs = _segmented_scan(ix.gather(vf, perm, 0), ps, op, math.ceil(math.log2(run)))
            u, p = ix.gather(vs, np.flatnonzero(is_last), 0), ps[is_last]
        mask = np.zeros(size, np.bool_)
        mask[p] = True
        scattered = ix.scatter_add(zeros, p, u, 0)
        if mask.all() and op == "set":
            return scattered
        return ew.select(mask, _combine(op, xf, scattered), xf)
    # traced positions: sort them, reduce runs, keep the last entry of each run
    perm = ix.argsort(posf, 0)
    ps = ix.gather(posf, perm, 0)
    vs = ix.gather(vf, perm, 0)
    if m > 1:
        differs = ew.ne(ix.slice_axis(ps, 1, m, 0), ix.slice_axis(ps, 0, m - 1, 0))
        is_last_t = ix.concatenate([differs, np.ones(1, np.bool_)], 0)
    else:
        is_last_t = np.ones(1, np.bool_)
    if op != "set":
        vs = _segmented_scan(vs, ps, op, math.ceil(math.log2(m)) if m > 1 else 0)
    u = ew.select(is_last_t, vs, np.zeros((), dt))
    scattered = ix.scatter_add(zeros, ps, u, 0)
    hits = ix.scatter_add(np.zeros(size, np.int64), ps, np.ones(m, np.int64), 0)
    return ew.select(ew.ne(hits, 0), _combine(op, xf, scattered), xf)


# ---------------------------------------------------------------------------
# nonzero and friends (concrete only: the output shape depends on values)
# ---------------------------------------------------------------------------


def _concrete_arg(a: Any, name: str) -> np.ndarray:
    if isinstance(a, Tracer):
        val = concrete_or_none(a)
        if val is None:
            raise ConcretizationError(
                f"{name}: the number of nonzero entries fixes the output shape, so {name} "
                f"needs a concrete array, but got an abstract traced array "
                f"{a.aval.str_short()} (under jit, make_jaxpr or vmap).\nWhat to do: use "
                "funcdiff.numpy.where(cond, x, y) to keep shapes fixed, or call "
                f"{name} outside the transformed function."
            )
        return val
    return np.asarray(asarray_arg(a))


def nonzero(a: ArrayLike) -> tuple[np.ndarray, ...]:
    """Indices of the nonzero elements, one array per axis, as numpy.nonzero.

    Needs a concrete array (the output shape depends on its values).

    >>> nonzero(np.array([0.0, 3.0, 0.0, 1.0]))
    (array([1, 3]),)
    """
    arr = _concrete_arg(a, "nonzero")
    if arr.ndim == 0:
        raise ValueError(
            "nonzero: calling nonzero on 0d arrays is not allowed; use np.atleast_1d(a).nonzero()"
        )
    return tuple(np.nonzero(arr))


def argwhere(a: ArrayLike) -> np.ndarray:
    """Indices of the nonzero elements as an (N, a.ndim) array, as numpy.argwhere.

    >>> argwhere(np.array([[0.0, 1.0], [2.0, 0.0]]))
    array([[0, 1],
           [1, 0]])
    """
    return np.argwhere(_concrete_arg(a, "argwhere"))


def flatnonzero(a: ArrayLike) -> np.ndarray:
    """Indices of the nonzero elements of the flattened array, as numpy.flatnonzero.

    >>> flatnonzero(np.array([[0.0, 1.0], [2.0, 0.0]]))
    array([1, 2])
    """
    return np.flatnonzero(_concrete_arg(a, "flatnonzero"))


__all__ = ["argwhere", "flatnonzero", "nonzero"]

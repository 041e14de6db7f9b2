"""Random straight-line programs over funcdiff.numpy, as data.

A program is a list of op descriptors: each names an entry of ``SPECS`` (a
line of numpy-like source with holes for its operands and parameters) and
the earlier slots it reads. Programs are plain data, so hypothesis shrinks
them op by op, and a failing one prints as the Python source it stands for.

One program runs on three backends, by binding the names its source uses:

- ``fnp``: funcdiff.numpy / funcdiff.nn (the code under test, eager, traced
  or jitted);
- ``numpy``: plain numpy with small shims for the few funcdiff.nn functions
  (the reference for dtypes and shapes while generating, and for the
  distance of each kinked operation to its kink);
- ``mp``: numpy object arrays of mpmath numbers, with mpmath's own
  elementwise functions (the high-precision reference for derivatives).

Every op that is not smooth everywhere declares a *margin*: how far its
operands are from the nearest point where it is not differentiable (0 for
``abs``, ties for ``maximum``/``argmax``/``sort``/comparisons, integers for
``floor``/``astype(int)``, poles for ``/``...). Tests reject examples whose
smallest margin is below ``MARGIN``, so a finite difference of step
``H_JAC``/``H_HESS`` never straddles a kink and float64 rounding in jit or
eager never flips a comparison.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import funcdiff.nn as fnn
import funcdiff.numpy as fnp

#: a kinked op whose operands are closer than this (relative) to its kink rejects the example
MARGIN = 1e-3
#: intermediate float values larger than this reject a derivative example
MAX_MAGNITUDE = 1e6
#: working precision of the reference (decimal digits) and finite-difference steps
DPS = 50
H_JAC = mpmath.mpf("1e-15")
H_HESS = mpmath.mpf("1e-12")


# ---------------------------------------------------------------------------
# backends
# ---------------------------------------------------------------------------


def _mp_scalar(v: Any) -> Any:
    if isinstance(v, (mpmath.mpf, mpmath.mpc)):
        return v
    if isinstance(v, (complex, np.complexfloating)):
        return mpmath.mpc(complex(v))
    return mpmath.mpf(float(v)) if not isinstance(v, (int, np.integer)) else mpmath.mpf(int(v))


_to_mp_elems = np.frompyfunc(_mp_scalar, 1, 1)


def to_mp(v: Any) -> np.ndarray:
    """An object array of mpmath numbers (0-d for scalars)."""
    out = np.empty(np.shape(v), dtype=object)
    out[...] = _to_mp_elems(np.asarray(v, dtype=object))
    return out


def _mp_unary(fn: Callable[[Any], Any]) -> Callable[[Any], np.ndarray]:
    ufunc = np.frompyfunc(lambda a: fn(_mp_scalar(a)), 1, 1)

    def apply(a: Any) -> np.ndarray:
        return to_mp(ufunc(np.asarray(a, dtype=object)))

    return apply


def _mp_binary(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], np.ndarray]:
    ufunc = np.frompyfunc(lambda a, b: fn(_mp_scalar(a), _mp_scalar(b)), 2, 1)

    def apply(a: Any, b: Any) -> np.ndarray:
        return to_mp(ufunc(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))

    return apply


def _mp_sinc(a: Any) -> Any:
    return mpmath.mpf(1) if a == 0 else mpmath.sin(mpmath.pi * a) / (mpmath.pi * a)


def _mp_sign(a: Any) -> Any:
    return mpmath.mpf((a > 0) - (a < 0))


def _mp_round(a: Any) -> Any:
    # numpy rounds half to even; margins keep us away from halves anyway
    r = mpmath.nint(a)
    return mpmath.mpf(r)


def _mp_hypot(a: Any, b: Any) -> Any:
    return mpmath.sqrt(a * a + b * b)


def _mp_logaddexp(a: Any, b: Any) -> Any:
    m = max(a, b)
    return m + mpmath.log(mpmath.exp(a - m) + mpmath.exp(b - m))


class _MpNumpy:
    """The part of numpy's namespace the templates use, on mpmath object arrays.

    Shape functions, indexing, reductions by addition/multiplication and
    comparisons work on object arrays as they are; elementwise functions are
    mpmath's."""

    sin = staticmethod(_mp_unary(mpmath.sin))
    cos = staticmethod(_mp_unary(mpmath.cos))
    tan = staticmethod(_mp_unary(mpmath.tan))
    tanh = staticmethod(_mp_unary(mpmath.tanh))
    sinh = staticmethod(_mp_unary(mpmath.sinh))
    cosh = staticmethod(_mp_unary(mpmath.cosh))
    arctan = staticmethod(_mp_unary(mpmath.atan))
    arcsin = staticmethod(_mp_unary(mpmath.asin))
    arccos = staticmethod(_mp_unary(mpmath.acos))
    arctanh = staticmethod(_mp_unary(mpmath.atanh))
    arcsinh = staticmethod(_mp_unary(mpmath.asinh))
    exp = staticmethod(_mp_unary(mpmath.exp))
    expm1 = staticmethod(_mp_unary(mpmath.expm1))
    log = staticmethod(_mp_unary(mpmath.log))
    log1p = staticmethod(_mp_unary(mpmath.log1p))
    sqrt = staticmethod(_mp_unary(mpmath.sqrt))
    cbrt = staticmethod(_mp_unary(lambda a: mpmath.sign(a) * mpmath.cbrt(abs(a))))
    isfinite = staticmethod(_mp_unary(mpmath.isfinite))
    square = staticmethod(_mp_unary(lambda a: a * a))
    abs = staticmethod(_mp_unary(abs))
    sign = staticmethod(_mp_unary(_mp_sign))
    floor = staticmethod(_mp_unary(mpmath.floor))
    ceil = staticmethod(_mp_unary(mpmath.ceil))
    round = staticmethod(_mp_unary(_mp_round))
    sinc = staticmethod(_mp_unary(_mp_sinc))
    maximum = staticmethod(_mp_binary(max))
    minimum = staticmethod(_mp_binary(min))
    hypot = staticmethod(_mp_binary(_mp_hypot))
    arctan2 = staticmethod(_mp_binary(mpmath.atan2))
    logaddexp = staticmethod(_mp_binary(_mp_logaddexp))
    power = staticmethod(_mp_binary(lambda a, b: a**b))
    conj = staticmethod(_mp_unary(mpmath.conj))
    real = staticmethod(_mp_unary(mpmath.re))
    imag = staticmethod(_mp_unary(mpmath.im))

    @staticmethod
    def astype(a: Any, dtype: Any) -> Any:  # templates cast integers and booleans only
        return np.asarray(a).astype(dtype)

    @staticmethod
    def clip(a: Any, lo: Any, hi: Any) -> np.ndarray:
        return _MpNumpy.minimum(_MpNumpy.maximum(a, lo), hi)

    @staticmethod
    def var(a: Any, axis: Any = None) -> Any:
        a = to_mp(a)
        m = np.mean(a, axis=axis, keepdims=True)
        return np.mean((a - m) * (a - m), axis=axis)

    @staticmethod
    def std(a: Any, axis: Any = None) -> Any:
        return _MpNumpy.sqrt(_MpNumpy.var(a, axis=axis))

    class linalg:
        @staticmethod
        def norm(a: Any) -> Any:
            a = to_mp(a)
            return _MpNumpy.sqrt(np.sum(a * a))

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)


class _NumpyNN:
    """funcdiff.nn's functions that numpy lacks, written in plain numpy (``ns``
    is numpy or the mpmath namespace)."""

    def __init__(self, ns: Any) -> None:
        self.ns = ns

    def sigmoid(self, a: Any) -> Any:
        return 1.0 / (1.0 + self.ns.exp(-a))

    def softplus(self, a: Any) -> Any:
        return self.ns.log1p(self.ns.exp(a))

    def logsumexp(self, a: Any, axis: Any = None) -> Any:
        a = np.asarray(a)
        m = np.max(a, axis=axis, keepdims=True)
        s = self.ns.log(np.sum(self.ns.exp(a - m), axis=axis, keepdims=True)) + m
        return np.squeeze(s, axis=axis) if axis is not None else np.asarray(s).reshape(())

    def softmax(self, a: Any, axis: Any = -1) -> Any:
        a = np.asarray(a)
        e = self.ns.exp(a - np.max(a, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)

    def relu(self, a: Any) -> Any:
        return self.ns.maximum(a, 0.0)


class _NumpyShim:
    """numpy, with ``astype`` accepting Python scalars as funcdiff.numpy does."""

    @staticmethod
    def astype(a: Any, dtype: Any) -> Any:
        return np.asarray(a).astype(dtype)

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)


MP_NUMPY = _MpNumpy()


@dataclass(frozen=True)
class Backend:
    name: str
    names: dict[str, Any]
    #: convert a program input / coerce each slot to this backend's representation
    convert: Callable[[Any, np.dtype[Any]], Any]


def _fnp_convert(v: Any, dtype: np.dtype[Any]) -> Any:
    return v


def _mp_convert(v: Any, dtype: np.dtype[Any]) -> Any:
    if dtype.kind in "fc":
        return to_mp(v)
    return np.asarray(v).astype(dtype)


FNP = Backend("fnp", {"fnp": fnp, "np": np, "nn": fnn}, _fnp_convert)
NUMPY = Backend("numpy", {"fnp": _NumpyShim(), "np": np, "nn": _NumpyNN(np)}, _fnp_convert)
MP = Backend("mp", {"fnp": MP_NUMPY, "np": np, "nn": _NumpyNN(MP_NUMPY)}, _mp_convert)


# ---------------------------------------------------------------------------
# slots, ops, programs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """The type of one program value, as numpy computes it."""

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    python_scalar: bool  # a Python int/float/bool/complex (a weakly typed constant)
    const: bool  # computed without reading the input

    @property
    def kind(self) -> str:
        return self.dtype.kind


Pred = Callable[[Slot, Sequence[Slot]], bool]
Margin = Callable[..., float]


@dataclass(frozen=True)
class Spec:
    """One kind of op: a line of source with holes ``{0}``, ``{1}``... for
    operands and ``{name}`` for parameters."""

    name: str
    template: str
    operands: tuple[Pred, ...] = ()
    params: Callable[[Any, Sequence[Slot]], dict[str, Any]] | None = None
    margin: Margin | None = None
    smooth: bool = True  # derivative programs may use it (no float32 rounding, etc.)
    complex_only: bool = False
    weight: int = 1

    def render(self, names: Sequence[str], params: dict[str, Any]) -> str:
        return self.template.format(*names, **params)


@dataclass(frozen=True)
class Op:
    spec: str
    args: tuple[int, ...]
    params: tuple[tuple[str, Any], ...] = ()

    def source(self, names: Sequence[str]) -> str:
        return SPECS[self.spec].render([names[i] for i in self.args], dict(self.params))


@functools.cache
def _compiled(expr: str, nargs: int) -> Any:
    params = ", ".join(["fnp", "np", "nn", *(f"_a{i}" for i in range(nargs))])
    return eval(f"lambda {params}: {expr}")


# Output trees are nested tuples: ("leaf", slot), ("none",), ("tuple", items),
# ("list", items), ("dict", ((key, item), ...)).
Tree = tuple[Any, ...]


@dataclass(frozen=True)
class Program:
    in_shape: tuple[int, ...]
    in_dtype: str
    scalar_input: bool  # pass a numpy scalar instead of a 0-d array
    ops: tuple[Op, ...]
    out: Tree
    slots: tuple[Slot, ...] = field(compare=False)

    def names(self) -> list[str]:
        return ["x", *(f"v{i}" for i in range(1, len(self.ops) + 1))]

    def source(self) -> str:
        names = self.names()
        lines = ["def f(x):"]
        for i, op in enumerate(self.ops, start=1):
            lines.append(f"    {names[i]} = {op.source(names)}")
        lines.append(f"    return {_tree_source(self.out, names)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.source()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # hypothesis prints failing examples so
        p.text(repr(self))

    def leaves(self) -> list[int | None]:
        out: list[int | None] = []
        _tree_leaves(self.out, out)
        return out

    def make_input(self, values: Sequence[float]) -> Any:
        x = np.array(values, dtype=self.in_dtype).reshape(self.in_shape)
        return x[()] if self.scalar_input else x


@dataclass(frozen=True)
class Case:
    """A program and the point to run it at; prints as runnable source."""

    program: Program
    values: tuple[float, ...]

    @property
    def x(self) -> Any:
        return self.program.make_input(self.values)

    def __repr__(self) -> str:
        x = self.x
        xs = (
            f"np.{x.dtype}({float(x)!r})"
            if not isinstance(x, np.ndarray)
            else (f"np.array({x.tolist()!r}, dtype=np.{x.dtype})")
        )
        return f"\n{self.program.source()}\n\nx = {xs}\n"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))


def _tree_source(t: Tree, names: Sequence[str]) -> str:
    tag = t[0]
    if tag == "leaf":
        return names[t[1]]
    if tag == "none":
        return "None"
    if tag == "tuple":
        inner = ", ".join(_tree_source(c, names) for c in t[1])
        return f"({inner},)" if len(t[1]) == 1 else f"({inner})"
    if tag == "list":
        return "[" + ", ".join(_tree_source(c, names) for c in t[1]) + "]"
    return "{" + ", ".join(f"{k!r}: {_tree_source(c, names)}" for k, c in t[1]) + "}"


def _tree_leaves(t: Tree, out: list[int | None]) -> None:
    stack = [t]
    while stack:
        node = stack.pop()
        tag = node[0]
        if tag == "leaf":
            out.append(node[1])
        elif tag == "none":
            out.append(None)
        elif tag in ("tuple", "list"):
            stack.extend(reversed(node[1]))
        else:
            stack.extend(reversed([c for _, c in node[1]]))


def _build(t: Tree, vals: Sequence[Any]) -> Any:
    tag = t[0]
    if tag == "leaf":
        return vals[t[1]]
    if tag == "none":
        return None
    if tag == "tuple":
        return tuple(_build(c, vals) for c in t[1])
    if tag == "list":
        return [_build(c, vals) for c in t[1]]
    return {k: _build(c, vals) for k, c in t[1]}


def run_slots(
    program: Program,
    x: Any,
    backend: Backend,
    margins: list[float] | None = None,
    visit: Callable[[Op, list[Any]], None] | None = None,
) -> list[Any]:
    """Evaluate every slot of ``program`` at ``x`` on ``backend``.

    With ``margins`` (a list), append each kinked op's distance to its kink;
    ``visit(op, operands)`` sees every op's operand values.
    """
    ns = backend.names
    vals: list[Any] = [backend.convert(x, np.dtype(program.in_dtype))]
    for op, slot in zip(program.ops, program.slots[1:]):
        spec = SPECS[op.spec]
        args = [vals[i] for i in op.args]
        fn = _compiled(
            spec.render([f"_a{i}" for i in range(len(args))], dict(op.params)), len(args)
        )
        v = fn(ns["fnp"], ns["np"], ns["nn"], *args)
        if backend is MP:
            v = _mp_convert(v, slot.dtype)
        vals.append(v)
        if visit is not None:
            visit(op, args)
        if margins is not None and spec.margin is not None:
            fargs = [as_float_array(a) for a in args]
            margins.append(spec.margin(*fargs, **dict(op.params)))
    return vals


def as_float_array(a: Any) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype == object:
        conv = np.frompyfunc(lambda e: complex(e) if isinstance(e, mpmath.mpc) else float(e), 1, 1)
        arr = np.asarray(np.asarray(conv(arr), dtype=object).tolist())
    if arr.dtype.kind == "c":
        return arr.astype(np.complex128)
    return arr.astype(np.float64)


def run(program: Program, x: Any, backend: Backend = FNP) -> Any:
    """The program's output pytree at ``x``."""
    return _build(program.out, run_slots(program, x, backend))


def as_function(program: Program) -> Callable[[Any], Any]:
    """The program as a Python function over funcdiff.numpy (eager or traced)."""

    def f(x: Any) -> Any:
        return run(program, x, FNP)

    f.__name__ = "program"
    return f


def min_margin(program: Program, x: Any) -> float:
    """The smallest relative distance of any kinked op to its kink, at ``x``."""
    margins: list[float] = [math.inf]
    with np.errstate(all="ignore"):
        run_slots(program, x, NUMPY, margins)
    return min(margins)


@dataclass(frozen=True)
class KnownBug:
    """A bug found by these tests and owned elsewhere: examples where ``hit``
    holds for some op of spec ``spec`` (``"*"``: any op) are left out of the
    property tests; a strict-xfail regression test holds the minimal
    reproduction. ``hit`` gets the op's operands as float64 arrays, or with
    ``raw`` their numpy values as they are and the op's parameters."""

    spec: str
    hit: Callable[..., bool]
    reason: str
    raw: bool = False


def known_bugs_hit(program: Program, x: Any, bugs: Sequence[KnownBug]) -> list[str]:
    """The reasons of the known bugs this example runs into."""
    found: list[str] = []

    def visit(op: Op, args: list[Any]) -> None:
        for bug in bugs:
            if bug.spec not in (op.spec, "*"):
                continue
            if bug.raw:
                hit = bug.hit(*args, **dict(op.params))
            else:
                hit = bug.hit(*[as_float_array(a) for a in args])
            if hit:
                found.append(bug.reason)

    with np.errstate(all="ignore"):
        run_slots(program, x, NUMPY, visit=visit)
    return found


# ---------------------------------------------------------------------------
# margins
# ---------------------------------------------------------------------------


def _rel(d: np.ndarray, scale: np.ndarray | float = 1.0) -> float:
    if np.size(d) == 0:
        return math.inf
    with np.errstate(all="ignore"):
        r = np.abs(d) / (1.0 + np.abs(scale))
    r = np.where(np.isnan(r), 0.0, r)
    return float(np.min(r))


def _m_zero(a: np.ndarray, *_: Any, **__: Any) -> float:
    return _rel(a)


def _m_tie(a: np.ndarray, b: np.ndarray, **_: Any) -> float:
    return _rel(a - b, np.maximum(np.abs(a), np.abs(b)))


def _m_tie_const(a: np.ndarray, value: str = "0", **_: Any) -> float:
    return _m_tie(a, np.asarray(eval(value, {"np": np}), dtype=np.float64))


def _m_quarter(a: np.ndarray, b: np.ndarray, **_: Any) -> float:
    return _rel(a - 0.25)


def _m_int(a: np.ndarray, **_: Any) -> float:
    return _rel(a - np.round(a), a)


def _m_half(a: np.ndarray, **_: Any) -> float:
    return _rel(np.abs(a - np.floor(a)) - 0.5, a)


def _m_gap(a: np.ndarray, axis: int | None = None, **_: Any) -> float:
    """Gap between the two largest and the two smallest entries along ``axis``."""
    a = np.asarray(a)
    if a.ndim == 0:
        return math.inf
    b = a.reshape(-1) if axis is None else np.moveaxis(a, axis, -1)
    if b.shape[-1] < 2:
        return math.inf
    s = np.sort(b, axis=-1)
    return min(_rel(s[..., -1] - s[..., -2], s[..., -1]), _rel(s[..., 1] - s[..., 0], s[..., 0]))


def _m_sorted(a: np.ndarray, axis: int = -1, **_: Any) -> float:
    a = np.asarray(a)
    if a.ndim == 0 or a.shape[axis] < 2:
        return math.inf
    s = np.sort(a, axis=axis)
    return _rel(np.diff(s, axis=axis), s[..., 1:] if axis == -1 else 1.0)


def _m_clip(a: np.ndarray, lo: float = -0.5, hi: float = 0.5, **_: Any) -> float:
    return min(_rel(a - lo), _rel(a - hi))


def _m_atan2(a: np.ndarray, b: np.ndarray, **_: Any) -> float:
    a, b = np.broadcast_arrays(a, b)
    cut = _rel(a[b < 0]) if np.any(b < 0) else math.inf
    return min(_rel(np.hypot(a, b)), cut)


def _m_hypot(a: np.ndarray, b: np.ndarray, **_: Any) -> float:
    return _rel(np.hypot(a, b))


def _m_divisor(a: np.ndarray, b: np.ndarray, **_: Any) -> float:
    return _rel(b) * 10  # poles: |b| >= 1e-4 keeps a/b and its derivatives finite


def _m_mod(a: np.ndarray, c: float = 0.7, **_: Any) -> float:
    q = a / c
    return _rel(q - np.round(q), q)


def _m_norm(a: np.ndarray, **_: Any) -> float:
    return _rel(np.sqrt(np.sum(np.abs(a) ** 2)))


def _m_std(a: np.ndarray, axis: int | None = None, **_: Any) -> float:
    return _rel(np.std(a, axis=axis)) if np.size(a) > 1 else 0.0


def _m_complex_abs(a: np.ndarray, **_: Any) -> float:
    return _rel(np.abs(a))


# ---------------------------------------------------------------------------
# operand predicates and parameters
# ---------------------------------------------------------------------------


def _float(s: Slot, prev: Sequence[Slot]) -> bool:
    return s.kind == "f"


def _complex(s: Slot, prev: Sequence[Slot]) -> bool:
    return s.kind == "c"


def _float_array(s: Slot, prev: Sequence[Slot]) -> bool:
    return s.kind == "f" and len(s.shape) >= 1


def _bool(s: Slot, prev: Sequence[Slot]) -> bool:
    return s.kind == "b"


def _int_or_bool(s: Slot, prev: Sequence[Slot]) -> bool:
    return s.kind in "iub"


def _int_scalar(s: Slot, prev: Sequence[Slot]) -> bool:
    return s.kind in "iu" and s.shape == ()


def _numeric(s: Slot, prev: Sequence[Slot]) -> bool:
    return s.kind in "fiub"


def _numeric_not_python(s: Slot, prev: Sequence[Slot]) -> bool:
    """Not a Python scalar (the template calls an array method)."""
    return s.kind in "fiub" and not s.python_scalar


def _int_or_bool_not_python(s: Slot, prev: Sequence[Slot]) -> bool:
    return s.kind in "iub" and not s.python_scalar


def _float_not_python(s: Slot, prev: Sequence[Slot]) -> bool:
    return s.kind == "f" and not s.python_scalar


def _broadcasts(shape: tuple[int, ...], *others: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(shape, *others)
    except ValueError:
        return False
    return True


def _out_shape_ok(shape: tuple[int, ...]) -> bool:
    return len(shape) <= 3 and math.prod(shape) <= 12


def _numeric_bcast(s: Slot, prev: Sequence[Slot]) -> bool:
    return (
        s.kind in "fiub"
        and _broadcasts(s.shape, prev[0].shape)
        and _out_shape_ok(np.broadcast_shapes(s.shape, prev[0].shape))
    )


def _float_bcast(s: Slot, prev: Sequence[Slot]) -> bool:
    return s.kind == "f" and _numeric_bcast(s, prev)


def _inexact_bcast(s: Slot, prev: Sequence[Slot]) -> bool:
    return (
        s.kind in "fciub"
        and _broadcasts(s.shape, prev[0].shape)
        and _out_shape_ok(np.broadcast_shapes(s.shape, prev[0].shape))
    )


def _where_branch(s: Slot, prev: Sequence[Slot]) -> bool:
    shapes = [p.shape for p in prev]
    return (
        s.kind in "fiub"
        and _broadcasts(s.shape, *shapes)
        and _out_shape_ok(np.broadcast_shapes(s.shape, *shapes))
    )


def _same_shape_float(s: Slot, prev: Sequence[Slot]) -> bool:
    return s.kind == "f" and s.shape == prev[0].shape


def _concat_partner(s: Slot, prev: Sequence[Slot]) -> bool:
    a = prev[0].shape
    return (
        s.kind in "fiub"
        and len(s.shape) == len(a)
        and s.shape[1:] == a[1:]
        and _out_shape_ok((a[0] + s.shape[0], *a[1:]))
    )


def _matmul_partner(s: Slot, prev: Sequence[Slot]) -> bool:
    a = prev[0].shape
    if s.kind not in "fiu" or len(s.shape) not in (1, 2):
        return False
    return a[-1] == s.shape[0]


def _vector(s: Slot, prev: Sequence[Slot]) -> bool:
    return s.kind == "f" and len(s.shape) == 1


def _indexable_by(s: Slot, prev: Sequence[Slot]) -> bool:
    return s.kind in "fiub" and len(s.shape) >= 1


def pick(draw: Any, seq: Sequence[Any]) -> Any:
    """An element of ``seq``, close to uniformly while generating (``sampled_from``
    favours the first elements); shrinking still moves towards ``seq[0]``."""
    k = draw(st.integers(0, 2**32 - 1))
    return seq[(k * 0x9E3779B1) % 2**32 % len(seq)]  # spread the small k hypothesis likes


def _axis_param(draw: Any, slots: Sequence[Slot]) -> dict[str, Any]:
    nd = len(slots[0].shape)
    axis = draw(st.sampled_from([None, *range(-nd, nd)]))
    return {"axis": axis}


def _array_axis_param(draw: Any, slots: Sequence[Slot]) -> dict[str, Any]:
    nd = len(slots[0].shape)
    return {"axis": draw(st.sampled_from(list(range(nd))))}


def _keepdims_axis_param(draw: Any, slots: Sequence[Slot]) -> dict[str, Any]:
    d = _axis_param(draw, slots)
    d["keepdims"] = draw(st.booleans())
    return d


def _reshape_param(draw: Any, slots: Sequence[Slot]) -> dict[str, Any]:
    n = math.prod(slots[0].shape)
    shapes = [(n,), (1, n), (n, 1)]
    for a in range(2, n):
        if n % a == 0:
            shapes.append((a, n // a))
    if n == 1:
        shapes.append(())
    return {"shape": draw(st.sampled_from(shapes))}


def _slice_param(draw: Any, slots: Sequence[Slot]) -> dict[str, Any]:
    shape = slots[0].shape
    n = shape[0]
    choices = ["[0]", "[-1]", "[::-1]", "[::2]", "[None]", "[..., 0]"]
    if n >= 2:
        choices += ["[1:]", "[:-1]", "[1]", "[[0, 1, 0]]", "[np.array([1, 1])]"]
    if len(shape) >= 2:
        choices += ["[:, ::-1]", "[:, 0]", "[0, :]"]
        if shape[1] >= 2:
            choices += ["[:, 1:]", "[:, 1]"]
        if shape[1] >= 2 and n >= 2:
            choices += ["[[1, 0], [0, 1]]"]
    return {"index": pick(draw, choices)}


def _const_param(draw: Any, slots: Sequence[Slot]) -> dict[str, Any]:
    return {"value": pick(draw, CONSTANTS)}


def _const_array_param(draw: Any, slots: Sequence[Slot]) -> dict[str, Any]:
    shape = draw(st.sampled_from([(2,), (3,), (2, 3), (1,)]))
    n = math.prod(shape)
    kind = pick(draw, ["float", "int", "bool", "ones", "ones_int", "arange", "full"])
    vals = [0.5, -1.25, 2.0, 0.75, -0.3, 1.5][:n]
    if kind == "float":
        src = f"np.array({np.array(vals).reshape(shape).tolist()})"
    elif kind == "int":
        src = f"np.array({np.array([2, -1, 3, 1, 0, 4][:n]).reshape(shape).tolist()})"
    elif kind == "bool":
        flags = np.array([True, False, True, True, False, False][:n]).reshape(shape)
        src = f"np.array({flags.tolist()})"
    elif kind == "ones":
        src = f"fnp.ones({shape})"
    elif kind == "ones_int":
        src = f"fnp.ones({shape}, dtype=int)"
    elif kind == "arange":
        src = (
            f"fnp.arange({float(n)})"
            if len(shape) == 1
            else f"fnp.arange({float(n)}).reshape({shape})"
        )
    else:
        src = f"fnp.full({shape}, 0.25)"
    return {"value": src}


#: scalar constants: Python and numpy, float, int, bool
CONSTANTS = (
    "2.5",
    "3",
    "-0.5",
    "True",
    "np.float64(1.5)",
    "np.float32(2.5)",
    "np.int64(3)",
    "np.bool_(False)",
    "0.0",
    "1",
    "np.float32(0.1)",
    "-2",
)


def _u(name: str, template: str, margin: Margin | None = None, **kw: Any) -> Spec:
    return Spec(name, template, (_float,), margin=margin, **kw)


def _b(name: str, template: str, margin: Margin | None = None, **kw: Any) -> Spec:
    return Spec(name, template, (_float, _numeric_bcast), margin=margin, **kw)


_SPEC_LIST: list[Spec] = [
    # binary arithmetic (operands of any numeric kind, broadcast)
    _b("add", "{0} + {1}", weight=3),
    _b("mul", "{0} * {1}", weight=3),
    _b("sub", "{0} - {1}", weight=2),
    Spec("rsub", "{1} - {0}", (_float, _numeric_bcast), weight=1),
    Spec("rmul", "{1} * {0}", (_float, _numeric_bcast), weight=1),
    _b("div", "{0} / {1}", _m_divisor, weight=2),
    Spec("rdiv", "{1} / {0}", (_float, _numeric_bcast), margin=lambda a, b: _m_divisor(b, a)),
    _b("maximum", "fnp.maximum({0}, {1})", _m_tie),
    _b("minimum", "fnp.minimum({0}, {1})", _m_tie),
    Spec("hypot", "fnp.hypot({0}, {1})", (_float, _float_bcast), margin=_m_hypot),
    Spec("arctan2", "fnp.arctan2({0}, {1})", (_float, _float_bcast), margin=_m_atan2),
    Spec("logaddexp", "fnp.logaddexp({0}, {1})", (_float, _float_bcast)),
    Spec("pow_traced", "fnp.power({0} * {0} + 0.5, {1})", (_float, _float_bcast), weight=2),
    Spec("pow_exp_base", "fnp.exp({0}) ** {1}", (_float, _float_bcast), weight=2),
    # constants: Python scalars, numpy scalars, arrays
    Spec("const", "{value}", (), _const_param, weight=3),
    Spec("mul_const", "{0} * {value}", (_float,), _const_param, weight=2),
    Spec("radd_const", "{value} + {0}", (_float,), _const_param, weight=2),
    Spec("sub_const", "{0} - {value}", (_float,), _const_param),
    Spec("max_const", "fnp.maximum({0}, {value})", (_float,), _const_param, _m_tie_const),
    Spec("const_array", "{value}", (), _const_array_param, weight=2),
    Spec("zeros_like", "fnp.zeros_like({0})", (_numeric,)),
    Spec("ones_like", "fnp.ones_like({0})", (_numeric,)),
    # unary math, domains guarded by the template or by a margin
    _u("sin", "fnp.sin({0})", weight=2),
    _u("cos", "fnp.cos({0})"),
    _u("tanh", "fnp.tanh({0})"),
    _u("arctan", "fnp.arctan({0})"),
    _u("exp", "fnp.exp({0})"),
    _u("expm1", "fnp.expm1({0})"),
    _u("sinh", "fnp.sinh({0})"),
    _u("cosh", "fnp.cosh({0})"),
    _u("arcsinh", "fnp.arcsinh({0})"),
    _u("log", "fnp.log({0} * {0} + 0.25)"),
    _u("log1p", "fnp.log1p({0} ** 2)"),
    _u("sqrt", "fnp.sqrt({0} ** 2 + 1.0)"),
    _u("sqrt_abs", "fnp.sqrt(fnp.abs({0}))", _m_zero),
    _u("arcsin", "fnp.arcsin(0.9 * fnp.sin({0}))"),
    _u("arccos", "fnp.arccos(0.9 * fnp.cos({0}))"),
    _u("arctanh", "fnp.arctanh(0.9 * fnp.tanh({0}))"),
    _u("cbrt", "fnp.cbrt({0})", _m_zero),
    _u("square", "fnp.square({0})"),
    _u("neg", "-{0}"),
    _u("pow2", "{0} ** 2"),
    _u("pow3", "{0} ** 3"),
    _u("pow0", "{0} ** 0"),
    _u("pow0_float", "{0} ** 0.0"),
    _u("pow2_float", "{0} ** 2.0"),
    _u("pow1", "fnp.power({0}, 1)"),
    _u("pow_half", "fnp.abs({0}) ** 1.5", _m_zero),
    _u("pow_neg", "{0} ** -2", _m_zero),
    _u("reciprocal", "1.0 / {0}", _m_zero),
    _u("sinc", "fnp.sinc({0})", weight=2),
    _u("abs", "fnp.abs({0})", _m_zero, weight=2),
    _u("sign", "fnp.sign({0})", _m_zero),
    _u("floor", "fnp.floor({0})", _m_int),
    _u("ceil", "fnp.ceil({0})", _m_int),
    _u("round", "fnp.round({0})", _m_half),
    _u("mod", "fnp.mod({0}, {c})", _m_mod, params=lambda d, s: {"c": 0.7}),
    _u("clip", "fnp.clip({0}, -0.5, 0.5)", _m_clip),
    _u("sigmoid", "nn.sigmoid({0})"),
    _u("softplus", "nn.softplus({0})"),
    _u("relu", "nn.relu({0})", _m_zero),
    # comparisons, booleans, select
    Spec("lt", "{0} < {1}", (_float, _numeric_bcast), margin=_m_tie, weight=2),
    Spec("ge", "{0} >= {1}", (_float, _numeric_bcast), margin=_m_tie),
    Spec("gt_fn", "fnp.greater({0}, {1})", (_float, _numeric_bcast), margin=_m_tie),
    Spec("eq", "{0} == {1}", (_float, _numeric_bcast), margin=_m_tie),
    Spec("where", "fnp.where({0}, {1}, {2})", (_bool, _where_branch, _where_branch), weight=3),
    Spec(
        "where_cmp",
        "fnp.where({0} > 0.25, {0}, {1})",
        (_float, _numeric_bcast),
        margin=_m_quarter,
        weight=2,
    ),
    Spec("logical_and", "fnp.logical_and({0}, {1})", (_bool, _numeric_bcast)),
    Spec("logical_not", "fnp.logical_not({0})", (_bool,)),
    Spec("isfinite", "fnp.isfinite({0})", (_float,)),
    # casts and integer intermediates
    Spec("astype_float", "{0}.astype(float)", (_int_or_bool_not_python,), weight=2),
    Spec("astype_float_fn", "fnp.astype({0}, fnp.float64)", (_int_or_bool,)),
    Spec("astype_int", "{0}.astype(int)", (_float_not_python,), margin=_m_int),
    Spec("astype_bool", "{0}.astype(bool)", (_float_not_python,), margin=_m_zero),
    Spec("astype_f32", "{0}.astype(np.float32)", (_float_not_python,), smooth=False),
    Spec("int_arith", "{0} * 2 + {1}", (_int_or_bool, _numeric_bcast)),
    Spec("argmax", "fnp.argmax({0})", (_float_array,), margin=_m_gap),
    Spec("argmin_axis", "fnp.argmin({0}, axis={axis})", (_float_array,), _array_axis_param, _m_gap),
    Spec("count", "fnp.sum({0})", (_int_or_bool,)),
    Spec(
        "gather_int",
        "{0}[{1} % {n}]",
        (_indexable_by, _int_scalar),
        lambda d, s: {"n": s[0].shape[0]},
    ),
    # reductions
    Spec(
        "sum",
        "fnp.sum({0}, axis={axis}, keepdims={keepdims})",
        (_float,),
        _keepdims_axis_param,
        weight=2,
    ),
    Spec("mean", "fnp.mean({0}, axis={axis})", (_float,), _axis_param),
    Spec("prod", "fnp.prod({0}, axis={axis})", (_float,), _axis_param),
    Spec("max", "fnp.max({0}, axis={axis})", (_float,), _axis_param, _m_gap),
    Spec("min_method", "{0}.min(axis={axis})", (_float_not_python,), _axis_param, _m_gap),
    Spec("cumsum", "fnp.cumsum({0}, axis={axis})", (_float_array,), _array_axis_param),
    Spec("cumprod", "fnp.cumprod({0}, axis={axis})", (_float_array,), _array_axis_param),
    Spec("var", "fnp.var({0}, axis={axis})", (_float_array,), _axis_param),
    Spec("std", "fnp.std({0}, axis={axis})", (_float_array,), _axis_param, _m_std),
    Spec("norm", "fnp.linalg.norm({0})", (_float,), margin=_m_norm),
    Spec("logsumexp", "nn.logsumexp({0})", (_float,)),
    Spec("softmax", "nn.softmax({0})", (_float_array,)),
    Spec("sort", "fnp.sort({0})", (_float_array,), margin=_m_sorted),
    # shapes, indexing, broadcasting
    Spec("reshape", "fnp.reshape({0}, {shape})", (_numeric,), _reshape_param),
    Spec("transpose", "{0}.T", (_numeric_not_python,)),
    Spec("index", "{0}{index}", (_indexable_by,), _slice_param, weight=2),
    Spec("broadcast_to", "fnp.broadcast_to({0}, (2, *fnp.shape({0})))", (_numeric,)),
    Spec("expand_dims", "fnp.expand_dims({0}, 0)", (_numeric,)),
    Spec("concatenate", "fnp.concatenate([{0}, {1}])", (_indexable_by, _concat_partner)),
    Spec("stack", "fnp.stack([{0}, {1}])", (_float, _same_shape_float)),
    Spec("flip", "fnp.flip({0})", (_indexable_by,)),
    Spec("roll", "fnp.roll({0}, 1)", (_indexable_by,)),
    Spec("ravel", "fnp.ravel({0})", (_numeric,)),
    Spec("tile", "fnp.tile({0}, 2)", (_indexable_by,)),
    # linear algebra
    Spec("matmul", "{0} @ {1}", (_float_array, _matmul_partner), weight=2),
    Spec("dot", "fnp.dot({0}, {1})", (_vector, _matmul_partner)),
    Spec("outer", "fnp.outer({0}, {1})", (_vector, _vector)),
    # complex intermediates (complex programs only)
    Spec("to_complex", "{0} * (1 + 1j)", (_float,), complex_only=True, weight=3),
    Spec("cis", "fnp.exp(1j * {0})", (_float,), complex_only=True, weight=2),
    Spec("c_arith", "{0} * {1}", (_complex, _inexact_bcast), complex_only=True),
    Spec("c_add", "{0} + {1}", (_complex, _inexact_bcast), complex_only=True),
    Spec("c_exp", "fnp.exp({0})", (_complex,), complex_only=True),
    Spec("c_sin", "fnp.sin({0})", (_complex,), complex_only=True),
    Spec("c_conj_mul", "{0}.conj() * {0}", (_complex,), complex_only=True),
    Spec("c_sum", "fnp.sum({0})", (_complex,), complex_only=True),
    Spec("c_abs", "fnp.abs({0})", (_complex,), margin=_m_complex_abs, complex_only=True, weight=4),
]
for _name in ("real", "imag"):
    if hasattr(fnp, _name):  # complex-to-real projections, once funcdiff.numpy has them
        _SPEC_LIST.append(
            Spec(f"c_{_name}", f"fnp.{_name}({{0}})", (_complex,), complex_only=True, weight=3)
        )

SPECS: dict[str, Spec] = {s.name: s for s in _SPEC_LIST}


# ---------------------------------------------------------------------------
# the generator
# ---------------------------------------------------------------------------


def _slot_of(v: Any, const: bool) -> Slot:
    arr = np.asarray(v)
    return Slot(arr.shape, arr.dtype, type(v) in (int, float, bool, complex), const)


@dataclass(frozen=True)
class Config:
    max_ops: int = 6
    in_dtypes: tuple[str, ...] = ("float64",)
    smooth_only: bool = False  # derivative programs: no rounding to a lower precision
    allow_complex: bool = False
    require_real_output: bool = False
    allow_const_outputs: bool = True
    #: output leaves of these kinds only ("f" for derivative programs)
    out_kinds: str = "fiubc"


def input_values(shape: tuple[int, ...]) -> st.SearchStrategy[list[float]]:
    n = math.prod(shape)
    elem = st.one_of(
        st.floats(-2.0, 2.0, allow_nan=False, allow_subnormal=False),
        st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0]),
    )
    return st.lists(elem, min_size=n, max_size=n)


@st.composite
def programs(draw: Any, config: Config = Config()) -> Case:
    """A random program and the point to run it at."""
    in_shape = draw(st.sampled_from([(3,), (), (2, 3), (2,)]))
    in_dtype = draw(st.sampled_from(config.in_dtypes))
    scalar_input = in_shape == () and draw(st.booleans())
    values = draw(input_values(in_shape))
    x = np.array(values, dtype=in_dtype).reshape(in_shape)
    if scalar_input:
        x = x[()]
    slots = [_slot_of(x, False)]
    vals: list[Any] = [x]
    ops: list[Op] = []
    specs = [
        s
        for s in _SPEC_LIST
        if (config.allow_complex or not s.complex_only) and (s.smooth or not config.smooth_only)
    ]
    weighted = [s for s in specs for _ in range(s.weight)]
    # 1 to max_ops ops, about uniformly; shrinking moves towards 1 op
    n_ops = pick(draw, range(1, config.max_ops + 1))
    for _ in range(n_ops):
        usable = [s for s in weighted if _can(s, slots)]
        if config.allow_complex and not any(sl.kind == "c" for sl in slots):
            # steer complex programs into the complex plane early
            usable = [s for s in usable if s.complex_only] or usable
        spec = pick(draw, usable)
        args: list[int] = []
        for k, pred in enumerate(spec.operands):
            prev = [slots[i] for i in args]
            cands = [
                i
                for i, s in enumerate(slots)
                if pred(s, prev) and _can(spec, slots, [*prev, s], k + 1)
            ]
            if not cands:  # the greedy check was too optimistic
                assume(False)
            # recent slots first, an operand already chosen last (x * x is
            # drawn too, but shrinking moves towards distinct operands)
            order = [i for i in cands[::-1] if i not in args] + [i for i in cands if i in args]
            args.append(draw(st.sampled_from(order)))
        params = spec.params(draw, [slots[i] for i in args]) if spec.params else {}
        op = Op(spec.name, tuple(args), tuple(sorted(params.items())))
        fn = _compiled(spec.render([f"_a{i}" for i in range(len(args))], params), len(args))
        try:
            with np.errstate(all="ignore"):
                v = fn(NUMPY.names["fnp"], np, NUMPY.names["nn"], *[vals[i] for i in args])
        except (ZeroDivisionError, OverflowError):  # Python arithmetic on Python constants
            assume(False)
            raise
        except (ValueError, IndexError, TypeError) as e:  # pragma: no cover - generator bug
            names = ["x", *(f"v{i}" for i in range(1, len(slots)))]
            raise AssertionError(f"generator made an invalid op {op.source(names)}: {e}") from e
        if np.shape(v) and not _out_shape_ok(np.shape(v)):
            assume(False)
        const = all(slots[i].const for i in args)
        if (
            config.smooth_only
            and not const
            and np.asarray(v).dtype not in (np.float64, np.complex128, np.dtype(in_dtype))
        ):
            # x-dependent values stay in the input's precision or float64
            assume(np.asarray(v).dtype.kind not in "fc")
        slots.append(_slot_of(v, const))
        vals.append(v)
        ops.append(op)
    out = draw(_out_trees(slots, config))
    program = Program(in_shape, in_dtype, scalar_input, tuple(ops), out, tuple(slots))
    return Case(program, tuple(values))


def _can(spec: Spec, slots: Sequence[Slot], prev: Sequence[Slot] = (), start: int = 0) -> bool:
    """Can the operands from ``start`` on be filled (greedily, latest slot first)?"""
    prev = list(prev)
    for pred in spec.operands[start:]:
        found = next((s for s in reversed(slots) if pred(s, prev)), None)
        if found is None:
            return False
        prev.append(found)
    return True


def _out_trees(slots: Sequence[Slot], config: Config) -> st.SearchStrategy[Tree]:
    def ok(i: int) -> bool:
        s = slots[i]
        if s.kind not in config.out_kinds:
            return False
        if not config.allow_const_outputs and s.const:
            return False
        return not (config.require_real_output and s.kind == "c")

    idx = [i for i in range(len(slots) - 1, -1, -1) if ok(i)]
    if not idx:
        return st.nothing()
    last = idx[0]
    extra = st.sampled_from(idx).map(lambda i: ("leaf", i))
    main = st.just(("leaf", last))
    return st.one_of(
        main,
        st.tuples(main, extra).map(lambda t: ("tuple", t)),
        st.tuples(main, extra).map(lambda t: ("list", t)),
        st.tuples(main, extra).map(lambda t: ("dict", (("a", t[0]), ("b", t[1])))),
        st.tuples(main, extra).map(
            lambda t: ("tuple", (t[0], ("dict", (("k", t[1]), ("n", ("none",))))))
        ),
    )


# ---------------------------------------------------------------------------
# high-precision reference derivatives
# ---------------------------------------------------------------------------


def _mp_outputs(program: Program, xs: np.ndarray, leaves: Sequence[int]) -> list[Any]:
    vals = run_slots(program, xs.reshape(program.in_shape), MP)
    return [to_mp(vals[i]).reshape(-1) for i in leaves]


def reference_jacobians(
    program: Program, values: Sequence[float], leaves: Sequence[int]
) -> list[np.ndarray]:
    """d leaf / d x for each output slot in ``leaves``, by central differences
    at DPS digits with step H_JAC (truncation ~H_JAC**2, roundoff ~10**-DPS / H_JAC)."""
    n = len(values)
    with mpmath.workdps(DPS):
        x0 = to_mp(np.array(values, dtype=np.float64))
        cols: list[list[np.ndarray]] = [[] for _ in leaves]
        for j in range(n):
            xp, xm = x0.copy(), x0.copy()
            xp[j] += H_JAC
            xm[j] -= H_JAC
            fp, fm = _mp_outputs(program, xp, leaves), _mp_outputs(program, xm, leaves)
            for k, (a, b) in enumerate(zip(fp, fm)):
                cols[k].append(as_float_array((a - b) / (2 * H_JAC)))
    out = []
    for k, i in enumerate(leaves):
        shape = program.slots[i].shape
        jac = np.stack(cols[k], axis=-1) if n else np.zeros((math.prod(shape), 0))
        out.append(jac.reshape(shape + program.in_shape))
    return out


def reference_hessian(
    program: Program, values: Sequence[float], scalarize: Callable[[list[Any]], Any]
) -> tuple[float, np.ndarray, np.ndarray]:
    """Value, gradient and Hessian of ``scalarize(outputs)``, by central
    differences at DPS digits."""
    n = len(values)
    with mpmath.workdps(DPS):
        x0 = to_mp(np.array(values, dtype=np.float64))

        @functools.cache
        def f(shift: tuple[tuple[int, int], ...], h: Any) -> Any:
            x = x0.copy()
            for j, s in shift:
                x[j] += s * h
            vals = run_slots(program, x.reshape(program.in_shape), MP)
            return scalarize(vals)

        h1, h2 = H_JAC, H_HESS
        f0 = f((), h2)
        grad = [(f(((j, 1),), h1) - f(((j, -1),), h1)) / (2 * h1) for j in range(n)]
        hess = np.empty((n, n), dtype=object)
        for i in range(n):
            hess[i, i] = (f(((i, 1),), h2) - 2 * f0 + f(((i, -1),), h2)) / (h2 * h2)
            for j in range(i):
                v = (
                    f(((i, 1), (j, 1)), h2)
                    - f(((i, 1), (j, -1)), h2)
                    - f(((i, -1), (j, 1)), h2)
                    + f(((i, -1), (j, -1)), h2)
                ) / (4 * h2 * h2)
                hess[i, j] = hess[j, i] = v
        return float(f0), as_float_array(np.array(grad, dtype=object)), as_float_array(hess)


def reference_directional(
    program: Program,
    values: Sequence[float],
    direction: np.ndarray,
    scalarize: Callable[[list[Any]], Any],
    orders: Sequence[int],
) -> list[float]:
    """d^k/dt^k scalarize(program(x + t v)) at t = 0 for each k in ``orders``,
    by mpmath.diff (finite differences at raised working precision)."""
    with mpmath.workdps(DPS):
        x0 = to_mp(np.array(values, dtype=np.float64))
        v = to_mp(np.asarray(direction, dtype=np.float64).reshape(-1))

        def g(t: Any) -> Any:
            x = (x0 + t * v).reshape(program.in_shape)
            return scalarize(run_slots(program, x, MP))

        return [float(mpmath.diff(g, 0, k)) for k in orders]


def flatten_tree(tree: Any) -> list[Any]:
    """Leaves of an output tree (None counts as no leaf), depth first."""
    out: list[Any] = []
    stack = [tree]
    while stack:
        t = stack.pop()
        if isinstance(t, (tuple, list)):
            stack.extend(reversed(t))
        elif isinstance(t, dict):
            stack.extend(reversed(list(t.values())))
        elif t is not None:
            out.append(t)
    return out


__all__ = [
    "FNP",
    "MP",
    "NUMPY",
    "Config",
    "Program",
    "as_float_array",
    "as_function",
    "flatten_tree",
    "min_margin",
    "programs",
    "reference_directional",
    "reference_hessian",
    "reference_jacobians",
    "run",
    "run_slots",
]

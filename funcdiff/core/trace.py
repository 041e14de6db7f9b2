"""Tracing: ``bind``, the per-thread trace stack, tracers and ``JaxprTrace``.

``bind(prim, *args, **params)`` is the only way an operation happens. With
no tracer among the args it runs the primitive's numpy ``impl``. Otherwise it
hands the operation to the innermost (highest-level) trace among the args,
which records an equation into the jaxpr it is building.

There is one kind of trace. A ``JaxprTrace`` records equations; when the
values of its inputs are known (a top-level ``grad(f)(x)``, or an inner
``grad`` whose inputs are an outer trace's tracers) each tracer also carries
its value, computed by binding the primitive on the input values, which
dispatches to the next trace down or to numpy. Under ``make_jaxpr``, ``jit``
and ``vmap`` values are abstract (``val is None``) and only shapes and dtypes
flow. Every transform then interprets the recorded jaxpr.

Perturbation confusion is impossible by construction: a tracer of an outer
trace met by an inner trace is lifted into the inner jaxpr as a constant,
which the inner transform never differentiates.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from funcdiff.core import debug_state as _debug
from funcdiff.core.ir import (
    Atom,
    ClosedJaxpr,
    Eqn,
    Jaxpr,
    Literal,
    ShapedArray,
    Var,
    as_result,
    aval_of,
)
from funcdiff.errors import (
    ConcretizationError,
    DerivativeDroppedError,
    TracerArrayConversionError,
    UnexpectedTracerError,
)

if TYPE_CHECKING:
    from funcdiff.core.primitive import Primitive
    from funcdiff.core.typing import ArrayLike, Axis, DTypeLike, Index, IndexUpdater


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.depth = 0
        self.scope: str | None = None  # the innermost named_scope, as a path "a/b"


class named_scope:
    """Name the operations traced inside the block: graph drawings
    (``funcdiff.see.graph``) draw them as one labelled block. Scopes nest
    (``"layer1/relu"``); values and derivatives are unchanged. ``funcdiff.nn``'s
    activations and losses use it, so ``relu`` and ``log_softmax`` are drawn
    as one block each.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> def f(x):
    ...     with fd.named_scope("square"):
    ...         y = x * x
    ...     return fnp.sin(y)
    >>> [e.scope for e in fd.make_jaxpr(f)(1.0).eqns]
    ['square', None]
    """

    __slots__ = ("_outer", "name")

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"named_scope: the name must be a non-empty str, got {name!r}")
        self.name = name

    def __enter__(self) -> None:
        self._outer = outer = _state.scope
        _state.scope = self.name if outer is None else f"{outer}/{self.name}"

    def __exit__(self, *exc: object) -> None:
        _state.scope = self._outer


_state = _ThreadState()
_DEBUG = _debug.STATE  # debug_nans flag: the hooks below cost one attribute read when off


def bind(prim: Primitive, *args: Any, **params: Any) -> Any:
    """Apply ``prim`` to ``args``: evaluate it, or record it in a trace.

    The user-facing form: the output itself, or a list of outputs for a
    primitive with ``multiple_results``. Interpreters use ``bind_list``."""
    top: JaxprTrace | None = None
    for a in args:
        if isinstance(a, Tracer):
            t = a._trace
            if top is None or t.level > top.level:
                top = t
    if top is None:
        return _evaluate(prim, args, params)
    return top.process(prim, args, params)


def _evaluate(prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> Any:
    """``prim`` on concrete values, in ``bind``'s form: the eager hot path
    (``bind`` with no tracer, and ``JaxprTrace.process`` with known values)."""
    try:
        out = prim.impl(*args, **params)  # the author's form
    except Exception:
        _check_abstract(prim, args, params)  # raises the rule's clear error, if any
        raise
    if _DEBUG.enabled:
        _debug.check_output(prim, args, params, prim.as_list(out))
    if prim.multiple_results:
        return [as_result(o) for o in out]
    if type(out) is np.ndarray:  # ``as_result``, inlined
        return out[()] if out.ndim == 0 else out
    return as_result(out)


def bind_list(prim: Primitive, *args: Any, **params: Any) -> list[Any]:
    """``bind`` for interpreters: the list of outputs, whatever the primitive.

    ``bind``'s eager path again, not a call to it: ``eval_jaxpr`` runs loop
    bodies through here, once per equation and iteration."""
    top: JaxprTrace | None = None
    for a in args:
        if isinstance(a, Tracer):
            t = a._trace
            if top is None or t.level > top.level:
                top = t
    if top is not None:
        return prim.as_list(top.process(prim, args, params))
    try:
        out = prim.impl(*args, **params)
    except Exception:
        _check_abstract(prim, args, params)  # raises the rule's clear error, if any
        raise
    if prim.multiple_results:
        outs = [as_result(o) for o in out]
    elif type(out) is np.ndarray:  # ``as_result``, inlined
        outs = [out[()] if out.ndim == 0 else out]
    else:
        outs = [as_result(out)]
    if _DEBUG.enabled:
        _debug.check_output(prim, args, params, outs)
    return outs


def _check_abstract(prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> None:
    """After an impl failed: run abstract_eval, whose errors name the primitive
    and the shapes, instead of surfacing numpy's message from deep inside."""
    from funcdiff.errors import FuncdiffError

    try:
        avals = [aval_of(a) for a in args]
    except Exception:
        return
    try:
        prim.abstract_eval(*avals, **params)
    except FuncdiffError as err:
        raise err.with_traceback(None) from None


class Tracer:
    """A value being traced: an abstract array with numpy-like operators.

    A tracer belongs to one trace and stands for one variable of its jaxpr.
    ``val`` is its concrete value when known (a numpy array, or a tracer of an
    outer trace), else None.

    This class holds what the core needs (the aval, the value, the shape
    attributes, the conversions to Python values and their errors). numpy's
    operators and methods (``x + y``, ``x[i]``, ``x.sum()``, ``x.at``...) are
    set on it by ``funcdiff.numpy`` (``funcdiff/numpy/_methods.py``), which
    ``import funcdiff`` always imports.
    """

    __slots__ = ("_trace", "aval", "ir_var", "val")
    __array_priority__ = 1000
    # numpy's dispatch protocols: ``funcdiff.numpy`` replaces this None (which
    # alone makes numpy defer ``ndarray * tracer`` to us) by ``__array_ufunc__``
    # and ``__array_function__`` methods that run numpy's functions on tracers
    # as their funcdiff.numpy counterparts (funcdiff/numpy/_dispatch.py)
    __array_ufunc__ = None

    def __init__(self, trace: JaxprTrace, var: Var, val: Any) -> None:
        self._trace = trace
        self.ir_var = var
        self.val = val
        self.aval = var.aval

    # -- array attributes ---------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.aval.dtype

    @property
    def ndim(self) -> int:
        return len(self.aval.shape)

    @property
    def size(self) -> int:
        return self.aval.size

    def __len__(self) -> int:
        if not self.aval.shape:
            raise TypeError("len() of a 0-d (scalar) array")
        return self.aval.shape[0]

    def __repr__(self) -> str:
        kind = "abstract" if self.val is None else "concrete"
        return f"Tracer<{self.aval.str_short()}, {kind}, level {self._trace.level}>"

    # -- concretization -----------------------------------------------------
    def concrete_value(self, what: str) -> Any:
        """The concrete numpy value, or a ConcretizationError explaining why not."""
        val = self.val
        while isinstance(val, Tracer):
            val = val.val
        if val is None:
            raise ConcretizationError(
                f"{what} needs a concrete value, but this is an abstract traced array "
                f"{self.aval.str_short()} (its value is not known while tracing under "
                "jit, make_jaxpr or vmap).\n"
                "What to do: pass it as a static argument (static_argnums=...), "
                "replace `if`/`while` on it by funcdiff.numpy.where or funcdiff.lax "
                "control flow, or move the value-dependent Python code outside the "
                "transformed function."
            )
        return val

    def python_number(self, what: str) -> Any:
        """The concrete value for a conversion to a Python number.

        Refused with a DerivativeDroppedError when the value depends on the
        differentiated inputs of a trace (at any nesting level): the number
        would silently drop the derivative. Integer and boolean values, and
        values behind ``stop_gradient`` or a piecewise-constant primitive,
        carry none and convert.
        """
        t: Any = self
        while isinstance(t, Tracer):
            if t.val is None:
                return self.concrete_value(what)  # raises: abstract
            if t._trace.carries_derivative(t.ir_var):
                raise DerivativeDroppedError(_dropped_message(what, t.aval.str_short()))
            t = t.val
        return t

    def __bool__(self) -> bool:
        # control flow on a value (``if x > 0``, ``while err > tol``) picks a branch;
        # it drops no derivative, so it works whenever the value is known
        return bool(self.concrete_value("bool() (an `if`, `while`, `and` or `or`)"))

    def __int__(self) -> int:
        return int(self.python_number("int()"))

    def __float__(self) -> float:
        return float(self.python_number("float() (which math.* functions call too)"))

    def __complex__(self) -> complex:
        return complex(self.python_number("complex()"))

    def __index__(self) -> int:
        return int(np.asarray(self.python_number("using it as a Python index")).__index__())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TracerArrayConversionError(
            f"a traced array {self.aval.str_short()} was converted to a numpy array "
            "(np.asarray, np.array([...]) of traced values, or a write into a numpy "
            "array such as buf[i] = x), which would silently drop it from the trace "
            "and its derivative. numpy's functions (np.sin, np.sum, ...) work on traced "
            "arrays; to build arrays use fnp.asarray / fnp.stack (import funcdiff.numpy "
            "as fnp) and x.at[idx].set(v); for a value wanted without its derivative, "
            "use funcdiff.stop_gradient(x) or compute it outside the transformed "
            "function. See docs/sharp_bits.md."
        )

    def __hash__(self) -> int:
        raise TypeError(
            "traced arrays are unhashable (as numpy arrays are); "
            "use static_argnums for values that key a cache"
        )

    def __setitem__(self, idx: Any, value: Any) -> None:
        from funcdiff.errors import InPlaceUpdateError

        raise InPlaceUpdateError(
            "traced arrays are immutable, so `x[idx] = v` cannot work inside a "
            "transformed function. Use `x = x.at[idx].set(v)` (or `.add(v)`)."
        )

    def item(self) -> Any:
        return np.asarray(self.python_number("item()")).item()

    def tolist(self) -> Any:
        return np.asarray(self.python_number("tolist()")).tolist()

    if TYPE_CHECKING:
        # numpy's operators and array methods: set on the class when
        # funcdiff.numpy is imported (funcdiff/numpy/_methods.py), declared
        # here for type checkers only. Each forwards to the funcdiff.numpy
        # function of the same name; an operation on a tracer gives a tracer.
        def __add__(self, other: ArrayLike) -> Tracer: ...
        def __radd__(self, other: ArrayLike) -> Tracer: ...
        def __sub__(self, other: ArrayLike) -> Tracer: ...
        def __rsub__(self, other: ArrayLike) -> Tracer: ...
        def __mul__(self, other: ArrayLike) -> Tracer: ...
        def __rmul__(self, other: ArrayLike) -> Tracer: ...
        def __truediv__(self, other: ArrayLike) -> Tracer: ...
        def __rtruediv__(self, other: ArrayLike) -> Tracer: ...
        def __floordiv__(self, other: ArrayLike) -> Tracer: ...
        def __rfloordiv__(self, other: ArrayLike) -> Tracer: ...
        def __mod__(self, other: ArrayLike) -> Tracer: ...
        def __rmod__(self, other: ArrayLike) -> Tracer: ...
        def __pow__(self, other: ArrayLike) -> Tracer: ...
        def __rpow__(self, other: ArrayLike) -> Tracer: ...
        def __matmul__(self, other: ArrayLike) -> Tracer: ...
        def __rmatmul__(self, other: ArrayLike) -> Tracer: ...
        def __and__(self, other: ArrayLike) -> Tracer: ...
        def __rand__(self, other: ArrayLike) -> Tracer: ...
        def __or__(self, other: ArrayLike) -> Tracer: ...
        def __ror__(self, other: ArrayLike) -> Tracer: ...
        def __xor__(self, other: ArrayLike) -> Tracer: ...
        def __rxor__(self, other: ArrayLike) -> Tracer: ...
        def __lshift__(self, other: ArrayLike) -> Tracer: ...
        def __rlshift__(self, other: ArrayLike) -> Tracer: ...
        def __rshift__(self, other: ArrayLike) -> Tracer: ...
        def __rrshift__(self, other: ArrayLike) -> Tracer: ...
        def __eq__(self, other: object) -> Tracer: ...  # type: ignore[override]
        def __ne__(self, other: object) -> Tracer: ...  # type: ignore[override]
        def __lt__(self, other: ArrayLike) -> Tracer: ...
        def __le__(self, other: ArrayLike) -> Tracer: ...
        def __gt__(self, other: ArrayLike) -> Tracer: ...
        def __ge__(self, other: ArrayLike) -> Tracer: ...
        def __neg__(self) -> Tracer: ...
        def __pos__(self) -> Tracer: ...
        def __abs__(self) -> Tracer: ...
        def __invert__(self) -> Tracer: ...
        def __getitem__(self, idx: Index) -> Tracer: ...
        def __iter__(self) -> Iterator[Tracer]: ...
        def __round__(self, ndigits: int | None = None) -> Tracer: ...
        @property
        def T(self) -> Tracer: ...
        @property
        def mT(self) -> Tracer: ...
        @property
        def at(self) -> IndexUpdater: ...
        @property
        def real(self) -> Tracer: ...
        @property
        def imag(self) -> Tracer: ...
        def sum(
            self,
            axis: Axis = None,
            dtype: DTypeLike | None = None,
            out: None = None,
            keepdims: bool = False,
            initial: ArrayLike = ...,
            where: ArrayLike = True,
        ) -> Tracer: ...
        def prod(
            self,
            axis: Axis = None,
            dtype: DTypeLike | None = None,
            out: None = None,
            keepdims: bool = False,
            initial: ArrayLike = ...,
            where: ArrayLike = True,
        ) -> Tracer: ...
        def mean(
            self,
            axis: Axis = None,
            dtype: DTypeLike | None = None,
            out: None = None,
            keepdims: bool = False,
            *,
            where: ArrayLike = True,
        ) -> Tracer: ...
        def max(
            self,
            axis: Axis = None,
            out: None = None,
            keepdims: bool = False,
            initial: ArrayLike = ...,
            where: ArrayLike = True,
        ) -> Tracer: ...
        def min(
            self,
            axis: Axis = None,
            out: None = None,
            keepdims: bool = False,
            initial: ArrayLike = ...,
            where: ArrayLike = True,
        ) -> Tracer: ...
        def var(
            self,
            axis: Axis = None,
            dtype: DTypeLike | None = None,
            out: None = None,
            ddof: float = 0,
            keepdims: bool = False,
            *,
            where: ArrayLike = True,
            mean: ArrayLike = ...,
            correction: float = ...,
        ) -> Tracer: ...
        def std(
            self,
            axis: Axis = None,
            dtype: DTypeLike | None = None,
            out: None = None,
            ddof: float = 0,
            keepdims: bool = False,
            *,
            where: ArrayLike = True,
            mean: ArrayLike = ...,
            correction: float = ...,
        ) -> Tracer: ...
        def argmax(
            self, axis: int | None = None, out: None = None, *, keepdims: bool = False
        ) -> Tracer: ...
        def argmin(
            self, axis: int | None = None, out: None = None, *, keepdims: bool = False
        ) -> Tracer: ...
        def cumsum(
            self, axis: int | None = None, dtype: DTypeLike | None = None, out: None = None
        ) -> Tracer: ...
        def cumprod(
            self, axis: int | None = None, dtype: DTypeLike | None = None, out: None = None
        ) -> Tracer: ...
        def all(
            self,
            axis: Axis = None,
            out: None = None,
            keepdims: bool = False,
            *,
            where: ArrayLike = True,
        ) -> Tracer: ...
        def any(
            self,
            axis: Axis = None,
            out: None = None,
            keepdims: bool = False,
            *,
            where: ArrayLike = True,
        ) -> Tracer: ...
        def clip(
            self, a_min: ArrayLike | None = None, a_max: ArrayLike | None = None
        ) -> Tracer: ...
        def round(self, decimals: int = 0) -> Tracer: ...
        def dot(self, other: ArrayLike) -> Tracer: ...
        def ravel(self) -> Tracer: ...
        def flatten(self) -> Tracer: ...
        def squeeze(self, axis: Axis = None) -> Tracer: ...
        def swapaxes(self, a: int, b: int) -> Tracer: ...
        def trace(
            self, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: DTypeLike | None = None
        ) -> Tracer: ...
        def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tracer: ...
        def repeat(self, repeats: ArrayLike, axis: int | None = None) -> Tracer: ...
        def take(
            self, indices: ArrayLike, axis: int | None = None, out: None = None, mode: str = "raise"
        ) -> Tracer: ...
        def sort(
            self,
            axis: int | None = -1,
            kind: str | None = None,
            order: None = None,
            *,
            stable: bool | None = None,
        ) -> Tracer: ...
        def argsort(
            self,
            axis: int | None = -1,
            kind: str | None = None,
            order: None = None,
            *,
            stable: bool | None = None,
        ) -> Tracer: ...
        def nonzero(self) -> tuple[np.ndarray, ...]: ...
        def conj(self) -> Tracer: ...
        def conjugate(self) -> Tracer: ...
        @overload
        def reshape(self, shape: int | Sequence[int], /, *, order: str = "C") -> Tracer: ...
        @overload
        def reshape(self, *shape: int, order: str = "C") -> Tracer: ...
        def reshape(self, *shape: int | Sequence[int], order: str = "C") -> Tracer: ...
        @overload
        def transpose(self, axes: Sequence[int] | None, /) -> Tracer: ...
        @overload
        def transpose(self, *axes: int) -> Tracer: ...
        def transpose(self, *axes: int | Sequence[int] | None) -> Tracer: ...
        def astype(self, dtype: DTypeLike, copy: bool = True) -> Tracer: ...


def _dropped_message(what: str, aval: str) -> str:
    return (
        f"{what} on a traced value {aval} that depends on the input being "
        "differentiated (grad, jvp, vjp, hessian...): Python would get a plain number "
        "and the derivative through it would be silently dropped.\n"
        "What to do: use funcdiff.numpy inside the function (fnp.sin(x), not "
        "math.sin(x); fnp.zeros(n).at[i].set(x), not a write into a numpy array). "
        "If the number is wanted on purpose, convert funcdiff.stop_gradient(x) or "
        "compute it outside the differentiated function. Control flow such as "
        "`if x > 0:` needs no conversion and works as is."
    )


class JaxprTrace:
    """Records equations into a jaxpr; carries values when they are known.

    **Replay**: given ``expect``, the jaxpr an earlier trace of the same
    function recorded, each operation is checked against the next expected
    equation (primitive, operands, params, scope, result type) and, when
    it matches, recorded as that very equation: no new variable or equation
    is made. The first mismatch ends the replay and recording goes on as
    usual after the matched prefix; when every operation matched,
    ``to_jaxpr`` returns the expected jaxpr itself (``replayed``), whose
    structure key the caller already knows. Only values differ from call
    to call, and they live in ``env``."""

    __slots__ = (
        "_const_ids",
        "_expect",
        "_n_args",
        "_n_expect",
        "_n_indexed",
        "_pos",
        "_producer",
        "active",
        "arg_vars",
        "consts",
        "constvars",
        "env",
        "eqns",
        "level",
        "replayed",
    )

    def __init__(self, level: int, expect: Jaxpr | None = None) -> None:
        self.level = level
        #: the jaxpr expected (None: not replaying, or the replay diverged)
        self._expect = None if _DEBUG.enabled else expect
        self._n_expect = 0 if expect is None else len(expect.eqns)
        self._pos = 0  # expected equations matched so far
        self._n_args = 0
        #: whether ``to_jaxpr`` returned the expected jaxpr
        self.replayed = False
        self.active = True
        self.eqns: list[Eqn] = []
        self.constvars: list[Var] = []
        self.consts: list[Any] = []
        self._const_ids: dict[int, Var] = {}
        # var -> value, filled while values are known; reverse mode reads its
        # residuals here instead of computing the forward pass again.
        self.env: dict[Var, Any] = {}
        self.arg_vars: set[Var] = set()
        # var -> producing equation, indexed lazily by carries_derivative
        self._producer: dict[Var, Eqn] = {}
        self._n_indexed = 0

    def new_arg(self, aval: ShapedArray, val: Any = None) -> Tracer:
        exp, k = self._expect, self._n_args
        self._n_args = k + 1
        if exp is not None and k < len(exp.invars) and exp.invars[k].aval == aval:
            v = exp.invars[k]
        else:
            self._end_replay()
            v = Var(aval)
        if val is not None:
            self.env[v] = val
        self.arg_vars.add(v)
        return Tracer(self, v, val)

    def carries_derivative(self, var: Var) -> bool:
        """Whether ``var`` depends on this trace's inputs through differentiable
        equations: a backward walk (explicit stack) that stops at integer and
        boolean values and at zero-derivative primitives (stop_gradient, floor,
        comparisons...)."""
        if var.aval.dtype.kind not in "fc":
            return False
        producer = self._producer
        # (while replaying, the equations recorded so far are the expected prefix)
        exp = self._expect
        eqns, n = (self.eqns, len(self.eqns)) if exp is None else (exp.eqns, self._pos)
        for eqn in eqns[self._n_indexed : n]:
            for o in eqn.outvars:
                producer[o] = eqn
        self._n_indexed = n
        seen: set[int] = set()
        stack = [var]
        while stack:
            v = stack.pop()
            if v in self.arg_vars:
                return True
            made_by = producer.get(v)
            if made_by is None or id(made_by) in seen or made_by.primitive.zero_derivative:
                continue  # a constant, a visited equation or a derivative-free one
            seen.add(id(made_by))
            stack.extend(
                x for x in made_by.invars if isinstance(x, Var) and x.aval.dtype.kind in "fc"
            )
        return False

    def lift(self, x: Any) -> tuple[Atom, Any]:
        """A non-tracer (or an outer trace's tracer) as an atom of this jaxpr."""
        if isinstance(x, Tracer):
            if x._trace is self:
                return x.ir_var, x.val
            if not x._trace.active:
                raise _escaped(x)
            if x._trace.level > self.level:
                raise _escaped(x)
        elif isinstance(x, (int, float, bool, complex, np.generic)) or (
            isinstance(x, np.ndarray) and x.ndim == 0
        ):
            return Literal(x), x
        v = self._const_ids.get(id(x))
        if v is None:
            aval, exp, k = aval_of(x), self._expect, len(self.constvars)
            if exp is not None and k < len(exp.constvars) and exp.constvars[k].aval == aval:
                v = exp.constvars[k]  # (replay: the expected constant in this place)
            else:
                v = Var(aval)
            self._const_ids[id(x)] = v
            self.constvars.append(v)
            self.consts.append(x)
            self.env[v] = x
        return v, x

    def process(self, prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> Any:
        """Record ``prim`` on ``args``: ``bind``'s traced half, which returns
        the output tracer (a list of them with ``multiple_results``) as
        ``bind`` does; its eager evaluation is ``bind``'s hot path too.

        While replaying (see the class docstring), a one-result operation
        that is the next expected equation is matched in place: a tracer
        operand by its variable, a scalar by type and bits against the
        expected literal, which is reused (no ``Literal`` is made, and
        ``-0.0`` never matches ``0.0``); anything else is recorded anew
        (``_record``), which ends the replay."""
        exp = self._expect
        if exp is None or prim.multiple_results or not self.active:
            return self._record(prim, args, params)
        pos = self._pos
        if pos >= self._n_expect:
            return self._record(prim, args, params)
        e = exp.eqns[pos]
        ins = e.invars
        if (
            e.primitive is not prim
            or len(ins) != len(args)
            or e.params != params
            or e.scope != _state.scope
        ):
            return self._record(prim, args, params)
        vals: list[Any] = []
        for a, v in zip(args, ins):  # (lengths checked)
            ta = type(a)
            if ta is Tracer:
                val = a.val
                if a.ir_var is not v or a._trace is not self or val is None or type(val) is Tracer:
                    # another operand, or a value an outer trace records
                    return self._record(prim, args, params)
                vals.append(val)
            elif type(v) is Literal:
                if not _same_value(a, v.val):
                    return self._record(prim, args, params)
                vals.append(a)
            elif ta is np.ndarray and self._const_ids.get(id(a)) is v:
                vals.append(a)  # (a constant met before)
            else:
                atom, val = self.lift(a)
                if atom is not v:
                    return self._record(prim, args, params)
                vals.append(val)
        return self._replayed(e, vals, params)

    def process1(self, prim: Primitive, x: Tracer, params: dict[str, Any] | None = None) -> Any:
        """``process(prim, (x,), params or {})`` for a one-result primitive
        and ``x`` a tracer of this trace (``x._trace.process1(...)``): the
        replay's hot path without the operand tuple and loop."""
        exp = self._expect
        if exp is not None and self._pos < self._n_expect and self.active:
            e = exp.eqns[self._pos]
            ins = e.invars
            val = x.val
            if (
                e.primitive is prim
                and len(ins) == 1
                and ins[0] is x.ir_var
                and (not e.params if params is None else e.params == params)
                and e.scope == _state.scope
                and val is not None
                and type(val) is not Tracer
            ):
                return self._replayed(e, [val], _NO_PARAMS if params is None else params)
        # (not replaying: straight to recording, which is what ``process`` would do)
        return (self._record if exp is None else self.process)(
            prim, (x,), {} if params is None else params
        )

    def process2(self, prim: Primitive, x: Any, y: Any) -> Any:
        """``process(prim, (x, y), {})`` for a one-result primitive without
        params, one of ``x``, ``y`` a tracer of this trace and the other one
        too or a scalar: the replay's hot path without the operand tuple
        and loop (binary element-wise operations)."""
        exp = self._expect
        if exp is not None and self._pos < self._n_expect and self.active:
            e = exp.eqns[self._pos]
            ins = e.invars
            if e.primitive is prim and len(ins) == 2 and not e.params and e.scope == _state.scope:
                p, q = ins
                if type(x) is Tracer:
                    vx = x.val
                    ok = x.ir_var is p and x._trace is self and vx is not None
                    ok = ok and type(vx) is not Tracer
                else:
                    vx = x
                    ok = type(p) is Literal and _same_value(x, p.val)
                if ok:
                    if type(y) is Tracer:
                        vy = y.val
                        ok = y.ir_var is q and y._trace is self and vy is not None
                        ok = ok and type(vy) is not Tracer
                    else:
                        vy = y
                        ok = type(q) is Literal and _same_value(y, q.val)
                    if ok:
                        return self._replayed(e, [vx, vy], _NO_PARAMS)
        return (self._record if exp is None else self.process)(prim, (x, y), {})

    def _replayed(self, e: Eqn, vals: list[Any], params: dict[str, Any]) -> Tracer:
        """Evaluate the expected equation ``e`` on the operand values ``vals``
        (its operands matched) and record it: its output tracer."""
        prim = e.primitive
        try:  # ``_evaluate``, inlined
            out = prim.impl(*vals, **params)
        except Exception:
            _check_abstract(prim, vals, params)
            raise
        if _DEBUG.enabled:
            _debug.check_output(prim, vals, params, [out])
        if type(out) is np.ndarray:
            if out.ndim == 0:
                out = out[()]
        else:
            out = as_result(out)
        v = e.outvars[0]
        aval = v.aval
        # (the result's type follows from the operands', except that numpy 1.x
        # promotes by the values of 0-d operands)
        try:
            same = out.dtype is aval.dtype and out.shape == aval.shape
        except AttributeError:
            same = False
        if not same and aval != aval_of(out):
            self._end_replay()
            return self._record_one(prim, list(e.invars), out, dict(params))
        self._pos += 1  # (``eqns`` gets the matched equations when the replay ends)
        self.env[v] = out
        t = _new_tracer(Tracer)  # (``Tracer(self, v, out)`` without its __init__ call)
        t._trace, t.ir_var, t.val, t.aval = self, v, out, aval
        return t

    def _end_replay(self) -> None:
        """Stop replaying: the equations matched so far become ``eqns``."""
        exp = self._expect
        if exp is not None:
            self.eqns = exp.eqns[: self._pos]
            self._expect = None

    def _record(self, prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> Any:
        """``process`` as a new equation (the replay, if any, is over)."""
        if not self.active:
            raise _escaped(next(a for a in args if isinstance(a, Tracer) and a._trace is self))
        if self._expect is not None:
            self._end_replay()
        invars: list[Atom] = []
        vals: list[Any] = []
        known = True
        nested = False  # a value that is an outer trace's tracer
        for a in args:
            if type(a) is Tracer and a._trace is self:
                invars.append(a.ir_var)
                val = a.val
                if val is None:
                    known = False
                elif isinstance(val, Tracer):
                    nested = True
                vals.append(val)
            else:
                atom, val = self.lift(a)
                invars.append(atom)
                vals.append(val)
                nested = nested or isinstance(val, Tracer)
        if known:
            # (an outer trace's tracer among the values: that trace records it)
            out = bind(prim, *vals, **params) if nested else _evaluate(prim, vals, params)
            if not prim.multiple_results:  # the hot path: one result, no lists
                return self._record_one(prim, invars, out, params)
            outs = out
            outvars = [Var(aval_of(o)) for o in outs]
            self.env.update(zip(outvars, outs, strict=True))
        else:
            avals = prim.listed["abstract_eval"](*[x.aval for x in invars], **params)
            outvars = [Var(a) for a in avals]
            outs = [None] * len(avals)
        self.eqns.append(Eqn(prim, invars, outvars, params, _state.scope))
        if _DEBUG.enabled:
            _debug.record_source(outvars)
        tracers = [Tracer(self, v, o) for v, o in zip(outvars, outs, strict=True)]
        return tracers if prim.multiple_results else tracers[0]

    def _record_one(
        self, prim: Primitive, invars: list[Atom], out: Any, params: dict[str, Any]
    ) -> Tracer:
        """Record a new equation of one known result ``out``."""
        v = Var(aval_of(out))
        self.env[v] = out
        self.eqns.append(Eqn(prim, invars, [v], params, _state.scope))
        if _DEBUG.enabled:
            _debug.record_source([v])
        return Tracer(self, v, out)

    def to_jaxpr(self, in_tracers: Sequence[Tracer], outs: Sequence[Any]) -> ClosedJaxpr:
        outvars = [self.lift(o)[0] for o in outs]
        invars = [t.ir_var for t in in_tracers]
        exp = self._expect
        if (
            exp is not None
            and self._pos == len(exp.eqns)
            and _same_atoms(exp.invars, invars)
            and _same_atoms(exp.constvars, self.constvars)
            and _same_atoms(exp.outvars, outvars)
        ):
            self.replayed = True
            self.eqns = exp.eqns
            return ClosedJaxpr(exp, list(self.consts))
        self._end_replay()
        jaxpr = Jaxpr(list(self.constvars), invars, self.eqns, outvars)
        return ClosedJaxpr(jaxpr, list(self.consts))


_new_tracer = object.__new__
_NO_PARAMS: dict[str, Any] = {}  # (read only)


def _same_atoms(xs: Sequence[Atom], ys: Sequence[Atom]) -> bool:
    """Are ``xs`` and ``ys`` the same variables and literals (by type and
    bits: ``-0.0`` is not ``0.0``)?"""
    if len(xs) != len(ys):
        return False
    for x, y in zip(xs, ys):  # (lengths checked)
        if x is y:
            continue
        if type(x) is not Literal or type(y) is not Literal or not _same_value(x.val, y.val):
            return False
    return True


def _same_value(a: Any, b: Any) -> bool:
    """Are the literal values ``a`` and ``b`` the same: type and bits?"""
    t = type(a)
    if t is not type(b):
        return False
    if t is np.float64 or t is float or t is np.float32:
        # equal nonzero floats have equal bits; zeros differ by sign (NaNs,
        # which may differ by payload, are never the same here)
        return bool(a == b) and (a != 0.0 or repr(a) == repr(b))
    if isinstance(a, np.generic):  # (the type fixes the dtype)
        return bool(a.tobytes() == b.tobytes())
    if isinstance(a, np.ndarray):
        return bool(a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes())
    return bool(a == b) and repr(a) == repr(b)  # a Python number: -0.0 == 0.0, by repr


def _escaped(t: Tracer) -> UnexpectedTracerError:
    return UnexpectedTracerError(
        f"a traced value {t.aval.str_short()} escaped the transformation that "
        "created it (it was stored in a global, a closure or an attribute and "
        "used after that transformation returned). Return values from "
        "transformed functions instead of storing them."
    )


class new_trace:  # (lower case: used as a function, ``with new_trace() as trace``)
    """Push a new innermost trace for this thread; pop and deactivate on exit.

    A class rather than a generator-based context manager: every eager
    transform opens one, and this costs a third as much."""

    __slots__ = ("_expect", "_trace")

    def __init__(self, expect: Jaxpr | None = None) -> None:
        self._expect = expect  # (a jaxpr to replay: see JaxprTrace)

    def __enter__(self) -> JaxprTrace:
        _state.depth += 1
        self._trace = JaxprTrace(_state.depth, self._expect)
        return self._trace

    def __exit__(self, *exc: object) -> None:
        self._trace.active = False
        _state.depth -= 1


def trace_flat(
    fun: Callable[..., Sequence[Any]],
    in_avals: Sequence[ShapedArray],
    in_vals: Sequence[Any] | None,
) -> tuple[ClosedJaxpr, list[Any], dict[Var, Any]]:
    """Trace ``fun`` (flat arrays in, flat list out) into a closed jaxpr.

    With ``in_vals`` the values are carried (and returned as the output
    values and the variable environment); without them tracing is abstract.
    """
    with new_trace() as trace:
        if in_vals is None:
            tracers = [trace.new_arg(a) for a in in_avals]
        else:
            tracers = [trace.new_arg(a, v) for a, v in zip(in_avals, in_vals, strict=True)]
        outs = fun(*tracers)
        closed = trace.to_jaxpr(tracers, outs)
        out_vals = [trace.env.get(v) if isinstance(v, Var) else v.val for v in closed.jaxpr.outvars]
        return closed, out_vals, trace.env


def trace_closure_converted(
    fun: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray]
) -> tuple[Jaxpr, list[Any], list[ShapedArray]]:
    """Trace ``fun`` abstractly for use as a sub-jaxpr of a higher-order primitive.

    Returns ``(jaxpr, consts, out_avals)`` where ``jaxpr.invars`` are the
    constants' binders followed by the arguments' (closure conversion): the
    caller binds its primitive with ``*consts, *args`` so that values the body
    closes over (including tracers of enclosing transforms) are ordinary
    operands that every interpreter sees and transforms.
    """
    with new_trace() as trace:
        tracers = [trace.new_arg(a) for a in in_avals]
        outs = fun(*tracers)
        closed = trace.to_jaxpr(tracers, list(outs))
    j = closed.jaxpr
    jaxpr = Jaxpr([], [*j.constvars, *j.invars], j.eqns, j.outvars)
    return jaxpr, list(closed.consts), [x.aval for x in j.outvars]

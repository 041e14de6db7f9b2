"""``debug_nans``: stop at the first NaN and say where it came from.

funcdiff keeps numpy's (and JAX's) semantics: ``where(x > 0, sqrt(x), 0.0)``
has a NaN gradient at 0 (sqrt's derivative there is infinite, the masked-out
branch receives a zero cotangent, and 0 * inf = NaN). Rather than change the
math, this mode finds such NaNs for you::

    with funcdiff.debug.debug_nans():
        funcdiff.grad(f)(0.0)      # FloatingPointError naming the equation

``debug_nans(True)`` alone switches the mode on for the current thread;
``debug_nans(False)`` switches it off. The mode is per thread: other threads
keep their own setting (off unless they switched it on), and a ``with``
block restores the thread's previous setting on exit, exceptions included.
When on:

- every primitive evaluated on concrete values (eagerly, in the forward pass
  of ``grad``/``jvp``/``vjp``, in every rule of the backward pass) checks its
  outputs, and the first NaN raises ``NaNError`` (a ``FloatingPointError``);
- every recorded equation remembers the user's source line that created it,
  so an error raised later, in the backward pass, names that line and the
  equation (one line of the printed jaxpr) whose VJP rule produced the NaN;
- the interpreters add what they were doing (forward evaluation, backward
  pass, forward mode, vmap) to the error as it propagates out.

The hooks live in the core (``funcdiff.core.trace``, the interpreters) and
cost one attribute check when the mode is off. This module holds the flag,
the checks, the source table and the message.

>>> import funcdiff as fd, funcdiff.numpy as fnp
>>> with debug_nans():
...     print(float(fd.grad(fnp.sin)(0.0)))
1.0
"""

from __future__ import annotations

import linecache
import os
import sys
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from funcdiff.core.ir import Eqn, Var
    from funcdiff.core.primitive import Primitive

__all__ = [
    "NaNError",
    "SourceInfo",
    "debug_nans",
    "hooks_installed",
    "is_enabled",
]


class _State(threading.local):
    """The mode of the current thread. ``enabled`` is a class-level default
    (off), so a thread that never switched the mode on reads False without
    any setup; switching it on sets the attribute in that thread only."""

    enabled: bool = False
    switches: int = 0  # how often this thread switched the mode


#: whether debug_nans is on in the current thread. The core hooks
#: (``funcdiff.core.trace``, ``funcdiff.jit``, the compiled passes) read this
#: one attribute; it is per thread, so a thread in debug mode neither slows
#: down nor raises in the others.
STATE = _State()

#: idents of the threads that have the mode on: the source table is kept
#: while one of them is alive, and cleared when the last one switches off
_ON: set[int] = set()
_LOCK = threading.Lock()


def is_enabled() -> bool:
    """Whether ``debug_nans`` is on in this thread.

    >>> is_enabled()
    False
    """
    return STATE.enabled


def _set(enabled: bool) -> None:
    enabled = bool(enabled)
    me = threading.get_ident()
    with _LOCK:
        STATE.enabled = enabled
        STATE.switches += 1
        if enabled:
            _ON.add(me)
            return
        _ON.discard(me)
        if _ON:  # forget threads that ended with the mode on
            _ON.intersection_update(t.ident for t in threading.enumerate())
        if not _ON:
            _SOURCES.clear()


class debug_nans:
    """Raise ``NaNError`` (a ``FloatingPointError``) at the first NaN.

    The mode is per thread: it applies to the thread that switches it on,
    and every other thread (including threads started later) keeps its own
    setting, off unless it switched it on itself. ``debug_nans(True)`` alone
    turns the mode on for this thread (``False`` turns it off) until
    switched again. As a context manager (``with debug_nans():``) it
    restores this thread's previous setting on exit, also when the block
    raises; blocks nest.

    Args:
        enabled: the setting inside the block (or from now on, when called
            without ``with``).

    >>> with debug_nans():
    ...     with debug_nans(False):
    ...         print(is_enabled())
    ...     print(is_enabled())
    False
    True
    >>> is_enabled()
    False
    """

    def __init__(self, enabled: bool = True) -> None:
        self._enabled = bool(enabled)
        # settings to restore, innermost last. The constructor switches the
        # mode at once (so the plain call works); a `with` right after it
        # keeps the setting the constructor replaced as its restore point,
        # any other `with` on this object saves what it replaces itself
        self._saved = [STATE.enabled]
        _set(self._enabled)
        self._mark: tuple[int, int] | None = (threading.get_ident(), STATE.switches)

    def __enter__(self) -> debug_nans:
        if self._mark != (threading.get_ident(), STATE.switches):
            if self._mark is not None:
                self._saved.pop()  # the constructor's switch was undone since
            self._saved.append(STATE.enabled)
            _set(self._enabled)
        self._mark = None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _set(self._saved.pop() if self._saved else False)


# ---------------------------------------------------------------------------
# where equations come from
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceInfo:
    """A line of the user's code.

    >>> SourceInfo("model.py", 12, "f", "y = x ** 2").filename
    'model.py'
    """

    filename: str
    lineno: int
    function: str
    code: str

    def __str__(self) -> str:
        head = f"{self.filename}:{self.lineno}, in {self.function}"
        return f"{head}\n        {self.code}" if self.code else head


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_INTERNAL: dict[str, bool] = {}


def _is_internal(filename: str) -> bool:
    known = _INTERNAL.get(filename)
    if known is None:
        known = _INTERNAL[filename] = os.path.abspath(filename).startswith(
            _PACKAGE_DIR
        ) or filename.startswith("<frozen")
    return known


def user_frame() -> SourceInfo | None:
    """The innermost frame on the stack that is not funcdiff's own code."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _is_internal(filename):
            lineno = frame.f_lineno
            code = linecache.getline(filename, lineno).strip()
            return SourceInfo(filename, lineno, frame.f_code.co_name, code)
        frame = frame.f_back  # type: ignore[assignment]
    return None


#: source of each recorded equation, keyed by its first output variable
#: (variables survive jit's optimization passes, equations are rebuilt)
_SOURCES: dict[Var, SourceInfo] = {}
_MAX_SOURCES = 200_000


def record_source(outvars: Sequence[Var]) -> None:
    """Hook for ``JaxprTrace.process``: remember the user's line for an equation."""
    if not outvars or not STATE.enabled:
        return
    info = user_frame()
    if info is None:
        return
    with _LOCK:
        _SOURCES[outvars[0]] = info
        while len(_SOURCES) > _MAX_SOURCES:
            del _SOURCES[next(iter(_SOURCES))]


def source_of(eqn: Eqn) -> SourceInfo | None:
    """The user's line that created ``eqn`` (if recorded in debug mode)."""
    return _SOURCES.get(eqn.outvars[0]) if eqn.outvars else None


# ---------------------------------------------------------------------------
# the check and the error
# ---------------------------------------------------------------------------

_PHASES = {
    "forward": "the forward pass",
    "backward": "the backward pass (reverse mode)",
    "jvp": "forward-mode differentiation",
    "vmap": "vmap",
}


def _concrete(x: Any) -> np.ndarray | None:
    val = x
    while val is not None and not isinstance(val, (np.ndarray, np.generic, float, complex, int)):
        val = getattr(val, "val", None)
    return None if val is None else np.asarray(val)


def _has_nan(x: Any) -> bool:
    dt = getattr(x, "dtype", None)
    if dt is None:
        return isinstance(x, float) and x != x
    return dt.kind in "fc" and bool(np.isnan(x).any())


def _describe(x: Any) -> str:
    """``f64[] 0.0`` for scalars, ``f64[3,4]`` for arrays."""
    from funcdiff.core.ir import aval_of

    try:
        aval = aval_of(x).str_short()
    except Exception:
        return type(x).__name__
    arr = _concrete(x)
    if arr is not None and arr.ndim == 0:
        return f"{aval} {arr.item()!r}"
    return aval


def _short_params(params: dict[str, Any]) -> str:
    if not params:
        return ""
    from funcdiff.core.ir import ClosedJaxpr, Jaxpr

    parts = []
    for k, v in sorted(params.items()):
        text = "{...}" if isinstance(v, (Jaxpr, ClosedJaxpr)) else repr(v)
        parts.append(f"{k}={text if len(text) <= 40 else text[:37] + '...'}")
    return "[" + ", ".join(parts) + "]"


def format_eqn(eqn: Eqn) -> str:
    """One equation as a jaxpr line, e.g. ``b:f64[] = sqrt a``."""
    from funcdiff.core.ir import Literal
    from funcdiff.core.pretty import letter_name, pp_literal

    names: dict[int, str] = {}

    def name(v: Any) -> str:
        if isinstance(v, Literal):
            return pp_literal(v)
        if id(v) not in names:
            names[id(v)] = letter_name(len(names))
        return names[id(v)]

    ins = " ".join(name(x) for x in eqn.invars)
    outs = " ".join(f"{name(v)}:{v.aval.str_short()}" for v in eqn.outvars)
    return f"{outs} = {eqn.primitive.name}{_short_params(eqn.params)} {ins}".rstrip()


class NaNError(FloatingPointError):
    """A NaN appeared while ``debug_nans`` was on.

    Attributes: ``primitive`` (the primitive of the equation being
    evaluated or differentiated, else the one whose output had the NaN),
    ``operation`` (the call that produced the NaN, with values; its
    primitive is ``op_primitive``), ``phase`` (``"forward"``,
    ``"backward"``, ``"jvp"`` or ``"vmap"``), ``equation`` (that equation as
    a jaxpr line, when known), ``source`` (the user's line: where that
    equation was traced, else the innermost user frame when the NaN
    appeared) and ``contexts`` (what each interpreter was doing, innermost
    first).
    """

    def __init__(
        self, op_primitive: str, operation: str, hint: str, here: SourceInfo | None
    ) -> None:
        super().__init__(op_primitive)
        self.op_primitive = op_primitive
        self.operation = operation
        self.hint = hint
        self.here = here
        self.contexts: list[tuple[str, str, str, SourceInfo | None]] = []

    def add_context(self, eqn: Eqn, phase: str) -> None:
        """Hook for the interpreters: the equation they were working on."""
        self.contexts.append((phase, eqn.primitive.name, format_eqn(eqn), source_of(eqn)))

    @property
    def phase(self) -> str:
        for phase, *_ in self.contexts:
            if phase == "backward":
                return phase
        return self.contexts[0][0] if self.contexts else "forward"

    @property
    def primitive(self) -> str:
        return self.contexts[0][1] if self.contexts else self.op_primitive

    @property
    def equation(self) -> str | None:
        return self.contexts[0][2] if self.contexts else None

    @property
    def source(self) -> SourceInfo | None:
        for *_, src in self.contexts:
            if src is not None:
                return src
        return self.here

    def __str__(self) -> str:
        where = _PHASES[self.phase]
        if not self.contexts:
            lines = [
                f"debug_nans: NaN in {where}, in the output of `{self.op_primitive}`",
                f"  operation: {self.operation}",
            ]
            if self.here is not None:
                lines.append(f"  at {self.here}")
        else:
            phase, prim, text, src = self.contexts[0]
            role = {"backward": "the VJP rule", "jvp": "the JVP rule", "vmap": "the batch rule"}
            lines = [
                f"debug_nans: NaN in {where}, in {role.get(phase, 'the evaluation')} of `{prim}`",
                f"  equation:  {text}",
            ]
            if src is not None:
                lines.append(f"  traced at {src}")
            lines.append(f"  NaN from:  {self.operation}")
            for phase, prim, _, src in self.contexts[1:]:
                if src is not None:
                    lines.append(f"  inside `{prim}` during {_PHASES[phase]}, traced at {src}")
            if self.here is not None:
                lines.append(f"  called from {self.here}")
        if self.hint:
            lines.append(
                textwrap.fill(self.hint, 96, initial_indent="  hint: ", subsequent_indent="    ")
            )
        return "\n".join(lines)


def _first_nan(out: np.ndarray) -> tuple[int, ...]:
    idx = np.argwhere(np.isnan(out))
    return tuple(int(i) for i in idx[0]) if idx.size else ()


def _at(x: Any, idx: tuple[int, ...], shape: tuple[int, ...]) -> Any:
    arr = _concrete(x)
    if arr is None:
        return None
    try:
        return np.broadcast_to(arr, shape)[idx].item()
    except Exception:
        return None


def _hint(prim: str, vals: list[Any]) -> str:
    zero = any(isinstance(v, (int, float, complex)) and v == 0 for v in vals)
    inf = any(isinstance(v, float) and np.isinf(v) for v in vals)
    if prim == "mul" and zero and inf:
        return (
            "0 * inf: typically a zero cotangent (a branch masked out by where/select) "
            "met an infinite derivative (sqrt, log, pow at 0). Keep the masked branch "
            "away from the singular point with a second where ('double where', "
            "funcdiff.custom.safe_where; see docs/custom_rules.md)."
        )
    if prim in ("div", "pow") and (zero or inf):
        return (
            "0/0, inf/inf or 0**0-like arithmetic: if this value is masked by "
            "where/select, use the 'double where' pattern (funcdiff.custom.safe_where)."
        )
    if prim in ("sqrt", "log", "log1p", "pow", "asin", "acos", "acosh", "atanh"):
        return (
            f"an input outside the domain of {prim}: if it is masked by where/select, "
            "feed the function a safe value there ('double where', "
            "funcdiff.custom.safe_where)."
        )
    return ""


def check_output(prim: Primitive, args: Sequence[Any], params: dict[str, Any], out: Any) -> None:
    """Hook for ``bind``: raise ``NaNError`` if a concrete output has a NaN."""
    if not STATE.enabled:
        return
    outs = out if prim.multiple_results else (out,)
    for k, o in enumerate(outs):
        if not _has_nan(o):
            continue
        arr = np.asarray(o)
        idx = _first_nan(arr)
        vals = [_at(a, idx, arr.shape) for a in args]
        ins = ", ".join(_describe(a) for a in args)
        result = _describe(o)
        op = f"{prim.name}{_short_params(params)}({ins}) -> {result}"
        if prim.multiple_results:
            op += f" (output {k})"
        if arr.ndim:
            shown = ", ".join(repr(v) for v in vals)
            count = int(np.isnan(arr).sum())
            op += f"; {count} NaN, the first at index {idx}, from inputs ({shown})"
        raise NaNError(prim.name, op, _hint(prim.name, vals), user_frame())


def hooks_installed() -> bool:
    """Whether the core calls this module (the patch in the docs is applied).

    >>> hooks_installed()
    True
    """
    import funcdiff.core.trace as trace
    import funcdiff.interpreters.vjp as vjp

    return getattr(trace, "_DEBUG", None) is STATE and getattr(vjp, "_debug", None) is not None

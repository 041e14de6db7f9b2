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

The core and the interpreters read only ``funcdiff.core.debug_state`` (the
per-thread flag, one attribute check when the mode is off, the error type
and the source table). This module sits on top: it switches the flag and
fills in the two hooks the core calls when the mode is on, the NaN check
and the recording of the user's line.

>>> import funcdiff as fd, funcdiff.numpy as fnp
>>> with debug_nans():
...     print(float(fd.grad(fnp.sin)(0.0)))
1.0
"""

from __future__ import annotations

import linecache
import os
import sys
import threading
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import numpy as np

from funcdiff.api_util import concrete_or_none
from funcdiff.core import debug_state
from funcdiff.core.debug_state import STATE as STATE
from funcdiff.core.debug_state import NaNError as NaNError
from funcdiff.core.debug_state import SourceInfo as SourceInfo
from funcdiff.core.debug_state import source_of as source_of
from funcdiff.core.ir import Eqn, Var, aval_of
from funcdiff.core.pretty import pp_eqn_short, pp_params_short
from funcdiff.core.primitive import Primitive
from funcdiff.core.trace import Tracer

__all__ = [
    "NaNError",
    "SourceInfo",
    "debug_nans",
    "is_enabled",
]

# documented (and shown in tracebacks) as funcdiff.debug's; defined in the
# core so that the interpreters can catch NaNError without importing this module
NaNError.__module__ = SourceInfo.__module__ = __name__


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


#: source of each recorded equation (the table lives in the core, which
#: reads it when a NaNError is annotated)
_SOURCES = debug_state.SOURCES
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


# ---------------------------------------------------------------------------
# the check
# ---------------------------------------------------------------------------


def _concrete(x: Any) -> np.ndarray | None:
    """The value of an operand known now; None for an abstract tracer or a non-array."""
    if isinstance(x, (Tracer, np.ndarray, np.generic, float, complex, int)):
        return concrete_or_none(x)
    return None


def _has_nan(x: Any) -> bool:
    dt = getattr(x, "dtype", None)
    if dt is None:
        return isinstance(x, float) and x != x
    return dt.kind in "fc" and bool(np.isnan(x).any())


def _describe(x: Any) -> str:
    """``f64[] 0.0`` for scalars, ``f64[3,4]`` for arrays."""
    try:
        aval = aval_of(x).str_short()
    except Exception:
        return type(x).__name__
    arr = _concrete(x)
    if arr is not None and arr.ndim == 0:
        return f"{aval} {arr.item()!r}"
    return aval


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
    """Raise ``NaNError`` if a concrete output of ``prim`` (``out`` as ``bind``
    returns it) has a NaN."""
    check_outputs(prim, args, params, prim.as_list(out))


def check_outputs(
    prim: Primitive, args: Sequence[Any], params: dict[str, Any], outs: Sequence[Any]
) -> None:
    """Hook for ``bind``: raise ``NaNError`` if one of the concrete ``outs``
    has a NaN."""
    if not STATE.enabled:
        return
    for k, o in enumerate(outs):
        if not _has_nan(o):
            continue
        arr = np.asarray(o)
        idx = _first_nan(arr)
        vals = [_at(a, idx, arr.shape) for a in args]
        ins = ", ".join(_describe(a) for a in args)
        result = _describe(o)
        op = f"{prim.name}{pp_params_short(params)}({ins}) -> {result}"
        if len(outs) > 1:
            op += f" (output {k})"
        if arr.ndim:
            shown = ", ".join(repr(v) for v in vals)
            count = int(np.isnan(arr).sum())
            op += f"; {count} NaN, the first at index {idx}, from inputs ({shown})"
        raise NaNError(prim.name, op, _hint(prim.name, vals), user_frame())


def format_eqn(eqn: Eqn) -> str:
    """One equation as a jaxpr line, e.g. ``b:f64[] = sqrt a``."""
    return pp_eqn_short(eqn)


# the core calls these (through its slots) when the mode is on
debug_state.check_output = check_outputs
debug_state.record_source = record_source

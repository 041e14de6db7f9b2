"""What the core and the interpreters know of ``debug_nans``.

The mode itself (switching it, checking outputs, finding the user's line) is
``funcdiff.debug``, which sits above the interpreters. The lower floors only
read this module:

- ``STATE.enabled``: whether the mode is on in the current thread. ``bind``
  and ``JaxprTrace.process`` read this one attribute, so the mode costs
  nothing more when it is off.
- ``check_output`` and ``record_source``: what ``bind`` and ``process`` call
  when it is on. ``funcdiff.debug`` fills these slots in when it is
  imported, and the mode can only be switched on through that module.
- ``NaNError``: the error the checks raise; each interpreter catches it to
  add the equation it was working on.
- ``SOURCES``: the user's line for each equation traced in debug mode
  (written by ``funcdiff.debug``, read by ``NaNError``).
"""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from funcdiff.core.pretty import pp_eqn_short

if TYPE_CHECKING:
    from funcdiff.core.ir import Eqn, Var
    from funcdiff.core.primitive import Primitive


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


def _no_check(
    prim: Primitive, args: Sequence[Any], params: dict[str, Any], outs: Sequence[Any]
) -> None:
    return None


def _no_record(outvars: Sequence[Var]) -> None:
    return None


#: ``check_output(prim, args, params, outs)``: raise ``NaNError`` if a concrete
#: output (``outs`` lists them) has a NaN (set by ``funcdiff.debug``; ``bind``
#: calls it when on)
check_output: Callable[[Primitive, Sequence[Any], dict[str, Any], Sequence[Any]], None] = _no_check

#: ``record_source(outvars)``: remember the user's line for a recorded
#: equation (set by ``funcdiff.debug``; ``JaxprTrace.process`` calls it when on)
record_source: Callable[[Sequence[Var]], None] = _no_record


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


#: source of each recorded equation, keyed by its first output variable
#: (variables survive jit's optimization passes, equations are rebuilt)
SOURCES: dict[Var, SourceInfo] = {}


def source_of(eqn: Eqn) -> SourceInfo | None:
    """The user's line that created ``eqn`` (if recorded in debug mode)."""
    return SOURCES.get(eqn.outvars[0]) if eqn.outvars else None


_PHASES = {
    "forward": "the forward pass",
    "backward": "the backward pass (reverse mode)",
    "jvp": "forward-mode differentiation",
    "vmap": "vmap",
}


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
        self.contexts.append((phase, eqn.primitive.name, pp_eqn_short(eqn), source_of(eqn)))

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

"""The skeleton every interpreter shares: an environment from variables to
values, and one way to call a rule.

Each interpreter (``eval``, ``jvp``, ``vjp``, ``vmap``, and the evaluators
in ``passes`` and ``funcdiff.see``) is one loop over a jaxpr's equations:
``read`` the inputs, ``apply_rule`` the equation's rule of its kind
(``eval`` calls ``bind_list``, so that it can record into an outer trace),
``write`` the outputs; the hottest loops (``eval``, ``jvp``, ``vjp``) inline
``read`` and ``write``. Rules are called in their list form (see
``funcdiff.core.primitive``): outputs, output tangents and output
cotangents are lists, one entry per output, whatever the primitive, so no
interpreter cares whether an equation has one result or several.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from funcdiff.core import debug_state as _debug
from funcdiff.core.ir import Atom, Eqn, Literal, Var

#: the phase a ``NaNError`` raised inside a rule of each kind is reported in
PHASE = {"impl": "forward", "jvp": "jvp", "vjp": "backward", "batch": "vmap"}


def read(env: dict[Var, Any], atom: Atom) -> Any:
    """The value of ``atom``: a literal's own, a variable's from ``env``."""
    return atom.val if isinstance(atom, Literal) else env[atom]


def write(env: dict[Var, Any], variables: Sequence[Var], values: Iterable[Any]) -> None:
    """Bind each of ``variables`` to its value (one value per variable)."""
    env.update(zip(variables, values, strict=True))


def apply_rule(eqn: Eqn, kind: str, *args: Any) -> Any:
    """Call the list form of ``eqn``'s rule ``kind`` on ``args`` and the
    equation's params. A missing rule raises ``MissingRuleError`` naming the
    primitive and the transform; a ``NaNError`` (``debug_nans``) raised inside
    the rule learns which equation it came from."""
    try:  # ``listed`` holds a stand-in raising MissingRuleError for a missing rule
        return eqn.primitive.listed[kind](*args, **eqn.params)
    except _debug.NaNError as err:
        err.add_context(eqn, PHASE[kind])
        raise

"""Primitives and their rules, all in one place, plus the registry.

A primitive carries every rule as an attribute:

- ``impl(*arrays, **params)``: the numpy evaluation.
- ``abstract_eval(*avals, **params)``: output ShapedArray(s); raises a
  ``ShapeError`` naming the primitive and the shapes when they do not fit.
- ``jvp(primals, tangents, out, **params)``: output tangent(s). ``tangents``
  holds ``Zero`` for inputs known to have a zero tangent; may return ``Zero``.
- ``vjp(cts, primals, out, needs, **params)``: one cotangent (or None) per
  input; ``needs[i]`` says whether input ``i`` wants one.
- ``batch(args, dims, **params)``: ``(out, out_dim)``; ``dims[i]`` is the
  batch axis of ``args[i]`` or None.
- ``emit(*names, **params)`` (optional): the numpy expression ``jit``
  writes into generated code; without it, generated code calls ``impl``.
- ``emit_inplace(out, *names, **params)`` (optional, instead of ``emit``):
  a statement that turns ``out``, which already holds the first operand (a
  copy, or its own buffer when it dies here), into the result. ``zeros`` is
  True when the first operand is a constant zero array, so ``out`` holds
  fresh zeros (an update may then assign instead of add).
- ``returns_view``: True when ``impl`` (or ``emit``) may return a view of
  (memory shared with) its first operand. A correctness contract: jit never
  writes into a buffer while a view of it is alive, and it learns of views
  only from this flag.
- ``emit_scalar`` (optional): a Python-float expression for jit's scalar
  specialization, either a format string over the operand names
  (``"_m.atan2({0}, {1})"``; ``_m`` is ``math``) or
  ``emit_scalar(*names, **params) -> str | None`` (None: not for these
  params). Without it a jaxpr that contains the primitive runs numpy code.
- ``samples(rng)``: example ``(args, params)`` pairs the registry sweep test
  checks every rule on.

Rules are written with funcdiff operations (they call ``bind``), never raw
numpy on their array arguments, so they can be differentiated again.

The helpers that turn derivative tables into rules (``defjvp``, ``defvjp``,
``deflinear``, ``def_zero_derivative``) live beside the primitives, in
``funcdiff.primitives.rules``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from funcdiff.core.ir import ShapedArray
from funcdiff.core.trace import bind
from funcdiff.errors import MissingRuleError

Rule = Callable[..., Any]

#: Every primitive, by name. The registry sweep test walks this.
REGISTRY: dict[str, Primitive] = {}


class Primitive:
    """A named operation with its rules. See the module docstring."""

    def __init__(
        self,
        name: str,
        *,
        multiple_results: bool = False,
        impl: Any = None,
        abstract_eval: Any = None,
        jvp: Any = None,
        vjp: Any = None,
        batch: Any = None,
        samples: Any = None,
        emit: Any = None,
        emit_out: Any = None,
        emit_inplace: Any = None,
        emit_scalar: Any = None,
        returns_view: bool = False,
        rules: Callable[[Primitive], None] | None = None,
    ) -> None:
        """Declare a primitive in one expression: each keyword sets the rule
        (or fact) of that name (see the module docstring); an unknown one is a
        TypeError naming it.

        A rule may be given as a template, an object with a
        ``for_primitive(prim)`` method returning the rule for this primitive
        (the batch helpers of ``funcdiff.primitives.batching`` are: their rule
        binds the primitive it belongs to). ``rules(prim)`` runs first and sets
        rules derived from a table (``funcdiff.primitives.rules.linear(...)``,
        ``def_zero_derivative``); a rule given by keyword overrides it.
        """
        if name in REGISTRY:
            raise ValueError(f"primitive {name!r} is defined twice")
        self.name = name
        self.multiple_results = multiple_results
        self.impl: Rule = _missing(name, "impl")
        self.abstract_eval: Rule = _missing(name, "abstract_eval")
        self.jvp: Rule | None = None
        self.vjp: Rule | None = None
        self.batch: Rule | None = None
        self.samples: Callable[[np.random.Generator], list[tuple[tuple[Any, ...], dict[str, Any]]]]
        self.samples = lambda rng: []
        #: optional jit code generation: ``emit(*arg_names, **params)`` returns a
        #: numpy expression; ``emit_out`` the same writing into ``out=``.
        self.emit: Rule | None = None
        self.emit_out: Rule | None = None
        #: optional in-place statement on a copy of the first operand (see above).
        self.emit_inplace: Rule | None = None
        #: True when ``impl`` may return a view of its first operand (see above).
        self.returns_view = returns_view
        #: optional Python-float expression for jit's scalar specialization.
        self.emit_scalar: str | Rule | None = None
        #: True when the derivative is zero everywhere (comparisons, floor...).
        self.zero_derivative = False
        if rules is not None:
            rules(self)
        given = {
            "impl": impl,
            "abstract_eval": abstract_eval,
            "jvp": jvp,
            "vjp": vjp,
            "batch": batch,
            "samples": samples,
            "emit": emit,
            "emit_out": emit_out,
            "emit_inplace": emit_inplace,
            "emit_scalar": emit_scalar,
        }
        for kind, rule in given.items():
            if rule is not None:
                make = getattr(rule, "for_primitive", None)
                setattr(self, kind, rule if make is None else make(self))
        REGISTRY[name] = self

    def __repr__(self) -> str:
        return self.name

    def bind(self, *args: Any, **params: Any) -> Any:
        return bind(self, *args, **params)

    def rule(self, kind: str) -> Rule:
        """The rule named ``kind``, or a MissingRuleError naming the primitive."""
        r = getattr(self, kind)
        if r is None:
            raise MissingRuleError(
                f"primitive '{self.name}' has no {kind} rule, so this transform "
                "cannot go through it. Add the rule in the primitive's paragraph."
            )
        return r  # type: ignore[no-any-return]


def _missing(name: str, kind: str) -> Rule:
    def rule(*args: Any, **params: Any) -> Any:
        raise MissingRuleError(f"primitive '{name}' has no {kind} rule")

    return rule


# -- symbolic zeros -----------------------------------------------------------


class Zero:
    """A tangent or cotangent known to be zero; rules skip it."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return f"Zero({self.aval.str_short()})"


def zeros(aval: ShapedArray) -> np.ndarray:
    """A concrete zero array of ``aval`` (a read-only broadcast, no allocation)."""
    return np.broadcast_to(np.zeros((), aval.dtype), aval.shape)


def instantiate(t: Any) -> Any:
    """Turn a symbolic ``Zero`` into an actual array; pass others through."""
    return zeros(t.aval) if isinstance(t, Zero) else t


def is_float(aval: ShapedArray) -> bool:
    return aval.dtype.kind in "fc"

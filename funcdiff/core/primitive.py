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
- ``samples(rng)``: example ``(args, params)`` pairs the registry sweep test
  checks every rule on.

Rules are written with funcdiff operations (they call ``bind``), never raw
numpy on their array arguments, so they can be differentiated again.

The helpers below turn derivative tables into rules: ``defjvp``/``defvjp``
take one function per argument, ``deflinear`` derives both the JVP and the
VJP of a linear primitive from its transpose.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcdiff.core.ir import ShapedArray, aval_of
from funcdiff.core.trace import bind
from funcdiff.errors import MissingRuleError

Rule = Callable[..., Any]

#: Every primitive, by name. The registry sweep test walks this.
REGISTRY: dict[str, Primitive] = {}


class Primitive:
    """A named operation with its rules. See the module docstring."""

    def __init__(self, name: str, *, multiple_results: bool = False) -> None:
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
        #: True when the derivative is zero everywhere (comparisons, floor...).
        self.zero_derivative = False
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


# -- registration helpers --------------------------------------------------------


def defjvp(prim: Primitive, *fns: Rule | None) -> None:
    """JVP from one function per argument: ``fn(t, out, *primals, **params)``.

    ``None`` marks an argument with zero derivative. Contributions are summed.
    """
    from funcdiff.primitives.elementwise import add

    def jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any, **params: Any) -> Any:
        total: Any = None
        for fn, t in zip(fns, tangents, strict=False):
            if fn is None or isinstance(t, Zero):
                continue
            term = fn(t, out, *primals, **params)
            total = term if total is None else add(total, term)
        return Zero(aval_of(out)) if total is None else total

    prim.jvp = jvp


def defvjp(prim: Primitive, *fns: Rule | None) -> None:
    """VJP from one function per argument: ``fn(ct, out, *primals, **params)``."""

    def vjp(
        ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool], **params: Any
    ) -> list[Any]:
        return [
            fn(ct, out, *primals, **params) if (need and fn is not None) else None
            for fn, need in zip(fns, needs, strict=False)
        ] + [None] * (len(primals) - len(fns))

    prim.vjp = vjp


def deflinear(prim: Primitive, *transposes: Rule | None) -> None:
    """JVP and VJP of a primitive jointly linear in the arguments whose
    transpose is given (``fn(ct, *primals, **params)``); ``None`` marks a
    non-linear argument (an index), which must have a zero tangent."""

    def jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any, **params: Any) -> Any:
        linear = [t for t, tr in zip(tangents, transposes, strict=True) if tr is not None]
        if all(isinstance(t, Zero) for t in linear):
            return Zero(aval_of(out))
        args = [
            instantiate(t) if tr is not None else p
            for p, t, tr in zip(primals, tangents, transposes, strict=True)
        ]
        return prim.bind(*args, **params)

    def vjp(
        ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool], **params: Any
    ) -> list[Any]:
        return [
            tr(ct, *primals, **params) if (need and tr is not None) else None
            for tr, need in zip(transposes, needs, strict=True)
        ]

    prim.jvp = jvp
    prim.vjp = vjp


def def_zero_derivative(prim: Primitive) -> None:
    """The primitive is piecewise constant (or has integer/bool output)."""
    prim.zero_derivative = True

    def jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any, **params: Any) -> Any:
        if prim.multiple_results:
            return [Zero(aval_of(o)) for o in out]
        return Zero(aval_of(out))

    def vjp(
        ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool], **params: Any
    ) -> list[Any]:
        return [None] * len(primals)

    prim.jvp = jvp
    prim.vjp = vjp

"""Helpers that turn derivative tables into a primitive's rules.

- ``defjvp(prim, *fns)`` / ``defvjp(prim, *fns)``: one function per argument
  (``fn(t, out, *primals, **params)``, ``fn(ct, out, *primals, **params)``);
  ``None`` marks an argument with zero derivative.
- ``deflinear(prim, *transposes)``: both rules of a primitive linear in the
  arguments whose transpose is given.
- ``def_zero_derivative(prim)``: a piecewise-constant primitive (comparisons,
  ``floor``...), whose derivative is zero everywhere.
- ``linear(*transposes)``: ``deflinear`` for ``Primitive(..., rules=linear(t))``,
  so a linear primitive is declared in one expression.

The rules they build call funcdiff operations (``bind``), so they can be
differentiated again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcdiff.core.ir import aval_of
from funcdiff.core.primitive import Primitive, Rule, Zero, instantiate

__all__ = ["def_zero_derivative", "defjvp", "deflinear", "defvjp", "linear"]


def defjvp(prim: Primitive, *fns: Rule | None) -> None:
    """JVP from one function per argument: ``fn(t, out, *primals, **params)``.

    ``None`` marks an argument with zero derivative. Contributions are summed.
    """
    from funcdiff.primitives.elementwise import add  # elementwise uses this module

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


def linear(*transposes: Rule | None) -> Callable[[Primitive], None]:
    """``deflinear``'s rules for the ``rules=`` keyword of ``Primitive``:
    ``Primitive("rev", ..., rules=linear(lambda ct, x, **p: rev(ct, ...)))``."""
    return lambda prim: deflinear(prim, *transposes)

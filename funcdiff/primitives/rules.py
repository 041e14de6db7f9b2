"""Helpers that turn derivative tables into a primitive's rules.

- ``defjvp(prim, *fns)`` / ``defvjp(prim, *fns)``: one function per argument
  (``fn(t, out, *primals, **params)``, ``fn(ct, out, *primals, **params)``);
  ``None`` marks an argument with zero derivative (its cotangent is a
  ``Zero``).
- ``deflinear(prim, *transposes)``: both rules of a primitive linear in the
  arguments whose transpose is given.
- ``def_zero_derivative(prim)``: a piecewise-constant primitive (comparisons,
  ``floor``...), whose derivative is zero everywhere.
- ``linear(*transposes)``: ``deflinear`` for ``Primitive(..., rules=linear(t))``,
  so a linear primitive is declared in one expression.

The rules they build call funcdiff operations (``bind``), so they can be
differentiated again, and are written in the list form the interpreters
call (``@list_form``, see ``funcdiff.core.primitive``), so no wrapper sits
between an interpreter and them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcdiff.core.ir import aval_of
from funcdiff.core.primitive import Primitive, Rule, Zero, instantiate, list_form, zeros

__all__ = ["def_zero_derivative", "defjvp", "deflinear", "defvjp", "linear"]


def defjvp(prim: Primitive, *fns: Rule | None) -> None:
    """JVP from one function per argument: ``fn(t, out, *primals, **params)``.

    ``None`` marks an argument with zero derivative. Contributions are summed.
    """
    from funcdiff.primitives.elementwise import add  # elementwise uses this module

    @list_form
    def jvp(
        primals: Sequence[Any], tangents: Sequence[Any], outs: Sequence[Any], **params: Any
    ) -> list[Any]:
        (out,) = outs
        total: Any = None
        for fn, t in zip(fns, tangents, strict=False):
            if fn is None or isinstance(t, Zero):
                continue
            term = fn(t, out, *primals, **params)
            total = term if total is None else add(total, term)
        return [Zero(aval_of(out)) if total is None else total]

    prim.jvp = jvp


def defvjp(prim: Primitive, *fns: Rule | None) -> None:
    """VJP from one function per argument: ``fn(ct, out, *primals, **params)``."""

    @list_form
    def vjp(
        cts: Sequence[Any],
        primals: Sequence[Any],
        outs: Sequence[Any],
        needs: Sequence[bool],
        **params: Any,
    ) -> list[Any]:
        (ct,) = cts
        (out,) = outs
        return [
            fn(ct, out, *primals, **params) if (need and fn is not None) else Zero(aval_of(p))
            for fn, need, p in zip(fns, needs, primals, strict=False)
        ] + [Zero(aval_of(p)) for p in primals[len(fns) :]]

    prim.vjp = vjp


def deflinear(prim: Primitive, *transposes: Rule | None) -> None:
    """JVP and VJP of a primitive jointly linear in the arguments whose
    transpose is given (``fn(ct, *primals, **params)``); ``None`` marks a
    non-linear argument (an index), which must have a zero tangent."""

    @list_form
    def jvp(
        primals: Sequence[Any], tangents: Sequence[Any], outs: Sequence[Any], **params: Any
    ) -> list[Any]:
        linear = [t for t, tr in zip(tangents, transposes, strict=True) if tr is not None]
        if all(isinstance(t, Zero) for t in linear):
            return [Zero(aval_of(outs[0]))]
        args = [
            instantiate(t) if tr is not None else p
            for p, t, tr in zip(primals, tangents, transposes, strict=True)
        ]
        return [prim.bind(*args, **params)]

    @list_form
    def vjp(
        cts: Sequence[Any],
        primals: Sequence[Any],
        outs: Sequence[Any],
        needs: Sequence[bool],
        **params: Any,
    ) -> list[Any]:
        (ct,) = cts
        return [
            tr(ct, *primals, **params) if (need and tr is not None) else Zero(aval_of(p))
            for tr, need, p in zip(transposes, needs, primals, strict=True)
        ]

    def taylor(
        primals: Sequence[Any], series: Sequence[Any], **params: Any
    ) -> tuple[list[Any], list[Any]]:
        out = prim.bind(*primals, **params)
        linear = [s for s, tr in zip(series, transposes, strict=True) if tr is not None]
        if all(isinstance(s, Zero) for s in linear):
            return [out], [Zero(aval_of(out))]
        k = next(len(s) for s in linear if not isinstance(s, Zero))
        coeffs = [
            prim.bind(
                *[
                    p if tr is None else (zeros(aval_of(p)) if isinstance(s, Zero) else s[i])
                    for p, s, tr in zip(primals, series, transposes, strict=True)
                ],
                **params,
            )
            for i in range(k)
        ]
        return [out], [coeffs]

    prim.jvp = jvp
    prim.vjp = vjp
    prim.taylor = taylor
    prim.linear = True


def def_zero_derivative(prim: Primitive) -> None:
    """The primitive is piecewise constant (or has integer/bool output)."""
    prim.zero_derivative = True

    @list_form
    def jvp(
        primals: Sequence[Any], tangents: Sequence[Any], outs: Sequence[Any], **params: Any
    ) -> list[Any]:
        return [Zero(aval_of(o)) for o in outs]

    @list_form
    def vjp(
        cts: Sequence[Any],
        primals: Sequence[Any],
        outs: Sequence[Any],
        needs: Sequence[bool],
        **params: Any,
    ) -> list[Any]:
        return [Zero(aval_of(p)) for p in primals]

    def taylor(
        primals: Sequence[Any], series: Sequence[Any], **params: Any
    ) -> tuple[list[Any], list[Any]]:
        outs = prim.as_list(prim.bind(*primals, **params))
        return outs, [Zero(aval_of(o)) for o in outs]

    prim.jvp = jvp
    prim.vjp = vjp
    prim.taylor = taylor


def linear(*transposes: Rule | None) -> Callable[[Primitive], None]:
    """``deflinear``'s rules for the ``rules=`` keyword of ``Primitive``:
    ``Primitive("rev", ..., rules=linear(lambda ct, x, **p: rev(ct, ...)))``."""
    return lambda prim: deflinear(prim, *transposes)

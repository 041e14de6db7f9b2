"""The batch rules most non-element-wise primitives share, so that a
primitive's paragraph names its batch rule in one line.

A batch rule is ``batch(args, dims, **params) -> (out, out_dim)``, where
``dims[i]`` is the batch axis of ``args[i]`` (None: unbatched). The helpers
return rule templates for ``Primitive(..., batch=...)``: the constructor
calls their ``for_primitive(prim)`` to make the rule, which binds ``prim``.

- ``front_batch(params, broadcast=True)``: the batch axis of every batched
  operand moves to the front, and an unbatched operand gets a (broadcast,
  read-only) batch axis in front, or is passed as it is where ``broadcast``
  says False. Every operand axis moves one to the right, so
  ``params(size, **params)`` returns the params that change (a dict merged
  into them): ``lambda n, *, axes: {"axes": shift(axes)}``. The output is
  batched at axis 0.
- ``vectorized_batch``: ``front_batch()`` with the params unchanged, for a
  primitive that maps over leading axes (a matrix function of the last
  two); ``def_vectorized(prim)`` sets it.
- ``keep_axis_batch(param, removes=False)``: a one-operand primitive whose
  ``param`` names operand axes (an int ``axis`` or a tuple ``axes``): the
  batch axis stays where it is (nothing moves, no transpose is recorded)
  and the named axes are renumbered around it. ``removes``: the primitive
  removes those axes (a reduction), so the output batch axis moves left past
  the ones before it.
- ``to_front(x, d, size)`` and ``shift(axes)``, for the special rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from funcdiff.core.ir import aval_of
from funcdiff.core.primitive import Primitive, Rule, list_form
from funcdiff.core.trace import bind, bind_list

Array = Any

__all__ = [
    "RuleTemplate",
    "def_vectorized",
    "front_batch",
    "keep_axis_batch",
    "shift",
    "to_front",
    "vectorized_batch",
]


class RuleTemplate:
    """A rule that binds the primitive it belongs to: ``make(prim)`` makes it
    when the primitive is declared (``Primitive`` calls ``for_primitive``)."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[Primitive], Rule]) -> None:
        self.make = make

    def for_primitive(self, prim: Primitive) -> Rule:
        return self.make(prim)


def to_front(x: Array, d: int | None, size: int | None = None) -> Array:
    """``x`` with its batch axis ``d`` first. An unbatched ``x`` (``d`` None)
    gets a broadcast batch axis of ``size`` in front, or is returned as it
    is when ``size`` is None."""
    if d is None:
        if size is None:
            return x
        shape = aval_of(x).shape
        return sh.broadcast_in_dim(x, (size, *shape), tuple(range(1, len(shape) + 1)))
    return sh.moveaxis(x, d, 0)


def shift(axes: Sequence[int]) -> tuple[int, ...]:
    """Operand axis numbers once a batch axis is in front."""
    return tuple(a + 1 for a in axes)


def front_batch(
    params: Callable[..., dict[str, Any]] | None = None,
    *,
    broadcast: bool | Sequence[bool] = True,
) -> RuleTemplate:
    """Batch rule: every batch axis to the front, ``params(size, **params)``
    renumbered, bind; output batched at 0 (see the module docstring)."""

    def make(prim: Primitive) -> Rule:
        @list_form
        def batch(args: Sequence[Array], dims: Sequence[int | None], **kw: Any) -> Any:
            moved = list(args)
            size = 0
            for i, d in enumerate(dims):
                if d is not None:
                    moved[i] = x = sh.moveaxis(args[i], d, 0)
                    size = aval_of(x).shape[0]
            if len(moved) > 1:  # unbatched operands: a broadcast batch axis
                flags = [broadcast] * len(moved) if isinstance(broadcast, bool) else broadcast
                for i, (d, b) in enumerate(zip(dims, flags, strict=True)):
                    if d is None and b:
                        moved[i] = to_front(args[i], None, size)
            if params is not None:
                kw = {**kw, **params(size, **kw)}
            outs = bind_list(prim, *moved, **kw)
            return outs, [0] * len(outs)

        return batch

    return RuleTemplate(make)


#: batch rule of a primitive that maps over leading axes: move, bind
vectorized_batch = front_batch()


def def_vectorized(prim: Primitive) -> None:
    """Give ``prim`` the batch rule ``vectorized_batch``."""
    prim.batch = vectorized_batch.for_primitive(prim)


def keep_axis_batch(param: str, *, removes: bool = False) -> RuleTemplate:
    """Batch rule of a one-operand primitive whose ``param`` (an int or a
    tuple of ints) names operand axes: the batch axis stays in place."""

    def make(prim: Primitive) -> Rule:
        def batch(args: Sequence[Array], dims: Sequence[int | None], **kw: Any) -> Any:
            (x,), (d,) = args, dims
            assert d is not None
            value = kw[param]
            one = isinstance(value, int)
            axes = tuple(a + (a >= d) for a in ((value,) if one else value))
            out = bind(prim, x, **{**kw, param: axes[0] if one else axes})
            return out, d - sum(1 for a in axes if a < d) if removes else d

        return batch

    return RuleTemplate(make)


# shape's primitives declare their batch rules with this module, so it is
# imported last, once the helpers above exist (whichever module comes first)
from funcdiff.primitives import shape as sh  # noqa: E402

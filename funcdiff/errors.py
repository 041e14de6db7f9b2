"""Named errors. Each class says what went wrong and what to do about it."""

from __future__ import annotations


class FuncdiffError(Exception):
    """Base class of every error funcdiff raises on purpose."""


class ConcretizationError(FuncdiffError, TypeError):
    """A traced value was used where Python needs a concrete one.

    This happens when Python control flow (``if``, ``while``, ``bool()``,
    ``int()``, ``float()``, indexing a Python list) depends on a value that is
    only known abstractly, by its shape and dtype: under ``jit``,
    ``make_jaxpr`` or ``vmap``. Under a top-level ``grad`` or ``jvp`` the
    values are concrete and control flow works.

    Fixes: mark the argument static (``static_argnums=``), compute the
    condition with ``funcdiff.numpy.where`` instead of ``if``, or move the
    control flow outside the transformed function.
    """


class DerivativeDroppedError(ConcretizationError):
    """A value that carries a derivative was turned into a Python number.

    ``float(x)``, ``int(x)``, ``x.item()``, ``math.sin(x)`` or numpy writing a
    traced ``x`` into a plain array (``buf[0] = x``) inside ``grad``, ``jvp``
    or ``hessian`` would use the value and silently drop its derivative, so
    funcdiff refuses.

    Fixes: use ``funcdiff.numpy`` (``fnp.sin`` instead of ``math.sin``,
    ``fnp.zeros(2).at[0].set(x)`` instead of writing into a numpy buffer);
    when the number is wanted on purpose, wrap it in ``funcdiff.stop_gradient``
    or compute it outside the differentiated function.
    """


class ShapeError(FuncdiffError, ValueError):
    """Operand shapes do not fit the primitive (names the primitive and shapes)."""


class DTypeError(FuncdiffError, TypeError):
    """An operand has a dtype the operation cannot take (e.g. grad w.r.t. ints)."""


class UnexpectedTracerError(FuncdiffError):
    """A tracer escaped the transformation that created it.

    Usually a traced value was stored in a global, a closure that outlives the
    call, or an object attribute. Return values from transformed functions
    instead of storing them.
    """


class MissingRuleError(FuncdiffError, NotImplementedError):
    """A primitive lacks the rule a transform needs (names both)."""


class InPlaceUpdateError(FuncdiffError, TypeError):
    """Arrays traced by funcdiff are immutable.

    Use the functional update syntax: ``x = x.at[idx].set(v)`` or
    ``x = x.at[idx].add(v)``.
    """


class TreeMismatchError(FuncdiffError, ValueError):
    """Two pytrees that must share a structure do not."""

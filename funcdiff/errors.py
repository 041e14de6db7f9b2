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


class TracerArrayConversionError(ConcretizationError):
    """A traced array was converted to a numpy array.

    ``np.asarray(x)``, ``np.array([x, y])`` or a write into a numpy array
    (``buf[i] = x``) with a traced ``x`` would leave the trace: the result would
    be a plain array with no derivative (or, under ``jit``, no value at all).
    numpy's functions themselves (``np.sin(x)``, ``np.sum(x)``...) work on
    traced arrays.

    Fixes: ``funcdiff.numpy.asarray`` / ``funcdiff.numpy.stack`` to build
    arrays from traced values, ``x.at[idx].set(v)`` instead of writes; for a
    value wanted without its derivative, ``funcdiff.stop_gradient``.
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


class UnsupportedNumpyFunctionError(FuncdiffError, NotImplementedError):
    """A numpy function was called on a traced array but funcdiff cannot trace it.

    Plain numpy code works under funcdiff's transformations because numpy
    hands calls on traced arrays to funcdiff, which runs the
    ``funcdiff.numpy`` function of the same name. This error names a numpy
    function (or ufunc method, or keyword) that has no such counterpart; the
    supported functions are listed in docs/api.md, section funcdiff.numpy.

    Fixes: write the computation with ``funcdiff.numpy`` functions, define it
    with ``funcdiff.custom_jvp``/``custom_vjp``, or call it outside the
    transformed function.
    """

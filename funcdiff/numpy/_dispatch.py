"""Plain numpy on traced values: numpy's dispatch protocols on ``Tracer``.

numpy hands every call that meets a tracer to the tracer: ufuncs (``np.sin(x)``,
``np.add.reduce(x)``, and the operators of a numpy array or scalar with a
tracer on the right, ``A @ x``) to ``Tracer.__array_ufunc__``, every other
public function (``np.sum``, ``np.where``, ``np.linalg.solve``...) to
``Tracer.__array_function__``. Both look up the ``funcdiff.numpy`` function
of the same name (``numpy.linalg.X`` in ``funcdiff.numpy.linalg``) at call
time, so functions added to ``funcdiff.numpy`` later are picked up without a
table here, and call it: the traced program is the one ``funcdiff.numpy``
would have recorded, and every transform treats it the same.

A numpy function without a counterpart raises ``UnsupportedNumpyFunctionError``
naming it. Writes into numpy arrays (``out=`` buffers, ``np.add.at``) raise
``InPlaceUpdateError``; the in-place operators of a numpy array with a traced
right-hand side (``acc += x``) rebind the name to the traced result, as for
Python's immutable numbers (the array itself is not written).

``install`` sets the two protocol methods on ``Tracer``; ``funcdiff.numpy``'s
``install_tracer_methods`` calls it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from funcdiff.core.trace import Tracer
from funcdiff.errors import (
    InPlaceUpdateError,
    TracerArrayConversionError,
    UnsupportedNumpyFunctionError,
)

# numpy's names (``__name__`` of the function numpy hands over, on numpy 1.24
# to 2.x) that funcdiff.numpy spells differently; tried after the name itself
_ALIASES = {
    "absolute": "abs",
    "alltrue": "all",
    "amax": "max",
    "amin": "min",
    "around": "round",
    "concat": "concatenate",
    "conjugate": "conj",
    "cumproduct": "cumprod",
    "permute_dims": "transpose",
    "pow": "power",
    "product": "prod",
    "round_": "round",
    "row_stack": "vstack",
    "sometrue": "any",
    "true_divide": "divide",
}

# ufunc.reduce / ufunc.accumulate as the funcdiff.numpy reduction they are
_REDUCE = {
    "add": "sum",
    "multiply": "prod",
    "maximum": "max",
    "minimum": "min",
    "fmax": "nanmax",
    "fmin": "nanmin",
    "logical_and": "all",
    "logical_or": "any",
}
_ACCUMULATE = {"add": "cumsum", "multiply": "cumprod", "maximum": "cummax", "minimum": "cummin"}
_AT = {"add": "add", "multiply": "multiply", "minimum": "min", "maximum": "max"}

# ufunc keywords that change nothing at these values
_UFUNC_NOOP = {"casting": "same_kind", "order": "K", "subok": True, "signature": None}
# keywords numpy passes through ``like=`` and friends that funcdiff.numpy's
# functions may not take, harmless at these values
_FUNCTION_NOOP: dict[str, tuple[Any, ...]] = {
    "order": ("C", "K", "A"),
    "device": (None, "cpu"),
    "subok": (True,),
}

_LIST_HINT = (
    "The functions funcdiff can trace are listed in docs/api.md, section funcdiff.numpy "
    "(and funcdiff.numpy.linalg)."
)


def _namespace(module: str) -> ModuleType | None:
    """The funcdiff.numpy module that mirrors numpy module ``module``, if any."""
    if module == "numpy":
        return importlib.import_module("funcdiff.numpy")
    if not module.startswith("numpy.") or "._" in module or module.startswith("numpy._"):
        return None
    try:
        return importlib.import_module("funcdiff." + module)
    except ImportError:
        return None


def _lookup(ns: ModuleType | None, name: str) -> Callable[..., Any] | None:
    """``ns.name`` (or its alias) when it is a function funcdiff defines: names a
    module merely imports (``np``, typing helpers, numpy's own functions) are not
    counterparts, and would send numpy's call straight back here."""
    if ns is None:
        return None
    for n in (name, _ALIASES.get(name)):
        if n is None:
            continue
        f = getattr(ns, n, None)
        if callable(f) and getattr(f, "__module__", "").startswith("funcdiff"):
            return f
    return None


def counterpart(func: Callable[..., Any]) -> Callable[..., Any] | None:
    """The funcdiff.numpy function standing in for numpy function or ufunc ``func``
    (None if there is none).

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> counterpart(np.linalg.solve) is fnp.linalg.solve, counterpart(np.amax) is fnp.max
    (True, True)
    >>> counterpart(np.fft.fft) is fnp.fft.fft, counterpart(np.roots) is None
    (True, True)
    """
    if isinstance(func, np.ufunc):
        return _lookup(_namespace("numpy"), func.__name__)
    return _lookup(_namespace(getattr(func, "__module__", "") or ""), func.__name__)


def _qualname(func: Any) -> str:
    if isinstance(func, np.ufunc):
        return f"numpy.{func.__name__}"
    return f"{getattr(func, '__module__', None) or 'numpy'}.{func.__name__}"


def _unsupported(what: str, why: str = "funcdiff.numpy has no counterpart") -> Exception:
    return UnsupportedNumpyFunctionError(
        f"{what} was called on a traced array, but {why}, so it cannot be traced "
        "or differentiated.\n"
        f"{_LIST_HINT} What to do: write it with funcdiff.numpy functions, define "
        "it as a funcdiff.custom_jvp / custom_vjp function, or call it outside the "
        "transformed function on values that are not traced."
    )


def _out_error(what: str) -> InPlaceUpdateError:
    return InPlaceUpdateError(
        f"{what} with out=... would write a traced array into an existing array, "
        "but traced arrays cannot be stored in numpy buffers (the derivative would be "
        "lost) and are themselves immutable. Use the return value instead of out= "
        "(`y = np.sin(x)`), and `y = y.at[idx].set(v)` for partial updates."
    )


def _call_with(target: Callable[..., Any], args: Any, kwargs: dict[str, Any]) -> Any:
    """Call ``target``, first dropping numpy-only keywords it does not take
    when their values change nothing (``order='C'``, ``device=None``)."""
    drop = [k for k, ok in _FUNCTION_NOOP.items() if k in kwargs and kwargs[k] in ok]
    if drop:
        params = inspect.signature(target).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        if not takes_any:
            for k in drop:
                if k not in params:
                    del kwargs[k]
    return target(*args, **kwargs)


# -- __array_function__ ---------------------------------------------------------


def array_function(
    self: Tracer,
    func: Callable[..., Any],
    types: tuple[type, ...],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """``Tracer.__array_function__``: numpy's non-ufunc functions on tracers."""
    for t in types:
        if not issubclass(t, (Tracer, np.ndarray)):
            return NotImplemented  # another library's array: let numpy raise
    target = counterpart(func)
    name = _qualname(func)
    if target is None:
        return _numpy_own(func, name, args, kwargs)
    if "out" in kwargs:
        if kwargs["out"] is not None:
            raise _out_error(name)
        kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    return _call_with(target, args, dict(kwargs))


def _numpy_own(
    func: Callable[..., Any], name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """No counterpart: run numpy's own implementation. Where it is written with
    numpy functions and array methods (``np.isreal`` is ``imag(x) == 0``,
    ``np.unstack`` indexes) those reach funcdiff again and the result is traced;
    where it needs the data (``asarray``, C loops) the tracer refuses to convert
    and the error names ``func``. Nothing in between can drop a derivative
    silently: every way out of a tracer to numpy data raises."""
    impl = getattr(func, "_implementation", None)
    if impl is None:
        raise _unsupported(name)
    try:
        return impl(*args, **kwargs)
    except TracerArrayConversionError:
        raise _unsupported(name) from None


# -- __array_ufunc__ --------------------------------------------------------------


def array_ufunc(self: Tracer, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """``Tracer.__array_ufunc__``: ufuncs and their methods on tracers."""
    name = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    for k, default in _UFUNC_NOOP.items():
        if k in kwargs:
            if kwargs.pop(k) != default:
                raise _unsupported(f"{name}(..., {k}=...)", f"funcdiff does not support {k}=")
    out = kwargs.pop("out", None)
    if out is not None and all(o is None for o in out):
        out = None
    if method == "__call__":
        return _ufunc_call(ufunc, name, inputs, out, kwargs)
    if out is not None:
        raise _out_error(name)
    if method == "reduce":
        return _reduction(ufunc, name, _REDUCE, inputs, kwargs)
    if method == "accumulate":
        return _reduction(ufunc, name, _ACCUMULATE, inputs, kwargs)
    if method == "outer":
        return _outer(ufunc, name, inputs, kwargs)
    if method == "at":
        fix = _AT.get(ufunc.__name__)
        how = f"`a = a.at[idx].{fix}(v)`" if fix else "`a = a.at[idx].set(...)`"
        raise InPlaceUpdateError(
            f"{name}(a, idx, v) updates a in place, which cannot hold or record a "
            f"traced value. Use the functional form {how}, which returns a new array."
        )
    raise _unsupported(name, f"funcdiff does not support the ufunc method {method!r}")


def _ufunc_call(
    ufunc: np.ufunc, name: str, inputs: tuple[Any, ...], out: Any, kwargs: dict[str, Any]
) -> Any:
    target = counterpart(ufunc)
    if target is None:
        raise _unsupported(name)
    where = kwargs.pop("where", True)
    dtype = kwargs.pop("dtype", None)
    if kwargs:
        raise _unsupported(f"{name}(..., {', '.join(kwargs)}=...)", "funcdiff does not support it")
    if out is not None:
        # ``acc += x`` with a numpy ``acc``: numpy calls np.add(acc, x, out=(acc,)).
        # Return the traced sum (Python rebinds ``acc`` to it, as for an immutable
        # number); any other buffer would have to be written, which cannot be.
        if not (len(out) == 1 and len(inputs) >= 1 and out[0] is inputs[0]):
            raise _out_error(name)
        if isinstance(out[0], Tracer):
            raise _out_error(name)
    if dtype is not None:
        from funcdiff.numpy._creation import asarray

        inputs = tuple(asarray(a, dtype=dtype) for a in inputs)
    result = target(*inputs)
    if where is not True:
        if out is None:
            raise _unsupported(
                f"{name}(..., where=...)",
                "without out= numpy leaves the masked entries undefined; "
                "write fnp.where(mask, f(x), fill) instead",
            )
        from funcdiff.numpy._ufuncs import where as _where

        result = _where(where, result, out[0])
    return result


def _reduction(
    ufunc: np.ufunc,
    name: str,
    table: dict[str, str],
    inputs: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    fname = table.get(ufunc.__name__)
    target = _lookup(_namespace("numpy"), fname) if fname else None
    if target is None:
        raise _unsupported(name)
    kwargs.setdefault("axis", 0)  # the ufunc methods reduce along axis 0 by default
    if kwargs.get("dtype", 1) is None:
        del kwargs["dtype"]
    if kwargs.get("where", 1) is True:
        del kwargs["where"]
    return target(*inputs, **kwargs)


def _outer(ufunc: np.ufunc, name: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    from funcdiff.numpy._shape import reshape, shape

    target = counterpart(ufunc)
    if target is None or len(inputs) != 2:
        raise _unsupported(name)
    if kwargs:
        raise _unsupported(f"{name}(..., {', '.join(kwargs)}=...)", "funcdiff does not support it")
    a, b = inputs
    sa, sb = shape(a), shape(b)
    return target(reshape(a, (*sa, *(1,) * len(sb))), b)


def install() -> None:
    """Set numpy's dispatch protocols on ``Tracer``."""
    Tracer.__array_ufunc__ = array_ufunc  # type: ignore[assignment]
    Tracer.__array_function__ = array_function  # type: ignore[attr-defined]

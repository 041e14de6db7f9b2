"""Argument handling shared by the ``funcdiff.numpy`` functions: array
conversion and numpy's dtype promotion (Python scalars are weakly typed, as
in numpy 2: ``float32_array * 2.0`` stays float32)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from funcdiff._compat import NUMPY2, result_type
from funcdiff.api_util import contains_tracer
from funcdiff.core.ir import aval_of
from funcdiff.core.trace import Tracer
from funcdiff.core.typing import Array as Array
from funcdiff.primitives import elementwise as ew

if TYPE_CHECKING:
    from funcdiff.numpy._indexing import AtIndexer

_PY_SCALARS = (bool, int, float, complex)


_PY_TYPES = frozenset(_PY_SCALARS)
_FLOAT64: np.dtype[Any] = np.dtype(np.float64)


def _is_py_scalar(a: Any) -> bool:
    """A Python number (weakly typed); numpy scalars such as np.float64 (a float
    subclass) carry their dtype."""
    if type(a) in _PY_TYPES:
        return True
    return isinstance(a, _PY_SCALARS) and not isinstance(a, np.generic)


class ConstantArray(np.ndarray):
    """What funcdiff.numpy's creation functions return: a numpy array that also
    offers JAX's functional updates, so the common idiom of building an array
    inside a loss works on constants too.

    It is an ``np.ndarray`` in every other respect (and prints like one).

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> fnp.zeros(3).at[1].set(5.0)
    array([0., 5., 0.])
    >>> float(fd.grad(lambda x: fnp.zeros(2).at[0].set(x * x).sum())(3.0))
    6.0
    """

    __slots__ = ()

    @property
    def at(self) -> AtIndexer:
        """Functional updates: ``x.at[idx].set(v)``, ``.add(v)``, ``.get()``..."""
        from funcdiff.numpy._indexing import AtIndexer

        return AtIndexer(self)

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))

    def __array_wrap__(
        self, arr: np.ndarray, context: Any = None, return_scalar: bool = False
    ) -> Any:
        # results of numpy functions on constants are plain numpy values, so
        # eager and jit results have the same types
        out = np.asarray(arr)
        # numpy 1.x does not pass return_scalar: its 0-d results are scalars
        return out[()] if return_scalar or (not NUMPY2 and out.ndim == 0) else out

    def __array_prepare__(self, arr: np.ndarray, context: Any = None) -> np.ndarray:
        # numpy 1.x's linalg wraps its results with this one (numpy 2 has none)
        return np.asarray(arr)


def constant(x: np.ndarray) -> ConstantArray:
    """A new numpy array ``x`` as a ConstantArray (a view: no copy)."""
    return x if isinstance(x, ConstantArray) else x.view(ConstantArray)


def asarray_arg(x: Any, dtype: Any = None) -> Array:
    """Tracers, numpy arrays and numpy scalars pass through; everything else
    goes through ``np.asarray`` (Python floats become float64), and a 0-d
    result is a numpy scalar: a function that computes nothing (``sum`` of a
    0-d value) hands back what it was given, by numpy's rule, as ``jit`` does."""
    if isinstance(x, Tracer):
        return x if dtype is None else ew.convert(x, dtype)
    if isinstance(x, (np.ndarray, np.generic)) and (dtype is None or x.dtype == dtype):
        return x  # type: ignore[return-value]  # numpy scalars count as arrays (core/typing.py)
    if isinstance(x, (list, tuple)) and contains_tracer(x):
        from funcdiff.numpy._shape import stack

        arr = stack([asarray_arg(e) for e in x])
        return arr if dtype is None else ew.convert(arr, dtype)
    arr = np.asarray(x, dtype=dtype)
    if arr.dtype == object:
        raise TypeError(f"cannot convert {type(x).__name__} to a numeric array")
    return arr[()] if arr.ndim == 0 else arr


def dtype_of(x: Any) -> np.dtype[Any]:
    if isinstance(x, Tracer):
        return x.aval.dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype
    return np.dtype(np.result_type(x))


def shape_of(x: Any) -> tuple[int, ...]:
    return aval_of(x).shape if isinstance(x, Tracer) else np.shape(x)


def result_dtype(*args: Any) -> np.dtype[Any]:
    """numpy 2 promotion, Python scalars weak."""
    return result_type(*[a if _is_py_scalar(a) else dtype_of(a) for a in args])


def _promote(args: tuple[Any, ...], floating: bool) -> list[Array]:
    # fast paths: arrays of one dtype, or one array and Python scalars
    first = None
    fast = True
    for a in args:
        if type(a) is Tracer:  # the common case first
            dt = a.aval.dtype
            if first is None:
                first = dt
            elif dt != first:
                fast = False
        elif _is_py_scalar(a):
            fast = fast and not isinstance(a, complex)
        elif isinstance(a, (Tracer, np.ndarray, np.generic)):
            dt = a.aval.dtype if isinstance(a, Tracer) else a.dtype
            if first is None:
                first = dt
            elif dt != first:
                fast = False
        else:
            fast = False
    if fast and first is not None and first.kind == "f":
        return [a if type(a) is Tracer or not _is_py_scalar(a) else first.type(a) for a in args]
    arrays = [a if _is_py_scalar(a) else asarray_arg(a) for a in args]
    dt = result_dtype(*arrays)
    if floating and dt.kind not in "fc":
        dt = _FLOAT64
    return [dt.type(a) if _is_py_scalar(a) else ew.convert(a, dt) for a in arrays]


def promote(*args: Any) -> list[Array]:
    """Convert to arrays of one common dtype (scalars stay scalars, as literals)."""
    return _promote(args, False)


def promote_float(*args: Any) -> list[Array]:
    """Like ``promote`` but integer/bool results become float64 (for exp, sin...)."""
    return _promote(args, True)


def normalize_axis(axis: int, ndim: int, name: str = "axis") -> int:
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"{name} {axis} is out of bounds for an array of dimension {ndim}")
    return axis % ndim if ndim else 0


def normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis=None | int | tuple`` as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = tuple(normalize_axis(int(a), ndim) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"repeated axis in {axis}")
        return tuple(sorted(axes))
    return (normalize_axis(int(axis), ndim),)

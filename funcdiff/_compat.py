"""The few places where numpy 1.x (>= 1.24) and numpy 2 differ, in one module.

funcdiff follows numpy 2's rules on every supported numpy:

- Type promotion is NEP 50's: a Python ``int``/``float``/``complex`` is "weak"
  and takes the dtype of the array it meets (``float32 array * 2.0`` stays
  float32); a 0-d array or numpy scalar keeps its dtype like any array. numpy
  1.x instead looks at *values* whenever every operand is 0-d, so
  ``np.result_type(np.asarray(np.float32(1)), 2.0)`` is float64 there, and
  ``np.result_type(np.asarray(1.0), np.float32)`` is float32.
  :func:`result_type` gives numpy 2's answer on both.
- ``numpy.exceptions`` (numpy >= 1.25) holds ``AxisError``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

NUMPY2: bool = np.lib.NumpyVersion(np.__version__) >= "2.0.0"

AxisError: type[Exception] = (
    np.exceptions.AxisError if hasattr(np, "exceptions") else np.AxisError  # type: ignore[attr-defined]
)

_BOOL, _INT, _F64 = np.dtype(bool), np.dtype(np.int64), np.dtype(np.float64)
_C64, _C128 = np.dtype(np.complex64), np.dtype(np.complex128)


def _strong_dtype(a: Any) -> np.dtype[Any]:
    if isinstance(a, (np.dtype, type, str)):
        return np.dtype(a)
    dt = getattr(a, "dtype", None)
    return dt if isinstance(dt, np.dtype) else np.asarray(a).dtype


def _result_type_nep50(*args: Any) -> np.dtype[Any]:
    """numpy 2's ``result_type`` on numpy 1.x: Python scalars weak, no value-based casting."""
    strong: list[np.dtype[Any]] = []
    weak = ""  # the highest kind among the Python scalars: "", "i", "f" or "c"
    for a in args:
        if isinstance(a, np.generic):  # np.float64 is a float, np.complex128 a complex
            strong.append(a.dtype)
        elif isinstance(a, bool):  # a Python bool is numpy's bool
            strong.append(_BOOL)
        elif isinstance(a, int):
            weak = weak or "i"
        elif isinstance(a, float):
            weak = "f" if weak in ("", "i") else weak
        elif isinstance(a, complex):
            weak = "c"
        else:
            strong.append(_strong_dtype(a))
    if not strong:
        return {"i": _INT, "f": _F64, "c": _C128}[weak]
    # dtypes only: numpy 1.x's value-based casting applies to values, not to dtypes
    base = np.result_type(*strong)
    if not weak or base.kind not in "biufc":
        return base
    if weak == "i":
        return _INT if base.kind == "b" else base
    if weak == "f":
        return base if base.kind in "fc" else _F64
    # a Python complex
    if base.kind == "c":
        return base
    if base.kind == "f":
        return _C64 if base.itemsize <= 4 else np.result_type(base, _C64)
    return _C128


def result_type(*args: Any) -> np.dtype[Any]:
    """``numpy.result_type`` with numpy 2's promotion rules (NEP 50) on every numpy.

    Arrays (of any shape, 0-d included), numpy scalars and dtypes are strong;
    Python ``bool`` is numpy's bool; Python ``int``, ``float`` and ``complex``
    are weak and take the strong dtype when its kind is high enough.

    >>> import numpy as np
    >>> result_type(np.asarray(np.float32(1.0)), 2.0)
    dtype('float32')
    >>> result_type(np.asarray(1.0), np.float32)
    dtype('float64')
    >>> result_type(np.int8(1), 1.5)
    dtype('float64')
    """
    if NUMPY2:
        return np.result_type(*args)
    return _result_type_nep50(*args)


def weak_scalar_pair(x: Any, y: Any) -> tuple[Any, Any]:
    """Two scalars, one a numpy scalar and one a Python number: the Python number
    as a numpy scalar of numpy 2's result dtype, so that numpy 1.x, which promotes
    scalar-only operands as if all were strong (``np.float32(1) * 2.0`` is
    float64 there), computes in numpy 2's dtype. Any other pair is returned as is.

    >>> import numpy as np
    >>> x, y = weak_scalar_pair(np.float32(1.0), 2.0)
    >>> type(x).__name__, type(y).__name__
    ('float32', 'float32')
    >>> weak_scalar_pair(np.True_, 2)[1].dtype
    dtype('int64')
    """
    x_np, y_np = isinstance(x, np.generic), isinstance(y, np.generic)
    if x_np == y_np:
        return x, y
    dt = result_type(x, y)
    return (x, dt.type(y)) if x_np else (dt.type(x), y)

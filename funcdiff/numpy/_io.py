"""Printing, saving and loading: numpy's own, on concrete values.

Arrays built here are constants (numpy arrays with ``.at``); ``save``,
``savez``, ``array_repr`` and ``array_str`` need concrete values (outside
``jit``/``vmap``), as printing or writing a traced value cannot work.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcdiff.api_util import concrete_or_raise
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array, constant

printoptions = np.printoptions
get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions


def array_repr(arr: ArrayLike, *args: Any, **kwargs: Any) -> str:
    """numpy's ``array_repr`` of a concrete array.

    >>> import funcdiff.numpy as fnp
    >>> fnp.array_repr(fnp.zeros(2))
    'array([0., 0.])'
    """
    return np.array_repr(np.asarray(concrete_or_raise(arr, "array_repr")), *args, **kwargs)


def array_str(a: ArrayLike, *args: Any, **kwargs: Any) -> str:
    """numpy's ``array_str`` of a concrete array.

    >>> import funcdiff.numpy as fnp
    >>> fnp.array_str(fnp.ones(2))
    '[1. 1.]'
    """
    return np.array_str(np.asarray(concrete_or_raise(a, "array_str")), *args, **kwargs)


def frombuffer(buffer: Any, dtype: Any = float, count: int = -1, offset: int = 0) -> Array:
    """An array from the bytes of ``buffer`` (a copy).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.frombuffer(np.arange(3, dtype=np.int8).tobytes(), dtype=np.int8)
    array([0, 1, 2], dtype=int8)
    """
    return constant(np.frombuffer(buffer, dtype=dtype, count=count, offset=offset).copy())


def fromiter(iterable: Any, dtype: Any, count: int = -1) -> Array:
    """A 1-D array from an iterable.

    >>> import funcdiff.numpy as fnp
    >>> fnp.fromiter((k * k for k in range(4)), dtype=float)
    array([0., 1., 4., 9.])
    """
    return constant(np.fromiter(iterable, dtype=dtype, count=count))


def fromstring(string: str, dtype: Any = float, count: int = -1, *, sep: str) -> Array:
    """A 1-D array from text separated by ``sep``.

    >>> import funcdiff.numpy as fnp
    >>> fnp.fromstring("1 2 3", sep=" ")
    array([1., 2., 3.])
    """
    return constant(np.fromstring(string, dtype=dtype, count=count, sep=sep))


def fromfile(
    file: Any, dtype: Any = float, count: int = -1, sep: str = "", offset: int = 0
) -> Array:
    """An array from a binary or text file (numpy's ``fromfile``).

    >>> import funcdiff.numpy as fnp, numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "a.bin")
    >>> np.arange(3.0).tofile(path)
    >>> fnp.fromfile(path)
    array([0., 1., 2.])
    """
    return constant(np.fromfile(file, dtype=dtype, count=count, sep=sep, offset=offset))


def from_dlpack(x: Any, /, *, device: Any = None, copy: bool | None = None) -> Array:
    """An array from an object with ``__dlpack__`` (a copy).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.from_dlpack(np.arange(2.0))
    array([0., 1.])
    """
    return constant(np.array(np.from_dlpack(x), copy=True))


def load(file: Any, *args: Any, **kwargs: Any) -> Any:
    """numpy's ``load``: an ``.npy`` file gives a constant array (``.npz``
    files give numpy's lazy mapping).

    >>> import funcdiff.numpy as fnp, numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "a.npy")
    >>> fnp.save(path, fnp.ones(2))
    >>> fnp.load(path)
    array([1., 1.])
    """
    out = np.load(file, *args, **kwargs)
    return constant(out) if isinstance(out, np.ndarray) else out


def save(file: Any, arr: ArrayLike, allow_pickle: bool = True) -> None:
    """numpy's ``save`` of a concrete array.

    >>> import funcdiff.numpy as fnp, numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "s.npy")
    >>> fnp.save(path, fnp.arange(2.0))
    >>> np.load(path)
    array([0., 1.])
    """
    np.save(file, np.asarray(concrete_or_raise(arr, "save")), allow_pickle=allow_pickle)


def savez(file: Any, *args: ArrayLike, **kwds: ArrayLike) -> None:
    """numpy's ``savez`` of concrete arrays.

    >>> import funcdiff.numpy as fnp, numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "a.npz")
    >>> fnp.savez(path, x=fnp.ones(2))
    >>> np.load(path)["x"]
    array([1., 1.])
    """
    arrays = [np.asarray(concrete_or_raise(a, "savez")) for a in args]
    named = {k: np.asarray(concrete_or_raise(v, "savez")) for k, v in kwds.items()}
    np.savez(file, *arrays, **named)  # type: ignore[arg-type]


__all__ = [
    "array_repr",
    "array_str",
    "from_dlpack",
    "frombuffer",
    "fromfile",
    "fromiter",
    "fromstring",
    "get_printoptions",
    "load",
    "printoptions",
    "save",
    "savez",
    "set_printoptions",
]

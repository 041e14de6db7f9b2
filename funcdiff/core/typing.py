"""The types of funcdiff's values, for annotations: ``Array`` and ``ArrayLike``.

``Array`` is what funcdiff's functions return and what a transformed
function receives: a numpy array, or a ``Tracer`` (the stand-in for an array
while a transform traces the function). Both have numpy's operators and
array methods, so a function annotated with ``Array`` type-checks whichever
it is given::

    import funcdiff as fd, funcdiff.numpy as fnp

    def loss(w: fd.Array, x: fd.Array) -> fd.Array:
        return fnp.mean((fnp.tanh(x @ w) - 1.0) ** 2)

    g: fd.Array = fd.grad(loss)(w, x)

``ArrayLike`` is what funcdiff's functions accept: an ``Array``, a Python
number or a (nested, up to three levels) list or tuple of them. Strings are
not array-like.

Numpy scalars: a 0-d result computed eagerly is a numpy scalar
(``np.float64(1.0)``, as numpy itself returns), not a 0-d array. It has the
array attributes and operators (``shape``, ``dtype``, ``+``, ``item()``,
``x[()]``) but not indexing by position or ``@``. The types follow numpy's
own stubs, which also call such results arrays (``np.sin`` of an array is
typed ``NDArray`` whatever its shape): a union with ``np.generic`` would make
``x[0]`` and ``x @ y`` type errors in every function annotated ``Array``.
``ArrayLike`` accepts numpy scalars.

This module is the core's (it imports only the core's ``Tracer``) and is
re-exported as ``funcdiff.Array`` and ``funcdiff.ArrayLike``.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import EllipsisType
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import numpy as np

from funcdiff.core.trace import Tracer

if TYPE_CHECKING:
    from numpy.typing import DTypeLike as DTypeLike

#: a numpy array or a traced array (see the module docstring for numpy scalars)
Array: TypeAlias = np.ndarray | Tracer

_Leaf: TypeAlias = Array | np.generic | bool | int | float | complex

#: what funcdiff's functions accept: arrays, numbers and lists or tuples of them
ArrayLike: TypeAlias = (
    _Leaf | Sequence[_Leaf] | Sequence[Sequence[_Leaf]] | Sequence[Sequence[Sequence[_Leaf]]]
)

#: an array shape: a tuple (or list) of sizes, or one size
Shape: TypeAlias = int | Sequence[int]

#: an ``axis=`` argument: one axis, several, or None for all
Axis: TypeAlias = int | Sequence[int] | None

_IndexItem: TypeAlias = (
    int | np.integer | slice | EllipsisType | Array | Sequence[int] | Sequence[bool] | None
)

#: what ``x[idx]`` takes: integers, slices, ``...``, ``None``, integer or
#: boolean arrays and lists, or a tuple of them
Index: TypeAlias = _IndexItem | tuple[_IndexItem, ...]


class IndexUpdateRef(Protocol):
    """``x.at[idx]``: each method returns a new array, ``x`` is unchanged."""

    def get(self) -> Array: ...
    def set(self, values: ArrayLike) -> Array: ...
    def add(self, values: ArrayLike) -> Array: ...
    def multiply(self, values: ArrayLike) -> Array: ...
    def mul(self, values: ArrayLike) -> Array: ...
    def min(self, values: ArrayLike) -> Array: ...
    def max(self, values: ArrayLike) -> Array: ...


class IndexUpdater(Protocol):
    """``x.at``: ``x.at[idx].set(v)``, ``.add(v)``... (functional updates)."""

    def __getitem__(self, idx: object) -> IndexUpdateRef: ...


def __getattr__(name: str) -> Any:
    # numpy.typing costs ~0.5 ms to import and is needed only by type
    # checkers (funcdiff's modules import DTypeLike under TYPE_CHECKING)
    if name == "DTypeLike":
        from numpy.typing import DTypeLike

        return DTypeLike
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Array",
    "ArrayLike",
    "Axis",
    "DTypeLike",
    "Index",
    "IndexUpdateRef",
    "IndexUpdater",
    "Shape",
]

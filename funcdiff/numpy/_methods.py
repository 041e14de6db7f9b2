"""numpy's operators and array methods on tracers (``x + y``, ``x[i]``, ``x.sum()``).

The core's ``Tracer`` knows only what the core needs: its aval and value,
the shape properties, and the conversions to Python values (with their
errors). What the operators mean (broadcasting, promotion, indexing) is
``funcdiff.numpy``'s business, so the operators and methods are defined
here, each forwarding to the ``funcdiff.numpy`` function of the same
meaning, and ``install_tracer_methods`` sets them on ``Tracer``.
``funcdiff.numpy`` calls it at the end of its import, and ``import funcdiff``
(which any ``import funcdiff.<module>`` runs first) imports
``funcdiff.numpy``, so no tracer is ever seen without them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias

from funcdiff.core.trace import Tracer
from funcdiff.numpy import _creation as _cr
from funcdiff.numpy import _dispatch
from funcdiff.numpy import _indexing as _ix
from funcdiff.numpy import _linear as _li
from funcdiff.numpy import _reductions as _re
from funcdiff.numpy import _shape as _sh
from funcdiff.numpy import _ufuncs as _uf

if TYPE_CHECKING:
    # the methods are Tracer's (``install_tracer_methods`` sets them there), and
    # are checked against the declarations in Tracer's class body
    _Base: TypeAlias = Tracer
else:
    _Base = object


def _on_tracer(fn: Callable[[Any, Any], Any]) -> Callable[[Tracer, Any], Tracer]:
    """``fn`` itself as an operator method (``x * y`` is ``multiply(x, y)``:
    one Python call less on every traced operation); with a tracer first,
    its result is a tracer."""
    return fn


class _ArrayMethods(_Base):
    """The methods ``install_tracer_methods`` copies onto ``Tracer``."""

    __add__ = _on_tracer(_uf.add)
    __radd__ = _uf._radd

    __sub__ = _on_tracer(_uf.subtract)
    __rsub__ = _uf._rsubtract

    __mul__ = _on_tracer(_uf.multiply)
    __rmul__ = _uf._rmultiply

    __truediv__ = _on_tracer(_uf.divide)
    __rtruediv__ = _uf._rdivide

    def __floordiv__(self, o: Any) -> Any:
        return _uf.floor_divide(self, o)

    def __rfloordiv__(self, o: Any) -> Any:
        return _uf.floor_divide(o, self)

    def __mod__(self, o: Any) -> Any:
        return _uf.remainder(self, o)

    def __rmod__(self, o: Any) -> Any:
        return _uf.remainder(o, self)

    __pow__ = _on_tracer(_uf.power)

    def __rpow__(self, o: Any) -> Any:
        return _uf.power(o, self)

    def __matmul__(self, o: Any) -> Any:
        return _li.matmul(self, o)

    def __rmatmul__(self, o: Any) -> Any:
        return _li.matmul(o, self)

    def __and__(self, o: Any) -> Any:
        return _uf.bitwise_and(self, o)

    def __rand__(self, o: Any) -> Any:
        return _uf.bitwise_and(o, self)

    def __or__(self, o: Any) -> Any:
        return _uf.bitwise_or(self, o)

    def __ror__(self, o: Any) -> Any:
        return _uf.bitwise_or(o, self)

    def __xor__(self, o: Any) -> Any:
        return _uf.bitwise_xor(self, o)

    def __rxor__(self, o: Any) -> Any:
        return _uf.bitwise_xor(o, self)

    def __eq__(self, o: Any) -> Any:
        return _uf.equal(self, o)

    def __ne__(self, o: Any) -> Any:
        return _uf.not_equal(self, o)

    def __lt__(self, o: Any) -> Any:
        return _uf.less(self, o)

    def __le__(self, o: Any) -> Any:
        return _uf.less_equal(self, o)

    def __gt__(self, o: Any) -> Any:
        return _uf.greater(self, o)

    def __ge__(self, o: Any) -> Any:
        return _uf.greater_equal(self, o)

    def __neg__(self) -> Any:
        return _uf.negative(self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return _uf.abs(self)

    def __invert__(self) -> Any:
        return _uf.invert(self)

    def __lshift__(self, o: Any) -> Any:
        return _uf.left_shift(self, o)

    def __rlshift__(self, o: Any) -> Any:
        return _uf.left_shift(o, self)

    def __rshift__(self, o: Any) -> Any:
        return _uf.right_shift(self, o)

    def __rrshift__(self, o: Any) -> Any:
        return _uf.right_shift(o, self)

    def __getitem__(self, idx: Any) -> Any:
        out = _ix._fast_basic(self, idx)  # (``getitem``'s hot path, first)
        return _ix.getitem(self, idx) if out is None else out

    def __iter__(self) -> Iterator[Any]:
        shape = _shape_of(self)
        if not shape:
            raise TypeError("iteration over a 0-d (scalar) array")
        return (_ix.getitem(self, i) for i in range(shape[0]))

    def __round__(self, ndigits: int | None = None) -> Any:
        return _uf.round(self, ndigits or 0)

    @property
    def T(self) -> Any:
        return _sh.transpose(self)

    @property
    def mT(self) -> Any:
        return _sh.swapaxes(self, -1, -2)

    @property
    def at(self) -> Any:
        """Functional updates: ``x.at[idx].set(v)``, ``.add(v)``, ``.get()``."""
        return _ix.AtIndexer(self)

    @property
    def real(self) -> Any:
        return _uf.real(self)

    @property
    def imag(self) -> Any:
        return _uf.imag(self)

    def sum(self, *a: Any, **k: Any) -> Any:
        return _re.sum(self, *a, **k)

    def mean(self, *a: Any, **k: Any) -> Any:
        return _re.mean(self, *a, **k)

    def max(self, *a: Any, **k: Any) -> Any:
        return _re.max(self, *a, **k)

    def min(self, *a: Any, **k: Any) -> Any:
        return _re.min(self, *a, **k)

    def prod(self, *a: Any, **k: Any) -> Any:
        return _re.prod(self, *a, **k)

    def var(self, *a: Any, **k: Any) -> Any:
        return _re.var(self, *a, **k)

    def std(self, *a: Any, **k: Any) -> Any:
        return _re.std(self, *a, **k)

    def argmax(self, *a: Any, **k: Any) -> Any:
        return _re.argmax(self, *a, **k)

    def argmin(self, *a: Any, **k: Any) -> Any:
        return _re.argmin(self, *a, **k)

    def cumsum(self, *a: Any, **k: Any) -> Any:
        return _re.cumsum(self, *a, **k)

    def cumprod(self, *a: Any, **k: Any) -> Any:
        return _re.cumprod(self, *a, **k)

    def all(self, *a: Any, **k: Any) -> Any:
        return _re.all(self, *a, **k)

    def any(self, *a: Any, **k: Any) -> Any:
        return _re.any(self, *a, **k)

    def clip(self, *a: Any, **k: Any) -> Any:
        return _uf.clip(self, *a, **k)

    def round(self, *a: Any, **k: Any) -> Any:
        return _uf.round(self, *a, **k)

    def dot(self, o: Any) -> Any:
        return _li.dot(self, o)

    def ravel(self) -> Any:
        return _sh.ravel(self)

    def flatten(self) -> Any:
        return _sh.ravel(self)

    def squeeze(self, axis: Any = None) -> Any:
        return _sh.squeeze(self, axis)

    def swapaxes(self, a: int, b: int) -> Any:
        return _sh.swapaxes(self, a, b)

    def trace(self, *a: Any, **k: Any) -> Any:
        return _li.trace(self, *a, **k)

    def diagonal(self, *a: Any, **k: Any) -> Any:
        return _li.diagonal(self, *a, **k)

    def repeat(self, *a: Any, **k: Any) -> Any:
        return _sh.repeat(self, *a, **k)

    def take(self, *a: Any, **k: Any) -> Any:
        return _sh.take(self, *a, **k)

    def sort(self, *a: Any, **k: Any) -> Any:
        return _sh.sort(self, *a, **k)

    def argsort(self, *a: Any, **k: Any) -> Any:
        return _sh.argsort(self, *a, **k)

    def nonzero(self) -> Any:
        return _ix.nonzero(self)

    def conj(self) -> Any:
        return _uf.conj(self)

    conjugate = conj

    def reshape(self, *shape: Any, order: str = "C") -> Any:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _sh.reshape(self, shape, order=order)

    def transpose(self, *axes: Any) -> Any:
        if len(axes) == 1 and (isinstance(axes[0], (tuple, list)) or axes[0] is None):
            axes = tuple(axes[0]) if axes[0] is not None else ()
        return _sh.transpose(self, axes or None)

    def astype(self, dtype: Any, copy: bool = True) -> Any:
        return _cr.asarray(self, dtype=dtype)


def _shape_of(x: Any) -> tuple[int, ...]:
    return x.aval.shape


# not methods to copy: what every class body defines, and the ``__hash__ =
# None`` that defining ``__eq__`` adds (Tracer's own raises a clearer error)
_SKIP = frozenset(vars(type("_Empty", (), {}))) | {"__hash__"}


def install_tracer_methods() -> None:
    """Set numpy's operators and array methods on ``Tracer``, and numpy's
    dispatch protocols (``np.sin(x)``, ``np.sum(x)`` on a tracer: ``_dispatch``)."""
    for name, value in vars(_ArrayMethods).items():
        if name not in _SKIP:
            setattr(Tracer, name, value)
    _dispatch.install()

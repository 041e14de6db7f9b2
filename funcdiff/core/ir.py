"""The IR: abstract values, variables, equations and jaxprs.

A jaxpr is an ordered list of equations, each one primitive applied to typed
variables or literals. It is the single representation every transform
interprets: evaluation, forward mode, reverse mode, batching and jit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from funcdiff.errors import FuncdiffError

if TYPE_CHECKING:
    from funcdiff.core.primitive import Primitive


class ShapedArray:
    """The abstract value of an array: its shape and dtype, nothing else.

    >>> ShapedArray((3, 4), np.float64)
    f64[3,4]
    """

    __slots__ = ("dtype", "shape")
    shape: tuple[int, ...]
    dtype: np.dtype[Any]

    def __init__(self, shape: tuple[int, ...], dtype: Any) -> None:
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def str_short(self) -> str:
        return f"{dtype_short(self.dtype)}[{','.join(map(str, self.shape))}]"

    __repr__ = str_short

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, ShapedArray)
            and self.shape == other.shape
            and self.dtype == other.dtype
        )

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype))


_DTYPE_SHORT = {
    "float64": "f64",
    "float32": "f32",
    "float16": "f16",
    "int64": "i64",
    "int32": "i32",
    "int16": "i16",
    "int8": "i8",
    "uint64": "u64",
    "uint32": "u32",
    "uint16": "u16",
    "uint8": "u8",
    "bool": "bool",
    "complex128": "c128",
    "complex64": "c64",
}


def dtype_short(dtype: Any) -> str:
    """``float64`` -> ``f64``, as jaxprs print types."""
    name: str = np.dtype(dtype).name
    return _DTYPE_SHORT.get(name, name)


def _shaped(shape: tuple[int, ...], dtype: np.dtype[Any]) -> ShapedArray:
    # fast constructor for already-normalized shape and dtype (hot in tracing)
    a = object.__new__(ShapedArray)
    a.shape = shape
    a.dtype = dtype
    return a


_PY_NUMBERS = (float, int, bool, complex)


def as_result(x: Any) -> Any:
    """A computed value as funcdiff hands it out, by numpy's rule for ufuncs:
    a 0-d result is a numpy scalar (``np.float64``, ``np.bool_``, ...), any
    other result an array. Eager calls, transforms and ``jit`` all apply it,
    so they agree on the Python type of every result.

    >>> [type(as_result(v)).__name__ for v in (np.array(2.0), np.ones(2), 2.5)]
    ['float64', 'ndarray', 'float64']
    """
    t = type(x)
    if t is np.ndarray:
        return x[()] if x.ndim == 0 else x
    if t in _PY_NUMBERS:
        return np.asarray(x)[()]
    return x


#: abstract values of arrays by (shape, dtype), shared: one dictionary lookup
#: instead of a new object on every traced operation (they are never mutated)
_INTERNED: dict[tuple[tuple[int, ...], np.dtype[Any]], ShapedArray] = {}
_MAX_INTERNED = 4096


def aval_of(x: Any) -> ShapedArray:
    """The abstract value of a concrete array, scalar or tracer."""
    if type(x) is np.ndarray or isinstance(x, np.generic):
        key = (x.shape, x.dtype)
        a = _INTERNED.get(key)
        if a is None:
            if len(_INTERNED) >= _MAX_INTERNED:  # many shapes come and go: start over
                _INTERNED.clear()
            a = _INTERNED[key] = _shaped(x.shape, x.dtype)
        return a
    aval = getattr(x, "aval", None)
    if isinstance(aval, ShapedArray):
        return aval
    return ShapedArray(np.shape(x), np.result_type(x))


class Var:
    """A variable of a jaxpr, typed by its abstract value. Compared by identity."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray) -> None:
        self.aval = aval

    def __repr__(self) -> str:
        return f"Var({self.aval.str_short()})"


class Literal:
    """A scalar constant written directly into an equation."""

    __slots__ = ("aval", "val")

    def __init__(self, val: Any) -> None:
        self.val = val
        self.aval = aval_of(val)

    def __repr__(self) -> str:
        return f"Literal({self.val!r})"


Atom = Var | Literal


class Eqn:
    """One equation: ``outvars = primitive[params] invars``.

    Params are hashable (tuples, numbers, strings, dtypes), so equations and
    jaxprs can be compared and cached.
    """

    __slots__ = ("invars", "outvars", "params", "primitive", "scope")

    def __init__(
        self,
        primitive: Primitive,
        invars: list[Atom],
        outvars: list[Var],
        params: dict[str, Any],
        scope: str | None = None,
    ) -> None:
        self.primitive = primitive
        self.invars = invars
        self.outvars = outvars
        self.params = params
        #: the ``named_scope`` the equation was traced in (``"relu"``,
        #: ``"layer1/relu"``), or None; drawings group by it, nothing computes with it
        self.scope = scope

    def __repr__(self) -> str:
        return f"Eqn({self.primitive.name}, {len(self.invars)} in, {len(self.outvars)} out)"


class Jaxpr:
    """``{ lambda constvars ; invars . let eqns in outvars }``.

    ``str(jaxpr)`` is the readable listing, one equation a line.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> jaxpr = fd.make_jaxpr(fnp.sin)(1.0).jaxpr
    >>> [e.primitive.name for e in jaxpr.eqns]
    ['sin']
    """

    __slots__ = ("_all_vars", "constvars", "eqns", "invars", "outvars")

    def __init__(
        self,
        constvars: list[Var],
        invars: list[Var],
        eqns: list[Eqn],
        outvars: list[Atom],
    ) -> None:
        self.constvars = constvars
        self.invars = invars
        self.eqns = eqns
        self.outvars = outvars
        #: ``staging.all_vars``, once asked for (a jaxpr is not changed once made)
        self._all_vars: list[Var] | None = None

    def __str__(self) -> str:
        from funcdiff.core.pretty import pp_jaxpr

        return pp_jaxpr(self)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        """Notebook display: the printed jaxpr, highlighted."""
        from funcdiff.core.pretty import html_jaxpr

        return html_jaxpr(str(self))


class ClosedJaxpr:
    """A jaxpr together with the values of its constvars.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> print(fd.make_jaxpr(lambda x: x ** fnp.cos(x))(3.0))
    { lambda ; a:f64[]. let
        b:f64[] = cos a
        c:f64[] = pow a b
      in (c,) }
    """

    __slots__ = ("consts", "jaxpr")

    def __init__(self, jaxpr: Jaxpr, consts: list[Any]) -> None:
        self.jaxpr = jaxpr
        self.consts = consts

    @property
    def eqns(self) -> list[Eqn]:
        return self.jaxpr.eqns

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.jaxpr.invars]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.jaxpr.outvars]

    def __str__(self) -> str:
        from funcdiff.core.pretty import pp_jaxpr

        return pp_jaxpr(self.jaxpr, self.consts)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        """Notebook display: the printed jaxpr, highlighted."""
        from funcdiff.core.pretty import html_jaxpr

        return html_jaxpr(str(self))


class JaxprTypeError(FuncdiffError, TypeError):
    """A jaxpr is malformed: a variable used before definition, or bad types."""


def typecheck_jaxpr(jaxpr: Jaxpr) -> None:
    """Check that every variable is bound once before use and types agree.

    Each equation's output types are recomputed with the primitive's
    ``abstract_eval`` and compared with the recorded ones.
    """
    defined: set[int] = set()

    def bind_var(v: Var) -> None:
        if id(v) in defined:
            raise JaxprTypeError(f"variable {v} is bound twice")
        defined.add(id(v))

    def read(x: Atom, where: str) -> ShapedArray:
        if isinstance(x, Literal):
            return x.aval
        if id(x) not in defined:
            raise JaxprTypeError(f"{where}: variable {x} used before it is defined")
        return x.aval

    for v in jaxpr.constvars:
        bind_var(v)
    for v in jaxpr.invars:
        bind_var(v)
    for i, eqn in enumerate(jaxpr.eqns):
        where = f"equation {i} ({eqn.primitive.name})"
        in_avals = [read(x, where) for x in eqn.invars]
        outs = eqn.primitive.rule("abstract_eval")(*in_avals, **eqn.params)
        if len(outs) != len(eqn.outvars):
            raise JaxprTypeError(f"{where}: {len(outs)} results, {len(eqn.outvars)} binders")
        for a, v in zip(outs, eqn.outvars, strict=True):
            if a != v.aval:
                raise JaxprTypeError(
                    f"{where}: rule says {a.str_short()}, binder has {v.aval.str_short()}"
                )
            bind_var(v)
    for x in jaxpr.outvars:
        read(x, "outputs")

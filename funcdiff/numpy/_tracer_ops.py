"""numpy-style operators and methods on tracers.

``Tracer`` (in ``funcdiff.core.trace``) is transform-agnostic; this module
gives it numpy's surface by delegating every operator to the
``funcdiff.numpy`` function of the same meaning.
"""

from __future__ import annotations

from typing import Any

from funcdiff.core.trace import Tracer


def install() -> None:
    import funcdiff.numpy as fnp

    def binary(name: str) -> tuple[Any, Any]:
        fn = getattr(fnp, name)

        def op(self: Any, other: Any) -> Any:
            return fn(self, other)

        def rop(self: Any, other: Any) -> Any:
            return fn(other, self)

        return op, rop

    table = {
        "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
        "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "matmul": "matmul",
        "and": "logical_and", "or": "logical_or", "xor": "logical_xor",
    }
    for dunder, name in table.items():
        op, rop = binary(name)
        setattr(Tracer, f"__{dunder}__", op)
        setattr(Tracer, f"__r{dunder}__", rop)
    for dunder, name in {
        "eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
        "gt": "greater", "ge": "greater_equal",
    }.items():
        setattr(Tracer, f"__{dunder}__", binary(name)[0])
    Tracer.__neg__ = lambda self: fnp.negative(self)  # type: ignore[method-assign]
    Tracer.__pos__ = lambda self: self  # type: ignore[method-assign]
    Tracer.__abs__ = lambda self: fnp.abs(self)  # type: ignore[method-assign]
    Tracer.__invert__ = lambda self: fnp.logical_not(self)  # type: ignore[method-assign]
    Tracer.__getitem__ = lambda self, idx: fnp._indexing.getitem(self, idx)  # type: ignore[attr-defined]
    Tracer.T = property(lambda self: fnp.transpose(self))  # type: ignore[attr-defined]
    Tracer.mT = property(lambda self: fnp.swapaxes(self, -1, -2))  # type: ignore[attr-defined]
    Tracer.at = property(lambda self: fnp._indexing.AtIndexer(self))  # type: ignore[attr-defined]

    def method(name: str) -> Any:
        fn = getattr(fnp, name)

        def m(self: Any, *args: Any, **kwargs: Any) -> Any:
            return fn(self, *args, **kwargs)

        m.__name__ = name
        return m

    for name in ("sum", "mean", "max", "min", "prod", "dot", "ravel", "squeeze",
                 "var", "std", "argmax", "argmin", "cumsum", "cumprod", "all", "any",
                 "clip", "round", "trace", "diagonal", "swapaxes", "repeat", "take",
                 "conj", "flatten", "nonzero", "sort", "argsort", "ptp"):
        if hasattr(fnp, name):
            setattr(Tracer, name, method(name))
    if hasattr(fnp, "ravel"):
        Tracer.flatten = method("ravel")  # type: ignore[attr-defined]

    def reshape(self: Any, *shape: Any, order: str = "C") -> Any:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return fnp.reshape(self, shape, order=order)

    def transpose(self: Any, *axes: Any) -> Any:
        if len(axes) == 1 and (isinstance(axes[0], (tuple, list)) or axes[0] is None):
            axes = axes[0]
        return fnp.transpose(self, axes or None)

    def astype(self: Any, dtype: Any, copy: bool = True) -> Any:
        return fnp.asarray(self, dtype=dtype)

    Tracer.reshape = reshape  # type: ignore[attr-defined]
    Tracer.transpose = transpose  # type: ignore[attr-defined]
    Tracer.astype = astype  # type: ignore[attr-defined]
    Tracer.item = lambda self: self.concrete_value("item()").item()  # type: ignore[attr-defined]
    Tracer.tolist = lambda self: self.concrete_value("tolist()").tolist()  # type: ignore[attr-defined]

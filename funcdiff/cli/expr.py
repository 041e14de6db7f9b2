"""An expression compiled to a stack program, and the interpreter that runs it.

:class:`Expression` holds the program :func:`funcdiff.cli.parser.parse_expression`
compiled from a checked syntax tree; calling it runs the program on arrays or
tracers with ``funcdiff.numpy``. Every operation is bounded before it
allocates: its result size is computed from the shapes and the literal
parameters (``MAX_ELEMENTS`` per operation, ``MAX_TOTAL_ELEMENTS`` per
evaluation).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import funcdiff.numpy as fnp

#: Largest intermediate array (elements) an expression may build; a Hessian of n
#: inputs runs n copies at once, so it allows MAX_ELEMENTS // n per copy.
MAX_ELEMENTS = 10_000_000
#: Most elements all the operations of one evaluation may build together (an
#: expression of many large operations would otherwise hold them all at once).
MAX_TOTAL_ELEMENTS = 50_000_000

#: funcdiff.numpy functions an expression may call by their bare name.
_FNP_NAMES = (
    "sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh "
    "exp exp2 expm1 log log2 log10 log1p sqrt cbrt square abs absolute sign "
    "reciprocal sinc floor ceil round deg2rad rad2deg "
    "arctan2 hypot maximum minimum power logaddexp "
    "dot matmul inner outer vdot cross kron trace transpose diag diagonal ravel "
    "sum mean prod max min var std cumsum cumprod"
).split()

#: Every function an expression may call (the ones above, norm, relu, sigmoid, softplus).
FUNCTION_NAMES: tuple[str, ...] = tuple(
    sorted([*_FNP_NAMES, "norm", "relu", "sigmoid", "softplus"])
)


@functools.lru_cache(maxsize=1)
def _functions() -> dict[str, Callable[..., Any]]:

    table: dict[str, Callable[..., Any]] = {n: getattr(fnp, n) for n in _FNP_NAMES}
    table["norm"] = fnp.linalg.norm
    table["relu"] = lambda x: fnp.maximum(x, 0.0)
    table["sigmoid"] = lambda x: 1.0 / (1.0 + fnp.exp(-x))
    table["softplus"] = lambda x: fnp.logaddexp(x, 0.0)
    return table


def _shape(x: Any) -> tuple[int, ...]:
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else np.shape(x)


def _allocation(what: str, args: Sequence[Any], params: dict[str, Any]) -> int:
    """An upper bound on the number of elements ``what(*args, **params)`` builds,
    from the shapes and the literal parameters alone, so that a huge result is
    refused before it is built."""
    shapes = [_shape(a) for a in args]
    sizes = [math.prod(s) for s in shapes]
    if not sizes:
        return 1
    if what in ("outer", "kron"):
        return math.prod(sizes)
    if what == "[...]":
        return len(sizes) * max(sizes)
    if what == "diag":
        if len(shapes[0]) != 1:  # the k-th diagonal of a matrix: never larger than it
            return sizes[0]
        k = params.get("k", 0)
        k = abs(int(k)) if isinstance(k, (int, float)) and math.isfinite(k) else 0
        return (shapes[0][0] + k) ** 2  # v on the k-th diagonal of a square matrix
    if what in ("@", "dot", "matmul", "inner", "vdot") and len(shapes) == 2:
        k = shapes[0][-1] if shapes[0] else 1
        return max(sizes[0], sizes[1], sizes[0] * sizes[1] // max(k, 1))
    if what == "cumprod":
        # a log-step scan: ceil(log2 n) steps, each a slice, a pad and a product
        axis = params.get("axis")
        n = sizes[0]
        if isinstance(axis, int) and shapes[0] and -len(shapes[0]) <= axis < len(shapes[0]):
            n = shapes[0][axis]
        return sizes[0] * (1 + 3 * max(0, math.ceil(math.log2(max(n, 1)))))
    if what in ("prod", "var", "std", "norm"):
        return 3 * sizes[0]  # a few intermediates of the input's size
    try:
        return max(math.prod(np.broadcast_shapes(*shapes)), *sizes)
    except ValueError:  # shapes that do not broadcast: the operation reports it
        return max(sizes)


def _label(what: str) -> str:
    if what == "[...]":
        return "a [...] list"
    if what in FUNCTION_NAMES:
        return f"{what}()"
    return f"the operator {what}"


class Expression:
    """A checked expression: variables in order of appearance, and a stack program.

    Build it with :func:`parse_expression`; call it with one value per
    variable (arrays or tracers), in the order of ``variables``.

    >>> from funcdiff.cli import parse_expression
    >>> ex = parse_expression("x**2 + sin(y)")
    >>> ex.variables
    ('x', 'y')
    >>> float(ex(3.0, 0.0))
    9.0
    """

    def __init__(
        self,
        text: str,
        program: list[tuple[Any, ...]],
        variables: tuple[str, ...],
        max_elements: int = MAX_ELEMENTS,
        max_total: int = MAX_TOTAL_ELEMENTS,
    ) -> None:
        self.text = text
        self.program = program
        self.variables = variables
        #: the largest array an operation may build (checked before it runs)
        self.max_elements = max_elements
        #: the most elements all operations of one evaluation may build together
        self.max_total = max_total

    def _guard(self, what: str, args: Sequence[Any], params: dict[str, Any], used: int) -> int:
        """Refuse ``what(*args)`` before it runs if it would build too much;
        return the elements built so far in this evaluation, this one included."""
        bound = _allocation(what, args, params)
        if bound > self.max_elements:
            raise ValueError(
                f"{_label(what)}: the result would have up to {bound:,} elements, more than "
                f"the {self.max_elements:,} this command allows for one operation"
            )
        used += bound
        if used > self.max_total:
            raise ValueError(
                f"{_label(what)}: the operations of this expression would build up to "
                f"{used:,} elements in all, more than the {self.max_total:,} this command "
                "allows for one evaluation"
            )
        return used

    def __repr__(self) -> str:
        return f"Expression({self.text!r}, variables={self.variables})"

    def __call__(self, *values: Any) -> Any:

        if len(values) != len(self.variables):
            raise TypeError(
                f"the expression takes {len(self.variables)} values "
                f"({', '.join(self.variables)}), got {len(values)}"
            )
        env = dict(zip(self.variables, values, strict=True))
        funcs = _functions()
        binary: dict[str, Callable[[Any, Any], Any]] = {
            "+": fnp.add,
            "-": fnp.subtract,
            "*": fnp.multiply,
            "/": fnp.divide,
            "**": fnp.power,
            "@": fnp.matmul,
        }
        stack: list[Any] = []
        used = 0  # elements built so far (bounded by max_total)
        for ins in self.program:
            op = ins[0]
            if op == "num":
                stack.append(ins[1])
            elif op == "var":
                stack.append(env[ins[1]])
            elif op == "neg":
                a = stack.pop()
                used = self._guard("-", (a,), {}, used)
                stack.append(fnp.negative(a))
            elif op == "pos":
                pass
            elif op == "bin":
                b = stack.pop()
                a = stack.pop()
                used = self._guard(ins[1], (a, b), {}, used)
                stack.append(binary[ins[1]](a, b))
            elif op == "call":
                _, name, nargs, kws = ins
                args = stack[len(stack) - nargs :] if nargs else []
                del stack[len(stack) - nargs :]
                params = dict(kws)
                used = self._guard(name, args, params, used)
                stack.append(funcs[name](*args, **params))
            elif op == "list":
                n = ins[1]
                items = stack[len(stack) - n :] if n else []
                del stack[len(stack) - n :]
                used = self._guard("[...]", items, {}, used)
                stack.append(fnp.stack([fnp.asarray(i) for i in items]) if items else [])
            elif op == "index":
                a = stack.pop()
                stack.append(fnp.asarray(a)[ins[1]])
            else:  # pragma: no cover - the compiler emits only the ops above
                raise AssertionError(op)
        (result,) = stack
        return result

    def function(self) -> Callable[..., Any]:
        """The expression as a Python function whose parameters are its variables.

        >>> import funcdiff as fd
        >>> from funcdiff.cli import parse_expression
        >>> f = parse_expression("x * y").function()
        >>> float(fd.grad(f, argnums=1)(3.0, 2.0))
        3.0
        """

        def expression(*values: Any) -> Any:
            return self(*values)

        params = [
            inspect.Parameter(v, inspect.Parameter.POSITIONAL_OR_KEYWORD) for v in self.variables
        ]
        expression.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        expression.__name__ = "f"
        expression.__qualname__ = "f"
        return expression


def parse_order(
    expr: Expression,
    names: Sequence[str],
    max_elements: int = MAX_ELEMENTS,
    max_total: int = MAX_TOTAL_ELEMENTS,
) -> Expression:
    """The same expression with its variables in the order ``names``."""
    return Expression(expr.text, expr.program, tuple(names), max_elements, max_total)


__all__ = ["FUNCTION_NAMES", "MAX_ELEMENTS", "MAX_TOTAL_ELEMENTS", "Expression", "parse_order"]

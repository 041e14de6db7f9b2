"""``python -m funcdiff`` (the ``funcdiff`` command): derivatives of an expression.

Subcommands::

    funcdiff demo                                   the lecture's examples
    funcdiff grad     "x**cos(x)" --at x=3          value and gradient
    funcdiff hessian  "x**2*exp(x+cos(y))" --at x=1,y=2
    funcdiff taylor   "x**2*exp(x+cos(y))" --at x=1 --at y=2
    funcdiff explain  "x**cos(x)" --at x=3          forward and backward tables
    funcdiff jaxpr    "x**cos(x)" [--at x=3] [--of grad]
    funcdiff graph    "x**cos(x)" --at x=3 -o g.svg (or .dot / .png)

Values: ``--at x=3``, several (``--at x=1 --at y=2`` or ``--at x=1,y=2``),
vectors and matrices (``--at "x=[1,2,3]"``). ``--json`` prints one JSON
object (inputs, value, gradient, ...) instead of text. The expression is
differentiated with respect to all its variables, in the order of ``--at``.

Expressions are checked against a whitelist before anything runs: numbers,
variable names, ``+ - * / ** @``, unary minus, parentheses, ``[...]`` lists,
integer indexing ``x[0]``, the constants ``pi`` and ``e``, and calls of the
functions listed in ``FUNCTION_NAMES`` by their bare name (``sin(x)``,
``sum(x, axis=0)``); a function's parameters after its arrays are literal
numbers (``diag(x, 1)``, ``sum(x, 0)``). Anything else (attributes, imports,
lambdas, comprehensions, strings, names starting with ``_``, unknown functions,
huge exponents such as ``9**9**9``, too long or too deeply nested input) is
refused with a message naming the construct. The checked syntax tree is
compiled to a small stack program and run by the interpreter below; Python's
``eval`` is never used.

Constant parts are computed as Python computes them, integers exactly:
``x + 2**64`` adds 18446744073709551616 (rounded to float64 where it meets
``x``), ``2**-1`` is 0.5. Where that is impossible the expression is refused
before anything runs: a constant exponent larger than 1000 in size, an exact
integer of more than 3000 digits (estimated before it is computed), a
constant that overflows float64 (``x + 10**400``), a division by zero or a
negative number to a fractional power in a constant. Every operation is
bounded before it allocates: its result size is computed from the shapes and
literal parameters (``diag(x, k)`` counts ``k``) and refused above 10 million
elements per operation, or 50 million for all the operations of one
evaluation (divided by the number of inputs for a Hessian).

Exit codes: 0 success, 1 the math failed (e.g. a non-scalar expression for
``grad``, or Graphviz missing for ``graph -o g.svg``), 2 bad usage (bad
``--at``, unknown or missing variables, a refused expression).
"""

from __future__ import annotations

import argparse
import ast
import functools
import inspect
import io
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def demo() -> None:
    """The lecture's examples: a jaxpr, a derivative, gradients and a Hessian."""
    import numpy as np

    import funcdiff as fd
    import funcdiff.numpy as fnp

    def f(x):  # type: ignore[no-untyped-def]
        return x ** fnp.cos(x)

    print("z = x ** cos(x), traced into a jaxpr:")
    print(fd.make_jaxpr(f)(3.0))
    print(f"\ndz/dx at x = 3: {float(fd.grad(f)(3.0)):.6f}   (the lecture: -0.1634)")
    print(f"d2z/dx2 at x = 3: {float(fd.grad(fd.grad(f))(3.0)):.6f}")
    print("\nThe jaxpr of its derivative (reverse mode):")
    print(fd.make_jaxpr(fd.grad(f))(3.0))

    def g(x, y):  # type: ignore[no-untyped-def]
        return x**2 * fnp.exp(x + fnp.cos(y))

    gx, gy = fd.grad(g, argnums=(0, 1))(1.0, 2.0)
    print(
        f"\nf(x, y) = x**2 * exp(x + cos(y)) at (1, 2): grad = ({float(gx):.6f}, {float(gy):.6f})"
    )

    def h(v):  # type: ignore[no-untyped-def]
        x, y, z = v[0], v[1], v[2]
        return x ** (fnp.cos(y) * z**2)

    v = np.array([1.5, 0.5, 1.2])
    print(f"\nf(x, y, z) = x ** (cos(y) * z**2) at {v}:")
    print("  gradient:", np.array2string(fd.grad(h)(v), precision=6))
    print("  Hessian (forward-over-reverse):")
    print("  " + np.array2string(fd.hessian(h)(v), precision=6, prefix="  "))


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


class UsageError(Exception):
    """Bad command-line input (exit code 2)."""


class ExpressionError(UsageError):
    """An expression outside the whitelist, refused before anything runs.

    >>> parse_expression("x.__class__")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    funcdiff.cli.ExpressionError: attribute access '.__class__' is not allowed ...
    """


class MathError(Exception):
    """The expression is valid but the requested math failed (exit code 1)."""


# ---------------------------------------------------------------------------
# the whitelist
# ---------------------------------------------------------------------------

#: Longest expression accepted (characters).
MAX_EXPR_CHARS = 2000
#: Most syntax-tree nodes and deepest nesting accepted.
MAX_AST_NODES = 1000
MAX_AST_DEPTH = 100
#: Largest magnitude of a number written in an expression.
MAX_LITERAL = 1e15
#: Largest magnitude of a constant exponent (``x**1000`` is fine, ``9**9**9`` is not).
MAX_EXPONENT = 1000.0
#: Most elements of a list literal and of all --at values together.
MAX_LIST = 1000
MAX_INPUT_ELEMENTS = 10_000
#: Largest intermediate array (elements) an expression may build; a Hessian of n
#: inputs runs n copies at once, so it allows MAX_ELEMENTS // n per copy.
MAX_ELEMENTS = 10_000_000
#: Most elements all the operations of one evaluation may build together (an
#: expression of many large operations would otherwise hold them all at once).
MAX_TOTAL_ELEMENTS = 50_000_000
#: Most scalar inputs for a dense Hessian / Taylor model.
MAX_HESSIAN_N = 1000
#: Most decimal digits of an exact integer constant. Integer constants follow
#: Python's exact arithmetic (``2**64 + 1`` is exact); the size of a product or
#: a power is estimated before it is computed, so ``(10**15)**1000`` is refused
#: at once instead of being built.
MAX_INT_DIGITS = 3000
#: Largest array ``--json`` prints (a dense Hessian has at most 1000**2 entries).
MAX_JSON_ELEMENTS = 1_000_000
#: Largest ``graph --max-nodes`` (Graphviz's layout time grows fast with the nodes).
MAX_GRAPH_NODES = 2000


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
    import funcdiff.numpy as fnp

    table: dict[str, Callable[..., Any]] = {n: getattr(fnp, n) for n in _FNP_NAMES}
    table["norm"] = fnp.linalg.norm
    table["relu"] = lambda x: fnp.maximum(x, 0.0)
    table["sigmoid"] = lambda x: 1.0 / (1.0 + fnp.exp(-x))
    table["softplus"] = lambda x: fnp.logaddexp(x, 0.0)
    return table


#: Named constants.
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
#: Keyword arguments a call may take (their values must be literal numbers).
KEYWORDS = ("axis", "keepdims", "ord")

#: The positional parameters of each function that takes more than one ``x``:
#: the array arguments first (``_ARRAY_ARGS`` of them, any expression), then
#: parameters that must be literal numbers, so that their effect on the size of
#: the result is known before anything runs (``diag(x, 1)``, ``sum(x, 0)``).
_PARAMETERS: dict[str, tuple[str, ...]] = {
    "diag": ("v", "k"),
    "diagonal": ("a", "offset", "axis1", "axis2"),
    "trace": ("a", "offset", "axis1", "axis2"),
    "transpose": ("a", "axes"),
    "round": ("a", "decimals"),
    "norm": ("x", "ord", "axis"),
    **{n: ("a", "axis") for n in "sum mean prod max min var std cumsum cumprod".split()},
    **{n: ("x", "y") for n in "arctan2 hypot maximum minimum power logaddexp".split()},
    **{n: ("a", "b") for n in "dot matmul inner outer vdot cross kron".split()},
}
_BINARY_FUNCTIONS = frozenset(
    "arctan2 hypot maximum minimum power logaddexp dot matmul inner outer vdot cross kron".split()
)


def _parameters(name: str) -> tuple[int, tuple[str, ...]]:
    """How many array arguments ``name`` takes, and all its positional parameters."""
    return (2 if name in _BINARY_FUNCTIONS else 1), _PARAMETERS.get(name, ("x",))


_BINOPS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
    ast.MatMult: "@",
}
_UNARY: dict[type, str] = {ast.USub: "-", ast.UAdd: "+"}

#: Human names of the constructs refused, by syntax-tree node type.
_REFUSED: dict[str, str] = {
    "Attribute": "attribute access",
    "Lambda": "lambda functions",
    "ListComp": "list comprehensions",
    "SetComp": "set comprehensions",
    "DictComp": "dict comprehensions",
    "GeneratorExp": "generator expressions",
    "IfExp": "conditional expressions (a if c else b)",
    "Compare": "comparisons (<, ==, ...)",
    "BoolOp": "boolean operators (and/or)",
    "NamedExpr": "assignment expressions (:=)",
    "Await": "await",
    "Yield": "yield",
    "YieldFrom": "yield",
    "JoinedStr": "f-strings",
    "FormattedValue": "f-strings",
    "Dict": "dict literals",
    "Set": "set literals",
    "Starred": "* unpacking",
    "Slice": "slices (x[a:b])",
}


def _refuse(what: str, node: ast.AST | None = None, hint: bool = True) -> ExpressionError:
    where = ""
    if node is not None and hasattr(node, "col_offset"):
        where = f" (at column {node.col_offset + 1})"
    if not hint:  # a well-formed expression whose constant part cannot be computed
        return ExpressionError(f"{what}{where}")
    return ExpressionError(
        f"{what}{where}. Expressions may use numbers, variables, + - * / ** @, "
        "parentheses, [lists], x[i] indexing and calls like sin(x); "
        "run `funcdiff grad --help` for the function list"
    )


def _static_literal(node: ast.AST, what: str) -> Any:
    """A keyword value or index: an int/float/bool, -int, or a tuple of ints."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
        v: Any = node.value
        if not isinstance(v, bool) and abs(v) > MAX_LITERAL:
            raise _refuse(f"{what}: the number {v!r} is too large", node)
        return v
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) in (int, float)
    ):
        v = node.operand.value
        if abs(v) > MAX_LITERAL:
            raise _refuse(f"{what}: the number -{v!r} is too large", node)
        return -v
    if isinstance(node, (ast.Tuple, ast.List)) and len(node.elts) <= 32:
        items = []
        for e in node.elts:  # one level only: elements must be numbers
            if isinstance(e, (ast.Tuple, ast.List)):
                raise _refuse(f"{what}: nested tuples are not allowed", e)
            items.append(_static_literal(e, what))
        return tuple(items)
    raise _refuse(f"{what} must be a literal number (or a tuple of them)", node)


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
        import funcdiff.numpy as fnp

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


def parse_expression(text: str) -> Expression:
    """Check ``text`` against the whitelist and compile it; refuse anything else.

    Nothing in ``text`` is evaluated here except folding its constant parts,
    with Python's exact arithmetic (``2**64 + 1`` is that integer; it becomes a
    float64 only where it meets an array). Sizes are checked before anything is
    computed: a constant exponent above ``MAX_EXPONENT`` in size or an exact
    integer of more than ``MAX_INT_DIGITS`` digits is refused, and so is a
    constant that overflows float64 where it meets an array.

    >>> parse_expression("x**cos(x)").variables
    ('x',)
    >>> parse_expression("__import__('os').system('echo hi')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    funcdiff.cli.ExpressionError: calling anything but a plain function name ...
    >>> parse_expression("9**9**9")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    funcdiff.cli.ExpressionError: the exponent 387420489 is too large ...
    """
    if not isinstance(text, str):
        raise UsageError(f"the expression must be a string, got {type(text).__name__}")
    if len(text) > MAX_EXPR_CHARS:
        raise _refuse(
            f"the expression is too long ({len(text)} characters, at most {MAX_EXPR_CHARS})"
        )
    if not text.strip():
        raise ExpressionError('the expression is empty; give one, e.g. "x**cos(x)"')
    if "\x00" in text:
        raise _refuse("the expression contains a NUL character")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(
            f"syntax error in the expression at column {err.offset}: {err.msg}"
        ) from None
    except (ValueError, RecursionError, MemoryError) as err:
        raise ExpressionError(f"the expression cannot be parsed: {err}") from None

    funcs = set(FUNCTION_NAMES)
    source = text.strip()
    pieces: list[_Piece] = []  # per compiled subexpression: a constant or its code
    variables: list[str] = []
    count = 0
    # (node, depth, expanded): children are pushed after their parent is checked,
    # code is emitted after all children (post-order); an explicit stack, no recursion.
    todo: list[tuple[ast.AST, int, bool]] = [(tree.body, 1, False)]
    while todo:
        node, depth, expanded = todo.pop()
        if not expanded:
            count += 1
            if count > MAX_AST_NODES:
                raise _refuse(f"the expression is too large (more than {MAX_AST_NODES} parts)")
            if depth > MAX_AST_DEPTH:
                raise _refuse(f"the expression is nested too deeply (more than {MAX_AST_DEPTH})")
            children = _check(node, funcs)
            todo.append((node, depth, True))
            todo.extend((c, depth + 1, False) for c in reversed(children))
            continue
        _emit(node, pieces, variables, source)
    (root,) = pieces
    program = _materialize(root, "result", tree.body, source)
    return Expression(text, program, tuple(variables))


def _check(node: ast.AST, funcs: set[str]) -> list[ast.AST]:
    """Refuse ``node`` unless whitelisted; return the children to check next."""
    kind = type(node).__name__
    if isinstance(node, ast.Constant):
        v: Any = node.value
        if isinstance(v, str):
            raise _refuse(f"strings are not allowed ({v[:20]!r})", node)
        if isinstance(v, bool) or type(v) not in (int, float):
            raise _refuse(f"the constant {v!r} is not allowed (only numbers)", node)
        if abs(v) > MAX_LITERAL or (isinstance(v, float) and not math.isfinite(v)):
            raise _refuse(f"the number {v!r} is too large (at most {MAX_LITERAL:g})", node)
        return []
    if isinstance(node, ast.Name):
        name = node.id
        if name.startswith("_"):
            raise _refuse(f"the name {name!r} is not allowed (names may not start with _)", node)
        if name in funcs:
            raise _refuse(f"{name!r} is a function: call it, e.g. {name}(x)", node)
        return []
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise _refuse(f"the operator {type(node.op).__name__} is not allowed", node)
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise _refuse(f"the unary operator {type(node.op).__name__} is not allowed", node)
        return [node.operand]
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise _refuse("calling anything but a plain function name is not allowed", node)
        fname = node.func.id
        if fname not in funcs:
            raise _refuse(f"the function {fname!r} is not allowed", node)
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise _refuse("* unpacking is not allowed", a)
        n_arrays, names = _parameters(fname)
        usage = f"{fname}({', '.join(names)})"
        given = set(names[n_arrays : len(node.args)])
        allowed = tuple(dict.fromkeys((*names[n_arrays:], *KEYWORDS)))
        for kw in node.keywords:
            if kw.arg is None:
                raise _refuse("** keyword unpacking is not allowed", kw)
            if kw.arg not in allowed:
                raise _refuse(
                    f"the keyword argument {kw.arg}= is not allowed in {fname}() "
                    f"(allowed: {', '.join(allowed)})",
                    kw,
                )
            if kw.arg in given:
                raise _refuse(f"{fname}: the argument {kw.arg} is given twice", kw)
            _static_literal(kw.value, f"the value of {kw.arg}=")
        if len(node.args) < n_arrays:
            raise _refuse(
                f"{fname} needs {n_arrays} array argument{'s' if n_arrays > 1 else ''}: "
                f"{usage}, got {len(node.args)}",
                node,
            )
        if len(node.args) > len(names):
            raise _refuse(
                f"{fname} takes at most {len(names)} argument{'s' if len(names) > 1 else ''}: "
                f"{usage}, got {len(node.args)}",
                node,
            )
        for name, a in zip(names[n_arrays:], node.args[n_arrays:], strict=False):
            _static_literal(a, f"the argument {name} of {usage}")
        return list(node.args[:n_arrays])
    if isinstance(node, (ast.List, ast.Tuple)):
        if len(node.elts) > MAX_LIST:
            raise _refuse(f"a list has too many elements (at most {MAX_LIST})", node)
        for e in node.elts:
            if isinstance(e, ast.Starred):
                raise _refuse("* unpacking is not allowed", e)
        return list(node.elts)
    if isinstance(node, ast.Subscript):
        if isinstance(node.slice, ast.Slice):
            raise _refuse("slices (x[a:b]) are not allowed; index with integers, x[0]", node)
        idx = _static_literal(node.slice, "an index")
        parts = idx if isinstance(idx, tuple) else (idx,)
        if not all(type(i) is int for i in parts):
            raise _refuse("indices must be integers, e.g. x[0] or x[1, 2]", node)
        return [node.value]
    if isinstance(node, ast.Attribute):
        raise _refuse(f"attribute access '.{node.attr}' is not allowed", node)
    raise _refuse(f"{_REFUSED.get(kind, kind)} not allowed", node)


# A compiled subexpression: ("const", number) for a constant folded exactly
# (a Python int or float), ("tuple", numbers) for a list of constants, or
# ("code", instructions) for anything that involves a variable.
_Piece = tuple[str, Any]


def _digits(n: int) -> int:
    """The number of decimal digits of ``n`` (from its logarithm: no str())."""
    return 1 if n == 0 else int(math.log10(abs(n))) + 1


def _show(v: Any) -> str:
    """A number for a message: in full, or its magnitude when it is huge."""
    if type(v) is int and _digits(v) > 20:
        exp = math.log10(abs(v))
        return f"{'-' if v < 0 else ''}about {10 ** (exp % 1):.3g}e{int(exp)}"
    return format(v, "g") if type(v) is float else str(v)


def _text(node: ast.AST, source: str) -> str:
    seg = ast.get_source_segment(source, node) or "?"
    return seg if len(seg) <= 40 else seg[:37] + "..."


def _check_digits(digits: int, node: ast.AST, source: str) -> None:
    if digits > MAX_INT_DIGITS:
        raise _refuse(
            f"the constant {_text(node, source)} is too large: an exact integer of about "
            f"{digits:,} digits (at most {MAX_INT_DIGITS:,})",
            node,
            hint=False,
        )


def _check_exponent(b: Any, node: ast.AST) -> None:
    if abs(b) > MAX_EXPONENT:
        raise _refuse(
            f"the exponent {_show(b)} is too large "
            f"(constant exponents may be at most {MAX_EXPONENT:g} in size)",
            node,
            hint=False,
        )


def _overflow(v: Any, node: ast.AST, source: str) -> ExpressionError:
    return _refuse(
        f"the constant {_text(node, source)} overflows float64"
        + (f" (it is {_show(v)}; the largest float64 is about 1.8e308)" if type(v) is int else ""),
        node,
        hint=False,
    )


def _fold(op: str, a: Any, b: Any, node: ast.AST, source: str) -> Any:
    """``a op b`` on two numbers as Python computes it (ints exactly), with the
    size of an exact integer result bounded before it is computed."""
    exact = type(a) is int and type(b) is int
    try:
        if op == "**":
            _check_exponent(b, node)
            if exact and b > 0 and abs(a) > 1:
                _check_digits(int(b * math.log10(abs(a))) + 1, node, source)
            r = a**b
        elif op == "*":
            if exact and a and b:
                _check_digits(_digits(a) + _digits(b) - 1, node, source)
            r = a * b
        elif op == "+":
            r = a + b
        elif op == "-":
            r = a - b
        elif op == "/":
            r = a / b
        else:
            raise _refuse(f"the operator {op} needs arrays, not the numbers {a} and {b}", node)
    except ZeroDivisionError:
        raise _refuse(
            f"division by zero in the constant {_text(node, source)}", node, hint=False
        ) from None
    except OverflowError:
        raise _overflow(None, node, source) from None
    if isinstance(r, complex):
        raise _refuse(
            f"the constant {_text(node, source)} is not a real number "
            "(a negative number to a fractional power)",
            node,
            hint=False,
        )
    if type(r) is int:
        _check_digits(_digits(r), node, source)
    elif not math.isfinite(r):
        raise _overflow(None, node, source)
    return r


def _as_float(v: Any, node: ast.AST, source: str) -> float:
    """A constant as the float64 it becomes where it meets an array (correctly
    rounded); refused when it overflows."""
    try:
        return float(v)
    except OverflowError:
        raise _overflow(v, node, source) from None


def _materialize(piece: _Piece, role: str, node: ast.AST, source: str) -> list[tuple[Any, ...]]:
    """The code of a compiled subexpression in its role: ``"value"`` (it meets
    arrays: constants become float64), ``"exponent"`` (an integer stays an
    integer, so ``x**2`` records integer_pow as it does in Python code) or
    ``"result"`` (the whole expression: an integer that fits int64 stays one)."""
    kind, v = piece
    if kind == "code":
        code: list[tuple[Any, ...]] = v
        return code
    if kind == "tuple":
        return [*(("num", _as_float(x, node, source)) for x in v), ("list", len(v))]
    if type(v) is int and (role == "exponent" or (role == "result" and -(2**63) <= v < 2**63)):
        return [("num", v)]
    return [("num", _as_float(v, node, source))]


def _emit(node: ast.AST, pieces: list[_Piece], variables: list[str], source: str) -> None:
    """Post-order: compile a checked node from its children's pieces (on top
    of ``pieces``), folding constant parts exactly."""
    if isinstance(node, ast.Constant):
        pieces.append(("const", node.value))  # checked: an int or a float
    elif isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            pieces.append(("const", CONSTANTS[node.id]))
        else:
            if node.id not in variables:
                variables.append(node.id)
            pieces.append(("code", [("var", node.id)]))
    elif isinstance(node, ast.BinOp):
        op = _BINOPS[type(node.op)]
        b, a = pieces.pop(), pieces.pop()
        if a[0] == "const" and b[0] == "const":
            pieces.append(("const", _fold(op, a[1], b[1], node, source)))
            return
        if op == "**" and b[0] == "const":
            _check_exponent(b[1], node)
        code = _materialize(a, "value", node.left, source)
        code += _materialize(b, "exponent" if op == "**" else "value", node.right, source)
        pieces.append(("code", [*code, ("bin", op)]))
    elif isinstance(node, ast.UnaryOp):
        a = pieces.pop()
        if a[0] == "const":
            pieces.append(("const", -a[1] if isinstance(node.op, ast.USub) else a[1]))
        elif isinstance(node.op, ast.USub):
            pieces.append(("code", [*_materialize(a, "value", node.operand, source), ("neg",)]))
        else:
            pieces.append(a)
    elif isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        n_arrays, names = _parameters(name)
        args = pieces[len(pieces) - n_arrays :]
        del pieces[len(pieces) - n_arrays :]
        code = []
        for i, (arg, arg_node) in enumerate(zip(args, node.args, strict=False)):
            role = "value"
            if name == "power" and i == 1 and arg[0] == "const":
                _check_exponent(arg[1], arg_node)
                role = "exponent"
            code += _materialize(arg, role, arg_node, source)
        params = [
            (p, _static_literal(a, f"the argument {p} of {name}"))
            for p, a in zip(names[n_arrays:], node.args[n_arrays:], strict=False)
        ]
        params += [
            (kw.arg, _static_literal(kw.value, f"{kw.arg}=")) for kw in node.keywords if kw.arg
        ]
        pieces.append(("code", [*code, ("call", name, n_arrays, tuple(params))]))
    elif isinstance(node, (ast.List, ast.Tuple)):
        n = len(node.elts)
        items = pieces[len(pieces) - n :] if n else []
        del pieces[len(pieces) - n :]
        if all(kind == "const" for kind, _ in items):
            pieces.append(("tuple", tuple(v for _, v in items)))
            return
        code = []
        for item, item_node in zip(items, node.elts, strict=True):
            code += _materialize(item, "value", item_node, source)
        pieces.append(("code", [*code, ("list", n)]))
    elif isinstance(node, ast.Subscript):
        code = _materialize(pieces.pop(), "value", node.value, source)
        pieces.append(("code", [*code, ("index", _static_literal(node.slice, "an index"))]))
    else:  # pragma: no cover - _check refused everything else
        raise _refuse(f"{type(node).__name__} not allowed", node)


# ---------------------------------------------------------------------------
# --at values
# ---------------------------------------------------------------------------


def _split_top(text: str) -> list[str]:
    """Split on commas outside brackets: ``x=[1,2],y=3`` -> two pieces."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_value(text: str) -> np.ndarray:
    """A number or a (nested) list of numbers, as a float64 array.

    >>> parse_value("3"), parse_value("[1, 2.5, -3]")
    (array(3.), array([ 1. ,  2.5, -3. ]))
    """
    if len(text) > 200_000:
        raise UsageError("a --at value is too long")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise UsageError(
            f"cannot read the value {text!r}: give a number (3, -1.5e-3) or a list of "
            "numbers ([1,2,3], [[1,2],[3,4]])"
        ) from None
    count = 0
    todo: list[tuple[ast.AST, int]] = [(tree.body, 0)]
    while todo:  # check first (no recursion), then let numpy build the array
        node, depth = todo.pop()
        count += 1
        if count > MAX_INPUT_ELEMENTS * 2 or depth > 8:
            raise UsageError(f"the value {text[:40]!r} is too large or too deeply nested")
        if isinstance(node, (ast.List, ast.Tuple)):
            todo.extend((e, depth + 1) for e in node.elts)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            todo.append((node.operand, depth))
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            try:  # the values are float64: a number beyond its range is refused, not inf
                number: Any = node.value
                finite = math.isfinite(float(number))
            except OverflowError:
                finite = False
            if not finite:
                raise UsageError(
                    f"the number {_text(node, text.strip())} in the --at value overflows float64 "
                    "(largest about 1.8e308); write inf if you mean infinity"
                )
        elif isinstance(node, ast.Name) and node.id in ("inf", "nan", "pi", "e"):
            pass
        else:
            raise UsageError(
                f"cannot read the value {text!r}: only numbers and [lists] of numbers "
                "(and inf, nan, pi, e) are allowed"
            )
    py = _literal(tree.body)
    try:
        arr = np.asarray(py, dtype=np.float64)
    except (ValueError, TypeError):
        raise UsageError(
            f"the value {text!r} is not a rectangular array (rows of different lengths?)"
        ) from None
    return arr


def _literal(node: ast.AST) -> Any:
    """The Python value of a checked literal (an explicit stack, no recursion)."""
    names = {"inf": math.inf, "nan": math.nan, "pi": math.pi, "e": math.e}
    # post-order: ("node", n) expands, ("build", n, k) collects k results
    out: list[Any] = []
    todo: list[tuple[str, ast.AST]] = [("node", node)]
    while todo:
        tag, n = todo.pop()
        if tag == "build":
            assert isinstance(n, (ast.List, ast.Tuple))
            k = len(n.elts)
            items = out[len(out) - k :] if k else []
            del out[len(out) - k :]
            out.append(list(items))
        elif tag == "neg":
            out.append(-out.pop())
        elif isinstance(n, (ast.List, ast.Tuple)):
            todo.append(("build", n))
            todo.extend(("node", e) for e in reversed(n.elts))
        elif isinstance(n, ast.UnaryOp):
            if isinstance(n.op, ast.USub):
                todo.append(("neg", n))
            todo.append(("node", n.operand))
        elif isinstance(n, ast.Constant):
            value: Any = n.value  # checked: an int or a float
            out.append(float(value))
        elif isinstance(n, ast.Name):
            out.append(names[n.id])
    (value,) = out
    return value


def parse_at(items: Sequence[str]) -> dict[str, np.ndarray]:
    """``["x=1,y=2", "z=[1,2]"]`` -> ``{"x": 1., "y": 2., "z": [1., 2.]}`` (in order).

    >>> parse_at(["x=1,y=2", "z=[1,2]"])
    {'x': array(1.), 'y': array(2.), 'z': array([1., 2.])}
    """
    out: dict[str, np.ndarray] = {}
    total = 0
    for item in items:
        if not item.strip():
            raise UsageError("an empty --at: give NAME=VALUE, e.g. --at x=3")
        for piece in _split_top(item):
            name, eq, value = piece.partition("=")
            name = name.strip()
            if not eq or not value.strip():
                raise UsageError(
                    f"bad --at {piece!r}: expected NAME=VALUE, e.g. --at x=3, --at x=1,y=2 "
                    'or --at "x=[1,2,3]"'
                )
            if not name.isidentifier() or name.startswith("_"):
                raise UsageError(f"bad --at {piece!r}: {name!r} is not a variable name")
            if name in out:
                raise UsageError(f"bad --at: the variable {name!r} is given twice")
            arr = parse_value(value)
            total += arr.size
            if total > MAX_INPUT_ELEMENTS:
                raise UsageError(f"the --at values have more than {MAX_INPUT_ELEMENTS} numbers")
            out[name] = arr
    return out


def bind_variables(
    expr: Expression, at: dict[str, np.ndarray], allow_missing: bool = False
) -> tuple[list[str], list[np.ndarray]]:
    """Order the variables (as in --at, then as in the expression) and their values."""
    unknown = [n for n in at if n not in expr.variables]
    if unknown:
        have = ", ".join(expr.variables) if expr.variables else "no variables"
        raise UsageError(
            f"unknown variable{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} in --at: "
            f"the expression {expr.text!r} uses {have}"
        )
    missing = [v for v in expr.variables if v not in at]
    if missing and not allow_missing:
        s = "s" if len(missing) > 1 else ""
        raise UsageError(
            f"missing value{s} for the variable{s} {', '.join(missing)}: add "
            + " ".join(f"--at {m}=VALUE" for m in missing)
        )
    order = [n for n in at] + missing
    values = [at[n] if n in at else np.asarray(0.0) for n in order]
    return order, values


# ---------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------


def _jsonable(x: Any) -> Any:
    """Arrays as nested lists; inf/nan as the strings "inf", "-inf", "nan"."""
    arr = np.asarray(x)
    if arr.dtype == np.bool_:
        return arr.tolist()
    if arr.dtype.kind in "iu":
        return arr.tolist()
    flat = [
        float(v) if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
        for v in arr.astype(np.float64).reshape(-1).tolist()
    ]
    if arr.ndim == 0:
        return flat[0]
    out: Any = flat
    for n in reversed(arr.shape[1:]):
        out = [out[i : i + n] for i in range(0, len(out), n)]
    return out


def _fmt(x: Any) -> str:
    from funcdiff.viz import format_number

    arr = np.asarray(x)
    if arr.ndim == 0:
        return format_number(arr)
    text = np.array2string(
        arr,
        formatter={"all": format_number},
        separator=", ",
        max_line_width=10**6,
        threshold=1000,
    )
    return " ".join(text.split())


def _labels(names: Sequence[str], values: Sequence[np.ndarray]) -> list[str]:
    """Flat labels: ``x`` for a scalar, ``x[0]``, ``x[1, 2]`` for array entries."""
    out = []
    for n, v in zip(names, values, strict=True):
        if v.ndim == 0:
            out.append(n)
        else:
            for idx in np.ndindex(*v.shape):
                out.append(f"{n}[{', '.join(map(str, idx))}]")
    return out


def _matrix_text(m: np.ndarray, labels: Sequence[str], indent: str = "  ") -> list[str]:
    cells = [[_fmt(v) for v in row] for row in m]
    w = max([len(lab) for lab in labels] + [len(c) for row in cells for c in row] + [1])
    lw = max(len(lab) for lab in labels)
    head = indent + " " * (lw + 2) + "  ".join(lab.rjust(w) for lab in labels)
    rows = [
        indent + lab.ljust(lw) + "  " + "  ".join(c.rjust(w) for c in row)
        for lab, row in zip(labels, cells, strict=True)
    ]
    return [head, *rows]


def _signature(names: Sequence[str]) -> str:
    return f"f({', '.join(names)})"


def _point(names: Sequence[str], values: Sequence[np.ndarray]) -> str:
    return ", ".join(f"{n} = {_fmt(v)}" for n, v in zip(names, values, strict=True))


# ---------------------------------------------------------------------------
# the commands
# ---------------------------------------------------------------------------


class _Problem:
    """An expression bound to its values, ready for the transforms."""

    def __init__(self, expr: Expression, names: list[str], values: list[np.ndarray]) -> None:
        self.expr = expr
        self.names = names
        self.values = values
        self.f = parse_order(expr, names).function()
        self.n = len(names)
        self.size = sum(int(v.size) for v in values)

    def batched(self) -> Callable[..., Any]:
        """f for a Hessian: n basis vectors run at once, so each may use 1/n of
        the element budgets."""
        n = max(self.size, 1)
        return parse_order(
            self.expr, self.names, MAX_ELEMENTS // n, MAX_TOTAL_ELEMENTS // n
        ).function()

    def require_hessian_size(self, what: str) -> None:
        """Refuse a dense Hessian of more than MAX_HESSIAN_N inputs before any work."""
        if self.size > MAX_HESSIAN_N:
            raise MathError(
                f"{what}: {self.size} scalar inputs is too many for a dense Hessian "
                f"({self.size}x{self.size} entries; at most {MAX_HESSIAN_N} inputs)"
            )

    def value(self) -> np.ndarray:
        try:
            return np.asarray(self.f(*self.values))
        except Exception as err:
            raise MathError(f"evaluating {self.expr.text!r} failed: {_msg(err)}") from None

    def require_scalar(self, what: str) -> np.ndarray:
        v = self.value()
        if v.shape != ():
            raise MathError(
                f"{what} needs a scalar expression, but {self.expr.text!r} has shape "
                f"{v.shape} at this point; reduce it, e.g. sum({self.expr.text})"
            )
        if self.n == 0:
            raise MathError(f"{what}: the expression {self.expr.text!r} has no variables")
        return v

    def base(self, command: str) -> dict[str, Any]:
        return {
            "command": command,
            "expression": self.expr.text,
            "variables": list(self.names),
            "inputs": {n: _jsonable(v) for n, v in zip(self.names, self.values, strict=True)},
        }

    def flat(self) -> tuple[np.ndarray, Callable[[Any], Any], list[str]]:
        """The flat point, f of the flat vector (for Hessians) and entry labels."""
        from funcdiff.tree import ravel_pytree

        x0, unravel = ravel_pytree(tuple(self.values))
        f = self.batched()

        def f_flat(v: Any) -> Any:
            return f(*unravel(v))

        return np.asarray(x0), f_flat, _labels(self.names, self.values)


def parse_order(
    expr: Expression,
    names: Sequence[str],
    max_elements: int = MAX_ELEMENTS,
    max_total: int = MAX_TOTAL_ELEMENTS,
) -> Expression:
    """The same expression with its variables in the order ``names``."""
    return Expression(expr.text, expr.program, tuple(names), max_elements, max_total)


def _msg(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return f"{type(err).__name__}: {text}" if type(err).__module__ == "builtins" else text


def _run_math(fn: Callable[[], Any], what: str) -> Any:
    try:
        return fn()
    except (MathError, UsageError):
        raise
    except Exception as err:
        raise MathError(f"{what} failed: {_msg(err)}") from None


def cmd_grad(p: _Problem, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    import funcdiff as fd

    p.require_scalar("grad")
    value, grads = _run_math(
        lambda: fd.value_and_grad(p.f, argnums=tuple(range(p.n)))(*p.values), "grad"
    )
    data = p.base("grad")
    data["value"] = _jsonable(value)
    data["gradient"] = {n: _jsonable(g) for n, g in zip(p.names, grads, strict=True)}
    lines = [
        f"{_signature(p.names)} = {p.expr.text}",
        f"at {_point(p.names, p.values)}",
        f"f = {_fmt(value)}",
    ]
    lines += [f"df/d{n} = {_fmt(g)}" for n, g in zip(p.names, grads, strict=True)]
    return data, lines


def _hessian_flat(p: _Problem, what: str) -> tuple[np.ndarray, np.ndarray, list[str], Any]:
    import funcdiff as fd

    value = p.require_scalar(what)
    p.require_hessian_size(what)
    x0, f_flat, labels = p.flat()
    H = _run_math(lambda: np.asarray(fd.hessian(f_flat)(x0)), what)
    return value, H, labels, f_flat


def cmd_hessian(p: _Problem, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    value, H, labels, _ = _hessian_flat(p, "hessian")
    data = p.base("hessian")
    data["value"] = _jsonable(value)
    data["index"] = labels
    data["hessian"] = _jsonable(H)
    lines = [
        f"{_signature(p.names)} = {p.expr.text}",
        f"at {_point(p.names, p.values)}",
        f"f = {_fmt(value)}",
        "Hessian (forward-over-reverse):",
        *_matrix_text(H, labels),
    ]
    return data, lines


def cmd_taylor(p: _Problem, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    p.require_scalar("taylor")
    p.require_hessian_size("taylor")
    x0, f_flat, labels = p.flat()
    value, g, H = _run_math(lambda: _taylor_parts(f_flat, x0), "taylor")
    eig = np.linalg.eigvalsh((H + H.T) / 2) if H.size else np.zeros(0)
    convex = bool(eig.size and np.all(eig > 0))
    step: np.ndarray | None = None
    if convex:
        step = np.linalg.solve(H, -g)
    data = p.base("taylor")
    data.update(
        {
            "value": _jsonable(value),
            "index": labels,
            "gradient": _jsonable(g),
            "hessian": _jsonable(H),
            "eigenvalues": _jsonable(eig),
            "convex": convex,
            "newton_step": None if step is None else _jsonable(step),
            "model": "m(x) = f(x0) + g.(x - x0) + 1/2 (x - x0)^T H (x - x0)",
        }
    )
    lines = [
        f"{_signature(p.names)} = {p.expr.text}",
        f"second-order Taylor model at x0: {_point(p.names, p.values)}",
        "  m(x) = f(x0) + g.(x - x0) + 1/2 (x - x0)^T H (x - x0)",
        f"f(x0) = {_fmt(value)}",
        f"g = grad f(x0), entries ({', '.join(labels)}):",
        f"  {_fmt(g)}",
        "H = Hessian of f at x0:",
        *_matrix_text(H, labels),
        f"eigenvalues of H: {_fmt(eig)}",
    ]
    if step is not None:
        pred = float(g @ step + 0.5 * step @ H @ step)
        lines.append(
            f"H is positive definite: the model has its minimum at x0 + p, with the Newton "
            f"step p = -H^-1 g = {_fmt(step)} (model change {_fmt(pred)})"
        )
        data["model_change"] = _jsonable(pred)
    else:
        lines.append("H is not positive definite: the model has no minimum (no Newton step)")
    return data, lines


def _taylor_parts(f_flat: Callable[[Any], Any], x0: np.ndarray) -> tuple[Any, Any, Any]:
    """value, gradient and Hessian of the quadratic model (``taylor2`` when present)."""
    try:
        from funcdiff.taylor import taylor2
    except ImportError:  # pragma: no cover - taylor2 ships with funcdiff
        import funcdiff as fd

        value, g = fd.value_and_grad(f_flat)(x0)
        return np.asarray(value), np.asarray(g), np.asarray(fd.hessian(f_flat)(x0))
    m = taylor2(f_flat, matrix_free=False)(x0)
    return np.asarray(m.value), np.asarray(m.g_flat), np.asarray(m.H_flat)


def _transformed(p: _Problem, of: str) -> Callable[..., Any]:
    import funcdiff as fd

    if of == "f":
        return p.f
    if p.n == 0:
        raise MathError(f"--of {of}: the expression has no variables to differentiate")
    argnums = tuple(range(p.n))
    if of == "grad":
        p.require_scalar("--of grad")
        return fd.grad(p.f, argnums=argnums)
    p.require_scalar("--of hessian")
    p.require_hessian_size("--of hessian")
    return fd.hessian(p.batched(), argnums=argnums)


def cmd_jaxpr(p: _Problem, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    import funcdiff as fd

    fun = _transformed(p, args.of)
    closed = _run_math(lambda: fd.make_jaxpr(fun)(*p.values), "tracing")
    text = str(closed)
    data = p.base("jaxpr")
    data.update({"of": args.of, "jaxpr": text, "equations": len(closed.eqns)})
    what = {"f": "", "grad": "the gradient of ", "hessian": "the Hessian of "}[args.of]
    header = f"# jaxpr of {what}{_signature(p.names)} = {p.expr.text}"
    return data, [header, text]


def cmd_graph(p: _Problem, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    from funcdiff.viz import GraphvizNotFoundError, graph

    if args.max_nodes > MAX_GRAPH_NODES:
        raise UsageError(
            f"--max-nodes {args.max_nodes} is too many: at most {MAX_GRAPH_NODES} "
            "(larger graphs are collapsed to their first and last equations)"
        )
    fun = _transformed(p, args.of)
    what = {"f": "", "grad": "gradient of ", "hessian": "Hessian of "}[args.of]
    title = f"{what}{_signature(p.names)} = {p.expr.text}  at {_point(p.names, p.values)}"
    g = _run_math(
        lambda: graph(
            fun,
            *p.values,
            adjoints=not args.no_adjoints,
            max_nodes=args.max_nodes,
            title=title,
            rankdir=args.rankdir,
        ),
        "drawing the graph",
    )
    data = p.base("graph")
    data.update({"of": args.of, "equations": g.num_eqns, "collapsed": g.collapsed})
    if args.output is None:
        data["dot"] = g.dot
        return data, [g.dot.rstrip("\n")]
    try:
        path = g.save(args.output)
    except GraphvizNotFoundError as err:
        raise MathError(str(err)) from None
    except (ValueError, RuntimeError, OSError) as err:
        raise MathError(f"writing {args.output} failed: {err}") from None
    data["output"] = str(path)
    return data, [f"wrote {path} ({g!r})"]


def cmd_explain(p: _Problem, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    from funcdiff.tables import explain

    buf = io.StringIO()
    value, grads = _run_math(lambda: explain(p.f, file=buf)(*p.values), "explain")
    if args.json and np.size(value) > MAX_JSON_ELEMENTS:
        raise MathError(
            f"explain --json: the value has {np.size(value):,} elements, more than the "
            f"{MAX_JSON_ELEMENTS:,} --json prints; reduce it (e.g. sum(...)) or drop --json "
            "(the text tables show a summary of each array)"
        )
    text = buf.getvalue().rstrip("\n")
    data = p.base("explain")
    data["value"] = _jsonable(value)
    if grads is not None:
        gs = (grads,) if p.n == 1 else grads
        data["gradient"] = {n: _jsonable(g) for n, g in zip(p.names, gs, strict=True)}
    else:
        data["gradient"] = None
    data["text"] = text
    return data, [f"{_signature(p.names)} = {p.expr.text}", "", text]


_COMMANDS: dict[str, tuple[Callable[[_Problem, argparse.Namespace], Any], str]] = {
    "grad": (cmd_grad, "value and gradient of a scalar expression"),
    "hessian": (cmd_hessian, "Hessian matrix (forward-over-reverse)"),
    "taylor": (cmd_taylor, "second-order Taylor model: value, gradient, Hessian, Newton step"),
    "explain": (cmd_explain, "the lecture's debug tables: every forward value and adjoint"),
    "jaxpr": (cmd_jaxpr, "the traced jaxpr (of f, its gradient or its Hessian)"),
    "graph": (cmd_graph, "the computation graph as Graphviz DOT / SVG / PNG"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m funcdiff``."""
    parser = argparse.ArgumentParser(
        prog="funcdiff",
        description="Derivatives of an expression with funcdiff (JAX-style autodiff on numpy).",
        epilog='example: funcdiff grad "x**cos(x)" --at x=3',
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("demo", help="the lecture's examples", description=demo.__doc__)
    fn_list = ", ".join(FUNCTION_NAMES)
    for name, (_, help_text) in _COMMANDS.items():
        sp = sub.add_parser(
            name,
            help=help_text,
            description=f"{help_text}. Functions: {fn_list}; constants: pi, e.",
            epilog=f'example: funcdiff {name} "x**2 * exp(x + cos(y))" --at x=1,y=2',
        )
        sp.add_argument("expression", help='e.g. "x**cos(x)" or "sum(x**2)"')
        sp.add_argument(
            "--at",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help='a value: --at x=3, --at x=1,y=2, --at "x=[1,2,3]" (repeatable)',
        )
        sp.add_argument("--json", action="store_true", help="print one JSON object")
        if name in ("jaxpr", "graph"):
            sp.add_argument(
                "--of",
                choices=("f", "grad", "hessian"),
                default="f",
                help="trace f (default), its gradient or its Hessian",
            )
        if name == "graph":
            sp.add_argument(
                "-o", "--output", help="write .dot, .svg, .png or .pdf (default: DOT to stdout)"
            )
            sp.add_argument(
                "--max-nodes",
                type=int,
                default=200,
                help=f"collapse above this (at most {MAX_GRAPH_NODES})",
            )
            sp.add_argument("--rankdir", choices=("LR", "TB"), default="LR")
            sp.add_argument("--no-adjoints", action="store_true", help="values only")
    return parser


def _error(message: str, code: int, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"error": message, "exit_code": code}))
    print(f"funcdiff: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    >>> main(["grad", "x**cos(x)", "--at", "x=3"])
    f(x) = x**cos(x)
    at x = 3
    f = 0.337018
    df/dx = -0.163465
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 0
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    if args.command == "demo":
        demo()
        return 0
    if args.command is None:
        parser.print_help()
        return 0
    command = _COMMANDS[args.command][0]
    as_json = bool(args.json)
    try:
        expr = parse_expression(args.expression)
        at = parse_at(args.at)
        names, values = bind_variables(expr, at, allow_missing=args.command == "jaxpr")
        problem = _Problem(expr, names, values)
        data, lines = command(problem, args)
    except UsageError as err:
        return _error(str(err), 2, as_json)
    except MathError as err:
        return _error(str(err), 1, as_json)
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        print("\n".join(lines))
    return 0


__all__ = [
    "CONSTANTS",
    "FUNCTION_NAMES",
    "KEYWORDS",
    "Expression",
    "ExpressionError",
    "MathError",
    "UsageError",
    "bind_variables",
    "build_parser",
    "demo",
    "main",
    "parse_at",
    "parse_expression",
    "parse_value",
]

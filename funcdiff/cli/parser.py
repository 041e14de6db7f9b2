"""``parse_expression``: the whitelist an expression must pass, and its compiler.

The text is parsed with :mod:`ast` (never evaluated), every node is checked
against the whitelist, constant parts are folded with Python's exact
arithmetic (sizes bounded before anything is computed), and the rest is
compiled to the stack program of an :class:`~funcdiff.cli.expr.Expression`.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any

from funcdiff.cli.errors import ExpressionError, UsageError
from funcdiff.cli.expr import FUNCTION_NAMES, Expression

#: Longest expression accepted (characters).
MAX_EXPR_CHARS = 2000
#: Most syntax-tree nodes and deepest nesting accepted.
MAX_AST_NODES = 1000
MAX_AST_DEPTH = 100
#: Largest magnitude of a number written in an expression.
MAX_LITERAL = 1e15
#: Largest magnitude of a constant exponent (``x**1000`` is fine, ``9**9**9`` is not).
MAX_EXPONENT = 1000.0
#: Most elements of a list literal.
MAX_LIST = 1000
#: Most decimal digits of an exact integer constant. Integer constants follow
#: Python's exact arithmetic (``2**64 + 1`` is exact); the size of a product or
#: a power is estimated before it is computed, so ``(10**15)**1000`` is refused
#: at once instead of being built.
MAX_INT_DIGITS = 3000

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


#: Names from other notations, with funcdiff's spelling (a hint in the error).
_ALIASES = {
    "ln": "log",
    "asin": "arcsin",
    "acos": "arccos",
    "atan": "arctan",
    "atan2": "arctan2",
    "asinh": "arcsinh",
    "acosh": "arccosh",
    "atanh": "arctanh",
    "pow": "power (or **)",
    "fabs": "abs",
}

#: ``2x``, ``3.5y``, ``2(x+1)``: a number written right before a name or "(".
_IMPLICIT_PRODUCT = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?)\s*([A-Za-z_(])")


def _syntax_hint(source: str) -> str:
    """A hint for a common syntax slip (implicit products), or ""."""
    m = _IMPLICIT_PRODUCT.search(source)
    if m is not None and not re.fullmatch(r"[eEjJ]", m.group(2)):
        num, nxt = m.group(1), m.group(2)
        return f"; write products with *, e.g. {num}*{nxt if nxt != '(' else '(...)'}"
    return ""


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
    funcdiff.cli.errors.ExpressionError: calling anything but a plain function name ...
    >>> parse_expression("9**9**9")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    funcdiff.cli.errors.ExpressionError: the exponent 387420489 is too large ...
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
            + _syntax_hint(text.strip())
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
            if isinstance(node.op, ast.BitXor):
                raise _refuse("^ is not a power here: write x**2 for x squared", node, hint=False)
            raise _refuse(f"the operator {type(node.op).__name__} is not allowed", node)
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise _refuse(f"the unary operator {type(node.op).__name__} is not allowed", node)
        return [node.operand]
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Constant):  # 2(x + 1)
                raise _refuse(
                    "a number cannot be called: write products with *, e.g. 2*(x + 1)",
                    node,
                    hint=False,
                )
            raise _refuse("calling anything but a plain function name is not allowed", node)
        fname = node.func.id
        if fname not in funcs:
            if fname in _ALIASES:
                raise _refuse(
                    f"the function {fname!r} is spelled {_ALIASES[fname]} here", node, hint=False
                )
            raise _refuse(f"the function {fname!r} is not allowed", node)
        if fname in ("max", "min") and len(node.args) == 2:
            wise = "maximum" if fname == "max" else "minimum"
            raise _refuse(
                f"{fname}(a, b) is ambiguous: for the element-wise {wise} of a and b "
                f"write {wise}(a, b), e.g. {wise}(x, 0); for the {fname} of a along an "
                f"axis write {fname}(a, axis=b)",
                node,
                hint=False,
            )
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


def excerpt(node: ast.AST, source: str) -> str:
    seg = ast.get_source_segment(source, node) or "?"
    return seg if len(seg) <= 40 else seg[:37] + "..."


def _check_digits(digits: int, node: ast.AST, source: str) -> None:
    if digits > MAX_INT_DIGITS:
        raise _refuse(
            f"the constant {excerpt(node, source)} is too large: an exact integer of about "
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
        f"the constant {excerpt(node, source)} overflows float64"
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
            f"division by zero in the constant {excerpt(node, source)}", node, hint=False
        ) from None
    except OverflowError:
        raise _overflow(None, node, source) from None
    if isinstance(r, complex):
        raise _refuse(
            f"the constant {excerpt(node, source)} is not a real number "
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


__all__ = ["CONSTANTS", "KEYWORDS", "parse_expression"]

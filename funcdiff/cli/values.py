"""``--at`` values: numbers and lists of numbers, bound to an expression's variables."""

from __future__ import annotations

import ast
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcdiff.cli.errors import UsageError
from funcdiff.cli.expr import Expression
from funcdiff.cli.parser import excerpt

#: Most numbers all --at values may hold together.
MAX_INPUT_ELEMENTS = 10_000


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
                    f"the number {excerpt(node, text.strip())} in the --at value overflows float64 "
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


__all__ = ["MAX_INPUT_ELEMENTS", "bind_variables", "parse_at", "parse_value"]

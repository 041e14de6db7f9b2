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
compiled to a small stack program and run by a small interpreter; Python's
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

The rooms: :mod:`~funcdiff.cli.parser` (the whitelist and the compiler),
:mod:`~funcdiff.cli.expr` (the stack program and its interpreter),
:mod:`~funcdiff.cli.values` (``--at``), :mod:`~funcdiff.cli.commands` (the
subcommands), :mod:`~funcdiff.cli.output` (text and JSON), and here the
argument parser and :func:`main`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from funcdiff.cli.commands import COMMANDS, MAX_GRAPH_NODES, Problem, demo
from funcdiff.cli.errors import ExpressionError, MathError, UsageError
from funcdiff.cli.expr import FUNCTION_NAMES, Expression
from funcdiff.cli.parser import CONSTANTS, KEYWORDS, parse_expression
from funcdiff.cli.values import bind_variables, parse_at, parse_value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m funcdiff``."""
    parser = argparse.ArgumentParser(
        prog="funcdiff",
        description="Derivatives of an expression with funcdiff (JAX-style autodiff on numpy).",
        epilog='example: funcdiff grad "x**cos(x)" --at x=3',
    )
    from funcdiff import __version__

    parser.add_argument("--version", action="version", version=f"funcdiff {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("demo", help="the lecture's examples", description=demo.__doc__)
    fn_list = ", ".join(FUNCTION_NAMES)
    for name, (_, help_text) in COMMANDS.items():
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
        if name in ("graph", "explain"):
            sp.add_argument(
                "--notation",
                choices=("lecture", "raw"),
                default="lecture",
                help="operations as the lecture writes them (x ** 2, a * b; default) "
                "or as the jaxpr's primitives (integer_pow[y=2], mul)",
            )
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
    command = COMMANDS[args.command][0]
    as_json = bool(args.json)
    try:
        expr = parse_expression(args.expression)
        at = parse_at(args.at)
        names, values = bind_variables(expr, at, allow_missing=args.command == "jaxpr")
        problem = Problem(expr, names, values)
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

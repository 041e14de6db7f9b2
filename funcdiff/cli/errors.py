"""The CLI's two kinds of failure: bad input (exit code 2) and failed math (exit code 1)."""

from __future__ import annotations


class UsageError(Exception):
    """Bad command-line input (exit code 2)."""


class ExpressionError(UsageError):
    """An expression outside the whitelist, refused before anything runs.

    >>> from funcdiff.cli import parse_expression
    >>> parse_expression("x.__class__")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    funcdiff.cli.errors.ExpressionError: attribute access '.__class__' is not allowed ...
    """


class MathError(Exception):
    """The expression is valid but the requested math failed (exit code 1)."""


__all__ = ["ExpressionError", "MathError", "UsageError"]

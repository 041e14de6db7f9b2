"""Numbers and arrays in a few characters, as a student writes them (the
values in the graph drawings and the explain tables)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcdiff.core.primitive import Zero
from funcdiff.core.trace import Tracer


def format_number(x: Any, digits: int = 6) -> str:
    """A number as a student writes it: 6 decimals, trailing zeros dropped.

    >>> format_number(-0.16346487), format_number(3.0), format_number(2.5e-9)
    ('-0.163465', '3', '2.5e-09')
    """
    v = np.asarray(x).item() if not isinstance(x, (int, float, bool, complex)) else x
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, complex):
        return f"({format_number(v.real, digits)}{'+' if v.imag >= 0 else '-'}"
        f"{format_number(abs(v.imag), digits)}j)"
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0.0:
        return "0"
    if 10.0 ** (-3) <= abs(v) < 1e7:
        s = f"{v:.{digits}f}"
        if "." in s:
            s = s.rstrip("0").rstrip(".")
        return s
    mant, exp = f"{v:.{digits - 1}e}".split("e")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{exp}"


def format_value(x: Any, max_items: int = 4, digits: int = 6) -> str:
    """A value in a few characters: numbers in full, arrays by a few entries.

    1-D arrays show their entries (the first ones and the last when there are
    more than ``max_items``); higher-rank arrays are shown flattened, after
    their shape.

    >>> format_value(3.0), format_value(np.array([1.0, 2.5, 3.0]))
    ('3', '[1, 2.5, 3]')
    >>> format_value(np.arange(10.0)), format_value(np.ones((2, 3)))
    ('[0, 1, 2, ..., 9] (10 values)', '2x3 [1, 1, 1, ..., 1]')
    """
    if isinstance(x, Zero):
        return "0"
    if isinstance(x, Tracer):
        val = x.val
        while isinstance(val, Tracer):
            val = val.val
        if val is None:
            return f"<traced {x.aval.str_short()}>"
        x = val
    arr = np.asarray(x)
    if arr.ndim == 0:
        return format_number(arr, digits)
    flat = arr.reshape(-1)
    n = flat.shape[0]
    if n <= max_items:
        items = [format_number(v, digits) for v in flat]
    else:
        head = max(1, max_items - 1)
        items = [format_number(v, digits) for v in flat[:head]]
        items += ["...", format_number(flat[-1], digits)]
    body = f"[{', '.join(items)}]"
    if arr.ndim == 1:
        return body if n <= max_items else f"{body} ({n} values)"
    return f"{'x'.join(map(str, arr.shape))} {body}"


def format_sum(terms: Sequence[Any], max_items: int = 4) -> str:
    """``a + b + c`` (scalars: ``a - b`` for a negative b) for a fan-out sum.

    >>> format_sum([-0.109735, -0.05373])
    '-0.109735 - 0.05373'
    """
    parts: list[str] = []
    for i, t in enumerate(terms):
        s = format_value(t, max_items)
        if i and s.startswith("-") and np.ndim(_plain(t)) == 0:
            parts.append(f"- {s[1:]}")
        elif i:
            parts.append(f"+ {s}")
        else:
            parts.append(s)
    return " ".join(parts)


def _plain(x: Any) -> Any:
    return 0.0 if isinstance(x, Zero) else x


__all__ = ["format_number", "format_sum", "format_value"]

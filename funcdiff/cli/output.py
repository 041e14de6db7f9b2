"""How the commands print: numbers as a student writes them, matrices with
labelled rows and columns, and arrays as JSON (inf and nan as strings)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def jsonable(x: Any) -> Any:
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


def fmt(x: Any) -> str:
    from funcdiff.see import format_number

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


def entry_labels(names: Sequence[str], values: Sequence[np.ndarray]) -> list[str]:
    """Flat labels: ``x`` for a scalar, ``x[0]``, ``x[1, 2]`` for array entries."""
    out = []
    for n, v in zip(names, values, strict=True):
        if v.ndim == 0:
            out.append(n)
        else:
            for idx in np.ndindex(*v.shape):
                out.append(f"{n}[{', '.join(map(str, idx))}]")
    return out


def matrix_text(m: np.ndarray, labels: Sequence[str], indent: str = "  ") -> list[str]:
    cells = [[fmt(v) for v in row] for row in m]
    w = max([len(lab) for lab in labels] + [len(c) for row in cells for c in row] + [1])
    lw = max(len(lab) for lab in labels)
    head = indent + " " * (lw + 2) + "  ".join(lab.rjust(w) for lab in labels)
    rows = [
        indent + lab.ljust(lw) + "  " + "  ".join(c.rjust(w) for c in row)
        for lab, row in zip(labels, cells, strict=True)
    ]
    return [head, *rows]


def signature(names: Sequence[str]) -> str:
    return f"f({', '.join(names)})"


def point(names: Sequence[str], values: Sequence[np.ndarray]) -> str:
    return ", ".join(f"{n} = {fmt(v)}" for n, v in zip(names, values, strict=True))


__all__ = ["entry_labels", "fmt", "jsonable", "matrix_text", "point", "signature"]

"""Write examples/notebooks/lecture.ipynb (without outputs) from the cells below.

    python examples/notebooks/make_lecture_notebook.py

The notebook is the lecture's path through funcdiff in a notebook: the
gradient and Hessian at the lecture's point, the quadratic Taylor model,
the jaxpr, the forward and backward tables, the computation graph and an
optimizer run, each shown the way a notebook displays it.
tests/tools/test_notebook.py executes it (nbclient) and checks its outputs;
a test also checks this file and the notebook agree.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "lecture.ipynb"

CELLS: list[tuple[str, str]] = [
    (
        "markdown",
        "# The lecture in a notebook\n\n"
        "The function of the lecture, $f(x, y) = x^2 e^{x + \\cos y}$, at the point "
        "$(x, y) = (1, 2)$: its gradient, Hessian and quadratic Taylor model, the "
        "computation graph funcdiff traces, and the forward and backward passes.",
    ),
    (
        "code",
        "import numpy as np\n"
        "\n"
        "import funcdiff as fd\n"
        "import funcdiff.numpy as fnp\n"
        "\n"
        "\n"
        "def f(v):\n"
        "    x, y = v[0], v[1]\n"
        "    return x**2 * fnp.exp(x + fnp.cos(y))\n"
        "\n"
        "\n"
        "p = np.array([1.0, 2.0])\n"
        'print("f(p) =", round(float(f(p)), 6))\n'
        'print("grad f(p) =", np.round(fd.grad(f)(p), 6))',
    ),
    ("markdown", "The Hessian, forward-over-reverse:"),
    ("code", "np.round(fd.hessian(f)(p), 6)"),
    (
        "markdown",
        "The quadratic Taylor model at `p`: value, gradient, Hessian, its "
        "eigenvalues and whether the model is convex.",
    ),
    ("code", "model = fd.taylor2(f)(p)\nmodel"),
    ("markdown", "What funcdiff traced: the jaxpr of `f` (one line per operation)."),
    ("code", "fd.make_jaxpr(f)(p)"),
    ("markdown", "The forward and backward passes, as the lecture's tables:"),
    (
        "code",
        "def f_xy(x, y):\n"
        "    return x**2 * fnp.exp(x + fnp.cos(y))\n"
        "\n"
        "\n"
        "value, (gx, gy) = fd.explain(f_xy)(1.0, 2.0)",
    ),
    ("markdown", "The computation graph with values and adjoints:"),
    ("code", "fd.see.graph(f_xy, 1.0, 2.0)"),
    (
        "markdown",
        "Minimizing Rosenbrock's function with Newton's method: the result "
        "shows a summary and the last iterations.",
    ),
    (
        "code",
        "from funcdiff.optimize import minimize\n"
        "\n"
        "\n"
        "def rosen(v):\n"
        "    return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2\n"
        "\n"
        "\n"
        'res = minimize(rosen, np.array([-1.2, 1.0]), method="newton")\n'
        "res",
    ),
]


def notebook() -> dict[str, object]:
    """The notebook as nbformat 4 JSON (no outputs)."""
    cells = []
    for i, (kind, text) in enumerate(CELLS):
        cell: dict[str, object] = {
            "cell_type": kind,
            "id": f"cell-{i}",
            "metadata": {},
            "source": text.splitlines(keepends=True),
        }
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def text() -> str:
    return json.dumps(notebook(), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    NOTEBOOK.write_text(text(), encoding="utf-8")
    print(f"wrote {NOTEBOOK}")

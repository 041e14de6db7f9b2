"""The lecture notebook (examples/notebooks/lecture.ipynb) runs from top to
bottom in a real Jupyter kernel (nbclient), and each cell shows what a
notebook user should see: numbers equal to funcdiff's and the analytic
ones, and rich displays (HTML tables, the highlighted jaxpr, the graph)."""

from __future__ import annotations

import html
import importlib.util
import math
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
NB_DIR = ROOT / "examples" / "notebooks"

needs_kernel = pytest.mark.skipif(
    importlib.util.find_spec("nbclient") is None or importlib.util.find_spec("ipykernel") is None,
    reason="nbclient and ipykernel are not installed (pip install 'funcdiff[dev]')",
)


def test_notebook_file_is_generated_from_its_script() -> None:
    sys.path.insert(0, str(NB_DIR))
    try:
        import make_lecture_notebook as maker
    finally:
        sys.path.remove(str(NB_DIR))
    assert (NB_DIR / "lecture.ipynb").read_text(encoding="utf-8") == maker.text(), (
        "examples/notebooks/lecture.ipynb is out of date: run "
        "python examples/notebooks/make_lecture_notebook.py"
    )


@pytest.fixture(scope="module")
def executed() -> list[dict[str, Any]]:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NB_DIR / "lecture.ipynb", as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    return [c for c in nb.cells if c.cell_type == "code"]


def _text(cell: dict[str, Any]) -> str:
    parts = []
    for out in cell["outputs"]:
        if out.get("name") == "stdout":
            parts.append(out["text"])
        elif "data" in out and "text/plain" in out["data"]:
            parts.append(out["data"]["text/plain"])
    return "".join(parts)


def _html(cell: dict[str, Any]) -> str:
    for out in cell["outputs"]:
        if "data" in out and "text/html" in out["data"]:
            return str(out["data"]["text/html"])
    raise AssertionError(f"no HTML output in cell {cell['source'][:40]!r}")


def _f(x: float, y: float) -> float:
    return x**2 * math.exp(x + math.cos(y))


@needs_kernel
def test_cells_run_without_errors(executed: list[dict[str, Any]]) -> None:
    for cell in executed:
        assert all(o["output_type"] != "error" for o in cell["outputs"]), cell["source"]


@needs_kernel
def test_gradient_and_hessian_cells_show_the_analytic_values(
    executed: list[dict[str, Any]],
) -> None:
    x, y = 1.0, 2.0
    e = math.exp(x + math.cos(y))
    gx, gy = (2 * x + x**2) * e, -(x**2) * math.sin(y) * e
    out = _text(executed[0])
    assert f"f(p) = {round(_f(x, y), 6)}" in out
    nums = [float(t) for t in re.findall(r"-?\d+\.\d+", out.split("grad f(p) =")[1])]
    np.testing.assert_allclose(nums, [gx, gy], atol=1e-6)
    hxx = (2 + 4 * x + x**2) * e
    hxy = -(2 * x + x**2) * math.sin(y) * e
    hyy = x**2 * (math.sin(y) ** 2 - math.cos(y)) * e
    H = [float(t) for t in re.findall(r"-?\d+\.\d+", _text(executed[1]))]
    np.testing.assert_allclose(H, [hxx, hxy, hxy, hyy], atol=1e-6)


@needs_kernel
def test_rich_displays(executed: list[dict[str, Any]]) -> None:
    model = html.unescape(re.sub(r"<[^>]+>", " ", _html(executed[2])))
    assert "QuadraticModel" in model and "eigenvalues" in model and "convex" in model
    assert f"{_f(1.0, 2.0):.10g}" in model
    jaxpr = _html(executed[3])
    assert ">integer_pow</span>" in jaxpr and ">exp</span>" in jaxpr and "<pre" in jaxpr
    tables = _text(executed[4])
    assert "Forward pass" in tables and "= x ** 2" in tables and "Backward pass" in tables
    graph = executed[5]["outputs"][0]["data"]
    assert "image/svg+xml" in graph or "text/html" in graph  # SVG with Graphviz, else a hint
    result = _html(executed[6])
    assert "OptimizeResult" in result and "&#10004;" in result  # converged
    assert len(result) < 5000

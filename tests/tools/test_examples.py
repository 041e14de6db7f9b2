"""Every example runs in its fast mode, writes valid pictures and gets its numbers right.

Each ``examples/NAME.py`` exposes ``main(argv) -> int``; it is loaded from its
file and run in-process with ``--out`` pointing into ``tmp_path``.
Graph drawings (SVG/PNG) need Graphviz's ``dot``; without it the lecture
example writes DOT text, which is checked instead.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HAS_DOT = shutil.which("dot") is not None


def load(name: str) -> ModuleType:
    if str(EXAMPLES) not in sys.path:  # examples import their sibling _common.py
        sys.path.insert(0, str(EXAMPLES))
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"funcdiff_example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def run(name: str, out: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    if name != "lecture":
        pytest.importorskip("matplotlib")
    code = load(name).main(["--out", str(out), *args])
    printed = capsys.readouterr().out
    assert code == 0, f"examples/{name}.py exited with {code}:\n{printed[-3000:]}"
    return printed


def assert_png(path: Path) -> None:
    assert path.is_file(), f"{path} was not written"
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    assert len(data) > 2000, f"{path} is suspiciously small ({len(data)} bytes)"


def assert_svg(path: Path) -> None:
    assert path.is_file(), f"{path} was not written"
    head = path.read_bytes()[:2000]
    assert head.startswith(b"<?xml") or b"<svg" in head, f"{path} is not an SVG"
    assert b"</svg>" in path.read_bytes()[-200:], f"{path} is truncated"


def test_every_example_has_a_test() -> None:
    found = {p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_")}
    assert found == {
        "lecture",
        "level_sets",
        "mlp_digits",
        "optimizers",
        "scipy_hessp",
        "sharded_hvp",
    }


def test_lecture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    printed = run("lecture", tmp_path, capsys)
    assert "dz/dx at 3 = -0.163465" in printed
    assert "dz/dx = -0.111215 - 0.05225 = -0.163465" in printed  # fan-out sum
    assert "Every derivative agrees with its analytic form." in printed
    assert "MISMATCH" not in printed
    for stem in ("x_pow_cos_graph", "f2_graph", "f3_graph"):
        if HAS_DOT:
            assert_svg(tmp_path / f"{stem}.svg")
            assert_png(tmp_path / f"{stem}.png")
            svg = (tmp_path / "x_pow_cos_graph.svg").read_text().replace("&#45;", "-")
            assert "-0.163465" in svg
        else:
            dot = tmp_path / f"{stem}.dot"
            assert dot.is_file() and dot.read_text().startswith("digraph")


def test_lecture_without_graphviz(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    printed = run("lecture", tmp_path, capsys)
    assert "install Graphviz" in printed
    assert (tmp_path / "x_pow_cos_graph.dot").read_text().startswith("digraph")
    assert not (tmp_path / "x_pow_cos_graph.svg").exists()


def test_level_sets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    printed = run("level_sets", tmp_path, capsys)
    for name in ("rosenbrock", "himmelblau", "saddle", "bowl", "rosenbrock_slice"):
        assert_png(tmp_path / f"{name}.png")
    assert "H = [[1330.  480.]" in printed  # Rosenbrock's Hessian at (-1.2, 1)
    assert "the model is a saddle (indefinite)" in printed


def test_mlp_digits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sklearn")
    printed = run("mlp_digits", tmp_path, capsys)
    match = re.search(r"test accuracy: ([0-9.]+)", printed)
    assert match is not None, printed[-2000:]
    assert float(match.group(1)) >= 0.95
    assert "dJ/dW1 (64, 128)" in printed and "dJ/dx (8, 64)" in printed
    assert printed.count("epoch ") >= 10  # one progress line per epoch
    assert_png(tmp_path / "loss_curve.png")


def test_optimizers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sklearn")
    printed = run("optimizers", tmp_path, capsys)
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(r"^  (gd|bfgs|newton|trust-region)\s.*$", printed, re.M)
    }
    assert set(rows) == {"gd", "bfgs", "newton", "trust-region"}
    assert "Newton, trust region and BFGS converged on both problems." in printed
    # Newton on Rosenbrock from (-1.2, 1): 21 iterations (the textbook count)
    assert re.search(r"^  newton\s+21\s", printed, re.M), printed
    for name in ("rosenbrock_paths", "rosenbrock_convergence", "logistic_convergence"):
        assert_png(tmp_path / f"{name}.png")


def test_scipy_hessp(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("scipy")
    printed = run("scipy_hessp", tmp_path, capsys)
    assert "The Hessian-vector-product methods converged." in printed
    iters = {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"^  (trust-ncg|bfgs)\s+\w+\s+(\d+)", printed, re.M)
    }
    assert iters["trust-ncg"] * 5 < iters["bfgs"], printed  # exact curvature pays
    assert_png(tmp_path / "rosenbrock_convergence.png")


def test_sharded_hvp(capsys: pytest.CaptureFixture[str]) -> None:
    # in-process, on whatever devices JAX already has; tests/backends/test_sharding.py
    # runs it on 8 simulated devices in a fresh process
    pytest.importorskip("jax")
    code = load("sharded_hvp").main(["--n", "8", "--batch", "16"])
    printed = capsys.readouterr().out
    assert code == 0, printed[-3000:]
    assert "Sharded results agree with one device and the numpy backend." in printed
    assert "hvp    output (16, 8)" in printed

"""Every ```python block in README.md and docs/*.md runs, in order, per file.

A ```python block followed directly by a ```text block must print exactly
that text (trailing whitespace ignored). Blocks tagged ```python no-run are
skipped (shell-dependent snippets). A page with a line
``<!-- requires: MODULE -->`` is skipped when MODULE (an optional
dependency such as jax) is not installed.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "PYPI.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"```(\w[\w -]*)?\n(.*?)```", re.S)
REQUIRES = re.compile(r"^<!-- requires: ([\w.]+) -->$", re.M)


def blocks(path: Path) -> list[tuple[str, str, str | None]]:
    """(tag, code, expected output or None) for each python block."""
    found = [(m.group(1) or "", m.group(2)) for m in FENCE.finditer(path.read_text())]
    out = []
    for i, (tag, code) in enumerate(found):
        if tag.strip() != "python":
            continue
        expected = None
        if i + 1 < len(found) and found[i + 1][0].strip() == "text":
            expected = found[i + 1][1]
        out.append((tag, code, expected))
    return out


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_doc_code_blocks_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for module in REQUIRES.findall(path.read_text()):
        pytest.importorskip(module)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__doc__"}
    saved = np.get_printoptions()  # pages may set print options: do not leak them
    try:
        _run_blocks(path, namespace)
    finally:
        np.set_printoptions(**saved)


def _run_blocks(path: Path, namespace: dict[str, object]) -> None:
    for k, (_, code, expected) in enumerate(blocks(path)):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(code, f"{path.name}[block {k}]", "exec"), namespace)
        if expected is not None:
            got = "\n".join(line.rstrip() for line in buf.getvalue().strip().splitlines())
            want = "\n".join(line.rstrip() for line in expected.strip().splitlines())
            assert got == want, f"{path.name} block {k} printed:\n{got}\nexpected:\n{want}"


def test_package_index_description_links_nothing_relative() -> None:
    """PYPI.md is what a package index shows (pyproject's ``readme``): an index
    cannot resolve links to the repository's files, so it has none."""
    text = (ROOT / "PYPI.md").read_text(encoding="utf-8")
    assert 'readme = "PYPI.md"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    relative = re.findall(r"!?\[[^\]]*\]\((?!https?://)([^)]+)\)", text)
    assert relative == [], relative

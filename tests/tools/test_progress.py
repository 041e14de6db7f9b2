"""Progress bars: the text fallback, tqdm's bar, and where they are used
(optimizers, chunked Jacobians and Hessians). Off by default: nothing is
written unless ``progress=True``."""

from __future__ import annotations

import io
import re
import sys
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.core import progress as prog
from funcdiff.core.progress import TextProgress, progress
from funcdiff.optimize import minimize


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_text_bar_in_a_log_writes_whole_lines() -> None:
    out = io.StringIO()
    bar = TextProgress(10, "work", file=out, interval=0.0)
    for _ in range(10):
        bar.update()
    bar.set_postfix("f=0.5")
    bar.close()
    bar.close()  # a second close draws nothing more
    lines = out.getvalue().splitlines()
    assert len(lines) == 12  # the start, one per update, the final state
    assert lines[0].startswith("work:   0%|                    | 0/10 [")
    assert lines[1].startswith("work:  10%|##                  | 1/10 [")
    assert re.match(r"work: 100%\|#{20}\| 10/10 \[\d\d:\d\d<00:00\] f=0.5$", lines[-1])
    assert "\r" not in out.getvalue()


def test_text_bar_in_a_log_is_quiet_between_intervals() -> None:
    out = io.StringIO()
    with TextProgress(1000, "quiet", file=out, interval=3600.0) as bar:
        for _ in range(1000):
            bar.update()
    assert out.getvalue().splitlines() == [out.getvalue().strip()]  # the final line only
    assert "1000/1000" in out.getvalue()


def test_text_bar_on_a_terminal_redraws_in_place() -> None:
    out = _Tty()
    bar = TextProgress(None, "scan", file=out, interval=0.0)  # total unknown
    bar.update(3)
    bar.close()
    text = out.getvalue()
    assert text.startswith("\rscan: 0 [") and text.endswith("\n")
    assert text.count("\n") == 1 and "\rscan: 3 [" in text


def test_disabled_bar_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with progress(5, "off") as bar:
        bar.update()
        bar.set_postfix("x")
    res = minimize(lambda x: fnp.sum((x - 1.0) ** 2), np.zeros(3), method="newton")
    H = fd.hessian(lambda x: fnp.sum(x**3), chunk_size=2)(np.ones(5))
    assert res.success and np.allclose(H, 6 * np.eye(5))
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_fallback_without_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails
    assert isinstance(progress(3, "x", enabled=True), TextProgress)


def test_tqdm_bar_when_installed() -> None:
    pytest.importorskip("tqdm")
    bar = progress(3, "x", enabled=True)
    assert type(bar).__name__ == "_Tqdm"
    bar.update(3)
    bar.set_postfix("done")
    bar.close()


def _text_bars(monkeypatch: pytest.MonkeyPatch) -> list[TextProgress]:
    """Make every enabled bar a TextProgress writing to a buffer; return them."""
    made: list[TextProgress] = []

    def make(total: int | None, desc: str, enabled: bool = False) -> Any:
        if not enabled:
            return prog._OFF
        bar = TextProgress(total, desc, file=io.StringIO(), interval=0.0)
        made.append(bar)
        return bar

    monkeypatch.setattr("funcdiff.optimize._loop.progress_bar", make)
    monkeypatch.setattr("funcdiff.api.progress_bar", make)
    return made


def test_optimizer_progress_counts_iterations(monkeypatch: pytest.MonkeyPatch) -> None:
    bars = _text_bars(monkeypatch)
    res = minimize(
        lambda x: fnp.sum((x - 3.0) ** 4), np.zeros(2), method="gd", maxiter=40, progress=True
    )
    (bar,) = bars
    assert bar.total == 40 and bar.n == res.nit and bar.closed
    assert f"f={res.fun:.6g}" in bar.text()


@pytest.mark.parametrize("transform", [fd.hessian, fd.jacfwd, fd.jacrev])
def test_chunked_jacobians_count_chunks(monkeypatch: pytest.MonkeyPatch, transform: Any) -> None:
    bars = _text_bars(monkeypatch)

    def f(x: Any) -> Any:
        return fnp.sum(fnp.sin(x) * x) if transform is fd.hessian else fnp.sin(x) * x[0]

    x = np.linspace(0.1, 1.0, 10)
    got = transform(f, chunk_size=3, progress=True)(x)
    want = transform(f)(x)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    (bar,) = bars
    assert bar.total == 4 and bar.n == 4 and bar.closed  # ceil(10 / 3) chunks

"""Progress bars for long work: optimizers, chunked Hessians and Jacobians,
training loops.

``progress(total, desc, enabled)`` returns a bar with ``update(n)``,
``set_postfix(text)`` and ``close()`` (also a context manager). Off
(``enabled=False``, the default of every library call) it is a do-nothing
object, so a loop pays one method call per step. On, it is ``tqdm``'s bar
when tqdm is installed (``tqdm.auto``: a widget in notebooks, text in a
terminal) and otherwise a plain text bar on standard error, redrawn in
place on a terminal and printed as a line at most every few seconds
elsewhere (a log file stays short).
"""

from __future__ import annotations

import importlib
import sys
import time
from types import TracebackType
from typing import IO, Any

__all__ = ["Progress", "progress"]


class Progress:
    """A bar that shows nothing: the interface every bar has."""

    def update(self, n: int = 1) -> None:
        """``n`` more steps done."""

    def set_postfix(self, text: str) -> None:
        """A short status shown after the count (e.g. ``f=1.2e-3``)."""

    def close(self) -> None:
        """The work is over: draw the final state and end the line."""

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _duration(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class TextProgress(Progress):
    """The fallback bar: ``desc: 45%|#####     | 45/100 [00:02<00:03] f=1.2``."""

    WIDTH = 20

    def __init__(
        self,
        total: int | None,
        desc: str,
        file: IO[str] | None = None,
        interval: float | None = None,
    ) -> None:
        self.total = total
        self.desc = desc
        self.file = sys.stderr if file is None else file
        self.tty = bool(getattr(self.file, "isatty", lambda: False)())
        # redraw in place on a terminal; a new line at most every few seconds elsewhere
        self.interval = (0.1 if self.tty else 5.0) if interval is None else interval
        self.n = 0
        self.postfix = ""
        self.t0 = time.perf_counter()
        self.closed = False
        # a terminal shows the empty bar at once; a log gets its first line after
        # ``interval`` (a short loop writes one line, its final state)
        self.last = -float("inf") if self.tty else self.t0
        self._draw()

    def text(self) -> str:
        """The bar as one line of text."""
        elapsed = time.perf_counter() - self.t0
        if self.total:
            frac = min(self.n / self.total, 1.0)
            full = int(frac * self.WIDTH)
            bar = "#" * full + " " * (self.WIDTH - full)
            eta = elapsed / self.n * (self.total - self.n) if self.n else 0.0
            head = f"{self.desc}: {frac:4.0%}|{bar}| {self.n}/{self.total}"
            times = f"[{_duration(elapsed)}<{_duration(eta)}]"
        else:
            head = f"{self.desc}: {self.n}"
            times = f"[{_duration(elapsed)}]"
        return f"{head} {times}" + (f" {self.postfix}" if self.postfix else "")

    def _draw(self, final: bool = False) -> None:
        now = time.perf_counter()
        if not final and now - self.last < self.interval:
            return
        self.last = now
        if self.tty:
            end = "\n" if final else ""
            self.file.write("\r" + self.text() + end)
        else:
            self.file.write(self.text() + "\n")
        self.file.flush()

    def update(self, n: int = 1) -> None:
        self.n += n
        self._draw()

    def set_postfix(self, text: str) -> None:
        self.postfix = text

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._draw(final=True)


class _Tqdm(Progress):
    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def update(self, n: int = 1) -> None:
        self.bar.update(n)

    def set_postfix(self, text: str) -> None:
        self.bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        self.bar.close()


_OFF = Progress()


def progress(total: int | None, desc: str, enabled: bool = False) -> Progress:
    """A progress bar over ``total`` steps (None: unknown), or one that shows
    nothing when ``enabled`` is False.

    ``tqdm`` draws it when installed (``pip install tqdm``); otherwise a
    plain text bar is written to standard error.

    >>> with progress(3, "work", enabled=False) as bar:
    ...     for _ in range(3):
    ...         bar.update()
    >>> import io
    >>> out = io.StringIO()
    >>> bar = TextProgress(4, "newton", file=out, interval=0.0)
    >>> bar.update(2); bar.set_postfix("f=0.5"); bar.close()
    >>> out.getvalue().splitlines()[-1].startswith("newton:  50%|##########          | 2/4")
    True
    """
    if not enabled:
        return _OFF
    try:
        # an optional extra; imported by name, so type checkers need no stubs for it
        tqdm_auto: Any = importlib.import_module("tqdm.auto")
    except ImportError:
        return TextProgress(total, desc)
    return _Tqdm(tqdm_auto.tqdm(total=total, desc=desc, leave=True))

"""Python's cyclic garbage collector paused while a transform runs.

An eager ``grad(f)(x)`` records every operation of ``f``: tracers,
variables, equations and the forward values stay alive until the backward
pass has read them. To CPython's collector these are thousands of young
container objects that survive: every 700 allocations it scans the young
ones, and their survival promotes them until a full collection runs, which
walks *every* object of the process. In a session holding a large heap (JAX,
torch, pandas or a big model loaded) one such collection costs far more than
the derivative itself, so the same call took 20 ms or 200 ms depending on
what else the process held.

funcdiff creates no reference cycles (a test checks every transform for
cyclic garbage), so everything it allocates is freed by reference counting
the moment it is no longer needed, and the collector has nothing to find in
it. ``paused_gc`` disables the collector for the duration of an outermost
transform call and re-enables it on the way out, if it was enabled; cyclic
garbage the user's own function makes is collected as usual once the call
returns (the collector's allocation count keeps running while it is paused,
so the first allocation after the call triggers the collection it missed).

The collector is process-wide: a lock-protected count of the calls running
in any thread decides when it is paused and resumed, so concurrent calls
from several threads and nested transforms compose.

>>> import gc, funcdiff as fd, funcdiff.numpy as fnp
>>> seen = []
>>> _ = fd.grad(lambda x: seen.append(gc.isenabled()) or fnp.sin(x))(1.0)
>>> seen, gc.isenabled()
([False], True)
"""

from __future__ import annotations

import gc
import threading
from types import TracebackType

__all__ = ["paused_gc"]

_lock = threading.Lock()
_depth = 0  # transform calls running, in all threads
_resume = False  # whether the collector was enabled when the first one began


class paused_gc:
    """Within the block, the cyclic garbage collector does not run (see the
    module docstring)."""

    __slots__ = ()

    def __enter__(self) -> None:
        global _depth, _resume
        with _lock:
            if _depth == 0:
                _resume = gc.isenabled()
                if _resume:
                    gc.disable()
            _depth += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        global _depth
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()

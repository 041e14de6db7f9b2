"""Helpers shared by the examples (imported as a sibling module)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """BLAS threads cost more than they bring on matrices this small (and spin
    when the cores are busy), so use one while the example runs, if threadpoolctl
    (a scikit-learn dependency) is there."""
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:
        yield
        return
    with threadpool_limits(1, user_api="blas"):
        yield

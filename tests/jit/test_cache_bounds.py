"""funcdiff's caches of compiled code stay bounded in entries and in bytes:
a long loop over changing shapes and structures keeps memory flat, and
``clear_caches`` empties them all."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.core.lru import LRUCache
from funcdiff.interpreters import compiled, staging


def chain(k: int) -> Any:
    def f(x: Any) -> Any:
        for i in range(k):
            x = fnp.sin(x) * (1.0 + 0.01 * i)
        return fnp.sum(x * x)

    return f


def test_lru_bounds_entries_and_bytes() -> None:
    dropped: list[int] = []
    c: LRUCache[int, bytes] = LRUCache(
        "test", max_entries=3, max_bytes=10, sizeof=len, on_drop=lambda: dropped.append(1)
    )
    for i in range(5):
        c.put(i, b"abc")
    assert list(c.keys()) == [2, 3, 4] and c.nbytes == 9 and len(dropped) == 2
    c.put(9, b"0123456789ab")  # alone larger than max_bytes: kept, the rest dropped
    assert list(c.keys()) == [9] and c.nbytes == 12
    assert c.get(1) is None and c.get(9) == b"0123456789ab"
    c.clear()
    assert len(c) == 0 and c.nbytes == 0


def test_memory_stays_flat_over_changing_shapes_and_structures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jf = fd.jit(fd.grad(chain(3)))
    small = {"max_entries": 16, "max_bytes": 200_000}
    for cache in (jf._cache, staging._cache, staging._by_id, compiled._cache):
        for k, v in small.items():
            monkeypatch.setattr(cache, k, v)

    def work(i: int) -> None:
        x = np.linspace(0.1, 1.0, 3 + i)  # a new shape every time
        jf(x)
        g = fd.grad(chain(1 + i % 9))  # 9 structures, each seen twice or more
        g(x)
        g(x)

    for i in range(40):
        work(i)
    gc.collect()
    tracemalloc.start()
    try:
        for i in range(40, 80):
            work(i)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(80, 240):
            work(i)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 1_000_000, (before, after)
    for cache in (jf._cache, staging._cache, compiled._cache):
        assert len(cache) <= 16 and (cache.nbytes <= 200_000 or len(cache) == 1)
    assert len(jf._fast) <= 4 * 256


def test_clear_caches_empties_everything_and_calls_still_work() -> None:
    f = fd.jit(lambda x: fnp.sin(x) * 2.0)
    g = fd.grad(chain(2))
    x = np.linspace(0.0, 1.0, 5)
    want = (f(x), g(x), g(x), g(x))
    assert fd.cache_info()["jit"][0] >= 1
    fd.clear_caches()
    assert all(n == 0 and b == 0 for n, b in fd.cache_info().values())
    assert len(f._fast) == 0
    np.testing.assert_array_equal(f(x), want[0])
    np.testing.assert_array_equal(g(x), want[1])

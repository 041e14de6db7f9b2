"""Caches bounded in entries and in bytes, and one switch that empties them all.

funcdiff keeps compiled code in three places: the compiled derivative passes
of eager transforms (``funcdiff.interpreters.compiled``), the compiled jaxprs
shared by structure (``funcdiff.interpreters.staging``), and each ``jit``
function's signatures. Each is an :class:`LRUCache`: the least recently
used entries go first once either bound is passed, the bytes counted by an
estimate of what an entry keeps alive (its constants' ``nbytes``, its
generated source, its equations). ``clear_caches()`` (``funcdiff.clear_caches``)
empties every cache that exists.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

__all__ = ["LRUCache", "cache_info", "clear_caches", "jaxpr_bytes"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING: Any = object()
_ALL: weakref.WeakSet[LRUCache[Any, Any]] = weakref.WeakSet()
_ALL_LOCK = threading.Lock()


class LRUCache(Generic[K, V]):
    """A thread-safe least-recently-used mapping bounded by ``max_entries``
    and by ``max_bytes`` as ``sizeof`` estimates each value.

    >>> c = LRUCache("demo", max_entries=2, max_bytes=100, sizeof=len)
    >>> c.put("a", "x" * 60); c.put("b", "y" * 30); c.put("c", "z" * 30)
    >>> sorted(c.keys()), c.nbytes   # "a" went: 120 bytes > 100
    (['b', 'c'], 60)
    >>> c.get("b"); c.put("d", "w"); sorted(c.keys())   # "c" is now the oldest
    'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy'
    ['b', 'd']
    """

    def __init__(
        self,
        name: str,
        *,
        max_entries: int,
        max_bytes: int,
        sizeof: Callable[[V], int],
        on_drop: Callable[[], None] | None = None,
    ) -> None:
        """``on_drop`` is called after entries are dropped or cleared (a
        faster index kept beside the cache empties itself there)."""
        self.name = name
        self._on_drop = on_drop
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._sizeof = sizeof
        self._data: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.nbytes = 0
        #: the most recently used key (``get`` of it again moves nothing)
        self._recent: Any = None
        with _ALL_LOCK:
            _ALL.add(self)

    def get(self, key: K, default: Any = None) -> Any:
        """The value for ``key`` (now the most recently used), or ``default``."""
        item = self._data.get(key, _MISSING)
        if item is _MISSING:
            return default
        if key != self._recent:  # (the most recently used already: nothing to move)
            try:
                self._data.move_to_end(key)
            except KeyError:  # dropped by another thread meanwhile
                pass
            self._recent = key
        return item[0]

    def put(self, key: K, value: V) -> None:
        """Store ``value``; drop the oldest entries while a bound is passed
        (the newest entry is kept even when it alone passes ``max_bytes``)."""
        size = int(self._sizeof(value))
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self.nbytes -= old[1]
            self._data[key] = (value, size)
            self._recent = key
            self.nbytes += size
            dropped_any = False
            while len(self._data) > 1 and (
                len(self._data) > self.max_entries or self.nbytes > self.max_bytes
            ):
                _, (_, dropped) = self._data.popitem(last=False)
                self.nbytes -= dropped
                dropped_any = True
        if dropped_any and self._on_drop is not None:
            self._on_drop()

    def keys(self) -> Iterable[K]:
        return list(self._data)

    def values(self) -> list[V]:
        return [v for v, _ in list(self._data.values())]

    def items(self) -> list[tuple[K, V]]:
        return [(k, v) for k, (v, _) in list(self._data.items())]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.nbytes = 0
        if self._on_drop is not None:
            self._on_drop()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data


def clear_caches() -> None:
    """Empty every cache of compiled code funcdiff holds (eager transforms'
    compiled passes, compiled jaxprs, every ``jit`` function's signatures).
    Later calls compile again; nothing else changes.

    >>> import funcdiff as fd
    >>> f = fd.jit(lambda x: x * 2.0); _ = f(1.0)
    >>> fd.clear_caches(); all(n == 0 for n, _ in fd.cache_info().values())
    True
    """
    with _ALL_LOCK:
        caches = list(_ALL)
    for c in caches:
        c.clear()


def cache_info() -> dict[str, tuple[int, int]]:
    """``{name: (entries, estimated bytes)}`` summed over funcdiff's caches
    (all ``jit`` functions together under ``"jit"``).

    >>> import funcdiff as fd
    >>> {"compiled jaxprs", "compiled passes"} <= set(fd.cache_info())
    True
    """
    out: dict[str, tuple[int, int]] = {}
    with _ALL_LOCK:
        caches = list(_ALL)
    for c in caches:
        n, b = out.get(c.name, (0, 0))
        out[c.name] = (n + len(c), b + c.nbytes)
    return out


def jaxpr_bytes(consts: Iterable[Any], n_eqns: int, source: str = "") -> int:
    """What a compiled jaxpr keeps alive, estimated: its constants' bytes,
    its generated source (and code), about 300 bytes per equation."""
    return sum(int(getattr(c, "nbytes", 64)) for c in consts) + 3 * len(source) + 300 * n_eqns

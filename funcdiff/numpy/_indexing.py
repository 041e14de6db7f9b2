"""Indexing: ``x[idx]`` and functional updates ``x.at[idx].set(v)``. STUB."""

from __future__ import annotations

from typing import Any

__all__: list[str] = []


def getitem(x: Any, idx: Any) -> Any:
    raise NotImplementedError("indexing is not implemented yet")


class AtIndexer:
    def __init__(self, x: Any) -> None:
        self.x = x

"""User-facing polish (issue 16): tab completion, compact reprs."""

from __future__ import annotations

import numpy as np

import funcdiff as fd
import funcdiff.lax


def test_dir_lists_lazy_names() -> None:
    names = dir(fd)
    for name in fd._LAZY:
        assert name in names
    assert "grad" in names and "taylor2" in names and "optimize" in names
    assert "stop_gradient" in dir(funcdiff.lax)

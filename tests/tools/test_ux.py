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


def test_optimize_result_repr_is_compact() -> None:
    from funcdiff.optimize import gradient_descent

    def f(x: fd.Array) -> fd.Array:
        return fd.numpy.sum((x - 1.0) ** 2 * np.arange(1.0, 4.0))

    res = gradient_descent(f, np.zeros(3), maxiter=3000, tol=0.0, lr=1e-4, line_search=None)
    text = repr(res)
    assert len(text) < 2000, len(text)
    for field in ("success", "message", "fun", "nit", "x"):
        assert field in text
    assert str(res.nit) in text

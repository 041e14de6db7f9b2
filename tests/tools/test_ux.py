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


def _rosen(x: fd.Array) -> fd.Array:
    return (1.0 - x[0]) ** 2 + 10.0 * (x[1] - x[0] ** 2) ** 2


def test_history_columns_are_one_dimensional() -> None:
    from funcdiff.optimize import minimize

    res = minimize(_rosen, [-1.0, 1.5], method="bfgs")
    cols = res.history_columns()
    k = len(res.history)
    assert all(np.ndim(v) == 1 and len(v) == k for v in cols.values())
    np.testing.assert_array_equal(np.column_stack([cols["x[0]"], cols["x[1]"]]), res.path())


def test_history_columns_dataframe() -> None:
    import pytest

    pd = pytest.importorskip("pandas")
    from funcdiff.optimize import minimize

    res = minimize(_rosen, [-1.0, 1.5], method="bfgs")
    frame = pd.DataFrame(res.history_columns())
    assert frame.shape[0] == len(res.history) and "x[1]" in frame.columns


def test_paths_accepts_scipy_result() -> None:
    import pytest

    pytest.importorskip("scipy")
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from funcdiff import plot
    from funcdiff.optimize import scipy_minimize

    seen: list[np.ndarray] = []
    res = scipy_minimize(_rosen, [-1.0, 1.5], method="BFGS", callback=lambda xk: seen.append(xk))
    path = res["path"]
    assert path.shape[1] == 2 and path.shape[0] >= 3
    np.testing.assert_array_equal(path[0], [-1.0, 1.5])
    np.testing.assert_allclose(path[-1], res.x)
    assert len(seen) >= 1  # the user's callback still runs
    ax = plot.paths(res)
    xy = ax.get_lines()[0].get_xydata()
    np.testing.assert_allclose(xy, path)
    plot.close(ax)

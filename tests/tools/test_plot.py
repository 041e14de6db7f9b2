"""Tests for funcdiff.plot (skipped without matplotlib)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import matplotlib

matplotlib.use("Agg")

from matplotlib.contour import ContourSet
from matplotlib.quiver import Quiver

import funcdiff.numpy as fnp
from funcdiff import optimize, plot


def rosen(x: Any) -> Any:
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def bowl(x: Any) -> Any:
    return x[0] ** 2 + 3 * x[1] ** 2 + fnp.sin(x[0])


@pytest.fixture(autouse=True)
def _close_all() -> Iterator[None]:
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _contours(ax: Any) -> list[Any]:
    return [c for c in ax.collections if isinstance(c, ContourSet)]


def _save(ax: Any, path: Path) -> int:
    ax.figure.savefig(path, dpi=60)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return len(data)


def test_grid_values_match_loop() -> None:
    X, Y, Z = plot.grid_values(bowl, (-1, 2), (0, 1), n=7)
    assert X.shape == Y.shape == Z.shape == (7, 7)
    want = np.array(
        [
            [float(bowl(np.array([x, y]))) for x, y in zip(xr, yr, strict=True)]
            for xr, yr in zip(X, Y, strict=True)
        ]
    )
    np.testing.assert_allclose(Z, want, rtol=1e-12)


def test_level_sets_figure(tmp_path: Path) -> None:
    ax = plot.level_sets(rosen, (-2, 2), (-1, 3), n=80, title="Rosenbrock")
    cs = _contours(ax)
    assert len(cs) >= 2  # filled + lines
    quivers = [c for c in ax.collections if isinstance(c, Quiver)]
    assert len(quivers) == 1 and quivers[0].N == 17 * 17
    # Rosenbrock gets log-spaced levels automatically: ratios, not differences, are even
    levels = np.asarray(cs[0].levels)
    offsets = levels[1:] - levels[0]
    ratios = offsets[1:] / offsets[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)
    assert ratios[0] > 1.2
    assert ax.get_title() == "Rosenbrock" and ax.get_xlabel() == "$x_1$"
    assert ax.get_aspect() == 1.0
    assert ax.get_xlim() == (-2.0, 2.0)
    assert len(ax.figure.axes) == 2  # the colour bar
    assert "log-spaced" in ax.figure.axes[1].get_ylabel()
    assert _save(ax, tmp_path / "rosen.png") > 5000


def test_level_sets_options(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax0 = plt.subplots()
    ax = plot.level_sets(
        bowl,
        (-2, 2),
        (-2, 2),
        ax=ax0,
        n=50,
        gradients=False,
        levels=10,
        filled=False,
        colorbar=False,
        log_scale=False,
    )
    assert ax is ax0
    assert not any(isinstance(c, Quiver) for c in ax.collections)
    cs = _contours(ax)
    assert len(cs) == 1 and not cs[0].filled
    np.testing.assert_allclose(np.diff(cs[0].levels), np.diff(cs[0].levels)[0])
    assert len(fig.axes) == 1
    ax2 = plot.level_sets(bowl, (-2, 2), (-2, 2), n=30, levels=[0.0, 1.0, 2.0, 4.0])
    np.testing.assert_allclose(_contours(ax2)[0].levels, [0.0, 1.0, 2.0, 4.0])
    assert _save(ax, tmp_path / "bowl.png") > 1000


def test_level_sets_gradient_arrows_point_uphill() -> None:
    ax = plot.level_sets(lambda p: p[0] * 2.0 + p[1] * 0.0, (-1, 1), (-1, 1), n=10, arrows=3)
    q: Any = next(c for c in ax.collections if isinstance(c, Quiver))
    np.testing.assert_allclose(q.U, 1.0)
    np.testing.assert_allclose(q.V, 0.0)


def test_taylor_overlay(tmp_path: Path) -> None:
    ax = plot.level_sets(rosen, (-2, 2), (-1, 3), n=60, gradients=False)
    n_before = len(_contours(ax))
    lines_before = len(ax.get_lines())
    ax = plot.taylor_overlay(rosen, [-1.2, 1.0], ax=ax, radius=0.5)
    new = _contours(ax)[n_before:]
    assert len(new) == 2
    for cs in new:
        styles = [ls for ls in cs.get_linestyles()]
        assert all(ls not in ("solid", "-", None) and ls[1] is not None for ls in styles)
    # the thick line is the model's level through x0 = f(x0) = 24.2
    np.testing.assert_allclose(new[1].levels, [24.2])
    # levels reuse the map's levels where they cross the disk
    assert set(np.round(new[0].levels, 9)) - {24.2} <= set(np.round(_contours(ax)[0].levels, 9))
    lines = ax.get_lines()[lines_before:]
    labels = [ln.get_label() for ln in lines]
    assert "Taylor model at $x_0$" in labels
    assert "model minimizer (Newton step)" in labels  # the model is convex at (-1.2, 1)
    marker = next(ln for ln in lines if ln.get_label() == "Taylor model at $x_0$")
    np.testing.assert_allclose(np.c_[marker.get_xdata(), marker.get_ydata()], [[-1.2, 1.0]])
    assert ax.get_legend() is not None
    assert _save(ax, tmp_path / "taylor.png") > 5000


def test_taylor_overlay_alone_and_indefinite() -> None:
    saddle = lambda x: x[0] ** 2 - x[1] ** 2  # noqa: E731
    ax = plot.taylor_overlay(saddle, [0.5, 0.5], levels=6)
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert "model minimizer (Newton step)" not in labels  # no minimizer
    assert ax.get_aspect() == 1.0
    with pytest.raises(ValueError, match="point of R\\^2"):
        plot.taylor_overlay(saddle, [0.5, 0.5, 1.0])


def test_paths_on_level_sets(tmp_path: Path) -> None:
    results = optimize.compare(rosen, [-1.2, 1.0], methods=("newton", "trust-region", "bfgs"))
    ax = plot.level_sets(rosen, (-2, 2), (-1, 3), n=60)
    ax = plot.paths(results, ax=ax)
    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts == [f"{m} ({results[m].nit} it)" for m in ("newton", "trust-region", "bfgs")]
    path_lines = [ln for ln in ax.get_lines() if ln.get_label() in texts]
    for ln, m in zip(path_lines, results, strict=True):
        xy = np.c_[ln.get_xdata(), ln.get_ydata()]
        np.testing.assert_allclose(xy, results[m].path())
        np.testing.assert_allclose(xy[0], [-1.2, 1.0])
        np.testing.assert_allclose(xy[-1], [1.0, 1.0], atol=1e-8)
    # rejected trust-region steps are not drawn
    tr = results["trust-region"]
    assert len(path_lines[1].get_xdata()) == len(tr.history) - int(
        (~tr.history_array("accepted")).sum()
    )
    assert _save(ax, tmp_path / "paths.png") > 5000


def test_paths_draws_its_own_map_and_accepts_arrays(tmp_path: Path) -> None:
    res = optimize.newton(bowl, [1.5, 1.0])
    ax = plot.paths(res, f=bowl, n=40)
    assert len(_contours(ax)) >= 1
    lo, hi = ax.get_xlim()
    assert lo < res.path()[:, 0].min() and hi > res.path()[:, 0].max()
    ax2 = plot.paths(
        [np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])], labels=["a", "b"]
    )
    assert [t.get_text() for t in ax2.get_legend().get_texts()] == ["a", "b"]
    assert _save(ax, tmp_path / "own.png") > 1000
    with pytest.raises(ValueError, match="shape \\(k, 2\\)"):
        plot.paths(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="labels"):
        plot.paths([res, res], labels=["one"])


def test_loss_curve(tmp_path: Path) -> None:
    results = optimize.compare(rosen, [-1.2, 1.0], methods=("newton", "bfgs"))
    ax = plot.loss_curve(results, minimum=0.0)
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "f(x) - f*"
    lines = ax.get_lines()
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_ydata()[:3], results["newton"].history_array("f")[:3])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["newton", "bfgs"]
    assert _save(ax, tmp_path / "loss.png") > 3000
    ax2 = plot.loss_curve([3.0, -1.0, -2.0])
    assert ax2.get_yscale() == "linear"
    ax3 = plot.loss_curve(results["bfgs"], x="time")
    assert ax3.get_xlabel() == "time (s)"
    with pytest.raises(ValueError, match="x must be"):
        plot.loss_curve([1.0], x="epoch")


def test_no_show_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.pyplot as plt

    calls: list[int] = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: calls.append(1))
    plot.loss_curve([1.0, 0.5])
    assert calls == []
    plot.loss_curve([1.0, 0.5], show=True)
    assert calls == [1]


def test_errors() -> None:
    with pytest.raises(ValueError, match="xlim"):
        plot.level_sets(bowl, (1, -1), (0, 1))
    with pytest.raises(ValueError, match="ylim must be a pair"):
        plot.level_sets(bowl, (0, 1), 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="scalar field"):
        plot.level_sets(lambda p: p * 2.0, (0, 1), (0, 1), n=5)
    with pytest.raises(ValueError, match="at least 2"):
        plot.level_sets(bowl, (0, 1), (0, 1), n=5, levels=1)


def test_missing_matplotlib_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install funcdiff\[plot\]"):
        plot.level_sets(bowl, (0, 1), (0, 1), n=5)


# --- spy ---------------------------------------------------------------------


def _scatters(ax: Any) -> list[Any]:
    from matplotlib.collections import PathCollection

    return [c for c in ax.collections if isinstance(c, PathCollection)]


def _chained(x: Any) -> Any:
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_spy_plain_pattern(tmp_path: Path) -> None:
    a = np.zeros((5, 7), dtype=bool)
    a[[0, 1, 4], [6, 2, 0]] = True
    ax = plot.spy(a)
    (sc,) = _scatters(ax)
    # every nonzero is one marker at (column, row); row 0 at the top
    assert sorted(map(tuple, sc.get_offsets().tolist())) == [(0, 4), (2, 1), (6, 0)]
    assert ax.get_ylim() == (4.5, -0.5)
    assert ax.get_xlim() == (-0.5, 6.5)
    assert "3 nonzeros" in ax.get_title()
    assert _save(ax, tmp_path / "spy.png") > 1000


def test_spy_scipy_input_and_numeric_arrays() -> None:
    sp = pytest.importorskip("scipy.sparse")
    dense = np.array([[0.0, 2.0], [0.0, 0.0], [-1.0, 0.0]])
    m = sp.coo_array(([2.0, -1.0, 0.0], ([0, 2, 1], [1, 0, 1])), shape=(3, 2))
    for pattern in (dense, sp.csr_array(dense), m):  # stored zeros are not drawn
        ax = plot.spy(pattern)
        (sc,) = _scatters(ax)
        assert sorted(map(tuple, sc.get_offsets().tolist())) == [(0, 2), (1, 0)]
        plot.close(ax)


def test_spy_colors_one_face_color_per_group() -> None:
    pytest.importorskip("scipy")
    import funcdiff as fd
    from funcdiff.sparse import star_coloring

    pattern = fd.hessian_sparsity(_chained)(np.zeros(12))
    colors = star_coloring(pattern)
    ax = plot.spy(pattern, colors=colors)
    groups = _scatters(ax)
    k = len(np.unique(colors))
    assert len(groups) == k == 3
    faces = {tuple(np.round(g.get_facecolor()[0], 6)) for g in groups}
    assert len(faces) == k  # distinct colors
    # each entry is drawn in the color of its column
    for g in groups:
        cols = g.get_offsets()[:, 0].astype(int)
        assert len(set(colors[cols].tolist())) == 1
    assert sum(len(g.get_offsets()) for g in groups) == pattern.nnz
    assert ax.get_legend().get_title().get_text() == "3 colors"
    # row coloring: colored by rows
    ax2 = plot.spy(np.eye(4, 6, dtype=bool), colors=[0, 1, 0, 1], color_by="rows")
    for g in _scatters(ax2):
        rows = g.get_offsets()[:, 1].astype(int)
        assert len({r % 2 for r in rows.tolist()}) == 1


def test_spy_many_colors_stay_distinct() -> None:
    n = 25
    ax = plot.spy(np.eye(n, dtype=bool), colors=np.arange(n))
    faces = {tuple(np.round(g.get_facecolor()[0], 6)) for g in _scatters(ax)}
    assert len(faces) == n
    assert ax.get_legend().get_title().get_text() == "25 colors (first 12)"


def test_spy_marker_size_follows_matrix_size() -> None:
    small = _scatters(plot.spy(np.eye(10, dtype=bool)))[0].get_sizes()[0]
    large = _scatters(plot.spy(np.eye(1000, dtype=bool)))[0].get_sizes()[0]
    assert small > 10 * large


def test_spy_large_pattern_becomes_density_image() -> None:
    sp = pytest.importorskip("scipy.sparse")
    n = 200_000
    ones = np.ones(n)
    tri = sp.diags([ones[1:], ones, ones[1:]], [-1, 0, 1], format="csr")
    ax = plot.spy(tri, colors=np.arange(n) % 3, bins=100)
    assert _scatters(ax) == []
    (im,) = ax.get_images()
    counts = im.get_array()
    assert counts.shape == (100, 100)
    assert int(counts.sum()) == tri.nnz  # every nonzero counted once
    assert counts.mask[0, -1] and not counts.mask[0, 0]  # empty blocks are blank
    assert "density image" in ax.get_title() and "3 colors" in ax.get_title()
    # the threshold is a parameter: a small pattern as an image too
    ax2 = plot.spy(np.eye(50, dtype=bool), max_markers=10, bins=10)
    assert ax2.get_images()[0].get_array().shape == (10, 10)


def test_spy_errors() -> None:
    with pytest.raises(ValueError, match="2-D"):
        plot.spy(np.ones(5, dtype=bool))
    with pytest.raises(ValueError, match="2-D"):
        plot.spy(np.ones((2, 2, 2), dtype=bool))
    with pytest.raises(ValueError, match="one integer per column"):
        plot.spy(np.eye(3, dtype=bool), colors=[0, 1])
    with pytest.raises(ValueError, match="one integer per row"):
        plot.spy(np.eye(3, 4, dtype=bool), colors=[0, 1, 2, 3], color_by="rows")
    with pytest.raises(ValueError, match="color_by"):
        plot.spy(np.eye(3, dtype=bool), colors=[0, 1, 2], color_by="cols")

"""User-facing polish (issue 16): tab completion, compact reprs."""

from __future__ import annotations

import numpy as np
import pytest

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
    pd = pytest.importorskip("pandas")
    from funcdiff.optimize import minimize

    res = minimize(_rosen, [-1.0, 1.5], method="bfgs")
    frame = pd.DataFrame(res.history_columns())
    assert frame.shape[0] == len(res.history) and "x[1]" in frame.columns


def test_paths_accepts_scipy_result() -> None:
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


def test_taylor2_of_two_arguments() -> None:
    import funcdiff.numpy as fnp

    def f(x: fd.Array, y: fd.Array) -> fd.Array:
        return x**2 * fnp.exp(x + fnp.cos(y))

    m = fd.taylor2(f)(1.0, 2.0)
    ref = fd.taylor2(lambda p: p[0] ** 2 * fnp.exp(p[0] + fnp.cos(p[1])))((1.0, 2.0))
    np.testing.assert_allclose(m.g_flat, ref.g_flat, rtol=1e-14)
    np.testing.assert_allclose(m.H_flat, ref.H_flat, rtol=1e-14)
    # against closed forms: df/dx = (2x + x^2) e^(x + cos y), df/dy = -x^2 sin(y) e^(x + cos y)
    e = np.exp(1.0 + np.cos(2.0))
    np.testing.assert_allclose(m.g_flat, [3.0 * e, -np.sin(2.0) * e], rtol=1e-14)
    assert float(m.value) == float(f(1.0, 2.0))
    p = m.newton_step()
    assert isinstance(p, tuple) and len(p) == 2
    float(m.step_value(p))  # f is evaluated at the shifted point


def test_level_sets_of_two_arguments() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from funcdiff import plot

    ax = plot.level_sets(lambda x, y: x**2 + 3 * y**2, (-2, 2), (-2, 2), n=30, arrows=5)
    plot.close(ax)
    X, Y, Z = plot.grid_values(lambda x, y: x - 2 * y, (0, 1), (0, 1), n=5)
    np.testing.assert_allclose(Z, X - 2 * Y)
    ax = plot.paths(np.array([[1.0, 1.0], [0.0, 0.0]]), f=lambda x, y: x**2 + y**2)
    plot.close(ax)


def test_cli_version(capsys: pytest.CaptureFixture[str]) -> None:
    from funcdiff.cli import main

    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"funcdiff {fd.__version__}"


def test_cli_parse_hints() -> None:
    from funcdiff.cli import ExpressionError, parse_expression

    cases = {
        "x^2": "x**2",
        "ln(x)": "log",
        "2x": "2*x",
        "3.5 y + 1": "3.5*y",
        "2(x + 1)": "2*(x + 1)",
        "max(x, 0)": "maximum(x, 0)",
        "min(x, 1)": "minimum(",
    }
    for text, hint in cases.items():
        with pytest.raises(ExpressionError) as info:
            parse_expression(text)
        assert hint in str(info.value), (text, str(info.value))
    # still accepted
    for text in ("1e5*x", "max(x)", "max(x, axis=0)", "maximum(x, 0)", "x**2"):
        parse_expression(text)


ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_packaging_metadata() -> None:
    import re

    tomllib = pytest.importorskip("tomllib")
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = meta["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    floor = re.search(r"setuptools>=(\d+)", " ".join(meta["build-system"]["requires"]))
    assert floor is not None and int(floor.group(1)) >= 77  # SPDX license strings
    # one version source: funcdiff.__version__
    assert "version" not in project and project["dynamic"] == ["version"]
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "funcdiff.__version__"}
    assert any(c.startswith("Programming Language :: Python :: 3") for c in project["classifiers"])
    assert not any(c.startswith("License ::") for c in project["classifiers"])
    # no project URLs until a public repository exists (a placeholder would mislead)
    assert "urls" not in project
    for name, reqs in project["optional-dependencies"].items():
        assert reqs, f"the extra {name!r} installs nothing"
    # README's relative links and images resolve in the repository (absolute
    # ones wait for a public repository or the docs site)
    readme = (ROOT / "README.md").read_text()
    relative = re.findall(r"\]\((?!https?://|#)([^)#]+)", readme)
    assert relative
    missing = [r for r in relative if not (ROOT / r).exists()]
    assert not missing, missing
    assert "editable_mode=compat" in readme


def _himmelblau(p: fd.Array) -> fd.Array:
    return (p[0] ** 2 + p[1] - 11) ** 2 + (p[0] + p[1] ** 2 - 7) ** 2


def test_level_sets_himmelblau_levels_not_linear() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from funcdiff import plot

    ax = plot.level_sets(_himmelblau, (-5, 5), (-5, 5), n=120, levels=20, gradients=False)
    levels = next(c for c in ax.get_children() if hasattr(c, "levels")).levels
    steps = np.diff(levels)
    assert steps.max() > 3 * steps.min()  # not linearly spaced
    lo, hi = levels[0], levels[-1]
    assert np.sum(levels < lo + 0.25 * (hi - lo)) > len(levels) // 2  # dense near the minimum
    plot.close(ax)
    # an even bowl keeps linear levels
    ax = plot.level_sets(lambda p: p[0] ** 2 + 3 * p[1] ** 2, (-2, 2), (-2, 2), n=60, levels=10)
    levels = next(c for c in ax.get_children() if hasattr(c, "levels")).levels
    np.testing.assert_allclose(np.diff(levels), np.diff(levels)[0])
    plot.close(ax)


def test_paths_thins_markers() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from funcdiff import plot

    t = np.linspace(0.0, 1.0, 1000)
    long = np.stack([t, t**2], axis=1)
    short = np.stack([t[:10], 1 - t[:10]], axis=1)
    ax = plot.paths({"long": long, "short": short})
    lines = [ln for ln in ax.get_lines() if ln.get_label() in ("long", "short")]
    by = {ln.get_label(): ln for ln in lines}
    assert len(by["long"].get_xydata()) == 1000  # the line keeps every point
    step = by["long"].get_markevery()
    assert isinstance(step, int) and 1000 / step <= plot.MAX_MARKERS
    assert by["short"].get_markevery() == 1
    plot.close(ax)

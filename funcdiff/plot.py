"""Pictures of scalar fields R^2 -> R and of optimizers running on them.

- :func:`level_sets`: the contour map of ``f`` (values from ``vmap(f)`` on a
  grid) with gradient arrows (``vmap(grad(f))`` on a coarser grid);
- :func:`taylor_overlay`: the level sets of the second-order Taylor model of
  ``f`` at a point (``taylor2``), dashed, over the map: near the point they
  hug ``f``'s level sets, further away they do not;
- :func:`paths`: optimizer iterates (from ``OptimizeResult.history``) on the map;
- :func:`loss_curve`: ``f`` (or ``f - f*``) against the iteration number;
- :func:`spy`: a sparsity pattern (of a Jacobian or Hessian), optionally
  colored by a coloring (``funcdiff.sparse``).

``f`` takes one argument, a vector of shape (2,), as the optimizers of
:mod:`funcdiff.optimize` do. Every function draws into ``ax`` (a new figure
when None) and returns the Axes (``ax.figure`` is the Figure); nothing is
shown unless ``show=True``. matplotlib is an optional dependency
(``pip install funcdiff[plot]``), imported on first use; without a display
the non-interactive Agg backend is selected.

>>> import numpy as np
>>> from funcdiff import optimize
>>> rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
>>> ax = level_sets(rosen, (-2, 2), (-1, 3), n=60)
>>> results = optimize.compare(rosen, [-1.2, 1.0], methods=("newton", "bfgs"))
>>> ax = paths(results, ax=ax)
>>> ax.get_legend() is not None
True
>>> close(ax)
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from funcdiff.api import grad, vmap

Fun = Callable[..., Any]

_INSTALL_HINT = (
    "funcdiff.plot needs matplotlib, an optional dependency: "
    "pip install funcdiff[plot]  (or: pip install matplotlib)"
)


def _pyplot() -> Any:
    """Import matplotlib lazily; choose Agg when there is no display."""
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError(_INSTALL_HINT) from err
    if (
        "matplotlib.pyplot" not in sys.modules
        and not os.environ.get("MPLBACKEND")
        and sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _axes(ax: Any, figsize: tuple[float, float] = (6.4, 5.2)) -> Any:
    if ax is not None:
        return ax
    plt = _pyplot()
    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax


def _finish(ax: Any, show: bool) -> Any:
    if show:
        _pyplot().show()
    return ax


def close(ax_or_fig: Any) -> None:
    """Close the figure of ``ax_or_fig`` (frees pyplot's memory in loops and tests).

    >>> ax = loss_curve([3.0, 2.0, 1.5])
    >>> close(ax)
    """
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    _pyplot().close(fig)


# ---------------------------------------------------------------------------
# evaluating a field on a grid
# ---------------------------------------------------------------------------


def _check_lim(lim: Any, name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in lim)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a pair (low, high), got {lim!r}") from err
    if not hi > lo:
        raise ValueError(f"{name} must satisfy low < high, got {lim!r}")
    return lo, hi


def _field(f: Fun) -> Fun:
    """``f`` as a function of one vector: ``def f(x, y)`` becomes ``p -> f(p[0], p[1])``.

    A function with exactly two required positional parameters (and no
    ``*args``) is taken as ``f(x, y)``; anything else as ``f(v)``.
    """
    import inspect

    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return f
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [p for p in params if p.kind in positional and p.default is p.empty]
    if len(required) != 2 or any(p.kind is p.VAR_POSITIONAL for p in params):
        return f

    def of_vector(p: Any) -> Any:
        return f(p[0], p[1])

    return of_vector


def grid_values(
    f: Fun, xlim: Sequence[float], ylim: Sequence[float], n: int = 200
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X, Y, Z)`` with ``Z[i, j] = f([X[i, j], Y[i, j]])`` on an n x n grid, by ``vmap(f)``.

    >>> X, Y, Z = grid_values(lambda p: p[0] ** 2 + p[1], (0, 1), (0, 1), n=3)
    >>> Z
    array([[0.  , 0.25, 1.  ],
           [0.5 , 0.75, 1.5 ],
           [1.  , 1.25, 2.  ]])
    """
    f = _field(f)
    x_lo, x_hi = _check_lim(xlim, "xlim")
    y_lo, y_hi = _check_lim(ylim, "ylim")
    X, Y = np.meshgrid(np.linspace(x_lo, x_hi, n), np.linspace(y_lo, y_hi, n))
    pts = np.stack([X.ravel(), Y.ravel()], axis=1)
    Z = np.asarray(vmap(f)(pts), dtype=np.float64)
    if Z.shape != (pts.shape[0],):
        raise ValueError(
            f"level_sets: f must be a scalar field of a vector of shape (2,), but vmap(f) over "
            f"{pts.shape[0]} points returned shape {Z.shape}"
        )
    return X, Y, Z.reshape(X.shape)


def _skew(Z: np.ndarray) -> float | None:
    """``(median - min) / (max - min)`` of the finite values (None if flat or empty)."""
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        return None
    return (float(np.median(finite)) - lo) / (hi - lo)


def _auto_log(Z: np.ndarray) -> bool:
    """Log-spaced levels when the values are concentrated near the minimum
    (a long-tailed field such as Rosenbrock's)."""
    skew = _skew(Z)
    return skew is not None and skew < 0.1


def _auto_quantile(Z: np.ndarray) -> bool:
    """Quantile levels for a moderately skewed field (Himmelblau's: half the
    window lies in the lowest eighth of the range, so linear levels leave
    the valleys flat)."""
    skew = _skew(Z)
    return skew is not None and 0.1 <= skew < 0.2


def _levels(
    Z: np.ndarray, levels: int | Sequence[float], log_scale: bool, quantile: bool = False
) -> np.ndarray:
    if not isinstance(levels, (int, np.integer)):
        out = np.unique(np.asarray(levels, dtype=np.float64))
        if out.size < 2:
            raise ValueError(f"levels must hold at least two values, got {levels!r}")
        return out
    if levels < 2:
        raise ValueError(f"levels must be at least 2, got {levels}")
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise ValueError("level_sets: f is not finite anywhere on the grid")
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        hi = lo + 1.0
    if quantile and not log_scale:
        # equal areas between levels: as many levels where the field is low
        # (the valleys) as where it is high
        q = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, int(levels))))
        if q.size >= max(2, int(levels) // 2):
            return q
    if not log_scale:
        return np.linspace(lo, hi, int(levels))
    span = hi - lo
    # levels lo + span * geomspace: fine near the minimum, coarse far away
    offsets = np.geomspace(span * 1e-4, span, int(levels) - 1)
    return np.concatenate([[lo], lo + offsets])


# ---------------------------------------------------------------------------
# level sets, gradients, Taylor model
# ---------------------------------------------------------------------------


def level_sets(
    f: Fun,
    xlim: Sequence[float],
    ylim: Sequence[float],
    *,
    levels: int | Sequence[float] = 25,
    gradients: bool = True,
    ax: Any = None,
    n: int = 200,
    log_scale: bool | None = None,
    filled: bool = True,
    cmap: str = "viridis",
    arrows: int = 17,
    colorbar: bool = True,
    title: str | None = None,
    show: bool = False,
) -> Any:
    """The contour map of a scalar field ``f: R^2 -> R``, with gradient arrows.

    Args:
      f: a function of a vector of shape (2,) returning a scalar, or of two
        scalars, ``f(x, y)``; evaluated on the grid with ``funcdiff.vmap``.
      xlim, ylim: the window ``(low, high)`` in each coordinate.
      levels: the number of levels, or the level values.
      gradients: draw ``grad f`` as arrows on a coarser ``arrows x arrows``
        grid (``vmap(grad(f))``). The arrows are normalized (they show the
        direction of steepest increase; the colour of the map shows size).
      ax: the Axes to draw in (a new figure when None).
      n: grid points per axis.
      log_scale: True: log-spaced levels (fine near the minimum); False:
        linearly spaced levels. None (default): chosen from the values on
        the grid: log-spaced when most of the window is far above the
        minimum (Rosenbrock's function), quantile levels (equal areas between
        levels, so valleys keep their detail) when the values are moderately
        skewed (Himmelblau's), linear otherwise.
      filled: filled contours with thin lines on top (else lines only).
      cmap: the colormap.
      arrows: arrow grid points per axis.
      colorbar: add a colour bar labelled ``f(x, y)``.
      title: the Axes title.
      show: call ``plt.show()``.

    >>> ax = level_sets(lambda p: p[0] ** 2 + 3 * p[1] ** 2, (-2, 2), (-2, 2), n=40)
    >>> ax.get_xlabel(), ax.get_aspect()
    ('$x_1$', 1.0)
    >>> close(ax)
    """
    f = _field(f)
    X, Y, Z = grid_values(f, xlim, ylim, n)
    log = _auto_log(Z) if log_scale is None else bool(log_scale)
    quantile = log_scale is None and not log and _auto_quantile(Z)
    lv = _levels(Z, levels, log, quantile)
    ax = _axes(ax)
    plt = _pyplot()
    from matplotlib.colors import BoundaryNorm

    cm = plt.get_cmap(cmap)
    norm = BoundaryNorm(lv, cm.N, extend="both")
    if filled:
        cs = ax.contourf(X, Y, Z, levels=lv, cmap=cm, norm=norm, extend="both")
        ax.contour(X, Y, Z, levels=lv, colors="k", linewidths=0.4, alpha=0.35)
    else:
        cs = ax.contour(X, Y, Z, levels=lv, cmap=cm, norm=norm, linewidths=1.0)
    if colorbar:
        cb = ax.figure.colorbar(cs, ax=ax, shrink=0.9)
        note = "  (log-spaced levels)" if log else "  (quantile levels)" if quantile else ""
        cb.set_label("f(x, y)" + note)
        if log and len(lv) > 8:
            cb.set_ticks(lv[:: max(1, len(lv) // 8)])
        cb.ax.yaxis.set_major_formatter(_tick_formatter())
    if gradients:
        x_lo, x_hi = _check_lim(xlim, "xlim")
        y_lo, y_hi = _check_lim(ylim, "ylim")
        pad_x, pad_y = (x_hi - x_lo) / (2 * arrows), (y_hi - y_lo) / (2 * arrows)
        GX, GY = np.meshgrid(
            np.linspace(x_lo + pad_x, x_hi - pad_x, arrows),
            np.linspace(y_lo + pad_y, y_hi - pad_y, arrows),
        )
        pts = np.stack([GX.ravel(), GY.ravel()], axis=1)
        G = np.asarray(vmap(grad(f))(pts), dtype=np.float64).reshape(-1, 2)
        norms = np.linalg.norm(G, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            U = np.where(norms > 0, G[:, 0] / norms, 0.0)
            V = np.where(norms > 0, G[:, 1] / norms, 0.0)
        ax.quiver(
            GX.ravel(),
            GY.ravel(),
            U,
            V,
            color="white",
            alpha=0.75,
            angles="xy",
            scale_units="width",
            scale=arrows * 1.6,
            width=0.0035,
            headwidth=3.5,
        )
    ax.set_xlim(X[0, 0], X[0, -1])
    ax.set_ylim(Y[0, 0], Y[-1, 0])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal")
    if title is not None:
        ax.set_title(title)
    return _finish(ax, show)


def _tick_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{v:.3g}")


def taylor_overlay(
    f: Fun,
    x0: Sequence[float],
    ax: Any = None,
    *,
    radius: float | None = None,
    levels: int | Sequence[float] | None = None,
    n: int = 120,
    color: str = "white",
    newton_step: bool = True,
    label: bool = True,
    show: bool = False,
) -> Any:
    """The level sets of the quadratic Taylor model of ``f`` at ``x0``, dashed.

    ``m(x) = f(x0) + g.(x - x0) + 1/2 (x - x0)^T H (x - x0)`` (``taylor2``) is
    drawn in the disk of ``radius`` around ``x0`` (default: a quarter of the
    Axes' smaller extent, or 1), the point is marked, the model's level
    through ``x0`` is drawn thicker (it is tangent to ``f``'s), and, when the
    model is convex and ``newton_step``, an arrow shows the Newton step to the
    model's minimizer.

    ``levels``: None (default) reuses the levels of a contour map already in
    ``ax`` (from :func:`level_sets`) so each dashed model line can be compared
    with ``f``'s line of the same value; else (or an int) levels at
    quantiles of the model's values in the disk; or the values themselves.

    >>> rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    >>> ax = level_sets(rosen, (-2, 2), (-1, 3), n=40, gradients=False)
    >>> ax = taylor_overlay(rosen, [-1.2, 1.0], ax=ax)
    >>> close(ax)
    """
    from funcdiff.quadratic import taylor2

    p0 = np.asarray(x0, dtype=np.float64).reshape(-1)
    if p0.shape != (2,):
        raise ValueError(f"taylor_overlay: x0 must be a point of R^2, got shape {p0.shape}")
    new_axes = ax is None
    ax = _axes(ax)
    if radius is None:
        if new_axes:
            radius = 1.0
        else:
            (a, b), (c, d) = ax.get_xlim(), ax.get_ylim()
            radius = 0.25 * min(abs(b - a), abs(d - c))
    if not radius > 0:
        raise ValueError(f"taylor_overlay: radius must be > 0, got {radius}")
    m = taylor2(_field(f), matrix_free=False)(p0)
    g = np.asarray(m.g_flat, dtype=np.float64)
    H = np.asarray(m.H_flat, dtype=np.float64)
    value = float(m.value)
    t = np.linspace(-radius, radius, n)
    DX, DY = np.meshgrid(t, t)
    D = np.stack([DX, DY], axis=-1)
    M = value + D @ g + 0.5 * np.einsum("...i,ij,...j->...", D, H, D)
    M = np.where(DX**2 + DY**2 <= radius**2, M, np.nan)
    if levels is None or isinstance(levels, (int, np.integer)):
        finite = M[np.isfinite(M)]
        lo, hi = float(finite.min()), float(finite.max())
        # the map's own levels, where they cross the disk: then dashed (model)
        # and solid (f) lines of the same value can be compared
        drawn = [np.asarray(c.levels) for c in ax.collections if hasattr(c, "levels")]
        inside = [v for lvs in drawn for v in lvs if lo < v < hi]
        k = 8 if levels is None else int(levels)
        if levels is None and len(set(inside)) >= 3:
            lv = np.unique(np.asarray(inside, dtype=np.float64))
            lv = lv[:: max(1, math.ceil(lv.size / 10))]  # at most 10 dashed lines
        else:
            lv = np.quantile(finite, np.linspace(0.04, 0.96, k))
        lv = np.unique(np.concatenate([lv, [value]]))
    else:
        lv = np.unique(np.asarray(levels, dtype=np.float64))
    ax.contour(
        p0[0] + DX,
        p0[1] + DY,
        M,
        levels=lv,
        colors=color,
        linestyles="--",
        linewidths=1.0,
        alpha=0.9,
    )
    ax.contour(
        p0[0] + DX, p0[1] + DY, M, levels=[value], colors=color, linestyles="--", linewidths=2.2
    )
    circle_t = np.linspace(0, 2 * math.pi, 200)
    ax.plot(
        p0[0] + radius * np.cos(circle_t),
        p0[1] + radius * np.sin(circle_t),
        color=color,
        lw=0.6,
        alpha=0.6,
    )
    ax.plot(
        [p0[0]],
        [p0[1]],
        marker="o",
        ms=7,
        mfc="red",
        mec="white",
        ls="none",
        label="Taylor model at $x_0$" if label else None,
        zorder=5,
    )
    if newton_step and m.is_convex:
        step = np.linalg.solve(H, -g)
        ax.annotate(
            "",
            xy=(p0[0] + step[0], p0[1] + step[1]),
            xytext=(p0[0], p0[1]),
            arrowprops={"arrowstyle": "->", "color": "red", "lw": 1.6},
            zorder=6,
        )
        ax.plot(
            [p0[0] + step[0]],
            [p0[1] + step[1]],
            marker="x",
            color="red",
            ms=7,
            ls="none",
            label="model minimizer (Newton step)" if label else None,
            zorder=6,
        )
    if new_axes:
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    if label:
        ax.legend(loc="upper right", fontsize="small", framealpha=0.85)
    return _finish(ax, show)


# ---------------------------------------------------------------------------
# optimizer paths and loss curves
# ---------------------------------------------------------------------------


def taylor_line(
    f: Fun,
    x0: Any,
    v: Any = None,
    ax: Any = None,
    *,
    orders: Sequence[int] = (1, 2, 4, 6),
    radius: float = 1.0,
    n: int = 400,
    ylim: tuple[float, float] | None = None,
    show: bool = False,
) -> Any:
    """``f`` along the line ``x0 + t v`` drawn against its Taylor polynomials.

    The coefficients of every order come from one Taylor-mode pass
    (``fd.taylor(f, order=max(orders))``); the polynomial of order ``k`` is
    ``sum_{j <= k} c_j t^j``. The curves hug ``f`` near ``t = 0`` and part
    from it further out, the higher orders later; the y range is ``f``'s
    (with a margin) unless ``ylim`` is given.

    Args:
      f: a scalar function of one argument (a number, an array or a pytree).
      x0: the expansion point.
      v: the direction, like ``x0`` (default: 1 for a scalar ``x0``).
      ax: the Axes (a new figure when None).
      orders: the Taylor polynomial orders to draw.
      radius: ``t`` runs over ``[-radius, radius]``.
      n: the number of sample points of ``t``.
      ylim: the y limits (default: from ``f``'s values).
      show: call ``plt.show()``.

    A scalar ``x0`` without ``v`` is drawn over ``x`` itself (``x0 - radius``
    to ``x0 + radius``); otherwise over ``t``.

    >>> import funcdiff.numpy as fnp
    >>> ax = taylor_line(lambda x: x ** fnp.cos(x), 3.0, orders=(2, 6), radius=2.0)
    >>> [line.get_label() for line in ax.get_lines()][:3]
    ['f', 'order 2', 'order 6']
    >>> close(ax)
    """
    from funcdiff._jet import taylor
    from funcdiff.tree import tree_flatten, tree_unflatten

    if not orders or any(isinstance(k, bool) or int(k) != k or k < 1 for k in orders):
        raise ValueError(f"taylor_line: orders must be ints >= 1, got {tuple(orders)!r}")
    if not radius > 0:
        raise ValueError(f"taylor_line: radius must be > 0, got {radius}")
    on_x = v is None  # a scalar function drawn over x = x0 + t itself
    if v is None:
        if np.ndim(x0) != 0 or isinstance(x0, (tuple, list, dict)):
            raise ValueError("taylor_line: pass the direction v (x0 is not a scalar)")
        v = 1.0
    top = int(max(orders))
    coeffs = np.asarray(taylor(f, order=top)(x0, v), dtype=np.float64)
    if coeffs.shape != (top + 1,):
        raise ValueError(
            f"taylor_line: f must return a scalar, got shape {coeffs.shape[1:]} "
            "(reduce it, or draw one component)"
        )
    t = np.linspace(-radius, radius, n)
    leaves, tree = tree_flatten(x0)
    v_leaves = tree_flatten(v)[0]
    with np.errstate(all="ignore"):
        fx = np.array(
            [
                float(
                    f(
                        tree_unflatten(
                            tree,
                            [
                                np.asarray(a) + ti * np.asarray(d)
                                for a, d in zip(leaves, v_leaves, strict=True)
                            ],
                        )
                    )
                )
                for ti in t
            ]
        )
    ax = _axes(ax, figsize=(6.4, 4.2))
    origin = float(x0) if on_x else 0.0
    ax.plot(origin + t, fx, "k-", lw=2.2, label="f")
    colors = _pyplot().get_cmap("viridis")(np.linspace(0.15, 0.85, len(orders)))
    for k, color in zip(orders, colors, strict=True):
        poly = np.polynomial.polynomial.polyval(t, coeffs[: int(k) + 1])
        ax.plot(origin + t, poly, "--", color=color, lw=1.5, label=f"order {int(k)}")
    ax.plot([origin], [coeffs[0]], "o", color="k", ms=5)
    if ylim is None:
        finite = fx[np.isfinite(fx)]
        if finite.size:
            lo, hi = float(finite.min()), float(finite.max())
            pad = 0.15 * (hi - lo) if hi > lo else 1.0
            ylim = (lo - pad, hi + pad)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel("x" if on_x else "t")
    ax.set_ylabel("f(x)" if on_x else "f(x0 + t v)")
    ax.axvline(origin, color="0.7", lw=0.8, zorder=0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", loc="best")
    return _finish(ax, show)


#: At most about this many iterate markers per path in :func:`paths`.
MAX_MARKERS = 50


def _is_scipy_result(r: Any) -> bool:
    # scipy's OptimizeResult is a dict: one result, not a {label: result} mapping
    return isinstance(r, Mapping) and "x" in r and ("path" in r or "fun" in r)


def _named_results(results: Any, labels: Sequence[str] | None) -> list[tuple[str, Any]]:
    if isinstance(results, Mapping) and not _is_scipy_result(results):
        items = [(str(k), v) for k, v in results.items()]
    elif isinstance(results, (list, tuple)) and not (
        len(results) and isinstance(results[0], (int, float, np.number))
    ):
        items = [(_default_label(r, i), r) for i, r in enumerate(results)]
    else:
        items = [(_default_label(results, 0), results)]
    if labels is not None:
        if len(labels) != len(items):
            raise ValueError(f"labels: got {len(labels)} labels for {len(items)} results")
        items = [(lab, r) for lab, (_, r) in zip(labels, items, strict=True)]
    return items


def _default_label(r: Any, i: int) -> str:
    return str(getattr(r, "method", f"run {i}"))


def _path_of(r: Any) -> np.ndarray:
    if _is_scipy_result(r):
        if "path" not in r:
            raise ValueError(
                "paths: this scipy result has no recorded path; run it with "
                "funcdiff.optimize.scipy_minimize, which records the iterates"
            )
        xs = np.asarray(r["path"], dtype=np.float64)
    elif hasattr(r, "path"):
        xs = np.asarray(r.path(), dtype=np.float64)
    else:
        xs = np.asarray(r, dtype=np.float64)
    if xs.ndim != 2 or xs.shape[1] != 2:
        raise ValueError(
            f"paths: need iterates in R^2 (shape (k, 2)), got shape {xs.shape}; plot paths of "
            "two-variable problems, or pass the (k, 2) coordinates you want drawn"
        )
    return xs


def paths(
    results: Any,
    ax: Any = None,
    *,
    f: Fun | None = None,
    labels: Sequence[str] | None = None,
    xlim: Sequence[float] | None = None,
    ylim: Sequence[float] | None = None,
    markers: bool = True,
    legend: bool = True,
    show: bool = False,
    **level_kw: Any,
) -> Any:
    """Optimizer iterate paths in the plane, with a legend.

    Args:
      results: an ``OptimizeResult``, a list of them, a dict ``{label: result}``
        (e.g. from ``funcdiff.optimize.compare``), or arrays of points (k, 2).
        Rejected trust-region steps are not drawn (x did not move).
      ax: the Axes (e.g. from :func:`level_sets`); a new figure when None.
      f: when given, the level sets of ``f`` are drawn first (window from
        ``xlim``/``ylim``, or the paths' extent with a margin).
      labels: legend labels (default: the method names, with iteration counts).
      markers: mark the iterates: every one on paths of up to
        ``MAX_MARKERS`` (50) points, every k-th on longer ones (the line
        keeps every point), so one method's markers do not hide another's path.
      legend: draw the legend.
      show: call ``plt.show()``.
      **level_kw: passed to :func:`level_sets` when ``f`` is given.

    >>> import numpy as np
    >>> ax = paths({"by hand": np.array([[0.0, 0.0], [1.0, 0.5], [1.0, 1.0]])})
    >>> len(ax.get_lines()) >= 1
    True
    >>> close(ax)
    """
    items = _named_results(results, labels)
    pts = [(name, r, _path_of(r)) for name, r in items]
    if f is not None:
        allp = np.concatenate([p for _, _, p in pts], axis=0)
        lo, hi = allp.min(axis=0), allp.max(axis=0)
        span = np.maximum(hi - lo, 1e-3)
        lo, hi = lo - 0.15 * span - 0.1, hi + 0.15 * span + 0.1
        ax = level_sets(f, xlim or (lo[0], hi[0]), ylim or (lo[1], hi[1]), ax=ax, **level_kw)
    new_axes = ax is None
    ax = _axes(ax)
    plt = _pyplot()
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0", "C1", "C2", "C3"])
    palette = ["#ff7f0e", "#e41a1c", "#f781bf", "#17becf", "#a6d854", "#00bfff", "#ffd92f"]
    if f is None and new_axes:
        palette = list(colors)
    for i, (name, r, xy) in enumerate(pts):
        c = palette[i % len(palette)]
        nit = getattr(r, "nit", None)
        label = name if nit is None or labels is not None else f"{name} ({nit} it)"
        ax.plot(
            xy[:, 0],
            xy[:, 1],
            "-",
            color=c,
            lw=1.6,
            alpha=0.95,
            label=label,
            marker="o" if markers else None,
            markevery=max(1, math.ceil(len(xy) / MAX_MARKERS)),
            ms=3.0,
            zorder=4,
        )
        ax.plot([xy[0, 0]], [xy[0, 1]], marker="s", color=c, mec="k", ms=7, ls="none", zorder=5)
        ax.plot([xy[-1, 0]], [xy[-1, 1]], marker="*", color=c, mec="k", ms=13, ls="none", zorder=5)
    if new_axes:
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_aspect("equal", adjustable="datalim")
    if legend:
        ax.legend(loc="best", fontsize="small", framealpha=0.85)
    return _finish(ax, show)


def loss_curve(
    values: Any,
    ax: Any = None,
    *,
    labels: Sequence[str] | None = None,
    minimum: float | None = None,
    log: bool | None = None,
    x: str = "iteration",
    ylabel: str | None = None,
    show: bool = False,
) -> Any:
    """``f`` per iteration (or per second), for one or several runs.

    Args:
      values: an ``OptimizeResult`` (its history's ``f``), a sequence of
        numbers, or a list / dict of either.
      ax: the Axes (a new figure when None).
      labels: legend labels.
      minimum: the known minimum value ``f*``: ``f - f*`` is plotted (the
        natural quantity for convergence rates on a log scale).
      log: logarithmic y axis; None: when every plotted value is > 0.
      x: ``"iteration"`` or ``"time"`` (seconds; optimizer results only).
      ylabel: the y label.
      show: call ``plt.show()``.

    >>> ax = loss_curve([4.0, 1.0, 0.25, 0.0625])
    >>> ax.get_yscale()
    'log'
    >>> close(ax)
    """
    if x not in ("iteration", "time"):
        raise ValueError(f"loss_curve: x must be 'iteration' or 'time', got {x!r}")
    if isinstance(values, Mapping) or (
        isinstance(values, (list, tuple))
        and values
        and not isinstance(values[0], (int, float, np.number))
    ):
        items = _named_results(values, labels)
    else:
        items = [(labels[0] if labels else _default_label(values, 0), values)]
    ax = _axes(ax, figsize=(6.4, 4.2))
    curves = []
    for name, v in items:
        if hasattr(v, "history_array"):
            ys = v.history_array("f")
            xs = v.history_array("time") if x == "time" else v.history_array("nit")
        else:
            if x == "time":
                raise ValueError("loss_curve: x='time' needs optimizer results (with a history)")
            ys = np.asarray(v, dtype=np.float64).reshape(-1)
            xs = np.arange(ys.shape[0])
        if minimum is not None:
            ys = ys - minimum
        curves.append((name, xs, ys))
    use_log = log
    if use_log is None:
        use_log = all(np.all(ys[np.isfinite(ys)] > 0) for _, _, ys in curves)
    for name, xs, ys in curves:
        if use_log:
            ys = np.where(ys > 0, ys, np.nan)
        ax.plot(xs, ys, "-", marker="o" if len(ys) <= 60 else None, ms=3, lw=1.5, label=name)
    if use_log:
        ax.set_yscale("log")
    ax.set_xlabel("iteration" if x == "iteration" else "time (s)")
    ax.set_ylabel(ylabel or ("f(x) - f*" if minimum is not None else "f(x)"))
    ax.grid(True, which="both", alpha=0.3)
    if len(curves) > 1 or labels:
        ax.legend(fontsize="small")
    return _finish(ax, show)


# ---------------------------------------------------------------------------
# sparsity patterns
# ---------------------------------------------------------------------------


def _pattern_coo(pattern: Any) -> tuple[tuple[int, int], np.ndarray, np.ndarray]:
    """Shape and (row, col) indices of the nonzeros of a scipy.sparse matrix
    or a 2-D array (entries that are nonzero / True)."""
    if hasattr(pattern, "tocoo") and hasattr(pattern, "nnz"):  # scipy.sparse
        shape = tuple(int(d) for d in pattern.shape)
        if len(shape) != 2:
            raise ValueError(f"spy: the pattern must be 2-D, got shape {shape}")
        coo = pattern.tocoo()
        keep = np.asarray(coo.data) != 0
        rows, cols = np.asarray(coo.row)[keep], np.asarray(coo.col)[keep]
    else:
        a = np.asarray(pattern)
        if a.ndim != 2:
            raise ValueError(
                f"spy: the pattern must be 2-D (a scipy.sparse matrix or a 2-D array), "
                f"got shape {a.shape}"
            )
        shape = (int(a.shape[0]), int(a.shape[1]))
        rows, cols = np.nonzero(a)
    if len(rows):  # duplicates of a COO input count once
        flat = np.unique(rows.astype(np.int64) * shape[1] + cols)
        rows, cols = flat // shape[1], flat % shape[1]
    return (shape[0], shape[1]), rows.astype(np.int64), cols.astype(np.int64)


def _group_colors(k: int) -> list[Any]:
    """``k`` distinct colors: tab10 / tab20 when they suffice, else turbo samples."""
    from matplotlib import colormaps

    if k <= 10:
        return [colormaps["tab10"](i) for i in range(k)]
    if k <= 20:
        return [colormaps["tab20"](i) for i in range(k)]
    cmap = colormaps["turbo"]
    return [cmap(v) for v in np.linspace(0.05, 0.95, k)]


def spy(
    pattern: Any,
    colors: Any = None,
    ax: Any = None,
    *,
    color_by: str = "columns",
    max_markers: int = 200_000,
    max_dim: int = 100_000,
    bins: int = 400,
    markersize: float | None = None,
    legend: bool = True,
    title: str | None = None,
    show: bool = False,
) -> Any:
    """A picture of a sparsity pattern, optionally colored by a coloring.

    Args:
      pattern: a ``scipy.sparse`` matrix, or a 2-D array whose nonzero (True)
        entries are the pattern (e.g. ``fd.hessian_sparsity(f)(x)``).
      colors: a coloring, one integer per column (``column_coloring``,
        ``star_coloring``, ``plan.colors`` of ``fd.sparse_hessian``) or per row
        (``row_coloring``, with ``color_by="rows"``): each entry is drawn in
        its group's color, with a legend titled by the number of colors.
      ax: the Axes (a new figure when None).
      color_by: ``"columns"`` or ``"rows"``: what ``colors`` colors.
      max_markers, max_dim: above ``max_markers`` nonzeros or ``max_dim``
        rows or columns, one marker per entry is no longer legible (nor
        cheap); the whole pattern is then drawn as a *density image*
        instead: the matrix is cut into at most ``bins`` x ``bins`` blocks
        and each pixel shows how many nonzeros its block holds (the title
        says the block size; ``colors`` are then only counted in the title).
      bins: pixels per side of the density image.
      markersize: marker side in points; None: one cell of the matrix at the
        Axes' size (so markers touch on a full pattern), between 0.5 and 20.
      legend: draw the legend of the color groups.
      title: the title; None: shape, nonzeros and density (and the mode).
      show: call ``plt.show()``.

    Returns the Axes; row 0 is at the top, as in a printed matrix.

    >>> import numpy as np
    >>> tridiagonal = sum(np.eye(6, k=k, dtype=bool) for k in (-1, 0, 1))
    >>> ax = spy(tridiagonal, colors=np.arange(6) % 3)
    >>> ax.get_legend().get_title().get_text()
    '3 colors'
    >>> close(ax)
    """
    if color_by not in ("columns", "rows"):
        raise ValueError(f"spy: color_by must be 'columns' or 'rows', got {color_by!r}")
    (m, n), rows, cols = _pattern_coo(pattern)
    group: np.ndarray | None = None
    if colors is not None:
        group = np.asarray(colors).reshape(-1)
        want = n if color_by == "columns" else m
        if group.shape[0] != want or group.dtype.kind not in "iub":
            raise ValueError(
                f"spy: colors must be one integer per {color_by[:-1]} ({want}), got "
                f"{group.dtype} of shape {np.shape(colors)}"
            )
    nnz = rows.shape[0]
    density = nnz / max(1, m * n)
    ax = _axes(ax, figsize=(5.6, 5.6 * min(1.6, max(0.4, m / max(n, 1)))))
    ncol = len(np.unique(group)) if group is not None else 0
    dense_image = nnz > max_markers or max(m, n) > max_dim
    head = title
    if head is None:
        head = f"{m:,} x {n:,}, {nnz:,} nonzeros ({100 * density:.2g}%)"
    if dense_image:
        rb, cb = max(1, -(-m // bins)), max(1, -(-n // bins))
        gm, gn = -(-m // rb), -(-n // cb)
        counts = np.bincount((rows // rb) * gn + cols // cb, minlength=gm * gn).reshape(gm, gn)
        shown = np.ma.masked_equal(counts, 0)
        im = ax.imshow(
            shown,
            cmap="viridis",
            interpolation="nearest",
            extent=(-0.5, n - 0.5, m - 0.5, -0.5),
            aspect="auto" if not 0.1 < m / max(n, 1) < 10 else "equal",
        )
        ax.figure.colorbar(im, ax=ax, label=f"nonzeros per {rb:,} x {cb:,} block", shrink=0.8)
        if title is None:
            head += f"\ndensity image ({gm} x {gn} blocks of {rb:,} x {cb:,})"
            if ncol:
                head += f"; {ncol} colors"
    else:
        if markersize is None:
            bbox = ax.get_position()
            side = min(
                ax.figure.get_figwidth() * bbox.width, ax.figure.get_figheight() * bbox.height
            )
            markersize = float(np.clip(72.0 * side / max(m, n, 1), 0.5, 20.0))
        size = markersize**2
        if group is None:
            ax.scatter(cols, rows, s=size, marker="s", c="tab:blue", linewidths=0)
        else:
            which = group[cols] if color_by == "columns" else group[rows]
            labels = np.unique(group)
            for c, rgba in zip(labels, _group_colors(len(labels)), strict=True):
                sel = which == c
                ax.scatter(
                    cols[sel],
                    rows[sel],
                    s=size,
                    marker="s",
                    color=rgba,
                    linewidths=0,
                    label=f"color {c} ({int(np.sum(group == c)):,} {color_by})",
                )
            if legend:
                handles, texts = ax.get_legend_handles_labels()
                shown_n = 12
                ax.legend(
                    handles[:shown_n],
                    texts[:shown_n],
                    title=f"{ncol} colors" + ("" if ncol <= shown_n else f" (first {shown_n})"),
                    fontsize="small",
                    loc="upper left",
                    bbox_to_anchor=(1.01, 1.0),
                    borderaxespad=0.0,
                )
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_ylim(m - 0.5, -0.5)
        ax.set_aspect("equal" if 0.1 < m / max(n, 1) < 10 else "auto")
    from matplotlib.ticker import MaxNLocator

    for axis in (ax.xaxis, ax.yaxis):  # integer ticks, few enough for 7-digit labels
        axis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    ax.set_title(head, fontsize="medium")
    return _finish(ax, show)


__all__ = [
    "close",
    "grid_values",
    "level_sets",
    "loss_curve",
    "paths",
    "spy",
    "taylor_overlay",
]

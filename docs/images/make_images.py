"""Regenerate the pictures the README and the docs show.

    python docs/images/make_images.py

Writes, next to this file:

- ``x_pow_cos_graph.svg`` / ``.png``: the computation graph of ``x ** cos(x)``
  at 3 with every value and adjoint (``funcdiff.graph``; needs Graphviz's
  ``dot``);
- ``rosenbrock_levels.png``: Rosenbrock's level sets with gradient arrows and
  the dashed level sets of its quadratic Taylor model at (-1.2, 1)
  (``funcdiff.plot``; needs matplotlib);
- ``sparse_patterns.png``: detected Hessian patterns colored by their star
  coloring, of chained Rosenbrock (n = 12) and of a 2-D grid energy (6 x 6)
  (``funcdiff.plot.spy``; needs matplotlib and scipy);
- ``taylor_line.png``: Taylor polynomials of orders 1, 2, 4 and 6 from one
  Taylor-mode pass, drawn against ``x ** cos(x)`` at 3 and against the
  lecture's ``x**2 exp(x + cos(y))`` along a line through (1, 2)
  (``funcdiff.plot.taylor_line``; needs matplotlib).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import plot

HERE = Path(__file__).resolve().parent


def z(x: Any) -> Any:
    return x ** fnp.cos(x)


def rosenbrock(p: Any) -> Any:
    return (1.0 - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2


def chained_rosenbrock(x: Any) -> Any:
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


GRID = 6


def grid_energy(x: Any) -> Any:
    """A discrete Ginzburg-Landau-type energy on a 6 x 6 grid: 5-point stencil."""
    u = fnp.reshape(x, (GRID, GRID))
    return (
        fnp.sum((u[1:, :] - u[:-1, :]) ** 2)
        + fnp.sum((u[:, 1:] - u[:, :-1]) ** 2)
        + fnp.sum((u**2 - 1.0) ** 2)
    )


def lecture(p: Any) -> Any:
    return p[0] ** 2 * fnp.exp(p[0] + fnp.cos(p[1]))


def taylor_lines() -> Path:
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    plot.taylor_line(z, 3.0, ax=left, radius=2.4)
    left.set_title("x ** cos(x) around x0 = 3")
    plot.taylor_line(lecture, (1.0, 2.0), (0.6, -0.8), ax=right, radius=1.5)
    right.set_title("x**2 exp(x + cos y) from (1, 2) along v = (0.6, -0.8)")
    out = HERE / "taylor_line.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def sparse_patterns() -> Path:
    import matplotlib.pyplot as plt
    import numpy as np

    from funcdiff.sparse import star_coloring

    fig, axes = plt.subplots(1, 2, figsize=(12, 5.4), layout="constrained")
    for ax, f, n, name in (
        (axes[0], chained_rosenbrock, 12, "chained Rosenbrock, n = 12"),
        (axes[1], grid_energy, GRID * GRID, f"2-D grid energy, {GRID} x {GRID}"),
    ):
        pattern = fd.hessian_sparsity(f)(np.zeros(n))
        colors = star_coloring(pattern)
        plot.spy(pattern, colors=colors, ax=ax)
        ax.set_title(
            f"{name}: Hessian pattern ({pattern.nnz} nonzeros),\n"
            f"star coloring: {len(np.unique(colors))} Hessian-vector products",
            fontsize=10,
        )
    path = HERE / "sparse_patterns.png"
    fig.savefig(path, dpi=90)
    plot.close(fig)
    return path


def main() -> None:
    graph = fd.graph(z, 3.0, title="z = x ** cos(x) at x = 3")
    for suffix in ("svg", "png"):
        print(graph.save(HERE / f"x_pow_cos_graph.{suffix}"))
    ax = plot.level_sets(
        rosenbrock,
        (-2.0, 2.0),
        (-1.0, 3.0),
        n=200,
        title="Rosenbrock: level sets, gradient directions, Taylor model at (-1.2, 1)",
    )
    plot.taylor_overlay(rosenbrock, [-1.2, 1.0], ax=ax, radius=0.6)
    ax.title.set_fontsize(10)
    path = HERE / "rosenbrock_levels.png"
    ax.figure.savefig(path, dpi=100)
    plot.close(ax)
    print(path)
    print(sparse_patterns())
    print(taylor_lines())


if __name__ == "__main__":
    main()

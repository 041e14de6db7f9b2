"""Regenerate the pictures the README and the docs show.

    python docs/images/make_images.py

Writes, next to this file:

- ``x_pow_cos_graph.svg`` / ``.png``: the computation graph of ``x ** cos(x)``
  at 3 with every value and adjoint (``funcdiff.graph``; needs Graphviz's
  ``dot``);
- ``rosenbrock_levels.png``: Rosenbrock's level sets with gradient arrows and
  the dashed level sets of its quadratic Taylor model at (-1.2, 1)
  (``funcdiff.plot``; needs matplotlib).
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


if __name__ == "__main__":
    main()

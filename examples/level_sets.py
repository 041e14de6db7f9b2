"""Level sets, gradient arrows and quadratic Taylor models of classic fields R^2 -> R.

    python examples/level_sets.py              # PNGs in examples/out/level_sets/
    python examples/level_sets.py --full       # finer grids
    python examples/level_sets.py --out DIR

For Rosenbrock's banana, Himmelblau's four minima, a saddle and an
ill-conditioned quadratic bowl it draws the contour map (``funcdiff.plot.
level_sets``: values from ``vmap(f)``, arrows from ``vmap(grad(f))``, which
point to steepest increase) and the dashed level sets of the second-order
Taylor model ``m`` at a point (``funcdiff.plot.taylor_overlay``, from
``taylor2``), with the Newton step to the model's minimizer when the model is
convex. It prints each model (value, gradient, Hessian, eigenvalues) and a
table showing that ``|f(x0 + p) - m(x0 + p)|`` shrinks like ``|p|**3``: the
model is good near ``x0`` and only there. For the two quadratic fields the
model is exact.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import plot

NAME = "level_sets"
DEFAULT_OUT = Path(__file__).resolve().parent / "out" / NAME


def rosenbrock(p: Any) -> Any:
    return (1.0 - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2


def himmelblau(p: Any) -> Any:
    return (p[0] ** 2 + p[1] - 11.0) ** 2 + (p[0] + p[1] ** 2 - 7.0) ** 2


def saddle(p: Any) -> Any:
    return p[0] ** 2 - p[1] ** 2


_A = np.array([[3.0, 1.8], [1.8, 1.5]])  # eigenvalues 0.3 and 4.2: condition number 14


def bowl(p: Any) -> Any:
    return 0.5 * fnp.dot(p, _A @ p)


@dataclass
class Field:
    name: str
    title: str
    f: Callable[[Any], Any]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    points: list[tuple[float, float]]  # where to draw Taylor models
    radius: float
    log_scale: bool | None = None
    levels: int | Sequence[float] = 25


FIELDS = [
    Field(
        "rosenbrock",
        "Rosenbrock $(1-x_1)^2 + 100 (x_2 - x_1^2)^2$",
        rosenbrock,
        (-2.0, 2.0),
        (-1.0, 3.0),
        [(-1.2, 1.0)],
        0.6,
    ),
    Field(
        "himmelblau",
        "Himmelblau $(x_1^2 + x_2 - 11)^2 + (x_1 + x_2^2 - 7)^2$",
        himmelblau,
        (-5.0, 5.0),
        (-5.0, 5.0),
        [(2.5, 1.5), (-0.5, -0.5)],
        1.4,
        log_scale=True,
    ),
    Field(
        "saddle",
        "Saddle $x_1^2 - x_2^2$",
        saddle,
        (-2.0, 2.0),
        (-2.0, 2.0),
        [(1.0, 0.5)],
        0.8,
        levels=list(np.linspace(-4.0, 4.0, 17)),
    ),
    Field(
        "bowl",
        r"Quadratic bowl $\frac{1}{2} x^T A x$, condition number 14",
        bowl,
        (-2.0, 2.0),
        (-2.0, 2.0),
        [(1.5, -1.5)],
        1.2,
    ),
]


def describe_model(field: Field, x0: tuple[float, float]) -> None:
    m = fd.taylor2(field.f, matrix_free=False)(np.array(x0))
    eig = m.eigenvalues()
    kind = (
        "convex (positive definite)"
        if eig[0] > 0
        else "a saddle (indefinite)"
        if eig[-1] > 0
        else "concave (negative definite)"
    )
    print(f"  Taylor model at x0 = {x0}:")
    print(f"    f(x0) = {float(m.value):.6g},  grad f(x0) = {np.round(m.g_flat, 6)}")
    H = np.array2string(np.round(m.H_flat, 6), prefix="    H = ")
    print(f"    H = {H}")
    print(f"    eigenvalues of H = {np.round(eig, 6)}: the model is {kind}")
    if m.is_convex:
        p = m.newton_step(flat=True)
        print(f"    Newton step p = -H^-1 g = {np.round(p, 6)} -> x0 + p = {np.round(x0 + p, 6)}")
    # model error along the steepest descent direction: third order in |p|
    g = m.g_flat
    d = -g / np.linalg.norm(g) if np.linalg.norm(g) > 0 else np.array([1.0, 0.0])
    print("    |p|      f(x0 + p)        m(x0 + p)        |f - m|     |f - m| / |p|^3")
    for t in (0.5, 0.1, 0.01):
        p = t * d
        fv = float(field.f(np.array(x0) + p))
        mv = float(m.step_value(p))
        err = abs(fv - mv)
        print(f"    {t:<6g}  {fv:<15.9g}  {mv:<15.9g}  {err:<10.3e}  {err / t**3:.4g}")


def draw(field: Field, out: Path, n: int, arrows: int) -> Path:
    ax = plot.level_sets(
        field.f,
        field.xlim,
        field.ylim,
        n=n,
        arrows=arrows,
        title=field.title,
        levels=field.levels,
        log_scale=field.log_scale,
    )
    for x0 in field.points:
        plot.taylor_overlay(field.f, x0, ax=ax, radius=field.radius, label=x0 == field.points[0])
    path = out / f"{field.name}.png"
    ax.figure.savefig(path, dpi=110)
    plot.close(ax)
    return path


def draw_slice(out: Path) -> Path:
    """Rosenbrock and its Taylor model at (-1.2, 1) along the steepest descent line."""
    import matplotlib.pyplot as plt  # after funcdiff.plot chose a backend (Agg without display)

    x0 = np.array([-1.2, 1.0])
    m = fd.taylor2(rosenbrock)(x0)
    d = -m.g_flat / np.linalg.norm(m.g_flat)
    ts = np.linspace(-0.6, 0.6, 241)
    pts = x0 + ts[:, None] * d
    f_vals = np.asarray(fd.vmap(rosenbrock)(pts))
    m_vals = float(m.value) + ts * float(m.g_flat @ d) + 0.5 * ts**2 * float(d @ m.H_flat @ d)
    lin = float(m.value) + ts * float(m.g_flat @ d)
    fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    ax.plot(ts, f_vals, lw=2.0, label="f(x0 + t d)")
    ax.plot(ts, m_vals, "--", lw=1.6, label="quadratic model m(x0 + t d)")
    ax.plot(ts, lin, ":", lw=1.4, label="linear model f(x0) + t g.d")
    ax.axvline(0.0, color="gray", lw=0.6)
    ax.set_ylim(min(f_vals.min(), m_vals.min()) - 5, f_vals.max() + 5)
    ax.set_xlabel("t  (d = -grad f(x0) / |grad f(x0)|, x0 = (-1.2, 1))")
    ax.set_ylabel("value")
    ax.set_title("Rosenbrock along the steepest descent line, and its Taylor models")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    path = out / "rosenbrock_slice.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the pictures")
    parser.add_argument("--full", action="store_true", help="finer grids (slower)")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    n, arrows = (400, 23) if args.full else (160, 17)
    print(f"Level sets and Taylor models on a {n} x {n} grid (pictures in {out})")
    for field in FIELDS:
        print(f"\n{field.name}:")
        for x0 in field.points:
            describe_model(field, x0)
        t0 = time.perf_counter()
        path = draw(field, out, n, arrows)
        print(f"  drew {path} in {time.perf_counter() - t0:.2f} s")
    path = draw_slice(out)
    print(f"\nrosenbrock along a line: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Gradient descent vs Newton vs trust region vs BFGS, with funcdiff's derivatives.

    python examples/optimizers.py              # a few seconds
    python examples/optimizers.py --full       # let gradient descent run much longer
    python examples/optimizers.py --out DIR

Two experiments:

1. Rosenbrock's function from the classic start (-1.2, 1): a narrow curved
   valley where the gradient is a poor guide and curvature is everything.
2. L2-regularized logistic regression on scikit-learn's breast cancer data
   (569 samples, 30 standardized features; bundled, no download), with the
   parameters as a pytree ``{"w": (30,), "b": ()}``.

For each it prints a table (iterations; evaluations of f, of its gradient and
of its Hessian; time; final |grad f|; f - f*), and saves the iterate paths
on Rosenbrock's level sets (``funcdiff.plot.paths``) and the convergence
curves ``f - f*`` against the iteration on a log scale
(``funcdiff.plot.loss_curve``): linear convergence for gradient descent,
superlinear for BFGS, quadratic for Newton and the trust region.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import single_threaded_blas

import funcdiff as fd
from funcdiff import optimize, plot

NAME = "optimizers"
DEFAULT_OUT = Path(__file__).resolve().parent / "out" / NAME


METHODS = ("gd", "bfgs", "newton", "trust-region")


def rosenbrock(x: Any) -> Any:
    return (1.0 - x[0]) ** 2 + 100.0 * (x[1] - x[0] ** 2) ** 2


def logistic_problem(lam: float = 1e-3) -> tuple[Any, dict[str, np.ndarray]]:
    """The regularized logistic loss and a zero starting point."""
    from sklearn.datasets import load_breast_cancer  # type: ignore[import-untyped]

    data = load_breast_cancer()
    X = data.data.astype(np.float64)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = np.where(data.target == 1, 1.0, -1.0)

    def loss(p: dict[str, Any]) -> Any:
        margins = y * (X @ p["w"] + p["b"])
        # log(1 + exp(-m)), computed stably
        return fd.nn.softplus(-margins).mean() + 0.5 * lam * (p["w"] ** 2).sum()

    return loss, {"w": np.zeros(X.shape[1]), "b": np.zeros(())}


def table(title: str, results: dict[str, optimize.OptimizeResult], f_star: float) -> None:
    print(f"\n{title}")
    head = (
        f"  {'method':<14}{'iters':>7}{'f evals':>9}{'grad evals':>12}{'Hessians':>10}"
        f"{'time (s)':>10}{'|grad f|':>11}{'f - f*':>11}  converged"
    )
    print(head)
    print("  " + "-" * (len(head) - 2))
    for name, r in results.items():
        print(
            f"  {name:<14}{r.nit:>7}{r.nfev:>9}{r.ngev:>12}{r.nhev:>10}{r.time:>10.3f}"
            f"{r.grad_norm:>11.2e}{max(r.fun - f_star, 0.0):>11.2e}  {r.success}"
        )


def run_all(
    f: Any, x0: Any, gd_iters: int, progress: bool = False
) -> dict[str, optimize.OptimizeResult]:
    results: dict[str, optimize.OptimizeResult] = {}
    for m in METHODS:
        kw: dict[str, Any] = {"jit": True, "tol": 1e-8}
        if m == "gd":  # the long run: a progress bar over its iterations
            kw["maxiter"] = gd_iters
            kw["progress"] = progress
        results[m] = optimize.minimize(f, x0, method=m, **kw)
    return results


def save_paths(out: Path, results: dict[str, optimize.OptimizeResult]) -> Path:
    """One panel per method: its iterates on Rosenbrock's level sets."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 8.4), layout="constrained")
    for ax, (name, r) in zip(axes.ravel(), results.items()):
        plot.level_sets(
            rosenbrock, (-1.6, 1.6), (-0.6, 1.6), n=160, ax=ax, gradients=False, colorbar=False
        )
        plot.paths({name: r}, ax=ax, markers=name != "gd")
        ax.set_title(f"{name}: {r.nit} iterations, {r.nfev} f evals")
    fig.suptitle("Rosenbrock from (-1.2, 1) (square) to the minimum (1, 1)")
    path = out / "rosenbrock_paths.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def save_convergence(
    out: Path, name: str, title: str, results: dict[str, optimize.OptimizeResult], f_star: float
) -> Path:
    ax = plot.loss_curve(results, minimum=f_star, log=True)
    ax.set_title(title)
    ax.set_ylim(bottom=1e-17)
    if results["gd"].nit > 200:
        ax.set_xscale("symlog", linthresh=100)  # GD needs thousands, the others tens
        ax.set_xlim(left=0)
    path = out / f"{name}_convergence.png"
    ax.figure.savefig(path, dpi=110)
    plot.close(ax)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    with single_threaded_blas():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the pictures")
    parser.add_argument("--full", action="store_true", help="many more gradient descent steps")
    parser.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="no progress bar over gradient descent's iterations",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    gd_iters = 50_000 if args.full else 3_000
    print(f"Optimizers on funcdiff's derivatives (jit=True; pictures in {out})")

    # 1. Rosenbrock
    rosen = run_all(rosenbrock, [-1.2, 1.0], gd_iters, args.progress)
    table("Rosenbrock, n = 2, from (-1.2, 1); f* = 0 at (1, 1)", rosen, 0.0)
    print(f"  paths: {save_paths(out, rosen)}")
    conv = save_convergence(out, "rosenbrock", "Rosenbrock: f - f* per iteration", rosen, 0.0)
    print(f"  convergence: {conv}")

    # 2. logistic regression
    loss, p0 = logistic_problem()
    ref = optimize.newton(loss, p0, tol=1e-13, jit=True)
    f_star = ref.fun
    logit = run_all(loss, p0, gd_iters, args.progress)
    table(
        "L2-regularized logistic regression (breast cancer, 31 parameters; lambda = 0.001)",
        logit,
        f_star,
    )
    conv = save_convergence(
        out, "logistic", "Logistic regression: f - f* per iteration", logit, f_star
    )
    print(f"  convergence: {conv}")
    w = np.asarray(ref.x["w"])
    print(f"  solution: |w| = {np.linalg.norm(w):.4f}, b = {float(ref.x['b']):.4f}")

    ok = all(r[m].success for r in (rosen, logit) for m in ("newton", "trust-region", "bfgs"))
    print("\nNewton, trust region and BFGS converged on both problems." if ok else "\nFAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

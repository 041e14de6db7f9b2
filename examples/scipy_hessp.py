"""scipy.optimize.minimize with funcdiff's exact Hessian-vector products.

    python examples/scipy_hessp.py             # extended Rosenbrock, n = 100
    python examples/scipy_hessp.py --full      # n = 1000, and a logistic regression
    python examples/scipy_hessp.py --n 400 --out DIR

``funcdiff.optimize.scipy_objective(f, method=...)`` hands scipy the value
and gradient (computed together by ``value_and_grad`` and cached, so scipy's
``fun(x)`` then ``jac(x)`` costs one pass) and exact Hessian-vector products
``hessp(x, p) = H(x) p`` (forward-over-reverse: the Hessian is never formed).
Newton-type methods (trust-ncg, trust-krylov, Newton-CG) then converge in a
few dozen iterations with two or three products each. scipy's BFGS, which
learns curvature from gradients alone into a dense n x n matrix, needs
hundreds of iterations here (L-BFGS-B does well on this separable problem).
The table lists scipy's iteration and evaluation counts, funcdiff's actual work (value-and-gradient
passes, Hessian-vector products), the time (including jit compilation) and
the result; the picture shows ``f - f*`` per iteration.

The extended Rosenbrock function (Moré, Garbow and Hillstrom) is n/2
independent copies of the banana, started at (-1.2, 1, -1.2, 1, ...).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import single_threaded_blas

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.optimize import scipy_objective

NAME = "scipy_hessp"
DEFAULT_OUT = Path(__file__).resolve().parent / "out" / NAME


HESSP_METHODS = ("trust-ncg", "trust-krylov", "newton-cg")
GRAD_METHODS = ("bfgs", "l-bfgs-b")
BFGS_MAX_N = 300  # scipy's BFGS keeps a dense n x n inverse Hessian


def extended_rosenbrock(x: Any) -> Any:
    a, b = x[0::2], x[1::2]
    return fnp.sum(100.0 * (b - a**2) ** 2 + (1.0 - a) ** 2)


def rosenbrock_start(n: int) -> np.ndarray:
    x0 = np.empty(n)
    x0[0::2], x0[1::2] = -1.2, 1.0
    return x0


def logistic_problem(m: int, d: int, seed: int = 0) -> tuple[Callable[[Any], Any], np.ndarray]:
    """L2-regularized logistic regression on badly scaled synthetic features."""
    rng = np.random.default_rng(seed)
    scale = np.geomspace(1.0, 30.0, d)
    Z = rng.normal(size=(m, d))
    w_true = rng.normal(size=d) * 3.0 / np.sqrt(d)
    y = np.where(rng.random(m) < 1.0 / (1.0 + np.exp(-(Z @ w_true))), 1.0, -1.0)
    X = Z * scale

    def loss(w: Any) -> Any:
        return fd.nn.softplus(-y * (X @ w)).mean() + 0.5e-3 * (w**2).sum()

    return loss, np.zeros(d)


def options(method: str) -> dict[str, Any]:
    if method == "newton-cg":
        return {"xtol": 1e-12, "maxiter": 5000}
    if method == "l-bfgs-b":
        return {"gtol": 1e-9, "ftol": 1e-15, "maxiter": 20000, "maxfun": 40000}
    return {"gtol": 1e-8, "maxiter": 5000}


def recorder(trace: list[float]) -> Callable[[Any], None]:
    """A scipy callback appending f at each iterate (scipy recognizes the new-style
    callback by its single parameter named ``intermediate_result``)."""

    def callback(intermediate_result: Any) -> None:
        trace.append(float(intermediate_result.fun))

    return callback


def run(
    title: str, f: Callable[[Any], Any], x0: np.ndarray, methods: Sequence[str]
) -> dict[str, tuple[Any, list[float], float]]:
    from scipy.optimize import minimize

    print(f"\n{title}")
    results: dict[str, tuple[Any, list[float], float]] = {}
    for method in methods:
        obj = scipy_objective(f, method=method, jit=True)
        trace: list[float] = [float(obj["fun"](x0))]
        obj.reset_counts()

        t0 = time.perf_counter()
        res = minimize(**obj, x0=x0, options=options(method), callback=recorder(trace))
        elapsed = time.perf_counter() - t0
        res["counts"] = obj.counts
        results[method] = (res, trace, elapsed)
    f_star = min(float(r.fun) for r, _, _ in results.values())
    head = (
        f"  {'method':<13}{'hessp':>6}{'iters':>7}{'fun':>7}{'jac':>7}{'hessp':>7}"
        f"{'f+grad':>8}{'HVPs':>7}{'time (s)':>10}{'f - f*':>10}{'|grad|':>10}  success"
    )
    print("  " + " " * 19 + "scipy's calls" + " " * 7 + "funcdiff's work")
    print(head)
    print("  " + "-" * (len(head) - 2))
    for method, (res, _, elapsed) in results.items():
        c = res["counts"]
        gnorm = float(np.linalg.norm(res.jac))
        uses = "yes" if method in HESSP_METHODS else "no"
        print(
            f"  {method:<13}{uses:>6}{res.nit:>7}{c.fun_calls:>7}{c.jac_calls:>7}"
            f"{c.hessp_calls:>7}{c.value_and_grad:>8}{c.hvp:>7}{elapsed:>10.3f}"
            f"{float(res.fun) - f_star:>10.1e}{gnorm:>10.1e}  {bool(res.success)}"
        )
    return results


def save_convergence(
    out: Path, name: str, title: str, results: dict[str, tuple[Any, list[float], float]]
) -> Path:
    from funcdiff import plot

    f_star = min(float(r.fun) for r, _, _ in results.values())
    ax = plot.loss_curve(
        {m: trace for m, (_, trace, _) in results.items()}, minimum=f_star, log=True
    )
    ax.set_title(title)
    ax.set_ylim(bottom=1e-16)
    path = out / f"{name}.png"
    ax.figure.savefig(path, dpi=110)
    plot.close(ax)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    with single_threaded_blas():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the pictures")
    parser.add_argument("--full", action="store_true", help="n = 1000 and a logistic regression")
    parser.add_argument("--n", type=int, default=None, help="Rosenbrock dimension (even)")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    n = args.n or (1000 if args.full else 100)
    if n % 2:
        parser.error("--n must be even")
    print(f"scipy.optimize.minimize with funcdiff's derivatives (jit=True; pictures in {out})")

    methods = [*HESSP_METHODS, *(m for m in GRAD_METHODS if m != "bfgs" or n <= BFGS_MAX_N)]
    if n > BFGS_MAX_N:
        print(f"(BFGS skipped for n = {n} > {BFGS_MAX_N}: its dense n x n matrix is too slow)")
    rosen = run(
        f"Extended Rosenbrock, n = {n}, from (-1.2, 1, -1.2, 1, ...); f* = 0",
        extended_rosenbrock,
        rosenbrock_start(n),
        methods,
    )
    path = save_convergence(
        out, "rosenbrock_convergence", f"Extended Rosenbrock, n = {n}: f - f*", rosen
    )
    print(f"  convergence: {path}")
    ok = all(bool(rosen[m][0].success) for m in ("trust-ncg", "trust-krylov"))

    if args.full:
        loss, w0 = logistic_problem(2000, 300)
        logit = run(
            "Logistic regression, 2000 samples, 300 badly scaled features (lambda = 1e-3)",
            loss,
            w0,
            [*HESSP_METHODS, *GRAD_METHODS],
        )
        path = save_convergence(out, "logistic_convergence", "Logistic regression: f - f*", logit)
        print(f"  convergence: {path}")
        ok = ok and bool(logit["trust-ncg"][0].success)
    print("\nThe Hessian-vector-product methods converged." if ok else "\nFAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""W9: Levenberg-Marquardt on NIST StRD nonlinear regression problems.

    python benchmarks/w9_least_squares.py            # table (about 20 s)
    python benchmarks/w9_least_squares.py --repeat 1  # counts only, quick

For each reference problem and each published starting point, funcdiff's
``optimize.levenberg_marquardt`` (exact Jacobians, eager and ``jit=True``)
and ``scipy.optimize.least_squares(method="lm")`` (MINPACK, given funcdiff's
exact Jacobian so both count the same evaluations; xtol = ftol = gtol =
1e-15) are run from the same start. The table gives iterations, residual
and Jacobian evaluations, the median wall time, and the digits matched: the
NIST log relative error, min over the parameters of -log10(|b - c| / |c|)
against the certified values (11 digits certified; >= 6 is the target). Not
part of the timed test suite (benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "tests" / "tools"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from _nist_strd import PROBLEMS, digits_matched  # noqa: E402

import funcdiff as fd  # noqa: E402
from funcdiff.optimize import levenberg_marquardt  # noqa: E402


def _median_time(run: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    out, times = None, []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per cell (median)")
    args = ap.parse_args(argv)
    try:
        from scipy.optimize import least_squares
    except ImportError:
        least_squares = None
    warnings.simplefilter("ignore", RuntimeWarning)  # overflowing trial points
    head = (
        f"{'problem':<9} {'level':<6} {'start':>5} | {'fd nit':>6} {'nfev':>5} {'njev':>5} "
        f"{'ms':>7} {'jit ms':>7} {'digits':>6} | {'scipy nfev':>10} {'njev':>5} {'ms':>7} "
        f"{'digits':>6}"
    )
    print(head)
    print("-" * len(head))
    for prob in PROBLEMS.values():
        jac = fd.jacfwd(prob.residual)

        def jac_np(b: np.ndarray, jac: Callable[..., Any] = jac) -> np.ndarray:
            return np.asarray(jac(np.asarray(b)))

        for k, start in ((1, prob.start1), (2, prob.start2)):
            x0 = np.array(start)
            res, t = _median_time(
                lambda x0=x0, prob=prob: levenberg_marquardt(prob.residual, x0, maxiter=1000),
                args.repeat,
            )
            levenberg_marquardt(prob.residual, x0, maxiter=1000, jit=True)  # compile
            _, tj = _median_time(
                lambda x0=x0, prob=prob: levenberg_marquardt(
                    prob.residual, x0, maxiter=1000, jit=True
                ),
                args.repeat,
            )
            dig = digits_matched(res.x, prob.certified)
            ok = "" if res.success else "*"
            line = (
                f"{prob.name:<9} {prob.difficulty:<6} {k:>5} | {res.nit:>6} {res.nfev:>5} "
                f"{res.njev:>5} {t * 1e3:>7.1f} {tj * 1e3:>7.1f} {dig:>5.1f}{ok:1} |"
            )
            if least_squares is not None:
                ref, ts = _median_time(
                    lambda x0=x0, prob=prob, jac_np=jac_np: least_squares(
                        prob.residual_np,
                        x0,
                        jac=jac_np,
                        method="lm",
                        xtol=1e-15,
                        ftol=1e-15,
                        gtol=1e-15,
                    ),
                    args.repeat,
                )
                sdig = digits_matched(ref.x, prob.certified)
                line += f" {ref.nfev:>10} {ref.njev:>5} {ts * 1e3:>7.1f} {sdig:>6.1f}"
            else:
                line += " scipy not installed"
            print(line)
    print(
        "\ndigits: NIST's log relative error against the certified parameters "
        "(negative: converged elsewhere); * = funcdiff reported no convergence"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Taylor mode against nested jvp: the k-th directional derivative, k = 1..8.

    python benchmarks/jet.py              # table (about a minute)
    python benchmarks/jet.py --max-order 6 --repeat 3   # quicker

For each function, the k-th derivative of ``t -> f(x0 + t v)`` at 0 is
computed two ways: by nesting ``jvp`` k times, and by one Taylor-mode pass
(``fd.taylor(f, order=k)``, the ``jet`` machinery: one recurrence per
primitive, O(k^2) work). The table gives the number of equations in each
program's jaxpr (``make_jaxpr``), the median eager wall time and the median
``fd.jit`` call time (compile time beside it), both measured in this process,
and the relative difference of the two results. Not part of the timed test
suite (``benchmarks/run.py``).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import funcdiff as fd  # noqa: E402
import funcdiff.numpy as fnp  # noqa: E402

Fun = Callable[[Any], Any]


def lecture(p: Any) -> Any:
    """The lecture's x**2 * exp(x + cos(y)) on a 2-vector."""
    return p[0] ** 2 * fnp.exp(p[0] + fnp.cos(p[1]))


_rng = np.random.default_rng(0)
_W1, _W2 = _rng.normal(size=(32, 16)) / 4, _rng.normal(size=(1, 32)) / 6


def mlp(x: Any) -> Any:
    """A two-layer tanh network with a scalar output, 16 inputs."""
    return fnp.sum(_W2 @ fnp.tanh(_W1 @ fnp.tanh(x)))


def nested(f: Fun, v: Any, k: int) -> Fun:
    g = f
    for _ in range(k):
        g = (lambda h: lambda y: fd.jvp(h, (y,), (v,))[1])(g)
    return g


def by_taylor(f: Fun, v: Any, k: int) -> Fun:
    t = fd.taylor(f, order=k)
    return lambda x: t(x, v)[k] * math.factorial(k)


def _median(run: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    out, times = None, []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def _row(g: Fun, x: Any, repeat: int, jit_limit: int) -> tuple[int, float, float, float, Any]:
    eqns = len(fd.make_jaxpr(g)(x).jaxpr.eqns)
    out, eager = _median(lambda: g(x), repeat)
    compile_s = call = math.nan
    if eqns <= jit_limit:
        jg = fd.jit(g)
        t0 = time.perf_counter()
        jg(x)
        compile_s = time.perf_counter() - t0
        _, call = _median(lambda: jg(x), repeat)
    return eqns, eager, call, compile_s, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-order", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per cell (median)")
    ap.add_argument(
        "--jit-limit", type=int, default=20_000, help="skip jit above this many equations"
    )
    args = ap.parse_args(argv)
    cases = [
        ("lecture f(x, y)", lecture, np.array([1.0, 2.0]), np.array([0.6, -0.8])),
        ("tanh MLP, 16 in", mlp, _rng.normal(size=16), _rng.normal(size=16)),
    ]
    print(
        f"{'function':<16} {'k':>2} | {'equations':>9} {'nested':>7} | {'eager ms':>9} "
        f"{'nested':>9} {'ratio':>6} | {'jit us':>8} {'nested':>9} | {'compile s':>9} "
        f"{'nested':>7} | {'rel diff':>8}"
    )
    for name, f, x, v in cases:
        for k in range(1, args.max_order + 1):
            te, t_eager, t_jit, t_comp, t_out = _row(by_taylor(f, v, k), x, args.repeat, 10**9)
            ne, n_eager, n_jit, n_comp, n_out = _row(
                nested(f, v, k), x, args.repeat, args.jit_limit
            )
            diff = abs(float(t_out) - float(n_out)) / max(abs(float(n_out)), 1e-300)
            print(
                f"{name:<16} {k:>2} | {te:>9} {ne:>7} | {t_eager * 1e3:>9.2f} "
                f"{n_eager * 1e3:>9.2f} {n_eager / t_eager:>6.1f} | {t_jit * 1e6:>8.1f} "
                f"{n_jit * 1e6:>9.1f} | {t_comp:>9.3f} {n_comp:>7.2f} | {diff:>8.1e}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

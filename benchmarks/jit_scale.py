"""``jit``'s first call on very long programs: time and peak memory.

    python benchmarks/jit_scale.py            # 10k and 100k equations (about a minute)
    python benchmarks/jit_scale.py --1m       # and 1M equations (a few minutes more)
    python benchmarks/jit_scale.py --sizes 20000 --stages

The program is W6's chain (``workloads.chain_objective``) on a 100-vector,
with as many steps as give the wanted number of equations: about two a
step for ``f``, about 16/3 a step for ``grad(f)`` (its forward and backward
passes). The ``*-mixed`` programs draw each step at random from four kinds,
so that no two pieces of the generated code are alike (code generation
compiles a piece that repeats only once: the plain chain, an unrolled loop,
is its best case, these its worst). Each (program, size) runs in a fresh subprocess, which
imports funcdiff, measures its peak resident memory (``ru_maxrss``) as the
baseline, then times the first call of ``jit(f)(x)`` (trace + optimize +
compile + run) and reports the peak memory above the baseline, the second
call's time and the equation counts (as traced, as optimized). The result is
checked against the eager function. ``--stages`` adds the time spent
tracing, in the passes and in code generation (a separate, instrumented run
of the same subprocess). Not part of the timed suite (``benchmarks/run.py``).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: a step of the chain is about this many equations of f, and of grad(f)
EQNS_PER_STEP = {"f": 2.0, "grad": 16.0 / 3.0}
KINDS = ("f", "grad", "f-mixed", "grad-mixed")


def mixed_chain(m: Any, steps: int) -> Any:
    """A chain like W6's whose steps (and constants) are drawn at random:
    its jaxpr has no repeating stretch."""
    rng = random.Random(6)
    plan = [(rng.randrange(4), rng.uniform(0.5, 1.0)) for _ in range(steps)]

    def chain(x: Any) -> Any:
        for k, c in plan:
            if k == 0:
                x = m.sin(x) * c
            elif k == 1:
                x = x + 0.001 * c * x**2
            elif k == 2:
                x = m.tanh(x)
            else:
                x = m.cos(x) * c
        return m.sum(x)

    return chain


def _worker(kind: str, n_eqns: int, stages: bool) -> dict[str, Any]:
    """Run in the subprocess: one first call, measured."""
    import resource

    import numpy as np

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import funcdiff as fd
    import funcdiff.numpy as fnp
    from benchmarks.workloads import chain_objective

    steps = int(n_eqns / EQNS_PER_STEP[kind.split("-")[0]])
    x = np.random.default_rng(6).uniform(-1.0, 1.0, size=100)
    f = (mixed_chain if kind.endswith("mixed") else chain_objective)(fnp, steps)
    g = fd.grad(f) if kind.startswith("grad") else f
    timings: dict[str, float] = {}
    if stages:
        _instrument(timings)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    jf = fd.jit(g)
    t0 = time.perf_counter()
    out = jf(x)
    first = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    jf(x)
    second = time.perf_counter() - t0
    lowered = jf.lower(x)
    # the reference: the same program run eagerly (f only; grad's eager run is
    # itself a long computation of the same kind)
    ok = True
    if not kind.startswith("grad"):
        ok = bool(np.allclose(out, f(x), rtol=1e-10, atol=1e-12))
    return {
        "kind": kind,
        "steps": steps,
        "traced": lowered.traced_eqns,
        "optimized": len(lowered.jaxpr.eqns),
        "first_s": first,
        "second_s": second,
        "peak_mb": (peak - base) / 1024.0,  # ru_maxrss is in KiB on Linux
        "ok": ok,
        "stages": timings,
    }


def _instrument(timings: dict[str, float]) -> None:
    """Time the stages of a first call by wrapping the functions jit calls."""
    import funcdiff.interpreters.staging as staging

    jit_mod = sys.modules["funcdiff.jit"]

    def wrap(mod: Any, name: str, label: str) -> None:
        orig = getattr(mod, name)

        def timed(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return orig(*a, **k)
            finally:
                timings[label] = timings.get(label, 0.0) + time.perf_counter() - t0

        setattr(mod, name, timed)

    wrap(jit_mod, "trace_to_jaxpr", "trace")
    wrap(staging, "optimize", "passes")
    wrap(staging, "fuse_pad_add", "passes")
    wrap(staging, "compile_jaxpr", "codegen")


def _run(kind: str, n_eqns: int, stages: bool) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", kind, str(n_eqns)]
    if stages:
        cmd.append("--stages")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
        steps = int(n_eqns / EQNS_PER_STEP[kind.split("-")[0]])
        return {"kind": kind, "steps": steps, "error": tail[0]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _row(r: dict[str, Any]) -> str:
    name = r["kind"].replace("grad", "grad(f)")
    if "error" in r:
        return f"| {name:<7} | {r['steps']:>7,} | failed: {r['error']} |"
    cells = [
        f"{name:<7}",
        f"{r['steps']:>7,}",
        f"{r['traced']:>9,}",
        f"{r['optimized']:>9,}",
        f"{r['first_s']:>7.2f}",
        f"{r['peak_mb']:>7.0f}",
        f"{r['second_s'] * 1e3:>8.1f}",
        "yes" if r["ok"] else "NO",
    ]
    line = "| " + " | ".join(cells) + " |"
    if r["stages"]:
        line += " " + ", ".join(f"{k} {v:.2f}s" for k, v in r["stages"].items())
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--1m", dest="million", action="store_true", help="add 1M equations")
    parser.add_argument("--kinds", nargs="*", default=["f", "grad"], choices=KINDS)
    parser.add_argument("--stages", action="store_true", help="time trace/passes/codegen")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, n = args.worker
        print(json.dumps(_worker(kind, int(n), args.stages)))
        return
    sizes = [*args.sizes, *([1_000_000] if args.million else [])]
    print(
        "| program | steps   | traced eqns | optimized | first call s | peak MB | "
        "2nd call ms | matches |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for n in sizes:
        for kind in args.kinds:
            print(_row(_run(kind, n, args.stages)), flush=True)


if __name__ == "__main__":
    main()

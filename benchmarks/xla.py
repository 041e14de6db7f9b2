"""The XLA backend against funcdiff's numpy backend and jax.jit.

    python benchmarks/xla.py                 # full run (a few minutes on 2 cores)
    python benchmarks/xla.py --quick         # smoke check (well under a minute)
    python benchmarks/xla.py --markdown out.md --json out.json
    python benchmarks/xla.py --no-sharded    # skip the 1- vs 8-device subprocesses
    python benchmarks/xla.py --sweep-only    # W6's chain at lengths 1,000 to 3,000

In one process, for workloads W4, W6 and W7 (benchmarks/workloads.py):

* ``numpy``: funcdiff's numpy backend, ``fd.jit(grad f)`` (``hvp`` for W7);
* ``fd jax``: the same under ``fd.jit(..., backend="jax")`` (the jaxpr
  funcdiff derived, lowered onto ``jax.lax`` and compiled by XLA);
* ``jax.jit``: ``jax.jit(jax.grad(f))`` (``jvp`` of ``grad`` for W7) on the
  same function written against ``jax.numpy``.

Every result is checked against the hand-written derivative first. Steady
state times are medians of interleaved samples (``benchmarks/timing.py``);
JAX implementations get JAX arrays (already on the device) and are timed
with ``block_until_ready``. "First call" is the first call of a fresh jitted
function: for ``fd jax`` funcdiff's trace and transform, the lowering onto
``jax.lax`` and XLA's compile; for ``jax.jit`` JAX's trace and XLA's compile.

Then the crossover (where the numpy backend is faster): W1, the W6 chain at
fewer steps and other vector sizes, and the Rosenbrock gradient at several
sizes. Then W6's chain at lengths around 2,000 steps (``--sweep-only`` runs
just this): XLA's CPU code generator for very large element-wise fusions
slows down by 10-300x at some lengths and not at their neighbours, for JAX's
own program as for funcdiff's, so one length says little about either.
Last, ``examples/sharded_hvp.py`` on 1 and on 8 simulated CPU devices (one
subprocess each: the device count is fixed when JAX is imported).
Results: docs/performance.md, section "XLA backend".
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks import timing  # noqa: E402
from benchmarks.workloads import (  # noqa: E402
    WORKLOADS,
    FuncdiffJit,
    JaxJit,
    Workload,
    chain_hand,
    chain_objective,
    compare,
    hand_call,
    rosen_grad,
    rosen_objective,
    rosen_setup,
    w1_hand,
    w1_objective,
    w1_setup,
)

FULL = {"repeats": 15, "target": 0.025, "max_seconds": 4.0}
QUICK = {"repeats": 3, "target": 0.004, "max_seconds": 0.4}
IMPLS = ["numpy", "fd jax", "jax.jit"]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class FuncdiffXla(FuncdiffJit):
    """``fd.jit(derivative, backend="jax")``, fed JAX arrays like jax.jit."""

    name = "fd jax"

    def __init__(self) -> None:
        super().__init__()
        import jax

        self.jax = jax

    def derivative(self, kind: str, f: Any) -> Any:
        inner = super(FuncdiffJit, self).derivative(kind, f)
        return self.jit(inner, backend="jax")

    def convert(self, a: Any) -> Any:
        return self.jax.numpy.asarray(np.asarray(a, dtype=np.float64))

    def finish(self, out: Any) -> Any:
        return self.jax.block_until_ready(out)


def builders() -> dict[str, Any]:
    return {"numpy": FuncdiffJit(), "fd jax": FuncdiffXla(), "jax.jit": JaxJit()}


def measure(
    w: Workload, frameworks: dict[str, Any], cfg: dict[str, Any], setup: Any = None
) -> dict[str, Any]:
    """First call and steady-state median of each implementation of ``w``."""
    s = (setup or w.setup)()
    reference = hand_call(w, s)()
    calls: dict[str, Callable[[], Any]] = {}
    res: dict[str, Any] = {}
    for name, fw in frameworks.items():
        fn = fw.build(w, s)
        t0 = time.perf_counter()
        out = fn()
        first = time.perf_counter() - t0
        bad = compare(out, reference)
        if bad is not None:
            raise SystemExit(f"{w.key} {name}: wrong result: {bad}")
        res[name] = {"first_call_s": first}
        calls[name] = fn
    for fn in calls.values():  # a second warm call: caches, fast paths
        fn()
    stats = timing.interleaved(calls, cfg["repeats"], cfg["target"], cfg["max_seconds"])
    for name, st in stats.items():
        res[name].update(median_s=st.median, q1_s=st.q1, q3_s=st.q3, number=st.number)
    return res


# -- the crossover workloads ---------------------------------------------------


def chain_workload(steps: int, n: int) -> Workload:
    """W6's chain of element-wise steps, with ``steps`` steps on an ``n``-vector."""

    def objective(m: Any) -> Any:
        return chain_objective(m, steps)

    def hand(x: np.ndarray) -> np.ndarray:
        return chain_hand(x, steps)

    def setup() -> Any:
        from benchmarks.workloads import Setup

        return Setup(args=(np.random.default_rng(n).uniform(-1.0, 1.0, size=n),))

    return Workload(f"chain {steps} x {n}", "", "grad", setup, objective, hand)


def crossover_workloads(quick: bool) -> list[Workload]:
    ws = [Workload("W1 (scalar)", "", "grad", w1_setup, w1_objective, w1_hand)]
    chains = [(20, 100), (200, 100), (2000, 10), (2000, 10_000)]
    if quick:
        chains = [(20, 100), (200, 100)]
    ws += [chain_workload(s, n) for s, n in chains]
    for n in [10, 1000, 100_000] if not quick else [10, 1000]:
        ws.append(
            Workload(
                f"Rosenbrock grad n={n}", "", "grad", rosen_setup(n), rosen_objective, rosen_grad
            )
        )
    return ws


SWEEP_STEPS = (1000, 1300, 1600, 2000, 2500, 3000)


def sweep_workloads() -> list[Workload]:
    """W6's chain (100-vector) at lengths around its 2,000 steps."""
    return [chain_workload(s, 100) for s in SWEEP_STEPS]


# -- sharded ---------------------------------------------------------------------


def sharded(devices: int, quick: bool) -> dict[str, Any]:
    """examples/sharded_hvp.py on ``devices`` simulated CPU devices."""
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"funcdiff_sharded_{os.getpid()}_{devices}.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["JAX_PLATFORMS"] = "cpu"
    env.pop("XLA_FLAGS", None)
    n, batch, repeats = (32, 64, 5) if quick else (128, 512, 30)
    cmd = [
        sys.executable,
        str(ROOT / "examples" / "sharded_hvp.py"),
        f"--devices={devices}",
        f"--n={n}",
        f"--batch={batch}",
        f"--repeats={repeats}",
        f"--json={out}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200)
    if proc.returncode != 0:
        raise SystemExit(f"sharded run on {devices} devices failed:\n{proc.stdout}\n{proc.stderr}")
    report: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return report


# -- output ----------------------------------------------------------------------


def fmt_s(t: float) -> str:
    if t >= 1.0:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    return f"{t * 1e6:.3g} us"


def markdown(results: dict[str, Any]) -> str:
    lines: list[str] = []
    if results["workloads"]:
        lines += ["Steady state (median per call, compiled):", ""]
        lines += [
            '| | numpy backend | fd.jit(backend="jax") | jax.jit | fd jax / jax.jit '
            "| numpy / fd jax |",
            "|---|---|---|---|---|---|",
        ]
        for key, r in results["workloads"].items():
            a, b, c = (r[i]["median_s"] for i in IMPLS)
            lines.append(
                f"| {key} | {fmt_s(a)} | {fmt_s(b)} | {fmt_s(c)} | {b / c:.2f}x | {a / b:.2f}x |"
            )
        lines += ["", "First call (trace, transform, lower, compile):", ""]
        lines += [
            '| | numpy backend | fd.jit(backend="jax") | jax.jit | fd jax / jax.jit |',
            "|---|---|---|---|---|",
        ]
        for key, r in results["workloads"].items():
            a, b, c = (r[i]["first_call_s"] for i in IMPLS)
            lines.append(f"| {key} | {fmt_s(a)} | {fmt_s(b)} | {fmt_s(c)} | {b / c:.2f}x |")
    if results["crossover"]:
        lines += ["", "Crossover (median per call; the faster funcdiff backend in bold):", ""]
        lines += [
            '| | numpy backend | fd.jit(backend="jax") | jax.jit | numpy / fd jax '
            "| fd jax first call |",
            "|---|---|---|---|---|---|",
        ]
        for key, r in results["crossover"].items():
            a, b, c = (r[i]["median_s"] for i in IMPLS)
            sa, sb = fmt_s(a), fmt_s(b)
            if a < b:
                sa = f"**{sa}**"
            else:
                sb = f"**{sb}**"
            first = fmt_s(r["fd jax"]["first_call_s"])
            lines.append(f"| {key} | {sa} | {sb} | {fmt_s(c)} | {a / b:.2f}x | {first} |")
    if results.get("sweep"):
        lines += ["", "W6's chain at other lengths (median per call, compiled):", ""]
        lines += [
            '| | numpy backend | fd.jit(backend="jax") | jax.jit | fd jax / jax.jit |',
            "|---|---|---|---|---|",
        ]
        logs = []
        for key, r in results["sweep"].items():
            a, b, c = (r[i]["median_s"] for i in IMPLS)
            logs.append(np.log(b / c))
            lines.append(f"| {key} | {fmt_s(a)} | {fmt_s(b)} | {fmt_s(c)} | {b / c:.2f}x |")
        gm = float(np.exp(np.mean(logs)))
        lines.append(f"| geometric mean | | | | {gm:.2f}x |")
    if results.get("sharded"):
        lines += ["", "Sharded (examples/sharded_hvp.py; median per call, first call):", ""]
        lines += [
            "| program | 1 device | 8 devices | 8 / 1 | first call 1 | first call 8 | shards |",
            "|---|---|---|---|---|---|---|",
        ]
        one, eight = results["sharded"]["1"], results["sharded"]["8"]
        for name in one["programs"]:
            p1, p8 = one["programs"][name], eight["programs"][name]
            t1, t8 = p1["median_s_all"], p8["median_s_all"]
            lines.append(
                f"| {name} (n={one['n']}, batch={one['batch']}) | {fmt_s(t1)} | {fmt_s(t8)} | "
                f"{t8 / t1:.2f}x | {fmt_s(p1['first_call_s_all'])} | "
                f"{fmt_s(p8['first_call_s_all'])} | {p8['layout_all'][0]['shards']} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repeats, small crossover grid")
    parser.add_argument("--no-sharded", action="store_true", help="skip the sharded runs")
    parser.add_argument(
        "--sweep-only", action="store_true", help="only W6's chain at lengths 1,000-3,000"
    )
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--markdown", type=Path, default=None)
    a = parser.parse_args(argv)
    cfg = QUICK if a.quick else FULL
    import jax

    frameworks = builders()
    gc.freeze()  # JAX's long-lived objects: keep collections off them (see timing.py)
    results: dict[str, Any] = {
        "machine": {"cores": os.cpu_count(), "jax": jax.__version__, "numpy": np.__version__},
        "config": cfg,
        "workloads": {},
        "crossover": {},
    }
    if not a.sweep_only:
        for key in ("W4", "W6", "W7"):
            log(f"{key} ...")
            results["workloads"][key] = measure(WORKLOADS[key], frameworks, cfg)
        for w in crossover_workloads(a.quick):
            log(f"{w.key} ...")
            results["crossover"][w.key] = measure(w, frameworks, cfg)
    if a.sweep_only or not a.quick:
        results["sweep"] = {}
        for w in sweep_workloads():
            log(f"{w.key} ...")
            results["sweep"][w.key] = measure(w, frameworks, cfg)
    if not (a.no_sharded or a.sweep_only):
        log("sharded, 1 and 8 devices ...")
        results["sharded"] = {str(d): sharded(d, a.quick) for d in (1, 8)}
    text = markdown(results)
    print(text)
    targets = []
    for key in ("W6", "W7"):
        if key in results["workloads"]:
            r = results["workloads"][key]
            ratio = r["fd jax"]["median_s"] / r["jax.jit"]["median_s"]
            targets.append(f"{key}: fd jax / jax.jit = {ratio:.2f} (target <= 1.1)")
    for key in ("W4", "W6", "W7"):
        if key in results["workloads"]:
            r = results["workloads"][key]
            ratio = r["numpy"]["median_s"] / r["fd jax"]["median_s"]
            targets.append(f"{key}: numpy / fd jax = {ratio:.2f} (target > 1)")
    print("\n".join(targets))
    if a.json is not None:
        a.json.write_text(json.dumps(results, indent=1))
    if a.markdown is not None:
        a.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

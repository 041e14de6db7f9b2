"""Run the funcdiff benchmark suite and print the results table.

    python benchmarks/run.py                    # full suite (a few minutes)
    python benchmarks/run.py --quick --only W1,W2   # CI smoke check (< 60 s)
    python benchmarks/run.py --json results.json
    python benchmarks/run.py --only W3 --profile funcdiff   # cProfile top entries

Every implementation's result is checked against the hand-written numpy
derivative before timing. Times are medians over interleaved repeats
(``benchmarks/timing.py``); ratios are relative to the hand-written numpy
derivative measured in the same run. See docs/performance.md. W8 (sparse
Hessians, n up to 1e6) and W9 (Levenberg-Marquardt) are separate scripts:
benchmarks/sparse.py and benchmarks/w9_least_squares.py.

Exit status: 1 when a funcdiff implementation raised or gave a wrong result
(so the quick run doubles as a CI smoke test), else 0; peers' failures are
reported but do not fail the run.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import gc
import json
import math
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# (eager target, jit target) for funcdiff, as ratios to hand-written numpy
TARGETS: dict[str, tuple[float, float]] = {
    "W1": (20.0, 3.0),
    "W2": (8.0, 1.1),
    "W3": (20.0, 1.5),
    "W4": (1.05, 1.0),
    "W5": (2.5, 1.2),
    "W6": (3.0, 1.0),
    "W7": (4.0, 0.8),
}
# reference ratios quoted in the issue
ISSUE_REFERENCE: dict[str, dict[str, float]] = {
    "autograd": {"W1": 86, "W2": 25, "W3": 714, "W6": 6.9},
    "jax.jit": {"W1": 9.7, "W2": 2.1, "W3": 1.18, "W6": 1.01, "W7": 0.49},
}

IMPL_ORDER = ["numpy (hand)", "funcdiff", "funcdiff.jit", "autograd", "jax", "jax.jit", "torch"]

FULL = {"repeats": 15, "target": 0.025, "max_seconds": 4.0, "import_runs": 7}
QUICK = {"repeats": 3, "target": 0.005, "max_seconds": 0.5, "import_runs": 3}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# machine description
# ---------------------------------------------------------------------------


def _git_describe() -> str | None:
    """HEAD of the funcdiff checkout (read-only git calls), '+dirty' with local edits."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "funcdiff"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def machine_info() -> dict[str, Any]:
    import numpy as np

    model = platform.processor() or platform.machine()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        model = fields.get("Model name", model)
        extra = [
            f"family {fields['CPU family']} model {fields['Model']}"
            if "CPU family" in fields and "Model" in fields
            else "",
            f"{fields['Hypervisor vendor']} VM" if "Hypervisor vendor" in fields else "",
        ]
        model = ", ".join([model, *(e for e in extra if e)])
    except (OSError, subprocess.SubprocessError):
        pass
    info: dict[str, Any] = {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_avg_start": list(os.getloadavg()),
        "env": {
            k: os.environ[k]
            for k in (
                "OMP_NUM_THREADS",
                "OPENBLAS_NUM_THREADS",
                "MKL_NUM_THREADS",
                "XLA_FLAGS",
                *MALLOC_ENV,
            )
            if k in os.environ
        },
    }
    info["funcdiff_commit"] = _git_describe()
    for mod in ("autograd", "jax", "jaxlib", "torch"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:
            info[mod] = None
    return info


# ---------------------------------------------------------------------------
# one workload
# ---------------------------------------------------------------------------


def _interleaved(calls: dict[str, Callable[[], Any]], cfg: dict[str, Any]) -> dict[str, Any]:
    """``timing.interleaved`` on ``calls`` with the run's settings."""
    from benchmarks import timing

    return timing.interleaved(
        calls,
        cfg["repeats"],
        cfg["target"],
        cfg["max_seconds"],
        clock=timing.CLOCKS[cfg["clock"]],
        collect_generation=cfg["collect_generation"],
    )


def run_workload(w: Any, frameworks: dict[str, Any], cfg: dict[str, Any]) -> dict[str, Any]:
    from benchmarks import timing
    from benchmarks.workloads import HAND, compare, hand_call

    s = w.setup()
    calls: dict[str, Callable[[], Any]] = {}
    res: dict[str, dict[str, Any]] = {}

    hand = hand_call(w, s)
    t_first = timing.time_once(hand)
    reference = hand()
    calls[HAND] = hand
    res[HAND] = {"status": "ok", "first_call_s": t_first}

    for name, fw in frameworks.items():
        try:
            fn = fw.build(w, s)
            t0 = time.perf_counter()
            out = fn()
            t_first = time.perf_counter() - t0
        except Exception as e:  # a broken implementation is reported, not fatal
            res[name] = {
                "status": "error",
                "error": f"{type(e).__name__}: {e}"[:500],
                "traceback": traceback.format_exc(limit=6),
            }
            log(f"  {w.key} {name}: ERROR {type(e).__name__}: {str(e)[:200]}")
            continue
        bad = compare(out, reference)
        res[name] = {"status": "ok" if bad is None else "mismatch", "first_call_s": t_first}
        if bad is not None:
            res[name]["mismatch"] = bad
            log(f"  {w.key} {name}: MISMATCH vs hand-written: {bad}")
        # a second call before timing: eager hessian/hvp compile on the second
        # sighting of a structure, so steady state starts at the third call
        # (without this, calibration takes the compile for a call's cost and
        # picks a handful of calls per sample)
        if bad is None:
            fn()
        calls[name] = fn

    stats = _interleaved(calls, cfg)
    base = stats[HAND].median
    for name, st in stats.items():
        res[name].update(st.as_dict())
        res[name]["ratio"] = st.median / base
    return {"title": w.title, "kind": w.kind, "results": res}


def run_cheap_grad(w: Any, frameworks: dict[str, Any], cfg: dict[str, Any]) -> dict[str, Any]:
    """time(grad f) / time(f), for numpy (hand) and funcdiff eager and jit."""
    from benchmarks.workloads import HAND, NumpyValue, hand_call

    s = w.setup()
    calls: dict[str, Callable[[], Any]] = {
        "numpy f": NumpyValue().build_value(w, s),
        f"{HAND} grad": hand_call(w, s),
    }
    for name in ("funcdiff", "funcdiff.jit"):
        fw = frameworks.get(name)
        if fw is None:
            continue
        try:
            f_call, g_call = fw.build_value(w, s), fw.build(w, s)
            f_call()
            g_call()
        except Exception as e:
            log(f"  {w.key} cheap-grad {name}: ERROR {type(e).__name__}: {str(e)[:200]}")
            continue
        calls[f"{name} f"] = f_call
        calls[f"{name} grad"] = g_call
    for fn in calls.values():
        fn()
    stats = _interleaved(calls, cfg)
    out: dict[str, Any] = {k: v.median for k, v in stats.items()}
    ratios: dict[str, float] = {}
    for prefix, fkey in (
        ("numpy (hand)", "numpy f"),
        ("funcdiff", "funcdiff f"),
        ("funcdiff.jit", "funcdiff.jit f"),
    ):
        gkey = f"{prefix} grad"
        if gkey in stats and fkey in stats:
            ratios[prefix] = stats[gkey].median / stats[fkey].median
    return {"median_s": out, "grad_over_f": ratios}


def run_memory_w5(frameworks: dict[str, Any], quick: bool) -> dict[str, Any]:
    """Peak traced memory (tracemalloc) of the W5 Hessian, with and without chunk_size."""
    import tracemalloc

    from benchmarks.workloads import WORKLOADS

    w = WORKLOADS["W5"]
    s = w.setup()
    fd = frameworks.get("funcdiff")
    configs: dict[str, Callable[[], Any]] = {"numpy (hand)": lambda: w.hand(*s.args)}
    if fd is not None:
        f = fd.objective(w)
        for chunk in (None, 100, 50, 20, 10):
            h = fd.hessian_chunked(f, chunk)
            configs[f"funcdiff chunk_size={chunk}"] = functools.partial(h, *s.args)
    jit = frameworks.get("funcdiff.jit")
    if jit is not None:
        hj = jit.derivative("hessian", jit.objective(w))
        configs["funcdiff.jit"] = lambda: hj(*s.args)
    out: dict[str, Any] = {}
    for name, fn in configs.items():
        try:
            fn()  # warm-up (imports, caches, jit compile)
            times = []
            for _ in range(1 if quick else 5):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            gc.collect()
            tracemalloc.start()
            fn()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            out[name] = {"peak_bytes": peak, "time_s": sorted(times)[len(times) // 2]}
        except Exception as e:
            out[name] = {"error": f"{type(e).__name__}: {e}"[:300]}
    return out


def import_time(runs: int) -> dict[str, Any]:
    """Median wall time of ``import funcdiff`` after ``import numpy``, in fresh interpreters."""
    code = (
        "import time, numpy\n"
        "t = time.perf_counter()\n"
        "import funcdiff\n"
        "print(time.perf_counter() - t)\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    # measure what users get: bytecode cached (an environment may disable
    # writing .pyc files; one warm-up run writes them)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, timeout=120)
    times = []
    for _ in range(runs):
        r = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
        )
        if r.returncode != 0:
            return {"error": r.stderr[-500:]}
        times.append(float(r.stdout.strip().splitlines()[-1]))
    times.sort()
    return {"median_s": times[len(times) // 2], "runs_s": times}


# ---------------------------------------------------------------------------
# profiling
# ---------------------------------------------------------------------------


def profile(
    workloads: list[Any], frameworks: dict[str, Any], impl: str, top: int, seconds: float
) -> None:
    import cProfile
    import io
    import pstats

    fw = frameworks.get(impl)
    if fw is None:
        sys.exit(
            f"--profile: implementation {impl!r} is not available (have: {', '.join(frameworks)})"
        )
    for w in workloads:
        s = w.setup()
        fn = fw.build(w, s)
        fn()
        t0 = time.perf_counter()
        fn()
        one = time.perf_counter() - t0
        n = max(1, math.ceil(seconds / max(one, 1e-9)))
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            fn()
        prof.disable()
        for key in ("tottime", "cumulative"):
            buf = io.StringIO()
            st = pstats.Stats(prof, stream=buf)
            st.sort_stats(key).print_stats(top)
            text = buf.getvalue()
            body = text[text.find("   ncalls") :] if "   ncalls" in text else text
            print(
                f"\n=== profile {w.key} {impl}: {n} calls, {one * 1e3:.3f} ms/call "
                f"unprofiled; top {top} by {key} ==="
            )
            print(body.rstrip())


# ---------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------


def _fmt_ms(s: float) -> str:
    ms = s * 1e3
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.4f}"


def _fmt_ratio(r: float) -> str:
    if r >= 100:
        return f"{r:.0f}x"
    if r >= 10:
        return f"{r:.1f}x"
    return f"{r:.2f}x"


def _cell(r: dict[str, Any] | None, field: str) -> str:
    if r is None:
        return "-"
    if r.get("status") == "error":
        return "ERROR"
    if field not in r:
        return "-"
    v = r[field]
    text = _fmt_ms(v) if field.endswith("_s") else _fmt_ratio(v)
    return text + ("*" if r.get("status") == "mismatch" else "")


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(wd) if i == 0 else c.rjust(wd)
            for i, (c, wd) in enumerate(zip(cells, widths, strict=True))
        )

    sep = "  ".join("-" * wd for wd in widths)
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def render(report: dict[str, Any]) -> str:
    wls = report["workloads"]
    impls = [i for i in IMPL_ORDER if any(i in wr["results"] for wr in wls.values())]
    out: list[str] = []
    m = report["machine"]
    out.append(
        f"funcdiff benchmarks  {m['date']}  {m['cpu']}, {m['cores']} cores, "
        f"Python {m['python']}, numpy {m['numpy']}"
        + "".join(f", {k} {m[k]}" for k in ("autograd", "jax", "torch") if m.get(k))
    )
    c = report["config"]
    out.append(
        f"mode: {c['mode']}, threads {c['threads'] or 'default'}, {c['clock']} clock, "
        f"malloc {c['malloc']}, "
        + (f"big heap {c['big_heap']:,} objects, " if c.get("big_heap") else "")
        + f"repeats {c['repeats']}, ~{c['target'] * 1e3:.0f} ms per sample; load avg at start "
        f"{m['load_avg_start'][0]:.2f}, end {m.get('load_avg_end', [math.nan])[0]:.2f}"
    )

    out.append("\nMedian time per call (ms)")
    rows = [[k] + [_cell(wr["results"].get(i), "median_s") for i in impls] for k, wr in wls.items()]
    out.append(_table(["workload", *impls], rows))

    out.append(
        "\nRatio to hand-written numpy (median / median(numpy hand));"
        " funcdiff targets eager / jit; '!' = target missed"
    )
    rows = []
    for k, wr in wls.items():
        r = wr["results"]
        row = [k] + [_cell(r.get(i), "ratio") for i in impls]
        te, tj = TARGETS[k]
        for name, t in (("funcdiff", te), ("funcdiff.jit", tj)):
            if name in impls:
                j = impls.index(name) + 1
                ratio = r.get(name, {}).get("ratio")
                if ratio is not None and ratio > t:
                    row[j] += "!"
        rows.append([*row, f"{te:g}x / {tj:g}x"])
    out.append(_table(["workload", *impls, "target e/j"], rows))

    out.append("\nFirst call (ms): warm-up call; for jit = trace + optimize + compile + run")
    fc = [i for i in ("funcdiff", "funcdiff.jit", "jax", "jax.jit") if i in impls]
    rows = [
        [k] + [_cell(wr["results"].get(i), "first_call_s") for i in fc] for k, wr in wls.items()
    ]
    out.append(_table(["workload", *fc], rows))

    problems = [
        (k, i, r)
        for k, wr in wls.items()
        for i, r in wr["results"].items()
        if r.get("status") != "ok"
    ]
    if problems:
        out.append("\nProblems (* in the tables = result differs from the hand-written one):")
        for k, i, r in problems:
            out.append(f"  {k} {i}: {r['status']}: {r.get('mismatch') or r.get('error')}")

    cg = {k: wr["cheap_grad"] for k, wr in wls.items() if "cheap_grad" in wr}
    if cg:
        out.append("\nCheap-gradient ratio time(grad f) / time(f)")
        cols = ["numpy (hand)", "funcdiff", "funcdiff.jit"]
        rows = [
            [k]
            + [_fmt_ratio(c["grad_over_f"][x]) if x in c["grad_over_f"] else "-" for x in cols]
            + [_fmt_ms(c["median_s"]["numpy f"])]
            for k, c in cg.items()
        ]
        out.append(_table(["workload", *cols, "numpy f (ms)"], rows))

    if "memory_w5" in report:
        out.append("\nW5 Hessian peak traced memory (tracemalloc) and time")
        rows = []
        for name, r in report["memory_w5"].items():
            if "error" in r:
                rows.append([name, "ERROR", r["error"][:60]])
            else:
                rows.append([name, f"{r['peak_bytes'] / 2**20:.1f} MiB", _fmt_ms(r["time_s"])])
        out.append(_table(["implementation", "peak", "time (ms)"], rows))

    if "import_time" in report:
        it = report["import_time"]
        if "error" in it:
            out.append(f"\nimport funcdiff: ERROR {it['error']}")
        else:
            out.append(
                f"\nimport funcdiff (after numpy, fresh interpreter, median of "
                f"{len(it['runs_s'])}): {it['median_s'] * 1e3:.0f} ms"
            )
    return "\n".join(out)


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def render_markdown(report: dict[str, Any]) -> str:
    """The results as the markdown tables of docs/performance.md."""
    m, c, wls = report["machine"], report["config"], report["workloads"]
    out = [
        f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores), Python {m['python']}, "
        f"numpy {m['numpy']}"
        + "".join(f", {k} {m[k]}" for k in ("autograd", "jax", "torch") if m.get(k))
        + f", funcdiff {m.get('funcdiff_commit')}"
        + f". Mode {c['mode']}: {c['repeats']} interleaved repeats, ~{c['target'] * 1e3:.0f} ms "
        f"samples, threads {c['threads'] or 'default'}, {c['clock']} clock, malloc {c['malloc']}"
        + (f", a heap of {c['big_heap']:,} small objects alive" if c.get("big_heap") else "")
        + "; "
        f"load average {m['load_avg_start'][0]:.1f} at start, "
        f"{m.get('load_avg_end', [math.nan])[0]:.1f} at end; "
        f"total {report.get('total_seconds', math.nan):.0f} s.",
        "",
        "Ratios to the hand-written numpy derivative (lower is better; **bold** = target missed):",
        "",
    ]
    rows = []
    for k, wr in wls.items():
        r = wr["results"]
        te, tj = TARGETS[k]

        def cell(name: str, target: float | None = None, r: dict[str, Any] = r) -> str:
            x = r.get(name)
            if x is None:
                return "-"
            if x.get("status") == "error":
                return "error"
            if "ratio" not in x:
                return "-"
            text = _fmt_ratio(x["ratio"]) + (" (mismatch)" if x["status"] == "mismatch" else "")
            return f"**{text}**" if target is not None and x["ratio"] > target else text

        refs = ", ".join(
            f"{p} {ISSUE_REFERENCE[p][k]:g}x" for p in ISSUE_REFERENCE if k in ISSUE_REFERENCE[p]
        )
        hand = r.get("numpy (hand)", {}).get("median_s", math.nan)
        rows.append(
            [
                f"{k} {wr['title']}",
                _fmt_ms(hand),
                cell("funcdiff", te),
                f"<= {te:g}x",
                cell("funcdiff.jit", tj),
                f"<= {tj:g}x",
                cell("autograd"),
                cell("jax"),
                cell("jax.jit"),
                cell("torch"),
                refs or "-",
            ]
        )
    out.append(
        _md_table(
            [
                "workload",
                "numpy hand (ms)",
                "funcdiff",
                "eager target",
                "funcdiff.jit",
                "jit target",
                "autograd",
                "jax",
                "jax.jit",
                "torch",
                "issue reference",
            ],
            rows,
        )
    )

    out += ["", "Median time per call (ms):", ""]
    impls = [i for i in IMPL_ORDER if any(i in wr["results"] for wr in wls.values())]
    out.append(
        _md_table(
            ["workload", *impls],
            [
                [k] + [_cell(wr["results"].get(i), "median_s") for i in impls]
                for k, wr in wls.items()
            ],
        )
    )

    fc = [i for i in ("funcdiff", "funcdiff.jit", "jax", "jax.jit") if i in impls]
    out += ["", "First call (ms; for jit: trace + optimize + compile + run):", ""]
    out.append(
        _md_table(
            ["workload", *fc],
            [
                [k] + [_cell(wr["results"].get(i), "first_call_s") for i in fc]
                for k, wr in wls.items()
            ],
        )
    )

    cg = {k: wr["cheap_grad"] for k, wr in wls.items() if "cheap_grad" in wr}
    if cg:
        out += ["", "Cheap-gradient ratio time(grad f) / time(f):", ""]
        cols = ["numpy (hand)", "funcdiff", "funcdiff.jit"]
        out.append(
            _md_table(
                [
                    "workload",
                    "numpy: hand grad / f",
                    "funcdiff eager",
                    "funcdiff.jit",
                    "numpy f (ms)",
                ],
                [
                    [k]
                    + [
                        _fmt_ratio(v["grad_over_f"][x]) if x in v["grad_over_f"] else "-"
                        for x in cols
                    ]
                    + [_fmt_ms(v["median_s"]["numpy f"])]
                    for k, v in cg.items()
                ],
            )
        )
    if "memory_w5" in report:
        out += ["", "W5 Hessian: peak traced memory (tracemalloc) and time of one call:", ""]
        rows = []
        for name, x in report["memory_w5"].items():
            if "error" in x:
                rows.append([name, "error", x["error"][:60]])
            else:
                rows.append([name, f"{x['peak_bytes'] / 2**20:.1f} MiB", _fmt_ms(x["time_s"])])
        out.append(_md_table(["implementation", "peak memory", "time (ms)"], rows))
    it = report.get("import_time")
    if it and "median_s" in it:
        out += [
            "",
            f"`import funcdiff` after `import numpy` (fresh interpreter, median of "
            f"{len(it['runs_s'])}): {it['median_s'] * 1e3:.0f} ms.",
        ]
    problems = [
        f"{k} {i}: {x['status']}: {x.get('mismatch') or x.get('error')}"
        for k, wr in wls.items()
        for i, x in wr["results"].items()
        if x.get("status") != "ok"
    ]
    if problems:
        out += ["", "Problems:", "", *(f"- {p}" for p in problems)]
    return "\n".join(out) + "\n"


DOCS = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def update_docs(markdown: str) -> None:
    """Replace the results block of docs/performance.md."""
    text = DOCS.read_text()
    if BEGIN not in text or END not in text:
        sys.exit(f"--update-docs: {DOCS} has no {BEGIN} ... {END} block")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOCS.write_text(f"{head}{BEGIN}\n{markdown}{END}{tail}")
    log(f"updated {DOCS}")


def funcdiff_problems(report: dict[str, Any]) -> list[str]:
    """Errors and wrong results of funcdiff itself (peers' problems are only reported)."""
    return [
        f"{k} {i}: {x['status']}"
        for k, wr in report["workloads"].items()
        for i, x in wr["results"].items()
        if i.startswith("funcdiff") and x.get("status") != "ok"
    ]


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="few repeats, short samples (CI smoke)")
    p.add_argument("--only", help="comma-separated workloads, e.g. W1,W3")
    p.add_argument(
        "--impls",
        help="comma-separated implementations to run (default: all "
        "installed): funcdiff,funcdiff.jit,autograd,jax,jax.jit,torch",
    )
    p.add_argument("--json", metavar="PATH", help="also write the full results as JSON")
    p.add_argument(
        "--markdown",
        metavar="PATH",
        help="also write the tables as markdown (the block in docs/performance.md)",
    )
    p.add_argument(
        "--update-docs",
        action="store_true",
        help="replace the results block of docs/performance.md with this run's tables",
    )
    p.add_argument("--repeats", type=int, help="interleaved rounds per workload")
    p.add_argument("--target-ms", type=float, help="wall time aimed at per sample")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads for BLAS, torch and XLA, set before they are imported "
        "(default 1: on a small shared machine, multi-threaded BLAS and OpenMP "
        "oversubscribe the cores and the timings become noise); 0 = library defaults",
    )
    p.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="wall time (default) or process CPU time (robust to other load)",
    )
    p.add_argument(
        "--malloc",
        choices=["tuned", "default"],
        default="tuned",
        help="tuned (default): re-run under fixed glibc malloc thresholds so large "
        "temporaries are reused rather than page-faulted in afresh; default: as is",
    )
    p.add_argument(
        "--no-extras",
        action="store_true",
        help="skip the import-time, cheap-gradient and memory measurements",
    )
    p.add_argument(
        "--profile",
        metavar="IMPL",
        help="instead of timing, cProfile IMPL (e.g. funcdiff) on the workloads",
    )
    p.add_argument(
        "--big-heap",
        nargs="?",
        type=int,
        const=2_000_000,
        default=0,
        metavar="N",
        help="time with N small objects alive (default 2,000,000; not frozen), as a "
        "real session holding large libraries or data: full collections then cost "
        "~0.1-0.4 s and land on whoever triggers them",
    )
    p.add_argument("--profile-top", type=int, default=25)
    p.add_argument("--profile-seconds", type=float, default=2.0)
    return p.parse_args(argv)


# glibc returns freed blocks above the mmap threshold (128 KiB at start) to the
# kernel at once, so every large temporary costs fresh page faults (expensive in
# a VM): W7's 800 KB arrays then run 5-10x slower than with the same memory
# reused, and how slow depends on what the process allocated before (glibc
# raises the threshold dynamically). Fixed, generous thresholds make runs
# reproducible and measure the libraries rather than the page-fault path.
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(256 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(2**30)}


def _reexec_with_malloc_env(argv: list[str] | None) -> None:
    if sys.platform != "linux" or all(os.environ.get(k) == v for k, v in MALLOC_ENV.items()):
        return
    env = {**os.environ, **MALLOC_ENV}
    args = sys.argv[1:] if argv is None else argv
    os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve()), *args], env)


# --big-heap: objects kept alive for the whole run
_BIG_HEAP: list[list[int]] = []


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.malloc == "tuned":
        _reexec_with_malloc_env(argv)
    if args.threads:
        n = str(args.threads)
        for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[k] = n
        if args.threads == 1:
            os.environ["XLA_FLAGS"] = (
                os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
            ).strip()

    from benchmarks.workloads import FRAMEWORKS, WORKLOADS

    cfg = dict(QUICK if args.quick else FULL)
    if args.repeats:
        cfg["repeats"] = args.repeats
    if args.target_ms:
        cfg["target"] = args.target_ms / 1e3
    cfg["clock"] = args.clock
    cfg["big_heap"] = args.big_heap
    cfg["collect_generation"] = 1 if args.big_heap else 2

    keys = list(WORKLOADS)
    if args.only:
        keys = [k.strip().upper() for k in args.only.split(",") if k.strip()]
        unknown = [k for k in keys if k not in WORKLOADS]
        if unknown:
            sys.exit(
                f"--only: unknown workload(s) {unknown}; choose from {list(WORKLOADS)} "
                "(W8: python benchmarks/sparse.py, W9: python benchmarks/w9_least_squares.py)"
            )
    wanted = list(FRAMEWORKS)
    if args.impls:
        wanted = [x.strip() for x in args.impls.split(",") if x.strip()]
        unknown = [x for x in wanted if x not in FRAMEWORKS]
        if unknown:
            sys.exit(
                f"--impls: unknown implementation(s) {unknown}; choose from {list(FRAMEWORKS)}"
            )

    t_start = time.perf_counter()
    frameworks: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name in wanted:
        try:
            frameworks[name] = FRAMEWORKS[name]()
        except ImportError as e:
            skipped[name] = f"not installed ({e})"
        except Exception as e:
            skipped[name] = f"{type(e).__name__}: {e}"
    if args.threads:
        torch_fw = frameworks.get("torch")
        if torch_fw is not None:
            torch_fw.torch.set_num_threads(args.threads)
    for name, why in skipped.items():
        log(f"skipping {name}: {why}")
    gc.collect()
    gc.freeze()  # see benchmarks/timing.py: keep the peers' objects out of every collection
    if args.big_heap:  # after the freeze: the collector walks these on every full collection
        log(f"big heap: {args.big_heap:,} small objects alive")
        _BIG_HEAP.extend([i] for i in range(args.big_heap))

    if args.profile:
        profile(
            [WORKLOADS[k] for k in keys],
            frameworks,
            args.profile,
            args.profile_top,
            args.profile_seconds,
        )
        return 0

    report: dict[str, Any] = {
        "machine": machine_info(),
        "config": {
            "mode": "quick" if args.quick else "full",
            "threads": args.threads,
            "malloc": args.malloc,
            **cfg,
            "implementations": list(frameworks),
            "skipped": skipped,
        },
        "targets": {k: {"eager": e, "jit": j} for k, (e, j) in TARGETS.items()},
        "issue_reference": ISSUE_REFERENCE,
        "workloads": {},
    }
    for k in keys:
        w = WORKLOADS[k]
        t0 = time.perf_counter()
        log(f"{k}: {w.title} ...")
        wr = run_workload(w, frameworks, cfg)
        if not args.big_heap:
            gc.collect()
            gc.freeze()
        if w.cheap_grad and not args.no_extras:
            wr["cheap_grad"] = run_cheap_grad(w, frameworks, cfg)
        report["workloads"][k] = wr
        log(f"{k}: done in {time.perf_counter() - t0:.1f} s")
    if not args.no_extras:
        if "W5" in keys:
            log("W5 memory ...")
            report["memory_w5"] = run_memory_w5(frameworks, args.quick)
        log("import time ...")
        report["import_time"] = import_time(int(cfg["import_runs"]))
    report["machine"]["load_avg_end"] = list(os.getloadavg())
    report["total_seconds"] = time.perf_counter() - t_start

    print(render(report))
    print(f"\ntotal {report['total_seconds']:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=float))
        log(f"wrote {args.json}")
    if args.markdown:
        Path(args.markdown).write_text(render_markdown(report))
        log(f"wrote {args.markdown}")
    if args.update_docs:
        update_docs(render_markdown(report))
    bad = funcdiff_problems(report)
    if bad:
        print(f"\nFAILED: funcdiff gave an error or a wrong result: {'; '.join(bad)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""W8: sparse second order (sparse Hessians of chained Rosenbrock).

    python benchmarks/sparse.py                 # full (about a minute)
    python benchmarks/sparse.py --quick         # smoke check, small sizes (seconds)
    python benchmarks/sparse.py --json w8.json --markdown w8.md

Two parts, every ratio taken against a hand-written ``scipy.sparse``
Hessian measured in the same run (the tridiagonal Rosenbrock Hessian built
with ``scipy.sparse.diags`` from the analytic bands):

- **W8a** (n = 1,000 and 10,000): ``fd.sparse_hessian`` warm (pattern
  detected and colored once, then 3 colored Hessian-vector products under
  ``fd.jit`` and one gather), against funcdiff's dense ``jit(hessian)`` and,
  when installed, ``jax.jit(jax.hessian)`` (dense).
- **W8** (n = 1,000,000): the warm sparse Hessian against the hand-written
  one; detection and coloring for a new shape (first call, split into
  ``hessian_sparsity`` and ``star_coloring``, and ``prepare`` whole); a full
  sparse Newton step (``fd.grad``, the sparse Hessian, ``splu`` with the
  minimum-degree ordering for symmetric matrices, solve); peak
  traced memory (``tracemalloc``: numpy's allocations, not SuperLU's C heap)
  relative to ``x.nbytes``. A dense Hessian at this size would need 8 TB:
  jax, autograd and torch.func (which have no sparse Hessians) cannot form it.

Times are medians of interleaved repeats (``benchmarks/timing.py``). Every
result is checked against the hand-written Hessian before timing (values to
1e-12 relative, pattern exactly). This is a separate script rather than a
workload of ``benchmarks/run.py``: that harness compares dense numpy results
leaf by leaf and times one derivative per workload, while W8 returns
``scipy.sparse`` matrices (a dense comparison at n = 1e6 is impossible) and
measures preparation, a solver step and memory as well.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

# one BLAS/OpenMP thread, as benchmarks/run.py (set before numpy is imported)
for _k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_k, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# targets of issue 11 (ratios to the hand-written scipy.sparse Hessian, seconds, x.nbytes)
TARGET_VS_JAX_10K = 100.0  # sparse warm at least 100x faster than jax.jit dense, n = 10,000
TARGET_HAND_1K = 3.0  # sparse warm within 3x of the hand-written one, n = 1,000
TARGET_HAND_1M = 5.0  # within 5x at n = 1,000,000
TARGET_PREPARE_S = 2.0
TARGET_NEWTON_S = 2.0
TARGET_MEMORY_X = 50.0

FULL = {"repeats": 15, "target": 0.05, "max_seconds": 6.0, "sizes": (1_000, 10_000), "big": 10**6}
QUICK = {"repeats": 3, "target": 0.005, "max_seconds": 0.5, "sizes": (1_000,), "big": 10**5}

HAND = "scipy.sparse (hand)"
# SuperLU's fill-reducing ordering for a symmetric matrix: minimum degree on
# A^T + A (the default COLAMD, for unsymmetric matrices, took 2-4x longer here)
ORDERING = "MMD_AT_PLUS_A"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def rosenbrock(m: Any) -> Callable[[Any], Any]:
    def f(x: Any) -> Any:
        return m.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    return f


def hand_hessian(x: np.ndarray) -> Any:
    """The tridiagonal Rosenbrock Hessian, by hand, as a scipy.sparse CSR matrix."""
    import scipy.sparse as sp

    a, b = x[:-1], x[1:]
    d = np.zeros_like(x)
    d[:-1] = 1200.0 * a * a - 400.0 * b + 2.0
    d[1:] += 200.0
    off = -400.0 * a
    return sp.diags([off, d, off], [-1, 0, 1], format="csr")


def hand_grad(x: np.ndarray) -> np.ndarray:
    a, b = x[:-1], x[1:]
    t = b - a * a
    g = np.zeros_like(x)
    g[:-1] = -400.0 * a * t - 2.0 * (1.0 - a)
    g[1:] += 200.0 * t
    return g


def check_sparse(got: Any, want: Any) -> str | None:
    """None when ``got`` has ``want``'s pattern and values (1e-12 relative)."""
    got, want = got.tocsr(), want.tocsr()
    got.sort_indices()
    want.sort_indices()
    if got.shape != want.shape:
        return f"shape {got.shape}, expected {want.shape}"
    if not (np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)):
        return f"pattern differs (nnz {got.nnz}, expected {want.nnz})"
    scale = float(np.max(np.abs(want.data)))
    err = float(np.max(np.abs(got.data - want.data)))
    return None if err <= 1e-12 * scale else f"max abs error {err:.3g} (scale {scale:.3g})"


def check_dense(got: Any, want: Any) -> str | None:
    g, w = np.asarray(got), want.toarray()
    scale = float(np.max(np.abs(w)))
    err = float(np.max(np.abs(g - w)))
    return None if err <= 1e-10 * scale else f"max abs error {err:.3g} (scale {scale:.3g})"


def _median_once(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _peak_bytes(fn: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _jax() -> Any:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    return jax, jnp


def run_small(n: int, cfg: dict[str, Any]) -> dict[str, Any]:
    """W8a at size n: warm sparse vs dense (funcdiff.jit, jax.jit) vs hand-written."""
    import funcdiff as fd
    import funcdiff.numpy as fnp
    from benchmarks import timing

    x = np.random.default_rng(n).uniform(-1.5, 1.5, size=n)
    ref = hand_hessian(x)
    f = rosenbrock(fnp)
    hess = fd.sparse_hessian(f)
    dense = fd.jit(fd.hessian(f))
    calls: dict[str, Callable[[], Any]] = {
        HAND: lambda: hand_hessian(x),
        "funcdiff sparse_hessian (warm)": lambda: hess(x),
        "funcdiff.jit dense hessian": lambda: dense(x),
    }
    checks: dict[str, Callable[[Any], str | None]] = {
        HAND: lambda out: check_sparse(out, ref),
        "funcdiff sparse_hessian (warm)": lambda out: check_sparse(out, ref),
        "funcdiff.jit dense hessian": lambda out: check_dense(out, ref),
    }
    jx = _jax()
    if jx is not None:
        jax, jnp = jx
        jh = jax.jit(jax.hessian(rosenbrock(jnp)))
        xj = jnp.asarray(x)
        calls["jax.jit dense hessian"] = lambda: jax.block_until_ready(jh(xj))
        checks["jax.jit dense hessian"] = lambda out: check_dense(out, ref)
    res: dict[str, dict[str, Any]] = {}
    for name, fn in list(calls.items()):
        t0 = time.perf_counter()
        out = fn()
        first = time.perf_counter() - t0
        bad = checks[name](out)
        res[name] = {"status": "ok" if bad is None else "mismatch", "first_call_s": first}
        if bad is not None:
            res[name]["mismatch"] = bad
            log(f"  W8a n={n} {name}: MISMATCH {bad}")
        fn()
    stats = timing.interleaved(calls, cfg["repeats"], cfg["target"], cfg["max_seconds"])
    base = stats[HAND].median
    for name, st in stats.items():
        res[name]["median_s"] = st.median
        res[name]["q1_s"], res[name]["q3_s"] = st.q1, st.q3
        res[name]["ratio"] = st.median / base
    plan = hess.prepare(x)
    return {"n": n, "ncolors": plan.ncolors, "nnz": int(plan.sparsity.nnz), "results": res}


def run_big(n: int, cfg: dict[str, Any]) -> dict[str, Any]:
    """W8 at size n: warm sparse Hessian, preparation, a Newton step, memory."""
    import scipy.sparse.linalg as spla

    import funcdiff as fd
    import funcdiff.numpy as fnp
    from benchmarks import timing
    from funcdiff.sparse import star_coloring

    x = np.random.default_rng(8).uniform(-1.5, 1.5, size=n)
    ref = hand_hessian(x)
    f = rosenbrock(fnp)
    out: dict[str, Any] = {"n": n, "x_nbytes": x.nbytes}

    # preparation for a new shape: detection, coloring, and prepare() whole (fresh objects)
    runs = 5
    pattern = fd.hessian_sparsity(f)(x)
    out["detect_s"] = _median_once(lambda: fd.hessian_sparsity(f)(x), runs)
    out["coloring_s"] = _median_once(lambda: star_coloring(pattern), runs)
    out["prepare_s"] = _median_once(lambda: fd.sparse_hessian(f).prepare(x), runs)
    out["first_call_s"] = _median_once(lambda: fd.sparse_hessian(f)(x), runs)

    hess = fd.sparse_hessian(f)
    plan = hess.prepare(x)
    out["ncolors"], out["nnz"] = plan.ncolors, int(plan.sparsity.nnz)
    g = fd.jit(fd.grad(f))

    def newton_step() -> np.ndarray:
        gx = np.asarray(g(x))
        H = hess(x)
        return np.asarray(spla.splu(H.tocsc(), permc_spec=ORDERING).solve(-gx))

    def newton_hand() -> np.ndarray:
        H = hand_hessian(x)
        return np.asarray(spla.splu(H.tocsc(), permc_spec=ORDERING).solve(-hand_grad(x)))

    bad = check_sparse(hess(x), ref)
    step, step_hand = newton_step(), newton_hand()
    err = float(np.max(np.abs(step - step_hand)) / np.max(np.abs(step_hand)))
    out["status"] = "ok" if bad is None and err < 1e-8 else "mismatch"
    if out["status"] != "ok":
        out["mismatch"] = f"hessian: {bad}; newton step relative difference {err:.3g}"
        log(f"  W8 n={n}: MISMATCH {out['mismatch']}")

    calls: dict[str, Callable[[], Any]] = {
        HAND: lambda: hand_hessian(x),
        "funcdiff sparse_hessian (warm)": lambda: hess(x),
    }
    stats = timing.interleaved(calls, cfg["repeats"], cfg["target"], cfg["max_seconds"])
    base = stats[HAND].median
    out["hessian"] = {
        name: {"median_s": st.median, "q1_s": st.q1, "q3_s": st.q3, "ratio": st.median / base}
        for name, st in stats.items()
    }
    steps = {
        "newton step, by hand (scipy.sparse)": newton_hand,
        "newton step, funcdiff (grad, sparse_hessian, splu, solve)": newton_step,
    }
    sst = timing.interleaved(steps, max(3, cfg["repeats"] // 3), cfg["target"], cfg["max_seconds"])
    out["newton"] = {name: {"median_s": st.median} for name, st in sst.items()}
    parts = {
        "grad (fd.jit)": lambda: g(x),
        "sparse_hessian (warm)": lambda: hess(x),
        "tocsc + splu": lambda: spla.splu(hess(x).tocsc(), permc_spec=ORDERING),
    }
    out["newton_parts_s"] = {k: _median_once(v, 3) for k, v in parts.items()}
    lu = spla.splu(hess(x).tocsc(), permc_spec=ORDERING)
    gx = np.asarray(g(x))
    out["newton_parts_s"]["tocsc + splu"] -= out["newton_parts_s"]["sparse_hessian (warm)"]
    out["newton_parts_s"]["solve"] = _median_once(lambda: lu.solve(-gx), 3)

    out["peak_bytes"] = {
        "hand-written Hessian": _peak_bytes(lambda: hand_hessian(x)),
        "sparse_hessian (warm)": _peak_bytes(lambda: hess(x)),
        "prepare (detection + coloring)": _peak_bytes(lambda: fd.sparse_hessian(f).prepare(x)),
        "newton step (numpy-visible)": _peak_bytes(newton_step),
    }
    return out


# ---------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------


def _ms(s: float) -> str:
    ms = s * 1e3
    return f"{ms:.0f}" if ms >= 100 else f"{ms:.1f}" if ms >= 10 else f"{ms:.3g}"


def _ratio(r: float) -> str:
    return f"{r:.0f}x" if r >= 100 else f"{r:.1f}x" if r >= 10 else f"{r:.2f}x"


def _bytes(b: float) -> str:
    for unit, k in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= k:
            return f"{b / k:.0f} {unit}"
    return f"{b:.0f} B"


def render_markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores), Python {m['python']}, "
        f"numpy {m['numpy']}, scipy {m['scipy']}, funcdiff {m['funcdiff_commit']}; "
        f"jax: {m['jax'] or 'not installed'}; mode {report['mode']}, one BLAS thread, "
        f"malloc {report['malloc']}; load average {m['load_avg_start'][0]:.1f} at the start.",
        "",
        "**W8a: Rosenbrock Hessian, pattern detected and colored once (warm calls)** "
        "(median ms, ratio to the hand-written scipy.sparse Hessian in the same run):",
        "",
        "| implementation | " + " | ".join(f"n = {r['n']:,}" for r in report["small"]) + " |",
        "|---|" + "---:|" * len(report["small"]),
    ]
    names = list(report["small"][0]["results"])
    for name in names:
        cells = []
        for r in report["small"]:
            x = r["results"].get(name)
            if x is None:
                cells.append("-")
            else:
                star = "*" if x["status"] != "ok" else ""
                cells.append(f"{_ms(x['median_s'])} ms ({_ratio(x['ratio'])}){star}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if not any("jax.jit dense hessian" in r["results"] for r in report["small"]):
        lines.append(
            "| jax.jit dense hessian | "
            + " | ".join("not installed" for _ in report["small"])
            + " |"
        )
    lines.append("")
    b = report["big"]
    h = b["hessian"]
    hand, sparse = h[HAND], h["funcdiff sparse_hessian (warm)"]
    xb = b["x_nbytes"]
    lines += [
        f"**W8: chained Rosenbrock, n = {b['n']:,}** ({b['nnz']:,} nonzeros, "
        f"{b['ncolors']} colors; x is {_bytes(xb)}; a dense Hessian would be "
        f"{_bytes(8 * b['n'] ** 2)}):",
        "",
        "| measurement | funcdiff | hand-written scipy.sparse | jax / autograd / torch.func |",
        "|---|---:|---:|---|",
        f"| Hessian, warm (median) | {_ms(sparse['median_s'])} ms ({_ratio(sparse['ratio'])}) "
        f"| {_ms(hand['median_s'])} ms (1x) | cannot form it (dense only: "
        f"{_bytes(8 * b['n'] ** 2)}) |",
        f"| detection (`hessian_sparsity`), new shape | {_ms(b['detect_s'])} ms | - | - |",
        f"| coloring (`star_coloring`) | {_ms(b['coloring_s'])} ms | - | - |",
        f"| `prepare` (detection + coloring + seeds) | {_ms(b['prepare_s'])} ms | - | - |",
        f"| first call for a new shape (prepare + jit + evaluation) | "
        f"{_ms(b['first_call_s'])} ms | - | - |",
    ]
    nh = b["newton"]["newton step, by hand (scipy.sparse)"]["median_s"]
    nf = b["newton"]["newton step, funcdiff (grad, sparse_hessian, splu, solve)"]["median_s"]
    parts = ", ".join(f"{k} {_ms(v)}" for k, v in b["newton_parts_s"].items())
    lines += [
        f"| Newton step (grad, Hessian, `splu`, solve), warm | {_ms(nf)} ms "
        f"({_ratio(nf / nh)}; {parts} ms) | {_ms(nh)} ms | cannot form the Hessian |",
    ]
    pk = b["peak_bytes"]
    for name, key in (
        ("peak memory, warm Hessian", "sparse_hessian (warm)"),
        ("peak memory, prepare", "prepare (detection + coloring)"),
        ("peak memory, Newton step (numpy; not SuperLU's)", "newton step (numpy-visible)"),
    ):
        hand_cell = (
            f"{pk['hand-written Hessian'] / xb:.1f}x x" if key == "sparse_hessian (warm)" else "-"
        )
        lines.append(
            f"| {name} | {_bytes(pk[key])} = {pk[key] / xb:.1f}x x.nbytes | {hand_cell} | - |"
        )
    lines += ["", "Targets (issue 11):", ""]
    lines += [f"- {t}" for t in targets(report)]
    return "\n".join(lines) + "\n"


def targets(report: dict[str, Any]) -> list[str]:
    out = []
    by_n = {r["n"]: r["results"] for r in report["small"]}
    key = "funcdiff sparse_hessian (warm)"
    if 10_000 in by_n:
        r = by_n[10_000]
        if "jax.jit dense hessian" in r:
            s = r["jax.jit dense hessian"]["median_s"] / r[key]["median_s"]
            ok = "met" if s >= TARGET_VS_JAX_10K else "MISSED"
            out.append(f"n = 10,000: {s:.0f}x faster than jax.jit dense (target >= 100x): {ok}")
        else:
            s = r["funcdiff.jit dense hessian"]["median_s"] / r[key]["median_s"]
            out.append(
                f"n = 10,000: {s:.0f}x faster than funcdiff.jit's dense Hessian (jax not "
                f"installed here; target >= 100x faster than jax.jit dense)"
            )
    if 1_000 in by_n:
        r1 = by_n[1_000][key]["ratio"]
        ok = "met" if r1 <= TARGET_HAND_1K else "MISSED"
        out.append(f"n = 1,000: {r1:.2f}x the hand-written Hessian (target <= 3x): {ok}")
    b = report["big"]
    rb = b["hessian"][key]["ratio"]
    nf = b["newton"]["newton step, funcdiff (grad, sparse_hessian, splu, solve)"]["median_s"]
    mem = b["peak_bytes"]["sparse_hessian (warm)"] / b["x_nbytes"]
    for text, val, lim in (
        (f"n = {b['n']:,}: warm Hessian {rb:.2f}x the hand-written one", rb, TARGET_HAND_1M),
        (f"preparation for a new shape {b['prepare_s']:.2f} s", b["prepare_s"], TARGET_PREPARE_S),
        (f"Newton step {nf:.2f} s", nf, TARGET_NEWTON_S),
        (f"peak memory of the warm Hessian {mem:.1f}x x.nbytes", mem, TARGET_MEMORY_X),
    ):
        out.append(f"{text} (target < {lim:g}): {'met' if val < lim else 'MISSED'}")
    return out


def machine() -> dict[str, Any]:
    from benchmarks.run import machine_info

    info = machine_info()
    import scipy

    info["scipy"] = scipy.__version__
    return info


def _reexec_with_malloc_env(argv: list[str] | None) -> None:
    """As benchmarks/run.py: fixed glibc malloc thresholds, so the 8-24 MB
    temporaries at n = 1e6 are reused rather than page-faulted in afresh on
    every call (which doubles the hand-written Hessian's time in this VM)."""
    from benchmarks.run import MALLOC_ENV

    if sys.platform != "linux" or all(os.environ.get(k) == v for k, v in MALLOC_ENV.items()):
        return
    env = {**os.environ, **MALLOC_ENV}
    args = sys.argv[1:] if argv is None else argv
    os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve()), *args], env)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats (smoke)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--markdown", metavar="PATH", help="also write the tables as markdown")
    ap.add_argument(
        "--malloc",
        choices=["tuned", "default"],
        default="tuned",
        help="tuned (default): fixed glibc malloc thresholds, as benchmarks/run.py",
    )
    args = ap.parse_args(argv)
    if args.malloc == "tuned":
        _reexec_with_malloc_env(argv)
    cfg = dict(QUICK if args.quick else FULL)
    t_start = time.perf_counter()
    report: dict[str, Any] = {
        "machine": machine(),
        "mode": "quick" if args.quick else "full",
        "malloc": args.malloc,
    }
    report["small"] = []
    for n in cfg["sizes"]:
        log(f"W8a n={n} ...")
        report["small"].append(run_small(n, cfg))
    log(f"W8 n={cfg['big']} ...")
    report["big"] = run_big(cfg["big"], cfg)
    report["total_seconds"] = time.perf_counter() - t_start
    md = render_markdown(report)
    print(md)
    print(f"total {report['total_seconds']:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=float))
    if args.markdown:
        Path(args.markdown).write_text(md)
    bad = [r["n"] for r in report["small"] for x in r["results"].values() if x["status"] != "ok"]
    if bad or report["big"]["status"] != "ok":
        print("FAILED: a result differs from the hand-written Hessian")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""funcdiff derivatives sharded over many devices: to_jax + jax.sharding.Mesh.

    python examples/sharded_hvp.py                 # whatever devices JAX finds (a GPU too)
    python examples/sharded_hvp.py --devices 8     # 8 simulated CPU devices
    python examples/sharded_hvp.py --batch 4096 --n 256 --json out.json

Two batched programs are built with funcdiff's transforms and handed to JAX
with ``fd.to_jax``:

* a batch of Hessian-vector products at one point,
  ``fd.vmap(lambda v: fd.hvp(f, x, v))`` (one direction per row);
* per-point quadratic (second-order Taylor) models, ``fd.vmap`` of
  ``fd.value_and_grad`` and ``fd.hessian`` (one point per row).

Each runs under ``jax.jit`` with its batch axis split over a ``Mesh`` of
every device (``NamedSharding(mesh, PartitionSpec("batch"))``): XLA runs one
slice of rows per device. The script checks that the outputs really are
split over the devices, and that their numbers equal the same program on
one device and funcdiff's numpy backend (float64, JAX's x64 mode on).

``--devices N`` sets ``XLA_FLAGS=--xla_force_host_platform_device_count=N``
before JAX is imported (N host devices; it does nothing to a GPU, which
JAX then uses as it is). tests/backends/test_sharding.py runs this script
on 8 simulated devices; benchmarks/xla.py times it. See docs/scale.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp

NAME = "sharded_hvp"


def objective(x: Any) -> Any:
    """Extended Rosenbrock plus a coupling term (a dense, not banded, Hessian)."""
    ros = fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    return ros + 0.5 * fnp.sum(fnp.sin(x)) ** 2


def hvp_batch(x: Any) -> Callable[[Any], Any]:
    """``V -> H(x) V[i]`` for every row ``V[i]``: a batch of HVPs at ``x``."""
    return fd.vmap(lambda v: fd.hvp(objective, x, v))


def quadratic_models(points: Any) -> tuple[Any, Any, Any]:
    """Value, gradient and Hessian of ``objective`` at every row of ``points``:
    the quadratic model ``f + g.d + d.H.d/2`` around each point."""
    value, grad = fd.vmap(fd.value_and_grad(objective))(points)
    hess = fd.vmap(fd.hessian(objective))(points)
    return value, grad, hess


def inputs(n: int, batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The point ``x``, the directions ``V`` and the points of the models."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, size=n)
    directions = rng.normal(size=(batch, n))
    points = rng.uniform(-1.5, 1.5, size=(batch, n))
    return x, directions, points


def sharded(fn: Callable[..., Any], mesh: Any, batched: Sequence[bool]) -> Any:
    """``jax.jit(fn)`` with each batched argument and every output split on
    its first axis over ``mesh``'s "batch" axis (others replicated)."""
    import jax
    from jax.sharding import NamedSharding, PartitionSpec

    rows = NamedSharding(mesh, PartitionSpec("batch"))
    whole = NamedSharding(mesh, PartitionSpec())
    return jax.jit(
        fn,
        in_shardings=tuple(rows if b else whole for b in batched),
        out_shardings=rows,
    )


def programs(mesh: Any) -> dict[str, tuple[Any, tuple[bool, ...]]]:
    """The two sharded programs (JAX functions) and which arguments are batched."""
    hvps = fd.to_jax(lambda x, v: hvp_batch(x)(v))
    models = fd.to_jax(quadratic_models)
    return {
        "hvp": (sharded(hvps, mesh, (False, True)), (False, True)),
        "models": (sharded(models, mesh, (True,)), (True,)),
    }


def make_mesh(devices: Sequence[Any]) -> Any:
    from jax.sharding import Mesh

    return Mesh(np.array(devices), ("batch",))


def place(args: Sequence[np.ndarray], batched: Sequence[bool], mesh: Any) -> list[Any]:
    """The arguments on the mesh: batched ones split by rows, others replicated."""
    import jax
    from jax.sharding import NamedSharding, PartitionSpec

    rows = NamedSharding(mesh, PartitionSpec("batch"))
    whole = NamedSharding(mesh, PartitionSpec())
    return [jax.device_put(a, rows if b else whole) for a, b in zip(args, batched, strict=True)]


def shard_info(out: Any) -> dict[str, Any]:
    """How a JAX array is laid out: devices, shard shapes."""
    shards = out.addressable_shards
    return {
        "num_devices": len(out.sharding.device_set),
        "shards": len(shards),
        "shard_devices": sorted(str(s.device) for s in shards),
        "shard_shapes": sorted({tuple(s.data.shape) for s in shards}),
        "global_shape": tuple(out.shape),
    }


def run(n: int, batch: int, repeats: int = 0) -> dict[str, Any]:
    """Both programs on a mesh of every device and on one device, checked
    against funcdiff's numpy backend; with ``repeats`` > 0, median times."""
    import jax

    devices = jax.devices()
    ndev = len(devices)
    if batch % ndev:
        raise SystemExit(f"--batch {batch} must be a multiple of the {ndev} devices")
    x, directions, points = inputs(n, batch)
    args = {"hvp": (x, directions), "models": (points,)}
    numpy_backend: dict[str, Callable[..., Any]] = {
        "hvp": fd.jit(lambda x, v: hvp_batch(x)(v)),
        "models": fd.jit(quadratic_models),
    }
    report: dict[str, Any] = {
        "backend": jax.default_backend(),
        "devices": ndev,
        "n": n,
        "batch": batch,
        "programs": {},
    }
    with jax.enable_x64(True):
        meshes = {"all": make_mesh(devices), "one": make_mesh(devices[:1])}
        for name in ("hvp", "models"):
            ref = [
                np.asarray(r) for r in jax.tree_util.tree_leaves(numpy_backend[name](*args[name]))
            ]
            entry: dict[str, Any] = {}
            results = {}
            for label, mesh in meshes.items():
                fn, batched = programs(mesh)[name]
                placed = place(args[name], batched, mesh)
                t0 = time.perf_counter()
                out = jax.block_until_ready(fn(*placed))
                entry[f"first_call_s_{label}"] = time.perf_counter() - t0
                leaves = jax.tree_util.tree_leaves(out)
                results[label] = leaves
                entry[f"layout_{label}"] = [shard_info(o) for o in leaves]
                entry[f"dtype_{label}"] = [str(o.dtype) for o in leaves]
                if repeats:
                    times = []
                    for _ in range(repeats):
                        t0 = time.perf_counter()
                        jax.block_until_ready(fn(*placed))
                        times.append(time.perf_counter() - t0)
                    entry[f"median_s_{label}"] = float(np.median(times))
            entry["max_abs_diff_all_vs_one"] = max(
                float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
                for a, b in zip(results["all"], results["one"], strict=True)
            )
            entry["max_rel_diff_vs_numpy"] = max(
                float(np.max(np.abs(np.asarray(a) - r)) / max(1.0, float(np.max(np.abs(r)))))
                for a, r in zip(results["all"], ref, strict=True)
            )
            report["programs"][name] = entry
    return report


def set_device_count(count: int) -> None:
    """Ask XLA for ``count`` host (CPU) devices; only works before JAX is imported."""
    if "jax" in sys.modules:
        print(
            f"note: jax is already imported, --devices {count} has no effect "
            "(run this script in a fresh process)"
        )
        return
    flag = f"--xla_force_host_platform_device_count={count}"
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flag}".strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=0, help="simulate N host devices")
    parser.add_argument("--n", type=int, default=32, help="dimension of x")
    parser.add_argument("--batch", type=int, default=64, help="rows (a multiple of the devices)")
    parser.add_argument("--repeats", type=int, default=0, help="also time N calls (median)")
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    parser.add_argument("--out", type=Path, default=None, help="(unused: no pictures)")
    parser.add_argument("--full", action="store_true", help="n = 256, batch = 1024, 20 timings")
    a = parser.parse_args(argv)
    if a.devices:
        set_device_count(a.devices)
    if a.full:
        a.n, a.batch, a.repeats = 256, 1024, a.repeats or 20
    report = run(a.n, a.batch, a.repeats)
    print(
        f"{report['devices']} {report['backend']} device(s); x in R^{a.n}, "
        f"batch of {a.batch} rows split over the 'batch' mesh axis"
    )
    ok = True
    for name, entry in report["programs"].items():
        layout = entry["layout_all"][0]
        print(
            f"  {name:6s} output {layout['global_shape']} in {layout['shards']} shards "
            f"of {layout['shard_shapes'][0]} on {layout['num_devices']} device(s); "
            f"first call {entry['first_call_s_all']:.2f} s"
        )
        print(
            f"         max |sharded - one device| = {entry['max_abs_diff_all_vs_one']:.1e}, "
            f"max rel |sharded - numpy backend| = {entry['max_rel_diff_vs_numpy']:.1e}"
        )
        if "median_s_all" in entry:
            print(
                f"         median {entry['median_s_all'] * 1e3:.2f} ms on "
                f"{report['devices']} device(s), {entry['median_s_one'] * 1e3:.2f} ms on one"
            )
        ok = ok and entry["max_rel_diff_vs_numpy"] < 1e-12
    if a.json is not None:
        a.json.write_text(json.dumps(report, indent=1))
    print("Sharded results agree with one device and the numpy backend." if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""A funcdiff-derived function sharded over 8 (simulated) devices.

``examples/sharded_hvp.py`` converts a batch of Hessian-vector products and
per-point quadratic models (``fd.vmap`` of ``fd.hvp``, ``fd.value_and_grad``
and ``fd.hessian``) with ``fd.to_jax`` and runs them under ``jax.jit`` with
the batch axis split over a ``Mesh``. XLA only simulates several CPU devices
when ``XLA_FLAGS`` is set before JAX is imported, so the script runs in a
fresh process (``--devices 8``) and reports its layout and numbers as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("jax")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "sharded_hvp.py"


def run_script(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "report.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["JAX_PLATFORMS"] = "cpu"  # the simulated devices are host devices
    env.pop("XLA_FLAGS", None)
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--json", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "agree with one device and the numpy backend" in proc.stdout
    report: dict[str, Any] = json.loads(out.read_text())
    return report


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_script(tmp_path_factory.mktemp("sharding"), "--devices", "8")


def test_eight_devices(report: dict[str, Any]) -> None:
    assert report["devices"] == 8
    assert report["backend"] == "cpu"


@pytest.mark.parametrize("name", ["hvp", "models"])
def test_outputs_are_split_over_eight_devices(report: dict[str, Any], name: str) -> None:
    entry = report["programs"][name]
    batch = report["batch"]
    for layout in entry["layout_all"]:
        assert layout["num_devices"] == 8
        assert layout["shards"] == 8
        assert len(set(layout["shard_devices"])) == 8
        (shape,) = layout["shard_shapes"]  # every shard holds batch / 8 rows
        assert shape[0] == batch // 8 and tuple(shape[1:]) == tuple(layout["global_shape"][1:])
    for layout in entry["layout_one"]:  # the reference run: one device, one shard
        assert layout["num_devices"] == 1 and layout["shards"] == 1


@pytest.mark.parametrize("name", ["hvp", "models"])
def test_numbers_match_one_device_and_numpy(report: dict[str, Any], name: str) -> None:
    entry = report["programs"][name]
    assert set(entry["dtype_all"]) == {"float64"}
    assert entry["max_abs_diff_all_vs_one"] <= 1e-12
    assert entry["max_rel_diff_vs_numpy"] <= 1e-12


def test_leaves_of_the_models(report: dict[str, Any]) -> None:
    shapes = [tuple(x["global_shape"]) for x in report["programs"]["models"]["layout_all"]]
    b, n = report["batch"], report["n"]
    assert shapes == [(b,), (b, n), (b, n, n)]  # value, gradient, Hessian per point

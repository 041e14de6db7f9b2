"""Smoke test of benchmarks/sparse.py (W8): its hand-written references and
checks agree with funcdiff's sparse Hessians, and the report renders."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy")

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import sparse as w8  # noqa: E402

CFG = {"repeats": 1, "target": 0.001, "max_seconds": 0.1}


def test_hand_references_match_dense_derivatives() -> None:
    import funcdiff as fd
    import funcdiff.numpy as fnp

    x = np.random.default_rng(0).uniform(-1.5, 1.5, size=7)
    f = w8.rosenbrock(fnp)
    np.testing.assert_allclose(w8.hand_hessian(x).toarray(), fd.hessian(f)(x), rtol=1e-13)
    np.testing.assert_allclose(w8.hand_grad(x), fd.grad(f)(x), rtol=1e-13)


def test_checks_catch_wrong_results() -> None:
    x = np.linspace(-1.0, 1.0, 6)
    h = w8.hand_hessian(x)
    assert w8.check_sparse(h, h) is None
    bad = h.copy()
    bad.data[3] += 1e-6
    assert "max abs error" in str(w8.check_sparse(bad, h))
    assert "pattern" in str(w8.check_sparse(h[:, :].tolil().tocsr() + _extra(6), h))
    assert w8.check_dense(h.toarray(), h) is None
    assert w8.check_dense(h.toarray() + 1e-3, h) is not None


def _extra(n: int) -> object:
    import scipy.sparse as sp

    return sp.csr_matrix(([1.0], ([0], [n - 1])), shape=(n, n))


def test_small_and_big_runs_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(w8, "_jax", lambda: None)  # jax, when installed, is slow to set up
    small = w8.run_small(300, CFG)
    assert small["ncolors"] == 3 and small["nnz"] == 3 * 300 - 2
    assert all(r["status"] == "ok" for r in small["results"].values())
    big = w8.run_big(2000, CFG)
    assert big["status"] == "ok" and big["ncolors"] == 3
    report = {
        "machine": {
            "date": "today",
            "cpu": "cpu",
            "cores": 2,
            "python": "3",
            "numpy": np.__version__,
            "scipy": "1",
            "funcdiff_commit": None,
            "jax": None,
            "load_avg_start": [0.0],
        },
        "mode": "quick",
        "malloc": "default",
        "small": [small],
        "big": big,
    }
    md = w8.render_markdown(report)
    assert "| jax.jit dense hessian | not installed |" in md
    assert "cannot form it" in md
    assert md.count(": met") + md.count(": MISSED") == 4  # the n = 1e6 targets

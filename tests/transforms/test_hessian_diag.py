"""Tests for the Hessian's diagonal and trace (funcdiff/curvature.py): the
exact diagonal by coloring and by chunked unit vectors against the dense
Hessian, the coloring itself, and the stochastic estimators' statistics."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.curvature import (
    Estimate,
    diagonal_coloring,
    hessian_diag,
    hessian_diag_estimate,
    hessian_trace_estimate,
)
from funcdiff.errors import ShapeError

RNG = np.random.default_rng(1234)


def rosenbrock(x: Any) -> Any:
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def grid_energy(u: Any) -> Any:
    """A 2-D grid energy: nonlinear in the differences of 4-neighbors."""
    dx = u[1:, :] - u[:-1, :]
    dy = u[:, 1:] - u[:, :-1]
    return fnp.sum(fnp.log(1.0 + dx**2)) + fnp.sum(dy**4) + fnp.sum(fnp.cos(u) * u**2)


A = RNG.normal(size=(9, 9))
A = A + A.T


def quadratic(x: Any) -> Any:
    return 0.5 * x @ (A @ x) + fnp.sum(fnp.sin(x))


def tridiagonal(n: int) -> Any:
    return sp.eye(n, k=-1) + sp.eye(n) + sp.eye(n, k=1)


def grid_pattern(m: int, k: int) -> Any:
    """4-neighbor pattern of an m x k grid, row-major (the layout of u.ravel())."""
    tm = sp.eye(m, k=-1) + sp.eye(m) + sp.eye(m, k=1)
    tk = sp.eye(k, k=-1) + sp.eye(k) + sp.eye(k, k=1)
    return sp.kron(tm, sp.eye(k)) + sp.kron(sp.eye(m), tk)


CASES: dict[str, tuple[Callable[[Any], Any], np.ndarray, Any]] = {
    "rosenbrock": (rosenbrock, RNG.normal(size=11), tridiagonal(11)),
    "grid": (grid_energy, RNG.normal(size=(4, 5)), grid_pattern(4, 5)),
    "dense_quadratic": (quadratic, RNG.normal(size=9), np.ones((9, 9), dtype=bool)),
}


def dense_diag(f: Callable[[Any], Any], x: np.ndarray) -> np.ndarray:
    n = x.size
    return np.diag(np.asarray(fd.hessian(f)(x)).reshape(n, n)).reshape(x.shape)


# ---------------------------------------------------------------------------
# the exact diagonal
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("method", ["hvp", "coloring"])
@pytest.mark.parametrize("chunk", [1, 3, "n", None])
def test_exact_diagonal_matches_dense_hessian(case: str, method: str, chunk: Any) -> None:
    f, x, pattern = CASES[case]
    chunk_size = x.size if chunk == "n" else chunk
    sparsity = pattern if method == "coloring" else None
    got = hessian_diag(f, method=method, sparsity=sparsity, chunk_size=chunk_size)(x)  # type: ignore[arg-type]
    assert got.shape == x.shape
    np.testing.assert_allclose(got, dense_diag(f, x), rtol=1e-12, atol=1e-12)


def test_auto_uses_the_given_pattern_or_falls_back_exactly() -> None:
    f, x, pattern = CASES["rosenbrock"]
    want = dense_diag(f, x)
    np.testing.assert_allclose(hessian_diag(f)(x), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hessian_diag(f, sparsity=pattern)(x), want, rtol=1e-12, atol=1e-12)


def test_argnums_other_arguments_and_pytree_argument() -> None:
    x = RNG.normal(size=6)

    def f(c: Any, x: Any) -> Any:
        return c * rosenbrock(x)

    got = hessian_diag(f, argnums=1)(3.0, x)
    np.testing.assert_allclose(got, 3.0 * dense_diag(rosenbrock, x), rtol=1e-12)
    tree = {"a": x[:2], "b": x[2:]}
    got_tree = hessian_diag(lambda t: rosenbrock(fnp.concatenate([t["a"], t["b"]])))(tree)
    want = dense_diag(rosenbrock, x)
    np.testing.assert_allclose(got_tree["a"], want[:2], rtol=1e-12)
    np.testing.assert_allclose(got_tree["b"], want[2:], rtol=1e-12)


def test_composes_with_jit_and_grad() -> None:
    f, x, pattern = CASES["rosenbrock"]
    want = dense_diag(f, x)
    for method, sparsity in [("hvp", None), ("coloring", pattern)]:
        jitted = fd.jit(hessian_diag(f, method=method, sparsity=sparsity, chunk_size=4))  # type: ignore[arg-type]
        np.testing.assert_allclose(jitted(x), want, rtol=1e-12, atol=1e-12)
    # d/dx of the sum of the diagonal = d/dx trace(H)
    g = fd.grad(lambda z: fnp.sum(hessian_diag(f, sparsity=pattern)(z)))(x)
    g_dense = fd.grad(lambda z: fnp.trace(fd.hessian(f)(z)))(x)
    np.testing.assert_allclose(g, g_dense, rtol=1e-12, atol=1e-9)


def test_nan_in_x_gives_nan_where_it_reaches() -> None:
    x = RNG.normal(size=8)
    x[3] = np.nan
    for method, sparsity in [("hvp", None), ("coloring", tridiagonal(8))]:
        d = hessian_diag(rosenbrock, method=method, sparsity=sparsity)(x)  # type: ignore[arg-type]
        assert np.isnan(d[3])
        assert np.isfinite(d[0])  # entries the NaN does not reach stay finite


def test_too_sparse_a_pattern_is_the_callers_responsibility() -> None:
    # documented: a pattern missing a nonzero gives wrong entries (no check)
    x = RNG.normal(size=8)
    diagonal_only = sp.eye(8)
    got = hessian_diag(rosenbrock, sparsity=diagonal_only)(x)
    assert not np.allclose(got, dense_diag(rosenbrock, x))


# ---------------------------------------------------------------------------
# the coloring
# ---------------------------------------------------------------------------


def assert_proper(colors: np.ndarray, pattern: Any) -> None:
    coo = sp.coo_matrix(pattern)
    off = coo.row != coo.col
    assert np.all(colors[coo.row[off]] != colors[coo.col[off]])


@pytest.mark.parametrize("n", [2, 3, 10, 1001])
def test_tridiagonal_needs_two_colors(n: int) -> None:
    colors = diagonal_coloring(tridiagonal(n))
    assert colors.max() + 1 == 2
    assert_proper(colors, tridiagonal(n))


def test_coloring_counts() -> None:
    assert diagonal_coloring(sp.eye(7)).max() + 1 == 1  # no off-diagonal: one product
    assert diagonal_coloring(np.ones((6, 6), dtype=bool)).max() + 1 == 6  # dense: n
    g = grid_pattern(30, 40)
    colors = diagonal_coloring(g)
    assert_proper(colors, g)
    assert colors.max() + 1 <= 5  # degree 4: greedy needs at most 5
    # an upper triangle alone is symmetrized: the lower entries count too
    upper = sp.triu(tridiagonal(5))
    assert_proper(diagonal_coloring(upper), tridiagonal(5))


@pytest.mark.parametrize("seed", range(5))
def test_random_patterns_are_colored_properly(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    a = sp.random(n, n, density=0.02, random_state=rng, format="csr")
    pattern = a + a.T
    colors = diagonal_coloring(pattern)
    assert_proper(colors, pattern)
    coo = sp.coo_matrix(pattern)
    degree = np.bincount(coo.row[coo.row != coo.col], minlength=n)
    assert colors.max() + 1 <= degree.max() + 1
    # and the diagonal through it is exact for a function with that Hessian pattern
    rows, cols = coo.row, coo.col

    def f(x: Any) -> Any:
        return fnp.sum(fnp.sin(x[rows] * x[cols])) + fnp.sum(x**3)

    x = rng.normal(size=n)
    got = hessian_diag(f, sparsity=pattern)(x)
    want = hessian_diag(f, method="hvp", chunk_size=64)(x)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_colored_diagonal_uses_few_products() -> None:
    calls: list[int] = []

    def f(x: Any) -> Any:
        calls.append(1)
        return rosenbrock(x)

    n = 2000
    x = RNG.normal(size=n)
    d = hessian_diag(f, sparsity=tridiagonal(n), chunk_size=1)(x)
    assert len(calls) == 1  # the function is traced once; the products replay its linear map
    want = np.full(n, 200.0)
    want[0] = 0.0
    want[:-1] += 1200 * x[:-1] ** 2 - 400 * x[1:] + 2
    np.testing.assert_allclose(d, want, rtol=1e-12)


# ---------------------------------------------------------------------------
# stochastic estimators
# ---------------------------------------------------------------------------

N_STAT = 200
B = RNG.normal(size=(N_STAT, N_STAT)) / np.sqrt(N_STAT)
X_STAT = RNG.normal(size=N_STAT) * 0.3


def coupled(x: Any) -> Any:
    """A Hessian with a full off-diagonal part (noise for the estimators)."""
    return rosenbrock(x) * 0.01 + fnp.sum(fnp.log(1.0 + (B @ x) ** 2))


@pytest.fixture(scope="module")
def exact_h() -> np.ndarray:
    return np.asarray(fd.hessian(coupled)(X_STAT))


@pytest.mark.parametrize("probes", ["rademacher", "gaussian"])
def test_trace_estimate_is_unbiased(probes: str, exact_h: np.ndarray) -> None:
    est = hessian_trace_estimate(coupled, num_samples=2000, seed=7, probes=probes)(X_STAT)  # type: ignore[arg-type]
    assert isinstance(est, Estimate) and est.num_samples == 2000
    assert est.stderr > 0
    assert abs(est.value - np.trace(exact_h)) < 4 * est.stderr


def test_diag_estimate_is_unbiased(exact_h: np.ndarray) -> None:
    value, stderr, _ = hessian_diag_estimate(coupled, num_samples=2000, seed=3)(X_STAT)
    z = (value - np.diag(exact_h)) / stderr
    assert np.all(np.abs(z) < 4.5)
    assert abs(z.mean()) < 4 / np.sqrt(N_STAT)  # the errors do not lean one way


def test_stderr_shrinks_like_one_over_sqrt_samples() -> None:
    small = hessian_trace_estimate(coupled, num_samples=250, seed=0)(X_STAT)
    large = hessian_trace_estimate(coupled, num_samples=4000, seed=0)(X_STAT)
    assert 4 * 0.75 < small.stderr / large.stderr < 4 * 1.3
    dsmall = hessian_diag_estimate(coupled, num_samples=250, seed=0)(X_STAT)
    dlarge = hessian_diag_estimate(coupled, num_samples=4000, seed=0)(X_STAT)
    ratio = np.median(dsmall.stderr / dlarge.stderr)
    assert 4 * 0.8 < ratio < 4 * 1.2


def test_same_seed_same_result_any_chunking() -> None:
    run = hessian_trace_estimate(coupled, num_samples=50, seed=11, chunk_size=7)
    a, b = run(X_STAT), run(X_STAT)
    assert a == b
    c = hessian_trace_estimate(coupled, num_samples=50, seed=11, chunk_size=50)(X_STAT)
    np.testing.assert_allclose(c.value, a.value, rtol=1e-12)
    g = hessian_trace_estimate(coupled, num_samples=50, seed=np.random.default_rng(11))(X_STAT)
    np.testing.assert_allclose(g.value, a.value, rtol=1e-12)
    d = hessian_trace_estimate(coupled, num_samples=50, seed=12)(X_STAT)
    assert d.value != a.value
    for probes in ["rademacher", "gaussian"]:
        e1 = hessian_diag_estimate(coupled, num_samples=20, seed=5, probes=probes, chunk_size=3)  # type: ignore[arg-type]
        e2 = hessian_diag_estimate(coupled, num_samples=20, seed=5, probes=probes)  # type: ignore[arg-type]
        np.testing.assert_allclose(e1(X_STAT).value, e2(X_STAT).value, rtol=1e-12)


def test_rademacher_is_exact_for_a_diagonal_hessian() -> None:
    c = RNG.uniform(1, 2, size=30)
    x = RNG.normal(size=30)

    def f(x: Any) -> Any:
        return fnp.sum(c * x**2 + fnp.cosh(x))

    want = 2 * c + np.cosh(x)
    tr = hessian_trace_estimate(f, num_samples=3, seed=0)(x)
    np.testing.assert_allclose(tr.value, want.sum(), rtol=1e-12)
    assert tr.stderr < 1e-12 * want.sum()
    dg = hessian_diag_estimate(f, num_samples=3, seed=0)(x)
    np.testing.assert_allclose(dg.value, want, rtol=1e-12)
    assert np.all(dg.stderr < 1e-12 * want)
    # one sample: the value, and no standard error to give
    one = hessian_trace_estimate(f, num_samples=1, seed=0)(x)
    np.testing.assert_allclose(one.value, want.sum(), rtol=1e-12)
    assert np.isnan(one.stderr)


def test_estimates_take_the_argument_shape() -> None:
    f, x, _ = CASES["grid"]
    est = hessian_diag_estimate(f, num_samples=5, seed=0)(x)
    assert est.value.shape == x.shape and est.stderr.shape == x.shape
    assert isinstance(hessian_trace_estimate(f, num_samples=5, seed=0)(x).value, float)


def test_nan_in_x_gives_nan_estimates() -> None:
    x = X_STAT.copy()
    x[0] = np.nan
    assert np.isnan(hessian_trace_estimate(coupled, num_samples=4, seed=0)(x).value)
    assert np.isnan(hessian_diag_estimate(coupled, num_samples=4, seed=0)(x).value[0])


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


def test_errors() -> None:
    x = np.ones(4)
    with pytest.raises(ShapeError, match=r"\(4,\)"):
        hessian_diag(lambda z: z * 2)(x)
    with pytest.raises(ShapeError, match=r"\(4,\)"):
        hessian_trace_estimate(lambda z: z * 2, num_samples=3, seed=0)(x)
    with pytest.raises(ValueError, match="num_samples must be at least 1, got 0"):
        hessian_trace_estimate(rosenbrock, num_samples=0, seed=0)
    with pytest.raises(ValueError, match="num_samples"):
        hessian_diag_estimate(rosenbrock, num_samples=-3, seed=0)
    with pytest.raises(TypeError, match="num_samples must be an int"):
        hessian_diag_estimate(rosenbrock, num_samples=2.5, seed=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="method must be one of .*'newton'"):
        hessian_diag(rosenbrock, method="newton")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="probes must be one of .*'uniform'"):
        hessian_trace_estimate(rosenbrock, num_samples=3, seed=0, probes="uniform")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunk_size"):
        hessian_diag(rosenbrock, chunk_size=0)(x)
    with pytest.raises(ValueError, match=r"sparsity has shape \(3, 3\).*\(4, 4\)"):
        hessian_diag(rosenbrock, sparsity=sp.eye(3))(x)
    with pytest.raises(TypeError, match="argnums"):
        hessian_diag(rosenbrock, argnums=(0,))(x)  # type: ignore[arg-type]


@pytest.mark.skipif(
    importlib.util.find_spec("funcdiff.sparse") is not None,
    reason="sparsity detection is installed: coloring finds its own pattern",
)
def test_coloring_without_pattern_or_detection_says_so() -> None:
    with pytest.raises(ValueError, match="sparsity detection"):
        hessian_diag(rosenbrock, method="coloring")(np.ones(4))


# ---------------------------------------------------------------------------
# Hutch++
# ---------------------------------------------------------------------------

C = RNG.normal(size=(8, N_STAT))


def low_rank(x: Any) -> Any:
    """A Hessian of rank 8 plus a small multiple of the identity."""
    return fnp.sum(fnp.log(1.0 + (C @ x) ** 2)) * 5.0 + 0.01 * fnp.sum(x**2)


@pytest.mark.parametrize("probes", ["rademacher", "gaussian"])
def test_hutchpp_is_unbiased_and_beats_hutchinson_on_a_low_rank_hessian(probes: str) -> None:
    x = X_STAT
    exact = float(np.trace(fd.hessian(low_rank)(x)))
    plain = hessian_trace_estimate(low_rank, num_samples=90, seed=2, probes=probes)(x)  # type: ignore[arg-type]
    pp = hessian_trace_estimate(
        low_rank,
        num_samples=90,
        seed=2,
        probes=probes,  # type: ignore[arg-type]
        method="hutch++",
        chunk_size=7,
    )(x)
    assert pp.num_samples == 90
    assert abs(pp.value - exact) < 4 * pp.stderr
    assert abs(plain.value - exact) < 4 * plain.stderr
    assert pp.stderr < plain.stderr / 10
    # the sketch's part is exact: the error is the small remainder's
    assert abs(pp.value - exact) < 1e-2 * abs(exact)
    again = hessian_trace_estimate(
        low_rank, num_samples=90, seed=2, probes=probes, method="hutch++"
    )(x)  # type: ignore[arg-type]
    np.testing.assert_allclose(again.value, pp.value, rtol=1e-12)


def test_hutchpp_on_a_coupled_hessian_is_unbiased(exact_h: np.ndarray) -> None:
    # 150 products: a sketch of 50 columns, narrower than the Hessian (200), so
    # the remainder is estimated (600 would sketch all of it: exact, stderr ~ 0)
    est = hessian_trace_estimate(coupled, num_samples=150, seed=9, method="hutch++")(X_STAT)
    assert est.stderr > 1e-6
    assert abs(est.value - np.trace(exact_h)) < 4 * est.stderr


def test_hutchpp_errors() -> None:
    with pytest.raises(ValueError, match="needs num_samples >= 3, got 2"):
        hessian_trace_estimate(rosenbrock, num_samples=2, seed=0, method="hutch++")
    with pytest.raises(ValueError, match="method must be one of .*'hutch'"):
        hessian_trace_estimate(rosenbrock, num_samples=3, seed=0, method="hutch")  # type: ignore[arg-type]


def test_auto_and_coloring_take_the_detected_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    # without sparsity=, the pattern comes from fd.hessian_sparsity on the
    # function of the flattened argument: one product per color, not per column
    import funcdiff.sparse as fsp
    from funcdiff import curvature

    seen: list[tuple[int, ...]] = []
    real = fsp.hessian_sparsity

    def spying(g: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def at(z: Any) -> Any:
            seen.append(np.shape(z))
            return real(g)(z)

        return at

    monkeypatch.setattr(fsp, "hessian_sparsity", spying)
    f, x, _ = CASES["grid"]
    want = dense_diag(f, x)
    for method in ["auto", "coloring"]:
        got = hessian_diag(f, method=method)(x)  # type: ignore[arg-type]
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    got = fd.jit(hessian_diag(f))(x)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert seen == [(20,)] * 3
    hessian_diag(f, method="hvp")(x)  # the unit vectors need no pattern
    assert len(seen) == 3
    # one seed per color of the detected pattern, not one per variable
    widths: list[int] = []
    real_call = curvature._Products.__call__

    def counting(self: Any, seeds: Any) -> Any:
        widths.append(np.shape(seeds)[0])
        return real_call(self, seeds)

    monkeypatch.setattr(curvature._Products, "__call__", counting)
    hessian_diag(f)(x)
    colors = diagonal_coloring(real(f)(x)).max() + 1
    assert sum(widths) == colors < x.size // 2


def test_scalar_float32_and_integer_inputs() -> None:
    assert hessian_diag(lambda x: x**3)(2.0) == 12.0
    assert np.shape(hessian_diag(lambda x: x**3)(np.array(2.0))) == ()
    x32 = np.array([1.0, 2.0], dtype=np.float32)
    assert hessian_diag(lambda x: fnp.sum(x**3))(x32).dtype == np.float32
    est = hessian_diag_estimate(lambda x: fnp.sum(x**3), num_samples=3, seed=0)(x32)
    assert est.value.dtype == np.float32
    with pytest.raises(fd.errors.DTypeError, match="floating-point inputs"):
        hessian_diag(lambda x: fnp.sum(x**3))(np.array([1, 2]))


def test_stored_zeros_are_no_edges() -> None:
    a = sp.csr_matrix(tridiagonal(6))
    a.data[:] = 0.0  # every entry stored, all zero: no edge at all
    assert diagonal_coloring(a).max() + 1 == 1

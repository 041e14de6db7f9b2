"""sparse_jacobian / sparse_hessian: every result equals the dense derivative
exactly in pattern and to 1e-12 in value, in both modes, eagerly and under
jit; color counts; plans reused; errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

sp = pytest.importorskip("scipy.sparse")

import funcdiff as fd  # noqa: E402
import funcdiff.numpy as fnp  # noqa: E402
from funcdiff.errors import DTypeError, ShapeError  # noqa: E402
from funcdiff.sparse._coloring import verify_column_coloring, verify_row_coloring  # noqa: E402
from funcdiff.sparse._eval import (  # noqa: E402
    HessianPlan,
    JacobianPlan,
    sparse_hessian,
    sparse_jacobian,
)

# -- test functions ----------------------------------------------------------


def rosenbrock(x: Any) -> Any:
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()


def grid_energy(u: Any) -> Any:
    """A 2-D grid energy: nonlinear in each value, coupling 4 neighbors."""
    dx = u[1:, :] - u[:-1, :]
    dy = u[:, 1:] - u[:, :-1]
    return (fnp.sqrt(1.0 + dx**2).sum() + fnp.sqrt(1.0 + dy**2).sum()) + (fnp.cos(u) * u).sum()


def partially_separable(x: Any) -> Any:
    """Sum of element functions on overlapping index groups of 3."""
    a, b, c = x[0:-4:2], x[2:-2:2], x[4::2]
    return (fnp.exp(0.1 * a * b) + (b - c) ** 4 + fnp.sin(a * c)).sum() + x[1::2].dot(x[1::2])


def arrowhead(x: Any) -> Any:
    return (x[0] * x[1:] ** 2).sum() + fnp.sin(x).sum()


def dense_fn(x: Any) -> Any:
    return fnp.log(1.0 + (x**2).sum()) * fnp.tanh(x).sum()


RNG = np.random.default_rng(0)
SPARSE_MAP_IDX = RNG.integers(0, 30, size=(25, 3))


def random_sparse_map(x: Any) -> Any:
    """25 outputs, each a nonlinear function of 3 random inputs out of 30."""
    a, b, c = (x[SPARSE_MAP_IDX[:, k]] for k in range(3))
    return fnp.sin(a) * b + fnp.exp(0.1 * c) * a**2


def banded_map(x: Any) -> Any:
    """y_i = f(x_{i-1}, x_i, x_{i+1}, x_{i+2}): bandwidth 4."""
    return x[:-3] ** 2 * x[1:-2] + fnp.sin(x[2:-1]) * x[3:]


def pattern_of(dense: np.ndarray) -> Any:
    return sp.csr_array(dense != 0)


def assert_matches_dense(result: Any, dense: np.ndarray, pattern: Any) -> None:
    assert isinstance(result, sp.csr_array)
    assert result.shape == dense.shape
    assert result.dtype == dense.dtype
    # the stored entries are exactly the pattern, and the dense derivative
    # has no nonzero outside it
    expected = sp.csr_array(pattern, dtype=bool)
    expected.sum_duplicates()
    expected.sort_indices()
    np.testing.assert_array_equal(result.indptr, expected.indptr)
    np.testing.assert_array_equal(result.indices, expected.indices)
    got = result.toarray()
    assert not np.any(dense[~expected.toarray()])
    np.testing.assert_allclose(got, dense, rtol=1e-12, atol=1e-12)


HESSIAN_CASES: list[tuple[str, Callable[[Any], Any], Callable[[], np.ndarray]]] = [
    ("rosenbrock", rosenbrock, lambda: RNG.standard_normal(40)),
    ("grid", grid_energy, lambda: RNG.standard_normal((7, 6))),
    ("partially_separable", partially_separable, lambda: RNG.standard_normal(31)),
    ("arrowhead", arrowhead, lambda: RNG.standard_normal(20)),
    ("dense", dense_fn, lambda: RNG.standard_normal(12)),
]


@pytest.mark.parametrize("use_jit", [True, False], ids=["jit", "eager"])
@pytest.mark.parametrize("case", HESSIAN_CASES, ids=[c[0] for c in HESSIAN_CASES])
def test_sparse_hessian_equals_dense(case: Any, use_jit: bool) -> None:
    _, f, make_x = case
    x = make_x()
    dense = np.asarray(fd.hessian(f)(x)).reshape(x.size, x.size)
    pattern = pattern_of(dense)
    hess = sparse_hessian(f, sparsity=pattern, jit=use_jit)
    result = hess(x)
    assert_matches_dense(result, dense, pattern)
    # the result is symmetric, entry by entry
    assert abs(result - result.T).max() == 0.0
    # a second point with the same plan
    x2 = make_x()
    dense2 = np.asarray(fd.hessian(f)(x2)).reshape(x.size, x.size)
    assert_matches_dense(hess(x2), dense2, pattern)


def test_hessian_color_counts() -> None:
    for n in (10, 1000):
        x = np.linspace(-1.0, 1.0, n)
        ones = np.ones(n)
        tri = sp.diags([ones[1:], ones, ones[1:]], [-1, 0, 1])
        plan = sparse_hessian(rosenbrock, sparsity=tri).prepare(x)
        assert plan.ncolors == 3
        assert plan.colors.shape == (n,)
    x = RNG.standard_normal(20)
    dense = np.asarray(fd.hessian(arrowhead)(x))
    assert sparse_hessian(arrowhead, sparsity=dense != 0).prepare(x).ncolors == 2
    x = RNG.standard_normal(12)
    assert sparse_hessian(dense_fn, sparsity=np.ones((12, 12), bool)).prepare(x).ncolors == 12


JACOBIAN_CASES: list[tuple[str, Callable[[Any], Any], Callable[[], np.ndarray]]] = [
    ("random_sparse_map", random_sparse_map, lambda: RNG.standard_normal(30)),
    ("banded", banded_map, lambda: RNG.standard_normal(20)),
    ("grid_gradient", fd.grad(grid_energy), lambda: RNG.standard_normal((5, 6))),
    ("rosenbrock_gradient", fd.grad(rosenbrock), lambda: RNG.standard_normal(25)),
    ("dense", lambda x: fnp.tanh(x) * (x**2).sum(), lambda: RNG.standard_normal(9)),
    ("wide", lambda x: (x[:-2] * x[2:]).reshape(2, -1), lambda: RNG.standard_normal(14)),
]


@pytest.mark.parametrize("use_jit", [True, False], ids=["jit", "eager"])
@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
@pytest.mark.parametrize("case", JACOBIAN_CASES, ids=[c[0] for c in JACOBIAN_CASES])
def test_sparse_jacobian_equals_dense(case: Any, mode: str, use_jit: bool) -> None:
    _, f, make_x = case
    x = make_x()
    dense = np.asarray(fd.jacfwd(f)(x))
    dense = dense.reshape(dense.size // x.size, x.size)
    pattern = pattern_of(dense)
    jac = sparse_jacobian(f, sparsity=pattern, mode=mode, jit=use_jit)  # type: ignore[arg-type]
    assert_matches_dense(jac(x), dense, pattern)
    plan = jac.prepare(x)
    if mode != "auto":
        assert plan.mode == mode
    check = verify_column_coloring if plan.mode == "forward" else verify_row_coloring
    assert check(pattern, plan.colors)
    x2 = make_x()
    dense2 = np.asarray(fd.jacrev(f)(x2)).reshape(dense.shape)
    assert_matches_dense(jac(x2), dense2, pattern)


def test_jacobian_auto_mode_picks_fewer_colors() -> None:
    # one dense row: reverse mode needs 2 colors, forward mode n
    def dense_row(x: Any) -> Any:
        return fnp.concatenate([fnp.sum(x**2)[None], fnp.sin(x)])

    x = RNG.standard_normal(15)
    pattern = np.vstack([np.ones((1, 15), bool), np.eye(15, dtype=bool)])
    plan = sparse_jacobian(dense_row, sparsity=pattern).prepare(x)
    assert (plan.mode, plan.ncolors) == ("reverse", 2)
    assert sparse_jacobian(dense_row, sparsity=pattern, mode="forward").prepare(x).ncolors == 15
    # one dense column: forward mode
    dense_col = np.hstack([np.ones((14, 1), bool), np.eye(14, dtype=bool)])
    plan = sparse_jacobian(lambda x: x[0] * x[1:], sparsity=dense_col).prepare(x)
    assert (plan.mode, plan.ncolors) == ("forward", 2)
    # a banded map: the bandwidth, in either mode
    x = RNG.standard_normal(30)
    i, j = np.indices((27, 30))
    band = (j >= i) & (j <= i + 3)
    for mode in ("forward", "reverse", "auto"):
        assert sparse_jacobian(banded_map, sparsity=band, mode=mode).prepare(x).ncolors == 4  # type: ignore[arg-type]


def test_plan_is_cached_per_signature_and_reprepared_for_a_new_shape() -> None:
    calls = []

    def f(x: Any) -> Any:
        calls.append(1)
        return rosenbrock(x)

    def tri(n: int) -> Any:
        return sp.diags([np.ones(n - 1), np.ones(n), np.ones(n - 1)], [-1, 0, 1])

    hess = sparse_hessian(f, sparsity=tri(8))
    x = RNG.standard_normal(8)
    plan = hess.prepare(x)
    assert hess.prepare(x) is plan
    hess(x)
    traced = len(calls)
    for _ in range(3):
        hess(RNG.standard_normal(8))
    assert len(calls) == traced  # jit: no retracing, no recoloring
    assert hess.prepare(RNG.standard_normal(8)) is plan
    # a new shape with an explicit pattern of the old shape: a clear error
    with pytest.raises(ValueError, match=r"shape \(8, 8\).*shape \(9, 9\)"):
        hess(RNG.standard_normal(9))
    # the plan itself refuses another shape
    with pytest.raises(ShapeError, match=r"\(8,\).*\(9,\)"):
        plan(RNG.standard_normal(9))
    # float32 is another signature with its own plan and dtype
    x32 = x.astype(np.float32)
    h32 = hess(x32)
    assert h32.dtype == np.float32
    np.testing.assert_allclose(h32.toarray(), hess(x).toarray(), rtol=1e-4)


def test_plan_under_jit_equals_eager_and_plan_values() -> None:
    x = RNG.standard_normal((6, 5))
    dense = np.asarray(fd.hessian(grid_energy)(x)).reshape(30, 30)
    pattern = pattern_of(dense)
    jitted = sparse_hessian(grid_energy, sparsity=pattern).prepare(x)
    eager = sparse_hessian(grid_energy, sparsity=pattern, jit=False).prepare(x)
    assert isinstance(jitted, HessianPlan)
    np.testing.assert_allclose(jitted(x).toarray(), eager(x).toarray(), rtol=1e-14, atol=1e-14)
    np.testing.assert_array_equal(jitted.values(x), jitted(x).data)
    # an already jitted function works too
    pre = sparse_hessian(fd.jit(grid_energy), sparsity=pattern).prepare(x)
    np.testing.assert_allclose(pre(x).toarray(), dense, rtol=1e-12, atol=1e-12)
    plan = sparse_jacobian(fd.jit(random_sparse_map), sparsity=np.ones((25, 30), bool))
    assert isinstance(plan.prepare(RNG.standard_normal(30)), JacobianPlan)


def test_results_share_read_only_structure_and_work_with_scipy() -> None:
    n = 50
    x = RNG.standard_normal(n)
    tri = sp.diags([np.ones(n - 1), np.ones(n), np.ones(n - 1)], [-1, 0, 1])
    hess = sparse_hessian(rosenbrock, sparsity=tri)
    h1, h2 = hess(x), hess(x + 1.0)
    assert np.shares_memory(h1.indices, h2.indices) and not h1.indices.flags.writeable
    h1.data[:] = 0.0  # the data is the caller's
    assert h2.data.any()
    from scipy.sparse.linalg import spsolve

    h = hess(np.ones(n))  # positive definite at the minimum
    v = spsolve(sp.csc_array(h), np.ones(n))
    np.testing.assert_allclose(h @ v, np.ones(n), rtol=1e-8)
    assert (h + h).nnz == h.nnz and (2 * h.T).shape == (n, n)


def test_other_arguments_and_argnums() -> None:
    def f(a: Any, x: Any, scale: Any) -> Any:
        return scale * rosenbrock(x) + (a * x).sum()

    x = RNG.standard_normal(10)
    a = RNG.standard_normal(10)
    dense = np.asarray(fd.hessian(f, argnums=1)(a, x, 3.0))
    hess = sparse_hessian(f, argnums=1, sparsity=dense != 0)
    np.testing.assert_allclose(hess(a, x, 3.0).toarray(), dense, rtol=1e-12)
    np.testing.assert_allclose(hess(a, x, 1.0).toarray() * 3.0, dense, rtol=1e-12)
    jac = sparse_jacobian(lambda s, x: s * x**2, argnums=-1, sparsity=np.eye(10, dtype=bool))
    np.testing.assert_allclose(jac(2.0, x).diagonal(), 4.0 * x, rtol=1e-14)


def test_nan_input_gives_nan_entries() -> None:
    n = 12
    x = RNG.standard_normal(n)
    x[5] = np.nan
    tri = sp.diags([np.ones(n - 1), np.ones(n), np.ones(n - 1)], [-1, 0, 1])
    result = sparse_hessian(rosenbrock, sparsity=tri)(x).toarray()
    dense = np.asarray(fd.hessian(rosenbrock)(x))
    # every entry that involves x[5] is NaN, as in the dense Hessian
    assert np.isnan(result[5, 4:7]).all() and np.isnan(result[4:7, 5]).all()
    assert np.isnan(dense[5, 4:7]).all()
    finite = ~np.isnan(result) & ~np.isnan(dense)
    np.testing.assert_allclose(result[finite], dense[finite], rtol=1e-12)
    jac = sparse_jacobian(fnp.sin, sparsity=np.eye(n, dtype=bool))(x).toarray()
    assert np.isnan(jac[5, 5]) and np.isfinite(np.delete(np.diag(jac), 5)).all()


def test_errors() -> None:
    x = RNG.standard_normal(4)
    with pytest.raises(ShapeError, match=r"scalar.*shape \(4,\)"):
        sparse_hessian(lambda x: x**2, sparsity=np.eye(4, dtype=bool))(x)
    with pytest.raises(ShapeError, match="scalar"):
        sparse_hessian(lambda x: (x.sum(), x.sum()), sparsity=np.eye(4, dtype=bool))(x)
    with pytest.raises(ValueError, match=r"shape \(3, 3\).*shape \(4, 4\)"):
        sparse_hessian(rosenbrock, sparsity=np.eye(3, dtype=bool))(x)
    with pytest.raises(ValueError, match=r"shape \(4, 4\).*shape \(3, 4\)"):
        sparse_jacobian(lambda x: x[1:] * x[:-1], sparsity=np.eye(4, dtype=bool))(x)
    with pytest.raises(ValueError, match="not symmetric"):
        sparse_hessian(rosenbrock, sparsity=np.triu(np.ones((4, 4), bool)))(x)
    with pytest.raises(DTypeError, match="int64"):
        sparse_hessian(rosenbrock, sparsity=np.eye(4, dtype=bool))(np.arange(4))
    with pytest.raises(TypeError, match="one array"):
        sparse_jacobian(lambda x: (x, x), sparsity=np.eye(4, dtype=bool))(x)
    with pytest.raises(ValueError, match="mode"):
        sparse_jacobian(fnp.sin, sparsity=np.eye(4, dtype=bool), mode="both")(x)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="argnums"):
        sparse_hessian(rosenbrock, argnums=(0,), sparsity=np.eye(4, dtype=bool))(x)  # type: ignore[arg-type]


def test_empty_pattern_and_zero_size() -> None:
    x = RNG.standard_normal(5)
    h = sparse_hessian(lambda x: x.sum(), sparsity=np.zeros((5, 5), bool))(x)
    assert h.shape == (5, 5) and h.nnz == 0
    j = sparse_jacobian(lambda x: x * 2.0, sparsity=np.eye(5, dtype=bool))(x)
    np.testing.assert_array_equal(j.toarray(), 2.0 * np.eye(5))


def test_plan_values_are_traceable() -> None:
    n = 10
    x = RNG.standard_normal(n)
    tri = sp.diags([np.ones(n - 1), np.ones(n), np.ones(n - 1)], [-1, 0, 1])
    plan = sparse_hessian(rosenbrock, sparsity=tri).prepare(x)
    np.testing.assert_allclose(fd.jit(plan.values)(x), plan.values(x), rtol=1e-14)
    # derivative of the sum of the Hessian's entries: a third derivative
    third = fd.grad(lambda z: plan.values(z).sum())(x)
    eps = 1e-6
    fd_third = np.array(
        [
            (plan.values(x + eps * e).sum() - plan.values(x - eps * e).sum()) / (2 * eps)
            for e in np.eye(n)
        ]
    )
    np.testing.assert_allclose(third, fd_third, rtol=1e-6, atol=1e-4)
    xs = RNG.standard_normal((3, n))
    batched = fd.vmap(plan.values)(xs)
    np.testing.assert_array_equal(batched, np.stack([plan.values(r) for r in xs]))
    with pytest.raises(TypeError, match="values"):
        fd.jit(plan)(x)


def test_missing_scipy_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    with pytest.raises(ImportError, match=r"funcdiff\[scipy\]"):
        sparse_hessian(rosenbrock, sparsity=np.eye(3, dtype=bool))(np.ones(3))


def test_list_and_scalar_arguments() -> None:
    x = [0.5, -1.0, 2.0, 0.25]
    tri = sp.diags([np.ones(3), np.ones(4), np.ones(3)], [-1, 0, 1])
    hess = sparse_hessian(rosenbrock, sparsity=tri)
    dense = np.asarray(fd.hessian(rosenbrock)(np.asarray(x)))
    np.testing.assert_allclose(hess(x).toarray(), dense, rtol=1e-12)
    np.testing.assert_allclose(hess.prepare(x)(x).toarray(), dense, rtol=1e-12)
    h = sparse_hessian(lambda t: t**4, sparsity=np.ones((1, 1), bool))(2.0)
    assert h.shape == (1, 1) and h.toarray()[0, 0] == 48.0


# ---------------------------------------------------------------------------
# detection and evaluation together: no pattern given
# ---------------------------------------------------------------------------


def _contains_dense(result: Any, dense: np.ndarray) -> None:
    """Detected patterns are structural: they may hold entries that are zero
    at this x, never miss a nonzero; every value equals the dense one."""
    assert isinstance(result, sp.csr_array) and result.shape == dense.shape
    stored = sp.csr_array(result, dtype=bool).toarray()
    assert not np.any(dense[~stored])
    np.testing.assert_allclose(result.toarray(), dense, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", HESSIAN_CASES, ids=[c[0] for c in HESSIAN_CASES])
def test_sparse_hessian_detects_its_pattern(case: Any) -> None:
    _, f, make_x = case
    x = make_x()
    hess = fd.sparse_hessian(f)
    for point in (x, make_x()):
        dense = np.asarray(fd.hessian(f)(point)).reshape(x.size, x.size)
        _contains_dense(hess(point), dense)
    plan = hess.prepare(x)
    np.testing.assert_array_equal(plan.sparsity.toarray(), fd.hessian_sparsity(f)(x).toarray())


@pytest.mark.parametrize("case", JACOBIAN_CASES, ids=[c[0] for c in JACOBIAN_CASES])
def test_sparse_jacobian_detects_its_pattern(case: Any) -> None:
    _, f, make_x = case
    x = make_x()
    dense = np.asarray(fd.jacfwd(f)(x))
    _contains_dense(fd.sparse_jacobian(f)(x), dense.reshape(dense.size // x.size, x.size))


def test_detected_chained_rosenbrock_is_exact_and_needs_three_colors() -> None:
    for n in (10, 1000, 100_000):
        x = np.linspace(-1.0, 1.0, n)
        hess = fd.sparse_hessian(rosenbrock)
        H = hess(x)
        assert H.nnz == 3 * n - 2 and hess.prepare(x).ncolors == 3
        # the hand-written tridiagonal Hessian
        main = np.zeros(n)
        main[:-1] += 2 - 400 * (x[1:] - 3 * x[:-1] ** 2)
        main[1:] += 200
        off = -400 * x[:-1]
        np.testing.assert_allclose(H.diagonal(), main, rtol=1e-12)
        np.testing.assert_allclose(H.diagonal(1), off, rtol=1e-12)

"""``hessian`` by compressed evaluation: when the Hessian's structural
pattern has a star coloring with few colors, one Hessian-vector product per
color gives every entry (``api._compressed_hessian``). Checked against the
analytic Hessian, the dense forward-over-reverse Jacobian of the gradient,
under jit, vmap and a further derivative, and for constants whose values
change between calls of one structure."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.api as api
import funcdiff.numpy as fnp

pytest.importorskip("scipy")


def rosen(x: Any) -> Any:
    return fnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def rosen_hessian(x: np.ndarray) -> np.ndarray:
    """The analytic (tridiagonal) Hessian."""
    n = x.size
    a, b = x[:-1], x[1:]
    h = np.zeros((n, n))
    i = np.arange(n - 1)
    h[i, i] += 1200 * a**2 - 400 * b + 2
    h[i + 1, i + 1] += 200
    h[i, i + 1] = h[i + 1, i] = -400 * a
    return h


def dense(f: Any) -> Any:
    """The dense Hessian, one product per input element (no compression)."""
    return fd.jacfwd(fd.jacrev(f))


def plan_of(f: Any, x: np.ndarray) -> Any:
    closed = fd.make_jaxpr(f)(x)
    return api._plan_hessian(closed, closed.jaxpr.invars[0].aval)


X = np.random.default_rng(0).uniform(-1.5, 1.5, 200)


def test_rosenbrock_takes_three_products_and_matches_the_analytic_hessian() -> None:
    plan = plan_of(rosen, X)
    assert plan is not None and plan.seeds.shape == (3, 200)
    h = fd.hessian(rosen)
    want = rosen_hessian(X)
    for _ in range(3):  # first sighting (interpreted), then compiled
        got = h(X)
        assert type(got) is np.ndarray and got.dtype == np.float64
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-10)
    np.testing.assert_allclose(fd.jit(fd.hessian(rosen))(X), want, rtol=1e-13, atol=1e-10)


def test_a_dense_pattern_takes_the_dense_path() -> None:
    def f(x: Any) -> Any:
        return fnp.sum(x) ** 2 + fnp.sum(fnp.sin(x))

    assert plan_of(f, X) is None
    np.testing.assert_allclose(fd.hessian(f)(X), 2 + np.diag(-np.sin(X)), rtol=1e-13, atol=1e-13)


def compresses(x: np.ndarray) -> bool:
    """Whether ``hessian`` takes the compressed path for ``rosen`` at a traced ``x``."""
    seen: list[bool] = []

    def probe(t: Any) -> Any:
        seen.append(api._compressed_hessian(rosen, t, None) is not None)
        return fnp.sum(t)

    fd.make_jaxpr(probe)(x)
    return seen == [True]


def test_a_dense_block_stops_the_analysis_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """A logistic loss: every row of x @ w meets every weight, a clique of n
    (n colors at least), so the analysis stops there, before the pattern."""
    from funcdiff.interpreters import sparsity as spd_run

    rng = np.random.default_rng(8)
    data = rng.normal(size=(300, 64))

    def loss(w: Any) -> Any:
        return fnp.mean(fnp.log1p(fnp.exp(-(data @ w)))) + 0.01 * fnp.sum(w * w)

    def never(self: Any) -> Any:
        raise AssertionError("the whole pattern was built")

    monkeypatch.setattr(spd_run.State, "hessian_pattern", never)
    w = rng.normal(size=64) * 0.1
    assert plan_of(loss, w) is None
    s = 1 / (1 + np.exp(data @ w))
    want = (data.T * (s * (1 - s) / 300)) @ data + 0.02 * np.eye(64)
    np.testing.assert_allclose(fd.jit(fd.hessian(loss))(w), want, rtol=1e-12, atol=1e-14)


def test_small_inputs_take_the_dense_path() -> None:
    assert not compresses(X[: api.SPARSE_HESSIAN_MIN_SIZE - 1])
    assert compresses(X[: api.SPARSE_HESSIAN_MIN_SIZE])


def test_a_concrete_first_sighting_is_dense_and_the_compiled_call_compressed() -> None:
    """An eager Hessian's first call of a structure interprets the dense
    transforms (no analysis for a one-off); the second compiles, with the plan."""
    assert api._compressed_hessian(rosen, X, None) is None  # concrete x
    x = X[:150] * 0.5
    fd.clear_caches()
    h = fd.hessian(rosen)
    h(x)
    assert api._HESSIAN_PLANS.nbytes == 0
    h(x)
    assert len(api._HESSIAN_PLANS.keys()) == 1
    np.testing.assert_allclose(h(x), rosen_hessian(x), rtol=1e-13, atol=1e-10)


@pytest.mark.parametrize("shape", [(8, 9), (72,)])
def test_coupled_grid_against_the_dense_hessian(shape: tuple[int, ...]) -> None:
    """A 2-D input: neighbors along both axes interact (a 5-point stencil)."""

    def f(u: Any) -> Any:
        u2 = fnp.reshape(u, (8, 9))
        dx = u2[1:, :] - u2[:-1, :]
        dy = u2[:, 1:] - u2[:, :-1]
        return fnp.sum(fnp.cos(dx) * dx**2) + fnp.sum(fnp.exp(0.1 * dy) * dy) + fnp.sum(u2**4)

    u = np.random.default_rng(1).normal(size=shape)
    plan = plan_of(f, u)
    assert plan is not None and plan.seeds.shape[0] < u.size // 4
    got = fd.hessian(f)(u)
    assert got.shape == shape + shape
    np.testing.assert_allclose(got, dense(f)(u), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fd.jit(fd.hessian(f))(u), dense(f)(u), rtol=1e-12, atol=1e-12)


def test_float32_stays_float32() -> None:
    x = X.astype(np.float32)
    got = fd.hessian(rosen)(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, rosen_hessian(X), rtol=1e-4, atol=1e-2)


def test_constants_that_change_between_calls_of_one_structure() -> None:
    """The plan holds for every value of the constants: a matrix closed over
    that is diagonal at first and full later must not leave a diagonal plan."""
    n = 40
    rng = np.random.default_rng(2)
    a_diag = np.diag(rng.normal(size=n))
    a_full = rng.normal(size=(n, n))
    for a in (a_diag, a_full, a_diag, a_full):

        def f(x: Any, a: np.ndarray = a) -> Any:
            return x @ a @ x + fnp.sum(x**3)

        x = rng.normal(size=n)
        want = a + a.T + np.diag(6 * x)
        np.testing.assert_allclose(fd.hessian(f)(x), want, rtol=1e-12, atol=1e-12)


def test_index_constants_that_change_between_calls() -> None:
    n = 50
    rng = np.random.default_rng(3)
    for perm in (np.arange(n), rng.permutation(n), np.arange(n)[::-1].copy()):

        def f(x: Any, perm: np.ndarray = perm) -> Any:
            return fnp.sum(x * x[perm] ** 2)

        x = rng.normal(size=n)
        np.testing.assert_allclose(fd.hessian(f)(x), dense(f)(x), rtol=1e-12, atol=1e-12)


def test_under_vmap_matches_a_loop() -> None:
    xs = np.random.default_rng(4).uniform(-1, 1, (3, 64))
    got = fd.vmap(fd.hessian(rosen))(xs)
    for x, g in zip(xs, got, strict=True):
        np.testing.assert_allclose(g, rosen_hessian(x), rtol=1e-13, atol=1e-10)


def test_a_third_derivative_through_the_compressed_hessian() -> None:
    def f(x: Any) -> Any:
        return fnp.sum(fnp.sin(x[1:] * x[:-1]))

    x = np.random.default_rng(5).uniform(-1, 1, 40)
    third = fd.jacfwd(fd.hessian(f))(x)
    np.testing.assert_allclose(third, fd.jacfwd(dense(f))(x), rtol=1e-12, atol=1e-12)
    # and by finite differences of the Hessian
    e, k = 1e-6, 7
    step = np.zeros_like(x)
    step[k] = e
    fdiff = (fd.hessian(f)(x + step) - fd.hessian(f)(x - step)) / (2 * e)
    np.testing.assert_allclose(third[..., k], fdiff, rtol=1e-6, atol=1e-6)


def test_closed_over_values_of_an_outer_jit() -> None:
    def outer(x: Any, w: Any) -> Any:
        return fd.hessian(lambda y: fnp.sum(w[1:] * (y[1:] - y[:-1] ** 2) ** 2))(x)

    x = np.random.default_rng(6).uniform(-1, 1, 48)
    w = np.linspace(1.0, 2.0, 48)
    want = dense(lambda y: fnp.sum(w[1:] * (y[1:] - y[:-1] ** 2) ** 2))(x)
    np.testing.assert_allclose(fd.jit(outer)(x, w), want, rtol=1e-12, atol=1e-12)


def test_control_flow_takes_the_dense_path_and_stays_right() -> None:
    def f(x: Any) -> Any:
        y = fd.lax.cond(fnp.sum(x) > 0, lambda t: t**3, lambda t: t**2, x)
        return fnp.sum(y[1:] * y[:-1])

    x = np.random.default_rng(7).uniform(0.1, 1.0, 40)
    np.testing.assert_allclose(fd.hessian(f)(x), dense(f)(x), rtol=1e-12, atol=1e-12)


def test_without_scipy_the_dense_path_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import funcdiff.primitives.sparsity as spd

    def missing() -> Any:
        raise ImportError("no scipy here")

    monkeypatch.setattr(spd, "scipy_sparse", missing)
    fd.clear_caches()
    assert plan_of(rosen, X) is None
    np.testing.assert_allclose(fd.hessian(rosen)(X), rosen_hessian(X), rtol=1e-13, atol=1e-10)
    fd.clear_caches()


def test_nan_in_gives_nan_out_in_the_entries_it_touches() -> None:
    x = X.copy()
    x[10] = np.nan
    got = fd.hessian(rosen)(x)
    assert np.isnan(got[10, 9:12]).all() and np.isnan(got[9:12, 10]).all()
    assert np.isfinite(got[50:, 50:]).all()

"""Eager ``hessian`` and ``hvp`` run as compiled code once a structure
repeats (``api._staged_call``). Every result is checked against analytic
Hessians, on the first (interpreted), second (compiled now) and later
(cached) calls, with values, constants and control flow changing between
calls."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import api
from funcdiff.interpreters.compiled import SEEN

RNG = np.random.default_rng(0)


def rosen(x: Any) -> Any:
    return fnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def rosen_hessian(x: np.ndarray) -> np.ndarray:
    n = x.size
    h = np.zeros((n, n))
    a, b = x[:-1], x[1:]
    i = np.arange(n - 1)
    h[i, i] += 1200 * a**2 - 400 * b + 2
    h[i + 1, i + 1] += 200
    h[i, i + 1] = h[i + 1, i] = -400 * a
    return h


def staged_entries() -> int:
    return sum(1 for v in api._STAGED_CACHE.values() if v is not SEEN)


def test_repeated_hessians_match_the_analytic_one() -> None:
    api._STAGED_CACHE.clear()  # another test may have seen this structure
    h = fd.hessian(rosen)
    before = staged_entries()
    for k in range(4):
        x = RNG.uniform(-1.5, 1.5, size=7)
        np.testing.assert_allclose(h(x), rosen_hessian(x), rtol=1e-12, atol=1e-12)
        if k == 0:
            assert staged_entries() == before  # the first sighting interprets
    assert staged_entries() == before + 1  # then one compiled entry serves every call


def test_control_flow_on_values_takes_its_path_every_call() -> None:
    def f(x: Any) -> Any:
        if x[0] > 0:  # Python control flow on a value
            return fnp.sum(x**3)
        return fnp.sum(fnp.sin(x))

    h = fd.hessian(f)
    for sign in (1, -1, 1, -1, 1, -1):
        x = sign * np.array([0.5, 1.5, 2.0])
        want = np.diag(6 * x) if sign > 0 else np.diag(-np.sin(x))
        np.testing.assert_allclose(h(x), want, rtol=1e-13, atol=1e-15)


def test_closed_over_arrays_are_read_on_every_call() -> None:
    a = np.array([1.0, 2.0, 3.0])

    def f(x: Any) -> Any:
        return fnp.sum(a * x**3)

    h = fd.hessian(f)
    x = np.array([0.5, -1.0, 2.0])
    for scale in (1.0, 2.0, -3.0, 5.0):
        a = scale * np.array([1.0, 2.0, 3.0])  # f reads it through its closure
        np.testing.assert_allclose(h(x), np.diag(6 * scale * np.array([1.0, 2.0, 3.0]) * x))


def test_non_differentiated_arguments_change_between_calls() -> None:
    def loss(w: Any, x: Any, y: Any) -> Any:
        return fnp.mean(fnp.log1p(fnp.exp(-y * (x @ w)))) + 0.005 * fnp.sum(w * w)

    h = fd.hessian(loss)
    for seed in range(4):
        rng = np.random.default_rng(seed)
        x, y = rng.normal(size=(30, 4)), np.sign(rng.normal(size=30))
        w = rng.normal(size=4)
        s = 1 / (1 + np.exp(-y * (x @ w)))
        want = (x.T * (s * (1 - s) / 30)) @ x + 0.01 * np.eye(4)
        np.testing.assert_allclose(h(w, x, y), want, rtol=1e-12, atol=1e-14)


def test_the_function_runs_once_per_call() -> None:
    calls = []

    def f(x: Any) -> Any:
        calls.append(1)
        return fnp.sum(x**4)

    h = fd.hessian(f)
    for k in range(1, 5):
        h(np.ones(3))
        assert len(calls) == k
    calls.clear()
    fd.hvp(f, np.ones(3), np.ones(3))
    fd.hvp(f, np.ones(3), np.ones(3))
    fd.hvp(f, np.ones(3), np.ones(3))
    assert len(calls) == 3


def test_pytrees_argnums_and_kwargs_keep_the_interpreted_structure() -> None:
    def f(p: Any, q: Any, *, scale: float) -> Any:
        return scale * fnp.sum(p["a"] ** 2 * q) + fnp.sum(fnp.sin(p["b"]))

    p = {"a": np.array([1.0, 2.0]), "b": np.array(0.3)}
    q = np.array([2.0, 5.0])
    nested = fd.jacfwd(fd.jacrev(f, argnums=(0, 1)), argnums=(0, 1))(p, q, scale=3.0)
    h = fd.hessian(f, argnums=(0, 1))
    for _ in range(4):
        got = h(p, q, scale=3.0)
        assert fd.tree.tree_structure(got) == fd.tree.tree_structure(nested)
        for a, b in zip(fd.tree.tree_leaves(got), fd.tree.tree_leaves(nested), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-14)
    # H[p][q] by block: d2/(da dq) = 2 * scale * a on the diagonal, d2/db2 = -sin(b)
    np.testing.assert_allclose(got[0]["a"][1], np.diag(2 * 3.0 * p["a"]))
    np.testing.assert_allclose(got[0]["b"][0]["b"], -np.sin(0.3))


def test_hvp_repeats_agree_with_the_analytic_hessian() -> None:
    for _ in range(4):
        x, v = RNG.uniform(-1.5, 1.5, size=9), RNG.normal(size=9)
        np.testing.assert_allclose(
            fd.hvp(rosen, x, v), rosen_hessian(x) @ v, rtol=1e-12, atol=1e-12
        )


@pytest.mark.parametrize("outer", ["grad", "jit", "vmap"])
def test_nested_hessians_are_traced_through(outer: str) -> None:
    def third(x: Any) -> Any:  # d/dx_i of trace(H) for sum(x**4): 24 x
        return fnp.trace(fd.hessian(lambda y: fnp.sum(y**4))(x))

    x = np.array([0.5, -1.0, 2.0])
    for _ in range(3):
        if outer == "grad":
            np.testing.assert_allclose(fd.grad(third)(x), 24 * x)
        elif outer == "jit":
            np.testing.assert_allclose(fd.jit(third)(x), np.sum(12 * x**2))
        else:
            xs = np.stack([x, 2 * x])
            np.testing.assert_allclose(fd.vmap(third)(xs), np.sum(12 * xs**2, axis=1))


def test_nan_in_gives_nan_out_on_the_compiled_path() -> None:
    h = fd.hessian(lambda x: fnp.sum(x**3))
    x = np.array([1.0, np.nan])
    for _ in range(3):
        out = h(x)
        assert out[0, 0] == 6.0 and np.isnan(out[1, 1])


def test_debug_nans_interprets_and_still_reports() -> None:
    h = fd.hessian(lambda x: fnp.sum(fnp.sqrt(x) ** 3))
    for _ in range(2):
        h(np.array([1.0, 4.0]))
    with fd.debug_nans(), pytest.raises(FloatingPointError):
        h(np.array([-1.0, 4.0]))


def test_complex64_intermediates_keep_their_precision_when_compiled() -> None:
    # imag's and conj's reverse rules multiply by Python complex numbers, which
    # must stay weakly typed under jit's abstract tracing as they are eagerly
    def f(x: Any) -> Any:
        return fnp.sum(fnp.imag(fnp.conj(x * (1 + 2j))) ** 2)  # 4 * sum(x**2)

    x = np.array([0.3, -0.7, 1.1], dtype=np.float32)
    h = fd.hessian(f)
    for _ in range(3):
        out = h(x)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, 8 * np.eye(3), rtol=1e-6)

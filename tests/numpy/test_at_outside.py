"""``.at[...]`` on the arrays funcdiff.numpy builds, outside any transform.

Creation functions return ``ConstantArray``, an ``np.ndarray`` subclass whose
only addition is JAX's functional ``.at``; numpy operations on it give plain
numpy arrays again.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp

MAKERS: list[tuple[str, Callable[[], Any]]] = [
    ("zeros", lambda: fnp.zeros(6)),
    ("ones", lambda: fnp.ones(6)),
    ("full", lambda: fnp.full(6, 2.5)),
    ("arange", lambda: fnp.arange(6.0)),
    ("linspace", lambda: fnp.linspace(0.0, 1.0, 6)),
    ("logspace", lambda: fnp.logspace(0.0, 1.0, 6)),
    ("geomspace", lambda: fnp.geomspace(1.0, 32.0, 6)),
    ("array", lambda: fnp.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0])),
    ("asarray-list", lambda: fnp.asarray([3.0, 1.0, 4.0, 1.0, 5.0, 9.0])),
    ("copy", lambda: fnp.copy(np.arange(6.0) - 2)),
    ("zeros_like", lambda: fnp.zeros_like(np.ones(6))),
    ("ones_like", lambda: fnp.ones_like(np.ones(6))),
    ("full_like", lambda: fnp.full_like(np.ones(6), -1.0)),
    ("at-result", lambda: fnp.ones(6).at[0].set(7.0)),
]

INDICES: list[Any] = [2, -1, slice(1, 4), [0, 3, 3], np.array([True, False] * 3)]
OPS = {
    "set": lambda a, i, v: a.__setitem__(i, v),
    "add": lambda a, i, v: np.add.at(a, i, v),
    "multiply": lambda a, i, v: np.multiply.at(a, i, v),
    "min": lambda a, i, v: np.minimum.at(a, i, v),
    "max": lambda a, i, v: np.maximum.at(a, i, v),
}


@pytest.mark.parametrize("maker", MAKERS, ids=[m[0] for m in MAKERS])
@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("idx", INDICES, ids=["int", "neg", "slice", "repeat", "mask"])
def test_updates_match_numpy(maker: tuple[str, Callable[[], Any]], op: str, idx: Any) -> None:
    x = maker[1]()
    before = np.array(x)
    v = 1.5
    got = getattr(x.at[idx], op)(v)
    want = before.copy()
    OPS[op](want, idx, v)
    np.testing.assert_array_equal(np.asarray(got), want)
    np.testing.assert_array_equal(np.asarray(x), before)  # functional: x unchanged
    assert got is not x


@pytest.mark.parametrize("maker", MAKERS, ids=[m[0] for m in MAKERS])
def test_get_and_array_values(maker: tuple[str, Callable[[], Any]]) -> None:
    x = maker[1]()
    np.testing.assert_array_equal(x.at[[1, 1, 4]].get(), np.asarray(x)[[1, 1, 4]])
    vals = np.array([10.0, 20.0, 30.0])
    want = np.array(x)
    want[[0, 2, 5]] = vals
    np.testing.assert_array_equal(x.at[[0, 2, 5]].set(vals), want)


def test_two_dimensional_and_tuple_index() -> None:
    x = fnp.eye(3)
    y = x.at[1, :].add(2.0).at[:, 0].multiply(3.0).at[2, 2].max(5.0)
    want = np.eye(3)
    want[1, :] += 2.0
    want[:, 0] *= 3.0
    want[2, 2] = max(want[2, 2], 5.0)
    np.testing.assert_array_equal(y, want)
    np.testing.assert_array_equal(x, np.eye(3))


def test_leave_one_out_weights_and_masks() -> None:
    n = 4
    ones = fnp.ones(n)
    weights = [ones.at[i].set(0.0) / (n - 1) for i in range(n)]
    np.testing.assert_allclose(np.sum(weights, axis=0), np.full(n, 1.0))
    mask = fnp.zeros(n, dtype=bool).at[::2].set(True)
    assert mask.dtype == bool and mask.tolist() == [True, False, True, False]


def test_results_are_numpy_arrays_for_numpy_and_scipy() -> None:
    a = fnp.eye(3).at[0, 1].set(0.5)
    assert isinstance(a, np.ndarray)
    # numpy operations give plain ndarrays (the eager fast paths keep their types)
    for r in (np.sin(a), a + 1.0, a @ a, fnp.sin(a), fnp.sum(a, axis=0), np.linalg.inv(a)):
        assert type(r) is np.ndarray
    assert type(np.sum(a)) is np.float64
    np.testing.assert_allclose(
        np.linalg.solve(a, np.ones(3)), np.linalg.solve(np.array(a), 1.0 * np.ones(3))
    )
    assert repr(a) == repr(np.array(a))
    back = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(back, a)
    scipy_linalg = pytest.importorskip("scipy.linalg")
    lu = scipy_linalg.lu_factor(a)
    np.testing.assert_allclose(
        scipy_linalg.lu_solve(lu, np.ones(3)), np.linalg.solve(np.array(a), np.ones(3))
    )


def test_matplotlib_accepts_them() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    (line,) = ax.plot(fnp.linspace(0.0, 1.0, 5), fnp.zeros(5).at[2].set(1.0))
    np.testing.assert_array_equal(line.get_ydata(), [0.0, 0.0, 1.0, 0.0, 0.0])
    plt.close(fig)


def test_inside_grad_and_jit() -> None:
    def f(x: Any) -> Any:
        w = fnp.ones(3).at[1].set(0.0)  # a constant with .at, built inside
        y = fnp.zeros(3).at[0].set(x[0] ** 2).at[2].add(x[1] * x[2])
        return fnp.sum(w * y) + fnp.sum(w.at[2].multiply(x[2]))

    x = np.array([1.5, 2.0, -0.5])
    want = np.array([2 * x[0], x[2], x[1] + 1.0])
    np.testing.assert_allclose(fd.grad(f)(x), want)
    np.testing.assert_allclose(fd.jit(fd.grad(f))(x), want)
    np.testing.assert_allclose(fd.vmap(fd.grad(f))(np.stack([x, x])), np.stack([want, want]))


def test_constant_arrays_as_transform_inputs() -> None:
    """A ConstantArray argument behaves as the plain array it is, eager and under jit."""
    x = fnp.linspace(0.5, 1.5, 4)

    def f(v: Any) -> Any:
        return fnp.sum(fnp.sin(v) * v)

    np.testing.assert_allclose(fd.grad(f)(x), fd.grad(f)(np.array(x)))
    np.testing.assert_allclose(fd.jit(fd.grad(f))(x), fd.grad(f)(np.array(x)))
    assert type(fd.jit(f)(x)) is type(fd.jit(f)(np.array(x)))

"""Arithmetic operators on tracers: ``x + 2``, ``2.0 - x``, ``3 * x``,
``1 / x`` and ``x ** 2`` are numpy's, in values, dtypes and derivatives, for
every operand kind the operators' fast paths take or pass on."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import pytest

import funcdiff as fd

NUMPY_1 = np.lib.NumpyVersion(np.__version__) < "2.0.0"
OPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]
# numbers on the left or right: Python floats and ints (the fast paths), numpy
# scalars and 0-d arrays (the general promotion)
OTHERS = [2.5, 3, -0.0, np.float32(1.5), np.float64(-2.0), np.array(0.5), np.int32(2)]


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.__name__)
@pytest.mark.parametrize("other", OTHERS, ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.complex128])
@pytest.mark.parametrize("reflected", [False, True])
def test_values_and_dtypes_are_numpys(op: Any, other: Any, dtype: Any, reflected: bool) -> None:
    x = np.array([0.5, 1.25, 2.0]).astype(dtype)

    def f(a: Any) -> Any:
        return op(other, a) if reflected else op(a, other)

    with np.errstate(all="ignore"):
        want = f(x)
        got = fd.jit(f)(x)
    if NUMPY_1 and type(other) not in (int, float):
        # numpy 1.x promotes by the values of numpy scalars; funcdiff follows
        # numpy 2 (NEP 50) on every version (docs/sharp_bits.md)
        np.testing.assert_allclose(got, want, rtol=1e-6)
        return
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.__name__)
@pytest.mark.parametrize("other", [2.5, 3, np.float64(-2.0)], ids=repr)
@pytest.mark.parametrize("reflected", [False, True])
def test_derivatives_match_central_differences(op: Any, other: Any, reflected: bool) -> None:
    x = np.array([0.5, 1.25, 2.0])

    def f(a: Any) -> Any:
        return (op(other, a) if reflected else op(a, other)).sum()

    g = fd.grad(f)
    for _ in range(3):  # (a negative base to a real power: NaN, in both)
        with np.errstate(invalid="ignore"):
            got = g(x)  # first call, compiled pass, replayed trace
            eps = 1e-6
            num = [(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(3)]
            np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-9)

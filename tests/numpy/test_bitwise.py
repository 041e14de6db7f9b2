"""Bitwise operations on integers and booleans: values equal numpy's for each
integer dtype and broadcasting, jit equals eager, vmap equals a loop, the
operators of traced arrays follow numpy (``&`` on integers is bitwise), and
float operands are refused as numpy refuses them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.errors import DTypeError
from funcdiff.primitives.elementwise import _popcount

RNG = np.random.default_rng(11)
DTYPES = [np.int8, np.int32, np.int64, np.uint8, np.uint16]

BINARY = ["bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift"]
UNARY = ["invert", "bitwise_not"]


def _ints(dtype: Any, *shape: int, high: int = 100) -> np.ndarray:
    lo = 0 if np.dtype(dtype).kind == "u" else -high
    return RNG.integers(lo, high, size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", BINARY)
def test_binary_values_jit_and_vmap(name: str, dtype: Any) -> None:
    ours: Callable[..., Any] = getattr(fnp, name)
    theirs: Callable[..., Any] = getattr(np, name)
    x = _ints(dtype, 4, 3)
    y = _ints(dtype, 3, high=4) if "shift" in name else _ints(dtype, 3)
    if "shift" in name:
        y = np.abs(y).astype(dtype)
    want = theirs(x, y)
    got = ours(x, y)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(fd.jit(ours)(x, y), want)
    np.testing.assert_array_equal(fd.vmap(ours, in_axes=(0, None))(x, y), want)


@pytest.mark.parametrize("dtype", [*DTYPES, np.bool_])
@pytest.mark.parametrize("name", UNARY)
def test_unary_values(name: str, dtype: Any) -> None:
    x = RNG.integers(0, 2, 5).astype(bool) if dtype is np.bool_ else _ints(dtype, 5)
    want = np.invert(x)
    np.testing.assert_array_equal(getattr(fnp, name)(x), want)
    np.testing.assert_array_equal(fd.jit(getattr(fnp, name))(x), want)


def test_booleans_and_python_ints() -> None:
    a, b = np.array([True, False, True]), np.array([True, True, False])
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        np.testing.assert_array_equal(getattr(fnp, name)(a, b), getattr(np, name)(a, b))
    assert int(fnp.bitwise_and(6, 3)) == 2 and int(fnp.left_shift(1, 10)) == 1024
    np.testing.assert_array_equal(fnp.bitwise_or(np.int8(1), np.int32(256)), np.int32(257))


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int64, np.uint8, np.uint32])
def test_bitwise_count(dtype: Any) -> None:
    x = _ints(dtype, 20, high=120)
    want = np.array([bin(abs(int(v))).count("1") for v in x], dtype=np.uint8)
    np.testing.assert_array_equal(fnp.bitwise_count(x), want)
    np.testing.assert_array_equal(_popcount(x), want)  # the numpy 1.x path too
    np.testing.assert_array_equal(fd.jit(fnp.bitwise_count)(x), want)


def test_traced_operators_are_numpys() -> None:
    def f(a: Any) -> Any:
        return ((a & 6) | (a >> 1)) ^ (~a) ^ (a << 2)

    a = np.arange(-8, 8, dtype=np.int32)
    np.testing.assert_array_equal(fd.jit(f)(a), f(a))
    # masks of floats still combine as booleans, and derivatives flow around them
    x = np.array([0.5, 1.5, -1.0])
    g = fd.grad(lambda x: fnp.sum(x**2 * ((x > 0) & (x < 1))))(x)
    np.testing.assert_allclose(g, [1.0, 0.0, 0.0])
    assert fd.grad(lambda x: fnp.sum(x * fnp.bitwise_and(np.int64(3), 1)))(x).tolist() == [1.0] * 3


def test_floats_are_refused_with_the_function_named() -> None:
    with pytest.raises(DTypeError, match="bitwise_and: operands must be integers or booleans"):
        fnp.bitwise_and(1.0, 2.0)
    with pytest.raises(DTypeError, match="left_shift: operands must be integers"):
        fd.jit(fnp.left_shift)(np.ones(2), np.ones(2))
    t = np.array([True, False])
    for jitted in (False, True):  # numpy shifts booleans as int8
        f = fd.jit(fnp.left_shift) if jitted else fnp.left_shift
        np.testing.assert_array_equal(f(t, t), np.left_shift(t, t))
        assert f(t, t).dtype == np.left_shift(t, t).dtype
    with pytest.raises(DTypeError, match="invert"):
        fd.jit(lambda x: ~x)(np.ones(2))


def test_plain_numpy_on_traced_integers() -> None:
    f = fd.jit(lambda a: np.bitwise_and(a, 3) + np.left_shift(a, 1) + np.invert(a))
    a = np.arange(5)
    np.testing.assert_array_equal(f(a), np.bitwise_and(a, 3) + np.left_shift(a, 1) + ~a)

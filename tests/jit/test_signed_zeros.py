"""Signed zeros through the caches and the simplifier: ``-0.0`` and ``0.0``
compare equal, but ``1 / x`` (and ``copysign``, ``atan2``) tell them apart,
so compiled code must keep each one's sign as eager evaluation does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp

X = np.array([-0.0, 0.0, 1.5, -2.0])


def same(a: Any, b: Any) -> None:
    a, b = np.asarray(a), np.asarray(b)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize(
    "f",
    [
        lambda x: x + 0.0,
        lambda x: 0.0 + x,
        lambda x: x + -0.0,
        lambda x: -0.0 + x,
        lambda x: x - 0.0,
        lambda x: x - -0.0,
        lambda x: x * 1.0 + 0.0,
    ],
)
def test_adding_a_zero_keeps_ieee_signs_under_jit(f: Callable[[Any], Any]) -> None:
    same(fd.jit(f)(X), f(X))


def test_programs_differing_only_in_the_sign_of_a_literal_zero_do_not_share_code() -> None:
    for _ in range(2):  # the second round runs from the caches
        same(fd.jit(lambda x: x * -0.0)(X), X * -0.0)
        same(fd.jit(lambda x: x * 0.0)(X), X * 0.0)


def test_eager_compiled_passes_keep_the_sign_of_a_literal_zero() -> None:
    x = np.array([1.0, 2.0])
    for c in (0.0, 0.0, 0.0, -0.0, -0.0, -0.0):  # compiled from the second sighting on

        def f(x: Any, c: float = c) -> Any:
            return fnp.sum(x * c)

        same(fd.grad(f)(x), np.full(2, c))


def test_a_constant_of_negative_zeros_keeps_its_sign() -> None:
    # a constant array counts as one scalar only when every element has the
    # first one's sign too (0.0 == -0.0); a constant of zeros becomes fresh
    # np.zeros only when they are positive
    mixed = np.array([0.0, -0.0, 0.0, -0.0, 0.0, 0.0])
    negative = np.full(5, -0.0)
    x = np.array([-0.0, 1.0, -0.0])
    for f in [
        lambda x: negative + fnp.pad(x, (1, 1)),
        lambda x: fnp.full(5, -0.0) + fnp.pad(x, (1, 1)),
        lambda x: mixed * fnp.concatenate([x, x]) + fnp.concatenate([x, x]),
        lambda x: (mixed * 3.0) * fnp.concatenate([x, x]),
    ]:
        same(fd.jit(f)(x), f(x))
    idx = np.array([1, 3, 3])

    def g(x: Any) -> Any:
        return fnp.full(5000, -0.0).at[idx].add(x)  # a constant, not a literal

    same(fd.jit(g)(x), g(x))


def test_static_arguments_key_the_cache_by_type_and_bits() -> None:
    # equal static values are not interchangeable: 1 / -0.0 is -inf, and a
    # function may branch on the type (True == 1 == 1.0)
    x = np.ones(2)
    div = fd.jit(lambda x, s: x / s, static_argnums=1)
    with np.errstate(divide="ignore"):
        same(div(x, 0.0), [np.inf, np.inf])
        same(div(x, -0.0), [-np.inf, -np.inf])
    first = fd.jit(lambda x, s: x / s[0], static_argnums=1)
    with np.errstate(divide="ignore"):
        same(first(x, (0.0, 1)), [np.inf, np.inf])
        same(first(x, (-0.0, 1)), [-np.inf, -np.inf])
    kind = fd.jit(lambda x, s: x * (2.0 if isinstance(s, bool) else 3.0), static_argnums=1)
    same(kind(x, 1), [3.0, 3.0])
    same(kind(x, True), [2.0, 2.0])
    nan = fd.jit(lambda x, s: x + s, static_argnums=1)
    for _ in range(3):  # NaN finds its entry again (by bits, not ==)
        assert np.isnan(nan(x, float("nan"))).all()
    assert len(nan._cache._data) == 1

"""funcdiff follows numpy 2's promotion rules (NEP 50) on every supported numpy
(pyproject's floor, numpy 1.24, to the newest): funcdiff._compat against numpy 2's
own ``result_type`` where numpy 2 is installed and against NEP 50's table
everywhere; primitives and funcdiff.numpy on 0-d float32 values (where numpy 1.x
promotes by value) keep float32 in eager mode, under jit and under grad."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._compat import NUMPY2, _result_type_nep50, result_type, weak_scalar_pair
from funcdiff.core.ir import aval_of
from funcdiff.core.primitive import REGISTRY

_DTYPES = [
    np.bool_,
    np.int8,
    np.uint8,
    np.int16,
    np.uint32,
    np.int64,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
    np.complex64,
    np.complex128,
]


def _operands() -> list[Any]:
    out: list[Any] = [True, 1, 2.5, 1j]
    for d in _DTYPES:
        out += [np.dtype(d), np.ones((), d), np.ones(2, d), d(1)]
    return out


@pytest.mark.skipif(not NUMPY2, reason="numpy 2's result_type is the reference")
def test_emulation_matches_numpy2() -> None:
    ops = _operands()
    for k in (1, 2):
        for combo in itertools.product(ops, repeat=k):
            assert _result_type_nep50(*combo) == np.result_type(*combo), combo
    for combo in itertools.product(ops[:4], ops, ops):
        assert _result_type_nep50(*combo) == np.result_type(*combo), combo


# NEP 50's examples: (operands, numpy 2's dtype); numpy 1.x differs on each marked *
NEP50 = [
    ((np.float32(3), 3.0), np.float32),  # *
    ((np.asarray(np.float32(3)), 3.0), np.float32),  # *
    ((np.asarray(1.0), np.float32), np.float64),  # *
    ((np.array([1], np.uint8), 1), np.uint8),
    ((np.uint8(1), 1), np.uint8),  # numpy 1.x: int64
    ((np.int8(1), 1.5), np.float64),  # numpy 1.x: float16
    ((np.float32(1), 1j), np.complex64),
    ((np.float64(1), 1j), np.complex128),
    ((np.True_, 2), np.int64),
    ((True, 2.0), np.float64),
    ((1, 2.0), np.float64),
    ((1, 1j), np.complex128),
    ((np.dtype(np.float16), 1e300), np.float16),  # numpy 1.x: float64 (by value)
]


@pytest.mark.parametrize(("args", "want"), NEP50)
def test_result_type_is_nep50(args: tuple[Any, ...], want: Any) -> None:
    assert result_type(*args) == want
    assert _result_type_nep50(*args) == want


def test_weak_scalar_pair() -> None:
    x, y = weak_scalar_pair(np.float32(1.5), 2.0)
    assert type(x) is np.float32 and type(y) is np.float32 and float(y) == 2.0
    x, y = weak_scalar_pair(3, np.float16(1))
    assert type(x) is np.float16 and float(x) == 3.0
    assert weak_scalar_pair(2, 3.0) == (2, 3.0)  # two Python numbers: as they are
    a, b = np.float32(1), np.float64(2)
    assert weak_scalar_pair(a, b) == (a, b)


def _as_f32(x: Any) -> Any:
    if isinstance(x, float) or (isinstance(x, (np.ndarray, np.generic)) and x.dtype == np.float64):
        return np.asarray(x, np.float32)
    return x


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_float32_samples_keep_float32(name: str) -> None:
    """Every primitive's samples cast to float32 (0-d ones included): the impl
    gives the dtype the rule declares (numpy 1.x promotes 0-d operands by value)."""
    prim = REGISTRY[name]
    for args, params in prim.samples(np.random.default_rng(0)):
        args32 = tuple(_as_f32(a) for a in args)
        try:
            avals = prim.abstract_eval(*[aval_of(a) for a in args32], **params)
        except Exception:  # a rule that needs float64, or mixed operands
            continue
        with np.errstate(all="ignore"):
            out = prim.impl(*args32, **params)
        outs = list(out) if prim.multiple_results else [out]
        avals = list(avals) if prim.multiple_results else [avals]
        for o, a in zip(outs, avals, strict=True):
            assert np.result_type(o) == a.dtype, (
                f"{name}{params}: impl {np.result_type(o)} vs {a.dtype}"
            )


SCALAR_FUNCS = [
    ("multiply(x, 2.0)", lambda x: fnp.multiply(x, 2.0)),
    ("subtract(2.0, x)", lambda x: fnp.subtract(2.0, x)),
    ("divide(x, 3)", lambda x: fnp.divide(x, 3)),
    ("power(x, 2.5)", lambda x: fnp.power(x, 2.5)),
    ("maximum(x, 0.5)", lambda x: fnp.maximum(x, 0.5)),
    ("where(x > 0, x, 0.0)", lambda x: fnp.where(x > 0, x, 0.0)),
    ("hypot(x, 1.0)", lambda x: fnp.hypot(x, 1.0)),
    ("std", lambda x: fnp.std(fnp.stack([x, fnp.multiply(2.0, x)]))),
    ("clip", lambda x: fnp.clip(x, 0.0, 1.0)),
    ("linspace(x, 1.0, 3)[1]", lambda x: fnp.linspace(x, 1.0, 3)[1]),
    ("logaddexp(x, 1.0)", lambda x: fnp.logaddexp(x, 1.0)),
    ("sigmoid", lambda x: fd.nn.sigmoid(x)),
]


@pytest.mark.parametrize("name,f", SCALAR_FUNCS, ids=[n for n, _ in SCALAR_FUNCS])
def test_float32_scalars_stay_float32(name: str, f: Any) -> None:
    """funcdiff.numpy functions of a float32 scalar and Python numbers stay float32
    (numpy 2's rule), eagerly, under jit and under grad, and agree with float64."""
    for x in (np.float32(0.75), np.asarray(np.float32(0.75))):
        assert np.result_type(f(x)) == np.float32, name
        assert np.result_type(fd.jit(f)(x)) == np.float32, name
        assert np.result_type(fd.grad(f)(x)) == np.float32, name
        eps32 = float(np.finfo(np.float32).eps)
        np.testing.assert_allclose(f(x), f(np.float64(0.75)), rtol=4 * eps32)
        np.testing.assert_allclose(fd.grad(f)(x), fd.grad(f)(0.75), rtol=8 * eps32)

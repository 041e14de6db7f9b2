"""jit's scalar specialization (``codegen._compile_scalar``): every primitive
with an ``emit_scalar`` expression, on float64 scalars at ordinary and
special points (zeros of both signs, infinities, NaN, the edges of each
function's domain), gives numpy's value: the same NaNs, infinities and
booleans, and finite values within a few ulps (``math`` and numpy may round
transcendental functions differently in the last place)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
from funcdiff.core.primitive import REGISTRY
from funcdiff.interpreters.codegen import _compile_scalar, compile_jaxpr

POINTS = [0.0, -0.0, 0.5, -0.5, 0.25, 1.0, -1.0, 2.0, -2.0, 2.5, -3.0, 1e-300, 1e300, -1e300]
POINTS += [math.inf, -math.inf, math.nan, 700.0, 710.0, -745.0]
BOOLS = [False, True]

# every primitive with a scalar expression, with its params and whether its
# operands are booleans
CASES: dict[str, tuple[dict[str, Any], bool]] = {
    name: ({}, False)
    for name in (
        "abs acos acosh add asin asinh atan atan2 atanh cos cosh div eq exp expm1 ge gt "
        "isfinite isnan le log log1p lt mul ne neg pow sin sinh sqrt sub tan tanh"
    ).split()
}
CASES.update({n: ({}, False) for n in ("and", "or", "xor", "not")})
CASES["integer_pow"] = ({"y": 3}, False)
CASES["select"] = ({}, True)


def test_every_scalar_primitive_is_covered() -> None:
    have = {name for name, p in REGISTRY.items() if p.emit_scalar is not None}
    assert have == set(CASES)


def _agree(got: Any, want: Any) -> bool:
    got, want = np.asarray(got), np.asarray(want)
    if got.dtype != want.dtype:
        return False
    if want.dtype == np.bool_:
        return bool(got == want)
    g, w = float(got), float(want)
    if math.isnan(w) or math.isinf(w) or w == 0.0:  # the same special value, zeros signed
        return (math.isnan(g) and math.isnan(w)) or (
            g == w and math.copysign(1, g) == math.copysign(1, w)
        )
    return abs(g - w) <= 4 * np.finfo(np.float64).eps * abs(w)


@pytest.mark.parametrize("name", sorted(CASES))
def test_scalar_code_matches_numpy(name: str) -> None:
    prim = REGISTRY[name]
    params, first_bool = CASES[name]
    form = prim.emit_scalar
    n_args = 1 if not isinstance(form, str) else 3 if "{2}" in form else 2 if "{1}" in form else 1
    example = [
        np.bool_(True) if (k == 0 and first_bool) else np.float64(1.0) for k in range(n_args)
    ]
    closed = fd.make_jaxpr(lambda *a: prim.bind(*a, **params))(*example)
    assert _compile_scalar(closed, "f") is not None, f"{name}: no scalar path"
    fn, _ = compile_jaxpr(closed)
    grids = [BOOLS if (k == 0 and first_bool) else POINTS for k in range(n_args)]
    for args in itertools.product(*grids):
        with np.errstate(all="ignore"):
            want = prim.impl(
                *(np.float64(a) if isinstance(a, float) else np.bool_(a) for a in args), **params
            )
            (got,) = fn(*args)
        want = want[0] if prim.multiple_results else want
        assert _agree(got, want), f"{name}{args}: jit's scalar code gave {got!r}, numpy {want!r}"

"""Taylor-mode rules of the element-wise primitives, against independent
references: mpmath's Taylor coefficients (arbitrary precision) of the scalar
function of ``t`` at several points, near the domain edges included; nested
``jvp`` for compositions; NaN and out-of-domain points against the JVP
rule; the rules under ``jit`` (tracers) against the eager ones.

The registry sweep of ``tests/transforms/test_jet.py`` checks every rule on
the primitives' samples against nested jvp to order 4 as well.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mpmath as mp
import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import jet
from funcdiff.core.primitive import REGISTRY
from funcdiff.interpreters.taylor_mode import taylor_jaxpr

mp.mp.dps = 40
ORDER = 8

PACKAGE = Path(fd.__file__).resolve().parent


def _bind(name: str) -> Callable[..., Any]:
    prim = REGISTRY[name]
    return lambda *args: prim.bind(*args)


def _mp_logistic(x: Any) -> Any:
    return 1 / (1 + mp.exp(-x))


def _mp_cbrt(x: Any) -> Any:  # the real root, negative x included
    return mp.cbrt(x) if x >= 0 else -mp.cbrt(-x)


#: name -> (mpmath function, points: near the domain edges too)
UNARY: dict[str, tuple[Callable[[Any], Any], list[float]]] = {
    "tan": (mp.tan, [0.3, -1.0, 1.5]),
    "asin": (mp.asin, [0.99, -0.5, 0.0]),
    "acos": (mp.acos, [0.99, -0.7, 0.1]),
    "atan": (mp.atan, [3.0, -0.2, 0.0]),
    "asinh": (mp.asinh, [-2.5, 0.4]),
    "acosh": (mp.acosh, [1.05, 3.0]),
    "atanh": (mp.atanh, [-0.95, 0.3, 0.0]),
    "cbrt": (_mp_cbrt, [0.2, -8.0, 5.0]),
    "logistic": (_mp_logistic, [30.0, -30.0, 0.7, 0.0]),
}

#: the input curve x0 + v t + w t^2 + u t^3 (small, to stay in the domain)
CURVE = (0.3, -0.2, 0.1)


def _mp_coeffs(f: Callable[[Any], Any], k: int) -> list[complex]:
    return [complex(c) for c in mp.taylor(f, 0, k)]


def _compare(got: Sequence[Any], ref: Sequence[complex], rtol: float) -> None:
    """Coefficient k against the reference, relative to the largest one of
    order >= 1 (the value may dwarf them: logistic(30) ~ 1, c_k ~ 1e-13)."""
    scale = max(abs(c) for c in ref[1:]) + 1e-300
    for k, (g, r) in enumerate(zip(got, ref, strict=True)):
        g = complex(np.asarray(g))
        assert abs(g - r) <= rtol * (abs(r) + 1e-3 * scale), (k, g, r)


def _jet_normalized(f: Callable[..., Any], x0s: Sequence[Any], curves: Sequence[Any]) -> list[Any]:
    """``c_0..c_ORDER`` of ``f`` along ``x0 + v t + w t^2 + u t^3`` per argument
    (jet's convention converted: c_k = f_k / k!)."""
    series = []
    for x0, (v, w, u) in zip(x0s, curves, strict=True):
        dt = np.asarray(x0).dtype
        derivs = [v, 2 * w, 6 * u] + [0.0] * (ORDER - 3)
        series.append(tuple(np.asarray(d, dt) for d in derivs))
    y, out = jet(f, tuple(np.asarray(x) for x in x0s), tuple(series))
    return [y] + [np.asarray(c) / math.factorial(k + 1) for k, c in enumerate(out)]


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_against_mpmath(name: str) -> None:
    ref_f, points = UNARY[name]
    v, w, u = CURVE
    for x0 in points:
        got = _jet_normalized(_bind(name), [x0], [CURVE])
        ref = _mp_coeffs(lambda t, x0=x0: ref_f(x0 + v * t + w * t**2 + u * t**3), ORDER)
        _compare(got, ref, 1e-10)


@pytest.mark.parametrize(
    ("name", "ref_f", "z0"),
    [
        ("tan", mp.tan, 0.4 + 0.3j),
        ("asin", mp.asin, 0.3 + 0.4j),
        ("acos", mp.acos, -0.6 - 0.2j),
        ("atan", mp.atan, 0.5 - 0.7j),
        ("asinh", mp.asinh, -0.8 + 0.3j),
        ("acosh", mp.acosh, 1.5 + 0.5j),
        ("acosh", mp.acosh, -0.5 + 0.7j),  # Re z < 0: sqrt(z - 1) sqrt(z + 1)
        ("atanh", mp.atanh, 0.3 + 0.5j),
        ("logistic", _mp_logistic, 0.5 + 1.0j),
    ],
)
def test_unary_complex_against_mpmath(name: str, ref_f: Any, z0: complex) -> None:
    curve = (0.3 + 0.1j, -0.2j, 0.1)
    v, w, u = curve
    got = _jet_normalized(_bind(name), [np.complex128(z0)], [curve])
    ref = _mp_coeffs(lambda t: ref_f(z0 + v * t + w * t**2 + u * t**3), ORDER)
    _compare(got, ref, 1e-10)


@pytest.mark.parametrize("a0, b0", [(1.0, 2.0), (-0.5, -1.5), (2.0, -0.1), (-3.0, 0.2)])
def test_atan2_against_mpmath(a0: float, b0: float) -> None:
    ca, cb = (0.3, -0.2, 0.1), (-0.4, 0.25, 0.05)
    got = _jet_normalized(_bind("atan2"), [a0, b0], [ca, cb])

    def f(t: Any) -> Any:
        a = a0 + ca[0] * t + ca[1] * t**2 + ca[2] * t**3
        b = b0 + cb[0] * t + cb[1] * t**2 + cb[2] * t**3
        return mp.atan2(a, b)

    _compare(got, _mp_coeffs(f, ORDER), 1e-10)
    # one operand constant (its series a Zero)
    got = _jet_normalized(lambda a: _bind("atan2")(a, np.float64(b0)), [a0], [ca])
    ref = _mp_coeffs(lambda t: mp.atan2(a0 + ca[0] * t + ca[1] * t**2 + ca[2] * t**3, b0), ORDER)
    _compare(got, ref, 1e-10)


@pytest.mark.parametrize("x0, y0", [(5.3, 1.7), (5.3, -1.7), (-2.2, 0.9), (0.4, 3.0)])
def test_rem_against_mpmath(x0: float, y0: float) -> None:
    cx, cy = (0.3, -0.2, 0.1), (-0.4, 0.25, 0.05)
    got = _jet_normalized(_bind("rem"), [x0, y0], [cx, cy])

    def f(t: Any) -> Any:  # numpy's remainder: x - y floor(x / y)
        x = x0 + cx[0] * t + cx[1] * t**2 + cx[2] * t**3
        y = y0 + cy[0] * t + cy[1] * t**2 + cy[2] * t**3
        return x - y * mp.floor(x / y)

    _compare(got, _mp_coeffs(f, ORDER), 1e-10)
    assert float(got[0]) == pytest.approx(float(np.remainder(x0, y0)), rel=1e-15)


def _exp_rot(z0: complex, v: complex, k: int) -> complex:
    """The k-th derivative of exp(z0 + v t) at 0."""
    return complex(np.exp(z0) * v**k)


@pytest.mark.parametrize(
    ("name", "part"),
    [("real", lambda z: z.real), ("imag", lambda z: z.imag), ("conj", np.conj)],
)
def test_real_imag_conj_closed_form(name: str, part: Any) -> None:
    z0, v = 0.3 - 0.8j, 0.7 + 0.4j
    series = ((np.complex128(v),) + (np.complex128(0),) * (ORDER - 1),)
    y, out = jet(lambda z: _bind(name)(fnp.exp(z)), (np.complex128(z0),), series)
    assert complex(y) == pytest.approx(complex(part(np.exp(z0))), rel=1e-15)
    for k, c in enumerate(out, start=1):
        ref = part(_exp_rot(z0, v, k))
        assert np.asarray(c).dtype == np.asarray(ref).dtype or name == "conj"
        assert complex(c) == pytest.approx(complex(ref), rel=1e-13, abs=1e-13)


# -- compositions against nested jvp ---------------------------------------------


def nested_jvp(f: Callable[..., Any], xs: tuple[Any, ...], vs: tuple[Any, ...], k: int) -> Any:
    """The k-th derivative of ``t -> f(xs + t vs)`` at 0, by nesting jvp."""
    g = f
    for _ in range(k):
        g = (lambda h: lambda *a: fd.jvp(h, a, vs)[1])(g)
    return g(*xs)


COMPOSITIONS: dict[str, Callable[..., Any]] = {
    "atan_tan": lambda x: fnp.arctan(0.5 * fnp.tan(x)) + fnp.arcsin(0.4 * fnp.sin(x)),
    "acos_logistic": lambda x: fnp.arccos(_bind("logistic")(x)) * fnp.arcsinh(x),
    "acosh_atanh": lambda x: fnp.arccosh(1.5 + x * x) - fnp.arctanh(0.3 * fnp.cos(x)),
    "cbrt_rem": lambda x: fnp.cbrt(x * x + 0.5) * fnp.remainder(3.0 * x + 2.0, 0.7 + x * x),
    "atan2": lambda x: fnp.arctan2(fnp.sin(x) + 0.2, fnp.cos(2.0 * x) + 2.0) * fnp.tan(0.3 * x),
    "complex_parts": lambda x: (
        fnp.real(fnp.exp(1j * x) * (x + 0.5j)) + fnp.imag(fnp.conj(fnp.sin(x + 0.3j)))
    ),
}


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_compositions_against_nested_jvp(name: str) -> None:
    f = COMPOSITIONS[name]
    x = np.array([0.35, -0.6, 1.1])
    v = np.array([0.4, -0.9, 0.3])
    k_max = 5
    series = ((v, *tuple(np.zeros_like(v) for _ in range(k_max - 1))),)
    y, out = jet(f, (x,), series)
    np.testing.assert_allclose(y, f(x), rtol=1e-14)
    for k in range(1, k_max + 1):
        ref = np.asarray(nested_jvp(f, (x,), (v,), k))
        scale = 1 + np.abs(ref).max()
        np.testing.assert_allclose(out[k - 1], ref, rtol=1e-10, atol=1e-10 * scale)


# -- NaN, out of the domain, singular points -------------------------------------

NEW_UNARY = ["tan", "asin", "acos", "atan", "asinh", "acosh", "atanh", "cbrt", "logistic"]


def _series(order: int = 4) -> tuple[tuple[np.ndarray, ...]]:
    return ((np.array(1.0), *tuple(np.array(0.5) for _ in range(order - 1))),)


@pytest.mark.parametrize("name", NEW_UNARY)
def test_nan_in_gives_nan_out(name: str) -> None:
    with np.errstate(invalid="ignore"):
        y, out = jet(_bind(name), (np.float64(np.nan),), _series())
    assert np.isnan(y)
    assert all(np.isnan(c) for c in out)


@pytest.mark.parametrize("name", ["atan2", "rem"])
@pytest.mark.parametrize("which", [0, 1])
def test_binary_nan_in_gives_nan_out(name: str, which: int) -> None:
    args = [np.float64(1.3), np.float64(0.7)]
    args[which] = np.float64(np.nan)
    for live in ([0, 1], [0], [1]):  # every operand with a series, or one of them

        def f(*fl: Any, live: Any = live) -> Any:
            full: list[Any] = list(args)
            for i, v in zip(live, fl, strict=True):
                full[i] = v
            return _bind(name)(*full)

        series = _series() * len(live)
        with np.errstate(invalid="ignore"):
            y, out = jet(f, tuple(args[i] for i in live), series)
        assert np.isnan(y)
        assert all(np.isnan(c) for c in out), (live, out)


#: (function, point) outside the domain or at a singular point: the JVP rule
#: gives NaN or inf there, and so must every Taylor coefficient
SINGULAR = [
    ("asin", 1.5),
    ("asin", 1.0),
    ("acos", -1.2),
    ("acos", -1.0),
    ("acosh", 0.5),
    ("acosh", 1.0),
    ("atanh", 1.0),
    ("atanh", -1.0),
    ("cbrt", 0.0),
]


@pytest.mark.parametrize(("name", "x0"), SINGULAR)
def test_out_of_domain_is_not_a_finite_number(name: str, x0: float) -> None:
    f = _bind(name)
    with np.errstate(all="ignore"):
        _, d1 = fd.jvp(f, (np.float64(x0),), (np.float64(1.0),))
        _, out = jet(f, (np.float64(x0),), _series())
    assert not np.isfinite(d1)
    assert all(not np.isfinite(c) for c in out), out


@pytest.mark.parametrize("x0", [1.5, -3.0])
def test_atanh_outside_is_nan(x0: float) -> None:
    # 1 / (1 - x^2) is finite at |x| > 1 (the JVP rule gives that number),
    # but atanh is NaN there: the coefficients carry the NaN
    with np.errstate(all="ignore"):
        y, out = jet(_bind("atanh"), (np.float64(x0),), _series())
    assert np.isnan(y)
    assert all(np.isnan(c) for c in out), out


def test_rem_by_zero_is_nan() -> None:
    with np.errstate(all="ignore"):
        _, out = jet(lambda x: _bind("rem")(x, np.float64(0.0)), (np.float64(1.3),), _series())
        _, out2 = jet(_bind("rem"), (np.float64(1.3), np.float64(0.0)), _series() * 2)
    assert all(np.isnan(c) for c in out)
    assert all(np.isnan(c) for c in out2)


def test_logistic_far_tails_keep_their_digits() -> None:
    # logistic(-40) ~ 4e-18: 1 - y at x >> 0 or y (1 - y) at x << 0 would lose
    # every digit; the coefficients are all ~ e^-40 and exact to rounding
    for x0 in (40.0, -40.0):
        got = _jet_normalized(_bind("logistic"), [x0], [(1.0, 0.0, 0.0)])
        ref = _mp_coeffs(lambda t, x0=x0: _mp_logistic(x0 + t), ORDER)
        for k in range(1, ORDER + 1):
            assert complex(got[k]) == pytest.approx(ref[k], rel=1e-12, abs=0.0), k


# -- under jit (tracers), eager equal -------------------------------------------

RULE_CASES: list[tuple[str, tuple[float, ...]]] = [
    *((name, (UNARY[name][1][1],)) for name in NEW_UNARY),  # inside the domain
    ("atan2", (1.0, -2.0)),
    ("rem", (5.3, 1.7)),
]


@pytest.mark.parametrize(("name", "x0"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_rules_under_jit_equal_eager(name: str, x0: tuple[float, ...]) -> None:
    rng = np.random.default_rng(3)
    xs = [x + 0.01 * rng.normal(size=(3,)) for x in x0]
    order = 5
    coeffs = [[rng.normal(size=(3,)) * 0.1 for _ in range(order)] for _ in xs]
    f = _bind(name)
    closed = fd.make_jaxpr(f)(*xs)

    def run(*flat: Any) -> Any:
        primals = list(flat[: len(xs)])
        rest = list(flat[len(xs) :])
        series = [rest[i * order : (i + 1) * order] for i in range(len(xs))]
        outs, out_series = taylor_jaxpr(closed, primals, series)
        return outs[0], list(out_series[0])

    args = [*xs, *(c for cs in coeffs for c in cs)]
    eager = run(*args)
    traced = fd.jit(run)(*args)
    np.testing.assert_allclose(traced[0], eager[0], rtol=1e-15)
    for a, b in zip(traced[1], eager[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("name", NEW_UNARY)
def test_rules_are_differentiable(name: str) -> None:
    # along x(t) = x0 + t, c_k = f^(k)(x0) / k!, so d c_3 / d x0 = 4 c_4
    x0 = np.float64(UNARY[name][1][-1] * 0.9 if name != "acosh" else 1.7)
    closed = fd.make_jaxpr(_bind(name))(x0)
    one, zero = np.float64(1.0), np.float64(0.0)

    def coeff(x: Any, k: int) -> Any:
        _, out = taylor_jaxpr(closed, [x], [[one, zero, zero, zero]])
        return out[0][k - 1]

    got = fd.grad(lambda x: coeff(x, 3))(x0)
    np.testing.assert_allclose(got, 4.0 * coeff(x0, 4), rtol=1e-10, atol=1e-12)


def test_float32_stays_float32() -> None:
    for name in NEW_UNARY:
        x0 = np.float32(UNARY[name][1][0])
        series = ((np.float32(1.0), np.float32(0.0), np.float32(0.0)),)
        y, out = jet(_bind(name), (x0,), series)
        _y64, out64 = jet(_bind(name), (np.float64(x0),), series)
        assert np.asarray(y).dtype == np.float32
        for c, c64 in zip(out, out64, strict=True):
            assert np.asarray(c).dtype == np.float32, name
            np.testing.assert_allclose(c, c64, rtol=2e-4, atol=1e-5 * (1 + abs(float(c64))))


# -- the declarations --------------------------------------------------------------


def test_elementwise_taylor_rules_are_declared_with_the_primitive() -> None:
    """No ``x.taylor = ...`` assignment in elementwise.py: each rule is named
    by its primitive's declaration (the ``taylor`` column of the tables)."""
    path = PACKAGE / "primitives" / "elementwise.py"
    late = [
        f"{path.name}:{node.lineno}: {ast.unparse(t)}"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(t, ast.Attribute) and t.attr == "taylor"
    ]
    assert late == []


def test_every_elementwise_primitive_has_a_taylor_rule() -> None:
    names = [
        n
        for n, p in REGISTRY.items()
        if getattr(p.abstract_eval, "__module__", "") == "funcdiff.primitives.elementwise"
    ]
    assert len(names) > 50
    assert [n for n in names if REGISTRY[n].taylor is None] == []


# -- the conventions at kinks: as the JVP rules, to every order ------------------


@pytest.mark.parametrize(
    "f",
    [
        lambda x: fnp.abs(x) ** 2,
        lambda x: fnp.sqrt(fnp.abs(x) ** 2 + 1.0),
        lambda x: fnp.abs(x) * fnp.exp(x),
        lambda x: fnp.maximum(x, 0.0) - fnp.maximum(-x, 0.0),
        lambda x: fnp.maximum(x, 2.0 * x) + fnp.minimum(x, 2.0 * x),
        lambda x: fnp.maximum(x, x) * fnp.sin(x),
    ],
    ids=["abs_sq", "hypot", "abs_exp", "relu_diff", "max_plus_min", "max_same"],
)
def test_kinks_match_nested_jvp(f: Callable[..., Any]) -> None:
    # at the kink (x = 0, or a tie) the JVP rules' conventions are smooth
    # for these compositions; jet follows them to every order
    x = np.array([0.0, 0.0, 0.7])
    v = np.array([1.0, -0.6, 0.3])
    order = 4
    _, out = jet(f, (x,), ((v, *(np.zeros_like(v) for _ in range(order - 1))),))
    for k in range(1, order + 1):
        ref = np.asarray(nested_jvp(f, (x,), (v,), k))
        np.testing.assert_allclose(out[k - 1], ref, rtol=1e-12, atol=1e-12)


def test_max_plus_min_at_a_tie() -> None:
    # x + y exactly, whatever the curves, also where x(0) = y(0)
    series = ((1.0, 0.5, -2.0), (2.0, -1.0, 3.0))
    _, out = jet(lambda x, y: fnp.maximum(x, y) + fnp.minimum(x, y), (1.0, 1.0), series)
    np.testing.assert_allclose(out, [3.0, -0.5, 1.0], rtol=1e-15)


def test_max_nan_in_gives_nan_out() -> None:
    with np.errstate(invalid="ignore"):
        _, out = jet(fnp.maximum, (np.nan, 1.0), ((1.0, 0.0), (2.0, 0.0)))
        _, out1 = jet(lambda y: fnp.maximum(np.nan, y), (1.0,), ((2.0, 1.0),))
    assert all(np.isnan(c) for c in out) and all(np.isnan(c) for c in out1)

"""funcdiff.scipy.special against independent references.

Values against scipy.special on grids that include the tails and the edge
values (0, +-inf, NaN), float32 kept where scipy keeps it; first and second
derivatives against mpmath (40 digits) at a few points per function, and
against finite differences (both modes, second order); jit against eager,
vmap against a loop; the tails where naive formulas fail (log_ndtr at -40,
expit at +-800, logsumexp of huge values, erfcx at large x); derivatives at
the removable singularities of the rules (i1 and i1e at 0, spence at 1,
exprel and boxcox at 0); the no-derivative arguments raise, naming the
argument; every primitive's JAX lowering against its impl.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from typing import Any

import mpmath as mp
import numpy as np
import pytest
import scipy.special as sp
from _special_mp import MP_SPECIAL

import funcdiff as fd
import funcdiff.numpy as fnp
import funcdiff.scipy.special as fsp
from funcdiff.checking import check_grads
from funcdiff.core.primitive import Primitive
from funcdiff.errors import DTypeError

mp.mp.dps = 40

PRIMITIVES = sorted(
    (v for v in vars(fsp).values() if isinstance(v, Primitive)), key=lambda p: p.name
)

EDGES = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])


def _grid(lo: float, hi: float, n: int = 41) -> np.ndarray:
    return np.concatenate([np.linspace(lo, hi, n), EDGES])


def _close(got: Any, want: Any, rtol: float = 1e-13, atol: float = 0.0) -> None:
    got_a, want_a = np.asarray(got), np.asarray(want)
    assert got_a.shape == want_a.shape, (got_a.shape, want_a.shape)
    np.testing.assert_allclose(got_a, want_a, rtol=rtol, atol=atol, equal_nan=True)


# ---------------------------------------------------------------------------
# values against scipy
# ---------------------------------------------------------------------------

#: name -> argument grids (broadcast against each other)
UNARY_GRIDS: dict[str, np.ndarray] = {
    "erf": _grid(-30, 30),
    "erfc": _grid(-30, 30),
    "erfinv": _grid(-1, 1),
    "erfcinv": np.concatenate([[1e-300, 1e-100], _grid(0, 2)]),
    "erfcx": np.concatenate([[-30.0, 1e4, 1e8, 1e150, 1e300], _grid(-5, 50)]),
    "ndtr": _grid(-40, 40),
    "log_ndtr": np.concatenate([[-1e4, -40.0, 40.0], _grid(-50, 10)]),
    "ndtri": np.concatenate([[1e-300, 1 - 1e-16], _grid(0, 1)]),
    "gamma": np.concatenate([[-2.5, -1.0, 171.0, 172.0], _grid(-4.5, 10)]),
    "gammaln": np.concatenate([[-2.5, -1.0, 1e300], _grid(-4.5, 200)]),
    "digamma": np.concatenate([[-2.5, -1.0, 1e300], _grid(-4.5, 50)]),
    "psi": _grid(-4.5, 50),
    "i0": _grid(-700, 700),
    "i0e": _grid(-1e4, 1e4),
    "i1": _grid(-700, 700),
    "i1e": _grid(-1e4, 1e4),
    "spence": np.concatenate([[-1.0, 1.0, 1e300], _grid(0, 10)]),
    "exp1": np.concatenate([[-1.0, 1e-300, 700.0], _grid(0, 50)]),
    "expi": np.concatenate([[-1.0, 1e-300, 700.0], _grid(-50, 50)]),
    "dawsn": _grid(-1e3, 1e3),
    "expit": np.concatenate([[-800.0, 800.0], _grid(-50, 50)]),
    "log_expit": np.concatenate([[-800.0, 800.0], _grid(-50, 50)]),
    "logit": np.concatenate([[1e-300, 1 - 1e-16, -0.5, 1.5], _grid(0, 1)]),
    "entr": np.concatenate([[-1.0, 1e-300, 1e300], _grid(0, 5)]),
    "exprel": np.concatenate([[1e-20, -1e-20, 1e-4, 709.0, 710.0, -800.0], _grid(-50, 50)]),
    "sinc": _grid(-5, 5),
}

#: Box-Cox exponents (finite: scipy's NaN at an infinite one is not followed)
_LMBDA = np.array([1e-10, -1e-10, -2.0, -0.5, 0.0, 0.0, 0.3, 1.0, 2.0, np.nan])

#: name -> the argument grids of a function of several arguments
MULTI_GRIDS: dict[str, tuple[np.ndarray, ...]] = {
    "gammainc": (_grid(0, 20)[:, None], _grid(0, 30)),
    "gammaincc": (_grid(0, 20)[:, None], _grid(0, 30)),
    "betainc": (np.array([0.5, 1.0, 3.0])[:, None, None], _grid(0, 5)[:, None], _grid(0, 1)),
    "beta": (_grid(-3.5, 10)[:, None], _grid(-3.5, 10)),
    "betaln": (np.concatenate([[500.0, 1e10], _grid(0.1, 10)])[:, None], _grid(0.1, 600)),
    "zeta": (np.array([1.0, 1.5, 2.0, 5.0])[:, None], _grid(-2.5, 10)),
    "owens_t": (_grid(-10, 10)[:, None], _grid(-10, 10)),
    "xlogy": (_grid(-2, 2)[:, None], _grid(-1, 3)),
    "xlog1py": (_grid(-2, 2)[:, None], _grid(-2, 3)),
    "poch": (_grid(-2.5, 5)[:, None], _grid(-2.5, 5)),
    "binom": (_grid(-2.5, 10)[:, None], _grid(-2.5, 10)),
    "polygamma": (np.array([0, 1, 2, 3])[:, None], _grid(-2.5, 20)),
    "rel_entr": (_grid(-1, 3)[:, None], _grid(-1, 3)),
    "kl_div": (_grid(-1, 3)[:, None], _grid(-1, 3)),
    "boxcox": (_grid(0, 5)[:, None], _LMBDA),
    "boxcox1p": (_grid(-1, 5)[:, None], _LMBDA),
    "inv_boxcox": (_grid(-2, 3)[:, None], _LMBDA),
    "inv_boxcox1p": (_grid(-2, 3)[:, None], _LMBDA),
    "huber": (np.array([-1.0, 0.0, 0.5, 2.0])[:, None], _grid(-5, 5)),
    "pseudo_huber": (np.array([-1.0, 0.0, 0.5, 2.0])[:, None], _grid(-5, 5)),
    "comb": (np.array([-1.0, 0.0, 3.0, 5.5, 10.0, 60.0])[:, None], _grid(-2, 12, 15)),
}

#: looser tolerances where funcdiff computes the value another way than scipy
RTOL = {"rel_entr": 1e-12, "kl_div": 1e-12, "logit": 1e-12, "log_expit": 1e-12,
        "pseudo_huber": 1e-12, "inv_boxcox": 1e-12, "inv_boxcox1p": 1e-12, "boxcox": 1e-12,
        "boxcox1p": 1e-12, "comb": 1e-12, "exprel": 1e-13, "entr": 1e-13}  # fmt: skip


@pytest.mark.parametrize("name", sorted(UNARY_GRIDS))
def test_unary_values_match_scipy(name: str) -> None:
    x = UNARY_GRIDS[name]
    with np.errstate(all="ignore"):
        want = getattr(sp, name)(x)
        got = getattr(fsp, name)(x)
    assert np.asarray(got).dtype == np.float64
    _close(got, want, RTOL.get(name, 1e-13))


@pytest.mark.parametrize("name", sorted(MULTI_GRIDS))
def test_values_match_scipy(name: str) -> None:
    args = MULTI_GRIDS[name]
    with np.errstate(all="ignore"):
        want = getattr(sp, name)(*args)
        got = getattr(fsp, name)(*args)
    _close(got, want, RTOL.get(name, 1e-13), atol=1e-300)


@pytest.mark.parametrize("name", sorted(UNARY_GRIDS))
def test_float32_is_kept(name: str) -> None:
    x = UNARY_GRIDS[name][:-5]
    x = x[np.abs(x) < 3e38].astype(np.float32)
    with np.errstate(all="ignore"):
        want = getattr(sp, name)(x)
        got = getattr(fsp, name)(x)
    assert np.asarray(got).dtype == np.float32 == np.asarray(want).dtype, name
    # rounding of different float32 steps vs scipy's float64-internal ones
    _close(got, want, rtol=2e-6, atol=1e-37)


def test_float32_several_arguments() -> None:
    a, x = np.float32([1.0, 2.5]), np.float32([0.5, 3.0])
    for name in ("gammainc", "gammaincc", "beta", "betaln", "owens_t", "xlogy", "poch", "binom"):
        got = getattr(fsp, name)(a, x)
        assert got.dtype == np.float32, name
        _close(got, getattr(sp, name)(a, x), rtol=2e-6)
    assert fsp.betainc(np.float32(2), np.float32(3), np.float32(0.5)).dtype == np.float32
    assert fsp.polygamma(1, np.float32(2.0)).dtype == np.float32


def test_logsumexp_softmax_match_scipy() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 4)) * 300
    b = rng.normal(size=(3, 4))
    for axis in (None, 0, 1, (0, 1)):
        _close(fsp.logsumexp(a, axis=axis), sp.logsumexp(a, axis=axis))
        _close(fsp.logsumexp(a, axis=axis, keepdims=True), sp.logsumexp(a, axis, keepdims=True))
        got_v, got_s = fsp.logsumexp(a, axis=axis, b=b, return_sign=True)
        want_v, want_s = sp.logsumexp(a, axis=axis, b=b, return_sign=True)
        _close(got_v, want_v, 1e-12)
        _close(got_s, want_s)
        _close(fsp.softmax(a, axis=axis), sp.softmax(a, axis=axis), 1e-12, 1e-300)
        _close(fsp.log_softmax(a, axis=axis), sp.log_softmax(a, axis=axis), 1e-12)


def test_multigammaln_factorial_comb_match_scipy() -> None:
    a = np.array([2.0, 3.5, 10.0, 100.0])
    for d in (1, 2, 3):
        _close(fsp.multigammaln(a, d), sp.multigammaln(a, d))
    with pytest.raises(ValueError, match="multigammaln"):
        fsp.multigammaln(0.5, 3)
    n = np.array([-1.0, 0.0, 1.0, 4.0, 10.0, 20.0, 170.0])
    _close(fsp.factorial(n), sp.factorial(n))
    assert fsp.factorial(20, exact=True) == sp.factorial(20, exact=True)
    assert fsp.comb(50, 25, exact=True) == sp.comb(50, 25, exact=True)
    for rep in (False, True):
        _close(fsp.comb(10.0, np.arange(-1.0, 12.0), repetition=rep),
               sp.comb(10.0, np.arange(-1.0, 12.0), repetition=rep), 1e-12)  # fmt: skip


# ---------------------------------------------------------------------------
# derivatives against mpmath (40 digits): first and second, every argument
# ---------------------------------------------------------------------------


def _mp_comp(name: str) -> Callable[..., Any]:
    """mpmath references of the compositions."""
    table: dict[str, Callable[..., Any]] = {
        "expit": lambda x: 1 / (1 + mp.exp(-x)),
        "log_expit": lambda x: -mp.log1p(mp.exp(-x)),
        "logit": lambda x: mp.log(x / (1 - x)),
        "entr": lambda x: -x * mp.log(x),
        "rel_entr": lambda x, y: x * mp.log(x / y),
        "kl_div": lambda x, y: x * mp.log(x / y) - x + y,
        "exprel": lambda x: mp.expm1(x) / x if x != 0 else mp.mpf(1),
        "boxcox": lambda x, lm: (x**lm - 1) / lm if lm != 0 else mp.log(x),
        "boxcox1p": lambda x, lm: ((1 + x) ** lm - 1) / lm if lm != 0 else mp.log1p(x),
        "inv_boxcox": lambda y, lm: (1 + lm * y) ** (1 / lm) if lm != 0 else mp.exp(y),
        "inv_boxcox1p": lambda y, lm: (1 + lm * y) ** (1 / lm) - 1 if lm != 0 else mp.expm1(y),
        "huber": lambda d, r: r * r / 2 if abs(r) <= d else d * (abs(r) - d / 2),
        "pseudo_huber": lambda d, r: d * d * (mp.sqrt(1 + (r / d) ** 2) - 1),
        "sinc": lambda x: mp.sin(mp.pi * x) / (mp.pi * x),
        "factorial": lambda n: mp.gamma(n + 1),
        "comb": mp.binomial,
        "multigammaln": lambda a: mp.log(mp.pi) / 2 + mp.loggamma(a) + mp.loggamma(a - 0.5),
        "psi": mp.digamma,
    }
    return table[name]


#: (name, point, argument positions to differentiate); primitives' names
#: call MP_SPECIAL, the others the table above
DERIV_CASES: list[tuple[str, tuple[float, ...], tuple[int, ...]]] = [
    ("erf", (0.3,), (0,)),
    ("erf", (-2.2,), (0,)),
    ("erfc", (1.7,), (0,)),
    ("erfc", (6.0,), (0,)),
    ("erfinv", (0.95,), (0,)),
    ("erfinv", (-0.2,), (0,)),
    ("erfcinv", (1e-10,), (0,)),
    ("erfcinv", (1.3,), (0,)),
    ("erfcx", (-1.5,), (0,)),
    ("erfcx", (30.0,), (0,)),
    ("ndtr", (-3.0,), (0,)),
    ("ndtr", (0.4,), (0,)),
    ("log_ndtr", (-20.0,), (0,)),
    ("log_ndtr", (-1.0,), (0,)),
    ("log_ndtr", (5.0,), (0,)),
    ("ndtri", (0.001,), (0,)),
    ("ndtri", (0.7,), (0,)),
    ("gamma", (2.5,), (0,)),
    ("gamma", (-1.5,), (0,)),
    ("gammaln", (0.1,), (0,)),
    ("gammaln", (-2.5,), (0,)),
    ("gammaln", (30.0,), (0,)),
    ("digamma", (0.3,), (0,)),
    ("digamma", (12.0,), (0,)),
    ("psi", (2.0,), (0,)),
    ("i0", (2.5,), (0,)),
    ("i0", (-0.3,), (0,)),
    ("i0e", (40.0,), (0,)),
    ("i0e", (-1.2,), (0,)),
    ("i1", (1.5,), (0,)),
    ("i1", (1e-3,), (0,)),
    ("i1e", (-30.0,), (0,)),
    ("i1e", (0.7,), (0,)),
    ("spence", (0.1,), (0,)),
    ("spence", (1.0005,), (0,)),
    ("spence", (4.0,), (0,)),
    ("exp1", (0.05,), (0,)),
    ("exp1", (5.0,), (0,)),
    ("expi", (-2.0,), (0,)),
    ("expi", (3.0,), (0,)),
    ("dawsn", (0.9,), (0,)),
    ("dawsn", (-20.0,), (0,)),
    ("gammainc", (2.5, 1.5), (1,)),
    ("gammainc", (0.5, 0.1), (1,)),
    ("gammaincc", (3.0, 7.0), (1,)),
    ("betainc", (2.5, 1.5, 0.3), (2,)),
    ("betainc", (0.5, 4.0, 0.9), (2,)),
    ("beta", (1.5, 2.5), (0, 1)),
    ("beta", (-0.5, 2.5), (0, 1)),
    ("betaln", (40.0, 0.7), (0, 1)),
    ("zeta", (2.5, 0.7), (1,)),
    ("zeta", (4.0, 3.0), (1,)),
    ("owens_t", (0.7, 1.3), (0, 1)),
    ("owens_t", (-2.0, -0.4), (0, 1)),
    ("xlogy", (1.5, 0.4), (0, 1)),
    ("xlogy", (-0.5, 2.0), (0, 1)),
    ("xlog1py", (2.0, -0.3), (0, 1)),
    ("poch", (1.5, 2.2), (0, 1)),
    ("binom", (5.5, 2.3), (0, 1)),
    ("polygamma", (2, 1.7), (1,)),
    ("expit", (30.0,), (0,)),
    ("expit", (-3.0,), (0,)),
    ("log_expit", (-30.0,), (0,)),
    ("log_expit", (20.0,), (0,)),
    ("logit", (0.999,), (0,)),
    ("logit", (0.3,), (0,)),
    ("entr", (0.3,), (0,)),
    ("rel_entr", (0.3, 0.7), (0, 1)),
    ("kl_div", (2.0, 0.7), (0, 1)),
    ("exprel", (1e-5,), (0,)),
    ("exprel", (0.5,), (0,)),
    ("exprel", (-30.0,), (0,)),
    ("boxcox", (2.5, 0.3), (0, 1)),
    ("boxcox", (0.4, -1e-4), (0, 1)),
    ("boxcox1p", (1e-3, 1.7), (0, 1)),
    ("inv_boxcox", (1.2, 0.4), (0, 1)),
    ("inv_boxcox", (0.8, 2e-4), (0, 1)),
    ("inv_boxcox1p", (0.3, -0.5), (0, 1)),
    ("huber", (1.0, 0.4), (0, 1)),
    ("huber", (1.0, -2.5), (0, 1)),
    ("pseudo_huber", (0.5, 1.3), (0, 1)),
    ("sinc", (0.3,), (0,)),
    ("factorial", (4.5,), (0,)),
    ("comb", (7.5, 3.2), (0, 1)),
]


def _fd_fn(name: str) -> Callable[..., Any]:
    if name == "multigammaln":
        return lambda a: fsp.multigammaln(a, 2)
    return getattr(fsp, name)  # type: ignore[no-any-return]


def _mp_fn(name: str) -> Callable[..., Any]:
    return MP_SPECIAL[name] if name in MP_SPECIAL else _mp_comp(name)


DERIV_CASES.append(("multigammaln", (2.3,), (0,)))


@pytest.mark.parametrize(
    ("name", "point", "argnums"), DERIV_CASES, ids=[f"{c[0]}{c[1]}" for c in DERIV_CASES]
)
def test_first_and_second_derivatives_against_mpmath(
    name: str, point: tuple[float, ...], argnums: tuple[int, ...]
) -> None:
    f, ref = _fd_fn(name), _mp_fn(name)
    args = tuple(
        int(p) if name == "polygamma" and i == 0 else float(p) for i, p in enumerate(point)
    )
    for i in argnums:

        def along(t: Any, i: int = i) -> Any:
            full = [mp.mpf(a) if isinstance(a, float) else a for a in args]
            full[i] = t
            return ref(*full)

        d1, d2 = (float(mp.diff(along, mp.mpf(args[i]), k)) for k in (1, 2))
        g = fd.grad(f, argnums=i)
        gg = fd.grad(g, argnums=i)
        got1, got2 = float(g(*args)), float(gg(*args))
        assert got1 == pytest.approx(d1, rel=1e-9, abs=1e-300), (name, i, "first")
        assert got2 == pytest.approx(d2, rel=1e-8, abs=1e-12 * abs(d1)), (name, i, "second")


def test_mixed_partials_are_symmetric_and_match_mpmath() -> None:
    for name, point in [("owens_t", (0.7, 1.3)), ("beta", (1.5, 2.5)), ("xlogy", (1.5, 0.4)),
                        ("boxcox", (2.5, 0.3)), ("binom", (5.5, 2.3))]:  # fmt: skip
        f = getattr(fsp, name)
        h = fd.hessian(lambda v, f=f: f(v[0], v[1]))(np.array(point))
        assert h[0, 1] == pytest.approx(h[1, 0], rel=1e-12)
        ref = _mp_fn(name)
        want = mp.diff(ref, (mp.mpf(point[0]), mp.mpf(point[1])), (1, 1))
        assert h[0, 1] == pytest.approx(float(want), rel=1e-8), name


# ---------------------------------------------------------------------------
# finite differences, jit, vmap on the public functions
# ---------------------------------------------------------------------------

#: name -> interior sample arguments (arrays)
FD_CASES: dict[str, tuple[np.ndarray, ...]] = {
    "logit": (np.array([0.2, 0.5, 0.9]),),
    "entr": (np.array([0.2, 0.5, 1.5]),),
    "rel_entr": (np.array([0.2, 0.5, 1.5]), np.array([0.4, 0.5, 2.0])),
    "kl_div": (np.array([0.2, 0.5, 1.5]), np.array([0.4, 0.5, 2.0])),
    "log_expit": (np.array([-5.0, 0.0, 5.0]),),
    "expit": (np.array([-5.0, 0.0, 5.0]),),
    "exprel": (np.array([-2.0, 1e-4, 0.0, 3.0]),),
    "boxcox": (np.array([0.5, 1.5, 3.0]), np.array([-0.5, 0.0, 0.7])),
    "boxcox1p": (np.array([-0.5, 0.5, 3.0]), np.array([-0.5, 0.0, 0.7])),
    "inv_boxcox": (np.array([-0.5, 0.5, 1.0]), np.array([-0.5, 0.0, 0.7])),
    "inv_boxcox1p": (np.array([-0.5, 0.5, 1.0]), np.array([-0.5, 0.0, 0.7])),
    "huber": (np.array([1.0, 2.0, 1.5]), np.array([0.5, -3.0, 1.0])),
    "pseudo_huber": (np.array([1.0, 2.0, 0.5]), np.array([0.5, -3.0, 1.0])),
    "comb": (np.array([5.5, 7.0, 9.0]), np.array([2.5, 3.3, 4.0])),
    "factorial": (np.array([0.5, 2.0, 4.5]),),
    "sinc": (np.array([-0.7, 0.2, 1.3]),),
    "erfcx": (np.array([-1.0, 3.0, 20.0]),),
    "log_ndtr": (np.array([-30.0, -2.0, 3.0]),),
    "gammaln": (np.array([0.3, 2.0, 7.5]),),
    "owens_t": (np.array([-1.0, 0.5, 2.0]), np.array([0.3, -1.5, 4.0])),
    "xlog1py": (np.array([-1.0, 0.0, 2.0]), np.array([0.3, -0.5, 4.0])),
}


@pytest.mark.parametrize("name", sorted(FD_CASES))
def test_finite_differences_second_order(name: str) -> None:
    check_grads(getattr(fsp, name), FD_CASES[name], order=2, modes=("fwd", "rev"))


def test_logsumexp_family_finite_differences() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3, 4)), rng.uniform(0.5, 1.5, (3, 4))
    check_grads(lambda a: fsp.logsumexp(a, axis=1), (a,), order=2)
    check_grads(lambda a, b: fsp.logsumexp(a, b=b), (a, b), order=2)
    check_grads(lambda a: fsp.softmax(a, axis=0), (a,), order=2)
    check_grads(lambda a: fsp.log_softmax(a), (a,), order=2)
    check_grads(lambda a: fsp.multigammaln(a, 3), (np.array([2.5, 4.0]),), order=2)


@pytest.mark.parametrize("name", sorted(FD_CASES))
def test_jit_and_vmap_agree(name: str) -> None:
    f = getattr(fsp, name)
    args = FD_CASES[name]
    _close(fd.jit(f)(*args), f(*args), 1e-14)
    g = fd.grad(lambda *a: fnp.sum(f(*a)), argnums=tuple(range(len(args))))
    for x, y in zip(fd.jit(g)(*args), g(*args), strict=True):
        _close(x, y, 1e-14)
    batch = [np.stack([a, 1.1 * a]) for a in args]
    got = fd.vmap(f)(*batch)
    for k in range(2):
        _close(got[k], f(*[b[k] for b in batch]), 1e-14)


# ---------------------------------------------------------------------------
# tails
# ---------------------------------------------------------------------------


def test_log_ndtr_tail() -> None:
    x = -40.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        val = float(fsp.log_ndtr(x))
        g = float(fd.grad(fsp.log_ndtr)(x))
        gg = float(fd.grad(fd.grad(fsp.log_ndtr))(x))
    ref = lambda t: mp.log(mp.ncdf(t))  # noqa: E731
    assert val == pytest.approx(float(ref(mp.mpf(x))), rel=1e-14)
    assert g == pytest.approx(float(mp.diff(ref, mp.mpf(x), 1)), rel=1e-12)
    assert gg == pytest.approx(float(mp.diff(ref, mp.mpf(x), 2)), rel=1e-9)
    # far out: the derivative is about -x, never NaN
    assert float(fd.grad(fsp.log_ndtr)(-1e5)) == pytest.approx(1e5, rel=1e-9)
    assert float(fd.grad(fsp.log_ndtr)(40.0)) == 0.0


def test_expit_and_log_expit_tails() -> None:
    x = np.array([-800.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _close(fsp.expit(x), [0.0, 1.0])
        _close(fsp.log_expit(x), [-800.0, 0.0])
        _close(fd.vmap(fd.grad(fsp.expit))(x), [0.0, 0.0])
        _close(fd.vmap(fd.grad(fsp.log_expit))(x), [1.0, 0.0])
        _close(fd.vmap(fd.grad(fd.grad(fsp.log_expit)))(x), [0.0, 0.0])
    want = mp.exp(-40) / (1 + mp.exp(-40)) ** 2
    assert float(fd.grad(fsp.expit)(-40.0)) == pytest.approx(float(want), rel=1e-12)


def test_logsumexp_large_values() -> None:
    a = np.array([1e300, 1e300, -1e300])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = float(fsp.logsumexp(a))
        g = fd.grad(fsp.logsumexp)(a)
    assert v == pytest.approx(1e300, rel=1e-15)
    _close(g, [0.5, 0.5, 0.0])
    v, s = fsp.logsumexp(np.array([1000.0, 1000.0]), b=np.array([1.0, -2.0]), return_sign=True)
    assert float(v) == pytest.approx(1000.0, rel=1e-15) and float(s) == -1.0
    _close(fsp.softmax(np.array([1e4, 0.0, -1e4])), [1.0, 0.0, 0.0])
    _close(fd.jacobian(fsp.softmax)(np.array([1e4, 1e4])), [[0.25, -0.25], [-0.25, 0.25]])


def test_erfcx_large_x() -> None:
    for x in (30.0, 1e4, 1e8, 1e150):
        ref = lambda t: mp.exp(t * t) * mp.erfc(t)  # noqa: E731
        want = ref(mp.mpf(x))
        assert float(fsp.erfcx(x)) == pytest.approx(float(want), rel=1e-14)
        d = float(mp.diff(ref, mp.mpf(x))) if x < 1e5 else -1 / (mp.sqrt(mp.pi) * x * x)
        assert float(fd.grad(fsp.erfcx)(x)) == pytest.approx(float(d), rel=1e-9)
    assert np.isfinite(float(fd.grad(fd.grad(fsp.erfcx))(1e4)))


def test_gamma_family_tails() -> None:
    assert float(fsp.gammaln(1e300)) == pytest.approx(float(sp.gammaln(1e300)), rel=1e-15)
    assert float(fd.grad(fsp.gammaln)(1e300)) == pytest.approx(float(mp.log(1e300)), rel=1e-14)
    assert float(fd.grad(fsp.betaln, 1)(500.0, 600.0)) == pytest.approx(
        float(mp.digamma(600) - mp.digamma(1100)), rel=1e-12
    )
    # gammaincc of a huge x: 0 and a zero derivative, no NaN
    assert float(fd.grad(fsp.gammaincc, 1)(2.0, 1e3)) == 0.0


# ---------------------------------------------------------------------------
# removable singularities of the rules
# ---------------------------------------------------------------------------


def test_derivatives_at_removable_singularities() -> None:
    d = _nth
    assert d(fsp.i1, 1, 0.0) == 0.5 and d(fsp.i1, 2, 0.0) == 0.0
    assert d(fsp.i1e, 1, 0.0) == 0.5
    assert d(fsp.spence, 1, 1.0) == -1.0
    assert d(fsp.spence, 2, 1.0) == pytest.approx(0.5, rel=1e-14)
    assert d(fsp.exprel, 1, 0.0) == 0.5 and d(fsp.exprel, 2, 0.0) == pytest.approx(1 / 3)
    assert d(fsp.exprel, 3, 0.0) == pytest.approx(1 / 4)
    # boxcox and inv_boxcox in lmbda at 0: log(x)^2/2 and -y^2/2 exp(y)
    assert float(fd.grad(fsp.boxcox, 1)(3.0, 0.0)) == pytest.approx(np.log(3.0) ** 2 / 2)
    gl = fd.grad(fd.grad(fsp.boxcox, 1), 1)(3.0, 0.0)
    assert float(gl) == pytest.approx(np.log(3.0) ** 3 / 3)
    assert float(fd.grad(fsp.inv_boxcox, 1)(0.8, 0.0)) == pytest.approx(-0.32 * np.exp(0.8))
    # xlogy: d/dx at x = 0 is log(y); d/dy at x = y = 0 is 0
    assert float(fd.grad(fsp.xlogy)(0.0, 2.0)) == pytest.approx(np.log(2.0))
    assert float(fd.grad(fsp.xlogy, 1)(0.0, 0.0)) == 0.0
    assert float(fd.grad(fsp.gammainc, 1)(1.0, 0.0)) == 1.0  # 0**0 = 1


def _nth(f: Callable[..., Any], n: int, x: float) -> float:
    g = f
    for _ in range(n):
        g = fd.grad(g)
    return float(g(x))


def test_edge_values_of_compositions() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(fsp.entr(0.0)) == 0.0 and float(fsp.entr(-1.0)) == -np.inf
        _close(fsp.rel_entr([0.0, 1.0, -1.0, 1.0, np.nan], [1.0, 0.0, 1.0, -1.0, 1.0]),
               [0.0, np.inf, np.inf, np.inf, np.nan])  # fmt: skip
        _close(fsp.kl_div([0.0, 1.0], [2.0, 0.0]), [2.0, np.inf])
        _close(fsp.boxcox([0.0, 0.0, 0.0], [0.5, -0.5, 0.0]), [-2.0, -np.inf, -np.inf])
        _close(fsp.exprel([np.inf, -np.inf]), [np.inf, 0.0])
        # the safe branches keep the derivatives free of NaN at the edges
        assert float(fd.grad(fsp.entr)(-1.0)) == 0.0
        assert float(fd.grad(fsp.rel_entr)(0.0, 1.0)) == 0.0


# ---------------------------------------------------------------------------
# arguments without a derivative, errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "argnum", "arg"),
    [
        ("gammainc", (2.0, 1.0), 0, "a"),
        ("gammaincc", (2.0, 1.0), 0, "a"),
        ("betainc", (2.0, 3.0, 0.5), 0, "a"),
        ("betainc", (2.0, 3.0, 0.5), 1, "b"),
        ("zeta", (2.0, 1.5), 0, "x"),
    ],
)
def test_no_derivative_argument_raises_naming_it(
    name: str, args: tuple[float, ...], argnum: int, arg: str
) -> None:
    f = getattr(fsp, name)
    with pytest.raises(fsp.NonDifferentiableArgumentError, match=f"{name}.*'{arg}'"):
        fd.grad(f, argnums=argnum)(*args)
    with pytest.raises(fsp.NonDifferentiableArgumentError, match=f"'{arg}'"):
        fd.jvp(lambda v: f(*[v if i == argnum else a for i, a in enumerate(args)]),
               (args[argnum],), (1.0,))  # fmt: skip
    # the other arguments differentiate fine with this one constant (also batched)
    other = len(args) - 1
    assert np.isfinite(float(fd.grad(f, argnums=other)(*args)))
    vals = fd.vmap(lambda a: f(*[a if i == argnum else v for i, v in enumerate(args)]))(
        np.array([args[argnum], args[argnum] + 1])
    )
    assert vals.shape == (2,)


def test_polygamma_order() -> None:
    assert float(fd.grad(fsp.polygamma, 1)(2, 1.5)) == pytest.approx(float(sp.polygamma(3, 1.5)))
    _close(fsp.polygamma(np.array([0, 1, 2]), 2.0), sp.polygamma(np.array([0, 1, 2]), 2.0))
    _close(fsp.polygamma(2.0, 3.0), sp.polygamma(2, 3.0))
    with pytest.raises(TypeError, match="polygamma: n"):
        fsp.polygamma(1.5, 3.0)


def test_complex_and_bad_dtypes_are_refused() -> None:
    with pytest.raises(DTypeError, match="erf.*complex"):
        fsp.erf(np.array([1.0 + 1j]))
    with pytest.raises(DTypeError, match="gammainc.*complex"):
        fsp.gammainc(1.0, np.array([1j]))


def test_jaxpr_names_the_primitives() -> None:
    text = str(fd.make_jaxpr(lambda x: fsp.gammaln(fsp.erf(x)))(0.5))
    assert "erf" in text and "gammaln" in text


# ---------------------------------------------------------------------------
# lowering to JAX
# ---------------------------------------------------------------------------

#: looser tolerances where jax.scipy.special's algorithm is less accurate
JAX_RTOL = {"polygamma": 1e-9, "zeta": 1e-9, "owens_t": 1e-9, "betainc": 1e-9, "binom": 1e-12,
            "gammainc": 1e-11, "gammaincc": 1e-11, "spence": 1e-11, "i0e": 1e-12, "i1e": 1e-12,
            "ndtri": 1e-12, "erfcinv": 1e-12, "exp1": 1e-12, "expi": 1e-12, "dawsn": 1e-12,
            "beta": 1e-12, "betaln": 1e-12, "poch": 1e-12, "digamma": 1e-12}  # fmt: skip


@pytest.mark.parametrize("prim", PRIMITIVES, ids=lambda p: p.name)
def test_lower_jax_matches_impl(prim: Primitive) -> None:
    jax = pytest.importorskip("jax")
    old = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    try:
        ctx = types.SimpleNamespace(lax=jax.lax, jnp=jax.numpy, jsp=jax.scipy)
        lower = prim.lower_jax  # type: ignore[attr-defined]
        for args, params in prim.samples(np.random.default_rng(0)):
            want = prim.impl(*args, **params)
            got = lower(ctx, *[jax.numpy.asarray(a) for a in args], **params)
            assert np.asarray(got).shape == np.shape(want), prim.name
            assert np.asarray(got).dtype == np.asarray(want).dtype, prim.name
            _close(np.asarray(got), want, JAX_RTOL.get(prim.name, 1e-13), atol=1e-15)
    finally:
        jax.config.update("jax_enable_x64", old)


def test_every_primitive_has_a_lowering_and_the_sweep_rules() -> None:
    assert len(PRIMITIVES) >= 30
    for prim in PRIMITIVES:
        assert callable(getattr(prim, "lower_jax", None)), prim.name
        for kind in ("jvp", "vjp", "batch", "sparsity", "taylor"):
            assert getattr(prim, kind) is not None, (prim.name, kind)
    assert len(fsp.__all__) >= 50

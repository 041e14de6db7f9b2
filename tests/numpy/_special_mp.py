"""mpmath references (50 digits) for the primitives of
``funcdiff.scipy.special``: ``MP_SPECIAL[name]`` is the scalar function on
mpf arguments (integer arguments arrive as Python ints), ``mp_vec(name)``
its object-array version (the form of ``tests/transforms/test_higher_order.py``'s
``MP_ELEMENTWISE`` table, which can take these entries as they are)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mpmath as mp
import numpy as np


def _xlogy(x: Any, y: Any) -> Any:
    return mp.mpf(0) if x == 0 else x * mp.log(y)


def _xlog1py(x: Any, y: Any) -> Any:
    return mp.mpf(0) if x == 0 else x * mp.log1p(y)


def _owens_t(h: Any, a: Any) -> Any:
    def f(t: Any) -> Any:
        s = 1 + t * t
        return mp.exp(-h * h * s / 2) / s

    return mp.quad(f, [0, a]) / (2 * mp.pi)


MP_SPECIAL: dict[str, Callable[..., Any]] = {
    "erf": mp.erf,
    "erfc": mp.erfc,
    "erfinv": mp.erfinv,
    "erfcinv": lambda y: mp.erfinv(1 - y),
    "erfcx": lambda x: mp.exp(x * x) * mp.erfc(x),
    "ndtr": mp.ncdf,
    "log_ndtr": lambda x: mp.log(mp.ncdf(x)),
    "ndtri": lambda y: mp.sqrt(2) * mp.erfinv(2 * y - 1),
    "gamma": mp.gamma,
    "gammaln": lambda x: mp.log(abs(mp.gamma(x))),
    "digamma": mp.digamma,
    "polygamma": lambda n, x: mp.polygamma(int(n), x),
    "i0": lambda x: mp.besseli(0, x),
    "i0e": lambda x: mp.exp(-abs(x)) * mp.besseli(0, x),
    "i1": lambda x: mp.besseli(1, x),
    "i1e": lambda x: mp.exp(-abs(x)) * mp.besseli(1, x),
    "spence": lambda z: mp.polylog(2, 1 - z),
    "exp1": mp.e1,
    "expi": mp.ei,
    "dawsn": lambda x: mp.sqrt(mp.pi) / 2 * mp.exp(-x * x) * mp.erfi(x),
    "gammainc": lambda a, x: mp.gammainc(a, 0, x, regularized=True),
    "gammaincc": lambda a, x: mp.gammainc(a, x, mp.inf, regularized=True),
    "betainc": lambda a, b, x: mp.betainc(a, b, 0, x, regularized=True),
    "beta": mp.beta,
    "betaln": lambda a, b: mp.log(abs(mp.beta(a, b))),
    "zeta": mp.zeta,
    "owens_t": _owens_t,
    "xlogy": _xlogy,
    "xlog1py": _xlog1py,
    "poch": mp.rf,
    "binom": mp.binomial,
}


def _mp_arg(x: Any) -> Any:
    if isinstance(x, (int, np.integer)):
        return int(x)
    return mp.mpf(x) if isinstance(x, (float, np.floating)) else x


def mp_vec(name: str) -> Callable[..., Any]:
    """``MP_SPECIAL[name]`` on (object) arrays, broadcasting."""
    fn = MP_SPECIAL[name]

    def scalar(*xs: Any) -> Any:
        return fn(*[_mp_arg(x) for x in xs])

    uf = np.frompyfunc(scalar, ARITY.get(name, 1), 1)

    def apply(*xs: Any, **_: Any) -> Any:
        return np.asarray(uf(*xs), dtype=object)

    return apply


#: the number of arguments of the primitives that take more than one
ARITY = {
    "polygamma": 2,
    "gammainc": 2,
    "gammaincc": 2,
    "betainc": 3,
    "beta": 2,
    "betaln": 2,
    "zeta": 2,
    "owens_t": 2,
    "xlogy": 2,
    "xlog1py": 2,
    "poch": 2,
    "binom": 2,
}

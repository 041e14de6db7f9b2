"""``funcdiff.scipy.stats.laplace``: the Laplace (double exponential)
distribution, as ``scipy.stats.laplace``.

Differentiable in every argument (at ``x == loc`` the derivative of
``|x - loc|`` is taken as 0); ``logcdf``/``logsf`` are exact in the tails.

>>> from funcdiff.scipy.stats import laplace
>>> print(f"{float(laplace.logcdf(-800.0)):.6f}")
-800.693147
"""

from __future__ import annotations

import math

import numpy as np

import funcdiff.numpy as fnp
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array
from funcdiff.scipy.stats._common import document, finish, floats, safe, standardize, unit, valid

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_LOG2 = math.log(2.0)
_EX = "1.5, loc=1.0, scale=2.0"


def _standard(
    name: str, x: ArrayLike, loc: ArrayLike, scale: ArrayLike
) -> tuple[Array, Array, Array]:
    x, loc, scale = floats(f"laplace.{name}", x, loc, scale)
    ok = valid(x, scale > 0)
    s = safe(ok, scale)
    return standardize(x, loc, s), s, ok


def _std_cdf(z: Array) -> Array:
    neg = z < 0
    return fnp.where(neg, 0.5 * fnp.exp(safe(neg, z, 0.0)), 1.0 - 0.5 * fnp.exp(-safe(neg, 0.0, z)))


def _std_logcdf(z: Array) -> Array:
    neg = z < 0
    return fnp.where(neg, safe(neg, z, 0.0) - _LOG2, fnp.log1p(-0.5 * fnp.exp(-safe(neg, 0.0, z))))


@document("laplace", _EX, "-1.63629")
def logpdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, s, ok = _standard("logpdf", x, loc, scale)
    return finish(ok, -_LOG2 - fnp.log(s) - fnp.abs(z))


@document("laplace", _EX, "0.1947")
def pdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return fnp.exp(logpdf(x, loc, scale))


@document("laplace", _EX, "0.6106")
def cdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("cdf", x, loc, scale)
    return finish(ok, _std_cdf(z))


@document("laplace", _EX, "-0.493314")
def logcdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("logcdf", x, loc, scale)
    return finish(ok, _std_logcdf(z))


@document("laplace", _EX, "0.3894")
def sf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("sf", x, loc, scale)
    return finish(ok, _std_cdf(-z))


@document("laplace", _EX, "-0.943147")
def logsf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("logsf", x, loc, scale)
    return finish(ok, _std_logcdf(-z))


def _std_ppf(q: Array) -> Array:
    high = q > 0.5
    with np.errstate(divide="ignore"):  # +-inf at q = 1, 0
        a = -fnp.log(2.0 - 2.0 * safe(high, q, 0.0))
        b = fnp.log(2.0 * safe(high, 0.25, q))
    inside = unit(q)
    return fnp.where(inside, fnp.where(high, a, b), float("nan"))


@document("laplace", "0.975, loc=1.0, scale=2.0", "6.99146")
def ppf(q: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, loc, scale = floats("laplace.ppf", q, loc, scale)
    ok = valid(q, scale > 0)
    return finish(ok, loc + scale * _std_ppf(q))


@document("laplace", "0.025, loc=1.0, scale=2.0", "6.99146")
def isf(q: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, loc, scale = floats("laplace.isf", q, loc, scale)
    ok = valid(q, scale > 0)
    return finish(ok, loc - scale * _std_ppf(q))

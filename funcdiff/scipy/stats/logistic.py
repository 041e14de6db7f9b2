"""``funcdiff.scipy.stats.logistic``: the logistic distribution, as
``scipy.stats.logistic``.

Differentiable in every argument; no overflow at ``x = +-800`` (``cdf`` is
``expit``, ``logcdf`` is ``log_expit``).

>>> from funcdiff.scipy.stats import logistic
>>> print(f"{float(logistic.logpdf(-800.0)):.1f} {float(logistic.logcdf(-800.0)):.1f}")
-800.0 -800.0
"""

from __future__ import annotations

import numpy as np

import funcdiff.numpy as fnp
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array
from funcdiff.scipy import special as fsp
from funcdiff.scipy.stats._common import document, finish, floats, safe, standardize, valid

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_EX = "1.5, loc=1.0, scale=2.0"


def _standard(
    name: str, x: ArrayLike, loc: ArrayLike, scale: ArrayLike
) -> tuple[Array, Array, Array]:
    x, loc, scale = floats(f"logistic.{name}", x, loc, scale)
    ok = valid(x, scale > 0)
    s = safe(ok, scale)
    return standardize(x, loc, s), s, ok


@document("logistic", _EX, "-2.09503")
def logpdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, s, ok = _standard("logpdf", x, loc, scale)
    # log(e^-z / (1 + e^-z)^2) = log_expit(z) + log_expit(-z)
    return finish(ok, fsp.log_expit(z) + fsp.log_expit(-z) - fnp.log(s))


@document("logistic", _EX, "0.123067")
def pdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return fnp.exp(logpdf(x, loc, scale))


@document("logistic", _EX, "0.562177")
def cdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("cdf", x, loc, scale)
    return finish(ok, fsp.expit(z))


@document("logistic", _EX, "-0.575939")
def logcdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("logcdf", x, loc, scale)
    return finish(ok, fsp.log_expit(z))


@document("logistic", _EX, "0.437823")
def sf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("sf", x, loc, scale)
    return finish(ok, fsp.expit(-z))


@document("logistic", _EX, "-0.825939")
def logsf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("logsf", x, loc, scale)
    return finish(ok, fsp.log_expit(-z))


@document("logistic", "0.975, loc=1.0, scale=2.0", "8.32712")
def ppf(q: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, loc, scale = floats("logistic.ppf", q, loc, scale)
    ok = valid(q, scale > 0)
    with np.errstate(divide="ignore"):  # +-inf at q = 0, 1
        return finish(ok, loc + scale * fsp.logit(q))


@document("logistic", "0.025, loc=1.0, scale=2.0", "8.32712")
def isf(q: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, loc, scale = floats("logistic.isf", q, loc, scale)
    ok = valid(q, scale > 0)
    with np.errstate(divide="ignore"):
        return finish(ok, loc - scale * fsp.logit(q))

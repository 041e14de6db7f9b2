"""``funcdiff.scipy.stats.cauchy``: the Cauchy distribution, as ``scipy.stats.cauchy``.

Differentiable in every argument; ``cdf``/``sf`` through ``arctan2`` (no
cancellation in the far tails), ``ppf`` through ``1 / tan``.

>>> import funcdiff as fd
>>> from funcdiff.scipy.stats import cauchy
>>> print(f"{float(cauchy.cdf(-1e10)):.6e}")
3.183099e-11
"""

from __future__ import annotations

import math

import numpy as np

import funcdiff.numpy as fnp
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array
from funcdiff.scipy.stats._common import (
    any_,
    document,
    finish,
    floats,
    log_prob,
    not_,
    safe,
    standardize,
    unit,
    valid,
)

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_LOG_PI = math.log(math.pi)
_EX = "1.5, loc=1.0, scale=2.0"


def _standard(
    name: str, x: ArrayLike, loc: ArrayLike, scale: ArrayLike
) -> tuple[Array, Array, Array]:
    x, loc, scale = floats(f"cauchy.{name}", x, loc, scale)
    ok = valid(x, scale > 0)
    s = safe(ok, scale)
    return standardize(x, loc, s), s, ok


def _std_cdf(z: Array) -> Array:
    return fnp.arctan2(1.0, -z) / math.pi


@document("cauchy", _EX, "-1.8985")
def logpdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, s, ok = _standard("logpdf", x, loc, scale)
    big = fnp.abs(z) > 1e150  # z * z would overflow: log1p(z^2) = 2 log|z|
    zs = safe(not_(big), z)
    log1pz2 = fnp.where(big, 2.0 * fnp.log(fnp.abs(safe(big, z))), fnp.log1p(zs * zs))
    return finish(ok, -_LOG_PI - fnp.log(s) - log1pz2)


@document("cauchy", _EX, "0.149793")
def pdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return fnp.exp(logpdf(x, loc, scale))


@document("cauchy", _EX, "0.577979")
def cdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("cdf", x, loc, scale)
    return finish(ok, _std_cdf(z))


@document("cauchy", _EX, "-0.548218")
def logcdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("logcdf", x, loc, scale)
    return finish(ok, log_prob(_std_cdf(z), _std_cdf(-z)))


@document("cauchy", _EX, "0.422021")
def sf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("sf", x, loc, scale)
    return finish(ok, _std_cdf(-z))


@document("cauchy", _EX, "-0.862701")
def logsf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("logsf", x, loc, scale)
    return finish(ok, log_prob(_std_cdf(-z), _std_cdf(z)))


def _std_ppf(q: Array) -> Array:
    """``tan(pi (q - 1/2))``, directly on ``[1/4, 3/4]`` (where ``q - 1/2``
    is exact), as ``-1 / tan(pi q)`` below and ``1 / tan(pi (1 - q))`` above
    (``q - 1/2`` would lose a tiny ``q``)."""
    low, high = q < 0.25, q > 0.75
    mid = not_(any_(low, high))
    with np.errstate(divide="ignore"):  # +-inf at q = 0, 1
        a = -1.0 / fnp.tan(math.pi * safe(low, q, 0.25))
        b = 1.0 / fnp.tan(math.pi * safe(high, 1.0 - q, 0.25))
    c = fnp.tan(math.pi * (safe(mid, q, 0.5) - 0.5))
    inside = unit(q)
    return fnp.where(inside, fnp.where(low, a, fnp.where(high, b, c)), float("nan"))


@document("cauchy", "0.975, loc=1.0, scale=2.0", "26.4124")
def ppf(q: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, loc, scale = floats("cauchy.ppf", q, loc, scale)
    ok = valid(q, scale > 0)
    return finish(ok, loc + scale * _std_ppf(q))


@document("cauchy", "0.025, loc=1.0, scale=2.0", "26.4124")
def isf(q: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, loc, scale = floats("cauchy.isf", q, loc, scale)
    ok = valid(q, scale > 0)
    return finish(ok, loc - scale * _std_ppf(q))

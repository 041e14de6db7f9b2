"""``funcdiff.scipy.stats.lognorm``: the log-normal distribution, as
``scipy.stats.lognorm`` (``log((x - loc) / scale)`` is normal with standard
deviation ``s``; ``scale = exp(mu)``).

Differentiable in every argument; tails through ``log_ndtr``.

>>> import funcdiff as fd
>>> from funcdiff.scipy.stats import lognorm
>>> print(f"{float(fd.grad(lognorm.logpdf, 1)(2.0, 0.5)):.6f}")
1.843624
"""

from __future__ import annotations

import math

import funcdiff.numpy as fnp
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array
from funcdiff.scipy import special as fsp
from funcdiff.scipy.stats._common import (
    INF,
    NAN,
    document,
    finish,
    floats,
    safe,
    standardize,
    unit,
    valid,
)

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_EX = "1.5, 0.5, loc=0.5, scale=2.0"


def _standard(
    name: str, x: ArrayLike, s: ArrayLike, loc: ArrayLike, scale: ArrayLike
) -> tuple[Array, Array, Array, Array, Array]:
    """``log z`` (0 outside the support), whether ``z > 0``, ``s`` and
    ``scale`` (both safe) and whether they are valid."""
    x, s, loc, scale = floats(f"lognorm.{name}", x, s, loc, scale)
    ok = valid(x, scale > 0, s > 0)
    sc = safe(ok, scale)
    z = standardize(x, loc, sc)
    inside = z > 0
    return fnp.log(safe(inside, z)), inside, safe(ok, s), sc, ok


@document("lognorm", _EX, "-1.1867")
def logpdf(x: ArrayLike, s: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    lz, inside, s, sc, ok = _standard("logpdf", x, s, loc, scale)
    u = lz / s
    val = -0.5 * u * u - _LOG_SQRT_2PI - fnp.log(s) - lz - fnp.log(sc)
    return finish(ok, fnp.where(inside, val, -INF))


@document("lognorm", _EX, "0.305228")
def pdf(x: ArrayLike, s: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return fnp.exp(logpdf(x, s, loc, scale))


@document("lognorm", _EX, "0.0828285")
def cdf(x: ArrayLike, s: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    lz, inside, s, _, ok = _standard("cdf", x, s, loc, scale)
    return finish(ok, fnp.where(inside, fsp.ndtr(lz / s), 0.0))


@document("lognorm", _EX, "-2.49098")
def logcdf(x: ArrayLike, s: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    lz, inside, s, _, ok = _standard("logcdf", x, s, loc, scale)
    return finish(ok, fnp.where(inside, fsp.log_ndtr(lz / s), -INF))


@document("lognorm", _EX, "0.917171")
def sf(x: ArrayLike, s: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    lz, inside, s, _, ok = _standard("sf", x, s, loc, scale)
    return finish(ok, fnp.where(inside, fsp.ndtr(-lz / s), 1.0))


@document("lognorm", _EX, "-0.0864608")
def logsf(x: ArrayLike, s: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    lz, inside, s, _, ok = _standard("logsf", x, s, loc, scale)
    return finish(ok, fnp.where(inside, fsp.log_ndtr(-lz / s), 0.0))


def _quantile(
    name: str, q: ArrayLike, s: ArrayLike, loc: ArrayLike, scale: ArrayLike, sign: float
) -> Array:
    q, s, loc, scale = floats(f"lognorm.{name}", q, s, loc, scale)
    ok = valid(q, scale > 0, s > 0)
    inside = unit(q)
    val = loc + scale * fnp.exp(sign * safe(ok, s) * fsp.ndtri(q))
    return finish(ok, fnp.where(inside, val, NAN))


@document("lognorm", "0.975, 0.5, loc=0.5, scale=2.0", "5.82882")
def ppf(q: ArrayLike, s: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return _quantile("ppf", q, s, loc, scale, 1.0)


@document("lognorm", "0.025, 0.5, loc=0.5, scale=2.0", "5.82882")
def isf(q: ArrayLike, s: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return _quantile("isf", q, s, loc, scale, -1.0)

"""``funcdiff.scipy.stats.norm``: the normal distribution, as ``scipy.stats.norm``.

Differentiable in ``x``, ``loc`` and ``scale`` (and ``q``), to any order;
stable in the tails (``logcdf(-40)`` through ``log_ndtr``).

>>> import funcdiff as fd
>>> from funcdiff.scipy.stats import norm
>>> print(f"{float(norm.logcdf(-40.0)):.6f} {float(fd.grad(norm.logcdf)(-40.0)):.6f}")
-804.608442 40.024969
"""

from __future__ import annotations

import math

import funcdiff.numpy as fnp
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array
from funcdiff.scipy import special as fsp
from funcdiff.scipy.stats._common import document, finish, floats, safe, standardize, valid

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_EX = "1.5, loc=1.0, scale=2.0"


def _standard(name: str, x: ArrayLike, loc: ArrayLike, scale: ArrayLike) -> tuple[Array, Array]:
    x, loc, scale = floats(f"norm.{name}", x, loc, scale)
    ok = valid(x, scale > 0)
    return standardize(x, loc, safe(ok, scale)), ok


@document("norm", _EX, "-1.64334")
def logpdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, ok = _standard("logpdf", x, loc, scale)
    _, _, s = floats("norm.logpdf", x, loc, scale)
    return finish(ok, -0.5 * z * z - _LOG_SQRT_2PI - fnp.log(safe(ok, s)))


@document("norm", _EX, "0.193334")
def pdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return fnp.exp(logpdf(x, loc, scale))


@document("norm", _EX, "0.598706")
def cdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, ok = _standard("cdf", x, loc, scale)
    return finish(ok, fsp.ndtr(z))


@document("norm", _EX, "-0.512984")
def logcdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, ok = _standard("logcdf", x, loc, scale)
    return finish(ok, fsp.log_ndtr(z))


@document("norm", _EX, "0.401294")
def sf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, ok = _standard("sf", x, loc, scale)
    return finish(ok, fsp.ndtr(-z))


@document("norm", _EX, "-0.913062")
def logsf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, ok = _standard("logsf", x, loc, scale)
    return finish(ok, fsp.log_ndtr(-z))


@document("norm", "0.975, loc=1.0, scale=2.0", "4.91993")
def ppf(q: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, loc, scale = floats("norm.ppf", q, loc, scale)
    ok = valid(q, scale > 0)
    return finish(ok, loc + scale * fsp.ndtri(q))


@document("norm", "0.025, loc=1.0, scale=2.0", "4.91993")
def isf(q: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, loc, scale = floats("norm.isf", q, loc, scale)
    ok = valid(q, scale > 0)
    return finish(ok, loc - scale * fsp.ndtri(q))

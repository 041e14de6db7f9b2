"""``funcdiff.scipy.stats.expon``: the exponential distribution, as
``scipy.stats.expon`` (rate ``1 / scale``).

Differentiable in every argument; ``logsf`` is exact for any ``x``
(``-(x - loc) / scale``) and ``logcdf`` accurate at both ends.

>>> import funcdiff as fd
>>> from funcdiff.scipy.stats import expon
>>> d_scale = fd.grad(expon.logsf, 2)(1e4, 0.0, 2.0)
>>> print(f"{float(expon.logsf(1e4, scale=2.0)):.1f} {float(d_scale):.1f}")
-5000.0 2500.0
"""

from __future__ import annotations

import funcdiff.numpy as fnp
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array
from funcdiff.scipy.stats._common import (
    INF,
    NAN,
    all_,
    document,
    finish,
    floats,
    log1mexp,
    safe,
    standardize,
    unit,
    valid,
)

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_EX = "1.5, loc=1.0, scale=2.0"


def _standard(
    name: str, x: ArrayLike, loc: ArrayLike, scale: ArrayLike
) -> tuple[Array, Array, Array, Array]:
    """``z = (x - loc) / scale`` (a safe 1 outside the support), whether
    ``z >= 0``, ``scale`` (safe) and whether it is valid."""
    x, loc, scale = floats(f"expon.{name}", x, loc, scale)
    ok = valid(x, scale > 0)
    s = safe(ok, scale)
    z = standardize(x, loc, s)
    inside = z >= 0
    return safe(inside, z), inside, s, ok


@document("expon", _EX, "-0.943147")
def logpdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, inside, s, ok = _standard("logpdf", x, loc, scale)
    return finish(ok, fnp.where(inside, -z - fnp.log(s), -INF))


@document("expon", _EX, "0.3894")
def pdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return fnp.exp(logpdf(x, loc, scale))


@document("expon", _EX, "0.221199")
def cdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, inside, _, ok = _standard("cdf", x, loc, scale)
    return finish(ok, fnp.where(inside, -fnp.expm1(-z), 0.0))


@document("expon", _EX, "-1.50869")
def logcdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, inside, _, ok = _standard("logcdf", x, loc, scale)
    pos = all_(inside, z > 0)
    return finish(ok, fnp.where(pos, log1mexp(-safe(pos, z)), -INF))


@document("expon", _EX, "0.778801")
def sf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, inside, _, ok = _standard("sf", x, loc, scale)
    return finish(ok, fnp.where(inside, fnp.exp(-z), 1.0))


@document("expon", _EX, "-0.25")
def logsf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, inside, _, ok = _standard("logsf", x, loc, scale)
    return finish(ok, fnp.where(inside, -z, 0.0))


def _inside(q: Array) -> Array:
    return unit(q)


@document("expon", "0.975, loc=1.0, scale=2.0", "8.37776")
def ppf(q: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, loc, scale = floats("expon.ppf", q, loc, scale)
    ok = valid(q, scale > 0)
    good = _inside(q)
    return finish(ok, fnp.where(good, loc - scale * fnp.log1p(-safe(good, q, 0.5)), NAN))


@document("expon", "0.025, loc=1.0, scale=2.0", "8.37776")
def isf(q: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, loc, scale = floats("expon.isf", q, loc, scale)
    ok = valid(q, scale > 0)
    good = _inside(q)
    return finish(ok, fnp.where(good, loc - scale * fnp.log(safe(good, q, 0.5)), NAN))

"""``funcdiff.scipy.stats.uniform``: the uniform distribution on ``[loc, loc
+ scale]``, as ``scipy.stats.uniform``.

Differentiable in every argument inside the support.

>>> import funcdiff as fd
>>> from funcdiff.scipy.stats import uniform
>>> print(f"{float(fd.grad(uniform.logpdf, 2)(0.5, 0.0, 2.0)):.2f}")
-0.50
"""

from __future__ import annotations

import funcdiff.numpy as fnp
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array
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

_EX = "1.5, loc=1.0, scale=2.0"


def _standard(
    name: str, x: ArrayLike, loc: ArrayLike, scale: ArrayLike
) -> tuple[Array, Array, Array]:
    x, loc, scale = floats(f"uniform.{name}", x, loc, scale)
    ok = valid(x, scale > 0)
    s = safe(ok, scale)
    return standardize(x, loc, s), s, ok


@document("uniform", _EX, "-0.693147")
def logpdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, s, ok = _standard("logpdf", x, loc, scale)
    inside = unit(z)
    return finish(ok, fnp.where(inside, -fnp.log(s), -INF))


@document("uniform", _EX, "0.5")
def pdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return fnp.exp(logpdf(x, loc, scale))


def _std_cdf(z: Array) -> Array:
    return fnp.where(z < 0, 0.0, fnp.where(z > 1, 1.0, z))


@document("uniform", _EX, "0.25")
def cdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("cdf", x, loc, scale)
    return finish(ok, _std_cdf(z))


@document("uniform", _EX, "-1.38629")
def logcdf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("logcdf", x, loc, scale)
    c = _std_cdf(z)
    pos = c > 0
    return finish(ok, fnp.where(pos, fnp.log(safe(pos, c)), -INF))


@document("uniform", _EX, "0.75")
def sf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("sf", x, loc, scale)
    return finish(ok, _std_cdf(1.0 - z))


@document("uniform", _EX, "-0.287682")
def logsf(x: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, _, ok = _standard("logsf", x, loc, scale)
    c = _std_cdf(1.0 - z)
    pos = c > 0
    return finish(ok, fnp.where(pos, fnp.log(safe(pos, c)), -INF))


@document("uniform", "0.975, loc=1.0, scale=2.0", "2.95")
def ppf(q: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, loc, scale = floats("uniform.ppf", q, loc, scale)
    ok = valid(q, scale > 0)
    inside = unit(q)
    return finish(ok, fnp.where(inside, loc + scale * q, NAN))


@document("uniform", "0.025, loc=1.0, scale=2.0", "2.95")
def isf(q: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, loc, scale = floats("uniform.isf", q, loc, scale)
    ok = valid(q, scale > 0)
    inside = unit(q)
    return finish(ok, fnp.where(inside, loc + scale * (1.0 - q), NAN))

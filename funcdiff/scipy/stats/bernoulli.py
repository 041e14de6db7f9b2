"""``funcdiff.scipy.stats.bernoulli``: the Bernoulli distribution, as
``scipy.stats.bernoulli``.

Differentiable in ``p``; ``k`` is a count (``cdf``/``sf``/``ppf`` are step
functions, derivative 0).

>>> import funcdiff as fd
>>> from funcdiff.scipy.stats import bernoulli
>>> print(f"{float(fd.grad(bernoulli.logpmf, 1)(1.0, 0.25)):.6f}")
4.000000
"""

from __future__ import annotations

import funcdiff.numpy as fnp
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array
from funcdiff.scipy.stats._common import INF, NAN, document, finish, floats, safe, unit, valid

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "ppf", "sf"]

_EX = "1.0, 0.3"


def _args(name: str, k: ArrayLike, p: ArrayLike, loc: ArrayLike) -> tuple[Array, Array, Array]:
    k, p, loc = floats(f"bernoulli.{name}", k, p, loc)
    ok = valid(k, unit(p))
    return k - loc, safe(ok, p, 0.5), ok


@document("bernoulli", _EX, "-1.20397")
def logpmf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, p, ok = _args("logpmf", k, p, loc)
    one, zero = k == 1, k == 0
    val = fnp.where(one, fnp.log(p), fnp.where(zero, fnp.log1p(-p), -INF))
    return finish(ok, val)


@document("bernoulli", _EX, "0.3")
def pmf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    return fnp.exp(logpmf(k, p, loc))


def _cdf(k: Array, p: Array) -> Array:
    return fnp.where(k < 0, 0.0, fnp.where(k < 1, 1.0 - p, 1.0))


@document("bernoulli", _EX, "1")
def cdf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, p, ok = _args("cdf", k, p, loc)
    return finish(ok, _cdf(k, p))


@document("bernoulli", "0.0, 0.3", "-0.356675")
def logcdf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, p, ok = _args("logcdf", k, p, loc)
    return finish(ok, fnp.where(k < 0, -INF, fnp.where(k < 1, fnp.log1p(-p), 0.0)))


@document("bernoulli", "0.0, 0.3", "0.3")
def sf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, p, ok = _args("sf", k, p, loc)
    return finish(ok, fnp.where(k < 0, 1.0, fnp.where(k < 1, p, 0.0)))


@document("bernoulli", "0.0, 0.3", "-1.20397")
def logsf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, p, ok = _args("logsf", k, p, loc)
    return finish(ok, fnp.where(k < 0, 0.0, fnp.where(k < 1, fnp.log(p), -INF)))


@document("bernoulli", "0.9, 0.3", "1")
def ppf(q: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    q, p, loc = floats("bernoulli.ppf", q, p, loc)
    ok = valid(q, unit(p))
    inside = unit(q)
    k = fnp.where(q == 0, -1.0, fnp.where(fnp.logical_and(q <= 1.0 - p, q < 1), 0.0, 1.0))
    return finish(ok, fnp.where(inside, k.astype(q.dtype) + loc, NAN))

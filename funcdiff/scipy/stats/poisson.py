"""``funcdiff.scipy.stats.poisson``: the Poisson distribution, as
``scipy.stats.poisson``.

Differentiable in ``mu`` (every method but ``ppf``, which is piecewise
constant) and in ``k`` for ``logpmf``/``pmf`` (the derivative of the
continuous extension through ``gammaln``; off the whole numbers the value
is scipy's ``-inf``/0). ``cdf``/``sf`` are step functions of ``k``
(derivative 0) and use ``gammaincc``/``gammainc`` in ``mu`` (their ``x``
argument). ``logpmf`` is exact for large ``k`` (``gammaln``).

>>> import funcdiff as fd
>>> from funcdiff.scipy.stats import poisson
>>> counts = [2.0, 4.0, 3.0]
>>> score = fd.grad(lambda mu: sum(poisson.logpmf(k, mu) for k in counts))
>>> print(f"{float(score(3.0)):.6f}")  # zero at the MLE, the mean
0.000000
"""

from __future__ import annotations

import funcdiff.numpy as fnp
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array
from funcdiff.scipy import special as fsp
from funcdiff.scipy.stats._common import (
    INF,
    all_,
    discrete_quantile,
    document,
    finish,
    floats,
    is_int,
    log_prob,
    safe,
    valid,
)

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "ppf", "sf"]

_EX = "3.0, 2.5"


def _args(name: str, k: ArrayLike, mu: ArrayLike, loc: ArrayLike) -> tuple[Array, Array, Array]:
    k, mu, loc = floats(f"poisson.{name}", k, mu, loc)
    ok = valid(k, mu >= 0)
    return k - loc, safe(ok, mu), ok


def _cdf(k: Array, mu: Array) -> Array:
    inside = k >= 0
    return fnp.where(inside, fsp.gammaincc(fnp.floor(safe(inside, k)) + 1.0, mu), 0.0)


def _sf(k: Array, mu: Array) -> Array:
    inside = k >= 0
    return fnp.where(inside, fsp.gammainc(fnp.floor(safe(inside, k)) + 1.0, mu), 1.0)


@document("poisson", _EX, "-1.54289")
def logpmf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, mu, ok = _args("logpmf", k, mu, loc)
    inside = all_(k >= 0, is_int(k))
    ks = safe(inside, k)
    return finish(ok, fnp.where(inside, fsp.xlogy(ks, mu) - fsp.gammaln(ks + 1.0) - mu, -INF))


@document("poisson", _EX, "0.213763")
def pmf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    return fnp.exp(logpmf(k, mu, loc))


@document("poisson", _EX, "0.757576")
def cdf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, mu, ok = _args("cdf", k, mu, loc)
    return finish(ok, _cdf(k, mu))


@document("poisson", _EX, "-0.277631")
def logcdf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    return log_prob(cdf(k, mu, loc), sf(k, mu, loc))


@document("poisson", _EX, "0.242424")
def sf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, mu, ok = _args("sf", k, mu, loc)
    return finish(ok, _sf(k, mu))


@document("poisson", _EX, "-1.41707")
def logsf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    return log_prob(sf(k, mu, loc), cdf(k, mu, loc))


@document("poisson", "0.9, 2.5", "5")
def ppf(q: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    q, mu, loc = floats("poisson.ppf", q, mu, loc)
    ok = valid(q, mu >= 0)
    k = discrete_quantile(
        _cdf,
        0.0,
        lambda mu: mu + 12.0 * fnp.sqrt(mu) + 40.0,
        lambda mu: fnp.full_like(mu, INF),
        q,
        safe(ok, mu),
    )
    return finish(ok, k + loc)

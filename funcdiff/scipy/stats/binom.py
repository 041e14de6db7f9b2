"""``funcdiff.scipy.stats.binom``: the binomial distribution, as
``scipy.stats.binom``.

``logpmf``/``pmf`` are differentiable in ``p`` and (through ``betaln``, the
continuous extension) in ``k`` and ``n``. ``cdf``/``sf`` and their logs are
differentiable in ``p``, step functions of ``k`` (derivative 0), and not
differentiable in ``n`` (it enters ``betainc``'s shape parameters; asking
raises ``NonDifferentiableArgumentError``). ``ppf`` is piecewise constant.

>>> import funcdiff as fd
>>> from funcdiff.scipy.stats import binom
>>> print(f"{float(fd.grad(binom.logpmf, 2)(3.0, 10.0, 0.3)):.6f}")
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
    unit,
    valid,
)

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "ppf", "sf"]

_EX = "3.0, 10.0, 0.3"
_NOTE = (
    "Not differentiable in ``n`` (``betainc``'s shape parameters): asking raises "
    "``NonDifferentiableArgumentError``."
)


def _args(
    name: str, k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike
) -> tuple[Array, Array, Array, Array]:
    k, n, p, loc = floats(f"binom.{name}", k, n, p, loc)
    ok = valid(k, n >= 0, is_int(n), unit(p))
    return k - loc, safe(ok, n), safe(ok, p, 0.5), ok


def _cdf(k: Array, n: Array, p: Array) -> Array:
    """``P(X <= k) = I_{1-p}(n - k, k + 1)`` for ``0 <= k < n``."""
    kf = fnp.floor(k)
    mid = all_(kf >= 0, kf < n)
    ks = safe(mid, kf, 0.0)
    ns = safe(mid, n, 1.0)
    val = fsp.betainc(ns - ks, ks + 1.0, 1.0 - p)
    return fnp.where(kf < 0, 0.0, fnp.where(kf >= n, 1.0, val))


def _sf(k: Array, n: Array, p: Array) -> Array:
    kf = fnp.floor(k)
    mid = all_(kf >= 0, kf < n)
    ks = safe(mid, kf, 0.0)
    ns = safe(mid, n, 1.0)
    val = fsp.betainc(ks + 1.0, ns - ks, p)
    return fnp.where(kf < 0, 1.0, fnp.where(kf >= n, 0.0, val))


@document("binom", _EX, "-1.32115")
def logpmf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, n, p, ok = _args("logpmf", k, n, p, loc)
    inside = all_(k >= 0, k <= n, is_int(k))
    ks = safe(inside, k, 0.0)
    # log C(n, k) = -log(n + 1) - betaln(n - k + 1, k + 1)
    comb = -fnp.log1p(n) - fsp.betaln(n - ks + 1.0, ks + 1.0)
    val = comb + fsp.xlogy(ks, p) + fsp.xlog1py(n - ks, -p)
    return finish(ok, fnp.where(inside, val, -INF))


@document("binom", _EX, "0.266828")
def pmf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    return fnp.exp(logpmf(k, n, p, loc))


@document("binom", _EX, "0.649611", _NOTE)
def cdf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, n, p, ok = _args("cdf", k, n, p, loc)
    return finish(ok, _cdf(k, n, p))


@document("binom", _EX, "-0.431382", _NOTE)
def logcdf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    return log_prob(cdf(k, n, p, loc), sf(k, n, p, loc))


@document("binom", _EX, "0.350389", _NOTE)
def sf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, n, p, ok = _args("sf", k, n, p, loc)
    return finish(ok, _sf(k, n, p))


@document("binom", _EX, "-1.04871", _NOTE)
def logsf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    return log_prob(sf(k, n, p, loc), cdf(k, n, p, loc))


@document("binom", "0.9, 10.0, 0.3", "5")
def ppf(q: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    q, n, p, loc = floats("binom.ppf", q, n, p, loc)
    ok = valid(q, n >= 0, is_int(n), unit(p))
    k = discrete_quantile(
        _cdf, 0.0, lambda n, p: n, lambda n, p: n, q, safe(ok, n), safe(ok, p, 0.5)
    )
    return finish(ok, k + loc)

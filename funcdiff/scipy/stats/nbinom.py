"""``funcdiff.scipy.stats.nbinom``: the negative binomial distribution, as
``scipy.stats.nbinom`` (the number of failures before the ``n``-th success,
success probability ``p``).

``logpmf``/``pmf`` are differentiable in ``n``, ``p`` and (the continuous
extension) ``k``. ``cdf``/``sf`` and their logs are differentiable in
``p``, step functions of ``k``, and not differentiable in ``n``
(``betainc``'s shape parameter; asking raises
``NonDifferentiableArgumentError``). ``ppf`` is piecewise constant.

>>> import funcdiff as fd
>>> from funcdiff.scipy.stats import nbinom
>>> print(f"{float(fd.grad(nbinom.logpmf, 2)(2.0, 3.0, 0.6)):.6f}")
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

_EX = "2.0, 3.0, 0.6"
_NOTE = (
    "Not differentiable in ``n`` (``betainc``'s shape parameter): asking raises "
    "``NonDifferentiableArgumentError``."
)


def _args(
    name: str, k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike
) -> tuple[Array, Array, Array, Array]:
    k, n, p, loc = floats(f"nbinom.{name}", k, n, p, loc)
    ok = valid(k, n > 0, p > 0, p <= 1)
    return k - loc, safe(ok, n), safe(ok, p, 0.5), ok


def _cdf(k: Array, n: Array, p: Array) -> Array:
    """``P(X <= k) = I_p(n, k + 1)``."""
    kf = fnp.floor(k)
    inside = all_(kf >= 0, fnp.isfinite(kf))  # betainc(n, inf, p) is NaN in scipy < 1.12
    val = fsp.betainc(n, safe(inside, kf, 0.0) + 1.0, p)
    return fnp.where(inside, val, fnp.where(kf > 0, 1.0, 0.0).astype(val.dtype))


def _sf(k: Array, n: Array, p: Array) -> Array:
    kf = fnp.floor(k)
    inside = all_(kf >= 0, fnp.isfinite(kf))
    val = fsp.betainc(safe(inside, kf, 0.0) + 1.0, n, 1.0 - p)
    return fnp.where(inside, val, fnp.where(kf > 0, 0.0, 1.0).astype(val.dtype))


@document("nbinom", _EX, "-1.5733")
def logpmf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, n, p, ok = _args("logpmf", k, n, p, loc)
    inside = all_(k >= 0, is_int(k))
    ks = safe(inside, k, 0.0)
    # log C(k + n - 1, k) = -log(n + k) - betaln(n, k + 1)
    comb = -fnp.log(n + ks) - fsp.betaln(n, ks + 1.0)
    val = comb + n * fnp.log(p) + fsp.xlog1py(ks, -p)
    return finish(ok, fnp.where(inside, val, -INF))


@document("nbinom", _EX, "0.20736")
def pmf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    return fnp.exp(logpmf(k, n, p, loc))


@document("nbinom", _EX, "0.68256", _NOTE)
def cdf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, n, p, ok = _args("cdf", k, n, p, loc)
    return finish(ok, _cdf(k, n, p))


@document("nbinom", _EX, "-0.381905", _NOTE)
def logcdf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    return log_prob(cdf(k, n, p, loc), sf(k, n, p, loc))


@document("nbinom", _EX, "0.31744", _NOTE)
def sf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, n, p, ok = _args("sf", k, n, p, loc)
    return finish(ok, _sf(k, n, p))


@document("nbinom", _EX, "-1.14747", _NOTE)
def logsf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    return log_prob(sf(k, n, p, loc), cdf(k, n, p, loc))


def _bound(n: Array, p: Array) -> Array:
    mean = n * (1.0 - p) / p
    sd = fnp.sqrt(n * (1.0 - p)) / p
    return mean + 12.0 * sd + 40.0 / p + 40.0


@document("nbinom", "0.9, 3.0, 0.6", "4")
def ppf(q: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    q, n, p, loc = floats("nbinom.ppf", q, n, p, loc)
    ok = valid(q, n > 0, p > 0, p <= 1)
    k = discrete_quantile(
        _cdf,
        0.0,
        _bound,
        lambda n, p: fnp.full_like(n, INF),
        q,
        safe(ok, n),
        safe(ok, p, 0.5),
    )
    return finish(ok, k + loc)

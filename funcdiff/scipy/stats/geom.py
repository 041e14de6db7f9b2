"""``funcdiff.scipy.stats.geom``: the geometric distribution on ``1, 2,
...`` (the trial of the first success), as ``scipy.stats.geom``.

Differentiable in ``p`` (and ``k`` in ``logpmf``, the continuous
extension); ``cdf``/``sf``/``ppf`` are step functions of ``k``/``q``.

>>> import funcdiff as fd
>>> from funcdiff.scipy.stats import geom
>>> print(f"{float(fd.grad(geom.logsf, 1)(3.0, 0.5)):.6f}")
-6.000000
"""

from __future__ import annotations

import funcdiff.numpy as fnp
from funcdiff.core.typing import ArrayLike
from funcdiff.custom import stop_gradient
from funcdiff.numpy._core import Array
from funcdiff.scipy.special import xlog1py
from funcdiff.scipy.stats._common import (
    INF,
    NAN,
    all_,
    document,
    finish,
    floats,
    is_int,
    log1mexp,
    safe,
    unit,
    valid,
)

__all__ = ["cdf", "logcdf", "logpmf", "logsf", "pmf", "ppf", "sf"]

_EX = "3.0, 0.3"


def _args(name: str, k: ArrayLike, p: ArrayLike, loc: ArrayLike) -> tuple[Array, Array, Array]:
    k, p, loc = floats(f"geom.{name}", k, p, loc)
    ok = valid(k, p > 0, p <= 1)
    return k - loc, safe(ok, p, 0.5), ok


def _log_sf(k: Array, p: Array) -> Array:
    """``floor(k) log(1 - p)`` for ``k >= 1``."""
    return xlog1py(fnp.floor(k), -p)


@document("geom", _EX, "-1.91732")
def logpmf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, p, ok = _args("logpmf", k, p, loc)
    inside = all_(k >= 1, is_int(k))
    ks = safe(inside, k)
    return finish(ok, fnp.where(inside, xlog1py(ks - 1.0, -p) + fnp.log(p), -INF))


@document("geom", _EX, "0.147")
def pmf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    return fnp.exp(logpmf(k, p, loc))


@document("geom", _EX, "0.657")
def cdf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, p, ok = _args("cdf", k, p, loc)
    inside = k >= 1
    return finish(ok, fnp.where(inside, -fnp.expm1(_log_sf(safe(inside, k), p)), 0.0))


@document("geom", _EX, "-0.420071")
def logcdf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, p, ok = _args("logcdf", k, p, loc)
    inside = k >= 1
    ls = _log_sf(safe(inside, k), p)
    return finish(ok, fnp.where(inside, log1mexp(ls), -INF))


@document("geom", _EX, "0.343")
def sf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, p, ok = _args("sf", k, p, loc)
    inside = k >= 1
    return finish(ok, fnp.where(inside, fnp.exp(_log_sf(safe(inside, k), p)), 1.0))


@document("geom", _EX, "-1.07002")
def logsf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    k, p, ok = _args("logsf", k, p, loc)
    inside = k >= 1
    return finish(ok, fnp.where(inside, _log_sf(safe(inside, k), p), 0.0))


@document("geom", "0.9, 0.3", "7")
def ppf(q: ArrayLike, p: ArrayLike, loc: ArrayLike = 0.0) -> Array:
    q, p, loc = floats("geom.ppf", q, p, loc)
    ok = valid(q, p > 0, p <= 1)
    qc, ps = stop_gradient(q), stop_gradient(safe(ok, p, 0.5))
    inside = unit(qc)
    qs = safe(all_(inside, qc < 1), qc, 0.5)
    # the smallest k >= 1 with 1 - (1 - p)^k >= q: ceil(log1p(-q) / log1p(-p)),
    # one step back when rounding overshot
    lp = fnp.log1p(-ps)
    k = fnp.ceil(fnp.log1p(-qs) / fnp.where(lp == 0, -INF, lp))
    back = -fnp.expm1((k - 1.0) * lp) >= qs
    k = fnp.where(all_(back, k > 1), k - 1.0, fnp.maximum(k, 1.0))
    k = fnp.where(qc == 1, fnp.where(ps == 1, 1.0, INF).astype(k.dtype), fnp.where(qc == 0, 0.0, k))
    return finish(ok, fnp.where(inside, k, NAN) + loc)

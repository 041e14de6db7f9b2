"""``funcdiff.scipy.stats.gamma``: the gamma distribution, as
``scipy.stats.gamma`` (shape ``a``; the rate is ``1 / scale``).

``logpdf``/``pdf`` are differentiable in ``x``, ``a``, ``loc`` and
``scale``. ``cdf``, ``sf``, their logs and ``ppf``/``isf`` are
differentiable in ``x`` (``q``), ``loc`` and ``scale`` but not in ``a``
(``gammainc``'s shape parameter has no derivative here; asking raises
``NonDifferentiableArgumentError``).

A maximum-likelihood estimate of the rate for a fixed shape:

>>> import funcdiff as fd, funcdiff.numpy as fnp
>>> from funcdiff.scipy.stats import gamma
>>> data = fnp.asarray([0.5, 1.5, 2.5])
>>> score = fd.grad(lambda rate: fnp.sum(gamma.logpdf(data, 2.0, scale=1.0 / rate)))
>>> print(f"{float(score(4.0 / 3.0)):.6f}")  # the MLE: a / mean
0.000000
"""

from __future__ import annotations

from typing import Any

import numpy as np

import funcdiff.numpy as fnp
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array
from funcdiff.scipy import special as fsp
from funcdiff.scipy.stats._common import (
    INF,
    document,
    finish,
    floats,
    implicit_quantile,
    log_prob,
    safe,
    scipy_stats,
    standardize,
    valid,
)

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_EX = "1.5, 2.0, loc=0.5, scale=2.0"
_NOTE = (
    "Not differentiable in ``a`` (it is ``gammainc``'s shape parameter): asking raises "
    "``NonDifferentiableArgumentError``."
)


def _standard(
    name: str, x: ArrayLike, a: ArrayLike, loc: ArrayLike, scale: ArrayLike
) -> tuple[Array, Array, Array, Array, Array]:
    """``z`` (a safe 1 outside the support), whether ``z >= 0``, ``a`` and
    ``scale`` (safe) and whether they are valid."""
    x, a, loc, scale = floats(f"gamma.{name}", x, a, loc, scale)
    ok = valid(x, scale > 0, a > 0)
    sc = safe(ok, scale)
    z = standardize(x, loc, sc)
    inside = z >= 0
    return safe(inside, z), inside, safe(ok, a), sc, ok


def std_logpdf(z: Array, inside: Array, a: Array) -> Array:
    """The log density of the standard gamma at ``z`` (safe where not ``inside``)."""
    return fnp.where(inside, fsp.xlogy(a - 1.0, z) - z - fsp.gammaln(a), -INF)


def std_pdf(z: Array, a: Array) -> Array:
    """The density of the standard gamma (any ``z``)."""
    inside = z >= 0
    return fnp.exp(std_logpdf(safe(inside, z), inside, a))


def _exact_ppf(q: Any, a: Any) -> Any:
    return scipy_stats().gamma.ppf(q, a)


def _exact_isf(q: Any, a: Any) -> Any:
    return scipy_stats().gamma.isf(q, a)


def std_cdf(z: Array, a: Array) -> Array:
    """``P(Z <= z)`` of the standard gamma (any ``z``)."""
    inside = z >= 0
    return fnp.where(inside, fsp.gammainc(a, safe(inside, z)), 0.0)


def std_sf(z: Array, a: Array) -> Array:
    inside = z >= 0
    return fnp.where(inside, fsp.gammaincc(a, safe(inside, z)), 1.0)


def _span(dtype: np.dtype[Any]) -> tuple[float, float]:
    info = np.finfo(dtype)
    return float(np.log(info.tiny)), float(np.log(info.max)) - 1.0  # exp(hi) finite


def std_ppf(q: Array, a: Array) -> Array:
    """The standard gamma's quantile (``scipy.stats.gamma.ppf``/``isf`` or a bisection;
    implicit derivatives)."""
    return implicit_quantile(std_cdf, std_sf, std_pdf, False, _exact_ppf, fnp.exp, _span, 1.0, q, a)


def std_isf(q: Array, a: Array) -> Array:
    return implicit_quantile(std_sf, std_cdf, std_pdf, True, _exact_isf, fnp.exp, _span, 1.0, q, a)


@document("gamma", _EX, "-1.88629")
def logpdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, inside, a, sc, ok = _standard("logpdf", x, a, loc, scale)
    return finish(ok, std_logpdf(z, inside, a) - fnp.log(sc))


@document("gamma", _EX, "0.151633")
def pdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return fnp.exp(logpdf(x, a, loc, scale))


@document("gamma", _EX, "0.090204", _NOTE)
def cdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, inside, a, _, ok = _standard("cdf", x, a, loc, scale)
    return finish(ok, fnp.where(inside, std_cdf(z, a), 0.0))


@document("gamma", _EX, "-2.40568", _NOTE)
def logcdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return log_prob(cdf(x, a, loc, scale), sf(x, a, loc, scale))


@document("gamma", _EX, "0.909796", _NOTE)
def sf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, inside, a, _, ok = _standard("sf", x, a, loc, scale)
    return finish(ok, fnp.where(inside, std_sf(z, a), 1.0))


@document("gamma", _EX, "-0.0945349", _NOTE)
def logsf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return log_prob(sf(x, a, loc, scale), cdf(x, a, loc, scale))


_PPF_NOTE = (
    _NOTE + " Values: ``scipy.stats.gamma.ppf``/``isf`` on concrete arguments, a bisection under "
    "``jit``/``vmap``; derivatives by implicit differentiation of ``cdf``."
)


@document("gamma", "0.975, 2.0, loc=0.5, scale=2.0", "11.6433", _PPF_NOTE)
def ppf(q: ArrayLike, a: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, a, loc, scale = floats("gamma.ppf", q, a, loc, scale)
    ok = valid(q, scale > 0, a > 0)
    return finish(ok, loc + scale * std_ppf(q, safe(ok, a)))


@document("gamma", "0.025, 2.0, loc=0.5, scale=2.0", "11.6433", _PPF_NOTE)
def isf(q: ArrayLike, a: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, a, loc, scale = floats("gamma.isf", q, a, loc, scale)
    ok = valid(q, scale > 0, a > 0)
    return finish(ok, loc + scale * std_isf(q, safe(ok, a)))

"""``funcdiff.scipy.stats.beta``: the beta distribution on ``[loc, loc +
scale]``, as ``scipy.stats.beta``.

``logpdf``/``pdf`` are differentiable in ``x``, ``a``, ``b``, ``loc`` and
``scale``. ``cdf``, ``sf``, their logs and ``ppf``/``isf`` are
differentiable in ``x`` (``q``), ``loc`` and ``scale`` but not in ``a`` or
``b`` (``betainc``'s shape parameters; asking raises
``NonDifferentiableArgumentError``).

>>> import funcdiff as fd
>>> from funcdiff.scipy.stats import beta
>>> print(f"{float(fd.grad(beta.logpdf, 1)(0.3, 2.0, 5.0)):.6f}")
0.246027
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
    any_,
    document,
    finish,
    floats,
    implicit_quantile,
    log_prob,
    safe,
    scipy_stats,
    standardize,
    unit,
    valid,
)

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_EX = "0.75, 2.0, 3.0, loc=0.5, scale=2.0"
_NOTE = (
    "Not differentiable in ``a`` or ``b`` (``betainc``'s shape parameters): asking raises "
    "``NonDifferentiableArgumentError``."
)


def _standard(
    name: str, x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike, scale: ArrayLike
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """``z`` (a safe 1/2 outside ``[0, 1]``), whether it is inside, ``a``,
    ``b``, ``scale`` (safe) and whether they are valid."""
    x, a, b, loc, scale = floats(f"beta.{name}", x, a, b, loc, scale)
    ok = valid(x, scale > 0, a > 0, b > 0)
    sc = safe(ok, scale)
    z = standardize(x, loc, sc)
    inside = unit(z)
    return safe(inside, z, 0.5), inside, safe(ok, a), safe(ok, b), sc, ok


def _pdf(z: Array, a: Array, b: Array) -> Array:
    inside = unit(z)
    zs = safe(inside, z, 0.5)
    val = fnp.exp(fsp.xlogy(a - 1.0, zs) + fsp.xlog1py(b - 1.0, -zs) - fsp.betaln(a, b))
    return fnp.where(inside, val, 0.0)


def _exact_ppf(q: Any, a: Any, b: Any) -> Any:
    return scipy_stats().beta.ppf(q, a, b)


def _exact_isf(q: Any, a: Any, b: Any) -> Any:
    return scipy_stats().beta.isf(q, a, b)


def _cdf(z: Array, a: Array, b: Array) -> Array:
    low, high = z <= 0, z >= 1
    mid = fsp.betainc(a, b, safe(any_(low, high), 0.5, z))
    return fnp.where(low, 0.0, fnp.where(high, 1.0, mid))


def _sf(z: Array, a: Array, b: Array) -> Array:
    low, high = z <= 0, z >= 1
    mid = fsp.betainc(b, a, 1.0 - safe(any_(low, high), 0.5, z))
    return fnp.where(low, 1.0, fnp.where(high, 0.0, mid))


def _span(dtype: np.dtype[Any]) -> tuple[float, float]:
    info = np.finfo(dtype)
    return float(np.log(info.tiny)), float(5.0 - np.log(info.eps))  # expit(hi) == 1


def _expit(u: Array) -> Array:
    return fsp.expit(u)


@document("beta", _EX, "-0.554745")
def logpdf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0
) -> Array:
    z, inside, a, b, sc, ok = _standard("logpdf", x, a, b, loc, scale)
    val = fsp.xlogy(a - 1.0, z) + fsp.xlog1py(b - 1.0, -z) - fsp.betaln(a, b) - fnp.log(sc)
    return finish(ok, fnp.where(inside, val, -INF))


@document("beta", _EX, "0.574219")
def pdf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0
) -> Array:
    return fnp.exp(logpdf(x, a, b, loc, scale))


def _z(
    name: str, x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike, scale: ArrayLike
) -> tuple[Array, Array, Array, Array]:
    x, a, b, loc, scale = floats(f"beta.{name}", x, a, b, loc, scale)
    ok = valid(x, scale > 0, a > 0, b > 0)
    return (x - loc) / safe(ok, scale), safe(ok, a), safe(ok, b), ok


@document("beta", _EX, "0.0788574", _NOTE)
def cdf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0
) -> Array:
    z, a, b, ok = _z("cdf", x, a, b, loc, scale)
    return finish(ok, _cdf(z, a, b))


@document("beta", _EX, "-2.54011", _NOTE)
def logcdf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0
) -> Array:
    return log_prob(cdf(x, a, b, loc, scale), sf(x, a, b, loc, scale))


@document("beta", _EX, "0.921143", _NOTE)
def sf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0
) -> Array:
    z, a, b, ok = _z("sf", x, a, b, loc, scale)
    return finish(ok, _sf(z, a, b))


@document("beta", _EX, "-0.0821404", _NOTE)
def logsf(
    x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0
) -> Array:
    return log_prob(sf(x, a, b, loc, scale), cdf(x, a, b, loc, scale))


_PPF_NOTE = (
    _NOTE + " Values: ``scipy.stats.beta.ppf``/``isf`` on concrete arguments, a bisection under "
    "``jit``/``vmap``; derivatives by implicit differentiation of ``cdf``."
)


def _quantile(
    name: str, q: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike, scale: ArrayLike
) -> Array:
    q, a, b, loc, scale = floats(f"beta.{name}", q, a, b, loc, scale)
    ok = valid(q, scale > 0, a > 0, b > 0)
    a, b = safe(ok, a), safe(ok, b)
    if name == "ppf":
        z = implicit_quantile(_cdf, _sf, _pdf, False, _exact_ppf, _expit, _span, 0.5, q, a, b)
    else:
        z = implicit_quantile(_sf, _cdf, _pdf, True, _exact_isf, _expit, _span, 0.5, q, a, b)
    return finish(ok, loc + scale * z)


@document("beta", "0.975, 2.0, 3.0, loc=0.5, scale=2.0", "2.11176", _PPF_NOTE)
def ppf(
    q: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0
) -> Array:
    return _quantile("ppf", q, a, b, loc, scale)


@document("beta", "0.025, 2.0, 3.0, loc=0.5, scale=2.0", "2.11176", _PPF_NOTE)
def isf(
    q: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0
) -> Array:
    return _quantile("isf", q, a, b, loc, scale)

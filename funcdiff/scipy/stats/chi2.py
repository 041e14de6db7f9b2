"""``funcdiff.scipy.stats.chi2``: the chi-squared distribution, as
``scipy.stats.chi2``: a gamma distribution with shape ``df / 2`` and scale
``2 scale``.

``logpdf``/``pdf`` are differentiable in ``x``, ``df``, ``loc`` and
``scale``; ``cdf``, ``sf``, their logs and ``ppf``/``isf`` not in ``df``
(``gammainc``'s shape parameter; asking raises
``NonDifferentiableArgumentError``).

>>> import funcdiff as fd
>>> from funcdiff.scipy.stats import chi2
>>> print(f"{float(chi2.sf(3.84, 1.0)):.6f} {float(fd.grad(chi2.sf)(3.84, 1.0)):.6f}")
0.050044 -0.029847
"""

from __future__ import annotations

import funcdiff.numpy as fnp
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array
from funcdiff.scipy.stats import gamma as _gamma
from funcdiff.scipy.stats._common import document, floats

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_EX = "1.5, 3.0, loc=0.5, scale=2.0"
_NOTE = (
    "Not differentiable in ``df`` (``gammainc``'s shape parameter): asking raises "
    "``NonDifferentiableArgumentError``."
)


def _gamma_args(
    name: str, x: ArrayLike, df: ArrayLike, loc: ArrayLike, scale: ArrayLike
) -> tuple[Array, Array, Array, Array]:
    x, df, loc, scale = floats(f"chi2.{name}", x, df, loc, scale)
    # funcdiff's multiply: a float32 0-d df stays float32 on numpy 1.x as well
    return x, fnp.multiply(df, 0.5), loc, fnp.multiply(scale, 2.0)


@document("chi2", _EX, "-2.20866")
def logpdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return _gamma.logpdf(*_gamma_args("logpdf", x, df, loc, scale))


@document("chi2", _EX, "0.109848")
def pdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return fnp.exp(logpdf(x, df, loc, scale))


@document("chi2", _EX, "0.0811086", _NOTE)
def cdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return _gamma.cdf(*_gamma_args("cdf", x, df, loc, scale))


@document("chi2", _EX, "-2.51197", _NOTE)
def logcdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return _gamma.logcdf(*_gamma_args("logcdf", x, df, loc, scale))


@document("chi2", _EX, "0.918891", _NOTE)
def sf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return _gamma.sf(*_gamma_args("sf", x, df, loc, scale))


@document("chi2", _EX, "-0.0845873", _NOTE)
def logsf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return _gamma.logsf(*_gamma_args("logsf", x, df, loc, scale))


@document("chi2", "0.975, 3.0, loc=0.5, scale=2.0", "19.1968", _NOTE)
def ppf(q: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return _gamma.ppf(*_gamma_args("ppf", q, df, loc, scale))


@document("chi2", "0.025, 3.0, loc=0.5, scale=2.0", "19.1968", _NOTE)
def isf(q: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return _gamma.isf(*_gamma_args("isf", q, df, loc, scale))

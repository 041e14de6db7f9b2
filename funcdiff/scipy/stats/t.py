"""``funcdiff.scipy.stats.t``: Student's t distribution, as ``scipy.stats.t``.

``logpdf``/``pdf`` are differentiable in ``x``, ``df``, ``loc`` and
``scale``. ``cdf``, ``sf``, their logs and ``ppf``/``isf`` are
differentiable in ``x`` (``q``), ``loc`` and ``scale`` but not in ``df``: it
enters ``betainc`` as its ``a`` (or ``b``), which has no derivative here,
and differentiating with respect to ``df`` raises
``NonDifferentiableArgumentError``.

>>> import funcdiff as fd
>>> from funcdiff.scipy.stats import t
>>> print(f"{float(fd.grad(t.logpdf, 1)(0.5, 3.0)):.6f}")
0.037741
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import funcdiff.numpy as fnp
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array
from funcdiff.scipy import special as fsp
from funcdiff.scipy.stats._common import (
    any_,
    document,
    finish,
    floats,
    implicit_quantile,
    log_prob,
    not_,
    safe,
    scipy_stats,
    standardize,
    valid,
)

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_LOG_PI = math.log(math.pi)
_EX = "1.5, 3.0, loc=1.0, scale=2.0"
_NOTE = (
    "Not differentiable in ``df`` (it enters ``betainc``'s shape parameters): asking raises "
    "``NonDifferentiableArgumentError``."
)


def _args(
    name: str, x: ArrayLike, df: ArrayLike, loc: ArrayLike, scale: ArrayLike
) -> tuple[Array, Array, Array, Array]:
    x, df, loc, scale = floats(f"t.{name}", x, df, loc, scale)
    ok = valid(x, scale > 0, df > 0)
    return standardize(x, loc, safe(ok, scale)), safe(ok, df), safe(ok, scale), ok


def _std_logpdf(z: Array, df: Array) -> Array:
    """The standard t log density; the normal's at ``df = inf``, as scipy."""
    big = fnp.isinf(df)
    d = safe(not_(big), df)
    half = 0.5 * (d + 1.0)
    norm = fsp.gammaln(half) - fsp.gammaln(0.5 * d) - 0.5 * (fnp.log(d) + _LOG_PI)
    zs = safe(big, z, 0.0)
    normal = -0.5 * zs * zs - 0.5 * (_LOG_PI + math.log(2.0))
    # log1p(z^2 / df) = 2 log(u) (1 + O(1/u^2)) for u = |z| / sqrt(df) past 1e100
    u = fnp.abs(safe(not_(big), z, 0.0)) / fnp.sqrt(d)
    far = u > 1e100
    log_u = fnp.log(safe(far, u))
    log1p_u2 = fnp.where(far, 2.0 * log_u, fnp.log1p(fnp.square(safe(far, 1.0, u))))
    return fnp.where(big, normal, norm - half * log1p_u2)


def _std_cdf(z: Array, df: Array) -> Array:
    """``P(T <= z)``, ``ndtr(z)`` at ``df = inf``."""
    big = fnp.isinf(df)
    return fnp.where(big, fsp.ndtr(z), _finite_df_cdf(z, safe(not_(big), df)))


def _finite_df_cdf(z: Array, df: Array) -> Array:
    """``P(T <= z)`` for finite ``df``: ``I_x(df/2, 1/2) / 2`` with ``x = df / (df + z^2)``
    in the tails, ``1/2 + sign(z) I_w(1/2, df/2) / 2`` with ``w = z^2 /
    (df + z^2)`` near 0 (no cancellation in ``1 - x``), and the tangent
    line at ``z = 0`` exactly (both forms have an infinite factor times a
    zero one in their derivative there)."""
    zero = z == 0
    inf = fnp.isinf(z)
    zz = safe(not_(any_(zero, inf)), z)
    z2 = zz * zz
    near = z2 < df
    zn = safe(near, z2)  # the branch not taken: a safe point
    af = safe(near, fnp.sqrt(df), fnp.abs(zz))
    # df / (df + z^2) = 1 / (1 + u^2), u = |z| / sqrt(df); 1 / u^2 where u^2 overflows
    u = af / fnp.sqrt(df)
    big = u > 1e100
    x_tail = fnp.where(big, fnp.square(1.0 / safe(big, u)), 1.0 / (1.0 + safe(big, 1.0, u) ** 2))
    tail = 0.5 * fsp.betainc(0.5 * df, 0.5, x_tail)
    # far out (x < 1e-200, where x itself underflows first): I_x(a, 1/2) =
    # x^a / (a B(a, 1/2)) (1 + O(x))
    a = 0.5 * df
    far = 0.5 * fnp.exp(-df * fnp.log(safe(big, u)) - fnp.log(a) - fsp.betaln(a, 0.5))
    tail = fnp.where(big, far, tail)
    tail = fnp.where(z < 0, tail, 1.0 - tail)
    mid = 0.5 * fsp.betainc(0.5, 0.5 * df, zn / (df + zn))
    mid = 0.5 + fnp.where(z < 0, -mid, mid)
    slope = fnp.exp(_std_logpdf(fnp.zeros_like(z), df))
    value = fnp.where(zero, 0.5 + slope * z, fnp.where(near, mid, tail))
    return fnp.where(inf, fnp.where(z > 0, 1.0, 0.0).astype(z.dtype), value)


@document("t", _EX, "-1.73527")
def logpdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, df, s, ok = _args("logpdf", x, df, loc, scale)
    return finish(ok, _std_logpdf(z, df) - fnp.log(s))


@document("t", _EX, "0.176352")
def pdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    return fnp.exp(logpdf(x, df, loc, scale))


@document("t", _EX, "0.590635", _NOTE)
def cdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, df, _, ok = _args("cdf", x, df, loc, scale)
    return finish(ok, _std_cdf(z, df))


@document("t", _EX, "-0.526556", _NOTE)
def logcdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, df, _, ok = _args("logcdf", x, df, loc, scale)
    return finish(ok, log_prob(_std_cdf(z, df), _std_cdf(-z, df)))


@document("t", _EX, "0.409365", _NOTE)
def sf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, df, _, ok = _args("sf", x, df, loc, scale)
    return finish(ok, _std_cdf(-z, df))


@document("t", _EX, "-0.893149", _NOTE)
def logsf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    z, df, _, ok = _args("logsf", x, df, loc, scale)
    return finish(ok, log_prob(_std_cdf(-z, df), _std_cdf(z, df)))


def _std_sf(z: Array, df: Array) -> Array:
    return _std_cdf(-z, df)


def _std_pdf(z: Array, df: Array) -> Array:
    return fnp.exp(_std_logpdf(z, df))


def _exact(q: Any, df: Any) -> Any:
    return scipy_stats().t.ppf(q, df)


def _std_ppf(q: Array, df: Array) -> Array:
    def span(dtype: np.dtype[Any]) -> tuple[float, float]:
        top = float(np.log(np.finfo(dtype).max))  # sinh(top) ~ max / 2: finite
        return -top, top

    return implicit_quantile(_std_cdf, _std_sf, _std_pdf, False, _exact, fnp.sinh, span, 0.0, q, df)


_PPF_NOTE = (
    _NOTE
    + " Values: ``scipy.stats.t.ppf`` on concrete arguments, a bisection under ``jit``/``vmap``; "
    "derivatives by implicit differentiation of ``cdf``."
)


@document("t", "0.975, 3.0, loc=1.0, scale=2.0", "7.36489", _PPF_NOTE)
def ppf(q: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, df, loc, scale = floats("t.ppf", q, df, loc, scale)
    ok = valid(q, scale > 0, df > 0)
    return finish(ok, loc + scale * _std_ppf(q, safe(ok, df)))


@document("t", "0.025, 3.0, loc=1.0, scale=2.0", "7.36489", _PPF_NOTE)
def isf(q: ArrayLike, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0) -> Array:
    q, df, loc, scale = floats("t.isf", q, df, loc, scale)
    ok = valid(q, scale > 0, df > 0)
    return finish(ok, loc - scale * _std_ppf(q, safe(ok, df)))

"""``funcdiff.scipy.stats.multivariate_normal``: the multivariate normal
distribution, as ``scipy.stats.multivariate_normal`` (``logpdf`` and
``pdf``; no ``allow_singular``).

Computed through the Cholesky factor ``L`` of ``cov``: ``log det cov = 2
sum log diag L`` and the Mahalanobis term by one triangular solve, so it is
differentiable in ``x``, ``mean`` and ``cov`` (to any order). A concrete
``cov`` that is not positive definite raises ValueError.

>>> import funcdiff as fd, funcdiff.numpy as fnp
>>> from funcdiff.scipy.stats import multivariate_normal
>>> cov = fnp.asarray([[2.0, 0.5], [0.5, 1.0]])
>>> g = fd.grad(multivariate_normal.logpdf)(fnp.asarray([1.0, -1.0]), None, cov)
>>> print(fnp.round(g, 6))
[-0.857143  1.428571]
"""

from __future__ import annotations

import math

import numpy as np

import funcdiff.numpy as fnp
from funcdiff.api_util import concrete_or_none
from funcdiff.core.typing import ArrayLike
from funcdiff.errors import ShapeError
from funcdiff.numpy._core import Array
from funcdiff.scipy.linalg import solve_triangular
from funcdiff.scipy.stats._common import floats

__all__ = ["logpdf", "pdf"]

_LOG_2PI = math.log(2.0 * math.pi)


def _parameters(
    name: str, x: ArrayLike, mean: ArrayLike | None, cov: ArrayLike
) -> tuple[Array, Array, Array, int]:
    """``x`` as (..., d), ``mean`` as (d,) or broadcastable, ``cov`` as (d, d)."""
    where = f"scipy.stats.multivariate_normal.{name}"
    if mean is None:
        x, cov = floats(f"multivariate_normal.{name}", x, cov)
        m = None
    else:
        x, m, cov = floats(f"multivariate_normal.{name}", x, mean, cov)
    if m is not None and m.ndim >= 1:
        d = m.shape[-1]
    elif cov.ndim >= 1:
        d = cov.shape[0]
    else:
        d = 1
    if m is None:
        m = fnp.zeros((d,), x.dtype)
    elif m.ndim == 0:
        m = m * fnp.ones((d,), x.dtype)
    if cov.ndim == 0:
        cov = cov * fnp.eye(d, dtype=x.dtype)
    elif cov.ndim == 1:
        cov = fnp.diag(cov)
    if cov.shape != (d, d):
        raise ShapeError(
            f"{where}: cov has shape {tuple(cov.shape)}, but the mean has dimension {d}: "
            f"give a ({d}, {d}) matrix, a vector of its {d} variances, or a scalar"
        )
    if x.ndim == 0 or (d == 1 and x.shape[-1] != 1):
        x = fnp.expand_dims(x, -1)
    if x.shape[-1] != d:
        raise ShapeError(
            f"{where}: x has shape {tuple(x.shape)}; its last axis must have the "
            f"dimension {d} of the mean and cov"
        )
    c = concrete_or_none(cov)
    if c is not None:
        ok = bool(np.all(np.isfinite(c)))
        if ok:
            try:
                np.linalg.cholesky(c)
            except np.linalg.LinAlgError:
                ok = False
        if not ok:
            raise ValueError(
                f"{where}: cov is not symmetric positive definite (its Cholesky factorization "
                "failed); funcdiff has no allow_singular: regularize it, e.g. cov + eps * I"
            )
    return x, m, cov, d


def _logpdf(name: str, x: ArrayLike, mean: ArrayLike | None, cov: ArrayLike) -> Array:
    x, m, cov, d = _parameters(name, x, mean, cov)
    dev = x - m
    lead = dev.shape[:-1]
    chol = fnp.linalg.cholesky(cov)
    z = solve_triangular(chol, fnp.reshape(dev, (-1, d)).T, lower=True, check_finite=False)
    maha = fnp.sum(z * z, axis=0)
    logdet = 2.0 * fnp.sum(fnp.log(fnp.diagonal(chol)))
    return fnp.reshape(-0.5 * (d * _LOG_2PI + logdet + maha), lead)


def logpdf(x: ArrayLike, mean: ArrayLike | None = None, cov: ArrayLike = 1.0) -> Array:
    """The log density of ``scipy.stats.multivariate_normal`` at ``x`` (its
    last axis the ``d`` coordinates; the result has ``x``'s other axes).
    ``mean`` is (d,) (or broadcasts with ``x``; None: zeros), ``cov`` a (d,
    d) matrix, a vector of variances or a scalar, as in scipy.

    >>> from funcdiff.scipy.stats import multivariate_normal
    >>> v = multivariate_normal.logpdf([1.0, -1.0], [0.0, 0.0], [[2.0, 0.5], [0.5, 1.0]])
    >>> print(f"{float(v):.6f}")
    -3.260542
    """
    return _logpdf("logpdf", x, mean, cov)


def pdf(x: ArrayLike, mean: ArrayLike | None = None, cov: ArrayLike = 1.0) -> Array:
    """The density of ``scipy.stats.multivariate_normal`` at ``x``: ``exp`` of
    :func:`logpdf`, with the same arguments.

    >>> from funcdiff.scipy.stats import multivariate_normal
    >>> print(f"{float(multivariate_normal.pdf([0.0, 0.0], cov=[1.0, 4.0])):.6f}")
    0.079577
    """
    return fnp.exp(_logpdf("pdf", x, mean, cov))

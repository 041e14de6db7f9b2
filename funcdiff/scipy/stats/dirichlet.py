"""``funcdiff.scipy.stats.dirichlet``: the Dirichlet distribution, as
``scipy.stats.dirichlet`` (``logpdf`` and ``pdf``).

``x`` holds the ``K`` components along its first axis (or ``K - 1`` of
them: the last is ``1 - sum``), as in scipy. Differentiable in ``x`` and
``alpha``. Concrete arguments are checked as scipy checks them (ValueError
for ``alpha <= 0`` or ``x`` off the simplex); traced ones are not.

>>> import funcdiff as fd, funcdiff.numpy as fnp
>>> from funcdiff.scipy.stats import dirichlet
>>> g = fd.grad(dirichlet.logpdf, 1)(fnp.asarray([0.2, 0.3, 0.5]), fnp.asarray([1.0, 2.0, 3.0]))
>>> print(fnp.round(g, 6))
[0.673895 0.079361 0.090186]
"""

from __future__ import annotations

import numpy as np

import funcdiff.numpy as fnp
from funcdiff.api_util import concrete_or_none
from funcdiff.core.typing import ArrayLike
from funcdiff.errors import ShapeError
from funcdiff.numpy._core import Array
from funcdiff.scipy import special as fsp
from funcdiff.scipy.stats._common import floats

__all__ = ["logpdf", "pdf"]


def _logpdf(name: str, x: ArrayLike, alpha: ArrayLike) -> Array:
    where = f"scipy.stats.dirichlet.{name}"
    x, alpha = floats(f"dirichlet.{name}", x, alpha)
    if alpha.ndim != 1:
        raise ShapeError(f"{where}: alpha must be a vector, got shape {tuple(alpha.shape)}")
    k = alpha.shape[0]
    if x.ndim == 0 or x.shape[0] not in (k, k - 1):
        raise ShapeError(
            f"{where}: x has shape {tuple(x.shape)}; its first axis must have {k} or {k - 1} "
            f"components (alpha has {k})"
        )
    if x.shape[0] == k - 1:
        x = fnp.concatenate([x, 1.0 - fnp.sum(x, axis=0, keepdims=True)], axis=0)
    a, c = concrete_or_none(alpha), concrete_or_none(x)
    if a is not None and np.any(a <= 0):
        raise ValueError(f"{where}: all parameters alpha must be > 0, got {a}")
    if c is not None:
        if np.any(c < 0) or np.any(c > 1):
            raise ValueError(f"{where}: each component of x must lie in [0, 1]")
        if np.any(np.abs(np.sum(c, axis=0) - 1.0) > 1e-9):
            raise ValueError(f"{where}: the components of x must sum to 1 (the simplex)")
    am = fnp.reshape(alpha, (k,) + (1,) * (x.ndim - 1))
    log_b = fnp.sum(fsp.gammaln(alpha)) - fsp.gammaln(fnp.sum(alpha))
    return fnp.sum(fsp.xlogy(am - 1.0, x), axis=0) - log_b


def logpdf(x: ArrayLike, alpha: ArrayLike) -> Array:
    """The log density of ``scipy.stats.dirichlet`` at ``x`` (components along
    the first axis; the result has ``x``'s other axes).

    >>> from funcdiff.scipy.stats import dirichlet
    >>> print(f"{float(dirichlet.logpdf([0.2, 0.3, 0.5], [1.0, 2.0, 3.0])):.6f}")
    1.504077
    """
    return _logpdf("logpdf", x, alpha)


def pdf(x: ArrayLike, alpha: ArrayLike) -> Array:
    """The density of ``scipy.stats.dirichlet``: ``exp`` of :func:`logpdf`.

    >>> from funcdiff.scipy.stats import dirichlet
    >>> print(f"{float(dirichlet.pdf([0.2, 0.8], [2.0, 2.0])):.6f}")
    0.960000
    """
    return fnp.exp(_logpdf("pdf", x, alpha))

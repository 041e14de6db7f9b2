"""``funcdiff.scipy.stats``: scipy's probability distributions, traceable and
differentiable, one namespace per distribution as in ``scipy.stats``'s
functions: ``stats.norm.logpdf(x, loc=0, scale=1)``.

Every function is a composition of ``funcdiff.numpy`` and
``funcdiff.scipy.special`` (no primitives of its own), so every transform
works: ``grad`` (of ``grad``), ``jvp``, ``vmap``, ``jit``. Arguments, their
order, defaults and broadcasting are scipy's, and so are the values outside
the support (``-inf`` log density, 0 density) and for invalid parameters
(NaN, e.g. ``scale <= 0``).

Derivatives are taken in the data and in every parameter where the special
function underneath has one. Where it has none (the shape parameter of
``gammainc`` under ``gamma.cdf``, ``betainc``'s ``a`` and ``b`` under
``t.cdf``'s ``df``, ``beta.cdf``'s ``a`` and ``b``...), differentiating with
respect to that parameter raises
:class:`funcdiff.scipy.special.NonDifferentiableArgumentError`, never a
silently wrong number. Discrete distributions: the count ``k`` enters
``logpmf`` through ``gammaln`` (its derivative is that of the continuous
extension, as in JAX), ``cdf``/``sf``/``ppf`` are piecewise constant in
``k``/``q`` (derivative zero).

Quantiles without an inverse special function here (``t``, ``gamma``,
``chi2``, ``beta``) take their values from scipy on concrete arguments and
from a bisection under ``jit``/``vmap``, and their derivatives from the
implicit function theorem on ``cdf(x) = q``, written as two Newton steps
from the solution (exact to third order; see ``docs/stats.md``).

A maximum-likelihood fit of a normal's location and log-scale by gradient
steps:

>>> import funcdiff as fd, funcdiff.numpy as fnp
>>> from funcdiff.scipy import stats
>>> data = fnp.asarray([1.2, 0.8, 1.9, 1.4, 0.7])
>>> nll = lambda th: -fnp.sum(stats.norm.logpdf(data, th[0], fnp.exp(th[1])))
>>> th = fnp.asarray([0.0, 0.0])
>>> for _ in range(500):
...     th = th - 0.05 * fd.grad(nll)(th)
>>> print(f"{float(th[0]):.4f} {float(fnp.exp(th[1])):.4f}")
1.2000 0.4336
"""

from funcdiff.scipy.stats import bernoulli as bernoulli
from funcdiff.scipy.stats import beta as beta
from funcdiff.scipy.stats import binom as binom
from funcdiff.scipy.stats import cauchy as cauchy
from funcdiff.scipy.stats import chi2 as chi2
from funcdiff.scipy.stats import dirichlet as dirichlet
from funcdiff.scipy.stats import expon as expon
from funcdiff.scipy.stats import gamma as gamma
from funcdiff.scipy.stats import geom as geom
from funcdiff.scipy.stats import laplace as laplace
from funcdiff.scipy.stats import logistic as logistic
from funcdiff.scipy.stats import lognorm as lognorm
from funcdiff.scipy.stats import multivariate_normal as multivariate_normal
from funcdiff.scipy.stats import nbinom as nbinom
from funcdiff.scipy.stats import norm as norm
from funcdiff.scipy.stats import poisson as poisson
from funcdiff.scipy.stats import t as t
from funcdiff.scipy.stats import uniform as uniform

__all__ = [
    "bernoulli",
    "beta",
    "binom",
    "cauchy",
    "chi2",
    "dirichlet",
    "expon",
    "gamma",
    "geom",
    "laplace",
    "logistic",
    "lognorm",
    "multivariate_normal",
    "nbinom",
    "norm",
    "poisson",
    "t",
    "uniform",
]

"""Helpers shared by the distributions of ``funcdiff.scipy.stats``: argument
promotion, the NaN/-inf conventions of scipy, generated docstrings, and the
quantile functions that have no inverse special function (found by a solver,
differentiated implicitly)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.core.trace import Tracer
from funcdiff.core.typing import ArrayLike
from funcdiff.custom import stop_gradient
from funcdiff.implicit import custom_root
from funcdiff.numpy._core import Array
from funcdiff.scipy.special import _floats, _scipy_special

F = TypeVar("F", bound=Callable[..., Any])

NAN = float("nan")
INF = float("inf")


def scipy_stats() -> Any:
    """``scipy.stats`` (imported when a quantile is first computed), or an
    ImportError naming the extra that installs it."""
    _scipy_special()  # the same optional dependency, the same message
    import scipy.stats

    return scipy.stats


def floats(name: str, *args: ArrayLike) -> list[Array]:
    """The arguments as arrays of one floating dtype (float64 for integers and
    Python numbers; float32 stays float32)."""
    return _floats(f"scipy.stats.{name}", *args)


def safe(ok: Any, x: Any, value: float = 1.0) -> Array:
    """``x`` where ``ok``, else ``value``: a branch that ``where`` discards must
    still see an argument for which neither it nor its derivatives are NaN
    (a NaN derivative times a zero cotangent is NaN)."""
    return fnp.where(ok, x, value)


def finish(valid: Any, value: Any) -> Array:
    """``value`` where the parameters are ``valid``, NaN elsewhere (scipy)."""
    return fnp.where(valid, value, NAN)


def all_(*conds: Any) -> Array:
    """Element-wise ``and`` of boolean arrays (traceable)."""
    out = conds[0]
    for c in conds[1:]:
        out = fnp.logical_and(out, c)
    return fnp.asarray(out)


def any_(*conds: Any) -> Array:
    """Element-wise ``or`` of boolean arrays (traceable)."""
    out = conds[0]
    for c in conds[1:]:
        out = fnp.logical_or(out, c)
    return fnp.asarray(out)


def not_(cond: Any) -> Array:
    return fnp.logical_not(cond)


def valid(data: Any, *conds: Any) -> Array:
    """Where the result is a number: the data is not NaN and the parameter
    conditions ``conds`` hold (elsewhere scipy gives NaN)."""
    return all_(not_(fnp.isnan(data)), *conds)


def log_prob(p: Any, complement: Any) -> Array:
    """``log(p)`` where ``p < 1/2``, else ``log1p(-complement)`` with
    ``complement = 1 - p`` computed separately (``logcdf`` from ``sf`` near
    1: no rounding of ``p`` to 1)."""
    small = p < 0.5
    return fnp.where(
        small, fnp.log(safe(small, p, 0.25)), fnp.log1p(-safe(small, 0.25, complement))
    )


def unit(q: Any) -> Array:
    """Whether ``0 <= q <= 1``."""
    return all_(q >= 0, q <= 1)


def is_int(k: Any) -> Array:
    """Whether ``k`` is a whole number (the support of a discrete distribution)."""
    return fnp.floor(k) == k


def log1mexp(x: Any) -> Array:
    """``log(1 - exp(x))`` for ``x <= 0``, accurate at both ends."""
    near = x > -0.6931471805599453
    a = fnp.log(-fnp.expm1(safe(near, x, -1.0)))
    b = fnp.log1p(-fnp.exp(safe(near, -1.0, x)))
    return fnp.where(near, a, b)


# ---------------------------------------------------------------------------
# generated docstrings
# ---------------------------------------------------------------------------

_SUMMARY = {
    "logpdf": "The log of the probability density",
    "pdf": "The probability density",
    "logpmf": "The log of the probability mass function",
    "pmf": "The probability mass function",
    "cdf": "The cumulative distribution function ``P(X <= x)``",
    "logcdf": "The log of the cumulative distribution function",
    "sf": "The survival function ``1 - cdf``, accurate where it is tiny",
    "logsf": "The log of the survival function",
    "ppf": "The quantile function (the inverse of ``cdf``)",
    "isf": "The inverse survival function (the inverse of ``sf``)",
}


def document(dist: str, example: str, expected: str, note: str = "") -> Callable[[F], F]:
    """Give a distribution method its docstring: what it computes, the note
    on its derivatives, and a runnable example (checked by the doctests
    against ``expected``, a value scipy gives)."""

    def deco(fn: F) -> F:
        method = fn.__name__
        text = (
            f"{_SUMMARY[method]} of ``scipy.stats.{dist}``, with scipy's arguments, "
            "defaults and broadcasting; NaN for invalid parameters.\n\n"
        )
        if note:
            text += note.strip() + "\n\n"
        text += (
            f">>> from funcdiff.scipy.stats import {dist}\n"
            f'>>> print(f"{{float({dist}.{method}({example})):.6g}}")\n'
            f"{expected}\n"
        )
        fn.__doc__ = text
        return fn

    return deco


# ---------------------------------------------------------------------------
# quantiles without an inverse special function
# ---------------------------------------------------------------------------


def _diagonal_solve(matvec: Callable[[Any], Any], b: Any, n: int) -> Any:
    """The linear solve of ``custom_root`` for an element-wise optimality
    function: its Jacobian in ``x`` is diagonal, read by one product with ones."""
    return b / matvec(fnp.ones_like(b))


def _traced(args: Sequence[Any]) -> bool:
    return any(isinstance(a, Tracer) for a in args)


def implicit_quantile(
    cdf: Callable[..., Array],
    decreasing: bool,
    exact: Callable[..., Any],
    to_x: Callable[[Array], Array],
    span: Callable[[np.dtype[Any]], tuple[float, float]],
    q: Array,
    *params: Array,
) -> Array:
    """The standardized quantile ``x`` with ``cdf(x, *params) == q`` (``cdf``
    is the survival function, and the result ``isf``, when ``decreasing``).

        Values: concrete arguments go to ``scipy.special.<scipy_fn>`` (called
        with ``scipy_args(q, *params)``); traced ones (under ``jit`` or
        ``vmap``) to a bisection in ``u`` (``x = to_x(u)``, increasing, ``u``
        in ``span(dtype)``), 100 halvings in a ``fori_loop``. Derivatives: the
        implicit function theorem on ``cdf(x, *params) - q = 0`` (see
        ``funcdiff.implicit.custom_root``), so ``dx/dq = 1 / pdf(x)`` and a
        parameter gets ``-(dcdf/dparam) / pdf(x)``: where ``cdf`` has no
        derivative in a parameter (``gammainc``'s ``a``...), neither has the
        quantile, and asking raises the special function's
        NonDifferentiableArgumentError."""
    q, *params = fnp.broadcast_arrays(q, *params)
    dtype = q.dtype

    def solver(init: Any, q: Any, *params: Any) -> Any:
        if not _traced((q, *params)):
            with np.errstate(all="ignore"):
                out = exact(*(np.asarray(a, np.float64) for a in (q, *params)))
            out = np.asarray(out, dtype)
            first, last = (np.inf, -np.inf) if decreasing else (-np.inf, np.inf)
            with np.errstate(all="ignore"):
                edge_lo = np.asarray(to_x(fnp.asarray(np.full(np.shape(q), first, dtype))))
                edge_hi = np.asarray(to_x(fnp.asarray(np.full(np.shape(q), last, dtype))))
            out = np.where(q == 0, edge_lo, np.where(q == 1, edge_hi, out))
            return np.where(np.isnan(out) | (q < 0) | (q > 1), np.nan, out).astype(dtype)
        lo0, hi0 = span(dtype)
        lo = fnp.full(q.shape, lo0, dtype)
        hi = fnp.full(q.shape, hi0, dtype)

        def step(i: Any, bounds: tuple[Array, Array]) -> tuple[Array, Array]:
            lo, hi = bounds
            mid = 0.5 * (lo + hi)
            c = cdf(to_x(mid), *params)
            below = c > q if decreasing else c < q
            return fnp.where(below, mid, lo), fnp.where(below, hi, mid)

        lo, hi = lax.fori_loop(0, 100, step, (lo, hi))
        x = to_x(0.5 * (lo + hi))
        first, last = (INF, -INF) if decreasing else (-INF, INF)
        x = fnp.where(q == 0, to_x(fnp.full(q.shape, first, dtype)), x)
        x = fnp.where(q == 1, to_x(fnp.full(q.shape, last, dtype)), x)
        bad = any_(fnp.isnan(cdf(x, *params)), not_(unit(q)))
        return fnp.where(bad, NAN, x)

    def optimality(x: Any, q: Any, *params: Any) -> Any:
        return cdf(x, *params) - q

    root = custom_root(optimality, solve=_diagonal_solve)(solver)
    return root(stop_gradient(fnp.zeros_like(q)), q, *params)  # type: ignore[no-any-return]


def discrete_quantile(
    cdf: Callable[..., Array],
    low: float,
    bound: Callable[..., Array],
    top: Callable[..., Array],
    q: Array,
    *params: Array,
) -> Array:
    """The smallest whole ``k`` with ``cdf(k, *params) >= q`` (the
    standardized ``ppf`` of a discrete distribution on ``low, low+1, ...``),
    by 64 halvings of the whole numbers between ``low - 1`` and
    ``bound(*params)`` (finite, with ``cdf >= q`` for every ``q < 1``);
    ``low - 1`` at ``q = 0`` and the support's end ``top(*params)`` at
    ``q = 1``, as scipy; NaN for ``q`` outside ``[0, 1]`` or invalid
    parameters. Piecewise constant: its derivative is zero (the arguments
    enter through ``stop_gradient``)."""
    q, *params = (stop_gradient(a) for a in fnp.broadcast_arrays(q, *params))
    lo = fnp.zeros_like(q) + (low - 1.0)
    hi = fnp.zeros_like(q) + fnp.ceil(bound(*params))
    hi = fnp.where(fnp.isfinite(hi), hi, lo)

    def step(i: Any, bounds: tuple[Array, Array]) -> tuple[Array, Array]:
        lo, hi = bounds
        mid = fnp.floor(0.5 * (lo + hi))
        enough = cdf(mid, *params) >= q
        return fnp.where(enough, lo, mid), fnp.where(enough, mid, hi)

    lo, hi = lax.fori_loop(0, 64, step, (lo, hi))
    k = fnp.where(q == 0, low - 1.0, fnp.where(q == 1, top(*params), hi))
    bad = any_(fnp.isnan(cdf(fnp.zeros_like(q) + low, *params)), not_(unit(q)))
    return fnp.where(bad, NAN, k)

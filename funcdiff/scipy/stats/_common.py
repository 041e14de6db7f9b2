"""Helpers shared by the distributions of ``funcdiff.scipy.stats``: argument
promotion, the NaN/-inf conventions of scipy, generated docstrings, and the
quantile functions that have no inverse special function (found by scipy or
a bisection, differentiated implicitly)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.api_util import concrete_or_none
from funcdiff.core.typing import ArrayLike
from funcdiff.custom import stop_gradient
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


def standardize(x: Any, loc: Any, scale: Any) -> Array:
    """``(x - loc) / scale``, and ``x`` itself where it is infinite (so that
    its derivative in ``loc`` and ``scale`` is 0 there, not ``inf * 0``)."""
    finite = fnp.isfinite(x)
    return fnp.where(finite, (safe(finite, x, 0.0) - loc) / scale, x)


def safe(ok: Any, x: Any, value: Any = 1.0) -> Array:
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
            f"{_SUMMARY[method]} of ``scipy.stats.{dist}``.\n\n"
            "Arguments, defaults and broadcasting as scipy's; NaN for invalid parameters.\n\n"
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


def _concrete(args: Sequence[Any]) -> list[np.ndarray] | None:
    """The values of ``args`` when all are known now (plain arrays, or the
    tracers of a top-level ``grad``/``jvp``), else None (under ``jit``/``vmap``)."""
    values = [concrete_or_none(a) for a in args]
    return None if any(v is None for v in values) else values  # type: ignore[return-value]


def implicit_quantile(
    cdf: Callable[..., Array],
    complement: Callable[..., Array],
    pdf: Callable[..., Array],
    decreasing: bool,
    exact: Callable[..., Any],
    to_x: Callable[[Array], Array],
    span: Callable[[np.dtype[Any]], tuple[float, float]],
    inner: float,
    q: Array,
    *params: Array,
) -> Array:
    """The standardized quantile ``x`` with ``cdf(x, *params) == q`` (when
    ``decreasing``, ``cdf`` is the survival function and ``x`` the ``isf``;
    ``complement`` is ``1 - cdf``, computed on its own).

    Values: on concrete arguments ``exact(q, *params)`` (scipy's quantile,
    float64 arrays in), checked against ``cdf`` (scipy's own quantiles fail
    in a few far tails: NaN or the wrong sign at ``q = 1e-300``); under
    ``jit``/``vmap``, and where the check fails, a bisection in ``u`` (``x =
    to_x(u)`` increasing, ``u`` in ``span(dtype)``), 100 halvings in a
    ``fori_loop``. Either way ``x0`` is a constant to the transforms.

    Derivatives: implicit differentiation of ``F(x) = cdf(x, *params) - q =
    0``, written as two Newton steps from ``x0``, ``x <- x - F(x) /
    pdf(x)``: at the root a step leaves the value alone, and its derivative
    is the implicit function theorem's (``dx/dq = 1 / pdf``, ``dx/dparam =
    -(dcdf/dparam) / pdf``); each step doubles the order of the correct
    derivatives (orders 1 to 3 are exact). The returned value is ``x0``
    itself (the steps enter as ``x2 - stop_gradient(x2)``). A parameter in
    which ``cdf`` has no derivative (``gammainc``'s ``a``...) has none here:
    asking raises the special function's NonDifferentiableArgumentError.
    ``inner`` is a standardized point with ``pdf > 0`` for every valid
    parameter, where the steps are taken for ``q`` at 0 or 1 or NaN (so they
    make no NaN in a summed derivative)."""
    q, *rest = fnp.broadcast_arrays(q, *params)
    params = tuple(rest)
    dtype = q.dtype
    values = _concrete((q, *params))
    if values is not None:
        x0 = fnp.asarray(_exact(cdf, complement, decreasing, exact, to_x, span, inner, values))
        x0 = x0.astype(dtype)
    else:
        x0 = _bisect(
            cdf, complement, decreasing, to_x, span, stop_gradient(q), *map(stop_gradient, params)
        )
    sign = -1.0 if decreasing else 1.0
    tiny = float(np.finfo(dtype).tiny)
    good = all_(fnp.isfinite(x0), pdf(safe(fnp.isfinite(x0), x0, inner), *params) > tiny)
    x = safe(good, x0, inner)
    qs = safe(good, q, 0.5)
    x_const = x
    with np.errstate(all="ignore"):  # the steps where not ``good`` are discarded
        for _ in range(2):
            x = x - (cdf(x, *params) - qs) / (sign * pdf(x, *params))
    return fnp.where(all_(good, fnp.isfinite(x)), x_const + (x - stop_gradient(x)), x0)


def _exact(
    cdf: Callable[..., Array],
    complement: Callable[..., Array],
    decreasing: bool,
    exact: Callable[..., Any],
    to_x: Callable[[Array], Array],
    span: Callable[[np.dtype[Any]], tuple[float, float]],
    inner: float,
    values: list[np.ndarray],
) -> np.ndarray:
    """``implicit_quantile``'s values on concrete arguments (float64)."""
    q, *params = (np.asarray(v, np.float64) for v in values)
    with np.errstate(all="ignore"):
        out = np.asarray(exact(q, *params), np.float64)
        out = np.where((q < 0) | (q > 1), np.nan, out)
        # check: q between cdf at out's neighbours (1e-9 relative; on the side
        # where the probability is small). scipy's own quantile fails in a few
        # far tails: t.ppf(1e-300, 3.5) is +inf, beta.isf(1e-300, 2, 5) NaN
        small = q <= 0.5
        target = np.where(small, q, 1.0 - q)
        rising = small != decreasing  # the function compared rises with x
        below, above = np.nextafter(out, -np.inf), np.nextafter(out, np.inf)

        def side(x: np.ndarray) -> np.ndarray:
            xs = fnp.asarray(x)
            return np.where(
                small, np.asarray(cdf(xs, *params)), np.asarray(complement(xs, *params))
            )

        lo_f = np.where(rising, side(below), side(above))
        hi_f = np.where(rising, side(above), side(below))
        ok = ~np.isnan(out) & (lo_f <= target * (1 + 1e-9)) & (hi_f >= target * (1 - 1e-9))
        valid = ~np.isnan(np.asarray(cdf(fnp.asarray(np.full_like(q, inner)), *params)))
        redo = ~ok & (q >= 0) & (q <= 1) & valid
    if np.any(redo):
        again = _bisect(cdf, complement, decreasing, to_x, span, fnp.asarray(q), *params)
        out = np.where(redo, np.asarray(again), out)
    return out


def _bisect(
    cdf: Callable[..., Array],
    complement: Callable[..., Array],
    decreasing: bool,
    to_x: Callable[[Array], Array],
    span: Callable[[np.dtype[Any]], tuple[float, float]],
    q: Array,
    *params: Array,
) -> Array:
    """``implicit_quantile``'s values by bisection (any arguments). Above
    ``q = 1/2`` it compares ``complement`` with ``1 - q`` (exact there):
    ``cdf`` rounds near 1, its complement does not."""
    dtype = q.dtype
    lo0, hi0 = span(dtype)
    lo = fnp.full(q.shape, lo0, dtype)
    hi = fnp.full(q.shape, hi0, dtype)
    upper = q > 0.5
    target = fnp.where(upper, 1.0 - q, q)

    rising = fnp.logical_not(upper) if not decreasing else upper

    def root_above(u: Array) -> Array:
        """Whether the root is above ``u`` (the function compared rises: its
        value at ``u`` is below the target; it falls: above)."""
        x = to_x(u)
        c = fnp.where(upper, complement(x, *params), cdf(x, *params))
        return fnp.where(rising, c < target, c > target)

    def step(i: Any, bounds: tuple[Array, Array]) -> tuple[Array, Array]:
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        below = root_above(mid)
        return fnp.where(below, mid, lo), fnp.where(below, hi, mid)

    lo_end, hi_end = lo, hi
    lo, hi = lax.fori_loop(0, 100, step, (lo, hi))
    x = to_x(0.5 * (lo + hi))
    first, last = (INF, -INF) if decreasing else (-INF, INF)
    # the root beyond an end of the span (the quantile overflows): +-inf
    past_lo = fnp.logical_not(root_above(lo_end))
    past_hi = root_above(hi_end)
    x = fnp.where(past_lo, to_x(fnp.full(q.shape, -INF, dtype)), x)
    x = fnp.where(past_hi, to_x(fnp.full(q.shape, INF, dtype)), x)
    x = fnp.where(q == 0, to_x(fnp.full(q.shape, first, dtype)), x)
    x = fnp.where(q == 1, to_x(fnp.full(q.shape, last, dtype)), x)
    bad = any_(fnp.isnan(cdf(x, *params)), not_(unit(q)))
    return fnp.where(bad, NAN, x)


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
    q, *rest = (stop_gradient(a) for a in fnp.broadcast_arrays(q, *params))
    params = tuple(rest)
    lo: Array = fnp.zeros_like(q) + (low - 1.0)
    hi: Array = fnp.zeros_like(q) + fnp.ceil(bound(*params))
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

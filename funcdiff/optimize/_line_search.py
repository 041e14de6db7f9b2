"""Line searches: Armijo backtracking and the strong Wolfe conditions (bracketing
and zoom with cubic interpolation)."""

from __future__ import annotations

import math

import numpy as np

from funcdiff.optimize._problem import EPS, Problem


def armijo(
    prob: Problem,
    z: np.ndarray,
    f: float,
    slope: float,
    d: np.ndarray,
    alpha: float,
    c1: float,
    shrink: float,
    max_backtracks: int = 60,
) -> tuple[float, float] | None:
    """Backtrack from ``alpha`` until ``f(z + a d) <= f + c1 a slope``; (a, f_new) or None."""
    for _ in range(max_backtracks):
        f_new = prob.fun(z + alpha * d)
        if f_new <= f + c1 * alpha * slope:
            return alpha, f_new
        alpha *= shrink
    return None


def _cubic_min(a: float, fa: float, da: float, b: float, fb: float, db: float) -> float | None:
    """The minimizer of the cubic interpolating (f, f') at a and b, or None."""
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    disc = d1 * d1 - da * db
    if not disc >= 0:
        return None
    d2 = math.copysign(math.sqrt(disc), b - a)
    denom = db - da + 2.0 * d2
    if denom == 0:
        return None
    t = b - (b - a) * (db + d2 - d1) / denom
    return t if math.isfinite(t) else None


def wolfe(
    prob: Problem,
    z: np.ndarray,
    f0: float,
    g0: np.ndarray,
    d: np.ndarray,
    alpha1: float,
    c1: float,
    c2: float,
    maxiter: int = 30,
) -> tuple[float, float, np.ndarray] | None:
    """Strong Wolfe line search (bracketing + zoom, cubic interpolation).

    Returns ``(alpha, f(z + alpha d), grad f(z + alpha d))`` or None.
    """
    d0 = float(g0 @ d)
    # a point satisfying sufficient decrease, in case the curvature condition is never met
    best: tuple[float, float, np.ndarray] | None = None

    def phi(a: float) -> tuple[float, float, np.ndarray]:
        fa, ga = prob.value_and_grad(z + a * d)
        return fa, float(ga @ d), ga

    def zoom(
        lo: float, f_lo: float, d_lo: float, hi: float, f_hi: float, d_hi: float
    ) -> tuple[float, float, np.ndarray] | None:
        nonlocal best
        for _ in range(maxiter):
            width = hi - lo
            a = _cubic_min(lo, f_lo, d_lo, hi, f_hi, d_hi)
            left, right = min(lo, hi), max(lo, hi)
            margin = 0.1 * abs(width)
            if a is None or not (left + margin <= a <= right - margin):
                a = 0.5 * (lo + hi)
            fa, da, ga = phi(a)
            if not math.isfinite(fa) or fa > f0 + c1 * a * d0 or fa >= f_lo:
                hi, f_hi, d_hi = a, fa, da
            else:
                best = (a, fa, ga)
                if abs(da) <= -c2 * d0:
                    return a, fa, ga
                if da * (hi - lo) >= 0:
                    hi, f_hi, d_hi = lo, f_lo, d_lo
                lo, f_lo, d_lo = a, fa, da
            if abs(hi - lo) <= EPS * max(1.0, abs(lo)):
                break
        return best

    a_prev, f_prev, d_prev = 0.0, f0, d0
    a = alpha1
    for i in range(maxiter):
        fa, da, ga = phi(a)
        if not math.isfinite(fa) or fa > f0 + c1 * a * d0 or (i > 0 and fa >= f_prev):
            if not math.isfinite(fa):
                # step into a region where f is not finite: treat like an overshoot
                da = math.inf
            return zoom(a_prev, f_prev, d_prev, a, fa, da if math.isfinite(da) else 1e300)
        best = (a, fa, ga)
        if abs(da) <= -c2 * d0:
            return a, fa, ga
        if da >= 0:
            return zoom(a, fa, da, a_prev, f_prev, d_prev)
        a_prev, f_prev, d_prev = a, fa, da
        a = 2.0 * a
    return best


__all__ = ["armijo", "wolfe"]

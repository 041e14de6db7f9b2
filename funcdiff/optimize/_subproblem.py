"""The trust-region subproblem ``min g.p + 1/2 p^T H p  subject to  |p| <= radius``:
solved exactly (eigendecomposition, secular equation, hard case) or by
Steihaug's truncated conjugate gradients (matrix-free)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from funcdiff.optimize._problem import EPS


@dataclass
class SubproblemResult:
    """A solution of ``min g.p + 1/2 p^T H p  subject to  |p| <= radius``.

    Attributes:
      p: the step (flat).
      hits_boundary: ``|p|`` equals the radius (up to rounding).
      method: ``"exact"`` or ``"cg"``.
      lam: the Lagrange multiplier ``lambda >= 0`` of the exact solution,
        ``(H + lambda I) p = -g`` (None for CG).
      hard_case: the exact solver met the "hard case" (g orthogonal to the
        eigenspace of the smallest eigenvalue, which is <= 0).
      iterations: secular-equation iterations (exact) or CG iterations.
      negative_curvature: CG stopped on a direction of non-positive curvature.

    >>> import numpy as np
    >>> s = solve_trust_region_exact(np.array([1.0, 0.0]), np.eye(2), radius=10.0)
    >>> s.p
    array([-1.,  0.])
    """

    p: np.ndarray
    hits_boundary: bool
    method: str
    lam: float | None = None
    hard_case: bool = False
    iterations: int = 0
    negative_curvature: bool = False


def _to_boundary(z: np.ndarray, d: np.ndarray, radius: float) -> np.ndarray:
    """``z + tau d`` with tau >= 0 and ``|z + tau d| = radius`` (|z| <= radius)."""
    a = float(d @ d)
    b = 2.0 * float(z @ d)
    c = float(z @ z) - radius * radius
    disc = max(b * b - 4.0 * a * c, 0.0)
    # numerically stable positive root (c <= 0)
    tau = (-b + math.sqrt(disc)) / (2.0 * a) if b <= 0 else (-2.0 * c) / (b + math.sqrt(disc))
    return z + tau * d


def solve_trust_region_exact(
    g: np.ndarray, H: np.ndarray, radius: float, *, rtol: float = 1e-10, maxiter: int = 200
) -> SubproblemResult:
    """The exact minimizer of ``g.p + 1/2 p^T H p`` over ``|p| <= radius``.

    With ``H = V diag(w) V^T`` (``np.linalg.eigh``), the solution is
    ``p(lam) = -(H + lam I)^-1 g`` for the ``lam >= max(0, -w_min)`` that
    makes ``|p(lam)| = radius`` (or ``lam = 0`` when H is positive definite
    and the Newton step lies inside the ball). The secular equation
    ``1/|p(lam)| = 1/radius`` is solved by safeguarded Newton iterations
    (Moré & Sorensen) within a bracket. In the *hard case* (``g`` has no
    component along the eigenvector of ``w_min <= 0`` and ``|p(-w_min)| <=
    radius``), ``p = p(-w_min) + tau v_min`` reaches the boundary along that
    eigenvector. One eigendecomposition per call: meant for small n.

    >>> import numpy as np
    >>> H = np.array([[2.0, 0.0], [0.0, -1.0]])
    >>> r = solve_trust_region_exact(np.array([1.0, 0.0]), H, 1.0)  # the hard case
    >>> r.hard_case, r.p.round(6), round(float(np.linalg.norm(r.p)), 12)
    (True, array([-0.333333,  0.942809]), 1.0)
    """
    g = np.asarray(g, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    if not radius > 0:
        raise ValueError(f"solve_trust_region_exact: radius must be > 0, got {radius}")
    w, V = np.linalg.eigh(0.5 * (H + H.T))
    gt = V.T @ g
    gnorm = float(np.linalg.norm(g))
    w_min = float(w[0])
    wscale = max(float(np.max(np.abs(w))), 1e-300)

    def norm_p(lam: float) -> float:
        return float(np.linalg.norm(gt / (w + lam)))

    if w_min > 0:
        p = -(V @ (gt / w))
        if float(np.linalg.norm(p)) <= radius:
            return SubproblemResult(p, False, "exact", lam=0.0)
    lam_lo = max(0.0, -w_min)
    if w_min <= 0:
        # hard case: g (numerically) orthogonal to the eigenspace of w_min
        in_space = (w - w_min) <= 1e-10 * wscale
        rest = ~in_space
        g_in = float(np.linalg.norm(gt[in_space]))
        if g_in <= 1e-10 * max(gnorm, 1e-300) or gnorm == 0.0:
            q = np.zeros_like(gt)
            q[rest] = -gt[rest] / (w[rest] - w_min)
            qn = float(np.linalg.norm(q))
            if qn <= radius:
                tau = math.sqrt(max(radius * radius - qn * qn, 0.0))
                p = V @ q + tau * V[:, 0]
                return SubproblemResult(p, True, "exact", lam=lam_lo, hard_case=True)
    # easy case: the root of phi(lam) = 1/|p(lam)| - 1/radius in (lam_lo, lam_hi]
    lam_hi = lam_lo + gnorm / radius
    while norm_p(lam_hi) > radius:  # rounding guard
        lam_hi = lam_lo + 2.0 * (lam_hi - lam_lo) + 1e-300
    lo, hi = lam_lo, lam_hi
    lam = hi
    it = 0
    for it in range(1, maxiter + 1):  # noqa: B007 -- `it` is reported
        q = gt / (w + lam)
        qn = float(np.linalg.norm(q))
        if abs(qn - radius) <= rtol * radius:
            break
        if qn > radius:
            lo = lam
        else:
            hi = lam
        # Newton on phi: phi' = (sum gt^2/(w+lam)^3) / |p|^3
        dq = float(np.sum(q * q / (w + lam)))
        lam_new = lam + (qn / radius - 1.0) * qn * qn / dq if dq > 0 else math.nan
        if not (lo < lam_new < hi):
            lam_new = 0.5 * (lo + hi)
        if hi - lo <= 4 * EPS * max(1.0, abs(hi)):
            lam = hi
            break
        lam = lam_new
    p = -(V @ (gt / (w + lam)))
    return SubproblemResult(p, True, "exact", lam=lam, iterations=it)


def steihaug_cg(
    g: np.ndarray,
    hvp: Callable[[np.ndarray], np.ndarray],
    radius: float,
    *,
    rtol: float | None = None,
    maxiter: int | None = None,
) -> SubproblemResult:
    """Steihaug's truncated conjugate gradients for ``min g.p + 1/2 p^T H p, |p| <= radius``.

    Matrix-free: ``H`` enters only through ``hvp(v) = H v``. CG runs from
    ``p = 0`` and stops (Nocedal & Wright, Alg. 7.2) when

    - a direction of non-positive curvature ``d^T H d <= 0`` is met, or the
      next iterate would leave the ball: the step then goes to the boundary;
    - the residual ``|H p + g| <= rtol |g|`` (default
      ``rtol = min(0.5, sqrt(|g|))``, which gives superlinear convergence of
      the outer trust-region method); or after ``maxiter`` (default ``2 n``).

    The first CG step is the Cauchy point, so the decrease is at least the
    steepest-descent one.

    >>> import numpy as np
    >>> H = np.array([[4.0, 1.0], [1.0, 3.0]]); g = np.array([1.0, 2.0])
    >>> r = steihaug_cg(g, lambda v: H @ v, 10.0, rtol=1e-12)
    >>> np.allclose(r.p, np.linalg.solve(H, -g)), r.hits_boundary
    (True, False)
    """
    g = np.asarray(g, dtype=np.float64)
    if not radius > 0:
        raise ValueError(f"steihaug_cg: radius must be > 0, got {radius}")
    n = g.shape[0]
    gnorm = float(np.linalg.norm(g))
    z = np.zeros(n)
    if gnorm == 0.0:
        return SubproblemResult(z, False, "cg")
    tol = (min(0.5, math.sqrt(gnorm)) if rtol is None else rtol) * gnorm
    maxiter = 2 * n if maxiter is None else maxiter
    r = g.copy()
    d = -r
    rr = float(r @ r)
    for j in range(maxiter):
        Hd = np.asarray(hvp(d), dtype=np.float64)
        dHd = float(d @ Hd)
        if not dHd > 0:
            return SubproblemResult(
                _to_boundary(z, d, radius), True, "cg", iterations=j + 1, negative_curvature=True
            )
        alpha = rr / dHd
        z_new = z + alpha * d
        if float(np.linalg.norm(z_new)) >= radius:
            return SubproblemResult(_to_boundary(z, d, radius), True, "cg", iterations=j + 1)
        z = z_new
        r = r + alpha * Hd
        rr_new = float(r @ r)
        if math.sqrt(rr_new) <= tol:
            return SubproblemResult(z, False, "cg", iterations=j + 1)
        d = -r + (rr_new / rr) * d
        rr = rr_new
    return SubproblemResult(z, False, "cg", iterations=maxiter)


__all__ = ["SubproblemResult", "solve_trust_region_exact", "steihaug_cg"]

"""Levenberg-Marquardt for nonlinear least squares: minimize ``1/2 |r(x)|^2``.

Each iteration linearizes the residual, ``r(x + p) ~ r + J p``, and takes the
minimizer of the damped Gauss-Newton model

    1/2 |r + J p|^2 + 1/2 mu |D p|^2,

i.e. ``(J^T J + mu D^T D) p = -J^T r``. ``D`` is Moré's scaling (the running
maximum of the column norms of ``J``, so the method does not depend on the
units of the parameters). The damping ``mu`` is chosen one of two ways:

- ``update="trust-region"`` (default, Moré 1978, as MINPACK's ``lmder``):
  a radius ``delta`` on ``|D p|`` is kept, shrunk after poor steps and grown
  after good ones, and ``mu`` is the damping whose step has length
  ``delta`` (``mu = 0``, the Gauss-Newton step, when that one fits);
- ``update="nielsen"`` (Nielsen 1999): ``mu`` itself is updated from the gain
  ratio ``rho``: shrunk by ``max(1/3, 1 - (2 rho - 1)^3)`` after a good step,
  multiplied by a growing factor ``nu`` (2, 4, 8, ...) after a rejected one.

The damped system is never formed as normal equations: ``J = QR`` once per
Jacobian, then each trial solves the small least-squares problem
``[R D^-1; sqrt(mu) I] (D p) = [-Q^T r; 0]``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from funcdiff.api import jacfwd, jacrev
from funcdiff.api_util import fun_name
from funcdiff.errors import ShapeError
from funcdiff.jit import jit as _jit
from funcdiff.optimize._loop import Run, check_common
from funcdiff.optimize._problem import Fun, Problem
from funcdiff.optimize._result import Callback, IterationRecord, OptimizeResult

#: Why a run stopped (``OptimizeResult.message``).
GTOL = "converged: scaled gradient <= gtol"
XTOL = "converged: relative step <= xtol"
FTOL = "converged: relative decrease of |r|^2 <= ftol"
ZERO = "converged: the residual is zero"


def _check_residual(where: str, residual: Fun, out: Any) -> np.ndarray:
    arr = np.asarray(out)
    if arr.ndim != 1:
        raise ShapeError(
            f"{where}: the residual must return a vector (shape (m,)), but "
            f"{fun_name(residual)} returned shape {arr.shape}"
            + (
                "; for a scalar objective use funcdiff.optimize.minimize"
                if arr.ndim == 0
                else "; ravel it (r.reshape(-1)) to fit every entry"
            )
        )
    if arr.dtype.kind != "f":
        raise TypeError(f"{where}: the residual must be floating point, got dtype {arr.dtype}")
    return np.asarray(arr, dtype=np.float64)


class _LeastSquaresProblem(Problem):
    """``1/2 |r(unravel(z))|^2`` on a flat vector, with the residual and its Jacobian."""

    def __init__(self, residual: Fun, x0: Any, *, use_jit: bool, where: str, jac: str) -> None:
        if not callable(residual):
            raise TypeError(
                f"{where}: residual must be a callable returning a vector, got "
                f"{type(residual).__name__}"
            )

        def half_sq(x: Any) -> Any:
            r = residual(x)
            return 0.5 * (r * r).sum()

        super().__init__(half_sq, x0, use_jit=use_jit, where=where)
        self.njev = 0
        unravel = self.unravel

        def r_flat(z: Any) -> Any:
            return residual(unravel(z))

        m = _check_residual(where, residual, r_flat(self.x0)).shape[0]
        self.m = m
        if jac == "auto":
            jac = "fwd" if self.n <= m else "rev"
        jac_fn = jacfwd(r_flat) if jac == "fwd" else jacrev(r_flat)

        def r_and_jac(z: Any) -> tuple[Any, Any]:
            return r_flat(z), jac_fn(z)

        self._r: Fun = _jit(r_flat) if use_jit else r_flat
        self._rj: Fun = _jit(r_and_jac) if use_jit else r_and_jac

    def residual(self, z: np.ndarray) -> np.ndarray:
        self.nfev += 1
        return np.asarray(self._r(z), dtype=np.float64).reshape(self.m)

    def residual_and_jac(
        self, z: np.ndarray, *, new_point: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(r, J)`` at ``z``; ``new_point=False``: r there was already counted."""
        self.nfev += new_point
        self.njev += 1
        r, J = self._rj(z)
        return (
            np.asarray(r, dtype=np.float64).reshape(self.m),
            np.asarray(J, dtype=np.float64).reshape(self.m, self.n),
        )


class _LMRun(Run):
    """The shared loop, with the damping ``mu`` in the verbose table."""

    HEADER = (
        f"{'iter':>5} {'f(x)':>15} {'|grad|':>10} {'|step|':>10} {'predicted':>11} "
        f"{'actual':>11} {'rho':>8} {'mu':>9} {'ok':>3}"
    )

    def row(self, rec: IterationRecord) -> str:
        def cell(v: float | None, width: int, spec: str) -> str:
            return "-".rjust(width) if v is None else format(v, spec).rjust(width)

        return (
            f"{rec.nit:>5d} {rec.f:>15.8e} {rec.grad_norm:>10.3e} "
            f"{cell(rec.step_norm, 10, '.3e')} {cell(rec.predicted, 11, '.3e')} "
            f"{cell(rec.actual, 11, '.3e')} {cell(rec.rho, 8, '.3f')} "
            f"{cell(rec.damping, 9, '.2e')} {'yes' if rec.accepted else 'no':>3}"
        )

    def finish(self) -> OptimizeResult:
        verbose, self.verbose = self.verbose, False
        res = super().finish()
        # each Jacobian also gives the gradient J^T r
        res.njev = res.ngev = int(getattr(self.prob, "njev", 0))
        self.verbose = verbose
        if verbose:
            self._print("-" * len(self.HEADER))
            for line in str(res).splitlines():
                self._print(line)
        return res


def _damped_step(
    R: np.ndarray, qtr: np.ndarray, d: np.ndarray, mu: float
) -> tuple[np.ndarray, float, float]:
    """Minimize ``|R p + qtr|^2 + mu |d * p|^2``: ``(p, |J p|^2, |D p|^2)``.

    In the scaled variable ``q = D p`` the stacked system ``[R D^-1;
    sqrt(mu) I] q = [-qtr; 0]`` is well balanced (its singular values are at
    least ``sqrt(mu)``); ``np.linalg.lstsq`` solves it by an orthogonal
    factorization (the conditioning of J, not of J^T J)."""
    n = d.shape[0]
    A = np.concatenate([R / d, math.sqrt(mu) * np.eye(n)], axis=0)
    b = np.concatenate([-qtr, np.zeros(n)])
    q = np.linalg.lstsq(A, b, rcond=None)[0]
    p = q / d
    Rp = R @ p
    return p, float(Rp @ Rp), float(q @ q)


def _damping_for_radius(
    R: np.ndarray, qtr: np.ndarray, d: np.ndarray, delta: float, mu: float
) -> tuple[float, np.ndarray, float, float]:
    """Moré's ``lmpar``: the damping ``mu`` whose step has ``|D p| ~ delta``.

    ``mu = 0`` (the Gauss-Newton step) when that step is inside the region;
    otherwise a safeguarded Newton iteration on ``1/|D p(mu)| = 1/delta``
    (Moré 1978), stopped within 10%. Returns ``(mu, p, |J p|^2, |D p|^2)``."""
    p, jp2, dp2 = _damped_step(R, qtr, d, 0.0)
    if math.sqrt(dp2) <= 1.1 * delta:
        return 0.0, p, jp2, dp2
    n = d.shape[0]
    A = R / d
    lo, hi = 0.0, float(np.linalg.norm(A.T @ qtr)) / delta
    if not lo < mu < hi:
        mu = 1e-3 * hi
    for _ in range(10):
        p, jp2, dp2 = _damped_step(R, qtr, d, mu)
        qn = math.sqrt(dp2)
        phi = qn - delta
        if abs(phi) <= 0.1 * delta:
            break
        if phi > 0:
            lo = max(lo, mu)
        else:
            hi = min(hi, mu)
        # q^T (A^T A + mu I)^-1 q through the triangular factor of [A; sqrt(mu) I]
        _, Ra = np.linalg.qr(np.concatenate([A, math.sqrt(mu) * np.eye(n)], axis=0))
        w = np.linalg.solve(Ra.T, d * p)
        mu = max(lo, mu + (phi / delta) * dp2 / float(w @ w))
        if not lo < mu < hi:
            mu = max(1e-3 * hi, math.sqrt(lo * hi))
    return mu, p, jp2, dp2


def levenberg_marquardt(
    residual: Fun,
    x0: Any,
    *,
    gtol: float = 1e-10,
    xtol: float = 1e-10,
    ftol: float = 1e-14,
    maxiter: int = 500,
    mu0: float = 1e-3,
    scale: bool = True,
    update: Literal["trust-region", "nielsen"] = "trust-region",
    jac: Literal["auto", "fwd", "rev"] = "auto",
    jit: bool = False,
    verbose: bool = False,
    progress: bool = False,
    callback: Callback | None = None,
    keep_x: bool = True,
) -> OptimizeResult:
    """Levenberg-Marquardt: minimize ``f(x) = 1/2 |r(x)|^2`` for a vector residual ``r``.

    Each iteration solves the damped Gauss-Newton system
    ``(J^T J + mu D^T D) p = -J^T r`` (by an orthogonal factorization of
    ``[J; sqrt(mu) D]``, never by forming ``J^T J``), where ``J`` is the
    residual's Jacobian (``jacfwd`` or ``jacrev``, exact) and ``D`` Moré's
    diagonal scaling: ``D_ii`` is the largest norm column ``i`` of ``J`` has
    had so far (``scale=False``: ``D = I``, Levenberg's original damping). The
    step is taken when the gain ratio ``rho = actual / predicted decrease`` is
    positive. The damping follows Moré's trust region (default: ``mu`` makes
    ``|D p|`` match a radius that shrinks after poor steps and grows after
    good ones) or Nielsen's update of ``mu`` itself (``update="nielsen"``).
    Close to a zero-residual solution this is Gauss-Newton: quadratic
    convergence.

    Args:
      residual: ``r(x)``, returning a float vector of shape (m,) (any m,
        more or fewer equations than unknowns).
      x0: the starting point: a vector, a list of numbers, or a pytree.
      gtol: stop when every scaled gradient component (the cosine of the
        angle between ``r`` and a column of ``J``, as in MINPACK)
        ``|J_i . r| / (|J_i| |r|) <= gtol``.
      xtol: stop when ``|D p| <= xtol (|D x| + xtol)`` for a step ``p``.
      ftol: stop when the actual and the predicted relative decrease of
        ``|r|^2`` are both ``<= ftol`` for a step.
      maxiter: maximum number of iterations (each tries one step: one
        evaluation of ``r``, and one of ``J`` after an accepted step).
      mu0: the initial damping of ``update="nielsen"``: ``mu0 D^T D`` with the
        scaling, ``mu0 max_i (J^T J)_ii I`` without (the trust region starts
        from the radius ``100 |D x0|``).
      scale: Moré's scaling ``D`` (default) or ``D = I``.
      update: ``"trust-region"`` (Moré's radius, as MINPACK) or
        ``"nielsen"`` (the damping updated from the gain ratio).
      jac: ``"fwd"`` (``jacfwd``), ``"rev"`` (``jacrev``) or ``"auto"``
        (forward when there are no more unknowns than residuals).
      jit: compile ``r`` and ``(r, J)`` with ``funcdiff.jit`` once.
      verbose: print a table, one row per iteration (``mu`` is the damping,
        ``ok`` whether the step was accepted).
      progress, callback, keep_x: see :func:`gradient_descent`.

    Returns:
      An :class:`OptimizeResult`: ``fun`` is ``1/2 |r(x)|^2``, ``grad`` is
      ``J^T r``; ``nfev`` counts evaluations of ``r``, ``njev`` of ``J``. The
      history's ``damping`` is ``mu``, ``radius`` the trust radius (None for
      ``"nielsen"``), ``accepted`` whether the step was taken,
      ``predicted`` the damped model's decrease.

    Fitting ``y = a exp(b t)`` to exact data recovers ``a`` and ``b``:

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> t = np.linspace(0.0, 1.0, 8); y = 2.0 * np.exp(-1.5 * t)
    >>> res = levenberg_marquardt(lambda p: p[0] * fnp.exp(p[1] * t) - y, [1.0, 0.0])
    >>> res.success, res.x.round(10), res.nit
    (True, array([ 2. , -1.5]), 5)
    """
    where = "levenberg_marquardt"
    check_common(where, 0.0, maxiter)
    for name, v in (("gtol", gtol), ("xtol", xtol), ("ftol", ftol)):
        if not v >= 0:
            raise ValueError(f"{where}: {name} must be >= 0, got {v}")
    if not mu0 > 0:
        raise ValueError(f"{where}: mu0 must be > 0, got {mu0}")
    if update not in ("trust-region", "nielsen"):
        raise ValueError(f"{where}: update must be 'trust-region' or 'nielsen', got {update!r}")
    if jac not in ("auto", "fwd", "rev"):
        raise ValueError(f"{where}: jac must be 'auto', 'fwd' or 'rev', got {jac!r}")
    prob = _LeastSquaresProblem(residual, x0, use_jit=jit, where=where, jac=jac)
    run = _LMRun(
        prob,
        "levenberg-marquardt",
        tol=0.0,
        maxiter=maxiter,
        verbose=verbose,
        progress=progress,
        keep_x=keep_x,
        callback=callback,
    )
    z = prob.x0
    r, J = prob.residual_and_jac(z)
    f = 0.5 * float(r @ r)
    g = J.T @ r
    run.start(z, f, g, damping=None)
    n = prob.n
    col = np.linalg.norm(J, axis=0)
    d = np.where(col > 0, col, 1.0) if scale else np.ones(n)
    mu = mu0 if scale else mu0 * max(float(np.max(col * col, initial=0.0)), 1e-300)
    nu = 2.0
    trust = update == "trust-region"
    dx = float(np.linalg.norm(d * z))
    delta = 100.0 * dx if dx > 0 else 100.0
    first = True
    Q, R = np.linalg.qr(J)
    qtr = Q.T @ r

    def converged_gradient() -> bool:
        rn = math.sqrt(2.0 * f)
        if rn == 0.0:
            return True
        colj = np.linalg.norm(J, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = np.where(colj > 0, np.abs(g) / (colj * rn), 0.0)
        return bool(np.max(cos, initial=0.0) <= gtol)

    message = None
    if f == 0.0:
        message = ZERO
    elif converged_gradient():
        message = GTOL
    while message is None and run.going():
        if not (np.all(np.isfinite(J)) and np.all(np.isfinite(r))):
            run.fail("the residual or its Jacobian is not finite")
            break
        if trust:
            mu, p, jp2, dp2 = _damping_for_radius(R, qtr, d, delta, mu)
        else:
            p, jp2, dp2 = _damped_step(R, qtr, d, mu)
        predicted = 0.5 * jp2 + mu * dp2  # = -(g.p + 1/2 |J p|^2) at the damped minimizer
        info_mu = mu
        z_new = z + p
        with np.errstate(all="ignore"):  # a trial point may overflow: it is rejected
            r_new = prob.residual(z_new)
            f_new = 0.5 * float(r_new @ r_new)
        if not math.isfinite(f_new):
            f_new = math.inf
        actual = f - f_new
        rho = actual / predicted if predicted > 0 else -math.inf
        step_norm = float(np.linalg.norm(p))
        pnorm = math.sqrt(dp2)
        if trust and first:
            delta = min(delta, pnorm)
        first = False
        radius = delta if trust else None
        if trust:  # Moré's radius update (MINPACK's lmder)
            if rho < 0.25:
                actred = actual / f if math.isfinite(actual) else -math.inf
                dirder = -(jp2 + mu * dp2) / (2.0 * f)
                temp = 0.5 if actred >= 0 else 0.5 * dirder / (dirder + 0.5 * actred)
                if f_new > 100.0 * f or not temp >= 0.1:
                    temp = 0.1
                delta = temp * min(delta, pnorm / 0.1)
                mu /= temp
            elif mu == 0 or rho >= 0.75:
                delta = pnorm / 0.5
                mu *= 0.5
        small_step = (delta if trust else pnorm) <= xtol * (float(np.linalg.norm(d * z)) + xtol)
        small_decrease = f > 0 and abs(actual) <= ftol * f and predicted <= ftol * f and rho <= 2.0
        info: dict[str, Any] = {
            "step_norm": step_norm,
            "predicted": predicted,
            "actual": actual if math.isfinite(actual) else None,
            "rho": rho if math.isfinite(rho) else None,
            "damping": info_mu,
            "radius": radius,
        }
        if rho > (1e-4 if trust else 0.0):
            z, r, f = z_new, r_new, f_new
            r, J = prob.residual_and_jac(z, new_point=False)
            g = J.T @ r
            if scale:
                d = np.maximum(d, np.linalg.norm(J, axis=0))
            Q, R = np.linalg.qr(J)
            qtr = Q.T @ r
            if not trust:
                mu *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
                nu = 2.0
            run.step(z, f, g, accepted=True, **info)
        else:
            if not trust:
                mu *= nu
                nu *= 2.0
            run.step(z, f, g, accepted=False, **info)
        if f == 0.0:
            message = ZERO
        elif converged_gradient():
            message = GTOL
        elif small_decrease:
            message = FTOL
        elif small_step:
            message = XTOL
        elif not math.isfinite(mu) or mu > 1e300 / max(float(np.max(d * d)), 1.0):
            run.fail("the damping overflowed: no step decreases |r| (precision limit?)")
            break
    if message is not None:
        run.success, run.message = True, message
    return run.finish()


__all__ = ["levenberg_marquardt"]

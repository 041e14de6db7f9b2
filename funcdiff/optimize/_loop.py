"""What every method's loop shares: argument checks, and :class:`Run`, which
holds the current point and the iteration count, applies the stopping rules,
keeps the history, prints the verbose table, calls the callback and builds
the result.

Each method is then its own step rule inside the same loop::

    run = Run(prob, "name", tol=tol, maxiter=maxiter, ...)
    run.start(z, f, g)
    while run.going():
        ...                     # one step; on failure: run.fail(why); break
        run.step(z, f, g, step_norm=..., predicted=..., ...)
    return run.finish()
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from funcdiff.core.progress import progress as progress_bar
from funcdiff.optimize._problem import Problem
from funcdiff.optimize._result import Callback, IterationRecord, OptimizeResult

CONVERGED = "converged: |grad| <= tol"
MAXITER = "maximum number of iterations reached"
CALLBACK = "stopped by the callback"
#: An Armijo backtracking that found no step length.
NO_DECREASE = "line search failed: no step length decreases f (precision limit?)"


def check_common(where: str, tol: float, maxiter: int) -> None:
    """The arguments every method takes."""
    if not tol >= 0:
        raise ValueError(f"{where}: tol must be >= 0, got {tol}")
    if not (isinstance(maxiter, (int, np.integer)) and maxiter >= 0):
        raise ValueError(f"{where}: maxiter must be an int >= 0, got {maxiter!r}")


def check_armijo(where: str, c1: float, shrink: float) -> None:
    """The constants of an Armijo backtracking."""
    if not 0 < shrink < 1 or not 0 < c1 < 1:
        raise ValueError(f"{where}: need 0 < shrink < 1 and 0 < c1 < 1, got {shrink}, {c1}")


def _cell(v: float | None, width: int, spec: str) -> str:
    if v is None:
        return "-".rjust(width)
    return format(v, spec).rjust(width)


class Run:
    """One run of a method on ``prob``: the current point ``z`` with ``f`` and
    gradient ``g``, the iterations done (``nit``), why it stopped, the history."""

    HEADER = (
        f"{'iter':>5} {'f(x)':>15} {'|grad|':>10} {'|step|':>10} {'predicted':>11} "
        f"{'actual':>11} {'rho':>8} {'radius':>9} {'alpha':>9}"
    )
    # the current point, set by start() and step()
    z: np.ndarray
    f: float
    g: np.ndarray
    gnorm: float

    def __init__(
        self,
        prob: Problem,
        method: str,
        *,
        tol: float,
        maxiter: int,
        verbose: bool,
        keep_x: bool,
        callback: Callback | None,
        progress: bool = False,
    ) -> None:
        self.prob = prob
        self.method = method
        self.tol = tol
        self.maxiter = maxiter
        self.verbose = verbose
        self.keep_x = keep_x
        self.callback = callback
        self.history: list[IterationRecord] = []
        self.nit = 0
        self.success = False
        self.message = MAXITER
        self.stop = False  # the callback asked to stop
        self.t0 = time.perf_counter()
        self.show_progress = bool(progress)
        self.bar = progress_bar(maxiter, method, self.show_progress)
        if verbose:
            self._print(f"{method}: n = {prob.n}")
            self._print(self.HEADER)
            self._print("-" * len(self.HEADER))

    def _print(self, line: str) -> None:
        print(line, file=sys.stdout)

    def start(self, z: np.ndarray, f: float, g: np.ndarray, **info: Any) -> None:
        """The starting point (``nit == 0``); ``f`` must be finite there."""
        if not math.isfinite(f):
            raise ValueError(
                f"{self.prob.where}: f(x0) = {f}; start from a point where f is finite"
            )
        self._move(z, f, g, info)

    def going(self, confirm_minimum: Callable[[], bool] | None = None) -> bool:
        """False when the run is over: converged (``|g| <= tol``, and
        ``confirm_minimum()`` when given), stopped by the callback, or out of
        iterations. Sets :attr:`success` and :attr:`message`."""
        if self.gnorm <= self.tol and (confirm_minimum is None or confirm_minimum()):
            self.success, self.message = True, CONVERGED
            return False
        if self.stop:
            self.message = CALLBACK
            return False
        return self.nit < self.maxiter

    def fail(self, message: str) -> None:
        """The method cannot take a step: the run ends with ``message``."""
        self.message = message

    def step(self, z: np.ndarray, f: float, g: np.ndarray, **info: Any) -> None:
        """An iteration done: ``z`` is the new point (the same one after a
        rejected step); ``info`` fills the :class:`IterationRecord`."""
        self.nit += 1
        self._move(z, f, g, info)

    def _move(self, z: np.ndarray, f: float, g: np.ndarray, info: dict[str, Any]) -> None:
        self.z, self.f, self.g = z, f, g
        self.gnorm = float(np.linalg.norm(g))
        rec = IterationRecord(
            nit=self.nit,
            x=z.copy() if self.keep_x else None,
            f=f,
            grad_norm=self.gnorm,
            time=time.perf_counter() - self.t0,
            **info,
        )
        self.history.append(rec)
        if self.show_progress:
            if self.nit:
                self.bar.update()
            self.bar.set_postfix(f"f={f:.6g} |grad|={self.gnorm:.2e}")
        if self.verbose:
            self._print(self.row(rec))
        if self.callback is not None:
            self.stop = bool(self.callback(rec))

    def row(self, rec: IterationRecord) -> str:
        """The verbose table's row for ``rec`` (under :attr:`HEADER`)."""
        return (
            f"{rec.nit:>5d} {rec.f:>15.8e} {rec.grad_norm:>10.3e} "
            f"{_cell(rec.step_norm, 10, '.3e')} {_cell(rec.predicted, 11, '.3e')} "
            f"{_cell(rec.actual, 11, '.3e')} {_cell(rec.rho, 8, '.3f')} "
            f"{_cell(rec.radius, 9, '.3e')} {_cell(rec.alpha, 9, '.3e')}"
        )

    def finish(self) -> OptimizeResult:
        """The result at the current point."""
        self.bar.close()
        prob, z, g = self.prob, self.z, self.g
        res = OptimizeResult(
            x=prob.unravel(z.copy()),
            fun=self.f,
            grad=prob.unravel(g.copy()),
            grad_norm=float(np.linalg.norm(g)),
            nit=self.nit,
            nfev=prob.nfev,
            ngev=prob.ngev,
            nhev=prob.nhev,
            nhvp=prob.nhvp,
            success=self.success,
            message=self.message,
            method=self.method,
            history=self.history,
            time=time.perf_counter() - self.t0,
            x_flat=z.copy(),
            unravel=prob.unravel,
        )
        if self.verbose:
            self._print("-" * len(self.HEADER))
            for line in str(res).splitlines():
                self._print(line)
        return res


__all__ = ["NO_DECREASE", "Run", "check_armijo", "check_common"]

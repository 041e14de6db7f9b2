"""What every method's loop shares: argument checks, the stopping messages, and
the :class:`Recorder` that keeps the history, prints the verbose table, calls
the callback and builds the result."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import numpy as np

from funcdiff.optimize._problem import Problem
from funcdiff.optimize._result import Callback, IterationRecord, OptimizeResult


def _fmt(v: float | None, width: int, spec: str) -> str:
    if v is None:
        return "-".rjust(width)
    return format(v, spec).rjust(width)


class Recorder:
    HEADER = (
        f"{'iter':>5} {'f(x)':>15} {'|grad|':>10} {'|step|':>10} {'predicted':>11} "
        f"{'actual':>11} {'rho':>8} {'radius':>9} {'alpha':>9}"
    )

    def __init__(
        self,
        prob: Problem,
        method: str,
        *,
        verbose: bool,
        keep_x: bool,
        callback: Callback | None,
        stream: TextIO | None = None,
    ) -> None:
        self.prob = prob
        self.method = method
        self.verbose = verbose
        self.keep_x = keep_x
        self.callback = callback
        self.stream = stream
        self.history: list[IterationRecord] = []
        self.t0 = time.perf_counter()
        if verbose:
            self._print(f"{method}: n = {prob.n}")
            self._print(self.HEADER)
            self._print("-" * len(self.HEADER))

    def _print(self, line: str) -> None:
        print(line, file=self.stream if self.stream is not None else sys.stdout)

    def record(self, nit: int, z: np.ndarray, f: float, gnorm: float, **info: Any) -> bool:
        """Append a record; returns True when the callback asks to stop."""
        rec = IterationRecord(
            nit=nit,
            x=z.copy() if self.keep_x else None,
            f=f,
            grad_norm=gnorm,
            time=time.perf_counter() - self.t0,
            **info,
        )
        self.history.append(rec)
        if self.verbose:
            self._print(
                f"{nit:>5d} {f:>15.8e} {gnorm:>10.3e} {_fmt(rec.step_norm, 10, '.3e')} "
                f"{_fmt(rec.predicted, 11, '.3e')} {_fmt(rec.actual, 11, '.3e')} "
                f"{_fmt(rec.rho, 8, '.3f')} {_fmt(rec.radius, 9, '.3e')} "
                f"{_fmt(rec.alpha, 9, '.3e')}"
            )
        if self.callback is not None:
            return bool(self.callback(rec))
        return False

    def finish(
        self, z: np.ndarray, f: float, g: np.ndarray, nit: int, success: bool, message: str
    ) -> OptimizeResult:
        prob = self.prob
        gnorm = float(np.linalg.norm(g))
        res = OptimizeResult(
            x=prob.unravel(z.copy()),
            fun=f,
            grad=prob.unravel(g.copy()),
            grad_norm=gnorm,
            nit=nit,
            nfev=prob.nfev,
            ngev=prob.ngev,
            nhev=prob.nhev,
            nhvp=prob.nhvp,
            success=success,
            message=message,
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


def check_common(where: str, tol: float, maxiter: int) -> None:
    if not tol >= 0:
        raise ValueError(f"{where}: tol must be >= 0, got {tol}")
    if not (isinstance(maxiter, (int, np.integer)) and maxiter >= 0):
        raise ValueError(f"{where}: maxiter must be an int >= 0, got {maxiter!r}")


CONVERGED = "converged: |grad| <= tol"
MAXITER = "maximum number of iterations reached"
CALLBACK = "stopped by the callback"


__all__ = ["CALLBACK", "CONVERGED", "MAXITER", "Recorder", "check_common"]

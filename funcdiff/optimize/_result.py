"""What the optimizers return: one :class:`IterationRecord` per iteration and an
:class:`OptimizeResult`."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Callback = Callable[["IterationRecord"], Any]


@dataclass
class IterationRecord:
    """The state after one iteration (``nit == 0``: the starting point).

    Attributes:
      nit: the iteration number (0 for the starting point).
      x: the iterate as a flat float64 vector (``OptimizeResult.unravel``
        turns it back into a pytree like ``x0``); None with ``keep_x=False``.
      f: ``f(x)``.
      grad_norm: ``|grad f(x)|`` (2-norm).
      step_norm: ``|p|`` of the step taken (or, for a rejected trust-region
        step, tried) in this iteration; None at ``nit == 0``.
      predicted: the decrease the method's model predicted for that step:
        the quadratic Taylor model's ``m(0) - m(p)`` for Newton and trust
        region, the BFGS quadratic model's for BFGS, the linear model's
        ``alpha |g|^2`` for gradient descent.
      actual: ``f(x_old) - f(x_old + p)``, the decrease really obtained.
      rho: ``actual / predicted`` (trust region; also filled for the others).
      radius: the trust radius used for this step (None for line-search methods).
      alpha: the line-search step length (None for the trust region).
      damping: Newton's Hessian modification (the ``tau`` of ``H + tau I``,
        or the eigenvalue floor); 0.0 when the Hessian was positive definite.
      accepted: False for a rejected trust-region step (x did not move).
      time: seconds since the method started.

    >>> import numpy as np
    >>> from funcdiff.optimize import newton
    >>> r = newton(lambda x: (x ** 2).sum(), np.array([1.0, -2.0]))
    >>> r.history[0].nit, float(r.history[0].f)
    (0, 5.0)
    """

    nit: int
    x: np.ndarray | None
    f: float
    grad_norm: float
    step_norm: float | None = None
    predicted: float | None = None
    actual: float | None = None
    rho: float | None = None
    radius: float | None = None
    alpha: float | None = None
    damping: float | None = None
    accepted: bool = True
    time: float = 0.0


HISTORY_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(IterationRecord))


@dataclass(repr=False)
class OptimizeResult:
    """What an optimizer returns.

    Attributes:
      x: the final iterate, a pytree like ``x0`` (an array for an array x0).
      fun: ``f(x)`` (a float).
      grad: ``grad f(x)``, like ``x0``.
      grad_norm: ``|grad f(x)|``.
      nit: iterations done.
      nfev, ngev, nhev, nhvp: evaluations of f, of its gradient, of its
        dense Hessian, and Hessian-vector products (a ``taylor2`` model counts
        one of each of the first three: it comes from a single trace). For
        ``levenberg_marquardt`` ``nfev`` counts evaluations of the residual.
      success: the gradient tolerance was reached.
      message: why the method stopped.
      method: the method's name.
      history: one :class:`IterationRecord` per iteration, starting with the
        starting point.
      time: total seconds.
      x_flat: the final iterate as a flat vector.
      unravel: flat vector -> pytree like ``x0``.
      njev: evaluations of the residual's Jacobian (``levenberg_marquardt``;
        0 for the other methods).

    >>> import numpy as np
    >>> from funcdiff.optimize import newton
    >>> r = newton(lambda x: ((x - 1.0) ** 2).sum(), np.zeros(2))
    >>> r.success, r.x
    (True, array([1., 1.]))
    """

    x: Any
    fun: float
    grad: Any
    grad_norm: float
    nit: int
    nfev: int
    ngev: int
    nhev: int
    nhvp: int
    success: bool
    message: str
    method: str
    history: list[IterationRecord]
    time: float
    x_flat: np.ndarray = field(repr=False)
    unravel: Callable[[Any], Any] = field(repr=False)
    njev: int = 0

    @property
    def jac(self) -> Any:
        """scipy's name for :attr:`grad`."""
        return self.grad

    def history_array(self, name: str) -> np.ndarray:
        """One history column as an array (None becomes nan; ``"x"`` gives shape (k, n)).

        >>> from funcdiff.optimize import minimize
        >>> res = minimize(lambda x: (x ** 2).sum(), [1.0, 2.0], method="newton")
        >>> res.history_array("f")
        array([5., 0.])
        >>> res.history_array("x")
        array([[1., 2.],
               [0., 0.]])
        """
        if name not in HISTORY_FIELDS:
            raise KeyError(
                f"history_array: unknown column {name!r}; the columns are {list(HISTORY_FIELDS)}"
            )
        values = [getattr(r, name) for r in self.history]
        if name == "x":
            if any(v is None for v in values):
                raise ValueError(
                    "history_array('x'): iterates were not kept (the method ran with keep_x=False)"
                )
            return np.stack(values) if values else np.zeros((0, self.x_flat.shape[0]))
        if name == "accepted":
            return np.array(values, dtype=bool)
        if name == "nit":
            return np.array(values, dtype=np.int64)
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    def history_columns(self) -> dict[str, np.ndarray]:
        """Every history column as a 1-D array, e.g. for ``pandas.DataFrame(...)``.

        The iterates become one column per component, ``"x[0]"``, ``"x[1]"``...
        (absent with ``keep_x=False``); ``history_array("x")`` gives them as
        one (k, n) array. The other columns are those of :meth:`history_array`.

        >>> from funcdiff.optimize import minimize
        >>> res = minimize(lambda x: (x ** 2).sum(), [1.0, 2.0], method="newton")
        >>> cols = res.history_columns()
        >>> cols["x[1]"].tolist(), cols["f"].tolist()
        ([2.0, 0.0], [5.0, 0.0])
        """
        out: dict[str, np.ndarray] = {}
        for name in HISTORY_FIELDS:
            if name != "x":
                out[name] = self.history_array(name)
            elif self.history and self.history[0].x is not None:
                xs = self.history_array("x")
                for i in range(xs.shape[1]):
                    out[f"x[{i}]"] = xs[:, i]
        return out

    def path(self) -> np.ndarray:
        """The accepted iterates, shape (k, n): the path drawn by ``funcdiff.plot.paths``."""
        xs = self.history_array("x")
        out: np.ndarray = xs[self.history_array("accepted")]
        return out

    def __str__(self) -> str:
        lines = [
            f"{self.method}: {self.message}",
            f"  success: {self.success}",
            f"      fun: {self.fun:.10g}",
            f"   |grad|: {self.grad_norm:.3e}",
            f"      nit: {self.nit}",
            f"    evals: f {self.nfev}, grad {self.ngev}, hess {self.nhev}, hvp {self.nhvp}"
            + (f", jac {self.njev}" if self.njev else ""),
            f"     time: {self.time:.3g} s",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        # a summary, never the whole history (thousands of rows in a notebook)
        with np.printoptions(threshold=20, edgeitems=3, precision=6):
            x = np.array2string(np.asarray(self.x_flat), separator=", ")
            x = x.replace("\n", "\n" + " " * 7)
        tail = self.history[-3:]
        rows = [
            f"    nit={r.nit} f={r.f:.6g} |grad|={r.grad_norm:.3e}"
            + ("" if r.step_norm is None else f" |step|={r.step_norm:.3e}")
            for r in tail
        ]
        skipped = len(self.history) - len(tail)
        head = f"  history: {len(self.history)} rows" + (f", last {len(tail)}:" if skipped else ":")
        lines = [
            f"OptimizeResult(method={self.method!r}",
            f"  success: {self.success}",
            f"  message: {self.message!r}",
            f"      fun: {self.fun:.10g}",
            f"        x: {x}",
            f"      nit: {self.nit}",
            f"     nfev: {self.nfev}, ngev: {self.ngev}, nhev: {self.nhev}, "
            f"nhvp: {self.nhvp}, njev: {self.njev}",
            head,
            *rows,
            ")",
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Notebook display: the summary, then the last history rows as a table."""

        def num(v: float | None, fmt: str) -> str:
            return "" if v is None else format(v, fmt)

        with np.printoptions(threshold=20, edgeitems=3, precision=6):
            x = np.array2string(np.asarray(self.x_flat), separator=", ")
        status = "&#10004;" if self.success else "&#10008;"
        evals = f"f {self.nfev}, grad {self.ngev}, hess {self.nhev}, hvp {self.nhvp}" + (
            f", jac {self.njev}" if self.njev else ""
        )
        summary = [
            ("method", html.escape(self.method)),
            ("success", f"{status} {html.escape(self.message)}"),
            ("fun", f"{self.fun:.10g}"),
            ("|grad|", f"{self.grad_norm:.3e}"),
            ("x", f"<code>{html.escape(x)}</code>"),
            ("nit", str(self.nit)),
            ("evaluations", evals),
            ("time", f"{self.time:.3g} s"),
        ]
        head = "".join(
            f'<tr><th style="text-align:left">{k}</th><td style="text-align:left">{v}</td></tr>'
            for k, v in summary
        )
        tail = self.history[-5:]
        rows = "".join(
            f"<tr><td>{r.nit}</td><td>{r.f:.6g}</td><td>{r.grad_norm:.3e}</td>"
            f"<td>{num(r.step_norm, '.3e')}</td>"
            f"<td>{num(r.alpha if r.alpha is not None else r.radius, '.3g')}</td></tr>"
            for r in tail
        )
        shown = f"last {len(tail)} of {len(self.history)}"
        return (
            f"<div><b>OptimizeResult</b><table>{head}</table>"
            f"<details open><summary>history ({shown} rows)</summary><table>"
            "<tr><th>nit</th><th>f</th><th>|grad|</th><th>|step|</th><th>alpha or radius</th></tr>"
            f"{rows}</table></details></div>"
        )


__all__ = ["HISTORY_FIELDS", "Callback", "IterationRecord", "OptimizeResult"]

"""Optimizers for experiments: gradient descent, Newton, trust region, BFGS.

Every method minimizes a scalar field ``f`` from a starting point ``x0`` that
is a float vector or any pytree of arrays (a dict of weights, a tuple...):
``x0`` is raveled to one flat float64 vector with ``funcdiff.tree.ravel_pytree``,
the method works on that vector, and the result's ``x`` has ``x0``'s
structure again. Derivatives come from funcdiff (``value_and_grad``, the
second-order Taylor model ``taylor2``, Hessian-vector products); with
``jit=True`` they are compiled with ``funcdiff.jit.jit`` once and reused in
every iteration (``f`` must then be traceable without Python control flow on
array values).

The second-order Taylor model ``m(p) = f(x) + g.p + 1/2 p^T H p`` is the
base of the second-order methods:

- :func:`newton`: minimize the model (``H p = -g``), with a safeguard when
  ``H`` is not positive definite (a multiple of the identity added until
  Cholesky succeeds, or eigenvalues replaced by their absolute values) and a
  backtracking (Armijo) line search;
- :func:`trust_region`: minimize the model within a ball ``|p| <= radius``;
  the ratio of actual to model-predicted decrease decides whether the step is
  taken and how the radius changes. The ball problem is solved exactly
  (:func:`solve_trust_region_exact`, eigendecomposition + secular equation,
  hard case included) for small ``n``, or approximately by Steihaug's
  truncated conjugate gradients on Hessian-vector products
  (:func:`steihaug_cg`, matrix-free) for large ``n``;
- :func:`bfgs` builds an approximate inverse Hessian from gradients only
  (the quasi-Newton comparison), :func:`gradient_descent` uses no curvature.

Each returns an :class:`OptimizeResult` whose ``history`` holds one
:class:`IterationRecord` per iteration (iterate, f, |grad|, step length,
model-predicted and actual decrease, trust radius, time), ready for plotting
with ``result.history_array("f")`` or :mod:`funcdiff.plot`.

>>> import funcdiff.numpy as fnp
>>> rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
>>> res = minimize(rosen, [-1.2, 1.0], method="newton")
>>> res.success, res.nit, res.x.round(8)
(True, 21, array([1., 1.]))

scipy users can hand funcdiff's derivatives to ``scipy.optimize.minimize``
with :func:`scipy_objective` (see :mod:`funcdiff.scipy_adapter`).
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

import numpy as np

from funcdiff.api import hessian as _hessian
from funcdiff.api import hvp as _hvp
from funcdiff.api import value_and_grad
from funcdiff.core.trace import Tracer
from funcdiff.jit import jit as _jit
from funcdiff.scipy_adapter import ScipyObjective, scipy_minimize, scipy_objective
from funcdiff.taylor import QuadraticModel, taylor2
from funcdiff.tree import ravel_pytree, tree_flatten, tree_unflatten

Fun = Callable[..., Any]
Callback = Callable[["IterationRecord"], Any]

#: ``trust_region(subproblem="auto")`` solves the subproblem exactly (dense
#: Hessian, eigendecomposition) up to this many unknowns, by Steihaug-CG
#: (matrix-free) above.
EXACT_MAX_N = 500

_EPS = float(np.finfo(np.float64).eps)


# ---------------------------------------------------------------------------
# results and history
# ---------------------------------------------------------------------------


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


@dataclass
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
        one of each of the first three: it comes from a single trace).
      success: the gradient tolerance was reached.
      message: why the method stopped.
      method: the method's name.
      history: one :class:`IterationRecord` per iteration, starting with the
        starting point.
      time: total seconds.
      x_flat: the final iterate as a flat vector.
      unravel: flat vector -> pytree like ``x0``.

    >>> import numpy as np
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

    @property
    def jac(self) -> Any:
        """scipy's name for :attr:`grad`."""
        return self.grad

    def history_array(self, name: str) -> np.ndarray:
        """One history column as an array (None becomes nan; ``"x"`` gives shape (k, n)).

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
        """Every history column (see :meth:`history_array`), e.g. for ``pandas.DataFrame``."""
        cols = [n for n in HISTORY_FIELDS if n != "x" or self.history[0].x is not None]
        return {n: self.history_array(n) for n in cols}

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
            f"    evals: f {self.nfev}, grad {self.ngev}, hess {self.nhev}, hvp {self.nhvp}",
            f"     time: {self.time:.3g} s",
        ]
        return "\n".join(lines)


# ---------------------------------------------------------------------------
# the problem: f on a flat float64 vector, with counted (and maybe jitted) derivatives
# ---------------------------------------------------------------------------


class _Local:
    """The quadratic model at a point, as the methods use it (flat vectors)."""

    __slots__ = ("H", "_count", "_hvp", "g", "model", "value")

    def __init__(
        self,
        value: float,
        g: np.ndarray,
        H: np.ndarray | None,
        hvp: Callable[[np.ndarray], np.ndarray] | None,
        count: Callable[[], None],
        model: QuadraticModel | None = None,
    ) -> None:
        self.value = value
        self.g = g
        self.H = H
        self._hvp = hvp
        self._count = count
        self.model = model

    def hvp(self, v: np.ndarray) -> np.ndarray:
        if self.H is not None:
            Hv: np.ndarray = self.H @ v
            return Hv
        assert self._hvp is not None
        self._count()
        return self._hvp(v)

    def predicted_decrease(self, p: np.ndarray) -> float:
        """``m(0) - m(p) = -(g.p + 1/2 p^T H p)``."""
        if self.model is not None:
            if self.H is None:
                self._count()
            return float(self.model.predicted_decrease(p))
        return -float(self.g @ p + 0.5 * (p @ self.hvp(p)))


def _is_number_list(x: Any) -> bool:
    return (
        isinstance(x, list)
        and len(x) > 0
        and all(isinstance(v, (int, float, np.floating, np.integer)) for v in x)
        and not any(isinstance(v, (bool, np.bool_)) for v in x)
    )


def _as_float_tree(x0: Any, where: str) -> Any:
    """x0 with float64 leaves; a plain list of numbers becomes a vector (as in scipy)."""
    if _is_number_list(x0):
        return np.asarray(x0, dtype=np.float64)
    leaves, treedef = tree_flatten(x0)
    if not leaves:
        raise ValueError(f"{where}: x0 has no array leaves ({treedef}); nothing to optimize")
    out = []
    for i, leaf in enumerate(leaves):
        if isinstance(leaf, Tracer):
            raise TypeError(
                f"{where}: x0 leaf {i} is a traced value; optimizers run eagerly: call them "
                "outside grad/vmap/jit"
            )
        arr = np.asarray(leaf)
        if arr.dtype.kind not in "biuf":
            raise TypeError(
                f"{where}: x0 leaf {i} has dtype {arr.dtype} (shape {arr.shape}); optimizers "
                "work on real floating-point numbers"
            )
        out.append(arr.astype(np.float64))
    return tree_unflatten(treedef, out)


class _Problem:
    """``f`` on a flat float64 vector ``z``, with evaluation counters.

    Without jit the quadratic model comes from ``taylor2`` (one trace gives
    value, gradient and the Hessian-vector map); with jit from compiled
    ``value_and_grad`` / ``hessian`` / ``hvp``.
    """

    def __init__(self, f: Fun, x0: Any, *, use_jit: bool, where: str) -> None:
        if not callable(f):
            raise TypeError(f"{where}: f must be a callable scalar field, got {type(f).__name__}")
        self.where = where
        x0 = _as_float_tree(x0, where)
        flat, self.unravel = ravel_pytree(x0)
        self.x0 = np.array(flat, dtype=np.float64)
        self.n = int(self.x0.shape[0])
        unravel = self.unravel

        def f_flat(z: Any) -> Any:
            return f(unravel(z))

        self.f_flat = f_flat
        self.use_jit = use_jit
        self.nfev = self.ngev = self.nhev = self.nhvp = 0
        vg = value_and_grad(f_flat)
        self._fun: Fun = _jit(f_flat) if use_jit else f_flat
        self._vg: Fun = _jit(vg) if use_jit else vg
        self._vgh: Fun | None = None
        self._hvp_fn: Fun | None = None

    # -- counted evaluations ---------------------------------------------------
    def fun(self, z: np.ndarray) -> float:
        self.nfev += 1
        return float(self._fun(z))

    def value_and_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        self.nfev += 1
        self.ngev += 1
        v, g = self._vg(z)
        return float(v), np.asarray(g, dtype=np.float64).reshape(self.n)

    def _count_hvp(self) -> None:
        self.nhvp += 1

    def model(self, z: np.ndarray, *, matrix_free: bool) -> _Local:
        """The second-order Taylor model at ``z`` (dense H, or matrix-free)."""
        self.nfev += 1
        self.ngev += 1
        if not matrix_free:
            self.nhev += 1
        if not self.use_jit:
            m = taylor2(self.f_flat, matrix_free=matrix_free)(z)
            H = None if matrix_free else np.asarray(m.H_flat, dtype=np.float64)
            if H is not None:
                H = 0.5 * (H + H.T)

            def model_hvp(v: np.ndarray) -> np.ndarray:
                return np.asarray(m.hvp(v), dtype=np.float64)

            return _Local(
                float(m.value), m.g_flat.astype(np.float64), H, model_hvp, self._count_hvp, m
            )
        if not matrix_free:
            if self._vgh is None:
                f_flat = self.f_flat
                vg, hess = value_and_grad(f_flat), _hessian(f_flat)

                def value_grad_hess(z: Any) -> Any:
                    v, g = vg(z)
                    return v, g, hess(z)

                self._vgh = _jit(value_grad_hess)
            v, g, H = self._vgh(z)
            H = np.asarray(H, dtype=np.float64)
            return _Local(
                float(v), np.asarray(g, dtype=np.float64), 0.5 * (H + H.T), None, self._count_hvp
            )
        if self._hvp_fn is None:
            f_flat = self.f_flat
            self._hvp_fn = _jit(lambda z, v: _hvp(f_flat, z, v))
        hvp_fn = self._hvp_fn
        v, g = self._vg(z)

        def jit_hvp(u: np.ndarray) -> np.ndarray:
            return np.asarray(hvp_fn(z, u), dtype=np.float64)

        return _Local(float(v), np.asarray(g, dtype=np.float64), None, jit_hvp, self._count_hvp)


def _check_finite_start(prob: _Problem, f0: float) -> None:
    if not math.isfinite(f0):
        raise ValueError(f"{prob.where}: f(x0) = {f0}; start from a point where f is finite")


# ---------------------------------------------------------------------------
# bookkeeping: history, verbose table, callback, result
# ---------------------------------------------------------------------------


def _fmt(v: float | None, width: int, spec: str) -> str:
    if v is None:
        return "-".rjust(width)
    return format(v, spec).rjust(width)


class _Recorder:
    HEADER = (
        f"{'iter':>5} {'f(x)':>15} {'|grad|':>10} {'|step|':>10} {'predicted':>11} "
        f"{'actual':>11} {'rho':>8} {'radius':>9} {'alpha':>9}"
    )

    def __init__(
        self,
        prob: _Problem,
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


def _check_common(where: str, tol: float, maxiter: int) -> None:
    if not tol >= 0:
        raise ValueError(f"{where}: tol must be >= 0, got {tol}")
    if not (isinstance(maxiter, (int, np.integer)) and maxiter >= 0):
        raise ValueError(f"{where}: maxiter must be an int >= 0, got {maxiter!r}")


_CONVERGED = "converged: |grad| <= tol"
_MAXITER = "maximum number of iterations reached"
_CALLBACK = "stopped by the callback"


# ---------------------------------------------------------------------------
# line searches
# ---------------------------------------------------------------------------


def _armijo(
    prob: _Problem,
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


def _wolfe(
    prob: _Problem,
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
            if abs(hi - lo) <= _EPS * max(1.0, abs(lo)):
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


# ---------------------------------------------------------------------------
# gradient descent
# ---------------------------------------------------------------------------


def gradient_descent(
    f: Fun,
    x0: Any,
    *,
    lr: float | None = None,
    line_search: Literal["armijo"] | None = "armijo",
    c1: float = 1e-4,
    shrink: float = 0.5,
    tol: float = 1e-8,
    maxiter: int = 1000,
    jit: bool = False,
    verbose: bool = False,
    callback: Callback | None = None,
    keep_x: bool = True,
) -> OptimizeResult:
    """Steepest descent ``x <- x - alpha grad f(x)``.

    Args:
      f: a scalar field of one argument (an array or a pytree of arrays).
      x0: the starting point, like ``f``'s argument: an array or a pytree.
        A plain list of numbers is taken as a vector (as scipy does); tuples,
        dicts and nested containers are pytrees, and ``x`` comes back alike.
      lr: with ``line_search=None``, the fixed step length (required). With
        ``"armijo"``, the first step tried in every iteration; by default
        (None) the search starts from twice the previous accepted step
        (1.0 the first time), so the step adapts in both directions.
      line_search: ``"armijo"`` (backtracking until
        ``f(x - a g) <= f(x) - c1 a |g|^2``) or None (fixed step ``lr``).
      c1, shrink: the Armijo constant and the backtracking factor.
      tol: stop when ``|grad f(x)| <= tol``.
      maxiter: maximum number of iterations.
      jit: compile ``value_and_grad(f)`` and ``f`` with ``funcdiff.jit``.
      verbose: print one table row per iteration.
      callback: called with each :class:`IterationRecord`; returning True stops.
      keep_x: store every iterate in the history.

    The history's ``predicted`` is the linear model's decrease ``alpha |g|^2``.

    >>> res = gradient_descent(lambda x: ((x - 3.0) ** 2).sum(), [0.0, 1.0])
    >>> res.success, res.x.round(6)
    (True, array([3., 3.]))
    >>> gradient_descent(lambda x: x ** 2, 1.0, lr=0.25, line_search=None).nit  # x halves
    28
    """
    where = "gradient_descent"
    _check_common(where, tol, maxiter)
    if line_search not in ("armijo", None, "none"):
        raise ValueError(f"{where}: line_search must be 'armijo' or None, got {line_search!r}")
    fixed = line_search in (None, "none")
    if fixed and (lr is None or not lr > 0):
        raise ValueError(f"{where}: line_search=None needs a fixed step lr > 0, got lr={lr}")
    if lr is not None and not lr > 0:
        raise ValueError(f"{where}: lr must be > 0, got {lr}")
    if not 0 < shrink < 1 or not 0 < c1 < 1:
        raise ValueError(f"{where}: need 0 < shrink < 1 and 0 < c1 < 1, got {shrink}, {c1}")
    prob = _Problem(f, x0, use_jit=jit, where=where)
    rec = _Recorder(prob, "gradient descent", verbose=verbose, keep_x=keep_x, callback=callback)
    z = prob.x0
    fz, g = prob.value_and_grad(z)
    _check_finite_start(prob, fz)
    gnorm = float(np.linalg.norm(g))
    stop = rec.record(0, z, fz, gnorm)
    alpha_prev: float | None = None
    nit, success, message = 0, False, _MAXITER
    while True:
        if gnorm <= tol:
            success, message = True, _CONVERGED
            break
        if stop:
            message = _CALLBACK
            break
        if nit >= maxiter:
            break
        nit += 1
        slope = -gnorm * gnorm
        if fixed:
            assert lr is not None
            alpha = lr
        else:
            start = lr if lr is not None else (1.0 if alpha_prev is None else alpha_prev / shrink)
            found = _armijo(prob, z, fz, slope, -g, start, c1, shrink)
            if found is None:
                message = "line search failed: no step length decreases f (precision limit?)"
                nit -= 1
                break
            alpha = found[0]
            alpha_prev = alpha
        step = -alpha * g
        z_new = z + step
        f_new, g_new = prob.value_and_grad(z_new)
        actual = fz - f_new
        predicted = alpha * gnorm * gnorm
        z, fz, g = z_new, f_new, g_new
        gnorm = float(np.linalg.norm(g))
        stop = rec.record(
            nit,
            z,
            fz,
            gnorm,
            step_norm=alpha * math.sqrt(-slope),
            predicted=predicted,
            actual=actual,
            rho=actual / predicted if predicted > 0 else None,
            alpha=alpha,
        )
        if not (math.isfinite(fz) and np.all(np.isfinite(g))):
            message = "diverged: f or its gradient is not finite (lower lr?)"
            break
    return rec.finish(z, fz, g, nit, success, message)


# ---------------------------------------------------------------------------
# Newton's method
# ---------------------------------------------------------------------------


def _modified_newton_direction(
    H: np.ndarray, g: np.ndarray, safeguard: str
) -> tuple[np.ndarray, float]:
    """Solve ``B p = -g`` with B a positive definite modification of H; (p, damping).

    ``"cholesky"``: B = H + tau I with the smallest tau of the sequence
    0, beta, 2 beta, 4 beta... (Nocedal & Wright, Alg. 3.3) for which the
    Cholesky factorization succeeds. ``"eigen"``: B = V diag(max(|w|, delta)) V^T,
    negative curvature is turned into positive curvature of the same size
    (the step then moves *away* from saddles along those directions).
    """
    n = H.shape[0]
    scale = float(np.max(np.abs(H))) if H.size else 0.0
    if safeguard == "eigen":
        w, V = np.linalg.eigh(H)
        delta = math.sqrt(_EPS) * scale if scale > 0 else 1.0
        w_mod = np.maximum(np.abs(w), delta)
        damping = 0.0 if np.all(w_mod == w) else float(np.max(w_mod - w))
        return -(V @ ((V.T @ g) / w_mod)), damping
    beta = 1e-3 * scale if scale > 0 else 1.0
    min_diag = float(np.min(np.diag(H)))
    tau = 0.0 if min_diag > 0 else beta - min_diag
    eye = np.eye(n)
    for _ in range(200):
        try:
            L = np.linalg.cholesky(H + tau * eye if tau else H)
        except np.linalg.LinAlgError:
            L = None
        if L is not None and np.all(np.isfinite(L)):
            # numpy has no triangular solve: one LU solve of the (now known SPD) matrix
            return np.linalg.solve(H + tau * eye if tau else H, -g), tau
        tau = max(2.0 * tau, beta)
    raise np.linalg.LinAlgError("newton: could not make the Hessian positive definite")


def newton(
    f: Fun,
    x0: Any,
    *,
    safeguard: Literal["cholesky", "eigen"] = "cholesky",
    c1: float = 1e-4,
    shrink: float = 0.5,
    tol: float = 1e-8,
    maxiter: int = 200,
    jit: bool = False,
    verbose: bool = False,
    callback: Callback | None = None,
    keep_x: bool = True,
) -> OptimizeResult:
    """Newton's method with a Hessian safeguard and an Armijo line search.

    Each iteration builds the second-order Taylor model at ``x`` (``taylor2``:
    one trace for value, gradient and Hessian) and steps to the minimizer of
    the model, ``H p = -g``. When ``H`` is not positive definite that point
    is a saddle or a maximum of the model, so ``H`` is modified first:

    - ``safeguard="cholesky"`` (default): ``H + tau I`` with ``tau`` increased
      (0, then ``beta - min diag(H)``, doubling) until Cholesky succeeds;
    - ``safeguard="eigen"``: eigenvalues replaced by ``max(|lambda|, delta)``.

    The step length starts at 1 (the full Newton step, so convergence is
    quadratic near a minimizer) and is halved until Armijo's sufficient
    decrease ``f(x + a p) <= f(x) + c1 a g.p`` holds.

    Args:
      f, x0: the scalar field and the starting point (array or pytree).
      safeguard: ``"cholesky"`` or ``"eigen"``, see above.
      c1, shrink: Armijo constant and backtracking factor.
      tol: stop when ``|grad f(x)| <= tol``.
      maxiter: maximum number of iterations.
      jit: compile value, gradient and Hessian (``funcdiff.jit``) once.
      verbose, callback, keep_x: see :func:`gradient_descent`.

    The history's ``predicted`` is the Taylor model's decrease for the step
    taken, ``damping`` the ``tau`` (or eigenvalue shift) that was needed.

    A convex quadratic is minimized in one step:

    >>> import numpy as np
    >>> A = np.array([[3.0, 1.0], [1.0, 2.0]]); b = np.array([1.0, 1.0])
    >>> res = newton(lambda x: 0.5 * x @ A @ x - b @ x, np.zeros(2))
    >>> res.nit, np.allclose(A @ res.x, b)
    (1, True)
    """
    where = "newton"
    _check_common(where, tol, maxiter)
    if safeguard not in ("cholesky", "eigen"):
        raise ValueError(f"{where}: safeguard must be 'cholesky' or 'eigen', got {safeguard!r}")
    if not 0 < shrink < 1 or not 0 < c1 < 1:
        raise ValueError(f"{where}: need 0 < shrink < 1 and 0 < c1 < 1, got {shrink}, {c1}")
    prob = _Problem(f, x0, use_jit=jit, where=where)
    rec = _Recorder(prob, "newton", verbose=verbose, keep_x=keep_x, callback=callback)
    z = prob.x0
    m = prob.model(z, matrix_free=False)
    _check_finite_start(prob, m.value)
    fz, g = m.value, m.g
    gnorm = float(np.linalg.norm(g))
    stop = rec.record(0, z, fz, gnorm)
    nit, success, message = 0, False, _MAXITER
    while True:
        if gnorm <= tol:
            success, message = True, _CONVERGED
            break
        if stop:
            message = _CALLBACK
            break
        if nit >= maxiter:
            break
        assert m.H is not None
        if not np.all(np.isfinite(m.H)):
            message = "the Hessian is not finite"
            break
        nit += 1
        p, damping = _modified_newton_direction(m.H, g, safeguard)
        slope = float(g @ p)
        found = _armijo(prob, z, fz, slope, p, 1.0, c1, shrink)
        if found is None:
            nit -= 1
            message = "line search failed: no step length decreases f (precision limit?)"
            break
        alpha, _ = found
        s = alpha * p
        predicted = m.predicted_decrease(s)
        z = z + s
        f_old = fz
        m = prob.model(z, matrix_free=False)
        fz, g = m.value, m.g
        gnorm = float(np.linalg.norm(g))
        actual = f_old - fz
        stop = rec.record(
            nit,
            z,
            fz,
            gnorm,
            step_norm=float(np.linalg.norm(s)),
            predicted=predicted,
            actual=actual,
            rho=actual / predicted if predicted != 0 else None,
            alpha=alpha,
            damping=damping,
        )
    return rec.finish(z, fz, g, nit, success, message)


# ---------------------------------------------------------------------------
# trust-region subproblems
# ---------------------------------------------------------------------------


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
        if hi - lo <= 4 * _EPS * max(1.0, abs(hi)):
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


# ---------------------------------------------------------------------------
# trust region
# ---------------------------------------------------------------------------


def _negative_curvature(m: _Local) -> bool:
    """The dense model's Hessian has a clearly negative eigenvalue."""
    if m.H is None or not np.all(np.isfinite(m.H)):
        return False
    w = np.linalg.eigvalsh(m.H)
    scale = max(float(np.max(np.abs(w))), 1.0)
    return bool(w[0] < -math.sqrt(_EPS) * scale)


def trust_region(
    f: Fun,
    x0: Any,
    *,
    radius: float = 1.0,
    max_radius: float | None = None,
    eta: float = 0.15,
    subproblem: Literal["auto", "exact", "cg"] = "auto",
    cg_rtol: float | None = None,
    cg_maxiter: int | None = None,
    escape_saddles: bool = True,
    tol: float = 1e-8,
    maxiter: int = 1000,
    jit: bool = False,
    verbose: bool = False,
    callback: Callback | None = None,
    keep_x: bool = True,
) -> OptimizeResult:
    """A trust-region method on the second-order Taylor model (``taylor2``).

    Each iteration minimizes the quadratic model ``m(p) = f + g.p + 1/2 p^T H p``
    within ``|p| <= radius`` and compares the decrease ``f`` really makes with
    the decrease the model predicted, ``rho = actual / predicted``:

    - ``rho < 1/4``: the model is poor at this scale: ``radius = |p| / 4``;
    - ``rho > 3/4`` and the step reached the boundary: ``radius *= 2``
      (at most ``max_radius``);
    - the step is accepted when ``rho > eta``, otherwise ``x`` stays.

    Subproblem solvers:

    - ``"exact"``: :func:`solve_trust_region_exact` on the dense Hessian
      (eigendecomposition, secular equation, hard case handled): the best
      step, O(n^3) per iteration;
    - ``"cg"``: :func:`steihaug_cg` on Hessian-vector products of a
      matrix-free model (the Hessian is never formed);
    - ``"auto"``: exact for ``n <= EXACT_MAX_N`` (500), else CG.

    Indefinite Hessians need no special treatment: the ball bounds the step,
    and negative curvature directions are followed to the boundary.

    Args:
      f, x0: the scalar field and the starting point (array or pytree).
      radius: the initial trust radius.
      max_radius: the largest radius (default ``1000 * radius``).
      eta: the acceptance threshold on rho, ``0 <= eta < 1/4``.
      subproblem: ``"auto"``, ``"exact"`` or ``"cg"``.
      cg_rtol, cg_maxiter: passed to :func:`steihaug_cg`.
      escape_saddles: with the exact solver, do not stop at a point with a
        small gradient where the Hessian has a negative eigenvalue (a saddle):
        the hard case of the subproblem then steps along that eigenvector.
      tol: stop when ``|grad f(x)| <= tol``.
      maxiter: maximum number of iterations (rejected steps count).
      jit: compile value/gradient and Hessian (or Hessian-vector products).
      verbose, callback, keep_x: see :func:`gradient_descent`.

    >>> rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    >>> res = trust_region(rosen, [-1.2, 1.0])
    >>> res.success, res.x.round(8)
    (True, array([1., 1.]))
    """
    where = "trust_region"
    _check_common(where, tol, maxiter)
    if not radius > 0:
        raise ValueError(f"{where}: radius must be > 0, got {radius}")
    max_radius = 1000.0 * radius if max_radius is None else max_radius
    if not max_radius >= radius:
        raise ValueError(f"{where}: need max_radius >= radius, got {max_radius} < {radius}")
    if not 0 <= eta < 0.25:
        raise ValueError(f"{where}: eta must satisfy 0 <= eta < 0.25, got {eta}")
    if subproblem not in ("auto", "exact", "cg"):
        raise ValueError(f"{where}: subproblem must be 'auto', 'exact' or 'cg', got {subproblem!r}")
    prob = _Problem(f, x0, use_jit=jit, where=where)
    solver = subproblem if subproblem != "auto" else ("exact" if prob.n <= EXACT_MAX_N else "cg")
    matrix_free = solver == "cg"
    rec = _Recorder(
        prob, f"trust region ({solver})", verbose=verbose, keep_x=keep_x, callback=callback
    )
    z = prob.x0
    m = prob.model(z, matrix_free=matrix_free)
    _check_finite_start(prob, m.value)
    fz, g = m.value, m.g
    gnorm = float(np.linalg.norm(g))
    stop = rec.record(0, z, fz, gnorm, radius=radius)
    nit, success, message = 0, False, _MAXITER
    while True:
        if gnorm <= tol and not (escape_saddles and _negative_curvature(m)):
            success, message = True, _CONVERGED
            break
        if stop:
            message = _CALLBACK
            break
        if nit >= maxiter:
            break
        if radius <= 10 * _EPS * max(1.0, float(np.linalg.norm(z))):
            message = "the trust radius became too small (precision limit?)"
            break
        nit += 1
        if solver == "exact":
            assert m.H is not None
            if not np.all(np.isfinite(m.H)):
                nit -= 1
                message = "the Hessian is not finite"
                break
            sub = solve_trust_region_exact(g, m.H, radius)
        else:
            sub = steihaug_cg(g, m.hvp, radius, rtol=cg_rtol, maxiter=cg_maxiter)
        p = sub.p
        pnorm = float(np.linalg.norm(p))
        predicted = m.predicted_decrease(p)
        if not predicted > 0:
            nit -= 1
            message = "the model predicts no decrease (precision limit?)"
            break
        f_trial = prob.fun(z + p)
        actual = fz - f_trial
        rho = actual / predicted
        used_radius = radius
        if not rho >= 0.25:  # also nan
            radius = 0.25 * pnorm
        elif rho > 0.75 and sub.hits_boundary:
            radius = min(2.0 * radius, max_radius)
        accepted = bool(rho > eta)
        if accepted:
            z = z + p
            m = prob.model(z, matrix_free=matrix_free)
            fz, g = m.value, m.g
            gnorm = float(np.linalg.norm(g))
        stop = rec.record(
            nit,
            z,
            fz,
            gnorm,
            step_norm=pnorm,
            predicted=predicted,
            actual=actual,
            rho=rho,
            radius=used_radius,
            accepted=accepted,
        )
    return rec.finish(z, fz, g, nit, success, message)


# ---------------------------------------------------------------------------
# BFGS
# ---------------------------------------------------------------------------


def bfgs(
    f: Fun,
    x0: Any,
    *,
    line_search: Literal["wolfe", "armijo"] = "wolfe",
    c1: float = 1e-4,
    c2: float = 0.9,
    shrink: float = 0.5,
    tol: float = 1e-8,
    maxiter: int = 1000,
    jit: bool = False,
    verbose: bool = False,
    callback: Callback | None = None,
    keep_x: bool = True,
) -> OptimizeResult:
    """BFGS: a quasi-Newton method that learns the inverse Hessian from gradients.

    The approximation ``Hinv`` starts as the identity (rescaled by
    ``s.y / y.y`` after the first step) and after each step ``s`` with
    gradient change ``y`` gets the rank-two update
    ``Hinv <- (I - rho s y^T) Hinv (I - rho y s^T) + rho s s^T``, ``rho = 1/(y.s)``,
    which keeps it positive definite when ``y.s > 0``. The direction is
    ``-Hinv g``, the step length comes from a strong Wolfe line search
    (which guarantees ``y.s > 0``) or Armijo backtracking (updates with
    ``y.s <= 0`` are then skipped). Only gradients are used: no Hessian.

    Args:
      f, x0: the scalar field and the starting point (array or pytree).
      line_search: ``"wolfe"`` (default) or ``"armijo"``.
      c1, c2: sufficient-decrease and curvature constants (0 < c1 < c2 < 1).
      shrink: Armijo backtracking factor.
      tol, maxiter, jit, verbose, callback, keep_x: see :func:`gradient_descent`.

    The history's ``predicted`` is the decrease predicted by BFGS's own
    quadratic model (Hessian ``Hinv^-1``) for the step taken.

    >>> rosen = lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    >>> res = bfgs(rosen, [-1.2, 1.0])
    >>> res.success, res.nhev, res.x.round(6)
    (True, 0, array([1., 1.]))
    """
    where = "bfgs"
    _check_common(where, tol, maxiter)
    if line_search not in ("wolfe", "armijo"):
        raise ValueError(f"{where}: line_search must be 'wolfe' or 'armijo', got {line_search!r}")
    if not 0 < c1 < c2 < 1:
        raise ValueError(f"{where}: need 0 < c1 < c2 < 1, got c1={c1}, c2={c2}")
    if not 0 < shrink < 1:
        raise ValueError(f"{where}: need 0 < shrink < 1, got {shrink}")
    prob = _Problem(f, x0, use_jit=jit, where=where)
    rec = _Recorder(
        prob, f"bfgs ({line_search})", verbose=verbose, keep_x=keep_x, callback=callback
    )
    n = prob.n
    z = prob.x0
    fz, g = prob.value_and_grad(z)
    _check_finite_start(prob, fz)
    gnorm = float(np.linalg.norm(g))
    Hinv = np.eye(n)
    first = True
    stop = rec.record(0, z, fz, gnorm)
    nit, success, message = 0, False, _MAXITER
    while True:
        if gnorm <= tol:
            success, message = True, _CONVERGED
            break
        if stop:
            message = _CALLBACK
            break
        if nit >= maxiter:
            break
        nit += 1
        d = -(Hinv @ g)
        slope = float(g @ d)
        if not slope < 0:  # lost positive definiteness to rounding: restart
            Hinv = np.eye(n)
            first = True
            d = -g
            slope = -gnorm * gnorm
        alpha0 = min(1.0, 1.0 / gnorm) if first else 1.0
        if line_search == "wolfe":
            found = _wolfe(prob, z, fz, g, d, alpha0, c1, c2)
            if found is None:
                nit -= 1
                message = "line search failed: no step length satisfies the Wolfe conditions"
                break
            alpha, f_new, g_new = found
        else:
            arm = _armijo(prob, z, fz, slope, d, alpha0, c1, shrink)
            if arm is None:
                nit -= 1
                message = "line search failed: no step length decreases f (precision limit?)"
                break
            alpha, _ = arm
            f_new, g_new = prob.value_and_grad(z + alpha * d)
        s = alpha * d
        y = g_new - g
        # the BFGS model's Hessian B = Hinv^-1 has B s = -alpha g
        predicted = -slope * alpha * (1.0 - 0.5 * alpha)
        actual = fz - f_new
        sy = float(s @ y)
        if sy > _EPS * float(np.linalg.norm(s)) * float(np.linalg.norm(y)):
            if first:
                Hinv = (sy / float(y @ y)) * np.eye(n)
                first = False
            rho_k = 1.0 / sy
            Hy = Hinv @ y
            # (I - rho s y^T) Hinv (I - rho y s^T) + rho s s^T, expanded
            Hinv = (
                Hinv
                - rho_k * (np.outer(s, Hy) + np.outer(Hy, s))
                + (rho_k * rho_k * float(y @ Hy) + rho_k) * np.outer(s, s)
            )
        z = z + s
        fz, g = f_new, g_new
        gnorm = float(np.linalg.norm(g))
        stop = rec.record(
            nit,
            z,
            fz,
            gnorm,
            step_norm=float(np.linalg.norm(s)),
            predicted=predicted,
            actual=actual,
            rho=actual / predicted if predicted != 0 else None,
            alpha=alpha,
        )
    return rec.finish(z, fz, g, nit, success, message)


# ---------------------------------------------------------------------------
# front door
# ---------------------------------------------------------------------------

_METHODS: dict[str, Callable[..., OptimizeResult]] = {
    "gd": gradient_descent,
    "gradient-descent": gradient_descent,
    "newton": newton,
    "trust-region": trust_region,
    "bfgs": bfgs,
}


def minimize(f: Fun, x0: Any, method: str = "trust-region", **options: Any) -> OptimizeResult:
    """Minimize the scalar field ``f`` from ``x0`` with one of this module's methods.

    Args:
      f: a scalar field of one argument (an array or a pytree of arrays).
      x0: the starting point (an array, a list of numbers, or a pytree).
      method: ``"trust-region"`` (default), ``"newton"``, ``"bfgs"`` or
        ``"gd"`` (``"gradient-descent"``); underscores work too.
      **options: the method's keyword arguments (``tol``, ``maxiter``,
        ``jit``, ``verbose``, ...): see :func:`trust_region`, :func:`newton`,
        :func:`bfgs`, :func:`gradient_descent`.

    >>> res = minimize(lambda p: (p["a"] - 1.0) ** 2 + (p["b"] + 2.0) ** 2,
    ...                {"a": 0.0, "b": 0.0}, method="bfgs")
    >>> {k: round(float(v), 6) for k, v in res.x.items()}
    {'a': 1.0, 'b': -2.0}
    """
    key = method.lower().replace("_", "-") if isinstance(method, str) else method
    if key not in _METHODS:
        raise ValueError(
            f"minimize: unknown method {method!r}; choose one of 'trust-region', 'newton', "
            "'bfgs', 'gd' (for scipy's methods use funcdiff.optimize.scipy_minimize)"
        )
    return _METHODS[key](f, x0, **options)


def compare(
    f: Fun,
    x0: Any,
    methods: Sequence[str] = ("gd", "bfgs", "newton", "trust-region"),
    **options: Any,
) -> dict[str, OptimizeResult]:
    """Run several methods from the same start: ``{method: result}`` (e.g. for ``plot.paths``).

    >>> rs = compare(lambda x: (x ** 2).sum(), [1.0, -1.0], methods=("newton", "bfgs"))
    >>> {k: r.success for k, r in rs.items()}
    {'newton': True, 'bfgs': True}
    """
    return {m: minimize(f, x0, method=m, **options) for m in methods}


__all__ = [
    "EXACT_MAX_N",
    "HISTORY_FIELDS",
    "IterationRecord",
    "OptimizeResult",
    "ScipyObjective",
    "SubproblemResult",
    "bfgs",
    "compare",
    "gradient_descent",
    "minimize",
    "newton",
    "scipy_minimize",
    "scipy_objective",
    "solve_trust_region_exact",
    "steihaug_cg",
    "trust_region",
]

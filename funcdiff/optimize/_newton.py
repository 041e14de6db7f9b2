"""Newton's method: the minimizer of the second-order Taylor model, with a
Hessian safeguard (Cholesky shift or eigenvalue modification) and Armijo
backtracking."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from funcdiff.optimize._line_search import armijo
from funcdiff.optimize._loop import NO_DECREASE, Run, check_armijo, check_common
from funcdiff.optimize._problem import EPS, Fun, Problem
from funcdiff.optimize._result import Callback, OptimizeResult
from funcdiff.quadratic import dense_shifted_newton, sparse_shifted_newton


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
    if safeguard == "eigen":
        scale = float(np.max(np.abs(H))) if H.size else 0.0
        w, V = np.linalg.eigh(H)
        delta = math.sqrt(EPS) * scale if scale > 0 else 1.0
        w_mod = np.maximum(np.abs(w), delta)
        damping = 0.0 if np.all(w_mod == w) else float(np.max(w_mod - w))
        return -(V @ ((V.T @ g) / w_mod)), damping
    return dense_shifted_newton(H, g)


def newton(
    f: Fun,
    x0: Any,
    *,
    safeguard: Literal["cholesky", "eigen"] = "cholesky",
    hessian: Literal["dense", "sparse"] = "dense",
    c1: float = 1e-4,
    shrink: float = 0.5,
    tol: float = 1e-8,
    maxiter: int = 200,
    jit: bool = False,
    verbose: bool = False,
    progress: bool = False,
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

    ``hessian="sparse"`` builds the models with ``taylor2(f, sparse=True)``
    (the pattern detected from ``f``'s jaxpr and colored once, the Hessian a
    ``scipy.sparse`` matrix from a few Hessian-vector products, value and
    gradient compiled: ``f`` must be traceable) and solves with a sparse
    factorization: the Cholesky safeguard's shifts, with positive
    definiteness tested by the pivots of a sparse LDL^T
    (``funcdiff.quadratic.sparse_ldl``). For large problems with a sparse
    Hessian (chained, banded, grid, partially separable objectives); needs
    scipy. ``safeguard="eigen"`` is dense only.

    The step length starts at 1 (the full Newton step, so convergence is
    quadratic near a minimizer) and is halved until Armijo's sufficient
    decrease ``f(x + a p) <= f(x) + c1 a g.p`` holds.

    Args:
      f, x0: the scalar field and the starting point (array or pytree).
      safeguard: ``"cholesky"`` or ``"eigen"``, see above.
      hessian: ``"dense"`` (default) or ``"sparse"``, see above.
      c1, shrink: Armijo constant and backtracking factor.
      tol: stop when ``|grad f(x)| <= tol``.
      maxiter: maximum number of iterations.
      jit: compile value, gradient and Hessian (``funcdiff.jit``) once.
      verbose, progress, callback, keep_x: see :func:`gradient_descent`.

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
    check_common(where, tol, maxiter)
    if safeguard not in ("cholesky", "eigen"):
        raise ValueError(f"{where}: safeguard must be 'cholesky' or 'eigen', got {safeguard!r}")
    if hessian not in ("dense", "sparse"):
        raise ValueError(f"{where}: hessian must be 'dense' or 'sparse', got {hessian!r}")
    sparse = hessian == "sparse"
    if sparse and safeguard == "eigen":
        raise ValueError(
            f"{where}: safeguard='eigen' needs the dense eigendecomposition; with "
            "hessian='sparse' use safeguard='cholesky' (shifts tested by a sparse LDL^T)"
        )
    check_armijo(where, c1, shrink)
    prob = Problem(f, x0, use_jit=jit, where=where)
    run = Run(
        prob,
        "newton (sparse)" if sparse else "newton",
        tol=tol,
        maxiter=maxiter,
        verbose=verbose,
        progress=progress,
        keep_x=keep_x,
        callback=callback,
    )
    m = prob.model(prob.x0, matrix_free=False, sparse=sparse)
    run.start(prob.x0, m.value, m.g)
    while run.going():
        z, fz, g = run.z, run.f, run.g
        assert m.H is not None
        if not np.all(np.isfinite(m.H.data if sparse else m.H)):
            run.fail("the Hessian is not finite")
            break
        if sparse:
            p, damping = sparse_shifted_newton(m.H, g)
        else:
            p, damping = _modified_newton_direction(m.H, g, safeguard)
        slope = float(g @ p)
        found = armijo(prob, z, fz, slope, p, 1.0, c1, shrink)
        if found is None:
            run.fail(NO_DECREASE)
            break
        alpha, _ = found
        s = alpha * p
        predicted = m.predicted_decrease(s)
        z_new = z + s
        m = prob.model(z_new, matrix_free=False, sparse=sparse)
        actual = fz - m.value
        run.step(
            z_new,
            m.value,
            m.g,
            step_norm=float(np.linalg.norm(s)),
            predicted=predicted,
            actual=actual,
            rho=actual / predicted if predicted != 0 else None,
            alpha=alpha,
            damping=damping,
        )
    return run.finish()


__all__ = ["newton"]

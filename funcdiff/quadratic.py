"""The second-order Taylor model of a scalar field: ``taylor2``.

``taylor2(f)(x0)`` returns a :class:`QuadraticModel`, the quadratic

    m(x) = f(x0) + g . (x - x0) + 1/2 (x - x0)^T H (x - x0),
    g = grad f(x0),  H = hessian f(x0),

that models ``f`` near ``x0`` and is the base of Newton and trust-region
methods. The model is computed from ONE trace of ``f``: ``f``'s gradient
computation (``value_and_grad``) is pushed forward with an abstract tangent
``v`` (forward-over-reverse, ``jvp(grad(f))``) under ``make_jaxpr``. The primal
values are concrete, so the forward and backward passes of ``f`` run exactly
once, in numpy, while the tangent part is recorded as a small *linear* jaxpr
``v -> H v`` whose constants are the residuals. That gives

- ``value`` and ``grad`` (the primal outputs of the trace);
- Hessian-vector products: one evaluation of the linear jaxpr each, with no
  further forward pass of ``f`` (matrix-free mode, and conjugate gradients);
- the dense Hessian: that linear map ``vmap``-ed over the input basis, the
  same computation ``hessian(f) = jacfwd(jacrev(f))`` performs, without
  tracing ``f`` a second time.

Dense mode (the default for n <= ``MATRIX_FREE_THRESHOLD`` inputs) stores the
n x n Hessian and uses numpy linear algebra (Cholesky, solve, eigvalsh).
Matrix-free mode never forms it: the model, curvatures and Newton steps
(conjugate gradients) use Hessian-vector products only.

Every method that takes a point or a step is written with funcdiff
operations, so ``grad(model)``, ``vmap(model)`` (e.g. to draw the model's
contour map on a grid) and ``jit`` compose with it.
"""

from __future__ import annotations

import functools
import html
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from funcdiff.api import _argnums_tuple, jacfwd, jacrev, jvp, make_jaxpr, value_and_grad, vjp, vmap
from funcdiff.api_util import fun_name, has_tracer
from funcdiff.core.ir import ClosedJaxpr
from funcdiff.core.trace import Tracer
from funcdiff.errors import DTypeError, FuncdiffError, ShapeError
from funcdiff.interpreters.eval import eval_jaxpr
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import shape as sh
from funcdiff.primitives.linalg import dot_general
from funcdiff.tree import ravel_pytree, tree_flatten

Fun = Callable[..., Any]
OnNonConvex = Literal["warn", "raise", "ignore", "shift"]

#: With ``matrix_free=None``, models with more inputs than this are matrix-free.
MATRIX_FREE_THRESHOLD = 2000

#: Models with at most this many inputs print their Hessian in ``repr``.
_REPR_MAX_N = 6
# notebooks show the Hessian as a table up to this n, its eigenvalues up to the next
_HTML_MAX_N = 8
_HTML_MAX_EIG_N = 500


class MatrixFreeError(FuncdiffError, RuntimeError):
    """A dense-only quantity was asked of a matrix-free :class:`QuadraticModel`.

    A matrix-free model never forms the n x n Hessian (that is the point of
    it when n is large). Use ``model.hvp(v)`` / ``model.curvature(v)``, call
    ``model.dense()`` to form the Hessian now (n Hessian-vector products, n^2
    memory), or build the model dense: ``taylor2(f, matrix_free=False)(x0)``.
    """


class NonConvexModelWarning(RuntimeWarning):
    """``newton_step``: the Hessian is not positive definite, so the model has
    no minimizer and the Newton step does not point to one."""


class NonConvexModelError(FuncdiffError, ArithmeticError):
    """``newton_step(on_nonconvex="raise")`` met a Hessian that is not
    positive definite (see :class:`NonConvexModelWarning`)."""


@dataclass(frozen=True)
class NewtonInfo:
    """How ``QuadraticModel.newton_step`` obtained its step.

    Attributes:
      method: ``"cholesky"`` (dense, H positive definite, ``np.linalg.solve``),
        ``"lstsq"`` (dense, H not positive definite: ``np.linalg.lstsq``, the
        minimum-norm least-squares solution), ``"cg"`` (matrix-free
        conjugate gradients on Hessian-vector products), or, in sparse mode,
        ``"ldl"`` (H positive definite: a banded Cholesky, or a sparse LU with
        symmetric diagonal pivoting, i.e. an LDL^T factorization,
        ``scipy.sparse.linalg.splu``; see ``sparse_ldl``),
        ``"lu"`` (H not positive definite: a sparse LU with partial
        pivoting, the model's stationary point) or ``"lsqr"`` (H singular:
        ``scipy.sparse.linalg.lsqr``'s least-squares solution).
      converged: the returned step solves ``(H + damping I) p = -g`` to the
        tolerance (always True for ``"cholesky"``; for ``"lstsq"`` False when
        H is singular and ``-g`` is not in its range).
      iterations: conjugate-gradient iterations (0 for the dense methods).
      residual: ``|(H + damping I) p + g| / |g|`` (0.0 when g = 0).
      is_convex: dense and sparse: H + damping I is positive definite
        (Cholesky, or the sparse LDL^T with positive pivots, succeeded);
        CG: False when negative curvature was met, else None (CG cannot
        prove convexity).
      negative_curvature: CG stopped on a direction ``d`` with
        ``d^T (H + damping I) d <= 0``.
      direction: that direction (flat, shape (n,)), else None. It is a
        descent-free escape direction from a saddle point.
      direction_curvature: ``d^T (H + damping I) d`` for that direction;
        sparse mode, H + damping I not positive definite: the smallest pivot
        of its LDL^T factorization (``-inf`` when a pivot was exactly zero,
        ``nan`` when a banded Cholesky failed: LAPACK reports no pivot).
      shift: ``on_nonconvex="shift"``: the ``tau`` added to ``H + damping I``
        to make it positive definite (0.0 when none was needed).
    """

    method: str
    converged: bool
    iterations: int
    residual: float
    is_convex: bool | None
    negative_curvature: bool = False
    direction: np.ndarray | None = None
    direction_curvature: float | None = None
    shift: float = 0.0


@dataclass(frozen=True, repr=False)
class TaylorCheck:
    """What ``QuadraticModel.check`` found: does the model agree with ``f`` to
    third order along a direction?

    Near ``x0`` a correct second-order Taylor model leaves an error
    ``|f(x0 + t d) - m(x0 + t d)| = O(t^3)``: on a log-log plot of the error
    against the step length ``t`` it is a line of slope 3. A wrong gradient
    gives slope 1, a wrong Hessian slope 2.

    Attributes:
      passed: the observed order is within ``accepted`` and the Hessian is
        symmetric (``asymmetry <= tol_asymmetry``); also ``bool(check)``.
      order: the observed order, the least-squares slope of
        ``log |f - m|`` against ``log t`` over the steps whose error is above
        rounding level; ``nan`` when fewer than two are (then ``note`` says
        why).
      ts: the step lengths ``t`` (along the unit direction ``d``).
      errors: ``|f(x0 + t d) - m(x0 + t d)|`` at each ``t``.
      noise: the rounding level of each error (``64 eps (|f(x0)| + |t g.d|
        + |t^2 d^T H d / 2|)``): errors below it carry no information.
      accepted: the accepted range of the order, ``(2.7, 3.3)`` by default.
      asymmetry: ``|u^T H w - w^T H u| / (|H w| + |H u|)`` for the direction
        and a second random unit vector (Hessian-vector products, so it
        works matrix-free too); 0 for an exactly symmetric Hessian.
      tol_asymmetry: the largest accepted asymmetry (``sqrt(eps)``).
      direction: the unit direction ``d``, flat, shape (n,).
      note: ``""``, or why the order could not be measured: the model is
        exact to rounding along ``d`` (``f`` quadratic there: passes), or the
        errors drop to rounding level too early (fails: take larger ``ts``).
    """

    passed: bool
    order: float
    ts: tuple[float, ...]
    errors: tuple[float, ...]
    noise: tuple[float, ...]
    accepted: tuple[float, float]
    asymmetry: float
    tol_asymmetry: float
    direction: np.ndarray
    note: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        lo, hi = self.accepted
        order = "nan" if math.isnan(self.order) else f"{self.order:.2f}"
        ts = ", ".join(f"{t:.0e}" for t in self.ts)
        errs = ", ".join(f"{e:.2e}" for e in self.errors)
        asym = "0" if self.asymmetry == 0 else f"{self.asymmetry:.1e}"
        pad = " " * len("TaylorCheck(")
        text = (
            f"TaylorCheck(passed={self.passed}, order={order} (accepted [{lo:g}, {hi:g}]), "
            f"asymmetry={asym},\n{pad}t=[{ts}], |f - m|=[{errs}]"
        )
        if self.note:
            text += f",\n{pad}note={self.note!r}"
        return text + ")"


# ---------------------------------------------------------------------------
# traceable flat <-> leaves helpers (numpy fast path when nothing is traced)
# ---------------------------------------------------------------------------


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(x.shape) if isinstance(x, Tracer) else np.shape(x)


def _cast(x: Any, dtype: np.dtype[Any]) -> Any:
    if isinstance(x, Tracer):
        return x if x.dtype == dtype else ew.convert(x, dtype)
    return np.asarray(x, dtype=dtype)


def _vdot(a: Any, b: Any) -> Any:
    if has_tracer((a, b)):
        return dot_general(a, b, (((0,), (0,)), ((), ())))
    return np.dot(a, b)


def _matvec(h: Any, v: Any) -> Any:
    if has_tracer((h, v)):
        return dot_general(h, v, (((1,), (0,)), ((), ())))
    return h @ v


def _out(x: Any) -> Any:
    """A result handed to the user: tracers pass, numbers become 0-d/nd arrays."""
    return x if isinstance(x, Tracer) else np.asarray(x)


# ---------------------------------------------------------------------------
# sparse factorization with a positive-definiteness test
# ---------------------------------------------------------------------------


def _scipy_sparse_linalg() -> tuple[Any, Any]:
    try:
        import scipy.sparse as sp
        import scipy.sparse.linalg as spla
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "sparse quadratic models factorize with scipy.sparse.linalg and need scipy: "
            "pip install 'funcdiff[scipy]' (or pip install scipy)"
        ) from err
    return sp, spla


class _BandedCholesky:
    """``A = U^T U`` of a symmetric positive definite banded matrix (LAPACK ``pbtrf``)."""

    def __init__(self, cb: np.ndarray) -> None:
        self._cb = cb

    def solve(self, b: np.ndarray) -> np.ndarray:
        from scipy.linalg import cho_solve_banded

        out: np.ndarray = cho_solve_banded((self._cb, False), b, check_finite=False)
        return out


def _banded_upper(A: Any) -> np.ndarray | None:
    """The upper band storage of the symmetric csr/csc ``A`` when its bandwidth
    is small enough that band storage costs at most 8 times ``A``'s entries."""
    n = A.shape[0]
    indptr = A.indptr
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    cols = A.indices.astype(np.int64)
    offs = cols - rows
    bw = int(np.max(np.abs(offs))) if offs.size else 0
    if (bw + 1) * n > 8 * max(A.nnz, n):
        return None
    upper = offs >= 0
    ab = np.zeros((bw + 1, n), dtype=np.result_type(A.dtype, np.float64))
    # csr (row, col) and csc (col, row) both name the entry (i, j) with j - i = offs
    # for a symmetric matrix, so the upper triangle lands at ab[bw - (j - i), j]
    ab[bw - offs[upper], np.maximum(rows, cols)[upper]] = A.data[upper]
    return ab


def sparse_ldl(A: Any) -> tuple[Any, float]:
    """Factorize the symmetric sparse ``A`` if it is positive definite: ``(factor, min_pivot)``.

    Banded matrices (band storage at most 8 times the stored entries: chained
    and banded problems) get LAPACK's banded Cholesky
    (``scipy.linalg.cholesky_banded``): a true Cholesky, which fails exactly
    when ``A`` is not positive definite, in O(n bandwidth^2) time and
    O(n bandwidth) memory (``min_pivot`` is then ``nan``: LAPACK does not
    report it). Other patterns: scipy has no sparse Cholesky, so this runs
    SuperLU (``splu``) with a
    symmetric fill-reducing ordering (``MMD_AT_PLUS_A``), ``SymmetricMode``
    and ``diag_pivot_thresh=0``: every pivot is taken on the diagonal, so
    the factorization is ``P^T A P = L D L^T`` (U = D L^T) for one symmetric
    permutation P (checked: SuperLU's row and column permutations agree).
    The pivots ``D`` are ratios of leading principal minors of ``P^T A P``,
    so all are positive exactly when ``A`` is positive definite (Sylvester's
    criterion): the same test a Cholesky factorization makes, at the cost of
    one sparse LU. Elimination without pivoting is stable while the pivots
    stay positive, so the first non-positive pivot is computed reliably.

    Returns the factorization (with ``.solve(b)``) and the smallest pivot
    when ``A`` is positive definite, else ``(None, min_pivot)`` (``-inf``
    when the factorization broke down on a zero pivot).

    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csc_array(np.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> factor, pivot = sparse_ldl(A)  # banded: LAPACK's Cholesky
    >>> np.allclose(A @ factor.solve(np.ones(2)), 1.0)
    True
    >>> sparse_ldl(sp.csc_array(np.array([[1.0, 2.0], [2.0, 1.0]])))[0] is None
    True
    >>> B = sp.lil_array(2.0 * np.eye(20)); B[0, 19] = B[19, 0] = 1.0
    >>> factor, pivot = sparse_ldl(B)  # a wide band: SuperLU's LDL^T
    >>> factor is not None, round(pivot, 6)
    (True, 1.5)
    """
    sp, spla = _scipy_sparse_linalg()
    if not (sp.issparse(A) and A.format in ("csr", "csc")):
        A = sp.csc_array(A)
    if A.shape[0] == 0:
        return None, -math.inf
    if not A.has_canonical_format:
        A = A.copy()
        A.sum_duplicates()
    ab = _banded_upper(A)
    if ab is not None:
        from scipy.linalg import cholesky_banded

        try:
            cb = cholesky_banded(ab, lower=False)
        except (np.linalg.LinAlgError, ValueError):  # not positive definite, or not finite
            return None, math.nan
        return _BandedCholesky(cb), math.nan
    A = sp.csc_array(A)
    try:
        lu = spla.splu(
            A,
            permc_spec="MMD_AT_PLUS_A",
            diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        )
    except RuntimeError:  # an exactly zero pivot: singular, or not definite
        return None, -math.inf
    d = lu.U.diagonal()
    if d.size == 0:
        return None, -math.inf
    min_pivot = float(np.min(d))
    ok = bool(np.array_equal(lu.perm_r, lu.perm_c) and min_pivot > 0 and np.all(np.isfinite(d)))
    return (lu if ok else None), min_pivot


def _shift_start(min_diag: float, scale: float) -> tuple[float, float]:
    """(tau0, beta) of the shift sequence 0 or beta - min diag, then doubling."""
    beta = 1e-3 * scale if scale > 0 else 1.0
    return (0.0 if min_diag > 0 else beta - min_diag), beta


def dense_shifted_newton(H: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, float]:
    """Solve ``(H + tau I) p = -g`` for the smallest ``tau`` of the sequence 0,
    ``beta - min diag(H)``, then doubling (``beta = 1e-3 max|H_ij|``; Nocedal
    & Wright, Alg. 3.3) for which Cholesky succeeds; returns ``(p, tau)``.
    ``optimize.newton``'s default safeguard.

    >>> import numpy as np
    >>> p, tau = dense_shifted_newton(np.diag([1.0, -1.0]), np.array([1.0, 1.0]))
    >>> tau > 1, bool(np.dot(p, [1.0, 1.0]) < 0)
    (True, True)
    """
    n = H.shape[0]
    scale = float(np.max(np.abs(H))) if H.size else 0.0
    tau, beta = _shift_start(float(np.min(np.diag(H))) if n else 0.0, scale)
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


def sparse_shifted_newton(H: Any, g: np.ndarray) -> tuple[np.ndarray, float]:
    """Solve ``(H + tau I) p = -g`` for the smallest ``tau`` of the sequence of
    ``optimize.newton``'s Cholesky safeguard (0, then ``beta - min diag(H)``,
    doubling; ``beta = 1e-3 max|H_ij|``) that makes the sparse ``H + tau I``
    positive definite (:func:`sparse_ldl`); returns ``(p, tau)``.

    >>> import numpy as np, scipy.sparse as sp
    >>> H = sp.csr_array(np.array([[1.0, 0.0], [0.0, -1.0]]))
    >>> p, tau = sparse_shifted_newton(H, np.array([1.0, 1.0]))
    >>> tau > 1, bool(np.dot(p, [1.0, 1.0]) < 0)  # shifted: a descent direction
    (True, True)
    """
    sp, _ = _scipy_sparse_linalg()
    H = sp.csc_array(H)
    n = H.shape[0]
    scale = float(np.max(np.abs(H.data))) if H.nnz else 0.0
    tau, beta = _shift_start(float(np.min(H.diagonal())) if n else 0.0, scale)
    eye = sp.csc_array(sp.identity(n, dtype=H.dtype, format="csc"))
    for _ in range(200):
        lu, _ = sparse_ldl(H + tau * eye if tau else H)
        if lu is not None:
            return np.asarray(lu.solve(-np.asarray(g, dtype=H.dtype))), tau
        tau = max(2.0 * tau, beta)
    raise np.linalg.LinAlgError("could not make the sparse Hessian positive definite")


# ---------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------


class QuadraticModel:
    """The second-order Taylor model of a scalar field ``f`` at ``x0``.

    Built by :func:`taylor2`; see there for an example. ``m(x) = f(x0) +
    g.(x - x0) + 1/2 (x - x0)^T H (x - x0)``.

    Attributes:
      x0: the expansion point (a pytree; Python numbers become arrays).
      value: ``f(x0)``, as ``f`` returns it (a 0-d array).
      grad: ``grad(f)(x0)``, a pytree like ``x0``.
      hess: ``hessian(f)(x0)`` (dense mode), the nested pytree
        ``hessian`` gives: for an array x0 of shape s, an array of shape s + s;
        in sparse mode the (n, n) ``scipy.sparse.csr_array`` on the flat inputs.
      x0_flat, g_flat: x0 and g raveled to shape (n,) (``ravel_pytree``).
      H_flat: the (n, n) Hessian of ``x -> f(unravel(x))`` (dense mode; the
        ``csr_array`` in sparse mode).
      unravel: maps a flat (n,) array back to a pytree like ``x0``.
      n: the number of scalar inputs.
      matrix_free: True when the Hessian is only available through
        Hessian-vector products.
      mode: ``"dense"``, ``"matrix-free"`` or ``"sparse"``
        (``taylor2(f, sparse=True)``).

    Points ``x`` and steps ``p`` passed to the methods may be pytrees like
    ``x0`` or flat arrays of shape (n,).

    >>> import funcdiff as fd, numpy as np
    >>> m = fd.taylor2(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    >>> m.grad, m.hess
    (array([ 3., 12.]), array([[ 6.,  0.],
           [ 0., 12.]]))
    """

    def __init__(
        self,
        f: Fun,
        x0: Any,
        value: Any,
        grad: Any,
        linear_hvp: ClosedJaxpr | None,
        matrix_free: bool,
        chunk_size: int | None = None,
        *,
        sparse_hess: Any = None,
    ) -> None:
        self._f = f
        self.x0 = x0
        self.value = value
        self.grad = grad
        leaves, self._treedef = tree_flatten(x0)
        self._shapes = [np.shape(x) for x in leaves]
        self._dtypes = [np.asarray(x).dtype for x in leaves]
        self._sizes = [math.prod(s) for s in self._shapes]
        self.x0_flat, self.unravel = ravel_pytree(x0)
        self.dtype: np.dtype[Any] = self.x0_flat.dtype
        self.g_flat = np.asarray(ravel_pytree(grad)[0], dtype=self.dtype)
        self.n = int(self.x0_flat.shape[0])
        self.matrix_free = matrix_free
        self._lin = linear_hvp
        self._chunk_size = chunk_size
        self._H: np.ndarray | None = None
        self._hess: Any = None
        self._chol: np.ndarray | None = None
        self._chol_done = False
        self._eigs: np.ndarray | None = None
        self._Hs: Any = None  # the scipy.sparse Hessian (sparse mode)
        self._ldl: Any = None
        self._ldl_pivot = math.nan
        if sparse_hess is not None:
            self._Hs = sparse_hess
            self.matrix_free = False
            self._lin = None
        elif not matrix_free:
            self._H = self._dense_hessian()
            self._lin = None  # the dense matrix serves every product from now on

    # -- construction helpers ----------------------------------------------
    def _dense_hessian(self) -> np.ndarray:
        """H from the linear map v -> H v, vmapped over the basis in chunks."""
        assert self._lin is not None
        jaxpr, consts = self._lin.jaxpr, self._lin.consts
        n, dtype = self.n, self.dtype
        chunk = n if self._chunk_size is None else self._chunk_size
        if chunk < 1:
            raise ValueError(f"taylor2: chunk_size must be a positive int, got {chunk}")

        def hvp_leaves(*vs: Any) -> list[Any]:
            return eval_jaxpr(jaxpr, consts, list(vs))

        rows = []
        eye = np.eye(n, dtype=dtype)
        for start in range(0, n, chunk):
            basis = eye[start : start + chunk]
            k = basis.shape[0]
            outs = vmap(hvp_leaves)(*self._split(basis, batch=k))
            rows.append(
                np.concatenate([np.asarray(o, dtype=dtype).reshape(k, -1) for o in outs], axis=1)
            )
        # rows[k] = H e_k (column k); transposed to match hessian(f)'s layout
        return np.ascontiguousarray(np.concatenate(rows, axis=0).T)

    def _split(self, flat: np.ndarray, batch: int) -> list[np.ndarray]:
        """(batch, n) numpy rows -> leaves of shape (batch, *leaf_shape)."""
        out, start = [], 0
        for shape, size, dt in zip(self._shapes, self._sizes, self._dtypes, strict=True):
            out.append(flat[:, start : start + size].reshape((batch, *shape)).astype(dt))
            start += size
        return out

    # -- flat <-> pytree ------------------------------------------------------
    def _describe(self) -> str:
        if self._treedef.num_leaves == 1 and self._treedef == tree_flatten(0)[1]:
            return f"an array of shape {self._shapes[0]}"
        return f"a pytree {self._treedef} with leaf shapes {self._shapes}"

    def _leaves_to_flat(self, leaves: list[Any]) -> Any:
        dtype = self.dtype
        if not has_tracer(leaves):
            if len(leaves) == 1:
                return np.asarray(leaves[0], dtype=dtype).reshape(-1)
            return np.concatenate([np.asarray(x, dtype=dtype).reshape(-1) for x in leaves])
        parts = [
            sh.reshape(_cast(x, dtype), (s,)) for x, s in zip(leaves, self._sizes, strict=True)
        ]
        return ix.concatenate(parts, 0)

    def _flat_to_leaves(self, flat: Any) -> list[Any]:
        out, start = [], 0
        traced = has_tracer((flat,))
        for shape, size, dt in zip(self._shapes, self._sizes, self._dtypes, strict=True):
            if traced:
                piece = sh.reshape(ix.slice_axis(flat, start, start + size, 0), shape)
                out.append(_cast(piece, dt))
            else:
                out.append(np.asarray(flat[start : start + size], dtype=dt).reshape(shape))
            start += size
        return out

    def _as_flat(self, x: Any, what: str) -> tuple[Any, bool]:
        """``x`` (a pytree like x0, or flat (n,)) as a flat array; and whether it was flat."""
        leaves, treedef = tree_flatten(x)
        if treedef == self._treedef and all(
            _shape(a) == s for a, s in zip(leaves, self._shapes, strict=True)
        ):
            self._check_float(leaves, what)
            x0_is_vector = self._shapes == [(self.n,)]
            return self._leaves_to_flat(leaves), x0_is_vector
        if len(leaves) == 1 and treedef == tree_flatten(0)[1] and _shape(x) == (self.n,):
            self._check_float(leaves, what)
            return _cast(x, self.dtype), True
        if isinstance(x, (list, tuple)) and not has_tracer(leaves):
            try:
                arr = np.asarray(x, dtype=float)
            except (TypeError, ValueError):
                arr = None
            if arr is not None and arr.shape == (self.n,):
                return arr.astype(self.dtype), True
        got = (
            f"an array of shape {_shape(x)}"
            if treedef == tree_flatten(0)[1]
            else f"a pytree {treedef} with leaf shapes {[_shape(a) for a in leaves]}"
        )
        raise ShapeError(
            f"QuadraticModel.{what}: expected {self._describe()} (like x0) or a flat "
            f"array of shape ({self.n},), but got {got}"
        )

    def _check_float(self, leaves: list[Any], what: str) -> None:
        for a in leaves:
            if isinstance(a, (bool, np.bool_)):
                kind = "b"
            elif isinstance(a, (int, float)):
                continue
            else:
                kind = np.dtype(a.dtype if hasattr(a, "dtype") else np.asarray(a).dtype).kind
            if kind not in "fciu":
                raise DTypeError(
                    f"QuadraticModel.{what}: expected numbers (floating point), got an "
                    f"array of dtype kind {kind!r}"
                )

    def _like(self, flat: Any, as_flat: bool) -> Any:
        if as_flat:
            return _out(flat)
        return self._treedef.unflatten([_out(x) for x in self._flat_to_leaves(flat)])

    # -- the Hessian ----------------------------------------------------------
    def _no_dense(self, what: str) -> MatrixFreeError:
        return MatrixFreeError(
            f"QuadraticModel.{what} is not available: this model of n={self.n} inputs is "
            f"matrix-free, so the dense {self.n} x {self.n} Hessian was never formed "
            f"(taylor2 builds matrix-free models when matrix_free=True, or when "
            f"matrix_free=None and n > {MATRIX_FREE_THRESHOLD}). Use model.hvp(v) or "
            "model.curvature(v); or form the Hessian with model.dense() (n Hessian-vector "
            "products, n^2 memory), or build the model with taylor2(f, matrix_free=False)(x0)."
        )

    @property
    def mode(self) -> str:
        """``"dense"``, ``"matrix-free"`` or ``"sparse"``."""
        if self._Hs is not None:
            return "sparse"
        return "matrix-free" if self.matrix_free else "dense"

    @property
    def H_flat(self) -> Any:
        """The (n, n) Hessian on the flat inputs (dense mode: an array; sparse
        mode: a ``scipy.sparse.csr_array``)."""
        if self._Hs is not None:
            return self._Hs
        if self._H is None:
            raise self._no_dense("H_flat")
        return self._H

    @property
    def hess(self) -> Any:
        """The Hessian shaped as ``hessian(f)(x0)`` gives it (dense mode), or
        the (n, n) ``csr_array`` on the flat inputs (sparse mode)."""
        if self._Hs is not None:
            return self._Hs
        if self._H is None:
            raise self._no_dense("hess")
        if self._hess is None:
            H, td = self._H, self._treedef
            offs = np.cumsum([0, *self._sizes])
            rows = []
            for i, si in enumerate(self._shapes):
                blocks = [
                    H[offs[i] : offs[i + 1], offs[j] : offs[j + 1]]
                    .reshape(si + sj)
                    .astype(np.result_type(self._dtypes[i], self._dtypes[j]))
                    for j, sj in enumerate(self._shapes)
                ]
                rows.append(td.unflatten(blocks))
            self._hess = td.unflatten(rows)
        return self._hess

    def dense(self) -> QuadraticModel:
        """This model with its dense Hessian (self when already dense).

        A matrix-free model forms H from n Hessian-vector products (``vmap``
        of its linear map over the basis); a sparse model converts its
        matrix (``toarray``); ``f`` is not evaluated again.
        """
        if self._Hs is not None:
            dense = QuadraticModel.__new__(QuadraticModel)
            dense.__dict__.update(self.__dict__)
            dense._Hs, dense._ldl = None, None
            dense._H = np.asarray(self._Hs.toarray(), dtype=self.dtype)
            dense._chol, dense._chol_done, dense._eigs, dense._hess = None, False, None, None
            return dense
        if not self.matrix_free:
            return self
        return QuadraticModel(
            self._f, self.x0, self.value, self.grad, self._lin, False, self._chunk_size
        )

    def _hvp_flat(self, v: Any) -> Any:
        if self._Hs is not None:
            if has_tracer((v,)):
                raise TypeError(
                    "QuadraticModel: a sparse model multiplies by a scipy.sparse matrix, "
                    "which cannot be traced; use model.dense() (small n) or a matrix-free "
                    "model (taylor2(f, matrix_free=True)) under grad/vmap/jit"
                )
            return np.asarray(self._Hs @ np.asarray(v, dtype=self.dtype), dtype=self.dtype)
        if self._H is not None:
            return _matvec(self._H, v)
        assert self._lin is not None
        outs = eval_jaxpr(self._lin.jaxpr, self._lin.consts, self._flat_to_leaves(v))
        return self._leaves_to_flat(outs)

    @property
    def _H_sym(self) -> np.ndarray:
        H = self.H_flat
        sym: np.ndarray = (H + H.T) * 0.5
        return sym

    def _cholesky(self) -> np.ndarray | None:
        if not self._chol_done:
            self._chol_done = True
            try:
                L = np.linalg.cholesky(self._H_sym)
            except np.linalg.LinAlgError:
                L = None
            self._chol = L if L is not None and np.all(np.isfinite(L)) else None
        return self._chol

    @property
    def is_convex(self) -> bool:
        """H is positive definite (its Cholesky factorization succeeds).

        Then the model is strictly convex and ``newton_step()`` leads to its
        unique minimizer. A positive semi-definite but singular H (e.g. f
        linear in some direction) is *not* counted as convex: the model has
        no unique minimizer. Dense and sparse mode (there: the pivots of a
        sparse LDL^T factorization, :func:`sparse_ldl`).
        """
        if self._Hs is not None:
            return self._sparse_ldl() is not None
        if self._H is None:
            raise self._no_dense("is_convex")
        return self._cholesky() is not None

    def eigenvalues(self) -> np.ndarray:
        """The Hessian's eigenvalues, ascending (``np.linalg.eigvalsh``; dense mode only).

        >>> import numpy as np
        >>> taylor2(lambda x: (x * x * np.array([1.0, 3.0])).sum())(np.ones(2)).eigenvalues()
        array([2., 6.])
        """
        if self._Hs is not None:
            raise MatrixFreeError(
                "QuadraticModel.eigenvalues() needs the dense Hessian, and this model is "
                f"sparse (n={self.n}); use model.is_convex (a sparse factorization), "
                "scipy.sparse.linalg.eigsh(model.hess, ...) for a few eigenvalues, or "
                "model.dense().eigenvalues() when n is small"
            )
        if self._H is None:
            raise self._no_dense("eigenvalues()")
        if self._eigs is None:
            self._eigs = np.linalg.eigvalsh(self._H_sym)
        eigs: np.ndarray = self._eigs.copy()
        return eigs

    # -- evaluating the model ---------------------------------------------------
    def _quad(self, d: Any) -> Any:
        """g.d + 1/2 d^T H d for a flat step d (one Hessian-vector product)."""
        return _vdot(self.g_flat, d) + 0.5 * _vdot(d, self._hvp_flat(d))

    def __call__(self, x: Any) -> Any:
        """``m(x) = f(x0) + g.(x - x0) + 1/2 (x - x0)^T H (x - x0)`` at a point ``x``.

        ``x`` is a pytree like ``x0`` (or flat, shape (n,)).
        """
        d = self._as_flat(x, "__call__")[0] - self.x0_flat
        return _out(self.value + self._quad(d))

    def step_value(self, p: Any) -> Any:
        """``m(x0 + p) = f(x0) + g.p + 1/2 p^T H p`` for a step ``p`` (pytree or flat)."""
        return _out(self.value + self._quad(self._as_flat(p, "step_value")[0]))

    def predicted_decrease(self, p: Any) -> Any:
        """``m(x0) - m(x0 + p) = -(g.p + 1/2 p^T H p)``: the decrease the model predicts."""
        return _out(-self._quad(self._as_flat(p, "predicted_decrease")[0]))

    def point(self, p: Any) -> Any:
        """``x0 + p`` as a pytree like ``x0`` (``p`` a pytree like x0 or flat)."""
        flat = self._as_flat(p, "point")[0]
        return self._treedef.unflatten([_out(a) for a in self._flat_to_leaves(self.x0_flat + flat)])

    def actual_decrease(self, p: Any) -> Any:
        """``f(x0) - f(x0 + p)``: the decrease ``f`` really achieves (one call of f)."""
        return _out(self.value - self._f(self.point(p)))

    def ratio(self, p: Any) -> Any:
        """``actual_decrease(p) / predicted_decrease(p)``: the trust-region rho.

        Close to 1 where the model is good; ``nan`` for ``p = 0``.
        """
        actual = self.actual_decrease(p)
        predicted = self.predicted_decrease(p)
        if has_tracer((actual, predicted)):
            return actual / predicted
        with np.errstate(divide="ignore", invalid="ignore"):
            return _out(np.asarray(actual) / np.asarray(predicted))

    def curvature(self, v: Any) -> Any:
        """``v^T H v`` with one Hessian-vector product (``v`` a pytree like x0 or
        flat): the stored Hessian, or matrix-free the stored linear map ``v -> H v``,
        so ``f`` does not run again. :meth:`line` gives the same number as
        ``2 * line(v)[2]`` by a Taylor-mode pass through ``f``."""
        d = self._as_flat(v, "curvature")[0]
        return _out(_vdot(d, self._hvp_flat(d)))

    def line(self, v: Any, order: int = 2) -> Any:
        """The Taylor coefficients ``c_0..c_order`` of ``t -> f(x0 + t v)`` at
        ``t = 0``, by one Taylor-mode pass through ``f`` (:func:`funcdiff.taylor`):
        ``f(x0 + t v) = sum_j c_j t^j + O(t^(order+1))``.

        To order 2 they are the model along the line: ``c_0 = f(x0)``,
        ``c_1 = g.v``, ``c_2 = v^T H v / 2``; higher orders show how far
        ``f`` bends away from its quadratic model along ``v``.

        >>> import funcdiff as fd, numpy as np
        >>> m = fd.taylor2(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
        >>> m.line(np.array([1.0, 0.0]), order=3).tolist()  # (1 + t)^3 + 8
        [9.0, 3.0, 3.0, 1.0]
        """
        from funcdiff._jet import taylor

        d = self._as_flat(v, "line")[0]
        direction = self._treedef.unflatten(self._flat_to_leaves(d))
        return taylor(self._f, order=order)(self.x0, direction)

    def hvp(self, v: Any) -> Any:
        """``H v``, shaped like ``v`` (a pytree like x0, or flat of shape (n,))."""
        d, as_flat = self._as_flat(v, "hvp")
        return self._like(self._hvp_flat(d), as_flat)

    # -- checking the model against f --------------------------------------------
    def check(
        self,
        direction: Any = None,
        ts: tuple[float, ...] | None = None,
        *,
        accepted: tuple[float, float] = (2.7, 3.3),
        seed: int = 0,
    ) -> TaylorCheck:
        """Check the model against ``f``: the error must shrink like ``t^3``.

        Along a unit direction ``d`` the error ``e(t) = |f(x0 + t d) -
        m(x0 + t d)|`` of a correct second-order model is ``O(t^3)``; a wrong
        gradient shows as order 1, a wrong Hessian as order 2. ``check``
        evaluates ``f`` once per step length, fits the slope of ``log e``
        against ``log t`` and checks the Hessian's symmetry with two
        Hessian-vector products. It needs ``f`` to be three times
        differentiable near ``x0`` (at a kink the order is lower, correctly).

        Args:
          direction: ``d``, a pytree like ``x0`` or flat (n,); normalized to
            unit length. Default: a random unit vector (from ``seed``).
          ts: the step lengths; default ``(1e-2, 3e-3, 1e-3)`` in float64,
            ``(1e-1, 3e-2)`` in lower precision (rounding must stay below
            ``t^3``).
          accepted: the accepted range of the observed order.
          seed: seeds the random direction(s).

        Returns:
          A :class:`TaylorCheck` (truthy when it passed), with the observed
          order, the errors at each ``t`` and a readable ``repr``.

        >>> import numpy as np
        >>> rosen = lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
        >>> m = taylor2(rosen)(np.array([-1.2, 1.0]))
        >>> c = m.check([0.6, 0.8])
        >>> c.passed, round(c.order, 2)
        (True, 3.0)
        >>> c
        TaylorCheck(passed=True, order=3.00 (accepted [2.7, 3.3]), asymmetry=0,
                    t=[1e-02, 3e-03, 1e-03], |f - m|=[1.61e-04, 4.35e-06, 1.61e-07])

        Where ``f`` has a kink at ``x0`` no quadratic model is good, and the
        check says so:

        >>> import funcdiff.numpy as fnp
        >>> kinked = lambda p: rosen(p) + fnp.abs(p[0] + 1.2)
        >>> c = taylor2(kinked)(np.array([-1.2, 1.0])).check([-0.6, 0.8])
        >>> c.passed, round(c.order, 1)
        (False, 1.0)
        """
        rng = np.random.default_rng(seed)
        dtype = self.dtype
        if direction is None:
            d = rng.normal(size=self.n)
        else:
            d = np.asarray(self._as_flat(direction, "check")[0], dtype=np.float64)
        norm = float(np.linalg.norm(d))
        if not (norm > 0 and math.isfinite(norm)):
            raise ValueError(
                f"QuadraticModel.check: the direction must be non-zero and finite, got norm {norm}"
            )
        d = (d / norm).astype(dtype)
        if ts is None:
            ts = (1e-2, 3e-3, 1e-3) if dtype == np.float64 else (1e-1, 3e-2)
        ts = tuple(float(t) for t in ts)
        if len(ts) < 2 or not all(t > 0 and math.isfinite(t) for t in ts):
            raise ValueError(
                f"QuadraticModel.check: ts must be two or more positive step lengths, got {ts}"
            )
        eps = float(np.finfo(dtype).eps)
        f0 = float(np.asarray(self.value))
        gd = float(np.dot(self.g_flat, d))
        dHd = float(np.dot(d, np.asarray(self._hvp_flat(d), dtype=dtype)))
        errors, noise = [], []
        for t in ts:
            p = (t * d).astype(dtype)
            fx = float(np.asarray(self._f(self.point(p))))
            mx = float(np.asarray(self.step_value(p)))
            errors.append(abs(fx - mx))
            noise.append(64 * eps * (abs(f0) + abs(t * gd) + abs(0.5 * t * t * dHd)))
        above = [i for i, (e, z) in enumerate(zip(errors, noise, strict=True)) if e > z]
        note = ""
        if len(above) >= 2:
            lt = np.log([ts[i] for i in above])
            le = np.log([errors[i] for i in above])
            order = float(np.polyfit(lt, le, 1)[0])
            ok_order = accepted[0] <= order <= accepted[1]
        else:
            order = math.nan
            if not above:
                ok_order = True
                note = "the model is exact to rounding along d (f is quadratic there)"
            else:
                ok_order = False
                note = "the errors reach rounding level at the smaller ts: pass larger ts"
        w = rng.normal(size=self.n)
        w = (w / np.linalg.norm(w)).astype(dtype)
        hw = np.asarray(self._hvp_flat(w), dtype=np.float64)
        hd = np.asarray(self._hvp_flat(d), dtype=np.float64)
        scale = float(np.linalg.norm(hw) + np.linalg.norm(hd))
        asym = abs(float(np.dot(d, hw) - np.dot(w, hd))) / scale if scale > 0 else 0.0
        tol_asym = math.sqrt(eps)
        return TaylorCheck(
            passed=bool(ok_order and asym <= tol_asym),
            order=order,
            ts=ts,
            errors=tuple(errors),
            noise=tuple(noise),
            accepted=(float(accepted[0]), float(accepted[1])),
            asymmetry=asym,
            tol_asymmetry=tol_asym,
            direction=d,
            note=note,
        )

    # -- Newton step --------------------------------------------------------------
    def newton_step(
        self,
        *,
        damping: float = 0.0,
        on_nonconvex: OnNonConvex = "warn",
        tol: float = 1e-10,
        maxiter: int | None = None,
        flat: bool = False,
        return_info: bool = False,
    ) -> Any:
        """The Newton step ``p`` solving ``(H + damping I) p = -g``.

        Dense mode: when ``H + damping I`` is positive definite (Cholesky
        succeeds, ``is_convex``) ``p = np.linalg.solve(H, -g)`` is the model's
        unique minimizer. Otherwise the model has no minimizer; ``p`` is then
        ``np.linalg.lstsq``'s minimum-norm solution (the stationary point of
        the model nearest ``x0``: a saddle or a maximum when H is
        indefinite), and ``on_nonconvex`` decides what happens: ``"warn"``
        (default) issues a :class:`NonConvexModelWarning`, ``"raise"`` raises
        :class:`NonConvexModelError`, ``"ignore"`` does nothing, and
        ``"shift"`` returns the step of the safeguard instead:
        ``(H + damping I + tau I) p = -g`` with the smallest ``tau`` of the
        sequence 0, ``beta - min diag``, doubling, that makes the matrix
        positive definite (``info.shift``; ``optimize.newton``'s Cholesky
        safeguard), a descent direction.

        Sparse mode: ``H + damping I`` is factorized by :func:`sparse_ldl`
        (a banded Cholesky when the bandwidth is small, else a sparse LU with
        symmetric diagonal pivoting, ``P^T A P = L D L^T``): success (all
        pivots positive) means positive definite, and the step is that
        factorization's solve (``info.method == "ldl"``). Otherwise, as in
        dense mode, the step is the model's stationary point (a sparse LU
        with partial pivoting, ``"lu"``; ``scipy.sparse.linalg.lsqr`` when the
        matrix is singular, ``"lsqr"``) and ``on_nonconvex`` applies
        (``"shift"``: the shifts are tested by :func:`sparse_ldl`).

        Matrix-free mode: conjugate gradients on Hessian-vector products,
        from ``p = 0``, until ``|(H + damping I) p + g| <= tol |g|`` or
        ``maxiter`` iterations (default ``2 n``). If CG meets a direction ``d``
        of non-positive curvature it stops (as in Newton-CG, Nocedal & Wright
        Alg. 7.1): it returns the current iterate, or ``-g`` when that happens
        at the first iteration, and reports ``d`` in the info;
        ``on_nonconvex`` applies. Not converging within ``maxiter`` warns.

        Args:
          damping: lambda >= 0 of a Levenberg-Marquardt step ``(H + lambda I)``.
          on_nonconvex: ``"warn"``, ``"raise"``, ``"ignore"`` or ``"shift"``
            (dense and sparse mode).
          tol, maxiter: the CG stopping rule (matrix-free mode).
          flat: return the step flat, shape (n,), instead of like ``x0``.
          return_info: return ``(p, NewtonInfo)``.

        >>> import numpy as np
        >>> A = np.array([[3.0, 1.0], [1.0, 2.0]]); b = np.array([1.0, -1.0])
        >>> m = taylor2(lambda x: 0.5 * x @ A @ x - b @ x)(np.zeros(2))
        >>> p = m.newton_step()
        >>> np.allclose(A @ p, b)
        True
        """
        if on_nonconvex not in ("warn", "raise", "ignore", "shift"):
            raise ValueError(
                f"newton_step: on_nonconvex must be 'warn', 'raise', 'ignore' or 'shift', "
                f"got {on_nonconvex!r}"
            )
        if on_nonconvex == "shift" and self._H is None and self._Hs is None:
            raise ValueError(
                "newton_step: on_nonconvex='shift' tests positive definiteness by a "
                "factorization, and this model is matrix-free; build it dense "
                "(taylor2(f, matrix_free=False)) or sparse (taylor2(f, sparse=True))"
            )
        if not damping >= 0:
            raise ValueError(f"newton_step: damping must be >= 0, got {damping}")
        if self._Hs is not None:
            p, info = self._newton_sparse(damping)
        elif self._H is not None:
            p, info = self._newton_dense(damping)
        else:
            p, info = self._newton_cg(damping, tol, maxiter)
        if info.is_convex is False and on_nonconvex == "shift":
            p, info = self._shifted(damping)
        elif info.is_convex is False:
            if on_nonconvex != "ignore":
                msg = self._nonconvex_message(info, damping)
                if on_nonconvex == "raise":
                    raise NonConvexModelError(msg)
                warnings.warn(msg, NonConvexModelWarning, stacklevel=2)
        elif info.method == "cg" and not info.converged:
            warnings.warn(
                f"QuadraticModel.newton_step: conjugate gradients did not reach "
                f"tol={tol} in {info.iterations} iterations (relative residual "
                f"{info.residual:.3g}); pass a larger maxiter or tol.",
                RuntimeWarning,
                stacklevel=2,
            )
        step = self._like(p, flat)
        return (step, info) if return_info else step

    def _nonconvex_message(self, info: NewtonInfo, damping: float) -> str:
        what = "H" if damping == 0 else f"(H + {damping:g} I)"
        if info.method == "cg":
            detail = (
                f"conjugate gradients met a direction d with d^T {what} d = "
                f"{info.direction_curvature:.3g} <= 0 after {info.iterations} iteration(s), "
                "so the model is unbounded below along d; the returned step is the CG "
                "iterate before that (-g at the first iteration), and info.direction holds d "
                "(newton_step(return_info=True))"
            )
        elif self._Hs is not None:
            solved = {
                "lu": "a sparse LU with partial pivoting solved it: the returned step is the "
                "model's stationary point (a saddle point or maximum)",
                "lsqr": "it is singular: the returned step is scipy.sparse.linalg.lsqr's "
                "least-squares solution",
            }[info.method]
            pivot = info.direction_curvature
            how = (
                "its banded Cholesky factorization failed"
                if pivot is None or math.isnan(pivot)
                else f"its sparse LDL^T factorization met the pivot {pivot:.3g} <= 0"
            )
            detail = (
                f"{what} is not positive definite ({how}), so the model has no minimizer; {solved}"
            )
        else:
            lam = float(self.eigenvalues()[0]) + damping
            detail = (
                f"{what} is not positive definite (smallest eigenvalue {lam:.3g}), so the "
                "model has no minimizer; the returned step is np.linalg.lstsq's "
                f"minimum-norm solution of {what} p = -g: a saddle point or maximum of the "
                "model, or, when the matrix is singular, the least-squares best fit"
            )
        return (
            f"QuadraticModel.newton_step: {detail}. For a descent step use damping larger "
            "than -(smallest eigenvalue) (newton_step(damping=...)) or a trust-region "
            "method; pass on_nonconvex='ignore' to silence this."
        )

    def _newton_dense(self, damping: float) -> tuple[np.ndarray, NewtonInfo]:
        g = self.g_flat
        if damping == 0:
            Hs = self._H_sym
            L = self._cholesky()
        else:
            Hs = self._H_sym + damping * np.eye(self.n, dtype=self.dtype)
            try:
                L = np.linalg.cholesky(Hs)
            except np.linalg.LinAlgError:
                L = None
            if L is not None and not np.all(np.isfinite(L)):
                L = None
        gnorm = float(np.linalg.norm(g))
        if L is not None:
            p = np.linalg.solve(Hs, -g)
            method = "cholesky"
        else:
            p = np.linalg.lstsq(Hs, -g, rcond=None)[0]
            method = "lstsq"
        res = float(np.linalg.norm(Hs @ p + g)) / gnorm if gnorm > 0 else 0.0
        converged = method == "cholesky" or res <= 1e-8
        return p.astype(self.dtype), NewtonInfo(method, converged, 0, res, L is not None)

    def _shifted(self, damping: float) -> tuple[np.ndarray, NewtonInfo]:
        g = self.g_flat
        if self._Hs is not None:
            sp, _ = _scipy_sparse_linalg()
            A = self._Hs
            if damping:
                A = A + damping * sp.identity(self.n, dtype=self.dtype, format="csr")
            p, tau = sparse_shifted_newton(A, g)
            method = "ldl"
        else:
            A = self._H_sym + damping * np.eye(self.n, dtype=self.dtype)
            p, tau = dense_shifted_newton(A, g)
            method = "cholesky"
        p = np.asarray(p, dtype=self.dtype)
        gnorm = float(np.linalg.norm(g))
        res = float(np.linalg.norm(A @ p + tau * p + g)) / gnorm if gnorm > 0 else 0.0
        return p, NewtonInfo(method, True, 0, res, False, shift=tau)

    def _sparse_ldl(self) -> Any:
        if self._ldl is None:
            lu, pivot = sparse_ldl(self._Hs)
            self._ldl, self._ldl_pivot = (lu if lu is not None else False), pivot
        return self._ldl if self._ldl is not False else None

    def _newton_sparse(self, damping: float) -> tuple[np.ndarray, NewtonInfo]:
        sp, spla = _scipy_sparse_linalg()
        g = self.g_flat
        if damping == 0:
            A = self._Hs
            lu, pivot = self._sparse_ldl(), self._ldl_pivot
        else:
            A = self._Hs + damping * sp.identity(self.n, dtype=self.dtype, format="csr")
            lu, pivot = sparse_ldl(A)
        gnorm = float(np.linalg.norm(g))
        if lu is not None:
            p = lu.solve(-g)
            method = "ldl"
        else:
            try:
                p = spla.splu(sp.csc_array(A)).solve(-g)
                method = "lu"
            except RuntimeError:  # exactly singular
                p = spla.lsqr(A, -g, atol=1e-14, btol=1e-14)[0]
                method = "lsqr"
        p = np.asarray(p, dtype=self.dtype)
        res = float(np.linalg.norm(A @ p + g)) / gnorm if gnorm > 0 else 0.0
        converged = method == "ldl" or res <= 1e-8
        pd = lu is not None
        return p, NewtonInfo(
            method, converged, 0, res, pd, direction_curvature=None if pd else pivot
        )

    def _newton_cg(
        self, damping: float, tol: float, maxiter: int | None
    ) -> tuple[np.ndarray, NewtonInfo]:
        g = self.g_flat
        n = self.n
        maxiter = 2 * n if maxiter is None else int(maxiter)
        x = np.zeros(n, dtype=self.dtype)
        r = -g
        gnorm = float(np.sqrt(np.dot(g, g)))
        if gnorm == 0.0:
            return x, NewtonInfo("cg", True, 0, 0.0, None)
        d = r.copy()
        rr = float(np.dot(r, r))
        for k in range(maxiter):
            Hd = np.asarray(self._hvp_flat(d), dtype=self.dtype)
            if damping:
                Hd = Hd + damping * d
            dHd = float(np.dot(d, Hd))
            if not dHd > 0:  # also catches nan
                p = -g if k == 0 else x
                res = float(np.linalg.norm(self._hvp_flat(p) + damping * p + g)) / gnorm
                return p.astype(self.dtype), NewtonInfo(
                    "cg", False, k, res, False, True, d.copy(), dHd
                )
            alpha = rr / dHd
            x = x + alpha * d
            r = r - alpha * Hd
            rr_new = float(np.dot(r, r))
            if math.sqrt(rr_new) <= tol * gnorm:
                return x, NewtonInfo("cg", True, k + 1, math.sqrt(rr_new) / gnorm, None)
            d = r + (rr_new / rr) * d
            rr = rr_new
        return x, NewtonInfo("cg", False, maxiter, math.sqrt(rr) / gnorm, None)

    # -- printing ---------------------------------------------------------------------
    def __repr__(self) -> str:
        value = np.asarray(self.value)
        v = f"{float(value):.8g}" if value.size == 1 else repr(value)
        gnorm = float(np.linalg.norm(self.g_flat))
        head = f"QuadraticModel(value={v}, |grad|={gnorm:.8g}, n={self.n}, mode={self.mode!r}"
        if self._H is not None and self.n <= _REPR_MAX_N:
            indent = " " * len("QuadraticModel(H_flat=")
            H = np.array2string(self._H, precision=6, separator=", ", prefix=indent)
            return f"{head},\n{' ' * len('QuadraticModel(')}H_flat={H})"
        return head + ")"

    def _repr_html_(self) -> str:
        """Notebook display: value, gradient, Hessian (small n), eigenvalues
        and convexity (dense and sparse modes; a matrix-free model says how
        to get them)."""

        def arr(a: Any) -> str:
            with np.printoptions(threshold=24, edgeitems=4, precision=6, suppress=True):
                return f"<code>{html.escape(np.array2string(np.asarray(a), separator=', '))}</code>"

        value = np.asarray(self.value)
        rows: list[tuple[str, str]] = [
            ("value", f"{float(value):.10g}" if value.size == 1 else arr(value)),
            ("gradient", arr(self.g_flat)),
            ("|gradient|", f"{float(np.linalg.norm(self.g_flat)):.6g}"),
            ("n", str(self.n)),
            ("mode", self.mode),
        ]
        if self._H is not None and self.n <= _HTML_MAX_N:
            cells = "".join(
                "<tr>" + "".join(f"<td>{h:.6g}</td>" for h in row) + "</tr>" for row in self._H
            )
            rows.append(("Hessian", f"<table>{cells}</table>"))
        if self._H is not None and self.n <= _HTML_MAX_EIG_N:
            rows.append(("eigenvalues", arr(self.eigenvalues())))
        if self._H is not None or self._Hs is not None:
            convex = self.is_convex
            rows.append(
                (
                    "convex",
                    "yes: H is positive definite, newton_step() reaches the minimizer"
                    if convex
                    else "no: H is not positive definite (a saddle, a maximum, or singular)",
                )
            )
        else:
            rows.append(("convex", "not computed (matrix-free: model.dense().is_convex)"))
        body = "".join(
            f'<tr><th style="text-align:left">{k}</th><td style="text-align:left">{v}</td></tr>'
            for k, v in rows
        )
        return f"<div><b>{type(self).__name__}</b><table>{body}</table></div>"


# ---------------------------------------------------------------------------
# taylor2
# ---------------------------------------------------------------------------


def _check_x0(x0: Any) -> Any:
    leaves, treedef = tree_flatten(x0)
    if not leaves:
        raise ValueError(f"taylor2: x0 has no array leaves ({treedef}); nothing to expand in")
    out = []
    for i, x in enumerate(leaves):
        if isinstance(x, Tracer):
            raise TypeError(
                "taylor2(f)(x0) builds its model eagerly (numpy linear algebra on the "
                f"Hessian), but x0 leaf {i} is a traced value {x.aval.str_short()}: call "
                "taylor2 outside grad/vmap/jit, or use funcdiff.hvp / hessian inside them"
            )
        if isinstance(x, bool) or isinstance(x, np.bool_):
            raise DTypeError(f"taylor2: x0 leaf {i} is a bool; x0 must be floating point")
        arr = np.asarray(x, dtype=np.float64) if isinstance(x, (int, float)) else np.asarray(x)
        if arr.dtype.kind != "f":
            raise DTypeError(
                f"taylor2: x0 leaf {i} has dtype {arr.dtype} (shape {arr.shape}); the model "
                "is taken in floating point: pass x0.astype(float)"
            )
        out.append(arr)
    return treedef.unflatten(out)


def taylor2(
    f: Fun,
    matrix_free: bool | None = None,
    *,
    chunk_size: int | None = None,
    sparse: bool = False,
    sparsity: Any = None,
) -> Callable[..., QuadraticModel]:
    """The second-order Taylor model of a scalar field ``f``: ``taylor2(f)(x0)``.

    Args:
      f: a scalar field: a function of one argument (an array or a pytree of
        arrays) returning a scalar. A function of several arguments,
        ``def f(x, y)``, works too: ``taylor2(f)(1.0, 2.0)`` is the model of
        ``lambda p: f(*p)`` at the tuple ``(1.0, 2.0)`` (``grad`` and the
        steps are tuples, one entry per argument).
      matrix_free: True: never form the dense Hessian (Hessian-vector
        products and conjugate gradients only); False: always form it; None
        (default): matrix-free when x0 has more than
        ``MATRIX_FREE_THRESHOLD`` (2000) scalar entries.
      chunk_size: when forming the dense Hessian, push at most this many
        basis vectors through the Hessian-vector map at once (bounds memory).
      sparse: True: the Hessian is a ``scipy.sparse.csr_array`` from
        ``funcdiff.sparse.sparse_hessian`` (pattern detected from ``f``'s
        jaxpr, or ``sparsity``; star coloring; one vmapped Hessian-vector
        product per color), and ``newton_step`` factorizes it sparsely
        (:func:`sparse_ldl`). The pattern, coloring and the compiled value,
        gradient and Hessian (``fd.jit``: ``f`` must be traceable) are
        prepared once per input structure and reused by every model this
        ``taylor2(f, sparse=True)`` builds. Needs scipy.
      sparsity: the Hessian's pattern (sparse mode; scipy.sparse or boolean
        (n, n) on the flat inputs); default: detected.

    Returns:
      A function of ``x0`` returning a :class:`QuadraticModel`. ``f`` runs
      forward once, and backward once, for the whole model.

    Rosenbrock's function at (-1.2, 1), the classic starting point (x0 a
    tuple here, so grad and hess are tuples; an array x0 gives arrays):

    >>> rosen = lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
    >>> m = taylor2(rosen)((-1.2, 1.0))
    >>> m
    QuadraticModel(value=24.2, |grad|=232.86769, n=2, mode='dense',
                   H_flat=[[1330.,  480.],
                           [ 480.,  200.]])
    >>> m.g_flat
    array([-215.6,  -88. ])
    >>> p = m.newton_step(); p
    (array(0.0247191), array(0.38067416))
    >>> float(m.step_value(p)) < float(m.value), m.is_convex
    (True, True)
    >>> round(float(m.ratio(p)), 4)  # actual / predicted decrease: the model is good
    1.0028

    The lecture's x**2 * exp(x + cos(y)), at (1, 2), matrix-free:

    >>> import funcdiff.numpy as fnp
    >>> q = taylor2(lambda p: p[0] ** 2 * fnp.exp(p[0] + fnp.cos(p[1])), matrix_free=True)
    >>> mq = q((1.0, 2.0))
    >>> mq.g_flat.round(6)
    array([ 5.378801, -1.63031 ])
    >>> round(float(mq.curvature((1.0, 0.0))), 6)  # d2f/dx2 by one Hessian-vector product
    12.550535

    Sparse: chained Rosenbrock in 10,000 variables (a tridiagonal Hessian):

    >>> import numpy as np
    >>> def chained(x):
    ...     return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
    >>> ms = taylor2(chained, sparse=True)(np.full(10_000, 1.2))
    >>> ms.mode, type(ms.hess).__name__, ms.hess.nnz, ms.is_convex
    ('sparse', 'csr_array', 29998, True)
    >>> p, info = ms.newton_step(return_info=True)
    >>> info.method, bool(ms.predicted_decrease(p) > 0)
    ('ldl', True)
    """
    if not callable(f):
        raise TypeError(f"taylor2: f must be a callable scalar field, got {type(f).__name__}")
    if sparse and matrix_free:
        raise ValueError(
            "taylor2: sparse=True and matrix_free=True exclude each other (a sparse model "
            "stores its Hessian as a scipy.sparse matrix); pass one of them"
        )
    if sparsity is not None and not sparse:
        raise ValueError("taylor2: sparsity= is the pattern of a sparse model: pass sparse=True")

    def scalar_f(x: Any) -> Any:
        out = f(x)
        leaves, treedef = tree_flatten(out)
        if len(leaves) != 1 or treedef != tree_flatten(0)[1]:
            raise TypeError(
                f"taylor2 requires a scalar field R^n -> R, but {fun_name(f)} returned a "
                f"pytree {treedef}; return one scalar (use jacobian for vector fields)"
            )
        shape = _shape(out)
        if shape != ():
            raise ShapeError(
                f"taylor2 requires a scalar field R^n -> R, but {fun_name(f)} returned an "
                f"array of shape {shape}. Reduce it to a scalar (e.g. .sum()), or use "
                "jacobian/hessian for vector fields."
            )
        return out

    # sparse mode: per input structure, the SparseHessian (plan and coloring
    # cached per signature) and the compiled value-and-gradient
    prepared: dict[Any, tuple[Any, Fun, Fun]] = {}

    def sparse_model(x0: Any) -> QuadraticModel:
        from funcdiff.jit import jit as _jit
        from funcdiff.sparse import SparseHessian

        leaves, treedef = tree_flatten(x0)
        key = (treedef, tuple((np.shape(a), np.asarray(a).dtype) for a in leaves))
        entry = prepared.get(key)
        if entry is None:
            unravel = ravel_pytree(x0)[1]
            single = len(leaves) == 1 and treedef == tree_flatten(0)[1] and np.ndim(x0) == 1

            def f_flat(z: Any) -> Any:
                return scalar_f(z if single else unravel(z))

            hess = SparseHessian(f_flat, sparsity=sparsity)
            entry = prepared[key] = (hess, _jit(value_and_grad(f_flat)), unravel)
        hess, vg, unravel = entry
        flat = ravel_pytree(x0)[0]
        value, g_flat = vg(flat)
        H = hess(flat)
        grad = unravel(np.asarray(g_flat))
        return QuadraticModel(
            f, x0, np.asarray(value), grad, None, False, chunk_size, sparse_hess=H
        )

    several: list[Callable[[Any], QuadraticModel]] = []

    @functools.wraps(f)
    def taylor2_f(*args: Any) -> QuadraticModel:
        if len(args) != 1:
            if not args:
                raise TypeError(
                    f"taylor2({fun_name(f)}): pass the expansion point, "
                    "taylor2(f)(x0) (or taylor2(f)(x, y) for def f(x, y))"
                )
            if not several:  # built once: the sparse plan is cached per structure
                several.append(
                    taylor2(
                        _star(f),
                        matrix_free,
                        chunk_size=chunk_size,
                        sparse=sparse,
                        sparsity=sparsity,
                    )
                )
            return several[0](tuple(args))
        x0 = _check_x0(args[0])
        if sparse:
            return sparse_model(x0)
        primal: list[tuple[Any, Any]] = []

        def tangent_map(v: Any) -> Any:
            # forward-over-reverse at a concrete x0: the primal (value, grad) is
            # computed now, in numpy; only the tangent v -> H v is recorded.
            (val, g), (_, hv) = jvp(value_and_grad(scalar_f), (x0,), (v,))
            primal.append((val, g))
            return hv

        lin = make_jaxpr(tangent_map)(x0)
        value, grad = primal[0]
        n = sum(int(np.size(a)) for a in tree_flatten(x0)[0])
        mf = n > MATRIX_FREE_THRESHOLD if matrix_free is None else bool(matrix_free)
        return QuadraticModel(f, x0, value, grad, lin, mf, chunk_size)

    return taylor2_f


# ---------------------------------------------------------------------------
# gauss_newton
# ---------------------------------------------------------------------------


def _star(f: Fun) -> Fun:
    """``f(x, y, ...)`` as a function of the tuple ``(x, y, ...)``."""

    @functools.wraps(f)
    def f_of_tuple(p: Any) -> Any:
        return f(*p)

    return f_of_tuple


GaussNewtonMode = Literal["dense", "matrix_free", "sparse"]


class GaussNewtonModel(QuadraticModel):
    """The Gauss-Newton model of ``f(x) = 1/2 |r(x)|^2`` at ``x0``.

    Built by :func:`gauss_newton`. It is a :class:`QuadraticModel` (same
    ``value``, ``grad``, ``hess``/``hvp``, ``newton_step``, ``ratio``,
    ``check``...) whose Hessian is ``H = J^T J``, ``J`` the residual's
    Jacobian at ``x0``: the exact Hessian of ``f`` without the term
    ``sum_i r_i(x0) hess r_i(x0)``. ``value = 1/2 |r|^2`` and ``grad = J^T r``
    are exact, and ``H`` is positive semi-definite, so the Newton step of the
    model (the Gauss-Newton step) is the least-squares solution of
    ``J p = -r`` whenever ``J`` has full column rank. ``check()`` therefore
    passes (order 3) only where the residual is zero or affine; otherwise it
    honestly reports order 2.

    Attributes (beyond :class:`QuadraticModel`'s):
      residual: ``r(x0)``, a float vector of shape (m,).
      m: the number of residuals.
      jac: ``J``: a dense (m, n) array (``mode="dense"``), a
        ``scipy.sparse`` CSR matrix (``mode="sparse"``), or None
        (``mode="matrix_free"``, where ``H v = J^T (J v)`` is one
        Jacobian-vector and one vector-Jacobian product).
      mode: ``"dense"``, ``"matrix-free"`` or ``"sparse"``.
    """

    def __init__(
        self,
        f: Fun,
        x0: Any,
        residual: np.ndarray,
        grad: Any,
        *,
        jac: Any,
        linear_hvp: ClosedJaxpr | None,
        mode: str,
    ) -> None:
        r = np.asarray(residual)
        super().__init__(f, x0, 0.5 * np.dot(r, r), grad, linear_hvp, True)
        self.residual = r
        self.m = int(r.shape[0])
        self.jac = jac
        self._gn_mode = mode
        if mode == "dense":
            J = np.asarray(jac, dtype=self.dtype)
            self._H = np.ascontiguousarray(J.T @ J)
            self.matrix_free = False
            self._lin = None

    @property
    def mode(self) -> str:
        """``"dense"``, ``"matrix-free"`` or ``"sparse"``."""
        return {"dense": "dense", "matrix_free": "matrix-free"}.get(self._gn_mode, "sparse")

    @property
    def hess(self) -> Any:
        """``J^T J``: shaped like ``hessian(f)(x0)`` (dense mode), a ``scipy.sparse``
        CSR matrix on the flat inputs (sparse mode); not available matrix-free."""
        if self._gn_mode == "sparse":
            return (self.jac.T @ self.jac).tocsr()
        return super().hess

    def _hvp_flat(self, v: Any) -> Any:
        if self._gn_mode == "sparse":
            if has_tracer((v,)):
                raise TypeError(
                    "GaussNewtonModel: a sparse-mode model multiplies by scipy.sparse "
                    "matrices, which cannot be traced; build it with mode='dense' or "
                    "'matrix_free' to use it under grad/vmap/jit"
                )
            vv = np.asarray(v, dtype=self.dtype)
            return np.asarray(self.jac.T @ (self.jac @ vv), dtype=self.dtype)
        return super()._hvp_flat(v)

    def __repr__(self) -> str:
        name = "GaussNewtonModel("
        gnorm = float(np.linalg.norm(self.g_flat))
        head = (
            f"{name}value={float(np.asarray(self.value)):.8g}, |grad|={gnorm:.8g}, "
            f"m={self.m}, n={self.n}, mode={self.mode!r}"
        )
        if self._H is not None and self.n <= _REPR_MAX_N:
            indent = " " * len(name + "H_flat=")
            H = np.array2string(self._H, precision=6, separator=", ", prefix=indent)
            return f"{head},\n{' ' * len(name)}H_flat={H})"
        return head + ")"


def gauss_newton(
    residual: Fun, argnums: int | tuple[int, ...] = 0, *, mode: GaussNewtonMode = "dense"
) -> Callable[..., GaussNewtonModel]:
    """The Gauss-Newton model of ``f(x) = 1/2 |r(x)|^2``: ``gauss_newton(r)(*args)``.

    The quadratic ``m(x0 + p) = f(x0) + g.p + 1/2 p^T J^T J p`` with
    ``g = J^T r`` (one vector-Jacobian product), the model behind
    Gauss-Newton and Levenberg-Marquardt (``optimize.levenberg_marquardt``).

    Args:
      residual: ``r``, returning a float vector of shape (m,).
      argnums: the argument the model is taken in (an int; a tuple of ints
        makes ``x0`` the tuple of those arguments); the others are held fixed.
      mode: ``"dense"`` (default): ``J`` by ``jacfwd`` (n <= m) or
        ``jacrev`` (n > m), ``H = J^T J`` as an (n, n) array;
        ``"matrix_free"``: ``H v = J^T (J v)`` by one jvp and one vjp
        (linearized once at ``x0``: later products do not run ``r``
        forward again), no matrix formed; ``"sparse"``: ``J`` from
        ``funcdiff.sparse.sparse_jacobian`` as a ``scipy.sparse`` matrix,
        ``hess`` sparse, Newton steps by conjugate gradients.

    Returns:
      A function of the residual's arguments returning a
      :class:`GaussNewtonModel`.

    Fitting ``y = a exp(b t)``: the Gauss-Newton step is the least-squares
    solution of ``J p = -r``:

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> t = np.linspace(0.0, 1.0, 5); y = 2.0 * np.exp(-t)
    >>> r = lambda p: p[0] * fnp.exp(p[1] * t) - y
    >>> m = gauss_newton(r)(np.array([1.0, 0.0]))
    >>> m
    GaussNewtonModel(value=0.71459622, |grad|=1.4523849, m=5, n=2, mode='dense',
                     H_flat=[[5.   , 2.5  ],
                             [2.5  , 1.875]])
    >>> p = m.newton_step()
    >>> np.allclose(p, np.linalg.lstsq(m.jac, -m.residual, rcond=None)[0])
    True
    >>> mf = gauss_newton(r, mode="matrix_free")(np.array([1.0, 0.0]))
    >>> np.allclose(mf.hvp(np.array([1.0, 2.0])), m.H_flat @ [1.0, 2.0])
    True
    """
    if not callable(residual):
        raise TypeError(
            f"gauss_newton: residual must be a callable returning a vector, got "
            f"{type(residual).__name__}"
        )
    if mode not in ("dense", "matrix_free", "sparse"):
        raise ValueError(
            f"gauss_newton: mode must be 'dense', 'matrix_free' or 'sparse', got {mode!r}"
        )

    @functools.wraps(residual)
    def gauss_newton_r(*args: Any) -> GaussNewtonModel:
        nums = _argnums_tuple(argnums, len(args), "gauss_newton")
        single = isinstance(argnums, (int, np.integer))
        x0 = _check_x0(args[nums[0]] if single else tuple(args[i] for i in nums))

        def res(x: Any) -> Any:
            full = list(args)
            if single:
                full[nums[0]] = x
            else:
                for i, xi in zip(nums, x, strict=True):
                    full[i] = xi
            out = residual(*full)
            leaves, treedef = tree_flatten(out)
            if len(leaves) != 1 or treedef != tree_flatten(0)[1]:
                raise TypeError(
                    f"gauss_newton requires a vector residual R^n -> R^m, but "
                    f"{fun_name(residual)} returned a pytree {treedef}; return one vector"
                )
            shape = _shape(out)
            if len(shape) != 1:
                hint = (
                    "; for a scalar objective use taylor2"
                    if shape == ()
                    else "; ravel it (r.reshape(-1)) to use every entry"
                )
                raise ShapeError(
                    f"gauss_newton requires a vector residual R^n -> R^m, but "
                    f"{fun_name(residual)} returned an array of shape {shape}{hint}"
                )
            return out

        def half_sq(x: Any) -> Any:
            r = res(x)
            return 0.5 * (r * r).sum()

        r0, pullback = vjp(res, x0)
        r0 = np.asarray(r0)
        if r0.dtype.kind != "f":
            raise DTypeError(
                f"gauss_newton: the residual must be floating point, got dtype {r0.dtype}"
            )
        (grad,) = pullback(r0)
        flat0, unravel = ravel_pytree(x0)
        n, m = int(flat0.shape[0]), int(r0.shape[0])

        def res_flat(z: Any) -> Any:
            return res(unravel(z))

        if mode == "dense":
            jac_fn = jacfwd(res_flat) if n <= m else jacrev(res_flat)
            J = np.asarray(jac_fn(flat0)).reshape(m, n)
            return GaussNewtonModel(half_sq, x0, r0, grad, jac=J, linear_hvp=None, mode=mode)
        if mode == "sparse":
            from funcdiff.sparse import sparse_jacobian

            Js = sparse_jacobian(res_flat)(flat0)
            return GaussNewtonModel(
                half_sq, x0, r0, grad, jac=Js.tocsr(), linear_hvp=None, mode=mode
            )

        def gn_map(v: Any) -> Any:
            # J v at a concrete x0 (only the tangent is recorded), then J^T of it
            # through the pullback already linearized at x0: v -> J^T J v
            _, jv = jvp(res, (x0,), (v,))
            return pullback(jv)[0]

        lin = make_jaxpr(gn_map)(x0)
        return GaussNewtonModel(half_sq, x0, r0, grad, jac=None, linear_hvp=lin, mode=mode)

    return gauss_newton_r


__all__ = [
    "MATRIX_FREE_THRESHOLD",
    "GaussNewtonModel",
    "MatrixFreeError",
    "NewtonInfo",
    "NonConvexModelError",
    "NonConvexModelWarning",
    "QuadraticModel",
    "TaylorCheck",
    "dense_shifted_newton",
    "gauss_newton",
    "sparse_ldl",
    "sparse_shifted_newton",
    "taylor2",
]

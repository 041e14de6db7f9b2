"""``funcdiff.numpy.linalg``: numpy's linear algebra, traceable and differentiable.

Built from primitives like the rest of ``funcdiff.numpy``. The matrix
functions (solve, inv, det, slogdet, cholesky, eigh, eigvalsh, eig, eigvals,
qr, svd, svdvals, pinv, lstsq) take stacks of matrices ``(..., m, n)``, real
or complex (JAX's conventions for complex derivatives: docs/complex.md), like numpy and
are one primitive each (``funcdiff.primitives.linalg``) or a composition of
them; their derivatives are the standard matrix-calculus identities, in both
modes and to any order. Singular cases (documented per function and in
docs/linalg.md): derivatives of eigenvectors and singular vectors at
repeated eigenvalues / singular values are inf or NaN (as in JAX),
derivatives that need an inverse (solve, inv, cholesky) raise LinAlgError at
a singular matrix, det's derivatives of every order exist everywhere (the
cofactor matrix and its derivatives) and slogdet's are NaN at a singular
matrix.

Functions are grouped by kind under section banners.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple, overload

import numpy as np

from funcdiff.core.trace import bind
from funcdiff.core.typing import ArrayLike, Axis
from funcdiff.errors import ConcretizationError, DTypeError, ShapeError
from funcdiff.numpy._core import Array, asarray_arg, dtype_of, promote_float, shape_of
from funcdiff.numpy._linear import matmul
from funcdiff.numpy._reductions import _axes_list, _NoValue
from funcdiff.numpy._reductions import max as _max
from funcdiff.numpy._reductions import min as _min
from funcdiff.numpy._ufuncs import _norm_root
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import linalg as la
from funcdiff.primitives import shape as sh

__all__ = [
    "EigResult",
    "EighResult",
    "QRResult",
    "SVDResult",
    "SlogdetResult",
    "cholesky",
    "det",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "lstsq",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
]


# ---------------------------------------------------------------------------
# norms
# ---------------------------------------------------------------------------


def _abs(x: Array) -> Array:
    return bind(ew.abs_p, x)


def _sum_sq(x: Array, axes: tuple[int, ...]) -> Array:
    """``sqrt(sum(|x|**2))`` over ``axes``; at x = 0 value and gradient 0 and
    higher derivatives NaN (see ``_norm_root``)."""
    if dtype_of(x).kind == "c":
        re, im = ew.real(x), ew.imag(x)
        return _norm_root(sh.reduce_sum(ew.add(ew.mul(re, re), ew.mul(im, im)), axes))
    return _norm_root(sh.reduce_sum(ew.mul(x, x), axes))


def _vector_norm(x: Array, order: Any, axis: int) -> Array:
    axes = (axis,)
    if order is None or (_is_number(order) and order == 2):
        return _sum_sq(x, axes)
    if not _is_number(order):
        raise ValueError(f"norm: invalid norm order {order!r} for vectors")
    if order == np.inf:
        return _max(_abs(x), axis)
    if order == -np.inf:
        return _min(_abs(x), axis)
    if order == 0:
        return sh.reduce_sum(ew.convert(ew.ne(x, 0.0), ew.real_dtype(dtype_of(x))), axes)
    if order == 1:
        return sh.reduce_sum(_abs(x), axes)
    p = float(order)
    s = sh.reduce_sum(ew.pow(_abs(x), p), axes)
    if p < 0:
        return ew.pow(s, 1.0 / p)
    return _norm_root(s, p)


def _matrix_norm(x: Array, order: Any, row: int, col: int) -> Array:
    if order is None or order == "fro":
        return _sum_sq(x, tuple(sorted((row, col))))
    if (isinstance(order, str) and order == "nuc") or (_is_number(order) and order in (2, -2)):
        # singular values of the (row, col) planes, moved last (as numpy does)
        nd = len(shape_of(x))
        rest = [i for i in range(nd) if i not in (row, col)]
        s = _singular_values(sh.transpose(x, (*rest, row, col)))
        if order == "nuc":
            return sh.reduce_sum(s, (nd - 2,))
        return _max(s, nd - 2) if order == 2 else _min(s, nd - 2)
    if not _is_number(order) or order not in (1, -1, np.inf, -np.inf):
        raise ValueError(
            f"norm: invalid norm order {order!r} for matrices (use None, 'fro', 1, -1, inf, -inf)"
        )
    if order in (1, -1):
        # largest (smallest) column sum: sum over rows, then extremum over columns
        sums = sh.reduce_sum(_abs(x), (row,))
        other = col - 1 if col > row else col
    else:
        # largest (smallest) row sum
        sums = sh.reduce_sum(_abs(x), (col,))
        other = row - 1 if row > col else row
    return _max(sums, other) if order > 0 else _min(sums, other)


def _is_number(order: Any) -> bool:
    return isinstance(order, (int, float, np.integer, np.floating)) and not isinstance(order, bool)


def norm(
    x: ArrayLike,
    ord: float | str | None = None,  # noqa: A002
    axis: Axis = None,
    keepdims: bool = False,
) -> Array:
    """Vector or matrix norm, as ``numpy.linalg.norm``.

    Args:
      x: the array; integer inputs are converted to float64.
      ord: for vectors (``axis`` an int, or ``x`` 1-D): None or 2 (Euclidean),
        1, inf, -inf, 0 (number of non-zeros) or any other p
        (``sum(|x|**p)**(1/p)``). For matrices (``axis`` a pair, or ``x``
        2-D): None or 'fro' (Frobenius), 1, -1 (max/min column sum of
        ``|x|``), inf, -inf (max/min row sum), 2, -2 (largest/smallest
        singular value) and 'nuc' (sum of the singular values).
      axis: None (with ord None: the 2-norm of the flattened array), an int
        or a tuple of one or two ints (negative allowed).
      keepdims: keep the normed axes as size 1.

    Complex ``x`` gives a real norm (every order; the matrix 2, -2 and 'nuc'
    through the singular values of the complex matrix); its gradient follows
    JAX's convention (docs/complex.md).

    Differentiation: at ``x = 0`` the 2-norm, the Frobenius norm and
    p-norms (p > 0) have no derivative (the tip of a cone). Their gradient
    there is 0 (a valid subgradient) and their higher derivatives are NaN:
    no finite Hessian would be right for smooth functions of the norm (for
    ``norm(x)**2`` at 0, write ``sum(x**2)``, whose Hessian is exactly 2I).
    ``ord=1`` at a zero entry follows ``abs`` (derivative +1).
    ``inf``/``-inf`` norms share the gradient equally among tied entries.
    Matrix ord=2/-2/'nuc' differentiate through ``svdvals``: the first
    derivative of ord=2 (-2) exists where the largest (smallest) singular
    value is simple, that of 'nuc' where the matrix has full rank; second
    derivatives need distinct singular values (see ``svd``).

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.linalg.norm(np.array([3.0, 4.0])))
    5.0
    >>> float(fnp.linalg.norm(np.array([[1.0, -2.0], [3.0, 4.0]]), ord=1))
    6.0
    >>> fd.grad(fnp.linalg.norm)(np.zeros(3))
    array([0., 0., 0.])
    """
    arr = asarray_arg(x)
    if dtype_of(arr).kind not in "fc":
        arr = ew.convert(arr, np.float64)
    shape = shape_of(arr)
    nd = len(shape)
    if axis is None:
        if ord is None:
            r = _sum_sq(arr, tuple(range(nd)))
            return sh.reshape(r, (1,) * nd) if keepdims else r
        if nd not in (1, 2):
            raise ValueError(
                f"norm: improper number of dimensions to norm: ord={ord!r} needs a 1-D or "
                f"2-D array (or axis=), got shape {shape}"
            )
        axes = list(range(nd))
    else:
        given = axis if isinstance(axis, (tuple, list)) else (axis,)
        axes = _axes_list("norm", given, shape)  # raises on out-of-range or repeated axes
    if len(axes) == 1:
        r = _vector_norm(arr, ord, axes[0])
    elif len(axes) == 2:
        r = _matrix_norm(arr, ord, axes[0], axes[1])
    else:
        raise ValueError(
            f"norm: improper number of dimensions to norm: axis={axis!r} (give one axis "
            "for a vector norm or two for a matrix norm)"
        )
    if keepdims:
        r = sh.reshape(r, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return r


# ---------------------------------------------------------------------------
# argument handling shared by the matrix functions
# ---------------------------------------------------------------------------


class LinAlgShapeError(ShapeError, np.linalg.LinAlgError):
    """Operand shapes do not fit a linear-algebra function; catchable both as
    funcdiff's ShapeError and as numpy's LinAlgError (what numpy raises)."""


def _floats(name: str, *xs: Any) -> list[Array]:
    """Arrays of one real floating dtype (``_inexact``, with complex operands
    refused, naming the function): for callers whose rules are written for
    real matrices only (funcdiff.scipy.linalg)."""
    for x in xs:
        if dtype_of(asarray_arg(x)).kind == "c":
            raise NotImplementedError(f"{name}: complex matrices are not supported")
    return _inexact(name, *xs)


def _inexact(name: str, *xs: Any) -> list[Array]:
    """Arrays of one inexact dtype: integers and bools become float64 (numpy's
    rule), real and complex operands promote together (float32 with
    complex64 stays complex64); float16 is refused, naming the function."""
    arrays = [asarray_arg(x) for x in xs]
    for x in arrays:
        dt = dtype_of(x)
        if dt == np.float16:
            raise DTypeError(
                f"{name}: float16 is not supported in linalg (nor in numpy); use float32 or float64"
            )
    return promote_float(*arrays)


def _check_matrix(name: str, x: Array, square: bool, arg: str = "a") -> tuple[int, ...]:
    shape = tuple(shape_of(x))
    if len(shape) < 2:
        raise LinAlgShapeError(
            f"{name}: {arg} must be a matrix or a stack of matrices (at least 2-D), "
            f"got shape {shape}"
        )
    if square and shape[-1] != shape[-2]:
        raise LinAlgShapeError(
            f"{name}: the last two axes of {arg} must be square, got shape {shape}"
        )
    return shape


def _mT(x: Array) -> Array:
    nd = len(shape_of(x))
    return sh.transpose(x, (*range(nd - 2), nd - 1, nd - 2))


def _mH(x: Array) -> Array:
    """Conjugate transpose of the last two axes (``_mT`` for real arrays)."""
    return ew.conj(_mT(x)) if dtype_of(x).kind == "c" else _mT(x)


def _with_rhs(name: str, a: Array, b: Array, fn: Callable[[Array, Array], Array]) -> Array:
    """Apply ``fn(a, b)`` (a solver taking (..., n, n) and (..., n, k) with the
    same batch shape) with numpy 2's convention for ``b``: one vector when
    ``b`` is 1-D (``x`` then has shape ``a.shape[:-1]``), else a stack of
    (n, k) matrices whose batch axes broadcast against a's. One matrix with a
    stack of right-hand sides is factored once (they become its columns)."""
    sa = _check_matrix(name, a, square=True)
    sb = tuple(shape_of(b))
    n = sa[-1]
    lead = sa[:-2]

    def mismatch() -> LinAlgShapeError:
        return LinAlgShapeError(
            f"{name}: a has shape {sa} and b has shape {sb}; b must have shape ({n},) or "
            f"(..., {n}, k) with leading axes that broadcast against {lead}"
        )

    if len(sb) == 1:
        if sb[0] != n:
            raise mismatch()
        col = sh.broadcast_to(sh.reshape(b, (n, 1)), (*lead, n, 1))
        return sh.reshape(fn(a, col), (*lead, n))
    if len(sb) == 0 or sb[-2] != n:
        raise mismatch()
    k = sb[-1]
    if not lead and len(sb) > 2:
        nb = len(sb) - 2
        size = int(np.prod(sb[:-2], dtype=np.int64)) * k
        cols = sh.reshape(sh.transpose(b, (nb, *range(nb), nb + 1)), (n, size))
        x = sh.reshape(fn(a, cols), (n, *sb[:-2], k))
        return sh.transpose(x, (*range(1, nb + 1), 0, nb + 1))
    try:
        batch = tuple(np.broadcast_shapes(lead, sb[:-2]))
    except ValueError:
        raise mismatch() from None
    return fn(sh.broadcast_to(a, (*batch, n, n)), sh.broadcast_to(b, (*batch, n, k)))


# ---------------------------------------------------------------------------
# solving, inverting, determinants
# ---------------------------------------------------------------------------


def solve(a: ArrayLike, b: ArrayLike) -> Array:
    """Solve ``a @ x = b`` for square ``a``, as ``numpy.linalg.solve``.

    ``a`` is ``(..., n, n)``; ``b`` is ``(n,)`` (one vector) or
    ``(..., n, k)`` (matrices; batch axes broadcast), numpy 2's convention.
    Derivatives: ``dx = solve(a, db - da x)``; the reverse rule solves with
    ``a^T``. A singular ``a`` raises LinAlgError naming ``solve``.

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> a = np.array([[3.0, 1.0], [1.0, 2.0]])
    >>> fnp.linalg.solve(a, np.array([9.0, 8.0]))
    array([2., 3.])
    >>> fd.grad(lambda b: fnp.linalg.solve(a, b).sum())(np.array([9.0, 8.0]))
    array([0.2, 0.4])
    """
    a, b = _inexact("solve", a, b)
    return _with_rhs("solve", a, b, la.solve)


def inv(a: ArrayLike) -> Array:
    """Inverse of square matrices ``(..., n, n)``, as ``numpy.linalg.inv``.

    Computed as ``solve(a, I)``, so ``d inv = -inv da inv``. A singular ``a``
    raises LinAlgError.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.linalg.inv(np.array([[2.0, 0.0], [0.0, 4.0]]))
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    (a,) = _inexact("inv", a)
    shape = _check_matrix("inv", a, square=True)
    eye = np.broadcast_to(np.eye(shape[-1], dtype=dtype_of(a)), shape)
    try:
        return la.solve(a, eye)
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(
            "inv: singular matrix (a matrix of the stack has no inverse); pinv gives "
            "the pseudo-inverse"
        ) from None


def det(a: ArrayLike) -> Array:
    """Determinant of square matrices ``(..., n, n)``, as ``numpy.linalg.det``.

    The gradient is the cofactor matrix ``adj(a)^T`` (``det(a) a^-T`` when
    ``a`` is invertible), computed from the SVD as products of all but one
    singular value, so it is exact at singular matrices too (rank ``n-1``:
    rank one; rank ``<= n-2``: zero) and accurate near them. Derivatives of
    every order exist and are computed the same way (products of all but
    ``k`` singular values), under ``jit`` and ``vmap`` and batched over
    leading axes. For a well-scaled log-likelihood prefer ``slogdet``: ``det``
    itself overflows for large matrices.

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> round(float(fnp.linalg.det(a)), 12)
    5.0
    >>> fd.grad(fnp.linalg.det)(a).round(12)
    array([[ 3., -1.],
           [-1.,  2.]])
    >>> fd.grad(fnp.linalg.det)(np.array([[1.0, 2.0], [2.0, 4.0]])).round(12)
    array([[ 4., -2.],
           [-2.,  1.]])
    """
    (a,) = _inexact("det", a)
    _check_matrix("det", a, square=True)
    return la.det(a)


class SlogdetResult(NamedTuple):
    """``(sign, logabsdet)``, as numpy's.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> sign, logabsdet = fnp.linalg.slogdet(np.diag([2.0, -3.0]))
    >>> float(sign), round(float(logabsdet), 6)
    (-1.0, 1.791759)
    """

    sign: Array
    logabsdet: Array


def slogdet(a: ArrayLike) -> SlogdetResult:
    """Sign and natural log of ``|det a|``, as ``numpy.linalg.slogdet``.

    ``d logabsdet = trace(a^-1 da)`` (the gradient is ``a^-T``, computed
    from the SVD without forming ``det``, so large matrices do not
    overflow); ``sign`` has a zero derivative. A singular matrix gives
    ``(0, -inf)``; ``log|det|`` has no derivative there, so its derivatives
    of every order are NaN (no error is raised).

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> a = np.array([[-2.0, 0.0], [0.0, 4.0]])
    >>> sign, logabsdet = fnp.linalg.slogdet(a)
    >>> float(sign), round(float(logabsdet), 6)
    (-1.0, 2.079442)
    >>> fd.grad(lambda a: fnp.linalg.slogdet(a).logabsdet)(a)
    array([[-0.5 ,  0.  ],
           [ 0.  ,  0.25]])
    """
    (a,) = _inexact("slogdet", a)
    _check_matrix("slogdet", a, square=True)
    sign, logabsdet = la.slogdet(a)
    return SlogdetResult(sign, logabsdet)


# ---------------------------------------------------------------------------
# factorizations
# ---------------------------------------------------------------------------


def cholesky(a: ArrayLike, /, *, upper: bool = False) -> Array:
    """Cholesky factor of symmetric positive definite matrices, as
    ``numpy.linalg.cholesky``: lower ``L`` with ``a = L @ la.T``, or upper
    ``U = la.T`` with ``upper=True``.

    Complex ``a`` must be Hermitian positive definite (``a = L @ L^H``, the
    diagonal of ``L`` real and positive; the imaginary parts of ``a``'s
    diagonal are not read). Like numpy, only one triangle of ``a`` is read
    (the lower one, or the upper one with ``upper=True``), so the gradient
    with respect to the other triangle is zero: for a function of a symmetric matrix, the gradient
    with respect to the symmetric matrix is ``(g + g.T) / 2`` of it. Not
    positive definite: LinAlgError.

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
    >>> fnp.linalg.cholesky(a)
    array([[2., 0.],
           [1., 2.]])
    >>> fd.grad(lambda a: fnp.linalg.cholesky(a)[1, 1])(a)
    array([[ 0.0625,  0.    ],
           [-0.25  ,  0.25  ]])
    """
    (a,) = _inexact("cholesky", a)
    _check_matrix("cholesky", a, square=True)
    if upper:
        return _mH(la.cholesky(_mH(a)))
    return la.cholesky(a)


class EighResult(NamedTuple):
    """``(eigenvalues, eigenvectors)``, as numpy's.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.linalg.eigh(np.diag([2.0, 1.0])).eigenvalues
    array([1., 2.])
    """

    eigenvalues: Array
    eigenvectors: Array


def _uplo(name: str, UPLO: str) -> bool:
    if UPLO not in ("L", "U"):
        raise ValueError(f"{name}: UPLO must be 'L' or 'U', got {UPLO!r}")
    return UPLO == "L"


def eigh(a: ArrayLike, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and eigenvectors of symmetric (complex:
    Hermitian) matrices, as ``numpy.linalg.eigh``.

    Only the ``UPLO`` triangle of ``a`` is read, as in numpy (and the real
    part of a complex diagonal). Complex eigenvectors have a fixed phase:
    the entry of largest modulus of each is real and positive (numpy's may
    differ by a phase); the eigenvalues are real. With
    ``P = V^T da_sym V`` and ``F_ij = 1 / (w_j - w_i)``:
    ``dw = diag(P)``, ``dV = V (F * P)``.

    Singular case: repeated eigenvalues. The eigenvectors are then not
    unique and their derivatives are inf/NaN (as in JAX); eigenvalues keep a
    first derivative, functions of the whole eigenspace (``V diag(f(w))
    V^T``) are fine mathematically but their rule still divides by zero.
    Eigenvectors are defined up to sign: differentiate functions that do not
    depend on the sign (``w``, ``V @ diag(w) @ V.T``, ``V[:, i] ** 2``...).

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> a = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> fnp.linalg.eigh(a).eigenvalues
    array([1., 3.])
    >>> fd.grad(lambda a: fnp.linalg.eigh(a).eigenvalues[1])(a)
    array([[0.5, 0. ],
           [1. , 0.5]])
    """
    lower = _uplo("eigh", UPLO)
    (a,) = _inexact("eigh", a)
    _check_matrix("eigh", a, square=True)
    w, v = la.eigh(a, lower=lower)
    return EighResult(w, v)


def eigvalsh(a: ArrayLike, UPLO: str = "L") -> Array:
    """Eigenvalues (ascending) of symmetric matrices, as ``numpy.linalg.eigvalsh``
    (the eigenvalues of ``eigh``; ``dw_i = v_i^T da_sym v_i``).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.linalg.eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    array([1., 3.])
    """
    return eigh(a, UPLO).eigenvalues


class EigResult(NamedTuple):
    """``(eigenvalues, eigenvectors)``, as numpy's (complex arrays here).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.linalg.eig(np.diag([2.0, 1.0])).eigenvalues
    array([2.+0.j, 1.+0.j])
    """

    eigenvalues: Array
    eigenvectors: Array


def eig(a: ArrayLike) -> EigResult:
    """Eigenvalues and right eigenvectors of general square matrices, as
    ``numpy.linalg.eig``: ``a @ v[..., :, j] = w[..., j] * v[..., :, j]``.

    The results are complex also for real ``a`` (JAX's convention; numpy
    returns real arrays when every eigenvalue is real), in numpy's order.
    Each eigenvector has unit norm and its entry of largest modulus is real
    and positive (LAPACK's normalization for complex matrices, applied to
    real ones too), so eigenvectors are smooth functions of ``a`` where the
    eigenvalues are distinct.

    Derivatives (``P = V^-1 da V``, ``F_ij = 1 / (w_j - w_i)``): ``dw =
    diag(P)`` and ``dV = V (F * P) + V diag(c)``, with ``c`` keeping the
    normalization above. ``w`` is a holomorphic function of a complex
    ``a`` (``grad(..., holomorphic=True)`` works); ``V`` is not (its
    normalization involves conjugates). Singular cases: repeated
    eigenvalues (``F`` infinite: inf/NaN derivatives of ``V`` and second
    derivatives of ``w``) and defective matrices. Gradients of real losses
    follow JAX's convention (docs/complex.md).

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> a = np.array([[0.0, -2.0], [2.0, 0.0]])  # eigenvalues +-2i
    >>> w, v = fnp.linalg.eig(a)
    >>> w
    array([0.+2.j, 0.-2.j])
    >>> np.allclose(a @ v, v * w)
    True
    >>> fd.grad(lambda a: fnp.sum(fnp.abs(fnp.linalg.eigvals(a))))(a).round(12) + 0.0
    array([[ 0., -1.],
           [ 1.,  0.]])
    """
    (a,) = _inexact("eig", a)
    _check_matrix("eig", a, square=True)
    w, v = la.eig(a)
    return EigResult(w, v)


def eigvals(a: ArrayLike) -> Array:
    """Eigenvalues of general square matrices, as ``numpy.linalg.eigvals``
    (complex, also for real ``a``: JAX's convention; ``dw_i = (V^-1 da
    V)_ii``). Holomorphic in a complex ``a`` while the eigenvalues are
    distinct.

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> fnp.linalg.eigvals(np.array([[2.0, 1.0], [0.0, 3.0]]))
    array([2.+0.j, 3.+0.j])
    >>> a = np.array([[2.0, 1.0], [0.0, 3.0j]])
    >>> g = fd.grad(lambda a: fnp.linalg.eigvals(a)[1], holomorphic=True)(a)
    >>> print(np.round(g, 4))
    [[ 0.    +0.j      0.    +0.j    ]
     [-0.1538-0.2308j  1.    +0.j    ]]
    """
    return eig(a).eigenvalues


class QRResult(NamedTuple):
    """``(Q, R)``, as numpy's.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> q, r = fnp.linalg.qr(np.eye(2) * 3.0)
    >>> np.allclose(q @ r, np.eye(2) * 3.0)
    True
    """

    Q: Array
    R: Array


@overload
def qr(a: ArrayLike, mode: Literal["reduced", "complete"] = ...) -> QRResult: ...
@overload
def qr(a: ArrayLike, mode: Literal["r"]) -> Array: ...
@overload
def qr(a: ArrayLike, mode: str) -> QRResult | Array: ...
def qr(a: ArrayLike, mode: str = "reduced") -> QRResult | Array:
    """QR decomposition, as ``numpy.linalg.qr`` (Householder; the diagonal
    of ``R`` may be negative, as numpy's).

    ``mode='reduced'`` (``Q`` is (..., m, k), ``R`` (..., k, n), k = min(m,
    n)), ``'r'`` (``R`` only) or ``'complete'`` (the same as reduced when
    m <= n; for m > n the extra columns of Q are not unique and are not
    supported). Derivatives by the standard QR identities; they need ``R``
    invertible (``a`` of full rank).

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> a = np.array([[3.0, 1.0], [4.0, 2.0], [0.0, 5.0]])
    >>> q, r = fnp.linalg.qr(a)
    >>> np.allclose(q @ r, a), q.shape, r.shape
    (True, (3, 2), (2, 2))
    >>> fd.grad(lambda a: abs(fnp.linalg.qr(a, mode="r")[0, 0]))(a) + 0.0  # |R00| = |a[:, 0]|
    array([[0.6, 0. ],
           [0.8, 0. ],
           [0. , 0. ]])
    """
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"qr: unrecognized mode {mode!r} (use 'reduced', 'complete' or 'r')")
    (a,) = _inexact("qr", a)
    shape = _check_matrix("qr", a, square=False)
    if mode == "raw":
        raise NotImplementedError("qr: mode='raw' (Householder reflectors) is not supported")
    if mode == "complete" and shape[-2] > shape[-1]:
        raise NotImplementedError(
            f"qr: mode='complete' for a tall matrix {shape} is not supported (the extra "
            "columns of Q are not unique, so they have no derivative); use mode='reduced'"
        )
    q, r = la.qr(a)
    return r if mode == "r" else QRResult(q, r)


class SVDResult(NamedTuple):
    """``(U, S, Vh)``, as numpy's.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.linalg.svd(np.diag([1.0, 4.0])).S
    array([4., 1.])
    """

    U: Array
    S: Array
    Vh: Array


@overload
def svd(
    a: ArrayLike,
    full_matrices: bool = ...,
    compute_uv: Literal[True] = ...,
    hermitian: bool = ...,
) -> SVDResult: ...
@overload
def svd(
    a: ArrayLike, full_matrices: bool = ..., *, compute_uv: Literal[False], hermitian: bool = ...
) -> Array: ...
@overload
def svd(
    a: ArrayLike, full_matrices: bool, compute_uv: Literal[False], hermitian: bool = ...
) -> Array: ...
@overload
def svd(
    a: ArrayLike, full_matrices: bool = ..., compute_uv: bool = ..., hermitian: bool = ...
) -> SVDResult | Array: ...
def svd(
    a: ArrayLike, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> SVDResult | Array:
    """Singular value decomposition ``a = U @ diag(S) @ Vh``, as
    ``numpy.linalg.svd`` (S descending).

    Derivatives by the standard SVD identities (Townsend, "Differentiating
    the singular value decomposition"). Singular cases: repeated singular
    values (then U and Vh are not unique and their derivatives are inf/NaN,
    as in JAX; ``S`` alone keeps a first derivative) and zero singular values
    of a non-square matrix (the rule divides by them). With
    ``full_matrices=True`` and a non-square ``a``, the extra columns of U
    (rows of Vh) are an arbitrary basis of the complement; the rule
    differentiates the minimal-rotation choice, exact for every function
    that does not depend on which basis it is. Singular vectors are
    defined up to a joint sign flip of ``U[:, i]`` and ``Vh[i]``:
    differentiate sign-invariant functions. ``hermitian=True`` computes the
    general SVD (same S; U, Vh may differ in sign from numpy's eigh-based
    path). NaN in the input gives NaN outputs (numpy raises instead).

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> a = np.array([[3.0, 0.0], [0.0, -2.0], [0.0, 0.0]])
    >>> fnp.linalg.svd(a, compute_uv=False)
    array([3., 2.])
    >>> fd.grad(lambda a: fnp.linalg.svd(a, compute_uv=False)[1])(a)
    array([[ 0.,  0.],
           [ 0., -1.],
           [ 0.,  0.]])
    """
    (a,) = _inexact("svd", a)
    shape = _check_matrix("svd", a, square=False)
    if not compute_uv:
        return la.svd(a, full_matrices=False, compute_uv=False)[0]
    full = bool(full_matrices) and shape[-1] != shape[-2]
    u, s, vh = la.svd(a, full_matrices=full, compute_uv=True)
    return SVDResult(u, s, vh)


def svdvals(x: ArrayLike, /) -> Array:
    """Singular values, descending, as ``numpy.linalg.svdvals``
    (``ds_i = u_i^T dx v_i``).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.linalg.svdvals(np.array([[0.0, 2.0], [1.0, 0.0]]))
    array([2., 1.])
    """
    return svd(x, compute_uv=False)


def _singular_values(x: Array) -> Array:
    return la.svd(x, full_matrices=False, compute_uv=False)[0]


# ---------------------------------------------------------------------------
# pseudo-inverse and least squares
# ---------------------------------------------------------------------------


def pinv(
    a: ArrayLike, rcond: Any = None, hermitian: bool = False, *, rtol: Any = _NoValue
) -> Array:
    """Moore-Penrose pseudo-inverse, as ``numpy.linalg.pinv``: singular values
    ``<= rcond * max(s)`` are dropped (``rcond`` defaults to 1e-15, or to
    ``max(m, n) * eps`` when ``rtol=None``; ``rtol`` is the new name).

    Derivative (Golub & Pereyra): exact wherever the rank does not change,
    in particular for every full-rank matrix, with no trouble at repeated
    singular values. At a rank-deficient matrix, perturbations that change
    the rank make pinv jump; the rule gives the derivative along
    rank-preserving perturbations. ``hermitian`` is accepted and ignored
    (the general SVD gives the same pseudo-inverse).

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> fnp.linalg.pinv(np.array([[1.0], [2.0]]))
    array([[0.2, 0.4]])
    >>> fd.grad(lambda a: fnp.linalg.pinv(a)[0, 0])(np.array([[2.0, 0.0], [0.0, 1.0]]))
    array([[-0.25,  0.  ],
           [ 0.  ,  0.  ]])
    """
    (a,) = _inexact("pinv", a)
    shape = _check_matrix("pinv", a, square=False)
    if rcond is None:
        if rtol is _NoValue:
            cut = 1e-15
        elif rtol is None:
            cut = max(shape[-2:]) * float(np.finfo(dtype_of(a)).eps)
        else:
            cut = rtol
    elif rtol is not _NoValue:
        raise ValueError("pinv: `rtol` and `rcond` can't be both set.")
    else:
        cut = rcond
    if np.ndim(cut) != 0:
        raise NotImplementedError("pinv: rcond/rtol must be a scalar (one cutoff for the stack)")
    return la.pinv(a, float(cut))


def lstsq(
    a: ArrayLike, b: ArrayLike, rcond: float | None = None
) -> tuple[Array, Array, Array, Array]:
    """Least-squares solution of ``a @ x = b``, as ``numpy.linalg.lstsq``:
    returns ``(x, residuals, rank, s)``.

    ``a`` is (m, n); ``b`` is (m,) or (m, k). ``x = pinv(a, rcond) @ b`` (the
    minimum-norm solution, also for rank-deficient or wide ``a``); singular
    values ``<= rcond * max(s)`` count as zero (default ``rcond``:
    ``eps * max(m, n)``, numpy's). ``residuals`` are the squared column norms
    of ``b - a @ x`` when m > n and ``a`` has full rank, else an empty array;
    ``rank`` is an int32; ``s`` are the singular values of ``a``.

    Differentiable in ``a`` and ``b`` (``x`` through ``pinv``'s rule, exact
    while the rank is constant; ``s`` through ``svdvals``). Under ``jit``
    or ``vmap`` the rank is not known while tracing, so ``residuals`` is
    computed as if ``a`` had full rank.

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> a = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> b = np.array([1.0, 2.0, 4.0])
    >>> x, res, rank, s = fnp.linalg.lstsq(a, b)
    >>> x.round(6), res.round(6), int(rank)
    (array([0.833333, 1.5     ]), array([0.166667]), 2)
    >>> fd.grad(lambda b: fnp.linalg.lstsq(a, b)[0][1])(b).round(6)
    array([-0.5,  0. ,  0.5])
    """
    a, b = _inexact("lstsq", a, b)
    sa, sb = tuple(shape_of(a)), tuple(shape_of(b))
    if len(sa) != 2 or len(sb) not in (1, 2) or sb[0] != sa[0]:
        raise LinAlgShapeError(
            f"lstsq: a has shape {sa} and b has shape {sb}; a must be (m, n) and b must be "
            "(m,) or (m, k) with the same m"
        )
    m, n = sa
    dt = dtype_of(a)
    eps = float(np.finfo(dt).eps)
    real_t = ew.real_dtype(dt).type
    if rcond is None:
        rcond = eps * max(m, n)
    elif rcond < 0:
        rcond = eps  # LAPACK's convention for a negative rcond
    b2 = sh.reshape(b, (m, 1)) if len(sb) == 1 else b
    x = matmul(la.pinv(a, float(rcond)), b2)
    s = _singular_values(a)
    if min(m, n) > 0:
        cutoff = ew.mul(ix.slice_axis(s, 0, 1, 0), real_t(rcond))
        rank = sh.reduce_sum(ew.convert(ew.gt(s, cutoff), np.int32), (0,))
    else:
        rank = np.int32(0)
    resid: Array = np.zeros((0,), ew.real_dtype(dt))
    if m > n:
        try:
            full = int(rank) == n
        except ConcretizationError:
            full = True  # abstract under jit/vmap: assume full rank
        if full:
            r = ew.sub(b2, matmul(a, x))
            if dt.kind == "c":
                r2 = ew.add(ew.mul(ew.real(r), ew.real(r)), ew.mul(ew.imag(r), ew.imag(r)))
            else:
                r2 = ew.mul(r, r)
            resid = sh.reduce_sum(r2, (0,))
    if len(sb) == 1:
        x = sh.reshape(x, (n,))
    return x, resid, rank, s


# ---------------------------------------------------------------------------
# compositions: matrix_power, multi_dot, cond, matrix_rank, tensorsolve, tensorinv
# ---------------------------------------------------------------------------


def matrix_power(a: ArrayLike, n: int) -> Array:
    """``a`` to the integer power ``n`` (stacks of square matrices; negative
    ``n`` inverts first), by repeated squaring.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.linalg.matrix_power(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
    array([[1., 3.],
           [0., 1.]])
    """
    import operator

    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"matrix_power: exponent must be an integer, got {n!r}") from None
    x = asarray_arg(a)
    shape = _check_matrix("matrix_power", x, square=True)
    if n == 0:
        eye = np.eye(shape[-1], dtype=dtype_of(x))
        return sh.broadcast_to(ew.convert(eye, dtype_of(x)), tuple(shape))
    if n < 0:
        x = inv(x)
        n = -n
    result: Any = None
    base = x
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def multi_dot(arrays: Any, *, out: None = None) -> Array:
    """``arrays[0] @ arrays[1] @ ...`` in the cheapest order (the classic
    matrix-chain dynamic program); the first may be 1-D (a row) and the
    last 1-D (a column), as in numpy.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.linalg.multi_dot([np.ones(2), np.eye(2), np.ones((2, 3))])
    array([2., 2., 2.])
    """
    if out is not None:
        raise TypeError("multi_dot: out= is not supported (arrays are immutable)")
    xs = [asarray_arg(x) for x in arrays]
    k = len(xs)
    if k < 2:
        raise ValueError("multi_dot: expecting at least two arrays")
    first_1d = len(shape_of(xs[0])) == 1
    last_1d = len(shape_of(xs[-1])) == 1
    if first_1d:
        xs[0] = sh.reshape(xs[0], (1, shape_of(xs[0])[0]))
    if last_1d:
        xs[-1] = sh.reshape(xs[-1], (shape_of(xs[-1])[0], 1))
    for i, x in enumerate(xs):
        if len(shape_of(x)) != 2:
            raise ValueError(
                f"multi_dot: array {i} has {len(shape_of(x))} dimensions; all but the first "
                "and last must be 2-D"
            )
    dims = [shape_of(xs[0])[0]] + [shape_of(x)[1] for x in xs]
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j] = -1
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if cost[i][j] < 0 or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s
    # evaluate the chain with an explicit stack (no recursion)
    results: dict[tuple[int, int], Any] = {(i, i): xs[i] for i in range(k)}
    todo: list[tuple[int, int, bool]] = [(0, k - 1, False)]
    while todo:
        i, j, ready = todo.pop()
        if (i, j) in results:
            continue
        s = split[i][j]
        if ready:
            results[(i, j)] = matmul(results[(i, s)], results[(s + 1, j)])
        else:
            todo.extend([(i, j, True), (i, s, False), (s + 1, j, False)])
    r = results[(0, k - 1)]
    if first_1d and last_1d:
        return sh.reshape(r, ())
    if first_1d:
        return sh.reshape(r, (shape_of(r)[1],))
    if last_1d:
        return sh.reshape(r, (shape_of(r)[0],))
    return r


def cond(x: ArrayLike, p: Any = None) -> Array:
    """Condition number: ``s_max / s_min`` (``p`` None, 2 or -2: from the
    singular values), else ``norm(x, p) * norm(inv(x), p)``.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.linalg.cond(np.array([[2.0, 0.0], [0.0, 0.5]])))
    4.0
    """
    (a,) = _inexact("cond", x)
    _check_matrix("cond", a, square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        s = _singular_values(a)
        hi = ix.slice_axis(s, 0, 1, len(shape_of(s)) - 1)
        n = shape_of(s)[-1]
        lo = ix.slice_axis(s, n - 1, n, len(shape_of(s)) - 1)
        r = ew.div(hi, lo) if p != -2 else ew.div(lo, hi)
        return sh.reshape(r, tuple(shape_of(r)[:-1]))
    return ew.mul(norm(a, p, axis=(-2, -1)), norm(inv(a), p, axis=(-2, -1)))


def matrix_rank(
    A: ArrayLike, tol: Any = None, hermitian: bool = False, *, rtol: Any = None
) -> Array:
    """Number of singular values above ``tol`` (default
    ``s_max * max(m, n) * eps``, or ``rtol * s_max``). An integer: zero
    derivative.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> int(fnp.linalg.matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]])))
    1
    """
    (a,) = _inexact("matrix_rank", A)
    a = ew.stop_gradient(a)
    if len(shape_of(a)) < 2:
        nz = ew.convert(ew.ne(a, 0.0), np.int64)
        count = sh.reduce_sum(nz, tuple(range(len(shape_of(a))))) if shape_of(a) else nz
        return ew.minimum(count, np.int64(1))  # numpy: 1 unless all zero
    s = _singular_values(a)
    m, n = shape_of(a)[-2:]
    top = ix.slice_axis(s, 0, 1, len(shape_of(s)) - 1) if min(m, n) else s
    if tol is None:
        r = float(np.finfo(dtype_of(a)).eps) * max(m, n) if rtol is None else rtol
        cut = ew.mul(top, r)
    else:
        t = asarray_arg(tol)
        cut = sh.reshape(t, (*shape_of(t), 1)) if shape_of(t) else t
    big = ew.convert(ew.gt(s, cut), np.int64)
    return sh.reduce_sum(big, (len(shape_of(s)) - 1,))


def tensorinv(a: ArrayLike, ind: int = 2) -> Array:
    """Inverse of ``a`` as a linear map from its first ``ind`` axes to the
    rest (``tensordot(tensorinv(a), a, ind)`` is the identity).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.linalg.tensorinv(np.eye(4).reshape(4, 2, 2), ind=1).shape
    (2, 2, 4)
    """
    import math

    if ind <= 0:
        raise ValueError("tensorinv: ind must be a positive integer")
    x = asarray_arg(a)
    shape = tuple(shape_of(x))
    out_shape, in_shape = shape[ind:], shape[:ind]
    rows = math.prod(in_shape)
    if math.prod(out_shape) != rows:
        raise LinAlgShapeError(
            f"tensorinv: shape {shape} with ind={ind}: the products of the first {ind} and "
            "of the remaining dimensions must be equal"
        )
    m = inv(sh.reshape(x, (rows, rows)))
    return sh.reshape(m, (*out_shape, *in_shape))


def tensorsolve(a: ArrayLike, b: ArrayLike, axes: Any = None) -> Array:
    """Solve ``tensordot(a, x, x.ndim) == b`` for ``x`` (``axes``: axes of
    ``a`` moved to the end first).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> a = np.eye(6).reshape(6, 2, 3)
    >>> fnp.linalg.tensorsolve(a, np.arange(6.0)).shape
    (2, 3)
    """
    import math

    x = asarray_arg(a)
    bv = asarray_arg(b)
    nd = len(shape_of(x))
    if axes is not None:
        axes = [int(k) % nd for k in axes]
        rest = [k for k in range(nd) if k not in axes]
        x = sh.transpose(x, tuple(rest + axes))
    shape = tuple(shape_of(x))
    nb = len(shape_of(bv))
    sol_shape = shape[nb:]
    rows = math.prod(shape[:nb])
    cols = math.prod(sol_shape)
    if rows != cols:
        raise LinAlgShapeError(
            f"tensorsolve: a of shape {shape} and b of shape {shape_of(bv)}: the product of "
            f"b's dimensions ({rows}) must equal that of the solution's ({cols})"
        )
    sol = solve(sh.reshape(x, (rows, cols)), sh.reshape(bv, (rows,)))
    return sh.reshape(sol, sol_shape)


__all__ += ["cond", "matrix_power", "matrix_rank", "multi_dot", "tensorinv", "tensorsolve"]


# ---------------------------------------------------------------------------
# numpy 2's array-API names in numpy.linalg: thin forms of funcdiff.numpy's
# functions on the last axes (numpy 1.x has none of them; the signatures are
# numpy 2's)
# ---------------------------------------------------------------------------


def _fnp() -> Any:
    import funcdiff.numpy as fnp  # the package imports this module: late import

    return fnp


def cross(x1: ArrayLike, x2: ArrayLike, /, *, axis: int = -1) -> Array:
    """The cross product of 3-vectors along ``axis`` (numpy 2's ``linalg.cross``).

    >>> import numpy as np
    >>> cross(np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    array([0., 0., 1.])
    """
    for name, x in (("x1", x1), ("x2", x2)):
        shape = shape_of(asarray_arg(x))
        if not shape or shape[axis] != 3:
            raise ShapeError(
                f"linalg.cross: {name} must have 3 elements along axis {axis}, got shape {shape}"
            )
    out: Array = _fnp().cross(x1, x2, axis=axis)
    return out


def diagonal(x: ArrayLike, /, *, offset: int = 0) -> Array:
    """The diagonal of each matrix in the stack ``x`` (its last two axes).

    >>> import numpy as np
    >>> diagonal(np.arange(4.0).reshape(2, 2))
    array([0., 3.])
    """
    out: Array = _fnp().diagonal(x, offset=offset, axis1=-2, axis2=-1)
    return out


def matrix_transpose(x: ArrayLike, /) -> Array:
    """Each matrix of the stack ``x`` transposed (its last two axes swapped).

    >>> import numpy as np
    >>> matrix_transpose(np.arange(6.0).reshape(2, 3)).shape
    (3, 2)
    """
    if len(shape_of(asarray_arg(x))) < 2:
        raise ShapeError("linalg.matrix_transpose: x must have at least 2 dimensions")
    return _mT(asarray_arg(x))


def outer(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """The outer product of two vectors (1-D only, as numpy 2's ``linalg.outer``).

    >>> import numpy as np
    >>> outer(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    array([[3., 4.],
           [6., 8.]])
    """
    for name, x in (("x1", x1), ("x2", x2)):
        if len(shape_of(asarray_arg(x))) != 1:
            raise ShapeError(f"linalg.outer: {name} must be 1-D, got {shape_of(asarray_arg(x))}")
    out: Array = _fnp().outer(x1, x2)
    return out


def tensordot(x1: ArrayLike, x2: ArrayLike, /, *, axes: Any = 2) -> Array:
    """``funcdiff.numpy.tensordot`` with numpy 2's ``linalg`` signature.

    >>> import numpy as np
    >>> float(tensordot(np.eye(2), np.eye(2)))
    2.0
    """
    out: Array = _fnp().tensordot(x1, x2, axes=axes)
    return out


def trace(x: ArrayLike, /, *, offset: int = 0, dtype: Any = None) -> Array:
    """The trace of each matrix in the stack ``x`` (its last two axes).

    >>> import numpy as np
    >>> trace(np.stack([np.eye(2), 2 * np.eye(2)]))
    array([2., 4.])
    """
    out: Array = _fnp().trace(x, offset=offset, axis1=-2, axis2=-1, dtype=dtype)
    return out


def vecdot(x1: ArrayLike, x2: ArrayLike, /, *, axis: int = -1) -> Array:
    """``sum(conj(x1) * x2)`` along ``axis``, broadcasting the other axes.

    >>> import numpy as np
    >>> vecdot(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 1.0]))
    array([3., 7.])
    """
    out: Array = _fnp().vecdot(x1, x2, axis=axis)
    return out


def vector_norm(
    x: ArrayLike,
    /,
    *,
    axis: Axis = None,
    keepdims: bool = False,
    ord: float = 2,  # noqa: A002
) -> Array:
    """The vector ``ord``-norm along ``axis`` (None: of all the elements,
    flattened; a tuple: over those axes together).

    >>> import numpy as np
    >>> float(vector_norm(np.array([[3.0, 0.0], [0.0, 4.0]])))
    5.0
    """
    fnp = _fnp()
    (xa,) = promote_float(asarray_arg(x))
    nd = len(shape_of(xa))
    axes = tuple(range(nd)) if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % nd for a in axes) if nd else ()
    a = fnp.abs(xa)
    if ord == 2:
        out = fnp.sqrt(fnp.sum(a * a, axis=axes, keepdims=keepdims))
    elif ord == np.inf:
        out = fnp.max(a, axis=axes, keepdims=keepdims)
    elif ord == -np.inf:
        out = fnp.min(a, axis=axes, keepdims=keepdims)
    elif ord == 0:
        out = fnp.sum(fnp.astype(a != 0, a.dtype), axis=axes, keepdims=keepdims)
    elif ord == 1:
        out = fnp.sum(a, axis=axes, keepdims=keepdims)
    else:
        out = fnp.sum(a**ord, axis=axes, keepdims=keepdims) ** (1.0 / ord)
    result: Array = out
    return result


def matrix_norm(x: ArrayLike, /, *, keepdims: bool = False, ord: Any = "fro") -> Array:  # noqa: A002
    """The matrix norm of each matrix in the stack ``x`` (its last two axes):
    ``"fro"``, ``"nuc"``, 1, -1, 2, -2, inf or -inf, as ``norm`` gives them.

    >>> import numpy as np
    >>> float(matrix_norm(np.eye(3)))
    1.7320508075688772
    """
    if len(shape_of(asarray_arg(x))) < 2:
        raise ShapeError("linalg.matrix_norm: x must have at least 2 dimensions")
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


__all__ += [
    "cross",
    "diagonal",
    "matrix_norm",
    "matrix_transpose",
    "outer",
    "tensordot",
    "trace",
    "vecdot",
    "vector_norm",
]

"""``funcdiff.scipy.linalg``: scipy's triangular and Cholesky solvers,
traceable and differentiable, with scipy's signatures.

``solve_triangular`` is the ``triangular_solve`` primitive (its derivative:
``dx = solve_triangular(a, db - op(da) x)``, the reverse rule solves with
the transposed triangle); ``cholesky`` and ``cho_factor`` are numpy's
Cholesky factorization (the ``cholesky`` primitive); ``cho_solve`` is two
triangular solves. Like scipy, each reads only one triangle of ``a``, so the
derivative with respect to the other triangle is zero.

Differences from scipy: ``b`` follows numpy 2's convention (a 1-D ``b`` is
one vector; otherwise ``b`` is a stack of ``(n, k)`` matrices whose batch
axes broadcast against ``a``'s), the same as scipy's batching; the unused
triangle of ``cho_factor``'s result is zero (scipy leaves arbitrary
values there); ``overwrite_*`` are accepted and ignored (arrays are
immutable); ``check_finite`` checks concrete inputs (numpy arrays) only, not
traced values. The triangular solve runs numpy's LU solver on the triangle
(numpy has no triangular solver): the same answer and backward stable, but
O(n^3) rather than O(n^2) per right-hand side.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import funcdiff.numpy as fnp
from funcdiff.core.ir import ShapedArray, aval_of
from funcdiff.core.primitive import TAYLOR_VIA_JVP, Primitive, Samples, Zero, zero_of
from funcdiff.core.trace import Tracer, bind
from funcdiff.core.typing import ArrayLike
from funcdiff.errors import DTypeError, ShapeError
from funcdiff.numpy._core import Array
from funcdiff.numpy.linalg import _check_matrix, _floats, _mT, _with_rhs
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import linalg as la
from funcdiff.primitives import sparsity as spd
from funcdiff.primitives.batching import vectorized_batch
from funcdiff.primitives.linalg import _mm

__all__ = ["cho_factor", "cho_solve", "cholesky", "solve_triangular"]


def _finite(name: str, check: bool, *xs: Any) -> None:
    if not check:
        return
    for x in xs:
        if not isinstance(x, Tracer) and not np.all(np.isfinite(x)):
            raise ValueError(
                f"{name}: array must not contain infs or NaNs "
                "(pass check_finite=False to skip this check)"
            )


def _trans(trans: Any) -> bool:
    if trans in (0, "N", "n"):
        return False
    if trans in (1, 2, "T", "C", "t", "c"):
        return True
    raise ValueError(f"solve_triangular: invalid trans {trans!r} (use 0/'N', 1/'T' or 2/'C')")


def solve_triangular(
    a: ArrayLike,
    b: ArrayLike,
    trans: int | str = 0,
    lower: bool = False,
    unit_diagonal: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Array:
    """Solve ``op(a) @ x = b`` for triangular ``a``, as
    ``scipy.linalg.solve_triangular``.

    Only the ``lower`` (default: upper) triangle of ``a`` is read; with
    ``unit_diagonal`` its diagonal is taken as ones and not read either.
    ``trans``: 0/'N' (``a``), 1/'T' or 2/'C' (``a.T``; real matrices only).
    ``a`` is (..., n, n), ``b`` (n,) or (..., n, k). A zero on the diagonal
    raises LinAlgError.

    >>> import funcdiff as fd, numpy as np
    >>> from funcdiff.scipy.linalg import solve_triangular
    >>> a = np.array([[2.0, 0.0], [1.0, 4.0]])
    >>> solve_triangular(a, np.array([2.0, 9.0]), lower=True)
    array([1., 2.])
    >>> fd.grad(lambda a: solve_triangular(a, np.array([2.0, 9.0]), lower=True)[1])(a)
    array([[ 0.125,  0.   ],
           [-0.25 , -0.5  ]])
    """
    transpose_a = _trans(trans)
    a, b = _floats("solve_triangular", a, b)
    _finite("solve_triangular", check_finite, a, b)

    def fn(a2: Array, b2: Array) -> Array:
        return la.triangular_solve(
            a2, b2, lower=bool(lower), transpose_a=transpose_a, unit_diagonal=bool(unit_diagonal)
        )

    return _with_rhs("solve_triangular", a, b, fn)


def cholesky(
    a: ArrayLike, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True
) -> Array:
    """Cholesky factor, as ``scipy.linalg.cholesky``: upper ``U`` with
    ``a = U.T @ U`` (reading the upper triangle of ``a``), or lower ``L``
    with ``a = L @ la.T`` when ``lower`` (reading the lower triangle).
    Not positive definite: LinAlgError.

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import cholesky
    >>> cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]))
    array([[2., 1.],
           [0., 2.]])
    """
    (a,) = _floats("cholesky", a)
    _check_matrix("cholesky", a, square=True)
    _finite("cholesky", check_finite, a)
    if lower:
        return la.cholesky(a)
    return _mT(la.cholesky(_mT(a)))


def cho_factor(
    a: ArrayLike, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True
) -> tuple[Array, bool]:
    """``(c, lower)`` for ``cho_solve``, as ``scipy.linalg.cho_factor``:
    ``c`` is ``cholesky(a, lower)``; its other triangle is zero (scipy
    leaves arbitrary values there, which cho_solve never reads).

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import cho_factor
    >>> cho_factor(np.array([[4.0, 2.0], [2.0, 5.0]]), lower=True)
    (array([[2., 0.],
           [1., 2.]]), True)
    """
    return cholesky(a, lower=lower, check_finite=check_finite), bool(lower)


def cho_solve(
    c_and_lower: tuple[Any, bool],
    b: ArrayLike,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Array:
    """Solve ``a @ x = b`` given ``(c, lower) = cho_factor(a)``, as
    ``scipy.linalg.cho_solve``: two triangular solves with the ``lower``
    (upper) triangle of ``c``, differentiable in ``c`` and ``b``.

    >>> import funcdiff as fd, numpy as np
    >>> from funcdiff.scipy.linalg import cho_factor, cho_solve
    >>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
    >>> cho_solve(cho_factor(a), np.array([6.0, 7.0]))
    array([1., 1.])
    >>> fd.grad(lambda a: cho_solve(cho_factor(a), np.array([6.0, 7.0]))[0])(a)
    array([[-0.3125, -0.1875],
           [ 0.    ,  0.125 ]])
    """
    if not isinstance(c_and_lower, (tuple, list)) or len(c_and_lower) != 2:
        raise TypeError(
            "cho_solve: the first argument must be the pair (c, lower) from cho_factor, "
            f"got {type(c_and_lower).__name__}"
        )
    c, lower = c_and_lower
    c, b = _floats("cho_solve", c, b)
    _finite("cho_solve", check_finite, c, b)
    low = bool(lower)

    def fn(c2: Array, b2: Array) -> Array:
        # lower: L L^T x = b;  upper: U^T U x = b
        y = la.triangular_solve(c2, b2, lower=low, transpose_a=not low)
        return la.triangular_solve(c2, y, lower=low, transpose_a=low)

    return _with_rhs("cho_solve", c, b, fn)


# ===========================================================================
# matrix-function primitives: expm, sqrtm, logm, solve_sylvester, lu
# ===========================================================================
#
# Conventions as in funcdiff.primitives.linalg: operands are stacks of
# matrices with one shared batch shape, float32/float64, batch by moving the
# batch axes to the front (vectorized_batch), sparsity dense per matrix.
# Every rule is written with funcdiff operations (these primitives
# included), so rules differentiate again and Taylor mode follows the JVP.


def _scipy_linalg(name: str) -> Any:
    """``scipy.linalg``, or an ImportError naming the extra that installs it."""
    try:
        import scipy.linalg
    except ImportError as err:  # pragma: no cover - scipy is installed for the tests
        raise ImportError(
            f"funcdiff.scipy.linalg.{name} computes its values with scipy, an optional "
            "dependency of funcdiff: pip install funcdiff[scipy]"
        ) from err
    return scipy.linalg


def _per_matrix(a: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``fn`` on each (n, n) float64 matrix of the stack ``a``; the result in ``a``'s dtype."""
    a = np.asarray(a)
    out = np.empty(a.shape, a.dtype)
    for idx in np.ndindex(*a.shape[:-2]):
        out[idx] = fn(a[idx].astype(np.float64))
    return out


def _real_result(name: str, x: np.ndarray, why: str) -> np.ndarray:
    """A real matrix from scipy's result, which may be complex with a zero
    imaginary part; a genuinely complex result is an error."""
    if np.iscomplexobj(x):
        scale = max(1.0, float(np.max(np.abs(x), initial=0.0)))
        if np.max(np.abs(x.imag), initial=0.0) > 1e-10 * scale:
            raise ValueError(
                f"{name}: the principal matrix {why} of this real matrix is complex "
                "(a negative real eigenvalue); complex results are not supported"
            )
        x = x.real
    out: np.ndarray = np.ascontiguousarray(x, dtype=np.float64)
    return out


def _square_abstract_eval(name: str) -> Callable[[ShapedArray], ShapedArray]:
    def rule(a: ShapedArray) -> ShapedArray:
        la._check_float(name, a)
        la._check_matrix(name, a, square=True)
        return a

    return rule


def _block_upper(a: Any, e: Any, f: Callable[[Any], Any]) -> Any:
    """The upper-right block of ``f([[a, e], [0, a]])``: the Fréchet derivative
    ``L_f(a, e)`` of a primary matrix function ``f`` (a stack of them)."""
    n = aval_of(a).shape[-1]
    zero = fnp.zeros_like(a)
    big = fnp.concatenate(
        [fnp.concatenate([a, e], axis=-1), fnp.concatenate([zero, a], axis=-1)], axis=-2
    )
    return f(big)[..., :n, n:]


def _lower_vectorized(fn: Callable[..., Any], signature: str) -> Callable[..., Any]:
    def rule(ctx: Any, *args: Any) -> Any:
        return ctx.jnp.vectorize(lambda *xs: fn(ctx, *xs), signature=signature)(*args)

    return rule


# ---------------------------------------------------------------------------
# expm(a): the matrix exponential (Padé approximant with scaling and squaring,
# Higham 2005, in numpy; float32 is computed in float64 and rounded).
#   jvp:  L(a, da) = the upper-right block of expm([[a, da], [0, a]])
#   vjp:  L(a^T, ct) (the adjoint of L(a, .) is L(a^T, .))
# ---------------------------------------------------------------------------

#: (degree, largest 1-norm for which that degree's Padé approximant is accurate
#: to double precision) from Higham, "The scaling and squaring method for the
#: matrix exponential revisited" (2005), Table 2.1
_PADE_DEGREES = (
    (3, 1.495585217958292e-2),
    (5, 2.539398330063230e-1),
    (7, 9.504178996162932e-1),
    (9, 2.097847961257068),
    (13, 5.371920351148152),
)


def _pade_coefficients(m: int) -> list[float]:
    """Coefficients of the numerator of the [m/m] Padé approximant of exp."""
    f = math.factorial
    return [f(2 * m - j) * f(m) / (f(2 * m) * f(j) * f(m - j)) for j in range(m + 1)]


def _expm_one(a: np.ndarray) -> np.ndarray:
    n = a.shape[-1]
    if n == 0:
        return a.copy()
    if not np.all(np.isfinite(a)):
        return np.full_like(a, np.nan)
    norm = float(np.max(np.sum(np.abs(a), axis=0)))
    eye = np.eye(n)
    squarings = 0
    for m, theta in _PADE_DEGREES:
        if norm <= theta:
            break
    else:
        m = 13
        squarings = max(0, math.ceil(math.log2(norm / _PADE_DEGREES[-1][1])))
        a = a / 2.0**squarings
    c = _pade_coefficients(m)
    a2 = a @ a
    if m < 13:
        powers = [eye, a2]
        while len(powers) < m // 2 + 1:
            powers.append(powers[-1] @ a2)
        odd = a @ sum(c[2 * j + 1] * powers[j] for j in range(m // 2 + 1))
        even = sum(c[2 * j] * powers[j] for j in range(m // 2 + 1))
    else:
        a4 = a2 @ a2
        a6 = a4 @ a2
        odd = a @ (
            a6 @ (c[13] * a6 + c[11] * a4 + c[9] * a2)
            + c[7] * a6
            + c[5] * a4
            + c[3] * a2
            + c[1] * eye
        )
        even = (
            a6 @ (c[12] * a6 + c[10] * a4 + c[8] * a2)
            + c[6] * a6
            + c[4] * a4
            + c[2] * a2
            + c[0] * eye
        )
    r: np.ndarray = np.linalg.solve(even - odd, even + odd)
    for _ in range(squarings):
        r = r @ r
    return r


def _expm_impl(a: Array) -> Array:
    return _per_matrix(a, _expm_one)


def _expm_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any) -> Any:
    return _block_upper(primals[0], tangents[0], _expm)


def _expm_vjp(ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool]) -> list[Any]:
    return [_block_upper(_mT(primals[0]), ct, _expm)]


def _jax_expm(ctx: Any, a: Any) -> Any:
    return ctx.jsp.linalg.expm(a)


def _expm_samples(rng: np.random.Generator) -> Samples:
    return [
        ((0.5 * rng.normal(size=(3, 3)),), {}),
        ((2.0 * rng.normal(size=(3, 3)),), {}),  # scaled and squared
        ((0.5 * rng.normal(size=(2, 2, 2)),), {}),
        ((np.array([[0.7]]),), {}),
    ]


expm_p = Primitive(
    "expm",
    impl=_expm_impl,
    abstract_eval=_square_abstract_eval("expm"),
    jvp=_expm_jvp,
    vjp=_expm_vjp,
    taylor=TAYLOR_VIA_JVP,
    batch=vectorized_batch,
    sparsity=spd.per_matrix,
    lower_jax=_lower_vectorized(_jax_expm, "(n,n)->(n,n)"),
    samples=_expm_samples,
)


def _expm(a: Any) -> Any:
    return bind(expm_p, a)


# ---------------------------------------------------------------------------
# logm(a): the principal logarithm (scipy: inverse scaling and squaring);
# real matrices whose logarithm is real (no eigenvalue on the closed
# negative real axis).
#   jvp:  the upper-right block of logm([[a, da], [0, a]]);  vjp: the same at a^T
# ---------------------------------------------------------------------------


def _logm_one(a: np.ndarray) -> np.ndarray:
    if a.shape[-1] == 0:
        return a.copy()
    with np.errstate(all="ignore"):
        out = _scipy_linalg("logm").logm(a)
    if isinstance(out, tuple):  # (logm, errest) where disp=False is the default
        out = out[0]
    return _real_result("logm", np.asarray(out), "logarithm")


def _logm_impl(a: Array) -> Array:
    return _per_matrix(a, _logm_one)


def _logm_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any) -> Any:
    return _block_upper(primals[0], tangents[0], _logm)


def _logm_vjp(ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool]) -> list[Any]:
    return [_block_upper(_mT(primals[0]), ct, _logm)]


def _logm_lower(ctx: Any, a: Any) -> Any:
    # JAX has no matrix logarithm: the numpy evaluation, called back from XLA
    shape = ctx.jax.ShapeDtypeStruct(a.shape, a.dtype)
    return ctx.jax.pure_callback(_logm_impl, shape, a, vmap_method="sequential")


def _matfun_samples(rng: np.random.Generator) -> Samples:
    """Matrices with eigenvalues of positive real part (real log and sqrt)."""
    return [
        ((la._well(rng, 3, 3),), {}),
        ((la._spd(rng, 3, 3),), {}),
        ((la._well(rng, 2, 2, 2),), {}),
        ((np.array([[1.7]]),), {}),
    ]


logm_p = Primitive(
    "logm",
    impl=_logm_impl,
    abstract_eval=_square_abstract_eval("logm"),
    jvp=_logm_jvp,
    vjp=_logm_vjp,
    taylor=TAYLOR_VIA_JVP,
    batch=vectorized_batch,
    sparsity=spd.per_matrix,
    lower_jax=_logm_lower,
    samples=_matfun_samples,
)


def _logm(a: Any) -> Any:
    return bind(logm_p, a)


# ---------------------------------------------------------------------------
# solve_sylvester(a, b, q) = x with a x + x b = q (scipy: Bartels-Stewart);
# a (..., n, n), b (..., m, m), q (..., n, m); singular when a and -b share
# an eigenvalue.
#   jvp:  dx = solve_sylvester(a, b, dq - da x - x db)
#   vjp:  ct_q = solve_sylvester(a^T, b^T, ct), ct_a = -ct_q x^T, ct_b = -x^T ct_q
# ---------------------------------------------------------------------------


def _sylvester_impl(a: Array, b: Array, q: Array) -> Array:
    q = np.asarray(q)
    out = np.empty(q.shape, q.dtype)
    solver = _scipy_linalg("solve_sylvester").solve_sylvester
    for idx in np.ndindex(*q.shape[:-2]):
        a1, b1, q1 = (np.asarray(x)[idx].astype(np.float64) for x in (a, b, q))
        with np.errstate(all="ignore"):
            out[idx] = _real_result("solve_sylvester", np.asarray(solver(a1, b1, q1)), "solution")
    return out


def _sylvester_abstract_eval(a: ShapedArray, b: ShapedArray, q: ShapedArray) -> ShapedArray:
    la._check_float("solve_sylvester", a, b, q)
    la._check_matrix("solve_sylvester", a, square=True)
    la._check_matrix("solve_sylvester", b, square=True)
    n, m = a.shape[-1], b.shape[-1]
    if q.shape != (*a.shape[:-2], n, m) or b.shape[:-2] != a.shape[:-2]:
        raise ShapeError(
            f"solve_sylvester: shapes {a.str_short()}, {b.str_short()}, {q.str_short()} do "
            f"not fit a x + x b = q: q must be (..., {n}, {m}) and all three must share "
            "their leading (batch) axes"
        )
    if not a.dtype == b.dtype == q.dtype:
        raise DTypeError(
            f"solve_sylvester: operand dtypes differ ({a.str_short()}, {b.str_short()}, "
            f"{q.str_short()})"
        )
    return q


def _sylvester_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any) -> Any:
    a, b, _ = primals
    ta, tb, tq = tangents
    rhs = None if isinstance(tq, Zero) else tq
    if not isinstance(ta, Zero):
        t = _mm(ta, out)
        rhs = ew.neg(t) if rhs is None else ew.sub(rhs, t)
    if not isinstance(tb, Zero):
        t = _mm(out, tb)
        rhs = ew.neg(t) if rhs is None else ew.sub(rhs, t)
    return _sylvester(a, b, rhs)


def _sylvester_vjp(ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool]) -> list[Any]:
    a, b, q = primals
    ct_q = _sylvester(_mT(a), _mT(b), ct)
    return [
        ew.neg(_mm(ct_q, _mT(out))) if needs[0] else zero_of(a),
        ew.neg(_mm(_mT(out), ct_q)) if needs[1] else zero_of(b),
        ct_q if needs[2] else zero_of(q),
    ]


def _jax_sylvester(ctx: Any, a: Any, b: Any, q: Any) -> Any:
    return ctx.jsp.linalg.solve_sylvester(a, b, q)


solve_sylvester_p = Primitive(
    "solve_sylvester",
    impl=_sylvester_impl,
    abstract_eval=_sylvester_abstract_eval,
    jvp=_sylvester_jvp,
    vjp=_sylvester_vjp,
    taylor=TAYLOR_VIA_JVP,
    batch=vectorized_batch,
    sparsity=spd.per_matrix,
    lower_jax=_lower_vectorized(_jax_sylvester, "(n,n),(m,m),(n,m)->(n,m)"),
    samples=lambda rng: [
        ((la._well(rng, 3, 3), la._well(rng, 2, 2), rng.normal(size=(3, 2))), {}),
        ((la._well(rng, 2, 2), la._spd(rng, 2, 2), rng.normal(size=(2, 2))), {}),
        ((la._well(rng, 2, 2, 2), la._well(rng, 2, 3, 3), rng.normal(size=(2, 2, 3))), {}),
        ((np.array([[1.5]]), np.array([[0.5]]), np.array([[2.0]])), {}),
    ],
)


def _sylvester(a: Any, b: Any, q: Any) -> Any:
    return bind(solve_sylvester_p, a, b, q)


# ---------------------------------------------------------------------------
# sqrtm(a): the principal square root S (scipy: Schur method); real matrices
# whose square root is real (no eigenvalue on the negative real axis).
#   jvp:  S dS + dS S = da:   dS = solve_sylvester(S, S, da)
#   vjp:  ct_a = solve_sylvester(S^T, S^T, ct)
# Singular matrices (S singular) have no derivative: the solve is singular.
# ---------------------------------------------------------------------------


def _sqrtm_one(a: np.ndarray) -> np.ndarray:
    if a.shape[-1] == 0:
        return a.copy()
    with np.errstate(all="ignore"):
        out = _scipy_linalg("sqrtm").sqrtm(a)
    if isinstance(out, tuple):
        out = out[0]
    return _real_result("sqrtm", np.asarray(out), "square root")


def _sqrtm_impl(a: Array) -> Array:
    return _per_matrix(a, _sqrtm_one)


def _sqrtm_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any) -> Any:
    return _sylvester(out, out, tangents[0])


def _sqrtm_vjp(ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool]) -> list[Any]:
    st = _mT(out)
    return [_sylvester(st, st, ct)]


def _jax_sqrtm(ctx: Any, a: Any) -> Any:
    return ctx.jnp.real(ctx.jsp.linalg.sqrtm(a))


sqrtm_p = Primitive(
    "sqrtm",
    impl=_sqrtm_impl,
    abstract_eval=_square_abstract_eval("sqrtm"),
    jvp=_sqrtm_jvp,
    vjp=_sqrtm_vjp,
    taylor=TAYLOR_VIA_JVP,
    batch=vectorized_batch,
    sparsity=spd.per_matrix,
    lower_jax=_lower_vectorized(_jax_sqrtm, "(n,n)->(n,n)"),
    samples=_matfun_samples,
)


def _sqrtm(a: Any) -> Any:
    return bind(sqrtm_p, a)


# ---------------------------------------------------------------------------
# lu(a) = [P, L, U]: a = P L U with partial (row) pivoting, as scipy; a (..., m,
# n), P (..., m, m) a permutation matrix (float), L (..., m, k) unit lower,
# U (..., k, n) upper, k = min(m, n). The impl is Doolittle elimination with
# LAPACK's pivot choice (the first entry of largest magnitude), in numpy.
# With X = P^T da, L1, U1 the leading k x k blocks and C = L1^-1 X1 U1^-1
# (X1 the leading k x k block of X):
#   m >= n:  dL = tril(X U^-1 - L triu(C), -1),  dU = triu(C) U
#   m <  n:  dL = L tril(C, -1),                 dU = triu(L^-1 X - tril(C, -1) U)
# (the masks only clear rounding); the vjp is that map transposed. P is
# piecewise constant: zero derivative. A singular leading block (exactly
# zero pivot) makes the derivative inf/NaN.
# ---------------------------------------------------------------------------


def _lu_one(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m, n = a.shape
    k = min(m, n)
    w = a.astype(np.float64)
    perm = np.arange(m)
    for j in range(k):
        p = j + int(np.argmax(np.abs(w[j:, j])))
        if p != j:
            w[[j, p]] = w[[p, j]]
            perm[[j, p]] = perm[[p, j]]
        if w[j, j] != 0.0:
            w[j + 1 :, j] /= w[j, j]
        w[j + 1 :, j + 1 :] -= np.outer(w[j + 1 :, j], w[j, j + 1 :])
    lower = np.tril(w[:, :k], -1) + np.eye(m, k)
    upper = np.triu(w[:k, :])
    pmat = np.zeros((m, m))
    pmat[perm, np.arange(m)] = 1.0  # a = P L U: row perm[i] of a is row i of L U
    return pmat, lower, upper


def _lu_impl(a: Array) -> list[Array]:
    a = np.asarray(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    outs = [
        np.empty((*batch, m, m), a.dtype),
        np.empty((*batch, m, k), a.dtype),
        np.empty((*batch, k, n), a.dtype),
    ]
    for idx in np.ndindex(*batch):
        for out, x in zip(outs, _lu_one(a[idx]), strict=True):
            out[idx] = x
    return outs


def _lu_abstract_eval(a: ShapedArray) -> list[ShapedArray]:
    la._check_float("lu", a)
    la._check_matrix("lu", a, square=False)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    return [
        ShapedArray((*batch, m, m), a.dtype),
        ShapedArray((*batch, m, k), a.dtype),
        ShapedArray((*batch, k, n), a.dtype),
    ]


def _tri(x: Any, b: Any, *, left: bool, lower: bool, trans: bool = False) -> Any:
    return la.triangular_solve(
        x, b, left_side=left, lower=lower, transpose_a=trans, unit_diagonal=lower
    )


def _lu_blocks(l: Any, u: Any) -> tuple[Any, Any, int, int, int]:
    m, k = aval_of(l).shape[-2:]
    n = aval_of(u).shape[-1]
    return l[..., :k, :], u[..., :, :k], m, n, k


def _lu_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any) -> list[Any]:
    p, l, u = out
    l1, u1, m, n, k = _lu_blocks(l, u)
    x = _mm(_mT(p), tangents[0])
    c = _tri(u1, _tri(l1, x[..., :k, :k], left=True, lower=True), left=False, lower=False)
    if m >= n:
        dl = fnp.tril(ew.sub(_tri(u1, x, left=False, lower=False), _mm(l, fnp.triu(c))), -1)
        du = _mm(fnp.triu(c), u)
    else:
        dl = _mm(l, fnp.tril(c, -1))
        du = fnp.triu(ew.sub(_tri(l1, x, left=True, lower=True), _mm(fnp.tril(c, -1), u)))
    return [Zero(aval_of(p)), dl, du]


def _lu_vjp(ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool]) -> list[Any]:
    p, l, u = out
    l1, u1, m, n, k = _lu_blocks(l, u)
    ct_l = fnp.zeros_like(l) if isinstance(ct[1], Zero) else ct[1]
    ct_u = fnp.zeros_like(u) if isinstance(ct[2], Zero) else ct[2]
    nd = aval_of(l).ndim
    if m >= n:
        ct_l = fnp.tril(ct_l, -1)
        ct_x = _tri(u1, ct_l, left=False, lower=False, trans=True)
        ct_c = fnp.triu(ew.sub(_mm(ct_u, _mT(u)), _mm(_mT(l), ct_l)))
        g = _tri(
            u1,
            _tri(l1, ct_c, left=True, lower=True, trans=True),
            left=False,
            lower=False,
            trans=True,
        )
        ct_x = ew.add(ct_x, fnp.pad(g, [(0, 0)] * (nd - 2) + [(0, m - k), (0, 0)]))
    else:
        ct_u = fnp.triu(ct_u)
        ct_x = _tri(l1, ct_u, left=True, lower=True, trans=True)
        ct_c = fnp.tril(ew.sub(_mm(_mT(l), ct_l), _mm(ct_u, _mT(u))), -1)
        g = _tri(
            u1,
            _tri(l1, ct_c, left=True, lower=True, trans=True),
            left=False,
            lower=False,
            trans=True,
        )
        ct_x = ew.add(ct_x, fnp.pad(g, [(0, 0)] * (nd - 2) + [(0, 0), (0, n - k)]))
    return [_mm(p, ct_x)]


def _lu_lower(ctx: Any, a: Any) -> list[Any]:
    jnp = ctx.jnp
    m, n = a.shape[-2:]
    k = min(m, n)
    packed, _, perm = ctx.lax.linalg.lu(a)
    lower = jnp.tril(packed[..., :, :k], -1) + jnp.eye(m, k, dtype=a.dtype)
    upper = jnp.triu(packed[..., :k, :])
    pmat = jnp.swapaxes(jnp.take(jnp.eye(m, dtype=a.dtype), perm, axis=0), -1, -2)
    return [pmat, lower, upper]


lu_p = Primitive(
    "lu",
    multiple_results=True,
    impl=_lu_impl,
    abstract_eval=_lu_abstract_eval,
    jvp=_lu_jvp,
    vjp=_lu_vjp,
    taylor=TAYLOR_VIA_JVP,
    batch=vectorized_batch,
    sparsity=spd.per_matrix,
    lower_jax=_lu_lower,
    samples=lambda rng: [
        ((rng.normal(size=(3, 3)),), {}),
        ((rng.normal(size=(4, 2)),), {}),
        ((rng.normal(size=(2, 4)),), {}),
        ((rng.normal(size=(2, 3, 3)),), {}),
        ((np.array([[-1.3]]),), {}),
    ],
)


def _lu(a: Any) -> list[Any]:
    return bind(lu_p, a)  # type: ignore[no-any-return]

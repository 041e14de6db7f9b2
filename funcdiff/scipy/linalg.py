"""``funcdiff.scipy.linalg``: scipy's linear algebra, traceable and
differentiable, with scipy's signatures.

Primitives of this module (each with every rule: JVP, VJP, batch, Taylor,
sparsity, the XLA lowering; the derivative rules are written with funcdiff
operations, so they differentiate again, to any order):

- ``expm``: Padé approximation with scaling and squaring (Higham 2005), in
  numpy. Its derivative is the Fréchet derivative, the upper-right block of
  ``expm([[A, E], [0, A]])`` (``expm_frechet`` returns it).
- ``logm`` (the derivative: the same block trick) and ``sqrtm`` (the
  derivative solves ``X dX + dX X = dA``): values from scipy, real results
  only (a matrix with a negative real eigenvalue raises ValueError).
- ``solve_sylvester`` (``a x + x b = q``): values from scipy;
  ``dx = solve_sylvester(a, b, dq - da x - x db)``.
- ``lu`` (``a = p l u``, partial pivoting: LAPACK's through scipy, or the
  same pivot rule in numpy without scipy; ``p`` has a zero derivative):
  the standard LU identities, for square, tall and wide matrices.
  ``lu_factor`` and ``lu_solve`` are built on it and on triangular solves.

Compositions of funcdiff operations: ``solve_triangular`` (the
``triangular_solve`` primitive), ``cholesky``/``cho_factor`` (numpy's
Cholesky), ``cho_solve``; ``solve`` (``assume_a`` 'gen', 'sym', 'pos',
'diagonal', 'tridiagonal', 'banded', triangular), ``solve_banded`` (the band
expanded to a dense matrix), ``inv``, ``det``, ``lstsq``, ``pinv``,
``eigh``/``eigvalsh`` (with the generalized problem of types 1-3 through the
Cholesky factor of ``b``), ``svd``, ``qr``, ``norm`` (``funcdiff.numpy.linalg``
with scipy's signatures), ``polar`` (values from the SVD; derivatives from
``sqrtm(a.T a)``, smooth at repeated singular values), ``block_diag``,
``toeplitz`` and ``hilbert``. Functions that read one triangle of a matrix
(``solve_triangular``, ``cholesky``, ``solve`` with 'sym'/'pos', ``eigh``)
have a zero derivative with respect to the other one, as in scipy.

scipy is an optional extra (``pip install funcdiff[scipy]``): ``sqrtm``,
``logm``, ``solve_sylvester`` and the derivatives of ``polar`` call it when a
value is computed (an ImportError names the extra); ``lu`` uses LAPACK
through scipy when it is there and numpy elimination otherwise; everything
else is numpy only.

Differences from scipy: ``b`` follows numpy 2's convention (a 1-D ``b`` is
one vector; otherwise ``b`` is a stack of ``(n, k)`` matrices whose batch
axes broadcast against ``a``'s), the same as scipy's batching; the matrix
functions and ``lu``/``lu_factor`` take stacks ``(..., m, n)`` also where
scipy 1.11 does not; the unused triangle of ``cho_factor``'s result is zero
(scipy leaves arbitrary values there); ``overwrite_*``, ``lapack_driver``
and ``driver`` are accepted and ignored (arrays are immutable);
``check_finite`` checks concrete inputs (numpy arrays) only, not traced
values; float32 matrix functions are computed in float64 and rounded;
``lu_solve`` of a singular factorization raises LinAlgError (scipy returns
inf/NaN). Triangular solves run numpy's LU solver on the triangle (numpy
has no triangular solver): the same answer and backward stable, but O(n^3)
rather than O(n^2) per right-hand side; ``solve_banded`` is O(n^3) too.

>>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
>>> from funcdiff.scipy.linalg import expm
>>> a = np.array([[0.0, 1.0], [-1.0, 0.0]])  # expm(t a) is a rotation by t
>>> print(np.round(fd.jacfwd(lambda t: expm(t * a))(1.0), 6))
[[-0.841471  0.540302]
 [-0.540302 -0.841471]]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal, overload

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

__all__ = [
    "block_diag",
    "cho_factor",
    "cho_solve",
    "cholesky",
    "det",
    "eigh",
    "eigvalsh",
    "expm",
    "expm_frechet",
    "hilbert",
    "inv",
    "logm",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_solve",
    "norm",
    "pinv",
    "polar",
    "qr",
    "solve",
    "solve_banded",
    "solve_sylvester",
    "solve_triangular",
    "sqrtm",
    "svd",
    "toeplitz",
]


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


def _per_matrix(a: Any, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``fn`` on each (n, n) float64 matrix of the stack ``a``; the result in ``a``'s dtype."""
    a = np.asarray(a)
    out = np.empty(a.shape, a.dtype)
    for idx in np.ndindex(*a.shape[:-2]):
        out[idx] = fn(a[idx].astype(np.float64))
    return out


def _quiet(fn: Callable[..., Any], a: np.ndarray) -> np.ndarray:
    """scipy's ``sqrtm``/``logm`` with ``disp=False`` (no printing, scipy
    1.11; deprecated but accepted later), the result without the estimate."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", DeprecationWarning)
        out = fn(a, disp=False)
    return np.asarray(out[0] if isinstance(out, tuple) else out)


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


def _real_only(name: str, *avals: ShapedArray) -> None:
    """These primitives' rules are written for real matrices (plain
    transposes): complex operands are refused, never given a wrong derivative."""
    for a in avals:
        if a.dtype.kind == "c":
            raise DTypeError(
                f"{name}: complex matrices are not supported (got {a.str_short()}); "
                "funcdiff.numpy.linalg's functions take complex matrices"
            )


def _square_abstract_eval(name: str) -> Callable[[ShapedArray], ShapedArray]:
    def rule(a: ShapedArray) -> ShapedArray:
        _real_only(name, a)
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
    for m, theta in _PADE_DEGREES:  # noqa: B007 (m is used after the loop)
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
    out = _quiet(_scipy_linalg("logm").logm, a)
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
    _real_only("solve_sylvester", a, b, q)
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
    out = _quiet(_scipy_linalg("sqrtm").sqrtm, a)
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
# U (..., k, n) upper, k = min(m, n). The impl is LAPACK's getrf through
# scipy when it is installed, else Doolittle elimination with LAPACK's pivot
# choice (the first entry of largest magnitude) in numpy.
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
    try:
        import scipy.linalg
    except ImportError:
        scipy_lu = None
    else:
        scipy_lu = scipy.linalg.lu_factor
    if scipy_lu is not None and k > 0:  # LAPACK's getrf: fast, and scipy's pivots exactly
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a zero pivot is fine here
            w, piv = scipy_lu(w, check_finite=False)
        for j, p in enumerate(piv):
            perm[[j, p]] = perm[[p, j]]
        return _lu_parts(w, perm, m, k)
    for j in range(k):  # numpy: Doolittle with the same pivot rule
        p = j + int(np.argmax(np.abs(w[j:, j])))
        if p != j:
            w[[j, p]] = w[[p, j]]
            perm[[j, p]] = perm[[p, j]]
        if w[j, j] != 0.0:
            w[j + 1 :, j] /= w[j, j]
        w[j + 1 :, j + 1 :] -= np.outer(w[j + 1 :, j], w[j, j + 1 :])
    return _lu_parts(w, perm, m, k)


def _lu_parts(
    w: np.ndarray, perm: np.ndarray, m: int, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(P, L, U) from the packed factors ``w`` and ``a[perm] = L U``."""
    lower = np.tril(w[:, :k], -1) + np.eye(m, k)
    upper = np.triu(w[:k, :])
    pmat = np.zeros((m, m))
    pmat[perm, np.arange(m)] = 1.0  # a = P L U: row perm[i] of a is row i of L U
    return pmat, lower, upper


def _lu_impl(a: Any) -> list[np.ndarray]:
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
    _real_only("lu", a)
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
    return bind(lu_p, a)


# ===========================================================================
# matrix functions (the primitives above) with scipy's signatures
# ===========================================================================


def _square(name: str, a: ArrayLike, check_finite: bool = True) -> Array:
    (x,) = _floats(name, a)
    _check_matrix(name, x, square=True)
    _finite(name, check_finite, x)
    return x


def _fro(x: Array) -> Array:
    return fnp.sqrt(fnp.sum(x * x, axis=(-2, -1)))


def expm(A: ArrayLike) -> Array:
    """Matrix exponential, as ``scipy.linalg.expm`` (stacks ``(..., n, n)``).

    Padé approximation with scaling and squaring (Higham 2005), in numpy;
    float32 is computed in float64 and rounded. The derivative is the
    Fréchet derivative ``L(A, E)``, the upper-right block of
    ``expm([[A, E], [0, A]])``, so every order is another ``expm``.

    >>> import funcdiff as fd, numpy as np
    >>> from funcdiff.scipy.linalg import expm
    >>> expm(np.array([[0.0, 1.0], [0.0, 0.0]]))
    array([[1., 1.],
           [0., 1.]])
    >>> print(f"{float(fd.grad(lambda a: expm(a)[0, 0])(np.zeros((2, 2)))[0, 0]):.6f}")
    1.000000
    """
    return _expm(_square("expm", A, check_finite=False))


@overload
def expm_frechet(
    A: ArrayLike,
    E: ArrayLike,
    method: str | None = ...,
    compute_expm: Literal[True] = ...,
    check_finite: bool = ...,
) -> tuple[Array, Array]: ...
@overload
def expm_frechet(
    A: ArrayLike,
    E: ArrayLike,
    method: str | None = ...,
    *,
    compute_expm: Literal[False],
    check_finite: bool = ...,
) -> Array: ...
@overload
def expm_frechet(
    A: ArrayLike,
    E: ArrayLike,
    method: str | None = ...,
    compute_expm: bool = ...,
    check_finite: bool = ...,
) -> Array | tuple[Array, Array]: ...
def expm_frechet(
    A: ArrayLike,
    E: ArrayLike,
    method: str | None = None,
    compute_expm: bool = True,
    check_finite: bool = True,
) -> Array | tuple[Array, Array]:
    """``(expm(A), L(A, E))``, the exponential and its Fréchet derivative in
    direction ``E``, as ``scipy.linalg.expm_frechet`` (only ``L`` when
    ``compute_expm`` is False). Both come from one ``expm`` of the block
    matrix ``[[A, E], [0, A]]``, whatever ``method`` ('SPS' or
    'blockEnlarge') says; differentiable in ``A`` and ``E``.

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import expm_frechet
    >>> e, l = expm_frechet(np.zeros((2, 2)), np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> l
    array([[1., 2.],
           [3., 4.]])
    """
    if method not in (None, "SPS", "blockEnlarge"):
        raise ValueError(
            f"expm_frechet: unknown method {method!r} (use None, 'SPS' or 'blockEnlarge')"
        )
    a, e = _floats("expm_frechet", A, E)
    _check_matrix("expm_frechet", a, square=True, arg="A")
    _check_matrix("expm_frechet", e, square=True, arg="E")
    _finite("expm_frechet", check_finite, a, e)
    if fnp.shape(a)[-1] != fnp.shape(e)[-1]:
        raise ValueError(
            f"expm_frechet: A {fnp.shape(a)} and E {fnp.shape(e)} must be matrices of one size"
        )
    batch = np.broadcast_shapes(fnp.shape(a)[:-2], fnp.shape(e)[:-2])
    n = fnp.shape(a)[-1]
    a = fnp.broadcast_to(a, (*batch, n, n))
    e = fnp.broadcast_to(e, (*batch, n, n))
    zero = fnp.zeros_like(a)
    big = _expm(
        fnp.concatenate(
            [fnp.concatenate([a, e], axis=-1), fnp.concatenate([zero, a], axis=-1)], axis=-2
        )
    )
    frechet = big[..., :n, n:]
    return (big[..., :n, :n], frechet) if compute_expm else frechet


@overload
def sqrtm(A: ArrayLike, disp: Literal[True] = ..., blocksize: int = ...) -> Array: ...
@overload
def sqrtm(A: ArrayLike, disp: Literal[False], blocksize: int = ...) -> tuple[Array, Array]: ...
@overload
def sqrtm(A: ArrayLike, disp: bool = ..., blocksize: int = ...) -> Array | tuple[Array, Array]: ...
def sqrtm(A: ArrayLike, disp: bool = True, blocksize: int = 64) -> Array | tuple[Array, Array]:
    """Principal matrix square root, as ``scipy.linalg.sqrtm`` (values from
    scipy; stacks ``(..., n, n)``); with ``disp=False``, ``(X, errest)``,
    ``errest = ||X @ X - A||_F / ||A||_F``.

    Real matrices only: one with a negative real eigenvalue (whose principal
    square root is complex) raises ValueError. The derivative solves the
    Sylvester equation ``X dX + dX X = dA`` (``solve_sylvester``); at a
    singular ``A`` it does not exist (the solve is singular).

    >>> import funcdiff as fd, numpy as np
    >>> from funcdiff.scipy.linalg import sqrtm
    >>> sqrtm(np.array([[4.0, 0.0], [0.0, 9.0]]))
    array([[2., 0.],
           [0., 3.]])
    >>> fd.grad(lambda a: sqrtm(a)[1, 1])(np.array([[4.0, 0.0], [0.0, 9.0]]))
    array([[0.        , 0.        ],
           [0.        , 0.16666667]])
    """
    x = _square("sqrtm", A)
    out = _sqrtm(x)
    if disp:
        return out
    return out, _fro(fnp.matmul(out, out) - x) / _fro(x)


@overload
def logm(A: ArrayLike, disp: Literal[True] = ...) -> Array: ...
@overload
def logm(A: ArrayLike, disp: Literal[False]) -> tuple[Array, Array]: ...
@overload
def logm(A: ArrayLike, disp: bool = ...) -> Array | tuple[Array, Array]: ...
def logm(A: ArrayLike, disp: bool = True) -> Array | tuple[Array, Array]:
    """Principal matrix logarithm, as ``scipy.linalg.logm`` (values from
    scipy; stacks ``(..., n, n)``); with ``disp=False``, ``(X, errest)``,
    ``errest = ||expm(X) - A||_1 / ||A||_1``.

    Real matrices only: one with a negative real eigenvalue (complex
    logarithm) raises ValueError, a singular one has no logarithm. The
    derivative is the upper-right block of ``logm([[A, dA], [0, A]])``.

    >>> import funcdiff as fd, numpy as np
    >>> from funcdiff.scipy.linalg import logm
    >>> a = np.array([[np.e, 0.0], [0.0, 1.0]])
    >>> logm(a).round(12) + 0.0
    array([[1., 0.],
           [0., 0.]])
    >>> print(f"{float(fd.grad(lambda a: logm(a)[0, 0])(a)[0, 0]):.6f}")  # 1 / e
    0.367879
    """
    x = _square("logm", A)
    out = _logm(x)
    if disp:
        return out
    diff = _expm(out) - x
    return out, fnp.linalg.norm(diff, 1, axis=(-2, -1)) / fnp.linalg.norm(x, 1, axis=(-2, -1))


def solve_sylvester(a: ArrayLike, b: ArrayLike, q: ArrayLike) -> Array:
    """``x`` with ``a @ x + x @ b = q``, as ``scipy.linalg.solve_sylvester``
    (values from scipy; ``a`` (..., n, n), ``b`` (..., m, m), ``q``
    (..., n, m), batch axes broadcast). Singular when ``a`` and ``-b`` share
    an eigenvalue. Derivative: ``dx = solve_sylvester(a, b, dq - da x - x db)``.

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import solve_sylvester
    >>> solve_sylvester(np.diag([1.0, 2.0]), np.array([[3.0]]), np.array([[8.0], [10.0]]))
    array([[2.],
           [2.]])
    """
    x, y, z = _floats("solve_sylvester", a, b, q)
    sa = _check_matrix("solve_sylvester", x, square=True)
    sb = _check_matrix("solve_sylvester", y, square=True, arg="b")
    sq = _check_matrix("solve_sylvester", z, square=False, arg="q")
    n, m = sa[-1], sb[-1]
    if sq[-2:] != (n, m):
        raise ValueError(
            f"solve_sylvester: q has shape {sq}; with a {sa} and b {sb} it must be (..., {n}, {m})"
        )
    try:
        batch = np.broadcast_shapes(sa[:-2], sb[:-2], sq[:-2])
    except ValueError:
        raise ValueError(
            f"solve_sylvester: the batch axes of a {sa}, b {sb} and q {sq} do not broadcast"
        ) from None
    x = fnp.broadcast_to(x, (*batch, n, n))
    y = fnp.broadcast_to(y, (*batch, m, m))
    z = fnp.broadcast_to(z, (*batch, n, m))
    return _sylvester(x, y, z)


# ---------------------------------------------------------------------------
# LU: lu, lu_factor, lu_solve
# ---------------------------------------------------------------------------


@overload
def lu(
    a: ArrayLike,
    permute_l: Literal[False] = ...,
    overwrite_a: bool = ...,
    check_finite: bool = ...,
    p_indices: bool = ...,
) -> tuple[Array, Array, Array]: ...
@overload
def lu(
    a: ArrayLike,
    permute_l: Literal[True],
    overwrite_a: bool = ...,
    check_finite: bool = ...,
    p_indices: bool = ...,
) -> tuple[Array, Array]: ...
@overload
def lu(
    a: ArrayLike,
    permute_l: bool = ...,
    overwrite_a: bool = ...,
    check_finite: bool = ...,
    p_indices: bool = ...,
) -> tuple[Array, Array] | tuple[Array, Array, Array]: ...
def lu(
    a: ArrayLike,
    permute_l: bool = False,
    overwrite_a: bool = False,
    check_finite: bool = True,
    p_indices: bool = False,
) -> tuple[Array, Array] | tuple[Array, Array, Array]:
    """LU decomposition with partial pivoting, as ``scipy.linalg.lu``:
    ``(p, l, u)`` with ``a = p @ l @ u``; with ``permute_l``, ``(p @ l, u)``;
    with ``p_indices``, ``p`` is the int32 row permutation with
    ``a = l[p] @ u``. ``a`` is (..., m, n); ``l`` (..., m, k) unit lower,
    ``u`` (..., k, n) upper, k = min(m, n).

    Differentiable in ``a`` (``p`` is piecewise constant, zero derivative)
    wherever the leading k x k block of ``p.T @ a`` has nonzero leading
    minors. The factors are LAPACK's (scipy's) when scipy is installed;
    without it, numpy elimination with the same pivot rule (the same
    factors, up to rounding and pivots that tie up to rounding).

    >>> import funcdiff as fd, numpy as np
    >>> from funcdiff.scipy.linalg import lu
    >>> p, l, u = lu(np.array([[1.0, 2.0], [4.0, 6.0]]))
    >>> p, l, u
    (array([[0., 1.],
           [1., 0.]]), array([[1.  , 0.  ],
           [0.25, 1.  ]]), array([[4. , 6. ],
           [0. , 0.5]]))
    >>> fd.grad(lambda a: lu(a)[2][1, 1])(np.array([[1.0, 2.0], [4.0, 6.0]]))
    array([[-1.5  ,  1.   ],
           [ 0.375, -0.25 ]])
    """
    (x,) = _floats("lu", a)
    _check_matrix("lu", x, square=False)
    _finite("lu", check_finite, x)
    p, low, up = _lu(x)
    if permute_l:
        return fnp.matmul(p, low), up
    if p_indices:
        return fnp.argmax(p, axis=-1).astype(np.int32), low, up
    return p, low, up


def _perm_to_piv(perm: Array, k: int) -> Array:
    """LAPACK's pivots (row i was swapped with row piv[i], in order) from the
    permutation ``perm`` with ``a[perm] = l @ u``."""
    m = fnp.shape(perm)[-1]
    ar = np.arange(m)
    rows = fnp.broadcast_to(ar, fnp.shape(perm))  # rows[pos] = original row now at pos
    piv = []
    for i in range(k):
        target = perm[..., i : i + 1]
        j = fnp.argmax(rows == target, axis=-1)[..., None]
        piv.append(j)
        rows = fnp.where(ar == i, target, fnp.where(ar == j, rows[..., i : i + 1], rows))
    if not piv:
        return np.zeros((*fnp.shape(perm)[:-1], 0), np.int32)
    return fnp.concatenate(piv, axis=-1).astype(np.int32)


def _piv_to_perm(piv: Array, m: int) -> Array:
    """The permutation ``perm`` with ``a[perm] = l @ u`` from LAPACK's pivots."""
    ar = np.arange(m)
    rows: Array = ar
    for i in range(fnp.shape(piv)[-1]):
        j = piv[i]
        ri, rj = rows[i], fnp.take(rows, j)
        rows = fnp.where(ar == i, rj, fnp.where(ar == j, ri, rows))
    return rows


def lu_factor(
    a: ArrayLike, overwrite_a: bool = False, check_finite: bool = True
) -> tuple[Array, Array]:
    """``(lu, piv)`` for ``lu_solve``, as ``scipy.linalg.lu_factor``: ``lu``
    holds ``u`` and the strict lower triangle of ``l`` in one (..., m, n)
    array, ``piv`` (int32, (..., k)) says row ``i`` was swapped with row
    ``piv[i]``. Differentiable in ``a`` through ``lu``.

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import lu_factor
    >>> lu_factor(np.array([[1.0, 2.0], [4.0, 6.0]]))
    (array([[4.  , 6.  ],
           [0.25, 0.5 ]]), array([1, 1], dtype=int32))
    """
    (x,) = _floats("lu_factor", a)
    shape = _check_matrix("lu_factor", x, square=False)
    _finite("lu_factor", check_finite, x)
    m, n = shape[-2:]
    k = min(m, n)
    p, low, up = _lu(x)
    nb = len(shape) - 2
    packed = fnp.pad(fnp.tril(low, -1), [(0, 0)] * nb + [(0, 0), (0, n - k)]) + fnp.pad(
        up, [(0, 0)] * nb + [(0, m - k), (0, 0)]
    )
    perm = fnp.argmax(p, axis=-2)  # a[perm] = l @ u
    return packed, _perm_to_piv(perm, k)


def lu_solve(
    lu_and_piv: tuple[Any, Any],
    b: ArrayLike,
    trans: int = 0,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Array:
    """Solve ``a @ x = b`` (``trans`` 0) or ``a.T @ x = b`` (1 or 2) from
    ``(lu, piv) = lu_factor(a)``, as ``scipy.linalg.lu_solve``: ``lu`` is
    (n, n), ``b`` (n,) or (n, k). Differentiable in ``lu`` and ``b``
    (triangular solves).

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import lu_factor, lu_solve
    >>> a = np.array([[1.0, 2.0], [4.0, 6.0]])
    >>> lu_solve(lu_factor(a), np.array([5.0, 16.0]))
    array([1., 2.])
    """
    if not isinstance(lu_and_piv, (tuple, list)) or len(lu_and_piv) != 2:
        raise TypeError(
            "lu_solve: the first argument must be the pair (lu, piv) from lu_factor, "
            f"got {type(lu_and_piv).__name__}"
        )
    if trans not in (0, 1, 2):
        raise ValueError(f"lu_solve: trans must be 0, 1 or 2, got {trans!r}")
    packed, piv = lu_and_piv
    c, rhs = _floats("lu_solve", packed, b)
    shape = _check_matrix("lu_solve", c, square=True, arg="lu")
    _finite("lu_solve", check_finite, c, rhs)
    n = shape[-1]
    sb = fnp.shape(rhs)
    if len(shape) != 2 or len(sb) not in (1, 2) or sb[0] != n or fnp.shape(piv) != (n,):
        raise ValueError(
            f"lu_solve: lu {shape}, piv {fnp.shape(piv)} and b {sb} do not fit: lu must be "
            f"(n, n), piv (n,) and b (n,) or (n, k) (use vmap for stacks)"
        )
    perm = _piv_to_perm(piv, n)
    col = fnp.reshape(rhs, (n, -1))

    def tri(x: Array, lower: bool, transpose: bool) -> Array:
        return la.triangular_solve(
            c, x, left_side=True, lower=lower, transpose_a=transpose, unit_diagonal=lower
        )

    if trans == 0:
        x = tri(tri(fnp.take(col, perm, axis=0), True, False), False, False)
    else:
        y = tri(tri(col, False, True), True, True)
        x = fnp.take(y, fnp.argsort(perm), axis=0)
    return fnp.reshape(x, sb)


# ---------------------------------------------------------------------------
# solvers: solve, solve_banded, inv, det, lstsq, pinv
# ---------------------------------------------------------------------------


def _sym_from(a: Array, lower: bool) -> Array:
    """The symmetric matrix that the ``lower`` (upper) triangle of ``a`` stands for."""
    if lower:
        return fnp.tril(a) + _mT(fnp.tril(a, -1))
    return fnp.triu(a) + _mT(fnp.triu(a, 1))


_ASSUME = {
    "gen": "gen",
    "general": "gen",
    "sym": "sym",
    "symmetric": "sym",
    "her": "sym",
    "hermitian": "sym",
    "pos": "pos",
    "positive definite": "pos",
    "diagonal": "diagonal",
    "tridiagonal": "tridiagonal",
    "banded": "gen",
    "upper triangular": "upper",
    "lower triangular": "lower",
}


def solve(
    a: ArrayLike,
    b: ArrayLike,
    lower: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    assume_a: str | None = None,
    transposed: bool = False,
) -> Array:
    """Solve ``a @ x = b`` (``a.T @ x = b`` when ``transposed``), as
    ``scipy.linalg.solve``.

    ``assume_a``: None/'gen' (LU), 'sym'/'her' (reads the ``lower`` (upper)
    triangle), 'pos' (Cholesky of that triangle), 'diagonal', 'tridiagonal'
    (reads only that band), 'banded' (all of ``a``), 'upper triangular' /
    'lower triangular'. As in scipy, an entry that is not read has a zero
    derivative. ``b`` is (n,) or (..., n, k) (batch axes broadcast). A
    singular ``a`` raises LinAlgError.

    >>> import funcdiff as fd, numpy as np
    >>> from funcdiff.scipy.linalg import solve
    >>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
    >>> solve(a, np.array([6.0, 7.0]), assume_a="pos")
    array([1., 1.])
    >>> fd.grad(lambda a: solve(a, np.array([6.0, 7.0]), assume_a="sym")[0])(a)
    array([[-0.3125, -0.1875],
           [ 0.    ,  0.125 ]])
    """
    kind = _ASSUME.get("gen" if assume_a is None else str(assume_a))
    if kind is None:
        raise ValueError(f"solve: unknown assume_a {assume_a!r} (use one of {sorted(_ASSUME)})")
    x, rhs = _floats("solve", a, b)
    _check_matrix("solve", x, square=True)
    _finite("solve", check_finite, x, rhs)
    if kind == "pos":
        return cho_solve((cholesky(x, lower=lower, check_finite=False), lower), rhs)
    if kind in ("upper", "lower"):
        return solve_triangular(
            x, rhs, trans=1 if transposed else 0, lower=kind == "lower", check_finite=False
        )
    if kind == "sym":
        x = _sym_from(x, lower)
    elif kind == "diagonal":
        x = x * np.eye(fnp.shape(x)[-1], dtype=bool)
    elif kind == "tridiagonal":
        n = fnp.shape(x)[-1]
        x = x * (np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= 1)
    if transposed and kind != "sym":
        x = _mT(x)
    return _with_rhs("solve", x, rhs, la.solve)


def solve_banded(
    l_and_u: tuple[int, int],
    ab: ArrayLike,
    b: ArrayLike,
    overwrite_ab: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Array:
    """Solve ``a @ x = b`` for a banded ``a`` given in scipy's band storage,
    as ``scipy.linalg.solve_banded``: ``ab[u + i - j, j] = a[i, j]`` for the
    ``l`` sub- and ``u`` super-diagonals, ``ab`` of shape (l + u + 1, n);
    ``b`` (n,) or (n, k).

    The band is expanded into the dense matrix and solved by LU (O(n^3), not
    scipy's O(n (l + u)^2)); differentiable in ``ab`` (its unused corners
    get zero) and ``b``.

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import solve_banded
    >>> ab = np.array([[0.0, 1.0, 1.0], [4.0, 4.0, 4.0], [1.0, 1.0, 0.0]])  # tridiagonal
    >>> solve_banded((1, 1), ab, np.array([5.0, 6.0, 5.0]))
    array([1., 1., 1.])
    """
    try:
        nl, nu = (int(v) for v in l_and_u)
    except (TypeError, ValueError):
        raise ValueError(
            f"solve_banded: l_and_u must be a pair of ints (l, u), got {l_and_u!r}"
        ) from None
    x, rhs = _floats("solve_banded", ab, b)
    shape = fnp.shape(x)
    if len(shape) != 2 or nl < 0 or nu < 0 or shape[0] != nl + nu + 1:
        raise ValueError(
            f"solve_banded: ab has shape {shape}; with (l, u) = ({nl}, {nu}) it must be "
            f"({nl + nu + 1}, n)"
        )
    _finite("solve_banded", check_finite, x, rhs)
    n = shape[1]
    i, j = np.indices((n, n))
    band = (i - j <= nl) & (j - i <= nu)
    rows = np.where(band, nu + i - j, 0)
    dense = fnp.where(band, x[rows, j], 0.0)
    return _with_rhs("solve_banded", dense, rhs, la.solve)


def inv(a: ArrayLike, overwrite_a: bool = False, check_finite: bool = True) -> Array:
    """Inverse of square matrices (..., n, n), as ``scipy.linalg.inv``
    (``numpy.linalg.inv``'s rules: ``d inv = -inv da inv``). Singular:
    LinAlgError.

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import inv
    >>> inv(np.array([[2.0, 0.0], [0.0, 4.0]]))
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    return fnp.linalg.inv(_square("inv", a, check_finite))


def det(a: ArrayLike, overwrite_a: bool = False, check_finite: bool = True) -> Array:
    """Determinant of square matrices (..., n, n), as ``scipy.linalg.det``
    (``numpy.linalg.det``: derivatives of every order, also at singular
    matrices).

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import det
    >>> print(f"{float(det(np.array([[1.0, 2.0], [3.0, 4.0]]))):.6f}")
    -2.000000
    """
    return fnp.linalg.det(_square("det", a, check_finite))


def lstsq(
    a: ArrayLike,
    b: ArrayLike,
    cond: float | None = None,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    lapack_driver: str | None = None,
) -> tuple[Array, Array, Any, Array]:
    """Least-squares solution of ``a @ x = b``, as ``scipy.linalg.lstsq``:
    ``(x, residues, rank, s)``. Singular values ``<= cond * max(s)`` count
    as zero (default: machine epsilon, scipy's). ``residues`` is the squared
    norm of ``b - a x`` (per column; a scalar for 1-D ``b``) when m > n and
    ``a`` has full rank, else an empty array. ``lapack_driver`` is accepted
    and ignored (pseudo-inverse through the SVD). Differentiable in ``a``
    and ``b`` (``numpy.linalg.lstsq``'s rules).

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import lstsq
    >>> x, res, rank, s = lstsq(np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]),
    ...                         np.array([1.0, 2.0, 4.0]))
    >>> x.round(6), float(res.round(6)), int(rank)
    (array([0.833333, 1.5     ]), 0.166667, 2)
    """
    if lapack_driver not in (None, "gelsd", "gelsy", "gelss"):
        raise ValueError(f"lstsq: lapack_driver {lapack_driver!r} is not one of scipy's")
    x, rhs = _floats("lstsq", a, b)
    _finite("lstsq", check_finite, x, rhs)
    sol, resid, rank, s = fnp.linalg.lstsq(x, rhs, rcond=-1.0 if cond is None else cond)
    if fnp.ndim(rhs) == 1 and fnp.size(resid) == 1:
        resid = fnp.reshape(resid, ())
    return sol, resid, rank, s


@overload
def pinv(
    a: ArrayLike,
    *,
    atol: float | None = ...,
    rtol: float | None = ...,
    return_rank: Literal[False] = ...,
    check_finite: bool = ...,
) -> Array: ...
@overload
def pinv(
    a: ArrayLike,
    *,
    atol: float | None = ...,
    rtol: float | None = ...,
    return_rank: Literal[True],
    check_finite: bool = ...,
) -> tuple[Array, Array]: ...
def pinv(
    a: ArrayLike,
    *,
    atol: float | None = None,
    rtol: float | None = None,
    return_rank: bool = False,
    check_finite: bool = True,
) -> Array | tuple[Array, Array]:
    """Moore-Penrose pseudo-inverse, as ``scipy.linalg.pinv``: singular
    values ``<= atol + rtol * max(s)`` are dropped (``atol`` 0 and ``rtol``
    ``max(m, n) * eps`` by default); ``return_rank`` adds the rank.
    Differentiable (``numpy.linalg.pinv``'s rule, exact while the rank is
    constant). A nonzero ``atol`` needs a concrete ``a`` (not traced).

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import pinv
    >>> pinv(np.array([[1.0], [2.0]]))
    array([[0.2, 0.4]])
    """
    (x,) = _floats("pinv", a)
    shape = _check_matrix("pinv", x, square=False)
    _finite("pinv", check_finite, x)
    dt = fnp.result_type(x)
    atol_ = 0.0 if atol is None else float(atol)
    rtol_ = max(shape[-2:]) * float(np.finfo(dt).eps) if rtol is None else float(rtol)
    if atol_ < 0.0 or rtol_ < 0.0:
        raise ValueError("pinv: atol and rtol values must be positive")
    rcond = rtol_
    if atol_ > 0.0:
        if isinstance(x, Tracer) or len(shape) != 2:
            raise NotImplementedError(
                "pinv: a nonzero atol needs one concrete (not traced) matrix; pass rtol "
                "(a relative cutoff) to differentiate or transform"
            )
        smax = float(np.max(np.linalg.svd(np.asarray(x), compute_uv=False), initial=0.0))
        rcond = (atol_ + rtol_ * smax) / smax if smax > 0.0 else 0.0
    out = fnp.linalg.pinv(x, rtol=rcond)
    if not return_rank:
        return out
    s = fnp.linalg.svd(x, compute_uv=False)
    smax_t = fnp.max(s, axis=-1, keepdims=True, initial=0.0)
    rank = fnp.sum(s > atol_ + rtol_ * smax_t, axis=-1)
    return out, rank


# ---------------------------------------------------------------------------
# decompositions: eigh, eigvalsh, svd, qr, polar; norm
# ---------------------------------------------------------------------------


@overload
def eigh(
    a: ArrayLike,
    b: ArrayLike | None = ...,
    *,
    eigvals_only: Literal[False] = ...,
    lower: bool = ...,
    overwrite_a: bool = ...,
    overwrite_b: bool = ...,
    type: int = ...,
    check_finite: bool = ...,
    subset_by_index: Sequence[int] | None = ...,
    subset_by_value: Sequence[float] | None = ...,
    driver: str | None = ...,
) -> tuple[Array, Array]: ...
@overload
def eigh(
    a: ArrayLike,
    b: ArrayLike | None = ...,
    *,
    eigvals_only: Literal[True],
    lower: bool = ...,
    overwrite_a: bool = ...,
    overwrite_b: bool = ...,
    type: int = ...,
    check_finite: bool = ...,
    subset_by_index: Sequence[int] | None = ...,
    subset_by_value: Sequence[float] | None = ...,
    driver: str | None = ...,
) -> Array: ...
@overload
def eigh(
    a: ArrayLike,
    b: ArrayLike | None = ...,
    *,
    eigvals_only: bool = ...,
    lower: bool = ...,
    overwrite_a: bool = ...,
    overwrite_b: bool = ...,
    type: int = ...,
    check_finite: bool = ...,
    subset_by_index: Sequence[int] | None = ...,
    subset_by_value: Sequence[float] | None = ...,
    driver: str | None = ...,
) -> Array | tuple[Array, Array]: ...
def eigh(
    a: ArrayLike,
    b: ArrayLike | None = None,
    *,
    lower: bool = True,
    eigvals_only: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    type: int = 1,  # noqa: A002
    check_finite: bool = True,
    subset_by_index: Sequence[int] | None = None,
    subset_by_value: Sequence[float] | None = None,
    driver: str | None = None,
) -> Array | tuple[Array, Array]:
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, as
    ``scipy.linalg.eigh``; only the ``lower`` (upper) triangle of ``a`` (and
    of ``b``) is read.

    With ``b`` (symmetric positive definite), the generalized problem of
    ``type`` 1 (``a v = w b v``), 2 (``a b v = w v``) or 3 (``b a v = w v``),
    reduced with the Cholesky factor of ``b``; eigenvectors are normalized as
    scipy's (``v.T b v = I``, or ``v.T b^-1 v = I`` for type 3).
    ``subset_by_index=(lo, hi)`` keeps eigenvalues lo..hi (inclusive).
    ``subset_by_value`` (a data-dependent size) is not supported;
    ``driver`` is accepted and ignored. Derivatives as
    ``numpy.linalg.eigh`` (repeated eigenvalues: eigenvector derivatives
    are inf/NaN).

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import eigh
    >>> eigh(np.array([[2.0, 1.0], [1.0, 2.0]]), eigvals_only=True)
    array([1., 3.])
    >>> eigh(np.diag([2.0, 8.0]), np.diag([1.0, 4.0]), eigvals_only=True)
    array([2., 2.])
    """
    if subset_by_value is not None:
        raise NotImplementedError(
            "eigh: subset_by_value gives a data-dependent number of eigenvalues; use "
            "subset_by_index or select from all eigenvalues"
        )
    if type not in (1, 2, 3):
        raise ValueError(f"eigh: type must be 1, 2 or 3, got {type!r}")
    (x,) = _floats("eigh", a)
    _check_matrix("eigh", x, square=True)
    _finite("eigh", check_finite, x)
    if b is None:
        w, v = la.eigh(x, lower=bool(lower))
    else:
        x, y = _floats("eigh", x, b)
        _check_matrix("eigh", y, square=True, arg="b")
        _finite("eigh", check_finite, y)
        if fnp.shape(y)[-1] != fnp.shape(x)[-1]:
            raise ValueError(f"eigh: a {fnp.shape(x)} and b {fnp.shape(y)} differ in size")
        c = cholesky(y, lower=True) if lower else _mT(cholesky(y, lower=False))
        sym = _sym_from(x, bool(lower))
        if type == 1:  # L^-1 A L^-T y = w y, v = L^-T y
            m = solve_triangular(c, _mT(solve_triangular(c, sym, lower=True)), lower=True)
        else:  # L^T A L y = w y; v = L^-T y (type 2) or L y (type 3)
            m = fnp.matmul(_mT(c), fnp.matmul(sym, c))
        w, y_ = la.eigh(m, lower=True)
        if type == 3:
            v = fnp.matmul(c, y_)
        else:
            v = solve_triangular(c, y_, trans=1, lower=True)
    if subset_by_index is not None:
        lo, hi = (int(i) for i in subset_by_index)
        n = fnp.shape(w)[-1]
        if not 0 <= lo <= hi < n:
            raise ValueError(f"eigh: subset_by_index {subset_by_index!r} out of range for n={n}")
        w, v = w[..., lo : hi + 1], v[..., lo : hi + 1]
    return w if eigvals_only else (w, v)


def eigvalsh(
    a: ArrayLike,
    b: ArrayLike | None = None,
    *,
    lower: bool = True,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    type: int = 1,  # noqa: A002
    check_finite: bool = True,
    subset_by_index: Sequence[int] | None = None,
    subset_by_value: Sequence[float] | None = None,
    driver: str | None = None,
) -> Array:
    """Eigenvalues (ascending) of a symmetric (generalized) problem, as
    ``scipy.linalg.eigvalsh``: ``eigh(..., eigvals_only=True)``.

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import eigvalsh
    >>> eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    array([1., 3.])
    """
    out = eigh(
        a,
        b,
        lower=lower,
        eigvals_only=True,
        type=type,
        check_finite=check_finite,
        subset_by_index=subset_by_index,
        subset_by_value=subset_by_value,
        driver=driver,
    )
    return out


@overload
def svd(
    a: ArrayLike,
    full_matrices: bool = ...,
    compute_uv: Literal[True] = ...,
    overwrite_a: bool = ...,
    check_finite: bool = ...,
    lapack_driver: str = ...,
) -> tuple[Array, Array, Array]: ...
@overload
def svd(
    a: ArrayLike,
    full_matrices: bool = ...,
    *,
    compute_uv: Literal[False],
    overwrite_a: bool = ...,
    check_finite: bool = ...,
    lapack_driver: str = ...,
) -> Array: ...
@overload
def svd(
    a: ArrayLike,
    full_matrices: bool,
    compute_uv: Literal[False],
    overwrite_a: bool = ...,
    check_finite: bool = ...,
    lapack_driver: str = ...,
) -> Array: ...
def svd(
    a: ArrayLike,
    full_matrices: bool = True,
    compute_uv: bool = True,
    overwrite_a: bool = False,
    check_finite: bool = True,
    lapack_driver: str = "gesdd",
) -> Array | tuple[Array, Array, Array]:
    """Singular value decomposition ``a = U @ diag(s) @ Vh``, as
    ``scipy.linalg.svd`` (``numpy.linalg.svd``'s rules; ``lapack_driver``
    is accepted and ignored).

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import svd
    >>> svd(np.diag([1.0, 4.0]), compute_uv=False)
    array([4., 1.])
    """
    if lapack_driver not in ("gesdd", "gesvd"):
        raise ValueError(f"svd: lapack_driver must be 'gesdd' or 'gesvd', got {lapack_driver!r}")
    (x,) = _floats("svd", a)
    _finite("svd", check_finite, x)
    if not compute_uv:
        return fnp.linalg.svd(x, compute_uv=False)
    u, s, vh = fnp.linalg.svd(x, full_matrices=full_matrices)
    return u, s, vh


def qr(
    a: ArrayLike,
    overwrite_a: bool = False,
    lwork: int | None = None,
    mode: str = "full",
    pivoting: bool = False,
    check_finite: bool = True,
) -> tuple[Array, ...]:
    """QR decomposition, as ``scipy.linalg.qr``: ``(Q, R)`` for mode 'full'
    (Q (m, m), R (m, n)) or 'economic' (Q (m, k), R (k, n), k = min(m, n));
    ``(R,)`` for mode 'r' (R (m, n)). 'full' for a tall matrix (the extra
    columns of Q are not unique), 'raw' and ``pivoting`` are not supported.
    Differentiable with ``numpy.linalg.qr``'s rules (``a`` of full rank).

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import qr
    >>> q, r = qr(np.array([[3.0, 1.0], [4.0, 2.0]]))
    >>> np.allclose(q @ r, [[3.0, 1.0], [4.0, 2.0]]), abs(float(r[0, 0]))
    (True, 5.0)
    """
    if mode not in ("full", "economic", "r", "raw"):
        raise ValueError(f"qr: mode must be 'full', 'r', 'economic' or 'raw', got {mode!r}")
    if mode == "raw" or pivoting:
        raise NotImplementedError("qr: mode='raw' and pivoting=True are not supported")
    (x,) = _floats("qr", a)
    shape = _check_matrix("qr", x, square=False)
    _finite("qr", check_finite, x)
    m, n = shape[-2:]
    if mode == "full" and m > n:
        raise NotImplementedError(
            f"qr: mode='full' for a tall matrix {shape} is not supported (the extra columns "
            "of Q are not unique, so they have no derivative); use mode='economic'"
        )
    q, r = fnp.linalg.qr(x)
    if mode == "r":
        if m > n:
            r = fnp.pad(r, [(0, 0)] * (len(shape) - 2) + [(0, m - n), (0, 0)])
        return (r,)
    return q, r


def _polar_svd(a: Array, side: str) -> tuple[Array, Array]:
    w, s, vh = fnp.linalg.svd(a, full_matrices=False)
    u = fnp.matmul(w, vh)
    if side == "right":
        return u, fnp.matmul(_mT(vh) * s[..., None, :], vh)
    return u, fnp.matmul(w * s[..., None, :], _mT(w))


def _polar_tall(a: Array) -> tuple[Array, Array]:
    """Right polar decomposition of a tall (or square) matrix: the values from
    the SVD, the derivatives (of every order) from the same factors written
    as ``p = sqrtm(a^T a)``, ``u = a p^-1``, which stay smooth where singular
    values repeat (the SVD's vectors do not)."""
    if not isinstance(a, Tracer):
        return _polar_svd(a, "right")
    stop = ew.stop_gradient
    u, p = _polar_svd(stop(a), "right")
    pc = _sqrtm(fnp.matmul(_mT(a), a))
    uc = _mT(fnp.linalg.solve(pc, _mT(a)))
    return u + (uc - stop(uc)), p + (pc - stop(pc))


def polar(a: ArrayLike, side: str = "right") -> tuple[Array, Array]:
    """Polar decomposition, as ``scipy.linalg.polar``: ``(u, p)`` with
    ``a = u @ p`` (``side='right'``) or ``a = p @ u`` ('left'), ``u`` with
    orthonormal columns (rows) and ``p`` symmetric positive semidefinite.

    Computed from the SVD. For ``side='right'`` with m >= n (and 'left'
    with m <= n) the derivatives are those of ``p = sqrtm(a.T @ a)``,
    ``u = a @ inv(p)`` (a Sylvester solve with ``p``; needs scipy): smooth
    wherever ``a`` has full rank, also at repeated singular values (the
    identity); the other two cases differentiate through the SVD's vectors
    (inf/NaN at repeated singular values).

    >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
    >>> from funcdiff.scipy.linalg import polar
    >>> u, p = polar(np.array([[0.0, 2.0], [3.0, 0.0]]))
    >>> u.round(12) + 0.0, p.round(12) + 0.0
    (array([[0., 1.],
           [1., 0.]]), array([[3., 0.],
           [0., 2.]]))
    >>> fd.grad(lambda a: polar(a)[0][0, 1])(np.eye(2))
    array([[ 0. ,  0.5],
           [-0.5,  0. ]])
    """
    if side not in ("right", "left"):
        raise ValueError(f"polar: side must be 'right' or 'left', got {side!r}")
    (x,) = _floats("polar", a)
    shape = tuple(fnp.shape(x))
    if len(shape) != 2:
        raise ValueError(f"polar: a must be a 2-D array, got shape {shape}")
    m, n = shape
    if side == "right" and m >= n:
        return _polar_tall(x)
    if side == "left" and m <= n:
        ut, p = _polar_tall(_mT(x))
        return _mT(ut), p
    return _polar_svd(x, side)


def norm(
    a: ArrayLike,
    ord: float | str | None = None,  # noqa: A002
    axis: Any = None,
    keepdims: bool = False,
    check_finite: bool = True,
) -> Array:
    """Vector or matrix norm, as ``scipy.linalg.norm`` (``numpy.linalg.norm``'s
    orders and derivatives).

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import norm
    >>> float(norm(np.array([3.0, 4.0])))
    5.0
    """
    x = _floats("norm", a)[0] if fnp.result_type(a).kind != "c" else a
    _finite("norm", check_finite, x)
    return fnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


# ---------------------------------------------------------------------------
# special matrices: block_diag, toeplitz, hilbert
# ---------------------------------------------------------------------------


def block_diag(*arrs: ArrayLike) -> Array:
    """The block-diagonal matrix of the given blocks, as
    ``scipy.linalg.block_diag`` (1-D blocks are rows, 0-d ones 1 x 1;
    ``block_diag()`` is an empty (1, 0) array). Differentiable in every block.

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import block_diag
    >>> block_diag(np.array([[1.0, 2.0]]), 3.0)
    array([[1., 2., 0.],
           [0., 0., 3.]])
    """
    if not arrs:
        return np.empty((1, 0))
    blocks = [fnp.atleast_2d(fnp.asarray(x)) for x in arrs]
    for i, blk in enumerate(blocks):
        if fnp.ndim(blk) > 2:
            raise ValueError(
                f"block_diag: arguments must have 2 or fewer dimensions; argument {i} has "
                f"shape {fnp.shape(blk)}"
            )
    dt = np.result_type(*[fnp.result_type(blk) for blk in blocks])
    total = sum(fnp.shape(blk)[1] for blk in blocks)
    bands = []
    col = 0
    for blk in blocks:
        c = fnp.shape(blk)[1]
        bands.append(fnp.pad(fnp.asarray(blk, dtype=dt), [(0, 0), (col, total - col - c)]))
        col += c
    return fnp.concatenate(bands, axis=0)


def toeplitz(c: ArrayLike, r: ArrayLike | None = None) -> Array:
    """Toeplitz matrix with first column ``c`` and first row ``r`` (``r[0]``
    is ignored; default ``r = c``), as ``scipy.linalg.toeplitz``; ``c`` and
    ``r`` are flattened. Differentiable in ``c`` and ``r``.

    >>> import numpy as np
    >>> from funcdiff.scipy.linalg import toeplitz
    >>> toeplitz(np.array([1.0, 2.0, 3.0]), np.array([1.0, 4.0]))
    array([[1., 4.],
           [2., 1.],
           [3., 2.]])
    """
    col = fnp.ravel(fnp.asarray(c))
    row = col if r is None else fnp.ravel(fnp.asarray(r))
    if fnp.result_type(col).kind == "c" or fnp.result_type(row).kind == "c":
        if r is None:
            row = fnp.conj(col)
    nc, nr = fnp.shape(col)[0], fnp.shape(row)[0]
    vals = fnp.concatenate([col[::-1], row[1:]])
    i, j = np.indices((nc, nr))
    return fnp.take(vals, nc - 1 - i + j)


def hilbert(n: int) -> np.ndarray:
    """The n x n Hilbert matrix ``h[i, j] = 1 / (i + j + 1)``, as
    ``scipy.linalg.hilbert`` (a float64 constant).

    >>> from funcdiff.scipy.linalg import hilbert
    >>> hilbert(2)
    array([[1.        , 0.5       ],
           [0.5       , 0.33333333]])
    """
    i = np.arange(int(n))
    out: np.ndarray = 1.0 / (i[:, None] + i[None, :] + 1.0)
    return out

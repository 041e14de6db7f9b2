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

from typing import Any

import numpy as np

from funcdiff.core.trace import Tracer
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array
from funcdiff.numpy.linalg import _check_matrix, _floats, _mT, _with_rhs
from funcdiff.primitives import linalg as la

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

"""Polynomials (numpy's highest-power-first coefficient convention),
convolution and correlation, composed from ``funcdiff.numpy`` functions.

Everything here is differentiable in the coefficients and the points; the
shapes depend only on the input shapes, so it all traces. ``roots`` (and
``poly`` of a matrix) would need eigenvalues, for which there is no
primitive yet.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from funcdiff.api_util import concrete_or_none
from funcdiff.core.typing import ArrayLike
from funcdiff.errors import DTypeError
from funcdiff.numpy._core import Array, asarray_arg, dtype_of, promote, promote_float, shape_of
from funcdiff.numpy._shape import concatenate, ravel, stack
from funcdiff.numpy._ufuncs import conj
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import shape as sh


def _coeffs(name: str, p: Any) -> Array:
    x = asarray_arg(p)
    if len(shape_of(x)) == 0:
        x = sh.reshape(x, (1,))
    if len(shape_of(x)) != 1:
        raise ValueError(f"{name}: polynomial coefficients must be 1-D, got shape {shape_of(x)}")
    return x


def _pad_front(x: Array, n: int) -> Array:
    k = shape_of(x)[0]
    return x if k >= n else ix.pad(x, dtype_of(x).type(0), ((n - k, 0, 0),))


def polyval(p: ArrayLike, x: ArrayLike) -> Array:
    """Evaluate the polynomial with coefficients ``p`` (highest power first)
    at ``x``, by Horner's rule.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.polyval(np.array([1.0, 0.0, -2.0]), np.array([0.0, 2.0]))
    array([-2.,  2.])
    """
    pv = asarray_arg(p)
    xv = asarray_arg(x)
    pv, xv = promote(pv, xv)
    n = shape_of(pv)[0] if len(shape_of(pv)) else 1
    out: Any = ew.mul(xv, dtype_of(xv).type(0))
    for i in range(n):
        out = ew.add(ew.mul(out, xv), pv[i])
    return out


def polyadd(a1: ArrayLike, a2: ArrayLike) -> Array:
    """Sum of two polynomials.

    >>> import funcdiff.numpy as fnp
    >>> fnp.polyadd([1.0, 2.0], [1.0, 0.0, 0.0])
    array([1., 2., 2.])
    """
    x, y = promote(_coeffs("polyadd", a1), _coeffs("polyadd", a2))
    n = max(shape_of(x)[0], shape_of(y)[0])
    return ew.add(_pad_front(x, n), _pad_front(y, n))


def polysub(a1: ArrayLike, a2: ArrayLike) -> Array:
    """Difference of two polynomials.

    >>> import funcdiff.numpy as fnp
    >>> fnp.polysub([1.0, 2.0], [1.0, 0.0, 0.0])
    array([-1.,  1.,  2.])
    """
    x, y = promote(_coeffs("polysub", a1), _coeffs("polysub", a2))
    n = max(shape_of(x)[0], shape_of(y)[0])
    return ew.sub(_pad_front(x, n), _pad_front(y, n))


def _full_conv(a: Array, v: Array) -> Array:
    """``out[k] = sum_j a[k - j] v[j]`` for ``k < len(a) + len(v) - 1``, as
    one gather of ``a`` (zero-padded) and a contraction with ``v``."""
    n, m = shape_of(a)[0], shape_of(v)[0]
    ap = ix.pad(a, dtype_of(a).type(0), ((m - 1, m - 1, 0),))
    idx = np.arange(n + m - 1)[:, None] + np.arange(m)[None, :]
    win = ix.gather(ap, idx, 0)  # (n + m - 1, m): ap[k + j]
    return sh.reduce_sum(ew.mul(win, ix.rev(v, (0,))), (1,))


def convolve(a: ArrayLike, v: ArrayLike, mode: str = "full") -> Array:
    """Discrete linear convolution of two 1-D arrays, mode 'full', 'same'
    (length ``max(M, N)``) or 'valid' (length ``max(M, N) - min(M, N) + 1``).

    >>> import funcdiff.numpy as fnp
    >>> fnp.convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])
    """
    return _conv("convolve", a, v, mode, False)


def correlate(a: ArrayLike, v: ArrayLike, mode: str = "valid") -> Array:
    """Cross-correlation ``c[k] = sum_n a[n + k] conj(v[n])`` of two 1-D
    arrays, modes as in ``convolve`` (default 'valid').

    >>> import funcdiff.numpy as fnp
    >>> fnp.correlate([1.0, 2.0, 3.0], [0.0, 1.0, 0.5])
    array([3.5])
    """
    return _conv("correlate", a, v, mode, True)


def _conv(name: str, a: Any, v: Any, mode: str, corr: bool) -> Array:
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"{name}: mode must be 'full', 'same' or 'valid', got {mode!r}")
    x, y = asarray_arg(a), asarray_arg(v)
    if len(shape_of(x)) != 1 or len(shape_of(y)) != 1:
        raise ValueError(f"{name}: a and v must be 1-D, got shapes {shape_of(x)} and {shape_of(y)}")
    x, y = promote(x, y)
    if dtype_of(x) == np.bool_:
        x, y = ew.convert(x, np.int64), ew.convert(y, np.int64)
    n, m = shape_of(x)[0], shape_of(y)[0]
    if n == 0 or m == 0:
        raise ValueError(f"{name}: inputs cannot be empty")
    if corr and m > n:
        # numpy correlates the other way round and reverses (and conjugates)
        out = ix.rev(_conv(name, y, x, mode, True), (0,))
        return conj(out) if dtype_of(out).kind == "c" else out
    if corr:
        y = ix.rev(conj(y) if dtype_of(y).kind == "c" else y, (0,))
    if shape_of(y)[0] > shape_of(x)[0]:
        x, y = y, x
    n, m = shape_of(x)[0], shape_of(y)[0]
    full = _full_conv(x, y)
    if mode == "full":
        out = full
    elif mode == "same":
        start = (m - 1) // 2
        out = ix.slice_axis(full, start, start + n, 0)
    else:
        out = ix.slice_axis(full, m - 1, n, 0)
    return out


def polymul(a1: ArrayLike, a2: ArrayLike) -> Array:
    """Product of two polynomials (the convolution of their coefficients).

    >>> import funcdiff.numpy as fnp
    >>> fnp.polymul([1.0, 1.0], [1.0, -1.0])
    array([ 1.,  0., -1.])
    """
    return convolve(_coeffs("polymul", a1), _coeffs("polymul", a2))


def polydiv(u: ArrayLike, v: ArrayLike, *, trim_leading_zeros: bool = False) -> tuple[Array, Array]:
    """Quotient and remainder of polynomial division (long division, shapes
    fixed by the input shapes so that it traces: the remainder has
    ``len(u)`` coefficients unless ``trim_leading_zeros``, which needs
    concrete values and then drops leading near-zeros as numpy does).

    >>> import funcdiff.numpy as fnp
    >>> q, r = fnp.polydiv([1.0, 0.0, -1.0], [1.0, 1.0], trim_leading_zeros=True)
    >>> q, r
    (array([ 1., -1.]), array([0.]))
    """
    uu, vv = promote_float(_coeffs("polydiv", u), _coeffs("polydiv", v))
    n, m = shape_of(uu)[0], shape_of(vv)[0]
    scale = ew.div(1.0, vv[0])
    r = uu
    qs = []
    for k in range(max(n - m + 1, 0)):
        c = ew.mul(r[k], scale)
        qs.append(c)
        r = ew.sub(r, ix.pad(ew.mul(c, vv), dtype_of(r).type(0), ((k, n - m - k, 0),)))
    q = stack(qs) if qs else ew.convert(np.zeros(1), dtype_of(uu))
    if trim_leading_zeros:
        rc = concrete_or_none(r)
        if rc is None:
            raise ValueError("polydiv: trim_leading_zeros needs concrete values (not under jit)")
        k = 0
        while k < n - 1 and np.allclose(rc[k], 0, rtol=1e-14):
            k += 1
        r = r[k:]
    return q, r


def polyder(p: ArrayLike, m: int = 1) -> Array:
    """The ``m``-th derivative of a polynomial.

    >>> import funcdiff.numpy as fnp
    >>> fnp.polyder([1.0, 1.0, 1.0, 1.0])
    array([3., 2., 1.])
    """
    if m < 0:
        raise ValueError("polyder: order of derivative must be positive (see polyint)")
    x = _coeffs("polyder", p)
    if dtype_of(x).kind in "b":
        x = ew.convert(x, np.int64)
    for _ in range(m):
        n = shape_of(x)[0]
        if n <= 1:
            return ew.convert(np.zeros(1), dtype_of(x))
        powers = np.arange(n - 1, 0, -1).astype(dtype_of(x))
        x = ew.mul(ix.slice_axis(x, 0, n - 1, 0), powers)
    return x


def polyint(p: ArrayLike, m: int = 1, k: ArrayLike | None = None) -> Array:
    """The ``m``-th antiderivative of a polynomial, with integration
    constants ``k`` (a scalar or ``m`` values; default 0).

    >>> import funcdiff.numpy as fnp
    >>> fnp.polyint([3.0, 2.0, 1.0])
    array([1., 1., 1., 0.])
    """
    if m < 0:
        raise ValueError("polyint: order of integral must be positive (see polyder)")
    x = _coeffs("polyint", p)
    (x,) = promote_float(x)
    if k is None:
        ks: Any = ew.convert(np.zeros(m), dtype_of(x))
    else:
        ks = ravel(asarray_arg(k))
        if shape_of(ks)[0] == 1 and m > 1:
            ks = sh.broadcast_to(ks, (m,))
        if shape_of(ks)[0] != m:
            raise ValueError("polyint: k must be a scalar or a rank-1 array of length m")
        x, ks = promote(x, ks)
    for i in range(m):
        n = shape_of(x)[0]
        div = np.arange(n, 0, -1).astype(ew.real_dtype(dtype_of(x)))
        x = concatenate([ew.div(x, div), sh.reshape(ks[i], (1,))])
    return x


def poly(seq_of_zeros: ArrayLike) -> Array:
    """Coefficients of the monic polynomial with the given roots (1-D).
    Complex roots in conjugate pairs give a real result, as in numpy
    (checked on concrete values). A square matrix (its characteristic
    polynomial) needs eigenvalues and is not supported.

    >>> import funcdiff.numpy as fnp
    >>> fnp.poly([1.0, -1.0])
    array([ 1.,  0., -1.])
    """
    z = asarray_arg(seq_of_zeros)
    shp = shape_of(z)
    if len(shp) == 2 and shp[0] == shp[1] and shp[0] != 0:
        raise NotImplementedError(
            "poly: the characteristic polynomial of a matrix needs eigenvalues, which "
            "funcdiff.numpy does not have; pass the roots instead"
        )
    if len(shp) == 0:
        z = sh.reshape(z, (1,))
    elif len(shp) != 1:
        raise ValueError("poly: input must be 1-D or a non-empty square 2-D array")
    (z,) = promote_float(z)
    dt = dtype_of(z)
    out: Any = ew.convert(np.ones(1), dt)
    for i in range(shape_of(z)[0]):
        out = convolve(out, stack([dt.type(1), ew.neg(z[i])]))
    if dt.kind == "c":
        zc = concrete_or_none(z)
        if zc is not None:
            pos = np.sort_complex(zc[zc.imag > 0])
            neg = np.sort_complex(np.conjugate(zc[zc.imag < 0]))
            if len(pos) == len(neg) and np.all(pos == neg):
                out = ew.real(out)
    return out


def vander(x: ArrayLike, N: int | None = None, increasing: bool = False) -> Array:
    """Vandermonde matrix: columns ``x**(N-1), ..., x, 1`` (reversed with
    ``increasing``).

    >>> import funcdiff.numpy as fnp
    >>> fnp.vander([1.0, 2.0, 3.0], 3)
    array([[1., 1., 1.],
           [4., 2., 1.],
           [9., 3., 1.]])
    """
    xv = asarray_arg(x)
    if len(shape_of(xv)) != 1:
        raise ValueError(f"vander: x must be a one-dimensional array, got shape {shape_of(xv)}")
    if dtype_of(xv) == np.bool_:
        xv = ew.convert(xv, np.int64)
    n = shape_of(xv)[0] if N is None else int(N)
    if n < 0:
        raise ValueError("vander: N must be non-negative")
    cols: list[Any] = []
    cur: Any = ew.convert(np.ones(shape_of(xv)), dtype_of(xv))
    for _ in range(n):
        cols.append(cur)
        cur = ew.mul(cur, xv)
    if not cols:
        return ew.convert(np.zeros((shape_of(xv)[0], 0)), dtype_of(xv))
    if not increasing:
        cols = cols[::-1]
    return stack(cols, axis=1)


def polyfit(
    x: ArrayLike,
    y: ArrayLike,
    deg: int,
    rcond: float | None = None,
    full: bool = False,
    w: ArrayLike | None = None,
    cov: bool = False,
) -> Any:
    """Least-squares polynomial fit of degree ``deg`` (highest power first),
    solved by ``linalg.lstsq`` on the column-scaled Vandermonde matrix, so
    the coefficients are differentiable in ``x``, ``y`` and ``w``. ``y`` may
    be 2-D (one fit per column). ``full=True`` also returns residuals, rank,
    singular values and rcond; ``cov`` is not supported.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> np.round(fnp.polyfit([0.0, 1.0, 2.0], [1.0, 3.0, 5.0], 1), 6)
    array([2., 1.])
    """
    from funcdiff.numpy import linalg

    if cov:
        raise NotImplementedError("polyfit: cov=True is not supported")
    deg = int(deg)
    if deg < 0:
        raise ValueError("polyfit: expected deg >= 0")
    xv, yv = promote_float(x, y)
    if dtype_of(xv).kind == "c":
        raise DTypeError("polyfit: complex input is not supported")
    if len(shape_of(xv)) != 1 or shape_of(xv)[0] == 0:
        raise TypeError("polyfit: expected a non-empty 1-D vector for x")
    if len(shape_of(yv)) not in (1, 2) or shape_of(yv)[0] != shape_of(xv)[0]:
        raise TypeError("polyfit: expected y 1-D or 2-D with len(x) rows")
    n = shape_of(xv)[0]
    if rcond is None:
        rcond = n * float(np.finfo(dtype_of(xv)).eps)
    lhs = vander(xv, deg + 1)
    rhs = yv
    if w is not None:
        wv = ew.convert(asarray_arg(w), dtype_of(xv))
        if shape_of(wv) != (n,):
            raise TypeError("polyfit: expected w of shape (len(x),)")
        lhs = ew.mul(lhs, sh.reshape(wv, (n, 1)))
        rhs = ew.mul(rhs, wv if len(shape_of(rhs)) == 1 else sh.reshape(wv, (n, 1)))
    scale = ew.sqrt(sh.reduce_sum(ew.mul(lhs, lhs), (0,)))
    scale = ew.select(ew.eq(scale, 0.0), 1.0, scale)
    lhs = ew.div(lhs, scale)
    c, resids, rank, s = linalg.lstsq(lhs, rhs, rcond=rcond)
    c = ew.div(c, scale if len(shape_of(c)) == 1 else sh.reshape(scale, (deg + 1, 1)))
    if full:
        return c, resids, rank, s, rcond
    return c


__all__ = [
    "convolve",
    "correlate",
    "poly",
    "polyadd",
    "polyder",
    "polydiv",
    "polyfit",
    "polyint",
    "polymul",
    "polysub",
    "polyval",
    "vander",
]

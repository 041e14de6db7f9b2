"""More of numpy's element-wise functions, comparisons, aliases, dtype names
and index helpers, each built from existing ``funcdiff.numpy`` functions and
primitives (no new primitive).

Comparisons (``isclose``, ``signbit``, ``isposinf``...) return bools: zero
derivative. ``nextafter`` and ``spacing`` are exact in value but piecewise
constant steps, so they carry no derivative (``stop_gradient``). ``gcd`` and
``lcm`` are integer functions (a ``while_loop`` of Euclid's steps).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcdiff.core.trace import Tracer
from funcdiff.core.typing import ArrayLike, DTypeLike
from funcdiff.errors import DTypeError
from funcdiff.numpy._core import (
    Array,
    asarray_arg,
    constant,
    dtype_of,
    promote,
    promote_float,
    shape_of,
)
from funcdiff.numpy._creation import arange, linspace
from funcdiff.numpy._reductions import all as _all
from funcdiff.numpy._shape import concatenate, reshape, transpose
from funcdiff.numpy._ufuncs import (
    abs as _abs,
)
from funcdiff.numpy._ufuncs import (
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    floor_divide,
    isfinite,
    isinf,
    isnan,
    logical_not,
    power,
    remainder,
    trunc,
)
from funcdiff.primitives import elementwise as ew

# ---------------------------------------------------------------------------
# aliases (numpy 2 / array API names) and constants
# ---------------------------------------------------------------------------

acos = arccos
asin = arcsin
atan = arctan
atan2 = arctan2
acosh = arccosh
asinh = arcsinh
atanh = arctanh
pow = power  # noqa: A001

euler_gamma = 0.5772156649015329

float_ = np.float64
double = np.float64
single = np.float32
int_ = np.int_
uint = np.uint
cdouble = np.complex128
csingle = np.complex64
complex_ = np.complex128
object_ = np.object_
character = np.character
flexible = np.flexible

try:  # numpy >= 1.25
    ComplexWarning: type[Warning] = np.exceptions.ComplexWarning
except AttributeError:  # pragma: no cover - numpy 1.24
    ComplexWarning = np.ComplexWarning  # type: ignore[attr-defined]


def permute_dims(a: ArrayLike, /, axes: Sequence[int]) -> Array:
    """The array API's ``permute_dims``: ``transpose`` with the axes required.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.permute_dims(np.zeros((2, 3, 4)), (2, 0, 1)).shape
    (4, 2, 3)
    """
    return transpose(a, tuple(axes))


def concat(arrays: Sequence[ArrayLike], /, *, axis: int | None = 0) -> Array:
    """The array API's ``concat``: ``concatenate`` with ``axis`` keyword-only.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.concat([np.ones(2), np.zeros(1)])
    array([1., 1., 0.])
    """
    return concatenate(arrays, axis=axis)


# ---------------------------------------------------------------------------
# element-wise functions
# ---------------------------------------------------------------------------


def _no_complex(name: str, *xs: Any) -> None:
    for x in xs:
        if dtype_of(x).kind == "c":
            raise DTypeError(f"{name}: complex input (dtype {dtype_of(x)}) is not supported")


def fabs(x: ArrayLike, /) -> Array:
    """Absolute value as a float (numpy's ``fabs``; complex input is refused).

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.fabs(-2))
    2.0
    """
    _no_complex("fabs", asarray_arg(x))
    (x,) = promote_float(x)
    return _abs(x)


def signbit(x: ArrayLike, /) -> Array:
    """True where the sign is negative, ``-0.0`` included (bool, zero derivative).

    The sign of a NaN is not visible without bit operations: NaN gives False.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.signbit(np.array([-1.0, -0.0, 0.0, 2.0]))
    array([ True,  True, False, False])
    """
    x = asarray_arg(x)
    _no_complex("signbit", x)
    dt = dtype_of(x)
    if dt.kind == "b":
        return ew.ne(x, x)
    if dt.kind == "u":
        return ew.ne(ew.convert(x, np.bool_), ew.convert(x, np.bool_))
    if dt.kind == "i":
        return ew.lt(x, dt.type(0))
    # -0.0: atan2(0, -0.0) is pi, atan2(0, 0.0) is 0
    zero = ew.eq(x, dt.type(0))
    neg_zero = ew.gt(
        ew.atan2(np.zeros(shape_of(x), dt), ew.select(zero, x, dt.type(1))), dt.type(1)
    )
    return ew.logical_or(ew.lt(x, dt.type(0)), ew.logical_and(zero, neg_zero))


def copysign(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """``|x1|`` with the sign of ``x2`` (``-0.0`` counts as negative).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.copysign(np.array([1.0, -2.0, 3.0]), np.array([-1.0, 1.0, -0.0]))
    array([-1.,  2., -3.])
    """
    x1, x2 = promote_float(x1, x2)
    _no_complex("copysign", x1, x2)
    a = _abs(x1)
    return ew.select(signbit(x2), ew.neg(a), a)


def fmax(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """Element-wise maximum that ignores NaN (NaN only where both are NaN).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.fmax(np.array([1.0, np.nan, np.nan]), np.array([2.0, 3.0, np.nan]))
    array([ 2.,  3., nan])
    """
    x1, x2 = promote(x1, x2)
    return ew.select(isnan(x2), x1, ew.select(isnan(x1), x2, ew.maximum(x1, x2)))


def fmin(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """Element-wise minimum that ignores NaN (NaN only where both are NaN).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.fmin(np.array([1.0, np.nan]), np.array([2.0, 3.0]))
    array([1., 3.])
    """
    x1, x2 = promote(x1, x2)
    return ew.select(isnan(x2), x1, ew.select(isnan(x1), x2, ew.minimum(x1, x2)))


def _float_of(x: Any) -> np.dtype[Any]:
    dt = dtype_of(x)
    return dt if dt.kind == "f" else np.dtype(np.float64)


def ldexp(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """``x1 * 2**x2`` for integer ``x2``; the float dtype of ``x1`` is kept.

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.ldexp(3.0, 4))
    48.0
    """
    x1 = asarray_arg(x1)
    x2 = asarray_arg(x2)
    if dtype_of(x2).kind not in "biu":
        raise DTypeError(f"ldexp: x2 must be integers, got dtype {dtype_of(x2)}")
    dt = _float_of(x1)
    x1 = ew.convert(x1, dt)
    # 2**k in two halves so that 2**k itself never overflows or underflows
    # where the product does not (ldexp(1e-300, 1000) is finite)
    k = ew.convert(x2, dt)
    k1 = floor_divide(k, dt.type(2))
    two = dt.type(2)
    return ew.mul(ew.mul(x1, ew.pow(two, k1)), ew.pow(two, ew.sub(k, k1)))


def _exponent(x: Array, dt: np.dtype[Any]) -> Array:
    """For finite nonzero ``x``: the integer ``e`` (as a float) with
    ``0.5 <= |x| / 2**e < 1``; 0 elsewhere. Exact: the log2 estimate is
    corrected by comparisons with exact powers of two."""
    info = np.finfo(dt)
    ax = _abs(x)
    ok = ew.logical_and(isfinite(x), ew.ne(x, dt.type(0)))
    safe = ew.select(ok, ax, dt.type(1))
    e = ew.add(ew.floor(ew.div(ew.log(safe), dt.type(math.log(2.0)))), dt.type(1))
    lo = dt.type(info.minexp - info.nmant)  # the smallest subnormal's exponent
    e = ew.maximum(e, lo)
    two = dt.type(2)
    for _ in range(2):
        # |x| < 2**(e-1): e is one too big; |x| >= 2**e: one too small
        half = ew.mul(ew.pow(two, ew.sub(e, dt.type(2))), two)  # 2**(e-1), no overflow
        e = ew.select(ew.lt(safe, half), ew.sub(e, dt.type(1)), e)
        top = ew.mul(ew.pow(two, ew.sub(e, dt.type(1))), two)  # 2**e
        e = ew.select(ew.ge(safe, top), ew.add(e, dt.type(1)), e)
    return ew.select(ok, e, dt.type(0))


def _scale2(x: Array, e: Array, dt: np.dtype[Any]) -> Array:
    """``x * 2**e`` for a float-valued integer ``e``, in two halves (no
    intermediate overflow or underflow)."""
    two = dt.type(2)
    e1 = ew.floor(ew.div(e, two))
    return ew.mul(ew.mul(x, ew.pow(two, e1)), ew.pow(two, ew.sub(e, e1)))


def frexp(x: ArrayLike, /) -> tuple[Array, Array]:
    """Mantissa and exponent: ``x == m * 2**e`` with ``0.5 <= |m| < 1``
    (``(0, 0)`` at zero; inf and NaN keep their value with exponent 0). The
    exponent is int32; the mantissa is differentiable (``1 / 2**e``).

    >>> import funcdiff.numpy as fnp
    >>> m, e = fnp.frexp(12.0)
    >>> print(float(m), int(e))
    0.75 4
    """
    xv = asarray_arg(x)
    _no_complex("frexp", xv)
    dt = _float_of(xv)
    xv = ew.convert(xv, dt)
    e = _exponent(xv, dt)
    m = _scale2(xv, ew.neg(e), dt)
    m = ew.select(isfinite(xv), m, xv)
    return m, ew.convert(e, np.int32)


def modf(x: ArrayLike, /) -> tuple[Array, Array]:
    """Fractional and integral parts, both with the sign of ``x``
    (``modf(inf) == (0.0, inf)``).

    >>> import funcdiff.numpy as fnp
    >>> f, i = fnp.modf(-3.25)
    >>> print(float(f), float(i))
    -0.25 -3.0
    """
    (x,) = promote_float(x)
    _no_complex("modf", x)
    dt = dtype_of(x)
    i = ew.select(ew.eq(x, dt.type(0)), x, trunc(x))  # modf(-0.0) is (-0.0, -0.0)
    d = ew.sub(x, i)
    # a zero fraction keeps x's sign (modf(-3.0) is (-0.0, -3.0)), as does inf's
    zero = ew.mul(ew.select(isinf(x), ew.sign(x), x), dt.type(0))
    f = ew.select(ew.logical_or(isinf(x), ew.eq(d, dt.type(0))), zero, d)
    return f, i


def divmod(x1: ArrayLike, x2: ArrayLike, /) -> tuple[Array, Array]:  # noqa: A001
    """``(floor_divide(x1, x2), remainder(x1, x2))``.

    >>> import funcdiff.numpy as fnp
    >>> q, r = fnp.divmod(-7, 3)
    >>> print(int(q), int(r))
    -3 2
    """
    return floor_divide(x1, x2), remainder(x1, x2)


def _ulp(x: Array, dt: np.dtype[Any], toward_zero: Array) -> Array:
    """The distance from ``x`` to the next float away from zero, or toward
    zero where ``toward_zero`` (smaller at an exact power of two)."""
    info = np.finfo(dt)
    p = dt.type(info.nmant + 1)  # significand bits
    lo = dt.type(info.minexp - info.nmant)  # smallest subnormal: 2**lo
    e = _exponent(x, dt)
    ax = _abs(x)
    m = _scale2(ax, ew.neg(e), dt)  # in [0.5, 1)
    step_e = ew.sub(e, p)
    at_pow2 = ew.logical_and(ew.eq(m, dt.type(0.5)), toward_zero)
    step_e = ew.select(at_pow2, ew.sub(step_e, dt.type(1)), step_e)
    step_e = ew.select(ew.eq(x, dt.type(0)), lo, ew.maximum(step_e, lo))
    return _scale2(np.ones((), dt), step_e, dt)


def nextafter(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """The next representable float after ``x1`` in the direction of ``x2``
    (exact; zero derivative: it is a step function).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.nextafter(1.0, 2.0) - 1.0) == float(np.finfo(np.float64).eps)
    True
    """
    x1, x2 = promote_float(x1, x2)
    _no_complex("nextafter", x1, x2)
    x1, x2 = ew.stop_gradient(x1), ew.stop_gradient(x2)
    dt = dtype_of(x1)
    up = ew.gt(x2, x1)
    # moving toward zero: x1 > 0 going down, or x1 < 0 going up
    toward = ew.logical_or(
        ew.logical_and(ew.gt(x1, dt.type(0)), logical_not(up)),
        ew.logical_and(ew.lt(x1, dt.type(0)), up),
    )
    fin = ew.select(isfinite(x1), x1, dt.type(1))
    step = _ulp(fin, dt, toward)
    moved = ew.select(up, ew.add(x1, step), ew.sub(x1, step))
    # from +-inf toward a finite value: the largest finite float
    big = dt.type(np.finfo(dt).max)
    moved = ew.select(isinf(x1), ew.select(up, ew.neg(big), big), moved)
    out = ew.select(ew.eq(x1, x2), x2, moved)
    return ew.select(ew.logical_or(isnan(x1), isnan(x2)), dt.type(np.nan), out)


def spacing(x: ArrayLike, /) -> Array:
    """Distance from ``x`` to the next float away from zero (negative for
    negative ``x``; NaN at inf and NaN). Zero derivative.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> float(fnp.spacing(1.0)) == float(np.finfo(np.float64).eps)
    True
    """
    (x,) = promote_float(x)
    _no_complex("spacing", x)
    x = ew.stop_gradient(x)
    dt = dtype_of(x)
    target = ew.select(ew.lt(x, dt.type(0)), dt.type(-np.inf), dt.type(np.inf))
    out = ew.sub(nextafter(x, target), x)
    return ew.select(isinf(x), dt.type(np.nan), out)


def isposinf(x: ArrayLike, /) -> Array:
    """True where ``x`` is +inf (bool).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.isposinf(np.array([np.inf, -np.inf, 1.0]))
    array([ True, False, False])
    """
    x = asarray_arg(x)
    _no_complex("isposinf", x)
    if dtype_of(x).kind != "f":
        return ew.ne(x, x)
    return ew.eq(x, dtype_of(x).type(np.inf))


def isneginf(x: ArrayLike, /) -> Array:
    """True where ``x`` is -inf (bool).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.isneginf(np.array([np.inf, -np.inf, 1.0]))
    array([False,  True, False])
    """
    x = asarray_arg(x)
    _no_complex("isneginf", x)
    if dtype_of(x).kind != "f":
        return ew.ne(x, x)
    return ew.eq(x, dtype_of(x).type(-np.inf))


def isreal(x: ArrayLike) -> Array:
    """True where the imaginary part is zero (everywhere for real input).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.isreal(np.array([1 + 1j, 2 + 0j]))
    array([False,  True])
    """
    x = asarray_arg(x)
    if dtype_of(x).kind != "c":
        return ew.eq(x, x) if dtype_of(x).kind != "f" else ew.logical_or(ew.eq(x, x), isnan(x))
    return ew.eq(ew.imag(x), 0.0)


def iscomplex(x: ArrayLike) -> Array:
    """True where the imaginary part is nonzero (nowhere for real input).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.iscomplex(np.array([1 + 1j, 2 + 0j]))
    array([ True, False])
    """
    return logical_not(isreal(x))


def isrealobj(x: ArrayLike) -> bool:
    """True when ``x``'s dtype is not complex (whatever the values).

    >>> import funcdiff.numpy as fnp
    >>> fnp.isrealobj(1.0), fnp.isrealobj(1j)
    (True, False)
    """
    return dtype_of(asarray_arg(x)).kind != "c"


def isclose(
    a: ArrayLike, b: ArrayLike, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Array:
    """``|a - b| <= atol + rtol * |b|`` element-wise; infinities are close
    only to themselves; NaN is close to NaN only with ``equal_nan``.
    A bool: zero derivative.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.isclose(np.array([1.0, 1.1, np.inf]), np.array([1.0 + 1e-9, 1.0, np.inf]))
    array([ True, False,  True])
    """
    a, b = promote_float(a, b)
    a, b = ew.stop_gradient(a), ew.stop_gradient(b)
    dt = ew.real_dtype(dtype_of(a))
    fin = ew.logical_and(isfinite(a), isfinite(b))
    a0 = ew.select(fin, a, dtype_of(a).type(0))
    b0 = ew.select(fin, b, dtype_of(b).type(0))
    near = ew.le(_abs(ew.sub(a0, b0)), ew.add(dt.type(atol), ew.mul(dt.type(rtol), _abs(b0))))
    out = ew.select(fin, near, ew.eq(a, b))
    if equal_nan:
        out = ew.logical_or(out, ew.logical_and(isnan(a), isnan(b)))
    return out


def allclose(
    a: ArrayLike, b: ArrayLike, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Array:
    """True when every pair is ``isclose`` (a bool array, zero derivative).

    >>> import funcdiff.numpy as fnp
    >>> print(fnp.allclose([1.0, 2.0], [1.0, 2.0 + 1e-10]))
    True
    """
    return _all(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def array_equal(a1: ArrayLike, a2: ArrayLike, equal_nan: bool = False) -> Array:
    """True when the shapes are equal and so is every element (bool).

    >>> import funcdiff.numpy as fnp
    >>> print(fnp.array_equal([1, 2], [1, 2]), fnp.array_equal([1, 2], [1, 2, 3]))
    True False
    """
    x, y = asarray_arg(a1), asarray_arg(a2)
    if shape_of(x) != shape_of(y):
        return np.bool_(False)  # type: ignore[return-value]  # numpy scalars are arrays here
    x, y = promote(x, y)
    eq = ew.eq(x, y)
    if equal_nan and dtype_of(x).kind in "fc":
        eq = ew.logical_or(eq, ew.logical_and(isnan(x), isnan(y)))
    return _all(eq)


def array_equiv(a1: ArrayLike, a2: ArrayLike) -> Array:
    """True when the shapes broadcast together and every element is equal.

    >>> import funcdiff.numpy as fnp
    >>> print(fnp.array_equiv([1, 2], [[1, 2], [1, 2]]))
    True
    """
    x, y = asarray_arg(a1), asarray_arg(a2)
    try:
        np.broadcast_shapes(shape_of(x), shape_of(y))
    except ValueError:
        return np.bool_(False)  # type: ignore[return-value]  # numpy scalars are arrays here
    x, y = promote(x, y)
    return _all(ew.eq(x, y))


def _int_pair(name: str, x1: Any, x2: Any) -> list[Array]:
    x1, x2 = promote(x1, x2)
    if dtype_of(x1).kind not in "iu":
        raise DTypeError(f"{name}: integer arguments required, got dtype {dtype_of(x1)}")
    shape = np.broadcast_shapes(shape_of(x1), shape_of(x2))
    from funcdiff.numpy._shape import broadcast_to

    return [broadcast_to(x1, shape), broadcast_to(x2, shape)]


def _iabs(x: Array) -> Array:
    dt = dtype_of(x)
    return x if dt.kind == "u" else ew.select(ew.lt(x, dt.type(0)), ew.sub(dt.type(0), x), x)


def gcd(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """Greatest common divisor of ``|x1|`` and ``|x2|`` (integers; 0 with 0).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.gcd(np.array([12, 0, -8]), np.array([18, 5, 12]))
    array([6, 5, 4])
    """
    from funcdiff.api_util import concrete_or_none
    from funcdiff.numpy._reductions import any as _any

    a, b = _int_pair("gcd", x1, x2)
    dt = dtype_of(a)
    a, b = _iabs(a), _iabs(b)
    # Euclid takes at most ~1.44 * bits steps (consecutive Fibonacci numbers);
    # stop early once every pair is done when the values are known
    for _ in range(int(1.45 * 8 * dt.itemsize) + 2):
        left = concrete_or_none(_any(ew.ne(b, dt.type(0))))
        if left is not None and not bool(left):
            break
        nz = ew.ne(b, dt.type(0))
        r = remainder(a, ew.select(nz, b, dt.type(1)))
        a, b = ew.select(nz, b, a), ew.select(nz, r, b)
    return a


def lcm(x1: ArrayLike, x2: ArrayLike, /) -> Array:
    """Least common multiple of ``|x1|`` and ``|x2|`` (integers; 0 with 0).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.lcm(np.array([4, 0, -6]), np.array([6, 3, 4]))
    array([12,  0, 12])
    """
    a, b = _int_pair("lcm", x1, x2)
    dt = dtype_of(a)
    g = gcd(a, b)
    nz = ew.ne(g, dt.type(0))
    return _iabs(ew.mul(floor_divide(a, ew.select(nz, g, dt.type(1))), b))


# I0(x) = sum_k ((x/2)^2)^k / (k!)^2: all terms positive, so the partial sum
# is accurate to rounding; 60 terms reach below float64 rounding for
# |x| <= 15. Beyond, the asymptotic series
# I0(x) ~ e^x / sqrt(2 pi x) * sum_k ((2k-1)!!)^2 / (k! (8x)^k), whose terms
# keep falling to far below rounding for 25 terms at x >= 15.
_I0_CUT = 15.0
_I0_SERIES = tuple(1.0 / math.factorial(k) ** 2 for k in range(60))
_I0_ASYM = tuple(
    math.prod(range(1, 2 * k, 2)) ** 2 / (math.factorial(k) * 8.0**k) for k in range(25)
)


def i0(x: ArrayLike) -> Array:
    """Modified Bessel function of the first kind, order 0 (real input),
    differentiable to any order (``i0' = i1``): a power series for
    ``|x| <= 15``, the asymptotic series beyond.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> print(f"{float(fnp.i0(1.0)):.6f} {float(fd.grad(fnp.i0)(1.0)):.6f}")
    1.266066 0.565159
    """
    (xv,) = promote_float(x)
    _no_complex("i0", xv)
    dt = dtype_of(xv)
    ax = _abs(xv)
    near = ew.le(ax, dt.type(_I0_CUT))
    xs = ew.select(near, xv, dt.type(0))
    z = ew.mul(ew.mul(xs, xs), dt.type(0.25))
    s: Any = dt.type(_I0_SERIES[-1])
    for c in reversed(_I0_SERIES[:-1]):
        s = ew.add(ew.mul(s, z), dt.type(c))
    xf = ew.select(near, dt.type(2 * _I0_CUT), ax)
    u = ew.div(dt.type(1), xf)
    a: Any = dt.type(_I0_ASYM[-1])
    for c in reversed(_I0_ASYM[:-1]):
        a = ew.add(ew.mul(a, u), dt.type(c))
    # e^x / sqrt(2 pi x) as e^(x/2) * (e^(x/2) / sqrt(2 pi x)): finite until I0 overflows
    h = ew.exp(ew.mul(xf, dt.type(0.5)))
    far = ew.mul(ew.mul(h, ew.div(h, ew.sqrt(ew.mul(xf, dt.type(2 * math.pi))))), a)
    far = ew.select(isinf(xf), dt.type(np.inf), far)
    return ew.select(near, s, far)


# ---------------------------------------------------------------------------
# dtype and shape helpers (static)
# ---------------------------------------------------------------------------


def broadcast_shapes(*shapes: Sequence[int] | int) -> tuple[int, ...]:
    """The shape that arrays of the given shapes broadcast to.

    >>> import funcdiff.numpy as fnp
    >>> fnp.broadcast_shapes((2, 1), (3,))
    (2, 3)
    """
    return tuple(int(n) for n in np.broadcast_shapes(*shapes))


def iterable(y: object) -> bool:
    """True when ``iter(y)`` works.

    >>> import funcdiff.numpy as fnp
    >>> fnp.iterable([1, 2]), fnp.iterable(2)
    (True, False)
    """
    if isinstance(y, Tracer):
        return len(y.aval.shape) > 0
    try:
        iter(y)  # type: ignore[call-overload]
    except TypeError:
        return False
    return True


_KINDS: dict[str, tuple[str, ...]] = {
    "bool": ("b",),
    "signed integer": ("i",),
    "unsigned integer": ("u",),
    "integral": ("i", "u"),
    "real floating": ("f",),
    "complex floating": ("c",),
    "numeric": ("i", "u", "f", "c"),
}


def isdtype(dtype: DTypeLike, kind: DTypeLike | str | tuple[Any, ...]) -> bool:
    """The array API's dtype test: ``kind`` is a dtype, one of 'bool',
    'signed integer', 'unsigned integer', 'integral', 'real floating',
    'complex floating', 'numeric', or a tuple of these.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.isdtype(np.float32, "real floating"), fnp.isdtype(np.int8, ("bool", "integral"))
    (True, True)
    """
    dt = np.dtype(dtype)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if isinstance(k, str) and k in _KINDS:
            if dt.kind in _KINDS[k]:
                return True
        elif isinstance(k, str) and k not in _KINDS and not hasattr(np, k):
            raise ValueError(f"isdtype: kind {k!r} is not a dtype nor one of {sorted(_KINDS)}")
        elif dt == np.dtype(k):
            return True
    return False


# ---------------------------------------------------------------------------
# index-expression objects: r_, c_, s_, index_exp, mgrid, ogrid
# ---------------------------------------------------------------------------

s_ = np.s_
index_exp = np.index_exp


def _range_item(s: slice) -> Array:
    start = 0 if s.start is None else s.start
    step = 1 if s.step is None else s.step
    if isinstance(step, complex):
        return linspace(start, s.stop, int(abs(step)))
    return arange(start, s.stop, step)


class _Concat:
    """``r_`` and ``c_``: concatenation by index expressions."""

    def __init__(self, axis: int, ndmin: int, trans1d: int) -> None:
        self._axis, self._ndmin, self._trans1d = axis, ndmin, trans1d

    def __getitem__(self, key: Any) -> Array:
        items = list(key) if isinstance(key, tuple) else [key]
        axis, ndmin, trans1d = self._axis, self._ndmin, self._trans1d
        if items and isinstance(items[0], str):
            spec = items.pop(0)
            if spec in ("r", "c"):
                raise NotImplementedError(f"r_/c_: the matrix directive {spec!r} is not supported")
            parts = [int(p) for p in spec.split(",")]
            axis = parts[0]
            if len(parts) > 1:
                ndmin = parts[1]
            if len(parts) > 2:
                trans1d = parts[2]
        arrays = []
        for it in items:
            a = _range_item(it) if isinstance(it, slice) else asarray_arg(it)
            nd = len(shape_of(a))
            if nd < ndmin:
                a = reshape(a, (1,) * (ndmin - nd) + shape_of(a))
                if nd > 0 and trans1d != -1:
                    # the original axes go to position trans1d (numpy's rule)
                    new = list(range(ndmin - nd, ndmin))
                    rest = list(range(ndmin - nd))
                    k = trans1d % ndmin
                    order = rest[:k] + new + rest[k:]
                    a = transpose(a, tuple(np.argsort(order)))
            arrays.append(a)
        if not arrays:
            return constant(np.zeros(0))
        return concatenate(arrays, axis=axis)


class _RClass(_Concat):
    """Build a 1-D array by concatenation: ``r_[1:4, 0, x]`` (slices are
    ranges; ``a:b:nj`` is ``linspace(a, b, n)``; a leading string such as
    ``'0,2'`` sets the axis and the minimum number of dimensions).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.r_[0:3, 7, np.array([8.0, 9.0])]
    array([0., 1., 2., 7., 8., 9.])
    """

    def __init__(self) -> None:
        super().__init__(0, 1, -1)


class _CClass(_Concat):
    """Stack 1-D arrays as columns: ``c_[a, b]`` (``r_['-1,2,0', a, b]``).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.c_[np.array([1.0, 2.0]), np.array([3.0, 4.0])]
    array([[1., 3.],
           [2., 4.]])
    """

    def __init__(self) -> None:
        super().__init__(-1, 2, 0)


r_ = _RClass()
c_ = _CClass()


class _Grid:
    def __init__(self, sparse: bool) -> None:
        self._sparse = sparse

    def __getitem__(self, key: Any) -> Any:
        grid = np.ogrid[key] if self._sparse else np.mgrid[key]
        if isinstance(grid, (list, tuple)):
            if self._sparse:
                return [constant(np.asarray(g)) for g in grid]
            return constant(np.asarray(grid))
        return constant(np.asarray(grid))


class _MGrid(_Grid):
    """Dense coordinate grids by slices (constants): ``mgrid[0:2, 0:3]``.

    >>> import funcdiff.numpy as fnp
    >>> fnp.mgrid[0:2, 0:3].shape
    (2, 2, 3)
    """

    def __init__(self) -> None:
        super().__init__(False)


class _OGrid(_Grid):
    """Open (broadcastable) coordinate grids by slices: ``ogrid[0:2, 0:3]``.

    >>> import funcdiff.numpy as fnp
    >>> [g.shape for g in fnp.ogrid[0:2, 0:3]]
    [(2, 1), (1, 3)]
    """

    def __init__(self) -> None:
        super().__init__(True)


mgrid = _MGrid()
ogrid = _OGrid()


__all__ = [
    "ComplexWarning",
    "acos",
    "acosh",
    "allclose",
    "array_equal",
    "array_equiv",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "broadcast_shapes",
    "c_",
    "cdouble",
    "character",
    "complex_",
    "concat",
    "copysign",
    "csingle",
    "divmod",
    "double",
    "euler_gamma",
    "fabs",
    "flexible",
    "float_",
    "fmax",
    "fmin",
    "frexp",
    "gcd",
    "i0",
    "index_exp",
    "int_",
    "isclose",
    "iscomplex",
    "isdtype",
    "isneginf",
    "isposinf",
    "isreal",
    "isrealobj",
    "iterable",
    "lcm",
    "ldexp",
    "mgrid",
    "modf",
    "nextafter",
    "object_",
    "ogrid",
    "permute_dims",
    "pow",
    "r_",
    "s_",
    "signbit",
    "single",
    "spacing",
    "uint",
]

"""Element-wise functions with numpy's names, broadcasting and promotion."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, overload

import numpy as np

from funcdiff.core.primitive import Primitive
from funcdiff.core.trace import Tracer, bind
from funcdiff.core.typing import ArrayLike
from funcdiff.errors import DTypeError
from funcdiff.numpy._core import (
    Array,
    asarray_arg,
    dtype_of,
    promote,
    promote_float,
)
from funcdiff.primitives import elementwise as ew

_DOC = """{what}

    >>> import funcdiff.numpy as fnp
    >>> fnp.{call}.shape
    ()
    """


def _float_unary(prim: Primitive, name: str, example: float = 0.5) -> Callable[[ArrayLike], Array]:
    def fn(x: ArrayLike) -> Array:
        if type(x) is Tracer and x.aval.dtype.kind == "f":  # promote_float's fast path
            return x._trace.process1(prim, x)  # (``bind`` with one tracer)
        (x,) = promote_float(x)
        return bind(prim, x)

    fn.__name__ = fn.__qualname__ = name
    what = f"Element-wise ``numpy.{name}``, differentiable."
    fn.__doc__ = _DOC.format(what=what, call=f"{name}({example})")
    return fn


def _unary(prim: Primitive, name: str) -> Callable[[ArrayLike], Array]:
    def fn(x: ArrayLike) -> Array:
        return bind(prim, asarray_arg(x))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = _DOC.format(what=f"Element-wise ``numpy.{name}``.", call=f"{name}(0.5)")
    return fn


def _binary(
    prim: Primitive, name: str, floating: bool = False
) -> Callable[[ArrayLike, ArrayLike], Array]:
    conv = promote_float if floating else promote

    def fn(x: ArrayLike, y: ArrayLike) -> Array:
        # promote's fast path, inlined (a traced float array with another of its
        # dtype or a Python number, which takes that dtype): every traced x + y
        if type(x) is Tracer:
            dt = x.aval.dtype
            if dt.kind == "f":
                ty = type(y)
                if ty is Tracer and y.aval.dtype == dt:  # type: ignore[union-attr]
                    if y._trace is x._trace:  # type: ignore[union-attr]
                        return x._trace.process2(prim, x, y)  # (``bind``)
                    return bind(prim, x, y)
                if ty is float or ty is int:
                    return x._trace.process2(prim, x, dt.type(y))
        elif type(y) is Tracer and (type(x) is float or type(x) is int):
            dt = y.aval.dtype
            if dt.kind == "f":
                return y._trace.process2(prim, dt.type(x), y)
        x, y = conv(x, y)
        return bind(prim, x, y)

    fn.__name__ = fn.__qualname__ = name
    what = f"Element-wise ``numpy.{name}``, broadcasting."
    fn.__doc__ = _DOC.format(what=what, call=f"{name}(1.0, 2.0)")
    return fn


exp = _float_unary(ew.exp_p, "exp")
log = _float_unary(ew.log_p, "log")
log1p = _float_unary(ew.log1p_p, "log1p")
expm1 = _float_unary(ew.expm1_p, "expm1")
sqrt = _float_unary(ew.sqrt_p, "sqrt")
cbrt = _float_unary(ew.cbrt_p, "cbrt")
sin = _float_unary(ew.sin_p, "sin")
cos = _float_unary(ew.cos_p, "cos")
tan = _float_unary(ew.tan_p, "tan")
arcsin = _float_unary(ew.asin_p, "arcsin")
arccos = _float_unary(ew.acos_p, "arccos")
arctan = _float_unary(ew.atan_p, "arctan")
sinh = _float_unary(ew.sinh_p, "sinh")
cosh = _float_unary(ew.cosh_p, "cosh")
tanh = _float_unary(ew.tanh_p, "tanh")
arcsinh = _float_unary(ew.asinh_p, "arcsinh")
arccosh = _float_unary(ew.acosh_p, "arccosh", 1.5)
arctanh = _float_unary(ew.atanh_p, "arctanh")
floor = _float_unary(ew.floor_p, "floor")
ceil = _float_unary(ew.ceil_p, "ceil")
rint = _float_unary(ew.round_p, "rint")
abs = _unary(ew.abs_p, "abs")  # noqa: A001
absolute = abs
negative = _unary(ew.neg_p, "negative")
isnan = _unary(ew.isnan_p, "isnan")
isfinite = _unary(ew.isfinite_p, "isfinite")
logical_not = _unary(ew.not_p, "logical_not")

add = _binary(ew.add_p, "add")
subtract = _binary(ew.sub_p, "subtract")
multiply = _binary(ew.mul_p, "multiply")
divide = _binary(ew.div_p, "divide", floating=True)


def _reflected(
    prim: Primitive, fn: Callable[[ArrayLike, ArrayLike], Array]
) -> Callable[[Tracer, Any], Tracer]:
    """``fn`` as a reflected operator method (``2.0 * x`` is
    ``x.__rmul__(2.0)``, ``fn(2.0, x)``), with ``fn``'s fast path for a
    Python number and a traced float array inlined (one call less)."""

    def method(self: Tracer, o: Any) -> Any:  # (a tracer: ``self`` is one)
        dt = self.aval.dtype
        to = type(o)
        if (to is float or to is int) and dt.kind == "f":
            return self._trace.process2(prim, dt.type(o), self)
        return fn(o, self)

    method.__name__ = method.__qualname__ = f"reflected_{fn.__name__}"
    return method


_radd = _reflected(ew.add_p, add)
_rsubtract = _reflected(ew.sub_p, subtract)
_rmultiply = _reflected(ew.mul_p, multiply)
_rdivide = _reflected(ew.div_p, divide)
true_divide = divide
maximum = _binary(ew.max_p, "maximum")
minimum = _binary(ew.min_p, "minimum")
arctan2 = _binary(ew.atan2_p, "arctan2", floating=True)
remainder = _binary(ew.rem_p, "remainder")
mod = remainder
floor_divide = _binary(ew.floor_divide_p, "floor_divide")
equal = _binary(ew.eq_p, "equal")
not_equal = _binary(ew.ne_p, "not_equal")
less = _binary(ew.lt_p, "less")
less_equal = _binary(ew.le_p, "less_equal")
greater = _binary(ew.gt_p, "greater")
greater_equal = _binary(ew.ge_p, "greater_equal")
logical_and = _binary(ew.and_p, "logical_and")
logical_or = _binary(ew.or_p, "logical_or")
logical_xor = _binary(ew.xor_p, "logical_xor")
bitwise_and = _binary(ew.bitwise_and_p, "bitwise_and")
bitwise_or = _binary(ew.bitwise_or_p, "bitwise_or")
bitwise_xor = _binary(ew.bitwise_xor_p, "bitwise_xor")


def _shift(prim: Primitive, name: str) -> Callable[[ArrayLike, ArrayLike], Array]:
    def fn(x: ArrayLike, y: ArrayLike) -> Array:
        x, y = promote(x, y)
        if dtype_of(x) == np.bool_:  # numpy shifts booleans as int8
            x, y = ew.convert(x, np.int8), ew.convert(y, np.int8)
        return bind(prim, x, y)

    fn.__name__ = fn.__qualname__ = name
    return fn


left_shift = _shift(ew.left_shift_p, "left_shift")
right_shift = _shift(ew.right_shift_p, "right_shift")
bitwise_left_shift = left_shift
bitwise_right_shift = right_shift
invert = _unary(ew.invert_p, "invert")
bitwise_not = invert
bitwise_invert = invert
bitwise_count = _unary(ew.bitwise_count_p, "bitwise_count")
for _fn, _call in (
    (bitwise_and, "bitwise_and(6, 3)"),
    (bitwise_or, "bitwise_or(6, 3)"),
    (bitwise_xor, "bitwise_xor(6, 3)"),
    (left_shift, "left_shift(1, 3)"),
    (right_shift, "right_shift(8, 2)"),
    (invert, "invert(5)"),
    (bitwise_count, "bitwise_count(7)"),
):
    _fn.__doc__ = _DOC.format(
        what=f"Element-wise ``numpy.{_fn.__name__}`` on integers (and booleans): "
        "integer results, so no derivative.",
        call=_call,
    )


def sign(x: ArrayLike) -> Array:
    """Element-wise ``numpy.sign``: -1, 0 or 1, with zero derivative (at 0
    too). For complex ``z`` it is ``z / |z|`` (0 at 0), as in numpy 2, and
    differentiable.

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.sign(-2.0)), complex(fnp.sign(3 + 4j))
    (-1.0, (0.6+0.8j))
    """
    x = asarray_arg(x)
    if dtype_of(x).kind != "c":
        return bind(ew.sign_p, x)
    r = abs(x)
    zero = ew.eq(r, 0.0)
    return ew.select(
        zero, ew.weak(0, x), ew.div(x, ew.convert(ew.select(zero, 1.0, r), dtype_of(x)))
    )


def real(x: ArrayLike) -> Array:
    """The real part (a real array; a real input is returned as it is).

    Under ``grad``, the cotangent of ``real(z)`` reaches ``z`` as a real
    number (JAX's convention, see docs/complex.md).

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.real(3 + 4j))
    3.0
    """
    x = asarray_arg(x)
    return ew.real(x) if dtype_of(x).kind == "c" else x


def imag(x: ArrayLike) -> Array:
    """The imaginary part (a real array; zeros for a real input).

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.imag(3 + 4j))
    4.0
    """
    from funcdiff.numpy._creation import zeros_like

    x = asarray_arg(x)
    return ew.imag(x) if dtype_of(x).kind == "c" else zeros_like(x)


def conj(x: ArrayLike) -> Array:
    """The complex conjugate (a real input is returned as it is).

    >>> import funcdiff.numpy as fnp
    >>> complex(fnp.conj(3 + 4j))
    (3-4j)
    """
    x = asarray_arg(x)
    return ew.conj(x) if dtype_of(x).kind == "c" else x


conjugate = conj


def angle(z: ArrayLike, deg: bool = False) -> Array:
    """The argument of ``z``, ``atan2(imag(z), real(z))``, in radians (degrees
    with ``deg``); for real input 0 or pi, with zero derivative. At ``z = 0``
    the derivative does not exist: NaN.

    >>> import funcdiff.numpy as fnp
    >>> print(f"{float(fnp.angle(1j)):.6f}", float(fnp.angle(-2.0)))
    1.570796 3.141592653589793
    """
    z = asarray_arg(z)
    if dtype_of(z).kind == "c":
        out = ew.atan2(ew.imag(z), ew.real(z))
    else:
        (z,) = promote_float(z)
        out = ew.select(ew.lt(z, 0.0), ew.weak(math.pi, z), ew.weak(0.0, z))
    return ew.mul(out, 180.0 / math.pi) if deg else out


def iscomplexobj(x: ArrayLike) -> bool:
    """True when ``x`` has a complex dtype (decided from the dtype, not values).

    >>> import funcdiff.numpy as fnp
    >>> fnp.iscomplexobj(1j), fnp.iscomplexobj(1.0)
    (True, False)
    """
    return bool(dtype_of(x).kind == "c")


def _real_only(name: str, *xs: Any) -> None:
    for x in xs:
        if dtype_of(x).kind == "c":
            raise DTypeError(
                f"{name}: complex input (dtype {dtype_of(x)}) is not supported (nor in numpy); "
                "apply it to fnp.real/fnp.imag/fnp.abs of the value"
            )


def positive(x: ArrayLike) -> Array:
    """``numpy.positive``: the identity.

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.positive(-2.0))
    -2.0
    """
    return asarray_arg(x)


def power(x: ArrayLike, y: ArrayLike) -> Array:
    """``x ** y`` element-wise. A Python int exponent records ``integer_pow``
    (exact for negative bases and cheap to differentiate).

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.power(-2.0, 3))
    -8.0
    """
    if type(x) is Tracer:
        dt = x.aval.dtype
        if type(y) is int and dt.kind in "fc":  # the common traced x ** 2 (``bind``)
            return x._trace.process1(ew.integer_pow_p, x, {"y": y})
        if type(y) is Tracer and y._trace is x._trace and y.aval.dtype is dt and dt.kind == "f":
            return x._trace.process2(ew.pow_p, x, y)
    if isinstance(y, int) and not isinstance(y, bool) and not isinstance(x, (int, float)):
        x = asarray_arg(x)
        if dtype_of(x).kind in "fc" or y >= 0:
            return ew.integer_pow(x, y)
    x, y = promote(x, y)
    return bind(ew.pow_p, x, y)


def float_power(x: ArrayLike, y: ArrayLike) -> Array:
    """``numpy.float_power``: power computed in float64.

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.float_power(2, 3))
    8.0
    """
    x, y = promote_float(x, y)
    return bind(ew.pow_p, ew.convert(x, np.float64), ew.convert(y, np.float64))


def square(x: ArrayLike) -> Array:
    """``x * x`` element-wise.

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.square(3.0))
    9.0
    """
    return ew.integer_pow(asarray_arg(x), 2)


def reciprocal(x: ArrayLike) -> Array:
    """``1 / x`` element-wise.

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.reciprocal(4.0))
    0.25
    """
    (x,) = promote_float(x)
    return ew.div(1.0, x)


def log2(x: ArrayLike) -> Array:
    """Base-2 logarithm.

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.log2(8.0))
    3.0
    """
    return ew.mul(log(x), 1.0 / math.log(2.0))


def log10(x: ArrayLike) -> Array:
    """Base-10 logarithm.

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.log10(100.0))
    2.0
    """
    return ew.mul(log(x), 1.0 / math.log(10.0))


def exp2(x: ArrayLike) -> Array:
    """``2 ** x``.

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.exp2(3.0))
    8.0
    """
    return exp(ew.mul(promote_float(x)[0], math.log(2.0)))


def deg2rad(x: ArrayLike) -> Array:
    """Degrees to radians.

    >>> import funcdiff.numpy as fnp
    >>> print(f"{float(fnp.deg2rad(180.0)):.5f}")
    3.14159
    """
    return ew.mul(promote_float(x)[0], math.pi / 180.0)


radians = deg2rad


def rad2deg(x: ArrayLike) -> Array:
    """Radians to degrees.

    >>> import funcdiff.numpy as fnp
    >>> print(f"{float(fnp.rad2deg(3.141592653589793)):.5f}")
    180.00000
    """
    return ew.mul(promote_float(x)[0], 180.0 / math.pi)


degrees = rad2deg


def round(a: ArrayLike, decimals: int = 0) -> Array:  # noqa: A001
    """Round half to even (numpy's rule), zero derivative.

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.round(2.5)), float(fnp.round(1.234, 2))
    (2.0, 1.23)
    """
    (a,) = promote_float(a)
    if decimals == 0:
        return bind(ew.round_p, a)
    scale = 10.0**decimals
    return ew.div(bind(ew.round_p, ew.mul(a, scale)), scale)


around = round


def trunc(x: ArrayLike) -> Array:
    """Round toward zero (zero derivative).

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.trunc(-1.7))
    -1.0
    """
    (x,) = promote_float(x)
    return ew.mul(sign(x), floor(abs(x)))


fix = trunc


def isinf(x: ArrayLike) -> Array:
    """True where ``x`` is plus or minus infinity.

    >>> import funcdiff.numpy as fnp
    >>> bool(fnp.isinf(float("inf")))
    True
    """
    x = asarray_arg(x)
    return logical_not(logical_or(isfinite(x), isnan(x)))


def _norm_root(s: Array, p: float = 2.0) -> Array:
    """``s ** (1/p)`` for a sum ``s`` of ``|x_i| ** p``: the last step of a
    p-norm, with the convention for the cone's tip ``x = 0`` (``s == 0``).

    There the norm has no derivative. Its value and gradient are 0 (the
    smallest subgradient), and every derivative of order 2 or more is NaN:
    the curvature is unbounded near 0, and no finite value would do (for
    ``norm(x)**2`` the chain rule gives ``2 g g^T + 2 * 0 * H``, never the
    true ``2 I``), so NaN rather than a plausible wrong number. At ``s == 0``
    the root is replaced by ``s ** 1.5``, which has exactly that value, that
    gradient and an infinite second derivative.
    """
    zero = ew.eq(s, 0.0)
    root = (
        ew.sqrt(ew.select(zero, 1.0, s)) if p == 2.0 else ew.pow(ew.select(zero, 1.0, s), 1.0 / p)
    )
    return ew.select(zero, ew.pow(s, 1.5), root)


def hypot(x: ArrayLike, y: ArrayLike) -> Array:
    """``sqrt(x**2 + y**2)`` without overflow for large inputs.

    Its derivatives are those of ``sqrt(x**2 + y**2)`` at every order (the
    overflow guard is a scale held constant); at ``x = y = 0`` the value and
    gradient are 0 and higher derivatives NaN, as for ``linalg.norm``.

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.hypot(3.0, 4.0))
    5.0
    """
    x, y = promote_float(x, y)
    _real_only("hypot", x, y)
    m = bind(ew.stop_gradient_p, maximum(abs(x), abs(y)))
    m = ew.select(ew.logical_and(isfinite(m), ew.gt(m, 0.0)), m, 1.0)
    xs, ys = ew.div(x, m), ew.div(y, m)
    r = ew.mul(m, _norm_root(ew.add(ew.mul(xs, xs), ew.mul(ys, ys))))
    # numpy: an infinite operand gives inf, even with a NaN beside it
    return ew.select(ew.logical_or(isinf(x), isinf(y)), np.inf, r)


def logaddexp(x: ArrayLike, y: ArrayLike) -> Array:
    """``log(exp(x) + exp(y))`` without overflow.

    >>> import funcdiff.numpy as fnp
    >>> print(f"{float(fnp.logaddexp(1000.0, 1000.0)):.4f}")
    1000.6931
    """
    x, y = promote_float(x, y)
    _real_only("logaddexp", x, y)
    # a = max(x, y), b = the other (selected, so differentiable as x and y);
    # shifted by m = a held constant, so every derivative is the smooth
    # softmax one (no kink at x == y); an infinite max shifts by 0.
    # log(exp(a - m) + exp(b - m)) is written log1p(expm1(a - m) + exp(b - m)),
    # the same function, accurate when exp(b - m) is tiny (softplus(-50)).
    x_big = ew.ge(x, y)
    a, b = ew.select(x_big, x, y), ew.select(x_big, y, x)
    m = bind(ew.stop_gradient_p, a)
    m = ew.select(isfinite(m), m, 0.0)
    return ew.add(m, log1p(ew.add(expm1(ew.sub(a, m)), exp(ew.sub(b, m)))))


def logaddexp2(x: ArrayLike, y: ArrayLike) -> Array:
    """``log2(2**x + 2**y)`` without overflow.

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.logaddexp2(1.0, 1.0))
    2.0
    """
    x, y = promote_float(x, y)
    ln2 = math.log(2.0)
    return ew.div(logaddexp(ew.mul(x, ln2), ew.mul(y, ln2)), ln2)


def fmod(x: ArrayLike, y: ArrayLike) -> Array:
    """C-style remainder, sign of ``x``: ``x - trunc(x / y) * y``.

    >>> import funcdiff.numpy as fnp
    >>> float(fnp.fmod(-7.0, 3.0))
    -1.0
    """
    x, y = promote_float(x, y)
    return ew.sub(x, ew.mul(trunc(ew.div(x, y)), y))


@overload
def where(condition: ArrayLike) -> tuple[np.ndarray, ...]: ...
@overload
def where(condition: ArrayLike, x: ArrayLike, y: ArrayLike) -> Array: ...
def where(
    condition: ArrayLike, x: ArrayLike | None = None, y: ArrayLike | None = None
) -> Array | tuple[np.ndarray, ...]:
    """``numpy.where(condition, x, y)``: pick from x where True, else y.

    The gradient flows to the branch that was picked only; see the docs for
    the ``where(x > 0, sqrt(x), 0)`` NaN pitfall.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.where(np.array([True, False]), 1.0, 2.0)
    array([1., 2.])
    """
    if x is None and y is None:
        from funcdiff.numpy._indexing import nonzero

        return nonzero(condition)
    if x is None or y is None:
        raise ValueError("where: give both x and y, or neither")
    c = asarray_arg(condition)
    if dtype_of(c) != np.bool_:
        c = ew.ne(c, 0)
    x, y = promote(x, y)
    return ew.select(c, x, y)


def clip(a: ArrayLike, a_min: ArrayLike | None = None, a_max: ArrayLike | None = None) -> Array:
    """Limit values to ``[a_min, a_max]`` (either may be None).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.clip(np.array([-2.0, 0.5, 3.0]), 0.0, 1.0)
    array([0. , 0.5, 1. ])
    """
    if a_min is None and a_max is None:
        raise ValueError("clip: a_min and a_max cannot both be None")
    out = asarray_arg(a)
    if a_min is not None:
        out = maximum(out, a_min)
    if a_max is not None:
        out = minimum(out, a_max)
    return out


def heaviside(x: ArrayLike, h0: ArrayLike) -> Array:
    """Step function: 0 for x < 0, h0 at 0, 1 for x > 0 (zero derivative in x).

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.heaviside(np.array([-1.0, 0.0, 2.0]), 0.5)
    array([0. , 0.5, 1. ])
    """
    x, h0 = promote_float(x, h0)
    return ew.select(ew.lt(x, 0.0), 0.0, ew.select(ew.gt(x, 0.0), 1.0, h0))


# sinc(x) = sum_n (-1)^n (pi x)^(2n) / (2n+1)!; on |pi x| < 1 the first 12
# terms are exact to far below float64 rounding, and so are their derivatives
# (the k-th is off by about pi^k / (22-k)! there: 1e-18 relative for k = 4).
_SINC_TERMS = 12
_SINC_COEFFS = tuple(
    (-1) ** n * math.pi ** (2 * n) / math.factorial(2 * n + 1) for n in range(_SINC_TERMS)
)


def sinc(x: ArrayLike) -> Array:
    """Normalized sinc ``sin(pi x) / (pi x)``, 1 at 0.

    Differentiable to any order, also at 0: on ``|pi x| < 1`` it is computed
    as its Taylor polynomial (degree 22, exact to rounding there), whose own
    derivatives are the derivatives of sinc, so the k-th derivative at 0 is
    exact for every k up to 23 (``-pi**2 / 3`` for the second); elsewhere it
    is ``sin(pi x) / (pi x)``.

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> print(float(fnp.sinc(0.0)), f"{float(fd.grad(fd.grad(fnp.sinc))(0.0)):.6f}")
    1.0 -3.289868
    """
    (x,) = promote_float(x)
    px = ew.mul(x, math.pi)
    near = ew.lt(abs(px), 1.0)
    # each branch sees a safe argument, so the one not taken adds no inf/NaN
    # to any derivative
    xs = ew.select(near, x, 0.0)
    z = ew.mul(xs, xs)
    poly: Any = _SINC_COEFFS[-1]
    for c in reversed(_SINC_COEFFS[:-1]):
        poly = ew.add(ew.mul(poly, z), c)
    far = ew.select(near, 1.0, px)
    return ew.select(near, poly, ew.div(sin(far), far))


def nan_to_num(
    x: ArrayLike, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Array:
    """Replace NaN and infinities with finite numbers.

    >>> import funcdiff.numpy as fnp, numpy as np
    >>> fnp.nan_to_num(np.array([np.nan, 1.0]))
    array([0., 1.])
    """
    x = asarray_arg(x)
    info = np.finfo(dtype_of(x)) if dtype_of(x).kind == "f" else None
    if info is None:
        return x
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    x = ew.select(isnan(x), nan, x)
    x = ew.select(ew.eq(x, np.inf), hi, x)
    return ew.select(ew.eq(x, -np.inf), lo, x)


__all__ = [
    "abs",
    "absolute",
    "add",
    "angle",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "around",
    "bitwise_and",
    "bitwise_count",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "cbrt",
    "ceil",
    "clip",
    "conj",
    "conjugate",
    "cos",
    "cosh",
    "deg2rad",
    "degrees",
    "divide",
    "equal",
    "exp",
    "exp2",
    "expm1",
    "fix",
    "float_power",
    "floor",
    "floor_divide",
    "fmod",
    "greater",
    "greater_equal",
    "heaviside",
    "hypot",
    "imag",
    "invert",
    "iscomplexobj",
    "isfinite",
    "isinf",
    "isnan",
    "left_shift",
    "less",
    "less_equal",
    "log",
    "log1p",
    "log2",
    "log10",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "nan_to_num",
    "negative",
    "not_equal",
    "positive",
    "power",
    "rad2deg",
    "radians",
    "real",
    "reciprocal",
    "remainder",
    "right_shift",
    "rint",
    "round",
    "sign",
    "sin",
    "sinc",
    "sinh",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "true_divide",
    "trunc",
    "where",
]

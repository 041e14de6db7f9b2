"""Element-wise primitives: arithmetic, math functions, comparisons, select.

Element-wise primitives follow numpy broadcasting, so ``x * 2.0`` is one
equation (``mul a 2.0``) and no explicit broadcast is recorded; the VJP rules
sum cotangents back to each operand's shape (``unbroadcast``). All operands
of one primitive share a dtype: ``funcdiff.numpy`` promotes before binding.

A unary function's JVP and VJP are both "multiply by the derivative", so one
table row (``derivative(out, x)``) gives both; binary functions have one
partial derivative per operand. Each row also names its Taylor-mode rule
(``taylor=``, for ``jet``), built from the recurrences of the "Taylor rules"
section above the tables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from funcdiff._compat import NUMPY2, weak_scalar_pair
from funcdiff.core.ir import ShapedArray, as_result, aval_of
from funcdiff.core.primitive import (
    Primitive,
    Rule,
    Samples,
    Zero,
    is_float,
    list_form,
    zero_of,
)
from funcdiff.core.trace import Tracer, bind, bind_list
from funcdiff.errors import DTypeError, MissingRuleError, ShapeError
from funcdiff.primitives import shape as sh
from funcdiff.primitives import sparsity as spd
from funcdiff.primitives.batching import RuleTemplate
from funcdiff.primitives.rules import def_zero_derivative
from funcdiff.tree import tree_map

Array = Any
_SCALARS = (int, float, bool, np.generic)


# ---------------------------------------------------------------------------
# shared machinery
# ---------------------------------------------------------------------------


def weak(x: Any, like: Any) -> Any:
    """A Python scalar ``x`` takes the dtype of the array ``like`` (weak typing)."""
    if isinstance(x, (int, float, complex)) and not isinstance(x, np.generic):
        dt = like.dtype if hasattr(like, "dtype") else np.result_type(like)
        if isinstance(x, float) and dt.kind not in "fc":
            return np.float64(x)
        if isinstance(x, complex) and dt.kind != "c":
            return np.complex128(x)  # the primitive then names the dtype clash
        return dt.type(x)
    return x


def _dtype_of(x: Any) -> np.dtype[Any]:
    return x.dtype if hasattr(x, "dtype") else np.result_type(x)


def broadcast_avals(name: str, avals: Sequence[ShapedArray]) -> tuple[int, ...]:
    shapes = [a.shape for a in avals]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        listed = " and ".join(a.str_short() for a in avals)
        raise ShapeError(
            f"{name}: operand shapes {listed} do not broadcast together "
            "(numpy rules: aligned from the right, each axis equal or 1). "
            "Reshape or transpose an operand so the axes line up."
        ) from None


def _same_dtype(name: str, avals: Sequence[ShapedArray]) -> np.dtype[Any]:
    dt = avals[0].dtype
    for a in avals[1:]:
        if a.dtype != dt:
            listed = ", ".join(x.str_short() for x in avals)
            raise DTypeError(
                f"{name}: operands have different dtypes ({listed}); cast one with "
                "astype (funcdiff.numpy functions promote automatically)"
            )
    return dt


def _no_complex(name: str, avals: Sequence[ShapedArray], why: str = "") -> None:
    for a in avals:
        if a.dtype.kind == "c":
            raise DTypeError(
                f"{name}: complex operand {a.str_short()} is not supported"
                + (f" ({why})" if why else " (numpy has no complex version either)")
                + "; apply it to funcdiff.numpy.real/imag/abs of the value instead"
            )


def unbroadcast(ct: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``ct`` down to ``shape`` (the transpose of numpy broadcasting)."""
    ct_shape = aval_of(ct).shape
    if ct_shape == shape:
        return ct
    lead = len(ct_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and ct_shape[lead + i] != 1
    )
    if axes:
        ct = sh.reduce_sum(ct, axes)
    if aval_of(ct).shape != shape:
        ct = sh.reshape(ct, shape)
    return ct


def def_ufunc_rules(prim: Primitive, impl: Any) -> None:
    """The rules a primitive implemented by a numpy ufunc gets from its name:
    jit's code (inline ``np.<ufunc>(...)``, with ``out=`` when a dead buffer
    can be reused) and the XLA lowering (``jax.numpy``'s function of the same
    name, which follows numpy's definition)."""
    if not isinstance(impl, np.ufunc):
        return
    name = impl.__name__
    prim.emit = lambda *args: f"np.{name}({', '.join(args)})"
    prim.emit_out = lambda *args, out: f"np.{name}({', '.join(args)}, out={out})"
    prim.lower_jax = lambda ctx, *args: getattr(ctx.jnp, name)(*args)


def elementwise_batch(prim: Primitive) -> Callable[..., Any]:
    """Batch rule of a broadcasting element-wise primitive: batch axes to the
    front, batched operands padded with unit axes to the common rank."""

    @list_form
    def batch(args: Sequence[Any], dims: Sequence[int | None], **params: Any) -> Any:
        rank = max(aval_of(x).ndim - (d is not None) for x, d in zip(args, dims, strict=True))
        moved = []
        for x, d in zip(args, dims, strict=True):
            if d is not None:
                x = sh.moveaxis(x, d, 0)
                shp = aval_of(x).shape
                if len(shp) - 1 < rank:
                    x = sh.reshape(x, (shp[0],) + (1,) * (rank - len(shp) + 1) + shp[1:])
            moved.append(x)
        outs = bind_list(prim, *moved, **params)
        return outs, [0] * len(outs)

    return batch


def _float_samples(low: float, high: float, nargs: int) -> Callable[[np.random.Generator], Samples]:
    shapes: list[list[tuple[int, ...]]] = (
        [[(3,)], [(2, 3)], [()]]
        if nargs == 1
        else [[(3,), (3,)], [(2, 3), (3,)], [(), (2, 1)], [(2, 1), (1, 3)]]
    )

    def samples(rng: np.random.Generator) -> Samples:
        return [(tuple(rng.uniform(low, high, s) for s in shp), {}) for shp in shapes]

    return samples


# ---------------------------------------------------------------------------
# Taylor rules (``jet``): the standard recurrences on normalized coefficients
# ---------------------------------------------------------------------------
#
# A rule sees each input's primal and its coefficients ``c_1..c_K`` (or a
# ``Zero``) and works on the full list ``[c_0, c_1, .., c_K]`` with ``None``
# for a coefficient known to be zero (so a constant operand costs nothing).
# Every recurrence is O(K^2): coefficient k of a product is a sum of k + 1
# terms, and each auxiliary series (1 + y^2, sqrt(1 - x^2)...) is grown one
# coefficient per step, never recomputed. The tables below name each
# primitive's rule in its ``taylor`` column: a step function wrapped by
# ``_steps``/``_steps2`` (the rule binds the primitive for the primal), or a
# whole rule.

_Coeffs = list[Any]
_TaylorOut = tuple[list[Any], list[Any]]
_Step = Callable[[_Coeffs, _Coeffs, int], Any]


def _full(x: Any, s: Any, k: int) -> _Coeffs:
    return [x] + ([None] * k if isinstance(s, Zero) else list(s))


def _order(series: Sequence[Any]) -> int:
    return next(len(s) for s in series if not isinstance(s, Zero))


def _sum(terms: Sequence[Any]) -> Any:
    live = [t for t in terms if t is not None]
    if not live:
        return None
    total = live[0]
    for t in live[1:]:
        total = add(total, t)
    return total


def _mul(a: Any, b: Any) -> Any:
    return None if a is None or b is None else mul(a, b)


def _scale(c: float, a: Any) -> Any:
    return None if a is None else mul(c, a)


def _neg(a: Any) -> Any:
    return None if a is None else neg(a)


def _cauchy(x: _Coeffs, y: _Coeffs, k: int) -> Any:
    """Coefficient ``k`` of the product of the series ``x`` and ``y``."""
    return _sum([_mul(x[j], y[k - j]) for j in range(k + 1)])


def _weighted(x: _Coeffs, y: _Coeffs, k: int) -> Any:
    """``(1/k) sum_{j=1..k} j x_j y_{k-j}``: coefficient ``k`` of ``z`` with
    ``z' = x' y`` (exp, sin, cos, tanh, log1p...)."""
    return _scale(1.0 / k, _sum([_scale(float(j), _mul(x[j], y[k - j])) for j in range(1, k + 1)]))


def _solve(n_k: Any, u: _Coeffs, y: _Coeffs, k: int) -> Any:
    """Coefficient ``k`` of ``y`` with ``u y' = n'``, given ``n_k`` and
    ``u_0..u_{k-1}``, ``y_0..y_{k-1}``: ``k y_k u_0 = k n_k - sum_{j<k} j y_j
    u_{k-j}`` (log: ``u = n = x``; atan: ``n = x``, ``u = 1 + x^2``...)."""
    rest = _sum([_scale(float(j), _mul(y[j], u[k - j])) for j in range(1, k)])
    num = _sum([n_k, None if rest is None else mul(-1.0 / k, rest)])
    return None if num is None else div(num, u[0])


def _result(out: Any, coeffs: _Coeffs) -> _TaylorOut:
    shape = aval_of(out).shape
    if all(c is None for c in coeffs[1:]):
        return [out], [Zero(aval_of(out))]
    fixed = []
    for c in coeffs[1:]:
        if c is None:
            c = np.zeros(shape, aval_of(out).dtype)
        elif aval_of(c).shape != shape:
            c = sh.broadcast_to(c, shape)
        fixed.append(c)
    return [out], [fixed]


def _steps(step: _Step) -> RuleTemplate:
    """The rule of a unary primitive ``y = f(x)`` from ``y_k = step(x, y, k)``
    (``y_0`` is the primitive itself at ``x_0``)."""

    def make(prim: Primitive) -> Rule:
        def rule(primals: Sequence[Any], series: Sequence[Any], **params: Any) -> _TaylorOut:
            k = _order(series)
            x = _full(primals[0], series[0], k)
            y: _Coeffs = [bind(prim, primals[0], **params)]
            for i in range(1, k + 1):
                y.append(step(x, y, i))
            return _result(y[0], y)

        return rule

    return RuleTemplate(make)


def _steps2(step: Callable[[_Coeffs, _Coeffs, _Coeffs, int], Any]) -> RuleTemplate:
    """The rule of a binary primitive ``z = f(x, y)`` from ``z_k = step(x, y, z, k)``."""

    def make(prim: Primitive) -> Rule:
        def rule(primals: Sequence[Any], series: Sequence[Any], **params: Any) -> _TaylorOut:
            k = _order(series)
            x = _full(primals[0], series[0], k)
            y = _full(primals[1], series[1], k)
            z: _Coeffs = [bind(prim, primals[0], primals[1], **params)]
            for i in range(1, k + 1):
                z.append(step(x, y, z, i))
            return _result(z[0], z)

        return rule

    return RuleTemplate(make)


def _riccati(g0: Callable[[Any, Any], Any], g: Callable[[_Coeffs, int], Any]) -> RuleTemplate:
    """``y' = x' g`` with ``g`` a series grown from ``y``: ``g_0 = g0(x_0,
    y_0)``, ``g_i = g(y, i)`` once ``y_i`` is known (tanh: ``g = 1 - y^2``;
    tan: ``1 + y^2``; logistic has its own rule, for ``1 - y``'s accuracy)."""

    def make(prim: Primitive) -> Rule:
        def rule(primals: Sequence[Any], series: Sequence[Any]) -> _TaylorOut:
            k = _order(series)
            x = _full(primals[0], series[0], k)
            y: _Coeffs = [bind(prim, primals[0])]
            gs: _Coeffs = [g0(primals[0], y[0])]
            for i in range(1, k + 1):
                y.append(_weighted(x, gs, i))
                if i < k:
                    gs.append(g(y, i))
            return _result(y[0], y)

        return rule

    return RuleTemplate(make)


def _inverse(
    u_of: Callable[[_Coeffs, int], _Coeffs], sign: float = 1.0, *, nan_outside: bool = False
) -> RuleTemplate:
    """``y' = sign x' / u`` with ``u = u_of(x, K - 1)`` a series of ``x`` (the
    inverse functions: atan ``u = 1 + x^2``, asin ``sqrt(1 - x^2)``...).
    ``nan_outside``: ``u`` stays finite where the primitive is NaN (atanh
    at ``|x| > 1``), so ``0 * y_0`` is added to ``u_0`` to carry that NaN
    into every coefficient rather than a finite number."""

    def make(prim: Primitive) -> Rule:
        def rule(primals: Sequence[Any], series: Sequence[Any]) -> _TaylorOut:
            k = _order(series)
            x = _full(primals[0], series[0], k)
            u = u_of(x, k - 1)  # y_k needs u_0..u_{k-1}
            y: _Coeffs = [bind(prim, primals[0])]
            if nan_outside:
                u[0] = add(u[0], mul(0.0, y[0]))
            for i in range(1, k + 1):
                y.append(_solve(x[i] if sign > 0 else _neg(x[i]), u, y, i))
            return _result(y[0], y)

        return rule

    return RuleTemplate(make)


def _square_series(x: _Coeffs, k: int, c: float, first: Any) -> _Coeffs:
    """The series of ``1 + c x^2`` (``c = +-1``): ``first`` is its coefficient
    0, computed by the caller without cancellation (``(1 - x_0)(1 + x_0)``),
    then ``c (x^2)_i``."""
    return [first] + [_scale(c, _cauchy(x, x, i)) for i in range(1, k + 1)]


def _sqrt_series(a: _Coeffs, k: int) -> _Coeffs:
    """The series of ``sqrt(a)`` (``s^2 = a``)."""
    s: _Coeffs = [sqrt(a[0])]
    for i in range(1, k + 1):
        s.append(_sqrt_step(a, s, i))
    return s


# the unary steps: y_k from x_0..x_k and y_0..y_{k-1}


def _exp_step(x: _Coeffs, y: _Coeffs, k: int) -> Any:  # y' = x' y
    return _weighted(x, y, k)


def _log_step(x: _Coeffs, y: _Coeffs, k: int) -> Any:  # x y' = x'
    return _solve(x[k], x, y, k)


def _log1p_step(x: _Coeffs, y: _Coeffs, k: int) -> Any:  # (1 + x) y' = x'
    u = [add(1.0, x[0]), *x[1:]]
    return _log_step(u, y, k)


def _expm1_step(x: _Coeffs, y: _Coeffs, k: int) -> Any:  # y' = x' (1 + y)
    return _weighted(x, [add(1.0, y[0]), *y[1:]], k)


def _sqrt_step(x: _Coeffs, y: _Coeffs, k: int) -> Any:  # y^2 = x
    rest = _sum([_mul(y[j], y[k - j]) for j in range(1, k)])
    num = _sum([x[k], None if rest is None else neg(rest)])
    return None if num is None else div(num, mul(2.0, y[0]))


def _cbrt_rule(primals: Sequence[Any], series: Sequence[Any]) -> _TaylorOut:
    """``y^3 = x``: ``3 y^2 y' = x'``, with ``u = 3 y^2`` grown from ``y``
    (negative ``x`` included; at ``x = 0`` the derivative is infinite, as
    the JVP rule's ``1 / (3 y^2)`` says)."""
    k = _order(series)
    x = _full(primals[0], series[0], k)
    y: _Coeffs = [bind(cbrt_p, primals[0])]
    u: _Coeffs = [mul(3.0, mul(y[0], y[0]))]
    for i in range(1, k + 1):
        y.append(_solve(x[i], u, y, i))
        if i < k:
            u.append(_scale(3.0, _cauchy(y, y, i)))
    return _result(y[0], y)


def _one_minus_x_sq(x: _Coeffs, k: int) -> _Coeffs:
    return _square_series(x, k, -1.0, mul(sub(1.0, x[0]), add(1.0, x[0])))


def _one_plus_x_sq(x: _Coeffs, k: int) -> _Coeffs:
    return _square_series(x, k, 1.0, add(1.0, mul(x[0], x[0])))


def _sqrt_one_minus_x_sq(x: _Coeffs, k: int) -> _Coeffs:  # asin, acos
    return _sqrt_series(_one_minus_x_sq(x, k), k)


def _sqrt_one_plus_x_sq(x: _Coeffs, k: int) -> _Coeffs:  # asinh
    return _sqrt_series(_one_plus_x_sq(x, k), k)


def _acosh_u(x: _Coeffs, k: int) -> _Coeffs:
    """``sqrt(x - 1) sqrt(x + 1)``: ``sqrt(x^2 - 1)`` for real ``x > 1``, and
    the principal branch's derivative for complex ``x`` (as the JVP rule)."""
    lo = _sqrt_series([sub(x[0], 1.0), *x[1:]], k)
    hi = _sqrt_series([add(x[0], 1.0), *x[1:]], k)
    return [_cauchy(lo, hi, i) for i in range(k + 1)]


def _logistic_rule(primals: Sequence[Any], series: Sequence[Any]) -> _TaylorOut:
    """``y' = x' y s`` with ``s = 1 - y = logistic(-x)``: ``s_0`` is computed
    as ``logistic(-x_0)``, so no ``1 - y_0`` cancellation at ``x_0 >> 0``."""
    k = _order(series)
    x = _full(primals[0], series[0], k)
    y: _Coeffs = [logistic(primals[0])]
    s: _Coeffs = [logistic(neg(primals[0]))]
    g: _Coeffs = [mul(y[0], s[0])]
    for i in range(1, k + 1):
        y.append(_weighted(x, g, i))
        s.append(_neg(y[i]))
        if i < k:
            g.append(_cauchy(y, s, i))
    return _result(y[0], y)


def _pair(trig: bool, first: bool) -> Rule:
    """sin and cos (``trig``), or sinh and cosh, computed together:
    ``s' = x' c`` and ``c' = -x' s`` (trig) or ``c' = x' s``; the rule
    returns ``s`` when ``first``, else ``c``."""

    def rule(primals: Sequence[Any], series: Sequence[Any]) -> _TaylorOut:
        k = _order(series)
        x = _full(primals[0], series[0], k)
        s: _Coeffs = [(sin if trig else sinh)(primals[0])]
        c: _Coeffs = [(cos if trig else cosh)(primals[0])]
        for i in range(1, k + 1):
            s_i, c_i = _weighted(x, c, i), _weighted(x, s, i)
            s.append(s_i)
            c.append(neg(c_i) if trig and c_i is not None else c_i)
        return _result(s[0], s) if first else _result(c[0], c)

    return rule


def _neg_rule(primals: Sequence[Any], series: Sequence[Any]) -> _TaylorOut:
    return [neg(primals[0])], [[neg(c) for c in series[0]]]


def _abs_rule(primals: Sequence[Any], series: Sequence[Any]) -> _TaylorOut:
    """Real ``|x|``: the JVP rule's factor (``sign(x)``, +1 at 0) times each
    coefficient: exact away from 0, and at 0 the JVP rule's convention to
    every order, so ``|x|**2`` stays right there. A complex operand raises
    MissingRuleError (the JVP rule's cone tip at 0 has no series)."""
    (x,) = primals
    if _dtype_of(x).kind == "c":
        raise MissingRuleError(
            "primitive 'abs' has no taylor rule for complex operands (jet); "
            "use sqrt(real(z)**2 + imag(z)**2) away from 0"
        )
    sg = _abs_real_derivative(x)
    return [bind(abs_p, x)], [[mul(sg, c) for c in series[0]]]


# the binary rules


def _linear_binary(sign: float) -> Rule:
    def rule(primals: Sequence[Any], series: Sequence[Any]) -> _TaylorOut:
        k = _order(series)
        x = _full(primals[0], series[0], k)
        y = _full(primals[1], series[1], k)
        op = add if sign > 0 else sub
        coeffs: _Coeffs = [op(x[0], y[0])]
        for i in range(1, k + 1):
            a, b = x[i], y[i]
            if b is None:
                coeffs.append(a)
            elif a is None:
                coeffs.append(b if sign > 0 else neg(b))
            else:
                coeffs.append(op(a, b))
        return _result(coeffs[0], coeffs)

    return rule


def _mul_step(x: _Coeffs, y: _Coeffs, z: _Coeffs, k: int) -> Any:
    return _cauchy(x, y, k)


def _div_step(x: _Coeffs, y: _Coeffs, z: _Coeffs, k: int) -> Any:  # z y = x
    rest = _sum([_mul(y[j], z[k - j]) for j in range(1, k + 1)])
    num = _sum([x[k], None if rest is None else neg(rest)])
    return None if num is None else div(num, y[0])


def _pow_rule(primals: Sequence[Any], series: Sequence[Any]) -> _TaylorOut:
    """``x ** y = exp(y log x)`` (x > 0), through the log, mul and exp rules."""
    x, y = primals
    (lx,), (ls,) = log_p.taylor(  # type: ignore[misc]
        [x], [series[0]]
    )
    (p,), (ps,) = mul_p.taylor([y, lx], [series[1], ls])  # type: ignore[misc]
    _, out_series = exp_p.taylor([p], [ps])  # type: ignore[misc]
    return [pow(x, y)], out_series


def _extremum_rule(dx: Callable[[Any, Any, Any], Any]) -> RuleTemplate:
    """max/min: each coefficient weighted by the JVP rule's partials
    ``dx(out, x, y)`` and ``dx(out, y, x)``, piecewise constant: the winner's
    coefficients away from a tie, their mean at a tie (as nested JVPs give,
    so ``max(x, y) + min(x, y)`` stays right there), NaN for a NaN operand."""

    def make(prim: Primitive) -> Rule:
        def rule(primals: Sequence[Any], series: Sequence[Any]) -> _TaylorOut:
            x, y = primals
            k = _order(series)
            xs, ys = _full(x, series[0], k), _full(y, series[1], k)
            out = bind(prim, x, y)
            wx = None if isinstance(series[0], Zero) else dx(out, x, y)
            wy = None if isinstance(series[1], Zero) else dx(out, y, x)
            coeffs: _Coeffs = [out]
            for i in range(1, k + 1):
                coeffs.append(_sum([_mul(wx, xs[i]), _mul(wy, ys[i])]))
            return _result(coeffs[0], coeffs)

        return rule

    return RuleTemplate(make)


def _atan2_rule(primals: Sequence[Any], series: Sequence[Any]) -> _TaylorOut:
    """``z = atan2(a, b)``: ``(a^2 + b^2) z' = b a' - a b'``, whose right side
    has coefficient ``k - 1`` equal to ``k (w(a, b)_k - w(b, a)_k)`` with
    ``w = _weighted``."""
    a0, b0 = primals
    k = _order(series)
    a, b = _full(a0, series[0], k), _full(b0, series[1], k)
    d = [_sum([_cauchy(a, a, i), _cauchy(b, b, i)]) for i in range(k)]
    z: _Coeffs = [atan2(a0, b0)]
    for i in range(1, k + 1):
        n_i = _sum([_weighted(a, b, i), _neg(_weighted(b, a, i))])
        z.append(_solve(n_i, d, z, i))
    return _result(z[0], z)


def _rem_rule(primals: Sequence[Any], series: Sequence[Any]) -> _TaylorOut:
    """``rem(x, y) = x - n y`` with ``n = floor(x / y)`` constant along the
    curve: exact away from the jumps (where ``x / y`` is an integer), and
    the JVP rule's convention there. A NaN or zero ``y`` makes ``n`` NaN or
    infinite, and every coefficient NaN, as the remainder itself (``0 * n``
    is added to each)."""
    x0, y0 = primals
    k = _order(series)
    x, y = _full(x0, series[0], k), _full(y0, series[1], k)
    n = floor(div(x0, y0))
    guard = mul(0.0, n)
    coeffs: _Coeffs = [bind(rem_p, x0, y0)]
    for i in range(1, k + 1):
        coeffs.append(_sum([x[i], _neg(_mul(n, y[i])), guard]))
    return _result(coeffs[0], coeffs)


# the paragraphs below the tables


def _integer_pow_rule(primals: Sequence[Any], series: Sequence[Any], *, y: int) -> _TaylorOut:
    """``x ** n`` by repeated products (a reciprocal for negative ``n``)."""
    k = _order(series)
    x = _full(primals[0], series[0], k)
    z: _Coeffs = [np.ones(aval_of(primals[0]).shape, _dtype_of(primals[0]))] + [None] * k
    for _ in range(abs(y)):
        z = [_cauchy(z, x, i) for i in range(k + 1)]
    if y < 0:
        one: _Coeffs = [np.ones(aval_of(primals[0]).shape, _dtype_of(primals[0]))] + [None] * k
        r: _Coeffs = [div(1.0, z[0])]
        for i in range(1, k + 1):
            r.append(_div_step(one, z, r, i))
        z = r
    return _result(integer_pow(primals[0], y), z)


def _select_rule(primals: Sequence[Any], series: Sequence[Any]) -> _TaylorOut:
    """Coefficient-wise: the curve stays on the side its primal picks."""
    p, x, y = primals
    k = _order(series)
    xs = _full(x, series[1], k)
    ys = _full(y, series[2], k)
    coeffs: _Coeffs = [select(p, x, y)]
    for i in range(1, k + 1):
        a, b = xs[i], ys[i]
        coeffs.append(
            None
            if a is None and b is None
            else select(p, 0.0 if a is None else a, 0.0 if b is None else b)
        )
    return _result(coeffs[0], coeffs)


def _convert_rule(primals: Sequence[Any], series: Sequence[Any], *, new_dtype: Any) -> _TaylorOut:
    out = convert(primals[0], new_dtype)
    src = _dtype_of(primals[0])
    if np.dtype(new_dtype).kind not in "fc" or src.kind not in "fc":
        return [out], [Zero(aval_of(out))]
    return [out], [[convert(c, new_dtype) for c in series[0]]]


def _linear_unary(f: Callable[[Any], Any]) -> RuleTemplate:
    """A unary primitive linear over the reals (real, imag, conj): ``f``, its
    JVP, applied to each coefficient."""

    def make(prim: Primitive) -> Rule:
        def rule(primals: Sequence[Any], series: Sequence[Any]) -> _TaylorOut:
            return [bind(prim, primals[0])], [[f(c) for c in series[0]]]

        return rule

    return RuleTemplate(make)


# ---------------------------------------------------------------------------
# unary math: name, numpy impl, derivative(out, x), sample domain, taylor rule
# ---------------------------------------------------------------------------


def _unary(
    name: str,
    impl: Callable[..., Any],
    derivative: Callable[[Array, Array], Array] | None,
    domain: tuple[float, float] = (-2.0, 2.0),
    *,
    real_only: str = "",
    scalar: str | None = None,
    second_order: str = "nonlinear",
    taylor: Rule | RuleTemplate | None = None,
    lower: Rule | None = None,
) -> Primitive:
    """``real_only``: why a complex operand is refused (empty: accepted; a
    unary function with a derivative is then holomorphic, so one rule
    serves real and complex operands, see "complex numbers" below).
    ``second_order``: the structure of the second derivative for sparsity
    detection (``linear`` or ``nonlinear``, see
    ``funcdiff.interpreters.sparsity.elementwise``).
    ``scalar``: the Python-float expression for jit (``emit_scalar``).
    ``taylor``: the Taylor-mode rule (a zero-derivative primitive gets
    its own from ``def_zero_derivative``).
    ``lower``: the JAX lowering, for an ``impl`` that is not a numpy ufunc
    (a ufunc's comes from ``def_ufunc_rules``)."""
    prim = Primitive(name, taylor=taylor, lower_jax=lower)
    prim.impl = impl
    def_ufunc_rules(prim, impl)
    prim.emit_scalar = scalar

    def abstract_eval(x: ShapedArray) -> ShapedArray:
        if derivative is not None and not is_float(x):
            raise DTypeError(f"{name}: needs a floating-point operand, got {x.str_short()}")
        if real_only:
            _no_complex(name, (x,), real_only)
        return x

    prim.abstract_eval = abstract_eval
    if derivative is None:
        def_zero_derivative(prim)
    else:
        d = derivative

        @list_form
        def jvp(primals: Sequence[Any], tangents: Sequence[Any], outs: Sequence[Any]) -> list[Any]:
            return [mul(tangents[0], d(outs[0], primals[0]))]

        @list_form
        def vjp(
            cts: Sequence[Any], primals: Sequence[Any], outs: Sequence[Any], needs: Sequence[bool]
        ) -> list[Any]:
            return [mul(cts[0], d(outs[0], primals[0]))]

        prim.jvp = jvp
        prim.vjp = vjp
        prim.sparsity = spd.elementwise(second_order)
    prim.batch = lambda args, dims: (bind(prim, *args), dims[0])
    prim.samples = _float_samples(*domain, nargs=1)
    return prim


def _one_minus_sq(v: Array) -> Array:
    return sub(1.0, mul(v, v))


def _acosh_derivative(x: Array) -> Array:
    # 1 / sqrt(x^2 - 1) for real x > 1; for complex z the principal branch
    # of acosh has derivative 1 / (sqrt(z - 1) sqrt(z + 1)), which is
    # -1 / sqrt(z^2 - 1) where Re z < 0
    if _dtype_of(x).kind == "c":
        return mul(rsqrt(sub(x, 1.0)), rsqrt(add(x, 1.0)))
    return rsqrt(sub(mul(x, x), 1.0))


neg_p = _unary(
    "neg",
    np.negative,
    lambda out, x: -1.0,
    scalar="(-{0})",
    second_order="linear",
    taylor=_neg_rule,
)
exp_p = _unary("exp", np.exp, lambda out, x: out, scalar="_m.exp({0})", taylor=_steps(_exp_step))
log_p = _unary(
    "log",
    np.log,
    lambda out, x: div(1.0, x),
    (0.2, 3.0),
    scalar="_m.log({0})",
    taylor=_steps(_log_step),
)
log1p_p = _unary(
    "log1p",
    np.log1p,
    lambda out, x: div(1.0, add(x, 1.0)),
    (-0.5, 3.0),
    scalar="_m.log1p({0})",
    taylor=_steps(_log1p_step),
)
expm1_p = _unary(
    "expm1",
    np.expm1,
    lambda out, x: add(out, 1.0),
    scalar="_m.expm1({0})",
    taylor=_steps(_expm1_step),
)
sqrt_p = _unary(
    "sqrt",
    np.sqrt,
    lambda out, x: div(0.5, out),
    (0.2, 3.0),
    scalar="_m.sqrt({0})",
    taylor=_steps(_sqrt_step),
)
cbrt_p = _unary(
    "cbrt",
    np.cbrt,
    lambda out, x: div(1.0, mul(3.0, mul(out, out))),
    (0.2, 3.0),
    real_only="numpy has no complex cbrt; use power(z, 1/3) for the principal root",
    taylor=_cbrt_rule,
)
sin_p = _unary(
    "sin", np.sin, lambda out, x: cos(x), scalar="_m.sin({0})", taylor=_pair(trig=True, first=True)
)
cos_p = _unary(
    "cos",
    np.cos,
    lambda out, x: neg(sin(x)),
    scalar="_m.cos({0})",
    taylor=_pair(trig=True, first=False),
)
tan_p = _unary(
    "tan",
    np.tan,
    lambda out, x: add(1.0, mul(out, out)),
    (-1.2, 1.2),
    scalar="_m.tan({0})",
    taylor=_riccati(lambda x, y: add(1.0, mul(y, y)), lambda y, i: _cauchy(y, y, i)),
)
asin_p = _unary(
    "asin",
    np.arcsin,
    lambda out, x: rsqrt(_one_minus_sq(x)),
    (-0.9, 0.9),
    scalar="_m.asin({0})",
    taylor=_inverse(_sqrt_one_minus_x_sq),
)
acos_p = _unary(
    "acos",
    np.arccos,
    lambda out, x: neg(rsqrt(_one_minus_sq(x))),
    (-0.9, 0.9),
    scalar="_m.acos({0})",
    taylor=_inverse(_sqrt_one_minus_x_sq, sign=-1.0),
)
atan_p = _unary(
    "atan",
    np.arctan,
    lambda out, x: div(1.0, add(1.0, mul(x, x))),
    scalar="_m.atan({0})",
    taylor=_inverse(_one_plus_x_sq),
)
sinh_p = _unary(
    "sinh",
    np.sinh,
    lambda out, x: cosh(x),
    scalar="_m.sinh({0})",
    taylor=_pair(trig=False, first=True),
)
cosh_p = _unary(
    "cosh",
    np.cosh,
    lambda out, x: sinh(x),
    scalar="_m.cosh({0})",
    taylor=_pair(trig=False, first=False),
)
tanh_p = _unary(
    "tanh",
    np.tanh,
    lambda out, x: _one_minus_sq(out),
    scalar="_m.tanh({0})",
    taylor=_riccati(lambda x, y: sub(1.0, mul(y, y)), lambda y, i: _neg(_cauchy(y, y, i))),
)
asinh_p = _unary(
    "asinh",
    np.arcsinh,
    lambda out, x: rsqrt(add(mul(x, x), 1.0)),
    scalar="_m.asinh({0})",
    taylor=_inverse(_sqrt_one_plus_x_sq),
)
acosh_p = _unary(
    "acosh",
    np.arccosh,
    lambda out, x: _acosh_derivative(x),
    (1.2, 3.0),
    scalar="_m.acosh({0})",
    taylor=_inverse(_acosh_u),
)
atanh_p = _unary(
    "atanh",
    np.arctanh,
    lambda out, x: div(1.0, _one_minus_sq(x)),
    (-0.9, 0.9),
    scalar="_m.atanh({0})",
    taylor=_inverse(_one_minus_x_sq, nan_outside=True),
)
# d|x| = sign(x) with sign(0) taken as +1 (JAX's choice): |x|**2, hypot(x, 1)
# and every g(|x|) that is smooth get their derivatives right at 0, to any
# order (the second derivative of |x| is 0, also at 0). NaN stays NaN. The
# rules (real and complex operands) are under "complex numbers" below.
abs_p = _unary(
    "abs",
    np.abs,
    lambda out, x: _abs_real_derivative(x),
    (0.2, 2.0),
    scalar="abs({0})",
    taylor=_abs_rule,
)


# logistic(x) = 1 / (1 + exp(-x)), computed without overflow for any x.
# For real x, e = exp(-|x|) <= 1: 1 / (1 + e) for x >= 0 and e / (1 + e)
# below, each accurate to rounding (no 1 - tiny cancellation as in
# 0.5 tanh(x/2) + 0.5, which loses all digits of logistic(-40)). The
# derivative is logistic(x) logistic(-x), not out (1 - out), for the same
# reason at x >> 0.
def _logistic(x: Array) -> Array:
    x = np.asarray(x)
    if x.dtype.kind == "c":
        half = x.dtype.type(0.5)
        return half * np.tanh(half * x) + half
    one = x.dtype.type(1)  # dtype scalars: numpy 1.x makes 0-d float32 float64
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, one / (one + e), e / (one + e))[()]


logistic_p = _unary(
    "logistic",
    _logistic,
    lambda out, x: mul(out, logistic(neg(x))),
    (-4.0, 4.0),
    taylor=_logistic_rule,
    lower=lambda ctx, x: ctx.lax.logistic(x),
)
sign_p = _unary(
    "sign",
    np.sign,
    None,
    real_only="z/|z| is not piecewise constant, so not this zero-derivative primitive; "
    "funcdiff.numpy.sign computes it with its derivative",
)
sign_p.slow_in_place = True  # (numpy's sign in place: a branchy loop, 5x slower)
floor_p = _unary("floor", np.floor, None, real_only="numpy has no complex floor either")
ceil_p = _unary("ceil", np.ceil, None, real_only="numpy has no complex ceil either")
round_p = _unary("round", np.round, None, lower=lambda ctx, x: ctx.jnp.round(x))
isfinite_p = _unary("isfinite", np.isfinite, None, scalar="_m.isfinite({0})")
isnan_p = _unary("isnan", np.isnan, None, scalar="({0} != {0})")
not_p = _unary("not", np.logical_not, None, scalar="(not {0})")
for _p in (isfinite_p, isnan_p, not_p):
    _p.abstract_eval = lambda x: ShapedArray(x.shape, np.bool_)

# ---------------------------------------------------------------------------
# integer_pow: x ** n for a Python integer n (exact for negative x)
# ---------------------------------------------------------------------------

integer_pow_p = Primitive("integer_pow", taylor=_integer_pow_rule)


def _integer_pow_impl(x: Array, *, y: int) -> Array:
    if y == 2:
        return np.square(x)
    return np.power(x, y) if y >= 0 else np.power(x, float(y)).astype(x.dtype, copy=False)


def _integer_pow_derivative(x: Array, y: int) -> Array:
    if y == 0:
        return 0.0
    if y == 1:
        return 1.0
    if y == 2:
        return mul(2.0, x)
    return mul(float(y), integer_pow(x, y - 1))


integer_pow_p.impl = _integer_pow_impl
integer_pow_p.emit = lambda x, *, y: (
    f"np.square({x})"
    if y == 2
    else f"np.power({x}, {y})"
    if y >= 0
    else f"np.power({x}, {float(y)})"
)
integer_pow_p.emit_out = lambda x, *, y, out: (
    f"np.square({x}, out={out})"
    if y == 2
    else f"np.power({x}, {y}, out={out})"
    if y >= 0
    else f"np.power({x}, {float(y)}, out={out})"
)
# a negative power of a Python float would raise where numpy gives inf: no scalar form
integer_pow_p.emit_scalar = lambda x, *, y: f"({x} ** {int(y)})" if y >= 0 else None
integer_pow_p.abstract_eval = lambda x, *, y: x
integer_pow_p.jvp = lambda primals, tangents, out, *, y: mul(
    tangents[0], _integer_pow_derivative(primals[0], y)
)
integer_pow_p.vjp = lambda ct, primals, out, needs, *, y: [
    mul(ct, _integer_pow_derivative(primals[0], y))
]
integer_pow_p.batch = lambda args, dims, *, y: (integer_pow(args[0], y), dims[0])
integer_pow_p.sparsity = spd.integer_pow_rule
integer_pow_p.lower_jax = lambda ctx, x, *, y: ctx.lax.integer_pow(x, y)
integer_pow_p.samples = lambda rng: [
    ((rng.uniform(-2, 2, (3,)),), {"y": n}) for n in (0, 1, 2, 3, -2)
]


# ---------------------------------------------------------------------------
# binary arithmetic: name, numpy impl, d/dx(out, x, y), d/dy(out, x, y), taylor rule
# ---------------------------------------------------------------------------


def _binary(
    name: str,
    impl: Callable[..., Any],
    dx: Callable[[Array, Array, Array], Array] | None,
    dy: Callable[[Array, Array, Array], Array] | None,
    *,
    out_dtype: Any = None,
    domain: tuple[float, float] = (-2.0, 2.0),
    zero_derivative: bool = False,
    real_only: bool = False,
    scalar: str | None = None,
    second_order: str = "nonlinear",
    taylor: Rule | RuleTemplate | None = None,
) -> Primitive:
    """``second_order``: the structure of the second derivative for sparsity
    detection (see ``funcdiff.interpreters.sparsity.elementwise``).
    ``taylor``: the Taylor-mode rule (see ``_unary``)."""
    prim = Primitive(name, taylor=taylor)
    prim.impl = impl
    def_ufunc_rules(prim, impl)
    prim.emit_scalar = scalar

    def abstract_eval(x: ShapedArray, y: ShapedArray) -> ShapedArray:
        if real_only:
            _no_complex(name, (x, y))
        dt = _same_dtype(name, (x, y))
        shape = broadcast_avals(name, (x, y))
        return ShapedArray(shape, dt if out_dtype is None else out_dtype)

    prim.abstract_eval = abstract_eval
    prim.batch = elementwise_batch(prim)
    prim.samples = _float_samples(*domain, nargs=2)
    if zero_derivative:
        def_zero_derivative(prim)
        return prim
    prim.sparsity = spd.elementwise(second_order)
    partials = (dx, dy)

    @list_form
    def jvp(primals: Sequence[Any], tangents: Sequence[Any], outs: Sequence[Any]) -> list[Any]:
        x, y = primals
        (out,) = outs
        total: Any = None
        for d, t in zip(partials, tangents, strict=True):
            if isinstance(t, Zero) or d is None:
                continue
            g = d(out, x, y)
            term = t if g is _ONE else neg(t) if g is _MINUS_ONE else mul(t, g)
            total = term if total is None else add(total, term)
        if total is None:
            return [Zero(aval_of(out))]
        shape = aval_of(out).shape
        return [total if aval_of(total).shape == shape else sh.broadcast_to(total, shape)]

    @list_form
    def vjp(
        cts: Sequence[Any], primals: Sequence[Any], outs: Sequence[Any], needs: Sequence[bool]
    ) -> list[Any]:
        x, y = primals
        (ct,) = cts
        (out,) = outs
        res: list[Any] = []
        for d, need, operand in zip(partials, needs, primals, strict=True):
            if not need or d is None:
                res.append(zero_of(operand))
                continue
            g = d(out, x, y)
            c = ct if g is _ONE else neg(ct) if g is _MINUS_ONE else mul(ct, g)
            res.append(unbroadcast(c, aval_of(operand).shape))
        return res

    prim.jvp = jvp
    prim.vjp = vjp
    return prim


class _Const:
    """Marker partials: the derivative is exactly +1 or -1 (no multiply)."""


_ONE = _Const()
_MINUS_ONE = _Const()


def _may_be_zero(v: Array) -> bool:
    """False when ``v`` is a concrete array with no zero entry (the general,
    select-guarded form of a rule is then not needed)."""
    return isinstance(v, Tracer) or bool(np.any(np.asarray(v) == 0))


def _pow_dx(out: Array, x: Array, y: Array) -> Array:
    # y * x**(y-1). The formula fails at one point only, x == y == 0 (0 * 0**-1
    # = 0 * inf); there the derivative of x**0 = 1 is 0. Only that point is
    # replaced, and the formula there sees x = 1 so its own derivatives stay
    # finite: at a traced y == 0 with x != 0 the formula is kept, so its
    # derivative in y (1/x: the mixed second derivative of x**y) is not lost.
    if not (_may_be_zero(x) and _may_be_zero(y)):
        return mul(y, pow(x, sub(y, 1.0)))
    if isinstance(y, Tracer):
        bad = logical_and(eq(x, 0.0), eq(y, 0.0))
    else:
        # A constant exponent 0 makes x**y constant in x: its derivative is 0
        # at every x, and so are all its derivatives in x. Replacing every x
        # there (not only x == 0) keeps x**-2 from overflowing to 0 * inf at
        # tiny x in the second derivative.
        bad = np.asarray(y) == 0
    safe_x = select(bad, 1.0, x)
    return select(bad, 0.0, mul(y, pow(safe_x, sub(y, 1.0))))


def _pow_dy(out: Array, x: Array, y: Array) -> Array:
    # log(x) * x**y, with the log taken at 1 where x == 0: there the derivative
    # is 0 (0**y is constant in y for y > 0; JAX's convention for y <= 0 too).
    # x < 0 gives NaN: x**y is not real for non-integer y, so no derivative in y.
    if not _may_be_zero(x):
        return mul(log(x), out)
    return mul(log(select(eq(x, 0.0), 1.0, x)), out)


def _max_dx(out: Array, x: Array, y: Array) -> Array:
    # 1 where x > y, 0 where x < y, and ties split evenly as JAX does:
    # (1 + sign(x - y)) / 2 in three passes (NaN in gives NaN out)
    dt = _dtype_of(x)
    if dt.kind == "c":  # numpy's lexicographic order
        return add(convert(gt(x, y), dt), mul(0.5, convert(eq(x, y), dt)))
    return add(0.5, mul(0.5, sign(sub(x, y))))


def _min_dx(out: Array, x: Array, y: Array) -> Array:
    dt = _dtype_of(x)
    if dt.kind == "c":
        return add(convert(lt(x, y), dt), mul(0.5, convert(eq(x, y), dt)))
    return sub(0.5, mul(0.5, sign(sub(x, y))))


add_p = _binary(
    "add",
    np.add,
    lambda o, x, y: _ONE,
    lambda o, x, y: _ONE,
    scalar="({0} + {1})",
    second_order="linear",
    taylor=_linear_binary(1.0),
)
sub_p = _binary(
    "sub",
    np.subtract,
    lambda o, x, y: _ONE,
    lambda o, x, y: _MINUS_ONE,
    scalar="({0} - {1})",
    second_order="linear",
    taylor=_linear_binary(-1.0),
)
mul_p = _binary(
    "mul",
    np.multiply,
    lambda o, x, y: y,
    lambda o, x, y: x,
    scalar="({0} * {1})",
    second_order="bilinear",
    taylor=_steps2(_mul_step),
)
div_p = _binary(
    "div",
    np.divide,
    lambda o, x, y: div(1.0, y),
    lambda o, x, y: neg(div(o, y)),
    domain=(0.5, 2.0),
    scalar="({0} / {1})",
    second_order="quotient",
    taylor=_steps2(_div_step),
)
pow_p = _binary(
    "pow",
    np.power,
    _pow_dx,
    _pow_dy,
    domain=(0.5, 2.0),
    scalar="_pow({0}, {1})",
    taylor=_pow_rule,
)
# max/min at a tie: the derivative is split evenly (JAX's choice), so
# max(x, y) + min(x, y), maximum(x, x) and maximum(x, 0) - maximum(-x, 0) are
# right at the tie; no linear choice can also make second derivatives of
# products like max(x, y) * min(x, y) right there (see docs/conventions.md).
max_p = _binary(
    "max",
    np.maximum,
    _max_dx,
    lambda o, x, y: _max_dx(o, y, x),
    second_order="piecewise",
    taylor=_extremum_rule(_max_dx),
)
min_p = _binary(
    "min",
    np.minimum,
    _min_dx,
    lambda o, x, y: _min_dx(o, y, x),
    second_order="piecewise",
    taylor=_extremum_rule(_min_dx),
)
atan2_p = _binary(
    "atan2",
    np.arctan2,
    lambda o, x, y: div(y, add(mul(x, x), mul(y, y))),
    lambda o, x, y: neg(div(x, add(mul(x, x), mul(y, y)))),
    domain=(0.5, 2.0),
    real_only=True,
    scalar="_m.atan2({0}, {1})",
    taylor=_atan2_rule,
)
rem_p = _binary(
    "rem",
    np.remainder,
    lambda o, x, y: _ONE,
    lambda o, x, y: neg(floor(div(x, y))),
    domain=(0.5, 2.0),
    real_only=True,
    second_order="piecewise",  # x - y floor(x / y), floor piecewise constant
    taylor=_rem_rule,
)
floor_divide_p = _binary(
    "floor_divide", np.floor_divide, None, None, zero_derivative=True, real_only=True
)

eq_p = _binary(
    "eq", np.equal, None, None, out_dtype=np.bool_, zero_derivative=True, scalar="({0} == {1})"
)
ne_p = _binary(
    "ne", np.not_equal, None, None, out_dtype=np.bool_, zero_derivative=True, scalar="({0} != {1})"
)
lt_p = _binary(
    "lt", np.less, None, None, out_dtype=np.bool_, zero_derivative=True, scalar="({0} < {1})"
)
le_p = _binary(
    "le", np.less_equal, None, None, out_dtype=np.bool_, zero_derivative=True, scalar="({0} <= {1})"
)
gt_p = _binary(
    "gt", np.greater, None, None, out_dtype=np.bool_, zero_derivative=True, scalar="({0} > {1})"
)
ge_p = _binary(
    "ge",
    np.greater_equal,
    None,
    None,
    out_dtype=np.bool_,
    zero_derivative=True,
    scalar="({0} >= {1})",
)
and_p = _binary(
    "and",
    np.logical_and,
    None,
    None,
    out_dtype=np.bool_,
    zero_derivative=True,
    scalar="(bool({0}) and bool({1}))",
)
or_p = _binary(
    "or",
    np.logical_or,
    None,
    None,
    out_dtype=np.bool_,
    zero_derivative=True,
    scalar="(bool({0}) or bool({1}))",
)
xor_p = _binary(
    "xor",
    np.logical_xor,
    None,
    None,
    out_dtype=np.bool_,
    zero_derivative=True,
    scalar="(bool({0}) != bool({1}))",
)


# ---------------------------------------------------------------------------
# bitwise operations on integers (and booleans): numpy's ufuncs, zero derivative
# (integer outputs); a float operand is refused as numpy refuses it
# ---------------------------------------------------------------------------


def _int_samples(nargs: int, high: int) -> Callable[[np.random.Generator], Samples]:
    shapes: list[list[tuple[int, ...]]] = (
        [[(3,)], [(2, 3)], [()]] if nargs == 1 else [[(3,), (3,)], [(2, 3), (3,)]]
    )

    def samples(rng: np.random.Generator) -> Samples:
        return [(tuple(rng.integers(0, high, s) for s in shp), {}) for shp in shapes]

    return samples


def _popcount(x: np.ndarray) -> np.ndarray:
    """numpy 2's ``bitwise_count`` (the set bits of ``|x|``), also on numpy 1.x."""
    if hasattr(np, "bitwise_count"):
        out: np.ndarray = np.bitwise_count(x)
        return out
    a = np.abs(np.asarray(x)).astype(np.asarray(x).dtype.newbyteorder("<"), copy=False)
    bits = np.unpackbits(np.ascontiguousarray(a).view(np.uint8).reshape(*a.shape, -1), axis=-1)
    counted: np.ndarray = bits.sum(axis=-1, dtype=np.uint8)
    return counted


def _bitwise(name: str, impl: Callable[..., Any], nargs: int, kinds: str) -> Primitive:
    prim = Primitive(name)
    prim.impl = impl
    def_ufunc_rules(prim, impl)
    what = "integers or booleans" if "b" in kinds else "integers"

    def abstract_eval(*avals: ShapedArray) -> ShapedArray:
        for a in avals:
            if a.dtype.kind not in kinds:
                raise DTypeError(
                    f"{name}: operands must be {what}, got {a.str_short()} (numpy's "
                    f"{name} is not defined for {a.dtype} either)"
                )
        dt = _same_dtype(name, avals)
        shape = broadcast_avals(name, avals) if nargs == 2 else avals[0].shape
        return ShapedArray(shape, np.dtype(np.uint8) if name == "bitwise_count" else dt)

    prim.abstract_eval = abstract_eval
    prim.batch = elementwise_batch(prim)
    prim.samples = _int_samples(nargs, 5 if "shift" in name else 64)
    def_zero_derivative(prim)
    return prim


bitwise_and_p = _bitwise("bitwise_and", np.bitwise_and, 2, "iub")
bitwise_or_p = _bitwise("bitwise_or", np.bitwise_or, 2, "iub")
bitwise_xor_p = _bitwise("bitwise_xor", np.bitwise_xor, 2, "iub")
invert_p = _bitwise("invert", np.invert, 1, "iub")
left_shift_p = _bitwise("left_shift", np.left_shift, 2, "iu")
right_shift_p = _bitwise("right_shift", np.right_shift, 2, "iu")
bitwise_count_p = _bitwise("bitwise_count", _popcount, 1, "iu")
bitwise_count_p.lower_jax = lambda ctx, x: ctx.jnp.bitwise_count(x)

# ---------------------------------------------------------------------------
# select(pred, on_true, on_false): numpy's where
# ---------------------------------------------------------------------------

select_p = Primitive("select", taylor=_select_rule)
select_p.impl = np.where
select_p.emit = lambda p, x, y: f"np.where({p}, {x}, {y})"
select_p.emit_scalar = "({1} if {0} else {2})"
select_p.lower_jax = lambda ctx, p, x, y: ctx.jnp.where(p, x, y)


def _select_abstract_eval(p: ShapedArray, x: ShapedArray, y: ShapedArray) -> ShapedArray:
    if p.dtype != np.bool_:
        raise DTypeError(f"select: the predicate must be bool, got {p.str_short()}")
    dt = _same_dtype("select", (x, y))
    return ShapedArray(broadcast_avals("select", (p, x, y)), dt)


def _select_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any) -> Any:
    p, _x, _y = primals
    _, tx, ty = tangents
    if isinstance(tx, Zero) and isinstance(ty, Zero):
        return Zero(aval_of(out))
    tx = 0.0 if isinstance(tx, Zero) else tx
    ty = 0.0 if isinstance(ty, Zero) else ty
    t = select(p, tx, ty)
    shape = aval_of(out).shape
    return t if aval_of(t).shape == shape else sh.broadcast_to(t, shape)


def _select_vjp(ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool]) -> list[Any]:
    p, x, y = primals
    return [
        zero_of(p),
        unbroadcast(select(p, ct, 0.0), aval_of(x).shape) if needs[1] else zero_of(x),
        unbroadcast(select(p, 0.0, ct), aval_of(y).shape) if needs[2] else zero_of(y),
    ]


select_p.abstract_eval = _select_abstract_eval
select_p.jvp = _select_jvp
select_p.vjp = _select_vjp
select_p.batch = elementwise_batch(select_p)
select_p.sparsity = spd.elementwise("linear", operands=(1, 2))
select_p.samples = lambda rng: [
    ((rng.uniform(size=(3,)) > 0.5, rng.normal(size=(3,)), rng.normal(size=(3,))), {}),
    ((rng.uniform(size=(2, 3)) > 0.5, rng.normal(size=(3,)), rng.normal(size=())), {}),
]


# ---------------------------------------------------------------------------
# convert_element_type
# ---------------------------------------------------------------------------

convert_element_type_p = Primitive("convert_element_type", taylor=_convert_rule)
convert_element_type_p.impl = lambda x, *, new_dtype: np.asarray(x)[()].astype(new_dtype)
convert_element_type_p.abstract_eval = lambda x, *, new_dtype: ShapedArray(x.shape, new_dtype)
# (complex to real keeps the real part, as numpy's astype does)
convert_element_type_p.lower_jax = lambda ctx, x, *, new_dtype: ctx.lax.convert_element_type(
    x, new_dtype
)


def _convert_jvp(
    primals: Sequence[Any], tangents: Sequence[Any], out: Any, *, new_dtype: Any
) -> Any:
    (t,) = tangents
    src = _dtype_of(primals[0])
    if np.dtype(new_dtype).kind not in "fc" or src.kind not in "fc":
        return Zero(aval_of(out))
    if src.kind == "c" and np.dtype(new_dtype).kind == "f":  # numpy keeps the real part
        t = real(t)
    return convert(t, new_dtype)


def _convert_vjp(
    ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool], *, new_dtype: Any
) -> list[Any]:
    src = _dtype_of(primals[0])
    if np.dtype(new_dtype).kind not in "fc" or src.kind not in "fc":
        return [zero_of(primals[0])]
    if src.kind == "f" and np.dtype(new_dtype).kind == "c":
        # the transpose of embedding the reals in the complex plane is the
        # real part: this is where the cotangent of every real value that
        # met complex numbers is projected back (funcdiff.numpy promotes by
        # convert_element_type, and primitives take operands of one dtype,
        # so every real-to-complex step passes here)
        ct = real(ct)
    return [convert(ct, src)]


convert_element_type_p.sparsity = spd.identity_rule
convert_element_type_p.jvp = _convert_jvp
convert_element_type_p.vjp = _convert_vjp
convert_element_type_p.batch = lambda args, dims, *, new_dtype: (
    convert(args[0], new_dtype),
    dims[0],
)
convert_element_type_p.samples = lambda rng: [
    ((rng.normal(size=(3,)),), {"new_dtype": np.dtype(np.float32)}),
    ((rng.normal(size=(2, 2)).astype(np.float32),), {"new_dtype": np.dtype(np.float64)}),
]


# ---------------------------------------------------------------------------
# stop_gradient: the identity, with a zero derivative
# ---------------------------------------------------------------------------

stop_gradient_p = Primitive("stop_gradient")
# a copy, so jit's in-place buffer reuse can never change the result through an alias
stop_gradient_p.impl = lambda x: np.array(x, copy=True)
stop_gradient_p.abstract_eval = lambda x: x
stop_gradient_p.lower_jax = lambda ctx, x: ctx.lax.stop_gradient(x)
def_zero_derivative(stop_gradient_p)
stop_gradient_p.batch = lambda args, dims: (bind(stop_gradient_p, args[0]), dims[0])
stop_gradient_p.samples = lambda rng: [
    ((rng.normal(size=(3,)),), {}),
    ((rng.normal(size=(2, 3)),), {}),
    ((np.float64(rng.normal()),), {}),
]


def stop_gradient(x: Any) -> Any:
    """``x`` unchanged, treated as a constant by every derivative (any pytree).

    >>> import funcdiff as fd
    >>> float(fd.grad(lambda x: x * stop_gradient(x))(3.0))
    3.0
    """

    def leaf(v: Any) -> Any:
        return bind(stop_gradient_p, v) if isinstance(v, Tracer) else np.asarray(v)

    return tree_map(leaf, x)


# ---------------------------------------------------------------------------
# complex numbers
# ---------------------------------------------------------------------------
# The convention is JAX's. A complex number is a pair of reals; a cotangent
# pairs with a tangent through the real bilinear form <a, b> = Re(sum(a * b))
# (no conjugation), and the VJP of a map is its transpose for that pairing.
# So a holomorphic primitive (t -> f'(z) t: exp, log, sin, mul, div, pow...)
# has the VJP ct -> ct f'(z), the same multiplication as its JVP, and the
# rules above serve real and complex operands alike. For f: C -> R, grad
# gives the conjugate of the direction of steepest ascent (grad |z|^2 at z
# is 2 conj(z)). The primitives below are not holomorphic and have their
# own rules: real, imag, conj, abs of a complex number, and the real <->
# complex conversions (convert_element_type above).


def real_dtype(dt: Any) -> np.dtype[Any]:
    """float32 for complex64, float64 for complex128 (and any real dtype itself)."""
    dt = np.dtype(dt)
    return np.dtype(f"f{dt.itemsize // 2}") if dt.kind == "c" else dt


def complex_dtype(dt: Any) -> np.dtype[Any]:
    """complex64 for float32 (and complex64), complex128 otherwise."""
    return np.result_type(np.dtype(dt), np.complex64)


def _complex_only(name: str) -> Callable[[ShapedArray], ShapedArray]:
    def check(x: ShapedArray) -> ShapedArray:
        if x.dtype.kind != "c":
            raise DTypeError(
                f"{name}: needs a complex operand, got {x.str_short()} "
                f"(funcdiff.numpy.{name} also takes real arrays)"
            )
        return x

    return check


def _complex_samples(rng: np.random.Generator) -> Samples:
    def c(*shape: int) -> np.ndarray:
        return rng.normal(size=shape) + 1j * rng.normal(size=shape)

    return [((c(3),), {}), ((c(2, 3),), {}), ((c().astype(np.complex64),), {})]


def _unary_complex(
    name: str,
    impl: Callable[[Any], Any],
    out_dtype: Callable[[Any], Any],
    jvp: Callable[[Any], Any],
    vjp: Callable[[Any, Any], Any],
    lower: Rule | None = None,
) -> Primitive:
    """A unary primitive on complex operands that is linear over the reals:
    ``jvp(t)`` applies it, ``vjp(ct, x_dtype)`` its transpose; its Taylor
    rule applies ``jvp`` to each coefficient."""
    prim = Primitive(name, taylor=_linear_unary(jvp), lower_jax=lower)
    prim.impl = impl
    check = _complex_only(name)
    prim.abstract_eval = lambda x: ShapedArray(check(x).shape, out_dtype(x.dtype))
    prim.jvp = lambda primals, tangents, out: jvp(tangents[0])
    prim.vjp = lambda ct, primals, out, needs: [vjp(ct, _dtype_of(primals[0]))]
    prim.batch = lambda args, dims: (bind(prim, args[0]), dims[0])
    prim.samples = _complex_samples
    prim.sparsity = spd.elementwise("linear")
    return prim


# real and imag copy: np.real/np.imag return views, and results are the user's
real_p = _unary_complex(
    "real",
    lambda x: np.real(x)[()].copy(),
    real_dtype,
    lambda t: real(t),
    # Re(g t) = ct Re(t) for g = ct
    lambda ct, dt: convert(ct, dt),
    lambda ctx, x: ctx.jnp.real(x),
)
imag_p = _unary_complex(
    "imag",
    lambda x: np.imag(x)[()].copy(),
    real_dtype,
    lambda t: imag(t),
    # Re(g t) = ct Im(t) for g = -i ct
    lambda ct, dt: mul(convert(ct, dt), -1j),
    lambda ctx, x: ctx.jnp.imag(x),
)
conj_p = _unary_complex(
    "conj",
    np.conjugate,
    lambda dt: dt,
    lambda t: conj(t),
    # Re(g t) = Re(ct conj(t)) for g = conj(ct)
    lambda ct, dt: conj(ct),
)
def_ufunc_rules(conj_p, np.conjugate)

# abs of a complex number: real output, derivative Re(conj(z) t) / |z|


def _abs_abstract_eval(x: ShapedArray) -> ShapedArray:
    if not is_float(x):
        raise DTypeError(f"abs: needs a floating-point operand, got {x.str_short()}")
    return ShapedArray(x.shape, real_dtype(x.dtype))


def _abs_complex_factor(x: Array, out: Array) -> Array:
    """conj(z) / |z|: d|z| = Re(factor * t). At z = 0 (the tip of a cone, as
    for linalg.norm) it is 0 with a NaN derivative: conj(z) sqrt(|z|) there."""
    dt = _dtype_of(x)
    zero = eq(out, 0.0)
    far = div(conj(x), convert(select(zero, 1.0, out), dt))
    near = mul(conj(x), convert(sqrt(out), dt))
    return select(zero, near, far)


def _abs_real_derivative(x: Array) -> Array:
    return select(eq(x, 0.0), 1.0, sign(x))


def _abs_jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any) -> Any:
    (x,), (t,) = primals, tangents
    if _dtype_of(x).kind == "c":
        return real(mul(t, _abs_complex_factor(x, out)))
    return mul(t, _abs_real_derivative(x))


def _abs_vjp(ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool]) -> list[Any]:
    (x,) = primals
    dt = _dtype_of(x)
    if dt.kind == "c":
        return [mul(convert(ct, dt), _abs_complex_factor(x, out))]
    return [mul(ct, _abs_real_derivative(x))]


abs_p.abstract_eval = _abs_abstract_eval
abs_p.jvp = _abs_jvp
abs_p.vjp = _abs_vjp
abs_p.sparsity = spd.abs_rule


# ---------------------------------------------------------------------------
# lax-level wrappers: bind, with Python scalars weakly typed
# ---------------------------------------------------------------------------


def _is_python_number(a: Any) -> bool:
    return isinstance(a, (int, float, bool, complex)) and not isinstance(a, np.generic)


def _weak_pair(x: Any, y: Any) -> tuple[Any, Any]:
    """A Python number takes the dtype of the other operand, whatever that is
    (an array, a tracer or a numpy scalar such as a concrete np.float32
    cotangent under jit); numpy scalars keep their own dtype."""
    if _is_python_number(x) and not _is_python_number(y):
        return weak(x, y), y
    if _is_python_number(y) and not _is_python_number(x):
        return x, weak(y, x)
    if not NUMPY2 and isinstance(x, _SCALARS) and isinstance(y, _SCALARS):
        return weak_scalar_pair(x, y)
    return x, y


def _binop(prim: Primitive) -> Callable[[Any, Any], Any]:
    def op(x: Any, y: Any) -> Any:
        x, y = _weak_pair(x, y)
        return bind(prim, x, y)

    op.__name__ = prim.name
    return op


add: Callable[[Any, Any], Any] = _binop(add_p)
sub: Callable[[Any, Any], Any] = _binop(sub_p)
mul: Callable[[Any, Any], Any] = _binop(mul_p)
div: Callable[[Any, Any], Any] = _binop(div_p)
pow: Callable[[Any, Any], Any] = _binop(pow_p)  # noqa: A001
maximum: Callable[[Any, Any], Any] = _binop(max_p)
minimum: Callable[[Any, Any], Any] = _binop(min_p)
atan2: Callable[[Any, Any], Any] = _binop(atan2_p)
eq: Callable[[Any, Any], Any] = _binop(eq_p)
ne: Callable[[Any, Any], Any] = _binop(ne_p)
lt: Callable[[Any, Any], Any] = _binop(lt_p)
le: Callable[[Any, Any], Any] = _binop(le_p)
gt: Callable[[Any, Any], Any] = _binop(gt_p)
ge: Callable[[Any, Any], Any] = _binop(ge_p)
logical_and: Callable[[Any, Any], Any] = _binop(and_p)
logical_or: Callable[[Any, Any], Any] = _binop(or_p)


def neg(x: Any) -> Any:
    return bind(neg_p, x)


def exp(x: Any) -> Any:
    return bind(exp_p, x)


def log(x: Any) -> Any:
    return bind(log_p, x)


def sin(x: Any) -> Any:
    return bind(sin_p, x)


def cos(x: Any) -> Any:
    return bind(cos_p, x)


def sinh(x: Any) -> Any:
    return bind(sinh_p, x)


def cosh(x: Any) -> Any:
    return bind(cosh_p, x)


def sign(x: Any) -> Any:
    return bind(sign_p, x)


def logistic(x: Any) -> Any:
    return bind(logistic_p, x)


def floor(x: Any) -> Any:
    return bind(floor_p, x)


def sqrt(x: Any) -> Any:
    return bind(sqrt_p, x)


def rsqrt(x: Any) -> Any:
    return div(1.0, sqrt(x))


def integer_pow(x: Any, y: int) -> Any:
    return bind(integer_pow_p, x, y=int(y))


def select(pred: Any, x: Any, y: Any) -> Any:
    x, y = _weak_pair(x, y)
    return bind(select_p, pred, x, y)


def real(x: Any) -> Any:
    return bind(real_p, x)


def imag(x: Any) -> Any:
    return bind(imag_p, x)


def conj(x: Any) -> Any:
    return bind(conj_p, x)


def convert(x: Any, dtype: Any) -> Any:
    """Cast to ``dtype``; a no-op (no equation) when it already has it."""
    dtype = np.dtype(dtype)
    if _dtype_of(x) == dtype:
        return x
    if not isinstance(x, Tracer):
        return as_result(np.asarray(x).astype(dtype))
    return bind(convert_element_type_p, x, new_dtype=dtype)

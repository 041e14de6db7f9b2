"""``funcdiff.scipy.special``: scipy's special functions, traceable and
differentiable, with scipy's names and conventions.

``import funcdiff.scipy.special as fsp``. Values are scipy's (the new
primitives call ``scipy.special``; scipy is an optional extra,
``pip install funcdiff[scipy]``, imported when a value is first computed),
so edge values (0, inf, NaN, poles) and float32 are as scipy gives them.

Each function is either a primitive of its own, whose derivative rules are
written with funcdiff operations (so ``grad`` of ``grad`` works, and every
other transform: ``jvp``, ``vmap``, ``jit``, ``jet``, sparsity detection), or
a composition of primitives chosen for its numerics (``logsumexp``,
``softmax``, ``entr``, ``rel_entr``, ``boxcox``...). Derivatives are taken
in every argument that has one in closed form. Three arguments have none:
the shape parameter ``a`` of ``gammainc``/``gammaincc``, ``a`` and ``b`` of
``betainc``, and the exponent ``x`` of ``zeta``; differentiating with
respect to them raises :class:`NonDifferentiableArgumentError` naming the
argument (a constant value there is fine). Integer arguments (``n`` of
``polygamma``, ``d`` of ``multigammaln``) have no derivative.

Numerics in the tails: ``log_ndtr``'s derivative is ``sqrt(2/pi) /
erfcx(-x/sqrt(2))`` (no ``exp(-x^2/2) / ndtr(x)`` underflow at ``x = -40``),
``expit``/``log_expit`` never overflow, ``logsumexp`` shifts by the
maximum, and ``erfcx`` is scipy's (no ``exp(x^2) erfc(x)`` overflow).

>>> import funcdiff as fd
>>> import funcdiff.scipy.special as fsp
>>> print(f"{float(fsp.gammaln(4.0)):.6f} {float(fd.grad(fsp.gammaln)(4.0)):.6f}")
1.791759 1.256118
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal, overload

import numpy as np

from funcdiff.core.ir import ShapedArray, aval_of
from funcdiff.core.primitive import TAYLOR_VIA_JVP, Primitive, Samples, Zero, zero_of
from funcdiff.core.trace import Tracer, bind
from funcdiff.core.typing import ArrayLike, Axis
from funcdiff.errors import DTypeError, MissingRuleError
from funcdiff.nn import log_sigmoid as _log_sigmoid
from funcdiff.nn import log_softmax as _log_softmax
from funcdiff.nn import logsumexp as _logsumexp
from funcdiff.nn import softmax as _softmax
from funcdiff.numpy._core import Array, asarray_arg, dtype_of, promote_float
from funcdiff.numpy._ufuncs import hypot as _hypot
from funcdiff.numpy._ufuncs import sinc as _sinc
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import shape as sh
from funcdiff.primitives import sparsity as spd

__all__ = [
    "NonDifferentiableArgumentError",
    "beta",
    "betainc",
    "betaln",
    "binom",
    "boxcox",
    "boxcox1p",
    "comb",
    "dawsn",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcinv",
    "erfcx",
    "erfinv",
    "exp1",
    "expi",
    "expit",
    "exprel",
    "factorial",
    "gamma",
    "gammainc",
    "gammaincc",
    "gammaln",
    "huber",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "inv_boxcox",
    "inv_boxcox1p",
    "kl_div",
    "log_expit",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "owens_t",
    "poch",
    "polygamma",
    "pseudo_huber",
    "psi",
    "rel_entr",
    "sinc",
    "softmax",
    "spence",
    "xlog1py",
    "xlogy",
    "zeta",
]

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)


class NonDifferentiableArgumentError(MissingRuleError):
    """A derivative was asked for with respect to an argument of a special
    function that has none in closed form here (``gammainc``'s ``a``,
    ``betainc``'s ``a`` and ``b``, ``zeta``'s ``x``). Pass that argument as a
    constant (or through ``funcdiff.stop_gradient``)."""


def _scipy_special() -> Any:
    """``scipy.special``, or an ImportError naming the extra that installs it."""
    try:
        import scipy.special
    except ImportError as err:  # pragma: no cover - scipy is installed for the tests
        raise ImportError(
            "funcdiff.scipy.special computes its values with scipy, an optional "
            "dependency of funcdiff: pip install funcdiff[scipy]"
        ) from err
    return scipy.special


# ---------------------------------------------------------------------------
# the element-wise special-function primitive: one row per function
# ---------------------------------------------------------------------------
#
# A row is: the scipy function, one entry per argument and the samples. An
# entry is the partial derivative ``d(out, *args)`` written with funcdiff
# operations, or a ``_NoDerivative``: an argument without a closed-form
# derivative (polygamma's integer order, gammainc's shape parameter...),
# for which a tangent or cotangent asked raises, naming it. Such an argument
# may also be given as an integer array (its samples are: the registry sweep
# differentiates every float argument). Floating arguments share one dtype,
# the output's.

Partial = Callable[..., Any]


class _NoDerivative:
    def __init__(self, arg: str, why: str) -> None:
        self.arg = arg
        self.why = why

    def error(self, name: str) -> NonDifferentiableArgumentError:
        return NonDifferentiableArgumentError(
            f"scipy.special.{name}: no derivative with respect to its argument "
            f"'{self.arg}' ({self.why}). Pass '{self.arg}' as a constant, or wrap it "
            "in funcdiff.stop_gradient to differentiate with respect to the others."
        )


Entry = Partial | _NoDerivative


def _special(
    name: str,
    entries: Sequence[Entry],
    samples: Callable[[np.random.Generator], Samples],
) -> Primitive:
    """The primitive ``scipy.special.<name>`` (element-wise, broadcasting)."""

    def impl(*args: Any) -> Any:
        dt = _float_dtype(args)
        with np.errstate(all="ignore"):
            out = np.asarray(getattr(_scipy_special(), name)(*args))
        if out.dtype != dt:
            out = out.astype(dt)
        return out[()]

    def abstract_eval(*avals: ShapedArray) -> ShapedArray:
        floats = []
        for arg, (entry, a) in enumerate(zip(entries, avals, strict=True)):
            kind = a.dtype.kind
            if kind == "c":
                raise DTypeError(
                    f"{name}: complex operand {a.str_short()} (argument {arg}) is not "
                    "supported; funcdiff.scipy.special is real-valued"
                )
            if kind == "f":
                floats.append(a)
            elif not (isinstance(entry, _NoDerivative) and kind in "iu"):
                raise DTypeError(
                    f"{name}: argument {arg} must be floating point, got {a.str_short()} "
                    "(the funcdiff.scipy.special functions promote for you)"
                )
        if not floats:
            raise DTypeError(f"{name}: needs a floating-point operand")
        dt = floats[0].dtype
        if any(a.dtype != dt for a in floats):
            listed = ", ".join(a.str_short() for a in avals)
            raise DTypeError(
                f"{name}: floating operands have different dtypes ({listed}); "
                "cast one with astype (the funcdiff.scipy.special functions promote)"
            )
        return ShapedArray(ew.broadcast_avals(name, avals), dt)

    def jvp(primals: Sequence[Any], tangents: Sequence[Any], out: Any) -> Any:
        total: Any = None
        for entry, t in zip(entries, tangents, strict=True):
            if isinstance(t, Zero):
                continue
            if isinstance(entry, _NoDerivative):
                raise entry.error(name)
            assert callable(entry)
            term = ew.mul(t, entry(out, *primals))
            total = term if total is None else ew.add(total, term)
        if total is None:
            return Zero(aval_of(out))
        shape = aval_of(out).shape
        return total if aval_of(total).shape == shape else sh.broadcast_to(total, shape)

    def vjp(ct: Any, primals: Sequence[Any], out: Any, needs: Sequence[bool]) -> list[Any]:
        cts: list[Any] = []
        for entry, need, x in zip(entries, needs, primals, strict=True):
            if not need:
                cts.append(zero_of(x))
                continue
            if isinstance(entry, _NoDerivative):
                raise entry.error(name)
            assert callable(entry)
            cts.append(ew.unbroadcast(ew.mul(ct, entry(out, *primals)), aval_of(x).shape))
        return cts

    prim = Primitive(
        name,
        impl=impl,
        abstract_eval=abstract_eval,
        jvp=jvp,
        vjp=vjp,
        samples=samples,
        sparsity=spd.elementwise("nonlinear"),
        taylor=TAYLOR_VIA_JVP,
    )
    prim.batch = ew.elementwise_batch(prim)
    return prim


def _float_dtype(args: Sequence[Any]) -> np.dtype[Any]:
    dts = [np.result_type(a) for a in args]
    floats = [d for d in dts if d.kind == "f"]
    return floats[0] if floats else np.dtype(np.float64)


def _uniform(*domains: tuple[float, float]) -> Callable[[np.random.Generator], Samples]:
    """Samples: each argument uniform on its domain, in four shape patterns."""
    n = len(domains)
    shapes: list[list[tuple[int, ...]]] = (
        [[(3,)], [(2, 3)], [()]]
        if n == 1
        else [[(3,)] * n, [(2, 3)] + [(3,)] * (n - 1), [()] + [(2, 1)] * (n - 1)]
    )

    def samples(rng: np.random.Generator) -> Samples:
        return [
            (tuple(rng.uniform(lo, hi, s) for (lo, hi), s in zip(domains, shp, strict=True)), {})
            for shp in shapes
        ]

    return samples


def _with_ints(
    ints: Sequence[tuple[int, int]], floats: Sequence[tuple[float, float]]
) -> Callable[[np.random.Generator], Samples]:
    """Samples: integer arguments first (uniform on ``[lo, hi]``), then float ones."""

    def samples(rng: np.random.Generator) -> Samples:
        out: Samples = []
        for shape_i, shape_f in [((3,), (3,)), ((2, 1), (3,)), ((), (2, 3))]:
            args: list[np.ndarray] = [rng.integers(lo, hi + 1, shape_i) for lo, hi in ints]
            args += [rng.uniform(lo, hi, shape_f) for lo, hi in floats]
            out.append((tuple(np.asarray(a) for a in args), {}))
        return out

    return samples


def _safe(bad: Any, x: Any, value: float = 1.0) -> Any:
    """``x`` with ``value`` where ``bad``: a branch not taken must see a safe
    argument, so that neither it nor its derivatives make a NaN."""
    return ew.select(bad, value, x)


def _log1p(x: Any) -> Any:
    return bind(ew.log1p_p, x)


def _expm1(x: Any) -> Any:
    return bind(ew.expm1_p, x)


def _poly(z: Any, coeffs: Sequence[float]) -> Any:
    """``sum_k coeffs[k] z^k`` by Horner's rule."""
    acc: Any = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        acc = ew.add(ew.mul(acc, z), c)
    return acc


# -- the partial derivatives ----------------------------------------------------------


def _exp_neg_sq(x: Any, scale: float) -> Any:
    return ew.mul(scale, ew.exp(ew.neg(ew.mul(x, x))))


def _d_i1(out: Any, x: Any) -> Any:
    # i0(x) - i1(x)/x, 1/2 at 0 (the branch not taken divides by 1)
    zero = ew.eq(x, 0.0)
    return ew.select(zero, 0.5, ew.sub(bind(i0_p, x), ew.div(out, _safe(zero, x))))


def _d_i1e(out: Any, x: Any) -> Any:
    # i0e(x) - i1e(x)/x - sign(x) i1e(x), 1/2 at 0
    zero = ew.eq(x, 0.0)
    far = ew.sub(ew.sub(bind(i0e_p, x), ew.div(out, _safe(zero, x))), ew.mul(ew.sign(x), out))
    return ew.select(zero, 0.5, far)


# log(z) / (1 - z) = -log1p(u) / u with u = z - 1: near u = 0 its series
_LOG1P_OVER = [1.0, -1.0 / 2, 1.0 / 3, -1.0 / 4, 1.0 / 5, -1.0 / 6]


def _d_spence(out: Any, z: Any) -> Any:
    u = ew.sub(z, 1.0)
    near = ew.lt(bind(ew.abs_p, u), 1e-3)
    us = _safe(near, u)
    far = ew.neg(ew.div(_log1p(us), us))
    return ew.select(near, ew.neg(_poly(u, _LOG1P_OVER)), far)


def _digamma(x: Any) -> Any:
    return bind(digamma_p, x)


def _polygamma_p(n: int, x: Any) -> Any:
    return _polygamma(np.asarray(n, np.int64), x)


def _polygamma(n: Any, x: Any) -> Any:
    return bind(polygamma_p, n, x)


def _i1(x: Any) -> Any:
    return bind(i1_p, x)


def _i1e(x: Any) -> Any:
    return bind(i1e_p, x)


def _d_gammainc(out: Any, a: Any, x: Any) -> Any:
    # x^(a-1) e^(-x) / Gamma(a), with 0^0 = 1 (a = 1 at x = 0)
    a = ew.convert(a, _dt(x))
    return ew.exp(ew.sub(ew.sub(bind(xlogy_p, ew.sub(a, 1.0), x), x), bind(gammaln_p, a)))


def _d_zeta_q(out: Any, x: Any, q: Any) -> Any:
    # -x zeta(x + 1, q)
    x = ew.convert(x, _dt(q))
    return ew.neg(ew.mul(x, bind(zeta_p, ew.add(x, 1.0), q)))


def _dt(x: Any) -> np.dtype[Any]:
    return aval_of(x).dtype


def _d_betainc(out: Any, a: Any, b: Any, x: Any) -> Any:
    # x^(a-1) (1-x)^(b-1) / B(a, b)
    a, b = ew.convert(a, _dt(x)), ew.convert(b, _dt(x))
    logs = ew.add(bind(xlogy_p, ew.sub(a, 1.0), x), bind(xlog1py_p, ew.sub(b, 1.0), ew.neg(x)))
    return ew.exp(ew.sub(logs, bind(betaln_p, a, b)))


def _d_xlogy_y(out: Any, x: Any, y: Any) -> Any:
    # x / y, 0 where x == y == 0 (the limit along x = 0)
    bad = ew.logical_and(ew.eq(x, 0.0), ew.eq(y, 0.0))
    return ew.div(x, _safe(bad, y))


def _d_xlog1py_y(out: Any, x: Any, y: Any) -> Any:
    bad = ew.logical_and(ew.eq(x, 0.0), ew.eq(y, -1.0))
    return ew.div(x, ew.add(_safe(bad, y, 0.0), 1.0))


def _d_owens_t_h(out: Any, h: Any, a: Any) -> Any:
    # -phi(h) erf(a h / sqrt 2) / 2
    phi = _exp_neg_sq(ew.mul(h, _INV_SQRT2), 1.0 / _SQRT_2PI)
    return ew.mul(-0.5, ew.mul(phi, bind(erf_p, ew.mul(ew.mul(a, h), _INV_SQRT2))))


def _d_owens_t_a(out: Any, h: Any, a: Any) -> Any:
    # exp(-h^2 (1 + a^2) / 2) / (2 pi (1 + a^2))
    s = ew.add(1.0, ew.mul(a, a))
    return ew.div(ew.exp(ew.mul(-0.5, ew.mul(ew.mul(h, h), s))), ew.mul(2.0 * math.pi, s))


# -- the rows -----------------------------------------------------------------


erf_p = _special("erf", [lambda out, x: _exp_neg_sq(x, 2.0 / _SQRT_PI)], _uniform((-3.0, 3.0)))
erfc_p = _special("erfc", [lambda out, x: _exp_neg_sq(x, -2.0 / _SQRT_PI)], _uniform((-3.0, 3.0)))
erfinv_p = _special(
    "erfinv",
    [lambda out, x: ew.mul(_SQRT_PI / 2.0, ew.exp(ew.mul(out, out)))],
    _uniform((-0.9, 0.9)),
)
erfcinv_p = _special(
    "erfcinv",
    [lambda out, x: ew.mul(-_SQRT_PI / 2.0, ew.exp(ew.mul(out, out)))],
    _uniform((0.1, 1.9)),
)
erfcx_p = _special(
    "erfcx",
    [lambda out, x: ew.sub(ew.mul(ew.mul(2.0, x), out), 2.0 / _SQRT_PI)],
    _uniform((-2.0, 5.0)),
)
ndtr_p = _special(
    "ndtr",
    [lambda out, x: _exp_neg_sq(ew.mul(x, _INV_SQRT2), 1.0 / _SQRT_2PI)],
    _uniform((-3.0, 3.0)),
)
# d log_ndtr = phi(x) / ndtr(x) = sqrt(2/pi) / erfcx(-x / sqrt 2): no underflow
log_ndtr_p = _special(
    "log_ndtr",
    [lambda out, x: ew.div(_SQRT_2_OVER_PI, bind(erfcx_p, ew.mul(x, -_INV_SQRT2)))],
    _uniform((-4.0, 3.0)),
)
ndtri_p = _special(
    "ndtri",
    [lambda out, x: ew.mul(_SQRT_2PI, ew.exp(ew.mul(0.5, ew.mul(out, out))))],
    _uniform((0.05, 0.95)),
)
gamma_p = _special("gamma", [lambda out, x: ew.mul(out, _digamma(x))], _uniform((0.5, 4.0)))
gammaln_p = _special("gammaln", [lambda out, x: _digamma(x)], _uniform((0.5, 5.0)))
digamma_p = _special("digamma", [lambda out, x: _polygamma_p(1, x)], _uniform((0.5, 5.0)))
polygamma_p = _special(
    "polygamma",
    [
        _NoDerivative("n", "the order of the derivative is an integer"),
        lambda out, n, x: _polygamma(ew.add(n, 1), x),
    ],
    _with_ints([(0, 3)], [(0.5, 4.0)]),
)
i0_p = _special("i0", [lambda out, x: _i1(x)], _uniform((-3.0, 3.0)))
i0e_p = _special(
    "i0e",
    [lambda out, x: ew.sub(_i1e(x), ew.mul(ew.sign(x), out))],
    _uniform((-3.0, 3.0)),
)
i1_p = _special("i1", [_d_i1], _uniform((-3.0, 3.0)))
i1e_p = _special("i1e", [_d_i1e], _uniform((-3.0, 3.0)))
spence_p = _special("spence", [_d_spence], _uniform((0.2, 3.0)))
exp1_p = _special(
    "exp1", [lambda out, x: ew.neg(ew.div(ew.exp(ew.neg(x)), x))], _uniform((0.2, 3.0))
)
expi_p = _special("expi", [lambda out, x: ew.div(ew.exp(x), x)], _uniform((0.2, 3.0)))
dawsn_p = _special(
    "dawsn", [lambda out, x: ew.sub(1.0, ew.mul(ew.mul(2.0, x), out))], _uniform((-3.0, 3.0))
)

_NO_A = _NoDerivative("a", "the derivative in the shape parameter has no closed form")
gammainc_p = _special("gammainc", [_NO_A, _d_gammainc], _with_ints([(1, 4)], [(0.2, 4.0)]))
gammaincc_p = _special(
    "gammaincc",
    [_NO_A, lambda out, a, x: ew.neg(_d_gammainc(out, a, x))],
    _with_ints([(1, 4)], [(0.2, 4.0)]),
)
betainc_p = _special(
    "betainc",
    [
        _NoDerivative("a", "the derivative in a shape parameter has no closed form"),
        _NoDerivative("b", "the derivative in a shape parameter has no closed form"),
        _d_betainc,
    ],
    _with_ints([(1, 4), (1, 4)], [(0.1, 0.9)]),
)
beta_p = _special(
    "beta",
    [
        lambda out, a, b: ew.mul(out, ew.sub(_digamma(a), _digamma(ew.add(a, b)))),
        lambda out, a, b: ew.mul(out, ew.sub(_digamma(b), _digamma(ew.add(a, b)))),
    ],
    _uniform((0.5, 3.0), (0.5, 3.0)),
)
betaln_p = _special(
    "betaln",
    [
        lambda out, a, b: ew.sub(_digamma(a), _digamma(ew.add(a, b))),
        lambda out, a, b: ew.sub(_digamma(b), _digamma(ew.add(a, b))),
    ],
    _uniform((0.5, 3.0), (0.5, 3.0)),
)
# d/dq zeta(x, q) = -x zeta(x + 1, q); d/dx has no closed form
zeta_p = _special(
    "zeta",
    [
        _NoDerivative("x", "the derivative in the exponent has no closed form"),
        _d_zeta_q,
    ],
    _with_ints([(2, 4)], [(0.5, 3.0)]),
)
owens_t_p = _special("owens_t", [_d_owens_t_h, _d_owens_t_a], _uniform((-2.0, 2.0), (-2.0, 2.0)))
xlogy_p = _special(
    "xlogy",
    [lambda out, x, y: ew.log(y), _d_xlogy_y],
    _uniform((-2.0, 2.0), (0.2, 3.0)),
)
xlog1py_p = _special(
    "xlog1py",
    [lambda out, x, y: _log1p(y), _d_xlog1py_y],
    _uniform((-2.0, 2.0), (-0.5, 2.0)),
)
poch_p = _special(
    "poch",
    [
        lambda out, z, m: ew.mul(out, ew.sub(_digamma(ew.add(z, m)), _digamma(z))),
        lambda out, z, m: ew.mul(out, _digamma(ew.add(z, m))),
    ],
    _uniform((0.5, 3.0), (0.2, 2.0)),
)
binom_p = _special(
    "binom",
    [
        lambda out, n, k: ew.mul(
            out, ew.sub(_digamma(ew.add(n, 1.0)), _digamma(ew.add(ew.sub(n, k), 1.0)))
        ),
        lambda out, n, k: ew.mul(
            out, ew.sub(_digamma(ew.add(ew.sub(n, k), 1.0)), _digamma(ew.add(k, 1.0)))
        ),
    ],
    _uniform((3.0, 6.0), (0.5, 2.5)),
)


# -- lowering to JAX (``lower_jax(ctx, *args)``, ``ctx.lax``/``jnp``/``jsp``) -------


def _jsp(fn: str) -> Callable[..., Any]:
    """The lowering ``ctx.jsp.special.<fn>(*args)``, integer arguments cast
    to the floating dtype of the last one."""

    def lower(ctx: Any, *args: Any) -> Any:
        dt = args[-1].dtype
        return getattr(ctx.jsp.special, fn)(*[ctx.jnp.asarray(a, dt) for a in args])

    return lower


for _p in (
    erf_p, erfc_p, erfinv_p, erfcx_p, ndtr_p, log_ndtr_p, ndtri_p, gamma_p, gammaln_p,
    i0_p, i0e_p, i1_p, i1e_p, spence_p, exp1_p, expi_p, dawsn_p, gammainc_p, gammaincc_p,
    betainc_p, beta_p, betaln_p, zeta_p, owens_t_p, xlogy_p, xlog1py_p, poch_p,
):  # fmt: skip
    _p.lower_jax = _jsp(_p.name)
digamma_p.lower_jax = lambda ctx, x: ctx.jsp.special.digamma(x)
# erfcinv(y) = -ndtri(y / 2) / sqrt(2) (jax.scipy.special has no erfcinv)
erfcinv_p.lower_jax = lambda ctx, x: ctx.jsp.special.ndtri(x * 0.5) * -_INV_SQRT2
polygamma_p.lower_jax = lambda ctx, n, x: ctx.jsp.special.polygamma(
    ctx.jnp.asarray(n).astype(int), x
)
# binom(n, k) = 1 / ((n + 1) B(n - k + 1, k + 1)) (jax.scipy.special has no binom)
binom_p.lower_jax = lambda ctx, n, k: 1.0 / ((n + 1.0) * ctx.jsp.special.beta(n - k + 1.0, k + 1.0))


# ---------------------------------------------------------------------------
# the user-facing functions
# ---------------------------------------------------------------------------


def _floats(name: str, *args: ArrayLike) -> list[Array]:
    """The arguments as arrays of one floating dtype (float64 for integers),
    or a DTypeError naming the function for complex ones."""
    xs = [asarray_arg(a) for a in promote_float(*args)]
    if any(dtype_of(x).kind == "c" for x in xs):
        raise DTypeError(
            f"{name}: complex arguments are not supported (funcdiff.scipy.special is "
            "real-valued); apply it to the real and imaginary parts separately"
        )
    return xs


def _call(prim: Primitive, *args: ArrayLike) -> Array:
    return bind(prim, *_floats(prim.name, *args))


def erf(z: ArrayLike) -> Array:
    """The error function ``2/sqrt(pi) int_0^z exp(-t^2) dt``.

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import erf
    >>> print(f"{float(erf(0.5)):.6f} {float(fd.grad(erf)(0.5)):.6f}")
    0.520500 0.878783
    """
    return _call(erf_p, z)


def erfc(x: ArrayLike) -> Array:
    """``1 - erf(x)``, accurate where it is tiny (large ``x``).

    >>> from funcdiff.scipy.special import erfc
    >>> print(f"{float(erfc(10.0)):.6e}")
    2.088488e-45
    """
    return _call(erfc_p, x)


def erfinv(y: ArrayLike) -> Array:
    """The inverse of ``erf`` on ``(-1, 1)`` (``+-inf`` at ``+-1``).

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import erfinv
    >>> print(f"{float(erfinv(0.5)):.6f} {float(fd.grad(erfinv)(0.5)):.6f}")
    0.476936 1.112585
    """
    return _call(erfinv_p, y)


def erfcinv(y: ArrayLike) -> Array:
    """The inverse of ``erfc`` on ``(0, 2)``.

    >>> from funcdiff.scipy.special import erfcinv
    >>> print(f"{float(erfcinv(1e-100)):.6f}")
    15.065575
    """
    return _call(erfcinv_p, y)


def erfcx(x: ArrayLike) -> Array:
    """The scaled complementary error function ``exp(x^2) erfc(x)``, without
    overflow (about ``1 / (x sqrt(pi))`` for large ``x``).

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import erfcx
    >>> print(f"{float(erfcx(1e4)):.6e} {float(fd.grad(erfcx)(1e4)):.6e}")
    5.641896e-05 -5.641896e-09
    """
    return _call(erfcx_p, x)


def ndtr(x: ArrayLike) -> Array:
    """The standard normal CDF ``Phi(x)``.

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import ndtr
    >>> print(f"{float(ndtr(1.0)):.6f} {float(fd.grad(ndtr)(1.0)):.6f}")
    0.841345 0.241971
    """
    return _call(ndtr_p, x)


def log_ndtr(x: ArrayLike) -> Array:
    """``log(Phi(x))``, accurate in both tails; so is its derivative
    (about ``-x`` at ``x = -40``).

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import log_ndtr
    >>> print(f"{float(log_ndtr(-40.0)):.4f} {float(fd.grad(log_ndtr)(-40.0)):.6f}")
    -804.6084 40.024969
    """
    return _call(log_ndtr_p, x)


def ndtri(y: ArrayLike) -> Array:
    """The inverse of ``ndtr`` (the standard normal quantile function).

    >>> from funcdiff.scipy.special import ndtri
    >>> print(f"{float(ndtri(0.975)):.6f}")
    1.959964
    """
    return _call(ndtri_p, y)


def gamma(z: ArrayLike) -> Array:
    """The gamma function (real argument); its derivative is
    ``gamma(z) digamma(z)``.

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import gamma
    >>> print(f"{float(gamma(5.0)):.1f} {float(fd.grad(gamma)(5.0)):.6f}")
    24.0 36.146824
    """
    return _call(gamma_p, z)


def gammaln(x: ArrayLike) -> Array:
    """``log|gamma(x)|``; its derivative is ``digamma(x)``.

    >>> from funcdiff.scipy.special import gammaln
    >>> print(f"{float(gammaln(100.0)):.6f}")
    359.134205
    """
    return _call(gammaln_p, x)


def digamma(x: ArrayLike) -> Array:
    """The digamma function ``gamma'(x) / gamma(x)`` (scipy's ``psi``).

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import digamma
    >>> print(f"{float(digamma(1.0)):.6f} {float(fd.grad(digamma)(1.0)):.6f}")
    -0.577216 1.644934
    """
    return _call(digamma_p, x)


psi = digamma


def polygamma(n: ArrayLike, x: ArrayLike) -> Array:
    """The ``n``-th derivative of ``digamma`` (``n`` a non-negative integer,
    not differentiated; its derivative in ``x`` is ``polygamma(n + 1, x)``).

    >>> from funcdiff.scipy.special import polygamma
    >>> print(f"{float(polygamma(1, 1.0)):.6f}")
    1.644934
    """
    n_arr = np.asarray(n) if not isinstance(n, Tracer) else n
    if dtype_of(n_arr).kind not in "iu":
        if isinstance(n_arr, Tracer) or not np.all(np.asarray(n_arr) == np.round(n_arr)):
            raise TypeError(f"polygamma: n must be an integer array, got {dtype_of(n_arr)}")
        n_arr = np.asarray(n_arr).astype(np.int64)
    (xf,) = _floats("polygamma", x)
    return bind(polygamma_p, n_arr, xf)


def gammainc(a: ArrayLike, x: ArrayLike) -> Array:
    """The regularized lower incomplete gamma function ``P(a, x)``.
    Differentiable in ``x``; a derivative in ``a`` raises
    :class:`NonDifferentiableArgumentError`.

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import gammainc
    >>> print(f"{float(gammainc(2.0, 1.0)):.6f} {float(fd.grad(gammainc, 1)(2.0, 1.0)):.6f}")
    0.264241 0.367879
    """
    return _call(gammainc_p, a, x)


def gammaincc(a: ArrayLike, x: ArrayLike) -> Array:
    """``1 - gammainc(a, x)``, accurate where it is tiny. Differentiable in
    ``x`` only (as ``gammainc``).

    >>> from funcdiff.scipy.special import gammaincc
    >>> print(f"{float(gammaincc(2.0, 50.0)):.6e}")
    9.836624e-21
    """
    return _call(gammaincc_p, a, x)


def beta(a: ArrayLike, b: ArrayLike) -> Array:
    """The beta function ``gamma(a) gamma(b) / gamma(a + b)``.

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import beta
    >>> print(f"{float(beta(2.0, 3.0)):.6f} {float(fd.grad(beta)(2.0, 3.0)):.6f}")
    0.083333 -0.090278
    """
    return _call(beta_p, a, b)


def betaln(a: ArrayLike, b: ArrayLike) -> Array:
    """``log|beta(a, b)|``, without overflow for large arguments.

    >>> from funcdiff.scipy.special import betaln
    >>> print(f"{float(betaln(500.0, 600.0)):.6f}")
    -759.795230
    """
    return _call(betaln_p, a, b)


def betainc(a: ArrayLike, b: ArrayLike, x: ArrayLike) -> Array:
    """The regularized incomplete beta function ``I_x(a, b)``.
    Differentiable in ``x``; a derivative in ``a`` or ``b`` raises
    :class:`NonDifferentiableArgumentError`.

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import betainc
    >>> print(f"{float(betainc(2.0, 3.0, 0.5)):.6f} "
    ...       f"{float(fd.grad(betainc, 2)(2.0, 3.0, 0.5)):.6f}")
    0.687500 1.500000
    """
    return _call(betainc_p, a, b, x)


def zeta(x: ArrayLike, q: ArrayLike | None = None) -> Array:
    """The Hurwitz zeta function ``sum_k (k + q)^-x`` (Riemann's, ``q = 1``,
    when ``q`` is None). Differentiable in ``q`` (``-x zeta(x + 1, q)``); a
    derivative in ``x`` raises :class:`NonDifferentiableArgumentError`.

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import zeta
    >>> print(f"{float(zeta(2.0)):.6f} {float(fd.grad(zeta, 1)(2.0, 1.0)):.6f}")
    1.644934 -2.404114
    """
    return _call(zeta_p, x, 1.0 if q is None else q)


def owens_t(h: ArrayLike, a: ArrayLike) -> Array:
    """Owen's T function ``1/(2 pi) int_0^a exp(-h^2 (1 + t^2) / 2) / (1 + t^2) dt``,
    differentiable in both arguments.

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import owens_t
    >>> print(f"{float(owens_t(0.5, 2.0)):.6f} {float(fd.grad(owens_t, 1)(0.5, 2.0)):.6f}")
    0.141581 0.017038
    """
    return _call(owens_t_p, h, a)


def xlogy(x: ArrayLike, y: ArrayLike) -> Array:
    """``x * log(y)``, 0 where ``x == 0`` (unless ``y`` is NaN). The
    derivative in ``x`` is ``log(y)``, in ``y`` ``x / y`` (0 at ``x == y == 0``).

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import xlogy
    >>> print(float(xlogy(0.0, 0.0)), f"{float(fd.grad(xlogy)(0.0, 2.0)):.6f}")
    0.0 0.693147
    """
    return _call(xlogy_p, x, y)


def xlog1py(x: ArrayLike, y: ArrayLike) -> Array:
    """``x * log1p(y)``, 0 where ``x == 0`` (unless ``y`` is NaN).

    >>> from funcdiff.scipy.special import xlog1py
    >>> print(float(xlog1py(0.0, -1.0)), f"{float(xlog1py(2.0, 1e-20)):.1e}")
    0.0 2.0e-20
    """
    return _call(xlog1py_p, x, y)


def poch(z: ArrayLike, m: ArrayLike) -> Array:
    """The Pochhammer symbol ``gamma(z + m) / gamma(z)``, differentiable in both.

    >>> from funcdiff.scipy.special import poch
    >>> print(f"{float(poch(3.0, 2.0)):.1f}")
    12.0
    """
    return _call(poch_p, z, m)


def binom(x: ArrayLike, y: ArrayLike) -> Array:
    """The binomial coefficient as a function of two real variables,
    differentiable in both (away from the integer points where it is 0).

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import binom
    >>> print(f"{float(binom(5.0, 2.0)):.1f} {float(fd.grad(binom)(5.0, 2.0)):.6f}")
    10.0 4.500000
    """
    return _call(binom_p, x, y)


def i0(x: ArrayLike) -> Array:
    """The modified Bessel function of the first kind of order 0 (derivative ``i1``).

    >>> from funcdiff.scipy.special import i0
    >>> print(f"{float(i0(1.0)):.6f}")
    1.266066
    """
    return _call(i0_p, x)


def i0e(x: ArrayLike) -> Array:
    """``exp(-|x|) i0(x)``, without overflow.

    >>> from funcdiff.scipy.special import i0e
    >>> print(f"{float(i0e(1000.0)):.6f}")
    0.012617
    """
    return _call(i0e_p, x)


def i1(x: ArrayLike) -> Array:
    """The modified Bessel function of the first kind of order 1.

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import i1
    >>> print(f"{float(i1(1.0)):.6f} {float(fd.grad(i1)(0.0)):.1f}")
    0.565159 0.5
    """
    return _call(i1_p, x)


def i1e(x: ArrayLike) -> Array:
    """``exp(-|x|) i1(x)``, without overflow.

    >>> from funcdiff.scipy.special import i1e
    >>> print(f"{float(i1e(1.0)):.6f}")
    0.207910
    """
    return _call(i1e_p, x)


def spence(z: ArrayLike) -> Array:
    """Spence's function (dilogarithm) ``int_1^z log(t) / (1 - t) dt`` for
    ``z >= 0``; its derivative is ``log(z) / (1 - z)`` (-1 at ``z = 1``).

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import spence
    >>> print(f"{float(spence(0.0)):.6f} {float(fd.grad(spence)(1.0)):.1f}")
    1.644934 -1.0
    """
    return _call(spence_p, z)


def exp1(x: ArrayLike) -> Array:
    """The exponential integral ``E1(x) = int_x^inf exp(-t) / t dt``.

    >>> from funcdiff.scipy.special import exp1
    >>> print(f"{float(exp1(1.0)):.6f}")
    0.219384
    """
    return _call(exp1_p, x)


def expi(x: ArrayLike) -> Array:
    """The exponential integral ``Ei(x)``; its derivative is ``exp(x) / x``.

    >>> from funcdiff.scipy.special import expi
    >>> print(f"{float(expi(1.0)):.6f}")
    1.895118
    """
    return _call(expi_p, x)


def dawsn(x: ArrayLike) -> Array:
    """Dawson's integral ``exp(-x^2) int_0^x exp(t^2) dt``.

    >>> from funcdiff.scipy.special import dawsn
    >>> print(f"{float(dawsn(1.0)):.6f}")
    0.538080
    """
    return _call(dawsn_p, x)


# ---------------------------------------------------------------------------
# compositions
# ---------------------------------------------------------------------------


def expit(x: ArrayLike) -> Array:
    """The logistic sigmoid ``1 / (1 + exp(-x))``, never overflowing.

    >>> from funcdiff.scipy.special import expit
    >>> print(float(expit(800.0)), float(expit(-800.0)))
    1.0 0.0
    """
    return bind(ew.logistic_p, *_floats("expit", x))


def log_expit(x: ArrayLike) -> Array:
    """``log(expit(x))``, accurate for very negative and very positive ``x``.

    >>> from funcdiff.scipy.special import log_expit
    >>> print(float(log_expit(-800.0)), f"{float(log_expit(40.0)):.6e}")
    -800.0 -4.248354e-18
    """
    return _log_sigmoid(*_floats("log_expit", x))


def logit(p: ArrayLike) -> Array:
    """``log(p / (1 - p))``, the inverse of ``expit``.

    >>> from funcdiff.scipy.special import logit
    >>> print(f"{float(logit(0.75)):.6f}")
    1.098612
    """
    (p,) = _floats("logit", p)
    return ew.log(ew.div(p, ew.sub(1.0, p)))


def entr(x: ArrayLike) -> Array:
    """``-x log(x)`` for ``x > 0``, 0 at 0, ``-inf`` for ``x < 0``.

    >>> from funcdiff.scipy.special import entr
    >>> print(f"{float(entr(0.5)):.6f}", float(entr(0.0)), float(entr(-1.0)))
    0.346574 0.0 -inf
    """
    (x,) = _floats("entr", x)
    neg = ew.lt(x, 0.0)
    xs = _safe(neg, x)
    return ew.select(neg, -np.inf, ew.neg(bind(xlogy_p, xs, xs)))


def _rel_entr_parts(x: Array, y: Array) -> tuple[Array, Array, Array]:
    """``x log(x / y)`` where ``x, y > 0`` (safe arguments elsewhere), that
    region, and the value scipy gives outside it (0, inf or NaN)."""
    inside = ew.logical_and(ew.gt(x, 0.0), ew.gt(y, 0.0))
    out = bind(ew.not_p, inside)
    xs, ys = _safe(out, x), _safe(out, y)
    val = ew.mul(xs, ew.log(ew.div(xs, ys)))
    nan = ew.logical_or(bind(ew.isnan_p, x), bind(ew.isnan_p, y))
    zero = ew.logical_and(ew.eq(x, 0.0), ew.ge(y, 0.0))
    other = ew.select(nan, np.nan, ew.select(zero, 0.0, np.inf))
    return val, inside, other


def rel_entr(x: ArrayLike, y: ArrayLike) -> Array:
    """``x log(x / y)`` for ``x, y > 0``, 0 for ``x == 0, y >= 0``, ``inf``
    otherwise: the terms of the Kullback-Leibler divergence.

    >>> from funcdiff.scipy.special import rel_entr
    >>> print(f"{float(rel_entr(0.5, 0.25)):.6f}", float(rel_entr(0.0, 1.0)))
    0.346574 0.0
    """
    x, y = _floats("rel_entr", x, y)
    val, inside, other = _rel_entr_parts(x, y)
    return ew.select(inside, val, other)


def kl_div(x: ArrayLike, y: ArrayLike) -> Array:
    """``x log(x / y) - x + y`` for ``x, y > 0``, ``y`` for ``x == 0, y >= 0``,
    ``inf`` otherwise.

    >>> from funcdiff.scipy.special import kl_div
    >>> print(f"{float(kl_div(0.5, 0.25)):.6f}", float(kl_div(0.0, 2.0)))
    0.096574 2.0
    """
    x, y = _floats("kl_div", x, y)
    val, inside, other = _rel_entr_parts(x, y)
    kl = ew.add(ew.sub(val, x), y)
    return ew.select(inside, kl, ew.select(ew.eq(other, 0.0), y, other))


@overload
def logsumexp(
    a: ArrayLike,
    axis: Axis = ...,
    b: ArrayLike | None = ...,
    keepdims: bool = ...,
    return_sign: Literal[False] = ...,
) -> Array: ...
@overload
def logsumexp(
    a: ArrayLike,
    axis: Axis = ...,
    b: ArrayLike | None = ...,
    keepdims: bool = ...,
    return_sign: bool = ...,
) -> Array | tuple[Array, Array]: ...
def logsumexp(
    a: ArrayLike,
    axis: Axis = None,
    b: ArrayLike | None = None,
    keepdims: bool = False,
    return_sign: bool = False,
) -> Array | tuple[Array, Array]:
    """``log(sum(b * exp(a)))`` over ``axis``, shifted by the maximum (no
    overflow); ``return_sign`` gives ``(log|sum|, sign(sum))`` for signed
    weights ``b``. The same function as ``funcdiff.nn.logsumexp``.

    >>> from funcdiff.scipy.special import logsumexp
    >>> print(f"{float(logsumexp([1e4, 1e4])):.6f}")
    10000.693147
    """
    return _logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)


def softmax(x: ArrayLike, axis: Axis = None) -> Array:
    """``exp(x) / sum(exp(x))`` over ``axis`` (scipy's default: all axes),
    shifted by the maximum.

    >>> from funcdiff.scipy.special import softmax
    >>> print(softmax([1000.0, 1000.0]))
    [0.5 0.5]
    """
    return _softmax(x, axis=axis)


def log_softmax(x: ArrayLike, axis: Axis = None) -> Array:
    """``x - logsumexp(x)`` over ``axis`` (scipy's default: all axes).

    >>> from funcdiff.scipy.special import log_softmax
    >>> print(log_softmax([1000.0, 0.0]))
    [    0. -1000.]
    """
    return _log_softmax(x, axis=axis)


def sinc(x: ArrayLike) -> Array:
    """The normalized sinc ``sin(pi x) / (pi x)`` (1 at 0), as
    ``funcdiff.numpy.sinc``.

    >>> from funcdiff.scipy.special import sinc
    >>> print(float(sinc(0.0)), f"{float(sinc(0.5)):.6f}")
    1.0 0.636620
    """
    return _sinc(x)


def multigammaln(a: ArrayLike, d: int) -> Array:
    """The log of the multivariate gamma function of dimension ``d``:
    ``d (d-1)/4 log(pi) + sum_j gammaln(a - j/2)`` for ``j < d``. A concrete
    ``a <= (d - 1) / 2`` raises ValueError, as in scipy.

    >>> from funcdiff.scipy.special import multigammaln
    >>> print(f"{float(multigammaln(3.0, 2)):.6f}")
    1.550195
    """
    d = int(d)
    if d < 1:
        raise ValueError(f"multigammaln: d must be a positive integer, got {d}")
    (x,) = _floats("multigammaln", a)
    if not isinstance(x, Tracer) and np.any(np.asarray(x) <= 0.5 * (d - 1)):
        raise ValueError(f"multigammaln: condition a ({x}) > 0.5 * (d-1) ({0.5 * (d - 1)}) not met")
    shape = aval_of(x).shape
    offsets = (-0.5 * np.arange(d)).astype(dtype_of(x))
    terms = bind(gammaln_p, ew.add(sh.reshape(x, (*shape, 1)), offsets))
    total = sh.reduce_sum(terms, (len(shape),))
    return ew.add(total, dtype_of(x).type(d * (d - 1) / 4.0 * math.log(math.pi)))


def factorial(n: ArrayLike, exact: bool = False) -> Array:
    """``n!`` as ``gamma(n + 1)`` (0 for ``n < 0``), as scipy's
    ``exact=False``; ``exact=True`` hands concrete integers to scipy.

    >>> from funcdiff.scipy.special import factorial
    >>> print(factorial([3.0, 5.0, -1.0]))
    [  6. 120.   0.]
    """
    if exact:
        if isinstance(n, Tracer):
            raise TypeError("factorial(exact=True) needs concrete integers, not a traced value")
        return _scipy_special().factorial(n, exact=True)
    (x,) = _floats("factorial", n)
    return ew.select(ew.lt(x, 0.0), 0.0, bind(gamma_p, ew.add(x, 1.0)))


def comb(N: ArrayLike, k: ArrayLike, exact: bool = False, repetition: bool = False) -> Array:
    """The number of combinations of ``N`` things taken ``k`` at a time, as
    ``binom(N, k)`` where ``0 <= k <= N`` and 0 elsewhere (scipy's
    ``exact=False``); ``repetition`` counts with replacement. ``exact=True``
    hands concrete integers to scipy.

    >>> from funcdiff.scipy.special import comb
    >>> print(comb(10.0, [3.0, 11.0]), float(comb(10.0, 3.0, repetition=True)))
    [120.   0.] 220.0
    """
    if exact:
        if isinstance(N, Tracer) or isinstance(k, Tracer):
            raise TypeError("comb(exact=True) needs concrete integers, not traced values")
        return _scipy_special().comb(N, k, exact=True, repetition=repetition)
    n, kk = _floats("comb", N, k)
    if repetition:
        n = ew.sub(ew.add(n, kk), 1.0)
    ok = ew.logical_and(ew.logical_and(ew.le(kk, n), ew.ge(n, 0.0)), ew.ge(kk, 0.0))
    return ew.select(ok, bind(binom_p, n, kk), 0.0)


# exprel(z) = expm1(z) / z = sum_k z^k / (k + 1)!: near 0 its series
_EXPREL = [1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720]


def _exprel(z: Array) -> Array:
    near = ew.lt(bind(ew.abs_p, z), 1e-3)
    inf = ew.eq(z, np.inf)
    zs = _safe(ew.logical_or(near, inf), z)
    far = ew.div(_expm1(zs), zs)
    return ew.select(near, _poly(z, _EXPREL), ew.select(inf, np.inf, far))


def _log1p_over(z: Array) -> Array:
    """``log1p(z) / z`` (1 at 0), through its series near 0."""
    near = ew.lt(bind(ew.abs_p, z), 1e-3)
    zs = _safe(near, z)
    return ew.select(near, _poly(z, _LOG1P_OVER), ew.div(_log1p(zs), zs))


def exprel(x: ArrayLike) -> Array:
    """``(exp(x) - 1) / x``, 1 at 0, with its derivatives right near 0.

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import exprel
    >>> print(float(exprel(0.0)), f"{float(fd.grad(exprel)(0.0)):.6f}")
    1.0 0.500000
    """
    (x,) = _floats("exprel", x)
    return _exprel(x)


def _boxcox_of_log(zero: Array, l: Array, lmbda: Array) -> Array:
    """``(exp(lmbda l) - 1) / lmbda`` = ``l exprel(lmbda l)``: ``l`` at
    ``lmbda = 0``, with every derivative in ``lmbda`` right there too. Where
    ``zero`` (``x = 0``, so ``l = -inf``; ``l`` is given as 0 there) and
    where ``l = inf``, the limits: ``-1/lmbda`` for ``lmbda`` of the sign
    that makes it finite, else ``-inf`` or ``inf``. (An infinite ``lmbda``
    gives the limits too, not scipy's NaN.)"""
    big = ew.eq(l, np.inf)
    ls = _safe(big, l, 0.0)
    val = ew.mul(ls, _exprel(ew.mul(lmbda, ls)))
    nan = bind(ew.isnan_p, lmbda)
    pos, neg = ew.gt(lmbda, 0.0), ew.lt(lmbda, 0.0)
    recip = ew.div(-1.0, _safe(ew.eq(lmbda, 0.0), lmbda))
    low = ew.select(pos, recip, ew.select(nan, np.nan, -np.inf))
    high = ew.select(neg, recip, ew.select(nan, np.nan, np.inf))
    return ew.select(zero, low, ew.select(big, high, val))


def boxcox(x: ArrayLike, lmbda: ArrayLike) -> Array:
    """The Box-Cox transform ``(x**lmbda - 1) / lmbda`` (``log(x)`` at
    ``lmbda = 0``), differentiable in both arguments, also at ``lmbda = 0``.

    >>> import funcdiff as fd
    >>> from funcdiff.scipy.special import boxcox
    >>> print(f"{float(boxcox(2.0, 0.5)):.6f} {float(fd.grad(boxcox, 1)(2.0, 0.0)):.6f}")
    0.828427 0.240227
    """
    x, lm = _floats("boxcox", x, lmbda)
    zero = ew.eq(x, 0.0)
    return _boxcox_of_log(zero, ew.log(_safe(zero, x)), lm)


def boxcox1p(x: ArrayLike, lmbda: ArrayLike) -> Array:
    """``boxcox(1 + x, lmbda)``, accurate for small ``x``.

    >>> from funcdiff.scipy.special import boxcox1p
    >>> print(f"{float(boxcox1p(1e-20, 0.5)):.1e}")
    1.0e-20
    """
    x, lm = _floats("boxcox1p", x, lmbda)
    zero = ew.eq(x, -1.0)
    return _boxcox_of_log(zero, _log1p(_safe(zero, x, 0.0)), lm)


def _inv_boxcox_exponent(y: Array, lmbda: Array) -> Array:
    """``log1p(lmbda y) / lmbda`` (``y`` at ``lmbda = 0``), as ``y
    log1p(z)/z`` with ``z = lmbda y`` near ``z = 0`` (its series: every
    derivative in ``lmbda`` right at 0), directly elsewhere."""
    z = ew.mul(lmbda, y)
    near = ew.logical_or(ew.lt(bind(ew.abs_p, z), 1e-3), ew.eq(lmbda, 0.0))
    z_near = ew.select(bind(ew.isfinite_p, z), z, 0.0)  # lmbda = 0, y = +-inf
    far = ew.div(_log1p(_safe(near, z, 0.5)), _safe(near, lmbda))
    return ew.select(
        near, ew.mul(y, _poly(_safe(bind(ew.not_p, near), z_near, 0.0), _LOG1P_OVER)), far
    )


def inv_boxcox(y: ArrayLike, lmbda: ArrayLike) -> Array:
    """The inverse of ``boxcox``: ``(1 + lmbda y)**(1/lmbda)`` (``exp(y)`` at
    ``lmbda = 0``).

    >>> from funcdiff.scipy.special import inv_boxcox
    >>> print(f"{float(inv_boxcox(0.828427, 0.5)):.5f}")
    2.00000
    """
    y, lm = _floats("inv_boxcox", y, lmbda)
    return ew.exp(_inv_boxcox_exponent(y, lm))


def inv_boxcox1p(y: ArrayLike, lmbda: ArrayLike) -> Array:
    """The inverse of ``boxcox1p``: ``inv_boxcox(y, lmbda) - 1``, accurate for
    small ``y``.

    >>> from funcdiff.scipy.special import inv_boxcox1p
    >>> print(f"{float(inv_boxcox1p(1e-20, 0.5)):.1e}")
    1.0e-20
    """
    y, lm = _floats("inv_boxcox1p", y, lmbda)
    return _expm1(_inv_boxcox_exponent(y, lm))


def huber(delta: ArrayLike, r: ArrayLike) -> Array:
    """Huber's loss: ``r**2 / 2`` for ``|r| <= delta``, ``delta (|r| - delta/2)``
    beyond, ``inf`` for ``delta < 0``.

    >>> from funcdiff.scipy.special import huber
    >>> print(huber(1.0, [0.5, 3.0]))
    [0.125 2.5  ]
    """
    delta, r = _floats("huber", delta, r)
    a = bind(ew.abs_p, r)
    inner = ew.mul(0.5, ew.mul(r, r))
    outer = ew.mul(delta, ew.sub(a, ew.mul(0.5, delta)))
    return ew.select(ew.lt(delta, 0.0), np.inf, ew.select(ew.le(a, delta), inner, outer))


def pseudo_huber(delta: ArrayLike, r: ArrayLike) -> Array:
    """The smooth Huber loss ``delta**2 (sqrt(1 + (r/delta)**2) - 1)``, computed
    as ``delta r q / (hypot(1, q) + 1)`` with ``q = r/delta`` (no cancellation
    at small ``r``, no overflow at large); 0 for ``delta == 0``, ``inf`` for
    ``delta < 0``.

    >>> from funcdiff.scipy.special import pseudo_huber
    >>> print(f"{float(pseudo_huber(1.0, 1e-10)):.1e} {float(pseudo_huber(2.0, 3.0)):.6f}")
    5.0e-21 3.211103
    """
    delta, r = _floats("pseudo_huber", delta, r)
    bad = ew.le(delta, 0.0)
    ds = _safe(bad, delta)
    q = ew.div(r, ds)
    # delta r q / (hypot(1, q) + 1): |q| / (hypot + 1) < 1, so nothing
    # overflows unless the value does; |r| = inf gives inf
    u = ew.div(q, ew.add(_hypot(1.0, q), 1.0))
    finite = ew.logical_or(bind(ew.isfinite_p, r), bind(ew.isnan_p, r))
    val = ew.select(finite, ew.mul(ew.mul(ds, r), u), np.inf)
    return ew.select(bad, ew.select(ew.lt(delta, 0.0), np.inf, 0.0), val)

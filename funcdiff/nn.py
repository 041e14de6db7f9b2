"""Neural-network functions: activations, softmax, logsumexp, one_hot.

``import funcdiff.nn as fnn``. Every function is built from funcdiff
operations, so it is differentiable to any order and batches under vmap, and
every one is numerically stable: ``softmax``, ``log_softmax`` and
``logsumexp`` subtract the maximum first (and add it back), so logits of
1000 neither overflow nor lose their gradient; ``sigmoid`` and ``softplus``
never overflow.

>>> import funcdiff.nn as fnn, numpy as np
>>> fnn.softmax(np.array([1000.0, 1000.0]))
array([0.5, 0.5])
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar, overload

import numpy as np

from funcdiff.core.trace import Tracer, bind, named_scope
from funcdiff.core.typing import ArrayLike, Axis
from funcdiff.numpy._core import (
    Array,
    asarray_arg,
    dtype_of,
    normalize_axes,
    normalize_axis,
    promote_float,
    shape_of,
)
from funcdiff.numpy._ufuncs import logaddexp
from funcdiff.numpy._ufuncs import tanh as tanh
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import reductions as red
from funcdiff.primitives import shape as sh

if TYPE_CHECKING:
    from funcdiff.core.typing import DTypeLike


def _float(x: Any) -> Array:
    (x,) = promote_float(x)
    return asarray_arg(x)


def _keep(x: Array, shape: tuple[int, ...], axes: tuple[int, ...]) -> Array:
    """A reduction over ``axes`` reshaped to keep them as size-1 axes."""
    return sh.reshape(x, tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _safe_max(x: Array, axes: tuple[int, ...]) -> Array:
    """max over ``axes`` (kept as size-1 axes), replaced by 0 where it is not
    finite, so ``x - m`` is never ``inf - inf``."""
    shape = shape_of(x)
    m = _keep(red.reduce_max(x, axes), shape, axes)
    return ew.select(bind(ew.isfinite_p, m), m, 0.0)


def _sum_keep(x: Array, axes: tuple[int, ...]) -> Array:
    return _keep(sh.reduce_sum(x, axes), shape_of(x), axes)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _block(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """``fn`` traced inside ``named_scope(fn.__name__)``, so graph drawings show
    it as one block (``relu``, ``log_softmax``); an eager call pays one check."""
    name = fn.__name__

    @functools.wraps(fn)
    def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not (args and isinstance(args[0], Tracer)):
            return fn(*args, **kwargs)
        with named_scope(name):
            return fn(*args, **kwargs)

    return wrapped


# ---------------------------------------------------------------------------
# activations
# ---------------------------------------------------------------------------


@_block
def relu(x: ArrayLike) -> Array:
    """``max(x, 0)``, with derivative 0 at exactly 0 (as JAX).

    >>> import funcdiff as fd, funcdiff.nn as fnn
    >>> float(fnn.relu(-2.0)), float(fnn.relu(3.0)), float(fd.grad(fnn.relu)(0.0))
    (0.0, 3.0, 0.0)
    """
    x = asarray_arg(x)
    return ew.select(ew.le(x, 0), ew.weak(0, x), x)


@_block
def relu6(x: ArrayLike) -> Array:
    """``min(max(x, 0), 6)``; derivative 0 at 0 and at 6.

    >>> import funcdiff.nn as fnn
    >>> float(fnn.relu6(7.0)), float(fnn.relu6(3.0))
    (6.0, 3.0)
    """
    x = asarray_arg(x)
    return ew.select(ew.le(x, 0), ew.weak(0, x), ew.select(ew.ge(x, 6), ew.weak(6, x), x))


@_block
def leaky_relu(x: ArrayLike, negative_slope: float = 0.01) -> Array:
    """``x`` for ``x >= 0``, else ``negative_slope * x``.

    >>> import funcdiff.nn as fnn
    >>> float(fnn.leaky_relu(-2.0, 0.1))
    -0.2
    """
    x = _float(x)
    return ew.select(ew.ge(x, 0.0), x, ew.mul(x, negative_slope))


def _neg_part(x: Array) -> Array:
    """``x`` where ``x <= 0``, else 0: a safe argument for the negative branch."""
    return ew.select(ew.gt(x, 0.0), 0.0, x)


@_block
def elu(x: ArrayLike, alpha: float = 1.0) -> Array:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    >>> import funcdiff.nn as fnn
    >>> round(float(fnn.elu(-1.0)), 6)
    -0.632121
    """
    x = _float(x)
    neg = ew.mul(bind(ew.expm1_p, _neg_part(x)), alpha)
    return ew.select(ew.gt(x, 0.0), x, neg)


@_block
def celu(x: ArrayLike, alpha: float = 1.0) -> Array:
    """``x`` for ``x > 0``, else ``alpha * (exp(x / alpha) - 1)``.

    >>> import funcdiff.nn as fnn
    >>> round(float(fnn.celu(-1.0, 2.0)), 6)
    -0.786939
    """
    x = _float(x)
    neg = ew.mul(bind(ew.expm1_p, ew.div(_neg_part(x), alpha)), alpha)
    return ew.select(ew.gt(x, 0.0), x, neg)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@_block
def selu(x: ArrayLike) -> Array:
    """Scaled ELU with the self-normalizing constants.

    >>> import funcdiff.nn as fnn
    >>> round(float(fnn.selu(1.0)), 6)
    1.050701
    """
    return ew.mul(elu(x, _SELU_ALPHA), _SELU_SCALE)


@_block
def sigmoid(x: ArrayLike) -> Array:
    """The logistic function ``1 / (1 + exp(-x))``; never overflows.

    >>> import funcdiff.nn as fnn
    >>> float(fnn.sigmoid(0.0)), float(fnn.sigmoid(-1000.0))
    (0.5, 0.0)
    """
    return bind(ew.logistic_p, _float(x))


@_block
def softplus(x: ArrayLike) -> Array:
    """``log(1 + exp(x))`` computed as ``logaddexp(x, 0)`` (no overflow).

    >>> import funcdiff.nn as fnn
    >>> float(fnn.softplus(1000.0))
    1000.0
    """
    return logaddexp(_float(x), 0.0)


@_block
def log_sigmoid(x: ArrayLike) -> Array:
    """``log(sigmoid(x)) = -softplus(-x)``, accurate for very negative x.

    >>> import funcdiff.nn as fnn
    >>> float(fnn.log_sigmoid(-1000.0))
    -1000.0
    """
    return ew.neg(softplus(ew.neg(_float(x))))


@_block
def silu(x: ArrayLike) -> Array:
    """``x * sigmoid(x)`` (also called swish).

    >>> import funcdiff.nn as fnn
    >>> round(float(fnn.silu(1.0)), 6)
    0.731059
    """
    x = _float(x)
    return ew.mul(x, sigmoid(x))


swish = silu


@_block
def mish(x: ArrayLike) -> Array:
    """``x * tanh(softplus(x))``.

    >>> import funcdiff.nn as fnn
    >>> round(float(fnn.mish(1.0)), 6)
    0.865098
    """
    x = _float(x)
    return ew.mul(x, bind(ew.tanh_p, softplus(x)))


@_block
def softsign(x: ArrayLike) -> Array:
    """``x / (|x| + 1)``.

    >>> import funcdiff.nn as fnn
    >>> float(fnn.softsign(-3.0))
    -0.75
    """
    x = _float(x)
    return ew.div(x, ew.add(bind(ew.abs_p, x), 1.0))


@_block
def hard_tanh(x: ArrayLike) -> Array:
    """``x`` clipped to ``[-1, 1]``.

    >>> import funcdiff.nn as fnn
    >>> float(fnn.hard_tanh(2.0)), float(fnn.hard_tanh(-0.5))
    (1.0, -0.5)
    """
    x = _float(x)
    return ew.select(ew.gt(x, 1.0), 1.0, ew.select(ew.lt(x, -1.0), -1.0, x))


@_block
def hard_sigmoid(x: ArrayLike) -> Array:
    """``relu6(x + 3) / 6``.

    >>> import funcdiff.nn as fnn
    >>> float(fnn.hard_sigmoid(0.0))
    0.5
    """
    return ew.div(relu6(ew.add(_float(x), 3.0)), 6.0)


@_block
def hard_silu(x: ArrayLike) -> Array:
    """``x * hard_sigmoid(x)`` (also called hard_swish).

    >>> import funcdiff.nn as fnn
    >>> float(fnn.hard_silu(3.0))
    3.0
    """
    x = _float(x)
    return ew.mul(x, hard_sigmoid(x))


hard_swish = hard_silu


@_block
def glu(x: ArrayLike, axis: int = -1) -> Array:
    """Gated linear unit: split ``x`` in two halves ``a, b`` along ``axis``,
    return ``a * sigmoid(b)``.

    >>> import funcdiff.nn as fnn, numpy as np
    >>> fnn.glu(np.ones((2, 4))).shape
    (2, 2)
    """
    x = _float(x)
    shape = shape_of(x)
    ax = normalize_axis(axis, len(shape))
    n = shape[ax]
    if n % 2:
        raise ValueError(f"glu: axis {axis} of shape {shape} must have an even size")
    a = ix.slice_axis(x, 0, n // 2, ax)
    b = ix.slice_axis(x, n // 2, n, ax)
    return ew.mul(a, sigmoid(b))


# -- gelu and the error function ------------------------------------------------

# W. J. Cody's rational Chebyshev approximations of erf/erfc (Math. Comp. 1969,
# as in the SPECFUN routine CALERF): |relative error| below 1e-15 on each range.
_ERF_A = (
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
    1.85777706184603153e-1,
)
_ERF_B = (
    2.36012909523441209e01,
    2.44024637934444173e02,
    1.28261652607737228e03,
    2.84423683343917062e03,
)
_ERF_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8,
)
_ERF_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
_ERF_P = (
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2,
)
_ERF_Q = (
    2.56852019228982242e00,
    1.87295284992346725e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)
_INV_SQRT_PI = 0.56418958354775628695


def _exp_neg_sq(y: Array) -> Array:
    """``exp(-y*y)`` with y*y split in an exact part and a small rest (Cody)."""
    head = ew.div(ew.floor(ew.mul(y, 16.0)), 16.0)
    rest = ew.mul(ew.sub(y, head), ew.add(y, head))
    return ew.mul(ew.exp(ew.neg(ew.mul(head, head))), ew.exp(ew.neg(rest)))


def _erf_erfc(x: Array) -> tuple[Array, Array]:
    """(erf(x), erfc(x)), each to about 1e-15 relative, from funcdiff ops.

    Three ranges of ``y = |x|``; each branch is evaluated on a safe argument
    so the branches not taken contribute neither NaN values nor NaN
    derivatives. NaN falls through to the last branch and stays NaN.
    """
    y = bind(ew.abs_p, x)
    small = ew.le(y, 0.46875)
    mid = ew.le(y, 4.0)
    # |x| <= 0.46875: erf(x) = x * P(x^2) / Q(x^2)
    y1 = ew.select(small, x, 0.0)
    z = ew.mul(y1, y1)
    num: Any = ew.mul(_ERF_A[4], z)
    den: Any = z
    for i in range(3):
        num = ew.mul(ew.add(num, _ERF_A[i]), z)
        den = ew.mul(ew.add(den, _ERF_B[i]), z)
    erf_small = ew.div(ew.mul(y1, ew.add(num, _ERF_A[3])), ew.add(den, _ERF_B[3]))
    # 0.46875 < |x| <= 4: erfc(|x|) = exp(-x^2) P(|x|) / Q(|x|)
    y2 = ew.select(mid, y, 1.0)
    num = ew.mul(_ERF_C[8], y2)
    den = y2
    for i in range(7):
        num = ew.mul(ew.add(num, _ERF_C[i]), y2)
        den = ew.mul(ew.add(den, _ERF_D[i]), y2)
    erfc_mid = ew.mul(ew.div(ew.add(num, _ERF_C[7]), ew.add(den, _ERF_D[7])), _exp_neg_sq(y2))
    # |x| > 4: erfc(|x|) = exp(-x^2) / |x| * (1/sqrt(pi) + R(1/x^2) / x^2); beyond
    # |x| = 27 erfc underflows, so the argument is capped there
    y3 = ew.select(mid, 5.0, ew.minimum(y, 27.0))
    w = ew.div(1.0, ew.mul(y3, y3))
    num = ew.mul(_ERF_P[5], w)
    den = w
    for i in range(4):
        num = ew.mul(ew.add(num, _ERF_P[i]), w)
        den = ew.mul(ew.add(den, _ERF_Q[i]), w)
    tail = ew.mul(w, ew.div(ew.add(num, _ERF_P[4]), ew.add(den, _ERF_Q[4])))
    erfc_big = ew.mul(ew.div(ew.sub(_INV_SQRT_PI, tail), y3), _exp_neg_sq(y3))
    erfc_big = ew.select(ew.ge(y3, 26.543), 0.0, erfc_big)  # below the smallest double
    erfc_abs = ew.select(mid, erfc_mid, erfc_big)  # erfc(|x|) for |x| > 0.46875
    neg = ew.lt(x, 0.0)
    erf_big = ew.select(neg, ew.sub(erfc_abs, 1.0), ew.sub(1.0, erfc_abs))
    erfc_big_signed = ew.select(neg, ew.sub(2.0, erfc_abs), erfc_abs)
    erf = ew.select(small, erf_small, erf_big)
    erfc = ew.select(small, ew.sub(1.0, erf_small), erfc_big_signed)
    return erf, erfc


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


@_block
def gelu(x: ArrayLike, approximate: bool = True) -> Array:
    """Gaussian error linear unit ``x * Phi(x)``. ``approximate=True`` uses the
    tanh form ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``;
    ``approximate=False`` is exact, ``0.5 x erfc(-x / sqrt(2))``.

    >>> import funcdiff.nn as fnn
    >>> round(float(fnn.gelu(1.0)), 6), round(float(fnn.gelu(1.0, approximate=False)), 6)
    (0.841192, 0.841345)
    """
    x = _float(x)
    if approximate:
        inner = ew.mul(ew.add(x, ew.mul(0.044715, ew.integer_pow(x, 3))), _SQRT_2_OVER_PI)
        return ew.mul(ew.mul(0.5, x), ew.add(1.0, bind(ew.tanh_p, inner)))
    _, erfc = _erf_erfc(ew.mul(x, -1.0 / math.sqrt(2.0)))
    return ew.mul(ew.mul(0.5, x), erfc)


# ---------------------------------------------------------------------------
# softmax and friends
# ---------------------------------------------------------------------------


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
@_block
def logsumexp(
    a: ArrayLike,
    axis: Axis = None,
    b: ArrayLike | None = None,
    keepdims: bool = False,
    return_sign: bool = False,
) -> Array | tuple[Array, Array]:
    """``log(sum(b * exp(a)))`` over ``axis``, computed stably
    (``scipy.special.logsumexp`` semantics).

    Entries whose weight ``b`` is 0 are left out (even if ``a`` is inf or
    NaN there). All ``-inf`` gives ``-inf``; a negative sum gives NaN unless
    ``return_sign``, which returns ``(log|sum|, sign(sum))``.

    >>> import funcdiff.nn as fnn, numpy as np
    >>> round(float(fnn.logsumexp(np.array([1000.0, 1000.0]))), 6)
    1000.693147
    >>> float(fnn.logsumexp(np.array([1.0, 2.0]), b=np.array([1.0, -1.0]), return_sign=True)[1])
    -1.0
    """
    x: Array
    if b is None:
        x = _float(a)
    else:
        x, b = (asarray_arg(v) for v in promote_float(a, b))
        shape = tuple(np.broadcast_shapes(shape_of(x), shape_of(b)))
        x, b = sh.broadcast_to(x, shape), sh.broadcast_to(b, shape)
    in_shape = shape_of(x)
    if not in_shape:
        x = sh.reshape(x, (1,))
        b = None if b is None else sh.reshape(b, (1,))
    shape = shape_of(x)
    axes = normalize_axes(axis, len(shape))
    out_shape = tuple(n for i, n in enumerate(in_shape) if i not in axes)
    keep_shape = tuple(1 if i in axes else n for i, n in enumerate(in_shape))
    if any(shape[i] == 0 for i in axes):
        out = np.full(keep_shape if keepdims else out_shape, -np.inf, dtype_of(x))
        return (out, np.sign(out)) if return_sign else out
    if b is not None:
        x = ew.select(ew.eq(b, 0.0), -np.inf, x)
    m = _safe_max(x, axes)
    e = ew.exp(ew.sub(x, m))
    if b is not None:
        e = ew.mul(b, e)
    s = _sum_keep(e, axes)
    if return_sign:
        sgn = ew.sign(s)
        s = bind(ew.abs_p, s)
    pos = ew.gt(s, 0.0)
    out = ew.add(ew.log(ew.select(pos, s, 1.0)), m)
    dt = dtype_of(out)
    out = ew.select(pos, out, ew.select(ew.eq(s, 0.0), dt.type(-np.inf), dt.type(np.nan)))
    final = keep_shape if keepdims else out_shape
    out = sh.reshape(out, final)
    if return_sign:
        return out, sh.reshape(sgn, final)
    return out


@_block
def softmax(x: ArrayLike, axis: Axis = -1) -> Array:
    """``exp(x) / sum(exp(x))`` along ``axis`` (an int, a tuple or None for all
    axes), shifted by the maximum so it never overflows.

    >>> import funcdiff.nn as fnn, numpy as np
    >>> fnn.softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """
    x = _float(x)
    axes = normalize_axes(axis, len(shape_of(x)))
    e = ew.exp(ew.sub(x, _safe_max(x, axes)))
    return ew.div(e, _sum_keep(e, axes))


@_block
def log_softmax(x: ArrayLike, axis: Axis = -1) -> Array:
    """``x - logsumexp(x)`` along ``axis``, stable for extreme logits.

    >>> import funcdiff.nn as fnn, numpy as np
    >>> fnn.log_softmax(np.array([1000.0, 0.0]))
    array([    0., -1000.])
    """
    x = _float(x)
    axes = normalize_axes(axis, len(shape_of(x)))
    shifted = ew.sub(x, _safe_max(x, axes))
    return ew.sub(shifted, ew.log(_sum_keep(ew.exp(shifted), axes)))


def one_hot(
    x: ArrayLike, num_classes: int, *, dtype: DTypeLike = np.float64, axis: int = -1
) -> Array:
    """``one_hot(x, n)[..., k] = (x[...] == k)``; labels outside ``[0, n)``
    give a row of zeros.

    >>> import funcdiff.nn as fnn, numpy as np
    >>> fnn.one_hot(np.array([0, 2]), 3)
    array([[1., 0., 0.],
           [0., 0., 1.]])
    """
    x = asarray_arg(x)
    shape = shape_of(x)
    classes = np.arange(int(num_classes)).astype(dtype_of(x))
    hit = ew.eq(sh.reshape(x, (*shape, 1)), classes)
    out = ew.convert(hit, np.dtype(dtype))
    return sh.moveaxis(out, -1, normalize_axis(axis, len(shape) + 1))


@_block
def standardize(
    x: ArrayLike,
    axis: Axis = -1,
    mean: ArrayLike | None = None,
    variance: ArrayLike | None = None,
    epsilon: float = 1e-5,
) -> Array:
    """``(x - mean) / sqrt(variance + epsilon)`` with the mean and variance
    over ``axis`` unless given.

    >>> import funcdiff.nn as fnn, numpy as np
    >>> np.round(fnn.standardize(np.array([1.0, 3.0]), epsilon=0.0), 6)
    array([-1.,  1.])
    """
    x = _float(x)
    shape = shape_of(x)
    axes = normalize_axes(axis, len(shape))
    n = float(np.prod([shape[i] for i in axes], dtype=np.int64))
    if mean is None or variance is None:
        mu = ew.div(_sum_keep(x, axes), n)
        mean = mu if mean is None else mean
        if variance is None:
            d = ew.sub(x, mu)
            variance = ew.div(_sum_keep(ew.mul(d, d), axes), n)
    scale = ew.div(1.0, ew.sqrt(ew.add(variance, epsilon)))
    return ew.mul(ew.sub(x, mean), scale)


normalize = standardize


__all__ = [
    "celu",
    "elu",
    "gelu",
    "glu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "mish",
    "normalize",
    "one_hot",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "standardize",
    "swish",
    "tanh",
]

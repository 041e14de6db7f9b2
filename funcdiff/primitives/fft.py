"""The discrete Fourier transform: one primitive, ``fft``, on the trailing axes.

``fft(x, fft_type=..., fft_lengths=(n_1, ..., n_k))`` transforms the last
``k`` axes of ``x`` with numpy's unnormalized ("backward") convention: the
forward transforms carry no factor, the inverse ones divide by
``N = n_1 * ... * n_k``. ``funcdiff.numpy.fft`` builds numpy's functions on
it (padding, truncation, axes, ``norm``) with ordinary operations.

========  =====================================  ==================================
type      operand (last k axes)                  result (last k axes)
========  =====================================  ==================================
fft       complex ``(n_1, ..., n_k)``            complex, same shape
ifft      complex ``(n_1, ..., n_k)``            complex, same shape
rfft      real ``(n_1, ..., n_k)``               complex ``(n_1, ..., n_k // 2 + 1)``
irfft     complex ``(n_1, ..., n_k // 2 + 1)``   real ``(n_1, ..., n_k)``
========  =====================================  ==================================

Single precision stays single (float32 <-> complex64), double stays double,
as in JAX; numpy 1.x computes in double, so ``impl`` casts back.

The transform is linear (over the reals for rfft and irfft), so its rules
come from its transposes for the pairing ``<g, t> = Re(sum(g * t))`` of
docs/complex.md (no conjugation), each checked in tests/numpy/test_fft.py by
``<g, J t> == <J^T g, t>`` on random data:

- fft, ifft: the DFT matrix ``F[j, k] = w^(jk)`` is symmetric, and so is the
  inverse's ``conj(F) / N``: each is its own transpose.
- rfft: ``<g, rfft(x)> = sum_j x_j Re(sum_{k <= n/2} g_k w^(jk))``, so the
  transpose is ``Re(fft(g padded with zeros to n))`` (the other axes' full
  transforms are symmetric and commute with the padding of the last).
- irfft: numpy's ``irfft(h)_j = (1/N) [Re h_0 + 2 Re sum_{0<k<n/2} h_k w^(-jk)
  + Re h_{n/2} (-1)^j]`` (the imaginary parts of the first and, for even
  ``n``, the last bin are ignored). With ``G = rfft(g)`` (real ``g``,
  ``conj(G_k) = sum_j g_j w^(-jk)``) this gives
  ``h_bar = m * conj(rfft(g)) / N``, where the half-spectrum weights ``m``
  are 1 at bin 0, 1 at bin ``n/2`` for even ``n``, and 2 in between.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcdiff.core.ir import ShapedArray, aval_of
from funcdiff.core.primitive import Primitive, Samples
from funcdiff.core.trace import bind
from funcdiff.errors import DTypeError, ShapeError
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import shape as sh
from funcdiff.primitives import sparsity as spd
from funcdiff.primitives.rules import linear

Array = Any

#: the four kinds of transform, as ``fft_type``
FFT_TYPES = ("fft", "ifft", "rfft", "irfft")

_COMPLEX = {np.dtype(np.complex64), np.dtype(np.complex128)}
_REAL = {np.dtype(np.float32), np.dtype(np.float64)}
_TO_COMPLEX = {
    np.dtype(np.float32): np.dtype(np.complex64),
    np.dtype(np.float64): np.dtype(np.complex128),
}
_TO_REAL = {c: r for r, c in _TO_COMPLEX.items()}


def half_length(n: int) -> int:
    """The number of bins ``rfft`` keeps of a length-``n`` axis: ``n // 2 + 1``.

    >>> half_length(6), half_length(7)
    (4, 4)
    """
    return n // 2 + 1


# ---------------------------------------------------------------------------
# fft: the DFT of the trailing len(fft_lengths) axes; linear, see the module
# docstring for the transposes
# ---------------------------------------------------------------------------


def _fft_impl(x: Array, *, fft_type: str, fft_lengths: tuple[int, ...]) -> Array:
    x = np.asarray(x)
    axes = tuple(range(x.ndim - len(fft_lengths), x.ndim))
    out: np.ndarray
    if fft_type == "fft":
        out, dtype = np.fft.fftn(x, axes=axes), x.dtype
    elif fft_type == "ifft":
        out, dtype = np.fft.ifftn(x, axes=axes), x.dtype
    elif fft_type == "rfft":
        out, dtype = np.fft.rfftn(x, axes=axes), _TO_COMPLEX[x.dtype]
    else:
        out, dtype = np.fft.irfftn(x, s=fft_lengths, axes=axes), _TO_REAL[x.dtype]
    return np.asarray(out).astype(dtype, copy=False)  # numpy 1.x computes in double


def _fft_abstract_eval(
    x: ShapedArray, *, fft_type: str, fft_lengths: tuple[int, ...]
) -> ShapedArray:
    if fft_type not in FFT_TYPES:
        raise ValueError(f"fft: fft_type must be one of {FFT_TYPES}, got {fft_type!r}")
    k = len(fft_lengths)
    if not all(isinstance(n, int) and n >= 1 for n in fft_lengths) or not 1 <= k <= x.ndim:
        raise ShapeError(
            f"fft: fft_lengths={fft_lengths} for operand {x.str_short()}: give between 1 and "
            f"{x.ndim} positive lengths, one per trailing axis transformed"
        )
    want = set(_REAL if fft_type == "rfft" else _COMPLEX)
    if x.dtype not in want:
        kind = "float32 or float64" if fft_type == "rfft" else "complex64 or complex128"
        raise DTypeError(
            f"fft: fft_type={fft_type!r} needs a {kind} operand, got {x.str_short()}; "
            "convert it first (the funcdiff.numpy.fft functions do)"
        )
    lead, tail = x.shape[: x.ndim - k], x.shape[x.ndim - k :]
    expect = fft_lengths
    if fft_type == "irfft":
        expect = (*fft_lengths[:-1], half_length(fft_lengths[-1]))
    if tail != expect:
        raise ShapeError(
            f"fft: fft_type={fft_type!r} with fft_lengths={fft_lengths} needs trailing axes "
            f"{expect}, got operand {x.str_short()}; pad or slice the operand first "
            "(the funcdiff.numpy.fft functions do, by their n and s arguments)"
        )
    if fft_type == "rfft":
        return ShapedArray(
            (*lead, *fft_lengths[:-1], half_length(fft_lengths[-1])), _TO_COMPLEX[x.dtype]
        )
    if fft_type == "irfft":
        return ShapedArray((*lead, *fft_lengths), _TO_REAL[x.dtype])
    return x


def _half_weights(n: int, dtype: Any) -> np.ndarray:
    """How often each of rfft's ``n // 2 + 1`` bins stands in the full
    spectrum: 1 for bin 0 and (even ``n``) bin ``n / 2``, 2 for the others."""
    w = np.full(half_length(n), 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    return w.astype(dtype)


def _fft_transpose(ct: Array, x: Array, *, fft_type: str, fft_lengths: tuple[int, ...]) -> Array:
    if fft_type in ("fft", "ifft"):  # symmetric matrices
        return fft(ct, fft_type, fft_lengths)
    n = fft_lengths[-1]
    if fft_type == "rfft":  # Re(fft of the cotangent padded to the full spectrum)
        config = [(0, 0, 0)] * aval_of(ct).ndim
        config[-1] = (0, n - half_length(n), 0)
        return ew.real(fft(ix.pad(ct, 0.0, tuple(config)), "fft", fft_lengths))
    # irfft: weights * conj(rfft(ct)) / N
    spectrum = ew.conj(fft(ct, "rfft", fft_lengths))
    weights = _half_weights(n, aval_of(spectrum).dtype) / math.prod(fft_lengths)
    return ew.mul(spectrum, weights)


def _fft_batch(args: Sequence[Array], dims: Sequence[int | None], **params: Any) -> Any:
    # a batch axis among the untransformed leading axes stays where it is;
    # one among the transformed axes moves to the front
    (x,), (d,) = args, dims
    assert d is not None
    if d >= aval_of(x).ndim - len(params["fft_lengths"]):
        x, d = sh.moveaxis(x, d, 0), 0
    return bind(fft_p, x, **params), d


def _fft_sparsity(ctx: spd.Context, deps: Sequence[Any], **params: Any) -> list[Any]:
    """Every output element depends on every operand element of its own
    transform (the trailing axes), none of another's; linear: no Hessian term."""
    (d,) = deps
    (a,), (o,) = ctx.in_avals, ctx.out_avals
    k = len(params["fft_lengths"])
    count = math.prod(a.shape[: a.ndim - k])
    if d is None or count == 0 or a.size == 0:
        return [None if d is None else ctx.empty(o.size)]
    per_in, per_out = a.size // count, o.size // count
    groups = spd.index_matrix(np.arange(a.size) // per_in, np.arange(a.size), (count, a.size))
    return [spd.take_rows(spd.combine(groups, d), np.arange(o.size) // per_out)]


def _fft_lower(ctx: Any, x: Any, *, fft_type: str, fft_lengths: tuple[int, ...]) -> Any:
    axes = tuple(range(x.ndim - len(fft_lengths), x.ndim))
    if fft_type == "irfft":
        return ctx.jnp.fft.irfftn(x, s=fft_lengths, axes=axes)
    fn = {"fft": ctx.jnp.fft.fftn, "ifft": ctx.jnp.fft.ifftn, "rfft": ctx.jnp.fft.rfftn}
    return fn[fft_type](x, axes=axes)


def _fft_samples(rng: np.random.Generator) -> Samples:
    # complex operands only: the sweeps that differentiate float operands
    # against an mpmath table take real inputs (rfft is covered by
    # tests/numpy/test_fft.py, with the same checks)
    def c(*shape: int, dtype: Any = np.complex128) -> np.ndarray:
        return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(dtype)

    return [
        ((c(5),), {"fft_type": "fft", "fft_lengths": (5,)}),
        ((c(3, 4),), {"fft_type": "ifft", "fft_lengths": (4,)}),
        ((c(2, 3, 4),), {"fft_type": "fft", "fft_lengths": (3, 4)}),
        ((c(4, dtype=np.complex64),), {"fft_type": "ifft", "fft_lengths": (4,)}),
        ((c(2, 3),), {"fft_type": "irfft", "fft_lengths": (4,)}),
        ((c(3, 3),), {"fft_type": "irfft", "fft_lengths": (5,)}),
        ((c(2, 4, 3),), {"fft_type": "irfft", "fft_lengths": (4, 5)}),
    ]


fft_p = Primitive(
    "fft",
    impl=_fft_impl,
    abstract_eval=_fft_abstract_eval,
    rules=linear(_fft_transpose),
    batch=_fft_batch,
    sparsity=_fft_sparsity,
    lower_jax=_fft_lower,
    samples=_fft_samples,
)


def fft(x: Array, fft_type: str, fft_lengths: Sequence[int]) -> Array:
    """The unnormalized transform ``fft_type`` of the last ``len(fft_lengths)``
    axes of ``x`` (see the module docstring).

    >>> import numpy as np
    >>> print(fft(np.array([[1.0, 2.0, 3.0, 4.0]]), "rfft", (4,)).real)
    [[10. -2. -2.]]
    """
    return bind(fft_p, x, fft_type=str(fft_type), fft_lengths=tuple(int(n) for n in fft_lengths))

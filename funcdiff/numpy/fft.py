"""``funcdiff.numpy.fft``: numpy's discrete Fourier transforms, traceable and
differentiable.

Every transform is one ``fft`` primitive (``funcdiff.primitives.fft``) on the
requested axes, which move to the end and back; ``n``/``s`` pad with zeros or
truncate first, and ``norm`` multiplies the unnormalized result. Derivatives
follow docs/complex.md (a real loss of a spectrum has a ``grad``; ``jvp``
and ``vjp`` take any function), to any order, and ``np.fft.fft(x)`` on a
traced ``x`` comes here.

Dtypes as in JAX: float32 and complex64 give single-precision results,
float64, complex128, integers and bools double. ``rfft``, ``rfftn`` and
``ihfft`` refuse complex input (numpy does too).

Functions are grouped by kind under section banners.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from funcdiff._compat import AxisError
from funcdiff.core.trace import Tracer
from funcdiff.core.typing import ArrayLike
from funcdiff.numpy._core import Array, asarray_arg, dtype_of, shape_of
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import fft as pf
from funcdiff.primitives import indexing as ix
from funcdiff.primitives import shape as sh

__all__ = [
    "fft",
    "fft2",
    "fftfreq",
    "fftn",
    "fftshift",
    "hfft",
    "ifft",
    "ifft2",
    "ifftn",
    "ifftshift",
    "ihfft",
    "irfft",
    "irfft2",
    "irfftn",
    "rfft",
    "rfft2",
    "rfftfreq",
    "rfftn",
]

_NORMS = (None, "backward", "ortho", "forward")
_SINGLE = {np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.complex64)}
_FORWARD = ("fft", "rfft")


# ---------------------------------------------------------------------------
# arguments: norm, lengths, axes, dtypes
# ---------------------------------------------------------------------------


def _norm(norm: str | None, fname: str) -> str:
    if norm not in _NORMS:
        raise ValueError(
            f"{fname}: invalid norm={norm!r}; use None, 'backward', 'ortho' or 'forward'"
        )
    return "backward" if norm is None else norm


def _swap(norm: str) -> str:
    """hfft and ihfft scale the other way round."""
    return {"backward": "forward", "forward": "backward"}.get(norm, norm)


def _length(n: Any, fname: str, what: str = "n") -> int:
    try:
        value = operator.index(n)
    except TypeError:
        raise TypeError(f"{fname}: {what} must be an integer, got {n!r}") from None
    if value < 1:
        raise ValueError(
            f"{fname}: invalid number of FFT data points ({value}) specified by {what}; "
            "it must be at least 1"
        )
    return value


def _axis(axis: Any, ndim: int, fname: str, what: str = "axis") -> int:
    try:
        a = operator.index(axis)
    except TypeError:
        raise TypeError(f"{fname}: {what} must be an integer, got {axis!r}") from None
    if not -ndim <= a < ndim:
        raise AxisError(f"{fname}: {what} {a} is out of bounds for an array of dimension {ndim}")
    return a % ndim


def _as_complex(x: Array) -> Array:
    dt = dtype_of(x)
    return ew.convert(x, np.complex64 if dt in _SINGLE else np.complex128)


def _as_real(x: Array, fname: str) -> Array:
    dt = dtype_of(x)
    if dt.kind == "c":
        raise TypeError(
            f"{fname}: the input must be real, got {dt}; take its real part first, "
            "or use the complex transform"
        )
    return ew.convert(x, np.float32 if dt in _SINGLE else np.float64)


# ---------------------------------------------------------------------------
# the transform of a set of distinct axes: resize, move to the end, bind
# ---------------------------------------------------------------------------


def _resize(x: Array, axis: int, n: int) -> Array:
    """``x`` truncated or padded with zeros (at the end) to ``n`` along ``axis``."""
    size = shape_of(x)[axis]
    if n < size:
        return ix.slice_axis(x, 0, n, axis)
    if n > size:
        config = [(0, 0, 0)] * len(shape_of(x))
        config[axis] = (0, n - size, 0)
        return ix.pad(x, 0.0, tuple(config))
    return x


def _transform(
    x: Array, kind: str, axes: Sequence[int], lengths: Sequence[int], norm: str
) -> Array:
    """The ``kind`` transform over distinct ``axes`` (the last one halved for
    rfft/irfft) of lengths ``lengths``, scaled by ``norm``; ``x`` has the
    right dtype."""
    for ax, n in zip(axes, lengths, strict=True):
        last = kind == "irfft" and ax == axes[-1]
        x = _resize(x, ax, pf.half_length(n) if last else n)
    ndim = len(shape_of(x))
    perm = [i for i in range(ndim) if i not in axes] + list(axes)
    y = sh.transpose(x, tuple(perm))
    y = pf.fft(y, kind, lengths)
    y = sh.transpose(y, tuple(int(i) for i in np.argsort(perm)))
    total = math.prod(lengths)
    # the primitive is numpy's "backward" convention: 1 forward, 1/N inverse
    forward = kind in _FORWARD
    if norm == "ortho":
        factor = 1.0 / math.sqrt(total) if forward else math.sqrt(total)
    elif norm == "forward":
        factor = 1.0 / total if forward else float(total)
    else:
        factor = 1.0
    return y if factor == 1.0 else ew.mul(y, factor)


def _one(a: ArrayLike, kind: str, n: Any, axis: Any, norm: str | None, fname: str) -> Array:
    """A one-axis transform with numpy's arguments."""
    nm = _norm(norm, fname)
    x = asarray_arg(a)
    ax = _axis(axis, len(shape_of(x)), fname)
    x = _as_real(x, fname) if kind == "rfft" else _as_complex(x)
    if n is None:
        size = shape_of(x)[ax]
        n = 2 * (size - 1) if kind == "irfft" else size
    return _transform(x, kind, [ax], [_length(n, fname)], nm)


def _cook(
    x: Array, s: Any, axes: Any, fname: str, inverse_real: bool
) -> tuple[list[int], list[int]]:
    """numpy's ``s`` and ``axes`` as lists of lengths and non-negative axes."""
    shape = shape_of(x)
    ndim = len(shape)
    if axes is None:
        count = ndim if s is None else len(s)
        if count > ndim:
            raise ValueError(f"{fname}: s={tuple(s)} has more entries than the input {shape} axes")
        axes = range(ndim - count, ndim)
    elif isinstance(axes, (int, np.integer)):
        raise TypeError(f"{fname}: axes must be a sequence of ints, got {axes!r}")
    ax = [_axis(a, ndim, fname, "axes entry") for a in axes]
    if s is None:
        lengths = [shape[a] for a in ax]
        if inverse_real and ax:
            lengths[-1] = 2 * (lengths[-1] - 1)
    else:
        if isinstance(s, (int, np.integer)):
            raise TypeError(f"{fname}: s must be a sequence of ints, got {s!r}")
        if len(s) != len(ax):
            raise ValueError(f"{fname}: s={tuple(s)} and axes={tuple(axes)} have different lengths")
        # (numpy 2: an entry -1, or None, keeps the input's size)
        lengths = [
            shape[a] if v is None or (_is_int(v) and v == -1) else v
            for v, a in zip(s, ax, strict=True)
        ]
    return [_length(v, fname, f"s[{i}]") for i, v in enumerate(lengths)], ax


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _many(a: ArrayLike, kind: str, s: Any, axes: Any, norm: str | None, fname: str) -> Array:
    """fftn, ifftn, rfftn, irfftn with numpy's arguments."""
    nm = _norm(norm, fname)
    x = asarray_arg(a)
    lengths, ax = _cook(x, s, axes, fname, kind == "irfft")
    if not ax:
        if kind in ("rfft", "irfft"):
            raise AxisError(f"{fname}: needs at least one axis to transform")
        return x  # numpy: no axes, nothing to do
    if len(set(ax)) == len(ax):
        x = _as_real(x, fname) if kind == "rfft" else _as_complex(x)
        return _transform(x, kind, ax, lengths, nm)
    # an axis named twice is transformed twice, in numpy's order
    if kind == "rfft":
        x = _one(x, "rfft", lengths[-1], ax[-1], norm, fname)
        for i in range(len(ax) - 2, -1, -1):
            x = _one(x, "fft", lengths[i], ax[i], norm, fname)
        return x
    if kind == "irfft":
        for i in range(len(ax) - 1):
            x = _one(x, "ifft", lengths[i], ax[i], norm, fname)
        return _one(x, "irfft", lengths[-1], ax[-1], norm, fname)
    for i in range(len(ax) - 1, -1, -1):
        x = _one(x, kind, lengths[i], ax[i], norm, fname)
    return x


# ---------------------------------------------------------------------------
# one axis
# ---------------------------------------------------------------------------


def fft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None) -> Array:
    """The discrete Fourier transform along ``axis``, as numpy.fft.fft: ``n``
    pads with zeros or truncates first; ``norm`` (None/"backward": no factor,
    "ortho": 1/sqrt(n), "forward": 1/n).

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> print(fnp.fft.fft(np.array([1.0, 2.0, 1.0, 2.0])).real)
    [ 6.  0. -2.  0.]
    """
    return _one(a, "fft", n, axis, norm, "funcdiff.numpy.fft.fft")


def ifft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None) -> Array:
    """The inverse of ``fft`` along ``axis`` (with its ``n`` and ``norm``),
    as numpy.fft.ifft.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> print(fnp.fft.ifft(fnp.fft.fft(np.array([1.0, 2.0, 3.0]))).real.round(6))
    [1. 2. 3.]
    """
    return _one(a, "ifft", n, axis, norm, "funcdiff.numpy.fft.ifft")


def rfft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None) -> Array:
    """The transform of real input along ``axis``, its ``n // 2 + 1``
    non-negative frequencies, as numpy.fft.rfft.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> fnp.fft.rfft(np.array([1.0, 2.0, 1.0, 2.0])).shape
    (3,)
    """
    return _one(a, "rfft", n, axis, norm, "funcdiff.numpy.fft.rfft")


def irfft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None) -> Array:
    """The inverse of ``rfft``: ``n`` real values (``2 * (m - 1)`` for ``m``
    input bins when None), as numpy.fft.irfft. The imaginary parts of bin 0
    and (even ``n``) bin ``n / 2`` are ignored.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> print(fnp.fft.irfft(fnp.fft.rfft(np.array([1.0, 2.0, 3.0])), 3).round(6))
    [1. 2. 3.]
    """
    return _one(a, "irfft", n, axis, norm, "funcdiff.numpy.fft.irfft")


def hfft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None) -> Array:
    """The real spectrum of a signal with Hermitian symmetry, given by its
    first half, as numpy.fft.hfft: ``irfft(conj(a), n)`` scaled the other way
    round.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> print(fnp.fft.hfft(np.array([1.0, 2.0, 3.0])).round(6))
    [ 8. -2.  0. -2.]
    """
    nm = _norm(norm, "funcdiff.numpy.fft.hfft")
    x = asarray_arg(a)
    ax = _axis(axis, len(shape_of(x)), "funcdiff.numpy.fft.hfft")
    x = ew.conj(_as_complex(x))
    if n is None:
        n = 2 * (shape_of(x)[ax] - 1)
    return _transform(x, "irfft", [ax], [_length(n, "funcdiff.numpy.fft.hfft")], _swap(nm))


def ihfft(a: ArrayLike, n: int | None = None, axis: int = -1, norm: str | None = None) -> Array:
    """The inverse of ``hfft`` for real input, as numpy.fft.ihfft:
    ``conj(rfft(a, n))`` scaled the other way round.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> print(fnp.fft.ihfft(np.array([8.0, -2.0, 0.0, -2.0])).real.round(6))
    [1. 2. 3.]
    """
    nm = _norm(norm, "funcdiff.numpy.fft.ihfft")
    x = asarray_arg(a)
    ax = _axis(axis, len(shape_of(x)), "funcdiff.numpy.fft.ihfft")
    x = _as_real(x, "funcdiff.numpy.fft.ihfft")
    if n is None:
        n = shape_of(x)[ax]
    return ew.conj(_transform(x, "rfft", [ax], [_length(n, "funcdiff.numpy.fft.ihfft")], _swap(nm)))


# ---------------------------------------------------------------------------
# several axes
# ---------------------------------------------------------------------------


def fftn(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: Sequence[int] | None = None,
    norm: str | None = None,
) -> Array:
    """The transform over ``axes`` (all when None; the last ``len(s)`` when
    only ``s`` is given), each padded or truncated to its entry of ``s``
    (``-1``: unchanged), as numpy.fft.fftn; ``norm`` scales by the product
    of the lengths.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> print(fnp.fft.fftn(np.ones((2, 3))).real)
    [[6. 0. 0.]
     [0. 0. 0.]]
    """
    return _many(a, "fft", s, axes, norm, "funcdiff.numpy.fft.fftn")


def ifftn(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: Sequence[int] | None = None,
    norm: str | None = None,
) -> Array:
    """The inverse of ``fftn``, as numpy.fft.ifftn.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> x = np.arange(6.0).reshape(2, 3)
    >>> print(fnp.fft.ifftn(fnp.fft.fftn(x)).real.round(6))
    [[0. 1. 2.]
     [3. 4. 5.]]
    """
    return _many(a, "ifft", s, axes, norm, "funcdiff.numpy.fft.ifftn")


def rfftn(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: Sequence[int] | None = None,
    norm: str | None = None,
) -> Array:
    """The transform of real input over ``axes``, halved along the last of
    them, as numpy.fft.rfftn.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> fnp.fft.rfftn(np.ones((4, 6))).shape
    (4, 4)
    """
    return _many(a, "rfft", s, axes, norm, "funcdiff.numpy.fft.rfftn")


def irfftn(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: Sequence[int] | None = None,
    norm: str | None = None,
) -> Array:
    """The inverse of ``rfftn``: real output of lengths ``s`` (the last one
    ``2 * (m - 1)`` when None), as numpy.fft.irfftn.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> x = np.arange(6.0).reshape(2, 3)
    >>> print(fnp.fft.irfftn(fnp.fft.rfftn(x), x.shape).round(6))
    [[0. 1. 2.]
     [3. 4. 5.]]
    """
    return _many(a, "irfft", s, axes, norm, "funcdiff.numpy.fft.irfftn")


def fft2(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: Sequence[int] = (-2, -1),
    norm: str | None = None,
) -> Array:
    """``fftn`` over the last two axes, as numpy.fft.fft2.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> print(fnp.fft.fft2(np.eye(2)).real)
    [[2. 0.]
     [0. 2.]]
    """
    return _many(a, "fft", s, axes, norm, "funcdiff.numpy.fft.fft2")


def ifft2(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: Sequence[int] = (-2, -1),
    norm: str | None = None,
) -> Array:
    """``ifftn`` over the last two axes, as numpy.fft.ifft2.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> print(fnp.fft.ifft2(np.full((2, 2), 4.0)).real)
    [[4. 0.]
     [0. 0.]]
    """
    return _many(a, "ifft", s, axes, norm, "funcdiff.numpy.fft.ifft2")


def rfft2(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: Sequence[int] = (-2, -1),
    norm: str | None = None,
) -> Array:
    """``rfftn`` over the last two axes, as numpy.fft.rfft2.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> fnp.fft.rfft2(np.ones((3, 8))).shape
    (3, 5)
    """
    return _many(a, "rfft", s, axes, norm, "funcdiff.numpy.fft.rfft2")


def irfft2(
    a: ArrayLike,
    s: Sequence[int] | None = None,
    axes: Sequence[int] = (-2, -1),
    norm: str | None = None,
) -> Array:
    """``irfftn`` over the last two axes, as numpy.fft.irfft2.

    >>> import numpy as np, funcdiff.numpy as fnp
    >>> fnp.fft.irfft2(np.ones((3, 5)), s=(3, 9)).shape
    (3, 9)
    """
    return _many(a, "irfft", s, axes, norm, "funcdiff.numpy.fft.irfft2")


# ---------------------------------------------------------------------------
# frequencies and shifts
# ---------------------------------------------------------------------------


def _freq(n: int, d: ArrayLike, counts: np.ndarray) -> Array:
    if isinstance(d, Tracer):  # a traced sample spacing: counts / (n d)
        return ew.mul(ew.convert(counts, d.aval.dtype), ew.div(1.0, ew.mul(d, float(n))))
    return counts * (1.0 / (n * np.asarray(d)))


def _freq_count(n: Any, fname: str) -> int:
    if not _is_int(n):
        raise ValueError(f"{fname}: n should be an integer, got {n!r}")
    return int(n)


def fftfreq(n: int, d: ArrayLike = 1.0) -> Array:
    """The frequencies of ``fft``'s ``n`` bins for sample spacing ``d``
    (cycles per unit of ``d``), as numpy.fft.fftfreq; ``d`` may be traced.

    >>> import funcdiff.numpy as fnp
    >>> print(fnp.fft.fftfreq(4, 0.5))
    [ 0.   0.5 -1.  -0.5]
    """
    n = _freq_count(n, "funcdiff.numpy.fft.fftfreq")
    counts = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
    return _freq(n, d, counts.astype(np.int64))


def rfftfreq(n: int, d: ArrayLike = 1.0) -> Array:
    """The frequencies of ``rfft``'s ``n // 2 + 1`` bins for sample spacing
    ``d``, as numpy.fft.rfftfreq; ``d`` may be traced.

    >>> import funcdiff.numpy as fnp
    >>> print(fnp.fft.rfftfreq(5, 0.1))
    [0. 2. 4.]
    """
    n = _freq_count(n, "funcdiff.numpy.fft.rfftfreq")
    return _freq(n, d, np.arange(0, n // 2 + 1, dtype=np.int64))


def _shift(x: ArrayLike, axes: int | Sequence[int] | None, sign: int, fname: str) -> Array:
    from funcdiff.numpy._shape import roll

    arr = asarray_arg(x)
    shape = shape_of(arr)
    if axes is None:
        ax: list[int] = list(range(len(shape)))
    elif _is_int(axes):
        ax = [_axis(axes, len(shape), fname, "axes")]
    else:
        ax = [_axis(a, len(shape), fname, "axes") for a in axes]  # type: ignore[union-attr]
    if not ax:
        return arr
    return roll(arr, [sign * (shape[a] // 2) for a in ax], ax)


def fftshift(x: ArrayLike, axes: int | Sequence[int] | None = None) -> Array:
    """The zero frequency moved to the middle of ``axes`` (all when None), as
    numpy.fft.fftshift.

    >>> import funcdiff.numpy as fnp
    >>> print(fnp.fft.fftshift(fnp.fft.fftfreq(5)))
    [-0.4 -0.2  0.   0.2  0.4]
    """
    return _shift(x, axes, 1, "funcdiff.numpy.fft.fftshift")


def ifftshift(x: ArrayLike, axes: int | Sequence[int] | None = None) -> Array:
    """The inverse of ``fftshift``, as numpy.fft.ifftshift.

    >>> import funcdiff.numpy as fnp
    >>> print(fnp.fft.ifftshift(fnp.fft.fftshift(fnp.fft.fftfreq(5))))
    [ 0.   0.2  0.4 -0.4 -0.2]
    """
    return _shift(x, axes, -1, "funcdiff.numpy.fft.ifftshift")

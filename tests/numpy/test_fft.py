"""funcdiff.numpy.fft and the fft primitive, against independent references:
numpy.fft's values, central finite differences (first and second order),
the pairing identity <g, J t> == <J^T g, t> of docs/complex.md, jit against
eager, vmap against a loop, and JAX's values and gradients."""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._compat import NUMPY2
from funcdiff.core.ir import aval_of
from funcdiff.errors import DTypeError, ShapeError
from funcdiff.primitives import fft as pf
from funcdiff.serialize import from_json, to_json

RNG = np.random.default_rng(20261206)
Fn = Callable[..., Any]
NORMS = [None, "backward", "ortho", "forward"]
COMPLEX_FNS = ["fft", "ifft"]
REAL_FNS = ["rfft", "ihfft"]
INVERSE_REAL_FNS = ["irfft", "hfft"]
ND_FNS = ["fftn", "ifftn", "rfftn", "irfftn", "fft2", "ifft2", "rfft2", "irfft2"]


def randn(*shape: int, dtype: Any = np.float64) -> np.ndarray:
    x = RNG.normal(size=shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * RNG.normal(size=shape)
    return np.asarray(x).astype(dtype)


def pair(a: Any, b: Any) -> float:
    """docs/complex.md's pairing: Re(sum(a * b)), no conjugation."""
    return float(np.real(np.sum(np.asarray(a) * np.asarray(b))))


def tol(dtype: Any) -> dict[str, float]:
    single = np.dtype(dtype) in (np.float32, np.complex64)
    return {"rtol": 2e-5, "atol": 2e-5} if single else {"rtol": 1e-11, "atol": 1e-11}


def close(got: Any, want: Any, **kw: float) -> None:
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), **(kw or tol(np.float64)))


def single(dtype: Any) -> bool:
    return np.dtype(dtype) in (np.float32, np.complex64)


def expected_dtype(fn: str, dtype: Any) -> np.dtype[Any]:
    real_out = fn in ("irfft", "hfft", "irfftn", "irfft2")
    if real_out:
        return np.dtype(np.float32 if single(dtype) else np.float64)
    return np.dtype(np.complex64 if single(dtype) else np.complex128)


def double(x: np.ndarray) -> np.ndarray:
    """numpy's reference computed in double precision."""
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


# ---------------------------------------------------------------------------
# values against numpy.fft
# ---------------------------------------------------------------------------


DTYPES = [np.float32, np.complex64, np.float64, np.complex128]


def _with_dtypes(fns: list[str], real_input: Callable[[str], bool]) -> list[tuple[str, Any]]:
    """(function, input dtype) pairs; real-input transforms get real dtypes only."""
    return [
        (fn, dt) for fn in fns for dt in DTYPES if not (real_input(fn) and np.dtype(dt).kind == "c")
    ]


@pytest.mark.parametrize(
    "fn, dtype", _with_dtypes(COMPLEX_FNS + REAL_FNS + INVERSE_REAL_FNS, REAL_FNS.__contains__)
)
def test_one_axis_values(fn: str, dtype: Any) -> None:
    x = randn(3, 6, 5, dtype=dtype)
    ours, theirs = getattr(fnp.fft, fn), getattr(np.fft, fn)
    for n, axis, norm in itertools.product([None, 3, 5, 8], [-1, 0, 1], NORMS):
        got = ours(x, n=n, axis=axis, norm=norm)
        want = theirs(double(x), n=n, axis=axis, norm=norm)
        assert got.dtype == expected_dtype(fn, dtype), (fn, n, axis, norm)
        assert got.shape == want.shape, (fn, n, axis, norm)
        np.testing.assert_allclose(got, want, **tol(dtype), err_msg=f"{fn} {n} {axis} {norm}")


@pytest.mark.parametrize("fn, dtype", _with_dtypes(ND_FNS, lambda fn: fn.startswith("rfft")))
def test_several_axes_values(fn: str, dtype: Any) -> None:
    x = randn(4, 3, 6, dtype=dtype)
    ours, theirs = getattr(fnp.fft, fn), getattr(np.fft, fn)
    two = fn.endswith("2")
    cases: list[tuple[Any, Any]] = [
        (None, None if not two else (-2, -1)),
        ((5, 4), (0, 2)),
        ((2, 7), (2, 0)),
        ((3, 3), (-1, -3)),
        (None, (1, 0)),
    ]
    if not two:
        cases += [((4, 3, 6), None), (None, (2,)), ((5, 2, 3), (1, 2, 0))]
    for (s, axes), norm in itertools.product(cases, NORMS):
        kw: dict[str, Any] = {"norm": norm}
        if s is not None:
            kw["s"] = s
        if axes is not None:
            kw["axes"] = axes
        got = ours(x, **kw)
        if s is not None and axes is None:  # (numpy 2 deprecates leaving axes out)
            kw["axes"] = tuple(range(-len(s), 0))
        want = theirs(double(x), **kw)
        assert got.dtype == expected_dtype(fn, dtype), (fn, kw)
        assert got.shape == want.shape, (fn, kw)
        np.testing.assert_allclose(got, want, **tol(dtype), err_msg=f"{fn} {kw}")


def test_int_and_bool_inputs_are_double() -> None:
    for fn in ["fft", "rfft", "irfft", "hfft", "ihfft", "fftn", "rfftn", "irfftn"]:
        for x in (np.arange(6), np.arange(6) % 2 == 0):
            got = getattr(fnp.fft, fn)(x)
            want = getattr(np.fft, fn)(x)
            assert got.dtype == want.dtype, fn
            close(got, want)
    x16 = np.arange(4, dtype=np.float16)
    assert fnp.fft.fft(x16).dtype == np.complex64  # as JAX (numpy 1.x: complex128)
    close(fnp.fft.fft(x16), np.fft.fft(x16.astype(np.float64)), rtol=1e-6, atol=1e-6)


def test_lists_and_scalars_of_python() -> None:
    close(fnp.fft.fft([1.0, 2.0, 3.0]), np.fft.fft([1.0, 2.0, 3.0]))
    close(fnp.fft.fft([1, 2j]), np.fft.fft([1, 2j]))
    close(fnp.fft.irfft2([[1.0, 2.0], [3.0, 4.0]]), np.fft.irfft2([[1.0, 2.0], [3.0, 4.0]]))


def test_repeated_axes_and_minus_one_as_numpy() -> None:
    x = randn(4, 6)
    for fn in ["fftn", "ifftn", "rfftn", "irfftn"]:
        for s, axes in [(None, (1, 1)), ((3, 5), (0, 0)), ((4, 3, 2), (1, 0, 1))]:
            kw: dict[str, Any] = {"axes": axes} if s is None else {"s": s, "axes": axes}
            close(getattr(fnp.fft, fn)(x, **kw), getattr(np.fft, fn)(x, **kw), rtol=1e-10)
    # numpy 2: an entry -1 of s keeps the input's size (numpy 1.x refuses it)
    close(fnp.fft.fftn(x, s=(-1, 8), axes=(0, 1)), np.fft.fftn(x, s=(4, 8), axes=(0, 1)))
    # no axes: numpy returns its input
    assert np.array_equal(fnp.fft.fftn(x, axes=()), x)


def test_empty_and_zero_size_batch() -> None:
    x = np.zeros((3, 0))
    for fn in ["fft", "ifft", "rfft"]:
        got = getattr(fnp.fft, fn)(x, axis=0)
        want = getattr(np.fft, fn)(x, axis=0)
        assert got.shape == want.shape and got.dtype == want.dtype
    assert fnp.fft.irfft(np.zeros((0, 3), complex)).shape == np.fft.irfft(np.zeros((0, 3))).shape
    # derivatives through an empty batch are empty
    g = fd.grad(lambda v: fnp.sum(fnp.abs(fnp.fft.rfft(v, axis=0)) ** 2))(x)
    assert g.shape == (3, 0)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda m: m.fft(np.zeros(0)), ValueError, None),  # n = 0 by default
        (lambda m: m.fft(np.ones(3), n=0), ValueError, None),
        (lambda m: m.rfft(np.ones(3), n=-2), ValueError, None),
        (lambda m: m.irfft(np.ones(1)), ValueError, None),  # n = 2 * (1 - 1)
        (lambda m: m.fft(np.ones(3), n=2.0), TypeError, None),
        (lambda m: m.fft(np.ones(3), norm="bad"), ValueError, "norm"),
        (lambda m: m.fftn(np.ones((2, 3)), norm="Ortho"), ValueError, "norm"),
        (lambda m: m.fft(np.ones(3), axis=1), IndexError, "axis"),
        (lambda m: m.fft(np.ones(3), axis=-2), IndexError, "axis"),
        (lambda m: m.fft(np.float64(1.0)), IndexError, None),  # 0-d
        (lambda m: m.fft(1.0), IndexError, None),
        (lambda m: m.rfft(np.ones(4) + 1j), TypeError, None),
        (lambda m: m.ihfft(np.ones(4) + 1j), TypeError, None),
        (lambda m: m.rfftn(np.ones((2, 2)) + 1j), TypeError, None),
        (lambda m: m.fftn(np.ones((2, 3)), s=(2, 3), axes=(0,)), ValueError, None),
        (lambda m: m.fftn(np.ones((2, 3)), axes=(0, 2)), IndexError, None),
        (lambda m: m.fftn(np.ones((2, 3)), s=(2, 0), axes=(0, 1)), ValueError, None),
        (lambda m: m.irfftn(np.ones((2, 1))), ValueError, None),
        (lambda m: m.rfftn(np.ones((2, 3)), axes=()), IndexError, None),
    ],
)
def test_errors_as_numpy(call: Fn, error: type, match: str | None) -> None:
    """Refused by numpy and by funcdiff.numpy.fft alike; funcdiff's message
    names the function and the argument. (numpy 1.x computes a real
    transform of complex input from its real part, with a ComplexWarning.)"""
    if NUMPY2 or error is not TypeError:
        with pytest.raises(error):
            call(np.fft)
    with pytest.raises(error, match=match) as info:
        call(fnp.fft)
    assert "funcdiff.numpy.fft." in str(info.value)


def test_errors_name_the_argument() -> None:
    with pytest.raises(ValueError, match=r"by n;"):
        fnp.fft.fft(np.ones(3), n=0)
    with pytest.raises(ValueError, match=r"s\[1\]"):
        fnp.fft.fftn(np.ones((2, 3)), s=(2, 0))
    with pytest.raises(TypeError, match="input must be real"):
        fnp.fft.rfft(np.ones(2) + 1j)
    with pytest.raises(ValueError, match="n should be an integer"):
        fnp.fft.fftfreq(2.5)


def test_frequencies_and_shifts() -> None:
    for n, d in itertools.product([1, 4, 5, 8], [1.0, 0.25, np.float32(3.0)]):
        close(fnp.fft.fftfreq(n, d), np.fft.fftfreq(n, d))
        close(fnp.fft.rfftfreq(n, d), np.fft.rfftfreq(n, d))
    x = randn(4, 5, 3)
    for axes in [None, 0, 1, -1, (0, 2), (2, 1), ()]:
        close(fnp.fft.fftshift(x, axes), np.fft.fftshift(x, axes))
        close(fnp.fft.ifftshift(x, axes), np.fft.ifftshift(x, axes))
    # a traced sample spacing
    g = fd.grad(lambda d: fnp.sum(fnp.fft.fftfreq(5, d) ** 2))(0.5)
    h = 1e-6
    ref = (np.sum(np.fft.fftfreq(5, 0.5 + h) ** 2) - np.sum(np.fft.fftfreq(5, 0.5 - h) ** 2)) / (
        2 * h
    )
    assert g == pytest.approx(ref, rel=1e-6)
    g = fd.grad(lambda d: fnp.sum(fnp.fft.rfftfreq(6, d)))(2.0)
    assert g == pytest.approx(-np.sum(np.fft.rfftfreq(6, 1.0)) / 4.0)
    # shifts are permutations: their gradient routes the cotangent back
    w = randn(4, 5, 3)
    close(fd.grad(lambda v: fnp.sum(w * fnp.fft.fftshift(v)))(x), np.fft.ifftshift(w))


# ---------------------------------------------------------------------------
# the primitive: rules, errors, transposes
# ---------------------------------------------------------------------------

PRIM_CASES = [
    ("fft", (5,), (5,), np.complex128),
    ("fft", (2, 3, 4), (3, 4), np.complex128),
    ("ifft", (3, 4), (4,), np.complex128),
    ("ifft", (2, 2, 3), (2, 2, 3), np.complex64),
    ("rfft", (3, 5), (5,), np.float64),
    ("rfft", (2, 3, 4), (3, 4), np.float64),
    ("rfft", (6,), (6,), np.float32),
    ("irfft", (2, 3), (4,), np.complex128),
    ("irfft", (3, 3), (5,), np.complex128),
    ("irfft", (2, 4, 3), (4, 5), np.complex128),
    ("irfft", (4, 1), (1,), np.complex128),
    ("irfft", (2, 3), (4,), np.complex64),
]


def _case_id(c: tuple[Any, ...]) -> str:
    return f"{c[0]}-{c[1]}-{c[2]}-{np.dtype(c[3]).name}"


@pytest.mark.parametrize("case", PRIM_CASES, ids=_case_id)
def test_primitive_pairing_identity(case: tuple[Any, ...]) -> None:
    """<g, J t> == <J^T g, t> under the real pairing, on random complex and
    real data: the transposes are right (for rfft and irfft, the
    half-spectrum weighting)."""
    kind, shape, lengths, dtype = case
    x = randn(*shape, dtype=dtype)

    def f(v: Any) -> Any:
        return pf.fft(v, kind, lengths)

    for _ in range(3):
        t = randn(*shape, dtype=dtype)
        out, jt = fd.jvp(f, (x,), (t,))
        g = randn(*np.shape(out), dtype=np.asarray(out).dtype)
        _, pull = fd.vjp(f, x)
        (gt,) = pull(g)
        assert np.asarray(gt).dtype == np.dtype(dtype)
        k = 1e-4 if single(dtype) else 1e-12
        assert pair(g, jt) == pytest.approx(pair(gt, t), rel=k, abs=k)
        # the transpose is itself linear and transposes back (second order)
        _, pull2 = fd.vjp(lambda c, p=pull: p(c)[0], g)
        (back,) = pull2(t)
        np.testing.assert_allclose(back, jt, rtol=10 * k, atol=10 * k)


@pytest.mark.parametrize("case", PRIM_CASES, ids=_case_id)
def test_primitive_matches_numpy_and_its_rules(case: tuple[Any, ...]) -> None:
    kind, shape, lengths, dtype = case
    x = randn(*shape, dtype=dtype)
    axes = tuple(range(len(shape) - len(lengths), len(shape)))
    np_fn = {"fft": np.fft.fftn, "ifft": np.fft.ifftn, "rfft": np.fft.rfftn}
    if kind == "irfft":
        want = np.fft.irfftn(double(x), s=lengths, axes=axes)
    else:
        want = np_fn[kind](double(x), axes=axes)
    got = pf.fft(x, kind, lengths)
    aval = pf.fft_p.abstract_eval(aval_of(x), fft_type=kind, fft_lengths=lengths)
    assert (got.shape, got.dtype) == (aval.shape, aval.dtype)
    np.testing.assert_allclose(got, want, **tol(dtype))
    f = lambda v: pf.fft(v, kind, lengths)  # noqa: E731
    # jvp of a linear map is the map itself, also under jit
    t = randn(*shape, dtype=dtype)
    np.testing.assert_allclose(fd.jvp(f, (x,), (t,))[1], f(t), **tol(dtype))
    np.testing.assert_allclose(fd.jit(f)(x), got, **tol(dtype))
    # vmap over every axis, against a loop
    batch = np.stack([x, 2 * x, -x], axis=0)
    for axis in range(len(shape) + 1):
        b = np.moveaxis(batch, 0, axis)
        out = fd.vmap(f, in_axes=axis)(b)
        for i in range(3):
            np.testing.assert_allclose(out[i], f(np.take(b, i, axis=axis)), **tol(dtype))
    # Taylor mode: linear, so every coefficient is transformed
    c1, c2 = randn(*shape, dtype=dtype), randn(*shape, dtype=dtype)
    _, (s1, s2) = fd.jet(f, (x,), ((c1, c2),))
    np.testing.assert_allclose(s1, f(c1), **tol(dtype))
    np.testing.assert_allclose(s2, f(c2), **tol(dtype))
    # the jaxpr survives pickle and JSON
    closed = fd.make_jaxpr(f)(x)
    assert "fft[" in str(closed)
    for loaded in (pickle.loads(pickle.dumps(closed)), from_json(to_json(closed))):
        assert str(loaded) == str(closed)


@pytest.mark.parametrize(
    "args, params, error, match",
    [
        ((np.ones(4),), {"fft_type": "fft", "fft_lengths": (4,)}, DTypeError, "complex"),
        ((np.ones(4, complex),), {"fft_type": "rfft", "fft_lengths": (4,)}, DTypeError, "float"),
        ((np.ones(4, complex),), {"fft_type": "fft", "fft_lengths": (5,)}, ShapeError, r"\(5,\)"),
        ((np.ones(4, complex),), {"fft_type": "irfft", "fft_lengths": (4,)}, ShapeError, "3"),
        ((np.ones(4, complex),), {"fft_type": "fft", "fft_lengths": ()}, ShapeError, "between"),
        ((np.ones(4, complex),), {"fft_type": "fft", "fft_lengths": (2, 2)}, ShapeError, "1 and 1"),
        ((np.ones(4, complex),), {"fft_type": "dct", "fft_lengths": (4,)}, ValueError, "fft_type"),
    ],
)
def test_primitive_errors(args: Any, params: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match) as info:
        fd.make_jaxpr(lambda v: pf.fft_p.bind(v, **params))(*args)
    assert str(info.value).startswith("fft:")


def test_sparsity_is_per_transform() -> None:
    """Along the transformed axes every output depends on every input, across
    the other axes on none; linear, so no Hessian term of its own."""
    x = randn(3, 4)

    def f(v: Any) -> Any:
        return fnp.real(fnp.fft.rfft(v, axis=1)) + fnp.imag(fnp.fft.rfft(v, axis=1))

    pattern = fd.jacobian_sparsity(f)(x).toarray()
    want = np.kron(np.eye(3, dtype=bool), np.ones((3, 4), dtype=bool))
    np.testing.assert_array_equal(pattern, want)
    assert np.all((fd.jacfwd(f)(x).reshape(9, 12) != 0) <= pattern)
    # along axis 0 instead: a block per column
    g = lambda v: fnp.real(fnp.fft.fft(v, axis=0))  # noqa: E731
    p0 = fd.jacobian_sparsity(g)(x).toarray()
    assert p0.sum() == 4 * 3 * 3
    assert np.all((fd.jacfwd(g)(x).reshape(12, 12) != 0) <= p0)
    # the Hessian of a linear readout is empty; of a square, per transform
    assert fd.hessian_sparsity(lambda v: fnp.sum(f(v)))(x).nnz == 0
    hp = fd.hessian_sparsity(lambda v: fnp.sum(f(v) ** 2))(x).toarray()
    np.testing.assert_array_equal(hp, np.kron(np.eye(3, dtype=bool), np.ones((4, 4), bool)))


# ---------------------------------------------------------------------------
# derivatives of real losses against central finite differences
# ---------------------------------------------------------------------------


def num_grad(f: Fn, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences; for complex x JAX's df/dx - i df/dy."""
    g = np.zeros(x.shape, x.dtype)
    for k in np.ndindex(x.shape):
        for unit, coef in ((1.0, 1.0), (1j, -1j)) if x.dtype.kind == "c" else ((1.0, 1.0),):
            e = np.zeros(x.shape, x.dtype)
            e[k] = unit
            g[k] += coef * (float(f(x + h * e)) - float(f(x - h * e))) / (2 * h)
    return g


def num_second(f: Fn, x: np.ndarray, v: np.ndarray, w: np.ndarray, h: float = 1e-4) -> float:
    """v^T H w by a central second difference of f itself."""
    fs = [float(f(x + a * h * v + b * h * w)) for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
    return (fs[0] - fs[1] - fs[2] + fs[3]) / (4 * h * h)


def _weights(shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(3).uniform(0.5, 1.5, shape)


LOSSES: dict[str, tuple[Fn, tuple[int, ...], Any]] = {
    "power fft": (lambda x: fnp.sum(fnp.abs(fnp.fft.fft(x)) ** 2 * _weights((6,))), (6,), float),
    "power rfft n=8": (
        lambda x: fnp.sum(fnp.abs(fnp.fft.rfft(x, n=8, norm="ortho")) ** 2 * _weights((5,))),
        (6,),
        float,
    ),
    "real parts": (
        lambda x: fnp.sum(fnp.sin(fnp.real(fnp.fft.fft2(x, s=(3, 5)))) * _weights((3, 5))),
        (4, 4),
        float,
    ),
    "imag ifftn": (
        lambda x: fnp.sum(fnp.imag(fnp.fft.ifftn(x * x, axes=(0,), norm="forward")) ** 3),
        (3, 2),
        float,
    ),
    "irfft of rfft": (
        lambda x: fnp.sum(fnp.fft.irfft(fnp.fft.rfft(x) ** 2, n=7) ** 2),
        (7,),
        float,
    ),
    "rfftn to irfftn": (
        lambda x: fnp.sum(fnp.cos(fnp.fft.irfftn(fnp.fft.rfftn(x) * (1 + 0.5j), s=(3, 4)))),
        (3, 4),
        float,
    ),
    "hfft": (lambda x: fnp.sum(fnp.fft.hfft(x, norm="ortho") ** 2), (4,), complex),
    "ihfft": (lambda x: fnp.sum(fnp.abs(fnp.fft.ihfft(x * x, n=5)) ** 2), (6,), float),
    "complex input": (
        lambda z: (
            fnp.sum(fnp.abs(fnp.fft.fft(z, n=4)) ** 2 * _weights((4,)))
            + fnp.sum(fnp.real(fnp.fft.ifft(z * z)))
        ),
        (3,),
        complex,
    ),
    "irfft of complex": (
        lambda z: fnp.sum(fnp.fft.irfft(z, n=6, norm="ortho") ** 3),
        (4,),
        complex,
    ),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_against_finite_differences(name: str) -> None:
    f, shape, dtype = LOSSES[name]
    x = randn(*shape, dtype=dtype)
    g = fd.grad(f)(x)
    assert np.asarray(g).dtype == x.dtype
    np.testing.assert_allclose(g, num_grad(f, x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(fd.jit(fd.grad(f))(x), g, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(n for n in LOSSES if LOSSES[n][2] is float))
def test_hessian_against_finite_differences(name: str) -> None:
    f, shape, _ = LOSSES[name]
    x = randn(*shape)
    hess = np.asarray(fd.hessian(f)(x)).reshape(x.size, x.size)
    np.testing.assert_allclose(hess, hess.T, rtol=1e-10, atol=1e-10)
    for _ in range(3):
        v, w = randn(*shape), randn(*shape)
        want = num_second(f, x, v, w)
        assert v.ravel() @ hess @ w.ravel() == pytest.approx(want, rel=1e-4, abs=1e-5)
    # reverse over reverse agrees with forward over reverse
    rr = fd.jacrev(fd.grad(f))(x).reshape(x.size, x.size)
    np.testing.assert_allclose(rr, hess, rtol=1e-10, atol=1e-10)


def _parts(y: Any) -> Any:
    return fnp.stack([fnp.real(y), fnp.imag(y)])


def test_check_grads_on_spectra() -> None:
    x = randn(3, 4)
    for f in (
        lambda v: _parts(fnp.fft.rfft2(v, s=(4, 5))),
        lambda v: fnp.fft.irfft(v * 1j + v * v, n=5),
        lambda v: _parts(fnp.fft.ifftn(fnp.fft.fft(v * 1j, axis=0) ** 2, norm="ortho")),
    ):
        fd.check_grads(f, (x,), order=2, modes=("fwd", "rev"))


# ---------------------------------------------------------------------------
# jvp and vjp pair up through every wrapper, with every norm
# ---------------------------------------------------------------------------


def _wrappers() -> Iterator[tuple[str, Fn, Any]]:
    for norm in NORMS:
        yield f"fft {norm}", lambda v, n=norm: fnp.fft.fft(v, n=7, axis=0, norm=n), complex
        yield f"ifft {norm}", lambda v, n=norm: fnp.fft.ifft(v, n=3, norm=n), complex
        yield f"rfft {norm}", lambda v, n=norm: fnp.fft.rfft(v, n=5, axis=0, norm=n), float
        yield f"irfft {norm}", lambda v, n=norm: fnp.fft.irfft(v, n=6, norm=n), complex
        yield f"hfft {norm}", lambda v, n=norm: fnp.fft.hfft(v, n=5, norm=n), complex
        yield f"ihfft {norm}", lambda v, n=norm: fnp.fft.ihfft(v, norm=n), float
        yield f"rfftn {norm}", lambda v, n=norm: fnp.fft.rfftn(v, s=(2, 6), norm=n), float
        yield f"irfftn {norm}", lambda v, n=norm: fnp.fft.irfftn(v, s=(5, 3), norm=n), complex
        yield f"real to fft2 {norm}", lambda v, n=norm: fnp.fft.fft2(v, norm=n), float


WRAPPERS = list(_wrappers())


@pytest.mark.parametrize("case", WRAPPERS, ids=[c[0] for c in WRAPPERS])
def test_wrapper_pairing_identity(case: tuple[str, Fn, Any]) -> None:
    _, f, dtype = case
    x, t = randn(4, 4, dtype=dtype), randn(4, 4, dtype=dtype)
    out, jt = fd.jvp(f, (x,), (t,))
    np.testing.assert_allclose(jt, f(t), rtol=1e-12, atol=1e-12)  # linear
    g = randn(*np.shape(out), dtype=np.asarray(out).dtype)
    (gt,) = fd.vjp(f, x)[1](g)
    assert pair(g, jt) == pytest.approx(pair(gt, t), rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------------------
# transforms: jit, vmap, np.fft on tracers
# ---------------------------------------------------------------------------


def test_jit_matches_eager() -> None:
    x = randn(3, 4)
    z = randn(3, 4, dtype=complex)
    for name, f, dtype in WRAPPERS:
        arg = z if dtype is complex else x
        np.testing.assert_allclose(fd.jit(f)(arg), f(arg), rtol=1e-13, atol=1e-13, err_msg=name)
    f32 = randn(3, 8, dtype=np.float32)
    got = fd.jit(lambda v: fnp.fft.irfft(fnp.fft.rfft(v)))(f32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, f32, rtol=1e-5, atol=1e-5)


def test_vmap_matches_loop() -> None:
    x = randn(4, 3, 6)
    funcs = [
        lambda v: fnp.fft.fft(v, axis=0),
        lambda v: fnp.fft.rfft(v, n=4),
        lambda v: fnp.fft.irfft2(v, s=(2, 5)),
        lambda v: fnp.fft.fftshift(fnp.fft.fftn(v)),
    ]
    for f in funcs:
        for axis in range(3):
            got = fd.vmap(f, in_axes=axis)(x)
            want = np.stack([f(np.take(x, i, axis=axis)) for i in range(x.shape[axis])])
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    # per-example gradients
    loss = lambda v: fnp.sum(fnp.abs(fnp.fft.rfft(v)) ** 3)  # noqa: E731
    per = fd.vmap(fd.grad(loss))(x[0])
    np.testing.assert_allclose(per, np.stack([fd.grad(loss)(r) for r in x[0]]), rtol=1e-12)


def test_plain_numpy_fft_on_tracers() -> None:
    x = randn(6)

    def loss(v: Any, m: Any) -> Any:
        spectrum = m.fft.ifft2(m.outer(v, v), norm="ortho")
        return m.sum(m.abs(m.fft.rfft(v, n=8)) ** 2) + m.sum(m.real(m.fft.fftshift(spectrum)))

    def loss_np(v: Any) -> Any:
        return loss(v, np)

    def loss_fnp(v: Any) -> Any:
        return loss(v, fnp)

    g = fd.grad(loss_np)(x)
    np.testing.assert_allclose(g, fd.grad(loss_fnp)(x), rtol=1e-12)
    np.testing.assert_allclose(g, num_grad(loss_np, x), rtol=1e-6, atol=1e-7)
    assert loss_np(x) == pytest.approx(float(loss_fnp(x)))
    g = fd.grad(lambda v: np.sum(np.fft.irfft(np.fft.rfft(v) * np.fft.rfftfreq(6))))(x)
    np.testing.assert_allclose(
        g,
        num_grad(lambda v: np.sum(np.fft.irfft(np.fft.rfft(v) * np.fft.rfftfreq(6))), x),
        rtol=1e-6,
        atol=1e-8,
    )
    jaxpr = str(fd.make_jaxpr(lambda v: np.fft.fft(v))(x))
    assert "fft[fft_lengths=(6,), fft_type='fft']" in jaxpr


# ---------------------------------------------------------------------------
# JAX's values and gradients
# ---------------------------------------------------------------------------


@pytest.fixture
def jax_x64() -> Iterator[Any]:
    jax = pytest.importorskip("jax")
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield jax
    finally:
        jax.config.update("jax_enable_x64", previous)


JAX_CASES: list[tuple[str, dict[str, Any], Any]] = [
    ("fft", {"n": 7, "axis": 0}, complex),
    ("ifft", {"norm": "ortho"}, complex),
    ("fft", {}, float),
    ("rfft", {"n": 5, "norm": "forward"}, float),
    ("irfft", {"n": 7}, complex),
    ("irfft", {"n": 6, "axis": 0}, complex),
    ("hfft", {"n": 6}, complex),
    ("ihfft", {}, float),
    ("fft2", {"s": (3, 5)}, complex),
    ("ifft2", {"norm": "forward"}, float),
    ("rfft2", {"s": (5, 4)}, float),
    ("irfft2", {"s": (4, 6)}, complex),
    ("fftn", {"axes": (1, 0)}, complex),
    ("ifftn", {"s": (2, 2), "axes": (0, 1)}, complex),
    ("rfftn", {"norm": "ortho"}, float),
    ("irfftn", {"s": (3, 5), "norm": "ortho"}, complex),
    ("fftshift", {}, float),
    ("ifftshift", {"axes": 0}, float),
]


@pytest.mark.parametrize("case", JAX_CASES, ids=lambda c: f"{c[0]}{c[1]}")
def test_values_and_gradients_equal_jax(
    case: tuple[str, dict[str, Any], Any], jax_x64: Any
) -> None:
    name, kw, dtype = case
    jnp = jax_x64.numpy
    x = randn(4, 4, dtype=dtype)
    ours = lambda v: getattr(fnp.fft, name)(v, **kw)  # noqa: E731
    theirs = lambda v: getattr(jnp.fft, name)(v, **kw)  # noqa: E731
    np.testing.assert_allclose(ours(x), np.asarray(theirs(jnp.asarray(x))), rtol=1e-12, atol=1e-12)
    w = randn(*np.shape(ours(x)), dtype=complex)

    def loss(v: Any, np_like: Any, f: Fn) -> Any:
        y = f(v)
        return np_like.sum(np_like.abs(y * w) ** 2) + np_like.sum(np_like.real(y) ** 3)

    g_ours = fd.grad(lambda v: loss(v, fnp, ours))(x)
    g_jax = jax_x64.grad(lambda v: loss(v, jnp, theirs))(jnp.asarray(x))
    np.testing.assert_allclose(g_ours, np.asarray(g_jax), rtol=1e-10, atol=1e-10)


def test_lowered_to_jax_matches(jax_x64: Any) -> None:
    """The primitive through the XLA backend (lower_jax), rfft included
    (the registry samples are complex only)."""
    x = randn(3, 6)
    f = lambda v: fnp.fft.irfft(fnp.fft.rfft(v, axis=0) ** 2, n=5)  # noqa: E731
    np.testing.assert_allclose(fd.jit(f, backend="jax")(x), f(x), rtol=1e-12, atol=1e-12)
    loss = lambda v: fnp.sum(f(v) ** 2)  # noqa: E731
    np.testing.assert_allclose(
        fd.jit(fd.grad(loss), backend="jax")(x), fd.grad(loss)(x), rtol=1e-10, atol=1e-10
    )
    x32 = x.astype(np.float32)
    assert fd.jit(f, backend="jax")(x32).dtype == np.float32

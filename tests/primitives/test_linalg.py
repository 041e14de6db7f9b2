"""Linear algebra (funcdiff.numpy.linalg, funcdiff.scipy.linalg and the
matrix primitives): values against numpy/scipy, derivatives against finite
differences in both modes to second order, vmap against loops (batched
matrices included), jit against eager, the Newton step differentiated, the
documented singular cases and the error messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.checking import check_grads
from funcdiff.errors import DTypeError, ShapeError
from funcdiff.scipy import linalg as fsl

LA = fnp.linalg


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def well(*shape: int, seed: int = 0) -> np.ndarray:
    """Well-conditioned square matrices (..., n, n)."""
    n = shape[-1]
    return np.asarray(_rng(seed).normal(size=shape) + 2.0 * np.sqrt(n) * np.eye(n))


def spd(*shape: int, seed: int = 0) -> np.ndarray:
    m = _rng(seed).normal(size=shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def sym(*shape: int, seed: int = 0) -> np.ndarray:
    """Symmetric with well-separated eigenvalues -1 .. 2 (per matrix)."""
    rng = _rng(seed)
    n = shape[-1]
    q = np.linalg.qr(rng.normal(size=shape))[0]
    return np.asarray((q * np.linspace(-1.0, 2.0, n)) @ np.swapaxes(q, -1, -2))


def rect(*shape: int, seed: int = 0) -> np.ndarray:
    """Matrices with well-separated singular values 3, 2, 1, ... (per matrix)."""
    rng = _rng(seed)
    m, n = shape[-2:]
    k = min(m, n)
    u = np.linalg.qr(rng.normal(size=(*shape[:-2], m, m)))[0][..., :k]
    v = np.linalg.qr(rng.normal(size=(*shape[:-2], n, n)))[0][..., :k]
    return np.asarray((u * np.linspace(3.0, 1.0, k)) @ np.swapaxes(v, -1, -2))


def vec(*shape: int, seed: int = 1) -> np.ndarray:
    return _rng(seed).normal(size=shape)


def _same(got: Any, want: Any, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    got_a, want_a = np.asarray(got), np.asarray(want)
    assert got_a.shape == want_a.shape, (got_a.shape, want_a.shape)
    assert got_a.dtype == want_a.dtype, (got_a.dtype, want_a.dtype)
    rtol, atol = _dtype_tol(want_a.dtype, rtol, atol)
    np.testing.assert_allclose(got_a, want_a, rtol=rtol, atol=atol)


def _dtype_tol(dtype: np.dtype[Any], rtol: float, atol: float) -> tuple[float, float]:
    """Tolerances follow the dtype: below float64, no tighter than a few ulps."""
    if dtype.kind in "fc" and np.finfo(dtype).eps > np.finfo(np.float64).eps:
        eps = float(np.finfo(dtype).eps)
        return max(rtol, 4 * eps), max(atol, 10 * eps)
    return rtol, atol


def _vmap_vs_loop(f: Callable[..., Any], batched: list[np.ndarray], in_axes: Any = 0) -> None:
    axes = in_axes if isinstance(in_axes, (tuple, list)) else [in_axes] * len(batched)
    n = next(np.shape(b)[a] for b, a in zip(batched, axes, strict=True) if a is not None)
    got = fd.vmap(f, in_axes=tuple(axes))(*batched)
    for i in range(n):
        want = f(
            *[b if a is None else np.take(b, i, axis=a) for b, a in zip(batched, axes, strict=True)]
        )
        for g, w in zip(fd.tree.tree_leaves(got), fd.tree.tree_leaves(want), strict=True):
            np.testing.assert_allclose(np.asarray(g)[i], w, rtol=1e-9, atol=1e-11)


def _prims(f: Callable[..., Any], *args: Any) -> list[str]:
    return [e.primitive.name for e in fd.make_jaxpr(f)(*args).eqns]


# ---------------------------------------------------------------------------
# values against numpy
# ---------------------------------------------------------------------------

SOLVE_SHAPES = [
    ((3, 3), (3,)),
    ((3, 3), (3, 2)),
    ((2, 3, 3), (3,)),
    ((2, 3, 3), (2, 3, 4)),
    ((2, 3, 3), (3, 4)),  # b's (missing) batch axes broadcast
    ((3, 3), (2, 5, 3, 1)),  # one matrix, a stack of right-hand sides: folded into columns
    ((2, 1, 3, 3), (1, 4, 3, 2)),  # batch axes broadcast both ways
    ((1, 1), (1,)),
]


def _np_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """numpy 2's ``solve``, on numpy 1.x too: b is a vector only when 1-D (numpy 1.x
    took any b with one axis fewer than a for a stack of vectors)."""
    as_matrix = b[:, None] if b.ndim == 1 else b
    x = np.linalg.solve(a, as_matrix.reshape((1,) * (a.ndim - as_matrix.ndim) + as_matrix.shape))
    return x[..., 0] if b.ndim == 1 else x


@pytest.mark.parametrize(("sa", "sb"), SOLVE_SHAPES)
def test_solve_values(sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    a, b = well(*sa), vec(*sb)
    _same(LA.solve(a, b), _np_solve(a, b))


def test_solve_dtypes() -> None:
    a32, b32 = well(3, 3).astype(np.float32), vec(3).astype(np.float32)
    _same(LA.solve(a32, b32), np.linalg.solve(a32, b32), rtol=1e-5)
    ai, bi = np.array([[2, 1], [1, 3]]), np.array([1, 2])
    _same(LA.solve(ai, bi), np.linalg.solve(ai, bi))
    _same(LA.solve([[2.0, 0.0], [0.0, 4.0]], [2.0, 2.0]), np.array([1.0, 0.5]))


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (1, 1), (2, 2, 4, 4)])
def test_inv_det_slogdet_values(shape: tuple[int, ...]) -> None:
    a = well(*shape)
    _same(LA.inv(a), np.linalg.inv(a))
    _same(LA.det(a), np.linalg.det(a))
    _same(LA.det(-a), np.linalg.det(-a))
    for x in (a, -a):
        got, want = LA.slogdet(x), np.linalg.slogdet(x)
        _same(got.sign, want[0])
        _same(got.logabsdet, want[1])
    assert isinstance(LA.slogdet(a), LA.SlogdetResult)


def test_singular_slogdet_and_det_values() -> None:
    z = np.array([[1.0, 2.0], [2.0, 4.0]])
    sign, logabsdet = LA.slogdet(z)
    assert float(sign) == 0.0 and float(logabsdet) == -np.inf
    assert float(LA.det(z)) == 0.0


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
def test_cholesky_values(shape: tuple[int, ...]) -> None:
    a = spd(*shape)
    _same(LA.cholesky(a), np.linalg.cholesky(a))
    upper = np.swapaxes(np.linalg.cholesky(a), -1, -2)  # numpy >= 2: cholesky(a, upper=True)
    _same(LA.cholesky(a, upper=True), upper)
    # like numpy, only one triangle is read
    junk = a + np.triu(vec(*shape), 1)
    _same(LA.cholesky(junk), np.linalg.cholesky(a))
    junk = a + np.tril(vec(*shape), -1)
    _same(LA.cholesky(junk, upper=True), upper)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_values(shape: tuple[int, ...], uplo: Any) -> None:
    a = sym(*shape) + (np.triu if uplo == "L" else np.tril)(vec(*shape), 1 if uplo == "L" else -1)
    got, want = LA.eigh(a, UPLO=uplo), np.linalg.eigh(a, UPLO=uplo)
    assert isinstance(got, LA.EighResult)
    _same(got.eigenvalues, want[0])
    _same(got.eigenvectors, want[1])
    _same(LA.eigvalsh(a, uplo), np.linalg.eigvalsh(a, uplo))


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2), (3, 2, 5)])
def test_qr_values(shape: tuple[int, ...]) -> None:
    a = vec(*shape)
    got, want = LA.qr(a), np.linalg.qr(a)
    assert isinstance(got, LA.QRResult)
    _same(got.Q, want[0])
    _same(got.R, want[1])
    _same(LA.qr(a, mode="r"), np.linalg.qr(a, mode="r"))
    if shape[-2] <= shape[-1]:
        _same(LA.qr(a, mode="complete").Q, np.linalg.qr(a, mode="complete")[0])


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2), (3, 2, 5)])
def test_svd_values(shape: tuple[int, ...]) -> None:
    a = vec(*shape)
    for full in (False, True):
        got, want = LA.svd(a, full_matrices=full), np.linalg.svd(a, full_matrices=full)
        assert isinstance(got, LA.SVDResult)
        for g, w in zip(got, want, strict=True):
            _same(g, w)
    _same(LA.svd(a, compute_uv=False), np.linalg.svd(a, compute_uv=False))
    _same(LA.svdvals(a), np.linalg.svd(a, compute_uv=False))  # numpy >= 2: svdvals


@pytest.mark.parametrize("shape", [(3, 2), (2, 3), (3, 3), (2, 4, 3)])
def test_pinv_values(shape: tuple[int, ...]) -> None:
    a = vec(*shape)
    _same(LA.pinv(a), np.linalg.pinv(a))
    # rtol=None: the array API's cutoff max(M, N) * eps (numpy >= 2: pinv(a, rtol=None))
    _same(LA.pinv(a, rtol=None), np.linalg.pinv(a, rcond=max(a.shape[-2:]) * np.finfo(float).eps))
    low_rank = np.outer(vec(3), vec(4, seed=2))
    _same(LA.pinv(low_rank), np.linalg.pinv(low_rank))
    _same(LA.pinv(low_rank, rcond=0.1), np.linalg.pinv(low_rank, rcond=0.1))


LSTSQ_CASES = [
    ("tall", vec(5, 3), vec(5)),
    ("tall matrix b", vec(5, 3), vec(5, 2)),
    ("square", well(3, 3), vec(3, 2)),
    ("wide", vec(2, 4), vec(2)),
    ("rank deficient", np.c_[vec(5, 2), vec(5, 2) @ [1.0, -2.0]], vec(5)),
]


@pytest.mark.parametrize(("name", "a", "b"), LSTSQ_CASES, ids=[c[0] for c in LSTSQ_CASES])
def test_lstsq_values(name: str, a: np.ndarray, b: np.ndarray) -> None:
    got, want = LA.lstsq(a, b), np.linalg.lstsq(a, b)
    for g, w in zip(got, want, strict=True):
        _same(g, w, rtol=1e-9, atol=1e-11)
    assert isinstance(got[2], np.int32)
    x_cut = LA.lstsq(a, b, rcond=0.5)[0]
    _same(x_cut, np.linalg.lstsq(a, b, rcond=0.5)[0], rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("order", [2, -2, "nuc", 2.0])
def test_norm_spectral_and_nuclear(order: Any) -> None:
    a = vec(3, 4)
    _same(LA.norm(a, ord=order), np.linalg.norm(a, ord=order))
    b = vec(2, 3, 4)
    for axis in [(1, 2), (2, 0), (-1, -3)]:
        _same(LA.norm(b, ord=order, axis=axis), np.linalg.norm(b, ord=order, axis=axis))
        _same(
            LA.norm(b, ord=order, axis=axis, keepdims=True),
            np.linalg.norm(b, ord=order, axis=axis, keepdims=True),
        )


# ---------------------------------------------------------------------------
# values against scipy
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("trans", [0, 1, 2, "N", "T"])
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("unit", [False, True])
@pytest.mark.parametrize("sb", [(3,), (3, 2)])
def test_solve_triangular_values(trans: Any, lower: bool, unit: bool, sb: tuple[int, ...]) -> None:
    sl = pytest.importorskip("scipy.linalg")
    a, b = well(3, 3), vec(*sb)
    want = sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
    _same(fsl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit), want)


def test_solve_triangular_batched_like_scipy() -> None:
    sl = pytest.importorskip("scipy.linalg")
    a, b = well(2, 3, 3), vec(2, 3, 2)
    # one matrix at a time: scipy < 1.11 takes no stacks
    want = np.stack([sl.solve_triangular(a[i], b[i], lower=True) for i in range(2)])
    _same(fsl.solve_triangular(a, b, lower=True), want)
    want = np.stack([sl.solve_triangular(a[i], vec(3)) for i in range(2)])
    _same(fsl.solve_triangular(a, vec(3)), want)


@pytest.mark.parametrize("lower", [False, True])
def test_scipy_cholesky_cho_factor_cho_solve(lower: bool) -> None:
    sl = pytest.importorskip("scipy.linalg")
    a = spd(4, 4)
    _same(fsl.cholesky(a, lower=lower), sl.cholesky(a, lower=lower))
    c, low = fsl.cho_factor(a, lower=lower)
    c_ref, low_ref = sl.cho_factor(a, lower=lower)
    assert low == low_ref
    tri = np.tril if lower else np.triu
    _same(c, tri(c_ref))  # scipy leaves arbitrary values in the other triangle; we zero it
    for b in (vec(4), vec(4, 3)):
        _same(fsl.cho_solve((c, low), b), sl.cho_solve((c_ref, low_ref), b))
        _same(fsl.cho_solve((c, low), b), np.linalg.solve(a, b))


def test_scipy_check_finite() -> None:
    a = well(2, 2)
    bad = np.array([np.nan, 1.0])
    with pytest.raises(ValueError, match=r"solve_triangular: array must not contain infs or NaNs"):
        fsl.solve_triangular(a, bad)
    assert np.isnan(fsl.solve_triangular(a, bad, check_finite=False)).all()
    with pytest.raises(ValueError, match="invalid trans"):
        fsl.solve_triangular(a, a, trans=3)
    with pytest.raises(TypeError, match=r"cho_solve: .*\(c, lower\)"):
        fsl.cho_solve(a, np.ones(2))  # type: ignore[arg-type]


def test_scipy_module_does_not_import_scipy() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['scipy'] = None\n"
        "import numpy as np, funcdiff.scipy.linalg as la\n"
        "print(la.solve_triangular(np.eye(2) * 2, np.ones(2)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[0.5 0.5]"


# ---------------------------------------------------------------------------
# derivatives: finite differences, both modes, second order
# ---------------------------------------------------------------------------


def _sq(x: Any) -> Any:
    return x * x


def _eig_recompose(a: Any) -> Any:
    w, v = LA.eigh(a)
    return (v * fnp.exp(w)) @ v.T  # expm of the symmetric matrix: sign-invariant


def _svd_recompose(a: Any) -> Any:
    u, s, vh = LA.svd(a, full_matrices=False)
    return (u * (s + s**3)) @ vh


GRAD_CASES: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("solve vector", LA.solve, (well(3, 3), vec(3))),
    ("solve matrix", LA.solve, (well(3, 3), vec(3, 2))),
    ("solve batched", LA.solve, (well(2, 3, 3), vec(2, 3, 2))),
    ("solve broadcast b", LA.solve, (well(2, 3, 3), vec(3))),
    ("solve stacked b", LA.solve, (well(3, 3), vec(2, 3, 1))),
    ("inv", LA.inv, (well(3, 3),)),
    ("inv batched", LA.inv, (well(2, 2, 2),)),
    ("det", LA.det, (well(3, 3),)),
    ("det batched", LA.det, (well(2, 3, 3),)),
    ("slogdet", lambda a: LA.slogdet(a).logabsdet, (-well(3, 3),)),
    ("slogdet both", lambda a: tuple(LA.slogdet(a)), (well(2, 3, 3),)),
    ("cholesky", LA.cholesky, (spd(3, 3),)),
    ("cholesky upper", lambda a: LA.cholesky(a, upper=True), (spd(3, 3),)),
    ("cholesky batched", LA.cholesky, (spd(2, 3, 3),)),
    ("eigvalsh", LA.eigvalsh, (sym(4, 4),)),
    ("eigvalsh upper", lambda a: LA.eigvalsh(a, UPLO="U"), (sym(3, 3),)),
    ("eigh expm", _eig_recompose, (sym(3, 3),)),
    ("eigh squared vectors", lambda a: _sq(LA.eigh(a).eigenvectors), (sym(3, 3),)),
    ("eigh batched", lambda a: tuple(LA.eigh(a)), (sym(2, 3, 3),)),
    ("qr square", lambda a: tuple(LA.qr(a)), (well(3, 3),)),
    ("qr tall", lambda a: tuple(LA.qr(a)), (vec(4, 2),)),
    ("qr wide", lambda a: tuple(LA.qr(a)), (vec(2, 4),)),
    ("qr gauge-free R^T R", lambda a: LA.qr(a, mode="r").T @ LA.qr(a, mode="r"), (vec(4, 3),)),
    ("qr batched", lambda a: LA.qr(a).Q, (vec(2, 3, 2),)),
    ("svdvals", LA.svdvals, (rect(3, 3),)),
    ("svdvals wide batched", LA.svdvals, (rect(2, 2, 4),)),
    ("svd recompose square", _svd_recompose, (rect(3, 3),)),
    ("svd recompose tall", _svd_recompose, (rect(4, 2),)),
    ("svd recompose wide", _svd_recompose, (rect(2, 4),)),
    ("svd squared vectors", lambda a: tuple(_sq(x) for x in LA.svd(a, False)), (rect(3, 2),)),
    ("svd UVh", lambda a: LA.svd(a, False).U @ LA.svd(a, False).Vh, (rect(2, 3, 3),)),
    ("pinv tall", LA.pinv, (vec(4, 2),)),
    ("pinv wide", LA.pinv, (vec(2, 3),)),
    ("lstsq x", lambda a, b: LA.lstsq(a, b)[0], (vec(5, 3), vec(5))),
    ("lstsq x wide", lambda a, b: LA.lstsq(a, b)[0], (vec(2, 3), vec(2, 2))),
    ("lstsq residuals", lambda a, b: LA.lstsq(a, b)[1], (vec(5, 2), vec(5, 2))),
    ("lstsq s", lambda a, b: LA.lstsq(a, b)[3], (rect(4, 3), vec(4))),
    ("norm 2", lambda a: LA.norm(a, ord=2), (rect(3, 4),)),
    ("norm -2", lambda a: LA.norm(a, ord=-2), (rect(4, 3),)),
    ("norm nuc", lambda a: LA.norm(a, ord="nuc", axis=(0, 2)), (vec(3, 2, 4),)),
    ("solve_triangular", lambda a, b: fsl.solve_triangular(a, b, lower=True), (well(3, 3), vec(3))),
    (
        "solve_triangular T unit",
        lambda a, b: fsl.solve_triangular(a, b, trans="T", unit_diagonal=True),
        (well(3, 3), vec(3, 2)),
    ),
    ("scipy cholesky", fsl.cholesky, (spd(3, 3),)),
    ("cho_solve", lambda a, b: fsl.cho_solve(fsl.cho_factor(a), b), (spd(3, 3), vec(3, 2))),
    (
        "cho_solve lower",
        lambda a, b: fsl.cho_solve(fsl.cho_factor(a, lower=True), b),
        (spd(2, 3, 3), vec(3)),
    ),
]


@pytest.mark.parametrize(("name", "f", "args"), GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_grads(name: str, f: Callable[..., Any], args: tuple[Any, ...]) -> None:
    check_grads(f, args, order=2, modes=("fwd", "rev"))


def test_grads_float32() -> None:
    a, b = well(3, 3).astype(np.float32), vec(3).astype(np.float32)
    g = fd.grad(lambda a: LA.solve(a, b).sum())(a)
    assert g.dtype == np.float32
    check_grads(LA.solve, (a, b), order=1)


def test_third_order() -> None:
    check_grads(lambda a: LA.slogdet(a).logabsdet, (well(3, 3),), order=3)
    check_grads(LA.eigvalsh, (sym(3, 3),), order=3)


def test_gradients_against_closed_forms() -> None:
    a = well(3, 3)
    ainv = np.linalg.inv(a)
    np.testing.assert_allclose(fd.grad(LA.det)(a), np.linalg.det(a) * ainv.T, rtol=1e-10)
    np.testing.assert_allclose(
        fd.grad(lambda a: LA.slogdet(a).logabsdet)(a), ainv.T, rtol=1e-10, atol=1e-14
    )
    # Hessian of log det: H[ij, kl] = -(A^-1)_{li} (A^-1)_{jk}
    h = fd.hessian(lambda a: LA.slogdet(a).logabsdet)(a)
    np.testing.assert_allclose(h, -np.einsum("li,jk->ijkl", ainv, ainv), rtol=1e-9, atol=1e-12)
    # eigenvalues: dw_i/dA = v_i v_i^T (read from the lower triangle: off-diagonal doubled)
    s = sym(3, 3)
    v = np.linalg.eigh(s)[1]
    g = fd.grad(lambda a: LA.eigvalsh(a)[2])(s)
    outer = np.outer(v[:, 2], v[:, 2])
    np.testing.assert_allclose(g, np.tril(2 * outer, -1) + np.diag(np.diag(outer)), atol=1e-12)
    # nuclear norm: gradient U Vh
    r = rect(3, 4)
    u, _, vh = np.linalg.svd(r, full_matrices=False)
    np.testing.assert_allclose(fd.grad(lambda a: LA.norm(a, "nuc"))(r), u @ vh, atol=1e-12)


def test_symmetric_gradient_convention() -> None:
    """Only the lower triangle is read: for f(A) with A symmetric, the
    symmetric gradient is (g + g.T) / 2 of what grad returns."""
    a = spd(3, 3)

    def f(a: Any) -> Any:
        return fnp.sum(LA.cholesky(a) ** 3)

    g = fd.grad(f)(a)
    assert np.all(np.triu(g, 1) == 0)
    # directional derivative along a symmetric direction agrees either way
    d = sym(3, 3, seed=5)
    eps = 1e-6
    fdiff = (f(a + eps * d) - f(a - eps * d)) / (2 * eps)
    np.testing.assert_allclose(np.sum(g * d), fdiff, rtol=1e-6)


# ---------------------------------------------------------------------------
# the Newton step, differentiated
# ---------------------------------------------------------------------------


def _objective(x: Any) -> Any:
    return fnp.sum(fnp.exp(0.3 * x)) + 0.5 * fnp.sum(x * x) + 0.1 * fnp.sum(x[:-1] * x[1:] ** 2)


def _newton(x: Any) -> Any:
    return x - LA.solve(fd.hessian(_objective)(x), fd.grad(_objective)(x))


def test_newton_step_differentiated_by_grad() -> None:
    x = np.array([0.3, -0.2, 0.5, 0.1])

    def loss(x: Any) -> Any:
        return fnp.sum(_newton(x) ** 2)

    g = fd.grad(loss)(x)
    eps = 1e-6
    fdiff = np.array([(loss(x + eps * e) - loss(x - eps * e)) / (2 * eps) for e in np.eye(4)])
    np.testing.assert_allclose(g, fdiff, rtol=1e-6, atol=1e-8)
    check_grads(_newton, (x,), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(fd.jit(fd.grad(loss))(x), g, rtol=1e-12)
    # the Newton map's Jacobian at the minimizer is zero (quadratic convergence)
    xs = np.zeros(4)
    for _ in range(30):
        xs = _newton(xs)
    np.testing.assert_allclose(fd.jacfwd(_newton)(xs), np.zeros((4, 4)), atol=1e-9)


# ---------------------------------------------------------------------------
# vmap against loops, jit against eager
# ---------------------------------------------------------------------------

VMAP_CASES: list[tuple[str, Callable[..., Any], list[np.ndarray], Any]] = [
    ("solve both", LA.solve, [well(4, 3, 3), vec(4, 3)], 0),
    ("solve a only", LA.solve, [well(4, 3, 3), vec(3, 2)], (0, None)),
    ("solve b only", LA.solve, [well(3, 3), vec(4, 3)], (None, 0)),
    ("solve b only last axis", LA.solve, [well(3, 3), vec(3, 2, 4)], (None, 2)),
    ("solve batched a, b axis 1", LA.solve, [well(2, 3, 3), vec(2, 4, 3, 1)], (None, 1)),
    ("inv", LA.inv, [well(4, 3, 3)], 0),
    ("det axis 2", LA.det, [np.moveaxis(well(4, 3, 3), 0, 2)], 2),
    ("slogdet", lambda a: tuple(LA.slogdet(a)), [well(4, 2, 3, 3)], 1),
    ("cholesky", LA.cholesky, [spd(4, 3, 3)], 0),
    ("eigh", lambda a: tuple(LA.eigh(a)), [sym(4, 3, 3)], 0),
    ("qr", lambda a: tuple(LA.qr(a)), [vec(4, 3, 2)], 0),
    ("svd", lambda a: tuple(LA.svd(a, full_matrices=False)), [vec(4, 2, 3)], 0),
    ("svdvals", LA.svdvals, [vec(4, 3, 2)], 0),
    ("pinv", LA.pinv, [vec(4, 3, 2)], 0),
    ("lstsq", lambda a, b: LA.lstsq(a, b)[0], [vec(4, 5, 2), vec(4, 5)], 0),
    ("norm 2", lambda a: LA.norm(a, 2), [vec(4, 3, 2)], 0),
    ("solve_triangular b only", fsl.solve_triangular, [well(3, 3), vec(4, 3)], (None, 0)),
    (
        "solve_triangular right side",
        lambda a, b: fsl.solve_triangular(a, b, lower=True, trans=1),
        [well(4, 3, 3), vec(3, 2)],
        (0, None),
    ),
    ("cho_solve", lambda c, b: fsl.cho_solve((c, True), b), [well(3, 3), vec(3, 4)], (None, 1)),
]


@pytest.mark.parametrize(("name", "f", "args", "axes"), VMAP_CASES, ids=[c[0] for c in VMAP_CASES])
def test_vmap_matches_loop(
    name: str, f: Callable[..., Any], args: list[np.ndarray], axes: Any
) -> None:
    _vmap_vs_loop(f, args, axes)


def test_vmap_of_grad_matches_loop() -> None:
    def f(a: Any, b: Any) -> Any:
        return fnp.sum(LA.solve(a, b) ** 2) + LA.slogdet(a).logabsdet

    a, b = well(4, 3, 3), vec(4, 3)
    _vmap_vs_loop(fd.grad(f), [a, b], 0)
    _vmap_vs_loop(fd.grad(f), [a[0], b], (None, 0))


def test_vmap_over_rhs_factors_once() -> None:
    """An unbatched matrix with batched right-hand sides is one solve with
    the batch folded into columns, not one solve per member."""
    a = well(3, 3)
    eqns = fd.make_jaxpr(fd.vmap(lambda b: LA.solve(a, b)))(vec(5, 3)).eqns
    solves = [e for e in eqns if e.primitive.name == "solve"]
    assert len(solves) == 1 and solves[0].invars[1].aval.shape == (3, 5)
    # hessians through solve keep the coefficient matrix unbatched too
    jaxpr = fd.make_jaxpr(fd.hessian(lambda b: fnp.sum(LA.solve(a, b) ** 3)))(vec(3))
    shapes = [e.invars[0].aval.shape for e in jaxpr.eqns if e.primitive.name == "solve"]
    assert shapes and all(s == (3, 3) for s in shapes)


JIT_CASES: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("solve", LA.solve, (well(2, 3, 3), vec(3))),
    ("grad solve", fd.grad(lambda a, b: fnp.sum(LA.solve(a, b) ** 2)), (well(3, 3), vec(3))),
    ("eigh", lambda a: tuple(LA.eigh(a)), (sym(3, 3),)),
    ("grad eigh", fd.grad(lambda a: fnp.sum(_eig_recompose(a) ** 2)), (sym(3, 3),)),
    ("qr", lambda a: tuple(LA.qr(a)), (vec(4, 3),)),
    ("svd", lambda a: tuple(LA.svd(a)), (vec(2, 4),)),
    ("lstsq", LA.lstsq, (vec(5, 2), vec(5))),
    ("hessian logdet", fd.hessian(lambda a: LA.slogdet(a).logabsdet), (well(2, 2),)),
    ("cho_solve", lambda a, b: fsl.cho_solve(fsl.cho_factor(a), b), (spd(3, 3), vec(3))),
]


@pytest.mark.parametrize(("name", "f", "args"), JIT_CASES, ids=[c[0] for c in JIT_CASES])
def test_jit_equals_eager(name: str, f: Callable[..., Any], args: tuple[Any, ...]) -> None:
    want = f(*args)
    got = fd.jit(f)(*args)
    for g, w in zip(fd.tree.tree_leaves(got), fd.tree.tree_leaves(want), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)


def test_jaxprs_show_the_primitives() -> None:
    assert _prims(LA.inv, well(2, 2)) == ["solve"]
    assert "triangular_solve" in _prims(
        lambda c, b: fsl.cho_solve((c, True), b), well(2, 2), vec(2)
    )
    assert _prims(lambda a: LA.svd(a, compute_uv=False), vec(2, 3)) == ["svd"]
    assert _prims(LA.cholesky, spd(2, 2)) == ["cholesky"]


# ---------------------------------------------------------------------------
# singular cases (documented in docs/linalg.md)
# ---------------------------------------------------------------------------


def test_eigh_repeated_eigenvalues() -> None:
    a = np.diag([1.0, 1.0, 2.0])
    # the eigenvalues keep a first derivative
    g = fd.grad(lambda a: LA.eigvalsh(a)[2])(a)
    np.testing.assert_allclose(g, np.diag([0.0, 0.0, 1.0]), atol=1e-12)
    # the eigenvectors of the repeated eigenvalue have none: inf/NaN, as in JAX
    with np.errstate(divide="ignore", invalid="ignore"):
        gv = fd.grad(lambda a: LA.eigh(a).eigenvectors[0, 0])(a)
    assert not np.all(np.isfinite(gv))


def test_svd_repeated_singular_values() -> None:
    a = np.eye(3)
    g = fd.grad(lambda a: fnp.sum(LA.svdvals(a)))(a)  # the trace norm's gradient, U Vh
    np.testing.assert_allclose(g, np.eye(3), atol=1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        gu = fd.grad(lambda a: LA.svd(a).U[0, 0] ** 2)(a)
    assert not np.all(np.isfinite(gu))


def test_pinv_has_no_trouble_with_repeated_singular_values() -> None:
    # lstsq goes through pinv's own rule, so an orthogonal design is fine
    a = np.eye(4)[:, :2] * 2.0
    check_grads(LA.pinv, (a,), order=2)
    # (forward mode also differentiates lstsq's singular values, which have no
    # second derivative here: that dead branch divides by zero)
    with np.errstate(divide="ignore", invalid="ignore"):
        check_grads(lambda a, b: LA.lstsq(a, b)[0], (a, vec(4)), order=2)


@pytest.mark.parametrize("shape", [(4, 2), (2, 4), (2, 3, 5)])
def test_full_matrices_svd_basis_independent_functions(shape: tuple[int, ...]) -> None:
    """numpy's default full_matrices=True adds an arbitrary orthonormal basis of
    the complement; functions that do not depend on which basis get exact
    derivatives (the rules differentiate the minimal-rotation choice)."""
    a = rect(*shape)
    k = min(shape[-2:])
    assert LA.svd(a).U.shape[-1] == shape[-2]

    def projectors(a: Any) -> Any:
        u, s, vh = LA.svd(a)
        up, vp = u[..., :, k:], vh[..., k:, :]
        return up @ fnp.matrix_transpose(up), fnp.matrix_transpose(vp) @ vp, s

    def rotated(a: Any) -> Any:  # U^T a Vh^T = diag(s) padded with zeros
        u, _, vh = LA.svd(a)
        return fnp.matrix_transpose(u) @ a @ fnp.matrix_transpose(vh)

    check_grads(projectors, (a,), order=2, modes=("fwd", "rev"))
    check_grads(rotated, (a,), order=2, modes=("fwd", "rev"))
    # U stays orthogonal to first order
    _, du = fd.jvp(lambda a: LA.svd(a).U, (a,), (vec(*shape),))
    u = LA.svd(a).U
    skew = fnp.matrix_transpose(u) @ du
    np.testing.assert_allclose(skew, -np.swapaxes(skew, -1, -2), atol=1e-12)


def test_nan_in_nan_out() -> None:
    nan = np.full((2, 2), np.nan)
    with np.errstate(invalid="ignore"):
        assert np.isnan(LA.det(nan))
    assert np.isnan(LA.solve(nan, np.ones(2))).all()
    assert np.isnan(LA.eigh(nan).eigenvalues).all()
    assert all(np.isnan(x).all() for x in LA.svd(nan))
    assert np.isnan(LA.svdvals(nan)).all()
    stack = np.stack([nan, np.diag([2.0, 1.0])])
    s = LA.svdvals(stack)
    assert np.isnan(s[0]).all() and np.allclose(s[1], [2.0, 1.0])
    assert np.isnan(LA.cholesky(nan)[1, 1])


# ---------------------------------------------------------------------------
# errors name the function and the shapes
# ---------------------------------------------------------------------------


def test_singular_matrix_errors_name_the_function() -> None:
    z = np.zeros((2, 2))
    with pytest.raises(np.linalg.LinAlgError, match=r"^solve: singular matrix"):
        LA.solve(z, np.ones(2))
    with pytest.raises(np.linalg.LinAlgError, match=r"^inv: singular matrix"):
        LA.inv(z)
    with pytest.raises(np.linalg.LinAlgError, match=r"^cholesky: matrix is not positive definite"):
        LA.cholesky(-np.eye(2))
    with pytest.raises(np.linalg.LinAlgError, match=r"^triangular_solve: singular matrix"):
        fsl.solve_triangular(z, np.ones(2))
    with pytest.raises(np.linalg.LinAlgError, match="solve: singular"):
        fd.grad(lambda a: fnp.sum(LA.solve(a, np.ones(2))))(z)
    # under jit too
    with pytest.raises(np.linalg.LinAlgError, match="solve: singular"):
        fd.jit(LA.solve)(z, np.ones(2))


def test_shape_errors_name_the_shapes() -> None:
    with pytest.raises(ShapeError, match=r"solve: a has shape \(3, 3\) and b has shape \(4,\)"):
        LA.solve(np.eye(3), np.ones(4))
    with pytest.raises(np.linalg.LinAlgError, match=r"b has shape \(2, 4, 2\)"):
        LA.solve(np.ones((3, 3, 3)), np.ones((2, 4, 2)))
    with pytest.raises(ShapeError, match=r"solve: the last two axes of a must be square.*\(2, 3\)"):
        LA.solve(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ShapeError, match=r"det: a must be .*at least 2-D.*\(3,\)"):
        LA.det(np.ones(3))
    with pytest.raises(ShapeError, match=r"eigh: the last two axes of a must be square.*\(2, 3\)"):
        LA.eigh(np.ones((2, 3)))
    with pytest.raises(ShapeError, match=r"lstsq: a has shape \(3, 2\) and b has shape \(4,\)"):
        LA.lstsq(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ShapeError, match=r"solve_triangular: a has shape \(2, 2\).*\(3, 1\)"):
        fsl.solve_triangular(np.eye(2), np.ones((3, 1)))
    with pytest.raises(ShapeError, match="qr: a must be"):
        fd.grad(lambda x: fnp.sum(LA.qr(x).R))(np.ones(3))


def test_primitive_shape_errors_name_the_primitive() -> None:
    from funcdiff.primitives import linalg as la

    with pytest.raises(ShapeError, match=r"solve: the right-hand side f64\[2\] does not fit"):
        fd.make_jaxpr(la.solve)(np.eye(2), np.ones(2))
    with pytest.raises(DTypeError, match=r"triangular_solve: needs float32 or float64"):
        fd.make_jaxpr(la.triangular_solve)(np.eye(2, dtype=np.int64), np.ones((2, 1)))


def test_other_argument_errors() -> None:
    with pytest.raises(ValueError, match="UPLO"):
        LA.eigh(np.eye(2), UPLO="X")
    with pytest.raises(ValueError, match="qr: unrecognized mode"):
        LA.qr(np.eye(2), mode="bad")
    with pytest.raises(NotImplementedError, match="complete"):
        LA.qr(np.ones((3, 2)), mode="complete")
    with pytest.raises(DTypeError, match="float16"):
        LA.inv(np.eye(2, dtype=np.float16))
    with pytest.raises(ValueError, match="rtol` and `rcond"):
        LA.pinv(np.eye(2), rcond=1e-3, rtol=1e-3)


# ---------------------------------------------------------------------------
# det and slogdet at (and near) singular matrices: the cofactor primitive
# ---------------------------------------------------------------------------


def low_rank(n: int, r: int, seed: int = 0, integer: bool = False) -> np.ndarray:
    """An n x n matrix of rank r. ``integer``: small integer factors, so the
    product is exact in float64 and the matrix exactly singular."""
    rng = _rng(seed)
    if integer:
        b, c = rng.integers(-3, 4, size=(n, r)), rng.integers(-3, 4, size=(r, n))
        while np.linalg.matrix_rank(b @ c) != r:
            b, c = rng.integers(-3, 4, size=(n, r)), rng.integers(-3, 4, size=(r, n))
        return (b @ c).astype(np.float64)
    return np.asarray(rng.normal(size=(n, r)) @ rng.normal(size=(r, n)))


def _mp_matrix(a: np.ndarray) -> Any:
    import mpmath

    return mpmath.matrix([[mpmath.mpf(float(x)) for x in row] for row in a])


def _mp_cofactor(a: np.ndarray) -> np.ndarray:
    """adj(a)^T from the minors, in 50-digit arithmetic on the exact floats."""
    import mpmath

    n = a.shape[0]
    with mpmath.workdps(50):
        m = _mp_matrix(a)
        out = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                rows = [k for k in range(n) if k != i]
                cols = [k for k in range(n) if k != j]
                minor = mpmath.matrix([[m[p, q] for q in cols] for p in rows])
                det = mpmath.det(minor) if n > 1 else mpmath.mpf(1)
                out[i, j] = float((-1) ** (i + j) * det)
    return out


def _mp_mixed(a: np.ndarray, dirs: list[np.ndarray]) -> float:
    """d^k det(a)[dirs...] = the mixed partial of det(a + sum t_m dirs_m) at 0
    (mpmath's high-precision numerical differentiation of the polynomial)."""
    import mpmath

    with mpmath.workdps(50):
        m, es = _mp_matrix(a), [_mp_matrix(e) for e in dirs]

        def f(*t: Any) -> Any:
            x = m.copy()
            for tm, e in zip(t, es, strict=True):
                x += tm * e
            return mpmath.det(x)

        k = len(dirs)
        return float(mpmath.diff(f, (0,) * k, (1,) * k))


def _grad_det(a: Any) -> Any:
    return fd.grad(LA.det)(a)


def test_det_gradient_at_singular_2x2_is_the_cofactor_matrix() -> None:
    z = np.array([[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(_grad_det(z), [[4.0, -2.0], [-2.0, 1.0]], rtol=1e-14, atol=1e-14)
    # det = a d - b c: the Hessian is the same constant everywhere
    want = np.zeros((2, 2, 2, 2))
    want[0, 0, 1, 1] = want[1, 1, 0, 0] = 1.0
    want[0, 1, 1, 0] = want[1, 0, 0, 1] = -1.0
    for a in (z, np.zeros((2, 2)), well(2, 2)):
        np.testing.assert_allclose(fd.hessian(LA.det)(a), want, atol=1e-14)
        np.testing.assert_allclose(fd.jacfwd(fd.jacrev(LA.det))(a), want, atol=1e-14)
    # the third derivative of a quadratic is zero
    d3 = fd.jacfwd(fd.hessian(LA.det))(z)
    assert d3.shape == (2, 2, 2, 2, 2, 2) and not np.any(d3)
    # slogdet: log|det| has no derivative there; NaN, not a LinAlgError
    g = fd.grad(lambda a: LA.slogdet(a).logabsdet)(z)
    assert g.shape == (2, 2) and np.isnan(g).all()
    assert np.isnan(fd.hessian(lambda a: LA.slogdet(a).logabsdet)(z)).all()


@pytest.mark.parametrize("n", [3, 4])
@pytest.mark.parametrize("integer", [True, False])
def test_det_derivatives_at_singular_matrices_against_mpmath(n: int, integer: bool) -> None:
    rng = _rng(3)
    for r in range(n):  # every rank below full, the zero matrix included
        a = low_rank(n, r, seed=10 * n + r, integer=integer)
        scale = max(1.0, float(np.abs(a).max())) ** (n - 1)
        want = _mp_cofactor(a)
        got = _grad_det(a)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-13 * scale, err_msg=f"rank {r}")
        if integer:  # exact data: the cofactor matrix is rank 1 at rank n-1, else zero
            assert np.linalg.matrix_rank(want) == (1 if r == n - 1 else 0)
        assert np.linalg.matrix_rank(got, tol=1e-9 * scale) == (1 if r == n - 1 else 0)
        e1, e2, e3 = (rng.normal(size=(n, n)) for _ in range(3))
        # second derivative: forward over reverse, reverse over reverse, Hessian
        d2 = _mp_mixed(a, [e1, e2])
        jvp_of_grad = fd.jvp(_grad_det, (a,), (e1,))[1]
        assert np.isclose(np.sum(jvp_of_grad * e2), d2, rtol=1e-10, atol=1e-12 * scale)
        rev_rev = fd.grad(lambda x, e1=e1: fnp.sum(_grad_det(x) * e1))(a)
        np.testing.assert_allclose(rev_rev, jvp_of_grad, rtol=1e-10, atol=1e-12 * scale)
        h = fd.hessian(LA.det)(a).reshape(n * n, n * n)
        assert np.isclose(e2.ravel() @ h @ e1.ravel(), d2, rtol=1e-10, atol=1e-12 * scale)
        np.testing.assert_allclose(h, h.T, atol=1e-13 * scale)
        # third derivative, forward over forward over reverse
        d3 = _mp_mixed(a, [e1, e2, e3])

        def d2_along(x: Any, e1: np.ndarray = e1) -> Any:
            return fd.jvp(_grad_det, (x,), (e1,))[1]

        got3 = np.sum(fd.jvp(d2_along, (a,), (e2,))[1] * e3)
        assert np.isclose(got3, d3, rtol=1e-9, atol=1e-11 * scale), (r, got3, d3)


def test_det_hessian_3x3_closed_form_at_singular_matrices() -> None:
    # d^2 det / dA_ij dA_kl = eps_{i k p} eps_{j l q} A_pq (3 x 3)
    eps = np.zeros((3, 3, 3))
    for (i, j, k), s in {(0, 1, 2): 1, (1, 2, 0): 1, (2, 0, 1): 1}.items():
        eps[i, j, k], eps[j, i, k] = s, -s
    for a in (low_rank(3, 1, seed=1), low_rank(3, 2, seed=2), low_rank(3, 2, seed=4, integer=True)):
        want = np.einsum("ikp,jlq,pq->ijkl", eps, eps, a)
        np.testing.assert_allclose(fd.hessian(LA.det)(a), want, atol=1e-13)
        # the cofactor matrix in closed form: C_ij = 1/2 eps_ikp eps_jlq A_kl A_pq
        cof = 0.5 * np.einsum("ikp,jlq,kl,pq->ij", eps, eps, a, a)
        np.testing.assert_allclose(_grad_det(a), cof, atol=1e-13)


@pytest.mark.parametrize("r", [2, 1])
def test_det_derivatives_at_singular_matrices_against_finite_differences(r: int) -> None:
    a = low_rank(3, r, seed=7)
    check_grads(LA.det, (a,), order=3, modes=("fwd", "rev"))
    check_grads(lambda x: LA.det(x) * fnp.sum(x), (a,), order=2, modes=("fwd", "rev"))


def test_det_derivatives_accurate_near_singular_matrices() -> None:
    # rank 3 plus a perturbation of size 1e-12. The second derivative through
    # the inverse, det(A) (tr(A^-1 E) A^-T - A^-T E^T A^-T), subtracts two
    # terms of size 1/1e-12 to get one of size 1 (measured: 5e-6 relative
    # error here); the products of singular values keep it to rounding.
    a = low_rank(4, 3, seed=1) + 1e-12 * _rng(6).normal(size=(4, 4))
    want = _mp_cofactor(a)
    got = _grad_det(a)
    assert np.abs(got - want).max() <= 1e-14 * np.abs(want).max()
    e1, e2 = _rng(3).normal(size=(2, 4, 4))
    d2 = _mp_mixed(a, [e1, e2])
    got2 = np.sum(fd.jvp(_grad_det, (a,), (e1,))[1] * e2)
    assert abs(got2 - d2) <= 1e-13 * abs(d2)
    h = fd.hessian(LA.det)(a).reshape(16, 16)
    assert abs(e2.ravel() @ h @ e1.ravel() - d2) <= 1e-13 * abs(d2)


def test_det_fourth_derivative_of_4x4_is_constant_and_fifth_zero() -> None:
    rng = _rng(9)
    a = low_rank(4, 1, seed=9)
    es = [rng.normal(size=(4, 4)) for _ in range(5)]

    def along(f: Callable[[Any], Any], e: np.ndarray) -> Callable[[Any], Any]:
        return lambda x: fd.jvp(f, (x,), (e,))[1]

    f = LA.det
    for e in es[:3]:
        f = along(f, e)
    g4 = fd.grad(f)(a)  # d^4 det[e1, e2, e3, .]
    want = _mp_mixed(a, es[:4])
    assert np.isclose(np.sum(g4 * es[3]), want, rtol=1e-10)
    np.testing.assert_allclose(fd.grad(f)(well(4, 4)), g4, atol=1e-12)  # constant
    assert not np.any(fd.jvp(fd.grad(f), (a,), (es[4],))[1])


def test_det_gradient_batched_vmap_and_jit_at_singular_matrices() -> None:
    stack = np.stack(
        [low_rank(3, 2, seed=1), low_rank(3, 1, seed=2), well(3, 3), np.zeros((3, 3))]
    ).reshape(2, 2, 3, 3)
    loop = np.array([_mp_cofactor(m) for m in stack.reshape(4, 3, 3)]).reshape(2, 2, 3, 3)
    batched = fd.grad(lambda a: fnp.sum(LA.det(a)))(stack)  # leading axes
    np.testing.assert_allclose(batched, loop, atol=1e-12)
    flat = stack.reshape(4, 3, 3)
    np.testing.assert_allclose(fd.vmap(_grad_det)(flat), loop.reshape(4, 3, 3), atol=1e-12)
    np.testing.assert_allclose(
        fd.vmap(_grad_det, in_axes=2, out_axes=0)(np.moveaxis(flat, 0, 2)),
        loop.reshape(4, 3, 3),
        atol=1e-12,
    )
    np.testing.assert_allclose(fd.jit(_grad_det)(flat[0]), loop[0, 0], atol=1e-12)
    h_vmap = fd.vmap(fd.hessian(LA.det))(flat)
    h_loop = np.stack([fd.hessian(LA.det)(m) for m in flat])
    np.testing.assert_allclose(h_vmap, h_loop, atol=1e-13)
    np.testing.assert_allclose(fd.jit(fd.hessian(LA.det))(flat[1]), h_loop[1], atol=1e-13)
    np.testing.assert_allclose(fd.jit(fd.vmap(fd.hessian(LA.det)))(flat), h_loop, atol=1e-13)
    # a batch of directions at one matrix: one factorization (the batch rule
    # broadcasts the unbatched matrix against the batched directions)
    dirs = _rng(2).normal(size=(5, 3, 3))
    a = flat[0]
    per_dir = fd.vmap(lambda e: fd.jvp(_grad_det, (a,), (e,))[1])(dirs)
    for e, got in zip(dirs, per_dir, strict=True):
        np.testing.assert_allclose(got, fd.jvp(_grad_det, (a,), (e,))[1], atol=1e-13)


def test_det_gradient_float32_at_singular() -> None:
    z = np.array([[1.0, 2.0], [2.0, 4.0]], dtype=np.float32)
    g = _grad_det(z)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, [[4.0, -2.0], [-2.0, 1.0]], rtol=1e-6, atol=1e-6)
    a = low_rank(3, 2, seed=3, integer=True)
    g3 = _grad_det(a.astype(np.float32))
    np.testing.assert_allclose(g3, _mp_cofactor(a), rtol=1e-5, atol=1e-4 * np.abs(a).max() ** 2)


def test_slogdet_at_singular_matrices_gives_nan_not_linalgerror() -> None:
    def logdet(a: Any) -> Any:
        return LA.slogdet(a).logabsdet

    stack = np.stack([low_rank(3, 2, seed=4, integer=True), well(3, 3), np.zeros((3, 3))])
    with np.errstate(all="ignore"):
        g = fd.vmap(fd.grad(logdet))(stack)
        g_jit = fd.jit(fd.grad(lambda a: fnp.sum(logdet(a))))(stack)
        h = fd.vmap(fd.hessian(logdet))(stack)
    assert np.isnan(g[0]).all() and np.isnan(g[2]).all()
    np.testing.assert_allclose(g[1], np.linalg.inv(well(3, 3)).T, rtol=1e-12)
    np.testing.assert_array_equal(np.isnan(g_jit), np.isnan(g))
    np.testing.assert_allclose(g_jit[1], g[1], rtol=1e-12)
    assert np.isnan(h[0]).all() and np.isnan(h[2]).all() and np.isfinite(h[1]).all()
    # the sign has a zero derivative, also at a singular matrix
    for a in stack:
        sign_grad = fd.grad(lambda a: LA.slogdet(a).sign)(a)
        assert not np.any(sign_grad)
        _, t = fd.jvp(lambda a: LA.slogdet(a).sign, (a,), (np.ones((3, 3)),))
        assert float(t) == 0.0


def test_slogdet_gradient_of_large_matrix_does_not_overflow() -> None:
    # det overflows float64 here (log|det| ~ 1.4e3), its gradient a^-T does not
    a = well(300, 300, seed=1) * 3.0
    assert np.isinf(np.linalg.det(a))
    g = fd.grad(lambda a: LA.slogdet(a).logabsdet)(a)
    np.testing.assert_allclose(g, np.linalg.inv(a).T, rtol=1e-8, atol=1e-14)


def test_det_gradient_of_nonfinite_matrix_is_nan() -> None:
    nan = np.full((2, 2), np.nan)
    with np.errstate(invalid="ignore"):
        assert np.isnan(_grad_det(nan)).all()
        inf = np.array([[np.inf, 1.0], [1.0, 1.0]])
        assert np.isnan(_grad_det(inf)).all()


@pytest.mark.parametrize("t", [1e-1, 2e-4, 5e-5, 1e-9])
def test_det_gradient_either_side_of_the_lu_svd_switch(t: float) -> None:
    # well-conditioned matrices take LU's det * a^-T, the others the SVD:
    # both agree with mpmath to rounding on either side of the switch
    q1, q2 = np.linalg.qr(_rng(11).normal(size=(2, 3, 3)))[0]
    a = (q1 * np.array([2.0, 1.0, t])) @ q2.T
    want = _mp_cofactor(a)
    got = _grad_det(a)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-14 * np.abs(want).max())
    inv_t = fd.grad(lambda a: LA.slogdet(a).logabsdet)(a)
    np.testing.assert_allclose(inv_t, want / np.linalg.det(a), rtol=0, atol=1e-12 / t)


def test_cofactor_errors_name_the_primitive() -> None:
    from funcdiff.primitives.linalg import cofactor

    a = well(3, 3)
    with pytest.raises(ShapeError, match=r"cofactor: direction f64\[2,2\] does not fit"):
        fd.make_jaxpr(lambda a: cofactor(a, np.ones((2, 2))))(a)
    with pytest.raises(DTypeError, match=r"cofactor: a direction's dtype differs"):
        fd.make_jaxpr(lambda a: cofactor(a, np.ones((3, 3), np.float32)))(a)
    with pytest.raises(ShapeError, match=r"leading \(batch\) axes .* do not broadcast"):
        fd.make_jaxpr(lambda a: cofactor(a, np.ones((4, 3, 3))))(well(2, 3, 3))
    with pytest.raises(DTypeError, match=r"cofactor: needs float32 or float64"):
        fd.make_jaxpr(cofactor)(np.ones((2, 2), np.int64))
    # a third derivative of det of a large matrix is refused before allocating
    big, e = np.eye(600), np.ones((600, 600))
    for run in (lambda: cofactor(big, e, e), lambda: fd.make_jaxpr(cofactor)(big, e, e)):
        with pytest.raises(ShapeError, match=r"order 3 of det at 600x600 .* slogdet"):
            run()
    # the small ones are fine, and the order-n+1 derivative is zero
    assert not np.any(cofactor(a, e[:3, :3], e[:3, :3], e[:3, :3]))

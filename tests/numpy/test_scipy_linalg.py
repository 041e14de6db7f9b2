"""funcdiff.scipy.linalg beyond the triangular and Cholesky solvers: the
matrix functions (expm, expm_frechet, sqrtm, logm, solve_sylvester), LU
(lu, lu_factor, lu_solve), the scipy-signature re-exports (solve with
assume_a, solve_banded, inv, det, lstsq, pinv, eigh/eigvalsh with the
generalized problem, svd, qr, polar, norm) and the special matrices
(block_diag, toeplitz, hilbert).

Values against scipy.linalg (float64 and float32, batched where scipy 1.11
batches, edge cases), first and second derivatives against central finite
differences in both modes, JVP/VJP pairing, jit against eager, vmap against
a loop, and values against jax.scipy.linalg where JAX has the function."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.checking import check_grads
from funcdiff.scipy import linalg as fsl

sl = pytest.importorskip("scipy.linalg")


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def well(*shape: int, seed: int = 0) -> np.ndarray:
    """Well-conditioned square matrices, eigenvalues of positive real part."""
    n = shape[-1]
    return np.asarray(_rng(seed).normal(size=shape) + 2.0 * np.sqrt(n) * np.eye(n))


def spd(*shape: int, seed: int = 0) -> np.ndarray:
    m = _rng(seed).normal(size=shape)
    return np.asarray(m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1]))


def gauss(*shape: int, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    return np.asarray(scale * _rng(seed).normal(size=shape))


def _tol(dtype: Any) -> dict[str, float]:
    return (
        {"rtol": 2e-4, "atol": 2e-5}
        if np.dtype(dtype) == np.float32
        else {
            "rtol": 1e-10,
            "atol": 1e-12,
        }
    )


def _close(got: Any, want: Any, dtype: Any = np.float64, **kw: float) -> None:
    tol = {**_tol(dtype), **kw}
    np.testing.assert_allclose(
        np.asarray(got), np.asarray(want), rtol=tol["rtol"], atol=tol["atol"]
    )


def _pairing(f: Callable[[Any], Any], x: np.ndarray, seed: int = 1) -> None:
    """<u, J v> == <J^T u, v> for random u, v."""
    rng = _rng(seed)
    v = rng.normal(size=x.shape)
    out, jv = fd.jvp(f, (x,), (v,))
    u = rng.normal(size=np.shape(out))
    _, pullback = fd.vjp(f, x)
    (jtu,) = pullback(u)
    lhs, rhs = float(np.sum(u * np.asarray(jv))), float(np.sum(np.asarray(jtu) * v))
    assert abs(lhs - rhs) <= 1e-9 * max(1.0, abs(lhs)), (lhs, rhs)


# ---------------------------------------------------------------------------
# expm, expm_frechet
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [0.01, 0.3, 1.0, 4.0, 30.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_expm_values(scale: float, dtype: Any) -> None:
    a = gauss(4, 4, seed=3, scale=scale).astype(dtype)
    got = fsl.expm(a)
    assert got.dtype == dtype
    want = sl.expm(a.astype(np.float64))
    _close(
        got / np.max(np.abs(want)),
        want / np.max(np.abs(want)),
        dtype,
        rtol=0,
        atol=1e-13 if dtype == np.float64 else 1e-6,
    )


def test_expm_edge_cases_and_batch() -> None:
    np.testing.assert_array_equal(fsl.expm(np.zeros((3, 3))), np.eye(3))
    _close(fsl.expm(np.eye(3)), np.e * np.eye(3))
    _close(fsl.expm(np.array([[0.7]])), [[np.exp(0.7)]])
    nil = np.array([[0.0, 1.0], [0.0, 0.0]])
    _close(fsl.expm(nil), [[1.0, 1.0], [0.0, 1.0]])
    a = gauss(2, 3, 3, 3, seed=1)
    _close(fsl.expm(a), sl.expm(a))  # scipy batches expm
    assert fsl.expm(np.zeros((0, 0))).shape == (0, 0)
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        fsl.expm(np.ones((2, 3)))


@pytest.mark.parametrize("compute_expm", [True, False])
def test_expm_frechet_values(compute_expm: bool) -> None:
    a, e = gauss(3, 3, seed=4), gauss(3, 3, seed=5)
    got = fsl.expm_frechet(a, e, compute_expm=compute_expm)
    want = sl.expm_frechet(a, e, compute_expm=compute_expm)
    if compute_expm:
        _close(got[0], want[0])
        _close(got[1], want[1], rtol=1e-9)
    else:
        _close(got, want, rtol=1e-9)
    with pytest.raises(ValueError, match="method"):
        fsl.expm_frechet(a, e, method="nope")


def test_expm_derivatives() -> None:
    a = gauss(3, 3, seed=6, scale=0.7)
    check_grads(fsl.expm, (a,), order=2)
    check_grads(fsl.expm, (gauss(3, 3, seed=7, scale=3.0),), order=1)  # scaled and squared
    _pairing(fsl.expm, a)
    # the JVP is the Frechet derivative
    e = gauss(3, 3, seed=8)
    _, t = fd.jvp(fsl.expm, (a,), (e,))
    _close(t, sl.expm_frechet(a, e, compute_expm=False), rtol=1e-9)
    # d/dt expm(t a) = a expm(t a)
    g = fd.jacfwd(lambda s: fsl.expm(s * a))(1.0)
    _close(g, a @ sl.expm(a), rtol=1e-9)


def test_expm_frechet_derivatives() -> None:
    a, e = gauss(3, 3, seed=9, scale=0.5), gauss(3, 3, seed=10)
    check_grads(lambda a, e: fsl.expm_frechet(a, e), (a, e), order=2)


# ---------------------------------------------------------------------------
# sqrtm, logm, solve_sylvester
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sqrtm_logm_values(dtype: Any) -> None:
    for a in (well(4, 4, seed=1), spd(3, 3, seed=2), np.array([[2.5]])):
        x = a.astype(dtype)
        s = fsl.sqrtm(x)
        log = fsl.logm(x)
        assert s.dtype == log.dtype == dtype
        _close(s, np.real(sl.sqrtm(a)), dtype, rtol=1e-9 if dtype == np.float64 else 2e-4)
        _close(log, np.real(sl.logm(a)), dtype, rtol=1e-9 if dtype == np.float64 else 2e-4)
        _close(fsl.expm(fsl.logm(a)), a, rtol=1e-9)
        _close(fsl.sqrtm(a) @ fsl.sqrtm(a), a, rtol=1e-9)


def test_sqrtm_logm_edges_batch_and_errest() -> None:
    np.testing.assert_allclose(fsl.logm(np.eye(3)), np.zeros((3, 3)), atol=1e-14)
    np.testing.assert_allclose(fsl.sqrtm(np.eye(3)), np.eye(3), atol=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy >= 1.12 warns: singular
        np.testing.assert_array_equal(fsl.sqrtm(np.zeros((2, 2))), np.zeros((2, 2)))
    a = well(2, 3, 3, seed=3)
    _close(fsl.sqrtm(a), np.stack([sl.sqrtm(m) for m in a]), rtol=1e-9)
    _close(fsl.logm(a), np.stack([sl.logm(m) for m in a]), rtol=1e-9)
    _s, err = fsl.sqrtm(a[0], disp=False)
    assert float(err) < 1e-12
    _log, err = fsl.logm(a[0], disp=False)
    assert float(err) < 1e-12
    with pytest.raises(ValueError, match="negative real eigenvalue"):
        fsl.sqrtm(np.diag([-1.0, 2.0]))
    with pytest.raises(ValueError, match="negative real eigenvalue"):
        fsl.logm(np.diag([-1.0, 2.0]))


@pytest.mark.parametrize("name", ["sqrtm", "logm"])
def test_sqrtm_logm_derivatives(name: str) -> None:
    f = getattr(fsl, name)
    a = well(3, 3, seed=4)
    check_grads(f, (a,), order=2)
    _pairing(f, a)
    # along a commuting direction the derivative is the scalar one
    d = np.diag([1.0, 2.0, 4.0])
    _, t = fd.jvp(f, (d,), (np.eye(3),))
    want = 0.5 / np.sqrt(np.diag(d)) if name == "sqrtm" else 1.0 / np.diag(d)
    _close(np.diag(np.asarray(t)), want)
    # logm inverts expm: d logm(expm(x)) = identity map
    if name == "logm":
        x = gauss(3, 3, seed=5, scale=0.3)
        e = gauss(3, 3, seed=6)
        _, t = fd.jvp(lambda x: fsl.logm(fsl.expm(x)), (x,), (e,))
        _close(t, e, rtol=1e-8, atol=1e-9)


def test_solve_sylvester() -> None:
    a, b, q = well(3, 3, seed=1), well(2, 2, seed=2), gauss(3, 2, seed=3)
    x = fsl.solve_sylvester(a, b, q)
    _close(x, sl.solve_sylvester(a, b, q))
    _close(a @ x + x @ b, q)
    x32 = fsl.solve_sylvester(a.astype(np.float32), b.astype(np.float32), q.astype(np.float32))
    assert x32.dtype == np.float32
    _close(x32, x, np.float32)
    check_grads(fsl.solve_sylvester, (a, b, q), order=2)
    # broadcast batch: one a, b for a stack of q
    qs = gauss(4, 3, 2, seed=4)
    _close(fsl.solve_sylvester(a, b, qs), np.stack([sl.solve_sylvester(a, b, m) for m in qs]))
    _close(fsl.solve_sylvester([[2.0]], [[1.0]], [[6.0]]), [[2.0]])
    with pytest.raises(ValueError, match="must be"):
        fsl.solve_sylvester(a, b, gauss(2, 3))


# ---------------------------------------------------------------------------
# lu, lu_factor, lu_solve
# ---------------------------------------------------------------------------


SHAPES = [(4, 4), (5, 3), (3, 5), (1, 1)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lu_values(shape: tuple[int, int], dtype: Any) -> None:
    a = gauss(*shape, seed=11).astype(dtype)
    p, l, u = fsl.lu(a)
    wp, wl, wu = sl.lu(a)
    assert p.dtype == l.dtype == u.dtype == dtype
    np.testing.assert_array_equal(p, wp)
    _close(l, wl, dtype)
    _close(u, wu, dtype)
    pl, _u2 = fsl.lu(a, permute_l=True)
    _close(pl, sl.lu(a, permute_l=True)[0], dtype)
    perm, _, _ = fsl.lu(a, p_indices=True)
    assert perm.dtype == np.int32
    _close(np.asarray(l)[perm] @ u, a, dtype)
    lu_, piv = fsl.lu_factor(a)
    wlu, wpiv = sl.lu_factor(a)
    _close(lu_, wlu, dtype)
    np.testing.assert_array_equal(piv, wpiv)
    assert piv.dtype == np.int32


def test_lu_edge_cases_and_batch() -> None:
    p, l, u = fsl.lu(np.zeros((3, 3)))  # singular: no pivoting, zero u
    np.testing.assert_array_equal(p, np.eye(3))
    np.testing.assert_array_equal(l, np.eye(3))
    np.testing.assert_array_equal(u, np.zeros((3, 3)))
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    for got, want in zip(fsl.lu_factor(sing), sl.lu_factor(sing), strict=True):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        fsl.lu_solve(fsl.lu_factor(sing), np.ones(2))
    a = gauss(3, 4, 4, seed=12)
    p, l, u = fsl.lu(a)
    for i in range(3):
        for got, want in zip((p[i], l[i], u[i]), sl.lu(a[i]), strict=True):
            _close(got, want)
    lu_, piv = fsl.lu_factor(a)
    for i in range(3):
        _close(lu_[i], sl.lu_factor(a[i])[0])
        np.testing.assert_array_equal(piv[i], sl.lu_factor(a[i])[1])


@pytest.mark.parametrize("shape", SHAPES)
def test_lu_derivatives(shape: tuple[int, int]) -> None:
    a = gauss(*shape, seed=13)

    def f(a: Any) -> Any:
        _, l, u = fsl.lu(a)
        return l, u

    check_grads(f, (a,), order=2)
    _pairing(lambda a: fsl.lu(a, permute_l=True)[0] + 0.0, a)
    _pairing(lambda a: fsl.lu(a)[2], a)
    check_grads(lambda a: fsl.lu_factor(a)[0], (a,), order=1)


@pytest.mark.parametrize("trans", [0, 1, 2])
def test_lu_solve(trans: int) -> None:
    a, b = gauss(4, 4, seed=14), gauss(4, 2, seed=15)
    f = sl.lu_factor(a)
    _close(fsl.lu_solve(fsl.lu_factor(a), b, trans=trans), sl.lu_solve(f, b, trans=trans))
    _close(fsl.lu_solve(f, b[:, 0], trans=trans), sl.lu_solve(f, b[:, 0], trans=trans))
    b32 = b.astype(np.float32)
    got32 = fsl.lu_solve(fsl.lu_factor(a.astype(np.float32)), b32, trans=trans)
    assert got32.dtype == np.float32
    _close(got32, sl.lu_solve(f, b, trans=trans), np.float32)

    def g(a: Any, b: Any) -> Any:
        return fsl.lu_solve(fsl.lu_factor(a), b, trans=trans)

    check_grads(g, (a, b), order=2)
    want = fd.grad(lambda a: fnp.sum(fnp.linalg.solve(a.T if trans else a, b) ** 2))(a)
    _close(fd.grad(lambda a: fnp.sum(g(a, b) ** 2))(a), want, rtol=1e-9)
    with pytest.raises(ValueError, match="trans"):
        fsl.lu_solve(f, b, trans=3)
    with pytest.raises(TypeError, match="lu_factor"):
        fsl.lu_solve(a, b)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# solve, solve_banded, inv, det, lstsq, pinv
# ---------------------------------------------------------------------------


ASSUME = [
    None,
    "gen",
    "sym",
    "pos",
    "diagonal",
    "tridiagonal",
    "banded",
    "upper triangular",
    "lower triangular",
]


@pytest.mark.parametrize("assume_a", ASSUME)
@pytest.mark.parametrize("lower", [False, True])
def test_solve_assume_a(assume_a: str | None, lower: bool) -> None:
    a = spd(4, 4, seed=16) + np.triu(gauss(4, 4, seed=17), 1)  # not symmetric
    b = gauss(4, 2, seed=18)
    if assume_a in ("sym", "pos", None, "gen", "banded"):
        want_a = a
        if assume_a in ("sym", "pos"):
            t = np.tril(a) if lower else np.triu(a)
            want_a = t + t.T - np.diag(np.diag(a))
    elif assume_a == "diagonal":
        want_a = np.diag(np.diag(a))
    elif assume_a == "tridiagonal":
        want_a = np.triu(np.tril(a, 1), -1)
    else:
        want_a = np.triu(a) if assume_a == "upper triangular" else np.tril(a)
    want = np.linalg.solve(want_a, b)
    got = fsl.solve(a, b, lower=lower, assume_a=assume_a)
    _close(got, want, rtol=1e-9)
    _close(fsl.solve(a, b[:, 0], lower=lower, assume_a=assume_a), want[:, 0], rtol=1e-9)
    if assume_a != "sym":
        got_t = fsl.solve(a, b, lower=lower, assume_a=assume_a, transposed=True)
        if assume_a != "pos":
            _close(got_t, np.linalg.solve(want_a.T, b), rtol=1e-9)
    check_grads(lambda a, b: fsl.solve(a, b, lower=lower, assume_a=assume_a), (a, b), order=1)


def test_solve_like_scipy_and_errors() -> None:
    a, b = well(3, 3, seed=19), gauss(3, seed=20)
    _close(fsl.solve(a, b), sl.solve(a, b))
    _close(fsl.solve(a.astype(np.float32), b.astype(np.float32)), sl.solve(a, b), np.float32)
    with pytest.raises(np.linalg.LinAlgError, match="singular"):
        fsl.solve(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="assume_a"):
        fsl.solve(a, b, assume_a="weird")
    with pytest.raises(ValueError, match="infs or NaNs"):
        fsl.solve(a, np.array([1.0, np.nan, 0.0]))


@pytest.mark.parametrize("lu_", [(1, 1), (0, 2), (2, 0), (0, 0)])
def test_solve_banded(lu_: tuple[int, int]) -> None:
    nl, nu = lu_
    n = 5
    ab = gauss(nl + nu + 1, n, seed=21)
    ab[nu] += 5.0  # dominant diagonal
    b = gauss(n, 2, seed=22)
    _close(fsl.solve_banded(lu_, ab, b), sl.solve_banded(lu_, ab, b), rtol=1e-9)
    _close(fsl.solve_banded(lu_, ab, b[:, 0]), sl.solve_banded(lu_, ab, b[:, 0]), rtol=1e-9)
    check_grads(lambda ab, b: fsl.solve_banded(lu_, ab, b), (ab, b), order=2)
    # the unused corners of ab are not read
    g = fd.grad(lambda ab: fnp.sum(fsl.solve_banded(lu_, ab, b)))(ab)
    for k in range(nu):
        np.testing.assert_array_equal(np.asarray(g)[k, : nu - k], 0.0)
    with pytest.raises(ValueError, match="ab has shape"):
        fsl.solve_banded((nl + 1, nu), ab, b)


def test_inv_det_values_and_derivatives() -> None:
    a = well(2, 3, 3, seed=23)
    _close(fsl.inv(a), np.stack([sl.inv(m) for m in a]))
    _close(fsl.det(a), np.stack([sl.det(m) for m in a]))
    _close(fsl.det(np.eye(3)), 1.0)
    _close(fsl.det(np.ones((2, 2))), 0.0)
    with pytest.raises(np.linalg.LinAlgError):
        fsl.inv(np.ones((2, 2)))
    check_grads(fsl.inv, (a[0],), order=2)
    check_grads(fsl.det, (a[0],), order=2)


def test_lstsq_like_scipy() -> None:
    a, b = gauss(5, 3, seed=24), gauss(5, seed=25)
    x, res, rank, s = fsl.lstsq(a, b)
    wx, wres, wrank, ws = sl.lstsq(a, b)
    _close(x, wx, rtol=1e-9)
    assert np.shape(res) == np.shape(wres) == ()
    _close(res, wres, rtol=1e-9)
    assert int(rank) == wrank
    _close(s, ws)
    b2 = gauss(5, 2, seed=26)
    x2, res2, _, _ = fsl.lstsq(a, b2)
    wx2, wres2, _, _ = sl.lstsq(a, b2)
    _close(x2, wx2, rtol=1e-9)
    _close(res2, wres2, rtol=1e-9)
    _, res_wide, _, _ = fsl.lstsq(a.T, gauss(3, seed=27))
    assert np.shape(res_wide) == (0,)
    check_grads(lambda a, b: fsl.lstsq(a, b)[0], (a, b), order=2)


def test_pinv_like_scipy() -> None:
    a = gauss(4, 3, seed=28)
    _close(fsl.pinv(a), sl.pinv(a), rtol=1e-9)
    low = a @ np.diag([1.0, 1.0, 0.0]) @ gauss(3, 3, seed=29)  # rank 2
    got, rank = fsl.pinv(low, return_rank=True)
    want, wrank = sl.pinv(low, return_rank=True)
    _close(got, want, rtol=1e-8, atol=1e-10)
    assert int(rank) == wrank == 2
    got, rank = fsl.pinv(a, atol=10.0, return_rank=True)
    want, wrank = sl.pinv(a, atol=10.0, return_rank=True)
    _close(got, want, rtol=1e-9)
    assert int(rank) == wrank
    check_grads(fsl.pinv, (a,), order=2)
    with pytest.raises(NotImplementedError, match="atol"):
        fd.grad(lambda a: fnp.sum(fsl.pinv(a, atol=0.1)))(a)


# ---------------------------------------------------------------------------
# eigh, eigvalsh, svd, qr, polar, norm
# ---------------------------------------------------------------------------


def _sym_distinct(n: int, seed: int) -> np.ndarray:
    q = np.linalg.qr(gauss(n, n, seed=seed))[0]
    return np.asarray((q * np.linspace(-1.0, 2.0, n)) @ q.T)


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("typ", [None, 1, 2, 3])
def test_eigh_like_scipy(lower: bool, typ: int | None) -> None:
    a = _sym_distinct(4, 30) + (np.triu(gauss(4, 4, seed=31), 1) if lower else 0.0)
    b = spd(4, 4, seed=32)
    if typ is None:
        w, v = fsl.eigh(a, lower=lower)
        ww, wv = sl.eigh(a, lower=lower)
    else:
        w, v = fsl.eigh(a, b, lower=lower, type=typ)
        ww, wv = sl.eigh(a, b, lower=lower, type=typ)
    _close(w, ww, rtol=1e-9)
    # eigenvectors up to sign
    v, wv = np.asarray(v), np.asarray(wv)
    signs = np.sign(np.sum(v * wv, axis=0))
    _close(v * signs, wv, rtol=1e-8, atol=1e-9)
    _close(fsl.eigvalsh(a, None if typ is None else b, lower=lower, type=typ or 1), ww, rtol=1e-9)

    def f(a: Any, b: Any) -> Any:
        w, v = fsl.eigh(a, None if typ is None else b, lower=lower, type=typ or 1)
        return w, v * v  # sign-invariant

    check_grads(f, (a, b), order=2 if typ is None else 1)


def test_eigh_subsets_and_errors() -> None:
    a = _sym_distinct(4, 33)
    w = fsl.eigh(a, eigvals_only=True, subset_by_index=(1, 2))
    _close(w, sl.eigh(a, eigvals_only=True, subset_by_index=[1, 2]), rtol=1e-9)
    _, v = fsl.eigh(a, subset_by_index=(0, 1))
    assert np.shape(v) == (4, 2)
    with pytest.raises(NotImplementedError, match="subset_by_value"):
        fsl.eigh(a, subset_by_value=(0.0, 1.0))
    with pytest.raises(ValueError, match="type"):
        fsl.eigh(a, spd(4, 4), type=4)
    with pytest.raises(np.linalg.LinAlgError, match="positive definite"):
        fsl.eigh(a, -np.eye(4))


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3)])
@pytest.mark.parametrize("full", [True, False])
def test_svd_qr_like_scipy(shape: tuple[int, int], full: bool) -> None:
    a = gauss(*shape, seed=34)
    s = fsl.svd(a, compute_uv=False)
    _close(s, sl.svd(a, compute_uv=False))
    u, s2, vh = fsl.svd(a, full_matrices=full)
    wu, _, wvh = sl.svd(a, full_matrices=full)
    assert np.shape(u) == wu.shape and np.shape(vh) == wvh.shape
    k = min(shape)
    _close((np.asarray(u)[:, :k] * s2) @ np.asarray(vh)[:k], a)
    mode = "full" if full else "economic"
    if full and shape[0] > shape[1]:
        with pytest.raises(NotImplementedError, match="economic"):
            fsl.qr(a, mode=mode)
    else:
        q, r = fsl.qr(a, mode=mode)
        wq, wr = sl.qr(a, mode=mode)
        assert np.shape(q) == wq.shape and np.shape(r) == wr.shape
        _close(np.abs(r), np.abs(wr))
        _close(q @ r, a)
    (r,) = fsl.qr(a, mode="r")
    (wr,) = sl.qr(a, mode="r")
    assert np.shape(r) == wr.shape
    _close(np.abs(r), np.abs(wr))
    check_grads(lambda a: fsl.svd(a, compute_uv=False), (a,), order=2)
    check_grads(lambda a: fsl.qr(a, mode="r")[0], (a,), order=2)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
@pytest.mark.parametrize("side", ["right", "left"])
def test_polar(shape: tuple[int, int], side: str) -> None:
    a = gauss(*shape, seed=35)
    u, p = fsl.polar(a, side=side)
    wu, wp = sl.polar(a, side=side)
    _close(u, wu, rtol=1e-9, atol=1e-12)
    _close(p, wp, rtol=1e-9, atol=1e-12)
    u32, p32 = fsl.polar(a.astype(np.float32), side=side)
    assert u32.dtype == p32.dtype == np.float32
    _close(u32, wu, np.float32)
    smooth = (side == "right") == (shape[0] >= shape[1])
    if smooth:
        check_grads(lambda a: fsl.polar(a, side=side), (a,), order=2)
        _pairing(lambda a: fsl.polar(a, side=side)[0], a)
    else:  # through the SVD's vectors: first order
        check_grads(lambda a: fsl.polar(a, side=side)[0], (a,), order=1)


def test_polar_derivative_at_repeated_singular_values() -> None:
    # the identity (all singular values 1): the SVD's vectors have no derivative,
    # the polar factors do. u(I + tE) = I + t skew(E) + ..., p = I + t sym(E) + ...
    e = gauss(3, 3, seed=36)
    (_u, _p), (du, dp) = fd.jvp(fsl.polar, (np.eye(3),), (e,))
    _close(du, 0.5 * (e - e.T))
    _close(dp, 0.5 * (e + e.T))
    check_grads(fsl.polar, (np.eye(3),), order=2)
    with pytest.raises(ValueError, match="side"):
        fsl.polar(np.eye(2), side="up")


def test_norm_like_scipy() -> None:
    a = gauss(3, 4, seed=37)
    for ord_ in (None, "fro", 1, 2, np.inf, "nuc"):
        _close(fsl.norm(a, ord=ord_), sl.norm(a, ord=ord_))
    _close(fsl.norm(a, axis=1), sl.norm(a, axis=1))
    check_grads(lambda a: fsl.norm(a, ord="nuc"), (a,), order=1)


# ---------------------------------------------------------------------------
# block_diag, toeplitz, hilbert
# ---------------------------------------------------------------------------


def test_special_matrices() -> None:
    blocks = (gauss(2, 3, seed=38), np.array([4.0, 5.0]), 7.0, np.zeros((0, 2)))
    _close(fsl.block_diag(*blocks), sl.block_diag(*blocks))
    assert fsl.block_diag().shape == sl.block_diag().shape == (1, 0)
    assert fsl.block_diag(np.ones((2, 2), np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="dimensions"):
        fsl.block_diag(np.ones((2, 2, 2)))
    check_grads(lambda x, y: fsl.block_diag(x, y), (blocks[0], blocks[1]), order=1)
    c, r = gauss(4, seed=39), gauss(3, seed=40)
    _close(fsl.toeplitz(c, r), sl.toeplitz(c, r))
    _close(fsl.toeplitz(c), sl.toeplitz(c))
    check_grads(lambda c, r: fsl.toeplitz(c, r), (c, r), order=1)
    for n in (0, 1, 4):
        np.testing.assert_array_equal(fsl.hilbert(n), sl.hilbert(n))


# ---------------------------------------------------------------------------
# transforms: jit against eager, vmap against a loop, second derivatives
# ---------------------------------------------------------------------------


CASES: list[tuple[str, Callable[[Any], Any], np.ndarray]] = [
    ("expm", fsl.expm, gauss(3, 3, seed=41, scale=0.8)),
    ("sqrtm", fsl.sqrtm, well(3, 3, seed=42)),
    ("logm", fsl.logm, well(3, 3, seed=43)),
    ("lu", lambda a: fsl.lu(a)[1:], gauss(3, 3, seed=44)),
    ("lu_factor", lambda a: fsl.lu_factor(a)[0], gauss(4, 3, seed=45)),
    ("lu_solve", lambda a: fsl.lu_solve(fsl.lu_factor(a), np.arange(3.0)), well(3, 3, seed=46)),
    ("sylvester", lambda a: fsl.solve_sylvester(a, a.T, a), well(3, 3, seed=47)),
    ("polar", fsl.polar, gauss(3, 3, seed=48)),
    ("solve_pos", lambda a: fsl.solve(a, np.ones(3), assume_a="pos"), spd(3, 3, seed=49)),
    ("eigh_gen", lambda a: fsl.eigh(a, spd(3, 3), eigvals_only=True), _sym_distinct(3, 50)),
    ("toeplitz", lambda a: fsl.toeplitz(a[0], a[1]), gauss(3, 3, seed=51)),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_jit_matches_eager(case: tuple[str, Callable[[Any], Any], np.ndarray]) -> None:
    _, f, a = case

    def loss(a: Any) -> Any:
        return sum(fnp.sum(fnp.sin(x)) for x in fd.tree.tree_leaves(f(a)))

    for got, want in zip(fd.tree.tree_leaves(fd.jit(f)(a)), fd.tree.tree_leaves(f(a)), strict=True):
        _close(got, want)
    _close(fd.jit(fd.grad(loss))(a), fd.grad(loss)(a), rtol=1e-9)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_vmap_matches_loop(case: tuple[str, Callable[[Any], Any], np.ndarray]) -> None:
    _, f, a = case
    stack = np.stack([a * (1.0 + 0.05 * i) for i in range(3)])
    got = fd.vmap(f)(stack)
    for i in range(3):
        want = f(stack[i])
        for g, w in zip(fd.tree.tree_leaves(got), fd.tree.tree_leaves(want), strict=True):
            _close(np.asarray(g)[i], w, rtol=1e-9)

    def first(a: Any) -> Any:
        return fnp.sum(fd.tree.tree_leaves(f(a))[0])

    grads = fd.vmap(fd.grad(first))(stack)
    for i in range(3):
        want = fd.grad(first)(stack[i])
        _close(np.asarray(grads)[i], want, rtol=1e-9)


def test_hessian_of_expm_trace() -> None:
    # trace(expm(a)) = sum exp(eigenvalues); its Hessian at 0 is E -> trace(E^2)/2 * 2
    h = fd.hessian(lambda a: fnp.trace(fsl.expm(a)))(np.zeros((2, 2)))
    want = np.einsum("il,jk->ijkl", np.eye(2), np.eye(2))  # d2/da_ij da_kl trace(a^2)/2
    _close(h, want)


# ---------------------------------------------------------------------------
# against JAX's jax.scipy.linalg
# ---------------------------------------------------------------------------


def test_values_match_jax() -> None:
    jax = pytest.importorskip("jax")
    jsl = pytest.importorskip("jax.scipy.linalg")
    from funcdiff.backends.jax import x64

    a, e = gauss(4, 4, seed=52, scale=0.8), gauss(4, 4, seed=53)
    w, b, q = well(4, 4, seed=54), well(3, 3, seed=55), gauss(4, 3, seed=56)
    with x64():
        arr = jax.numpy.asarray
        _close(fsl.expm(a), jsl.expm(arr(a)))
        for got, want in zip(fsl.expm_frechet(a, e), jsl.expm_frechet(arr(a), arr(e)), strict=True):
            _close(got, want, rtol=1e-9)
        _close(fsl.sqrtm(w), np.real(np.asarray(jsl.sqrtm(arr(w)))), rtol=1e-8)
        _close(fsl.solve_sylvester(w, b, q), jsl.solve_sylvester(arr(w), arr(b), arr(q)), rtol=1e-8)
        for got, want in zip(fsl.lu(a), jsl.lu(arr(a)), strict=True):
            _close(got, want)
        for got, want in zip(fsl.lu_factor(a), jsl.lu_factor(arr(a)), strict=True):
            _close(got, want)
        _close(fsl.lu_solve(fsl.lu_factor(w), q), jsl.lu_solve(jsl.lu_factor(arr(w)), arr(q)))
        for got, want in zip(fsl.polar(a), jsl.polar(arr(a)), strict=True):
            _close(got, want, rtol=1e-9)
        _close(fsl.toeplitz(q[:, 0], q[:, 1]), jsl.toeplitz(arr(q[:, 0]), arr(q[:, 1])))
        _close(fsl.hilbert(4), jsl.hilbert(4))
        _close(fsl.block_diag(a, b), jsl.block_diag(arr(a), arr(b)))
        _close(fsl.det(w), jsl.det(arr(w)))
        _close(fsl.inv(w), jsl.inv(arr(w)))
        _close(fsl.solve(w, q), jsl.solve(arr(w), arr(q)))
        _close(fsl.eigh(a + a.T, eigvals_only=True), jsl.eigh(arr(a + a.T), eigvals_only=True))
        # derivatives through the XLA backend agree as well
        g = fd.grad(lambda a: fnp.sum(fsl.expm(a) ** 2))
        _close(fd.jit(g, backend="jax")(a), g(a), rtol=1e-9)
        jg = jax.grad(lambda a: jax.numpy.sum(jsl.expm(a) ** 2))(arr(a))
        _close(g(a), jg, rtol=1e-9)


def test_scipy_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "scipy.linalg", None)  # import scipy.linalg fails
    for f in (fsl.sqrtm, fsl.logm, lambda a: fsl.solve_sylvester(a, a, a)):
        with pytest.raises(ImportError, match=r"pip install funcdiff\[scipy\]"):
            f(well(2, 2))
    # the numpy-only ones; lu falls back to numpy elimination (the same factors)
    _close(fsl.expm(np.zeros((2, 2))), np.eye(2))
    for shape in (*SHAPES, (6, 6), (0, 3)):
        a = gauss(*shape, seed=60)
        for got, want in zip(fsl.lu(a), sl.lu(a), strict=True):
            _close(got, want)
    np.testing.assert_array_equal(fsl.lu(np.zeros((3, 3)))[2], np.zeros((3, 3)))
    sing = np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 1.0], [0.0, 0.0, 1.0]])
    for got, want in zip(fsl.lu(sing), sl.lu(sing), strict=True):
        _close(got, want)
    _close(fsl.polar(np.eye(2))[0], np.eye(2))

"""Complex matrices through linear algebra, with JAX's conventions
(docs/complex.md, section "Linear algebra").

References are independent of funcdiff: numpy's values, central finite
differences along complex directions, the identity <g, J t> = <J^T g, t>
for the pairing <a, b> = Re(sum(a * b)), loops, and JAX (64-bit) on the
same programs. Eigenvectors and singular vectors are compared to numpy's
up to their phase (funcdiff fixes it: the entry of largest modulus of each
eigenvector / right singular vector is real and positive), and directly to
finite differences, which that fixed phase makes well defined.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.primitives import linalg as la

RNG = np.random.default_rng(11)
Fn = Callable[..., Any]
LA = fnp.linalg


def crandn(*shape: int) -> np.ndarray:
    return RNG.normal(size=shape) + 1j * RNG.normal(size=shape)


def well(*shape: int) -> np.ndarray:
    """Well-conditioned complex square matrices."""
    n = shape[-1]
    return crandn(*shape) + 2.0 * n**0.5 * np.eye(n)


def hpd(n: int) -> np.ndarray:
    """Hermitian positive definite."""
    m = crandn(n, n)
    out: np.ndarray = m @ m.conj().T + n * np.eye(n)
    return out


def herm(n: int) -> np.ndarray:
    """Hermitian with well-separated eigenvalues."""
    q = np.linalg.qr(crandn(n, n))[0]
    out: np.ndarray = (q * np.linspace(-1.0, 2.0, n)) @ q.conj().T
    return out


def spread(m: int, n: int) -> np.ndarray:
    """Complex (m, n) with distinct singular values."""
    k = min(m, n)
    u = np.linalg.qr(crandn(m, m))[0][:, :k]
    v = np.linalg.qr(crandn(n, n))[0][:, :k]
    out: np.ndarray = (u * np.linspace(2.5, 0.7, k)) @ v.conj().T
    return out


def general(n: int) -> np.ndarray:
    """Complex non-normal matrix with distinct eigenvalues."""
    x = crandn(n, n) + 2 * np.eye(n)
    out: np.ndarray = x @ np.diag(np.arange(1, n + 1) * (1 + 0.5j)) @ np.linalg.inv(x)
    return out


def pair(a: Any, b: Any) -> float:
    return float(np.real(np.sum(np.asarray(a) * np.asarray(b))))


def leaves(x: Any) -> list[np.ndarray]:
    return [np.asarray(v) for v in fd.tree.tree_leaves(x)]


def num_dir(f: Fn, xs: tuple[Any, ...], ts: tuple[Any, ...], h: float = 1e-6) -> list[Any]:
    plus = leaves(f(*[x + h * t for x, t in zip(xs, ts, strict=True)]))
    minus = leaves(f(*[x - h * t for x, t in zip(xs, ts, strict=True)]))
    return [(p - m) / (2 * h) for p, m in zip(plus, minus, strict=True)]


def num_grad(f: Fn, z: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """JAX's gradient of a real-valued f: df/dx - i df/dy (df/dx for real z)."""
    g = np.zeros(z.shape, z.dtype)
    for k in np.ndindex(z.shape):
        e = np.zeros(z.shape)
        e[k] = 1.0
        d = (float(f(z + h * e)) - float(f(z - h * e))) / (2 * h)
        if np.iscomplexobj(z):
            d = d - 1j * (float(f(z + 1j * h * e)) - float(f(z - 1j * h * e))) / (2 * h)
        g[k] = d
    return g


def phase_fixed(v: np.ndarray) -> np.ndarray:
    """Scale each column so that its entry of largest modulus is real positive."""
    k = np.argmax(np.abs(v), axis=-2)
    top = np.take_along_axis(v, k[..., None, :], axis=-2)
    out: np.ndarray = v * (np.conj(top) / np.abs(top))
    return out


# ---------------------------------------------------------------------------
# values equal numpy's
# ---------------------------------------------------------------------------


def test_values_equal_numpy() -> None:
    a, b = well(3, 3), crandn(3, 2)
    close = np.testing.assert_allclose
    close(LA.solve(a, b), np.linalg.solve(a, b), rtol=1e-13)
    close(LA.solve(a, b[:, 0]), np.linalg.solve(a, b[:, 0]), rtol=1e-13)
    close(LA.inv(a), np.linalg.inv(a), rtol=1e-13)
    close(LA.det(a), np.linalg.det(a), rtol=1e-13)
    sign, logabs = LA.slogdet(a)
    want = np.linalg.slogdet(a)
    assert np.asarray(sign).dtype == np.complex128 and np.asarray(logabs).dtype == np.float64
    close(sign, want[0], rtol=1e-13)
    close(logabs, want[1], rtol=1e-13)
    p = hpd(3)
    close(LA.cholesky(p), np.linalg.cholesky(p), rtol=1e-13)
    close(LA.cholesky(p, upper=True), np.linalg.cholesky(p).conj().T, rtol=1e-13)
    h = herm(4)
    for uplo in ("L", "U"):
        w, v = LA.eigh(h, UPLO=uplo)
        w_np, v_np = np.linalg.eigh(h, UPLO=uplo)
        assert np.asarray(w).dtype == np.float64
        close(w, w_np, rtol=1e-13, atol=1e-14)
        close(v, phase_fixed(v_np), rtol=1e-11, atol=1e-13)
        close(LA.eigvalsh(h, UPLO=uplo), w_np, rtol=1e-13, atol=1e-14)
    x = spread(4, 3)
    u, s, vh = LA.svd(x, full_matrices=False)
    u_np, s_np, _ = np.linalg.svd(x, full_matrices=False)
    assert np.asarray(s).dtype == np.float64
    close(s, s_np, rtol=1e-13)
    close((u * s) @ vh, x, rtol=1e-12, atol=1e-13)
    close(np.abs(u), np.abs(u_np), rtol=1e-11)
    close(LA.svdvals(x), s_np, rtol=1e-13)
    q, r = LA.qr(x)
    q_np, r_np = np.linalg.qr(x)
    close(q, q_np, rtol=1e-13, atol=1e-14)
    close(r, r_np, rtol=1e-13, atol=1e-14)
    close(LA.pinv(x), np.linalg.pinv(x), rtol=1e-12)
    bb = crandn(4)
    for got, ref in zip(LA.lstsq(x, bb), np.linalg.lstsq(x, bb, rcond=None), strict=True):
        assert np.asarray(got).dtype == np.asarray(ref).dtype
        close(got, ref, rtol=1e-12)
    for o in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        close(LA.norm(a, o), np.linalg.norm(a, o), rtol=1e-13)
    close(LA.matrix_power(a, 3), np.linalg.matrix_power(a, 3), rtol=1e-13)
    close(LA.matrix_power(a, -2), np.linalg.matrix_power(a, -2), rtol=1e-12)
    close(LA.cond(a), np.linalg.cond(a), rtol=1e-12)
    assert int(LA.matrix_rank(x)) == np.linalg.matrix_rank(x) == 3
    g = general(3)
    w, v = LA.eig(g)
    w_np, v_np = np.linalg.eig(g)
    close(w, w_np, rtol=1e-12)
    close(v, phase_fixed(v_np), rtol=1e-10, atol=1e-12)
    close(LA.eigvals(g), np.linalg.eigvals(g), rtol=1e-12)
    # real input: complex results (JAX's convention), numpy's eigenvalue order
    r3 = RNG.normal(size=(3, 3))
    w, v = LA.eig(r3)
    assert np.asarray(w).dtype == np.asarray(v).dtype == np.complex128
    close(w, np.linalg.eigvals(r3).astype(complex), rtol=1e-12)
    close(r3 @ v, v * w, atol=1e-12)
    # the triangular solve primitive
    t = la.triangular_solve(a, b, lower=False, transpose_a=True)
    close(np.triu(a).T @ t, b, rtol=1e-12)


def test_complex64_stays_single() -> None:
    a = well(3, 3).astype(np.complex64)
    for out in (
        LA.inv(a),
        LA.det(a),
        LA.eig(a).eigenvectors,
        LA.svd(a).U,
        LA.qr(a).Q,
        LA.cholesky(a @ a.conj().T),
    ):
        assert np.asarray(out).dtype == np.complex64
    for out in (LA.svdvals(a), LA.eigvalsh(a), LA.norm(a, 2), LA.slogdet(a).logabsdet):
        assert np.asarray(out).dtype == np.float32
    g = fd.grad(lambda m: fnp.abs(LA.det(m)) ** 2)(a)
    assert g.dtype == np.complex64
    # float32 with complex64 promotes to complex64, as in numpy
    assert LA.solve(a, np.ones((3, 1), np.float32)).dtype == np.complex64


# ---------------------------------------------------------------------------
# jvp against finite differences, vjp against jvp
# ---------------------------------------------------------------------------


def _eig_v(a: Any) -> Any:
    return LA.eig(a).eigenvectors


_FUNS: list[tuple[str, Fn, Callable[[], tuple[Any, ...]]]] = [
    ("solve", LA.solve, lambda: (well(3, 3), crandn(3, 2))),
    ("solve_vec", LA.solve, lambda: (well(3, 3), crandn(3))),
    ("inv", LA.inv, lambda: (well(3, 3),)),
    ("det", LA.det, lambda: (crandn(3, 3),)),
    ("det_stack", LA.det, lambda: (crandn(2, 3, 3),)),
    ("slogdet", lambda a: tuple(LA.slogdet(a)), lambda: (crandn(3, 3),)),
    ("cholesky", LA.cholesky, lambda: (hpd(3),)),
    ("cholesky_upper", lambda a: LA.cholesky(a, upper=True), lambda: (hpd(3),)),
    ("eigh", lambda a: tuple(LA.eigh(a)), lambda: (herm(3),)),
    ("eigh_upper", lambda a: tuple(LA.eigh(a, UPLO="U")), lambda: (herm(3),)),
    ("eigvalsh", LA.eigvalsh, lambda: (herm(4),)),
    ("svd", lambda a: tuple(LA.svd(a, full_matrices=False)), lambda: (spread(3, 3),)),
    ("svd_tall", lambda a: tuple(LA.svd(a, full_matrices=False)), lambda: (spread(4, 2),)),
    ("svd_wide", lambda a: tuple(LA.svd(a, full_matrices=False)), lambda: (spread(2, 3),)),
    ("svdvals", LA.svdvals, lambda: (spread(3, 2),)),
    ("qr", lambda a: tuple(LA.qr(a)), lambda: (crandn(4, 3),)),
    ("qr_wide", lambda a: tuple(LA.qr(a)), lambda: (crandn(2, 4),)),
    ("pinv", LA.pinv, lambda: (crandn(3, 2),)),
    ("lstsq", lambda a, b: LA.lstsq(a, b)[:2], lambda: (crandn(4, 2), crandn(4))),
    ("norm2", lambda a: LA.norm(a, 2), lambda: (spread(3, 3),)),
    ("nuc", lambda a: LA.norm(a, "nuc"), lambda: (spread(3, 2),)),
    ("fro", LA.norm, lambda: (crandn(3, 2),)),
    ("matrix_power", lambda a: LA.matrix_power(a, -3), lambda: (well(3, 3),)),
    ("eig", lambda a: tuple(LA.eig(a)), lambda: (general(3),)),
    ("eig_stack", lambda a: tuple(LA.eig(a)), lambda: (np.stack([general(3), general(3)]),)),
    ("eig_real", lambda a: tuple(LA.eig(a)), lambda: (RNG.normal(size=(3, 3)),)),
    ("eigvals", LA.eigvals, lambda: (general(4),)),
    ("eig_vectors", _eig_v, lambda: (general(2),)),
]


@pytest.mark.parametrize("name", [n for n, _, _ in _FUNS])
def test_jvp_against_finite_differences_and_vjp_against_jvp(name: str) -> None:
    _, f, make = next(c for c in _FUNS if c[0] == name)
    xs = make()
    for _ in range(2):
        ts = tuple(
            crandn(*np.shape(x)) if np.iscomplexobj(x) else RNG.normal(size=x.shape) for x in xs
        )
        out, tout = fd.jvp(f, xs, ts)
        for got, want in zip(leaves(tout), num_dir(f, xs, ts), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=name)
        _, t_jit = fd.jit(lambda *a: fd.jvp(f, a[: len(xs)], a[len(xs) :]))(*xs, *ts)
        for got, want in zip(leaves(t_jit), leaves(tout), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=name)
        out, pull = fd.vjp(f, *xs)
        cts = fd.tree.tree_map(
            lambda o: crandn(*np.shape(o)) if np.iscomplexobj(o) else RNG.normal(size=np.shape(o)),
            out,
        )
        gs = pull(cts)
        for g, x in zip(gs, xs, strict=True):
            assert np.asarray(g).dtype == np.asarray(x).dtype, name
        lhs = sum(pair(c, t) for c, t in zip(leaves(cts), leaves(tout), strict=True))
        rhs = sum(pair(g, t) for g, t in zip(gs, ts, strict=True))
        assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-10), name


# ---------------------------------------------------------------------------
# gradients of real losses, holomorphic derivatives
# ---------------------------------------------------------------------------


_LOSSES: list[tuple[str, Fn, Callable[[], np.ndarray]]] = [
    ("abs_det_sq", lambda a: fnp.abs(LA.det(a)) ** 2, lambda: crandn(3, 3)),
    ("inv_fro_sq", lambda a: fnp.sum(fnp.abs(LA.inv(a)) ** 2), lambda: well(3, 3)),
    ("solve_re", lambda a: fnp.real(fnp.sum(LA.solve(a, np.arange(3.0) + 1j))), lambda: well(3, 3)),
    ("logabsdet", lambda a: LA.slogdet(a).logabsdet, lambda: crandn(3, 3)),
    ("sign_re", lambda a: fnp.real(LA.slogdet(a).sign), lambda: crandn(3, 3)),
    ("norm_2", lambda a: LA.norm(a, 2), lambda: spread(3, 3)),
    ("norm_nuc", lambda a: LA.norm(a, "nuc"), lambda: spread(2, 3)),
    ("norm_fro", lambda a: LA.norm(a), lambda: crandn(3, 3)),
    ("norm_vec", lambda a: LA.norm(a[0]), lambda: crandn(2, 3)),
    ("sum_abs_eigvals", lambda a: fnp.sum(fnp.abs(LA.eigvals(a))), lambda: general(3)),
    (
        "sum_abs_eigvals_real",
        lambda a: fnp.sum(fnp.abs(LA.eigvals(a))),
        lambda: RNG.normal(size=(3, 3)),
    ),
    # V diag(w) V^-1 = a: a phase-invariant function of the eigenvectors
    (
        "eig_reassembled",
        lambda a: fnp.real(
            fnp.trace(
                LA.eig(a).eigenvectors
                @ fnp.diag(fnp.exp(LA.eig(a).eigenvalues))
                @ LA.inv(LA.eig(a).eigenvectors)
            )
        ),
        lambda: general(3),
    ),
    ("eig_abs_v", lambda a: fnp.sum(fnp.abs(LA.eig(a).eigenvectors) ** 3), lambda: general(3)),
    (
        "eigh_proj",
        lambda a: fnp.real(fnp.sum(fnp.abs(LA.eigh(a).eigenvectors[:, 0]) ** 4)),
        lambda: herm(3),
    ),
    ("eigh_w", lambda a: LA.eigvalsh(a)[2], lambda: herm(3)),
    ("svd_abs_u", lambda a: fnp.sum(fnp.abs(LA.svd(a).U) ** 3), lambda: spread(3, 3)),
    (
        "svd_uvh",
        lambda a: fnp.real(fnp.sum((LA.svd(a).U @ LA.svd(a).Vh) * (1 + 2j))),
        lambda: spread(3, 3),
    ),
    ("qr_abs_r", lambda a: fnp.sum(fnp.abs(LA.qr(a).R)), lambda: crandn(3, 3)),
    ("chol_tr", lambda a: fnp.sum(fnp.abs(LA.cholesky(a)) ** 2), lambda: hpd(3)),
    ("pinv_abs", lambda a: fnp.sum(fnp.abs(LA.pinv(a))), lambda: crandn(3, 2)),
]


@pytest.mark.parametrize("name", [n for n, _, _ in _LOSSES])
def test_grad_of_real_losses_against_finite_differences(name: str) -> None:
    _, f, make = next(c for c in _LOSSES if c[0] == name)
    a = make()
    got = fd.grad(f)(a)
    assert got.dtype == a.dtype
    np.testing.assert_allclose(got, num_grad(f, a), rtol=1e-6, atol=1e-7, err_msg=name)
    np.testing.assert_allclose(fd.jit(fd.grad(f))(a), got, rtol=1e-10, atol=1e-12)


def test_holomorphic_functions() -> None:
    a = well(3, 3)
    b = crandn(3, 2)
    # det: the cofactor matrix; inv: -inv e inv; along 1 and along i (Cauchy-Riemann)
    g = fd.grad(LA.det, holomorphic=True)(a)
    np.testing.assert_allclose(g, np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-12)
    for e in (np.eye(3)[0:1].T @ np.eye(3)[1:2], np.ones((3, 3))):
        for t in (e, 1j * e):
            assert complex(np.sum(g * t)) == pytest.approx(
                complex(num_dir(LA.det, (a,), (t,))[0]), rel=1e-7
            )
    jac = fd.jacfwd(LA.inv, holomorphic=True)(a)
    np.testing.assert_allclose(fd.jacrev(LA.inv, holomorphic=True)(a), jac, rtol=1e-12)
    ai = np.linalg.inv(a)
    np.testing.assert_allclose(jac, -np.einsum("ik,lj->ijkl", ai, ai), rtol=1e-12)
    jb = fd.jacrev(lambda m: LA.solve(m, b), holomorphic=True)(a)
    t = crandn(3, 3)
    for direction in (t, 1j * t):
        want = num_dir(lambda m: LA.solve(m, b), (a,), (direction,))[0]
        np.testing.assert_allclose(np.einsum("ijkl,kl->ij", jb, direction), want, rtol=1e-7)
    # eigenvalues of a matrix with distinct eigenvalues: dw_i = (V^-1 e V)_ii
    m = general(3)
    w, v = np.linalg.eig(m)
    vi = np.linalg.inv(v)
    jw = fd.jacfwd(LA.eigvals, holomorphic=True)(m)
    wf = np.asarray(LA.eigvals(m))
    assert np.allclose(np.sort_complex(wf), np.sort_complex(w))
    for i in range(3):
        j = int(np.argmin(np.abs(w - wf[i])))
        np.testing.assert_allclose(jw[i], np.outer(vi[j], v[:, j]), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        fd.jacrev(LA.eigvals, holomorphic=True)(m), jw, rtol=1e-9, atol=1e-12
    )
    # second derivative of det, holomorphic
    h = fd.hessian(LA.det, holomorphic=True)(a)
    want = num_dir(lambda x: fd.grad(LA.det, holomorphic=True)(x), (a,), (t,))[0]
    np.testing.assert_allclose(np.einsum("ijkl,kl->ij", h, t), want, rtol=1e-6)


# ---------------------------------------------------------------------------
# second order: real inputs, complex intermediates
# ---------------------------------------------------------------------------


def _weighted_sq(z: Any) -> Any:
    return fnp.real(z * fnp.conj(z)) * np.arange(1.0, 10.0).reshape(3, 3)


def _complexified(x: Any) -> Any:
    """A real vector of 18 entries as a complex 3x3 matrix."""
    return fnp.reshape(x[:9] + 1j * x[9:], (3, 3))


_SECOND: list[tuple[str, Fn, Callable[[], np.ndarray]]] = [
    ("abs_det", lambda x: fnp.abs(LA.det(_complexified(x))) ** 2, lambda: RNG.normal(size=18)),
    (
        "inv",
        lambda x: fnp.sum(fnp.abs(LA.inv(_complexified(x) + 4 * np.eye(3))) ** 2),
        lambda: RNG.normal(size=18),
    ),
    (
        "logabsdet",
        lambda x: LA.slogdet(_complexified(x) + 4 * np.eye(3)).logabsdet,
        lambda: RNG.normal(size=18),
    ),
    ("nuc", lambda x: LA.norm(_complexified(x), "nuc"), lambda: RNG.normal(size=18)),
    (
        "eigvals",
        lambda x: fnp.sum(fnp.abs(LA.eigvals(_complexified(x) + np.diag([0.0, 3.0, 6.0]))) ** 2),
        lambda: 0.5 * RNG.normal(size=18),
    ),
    (
        "eigh",
        lambda x: fnp.sum(fnp.sin(LA.eigvalsh(_complexified(x) + np.diag([0.0, 3.0, 6.0])))),
        lambda: 0.5 * RNG.normal(size=18),
    ),
    (
        "eigh_vectors",
        lambda x: fnp.sum(
            fnp.abs(LA.eigh(_complexified(x) + np.diag([0.0, 3.0, 6.0])).eigenvectors) ** 4
        ),
        lambda: 0.5 * RNG.normal(size=18),
    ),
    # (|.|**2 as z conj(z): abs has no second derivative at the zeros of R, L)
    ("qr", lambda x: fnp.sum(_weighted_sq(LA.qr(_complexified(x)).R)), lambda: RNG.normal(size=18)),
    (
        "cholesky",
        lambda x: fnp.sum(
            _weighted_sq(LA.cholesky(_complexified(x) @ fnp.conj(_complexified(x)).T + np.eye(3)))
        ),
        lambda: RNG.normal(size=18),
    ),
]


@pytest.mark.parametrize("name", [n for n, _, _ in _SECOND])
def test_hessian_of_real_loss_of_complex_intermediates(name: str) -> None:
    _, f, make = next(c for c in _SECOND if c[0] == name)
    x = make()
    h = fd.hessian(f)(x)
    assert h.dtype == np.float64
    np.testing.assert_allclose(h, h.T, rtol=1e-8, atol=1e-9)
    g = fd.grad(f)
    want = np.stack([num_dir(g, (x,), (np.eye(18)[i],))[0] for i in range(18)])
    np.testing.assert_allclose(h, want, rtol=1e-5, atol=1e-6, err_msg=name)
    # forward-over-reverse and reverse-over-reverse agree
    np.testing.assert_allclose(fd.jacrev(fd.grad(f))(x), h, rtol=1e-8, atol=1e-9)


# ---------------------------------------------------------------------------
# jit and vmap
# ---------------------------------------------------------------------------


def test_vmap_matches_loop_and_jit_matches_eager() -> None:
    stack = np.stack([general(3) for _ in range(4)])
    hs = np.stack([herm(3) for _ in range(4)])
    funs: list[tuple[Fn, np.ndarray]] = [
        (lambda a: tuple(LA.eig(a)), stack),
        (lambda a: tuple(LA.eigh(a)), hs),
        (lambda a: tuple(LA.svd(a)), stack),
        (lambda a: tuple(LA.qr(a)), stack),
        (lambda a: tuple(LA.slogdet(a)), stack),
        (LA.inv, stack),
        (LA.det, stack),
        (LA.pinv, stack[:, :, :2]),
        (lambda a: LA.cholesky(a + 4 * np.eye(3)), hs),
        (lambda a: fd.grad(lambda m: fnp.sum(fnp.abs(LA.eigvals(m))))(a), stack),
        (lambda a: fd.grad(lambda m: LA.norm(m, 2))(a), stack),
    ]
    for f, xs in funs:
        batched = leaves(fd.vmap(f)(xs))
        jitted = leaves(fd.jit(fd.vmap(f))(xs))
        for i in range(len(xs)):
            for b, j, w in zip(batched, jitted, leaves(f(xs[i])), strict=True):
                np.testing.assert_allclose(b[i], w, rtol=1e-10, atol=1e-12)
                np.testing.assert_allclose(j[i], w, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------
# the same programs in JAX (64-bit): values and gradients
# ---------------------------------------------------------------------------


def _h(x: Any) -> Any:
    return x + x.conj().T


def _jax_eigvecs(a: Any) -> Any:
    import jax

    return jax.lax.linalg.eig(a, compute_left_eigenvectors=False, enable_eigvec_derivs=True)[1]


def _jax_pairs(jnp: Any) -> list[tuple[str, Fn, Fn, Callable[[], np.ndarray]]]:
    jla = jnp.linalg
    return [
        (
            "abs_det_sq",
            lambda a: fnp.abs(LA.det(a)) ** 2,
            lambda a: jnp.abs(jla.det(a)) ** 2,
            lambda: crandn(3, 3),
        ),
        (
            "inv",
            lambda a: fnp.sum(fnp.abs(LA.inv(a)) ** 2),
            lambda a: jnp.sum(jnp.abs(jla.inv(a)) ** 2),
            lambda: well(3, 3),
        ),
        (
            "solve",
            lambda a: fnp.real(fnp.sum(LA.solve(a, np.arange(3.0) + 0.5j) ** 2)),
            lambda a: jnp.real(jnp.sum(jla.solve(a, jnp.arange(3.0) + 0.5j) ** 2)),
            lambda: well(3, 3),
        ),
        (
            "slogdet",
            lambda a: LA.slogdet(a).logabsdet + fnp.imag(LA.slogdet(a).sign),
            lambda a: jla.slogdet(a)[1] + jnp.imag(jla.slogdet(a)[0]),
            lambda: crandn(3, 3),
        ),
        ("norm2", lambda a: LA.norm(a, 2), lambda a: jla.norm(a, 2), lambda: spread(3, 3)),
        ("nuc", lambda a: LA.norm(a, "nuc"), lambda a: jla.norm(a, "nuc"), lambda: spread(3, 2)),
        ("fro", lambda a: LA.norm(a), lambda a: jla.norm(a), lambda: crandn(3, 3)),
        (
            "eigvals",
            lambda a: fnp.sum(fnp.abs(LA.eigvals(a)) ** 2),
            lambda a: jnp.sum(jnp.abs(jla.eigvals(a)) ** 2),
            lambda: general(3),
        ),
        (
            "eigvals_real",
            lambda a: fnp.sum(fnp.real(LA.eigvals(a) ** 3)),
            lambda a: jnp.sum(jnp.real(jla.eigvals(a) ** 3)),
            lambda: RNG.normal(size=(3, 3)),
        ),
        (
            "eigvecs_invariant",
            lambda a: fnp.sum(fnp.abs(LA.eig(a).eigenvectors) ** 2 * np.arange(3.0)),
            lambda a: jnp.sum(jnp.abs(_jax_eigvecs(a)) ** 2 * jnp.arange(3.0)),
            lambda: general(3),
        ),
        # (Hermitian matrices built inside: numpy and funcdiff read one triangle,
        # jax.numpy symmetrizes, so the gradients agree on functions of X + X^H)
        (
            "eigh",
            lambda x: (
                fnp.sum(LA.eigvalsh(_h(x)) ** 3)
                + fnp.sum(fnp.abs(LA.eigh(_h(x)).eigenvectors) ** 4)
            ),
            lambda x: jnp.sum(jla.eigvalsh(_h(x)) ** 3) + jnp.sum(jnp.abs(jla.eigh(_h(x))[1]) ** 4),
            lambda: herm(3),
        ),
        (
            "svd",
            lambda a: (
                fnp.sum(fnp.abs(LA.svd(a, full_matrices=False).U) ** 3)
                + fnp.sum(LA.svdvals(a) ** 3)
            ),
            lambda a: (
                jnp.sum(jnp.abs(jla.svd(a, full_matrices=False)[0]) ** 3)
                + jnp.sum(jla.svd(a, compute_uv=False) ** 3)
            ),
            lambda: spread(4, 3),
        ),
        (
            "qr",
            lambda a: (
                fnp.real(fnp.sum(LA.qr(a).Q * (1 + 2j)))
                + fnp.sum(fnp.abs(LA.qr(a).R) ** 2 * np.arange(3.0))
            ),
            lambda a: (
                jnp.real(jnp.sum(jla.qr(a)[0] * (1 + 2j)))
                + jnp.sum(jnp.abs(jla.qr(a)[1]) ** 2 * jnp.arange(3.0))
            ),
            lambda: crandn(4, 3),
        ),
        (
            "cholesky",
            lambda x: fnp.real(fnp.sum(LA.cholesky(_h(x)) * (2 - 1j))),
            lambda x: jnp.real(jnp.sum(jla.cholesky(_h(x)) * (2 - 1j))),
            lambda: hpd(3),
        ),
        (
            "pinv",
            lambda a: fnp.sum(fnp.abs(LA.pinv(a)) ** 2),
            lambda a: jnp.sum(jnp.abs(jla.pinv(a)) ** 2),
            lambda: crandn(3, 2),
        ),
    ]


def test_values_and_gradients_equal_jax() -> None:
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    from funcdiff.backends.jax import x64

    with x64():
        for name, f, jf, make in _jax_pairs(jnp):
            a = make()
            np.testing.assert_allclose(f(a), jf(jnp.asarray(a)), rtol=1e-10, err_msg=name)
            g = fd.grad(f)(a)
            np.testing.assert_allclose(
                g, jax.grad(jf)(jnp.asarray(a)), rtol=1e-8, atol=1e-10, err_msg=name
            )
        # holomorphic: det and eigvals
        a = general(3)
        np.testing.assert_allclose(
            fd.grad(LA.det, holomorphic=True)(a),
            jax.grad(jnp.linalg.det, holomorphic=True)(jnp.asarray(a)),
            rtol=1e-10,
        )
        jw = fd.jacrev(lambda m: fnp.sort_complex(LA.eigvals(m)), holomorphic=True)(a)
        jw_jax = jax.jacrev(lambda m: jnp.sort_complex(jnp.linalg.eigvals(m)), holomorphic=True)(
            jnp.asarray(a)
        )
        np.testing.assert_allclose(jw, jw_jax, rtol=1e-8, atol=1e-10)


def test_jax_backend_runs_complex_linalg() -> None:
    pytest.importorskip("jax")
    a, h, x = general(3), herm(3), spread(4, 3)

    def f(a: Any, h: Any, x: Any) -> Any:
        w, v = LA.eig(a)
        wh, vh = LA.eigh(h)
        u, s, vt = LA.svd(x, full_matrices=False)
        q, r = LA.qr(x)
        return w, v, wh, vh, u, s, vt, q, r, LA.inv(a), LA.det(a), LA.cholesky(h + 3 * np.eye(3))

    eager = leaves(f(a, h, x))
    lowered = leaves(fd.jit(f, backend="jax")(a, h, x))
    for e, lo in zip(eager, lowered, strict=True):
        assert e.dtype == lo.dtype
        np.testing.assert_allclose(lo, e, rtol=1e-9, atol=1e-11)

    def loss(a: Any, h: Any, x: Any) -> Any:
        outs = f(a, h, x)
        return sum(fnp.sum(fnp.abs(o) ** 2) for o in outs[:2] + outs[4:5] + outs[9:])

    g = fd.grad(loss, argnums=(0, 1, 2))(a, h, x)
    g_jax = fd.jit(fd.grad(loss, argnums=(0, 1, 2)), backend="jax")(a, h, x)
    for e, lo in zip(g, g_jax, strict=True):
        np.testing.assert_allclose(lo, e, rtol=1e-8, atol=1e-10)


# ---------------------------------------------------------------------------
# Taylor mode along a complex direction
# ---------------------------------------------------------------------------


_TAYLOR: list[tuple[str, Fn, Callable[[], np.ndarray]]] = [
    ("solve", lambda a: LA.solve(a, np.arange(3.0) + 1j), lambda: well(3, 3)),
    ("triangular", lambda a: la.triangular_solve(a, np.ones((3, 2), complex)), lambda: well(3, 3)),
    ("det", LA.det, lambda: crandn(3, 3)),
    ("slogdet", lambda a: LA.slogdet(a).sign * LA.slogdet(a).logabsdet, lambda: crandn(3, 3)),
    ("cholesky", LA.cholesky, lambda: hpd(3)),
    ("eigh_w", LA.eigvalsh, lambda: herm(3)),
    ("eigh_v", lambda a: LA.eigh(a).eigenvectors, lambda: herm(3)),
    ("eig_w", LA.eigvals, lambda: general(3)),
    ("eig_v", lambda a: LA.eig(a).eigenvectors, lambda: general(3)),
    ("svd_s", LA.svdvals, lambda: spread(3, 3)),
    ("svd_u", lambda a: LA.svd(a).U, lambda: spread(3, 3)),
    ("qr_r", lambda a: LA.qr(a).R, lambda: crandn(3, 3)),
    ("pinv", LA.pinv, lambda: crandn(3, 2)),
]


@pytest.mark.parametrize("name", [n for n, _, _ in _TAYLOR])
def test_taylor_against_nested_jvp(name: str) -> None:
    _, f, make = next(c for c in _TAYLOR if c[0] == name)
    a = make()
    e = 0.3 * crandn(*a.shape)
    if name in ("cholesky", "eigh_w", "eigh_v"):
        e = e + e.conj().T  # stay Hermitian (only one triangle is read anyway)

    def d1(x: Any) -> Any:
        return fd.jvp(f, (x,), (e,))[1]

    def d2(x: Any) -> Any:
        return fd.jvp(d1, (x,), (e,))[1]

    def d3(x: Any) -> Any:
        return fd.jvp(d2, (x,), (e,))[1]

    coeffs = fd.taylor(f, order=3)(a, e)
    for k, (got, want) in enumerate(zip(coeffs, [f(a), d1(a), d2(a) / 2, d3(a) / 6], strict=True)):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10, err_msg=f"{name} order {k}")


def test_sparsity_of_complex_intermediates() -> None:
    """Dense per matrix, not across the stack (jacobian_sparsity takes real
    inputs; the complex matrices are intermediates)."""
    x = np.ones((2, 3, 3))
    block = np.kron(np.eye(2, dtype=bool), np.ones((9, 9), dtype=bool))
    funs: list[Fn] = [
        lambda a: fnp.real(LA.eig(a).eigenvectors),
        lambda a: fnp.abs(LA.inv(a * (1 + 1j))),
        lambda a: fnp.imag(LA.svd(a * 1j).U),
        lambda a: fnp.real(LA.qr(a * (1 - 1j)).R),
        lambda a: fnp.abs(LA.eigh(a * (1 + 1j)).eigenvectors),
    ]
    for f in funs:
        pattern = fd.jacobian_sparsity(f)(x)
        dense = pattern.todense() if hasattr(pattern, "todense") else pattern
        np.testing.assert_array_equal(np.asarray(dense, dtype=bool), block)

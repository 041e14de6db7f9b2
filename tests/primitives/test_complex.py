"""Complex numbers follow JAX's conventions (docs/complex.md).

References are independent of funcdiff: closed forms, central finite
differences along real and imaginary directions, and the identity between
forward and reverse mode under the real pairing <a, b> = Re(sum(a * b)).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.core.primitive import REGISTRY, load_families
from funcdiff.core.trace import bind
from funcdiff.errors import DTypeError, FuncdiffError
from funcdiff.primitives import elementwise as ew

# every family registers its primitives when imported (the sweep below sees all)
load_families()  # every family registers its primitives

RNG = np.random.default_rng(7)
Fn = Callable[..., Any]


def crandn(*shape: int) -> np.ndarray:
    return RNG.normal(size=shape) + 1j * RNG.normal(size=shape)


def num_dir(f: Fn, z: Any, t: Any, h: float = 1e-6) -> Any:
    """Central difference of f at z along t (any dtype)."""
    with np.errstate(all="ignore"):
        return (np.asarray(f(z + h * t)) - np.asarray(f(z - h * t))) / (2 * h)


def num_grad_real_valued(f: Fn, z: np.ndarray) -> np.ndarray:
    """JAX's gradient of a real-valued f of complex z: df/dx - i df/dy."""
    z = np.asarray(z, dtype=complex)
    g = np.zeros(z.shape, complex)
    for k in np.ndindex(z.shape):
        e = np.zeros(z.shape)
        e[k] = 1.0
        g[k] = num_dir(f, z, e) - 1j * num_dir(f, z, 1j * e)
    return g


def pair(a: Any, b: Any) -> float:
    return float(np.real(np.sum(np.asarray(a) * np.asarray(b))))


# ---------------------------------------------------------------------------
# the cases from the issue
# ---------------------------------------------------------------------------


def test_real_function_through_complex_intermediates() -> None:
    # |exp(ix) x| = |x|
    assert float(fd.grad(lambda x: fnp.abs(fnp.exp(1j * x) * x))(0.7)) == pytest.approx(1.0)
    assert float(fd.grad(lambda x: fnp.abs(x * (1 + 1j)))(0.7)) == pytest.approx(math.sqrt(2))
    g = fd.grad(lambda x: fnp.real(fnp.exp(1j * x)))(0.7)  # cos x
    assert g.dtype == np.float64 and float(g) == pytest.approx(-math.sin(0.7), rel=1e-14)
    h = fd.hessian(lambda x: fnp.real(fnp.exp(1j * x)))(0.7)
    assert float(h) == pytest.approx(-math.cos(0.7), rel=1e-14)
    h = fd.hessian(lambda x: fnp.abs(fnp.exp(1j * x) * x) ** 2)(0.7)
    assert float(h) == pytest.approx(2.0, rel=1e-14)
    # a cotangent reaching a real input is real (the real part of the complex one)
    g = fd.grad(lambda x: fnp.real(x.astype(complex) * (2 + 3j)))(1.0)
    assert g.dtype == np.float64 and float(g) == 2.0
    g = fd.grad(lambda x: fnp.sum(fnp.imag(x * (2 + 3j))))(np.array([1.0, -1.0]))
    np.testing.assert_array_equal(g, [3.0, 3.0])


def test_abs_of_complex_is_real_in_the_jaxpr_and_its_jvp() -> None:
    text = str(fd.make_jaxpr(fnp.abs)(np.ones(2, complex)))
    assert "b:f64[2] = abs a" in text
    assert "f32[2] = abs" in str(fd.make_jaxpr(fnp.abs)(np.ones(2, np.complex64)))
    y, t = fd.jvp(fnp.abs, (3 + 4j,), (1 + 0j,))
    assert np.asarray(t).dtype == np.float64
    assert (float(y), float(t)) == pytest.approx((5.0, 0.6))
    _, t = fd.jvp(fnp.abs, (3 + 4j,), (1j,))
    assert float(t) == pytest.approx(0.8)
    assert fnp.abs(np.complex64(3 + 4j)).dtype == np.float32


def test_grad_of_complex_output_raises_unless_holomorphic() -> None:
    with pytest.raises(DTypeError, match="grad requires real-valued outputs.*holomorphic=True"):
        fd.grad(lambda x: x * (1 + 1j))(0.7)
    with pytest.raises(DTypeError, match="holomorphic=True requires inputs with a complex"):
        fd.grad(fnp.sin, holomorphic=True)(1.0)
    with pytest.raises(DTypeError, match="holomorphic=True requires outputs with a complex"):
        fd.grad(fnp.abs, holomorphic=True)(1j)
    with pytest.raises(DTypeError, match="jacrev requires real-valued outputs"):
        fd.jacrev(lambda x: x * 1j)(np.ones(2))
    with pytest.raises(DTypeError, match="jacfwd requires real-valued inputs"):
        fd.jacfwd(lambda z: z * z)(np.ones(2, complex))
    with pytest.raises(DTypeError, match="jacfwd requires real-valued inputs"):
        fd.hessian(lambda z: fnp.abs(z) ** 2)(1j)
    # forward mode from real inputs to complex outputs is fine
    np.testing.assert_array_equal(fd.jacfwd(lambda x: x * 1j)(np.ones(2)), 1j * np.eye(2))


# ---------------------------------------------------------------------------
# C -> R: grad is the conjugate of the steepest-ascent direction
# ---------------------------------------------------------------------------

_REAL_VALUED: list[tuple[str, Fn]] = [
    ("abs2", lambda z: fnp.abs(z) ** 2),
    ("abs", fnp.abs),
    ("real", fnp.real),
    ("imag", fnp.imag),
    ("angle", fnp.angle),
    ("re_sin", lambda z: fnp.real(fnp.sin(z))),
    ("im_log", lambda z: fnp.imag(fnp.log(z))),
    ("abs_conj_prod", lambda z: fnp.abs(fnp.conj(z) * fnp.exp(z))),
    ("sum_abs", lambda z: fnp.sum(fnp.abs(z * z))),
    ("norm", fnp.linalg.norm),
    ("vdot", lambda z: fnp.real(fnp.vdot(z, z * (1 + 2j)))),
    ("sign_re", lambda z: fnp.real(fnp.sign(z))),
]


def test_grad_of_abs_squared_is_twice_the_conjugate() -> None:
    assert complex(fd.grad(lambda z: fnp.abs(z) ** 2)(3 + 4j)) == pytest.approx(6 - 8j)
    assert complex(fd.grad(fnp.real)(1 + 1j)) == 1
    assert complex(fd.grad(fnp.imag)(1 + 1j)) == -1j
    assert complex(fd.grad(fnp.angle)(1 + 1j)) == pytest.approx(-0.5 - 0.5j)


@pytest.mark.parametrize("name", [n for n, _ in _REAL_VALUED])
def test_grad_of_real_valued_against_finite_differences(name: str) -> None:
    f = dict(_REAL_VALUED)[name]
    z = np.array([0.6 + 0.8j, -1.3 + 0.4j, 0.2 - 1.1j])
    want = num_grad_real_valued(lambda v: fnp.sum(f(v)), z)
    got = fd.grad(lambda v: fnp.sum(f(v)))(z)
    assert got.dtype == np.complex128
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(fd.jit(fd.grad(lambda v: fnp.sum(f(v))))(z), got, rtol=1e-14)
    # jacrev of a real-valued vector function: rows are gradients of components
    z2 = z[:2]
    if name not in ("norm", "vdot", "sum_abs"):
        jac = fd.jacrev(f)(z2)
        for i in range(2):
            want_i = num_grad_real_valued(lambda v, i=i: np.asarray(f(v))[i], z2)
            np.testing.assert_allclose(jac[i], want_i, rtol=1e-7, atol=1e-8)


# ---------------------------------------------------------------------------
# JVP and VJP of any complex function: finite differences and the pairing
# ---------------------------------------------------------------------------

_COMPLEX_FUNS: list[tuple[str, Fn]] = [
    ("conj", fnp.conj),
    ("abs", fnp.abs),
    ("real", fnp.real),
    ("imag", fnp.imag),
    ("angle", fnp.angle),
    ("sign", fnp.sign),
    ("z_conjz", lambda z: z * fnp.conj(z)),
    ("mixed", lambda z: fnp.exp(fnp.conj(z)) * fnp.abs(z) + fnp.real(z) * 1j),
    ("holo", lambda z: fnp.sin(z) / (z + 2.0) + z**3 + fnp.sqrt(z)),
    ("sinc", fnp.sinc),
    ("matmul", lambda z: fnp.reshape(z[:2], (1, 2)) @ fnp.conj(fnp.reshape(z[1:], (2, 1)))),
    ("cumsum_abs", lambda z: fnp.cumsum(fnp.abs(z) * z)),
    ("where", lambda z: fnp.where(fnp.real(z) > 0, z * z, fnp.conj(z))),
    ("max", lambda z: fnp.maximum(z, fnp.conj(z) * 0.5)),
]


@pytest.mark.parametrize("name", [n for n, _ in _COMPLEX_FUNS])
def test_jvp_and_vjp_of_complex_functions(name: str) -> None:
    f = dict(_COMPLEX_FUNS)[name]
    z = np.array([0.6 + 0.8j, -1.3 + 0.4j, 0.2 - 1.1j])
    for t in (crandn(3), np.ones(3, complex), 1j * np.ones(3)):
        _, ty = fd.jvp(f, (z,), (t,))
        np.testing.assert_allclose(ty, num_dir(f, z, t), rtol=1e-7, atol=1e-8)
        _, ty_jit = fd.jit(lambda a, b: fd.jvp(f, (a,), (b,)))(z, t)
        np.testing.assert_allclose(ty_jit, ty, rtol=1e-14)
        out, pull = fd.vjp(f, z)
        ct = crandn(*np.shape(out)) if np.iscomplexobj(out) else RNG.normal(size=np.shape(out))
        (g,) = pull(ct)
        assert g.dtype == np.complex128
        assert pair(ct, ty) == pytest.approx(pair(g, t), rel=1e-10, abs=1e-12)


def test_holomorphic_derivatives() -> None:
    funs: list[tuple[Fn, Fn]] = [
        (fnp.sin, np.cos),
        (fnp.exp, np.exp),
        (fnp.log, lambda z: 1 / z),
        (fnp.sqrt, lambda z: 0.5 / np.sqrt(z)),
        (lambda z: z**3, lambda z: 3 * z**2),
        (lambda z: z**-2, lambda z: -2 * z**-3),
        (lambda z: z**2.5, lambda z: 2.5 * z**1.5),
        (lambda z: 1 / (1 + z * z), lambda z: -2 * z / (1 + z * z) ** 2),
        (fnp.tanh, lambda z: 1 / np.cosh(z) ** 2),
    ]
    for z in (0.3 + 0.4j, -0.7 + 0.5j, 1.3 - 0.8j, -1.2 - 0.6j):
        for f, df in funs:
            got = fd.grad(f, holomorphic=True)(z)
            assert np.asarray(got).dtype == np.complex128
            assert complex(got) == pytest.approx(complex(df(z)), rel=1e-12)
            # forward mode, in both directions of the plane (Cauchy-Riemann)
            for t in (1.0 + 0j, 1j, 0.6 - 0.8j):
                _, ty = fd.jvp(f, (z,), (t,))
                assert complex(ty) == pytest.approx(complex(df(z) * t), rel=1e-12)
    # second derivative, and jacobians
    z = 0.4 + 0.9j
    g2 = fd.grad(fd.grad(fnp.sin, holomorphic=True), holomorphic=True)(z)
    assert complex(g2) == pytest.approx(-np.sin(z), rel=1e-13)
    zs = np.array([1 + 1j, 2j, -0.5 + 0.1j])
    for jac in (fd.jacfwd, fd.jacrev, fd.jacobian):
        got = jac(lambda v: v**3 + fnp.exp(v), holomorphic=True)(zs)
        np.testing.assert_allclose(got, np.diag(3 * zs**2 + np.exp(zs)), rtol=1e-13)
    h = fd.hessian(lambda v: fnp.sum(v**3), holomorphic=True)(zs)
    np.testing.assert_allclose(h, np.diag(6 * zs), rtol=1e-13)
    v, g = fd.value_and_grad(fnp.exp, holomorphic=True)(z)
    assert complex(v) == pytest.approx(np.exp(z)) and complex(g) == pytest.approx(np.exp(z))


_HOLO_PRIMS: list[tuple[str, Fn]] = [
    ("exp", fnp.exp),
    ("log", fnp.log),
    ("log1p", fnp.log1p),
    ("expm1", fnp.expm1),
    ("sqrt", fnp.sqrt),
    ("sin", fnp.sin),
    ("cos", fnp.cos),
    ("tan", fnp.tan),
    ("arcsin", fnp.arcsin),
    ("arccos", fnp.arccos),
    ("arctan", fnp.arctan),
    ("sinh", fnp.sinh),
    ("cosh", fnp.cosh),
    ("tanh", fnp.tanh),
    ("arcsinh", fnp.arcsinh),
    ("arccosh", fnp.arccosh),
    ("arctanh", fnp.arctanh),
    ("reciprocal", fnp.reciprocal),
    ("sigmoid", lambda z: 1 / (1 + fnp.exp(-z))),
    ("logistic", lambda z: bind(ew.logistic_p, z)),
]


@pytest.mark.parametrize("name", [n for n, _ in _HOLO_PRIMS])
def test_holomorphic_primitives_match_numpy_branches(name: str) -> None:
    """f'(z) from grad(holomorphic=True) equals the finite difference of
    numpy's own function along 1 and along i (all four quadrants, off the
    branch cuts), and its second derivative too."""
    f = dict(_HOLO_PRIMS)[name]
    for z in (0.3 + 0.4j, -0.7 + 0.5j, -1.3 - 0.8j, 1.2 - 0.6j, 2.5 + 0.2j, -2.5 - 0.2j):
        d = complex(fd.grad(f, holomorphic=True)(z))
        assert d == pytest.approx(complex(num_dir(f, z, 1.0)), rel=1e-7), z
        assert d == pytest.approx(complex(num_dir(f, z, 1j)) / 1j, rel=1e-7), z
        d2 = complex(fd.grad(fd.grad(f, holomorphic=True), holomorphic=True)(z))
        fp = lambda w: fd.grad(f, holomorphic=True)(w)  # noqa: E731
        assert d2 == pytest.approx(complex(num_dir(fp, z, 1.0)), rel=1e-6, abs=1e-8), z


def test_complex64_keeps_its_precision() -> None:
    z = np.complex64(3 + 4j)
    g = fd.grad(lambda v: fnp.abs(v) ** 2)(z)
    assert g.dtype == np.complex64 and complex(g) == pytest.approx(6 - 8j, rel=1e-6)
    g = fd.grad(fnp.exp, holomorphic=True)(np.complex64(0.5j))
    assert g.dtype == np.complex64
    assert fnp.real(np.complex64(1j)).dtype == np.float32


# ---------------------------------------------------------------------------
# abs at 0 (the tip of a cone, like linalg.norm), sign, angle
# ---------------------------------------------------------------------------


def test_complex_abs_at_zero_convention() -> None:
    assert complex(fd.grad(fnp.abs)(0j)) == 0
    # as a function of the real pair (x, y): curvature NaN at the tip
    h = fd.hessian(lambda v: fnp.abs(v[0] + 1j * v[1]))(np.zeros(2))
    assert np.all(np.isnan(h))
    h = fd.hessian(lambda v: fnp.abs(v[0] + 1j * v[1]) ** 2)(np.array([0.3, -0.4]))
    np.testing.assert_allclose(h, 2 * np.eye(2), rtol=1e-14)
    v = np.array([0.3, -0.4])
    r = np.hypot(*v)
    h = fd.hessian(lambda w: fnp.abs(w[0] + 1j * w[1]))(v)
    np.testing.assert_allclose(h, (np.eye(2) - np.outer(v, v) / r**2) / r, rtol=1e-13)
    assert complex(fnp.sign(0j)) == 0
    assert complex(fd.grad(lambda z: fnp.abs(fnp.sign(z)))(1 + 1j)) == pytest.approx(0, abs=1e-15)


def test_angle_real_input_and_degrees() -> None:
    np.testing.assert_array_equal(fnp.angle(np.array([-2.0, 3.0])), np.angle([-2.0, 3.0]))
    assert float(fd.grad(fnp.angle)(-2.0)) == 0.0
    assert float(fnp.angle(1j, deg=True)) == pytest.approx(90.0)
    assert np.isnan(complex(fd.grad(fnp.angle)(0j)))


def test_numpy_level_values_match_numpy() -> None:
    z = crandn(2, 3)
    for fn, ref in ((fnp.real, np.real), (fnp.imag, np.imag), (fnp.conj, np.conj)):
        out = fn(z)
        np.testing.assert_array_equal(out, ref(z))
        assert not np.shares_memory(out, z)
    x = RNG.normal(size=3)
    np.testing.assert_array_equal(fnp.imag(x), np.zeros(3))
    np.testing.assert_array_equal(fnp.conj(x), x)
    np.testing.assert_allclose(fnp.angle(z), np.angle(z), rtol=1e-15)
    np.testing.assert_allclose(fnp.sign(z), z / np.abs(z), rtol=1e-15)
    np.testing.assert_allclose(fnp.linalg.norm(z), np.linalg.norm(z), rtol=1e-15)
    for o in (1, -1, np.inf, "fro"):
        np.testing.assert_allclose(fnp.linalg.norm(z, o), np.linalg.norm(z, o), rtol=1e-15)
    assert fnp.iscomplexobj(z) and not fnp.iscomplexobj(x)
    np.testing.assert_allclose(fnp.sinc(z), np.sinc(z), rtol=1e-14)


# ---------------------------------------------------------------------------
# jit, vmap
# ---------------------------------------------------------------------------


def test_jit_and_vmap_agree_with_eager() -> None:
    z = crandn(4)

    def f(v: Any) -> Any:
        return fnp.abs(v) * fnp.real(v) + fnp.imag(fnp.conj(v) * v * 1j) + fnp.angle(v)

    eager = f(z)
    jitted = fd.jit(f)(z)
    assert jitted.dtype == eager.dtype == np.float64
    np.testing.assert_allclose(jitted, eager, rtol=1e-15)
    np.testing.assert_allclose(fd.vmap(f)(z), eager, rtol=1e-15)
    g = fd.grad(lambda v: fnp.sum(f(v)))
    np.testing.assert_allclose(fd.jit(g)(z), g(z), rtol=1e-14)
    np.testing.assert_allclose(fd.vmap(fd.grad(f))(z), g(z), rtol=1e-14)
    for _ in range(3):  # the cached compiled backward pass gives the same
        np.testing.assert_allclose(g(z), num_grad_real_valued(lambda v: np.sum(f(v)), z), 1e-7)


# ---------------------------------------------------------------------------
# every primitive on complex operands: right, or a clear error naming it
# ---------------------------------------------------------------------------


def _complexify(args: tuple[Any, ...]) -> tuple[list[Any], list[int]]:
    out = list(args)
    pos = []
    for i, a in enumerate(args):
        a = np.asarray(a)
        if a.dtype == np.float64:
            out[i] = a + 0.3j * RNG.normal(size=a.shape)
            pos.append(i)
    return out, pos


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_primitive_on_complex_operands(name: str) -> None:
    prim = REGISTRY[name]
    if name == "convert_element_type":
        return  # test_convert_element_type_real_complex below
    for args, params in prim.samples(RNG)[:2]:
        cargs, pos = _complexify(args)
        if not pos:
            continue

        def f(
            *zs: Any, cargs: list[Any] = cargs, pos: list[int] = pos, params: Any = params
        ) -> Any:
            full = list(cargs)
            for i, z in zip(pos, zs, strict=True):
                full[i] = z
            out = bind(prim, *full, **params)
            return tuple(out) if prim.multiple_results else out

        zs = tuple(cargs[i] for i in pos)
        try:
            fd.make_jaxpr(f)(*zs)
        except (FuncdiffError, NotImplementedError) as err:
            assert name in str(err), f"{name}: the error does not name the primitive: {err}"
            return
        with np.errstate(all="ignore"):
            out = f(*zs)
        outs = out if isinstance(out, tuple) else (out,)
        if prim.zero_derivative or any(np.asarray(o).dtype.kind not in "fc" for o in outs):
            continue
        ts = tuple(crandn(*np.shape(z)) for z in zs)
        _, tout = fd.jvp(f, zs, ts)
        touts = tout if isinstance(tout, tuple) else (tout,)
        h = 1e-6
        with np.errstate(all="ignore"):
            plus = f(*[z + h * t for z, t in zip(zs, ts, strict=True)])
            minus = f(*[z - h * t for z, t in zip(zs, ts, strict=True)])
        plus = plus if isinstance(plus, tuple) else (plus,)
        minus = minus if isinstance(minus, tuple) else (minus,)
        for p, m, t in zip(plus, minus, touts, strict=True):
            num = (np.asarray(p) - np.asarray(m)) / (2 * h)
            np.testing.assert_allclose(t, num, rtol=1e-6, atol=1e-7, err_msg=name)
        _, pull = fd.vjp(f, *zs)
        cts = tuple(
            crandn(*np.shape(o)) if np.iscomplexobj(o) else RNG.normal(size=np.shape(o))
            for o in outs
        )
        gs = pull(cts if isinstance(out, tuple) else cts[0])
        lhs = sum(pair(c, t) for c, t in zip(cts, touts, strict=True))
        rhs = sum(pair(g, t) for g, t in zip(gs, ts, strict=True))
        assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-10), name


@pytest.mark.parametrize("name", ["real", "imag", "conj"])
def test_complex_primitives_rules(name: str) -> None:
    prim = REGISTRY[name]
    for args, params in prim.samples(RNG):
        args = tuple(np.asarray(a, np.result_type(np.asarray(a).dtype, np.float64)) for a in args)

        def f(*xs: Any, params: Any = params) -> Any:
            return bind(prim, *xs, **params)

        ts = tuple(
            crandn(*np.shape(a)) if np.iscomplexobj(a) else RNG.normal(size=np.shape(a))
            for a in args
        )
        out, tout = fd.jvp(f, args, ts)
        assert np.asarray(out).dtype == fd.make_jaxpr(f)(*args).jaxpr.outvars[0].aval.dtype
        num = (np.asarray(f(*[a + 1e-6 * t for a, t in zip(args, ts, strict=True)])) - out) / 1e-6
        np.testing.assert_allclose(tout, num, rtol=1e-5, atol=1e-6)
        _, pull = fd.vjp(f, *args)
        ct = crandn(*np.shape(out)) if np.iscomplexobj(out) else RNG.normal(size=np.shape(out))
        gs = pull(ct)
        for g, a in zip(gs, args, strict=True):
            assert np.asarray(g).dtype == np.asarray(a).dtype
        rhs = sum(pair(g, t) for g, t in zip(gs, ts, strict=True))
        assert pair(ct, tout) == pytest.approx(rhs, rel=1e-12, abs=1e-12)
        batched = fd.vmap(f)(*[np.stack([a, 2 * a]) for a in args])
        np.testing.assert_array_equal(batched[1], f(*[2 * a for a in args]))


def test_convert_element_type_real_complex() -> None:
    x = RNG.normal(size=3)
    _, t = fd.jvp(lambda v: v.astype(complex), (x,), (np.ones(3),))
    assert t.dtype == np.complex128
    _, pull = fd.vjp(lambda v: v.astype(complex), x)
    (g,) = pull(np.array([1 + 2j, 3j, -1.0]))
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, [1.0, 0.0, -1.0])  # the real part
    z = crandn(3)
    with np.errstate(all="ignore"), pytest.warns(getattr(np, "exceptions", np).ComplexWarning):
        _, t = fd.jvp(lambda v: v.astype(np.float64), (z,), (1j * np.ones(3),))
    np.testing.assert_array_equal(t, np.zeros(3))  # numpy keeps the real part


def test_refused_with_clear_errors() -> None:
    z = np.array([1 + 1j, 2 - 1j])
    cases: list[tuple[Fn, str]] = [
        (fnp.cbrt, "cbrt"),
        (fnp.floor, "floor"),
        (lambda v: fnp.arctan2(v, v), "atan2"),
        (lambda v: fnp.hypot(v, v), "hypot"),
        (lambda v: fnp.logaddexp(v, v), "logaddexp"),
        (lambda v: fnp.remainder(v, v), "rem"),
        (lambda v: fnp.max(v), "reduce_max"),
    ]
    for f, name in cases:
        with pytest.raises((DTypeError, NotImplementedError), match=name):
            fd.make_jaxpr(lambda v, f=f: fnp.sum(fnp.abs(f(v))))(z)
    # linear algebra takes complex matrices now (tests/primitives/test_complex_linalg.py)
    m = np.array([[1 + 1j, 2 - 1j], [0.5j, 3.0 + 0j]])
    np.testing.assert_allclose(fnp.linalg.inv(m), np.linalg.inv(m), rtol=1e-14)
    assert float(fnp.linalg.norm(m, 2)) == pytest.approx(np.linalg.norm(m, 2), rel=1e-14)
    # float16 stays refused in linalg (as in numpy)
    with pytest.raises(DTypeError, match="inv: float16"):
        fnp.linalg.inv(np.eye(2, dtype=np.float16))
    with pytest.raises(DTypeError, match="sign"):
        fd.make_jaxpr(lambda v: bind(ew.sign_p, v))(z)
    with pytest.raises(DTypeError, match="mul: operands have different dtypes"):
        fd.make_jaxpr(lambda v: ew.mul(v, 1j))(np.ones(2))

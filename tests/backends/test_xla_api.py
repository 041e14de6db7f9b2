"""The XLA backend's user API: ``jit(backend="jax")``, ``to_jax`` and
``export`` against the numpy backend, composed with funcdiff's transforms
and with JAX's, on pytrees and static arguments."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.lax as flax
import funcdiff.numpy as fnp

jax = pytest.importorskip("jax")

from funcdiff.backends.jax import JaxMissingError, LoweringError, x64  # noqa: E402

RNG = np.random.default_rng(0)


def rosen(x: Any) -> Any:
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def loop(x: Any) -> Any:
    def body(i: Any, c: Any) -> Any:
        return c + fnp.sin(c * x) / (1.0 + i)

    return fnp.sum(flax.fori_loop(0, 5, body, x))


def close(a: Any, b: Any, tol: float = 1e-12) -> None:
    if isinstance(b, tuple):
        for u, v in zip(a, b, strict=True):
            close(u, v, tol)
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol * max(1.0, float(np.max(np.abs(b)))))


TRANSFORMS = {
    "grad": lambda f: fd.grad(f),
    "hessian": lambda f: fd.hessian(f),
    "hvp": lambda f: lambda x: fd.hvp(f, x, fnp.ones_like(x)),
    "jacfwd(grad)": lambda f: fd.jacfwd(fd.grad(f)),
    "vmap(grad)": lambda f: lambda xs: fd.vmap(fd.grad(f))(xs),
    # the pieces of taylor2's quadratic model (taylor2 itself builds it eagerly)
    "taylor2 pieces": lambda f: lambda x: (f(x), fd.grad(f)(x), fd.hessian(f)(x)),
    "jet": lambda f: lambda x: fd.jet(f, (x,), ((x, x),))[1][1],
}


@pytest.mark.parametrize("fun", [rosen, loop], ids=["rosen", "fori_loop"])
@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_jax_backend_equals_numpy_backend(name: str, fun: Any) -> None:
    g = TRANSFORMS[name](fun)
    x = RNG.normal(size=(3, 4)) if name == "vmap(grad)" else RNG.normal(size=4)
    want = fd.jit(g)(x)
    got = fd.jit(g, backend="jax")(x)
    assert all(isinstance(o, jax.Array) for o in jax.tree_util.tree_leaves(got))
    close(got, want)


def test_dtypes_are_kept() -> None:
    f = fd.jit(fd.grad(rosen), backend="jax")
    assert f(np.ones(3)).dtype == np.float64
    assert f(np.ones(3, np.float32)).dtype == np.float32
    # and JAX's global mode is left as it was
    assert not jax.config.jax_enable_x64


def test_pytrees_static_args_and_jax_inputs() -> None:
    def loss(params: dict[str, Any], x: Any, n: int) -> Any:
        y = x
        for _ in range(n):  # Python control flow on a static argument
            y = fnp.tanh(params["w"] @ y + params["b"])
        return fnp.sum(y**2)

    params = {"w": RNG.normal(size=(3, 3)), "b": RNG.normal(size=3)}
    x = RNG.normal(size=3)
    g = fd.grad(loss)
    want = fd.jit(g, static_argnums=2)(params, x, 3)
    f = fd.jit(g, static_argnums=2, backend="jax")
    got = f(params, x, 3)
    assert set(got) == {"w", "b"}
    for k in got:
        close(got[k], want[k])
    with x64():  # JAX arrays in: no copy to the host, the same compiled program
        got2 = f(jax.tree_util.tree_map(jax.numpy.asarray, params), jax.numpy.asarray(x), 3)
    close(got2["w"], want["w"])
    assert f.trace_count == 1
    close(f(params, x, 2)["b"], fd.jit(g, static_argnums=2)(params, x, 2)["b"])
    assert f.trace_count == 2


def test_composes_under_funcdiff_transforms() -> None:
    # called with funcdiff tracers, it is evaluated on numpy like any jit
    f = fd.jit(rosen, backend="jax")
    x = RNG.normal(size=4)
    close(fd.grad(f)(x), fd.grad(rosen)(x))
    xs = RNG.normal(size=(2, 4))
    close(fd.vmap(f)(xs), np.array([rosen(x) for x in xs]))


def test_to_jax_inside_jax_transforms() -> None:
    g = fd.to_jax(fd.grad(rosen))
    xs = RNG.normal(size=(5, 4))
    want = np.stack([fd.grad(rosen)(x) for x in xs])
    with x64():
        close(jax.jit(jax.vmap(g))(xs), want)
        # JAX differentiates the lowered program too: the Hessian via jax.jacfwd
        close(jax.jacfwd(g)(xs[0]), fd.hessian(rosen)(xs[0]))


def test_export_runs_without_funcdiff(tmp_path: Any) -> None:
    blob = fd.export(fd.hessian(rosen), np.zeros(4))
    path = tmp_path / "hessian.bin"
    path.write_bytes(blob)
    x = RNG.normal(size=4)
    np.save(tmp_path / "x.npy", x)
    script = f"""
import sys, numpy as np, jax
from jax import export
with jax.enable_x64(True):
    h = export.deserialize(bytearray(open({str(path)!r}, "rb").read())).call(
        np.load({str(tmp_path / "x.npy")!r}))
np.save({str(tmp_path / "h.npy")!r}, np.asarray(h))
assert not any(m.startswith("funcdiff") for m in sys.modules), "funcdiff was imported"
"""
    subprocess.run([sys.executable, "-c", script], check=True, cwd=tmp_path)
    close(np.load(tmp_path / "h.npy"), fd.hessian(rosen)(x))


def test_lowering_error_names_the_failing_primitive() -> None:
    from funcdiff.core.primitive import REGISTRY

    prim = REGISTRY["cumsum"]
    saved = prim.lower_jax

    def broken(ctx: Any, x: Any, **params: Any) -> Any:
        raise RuntimeError("no such op")

    prim.lower_jax = broken
    try:
        with pytest.raises(LoweringError, match="primitive 'cumsum'.*no such op"):
            fd.jit(lambda x: fnp.cumsum(x), backend="jax")(np.ones(3))
    finally:
        prim.lower_jax = saved


def test_missing_jax_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jax", None)  # import jax raises ImportError
    import funcdiff.backends.jax as backend

    monkeypatch.setattr(backend, "_CONTEXT", [])
    with pytest.raises(JaxMissingError, match=r"pip install 'funcdiff\[jax\]'"):
        fd.jit(rosen, backend="jax")(np.ones(3))
    with pytest.raises(JaxMissingError):
        fd.to_jax(rosen)


def test_unknown_backend() -> None:
    with pytest.raises(ValueError, match="unknown backend 'torch'"):
        fd.jit(rosen, backend="torch")

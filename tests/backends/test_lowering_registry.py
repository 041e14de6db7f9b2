"""The XLA backend's registry sweep: every primitive has a ``lower_jax``
rule, and on each of its samples the lowered program (compiled by XLA, in
64-bit mode) gives what funcdiff's numpy evaluation gives: the value, and
the first derivative taken by funcdiff before lowering (a JVP on random
tangents, and a VJP for primitives with float outputs)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import funcdiff as fd
from funcdiff.core.primitive import REGISTRY, Primitive, load_families
from funcdiff.core.trace import bind
from funcdiff.tree import tree_leaves

jax = pytest.importorskip("jax")

from funcdiff.backends.jax import x64  # noqa: E402

load_families()
NAMES = sorted(REGISTRY)


def _samples(prim: Primitive) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    return prim.samples(np.random.default_rng(0))


def _is_diff(x: Any) -> bool:
    return np.asarray(x).dtype.kind in "fc"


def _function(
    prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]
) -> tuple[Any, list[int]]:
    pos = [i for i, a in enumerate(args) if _is_diff(a)]

    def f(*xs: Any) -> Any:
        full = list(args)
        for i, x in zip(pos, xs, strict=True):
            full[i] = x
        out = bind(prim, *full, **params)
        return tuple(out) if prim.multiple_results else out

    return f, pos


def _tol(leaves: list[Any]) -> float:
    single = any(np.asarray(x).dtype in (np.float32, np.complex64) for x in leaves)
    return 2e-4 if single else 1e-9


def _close(got: Any, want: Any, what: str, tol: float) -> None:
    g, w = tree_leaves(got), tree_leaves(want)
    assert len(g) == len(w), what
    for a, b in zip(g, w, strict=True):
        a = np.asarray(a)
        b = np.asarray(b)
        assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
        assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != {b.dtype}"
        if b.dtype.kind in "fc":
            scale = max(1.0, float(np.max(np.abs(b[np.isfinite(b)]), initial=0.0)))
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol * scale, err_msg=what)
        else:
            np.testing.assert_array_equal(a, b, err_msg=what)


def _direction(rng: np.random.Generator, x: Any) -> np.ndarray:
    t = rng.normal(size=np.shape(x))
    if np.iscomplexobj(x):
        t = t + 1j * rng.normal(size=np.shape(x))
    return np.asarray(t).astype(np.asarray(x).dtype)


def _direction(rng: np.random.Generator, x: Any) -> np.ndarray:
    t = rng.normal(size=np.shape(x))
    if np.iscomplexobj(x):
        t = t + 1j * rng.normal(size=np.shape(x))
    return np.asarray(t).astype(np.asarray(x).dtype)


@pytest.mark.parametrize("name", NAMES)
def test_has_lowering(name: str) -> None:
    assert REGISTRY[name].lower_jax is not None, (
        f"primitive '{name}' has no lower_jax rule: add one in its paragraph"
    )


@pytest.mark.parametrize("name", NAMES)
def test_lowering_matches_eval(name: str) -> None:
    prim = REGISTRY[name]
    for k, (args, params) in enumerate(_samples(prim)):
        f, pos = _function(prim, args, params)
        xs = tuple(args[i] for i in pos)
        tol = _tol(list(args))
        want = f(*xs)
        got = fd.jit(f, backend="jax")(*xs)
        _close(got, want, f"{name} sample {k}: value", tol)
        if not pos or prim.zero_derivative:
            continue
        rng = np.random.default_rng(k)
        ts = tuple(_direction(rng, x) for x in xs)

        def jvp(*xs: Any, f: Any = f, ts: Any = ts) -> Any:
            return fd.jvp(f, xs, ts)

        _close(fd.jit(jvp, backend="jax")(*xs), jvp(*xs), f"{name} sample {k}: jvp", tol)
        outs = tree_leaves(want)
        if name == "while" or not all(np.asarray(o).dtype.kind == "f" for o in outs):
            continue  # (reverse mode through while_loop needs concrete values: not jit)

        def vjp(*xs: Any, f: Any = f) -> Any:
            out, pullback = fd.vjp(f, *xs)
            ones = fd.numpy.ones_like
            return pullback(tuple(ones(o) for o in out) if isinstance(out, tuple) else ones(out))

        _close(fd.jit(vjp, backend="jax")(*xs), vjp(*xs), f"{name} sample {k}: vjp", tol)


def test_missing_lowering_names_the_primitive() -> None:
    from funcdiff.backends.jax import LoweringError

    prim = REGISTRY["sin"]
    saved = prim.lower_jax
    prim.lower_jax = None
    try:
        with pytest.raises(LoweringError, match="primitive 'sin' has no lowering"):
            fd.jit(lambda x: fd.numpy.sin(x) * 2.0, backend="jax")(np.ones(3))
    finally:
        prim.lower_jax = saved
    with x64():
        assert fd.to_jax(lambda x: fd.numpy.sin(x))(np.zeros(2)).dtype == np.float64

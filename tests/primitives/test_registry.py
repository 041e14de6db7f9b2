"""The registry sweep: every primitive, every rule, on its own samples.

For each primitive: all rules exist; abstract_eval agrees with the impl's
real output; JVP agrees with central finite differences; VJP agrees with JVP
through <u, J v> = <J^T u, v>; the same holds for the derivative maps
themselves (second order); the batch rule agrees with a Python loop.
A primitive missing a rule or samples fails here, by name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import funcdiff
import funcdiff.numpy
from funcdiff.checking import check_grads
from funcdiff.core.ir import aval_of
from funcdiff.core.primitive import REGISTRY, Primitive, load_families
from funcdiff.core.trace import bind

load_families()  # every family registers its primitives

NAMES = sorted(REGISTRY)


def _samples(prim: Primitive) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    return prim.samples(np.random.default_rng(0))


def _is_diff(x: Any) -> bool:
    return np.asarray(x).dtype.kind == "f"


def _outs(prim: Primitive, out: Any) -> list[Any]:
    return list(out) if prim.multiple_results else [out]


@pytest.mark.parametrize("name", NAMES)
def test_has_every_rule(name: str) -> None:
    prim = REGISTRY[name]
    missing = [k for k in ("jvp", "vjp", "batch") if getattr(prim, k) is None]
    assert not missing, f"primitive '{name}' lacks rules: {missing}"
    assert _samples(prim), f"primitive '{name}' has no samples for the sweep"


@pytest.mark.parametrize("name", NAMES)
def test_abstract_eval_matches_impl(name: str) -> None:
    prim = REGISTRY[name]
    for args, params in _samples(prim):
        out = _outs(prim, prim.impl(*args, **params))
        avals = _outs(prim, prim.abstract_eval(*[aval_of(a) for a in args], **params))
        assert len(out) == len(avals)
        for o, a in zip(out, avals, strict=True):
            assert np.shape(o) == a.shape, f"{name}{params}: impl {np.shape(o)} vs rule {a.shape}"
            assert np.result_type(o) == a.dtype, (
                f"{name}{params}: impl {np.result_type(o)} vs {a.dtype}"
            )


def _as_function(
    prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]
) -> tuple[Any, list[int]]:
    """A function of the float args only (other args fixed)."""
    pos = [i for i, a in enumerate(args) if _is_diff(a)]

    def f(*xs: Any) -> Any:
        full = list(args)
        for i, x in zip(pos, xs, strict=True):
            full[i] = x
        out = bind(prim, *full, **params)
        return tuple(out) if prim.multiple_results else out

    return f, pos


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_against_finite_differences(name: str) -> None:
    prim = REGISTRY[name]
    for args, params in _samples(prim):
        f, pos = _as_function(prim, args, params)
        if not pos:
            continue
        xs = tuple(args[i] for i in pos)
        if prim.zero_derivative:
            _, t = funcdiff.jvp(f, xs, tuple(np.ones_like(x) for x in xs))
            for leaf in funcdiff.tree.tree_leaves(t):
                assert not np.any(np.asarray(leaf)), f"{name}: zero-derivative rule gave {leaf}"
            continue
        if not all(_is_diff(o) for o in _outs(prim, prim.impl(*args, **params))):
            continue
        check_grads(f, xs, order=2, modes=("fwd", "rev"))


def _batched(x: Any, k: int, axis: int) -> np.ndarray:
    """``k`` distinct copies of ``x`` stacked along ``axis`` (ints/bools repeated)."""
    x = np.asarray(x)
    copies = [x * (1.0 + 0.05 * i) if x.dtype.kind == "f" else x for i in range(k)]
    return np.stack(copies, axis=axis)


@pytest.mark.parametrize("name", NAMES)
def test_batch_rule_matches_loop(name: str) -> None:
    prim = REGISTRY[name]
    k = 3
    for args, params in _samples(prim):
        n = len(args)
        # every argument batched, each argument alone, and the last axis
        specs = [tuple(0 for _ in args)] + [
            tuple(0 if j == i else None for j in range(n)) for i in range(n)
        ]
        specs.append(tuple(np.ndim(a) for a in args))
        for spec in specs:
            batched = [
                a if d is None else _batched(a, k, d) for a, d in zip(args, spec, strict=True)
            ]

            def f(*xs: Any, params: dict[str, Any] = params) -> Any:
                out = bind(prim, *xs, **params)
                return tuple(out) if prim.multiple_results else out

            got = funcdiff.vmap(f, in_axes=spec)(*batched)
            for b in range(k):
                one = [
                    a if d is None else np.take(x, b, axis=d)
                    for a, x, d in zip(args, batched, spec, strict=True)
                ]
                want = prim.impl(*one, **params)
                got_b = [np.asarray(g)[b] for g in _outs(prim, got)]
                for g, w in zip(got_b, _outs(prim, want), strict=True):
                    np.testing.assert_allclose(
                        g,
                        w,
                        rtol=1e-6,
                        atol=1e-12,
                        err_msg=f"{name}{params} batch spec {spec}, member {b}",
                    )


@pytest.mark.parametrize("name", NAMES)
def test_jit_matches_eager(name: str) -> None:
    """jit (trace, optimize, generated code) agrees with eager evaluation, and
    so does jit of the gradient, on every primitive's samples."""
    prim = REGISTRY[name]
    for args, params in _samples(prim):
        f, pos = _as_function(prim, args, params)
        xs = tuple(args[i] for i in pos)
        if not pos:
            continue
        want = f(*xs)
        got = funcdiff.jit(f)(*xs)
        for g, w in zip(
            funcdiff.tree.tree_leaves(got), funcdiff.tree.tree_leaves(want), strict=True
        ):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14, err_msg=f"{name}{params}")
        outs = _outs(prim, prim.impl(*args, **params))
        if prim.zero_derivative or not all(_is_diff(o) for o in outs):
            continue

        def loss(*xs: Any, f: Any = f) -> Any:
            leaves = funcdiff.tree.tree_leaves(f(*xs))
            return sum(funcdiff.numpy.sum(funcdiff.numpy.sin(leaf)) for leaf in leaves)

        argnums = tuple(range(len(xs)))
        g_eager = funcdiff.grad(loss, argnums=argnums)(*xs)
        try:
            g_jit = funcdiff.jit(funcdiff.grad(loss, argnums=argnums))(*xs)
        except funcdiff.ConcretizationError:  # reverse mode through while_loop needs values
            g_jit = funcdiff.grad(funcdiff.jit(loss), argnums=argnums)(*xs)
        for a, b in zip(g_jit, g_eager, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{name}{params}")

"""The sparsity sweep: every primitive's sparsity rule against dense derivatives.

For each primitive and each of its samples, the differentiable operands
(real and imaginary parts of complex ones) are the flattened input ``x``;
the detected Jacobian pattern must contain every non-zero of the dense
``jacfwd`` at three random points near the sample, and the detected Hessian
pattern of ``sum(w * prim(...))`` every non-zero of the dense ``hessian``.
An element-wise primitive's Jacobian pattern must not be dense.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import funcdiff
import funcdiff.numpy as fnp
from funcdiff.core.primitive import REGISTRY, Primitive, load_families
from funcdiff.core.trace import bind
from funcdiff.primitives import elementwise as ew
from funcdiff.primitives import sparsity as spd
from funcdiff.sparse._detect import conservative_primitives, hessian_sparsity, jacobian_sparsity

pytest.importorskip("scipy")

load_families()  # every family registers its primitives

NAMES = sorted(REGISTRY)


def _diff_positions(args: tuple[Any, ...]) -> list[int]:
    return [i for i, a in enumerate(args) if np.asarray(a).dtype.kind in "fc"]


def _pack(args: tuple[Any, ...], pos: list[int]) -> np.ndarray:
    parts: list[np.ndarray] = []
    for i in pos:
        a = np.asarray(args[i])
        if a.dtype.kind == "c":
            parts += [a.real.ravel(), a.imag.ravel()]
        else:
            parts.append(a.astype(np.float64).ravel())
    return np.concatenate(parts) if parts else np.zeros(0)


def _as_function(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
    """A function of one flat real vector: the differentiable operands, then
    the real outputs (real and imaginary parts of complex ones) flattened."""
    pos = _diff_positions(args)

    def f(x: Any) -> Any:
        full = list(args)
        k = 0
        for i in pos:
            a = np.asarray(args[i])
            size = a.size

            def piece(k: int = k, size: int = size, a: np.ndarray = a) -> Any:
                return fnp.reshape(x[k : k + size], a.shape)

            if a.dtype.kind == "c":
                re, im = piece(), fnp.reshape(x[k + size : k + 2 * size], a.shape)
                k += 2 * size
                full[i] = ew.add(
                    ew.convert(re, a.dtype), ew.mul(ew.convert(im, a.dtype), a.dtype.type(1j))
                )
            else:
                k += size
                full[i] = ew.convert(piece(), a.dtype)
        out = bind(prim, *full, **params)
        leaves = list(out) if prim.multiple_results else [out]
        flat = []
        for o in leaves:
            kind = np.dtype(funcdiff.core.ir.aval_of(o).dtype).kind
            if kind == "c":
                flat += [fnp.ravel(ew.real(o)), fnp.ravel(ew.imag(o))]
            elif kind == "f":
                flat.append(fnp.ravel(ew.convert(o, np.float64)))
        return fnp.concatenate(flat) if flat else fnp.zeros(0)

    return f


def _points(x0: np.ndarray) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [x0, *(x0 * (1.0 + 0.05 * rng.uniform(-1, 1, x0.shape)) for _ in range(2))]


def _cases(name: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    prim = REGISTRY[name]
    return [(a, p) for a, p in prim.samples(np.random.default_rng(0)) if _diff_positions(a)]


def _assert_contains(pattern: Any, dense: np.ndarray, what: str) -> None:
    dense = np.asarray(dense)
    got = pattern.toarray()
    assert got.shape == dense.shape, f"{what}: pattern {got.shape} vs dense {dense.shape}"
    missed = (dense != 0) & ~got
    assert not missed.any(), f"{what}: the pattern misses non-zeros at {np.argwhere(missed)[:5]}"


@pytest.mark.parametrize("name", NAMES)
def test_jacobian_pattern_contains_dense(name: str) -> None:
    prim = REGISTRY[name]
    for args, params in _cases(name):
        f = _as_function(prim, args, params)
        x0 = _pack(args, _diff_positions(args))
        pattern = jacobian_sparsity(f)(x0)
        for x in _points(x0):
            _assert_contains(pattern, funcdiff.jacfwd(f)(x), f"{name}{params}")
        kind = getattr(prim.sparsity, "kind", None)
        if kind is not None and pattern.shape[0] > 2 and pattern.shape[1] > 2:
            assert pattern.nnz < pattern.shape[0] * pattern.shape[1], (
                f"{name}: element-wise, yet its pattern is dense"
            )


@pytest.mark.parametrize("name", NAMES)
def test_hessian_pattern_contains_dense(name: str) -> None:
    prim = REGISTRY[name]
    for args, params in _cases(name):
        f = _as_function(prim, args, params)
        x0 = _pack(args, _diff_positions(args))
        m = np.asarray(f(x0)).size
        w = np.random.default_rng(2).normal(size=m)

        def g(x: Any, f: Any = f, w: np.ndarray = w) -> Any:
            return fnp.sum(w * f(x))

        pattern = hessian_sparsity(g)(x0)
        assert (pattern != pattern.T).nnz == 0, f"{name}: the Hessian pattern is not symmetric"
        for x in _points(x0):
            _assert_contains(pattern, funcdiff.hessian(g)(x), f"{name}{params} (Hessian)")


def test_elementwise_patterns_are_diagonal() -> None:
    for name in NAMES:
        prim = REGISTRY[name]
        if getattr(prim.sparsity, "kind", None) is None or name in ("real", "imag", "conj"):
            continue  # (the complex-only ones are covered by the sweep)
        args = [np.linspace(0.5, 1.5, 4)] * len(_cases(name)[0][0])
        if name == "select":
            args = [np.array([True, False, True, False]), args[0], args[0]]
        f = _as_function(prim, tuple(args), {})
        pattern = jacobian_sparsity(f)(_pack(tuple(args), _diff_positions(tuple(args))))
        blocks = np.hstack([np.eye(4, dtype=bool)] * (pattern.shape[1] // 4))
        np.testing.assert_array_equal(pattern.toarray(), blocks, err_msg=name)


def test_conservative_primitives_are_listed() -> None:
    listed = conservative_primitives()
    assert listed == sorted(listed)
    for name in listed:
        assert REGISTRY[name].sparsity is None
        assert not REGISTRY[name].zero_derivative
    for name in ("add", "mul", "dot_general", "gather", "reduce_sum", "cond", "slice"):
        assert name not in listed
    assert spd.rule_of(REGISTRY["custom_vjp_call"]) is REGISTRY["custom_vjp_call"].sparsity
    assert spd.rule_of(Primitive("test_sparsity_no_rule")) is spd.conservative
    del REGISTRY["test_sparsity_no_rule"]
    assert spd.rule_of(REGISTRY["slice"]) is REGISTRY["slice"].sparsity

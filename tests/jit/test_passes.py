"""IR passes preserve results, on hand-written cases and randomized jaxprs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import passes
from funcdiff.core.ir import ClosedJaxpr, typecheck_jaxpr
from funcdiff.interpreters.codegen import compile_jaxpr
from funcdiff.interpreters.eval import eval_jaxpr

PASSES: dict[str, Callable[[ClosedJaxpr], ClosedJaxpr]] = {
    "dce": passes.dce,
    "cse": passes.cse,
    "fold_constants": passes.fold_constants,
    "simplify": passes.simplify,
    "fold_scalars": passes.fold_scalars,
    "optimize": passes.optimize,
}


def run(closed: ClosedJaxpr, args: list[Any]) -> list[Any]:
    return eval_jaxpr(closed.jaxpr, closed.consts, args)


def names(closed: ClosedJaxpr) -> list[str]:
    return [e.primitive.name for e in closed.jaxpr.eqns]


def test_dce_drops_unused() -> None:
    def f(x: Any) -> Any:
        _unused = fnp.sin(x) * 3.0
        return fnp.cos(x)

    closed = fd.make_jaxpr(f)(1.0)
    assert names(passes.dce(closed)) == ["cos"]


def test_cse_merges_duplicates() -> None:
    closed = fd.make_jaxpr(lambda x: fnp.sin(x) + fnp.sin(x))(1.0)
    assert names(passes.cse(closed)) == ["sin", "add"]


def test_fold_constants() -> None:
    c = np.arange(3.0)
    closed = fd.make_jaxpr(lambda x: x + fnp.exp(c) * 2.0)(np.ones(3))
    folded = passes.fold_constants(closed)
    assert names(folded) == ["add"]
    np.testing.assert_allclose(run(folded, [np.ones(3)])[0], 1 + np.exp(c) * 2)


def test_simplify_removes_identities_and_composes_shapes() -> None:
    def f(x: Any) -> Any:
        y = (x * 1.0 + -0.0) - 0.0  # x + (-0.0) and x - (+0.0) are x for every x
        y = -(-y)
        y = fnp.reshape(fnp.reshape(y, (6,)), (3, 2))
        return fnp.transpose(fnp.transpose(y))

    x = np.arange(6.0).reshape(3, 2)
    closed = fd.make_jaxpr(f)(x)
    simple = passes.simplify(closed)
    assert names(simple) == []  # everything cancels: the output is the input
    np.testing.assert_array_equal(run(simple, [x])[0], x.reshape(3, 2))
    # x + 0.0 stays: it turns -0.0 into +0.0
    kept = passes.simplify(fd.make_jaxpr(lambda x: x + 0.0)(x))
    assert names(kept) == ["add"]


def test_dot_with_identity_becomes_transpose() -> None:
    eye = np.eye(3)
    closed = fd.make_jaxpr(lambda x: (x @ eye, eye @ x.T))(np.arange(6.0).reshape(2, 3))
    simple = passes.simplify(closed)
    assert "dot_general" not in names(simple)
    x = np.arange(6.0).reshape(2, 3)
    for a, b in zip(run(simple, [x]), [x, x.T], strict=True):
        np.testing.assert_array_equal(a, b)


def test_fold_scalars_merges_factor_chains() -> None:
    def f(x: Any) -> Any:
        y = -(x * 2.0) * -0.5  # == x
        z = -(-(x * 3.0))  # == 3 x
        return y + z * fnp.ones_like(x) * 1.0

    x = np.arange(3.0)
    closed = fd.make_jaxpr(f)(x)
    folded = passes.optimize(closed)
    assert names(folded) == ["mul", "add"], names(folded)
    np.testing.assert_allclose(run(folded, [x])[0], 4 * x)


def test_optimize_shrinks_autodiff_output() -> None:
    f = fd.grad(lambda x: fnp.sum(fnp.sin(x) * x))
    closed = fd.make_jaxpr(f)(np.ones(4))
    opt = passes.optimize(closed)
    assert len(opt.jaxpr.eqns) < len(closed.jaxpr.eqns)
    typecheck_jaxpr(opt.jaxpr)


# ---------------------------------------------------------------------------
# randomized programs
# ---------------------------------------------------------------------------

UNARY = [
    fnp.sin,
    fnp.tanh,
    fnp.negative,
    lambda a: a * 1.0,
    lambda a: a + 0.0,
    fnp.exp,
    lambda a: -(-a),
    lambda a: fnp.reshape(fnp.reshape(a, (-1,)), a.shape),
    lambda a: fnp.transpose(fnp.transpose(a)),
    lambda a: a * 2.0,
    fnp.square,
]
BINARY = [
    fnp.add,
    fnp.multiply,
    fnp.subtract,
    fnp.maximum,
    lambda a, b: fnp.where(a > b, a, b),
    lambda a, b: a * b + a * b,
]


def random_program(seed: int) -> Callable[..., Any]:
    rng = np.random.default_rng(seed)
    ops = []
    for _ in range(int(rng.integers(3, 25))):
        if rng.uniform() < 0.5:
            ops.append(("u", int(rng.integers(len(UNARY))), int(rng.integers(100))))
        else:
            ops.append(
                (
                    "b",
                    int(rng.integers(len(BINARY))),
                    int(rng.integers(100)),
                    int(rng.integers(100)),
                )
            )
    n_out = int(rng.integers(1, 3))
    const = rng.normal(size=(2, 3))

    def f(x: Any, y: Any) -> Any:
        vals = [x, y, x * const]
        for op in ops:
            if op[0] == "u":
                vals.append(UNARY[op[1]](vals[op[2] % len(vals)]))
            else:
                vals.append(BINARY[op[1]](vals[op[2] % len(vals)], vals[op[3] % len(vals)]))
            vals[-1] = fnp.tanh(vals[-1])  # keep values bounded
        return tuple(vals[-1 - k] for k in range(n_out))

    return f


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("name", list(PASSES))
def test_passes_preserve_random_programs(name: str, seed: int) -> None:
    f = random_program(seed)
    rng = np.random.default_rng(1000 + seed)
    x, y = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))

    def loss(x: Any, y: Any) -> Any:
        return fnp.sum(f(x, y)[0] ** 2)

    for g in (
        f,
        lambda x, y: fd.grad(loss)(x, y),
        lambda x, y: fd.hvp(lambda z: loss(z, y), x, y),
    ):
        closed = fd.make_jaxpr(g)(x, y)
        want = run(closed, [x, y])
        new = PASSES[name](closed)
        typecheck_jaxpr(new.jaxpr)
        for a, b in zip(run(new, [x, y]), want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        fn, _ = compile_jaxpr(new)
        for a, b in zip(fn(x, y), want, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "f",
    [
        lambda x: fnp.sum((x[1:] - x[:-1]) ** 2),  # both operands of the add padded
        lambda x: fnp.sum(x[1:] ** 2) + fnp.sum(fnp.sin(x)),  # one padded operand
        lambda x: fnp.sum(x[1:, :2] * x[:-1, 1:]),  # two axes
    ],
)
def test_fuse_pad_add_writes_into_the_other_operand(f: Callable[..., Any]) -> None:
    x = np.random.default_rng(0).normal(size=(5, 3))
    g = fd.grad(f)
    closed = passes.optimize(fd.make_jaxpr(g)(x))
    fused = passes.fuse_pad_add(closed)
    names = [e.primitive.name for e in fused.jaxpr.eqns]
    assert "pad" not in names and "add_into_slice" in names
    typecheck_jaxpr(fused.jaxpr)
    fn, source = compile_jaxpr(fused)
    assert "_pad" not in source
    np.testing.assert_allclose(fn(x)[0], g(x), rtol=1e-12)
    np.testing.assert_allclose(fd.jit(g)(x), g(x), rtol=1e-12)


def test_fuse_pad_add_merges_two_pads_of_the_same_place() -> None:
    # pad(a) + pad(b) at the same place is pad(a + b): the add joins the
    # element-wise code around it, and the pad is written once
    x = np.random.default_rng(3).normal(size=9)
    for g, want in [
        # two pads at start 1: one pad of the sum
        (fd.grad(lambda x: fnp.sum(fnp.sin(x[1:]) * x[1:])), ["mul", "add", "pad"]),
        # the HVP of Rosenbrock's tail (W7): two pads at 0 merged, then one
        # at 1 added, both into zeros
        (
            lambda x: fd.hvp(lambda y: fnp.sum((y[1:] - y[:-1] ** 2) ** 2), x, fnp.cos(x)),
            ["add", "add_into_slice", "add_into_slice"],
        ),
    ]:
        closed = passes.optimize(fd.make_jaxpr(g)(x))
        fused = passes.fuse_pad_add(closed)
        typecheck_jaxpr(fused.jaxpr)
        names = [e.primitive.name for e in fused.jaxpr.eqns]
        assert names[-len(want) :] == want, names
        fn, _ = compile_jaxpr(fused)
        np.testing.assert_array_equal(fn(x)[0], g(x))
        np.testing.assert_array_equal(fd.jit(g)(x), g(x))

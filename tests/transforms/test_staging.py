"""The staging layer (``funcdiff.interpreters.staging``): each jaxpr -> jaxpr
transform checked against the transform users call, and the compile cache
checked to hit and to miss where it must."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import lax
from funcdiff.core.ir import ClosedJaxpr, ShapedArray
from funcdiff.core.primitive import Zero
from funcdiff.interpreters import staging
from funcdiff.interpreters.eval import eval_jaxpr

ROOT = Path(__file__).resolve().parents[2]
RNG = np.random.default_rng(0)


def run(body: ClosedJaxpr, consts: list[Any], *args: Any) -> list[Any]:
    """Evaluate a body (its constants are its leading inputs)."""
    return eval_jaxpr(body.jaxpr, body.consts, [*consts, *args])


def f2(x: Any, y: Any) -> Any:
    """Two inputs, two outputs; the second output does not depend on x."""
    return fnp.sin(x) * y + fnp.exp(x * y).sum(), fnp.cos(y) * 2.0


ARGS = (RNG.normal(size=3), RNG.normal(size=3))


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    staging.clear_compile_cache()
    yield
    staging.clear_compile_cache()


# ---------------------------------------------------------------------------
# jvp_jaxpr, vjp_jaxpr, apply_jvp, Linearized
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("nonzeros", [[True, True], [True, False], [False, True]])
def test_jvp_jaxpr_matches_jvp(nonzeros: list[bool]) -> None:
    closed = fd.make_jaxpr(f2)(*ARGS)
    body, consts, out_nz = staging.jvp_jaxpr(closed, nonzeros, [True, True])
    ts = [RNG.normal(size=3) if nz else np.zeros(3) for nz in nonzeros]
    got = run(body, consts, *ARGS, *[t for t, nz in zip(ts, nonzeros, strict=True) if nz])
    want_out, want_t = fd.jvp(f2, ARGS, tuple(ts))
    for g, w in zip(got, [*want_out, *want_t], strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-14)
    # the second output's tangent is a symbolic zero unless y has a tangent
    assert out_nz == [True, nonzeros[1]]


def test_jvp_jaxpr_instantiate_and_primals() -> None:
    closed = fd.make_jaxpr(f2)(*ARGS)
    body, _, out_nz = staging.jvp_jaxpr(closed, [True, False], [False, True])
    # no primal outputs asked for, one tangent output: the (zero) second one
    body2, consts2, _ = staging.jvp_jaxpr(closed, [True, False], [False, True], with_primals=False)
    assert out_nz == [True, False]
    assert len(body.jaxpr.outvars) == 3 and len(body2.jaxpr.outvars) == 1
    (zero,) = run(body2, consts2, *ARGS, np.ones(3))
    np.testing.assert_array_equal(zero, np.zeros(3))


def test_vjp_jaxpr_matches_vjp() -> None:
    closed = fd.make_jaxpr(f2)(*ARGS)
    _, pullback = fd.vjp(f2, *ARGS)
    ct0, ct1 = RNG.normal(size=3), RNG.normal(size=3)
    want = pullback((ct0, ct1))
    body, consts = staging.vjp_jaxpr(closed, [True, True], [True, True])
    got = run(body, consts, *ARGS, ct0, ct1)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-13)
    # only x's cotangent, and the second output's cotangent known to be zero
    body, consts = staging.vjp_jaxpr(closed, [True, False], [True, False])
    (gx,) = run(body, consts, *ARGS, ct0)
    np.testing.assert_allclose(gx, pullback((ct0, np.zeros(3)))[0], rtol=1e-13)
    # a staged VJP is itself differentiable: its jvp agrees with hvp
    h = lambda x: fnp.sum(fnp.sin(x) * x)  # noqa: E731
    x, v = ARGS
    vb, vc = staging.vjp_jaxpr(fd.make_jaxpr(h)(x), [True], [True])
    grad_h = lambda x: run(vb, vc, x, np.float64(1.0))[0]  # noqa: E731
    np.testing.assert_allclose(fd.jvp(grad_h, (x,), (v,))[1], fd.hvp(h, x, v), rtol=1e-13)


def test_apply_jvp_and_linearized() -> None:
    closed = fd.make_jaxpr(f2)(*ARGS)
    t = RNG.normal(size=3)
    tan = staging.apply_jvp(closed, list(ARGS), [t, Zero(ShapedArray((3,), np.float64))])
    want = fd.jvp(lambda x: f2(x, ARGS[1]), (ARGS[0],), (t,))[1]
    np.testing.assert_allclose(tan[0], want[0], rtol=1e-13)
    assert isinstance(tan[1], Zero)  # cos(y) * 2 does not depend on x
    lin = staging.Linearized(closed, list(ARGS))
    cts = [np.ones(3), np.ones(3)]
    _, pullback = fd.vjp(f2, *ARGS)
    want_x, want_y = pullback((np.ones(3), np.ones(3)))
    gx, gy = lin.pullback(cts, [True, True])
    np.testing.assert_allclose(gx, want_x, rtol=1e-13)
    np.testing.assert_allclose(gy, want_y, rtol=1e-13)
    only_y = lin.pullback(cts, [False, True])  # pulled back again, other inputs
    assert isinstance(only_y[0], Zero)
    np.testing.assert_allclose(only_y[1], want_y, rtol=1e-13)


def test_recorded_passes_match_grad_and_jvp() -> None:
    def g(x: Any) -> Any:
        return fnp.sum(fnp.tanh(x) ** 2 * x)

    x, t = ARGS
    tr = fd.make_jaxpr(g)(x)
    env = staging.eval_jaxpr_env(tr.jaxpr, tr.consts, [x])
    values = [env[v] for v in staging.all_vars(tr.jaxpr)]
    back = staging.backward_jaxpr(tr.jaxpr, [ShapedArray((), np.float64)])
    (gx,) = eval_jaxpr(back.jaxpr, back.consts, [*values, np.float64(1.0)])
    np.testing.assert_allclose(gx, fd.grad(g)(x), rtol=1e-13)
    tang = staging.tangent_jaxpr(tr.jaxpr, [ShapedArray((3,), np.float64)])
    (tx,) = eval_jaxpr(tang.jaxpr, tang.consts, [*values, t])
    np.testing.assert_allclose(tx, fd.jvp(g, (x,), (t,))[1], rtol=1e-13)


# ---------------------------------------------------------------------------
# batch_jaxpr
# ---------------------------------------------------------------------------


def test_batch_jaxpr_matches_a_loop() -> None:
    def g(x: Any, w: Any, c: Any) -> Any:  # c is unbatched and only feeds the last output
        return fnp.tanh(w @ x), x.sum() * 2.0, c * 3.0

    n = 4
    xs = RNG.normal(size=(3, n))  # batched along axis 1
    w = RNG.normal(size=(2, 3))  # unbatched
    c = RNG.normal(size=2)
    closed = fd.make_jaxpr(g)(xs[:, 0], w, c)
    loop = [g(xs[:, i], w, c) for i in range(n)]
    want = [np.stack([r[k] for r in loop]) for k in range(3)]

    # out_dims None: batched outputs at axis 0, the unbatched one stays so
    body, consts, out_b = staging.batch_jaxpr(closed, [1, None, None], n, [None, None, None])
    got = run(body, consts, xs, w, c)
    assert out_b == [True, True, False]
    np.testing.assert_allclose(got[0], want[0], rtol=1e-13)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-13)
    np.testing.assert_allclose(got[2], c * 3.0, rtol=1e-13)

    # int out_dims place the axis (broadcasting an unbatched output); SUM sums it away
    body, consts, out_b = staging.batch_jaxpr(closed, [1, None, None], n, [1, staging.SUM, 0])
    got = run(body, consts, xs, w, c)
    assert out_b == [True, False, True]
    np.testing.assert_allclose(got[0], want[0].T, rtol=1e-13)
    np.testing.assert_allclose(got[1], want[1].sum(), rtol=1e-13)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-13)


def test_batch_jaxpr_of_a_loop_body() -> None:
    # a body holding a scan, batched: vmap's answer, member by member
    def g(x: Any) -> Any:
        return lax.scan(lambda c, xi: (c * xi + 1.0, c), x[0], x)[0]

    xs = RNG.normal(size=(5, 4))
    body, consts, out_b = staging.batch_jaxpr(fd.make_jaxpr(g)(xs[0]), [0], 5, [0])
    (got,) = run(body, consts, xs)
    np.testing.assert_allclose(got, [g(x) for x in xs], rtol=1e-13)
    assert out_b == [True]


# ---------------------------------------------------------------------------
# dce_jaxpr
# ---------------------------------------------------------------------------


def test_dce_jaxpr_removes_dead_and_keeps_used() -> None:
    def g(x: Any, y: Any) -> Any:
        dead = fnp.exp(x) * 4.0  # noqa: F841  (traced, never used)
        return fnp.sin(x), fnp.cos(y) + x

    closed = fd.make_jaxpr(g)(1.0, 2.0)
    names = [e.primitive.name for e in closed.eqns]
    assert "exp" in names
    full, used = staging.dce_jaxpr(closed)
    assert [e.primitive.name for e in full.eqns] == ["sin", "cos", "add"]
    assert used == [True, True]
    assert [float(v) for v in eval_jaxpr(full.jaxpr, full.consts, [1.0, 2.0])] == [
        float(np.sin(1.0)),
        float(np.cos(2.0) + 1.0),
    ]
    first, used = staging.dce_jaxpr(closed, [True, False])
    assert [e.primitive.name for e in first.eqns] == ["sin"] and used == [True, False]
    assert len(first.jaxpr.invars) == 2  # inputs kept unless asked
    pruned, used = staging.dce_jaxpr(closed, [True, False], prune_inputs=True)
    assert len(pruned.jaxpr.invars) == 1
    assert float(eval_jaxpr(pruned.jaxpr, pruned.consts, [1.0])[0]) == float(np.sin(1.0))


# ---------------------------------------------------------------------------
# structure keys and the compile cache
# ---------------------------------------------------------------------------


def _count_compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names: list[str] = []
    real = staging.compile_jaxpr

    def counting(closed: ClosedJaxpr, **kw: Any) -> Any:
        names.append(kw.get("name", "?"))
        return real(closed, **kw)

    monkeypatch.setattr(staging, "compile_jaxpr", counting)
    return names


def _jaxpr(fun: Callable[..., Any], *args: Any) -> ClosedJaxpr:
    return fd.make_jaxpr(fun)(*args)


def test_compile_cache_hits_for_equal_structure(
    fresh_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiles = _count_compiles(monkeypatch)
    a = _jaxpr(lambda x: fnp.sin(x) * 2.0, np.ones(3))
    b = _jaxpr(lambda x: fnp.sin(x) * 2.0, np.zeros(3))  # traced again: new objects
    assert a.jaxpr is not b.jaxpr
    assert staging.structure_key(a.jaxpr) == staging.structure_key(b.jaxpr)
    ca = staging.compile_cached(a)
    assert staging.compile_cached(b) is ca
    assert staging.compile_cached(a) is ca
    assert len(compiles) == 1
    np.testing.assert_allclose(ca.fn(np.ones(3))[0], np.sin(1.0) * 2.0)
    own = staging.compile_cached(b, share=False)  # compiled by itself, not stored
    assert own is not ca and own.closed.jaxpr.invars == b.jaxpr.invars
    assert staging.compile_cached(b) is ca and len(compiles) == 2


@pytest.mark.parametrize(
    "other",
    [
        lambda: _jaxpr(lambda x: fnp.cos(x) * 2.0, np.ones(3)),  # another primitive
        lambda: _jaxpr(lambda x: fnp.sin(x) * 3.0, np.ones(3)),  # another literal
        lambda: _jaxpr(lambda x: fnp.sin(x) * 2.0, np.ones(4)),  # another shape
        lambda: _jaxpr(lambda x: fnp.sin(x) * 2.0, np.ones(3, np.float32)),  # dtype
        lambda: _jaxpr(lambda x: 2.0 * fnp.sin(x), np.ones(3)),  # other wiring
    ],
)
def test_compile_cache_misses_for_different_structure(
    fresh_cache: None, monkeypatch: pytest.MonkeyPatch, other: Callable[[], ClosedJaxpr]
) -> None:
    compiles = _count_compiles(monkeypatch)
    a = _jaxpr(lambda x: fnp.sin(x) * 2.0, np.ones(3))
    b = other()
    assert staging.structure_key(a.jaxpr) != staging.structure_key(b.jaxpr)
    assert staging.compile_cached(a) is not staging.compile_cached(b)
    assert len(compiles) == 2


def test_a_constant_and_an_input_are_different_structures() -> None:
    # grad with respect to y (x a constant of the trace) after grad with
    # respect to both: the same operations on the same numbered values, but
    # x is an input in one and a constant in the other; once, the second
    # reused the first's compiled pass and returned d/dx as d/dy
    x, y = np.array([1.0, 2.0]), np.array([3.0, 5.0])

    def f(x: Any, y: Any) -> Any:
        return fnp.sum(x * y * x)

    both, second = fd.grad(f, argnums=(0, 1)), fd.grad(f, argnums=1)
    for _ in range(3):  # compiled passes from the second call on
        dx, dy = both(x, y)
        np.testing.assert_array_equal(dx, 2 * x * y)
        np.testing.assert_array_equal(dy, x * x)
    for _ in range(3):
        np.testing.assert_array_equal(second(x, y), x * x)
    a = fd.make_jaxpr(lambda x, y: x * y)(x, y)  # two inputs
    b = fd.make_jaxpr(lambda y: x * y)(y)  # a constant and an input
    assert staging.structure_key(a.jaxpr) != staging.structure_key(b.jaxpr)


def test_compile_cache_compares_constants_by_identity(
    fresh_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiles = _count_compiles(monkeypatch)
    w1, w2 = np.arange(3.0), np.arange(3.0)
    a = _jaxpr(lambda x: x * w1, np.ones(3))
    b = _jaxpr(lambda x: x * w1, np.ones(3))
    c = _jaxpr(lambda x: x * w2, np.ones(3))  # equal values, another array
    assert staging.compile_cached(a) is staging.compile_cached(b)
    assert staging.compile_cached(c) is not staging.compile_cached(a)
    w2[0] = 7.0  # c's code reads its own array
    np.testing.assert_array_equal(staging.compile_cached(c).fn(np.ones(3))[0], [7.0, 1.0, 2.0])
    assert len(compiles) == 2
    # large constants are compiled but not kept by the cache
    big = np.ones(staging.MAX_CACHED_CONST_BYTES // 8 + 1)
    d = _jaxpr(lambda x: x * big, big)
    assert staging.compile_cached(d) is not staging.compile_cached(d)


def test_structure_key_of_sub_jaxprs(fresh_cache: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def g(k: float) -> Callable[[Any], Any]:
        return lambda x: lax.cond(x.sum() > 0, lambda v: v * k, lambda v: -v, x)

    a, b, c = (_jaxpr(g(k), np.ones(2)) for k in (2.0, 2.0, 3.0))
    # the eager fast path does not compare sub-jaxprs; compilation does
    assert staging.structure_key(a.jaxpr) is None
    assert staging.structure_key(a.jaxpr, nested=True) == staging.structure_key(
        b.jaxpr, nested=True
    )
    assert staging.structure_key(a.jaxpr, nested=True) != staging.structure_key(
        c.jaxpr, nested=True
    )
    compiles = _count_compiles(monkeypatch)
    assert staging.compile_cached(a) is staging.compile_cached(b)
    assert len(compiles) == 1


def test_loop_bodies_share_the_cache(fresh_cache: None, monkeypatch: pytest.MonkeyPatch) -> None:
    compiles = _count_compiles(monkeypatch)

    def loss(x: Any) -> Any:
        ys = lax.scan(lambda c, xi: (fnp.sin(c) * xi, c), x[0], x)[1]
        return fnp.sum(ys**2)

    x = RNG.normal(size=40)  # long enough for the body to be compiled
    g1 = fd.grad(loss)(x)
    n = len(compiles)
    assert "body" in compiles
    g2 = fd.grad(loss)(x)  # traced again, new body objects: same structure
    np.testing.assert_array_equal(g1, g2)
    assert len(compiles) == n


def test_jit_wrappers_share_the_cache(fresh_cache: None, monkeypatch: pytest.MonkeyPatch) -> None:
    compiles = _count_compiles(monkeypatch)
    x = RNG.normal(size=4)
    # two jit wrappers of the same computation compile it once
    f1 = fd.jit(lambda x: fnp.tanh(x) + 1.0)
    f2_ = fd.jit(lambda x: fnp.tanh(x) + 1.0)
    np.testing.assert_array_equal(f1(x), f2_(x))
    assert len(compiles) == 1
    assert f1.trace_count == f2_.trace_count == 1
    # a literal output keeps its Python type: it is part of the structure
    j1 = fd.jit(lambda x: (fnp.tanh(x), 2.5))
    j2 = fd.jit(lambda x: (fnp.tanh(x), np.float64(2.5)))
    assert type(j1(x)[1]) is float and type(j2(x)[1]) is np.float64


def test_caches_keep_no_traced_jaxpr_alive(fresh_cache: None) -> None:
    # jit traces afresh and the eager fast path keeps its own function by the
    # forward structure: neither leaves its staged jaxpr in the identity memo
    # (that is for loop bodies, handed back as the same object every call)
    x = RNG.normal(size=8)

    def chain(v: Any) -> Any:
        for _ in range(20):
            v = fnp.sin(v) * 1.5 + v
        return fnp.sum(v)

    for _ in range(3):
        fd.grad(chain)(x)  # the second and third calls run the compiled pass
        fd.jit(fd.grad(chain))(x)
    assert len(staging._by_id) == 0
    # a loop body is remembered by identity, so each iteration finds it at once
    fd.grad(lambda v: fnp.sum(lax.scan(lambda c, xi: (fnp.sin(c) * xi, c), v[0], v)[1]))(
        RNG.normal(size=40)
    )
    assert len(staging._by_id) > 0


def test_eager_fast_path_leaves_sub_jaxprs_alone() -> None:
    # grad(jit(f)) replays the same cond equation on every call; its backward
    # pass must not be staged abstractly: the while loop in a branch needs
    # its concrete trip count (this raised WhileLoopReverseModeError at the
    # second call before structure keys refused tuples of branches)
    def f(x: Any) -> Any:
        def branch(v: Any) -> Any:
            return lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * 1.5), (0, v))[1]

        return lax.cond(x > 0, branch, lambda v: v * 2.0, x)

    g = fd.grad(fd.jit(f))
    assert [float(g(1.0)) for _ in range(3)] == [3.375] * 3


# ---------------------------------------------------------------------------
# the import graph: staging and the eager fast path stand below the API
# ---------------------------------------------------------------------------


def _imports(path: Path) -> set[str]:
    mods = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            mods.add(node.module)
            mods.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            mods.update(a.name for a in node.names)
    return mods


@pytest.mark.parametrize("name", ["staging", "compiled"])
def test_staging_and_compiled_do_not_import_the_api(name: str) -> None:
    mods = _imports(ROOT / "funcdiff" / "interpreters" / f"{name}.py")
    upward = {"funcdiff.api", "funcdiff.numpy", "funcdiff.custom", "funcdiff.primitives.control"}
    assert not mods & upward, mods & upward


def test_a_structure_key_is_its_tuple_with_the_hash_kept() -> None:
    import pickle

    from funcdiff.interpreters.staging import StructureKey, structure_key

    key = structure_key(fd.make_jaxpr(lambda x: fnp.sin(x) * 2.0)(np.ones(3)).jaxpr)
    assert isinstance(key, StructureKey)
    assert key == tuple(key) and hash(key) == hash(tuple(key))
    assert {tuple(key): 1}[key] == 1  # interchangeable with the plain tuple as a key
    again = pickle.loads(pickle.dumps(key))
    assert again == key and "_hash" not in vars(again)  # (string hashes vary by process)
    assert hash(again) == hash(key)

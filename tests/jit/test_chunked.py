"""Long jaxprs compile to a driver calling bounded functions (``codegen``'s
chunked programs): same results as eager and as one function, buffers
reused across the boundaries, outputs handed over by the same rules.

The chunk size is set low (``codegen.CHUNK_EQNS``) so that programs of a few
hundred equations take the chunked path.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from benchmarks.workloads import chain_objective
from funcdiff.core.ir import ClosedJaxpr
from funcdiff.interpreters import codegen, staging
from funcdiff.interpreters.codegen import _Liveness, compile_jaxpr
from funcdiff.passes import optimize

X = np.linspace(-0.9, 0.8, 7)
SMALL = 9  # equations per generated function in these tests


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(codegen, "CHUNK_EQNS", SMALL)
    fd.clear_caches()  # nothing compiled with the usual size is reused
    yield
    fd.clear_caches()


def _chain(x: Any, steps: int = 70) -> Any:
    return chain_objective(fnp, steps)(x)


def _unchunked(closed: ClosedJaxpr, *args: Any) -> list[Any]:
    saved = codegen.CHUNK_EQNS
    codegen.CHUNK_EQNS = 1 << 30
    try:
        fn, source = compile_jaxpr(closed)
    finally:
        codegen.CHUNK_EQNS = saved
    assert "_v[" not in source
    return fn(*args)


def _chunked(closed: ClosedJaxpr, *args: Any) -> tuple[list[Any], str]:
    fn, source = compile_jaxpr(closed)
    n_calls = len(re.findall(r"\(_v, _s\d+\)", source))  # the driver: a call a piece
    assert n_calls == -(-len(closed.eqns) // SMALL)
    return fn(*args), source


@pytest.mark.usefixtures("small_chunks")
def test_a_long_chain_matches_eager_and_one_function() -> None:
    closed = optimize(fd.make_jaxpr(_chain)(X))
    assert len(closed.eqns) > 10 * SMALL
    got, _ = _chunked(closed, X)
    np.testing.assert_allclose(got[0], _unchunked(closed, X)[0], rtol=1e-15)
    np.testing.assert_allclose(fd.jit(_chain)(X), _chain(X), rtol=1e-13)


@pytest.mark.usefixtures("small_chunks")
def test_grad_and_jvp_through_chunked_jit() -> None:
    g = fd.jit(fd.grad(_chain))(X)
    np.testing.assert_allclose(g, fd.grad(_chain)(X), rtol=1e-12)
    h = 1e-6
    v = np.cos(np.arange(X.size))
    _, t = fd.jvp(fd.jit(_chain), (X,), (v,))
    fdiff = (_chain(X + h * v) - _chain(X - h * v)) / (2 * h)
    np.testing.assert_allclose(t, fdiff, rtol=1e-6)
    # jit of the jvp: a longer program, chunked as well
    _, t2 = fd.jit(lambda x, v: fd.jvp(_chain, (x,), (v,)))(X, v)
    np.testing.assert_allclose(t2, t, rtol=1e-12)


@pytest.mark.usefixtures("small_chunks")
def test_buffers_are_reused_across_boundaries() -> None:
    def f(x: Any) -> Any:
        for _ in range(40):
            x = fnp.exp(fnp.sin(x)) * 0.5
        return x

    closed = optimize(fd.make_jaxpr(f)(X))
    j = closed.jaxpr
    made = {v: i for i, e in enumerate(j.eqns) for v in e.outvars}
    live = _Liveness(j)
    crossing = [i for i, v in live.reuse.items() if made[v] // SMALL != i // SMALL]
    assert crossing  # an equation writes into a buffer made by an earlier function
    x = X.copy()
    got, source = _chunked(closed, x)
    assert "out=" in source
    np.testing.assert_array_equal(x, X)  # the input is never written
    np.testing.assert_allclose(got[0], f(X), rtol=1e-14)

    # a temporary read by a later function is kept alive (no reuse before its last use)
    def g(x: Any) -> Any:
        y = fnp.sin(x)
        z = y
        for _ in range(30):
            z = fnp.cos(z) * 1.5
        return z + y  # y, made in the first function, is read in the last

    np.testing.assert_allclose(fd.jit(g)(X), g(X), rtol=1e-14)


@pytest.mark.usefixtures("small_chunks")
def test_outputs_inputs_constants_literals_and_aliases() -> None:
    c = np.arange(7.0)

    def f(x: Any, y: Any) -> Any:
        z = _chain(x, 20)
        w = fnp.sin(x) * y
        for _ in range(15):
            w = fnp.tanh(w) + 0.1
        return x, c, 2.5, z, w, w, fnp.reshape(w, (7, 1)), y

    jf = fd.jit(f)
    x, y = X.copy(), np.float64(0.3)
    outs = jf(x, y)
    want = f(X, y)
    assert len(outs) == len(want)
    for got, ref in zip(outs, want, strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-13)
    assert type(outs[3]) is np.float64  # a computed 0-d result: a numpy scalar
    assert outs[2] == 2.5 and type(outs[2]) is float  # a literal stays as returned
    # outputs are the caller's: no aliasing of inputs, constants or each other
    assert outs[0] is not x and not np.shares_memory(outs[0], x)
    assert not np.shares_memory(outs[1], c)
    assert not np.shares_memory(outs[4], outs[5])
    assert not np.shares_memory(outs[4], outs[6])
    outs[4][:] = 0.0
    np.testing.assert_allclose(jf(x, y)[5], want[5], rtol=1e-13)
    np.testing.assert_array_equal(x, X)


@pytest.mark.usefixtures("small_chunks")
def test_scalar_code_is_chunked_too() -> None:
    def f(x: Any, y: Any) -> Any:
        for _ in range(25):
            x = fnp.sin(x) * y + 0.25
        return x, y

    jf = fd.jit(f)
    out = jf(0.4, 1.1)
    ref = f(0.4, 1.1)
    np.testing.assert_allclose(out[0], ref[0], rtol=1e-14)
    assert type(out[0]) is np.float64
    assert out[1] == 1.1
    source = jf.lower(0.4, 1.1).source
    assert "f_scalar_0(_v, _s0)" in source and "f_0(_v, _s0)" in source
    # Python's math raises where numpy gives nan: the numpy chunks take over
    with np.errstate(invalid="ignore"):
        bad = jf(0.4, np.inf)
    assert np.isnan(bad[0])
    g = fd.jit(fd.grad(lambda x: f(x, 1.1)[0]))
    np.testing.assert_allclose(g(0.4), fd.grad(lambda x: f(x, 1.1)[0])(0.4), rtol=1e-12)


@pytest.mark.usefixtures("small_chunks")
def test_kept_source_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codegen, "SOURCE_LINES", 30)
    closed = optimize(fd.make_jaxpr(_chain)(X))
    fn, source = compile_jaxpr(closed)
    assert "not kept" in source
    assert source.count("\n") < 30 + SMALL + len(closed.eqns) // SMALL + 20
    np.testing.assert_allclose(fn(X)[0], _chain(X), rtol=1e-13)


def test_a_long_chain_compiles_to_bounded_functions() -> None:
    """20k equations, the usual chunk size: every generated function has at
    most CHUNK_EQNS equations (plus its loads and stores), the driver calls
    one for each of the n / CHUNK_EQNS pieces, and pieces that repeat share
    their function."""
    steps = 10_000
    closed = optimize(fd.make_jaxpr(lambda x: chain_objective(fnp, steps)(x))(X))
    n = len(closed.eqns)
    assert n > 18_000
    saved = codegen.SOURCE_LINES
    codegen.SOURCE_LINES = 1 << 30
    try:
        fn, source = compile_jaxpr(closed, name="chain")
    finally:
        codegen.SOURCE_LINES = saved
    sizes: list[int] = []
    for line in source.splitlines():
        if line.startswith("def "):
            sizes.append(0)
        elif line:
            sizes[-1] += 1
    limit = codegen.CHUNK_EQNS
    n_calls = -(-n // limit)
    assert sizes[-1] == n_calls + 2  # the driver: one call per piece
    # a chain carries one value across; its pieces repeat, and are compiled once
    assert max(sizes[:-1]) <= limit + 3
    assert len(sizes) - 1 < n_calls / 4
    np.testing.assert_allclose(fn(X)[0], chain_objective(np, steps)(X), rtol=1e-10)
    np.testing.assert_allclose(
        fd.jit(lambda x: chain_objective(fnp, steps)(x))(X),
        chain_objective(np, steps)(X),
        rtol=1e-10,
    )


def test_compiling_pauses_the_garbage_collector_and_restores_it() -> None:
    seen: list[bool] = []

    def f(x: Any) -> Any:
        seen.append(gc.isenabled())  # while tracing
        return fnp.sin(x) * 2.0

    assert gc.isenabled()
    fd.jit(f)(X)
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:  # a caller who switched it off keeps it off
        fd.jit(lambda x: f(x) + 1.0)(X)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_long_jaxprs_are_found_by_identity_not_shared_by_structure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(staging, "MAX_SHARED_EQNS", 10)
    fd.clear_caches()
    a = fd.make_jaxpr(_chain)(X)
    b = fd.make_jaxpr(_chain)(X)  # the same structure, another jaxpr
    assert len(a.eqns) > 10
    first = staging.compile_cached(a)
    assert staging.compile_cached(a) is first  # by identity
    assert staging.compile_cached(b) is not first  # no structure key was built
    np.testing.assert_allclose(first.fn(X)[0], _chain(X), rtol=1e-13)
    fd.clear_caches()

"""The garbage collector is paused while a transform runs (``core.gcpause``),
which is only sound because funcdiff itself makes no reference cycles."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp


def chain(x: Any) -> Any:
    for i in range(60):
        x = fnp.sin(x) * 1.0001 if i % 2 else fnp.tanh(x) + 0.001 * x**2
    return fnp.sum(x)


X = np.linspace(-0.9, 0.9, 7)
TRANSFORMS: dict[str, Callable[[], Any]] = {
    "grad": lambda: fd.grad(chain)(X),
    "value_and_grad": lambda: fd.value_and_grad(chain)(X),
    "jvp": lambda: fd.jvp(chain, (X,), (X,)),
    "vjp": lambda: fd.vjp(chain, X)[1](1.0),
    "jacfwd": lambda: fd.jacfwd(lambda x: fnp.sin(x) * x)(X),
    "jacrev": lambda: fd.jacrev(lambda x: fnp.sin(x) * x)(X),
    "hessian": lambda: fd.hessian(chain)(X),
    "vmap": lambda: fd.vmap(fd.grad(chain))(np.stack([X, X])),
    "jit": lambda: fd.jit(fd.grad(chain))(X),
    "while_loop": lambda: fd.grad(
        lambda x: fd.lax.while_loop(
            lambda c: c[0] < 5, lambda c: (c[0] + 1, fnp.sin(c[1])), (0, x)
        )[1].sum()
    )(X),
}


@pytest.fixture
def collector_off() -> Iterator[None]:
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    yield
    if was:
        gc.enable()


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transforms_leave_no_cyclic_garbage(name: str, collector_off: None) -> None:
    run = TRANSFORMS[name]
    for _ in range(3):  # the first calls fill caches (which are not garbage)
        run()
    gc.collect()
    run()
    assert gc.collect() == 0, f"{name} left objects only the cyclic collector can free"


def test_the_collector_is_paused_inside_and_resumed_after() -> None:
    seen: list[bool] = []

    def f(x: Any) -> Any:
        seen.append(gc.isenabled())
        return fnp.sin(x)

    assert gc.isenabled()
    fd.grad(f)(1.0)
    fd.jacfwd(fd.grad(f))(1.0)  # nested transforms
    assert seen == [False, False] and gc.isenabled()


def test_the_collector_resumes_after_an_error() -> None:
    def bad(x: Any) -> Any:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fd.grad(bad)(1.0)
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled(collector_off: None) -> None:
    fd.grad(fnp.sin)(1.0)
    assert not gc.isenabled()


def test_calls_from_several_threads_resume_the_collector_once_all_are_done() -> None:
    inside = threading.Barrier(3)
    release = threading.Event()
    states: list[bool] = []

    def f(x: Any) -> Any:
        inside.wait(timeout=10)
        release.wait(timeout=10)
        return fnp.sin(x)

    def worker() -> None:
        fd.grad(f)(1.0)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait(timeout=10)  # both calls are running
    states.append(gc.isenabled())
    release.set()
    for t in threads:
        t.join(timeout=10)
    assert states == [False] and gc.isenabled()


def _wait_for_other_threads_transforms() -> None:
    """A transform still running in a thread another test started pauses
    the collector for the whole process: wait until it is done."""
    deadline = time.monotonic() + 30
    while not gc.isenabled() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gc.isenabled()


def test_user_cyclic_garbage_is_collected_after_the_call() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    def f(x: Any) -> Any:
        for _ in range(5000):
            Node()
        return fnp.sin(x)

    _wait_for_other_threads_transforms()  # their pause is process-wide
    gc.collect()
    fd.grad(f)(1.0)
    _wait_for_other_threads_transforms()
    # ordinary allocations after the call, until the collector has run on its
    # own (its generation-0 count drops); the Nodes are then gone
    keep: list[list[None]] = []
    runs = 0
    while runs == 0 and len(keep) < 200_000:
        before = gc.get_count()[0]
        keep.append([None])
        runs += gc.get_count()[0] < before
    state = f"threshold {gc.get_threshold()}, count {gc.get_count()}, enabled {gc.isenabled()}"
    assert runs, f"the collector did not run on its own after the call ({state})"
    assert gc.collect() < 5000, f"the user's cycles outlived a collection ({state})"


@pytest.mark.parametrize("steps", [5, 1200])  # one function; chunked into pieces
def test_compiled_code_dropped_from_the_caches_is_not_cyclic_garbage(
    steps: int, collector_off: None
) -> None:
    """A generated function is not kept in its own globals (the pair would be
    a cycle only the collector frees, once a cache lets go of it)."""

    def long_chain(x: Any) -> Any:
        for _ in range(steps):
            x = fnp.sin(x) * 1.01
        return fnp.sum(x)

    f = fd.jit(fd.grad(long_chain))
    np.testing.assert_allclose(f(X), fd.grad(long_chain)(X), rtol=1e-12)
    gc.collect()
    fd.clear_caches()
    del f
    assert gc.collect() == 0

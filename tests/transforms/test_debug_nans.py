"""debug_nans is per thread and scoped: a ``with`` block in one thread neither
raises nor slows down another, and every block restores what it replaced."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import debug as _debug
from funcdiff.debug import NaNError, debug_nans, is_enabled


def f_sqrt(x: Any) -> Any:
    return fnp.where(x > 0, fnp.sqrt(x), 0.0) * 2.0  # NaN gradient at 0, like JAX


def _run(target: Callable[[], Any]) -> Any:
    """Run ``target`` in a new thread; return its result or re-raise its error."""
    out: dict[str, Any] = {}

    def body() -> None:
        try:
            out["value"] = target()
        except BaseException as err:  # handed back to the caller
            out["error"] = err

    t = threading.Thread(target=body)
    t.start()
    t.join(30)
    assert not t.is_alive()
    if "error" in out:
        raise out["error"]
    return out["value"]


def _grad_or_error(x: float) -> Any:
    try:
        return fd.grad(f_sqrt)(x)
    except NaNError as err:
        return err


@pytest.fixture(autouse=True)
def _mode_off() -> Any:
    assert not is_enabled() and not _debug.STATE.enabled
    yield
    assert not is_enabled() and not _debug.STATE.enabled


def test_other_thread_gets_nan_not_naNError_while_a_block_is_open() -> None:
    inside = threading.Event()
    leave = threading.Event()
    seen: dict[str, Any] = {}

    def debugging_thread() -> None:
        with debug_nans():
            seen["a_inside"] = _grad_or_error(0.0)
            inside.set()
            leave.wait(30)
        seen["a_after"] = _grad_or_error(0.0)

    def plain_thread() -> None:
        inside.wait(30)
        seen["b_flag"] = is_enabled()
        seen["b_during"] = _grad_or_error(0.0)
        with debug_nans(False):  # restores this thread's own (off) setting
            pass
        leave.set()

    a = threading.Thread(target=debugging_thread)
    b = threading.Thread(target=plain_thread)
    a.start()
    b.start()
    inside.wait(30)
    main_during = (is_enabled(), _debug.STATE.enabled, _grad_or_error(0.0))
    a.join(30)
    b.join(30)
    assert isinstance(seen["a_inside"], NaNError)
    assert seen["b_flag"] is False
    assert isinstance(seen["b_during"], np.float64) and np.isnan(seen["b_during"])
    assert isinstance(seen["a_after"], np.float64) and np.isnan(seen["a_after"])
    assert main_during[:2] == (False, False)
    assert np.isnan(main_during[2])
    # and after both threads ended, nothing is left on in the main thread
    assert not _debug.STATE.enabled
    assert np.isnan(fd.grad(f_sqrt)(0.0))


def test_block_in_other_thread_leaves_main_on_the_fast_path() -> None:
    jf = fd.jit(lambda x: fnp.sin(x) * 2.0)
    x = np.array([0.5, 1.0])
    inside = threading.Event()
    leave = threading.Event()

    def debugging_thread() -> None:
        with debug_nans():
            inside.set()
            leave.wait(30)

    t = threading.Thread(target=debugging_thread)
    t.start()
    inside.wait(30)
    try:
        # while the other thread is in debug mode, this thread's jit compiles
        # and caches its fast entry (it does not when debug_nans is on here)
        np.testing.assert_allclose(jf(x), 2 * np.sin(x))
        np.testing.assert_allclose(jf(x), 2 * np.sin(x))
        assert len(jf._fast) == 1
    finally:
        leave.set()
        t.join(30)
    assert not _debug.STATE.enabled
    jg = fd.jit(lambda x: fnp.cos(x) + 1.0)
    np.testing.assert_allclose(jg(x), np.cos(x) + 1.0)
    np.testing.assert_allclose(jg(x), np.cos(x) + 1.0)
    assert len(jg._fast) == 1
    # the mechanism check: the same jit in debug mode skips the fast cache
    jh = fd.jit(lambda x: fnp.cos(x) + 1.0)
    with debug_nans():
        jh(x)
        jh(x)
        assert len(jh._fast) == 0


def test_with_block_restores_on_exit_and_on_exception() -> None:
    with debug_nans():
        assert is_enabled() and _debug.STATE.enabled
    assert not is_enabled()
    with pytest.raises(ZeroDivisionError), debug_nans():
        assert is_enabled()
        1 / 0  # noqa: B018
    assert not is_enabled()
    # a NaNError raised inside the block also restores the setting
    with pytest.raises(NaNError), debug_nans():
        fd.grad(f_sqrt)(0.0)
    assert not is_enabled()
    assert np.isnan(fd.grad(f_sqrt)(0.0))


def test_nested_blocks_and_plain_switch() -> None:
    with debug_nans():
        with debug_nans(False):
            assert not is_enabled()
            with debug_nans(True):
                assert is_enabled()
            assert not is_enabled()
        assert is_enabled()
        with pytest.raises(RuntimeError), debug_nans(False):
            raise RuntimeError("inside")
        assert is_enabled()
    assert not is_enabled()
    debug_nans(True)  # the plain call switches the mode until switched again
    try:
        assert is_enabled()
        with debug_nans(False):
            assert not is_enabled()
        assert is_enabled()  # the block restored the plain call's setting
        assert _run(is_enabled) is False  # still per thread
    finally:
        debug_nans(False)
    assert not is_enabled()


def test_one_object_reused_as_a_context_manager() -> None:
    off = debug_nans(False)  # created with the mode already off: no change
    with debug_nans():
        with off:
            assert not is_enabled()
        assert is_enabled()
        with off:  # entered a second time: switches and restores again
            assert not is_enabled()
        assert is_enabled()
    assert not is_enabled()
    on = debug_nans(True)
    debug_nans(False)  # undoes the constructor's switch before the block
    with on:
        assert is_enabled()
    assert not is_enabled()  # back to the setting the block replaced


def test_new_threads_start_off_and_their_switch_stays_theirs() -> None:
    with debug_nans():
        assert _run(is_enabled) is False
        assert np.isnan(_run(lambda: fd.grad(f_sqrt)(0.0)))

    def switch_on_and_report() -> bool:
        debug_nans(True)  # left on: the thread ends with it on
        return bool(is_enabled())

    assert _run(switch_on_and_report) is True
    assert not is_enabled()  # the other thread's switch never reached this one
    assert np.isnan(fd.grad(f_sqrt)(0.0))


def test_source_table_kept_while_any_thread_debugs() -> None:
    inside = threading.Event()
    leave = threading.Event()

    def debugging_thread() -> None:
        with debug_nans():
            fd.make_jaxpr(fnp.sin)(1.0)
            inside.set()
            leave.wait(30)

    t = threading.Thread(target=debugging_thread)
    t.start()
    inside.wait(30)
    try:
        n = len(_debug._SOURCES)
        assert n >= 1
        with debug_nans():
            pass
        # this thread switching off does not wipe the other thread's sources
        assert len(_debug._SOURCES) == n
    finally:
        leave.set()
        t.join(30)
    assert len(_debug._SOURCES) == 0  # the last thread switched off: cleared

"""jit's blocked evaluation of element-wise runs on large arrays
(``codegen._Blocked``): the same numbers as the unblocked code, bit for bit
(each element gets the same operations), for every way a run meets the rest
of the program: results used later or returned, dying operands reused,
views hoisted, 2-D blocks of rows, a last partial block, 0-d operands,
booleans, NaN."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.interpreters import codegen

RNG = np.random.default_rng(0)
N = codegen.BLOCK_MIN_SIZE + 12_345  # not a multiple of the block


@pytest.fixture(autouse=True)
def any_working_set(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Block runs whatever bytes they touch (the tests stay small), except
    in the test of that threshold itself."""
    if "working_set" not in request.node.name:
        monkeypatch.setattr(codegen, "BLOCK_MIN_BYTES", 0)


def compiled(f: Callable[..., Any], *args: Any, blocked: bool) -> tuple[Any, str]:
    """``f``'s jaxpr compiled with or without blocking: (outputs, source)."""
    closed = fd.make_jaxpr(f)(*args)
    if blocked:
        fn, source = codegen.compile_jaxpr(closed)
    else:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(codegen, "BLOCK_MIN_SIZE", 1 << 62)
            fn, source = codegen.compile_jaxpr(closed)
    return fn(*args), source


def check(f: Callable[..., Any], *args: Any, blocks: bool = True) -> str:
    got, source = compiled(f, *args, blocked=True)
    want, plain = compiled(f, *args, blocked=False)
    assert ("for _blk0" in source) == blocks, source
    assert "for _blk0" not in plain
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_array_equal(g, w)  # bit for bit (NaNs equal)
    eager = f(*args)
    eager = eager if isinstance(eager, tuple) else (eager,)
    for g, e in zip(got, eager, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-15, atol=0)
    return source


def test_a_chain_with_results_used_later_and_returned() -> None:
    x = RNG.uniform(0.5, 1.5, N)

    def f(x: Any) -> Any:
        a = fnp.sin(x) * 2.0 + x
        b = fnp.exp(-a) * x  # a is used again after the run
        c = fnp.sum(a)
        return b * c, a

    check(f, x)


def test_the_rosenbrock_hvp_with_hoisted_slices() -> None:
    def rosen(x: Any) -> Any:
        return fnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    x, v = RNG.uniform(-1.5, 1.5, N), RNG.normal(size=N)
    source = check(lambda x, v: fd.hvp(rosen, x, v), x, v)
    assert source.count("for _blk0") >= 1


def test_two_dimensional_blocks_of_rows() -> None:
    x = RNG.normal(size=(301, 257))
    y = RNG.normal(size=(301, 257))
    check(lambda x, y: fnp.tanh(x * y) - fnp.cos(y) ** 2 + 0.5 * x, x, y)


def test_zero_d_operands_booleans_select_and_nan() -> None:
    x = RNG.normal(size=N)
    x[::97] = np.nan
    s = np.float64(0.3)

    def f(x: Any, s: Any) -> Any:
        y = fnp.where(x > s, x * s, fnp.abs(x) + s)
        return fnp.sqrt(fnp.abs(y)) * (y != y) + y**3

    check(f, x, s)


def test_float32_stays_float32() -> None:
    x = RNG.normal(size=N).astype(np.float32)
    check(lambda x: fnp.exp(x * np.float32(0.5)) + x * x - 1.0, x)


def test_small_arrays_are_not_blocked() -> None:
    small = RNG.normal(size=1000)
    check(lambda x: fnp.sin(x) * 2.0 + x, small, blocks=False)


def test_operands_broadcast_over_the_rows_are_read_whole() -> None:
    big = RNG.normal(size=(400, 300))
    for other in (RNG.normal(size=(1, 300)), RNG.normal(size=300), RNG.normal(size=(400, 1))):
        source = check(lambda x, r: fnp.sin(x + r) * r - r, big, other)
        cut = other.shape[0] == 400  # a column is cut with the rows, a row is read whole
        assert ("b_b = b[_blk0:_blk1]" in source) == cut, source


def test_a_transposed_operand_is_not_cut_into_rows() -> None:
    # blocks of rows of x.T would read a few elements of each row of x
    x = RNG.normal(size=(300, 400))
    check(lambda x: fnp.sin(x.T) * 2.0 + x.T * x.T, x, blocks=False)
    check(lambda x: fnp.sin(x[1:]) * 2.0 + x[1:] * x[1:], x)  # a slice of rows is


def test_jit_and_grad_agree_with_eager_on_a_large_chain() -> None:
    def chain(x: Any) -> Any:
        for _ in range(10):
            x = fnp.tanh(x) * 1.01 + 0.001 * x**2
        return fnp.sum(x)

    x = RNG.uniform(-1.0, 1.0, N)
    np.testing.assert_allclose(fd.jit(fd.grad(chain))(x), fd.grad(chain)(x), rtol=1e-13)
    np.testing.assert_allclose(fd.jit(chain)(x), chain(x), rtol=1e-13)


def test_a_working_set_that_fits_in_cache_is_not_blocked() -> None:
    """Blocking pays when the run's arrays do not fit in cache: below
    BLOCK_MIN_BYTES (counting inputs and results that take fresh buffers)
    the run stays whole; above, it is blocked."""

    def f(x: Any, y: Any) -> Any:
        return fnp.tanh(x * y) - fnp.cos(y) ** 2 + 0.5 * x

    small = RNG.normal(size=(16, codegen.BLOCK_MIN_SIZE // 16))  # 0.5 MB an array
    check(f, small, small + 1.0, blocks=False)
    rows = codegen.BLOCK_MIN_BYTES // (8 * 1000) + 1  # each array alone is that big
    big = RNG.normal(size=(rows, 1000))
    check(f, big, big + 1.0)


def test_a_result_takes_over_a_dying_input_buffer() -> None:
    """A result written into the buffer of an input that dies in the run (as
    unblocked buffer reuse does): each block is read before it is overwritten."""
    mix = RNG.normal(size=(100, 100))

    def f(x: Any) -> Any:
        y = x @ mix  # not element-wise: made before the run, in a fresh buffer
        return y + fnp.sin(y) * 2.0 - 1.0  # y dies at the add, which may write into it

    x = RNG.normal(size=(N // 100, 100))
    source = check(f, x)
    assert "np_empty" not in source


@pytest.mark.parametrize("shape", [(N,), (301, 257)])
def test_a_result_padded_into_zeros_is_written_into_its_region(shape: tuple[int, ...]) -> None:
    """A run's result whose one use is a zero pad added to another (the
    transposes of two slices, ``passes.fuse_pad_add``) is computed straight
    into its region of the sum; the rest of the sum is zeroed. Same numbers
    as unblocked and as eager, every border included."""
    from funcdiff import passes

    def f(x: Any, y: Any) -> Any:
        if len(shape) == 1:
            xa, ya, xb, yb = x[1:], y[1:], x[:-1], y[:-1]
            pad_a, pad_b = (1, 0), (0, 1)
        else:
            xa, ya, xb, yb = x[1:, :-3], y[1:, :-3], x[:-1, 3:], y[:-1, 3:]
            pad_a, pad_b = ((0, 1), (2, 1)), ((1, 0), (0, 3))
        a = fnp.sin(xa) * ya + xa * 0.5 - ya
        b = xb * yb - fnp.cos(a)
        return fnp.pad(a, pad_a) + fnp.pad(b, pad_b)

    x, y = RNG.normal(size=shape), RNG.normal(size=shape)
    y.flat[::1001] = -0.0
    closed = passes.fuse_pad_add(passes.optimize(fd.make_jaxpr(f)(x, y)))
    fn, source = codegen.compile_jaxpr(closed)
    assert "for _blk0" in source and "np_zeros" not in source
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(codegen, "BLOCK_MIN_SIZE", 1 << 62)
        plain, plain_source = codegen.compile_jaxpr(closed)
    assert "for _blk0" not in plain_source
    got, want, eager = fn(x, y)[0], plain(x, y)[0], f(x, y)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    np.testing.assert_array_equal(got, eager)

"""Replayed traces (``JaxprTrace`` with ``expect``): an eager transform
checks each operation against the jaxpr its previous call recorded and, on
a full match, reuses that jaxpr and its structure key. Every difference the
key would see must end the replay: the results are always those of a fresh
trace."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.core.ir import Jaxpr, aval_of
from funcdiff.core.trace import bind, named_scope, new_trace
from funcdiff.primitives.elementwise import mul_p

X = np.array([0.5, -1.25, 2.0])


def _trace(f: Any, x: np.ndarray, expect: Jaxpr | None = None) -> tuple[Any, bool]:
    with new_trace(expect) as trace:
        t = trace.new_arg(aval_of(x), x)
        closed = trace.to_jaxpr([t], [f(t)])
    return closed, trace.replayed


def test_the_same_operations_replay_the_expected_jaxpr() -> None:
    def f(x: Any) -> Any:
        return fnp.sum(fnp.sin(x) * 2.0 + x**2)

    first, replayed = _trace(f, X)
    assert not replayed
    again, replayed = _trace(f, X + 1.0, first.jaxpr)
    assert replayed and again.jaxpr is first.jaxpr


@pytest.mark.parametrize(
    "g",
    [
        lambda x: fnp.sum(fnp.sin(x) * -2.0 + x**2),  # another literal
        lambda x: fnp.sum(fnp.sin(x) * 2.0 + x**3),  # another param
        lambda x: fnp.sum(fnp.cos(x) * 2.0 + x**2),  # another primitive
        lambda x: fnp.sum(fnp.sin(x) * 2.0 + x**2) * 1.0,  # one operation more
        lambda x: fnp.sum(fnp.sin(x) * 2.0),  # fewer
        lambda x: fnp.sum(x**2 + fnp.sin(x) * 2.0),  # other wiring
        lambda x: fnp.max(fnp.sin(x) * 2.0 + x**2),  # another reduction
        lambda x: fnp.sum(fnp.sin(x[1:]) * 2.0 + x[1:] ** 2),  # a slice more
        lambda x: fnp.sum(fnp.sin(x) * 2.0 + fnp.sin(x) ** 2),  # another operand
        lambda x: fnp.sum(2.0 * fnp.sin(x) + x**2),  # operands swapped
    ],
)
def test_any_difference_ends_the_replay(g: Any) -> None:
    def f(x: Any) -> Any:
        return fnp.sum(fnp.sin(x) * 2.0 + x**2)

    first, _ = _trace(f, X)
    fresh, _ = _trace(g, X)
    got, replayed = _trace(g, X, first.jaxpr)
    assert not replayed
    assert str(got.jaxpr) == str(fresh.jaxpr)


def test_signed_zero_literals_and_named_scopes_end_the_replay() -> None:
    first, _ = _trace(lambda x: x * 0.0, X)
    assert not _trace(lambda x: x * -0.0, X, first.jaxpr)[1]

    def scoped(x: Any) -> Any:
        with named_scope("layer"):
            return x * 0.0

    assert not _trace(scoped, X, first.jaxpr)[1]


def test_grad_is_right_whatever_the_previous_call_recorded() -> None:
    # the same transform called on values that change its trace: signs of
    # zero, branches, loop counts, closed-over arrays
    def f(x: Any, s: Any, n: int, w: np.ndarray) -> Any:
        y = x * s
        for _ in range(n):
            y = fnp.sin(y) + w
        if fnp.sum(x) > 0:  # a branch on a value
            y = y * y
        return fnp.sum(y)

    g = fd.grad(f)
    w1, w2 = np.array([0.1, 0.2, 0.3]), np.array([-1.0, 0.5, 2.0])
    calls = [
        (X, 0.5, 2, w1),
        (X, 0.5, 2, w1),
        (X, 0.5, 2, w2),  # another closed-over array, same structure
        (X, -0.0, 2, w2),
        (X, 0.0, 2, w2),
        (-X, 0.5, 2, w1),  # the other branch
        (X, 0.5, 3, w1),  # one more step
        (X, 0.5, 2, w1),
    ]
    for args in calls:
        for _ in range(3):  # first sighting, compiled pass, replayed trace
            got = g(*args)
            want = fd.grad(f)(*args)  # a transform of its own: no replay
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    eps = 1e-6
    x, s, n, w = X, 0.5, 2, w2
    num = [(f(x + eps * e, s, n, w) - f(x - eps * e, s, n, w)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(g(x, s, n, w), num, rtol=1e-6)


def test_nested_grads_and_vmap_of_grad_match_fresh_ones() -> None:
    def f(x: Any) -> Any:
        return fnp.sum(fnp.tanh(x) ** 2)

    g = fd.grad(f)
    gg = fd.grad(lambda x: fnp.sum(g(x)))
    for _ in range(3):
        np.testing.assert_allclose(gg(X), fd.grad(lambda x: fnp.sum(fd.grad(f)(x)))(X))
        np.testing.assert_allclose(fd.vmap(g)(np.stack([X, -X])), np.stack([g(X), g(-X)]))


@pytest.mark.parametrize("jac", [fd.jacrev, fd.jacfwd])
def test_jacobians_replay_and_stay_right(jac: Any) -> None:
    def f(x: Any, s: Any) -> Any:
        return fnp.sin(x * s) * x[::-1]

    j = jac(f)
    for s in (0.5, 0.5, 0.5, -0.0, 0.0, 2.0, 2.0):
        want = jac(f)(X, s)  # a transform of its own: no replay
        for _ in range(2):
            got = j(X, s)
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    np.testing.assert_allclose(
        j(X, 0.5),
        np.diag(0.5 * np.cos(0.5 * X) * X[::-1]) + np.fliplr(np.diag(np.sin(0.5 * X))),
        rtol=1e-12,
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (2.0, -2.0),
        (np.float64(0.0), np.float64(-0.0)),
        (np.float32(1.5), np.float64(1.5)),  # same value, another type
        (np.float32(0.0), np.float32(-0.0)),
        (np.array(0.0), np.array(-0.0)),  # 0-d arrays are literals too
        (np.array(2.0), np.array(2.0, np.float32)),
        (3, 4),
        (np.int64(3), np.int32(3)),
        (complex(0.0, 1.0), complex(-0.0, 1.0)),
    ],
)
def test_a_literal_replays_only_with_the_same_type_and_bits(a: Any, b: Any) -> None:
    # bound as they are (funcdiff.numpy would promote both to float64 first)
    def times(c: Any) -> Any:
        return lambda x: bind(mul_p, x, c)

    first, _ = _trace(times(a), X)
    again, replayed = _trace(times(a), X, first.jaxpr)
    assert replayed and again.jaxpr is first.jaxpr
    fresh, _ = _trace(times(b), X)
    got, replayed = _trace(times(b), X, first.jaxpr)
    assert not replayed
    assert str(got.jaxpr) == str(fresh.jaxpr)


def test_nan_literals_give_the_fresh_trace() -> None:
    nan = np.float64(np.nan)
    first, _ = _trace(lambda x: x * nan, X)
    got, _ = _trace(lambda x: x * nan, X, first.jaxpr)
    assert str(got.jaxpr) == str(first.jaxpr)
    g = fd.grad(lambda x: fnp.sum(x * nan))
    for _ in range(3):
        assert np.isnan(g(X)).all()


def test_a_tracer_kept_from_an_earlier_call_is_an_error_not_a_replay() -> None:
    # the kept tracer stands for the very variable the replay expects in its
    # place; it belongs to a finished trace all the same
    kept: list[Any] = []

    def f(x: Any) -> Any:
        y = fnp.sin(x)
        if not kept:
            kept.append(y)
        return fnp.sum(y * kept[0])

    g = fd.grad(f)
    g(X)
    with pytest.raises(fd.UnexpectedTracerError):
        g(X)


def test_the_result_type_of_each_call_is_its_own() -> None:
    # numpy 1.x promotes by the values of 0-d operands: float32 * a 0-d
    # float64 stays float32 for 2.0, not for 1e300; numpy 2 gives float64 for
    # both. The same transform called with both agrees with fresh transforms.
    x = np.array([1.0, 2.0], np.float32)

    def f(s: Any) -> Any:
        return fnp.sum(fnp.asarray(x) * s).astype(np.float64)

    g = fd.grad(f)
    for s in (2.0, 2.0, 1e300, 1e300, 2.0, 2.0):
        want = fd.grad(f)(np.float64(s))
        got = g(np.float64(s))
        assert np.asarray(got).dtype == np.asarray(want).dtype
        np.testing.assert_array_equal(got, want)


def test_python_conversions_know_the_replayed_equations() -> None:
    # float() of a traced value that depends on the input is refused, on
    # every call; of one that does not (a stop_gradient), allowed
    def f(x: Any, convert: str) -> Any:
        y = fnp.sin(x) * 2.0
        s = fnp.sum(y * y)
        if convert == "dependent":
            float(s)
        elif convert == "stopped":
            float(fd.stop_gradient(s))
        return s

    g = fd.grad(f)
    for _ in range(4):  # the third and fourth calls replay up to the float()
        np.testing.assert_allclose(g(X, "stopped"), 8.0 * np.sin(X) * np.cos(X), rtol=1e-12)
    for _ in range(3):
        with pytest.raises(fd.DerivativeDroppedError):
            g(X, "dependent")

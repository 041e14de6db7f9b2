"""Views: every primitive's ``returns_view`` flag matches what its code does.

jit writes a result into a dead operand's buffer (``out=``) only when no
view of that buffer is alive, and it learns of views from two facts only
(``codegen._Liveness``): ``returns_view`` (the result may be a view of the
*first* operand), and a primitive without ``emit`` running its ``impl``
(whose results are assumed to be views of *any* operand). So:

- a result of ``impl`` or ``emit`` sharing memory with the first operand
  needs ``returns_view``;
- a result sharing memory with another operand is only allowed for an impl
  without ``emit`` and without ``returns_view`` (``cond`` and ``while`` hand
  an operand back);
- an ``emit`` expression (inline numpy, taken as a fresh buffer) never
  shares memory with a non-first operand.

The sweep runs each primitive's samples plus the probes below (operands a
view could come from: same-dtype conversion, ``where`` picking one side,
``.real``/``.imag`` of complex arrays, which numpy returns as views).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.core.primitive import REGISTRY, Primitive, load_families
from funcdiff.core.trace import bind
from funcdiff.interpreters.codegen import _Liveness, compile_jaxpr
from funcdiff.primitives.rules import deflinear

load_families()  # every family registers its primitives

NAMES = sorted(REGISTRY)

Sample = tuple[tuple[Any, ...], dict[str, Any]]

_RNG = np.random.default_rng(1)
_X = _RNG.normal(size=(2, 3))
_Y = _RNG.normal(size=(2, 3))
_Z = _X + 1j * _Y
# operands a view of a non-first operand could come from
PROBES: dict[str, list[Sample]] = {
    "convert_element_type": [
        ((_X,), {"new_dtype": np.dtype(np.float64)}),  # same dtype: astype(copy=False) would view
        ((_Z,), {"new_dtype": np.dtype(np.complex128)}),
    ],
    "select": [
        ((np.ones((2, 3), bool), _X, _Y), {}),  # picks one side everywhere
        ((np.zeros((2, 3), bool), _X, _Y), {}),
    ],
    "real": [((_Z,), {}), ((_Z[:, 1:],), {})],  # numpy's .real is a view
    "imag": [((_Z,), {}), ((_Z.T,), {})],
    "conj": [((_Z,), {})],
    "reshape": [((_X,), {"new_sizes": (2, 3)})],  # the identity reshape
    "transpose": [((_X,), {"permutation": (0, 1)})],
}


def _cases(prim: Primitive) -> list[Sample]:
    return [*prim.samples(np.random.default_rng(0)), *PROBES.get(prim.name, [])]


def _results(prim: Primitive, out: Any) -> list[Any]:
    return list(out) if prim.multiple_results else [out]


def _shared(outs: list[Any], args: tuple[Any, ...]) -> set[int]:
    """Positions of the array operands some result shares memory with."""
    return {
        k
        for k, a in enumerate(args)
        if isinstance(a, np.ndarray)
        for o in outs
        if isinstance(o, np.ndarray) and np.shares_memory(o, a)
    }


def test_probes_name_real_primitives() -> None:
    assert set(PROBES) <= set(REGISTRY), set(PROBES) - set(REGISTRY)
    assert "real" in PROBES and "imag" in PROBES


@pytest.mark.parametrize("name", NAMES)
def test_impl_views_are_declared(name: str) -> None:
    prim = REGISTRY[name]
    for args, params in _cases(prim):
        shared = _shared(_results(prim, prim.impl(*args, **params)), args)
        if 0 in shared:
            assert prim.returns_view, f"{name}{params}: impl returns a view of operand 0"
        others = shared - {0}
        if others:
            # only an opaque impl may hand back another operand (jit keeps every
            # operand of an impl alive with its results); returns_view promises
            # the first operand only
            assert prim.emit is None and not prim.returns_view, (
                f"{name}{params}: impl returns a view of operands {sorted(others)}"
            )


@pytest.mark.parametrize("name", [n for n in NAMES if REGISTRY[n].returns_fresh])
def test_fresh_results_are_fresh(name: str) -> None:
    prim = REGISTRY[name]
    assert not prim.returns_view
    for args, params in _cases(prim):
        outs = _results(prim, prim.impl(*args, **params))
        assert not _shared(outs, args), f"{name}{params}: impl returns a view of an operand"
        for o in outs:  # a 0-d result may be a numpy scalar (jit never writes into those)
            ok = isinstance(o, np.generic) or (isinstance(o, np.ndarray) and o.flags.writeable)
            assert ok, f"{name}{params}: {type(o)}"


def test_dot_general_results_are_fresh_for_every_operand_layout() -> None:
    prim = REGISTRY["dot_general"]
    assert prim.returns_fresh
    rng = np.random.default_rng(2)
    for xs, ys, dims in [
        ((3, 4), (4, 5), ((1,), (0,))),
        ((4, 3), (4, 5), ((0,), (0,))),
        ((3, 4), (5, 4), ((1,), (1,))),
        ((4, 3), (5, 4), ((0,), (1,))),
        ((4,), (4,), ((0,), (0,))),
        ((), (3, 2), ((), ())),
        ((3,), (2,), ((), ())),
        ((1, 1), (1, 1), ((1,), (0,))),
    ]:
        x, y = rng.normal(size=xs), rng.normal(size=ys)
        out = prim.impl(x, y, dimension_numbers=(dims, ((), ())))
        np.testing.assert_allclose(out, np.tensordot(x, y, axes=dims), rtol=1e-14)
        if np.ndim(out):
            assert isinstance(out, np.ndarray) and out.flags.writeable
        assert not np.shares_memory(out, x) and not np.shares_memory(out, y)


@pytest.mark.parametrize("name", [n for n in NAMES if REGISTRY[n].emit is not None])
def test_emit_views_are_declared(name: str) -> None:
    prim = REGISTRY[name]
    assert prim.emit is not None
    for args, params in _cases(prim):
        names = [f"a{k}" for k in range(len(args))]
        expr = prim.emit(*names, **params)
        out = eval(expr, {"np": np, **dict(zip(names, args, strict=True))})
        np.testing.assert_array_equal(out, prim.impl(*args, **params))
        shared = _shared([out], args)
        if 0 in shared:
            assert prim.returns_view, f"{name}{params}: `{expr}` returns a view of operand 0"
        assert not shared - {0}, f"{name}{params}: `{expr}` returns a view of another operand"


@pytest.mark.parametrize("name", [n for n in NAMES if REGISTRY[n].emit_method is not None])
def test_emit_method_is_emit(name: str) -> None:
    # the method form stands for ``emit`` on numpy arrays and scalars: the same
    # values, types and memory sharing
    prim = REGISTRY[name]
    assert prim.emit is not None and prim.emit_method is not None
    zero_d = {
        "reshape": [
            ((np.asarray(1.5),), {"new_sizes": (1, 1)}),
            ((np.asarray(2.0),), {"new_sizes": ()}),
        ],
        "transpose": [((np.asarray(1.5),), {"permutation": ()})],
        "reduce_sum": [((np.asarray(1.5),), {"axes": ()})],
    }
    cases = [*_cases(prim), *zero_d.get(name, [])]
    for args, params in list(cases):
        if np.ndim(args[0]) == 0:  # a numpy scalar as well as a 0-d array
            cases.append(((np.float64(np.asarray(args[0])), *args[1:]), params))
    assert cases
    for args, params in cases:
        names = [f"a{k}" for k in range(len(args))]
        env = {"np": np, **dict(zip(names, args, strict=True))}
        by_fn = eval(prim.emit(*names, **params), env)
        by_method = eval(prim.emit_method(*names, **params), env)
        assert type(by_method) is type(by_fn), (name, params)
        np.testing.assert_array_equal(by_method, by_fn)
        assert _shared([by_method], args) == _shared([by_fn], args), (name, params)


# ---------------------------------------------------------------------------
# jit with views the liveness analysis must see
# ---------------------------------------------------------------------------


def _test_primitive(name: str, impl: Any, returns_view: bool) -> Primitive:
    prim = REGISTRY.get(name)
    if prim is None:
        prim = Primitive(name)
        prim.impl = impl
        prim.abstract_eval = lambda *avals: avals[-1]
        prim.returns_view = returns_view
        deflinear(prim, lambda ct, *args: bind(prim, *[ct] * len(args)))
    return prim


def test_an_impl_handing_back_its_second_operand_keeps_it_alive() -> None:
    # second(x, y) is y itself: y's buffer must not receive cos(y) while the
    # result of second is alive
    second = _test_primitive("test_views_second", lambda x, y: y, returns_view=False)

    def f(x: Any) -> Any:
        y = fnp.sin(x)
        z = bind(second, x, y)
        return z + fnp.cos(y)

    x = np.linspace(0.1, 0.9, 4)
    expected = np.sin(x) + np.cos(np.sin(x))
    np.testing.assert_allclose(f(x), expected, rtol=1e-14)
    np.testing.assert_allclose(fd.jit(f)(x), expected, rtol=1e-14)
    closed = fd.make_jaxpr(f)(x)
    live = _Liveness(closed.jaxpr)
    cos = next(i for i, e in enumerate(closed.jaxpr.eqns) if e.primitive.name == "cos")
    assert cos not in live.reuse
    fn, _ = compile_jaxpr(closed)
    np.testing.assert_allclose(fn(x)[0], expected, rtol=1e-14)


def test_a_declared_view_of_a_temporary_blocks_reuse_until_the_view_dies() -> None:
    # flip returns a view of its operand, and says so; no emit: runs its impl
    flip = _test_primitive("test_views_flip", lambda x: np.flip(x, -1), returns_view=True)

    def f(x: Any) -> Any:
        y = fnp.sin(x)
        v = bind(flip, y)
        w = fnp.exp(y)  # y dies here, but v (a view of y) lives on
        return v * w

    x = np.array([0.1, 0.2, 0.3])
    expected = np.flip(np.sin(x)) * np.exp(np.sin(x))
    closed = fd.make_jaxpr(f)(x)
    live = _Liveness(closed.jaxpr)
    exp = next(i for i, e in enumerate(closed.jaxpr.eqns) if e.primitive.name == "exp")
    assert exp not in live.reuse
    np.testing.assert_allclose(fd.jit(f)(x), expected, rtol=1e-14)


def test_views_of_outputs_are_copied_once_claimed() -> None:
    # two outputs sharing a buffer: the caller gets two independent arrays
    def f(x: Any) -> Any:
        y = fnp.sin(x)
        return y, fnp.reshape(y, (2, 2))

    x = np.linspace(0.0, 1.0, 4)
    closed = fd.make_jaxpr(f)(x)
    assert _Liveness(closed.jaxpr).out_wrap == ["", "_copy"]
    a, b = fd.jit(f)(x)
    assert not np.shares_memory(a, b)
    a[0] = 7.0
    assert b[0, 0] == np.sin(0.0)

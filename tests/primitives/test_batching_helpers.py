"""Declaring a primitive in one expression, and the shared batch rules.

- ``funcdiff.primitives.batching``: ``front_batch``, ``vectorized_batch``
  (``def_vectorized``) and ``keep_axis_batch`` agree with a Python loop over
  the batch for every placement of the batch axes, and record what they say
  (a transpose to the front, or nothing).
- ``Primitive(name, impl=..., ...)``: one expression declares a primitive
  that works under grad, jvp, vmap and jit; an unknown keyword is a
  TypeError naming it; a rule given by keyword overrides ``rules=``.
- The hand-written move-to-front helpers are gone from the primitives.

The test primitives are declared when a test first uses them, not at
import, so the registry sweeps (which list REGISTRY when collected) do not
pick them up.
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.core.ir import ShapedArray, aval_of
from funcdiff.core.primitive import REGISTRY, Primitive
from funcdiff.core.trace import bind
from funcdiff.primitives import shape as sh
from funcdiff.primitives.batching import (
    def_vectorized,
    front_batch,
    keep_axis_batch,
    shift,
    to_front,
    vectorized_batch,
)
from funcdiff.primitives.rules import def_zero_derivative, linear

PACKAGE = Path(fd.__file__).resolve().parent
#: the family files whose declarations and batch rules use the helpers
FAMILIES = ("shape", "reductions", "indexing", "linalg", "control")


def _fresh(name: str) -> str:
    """A primitive name not yet registered (tests may run twice in a session)."""
    k = 0
    while f"{name}{k}" in REGISTRY:
        k += 1
    return f"{name}{k}"


def _looped(
    f: Callable[..., Any], args: Sequence[np.ndarray], in_axes: Sequence[int | None]
) -> np.ndarray:
    n = next(a.shape[d] for a, d in zip(args, in_axes, strict=True) if d is not None)
    outs = [
        f(*[a if d is None else np.take(a, i, axis=d) for a, d in zip(args, in_axes, strict=True)])
        for i in range(n)
    ]
    return np.stack([np.asarray(o) for o in outs])


def _check_vmap(
    f: Callable[..., Any], args: Sequence[np.ndarray], in_axes: Sequence[int | None]
) -> None:
    got = fd.vmap(f, in_axes=tuple(in_axes))(*args)
    np.testing.assert_allclose(got, _looped(f, args, in_axes), rtol=1e-12, atol=1e-12)
    got_jit = fd.jit(fd.vmap(f, in_axes=tuple(in_axes)))(*args)
    np.testing.assert_allclose(got_jit, _looped(f, args, in_axes), rtol=1e-12, atol=1e-12)


# -- primitives declared in one expression, for the helpers below ------------------------


def _weighted_sum_abstract_eval(x: ShapedArray, y: ShapedArray, *, axis: int) -> ShapedArray:
    if y.shape != (x.shape[axis],):
        raise fd.ShapeError(f"weighted_sum: {y.str_short()} does not fit axis {axis} of x")
    return ShapedArray(tuple(s for i, s in enumerate(x.shape) if i != axis), x.dtype)


def _weighted_sum(x: Any, y: Any, *, axis: int) -> Any:
    return bind(weighted_sum_p(), x, y, axis=axis)


# sum of x * y along ``axis`` of x: front_batch shifts the axis; y is passed
# as it is when unbatched (broadcast=(True, False)), so y stays a vector
@functools.cache
def weighted_sum_p() -> Primitive:
    return Primitive(
        _fresh("test_weighted_sum"),
        impl=lambda x, y, *, axis: np.tensordot(np.moveaxis(x, axis, -1), y, axes=1),
        abstract_eval=_weighted_sum_abstract_eval,
        batch=front_batch(lambda n, *, axis: {"axis": axis + 1}, broadcast=(True, False)),
    )


# a primitive acting on the last axis, mapping over the leading ones
@functools.cache
def cumprod_last_p() -> Primitive:
    return Primitive(
        _fresh("test_cumprod_last"),
        impl=lambda x: np.cumprod(x, axis=-1),
        abstract_eval=lambda x: x,
        batch=vectorized_batch,
    )


# keep_axis_batch: a reduction over ``axes``, an axis-preserving scan, and an
# integer-valued reduction along one ``axis``
@functools.cache
def sumsq_p() -> Primitive:
    return Primitive(
        _fresh("test_sumsq"),
        impl=lambda x, *, axes: np.sum(np.square(x), axis=axes),
        abstract_eval=lambda x, *, axes: ShapedArray(
            tuple(s for i, s in enumerate(x.shape) if i not in axes), x.dtype
        ),
        batch=keep_axis_batch("axes", removes=True),
    )


@functools.cache
def cummax_p() -> Primitive:
    return Primitive(
        _fresh("test_cummax"),
        impl=lambda x, *, axis: np.maximum.accumulate(x, axis=axis),
        abstract_eval=lambda x, *, axis: x,
        batch=keep_axis_batch("axis"),
    )


@functools.cache
def argmax_like_p() -> Primitive:
    return Primitive(
        _fresh("test_argmax_like"),
        impl=lambda x, *, axis: np.argmax(x, axis=axis),
        abstract_eval=lambda x, *, axis: ShapedArray(
            tuple(s for i, s in enumerate(x.shape) if i != axis), np.dtype(np.int64)
        ),
        rules=def_zero_derivative,
        batch=keep_axis_batch("axis", removes=True),
    )


def _batched(rng: np.random.Generator, shape: tuple[int, ...], d: int | None) -> np.ndarray:
    """Random values of ``shape`` with a batch axis of 5 inserted at ``d``."""
    full = list(shape)
    if d is not None:
        full.insert(d, 5)
    return rng.normal(size=full)


# -- front_batch ---------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("d", [0, 1, 2, 3])
def test_front_batch_matches_loop(axis: int, d: int) -> None:
    rng = np.random.default_rng(0)
    x = _batched(rng, (2, 3, 4), d)
    y = rng.normal(size=((2, 3, 4)[axis],))
    _check_vmap(lambda a, b: _weighted_sum(a, b, axis=axis), [x, y], [d, None])


@pytest.mark.parametrize("in_axes", list(itertools.product([0, 1, None], [0, 1, None])))
def test_front_batch_broadcasts_unbatched_operands(in_axes: tuple[int | None, int | None]) -> None:
    """concatenate's rule is front_batch: every placement of two operands' batch axes."""
    if in_axes == (None, None):
        return
    rng = np.random.default_rng(1)
    args = [_batched(rng, (2, 3), in_axes[0]), _batched(rng, (2, 4), in_axes[1])]
    _check_vmap(lambda a, b: fnp.concatenate([a, b], axis=1), args, in_axes)


def test_front_batch_params_get_the_batch_size() -> None:
    """reshape's params need the batch size: (n, *new_sizes)."""
    x = np.arange(24.0).reshape(2, 3, 4)
    for d in range(3):
        xs = np.moveaxis(x, 0, d)
        _check_vmap(lambda a: sh.reshape(a, (12,)), [xs], [d])
    jaxpr = fd.make_jaxpr(fd.vmap(lambda a: sh.reshape(a, (12,)), in_axes=1))(np.zeros((3, 2, 4)))
    text = str(jaxpr)
    assert "transpose[permutation=(1, 0, 2)]" in text, text
    assert "new_sizes=(2, 12)" in text, text


def test_shift_and_to_front() -> None:
    assert shift((0, 2)) == (1, 3)
    x = np.arange(6.0).reshape(2, 3)
    assert to_front(x, None) is x
    np.testing.assert_array_equal(to_front(x, 1), x.T)
    b = to_front(x, None, 4)
    assert b.shape == (4, 2, 3)
    np.testing.assert_array_equal(b[3], x)


# -- vectorized_batch / def_vectorized -----------------------------------------------------------


@pytest.mark.parametrize("d", [0, 1, 2])
def test_vectorized_batch_matches_loop(d: int) -> None:
    x = np.random.default_rng(2).uniform(0.5, 1.5, size=(3, 4, 5))
    _check_vmap(lambda a: bind(cumprod_last_p(), a), [x], [d])


def test_def_vectorized_sets_the_rule() -> None:
    prim = Primitive(
        _fresh("test_flip_last"), impl=lambda x: np.flip(x, -1).copy(), abstract_eval=lambda x: x
    )
    assert prim.batch is None
    def_vectorized(prim)
    x = np.arange(12.0).reshape(3, 4)
    _check_vmap(lambda a: bind(prim, a), [x], [1])


def test_linalg_rules_are_vectorized() -> None:
    """A matrix function batched at axis 2 of a (n, n, b) stack: solve per member."""
    rng = np.random.default_rng(3)
    a = rng.normal(size=(3, 3, 4)) + 4.0 * np.eye(3)[:, :, None]
    _check_vmap(fnp.linalg.det, [a], [2])
    _check_vmap(fnp.linalg.inv, [a], [2])
    b = rng.normal(size=(3, 4))
    _check_vmap(fnp.linalg.solve, [a, b], [2, 1])
    _check_vmap(fnp.linalg.solve, [a, b[:, 0]], [2, None])
    _check_vmap(fnp.linalg.solve, [a[:, :, 0], b], [None, 1])  # one factorization


# -- keep_axis_batch ---------------------------------------------------------------------------


@pytest.mark.parametrize("d", [0, 1, 2, 3])
@pytest.mark.parametrize("axes", [(0,), (2,), (0, 1), (0, 2)])
def test_keep_axis_batch_reduction(d: int, axes: tuple[int, ...]) -> None:
    x = np.random.default_rng(4).normal(size=(5, 2, 3, 4))
    xs = np.moveaxis(x, 0, d)
    _check_vmap(lambda a: bind(sumsq_p(), a, axes=axes), [xs], [d])
    _check_vmap(lambda a: bind(argmax_like_p(), a, axis=axes[-1]), [xs], [d])


@pytest.mark.parametrize("d", [0, 1, 2])
@pytest.mark.parametrize("axis", [0, 1])
def test_keep_axis_batch_records_no_transpose(d: int, axis: int) -> None:
    x = np.random.default_rng(5).normal(size=(5, 3, 4))
    xs = np.moveaxis(x, 0, d)
    _check_vmap(lambda a: bind(cummax_p(), a, axis=axis), [xs], [d])
    _check_vmap(lambda a: fnp.cumsum(a, axis=axis), [xs], [d])
    batched = fd.vmap(lambda a: bind(cummax_p(), a, axis=axis), in_axes=d, out_axes=d)
    text = str(fd.make_jaxpr(batched)(xs))
    assert "transpose" not in text, text
    assert f"axis={axis + (axis >= d)}" in text, text


# -- the keyword constructor ----------------------------------------------------------------


def test_unknown_keyword_is_a_type_error_naming_it() -> None:
    name = _fresh("test_typo")
    with pytest.raises(TypeError, match="batc"):
        Primitive(name, impl=np.sin, batc=None)  # type: ignore[call-arg]
    assert name not in REGISTRY


def test_duplicate_name_is_an_error() -> None:
    with pytest.raises(ValueError, match="defined twice"):
        Primitive("reshape", impl=np.reshape)


def _scale_abstract_eval(x: ShapedArray, *, axis: int, factors: tuple[float, ...]) -> ShapedArray:
    if not 0 <= axis < x.ndim or x.shape[axis] != len(factors):
        raise fd.ShapeError(f"scale: axis {axis} of {x.str_short()} does not have {factors}")
    return x


def _scale_impl(x: Any, *, axis: int, factors: tuple[float, ...]) -> Any:
    shape = [1] * np.ndim(x)
    shape[axis] = len(factors)
    return np.asarray(x) * np.reshape(factors, shape)


def scale(x: Any, factors: tuple[float, ...], axis: int = 0) -> Any:
    """``x`` with slice ``i`` along ``axis`` multiplied by ``factors[i]``."""
    return bind(scale_p(), x, axis=axis, factors=factors)


# one expression: linear (jvp and vjp come from the transpose, which is scale
# itself), batched with the batch axis in front and the axis param shifted;
# the rules name scale (and so scale_p()) only when they run
@functools.cache
def scale_p() -> Primitive:
    return Primitive(
        _fresh("test_scale"),
        impl=_scale_impl,
        abstract_eval=_scale_abstract_eval,
        rules=linear(lambda ct, x, *, axis, factors: scale(ct, factors, axis)),
        batch=front_batch(lambda n, *, axis, factors: {"axis": axis + 1}),
        samples=lambda rng: [
            ((rng.normal(size=(3, 2)),), {"axis": 0, "factors": (2.0, -1.0, 0.5)}),
            ((rng.normal(size=(2, 3)),), {"axis": 1, "factors": (2.0, -1.0, 0.5)}),
        ],
    )


_F = (2.0, -1.0, 0.5)


def _loss(x: Any) -> Any:
    return fnp.sum(scale(x, _F, axis=1) ** 2)


def test_one_expression_primitive_under_every_transform() -> None:
    x = np.arange(6.0).reshape(2, 3) + 1.0
    want = 2.0 * x * np.asarray(_F) ** 2
    np.testing.assert_allclose(fd.grad(_loss)(x), want)
    np.testing.assert_allclose(fd.jit(fd.grad(_loss))(x), want)
    np.testing.assert_allclose(fd.jit(_loss)(x), _loss(x))
    _, t = fd.jvp(lambda v: scale(v, _F, axis=1), (x,), (np.ones_like(x),))
    np.testing.assert_allclose(t, np.ones_like(x) * np.asarray(_F))
    fd.check_grads(_loss, (x,), order=2)
    xs = np.random.default_rng(6).normal(size=(5, 3, 2))
    for d in range(3):
        _check_vmap(lambda v: scale(v, _F, axis=0), [np.moveaxis(xs, 0, d)], [d])
    np.testing.assert_allclose(
        fd.vmap(fd.grad(_loss))(np.stack([x, 2 * x])), np.stack([want, 2 * want])
    )
    # the samples pass the checks of the registry sweep
    for args, params in scale_p().samples(np.random.default_rng(0)):
        aval = scale_p().abstract_eval(*[aval_of(a) for a in args], **params)
        assert aval.shape == np.shape(scale_p().impl(*args, **params))
        fd.check_grads(lambda *a, p=params: bind(scale_p(), *a, **p), args, order=2)


def test_keyword_rule_overrides_rules() -> None:
    def my_jvp(primals: Any, tangents: Any, out: Any) -> Any:
        return fnp.multiply(tangents[0], 3.0)

    prim = Primitive(
        _fresh("test_override"),
        impl=lambda x: 2.0 * np.asarray(x),
        abstract_eval=lambda x: x,
        rules=linear(lambda ct, x: fnp.multiply(ct, 2.0)),
        jvp=my_jvp,
    )
    assert prim.jvp is my_jvp
    assert prim.vjp is not None
    _, t = fd.jvp(lambda v: bind(prim, v), (1.0,), (1.0,))
    assert float(t) == 3.0
    assert float(fd.grad(lambda v: bind(prim, v))(1.0)) == 2.0


def test_registry_primitives_have_every_rule_from_their_declaration() -> None:
    for name in ("reshape", "slice", "cumsum", "rev", "argsort", "solve", "svd", "concatenate"):
        prim = REGISTRY[name]
        for kind in ("impl", "abstract_eval", "jvp", "vjp", "batch"):
            assert getattr(prim, kind) is not None, (name, kind)
        assert prim.samples(np.random.default_rng(0)), name
    assert REGISTRY["reshape"].returns_view
    assert REGISTRY["argsort"].zero_derivative


# -- no hand-written copies remain ----------------------------------------------------------


def test_no_move_to_front_copies_in_primitives() -> None:
    """The batch rules use funcdiff.primitives.batching, not their own copies."""
    pattern = re.compile(r"def (_move_to_front|_front|_to_front|_unary_batch)\b")
    files = [*(PACKAGE / "primitives").glob("*.py"), PACKAGE / "custom.py"]
    found = [f"{p.name}: {m.group(1)}" for p in files for m in pattern.finditer(p.read_text())]
    assert found == []
    # and the batch rules of these families do not spell the move themselves
    moves = re.compile(r"moveaxis\((\w+), (\w+), 0\)")
    spelled = [
        f"{name}: {m.group(0)}"
        for name in FAMILIES
        for m in moves.finditer((PACKAGE / "primitives" / f"{name}.py").read_text())
    ]
    assert spelled == []


def test_family_files_declare_each_primitive_in_one_expression() -> None:
    """No ``x_p.rule = ...`` assignment after a declaration in these files:
    every rule is a keyword of the one ``Primitive(...)`` expression."""
    files = [
        *(PACKAGE / "primitives" / f"{name}.py" for name in FAMILIES),
        PACKAGE / "custom.py",
    ]
    late = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else []
            for t in targets:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name):
                    if t.value.id.endswith("_p") or t.value.id == "prim":
                        late.append(f"{path.name}:{node.lineno}: {ast.unparse(t)}")
    assert late == []

"""The interpreter skeleton: rules in list form, one zero, one missing-rule error."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.core.ir import ShapedArray
from funcdiff.core.primitive import REGISTRY, Primitive, Zero, list_form, load_families, zero_of
from funcdiff.core.trace import bind
from funcdiff.errors import MissingRuleError
from funcdiff.interpreters.eval import eval_jaxpr
from funcdiff.primitives import elementwise as ew

PACKAGE = Path(fd.__file__).parent

#: where ``multiple_results`` may be named: the Primitive, ``bind`` (whose
#: traced half, ``JaxprTrace.process``, is in the same module) and the code
#: generator, which writes the tuple unpacking of an author's ``impl``.
ALLOWED = {"core/primitive.py", "core/trace.py", "interpreters/codegen.py"}


def test_only_the_primitive_and_bind_know_multiple_results() -> None:
    mentions = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if re.search(r"\.multiple_results\b", p.read_text())
    }
    assert mentions <= ALLOWED, sorted(mentions - ALLOWED)
    trace = (PACKAGE / "core/trace.py").read_text()
    in_bind = [m.start() for m in re.finditer(r"\.multiple_results\b", trace)]
    start, end = trace.index("def bind("), trace.index("def _check_abstract")
    proc = trace.index("    def process(")
    proc_end = trace.index("    def to_jaxpr(")
    assert all(start < i < end or proc < i < proc_end for i in in_bind)


# a user's single-result primitive: scale(x, a) = a * x, rules in single form
scale_p = Primitive("test_interp_scale")
scale_p.impl = lambda x, *, a: np.multiply(x, a)
scale_p.abstract_eval = lambda x, *, a: x
scale_p.jvp = lambda primals, tangents, out, *, a: ew.mul(tangents[0], a)
scale_p.vjp = lambda ct, primals, out, needs, *, a: [ew.mul(ct, a)]
scale_p.batch = lambda args, dims, *, a: (bind(scale_p, args[0], a=a), dims[0])


def scale(x: Any, a: float) -> Any:
    return bind(scale_p, x, a=a)


# a user's two-result primitive: (sin x, cos x), rules in list form
sincos_p = Primitive("test_interp_sincos", multiple_results=True)
sincos_p.impl = lambda x: [np.sin(x), np.cos(x)]
sincos_p.abstract_eval = lambda x: [x, x]


def _sincos_jvp(primals: Sequence[Any], tangents: Sequence[Any], outs: Sequence[Any]) -> list[Any]:
    s, c = outs
    return [ew.mul(tangents[0], c), ew.neg(ew.mul(tangents[0], s))]


def _sincos_vjp(
    cts: Sequence[Any], primals: Sequence[Any], outs: Sequence[Any], needs: Sequence[bool]
) -> list[Any]:
    s, c = outs
    total: Any = zero_of(primals[0])
    if not isinstance(cts[0], Zero):
        total = ew.mul(cts[0], c)
    if not isinstance(cts[1], Zero):
        term = ew.neg(ew.mul(cts[1], s))
        total = term if isinstance(total, Zero) else ew.add(total, term)
    return [total]


sincos_p.jvp = _sincos_jvp
sincos_p.vjp = _sincos_vjp
sincos_p.batch = lambda args, dims: (bind(sincos_p, args[0]), [dims[0], dims[0]])

# users' primitives, not funcdiff's: kept out of the registry the sweep tests walk
del REGISTRY[scale_p.name], REGISTRY[sincos_p.name]


def test_single_result_user_primitive_through_every_transform() -> None:
    x = np.array([0.5, -1.0, 2.0])
    f = lambda x: fnp.sum(scale(fnp.sin(x), 3.0))  # noqa: E731
    np.testing.assert_allclose(scale(x, 3.0), 3.0 * x)
    np.testing.assert_allclose(fd.grad(f)(x), 3.0 * np.cos(x))
    np.testing.assert_allclose(fd.jvp(lambda x: scale(x, 2.0), (x,), (x,))[1], 2.0 * x)
    np.testing.assert_allclose(fd.vmap(lambda r: scale(r, 2.0))(np.ones((2, 3))), 2.0)
    np.testing.assert_allclose(fd.jit(f)(x), f(x))
    np.testing.assert_allclose(fd.jit(fd.grad(f))(x), 3.0 * np.cos(x))
    closed = fd.make_jaxpr(f)(x)
    np.testing.assert_allclose(eval_jaxpr(closed.jaxpr, closed.consts, [x])[0], f(x))
    np.testing.assert_allclose(fd.grad(fd.grad(lambda s: scale(s * s, 2.0)))(1.5), 4.0)
    # the rules are filed in list form: the registry holds list-returning rules
    assert scale_p.rule("impl")(x, a=2.0)[0].tolist() == (2.0 * x).tolist()
    (t,) = scale_p.rule("jvp")([x], [x], [2.0 * x], a=2.0)
    np.testing.assert_allclose(t, 2.0 * x)
    outs, dims = scale_p.rule("batch")([x], [0], a=2.0)
    assert dims == [0] and len(outs) == 1


def test_multiple_result_user_primitive_through_every_transform() -> None:
    x = np.array([0.5, -1.0, 2.0])

    def f(x: Any) -> Any:
        s, c = bind(sincos_p, x)
        return fnp.sum(s * 2.0 + c)

    np.testing.assert_allclose(f(x), np.sum(2 * np.sin(x) + np.cos(x)))
    want = 2 * np.cos(x) - np.sin(x)
    np.testing.assert_allclose(fd.grad(f)(x), want)
    np.testing.assert_allclose(fd.jit(fd.grad(f))(x), want)
    np.testing.assert_allclose(fd.jvp(f, (x,), (np.ones(3),))[1], want.sum())
    np.testing.assert_allclose(fd.vmap(f)(np.stack([x, x])), [f(x), f(x)])
    closed = fd.make_jaxpr(lambda x: bind(sincos_p, x))(x)
    s, c = eval_jaxpr(closed.jaxpr, closed.consts, [x])
    np.testing.assert_allclose(s, np.sin(x))
    np.testing.assert_allclose(c, np.cos(x))
    # only one output used: the other's cotangent reaches the rule as a Zero
    np.testing.assert_allclose(fd.grad(lambda x: fnp.sum(bind(sincos_p, x)[1]))(x), -np.sin(x))


def test_missing_rule_names_primitive_and_transform() -> None:
    p = Primitive("test_interp_nojvp")
    del REGISTRY[p.name]
    p.impl = np.negative
    p.abstract_eval = lambda x: x
    with pytest.raises(MissingRuleError, match=r"'test_interp_nojvp' has no vjp rule, so this"):
        fd.grad(lambda x: bind(p, x))(1.0)
    with pytest.raises(MissingRuleError, match=r"'test_interp_nojvp' has no batch rule"):
        fd.vmap(lambda x: bind(p, x))(np.ones(2))
    with pytest.raises(MissingRuleError, match=r"has no jvp rule"):
        p.rule("jvp")
    p.jvp = lambda primals, tangents, out: ew.neg(tangents[0])  # assigned later: filed too
    assert fd.jvp(lambda x: bind(p, x), (1.0,), (1.0,))[1] == -1.0


def test_backward_pass_gives_zero_never_none() -> None:
    from funcdiff.interpreters.vjp import backward_pass
    from funcdiff.see import evaluate_env

    closed = fd.make_jaxpr(lambda x, n: x * 2.0)(1.0, 1.0)
    env = evaluate_env(closed, [1.0, 1.0])
    seen: list[list[Any]] = []
    res = backward_pass(
        closed.jaxpr, env, [np.float64(1.0)], observe=lambda e, c, s: seen.append(s)
    )
    assert float(res[0]) == 2.0 and isinstance(res[1], Zero)
    assert res[1].aval == ShapedArray((), np.dtype(np.float64))
    assert all(c is not None for s in seen for c in s)
    assert fd.grad(lambda x, n: x * 2.0, argnums=1)(1.0, 1.0) == 0.0  # users never see Zero


def test_rules_are_filed_in_list_form_however_assigned() -> None:
    p = Primitive("test_interp_setattr")
    del REGISTRY[p.name]
    setattr(p, "impl", np.negative)  # noqa: B010 (the keyword constructor's way)
    assert p.rule("impl")(np.ones(2))[0].tolist() == [-1.0, -1.0]
    assert p.impl is np.negative  # the author's form stays on the attribute
    p.multiple_results = True  # now the same function is the list form itself
    assert p.rule("impl") is np.negative

    @list_form
    def jvp(primals: Any, tangents: Any, outs: Any) -> list[Any]:
        return [tangents[0]]

    q = Primitive("test_interp_listform")
    del REGISTRY[q.name]
    q.jvp = jvp
    assert q.rule("jvp") is jvp  # already in list form: not wrapped


def _registry() -> list[str]:

    load_families()  # every family registers its primitives
    return sorted(n for n in REGISTRY if not n.startswith("test_"))


@pytest.mark.parametrize("name", _registry())
def test_vjp_rules_return_zero_never_none(name: str) -> None:
    """Every built-in VJP rule, on its samples, in list form: one entry per
    input, a ``Zero`` (never None) for inputs not needed or without cotangent."""
    prim = REGISTRY[name]
    vjp = prim.rule("vjp")
    for args, params in prim.samples(np.random.default_rng(0))[:2]:
        outs = prim.rule("impl")(*args, **params)
        float_outs = [np.asarray(o).dtype.kind in "fc" for o in outs]
        if not any(float_outs):
            continue  # never active: the backward pass does not visit it
        cts = [np.ones_like(o) if f else zero_of(o) for o, f in zip(outs, float_outs, strict=True)]
        ins = list(args)
        for needs in ([False] * len(ins), [np.asarray(a).dtype.kind in "fc" for a in ins]):
            res = vjp(cts, ins, outs, needs, **params)
            assert len(res) == len(ins)
            assert all(r is not None for r in res), f"{name}: None in {res}"

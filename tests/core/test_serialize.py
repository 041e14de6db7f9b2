"""Saving and loading jaxprs: pickle and the JSON form (funcdiff.serialize).

Every registry primitive's samples and the jaxprs of grad/hessian/jvp/vmap of
a few programs must round-trip: the printed jaxpr is identical and the loaded
jaxpr evaluates bit for bit like the original.
"""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.lax as lax
import funcdiff.numpy as fnp
from funcdiff.core.ir import ClosedJaxpr, Eqn, Literal, Var
from funcdiff.core.primitive import REGISTRY, Primitive, load_families
from funcdiff.interpreters.eval import eval_jaxpr
from funcdiff.serialize import (
    SerializationError,
    UnknownPrimitiveError,
    from_json,
    load_jaxpr,
    register_param_type,
    save_jaxpr,
    to_json,
)

load_families()  # every family registers its primitives

NAMES = sorted(REGISTRY)


def _run(closed: ClosedJaxpr, args: Any) -> list[Any]:
    return eval_jaxpr(closed.jaxpr, closed.consts, list(args))


def _same_bits(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _roundtrips(closed: ClosedJaxpr) -> list[tuple[str, ClosedJaxpr]]:
    return [
        ("pickle", pickle.loads(pickle.dumps(closed))),
        ("json", from_json(to_json(closed))),
    ]


def _check(closed: ClosedJaxpr, args: Any) -> None:
    want = _run(closed, args)
    for how, loaded in _roundtrips(closed):
        assert str(loaded) == str(closed), how
        got = _run(loaded, args)
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert _same_bits(g, w), (how, g, w)


def _samples(prim: Primitive) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    return list(prim.samples(np.random.default_rng(0)))


def test_some_primitives_have_samples() -> None:
    assert sum(1 for n in NAMES if _samples(REGISTRY[n])) > 80


@pytest.mark.parametrize("name", NAMES)
def test_registry_primitive_roundtrips(name: str) -> None:
    prim = REGISTRY[name]
    for args, params in _samples(prim):

        def f(*xs: Any, _p: dict[str, Any] = params) -> Any:
            return prim.bind(*xs, **_p)

        closed = fd.make_jaxpr(f)(*args)
        assert any(e.primitive is prim for e in closed.eqns)
        _check(closed, args)


# ---------------------------------------------------------------- programs


def lecture(x: Any, y: Any) -> Any:
    return x**2 * fnp.exp(x + fnp.cos(y))


def rosenbrock(v: Any) -> Any:
    return fnp.sum(100.0 * (v[1:] - v[:-1] ** 2) ** 2 + (1.0 - v[:-1]) ** 2)


_W1 = np.random.default_rng(3).standard_normal((3, 4))
_W2 = np.random.default_rng(4).standard_normal((4, 1))


def mlp(x: Any) -> Any:
    h = fnp.tanh(x @ _W1)
    return fnp.sum(fnp.tanh(h @ _W2))


def control(x: Any) -> Any:
    y = lax.cond(x > 0.5, lambda a: fnp.sin(a), lambda a: fnp.cos(a) * 2.0, x)

    def step(c: Any, xi: Any) -> tuple[Any, Any]:
        return c * xi + fnp.sin(c), c

    c, _ = lax.scan(step, y, fnp.array([0.5, 1.5, 2.0]))
    return lax.fori_loop(0, 3, lambda i, a: a * 0.9 + fnp.cos(a), c)


def loop(x: Any) -> Any:
    # reverse mode through while_loop needs concrete values: jvp and vmap only
    return lax.while_loop(lambda a: a < 10.0, lambda a: a * 1.7 + fnp.sin(x), x + 1.0)


@fd.custom_jvp
def softplus(x: Any) -> Any:
    return fnp.log1p(fnp.exp(x))


@softplus.defjvp
def _softplus_jvp(primals: Any, tangents: Any) -> Any:
    (x,), (t,) = primals, tangents
    return softplus(x), t / (1.0 + fnp.exp(-x))


@fd.custom_vjp
def clip_grad(x: Any) -> Any:
    return fnp.sin(x)


def _clip_fwd(x: Any) -> Any:
    return fnp.sin(x), fnp.cos(x)


def _clip_bwd(c: Any, g: Any) -> Any:
    return (fnp.clip(g * c, -0.5, 0.5),)


clip_grad.defvjp(_clip_fwd, _clip_bwd)


def customs(x: Any) -> Any:
    return softplus(x) * clip_grad(x) + fd.checkpoint(lambda a: fnp.sin(fnp.sin(a)))(x)


X3 = np.array([0.3, -1.2, 0.8])
PROGRAMS: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("lecture", lecture, (0.7, 1.3)),
    ("rosenbrock", rosenbrock, (np.array([0.5, 1.5, -0.3, 2.0]),)),
    ("mlp", lambda x: mlp(x), (X3,)),
    ("control", control, (0.3,)),
    ("customs", customs, (0.4,)),
    ("loop", loop, (0.3,)),
]


def _transforms(
    f: Callable[..., Any], args: tuple[Any, ...]
) -> list[tuple[str, Any, tuple[Any, ...]]]:
    tangents = tuple(np.ones_like(np.asarray(a, dtype=float)) for a in args)
    batched = tuple(
        np.stack([np.asarray(a, dtype=float)] * 2)
        * np.array([1.0, 0.9]).reshape((2,) + (1,) * np.ndim(a))
        for a in args
    )
    reverse = [] if f is loop else [("grad", fd.grad(f), args), ("hessian", fd.hessian(f), args)]
    return [
        ("plain", f, args),
        *reverse,
        ("jvp", lambda *a: fd.jvp(f, a, tangents), args),
        ("vmap", fd.vmap(f), batched),
    ]


CASES = [(name, kind, g, a) for name, f, args in PROGRAMS for kind, g, a in _transforms(f, args)]


@pytest.mark.parametrize(
    ("name", "kind", "g", "args"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_transform_jaxprs_roundtrip(
    name: str, kind: str, g: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    closed = fd.make_jaxpr(g)(*args)
    _check(closed, args)
    want = _run(closed, args)
    for how, loaded in _roundtrips(closed):
        got = fd.jit(lambda *a, _c=loaded: _run(_c, a))(*args)
        for x, w in zip(got, want, strict=True):
            np.testing.assert_allclose(x, w, rtol=1e-13, atol=1e-300, err_msg=how)


def test_nested_jaxpr_params_survive() -> None:
    closed = fd.make_jaxpr(fd.grad(control))(0.3)
    names = {e.primitive.name for e in closed.eqns}
    assert {"cond", "scan"} <= names
    loop_jvp = fd.make_jaxpr(lambda x: fd.jvp(loop, (x,), (1.0,)))(0.3)
    assert "while" in {e.primitive.name for e in loop_jvp.eqns}
    loaded = from_json(to_json(closed))
    subs = [p for e in loaded.eqns for p in e.params.values() if isinstance(p, ClosedJaxpr)]
    assert subs


def test_variable_sharing_survives_pickle() -> None:
    closed = fd.make_jaxpr(fd.grad(lecture))(0.7, 1.3)
    for _, loaded in _roundtrips(closed):
        ids = {id(v) for e in loaded.eqns for v in e.invars if isinstance(v, Var)}
        defined = (
            {id(v) for v in loaded.jaxpr.invars}
            | {id(v) for e in loaded.eqns for v in e.outvars}
            | {id(v) for v in loaded.jaxpr.constvars}
        )
        assert ids <= defined


# ---------------------------------------------------------------- exactness


SPECIAL = np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, 0.1, 1.0 / 3.0])


def test_special_consts_roundtrip_exactly() -> None:
    closed = fd.make_jaxpr(lambda x: x + SPECIAL)(1.0)
    assert closed.consts
    for how, loaded in _roundtrips(closed):
        for c, d in zip(closed.consts, loaded.consts, strict=True):
            assert _same_bits(c, d), how


@pytest.mark.parametrize("val", [float("nan"), float("inf"), -float("inf"), -0.0, 0.1, 5e-324])
@pytest.mark.parametrize("dtype", [None, np.float32, np.float64])
def test_special_literals_roundtrip_exactly(val: float, dtype: Any) -> None:
    lit = val if dtype is None else dtype(val)
    x0 = 1.0 if dtype is None else dtype(1.0)
    closed = fd.make_jaxpr(lambda x: x * x)(x0)
    x = closed.jaxpr.invars[0]
    out = Var(closed.jaxpr.outvars[0].aval)
    mul = closed.eqns[0].primitive
    closed.jaxpr.eqns = [Eqn(mul, [x, Literal(lit)], [out], {})]
    closed.jaxpr.outvars = [out]
    for how, loaded in _roundtrips(closed):
        got = loaded.eqns[0].invars[1]
        assert isinstance(got, Literal)
        assert type(got.val) is type(lit), how
        assert _same_bits(got.val, lit), how
        assert str(loaded) == str(closed)


def test_float32_and_int_consts() -> None:
    c32 = np.array([1.5, np.nan, -0.0], dtype=np.float32)
    ci = np.array([[1, -2], [3, 2**40]], dtype=np.int64)
    closed = fd.make_jaxpr(lambda x: (x * c32, ci + 1))(np.float32(1.0))
    _check(closed, (np.float32(1.0),))


# ---------------------------------------------------------------- errors and io


def test_unknown_primitive_named() -> None:
    doc = json.loads(to_json(fd.make_jaxpr(fnp.sin)(1.0)))
    doc["closed_jaxpr"]["jaxpr"]["eqns"][0]["prim"] = "no_such_prim"
    with pytest.raises(UnknownPrimitiveError, match="no_such_prim.*import the module"):
        from_json(json.dumps(doc))
    data = pickle.dumps(fd.make_jaxpr(fnp.sin)(1.0)).replace(b"\x03sin", b"\x03zzz")
    with pytest.raises(UnknownPrimitiveError, match="'zzz'.*import the module"):
        pickle.loads(data)


def test_wrong_version_named() -> None:
    doc = json.loads(to_json(fd.make_jaxpr(fnp.sin)(1.0)))
    doc["version"] = 99
    with pytest.raises(SerializationError, match="version 99"):
        from_json(json.dumps(doc))
    with pytest.raises(SerializationError, match="format"):
        from_json('{"format": "other"}')


def test_bad_types_rejected_on_load() -> None:
    doc = json.loads(to_json(fd.make_jaxpr(fnp.sin)(1.0)))
    doc["closed_jaxpr"]["jaxpr"]["vars"][1] = [[2], "float64"]
    with pytest.raises(TypeError, match="sin"):
        from_json(json.dumps(doc))


def test_unencodable_param_named() -> None:
    closed = fd.make_jaxpr(fnp.sin)(1.0)
    closed.eqns[0].params = {"fun": object()}
    with pytest.raises(SerializationError, match="'sin'.*'fun'.*builtins.object"):
        to_json(closed)


def test_register_param_type() -> None:
    class Tag:
        def __init__(self, v: int) -> None:
            self.v = v

    register_param_type(Tag, "test.Tag", lambda t: t.v, Tag)
    closed = fd.make_jaxpr(fnp.sin)(1.0)
    closed.eqns[0].params = {"extra": (Tag(7),)}
    doc = json.loads(to_json(closed))
    assert doc["closed_jaxpr"]["jaxpr"]["eqns"][0]["params"]["extra"]["v"][0] == {
        "t": "test.Tag",
        "v": 7,
    }


def test_register_param_type_refuses_taken_tags() -> None:
    class Other:
        pass

    with pytest.raises(SerializationError, match="'float' is already taken"):
        register_param_type(Other, "float", str, str)
    with pytest.raises(SerializationError, match="already taken"):
        register_param_type(Other, "funcdiff.SparsePattern", str, str)


def test_save_load_path_and_file(tmp_path: Path) -> None:
    closed = fd.make_jaxpr(fd.grad(rosenbrock))(np.array([0.5, 1.5, -0.3]))
    p = tmp_path / "g.json"
    save_jaxpr(closed, p)
    assert str(load_jaxpr(p)) == str(closed)
    assert str(load_jaxpr(str(p))) == str(closed)
    buf = io.StringIO()
    save_jaxpr(closed, buf)
    buf.seek(0)
    assert str(load_jaxpr(buf)) == str(closed)


def test_fresh_interpreter(tmp_path: Path) -> None:
    args = (0.7, 1.3)
    closed = fd.make_jaxpr(fd.hessian(lecture, argnums=(0, 1)))(*args)
    want = np.concatenate([np.ravel(w) for w in _run(closed, args)])
    save_jaxpr(closed, tmp_path / "h.json")
    (tmp_path / "h.pkl").write_bytes(pickle.dumps(closed))
    code = (
        "import pickle, sys, numpy as np\n"
        "from funcdiff.serialize import load_jaxpr\n"
        "from funcdiff.interpreters.eval import eval_jaxpr\n"
        "for c in (load_jaxpr(sys.argv[1]), pickle.load(open(sys.argv[2], 'rb'))):\n"
        "    out = eval_jaxpr(c.jaxpr, c.consts, [0.7, 1.3])\n"
        "    print(np.concatenate([np.ravel(o) for o in out]).tobytes().hex())\n"
    )
    root = Path(__file__).resolve().parents[2]
    res = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "h.json"), str(tmp_path / "h.pkl")],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(root), "OPENBLAS_NUM_THREADS": "1", "PATH": ""},
    )
    lines = res.stdout.split()
    assert lines == [want.tobytes().hex()] * 2


def test_loaded_custom_rules_still_differentiate() -> None:
    closed = fd.make_jaxpr(customs)(0.4)
    want = fd.grad(lambda x: _run(closed, [x])[0])(0.4)
    assert want == fd.grad(customs)(0.4)
    for how, loaded in _roundtrips(closed):
        got = fd.grad(lambda x, _c=loaded: _run(_c, [x])[0])(0.4)
        assert _same_bits(got, want), how


def test_sparse_pattern_param_roundtrips() -> None:
    from funcdiff.sparse._solve import SparsePattern

    kinds = {
        type(v).__name__
        for args, params in _samples(REGISTRY["sparse_solve"])
        for v in params.values()
    }
    assert "SparsePattern" in kinds
    pat = SparsePattern([0, 1, 1], [0, 0, 1], 2)
    closed = fd.make_jaxpr(fnp.sin)(1.0)
    closed.eqns[0].params = {"pattern": pat}
    doc = json.loads(to_json(closed))
    assert doc["closed_jaxpr"]["jaxpr"]["eqns"][0]["params"]["pattern"]["t"] == (
        "funcdiff.SparsePattern"
    )

"""Taylor mode (``fd.jet``) against nested ``jvp``, up to order 4."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff import jet
from funcdiff.core.primitive import REGISTRY, Primitive, load_families
from funcdiff.errors import MissingRuleError
from funcdiff.tree import tree_flatten

ORDER = 4

load_families()  # every family registers its primitives


def nested_jvp(f: Callable[..., Any], xs: tuple[Any, ...], vs: tuple[Any, ...], k: int) -> Any:
    """The k-th derivative of ``t -> f(xs + t vs)`` at 0, by nesting jvp."""
    g = f
    for _ in range(k):
        g = (lambda h: lambda *a: fd.jvp(h, a, vs)[1])(g)
    return g(*xs)


def check(f: Callable[..., Any], xs: tuple[Any, ...], vs: tuple[Any, ...]) -> None:
    series = tuple((v, *tuple(np.zeros_like(v) for _ in range(ORDER - 1))) for v in vs)
    y, out = jet(f, xs, series)
    ys = tree_flatten(y)[0]
    refs0 = tree_flatten(f(*xs))[0]
    assert len(ys) == len(refs0)
    for a, b in zip(ys, refs0, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12)
    # one list of ORDER arrays per output leaf
    per_leaf = [out] if len(ys) == 1 and not isinstance(y, (tuple, list)) else list(out)
    for k in range(1, ORDER + 1):
        refs = tree_flatten(nested_jvp(f, xs, vs, k))[0]
        for leaf, ref in zip(per_leaf, refs, strict=True):
            got = np.asarray(leaf[k - 1])
            ref = np.asarray(ref)
            if ref.dtype.kind not in "fc":
                continue
            scale = 1 + (np.abs(ref).max() if ref.size else 0.0)
            np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10 * scale)


def test_exp_closed_form() -> None:
    # exp along t -> x + t: every derivative is exp(x); JAX's convention
    _y, (d1, d2, d3) = jet(fnp.exp, (0.5,), ((1.0, 0.0, 0.0),))
    np.testing.assert_allclose([d1, d2, d3], [np.exp(0.5)] * 3, rtol=1e-14)
    # a curve with a second derivative: x(t) = t^2 / 2 (series (0, 1)) -> f''(0) = exp(0) * 1
    _, (e1, e2) = jet(fnp.exp, (0.0,), ((0.0, 1.0),))
    assert float(e1) == 0.0 and abs(float(e2) - 1.0) < 1e-14


def test_sin_closed_form() -> None:
    x = 0.3
    _, s = jet(fnp.sin, (x,), ((1.0, 0.0, 0.0, 0.0),))
    np.testing.assert_allclose(
        s, [np.cos(x), -np.sin(x), -np.cos(x), np.sin(x)], rtol=1e-14, atol=1e-15
    )


@pytest.mark.parametrize(
    "f",
    [
        lambda x: x ** fnp.cos(x),
        lambda x: fnp.log1p(fnp.exp(x)),  # softplus
        lambda x: fnp.tanh(x) * fnp.exp(x) / fnp.sqrt(x),
        lambda x: fnp.sin(x) ** 3 + 1.0 / x**2,
        lambda x: fnp.where(x > 1.0, fnp.exp(x), fnp.log(x)),
        lambda x: fnp.max(fnp.sin(3 * x)),
    ],
    ids=["pow_cos", "softplus", "tanh_exp_sqrt", "integer_pow", "where", "max"],
)
def test_compositions(f: Callable[..., Any]) -> None:
    x = np.array([0.7, 1.3, 2.1])
    v = np.array([0.4, -0.9, 0.3])
    check(f, (x,), (v,))


def test_rosenbrock_along_direction() -> None:
    def rosen(x: Any) -> Any:
        return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    rng = np.random.default_rng(0)
    check(rosen, (rng.normal(size=6),), (rng.normal(size=6),))


def test_tanh_mlp_layer() -> None:
    rng = np.random.default_rng(1)
    W, b = rng.normal(size=(4, 3)), rng.normal(size=4)
    x, vx = rng.normal(size=3), rng.normal(size=3)
    vW = rng.normal(size=(4, 3))
    check(lambda W, x: fnp.tanh(W @ x + b), (W, x), (vW, vx))


# -- the registry --------------------------------------------------------------

#: primitives without a Taylor rule (update when adding one: coverage is visible)
WITHOUT_TAYLOR: list[str] = []


def _float(a: Any) -> bool:
    return np.asarray(a).dtype.kind == "f"


def _funcdiff_owned(p: Any) -> bool:
    """A primitive funcdiff defines (tests register their own, too)."""
    rule = p.abstract_eval
    return str(getattr(rule, "__module__", "")).startswith("funcdiff.")


def _with_rule() -> list[str]:
    return sorted(n for n, p in REGISTRY.items() if p.taylor is not None and _funcdiff_owned(p))


_CLEAN = """
from funcdiff.core.primitive import REGISTRY, load_families
load_families()
print(" ".join(sorted(n for n, p in REGISTRY.items() if p.taylor is None)))
"""


def test_coverage_list() -> None:
    # in a fresh interpreter: tests and docs register primitives of their own
    out = subprocess.run(
        [sys.executable, "-c", _CLEAN],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(fd.__file__).resolve().parents[1])},
    ).stdout
    assert out.split() == WITHOUT_TAYLOR


@pytest.mark.parametrize("name", _with_rule())
def test_registry_taylor_matches_nested_jvp(name: str) -> None:
    prim = REGISTRY[name]
    rng = np.random.default_rng(0)
    for args, params in prim.samples(rng):
        idx = [i for i, a in enumerate(args) if _float(a)]
        if not idx:
            continue

        def f(*fl: Any, args: Any = args, idx: Any = idx, params: Any = params) -> Any:
            full = list(args)
            for i, v in zip(idx, fl, strict=True):
                full[i] = v
            return prim.bind(*full, **params)

        xs = tuple(np.asarray(args[i]) for i in idx)
        vs = tuple(rng.normal(size=x.shape).astype(x.dtype) for x in xs)
        check(f, xs, vs)


def test_missing_rule_is_named() -> None:
    # a primitive of this test's own without a taylor rule (funcdiff's own
    # primitives all get one in time)
    name = "test_jet_without_taylor"
    prim = REGISTRY.get(name) or Primitive(name, impl=np.sin, abstract_eval=lambda x: x)
    assert prim.taylor is None
    with pytest.raises(MissingRuleError, match=f"'{name}'.*jet"):
        jet(lambda x: prim.bind(x), (0.5,), ((1.0, 0.0),))


def test_constant_input_gives_zero_series() -> None:
    _y, (s1, s2) = jet(lambda x: fnp.sin(x) * 0.0 + 2.0, (0.5,), ((0.0, 0.0),))
    assert float(s1) == 0.0 and float(s2) == 0.0

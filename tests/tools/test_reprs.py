"""Notebook displays: ``_repr_html_`` of jaxprs, ``Lowered``,
``OptimizeResult``, ``QuadraticModel`` and ``Graph`` (without Graphviz).

Each HTML text is parsed (well-formed: every tag closed), and what it shows
is checked against the object: the text content of a jaxpr's HTML is its
printed form exactly, and the numbers in the tables are the object's.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.optimize import minimize
from funcdiff.see import _graph

VOID = {"br", "hr", "img", "meta", "input"}


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def well_formed(text: str) -> str:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.stack == [], f"unclosed tags {checker.stack}"
    return text


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def f_lecture(v: np.ndarray) -> object:
    x, y = v[0], v[1]
    return x**2 * y + fnp.sin(x * y) - fnp.where(x > y, x, y) / (1.0 + y**2)


@pytest.mark.parametrize(
    "make",
    [
        lambda: fd.make_jaxpr(f_lecture)(np.array([1.0, 2.0])),
        lambda: fd.make_jaxpr(fd.grad(f_lecture))(np.array([1.0, 2.0])),
        lambda: fd.make_jaxpr(fd.hessian(f_lecture))(np.array([1.0, 2.0])),
        lambda: fd.make_jaxpr(lambda x: fd.lax.fori_loop(0, 3, lambda i, c: c * x, x))(2.0),
        lambda: fd.make_jaxpr(lambda x: x < 1.0)(np.ones(2)),
    ],
)
def test_jaxpr_html_is_its_printed_form_highlighted(make: object) -> None:
    closed = make()  # type: ignore[operator]
    for obj in (closed, closed.jaxpr):
        h = well_formed(obj._repr_html_())
        assert text_of(h) == str(obj)
        assert h.startswith("<pre") and h.endswith("</pre>")
        for eqn in obj.eqns:
            assert f">{eqn.primitive.name}</span>" in h
        assert "&lt;" not in str(obj) or "&lt;" in h  # escaped, never raw markup


def test_lowered_html_shows_the_jaxpr_and_the_generated_code() -> None:
    low = fd.jit(fd.grad(f_lecture)).lower(np.array([1.0, 2.0]))
    h = well_formed(low._repr_html_())
    assert str(low.jaxpr) in text_of(h)
    assert low.source.strip() in text_of(h)
    assert f"{len(low.jaxpr.eqns)} equations" in h


def test_optimize_result_html_is_compact_with_the_last_rows() -> None:
    res = minimize(
        lambda x: fnp.sum((x - 3.0) ** 2) + 0.1 * fnp.sum(x**4),
        np.zeros(50),
        method="gd",
        maxiter=3000,
    )
    h = well_formed(res._repr_html_())
    assert len(h) < 5000, len(h)  # never the whole history
    t = text_of(h)
    assert f"{res.fun:.10g}" in t and str(res.nit) in t
    assert f"last 5 of {len(res.history)}" in t
    last = res.history[-1]
    assert f"<td>{last.nit}</td><td>{last.f:.6g}</td>" in h
    assert ("&#10004;" in h) == res.success


def test_quadratic_model_html_value_gradient_hessian_eigenvalues_convexity() -> None:
    m = fd.taylor2(lambda v: v[0] ** 2 - 3.0 * v[1] ** 2 + v[0] * v[1])(np.array([1.0, 2.0]))
    h = well_formed(m._repr_html_())
    t = text_of(h)
    assert f"{float(m.value):.10g}" in t
    for e in m.eigenvalues():
        assert f"{e:.6g}"[:5] in t
    H = np.asarray(m.H_flat)
    assert all(f"<td>{x:.6g}</td>" in h for x in H.ravel())
    assert "not positive definite" in t  # a saddle
    convex = fd.taylor2(lambda v: fnp.sum(v**2))(np.ones(3))
    assert "positive definite, newton_step" in text_of(convex._repr_html_())
    free = fd.taylor2(lambda v: fnp.sum(v**2), matrix_free=True)(np.ones(3))
    assert "matrix-free" in text_of(well_formed(free._repr_html_()))


def test_graph_html_without_graphviz_says_how_and_shows_dot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    g = fd.see.graph(f_lecture, np.array([1.0, 2.0]))
    monkeypatch.setattr(_graph, "_dot_program", lambda: None)
    shown = g._repr_html_()
    assert shown is not None
    h = well_formed(shown)
    assert "apt install graphviz" in h and "DOT text" in h
    assert text_of(h).count("digraph") == 1
    assert g._repr_svg_() is None
    monkeypatch.setattr(_graph, "_dot_program", lambda: "/usr/bin/dot")
    assert g._repr_html_() is None  # with Graphviz the notebook shows the SVG

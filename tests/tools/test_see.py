"""funcdiff.see: graph (computation graphs as Graphviz DOT) and explain (the
lecture's forward/backward tables); funcdiff.viz, the graphs' old name."""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.see import (
    Graph,
    GraphvizNotFoundError,
    _graph,
    explain,
    format_number,
    format_value,
    graph,
    graph_jaxpr,
)

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed")

DZDX = -0.16346524464969328  # d/dx x**cos(x) at 3


def lecture(x: Any) -> Any:
    return x ** fnp.cos(x)


def node_labels(dot: str) -> dict[str, str]:
    """node id -> label text (line breaks as " | ", other HTML tags dropped)."""
    out = {}
    for m in re.finditer(r"^  (\w+) \[.*label=<(.*)>\];$", dot, re.M):
        text = re.sub(r"<BR[^>]*>", " | ", m.group(2))
        out[m.group(1)] = re.sub(r"<[^>]+>", "", text)
    return out


def edges(dot: str) -> list[tuple[str, str]]:
    return re.findall(r"^  (\w+) -> (\w+)", dot, re.M)


def dot_is_valid(dot: str) -> None:
    """Graphviz parses it (only when dot is installed)."""
    if HAVE_DOT:
        proc = subprocess.run(
            ["dot", "-Tsvg"], input=dot.encode(), capture_output=True, timeout=60, check=False
        )
        assert proc.returncode == 0, proc.stderr.decode()
        assert b"<svg" in proc.stdout


# ---------------------------------------------------------------------------
# formatting
# ---------------------------------------------------------------------------


def test_format_number_and_value() -> None:
    assert format_number(DZDX) == "-0.163465"
    assert format_number(math.cos(3.0)) == "-0.989992"
    assert format_number(3.0) == "3"
    assert format_number(-0.0) == "0"
    assert format_number(1e-9) == "1e-09"
    assert format_number(1.5e12) == "1.5e+12"
    assert format_number(float("nan")) == "nan"
    assert format_number(-float("inf")) == "-inf"
    assert format_number(np.int64(7)) == "7"
    assert format_number(True) == "True"
    assert format_value(np.array([1.0, 2.0])) == "[1, 2]"
    assert format_value(np.arange(100.0)) == "[0, 1, 2, ..., 99] (100 values)"
    assert format_value(np.zeros((3, 4))).startswith("3x4 [0, 0, 0, ..., 0]")


# ---------------------------------------------------------------------------
# the lecture's example
# ---------------------------------------------------------------------------


def test_lecture_graph_structure() -> None:
    g = graph(lecture, 3.0)
    assert isinstance(g, Graph) and str(g) == g.dot
    dot = g.dot
    assert dot.startswith("digraph funcdiff {") and dot.rstrip().endswith("}")
    assert "rankdir=LR" in dot and 'fontname="monospace"' in dot
    labels = node_labels(dot)
    assert set(labels) == {"in0", "e0", "e1", "out0"}
    # one node per equation, with its primitive, value and adjoint
    assert "cos" in labels["e0"] and "-0.989992" in labels["e0"]
    assert "dz/da = 0.370252" in labels["e0"]
    assert "x ** a" in labels["e1"] and "0.337018" in labels["e1"]
    assert "dz/db = 1" in labels["e1"]
    # the input: its value 3 and its adjoint, the gradient
    assert "input x" in labels["in0"] and "= 3" in labels["in0"]
    assert "-0.163465" in labels["in0"]
    assert "output" in labels["out0"] and "dz/dz = 1" in labels["out0"]
    # data flow: x feeds cos and pow, cos feeds pow, pow is the output
    assert sorted(edges(dot)) == sorted(
        [("in0", "e0"), ("in0", "e1"), ("e0", "e1"), ("e1", "out0")]
    )
    # edges are labelled by variable name and type, and carry contributions
    assert "x:f64[]" in dot and "a:f64[]" in dot
    assert "dz/dx += -0.05225" in dot and "dz/dx += -0.111215" in dot
    # inputs and outputs are styled apart from equations
    styles = {n: re.search(rf"^  {n} \[([^\]]*?)label=", dot, re.M) for n in labels}
    assert styles["in0"] and styles["out0"] and styles["e0"]
    assert styles["in0"].group(1) != styles["e0"].group(1) != styles["out0"].group(1)
    assert repr(g) == "Graph(2 equations, scalar output, adjoints shown)"
    dot_is_valid(dot)


def test_fan_out_sum_is_visible() -> None:
    g = graph(lecture, 3.0)
    x_label = node_labels(g.dot)["in0"]
    # x is used by cos and by pow: both contributions and their sum
    assert "dz/dx = -0.111215 - 0.05225 = -0.163465" in x_label
    assert "2 uses" in x_label

    def three_uses(x: Any) -> Any:
        return x * fnp.sin(x) + x**2

    g3 = graph(three_uses, 1.0)
    x3 = node_labels(g3.dot)["in0"]
    want = float(fd.grad(three_uses)(1.0))
    assert f"= {format_number(want)}" in x3 and "3 uses" in x3
    assert x3.count("+") + x3.count(" - ") >= 2


def test_values_and_adjoints_flags() -> None:
    plain = graph(lecture, 3.0, adjoints=False)
    assert "dz/d" not in plain.dot and "-0.989992" in plain.dot
    bare = graph(lecture, 3.0, values=False, adjoints=False)
    assert "-0.989992" not in bare.dot and "cos" in bare.dot
    tb = graph(lecture, 3.0, rankdir="TB", title='x ** cos(x) "lecture" <5>')
    assert "rankdir=TB" in tb.dot
    dot_is_valid(tb.dot)
    with pytest.raises(ValueError, match="rankdir"):
        graph(lecture, 3.0, rankdir="XY")
    with pytest.raises(TypeError, match="point"):
        graph(lecture)


def test_two_inputs_names_and_values() -> None:
    def f(x: Any, y: Any) -> Any:
        return x**2 * fnp.exp(x + fnp.cos(y))

    g = graph(f, 1.0, 2.0)
    labels = node_labels(g.dot)
    gx, gy = fd.grad(f, argnums=(0, 1))(1.0, 2.0)
    assert "input x" in labels["in0"] and format_number(gx) in labels["in0"]
    assert "input y" in labels["in1"] and format_number(gy) in labels["in1"]
    assert "exp" in g.dot and "x ** 2" in g.dot and "integer_pow" not in g.dot
    raw = graph(f, 1.0, 2.0, notation="raw")
    assert "<B>integer_pow</B>[y=2] x" in raw.dot and "x ** 2" not in raw.dot
    dot_is_valid(g.dot)
    dot_is_valid(raw.dot)


def test_array_inputs_constants_and_params() -> None:
    W = np.arange(6.0).reshape(2, 3)

    def f(x: Any) -> Any:
        return fnp.tanh(W @ x).sum()

    g = graph(f, np.array([0.1, 0.2, 0.3]))
    labels = node_labels(g.dot)
    assert any("constant" in lab and "2x3" in lab for lab in labels.values())
    assert " @ x" in g.dot and "<B>sum(" in g.dot and "dot_general" not in g.dot
    raw = graph(f, np.array([0.1, 0.2, 0.3]), notation="raw")
    assert "dot_general" in raw.dot and "reduce_sum</B>[axes=(0,)]" in raw.dot
    assert "f64[3]" in g.dot and "[0.1, 0.2, 0.3]" in g.dot
    grad = fd.grad(f)(np.array([0.1, 0.2, 0.3]))
    assert format_value(grad) in labels["in0"]
    dot_is_valid(g.dot)


def test_non_scalar_and_multiple_outputs_have_no_adjoints() -> None:
    g = graph(lambda x: x * 2.0, np.ones(3))
    assert "dz/dx" not in g.dot and "not a floating-point scalar" in g.dot
    assert repr(g) == "Graph(1 equation, output f64[3])"
    g2 = graph(lambda x: (x * 2.0, x + 1.0), 1.0)
    assert "output 0" in g2.dot and "output 1" in g2.dot and "2 outputs" in g2.dot
    dot_is_valid(g2.dot)


# ---------------------------------------------------------------------------
# jaxprs of derivatives
# ---------------------------------------------------------------------------


def test_graph_of_grad_jaxpr() -> None:
    closed = fd.make_jaxpr(fd.grad(lecture))(3.0)
    assert "a ** b" in graph_jaxpr(closed).dot  # the lecture's notation by default
    g = graph_jaxpr(closed, notation="raw")  # the printed jaxpr's, equation by equation
    labels = node_labels(g.dot)
    eqn_nodes = [n for n in labels if re.fullmatch(r"e\d+", n)]
    assert len(eqn_nodes) == len(closed.eqns) == g.num_eqns
    for eqn in closed.eqns:
        assert eqn.primitive.name in g.dot
    # variables are named as the printed jaxpr names them
    printed = str(closed).splitlines()[1:-1]
    for line, node in zip(printed, eqn_nodes, strict=True):
        lhs, rhs = line.strip().split(" = ", 1)
        assert lhs.split(":")[0] in labels[node] and rhs.split()[0] in labels[node]
    assert "dz/d" not in g.dot and "dout/d" not in g.dot  # no values: structure only
    dot_is_valid(g.dot)
    # evaluated at 3: its output is dz/dx, its input adjoint the second derivative
    gv = graph_jaxpr(closed, 3.0)
    assert format_number(DZDX) in node_labels(gv.dot)["out0"]
    d2 = float(fd.grad(fd.grad(lecture))(3.0))
    assert f"= {format_number(d2)}" in node_labels(gv.dot)["in0"]


def test_graph_of_hessian_jaxpr() -> None:
    def f(x: Any, y: Any) -> Any:
        return x ** (fnp.cos(y) * x)

    closed = fd.make_jaxpr(fd.hessian(lambda v: f(v[0], v[1])))(np.array([1.5, 0.5]))
    g = graph_jaxpr(closed)
    assert g.num_eqns == len(closed.eqns) > 20
    gv = graph_jaxpr(closed, np.array([1.5, 0.5]))
    H = fd.hessian(lambda v: f(v[0], v[1]))(np.array([1.5, 0.5]))
    assert format_value(H) in node_labels(gv.dot)["out0"]
    assert "2x2" in node_labels(gv.dot)["out0"]
    dot_is_valid(gv.dot)


def test_graph_of_grad_function_shows_second_order() -> None:
    g = graph(fd.grad(lecture), 3.0)
    d2 = float(fd.grad(fd.grad(lecture))(3.0))
    x = node_labels(g.dot)["in0"]
    assert "input x" in x and f"= {format_number(d2)}  (sum over 5 uses)" in x


def test_graph_jaxpr_errors() -> None:
    closed = fd.make_jaxpr(lecture)(3.0)
    with pytest.raises(TypeError, match="ClosedJaxpr"):
        graph_jaxpr(lecture)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="1 inputs"):
        graph_jaxpr(closed, 1.0, 2.0)
    with pytest.raises(fd.ShapeError, match="f64"):
        graph_jaxpr(closed, np.ones(3))


# ---------------------------------------------------------------------------
# large graphs
# ---------------------------------------------------------------------------


def chain(n: int) -> Any:
    def f(x: Any) -> Any:
        for _ in range(n):
            x = fnp.sin(x)
        return x

    return f


def test_max_nodes_collapse_1000_chain() -> None:
    g = graph(chain(1000), 0.5, max_nodes=60)
    assert g.collapsed and g.num_eqns == 1000 and g.shown_eqns < 60
    labels = node_labels(g.dot)
    assert len(labels) <= 60 + 1
    assert "more_eqns" in g.dot and "more equations" in g.dot
    assert "collapsed (max_nodes=60)" in g.dot
    # the first and the last equations are drawn, with their adjoints
    assert "e0" in labels and "e999" in labels and "e500" not in labels
    assert "dz/d" in labels["e0"]
    assert ("e28", "more_eqns") in edges(g.dot) or any(d == "more_eqns" for _, d in edges(g.dot))
    dot_is_valid(g.dot)
    # under the limit, nothing collapses
    small = graph(chain(10), 0.5, max_nodes=60)
    assert not small.collapsed and "more_eqns" not in small.dot
    with pytest.raises(ValueError, match="max_nodes"):
        graph(chain(3), 0.5, max_nodes=2)


@pytest.mark.slow
def test_100k_chain_without_recursion_error() -> None:
    def f(x: Any) -> Any:
        for _ in range(100_000):
            x = x * 1.000001
        return x

    g = graph(f, 0.5)  # values and the backward pass over 100,000 equations
    assert g.collapsed and g.num_eqns == 100_000
    assert len(node_labels(g.dot)) <= 200 + 1
    assert f"= {format_number(1.000001**100_000)}" in node_labels(g.dot)["in0"]


def test_many_inputs_collapse() -> None:
    g = graph(lambda xs: sum(xs), [float(i) for i in range(300)], max_nodes=40)
    assert "more inputs" in g.dot and len(node_labels(g.dot)) <= 40 + 2
    assert "300 inputs" in g.dot
    dot_is_valid(g.dot)


# ---------------------------------------------------------------------------
# saving and rendering
# ---------------------------------------------------------------------------


def test_save_dot_always(tmp_path: Path) -> None:
    g = graph(lecture, 3.0)
    p = g.save(tmp_path / "g.dot")
    assert p.read_text() == g.dot
    assert g.save(str(tmp_path / "g.gv")).read_text() == g.dot
    with pytest.raises(ValueError, match="suffix"):
        g.save(tmp_path / "g.txt")


@needs_dot
@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_save_rendered(tmp_path: Path, suffix: str) -> None:
    p = graph(lecture, 3.0).save(tmp_path / f"g{suffix}")
    data = p.read_bytes()
    if suffix == ".svg":
        assert b"<svg" in data and b"x ** a" in data
    else:
        assert data.startswith(b"\x89PNG")


@needs_dot
def test_repr_svg() -> None:
    svg = graph(lecture, 3.0)._repr_svg_()
    assert svg is not None and "<svg" in svg


def test_missing_dot_writes_dot_and_explains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_graph, "_dot_program", lambda: None)
    g = graph(lecture, 3.0)
    with pytest.raises(GraphvizNotFoundError) as info:
        g.save(tmp_path / "g.svg")
    msg = str(info.value)
    assert "apt install graphviz" in msg and "brew install graphviz" in msg and "conda" in msg
    assert str(tmp_path / "g.dot") in msg
    assert (tmp_path / "g.dot").read_text() == g.dot
    assert not (tmp_path / "g.svg").exists()
    assert g._repr_svg_() is None
    with pytest.raises(GraphvizNotFoundError, match="apt install graphviz"):
        g.pipe("png")


# ---------------------------------------------------------------------------
# explain: the lecture's debug mode
# ---------------------------------------------------------------------------


def run_explain(f: Any, *args: Any, notation: str = "lecture") -> Any:
    buf = io.StringIO()
    result = explain(f, file=buf, notation=notation)(*args)
    return buf.getvalue(), result


def test_explain_lecture_example() -> None:
    text, (value, g) = run_explain(lecture, 3.0)
    lines = text.rstrip().splitlines()
    assert lines[-1].strip() == "dz/dx = -0.163465"
    assert round(float(g), 6) == -0.163465 and math.isclose(float(g), DZDX, rel_tol=1e-12)
    assert math.isclose(float(value), 3.0 ** math.cos(3.0), rel_tol=1e-12)
    # the forward table: every equation with its inputs and its value
    assert re.search(r"a : f64\[\]\s+= cos\(x\)\s+= cos\(3\)\s+= -0.989992", text)
    assert re.search(r"b : f64\[\]\s+= x \*\* a\s+= 3 \*\* \(-0.989992\)\s+= 0.337018", text)
    raw, _ = run_explain(lecture, 3.0, notation="raw")
    assert re.search(r"b : f64\[\]\s+= pow\(x, a\)\s+= pow\(3, -0.989992\)\s+= 0.337018", raw)
    # the backward table: the seed, each contribution, the fan-out sum
    assert "dz/db = 1   (seed)" in text
    assert "dz/dx += dz/db * db/dx = 1 * -0.111215 = -0.111215" in text
    assert "dz/da += dz/db * db/da = 1 * 0.370252 = 0.370252" in text
    assert "dz/dx += dz/da * da/dx = 0.370252 * -0.14112 = -0.05225" in text
    assert "dz/dx = -0.111215 - 0.05225 = -0.163465" in text
    assert text.index("Forward pass") < text.index("Backward pass") < text.index("Gradient")


def test_explain_two_inputs() -> None:
    def f(x: Any, y: Any) -> Any:
        return x**2 * fnp.exp(x + fnp.cos(y))

    text, (value, (gx, gy)) = run_explain(f, 1.0, 2.0)
    want = fd.grad(f, argnums=(0, 1))(1.0, 2.0)
    np.testing.assert_allclose([gx, gy], want, rtol=1e-12)
    assert math.isclose(float(value), float(f(1.0, 2.0)))
    tail = text.rstrip().splitlines()[-3:]
    assert tail[0] == "Gradient at x = 1, y = 2:"
    assert tail[1].strip() == f"dz/dx = {format_number(want[0])}"
    assert tail[2].strip() == f"dz/dy = {format_number(want[1])}"
    assert "cos(y)" in text and "cos(2)" in text and "(input)" in text


def test_explain_arrays_and_unused_input() -> None:
    def f(x: Any, w: Any, unused: Any) -> Any:
        return fnp.sum(x * w) + fnp.sin(x[0])

    x, w = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    text, (_, (gx, gw, gu)) = run_explain(f, x, w, 0.5)
    np.testing.assert_allclose(gx, w + np.array([np.cos(1.0), 0, 0]))
    np.testing.assert_allclose(gw, x)
    assert float(gu) == 0.0
    assert "pulled back through mul" in text and "sum(" in text
    assert "(z does not depend on unused)" in text
    assert "dz/dw = [1, 2, 3]" in text


def test_explain_repeated_argument_and_constants() -> None:
    text, (_, g) = run_explain(lambda x: x * x, 3.0)
    assert float(g) == 6.0
    assert "(as argument 1)" in text and "(as argument 2)" in text
    assert "dz/dx = 3 + 3 = 6" in text


def test_explain_non_scalar_output() -> None:
    text, (value, g) = run_explain(lambda x: x * 2.0, np.ones(3))
    assert g is None
    np.testing.assert_allclose(value, [2.0, 2.0, 2.0])
    assert "Forward pass" in text and "Backward pass: skipped" in text and "f64[3]" in text


def test_explain_prints_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    explain(lecture)(3.0)
    assert capsys.readouterr().out.rstrip().endswith("-0.163465")


def test_explain_long_chain_no_recursion() -> None:
    text, (_, g) = run_explain(chain(3000), 0.5)
    assert math.isclose(float(g), float(fd.grad(chain(3000))(0.5)), rel_tol=1e-12)
    forward = text[: text.index("Backward pass")]
    assert len(re.findall(r"= sin\(\w+\)\s+= sin\(", forward)) == 3000


def test_old_and_top_level_names_are_the_same_objects() -> None:
    import funcdiff.see
    import funcdiff.viz

    for name in funcdiff.viz.__all__:
        assert getattr(funcdiff.viz, name) is getattr(funcdiff.see, name), name
    assert fd.graph is graph and fd.graph_jaxpr is graph_jaxpr and fd.explain is explain
    assert fd.see is funcdiff.see and fd.viz is funcdiff.viz


def test_lecture_notation_of_each_operation() -> None:
    from funcdiff.see._analysis import eqn_text

    A = np.ones((2, 3))

    def texts(f: Any, *args: Any) -> list[str]:
        closed = fd.make_jaxpr(f)(*args)
        names = "pqrstuvw"
        return [eqn_text(e, list(names[: len(e.invars)])) for e in closed.eqns]

    assert texts(lambda x: -x, 1.0) == ["-p"]
    assert texts(lambda x: x**-2, 1.0) == ["p ** (-2)"]
    assert texts(lambda x, y: x / y - y, 1.0, 2.0) == ["p / q", "p - q"]
    assert texts(lambda x, y: x >= y, 1.0, 2.0) == ["p >= q"]
    assert texts(lambda x: A @ x, np.ones(3)) == ["p @ q"]
    assert texts(lambda x: x @ x, np.ones(3)) == ["p @ q"]
    assert texts(lambda M: M @ M.T, A)[-1] == "p @ q"
    # a contraction that is not a matrix product keeps its raw form
    (tdot,) = texts(lambda x: fnp.tensordot(x, x, axes=([0], [1])), np.ones((3, 3)))
    assert tdot.startswith("dot_general[")
    assert texts(lambda M: fnp.sum(M), A) == ["sum(p)"]
    assert texts(lambda M: fnp.max(M, axis=1), A) == ["max(p, axis=1)"]
    assert texts(lambda x, y: fnp.maximum(x, y), 1.0, 2.0) == ["maximum(p, q)"]
    assert texts(lambda x: x.astype(np.float32), 1.0) == ["float32(p)"]
    # numbers as operands: a negative one is put in parentheses
    (e,) = fd.make_jaxpr(lambda x, y: x - y)(1.0, 2.0).eqns
    assert eqn_text(e, ["-1", "-2"]) == "-1 - (-2)"
    with pytest.raises(ValueError, match="notation must be 'lecture'"):
        explain(lecture, notation="latex")
    with pytest.raises(ValueError, match="notation must be 'lecture'"):
        graph(lecture, 3.0, notation="pretty")


def test_named_scopes_are_recorded_and_drawn_as_blocks() -> None:
    import funcdiff.nn as fnn

    W = np.arange(6.0).reshape(2, 3) / 10

    def mlp(x: Any) -> Any:
        with fd.named_scope("layer"):
            h = fnn.relu(W @ x)
        return fnp.sum(fnn.log_softmax(h))

    x = np.array([0.1, -0.2, 0.3])
    closed = fd.make_jaxpr(mlp)(x)
    scopes = [e.scope for e in closed.eqns]
    assert scopes[0] == "layer" and "layer/relu" in scopes and "log_softmax" in scopes
    assert scopes[-1] is None  # the sum is outside every scope
    assert str(closed) == str(fd.make_jaxpr(mlp)(x))  # the printed IR does not show scopes
    g = graph(mlp, x)
    assert g.dot.count("subgraph cluster_") == 3  # layer, layer/relu, log_softmax
    assert "<B>layer/relu</B>" in g.dot and "<B>log_softmax</B>" in g.dot
    assert g.dot.count("{") == g.dot.count("}")
    dot_is_valid(g.dot)
    assert "cluster" not in graph(mlp, x, notation="raw").dot  # the raw view: no grouping
    # the values and derivatives are those of the same function without scopes
    plain = lambda x: fnp.sum(fnn.log_softmax(fnp.maximum(W @ x, 0.0)))  # noqa: E731
    np.testing.assert_allclose(fd.grad(mlp)(x), fd.grad(plain)(x), rtol=1e-14)
    with pytest.raises(TypeError, match="non-empty str"):
        fd.named_scope("")

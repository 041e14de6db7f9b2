"""The command line ``python -m funcdiff`` / ``funcdiff``: every subcommand, text
and JSON output, several and vector variables, and hostile expressions that
must be refused without being evaluated."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.cli import (
    Expression,
    ExpressionError,
    UsageError,
    main,
    parse_at,
    parse_expression,
)
from funcdiff.see import _graph

ROOT = Path(__file__).resolve().parents[2]
HAVE_DOT = shutil.which("dot") is not None
DZDX = -0.16346524464969328


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def lecture2(x: Any, y: Any) -> Any:
    return x**2 * fnp.exp(x + fnp.cos(y))


# ---------------------------------------------------------------------------
# subcommands
# ---------------------------------------------------------------------------


def test_grad_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "grad", "x**cos(x)", "--at", "x=3")
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "f(x) = x**cos(x)",
        "at x = 3",
        "f = 0.337018",
        "df/dx = -0.163465",
    ]


def test_grad_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "grad", "x**cos(x)", "--at", "x=3")
    assert data["command"] == "grad" and data["expression"] == "x**cos(x)"
    assert data["variables"] == ["x"] and data["inputs"] == {"x": 3.0}
    assert math.isclose(data["value"], 3.0 ** math.cos(3.0), rel_tol=1e-12)
    assert math.isclose(data["gradient"]["x"], DZDX, rel_tol=1e-12)


@pytest.mark.parametrize(
    "at",
    [["--at", "x=1", "--at", "y=2"], ["--at", "x=1,y=2"], ["--at", "x=1, y=2"]],
)
def test_several_variables(capsys: pytest.CaptureFixture[str], at: list[str]) -> None:
    data = run_json(capsys, "grad", "x**2 * exp(x + cos(y))", *at)
    gx, gy = fd.grad(lecture2, argnums=(0, 1))(1.0, 2.0)
    assert data["variables"] == ["x", "y"]
    assert math.isclose(data["gradient"]["x"], float(gx), rel_tol=1e-12)
    assert math.isclose(data["gradient"]["y"], float(gy), rel_tol=1e-12)
    code, out, _ = run(capsys, "grad", "x**2 * exp(x + cos(y))", *at)
    assert code == 0 and "df/dx = 5.378801" in out and "df/dy = -1.63031" in out


def test_variable_order_follows_at(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "hessian", "x**3 * y", "--at", "y=2,x=1")
    assert data["variables"] == ["y", "x"] and data["index"] == ["y", "x"]
    # d2/dy2 = 0, d2/dydx = 3x^2 = 3, d2/dx2 = 6xy = 12
    np.testing.assert_allclose(data["hessian"], [[0.0, 3.0], [3.0, 12.0]])


def test_vector_and_matrix_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "grad", "sum(x**2) + dot(x, [1, 0, 2])", "--at", "x=[1,2,3]")
    assert data["inputs"]["x"] == [1.0, 2.0, 3.0]
    np.testing.assert_allclose(data["gradient"]["x"], [3.0, 4.0, 8.0])
    data = run_json(
        capsys, "grad", "sum(A @ v) + A[0, 1]", "--at", "A=[[1,2],[3,4]]", "--at", "v=[1,-1]"
    )
    np.testing.assert_allclose(data["gradient"]["A"], [[1.0, 0.0], [1.0, -1.0]])
    np.testing.assert_allclose(data["gradient"]["v"], [4.0, 6.0])
    code, out, _ = run(capsys, "grad", "sum(x**2)", "--at", "x=[1,2,3]")
    assert code == 0 and "df/dx = [2, 4, 6]" in out and "at x = [1, 2, 3]" in out


def test_hessian(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "hessian", "x**2 * exp(x + cos(y))", "--at", "x=1,y=2")
    H = fd.hessian(lambda v: lecture2(v[0], v[1]))(np.array([1.0, 2.0]))
    np.testing.assert_allclose(data["hessian"], H, rtol=1e-12)
    assert data["index"] == ["x", "y"]
    code, out, _ = run(capsys, "hessian", "x**2 * exp(x + cos(y))", "--at", "x=1,y=2")
    assert code == 0 and "Hessian" in out and "12.550535" in out and "-4.89093" in out
    # a vector variable: entries are labelled x[0], x[1]
    data = run_json(capsys, "hessian", "sum(x**3) + x[0]*y", "--at", "x=[1,2]", "--at", "y=3")
    assert data["index"] == ["x[0]", "x[1]", "y"]
    np.testing.assert_allclose(data["hessian"], [[6, 0, 1], [0, 12, 0], [1, 0, 0]])


def test_taylor(capsys: pytest.CaptureFixture[str]) -> None:
    expr = "(1 - x)**2 + 100*(y - x**2)**2"
    data = run_json(capsys, "taylor", expr, "--at", "x=-1.2", "--at", "y=1")
    assert math.isclose(data["value"], 24.2, rel_tol=1e-12)
    np.testing.assert_allclose(data["gradient"], [-215.6, -88.0], rtol=1e-12)
    np.testing.assert_allclose(data["hessian"], [[1330.0, 480.0], [480.0, 200.0]], rtol=1e-12)
    assert data["convex"] is True and len(data["eigenvalues"]) == 2
    np.testing.assert_allclose(data["newton_step"], [0.0247191, 0.38067416], rtol=1e-6)
    code, out, _ = run(capsys, "taylor", expr, "--at", "x=-1.2,y=1")
    assert code == 0
    for text in ("m(x) = f(x0)", "f(x0) = 24.2", "[-215.6, -88]", "1330", "Newton step"):
        assert text in out
    # a saddle: no Newton step
    data = run_json(capsys, "taylor", "x**2 - y**2", "--at", "x=1,y=1")
    assert data["convex"] is False and data["newton_step"] is None


def test_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "x**cos(x)", "--at", "x=3")
    assert code == 0
    assert "cos(3)" in out and "-0.989992" in out and "0.337018" in out
    assert out.rstrip().splitlines()[-1].strip() == "dz/dx = -0.163465"
    data = run_json(capsys, "explain", "x*y", "--at", "x=2,y=5")
    assert data["gradient"] == {"x": 5.0, "y": 2.0} and "Backward pass" in data["text"]


def test_jaxpr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "jaxpr", "x**cos(x)", "--at", "x=3")
    assert code == 0
    assert str(fd.make_jaxpr(lambda x: x ** fnp.cos(x))(3.0)) in out
    # without --at, variables are traced as scalars
    code2, out2, _ = run(capsys, "jaxpr", "x**cos(x)")
    assert code2 == 0 and "cos a" in out2 and "pow a b" in out2
    data = run_json(capsys, "jaxpr", "x**cos(x)", "--at", "x=3", "--of", "grad")
    want = fd.make_jaxpr(fd.grad(lambda x: x ** fnp.cos(x)))(3.0)
    assert data["jaxpr"] == str(want) and data["equations"] == len(want.eqns)
    data = run_json(capsys, "jaxpr", "x*sin(y)", "--at", "x=1,y=2", "--of", "hessian")
    assert data["of"] == "hessian" and data["equations"] > 5


def test_graph_stdout_and_dot_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "graph", "x**cos(x)", "--at", "x=3")
    assert code == 0 and out.startswith("digraph funcdiff {")
    assert "cos(x)" in out and "x ** a" in out and "-0.163465" in out
    assert "f(x) = x**cos(x)" in out
    code, out, _ = run(capsys, "graph", "x**cos(x)", "--at", "x=3", "--notation", "raw")
    assert code == 0 and "<B>pow</B> x a" in out
    code, out, _ = run(capsys, "explain", "x**2", "--at", "x=1", "--notation", "raw")
    assert code == 0 and "integer_pow[y=2](x)" in out
    code, out, _ = run(capsys, "explain", "x**2", "--at", "x=1")
    assert code == 0 and "= x ** 2" in out and "integer_pow" not in out
    path = tmp_path / "g.dot"
    code, out, _ = run(capsys, "graph", "x**cos(x)", "--at", "x=3", "-o", str(path))
    assert code == 0 and str(path) in out
    assert path.read_text().startswith("digraph funcdiff {")
    data = run_json(capsys, "graph", "x*y", "--at", "x=1,y=2", "--of", "grad", "--no-adjoints")
    assert data["dot"].startswith("digraph") and "dz/dx" not in data["dot"]
    code, out, _ = run(capsys, "graph", "sin(x)", "--at", "x=1", "--max-nodes", "10")
    assert code == 0


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed")
@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_graph_rendered(capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"g.{suffix}"
    data = run_json(capsys, "graph", "x**cos(x)", "--at", "x=3", "-o", str(path))
    assert data["output"] == str(path) and path.stat().st_size > 100


def test_graph_without_dot(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_graph, "_dot_program", lambda: None)
    code, _, err = run(capsys, "graph", "x**cos(x)", "--at", "x=3", "-o", str(tmp_path / "g.svg"))
    assert code == 1 and "apt install graphviz" in err and "brew install graphviz" in err
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_demo(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == 0 and "-0.163465" in out and "Hessian" in out


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys)
    assert code == 0 and "grad" in out and "graph" in out
    code, out, _ = run(capsys, "grad", "--help")
    assert code == 0 and "--at" in out and "sin" in out


# ---------------------------------------------------------------------------
# the expression language
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values", "want"),
    [
        ("x**cos(x)", (3.0,), 3.0 ** math.cos(3.0)),
        ("-x + +y - 2*pi", (1.0, 2.0), -1.0 + 2.0 - 2 * math.pi),
        ("e**x / 2", (1.0,), math.e / 2),
        ("sum(x, axis=0)[1]", (np.ones((2, 3)),), 2.0),
        ("mean(x, keepdims=True)[0]", (np.array([1.0, 3.0]),), 2.0),
        ("norm(x, ord=1)", (np.array([3.0, -4.0]),), 7.0),
        ("relu(x) + sigmoid(0) + softplus(0)", (-1.0,), 0.5 + math.log(2.0)),
        ("x[-1] * x[0]", (np.array([2.0, 5.0, 7.0]),), 14.0),
        ("[x, 2*x] @ [1, 1]", (3.0,), 9.0),
        ("maximum(x, 1) + arctan2(y, x)", (0.5, 0.5), 1.0 + math.pi / 4),
        ("((((x))))", (2.0,), 2.0),
    ],
)
def test_expressions_evaluate(text: str, values: tuple[Any, ...], want: float) -> None:
    ex = parse_expression(text)
    assert isinstance(ex, Expression)
    assert math.isclose(float(ex(*values)), want, rel_tol=1e-12)


def test_expression_variables_and_function() -> None:
    ex = parse_expression("y * sin(x) + x")
    assert ex.variables == ("y", "x")
    f = ex.function()
    import inspect

    assert list(inspect.signature(f).parameters) == ["y", "x"]
    assert math.isclose(float(fd.grad(f, argnums=1)(2.0, 0.0)), 3.0)


HOSTILE = [
    ("__import__('os').system('echo hi > pwned')", "calling anything but a plain function"),
    ("x.__class__", "attribute access '.__class__'"),
    ("().__class__.__bases__", "attribute access"),
    ("(1).__class__.__subclasses__()", "calling anything but"),
    ("lambda: 1", "lambda"),
    ("[x for x in y]", "list comprehension"),
    ("(x for x in y)", "generator expression"),
    ("9**9**9", "exponent 387420489 is too large"),
    ("10**10**10", "exponent 10000000000 is too large"),
    ("2**10**400", "too large"),
    ("10**400", "overflows"),
    ("x**(9**9)", "exponent"),
    ("1e999", "too large"),
    ("123456789012345678901234567890", "too large"),
    ("open('pwned', 'w')", "the function 'open' is not allowed"),
    ('exec(\'open("pwned", "w")\')', "the function 'exec' is not allowed"),
    ("eval('1')", "the function 'eval' is not allowed"),
    ("getattr(x, 'y')", "'getattr' is not allowed"),
    ("x if y else z", "conditional expression"),
    ('"abc"', "strings are not allowed"),
    ("b'abc'", "not allowed"),
    ("sum(x, start=1)", "keyword argument start= is not allowed"),
    ("sum(x, axis=y)", "literal number"),
    ("sum(**x)", "keyword unpacking"),
    ("sin(*x)", "unpacking"),
    ("__builtins__", "names may not start with _"),
    ("_x + 1", "names may not start with _"),
    ("x < 1", "comparison"),
    ("x and y", "boolean operator"),
    ("not x", "unary operator Not"),
    ("x // 2", "operator FloorDiv"),
    ("x[1:2]", "slices"),
    ("x[y]", "literal number"),
    ("{1: 2}", "dict"),
    ("{x}", "set"),
    ("f'{x}'", "f-string"),
    ("(y := 3)", "assignment expression"),
    ("sin", "is a function: call it"),
    ("None", "not allowed"),
    ("1j * x", "not allowed"),
    ("-" * 300 + "x", "nested too deeply"),
    ("+".join(["x"] * 700), "nested too deeply"),
    ("x" * 3000, "too long"),
    ("(" * 250 + "x" + ")" * 250, "syntax error"),
    ("x +", "syntax error"),
    ("x; import os", "syntax error"),
    ("", "empty"),
]


@pytest.mark.parametrize(("text", "why"), HOSTILE, ids=[t[:30] for t, _ in HOSTILE])
def test_hostile_expressions_refused(text: str, why: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert why in str(info.value)


@pytest.fixture
def sentinel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Any]:
    """Record anything that would show an expression ran: os.system, subprocess,
    the expression interpreter itself; and work in an empty directory."""
    calls: list[Any] = []
    monkeypatch.chdir(tmp_path)

    def fake_system(*a: Any) -> int:
        calls.append(("os.system", a))
        return 0

    def fake_popen(*a: Any, **k: Any) -> None:
        calls.append(("Popen", a))

    monkeypatch.setattr(os, "system", fake_system)
    monkeypatch.setattr(subprocess, "Popen", fake_popen)
    original = Expression.__call__

    def spy(self: Expression, *values: Any) -> Any:
        calls.append(("evaluated", self.text))
        return original(self, *values)

    monkeypatch.setattr(Expression, "__call__", spy)
    return calls


@pytest.mark.parametrize("command", ["grad", "hessian", "taylor", "explain", "jaxpr", "graph"])
@pytest.mark.parametrize(("text", "why"), HOSTILE[:22], ids=[t[:30] for t, _ in HOSTILE[:22]])
def test_cli_refuses_without_evaluating(
    capsys: pytest.CaptureFixture[str],
    sentinel: list[Any],
    tmp_path: Path,
    command: str,
    text: str,
    why: str,
) -> None:
    start = time.perf_counter()
    code, out, err = run(capsys, command, text, "--at", "x=1", "--at", "y=2")
    assert time.perf_counter() - start < 5.0
    assert code == 2 and out == ""
    assert err.startswith("funcdiff: error: ") and why in err
    assert sentinel == []  # nothing ran: no os.system, no subprocess, no evaluation
    assert list(tmp_path.iterdir()) == []  # and no file was created


def test_hostile_json_error(capsys: pytest.CaptureFixture[str], sentinel: list[Any]) -> None:
    code, out, _ = run(capsys, "grad", "x.__class__", "--at", "x=1", "--json")
    assert code == 2 and sentinel == []
    data = json.loads(out)
    assert data["exit_code"] == 2 and "attribute access" in data["error"]


def test_valid_expression_does_evaluate(
    capsys: pytest.CaptureFixture[str], sentinel: list[Any]
) -> None:
    # the sentinel sees real evaluations, so its silence above means something
    code, _, _ = run(capsys, "grad", "x**2", "--at", "x=1")
    assert code == 0 and ("evaluated", "x**2") in sentinel


# ---------------------------------------------------------------------------
# bad --at values and variables
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "why"),
    [
        ("x3", "expected NAME=VALUE"),
        ("x=", "expected NAME=VALUE"),
        ("=3", "not a variable name"),
        ("1x=3", "not a variable name"),
        ("_x=3", "not a variable name"),
        ("x=abc", "cannot read the value"),
        ("x=[1,2", "cannot read the value"),
        ("x=__import__('os')", "cannot read the value"),
        ("x=[[1,2],[3]]", "not a rectangular array"),
        ("x=1,x=2", "given twice"),
        ("x=" + "[" * 20 + "1" + "]" * 20, "too large or too deeply nested"),
    ],
)
def test_bad_at(capsys: pytest.CaptureFixture[str], at: str, why: str) -> None:
    code, out, err = run(capsys, "grad", "x**2", "--at", at)
    assert code == 2 and out == "" and why in err


def test_unknown_and_missing_variables(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "grad", "x**2", "--at", "x=1", "--at", "z=2")
    assert code == 2 and "unknown variable z" in err and "uses x" in err
    code, _, err = run(capsys, "grad", "x*y", "--at", "x=1")
    assert code == 2 and "missing value for the variable y" in err and "--at y=VALUE" in err
    code, _, err = run(capsys, "grad", "x*y")
    assert code == 2 and "missing values for the variables x, y" in err


def test_math_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "grad", "x*2", "--at", "x=[1,2]")
    assert code == 1 and "needs a scalar expression" in err and "sum(x*2)" in err
    code, _, err = run(capsys, "grad", "3", "--at", "")
    assert code == 2
    code, _, err = run(capsys, "grad", "3")
    assert code == 1 and "no variables" in err
    code, _, err = run(capsys, "grad", "dot(x, y)", "--at", "x=[1,2],y=[1,2,3]")
    assert code == 1 and "evaluating" in err
    code, _, err = run(capsys, "graph", "x", "--at", "x=1", "-o", "g.txt")
    assert code == 1 and "suffix" in err


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and "invalid choice" in err
    code, _, err = run(capsys, "grad")
    assert code == 2 and "expression" in err


def test_parse_at() -> None:
    at = parse_at(["x=1,y=[1, 2]", "z=[[1,2],[3,4]]", "w=-inf"])
    assert list(at) == ["x", "y", "z", "w"]
    assert at["z"].shape == (2, 2) and at["w"] == -np.inf
    with pytest.raises(UsageError):
        parse_at(["x"])


# ---------------------------------------------------------------------------
# the real entry point, in a subprocess
# ---------------------------------------------------------------------------


def _python_m(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "funcdiff", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
        check=False,
    )


def test_subprocess_entry_point(tmp_path: Path) -> None:
    proc = _python_m("grad", "x**cos(x)", "--at", "x=3", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert math.isclose(data["gradient"]["x"], DZDX, rel_tol=1e-12)
    bad = _python_m("grad", "__import__('os').system('touch pwned')", "--at", "x=1", cwd=tmp_path)
    assert bad.returncode == 2 and "not allowed" in bad.stderr and bad.stdout == ""
    assert not (tmp_path / "pwned").exists()


def test_huge_intermediates_refused_before_they_are_built(
    capsys: pytest.CaptureFixture[str],
) -> None:
    big = "x=" + str(list(range(5000)))
    start = time.perf_counter()
    code, _, err = run(capsys, "grad", "sum(outer(x, x))", "--at", big)
    assert code == 1 and "25,000,000 elements" in err
    code, _, err = run(capsys, "grad", "sum(kron(kron(x, x), x))", "--at", "x=[1,2,3]")
    assert code == 0
    code, _, err = run(capsys, "hessian", "sum(outer(x, x))", "--at", "x=" + str([1.0] * 500))
    assert code == 1 and "elements" in err
    assert time.perf_counter() - start < 10.0


# ---------------------------------------------------------------------------
# constants: Python's exact arithmetic, never int64 wrap-around
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want", "slope"),
    [
        # the references are Python's own exact integers, rounded once to float64
        ("x + 2**64", float(2**64 + 1), 1.0),
        ("x + 3**100", float(3**100 + 1), 1.0),
        ("x + 2**62*4", float(2**64 + 1), 1.0),
        ("x + 10**15*10**15", float(10**30 + 1), 1.0),
        ("x + (-2)**63", float(-(2**63) + 1), 1.0),
        ("x - 2**63 - 2**63", 1.0 - 2.0**64, 1.0),
        ("x + 3**40*3**40", float(3**80 + 1), 1.0),
        # exact cancellation: in float64 2**64 + 1 - 2**64 is 0, exactly it is 1
        ("x + (2**64 + 1 - 2**64)", 2.0, 1.0),
        ("x * (3**100 - 3**100 + 7)", 7.0, 7.0),
        # int / int is Python's correctly rounded true division, even beyond float64
        ("x + 10**400 / 10**399", 11.0, 1.0),
        ("x + 2**-1", 1.5, 1.0),
        ("x * 0**0", 1.0, 1.0),
        # list literals of integers are float64 arrays: their sums cannot wrap either
        ("sum([2**62, 2**62]) + x", float(2**63 + 1), 1.0),
        ("prod([10**15, 10**15]) + x", float(10**30 + 1), 1.0),
        ("power(2, 64) + x", float(2**64 + 1), 1.0),
    ],
)
def test_integer_constants_are_exact(text: str, want: float, slope: float) -> None:
    assert float(parse_expression(text)(1.0)) == want
    assert float(fd.grad(parse_expression(text).function())(1.0)) == slope


def test_integer_constants_exact_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "grad", "x + 2**64", "--at", "x=1")
    assert data["value"] == float(2**64 + 1) == 1.8446744073709552e19
    data = run_json(capsys, "grad", "x * 3**100", "--at", "x=2")
    assert data["value"] == float(2 * 3**100) and data["gradient"]["x"] == float(3**100)
    data = run_json(capsys, "hessian", "3**100 * x**2", "--at", "x=1")
    assert data["hessian"] == [[float(2 * 3**100)]]


def test_integer_exponents_stay_integer_pow(capsys: pytest.CaptureFixture[str]) -> None:
    for text, prim in [("x**2", "integer_pow[y=2]"), ("x**(1+1)", "integer_pow[y=2]"),
                       ("x**-1", "integer_pow[y=-1]"), ("power(x, 3)", "integer_pow[y=3]"),
                       ("x**2.0", "pow")]:  # fmt: skip
        data = run_json(capsys, "jaxpr", text, "--at", "x=2")
        assert prim in data["jaxpr"], (text, data["jaxpr"])
    data = run_json(capsys, "grad", "x**-1", "--at", "x=2")
    assert data["gradient"]["x"] == -0.25


CONSTANTS_REFUSED = [
    ("x + 10**400", "the constant 10**400 overflows float64 (it is about 1e400; the largest"),
    ("10**400", "the constant 10**400 overflows float64"),
    ("x + 1e15**21", "the constant 1e15**21 overflows float64"),
    ("x + 2.5**1000", "the constant 2.5**1000 overflows float64"),
    ("x + (10**15)**1000", "an exact integer of about 15,001 digits (at most 3,000)"),
    ("x + 10**999*10**999*10**999*10**999", "an exact integer of about"),
    ("x + 2**10**10", "the exponent 10000000000 is too large"),
    ("x + 3**10**100", "the exponent about 1e100 is too large"),
    ("x * 7**7**7", "the exponent 823543 is too large"),
    ("x**(2**64)", "the exponent 18446744073709551616 is too large"),
    ("power(x, 2**64)", "the exponent 18446744073709551616 is too large"),
    ("x + 1/0", "division by zero in the constant 1/0"),
    ("x + 0**-1", "division by zero in the constant 0**-1"),
    ("x + (-8)**(1/3)", "the constant (-8)**(1/3) is not a real number"),
    ("x + 2 @ 3", "the operator @ needs arrays, not the numbers 2 and 3"),
    ("diag(x, 2**3)", "the argument k of diag(v, k) must be a literal number"),
    ("diag(x, y)", "the argument k of diag(v, k) must be a literal number"),
    ("diag(x, 1, 2)", "diag takes at most 2 arguments: diag(v, k), got 3"),
    ("sin(x, 1)", "sin takes at most 1 argument: sin(x), got 2"),
    ("outer(x)", "outer needs 2 array arguments: outer(a, b), got 1"),
    ("sum(x, 0, axis=1)", "sum: the argument axis is given twice"),
    ("diag(x, k=y)", "the value of k= must be a literal number"),
    ("sin(x, k=1)", "the keyword argument k= is not allowed in sin() (allowed: axis, keepdims"),
]


@pytest.mark.parametrize(("text", "why"), CONSTANTS_REFUSED, ids=[t for t, _ in CONSTANTS_REFUSED])
def test_constants_refused_promptly(text: str, why: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert time.perf_counter() - start < 0.5  # sizes are estimated before computing
    assert why in str(info.value)


@pytest.mark.parametrize(("text", "why"), CONSTANTS_REFUSED[:6])
def test_cli_refuses_constants_without_evaluating(
    capsys: pytest.CaptureFixture[str], sentinel: list[Any], text: str, why: str
) -> None:
    code, out, err = run(capsys, "grad", text, "--at", "x=1", "--at", "y=2")
    assert code == 2 and out == "" and why in err and sentinel == []


def test_exact_integers_are_bounded_before_they_are_computed() -> None:
    # 100 nested squarings would be a 2**100-bit integer: refused at once
    text = "x + " + "(" * 90 + "2" + "**2)" * 90
    start = time.perf_counter()
    with pytest.raises(ExpressionError, match="an exact integer of about"):
        parse_expression(text)
    assert time.perf_counter() - start < 0.5
    # inside the limit: 2**2000 (603 digits) is exact, and / brings it back
    assert float(parse_expression("x + 2**1000 * 2**1000 / (2**1000 * 2**999)")(1.0)) == 3.0


def test_literal_parameters() -> None:
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    v = np.array([1.0, 2.0])
    np.testing.assert_array_equal(parse_expression("transpose(x, [1, 0])")(x), x.T)
    np.testing.assert_array_equal(parse_expression("transpose(x, (1, 0))")(x), x.T)
    np.testing.assert_array_equal(parse_expression("sum(x, 0)")(x), x.sum(0))
    np.testing.assert_array_equal(parse_expression("diag(v, k=-1)")(v), np.diag(v, -1))
    np.testing.assert_array_equal(parse_expression("diag(v, 1)")(v), np.diag(v, 1))
    assert float(parse_expression("norm(v, 1)")(v)) == 3.0
    assert float(parse_expression("trace(x, 1)")(x)) == 2.0


@pytest.mark.parametrize(
    ("at", "why"),
    [
        ("x=1" + "0" * 400, "the number 1000000000000000000000000000000000000... in the --at"),
        ("x=[1, -1e400]", "the number 1e400 in the --at value overflows float64"),
    ],
)
def test_at_numbers_beyond_float64(capsys: pytest.CaptureFixture[str], at: str, why: str) -> None:
    code, out, err = run(capsys, "grad", "x", "--at", at)
    assert code == 2 and out == "" and why in err and "write inf" in err
    code, out, err = run(capsys, "grad", "x", "--at", "x=-inf")  # inf itself is a value
    assert code == 0


# ---------------------------------------------------------------------------
# every operation is bounded before it allocates
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["explain", "grad", "hessian", "jaxpr", "graph"])
@pytest.mark.parametrize(("k", "n"), [(8000, "64,032,004"), (-20000, "400,080,004")])
def test_diag_offset_counts(
    capsys: pytest.CaptureFixture[str], command: str, k: int, n: str
) -> None:
    start = time.perf_counter()
    text = f"diag(x, {k})" if command in ("explain", "jaxpr", "graph") else f"sum(diag(x, {k}))"
    code, out, err = run(capsys, command, text, "--at", "x=[1,2]")
    assert time.perf_counter() - start < 2.0
    assert code == 1 and out == ""
    assert (
        f"diag(): the result would have up to {n} elements, more than the 10,000,000 "
        "this command allows for one operation"
    ) in err


def test_diag_within_bounds(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "grad", "sum(diag(x, 3)**2)", "--at", "x=[1,2]")
    assert data["value"] == 5.0 and data["gradient"]["x"] == [2.0, 4.0]
    # the k-th diagonal of a matrix is never larger than the matrix, whatever k
    data = run_json(capsys, "grad", "sum(diag(x, 8000))", "--at", "x=[[1,2],[3,4]]")
    assert data["value"] == 0.0


def test_cumprod_counts_its_scan(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "grad", "sum(cumprod(outer(x, x)))", "--at", f"x={[1.0] * 1000}")
    # a million entries, a log-step scan of 20 steps of 3 arrays each
    assert code == 1 and "cumprod(): the result would have up to 61,000,000 elements" in err
    data = run_json(capsys, "grad", "sum(cumprod(x))", "--at", "x=[1,2,3]")
    assert data["value"] == 1 + 2 + 6 and data["gradient"]["x"] == [9.0, 4.0, 2.0]


def test_total_budget_of_one_evaluation() -> None:
    ex = parse_expression("sum(outer(x, x)) + sum(outer(x, x))")
    x = np.ones(10)
    # outer 100 + sum 100 + outer 100 + sum 100 + the final + 1: 401 elements
    assert float(Expression(ex.text, ex.program, ex.variables, 1000, 401)(x)) == 200.0
    small = Expression(ex.text, ex.program, ex.variables, 1000, 299)
    with pytest.raises(ValueError) as info:
        small(x)
    # refused at the second outer, before it runs
    assert str(info.value) == (
        "outer(): the operations of this expression would build up to 300 elements in all, "
        "more than the 299 this command allows for one evaluation"
    )
    with pytest.raises(ValueError, match=r"outer\(\): the result would have up to 100 elements"):
        Expression(ex.text, ex.program, ex.variables, 99)(x)


def test_dense_hessian_size_checked_first(capsys: pytest.CaptureFixture[str]) -> None:
    big = f"x={[1.0] * 1001}"
    for argv in (["hessian", "sum(x**2)"], ["taylor", "sum(x**2)"],
                 ["jaxpr", "sum(x**2)", "--of", "hessian"],
                 ["graph", "sum(x**2)", "--of", "hessian"]):  # fmt: skip
        code, _, err = run(capsys, *argv, "--at", big)
        assert code == 1, argv
        assert "1001 scalar inputs is too many for a dense Hessian (1001x1001 entries; " in err
        assert "at most 1000 inputs" in err


def test_explain_json_and_graph_nodes_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "explain", "outer(x, x)", "--at", f"x={[1.0] * 1001}", "--json")
    assert code == 1 and json.loads(out)["exit_code"] == 1
    assert "explain --json: the value has 1,002,001 elements, more than the 1,000,000" in err
    code, out, err = run(capsys, "graph", "x", "--at", "x=1", "--max-nodes", "5000")
    assert code == 2 and out == "" and "--max-nodes 5000 is too many: at most 2000" in err

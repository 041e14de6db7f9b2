"""funcdiff's types serve its users: a typed program that calls funcdiff passes
``mypy --strict`` without casts, and the types are precise enough to catch
mistakes (a string passed to ``fnp.sin``, a gradient assigned to a ``str``).

Also checked here: the declarations of numpy's operators and methods in
``Tracer``'s class body (for type checkers only) name exactly the methods
``funcdiff.numpy`` installs at run time, with the parameters of the
``funcdiff.numpy`` functions they forward to.
"""

from __future__ import annotations

import ast
import inspect
import pathlib
import textwrap

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.core import typing as core_typing
from funcdiff.core.trace import Tracer
from funcdiff.numpy._methods import _SKIP, _ArrayMethods

ROOT = pathlib.Path(fd.__file__).resolve().parent.parent

GOOD = '''
"""A typed user program."""

from __future__ import annotations

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp


def rosen(x: fd.Array) -> fd.Array:
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def loss(w: fd.Array, xs: fd.Array, ys: fd.Array) -> fd.Array:
    err = fnp.tanh(fnp.einsum("ij,j->i", xs, w)) - ys
    return fnp.mean(err**2) + 0.1 * (w * w).sum()


def shaped(x: fd.Array) -> fd.Array:
    y = 2.0 * x + x.T.sum(axis=0) / 3 - fnp.abs(-x)
    y = y + fnp.zeros(y.shape).at[0].set(1.0)
    z = fnp.where(y > 0, fnp.sqrt(fnp.abs(y)), -y).reshape(-1)
    return fnp.concatenate([z, z[::-1], fnp.stack([z.max(), z.min()])])


def params_loss(params: dict[str, fd.Array], x: fd.Array) -> fd.Array:
    return fnp.sum((params["w"] * x + params["b"]) ** 2)


def main() -> float:
    x: fd.Array = np.array([1.2, 0.8, 1.1])
    g: fd.Array = fd.grad(rosen)(x)
    v, g2 = fd.value_and_grad(rosen)(x)
    h: fd.Array = fd.hessian(rosen)(x)
    j: fd.Array = fd.jacfwd(shaped)(x)
    w, xs, ys = np.zeros(3), np.ones((4, 3)), np.ones(4)
    gw: fd.Array = fd.grad(loss)(w, xs, ys)
    fast = fd.jit(loss)
    value: fd.Array = fast(w, xs, ys)
    traces: int = fast.trace_count
    batched = fd.vmap(rosen)(np.ones((5, 3)))
    pg = fd.grad(params_loss)({"w": np.ones(2), "b": np.zeros(2)}, np.ones(2))
    pw: fd.Array = pg["w"]
    jaxpr: fd.ClosedJaxpr = fd.make_jaxpr(rosen)(x)
    y, dy = fd.jvp(rosen, (x,), (np.ones(3),))
    out, pullback = fd.vjp(rosen, x)
    (ct,) = pullback(1.0)
    u: fd.Array = fnp.linalg.svd(np.eye(2)).U
    q, r = fnp.linalg.qr(np.eye(2))
    hv: fd.Array = fd.hvp(rosen, x, np.ones(3))
    parts = [g, g2, h, j, gw, value, batched, pw, y, dy, out, ct, u, q, r, hv, v]
    print(str(jaxpr), traces)
    return float(sum(float(fnp.sum(p)) for p in parts))


main()
'''

BAD = """
from __future__ import annotations

import funcdiff as fd
import funcdiff.numpy as fnp


def f(x: fd.Array) -> fd.Array:
    return fnp.sin(x) * x


def not_a_string(x: fd.Array) -> str:
    return x + 1  # error 1: a Tracer or an array is not a str


fnp.sin("not a number")  # error 2: a str is not array-like
g: str = fd.grad(f)(fnp.ones(3))  # error 3: a gradient is an array
n: int = fd.make_jaxpr(f)(fnp.ones(3))  # error 4: make_jaxpr gives a ClosedJaxpr
"""


def _mypy(tmp_path: pathlib.Path, files: dict[str, str]) -> tuple[str, int]:
    api = pytest.importorskip("mypy.api", reason="mypy (a dev dependency) is not installed")
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    config = tmp_path / "mypy.ini"
    # funcdiff is checked as an installed package is: its own errors are not
    # the user's (mypy reports none for site-packages); its own strictness is
    # checked by `mypy --strict funcdiff`
    config.write_text(
        "[mypy]\nstrict = True\n"
        f"mypy_path = {ROOT}\n"
        f"cache_dir = {tmp_path / '.mypy_cache'}\n"
        "[mypy-funcdiff.*]\nignore_errors = True\n"
    )
    stdout, stderr, status = api.run(
        ["--config-file", str(config), *[str(tmp_path / n) for n in files]]
    )
    return stdout + stderr, status


def test_typed_user_program_passes_mypy_strict_and_mistakes_fail(
    tmp_path: pathlib.Path,
) -> None:
    report, status = _mypy(tmp_path, {"good.py": GOOD, "bad.py": BAD})
    errors = [line for line in report.splitlines() if ": error:" in line]
    assert not [e for e in errors if "good.py" in e], report
    bad_lines = sorted({int(e.split(":")[1]) for e in errors if "bad.py" in e})
    expected = [
        i + 1 for i, line in enumerate(textwrap.dedent(BAD).splitlines()) if "# error" in line
    ]
    assert bad_lines == expected, report
    assert status == 1
    # and the program runs
    namespace: dict[str, object] = {"__name__": "good"}
    exec(compile(textwrap.dedent(GOOD), "good.py", "exec"), namespace)


def _declared_methods() -> dict[str, ast.FunctionDef]:
    """The defs in the ``if TYPE_CHECKING:`` block of ``Tracer``'s class body."""
    source = pathlib.Path(inspect.getfile(Tracer)).read_text()
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tracer")
    block = next(
        n for n in cls.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    )
    return {n.name: n for n in block.body if isinstance(n, ast.FunctionDef)}


def test_tracer_declarations_match_the_installed_methods() -> None:
    declared = _declared_methods()
    installed = {n for n in vars(_ArrayMethods) if n not in _SKIP}
    assert set(declared) == installed
    # at run time the declarations do not exist: Tracer has the installed ones
    for name in declared:
        assert vars(Tracer)[name] is vars(_ArrayMethods)[name], name


FORWARDED = {
    "sum": fnp.sum,
    "prod": fnp.prod,
    "mean": fnp.mean,
    "max": fnp.max,
    "min": fnp.min,
    "var": fnp.var,
    "std": fnp.std,
    "argmax": fnp.argmax,
    "argmin": fnp.argmin,
    "cumsum": fnp.cumsum,
    "cumprod": fnp.cumprod,
    "all": fnp.all,
    "any": fnp.any,
    "clip": fnp.clip,
    "round": fnp.round,
    "trace": fnp.trace,
    "diagonal": fnp.diagonal,
    "repeat": fnp.repeat,
    "take": fnp.take,
    "sort": fnp.sort,
    "argsort": fnp.argsort,
}


@pytest.mark.parametrize("name", sorted(FORWARDED))
def test_method_declarations_have_the_numpy_functions_parameters(name: str) -> None:
    declared = _declared_methods()[name]
    args = declared.args
    names = [a.arg for a in [*args.args, *args.kwonlyargs]][1:]  # without self
    params = list(inspect.signature(FORWARDED[name]).parameters)[1:]  # without the array
    assert names == params


def test_array_types_at_run_time() -> None:
    assert isinstance(np.ones(2), fd.Array)
    assert not isinstance(1.0, fd.Array)
    seen: list[bool] = []

    def f(x: fd.Array) -> fd.Array:
        seen.append(isinstance(x, fd.Array) and isinstance(x, Tracer))
        return fnp.sum(x * x)

    fd.grad(f)(np.ones(2))
    assert seen == [True]
    assert fd.Array is core_typing.Array
    assert fd.ArrayLike is core_typing.ArrayLike

"""The package's floors: no import runs from a lower layer to a higher one,
and no import cycle spans more than one folder.

Layers, bottom up (``LAYERS``): the ground (errors, pytrees, numpy
compatibility) < ``core`` < first-order ``primitives`` < ``interpreters``
(and the IR passes and the staging layer) < higher-order primitives (control
flow, custom rules: they use the interpreters; the backends) < transforms and the
user-facing families (api, jit, numpy, lax, nn, custom, debug, ...) < tools
(optimize, plots, drawings and tables, the package root) < the CLI.

Every import counts, at module level or inside a function (a lazy import
hides a cycle, it does not remove it); imports under ``if TYPE_CHECKING:``
do not run and do not count. ``KNOWN_UPWARD`` lists the upward imports that
remain, each with its reason; the test fails when a new one appears and when
a listed one is gone (so the list stays true).
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "funcdiff"

#: (module-name prefix, layer); the longest matching prefix wins
LAYERS: list[tuple[str, int]] = [
    ("funcdiff.errors", 0),
    ("funcdiff.tree", 0),
    ("funcdiff._compat", 0),
    ("funcdiff.core", 1),
    ("funcdiff.primitives", 2),
    ("funcdiff.interpreters", 3),
    ("funcdiff.passes", 3),
    ("funcdiff.primitives.control", 4),
    ("funcdiff.backends", 4),
    ("funcdiff.higher_order", 4),
    ("funcdiff.api", 5),
    ("funcdiff.api_util", 5),
    ("funcdiff._jet", 5),
    ("funcdiff.jit", 5),
    ("funcdiff.xla", 5),
    ("funcdiff.numpy", 5),
    ("funcdiff.lax", 5),
    ("funcdiff.nn", 5),
    ("funcdiff.custom", 5),
    ("funcdiff.debug", 5),
    ("funcdiff.checking", 5),
    ("funcdiff.quadratic", 5),
    ("funcdiff.scipy", 5),
    ("funcdiff.sparse", 5),
    ("funcdiff.curvature", 5),
    ("funcdiff.implicit", 5),
    ("funcdiff", 6),  # the package root and the tools: optimize, plot, see, viz, tables
    ("funcdiff.cli", 7),
    ("funcdiff.__main__", 7),
]

#: (importer, imported) -> why it is still there
KNOWN_UPWARD: dict[tuple[str, str], str] = {}

#: a module of each import cycle that still spans folders -> why
KNOWN_CYCLES: dict[str, str] = {}


def layer_of(module: str) -> int:
    best = max((p for p, _ in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return dict(LAYERS)[best]


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for stmt in node.body:
                skip.update(id(n) for n in ast.walk(stmt))
    return skip


def imports_of(module: str) -> set[str]:
    """The funcdiff modules ``module`` imports (at any depth of its code)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text())
    skip = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return {m for m in found if m in MODULES and m != module}


GRAPH = {m: imports_of(m) for m in MODULES}


def upward_imports() -> set[tuple[str, str]]:
    return {(m, dep) for m, deps in GRAPH.items() for dep in deps if layer_of(dep) > layer_of(m)}


def _cycles() -> Iterator[list[str]]:
    """Strongly connected components with more than one module (Tarjan's
    algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    counter = 0
    for root in sorted(GRAPH):
        if root in index:
            continue
        work = [(root, iter(sorted(GRAPH[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(GRAPH[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    component.append(m)
                    if m == node:
                        break
                if len(component) > 1:
                    yield sorted(component)


def _folder(module: str) -> str:
    path = MODULES[module]
    return str(path.parent.relative_to(PACKAGE.parent))


def test_the_import_graph_is_read() -> None:
    # the reader sees lazy and relative imports, and skips TYPE_CHECKING ones
    assert "funcdiff.core.ir" in GRAPH["funcdiff.core.trace"]
    assert "funcdiff.numpy._core" in GRAPH["funcdiff.numpy"]
    assert len(MODULES) > 40


def test_no_new_upward_imports() -> None:
    new = sorted(upward_imports() - set(KNOWN_UPWARD))
    assert not new, "imports from a lower layer to a higher one:\n" + "\n".join(
        f"{a} (layer {layer_of(a)}) imports {b} (layer {layer_of(b)})" for a, b in new
    )


def test_known_upward_imports_are_still_there() -> None:
    gone = sorted(set(KNOWN_UPWARD) - upward_imports())
    assert not gone, f"remove from KNOWN_UPWARD, they are fixed: {gone}"


def _spans_folders(cycle: list[str]) -> bool:
    return len({_folder(m) for m in cycle}) > 1


CYCLES = list(_cycles())


@pytest.mark.parametrize(
    "cycle",
    [
        pytest.param(
            c,
            marks=[
                pytest.mark.xfail(strict=True, reason=KNOWN_CYCLES[m])
                for m in c
                if m in KNOWN_CYCLES
            ][:1],
        )
        for c in CYCLES
    ],
    ids=lambda c: c[0],
)
def test_cycles_stay_inside_one_folder(cycle: list[str]) -> None:
    folders = sorted({_folder(m) for m in cycle})
    assert len(folders) == 1, f"an import cycle across folders {folders}: {cycle}"


def test_known_cycles_are_still_there() -> None:
    members = {m for c in CYCLES if _spans_folders(c) for m in c}
    gone = sorted(set(KNOWN_CYCLES) - members)
    assert not gone, f"remove from KNOWN_CYCLES, no longer in a cross-folder cycle: {gone}"

"""Every primitive name the package spells as a string is a real primitive.

Code that looks a primitive up by name (``eqn.primitive.name == "pad"``,
``prim.name in {"reshape", "slice"}``, a table keyed by name, a pass rule
``@_rule("mul")``) silently stops matching when the primitive is renamed or
was never one. This test reads the package's source and checks each such
string against the registry.
"""

from __future__ import annotations

import ast
import pathlib

import funcdiff
from funcdiff.core.primitive import REGISTRY, load_families

load_families()  # every family registers its primitives

PACKAGE = pathlib.Path(funcdiff.__file__).resolve().parent


def _is_name_attribute(node: ast.AST) -> bool:
    """``<something>.name`` where something is a primitive (``prim``,
    ``eqn.primitive``, ``self.primitive``...), or a variable ``prim`` or
    ``prim_name`` holding a primitive's name."""
    if isinstance(node, ast.Name):
        return node.id in ("prim", "prim_name")
    if not (isinstance(node, ast.Attribute) and node.attr == "name"):
        return False
    owner = ast.unparse(node.value)
    return owner.endswith("prim") or owner.endswith("primitive") or owner == "p"


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Set, ast.Tuple, ast.List)):
        return [s for e in node.elts for s in _strings(e)]
    if isinstance(node, ast.Call) and ast.unparse(node.func) in ("frozenset", "set"):
        return [s for a in node.args for s in _strings(a)]
    if isinstance(node, ast.Dict):
        return [s for k in node.keys if k is not None for s in _strings(k)]
    return []


def primitive_names_in(path: pathlib.Path) -> dict[str, int]:
    """Strings used as primitive names in one file -> a line where each is."""
    tree = ast.parse(path.read_text())
    constants: dict[str, ast.AST] = {}  # module-level NAME = <literal collection>
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                if isinstance(t, ast.Name) and stmt.value is not None:
                    constants[t.id] = stmt.value

    def resolve(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Name) and node.id in constants:
            return _strings(constants[node.id])
        return _strings(node)

    found: dict[str, int] = {}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_name_attribute(s) for s in sides):
                for s in sides:
                    if not _is_name_attribute(s):
                        names += resolve(s)
        elif isinstance(node, ast.Subscript) and _is_name_attribute(node.slice):
            names += resolve(node.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            # TABLE.get(prim.name)
            if node.func.attr == "get" and node.args and _is_name_attribute(node.args[0]):
                names += resolve(node.func.value)
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:  # passes: @_rule("mul", ...)
                if isinstance(dec, ast.Call) and ast.unparse(dec.func) == "_rule":
                    names += [s for a in dec.args for s in _strings(a)]
        for n in names:
            found.setdefault(n, node.lineno if hasattr(node, "lineno") else 0)
    return found


def test_the_reader_finds_names() -> None:
    # passes look primitives up by name: the reader must see them
    assert "add" in primitive_names_in(PACKAGE / "passes.py")


def test_every_primitive_name_in_a_string_is_registered() -> None:
    unknown = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for name, line in primitive_names_in(path).items():
            if name not in REGISTRY:
                unknown.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name!r}")
    assert not unknown, "not primitives (renamed, or never were):\n" + "\n".join(unknown)


def test_codegen_names_no_primitive() -> None:
    """Code generation reads what it needs from the primitive (``emit``,
    ``emit_out``, ``emit_inplace``, ``emit_scalar``, ``returns_view``): no
    string in codegen.py, anywhere, is a primitive's name."""
    import funcdiff.primitives  # noqa: F401  (every family registers itself)

    path = PACKAGE / "interpreters" / "codegen.py"
    tree = ast.parse(path.read_text())
    named = sorted(
        f"{path.name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in REGISTRY
    )
    assert not named, "codegen names primitives:\n" + "\n".join(named)

"""docs/api.md is current, and every public name has a docstring with an example.

The reference is generated from the docstrings by docs/gen_api.py; when a
public function, signature or docstring changes, regenerate it with
``python docs/gen_api.py``.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _gen_api() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "funcdiff_docs_gen_api", ROOT / "docs" / "gen_api.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen_api = _gen_api()


def test_api_md_is_current() -> None:
    text, missing = gen_api.generate()
    if missing:
        pytest.skip(f"cannot regenerate the whole reference here: {missing} do not import")
    current = (ROOT / "docs" / "api.md").read_text()
    if current != text:
        diff = "\n".join(
            list(
                difflib.unified_diff(
                    current.splitlines(), text.splitlines(), "docs/api.md", "generated", lineterm=""
                )
            )[:40]
        )
        pytest.fail(
            "docs/api.md is out of date with the docstrings: run `python docs/gen_api.py`\n" + diff
        )


def _public_modules() -> list[ModuleType]:
    modules = []
    for section in gen_api.SECTIONS:
        found = gen_api.submodules_of(section) if section.module == "funcdiff.scipy" else [section]
        for s in found:
            try:
                modules.append(importlib.import_module(s.module))
            except ImportError:
                continue
    return modules


def _needs_example(obj: Any) -> bool:
    """Functions and classes defined in funcdiff; not modules, constants,
    type aliases, exceptions, or numpy objects re-exported by funcdiff.numpy."""
    if inspect.ismodule(obj) or gen_api.is_type_alias(obj):
        return False
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return False
    elif not callable(obj):
        return False
    return str(getattr(obj, "__module__", "") or "").startswith("funcdiff")


def _docstring(obj: Any) -> str:
    # a class's own docstring: inspect.getdoc would inherit a base class's
    return (obj.__doc__ if inspect.isclass(obj) else inspect.getdoc(obj)) or ""


def test_every_public_name_has_a_docstring_with_an_example() -> None:
    seen: set[int] = set()
    no_doc: list[str] = []
    no_example: list[str] = []
    for module in _public_modules():
        for name in sorted(getattr(module, "__all__", [])):
            obj = getattr(module, name)
            if not _needs_example(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            doc = _docstring(obj)
            where = f"{module.__name__}.{name}"
            if not doc.strip():
                no_doc.append(where)
            elif ">>>" not in doc:
                no_example.append(where)
    problems = []
    if no_doc:
        problems.append(f"{len(no_doc)} public names have no docstring: {', '.join(no_doc)}")
    if no_example:
        problems.append(
            f"{len(no_example)} public docstrings have no `>>>` example: {', '.join(no_example)}"
        )
    assert not problems, "\n".join(problems)

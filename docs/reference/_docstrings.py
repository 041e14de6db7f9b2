"""A griffe extension (mkdocs.yml loads it): funcdiff's docstrings as markdown.

The docstrings are Google-style with reST-isms, written for ``help()`` and
doctest: ``>>>`` examples, ``:func:`x``` roles and ``double backquotes``. In
markdown a ``>>>`` line is a nested quote; here each run of example lines
(prompts with their expected output, up to a blank line) becomes a fenced
``pycon`` block, and the roles become code spans. The source is not touched.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|exc|obj|const):`~?([^`]+)`")
PROMPT = re.compile(r"^(\s*)>>> ?")
FENCE = re.compile(r"^\s*(```|~~~)")


def doctest_blocks(text: str) -> str:
    """Fence every run of ``>>>`` lines (and the output after them) as ``pycon``."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        if FENCE.match(line):
            in_fence = not in_fence
        m = None if in_fence else PROMPT.match(line)
        if m is None:
            out.append(line)
            i += 1
            continue
        indent = m.group(1)
        block: list[str] = []
        while i < len(lines) and lines[i].strip():
            block.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        if out and out[-1].strip():
            out.append("")
        out.append(f"{indent}```pycon")
        out.extend(f"{indent}{b}" for b in block)
        out.append(f"{indent}```")
    return "\n".join(out)


def to_markdown(text: str) -> str:
    text = ROLE.sub(r"`\1`", text)
    return doctest_blocks(text)


class DocstringsAsMarkdown(griffe.Extension):
    """Rewrites each docstring once, when griffe creates its object."""

    def on_instance(self, *, node: Any, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is None:
            return
        value = getattr(node, "obj", None)  # the runtime object (griffe imports the modules)
        if obj.is_attribute and value is not None and value.__doc__ == type(value).__doc__:
            # a constant or a type alias: its "docstring" is its type's (float's, UnionType's)
            obj.docstring = None
            return
        obj.docstring.value = to_markdown(obj.docstring.value)

    def on_class_members(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        # no __doc__, __module__, __slots__ entries. Also: classes whose __module__ is set
        # to the public module (funcdiff.debug's NaNError, defined in funcdiff.core) make
        # griffe's inspector alias their dunder methods to each other in a cycle
        for name, member in list(cls.members.items()):
            if name.startswith("__") and (member.is_alias or member.is_attribute):
                del cls.members[name]

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

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)

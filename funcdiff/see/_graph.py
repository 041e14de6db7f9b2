"""The computation graph of a function as Graphviz DOT.

``graph(f, *args)`` traces ``f`` at ``args`` (the values are carried, so every
intermediate value is known), runs the reverse-mode backward pass on the same
jaxpr, and draws it the way the lecture did: inputs -> one node per equation
(its primitive, params, type and value) -> outputs, with edges for the data
flow labelled by variable name and type. For a scalar output each node also
shows its adjoint ``dz/dv``, each edge the contribution it carries backwards,
and a variable used by several equations (fan-out) shows every contribution
and their sum.

``graph_jaxpr(closed)`` draws any jaxpr, e.g. the jaxpr of ``grad(f)`` or
``hessian(f)`` from ``funcdiff.make_jaxpr``; given argument values it
evaluates them first and shows values and adjoints too.

The result is a :class:`Graph`: ``.dot`` is the DOT text (always available),
``.save("g.svg")`` / ``.png`` / ``.pdf`` run Graphviz's ``dot`` program when
it is installed, and notebooks display it through ``_repr_svg_``.

Large graphs stay readable: above ``max_nodes`` the first and last equations
are drawn and the middle ones collapse into one "... N more equations ..."
node (the graph label says so). Every walk over the graph is a loop, so a
chain of 100,000 operations draws without RecursionError.
"""

from __future__ import annotations

import html
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from funcdiff.core.ir import ClosedJaxpr, Jaxpr, Var
from funcdiff.errors import FuncdiffError
from funcdiff.see._analysis import (
    Analysis,
    Fun,
    arg_names,
    check_notation,
    eqn_params_text,
    eqn_text,
    evaluate_env,
)
from funcdiff.see._format import format_sum, format_value

#: How to get Graphviz's ``dot`` program, quoted in every "dot not found" message.
GRAPHVIZ_HELP = (
    "install Graphviz, which provides the `dot` program: `apt install graphviz` "
    "(Debian/Ubuntu), `brew install graphviz` (macOS), `conda install -c conda-forge "
    "graphviz`, or https://graphviz.org/download/"
)

#: Output formats ``Graph.save`` renders through ``dot`` (by file suffix).
RENDERED_FORMATS = ("svg", "png", "pdf")


class GraphvizNotFoundError(FuncdiffError, RuntimeError):
    """Graphviz's ``dot`` program is not on PATH, so SVG/PNG cannot be rendered.

    The DOT text is always available (``Graph.dot``, ``Graph.save("g.dot")``);
    ``Graph.save("g.svg")`` writes ``g.dot`` next to the requested file before
    raising this. Install Graphviz (``apt install graphviz``, ``brew install
    graphviz`` or ``conda install -c conda-forge graphviz``) to render it.
    """


# ---------------------------------------------------------------------------
# the Graph object
# ---------------------------------------------------------------------------


def _dot_program() -> str | None:
    return shutil.which("dot")


class Graph:
    """A computation graph as Graphviz DOT text.

    Attributes:
      dot: the DOT source (``str(graph)`` too).
      num_eqns: equations in the jaxpr; ``shown_eqns``: equations drawn.
      collapsed: True when some equations were collapsed (``max_nodes``).

    >>> import funcdiff.numpy as fnp
    >>> g = graph(lambda x: x ** fnp.cos(x), 3.0)
    >>> g
    Graph(2 equations, scalar output, adjoints shown)
    >>> g.dot.startswith("digraph funcdiff {")
    True
    """

    def __init__(self, dot: str, num_eqns: int, shown_eqns: int, adjoints: bool, kind: str) -> None:
        self.dot = dot
        self.num_eqns = num_eqns
        self.shown_eqns = shown_eqns
        self.collapsed = shown_eqns < num_eqns
        self._adjoints = adjoints
        self._kind = kind

    def __str__(self) -> str:
        return self.dot

    def __repr__(self) -> str:
        shown = "" if not self.collapsed else f", {self.shown_eqns} drawn"
        adj = ", adjoints shown" if self._adjoints else ""
        s = "" if self.num_eqns == 1 else "s"
        return f"Graph({self.num_eqns} equation{s}{shown}, {self._kind}{adj})"

    def pipe(self, fmt: str = "svg", timeout: float = 60.0) -> bytes:
        """Render with Graphviz's ``dot`` program (``svg``, ``png`` or ``pdf``)."""
        if fmt not in RENDERED_FORMATS:
            raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(RENDERED_FORMATS)}")
        prog = _dot_program()
        if prog is None:
            raise GraphvizNotFoundError(
                f"cannot render {fmt.upper()}: Graphviz's `dot` program is not on PATH. "
                f"To get it, {GRAPHVIZ_HELP}. The DOT text is available as Graph.dot."
            )
        try:
            proc = subprocess.run(
                [prog, f"-T{fmt}"],
                input=self.dot.encode("utf-8"),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as err:
            raise RuntimeError(
                f"Graphviz `dot` did not finish within {timeout} s; draw fewer nodes "
                "(max_nodes=...) or save the .dot file and render it yourself"
            ) from err
        if proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip()
            raise RuntimeError(f"Graphviz `dot -T{fmt}` failed ({proc.returncode}): {msg}")
        return proc.stdout

    def save(self, path: str | Path, timeout: float = 60.0) -> Path:
        """Write the graph; the suffix picks the format.

        ``.dot``/``.gv``: the DOT text (always works). ``.svg``, ``.png``,
        ``.pdf``: rendered by Graphviz's ``dot``; when ``dot`` is missing the
        DOT text is written next to ``path`` (same name, ``.dot``) and
        :class:`GraphvizNotFoundError` says where it is and how to install
        Graphviz. Returns the path written.

        >>> import tempfile, os, funcdiff.numpy as fnp
        >>> d = tempfile.mkdtemp()
        >>> p = graph(fnp.sin, 1.0).save(os.path.join(d, "sin.dot"))
        >>> p.read_text().startswith("digraph")
        True
        """
        path = Path(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt in ("dot", "gv"):
            path.write_text(self.dot, encoding="utf-8")
            return path
        if fmt not in RENDERED_FORMATS:
            raise ValueError(
                f"cannot tell the format of {str(path)!r} from its suffix: use .dot or .gv "
                f"(DOT text), or {', '.join('.' + f for f in RENDERED_FORMATS)} (rendered "
                "by Graphviz)"
            )
        if _dot_program() is None:
            dot_path = path.with_suffix(".dot")
            dot_path.write_text(self.dot, encoding="utf-8")
            raise GraphvizNotFoundError(
                f"cannot write {path}: Graphviz's `dot` program is not on PATH. "
                f"The DOT text was written to {dot_path} instead. To render it, "
                f"{GRAPHVIZ_HELP}; then run: dot -T{fmt} {dot_path} -o {path}"
            )
        path.write_bytes(self.pipe(fmt, timeout))
        return path

    def _repr_html_(self) -> str | None:
        """Notebook display without Graphviz: how to get the drawing, and the
        DOT text (with Graphviz, None: the notebook shows ``_repr_svg_``)."""
        if _dot_program() is not None:
            return None
        return (
            f"<div><b>{html.escape(repr(self))}</b><p>The drawing needs Graphviz's "
            f"<code>dot</code> program, which is not on PATH: {html.escape(GRAPHVIZ_HELP)}. "
            "Without it, <code>Graph.save('g.dot')</code> writes the DOT text, which "
            "online viewers render.</p><details><summary>DOT text</summary>"
            f"<pre>{html.escape(self.dot)}</pre></details></div>"
        )

    def _repr_svg_(self) -> str | None:
        """Notebook display (needs Graphviz's ``dot``; None falls back to text)."""
        if _dot_program() is None:
            return None
        try:
            return self.pipe("svg").decode("utf-8")
        except (RuntimeError, OSError):
            return None


# ---------------------------------------------------------------------------
# drawing
# ---------------------------------------------------------------------------

_STYLE = {
    "input": 'shape=box, style="rounded,filled,bold", fillcolor="#d6eaff", color="#2b6cb0"',
    "const": 'shape=note, style=filled, fillcolor="#eeeeee", color="#999999"',
    "eqn": 'shape=box, style="rounded,filled", fillcolor="#fdfdf6", color="#777777"',
    "output": 'shape=box, style="filled,bold", fillcolor="#ffe2c6", color="#c05621", peripheries=2',
    "more": 'shape=box, style="dashed,filled", fillcolor="#ffffff", color="#999999"',
}
_ADJ_COLOR = "#c53030"
_SCOPE_COLOR = "#6b46c1"
_VAL_COLOR = "#2f855a"


def _h(s: str) -> str:
    return html.escape(s, quote=True)


def _lines(rows: Sequence[str]) -> str:
    """An HTML-like Graphviz label from pre-escaped rows, left aligned."""
    return "<" + "".join(f'{r}<BR ALIGN="LEFT"/>' for r in rows) + ">"


def _pick(n: int, budget: int) -> tuple[int, int]:
    """Show the first ``head`` and the last ``tail`` of n items within budget."""
    if n <= budget:
        return n, 0
    budget = max(budget, 2)
    head = (budget + 1) // 2
    return head, budget - head


def _draw(
    an: Analysis,
    *,
    values: bool,
    adjoints: bool,
    max_nodes: int,
    title: str | None,
    out_names: Sequence[str] | None,
    rankdir: str,
    notation: str = "lecture",
) -> Graph:
    jaxpr = an.jaxpr
    check_notation(notation, "graph")
    if max_nodes < 5:
        raise ValueError(f"max_nodes must be at least 5, got {max_nodes}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    show_vals = values and an.env is not None
    show_adj = adjoints and an.has_adjoints
    names = an.names
    eqns = jaxpr.eqns
    n_in, n_const, n_out, n_eqn = (
        len(jaxpr.invars),
        len(jaxpr.constvars),
        len(jaxpr.outvars),
        len(eqns),
    )
    quarter = max(2, max_nodes // 4)
    in_head, in_tail = _pick(n_in, quarter)
    c_head, c_tail = _pick(n_const, quarter)
    o_head, o_tail = _pick(n_out, quarter)
    fixed = in_head + in_tail + c_head + c_tail + o_head + o_tail
    fixed += (in_head + in_tail < n_in) + (c_head + c_tail < n_const) + (o_head + o_tail < n_out)
    e_head, e_tail = _pick(n_eqn, max_nodes - fixed - 1)

    def shown(i: int, n: int, head: int, tail: int) -> bool:
        return i < head or i >= n - tail

    lines: list[str] = []
    edges: list[str] = []
    seen_edges: set[tuple[str, str]] = set()
    node_of: dict[Var, str] = {}

    def var_line(v: Var) -> str:
        s = f"{_h(names(v))} : {_h(v.aval.str_short())}"
        if show_vals:
            val = an.value(v)
            if val is not None:
                s += f' = <FONT COLOR="{_VAL_COLOR}">{_h(format_value(val))}</FONT>'
        return s

    z = an.z

    def adj_line(v: Var) -> str | None:
        if not show_adj or v not in an.adjoint:
            return None
        total = format_value(an.adjoint[v])
        contribs = an.contributions.get(v, [])
        text = f"d{z}/d{names(v)} = "
        if len(contribs) > 1:
            text += f"{format_sum([c for _, _, c in contribs])} = {total}"
            text += f"  (sum over {len(contribs)} uses)"
        else:
            text += total
        return f'<FONT COLOR="{_ADJ_COLOR}">{_h(text)}</FONT>'

    # -- inputs and constants
    in_label = "input"
    for k, v in enumerate(jaxpr.invars):
        if not shown(k, n_in, in_head, in_tail):
            node_of[v] = "more_inputs"
            continue
        nid = f"in{k}"
        node_of[v] = nid
        rows = [f"<B>{in_label} {_h(names(v))}</B>", var_line(v)]
        a = adj_line(v)
        if a:
            rows.append(a)
        lines.append(f"  {nid} [{_STYLE['input']}, label={_lines(rows)}];")
    if in_head + in_tail < n_in:
        hidden = n_in - in_head - in_tail
        lines.append(f'  more_inputs [{_STYLE["more"]}, label="... {hidden} more inputs ..."];')
    for k, v in enumerate(jaxpr.constvars):
        if not shown(k, n_const, c_head, c_tail):
            node_of[v] = "more_consts"
            continue
        nid = f"const{k}"
        node_of[v] = nid
        rows = [f"<B>constant {_h(names(v))}</B>", var_line(v)]
        lines.append(f"  {nid} [{_STYLE['const']}, label={_lines(rows)}];")
    if c_head + c_tail < n_const:
        hidden = n_const - c_head - c_tail
        lines.append(f'  more_consts [{_STYLE["more"]}, label="... {hidden} more constants ..."];')

    # -- equations (a loop; the middle of a long jaxpr collapses into one node)
    edge_adj = {(i, k): c for v, cs in an.contributions.items() for i, k, c in cs}
    hidden_eqns = n_eqn - e_head - e_tail
    # equations traced in a named_scope (funcdiff.nn's relu, log_softmax...) are
    # drawn inside one labelled box per run, in the lecture's notation
    open_scope: str | None = None
    n_clusters = 0
    for i, eqn in enumerate(eqns):
        visible = shown(i, n_eqn, e_head, e_tail)
        nid = f"e{i}" if visible else "more_eqns"
        scope = eqn.scope if visible and notation == "lecture" else None
        if scope != open_scope:
            if open_scope is not None:
                lines.append("  }")
            if scope is not None:
                lines.append(
                    f"  subgraph cluster_{n_clusters} {{ label=<<B>{_h(scope)}</B>>; "
                    f'style="rounded,dashed"; color="{_SCOPE_COLOR}"; fontcolor="{_SCOPE_COLOR}";'
                )
                n_clusters += 1
            open_scope = scope
        if visible:
            outs = ", ".join(names(v) for v in eqn.outvars)
            args = " ".join(names.atom(x) for x in eqn.invars)
            if notation == "raw":
                head = (
                    f"{_h(outs)} = <B>{_h(eqn.primitive.name)}</B>{_h(eqn_params_text(eqn))} "
                    f"{_h(args)}"
                )
            else:
                text = eqn_text(eqn, [names.atom(x) for x in eqn.invars], notation)
                head = f"{_h(outs)} = <B>{_h(text)}</B>"
            rows = [head.rstrip()]
            for v in eqn.outvars:
                rows.append(var_line(v))
                a = adj_line(v)
                if a:
                    rows.append(a)
            lines.append(f"  {nid} [{_STYLE['eqn']}, label={_lines(rows)}];")
        elif i == e_head:
            lines.append(
                f'  more_eqns [{_STYLE["more"]}, label="... {hidden_eqns} more equations '
                f'(#{e_head} to #{e_head + hidden_eqns - 1}) ..."];'
            )
        for k, x in enumerate(eqn.invars):
            if not isinstance(x, Var):
                continue
            src = node_of.get(x)
            if src is None:  # an input of the jaxpr not defined (malformed): skip
                continue
            if src.startswith("more_") or not visible:
                if src == nid or (src, nid) in seen_edges:
                    continue
                seen_edges.add((src, nid))
                edges.append(f'  {src} -> {nid} [style=dashed, color="#999999"];')
                continue
            label = f"{_h(names(x))}:{_h(x.aval.str_short())}"
            c = edge_adj.get((i, k))
            if show_adj and c is not None:
                label += (
                    f'<BR/><FONT COLOR="{_ADJ_COLOR}">'
                    f"{_h(f'd{z}/d{names(x)} += ' + format_value(c))}</FONT>"
                )
            edges.append(f"  {src} -> {nid} [label=<{label}>];")
        for v in eqn.outvars:
            node_of[v] = nid
    if open_scope is not None:
        lines.append("  }")

    # -- outputs
    for k, x in enumerate(jaxpr.outvars):
        if not shown(k, n_out, o_head, o_tail):
            if isinstance(x, Var) and x in node_of:
                src = node_of[x]
                if (src, "more_outputs") not in seen_edges:
                    seen_edges.add((src, "more_outputs"))
                    edges.append(f'  {src} -> more_outputs [style=dashed, color="#999999"];')
            continue
        nid = f"out{k}"
        oname = out_names[k] if out_names is not None else f"output {k}"
        rows = [f"<B>{_h(oname)}</B> = {_h(names.atom(x))}"]
        if show_vals:
            val = an.value(x)
            if val is not None:
                rows.append(
                    f"{_h(x.aval.str_short())} = "
                    f'<FONT COLOR="{_VAL_COLOR}">{_h(format_value(val))}</FONT>'
                )
        if show_adj and n_out == 1:
            rows.append(f'<FONT COLOR="{_ADJ_COLOR}">seed: d{z}/d{z} = 1</FONT>')
        lines.append(f"  {nid} [{_STYLE['output']}, label={_lines(rows)}];")
        if isinstance(x, Var) and x in node_of:
            edges.append(f"  {node_of[x]} -> {nid} [label=<{_h(names(x))}>];")
    if o_head + o_tail < n_out:
        hidden = n_out - o_head - o_tail
        lines.append(f'  more_outputs [{_STYLE["more"]}, label="... {hidden} more outputs ..."];')

    # -- the graph label: what is drawn
    label_rows: list[str] = []
    if title:
        label_rows.append(title)
    s = "" if n_eqn == 1 else "s"
    summary = f"{n_eqn} equation{s}, {n_in} input{'' if n_in == 1 else 's'}"
    if show_adj:
        summary += (
            f"; red: adjoints d{z}/dv of the output {z} (reverse mode from d{z}/d{z} = 1); "
            "at fan-out the contributions add up"
        )
    elif adjoints and an.note and an.env is not None:
        summary += f"; no adjoints: {an.note}"
    label_rows.append(summary)
    if hidden_eqns > 0:
        label_rows.append(
            f"large graph collapsed (max_nodes={max_nodes}): showing the first {e_head} and "
            f"the last {e_tail} of {n_eqn} equations; {hidden_eqns} in between are one node"
        )
    graph_label = "\\l".join(r.replace("\\", "\\\\").replace('"', '\\"') for r in label_rows)
    preamble = [
        "digraph funcdiff {",
        f'  graph [rankdir={rankdir}, fontname="monospace", fontsize=11, labelloc=t, '
        f'labeljust=l, nodesep=0.3, ranksep=0.4, label="{graph_label}\\l"];',
        '  node [fontname="monospace", fontsize=10, margin="0.12,0.06"];',
        '  edge [fontname="monospace", fontsize=9, color="#4a5568", arrowsize=0.7];',
    ]
    dot = "\n".join([*preamble, *lines, *edges, "}"]) + "\n"
    if n_out == 1:
        aval = jaxpr.outvars[0].aval
        kind = "scalar output" if aval.shape == () else f"output {aval.str_short()}"
    else:
        kind = f"{n_out} outputs"
    return Graph(dot, n_eqn, e_head + e_tail, show_adj, kind)


def graph(
    f: Fun,
    *args: Any,
    adjoints: bool = True,
    values: bool = True,
    max_nodes: int = 200,
    title: str | None = None,
    rankdir: str = "LR",
    notation: str = "lecture",
) -> Graph:
    """The computation graph of ``f`` evaluated at ``args``, as Graphviz DOT.

    Args:
      f: a function of arrays (pytrees of arrays allowed); every positional
        argument is traced.
      *args: the point: floating-point arrays or Python numbers.
      adjoints: for a scalar output, run the backward pass and show each
        variable's adjoint ``dz/dv``, each edge's contribution and the sums at
        fan-out points.
      values: show every intermediate value.
      max_nodes: above this many nodes, collapse the middle equations.
      title: a first line for the graph label.
      rankdir: ``"LR"`` (left to right, default) or ``"TB"`` (top to bottom).
      notation: ``"lecture"`` (default) labels operations as the lecture
        writes them (``x ** 2``, ``a * b``, ``A @ x``, ``sum(x)``);
        ``"raw"`` shows the jaxpr's primitives and parameters
        (``integer_pow[y=2] x``).

    Returns:
      A :class:`Graph`; ``.dot`` is the text, ``.save(path)`` writes
      ``.dot``/``.svg``/``.png``.

    >>> import funcdiff.numpy as fnp
    >>> g = graph(lambda x: x ** fnp.cos(x), 3.0)
    >>> "cos(x)" in g.dot and "x ** a" in g.dot and "-0.163465" in g.dot
    True
    >>> "pow</B> x a" in graph(lambda x: x ** fnp.cos(x), 3.0, notation="raw").dot
    True
    """
    from funcdiff.api import _Traced

    if not callable(f):
        raise TypeError(f"graph: f must be a function, got {type(f).__name__}")
    if not args:
        raise TypeError(
            "graph(f, *args) needs the point to evaluate f at, e.g. graph(f, 3.0); "
            "for the structure alone use graph_jaxpr(funcdiff.make_jaxpr(f)(...))"
        )
    tr = _Traced(f, args, {}, tuple(range(len(args))), "graph")
    in_names = arg_names(f, args)
    if len(in_names) != len(tr.closed.jaxpr.invars):
        in_names = [f"arg{i}" for i in range(len(tr.closed.jaxpr.invars))]
    an = Analysis(tr.closed, tr.env, in_names, adjoints=adjoints)
    n_out = len(tr.closed.jaxpr.outvars)
    out_names = ["output"] if n_out == 1 else [f"output {k}" for k in range(n_out)]
    if title is None:
        name = getattr(f, "__name__", "f")
        name = "f" if name == "<lambda>" else name
        point = ", ".join(
            f"{n} = {format_value(v)}" for n, v in zip(in_names, tr.in_vals, strict=True)
        )
        title = f"{name} at {point}"
    return _draw(
        an,
        values=values,
        adjoints=adjoints,
        max_nodes=max_nodes,
        title=title,
        out_names=out_names,
        rankdir=rankdir,
        notation=notation,
    )


def graph_jaxpr(
    jaxpr: ClosedJaxpr | Jaxpr,
    *args: Any,
    adjoints: bool = True,
    values: bool = True,
    max_nodes: int = 200,
    title: str | None = None,
    rankdir: str = "LR",
    notation: str = "lecture",
) -> Graph:
    """The graph of a jaxpr (e.g. of ``grad(f)`` from ``make_jaxpr``) as DOT.

    Without ``args`` the graph shows the structure: inputs, one node per
    equation (primitive, params, output types), outputs, data-flow edges.
    With ``args`` (one value per input of the jaxpr) it is evaluated first and
    shows values, and adjoints for a scalar output, as :func:`graph` does.
    Variables are named as the printed jaxpr names them; ``notation`` as
    for :func:`graph` (``"raw"`` matches the printed jaxpr).

    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> closed = fd.make_jaxpr(fd.grad(lambda x: x ** fnp.cos(x)))(3.0)
    >>> g = graph_jaxpr(closed)
    >>> g.num_eqns == len(closed.eqns), "sin" in g.dot
    (True, True)
    >>> "-0.163465" in graph_jaxpr(closed, 3.0).dot
    True
    """
    if not isinstance(jaxpr, (ClosedJaxpr, Jaxpr)):
        raise TypeError(
            f"graph_jaxpr takes a ClosedJaxpr or Jaxpr (from funcdiff.make_jaxpr), got "
            f"{type(jaxpr).__name__}; for a function use graph(f, *args)"
        )
    env = evaluate_env(jaxpr, args) if args else None
    an = Analysis(jaxpr, env, None, adjoints=adjoints, out_symbol="out")
    return _draw(
        an,
        values=values,
        adjoints=adjoints,
        max_nodes=max_nodes,
        title=title,
        out_names=None,
        rankdir=rankdir,
        notation=notation,
    )


__all__ = [
    "GRAPHVIZ_HELP",
    "RENDERED_FORMATS",
    "Graph",
    "GraphvizNotFoundError",
    "graph",
    "graph_jaxpr",
]

"""Seeing the math: what a function computes, and how its derivative flows back.

- :func:`graph` (also ``funcdiff.graph``): the computation graph as Graphviz
  DOT, SVG or PNG, with every intermediate value and, for a scalar output,
  every adjoint ``dz/dv`` and the contributions summed at fan-out;
- :func:`graph_jaxpr` (also ``funcdiff.graph_jaxpr``): any jaxpr drawn, e.g.
  the one of ``grad(f)`` from ``funcdiff.make_jaxpr``;
- :func:`explain` (also ``funcdiff.explain``): the lecture's debug tables as
  plain text, every forward value and every backward contribution.

Both observe the same machinery ``grad`` uses (one traced forward pass, the
reverse-mode interpreter), through one :class:`Analysis` of the jaxpr. The
rooms: ``_analysis`` (values, adjoints and names of the variables),
``_format`` (numbers and arrays as text), ``_graph`` and ``_explain``.
``funcdiff.viz``, the old name of the graph drawings, still works.

>>> import funcdiff.numpy as fnp
>>> graph(lambda x: x ** fnp.cos(x), 3.0)
Graph(2 equations, scalar output, adjoints shown)
"""

from funcdiff.see._analysis import Analysis, VarNames, arg_names, evaluate_env
from funcdiff.see._explain import explain
from funcdiff.see._format import format_number, format_sum, format_value
from funcdiff.see._graph import GRAPHVIZ_HELP, Graph, GraphvizNotFoundError, graph, graph_jaxpr

__all__ = [
    "GRAPHVIZ_HELP",
    "Analysis",
    "Graph",
    "GraphvizNotFoundError",
    "VarNames",
    "arg_names",
    "evaluate_env",
    "explain",
    "format_number",
    "format_sum",
    "format_value",
    "graph",
    "graph_jaxpr",
]

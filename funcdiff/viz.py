"""The old name of the graph drawings, which now live in :mod:`funcdiff.see`
(beside ``explain``); ``from funcdiff.viz import graph`` keeps working.

>>> import funcdiff.see
>>> graph is funcdiff.see.graph
True
"""

from funcdiff.see import (
    GRAPHVIZ_HELP,
    Analysis,
    Graph,
    GraphvizNotFoundError,
    VarNames,
    arg_names,
    evaluate_env,
    format_number,
    format_sum,
    format_value,
    graph,
    graph_jaxpr,
)

__all__ = [
    "GRAPHVIZ_HELP",
    "Analysis",
    "Graph",
    "GraphvizNotFoundError",
    "VarNames",
    "arg_names",
    "evaluate_env",
    "format_number",
    "format_sum",
    "format_value",
    "graph",
    "graph_jaxpr",
]

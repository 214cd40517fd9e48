"""Seeing the graph: pictures (SVG, PNG, DOT), text for terminals, and ``explain``.

* :func:`draw_dot` -- the graph as a ``graphviz.Digraph`` that renders with
  ``graphviz-pure`` (installed with chainrule) or a system Graphviz;
  :func:`to_svg` and :func:`save` for files.
* :func:`render_text` -- a table or a tree, for terminals.
* :func:`explain` -- the chain-rule steps behind one node's ``grad``.

The modules: :mod:`.engines` finds and runs the layout program, :mod:`.graph`
numbers the nodes of a graph, :mod:`.dot` draws, :mod:`.text` writes text and
:mod:`.explain` explains.
"""

from .dot import (
    DEFAULT_MAX_NODES,
    GraphTooLargeError,
    ValueGraph,
    draw_dot,
    save,
    to_svg,
)
from .engines import (
    ENV_VAR,
    Engine,
    GraphvizEngineError,
    GraphvizEngineNotFound,
    find_engine,
    run_engine,
)
from .explain import Explanation, Step, explain, explanation
from .graph import Graph
from .text import render_text

__all__ = [
    "DEFAULT_MAX_NODES",
    "ENV_VAR",
    "Engine",
    "Explanation",
    "Graph",
    "GraphTooLargeError",
    "GraphvizEngineError",
    "GraphvizEngineNotFound",
    "Step",
    "ValueGraph",
    "draw_dot",
    "explain",
    "explanation",
    "find_engine",
    "render_text",
    "run_engine",
    "save",
    "to_svg",
]

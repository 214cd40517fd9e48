"""Seeing the graph: pictures (SVG, PNG, DOT), an interactive page, text for terminals,
and ``explain``.

* :func:`draw_dot` -- the graph as a ``graphviz.Digraph`` that renders with
  ``graphviz-pure`` (installed with chainrule) or a system Graphviz;
  :func:`to_svg` and :func:`save` for files; :class:`DrawOptions` for its options.
* :func:`to_html` -- a self-contained interactive page: pan and zoom, a panel per
  node, search, expandable modules and stacks, and a stepper through the forward
  and backward passes (``save(root, 'graph.html')`` writes it; in Jupyter,
  ``draw_dot(root).interactive()`` shows it inline).
* :func:`render_text` -- a table or a tree, for terminals.
* :func:`explain` -- the chain-rule steps behind one node's ``grad``.

The modules, one purpose each:

* :mod:`.graph` numbers the nodes of a graph (:class:`NumberedGraph`, the one walk
  every renderer shares) and formats labels and numbers;
* :mod:`.options` checks what ``draw_dot`` is asked for;
* :mod:`.collapse` summarises modules, :mod:`.fold` finds repeated copies;
* :mod:`.plan` lays down what a drawing shows, :mod:`.budget` measures it against
  the layout budget and picks the drawing that fits;
* :mod:`.draw` and :mod:`.style` write it as DOT; :mod:`.value_graph` is the
  displayable graph; :mod:`.saving` writes files; :mod:`.layout_program` finds and
  runs the layout program (Graphviz's ``dot`` or graphviz-pure);
* :mod:`.page` builds the interactive page (its script and styles in ``page_assets/``);
* :mod:`.text` writes text and :mod:`.explain` explains.
"""

from .budget import GraphTooLargeError
from .draw import draw_dot
from .explain import Explanation, Step, explain, explanation
from .graph import NumberedGraph
from .layout_program import (
    ENV_VAR,
    GraphvizEngineError,
    GraphvizEngineNotFound,
    LayoutProgram,
    find_engine,
    run_engine,
)
from .options import DEFAULT_MAX_NODES, DrawOptions
from .page import Page, to_html
from .saving import save, to_svg
from .text import render_text
from .value_graph import ValueGraph

__all__ = [
    "DEFAULT_MAX_NODES",
    "ENV_VAR",
    "DrawOptions",
    "Explanation",
    "GraphTooLargeError",
    "GraphvizEngineError",
    "GraphvizEngineNotFound",
    "LayoutProgram",
    "NumberedGraph",
    "Page",
    "Step",
    "ValueGraph",
    "draw_dot",
    "explain",
    "explanation",
    "find_engine",
    "render_text",
    "run_engine",
    "save",
    "to_html",
    "to_svg",
]

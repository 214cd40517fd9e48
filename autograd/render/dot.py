"""``draw_dot``: a Value's graph as a Graphviz ``Digraph``, and SVG/PNG/DOT files from it.

As in micrograd's notebook, each Value is a record ``{ label | data ... | grad ... }``
and each op a small node feeding the Value it produced. On top of that, every
node has a tooltip (full-precision data and grad, the op, the scope), fills
say what a node is (input, parameter, intermediate, output) or, with
``heat=True``, how big its gradient is, and big graphs can be grouped and
collapsed by the :func:`autograd.scope` their nodes were made in.

The returned :class:`ValueGraph` renders through :mod:`.engines` (so
``graphviz-pure``, installed with chainrule, is enough: no system Graphviz),
in ``pipe()``, ``render()``, ``view()`` and in Jupyter.

>>> from autograd import Value
>>> a = Value(2.0, label='a'); b = Value(-3.0, label='b')
>>> L = a * b; L.label = 'L'; L.backward()
>>> g = draw_dot(L)
>>> '{ a | data 2.0000 | grad -3.0000 }' in g.source
True
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, overload

import graphviz  # type: ignore[import-untyped]

from ..atomic_files import atomic_write
from ..engine import Value
from ..scopes import scope_kinds
from .engines import (
    ENV_VAR,
    GraphvizEngineNotFound,
    run_engine,
)
from .graph import Graph, format_number, module_path, one_line, op_label, scope_prefix
from .text import render_text

#: Default node limit of :func:`draw_dot` (Values and summary nodes drawn).
DEFAULT_MAX_NODES = 2500
#: Seconds a notebook waits for a picture before it shows the graph as text instead
#: (a graph's own ``timeout=`` overrides it): a cell should not block for a minute.
DISPLAY_TIMEOUT = 10.0

ROLE_FILL = {
    "input": "#dbeafe",  # blue
    "parameter": "#dcfce7",  # green
    "intermediate": "white",
    "output": "#fee2e2",  # red
}
ROLE_BORDER = {
    "input": "#2563eb",
    "parameter": "#16a34a",
    "intermediate": "black",
    "output": "#dc2626",
}
OP_FILL = "#f3f4f6"
GROUP_FILL = "#ede9fe"
GROUP_BORDER = "#7c3aed"
ZERO_GRAD_FILL = "#e5e7eb"
NONFINITE_FILL = "#f0abfc"
# |grad| on a log scale: blue (vanishing) -> pale yellow -> orange -> red (largest).
HEAT_STOPS = ((0.0, (0xBF, 0xDB, 0xFE)), (0.4, (0xFE, 0xF9, 0xC3)),
              (0.7, (0xFD, 0xBA, 0x74)), (1.0, (0xF8, 0x71, 0x71)))
# A leaf used more than this many ranks after its previous uses is drawn again there.
LEAF_SPAN = 8
# A drawing may have this many edges per allowed node (dense graphs lay out slowly).
EDGES_PER_NODE = 3
# ... and its edges may skip this many ranks in all per allowed node: dot routes an edge
# through a hidden node on each rank it skips, so long edges make a small graph slow.
SKIPS_PER_NODE = 40
# Beyond this many skipped ranks, edges are drawn straight: fitting curves around every
# hidden node is most of the time such a layout takes (a 424-Value recurrence with a loss
# per step: 10 s with curves, 0.3 s with straight edges).
STRAIGHT_EDGES_SKIPS = 5000
# Beyond this many nodes given to the layout (Values, ops, summaries, and the hidden nodes
# of long edges), it does less work per node.
LIGHT_LAYOUT_NODES = 2000
# The face every label is set in. The layout sizes each record cell from this face's
# metrics and the viewer draws the text in whatever it has under that name, so the face
# must be one the engine knows (graphviz-pure has metrics for a fixed list of faces and
# falls back to Times for anything else, font lists included) and whose stand-ins are
# no wider. Graphviz's default, Times, is drawn as the much wider DejaVu Serif on a
# machine without Times, and the text runs over the cell borders. Verdana ships with
# Windows and macOS, and where it is missing (Linux) fontconfig draws DejaVu Sans, of
# about the same width; any narrower face only leaves more room.
FONT = "Verdana"
# A heat scale spans at most this many powers of ten below the largest |grad|.
HEAT_DECADES = 12

_RANKDIRS = ("LR", "RL", "TB", "BT")
_LABEL_LIMIT = 40
_RECORD_SPECIAL = re.compile(r"([{}|<>])")
_NO_ENGINE_HINT = (
    f"(text view: no Graphviz layout engine found; `pip install graphviz-pure` or set {ENV_VAR} "
    f"to draw the graph)"
)


class GraphTooLargeError(ValueError):
    """The graph is more than ``max_nodes`` allows and could not be collapsed to fit.

    ``nodes`` is how many Values and summary nodes would be drawn, ``edges``
    how many edges, ``skipped_ranks`` how many ranks those edges skip in all
    (see :func:`draw_dot`), and ``max_nodes`` the limit they were held to.
    """

    def __init__(self, message: str, size: _Size, max_nodes: int) -> None:
        super().__init__(message)
        self.nodes = size.nodes
        self.edges = size.edges
        self.skipped_ranks = size.skips
        self.max_nodes = max_nodes


# --- escaping: user text is always text, never DOT or SVG markup ------------------------


def _clean(text: str, limit: int | None = _LABEL_LIMIT) -> str:
    """One line (:func:`.graph.one_line`) of at most ``limit`` characters, with ``&`` as an
    entity (Graphviz decodes entities such as ``&amp;`` in every label and tooltip)."""
    return one_line(text, limit).replace("&", "&amp;")


def _plain(text: str, limit: int | None = _LABEL_LIMIT) -> str:
    """Text for an ordinary label: backslash escapes and ``<...>`` HTML lose their meaning."""
    return graphviz.nohtml(_clean(text, limit).replace("\\", "\\\\"))


def _field(text: str, limit: int | None = _LABEL_LIMIT) -> str:
    """Text for one field of a record label: its separators are escaped too."""
    return _RECORD_SPECIAL.sub(r"\\\1", _clean(text, limit).replace("\\", "\\\\"))


def _record(fields: Iterable[str], flip: bool) -> str:
    body = " | ".join(fields)
    return graphviz.nohtml(f"{{ {body} }}" if flip else body)


def _tooltip(lines: Iterable[str]) -> str:
    # Engines disagree on backslash escapes in tooltips ('\\N' can turn into the node's
    # name), so a backslash is shown as the look-alike U+29F5 there; labels keep it.
    cleaned = (_clean(line, 200).replace("\\", "\u29f5") for line in lines)
    return graphviz.nohtml("\\n".join(cleaned))


# --- the Digraph ---------------------------------------------------------------------------


class ValueGraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders with the engine :mod:`.engines` finds.

    graphviz's own ``pipe()``, ``render()`` and Jupyter display run a system
    ``dot``; here they run ``graphviz-pure`` (or whatever the lookup finds),
    with a ``timeout``. In a notebook a graph that cannot be drawn shows as
    text with a one-line hint instead of raising.

    ``executable`` overrides the engine lookup (a path or a command name),
    ``timeout`` is in seconds, ``text`` is what the notebook shows when no
    picture can be made (the DOT source if not given).
    """

    def __init__(
        self,
        *args: Any,
        executable: str | None = None,
        timeout: float | None = None,
        text: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.executable = executable
        self.timeout = timeout
        self.text = text

    def _copy_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        copied: dict[str, Any] = super()._copy_kwargs(**kwargs)
        copied.update(executable=self.executable, timeout=self.timeout, text=self.text)
        return copied

    @overload
    def pipe(
        self, format: str | None = ..., renderer: str | None = ..., formatter: str | None = ...,
        neato_no_op: bool | int | None = ..., quiet: bool = ..., *, engine: str | None = ...,
        encoding: None = ...,
    ) -> bytes: ...

    @overload
    def pipe(
        self, format: str | None = ..., renderer: str | None = ..., formatter: str | None = ...,
        neato_no_op: bool | int | None = ..., quiet: bool = ..., *, engine: str | None = ...,
        encoding: str,
    ) -> str: ...

    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> bytes | str:
        """The graph rendered to ``format`` (bytes, or str when ``encoding`` is given).

        Same arguments as ``graphviz.Digraph.pipe``; ``engine`` is the layout
        algorithm ('dot', 'neato', ...), as there.
        """
        out = self._run(format, renderer, formatter, neato_no_op, quiet, engine, self.timeout)
        return out if encoding is None else out.decode(encoding)

    def _run(
        self, format: str | None, renderer: str | None, formatter: str | None,
        neato_no_op: bool | int | None, quiet: bool, engine: str | None, timeout: float | None,
    ) -> bytes:
        if formatter is not None and renderer is None:
            raise graphviz.RequiredArgumentError(
                f"formatter={formatter!r} given without renderer: pass renderer= too")
        spec = ":".join(f for f in (format or self.format, renderer, formatter) if f)
        extra = [f"-n{int(neato_no_op)}"] if neato_no_op else []
        return run_engine(
            self.source, spec, layout=engine or self.engine, executable=self.executable,
            timeout=timeout, extra_args=extra, encoding=self.encoding, quiet=quiet,
        )

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: str | os.PathLike[str] | None = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,
    ) -> str:
        """Save the DOT source and render it to a file; returns the rendered file's path.

        Same arguments as ``graphviz.Digraph.render``: without ``outfile`` the
        source goes to ``filename`` (in ``directory``) and the output next to
        it with the format appended (``graph.gv.svg``); ``outfile='graph.svg'``
        picks the format from the extension and saves the source as
        ``graph.gv``. As in graphviz, ``outfile`` is taken as it is when
        ``directory`` is given (only the source goes into ``directory``), and
        inside the graph's own ``directory`` otherwise. Missing folders are
        created.
        """
        if outfile is not None:
            out = Path(outfile)
            if format is None:
                if not out.suffix:
                    raise graphviz.RequiredArgumentError(
                        f"cannot tell the format of outfile {os.fspath(out)!r}: give it an "
                        f"extension (.svg, .png, ...) or pass format="
                    )
                format = out.suffix[1:].lower()
            if filename is None:  # the DOT source goes next to the output
                filename = (out.with_suffix(".gv") if out.suffix != ".gv"
                            else out.with_name(out.name + ".gv"))
            if directory is None:  # graphviz's rule: an explicit directory is for the source
                out = Path(self.directory, out)
        fmt = format or self.format
        filepath = self.save(filename, directory=directory, skip_existing=None)
        if outfile is None:
            suffix = ".".join(f for f in (fmt, renderer, formatter) if f)
            out = Path(f"{filepath}.{suffix}")
        if raise_if_result_exists and out.exists():
            raise graphviz.FileExistsError(f"output file exists: {os.fspath(out)!r}")
        if not overwrite_source and os.path.abspath(out) == os.path.abspath(filepath):
            raise ValueError(f"outfile {os.fspath(out)!r} would overwrite the DOT source file; "
                             f"pass overwrite_source=True if you mean it")
        data = self.pipe(format=fmt, renderer=renderer, formatter=formatter,
                         neato_no_op=neato_no_op, quiet=quiet, engine=engine)
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(out, "wb") as f:
            f.write(data)
        if cleanup:
            os.remove(filepath)
        rendered = os.fspath(out)
        if view or quiet_view:
            self._view(rendered, format=fmt, quiet=quiet_view)
        return rendered

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: Any,
    ) -> dict[str, bytes | str]:
        """What Jupyter shows: the picture, or text with a one-line hint if it cannot be made.

        The picture is in the format ``graphviz.set_jupyter_format()`` chose
        (SVG unless changed). Never raises: a notebook cell that displays a
        graph always shows something, and within :data:`DISPLAY_TIMEOUT`
        seconds unless ``timeout=`` was given to :func:`draw_dot`.
        """
        try:
            wanted = set(include) if include is not None else {self._jupyter_mimetype}
            wanted -= set(exclude or ())
            timeout = self.timeout if self.timeout is not None else DISPLAY_TIMEOUT
            bundle: dict[str, bytes | str] = {}
            for mime, fmt in (("image/svg+xml", "svg"), ("image/png", "png"),
                              ("image/jpeg", "jpeg")):
                if mime in wanted:
                    out = self._run(fmt, None, None, None, True, None, timeout)
                    bundle[mime] = out.decode("utf-8") if fmt == "svg" else out
            return bundle
        except GraphvizEngineNotFound:
            hint = _NO_ENGINE_HINT
        except Exception as exc:  # noqa: BLE001 - a display hook must not raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            hint = f"(text view: the graph could not be drawn: {type(exc).__name__}: {first})"
        try:
            text = self.text if self.text is not None else self.source
        except Exception:  # noqa: BLE001
            text = ""
        return {"text/plain": f"{text}\n{hint}"}


# --- draw_dot ----------------------------------------------------------------------------


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str = "LR",
    *,
    params: Iterable[Value] | None = None,
    colors: bool = True,
    heat: bool = False,
    tooltips: bool = True,
    cluster: bool | int = False,
    collapse: bool | int | str | Iterable[str] | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    precision: int = 4,
    executable: str | None = None,
    timeout: float | None = None,
) -> ValueGraph:
    """The graph of ``root`` as a :class:`ValueGraph` (a ``graphviz.Digraph``).

    ``draw_dot(root)`` draws what micrograd's notebook draws, left to right:
    a record ``{ label | data 2.0000 | grad 0.0000 }`` per Value (the label
    field is left out for unlabelled Values) and an ellipse per op, named like
    ``_op`` with its constant if any (``* 2``). Each use of a Value is one
    edge, so ``a * a`` shows two. Show it in Jupyter, or write it with
    ``g.render(outfile='graph.svg')``, :func:`to_svg` or :func:`save`.

    Colours: ``colors=True`` fills Values by role (blue inputs, green
    parameters, white intermediates, red output; see
    :meth:`~autograd.render.graph.Graph.roles` and ``params=``).
    ``heat=True`` fills them by |grad| on a log scale instead (blue: vanishing,
    red: largest, grey: zero, pink: NaN or inf), keeping the role in the border.

    Big graphs:

    * ``cluster=True`` draws a box around the nodes of each scope, nested by
      module (``cluster=N``: only the first N levels);
    * ``collapse=N`` draws each module N levels deep as one summary node
      (parameters, op counts, mean |grad| of its parameters). Levels count
      modules, with an index kept with its name: ``collapse=1`` turns scope
      ``layers.1.neurons.3`` into ``layers.1``, ``collapse=2`` into
      ``layers.1.neurons.3``. ``collapse='layers.0'`` (or a list of such
      scopes) collapses just those. The root is always drawn as itself.
    * ``max_nodes`` (default 2,500) is the budget that keeps a layout to
      seconds. It bounds the Values and summary nodes drawn, the edges to
      :data:`EDGES_PER_NODE` per allowed node (a dense graph is slow to lay
      out and unreadable), and the ranks the edges skip, summed, to
      :data:`SKIPS_PER_NODE` per allowed node: the layout routes an edge
      through a hidden node on each rank it skips, so a small graph whose
      values are used far from where they are made (a loss summed over the
      steps of a recurrence, a value reused many steps later) can be slower
      than a big one. Beyond the budget, with ``collapse`` left out, a graph
      with scopes is collapsed automatically at the deepest level that fits
      and is not a tangle (a caption says so); otherwise
      :class:`GraphTooLargeError` says what was over and what to do: draw a
      smaller part (``draw_dot(v)`` for a Value ``v`` the root is made of),
      or pass a larger ``max_nodes`` or ``max_nodes=None`` knowing that the
      layout may then take minutes (``timeout=`` still stops it).
    * A leaf used far (more than :data:`LEAF_SPAN` ranks) from its other uses,
      like a weight reused at every step of a recurrence, is drawn again,
      dashed, next to those uses: edges stay short and the layout fast.
    * The layout effort is always bounded (the ``nslimit`` and ``mclimit``
      graph attributes, 1 for small drawings and less beyond
      :data:`LIGHT_LAYOUT_NODES` nodes and hidden nodes), and edges are drawn
      straight (``splines='line'``) when they skip more than
      :data:`STRAIGHT_EDGES_SKIPS` ranks in all; set these in ``g.graph_attr``
      to choose otherwise.

    ``format`` is the default output format (as in graphviz), ``executable``
    and ``timeout`` choose the layout program and bound its run in seconds
    (see :mod:`autograd.render.engines`; by default 60 s for ``pipe()`` and
    ``render()``, :data:`DISPLAY_TIMEOUT` for a notebook's display).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value as its root, got {type(root).__name__}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {_RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"max_nodes must be a positive int or None, got {max_nodes!r}")
    if isinstance(cluster, bool):
        cluster_depth = 10**6 if cluster else 0
    elif isinstance(cluster, int) and cluster >= 0:
        cluster_depth = cluster
    else:
        raise ValueError(f"cluster must be True, False or a depth >= 0, got {cluster!r}")
    graph = Graph(root)
    keys = _collapse_keys(graph, collapse)
    rank = _ranks(graph)
    copies = _leaf_copies(graph, keys, rank)
    size = _size(graph, keys, copies)
    caption = ""
    if max_nodes is not None and not size.fits(max_nodes):
        what = size.describe(max_nodes)
        if collapse is not None:  # the caller chose how to collapse: no second guessing
            raise GraphTooLargeError(
                _chosen_collapse_hint(collapse, keys, what), size, max_nodes)
        depth, collapsed = _auto_collapse(graph, max_nodes, rank)
        if collapsed is None:
            how = (
                "even with every module collapsed it is too big"
                if any(node.scope for node in graph.nodes) else
                "its nodes have no scope to collapse by (build the model inside "
                "autograd.scope(...) blocks, as nn modules do, then pass collapse=1)"
            )
            raise GraphTooLargeError(
                f"the graph is too big to draw: it has {what}, and {how}. Draw a smaller part "
                f"of it (draw_dot(v) for a Value v it is made of), read it with render_text() "
                f"or explain(), or pass a larger max_nodes= (or max_nodes=None) knowing that "
                f"the layout may then take minutes.", size, max_nodes,
            )
        keys, copies, collapsed_size = collapsed
        caption = (f"{size.nodes:,} nodes whose edges skip {size.skips:,} ranks: too long to "
                   f"lay out one by one"
                   if size.fits_in_count(max_nodes) else
                   f"{size.nodes:,} nodes, {size.edges:,} edges: too many to draw one by one")
        caption += (f" (max_nodes={max_nodes:,}), so modules are collapsed to depth {depth}; "
                    f"pass collapse= or max_nodes= to choose")
        size = collapsed_size
    return _draw(
        graph, keys, copies, size, format=format, rankdir=rankdir, roles=graph.roles(params),
        colors=colors, heat=heat, tooltips=tooltips, cluster_depth=cluster_depth,
        precision=precision, caption=caption, executable=executable, timeout=timeout,
    )


def _collapse_keys(
    graph: Graph, collapse: bool | int | str | Iterable[str] | None
) -> list[str | None]:
    """For each node, the scope of the summary node it is drawn in (None: drawn as itself)."""
    nodes = graph.nodes
    if collapse is None or collapse is False or collapse == 0:
        return [None] * len(nodes)
    if collapse is True:
        collapse = 1
    cache: dict[str, str | None] = {"": None}
    if isinstance(collapse, int):
        if collapse < 0:
            raise ValueError(f"collapse depth must be >= 0, got {collapse}")
        depth = collapse

        def key(scope: str) -> str | None:
            return scope_prefix(scope, depth) or None

    else:
        prefixes = [collapse] if isinstance(collapse, str) else list(collapse)
        if not prefixes or not all(isinstance(p, str) and p for p in prefixes):
            raise ValueError(
                f"collapse needs a depth (int) or non-empty scope names, got {collapse!r}"
            )
        by_length = sorted(prefixes, key=len, reverse=True)

        def key(scope: str) -> str | None:
            for p in by_length:
                if scope == p or scope.startswith(p + "."):
                    return p
            return None

    keys: list[str | None] = []
    for node in nodes:
        scope = node.scope
        k = cache.get(scope, "")
        if k == "":
            k = cache[scope] = key(scope)
        keys.append(k)
    if not isinstance(collapse, int):
        unused = [p for p in prefixes if p not in set(keys)]
        if unused:
            known = sorted({scope_prefix(s, 1) for s in cache if s})
            raise ValueError(
                f"collapse: no node of this graph has scope {unused[0]!r}; its top-level "
                f"scopes are {', '.join(known[:12]) or '(none)'}"
            )
    keys[-1] = None  # the root is always drawn as itself
    return keys


class _Size(NamedTuple):
    """What a drawing asks of the layout."""

    nodes: int  # Values and summary nodes (what max_nodes counts)
    edges: int
    skips: int  # ranks skipped by edges, summed over the edges
    drawn: int  # every node given to the layout: op nodes and leaf copies too

    def fits_in_count(self, max_nodes: int) -> bool:
        """Few enough nodes and edges (whatever their length) for ``max_nodes``."""
        return self.nodes <= max_nodes and self.edges <= EDGES_PER_NODE * max_nodes

    def fits(self, max_nodes: int) -> bool:
        return self.fits_in_count(max_nodes) and self.skips <= SKIPS_PER_NODE * max_nodes

    def describe(self, max_nodes: int) -> str:
        """What is over the limit, and the limit: for error messages."""
        parts = [f"{self.nodes:,} nodes", f"{self.edges:,} edges"]
        if self.skips > SKIPS_PER_NODE * max_nodes:
            parts.append(f"edges that skip {self.skips:,} ranks in all (values used far from "
                         f"where they are made)")
        return (f"{', '.join(parts[:-1])} and {parts[-1]}, more than max_nodes={max_nodes:,} "
                f"allows ({max_nodes:,} nodes, {EDGES_PER_NODE * max_nodes:,} edges, "
                f"{SKIPS_PER_NODE * max_nodes:,} skipped ranks)")


def _size(graph: Graph, keys: list[str | None], copies: dict[tuple[int, int], int]) -> _Size:
    """The size of the drawing these keys and leaf copies give, and how long its edges are.

    dot lays an edge that skips k ranks out as a chain of k hidden nodes, so a
    small graph whose values are used far from where they are made (a loss
    summed over every step of a recurrence) is a big layout: its time grows
    with the skipped ranks, not with the nodes. Ranks are estimated as dot
    chooses them: each node as early as its inputs allow, then moved later when
    it has more uses than inputs (which shortens more edges than it stretches).
    """
    parents = graph.parents
    src: list[int] = []  # the drawing's edges, between units numbered from 0
    dst: list[int] = []
    unit = [0] * len(parents)  # node -> the unit that shows its value
    groups: dict[str, int] = {}
    leaf_copy: dict[tuple[int, int], int] = {}
    pairs: set[tuple[Any, Any]] = set()  # edges into or out of a summary node, drawn once
    units = values = 0
    for i, ps in enumerate(parents):
        k = keys[i]
        if k is None:
            values += 1
            if not ps:
                unit[i] = units
                units += 1
                continue
            op, unit[i] = units, units + 1
            units += 2
            for position, p in enumerate(ps):
                kp = keys[p]
                if kp is None:
                    copy = copies.get((i, position), 0)
                    if copy:
                        u = leaf_copy.get((p, copy))
                        if u is None:
                            u = leaf_copy[(p, copy)] = units
                            units += 1
                    else:
                        u = unit[p]
                elif (kp, i) in pairs:
                    continue
                else:
                    pairs.add((kp, i))
                    u = groups[kp]
                src.append(u)
                dst.append(op)
            src.append(op)  # after the inputs, so that edges come in topological order
            dst.append(op + 1)
        else:
            g = groups.get(k)
            if g is None:
                g = groups[k] = units
                units += 1
            unit[i] = g
            for p in ps:
                kp = keys[p]
                if kp != k:
                    pair = (p if kp is None else kp, k)
                    if pair not in pairs:
                        pairs.add(pair)
                        src.append(unit[p])
                        dst.append(g)
    rank = [0] * units
    for a, b in zip(src, dst):  # edges come in topological order (but for summary nodes)
        if rank[b] <= rank[a]:
            rank[b] = rank[a] + 1
    outs: list[list[int]] = [[] for _ in range(units)]
    ins = [0] * units
    for a, b in zip(src, dst):
        outs[a].append(b)
        ins[b] += 1
    for u in range(units - 1, -1, -1):
        if len(outs[u]) > ins[u]:
            rank[u] = max(rank[u], min(rank[b] for b in outs[u]) - 1)
    skips = 0
    for a, b in zip(src, dst):
        span = abs(rank[b] - rank[a])
        if span > 1:
            skips += span - 1
    return _Size(values + len(groups), len(src), skips, units)


def _chosen_collapse_hint(
    collapse: bool | int | str | Iterable[str], keys: list[str | None], what: str
) -> str:
    """Why a drawing collapsed as the caller asked is still too big, and what to try."""
    if not any(k is not None for k in keys):
        return (f"with collapse={collapse!r}, the graph has {what}. Collapse it (collapse=1, "
                f"or leave collapse out to collapse as needed), draw a smaller part of it "
                f"(draw_dot(v) for a Value v it is made of), or read it with render_text().")
    if collapse is True or collapse == 1:
        more = ""  # depth 1 is as collapsed as it gets
    elif isinstance(collapse, int):
        more = f"collapse more (collapse={collapse - 1} or 1), "
    else:
        more = "collapse more modules (collapse=1), "
    return (f"collapsed with collapse={collapse!r}, the graph still has {what}. Try: {more}"
            f"draw a smaller part of it (draw_dot(v) for a Value v it is made of, such as one "
            f"sample's loss), read it with render_text(), or pass a larger max_nodes= knowing "
            f"that the layout then takes longer (about a second per 2,000 nodes).")


_Collapsed = tuple[list[str | None], dict[tuple[int, int], int], _Size]


def _auto_collapse(
    graph: Graph, max_nodes: int, rank: list[int]
) -> tuple[int, _Collapsed | None]:
    """The collapse depth to draw a graph too big for ``max_nodes`` at: its keys, leaf copies
    and size.

    The deepest depth that fits and is not a tangle (at most two edges per
    node: collapsing neurons of a dense layer that each read every input gives
    a hairball); failing that, the shallowest depth that fits.
    """
    depths = {len(module_path(node.scope)) for node in graph.nodes}
    fitting: tuple[int, _Collapsed] | None = None
    for depth in range(max(depths), 0, -1):
        keys = _collapse_keys(graph, depth)
        copies = _leaf_copies(graph, keys, rank)
        size = _size(graph, keys, copies)
        if size.fits(max_nodes):
            if size.edges <= 2 * size.nodes:
                return depth, (keys, copies, size)
            fitting = (depth, (keys, copies, size))
    return fitting if fitting is not None else (0, None)


class _Group:
    """What one summary node stands for."""

    __slots__ = ("key", "name", "members", "abs_grads", "leaves", "ops", "children", "kinds",
                 "child_kinds")

    def __init__(self, key: str, name: str) -> None:
        self.key = key
        self.name = name
        self.members = 0
        self.abs_grads: list[float] = []
        self.leaves: list[Value] = []
        self.ops: Counter[str] = Counter()
        self.children: dict[str, set[str]] = defaultdict(set)
        # The kind= of the scope blocks that made the members, for the module and for each
        # child ('neurons.3'); a name is shown only when the members agree on one.
        self.kinds: set[str] = set()
        self.child_kinds: dict[str, set[str]] = defaultdict(set)

    def kind(self) -> str | None:
        """What the module is (``Layer(16, 16, ReLU)``), if its scope says so unambiguously."""
        return next(iter(self.kinds)) if len(self.kinds) == 1 else None

    def _child_kind(self, names: set[str]) -> str | None:
        found = {kind for name in names for kind in self.child_kinds.get(name, ())}
        every = all(len(self.child_kinds.get(name, ())) == 1 for name in names)
        return next(iter(found)) if every and len(found) == 1 else None

    def _children(self) -> list[str]:
        parts = []
        for stem, names in sorted(self.children.items()):
            kind = self._child_kind(names)
            if len(names) > 1 or names != {stem}:  # indexed: 'neurons.0', 'neurons.1', ...
                parts.append(f"{len(names)} x {kind or stem}")
            else:
                parts.append(f"{stem}: {kind}" if kind else stem)
        return parts

    def mean_abs_grad(self) -> float:
        """Mean |grad| of the parameters (NaN when there are none)."""
        if not self.leaves:
            return math.nan
        return math.fsum(abs(v.grad) for v in self.leaves) / len(self.leaves)

    def heat(self) -> float:
        """The |grad| a heat scale colours the summary by: its parameters', else its nodes'."""
        if self.leaves:
            return self.mean_abs_grad()
        return math.fsum(self.abs_grads) / len(self.abs_grads)

    def lines(self, precision: int) -> list[str]:
        kind = self.kind()
        lines = [f"{self.key}: {kind}" if kind else self.key]
        if self.children:
            lines.append(", ".join(self._children()))
        n_ops = sum(self.ops.values())
        if n_ops:
            common = self.ops.most_common(4)
            more = ", ..." if len(self.ops) > 4 else ""
            lines.append(f"{n_ops:,} ops: " + ", ".join(f"{c:,} {s}" for s, c in common) + more)
        if self.leaves:
            lines.append(f"{len(self.leaves):,} params, mean |grad| "
                         f"{format_number(self.mean_abs_grad(), precision)}")
        else:
            lines.append("no parameters")
        return lines

    def tooltip(self) -> list[str]:
        kind = self.kind()
        lines = [f"module {self.key}{f' ({kind})' if kind else ''}: {self.members:,} nodes "
                 f"drawn as one"]
        lines += self._children()
        lines += [f"{c:,} x {s}" for s, c in self.ops.most_common(12)]
        if self.leaves:
            grads = [abs(v.grad) for v in self.leaves]
            lines.append(f"{len(grads):,} parameters: |grad| mean {self.mean_abs_grad()!r}, "
                         f"min {min(grads)!r}, max {max(grads)!r}")
        return lines


def _groups(graph: Graph, keys: list[str | None]) -> dict[str, _Group]:
    """What each summary node stands for, by scope, in the order they first appear."""
    groups: dict[str, _Group] = {}
    # Many nodes share one scope name: read each name's modules and kinds once.
    scopes: dict[int, tuple[list[str], dict[str, str]]] = {}
    for i, k in enumerate(keys):
        if k is None:
            continue
        group = groups.get(k)
        if group is None:
            group = groups[k] = _Group(k, f"g{len(groups)}")
        node = graph.nodes[i]
        group.members += 1
        group.abs_grads.append(abs(node.grad))
        if graph.parents[i]:
            group.ops[node._op if node.primitive is None else node.primitive.symbol_for()] += 1
        else:
            group.leaves.append(node)
        scope = node.scope
        info = scopes.get(id(scope))
        if info is None:
            info = scopes[id(scope)] = (module_path(scope), scope_kinds(scope))
        path, kinds = info
        kind = kinds.get(k)
        if kind is not None:
            group.kinds.add(kind)
        depth = len(module_path(k))
        if len(path) > depth:  # a submodule: count 'neurons.3' under 'neurons'
            child = path[depth]
            group.children[child.split(".")[0]].add(child)
            kind = kinds.get(".".join(path[: depth + 1]))
            if kind is not None:
                group.child_kinds[child].add(kind)
    return groups


def _draw(
    graph: Graph,
    keys: list[str | None],
    copies: dict[tuple[int, int], int],
    size: _Size,
    *,
    format: str,
    rankdir: str,
    roles: list[str],
    colors: bool,
    heat: bool,
    tooltips: bool,
    cluster_depth: int,
    precision: int,
    caption: str,
    executable: str | None,
    timeout: float | None,
) -> ValueGraph:
    nodes, parents = graph.nodes, graph.parents
    vertical = rankdir in ("LR", "RL")  # a summary's lines stack across the rank direction
    g = ValueGraph(
        format=format, graph_attr={"rankdir": rankdir}, executable=executable,
        timeout=timeout, text=render_text(graph, max_rows=40, precision=precision),
    )
    g.node_attr.update(shape="record", fontname=FONT)
    g.edge_attr.update(fontname=FONT)
    g.graph_attr.update(fontname=FONT)

    groups = _groups(graph, keys)

    # Heat scale over everything drawn.
    scale = _HeatScale([abs(nodes[i].grad) for i, k in enumerate(keys) if k is None]
                       + [g_.heat() for g_ in groups.values()]) if heat else None
    if scale is not None:
        caption = "; ".join(c for c in (caption, scale.legend()) if c)
    if caption:
        g.graph_attr.update(label=_plain(caption, None), labelloc="t", fontsize="12")
    if tooltips and colors and not heat:
        g.graph_attr["tooltip"] = _tooltip(
            ["fill: blue input, green parameter, white intermediate, red output"]
        )

    # Clusters by scope: nested subgraphs, attached to their parents at the end.
    clusters: dict[tuple[str, ...], Any] = {}

    def target(scope_path: list[str]) -> Any:
        path = tuple(scope_path[:cluster_depth])
        if not path:
            return g
        for j in range(1, len(path) + 1):
            sub = path[:j]
            if sub not in clusters:
                clusters[sub] = graphviz.Digraph(
                    name=f"cluster_{len(clusters)}",
                    graph_attr={"label": _plain(sub[-1]), "style": "rounded,dashed",
                                "color": "#9ca3af", "fontsize": "12",
                                **({"tooltip": _tooltip([".".join(sub)])} if tooltips else {})},
                )
        return clusters[path]

    for group in groups.values():
        attrs = {"label": _record((_field(line, 80) for line in group.lines(precision)),
                                  flip=not vertical)}
        if colors or heat:
            fill = scale.color(group.heat()) if scale is not None else GROUP_FILL
            attrs.update(style="filled,rounded", fillcolor=fill, color=GROUP_BORDER)
        if tooltips:
            attrs["tooltip"] = _tooltip(group.tooltip())
        target(module_path(group.key)[:-1]).node(group.name, **attrs)

    def unit(i: int) -> str:
        k = keys[i]
        return f"n{i}" if k is None else groups[k].name

    drawn_copies: set[str] = set()
    counted: Counter[tuple[str, str]] = Counter()
    for i, node in enumerate(nodes):
        k = keys[i]
        ps = parents[i]
        if k is not None:
            me = groups[k].name
            for p in ps:
                if keys[p] != k:
                    counted[(unit(p), me)] += 1
            continue
        role = roles[i]
        place = target(module_path(node.scope))
        attrs = _value_attrs(graph, i, role, precision, colors, tooltips, scale)
        place.node(f"n{i}", **attrs)
        if not ps:
            continue
        op_name = f"n{i}op"
        op_attrs = {"label": _plain(op_label(node)), "shape": "ellipse", "fontsize": "12",
                    "height": "0.3", "margin": "0.05,0.02"}
        if colors or heat:
            op_attrs.update(style="filled", fillcolor=OP_FILL)
        if tooltips:
            op_attrs["tooltip"] = _tooltip(_op_tooltip(graph, i))
        place.node(op_name, **op_attrs)
        g.edge(op_name, f"n{i}")
        for position, p in enumerate(ps):
            if keys[p] is not None:
                counted[(unit(p), op_name)] += 1
                continue
            copy = copies.get((i, position), 0)
            if not copy:
                g.edge(f"n{p}", op_name)
                continue
            name = f"n{p}c{copy}"
            if name not in drawn_copies:
                drawn_copies.add(name)
                attrs = _value_attrs(graph, p, roles[p], precision, colors, tooltips, scale)
                attrs["style"] = ",".join(filter(None, (attrs.get("style"), "dashed")))
                if tooltips:
                    attrs["tooltip"] = _tooltip(
                        [f"{graph.name(p)} (#{p}) again: the same Value, drawn once more next "
                         f"to a use far from the others"] + _value_tooltip(graph, p, roles[p])[1:]
                    )
                place.node(name, **attrs)
            g.edge(name, op_name)
    for (src, dst), n in counted.items():
        if n > 1:
            g.edge(src, dst, label=f"x{n:,}", fontsize="10")
        else:
            g.edge(src, dst)

    # dot's defaults iterate until nothing improves, which on a graph with long edges can
    # take minutes even when it is small, for a picture no better to the eye. Bound the
    # work always, and more tightly as the layout (nodes and hidden nodes) grows.
    effort = f"{min(1.0, LIGHT_LAYOUT_NODES / (size.drawn + size.skips)):.3g}"
    g.graph_attr.update(nslimit=effort, mclimit=effort)
    if size.skips > STRAIGHT_EDGES_SKIPS:
        g.graph_attr["splines"] = "line"
    for cluster_path in sorted(clusters, key=len, reverse=True):
        parent = clusters[cluster_path[:-1]] if len(cluster_path) > 1 else g
        parent.subgraph(clusters[cluster_path])
    return g


def _value_attrs(
    graph: Graph, i: int, role: str, precision: int, colors: bool, tooltips: bool,
    scale: _HeatScale | None,
) -> dict[str, str]:
    """The attributes of the record node of Value #i."""
    node = graph.nodes[i]
    fields = [_field(node.label)] if node.label else []
    fields += [f"data {format_number(node.data, precision)}",
               f"grad {format_number(node.grad, precision)}"]
    attrs = {"label": _record(fields, flip=True)}
    if scale is not None:
        attrs.update(style="filled", fillcolor=scale.color(abs(node.grad)),
                     color=ROLE_BORDER[role], penwidth="1" if role == "intermediate" else "2")
    elif colors:
        attrs.update(style="filled", fillcolor=ROLE_FILL[role], color=ROLE_BORDER[role])
    if tooltips:
        attrs["tooltip"] = _tooltip(_value_tooltip(graph, i, role))
    return attrs


def _ranks(graph: Graph) -> list[int]:
    """Roughly where the layout puts each Value, counting op nodes as ranks of their own.

    An op result sits two ranks after its latest input; a leaf two ranks before
    its earliest use (dot pulls a leaf towards its consumers).
    """
    parents = graph.parents
    rank = [0] * len(parents)
    for i, ps in enumerate(parents):
        if ps:
            rank[i] = max(rank[p] for p in ps) + 2
    for i, uses in enumerate(graph.consumers):
        if uses and not parents[i]:
            rank[i] = min(rank[c] for c, _ in uses) - 2
    return rank


def _leaf_copies(
    graph: Graph, keys: list[str | None], rank: list[int]
) -> dict[tuple[int, int], int]:
    """Uses of a leaf far (in ranks) from its first use, each -> the copy of the leaf drawn there.

    A weight reused at every step of a long computation would otherwise have
    edges across the whole picture: hard to follow, and the layout time grows
    with the ranks they cross. So a leaf is drawn again (dashed) next to each
    group of uses more than :data:`LEAF_SPAN` ranks after the previous group.
    """
    copies: dict[tuple[int, int], int] = {}
    for p, uses in enumerate(graph.consumers):
        if graph.parents[p] or keys[p] is not None or len(uses) < 2:
            continue
        drawn = sorted((rank[c], c, position) for c, position in uses if keys[c] is None)
        if not drawn:
            continue
        copy, start = 0, drawn[0][0]
        for r, c, position in drawn:
            if r - start > LEAF_SPAN:
                copy, start = copy + 1, r
            if copy:
                copies[(c, position)] = copy
    return copies


def _value_tooltip(graph: Graph, i: int, role: str) -> list[str]:
    node = graph.nodes[i]
    lines = [f"{graph.name(i)} (#{i}, {role})", f"data = {node.data!r}", f"grad = {node.grad!r}"]
    op = node.primitive
    if op is not None:
        const = node.constant
        lines.append(f"op: {op_label(node)} ({op.name}: {op.doc}"
                     + (f", c = {const!r})" if const is not None else ")"))
    elif node._prev:
        lines.append(f"op: {op_label(node)} (a node of your own: a _backward closure)")
    if node.scope:
        lines.append(f"scope: {node.scope}")
    return lines


def _op_tooltip(graph: Graph, i: int) -> list[str]:
    node = graph.nodes[i]
    op = node.primitive
    ps = graph.parents[i]
    shown = ", ".join(graph.name(p) if graph.nodes[p].label else f"#{p}" for p in ps[:8])
    more = f", ... ({len(ps)} inputs)" if len(ps) > 8 else ""
    what = f"{op.name} ({op.doc})" if op is not None else "a node of your own"
    return [f"{op_label(node)}: {what}", f"inputs: {shown}{more}",
            f"output: {graph.name(i)}"]


class _HeatScale:
    """|grad| -> a fill colour, on a log scale over the gradients drawn."""

    def __init__(self, magnitudes: list[float]) -> None:
        finite = [m for m in magnitudes if math.isfinite(m) and m > 0.0]
        if finite:
            self.hi = math.log10(max(finite))
            self.lo = max(math.log10(min(finite)), self.hi - HEAT_DECADES)
        else:
            self.hi = self.lo = 0.0

    def color(self, magnitude: float) -> str:
        if math.isnan(magnitude) or math.isinf(magnitude):
            return NONFINITE_FILL
        if magnitude == 0.0:
            return ZERO_GRAD_FILL
        if self.hi == self.lo:
            t = 1.0
        else:
            t = min(1.0, max(0.0, (math.log10(magnitude) - self.lo) / (self.hi - self.lo)))
        for (t0, c0), (t1, c1) in zip(HEAT_STOPS, HEAT_STOPS[1:]):
            if t <= t1:
                u = (t - t0) / (t1 - t0)
                r, gr, b = (round(a + (z - a) * u) for a, z in zip(c0, c1))
                return f"#{r:02x}{gr:02x}{b:02x}"
        return "#{:02x}{:02x}{:02x}".format(*HEAT_STOPS[-1][1])

    def legend(self) -> str:
        if self.hi == self.lo:
            return "fill: |grad| (log scale); grey: zero"
        return (f"fill: |grad| on a log scale, from {10 ** self.lo:.1e} (blue) to "
                f"{10 ** self.hi:.1e} (red); grey: zero")


# --- files --------------------------------------------------------------------------------

#: File extension -> output format for :func:`save` (None: the DOT source itself).
FORMATS: Mapping[str, str | None] = {
    ".svg": "svg", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".dot": None, ".gv": None,
}


def _as_graph(root: Value | ValueGraph, kwargs: dict[str, Any]) -> ValueGraph:
    if isinstance(root, ValueGraph):
        if kwargs:
            raise TypeError(f"options {sorted(kwargs)} only apply when drawing a Value, and a "
                            f"ValueGraph was given")
        return root
    return draw_dot(root, **kwargs)


def to_svg(root: Value | ValueGraph, **kwargs: Any) -> str:
    """The graph of ``root`` as an SVG document (a str); ``kwargs`` go to :func:`draw_dot`.

    Also accepts a graph :func:`draw_dot` already made.
    """
    return _as_graph(root, kwargs).pipe(format="svg", encoding="utf-8", quiet=True)


def save(root: Value | ValueGraph, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Write the graph of ``root`` to ``path``, in the format its extension names.

    ``.svg``, ``.png``, ``.jpg``/``.jpeg``, or ``.dot``/``.gv`` for the DOT
    source (which needs no layout engine). ``kwargs`` go to :func:`draw_dot`.
    Missing folders are created. Returns the path written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot tell the format of {os.fspath(path)!r} from its extension; use one of "
            f"{', '.join(FORMATS)}"
        )
    g = _as_graph(root, kwargs)
    fmt = FORMATS[suffix]
    data = g.source.encode(g.encoding) if fmt is None else g.pipe(format=fmt, quiet=True)
    target.parent.mkdir(parents=True, exist_ok=True)  # as render() does
    with atomic_write(target, "wb") as f:  # laid out first: a failure leaves the old file
        f.write(data)
    return target


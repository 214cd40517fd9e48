"""``draw_dot``: a Value's graph as a Graphviz ``Digraph`` (a :class:`.ValueGraph`).

As in micrograd's notebook, each Value is a record ``{ label | data ... | grad ... }``
and each op a small node feeding the Value it produced. On top of that, every
node has a tooltip (full-precision data and grad, the op, the scope), fills
say what a node is (input, parameter, intermediate, output) or, with
``heat=True``, how big its gradient is, and big graphs are folded (repeated
copies drawn once, in a stack) and collapsed by module (:mod:`.budget` decides).

>>> from autograd import Value
>>> a = Value(2.0, label='a'); b = Value(-3.0, label='b')
>>> L = a * b; L.label = 'L'; L.backward()
>>> g = draw_dot(L)
>>> '{ a | data 2.0000 | grad -3.0000 }' in g.source
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import graphviz  # type: ignore[import-untyped]

from ..engine import Value
from .budget import Choice, choose, effort, straight
from .fold import Fold
from .graph import NumberedGraph, format_number, module_path, op_label
from .options import DrawOptions, options_from
from .plan import COPY, GROUP, INPUTS, OP, VALUE, Plan
from .style import (
    FONT,
    GROUP_BORDER,
    GROUP_FILL,
    OP_FILL,
    ROLE_BORDER,
    ROLE_FILL,
    STACK_BORDER,
    STACK_FILL,
    HeatScale,
    field,
    plain,
    plain_lines,
    plural,
    record,
    tooltip,
    wrap,
)
from .text import render_text
from .value_graph import ValueGraph


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str | None = None,
    *,
    options: DrawOptions | None = None,
    **keywords: Any,
) -> ValueGraph:
    """The graph of ``root`` as a :class:`ValueGraph` (a ``graphviz.Digraph``).

    ``draw_dot(root)`` draws what micrograd's notebook draws, left to right
    (``rankdir``; a drawing reduced to fit its budget goes top to bottom unless
    ``rankdir`` is given):
    a record ``{ label | data 2.0000 | grad 0.0000 }`` per Value (the label
    field is left out for unlabelled Values) and an ellipse per op, named like
    ``_op`` with its constant if any (``* 2``). Each use of a Value is one
    edge, so ``a * a`` shows two. Show it in Jupyter (``.interactive()`` for
    the page that steps through the chain rule), or write it with
    :func:`~autograd.save` or ``g.render(outfile='graph.svg')``.

    The options (keywords, or a :class:`DrawOptions` as ``options=``; keywords
    win) are checked when given:

    * ``params``, ``colors``, ``heat``, ``tooltips``, ``precision``: how nodes
      read. ``colors=True`` fills Values by role (blue inputs, green
      parameters, white intermediates, red output; parameters are ``params``
      when given, else the leaves made inside an :func:`autograd.scope`);
      ``heat=True`` fills them by |grad| on a log scale instead (blue:
      vanishing, red: largest, grey: zero, pink: NaN or inf).
    * ``cluster=True`` draws a box around the nodes of each scope (``cluster=N``:
      the first N levels).
    * ``collapse=N`` draws each module N levels deep as one summary node
      (its parameters, op counts, mean |grad|): ``collapse=1`` turns scope
      ``layers.1.neurons.3`` into ``layers.1``; ``collapse='layers.0'`` (or a
      list of scopes) collapses just those. The root is always drawn as itself.
    * ``fold=True`` draws copies of one structure (the same model applied to
      every sample, a loss summed over them) as one copy inside a stack marked
      ``x 100 samples``, the copies' inputs as one node (``x: 100 x 2``) and,
      in the copy, the range of data and grad over the copies with the mean
      |grad|. ``fold=None`` (default) folds only a drawing over budget.
    * ``max_nodes`` (default 2,500) is the layout budget: the Values and
      summaries drawn, the edges (3 per node), the ranks the edges skip (40
      per node) and the predicted layout time (about 2 s at the default, on
      two cores; see :mod:`autograd.render.budget`). Beyond it, unless
      ``collapse``/``fold`` say otherwise, the graph is folded and its modules
      collapsed, at the least reduction that fits and reads as an overview,
      and a caption says which budget was exceeded; if nothing fits,
      :class:`GraphTooLargeError` says what to do. ``max_nodes=None`` draws
      everything (``timeout=`` still stops a layout).

    ``format`` is the default output format (as in graphviz); ``executable``
    and ``timeout`` choose the layout program and bound its run in seconds (60
    s by default for files, 10 s for a notebook's display).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value as its root, got {type(root).__name__}")
    given = {"format": format, **({} if rankdir is None else {"rankdir": rankdir}), **keywords}
    opts = options_from(options, given)
    graph = NumberedGraph(root)
    return emit(graph, choose(graph, opts), opts)


def emit(graph: NumberedGraph, choice: Choice, opts: DrawOptions) -> ValueGraph:
    """The DOT of a chosen plan."""
    return _Emitter(graph, choice, opts).run()


class _Emitter:
    """Writes one plan as DOT: nodes, clusters, edges and the graph's attributes."""

    def __init__(self, graph: NumberedGraph, choice: Choice, opts: DrawOptions) -> None:
        self.graph = graph
        self.plan: Plan = choice.plan
        self.choice = choice
        self.opts = opts
        self.roles = graph.roles(opts.params)
        # A drawing reduced to fit its budget is a column of modules: top to bottom, it
        # reads in one screen (left to right, its records would make it several wide).
        self.rankdir = opts.rankdir or ("TB" if choice.caption else "LR")
        self.vertical = self.rankdir in ("LR", "RL")  # summary lines stack across ranks
        self.clusters: dict[tuple[Any, ...], Any] = {}
        self.cluster_names: dict[tuple[Any, ...], str] = {}  # place -> its DOT name

    def run(self) -> ValueGraph:
        graph, plan, opts = self.graph, self.plan, self.opts
        g = ValueGraph(
            format=opts.format, graph_attr={"rankdir": self.rankdir},
            executable=opts.executable, timeout=opts.timeout,
            text=render_text(graph, max_rows=40, precision=opts.precision),
            origin=(graph.root, opts), caption=" ".join(self.choice.caption),
        )
        self.g = g
        g.node_attr.update(shape="record", fontname=FONT)
        g.edge_attr.update(fontname=FONT)
        g.graph_attr.update(fontname=FONT)
        self.scale = HeatScale(self._magnitudes()) if opts.heat else None
        caption = [line for text in self.choice.caption for line in wrap(text)]
        if self.scale is not None:
            caption += wrap(self.scale.legend())
        if caption:
            g.graph_attr.update(label=plain_lines(caption), labelloc="t", fontsize="12")
        if self.choice.caption:  # reduced to fit: an overview, kept to one screen
            g.graph_attr.update(ranksep="0.3", nodesep="0.2")
        if opts.tooltips and opts.colors and not opts.heat:
            g.graph_attr["tooltip"] = tooltip(
                ["fill: blue input, green parameter, white intermediate, red output"])
        for u, unit in enumerate(plan.units):
            attrs = self._attrs(u)
            self._place(unit.place).node(plan.name(u), **attrs)
        for (src, dst), n in plan.edges.items():
            a, b = plan.name(src), plan.name(dst)
            if n > 1 and plan.same[(src, dst)] is None:  # many uses (a stack's: every copy's)
                g.edge(a, b, label=f"x{n:,}", fontsize="10")
            else:  # each use its own edge, as micrograd draws x * x
                for _ in range(max(n, 1)):
                    g.edge(a, b)
        size = self.choice.size
        # dot's defaults iterate until nothing improves, which on a graph with long edges
        # can take minutes even when it is small, for a picture no better to the eye. Bound
        # the work always, and more tightly as the layout (nodes and hidden nodes) grows.
        g.graph_attr.update(nslimit=effort(size), mclimit=effort(size))
        if straight(size):
            g.graph_attr["splines"] = "line"
        for path in sorted(self.clusters, key=len, reverse=True):
            parent = self.clusters[path[:-1]] if len(path) > 1 else g
            parent.subgraph(self.clusters[path])
        return g

    # --- where a unit goes ------------------------------------------------------------

    def _place(self, place: tuple[tuple[str, Any], ...]) -> Any:
        if not place:
            return self.g
        for j in range(1, len(place) + 1):
            sub = place[:j]
            if sub not in self.clusters:
                name = f"cluster_{len(self.clusters)}"
                self.cluster_names[sub] = name
                self.clusters[sub] = graphviz.Digraph(
                    name=name, graph_attr=self._cluster_attrs(sub[-1]))
        return self.clusters[place]

    def _cluster_attrs(self, where: tuple[str, Any]) -> dict[str, str]:
        kind, ref = where
        if kind == "stack":
            fold = self.plan.folds[ref]
            label = f"x {fold.size:,} {fold.noun()}"
            attrs = {"label": plain(label), "style": "rounded,filled,bold", "color": STACK_BORDER,
                     "fillcolor": STACK_FILL, "fontsize": "14", "labeljust": "l"}
            if self.opts.tooltips:
                attrs["tooltip"] = tooltip([
                    f"{fold.size:,} {fold.noun()} of the same structure, folded: one copy is "
                    f"drawn, with the range of data and grad over the copies",
                    f"they meet at {self.graph.name(fold.at)} (#{fold.at})"])
            return attrs
        name = str(ref)
        attrs = {"label": plain(module_path(name)[-1]), "style": "rounded,dashed",
                 "color": "#9ca3af", "fontsize": "12"}
        if self.opts.tooltips:
            attrs["tooltip"] = tooltip([name])
        return attrs

    # --- how a unit reads -----------------------------------------------------------------

    def _magnitudes(self) -> list[float]:
        plan, nodes = self.plan, self.graph.nodes
        out: list[float] = []
        for kind, ref, _ in plan.units:
            if kind == VALUE:
                i = ref
                f = plan.fold_of[i]
                out.append(_mean_abs_grad(nodes, plan.folds[f].counterparts(plan.position[i]))
                           if f >= 0 else abs(nodes[i].grad))
            elif kind == GROUP:
                out.append(plan.groups[ref].heat())
        return out

    def _attrs(self, u: int) -> dict[str, str]:
        kind, ref, _ = self.plan.units[u]
        if kind == VALUE:
            return self._value(ref)
        if kind == OP:
            return self._op(ref)
        if kind == GROUP:
            return self._group(ref)
        if kind == INPUTS:
            return self._inputs(*ref)
        assert kind == COPY
        return self._copy(*ref)

    def _fill(self, attrs: dict[str, str], role: str, magnitude: float) -> None:
        opts = self.opts
        if self.scale is not None:
            attrs.update(style="filled", fillcolor=self.scale.color(magnitude),
                         color=ROLE_BORDER[role], penwidth="1" if role == "intermediate" else "2")
        elif opts.colors:
            attrs.update(style="filled", fillcolor=ROLE_FILL[role], color=ROLE_BORDER[role])

    def _value(self, i: int) -> dict[str, str]:
        graph, plan, p = self.graph, self.plan, self.opts.precision
        node = graph.nodes[i]
        fields = [field(node.label)] if node.label else []
        f = plan.fold_of[i]
        if f >= 0:
            fold = plan.folds[f]
            same = [graph.nodes[j] for j in fold.counterparts(plan.position[i])]
            data = [v.data for v in same]
            grads = [v.grad for v in same]
            fields += [f"data {_range(data, p)}", f"grad {_range(grads, p)}",
                       field(f"mean |grad| {format_number(_mean_abs(grads), p)}")]
            attrs = {"label": record(fields, flip=True)}
            self._fill(attrs, self.roles[i], _mean_abs(grads))
            if self.opts.tooltips:
                attrs["tooltip"] = tooltip(
                    [f"{graph.name(i)} (#{i}) in each of the {fold.size:,} {fold.noun()}:",
                     *_stats("data", data), *_stats("grad", grads),
                     f"in the copy drawn (#{i}): data = {node.data!r}, grad = {node.grad!r}"]
                    + self._op_line(node))
            return attrs
        fields += [f"data {format_number(node.data, p)}", f"grad {format_number(node.grad, p)}"]
        attrs = {"label": record(fields, flip=True)}
        self._fill(attrs, self.roles[i], abs(node.grad))
        if self.opts.tooltips:
            attrs["tooltip"] = tooltip(self._value_tooltip(i))
        return attrs

    def _op_line(self, node: Value) -> list[str]:
        op = node.primitive
        if op is None:
            return [f"op: {op_label(node)} (the user's own)"] if op_label(node) else []
        const = node.constant
        return [f"op: {op_label(node)} ({op.name}: {op.doc}"
                + (f", c = {const!r})" if const is not None else ")")]

    def _value_tooltip(self, i: int) -> list[str]:
        graph = self.graph
        node = graph.nodes[i]
        lines = [f"{graph.name(i)} (#{i}, {self.roles[i]})", f"data = {node.data!r}",
                 f"grad = {node.grad!r}"] + self._op_line(node)
        if node.scope:
            lines.append(f"scope: {node.scope}")
        return lines

    def _op(self, i: int) -> dict[str, str]:
        graph, plan = self.graph, self.plan
        node = graph.nodes[i]
        label = op_label(node)
        lines = []
        f = plan.fold_of[i]
        if f >= 0:
            same = [graph.nodes[j] for j in plan.folds[f].counterparts(plan.position[i])]
            constants = {v.constant for v in same}
            if len(constants) > 1 and node.primitive is not None:
                label = node.primitive.label_for("c")
                finite = [c for c in constants if c is not None]
                lines.append(f"c ranges over {min(finite)!r} .. {max(finite)!r} in the copies")
        chain = next((fold for fold in plan.folds if fold.at == i and fold.chain), None)
        attrs = {"label": plain(label), "shape": "ellipse", "fontsize": "12",
                 "height": "0.3", "margin": "0.05,0.02"}
        if self.opts.colors or self.opts.heat:
            attrs.update(style="filled", fillcolor=OP_FILL)
        if self.opts.tooltips:
            ps = graph.parents[i]
            shown = ", ".join(graph.name(p) if graph.nodes[p].label else f"#{p}" for p in ps[:8])
            more = f", ... ({len(ps)} inputs)" if len(ps) > 8 else ""
            op = node.primitive
            head = f"{label}: {op.name} ({op.doc})" if op is not None else f"{label}"
            lines = [head, f"inputs: {shown}{more}", f"output: {graph.name(i)}", *lines]
            if chain is not None:
                lines.append(f"with the {len(chain.chain):,} {label} before it (a chain such as "
                             f"Python's sum() makes), drawn as one")
            attrs["tooltip"] = tooltip(lines)
        return attrs

    def _group(self, key: str) -> dict[str, str]:
        group = self.plan.groups[key]
        attrs = {"label": record((field(line, 80) for line in group.lines(self.opts.precision)),
                                 flip=not self.vertical)}
        if self.opts.colors or self.opts.heat:
            fill = self.scale.color(group.heat()) if self.scale is not None else GROUP_FILL
            attrs.update(style="filled,rounded", fillcolor=fill, color=GROUP_BORDER)
        if self.opts.tooltips:
            attrs["tooltip"] = tooltip(group.tooltip())
        return attrs

    def _inputs(self, f: int, g: int) -> dict[str, str]:
        fold: Fold = self.plan.folds[f]
        group = fold.inputs[g]
        nodes = self.graph.nodes
        leaves = [nodes[copy[k]] for copy in fold.copies for k in group.positions]
        data = [v.data for v in leaves]
        grads = [v.grad for v in leaves]
        per = len(group.positions)
        shape = f"{fold.size:,} x {per}" if per > 1 else f"{fold.size:,}"
        p = self.opts.precision
        attrs = {"label": record([field(f"{group.name}: {shape}"), f"data {_range(data, p)}",
                                  field(f"mean |grad| {format_number(_mean_abs(grads), p)}")],
                                 flip=True)}
        self._fill(attrs, "input", _mean_abs(grads))
        if self.opts.tooltips:
            attrs["tooltip"] = tooltip(
                [f"{group.name}: the inputs of each of the {fold.size:,} {fold.noun()} "
                 f"({plural(per, 'leaf', 'leaves')} each, {len(leaves):,} in all)",
                 *_stats("data", data), *_stats("grad", grads)])
        return attrs

    def _copy(self, leaf: int, copy: int) -> dict[str, str]:
        attrs = self._value(leaf)
        attrs["style"] = ",".join(filter(None, (attrs.get("style"), "dashed")))
        if self.opts.tooltips:
            attrs["tooltip"] = tooltip(
                [f"{self.graph.name(leaf)} (#{leaf}) again: the same Value, drawn once more "
                 f"next to a use far from the others"] + self._value_tooltip(leaf)[1:])
        return attrs


def _mean_abs(xs: Iterable[float]) -> float:
    xs = [abs(x) for x in xs]
    return math.fsum(xs) / len(xs) if xs else math.nan


def _mean_abs_grad(nodes: list[Value], which: Iterable[int]) -> float:
    return _mean_abs(nodes[i].grad for i in which)


def _range(xs: list[float], precision: int) -> str:
    lo, hi = min(xs), max(xs)
    if lo == hi:
        return format_number(lo, precision)
    return f"{format_number(lo, precision)} .. {format_number(hi, precision)}"


def _stats(name: str, xs: list[float]) -> list[str]:
    return [f"{name}: min {min(xs)!r}, mean {math.fsum(xs) / len(xs)!r}, max {max(xs)!r}"]

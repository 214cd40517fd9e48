"""draw_dot and the files made from it: the SVG is parsed as XML and checked for its nodes,
edges, record fields, tooltips and colours, never compared byte for byte."""

from __future__ import annotations

import contextlib
import math
import random
import re
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest
from examples import lecture
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import GraphTooLargeError, Value, draw_dot, save, scope, scope_kinds, to_svg
from autograd.render import ValueGraph, find_engine
from autograd.render.budget import LIGHT_LAYOUT_NODES, SKIPS_PER_NODE, make_plan, measure
from autograd.render.collapse import collapse_keys
from autograd.render.graph import format_number
from autograd.testing.strategies import expressions

SVG = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"


# --- helpers -------------------------------------------------------------------------------


class Drawing:
    """The parts of a rendered SVG a reader sees: nodes (by DOT name) and edges."""

    def __init__(self, svg: str) -> None:
        self.root = ET.fromstring(svg)
        self.nodes: dict[str, ET.Element] = {}
        self.edges: list[tuple[str, str]] = []
        self.clusters: list[str] = []
        for g in self.root.iter(f"{SVG}g"):
            title = g.find(f"{SVG}title")
            kind = g.get("class")
            if title is None or title.text is None:
                continue
            if kind == "node":
                self.nodes[title.text] = g
            elif kind == "edge":
                src, _, dst = title.text.partition("->")
                self.edges.append((src, dst))
            elif kind == "cluster":
                self.clusters.append(title.text)

    def texts(self, name: str) -> list[str]:
        """The text of each field of node ``name``, in order."""
        return [t.text or "" for t in self.nodes[name].iter(f"{SVG}text")]

    def tooltip(self, name: str) -> str:
        link = self.nodes[name].find(f".//{SVG}a")
        assert link is not None, f"node {name} has no tooltip"
        return link.get(XLINK_TITLE, "")

    def fill(self, name: str) -> str:
        shape = next(e for e in self.nodes[name].iter()
                     if e.tag in (f"{SVG}polygon", f"{SVG}ellipse", f"{SVG}path"))
        return shape.get("fill", "")

    def values(self) -> list[str]:
        return [n for n in self.nodes if not n.endswith("op")]

    def ops(self) -> list[str]:
        return [n for n in self.nodes if n.endswith("op")]


def drawing(root: Value, **kwargs: object) -> Drawing:
    return Drawing(to_svg(root, **kwargs))


def scoped_mlp(
    sizes: tuple[int, ...] = (2, 3, 1), samples: int = 2, seed: int = 0, kinds: bool = False
) -> Value:
    """A ReLU MLP built the way nn modules build one: parameters and ops inside scopes (which
    say what kind of module opened them when ``kinds``)."""
    rng = random.Random(seed)
    layers = []

    def kind_of(i: int, neuron: bool = False) -> str | None:
        if not kinds:
            return None
        act = "ReLU" if i < len(sizes) - 2 else "Linear"
        return (f"{act}Neuron({sizes[i]})" if neuron else
                f"Layer({sizes[i]}, {sizes[i + 1]}, {act})")

    for i, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
        with scope(f"layers.{i}", kind_of(i)):
            layer = []
            for j in range(nout):
                with scope(f"neurons.{j}", kind_of(i, neuron=True)):
                    w = [Value(rng.uniform(-1, 1), label=f"w{k}") for k in range(nin)]
                    layer.append((w, Value(0.1, label="b")))
            layers.append(layer)
    outputs = []
    for _ in range(samples):
        x = [Value(rng.uniform(-1, 1), label=f"x{k}") for k in range(sizes[0])]
        for i, layer in enumerate(layers):
            with scope(f"layers.{i}", kind_of(i)):
                out = []
                for j, (w, b) in enumerate(layer):
                    with scope(f"neurons.{j}", kind_of(i, neuron=True)):
                        act = autograd.dot(w, x) + b
                        out.append(act.relu() if i < len(layers) - 1 else act)
                x = out
        outputs.append(x[0])
    loss = autograd.mean([(1 - y) ** 2 for y in outputs])
    loss.label = "loss"
    loss.backward()
    return loss


def parameters_in(root: Value, prefix: str) -> list[Value]:
    g = autograd.render.NumberedGraph(root)
    return [v for v in g.nodes if v.is_leaf and (v.scope == prefix
                                                 or v.scope.startswith(prefix + "."))]


# --- micrograd's picture ---------------------------------------------------------------------


def test_draw_dot_is_a_graphviz_digraph_like_micrograds() -> None:
    L = lecture()["L"]
    g = draw_dot(L)
    assert isinstance(g, graphviz.Digraph) and isinstance(g, ValueGraph)
    assert g.format == "svg" and g.graph_attr["rankdir"] == "LR"
    assert draw_dot(L, format="png", rankdir="TB").graph_attr["rankdir"] == "TB"
    assert draw_dot(L, format="png").format == "png"


def test_lecture_graph_nodes_edges_and_record_fields() -> None:
    values = lecture()
    L = values["L"]
    d = drawing(L)
    assert len(d.values()) == 7  # a, b, c, e, d, f, L
    assert sorted(d.texts(n)[0] for n in d.ops()) == ["*", "*", "+"]
    assert len(d.edges) == 3 * 3  # each op: two inputs in, one result out
    by_label = {d.texts(n)[0]: d.texts(n) for n in d.values()}
    assert by_label["a"] == ["a", "data 2.0000", "grad 6.0000"]
    assert by_label["L"] == ["L", "data -8.0000", "grad 1.0000"]
    assert by_label["d"] == ["d", "data 4.0000", "grad -2.0000"]
    # every edge joins drawn nodes, and each op feeds exactly the value it made
    for src, dst in d.edges:
        assert src in d.nodes and dst in d.nodes
    for op in d.ops():
        assert [dst for src, dst in d.edges if src == op] == [op[: -len("op")]]


def test_labels_use_a_face_whose_metrics_the_engine_knows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Cells are sized from the face's metrics: an unknown face (or a list of faces) is
    measured as Times, and drawn wider than its cells wherever Times is missing."""
    if not Path(find_engine().path).name.startswith("graphviz-pure"):
        pytest.skip("the warning checked for is graphviz-pure's")
    loss = scoped_mlp((2, 3, 1), samples=1, kinds=True)
    g = draw_dot(loss, collapse=1, heat=True)
    svg = g.pipe(format="svg", encoding="utf-8", quiet=False)
    assert "metrics" not in capsys.readouterr().err
    families = {t.get("font-family") for t in Drawing(svg).root.iter(f"{SVG}text")}
    assert families == {"Verdana"}
    g.node_attr["fontname"] = "Helvetica,Arial,sans-serif"  # the negative control
    g.pipe(format="svg", quiet=False)
    assert "metrics" in capsys.readouterr().err


def test_each_use_is_an_edge_and_constants_are_in_the_op_label() -> None:
    x = Value(3.0, label="x")
    y = x * x
    z = (y * 2) ** 3 - 1.5
    z.backward()
    d = drawing(z)
    ops = sorted(d.texts(n)[0] for n in d.ops())
    assert ops == ["*", "* 2", "**3", "- 1.5"]  # x - c is stored as x + -c, drawn as - c
    square = next(n for n in d.ops() if d.texts(n)[0] == "*")
    assert sum(1 for _, dst in d.edges if dst == square) == 2  # x is used twice


def test_unlabelled_values_have_no_label_field_and_tiny_numbers_keep_an_exponent() -> None:
    x = Value(1e-7)
    y = x * 3e-5
    y.backward()
    d = drawing(y)
    fields = {tuple(d.texts(n)) for n in d.values()}
    assert ("data 1.0000e-07", "grad 3.0000e-05") in fields
    assert format_number(3e-7) == "3.0000e-07" and format_number(0.0) == "0.0000"
    assert format_number(float("nan")) == "nan" and format_number(-2.5) == "-2.5000"


def test_tooltips_hold_full_precision_op_and_scope() -> None:
    with scope("layers.0"):
        w = Value(1 / 3, label="w")
        y = (w * 2.0).tanh()
    y.label = "y"
    y.backward()
    d = drawing(y)
    names = {d.texts(n)[0]: n for n in d.values()}
    tip = d.tooltip(names["w"])
    assert f"data = {1 / 3!r}" in tip and f"grad = {w.grad!r}" in tip
    assert "scope: layers.0" in tip and "parameter" in tip
    assert "op: tanh (tanh: hyperbolic tangent)" in d.tooltip(names["y"])
    assert all("tanh" in d.tooltip(n) or "*" in d.tooltip(n) for n in d.ops())
    assert "<a" not in draw_dot(y, tooltips=False).source and "tooltip" not in draw_dot(
        y, tooltips=False).source


@settings(max_examples=15, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=6))
def test_hostile_labels_render_as_text(labels: list[str]) -> None:
    """Whatever a label holds, it is one record field showing that text, and the SVG is valid.

    (Graphviz collapses runs of whitespace in record fields, and control characters are
    shown as spaces, so the comparison normalises whitespace.)
    """
    leaves = [Value(float(i), label=label) for i, label in enumerate(labels)]
    root = autograd.sum(leaves)
    root.label = "root"
    root.backward()
    d = drawing(root)
    assert len(d.values()) == len(labels) + 1 and len(d.ops()) == 1
    assert len(d.edges) == len(labels) + 1
    for i, label in enumerate(labels):
        shown = [" ".join(t.split()) for t in d.texts(f"n{i}")]
        expected = " ".join(_shown(label).split())
        fields = [f"data {i}.0000", "grad 1.0000"]
        if label and expected:
            assert shown == [expected, *fields]
        else:  # an empty field may have no text element at all
            assert shown in ([*fields], ["", *fields])


def _shown(label: str) -> str:
    """What a label shows: every character of an invisible or unprintable Unicode category
    (controls, format characters such as bidi marks, surrogates, unassigned, separators
    other than the plain space) as a space. Written out here, so the test checks the code."""
    hidden = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"}
    return "".join(
        " " if c != " " and unicodedata.category(c) in hidden else c for c in label
    )


def test_bidirectional_overrides_cannot_reorder_a_label() -> None:
    """U+202E would show 'x = 1 ... evil' reversed, in the picture and in a terminal alike."""
    v = Value(1.0, label="safe\u202egnp.exe")
    w = v * 2
    d = drawing(w)
    assert d.texts("n0")[0] == "safe gnp.exe"
    assert "\u202e" not in autograd.render_text(w) and "safe gnp.exe" in autograd.render_text(w)
    # Marks and zero-width characters are invisible too: they show as spaces, everywhere.
    for mark in ("\u200e", "\u200f", "\u061c", "\u200b", "\u200d", "\ufeff", "\u00ad"):
        u = Value(1.0, label=f"a{mark}b") * 2
        assert drawing(u).texts("n0")[0] == "a b", repr(mark)
        assert mark not in autograd.render_text(u), repr(mark)


def test_markup_in_labels_stays_text() -> None:
    nasty = ['<b>bold</b>', '{a|b}', 'q"q', "back\\slash", "\\N", "\\G\\l", "&amp;", "]]>",
             '"]; evil [label="x', "<!--", "a}|{b"]
    leaves = [Value(float(i), label=label) for i, label in enumerate(nasty)]
    root = autograd.sum(leaves)
    g = draw_dot(root)
    d = Drawing(to_svg(g))
    assert len(d.values()) == len(nasty) + 1  # no injected node
    assert "evil" not in d.nodes
    for i, label in enumerate(nasty):
        assert d.texts(f"n{i}")[0] == label
        assert d.tooltip(f"n{i}").startswith(label.replace("\\", "\u29f5"))
    assert not list(d.root.iter(f"{SVG}b"))  # no element smuggled in


# --- colours -------------------------------------------------------------------------------


def test_fill_by_role() -> None:
    with scope("model"):
        w = Value(0.5, label="w")
    x = Value(2.0, label="x")
    y = w * x
    y.label = "y"
    z = y.relu()
    z.label = "z"
    z.backward()
    d = drawing(z)
    names = {d.texts(n)[0]: n for n in d.values()}
    fills = {label: d.fill(n) for label, n in names.items()}
    assert fills == {"w": "#dcfce7", "x": "#dbeafe", "y": "white", "z": "#fee2e2"}
    # params= says which leaves are parameters, whatever their scope
    d2 = drawing(z, params=[x])
    names2 = {d2.texts(n)[0]: n for n in d2.values()}
    assert d2.fill(names2["x"]) == "#dcfce7" and d2.fill(names2["w"]) == "#dbeafe"
    assert "fillcolor" not in draw_dot(z, colors=False).source


def test_heat_scale_shows_vanishing_gradients() -> None:
    a = Value(1.0, label="big")
    b = Value(1.0, label="tiny")
    c = Value(1.0, label="unused")
    out = a * 100.0 + b * 1e-9 + c * 0.0
    out.backward()
    d = drawing(out, heat=True)
    names = {d.texts(n)[0]: n for n in d.values() if len(d.texts(n)) == 3}
    big, tiny, zero = (d.fill(names[k]) for k in ("big", "tiny", "unused"))
    assert len({big, tiny, zero}) == 3
    assert zero == "#e5e7eb"
    red = int(big[1:3], 16) - int(big[5:7], 16)
    blue = int(tiny[5:7], 16) - int(tiny[1:3], 16)
    assert red > 100 and blue > 40  # largest |grad| red, vanishing |grad| blue
    caption = draw_dot(out, heat=True).graph_attr["label"]
    assert "log scale" in caption and "1.0e-09" in caption


def test_heat_marks_nonfinite_gradients() -> None:
    x = Value(0.0, label="x")
    y = x.sqrt()
    y.backward()
    d = drawing(y, heat=True)
    names = {d.texts(n)[0]: n for n in d.values() if d.texts(n)[0] == "x"}
    assert math.isinf(x.grad) and d.fill(names["x"]) == "#f0abfc"


# --- big graphs --------------------------------------------------------------------------------


def test_collapse_by_module_summarises_each_layer() -> None:
    loss = scoped_mlp((2, 3, 1), samples=2)
    d = drawing(loss, collapse=1)
    summaries = {d.texts(n)[0]: d.texts(n) for n in d.nodes if n.startswith("g")}
    assert sorted(summaries) == ["layers.0", "layers.1"]
    layer0 = summaries["layers.0"]
    assert layer0[1] == "3 x neurons"
    assert layer0[2] == "18 ops: 6 dot, 6 +, 6 ReLU"
    params = parameters_in(loss, "layers.0")
    mean = math.fsum(abs(p.grad) for p in params) / len(params)
    assert layer0[3] == f"9 params, mean |grad| {format_number(mean)}"
    assert summaries["layers.1"][2].startswith("4 ops: 2 dot, 2 +")
    # inputs and the loss stay as they are; every edge touches drawn nodes only
    labels = [d.texts(n)[0] for n in d.values() if not n.startswith("g")]
    assert labels.count("x0") == 2 and "loss" in labels
    for src, dst in d.edges:
        assert src in d.nodes and dst in d.nodes
    # the edge from layers.0 to layers.1 carries how many uses it stands for
    group = {d.texts(n)[0]: n for n in d.nodes if n.startswith("g")}
    assert (group["layers.0"], group["layers.1"]) in d.edges
    source = draw_dot(loss, collapse=1).source
    assert f"{group['layers.0']} -> {group['layers.1']} [label=x6" in source


def test_summaries_say_what_kind_of_module_they_are() -> None:
    loss = scoped_mlp((2, 3, 1), samples=2, kinds=True)
    d = drawing(loss, collapse=1)
    summaries = {d.texts(n)[0].split(":")[0]: (n, d.texts(n)) for n in d.nodes
                 if n.startswith("g")}
    name, layer0 = summaries["layers.0"]
    assert layer0[:3] == ["layers.0: Layer(2, 3, ReLU)", "3 x ReLUNeuron(2)",
                          "18 ops: 6 dot, 6 +, 6 ReLU"]
    assert summaries["layers.1"][1][:2] == ["layers.1: Layer(3, 1, Linear)",
                                            "1 x LinearNeuron(3)"]
    assert d.tooltip(name).startswith("module layers.0 (Layer(2, 3, ReLU)): ")
    d2 = drawing(loss, collapse=2)
    firsts = sorted(d2.texts(n)[0] for n in d2.nodes if n.startswith("g"))
    assert firsts[0] == "layers.0.neurons.0: ReLUNeuron(2)"


def test_each_graph_keeps_the_kinds_its_own_scopes_had() -> None:
    """Same scope names, different modules (an old and a new model in one notebook): each
    picture names its own, and a summary over both names neither."""
    small = scoped_mlp((2, 3, 1), samples=1, kinds=True)
    big = scoped_mlp((2, 5, 1), samples=1, kinds=True)

    def summary(root: Value, key: str) -> list[str]:
        d = drawing(root, collapse=1)
        return next(d.texts(n) for n in d.nodes
                    if n.startswith("g") and d.texts(n)[0].split(":")[0] == key)

    assert summary(small, "layers.0")[:2] == ["layers.0: Layer(2, 3, ReLU)", "3 x ReLUNeuron(2)"]
    assert summary(big, "layers.0")[:2] == ["layers.0: Layer(2, 5, ReLU)", "5 x ReLUNeuron(2)"]
    # one picture of both: the neurons agree on their kind, the layers do not
    assert summary(small + big, "layers.0")[:2] == ["layers.0", "5 x ReLUNeuron(2)"]


def test_scope_kinds_are_read_from_a_nodes_scope() -> None:
    with scope("encoder", kind="Encoder(4)"), scope("head"):
        v = Value(1.0, label="v")
    assert scope_kinds(v.scope) == {"encoder": "Encoder(4)"}
    assert scope_kinds("encoder.head") == {} and scope_kinds("") == {}
    assert v.scope == "encoder.head" and hash(v.scope) == hash("encoder.head")
    # entering again reuses the name made the first time (nothing new per call)
    with scope("encoder", kind="Encoder(4)") as again:
        assert again is autograd.scopes._TOP_LEVEL[("encoder", "Encoder(4)")]
    with pytest.raises(TypeError, match="kind=.*int 3"):
        scope("x", kind=3)  # type: ignore[arg-type]
    w = (v * 2).tanh()
    d = drawing(w, collapse=1)
    assert d.texts("g0")[:2] == ["encoder: Encoder(4)", "head"]  # head was opened without kind


def test_collapse_deeper_named_and_the_root_stays() -> None:
    loss = scoped_mlp((2, 3, 1), samples=1)
    names = lambda d: sorted(d.texts(n)[0] for n in d.nodes if n.startswith("g"))  # noqa: E731
    assert names(drawing(loss, collapse=2)) == [
        "layers.0.neurons.0", "layers.0.neurons.1", "layers.0.neurons.2", "layers.1.neurons.0"
    ]
    assert names(drawing(loss, collapse="layers.0")) == ["layers.0"]
    assert names(drawing(loss, collapse=["layers.1", "layers.0"])) == ["layers.0", "layers.1"]
    with scope("model"):
        x = Value(1.0, label="x")
        y = (x * 2).tanh()
    y.label = "y"
    d = drawing(y, collapse=1)
    assert "y" in [d.texts(n)[0] for n in d.values()]  # the root is drawn as itself
    with pytest.raises(ValueError, match="collapse"):
        draw_dot(y, collapse=[""])
    with pytest.raises(ValueError, match="collapse depth"):
        draw_dot(y, collapse=-1)


def test_heat_colours_summaries_by_gradient() -> None:
    x = Value(0.3, label="x")
    with scope("act"):  # ops only, no parameters
        h = (x * 3.0).tanh()
    with scope("head"):
        w = Value(2.0, label="w")
        y = h * w
    y = y + 0.0
    y.backward()
    d = drawing(y, collapse=1, heat=True)
    summaries = {d.texts(n)[0]: n for n in d.nodes if n.startswith("g")}
    assert sorted(summaries) == ["act", "head"]
    assert d.texts(summaries["act"])[-1] == "no parameters"
    fills = {d.fill(n) for n in summaries.values()}
    assert "#f0abfc" not in fills and "#e5e7eb" not in fills


def test_a_leaf_alone() -> None:
    v = Value(3.0, label="v")
    d = drawing(v, heat=True)
    assert list(d.nodes) == ["n0"] and d.texts("n0") == ["v", "data 3.0000", "grad 0.0000"]
    assert d.edges == []


def test_clusters_group_nodes_by_scope() -> None:
    loss = scoped_mlp((2, 2, 1), samples=1)
    d = drawing(loss, cluster=True)
    assert len(d.clusters) == 2 + 3  # layers.0, layers.1 and their neurons
    labels = [t.text for t in d.root.iter(f"{SVG}text")]
    assert "layers.0" in labels and "neurons.1" in labels
    assert len(drawing(loss, cluster=1).clusters) == 2
    assert draw_dot(loss).source.count("subgraph") == 0


def test_node_limit_collapses_scoped_graphs_automatically() -> None:
    loss = scoped_mlp((2, 3, 1), samples=3)
    total = len(autograd.render.NumberedGraph(loss))
    folded = draw_dot(loss, max_nodes=total - 1)  # the 3 samples fold into one stack first
    assert "drawn as one stack" in folded.graph_attr["label"]
    g = draw_dot(loss, max_nodes=total - 1, fold=False)
    assert "collapsed to depth" in g.graph_attr["label"]
    d = Drawing(to_svg(g))
    assert len(d.values()) < total
    assert any(n.startswith("g") for n in d.nodes)
    with pytest.raises(GraphTooLargeError, match="still has") as info:
        draw_dot(loss, max_nodes=5, collapse=2)
    assert info.value.max_nodes == 5 and "collapse=1" in str(info.value)
    # depth 1 is as collapsed as it gets: the hint does not ask for more
    with pytest.raises(GraphTooLargeError, match="still has") as info:
        draw_dot(loss, max_nodes=5, collapse=1)
    message = str(info.value)
    assert "ollapse more" not in message
    assert "draw_dot(v)" in message and "max_nodes=" in message


def test_node_limit_without_scopes_raises_with_a_hint() -> None:
    x = Value(0.5, label="x")
    for _ in range(40):
        x = (x * 1.01).tanh()
    with pytest.raises(GraphTooLargeError) as info:
        draw_dot(x, max_nodes=30)
    message = str(info.value)
    assert "max_nodes=None" in message and "scope" in message and "render_text" in message
    assert info.value.nodes == 81 and isinstance(info.value, ValueError)
    assert draw_dot(x, max_nodes=None).source.count("->") == 80 + 80
    with pytest.raises(GraphTooLargeError, match="with collapse=False, the graph has"):
        draw_dot(x, max_nodes=30, collapse=False)
    with pytest.raises(ValueError, match="max_nodes"):
        draw_dot(x, max_nodes=0)


def test_dense_graph_counts_edges_against_the_limit() -> None:
    inputs = [Value(float(i)) for i in range(30)]
    outs = [autograd.dot(inputs, inputs[::-1]) for _ in range(30)]
    root = autograd.sum(outs)
    # 61 values, but 30 * 60 + 30 + 31 edges: more than 3 per allowed node
    with pytest.raises(GraphTooLargeError, match=r"edges \(1,861 > 300\)") as info:
        draw_dot(root, max_nodes=100, fold=False)
    assert info.value.over == ["edges"]
    assert draw_dot(root, max_nodes=700).source.count("->") == 30 * 60 + 30 + 31
    # The 30 dots are one structure reading the same inputs: folded, they fit.
    assert "30 copies are drawn as one stack" in draw_dot(root, max_nodes=100).graph_attr[
        "label"].replace("\\n", " ")


def test_a_leaf_used_far_away_is_drawn_again_there() -> None:
    w = Value(0.9, label="w")
    h = Value(1.0, label="h0")
    for _ in range(12):
        h = (h * w).tanh()
    h.backward()
    d = drawing(h)
    copies = [n for n in d.nodes if "c" in n and not n.endswith("op")]
    assert copies, "expected copies of w near its later uses"
    for name in copies:
        assert d.texts(name)[0] == "w"
        assert "again" in d.tooltip(name)
    uses = [dst for src, dst in d.edges if d.texts(src)[0] == "w"]
    assert len(uses) == 12  # still one edge per use


def test_every_drawing_gets_a_bounded_layout_effort() -> None:
    L = lecture()["L"]
    small = draw_dot(L).graph_attr
    assert small["nslimit"] == "1" and small["mclimit"] == "1"
    x = Value(0.1, label="x")
    for _ in range(LIGHT_LAYOUT_NODES // 2 + 10):
        x = x * 1.0001
    big = draw_dot(x).graph_attr
    assert 0 < float(big["nslimit"]) < 1 and 0 < float(big["mclimit"]) < 1


def recurrence_with_losses(steps: int, scoped: bool = False) -> Value:
    """h = tanh(w*h + u*x_t) with a loss at every step, summed at the end: few nodes, but the
    edges from the early losses to the sum skip most of the graph's ranks."""
    rng = random.Random(0)
    w, u, h = Value(0.5, label="w"), Value(0.8, label="u"), Value(0.0, label="h0")
    losses = []
    for t in range(steps):
        with scope(f"steps.{t}") if scoped else contextlib.nullcontext():
            h = (w * h + u * Value(rng.uniform(-1, 1), label=f"x{t}")).tanh()
            losses.append((h - rng.uniform(-1, 1)) ** 2)
    loss = autograd.sum(losses)
    loss.label = "loss"
    loss.backward()
    return loss


def test_long_edges_count_against_the_budget() -> None:
    """1,054 Values, far below max_nodes, but a layout of minutes: refused, with a hint."""
    loss = recurrence_with_losses(150)
    assert len(autograd.render.NumberedGraph(loss)) == 1054
    with pytest.raises(GraphTooLargeError) as info:
        draw_dot(loss)
    error = info.value
    assert error.nodes == 1054 and error.skipped_ranks > SKIPS_PER_NODE * error.max_nodes
    message = str(error)
    assert error.over[0] == "skipped ranks"
    assert "ranks skipped by edges" in message and "max_nodes=None" in message
    assert f"({error.skipped_ranks:,} > {SKIPS_PER_NODE * error.max_nodes:,})" in message
    assert "draw_dot(v)" in message
    # a shorter recurrence fits, and so does this one when the caller lifts the budget
    assert "->" in draw_dot(recurrence_with_losses(50)).source
    assert draw_dot(loss, max_nodes=None).source.count("->") == error.edges
    # a smaller budget refuses sooner
    with pytest.raises(GraphTooLargeError, match="skipped"):
        draw_dot(recurrence_with_losses(50), max_nodes=360)  # 354 nodes fit, 14,850 skips do not


def test_long_edges_collapse_a_scoped_graph() -> None:
    loss = recurrence_with_losses(150, scoped=True)
    g = draw_dot(loss)
    caption = g.graph_attr["label"]
    assert "skip" in caption and "collapsed to depth 1" in caption
    summaries = [line for line in g.source.splitlines() if "steps." in line and "[label=" in line]
    assert len(summaries) == 150


def test_many_skipped_ranks_get_straight_edges() -> None:
    """Fitting curves around the hidden nodes of long edges is most of such a layout's time."""
    assert "splines" not in draw_dot(lecture()["L"]).graph_attr
    assert "splines" not in draw_dot(recurrence_with_losses(3)).graph_attr
    g = draw_dot(recurrence_with_losses(20))
    assert g.graph_attr["splines"] == "line"


def _layout_ranks(plain: str) -> dict[str, int]:
    """Node name -> rank (0, 1, ...) in a left-to-right layout, from dot's plain output."""
    xs = {}
    for line in plain.splitlines():
        parts = line.split()
        if parts and parts[0] == "node":
            xs[parts[1]] = round(float(parts[2]), 1)
    order = {x: r for r, x in enumerate(sorted(set(xs.values())))}
    return {name: order[x] for name, x in xs.items()}


@pytest.mark.parametrize("shape", ["recurrence", "reuse"])
def test_the_skipped_ranks_estimate_matches_the_layout(shape: str) -> None:
    """The estimate the budget uses is close to the ranks the layout really skips."""
    if shape == "recurrence":
        root = recurrence_with_losses(12)
    else:  # each step reuses a random earlier value
        rng = random.Random(1)
        values = [Value(0.5, label="x0"), Value(-0.5, label="x1")]
        for _ in range(40):
            a, b = values[-1], rng.choice(values)
            values.append((a * b).tanh() if rng.random() < 0.5 else a + b)
        root = values[-1]
    root.backward()
    g = draw_dot(root, max_nodes=None)
    ranks = _layout_ranks(g.pipe(format="plain", encoding="utf-8"))
    real = 0
    for line in g.source.splitlines():
        m = re.match(r"\s*(\w+) -> (\w+)", line)
        if m:
            real += max(0, abs(ranks[m.group(2)] - ranks[m.group(1)]) - 1)
    graph = autograd.render.NumberedGraph(root)
    estimate = measure(make_plan(graph, collapse_keys(graph, None), [], 0)).skips
    assert real > 50
    assert 0.6 * real <= estimate <= 1.5 * real, (estimate, real)


@settings(max_examples=15, deadline=None)
@given(expressions(max_nodes=6))
def test_random_graphs_draw_one_node_per_value_and_op(expr: object) -> None:
    out = expr.build().output  # type: ignore[attr-defined]
    out.backward()
    graph = autograd.render.NumberedGraph(out)
    interior = sum(1 for ps in graph.parents if ps)
    uses = sum(len(ps) for ps in graph.parents)
    d = drawing(out)
    values = [n for n in d.values() if "c" not in n]
    assert len(values) == len(graph) and len(d.ops()) == interior
    assert len(d.edges) == uses + interior


# --- notebooks and files -----------------------------------------------------------------------


def test_notebook_display_is_svg() -> None:
    L = lecture()["L"]
    g = draw_dot(L)
    bundle = g._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert len(Drawing(str(bundle["image/svg+xml"])).values()) == 7
    png = g._repr_mimebundle_(include=["image/png"])["image/png"]
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG")
    assert g._repr_mimebundle_(include=[]) == {}


def test_render_pipe_and_view_paths_use_the_engine(tmp_path: Path) -> None:
    L = lecture()["L"]
    g = draw_dot(L)
    out = g.render(outfile=tmp_path / "lecture.svg")
    assert out == str(tmp_path / "lecture.svg")
    assert len(Drawing(Path(out).read_text(encoding="utf-8")).values()) == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lecture.svg"]  # no lecture.gv left
    g.render(tmp_path / "kept.gv", outfile=tmp_path / "kept.svg")  # a source asked for
    assert (tmp_path / "kept.gv").read_text(encoding="utf-8") == g.source
    rendered = Path(g.render(tmp_path / "graph", format="png", cleanup=True))
    assert rendered.name == "graph.png" and rendered.read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "graph").exists()
    assert isinstance(g.pipe(), bytes) and g.pipe(encoding="utf-8").lstrip().startswith("<")
    plain = g.pipe(format="plain", encoding="utf-8")
    assert plain.startswith("graph ") and plain.count("\nnode ") == 10
    copy = g.copy()
    assert isinstance(copy, ValueGraph) and copy.source == g.source
    with pytest.raises(graphviz.RequiredArgumentError):
        g.pipe(formatter="core")


def test_notebook_display_follows_graphvizs_jupyter_format() -> None:
    g = draw_dot(lecture()["L"])
    old = graphviz.set_jupyter_format("png")
    try:
        bundle = g._repr_mimebundle_()
        assert list(bundle) == ["image/png"] and bytes(bundle["image/png"]).startswith(b"\x89PNG")
    finally:
        graphviz.set_jupyter_format(old)
    assert list(g._repr_mimebundle_()) == ["image/svg+xml"]


def test_render_outfile_and_directory_as_graphviz_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    g = draw_dot(lecture()["L"])
    # an explicit directory is for the source only: outfile is taken as it is
    out = g.render("here.gv", outfile="here.svg", directory="sources")
    assert out == "here.svg" and (tmp_path / "here.svg").exists()
    assert (tmp_path / "sources" / "here.gv").exists()
    assert not (tmp_path / "sources" / "here.svg").exists()
    # without one, outfile is inside the graph's own directory, and so is the source
    g2 = draw_dot(lecture()["L"])
    g2.directory = "mine"
    assert Path(g2.render(outfile="there.png")) == Path("mine", "there.png")
    assert (tmp_path / "mine" / "there.png").read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "mine" / "there.gv").exists()  # the picture alone


def test_to_svg_and_save_pick_the_format_from_the_extension(tmp_path: Path) -> None:
    L = lecture()["L"]
    svg = to_svg(L)
    assert isinstance(svg, str) and len(Drawing(svg).values()) == 7
    assert save(L, tmp_path / "g.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert save(L, tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    dot = save(L, tmp_path / "g.dot").read_text(encoding="utf-8")
    assert dot == draw_dot(L).source
    assert save(draw_dot(L, heat=True), str(tmp_path / "h.gv")).read_text(
        encoding="utf-8").count("->") == 9
    nested = save(L, tmp_path / "new" / "folder" / "g.svg")  # made as render() makes them
    assert nested.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match=r"\.svg"):
        save(L, tmp_path / "g.pdf")
    with pytest.raises(TypeError, match="only apply"):
        to_svg(draw_dot(L), heat=True)


def test_bad_arguments() -> None:
    L = lecture()["L"]
    with pytest.raises(TypeError, match="Value"):
        draw_dot(2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(L, rankdir="XY")
    with pytest.raises(ValueError, match="cluster"):
        draw_dot(L, cluster=-1)


@pytest.mark.parametrize("module", ["draw", "layout_program", "explain", "graph", "text",
                                    "style", "options", "collapse", "fold", "plan", "budget"])
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    mod = importlib.import_module(f"autograd.render.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_collapse_names_an_unknown_scope() -> None:
    with scope("layers"), scope("0"):
        w = Value(2.0, label="w")
        y = w * 3
    z = y + 1
    with pytest.raises(ValueError, match="no node of this graph has scope 'layer.0'.*layers.0"):
        draw_dot(z, collapse="layer.0")

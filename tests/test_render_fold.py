"""Folding repeated structure, the budgets that predict layout time, and the options'
checks: the README's big example reads in one screen."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from examples import lecture

import autograd
import nn
from autograd import DrawOptions, GraphTooLargeError, Value, draw_dot, to_svg
from autograd.render import NumberedGraph
from autograd.render.budget import SECONDS_AT_DEFAULT, choose, layout_seconds
from autograd.render.fold import find_folds
from autograd.render.graph import format_number


def big_example(samples: int = 100) -> Value:
    """The README's "Big graphs" example."""
    model = nn.MLP(2, [16, 16, 1], seed=0)
    xs = [[0.1 * i, -0.2 * i] for i in range(samples)]
    loss = autograd.sum([(model(x) - 1.0) ** 2 for x in xs]) * 0.01
    loss.backward()
    return loss


def svg_size_px(svg: str) -> tuple[float, float]:
    """Width and height at 100% zoom, in CSS pixels (1 pt = 4/3 px)."""
    root = ET.fromstring(svg)
    w, h = (float(root.get(a, "0").removesuffix("pt")) for a in ("width", "height"))
    return w * 4 / 3, h * 4 / 3


@pytest.fixture(scope="module")
def big() -> Value:
    return big_example()


# --- folding --------------------------------------------------------------------------------


def test_the_big_example_folds_into_one_stack_that_fits_a_screen(big: Value) -> None:
    g = draw_dot(big)
    caption = g.caption
    # The caption names every budget exceeded, with the figures.
    assert "nodes (10,539 > 2,500)" in caption and "edges (80,903 > 7,500)" in caption
    assert "layout time" in caption and "100 samples are drawn as one stack" in caption
    assert "too many to draw one by one" not in caption
    source = g.source
    assert "x 100 samples" in source  # the stack
    assert "x: 100 x 2" in source  # the inputs as one node
    assert "layers.0: Layer(2, 16, ReLU)" in source
    svg = to_svg(g)
    width, height = svg_size_px(svg)
    assert width <= 1600 and height <= 1600, (width, height)
    # Layers first: the stack's inputs and layers come before (above) the loss.
    texts = [t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    order = [i for i, t in enumerate(texts) if t.startswith(("layers.0:", "data 889"))]
    assert len(order) == 2
    ys = {}
    for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text"):
        if (t.text or "").startswith(("layers.0:", "data 889")):
            ys[(t.text or "")[:8]] = float(t.get("y", "0"))
    assert ys["layers.0"] < ys["data 889"]
    # The caption is wrapped: no line wider than the picture.
    assert all(len(line) <= 90 for line in g.graph_attr["label"].split("\\n"))


def test_statistics_over_the_copies_replace_single_numbers(big: Value) -> None:
    graph = NumberedGraph(big)
    [fold] = find_folds(graph)
    assert fold.size == 100 and fold.samples and fold.noun() == "samples"
    assert [g.name for g in fold.inputs] == ["x"] and len(fold.inputs[0].positions) == 2
    # the squared error: its data ranges over the samples, its grad is 0.01 in each
    k = next(k for k, i in enumerate(fold.copies[0]) if graph.nodes[i].primitive is not None
             and graph.nodes[i].primitive.name == "pow_const")
    data = [graph.nodes[i].data for i in fold.counterparts(k)]
    source = draw_dot(big).source
    assert f"data {format_number(min(data))} .. {format_number(max(data))}" in source
    assert "mean \\|grad\\| 0.0100" in source


def test_collapse_2_of_the_big_example_is_folded_to_lay_out_fast(big: Value) -> None:
    """collapse=2 passed the old budget and took 12 s to lay out; now the time budget sees
    it coming and the samples fold."""
    g = draw_dot(big, collapse=2)
    assert "layout time" in g.caption and "drawn as one stack" in g.caption
    assert "layers.0.neurons.3" in g.source
    with pytest.raises(GraphTooLargeError) as info:
        draw_dot(big, collapse=2, fold=False)
    assert info.value.over == ["time"] and info.value.seconds > SECONDS_AT_DEFAULT


def test_python_sum_of_a_neuron_over_samples_folds() -> None:
    """micrograd's way: Python's sum() makes a chain of + (starting from 0 + ...)."""
    w = Value(0.5, label="w")
    b = Value(0.1, label="b")
    losses = [((w * Value(float(x), label="x") + b).tanh() - 1.0) ** 2 for x in range(8)]
    loss = sum(losses)
    loss.backward()
    [fold] = find_folds(NumberedGraph(loss))
    assert fold.size == 8 and len(fold.chain) == 6 + 1  # 6 binary + before the last, and 0 + t0
    g = draw_dot(loss, fold=True)
    assert "x 8 samples" in g.source and '"x: 8"' in g.source.replace("{ x: 8 ", '"x: 8"')
    assert re.search(r'label=x8\b', g.source)  # the 8 terms flow into the sum's op
    # drawn once: one tanh op in the drawing, not eight
    assert g.source.count('label=tanh') == 1
    assert draw_dot(loss).source.count('label=tanh') == 8  # fits the budget: drawn in full


def test_copies_that_read_different_shared_nodes_do_not_fold() -> None:
    """A recurrence's per-step losses look alike but read different states: not copies."""
    w, h = Value(0.5, label="w"), Value(0.0, label="h0")
    losses = []
    for t in range(6):
        h = (w * h + 0.1 * t).tanh()
        losses.append((h - 0.5) ** 2)
    assert find_folds(NumberedGraph(autograd.sum(losses))) == []


def test_a_sample_computed_differently_stays_out_of_the_stack() -> None:
    w = Value(0.5, label="w")
    terms = [(w * Value(float(x), label="x")).tanh() for x in range(5)]
    terms.append((w * Value(9.0, label="x")).sigmoid())  # the odd one
    root = autograd.sum(terms)
    root.backward()
    [fold] = find_folds(NumberedGraph(root))
    assert fold.size == 5
    source = draw_dot(root, fold=True).source
    assert source.count("label=sigmoid") == 1 and source.count("label=tanh") == 1


def test_fold_false_and_fold_true() -> None:
    w = Value(0.5, label="w")
    root = autograd.sum([w * Value(float(x), label="x") * 2 for x in range(4)])
    root.backward()
    assert "samples" not in draw_dot(root).source  # small: every node drawn, as micrograd
    assert "x 4 samples" in draw_dot(root, fold=True).source
    with pytest.raises(GraphTooLargeError):
        draw_dot(root, fold=False, max_nodes=5)
    assert "drawn as one stack" in draw_dot(root, max_nodes=5).caption  # folded to fit


def test_no_fold_is_found_where_nothing_repeats() -> None:
    assert find_folds(NumberedGraph(lecture()["L"])) == []
    x = Value(1.0)
    assert find_folds(NumberedGraph(autograd.sum([x, x * 2, x.tanh()]))) == []


# --- budgets that predict time ------------------------------------------------------------------


def test_the_time_estimate_grows_with_what_makes_layouts_slow(big: Value) -> None:
    small = choose(NumberedGraph(lecture()["L"]), DrawOptions()).size
    assert layout_seconds(small) < 0.2
    dense = choose(NumberedGraph(big), DrawOptions(collapse=2, fold=False, max_nodes=None)).size
    assert dense.crossings > 2_000_000 and layout_seconds(dense) > 3.0


def test_the_old_contradiction_is_gone() -> None:
    """Fewer nodes than max_nodes but too many edges: the caption says edges, not nodes."""
    loss = big_example(15)
    assert len(NumberedGraph(loss)) < 2500
    caption = draw_dot(loss).caption
    assert "edges (" in caption and "nodes (" not in caption


# --- small things -------------------------------------------------------------------------------


def test_one_op_is_singular_and_zero_has_no_sign() -> None:
    from autograd import scope

    with scope("m"):
        w = Value(-0.0, label="w")
        y = w * 3
    z = y + 1
    source = draw_dot(z, collapse=1).source
    assert "1 op:" in source and "1 ops" not in source
    assert "data -0.0000" not in draw_dot(w * 1).source


# --- options are checked ------------------------------------------------------------------------


@pytest.mark.parametrize(("keyword", "value", "error", "words"), [
    ("max_nodes", True, TypeError, "max_nodes must be a positive int"),
    ("max_nodes", 2.5, TypeError, "max_nodes must be a positive int"),
    ("max_nodes", 0, ValueError, "max_nodes must be a positive int"),
    ("timeout", float("nan"), ValueError, "timeout"),
    ("timeout", "5", TypeError, "timeout must be a number of seconds"),
    ("precision", -1, ValueError, "precision"),
    ("precision", True, TypeError, "precision"),
    ("colors", 1, TypeError, "colors must be True or False"),
    ("heat", "yes", TypeError, "heat must be True or False"),
    ("tooltips", None, TypeError, "tooltips must be True or False"),
    ("fold", "always", TypeError, "fold must be True or False"),
    ("cluster", -1, ValueError, "cluster"),
    ("cluster", "layers", TypeError, "cluster"),
    ("collapse", -2, ValueError, "collapse depth"),
    ("collapse", 2.0, TypeError, "collapse"),
    ("collapse", [""], ValueError, "collapse"),
    ("params", 3, TypeError, "params must be an iterable of Values"),
    ("params", [Value(1.0), 2.0], TypeError, r"params\[1\] must be a Value"),
    ("format", "", ValueError, "format"),
    ("format", 3, TypeError, "format"),
    ("rankdir", "XY", ValueError, "rankdir"),
    ("executable", 5, TypeError, "executable"),
    ("colour", True, TypeError, "unknown drawing option 'colour'"),
])
def test_every_option_is_checked(keyword: str, value: object, error: type, words: str) -> None:
    L = lecture()["L"]
    with pytest.raises(error, match=words):
        draw_dot(L, **{keyword: value})


def test_options_object_and_keywords_are_the_same_drawing() -> None:
    L = lecture()["L"]
    opts = DrawOptions(heat=True, precision=2)
    assert draw_dot(L, options=opts).source == draw_dot(L, heat=True, precision=2).source
    assert draw_dot(L, options=opts, heat=False).source == draw_dot(L, precision=2).source
    assert draw_dot(L, "svg", "TB").graph_attr["rankdir"] == "TB"  # micrograd's positionals
    with pytest.raises(TypeError, match="DrawOptions"):
        draw_dot(L, options={"heat": True})  # type: ignore[arg-type]


def test_the_output_neurons_bias_is_added_inside_its_layer_box() -> None:
    """Collapsed, the root's op (the output neuron's + b) used to stand outside its layer."""
    model = nn.MLP(2, [4, 1], seed=0)
    score = model([Value(0.5, label="x0"), Value(-0.5, label="x1")])
    score.label = "score"
    score.backward()
    source = draw_dot(score, collapse=1).source
    assert "1 x LinearNeuron(4) | 2 ops: 1 dot, 1 + | 5 params" in source
    assert "shape=ellipse" not in source  # no op drawn outside a module
    assert "{ score | data" in source  # the output is still drawn as itself


def test_the_committed_big_example_picture_is_current(big: Value) -> None:
    """docs/big_graph.svg is what the README's big example draws today
    (CHAINRULE_UPDATE_DOCS=1 rewrites it)."""
    import os
    from pathlib import Path

    target = Path(__file__).resolve().parent.parent / "docs" / "big_graph.svg"
    svg = to_svg(big)
    if os.environ.get("CHAINRULE_UPDATE_DOCS") == "1":
        target.write_text(svg, encoding="utf-8")
    assert target.read_text(encoding="utf-8") == svg, (
        "docs/big_graph.svg is out of date: rerun with CHAINRULE_UPDATE_DOCS=1")
    width, height = svg_size_px(svg)
    assert width <= 1600 and height <= 1600

"""explain: the chain-rule terms behind a gradient, and that they add up to it."""

from __future__ import annotations

import io
import math

import pytest
from examples import lecture
from hypothesis import given, settings

import autograd
from autograd import Value, explain
from autograd.render import explanation
from autograd.testing.strategies import expressions


def test_explains_the_lecture_gradient_step_by_step(capsys: pytest.CaptureFixture[str]) -> None:
    v = lecture()
    explain(v["a"], v["L"])
    printed = capsys.readouterr().out
    assert printed.splitlines() == [
        "a.grad = 6: a (#0, data 2) is used once in the graph of L.",
        "By the chain rule, a.grad is the sum over its uses of local derivative x upstream "
        "gradient:",
        "  e = a * b  (#2, mul)",
        "    d(e)/d(a) = -3  x  e.grad = -2  =  6",
        "  sum = 6, which is a.grad.",
    ]
    steps = explanation(v["a"], v["L"]).steps
    assert [(s.consumer, s.position, s.local, s.upstream) for s in steps] == [
        (v["e"], 0, -3.0, -2.0)
    ]
    assert steps[0].contribution == v["a"].grad


def test_an_intermediate_node_and_the_root() -> None:
    v = lecture()
    text = str(explanation(v["d"], v["L"]))
    assert "made by add" in text and "L = d * f  (#6, mul)" in text
    assert "d(L)/d(d) = -2  x  L.grad = 1  =  -2" in text
    root = explanation(v["L"], v["L"])
    assert root.steps == () and root.matches
    assert "is the root" in str(root)


def test_a_node_used_twice_has_a_term_per_use() -> None:
    x = Value(3.0, label="x")
    y = x * x + x.tanh()
    y.label = "y"
    y.backward()
    ex = explanation(x, y)
    assert len(ex.steps) == 3 and ex.matches
    assert math.isclose(ex.total, x.grad, rel_tol=1e-12)
    text = str(ex)
    assert "used 3 times (by 2 ops)" in text
    assert "input 1 of 2" in text and "input 2 of 2" in text
    assert "tanh(x)" in text


def test_many_input_nodes_give_the_local_derivative_of_each_input() -> None:
    w = [Value(0.5, label="w0"), Value(-1.5, label="w1")]
    xs = [Value(2.0, label="x0"), Value(4.0, label="x1")]
    out = autograd.dot(w, xs)
    out.label = "out"
    out.backward()
    ex = explanation(w[1], out)
    assert [(s.position, s.local) for s in ex.steps] == [(1, 4.0)]
    assert "dot(w0, w1, x0, x1)" in str(ex) and "input 2 of 4" in str(ex)


def test_constants_read_as_numbers() -> None:
    x = Value(2.0, label="x")
    y = (3 - x) ** 2
    y.label = "y"
    y.backward()
    inner = y._prev[0]
    text = str(explanation(inner, y))
    assert "y = #1 ** 2" in text
    assert "3 - x" in str(explanation(x, y))
    z = x.leaky_relu(0.1)
    z.backward()
    assert "LeakyReLU(x, 0.1)" in str(explanation(x, z))


def test_accumulated_leaf_gradients_are_pointed_out() -> None:
    v = lecture()
    v["L"].backward()  # leaves accumulate: a.grad is now 12
    ex = explanation(v["a"], v["L"])
    assert not ex.matches and ex.total == 6.0 and v["a"].grad == 12.0
    assert "accumulates over backward() calls" in str(ex)
    v["e"].grad = 99.0
    assert "changed after backward()" in str(explanation(v["e"], v["L"]))


def test_bad_arguments() -> None:
    v = lecture()
    stranger = Value(1.0, label="stranger")
    with pytest.raises(ValueError, match="not in the graph of"):
        explain(stranger, v["L"])
    with pytest.raises(TypeError, match="two Values"):
        explain(v["a"], 3.0)  # type: ignore[arg-type]


def test_a_missing_root_is_asked_for_with_the_reason() -> None:
    a = lecture()["a"]
    for call in (explain, explanation):
        with pytest.raises(TypeError) as info:
            call(a)
        message = str(info.value)
        assert "explain(node, root) needs the root" in message and "explain(a, L)" in message
        assert "does not know which ops use it" in message and "'a'" in message


def test_before_backward_it_says_backward_has_not_run() -> None:
    x = Value(3.0, label="x")
    y = x * 2
    y.label = "y"
    root = str(explanation(y, y))
    assert root.startswith("y.grad = 0: backward() has not been run from y")
    assert "seed" not in root and "y.backward()" in root
    leaf = str(explanation(x, y))
    assert leaf.startswith("x.grad = 0: backward() has not been run from y")
    assert "Call y.backward() first." in leaf
    y.backward()
    assert str(explanation(y, y)).startswith("y.grad = 1: y is the root")
    x.grad = 0.0  # as zero_grad() after backward() would
    zeroed = str(explanation(x, y))
    assert "sum = 2, but x.grad is 0" in zeroed and "zeroed" in zeroed


def test_explain_writes_to_a_file() -> None:
    v = lecture()
    out = io.StringIO()
    explain(v["b"], v["L"], file=out)
    assert out.getvalue().startswith("b.grad = -4: b (#1, data -3)")


@settings(max_examples=40, deadline=None)
@given(expressions(max_nodes=8))
def test_terms_add_up_to_every_gradient(expr: object) -> None:
    """For any graph, every node's gradient is the sum of the terms explain lists."""
    out = expr.build().output  # type: ignore[attr-defined]
    out.backward()
    graph = autograd.render.NumberedGraph(out)
    for node in graph.nodes:
        ex = explanation(node, out)
        assert ex.matches, str(ex)
        assert str(ex).splitlines()[-1].endswith(
            f"which is {graph.name(graph.index(node))}.grad.") or not ex.steps


# --- labels are text: explain sanitises them as the picture and the table do -------------------


@pytest.mark.parametrize("label", [
    "\x1b[31mred\x1b[0m",  # ANSI escapes would recolour a terminal
    "abc\u202edcba",  # a bidirectional override would reorder what follows
    "two\nlines\r\x00",
    "\ud800",  # a lone surrogate cannot even be encoded
])
def test_explain_shows_hostile_labels_as_plain_text(label: str) -> None:
    a = Value(2.0, label=label)
    b = a * 3
    b.label = label + "!"
    b.backward()
    text = str(explanation(a, b))
    assert all(c.isprintable() for line in text.splitlines() for c in line), repr(text)
    text.encode("utf-8")  # never raises UnicodeEncodeError
    out = io.StringIO()
    explain(a, b, file=out)
    assert out.getvalue() == text + "\n"


def test_a_huge_label_gives_a_bounded_explanation() -> None:
    a = Value(2.0, label="x" * 1_000_000)
    b = (a * a) * a
    b.label = "y" * 1_000_000
    b.backward()
    text = str(explanation(a, b))
    assert len(text) < 3_000, len(text)  # was 17.8 MB for one 1 MB label
    assert "xxx..." in text

"""Random DAGs and small MLPs: gradients against numerical ones, and backward's invariants.

The graphs come from :func:`autograd.testing.strategies.expressions`, which
draws every op of the table inside its domain and shares subexpressions.
"""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st
from reference_ops import error_scales

import autograd
from autograd import Value, gradients, topological_order
from autograd.testing import MLP, Expression, check_grads
from autograd.testing.strategies import expressions, mlps, reals

# Computing a gradient in another order (a * (g * d) against (a * g) * d, or adding the
# terms of a second backward pass one by one) moves it by rounding errors that are tiny
# next to the scale from reference_ops.error_scales; the invariants hold to this much.
CLOSE = 1e-12


def _close(a: float, b: float, scale: float) -> bool:
    # The floor absorbs underflow: a * g may be subnormal where the graph's product is 0.
    return a == b or abs(a - b) <= CLOSE * scale + 1e-300


# --- against numerical derivatives ------------------------------------------------------


def check_expression_gradients(expr: Expression) -> None:
    """The property the DAG suite checks; the negative control runs it on a broken engine."""
    check_grads(expr, expr.point, order=1)


@given(expressions())
def test_dag_gradients_match_numerical(expr: Expression) -> None:
    check_expression_gradients(expr)


@given(expressions(max_nodes=5, n_inputs=(1, 2)))
def test_dag_second_derivatives_match_numerical(expr: Expression) -> None:
    check_grads(expr, expr.point, order=2)


@given(mlps())
def test_mlp_gradients_match_numerical(mlp: MLP) -> None:
    check_grads(mlp, mlp.point, order=1)


@given(mlps(hidden_layers=1, width=(1, 2), n_inputs=(1, 2), n_outputs=1))
def test_mlp_second_derivatives_match_numerical(mlp: MLP) -> None:
    check_grads(mlp, mlp.point, order=2)


# --- invariants of backward() -----------------------------------------------------------


@given(expressions(), reals(-3.0, 3.0))
def test_gradients_are_linear_in_the_output(expr: Expression, a: float) -> None:
    """d(a * f) = a * df, whether the scaling is a node or the seed of backward()."""
    plain = expr.build()
    plain.output.backward()
    scaled = expr.build()
    (scaled.output * a).backward()
    seeded = expr.build()
    seeded.output.backward(a)
    scales = error_scales(expr).grads
    for x, y, z, scale in zip(plain.inputs, scaled.inputs, seeded.inputs, scales):
        assert _close(y.grad, a * x.grad, abs(a) * scale), (y.grad, a * x.grad)
        assert _close(z.grad, a * x.grad, abs(a) * scale), (z.grad, a * x.grad)


@given(expressions())
def test_backward_twice_doubles_leaves_and_keeps_interior_gradients(expr: Expression) -> None:
    graph = expr.build()
    once = expr.build()
    once.output.backward()
    graph.output.backward()
    interior_after_one = [n.grad for n in graph.nodes]
    graph.output.backward()
    scales = error_scales(expr).grads
    for leaf, single, scale in zip(graph.inputs, once.inputs, scales):
        # Not bit for bit: the second pass adds its terms one by one onto the first's sum.
        assert _close(leaf.grad, 2 * single.grad, scale), (leaf.grad, 2 * single.grad)
    # Interior nodes show one pass, not two: each equals d(output)/d(node).
    assert [n.grad for n in graph.nodes] == interior_after_one
    live = set(topological_order(graph.output))
    slot_scales = error_scales(expr).slots[expr.n_inputs :]
    for node, scale in zip(graph.nodes, slot_scales):
        if node in live:
            (g,) = gradients(graph.output, [node])
            assert _close(node.grad, g, scale), (node, g)


@given(expressions(), st.integers(2, 4))
def test_reused_subexpressions_add_their_gradients(expr: Expression, k: int) -> None:
    """A value read k times (fan-out) gets k times the gradient; f * f gets 2 f df."""
    base = expr.build()
    base.output.backward()
    df = [x.grad for x in base.inputs]
    fan = expr.build()
    autograd.sum([fan.output] * k).backward()
    square = expr.build()
    (square.output * square.output).backward()
    f = base.output.data
    scales = error_scales(expr).grads
    for g, x, y, scale in zip(df, fan.inputs, square.inputs, scales):
        assert _close(x.grad, k * g, k * scale), (x.grad, k * g)
        assert _close(y.grad, 2 * f * g, 2 * abs(f) * scale), (y.grad, 2 * f * g)


def _snapshot(graph_nodes: list[Value]) -> list[tuple[object, ...]]:
    return [
        (n.data, n.label, n.constant, n.op, tuple(id(p) for p in n._prev)) for n in graph_nodes
    ]


@given(expressions())
def test_backward_and_checks_never_mutate_inputs_or_nodes(expr: Expression) -> None:
    graph = expr.build()
    everything = [*graph.inputs, *graph.nodes]
    before = _snapshot(everything)
    graph.output.backward()
    graph.output.backward(2.0)
    assert _snapshot(everything) == before
    grads = [n.grad for n in everything]
    gradients(graph.output, list(graph.inputs), create_graph=True)
    autograd.hessian(expr)(*graph.inputs)
    check_grads(expr, graph.inputs)
    assert _snapshot(everything) == before
    assert [n.grad for n in everything] == grads
    assert all(math.isfinite(g) for g in grads)

"""autograd.testing.strategies: what they draw stays inside the op table's domains."""

from __future__ import annotations

import dataclasses
import doctest
import math
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd.testing
import autograd.testing.comparison
import autograd.testing.graphs
import autograd.testing.numerical
import autograd.testing.strategies as strategies
from autograd import Domain, Op, Value, grad
from autograd.domains import NONZERO, POSITIVE, REALS
from autograd.ops import OPS
from autograd.testing import Expression, ExpressionStep, MLPLoss, apply_op
from autograd.testing.graphs import domain_of, forward, input_counts
from autograd.testing.strategies import (
    applications,
    expressions,
    inside,
    mlps,
    reals,
    values,
)

T = TypeVar("T")

DOMAINS = [REALS, POSITIVE, NONZERO, Domain(-1.0, 2.0, (0.0, 1.0)), Domain(0.0, 1.0)]


# --- reals and values ----------------------------------------------------------------------


@pytest.mark.parametrize("domain", DOMAINS, ids=str)
@given(data=st.data(), margin=st.sampled_from([0.0, 1e-3, 0.05]))
def test_reals_stay_inside_the_domain_and_range(
    domain: Domain, margin: float, data: st.DataObject
) -> None:
    x = data.draw(reals(-3.0, 3.0, domain=domain, margin=margin))
    assert -3.0 <= x <= 3.0 and math.isfinite(x)
    assert x in domain
    assert inside(x, domain, margin)


def test_reals_reach_both_sides_of_an_excluded_point() -> None:
    s = reals(-1.0, 1.0, domain=NONZERO, margin=0.1)
    seen = set()
    for x in _examples(s, 200):
        assert abs(x) >= 0.1
        seen.add(x > 0)
    assert seen == {True, False}


def _examples(strategy: st.SearchStrategy[T], n: int) -> list[T]:
    found: list[T] = []

    @settings(max_examples=n, database=None)
    @given(strategy)
    def collect(x: T) -> None:
        found.append(x)

    collect()
    return found


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"min_value": 2.0, "max_value": 1.0}, ValueError, "above max_value"),
        ({"min_value": -1.0, "max_value": -0.5, "domain": POSITIVE}, ValueError, "no number"),
        ({"max_value": math.inf}, ValueError, "must be finite"),
        ({"margin": -1.0}, ValueError, "margin must be >= 0"),
        ({"min_value": "0"}, TypeError, "min_value must be a real number"),
    ],
)
def test_reals_reject_empty_or_bad_ranges(
    kwargs: dict[str, object], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        reals(**kwargs)  # type: ignore[arg-type]


@given(values(0.5, 2.0, domain=POSITIVE, label="w"))
def test_values_are_leaves_with_the_label(v: Value) -> None:
    assert v.is_leaf and v.label == "w" and 0.5 <= v.data <= 2.0 and v.grad == 0.0


# --- applications: one node of one op ----------------------------------------------------------


PER_OP = settings.get_profile("per-op")  # each op its share of the profile's examples


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@settings(PER_OP, max_examples=4 * PER_OP.max_examples)
@given(data=st.data())
def test_applications_draw_inside_the_declared_domains(op: Op, data: st.DataObject) -> None:
    """Across the whole range (the default): every input inside its domain at the node's
    constant, off every kink and pole, and the value finite."""
    node = data.draw(applications(op))
    (step,) = node.steps
    assert step.op is op and step.args == tuple(range(node.n_inputs))
    assert node.n_inputs in input_counts(op)
    for j, x in enumerate(node.point):
        assert math.isfinite(x) and x in domain_of(op, j, step.constant), (j, x)
    if op.param is None:
        assert step.constant is None
    else:
        assert step.constant is not None and step.constant in op.param
    assert math.isfinite(forward(op, node.point, step.constant))


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@PER_OP
@given(data=st.data())
def test_bounded_applications_stay_within_bound_and_margin(op: Op, data: st.DataObject) -> None:
    node = data.draw(applications(op, margin=0.05, full_range=False))
    (step,) = node.steps
    for j, x in enumerate(node.point):
        assert inside(x, domain_of(op, j, step.constant), 0.05, 4.0)
    if op.param is not None:  # the default (0.01 for leaky_relu) too, however close to an end
        assert step.constant is not None and step.constant in op.param
        assert inside(step.constant, op.param, 0.05, 4.0) or step.constant == op.param_default


def test_x_squared_and_cubed_are_drawn_at_negative_x() -> None:
    """pow_const's domain depends on its constant: with an integer one, x ** c is defined
    at negative x, and drawn there ((pred - y) ** 2 is where users are)."""
    drawn = _examples(applications("pow_const"), 150)
    negative = {s.constant for e in drawn for s in e.steps if e.point[0] < 0}
    assert {2.0, 3.0} <= negative, negative
    assert all(c.is_integer() for c in negative)
    in_graphs = _examples(expressions(featuring="pow_const"), 100)
    assert any(s.op.name == "pow_const" and list(e.build().nodes)[k]._prev[0].data < 0
               for e in in_graphs for k, s in enumerate(e.steps))


def test_dot_gets_an_even_number_of_inputs() -> None:
    assert list(input_counts(autograd.ops.BY_NAME["dot"])) == [2, 4]
    assert list(input_counts(autograd.ops.BY_NAME["sum"])) == [1, 2, 3, 4]
    assert list(input_counts(autograd.ops.BY_NAME["mul"])) == [2]


def test_input_counts_follow_the_group_size_declared_in_the_op_table() -> None:
    dot = autograd.ops.BY_NAME["dot"]
    triples = dataclasses.replace(dot, name="triples", groups=3)
    assert list(input_counts(triples, 6)) == [3, 6]
    # Nothing but the table decides: dot declared with one group takes any count.
    assert list(input_counts(dataclasses.replace(dot, groups=1))) == [1, 2, 3, 4]


# --- expressions: random DAGs ------------------------------------------------------------------


@given(expressions(margin=0.05, max_magnitude=1e3, bound=3.0))
def test_every_node_reads_values_inside_its_domain(expr: Expression) -> None:
    slots = list(expr.point)
    assert all(abs(x) <= 3.0 for x in slots)
    for step in expr.steps:
        for j, a in enumerate(step.args):
            d = domain_of(step.op, j, step.constant)  # x ** 2 reads negative values
            assert inside(slots[a], d, 0.05, 1e3), (step, slots[a])
        if step.op.param is not None:
            assert step.constant is not None and step.constant in step.op.param
        slots.append(forward(step.op, [slots[a] for a in step.args], step.constant))
        assert abs(slots[-1]) <= 1e3
    assert expr.evaluate() == slots[-1] if expr.steps else expr.evaluate() == slots[0]


@given(expressions(max_nodes=4, n_inputs=(2, 3)))
def test_sizes_are_respected_and_dead_nodes_dropped(expr: Expression) -> None:
    assert 2 <= expr.n_inputs <= 3 and 1 <= len(expr.steps) <= 4
    # Every step feeds the output: it is the last one, or a later step reads it.
    for k in range(len(expr.steps) - 1):
        slot = expr.n_inputs + k
        assert any(slot in later.args for later in expr.steps[k + 1 :])


@given(expressions(ops=["tanh", "mul", autograd.ops.BY_NAME["add_const"]]))
def test_ops_can_be_restricted(expr: Expression) -> None:
    assert {s.op.name for s in expr.steps} <= {"tanh", "mul", "add_const"}


def test_most_graphs_are_deep_distinct_and_share_subexpressions() -> None:
    """What makes a random graph worth checking: several ops, a node that two later
    nodes read (a gradient summed over paths), and not the graph of another example."""
    drawn = _examples(expressions(), 300)
    several = sum(len(e.steps) >= 3 for e in drawn) / len(drawn)
    shared = sum(bool(e.shared_nodes) for e in drawn) / len(drawn)
    distinct = len(set(drawn)) / len(drawn)
    assert several >= 0.6 and shared >= 0.4 and distinct >= 0.8, (several, shared, distinct)
    assert any(len(set(s.args)) < len(s.args) for e in drawn for s in e.steps)  # x * x


def test_shared_nodes_are_op_nodes_read_by_two_later_nodes() -> None:
    sin, mul, add = (autograd.ops.BY_NAME[n] for n in ("sin", "mul", "add"))
    square = Expression(1, (ExpressionStep(mul, (0, 0)),), (0.5,))
    assert square.shared_nodes == ()  # one node reading x twice shares nothing
    steps = (ExpressionStep(sin, (0,)), ExpressionStep(mul, (1, 0)), ExpressionStep(add, (1, 2)))
    fan_out = Expression(1, steps, (0.5,))
    assert fan_out.shared_nodes == (1,)  # sin(x) feeds the mul and the add


def test_expressions_are_hashable_so_that_distinct_graphs_can_be_counted() -> None:
    sin = autograd.ops.BY_NAME["sin"]
    a, b = (Expression(1, (ExpressionStep(sin, (0,)),), (0.5,)) for _ in range(2))
    c = Expression(1, (ExpressionStep(sin, (0,)),), (0.25,))
    assert a == b and len({a, b, c}) == 2


@given(expressions(ops=["add"], featuring="sin"))
def test_a_featured_op_is_on_the_way_to_the_output(expr: Expression) -> None:
    assert any(s.op.name == "sin" for s in expr.steps)
    assert {s.op.name for s in expr.steps} <= {"add", "sin"}
    # Pruning kept it: every step feeds the output.
    for k in range(len(expr.steps) - 1):
        assert any(expr.n_inputs + k in later.args for later in expr.steps[k + 1 :])


def test_the_op_table_is_read_when_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A strategy made before the table changes draws the table as it is (a newly
    declared op is drawn by strategies that exist already)."""
    strategy = expressions()
    import autograd.testing.random_graphs as random_graphs

    monkeypatch.setattr(random_graphs, "declared_ops", lambda: (autograd.ops.BY_NAME["cos"],))
    drawn = _examples(strategy, 20)
    assert {s.op.name for e in drawn for s in e.steps} == {"cos"}


def test_every_op_of_the_table_is_drawn() -> None:
    drawn = {s.op.name for e in _examples(expressions(), 600) for s in e.steps}
    assert drawn == {op.name for op in OPS}


@given(expressions(), st.lists(reals(-1.0, 1.0), min_size=3, max_size=3))
def test_an_expression_rebuilds_at_other_inputs(expr: Expression, shift: list[float]) -> None:
    graph = expr.build()
    assert graph.output.data == expr.evaluate()
    assert [x.data for x in graph.inputs] == list(expr.point)
    assert [x.label for x in graph.inputs] == list(expr.names[: expr.n_inputs])
    assert len(graph.nodes) == len(expr.steps)
    for node, step in zip(graph.nodes, expr.steps):
        assert node.primitive is step.op and node.constant == step.constant
    moved = [x + 1e-9 * s for x, s in zip(expr.point, shift)]
    try:
        again = expr.build(moved)
    except (ValueError, ArithmeticError):
        return  # nudged across a domain edge: nothing to compare
    assert [x.data for x in again.inputs] == moved
    # Called as a function of Values it builds the same graph from the given leaves.
    leaves = [Value(x) for x in expr.point]
    out = expr(*leaves)
    assert out.data == graph.output.data
    if expr.n_inputs == 1:
        assert grad(expr)(expr.point[0]) == pytest.approx(
            _backward_grad(expr), rel=1e-12, abs=1e-300
        )


def _backward_grad(expr: Expression) -> float:
    graph = expr.build()
    graph.output.backward()
    return graph.inputs[0].grad


def test_expressions_read_well() -> None:
    add, sin = autograd.ops.BY_NAME["add"], autograd.ops.BY_NAME["sin"]
    expr = Expression(2, (ExpressionStep(add, (0, 1)), ExpressionStep(sin, (2,))), (0.5, -1.0))
    assert repr(expr) == "<Expression x0=0.5, x1=-1.0: v2 = add(x0, x1); v3 = sin(v2)>"
    assert expr.describe().splitlines() == [
        "x0 = 0.5", "x1 = -1.0", "v2 = add(x0, x1)", "v3 = sin(v2)", "output: v3"
    ]
    assert expr.evaluate() == math.sin(-0.5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ops": ["nope"]}, "no op named 'nope'"),
        ({"ops": []}, "ops is empty"),
        ({"max_nodes": 0}, "max_nodes must be >= 1"),
        ({"n_inputs": 0}, "n_inputs must be >= 1"),
        ({"bound": 10.0, "max_magnitude": 1.0}, "bound <= max_magnitude"),
    ],
)
def test_expressions_reject_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        expressions(**kwargs)  # type: ignore[arg-type]


def test_a_malformed_expression_is_refused() -> None:
    sin = autograd.ops.BY_NAME["sin"]
    with pytest.raises(ValueError, match="reads slot 1, not made yet"):
        Expression(1, (ExpressionStep(sin, (1,)),), (0.5,))
    with pytest.raises(ValueError, match="point has 2 values for 1 inputs"):
        Expression(1, (), (0.5, 1.0))


def test_apply_op_checks_the_calling_convention() -> None:
    x = Value(2.0)
    assert apply_op("mul_const", [x], 3.0).data == 6.0
    assert apply_op("sum", [x, x, x]).data == 6.0
    with pytest.raises(TypeError, match="needs a constant"):
        apply_op("mul_const", [x])
    with pytest.raises(TypeError, match="takes 2 input"):
        apply_op("mul", [x])
    with pytest.raises(TypeError, match="takes no constant"):
        apply_op("exp", [x], 1.0)
    with pytest.raises(ValueError, match="no op named 'frobnicate'"):
        apply_op("frobnicate", [x])


# --- mlps -----------------------------------------------------------------------------------


@given(mlps())
def test_mlps_are_well_formed(mlp: MLPLoss) -> None:
    assert 1 <= mlp.sizes[0] <= 3 and 1 <= mlp.sizes[-1] <= 2 and 3 <= len(mlp.sizes) <= 4
    assert len(mlp.point) == mlp.n_params + mlp.sizes[0]
    params, inputs, loss = mlp.build()
    assert loss.data == mlp(*[Value(v) for v in mlp.point]).data >= 0.0
    hidden, outputs = mlp.pre_activations(params, inputs)
    assert len(outputs) == mlp.sizes[-1]
    d = domain_of(autograd.ops.BY_NAME[mlp.activation], 0)
    assert all(inside(p.data, d, 0.05) for layer in hidden for p in layer)  # no ReLU at 0
    loss.backward()
    assert all(math.isfinite(p.grad) for p in params)


@given(mlps(n_inputs=2, hidden_layers=1, width=3, n_outputs=1, activations=["relu"]))
def test_mlps_follow_their_arguments(mlp: MLPLoss) -> None:
    assert mlp.sizes == (2, 3, 1) and mlp.activation == "relu" and mlp.n_params == 13


def test_mlps_reject_bad_arguments() -> None:
    with pytest.raises(ValueError, match="not a unary op"):
        mlps(activations=["add"])
    with pytest.raises(ValueError, match="width must be >= 1"):
        mlps(width=0)
    with pytest.raises(ValueError, match="sizes needs"):
        MLPLoss((2,), "tanh", (), (1.0, 2.0), ())


# --- the documentation's examples run ------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [autograd.testing, autograd.testing.comparison, autograd.testing.numerical,
     autograd.testing.graphs, strategies],
    ids=lambda m: m.__name__,
)
def test_docstring_examples(module: object) -> None:
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert failures == 0

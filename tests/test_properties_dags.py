"""Random DAGs and small MLPs: gradients against numerical ones, and backward's invariants.

The graphs come from :func:`autograd.testing.strategies.expressions`, which
draws every op of the table inside its domain and shares subexpressions. The
derivative checks are parametrized over the op table: each op features in its
share of the graphs (the 'per-op' settings of conftest.py), so that every op is
in enough of them whatever the profile, not only as often as chance allows.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Iterator

import pytest
from hypothesis import event, given, reject, settings
from hypothesis import strategies as st
from known_engine_issues import known_engine_issue
from reference_ops import error_scales, gradients_of
from suite_reach import record, recording

import autograd
from autograd import Op, Value, gradients, topological_order
from autograd.ops import OPS
from autograd.testing import (
    Expression,
    MLPLoss,
    NumericalDerivativeError,
    RoundingNoiseWarning,
    check_grads,
)
from autograd.testing.strategies import expressions, mlps, reals

# Computing a gradient in another order (a * (g * d) against (a * g) * d, or adding the
# terms of a second backward pass one by one) moves it by rounding errors that are tiny
# next to the scale from reference_ops.error_scales; the invariants hold to this much.
CLOSE = 1e-12


def _close(a: float, b: float, scale: float) -> bool:
    # The floor absorbs underflow: a * g may be subnormal where the graph's product is 0.
    return a == b or abs(a - b) <= CLOSE * scale + 1e-300


# --- against numerical derivatives ------------------------------------------------------

# check_grads' default atol (1e-6) passes any gradient smaller than that, right or wrong,
# and random graphs often have small ones. So the absolute tolerance follows the graph:
# a numerical derivative is good to about the rounding of the value (the sum of
# |adjoint| * |value| over its nodes), and an analytical one to the rounding its own
# products carry (the sum over paths of the products of |partial| + 1), which is what is
# left where the value vanishes and its gradient is 0 by cancellation (sin(2x) - 2x at
# 0: the estimate is then a rounding of about 1e-16). See reference_ops.ErrorScales.
# Below the smallest normal float, gradients underflow: nothing is checked there.
ATOL_PER_VALUE_SCALE = 1e-9
ATOL_PER_GRADIENT_SCALE = 1e-12


def _gradient_tolerance(expr: Expression) -> float:
    """check_grads' atol for ``expr``; rejects a graph whose gradients are all below it.

    There a derivative off by any factor still passes: the example tests nothing. The
    gradients are the reference's, so a broken engine cannot talk its way out of a check.
    """
    scales = error_scales(expr)
    atol = max(ATOL_PER_VALUE_SCALE * scales.value,
               ATOL_PER_GRADIENT_SCALE * max(scales.grads), sys.float_info.min)
    if not math.isfinite(atol):
        event("rejected: the reference's error scales overflow")
        reject()
    if all(abs(g) <= 10 * atol for g in gradients_of(expr)):
        event("rejected: every input gradient is near 0")
        reject()
    return atol


def check_expression(expr: Expression, order: int) -> None:
    """Derivatives of ``expr`` up to ``order`` against numerical ones, with a tolerance
    that lets a wrong derivative show (the graph is rejected where nothing could, where
    check_grads refuses the check, or where the engine is known to be wrong); a graph that
    passes is recorded for the reach report."""
    why = known_engine_issue(expr, order)
    if why:
        event(f"rejected: a known engine issue ({why})")
        reject()
    atol = _gradient_tolerance(expr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoundingNoiseWarning)
        try:
            check_grads(expr, expr.point, order=order, atol=atol)
        except NumericalDerivativeError as exc:
            event(f"rejected: {type(exc).__name__}")
            reject()
    record(expr)


def check_expression_gradients(expr: Expression) -> None:
    """First derivatives of ``expr`` against numerical ones (see check_expression)."""
    check_expression(expr, 1)


def check_expression_second_derivatives(expr: Expression) -> None:
    """The same, up to second derivatives."""
    check_expression(expr, 2)


IDS = [op.name for op in OPS]
PER_OP = settings.get_profile("per-op")


@pytest.fixture(scope="module", autouse=True)
def _record_reach() -> Iterator[None]:
    yield from recording()


def dags(op: Op) -> st.SearchStrategy[Expression]:
    """The graphs of the first-derivative suite that feature ``op``."""
    return expressions(featuring=op)


def small_dags(op: Op) -> st.SearchStrategy[Expression]:
    """Second derivatives cost a Hessian and a numerical derivative of each gradient."""
    return expressions(max_nodes=5, n_inputs=(1, 2), featuring=op)


@pytest.mark.parametrize("op", OPS, ids=IDS)
@PER_OP
@given(data=st.data())
def test_dag_gradients_match_numerical(op: Op, data: st.DataObject) -> None:
    check_expression_gradients(data.draw(dags(op), label="expr"))


@pytest.mark.parametrize("op", OPS, ids=IDS)
@PER_OP
@given(data=st.data())
def test_dag_second_derivatives_match_numerical(op: Op, data: st.DataObject) -> None:
    check_expression_second_derivatives(data.draw(small_dags(op), label="expr"))


def check_mlp(mlp: MLPLoss, order: int) -> None:
    """check_grads of an MLP's loss; a point where it refuses the check is rejected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoundingNoiseWarning)
        try:
            check_grads(mlp, mlp.point, order=order)
        except NumericalDerivativeError as exc:
            event(f"rejected: {type(exc).__name__}")
            reject()


@given(mlps())
def test_mlp_gradients_match_numerical(mlp: MLPLoss) -> None:
    check_mlp(mlp, 1)


@given(mlps(hidden_layers=1, width=(1, 2), n_inputs=(1, 2), n_outputs=1))
def test_mlp_second_derivatives_match_numerical(mlp: MLPLoss) -> None:
    check_mlp(mlp, 2)


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
        (n.data, n.label, n.constant, n.primitive, tuple(id(p) for p in n._prev))
        for n in graph_nodes
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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoundingNoiseWarning)
        try:
            check_grads(expr, graph.inputs)
        except NumericalDerivativeError:
            pass  # a check refused (rounding swamps it) must leave everything as it was too
    assert _snapshot(everything) == before
    assert [n.grad for n in everything] == grads
    assert all(math.isfinite(g) for g in grads)

"""Every primitive of the op table, checked against numerical derivatives.

The ops are enumerated from :data:`autograd.ops.OPS`, and each one's inputs
are drawn across the whole range where the op is defined and a derivative check
means something (:func:`autograd.testing.strategies.applications`): tiny and huge
magnitudes, both signs, just beside each kink and pole. An op added to the table is
tested here without new test code. The checks ask for an exact match up to rounding
(``atol=0``), so that a wrong derivative of a tiny slope (``tanh`` beyond 8) shows;
where rounding noise makes a check meaningless check_grads refuses it and the example
is rejected. Kinks and poles are read from ``Domain.exclude``; the derivative the
engine uses *at* a kink (PyTorch's convention) is pinned below with ``@example``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator

import pytest
from hypothesis import Phase, event, example, find, given, reject, settings
from hypothesis import strategies as st
from known_engine_issues import known_engine_issue
from suite_reach import record, record_input, recording

from autograd import DomainError, Op, Value, grad, hessian
from autograd.ops import BY_NAME, OPS
from autograd.testing import (
    Expression,
    ExpressionStep,
    NumericalDerivativeError,
    RoundingNoiseError,
    RoundingNoiseWarning,
    apply_op,
    check_grads,
    local_grad_mismatches,
)
from autograd.testing.graphs import domain_of, forward, input_counts
from autograd.testing.op_ranges import input_range
from autograd.testing.strategies import applications, expressions, reals

IDS = [op.name for op in OPS]


@pytest.fixture(scope="module", autouse=True)
def _record_reach() -> Iterator[None]:
    yield from recording()


def check_node(node: Expression, order: int) -> None:
    """check_grads of one node at its point with no absolute tolerance (see checked_inputs);
    an example where nothing can be checked is rejected."""
    why = known_engine_issue(node, order)
    if why:
        event(f"rejected: a known engine issue ({why})")
        reject()
    checked, why = checked_inputs(node, order)
    if not checked:
        event(f"rejected: {why}")
        reject()
    if len(checked) < node.n_inputs:
        event("an input held: rounding noise swamps its derivative")


def checked_inputs(node: Expression, order: int) -> tuple[list[int], str]:
    """check_grads of one node at its point with no absolute tolerance: the inputs whose
    derivatives were checked (recorded for the reach report), or none and why.

    Where check_grads refuses a first derivative (rounding noise swamps it: the
    derivative by 1.5 of 1e300 + 1.5), that input is held and the others are checked
    without it; where the numerical side fails, nothing is checked.
    """
    free = list(range(node.n_inputs))
    while True:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RoundingNoiseWarning)
            try:
                check_grads(_holding(node, free), [node.point[k] for k in free], order=order,
                            atol=0.0)
                break
            except RoundingNoiseError as exc:
                if order == 1 and len(free) > 1 and isinstance(exc.argument, int):
                    del free[exc.argument]
                    continue
                return [], type(exc).__name__
            except NumericalDerivativeError as exc:
                return [], type(exc).__name__
    (step,) = node.steps
    for k in free:
        record_input(step.op, k, node.point[k], step.constant)
    return free, ""


def _holding(node: Expression, free: list[int]) -> Callable[..., Value]:
    """``node`` as a function of its inputs ``free`` only, the others held at the point."""
    if len(free) == node.n_inputs:
        return node

    def f(*moving: Value) -> Value:
        values = [Value(x) for x in node.point]
        for k, v in zip(free, moving):
            values[k] = v
        return node(*values)

    return f


@pytest.mark.parametrize("op", OPS, ids=IDS)
@given(data=st.data())
def test_first_derivatives_match_numerical(op: Op, data: st.DataObject) -> None:
    check_node(data.draw(applications(op), label="node"), order=1)


@pytest.mark.parametrize("op", OPS, ids=IDS)
@given(data=st.data())
def test_second_derivatives_match_numerical(op: Op, data: st.DataObject) -> None:
    check_node(data.draw(applications(op), label="node"), order=2)


@pytest.mark.parametrize("op", OPS, ids=IDS)
@given(data=st.data())
def test_local_derivatives_backward_and_symbolic_agree(op: Op, data: st.DataObject) -> None:
    """_local_grads(), _backward() and _local_grads(symbolic=True) of one node, separately."""
    node = data.draw(applications(op), label="node")
    if known_engine_issue(node):
        reject()
    out = node.build().output
    assert out.primitive is op
    assert out.data == forward(op, node.point, node.steps[0].constant)
    assert local_grad_mismatches(out, order=2) == []
    record(node)


def range_ends(op: Op) -> list[tuple[int, Expression]]:
    """Nodes of ``op`` at the ends of each input's range (op_ranges.input_range), and the
    input at the end: the smallest and largest magnitude on each side of 0, and the
    closest points on either side of each edge, the other inputs held where the range
    was probed."""
    nodes = []
    count = input_counts(op)[0]
    for slot in range(count):
        r = input_range(op, slot)
        points = [side.sign * m for side in r.sides for m in (side.smallest, side.largest)]
        points += [e.point + sign * d for e in r.edges
                   for sign, d in ((-1.0, e.below), (1.0, e.above)) if d is not None]
        for x in points:
            xs = (*r.others[:slot], x, *r.others[slot:])[:count]
            step = ExpressionStep(op, tuple(range(count)), r.constant)
            nodes.append((slot, Expression(count, (step,), xs)))
    return nodes


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_first_derivatives_at_the_ends_of_each_range(op: Op) -> None:
    """Random draws reach near the ends of each range most of the time; these points reach
    them always. The derivative by the input at the end must match there; one end per op
    may be out of the numerical side's reach (a ** 1.5 where a step overflows)."""
    missed = []
    for slot, node in range_ends(op):
        inputs, why = checked_inputs(node, 1)
        if slot not in inputs:
            missed.append((node.point, why))
    assert len(missed) <= 1, (op.name, missed)


@pytest.mark.parametrize("m", [1e11, 1e16, -1e16])
def test_logsumexp_gradient_at_large_ties(m: float) -> None:
    """A tie at a magnitude where out = m + log(2) rounds to m: exp(x - out) would give 1
    each; the softmax form gives 1/2 (numerical derivatives cannot judge here, see
    known_engine_issue, so this is checked exactly)."""
    a, b = Value(m), Value(m)
    BY_NAME["logsumexp"].apply(a, b).backward()
    assert a.grad == pytest.approx(0.5, rel=1e-9) and b.grad == pytest.approx(0.5, rel=1e-9)


@pytest.mark.xfail(strict=True, reason="inf * 0 or inf in the second derivatives of powers "
                   "of x where x**(b - 2) overflows (see known_engine_issue)")
@pytest.mark.parametrize("f", ["0 / x", "x ** 0", "x ** x"])
def test_second_derivatives_of_powers_next_to_0(f: str) -> None:
    x = 7.458340731200207e-155
    if f == "0 / x":
        assert grad(grad(lambda v: BY_NAME["rdiv_const"].apply(v, 0.0)))(x) == 0.0
    elif f == "x ** 0":
        assert hessian(lambda a, b: a**b)(x, 0.0)[0][0] == 0.0
    else:  # b (b - 1) a**(b - 2) = -1.34e154 at a = b = x
        assert hessian(lambda a, b: a**b)(x, x)[0][0] == pytest.approx(-1 / x, rel=1e-6)


# Enough draws to reach a count, no shrinking of what is found, and the same draws anywhere.
FIND = settings(max_examples=200, database=None, derandomize=True, phases=[Phase.generate])


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_every_op_is_drawn_with_every_input_count(op: Op) -> None:
    """The strategies draw every op with each input count it declares, alone and inside
    random graphs: a count they never draw would go untested by every suite."""
    for count in input_counts(op):

        def has_a_node_with_count(expr: Expression, count: int = count) -> bool:
            return any(s.op is op and len(s.args) == count for s in expr.steps)

        for strategy in (applications(op), expressions(featuring=op)):
            found = find(strategy, has_a_node_with_count, settings=FIND)
            assert math.isfinite(found.evaluate())  # it builds, inside every domain


# --- kinks and poles, from Domain.exclude ------------------------------------------------

EXCLUDED = [
    (op, slot, point)
    for op in OPS
    for slot, d in enumerate(op.domains())
    for point in d.exclude
]
EXCLUDED_IDS = [f"{op.name}-input{slot}-at-{point:g}" for op, slot, point in EXCLUDED]


def _is_pole(op: Op, slot: int, point: float, others: list[float], c: float | None) -> bool:
    xs = [*others[:slot], point, *others[slot:]]
    try:
        forward(op, xs, c)
    except (ValueError, ArithmeticError):
        return True
    return False


def _rest(op: Op, slot: int, data: st.DataObject) -> tuple[list[float], float | None]:
    """Draw the other inputs (in their domains) and the constant of ``op``."""
    count = data.draw(st.sampled_from(input_counts(op)), label="inputs")
    others = [
        data.draw(reals(-3, 3, domain=domain_of(op, j), margin=0.1), label=f"input {j}")
        for j in range(count)
        if j != slot
    ]
    c = None
    if op.param is not None:
        c = data.draw(reals(-3, 3, domain=op.param, margin=0.1), label="constant")
    return others, c


@pytest.mark.parametrize(("op", "slot", "point"), EXCLUDED, ids=EXCLUDED_IDS)
@given(data=st.data())
def test_near_an_excluded_point_derivatives_are_one_sided(
    op: Op, slot: int, point: float, data: st.DataObject
) -> None:
    """Close to a kink or pole, on either side, the derivative matches that side's."""
    others, c = _rest(op, slot, data)
    side = data.draw(st.sampled_from([-1.0, 1.0]), label="side")
    distance = data.draw(st.floats(1e-3, 1.0), label="distance")
    x = point + side * distance
    xs = [*others[:slot], x, *others[slot:]]
    try:
        value = forward(op, xs, c)
    except (ValueError, ArithmeticError):
        pytest.fail(f"{op.name} is not defined at {xs} although only {point} is excluded")
    if not math.isfinite(value) or abs(value) > 1e8:
        return  # a pole: the function is huge there, which is all there is to check

    def f(*vs: Value) -> Value:
        return apply_op(op, vs, c)

    check_grads(f, xs, order=2, eps=distance / 100)


@pytest.mark.parametrize(("op", "slot", "point"), EXCLUDED, ids=EXCLUDED_IDS)
@given(data=st.data())
def test_at_an_excluded_point_the_engine_is_explicit(
    op: Op, slot: int, point: float, data: st.DataObject
) -> None:
    """At a pole: a typed error naming the op. At a kink: a derivative between the two
    one-sided ones (a subgradient), finite, and the second derivative 0."""
    others, c = _rest(op, slot, data)
    xs = [*others[:slot], point, *others[slot:]]
    leaves = [Value(x) for x in xs]
    if _is_pole(op, slot, point, others, c):
        with pytest.raises((ZeroDivisionError, DomainError), match=op.name):
            apply_op(op, leaves, c)
        return
    out = apply_op(op, leaves, c)
    out.backward()
    at_kink = leaves[slot].grad
    one_sided = []
    for side in (-1.0, 1.0):
        moved = [Value(x) for x in xs]
        moved[slot] = Value(point + side * 1e-6)
        y = apply_op(op, moved, c)
        y.backward()
        one_sided.append(moved[slot].grad)
    assert math.isfinite(at_kink)
    assert min(one_sided) <= at_kink <= max(one_sided), (op.name, xs, at_kink, one_sided)


# The documented derivative at the kinks (as PyTorch): relu'(0) = 0, abs'(0) = 0,
# leaky_relu'(0) = slope; away from 0 the slope of the side the input is on.
@given(x=reals(-2.0, 2.0, margin=0.0), slope=reals(0.0, 1.0, margin=1e-3))
@example(x=0.0, slope=0.01)
@example(x=-0.0, slope=0.2)
@example(x=5e-324, slope=0.5)
@example(x=-5e-324, slope=0.5)
def test_kink_derivatives_are_pinned(x: float, slope: float) -> None:
    relu, absolute, leaky = BY_NAME["relu"].apply, BY_NAME["abs"].apply, BY_NAME["leaky_relu"].apply
    sign = 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)
    expected = {
        "relu": (lambda v: relu(v), 1.0 if x > 0 else 0.0),
        "abs": (lambda v: absolute(v), sign),
        "leaky_relu": (lambda v: leaky(v, slope), 1.0 if x > 0 else slope),
    }
    for name, (f, slope_here) in expected.items():
        v = Value(x)
        f(v).backward()
        assert v.grad == slope_here, (name, x)
        assert grad(f)(x) == slope_here, (name, x)
        assert grad(grad(f))(x) == 0.0, (name, x)


def test_the_pinned_kinks_are_kinks_of_the_table() -> None:
    """The ops pinned above are declared with a kink (an excluded point that is no pole)."""
    kinks = {
        op.name
        for op, slot, point in EXCLUDED
        if not _is_pole(op, slot, point, [1.0] * (op.arity - 1), None if op.param is None else 0.5)
    }
    assert {"relu", "abs", "leaky_relu"} <= kinks


PARAM_EXCLUDED = [(op, point) for op in OPS if op.param is not None for point in op.param.exclude]


@pytest.mark.parametrize(
    ("op", "point"), PARAM_EXCLUDED, ids=[f"{op.name}-c-{p:g}" for op, p in PARAM_EXCLUDED]
)
@given(data=st.data())
def test_an_excluded_constant_is_refused_with_a_typed_error(
    op: Op, point: float, data: st.DataObject
) -> None:
    x = data.draw(reals(-3, 3, domain=domain_of(op, 0), margin=0.1), label="x")
    with pytest.raises((ZeroDivisionError, DomainError), match=op.name):
        apply_op(op, [Value(x)], point)

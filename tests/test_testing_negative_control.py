"""Negative controls: a deliberately wrong derivative must be caught.

Each test breaks one op's derivative with ``monkeypatch`` (undone afterwards)
and runs the checks the suite relies on: ``check_grads`` must raise
``GradientCheckError`` naming the broken op's node, and the property tests
themselves must fail. For every op of the table, doubling its derivative must
be caught by the state machine and by the random-DAG suites, each run with
the settings the suite itself runs with (the active Hypothesis profile), so
that what passes here is what CI relies on. A suite that still passed here
would be testing nothing.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import reference_ops
import test_oracles as oracles
import test_properties_dags as dags
import test_properties_ops as per_op
import test_stateful as stateful
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test
from op_params import each_op

import autograd
import autograd.ops as ops
from autograd import Op, Value
from autograd.declare import node_class_of
from autograd.testing import GradientCheckError, check_grads

SIN = ops.BY_NAME["sin"]


def _as_configured(base: settings) -> settings:
    """``base`` (a suite's own settings) as a control runs it: the same number of examples,
    derandomized (as CI runs the suites: on a workstation's random profile a control would
    otherwise pass or fail by luck), and a failure is all that is wanted, so no shrinking,
    no example database (a failure here must not be replayed by the real suite) and one
    failure reported, not a group."""
    return settings(
        base, database=None, phases=[Phase.explicit, Phase.generate], report_multiple_bugs=False,
        derandomize=True,
    )


def _rerun(test: Any, *args: Any, suite: settings | None = None, **strategies: Any) -> Any:
    """A property test of another module, re-run on the same strategies with the settings
    it runs with (``suite``, by default the active profile's).

    Re-wrapping the undecorated test leaves the original (and its settings) untouched, and
    keeps its identity: derandomized, it draws the very examples the suite draws.
    """
    configured = _as_configured(suite or settings())
    return configured(given(*args, **strategies)(test.hypothesis.inner_test))


def _double_the_derivative(monkeypatch: pytest.MonkeyPatch, op: Op) -> None:
    """Every partial derivative of ``op`` twice what it is, in backward() and in the
    functional API (first and higher orders alike)."""
    cls = node_class_of(op)
    backward, local_grads = cls._backward, cls.local_grads

    def _backward(self: Value) -> None:
        upstream = self.grad
        self.grad = 2 * upstream
        try:
            backward(self)
        finally:
            self.grad = upstream

    def _local_grads(self: Value, symbolic: bool = False) -> list[Any]:
        return [2 * d for d in local_grads(self, symbolic)]

    monkeypatch.setattr(cls, "_backward", _backward)
    monkeypatch.setattr(cls, "local_grads", _local_grads)


def _wrong_sin_derivative(x: Any) -> Any:
    """+sin(x) where cos(x) belongs: right at no point that matters."""
    return x.sin() if isinstance(x, Value) else math.sin(x)


def _break_backward(monkeypatch: pytest.MonkeyPatch) -> None:
    def _backward(self: Value) -> None:
        x = self._a
        x.grad += _wrong_sin_derivative(x.data) * self.grad

    monkeypatch.setattr(node_class_of(SIN), "_backward", _backward)


def _break_local_grads(monkeypatch: pytest.MonkeyPatch) -> None:
    def _local_grads(self: Value, symbolic: bool = False) -> list[Any]:
        x = self._a
        return [_wrong_sin_derivative(x if symbolic else x.data)]

    monkeypatch.setattr(node_class_of(SIN), "local_grads", _local_grads)


@pytest.fixture
def broken_sin(monkeypatch: pytest.MonkeyPatch) -> None:
    _break_backward(monkeypatch)
    _break_local_grads(monkeypatch)


def _only_sin_nodes(err: GradientCheckError) -> None:
    assert err.nodes, "the culprit node was not found"
    assert {m.op.name for m in err.nodes} == {"sin"}
    assert "node sin (sine)" in str(err)


def test_check_grads_names_the_broken_node(broken_sin: None) -> None:
    def f(x: Value, y: Value) -> Value:
        return (x * y).sin() + y.exp()

    with pytest.raises(GradientCheckError) as info:
        check_grads(f, [0.7, -0.4])
    err = info.value
    assert (err.order, err.argument, err.name, err.method) == (1, 0, "x", "backward()")
    assert math.isclose(err.analytical, -0.4 * math.sin(-0.28))  # y * sin(xy), not y * cos(xy)
    assert math.isclose(err.numerical, -0.4 * math.cos(-0.28), rel_tol=1e-9)
    _only_sin_nodes(err)
    message = str(err)
    assert "argument" in message and "relative error" in message
    assert repr(err.analytical)[:8] in message and "numerical" in message


def test_a_wrong_backward_alone_is_caught_through_backward(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _break_backward(monkeypatch)
    with pytest.raises(GradientCheckError) as info:
        check_grads(lambda x: x.sin() * x, [0.9])
    assert info.value.method == "backward()"
    _only_sin_nodes(info.value)
    assert {m.check for m in info.value.nodes} == {"_backward()"}


def test_wrong_local_grads_alone_are_caught_through_the_functional_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _break_local_grads(monkeypatch)
    with pytest.raises(GradientCheckError) as info:
        check_grads(lambda x: x.sin() * x, [0.9])
    assert info.value.method == "autograd.grad"
    _only_sin_nodes(info.value)
    assert "local_grads()" in {m.check for m in info.value.nodes}


def test_a_wrong_second_derivative_is_caught_by_order_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Right first derivative, but the differentiable one is a constant: cos'' would be 0."""
    original = node_class_of(SIN).local_grads

    def _local_grads(self: Value, symbolic: bool = False) -> list[Any]:
        if symbolic:
            return [Value(math.cos(self._a.data))]  # right value, cut off from the graph
        return original(self)

    monkeypatch.setattr(node_class_of(SIN), "local_grads", _local_grads)
    check_grads(lambda x: x.sin() * x, [0.9], order=1)
    with pytest.raises(GradientCheckError) as info:
        check_grads(lambda x: x.sin() * x, [0.9], order=2)
    err = info.value
    assert err.order == 2 and err.method == "autograd.hessian"
    _only_sin_nodes(err)
    assert {(m.check, m.wrt) for m in err.nodes} == {("local_grads(symbolic=True)", 0)}


# --- the property suites themselves fail ---------------------------------------------------


def test_the_per_op_property_fails(broken_sin: None) -> None:
    with pytest.raises(GradientCheckError):
        _rerun(per_op.test_first_derivatives_match_numerical, data=st.data())(op=SIN)
    with pytest.raises(AssertionError):
        _rerun(per_op.test_local_derivatives_backward_and_symbolic_agree, data=st.data())(op=SIN)


# --- every op: a doubled derivative is caught by the suites, as they are configured ------------
# (a subset of the ops in the default run, every op in the deeper stage: op_params.py)


@pytest.mark.parametrize("op", each_op())
def test_the_state_machine_catches_a_doubled_derivative(
    op: Op, monkeypatch: pytest.MonkeyPatch
) -> None:
    _double_the_derivative(monkeypatch, op)
    with pytest.raises(AssertionError, match=r"reference"):
        run_state_machine_as_test(stateful.GraphMachine, settings=_as_configured(settings()))


@pytest.mark.parametrize("op", each_op())
def test_the_random_dag_suite_catches_a_doubled_derivative_and_names_the_op(
    op: Op, monkeypatch: pytest.MonkeyPatch
) -> None:
    _double_the_derivative(monkeypatch, op)
    with pytest.raises(GradientCheckError) as info:
        _rerun(dags.test_dag_gradients_match_numerical, data=st.data(), suite=dags.PER_OP)(op=op)
    assert {m.op.name for m in info.value.nodes} == {op.name}


@pytest.mark.parametrize("op", each_op())
def test_the_second_derivative_suite_catches_a_doubled_derivative(
    op: Op, monkeypatch: pytest.MonkeyPatch
) -> None:
    _double_the_derivative(monkeypatch, op)
    prop = _rerun(
        dags.test_dag_second_derivatives_match_numerical, data=st.data(), suite=dags.PER_OP
    )
    with pytest.raises(GradientCheckError):
        prop(op=op)


@pytest.mark.parametrize("op", each_op())
def test_the_sympy_oracle_catches_a_doubled_derivative(
    op: Op, monkeypatch: pytest.MonkeyPatch
) -> None:
    _double_the_derivative(monkeypatch, op)
    prop = _rerun(
        oracles.test_dags_match_exact_sympy_values_and_gradients,
        data=st.data(),
        suite=oracles.ORACLE_SETTINGS,
    )
    with pytest.raises(AssertionError, match="d out / d x"):
        prop(op=op)


@pytest.mark.torch
@pytest.mark.parametrize("op", each_op())
def test_the_pytorch_oracle_catches_a_doubled_derivative(
    op: ops.Op, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch = pytest.importorskip("torch")
    table = oracles._torch_table(torch)
    _double_the_derivative(monkeypatch, op)
    prop = _rerun(
        oracles.test_dags_match_pytorch_float64, data=st.data(), suite=oracles.ORACLE_SETTINGS
    )
    # Through the gradients or, where the first failing graph is x * x or cos x at 0 (a
    # gradient of 0 either way), through the Hessian.
    with pytest.raises(AssertionError, match="out / d x"):
        prop(torch_ops=(torch, table), op=op)


# --- a newly declared op is tested without new test code ------------------------------------


@pytest.fixture
def new_wrong_op() -> Any:
    """Declare a new op, 'softsign' x / (1 + |x|), with a derivative missing a square."""
    op = autograd.defop("softsign", lambda x: x / (1 + abs(x)),
                        lambda x, out: 1.0 / (1.0 + abs(x)), doc="x / (1 + |x|)")
    yield op
    autograd.undefop("softsign")


def test_a_new_op_is_drawn_and_caught(new_wrong_op: Op) -> None:
    with pytest.raises(GradientCheckError) as info:
        _rerun(per_op.test_first_derivatives_match_numerical, data=st.data())(op=new_wrong_op)
    assert {m.op.name for m in info.value.nodes} == {"softsign"}


def test_a_new_op_needs_reference_formulas_for_the_random_dag_suite(
    new_wrong_op: Op, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DAG suite judges its tolerances with the reference formulas: without an entry
    for the new op it fails saying what to add; with one, it catches the wrong derivative."""
    prop = _rerun(dags.test_dag_gradients_match_numerical, data=st.data(), suite=dags.PER_OP)
    with pytest.raises(LookupError, match="softsign.*add its value and partial derivatives"):
        prop(op=new_wrong_op)
    monkeypatch.setitem(
        reference_ops.REFERENCE,
        "softsign",
        reference_ops.Reference(
            lambda v, c: v[0] / (1 + abs(v[0])), lambda v, c: [1 / (1 + abs(v[0])) ** 2]
        ),
    )
    with pytest.raises(GradientCheckError) as info:
        prop(op=new_wrong_op)
    assert {m.op.name for m in info.value.nodes} == {"softsign"}


def test_a_new_op_without_an_oracle_translation_fails_loudly(new_wrong_op: Op) -> None:
    with pytest.raises(LookupError, match="softsign.*no SymPy translation"):
        oracles.test_every_op_has_a_sympy_translation(new_wrong_op)
    prop = _rerun(oracles.test_dags_match_exact_sympy_values_and_gradients, data=st.data())
    with pytest.raises(LookupError, match="softsign"):
        prop(op=new_wrong_op)

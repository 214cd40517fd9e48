"""Ops of your own: the lecture's ``_backward`` closures, and ``autograd.defop``.

A closure node works wherever a derivative as a number is enough and says clearly where
it is not; a declared op gets everything a built-in gets, since the built-ins are declared
the same way. The table is the surface: every declared op is reachable from ``Value`` or
``autograd`` and documented.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from cycles import nodes_in_cycles
from hypothesis import find, given, settings
from hypothesis import strategies as st

import autograd
import autograd.op_reference
from autograd import (
    AnomalyError,
    ClosureDerivativeError,
    Domain,
    Value,
    defop,
    detect_anomaly,
    draw_dot,
    grad,
    hessian,
    render_text,
    undefop,
    value_and_grad,
)
from autograd.ops import OPS
from autograd.testing import GradientCheckError, check_grads
from autograd.testing.strategies import expressions

ROOT = Path(__file__).resolve().parent.parent

# --- the lecture's way -----------------------------------------------------------------------


def cube(self: Value) -> Value:
    out = Value(self.data ** 3, (self,), 'cube')

    def _backward() -> None:
        self.grad += 3 * self.data ** 2 * out.grad
    out._backward = _backward
    return out


def lecture_mul(a: Value, b: Value) -> Value:
    out = Value(a.data * b.data, (a, b), '*')

    def _backward() -> None:
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad
    out._backward = _backward
    return out


@pytest.fixture
def with_cube() -> Any:
    Value.cube = cube  # type: ignore[attr-defined]
    yield
    del Value.cube  # type: ignore[attr-defined]


def test_the_lectures_cube_runs_as_written(with_cube: None) -> None:
    x = Value(2.0); y = x.cube() * 2; y.backward()  # noqa: E702 - as the issue writes it
    assert x.grad == 24.0
    node = y._prev[0]
    assert node._op == "cube" and node._prev == (x,) and node.primitive is None


def test_the_lectures_constructor_order_and_manual_backward() -> None:
    a, b = Value(2.0, label='a'), Value(-3.0, label='b')
    out = lecture_mul(a, b)
    out.label = "e"
    assert (out.data, out._prev, out._op, out.label) == (-6.0, (a, b), "*", "e")
    out.grad = 1.0
    out._backward()  # the lecture's step-by-step backward
    assert (a.grad, b.grad) == (-3.0, 2.0)


def test_closure_nodes_mix_with_declared_ops_in_topological_order(with_cube: None) -> None:
    x = Value(0.5, label="x")
    y = (lecture_mul(x, x).cube() + x).tanh()
    y.backward()
    expected = (1 - y.data ** 2) * (6 * 0.5 ** 5 + 1)  # d/dx tanh(x**6 + x)
    assert math.isclose(x.grad, expected, rel_tol=1e-12)


def test_a_closure_never_assigned_passes_nothing_back() -> None:
    x = Value(1.0)
    out = Value(2.0, (x,), "f")
    out.backward()
    assert x.grad == 0.0 and out.grad == 1.0


def test_bad_lecture_arguments_say_what_to_write() -> None:
    with pytest.raises(TypeError, match=r"label=.*_children must be the Values"):
        Value(1.0, "x")  # a label where micrograd's order puts the children
    with pytest.raises(TypeError, match="child 1 is float"):
        Value(1.0, (Value(1.0), 2.0), "+")
    with pytest.raises(TypeError, match="_op=.*needs a str"):
        Value(1.0, (Value(1.0),), 3)


def test_a_closure_node_draws_and_explains_with_its_op_text(with_cube: None) -> None:
    x = Value(2.0, label="x")
    y = x.cube()
    y.label = "y"
    y.backward()
    assert "cube" in draw_dot(y).source
    assert "cube" in render_text(y)
    text = str(autograd.render.explanation(x, y))
    assert "y = cube(x)" in text and "d(y)/d(x) = 12" in text


def test_what_a_closure_cannot_give_is_a_clear_error(with_cube: None) -> None:
    f = lambda x: x.cube()  # noqa: E731
    assert grad(f)(2.0) == 12.0  # first order: the closure gives numbers
    assert value_and_grad(f)(2.0) == (8.0, 12.0)
    check_grads(f, [1.5])
    for call in (lambda: grad(grad(f))(2.0), lambda: hessian(f)(2.0),
                 lambda: check_grads(f, [1.5], order=2)):
        with pytest.raises(ClosureDerivativeError, match=r"'cube' node.*autograd\.defop\('cube'"):
            call()


def test_anomaly_mode_checks_what_a_closure_added() -> None:
    x = Value(0.0, label="x")

    def blow_up(v: Value) -> Value:
        out = Value(v.data, (v,), "blow_up")

        def _backward() -> None:
            v.grad += math.inf * out.grad
        out._backward = _backward
        return out

    with detect_anomaly():
        y = blow_up(x) * 2
        with pytest.raises(AnomalyError, match="backward of blow_up"):
            y.backward()
    assert x.grad == 0.0  # put back as it was


def test_closure_nodes_make_cycles_and_built_in_nodes_do_not(with_cube: None) -> None:
    def built_in() -> Value:
        y = x = Value(1.0)
        for _ in range(100):
            y = y * 1.0 + 1.0
        return x

    def closures() -> Value:
        z = Value(1.0)
        for _ in range(10):
            z = z.cube()
        return z

    assert nodes_in_cycles(built_in) == 0  # freed by reference counting alone
    assert nodes_in_cycles(closures) >= 10  # each closure refers to its node: a cycle per node


# --- the declared way ------------------------------------------------------------------------


@pytest.fixture
def atan() -> Any:
    op = defop("atan", forward=math.atan, deriv=lambda x, out: 1 / (1 + x * x), doc="arctangent")
    yield op
    undefop("atan")


def test_the_issues_atan_example(atan: Any) -> None:
    y = atan(Value(0.5))
    assert isinstance(y, Value) and y.primitive is atan and y.data == math.atan(0.5)
    assert atan(0.5) == math.atan(0.5) and type(atan(0.5)) is float
    assert Value(0.5).atan().data == math.atan(0.5)  # a method of Value too
    x = 0.5
    assert abs(grad(grad(atan))(x) - (-2 * x / (1 + x * x) ** 2)) <= 1e-12
    check_grads(atan, [0.3], order=2)


def test_check_grads_catches_a_deliberately_wrong_deriv() -> None:
    wrong = defop("atan_wrong", forward=math.atan, deriv=lambda x, out: 1 / (1 + x))
    try:
        with pytest.raises(GradientCheckError, match="atan_wrong"):
            check_grads(wrong, [0.3], order=2)
    finally:
        undefop("atan_wrong")


@pytest.fixture
def own_ops() -> Any:
    """One op of each kind: unary with a constant, binary and n-ary."""
    scale = defop("scale_by", lambda x, c: x * c, lambda x, out, c: c, kind="unary_const",
                  param=Domain(), param_name="k", param_default=2.0, doc="x * k")
    hyp = defop("hyp", lambda a, b: math.hypot(a, b),
                lambda a, b, out: (a / out, b / out), kind="binary",
                domain=Domain(poles=(0.0,)), doc="sqrt(a**2 + b**2)")
    sumsq = defop("sumsq", lambda xs: math.fsum(x * x for x in xs),
                  lambda xs, out: [2 * x for x in xs], kind="nary", empty=0.0,
                  doc="x1**2 + ... + xn**2")
    yield scale, hyp, sumsq
    for name in ("scale_by", "hyp", "sumsq"):
        undefop(name)


def test_every_kind_can_be_declared(own_ops: Any) -> None:
    scale, hyp, sumsq = own_ops
    x, y = Value(3.0, label="x"), Value(4.0, label="y")
    out = sumsq([hyp(x, y), x.scale_by(k=3.0), scale(y)])  # 25 + 81 + 64
    out.backward()
    assert out.data == 170.0
    assert math.isclose(x.grad, 2 * 5 * 3 / 5 + 2 * 9 * 3, rel_tol=1e-12)
    assert math.isclose(y.grad, 2 * 5 * 4 / 5 + 2 * 8 * 2, rel_tol=1e-12)

    def f(a: Value, b: Value) -> Value:
        return sumsq([hyp(a, b), scale(a, 0.5), a * b])

    check_grads(f, [0.7, -1.3], order=2)
    assert sumsq([]).data == 0.0 and hyp(3.0, 4.0) == 5.0
    with pytest.raises(ValueError, match=r"scale_by\(k\) must be in"):
        Value(1.0).scale_by(k=math.nan)


def test_bad_declarations_are_refused_when_declared(atan: Any) -> None:
    with pytest.raises(ValueError, match="already declared.*replace=True"):
        defop("atan", math.atan, lambda x, out: 1 / (1 + x * x))
    with pytest.raises(ValueError, match="built-in op"):
        defop("exp", math.exp, lambda x, out: out, replace=True)
    with pytest.raises(TypeError, match="deriv has the wrong signature for a unary op"):
        defop("bad1", math.atan, lambda x: 1.0)
    with pytest.raises(TypeError, match="forward has the wrong signature for a binary op"):
        defop("bad2", math.atan, lambda a, b, out: (1.0, 1.0), kind="binary")
    with pytest.raises(TypeError, match="domain must be an autograd.Domain"):
        defop("bad3", math.atan, lambda x, out: 1.0, domain=(0.0, 1.0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind must be one of"):
        defop("bad4", math.atan, lambda x, out: 1.0, kind="ternary")
    with pytest.raises(ValueError, match="Value already has an attribute 'grad'"):
        defop("grad", math.atan, lambda x, out: 1.0)
    assert "bad1" not in {op.name for op in autograd.declared_ops()}
    replaced = defop("atan", math.atan, lambda x, out: 1 / (1 + x * x), replace=True)
    assert autograd.lookup("atan") is replaced and Value(1.0).atan().primitive is replaced


def test_a_declared_op_is_found_everywhere(atan: Any) -> None:
    """backward, the differential operators, anomaly mode, check_grads, the strategies,
    the picture, the text table and explain all know an op declared a moment ago."""
    x = Value(0.5, label="x")
    y = atan(x)
    y.label = "y"
    y.backward()
    assert math.isclose(x.grad, 0.8, rel_tol=1e-15)
    assert math.isclose(value_and_grad(atan)(0.5)[1], 0.8, rel_tol=1e-15)
    assert math.isclose(hessian(lambda v: atan(v))(0.5)[0][0], -0.64, rel_tol=1e-12)
    with detect_anomaly(), pytest.raises(AnomalyError, match="atan produced nan"):
        atan(Value(math.nan))
    drawn = find(expressions(ops=[atan, "mul"]), lambda e: any(s.op is atan for s in e.steps),
                 settings=settings(database=None))
    check_grads(drawn, drawn.point)
    assert "atan" in draw_dot(y).source and "atan" in render_text(y)
    text = str(autograd.render.explanation(x, y))
    assert "y = atan(x)  (#1, atan)" in text and "d(y)/d(x) = 0.8" in text
    assert "atan" in autograd.op_reference.markdown_table((atan,))


@given(st.floats(-1e6, 1e6, allow_nan=False))
def test_a_declared_op_gives_floats_for_floats_and_values_for_values(x: float) -> None:
    exp = autograd.lookup("exp")
    assert exp(x) == Value(x).exp().data


# --- the table is the surface ----------------------------------------------------------------


def reachable(op: autograd.Op) -> bool:
    """Whether users can reach ``op``: a Value operator, a Value method, or autograd.NAME."""
    if op.method is not None and getattr(Value, op.method, None) is not None:
        return True
    if op.operator is not None:
        a = Value(0.7)
        names = {"a": a, "b": Value(1.3)}
        made: list[Value] = []
        if op.kind is autograd.declaration.UNARY:
            made.append(-a if op.operator == "-" else abs(a))
        elif op.kind is autograd.declaration.BINARY:
            made.append(eval(f"a {op.operator} b", names))  # the operator itself
        else:
            if "right" in op.sides:
                made.append(eval(f"a {op.operator} 2.0", names))
            if "left" in op.sides:
                made.append(eval(f"2.0 {op.operator} a", names))
        return any(v.primitive is op for v in made)
    return getattr(autograd, op.name, None) is op


def test_every_built_in_op_is_reachable_from_value_or_autograd() -> None:
    assert [op.name for op in OPS if not reachable(op)] == []


def test_an_unreachable_op_is_noticed() -> None:
    """The negative control: an op with no method, operator or export is unreachable."""
    hidden = defop("hidden_op", math.atan, lambda x, out: 1.0, method=None)
    try:
        assert not reachable(hidden)
    finally:
        undefop("hidden_op")


def readme_op_list() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("<!-- ops: generated -->")
    return text[start:text.index("<!-- /ops -->")]


def test_every_op_is_in_the_readmes_op_list_and_the_reference() -> None:
    listed = readme_op_list()
    reference = (ROOT / "docs" / "ops.md").read_text(encoding="utf-8")
    for op in OPS:
        assert f"`{op.name}`" in listed, f"{op.name} is missing from README's op list"
        assert f"| `{op.name}` |" in reference, f"{op.name} is missing from docs/ops.md"


def test_the_readmes_op_list_is_generated_from_the_table() -> None:
    body = re.sub(r"\s+", " ", readme_op_list().split("-->", 1)[1]).strip()
    expected = re.sub(r"\s+", " ", autograd.op_reference.readme_list()).strip()
    assert body == expected, ("README's op list is stale: paste the output of "
                              "python -m autograd.op_reference --readme")

"""The engine: Value, operators, backward semantics, modes, micrograd/lecture compatibility."""

from __future__ import annotations

import gc
import math
import threading
import tracemalloc

import numpy as np
import pytest
from cycles import nodes_in_cycles

import autograd
from autograd import (
    AnomalyError,
    DomainError,
    Value,
    detect_anomaly,
    enable_grad,
    grad,
    hessian,
    is_grad_enabled,
    no_grad,
    scope,
    set_grad_enabled,
    value_and_grad,
)

# --- micrograd's README example and the lecture ---------------------------------


def test_micrograd_readme_example() -> None:
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def test_lecture_expression_and_labels() -> None:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    L.backward()
    assert L.data == -8.0
    assert (a.grad, b.grad, c.grad, f.grad, e.grad, d.grad) == (6.0, -4.0, -2.0, 4.0, -2.0, -2.0)
    assert set(L._prev) == {d, f}
    assert L._op == "*" and d._op == "+"
    assert repr(L) == "Value(data=-8.0, grad=1.0, label='L')"


def _neuron() -> tuple[Value, ...]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    return x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n


def test_lecture_neuron_by_calling_backward_by_hand() -> None:
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n = _neuron()
    o = n.tanh()
    assert o._op == "tanh"
    o.grad = 1.0
    for node in (o, n, b, x1w1x2w2, x2w2, x1w1, x1, w1):
        node._backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert n.grad == pytest.approx(0.5)
    assert (x1.grad, w1.grad) == pytest.approx((-1.5, 1.0))
    assert (x2.grad, w2.grad) == pytest.approx((0.5, 0.0))


def test_lecture_manual_topological_sort_and_tanh_via_exp() -> None:
    x1, x2, w1, w2, b, *_, n = _neuron()
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    topo: list[Value] = []
    visited: set[Value] = set()

    def build_topo(v: Value) -> None:  # the lecture's recursive version
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0))


# --- construction, conversion, comparison -------------------------------------------


def test_data_is_stored_as_float_from_any_real() -> None:
    for raw in (3, 3.0, np.float32(3.0), np.float64(3.0), np.int64(3), np.int8(3)):
        v = Value(raw)
        assert type(v.data) is float and v.data == 3.0
    assert v.grad == 0.0 and v.label == ""
    assert math.isnan(Value(float("nan")).data) and Value(math.inf).data == math.inf


@pytest.mark.parametrize(
    "bad, name",
    [("1.0", "str"), (None, "NoneType"), (1j, "complex"), ([1.0], "list"), ((1,), "tuple"),
     (True, "bool"), (np.bool_(True), "bool"), (Value(1.0), "Value")],
)
def test_non_numbers_are_rejected_with_the_type_named(bad: object, name: str) -> None:
    with pytest.raises(TypeError, match=name):
        Value(bad)


def test_label_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)  # type: ignore[arg-type]
    v = Value(1.0)
    with pytest.raises(TypeError, match="label"):
        v.label = None  # type: ignore[assignment]


def test_conversions_comparisons_and_identity() -> None:
    a, b = Value(1.5), Value(2.5)
    assert float(a) == 1.5 and format(a, ".4f") == "1.5000" and f"{b:.1f}" == "2.5"
    assert a < b and a <= 1.5 and b > 2 and b >= a and not a > b
    assert (a < 2) is True
    assert a != Value(1.5) and a == a and len({a, a, b}) == 2
    with pytest.raises(TypeError, match="str"):
        _ = a < "x"


def test_writable_data_grad_label() -> None:
    v = Value(1.0)
    v.data, v.grad, v.label = 2.0, 3.0, "v"
    assert (v.data, v.grad, v.label) == (2.0, 3.0, "v")


# --- operators ---------------------------------------------------------------------


def test_operators_with_numbers_on_either_side() -> None:
    x = Value(3.0)
    cases = {
        "x+2": (x + 2, 5.0, 1.0), "2+x": (2 + x, 5.0, 1.0), "x-2": (x - 2, 1.0, 1.0),
        "2-x": (2 - x, -1.0, -1.0), "x*2": (x * 2, 6.0, 2.0), "2*x": (2 * x, 6.0, 2.0),
        "x/2": (x / 2, 1.5, 0.5), "6/x": (6 / x, 2.0, -6 / 9), "x**2": (x**2, 9.0, 6.0),
        "2**x": (2**x, 8.0, 8 * math.log(2)), "-x": (-x, -3.0, -1.0),
        "abs(-x)": (abs(-x), 3.0, 1.0),
    }
    for name, (y, value, slope) in cases.items():
        x.grad = 0.0
        y.backward()
        assert y.data == pytest.approx(value), name
        assert x.grad == pytest.approx(slope), name


def test_value_to_value_power_differentiates_both() -> None:
    a, b = Value(2.0), Value(3.0)
    y = a**b
    y.backward()
    assert y.data == 8.0
    assert a.grad == pytest.approx(3 * 4.0) and b.grad == pytest.approx(8 * math.log(2))


def test_numpy_scalars_on_the_left_defer_to_value() -> None:
    x = Value(3.0)
    y = np.float64(2.0) * x + np.int64(1)
    assert isinstance(y, Value) and y.data == 7.0


def test_unsupported_operands_raise_pythons_type_error() -> None:
    x = Value(1.0)
    y = x * 2
    for bad in ("a", None, [1], 1j, True):
        with pytest.raises(TypeError):
            _ = x + bad  # type: ignore[operator]
        with pytest.raises(TypeError):
            _ = bad * x  # type: ignore[operator]
        # NotImplemented, not an error of our own, so the other operand gets its turn.
        for name in ("add", "sub", "mul", "truediv", "pow"):
            assert getattr(y, f"__{name}__")(bad) is NotImplemented
            assert getattr(y, f"__r{name}__")(bad) is NotImplemented
    # Python's own message names the type as users know it, whatever op made the node.
    with pytest.raises(TypeError, match="'Value' and 'str'"):
        _ = y + "a"  # type: ignore[operator]


def test_op_symbols_follow_micrograd() -> None:
    x = Value(1.0)
    assert (x + x)._op == "+" and (x * 2)._op == "*" and (x**2)._op == "**2"
    assert x.relu()._op == "ReLU" and x.tanh()._op == "tanh" and x.exp()._op == "exp"
    assert (x**-1)._op == "**-1" and (x**0.5)._op == "**0.5"


@pytest.mark.parametrize(
    "method, x, value, slope",
    [
        ("exp", 1.0, math.e, math.e),
        ("log", 2.0, math.log(2), 0.5),
        ("sqrt", 4.0, 2.0, 0.25),
        ("tanh", 0.5, math.tanh(0.5), 1 - math.tanh(0.5) ** 2),
        ("sigmoid", 0.0, 0.5, 0.25),
        ("relu", 2.0, 2.0, 1.0),
        ("relu", -2.0, 0.0, 0.0),
        ("leaky_relu", -2.0, -0.02, 0.01),
        ("softplus", 0.0, math.log(2), 0.5),
        ("sin", 1.0, math.sin(1), math.cos(1)),
        ("cos", 1.0, math.cos(1), -math.sin(1)),
    ],
)
def test_elementwise_methods(method: str, x: float, value: float, slope: float) -> None:
    v = Value(x)
    y = getattr(v, method)()
    y.backward()
    assert y.data == pytest.approx(value) and v.grad == pytest.approx(slope)


def test_derivatives_at_kinks_follow_pytorch() -> None:
    for make, expected in [
        (lambda v: v.relu(), 0.0),
        (lambda v: abs(v), 0.0),
        (lambda v: v.leaky_relu(), 0.01),
        (lambda v: v.leaky_relu(0.2), 0.2),
    ]:
        v = Value(0.0)
        make(v).backward()
        assert v.grad == expected


def _mp_derivative(name: str, x: float, order: int = 1) -> float:
    import mpmath

    mpmath.mp.dps = 50
    f = {"sigmoid": lambda t: 1 / (1 + mpmath.exp(-t)), "tanh": mpmath.tanh}[name]
    return float(mpmath.diff(f, mpmath.mpf(x), order))


@pytest.mark.parametrize("x", [-40.0, -20.0, -9.0, -1.0, -0.3, 0.0, 0.3, 1.0, 9.0, 20.0, 40.0])
def test_sigmoid_and_tanh_slopes_keep_full_precision_for_large_inputs(x: float) -> None:
    # out * (1 - out) and 1 - out**2 cancel near out = 1: at x = 37 the first gives 0.
    for name in ("sigmoid", "tanh"):
        v = Value(x)
        getattr(v, name)().backward()
        want = _mp_derivative(name, x)
        assert v.grad == pytest.approx(want, rel=1e-14, abs=1e-300), name
        # The derivative graph (for higher orders) is just as precise.
        d3 = grad(grad(grad(lambda t, n=name: getattr(t, n)())))
        assert d3(x) == pytest.approx(_mp_derivative(name, x, 3), rel=1e-9, abs=1e-300), name


def test_stable_sigmoid_softplus_tanh_for_large_inputs() -> None:
    for x in (-1e4, -800.0, -50.0, 50.0, 800.0, 1e4):
        for method in ("sigmoid", "softplus", "tanh"):
            v = Value(x)
            y = getattr(v, method)()
            y.backward()
            assert math.isfinite(y.data) and math.isfinite(v.grad), (method, x)
    assert Value(1e4).softplus().data == 1e4 and Value(-1e4).softplus().data == 0.0
    assert Value(1e4).sigmoid().data == 1.0 and Value(-1e4).sigmoid().data == 0.0
    v = Value(1e4)
    v.softplus().backward()
    assert v.grad == 1.0


def test_exp_overflow_gives_inf_not_an_exception() -> None:
    assert Value(1000.0).exp().data == math.inf
    assert (Value(10.0) ** 400).data == math.inf


# --- n-ary functions -----------------------------------------------------------------


def test_sum_mean_dot_are_single_nodes() -> None:
    xs = [Value(float(i)) for i in range(1, 5)]
    s, m = autograd.sum(xs), autograd.mean(xs)
    d = autograd.dot(xs[:2], xs[2:])
    assert len(s._prev) == 4 and s.data == 10.0 and m.data == 2.5 and d.data == 1 * 3 + 2 * 4
    assert len(m._prev) == 4 and d._prev == (*xs[:2], *xs[2:])
    lse = autograd.logsumexp(xs)
    assert lse._prev == tuple(xs) and lse.primitive is autograd.ops.BY_NAME["logsumexp"]
    # log_softmax shares one logsumexp node: n + 1 nodes, not n**2 edges.
    logp = autograd.log_softmax(xs)
    assert len({id(z._prev[1]) for z in logp}) == 1 and all(len(z._prev) == 2 for z in logp)
    (s + m + d).backward()
    assert [x.grad for x in xs] == pytest.approx([1 + 0.25 + 3, 1 + 0.25 + 4, 1.25 + 1, 1.25 + 2])
    assert autograd.sum([]).data == 0.0 and autograd.dot([], []).data == 0.0
    assert autograd.sum([Value(1.0), 2, 3.5]).data == 6.5


def test_nary_bad_input() -> None:
    with pytest.raises(ValueError, match=r"one length, got lengths \[2, 3\]"):
        autograd.dot([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="empty"):
        autograd.mean([])
    with pytest.raises(ValueError, match="empty"):
        autograd.logsumexp([])
    with pytest.raises(TypeError, match="item 1 needs a real number.*str"):
        autograd.sum([Value(1.0), "x"])


def test_logsumexp_softmax_log_softmax_are_stable() -> None:
    xs = [Value(1000.0), Value(1001.0), Value(999.0)]
    lse = autograd.logsumexp(xs)
    expected = 1001.0 + math.log(math.exp(-1) + 1 + math.exp(-2))
    assert lse.data == pytest.approx(expected)
    probs = autograd.softmax(xs)
    assert sum(p.data for p in probs) == pytest.approx(1.0)
    logp = autograd.log_softmax(xs)
    assert all(math.isfinite(z.data) for z in logp)
    logp[1].backward()
    p = [q.data for q in probs]
    assert [x.grad for x in xs] == pytest.approx([-p[0], 1 - p[1], -p[2]])


# --- backward semantics ----------------------------------------------------------------


def test_backward_twice_doubles_leaves_and_keeps_interior_at_one_pass() -> None:
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c + a
    d.backward()
    once = (a.grad, b.grad, c.grad, d.grad)
    d.backward()
    assert (a.grad, b.grad) == (2 * once[0], 2 * once[1])
    assert (c.grad, d.grad) == (once[2], once[3])


def test_reuse_and_fan_out() -> None:
    a = Value(3.0)
    b = a + a
    assert b._prev == (a, a)
    c = b * b
    c.backward()
    assert b.grad == 2 * b.data and a.grad == 2 * 2 * b.data
    x = Value(2.0)
    y = x * x * x
    y.backward()
    assert x.grad == 12.0


def test_seed_gradient_and_leaf_root() -> None:
    x = Value(2.0)
    (x * x).backward(0.5)
    assert x.grad == 2.0
    x.backward()
    assert x.grad == 3.0
    with pytest.raises(TypeError):
        x.backward("1")  # type: ignore[arg-type]


def test_backward_does_not_touch_data() -> None:
    a, b = Value(2.0), Value(5.0)
    y = (a * b).tanh() + a.exp()
    before = [(v.data, id(v)) for v in (a, b, y)]
    y.backward()
    assert [(v.data, id(v)) for v in (a, b, y)] == before


@pytest.mark.parametrize("n", [100_000, pytest.param(1_000_000, marks=pytest.mark.deep)])
def test_long_chains_build_and_backpropagate(n: int) -> None:
    """Far beyond the recursion limit: nothing recurses (a million nodes in the deeper stage)."""
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0
    assert len(autograd.topological_order(y)) == n


def test_no_reference_cycles_and_bounded_memory() -> None:
    def build() -> None:
        tracemalloc.start()
        x = Value(0.3)
        y = x
        for _ in range(20_000):
            y = (y * 1.0001).tanh()
        built = tracemalloc.get_traced_memory()[0]
        y.backward()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        # 104 bytes a node (six slots and the float of its data), 128 once it holds a gradient.
        assert built <= 104 * 40_000 + 1024 and after <= 128 * 40_000 + 1024

    assert nodes_in_cycles(build) == 0  # everything was freed by reference counting


# --- modes -----------------------------------------------------------------------------


def test_no_grad_context_and_decorator() -> None:
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = x * x
        with enable_grad():
            z = x * x
    assert is_grad_enabled()
    assert y._prev == () and y.is_leaf and z._prev == (x, x)

    @no_grad()
    def f(v: Value) -> Value:
        return v.exp()

    assert f(x)._prev == ()
    with set_grad_enabled(False):
        assert (x + 1)._prev == ()
    with pytest.raises(TypeError):
        set_grad_enabled("yes")  # type: ignore[arg-type]


def test_grad_mode_is_per_thread() -> None:
    seen: list[bool] = []
    with no_grad():
        t = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_detach() -> None:
    x = Value(2.0, label="x")
    y = (x * 3).detach()
    assert y.is_leaf and y.data == 6.0
    (y * x).backward()
    assert x.grad == 6.0 and y.grad == 2.0


def test_scope_tags_nodes() -> None:
    with scope("layers"), scope("0"):
        w = Value(1.0, label="w")
        y = w * 2
    assert w.scope == "layers.0" and y.scope == "layers.0" and w.label == "w"
    assert Value(1.0).scope == ""
    y.label = "y"
    assert y.label == "y" and y.scope == "layers.0"
    with pytest.raises(ValueError):
        with scope(""):
            pass


# --- functional derivatives --------------------------------------------------------------


def test_grad_of_grad_of_grad_tanh_matches_closed_form() -> None:
    d3 = grad(grad(grad(lambda x: x.tanh())))
    for x in (-1.3, -0.2, 0.0, 0.7, 2.1):
        t = math.tanh(x)
        assert d3(x) == pytest.approx((6 * t * t - 2) * (1 - t * t), rel=1e-9, abs=1e-15)


def test_value_and_grad_argnums_and_floats_out() -> None:
    f = lambda x, y: x * y + y.sin()  # noqa: E731
    value, g = value_and_grad(f)(2.0, 3.0)
    assert type(value) is float and value == pytest.approx(6 + math.sin(3)) and g == 3.0
    _, (gx, gy) = value_and_grad(f, (0, 1))(2.0, 3.0)
    assert (gx, gy) == pytest.approx((3.0, 2 + math.cos(3)))
    with pytest.raises(IndexError, match="argnum 2"):
        grad(f, 2)(1.0, 2.0)


def test_hessian() -> None:
    h = hessian(lambda x, y: x * x * y + y.exp())(1.0, 0.5)
    assert h[0] == pytest.approx([1.0, 2.0]) and h[1] == pytest.approx([2.0, math.exp(0.5)])
    assert hessian(lambda x: 3 * x)(2.0) == [[0.0]]


def test_functional_api_leaves_grad_untouched_and_works_under_no_grad() -> None:
    x = Value(2.0)
    y = x * x
    y.backward()
    assert x.grad == 4.0 and y.grad == 1.0
    with no_grad():
        # The function uses x and y: their gradients must stay as backward() left them.
        assert grad(lambda v: v * x + y * v)(3.0) == 6.0
        assert value_and_grad(lambda v: v * y)(2.0) == (8.0, 4.0)
    assert x.grad == 4.0 and y.grad == 1.0


def test_functional_api_passes_other_arguments_through() -> None:
    # An int stays an int (a count, an index); floats become constant Values, so methods work.
    assert grad(lambda x, n: autograd.sum([x] * n))(2.0, 3) == 3.0
    assert grad(lambda x, i: [x, x * x][i])(3.0, 1) == 6.0
    assert grad(lambda x, y: x * y.sin())(2.0, 0.5) == pytest.approx(math.sin(0.5))
    assert grad(lambda x, *, c: x * c)(2.0, c=5.0) == 5.0
    assert hessian(lambda x, *, c: c * x * x)(1.0, c=3.0) == [[6.0]]


def test_functional_api_warns_when_the_function_returns_a_plain_number() -> None:
    with pytest.warns(UserWarning, match="plain number"):
        assert grad(math.sin)(1.0) == 0.0  # math.sin turns the Value into a float
    with pytest.warns(UserWarning, match="plain number"):
        assert grad(lambda x: 5.0)(1.0) == 0.0


# --- anomaly detection -------------------------------------------------------------------


def test_anomaly_in_forward_names_op_inputs_and_line() -> None:
    with detect_anomaly():
        x = Value(1000.0, label="x")
        with pytest.raises(AnomalyError) as info:
            x.exp()  # the line the error must name
    err = info.value
    assert err.op == "exp" and err.inputs == (1000.0,)
    assert "test_engine.py" in err.source and "x.exp()" in err.source


def test_anomaly_in_backward_names_op_and_line() -> None:
    with detect_anomaly():
        a = Value(0.0)
        y = a.sqrt() * 2  # sqrt'(0) is infinite
        with pytest.raises(AnomalyError) as info:
            y.backward()
    assert info.value.op == "sqrt" and "a.sqrt() * 2" in info.value.source
    assert info.value.inputs == (0.0,) and "x upstream gradient 2.0" in str(info.value)
    # Outside the block the same graph back-propagates to inf without complaint.
    y.backward()
    assert a.grad == math.inf


def test_nan_and_inf_data_are_allowed_outside_anomaly_mode() -> None:
    y = Value(math.inf) * 0
    assert math.isnan(y.data)


# --- bad input leaves the graph unchanged ---------------------------------------------------


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda v: v.log(), DomainError, ["log", "-2.0", "'neg'"]),
        (lambda v: v.sqrt(), DomainError, ["sqrt", "-2.0", "'neg'"]),
        (lambda v: v**0.5, DomainError, ["pow", "negative base", "'neg'"]),
        (lambda v: v ** Value(0.5), DomainError, ["pow", "negative base"]),
        (lambda v: v / 0, ZeroDivisionError, ["division by zero"]),
        (lambda v: v / Value(0.0), ZeroDivisionError, ["division by zero"]),
        (lambda v: (v * 0) ** -1, ZeroDivisionError, ["negative power"]),
        (lambda v: 1 / (v * 0), ZeroDivisionError, ["division by zero"]),
    ],
)
def test_domain_errors_name_op_value_and_label(make, error, words) -> None:  # type: ignore[no-untyped-def]
    v = Value(-2.0, label="neg")
    parent = v * 1.0
    before = (v.data, v.grad, parent.data, parent.grad, parent._prev)
    with pytest.raises(error) as info:
        make(v)
    for word in words:
        assert word in str(info.value)
    assert (v.data, v.grad, parent.data, parent.grad, parent._prev) == before


def test_log_of_zero_is_a_domain_error() -> None:
    with pytest.raises(DomainError, match="log"):
        Value(0.0).log()


def test_negative_base_with_integer_exponent_is_fine() -> None:
    x = Value(-2.0)
    y = x**3
    y.backward()
    assert y.data == -8.0 and x.grad == 12.0


# --- regressions found in review ----------------------------------------------------------


def test_gradients_through_an_input_that_depends_on_another_input() -> None:
    x = Value(2.0)
    y = x * 3
    z = y * x
    gx, gy = autograd.gradients(z, [x, y])
    assert (gx, gy) == (12.0, 2.0)  # dz/dx counts the path through y too, as PyTorch does


def test_relu_keeps_nan() -> None:
    assert math.isnan(Value(math.nan).relu().data)
    assert math.isnan(Value(math.nan).leaky_relu().data)


def test_sums_that_overflow_give_inf_or_nan_like_ieee_addition() -> None:
    assert autograd.sum([Value(1e308), Value(1e308)]).data == math.inf
    assert math.isnan(autograd.sum([Value(math.inf), Value(-math.inf)]).data)
    assert autograd.dot([Value(1e308)] * 2, [Value(10.0)] * 2).data == math.inf
    assert autograd.mean([Value(1e308), Value(1e308)]).data == math.inf


def test_dot_node_needs_an_even_number_of_inputs() -> None:
    with pytest.raises(DomainError, match="multiple of 2 inputs, got 3"):
        autograd.dot.apply(Value(1.0), Value(2.0), Value(3.0))


def test_set_grad_enabled_as_a_plain_call_and_as_a_decorator() -> None:
    set_grad_enabled(False)
    try:
        assert not is_grad_enabled()
    finally:
        set_grad_enabled(True)
    assert is_grad_enabled()

    @set_grad_enabled(False)
    def f() -> bool:
        return is_grad_enabled()

    assert is_grad_enabled() and f() is False and is_grad_enabled()


def test_one_decorated_function_in_two_threads_keeps_their_modes_apart() -> None:
    entered, release_a, release_b = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    @no_grad()
    def work(name: str, started: threading.Event, release: threading.Event) -> None:
        started.set()
        release.wait(5)
        seen[name] = is_grad_enabled()

    def thread_a() -> None:
        work("a", entered, release_a)
        seen["a after"] = is_grad_enabled()

    def thread_b() -> None:
        b_started = threading.Event()
        entered.wait(5)
        work("b", b_started, release_b)
        seen["b after"] = is_grad_enabled()

    ta, tb = threading.Thread(target=thread_a), threading.Thread(target=thread_b)
    ta.start()
    tb.start()
    entered.wait(5)
    release_a.set()  # a leaves first, while b is still inside
    ta.join(5)
    release_b.set()
    tb.join(5)
    assert seen == {"a": False, "a after": True, "b": False, "b after": True}


def test_anomaly_restores_gradients() -> None:
    a, w = Value(0.0), Value(3.0)
    w.grad = 5.0
    with detect_anomaly():
        y = a.sqrt() * w + w
        inner = y._prev[0]
        inner.grad = 7.0
        with pytest.raises(AnomalyError):
            y.backward()
    assert (a.grad, w.grad, inner.grad, y.grad) == (0.0, 5.0, 7.0, 0.0)
    with detect_anomaly(), pytest.raises(AnomalyError, match="seeded"):
        y.backward(math.nan)
    assert inner.grad == 7.0


def test_anomaly_catches_gradients_that_overflow_when_they_add_up() -> None:
    with detect_anomaly():
        x = Value(1e-300)
        z = x * 1e308 + x * 1e308  # finite values, finite steps: 1e308 + 1e308 overflows
        with pytest.raises(AnomalyError, match="add up to inf"):
            z.backward()
    assert x.grad == 0.0  # put back as it was


def test_anomaly_checks_the_functional_api_too() -> None:
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        grad(lambda v: v.sqrt())(0.0)
    assert info.value.op == "sqrt"
    assert grad(lambda v: v.sqrt())(0.0) == math.inf  # outside the block: the limit


def test_anomaly_mode_does_not_keep_nodes_alive() -> None:
    import sys

    with detect_anomaly():
        x = Value(2.0)
        y = x * 3
        assert sys.getrefcount(y) == 2  # the name and the call's argument: nothing else
        assert "y = x * 3" in y.source
        y.label = "y"
        y.scope = "s"
        assert y.label == "y" and y.scope == "s" and "x * 3" in y.source
    assert Value(1.0).source == "" and (x * 2).source == ""


def test_anomaly_source_is_the_users_line_even_inside_nn() -> None:
    import nn

    neuron = nn.Neuron(2, seed=0)
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        neuron([math.inf, 1.0])  # the user's line comes first, then where in nn
    source = info.value.source
    assert source.split(":")[0].endswith("test_engine.py") and "neuron([math.inf" in source
    assert "(in " in source and "layers.py" in source


def test_a_subclass_of_value_is_a_leaf() -> None:
    class Parameter(Value):
        pass

    p = Parameter(2.0)
    y = p * 3
    y.backward()
    y.backward()
    assert p.is_leaf and p.grad == 6.0  # leaves accumulate
    p.grad = 0.0
    p.backward()
    p.backward()
    assert p.grad == 2.0


def test_numpy_scalars_assigned_to_data_still_back_propagate() -> None:
    for scalar in (np.float32(1.0), np.int64(1), np.float64(1.0)):
        v = Value(0.5)
        v.data = scalar  # .data is a plain attribute: not converted on assignment
        y = v.sin() + v.cos() + v.softplus() + v.sigmoid() + v.exp() + v.log() + v.tanh()
        y.backward()
        assert v.grad == pytest.approx(
            math.cos(1) - math.sin(1) + 1 / (1 + math.exp(-1)) * 2
            - 1 / (1 + math.exp(-1)) ** 2 + math.e + 1 + 1 - math.tanh(1) ** 2
        )


def test_nan_and_inf_flow_through_like_ieee_floats() -> None:
    assert math.isnan(Value(math.nan).log().data) and math.isnan(Value(math.nan).sqrt().data)
    assert math.isnan(Value(math.inf).sin().data) and math.isnan(Value(-math.inf).cos().data)
    assert (Value(-2.0) ** math.inf).data == math.inf and (Value(-0.5) ** math.inf).data == 0.0
    v = Value(math.inf)
    v.cos().backward()  # d cos = -sin(inf): NaN, not an exception
    assert math.isnan(v.grad)


def test_huge_ints_are_a_clear_error() -> None:
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(10**400)
    with pytest.raises(OverflowError, match="too large for a float"):
        _ = Value(1.0) + 10**400


def test_int_constants_and_subtraction_cost_no_extra_memory() -> None:
    gc.collect()
    tracemalloc.start()
    y = Value(0.3)
    for _ in range(10_000):
        y = (2 - (y + 1)) - 1.0  # add, rsub and sub with plain-number constants
    built = tracemalloc.get_traced_memory()[0]
    y.backward()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert built <= 104 * 30_000 + 1024 and after <= 128 * 30_000 + 1024
    assert (Value(1.0) - 1)._op == "-" and (Value(1.0) - 1).constant == 1


def test_nested_grad_through_arguments_and_through_closures() -> None:
    # Mixed partials: the inner grad sees a Value among its other arguments...
    inner = grad(lambda x, y: x * y * y, 0)
    assert grad(lambda y: inner(2.0, y))(3.0) == 6.0
    # ...or only in what its function closes over: the trace depth says it is nested.
    assert grad(lambda y: grad(lambda x: x * y * y)(2.0))(3.0) == 6.0
    assert hessian(lambda x, y: grad(lambda t: t * x * y)(1.0))(2.0, 3.0) == [[0.0, 1.0],
                                                                              [1.0, 0.0]]


def test_functional_warning_points_at_the_users_line() -> None:
    import warnings

    for make in (grad, value_and_grad, hessian):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            make(lambda x: 5.0)(1.0)  # the line the warning must name
        assert caught[0].filename == __file__, make


def test_a_node_scope_can_be_given_to_another_node() -> None:
    with scope("layers", kind="Stack(2)"):
        a = Value(1.0)
    b = Value(2.0)
    b.scope = a.scope  # the name carries its kinds along
    assert b.scope == "layers" and autograd.scope_kinds(b.scope) == {"layers": "Stack(2)"}
    with scope("critic"), scope("0"):
        assert autograd.current_scope() == "critic.0"
    assert autograd.current_scope() == ""


def test_anomaly_names_a_gradient_that_was_already_infinite() -> None:
    with detect_anomaly():
        x = Value(2.0)
        y = x * 3
        x.grad = math.inf  # left over from an earlier pass
        with pytest.raises(AnomalyError, match="already inf"):
            y.backward()
    assert x.grad == math.inf

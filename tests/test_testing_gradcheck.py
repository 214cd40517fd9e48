"""autograd.testing's gradient checker: numerical_grad, check_grads, GradientCheckError."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import Phase, given, settings

import autograd.ops
import autograd.testing
from autograd import DomainError, Value
from autograd.declare import node_class_of
from autograd.testing import (
    GradientCheckError,
    NumericalDerivativeError,
    RoundingNoiseError,
    RoundingNoiseWarning,
    check_grads,
    local_grad_mismatches,
    numerical_grad,
)
from autograd.testing.comparison import SUBNORMAL_SLACK
from autograd.testing.strategies import reals

# --- numerical_grad ----------------------------------------------------------------------


def test_numerical_grad_of_a_polynomial() -> None:
    g = numerical_grad(lambda x, y: x * x * y + y, [3.0, 2.0])
    assert g == pytest.approx([12.0, 10.0], rel=1e-10)


@given(reals(-5.0, 5.0))
def test_numerical_grad_is_accurate_for_smooth_functions(x: float) -> None:
    (g,) = numerical_grad(lambda v: (v * 0.7).sin() * v.exp(), [x])
    exact = math.exp(x) * (0.7 * math.cos(0.7 * x) + math.sin(0.7 * x))
    assert abs(g - exact) <= 1e-9 * max(1.0, abs(exact))


def test_richardson_extrapolation_beats_plain_central_differences() -> None:
    f = lambda v: v.exp()  # noqa: E731
    plain = numerical_grad(f, [1.0], eps=1e-2, richardson=False)[0]
    extrapolated = numerical_grad(f, [1.0], eps=1e-2)[0]
    assert abs(extrapolated - math.e) < 1e-9
    assert abs(extrapolated - math.e) < abs(plain - math.e) / 100 or plain == extrapolated


def test_numerical_grad_refines_its_step_for_fast_varying_functions() -> None:
    (g,) = numerical_grad(lambda v: (v * 2000.0).sin(), [0.3])
    assert g == pytest.approx(2000 * math.cos(600.0), rel=1e-7)


# The first step (1e-4) takes each of these below 0, out of the domain: the steps that fail
# must not use up the refinements the estimate needs once a step works.
NEAR_AN_EDGE = [
    ("sqrt", lambda v: v.sqrt(), 1e-5, 0.5 / math.sqrt(1e-5)),
    ("sqrt", lambda v: v.sqrt(), 1e-8, 5000.0),
    ("sqrt", lambda v: v.sqrt(), 1e-15, 0.5 / math.sqrt(1e-15)),
    ("log", lambda v: v.log(), 1e-7, 1e7),
    ("log", lambda v: v.log(), 1e-12, 1e12),
    ("x ** 1.5", lambda v: v**1.5, 1e-9, 1.5 * math.sqrt(1e-9)),
]


@pytest.mark.parametrize(
    ("f", "x", "exact"), [case[1:] for case in NEAR_AN_EDGE],
    ids=[f"{name}-at-{x:g}" for name, _, x, _ in NEAR_AN_EDGE],
)
def test_numerical_grad_shrinks_its_step_at_the_edge_of_a_domain(
    f: Callable[[Value], Value], x: float, exact: float
) -> None:
    (g,) = numerical_grad(f, [x])
    assert g == pytest.approx(exact, rel=1e-8)
    check_grads(f, [x], order=2, atol=0.0)


def test_numerical_grad_keeps_refining_while_the_estimates_converge() -> None:
    # 1 / x varies on a scale of 1e-6 here, a hundredth of the first step: it takes more
    # halvings than usual before two estimates agree.
    (g,) = numerical_grad(lambda v: 1 / v, [1e-6])
    assert g == pytest.approx(-1e12, rel=1e-8)
    check_grads(lambda v: v.sin() / v.cos(), [math.pi / 2 - 1e-5], order=2)


# A large value next to a small slope: central differences over the usual step are
# swamped by the rounding of the values (1e8 has a spacing of 1.5e-8). The step widens
# while the slope holds; what noise is left is allowed for, and said (a warning) where it
# made the check looser than its tolerances.
LARGE_VALUES = [
    ("x + 1e8", lambda x: x + 1e8, [0.3], False),
    ("x + 1e10", lambda x: x + 1e10, [0.3], None),
    ("x * y + 1e8", lambda x, y: x * y + 1e8, [0.3, -0.7], None),
    ("sin(x) + 1e8", lambda x: x.sin() + 1e8, [0.3], None),
    ("1e9 * x + x * x", lambda x: 1e9 * x + x * x, [0.5], None),
]


@pytest.mark.parametrize(
    ("f", "args", "looser"), [case[1:] for case in LARGE_VALUES],
    ids=[c[0] for c in LARGE_VALUES],
)
def test_a_large_value_next_to_a_small_slope_passes(
    f: Callable[..., Value], args: list[float], looser: bool | None
) -> None:
    """Passes, with a warning where it passed only within the noise (None: either way,
    depending on how the rounding of the values falls)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_grads(f, args, order=2)
    said = [w for w in caught if issubclass(w.category, RoundingNoiseWarning)]
    if looser is not None:
        assert bool(said) == looser, [str(w.message) for w in said]
    # Node by node too: no correct node of the graph is named a culprit.
    out = f(*[Value(a) for a in args])
    assert local_grad_mismatches(out, order=2) == []


def test_a_wrong_slope_under_a_large_value_is_caught_and_the_noise_is_named() -> None:
    def f(x: Value) -> Value:
        return x + 1e10 + 0.01 * x * x.data  # x.data: a constant, so the slope is off by 0.01 x

    with pytest.raises(GradientCheckError) as info:
        check_grads(f, [0.3])
    err = info.value
    assert err.analytical == pytest.approx(1.003)
    assert err.numerical == pytest.approx(1.006, abs=1e-3)
    message = str(err)
    assert "for rounding)" in message and "limited by rounding noise" in message
    assert "already widened" in message


# --- rounding noise too large for a meaningful check ------------------------------------------


def _doubled_tanh(monkeypatch: pytest.MonkeyPatch) -> None:
    """tanh's derivative twice what it is (in backward() and in the functional API)."""
    scaled_tanh(monkeypatch, 2.0)


def scaled_tanh(monkeypatch: pytest.MonkeyPatch, factor: float) -> None:
    cls = node_class_of(autograd.ops.BY_NAME["tanh"])
    local_grads = cls.local_grads

    def _local_grads(self: Value, symbolic: bool = False) -> list[Any]:
        return [factor * d for d in local_grads(self, symbolic)]

    def _backward(self: Value) -> None:
        x = self._a
        x.grad += factor * local_grads(self)[0] * self.grad

    monkeypatch.setattr(cls, "local_grads", _local_grads)
    monkeypatch.setattr(cls, "_backward", _backward)


def test_a_doubled_derivative_under_a_huge_constant_is_refused_not_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With tanh's derivative doubled, check_grads(tanh(x) + 1e15) passed: the rounding noise
    of 1e15 (a spacing of 0.125) swamped a slope of 0.9. It is refused now, saying why and
    what to do."""
    _doubled_tanh(monkeypatch)
    with pytest.raises(RoundingNoiseError) as info:
        check_grads(lambda x: x.tanh() + 1e15, [0.3])
    err = info.value
    assert isinstance(err, NumericalDerivativeError)
    assert err.value == pytest.approx(1e15) and err.order == 1 and err.argument == 0
    assert err.noise > abs(err.numerical) / 3
    message = str(err)
    for text in ("cannot check d f / d x", "1e+15", "rounding swamps the slope",
                 "a factor of 2 would pass", "check f - 1e+15 instead of f"):
        assert text in message, text


def test_a_right_derivative_under_a_huge_constant_is_refused_too() -> None:
    """The refusal reads only the numerical side: a right engine is refused alike."""
    with pytest.raises(RoundingNoiseError):
        check_grads(lambda x: x.tanh() + 1e15, [0.3])
    with pytest.raises(RoundingNoiseError, match="check f - 1e\\+14"):
        check_grads(lambda x: x + 1e14, [-2.0])


def test_a_derivative_off_by_a_percent_under_1e12_is_not_passed_in_silence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """x 1.01 passed at 1e12 in silence; now it is refused, or passes with a warning that
    says how loose the check was, never silently."""
    scaled_tanh(monkeypatch, 1.01)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            check_grads(lambda x: x.tanh() + 1e12, [0.3])
        except (RoundingNoiseError, GradientCheckError):
            return
    said = [str(w.message) for w in caught if issubclass(w.category, RoundingNoiseWarning)]
    assert said and "limited by rounding noise" in said[0]


def test_a_pass_within_the_noise_only_warns_saying_by_how_much(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scaled_tanh(monkeypatch, 1.001)  # off by 0.1%: beyond rtol, within the noise of 1e10
    with pytest.warns(RoundingNoiseWarning) as record:
        check_grads(lambda x: x.tanh() + 1e10, [0.3])
    message = str(record[0].message)
    for text in ("d f / d x (order 1)", "passed only because", "limited by rounding noise",
                 "backward() gave 0.916", "the function's value (1e+10)",
                 "Subtract the large constant part"):
        assert text in message, text


def test_negative_control_a_doubled_derivative_under_a_large_constant_is_still_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the noise still resolves a factor of 2 (1e8), the doubled derivative fails
    the check: the refusal takes nothing away from what can be caught."""
    _doubled_tanh(monkeypatch)
    with pytest.raises(GradientCheckError):
        check_grads(lambda x: x.tanh() + 1e8, [0.3])
    with pytest.raises(GradientCheckError):
        check_grads(lambda x: x.tanh() + 1e15, [0.3], order=1, rtol=0.0, atol=0.0,
                    eps=0.5)  # a step wide enough for the noise: then it is caught


def test_a_small_value_passes_silently() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_grads(lambda x: x.tanh() + 1.0, [0.3], order=2)
        check_grads(lambda x, unused: x * 2.0, [1.0, 5.0], order=2, atol=0.0)


def test_numerical_grad_says_when_a_function_is_undefined_next_to_the_point() -> None:
    with pytest.raises(NumericalDerivativeError, match="argument 0 numerically at 0.0"):
        numerical_grad(lambda v: v.sqrt(), [0.0])
    with pytest.raises(DomainError):  # undefined at the point itself: the engine's own error
        numerical_grad(lambda v: v.log(), [-1.0])
    with pytest.raises(NumericalDerivativeError, match="not finite"):
        numerical_grad(lambda v: v.exp().exp(), [800.0])


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (["1.0"], TypeError, "argument 0 is str '1.0'"),
        ([True], TypeError, "argument 0 is bool"),
        ([math.nan], ValueError, "argument 0 is nan"),
        (object(), TypeError, "args must be a sequence"),
    ],
)
def test_numerical_grad_rejects_bad_arguments(args: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        numerical_grad(lambda v: v, args)  # type: ignore[arg-type]


def test_numerical_grad_accepts_a_single_number_and_values() -> None:
    assert numerical_grad(lambda v: v * v, 3.0) == pytest.approx([6.0])
    assert numerical_grad(lambda v: v * v, [Value(3.0)]) == pytest.approx([6.0])


def test_functions_must_return_a_value() -> None:
    with pytest.raises(TypeError, match="returned float .* expected a Value"):
        numerical_grad(lambda v: v.data * 2, [1.0])
    with pytest.raises(TypeError, match="returned float"):
        check_grads(lambda v: math.sin(v.data), [1.0])  # type: ignore[arg-type, return-value]


# --- check_grads: passing ------------------------------------------------------------------


@given(reals(-3.0, 3.0), reals(0.2, 3.0))
def test_check_grads_passes_for_correct_functions(x: float, y: float) -> None:
    check_grads(lambda x, y: (x * y).tanh() + y.log() * x.sigmoid(), [x, y], order=2)


def test_check_grads_leaves_its_arguments_alone() -> None:
    args = [Value(0.5, label="a"), Value(-1.5)]
    args[0].grad = 7.0
    check_grads(lambda a, b: a * b.exp(), args, order=2)
    assert [(v.data, v.grad, v.label) for v in args] == [(0.5, 7.0, "a"), (-1.5, 0.0, "")]


def test_check_grads_checks_unused_arguments_too() -> None:
    check_grads(lambda x, unused: x * 2.0, [1.0, 5.0], order=2)


def test_check_grads_is_exported() -> None:
    check_grads(lambda x: x, [1.0])
    assert set(autograd.testing.__all__) >= {
        "numerical_grad", "check_grads", "GradientCheckError"
    }


# --- check_grads: failing ----------------------------------------------------------------


def test_a_value_taken_out_of_the_graph_is_reported_with_a_diagnosis() -> None:
    def f(x: Value) -> Value:
        return x * x.data  # .data is a constant to the engine: df/dx comes out as x, not 2x

    with pytest.raises(GradientCheckError) as info:
        check_grads(f, [0.7])
    err = info.value
    assert isinstance(err, AssertionError)
    assert (err.argument, err.name, err.order, err.method) == (0, "x", 1, "backward()")
    assert err.analytical == pytest.approx(0.7) and err.numerical == pytest.approx(1.4)
    assert err.relative_error == pytest.approx(0.5)
    assert err.nodes == () and err.point == (0.7,)
    message = str(err)
    for text in ("check_grads of f", "d f / d x", "argument 0 ('x') = 0.7", "backward():",
                 "numerical:", "relative error:   0.5", "autograd.grad",
                 "Every node's local derivative agrees", ".data"):
        assert text in message, text


def test_labels_name_the_arguments() -> None:
    with pytest.raises(GradientCheckError, match="argument 1 \\('w'\\) = 2.0"):
        check_grads(lambda *v: v[0] + v[1] * v[1].data, [1.0, Value(2.0, label="w")])


def test_at_a_kink_the_message_points_at_it() -> None:
    with pytest.raises(GradientCheckError) as info:
        check_grads(lambda x: x.relu(), [0.0])
    err = info.value
    assert err.analytical == 0.0 and err.numerical == pytest.approx(0.5)
    assert [m.op.name for m in err.nodes] == ["relu", "relu"]  # _local_grads and _backward
    assert "kink: relu'(0) = 0" in str(err)


def test_tolerances_decide() -> None:
    def f(x: Value) -> Value:
        return x * (1 + 1e-7 * x.data)

    check_grads(f, [1.0])  # off by 1e-7: within the default tolerances
    with pytest.raises(GradientCheckError):
        check_grads(f, [1.0], atol=0.0, rtol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"order": 3}, "order must be 1 or 2"),
        ({"atol": -1.0}, "atol must be a finite number >= 0"),
        ({"rtol": "x"}, "rtol must be a finite number >= 0"),
        ({"atol": math.inf}, "atol must be a finite number >= 0"),
        ({"order": True}, "order must be 1 or 2"),
        ({"eps": 0.0}, "eps must be a number between 0 and 1"),
    ],
)
def test_check_grads_rejects_bad_settings(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_grads(lambda x: x, [1.0], **kwargs)  # type: ignore[arg-type]


def test_check_grads_needs_an_argument() -> None:
    with pytest.raises(ValueError, match="at least one argument"):
        check_grads(lambda: Value(1.0), [])


# --- local_grad_mismatches -------------------------------------------------------------------


def test_local_grad_mismatches_finds_nothing_in_a_healthy_graph_and_restores_grads() -> None:
    x = Value(0.3)
    y = Value(1.7)
    out = (x * y).sin() + (x / y) * x + y.log()
    out.backward()
    before = [x.grad, y.grad, out.grad]
    assert local_grad_mismatches(out, order=2) == []
    assert [x.grad, y.grad, out.grad] == before


def test_local_grad_mismatches_rejects_other_orders() -> None:
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        local_grad_mismatches(Value(1.0) * 2, order=3)


# --- the README's recipe catches a gradient the engine cannot see -----------------------------


def _leaky(x: Value, y: Value) -> Value:
    return (x * y).tanh() + (y * y.data + 1).log()  # y.data: a constant to the engine


def test_the_readme_recipe_fails_on_a_hidden_constant() -> None:
    @settings(database=None, phases=[Phase.generate], report_multiple_bugs=False)
    @given(reals(-3, 3), reals(-3, 3))
    def test_leaky_gradients(x: float, y: float) -> None:
        check_grads(_leaky, [x, y], order=2)

    with pytest.raises(GradientCheckError, match="argument 1 \\('y'\\)"):
        test_leaky_gradients()


def test_a_derivative_among_subnormal_numbers_is_compared_to_their_spacing() -> None:
    """d2 (a ** b) / da db at a = 1.8e131, b = -1.4375 is -5.2e-318, which the engine takes
    through a ** (b - 1) = 1.2e-320 times -433: 300 spacings of 2**-1074 from the true value.
    The check passes there, and a derivative wrong by 2 at that size still fails."""
    point = [1.7745086042373215e+131, -1.4375]
    check_grads(lambda a, b: a**b, point, order=2)
    assert SUBNORMAL_SLACK < 1e-2 * 5.2e-318

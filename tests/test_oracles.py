"""Random DAGs against independent oracles: exact SymPy derivatives, and PyTorch in float64.

Each drawn :class:`~autograd.testing.Expression` is translated into SymPy (and
into PyTorch when it is installed) op by op, from translations written here
for every op of the table. A new op without a translation fails
``test_every_op_has_*_translation`` and every DAG that uses it: it cannot be
skipped silently.

How close is close enough: floating-point evaluation of a graph is not exact.
A rounding error at a node reaches the output multiplied by the sum over paths
of the products of |partial derivatives| (an absolute adjoint); the same holds
for gradients, where each local derivative may also be off by a few units in
the last place of 1 (``1 - tanh(x)**2`` near ``|x| = 1``, say). So values must
agree to ``1e-13 * (|value| + sum over nodes of |adjoint| * |node value|)`` and
gradients to ``1e-11 * (sum over paths of the product of (|partial| + 1))``,
scales computed with the reference formulas of ``reference_ops``, not the
engine's. A wrong derivative is off by the size of the derivative itself,
billions of times more.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import sympy as sp  # type: ignore[import-untyped]
from hypothesis import event, given, reject, settings
from hypothesis import strategies as st
from hypothesis.errors import UnsatisfiedAssumption
from known_engine_issues import known_engine_issue
from reference_ops import error_scales, evaluate, steps_of

import autograd
from autograd import Op
from autograd.ops import BY_NAME, OPS
from autograd.testing import Expression, ExpressionStep
from autograd.testing.strategies import expressions

DPS = 40  # decimal digits for SymPy's evaluation
VALUE_TOL = 1e-13
GRAD_TOL = 1e-11
# SymPy evaluates to DPS digits relative to the magnitudes *inside* an op (log(exp(1e-300))
# passes through 1 + 1e-300), so differences below this are the oracle's, not the engine's.
FLOOR = 1e-25

# --- counting the DAGs checked (reported at the end of the module) -------------------

# Under a profile of N examples each oracle must check at least N distinct random DAGs:
# the extended profile (conftest.py) promises 10,000. The oracles are parametrized over
# the op table, each op featuring in its share of the graphs ('per-op', conftest.py).
# Hypothesis counts examples, and a few of them repeat an expression already checked
# (the same choices after pruning, or a block replayed by its mutator), so the oracles
# ask for a margin more.
DISTINCT = settings().max_examples
PER_OP = settings.get_profile("per-op")
ORACLE_SETTINGS = settings(PER_OP, max_examples=math.ceil(1.3 * PER_OP.max_examples))
IDS = [op.name for op in OPS]


@dataclass
class Tally:
    """The distinct expressions one oracle checked with no mismatch, up to its first failure."""

    passed: set[Expression] = field(default_factory=set)
    featured: set[str] = field(default_factory=set)  # the ops whose graphs were checked
    failed: bool = False

    def breakdown(self) -> str:
        sizes = Counter(len(e.steps) for e in self.passed)
        by_size = ", ".join(f"{k}: {sizes[k]}" for k in sorted(sizes))
        shared = sum(bool(e.shared_nodes) for e in self.passed)
        return f"{len(self.passed)} (by node count {by_size}; {shared} share a subexpression)"


# Filled only while this module's own tests run: other modules rerun these properties
# (against a deliberately broken engine), and those runs are not checks that passed.
TALLIES: dict[str, Tally] = {}
RECORDING = [False]


@contextmanager
def _tallied(oracle: str, op: Op, expr: Expression) -> Iterator[None]:
    tally = TALLIES.setdefault(oracle, Tally()) if RECORDING[0] else None
    try:
        yield
    except UnsatisfiedAssumption:  # rejected (a known engine issue): neither passed nor failed
        raise
    except BaseException:
        if tally is not None:
            tally.failed = True  # what passes after this is Hypothesis shrinking the failure
        raise
    if tally is not None and not tally.failed:
        tally.passed.add(expr)
        tally.featured.add(op.name)


@pytest.fixture(scope="module", autouse=True)
def _report_counts(request: pytest.FixtureRequest) -> Iterator[None]:
    TALLIES.clear()
    RECORDING[0] = True
    failed_before = request.session.testsfailed
    start = time.perf_counter()
    yield
    RECORDING[0] = False
    failed = request.session.testsfailed - failed_before
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is None or capture is None or not TALLIES:
        return
    counts = "; ".join(f"{name}: {tally.breakdown()}" for name, tally in TALLIES.items())
    verdict = (
        "with no mismatch"
        if not failed
        else f"that passed ({failed} test(s) of this module failed: see above)"
    )
    with capture.global_and_fixture_disabled():
        reporter.write_line(
            f"\noracles: distinct random DAGs checked {verdict} -- {counts} "
            f"({time.perf_counter() - start:.1f} s)"
        )


# --- tolerances ----------------------------------------------------------------------------


class Scales:
    """The tolerances for one expression at its point (see the module docstring)."""

    def __init__(self, expr: Expression) -> None:
        scales = error_scales(expr)
        self.value = VALUE_TOL * scales.value
        self.grads = [GRAD_TOL * g for g in scales.grads]


def _assert_close(what: str, got: float, want: float, tol: float, expr: Expression) -> None:
    assert abs(got - want) <= tol + FLOOR or got == want, (
        f"{what}: engine {got!r}, oracle {want!r}, difference {abs(got - want):.3g} "
        f"(allowed {tol + FLOOR:.3g}) for\n{expr.describe()}"
    )


# --- SymPy ------------------------------------------------------------------------------


def _half(xs: Sequence[Any]) -> int:
    return len(xs) // 2


@dataclass(frozen=True)
class OnEachSide:
    """A kinked op as the formula on each side of its kink (the op's excluded point).

    The strategies keep every input a margin away from a kink, so near the drawn point
    the op *is* the formula of the side its input is on: exact to any order. SymPy's own
    forms are not usable here: ``Abs`` or ``Piecewise`` of a large expression take
    seconds to differentiate and evaluate, and a ``Piecewise`` condition is compared as
    soon as it is built (``relu(2 relu(x) / (2 relu(x)))`` asked whether nan > 0).
    """

    below: Callable[..., Any]
    above: Callable[..., Any]


SYMPY: dict[str, Callable[..., Any] | OnEachSide] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "add_const": lambda x, c: x + c,
    "sub_const": lambda x, c: x - c,
    "rsub_const": lambda x, c: c - x,
    "mul_const": lambda x, c: x * c,
    "div_const": lambda x, c: x / c,
    "rdiv_const": lambda x, c: c / x,
    "pow_const": lambda x, c: x**c,
    "rpow_const": lambda x, c: c**x,
    "neg": lambda x: -x,
    "abs": OnEachSide(below=lambda x: -x, above=lambda x: x),
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "tanh": sp.tanh,
    "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
    "relu": OnEachSide(below=lambda x: sp.Integer(0), above=lambda x: x),
    "leaky_relu": OnEachSide(below=lambda x, c: c * x, above=lambda x, c: x),
    "softplus": lambda x: sp.log(1 + sp.exp(x)),
    "sin": sp.sin,
    "cos": sp.cos,
    "sum": lambda xs: sp.Add(*xs),
    "mean": lambda xs: sp.Add(*xs) / len(xs),
    "dot": lambda xs: sp.Add(*(w * x for w, x in zip(xs[: _half(xs)], xs[_half(xs) :]))),
    "logsumexp": lambda xs: sp.log(sp.Add(*(sp.exp(x) for x in xs))),
}


def _translation(table: Mapping[str, Any], op: Op, where: str) -> Any:
    try:
        return table[op.name]
    except KeyError:
        raise LookupError(
            f"op {op.name!r} ({op.doc}) has no {where} translation: add one to the {where} "
            f"table in tests/test_oracles.py"
        ) from None


def _call(f: Callable[..., Any], op: Op, args: list[Any], c: Any) -> Any:
    """``f`` called with ``op``'s calling convention."""
    if op.kind.name == "nary":
        return f(args)
    if op.kind.constant:
        return f(args[0], c)
    return f(*args)


def to_sympy(expr: Expression) -> tuple[list[sp.Symbol], Any]:
    """The expression as a SymPy expression in real symbols x0, x1, ... (constants exact),
    valid near its point (a kinked op is the formula of the side its input is on there,
    judged with the reference formulas, not the engine)."""
    symbols = list(sp.symbols(f"x0:{expr.n_inputs}", real=True))
    values = evaluate(steps_of(expr), dict(enumerate(expr.point)))
    slots: list[Any] = list(symbols)
    for step in expr.steps:
        c = None if step.constant is None else sp.Float(step.constant, DPS)
        f = _translation(SYMPY, step.op, "SymPy")
        if isinstance(f, OnEachSide):
            (kink,) = step.op.domain[0].exclude
            f = f.above if values[step.args[0]] > kink else f.below
        slots.append(_call(f, step.op, [slots[a] for a in step.args], c))
    return symbols, slots[expr.output_slot]


def _expression(text: str, point: tuple[float, ...]) -> Expression:
    """An Expression from 'op(slot, ...)' steps separated by ';' (constants as 'c=...')."""
    steps = []
    for call in text.split(";"):
        name, _, inner = call.strip().partition("(")
        parts = [p.strip() for p in inner.rstrip(")").split(",")]
        c = next((float(p[2:]) for p in parts if p.startswith("c=")), None)
        args = tuple(int(p) for p in parts if not p.startswith("c="))
        steps.append(ExpressionStep(BY_NAME[name], args, c))
    return Expression(len(point), tuple(steps), point)


# (expression, point, value, gradient), worked out by hand.
KINKED = [
    # relu(2 relu(x) / (2 relu(x))): a Piecewise translation compared nan > 0 here.
    ("relu(0); add(1, 1); div(2, 2); relu(3)", (1.0,), 1.0, [0.0]),
    # relu(-2 (log(relu(y)) + x)) at y = 0.5: a Piecewise compared zoo (complex infinity).
    ("relu(1); log(2); add(3, 0); add(4, 4); neg(5); relu(6)", (0.0, 0.5),
     2 * math.log(2), [-2.0, -4.0]),
    ("leaky_relu(0, c=0.25); abs(1); mul(2, 0)", (-2.0,), -1.0, [1.0]),
]


@pytest.mark.parametrize(("text", "point", "value", "grad"), KINKED, ids=[k[0] for k in KINKED])
def test_kinked_ops_translate_to_the_side_their_input_is_on(
    text: str, point: tuple[float, ...], value: float, grad: list[float]
) -> None:
    symbols, exact = to_sympy(_expression(text, point))
    at = {s: sp.Float(x, DPS) for s, x in zip(symbols, point)}
    assert float(exact.evalf(DPS, subs=at)) == pytest.approx(value, rel=1e-15)
    got = [float(sp.diff(exact, s).evalf(DPS, subs=at)) for s in symbols]
    assert got == pytest.approx(grad, rel=1e-15)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_every_op_has_a_sympy_translation(op: Op) -> None:
    f = _translation(SYMPY, op, "SymPy")
    if isinstance(f, OnEachSide):
        # The side is judged against the op's one excluded point: it must have one.
        assert op.kind.arity == 1 and len(op.domains()[0].exclude) == 1
    else:
        assert callable(f)


@pytest.mark.parametrize("op", OPS, ids=IDS)
@ORACLE_SETTINGS
@given(data=st.data())
def test_dags_match_exact_sympy_values_and_gradients(op: Op, data: st.DataObject) -> None:
    expr = data.draw(expressions(featuring=op), label="expr")
    with _tallied("SymPy", op, expr):
        check_against_sympy(expr)


def _known_engine_issue(expr: Expression, order: int) -> None:
    """Reject a graph where the engine is known to be wrong (known_engine_issues.py)."""
    why = known_engine_issue(expr, order, numerical=False)
    if why:
        event(f"rejected: a known engine issue ({why})")
        reject()


def check_against_sympy(expr: Expression) -> None:
    _known_engine_issue(expr, 1)
    symbols, exact = to_sympy(expr)
    at = {s: sp.Float(x, DPS) for s, x in zip(symbols, expr.point)}
    graph = expr.build()
    graph.output.backward()
    scales = Scales(expr)
    _assert_close("value", graph.output.data, float(exact.evalf(DPS, subs=at)), scales.value, expr)
    for i, s in enumerate(symbols):
        want = float(sp.diff(exact, s).evalf(DPS, subs=at))
        _assert_close(f"d out / d x{i}", graph.inputs[i].grad, want, scales.grads[i], expr)


# --- PyTorch (float64) ------------------------------------------------------------------


def _torch_table(torch: Any) -> dict[str, Callable[..., Any]]:
    F = torch.nn.functional
    zero = torch.zeros((), dtype=torch.float64)

    def _torch_logsumexp(xs: list[Any]) -> Any:
        ordered = torch.sort(torch.stack(xs)).values
        top = ordered[-1]
        return top + torch.log1p(torch.exp(ordered[:-1] - top).sum())

    return {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        # a > 0 here. torch.pow's backward masks b * a**(b-1) to a constant 0 where b == 0,
        # which loses the second derivative through b (d2/dx2 x**((1-x)/x) at 1 is -2,
        # torch.pow says -1); exp(b log a) is the same function without that shortcut.
        "pow": lambda a, b: torch.exp(b * torch.log(a)),
        "add_const": lambda x, c: x + c,
        "sub_const": lambda x, c: x - c,
        "rsub_const": lambda x, c: c - x,
        "mul_const": lambda x, c: x * c,
        "div_const": lambda x, c: x / c,
        "rdiv_const": lambda x, c: c / x,
        "pow_const": lambda x, c: x**c,
        "rpow_const": lambda x, c: c**x,
        "neg": lambda x: -x,
        "abs": torch.abs,
        "exp": torch.exp,
        "log": torch.log,
        "sqrt": torch.sqrt,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "leaky_relu": lambda x, c: F.leaky_relu(x, c),
        "softplus": lambda x: torch.logaddexp(x, zero),  # F.softplus is linear above 20
        "sin": torch.sin,
        "cos": torch.cos,
        "sum": lambda xs: torch.stack(xs).sum(),
        "mean": lambda xs: torch.stack(xs).mean(),
        "dot": lambda xs: torch.dot(torch.stack(xs[: _half(xs)]), torch.stack(xs[_half(xs) :])),
        # Not torch.logsumexp: its log(1 + tiny) rounds where the engine's log1p does not.
        "logsumexp": _torch_logsumexp,
    }


@pytest.fixture(scope="module")
def torch_ops() -> tuple[Any, dict[str, Callable[..., Any]]]:
    torch = pytest.importorskip("torch")
    return torch, _torch_table(torch)


@pytest.mark.torch
@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_every_op_has_a_torch_translation(
    torch_ops: tuple[Any, dict[str, Callable[..., Any]]], op: Op
) -> None:
    assert callable(_translation(torch_ops[1], op, "PyTorch"))


def _torch_derivatives(
    torch: Any, table: dict[str, Callable[..., Any]], expr: Expression
) -> tuple[float, list[float], list[list[float]]]:
    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in expr.point]
    slots: list[Any] = list(xs)
    for step in expr.steps:
        f = _translation(table, step.op, "PyTorch")
        slots.append(_call(f, step.op, [slots[a] for a in step.args], step.constant))
    out = slots[expr.output_slot]
    if not out.requires_grad:  # no steps: the output is an input
        out = out * 1.0
    grads = torch.autograd.grad(out, xs, create_graph=True, allow_unused=True)
    hess = []
    for g in grads:
        if g is None or not g.requires_grad:
            hess.append([0.0] * len(xs))
            continue
        row = torch.autograd.grad(g, xs, retain_graph=True, allow_unused=True)
        hess.append([0.0 if h is None else h.item() for h in row])
    return out.item(), [0.0 if g is None else g.item() for g in grads], hess


@pytest.mark.torch
@pytest.mark.parametrize("op", OPS, ids=IDS)
@ORACLE_SETTINGS
@given(data=st.data())
def test_dags_match_pytorch_float64(
    torch_ops: tuple[Any, dict[str, Callable[..., Any]]], op: Op, data: st.DataObject
) -> None:
    expr = data.draw(expressions(featuring=op), label="expr")
    with _tallied("PyTorch", op, expr):
        check_against_pytorch(*torch_ops, expr)


def check_against_pytorch(
    torch: Any, table: dict[str, Callable[..., Any]], expr: Expression
) -> None:
    _known_engine_issue(expr, 2)
    value, grads, hess = _torch_derivatives(torch, table, expr)
    scales = Scales(expr)
    got_value, got_grads = autograd.value_and_grad(expr, tuple(range(expr.n_inputs)))(*expr.point)
    _assert_close("value", got_value, value, scales.value, expr)
    graph = expr.build()
    graph.output.backward()
    for i in range(expr.n_inputs):
        _assert_close(f"d out / d x{i} (grad)", got_grads[i], grads[i], scales.grads[i], expr)
        _assert_close(
            f"d out / d x{i} (backward)", graph.inputs[i].grad, grads[i], scales.grads[i], expr
        )
    got_hess = autograd.hessian(expr)(*expr.point)
    for i in range(expr.n_inputs):
        for j in range(expr.n_inputs):
            # Second derivatives: the product of the two first-order scales.
            tol = max(scales.grads[i], scales.grads[j]) * max(
                1.0, scales.grads[i] / GRAD_TOL, scales.grads[j] / GRAD_TOL
            )
            # And a few units in the last place of the value itself: x ** x at 1.4e-7 has
            # a second derivative of 7e6 from first-order scales near 1.
            tol += 1e-13 * abs(hess[i][j])
            _assert_close(f"d2 out / d x{i} d x{j}", got_hess[i][j], hess[i][j], tol, expr)


# The deeper CI stage, where PyTorch is installed, checks many more graphs against it than
# the default run's share: at least DEEP_DISTINCT distinct DAGs (about 40 s on 2 cores).
DEEP_DISTINCT = max(DISTINCT, 1_000)
DEEP_SETTINGS = settings(
    ORACLE_SETTINGS,
    max_examples=max(ORACLE_SETTINGS.max_examples, math.ceil(1.3 * DEEP_DISTINCT / len(OPS))),
)
DEEP_ORACLE = "PyTorch (deeper stage)"


@pytest.mark.deep
@pytest.mark.torch
@pytest.mark.parametrize("op", OPS, ids=IDS)
@DEEP_SETTINGS
@given(data=st.data())
def test_many_dags_match_pytorch_float64(
    torch_ops: tuple[Any, dict[str, Callable[..., Any]]], op: Op, data: st.DataObject
) -> None:
    expr = data.draw(expressions(featuring=op), label="expr")
    with _tallied(DEEP_ORACLE, op, expr):
        check_against_pytorch(*torch_ops, expr)


# --- how many were checked ------------------------------------------------------------------


# Marked torch too: in the deeper stage (-m "deep or browser or torch") it counts the PyTorch
# oracles' graphs; in the default run, whichever oracles ran.
@pytest.mark.torch
def test_each_oracle_checked_as_many_distinct_dags_as_the_profile_asks() -> None:
    """Runs after the oracles (pytest keeps the order of a module): 10,000 under 'extended'."""
    everything = {op.name for op in OPS}
    ran = {
        name: tally
        for name, tally in TALLIES.items()
        if not tally.failed and tally.featured == everything
    }
    if not ran:
        pytest.skip("no oracle ran over the whole op table here (deselected, or failed)")
    for name, tally in ran.items():
        wanted = DEEP_DISTINCT if name == DEEP_ORACLE else DISTINCT
        assert len(tally.passed) >= wanted, (
            f"the {name} oracle checked {tally.breakdown()} distinct DAGs, fewer than the "
            f"{wanted} the profile asks for: Hypothesis stopped early or repeated many "
            f"expressions; raise the margin in ORACLE_SETTINGS"
        )

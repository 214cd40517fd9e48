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

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
import sympy as sp  # type: ignore[import-untyped]
from hypothesis import given
from reference_ops import error_scales

import autograd
from autograd.ops import OPS, Op
from autograd.testing import Expression
from autograd.testing.strategies import expressions

DPS = 40  # decimal digits for SymPy's evaluation
VALUE_TOL = 1e-13
GRAD_TOL = 1e-11
# SymPy evaluates to DPS digits relative to the magnitudes *inside* an op (log(exp(1e-300))
# passes through 1 + 1e-300), so differences below this are the oracle's, not the engine's.
FLOOR = 1e-25

# --- counting the DAGs checked (reported at the end of the module) -------------------

COUNTS: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _report_counts(request: pytest.FixtureRequest) -> Iterator[None]:
    start = time.perf_counter()
    yield
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None and COUNTS:
        counts = ", ".join(f"{name}: {n}" for name, n in COUNTS.items())
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\noracles: random DAGs checked with no mismatch -- {counts} "
                f"(total {sum(COUNTS.values())}, {time.perf_counter() - start:.1f} s)"
            )


def _count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


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


SYMPY: dict[str, Callable[..., Any]] = {
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
    "abs": sp.Abs,
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "tanh": sp.tanh,
    "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
    "relu": lambda x: sp.Piecewise((x, x > 0), (0, True)),
    "leaky_relu": lambda x, c: sp.Piecewise((x, x > 0), (c * x, True)),
    "softplus": lambda x: sp.log(1 + sp.exp(x)),
    "sin": sp.sin,
    "cos": sp.cos,
    "sum": lambda xs: sp.Add(*xs),
    "mean": lambda xs: sp.Add(*xs) / len(xs),
    "dot": lambda xs: sp.Add(*(w * x for w, x in zip(xs[: _half(xs)], xs[_half(xs) :]))),
    "logsumexp": lambda xs: sp.log(sp.Add(*(sp.exp(x) for x in xs))),
}


def _translation(table: dict[str, Callable[..., Any]], op: Op, where: str) -> Callable[..., Any]:
    try:
        return table[op.name]
    except KeyError:
        raise LookupError(
            f"op {op.name!r} ({op.doc}) has no {where} translation: add one to the {where} "
            f"table in tests/test_oracles.py"
        ) from None


def _apply(
    table: dict[str, Callable[..., Any]], op: Op, args: list[Any], c: Any, where: str
) -> Any:
    f = _translation(table, op, where)
    if op.kind == "nary":
        return f(args)
    if op.kind == "unary_param":
        return f(args[0], c)
    return f(*args)


def to_sympy(expr: Expression) -> tuple[list[sp.Symbol], Any]:
    """The expression as a SymPy expression in real symbols x0, x1, ... (constants exact)."""
    symbols = list(sp.symbols(f"x0:{expr.n_inputs}", real=True))
    slots: list[Any] = list(symbols)
    for step in expr.steps:
        c = None if step.constant is None else sp.Float(step.constant, DPS)
        slots.append(_apply(SYMPY, step.op, [slots[a] for a in step.args], c, "SymPy"))
    return symbols, slots[expr.output_slot]


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_every_op_has_a_sympy_translation(op: Op) -> None:
    assert callable(_translation(SYMPY, op, "SymPy"))


@given(expressions())
def test_dags_match_exact_sympy_values_and_gradients(expr: Expression) -> None:
    symbols, exact = to_sympy(expr)
    at = {s: sp.Float(x, DPS) for s, x in zip(symbols, expr.point)}
    graph = expr.build()
    graph.output.backward()
    scales = Scales(expr)
    _assert_close("value", graph.output.data, float(exact.evalf(DPS, subs=at)), scales.value, expr)
    for i, s in enumerate(symbols):
        want = float(sp.diff(exact, s).evalf(DPS, subs=at))
        _assert_close(f"d out / d x{i}", graph.inputs[i].grad, want, scales.grads[i], expr)
    _count("SymPy")


# --- PyTorch (float64) ------------------------------------------------------------------


def _torch_table(torch: Any) -> dict[str, Callable[..., Any]]:
    F = torch.nn.functional
    zero = torch.zeros((), dtype=torch.float64)
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
        "logsumexp": lambda xs: torch.logsumexp(torch.stack(xs), 0),
    }


@pytest.fixture(scope="module")
def torch_ops() -> tuple[Any, dict[str, Callable[..., Any]]]:
    torch = pytest.importorskip("torch")
    return torch, _torch_table(torch)


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
        slots.append(
            _apply(table, step.op, [slots[a] for a in step.args], step.constant, "PyTorch")
        )
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


@given(expressions())
def test_dags_match_pytorch_float64(
    torch_ops: tuple[Any, dict[str, Callable[..., Any]]], expr: Expression
) -> None:
    torch, table = torch_ops
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
            _assert_close(f"d2 out / d x{i} d x{j}", got_hess[i][j], hess[i][j], tol, expr)
    _count("PyTorch")

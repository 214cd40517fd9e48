"""program.to_torch(): the compiled per-sample graph as a PyTorch module, and its agreement.

Outputs and gradients (inputs' and parameters') of exported programs equal the NumPy
program's in float64, to the tolerances of ``compiled_checks``, on random DAGs of every
op and on a model trained 20 steps in both. Needs PyTorch (``@pytest.mark.torch``),
except the test of the message without it.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
import pytest
from compiled_checks import TOL, samples
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_ops import error_scales
from test_oracles import _known_engine_issue

import autograd
import nn
from autograd import Op, Value, defop, undefop
from autograd.ops import OPS
from autograd.testing import Expression
from autograd.testing.strategies import expressions

IDS = [op.name for op in OPS]
PER_OP = settings.get_profile("per-op")


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch")


def _split(expr: Expression, is_param: list[bool]) -> tuple[dict[int, Value], list[int], Any]:
    params = {i: Value(expr.point[i]) for i in range(expr.n_inputs) if is_param[i]}
    ins = [i for i in range(expr.n_inputs) if not is_param[i]]

    def fn(*values: Value) -> Value:
        it = iter(values)
        return expr(*[params[i] if i in params else next(it) for i in range(expr.n_inputs)])

    return params, ins, fn


@pytest.mark.torch
@pytest.mark.parametrize("op", OPS, ids=IDS)
@PER_OP
@given(data=st.data())
def test_exported_dags_equal_the_compiled_program(torch: Any, op: Op,
                                                  data: st.DataObject) -> None:
    expr = data.draw(expressions(featuring=op), label="expr")
    _known_engine_issue(expr, 2)  # where PyTorch's derivative of c / x overflows, as there
    n = expr.n_inputs
    is_param = data.draw(st.lists(st.booleans(), min_size=n, max_size=n), label="is_param")
    if all(is_param):
        is_param[0] = False
    params, ins, fn = _split(expr, is_param)
    program = autograd.compile(fn, tuple(expr.point[i] for i in ins))
    batch = samples(expr.point, 3, data.draw(st.integers(0, 2**16)), 1e-3)
    try:
        run = program.forward(*[batch[:, i] for i in ins])
    except (ValueError, ArithmeticError):
        return  # outside a domain: PyTorch gives NaN where the engine raises
    gin = run.backward()
    gin = gin if isinstance(gin, tuple) else (gin,)
    module = program.to_torch()
    xs = [torch.tensor(batch[:, i], dtype=torch.float64, requires_grad=True) for i in ins]
    out = module(*xs)
    out.sum().backward()
    scales = [error_scales(Expression(n, expr.steps, tuple(row))) for row in batch]
    for b in range(len(batch)):
        assert _close(out[b].item(), run.outputs[b], TOL * scales[b].value), (b, program.source)
        for j, i in enumerate(ins):
            got = 0.0 if xs[j].grad is None else xs[j].grad[b].item()  # None: not used
            assert _close(got, gin[j][b], TOL * scales[b].grads[i])
    grads = dict(zip(program.params, module.params.grad.tolist())) if program.params else {}
    for i, p in params.items():
        tol = TOL * sum(s.grads[i] for s in scales)  # inf where the batch sums overflow
        assert _close(grads.get(p, 0.0), p.grad, tol)  # a parameter not used: 0


def _close(a: float, b: float, tol: float) -> bool:
    return a == b or abs(a - b) <= tol + 1e-300 or (math.isnan(a) and math.isnan(b))


@pytest.mark.torch
def test_a_model_trains_the_same_in_pytorch(torch: Any) -> None:
    """20 SGD steps on moons, here (compiled) and in PyTorch (exported): the same weights."""
    X, labels = nn.data.make_moons(40, noise=0.1, seed=1)
    y = np.array([2.0 * t - 1 for t in labels])
    model = nn.MLP(2, [8, 8, 1], seed=1)
    params = model.parameters()

    def objective(x: list[Value], t: Value) -> Value:
        return (1 - t * model(x)).relu() + 1e-4 * autograd.dot(params, params)

    program = autograd.compile(objective, (X[0], 1.0), params=params)
    module = program.to_torch()
    optimizer = torch.optim.SGD(module.parameters(), lr=0.5)
    ours = nn.SGD(params, lr=0.5)
    tX, ty = torch.tensor(X, dtype=torch.float64), torch.tensor(y)
    for _ in range(20):
        ours.zero_grad()
        program.forward(np.array(X), y).backward(1 / len(X), input_grads=False)
        ours.step()
        optimizer.zero_grad()
        module(tX, ty).mean().backward()
        optimizer.step()
    np.testing.assert_allclose(module.params.detach().numpy(), [p.data for p in params],
                               rtol=1e-12, atol=1e-14)


@pytest.mark.torch
def test_ops_of_your_own_run_through_their_declaration(torch: Any) -> None:
    atan = defop("atan_t", math.atan, lambda x, out: 1 / (1 + x * x), replace=True,
                 array_forward=lambda x: np.arctan(x))
    try:
        w = Value(0.7)
        program = autograd.compile(lambda x: atan(x * w).tanh(), (1.0,))
        module = program.to_torch()
        assert "atan_t_forward(" in module.forward_source if hasattr(
            module, "forward_source") else True
        xs = torch.tensor([0.5, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
        out = module(xs)
        out.sum().backward()
        run = program.forward(xs.detach().numpy())
        gx = run.backward()
        np.testing.assert_allclose(out.detach().numpy(), run.outputs, rtol=1e-14)
        np.testing.assert_allclose(xs.grad.numpy(), gx, rtol=1e-13)
        assert module.params.grad.item() == pytest.approx(w.grad, rel=1e-13)
        (g,) = torch.autograd.grad(module(xs).sum(), xs, create_graph=True)
    except RuntimeError as exc:
        assert "cannot differentiate it again" in str(exc) and "atan_t" in str(exc)
    else:
        raise AssertionError("a second derivative through a NumPy deriv must be refused")
    finally:
        undefop("atan_t")


@pytest.mark.torch
def test_torch_compile_and_float32_apply(torch: Any) -> None:
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    program = autograd.compile(model, ([0.0, 0.0],), params=model.parameters())
    X = np.random.default_rng(0).normal(size=(5, 2))
    fast = torch.compile(program.to_torch(), backend="eager")
    np.testing.assert_allclose(fast(torch.tensor(X)).detach().numpy(), program(X), rtol=1e-14)
    single = program.to_torch(dtype=torch.float32)
    assert single.params.dtype == torch.float32
    np.testing.assert_allclose(single(torch.tensor(X)).detach().numpy(), program(X),
                               rtol=1e-5)
    with pytest.raises(ValueError, match=r"shape \(5, 3\); expected \(n, 2\)"):
        single(torch.zeros(5, 3))


def test_without_pytorch_the_error_says_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch fails
    program = autograd.compile(lambda x: x * 2, (1.0,))
    with pytest.raises(ImportError, match=r'pip install "chainrule\[torch\]"'):
        program.to_torch()

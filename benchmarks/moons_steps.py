"""One step of micrograd's two-moons demo, written for each contender of benchmarks/run.py.

Every contender takes the same step from the same weights: MLP(2, [16, 16, 1]) with
ReLU hidden layers, 100 samples, the SVM loss mean(relu(1 - y * score)) plus
1e-4 * sum(p**2), backward, and SGD with the notebook's rate 1.0 - 0.9 k / 100. Each
``make_*`` returns ``step(k) -> loss`` (the loss before the update, as a float).

* micrograd's notebook loop, for any ``Value`` class and model;
* micrograd's own ``nn.py`` classes with chainrule's ``Value`` in place of micrograd's
  (the module is loaded a second time and its ``Value`` name rebound, so its code runs
  as published): the very graph micrograd builds;
* PyTorch with 0-d tensors (micrograd's loop, one tensor per number) and vectorized
  (full-batch tensors, ``torch.nn.Linear``);
* NumPy by hand: forward, backward and the update written out for this network;
* chainrule compiled: the per-sample objective traced once by ``autograd.compile``,
  each step one run of the program over the batch, its gradients added into ``.grad``,
  and micrograd's update loop over the parameters.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd
import nn

ALPHA = 1e-4  # micrograd's L2 weight
Step = Callable[[int], float]


def moons() -> tuple[list[list[float]], list[int]]:
    X, y = nn.data.make_moons(100, noise=0.1, seed=1)
    return [list(map(float, row)) for row in X], [1 if label > 0 else -1 for label in y]


def rate(k: int) -> float:
    return 1.0 - 0.9 * (k % 100) / 100


def loop_step(Value: Any, model: Any, X: list[list[float]], y: list[int], k: int,
              mark: Callable[[str], None] = lambda phase: None) -> Any:
    """micrograd's notebook loop; only ``Value`` and ``model`` differ per engine.
    ``mark(phase)`` is called as each phase ends (for the split of a step's time)."""
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    mark("forward")
    model.zero_grad()
    mark("zero_grad")
    total_loss.backward()
    mark("backward")
    learning_rate = rate(k)
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    mark("update")
    return total_loss


def micrograd_classes(Value: Any) -> Any:
    """micrograd's ``nn`` module loaded afresh with ``Value`` in place of its own."""
    spec = importlib.util.find_spec("micrograd.nn")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.Value = Value  # the name its classes look up when they make a Value
    return module


def set_weights(model: Any, weights: list[float]) -> Any:
    for p, w in zip(model.parameters(), weights):
        p.data = w
    return model


def make_eager(Value: Any, model: Any, X: list[list[float]], y: list[int]) -> Step:
    return lambda k: float(loop_step(Value, model, X, y, k).data)


def make_torch_scalars(torch: Any, weights: list[float], X: list[list[float]],
                       y: list[int]) -> Step:
    """micrograd's loop with one 0-d float64 tensor per number."""
    it = iter(weights)
    layers = []
    for nin, nout, relu in ((2, 16, True), (16, 16, True), (16, 1, False)):
        neurons = [([torch.tensor(next(it), dtype=torch.float64, requires_grad=True)
                     for _ in range(nin)],
                    torch.tensor(next(it), dtype=torch.float64, requires_grad=True))
                   for _ in range(nout)]
        layers.append((neurons, relu))
    params = [p for neurons, _ in layers for w, b in neurons for p in (*w, b)]

    def model(x: list[Any]) -> Any:
        for neurons, relu in layers:
            out = [sum((wi * xi for wi, xi in zip(w, x)), b) for w, b in neurons]
            x = [o.relu() for o in out] if relu else out
        return x[0]

    def step(k: int) -> float:
        T = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
        scores = [model(list(map(T, row))) for row in X]
        losses = [(1 + -yi * s).relu() for yi, s in zip(y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in params)
        for p in params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in params:
                p -= rate(k) * p.grad
        return float(total)

    return step


def _matrices(weights: list[float]) -> list[np.ndarray]:
    """W1, b1, W2, b2, W3, b3 from nn's parameter order (per neuron: weights, then bias)."""
    out, at = [], 0
    for nin, nout in ((2, 16), (16, 16), (16, 1)):
        block = np.array(weights[at:at + (nin + 1) * nout]).reshape(nout, nin + 1)
        out += [block[:, :nin].copy(), block[:, nin].copy()]
        at += (nin + 1) * nout
    return out


def make_torch_vectorized(torch: Any, weights: list[float], X: list[list[float]],
                          y: list[int]) -> Step:
    tX, ty = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16),
                              torch.nn.ReLU(), torch.nn.Linear(16, 1)).double()
    with torch.no_grad():
        for p, value in zip(net.parameters(), _matrices(weights)):
            p.copy_(torch.from_numpy(value))

    def step(k: int) -> float:
        scores = net(tX).squeeze(1)
        loss = torch.relu(1 - ty * scores).mean()
        loss = loss + ALPHA * sum((p * p).sum() for p in net.parameters())
        net.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in net.parameters():
                p -= rate(k) * p.grad
        return float(loss)

    return step


def make_numpy(weights: list[float], X: list[list[float]], y: list[int]) -> Step:
    """Forward, backward and SGD for this network, written by hand with NumPy."""
    W1, b1, W2, b2, W3, b3 = params = _matrices(weights)
    A, t = np.array(X), np.array(y, dtype=float)[:, None]
    n = len(A)

    def step(k: int) -> float:
        h1 = A @ W1.T + b1
        a1 = np.maximum(h1, 0.0)
        h2 = a1 @ W2.T + b2
        a2 = np.maximum(h2, 0.0)
        margin = 1.0 - t * (a2 @ W3.T + b3)
        loss = np.maximum(margin, 0.0).mean() + ALPHA * sum((p * p).sum() for p in params)
        ds = np.where(margin > 0, -t, 0.0) / n
        dh2 = (ds @ W3) * (h2 > 0)
        dh1 = (dh2 @ W2) * (h1 > 0)
        grads = [dh1.T @ A, dh1.sum(0), dh2.T @ a1, dh2.sum(0), ds.T @ a2, ds.sum(0)]
        lr = rate(k)
        for p, g in zip(params, grads):
            p -= lr * (g + 2 * ALPHA * p)
        return float(loss)

    return step


def compiled_objective(model: Any) -> Callable[..., Any]:
    """The notebook's objective for one sample: its SVM loss plus the L2 term (the mean
    over the batch of this is the notebook's total_loss). The L2 term is nn's
    ``l2_penalty``, one dot node; micrograd's ``sum(p * p ...)`` compiles to the same
    program (a chain of products and additions becomes a dot) from a longer trace."""
    params = model.parameters()

    def objective(x: list[Any], yi: Any) -> Any:
        return (1 + -yi * model(x)).relu() + nn.l2_penalty(params, ALPHA)

    return objective


def make_compiled(model: Any, X: list[list[float]], y: list[int], fuse: bool = True) -> Step:
    params = model.parameters()
    program = autograd.compile(compiled_objective(model), (X[0], float(y[0])), params=params,
                               fuse=fuse)
    A, t = np.array(X), np.array(y, dtype=float)
    weight = 1.0 / len(A)

    def step(k: int) -> float:
        run = program.forward(A, t)
        for p in params:  # micrograd's zero_grad, on the list made once
            p.grad = 0.0
        run.backward(weight, input_grads=False)
        learning_rate = rate(k)
        for p in params:
            p.data -= learning_rate * p.grad
        return float(run.outputs.mean())

    return step

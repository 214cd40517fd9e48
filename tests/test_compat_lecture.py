"""The Zero-to-Hero lecture's training loop runs unchanged after the import swap."""

from __future__ import annotations

import nn
from autograd import Value


def test_lecture_training_loop_fits_its_four_examples() -> None:
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    n = nn.MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=0)
    first = None
    for _ in range(40):
        # forward pass, exactly as in the lecture
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        # backward pass
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()
        # update
        for p in n.parameters():
            p.data += -0.1 * p.grad
        first = loss.data if first is None else first
    assert isinstance(loss, Value)
    assert loss.data < 0.05 < first
    assert [round(y.data) for y in ypred] == [1, -1, -1, 1]


def test_lecture_neuron_call_with_plain_floats() -> None:
    x = [2.0, 3.0]
    n = nn.Neuron(2, activation="tanh", seed=0)
    out = n(x)
    assert isinstance(out, Value) and -1 < out.data < 1
    out.backward()
    assert all(p.grad != 0.0 for p in n.parameters())

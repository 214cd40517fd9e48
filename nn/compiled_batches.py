"""How :func:`nn.fit` runs the model on a batch: eagerly, or as one compiled program.

``fit(..., compile=True)`` traces the model once (:func:`autograd.compile`) and runs
each batch through the program: the outputs come back as Values (leaves), the loss and
any penalty are computed on them eagerly as always, and after ``backward()`` has put
d(loss)/d(output) into each output's ``.grad``, the program's reverse sweep adds the
model's part into the parameters' ``.grad``. The optimiser sees what it would have seen.

A trace follows the path the model took on the sample it was traced at. Before the
first step the program is checked against the model run eagerly on a few samples spread
over the data (:meth:`autograd.compiler.Program.check`), so a model that branches in
Python on ``.data`` fails with an error that says so, the weights unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import autograd
from autograd import Value

from ._checks import flag
from .layers import Dropout
from .module import Module

__all__ = ["CHECKED_SAMPLES", "batches"]

#: How many samples, spread over the data, fit checks a compiled model on.
CHECKED_SAMPLES = 8


class EagerBatches:
    """The model called on each sample: a graph per sample (the default)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def outputs(self, Xb: Sequence[Any]) -> list[Any]:
        return [self.model(x) for x in Xb]

    def backward(self, outputs: list[Any]) -> None:
        """Nothing to do: ``backward()`` reached the parameters through the graph."""


class CompiledBatches:
    """The model as one compiled program over each batch."""

    def __init__(self, model: Any, X: Sequence[Any], params: list[Value]) -> None:
        if isinstance(model, Module):
            for name, m in model.named_modules():
                if isinstance(m, Dropout) and m.p > 0:
                    raise ValueError(
                        f"fit(compile=True): the model has dropout{' at ' + name if name else ''}"
                        f" (p={m.p}), which draws a new mask at every call; a compiled "
                        f"program would repeat the one mask of its trace. Train it with "
                        f"compile=False")
        self.program = autograd.compile(model, (X[0],), params=params)
        n = len(X)
        picks = sorted({round(i * (n - 1) / max(1, CHECKED_SAMPLES - 1))
                        for i in range(min(n, CHECKED_SAMPLES))})
        self.program.check([X[i] for i in picks])
        self.single = self.program.trace.single
        self.run: Any = None

    def outputs(self, Xb: Sequence[Any]) -> list[Any]:
        self.run = self.program.forward(Xb)
        out = self.run.outputs.tolist()
        if self.single:
            return [Value(v) for v in out]
        return [[Value(v) for v in row] for row in out]

    def backward(self, outputs: list[Any]) -> None:
        """Add the model's part of the gradient, given d(loss)/d(output) in the outputs."""
        if self.single:
            seed = [o.grad for o in outputs]
        else:
            seed = [[o.grad for o in row] for row in outputs]
        self.run.backward(seed, input_grads=False)


def batches(model: Any, X: Sequence[Any], params: list[Value], compile: bool) -> Any:
    """The way fit runs the model on a batch (``compile``: one program for the batch)."""
    flag(compile, "fit(compile)")
    return CompiledBatches(model, X, params) if compile else EagerBatches(model)

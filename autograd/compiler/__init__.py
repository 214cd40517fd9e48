"""``autograd.compile``: trace a per-sample function once, run it and its reverse sweep on batches.

>>> import numpy as np
>>> from autograd import Value, compile
>>> w = Value(0.5, label='w')
>>> program = compile(lambda x: (w * x).tanh(), example_inputs=(1.0,))
>>> program(np.array([0.0, 1.0, 2.0])).round(4)
array([0.    , 0.4621, 0.7616])
>>> run = program.forward(np.array([0.0, 1.0, 2.0]))
>>> grad_x = run.backward()           # adds d(sum of outputs)/dw into w.grad
>>> round(w.grad, 4), grad_x.round(4)
(1.6264, array([0.5   , 0.3932, 0.21  ]))

The function takes Values and may close over parameters (a model's weights); the
program reads their ``.data`` afresh at each call and adds their gradients, summed
over the batch, into ``.grad``, so every optimiser works unchanged.

A trace is specialised to the path the function took at the example inputs: Python
``if``\\ s on ``.data`` were decided then, once. ``program.check(...)`` runs the function
eagerly on samples of your choice and raises TraceMismatchError where it differs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..engine import Value
from .errors import CompileError, TraceMismatchError
from .forward_source import write_forward
from .graph_rewrites import graph_of, simplify
from .grouping import plan
from .program import Program, Run
from .rows import Rows
from .tracing import trace

__all__ = ["CompileError", "Program", "Run", "TraceMismatchError", "compile"]


def compile(fn: Callable[..., Any], example_inputs: tuple[Any, ...], *,
            params: Sequence[Value] | None = None, fuse: bool = True) -> Program:
    """Trace ``fn`` once at ``example_inputs`` and compile it, and its reverse sweep, to
    NumPy code that runs on a whole batch.

    * ``fn``: a function of Values returning a Value or a list of Values, computed for
      one sample; it may close over parameters (a model: ``compile(model, ...)``).
    * ``example_inputs``: the arguments of one call, as a tuple: each a number, a Value
      or a flat list of them (``(x,)`` for a model of one input list ``x``). Labels of
      Values given here name the inputs in :attr:`Program.source`.
    * ``params``: the Values the program reads at every call and whose ``.grad`` it adds
      into; by default every leaf of the graph that is not an input. With a list, any
      other leaf is a constant, its value baked in at the trace.
    * ``fuse``: group nodes into array operations (one matrix product per layer, one
      ``np.where`` for a layer's ReLUs, sums of products as dots, common subexpressions
      once); ``False`` gives one array operation per node, the plainest source.

    Like ``torch.jit.trace`` the program follows the path ``fn`` took at the example
    inputs; check it with :meth:`Program.check`. A node made the lecture's way, with a
    ``_backward`` closure, cannot be compiled (CompileError): declare the op with
    :func:`autograd.defop` instead.
    """
    t = trace(fn, example_inputs, params)
    g = simplify(graph_of(t), fuse)
    rows = Rows(plan(g, t, fuse))
    return Program(fn, t, rows, write_forward(rows))

"""Replaying a trace eagerly on one sample, to raise the error the eager engine raises.

A compiled program notices that something may be wrong at some samples -- an input
outside an op's declared domain, a NaN or an infinity while detect_anomaly() is on --
and lets the eager engine decide: it rebuilds the traced graph from Values at each such
sample, in order, with copies of the parameters (so no ``.grad`` changes), and the
first op that fails raises its own error, DomainError, ZeroDivisionError or
AnomalyError, the same type and message as eager code would give, prefixed with the
sample's position in the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NoReturn

import numpy as np

from ..declaration import NARY
from ..engine import Value
from ..modes import detect_anomaly, enable_grad
from ..ops import dot
from .tracing import Trace

__all__ = ["build", "raise_first"]


def build(t: Trace, sample: Sequence[Sequence[float]], params: Sequence[float],
          anomaly: bool = False) -> tuple[list[Value], list[Value]]:
    """The traced graph from Values at one sample: (input leaves, outputs)."""
    nodes: list[Value] = []
    leaves: list[Value] = []
    block = detect_anomaly() if anomaly else enable_grad()
    with block:
        for n in t.nodes:
            if n.role == "input":
                v = Value(float(sample[n.arg][n.position]), label=n.label)
                leaves.append(v)
            elif n.role == "param":
                v = Value(float(params[n.param]), label=n.label)
            elif n.role == "const":
                v = Value(n.value, label=n.label)
            else:
                assert n.op is not None
                parents = [nodes[a] for a in n.args]
                v = n.op.apply(*parents) if n.op.kind is NARY or n.constant is None \
                    else n.op.apply(*parents, n.constant)
                if n.label:
                    v.label = n.label
            nodes.append(v)
    return leaves, [nodes[k] for k in t.outputs]


def _prefixed(exc: BaseException, position: int) -> BaseException:
    if exc.args and isinstance(exc.args[0], str):
        exc.args = (f"sample {position} of the batch: {exc.args[0]}", *exc.args[1:])
    return exc


def raise_first(t: Trace, arrays: Sequence[np.ndarray], params: Sequence[float],
                samples: Iterable[int], *, anomaly: bool = False,
                seed: np.ndarray | None = None) -> None:
    """Replay each sample in order; raise the first error the eager engine raises.

    ``arrays`` are the program's input arrays (a row per number, a column per sample).
    With ``seed`` (a row per output) the replay also runs backward() at each sample,
    inside detect_anomaly() when ``anomaly``. Returns if no sample raises.
    """
    for i in samples:
        sample = [a[:, i].tolist() for a in arrays]
        try:
            _, outputs = build(t, sample, params, anomaly=anomaly and seed is None)
            if seed is not None:
                s = [float(x) for x in seed[:, i]]
                root = outputs[0] if len(outputs) == 1 else \
                    dot([Value(x) for x in s], outputs)
                with detect_anomaly() if anomaly else enable_grad():
                    root.backward(s[0] if len(outputs) == 1 else 1.0)
        except (ArithmeticError, ValueError, TypeError) as exc:
            _raise(_prefixed(exc, i))


def _raise(exc: BaseException) -> NoReturn:
    raise exc.with_traceback(None) from None

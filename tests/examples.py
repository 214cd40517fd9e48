"""Small graphs several test modules draw, explain or print."""

from __future__ import annotations

import sys
from pathlib import Path

from autograd import Value, topological_order


def lecture() -> dict[str, Value]:
    """The lecture's first expression L = (a*b + c) * f, back-propagated; nodes by label."""
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    f = Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L.backward()
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "L": L}


def neuron() -> dict[str, Value]:
    """The lecture's neuron o = tanh(x1*w1 + x2*w2 + b) as demos/neuron.py builds it,
    back-propagated; every node by label."""
    demos = str(Path(__file__).resolve().parent.parent / "demos")
    if demos not in sys.path:
        sys.path.insert(0, demos)
    from neuron import lecture_neuron

    o, _ = lecture_neuron()
    return {v.label: v for v in topological_order(o, leaves=True)}

"""Small graphs several test modules draw, explain or print."""

from __future__ import annotations

from autograd import Value


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

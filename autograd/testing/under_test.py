"""The function under test: its arguments read as floats, and its values at moved points.

A gradient check calls the function many times at points next to the one it checks.
:func:`at_points` wraps it for that: the value at a point as a float, with the
argument ``i`` moved (:meth:`AtPoints.moving`), and a refusal
(:class:`~autograd.testing.edges.StepCrossesAnEdge`) where a step would take one
of the graph's nodes across a kink, pole or end of its op's domain, which a
numerical derivative must not straddle.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from ..engine import Value
from ..modes import enable_grad, no_grad
from .edges import Sides, StepCrossesAnEdge, constrained, crossing, sides

__all__ = ["AtPoints", "Function", "Number", "at_points", "checked_output", "read_arguments"]

Number = float | int
#: A function under test: Values in, one Value out.
Function = Callable[..., Value]


def read_arguments(args: Any, who: str) -> tuple[list[float], list[str]]:
    """The arguments as floats, and each one's label ('' if none)."""
    items = [args] if isinstance(args, (Value, int, float)) else args
    try:
        items = list(items)
    except TypeError:
        raise TypeError(
            f"{who}: args must be a sequence of numbers or Values, got {type(args).__name__}"
        ) from None
    xs, labels = [], []
    for i, a in enumerate(items):
        if isinstance(a, Value):
            x, label = a.data, a.label
        elif isinstance(a, (int, float)) and not isinstance(a, bool):
            x, label = float(a), ""
        else:
            raise TypeError(
                f"{who}: argument {i} is {type(a).__name__} {a!r}; expected a number or a Value"
            )
        if not math.isfinite(x):
            raise ValueError(f"{who}: argument {i} is {x!r}; the point must be finite")
        xs.append(x)
        labels.append(label)
    return xs, labels


def checked_output(out: Any, who: str) -> Value:
    if not isinstance(out, Value):
        raise TypeError(
            f"{who}: the function returned {type(out).__name__} {out!r}, expected a Value. "
            f"A function under test must build its result from its Value arguments "
            f"(a number computed from .data is a constant to the engine)."
        )
    return out


def value_at(f: Function, xs: Sequence[float], who: str) -> float:
    """``f`` at ``xs`` as a float, recording no graph."""
    with no_grad():
        out = checked_output(f(*[Value(x) for x in xs]), who)
    return out.data


def graph_at(f: Function, xs: Sequence[float], who: str) -> Value:
    """``f`` at ``xs`` with its graph recorded."""
    with enable_grad():
        return checked_output(f(*[Value(x) for x in xs]), who)


class AtPoints:
    """``f`` near a point ``xs``, refusing points where a node crossed an edge.

    Where no node of the graph at ``xs`` reads an input between edges (no kink, pole
    or domain end to keep to one side of), values are taken without recording a graph.
    """

    def __init__(self, f: Function, xs: Sequence[float], who: str) -> None:
        self.f, self.xs, self.who = f, list(xs), who
        leaves = [Value(x) for x in self.xs]
        with enable_grad():
            out = checked_output(f(*leaves), who)
        self.value = out.data
        self.reference: Sides = sides(out)
        self.guarded = constrained(self.reference)
        #: For each argument, the size of the values that round when it moves, and the
        #: size of the terms its derivative sums (for numerical second derivatives).
        self.scales, self.gradient_scales = rounding_scales(out, leaves)

    def check(self, point: Sequence[float], out: Value) -> None:
        """StepCrossesAnEdge if the graph ``out`` (of ``f`` at ``point``) crossed an edge."""
        why = crossing(self.reference, sides(out))
        if why is not None:
            raise StepCrossesAnEdge(f"at {list(point)!r}, {why}")

    def at(self, point: Sequence[float]) -> float:
        """The value at ``point``."""
        if not self.guarded:
            return value_at(self.f, point, self.who)
        out = graph_at(self.f, point, self.who)
        self.check(point, out)
        return out.data

    def moving(self, i: int) -> Callable[[float], list[float]]:
        """``t -> [f(xs with argument i at t)]``, for a numerical derivative (its values
        round like values as large as ``scales[i]``)."""
        xs = self.xs

        def g(t: float) -> list[float]:
            return [self.at([*xs[:i], t, *xs[i + 1:]])]

        return g

    def guard(self, point: Sequence[float]) -> None:
        """StepCrossesAnEdge if ``f`` at ``point`` has a node across an edge (for
        numerical derivatives of something else computed from ``f``, such as its gradient)."""
        if self.guarded:
            self.check(point, graph_at(self.f, point, self.who))


def rounding_scales(out: Value, leaves: Sequence[Value]) -> tuple[list[float], list[float]]:
    """For each leaf, how large the values are whose rounding reaches ``out`` when the leaf
    moves: the sum, over the nodes that depend on it, of |node value| times the sum over
    paths to ``out`` of the products of |local derivative|; and how large the terms are
    that its derivative sums (that sum over paths itself, for the leaf: d/dx of
    x - x * 2**(-x / 2) is -1 + 1 + ..., which rounds like 1 however small it is).

    ``1 - (1 + sqrt(x))`` at x = 1e-30 is 1e-15, but it passes through 1, whose rounding
    (2e-16) is all a numerical derivative sees: the noise must be reckoned from 1, not
    from 1e-15. The local derivatives are the engine's; a wrong one can only make this
    larger or smaller by its own factor, which makes a check noisier (refused sooner),
    never looser than the noise it reports. Nodes a leaf does not reach round alike on
    both sides of a step and cancel.
    """
    from ..engine import topological_order

    order = topological_order(out)
    adjoint: dict[int, float] = {id(out): 1.0}
    for node in reversed(order):
        a = adjoint.get(id(node), 0.0)
        if not a:
            continue
        try:
            local = node.local_grads()
        except Exception:  # a node of your own whose derivative fails here: no scale
            return [abs(out.data)] * len(leaves), [0.0] * len(leaves)
        for p, d in zip(node._prev, local):
            d = abs(float(d))
            if math.isfinite(d):
                adjoint[id(p)] = adjoint.get(id(p), 0.0) + a * d
    reach: dict[int, int] = {id(leaf): 1 << i for i, leaf in enumerate(leaves)}
    scales = [abs(out.data)] * len(leaves)
    for node in order:
        mask = 0
        for p in node._prev:
            mask |= reach.get(id(p), 0)
        reach[id(node)] = mask
        term = adjoint.get(id(node), 0.0) * abs(node.data)
        if node is out or not term or not math.isfinite(term):
            continue
        for i in range(len(leaves)):
            if mask >> i & 1:
                scales[i] += term
    return scales, [adjoint.get(id(leaf), 0.0) for leaf in leaves]


def at_points(f: Function, xs: Sequence[float], who: str) -> AtPoints:
    """``f`` around ``xs``, for numerical derivatives."""
    return AtPoints(f, xs, who)

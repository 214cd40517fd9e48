"""Where a graph's nodes read their inputs, next to the edges of their ops' domains.

An *edge* is a finite end of a :class:`~autograd.Domain`, a pole or a kink
(``Domain.edges``): a numerical derivative taken over a step that reaches one
measures something else than the slope at the point. :func:`sides` records on which
side of its edges every node input of a graph lies, so that a moved point can be
refused where one crossed (:mod:`autograd.testing.under_test`);
:func:`distance_to_edge` and :func:`edge_note` serve the checks of single nodes and
the messages.
"""

from __future__ import annotations

import bisect
import math
from functools import lru_cache

from ..declaration import Op
from ..domains import Domain
from ..engine import Value, topological_order

inf = math.inf

__all__ = ["Sides", "StepCrossesAnEdge", "distance_to_edge", "edge_note", "sides"]


class StepCrossesAnEdge(ArithmeticError):
    """Raised by a function under test at a moved point where one of its nodes reads an
    input on the other side of a kink, pole or end of its op's domain than at the point
    itself: a difference over that step says nothing about the slope at the point."""

#: For each op node of a graph, in topological order: its op, and for each input the
#: index of the interval between its domain's edges the input lies in (None where the
#: domain has no edges, or the input is exactly on one: no side to keep).
Sides = tuple[tuple[Op, tuple[int | None, ...]], ...]


@lru_cache(maxsize=1024)
def _edges(op: Op, slot: int, constant: float | None) -> tuple[float, ...]:
    return op.domain_of(slot, constant).edges


def _position(x: float, edges: tuple[float, ...]) -> int | None:
    if not edges or x in edges:
        return None
    return bisect.bisect(edges, x)


def sides(out: Value) -> Sides:
    """On which side of its op's edges each node input of ``out``'s graph lies."""
    found = []
    for node in topological_order(out):
        op = node.primitive
        if op is None:
            continue
        c = node.constant
        found.append((op, tuple(_position(p.data, _edges(op, j, c))
                                for j, p in enumerate(node._prev))))
    return tuple(found)


def constrained(reference: Sides) -> bool:
    """Whether any node input of a graph lies between edges (a step could cross one)."""
    return any(p is not None for _, positions in reference for p in positions)


def crossing(reference: Sides, moved: Sides) -> str | None:
    """What crossed an edge between the graph at a point and at a moved point (None:
    nothing did). A graph of another shape (the function took another branch) counts."""
    if len(moved) != len(reference):
        return f"the graph has {len(moved)} op nodes there instead of {len(reference)}"
    for k, ((op, at), (op2, there)) in enumerate(zip(reference, moved)):
        if op2 is not op or len(there) != len(at):
            return f"op node {k} is {op2.name} there instead of {op.name}"
        for j, (a, b) in enumerate(zip(at, there)):
            if a is not None and a != b:
                return f"input {j} of op node {k} ({op.name}) crosses an edge of its domain"
    return None


def distance_to_edge(op: Op, slot: int, x: float,
                     c: float | None = None) -> tuple[float, float | None]:
    """How far ``x`` is from the nearest end, kink or pole of the input's domain, and which."""
    best, where = inf, None
    for point in _edges(op, slot, c):
        if abs(x - point) < best:
            best, where = abs(x - point), point
    return best, where


def edge_note(op: Op, slot: int, x: float, within: float, c: float | None = None) -> str:
    """A note for a message when ``x`` lies within ``within`` of an edge ('' otherwise)."""
    dist, point = distance_to_edge(op, slot, x, c)
    if point is None or dist > within:
        return ""
    d: Domain = op.domain_of(slot, c)
    why = d.note or f"the edge of its domain {d}"
    return (
        f"input {slot} = {x!r} is {dist:.3g} from {point:g}, where {op.name} is not "
        f"smooth ({why}), so a numerical derivative there means little"
    )

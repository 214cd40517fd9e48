"""How far a gradient suite reached: the inputs each op was checked at, against its range.

A suite that draws inputs only near 1 passes a derivative that is wrong beyond 8, or
below 0.01, or for negative inputs. :class:`Reach` records every op input of the
expressions a suite checked (:meth:`Reach.record`) and measures, for each op and input
and each side of 0, the smallest and largest magnitude checked, and how close to each
edge of the domain (end, pole, kink) on each side; :meth:`Reach.shortfalls` names where
that falls short of the range :func:`~autograd.testing.op_ranges.input_range` finds.

>>> from autograd.testing.strategies import applications
>>> from hypothesis import given, settings
>>> reach = Reach()
>>> @settings(max_examples=200, database=None, derandomize=True)
... @given(applications("exp"))
... def test(node):
...     reach.record(node)
>>> test()
>>> reach.shortfalls(["exp"])
[]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..declaration import NARY, Op
from .graphs import Expression, forward, resolve_op
from .op_ranges import InputRange, input_range, typical_constant

inf = math.inf

__all__ = ["Reach"]

#: How far inside the range a suite may stop: within a factor of 2 of its end, or within
#: 5% of the octaves the range spans from 1 (50 of the 1,000 from 1 to 1e-300: 1e-285),
#: whichever is wider.
SLACK_OCTAVES, SLACK_SHARE = 1.0, 0.05


def _short_of(got: float, end: float, other_end: float) -> bool:
    """Whether ``got`` stops short of the range's ``end`` (the range runs from
    ``other_end`` to ``end``, in magnitudes)."""
    span = abs(math.log2(end) - math.log2(other_end))
    slack = max(SLACK_OCTAVES, SLACK_SHARE * span)
    return abs(math.log2(got) - math.log2(end)) > slack and (
        (got < end) == (end > other_end))


@dataclass
class _Extent:
    """The magnitudes checked on one side of 0, and the closest approach to each edge."""

    smallest: float = inf
    largest: float = 0.0
    count: int = 0

    def add(self, m: float) -> None:
        self.smallest, self.largest = min(self.smallest, m), max(self.largest, m)
        self.count += 1


@dataclass
class _InputReach:
    op: Op
    slot: int
    sides: dict[float, _Extent] = field(default_factory=dict)  # by sign
    edges: dict[tuple[float, float], float] = field(default_factory=dict)  # (edge, side) -> dist


def _sign(x: float) -> float:
    return math.copysign(1.0, x)


def _short(x: float) -> str:
    return f"{x:.3g}"


class Reach:
    """The op inputs a suite checked, measured against each op's range."""

    def __init__(self) -> None:
        self._inputs: dict[tuple[str, int], _InputReach] = {}

    def __len__(self) -> int:
        return sum(e.count for r in self._inputs.values() for e in r.sides.values())

    def record(self, expr: Expression) -> None:
        """Every op input of ``expr`` at its point (call it once the check passed)."""
        slots = list(expr.point)
        for step in expr.steps:
            xs = [slots[a] for a in step.args]
            for j, x in enumerate(xs):
                self.record_input(step.op, j, x, step.constant)
            slots.append(forward(step.op, xs, step.constant))

    def record_input(self, op: Op, slot: int, x: float, constant: float | None = None) -> None:
        """One input ``x`` of ``op`` (input ``slot``, at ``constant``). For an op with a
        constant, only inputs at its typical one count: the range is measured there (the
        range of x ** c moves with c)."""
        if not math.isfinite(x) or (op.kind.constant and constant != typical_constant(op)):
            return
        slot = 0 if op.kind is NARY else slot
        entry = self._inputs.setdefault((op.name, slot), _InputReach(op, slot))
        if x != 0.0:
            entry.sides.setdefault(_sign(x), _Extent()).add(abs(x))
        for e in op.domain_of(slot, constant).edges:
            if x != e:
                key = (e, _sign(x - e))
                entry.edges[key] = min(entry.edges.get(key, inf), abs(x - e))

    def ops(self) -> set[str]:
        return {name for name, _ in self._inputs}

    def _targets(self, names: Iterable[str] | None) -> list[tuple[str, int, InputRange]]:
        chosen = self.ops() if names is None else set(names)
        found: list[tuple[str, int, InputRange]] = []
        for name in sorted(chosen):
            op = resolve_op(name)
            slots = 1 if op.kind is NARY else op.kind.arity or 1
            found.extend((name, j, input_range(op, j)) for j in range(slots))
        return found

    def shortfalls(self, names: Iterable[str] | None = None) -> list[str]:
        """Where the inputs checked fall short of each op's range (of ``names``, by default
        every op recorded): a side never checked, a largest magnitude below the range's, a
        smallest (or a closest distance to an edge) above it, by more than a factor of 2
        or 5% of the octaves the range spans."""
        found: list[str] = []
        for name, slot, target in self._targets(names):
            entry = self._inputs.get((name, slot))
            where = f"{name} input {slot}"
            if entry is None:
                found.append(f"{where}: never checked")
                continue
            for side in target.sides:
                got = entry.sides.get(side.sign)
                at = "x < 0" if side.sign < 0 else "x > 0"
                if got is None:
                    found.append(f"{where}: never checked at {at}")
                    continue
                one = min(max(1.0, side.smallest), side.largest)  # where everyday values are
                if _short_of(got.largest, side.largest, one):
                    found.append(f"{where}: largest |x| checked at {at} is "
                                 f"{_short(got.largest)}, the range reaches {_short(side.largest)}")
                if _short_of(got.smallest, side.smallest, one):
                    found.append(f"{where}: smallest |x| checked at {at} is "
                                 f"{_short(got.smallest)}, the range reaches "
                                 f"{_short(side.smallest)}")
            for edge in target.edges:
                for sign, closest in ((-1.0, edge.below), (1.0, edge.above)):
                    if closest is None:
                        continue
                    got_d = entry.edges.get((edge.point, sign), inf)
                    if got_d == inf or _short_of(got_d, closest, 1.0):
                        found.append(
                            f"{where}: closest to the {edge.kind} at {edge.point:g} from "
                            f"{'below' if sign < 0 else 'above'} is {_short(got_d)}, the range "
                            f"reaches {_short(closest)}")
        return found

    def report(self, names: Iterable[str] | None = None) -> list[str]:
        """One line per op input (at its typical constant, ``@ 2``, for an op with one): per
        side the magnitudes checked (and the range's, after 'of'), and the closest approach
        to each edge from each side."""
        lines = []
        for name, slot, target in self._targets(names):
            entry = self._inputs.get((name, slot))
            if entry is None:
                lines.append(f"{name}[{slot}]: not checked")
                continue
            parts = []
            for side in target.sides:
                got = entry.sides.get(side.sign)
                sign = "-" if side.sign < 0 else "+"
                have = (f"{_short(got.smallest)}..{_short(got.largest)}" if got else "none")
                parts.append(f"{sign}: {have} of {_short(side.smallest)}..{_short(side.largest)}")
            for edge in target.edges:
                near = [f"{'<' if s < 0 else '>'}{_short(entry.edges.get((edge.point, s), inf))}"
                        for s, d in ((-1.0, edge.below), (1.0, edge.above)) if d is not None]
                parts.append(f"{edge.kind} {edge.point:g} at {' '.join(near)}")
            counts = sum(e.count for e in entry.sides.values())
            at = "" if target.constant is None else f" @ {target.constant:g}"
            lines.append(f"{name}[{slot}]{at} ({counts}): " + "; ".join(parts))
        return lines

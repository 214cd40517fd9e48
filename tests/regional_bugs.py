"""Derivatives wrong in one region only, for the regional negative controls.

:func:`break_in_region` makes an op's derivative wrong where the node's inputs lie in a
region (beyond 8, below 0.01, negative, just beside a kink or pole) and right elsewhere,
in ``backward()`` and in the functional API alike: doubled, or 0.5 where it is 0 (relu
below 0), or flipped in sign. A suite that still passes with one of these in place
does not look where that region is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from autograd import Op, Value
from autograd.declare import node_class_of
from autograd.ops import OPS
from autograd.testing.op_ranges import input_range

Region = Callable[[Op, Sequence[float], Any], bool]


def _edges(op: Op, slot: int, c: Any) -> tuple[float, ...]:
    d = op.domain_of(slot, c)
    return tuple(sorted(set(d.kinks) | set(d.poles)))


REGIONS: dict[str, Region] = {
    "beyond 8": lambda op, xs, c: any(abs(x) > 8 for x in xs),
    "below 0.01": lambda op, xs, c: any(0 < abs(x) < 0.01 for x in xs),
    "negative": lambda op, xs, c: any(x < 0 for x in xs),
    "beside a kink or pole": lambda op, xs, c: any(
        0 < abs(x - e) < 0.01 for j, x in enumerate(xs) for e in _edges(op, j, c)),
}


def doubled(d: Any) -> Any:
    """Twice the derivative; 0.5 where it is 0 (twice 0 would be right)."""
    if isinstance(d, Value):
        return 2 * d
    return 2 * d if d != 0 else 0.5


def flipped(d: Any) -> Any:
    return -d


def break_in_region(monkeypatch: pytest.MonkeyPatch, op: Op, region: Region,
                    wrong: Callable[[Any], Any] = doubled) -> None:
    """``op``'s derivatives replaced by ``wrong(d)`` at nodes whose inputs are in
    ``region``, in _backward() and local_grads() (first and higher orders)."""
    cls = node_class_of(op)
    local_grads = cls.local_grads

    def inside(node: Value) -> bool:
        return region(op, [p.data for p in node._prev], node.constant)

    def _local_grads(self: Value, symbolic: bool = False) -> list[Any]:
        found = local_grads(self, symbolic)
        return [wrong(d) for d in found] if inside(self) else found

    def _backward(self: Value) -> None:
        for p, d in zip(self._prev, _local_grads(self)):
            p.grad += d * self.grad

    monkeypatch.setattr(cls, "local_grads", _local_grads)
    monkeypatch.setattr(cls, "_backward", _backward)


def applies(op: Op, name: str) -> bool:
    """Whether ``op`` has inputs in region ``name`` where a derivative check means
    something (log has no negative inputs; exp nothing beside a kink or pole)."""
    region = REGIONS[name]
    for slot in range(1 if op.arity < 0 else op.arity):
        r = input_range(op, slot)
        if name == "beside a kink or pole":
            if _edges(op, slot, r.constant):
                return True
            continue
        for side in r.sides:
            for m in (side.smallest, 0.005, 1.0, 9.0, side.largest):
                if side.smallest <= m <= side.largest and region(op, [side.sign * m], r.constant):
                    return True
    return False


GRID = [(op, name) for op in OPS for name in REGIONS if applies(op, name)]
GRID_IDS = [f"{op.name}-{name.replace(' ', '-')}" for op, name in GRID]

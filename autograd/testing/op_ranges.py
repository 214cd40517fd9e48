"""How far an op's input reaches: the magnitudes where a derivative check means something.

A :class:`~autograd.Domain` says where an op is defined; it does not say where its
value overflows (``exp`` above 709.78), where its slope drowns in rounding (``tanh``
beyond about 14, whose slope of 1e-11 is below what a value of 1 can show), or how
close to a pole a derivative stays finite (``1 / x`` below 1e-154). These are found
here by probing the op's *forward* function alone -- its numerical derivative, never
the op's own ``deriv``, so that a wrong derivative cannot narrow the range it is
tested on.

:func:`input_range` gives, for one input of an op (at a constant, for an op with
one), each :class:`Side` of 0 the domain has: the smallest and largest magnitude
where the numerical derivative of the forward function is finite and resolves a
factor of 2 (or is exactly 0 throughout, as ``relu`` below 0), and where the value
stops being finite; and for each edge of the domain (finite end, pole, kink) the
closest distance on each side. The strategies draw from these ranges
(:func:`autograd.testing.strategies.op_inputs`), and
:class:`~autograd.testing.reach.Reach` measures drawn inputs against them.

>>> from autograd.ops import BY_NAME
>>> [(s.sign, s.smallest, round(s.largest)) for s in input_range(BY_NAME["exp"]).sides]
[(-1.0, 1e-300, 708), (1.0, 1e-300, 700)]
>>> [round(s.largest, 1) for s in input_range(BY_NAME["tanh"]).sides]
[13.8, 13.8]
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..declaration import NARY, Op
from ..domains import Domain
from .graphs import forward, input_counts
from .numerical import NumericalDerivativeError, derivative, step_for

__all__ = ["EdgeReach", "InputRange", "Side", "input_range", "typical_constant"]

#: The smallest magnitude drawn: tiny, and still a normal float with room below it for
#: a step.
TINY = 1e-300
HUGE = sys.float_info.max
# Each bisection halves an interval of log2-magnitudes; 20 of them narrow 1030 octaves
# (1 to 1e308) to a thousandth of one.
_BISECTIONS = 20
# A numerical derivative resolves a factor of 2 when its noise is below a quarter of it
# (what check_grads asks, see comparison.swamped, with room to spare).
_RESOLVES = 4.0


@dataclass(frozen=True)
class Side:
    """The magnitudes on one side of 0 (``sign``) where a derivative check means something.

    ``smallest`` and ``largest`` bound them; ``finite`` is the largest magnitude where
    the op's value is finite (above ``largest`` for ``tanh``, whose slope drowns first).
    ``flat``: the derivative is exactly 0 there (``relu`` below 0), which any nonzero
    engine derivative contradicts.
    """

    sign: float
    smallest: float
    largest: float
    finite: float
    flat: bool = False

    def __contains__(self, x: float) -> bool:
        return math.copysign(1.0, x) == self.sign and self.smallest <= abs(x) <= self.largest


@dataclass(frozen=True)
class EdgeReach:
    """An edge of the domain (end, pole or kink) and, on each side where the op is
    defined, the closest distance at which a derivative check still means something."""

    point: float
    kind: str  # 'end', 'pole' or 'kink'
    below: float | None  # None: the op is not defined just below
    above: float | None


@dataclass(frozen=True)
class InputRange:
    """Where input ``slot`` of ``op`` is worth drawing (at ``constant``, for an op with one).

    ``others`` are the values the other inputs were held at while probing.
    """

    op: Op
    slot: int
    constant: float | None
    domain: Domain
    sides: tuple[Side, ...]
    edges: tuple[EdgeReach, ...]
    others: tuple[float, ...]

    def side(self, sign: float) -> Side | None:
        return next((s for s in self.sides if s.sign == sign), None)


def _inside(domain: Domain, prefer: float = 1.5) -> float:
    """A point well inside ``domain``: ``prefer`` if it is, else one between its edges."""
    if prefer in domain:
        return prefer
    lo = domain.lo if math.isfinite(domain.lo) else min(domain.hi, 0.0) - 2.0
    hi = domain.hi if math.isfinite(domain.hi) else max(domain.lo, 0.0) + 2.0
    points = sorted({lo, hi, *domain.exclude})
    a, b = max(zip(points, points[1:]), key=lambda ab: ab[1] - ab[0])
    return (a + b) / 2


def typical_constant(op: Op) -> float | None:
    """The constant the probes use for an op with one: its default, else 2 (an integer, so
    that ``x ** c`` is defined at negative x), else a point inside the constant's domain."""
    if op.param is None:
        return None
    if op.param_default is not None:
        return op.param_default
    return 2.0 if 2.0 in op.param else _inside(op.param)


class _Probe:
    """The op's forward function along input ``slot``, the other inputs held."""

    def __init__(self, op: Op, slot: int, constant: float | None, others: Sequence[float]):
        self.op, self.slot, self.c = op, slot, constant
        self.others = list(others)
        self.domain = op.domain_of(slot, constant)

    def value(self, x: float) -> float | None:
        xs = [*self.others[: self.slot], x, *self.others[self.slot:]]
        try:
            y = forward(self.op, xs, self.c)
        except (ValueError, ArithmeticError, OverflowError):
            return None
        return y if math.isfinite(y) else None

    def state(self, x: float) -> str:
        """'slope' where the numerical derivative resolves a factor of 2, 'flat' where it is
        exactly 0, '' where there is nothing to check (undefined, not finite, drowned)."""
        y = self.value(x) if self.domain.defines(x) else None
        if y is None or 0 < abs(y) < sys.float_info.min:  # a subnormal value has lost digits
            return ""
        edges = [abs(x - e) for e in self.domain.edges]
        reach = min(edges) / 4 if edges else math.inf
        if reach == 0:
            return ""

        def g(t: float) -> list[float]:
            y = self.value(t)
            if y is None:
                raise ArithmeticError("not finite")
            return [y]

        try:
            e = derivative(g, x, min(step_for(x, 1e-4), reach), max_step=reach, rtol=1e-5)
        except NumericalDerivativeError:
            return ""
        n, noise = e.values[0], e.noise[0]
        if n == 0.0:
            return "flat"
        # A subnormal slope has lost most of its digits (x ** -3.9 at 1e66); one within
        # a few powers of 10 of overflowing may overflow in the engine's intermediate
        # steps although it is finite itself (c * x ** (c - 1) at x ** c ~ 1e308).
        return "slope" if (e.settled and abs(n) > _RESOLVES * noise
                           and sys.float_info.min <= abs(n) <= HUGE / 1e4) else ""


def _bisect(good: float, bad: float, ok: object) -> float:
    """The last magnitude from ``good`` towards ``bad`` (in log scale) where ``ok`` holds."""
    assert callable(ok)
    for _ in range(_BISECTIONS):
        middle = math.sqrt(good) * math.sqrt(bad)
        if middle in (good, bad):
            break
        if ok(middle):
            good = middle
        else:
            bad = middle
    return good


def _side(probe: _Probe, sign: float) -> Side | None:
    d = probe.domain
    low, high = (max(d.lo, 0.0), d.hi) if sign > 0 else (max(-d.hi, 0.0), -d.lo)
    if not low < high:
        return None
    # The magnitudes inside the open interval (low, high), and between TINY and HUGE.
    bottom = TINY if low < TINY else math.nextafter(low, math.inf)
    top = HUGE if high > HUGE else math.nextafter(high, 0.0)
    if not bottom < top:
        return None
    start = min(max(1.0, bottom), top) if math.isinf(high) else math.sqrt(bottom) * math.sqrt(top)
    kind = probe.state(sign * start)
    if not kind:
        return None

    def same(m: float) -> bool:
        return probe.state(sign * m) == kind

    def finite(m: float) -> bool:
        return probe.value(sign * m) is not None

    largest = top if same(top) else _bisect(start, top, same)
    finite_top = top if finite(top) else _bisect(start, top, finite)
    smallest = bottom if same(bottom) else _bisect(start, bottom, same)
    return Side(sign, smallest, largest, max(finite_top, largest), kind == "flat")


def _closest(probe: _Probe, point: float, direction: float, kind: str) -> float | None:
    """The closest distance from ``point`` (an edge) in ``direction`` where the probe still
    finds ``kind`` (a slope, or flat) as it does further away."""
    far = min(1.0, max(abs(point), 1.0))
    for _ in range(3):
        if probe.state(point + direction * far) == kind:
            break
        far /= 16
    else:
        return None
    spacing = math.ulp(point) * 16 if point else TINY

    def ok(d: float) -> bool:
        x = point + direction * d
        return x != point and probe.state(x) == kind

    near = max(spacing, TINY)
    return near if ok(near) else _bisect(far, near, ok)


def _edges(probe: _Probe, sides: tuple[Side, ...]) -> tuple[EdgeReach, ...]:
    d = probe.domain

    def kind(x: float) -> str:
        side = next((s for s in sides if s.sign == math.copysign(1.0, x)), None)
        return "flat" if side is not None and side.flat else "slope"

    found = []
    for e in d.edges:
        what = "kink" if e in d.kinks else "pole" if e in d.poles else "end"
        below, above = math.nextafter(e, -math.inf), math.nextafter(e, math.inf)
        found.append(EdgeReach(
            e, what,
            _closest(probe, e, -1.0, kind(below)) if d.defines(below) else None,
            _closest(probe, e, 1.0, kind(above)) if d.defines(above) else None,
        ))
    return tuple(found)


@lru_cache(maxsize=2048)
def _input_range(op: Op, slot: int, constant: float | None) -> InputRange:
    count = input_counts(op)[0] if op.kind is NARY else op.kind.arity or 1
    count = max(count, slot + 1)
    others = tuple(_inside(op.domain_of(j, constant)) for j in range(count) if j != slot)
    probe = _Probe(op, slot, constant, others)
    sides = tuple(s for s in (_side(probe, -1.0), _side(probe, 1.0)) if s is not None)
    return InputRange(op, slot, constant, probe.domain, sides, _edges(probe, sides), others)


def input_range(op: Op, slot: int = 0, constant: float | None = None) -> InputRange:
    """Where input ``slot`` of ``op`` is worth drawing, found by probing its forward function
    (the other inputs held inside their domains; an op with a constant at ``constant``, by
    default :func:`typical_constant`). Cached: an op is probed once per constant."""
    if not op.kind.constant:
        return _input_range(op, slot, None)
    if constant is None:
        constant = typical_constant(op)
    if constant is not None and not float(constant).is_integer():
        # Probed at the constant to 2 digits: the ranges move little with it, and each
        # probe costs a few hundred evaluations.
        constant = float(f"{constant:.2g}")
    return _input_range(op, slot, None if constant is None else float(constant))

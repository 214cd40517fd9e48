"""Hypothesis strategies for numbers: reals inside a domain, an op's constants, and an
op's inputs across its whole range.

:func:`reals` draws floats inside a :class:`~autograd.Domain`, kept ``margin`` away
from its kinks, poles and open ends. :func:`constants` draws an op's constant: small
integers (so that ``x ** 2`` and ``x ** 3`` are defined at negative x), halves, its
default and any value of its domain. :func:`op_inputs` draws input ``slot`` of an op
from the range :func:`~autograd.testing.op_ranges.input_range` finds for it: both
signs where the domain has them, magnitudes from tiny (1e-300, or wherever the
derivative stops being finite, 1e-154 for ``1 / x``) to where the value overflows or
the slope drowns in rounding (709.78 for ``exp``, about 13 for ``tanh``), points just
either side of each kink, pole and domain end, and everyday values most of the time.

>>> from hypothesis import given
>>> @given(op_inputs("exp"))
... def test_exp(x):
...     assert -1e300 < x < 709.8
>>> test_exp()
"""

from __future__ import annotations

import math
from functools import lru_cache

from hypothesis import strategies as st

from ..declaration import NARY, Op
from ..domains import REALS, Domain
from ..engine import Value
from .graphs import resolve_op
from .op_ranges import InputRange, Side, input_range, typical_constant

__all__ = ["constants", "inside", "op_inputs", "reals", "spread", "values"]


def inside(x: float, domain: Domain, margin: float = 0.0, bound: float = math.inf) -> bool:
    """True when ``x`` lies in ``domain`` at least ``margin`` from its ends and excluded points,
    and ``|x| <= bound``."""
    return (
        math.isfinite(x)
        and abs(x) <= bound
        and domain.lo + margin <= x <= domain.hi - margin
        and x in domain
        and all(abs(x - e) >= margin for e in domain.exclude)
    )


def _away(point: float, margin: float, direction: float) -> float:
    """``point + direction * margin``, nudged so that it is at least ``margin`` from ``point``
    once rounded (1.0 + 0.001 is 0.000999... from 1.0)."""
    x = point + direction * margin
    while abs(x - point) < margin:
        x = math.nextafter(x, direction * math.inf)
    return x


def _check_range(min_value: float, max_value: float, margin: float, who: str) -> None:
    for name, v in (("min_value", min_value), ("max_value", max_value), ("margin", margin)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or math.isnan(v):
            raise TypeError(f"{who}: {name} must be a real number, got {v!r}")
    if not (math.isfinite(min_value) and math.isfinite(max_value)):
        raise ValueError(f"{who}: the range must be finite, got [{min_value!r}, {max_value!r}]")
    if min_value > max_value:
        raise ValueError(f"{who}: min_value {min_value!r} is above max_value {max_value!r}")
    if margin < 0:
        raise ValueError(f"{who}: margin must be >= 0, got {margin!r}")


@lru_cache(maxsize=4096)
def reals(
    min_value: float = -10.0,
    max_value: float = 10.0,
    *,
    domain: Domain | None = None,
    margin: float = 0.01,
) -> st.SearchStrategy[float]:
    """Finite floats in ``[min_value, max_value]`` and inside ``domain``.

    Drawn values stay at least ``margin`` away from the domain's open ends and
    from its excluded points (kinks and poles), so that a numerical derivative
    taken there does not straddle one. ValueError when nothing is left.

    >>> from autograd.ops import POSITIVE
    >>> s = reals(-5, 5, domain=POSITIVE, margin=0.1)   # floats in [0.1, 5]
    """
    _check_range(min_value, max_value, margin, "reals")
    domain = domain or REALS
    # Pieces [a, b] with flags saying whether an end is itself excluded.
    lo, lo_open = min_value, False
    if domain.lo + margin >= lo:
        lo, lo_open = _away(domain.lo, margin, 1.0), margin == 0
    hi, hi_open = max_value, False
    if domain.hi - margin <= hi:
        hi, hi_open = _away(domain.hi, margin, -1.0), margin == 0
    pieces = [(lo, hi, lo_open, hi_open)]
    for e in sorted(domain.exclude):
        split = []
        for a, b, a_open, b_open in pieces:
            if e + margin < a or e - margin > b or (margin == 0 and not a <= e <= b):
                split.append((a, b, a_open, b_open))
                continue
            split.append((a, _away(e, margin, -1.0), a_open, margin == 0))
            split.append((_away(e, margin, 1.0), b, margin == 0, b_open))
        pieces = split
    parts = []
    for a, b, a_open, b_open in pieces:
        if a < b:
            parts.append(
                st.floats(a, b, exclude_min=a_open, exclude_max=b_open, allow_nan=False)
            )
        elif a == b and not (a_open or b_open):
            parts.append(st.just(float(a)))
    if not parts:
        raise ValueError(
            f"reals: no number in [{min_value!r}, {max_value!r}] lies in {domain} "
            f"at least {margin!r} from its ends and excluded points"
        )
    return parts[0] if len(parts) == 1 else st.one_of(parts)


def values(
    min_value: float = -10.0,
    max_value: float = 10.0,
    *,
    domain: Domain | None = None,
    margin: float = 0.01,
    label: str = "",
) -> st.SearchStrategy[Value]:
    """Leaf Values whose data are drawn by :func:`reals` (same arguments), with ``label``."""
    return reals(min_value, max_value, domain=domain, margin=margin).map(
        lambda x: Value(x, label=label)
    )


@lru_cache(maxsize=1024)
def constants(op: Op | str, bound: float = 4.0, margin: float = 0.05
              ) -> st.SearchStrategy[float]:
    """The constant of an op that takes one (``c`` in ``x ** c``), inside its domain: small
    integers and halves in ``[-bound, bound]`` (where the domain has any), any value in
    between at least ``margin`` from the domain's ends and excluded points, and most often
    :func:`~autograd.testing.op_ranges.typical_constant` (the default, else 2)."""
    op = resolve_op(op)
    if op.param is None:
        raise ValueError(f"{op.name} takes no constant")
    d = op.param
    k = int(bound)
    nice = [i / 2 for i in range(-2 * k, 2 * k + 1) if i / 2 in d]
    integers = [c for c in nice if c.is_integer()]
    # Not a subnormal c: c / x would have no slope a check could see.
    any_c = reals(-bound, bound, domain=d, margin=margin).filter(lambda c: c == 0 or abs(c) > 1e-6)
    choices: list[st.SearchStrategy[float]] = [any_c] * 2
    if integers:
        choices += [st.sampled_from(integers)] * 2
    if nice:
        choices.append(st.sampled_from(nice))
    typical = typical_constant(op)  # the one op_ranges and Reach measure against
    if typical is not None:
        choices += [st.just(float(typical))] * 2
    return st.one_of(choices)


# How often each band is drawn (a band is a list entry: sampled_from weights by count).
# Everyday magnitudes (1/64 to 64) most often; the whole range in log scale; the top
# (within a factor 2 of where the value overflows or the slope drowns); the bottom (the
# ten octaves above the smallest magnitude); next to an edge that is not 0 (edges at 0
# are the bottom band's).
_BANDS = ("everyday", "everyday", "everyday", "whole", "top", "top", "bottom", "bottom", "edge")
_EVERYDAY = (-6.0, 6.0)  # log2 of the everyday magnitudes


def _log2(m: float) -> float:
    return math.log2(m)


def _magnitude(draw: st.DrawFn, side: Side, band: str) -> float:
    lo, hi = _log2(side.smallest), _log2(side.largest)
    if band == "top":
        return draw(st.floats(max(side.smallest, side.largest / 2), side.largest))
    if band == "bottom":
        u = draw(st.floats(lo, min(hi, lo + 10.0)))
    elif band == "everyday" and max(lo, _EVERYDAY[0]) < min(hi, _EVERYDAY[1]):
        u = draw(st.floats(max(lo, _EVERYDAY[0]), min(hi, _EVERYDAY[1])))
    else:
        u = draw(st.floats(lo, hi))
    try:
        m = 2.0**u
    except OverflowError:  # log2 of the largest float, rounded up
        m = side.largest
    return min(max(m, side.smallest), side.largest)


def _next_to_an_edge(draw: st.DrawFn, r: InputRange) -> float | None:
    near = [(e.point, sign, d) for e in r.edges if e.point != 0.0
            for sign, d in ((-1.0, e.below), (1.0, e.above)) if d is not None]
    if not near:
        return None
    point, sign, closest = draw(st.sampled_from(near))
    u = draw(st.floats(_log2(closest), 0.0))
    x = point + sign * 2.0**u
    return x if x != point and x in r.domain else None


@lru_cache(maxsize=4096)
def spread(r: InputRange) -> st.SearchStrategy[float]:
    """Floats across the range ``r`` (see the module docstring); everyday values where the
    range is empty (nowhere does the op have a slope a check could see)."""
    if not r.sides:  # nowhere a slope shows (c / x for a subnormal c): everyday values
        return reals(-4.0, 4.0, domain=r.domain, margin=0.05)

    @st.composite
    def draw_spread(draw: st.DrawFn) -> float:
        band = draw(st.sampled_from(_BANDS))
        if band == "edge":
            x = _next_to_an_edge(draw, r)
            if x is not None:
                return x
            band = "whole"
        side = draw(st.sampled_from(r.sides))
        x = side.sign * _magnitude(draw, side, band)
        if x not in r.domain:  # exactly on a kink: the other side's closest point instead
            x = side.sign * side.smallest
        return x

    return draw_spread()


def op_inputs(op: Op | str, slot: int = 0, constant: float | None = None
              ) -> st.SearchStrategy[float]:
    """Input ``slot`` of ``op`` (at ``constant``, for an op with one) across its whole range."""
    op = resolve_op(op)
    if op.kind is NARY:
        slot = 0  # one domain for all inputs (and dot's weights and inputs alike)
    return spread(input_range(op, slot, constant))

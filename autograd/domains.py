"""Where an op is defined, and where it is smooth.

A :class:`Domain` describes one input of an op: the open interval ``(lo, hi)`` where the
op is defined, its *poles* (points inside where it is not defined, such as 0 for 1/x)
and its *kinks* (points where it is defined but not differentiable, such as 0 for relu).
The testing toolkit draws inputs across the whole defined range, close to each end, pole
and kink on both sides but never on them; documentation and error messages read the rest.

>>> d = Domain(kinks=(0.0,), note="kink: relu'(0) = 0")
>>> -1.0 in d, 0.0 in d, d.defines(0.0)
(True, False, True)
>>> str(POSITIVE), str(NONZERO)
('(0, inf)', '(-inf, inf) without 0 (pole)')
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["NONZERO", "POSITIVE", "REALS", "Domain", "UNIT_INTERVAL"]

inf = math.inf


@dataclass(frozen=True)
class Domain:
    """The inputs an op accepts: ``lo < x < hi``, minus ``poles``; smooth except at ``kinks``.

    ``x in domain`` is True where the op is defined *and* smooth (where a numerical
    derivative can be compared with the engine's); :meth:`defines` where it is defined.
    ``note`` says in words what happens at the poles and kinks.
    """

    lo: float = -inf
    hi: float = inf
    kinks: tuple[float, ...] = ()
    poles: tuple[float, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        for name in ("lo", "hi"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
                raise TypeError(f"Domain({name}=...) needs a number, got {value!r}")
        if not self.lo < self.hi:
            raise ValueError(f"Domain needs lo < hi, got lo={self.lo!r}, hi={self.hi!r}")
        for name in ("kinks", "poles"):
            points = getattr(self, name)
            if not isinstance(points, tuple) or not all(
                isinstance(p, (int, float)) and not isinstance(p, bool) and self.lo < p < self.hi
                for p in points
            ):
                raise ValueError(
                    f"Domain({name}=...) needs a tuple of numbers inside ({self.lo}, "
                    f"{self.hi}), got {points!r}"
                )

    def defines(self, x: object) -> bool:
        """Whether the op is defined at ``x`` (kinks included)."""
        return (isinstance(x, (int, float)) and self.lo < x < self.hi
                and x not in self.poles)

    def __contains__(self, x: object) -> bool:
        """Whether the op is defined and smooth at ``x``."""
        return self.defines(x) and x not in self.kinks

    @property
    def exclude(self) -> tuple[float, ...]:
        """The points inside ``(lo, hi)`` where the op is not smooth: poles and kinks."""
        return tuple(sorted(set(self.poles) | set(self.kinks)))

    @property
    def edges(self) -> tuple[float, ...]:
        """Every finite point where something happens: the ends, poles and kinks, sorted."""
        ends = tuple(e for e in (self.lo, self.hi) if math.isfinite(e))
        return tuple(sorted(set(ends) | set(self.exclude)))

    def __str__(self) -> str:
        lo = "-inf" if self.lo == -inf else f"{self.lo:g}"
        hi = "inf" if self.hi == inf else f"{self.hi:g}"
        text = f"({lo}, {hi})"
        if self.poles:
            text += " without " + ", ".join(f"{x:g}" for x in self.poles) + " (pole)"
        if self.kinks:
            text += ", kink at " + ", ".join(f"{x:g}" for x in self.kinks)
        return text


REALS = Domain()
POSITIVE = Domain(lo=0.0)
NONZERO = Domain(poles=(0.0,), note="pole at 0")
UNIT_INTERVAL = Domain(lo=0.0, hi=1.0)

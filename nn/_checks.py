"""Argument checks and seeding shared by the ``nn`` modules.

Every public constructor and function validates its arguments with these
helpers, so a bad argument gets the same kind of message everywhere: what was
expected, and the value that was received.
"""

from __future__ import annotations

import math
import numbers
import random
from typing import Any

Seed = int | random.Random | None


def as_rng(seed: Seed, what: str = "seed") -> random.Random:
    """A private ``random.Random`` for ``seed``; never the global random state.

    An int seeds a new generator, a ``random.Random`` is used as is (and
    advances), ``None`` makes a new generator seeded from the operating system.
    """
    if seed is None:
        return random.Random()
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{what} needs an int, a random.Random or None, got {type(seed).__name__} {seed!r}"
        )
    return random.Random(int(seed))


def is_real(x: Any) -> bool:
    """True for an int, float or NumPy-like real scalar (never a bool)."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and not _is_numpy_bool(x)


def _is_numpy_bool(x: Any) -> bool:
    return type(x).__name__ == "bool" and type(x).__module__ == "numpy"


def real(x: Any, what: str) -> float:
    """``x`` as a finite float, or a TypeError / ValueError naming ``what`` and the value."""
    if not is_real(x):
        raise TypeError(f"{what} needs a real number, got {type(x).__name__} {preview(x)}")
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return value


def positive(x: Any, what: str) -> float:
    """A finite float > 0."""
    value = real(x, what)
    if value <= 0:
        raise ValueError(f"{what} must be > 0, got {value!r}")
    return value


def non_negative(x: Any, what: str) -> float:
    """A finite float >= 0."""
    value = real(x, what)
    if value < 0:
        raise ValueError(f"{what} must be >= 0, got {value!r}")
    return value


def in_range(x: Any, what: str, lo: float, hi: float, *, hi_open: bool = False) -> float:
    """A finite float in [lo, hi] (or [lo, hi) with ``hi_open``)."""
    value = real(x, what)
    if value < lo or value > hi or (hi_open and value == hi):
        bracket = ")" if hi_open else "]"
        raise ValueError(f"{what} must be in [{lo:g}, {hi:g}{bracket}, got {value!r}")
    return value


def integer(x: Any, what: str, minimum: int = 1) -> int:
    """An int >= ``minimum`` (bools and floats are rejected)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{what} needs an int, got {type(x).__name__} {preview(x)}")
    value = int(x)
    if value < minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {value}")
    return value


def choice(x: Any, what: str, options: tuple[str, ...]) -> str:
    """One of ``options``, or a ValueError listing them."""
    if x not in options:
        shown = ", ".join(repr(o) for o in options)
        raise ValueError(f"{what} must be one of {shown}, got {x!r}")
    return str(x)


def preview(x: Any) -> str:
    """``repr(x)``, cut to 60 characters for error messages."""
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."

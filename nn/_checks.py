"""Argument checks, value previews and seeding shared by the ``nn`` modules.

What counts as a number, and how a value is shortened in a message, come from
:mod:`autograd.real_numbers`, so nn and the engine answer alike.

Every public constructor and function validates its arguments with these
functions, so a bad argument gets the same kind of message everywhere: what was
expected, and the value that was received (a short :func:`preview` of it).
"""

from __future__ import annotations

import math
import numbers
import random
from typing import Any

from autograd import Value
from autograd.real_numbers import is_real, preview

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
            f"{what} needs an int, a random.Random or None, got {typed(seed)}"
        )
    return random.Random(int(seed))


def real(x: Any, what: str) -> float:
    """``x`` as a finite float, or a TypeError / ValueError naming ``what`` and the value."""
    if not is_real(x):
        raise TypeError(f"{what} needs a real number, got {typed(x)}")
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
        raise TypeError(f"{what} needs an int, got {typed(x)}")
    value = int(x)
    if value < minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {value}")
    return value


def unit_interval(x: Any, what: str) -> float:
    """A finite float in [0, 1]."""
    return in_range(x, what, 0.0, 1.0)


def flag(x: Any, what: str) -> bool:
    """True or False (not 1, 0 or None), or a TypeError naming ``what``."""
    if not isinstance(x, bool):
        raise TypeError(f"{what} needs True or False, got {typed(x)}")
    return x


def choice(x: Any, what: str, options: tuple[str, ...]) -> str:
    """One of ``options``, or a ValueError listing them."""
    if x not in options:
        shown = ", ".join(repr(o) for o in options)
        raise ValueError(f"{what} must be one of {shown}, got {preview(x)}")
    return str(x)


def bad_number(name: str, slot: str, number: Any, where: str) -> str:
    """The message for a parameter whose ``.data`` or ``.grad`` is not a real number."""
    if isinstance(number, Value):
        if slot == "data":
            fix = ("update it with numbers: write `w.data -= lr * w.grad` "
                   "(or `w.data = (w - lr * w.grad).data`)")
        else:
            fix = ("gradients are plain numbers that backward() adds up: set one with a "
                   "number (`w.grad = 0.0`), or take a Value's number (`w.grad = v.data`)")
        return f"{where}: {name}.{slot} holds a Value, {preview(number)}; {fix}"
    return (f"{where}: {name}.{slot} holds {typed(number)}; a parameter's {slot} must be a "
            f"real number (int or float)")


def clip(text: str, limit: int = 300) -> str:
    """Someone else's message (an exception's text) cut to ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def typed(x: Any) -> str:
    """``"str 'abc'"``: the type's name and a :func:`preview` of the value."""
    return f"{type(x).__name__} {preview(x)}"

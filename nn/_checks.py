"""Argument checks, value previews and seeding shared by the ``nn`` modules.

Every public constructor and function validates its arguments with these
functions, so a bad argument gets the same kind of message everywhere: what was
expected, and the value that was received (a short :func:`preview` of it).
"""

from __future__ import annotations

import math
import numbers
import random
import reprlib
from typing import Any

from autograd import Value

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


def is_real(x: Any) -> bool:
    """True for an int, float or NumPy-like real scalar (never a bool)."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and not _is_numpy_bool(x)


def _is_numpy_bool(x: Any) -> bool:
    return type(x).__name__ == "bool" and type(x).__module__ == "numpy"


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


# Bounded work whatever the value: a 3-million-item list shows its first items, a
# megabyte string its ends, a nested config its first levels.
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxtuple, _SHORT.maxdict = 3, 6, 6, 4
_SHORT.maxset = _SHORT.maxfrozenset = _SHORT.maxdeque = _SHORT.maxarray = 6
_SHORT.maxstring, _SHORT.maxlong, _SHORT.maxother = 60, 40, 60

#: The longest echo of a user's value in an error message.
PREVIEW = 60


def preview(x: Any, limit: int = PREVIEW) -> str:
    """``repr(x)`` cut to ``limit`` characters, for echoing a user's value in an error message.

    Every message in ``nn`` that shows a value it was given goes through here, so a
    huge value (a 3-million-item list, a 1 MB string, an int of 10,000 digits)
    makes a short message, at a cost that does not grow with the value.

    >>> preview(list(range(3_000_000)))
    '[0, 1, 2, 3, 4, 5, ...]'
    >>> preview('x' * 10**6)[:20]
    "'xxxxxxxxxxxxxxxxxxx"
    """
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 128:
        # str() of a huge int is slow and, past 4300 digits, an error of its own.
        text = f"<an int of about {round(x.bit_length() * 0.30103):,} digits>"
    else:
        try:
            text = _SHORT.repr(x)
        except Exception:  # a repr that fails must not hide the error being reported
            text = f"<{type(x).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


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

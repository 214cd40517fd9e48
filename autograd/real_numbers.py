"""What counts as a number: the checks every entry point (``Value(...)``, an operand, a
constant, ``backward(gradient)``, nn's hyper-parameters) shares.

A real number is an ``int``, a ``float`` or a NumPy scalar; booleans are refused (they are
almost always a mistake), and so is a Value where a plain number is needed. Messages name
what was received, shortened by :func:`preview`.

>>> real(3, "Value(data)")
3.0
>>> real(True, "lr")
Traceback (most recent call last):
...
TypeError: lr needs a real number, got a bool (True); booleans are almost always a mistake ...
"""

from __future__ import annotations

import numbers
import reprlib
from typing import Any

__all__ = ["constant", "is_real", "preview", "real"]

#: Longest repr an error message echoes (see :func:`preview`).
PREVIEW_LIMIT = 60

# Bounded work whatever the value: a 3-million-item list shows its first items, a
# megabyte string its ends, a nested config its first levels.
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxtuple, _SHORT.maxdict = 3, 6, 6, 4
_SHORT.maxset = _SHORT.maxfrozenset = _SHORT.maxdeque = _SHORT.maxarray = 6
_SHORT.maxstring, _SHORT.maxlong, _SHORT.maxother = 60, 40, 60


def preview(x: Any, limit: int = PREVIEW_LIMIT) -> str:
    """``repr(x)`` cut to ``limit`` characters, for echoing a user's value in an error message.

    Every message that shows a value it was given goes through here, so a huge value
    (a 3-million-item list, a 1 MB string, an int of 10,000 digits) makes a short
    message, at a cost that does not grow with the value.

    >>> preview(list(range(3_000_000)))
    '[0, 1, 2, 3, 4, 5, ...]'
    """
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 128:
        # str() of a huge int is slow and, past 4300 digits, an error of its own.
        text = f"<an int of about {round(x.bit_length() * 0.30103):,} digits>"
    else:
        try:
            text = _SHORT.repr(x)
        except Exception:  # noqa: BLE001 - a failing repr must not hide the real error
            text = f"<{type(x).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_bool(x: Any) -> bool:
    t = type(x)
    return t is bool or (t.__module__ == "numpy" and t.__name__ in ("bool", "bool_"))


def is_real(x: Any) -> bool:
    """True for an int, a float or a NumPy scalar of either, and not for a bool."""
    t = type(x)
    if t is float or t is int:
        return True
    return isinstance(x, numbers.Real) and not _is_bool(x)


def _describe_non_real(x: Any) -> str:
    """Why ``x`` is not a real number, and what to do: the end of a TypeError message."""
    if _is_bool(x):
        return (f"a bool ({x!r}); booleans are almost always a mistake here -- pass 1.0 or "
                f"0.0 if you mean a number")
    if hasattr(x, "data") and hasattr(x, "grad") and hasattr(x, "backward"):  # a Value
        return (f"a Value ({preview(x)}); use its number, v.data, or keep it a Value and "
                f"use the Value's own operators")
    if hasattr(x, "__array__") and hasattr(x, "shape"):
        shape = getattr(x, "shape", None)
        if shape == ():
            return (f"a 0-d array ({preview(x)}); pass float(a) -- a plain number -- "
                    f"instead")
        return (f"an array of shape {shape}; chainrule's Values are scalars: make one Value "
                f"per element, or evaluate a whole batch with autograd.compile")
    return f"{type(x).__name__} {preview(x)}"


def real(x: Any, what: str) -> float:
    """``x`` as a float, or a TypeError (OverflowError for a huge int) that names ``what``."""
    t = type(x)
    if t is float:
        return x
    if is_real(x):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(
                f"{what} got {preview(x)}, which is too large for a float (the largest is "
                f"about 1.8e308); scale the problem down, or pass float('inf') if you mean it"
            ) from None
    if _is_bool(x):
        raise TypeError(f"{what} needs a real number, got {_describe_non_real(x)}")
    raise TypeError(
        f"{what} needs a real number (int, float or NumPy scalar), got {_describe_non_real(x)}"
    )


# Small int constants become shared floats, so ``y + 1`` allocates no float per node
# (24 bytes a node) and its arithmetic stays float + float (the fast path).
_SMALL_INTS = 256
_SMALL_FLOATS = [float(i) for i in range(-_SMALL_INTS, _SMALL_INTS + 1)]


def constant(x: Any) -> float | None:
    """A plain-number operand (the 2 in ``x * 2``) as a float; ``None`` for anything that
    is not a number, so an operator can return NotImplemented. An array is an error that
    says what to do: NumPy would otherwise answer with a message about ufuncs."""
    t = type(x)
    if t is float:
        return x
    if t is int and -_SMALL_INTS <= x <= _SMALL_INTS:
        return _SMALL_FLOATS[x + _SMALL_INTS]
    if is_real(x):
        return real(x, "a constant operand")
    if hasattr(x, "__array__") and hasattr(x, "shape") and not hasattr(x, "backward"):
        raise TypeError(f"a Value cannot be combined with {_describe_non_real(x)}")
    return None

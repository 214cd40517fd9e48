"""Reading an op's formula as source code: :class:`Expr`, a stand-in for an array.

A compiled program is straight-line NumPy source, and its lines come from the op
declarations themselves: an op's ``array_forward`` or ``deriv`` is called once with
Exprs in place of arrays, and what it does to them is recorded as text. The mul
op's derivative ``lambda a, b, out: (b, a)`` gives ``t4`` and ``t3``; relu's
``step(x, 0.0)`` reaches NumPy's ``np.where`` and gives ``np.where(t2 > 0, 1.0, 0.0)``.
A function that branches on a value (``if x > 0``), converts it to a float or does
anything else an Expr cannot record raises :class:`Unrenderable`, and the program
calls that function by its name instead. Either way the line is what runs.

>>> a, b = Expr('t3'), Expr('t4')
>>> text(-a * (1.0 / b) + a ** 2.0)
'-t3 * (1.0 / t4) + t3 ** 2.0'
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["Expr", "Unrenderable", "as_text", "literal", "text"]

# Python's operator precedence, loosest first: what needs parentheses where.
COMPARE, OR, AND, SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 4, 6, 7, 8, 9, 10

# NumPy ufuncs that are Python operators (the text reads as arithmetic).
_BINARY_UFUNCS = {
    "add": ("+", SUM), "subtract": ("-", SUM), "multiply": ("*", PRODUCT),
    "divide": ("/", PRODUCT), "true_divide": ("/", PRODUCT), "power": ("**", POWER),
    "matmul": ("@", PRODUCT), "less": ("<", COMPARE), "less_equal": ("<=", COMPARE),
    "greater": (">", COMPARE), "greater_equal": (">=", COMPARE), "equal": ("==", COMPARE),
    "not_equal": ("!=", COMPARE), "bitwise_and": ("&", AND), "bitwise_or": ("|", OR),
}
_UFUNC_NAMES = {"absolute": "abs", "fabs": "abs"}  # np.abs reads better than np.absolute


class Unrenderable(TypeError):
    """The function did something an Expr cannot record (a branch, a conversion)."""


def literal(x: Any) -> Expr:
    """A plain number as source: ``2.0``, ``-0.5``, ``np.inf``, ``np.nan``."""
    if isinstance(x, bool):
        return Expr(repr(x))
    if isinstance(x, numbers.Integral):
        return Expr(repr(int(x)), ATOM if int(x) >= 0 else UNARY)
    if isinstance(x, numbers.Real):
        x = float(x)
        if math.isnan(x):
            return Expr("np.nan")
        if math.isinf(x):
            return Expr("np.inf" if x > 0 else "-np.inf", ATOM if x > 0 else UNARY)
        return Expr(repr(x), ATOM if x >= 0 and repr(x)[0].isdigit() else UNARY)
    raise Unrenderable(f"cannot write {type(x).__name__} {x!r} as source")


def as_expr(x: Any) -> Expr:
    return x if isinstance(x, Expr) else literal(x)


def as_text(x: Any) -> str:
    """An argument as source: an Expr, a number, or a list or tuple of them."""
    if isinstance(x, Expr):
        return x.text
    if isinstance(x, list):
        return "[" + ", ".join(as_text(v) for v in x) + "]"
    if isinstance(x, tuple):
        return "(" + ", ".join(as_text(v) for v in x) + ("," if len(x) == 1 else "") + ")"
    if x is None or isinstance(x, str):
        return repr(x)
    return literal(x).text


def text(x: Any) -> str:
    """Same as :func:`as_text`: an Expr (or number) as source."""
    return as_text(x)


def call(name: str, *args: Any, **kwargs: Any) -> Expr:
    parts = [as_text(a) for a in args] + [f"{k}={as_text(v)}" for k, v in kwargs.items()]
    return Expr(f"{name}({', '.join(parts)})")


def _wrap(e: Expr, needs: int, strict: bool = False) -> str:
    """``e``'s text, in parentheses if it binds looser than ``needs`` (or as loose, when
    ``strict``: the right side of ``a - (b - c)``, and of ``a + (b + c)`` too, since the
    order of floating-point additions matters)."""
    if e.prec < needs or (strict and e.prec == needs):
        return f"({e.text})"
    return e.text


def binary(symbol: str, prec: int, a: Any, b: Any) -> Expr:
    a, b = as_expr(a), as_expr(b)
    if prec == POWER:  # right-associative, and binds tighter than a unary minus on its left
        return Expr(f"{_wrap(a, POWER, strict=True)} ** {_wrap(b, POWER)}", POWER)
    if prec == COMPARE:  # comparisons would chain: a < b < c
        return Expr(f"{_wrap(a, COMPARE + 1)} {symbol} {_wrap(b, COMPARE + 1)}", COMPARE)
    return Expr(f"{_wrap(a, prec)} {symbol} {_wrap(b, prec, strict=True)}", prec)


class Expr:
    """A value of a compiled program, standing for an array in an op's formula.

    ``text`` is its source; ``prec`` how tightly it binds. ``length`` is set for the
    stacked inputs of an n-ary op (``len(xs)``). Arithmetic, comparisons, ``abs``,
    NumPy's ufuncs and functions, and the methods the functions of
    :mod:`autograd.elementary` call (``exp``, ``log``, ``sin``, ``cos``, ``sigmoid``)
    give new Exprs; anything that needs an actual value raises :class:`Unrenderable`.
    """

    __slots__ = ("text", "prec", "length")
    __hash__ = object.__hash__

    def __init__(self, text: str, prec: int = ATOM, length: int | None = None) -> None:
        self.text = text
        self.prec = prec
        self.length = length

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"

    # --- arithmetic ------------------------------------------------------------------

    def __add__(self, o: Any) -> Expr:
        return binary("+", SUM, self, o)

    def __radd__(self, o: Any) -> Expr:
        return binary("+", SUM, o, self)

    def __sub__(self, o: Any) -> Expr:
        return binary("-", SUM, self, o)

    def __rsub__(self, o: Any) -> Expr:
        return binary("-", SUM, o, self)

    def __mul__(self, o: Any) -> Expr:
        return binary("*", PRODUCT, self, o)

    def __rmul__(self, o: Any) -> Expr:
        return binary("*", PRODUCT, o, self)

    def __truediv__(self, o: Any) -> Expr:
        return binary("/", PRODUCT, self, o)

    def __rtruediv__(self, o: Any) -> Expr:
        return binary("/", PRODUCT, o, self)

    def __pow__(self, o: Any) -> Expr:
        return binary("**", POWER, self, o)

    def __rpow__(self, o: Any) -> Expr:
        return binary("**", POWER, o, self)

    def __matmul__(self, o: Any) -> Expr:
        return binary("@", PRODUCT, self, o)

    def __neg__(self) -> Expr:
        return Expr(f"-{_wrap(self, UNARY)}", UNARY)

    def __pos__(self) -> Expr:
        return self

    def __abs__(self) -> Expr:
        return call("abs", self)

    def __and__(self, o: Any) -> Expr:
        return binary("&", AND, self, o)

    def __or__(self, o: Any) -> Expr:
        return binary("|", OR, self, o)

    def __invert__(self) -> Expr:
        return Expr(f"~{_wrap(self, UNARY)}", UNARY)

    def __lt__(self, o: Any) -> Expr:
        return binary("<", COMPARE, self, o)

    def __le__(self, o: Any) -> Expr:
        return binary("<=", COMPARE, self, o)

    def __gt__(self, o: Any) -> Expr:
        return binary(">", COMPARE, self, o)

    def __ge__(self, o: Any) -> Expr:
        return binary(">=", COMPARE, self, o)

    def __eq__(self, o: Any) -> Expr:  # type: ignore[override]
        return binary("==", COMPARE, self, o)

    def __ne__(self, o: Any) -> Expr:  # type: ignore[override]
        return binary("!=", COMPARE, self, o)

    # --- what elementary's functions call on a non-number --------------------------------

    def exp(self) -> Expr:
        return call("np.exp", self)

    def log(self) -> Expr:
        return call("np.log", self)

    def sin(self) -> Expr:
        return call("np.sin", self)

    def cos(self) -> Expr:
        return call("np.cos", self)

    def tanh(self) -> Expr:
        return call("np.tanh", self)

    def sigmoid(self) -> Expr:
        return call("sigmoid", self)  # elementary.sigmoid: the stable form, on arrays

    # --- NumPy ---------------------------------------------------------------------------

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method != "__call__" or kwargs:
            raise Unrenderable(f"np.{ufunc.__name__}.{method} with {sorted(kwargs)}")
        name = ufunc.__name__
        if name in _BINARY_UFUNCS and len(inputs) == 2:
            symbol, prec = _BINARY_UFUNCS[name]
            return binary(symbol, prec, *inputs)
        if name == "negative":
            return -as_expr(inputs[0])
        if name in _UFUNC_NAMES:
            return call(_UFUNC_NAMES[name], *inputs)
        return call(f"np.{name}", *inputs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return call(f"np.{func.__name__}", *args, **kwargs)

    # --- what an Expr cannot do -------------------------------------------------------------

    def __bool__(self) -> bool:
        raise Unrenderable("the function branches on a value")

    def __len__(self) -> int:
        if self.length is None:
            raise Unrenderable("len() of a single value")
        return self.length

    def __iter__(self) -> Any:
        raise Unrenderable("the function iterates over the inputs one by one")

    def __float__(self) -> float:
        raise Unrenderable("the function converts a value to a float")

    def __index__(self) -> int:
        raise Unrenderable("the function uses a value as an index")

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise Unrenderable("the function converts a value to an array")

    def __getattr__(self, name: str) -> Any:
        # Any other attribute (.data, .shape, .sum): the function needs a real array.
        raise AttributeError(name)


def render(fn: Any, args: list[Any]) -> Any:
    """``fn(*args)`` with Exprs among ``args``: Exprs, numbers, or lists/tuples of them.

    Raises :class:`Unrenderable` when the function needs actual values, and when the
    result holds anything but Exprs and numbers.
    """
    try:
        result = fn(*args)
    except Unrenderable:
        raise
    except Exception as exc:  # a math function refusing an Expr, an attribute it lacks...
        raise Unrenderable(f"{type(exc).__name__}: {exc}") from None
    _check_result(result)
    return result


def _check_result(x: Any) -> None:
    if isinstance(x, (list, tuple)):
        for item in x:
            _check_result(item)
    elif not isinstance(x, Expr) and not (isinstance(x, numbers.Real)
                                          and not isinstance(x, bool)):
        raise Unrenderable(f"the result holds {type(x).__name__}")

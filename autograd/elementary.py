"""Functions for writing derivatives once: on floats, on Values, and on NumPy arrays.

An op's ``deriv`` is called with floats by ``backward()``, with the nodes themselves
when a derivative must be differentiable again (``grad(grad(f))``, ``hessian``) and
with arrays by a compiled program. ``+ - * / **`` work on all three; for the rest use
these instead of :mod:`math`: a float goes to :mod:`math`, a Value to its method (so
the derivative becomes part of the graph), anything else to NumPy (an array's own
``.data`` is a buffer, so a Value is told apart by its type, not by that attribute).

>>> from autograd import Value
>>> from autograd.elementary import exp
>>> exp(0.0), exp(Value(0.0)).data
(1.0, 1.0)
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .engine import Value

__all__ = ["cos", "dlogsumexp", "dpow_dbase", "dpow_dexponent", "dsigmoid", "dtanh", "exp", "log",
           "power", "recip", "sigmoid", "sin", "step"]

inf = math.inf


def is_number(x: Any) -> bool:
    """A plain number (not a Value, not an array)."""
    t = type(x)
    return t is float or t is int or isinstance(x, numbers.Real)


def _numpy() -> Any:
    import numpy

    return numpy


def stable_exp(x: float) -> float:
    """e ** x on a float; +inf instead of OverflowError."""
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def stable_sigmoid(x: float) -> float:
    """1 / (1 + e ** -x) on a float, finite for any x."""
    if x >= 0:
        return 1.0 / (1.0 + stable_exp(-x))
    e = stable_exp(x)
    return e / (1.0 + e)


def periodic(f: Any) -> Any:
    """sin or cos with NaN at +-inf (IEEE's answer), where math raises ValueError."""

    def g(x: float) -> float:
        return f(x) if -inf < x < inf else math.nan

    g.__name__ = f.__name__
    return g


_sin, _cos = periodic(math.sin), periodic(math.cos)


# One dispatch per function (float -> math, Value -> its method, else NumPy): alike on
# purpose, each short enough to read at a glance.
def exp(x: Any) -> Any:
    if is_number(x):
        return stable_exp(x)
    return x.exp() if hasattr(x, "exp") else _numpy().exp(x)


def log(x: Any) -> Any:
    if is_number(x):
        return math.log(x)
    return x.log() if hasattr(x, "log") else _numpy().log(x)


def sin(x: Any) -> Any:
    if is_number(x):
        return _sin(x)
    return x.sin() if hasattr(x, "sin") else _numpy().sin(x)


def cos(x: Any) -> Any:
    if is_number(x):
        return _cos(x)
    return x.cos() if hasattr(x, "cos") else _numpy().cos(x)


def sigmoid(x: Any) -> Any:
    if is_number(x):
        return stable_sigmoid(x)
    return x.sigmoid() if hasattr(x, "sigmoid") else _numpy_sigmoid(x)


def _numpy_sigmoid(x: Any) -> Any:
    np = _numpy()
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def dsigmoid(x: Any, out: Any) -> Any:
    """sigmoid'(x) = sigmoid(x) * sigmoid(-x).

    Where ``out <= 0.5``, ``out * (1 - out)`` is exact enough and cheapest. Above,
    1 - out cancels (at x = 37 it gives 0 where the true slope is 8.5e-17), so the
    slope is e / (1 + e)**2 with e = exp(-|x|), which keeps full relative precision.
    """
    if type(out) is float or is_number(out):  # floats first: the hot path
        if out <= 0.5:
            return out * (1.0 - out)
        e = math.exp(-abs(x))
        return e / ((1.0 + e) * (1.0 + e))
    if isinstance(out, Value):
        if out.data <= 0.5:
            return out * (1.0 - out)
        return out * sigmoid(-x)
    low = out <= 0.5  # the operands first: an object that refuses them imports nothing
    np = _numpy()
    e = np.exp(-np.abs(x))
    return np.where(low, out * (1.0 - out), e / ((1.0 + e) * (1.0 + e)))


def dtanh(x: Any, out: Any) -> Any:
    """tanh'(x) = 1 - tanh(x)**2, with full relative precision for large |x|.

    Near |tanh| = 1, 1 - out**2 cancels (relative error 1e-4 at x = 15), so there the
    slope is 4 e / (1 + e)**2 with e = exp(-2|x|) (as Values, 4 sigmoid(2x) sigmoid(-2x)),
    which is the same function, evaluated stably.
    """
    if type(out) is float or is_number(out):  # floats first: the hot path
        if -0.9 < out < 0.9:
            return 1.0 - out * out
        e = math.exp(-2.0 * abs(x))
        return 4.0 * e / ((1.0 + e) * (1.0 + e))
    if isinstance(out, Value):
        if -0.9 < out.data < 0.9:
            return 1.0 - out * out
        return 4.0 * (2.0 * x).sigmoid() * (-2.0 * x).sigmoid()
    tail = -2.0 * abs(x)  # the operands first: an object that refuses them imports nothing
    np = _numpy()
    e = np.exp(tail)
    return np.where(np.abs(out) < 0.9, 1.0 - out * out, 4.0 * e / ((1.0 + e) * (1.0 + e)))


def recip(x: Any) -> Any:
    """1/x; a float zero gives a signed infinity (the limit), not an exception."""
    if is_number(x):
        return 1.0 / x if x else math.copysign(inf, x)
    return 1.0 / x


def power(x: Any, k: Any) -> Any:
    """x**k for a derivative formula; 0**negative is +inf as a limit."""
    if is_number(x) and is_number(k):
        if x == 0 and k < 0:
            return inf
        try:
            return float(x**k)
        except OverflowError:
            return inf if x > 0 or float(k) % 2 == 0 else -inf
    return x**k


def dpow_dexponent(base: Any, out: Any) -> Any:
    """d/db base**b = base**b * log(base); 0 at base 0 (PyTorch's limit), NaN below 0."""
    b = base.data if isinstance(base, Value) else base
    if is_number(b):
        if b > 0:
            return out * log(base)
        return 0.0 if b == 0 else math.nan
    positive = base > 0  # the operands first: an object that refuses them imports nothing
    np = _numpy()
    safe = np.where(positive, base, 1.0)
    return np.where(positive, out * np.log(safe), np.where(base == 0, 0.0, np.nan))


def dpow_dbase(base: Any, k: Any) -> Any:
    """d/dx x**k = k * x**(k-1); exactly 0 for k == 0, even at x == 0."""
    if is_number(k):
        return 0.0 if k == 0 else k * power(base, k - 1)
    if isinstance(k, Value):  # the derivative is part of the graph
        return k * power(base, k - 1)
    # Arrays: where k == 0, k * 0**-1 would be 0 * inf = NaN. The operands first: an
    # object that refuses them (a probe of the declaration) imports nothing.
    zero, slope = k == 0, k * power(base, k - 1)
    return _numpy().where(zero, 0.0, slope)


def step(x: Any, below: Any = 0.0) -> Any:
    """Slope of a kinked function: 1 for x > 0, else ``below`` (PyTorch's choice at 0)."""
    if is_number(x) or isinstance(x, Value):
        return 1.0 if x > 0 else below
    above = x > 0  # the operand first: an object that refuses it imports nothing
    return _numpy().where(above, 1.0, below)


def dlogsumexp(xs: Any, out: Any) -> list[Any]:
    """d logsumexp / d x_i = e**(x_i - m) / sum_j e**(x_j - m), m the largest x: a softmax.

    ``e**(x_i - out)`` is the same in exact arithmetic, but ``out`` rounds once the inputs
    are large (at 1e16, log 2 is below the spacing of floats, so two equal inputs would get
    1 each instead of 0.5); shifting by m keeps full precision. Where m is not finite the
    plain form gives IEEE's answer (0 for the others beside an infinite input).
    """
    if all(is_number(x) for x in xs):
        m = max(xs)
        if not math.isfinite(m):
            return [stable_exp(x - out) for x in xs]
        e = [stable_exp(x - m) for x in xs]
        total = math.fsum(e)
        return [v / total for v in e]
    if all(isinstance(x, Value) for x in xs):
        m = max(x.data for x in xs)  # a constant: the shift changes no derivative
        if not math.isfinite(m):
            return [exp(x - out) for x in xs]
        e = [exp(x - m) for x in xs]
        total = e[0]
        for v in e[1:]:
            total = total + v
        return [v / total for v in e]
    np = _numpy()
    arrays = [np.asarray(x, dtype=float) for x in xs]
    m = np.maximum.reduce(arrays)
    finite = np.isfinite(m)
    shift = np.where(finite, m, out)
    e = [np.exp(x - shift) for x in arrays]
    total = np.where(finite, sum(e), 1.0)
    return [v / total for v in e]

"""The built-in ops, each declared once: its value, its local derivative, its domain.

Read one declaration the way you read a micrograd operator: ``forward`` computes the
value, ``deriv`` right beside it says how the gradient flows back (``out`` is the
op's own value), and ``domain`` says where it is defined and smooth. Everything else
-- the ``Value`` operators and methods, backward, higher-order derivatives, the test
strategies, labels in pictures, ``docs/ops.md`` -- is derived from these
declarations, through the same :func:`~autograd.defop` you use for your own ops.
Derivatives use :mod:`autograd.elementary` instead of :mod:`math`, so that they
work on Values too (and can be differentiated again).
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Sequence
from typing import Any

from .declare import declared_ops, defop
from .domains import NONZERO, POSITIVE, REALS, UNIT_INTERVAL, Domain
from .elementary import (
    cos,
    dlogsumexp,
    dpow_dbase,
    dpow_dexponent,
    dsigmoid,
    dtanh,
    periodic,
    recip,
    sigmoid,
    sin,
    stable_exp,
    stable_sigmoid,
    step,
)

inf = math.inf

# --- forward functions on floats (stable: they never raise OverflowError) ------------------


def _log(x: float) -> float:
    if x <= 0:  # NaN passes through as NaN, as data may be NaN
        raise ValueError("log is defined for x > 0")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0:
        raise ValueError("sqrt is defined for x >= 0")
    return math.sqrt(x)


def _softplus(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large |x|.
    return max(x, 0.0) + math.log1p(stable_exp(-builtins.abs(x)))


def _pow(a: float, b: float) -> float:
    if a == 0 and b < 0:
        raise ZeroDivisionError("0 cannot be raised to a negative power")
    if a < 0 and math.isfinite(b) and not float(b).is_integer():
        raise ValueError("a negative base needs an integer exponent")
    try:
        return a**b  # a float for floats (a Value stored in .data stays one: it is refused)
    except OverflowError:
        return inf if a > 0 or float(b) % 2 == 0 else -inf


def _power_domains(c: float) -> tuple[Domain, ...]:
    """Where x ** c is defined and smooth, for a constant c."""
    if math.isfinite(c) and float(c).is_integer():
        return (REALS,) if c >= 0 else (NONZERO,)
    return (POSITIVE,)


def _fsum(xs: Sequence[float]) -> float:
    """An exact sum of floats (a TypeError for anything else, even a Value, which fsum
    would quietly turn into a float); where fsum gives up (an intermediate overflow,
    inf + -inf) the IEEE sum."""
    try:
        return math.fsum(map(float.__pos__, xs))
    except (OverflowError, ValueError):
        return float(builtins.sum(xs))


def _mean(xs: Sequence[float]) -> float:
    return _fsum(xs) / len(xs)


def _dot(ws: Sequence[float], xs: Sequence[float]) -> float:
    # float.__mul__ refuses a Value where fsum would quietly take its float.
    try:
        return math.fsum(map(float.__mul__, ws, xs))
    except (OverflowError, ValueError):
        return float(builtins.sum(map(float.__mul__, ws, xs)))


def _logsumexp(xs: Sequence[float]) -> float:
    """log(sum(e**x)) as m + log1p(sum of e**(x - m) over the others), m the largest x.

    Shifting by m keeps e**(x - m) <= 1 (no overflow); log1p keeps full relative
    precision when the others are small (log(1 + 1e-7) would lose 9 digits).
    """
    m = max(map(float.__pos__, xs))  # float.__pos__ refuses a Value stored in .data
    if math.isinf(m):
        return m
    top = xs.index(m)
    rest = _fsum([stable_exp(x - m) for i, x in enumerate(xs) if i != top])
    return m + math.log1p(rest)


# --- forward functions on NumPy arrays, for compiled batches (autograd.compile) -------------
# NumPy is imported when a program is compiled, not with the engine. Where the float
# forward above already works on arrays (operator.add, a lambda of + - * / **), it is its
# own array forward. A domain error is not raised here: a compiled program checks the
# declared domains and lets the float forward above decide any point they flag.


def _np() -> Any:
    import numpy

    return numpy


def array_logsumexp(xs: Any) -> Any:
    """logsumexp over the first axis of ``xs`` (a list or stack of arrays), the float
    forward's way: the largest m (Python's max: the first largest, NaN only when first)
    plus log1p of the sum of e**(x - m) over the others."""
    np = _np()
    x = np.asarray(xs, dtype=float)
    m, top = x[0], np.zeros(x.shape[1:], dtype=int)
    for k in range(1, len(x)):
        bigger = x[k] > m
        m, top = np.where(bigger, x[k], m), np.where(bigger, k, top)
    e = np.exp(x - m)
    np.put_along_axis(e, top[None], 0.0, axis=0)  # the largest is the 1
    return np.where(np.isinf(m), m, m + np.log1p(e.sum(axis=0)))


# --- arithmetic between two Values ------------------------------------------------------------

defop("add", operator.add, lambda a, b, out: (1.0, 1.0),
      kind="binary", operator="+", symbol="+", doc="a + b",
      array_forward=operator.add, builtin=True)
defop("sub", operator.sub, lambda a, b, out: (1.0, -1.0),
      kind="binary", operator="-", symbol="-", doc="a - b",
      array_forward=operator.sub, builtin=True)
defop("mul", operator.mul, lambda a, b, out: (b, a),
      kind="binary", operator="*", symbol="*", doc="a * b",
      array_forward=operator.mul, builtin=True)
defop("div", operator.truediv, lambda a, b, out: (recip(b), -out * recip(b)),
      kind="binary", domain=(REALS, NONZERO), operator="/", symbol="/", doc="a / b",
      array_forward=operator.truediv, builtin=True)
# d/db a**b = a**b log a; at a == 0 the limit is 0 (as in PyTorch).
defop("pow", _pow, lambda a, b, out: (dpow_dbase(a, b), dpow_dexponent(a, out)),
      kind="binary", domain=(POSITIVE, REALS), operator="**", symbol="**",
      doc="a ** b", array_forward=lambda a, b: a**b, builtin=True)

# --- arithmetic with a plain-number constant (no node for the constant) ------------------------

defop("add_const", operator.add, lambda x, out, c: 1.0,
      kind="unary_const", param=REALS, operator="+", sides=("right", "left"),
      symbol="+", formula="{x} + {c}", doc="x + c", array_forward=operator.add, builtin=True)
defop("sub_const", operator.sub, lambda x, out, c: 1.0,
      kind="unary_const", param=REALS, operator="-", sides=("right",),
      symbol="-", formula="{x} - {c}", doc="x - c", array_forward=operator.sub, builtin=True)
defop("rsub_const", lambda x, c: c - x, lambda x, out, c: -1.0,
      kind="unary_const", param=REALS, operator="-", sides=("left",),
      symbol="-", label="{c} -", formula="{c} - {x}", doc="c - x",
      array_forward=lambda x, c: c - x, builtin=True)
defop("mul_const", operator.mul, lambda x, out, c: c,
      kind="unary_const", param=REALS, operator="*", sides=("right", "left"),
      symbol="*", formula="{x} * {c}", doc="x * c", array_forward=operator.mul, builtin=True)
defop("div_const", operator.truediv, lambda x, out, c: 1.0 / c,
      kind="unary_const", param=NONZERO, operator="/", sides=("right",),
      symbol="/", formula="{x} / {c}", doc="x / c", array_forward=operator.truediv, builtin=True)
defop("rdiv_const", lambda x, c: c / x, lambda x, out, c: -out * recip(x),
      kind="unary_const", domain=NONZERO, param=REALS, operator="/",
      sides=("left",), symbol="/", label="{c} /", formula="{c} / {x}",
      doc="c / x", array_forward=lambda x, c: c / x, builtin=True)
defop("pow_const", _pow, lambda x, out, c: dpow_dbase(x, c),
      kind="unary_const", domain=_power_domains, param=REALS, operator="**",
      sides=("right",), symbol="**{c}", formula="{x} ** {c}", doc="x ** c",
      domain_text="all x for an integer c >= 0; x != 0 (pole) for an integer c < 0; "
                  "x > 0 otherwise", array_forward=lambda x, c: x**c, builtin=True)
defop("rpow_const", lambda x, c: _pow(c, x),
      lambda x, out, c: dpow_dexponent(c, out),
      kind="unary_const", param=POSITIVE, operator="**", sides=("left",),
      symbol="**", label="{c} **", formula="{c} ** {x}", doc="c ** x",
      array_forward=lambda x, c: c**x, builtin=True)

# --- elementwise functions -------------------------------------------------------------------

defop("neg", operator.neg, lambda x, out: -1.0,
      operator="-", doc="-x", array_forward=operator.neg, builtin=True)
defop("abs", operator.abs, lambda x, out: step(x, 0.0) - step(-x, 0.0),
      domain=Domain(kinks=(0.0,), note="kink: abs'(0) = 0"), operator="abs",
      doc="|x|", array_forward=operator.abs, builtin=True)
defop("exp", stable_exp, lambda x, out: out,
      doc="e ** x (inf above 709.78)", array_forward=lambda x: _np().exp(x), builtin=True)
defop("log", _log, lambda x, out: recip(x),
      domain=POSITIVE, doc="natural logarithm", array_forward=lambda x: _np().log(x), builtin=True)
defop("sqrt", _sqrt, lambda x, out: 0.5 * recip(out),
      domain=POSITIVE, doc="square root (the derivative at 0 is +inf)",
      array_forward=lambda x: _np().sqrt(x), builtin=True)
defop("tanh", math.tanh, dtanh, doc="hyperbolic tangent",
      array_forward=lambda x: _np().tanh(x), builtin=True)
defop("sigmoid", stable_sigmoid, dsigmoid,
      doc="1 / (1 + e ** -x), stable for large |x|", array_forward=sigmoid, builtin=True)
defop("relu", lambda x: 0.0 if x <= 0 else x,  # NaN stays NaN
      lambda x, out: step(x, 0.0),
      domain=Domain(kinks=(0.0,), note="kink: relu'(0) = 0"), symbol="ReLU",
      doc="max(x, 0)", array_forward=lambda x: _np().where(x <= 0, 0.0, x), builtin=True)
defop("leaky_relu", lambda x, c: x if x > 0 else c * x,
      lambda x, out, c: step(x, c),
      kind="unary_const", domain=Domain(kinks=(0.0,), note="kink: leaky_relu'(0) = slope"),
      param=UNIT_INTERVAL, param_name="slope", param_default=0.01,
      symbol="LeakyReLU", label="LeakyReLU", formula="LeakyReLU({x}, {c})",
      doc="x if x > 0 else slope * x",
      array_forward=lambda x, c: _np().where(x > 0, x, c * x), builtin=True)
defop("softplus", _softplus, lambda x, out: sigmoid(x),
      doc="log(1 + e ** x), stable for large |x|",
      array_forward=lambda x: _np().maximum(x, 0.0) + _np().log1p(_np().exp(-abs(x))), builtin=True)
defop("sin", periodic(math.sin), lambda x, out: cos(x), doc="sine",
      array_forward=lambda x: _np().sin(x), builtin=True)
defop("cos", periodic(math.cos), lambda x, out: -sin(x), doc="cosine",
      array_forward=lambda x: _np().cos(x), builtin=True)

# --- one node over many inputs -----------------------------------------------------------------

sum = defop("sum", _fsum, lambda xs, out: [1.0] * len(xs),
            kind="nary", empty=0.0, doc="x1 + x2 + ... + xn",
            array_forward=lambda xs: _np().sum(xs, axis=0), builtin=True)
mean = defop("mean", _mean, lambda xs, out: [1.0 / len(xs)] * len(xs),
             kind="nary", doc="(x1 + ... + xn) / n",
             array_forward=lambda xs: _np().mean(xs, axis=0), builtin=True)
dot = defop("dot", _dot, lambda ws, xs, out: (xs, ws),
            kind="nary", groups=2, empty=0.0, formula="dot({xs})",
            doc="w1*x1 + ... + wn*xn over the inputs (w1..wn, x1..xn)",
            array_forward=lambda ws, xs: _np().sum(_np().multiply(ws, xs), axis=0), builtin=True)
logsumexp = defop("logsumexp", _logsumexp, dlogsumexp,
                  kind="nary", doc="log(e ** x1 + ... + e ** xn), stable",
                  array_forward=array_logsumexp, builtin=True)

#: The built-in ops, in the order declared here (and in the reference, docs/ops.md).
OPS = declared_ops()
BY_NAME = {op.name: op for op in OPS}

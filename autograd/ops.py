"""The op table: every primitive is declared here, once.

Each :class:`Op` says three things side by side:

* ``forward`` -- the value, computed on Python floats. It raises ``ValueError``
  (outside the domain) or ``ZeroDivisionError`` (a pole); the engine adds the
  node's context to the message.
* ``deriv`` -- the local derivative(s). It is written once and works on floats
  *and* on Values: the engine calls it with floats for ``backward()`` and with
  the nodes themselves when a derivative must be differentiable again
  (``grad(grad(f))``, ``hessian``). That is why derivatives use the helpers
  below (``exp``, ``log``, ...) instead of :mod:`math`.
* ``domain`` -- one :class:`Domain` per input (and one for the constant of a
  ``unary_param`` op): where the op is defined *and* smooth. The testing
  toolkit draws inputs from it; documentation and rendering read the rest.

Signatures by ``kind``::

    unary        forward(x)         deriv(x, out)        -> dx
    unary_param  forward(x, c)      deriv(x, out, c)     -> dx
    binary       forward(a, b)      deriv(a, b, out)     -> (da, db)
    nary         forward(xs)        deriv(xs, out)       -> [dx for x in xs]

Nothing here imports the engine; the engine builds one node class per op.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

inf = math.inf

# ---------------------------------------------------------------------------
# Generic helpers: floats go to math, anything else (a Value) to its method.


def _is_number(x: Any) -> bool:
    # Floats and ints first (the hot path); NumPy scalars assigned to ``.data`` too.
    t = type(x)
    return t is float or t is int or isinstance(x, numbers.Real)


def exp(x: Any) -> Any:
    return _exp(x) if _is_number(x) else x.exp()


def log(x: Any) -> Any:
    return math.log(x) if _is_number(x) else x.log()


def sin(x: Any) -> Any:
    return _sin(x) if _is_number(x) else x.sin()


def cos(x: Any) -> Any:
    return _cos(x) if _is_number(x) else x.cos()


def sigmoid(x: Any) -> Any:
    return _sigmoid(x) if _is_number(x) else x.sigmoid()


def dsigmoid(x: Any, out: Any) -> Any:
    """sigmoid'(x) = sigmoid(x) * sigmoid(-x).

    Where ``out <= 0.5``, ``out * (1 - out)`` is exact enough and cheapest. Above,
    1 - out cancels (at x = 37 it gives 0 where the true slope is 8.5e-17), so the
    slope is e / (1 + e)**2 with e = exp(-|x|), which keeps full relative precision.
    """
    if type(out) is float or _is_number(out):  # floats first: the hot path
        if out <= 0.5:
            return out * (1.0 - out)
        e = math.exp(-abs(x))
        return e / ((1.0 + e) * (1.0 + e))
    if out.data <= 0.5:
        return out * (1.0 - out)
    return out * sigmoid(-x)


def dtanh(x: Any, out: Any) -> Any:
    """tanh'(x) = 1 - tanh(x)**2, with full relative precision for large |x|.

    Near |tanh| = 1, 1 - out**2 cancels (relative error 1e-4 at x = 15), so there the
    slope is 4 e / (1 + e)**2 with e = exp(-2|x|) (as Values, 4 sigmoid(2x) sigmoid(-2x)),
    which is the same function, evaluated stably.
    """
    if type(out) is float or _is_number(out):  # floats first: the hot path
        if -0.9 < out < 0.9:
            return 1.0 - out * out
        e = math.exp(-2.0 * abs(x))
        return 4.0 * e / ((1.0 + e) * (1.0 + e))
    if -0.9 < out.data < 0.9:
        return 1.0 - out * out
    return 4.0 * (2.0 * x).sigmoid() * (-2.0 * x).sigmoid()


def recip(x: Any) -> Any:
    """1/x; a float zero gives a signed infinity (the limit), not an exception."""
    if _is_number(x):
        return 1.0 / x if x else math.copysign(inf, x)
    return 1.0 / x


def power(x: Any, k: Any) -> Any:
    """x**k for a derivative formula; 0**negative is +inf as a limit."""
    if _is_number(x) and _is_number(k):
        return inf if x == 0 and k < 0 else _pow(x, k)
    return x**k


def dpow_dexponent(base: Any, out: Any) -> Any:
    """d/db base**b = base**b * log(base); 0 at base 0 (PyTorch's limit), NaN below 0."""
    if base > 0:
        return out * log(base)
    return 0.0 if base == 0 else math.nan


def dpow_dbase(base: Any, k: Any) -> Any:
    """d/dx x**k = k * x**(k-1); exactly 0 for k == 0, even at x == 0."""
    return 0.0 if _is_number(k) and k == 0 else k * power(base, k - 1)


def step(x: Any, below: float = 0.0) -> float:
    """Slope of a kinked function: 1 for x > 0, else ``below`` (PyTorch's choice at 0)."""
    return 1.0 if x > 0 else below


# ---------------------------------------------------------------------------
# Forward functions on floats (stable, never raise OverflowError).


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def _log(x: float) -> float:
    if x <= 0:  # NaN passes through as NaN, as data may be NaN
        raise ValueError("log is defined for x > 0")
    return math.log(x)


def _periodic(f: Callable[[float], float]) -> Callable[[float], float]:
    """sin or cos with NaN at +-inf (IEEE's answer), where math raises ValueError."""

    def g(x: float) -> float:
        return f(x) if -inf < x < inf else math.nan

    g.__name__ = f.__name__
    return g


_sin, _cos = _periodic(math.sin), _periodic(math.cos)


def _sqrt(x: float) -> float:
    if x < 0:
        raise ValueError("sqrt is defined for x >= 0")
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + _exp(-x))
    e = _exp(x)
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large |x|.
    return max(x, 0.0) + math.log1p(_exp(-abs(x)))


def _pow(a: float, b: float) -> float:
    if a == 0 and b < 0:
        raise ZeroDivisionError("0 cannot be raised to a negative power")
    if a < 0 and math.isfinite(b) and not float(b).is_integer():
        raise ValueError("a negative base needs an integer exponent")
    try:
        return float(a**b)
    except OverflowError:
        return inf if a > 0 or float(b) % 2 == 0 else -inf


def _div(a: float, b: float) -> float:
    if b == 0:
        raise ZeroDivisionError("division by zero")
    return a / b


def _fsum(xs: Any) -> float:
    """An exact sum; where fsum gives up (an intermediate overflow, inf + -inf) the IEEE sum."""
    xs = list(xs)
    try:
        return math.fsum(xs)
    except (OverflowError, ValueError):
        return float(sum(xs))


def _logsumexp(xs: Sequence[float]) -> float:
    """log(sum(e**x)) as m + log1p(sum of e**(x - m) over the others), m the largest x.

    Shifting by m keeps e**(x - m) <= 1 (no overflow); log1p keeps full relative
    precision when the others are small (log(1 + 1e-7) would lose 9 digits).
    """
    if not xs:
        raise ValueError("logsumexp needs at least one value")
    m = max(xs)
    if math.isinf(m):
        return m
    top = xs.index(m)
    rest = _fsum(_exp(x - m) for i, x in enumerate(xs) if i != top)
    return m + math.log1p(rest)


def _mean(xs: Sequence[float]) -> float:
    if not xs:
        raise ValueError("mean needs at least one value")
    return _fsum(xs) / len(xs)


def _dot(xs: Sequence[float]) -> float:
    n, odd = divmod(len(xs), 2)
    if odd:
        raise ValueError(f"dot needs its weights then as many inputs: an even count, got {len(xs)}")
    return _fsum(map(operator.mul, xs[:n], xs[n:]))


# ---------------------------------------------------------------------------
# Declarations


@dataclass(frozen=True)
class Domain:
    """An open interval ``(lo, hi)`` minus some points.

    ``exclude`` holds poles and kinks (points where the op or its derivative is
    not smooth); ``note`` says in words what happens at them.
    """

    lo: float = -inf
    hi: float = inf
    exclude: tuple[float, ...] = ()
    note: str = ""

    def __contains__(self, x: object) -> bool:
        return isinstance(x, (int, float)) and self.lo < x < self.hi and x not in self.exclude

    def __str__(self) -> str:
        lo = "-inf" if self.lo == -inf else f"{self.lo:g}"
        hi = "inf" if self.hi == inf else f"{self.hi:g}"
        text = f"({lo}, {hi})"
        if self.exclude:
            text += " without " + ", ".join(f"{x:g}" for x in self.exclude)
        return text


REALS = Domain()
POSITIVE = Domain(lo=0.0)
NONZERO = Domain(exclude=(0.0,), note="pole at 0")


@dataclass(frozen=True)
class Op:
    """One primitive: its value, its local derivative(s) and its domain."""

    name: str
    symbol: str
    kind: str  # 'unary' | 'unary_param' | 'binary' | 'nary'
    forward: Callable[..., float]
    deriv: Callable[..., Any]
    domain: tuple[Domain, ...]
    param: Domain | None = None
    doc: str = ""
    # How an op node reads in a picture, e.g. "+ {c}"; defaults to the symbol.
    template: str = ""
    # Not part of equality or the hash, so an Op (frozen) is hashable like its name.
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def arity(self) -> int:
        """Number of Value inputs (-1 for any number)."""
        return {"unary": 1, "unary_param": 1, "binary": 2, "nary": -1}[self.kind]

    def describe(self, param: Any = None) -> str:
        """A short label for a node of this op, with its constant if it has one."""
        if self.template and param is not None:
            return self.template.format(c=_short(param))
        return self.symbol

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


def _short(c: Any) -> str:
    if isinstance(c, float) and c.is_integer() and abs(c) < 1e15:
        return str(int(c))
    return f"{c:g}" if isinstance(c, float) else str(c)


def _nary_dot_deriv(xs: Sequence[Any], out: Any) -> list[Any]:
    n = len(xs) // 2
    return [*xs[n:], *xs[:n]]


OPS: tuple[Op, ...] = (
    # --- arithmetic between two Values -------------------------------------
    Op("add", "+", "binary", lambda a, b: a + b,
       lambda a, b, out: (1.0, 1.0), (REALS, REALS), doc="a + b"),
    Op("sub", "-", "binary", lambda a, b: a - b,
       lambda a, b, out: (1.0, -1.0), (REALS, REALS), doc="a - b"),
    Op("mul", "*", "binary", lambda a, b: a * b,
       lambda a, b, out: (b, a), (REALS, REALS), doc="a * b"),
    Op("div", "/", "binary", _div,
       lambda a, b, out: (recip(b), -out * recip(b)), (REALS, NONZERO), doc="a / b"),
    Op("pow", "**", "binary", _pow,
       # d/db a**b = a**b log a; at a == 0 the limit is 0 (as in PyTorch).
       lambda a, b, out: (dpow_dbase(a, b), dpow_dexponent(a, out)),
       (POSITIVE, REALS), doc="a ** b"),
    # --- arithmetic with a plain-number constant (no node for the constant) --
    Op("add_const", "+", "unary_param", lambda x, c: x + c,
       lambda x, out, c: 1.0, (REALS,), REALS, doc="x + c", template="+ {c}"),
    Op("sub_const", "-", "unary_param", lambda x, c: x - c,
       lambda x, out, c: 1.0, (REALS,), REALS, doc="x - c", template="- {c}"),
    Op("rsub_const", "-", "unary_param", lambda x, c: c - x,
       lambda x, out, c: -1.0, (REALS,), REALS, doc="c - x", template="{c} -"),
    Op("mul_const", "*", "unary_param", lambda x, c: x * c,
       lambda x, out, c: c, (REALS,), REALS, doc="x * c", template="* {c}"),
    Op("div_const", "/", "unary_param", lambda x, c: _div(x, c),
       lambda x, out, c: 1.0 / c, (REALS,), NONZERO, doc="x / c", template="/ {c}"),
    Op("rdiv_const", "/", "unary_param", lambda x, c: _div(c, x),
       lambda x, out, c: -out * recip(x), (NONZERO,), REALS, doc="c / x",
       template="{c} /"),
    Op("pow_const", "**", "unary_param", _pow,
       lambda x, out, c: dpow_dbase(x, c), (POSITIVE,), REALS,
       doc="x ** c", template="**{c}"),
    Op("rpow_const", "**", "unary_param", lambda x, c: _pow(c, x),
       lambda x, out, c: dpow_dexponent(c, out), (REALS,), POSITIVE, doc="c ** x",
       template="{c} **"),
    # --- elementwise functions ---------------------------------------------
    Op("neg", "neg", "unary", lambda x: -x, lambda x, out: -1.0, (REALS,), doc="-x"),
    Op("abs", "abs", "unary", abs, lambda x, out: step(x, 0.0) - step(-x, 0.0),
       (Domain(exclude=(0.0,), note="kink: abs'(0) = 0"),), doc="|x|"),
    Op("exp", "exp", "unary", _exp, lambda x, out: out, (REALS,), doc="e ** x"),
    Op("log", "log", "unary", _log, lambda x, out: recip(x), (POSITIVE,),
       doc="natural logarithm"),
    Op("sqrt", "sqrt", "unary", _sqrt, lambda x, out: 0.5 * recip(out), (POSITIVE,),
       doc="square root (the derivative at 0 is +inf)"),
    Op("tanh", "tanh", "unary", math.tanh, dtanh, (REALS,), doc="hyperbolic tangent"),
    Op("sigmoid", "sigmoid", "unary", _sigmoid, dsigmoid, (REALS,),
       doc="1 / (1 + e ** -x), stable for large |x|"),
    Op("relu", "ReLU", "unary", lambda x: 0.0 if x <= 0 else x,  # NaN stays NaN
       lambda x, out: step(x, 0.0),
       (Domain(exclude=(0.0,), note="kink: relu'(0) = 0"),), doc="max(x, 0)"),
    Op("leaky_relu", "LeakyReLU", "unary_param", lambda x, c: x if x > 0 else c * x,
       lambda x, out, c: step(x, c),
       (Domain(exclude=(0.0,), note="kink: leaky_relu'(0) = slope"),),
       Domain(lo=0.0, hi=1.0), doc="x if x > 0 else slope * x"),
    Op("softplus", "softplus", "unary", _softplus, lambda x, out: sigmoid(x), (REALS,),
       doc="log(1 + e ** x), stable for large |x|"),
    Op("sin", "sin", "unary", _sin, lambda x, out: cos(x), (REALS,), doc="sine"),
    Op("cos", "cos", "unary", _cos, lambda x, out: -sin(x), (REALS,), doc="cosine"),
    # --- one node over many inputs ------------------------------------------
    Op("sum", "sum", "nary", _fsum, lambda xs, out: [1.0] * len(xs), (REALS,),
       doc="x1 + x2 + ... + xn"),
    Op("mean", "mean", "nary", _mean, lambda xs, out: [1.0 / len(xs)] * len(xs), (REALS,),
       doc="(x1 + ... + xn) / n"),
    Op("dot", "dot", "nary", _dot, _nary_dot_deriv, (REALS,),
       doc="w1*x1 + ... + wn*xn over the inputs (w1..wn, x1..xn)",
       extra={"arity_multiple": 2}),
    Op("logsumexp", "logsumexp", "nary", _logsumexp,
       lambda xs, out: [exp(x - out) for x in xs], (REALS,),
       doc="log(e ** x1 + ... + e ** xn), stable"),
)

BY_NAME: dict[str, Op] = {op.name: op for op in OPS}


def markdown_table() -> str:
    """The op table as Markdown (the source of ``docs/ops.md``)."""
    rows = [
        "| op | symbol | kind | computes | domain of the inputs | constant |",
        "|---|---|---|---|---|---|",
    ]
    for op in OPS:
        domain = "; ".join(
            str(d) + (f" ({d.note})" if d.note else "") for d in op.domain
        )
        const = "" if op.param is None else str(op.param)
        doc = op.doc.replace("|", "\\|")
        rows.append(f"| `{op.name}` | `{op.symbol}` | {op.kind} | {doc} | {domain} | {const} |")
    return "\n".join(rows) + "\n"



def markdown_document() -> str:
    """The whole of ``docs/ops.md``; a test keeps the committed file equal to it."""
    return (
        "# Primitive ops\n\n"
        "Generated from the op table in `autograd/ops.py` by `autograd.ops.markdown_document()`; "
        "do not edit by hand.\nThe domain is where an op is defined and smooth: the testing "
        "toolkit draws inputs from it.\n\n" + markdown_table()
    )

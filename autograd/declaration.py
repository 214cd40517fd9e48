"""What an op is: :class:`Op`, one declaration, and :class:`Kind`, how an op is called.

An :class:`Op` holds everything about one primitive, side by side: its value
(``forward``, on floats), its local derivative (``deriv``, written once for floats
and for Values), the :class:`~autograd.domains.Domain` of each input, and how it
reads (``symbol`` as micrograd's ``_op``, ``label`` in a picture, ``formula`` in
``explain``, ``doc`` in words). :func:`autograd.defop` makes one and gives it a
node class, a constructor and its place on ``Value``; nothing here knows the engine.

The four kinds and the signatures they call::

    unary        forward(x)          deriv(x, out)          -> dx
    unary_const  forward(x, c)       deriv(x, out, c)       -> dx        (c: a plain number)
    binary       forward(a, b)       deriv(a, b, out)       -> (da, db)
    nary         forward(xs)         deriv(xs, out)         -> [d for each input, in order]

An n-ary op may read its inputs in several lists of one length (``groups``): ``dot``
reads two, weights and inputs, as ``forward(ws, xs)`` and ``deriv(ws, xs, out) ->
(dws, dxs)``, one list of derivatives per group.
"""

from __future__ import annotations

import inspect
import keyword
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .domains import Domain

__all__ = ["BINARY", "KINDS", "NARY", "UNARY", "UNARY_CONST", "Kind", "Op", "short_number"]


def short_number(c: Any) -> str:
    """A constant as it reads in a label: ``2`` for 2.0, ``0.01``, ``1e-07``."""
    if isinstance(c, float) and c.is_integer() and abs(c) < 1e15:
        return str(int(c))
    return f"{c:g}" if isinstance(c, float) else str(c)


class Kind:
    """How an op of this kind is called: its Value inputs, its constant, its operand names.

    ``operands`` name the inputs in formulas and messages (``x``; ``a``, ``b``; ``xs``),
    ``arity`` is the number of Value inputs (None: any), ``constant`` whether the op
    also takes a plain number ``c``.
    """

    name: str
    operands: tuple[str, ...]
    arity: int | None
    constant: bool = False
    #: The parameters forward and deriv are called with, for checking declarations.
    forward_params: tuple[str, ...]
    deriv_params: tuple[str, ...]

    def groups(self, op: Op, inputs: Sequence[Any]) -> list[Sequence[Any]]:
        """The inputs of an n-ary op split into its groups (one list for other kinds)."""
        return [inputs]

    def forward(self, op: Op, inputs: Sequence[Any], c: Any = None) -> Any:
        """``op.forward`` on ``inputs`` (floats, or arrays for a batch)."""
        raise NotImplementedError

    def apply(self, op: Op, inputs: Sequence[Any], c: Any = None) -> Any:
        """A node of ``op`` from Values (and its constant): ``op.apply`` called right."""
        if self.constant:
            return op.apply(*inputs, c)
        return op.apply(*inputs)

    def input_counts(self, op: Op, max_inputs: int = 4) -> range:
        """The numbers of Value inputs a node of ``op`` may have, up to about ``max_inputs``:
        the arity, or for an n-ary op the multiples of its group count."""
        if self.arity is not None:
            return range(self.arity, self.arity + 1)
        top = max(op.groups, max_inputs - max_inputs % op.groups)
        return range(op.groups, top + 1, op.groups)

    def deriv(self, op: Op, inputs: Sequence[Any], out: Any, c: Any = None) -> list[Any]:
        """``op.deriv`` on ``inputs`` and ``out``: one local derivative per input, in order."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<kind {self.name}>"


class _Unary(Kind):
    name, operands, arity = "unary", ("x",), 1
    forward_params, deriv_params = ("x",), ("x", "out")

    def forward(self, op: Op, inputs: Sequence[Any], c: Any = None) -> Any:
        return op.forward(inputs[0])

    def deriv(self, op: Op, inputs: Sequence[Any], out: Any, c: Any = None) -> list[Any]:
        return [op.deriv(inputs[0], out)]


class _UnaryConst(Kind):
    name, operands, arity, constant = "unary_const", ("x",), 1, True
    forward_params, deriv_params = ("x", "c"), ("x", "out", "c")

    def forward(self, op: Op, inputs: Sequence[Any], c: Any = None) -> Any:
        return op.forward(inputs[0], c)

    def deriv(self, op: Op, inputs: Sequence[Any], out: Any, c: Any = None) -> list[Any]:
        return [op.deriv(inputs[0], out, c)]


class _Binary(Kind):
    name, operands, arity = "binary", ("a", "b"), 2
    forward_params, deriv_params = ("a", "b"), ("a", "b", "out")

    def forward(self, op: Op, inputs: Sequence[Any], c: Any = None) -> Any:
        return op.forward(inputs[0], inputs[1])

    def deriv(self, op: Op, inputs: Sequence[Any], out: Any, c: Any = None) -> list[Any]:
        return list(op.deriv(inputs[0], inputs[1], out))


class _Nary(Kind):
    name, operands, arity = "nary", ("xs",), None
    forward_params, deriv_params = ("xs",), ("xs", "out")

    def groups(self, op: Op, inputs: Sequence[Any]) -> list[Sequence[Any]]:
        k = op.groups
        if k == 1:
            return [inputs]
        n, left = divmod(len(inputs), k)
        if left:
            raise ValueError(f"{op.name} reads its inputs in {k} groups of one length, so it "
                             f"needs a multiple of {k} inputs, got {len(inputs)}")
        if k == 2:
            return [inputs[:n], inputs[n:]]
        return [inputs[i * n:(i + 1) * n] for i in range(k)]

    def forward(self, op: Op, inputs: Sequence[Any], c: Any = None) -> Any:
        return op.forward(*self.groups(op, inputs))

    def deriv(self, op: Op, inputs: Sequence[Any], out: Any, c: Any = None) -> list[Any]:
        found = op.deriv(*self.groups(op, inputs), out)
        return list(found) if op.groups == 1 else [d for group in found for d in group]


UNARY, UNARY_CONST, BINARY, NARY = _Unary(), _UnaryConst(), _Binary(), _Nary()
KINDS: dict[str, Kind] = {k.name: k for k in (UNARY, UNARY_CONST, BINARY, NARY)}

#: Python operators an op can stand behind: spelling -> (method, reflected method).
OPERATORS: dict[str, tuple[str, str]] = {
    "+": ("__add__", "__radd__"), "-": ("__sub__", "__rsub__"),
    "*": ("__mul__", "__rmul__"), "/": ("__truediv__", "__rtruediv__"),
    "**": ("__pow__", "__rpow__"),
}
UNARY_OPERATORS: dict[str, str] = {"-": "__neg__", "abs": "__abs__"}


@dataclass(frozen=True, eq=False)
class Op:
    """One primitive op, declared once (see :func:`autograd.defop`).

    Called like a function it applies itself: Values in, a Value out (a node of the
    graph); plain numbers in, a plain number out.
    """

    name: str
    kind: Kind
    forward: Callable[..., Any]
    deriv: Callable[..., Any]
    #: One Domain per Value input (n-ary ops: one for all), or a function of the
    #: constant giving them (``x ** c`` is defined at negative x for integer c only).
    domain: tuple[Domain, ...] | Callable[[float], tuple[Domain, ...]]
    doc: str = ""
    symbol: str = ""  # micrograd's ``_op`` text; may hold the constant, '**{c}'
    label: str = ""  # in a picture, '* {c}'
    formula: str = ""  # in explain and the docs, '{x} * {c}', 'tanh({x})'
    param: Domain | None = None  # the constant's domain (unary_const ops)
    param_name: str = "c"
    param_default: float | None = None
    #: The Python operator this op stands behind ('+', '-', '*', '/', '**'), and for an
    #: op with a constant on which sides the constant may stand ('right': x + c).
    operator: str | None = None
    sides: tuple[str, ...] = ()
    method: str | None = None  # the Value method that applies it ('exp', 'leaky_relu')
    groups: int = 1  # n-ary ops: how many lists of inputs (dot: weights, inputs)
    empty: float | None = None  # n-ary ops: the value of no inputs (None: an error)
    domain_text: str = ""  # the domain in words, for a domain given as a function
    #: The forward function on NumPy arrays, for compiled batches (optional).
    array_forward: Callable[..., Any] | None = None
    builtin: bool = False
    # Filled in by defop: the constructor of nodes from Values.
    apply: Callable[..., Any] = field(default=None, repr=False)  # type: ignore[assignment]

    # --- reading -------------------------------------------------------------------

    @property
    def arity(self) -> int:
        """Number of Value inputs (-1 for any number)."""
        return -1 if self.kind.arity is None else self.kind.arity

    def domains(self, constant: float | None = None) -> tuple[Domain, ...]:
        """The domain of each input (for an op whose domain depends on its constant, at it)."""
        d = self.domain
        if callable(d):
            # An unknown constant (None) gives the domain that holds for every constant.
            return d(math.nan if constant is None else constant)
        return d

    def domain_of(self, slot: int, constant: float | None = None) -> Domain:
        """The domain of input ``slot`` (n-ary ops declare one domain for all inputs)."""
        ds = self.domains(constant)
        return ds[min(slot, len(ds) - 1)]

    def symbol_for(self, constant: Any = None) -> str:
        """micrograd's ``_op`` for a node of this op: '+', 'tanh', '**2'."""
        return self.symbol.format(c=short_number(constant)) if "{c}" in self.symbol \
            else self.symbol

    def label_for(self, constant: Any = None) -> str:
        """How a node of this op reads in a picture: '*', '* 2', '2 /', 'tanh'."""
        return self.label.format(c=short_number(constant)) if "{c}" in self.label \
            else self.label

    describe = label_for  # the name earlier releases used

    def formula_for(self, names: Sequence[str], constant: Any = None) -> str:
        """What a node computes from its inputs' names: 'a * b', 'tanh(n)', 'e + 10'."""
        if self.kind is NARY:
            shown = ", ".join(names[:6]) + (f", ... ({len(names)} inputs)"
                                            if len(names) > 6 else "")
            return self.formula.format(xs=shown)
        fields = dict(zip(self.kind.operands, names))
        if constant is not None:
            fields["c"] = short_number(constant)
        return self.formula.format(**fields)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    # ``op(...)`` is given by :mod:`autograd.declare` (it makes nodes, and the engine is
    # built after the declarations): a Value when any input is a Value, else a number.
    if TYPE_CHECKING:

        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


# --- checking a declaration -----------------------------------------------------------


def _accepts(fn: Callable[..., Any], params: tuple[str, ...]) -> str | None:
    """Why ``fn`` cannot be called with ``len(params)`` positional arguments (None if it can)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None  # a builtin without a signature: trust it
    try:
        sig.bind(*params)
    except TypeError as exc:
        return f"{exc} (it is called as ({', '.join(params)}); its signature is {sig})"
    return None


def check_declaration(op: Op) -> None:
    """Refuse a declaration that could only fail later: at the first backward, or worse."""
    who = f"defop({op.name!r})"
    kind = op.kind
    if not callable(op.forward):
        raise TypeError(f"{who}: forward must be a function, got {type(op.forward).__name__}")
    if not callable(op.deriv):
        raise TypeError(f"{who}: deriv must be a function, got {type(op.deriv).__name__}")
    groups = ("ws", "xs", "ys", "zs")[: op.groups] if kind is NARY else ()
    fparams = groups if kind is NARY else kind.forward_params
    dparams = (*groups, "out") if kind is NARY else kind.deriv_params
    for role, fn, params in (("forward", op.forward, fparams), ("deriv", op.deriv, dparams)):
        why = _accepts(fn, params)
        if why is not None:
            raise TypeError(f"{who}: {role} has the wrong signature for a {kind.name} op: {why}")
    if callable(op.domain):
        if kind is not UNARY_CONST:
            raise TypeError(f"{who}: only an op with a constant may give its domain as a "
                            f"function of the constant")
    else:
        if not isinstance(op.domain, tuple) or not op.domain or not all(
                isinstance(d, Domain) for d in op.domain):
            raise TypeError(f"{who}: domain must be an autograd.Domain (or one per input), "
                            f"got {op.domain!r}")
        wanted = 1 if kind.arity is None else kind.arity
        if len(op.domain) != wanted:
            raise ValueError(f"{who}: a {kind.name} op takes {wanted} domain(s), got "
                             f"{len(op.domain)}")
    if kind is UNARY_CONST:
        if not isinstance(op.param, Domain):
            raise TypeError(f"{who}: an op with a constant needs param=Domain(...) for it, "
                            f"got {op.param!r}")
        if not op.param_name.isidentifier():
            raise ValueError(f"{who}: param_name must be an identifier, got {op.param_name!r}")
        if op.param_default is not None and op.param_default not in op.param:
            raise ValueError(f"{who}: param_default {op.param_default!r} is outside the "
                             f"constant's domain {op.param}")
    elif op.param is not None or op.param_default is not None:
        raise TypeError(f"{who}: only a unary_const op takes a constant (param=)")
    if kind is NARY:
        if not isinstance(op.groups, int) or isinstance(op.groups, bool) or not 1 <= op.groups <= 4:
            raise ValueError(f"{who}: groups must be 1 to 4, got {op.groups!r}")
        if op.empty is not None and not (isinstance(op.empty, float) and math.isfinite(op.empty)):
            raise TypeError(f"{who}: empty must be a finite float or None, got {op.empty!r}")
    if op.operator is not None:
        table = UNARY_OPERATORS if kind is UNARY else OPERATORS
        if kind is NARY or op.operator not in table:
            raise ValueError(f"{who}: a {kind.name} op cannot stand behind operator "
                             f"{op.operator!r}; the operators are {sorted(table)}")
    if kind is UNARY_CONST and op.operator is not None:
        if not op.sides or not set(op.sides) <= {"left", "right"}:
            raise ValueError(f"{who}: sides must name where the constant stands: 'right' "
                             f"(x {op.operator} c), 'left' (c {op.operator} x) or both")
    if op.method is not None and (not op.method.isidentifier() or keyword.iskeyword(op.method)
                                  or op.method.startswith("_")):
        raise ValueError(f"{who}: method must be a public identifier, got {op.method!r}")
    for text_name in ("symbol", "label", "formula", "doc"):
        if not isinstance(getattr(op, text_name), str):
            raise TypeError(f"{who}: {text_name} must be a str")
    try:
        names = ("xs",) if kind is NARY else kind.operands
        op.formula.format(**{n: n for n in (*names, "c")})
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"{who}: formula {op.formula!r} may only use "
                         f"{', '.join('{' + n + '}' for n in names)}"
                         f"{' and {c}' if kind.constant else ''}: {exc}") from None

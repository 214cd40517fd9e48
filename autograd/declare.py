"""``defop``: declare an op, and it works everywhere a built-in does.

Declaring an op checks the declaration, builds its node class and constructor
(:mod:`.op_nodes`), adds it to the table of declared ops, and puts it on ``Value``:
its method (``v.atan()``) or its Python operator (``a + b``, ``2 * x``). The built-in
ops of :mod:`autograd.ops` are declared this way too, so the table is the surface.

>>> import math
>>> from autograd import Value, defop, grad
>>> atan = defop("atan", forward=math.atan, deriv=lambda x, out: 1 / (1 + x * x),
...              doc="arctangent", replace=True)
>>> y = atan(Value(0.5)); y.backward(); round(y.data, 6)
0.463648
>>> atan(0.5) == math.atan(0.5), round(grad(grad(atan))(0.5), 12)
(True, -0.64)
>>> undefop("atan")
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from .declaration import (
    BINARY,
    KINDS,
    NARY,
    OPERATORS,
    UNARY,
    UNARY_CONST,
    UNARY_OPERATORS,
    Kind,
    Op,
    check_declaration,
)
from .domains import REALS, Domain
from .engine import Value
from .op_nodes import constructor, node_class
from .real_numbers import constant, preview, real

__all__ = ["declared_ops", "defop", "lookup", "undefop"]

_TABLE: dict[str, Op] = {}
_NODE_CLASSES: dict[str, type[Value]] = {}
# Value attributes an op put there, by op name (removed again by undefop).
_SURFACE: dict[str, list[str]] = {}
_UNSET: Any = object()


def declared_ops() -> tuple[Op, ...]:
    """Every declared op, built-in and your own, in the order they were declared."""
    return tuple(_TABLE.values())


def lookup(name: str) -> Op:
    """The declared op named ``name``; a ValueError lists the names when there is none."""
    op = _TABLE.get(name) if isinstance(name, str) else None
    if op is None:
        raise ValueError(f"no op named {preview(name)} is declared; the ops are: "
                         f"{', '.join(_TABLE)}")
    return op


def node_class_of(op: Op) -> type[Value]:
    """The subclass of Value whose instances are ``op``'s nodes."""
    return _NODE_CLASSES[op.name]


def defop(
    name: str,
    forward: Callable[..., Any],
    deriv: Callable[..., Any],
    *,
    kind: str | Kind = "unary",
    domain: Domain | Sequence[Domain] | Callable[[float], tuple[Domain, ...]] = REALS,
    doc: str = "",
    symbol: str | None = None,
    label: str | None = None,
    formula: str | None = None,
    param: Domain | None = None,
    param_name: str = "c",
    param_default: float | None = None,
    operator: str | None = None,
    sides: Sequence[str] = (),
    method: str | None = _UNSET,
    groups: int = 1,
    empty: float | None = None,
    domain_text: str = "",
    array_forward: Callable[..., Any] | None = None,
    replace: bool = False,
    builtin: bool = False,
) -> Op:
    """Declare a primitive op: its value, its local derivative, its domain, how it reads.

    ``forward`` computes the value on floats; ``deriv`` the local derivative, written
    once for floats *and* Values (use ``+ - * / **`` and the functions of
    :mod:`autograd.elementary`, not :mod:`math`), so that ``grad(grad(f))`` and
    ``hessian`` can differentiate it again. Signatures by ``kind``:

    * ``'unary'``: ``forward(x)``, ``deriv(x, out) -> dx``;
    * ``'unary_const'``: ``forward(x, c)``, ``deriv(x, out, c) -> dx``, with the
      constant's domain in ``param`` (and its name and default in ``param_name``,
      ``param_default``);
    * ``'binary'``: ``forward(a, b)``, ``deriv(a, b, out) -> (da, db)``;
    * ``'nary'``: ``forward(xs)``, ``deriv(xs, out) -> [one per input]``; with
      ``groups=k`` it reads k lists of one length, ``forward(ws, xs)`` and
      ``deriv(ws, xs, out) -> (dws, dxs)`` (``dot`` reads weights, then inputs).

    ``forward`` raises ValueError outside the domain (ZeroDivisionError at a pole);
    ``domain`` says where the op is defined and smooth, one :class:`~autograd.Domain`
    per input. ``doc`` says what it computes in words, ``symbol`` is micrograd's
    ``_op`` (the name by default), ``label`` how a node reads in a picture,
    ``formula`` how it reads in ``explain`` (``'atan({x})'`` by default).

    A unary op becomes a method of Value (``method``, its name by default; ``None``
    for none); ``operator`` puts an op behind a Python operator instead. The op
    itself is callable: ``atan(Value(0.5))`` is a node, ``atan(0.5)`` a float.
    Declaring a name twice is an error unless ``replace=True`` (re-running a
    notebook cell); :func:`undefop` removes an op of your own.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"defop: the name must be an identifier, got {preview(name)}")
    the_kind = _kind(kind, name)
    if name in _TABLE:
        if _TABLE[name].builtin:
            raise ValueError(f"defop({name!r}): {name} is a built-in op and cannot be "
                             f"declared again; choose another name")
        if not replace:
            raise ValueError(f"defop({name!r}): an op named {name!r} is already declared; "
                             f"pass replace=True to replace it (re-running a notebook cell "
                             f"does this), or choose another name")
    domains = _domains(domain, the_kind, name)
    if method is _UNSET:
        method = name if the_kind in (UNARY, UNARY_CONST) and operator is None else None
    symbol = name if symbol is None else symbol
    if label is None:
        label = symbol if not the_kind.constant or "{c}" in symbol else f"{symbol} {{c}}"
    if formula is None:
        formula = {UNARY: f"{symbol}({{x}})", BINARY: f"{{a}} {symbol} {{b}}",
                   NARY: f"{symbol}({{xs}})"}.get(the_kind, f"{name}({{x}}, {{c}})")
    op = Op(name=name, kind=the_kind, forward=forward, deriv=deriv, domain=domains, doc=doc,
            symbol=symbol, label=label, formula=formula, param=param, param_name=param_name,
            param_default=param_default, operator=operator, sides=tuple(sides),
            method=method, groups=groups, empty=empty, domain_text=domain_text,
            array_forward=array_forward, builtin=builtin)
    check_declaration(op)
    _check_surface(op, replace)
    if name in _TABLE:
        undefop(name)
    cls = node_class(op)
    object.__setattr__(op, "apply", constructor(op, cls))
    _TABLE[name] = op
    _NODE_CLASSES[name] = cls
    _attach(op)
    return op


def undefop(name: str) -> None:
    """Remove an op of your own from the table and from Value (built-ins stay)."""
    op = lookup(name)
    if op.builtin:
        raise ValueError(f"undefop({name!r}): {name} is a built-in op and cannot be removed")
    for attr in _SURFACE.pop(name, []):  # its method; operators are rebuilt below
        if attr in Value.__dict__:
            delattr(Value, attr)
    del _TABLE[name]
    del _NODE_CLASSES[name]
    if op.operator is not None:
        _attach_operator(op.operator, op.kind is UNARY)


# --- checking -----------------------------------------------------------------------------


def _kind(kind: str | Kind, name: str) -> Kind:
    if isinstance(kind, Kind):
        return kind
    found = KINDS.get(kind) if isinstance(kind, str) else None
    if found is None:
        raise ValueError(f"defop({name!r}): kind must be one of {sorted(KINDS)}, got "
                         f"{preview(kind)}")
    return found


def _domains(domain: Any, kind: Kind, name: str) -> Any:
    if isinstance(domain, Domain):  # the same for every input
        return (domain,) * (kind.arity or 1)
    if callable(domain):
        return domain
    if isinstance(domain, (list, tuple)):
        return tuple(domain)
    raise TypeError(f"defop({name!r}): domain must be an autograd.Domain, one per input, or "
                    f"a function of the constant; got {type(domain).__name__} {preview(domain)}")


def _check_surface(op: Op, replace: bool) -> None:
    """Refuse a method name that would hide something of Value's own, or of another op's."""
    if op.method is None:
        return
    owner = next((n for n, attrs in _SURFACE.items() if op.method in attrs), None)
    if owner is not None and not (replace and owner == op.name):
        raise ValueError(f"defop({op.name!r}): Value.{op.method} already applies the op "
                         f"{owner!r}; pass method='another_name' or method=None")
    if owner is None and hasattr(Value, op.method):
        raise ValueError(f"defop({op.name!r}): Value already has an attribute "
                         f"{op.method!r}; pass method='another_name' or method=None")


# --- calling an op ---------------------------------------------------------------------------


def _as_value(x: Any, what: str) -> Value:
    return x if isinstance(x, Value) else Value(real(x, what))


def _constant_arg(op: Op, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, float]:
    """(x, c) from ``op(x, c)``, ``op(x, slope=c)`` or ``op(x)`` with the default."""
    who = f"{op.name}({op.param_name})"
    if len(args) == 2 and not kwargs:
        x, c = args
    elif len(args) == 1 and set(kwargs) <= {op.param_name}:
        x = args[0]
        c = kwargs.get(op.param_name, op.param_default)
        if c is None:
            raise TypeError(f"{op.name} needs its constant {op.param_name}")
    else:
        raise TypeError(f"{op.name} takes (x, {op.param_name}), got {len(args)} argument(s) "
                        f"and {sorted(kwargs)}")
    c = real(c, who)
    assert op.param is not None
    if c not in op.param:
        raise ValueError(f"{who} must be in {op.param}, got {c!r}")
    return x, c


def call_op(op: Op, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``op(...)``: a node when any input is a Value, a float when all are plain numbers."""
    kind = op.kind
    if kind is NARY:
        return _call_nary(op, args, kwargs)
    c = None
    if kind is UNARY_CONST:
        x, c = _constant_arg(op, args, kwargs)
        inputs: tuple[Any, ...] = (x,)
    else:
        if kwargs or len(args) != kind.arity:
            raise TypeError(f"{op.name} takes {kind.arity} input(s) "
                            f"({', '.join(kind.operands)}), got {len(args)}"
                            + (f" and keywords {sorted(kwargs)}" if kwargs else ""))
        inputs = args
    if not any(isinstance(v, Value) for v in inputs):
        floats = [real(v, f"{op.name}: input {i}") for i, v in enumerate(inputs)]
        return float(kind.forward(op, floats, c))
    values = [_as_value(v, f"{op.name}: input {i}") for i, v in enumerate(inputs)]
    return op.apply(*values, c) if kind is UNARY_CONST else op.apply(*values)


def _call_nary(op: Op, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    k = op.groups
    if not kwargs and len(args) == k:  # the hot path: sequences of Values (a neuron's dot)
        first = args[0]
        if type(first) in (list, tuple) and first:
            try:
                if k == 1:
                    return op.apply(*first)
                if k == 2:
                    second = args[1]
                    if type(second) in (list, tuple) and len(second) == len(first):
                        return op.apply(*first, *second)
            except AttributeError:
                pass  # plain numbers among the Values: converted below
    names = "(xs)" if k == 1 else "(" + ", ".join(("ws", "xs", "ys", "zs")[:k]) + ")"
    if kwargs or len(args) != k:
        raise TypeError(f"{op.name} takes {k} sequence(s) {names}, got {len(args)} argument(s)")
    seqs = []
    for i, seq in enumerate(args):
        if isinstance(seq, (str, bytes, Value)) or not hasattr(seq, "__iter__"):
            raise TypeError(f"{op.name}{names}: argument {i} must be a sequence of Values or "
                            f"numbers, got {type(seq).__name__} {preview(seq)}")
        seqs.append(seq if isinstance(seq, (list, tuple)) else list(seq))
    n = len(seqs[0])
    if any(len(s) != n for s in seqs):
        raise ValueError(f"{op.name}{names} needs sequences of one length, got lengths "
                         f"{[len(s) for s in seqs]}")
    if n == 0:
        if op.empty is None:
            raise ValueError(f"{op.name}() of an empty sequence: pass at least one value")
        return Value(op.empty)
    items = [item for s in seqs for item in s] if k > 1 else seqs[0]
    if all(isinstance(item, Value) for item in items):
        return op.apply(*items)
    if not any(isinstance(item, Value) for item in items):
        floats = [real(v, f"{op.name}: item {i}") for i, v in enumerate(items)]
        return float(NARY.forward(op, floats))
    return op.apply(*(_as_value(v, f"{op.name}: item {i}") for i, v in enumerate(items)))


def _op_call(self: Op, *args: Any, **kwargs: Any) -> Any:
    """Apply the op: a Value (a node) if any input is a Value, else a plain number.

    ``op(x)``, ``op(x, c)`` (or the constant by its name), ``op(a, b)``, ``op(xs)``
    or, for an op of several groups, ``op(ws, xs)``.
    """
    if self.kind is NARY:
        return _call_nary(self, args, kwargs)
    return call_op(self, args, kwargs)


Op.__call__ = _op_call  # type: ignore[method-assign]


# --- the surface on Value ------------------------------------------------------------------------


def _attach(op: Op) -> None:
    _SURFACE[op.name] = []
    if op.method is not None:
        setattr(Value, op.method, _method(op))
        _SURFACE[op.name].append(op.method)
    if op.operator is not None:
        _attach_operator(op.operator, op.kind is UNARY)


def _method(op: Op) -> Callable[..., Any]:
    apply = op.apply
    if op.kind is UNARY:  # the constructor itself: no call in between
        apply.__name__ = apply.__qualname__ = op.method or op.name
        apply.__doc__ = f"{op.doc or op.name} (the {op.name!r} op)."
        return apply
    if op.kind is UNARY_CONST:
        def method(self: Value, *args: Any, **kwargs: Any) -> Value:
            _, c = _constant_arg(op, (self, *args), kwargs)
            return apply(self, c)

        param = inspect.Parameter(op.param_name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                  default=(inspect.Parameter.empty if op.param_default is None
                                           else op.param_default))
        method.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY), param])
    else:
        def method(self: Value, *args: Any) -> Value:  # type: ignore[misc]
            return call_op(op, (self, *args), {})
    method.__name__ = method.__qualname__ = op.method or op.name
    method.__doc__ = f"{op.doc or op.name} (the {op.name!r} op)."
    return method


def _attach_operator(spelling: str, unary: bool) -> None:
    """(Re)build the Value methods behind one Python operator from the ops declared for it."""
    ops = [o for o in _TABLE.values() if o.operator == spelling]
    if unary:
        dunder = UNARY_OPERATORS[spelling]
        found = [o for o in ops if o.kind is UNARY]
        if found:
            setattr(Value, dunder, found[-1].apply)
        elif dunder in Value.__dict__:
            delattr(Value, dunder)
        return
    name, rname = OPERATORS[spelling]
    both = next((o for o in ops if o.kind is BINARY), None)
    right = next((o.apply for o in ops if o.kind is UNARY_CONST and "right" in o.sides), None)
    left = next((o for o in ops if o.kind is UNARY_CONST and "left" in o.sides), None)

    if both is not None:  # the binary op's own constructor, taking a constant too
        forward = constructor(both, _NODE_CLASSES[both.name], right)
    else:
        def forward(self: Value, other: Any) -> Any:
            c = None if isinstance(other, Value) else constant(other)
            return NotImplemented if c is None or right is None else right(self, c)

    if left is not None:  # 2 * x: the constant op's own constructor, taking any number
        reflected = constructor(left, _NODE_CLASSES[left.name], reflected=True)
    else:
        def reflected(self: Value, other: Any) -> Any:
            return NotImplemented

    forward.__name__ = forward.__qualname__ = name
    reflected.__name__ = reflected.__qualname__ = rname
    setattr(Value, name, forward)
    setattr(Value, rname, reflected)

"""From a declared op to its node class and its constructor.

Each op gets a subclass of ``Value`` whose methods say how its gradient flows back
(``_backward``, ``local_grads``) by calling the op's ``deriv``, and a constructor
that computes the value with ``forward`` and makes the node. The constructors are
the engine's hot path: every op of every forward pass comes through one, so each
reads the thread's mode once and sets the node's slots directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from .anomaly import check_forward, describe_input
from .declaration import BINARY, NARY, UNARY, UNARY_CONST, Op
from .derivative_shapes import shape_of
from .engine import Value
from .errors import DomainError
from .modes import current_mode
from .real_numbers import constant, is_real, preview

_new = object.__new__
# Reads .data in C: an n-ary node reads all its inputs' values at once.
_data = attrgetter("data")


# --- errors a constructor raises: the graph is unchanged when they do --------------------


def _given(op: Op, inputs: Sequence[Value], c: Any) -> str:
    if op.kind is NARY:
        shown = ", ".join(describe_input(v) for v in inputs[:8])
        return f"xs = [{shown}{', ...' if len(inputs) > 8 else ''}]"
    parts = [f"{n} = {describe_input(v)}" for n, v in zip(op.kind.operands, inputs)]
    if c is not None:
        parts.append(f"{op.param_name if op.kind is UNARY_CONST else 'c'} = {c!r}")
    return ", ".join(parts)


def domain_error(op: Op, inputs: Sequence[Value], c: Any, exc: Exception) -> Exception:
    """The error for an input outside the op's domain, naming the op, the values, the fix."""
    message = (
        f"{op.name} ({op.doc}) with {_given(op, inputs, c)}: {exc}. The op was not applied "
        f"and the graph is unchanged; keep the input inside the domain (for example, clamp "
        f"it) first."
    )
    if isinstance(exc, ZeroDivisionError):
        return ZeroDivisionError(message)
    return DomainError(message, op.name, tuple(v.data for v in inputs))


def _not_a_float(x: Any) -> str:
    if isinstance(x, Value):
        return (f"holds a Value ({preview(x)}), not a number: write `w.data -= lr * w.grad` "
                f"(or `w.data = (w - lr * w.grad).data`) to update a Value in place")
    return f"holds {type(x).__name__} {preview(x)}; .data must be a float"


def bad_result(op: Op, inputs: Sequence[Value], c: Any, y: Any) -> float:
    """The forward value as a float, or a TypeError naming the input whose ``.data`` is not
    a number (a Value stored in ``.data`` is the usual mistake) or the op that returned it."""
    for i, v in enumerate(inputs):
        if type(v.data) is not float and not is_real(v.data):
            if v.label:
                name = repr(v.label)
            else:  # no label: the operand's place in what the op computes (x in x * c)
                operands = op.kind.operands
                place = operands[i] if i < len(operands) else operands[0]
                if op.kind.arity is None:
                    place = f"{place}[{i}]"
                name = f"its input {place} in {op.formula_for(op.kind.operands, c)}"
            raise TypeError(f"{op.name}: {name} (a Value) {_not_a_float(v.data)}. Nothing "
                            f"was changed.")
    if is_real(y):
        return float(y)
    raise TypeError(f"{op.name}'s forward returned {type(y).__name__} {preview(y)} for "
                    f"{_given(op, inputs, c)}; a forward must return a real number")


def _not_values(op: Op, a: Any, b: Any, right: Callable[..., Value] | None) -> Any:
    """A binary op given something that is not a Value: as an operator, a number goes to the
    op of the constant and anything else is NotImplemented; called directly, an error."""
    if right is not None:
        c = constant(b)
        return NotImplemented if c is None else right(a, c)
    bad = a if not isinstance(a, Value) else b
    raise TypeError(f"{op.name}.apply needs Values, got {type(bad).__name__} {preview(bad)}; "
                    f"call the op itself, {op.name}(a, b), to convert plain numbers")


# --- node classes ---------------------------------------------------------------------------


def node_class(op: Op) -> type[Value]:
    """The subclass of Value whose instances are the nodes of ``op``."""
    d, kind = op.deriv, op.kind
    namespace: dict[str, Any] = {"__slots__": (), "primitive": op,
                                 "__doc__": f"A node made by the {op.name!r} op: {op.doc}"}
    if kind is UNARY:

        def _prev(self: Value) -> tuple[Value, ...]:
            return (self._a,)

        def _backward(self: Value) -> None:
            x = self._a
            x.grad += d(x.data, self.data) * self.grad

        def local_grads(self: Value, symbolic: bool = False) -> list[Any]:
            x = self._a
            return [d(x, self) if symbolic else d(x.data, self.data)]

    elif kind is UNARY_CONST:

        def _prev(self: Value) -> tuple[Value, ...]:
            return (self._a,)

        def _backward(self: Value) -> None:
            x = self._a
            x.grad += d(x.data, self.data, self._b) * self.grad

        def local_grads(self: Value, symbolic: bool = False) -> list[Any]:
            x = self._a
            return [d(x, self, self._b) if symbolic else d(x.data, self.data, self._b)]

        namespace["constant"] = property(lambda self: self._b, doc=Value.constant.__doc__)

    elif kind is BINARY:

        def _prev(self: Value) -> tuple[Value, ...]:
            return (self._a, self._b)

        def _backward(self: Value) -> None:
            a, b, g = self._a, self._b, self.grad
            da, db = d(a.data, b.data, self.data)
            a.grad += da * g
            b.grad += db * g

        def local_grads(self: Value, symbolic: bool = False) -> list[Any]:
            a, b = self._a, self._b
            return list(d(a, b, self) if symbolic else d(a.data, b.data, self.data))

    else:
        split = kind.groups

        def _prev(self: Value) -> tuple[Value, ...]:
            return self._a

        if op.groups == 1:

            def _backward(self: Value) -> None:
                g = self.grad
                parents = self._a
                for p, dp in zip(parents, d(list(map(_data, parents)), self.data)):
                    p.grad += dp * g

        elif op.groups == 2:  # one list of derivatives per group: dot's weights and inputs

            def _backward(self: Value) -> None:
                g = self.grad
                parents = self._a
                n = len(parents) >> 1
                ws, xs = parents[:n], parents[n:]
                dws, dxs = d(list(map(_data, ws)), list(map(_data, xs)), self.data)
                for p, dp in zip(ws, dws):
                    p.grad += dp * g
                for p, dp in zip(xs, dxs):
                    p.grad += dp * g

        else:

            def _backward(self: Value) -> None:
                g = self.grad
                groups = split(op, self._a)
                found = d(*[[p.data for p in group] for group in groups], self.data)
                for group, ds in zip(groups, found):
                    for p, dp in zip(group, ds):
                        p.grad += dp * g

        def local_grads(self: Value, symbolic: bool = False) -> list[Any]:
            parents = self._a
            return kind.deriv(op, parents if symbolic else [p.data for p in parents],
                              self if symbolic else self.data)

    fast = _direct_backward(op)
    if fast is not None:
        _backward = fast  # type: ignore[assignment]
    if kind is not UNARY_CONST and "{c}" not in op.symbol:
        namespace["_op"] = op.symbol
    else:
        namespace["_op"] = property(lambda self: op.symbol_for(self._b))
    _backward.__doc__ = Value._backward.__doc__
    local_grads.__doc__ = Value.local_grads.__doc__
    namespace.update(_prev=property(_prev, doc="The parents of this node, in order."),
                     _backward=_backward, local_grads=local_grads)
    cls = type(f"Value[{op.name}]", (Value,), namespace)
    cls.__module__ = Value.__module__
    # Python's own messages ("unsupported operand type(s) for +: 'Value' and 'str'") use
    # __name__; the qualified name keeps the op, so pickling a node fails loudly.
    cls.__name__ = "Value"
    return cls


def _direct_backward(op: Op) -> Callable[[Value], None] | None:
    """A ``_backward`` that reads each local derivative where the declaration says it comes
    from (a constant, an operand, the node's value or its constant: see
    :mod:`.derivative_shapes`), with no call to ``deriv``. Same products, same order."""
    shape = shape_of(op)
    if shape is None:
        return None
    if shape == ("swap",):  # dot: each weight's derivative is its input, and back

        def backward_swap(self: Value) -> None:
            g = self.grad
            parents = self._a
            n = len(parents) >> 1
            ws, xs = parents[:n], parents[n:]
            for w, x in zip(ws, xs):
                w.grad += x.data * g
            for w, x in zip(ws, xs):
                x.grad += w.data * g

        return backward_swap
    if len(shape) == 1:
        (s,) = shape
        if s == 1.0:
            def backward_one(self: Value) -> None:
                self._a.grad += self.grad
            return backward_one
        if s == -1.0:
            def backward_minus_one(self: Value) -> None:
                self._a.grad -= self.grad
            return backward_minus_one
        if s == "out":  # exp: the derivative is the value
            def backward_out(self: Value) -> None:
                self._a.grad += self.data * self.grad
            return backward_out
        if s == "c":  # x * c: the derivative is the constant
            def backward_c(self: Value) -> None:
                self._a.grad += self._b * self.grad
            return backward_c
        return None
    if shape == (1.0, 1.0):  # a + b
        def backward_add(self: Value) -> None:
            g = self.grad
            self._a.grad += g
            self._b.grad += g
        return backward_add
    if shape == (1.0, -1.0):  # a - b
        def backward_sub(self: Value) -> None:
            g = self.grad
            self._a.grad += g
            self._b.grad -= g
        return backward_sub
    if shape == ("b", "a"):  # a * b
        def backward_mul(self: Value) -> None:
            a, b, g = self._a, self._b, self.grad
            a.grad += b.data * g
            b.grad += a.data * g
        return backward_mul
    return None


# --- constructors -----------------------------------------------------------------------------
# One per kind. They differ only in their arguments and in which slots hold the parents;
# they are written out rather than sharing a helper because an extra call per op costs
# about a fifth of the op.


def constructor(op: Op, cls: type[Value], constant_op: Callable[..., Value] | None = None,
                reflected: bool = False) -> Callable[..., Value]:
    """``apply(*inputs)``: a node of ``op`` from Values (and its constant), checked.

    For a binary op, ``constant_op`` makes it an operator method (``Value.__mul__``): a
    plain-number right operand goes to that op (``x * 2``). For an op with a constant,
    ``reflected`` makes it a reflected operator method (``Value.__rmul__``, ``2 * x``):
    the constant may be any number, and anything else is NotImplemented.
    """
    f, kind = op.forward, op.kind
    catch = (ValueError, ZeroDivisionError)

    if kind is UNARY:

        def apply(x: Value) -> Value:
            xd = x.data
            try:
                y = f(xd)
            except catch as exc:
                raise domain_error(op, (x,), None, exc) from None
            if type(y) is not float or type(xd) is not float:
                y = bad_result(op, (x,), None, y)
            m = current_mode()
            if m.recording:
                out = _new(cls)
                out._a = x
                out._b = None  # the graph walk reads it (a second parent, or a constant)
            else:
                out = _new(Value)
                out._a = None
            out.data = y
            out.grad = 0.0
            out._scope = m.scope
            if m.anomaly:
                check_forward(out, op.name, (x,), None)
            return out

    elif kind is UNARY_CONST:

        def apply(x: Value, c: Any) -> Value:  # type: ignore[misc]
            if reflected and c.__class__ is not float:
                c = constant(c)
                if c is None:
                    return NotImplemented
            xd = x.data
            try:
                y = f(xd, c)
            except catch as exc:
                raise domain_error(op, (x,), c, exc) from None
            if type(y) is not float or type(xd) is not float:
                y = bad_result(op, (x,), c, y)
            m = current_mode()
            if m.recording:
                out = _new(cls)
                out._a = x
                out._b = c
            else:
                out = _new(Value)
                out._a = None
            out.data = y
            out.grad = 0.0
            out._scope = m.scope
            if m.anomaly:
                check_forward(out, op.name, (x,), c)
            return out

    elif kind is BINARY:
        # Behind an operator (``a * b``) the right operand may be a plain number: then the
        # op of the constant (``x * 2``) makes the node, and anything else is
        # NotImplemented, so Python's own message names the type.
        right = constant_op
        # A Value stored in .data by mistake must not pass unnoticed. The built-in binary
        # forwards pass it on into their result (a test checks it), which is checked; a
        # forward of yours might turn it into a float (math.hypot does), so its inputs are.
        check_inputs = not op.builtin

        def apply(a: Value, b: Value) -> Value:  # type: ignore[misc]
            if right is not None and b.__class__ is float:
                return right(a, b)
            if not isinstance(b, Value):
                return _not_values(op, a, b, right)
            ad = a.data
            bd = b.data
            try:
                y = f(ad, bd)
            except catch as exc:
                raise domain_error(op, (a, b), None, exc) from None
            if type(y) is not float or (check_inputs and (type(ad) is not float
                                                          or type(bd) is not float)):
                y = bad_result(op, (a, b), None, y)
            m = current_mode()
            if m.recording:
                out = _new(cls)
                out._a = a
                out._b = b
            else:
                out = _new(Value)
                out._a = None
            out.data = y
            out.grad = 0.0
            out._scope = m.scope
            if m.anomaly:
                check_forward(out, op.name, (a, b), None)
            return out

    else:
        split = kind.groups

        groups = op.groups

        def apply(*parents: Value) -> Value:  # type: ignore[misc]
            datas = list(map(_data, parents))
            try:
                if groups == 1:
                    y = f(datas)
                elif groups == 2 and not len(datas) & 1:  # dot: weights, then inputs
                    n = len(datas) >> 1
                    y = f(datas[:n], datas[n:])
                else:
                    y = f(*split(op, datas))
            except catch as exc:
                raise domain_error(op, parents, None, exc) from None
            except TypeError:  # a forward that refuses non-floats (fsum, float.__mul__)
                y = None
            if type(y) is not float:
                y = bad_result(op, parents, None, y)
            m = current_mode()
            if m.recording:
                out = _new(cls)
                out._a = parents
            else:
                out = _new(Value)
                out._a = None
            out.data = y
            out.grad = 0.0
            out._scope = m.scope
            if m.anomaly:
                check_forward(out, op.name, parents, None)
            return out

    return apply

"""`Value`, the node of the computational graph, and `backward()`.

A leaf is a plain ``Value``. Every op in :mod:`autograd.ops` gets its own
subclass of ``Value`` (built below from the op table), so a node's type says
which op made it and how its gradient flows back -- no closure per node, and
so no reference cycle: dropping the last reference to a graph frees it by
reference counting alone.

A node has five slots: ``data``, ``grad``, two parent slots and a tag (the
label, or (label, scope), or (label, scope, source line) for a node made inside
``detect_anomaly()``). Unary nodes keep their parent in ``_a`` and, if the op
takes a plain-number constant (``x * 2``), the constant in ``_b``; binary nodes
keep both parents; n-ary nodes keep a tuple of parents in ``_a``; a leaf has
``_a = None``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import ops as _ops
from .errors import AnomalyError, DomainError
from .modes import STATE, user_source_line

Number = float | int

_new = object.__new__


def _real(x: Any, what: str) -> float:
    """``x`` as a float, or a TypeError that names what was received."""
    t = type(x)
    if t is float:
        return x
    if (t is int or isinstance(x, numbers.Real)) and not isinstance(x, bool) and not (
        _is_numpy_bool(x)
    ):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(
                f"{what} got {_preview(x)}, which is too large for a float (the largest is "
                f"about 1.8e308); scale the problem down, or pass float('inf') if you mean it"
            ) from None
    if isinstance(x, bool) or _is_numpy_bool(x):
        raise TypeError(
            f"{what} needs a real number, got a bool ({x!r}); booleans are almost always "
            f"a mistake here -- pass 1.0 or 0.0 if you mean a number"
        )
    raise TypeError(
        f"{what} needs a real number (int, float or NumPy scalar), got "
        f"{type(x).__name__} {_preview(x)}"
    )


def _is_numpy_bool(x: Any) -> bool:
    return type(x).__name__ == "bool" and type(x).__module__ == "numpy"


def _preview(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


# Small int constants become shared floats, so ``y + 1`` allocates no float per node
# (24 bytes a node) and its arithmetic stays float + float (the fast path).
_SMALL_INTS = 256
_SMALL_FLOATS = [float(i) for i in range(-_SMALL_INTS, _SMALL_INTS + 1)]
_EXACT_INT = 2**53


def _const(x: Any) -> float | None:
    """A plain-number operand as a float, or None when it is not a number."""
    t = type(x)
    if t is float:
        return x
    if t is int and -_SMALL_INTS <= x <= _SMALL_INTS:
        return _SMALL_FLOATS[x + _SMALL_INTS]
    if isinstance(x, numbers.Real) and not isinstance(x, bool) and not _is_numpy_bool(x):
        return _real(x, "a constant operand")
    return None


class Value:
    """A scalar in a computational graph: its ``data``, its ``grad`` and the op that made it.

    >>> a = Value(2.0, label='a')
    >>> b = a * a + 1
    >>> b.backward()
    >>> b.data, a.grad
    (5.0, 4.0)

    ``data`` and ``grad`` are plain, writable floats; ``label`` is a writable
    string. ``_prev`` holds the parents in order, ``_op`` the op's short name
    ('+', '*', 'tanh', '**2', ...), as in micrograd.
    """

    __slots__ = ("data", "grad", "_a", "_b", "_tag")

    data: float
    grad: float
    _a: Any  # first parent, the tuple of parents of an n-ary node, or None for a leaf
    _b: Any  # second parent, or the constant of an op like x * 2
    _tag: Any  # the label, or (label, scope), or (label, scope, source line)

    #: The :class:`~autograd.ops.Op` that made this node; ``None`` for a leaf.
    op: _ops.Op | None = None
    _op: str = ""
    # NumPy scalars on the left of an operator defer to our reflected methods.
    __array_ufunc__ = None

    def __init__(self, data: Any, label: str = "") -> None:
        if type(data) is not float:
            data = _real(data, "Value(data)")
        if type(label) is not str:
            raise TypeError(f"Value(label=...) needs a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self._a = None  # no parent: the mark of a leaf, for subclasses of Value too
        tag = STATE.tag
        self._tag = (label, tag[1]) if tag else label

    # --- graph structure ------------------------------------------------------

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The parents of this node, in order (empty for a leaf)."""
        return ()

    def _backward(self) -> None:
        """Add this node's chain-rule contribution into its parents (nothing for a leaf)."""

    def local_grads(self, symbolic: bool = False) -> list[Any]:
        """d(self)/d(parent) for each parent in ``_prev`` order.

        Floats by default; Values (themselves differentiable) with ``symbolic=True``.
        """
        return self._local_grads(symbolic)

    def _local_grads(self, symbolic: bool = False) -> list[Any]:
        return []

    @property
    def source(self) -> str:
        """The line of code that made this node, if made inside :func:`~autograd.detect_anomaly`."""
        tag = self._tag
        return tag[2] if tag.__class__ is tuple and len(tag) > 2 else ""

    @property
    def constant(self) -> float | None:
        """The plain-number constant of an op like ``x * 2`` (``None`` otherwise)."""
        return None

    @property
    def is_leaf(self) -> bool:
        """True for a node with no parents: an input, a parameter, a constant."""
        return self._a is None

    @property
    def label(self) -> str:
        tag = self._tag
        return tag if tag.__class__ is str else tag[0]

    @label.setter
    def label(self, text: str) -> None:
        if type(text) is not str:
            raise TypeError(f"label needs a str, got {type(text).__name__}")
        tag = self._tag
        self._tag = text if tag.__class__ is str else (text, *tag[1:])

    @property
    def scope(self) -> str:
        """The dotted name of the :func:`~autograd.scope` this node was made in ('' if none).

        Writable, so a container module can re-tag parameters made elsewhere.
        """
        tag = self._tag
        return "" if tag.__class__ is str else tag[1]

    @scope.setter
    def scope(self, name: str) -> None:
        if not isinstance(name, str):  # a node's own .scope too (it carries the kinds)
            raise TypeError(f"scope needs a str, got {type(name).__name__}")
        tag = self._tag
        if tag.__class__ is str:
            self._tag = (tag, name) if name else tag
        else:  # keep the source line recorded under detect_anomaly()
            self._tag = (tag[0], name, *tag[2:]) if name or len(tag) > 2 else tag[0]

    # --- conversions and comparisons -------------------------------------------

    def __repr__(self) -> str:
        label = self.label
        extra = f", label={label!r}" if label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    def __float__(self) -> float:
        return float(self.data)

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    # Equality and hashing stay identity-based, so Values can live in sets.
    def __lt__(self, other: Any) -> bool:
        return self.data < _compare_operand(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _compare_operand(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _compare_operand(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _compare_operand(other)

    # --- arithmetic -------------------------------------------------------------

    def __add__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return _ADD(self, other)
        c = _const(other)
        return NotImplemented if c is None else _ADD_CONST(self, c)

    def __radd__(self, other: Any) -> Value:
        c = _const(other)
        return NotImplemented if c is None else _ADD_CONST(self, c)

    def __sub__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return _SUB(self, other)
        c = _const(other)
        return NotImplemented if c is None else _SUB_CONST(self, c)

    def __rsub__(self, other: Any) -> Value:
        c = _const(other)
        return NotImplemented if c is None else _RSUB_CONST(self, c)

    def __mul__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return _MUL(self, other)
        c = _const(other)
        return NotImplemented if c is None else _MUL_CONST(self, c)

    def __rmul__(self, other: Any) -> Value:
        c = _const(other)
        return NotImplemented if c is None else _MUL_CONST(self, c)

    def __truediv__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return _DIV(self, other)
        c = _const(other)
        return NotImplemented if c is None else _DIV_CONST(self, c)

    def __rtruediv__(self, other: Any) -> Value:
        c = _const(other)
        return NotImplemented if c is None else _RDIV_CONST(self, c)

    def __pow__(self, other: Any) -> Value:
        if isinstance(other, Value):
            return _POW(self, other)
        c = _const(other)
        if c is None:
            return NotImplemented
        # Keep an integral exponent an int, so _op reads '**2' as in micrograd.
        return _POW_CONST(self, int(c) if c.is_integer() and abs(c) < _EXACT_INT else c)

    def __rpow__(self, other: Any) -> Value:
        c = _const(other)
        return NotImplemented if c is None else _RPOW_CONST(self, c)

    def __neg__(self) -> Value:
        return _NEG(self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _ABS(self)

    # --- elementwise functions ----------------------------------------------------

    def exp(self) -> Value:
        """e ** self."""
        return _EXP(self)

    def log(self) -> Value:
        """Natural logarithm; DomainError for data <= 0."""
        return _LOG(self)

    def sqrt(self) -> Value:
        """Square root; DomainError for data < 0."""
        return _SQRT(self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return _TANH(self)

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -self), finite for any input."""
        return _SIGMOID(self)

    def relu(self) -> Value:
        """max(self, 0); the derivative at 0 is 0, as in PyTorch."""
        return _RELU(self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """self if self > 0 else slope * self; the derivative at 0 is ``slope``."""
        return _LEAKY_RELU(self, _real(slope, "leaky_relu(slope)"))

    def softplus(self) -> Value:
        """log(1 + e ** self), finite for any input."""
        return _SOFTPLUS(self)

    def sin(self) -> Value:
        """Sine."""
        return _SIN(self)

    def cos(self) -> Value:
        """Cosine."""
        return _COS(self)

    # --- gradients -----------------------------------------------------------------

    def detach(self) -> Value:
        """A new leaf with the same data, label and scope, cut off from the graph."""
        leaf = Value(self.data, self.label)
        leaf._tag = self._tag
        return leaf

    def backward(self, gradient: Number = 1.0) -> None:
        """Back-propagate from this node: after it, every node holds d(self)/d(node) in ``.grad``.

        At the start of each pass the gradients of the interior nodes (nodes with
        parents) of this graph are reset, so they always show this pass's
        derivative. Leaf gradients *accumulate* across passes, as PyTorch leaves
        do: zero them (``model.zero_grad()`` or ``v.grad = 0.0``) between steps.
        ``gradient`` seeds the pass (d(loss)/d(self), 1.0 by default).

        The topological sort is iterative: graphs of any depth work.
        """
        seed = gradient if type(gradient) is float else _real(gradient, "backward(gradient)")
        order = topological_order(self)
        if STATE.anomaly:
            _backward_checked(self, order, seed)
            return
        for node in order:
            node.grad = 0.0
        if not order:  # a leaf
            self.grad += seed
            return
        self.grad = seed
        for node in reversed(order):
            node._backward()


def _compare_operand(other: Any) -> float:
    if isinstance(other, Value):
        return other.data
    c = _const(other)
    if c is None:
        raise TypeError(f"cannot compare a Value with {type(other).__name__} {_preview(other)}")
    return c


def topological_order(root: Value, *, leaves: bool = False) -> list[Value]:
    """The nodes of ``root``'s graph, parents before children, first parent first, root last.

    Only the interior nodes (nodes with parents) unless ``leaves=True``. The
    walk is an iterative depth-first search: no recursion limit. Every
    renderer numbers nodes in this order.
    """
    order: list[Value] = []
    if not leaves and root._a is None:
        return order
    seen: set[Value] = set()
    stack: list[Any] = [root]
    push, pop, mark, append = stack.append, stack.pop, seen.add, order.append
    while stack:
        node = pop()
        if node is None:  # all parents of the node below the marker are done
            append(pop())
            continue
        if node in seen:
            continue
        mark(node)
        if node._a is None:
            if leaves:
                append(node)
            continue
        push(node)
        push(None)
        for parent in reversed(node._prev):
            if parent not in seen and (leaves or parent._a is not None):
                push(parent)
    return order


# ---------------------------------------------------------------------------
# Node classes and their constructors, built from the op table.


def _describe_input(v: Value) -> str:
    label = v.label
    return f"{v.data!r}" + (f" (Value {label!r})" if label else "")


def _domain_error(op: _ops.Op, inputs: Sequence[Value], param: Any, exc: Exception) -> Exception:
    if op.kind == "nary":
        shown = ", ".join(_describe_input(v) for v in inputs[:8])
        given = f"xs = [{shown}{', ...' if len(inputs) > 8 else ''}]"
    else:
        names = ("a", "b") if op.kind == "binary" else ("x",)
        parts = [f"{n} = {_describe_input(v)}" for n, v in zip(names, inputs)]
        if param is not None:
            parts.append(f"c = {param!r}")
        given = ", ".join(parts)
    message = (
        f"{op.name} ({op.doc}) with {given}: {exc}. The op was not applied and the graph is "
        f"unchanged; keep the input inside the domain (for example, clamp it) first."
    )
    if isinstance(exc, ZeroDivisionError):
        return ZeroDivisionError(message)
    return DomainError(message, op.name, tuple(v.data for v in inputs))


def _check_forward(out: Value, op: _ops.Op, inputs: Sequence[Value], param: Any) -> None:
    """Inside detect_anomaly(): record where ``out`` was made, and raise if it is NaN or inf.

    The source line lives in the node's own tag (label, scope, source), not in a table
    of the block, so the nodes of a long hunt are still freed as the program drops them.
    """
    source = user_source_line()
    tag = out._tag
    out._tag = (tag, "", source) if tag.__class__ is str else (tag[0], tag[1], source)
    if not math.isfinite(out.data):
        shown = ", ".join(_describe_input(v) for v in inputs[:8])
        extra = f", constant {param!r}" if param is not None else ""
        raise AnomalyError(
            f"{op.name} produced {out.data!r} from inputs [{shown}]{extra}, at {source}",
            op.name, tuple(v.data for v in inputs), source,
        )


def check_backward_step(
    node: Value, d: Any, upstream: Any, contribution: Any, before: Any, total: Any
) -> None:
    """Raise AnomalyError if one chain-rule step of ``node`` is NaN or inf.

    ``d`` is the local derivative, ``upstream`` the node's gradient; the parent's
    gradient goes from ``before`` to ``total`` by adding ``contribution`` (finite
    steps can still overflow when they add up).
    """
    if math.isfinite(d) and math.isfinite(contribution) and math.isfinite(total):
        return
    op = node.op
    assert op is not None
    source = node.source or (
        "unknown (the node was made outside detect_anomaly(); run the forward pass inside "
        "the block too)"
    )
    inputs = tuple(p.data for p in node._prev)
    if math.isfinite(d) and math.isfinite(contribution):
        what = (
            f"gradients that add up to {total!r}: a contribution of {contribution!r} "
            f"overflowed the sum" if math.isfinite(before) else
            f"a gradient that was already {before!r} before this step (a leaf's gradient "
            f"accumulates across backward() calls: zero it first)"
        )
    else:
        what = (f"a non-finite gradient: local derivative {d!r} x upstream gradient "
                f"{upstream!r} = {contribution!r}")
    raise AnomalyError(
        f"backward of {op.name} gave {what}; inputs {list(inputs)[:8]}, output "
        f"{node.data!r}; node created at {source}.",
        op.name, inputs, source,
    )


def _backward_checked(root: Value, order: list[Value], seed: float) -> None:
    """backward() inside detect_anomaly(): check every local derivative and contribution.

    On an anomaly every gradient in the graph is put back as it was before the call.
    """
    if not math.isfinite(seed):
        raise AnomalyError(f"backward() was seeded with {seed!r}", "backward", (seed,))
    nodes = {p for node in order for p in node._prev}
    nodes.update(order)
    nodes.add(root)
    saved = [(node, node.grad) for node in nodes]
    try:
        _backward_checked_pass(root, order, seed)
    except AnomalyError as exc:
        for node, g in saved:
            node.grad = g
        raise AnomalyError(
            f"{exc} Every gradient is as it was before this backward() call.",
            exc.op, exc.inputs, exc.source,
        ) from None


def _backward_checked_pass(root: Value, order: list[Value], seed: float) -> None:
    for node in order:
        node.grad = 0.0
    if not order:
        root.grad += seed
        if not math.isfinite(root.grad):
            raise AnomalyError(
                f"backward() made the gradient of a leaf {root.grad!r}",
                "backward", (root.data,),
            )
        return
    root.grad = seed
    for node in reversed(order):
        g = node.grad
        for parent, d in zip(node._prev, node._local_grads()):
            contribution = d * g
            before = parent.grad
            total = before + contribution
            check_backward_step(node, d, g, contribution, before, total)
            parent.grad = total


def _node_class(op: _ops.Op) -> type[Value]:
    d = op.deriv
    namespace: dict[str, Any] = {
        "__slots__": (),
        "__doc__": f"A node made by the {op.name!r} op: {op.doc}",
        "op": op,
        "_op": op.symbol,
    }
    if op.kind == "unary":

        def _prev(self: Value) -> tuple[Value, ...]:
            return (self._a,)

        def _backward(self: Value) -> None:
            x = self._a
            x.grad += d(x.data, self.data) * self.grad

        def _local_grads(self: Value, symbolic: bool = False) -> list[Any]:
            x = self._a
            return [d(x, self) if symbolic else d(x.data, self.data)]

    elif op.kind == "unary_param":

        def _prev(self: Value) -> tuple[Value, ...]:
            return (self._a,)

        def _backward(self: Value) -> None:
            x = self._a
            x.grad += d(x.data, self.data, self._b) * self.grad

        def _local_grads(self: Value, symbolic: bool = False) -> list[Any]:
            x = self._a
            return [d(x, self, self._b) if symbolic else d(x.data, self.data, self._b)]

        namespace["constant"] = property(lambda self: self._b)
        if op.name == "pow_const":
            namespace["_op"] = property(lambda self: f"**{self._b}")

    elif op.kind == "binary":

        def _prev(self: Value) -> tuple[Value, ...]:
            return (self._a, self._b)

        def _backward(self: Value) -> None:
            a, b, g = self._a, self._b, self.grad
            da, db = d(a.data, b.data, self.data)
            a.grad += da * g
            b.grad += db * g

        def _local_grads(self: Value, symbolic: bool = False) -> list[Any]:
            a, b = self._a, self._b
            return list(d(a, b, self) if symbolic else d(a.data, b.data, self.data))

    else:  # nary

        def _prev(self: Value) -> tuple[Value, ...]:
            return self._a

        def _backward(self: Value) -> None:
            g = self.grad
            parents = self._a
            for p, dp in zip(parents, d([p.data for p in parents], self.data)):
                p.grad += dp * g

        def _local_grads(self: Value, symbolic: bool = False) -> list[Any]:
            parents = self._a
            if symbolic:
                return list(d(list(parents), self))
            return list(d([p.data for p in parents], self.data))

    _backward.__doc__ = Value._backward.__doc__
    namespace.update(
        _prev=property(_prev, doc="The parents of this node, in order."),
        _backward=_backward,
        _local_grads=_local_grads,
    )
    cls = type(f"Value[{op.name}]", (Value,), namespace)
    cls.__module__ = __name__
    # Python's own messages ("unsupported operand type(s) for +: 'Value' and 'str'") use
    # __name__; the qualified name keeps the op, so pickling a node fails loudly.
    cls.__name__ = "Value"
    return cls


NODE_CLASSES: dict[str, type[Value]] = {op.name: _node_class(op) for op in _ops.OPS}


# One constructor per kind of op. They differ only in their arguments and in which
# slots hold the parents; they are written out rather than sharing a helper because
# every op in every forward pass comes through here, and an extra call per op costs
# about a fifth of the op.


def _unary(op: _ops.Op) -> Callable[[Value], Value]:
    cls, f = NODE_CLASSES[op.name], op.forward

    def apply(x: Value) -> Value:
        try:
            y = f(x.data)
        except (ValueError, ZeroDivisionError) as exc:
            raise _domain_error(op, (x,), None, exc) from None
        state = STATE
        if state.recording:
            out = _new(cls)
            out._a = x
        else:
            out = _new(Value)
            out._a = None
        out.data = y
        out.grad = 0.0
        out._tag = state.tag
        if state.anomaly:
            _check_forward(out, op, (x,), None)
        return out

    return apply


def _unary_param(op: _ops.Op) -> Callable[[Value, Any], Value]:
    cls, f = NODE_CLASSES[op.name], op.forward

    def apply(x: Value, c: Any) -> Value:
        try:
            y = f(x.data, c)
        except (ValueError, ZeroDivisionError) as exc:
            raise _domain_error(op, (x,), c, exc) from None
        state = STATE
        if state.recording:
            out = _new(cls)
            out._a = x
            out._b = c
        else:
            out = _new(Value)
            out._a = None
        out.data = y
        out.grad = 0.0
        out._tag = state.tag
        if state.anomaly:
            _check_forward(out, op, (x,), c)
        return out

    return apply


def _binary(op: _ops.Op) -> Callable[[Value, Value], Value]:
    cls, f = NODE_CLASSES[op.name], op.forward

    def apply(a: Value, b: Value) -> Value:
        try:
            y = f(a.data, b.data)
        except (ValueError, ZeroDivisionError) as exc:
            raise _domain_error(op, (a, b), None, exc) from None
        state = STATE
        if state.recording:
            out = _new(cls)
            out._a = a
            out._b = b
        else:
            out = _new(Value)
            out._a = None
        out.data = y
        out.grad = 0.0
        out._tag = state.tag
        if state.anomaly:
            _check_forward(out, op, (a, b), None)
        return out

    return apply


def _nary(op: _ops.Op) -> Callable[[tuple[Value, ...]], Value]:
    cls, f = NODE_CLASSES[op.name], op.forward

    def apply(parents: tuple[Value, ...]) -> Value:
        try:
            y = f([p.data for p in parents])
        except (ValueError, ZeroDivisionError) as exc:
            raise _domain_error(op, parents, None, exc) from None
        state = STATE
        if state.recording:
            out = _new(cls)
            out._a = parents
        else:
            out = _new(Value)
            out._a = None
        out.data = y
        out.grad = 0.0
        out._tag = state.tag
        if state.anomaly:
            _check_forward(out, op, parents, None)
        return out

    return apply


_APPLIERS = {"unary": _unary, "unary_param": _unary_param, "binary": _binary, "nary": _nary}

#: ``APPLY[name](*inputs)`` makes a node of op ``name`` (inputs must already be Values).
APPLY: dict[str, Callable[..., Value]] = {
    op.name: _APPLIERS[op.kind](op) for op in _ops.OPS  # type: ignore[misc]
}

_ADD, _SUB, _MUL, _DIV, _POW = (APPLY[n] for n in ("add", "sub", "mul", "div", "pow"))
_ADD_CONST, _SUB_CONST = APPLY["add_const"], APPLY["sub_const"]
_RSUB_CONST, _MUL_CONST = APPLY["rsub_const"], APPLY["mul_const"]
_DIV_CONST, _RDIV_CONST = APPLY["div_const"], APPLY["rdiv_const"]
_POW_CONST, _RPOW_CONST = APPLY["pow_const"], APPLY["rpow_const"]
_NEG, _ABS, _EXP, _LOG, _SQRT = (APPLY[n] for n in ("neg", "abs", "exp", "log", "sqrt"))
_TANH, _SIGMOID, _RELU, _SOFTPLUS = (APPLY[n] for n in ("tanh", "sigmoid", "relu", "softplus"))
_LEAKY_RELU, _SIN, _COS = APPLY["leaky_relu"], APPLY["sin"], APPLY["cos"]


def as_values(items: Iterable[Any], what: str) -> tuple[Value, ...]:
    """Items as Values: Values pass through, plain numbers become constant leaves."""
    values = tuple(items)
    for item in values:
        if not isinstance(item, Value):
            break
    else:
        return values  # the common case: nothing to convert
    out = []
    for i, item in enumerate(values):
        if isinstance(item, Value):
            out.append(item)
        else:
            c = _const(item)
            if c is None:
                raise TypeError(
                    f"{what}: item {i} is {type(item).__name__} {_preview(item)}; "
                    f"expected a Value or a real number"
                )
            out.append(Value(c))
    return tuple(out)

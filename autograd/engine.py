"""`Value`, the node of the computational graph, and `backward()`.

A leaf is a plain ``Value``. Every declared op (:mod:`autograd.ops`, or your own through
:func:`autograd.defop`) has its own subclass of ``Value``, so a node's class says which op
made it and how its gradient flows back: no closure per node, and so no reference
cycle -- a graph you drop is freed by reference counting alone.

A node has six slots: ``data``, ``grad``, two parent slots, its label and its scope.
Unary nodes keep their parent in ``_a`` and, if the op takes a plain-number constant
(``x * 2``), the constant in ``_b``; binary nodes keep both parents; n-ary nodes keep
a tuple of parents in ``_a``. A leaf has ``_a = None``.

Nodes made the lecture's way, ``Value(data, (a, b), '*')`` and a ``_backward`` closure,
are ClosureNodes (:mod:`.closure_node`) and make a reference cycle each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import accumulation
from .modes import current_mode
from .real_numbers import constant, preview, real
from .scope_names import ScopeName, as_scope_name

if TYPE_CHECKING:
    from .declaration import Op
    from .value_surface import ValueSurface  # the declared ops' signatures, for type checkers
else:
    ValueSurface = object

Number = float | int

# Gradient accumulation into shared leaves is one backward pass at a time, whatever the
# thread: += on a float attribute is not atomic. Re-entrant, so a closure node's
# _backward may itself call backward().
_BACKWARD_LOCK = threading.RLock()


class Value(ValueSurface):
    """A scalar in a computational graph: its ``data``, its ``grad`` and the op that made it.

    >>> a = Value(2.0, label='a')
    >>> b = a * a + 1
    >>> b.backward()
    >>> b.data, a.grad
    (5.0, 4.0)

    ``Value(data, _children=(), _op='', label='')`` as in micrograd: with children it
    makes a node of your own (a ClosureNode). ``data`` and ``grad`` are
    plain floats; ``_prev`` holds the parents in order, ``_op`` the op's short name
    ('+', '*', 'tanh', '**2', ...) and ``primitive`` the declared op that made the
    node (None for a leaf or a node of your own).
    """

    __slots__ = ("data", "grad", "_a", "_b", "_label", "_scope")

    data: float
    grad: float
    _a: Any  # first parent, the tuple of parents of an n-ary node, or None for a leaf
    _b: Any  # second parent, or the constant of an op like x * 2
    _label: str
    _scope: ScopeName

    primitive: Op | None = None
    _op: str = ""
    # NumPy scalars on the left of an operator defer to our reflected methods.
    __array_ufunc__ = None

    # Value(data, children, op) makes a node of the lecture's own ops, of the class that
    # closure_node.py gives here (it builds on Value, so it is defined after it).
    _closure_class: type[Value]

    def __new__(cls, *args: Any, **kwargs: Any) -> Value:
        if cls is Value and (args[1:3] != () and any(args[1:3])
                             or kwargs.get("_children") or kwargs.get("_op")):
            return object.__new__(Value._closure_class)
        return object.__new__(cls)

    def __init__(self, data: Any, _children: Any = (), _op: Any = "", label: str = "") -> None:
        if _children or _op:
            raise TypeError(f"{type(self).__name__}(...) takes no children: only Value itself "
                            f"makes a node of your own, Value(data, children, op)")
        self.data = data if type(data) is float else real(data, "Value(data)")
        self.grad = 0.0
        self._a = None  # no parent: the mark of a leaf, for subclasses of Value too
        self._b = None
        self.label = label
        self._scope = current_mode().scope

    # --- graph structure ---------------------------------------------------------------

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The parents of this node, in order (empty for a leaf)."""
        return ()

    def _backward(self) -> None:
        """Add this node's chain-rule contribution into its parents (nothing for a leaf)."""

    def local_grads(self, symbolic: bool = False) -> list[Any]:
        """d(self)/d(parent) for each parent in ``_prev`` order: floats, or with
        ``symbolic=True`` Values (themselves differentiable)."""
        return []

    @property
    def is_leaf(self) -> bool:
        """True for a node with no parents: an input, a parameter, a constant."""
        return self._a is None

    @property
    def constant(self) -> float | None:
        """The plain-number constant of an op like ``x * 2`` (``None`` otherwise)."""
        return None

    @property
    def label(self) -> str:
        try:
            return self._label
        except AttributeError:  # op nodes start without one: one store less per op
            return ""

    @label.setter
    def label(self, text: str) -> None:
        if type(text) is not str:
            raise TypeError(f"label needs a str, got {type(text).__name__} {preview(text)}")
        self._label = text

    @property
    def scope(self) -> str:
        """The dotted name of the :func:`~autograd.scope` this node was made in ('' if none);
        writable, so a container module can re-tag parameters made elsewhere."""
        return self._scope

    @scope.setter
    def scope(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"scope needs a str, got {type(name).__name__} {preview(name)}")
        source = self._scope.source  # keep the line recorded under detect_anomaly()
        named = as_scope_name(name)
        self._scope = named.located(source) if source else named

    @property
    def source(self) -> str:
        """The line of code that made this node, if made inside :func:`~autograd.detect_anomaly`."""
        return self._scope.source

    # --- conversions and comparisons ----------------------------------------------------

    def __repr__(self) -> str:
        extra = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    def __float__(self) -> float:
        return float(self.data)

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    # Equality and hashing stay identity-based, so Values can live in sets.
    def __lt__(self, other: Any) -> bool:
        return self.data < _compared(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _compared(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _compared(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _compared(other)

    def __pos__(self) -> Value:
        return self

    # The operators (+ - * / ** - abs) and methods (exp, tanh, ...) are the declared ops of
    # autograd/ops.py: declaring an op attaches them.
    # --- gradients ---------------------------------------------------------------------

    def detach(self) -> Value:
        """A new leaf with the same data, label and scope, cut off from the graph."""
        leaf = Value(self.data, label=self.label)
        leaf._scope = self._scope
        return leaf

    def backward(self, gradient: Number = 1.0) -> None:
        """Back-propagate from this node: after it, every node holds d(self)/d(node) in ``.grad``.

        At the start of each pass the gradients of the interior nodes (nodes with
        parents) of this graph are reset, so they always show this pass's
        derivative. Leaf gradients *accumulate* across passes, as PyTorch leaves
        do: zero them (``model.zero_grad()`` or ``v.grad = 0.0``) between steps.
        ``gradient`` seeds the pass (d(loss)/d(self), 1.0 by default).

        Passes from several threads run one at a time, so leaves they share add up
        every contribution. The topological sort is iterative: any depth works.
        """
        seed = gradient if type(gradient) is float else real(gradient, "backward(gradient)")
        checked = current_mode().anomaly
        with _BACKWARD_LOCK:
            order = topological_order(self)
            if accumulation.watching():
                accumulation.check(order)
            if checked:
                from .anomaly import checked_step, start_checked

                start_checked(self, order, seed, lambda: backward_pass(
                    self, order, seed, checked_step))
            else:
                backward_pass(self, order, seed)


def backward_pass(root: Value, order: list[Value], seed: float,
                  step: Callable[[Value], None] | None = None) -> None:
    """The reverse sweep: reset the interior gradients, seed the root, and let each node,
    last made first, add its contribution into its parents (``step(node)`` instead of
    ``node._backward()`` when given: detect_anomaly's checked step)."""
    for node in order:
        node.grad = 0.0
    if not order:  # a leaf: its gradient accumulates like any leaf's
        root.grad += seed
        return
    root.grad = seed
    if step is None:
        for node in reversed(order):
            node._backward()
    else:
        for node in reversed(order):
            step(node)


def _compared(other: Any) -> float:
    if isinstance(other, Value):
        return other.data
    c = constant(other)
    if c is None:
        raise TypeError(f"cannot compare a Value with {type(other).__name__} {preview(other)}")
    return c


def topological_order(root: Value, *, leaves: bool = False) -> list[Value]:
    """The nodes of ``root``'s graph, parents before children, root last.

    Only the interior nodes (nodes with parents) unless ``leaves=True``, when
    every node comes in the order renderers number them (first parent first).
    The walk is an iterative depth-first search: no recursion limit.
    """
    if leaves:
        return _all_nodes(root)
    order: list[Value] = []
    if root._a is None:
        return order
    seen: set[Value] = set()
    stack: list[Any] = [root]
    push, pop, mark, append = stack.append, stack.pop, seen.add, order.append
    # The hot loop of every backward(): parents are read from the slots directly (a
    # tuple in _a, or _a and, unless it holds a constant or nothing, _b).
    while stack:
        node = pop()
        if node is None:  # all parents of the node below the marker are done
            append(pop())
            continue
        if node in seen:
            continue
        mark(node)
        push(node)
        push(None)
        a = node._a
        if a.__class__ is tuple:
            for p in a:
                if p._a is not None and p not in seen:
                    push(p)
        else:
            if a._a is not None and a not in seen:
                push(a)
            b = node._b
            if b is not None and b.__class__ is not float and b._a is not None and b not in seen:
                push(b)
    return order


def _all_nodes(root: Value) -> list[Value]:  # topological_order(root, leaves=True)
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())
        elif node not in seen:
            seen.add(node)
            if node._a is None:
                order.append(node)
                continue
            stack.append(node)
            stack.append(None)
            stack.extend(p for p in reversed(node._prev) if p not in seen)
    return order

"""Nodes of your own, made the Zero-to-Hero lecture's way.

``out = Value(data, (a, b), '*')`` makes a :class:`ClosureNode`, and ``out._backward =
closure`` says how its gradient flows back: the closure adds local derivative x
``out.grad`` into each child's ``.grad``. ``backward()`` runs it in topological order
like any node's. Prefer :func:`autograd.defop` for an op you use more than once: a closure
gives its derivative only as a number, and each closure node is a reference cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .engine import _BACKWARD_LOCK, Value
from .errors import ClosureDerivativeError
from .modes import current_mode
from .real_numbers import preview, real


def _no_backward() -> None:
    """A node of your own whose closure was never assigned passes nothing back."""


class ClosureNode(Value):
    """A node made the lecture's way: ``out = Value(data, (a, b), '*')``, then
    ``out._backward = closure``.

    ``backward()`` runs the closure in topological order like any node's. Its local
    derivatives as numbers are found by running the closure once with ``out.grad = 1``
    (gradients put back after), so ``grad()``, ``check_grads`` and ``explain`` work; as
    differentiable Values they cannot be had from a closure (``grad(grad(f))``,
    ``hessian``): declare the op with :func:`autograd.defop` for those. The closure
    refers to ``out``, which refers to the closure: a reference cycle per node.
    """

    __slots__ = ("_op", "_backward")

    _op: str
    _backward: Callable[[], None]

    def __init__(self, data: Any, _children: Any = (), _op: Any = "", label: str = "") -> None:
        children = _children_tuple(_children)
        if not isinstance(_op, str):
            raise TypeError(f"Value(..., _op=...) needs a str, got {type(_op).__name__} "
                            f"{preview(_op)}")
        Value.__init__(self, data, label=label)
        self._a = children if children and current_mode().recording else None
        self._op = _op
        self._backward = _no_backward

    @property
    def _prev(self) -> tuple[Value, ...]:
        return self._a or ()

    def local_grads(self, symbolic: bool = False) -> list[Any]:
        """Found by running the closure once with ``grad = 1``; every gradient it touches is
        put back. A parent used twice gets its whole derivative at its first position (the
        closure adds both uses into one ``.grad``)."""
        if symbolic:
            raise ClosureDerivativeError(self)
        parents = self._prev
        unique = list(dict.fromkeys(parents))
        with _BACKWARD_LOCK:
            saved = [(p, p.grad) for p in unique]
            saved_out = self.grad
            try:
                for p in unique:
                    p.grad = 0.0
                self.grad = 1.0
                self._backward()
                found = {p: p.grad for p in unique}
            finally:
                for p, g in saved:
                    p.grad = g
                self.grad = saved_out
        return [real(found.pop(p, 0.0), f"the _backward of a {self._op!r} node")
                for p in parents]


def _children_tuple(children: Any) -> tuple[Value, ...]:
    if isinstance(children, (str, bytes)) or not isinstance(children, Iterable):
        raise TypeError(
            f"Value(data, _children, _op, label=...): _children must be the Values this one "
            f"is made from (a tuple), got {type(children).__name__} {preview(children)}; to "
            f"label a Value write Value(data, label='...')"
        )
    items = tuple(children)
    for i, item in enumerate(items):
        if not isinstance(item, Value):
            raise TypeError(f"Value(data, _children=...): child {i} is {type(item).__name__} "
                            f"{preview(item)}; children must be Values")
    return items


Value._closure_class = ClosureNode

"""The traced graph as the compiler's working copy, and the rewrites that shrink it.

:class:`Graph` holds one :class:`Node` per traced node (same numbers), its outputs, and
a topological order. :func:`simplify` rewrites it without changing what it computes
(up to rounding):

* nodes that depend on neither an input nor a parameter become constants (their traced
  value);
* common subexpressions -- the same op on the same nodes with the same constant -- are
  computed once;
* a chain of additions, ``((b + p0) + p1) + p2`` as micrograd's neuron builds it, becomes
  one ``sum`` node, where the inner additions feed nothing else;
* a sum whose terms are products feeding nothing else becomes a ``dot`` node (plus the
  other terms): ``b + w0*x0 + w1*x1`` is ``dot([w0, w1], [x0, x1]) + b``, the form
  :mod:`nn`'s neurons build directly, which the grouping turns into one matrix product
  per layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..declaration import Op
from ..ops import BY_NAME
from .tracing import Trace

__all__ = ["Graph", "Node", "graph_of", "simplify"]

ADD, SUM, MUL, DOT = BY_NAME["add"], BY_NAME["sum"], BY_NAME["mul"], BY_NAME["dot"]


class Node:
    """A node of the working graph. ``batched``: depends on an input (its value differs
    from sample to sample); the others are shared by the batch, computed once per call."""

    __slots__ = ("id", "role", "value", "label", "op", "args", "constant", "arg", "position",
                 "param", "batched")

    def __init__(self, id: int, role: str, value: float, label: str = "",
                 op: Op | None = None, args: list[int] | None = None,
                 constant: float | None = None, arg: int = -1, position: int = 0,
                 param: int = -1, batched: bool = False) -> None:
        self.id = id
        self.role = role  # 'input', 'param', 'const', 'op'
        self.value = value
        self.label = label
        self.op = op
        self.args = [] if args is None else args
        self.constant = constant
        self.arg = arg
        self.position = position
        self.param = param
        self.batched = batched


@dataclass
class Graph:
    nodes: dict[int, Node]
    order: list[int]  # topological, parents first
    outputs: list[int]

    def consumers(self) -> dict[int, int]:
        """How many times each node is read (outputs count once each)."""
        count = dict.fromkeys(self.order, 0)
        for k in self.order:
            for a in self.nodes[k].args:
                count[a] += 1
        for k in self.outputs:
            count[k] += 1
        return count

    def new_id(self) -> int:
        return max(self.nodes) + 1


def local_grads(n: Node, nodes: dict[int, Node]) -> list[float]:
    """The local derivatives of op node ``n`` at the values of the trace (floats)."""
    assert n.op is not None
    xs = [nodes[a].value for a in n.args]
    try:
        return [float(d) for d in n.op.kind.deriv(n.op, xs, n.value, n.constant)]
    except (ArithmeticError, ValueError, TypeError):
        return [math.nan] * len(xs)


def graph_of(t: Trace) -> Graph:
    """The working graph of a trace: batched flags set, constant subgraphs folded."""
    nodes: dict[int, Node] = {}
    varies: dict[int, bool] = {}  # depends on an input or a parameter
    for k, tn in enumerate(t.nodes):
        n = Node(k, tn.role, tn.value, tn.label, tn.op, list(tn.args), tn.constant,
                 tn.arg, tn.position, tn.param)
        if tn.role == "op":
            n.batched = any(nodes[a].batched for a in n.args)
            varies[k] = any(varies[a] for a in n.args)
            if not varies[k]:  # a function of constants alone: its traced value
                n = Node(k, "const", tn.value, tn.label)
        else:
            n.batched = tn.role == "input"
            varies[k] = tn.role in ("input", "param")
        nodes[k] = n
    g = Graph(nodes, list(nodes), list(t.outputs))
    _prune(g)
    return g


def _prune(g: Graph) -> None:
    """Drop the nodes no output depends on."""
    live = set(g.outputs)
    nodes = g.nodes
    for k in reversed(g.order):
        if k in live:
            live.update(nodes[k].args)
    if len(live) < len(g.order):
        g.order = [k for k in g.order if k in live]
        g.nodes = {k: nodes[k] for k in g.order}


def _common_subexpressions(g: Graph) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    same: dict[int, int] = {}
    for k in g.order:
        n = g.nodes[k]
        n.args = [same.get(a, a) for a in n.args]
        if n.role != "op":
            continue
        assert n.op is not None
        key = (n.op.name, n.constant, tuple(n.args))
        if key in seen:
            same[k] = seen[key]
        else:
            seen[key] = k
    g.outputs = [same.get(k, k) for k in g.outputs]
    _prune(g)


def _sums(g: Graph) -> None:
    """Chains of additions whose inner nodes feed nothing else become one sum node."""
    uses = g.consumers()
    outputs = set(g.outputs)
    absorbed: set[int] = set()

    def inner(a: int) -> bool:
        n = g.nodes[a]
        return n.op is ADD and uses[a] == 1 and a not in outputs

    for k in reversed(g.order):  # the outermost addition of a chain first
        n = g.nodes[k]
        if n.op is not ADD or k in absorbed:
            continue
        terms: list[int] = []
        stack = list(reversed(n.args))
        while stack:  # left to right: the order the chain added its terms in
            a = stack.pop()
            if inner(a):
                absorbed.add(a)
                stack.extend(reversed(g.nodes[a].args))
            else:
                terms.append(a)
        if len(terms) > 2:
            n.op, n.args = SUM, terms
    _prune(g)


def _dots(g: Graph) -> None:
    """A sum of products that feed nothing else becomes dot(weights, inputs) + the rest."""
    uses = g.consumers()
    outputs = set(g.outputs)
    for k in list(g.order):
        n = g.nodes[k]
        if n.op is not SUM and n.op is not ADD:
            continue
        products, rest = [], []
        for a in n.args:
            m = g.nodes[a]
            if m.op is MUL and uses[a] == 1 and a not in outputs:
                products.append(a)
            else:
                rest.append(a)
        if len(products) < 2:
            continue
        ws, xs = [], []
        for a in products:
            p, q = g.nodes[a].args
            # Weights (shared across the batch) first: the matrix of a matrix product.
            if g.nodes[q].batched is False and g.nodes[p].batched:
                p, q = q, p
            ws.append(p)
            xs.append(q)
        d = Node(g.new_id(), "op", 0.0, "", DOT, ws + xs,
                 batched=any(g.nodes[a].batched for a in ws + xs))
        d.value = DOT.kind.forward(DOT, [g.nodes[a].value for a in d.args])
        g.nodes[d.id] = d
        g.order.insert(g.order.index(k), d.id)
        if not rest:
            n.op, n.args = DOT, d.args
            del g.nodes[d.id]
            g.order.remove(d.id)
        elif len(rest) == 1:
            n.op, n.args = ADD, [d.id, rest[0]]
        else:
            n.op, n.args = SUM, [d.id, *rest]
    _prune(g)


def simplify(g: Graph, fuse: bool) -> Graph:
    """Rewrite ``g`` in place (see the module docstring); nothing without ``fuse``."""
    if fuse:
        _common_subexpressions(g)
        _sums(g)
        _dots(g)
        for k in g.order:
            n = g.nodes[k]
            if n.op is SUM or n.op is DOT:  # rewritten: its value from its inputs
                n.value = n.op.kind.forward(n.op, [g.nodes[a].value for a in n.args])
    return g

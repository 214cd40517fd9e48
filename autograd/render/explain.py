"""``explain``: the chain-rule steps that produced a node's gradient.

``backward()`` adds, into each node's ``.grad``, one term per use of the node:
the local derivative of the op that used it times that op's own gradient (the
upstream gradient). ``explain(node, root)`` lists those terms, so "why is
a.grad 138.83?" has an answer you can check by hand.

The root is needed because a node does not know which ops use it: only the
graph of the root does (and the same Value can be used in several graphs).

>>> from autograd import Value
>>> a = Value(2.0, label='a'); b = Value(-3.0, label='b'); c = Value(10.0, label='c')
>>> e = a * b; e.label = 'e'
>>> d = e + c; d.label = 'd'
>>> f = Value(-2.0, label='f')
>>> L = d * f; L.label = 'L'
>>> L.backward()
>>> explain(a, L)
a.grad = 6: a (#0, data 2) is used once in the graph of L.
By the chain rule, a.grad is the sum over its uses of local derivative x upstream gradient:
  e = a * b  (#2, mul)
    d(e)/d(a) = -3  x  e.grad = -2  =  6
  sum = 6, which is a.grad.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import TextIO

from ..declaration import NARY
from ..engine import Value
from .graph import NumberedGraph, describe, one_line


@dataclass(frozen=True)
class Step:
    """One use of the node: input ``position`` of the op that made ``consumer``."""

    consumer: Value
    consumer_index: int
    position: int
    local: float  # d(consumer)/d(input at position)
    upstream: float  # consumer.grad

    @property
    def contribution(self) -> float:
        """local derivative x upstream gradient: what this use adds to the node's grad."""
        return self.local * self.upstream


@dataclass(frozen=True)
class Explanation:
    """How ``node.grad`` was made in the graph of ``root``; ``str()`` of it reads as prose."""

    graph: NumberedGraph
    index: int
    steps: tuple[Step, ...]

    @property
    def node(self) -> Value:
        return self.graph.nodes[self.index]

    @property
    def total(self) -> float:
        """The sum of the contributions (what ``backward()`` from the root gives ``node.grad``)."""
        return math.fsum(step.contribution for step in self.steps)

    @property
    def matches(self) -> bool:
        """True when ``node.grad`` equals the sum of its chain-rule terms (up to rounding)."""
        if not self.steps:  # the root: its grad is the seed
            return True
        grad, total = self.node.grad, self.total
        # backward() adds the terms one by one: allow its rounding, relative to their size.
        scale = math.fsum(abs(step.contribution) for step in self.steps)
        return grad == total or math.isclose(grad, total, rel_tol=1e-9,
                                             abs_tol=1e-12 + 1e-9 * scale)

    def __str__(self) -> str:
        g = self.graph
        i, node = self.index, self.node
        name = _name(g, i)
        root_name = _name(g, len(g) - 1)
        not_run = g.nodes[-1].grad == 0.0
        if not self.steps:
            if not_run:
                return (f"{name}.grad = 0: backward() has not been run from {name} (or the grads "
                        f"were zeroed since); {name}.backward() sets it to 1 and fills in the "
                        f"grads of everything {name} is made of.")
            return (
                f"{name}.grad = {_num(node.grad)}: {name} is the root, where backward() starts; "
                f"it sets the root's grad to the seed (1 unless you pass backward(gradient))."
            )
        if not_run:
            return (f"{name}.grad = {_num(node.grad)}: backward() has not been run from "
                    f"{root_name} ({root_name}.grad is 0; or the grads were zeroed since), so "
                    f"no gradient has flowed back to {name} yet. Call {root_name}.backward() "
                    f"first.")
        uses = len(self.steps)
        consumers = len({s.consumer_index for s in self.steps})
        how = "once" if uses == 1 else f"{uses} times" + (
            f" (by {consumers} op{'s' if consumers > 1 else ''})" if consumers != uses else "")
        kind = "" if not node._prev else f", made by {_op_name(node)}"
        lines = [
            f"{name}.grad = {_num(node.grad)}: {name} (#{i}, data {_num(node.data)}{kind}) is "
            f"used {how} in the graph of {root_name}.",
            f"By the chain rule, {name}.grad is the sum over its uses of "
            f"local derivative x upstream gradient:",
        ]
        for s in self.steps:
            c = _name(g, s.consumer_index)
            arity = len(g.parents[s.consumer_index])
            where = (f", input {s.position + 1} of {arity}"
                     if _position_matters(g, s.consumer_index, i) else "")
            lines.append(f"  {c} = {formula(g, s.consumer_index)}  (#{s.consumer_index}, "
                         f"{_op_name(s.consumer)}{where})")
            lines.append(f"    d({c})/d({name}) = {_num(s.local)}  x  {c}.grad = "
                         f"{_num(s.upstream)}  =  {_num(s.contribution)}")
        total = self.total
        if self.matches:
            lines.append(f"  sum = {_num(total)}, which is {name}.grad.")
        else:
            if node.grad == 0.0:
                why = (f"backward() from {root_name} has not reached it since its grad was last "
                       f"zeroed (zero_grad() after backward()?), or backward() last ran from a "
                       f"root other than {root_name}.")
            elif not node._prev:
                why = ("a leaf's grad accumulates over backward() calls (zero it between "
                       "passes), or it was changed after backward(), or backward() last ran "
                       f"from a root other than {root_name}.")
            else:
                why = (f"it was changed after backward(), or backward() last ran from a root "
                       f"other than {root_name}.")
            lines.append(f"  sum = {_num(total)}, but {name}.grad is {_num(node.grad)}: {why}")
        # Every line shows as itself (op descriptions come from declarations users write).
        return "\n".join(one_line(line, _LINE_LIMIT) for line in lines)


_NEEDS_ROOT = (
    "explain(node, root) needs the root that backward() ran from, as in explain(a, L) after "
    "L.backward(): a node does not know which ops use it (only the graph of the root does), "
    "and remembering the last root would keep every graph you dropped alive"
)


def explanation(node: Value, root: Value | None = None) -> Explanation:
    """The chain-rule terms of ``node.grad`` in the graph of ``root``, as data.

    ``root`` is required (see :func:`explain` for why). ``str()`` of the
    result is what :func:`explain` prints.
    """
    if root is None:
        raise TypeError(f"{_NEEDS_ROOT}; got no root for {describe(node)}"
                        if isinstance(node, Value) else f"{_NEEDS_ROOT}; got no root")
    if not isinstance(node, Value) or not isinstance(root, Value):
        raise TypeError(
            f"explain(node, root) needs two Values, got {type(node).__name__} and "
            f"{type(root).__name__}"
        )
    graph = NumberedGraph(root)
    return explanation_in(graph, graph.index(node))


def explanation_in(graph: NumberedGraph, i: int) -> Explanation:
    """The chain-rule terms of node ``#i``'s grad in a graph already numbered (the page
    explains every node it shows with one walk of the graph)."""
    steps = []
    for c, position in graph.consumers[i]:
        consumer = graph.nodes[c]
        local = consumer.local_grads()[position]
        steps.append(Step(consumer, c, position, float(local), consumer.grad))
    return Explanation(graph, i, tuple(steps))


def explain(node: Value, root: Value | None = None, *, file: TextIO | None = None) -> None:
    """Print the chain-rule steps that produced ``node.grad`` in the graph of ``root``.

    For each op that uses ``node``: its local derivative with respect to
    ``node``, times its own gradient (upstream), gives one term; ``node.grad``
    is their sum. Call it after ``root.backward()``; before, it says so.
    ``file`` defaults to standard output; :func:`explanation` returns the
    same steps as data.

    ``root`` is required, and a TypeError says so when it is left out: a
    Value knows its inputs but not the ops that use it, so only the graph of
    the root can list a node's uses (and one Value can be part of several
    graphs). A Value could remember the last root it was back-propagated
    from, but that reference would keep every graph you dropped alive, which
    chainrule never does.
    """
    print(explanation(node, root), file=file if file is not None else sys.stdout)


#: Characters of a node's label shown in an explanation (longer ones end in '...').
NAME_LIMIT = 40
_LINE_LIMIT = 400


def _name(graph: NumberedGraph, i: int) -> str:
    """Node ``#i``'s name as text that shows as itself: like the picture's and the table's,
    no control or bidirectional characters, and cut short."""
    return one_line(graph.name(i), NAME_LIMIT)


def _num(x: float) -> str:
    return f"{x:.6g}"


def _position_matters(graph: NumberedGraph, consumer: int, node: int) -> bool:
    """Whether to say which input the node is: when it is used twice by one op, or the op
    takes many inputs (the formula alone then does not say where it is)."""
    op = graph.nodes[consumer].primitive
    return graph.parents[consumer].count(node) > 1 or (op is not None and op.kind is NARY)


def _op_name(node: Value) -> str:
    op = node.primitive
    return op.name if op is not None else f"{node._op!r}, a node of your own"


def formula(graph: NumberedGraph, i: int) -> str:
    """What node ``#i`` computes from its inputs' names: ``a * b``, ``tanh(n)``, ``e + 10``."""
    node = graph.nodes[i]
    names = [_name(graph, p) for p in graph.parents[i]]
    op = node.primitive
    if op is None:  # a node of your own: its _op names it
        return f"{one_line(node._op, 20)}({', '.join(names)})" if names else _name(graph, i)
    return op.formula_for(names, node.constant)

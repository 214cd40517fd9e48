"""The graph of a root Value as every renderer sees it: all nodes numbered, parents first.

The picture (:mod:`.dot`), the text table (:mod:`.text`) and :func:`~.explain`
number nodes the same way (``#0``, ``#1``, ...), so a node named in one can be
found in the others.

>>> from autograd import Value
>>> a = Value(2.0, label='a'); b = Value(-3.0, label='b')
>>> g = NumberedGraph(a * b + 1)
>>> [g.name(i) for i in range(len(g))], g.parents[2], g.parents[3]
(['a', 'b', '#2', '#3'], (0, 1), (2,))
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..engine import Value, topological_order

#: The four roles a node can have in a picture.
ROLES = ("input", "parameter", "intermediate", "output")


class NumberedGraph:
    """Every node reachable from ``root`` (leaves included), parents before children, root last.

    ``nodes[i]`` is node ``#i``, in the order of :func:`autograd.topological_order`
    (``leaves=True``: first parent first); ``parents[i]`` the numbers of its parents in
    order (a node used twice by one op appears twice); ``consumers[i]`` the
    ``(consumer, position)`` pairs of the ops that read node ``#i``. A node "has
    parents" when ``parents[i]`` is not empty, whatever made it (a built-in op or a
    closure of the user's).
    """

    __slots__ = ("root", "nodes", "parents", "_index", "_consumers")

    def __init__(self, root: Value) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"expected a Value as the root of a graph, got {type(root).__name__}")
        self.root = root
        nodes = topological_order(root, leaves=True)
        index = {id(node): i for i, node in enumerate(nodes)}
        self.nodes = nodes
        self._index = index
        self.parents: list[tuple[int, ...]] = [
            tuple(index[id(p)] for p in node._prev) for node in nodes
        ]
        self._consumers: list[list[tuple[int, int]]] | None = None

    def __len__(self) -> int:
        return len(self.nodes)

    def index(self, node: Value) -> int:
        """The number of ``node`` in this graph; ValueError if the root does not depend on it."""
        try:
            return self._index[id(node)]
        except KeyError:
            raise ValueError(
                f"{describe(node)} is not in the graph of {describe(self.root)}: the root "
                f"does not depend on it"
            ) from None

    def __contains__(self, node: object) -> bool:
        return isinstance(node, Value) and id(node) in self._index

    @property
    def consumers(self) -> list[list[tuple[int, int]]]:
        """For each node, the ``(consumer number, input position)`` of each use of it."""
        if self._consumers is None:
            consumers: list[list[tuple[int, int]]] = [[] for _ in self.nodes]
            for i, parents in enumerate(self.parents):
                for position, p in enumerate(parents):
                    consumers[p].append((i, position))
            self._consumers = consumers
        return self._consumers

    def name(self, i: int) -> str:
        """Node ``#i``'s label, or ``#i`` when it has none."""
        return self.nodes[i].label or f"#{i}"

    def roles(self, params: Iterable[Value] | None = None) -> list[str]:
        """The role of each node: 'output' (the root), 'intermediate' (made by an op), or for a
        leaf 'parameter' or 'input'.

        Which leaves are parameters: those in ``params`` when it is given (for
        example ``model.parameters()``); otherwise the leaves created inside an
        :func:`autograd.scope` (``nn`` modules create their parameters there,
        while the data fed to a model has no scope).
        """
        wanted = None if params is None else {id(p) for p in params}
        last = len(self.nodes) - 1
        roles = []
        for i, node in enumerate(self.nodes):
            if i == last:
                roles.append("output")
            elif self.parents[i]:
                roles.append("intermediate")
            elif wanted is not None:
                roles.append("parameter" if id(node) in wanted else "input")
            else:
                roles.append("parameter" if node.scope else "input")
        return roles


# Characters shown as a space: control characters, line separators, bidirectional
# embeddings, overrides and isolates (which would reorder the text after them, so a label
# could read as something else), and what XML or UTF-8 cannot hold (U+FFFE, U+FFFF,
# lone surrogates).
def one_line(text: str, limit: int | None = None) -> str:
    """``text`` as one line that shows as itself, for pictures and tables alike: every
    character Python does not count as printable (controls, line separators, invisible
    format characters such as bidirectional overrides and marks, zero-width spaces)
    becomes a space, and text longer than ``limit`` characters is cut to end in '...'.

    >>> one_line('two\\nlines'), one_line('a long label', 8)
    ('two lines', 'a lon...')
    """
    if not text.isprintable():
        text = "".join(c if c.isprintable() else " " for c in text)
    if limit is not None and len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def describe(node: Value) -> str:
    """A short description of a node for messages: its label, op and data."""
    label = f"{one_line(node.label, 40)!r} " if node.label else ""
    op = node.primitive
    if op is not None:
        kind = f"{op.name} node"
    elif node._op:  # a node made by the user's own closure, micrograd's way
        kind = f"{one_line(node._op, 20)!r} node"
    else:
        kind = "node" if node._prev else "leaf"
    return f"the {kind} {label}(data={node.data!r})"


def op_label(node: Value) -> str:
    """How the op that made ``node`` reads in a picture: '*', '* 2', '**2', 'tanh' ('' if none).

    A node made by the user's own closure (``Value(x.data**3, (x,), 'cube')``) reads as
    its ``_op``.
    """
    op = node.primitive
    if op is None:
        return node._op or ""
    return op.label_for(node.constant)


def format_number(x: float, precision: int = 4) -> str:
    """micrograd's ``%.4f``, except that numbers too small or too big for it get an exponent.

    >>> format_number(2.0), format_number(-0.5), format_number(3e-7), format_number(1e9)
    ('2.0000', '-0.5000', '3.0000e-07', '1.0000e+09')
    >>> format_number(-0.0)
    '0.0000'

    A vanishing gradient of 3e-7 would read 0.0000 in micrograd; here it stays visible.
    """
    if not math.isfinite(x):
        return repr(x)
    ax = abs(x)
    if ax == 0.0:
        x = 0.0  # -0.0 reads 0.0000: a sign on nothing only puzzles
    if ax == 0.0 or 1e-4 <= ax < 1e6:
        return f"{x:.{precision}f}"
    return f"{x:.{precision}e}"


def module_path(scope: str) -> list[str]:
    """A dotted scope split into modules: an index stays with the name before it.

    >>> module_path('layers.1.neurons.3')
    ['layers.1', 'neurons.3']
    >>> module_path('0.attn.heads.2')
    ['0', 'attn', 'heads.2']
    """
    if not scope:
        return []
    parts: list[str] = []
    for part in scope.split("."):
        if part.isdigit() and parts and not parts[-1].split(".")[-1].isdigit():
            parts[-1] += "." + part
        else:
            parts.append(part)
    return parts


def scope_prefix(scope: str, depth: int) -> str:
    """The first ``depth`` modules of a scope.

    >>> scope_prefix('layers.1.neurons.3', 1)
    'layers.1'
    """
    return ".".join(module_path(scope)[:depth])

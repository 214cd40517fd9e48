"""Collapsing: a module (the nodes made inside one :func:`autograd.scope`) drawn as one
summary node, saying what it is, what it computes and how big its gradients are.

Levels count modules, with an index kept with its name: depth 1 turns scope
``layers.1.neurons.3`` into ``layers.1``, depth 2 into ``layers.1.neurons.3``.

>>> from autograd import Value, scope
>>> with scope('layer'):
...     w = Value(2.0, label='w')
...     y = w * 3
>>> g = NumberedGraph(y + 1)
>>> collapse_keys(g, 1)
['layer', 'layer', None]
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

from ..engine import Value
from ..scopes import scope_kinds
from .graph import NumberedGraph, format_number, module_path, op_label, scope_prefix
from .options import Collapse
from .style import plural

#: The collapse key of each node: the scope of the summary it is drawn in (None: itself).
Keys = list[str | None]


def collapse_keys(graph: NumberedGraph, collapse: Collapse) -> Keys:
    """For each node, the scope of the summary node it is drawn in (None: drawn as itself).

    ``collapse`` is a depth (``True`` is 1; 0, ``False`` and ``None`` collapse nothing),
    or one scope name or several: just those modules. (The root keeps its key: its op is
    counted in its module, and :class:`~.plan.Plan` draws its value as itself.) An
    unknown scope name is a ValueError naming the graph's scopes.
    """
    nodes = graph.nodes
    if collapse is None or collapse is False or collapse == 0:
        return [None] * len(nodes)
    if collapse is True:
        collapse = 1
    cache: dict[str, str | None] = {"": None}
    if isinstance(collapse, int):
        depth = collapse

        def key(scope: str) -> str | None:
            return scope_prefix(scope, depth) or None

    else:
        prefixes = [collapse] if isinstance(collapse, str) else list(collapse)
        by_length = sorted(prefixes, key=len, reverse=True)

        def key(scope: str) -> str | None:
            for p in by_length:
                if scope == p or scope.startswith(p + "."):
                    return p
            return None

    keys: Keys = []
    for node in nodes:
        scope = node.scope
        k = cache.get(scope, "")
        if k == "":
            k = cache[scope] = key(scope)
        keys.append(k)
    if not isinstance(collapse, int):
        unused = [p for p in prefixes if p not in set(keys)]
        if unused:
            known = sorted({scope_prefix(s, 1) for s in cache if s})
            raise ValueError(
                f"collapse: no node of this graph has scope {unused[0]!r}; its top-level "
                f"scopes are {', '.join(known[:12]) or '(none)'}"
            )
    return keys


def scope_depth(graph: NumberedGraph) -> int:
    """How many levels of modules the deepest scope of the graph has."""
    return max((len(module_path(s)) for s in {node.scope for node in graph.nodes}), default=0)


class Group:
    """What one summary node stands for: its members (all copies), parameters, op counts."""

    __slots__ = ("key", "members", "drawn", "abs_grads", "leaves", "ops", "children", "kinds",
                 "child_kinds", "stacked")

    def __init__(self, key: str) -> None:
        self.key = key
        self.members = 0
        self.drawn = 0  # members of the drawn copy (all members when nothing is folded)
        self.abs_grads: list[float] = []
        self.leaves: list[Value] = []
        self.ops: Counter[str] = Counter()
        self.children: dict[str, set[str]] = defaultdict(set)
        # The kind= of the scope blocks that made the members, for the module and for each
        # child ('neurons.3'); a name is shown only when the members agree on one.
        self.kinds: set[str] = set()
        self.child_kinds: dict[str, set[str]] = defaultdict(set)
        self.stacked = False  # drawn inside a fold's stack: counts are per copy

    def kind(self) -> str | None:
        """What the module is (``Layer(16, 16, ReLU)``), if its scope says so unambiguously."""
        return next(iter(self.kinds)) if len(self.kinds) == 1 else None

    def _child_kind(self, names: set[str]) -> str | None:
        found = {kind for name in names for kind in self.child_kinds.get(name, ())}
        every = all(len(self.child_kinds.get(name, ())) == 1 for name in names)
        return next(iter(found)) if every and len(found) == 1 else None

    def _children(self) -> list[str]:
        parts = []
        for stem, names in sorted(self.children.items()):
            kind = self._child_kind(names)
            if len(names) > 1 or names != {stem}:  # indexed: 'neurons.0', 'neurons.1', ...
                parts.append(f"{len(names)} x {kind or stem}")
            else:
                parts.append(f"{stem}: {kind}" if kind else stem)
        return parts

    def mean_abs_grad(self) -> float:
        """Mean |grad| of the parameters (NaN when there are none)."""
        if not self.leaves:
            return math.nan
        return math.fsum(abs(v.grad) for v in self.leaves) / len(self.leaves)

    def heat(self) -> float:
        """The |grad| a heat scale colours the summary by: its parameters', else its nodes'."""
        if self.leaves:
            return self.mean_abs_grad()
        return math.fsum(self.abs_grads) / len(self.abs_grads)

    def lines(self, precision: int) -> list[str]:
        kind = self.kind()
        lines = [f"{self.key}: {kind}" if kind else self.key]
        if self.children:
            lines.append(", ".join(self._children()))
        n_ops = sum(self.ops.values())
        if n_ops:
            common = self.ops.most_common(4)
            more = ", ..." if len(self.ops) > 4 else ""
            each = " each copy" if self.stacked else ""
            lines.append(f"{plural(n_ops, 'op')}{each}: "
                         + ", ".join(f"{c:,} {s}" for s, c in common) + more)
        if self.leaves:
            lines.append(f"{plural(len(self.leaves), 'param')}, mean |grad| "
                         f"{format_number(self.mean_abs_grad(), precision)}")
        else:
            lines.append("no parameters")
        return lines

    def tooltip(self) -> list[str]:
        kind = self.kind()
        lines = [f"module {self.key}{f' ({kind})' if kind else ''}: "
                 f"{plural(self.members, 'node')} drawn as one"]
        lines += self._children()
        lines += [f"{c:,} x {s}" for s, c in self.ops.most_common(12)]
        if self.leaves:
            grads = [abs(v.grad) for v in self.leaves]
            lines.append(f"{plural(len(grads), 'parameter')}: |grad| mean "
                         f"{self.mean_abs_grad()!r}, min {min(grads)!r}, max {max(grads)!r}")
        return lines


def groups(graph: NumberedGraph, keys: Keys, hidden: Sequence[int] | bytes) -> dict[str, Group]:
    """What each summary node stands for, by key, in the order they first appear.

    ``hidden[i]`` is true for a node drawn through a counterpart in a folded stack:
    it counts among the members, not among the ops of the copy drawn.
    """
    found: dict[str, Group] = {}
    # Many nodes share one scope name: read each name's modules and kinds once.
    # (By identity: a scope name carries the kinds of the blocks that made it.)
    scopes: dict[int, tuple[list[str], dict[str, str]]] = {}
    for i, k in enumerate(keys):
        if k is None:
            continue
        group = found.get(k)
        if group is None:
            group = found[k] = Group(k)
        node = graph.nodes[i]
        group.members += 1
        group.abs_grads.append(abs(node.grad))
        if hidden[i]:
            continue
        group.drawn += 1
        if graph.parents[i]:
            op = node.primitive
            group.ops[op.symbol_for() if op is not None else op_label(node)] += 1
        else:
            group.leaves.append(node)
        scope = node.scope
        info = scopes.get(id(scope))
        if info is None:
            info = scopes[id(scope)] = (module_path(scope), scope_kinds(scope))
        path, kinds = info
        kind = kinds.get(k)
        if kind is not None:
            group.kinds.add(kind)
        depth = len(module_path(k))
        if len(path) > depth:  # a submodule: count 'neurons.3' under 'neurons'
            child = path[depth]
            group.children[child.split(".")[0]].add(child)
            kind = kinds.get(".".join(path[: depth + 1]))
            if kind is not None:
                group.child_kinds[child].add(kind)
    return found

"""Folding: the same structure repeated many times (a model applied to every sample of a
batch, a loss summed over them) found, so that one copy can be drawn for all.

A *fold* is a node where several copies meet (``sum(losses)``, a chain of ``+``
such as Python's ``sum()`` makes, ``mean``, ...) and the copies themselves: for
each, the nodes that belong to it alone, in topological order. Copies are the
same structure when their k-th nodes are made by the same op in the same scope
from the same shared nodes (a model's parameters) or from their own k-th nodes;
the numbers, and constants such as a sample's target, may differ. Nodes every
copy reads (the parameters) are shared and drawn once, outside the stack.

>>> from autograd import Value, sum as vsum
>>> w = Value(0.5, label='w')
>>> xs = [Value(float(i), label='x') for i in range(4)]
>>> loss = vsum([(w * x).tanh() for x in xs])
>>> [f] = find_folds(NumberedGraph(loss))
>>> len(f.copies), len(f.copies[0]), f.inputs
(4, 3, [InputGroup(name='x', positions=(0,))])
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from .graph import NumberedGraph

#: Fewer copies than this are drawn one by one.
MIN_COPIES = 3
#: At most this many places are examined as folds (each costs a walk over its copies).
MAX_CANDIDATES = 12
SHARED = -1
_UNSET = -2
_STEM = re.compile(r"[\d_\[\]]+$")


@dataclass(frozen=True)
class InputGroup:
    """Leaves of their own in each copy (a sample's inputs), drawn as one node per name:
    ``positions`` are their places in each copy's node list."""

    name: str
    positions: tuple[int, ...]


@dataclass
class Fold:
    """Copies of one structure meeting at node ``at``.

    ``copies[c]`` lists the nodes of copy ``c`` in topological order (the k-th
    nodes of all copies correspond); copy 0 is the one drawn. ``chain`` holds the
    nodes of a chain of binary ops that adds the copies up (Python's ``sum()``),
    drawn as the single op of ``at``. ``inputs`` groups the copies' own leaves by
    name.
    """

    at: int
    copies: list[list[int]]
    chain: tuple[int, ...] = ()
    inputs: list[InputGroup] = field(default_factory=list)

    @property
    def size(self) -> int:
        """How many copies there are."""
        return len(self.copies)

    @property
    def samples(self) -> bool:
        """Whether the copies have inputs of their own (data): samples, not just copies."""
        return bool(self.inputs)

    def noun(self) -> str:
        return "samples" if self.samples else "copies"

    def counterparts(self, k: int) -> list[int]:
        """The k-th node of every copy."""
        return [copy[k] for copy in self.copies]

    def hides(self) -> int:
        """How many nodes are drawn through copy 0 (or the chain) instead of themselves."""
        return sum(len(c) for c in self.copies[1:]) + len(self.chain)


def op_key(node: Any) -> Hashable:
    """What must agree for two nodes to be counterparts: the op (not its constant)."""
    op = node.primitive
    return op if op is not None else ("closure", node._op)


def find_folds(graph: NumberedGraph, min_copies: int = MIN_COPIES) -> list[Fold]:
    """The folds of ``graph``, outermost first, none inside another's copies."""
    if min_copies < 2:
        raise ValueError(f"min_copies must be >= 2, got {min_copies}")
    nodes, parents = graph.nodes, graph.parents
    n = len(nodes)
    consumers = graph.consumers
    # A structural signature per node (copies have equal ones; equal ones may still
    # differ in what they share, which the check below settles).
    interned: dict[Any, int] = {}
    sig = [0] * n
    for i, ps in enumerate(parents):
        if ps:
            node = nodes[i]
            key = (op_key(node), node.scope, tuple(sig[p] for p in ps))
            s = interned.get(key)
            if s is None:
                s = interned[key] = len(interned) + 1
            sig[i] = s
    folds: list[Fold] = []
    taken = bytearray(n)  # nodes inside a fold already found
    tried = 0
    for at in range(n - 1, -1, -1):
        if tried >= MAX_CANDIDATES:
            break
        if not parents[at] or taken[at]:
            continue
        chain, terms = _terms(graph, at)
        if len(terms) < min_copies:
            continue
        by_sig: dict[int, list[int]] = {}
        for t in terms:
            if sig[t]:  # a lone leaf is no structure to fold
                by_sig.setdefault(sig[t], []).append(t)
        best = max(by_sig.values(), key=len, default=[])
        if len(best) < min_copies or len(set(best)) != len(best):
            continue
        tried += 1
        fold = _fold(graph, consumers, at, chain, best, min_copies)
        if fold is None:
            continue
        folds.append(fold)
        for copy in fold.copies:
            for i in copy:
                taken[i] = 1
        for i in fold.chain:
            taken[i] = 1
    return folds


def _chain_op(node: Any) -> bool:
    op = node.primitive
    return op is not None and op.name in ("add", "mul")


def _terms(graph: NumberedGraph, at: int) -> tuple[tuple[int, ...], list[int]]:
    """The nodes whose copies may meet at ``at``: its parents, or the terms of the chain of
    ``+`` (or ``*``) it ends (``((t0 + t1) + t2) + t3``, and ``0 + t0`` from ``sum()``)."""
    nodes, parents, consumers = graph.nodes, graph.parents, graph.consumers
    node = nodes[at]
    if not _chain_op(node):
        return (), list(parents[at])
    op = node.primitive
    chain: list[int] = []
    terms: list[int] = [parents[at][1]]
    first = parents[at][0]
    while (nodes[first].primitive is op and len(consumers[first]) == 1):
        chain.append(first)
        terms.append(parents[first][1])
        first = parents[first][0]
    base = nodes[first]
    # sum() starts from 0: its first step is `0 + t0`, an add of the constant 0.
    if (chain and base.primitive is not None and base.primitive.name == "add_const"
            and base.constant == 0 and len(consumers[first]) == 1):
        chain.append(first)
        first = parents[first][0]
    terms.append(first)
    terms.reverse()
    return tuple(chain), terms


def _fold(
    graph: NumberedGraph, consumers: list[list[tuple[int, int]]], at: int,
    chain: tuple[int, ...], terms: list[int], min_copies: int,
) -> Fold | None:
    """The fold of ``terms`` at ``at``, or None if fewer than ``min_copies`` are copies."""
    parents, nodes = graph.parents, graph.nodes
    meeting = set(chain)
    meeting.add(at)
    term_copy = {t: c for c, t in enumerate(terms)}
    # Everything the terms are made of.
    cone: set[int] = set(terms)
    stack = list(terms)
    while stack:
        for p in parents[stack.pop()]:
            if p not in cone:
                cone.add(p)
                stack.append(p)
    # The copy each node belongs to alone, or SHARED: latest first, so that a node's
    # consumers are settled before it.
    owner: dict[int, int] = {}
    for i in sorted(cone, reverse=True):
        uses = consumers[i]
        c_i = term_copy.get(i)
        if c_i is not None:  # a term: its copy's, if only the meeting node reads it
            owner[i] = c_i if all(c in meeting for c, _ in uses) else SHARED
            continue
        mine = _UNSET
        for c, _ in uses:
            theirs = owner.get(c, SHARED) if c in cone and c not in meeting else SHARED
            if mine == _UNSET:
                mine = theirs
            elif mine != theirs:
                mine = SHARED
            if mine == SHARED:
                break
        owner[i] = SHARED if mine == _UNSET else mine
    copies: list[list[int]] = [[] for _ in terms]
    for i in sorted(cone):
        o = owner[i]
        if o >= 0:
            copies[o].append(i)
    candidates = [c for c, t in enumerate(terms) if owner[t] == c]
    if len(candidates) < min_copies:
        return None
    # Which copies are counterparts of the first, node by node.
    first = candidates[0]
    rep = copies[first]
    position = {i: k for c in candidates for k, i in enumerate(copies[c])}
    kept = [first] + [c for c in candidates[1:]
                      if _same(graph, rep, copies[c], c, owner, position)]
    if len(kept) < min_copies:
        return None
    inputs: dict[str, list[int]] = {}
    for k, i in enumerate(rep):
        if not parents[i]:
            label = nodes[i].label
            name = _STEM.sub("", label) or label or "x"
            inputs.setdefault(name, []).append(k)
    return Fold(at, [copies[c] for c in kept], chain,
                [InputGroup(name, tuple(ks)) for name, ks in inputs.items()])


def _same(
    graph: NumberedGraph, rep: list[int], other: list[int], c: int, owner: dict[int, int],
    position: dict[int, int],
) -> bool:
    """Whether copy ``c`` (``other``) is node by node a counterpart of copy 0 (``rep``)."""
    if len(other) != len(rep):
        return False
    nodes, parents = graph.nodes, graph.parents
    for a, b in zip(rep, other):
        pa, pb = parents[a], parents[b]
        if len(pa) != len(pb):
            return False
        na, nb = nodes[a], nodes[b]
        if pa and op_key(na) != op_key(nb) or na.scope != nb.scope:
            return False
        for x, y in zip(pa, pb):
            if owner.get(x, SHARED) == SHARED:
                if x != y:  # copies read the same shared node (the same weight)
                    return False
            elif owner.get(y) != c or position[y] != position[x]:
                return False
    return True

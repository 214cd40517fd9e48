"""A plan of a drawing: which boxes (units) are drawn, where, and the edges between them.

Every node of the graph is drawn through one unit: its own record (and an op
ellipse if an op made it), a module's summary (collapsing), the copy drawn for
a folded stack, or the one node standing for the inputs of every copy
(``x: 100 x 2``). The plan is built once per candidate drawing; the budget
measures it (:mod:`.budget`), :mod:`.draw` turns it into DOT, and the
interactive page (:mod:`.page`) reads which nodes each unit stands for.

>>> from autograd import Value
>>> a = Value(2.0, label='a'); b = a * 3
>>> p = Plan(NumberedGraph(b))
>>> [p.name(u) for u in range(len(p.units))], list(p.edges)
(['n0', 'n1op', 'n1'], [(0, 1), (1, 2)])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from .collapse import Group, Keys, groups
from .fold import Fold
from .graph import NumberedGraph, module_path

# Kinds of unit.
VALUE, OP, GROUP, INPUTS, COPY = "value", "op", "group", "inputs", "copy"

#: A use of a node: (the node that reads it, the input position).
Use = tuple[int, int]


class Unit(NamedTuple):
    """One node of the drawing.

    ``ref`` is the node number (VALUE, OP), the group key (GROUP), the
    ``(fold, input group)`` pair (INPUTS) or the ``(leaf, copy)`` pair (COPY);
    ``place`` the clusters it is drawn in, outermost first: ``('stack', f)`` for
    a fold's stack, ``('scope', 'layers.0')`` for a scope's box.
    """

    kind: str
    ref: Any
    place: tuple[tuple[str, Any], ...]


class Plan:
    """What a drawing of ``graph`` shows, given collapse keys, folds and leaf copies.

    ``units`` are the drawn nodes; ``edges`` maps ``(src unit, dst unit)`` to
    the number of uses it stands for in the drawn copy (a stack's edges count
    one copy's uses); with ``track=True``, ``uses`` maps each edge to every use
    it stands for (all copies), for the page's stepper. ``value_unit[i]`` is the
    unit that shows node ``#i``'s value and ``op_unit[i]`` the one its inputs go
    into; ``hidden[i]`` is 1 for a node drawn through its counterpart in copy 0
    of a stack or through the op of the chain it belongs to.
    """

    def __init__(
        self,
        graph: NumberedGraph,
        keys: Keys | None = None,
        folds: Sequence[Fold] = (),
        leaf_copies: dict[Use, int] | None = None,
        cluster_depth: int = 0,
        track: bool = False,
    ) -> None:
        n = len(graph)
        self.graph = graph
        self.keys: Keys = keys if keys is not None else [None] * n
        self.folds = list(folds)
        self.leaf_copies = leaf_copies or {}
        self.cluster_depth = cluster_depth
        parents, nodes = graph.parents, graph.nodes
        keys = self.keys

        hidden = bytearray(n)
        rep = list(range(n))
        fold_of = [-1] * n  # the fold whose copies (any of them) hold the node
        position = [-1] * n  # its place in its copy
        chain_of: dict[int, int] = {}
        input_group: dict[int, int] = {}  # k in copy 0 -> input group, per fold (keyed k+f*n)
        for f, fold in enumerate(self.folds):
            first = fold.copies[0]
            for c, copy in enumerate(fold.copies):
                for k, i in enumerate(copy):
                    fold_of[i] = f
                    position[i] = k
                    if c:
                        hidden[i] = 1
                        rep[i] = first[k]
            for i in fold.chain:
                hidden[i] = 1
                chain_of[i] = fold.at
            for g, group in enumerate(fold.inputs):
                for k in group.positions:
                    input_group[f * n + k] = g
        if self.folds and any(k is not None for k in keys):
            keys = self.keys = list(keys)
            for i in range(n):  # a copy's own leaves are drawn as its inputs, not in a module
                if fold_of[i] >= 0 and not parents[i]:
                    keys[i] = None
        self.hidden = hidden
        self.rep = rep
        self.fold_of = fold_of
        self.position = position

        self.units: list[Unit] = []
        self.value_unit = [-1] * n
        self.op_unit = [-1] * n
        self.groups: dict[str, Group] = groups(graph, keys, hidden) if any(
            k is not None for k in keys) else {}
        group_unit: dict[str, int] = {}
        group_fold: dict[str, int] = {}
        inputs_unit: dict[tuple[int, int], int] = {}
        depth = cluster_depth

        def scope_place(scope_path: list[str]) -> tuple[tuple[str, Any], ...]:
            path = scope_path[:depth]
            return tuple(("scope", ".".join(path[: j + 1])) for j in range(len(path)))

        def stack(f: int) -> tuple[tuple[str, Any], ...]:
            return (("stack", f),) if f >= 0 else ()

        add = self.units.append
        for i in range(n):
            if hidden[i]:
                continue
            key = keys[i]
            f = fold_of[i]
            if key is not None and not (f >= 0 and not parents[i]):
                u = group_unit.get(key)
                if u is None:
                    u = group_unit[key] = len(self.units)
                    add(Unit(GROUP, key, ()))  # placed below, once its members are known
                if f >= 0:
                    group_fold.setdefault(key, f)
                self.value_unit[i] = self.op_unit[i] = u
                if i == n - 1:  # the root: its op in its module, its value drawn as itself
                    self.value_unit[i] = len(self.units)
                    add(Unit(VALUE, i, ()))
            elif f >= 0 and not parents[i]:  # a copy's own leaf: one node for all copies
                ig = (f, input_group[f * n + position[i]])
                u = inputs_unit.get(ig)
                if u is None:
                    u = inputs_unit[ig] = len(self.units)
                    add(Unit(INPUTS, ig, stack(f)))
                self.value_unit[i] = u
            else:
                place = stack(f) + scope_place(module_path(nodes[i].scope))
                if parents[i]:
                    self.op_unit[i] = len(self.units)
                    add(Unit(OP, i, place))
                self.value_unit[i] = len(self.units)
                add(Unit(VALUE, i, place))
        self.group_names: dict[str, str] = {}
        for key, u in group_unit.items():
            self.units[u] = Unit(GROUP, key, stack(group_fold.get(key, -1))
                                 + scope_place(module_path(key)[:-1]))
            self.group_names[key] = f"g{len(self.group_names)}"
            if key in self.groups:
                self.groups[key].stacked = key in group_fold
        for i in range(n):  # hidden nodes are drawn through their counterparts
            if hidden[i]:
                r = rep[i] if i not in chain_of else chain_of[i]
                self.value_unit[i] = self.value_unit[r] if i not in chain_of else self.op_unit[r]
                self.op_unit[i] = self.op_unit[r]

        self.edges: dict[tuple[int, int], int] = {}
        # The (reader, node read) of an edge's uses when they are all one op reading one
        # node (x * x: drawn as two edges, as micrograd does), else None (drawn as one
        # edge marked with the count).
        self.same: dict[tuple[int, int], tuple[int, int] | None] = {}
        self.uses: dict[tuple[int, int], list[Use]] | None = {} if track else None
        self._copy_units: dict[tuple[int, int], int] = {}
        edges, uses, same = self.edges, self.uses, self.same
        value_unit, op_unit = self.value_unit, self.op_unit
        copies = self.leaf_copies
        for i, ps in enumerate(parents):
            if not ps:
                continue
            dst = op_unit[i]
            counted = 0 if hidden[i] and i not in chain_of else 1
            for pos, p in enumerate(ps):
                again = copies.get((i, pos), 0) if copies else 0
                src = self._copy_unit(p, again, i) if again else value_unit[p]
                if src == dst:
                    continue
                e = (src, dst)
                n_e = edges.get(e)
                if n_e is None:
                    edges[e] = counted
                    same[e] = (i, p)
                else:
                    edges[e] = n_e + counted
                    if same[e] != (i, p):
                        same[e] = None
                if uses is not None:
                    uses.setdefault(e, []).append((i, pos))
            if not hidden[i] and (keys[i] is None or i == n - 1):
                e = (dst, value_unit[i])
                edges[e] = edges.get(e, 0) + 1
                same[e] = (i, i)
                if uses is not None:
                    uses.setdefault(e, [])

    def _copy_unit(self, leaf: int, copy: int, consumer: int) -> int:
        u = self._copy_units.get((leaf, copy))
        if u is None:
            u = self._copy_units[(leaf, copy)] = len(self.units)
            self.units.append(Unit(COPY, (leaf, copy), self.units[self.op_unit[consumer]].place))
        return u

    def name(self, u: int) -> str:
        """The DOT name of unit ``u``: ``n3`` (Value #3), ``n3op`` (its op), ``g0``
        (a summary), ``f0i0`` (a stack's inputs), ``n3c1`` (a leaf drawn again)."""
        kind, ref, _ = self.units[u]
        if kind == VALUE:
            return f"n{ref}"
        if kind == OP:
            return f"n{ref}op"
        if kind == GROUP:
            return self.group_names[ref]
        if kind == INPUTS:
            f, g = ref
            return f"f{f}i{g}"
        leaf, copy = ref
        return f"n{leaf}c{copy}"

    def members(self) -> list[list[int]]:
        """For each unit, the nodes it shows: a Value's own node (and its counterparts in
        the other copies of a stack), a summary's members, a stack's inputs, an op's node."""
        found: list[list[int]] = [[] for _ in self.units]
        for i, u in enumerate(self.value_unit):
            found[u].append(i)
        for i, u in enumerate(self.op_unit):
            if u >= 0 and self.units[u].kind == OP:
                found[u].append(i)
        for u, (kind, ref, _) in enumerate(self.units):
            if kind == COPY:
                found[u].append(ref[0])
        return found

    @property
    def counted_nodes(self) -> int:
        """What ``max_nodes`` counts: Values, summaries and stacks' inputs drawn."""
        return sum(1 for u in self.units if u.kind in (VALUE, GROUP, INPUTS))

"""Grouping: which scalar nodes one array operation computes, and where every value lives.

Each value of the program lives in a row of an array, a *space*: the inputs (one array
per argument, a row per number of it, a column per sample), ``P`` (the parameters, one
row each, read afresh at every call), ``K`` (the constants) and one array per
:class:`Group`. A group is a set of nodes of one op, one constant and one depth that
one array operation computes side by side: the 16 ReLUs of a layer are one
``np.where`` over a 16-row array. Samples are columns, so a row of a shared value
(a parameter, or a node computed from parameters alone) is one column wide and
broadcasts over the batch.

Dot nodes that read the same inputs with weights shared across the batch form a matrix
product: ``W @ x``, with W read from the rows of ``P`` (a view where they lie in order). Without
fusion every node is a group of its own: one array operation per node.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from ..declaration import Op
from .graph_rewrites import Graph
from .tracing import Trace

__all__ = ["Group", "Plan", "Space", "plan"]

#: Names a program's source uses for itself; a label that equals one is not a variable name.
RESERVED = frozenset({
    "np", "P", "K", "seed", "tape", "check", "sigmoid", "stacked", "gP", "forward",
    "backward", "abs", "range", "len", "float", "None", "True", "False", "dtanh", "dsigmoid",
})
_GENERATED = re.compile(r"^(t|g|d|c|a|W|idx|s)\d+(_\d+)?$|^g_")


@dataclass(eq=False)
class Space:
    """An array of the program: ``rows`` values, one column per sample if ``batched``."""

    name: str
    rows: int
    batched: bool
    kind: str  # 'input', 'P', 'K' or 'group'
    index: int = 0

    @property
    def grad(self) -> str:
        """The name of its gradient in the reverse sweep: g5 for t5, g_n for n."""
        m = re.fullmatch(r"t(\d+)", self.name)
        return f"g{m.group(1)}" if m else f"g{self.name}" if self.kind == "P" else \
            f"g_{self.name}"


@dataclass(eq=False)
class Group:
    """Nodes computed by one array operation: one op, one constant, ``len(ids)`` rows."""

    index: int
    op: Op
    ids: list[int]
    constant: float | None
    batched: bool
    slots: list[list[int]]  # per input of the op: the node read by each row
    space: Space = field(repr=False, default=None)  # type: ignore[assignment]
    #: A matrix product: (the side every row reads, 'ws' or 'xs'; its nodes; the other
    #: side, one list per row).
    matmul: tuple[str, list[int], list[list[int]]] | None = None


@dataclass
class Plan:
    graph: Graph
    trace: Trace
    groups: list[Group]
    inputs: list[Space]
    P: Space
    K: Space
    loc: dict[int, tuple[Space, int]]
    param_rows: list[int]  # the trace parameter held by each row of P
    consts: list[float]  # the value of each row of K
    fused: bool
    names: dict[int, str] = field(default_factory=dict)  # node -> its own variable name

    def group_of(self, node: int) -> Group | None:
        space, _ = self.loc[node]
        return self.groups[space.index] if space.kind == "group" else None


def _levels(g: Graph) -> dict[int, int]:
    level: dict[int, int] = {}
    for k in g.order:
        n = g.nodes[k]
        level[k] = 1 + max((level[a] for a in n.args), default=-1) if n.role == "op" else 0
    return level


def _matmul_key(g: Graph, k: int) -> tuple[Any, ...] | None:
    """For a dot node: ('xs', inputs) when its inputs vary with the sample and its weights
    do not (or the other way round): nodes with equal keys make one matrix product."""
    n = g.nodes[k]
    half = len(n.args) // 2
    ws, xs = n.args[:half], n.args[half:]
    batched = [[g.nodes[a].batched for a in side] for side in (ws, xs)]
    if not any(batched[0]):
        return ("xs", tuple(xs)) if all(batched[1]) or not any(batched[1]) else None
    if not any(batched[1]) and all(batched[0]):
        return ("ws", tuple(ws))
    return None


def _key(g: Graph, k: int, level: dict[int, int], fuse: bool) -> tuple[Any, ...]:
    n = g.nodes[k]
    assert n.op is not None
    if not fuse:
        return (k,)
    mm = _matmul_key(g, k) if n.op.name == "dot" and n.op.builtin else None
    slots = tuple(g.nodes[a].batched for a in n.args) if mm is None else ()
    return (level[k], n.op.name, n.constant, len(n.args), n.batched, slots, mm)


def _usable(label: str, taken: set[str]) -> bool:
    return (label.isidentifier() and not keyword.iskeyword(label) and label not in RESERVED
            and not _GENERATED.match(label) and label not in taken)


def plan(g: Graph, t: Trace, fuse: bool) -> Plan:
    """Group the op nodes of ``g`` and lay out every value in a space."""
    level = _levels(g)
    buckets: dict[tuple[Any, ...], list[int]] = {}
    for k in g.order:
        if g.nodes[k].role == "op":
            buckets.setdefault(_key(g, k, level, fuse), []).append(k)
    position = {k: i for i, k in enumerate(g.order)}
    ordered = sorted(buckets.values(), key=lambda ids: (level[ids[0]], position[ids[0]]))
    groups = []
    for i, ids in enumerate(ordered):
        first = g.nodes[ids[0]]
        assert first.op is not None
        slots = [[g.nodes[k].args[j] for k in ids] for j in range(len(first.args))]
        grp = Group(i, first.op, ids, first.constant, first.batched, slots)
        if fuse and first.op.name == "dot" and first.op.builtin:
            key = _matmul_key(g, ids[0])
            if key is not None:
                half = len(first.args) // 2
                side = key[0]
                other = [g.nodes[k].args[:half] if side == "xs" else g.nodes[k].args[half:]
                         for k in ids]
                grp.matmul = (side, list(key[1]), other)
        groups.append(grp)
    return _layout(g, t, groups, fuse)


def _layout(g: Graph, t: Trace, groups: list[Group], fuse: bool) -> Plan:
    taken = {a.name for a in t.args}
    inputs = [Space(a.name, a.rows, True, "input", i) for i, a in enumerate(t.args)]
    loc: dict[int, tuple[Space, int]] = {}
    consts: list[float] = []
    K = Space("K", 0, False, "K")
    P = Space("P", 0, False, "P")
    # P holds the parameters in their own order (params=, or the order the graph reaches
    # them): a model's parameters come layer by layer, neuron by neuron, so a layer's
    # weights are a strided view of P (rows.py), and a penalty over all of them is P.
    param_row = {p: p for p in range(len(t.params))}
    names: dict[int, str] = {}
    for k in g.order:
        n = g.nodes[k]
        if n.role == "input":
            loc[k] = (inputs[n.arg], n.position)
        elif n.role == "param":
            loc[k] = (P, param_row[n.param])
        elif n.role == "const":
            loc[k] = (K, len(consts))
            consts.append(n.value)
    P.rows, K.rows = len(param_row), len(consts)
    # A label names a variable only where it names one node: nn labels every neuron's
    # weights w0, w1, ..., and no one of them should look like the only one.
    counts: dict[str, int] = {}
    for k in g.order:
        counts[g.nodes[k].label] = counts.get(g.nodes[k].label, 0) + 1
    for grp in groups:
        name = f"t{grp.index}"
        if len(grp.ids) == 1:
            label = g.nodes[grp.ids[0]].label
            if counts[label] == 1 and _usable(label, taken):
                name = label
        taken.add(name)
        grp.space = Space(name, len(grp.ids), grp.batched, "group", grp.index)
        for row, k in enumerate(grp.ids):
            loc[k] = (grp.space, row)
    for k in g.order:  # labelled parameters get a name of their own (a view of P)
        n = g.nodes[k]
        if n.role == "param" and counts[n.label] == 1 and _usable(n.label, taken):
            names[k] = n.label
            taken.add(n.label)
    rows = [0] * len(param_row)
    for p, r in param_row.items():
        rows[r] = p
    return Plan(g, t, groups, inputs, P, K, loc, rows, consts, fuse, names)

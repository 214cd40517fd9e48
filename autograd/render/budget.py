"""Layout budgets: how long a drawing will take to lay out, and what to draw instead
when that is too long.

The layout program (Graphviz's ``dot`` algorithm, as ``graphviz-pure`` runs it)
takes time that grows with more than the number of nodes: with the edges, with
the ranks those edges skip (dot routes an edge through a hidden node on each
rank it skips), and with how crowded the ranks get (ordering nodes side by side
to avoid crossings is most of the time of a wide layout). ``max_nodes`` sets
four budgets from one number: the nodes drawn, the edges
(:data:`EDGES_PER_NODE` per node), the ranks skipped (:data:`SKIPS_PER_NODE`
per node) and the layout time the plan predicts (:func:`layout_seconds`, at
most :data:`SECONDS_AT_DEFAULT` for the default ``max_nodes``, in proportion
for others).

A drawing over budget is folded (repeated copies drawn once, in a stack) and
its modules collapsed, at the least reduction that fits and reads as an
overview; failing that :class:`GraphTooLargeError` says which budget was
exceeded and what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from .collapse import Keys, collapse_keys, scope_depth
from .fold import Fold, find_folds
from .graph import NumberedGraph
from .options import DEFAULT_MAX_NODES, Collapse, DrawOptions
from .plan import Plan, Use
from .style import plural

#: A drawing may have this many edges per allowed node (dense graphs are unreadable).
EDGES_PER_NODE = 3
#: ... and its edges may skip this many ranks in all per allowed node.
SKIPS_PER_NODE = 40
#: A leaf used more than this many ranks after its previous uses is drawn again there.
LEAF_SPAN = 8
#: The predicted layout time (seconds, on a 2-core machine) the default budget allows;
#: a larger ``max_nodes`` allows it in proportion. Half the 3 s a drawing may take: the
#: prediction is within a factor of two on the shapes benchmarks/render_bench.py times.
SECONDS_AT_DEFAULT = 1.5
#: Beyond this much bending (the sum over long edges of the ranks they skip, squared),
#: edges are drawn straight: fitting curves around the hidden nodes of long edges is
#: most of the time such a layout takes (a 60-Value chain that reuses random earlier
#: values: 3.5 s with curves, 0.1 s straight).
STRAIGHT_EDGES_BENDS = 4000
#: Beyond this many nodes given to the layout (nodes and the hidden nodes of long edges),
#: it does less work per node.
LIGHT_LAYOUT_NODES = 2000
#: A drawing that had to be reduced aims at this many nodes at most: an overview.
OVERVIEW_NODES = 150

# The layout-time model (seconds), fitted (least squares on relative error, coefficients
# >= 0) to graphviz-pure's times on a 2-core machine over the shapes of
# benchmarks/render_bench.py: a start-up cost; per edge when edges are curved; per node
# given to the layout (hidden nodes of long edges included); per possible crossing
# (scaled by the effort the layout is allowed); per (edges at a node) squared; per unit
# of bending of curved long edges.
_T0 = 0.08
_T_CURVED_EDGE = 1.6e-4
_T_NODE = 1.7e-5
_T_CROSSING = 4.2e-7
_T_FAN = 9.6e-6
_T_BEND = 1.3e-6
# ... and per drawn node per rank: positioning a long chain (a 500-step recurrence has
# 3,000 ranks) costs in proportion to both; fitted to the recurrences of render_bench.
_T_RANK_NODE = 2.2e-7


class Size(NamedTuple):
    """What a drawing asks of the layout."""

    nodes: int  # Values, summaries and stacks' inputs (what max_nodes counts)
    edges: int
    skips: int  # ranks skipped by edges, summed over the edges
    drawn: int  # every node given to the layout: op nodes and leaf copies too
    crowd: int  # the sum over ranks of (nodes on the rank, hidden ones included) squared
    widest: int  # the most nodes on one rank, hidden ones included
    crossings: int  # crossings possible between adjacent ranks: (edge segments there)**2 / 4
    bends: int  # the sum over long edges of (ranks skipped) squared: curves cost that
    fans: int  # the sum over nodes of (edges in and out) squared: edges crowding one node
    ranks: int = 0  # how many ranks the layout has (a long chain: many)

    @property
    def seconds(self) -> float:
        """The layout time this plan predicts, in seconds (see :func:`layout_seconds`)."""
        return layout_seconds(self)

    def over(self, max_nodes: int) -> list[str]:
        """The budgets this drawing exceeds: 'nodes', 'edges', 'skipped ranks', 'time'."""
        over = []
        if self.nodes > max_nodes:
            over.append("nodes")
        if self.edges > EDGES_PER_NODE * max_nodes:
            over.append("edges")
        if self.skips > SKIPS_PER_NODE * max_nodes:
            over.append("skipped ranks")
        if self.seconds > seconds_allowed(max_nodes):
            over.append("time")
        return over

    def fits(self, max_nodes: int | None) -> bool:
        return max_nodes is None or not self.over(max_nodes)

    def tangled(self) -> bool:
        """More than two edges per node: collapsed neurons that each read every input."""
        return self.edges > 2 * max(self.nodes, 1)

    def describe(self, max_nodes: int) -> str:
        """Which budgets are exceeded, by how much: for captions and messages.

        >>> Size(3000, 8000, 0, 300, 0, 0, 0, 0, 0).describe(2500)
        'over the budgets max_nodes=2,500 sets for nodes (3,000 > 2,500) and edges (8,000 > 7,500)'
        """
        parts = []
        over = self.over(max_nodes)
        if "nodes" in over:
            parts.append(f"nodes ({self.nodes:,} > {max_nodes:,})")
        if "edges" in over:
            parts.append(f"edges ({self.edges:,} > {EDGES_PER_NODE * max_nodes:,})")
        if "skipped ranks" in over:
            parts.append(f"ranks skipped by edges, as when values are used far from where "
                         f"they are made ({self.skips:,} > {SKIPS_PER_NODE * max_nodes:,})")
        if "time" in over:
            parts.append(f"layout time (about {self.seconds:.1f} s > "
                         f"{seconds_allowed(max_nodes):.1f} s)")
        which = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return (f"over the budget{'s' if len(parts) > 1 else ''} max_nodes={max_nodes:,} sets "
                f"for {which}")


def seconds_allowed(max_nodes: int) -> float:
    """The layout time ``max_nodes`` allows: the default's, more for a larger budget (a
    smaller one bounds the size, not the time)."""
    return SECONDS_AT_DEFAULT * max(1.0, max_nodes / DEFAULT_MAX_NODES)


def layout_seconds(size: Size) -> float:
    """The layout time a drawing of this size predicts on a 2-core machine, in seconds.

    Time grows with the nodes given to the layout (drawn and hidden), with the drawn
    nodes times the ranks, the edges (more when they are curved), the crossings the
    ordering of each rank has to weigh, the edges crowding one node, and the bending of
    long curved edges.
    """
    curved = not straight(size)
    return (_T0 + _T_NODE * (size.drawn + size.skips) + _T_RANK_NODE * size.drawn * size.ranks
            + _T_CROSSING * size.crossings * _effort(size) + _T_FAN * size.fans
            + ((_T_CURVED_EDGE * size.edges + _T_BEND * size.bends) if curved else 0.0))


def straight(size: Size) -> bool:
    """Whether edges are drawn straight (``splines=line``): when curving them would take
    most of the layout's time."""
    return size.bends > STRAIGHT_EDGES_BENDS


def _effort(size: Size) -> float:
    return min(1.0, LIGHT_LAYOUT_NODES / max(1, size.drawn + size.skips))


def effort(size: Size) -> str:
    """The nslimit/mclimit a drawing gets: 1 for small ones, less as they grow."""
    return f"{_effort(size):.3g}"


def measure(plan: Plan) -> Size:
    """The size of the drawing a plan gives, and how long and crowded its edges are.

    Ranks are estimated as dot chooses them: each node as early as its inputs
    allow, then moved later when it has more uses than inputs (which shortens
    more edges than it stretches).
    """
    units = len(plan.units)
    edges = list(plan.edges)
    rank = [0] * units
    for a, b in edges:  # edges come in topological order (but for summary nodes)
        if rank[b] <= rank[a]:
            rank[b] = rank[a] + 1
    outs: list[list[int]] = [[] for _ in range(units)]
    ins = [0] * units
    for a, b in edges:
        outs[a].append(b)
        ins[b] += 1
    for u in range(units - 1, -1, -1):
        if len(outs[u]) > ins[u]:
            rank[u] = max(rank[u], min(rank[b] for b in outs[u]) - 1)
    top = max(rank, default=0) + 1
    low = min(rank, default=0)
    n_ranks = top - low + 1
    width = [0] * n_ranks
    for r in rank:
        width[r - low] += 1
    through = [0] * (n_ranks + 1)  # hidden nodes of long edges, by difference
    between = [0] * (n_ranks + 1)  # edge segments between rank r and r + 1, by difference
    skips = bends = 0
    for a, b in edges:
        ra, rb = sorted((rank[a], rank[b]))
        span = rb - ra
        if span > 1:
            skips += span - 1
            bends += (span - 1) * (span - 1)
            through[ra + 1 - low] += 1
            through[rb - low] -= 1
        if span:
            between[ra - low] += 1
            between[rb - low] -= 1
    crowd = widest = running = crossing = segments = 0
    for r in range(n_ranks):
        running += through[r]
        w = width[r] + running
        crowd += w * w
        widest = max(widest, w)
        segments += between[r]
        crossing += segments * segments
    fans = sum((len(o) + i) ** 2 for o, i in zip(outs, ins))
    same = plan.same
    drawn_edges = sum(n if n > 1 and same[e] is not None else 1 for e, n in plan.edges.items())
    return Size(plan.counted_nodes, drawn_edges, skips, units, crowd, widest, crossing // 4,
                bends, fans, n_ranks)


def ranks(graph: NumberedGraph) -> list[int]:
    """Roughly where the layout puts each Value, counting op nodes as ranks of their own.

    An op result sits two ranks after its latest input; a leaf two ranks before
    its earliest use (dot pulls a leaf towards its consumers).
    """
    parents = graph.parents
    rank = [0] * len(parents)
    for i, ps in enumerate(parents):
        if ps:
            rank[i] = max(rank[p] for p in ps) + 2
    for i, uses in enumerate(graph.consumers):
        if uses and not parents[i]:
            rank[i] = min(rank[c] for c, _ in uses) - 2
    return rank


def leaf_copies(
    graph: NumberedGraph, keys: Keys, rank: list[int], hidden: Sequence[int] | bytes,
    own_leaves: Sequence[int],
) -> dict[Use, int]:
    """Uses of a leaf far (in ranks) from its first use, each -> the copy of the leaf drawn there.

    A weight reused at every step of a long computation would otherwise have
    edges across the whole picture: hard to follow, and the layout time grows
    with the ranks they cross. So a leaf is drawn again (dashed) next to each
    group of uses more than :data:`LEAF_SPAN` ranks after the previous group.
    (A stack's own inputs and uses by hidden copies are not drawn, so get none.)
    """
    copies: dict[Use, int] = {}
    for p, uses in enumerate(graph.consumers):
        if graph.parents[p] or keys[p] is not None or len(uses) < 2 or own_leaves[p] >= 0:
            continue
        drawn = sorted((rank[c], c, position) for c, position in uses
                       if keys[c] is None and not hidden[c])
        if not drawn:
            continue
        copy, start = 0, drawn[0][0]
        for r, c, position in drawn:
            if r - start > LEAF_SPAN:
                copy, start = copy + 1, r
            if copy:
                copies[(c, position)] = copy
    return copies


def make_plan(
    graph: NumberedGraph, keys: Keys, folds: Sequence[Fold], cluster_depth: int,
    rank: list[int] | None = None, track: bool = False,
) -> Plan:
    """The plan for these collapse keys and folds, with leaves drawn again where needed."""
    bare = Plan(graph, keys, folds, cluster_depth=cluster_depth, track=track)
    if rank is None:
        rank = ranks(graph)
    own = [-1] * len(graph)
    for i, f in enumerate(bare.fold_of):
        if f >= 0 and not graph.parents[i]:
            own[i] = f
    copies = leaf_copies(graph, bare.keys, rank, bare.hidden, own)
    if not copies:
        return bare
    return Plan(graph, keys, folds, copies, cluster_depth, track)


class GraphTooLargeError(ValueError):
    """The graph is more than ``max_nodes`` allows and could not be folded or collapsed
    to fit.

    ``nodes`` is how many Values and summary nodes would be drawn, ``edges`` how
    many edges, ``skipped_ranks`` how many ranks those edges skip in all,
    ``seconds`` the layout time predicted, ``over`` which budgets were exceeded
    ('nodes', 'edges', 'skipped ranks', 'time'), and ``max_nodes`` the budget.
    """

    def __init__(self, message: str, size: Size, max_nodes: int) -> None:
        super().__init__(message)
        self.nodes = size.nodes
        self.edges = size.edges
        self.skipped_ranks = size.skips
        self.seconds = size.seconds
        self.over = size.over(max_nodes)
        self.max_nodes = max_nodes


class Choice(NamedTuple):
    """What :func:`choose` decided to draw: the plan, its size, and a caption saying why."""

    plan: Plan
    size: Size
    caption: list[str]
    collapse: Collapse
    folded: bool


def choose(graph: NumberedGraph, opts: DrawOptions, track: bool = False) -> Choice:
    """The drawing of ``graph`` that ``opts`` asks for, reduced to fit its budget."""
    rank = ranks(graph)
    depth = opts.cluster_depth
    keys = collapse_keys(graph, opts.collapse)
    folds: list[Fold] = find_folds(graph) if opts.fold else []
    plan = make_plan(graph, keys, folds, depth, rank, track)
    size = measure(plan)
    limit = opts.max_nodes
    if limit is None or size.fits(limit):
        return Choice(plan, size, [], opts.collapse, bool(folds))
    what = size.describe(limit)
    if opts.fold is None:
        folds = find_folds(graph)
    options: list[tuple[Collapse, list[Fold]]] = []
    if opts.collapse is not None:
        if folds and not opts.fold:
            options.append((opts.collapse, folds))
    else:
        deepest = scope_depth(graph)
        if folds:
            options += [(None, folds)] + [(d, folds) for d in range(deepest, 0, -1)]
        options += [(d, []) for d in range(deepest, 0, -1)]
    fitting: list[tuple[Collapse, list[Fold], Plan, Size]] = []
    for collapse, fs in options:
        k = keys if collapse == opts.collapse else collapse_keys(graph, collapse)
        p = make_plan(graph, k, fs, depth, rank, track)
        s = measure(p)
        if not s.fits(limit):
            continue
        fitting.append((collapse, fs, p, s))
        if s.nodes <= OVERVIEW_NODES and not s.tangled():
            break
    if not fitting:
        raise GraphTooLargeError(_refusal(graph, opts, folds, what, limit), size, limit)
    pick = next((f for f in fitting if f[3].nodes <= OVERVIEW_NODES and not f[3].tangled()),
                next((f for f in fitting if not f[3].tangled()), fitting[-1]))
    collapse, fs, p, s = pick
    did = []
    if fs:
        did.append(f"the {fs[0].size:,} {fs[0].noun()} are drawn as one stack"
                   + (f" (and {len(fs) - 1} more stacks)" if len(fs) > 1 else ""))
    if collapse is not None and collapse != opts.collapse:
        did.append(f"modules are collapsed to depth {collapse}")
    caption = (f"{graph_size(size)}: {what}. So {' and '.join(did)}; pass fold=, collapse= or "
               f"max_nodes= to choose.")
    return Choice(p, s, [caption], collapse, bool(fs))


def graph_size(size: Size) -> str:
    return f"{plural(size.nodes, 'node')}, {plural(size.edges, 'edge')}"


def _refusal(
    graph: NumberedGraph, opts: DrawOptions, folds: list[Fold], what: str, limit: int
) -> str:
    """Why a drawing cannot be made within the budget, and what to do."""
    collapse = opts.collapse
    folded = " and folded" if folds and opts.fold is not False else ""
    if collapse is not None and collapse is not False and collapse != 0:
        if collapse is True or collapse == 1:
            more = ""  # depth 1 is as collapsed as it gets
        elif isinstance(collapse, int):
            more = f"collapse more (collapse={collapse - 1} or 1), "
        else:
            more = "collapse more modules (collapse=1), "
        return (f"collapsed with collapse={collapse!r}{folded}, the graph still has {what}. "
                f"Try: {more}draw a smaller part of it (draw_dot(v) for a Value v it is made "
                f"of, such as one sample's loss), read it with render_text(), or pass a larger "
                f"max_nodes= knowing that the layout then takes longer.")
    if collapse is not None:  # collapse=False or 0: the caller asked for every node
        return (f"with collapse={collapse!r}, the graph has {what}. Collapse it (collapse=1, "
                f"or leave collapse out to collapse as needed), draw a smaller part of it "
                f"(draw_dot(v) for a Value v it is made of), or read it with render_text().")
    if any(node.scope for node in graph.nodes):
        how = "even with every module collapsed" + folded + " it is too big"
    else:
        how = ("its nodes have no scope to collapse by (build the model inside "
               "autograd.scope(...) blocks, as nn modules do, then pass collapse=1)")
    return (f"the graph is too big to draw: it has {what}, and {how}. Draw a smaller part "
            f"of it (draw_dot(v) for a Value v it is made of), read it with render_text() "
            f"or explain(), or pass a larger max_nodes= (or max_nodes=None) knowing that "
            f"the layout may then take minutes.")

"""Random computational graphs (DAGs) over the op table: :func:`expressions`.

A graph grows one node at a time (:class:`_Growth`): each node applies an op to
values made before it (inputs or earlier nodes) whose values lie inside that input's
domain, away from its kinks, poles and ends; the last node combines what nothing reads
yet, and whatever the output does not depend on is pruned. A featured op is placed on
the way to the output of every graph; in about half of them it reads an input drawn
across its whole range (:func:`~autograd.testing.range_strategies.op_inputs`), so that
random graphs reach where the op's derivative could be wrong alone: ``exp`` near 709,
``log`` at 1e-300, ``x ** 3`` at negative x.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from hypothesis import reject
from hypothesis import strategies as st

from ..declaration import BINARY, NARY, Op
from ..declare import declared_ops
from ..domains import Domain
from .graphs import Expression, ExpressionStep, domain_of, forward, input_counts, resolve_op
from .number_strategies import constants, inside, op_inputs, reals
from .op_ranges import typical_constant

__all__ = ["expressions"]


def ops_list(ops: Sequence[Op | str] | Op | str | None, who: str) -> tuple[Op, ...]:
    if ops is None:
        return declared_ops()
    if isinstance(ops, (str, Op)):
        ops = [ops]
    chosen = tuple(resolve_op(op) for op in ops)
    if not chosen:
        raise ValueError(f"{who}: ops is empty; pass at least one op (or None for all)")
    return chosen


class _Settings:
    """The arguments of :func:`expressions`, checked."""

    def __init__(self, ops: Sequence[Op | str] | None, max_nodes: int,
                 n_inputs: int | tuple[int, int], bound: float, max_magnitude: float,
                 margin: float, max_arity: int, featuring: Op | str | None,
                 full_range: bool) -> None:
        self.ops = None if ops is None else ops_list(ops, "expressions")
        self.feature = None if featuring is None else resolve_op(featuring)
        lo_n, hi_n = (n_inputs, n_inputs) if isinstance(n_inputs, int) else n_inputs
        if not 1 <= lo_n <= hi_n:
            raise ValueError(f"expressions: n_inputs must be >= 1, got {n_inputs!r}")
        if max_nodes < 1:
            raise ValueError(f"expressions: max_nodes must be >= 1, got {max_nodes!r}")
        if not (0 < bound <= max_magnitude):
            raise ValueError(f"expressions: need 0 < bound <= max_magnitude, got {bound!r} "
                             f"and {max_magnitude!r}")
        self.n_inputs, self.max_nodes, self.bound = (lo_n, hi_n), max_nodes, bound
        self.max_magnitude, self.margin, self.max_arity = max_magnitude, margin, max_arity
        self.full_range = full_range

    def ok(self, v: float, d: Domain) -> bool:
        return inside(v, d, self.margin, self.max_magnitude)


class _Growth:
    """One graph as it grows: its slots (inputs, then one per node), who reads them."""

    def __init__(self, draw: st.DrawFn, s: _Settings) -> None:
        self.draw, self.s = draw, s
        self.chosen = s.ops or declared_ops()  # read at each draw: new ops are drawn
        self.combiners = [op for op in self.chosen if op.kind in (BINARY, NARY)]
        n = draw(st.integers(*s.n_inputs))
        # The featured op, in about half the graphs, reads input 0 drawn across its range.
        self.wide: tuple[int, int, float | None] | None = None  # (inputs, slot, constant)
        first: list[float] = []
        if s.feature is not None and s.full_range and draw(st.booleans()):
            op = s.feature
            c = draw(constants(op)) if op.kind.constant else None
            count = draw(st.sampled_from(input_counts(op, s.max_arity)))
            slot = draw(st.integers(0, count - 1))
            first = [draw(op_inputs(op, slot, c))]
            self.wide = (count, slot, c)
        self.n = n
        self.point = tuple(first + [draw(reals(-s.bound, s.bound)) for _ in range(n - len(first))])
        self.slots = list(self.point)
        self.readers = [0] * n
        self.steps: list[ExpressionStep] = []
        self.featured: int | None = None  # the featured node's slot once made

    def pick(self, d: Domain, taken: list[int]) -> int | None:
        """A slot for an input of domain ``d``: the newest value nothing reads (the graph
        grows deep), one another node reads (a shared subexpression), or any."""
        draw = self.draw
        candidates = [k for k in reversed(range(len(self.slots))) if self.s.ok(self.slots[k], d)]
        if not candidates:
            return None
        how = draw(st.integers(0, 2))
        unread = [k for k in candidates if self.readers[k] == 0 and k not in taken]
        if how == 0 and unread:
            return unread[0]
        read = [k for k in candidates if k >= self.n and self.readers[k] > 0]
        if how == 1 and read:
            return read[draw(st.integers(0, len(read) - 1))]
        return candidates[draw(st.integers(0, len(candidates) - 1))]

    def _fits(self, op: Op, count: int, c: float | None) -> bool:
        return all(any(self.s.ok(v, domain_of(op, j, c)) for v in self.slots)
                   for j in range(count))

    def _feasible(self, op: Op) -> bool:
        # An op with a constant may be defined on more at some constants (x ** 2 at x < 0).
        cs = {None, typical_constant(op)} if op.kind.constant else {None}
        first = input_counts(op, self.s.max_arity)[0]
        return any(self._fits(op, first, c) for c in cs)

    def step(self, only: Op | None = None) -> ExpressionStep | None:
        """A node of an op (``only``, or any feasible one), its constant drawn first."""
        feasible = [op for op in ((only,) if only else self.chosen) if self._feasible(op)]
        if not feasible:
            return None
        op = self.draw(st.sampled_from(feasible))
        c = self.draw(constants(op)) if op.kind.constant else None
        counts = [k for k in input_counts(op, self.s.max_arity) if self._fits(op, k, c)]
        if not counts:
            return None
        args: list[int] = []
        for j in range(self.draw(st.sampled_from(counts))):
            a = self.pick(domain_of(op, j, c), args)
            assert a is not None  # counts only holds counts every input can fill
            args.append(a)
        return ExpressionStep(op, tuple(args), c)

    def wide_step(self) -> ExpressionStep | None:
        """The featured node reading input 0, drawn across its range, in its slot."""
        assert self.wide is not None and self.s.feature is not None
        op, (count, slot, c) = self.s.feature, self.wide
        args: list[int] = []
        for j in range(count):
            a = 0 if j == slot else self.pick(domain_of(op, j, c), [*args, 0])
            if a is None:
                return None
            args.append(a)
        return ExpressionStep(op, tuple(args), c)

    def combination(self) -> ExpressionStep | None:
        """The last node: it reads the values nothing else reads, newest first (so that
        pruning keeps the work done before them), the featured node above all."""
        n, slots = self.n, self.slots
        dangling = [k for k in reversed(range(n, len(slots))) if self.readers[k] == 0]
        dangling.sort(key=lambda k: k != self.featured)
        if len(dangling) < 2:
            return None
        options = []
        for op in self.combiners:
            args: list[int] = []
            for j in range(max(input_counts(op, self.s.max_arity))):
                fits = [k for k in dangling
                        if k not in args and self.s.ok(slots[k], domain_of(op, j))]
                if not fits:
                    break
                args.append(fits[0])
            counts = [k for k in input_counts(op, self.s.max_arity) if 2 <= k <= len(args)]
            if counts:
                options.append(ExpressionStep(op, tuple(args[: max(counts)])))
        return self.draw(st.sampled_from(options)) if options else None

    def add(self, step: ExpressionStep) -> float | None:
        """Add the node if its value is finite and within bounds (the featured node reading
        a wide input may exceed ``max_magnitude``: it is then the output); its value."""
        try:
            y = forward(step.op, [self.slots[a] for a in step.args], step.constant)
        except (ValueError, ArithmeticError):
            return None
        wide = self.wide is not None and step.op is self.s.feature and self.featured is None
        if not math.isfinite(y) or (abs(y) > self.s.max_magnitude and not wide):
            return None
        for a in set(step.args):
            self.readers[a] += 1
        if self.s.feature is not None and step.op is self.s.feature and self.featured is None:
            self.featured = len(self.slots)
        self.slots.append(y)
        self.readers.append(0)
        self.steps.append(step)
        return y

    def grow(self) -> Expression:
        draw, s = self.draw, self.s
        # The larger of two counts: most graphs are big, and shrinking still makes them small.
        target = max(draw(st.integers(1, s.max_nodes)), draw(st.integers(1, s.max_nodes)))
        at = draw(st.integers(0, target - 1)) if s.feature else None  # where it features
        for _ in range(3 * s.max_nodes):
            pending = s.feature is not None and self.featured is None
            if len(self.steps) >= target and not (pending and len(self.steps) < s.max_nodes):
                break
            step = None
            if pending and at is not None and len(self.steps) >= at:
                step = self.wide_step() if self.wide else self.step(s.feature)
            elif len(self.steps) == target - 1:
                step = self.combination()
            step = step or self.step()
            if step is None:
                break
            y = self.add(step)
            if y is not None and abs(y) > s.max_magnitude:
                break  # the featured node's value is too large for any other to read
        if not self.steps:
            reject()
        expr = _prune(self.n, self.steps, self.point)
        if s.feature is not None and all(step.op is not s.feature for step in expr.steps):
            reject()  # it could not be placed, or nothing on the way to the output reads it
        return expr


def _prune(n: int, steps: list[ExpressionStep], point: tuple[float, ...]) -> Expression:
    """Keep the steps the last one depends on, renumbered."""
    live = {n + len(steps) - 1}
    for k in reversed(range(len(steps))):
        if n + k in live:
            live.update(steps[k].args)
    new_slot = {i: i for i in range(n)}
    kept: list[ExpressionStep] = []
    for k, step in enumerate(steps):
        if n + k in live:
            new_slot[n + k] = n + len(kept)
            args = tuple(new_slot[a] for a in step.args)
            kept.append(ExpressionStep(step.op, args, step.constant))
    return Expression(n, tuple(kept), point)


def expressions(
    ops: Sequence[Op | str] | None = None,
    max_nodes: int = 8,
    n_inputs: int | tuple[int, int] = (1, 3),
    *,
    bound: float = 3.0,
    max_magnitude: float = 1e3,
    margin: float = 0.05,
    max_arity: int = 4,
    featuring: Op | str | None = None,
    full_range: bool = True,
) -> st.SearchStrategy[Expression]:
    """Random computational graphs (DAGs) over ``n_inputs`` inputs, with shared subexpressions.

    Each graph has between 1 and ``max_nodes`` op nodes drawn from ``ops`` (all
    of :data:`autograd.ops.OPS` by default), most of them close to
    ``max_nodes`` (shrinking leads to small ones). Inputs are drawn from
    ``[-bound, bound]``. Every node reads earlier nodes or inputs whose values,
    at the drawn point, lie inside that input's declared domain (at the node's
    constant, drawn first: ``x ** 2`` reads negative values) at least
    ``margin`` from its kinks, poles and ends. A node reads a value nothing
    reads yet, or any value, or one that another node reads already (a shared
    subexpression); it may read one value several times (``x * x``). Nodes
    whose value would exceed ``max_magnitude`` are not added. The output is the
    last node, which combines the values nothing else reads when an op with
    several inputs allows; nodes it does not depend on are dropped, inputs
    never are (an unused input has gradient 0). With ``featuring``, every graph
    has a node of that op on the way to the output (whether or not ``ops``
    holds it), at a random place: a test can give each op of the table its
    share of the graphs. With ``full_range`` (the default) that node reads, in
    about half the graphs, input 0 drawn across the op's whole range instead
    (tiny and huge magnitudes, next to its kinks and poles; its value may then
    exceed ``max_magnitude``, and it is the output).
    """
    s = _Settings(ops, max_nodes, n_inputs, bound, max_magnitude, margin, max_arity,
                  featuring, full_range)
    return _draw_expression(s)


@st.composite
def _draw_expression(draw: st.DrawFn, s: _Settings) -> Expression:
    return _Growth(draw, s).grow()

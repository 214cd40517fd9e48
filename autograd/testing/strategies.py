"""Hypothesis strategies for scalar graphs: numbers, Values, random expressions and small MLPs.

Every strategy reads the op table (:data:`autograd.ops.OPS`): inputs are drawn
inside each op's declared :class:`~autograd.ops.Domain`, kept ``margin`` away
from its kinks, poles and open ends, and bounded so that numerical
differentiation stays meaningful. A newly declared op is drawn as soon as it
is in the table.

A property-based gradient test of your own function::

    from hypothesis import given
    from autograd.testing import check_grads
    from autograd.testing.strategies import reals

    @given(reals(-3, 3), reals(0.5, 3))
    def test_my_function_gradients(x, y):
        check_grads(lambda x, y: (x * y).tanh() + y.log(), [x, y], order=2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from hypothesis import reject
from hypothesis import strategies as st

from .. import ops as _ops
from ..declaration import BINARY, NARY, Op
from ..declare import declared_ops
from ..domains import REALS, Domain
from ..engine import Value
from ..modes import no_grad
from .graphs import (
    Expression,
    ExpressionStep,
    MLPLoss,
    domain_of,
    forward,
    input_counts,
    resolve_op,
)

__all__ = [
    "Expression",
    "MLPLoss",
    "ExpressionStep",
    "applications",
    "expressions",
    "mlps",
    "reals",
    "values",
]

#: Hidden-layer activations :func:`mlps` draws from by default (those in the op table).
DEFAULT_ACTIVATIONS = ("tanh", "relu", "sigmoid", "softplus", "leaky_relu")


def inside(x: float, domain: Domain, margin: float = 0.0, bound: float = math.inf) -> bool:
    """True when ``x`` lies in ``domain`` at least ``margin`` from its ends and excluded points,
    and ``|x| <= bound``."""
    return (
        math.isfinite(x)
        and abs(x) <= bound
        and domain.lo + margin <= x <= domain.hi - margin
        and x in domain
        and all(abs(x - e) >= margin for e in domain.exclude)
    )


def _away(point: float, margin: float, direction: float) -> float:
    """``point + direction * margin``, nudged so that it is at least ``margin`` from ``point``
    once rounded (1.0 + 0.001 is 0.000999... from 1.0)."""
    x = point + direction * margin
    while abs(x - point) < margin:
        x = math.nextafter(x, direction * math.inf)
    return x


def _check_range(min_value: float, max_value: float, margin: float, who: str) -> None:
    for name, v in (("min_value", min_value), ("max_value", max_value), ("margin", margin)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or math.isnan(v):
            raise TypeError(f"{who}: {name} must be a real number, got {v!r}")
    if not (math.isfinite(min_value) and math.isfinite(max_value)):
        raise ValueError(f"{who}: the range must be finite, got [{min_value!r}, {max_value!r}]")
    if min_value > max_value:
        raise ValueError(f"{who}: min_value {min_value!r} is above max_value {max_value!r}")
    if margin < 0:
        raise ValueError(f"{who}: margin must be >= 0, got {margin!r}")


def reals(
    min_value: float = -10.0,
    max_value: float = 10.0,
    *,
    domain: Domain | None = None,
    margin: float = 0.01,
) -> st.SearchStrategy[float]:
    """Finite floats in ``[min_value, max_value]`` and inside ``domain``.

    Drawn values stay at least ``margin`` away from the domain's open ends and
    from its excluded points (kinks and poles), so that a numerical derivative
    taken there does not straddle one. ValueError when nothing is left.

    >>> from autograd.ops import POSITIVE
    >>> s = reals(-5, 5, domain=POSITIVE, margin=0.1)   # floats in [0.1, 5]
    """
    _check_range(min_value, max_value, margin, "reals")
    domain = domain or REALS
    # Pieces [a, b] with flags saying whether an end is itself excluded.
    lo, lo_open = min_value, False
    if domain.lo + margin >= lo:
        lo, lo_open = _away(domain.lo, margin, 1.0), margin == 0
    hi, hi_open = max_value, False
    if domain.hi - margin <= hi:
        hi, hi_open = _away(domain.hi, margin, -1.0), margin == 0
    pieces = [(lo, hi, lo_open, hi_open)]
    for e in sorted(domain.exclude):
        split = []
        for a, b, a_open, b_open in pieces:
            if e + margin < a or e - margin > b or (margin == 0 and not a <= e <= b):
                split.append((a, b, a_open, b_open))
                continue
            split.append((a, _away(e, margin, -1.0), a_open, margin == 0))
            split.append((_away(e, margin, 1.0), b, margin == 0, b_open))
        pieces = split
    parts = []
    for a, b, a_open, b_open in pieces:
        if a < b:
            parts.append(
                st.floats(a, b, exclude_min=a_open, exclude_max=b_open, allow_nan=False)
            )
        elif a == b and not (a_open or b_open):
            parts.append(st.just(float(a)))
    if not parts:
        raise ValueError(
            f"reals: no number in [{min_value!r}, {max_value!r}] lies in {domain} "
            f"at least {margin!r} from its ends and excluded points"
        )
    return parts[0] if len(parts) == 1 else st.one_of(parts)


def values(
    min_value: float = -10.0,
    max_value: float = 10.0,
    *,
    domain: Domain | None = None,
    margin: float = 0.01,
    label: str = "",
) -> st.SearchStrategy[Value]:
    """Leaf Values whose data are drawn by :func:`reals` (same arguments), with ``label``."""
    return reals(min_value, max_value, domain=domain, margin=margin).map(
        lambda x: Value(x, label=label)
    )


def _ops_list(ops: Sequence[Op | str] | None, who: str) -> tuple[Op, ...]:
    if ops is None:
        return declared_ops()
    if isinstance(ops, (str, Op)):
        ops = [ops]
    chosen = tuple(resolve_op(op) for op in ops)
    if not chosen:
        raise ValueError(f"{who}: ops is empty; pass at least one op (or None for all)")
    return chosen


def applications(
    op: Op | str,
    *,
    bound: float = 4.0,
    margin: float = 0.05,
    max_inputs: int = 4,
) -> st.SearchStrategy[Expression]:
    """One node of ``op``, as a one-step :class:`Expression`, with inputs inside its domain.

    Each input (and the constant of a ``unary_param`` op) is drawn by
    :func:`reals` from ``[-bound, bound]`` inside its declared domain; an n-ary
    op gets up to ``max_inputs`` inputs (an even number for ``dot``). Points
    where the op's value is not finite are not drawn.
    """
    op = resolve_op(op)
    if max_inputs < 1:
        raise ValueError(f"applications: max_inputs must be >= 1, got {max_inputs!r}")

    @st.composite
    def draw_application(draw: st.DrawFn) -> Expression:
        count = draw(st.sampled_from(input_counts(op, max_inputs)))
        xs = tuple(
            draw(reals(-bound, bound, domain=domain_of(op, j), margin=margin))
            for j in range(count)
        )
        c = None
        if op.kind.constant:
            c = draw(reals(-bound, bound, domain=op.param, margin=margin))
        try:
            y = forward(op, xs, c)
        except (ValueError, ArithmeticError):
            reject()
        if not math.isfinite(y):
            reject()
        return Expression(count, (ExpressionStep(op, tuple(range(count)), c),), xs)

    return draw_application()


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
) -> st.SearchStrategy[Expression]:
    """Random computational graphs (DAGs) over ``n_inputs`` inputs, with shared subexpressions.

    Each graph has between 1 and ``max_nodes`` op nodes drawn from ``ops`` (all
    of :data:`autograd.ops.OPS` by default), most of them close to
    ``max_nodes`` (shrinking leads to small ones). Inputs are drawn from
    ``[-bound, bound]``. Every node reads earlier nodes or inputs whose values,
    at the drawn point, lie inside that input's declared domain at least
    ``margin`` from its kinks, poles and ends. A node reads a value nothing
    reads yet, or any value, or one that another node reads already (a shared
    subexpression); it may read one value several times (``x * x``). Nodes
    whose value would exceed ``max_magnitude`` are not added. The output is the
    last node, which combines the values nothing else reads when an op with
    several inputs allows; nodes it does not depend on are dropped, inputs
    never are (an unused input has gradient 0). With ``featuring``, every graph
    has a node of that op on the way to the output (whether or not ``ops``
    holds it), at a random place: a test can give each op of the table its
    share of the graphs.
    """
    given_ops = None if ops is None else _ops_list(ops, "expressions")
    feature = None if featuring is None else resolve_op(featuring)
    if isinstance(n_inputs, int):
        n_inputs = (n_inputs, n_inputs)
    lo_n, hi_n = n_inputs
    if not 1 <= lo_n <= hi_n:
        raise ValueError(f"expressions: n_inputs must be >= 1, got {n_inputs!r}")
    if max_nodes < 1:
        raise ValueError(f"expressions: max_nodes must be >= 1, got {max_nodes!r}")
    if not (0 < bound <= max_magnitude):
        raise ValueError(
            f"expressions: need 0 < bound <= max_magnitude, got {bound!r} and {max_magnitude!r}"
        )

    def ok(v: float, d: Domain) -> bool:
        return inside(v, d, margin, max_magnitude)

    @st.composite
    def draw_expression(draw: st.DrawFn) -> Expression:
        # The table is read at each draw: an op declared after the strategy was made is drawn.
        chosen = given_ops or declared_ops()
        combiners = [op for op in chosen if op.kind in (BINARY, NARY)]
        n = draw(st.integers(lo_n, hi_n))
        point = tuple(draw(reals(-bound, bound)) for _ in range(n))
        slots = list(point)
        readers = [0] * n  # how many steps read each slot
        steps: list[ExpressionStep] = []

        def pick(d: Domain, taken: list[int]) -> int | None:
            # Latest first, so that shrinking leads towards chains.
            candidates = [s for s in reversed(range(len(slots))) if ok(slots[s], d)]
            if not candidates:
                return None
            how = draw(st.integers(0, 2))
            unread = [s for s in candidates if readers[s] == 0 and s not in taken]
            if how == 0 and unread:
                return unread[0]  # the newest value nothing reads: the graph grows deep
            read = [s for s in candidates if s >= n and readers[s] > 0]
            if how == 1 and read:
                return read[draw(st.integers(0, len(read) - 1))]  # a shared subexpression
            return candidates[draw(st.integers(0, len(candidates) - 1))]

        def draw_step(only: Op | None = None) -> ExpressionStep | None:
            feasible = [
                op
                for op in ((only,) if only else chosen)
                if all(
                    any(ok(v, domain_of(op, j)) for v in slots)
                    for j in range(input_counts(op, max_arity)[0])
                )
            ]
            if not feasible:
                return None
            op = draw(st.sampled_from(feasible))
            counts = [
                k
                for k in input_counts(op, max_arity)
                if all(any(ok(v, domain_of(op, j)) for v in slots) for j in range(k))
            ]
            count = draw(st.sampled_from(counts))
            args: list[int] = []
            for j in range(count):
                a = pick(domain_of(op, j), args)
                assert a is not None  # counts only holds counts every input can fill
                args.append(a)
            c = None
            if op.kind.constant:
                c = draw(reals(-bound, bound, domain=op.param, margin=margin))
            return ExpressionStep(op, tuple(args), c)

        def draw_combination() -> ExpressionStep | None:
            # The last node reads the values nothing else reads, newest first, so that
            # pruning keeps the work done before them.
            dangling = [s for s in reversed(range(n, len(slots))) if readers[s] == 0]
            dangling.sort(key=lambda s: s != featured)  # the featured node above all
            if len(dangling) < 2:
                return None
            options = []
            for op in combiners:
                args: list[int] = []
                for j in range(max(input_counts(op, max_arity))):
                    fits = [s for s in dangling if s not in args and ok(slots[s], domain_of(op, j))]
                    if not fits:
                        break
                    args.append(fits[0])
                counts = [k for k in input_counts(op, max_arity) if 2 <= k <= len(args)]
                if counts:
                    options.append(ExpressionStep(op, tuple(args[: max(counts)])))
            return draw(st.sampled_from(options)) if options else None

        # The larger of two counts: most graphs are big, and shrinking still makes them small.
        target = max(draw(st.integers(1, max_nodes)), draw(st.integers(1, max_nodes)))
        at = draw(st.integers(0, target - 1)) if feature else None  # where it features
        featured: int | None = None  # its slot once made
        for _ in range(3 * max_nodes):
            pending = feature is not None and featured is None
            if len(steps) >= target and not (pending and len(steps) < max_nodes):
                break
            step = None
            if pending and at is not None and len(steps) >= at:
                step = draw_step(feature)  # None until its inputs can be found
            elif len(steps) == target - 1:
                step = draw_combination()
            step = step or draw_step()
            if step is None:
                break
            try:
                y = forward(step.op, [slots[a] for a in step.args], step.constant)
            except (ValueError, ArithmeticError):
                continue
            if not (math.isfinite(y) and abs(y) <= max_magnitude):
                continue
            for a in set(step.args):
                readers[a] += 1
            if pending and step.op is feature:
                featured = len(slots)
            slots.append(y)
            readers.append(0)
            steps.append(step)
        if not steps:
            reject()
        expr = _prune(n, steps, point)
        if feature is not None and all(step.op is not feature for step in expr.steps):
            reject()  # it could not be placed, or nothing on the way to the output reads it
        return expr

    return draw_expression()


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


def _int_range(value: int | tuple[int, int], name: str, least: int) -> tuple[int, int]:
    lo, hi = (value, value) if isinstance(value, int) else value
    if not least <= lo <= hi:
        raise ValueError(f"mlps: {name} must be >= {least} (a count or a (min, max) pair), "
                         f"got {value!r}")
    return lo, hi


def mlps(
    n_inputs: int | tuple[int, int] = (1, 3),
    hidden_layers: int | tuple[int, int] = (1, 2),
    width: int | tuple[int, int] = (1, 3),
    n_outputs: int | tuple[int, int] = (1, 2),
    *,
    activations: Sequence[str] | None = None,
    weight_bound: float = 1.5,
    input_bound: float = 2.0,
    margin: float = 0.05,
) -> st.SearchStrategy[MLPLoss]:
    """Small multilayer perceptrons with an input example and targets (see :class:`MLPLoss`).

    Weights and biases come from ``[-weight_bound, weight_bound]``, inputs from
    ``[-input_bound, input_bound]``, targets from ``[-1, 1]``. The activation is
    one unary op from ``activations`` (by default those of
    :data:`DEFAULT_ACTIVATIONS` in the op table); every hidden pre-activation
    lies inside its domain at least ``margin`` from a kink (no ReLU at 0).
    """
    sizes_in = _int_range(n_inputs, "n_inputs", 1)
    sizes_hidden = _int_range(hidden_layers, "hidden_layers", 0)
    sizes_width = _int_range(width, "width", 1)
    sizes_out = _int_range(n_outputs, "n_outputs", 1)
    names = (
        [n for n in DEFAULT_ACTIVATIONS if n in _ops.BY_NAME]
        if activations is None
        else [resolve_op(n).name for n in activations]
    )
    for name in names:
        if resolve_op(name).kind.arity != 1:
            raise ValueError(f"mlps: activation {name!r} is not a unary op")
    if not names:
        raise ValueError("mlps: activations is empty")

    @st.composite
    def draw_mlp(draw: st.DrawFn) -> MLPLoss:
        depth = draw(st.integers(*sizes_hidden))
        sizes = (
            draw(st.integers(*sizes_in)),
            *(draw(st.integers(*sizes_width)) for _ in range(depth)),
            draw(st.integers(*sizes_out)),
        )
        activation = draw(st.sampled_from(names))
        op = resolve_op(activation)
        slope = None
        if op.kind.constant:
            slope = draw(reals(-1.0, 1.0, domain=op.param, margin=margin))
        n_params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
        weight = reals(-weight_bound, weight_bound)
        params = tuple(draw(weight) for _ in range(n_params))
        inputs = tuple(draw(reals(-input_bound, input_bound)) for _ in range(sizes[0]))
        targets = tuple(draw(reals(-1.0, 1.0)) for _ in range(sizes[-1]))
        mlp = MLPLoss(sizes, activation, params, inputs, targets, slope)
        with no_grad():
            hidden, _ = mlp.pre_activations(
                [Value(p) for p in params], [Value(x) for x in inputs]
            )
        d = domain_of(op, 0)
        if not all(inside(p.data, d, margin) for layer in hidden for p in layer):
            reject()
        return mlp

    return draw_mlp()

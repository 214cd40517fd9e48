"""Hypothesis strategies for scalar graphs: numbers, Values, one op, random expressions, MLPs.

Every strategy reads the op table (:func:`autograd.declared_ops`, so an op you declare
is drawn as soon as it exists). :func:`applications` draws one node of an op with
its inputs across the op's whole range: everyday values most of the time, and tiny
and huge magnitudes, both signs, and points just either side of each kink, pole and
domain end (:func:`op_inputs`; the range is found by probing the op's forward
function, :mod:`autograd.testing.op_ranges`). :func:`expressions` draws random DAGs
whose nodes read values inside each op's domain, a featured op reading a value from
its whole range in about half of them. :func:`reals` and :func:`values` draw numbers
inside a domain, :func:`constants` an op's constant, :func:`mlps` small networks.

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
from collections.abc import Callable, Sequence
from functools import lru_cache

from hypothesis import reject
from hypothesis import strategies as st

from ..declaration import NARY, UNARY, UNARY_CONST, Op
from ..declare import declared_ops
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
from .number_strategies import constants, inside, op_inputs, reals, values
from .op_ranges import HUGE, input_range
from .random_graphs import expressions

__all__ = [
    "Expression",
    "ExpressionStep",
    "MLPLoss",
    "default_activations",
    "applications",
    "constants",
    "expressions",
    "inside",
    "mlps",
    "op_inputs",
    "reals",
    "values",
]


@lru_cache(maxsize=1024)
def applications(
    op: Op | str,
    *,
    bound: float = 4.0,
    margin: float = 0.05,
    max_inputs: int = 4,
    full_range: bool = True,
) -> st.SearchStrategy[Expression]:
    """One node of ``op``, as a one-step :class:`Expression`, with inputs inside its domain.

    The constant of an op with one is drawn first (:func:`constants`), and the
    domains are read at it (``x ** 2`` is defined at negative x, ``x ** 0.5`` is
    not). With ``full_range`` (the default) one input, and each other one now and
    then, is drawn across the op's whole range (:func:`op_inputs`); the others, and
    every input without ``full_range``, by :func:`reals` from ``[-bound, bound]``,
    ``margin`` away from kinks, poles and ends. An n-ary op gets up to
    ``max_inputs`` inputs (an even number for ``dot``). Points where the op's value
    is not finite are not drawn.
    """
    op = resolve_op(op)
    if max_inputs < 1:
        raise ValueError(f"applications: max_inputs must be >= 1, got {max_inputs!r}")

    @st.composite
    def draw_application(draw: st.DrawFn) -> Expression:
        count = draw(st.sampled_from(input_counts(op, max_inputs)))
        c = draw(constants(op, bound, margin)) if op.kind.constant else None

        def ordinary(j: int) -> float:
            return draw(reals(-bound, bound, domain=domain_of(op, j, c), margin=margin))

        if not full_range:
            xs = [ordinary(j) for j in range(count)]
        else:
            focus = draw(st.integers(0, count - 1))
            wide = draw(op_inputs(op, focus, c))
            mode = draw(st.sampled_from(_MODES))
            probed = input_range(op, 0 if op.kind is NARY else focus, c).others
            xs = [wide if j == focus else _other(
                draw, op, j, c, wide, ordinary, mode, probed[:focus] + (wide,) + probed[focus:])
                for j in range(count)]
            if not _finite(op, xs, c):  # the others too large with it: everyday ones
                xs = [wide if j == focus else ordinary(j) for j in range(count)]
        if not _finite(op, xs, c):
            reject()
        return Expression(count, (ExpressionStep(op, tuple(range(count)), c),), tuple(xs))

    return draw_application()


def _finite(op: Op, xs: Sequence[float], c: float | None) -> bool:
    try:
        return math.isfinite(forward(op, xs, c))
    except (ValueError, ArithmeticError):
        return False


# How the other inputs of a node are drawn, beside its focus input: all everyday, all of
# about the focus's size (a + b at 1e300 is checked in b too only if b is as large), all
# at the values the focus's range was probed with (where it surely holds: a ** 1.5 at
# a = 1e-213), or each its own way. sampled_from weights by count.
_MODES = ("everyday", "everyday", "alike", "alike", "probed", "probed", "mixed", "mixed")


def _other(draw: st.DrawFn, op: Op, j: int, c: float | None, wide: float,
           ordinary: Callable[[int], float], mode: str, probed: Sequence[float]) -> float:
    """Another input (``j``) of a node whose focus input is ``wide``, drawn by ``mode``
    (``probed``: the other inputs' values when the focus's range was probed)."""
    how = draw(st.sampled_from(("wide", "alike", "everyday"))) if mode == "mixed" else mode
    if how == "probed":
        return probed[min(j, len(probed) - 1)] if probed else ordinary(j)
    if how == "wide":
        return draw(op_inputs(op, j, c))
    if how == "alike":
        x = wide * 2.0 ** draw(st.floats(-2.0, 2.0)) * draw(st.sampled_from([1.0, -1.0]))
        if math.isfinite(x) and x in domain_of(op, j, c):
            return x
    return ordinary(j)


def default_activations() -> tuple[str, ...]:
    """The ops :func:`mlps` draws activations from by default: the unary ops of the table
    (with a default constant, for one that takes a constant) that are defined and finite
    for every real input (not ``exp``, which overflows above 709.78; not ``log``) and
    stand behind no operator (``-x`` and ``abs`` do)."""
    names = []
    for op in declared_ops():
        if op.kind is UNARY_CONST and op.param_default is None or op.kind not in (
                UNARY, UNARY_CONST) or op.operator is not None:
            continue
        sides = input_range(op, 0, op.param_default).sides
        if len(sides) == 2 and all(s.finite >= HUGE for s in sides) \
                and not op.domain_of(0, op.param_default).poles:
            names.append(op.name)
    return tuple(names)


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
    one unary op from ``activations`` (by default :func:`default_activations`: those of the
    op table that make sense as one); every hidden pre-activation lies inside its
    domain at least ``margin`` from a kink (no ReLU at 0).
    """
    sizes_in = _int_range(n_inputs, "n_inputs", 1)
    sizes_hidden = _int_range(hidden_layers, "hidden_layers", 0)
    sizes_width = _int_range(width, "width", 1)
    sizes_out = _int_range(n_outputs, "n_outputs", 1)
    names = list(default_activations()) if activations is None else [
        resolve_op(n).name for n in activations]
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


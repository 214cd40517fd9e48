"""A naive reference for the ops, written from the calculus and not from the engine.

``REFERENCE[name]`` gives each op's value and partial derivatives on floats,
from textbook formulas (``tanh' = 1 / cosh**2``, ``sigmoid' = sigmoid(x) *
sigmoid(-x)``, ...), never from :mod:`autograd.ops`. :func:`reference_for`
fails loudly for an op with no entry, so a newly declared op cannot be
skipped: ``test_every_op_has_a_reference`` (in ``test_stateful.py``) iterates
the op table, and checks each entry against the op's forward function.

:func:`evaluate` and :func:`adjoints` run a graph given as steps (op, parent
slots, constant): values forward, and d(root)/d(slot) by pulling from each
slot's consumers (the engine pushes from a topological order instead).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from autograd import Op
from autograd.testing import Expression

Partials = Callable[[Sequence[float], Any], list[float]]


@dataclass(frozen=True)
class Reference:
    value: Callable[[Sequence[float], Any], float]
    partials: Partials


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    return math.exp(x) / (1.0 + math.exp(x))


def _sech2(x: float) -> float:
    return 0.0 if abs(x) > 350 else 1.0 / math.cosh(x) ** 2


def _softplus(x: float) -> float:
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def _lse(xs: Sequence[float]) -> float:
    # The largest, plus log1p of the rest shifted by it: log(1 + tiny) would round to 0.
    *rest, top = sorted(xs)
    return top + math.log1p(_sum(math.exp(x - top) for x in rest))


def _half(xs: Sequence[float]) -> int:
    return len(xs) // 2


def _sum(xs: Iterable[float]) -> float:
    """An exact sum, or where fsum overflows on the way (1e308 + 1e308 - 1e308) the plain one."""
    xs = list(xs)
    try:
        return math.fsum(xs)
    except (OverflowError, ValueError):
        return float(sum(xs))


def _pow(a: float, b: float) -> float:
    """a ** b, infinite where it overflows (or 0 is raised to a negative power)."""
    try:
        return float(a**b)
    except (OverflowError, ZeroDivisionError):
        return math.inf if a > 0 or float(b) % 2 == 0 else -math.inf


def _exp(x: float) -> float:
    return math.exp(x) if x < 709.8 else math.inf


def _softmax(xs: Sequence[float]) -> list[float]:
    # Shifted by the largest, normalised by the sum: exp(x - lse(xs)) loses log n once
    # lse(xs) is so large that adding it rounds away (two inputs at 1e16).
    top = max(xs)
    es = [math.exp(x - top) for x in xs]
    total = math.fsum(es)
    return [e / total for e in es]


REFERENCE: dict[str, Reference] = {
    "add": Reference(lambda v, c: v[0] + v[1], lambda v, c: [1.0, 1.0]),
    "sub": Reference(lambda v, c: v[0] - v[1], lambda v, c: [1.0, -1.0]),
    "mul": Reference(lambda v, c: v[0] * v[1], lambda v, c: [v[1], v[0]]),
    "div": Reference(  # -(a / b) / b, not -a * b ** -2: b ** -2 underflows at b = 1e162
        lambda v, c: v[0] / v[1], lambda v, c: [1 / v[1], -(v[0] / v[1]) / v[1]]
    ),
    "pow": Reference(
        lambda v, c: _pow(v[0], v[1]),
        lambda v, c: [v[1] * _pow(v[0], v[1] - 1), _pow(v[0], v[1]) * math.log(v[0])],
    ),
    "add_const": Reference(lambda v, c: v[0] + c, lambda v, c: [1.0]),
    "sub_const": Reference(lambda v, c: v[0] - c, lambda v, c: [1.0]),
    "rsub_const": Reference(lambda v, c: c - v[0], lambda v, c: [-1.0]),
    "mul_const": Reference(lambda v, c: v[0] * c, lambda v, c: [c]),
    "div_const": Reference(lambda v, c: v[0] / c, lambda v, c: [1 / c]),
    "rdiv_const": Reference(lambda v, c: c / v[0], lambda v, c: [-(c / v[0]) / v[0]]),
    "pow_const": Reference(
        lambda v, c: _pow(v[0], c), lambda v, c: [0.0 if c == 0 else c * _pow(v[0], c - 1)]
    ),
    "rpow_const": Reference(
        lambda v, c: _pow(c, v[0]), lambda v, c: [_pow(c, v[0]) * math.log(c)]
    ),
    "neg": Reference(lambda v, c: -v[0], lambda v, c: [-1.0]),
    "abs": Reference(lambda v, c: abs(v[0]), lambda v, c: [math.copysign(1.0, v[0])]),
    "exp": Reference(lambda v, c: _exp(v[0]), lambda v, c: [_exp(v[0])]),
    "log": Reference(lambda v, c: math.log(v[0]), lambda v, c: [1 / v[0]]),
    "sqrt": Reference(lambda v, c: math.sqrt(v[0]), lambda v, c: [0.5 / math.sqrt(v[0])]),
    "tanh": Reference(lambda v, c: math.tanh(v[0]), lambda v, c: [_sech2(v[0])]),
    "sigmoid": Reference(
        lambda v, c: _sigmoid(v[0]), lambda v, c: [_sigmoid(v[0]) * _sigmoid(-v[0])]
    ),
    "relu": Reference(lambda v, c: max(v[0], 0.0), lambda v, c: [float(v[0] > 0)]),
    "leaky_relu": Reference(
        lambda v, c: v[0] if v[0] > 0 else c * v[0], lambda v, c: [1.0 if v[0] > 0 else c]
    ),
    "softplus": Reference(lambda v, c: _softplus(v[0]), lambda v, c: [_sigmoid(v[0])]),
    "sin": Reference(lambda v, c: math.sin(v[0]), lambda v, c: [math.cos(v[0])]),
    "cos": Reference(lambda v, c: math.cos(v[0]), lambda v, c: [-math.sin(v[0])]),
    "sum": Reference(lambda v, c: _sum(v), lambda v, c: [1.0] * len(v)),
    "mean": Reference(lambda v, c: _sum(v) / len(v), lambda v, c: [1 / len(v)] * len(v)),
    "dot": Reference(
        lambda v, c: _sum(w * x for w, x in zip(v[: _half(v)], v[_half(v) :])),
        lambda v, c: [*v[_half(v) :], *v[: _half(v)]],
    ),
    "logsumexp": Reference(
        lambda v, c: _lse(v), lambda v, c: _softmax(v)
    ),
}


def reference_for(op: Op) -> Reference:
    """The reference of ``op``; LookupError (telling what to add) if it has none."""
    try:
        return REFERENCE[op.name]
    except KeyError:
        raise LookupError(
            f"op {op.name!r} ({op.doc}) has no reference formulas: add its value and partial "
            f"derivatives to REFERENCE in tests/reference_ops.py"
        ) from None


@dataclass(frozen=True)
class RefStep:
    """One op node of a reference graph; leaves have ``op is None``."""

    op: Op | None
    args: tuple[int, ...] = ()
    constant: Any = None


def evaluate(steps: Sequence[RefStep], leaves: dict[int, float]) -> list[float]:
    """Every slot's value, from the leaves' values, with the reference formulas."""
    values: list[float] = []
    for k, step in enumerate(steps):
        if step.op is None:
            values.append(leaves[k])
        else:
            ref = reference_for(step.op)
            values.append(ref.value([values[a] for a in step.args], step.constant))
    return values


def local_partials(steps: Sequence[RefStep], values: Sequence[float]) -> list[list[float]]:
    """Each slot's partial derivatives by its parents (empty for leaves), at ``values``."""
    out: list[list[float]] = []
    for step in steps:
        if step.op is None:
            out.append([])
        else:
            parents = [values[a] for a in step.args]
            out.append(reference_for(step.op).partials(parents, step.constant))
    return out


def adjoints(
    steps: Sequence[RefStep],
    partials: Sequence[Sequence[float]],
    root: int,
    weight: Callable[[float], float] = lambda d: d,
) -> list[float]:
    """d(root)/d(slot) for every slot (0 for slots root does not depend on).

    Pull style: a slot's adjoint is the sum over the nodes that read it (on the
    way to ``root``) of their adjoint times the partial, memoised. ``weight``
    maps each partial first (``abs`` gives the absolute path sums used as error
    scales).
    """
    consumers: dict[int, list[tuple[int, int]]] = {}
    for k, step in enumerate(steps[: root + 1]):
        for j, a in enumerate(step.args):
            consumers.setdefault(a, []).append((k, j))
    memo: dict[int, float] = {root: 1.0}

    def adjoint(slot: int) -> float:
        if slot not in memo:
            memo[slot] = _sum(
                adjoint(k) * weight(partials[k][j]) for k, j in consumers.get(slot, [])
            )
        return memo[slot]

    # Fill from the root backwards, so the recursion stays shallow.
    for slot in range(root, -1, -1):
        adjoint(slot)
    return [memo.get(slot, 0.0) for slot in range(len(steps))]


def steps_of(expr: Expression) -> list[RefStep]:
    """An expression's inputs and steps as a reference graph (inputs first)."""
    return [RefStep(None)] * expr.n_inputs + [
        RefStep(s.op, s.args, s.constant) for s in expr.steps
    ]


@dataclass(frozen=True)
class ErrorScales:
    """How large rounding errors in an expression's value and gradients can get.

    A rounding error at a node reaches the output multiplied by the sum over
    paths of the products of |partial derivatives| (an absolute adjoint), so
    ``value`` is ``|output| + sum over nodes of |absolute adjoint| * |value|``.
    A local derivative may itself be off by a few units in the last place of 1
    (``1 - tanh(x)**2``), so ``grads[i]`` is the sum over paths to input ``i``
    of the products of ``|partial| + 1``. Multiply by the precision wanted.
    """

    value: float
    grads: list[float]
    slots: list[float]  # the same for the gradient of every slot (inputs, then steps)


def gradients_of(expr: Expression) -> list[float]:
    """d(output)/d(input) for each input of ``expr`` at its point, by the reference formulas."""
    steps = steps_of(expr)
    values = evaluate(steps, dict(enumerate(expr.point)))
    return adjoints(steps, local_partials(steps, values), expr.output_slot)[: expr.n_inputs]


def error_scales(expr: Expression) -> ErrorScales:
    steps = steps_of(expr)
    values = evaluate(steps, dict(enumerate(expr.point)))
    partials = local_partials(steps, values)
    root = expr.output_slot
    absolute = adjoints(steps, partials, root, abs)
    value = abs(values[root]) + _sum(a * abs(v) for a, v in zip(absolute, values))
    padded = adjoints(steps, partials, root, lambda d: abs(d) + 1.0)
    return ErrorScales(value, padded[: expr.n_inputs], padded)

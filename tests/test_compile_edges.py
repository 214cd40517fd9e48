"""Compiled ops at the points that matter: kinks, poles, domain ends, huge and tiny values.

For every op of the table and every input, the points are read from its declared
Domain (its ends, poles and kinks, exactly and one float either side), plus 0, -0,
+-1e-300, +-40, +-710, +-1e300, +-inf and NaN. Where the eager engine computes, the
program computes the same value and the same derivative (PyTorch's conventions at a
kink, the stable forms of sigmoid, softplus, tanh's slope, logsumexp; NaN where the
engine gives NaN); where it raises, the program raises the same type.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import autograd
from autograd import Op, Value
from autograd.ops import OPS
from autograd.testing import apply_op

EXTREMES = [0.0, -0.0, 1e-300, -1e-300, 0.5, -2.5, 40.0, -40.0, 710.0, -710.0, 1e300, -1e300,
            math.inf, -math.inf, math.nan]
CONSTANTS = [0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 0.01]


def points(op: Op, slot: int) -> list[float]:
    d = op.domain_of(slot)
    out = set(EXTREMES)
    for e in d.edges:
        out.update({e, math.nextafter(e, math.inf), math.nextafter(e, -math.inf)})
    return sorted(out, key=lambda v: (math.isnan(v), v))


def cases(op: Op) -> list[tuple[tuple[float, ...], float | None]]:
    """(inputs, constant) pairs: every point for one input, pairs for two, a few for n."""
    constants = [c for c in CONSTANTS if op.param is None or c in op.param] \
        if op.kind.constant else [None]
    if op.kind.arity == 1:
        return [((x,), c) for x in points(op, 0) for c in constants]
    if op.kind.arity == 2:
        return [((a, b), None) for a, b in itertools.product(points(op, 0), points(op, 1))]
    n = 2 * op.groups
    pts = points(op, 0)
    return [(tuple(pts[(i + j) % len(pts)] for j in range(n)), None) for i in range(len(pts))] + \
        [((x,) * n, None) for x in pts]


def eager(op: Op, xs: tuple[float, ...], c: float | None) -> tuple[float, list[float]] | Exception:
    leaves = [Value(x) for x in xs]
    try:
        out = apply_op(op, leaves, c)
        out.backward()
    except (ValueError, ArithmeticError) as exc:
        return exc
    return out.data, [v.grad for v in leaves]


def same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b) or a == b:
        return a == b
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b))


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_compiled_ops_match_eager_at_their_edges(op: Op) -> None:
    by_constant: dict[object, list[tuple[tuple[float, ...], object]]] = {}
    for xs, c in cases(op):
        by_constant.setdefault((c, len(xs)), []).append((xs, eager(op, xs, c)))
    for (c, n), rows in by_constant.items():
        program = autograd.compile(lambda *v, c=c: apply_op(op, list(v), c),
                                   tuple(1.0 for _ in range(n)))
        good = [(xs, r) for xs, r in rows if not isinstance(r, Exception)]
        if good:
            run = program.forward(*[np.array(col) for col in zip(*[xs for xs, _ in good])])
            grads = run.backward()
            grads = grads if isinstance(grads, tuple) else (grads,)
            for b, (xs, (value, eager_grads)) in enumerate(good):
                where = f"{op.name}{xs} c={c}"
                assert same(float(run.outputs[b]), value), (where, run.outputs[b], value)
                for i, g in enumerate(eager_grads):
                    assert same(float(grads[i][b]), g), (where, i, grads[i][b], g)
        for xs, r in rows:
            if isinstance(r, Exception):
                with pytest.raises(type(r)):
                    program(*[np.array([x]) for x in xs])

"""Where the engine is known to be wrong, found by the suites' reach into the whole range.

Each is pinned by a strict expected failure in test_properties_ops.py, which fails once
the engine's declaration is fixed: then drop it here too. The suites reject the graphs
that meet one (an event in Hypothesis's statistics), so that everything else is checked.
"""

from __future__ import annotations

from autograd.testing import Expression
from autograd.testing.graphs import forward


def known_engine_issue(expr: Expression, order: int = 2) -> str:
    """Why the engine is known to be wrong at this graph ('' if it is not), for the
    derivatives up to ``order``.

    * logsumexp's derivative, exp(x - out), loses the log of the count once ``out`` is so
      large that adding it rounds away (two inputs near 1e16 get 1 each instead of 1/2;
      5% off at 1e15, 1e-5 at 1e11): exp(x - m) / sum(exp(x_i - m)) keeps it.
    * a ** b, x ** c and c / x have second derivatives inf or NaN where x**(b - 2)
      overflows (|x| < 1.5e-154) although the second derivative is finite (or 0, as for
      b = 0 or c = 0, where 0 * inf is NaN): the differentiable derivatives take that
      power before multiplying by b or c.
    """
    slots = list(expr.point)
    for step in expr.steps:
        xs = [slots[a] for a in step.args]
        if step.op.name == "logsumexp" and len(xs) > 1:
            top = max(xs)
            if abs(top) > 2.0**36 and sum(top - x < 40 for x in xs) > 1:
                return "logsumexp of near-ties beyond 2**36"
        powers = ("pow", "pow_const", "rdiv_const")
        if order == 2 and step.op.name in powers and abs(xs[0]) < 1.5e-154:
            return f"the second derivative of {step.op.name} where x**(b - 2) overflows"
        slots.append(forward(step.op, xs, step.constant))
    return ""

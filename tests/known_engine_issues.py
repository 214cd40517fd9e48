"""Where the engine is known to be wrong, found by the suites' reach into the whole range
(and, beside it, where numerical derivatives cannot judge it).

Each is pinned by a strict expected failure in test_properties_ops.py, which fails once
the engine's declaration is fixed: then drop it here too. The suites reject the graphs
that meet one (an event in Hypothesis's statistics), so that everything else is checked.
"""

from __future__ import annotations

import math

from autograd import Op
from autograd.testing import Expression
from autograd.testing.graphs import forward


def _power_overflows(name: str, xs: list[float], c: float | None) -> bool:
    """Whether x ** (b - 2) overflows for a node of a power of x (b = -1 for c / x)."""
    exponent = {"pow": xs[-1], "pow_const": c, "rdiv_const": -1.0}.get(name)
    x = abs(xs[0])
    if exponent is None or exponent >= 2 or x == 0:
        return False
    return (exponent - 2) * math.log(x) > 709.0


def _next_to_a_pole(op: Op, xs: list[float], c: float | None) -> bool:
    """Whether an input lies within 1.5e-154 of a pole or finite end of its domain, where
    1 / x**2 overflows: second derivatives there are infinite, and two that cancel
    (exp(log(x)), whose second derivative is 0) give inf - inf."""
    for j, x in enumerate(xs):
        d = op.domain_of(j, c)
        ends = [e for e in d.edges if e not in d.kinks]
        if any(abs(x - e) < 1.5e-154 for e in ends):
            return True
    return False


def known_engine_issue(expr: Expression, order: int = 2, numerical: bool = True) -> str:
    """Why the engine is known to be wrong at this graph ('' if it is not), for the
    derivatives up to ``order``; with ``numerical``, also where a numerical derivative
    cannot judge it.

    * logsumexp of near-ties beyond 2**36 is not the engine's issue (its derivative is a
      shifted softmax, exact there, and test_logsumexp_gradient_at_large_ties holds it)
      but a numerical derivative's: logsumexp turns from one input to the other within
      about 1, a step relative to 1e12 spans the turn, and a step of 1 is below what a
      value of 1e12 can show. Such graphs are left out of the numerical checks.
    * a ** b, x ** c and c / x have second derivatives inf or NaN where x**(b - 2)
      overflows (|x| < 1.5e-154) although the second derivative is finite (or 0, as for
      b = 0 or c = 0, where 0 * inf is NaN): the differentiable derivatives take that
      power before multiplying by b or c. Within 1.5e-154 of any pole or domain end,
      second derivatives overflow in any autodiff (log's is -1 / x**2), and two that
      cancel give inf - inf (exp(log(x))): those are not checked either.
    """
    slots = list(expr.point)
    for step in expr.steps:
        xs = [slots[a] for a in step.args]
        if numerical and step.op.name == "logsumexp" and len(xs) > 1:
            top = max(xs)
            near = max(40.0, 1e-3 * abs(top))
            if abs(top) > 2.0**36 and sum(top - x < near for x in xs) > 1:
                return "logsumexp of near-ties beyond 2**36"
        if order == 2 and (_power_overflows(step.op.name, xs, step.constant)
                           or _next_to_a_pole(step.op, xs, step.constant)):
            return f"the second derivative of {step.op.name} where x**(b - 2) overflows"
        y = forward(step.op, xs, step.constant)
        if order == 2 and max(abs(v) for v in (*xs, y)) > 1e300:
            # Not the engine's fault: any autodiff overflows in the products of a second
            # derivative this close to the largest float (2 a / b**3 as (2 a) / b**3).
            return "second derivatives within a factor of 1e8 of overflow"
        slots.append(y)
    return ""

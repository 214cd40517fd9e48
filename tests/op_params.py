"""Which ops a test repeated per op runs for in the default run, and in the deeper stage.

A negative control that breaks each op in turn is the slow part of the suite: the default
run breaks a representative subset (a product, a quotient, a power, a squashing function,
a kink, a smooth kink, an n-ary sum and logsumexp); the deeper stage (``pytest -m deep``)
breaks every op of the table.
"""

from __future__ import annotations

from typing import Any

import pytest

from autograd.ops import OPS

SOME = ["mul", "div", "pow_const", "tanh", "relu", "softplus", "sum", "logsumexp"]


def each_op(some: list[str] = SOME, exclude: tuple[str, ...] = ()) -> list[Any]:
    """Every op of the table as a parameter, those not in ``some`` marked deep."""
    return [pytest.param(op, id=op.name, marks=() if op.name in some else pytest.mark.deep)
            for op in OPS if op.name not in exclude]

"""Functions built from ops rather than declared as ops: softmax and log_softmax.

Each returns a list (one Value per input), which a single node cannot be. Both go
through one ``logsumexp`` node, so n outputs cost n + 1 nodes, not n squared edges.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .engine import Value
from .ops import logsumexp


def log_softmax(values: Iterable[Any]) -> list[Value]:
    """[x_i - logsumexp(x)]: stable log-probabilities (plain numbers become constant leaves).

    >>> from autograd import Value, log_softmax
    >>> [round(v.data, 4) for v in log_softmax([Value(0.0), 0.0])]
    [-0.6931, -0.6931]
    """
    parents = [v if isinstance(v, Value) else Value(v) for v in values]
    if not parents:
        raise ValueError("log_softmax() of an empty sequence: pass at least one value")
    lse = logsumexp(parents)
    return [x - lse for x in parents]


def softmax(values: Iterable[Any]) -> list[Value]:
    """[e**x_i / sum_j e**x_j], computed as exp(log_softmax(x)) so it never overflows."""
    return [z.exp() for z in log_softmax(values)]

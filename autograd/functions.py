"""Functions over sequences of Values. Each reduction is one node with many parents.

Plain numbers in the input are accepted and become constant leaves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .engine import APPLY, Value, as_values

_SUM, _MEAN, _DOT, _LOGSUMEXP = APPLY["sum"], APPLY["mean"], APPLY["dot"], APPLY["logsumexp"]


def sum(values: Iterable[Any]) -> Value:  # noqa: A001 - mirrors the builtin on purpose
    """x1 + x2 + ... + xn as one node (0.0 for an empty input).

    >>> from autograd import Value, sum
    >>> xs = [Value(1.0), Value(2.0), 3.0]
    >>> s = sum(xs); s.backward(); s.data, xs[0].grad
    (6.0, 1.0)
    """
    parents = as_values(values, "sum")
    return _SUM(parents) if parents else Value(0.0)


def mean(values: Iterable[Any]) -> Value:
    """(x1 + ... + xn) / n as one node; ValueError for an empty input."""
    parents = as_values(values, "mean")
    if not parents:
        raise ValueError("mean() of an empty sequence: pass at least one value")
    return _MEAN(parents)


def dot(weights: Sequence[Any], inputs: Sequence[Any]) -> Value:
    """w1*x1 + ... + wn*xn as one node whose parents are (w1..wn, x1..xn).

    ValueError when the lengths differ.
    """
    n = len(weights)
    if n != len(inputs):
        raise ValueError(
            f"dot() needs as many weights as inputs: got {n} weights and {len(inputs)} inputs"
        )
    # One pass over both lists: the pre-activation of every neuron comes through here.
    parents = as_values([*weights, *inputs], "dot")
    return _DOT(parents) if n else Value(0.0)


def logsumexp(values: Iterable[Any]) -> Value:
    """log(e**x1 + ... + e**xn) as one node, computed stably (no overflow for large x)."""
    parents = as_values(values, "logsumexp")
    if not parents:
        raise ValueError("logsumexp() of an empty sequence: pass at least one value")
    return _LOGSUMEXP(parents)


def log_softmax(values: Iterable[Any]) -> list[Value]:
    """[x_i - logsumexp(x)]: stable log-probabilities."""
    parents = as_values(values, "log_softmax")
    lse = logsumexp(parents)
    return [x - lse for x in parents]


def softmax(values: Iterable[Any]) -> list[Value]:
    """[e**x_i / sum_j e**x_j], computed as exp(log_softmax(x)) so it never overflows."""
    return [z.exp() for z in log_softmax(values)]

"""Metrics: ``accuracy``, and the metrics ``fit`` and ``evaluate`` compute by name.

A metric is ``metric(outputs, targets) -> float`` on outputs as plain floats
(a list of floats per sample for several outputs).

>>> accuracy([0.9, 0.2], [1, 0])
1.0
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

from autograd import Value

from . import losses as _losses
from ._checks import preview, real
from .data import check_dataset

Metric = Callable[[list[Any], Sequence[Any]], float]

# How a classification loss turns a one-output score into a label: the threshold
# the score is compared with (cross-entropy takes the arg max instead).
_THRESHOLDS: dict[Callable[..., Any], float | None] = {
    _losses.binary_cross_entropy: 0.5,
    _losses.binary_cross_entropy_with_logits: 0.0,
    _losses.hinge_loss: 0.0,
    _losses.cross_entropy: None,
}


def as_float(output: Any) -> Any:
    """A model's output as a float, or a list of floats for several outputs."""
    if isinstance(output, Value):
        return output.data
    if isinstance(output, (list, tuple)):
        return [as_float(o) for o in output]
    return float(output)


def accuracy(
    outputs: Sequence[Any], targets: Sequence[Any], threshold: float | None = None
) -> float:
    """The fraction of samples whose predicted class equals the target.

    * Several outputs per sample: the predicted class is the arg max.
    * One output per sample with -1/+1 targets: class +1 when the output is
      above ``threshold`` (default 0, the sign of a margin score).
    * One output per sample with 0/1 targets: class 1 when the output is above
      ``threshold`` (default 0.5, for probabilities; pass 0.0 for logits).

    >>> accuracy([0.9, 0.2, 0.6, 0.4], [1, 0, 0, 0])      # probabilities, 0/1 labels
    0.75
    >>> accuracy([2.5, -0.3], [1, -1])                    # margin scores, -1/+1 labels
    1.0
    >>> accuracy([[0.1, 2.0], [3.0, 1.0]], [1, 0])
    1.0
    """
    check_dataset(outputs, targets, "accuracy")
    values = [as_float(o) for o in outputs]
    correct = 0
    if isinstance(values[0], list):
        classes = len(values[0])
        for i, (row, t) in enumerate(zip(values, targets)):
            if not isinstance(row, list) or not row:
                raise ValueError(
                    f"accuracy: outputs[{i}] = {preview(row)}; expected a list of scores"
                )
            if len(row) != classes:
                raise ValueError(f"accuracy: outputs[{i}] has {len(row)} scores but outputs[0] has "
                                 f"{classes}; every sample needs a score for each class")
            if not isinstance(t, numbers.Integral) or isinstance(t, bool):
                if not (isinstance(t, float) and t.is_integer()):
                    raise ValueError(f"accuracy: targets[{i}] = {preview(t)}, not a class index")
            if not 0 <= t < classes:
                # Such a target can never match the arg max: it would count as a
                # silent miss, where it is a label that does not fit the model.
                raise ValueError(f"accuracy: targets[{i}] = {int(t)}, a class outside "
                                 f"0..{classes - 1} for {classes} scores per sample")
            predicted = max(range(len(row)), key=row.__getitem__)
            correct += predicted == int(t)
        return correct / len(values)
    labels = set()
    for i, t in enumerate(targets):
        if t not in (-1, 0, 1) or isinstance(t, bool):
            raise ValueError(
                f"accuracy: targets[{i}] = {preview(t)}; one-output classification needs 0/1 "
                f"or -1/+1 labels (for regression, accuracy does not apply)"
            )
        labels.add(t)
    negative = -1 if -1 in labels else 0
    if negative == -1 and 0 in labels:
        raise ValueError("accuracy: targets mix -1, 0 and 1; use 0/1 or -1/+1 labels")
    thr = (0.0 if negative == -1 else 0.5) if threshold is None else real(threshold, "threshold")
    for i, (out, t) in enumerate(zip(values, targets)):
        if isinstance(out, list):
            raise ValueError(f"accuracy: outputs[{i}] is a list of scores but outputs[0] is one "
                             f"number; every sample needs the same number of outputs")
        predicted = 1 if out > thr else negative
        correct += predicted == t
    return correct / len(values)


def metric_functions(
    loss_fn: Callable[..., Any], metrics: Sequence[str | Metric] | None
) -> dict[str, Metric]:
    """Name -> metric(outputs as floats, targets) for the metrics asked for (or the default)."""
    classification = loss_fn in _THRESHOLDS
    if metrics is None:
        metrics = ["accuracy"] if classification else []
    if isinstance(metrics, str):
        metrics = [metrics]
    out: dict[str, Metric] = {}
    threshold = _THRESHOLDS.get(loss_fn)
    for m in metrics:
        if m == "accuracy":
            out["accuracy"] = lambda o, t: accuracy(o, t, threshold)
        elif callable(m):
            out[getattr(m, "__name__", "metric")] = m
        else:
            raise ValueError(
                f"unknown metric {preview(m)}: use 'accuracy' or a callable(outputs, targets)"
            )
    return out

"""Loss functions and weight penalties, each stable for any input.

A loss takes the model's outputs and the targets and returns a Value:

* ``predictions`` is one output (a Value or number) or a list of outputs, one per
  sample; for multi-output models each output is itself a list of Values;
* ``targets`` has the same shape, with plain numbers;
* ``reduction`` is ``'mean'`` (the default: the gradient of a batch is the mean
  of the per-sample gradients), ``'sum'``, or ``'none'`` (a list of per-element
  losses).

``cross_entropy`` is the exception: one list of class scores (logits) per
sample and one class index per sample.

>>> from autograd import Value
>>> round(mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0]).data, 6)      # (1 + 4) / 2
2.5
>>> round(hinge_loss([Value(0.5)], [1]).data, 6)                        # max(0, 1 - 0.5)
0.5
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import autograd
from autograd import Value

from ._checks import choice, is_real, non_negative, preview, real, typed
from .module import Module, parameter_list

Loss = Callable[..., Any]

#: Probabilities are clamped into [EPSILON, 1 - EPSILON] by
#: :func:`binary_cross_entropy`, so log() stays finite: the largest loss per
#: element is -log(1e-7) ~ 16.1. Outside that range the gradient is 0, as for
#: ``torch.clamp``; train from logits to keep a gradient everywhere.
EPSILON = 1e-7

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses: list[Value], reduction: str) -> Any:
    if reduction == "mean":
        return autograd.mean(losses)
    if reduction == "sum":
        return autograd.sum(losses)
    return losses


def _is_sequence(x: Any) -> bool:
    """A list, tuple or array-like of items (not a string, a Value or a number)."""
    return (not isinstance(x, (str, bytes, Value))
            and hasattr(x, "__len__") and hasattr(x, "__getitem__"))


def _pairs(
    predictions: Any, targets: Any, loss: str, name: str = "predictions"
) -> list[tuple[Value, float, str]]:
    """Flatten (prediction, target, position) triples of matching shapes; targets as floats.

    The position names an element in error messages, in indexing notation so it
    never reads as a value: ``[3]`` for sample 3, ``[3][1]`` for output 1 of a
    multi-output sample 3 (``targets[3][1] = nan``). ``name`` is what the loss
    calls its predictions (``scores``, ``logits``, ...).
    """
    if not _is_sequence(predictions):
        predictions, targets = [predictions], [targets]
    elif not _is_sequence(targets):
        raise TypeError(
            f"{loss}: {name} is a sequence of {len(predictions)}, so targets must be a "
            f"sequence too, got {typed(targets)}"
        )
    if len(predictions) != len(targets):
        raise ValueError(
            f"{loss}: {len(predictions)} {name} but {len(targets)} targets; "
            f"pass one target per prediction"
        )
    if not predictions:
        raise ValueError(f"{loss}: no predictions (empty batch)")
    out: list[tuple[Any, Any, str]] = []
    for i, (p, t) in enumerate(zip(predictions, targets)):
        if _is_sequence(p):  # one multi-output sample
            if not _is_sequence(t) or len(t) != len(p):
                raise ValueError(
                    f"{loss}: {name}[{i}] has {len(p)} outputs but targets[{i}] = "
                    f"{preview(t)}; give each sample a target list of the same length"
                )
            out.extend((pj, tj, f"[{i}][{j}]") for j, (pj, tj) in enumerate(zip(p, t)))
        else:
            out.append((p, t, f"[{i}]"))
    triples = []
    for p, t, where in out:
        if not is_real(t):
            raise TypeError(f"{loss}: targets{where} is {typed(t)}; targets must be real "
                            f"numbers")
        try:
            target = float(t)
        except OverflowError:  # an int too large for a float
            target = math.inf
        if not math.isfinite(target):
            # A NaN target makes the loss NaN and an inf one makes it inf: training
            # would stop (or diverge) with nothing pointing at the data.
            raise ValueError(f"{loss}: targets{where} = {preview(t)}; targets must be finite "
                             f"numbers (check the data for missing or overflowed values)")
        if not isinstance(p, Value):
            if not is_real(p):
                raise TypeError(f"{loss}: {name}{where} is {typed(p)}; {name} must be Values "
                                f"or numbers")
            p = Value(p)
        triples.append((p, target, where))
    return triples


def mse_loss(predictions: Any, targets: Any, reduction: str = "mean") -> Any:
    """Mean squared error: mean of (prediction - target)**2 over all elements."""
    choice(reduction, "reduction", _REDUCTIONS)
    losses = []
    for p, t, _ in _pairs(predictions, targets, "mse_loss"):
        d = p - t
        losses.append(d * d)
    return _reduce(losses, reduction)


def l1_loss(predictions: Any, targets: Any, reduction: str = "mean") -> Any:
    """Mean absolute error: mean of |prediction - target| (the derivative at 0 is 0)."""
    choice(reduction, "reduction", _REDUCTIONS)
    pairs = _pairs(predictions, targets, "l1_loss")
    return _reduce([abs(p - t) for p, t, _ in pairs], reduction)


def _check_label(t: float, where: str, loss: str, allowed: str) -> None:
    ok = t in (-1.0, 1.0) if allowed == "pm1" else 0.0 <= t <= 1.0
    if not ok:
        domain = "-1 or +1" if allowed == "pm1" else "in [0, 1]"
        hint = (" (for 0/1 labels use [2 * t - 1 for t in y])" if allowed == "pm1"
                else " (probabilities of the positive class)")
        raise ValueError(f"{loss}: targets{where} = {t!r}; targets must be {domain}{hint}")


def binary_cross_entropy(
    probabilities: Any, targets: Any, reduction: str = "mean", eps: float = EPSILON
) -> Any:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1] (e.g. a sigmoid output).

    ``p`` is clamped into ``[eps, 1 - eps]`` (see :data:`EPSILON`) so the loss
    stays finite at p = 0 or 1. Targets may be soft labels in [0, 1]. Prefer
    :func:`binary_cross_entropy_with_logits` on the raw score: it is exact and
    never saturates.
    """
    choice(reduction, "reduction", _REDUCTIONS)
    eps = real(eps, "binary_cross_entropy(eps)")
    if not 0.0 < eps < 0.5:
        # eps = 0 would take log(0) at p = 0 or 1; eps >= 0.5 leaves no room between
        # eps and 1 - eps.
        raise ValueError(f"binary_cross_entropy(eps) must be in (0, 0.5), got {eps!r}; "
                         f"probabilities are clamped into [eps, 1 - eps] so log() stays finite "
                         f"(the default is {EPSILON})")
    losses = []
    for p, t, i in _pairs(probabilities, targets, "binary_cross_entropy", "probabilities"):
        _check_label(t, i, "binary_cross_entropy", "01")
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"binary_cross_entropy: probabilities{i} = {p.data!r}, not a probability in "
                f"[0, 1]; apply a sigmoid first, or use binary_cross_entropy_with_logits"
            )
        if p.data < eps:
            p = Value(eps)  # clamped: constant, so no gradient flows (as torch.clamp)
        elif p.data > 1.0 - eps:
            p = Value(1.0 - eps)
        if t == 1.0:
            losses.append(-p.log())
        elif t == 0.0:
            losses.append(-(1.0 - p).log())
        else:
            losses.append(-(p.log() * t + (1.0 - p).log() * (1.0 - t)))
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(logits: Any, targets: Any, reduction: str = "mean") -> Any:
    """Binary cross-entropy of sigmoid(x) computed from the logit x, stably.

    Per element ``max(x, 0) - x*t + log(1 + exp(-|x|))``, which is
    ``softplus(x) - x*t``: the engine's softplus computes exactly that form, so
    nothing overflows for large |x| and the gradient ``sigmoid(x) - t`` is exact
    everywhere (also at x = 0). Targets in [0, 1].
    """
    choice(reduction, "reduction", _REDUCTIONS)
    losses = []
    for x, t, i in _pairs(logits, targets, "binary_cross_entropy_with_logits", "logits"):
        _check_label(t, i, "binary_cross_entropy_with_logits", "01")
        if t == 0.0:
            losses.append(x.softplus())
        elif t == 1.0:
            losses.append((-x).softplus())  # softplus(x) - x
        else:
            losses.append(x.softplus() - x * t)
    return _reduce(losses, reduction)


def cross_entropy(logits: Any, targets: Any, reduction: str = "mean") -> Any:
    """Softmax cross-entropy from class scores: logsumexp(scores) - scores[target].

    ``logits`` is one list of C class scores per sample (or a single list for
    one sample), ``targets`` one class index in ``0 .. C-1`` per sample (or a
    single index). The log-softmax is stable for scores of any size.
    """
    choice(reduction, "reduction", _REDUCTIONS)
    if is_real(targets) and not isinstance(targets, bool):
        logits, targets = [logits], [targets]
    if not _is_sequence(logits) or not _is_sequence(targets):
        raise TypeError("cross_entropy needs a list of score lists and a list of class indices")
    if len(logits) != len(targets):
        raise ValueError(
            f"cross_entropy: {len(logits)} samples of scores but {len(targets)} targets"
        )
    if not logits:
        raise ValueError("cross_entropy: no predictions (empty batch)")
    losses = []
    classes = None
    for i, (row, t) in enumerate(zip(logits, targets)):
        if not _is_sequence(row) or len(row) < 2:
            raise ValueError(
                f"cross_entropy: logits[{i}] = {preview(row)}; each sample must have a score "
                f"per class (at least 2); a one-output model needs a binary loss"
            )
        if classes is None:
            classes = len(row)
        elif len(row) != classes:
            # Each row would be a softmax over a different set of classes: a number,
            # but not the loss of one classifier.
            raise ValueError(
                f"cross_entropy: sample {i} has {len(row)} class scores but sample 0 has "
                f"{classes}; every sample needs one score for each of the same classes"
            )
        if not is_real(t) or not math.isfinite(t) or float(t) != int(t):
            raise TypeError(f"cross_entropy: targets[{i}] is {typed(t)}; a target must be a "
                            f"class index (an int)")
        k = int(t)
        if not 0 <= k < len(row):
            raise ValueError(
                f"cross_entropy: targets[{i}] = {k}, a class outside 0..{len(row) - 1} "
                f"for {len(row)} scores"
            )
        scores = list(row)
        target = scores[k] if isinstance(scores[k], Value) else Value(scores[k])
        scores[k] = target
        losses.append(autograd.logsumexp(scores) - target)
    return _reduce(losses, reduction)


def hinge_loss(
    scores: Any, targets: Any, reduction: str = "mean", margin: float = 1.0
) -> Any:
    """max(0, margin - t * score) with targets -1 or +1: micrograd's "max-margin" SVM loss."""
    choice(reduction, "reduction", _REDUCTIONS)
    margin = non_negative(margin, "hinge_loss(margin)")
    losses = []
    for s, t, i in _pairs(scores, targets, "hinge_loss", "scores"):
        _check_label(t, i, "hinge_loss", "pm1")
        losses.append((margin - s * t).relu())
    return _reduce(losses, reduction)


def l2_penalty(params: Module | Iterable[Value], alpha: float = 1.0) -> Value:
    """alpha * sum(p * p): micrograd's regularisation term (as one ``dot`` node).

    Its gradient is ``2 * alpha * p``; compare the optimisers' ``weight_decay``,
    which adds ``weight_decay * p`` to the gradient without a loss term.
    """
    ps = parameter_list(params, "l2_penalty")
    alpha = non_negative(alpha, "l2_penalty(alpha)")
    return autograd.dot(ps, ps) * alpha


def l1_penalty(params: Module | Iterable[Value], alpha: float = 1.0) -> Value:
    """alpha * sum(|p|), which pushes weights to exactly 0 (the derivative of |p| at 0 is 0)."""
    ps = parameter_list(params, "l1_penalty")
    alpha = non_negative(alpha, "l1_penalty(alpha)")
    return autograd.sum([abs(p) for p in ps]) * alpha


#: Loss names accepted by :func:`nn.fit` and :func:`nn.evaluate`.
LOSSES: dict[str, Loss] = {
    "mse": mse_loss,
    "l1": l1_loss,
    "binary_cross_entropy": binary_cross_entropy,
    "bce": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "bce_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge_loss,
}


def get(loss: str | Loss) -> Loss:
    """The loss function for a name in :data:`LOSSES`, or ``loss`` itself if it is callable."""
    if callable(loss):
        return loss
    return LOSSES[choice(loss, "loss", tuple(LOSSES))]

"""The training loop and its helpers: `fit`, `evaluate`, `predict`, `accuracy`.

``fit`` runs the loop every tutorial writes by hand: for each mini-batch, run
the model on every sample, take the loss (the *mean* over the batch, so the
gradient is the batch's mean gradient), zero the gradients, back-propagate and
step the optimiser. It returns a :class:`History` of per-epoch numbers.

>>> from nn import MLP, SGD, fit, predict
>>> from nn.data import make_xor
>>> X, y = make_xor()
>>> model = MLP(2, [4, 1], output_activation='sigmoid', init='he', seed=3)
>>> history = fit(model, X, y, loss='bce', optimizer=SGD(model.parameters(), lr=0.5),
...               epochs=300, verbose=False)
>>> [int(p > 0.5) for p in predict(model, X)]
[0, 1, 1, 0]
"""

from __future__ import annotations

import contextlib
import math
import numbers
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tqdm import tqdm  # type: ignore[import-untyped]

from autograd import Value, no_grad

from . import losses as _losses
from ._checks import Seed, integer, non_negative, preview, real
from .data import DataLoader, check_dataset
from .module import Module
from .optim import Adam, LRScheduler, Optimizer

Metric = Callable[[list[Any], Sequence[Any]], float]

# How a classification loss turns a one-output score into a label: the threshold
# the score is compared with (cross-entropy takes the arg max instead).
_THRESHOLDS: dict[Callable[..., Any], float | None] = {
    _losses.binary_cross_entropy: 0.5,
    _losses.binary_cross_entropy_with_logits: 0.0,
    _losses.hinge_loss: 0.0,
    _losses.cross_entropy: None,
}


class History(dict[str, list[float]]):
    """Per-epoch numbers from :func:`fit`: ``history['loss'][k]`` is epoch k's mean loss.

    Keys, each a list with one number per epoch, averaged over the epoch's
    samples as the batches were seen:

    * ``'loss'``: the objective that is minimised, the data loss plus the
      ``l1``/``l2`` penalty (micrograd's ``total_loss``);
    * ``'data_loss'``: the loss function's part alone (equal to ``'loss'``
      without a penalty), which is what ``'val_loss'`` and :func:`evaluate`
      measure, so compare those two;
    * ``'lr'``: the learning rate used;
    * each metric (``'accuracy'`` for classification losses) and, with
      ``validation_data``, ``'val_loss'`` and ``'val_<metric>'``.

    ``stopped`` says why training ended early, if it did.
    """

    stopped: str | None = None

    @property
    def epochs(self) -> int:
        """How many epochs ran."""
        return len(self.get("loss", []))

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.items() if v)
        return f"History({self.epochs} epochs; last: {last})"


def _as_float(output: Any) -> Any:
    if isinstance(output, Value):
        return output.data
    if isinstance(output, (list, tuple)):
        return [_as_float(o) for o in output]
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
    values = [_as_float(o) for o in outputs]
    correct = 0
    if isinstance(values[0], list):
        classes = len(values[0])
        for i, (row, t) in enumerate(zip(values, targets)):
            if not isinstance(row, list) or not row:
                raise ValueError(
                    f"accuracy: output {i} is {preview(row)}; expected a list of scores"
                )
            if len(row) != classes:
                raise ValueError(f"accuracy: output {i} has {len(row)} scores but output 0 has "
                                 f"{classes}; every sample needs a score for each class")
            if not isinstance(t, numbers.Integral) or isinstance(t, bool):
                if not (isinstance(t, float) and t.is_integer()):
                    raise ValueError(f"accuracy: target {i} is {t!r}, not a class index")
            if not 0 <= t < classes:
                # Such a target can never match the arg max: it would count as a
                # silent miss, where it is a label that does not fit the model.
                raise ValueError(f"accuracy: target {i} is class {int(t)}, outside "
                                 f"0..{classes - 1} for {classes} scores per sample")
            predicted = max(range(len(row)), key=row.__getitem__)
            correct += predicted == int(t)
        return correct / len(values)
    labels = set()
    for i, t in enumerate(targets):
        if t not in (-1, 0, 1) or isinstance(t, bool):
            raise ValueError(
                f"accuracy: target {i} is {t!r}; one-output classification needs 0/1 or -1/+1 "
                f"labels (for regression, accuracy does not apply)"
            )
        labels.add(t)
    negative = -1 if -1 in labels else 0
    if negative == -1 and 0 in labels:
        raise ValueError("accuracy: targets mix -1, 0 and 1; use 0/1 or -1/+1 labels")
    thr = (0.0 if negative == -1 else 0.5) if threshold is None else real(threshold, "threshold")
    for i, (out, t) in enumerate(zip(values, targets)):
        if isinstance(out, list):
            raise ValueError(f"accuracy: output {i} is a list of scores but output 0 is one "
                             f"number; every sample needs the same number of outputs")
        predicted = 1 if out > thr else negative
        correct += predicted == t
    return correct / len(values)


def _metrics(
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
                f"unknown metric {m!r}: use 'accuracy' or a callable(outputs, targets)"
            )
    return out


@contextlib.contextmanager
def _mode(model: Any, training: bool) -> Iterator[None]:
    """Run a block with every submodule in train or eval mode, then restore each one's mode."""
    modules = list(model.modules()) if isinstance(model, Module) else []
    saved = [m.training for m in modules]
    for m in modules:
        m.training = training
    try:
        yield
    finally:
        for m, mode in zip(modules, saved):
            m.training = mode


def predict(model: Callable[[Any], Any], X: Sequence[Any]) -> list[Any]:
    """The model's outputs as floats (a list of floats per sample for several outputs).

    Runs in evaluation mode (dropout off) without recording a graph.
    """
    if isinstance(X, (str, bytes)) or not hasattr(X, "__len__"):
        raise TypeError(f"predict needs a sequence of samples, got {type(X).__name__}")
    with no_grad(), _mode(model, False):
        return [_as_float(model(x)) for x in X]


def evaluate(
    model: Callable[[Any], Any],
    X: Sequence[Any],
    y: Sequence[Any],
    loss: str | Callable[..., Any] = "mse",
    metrics: Sequence[str | Metric] | None = None,
) -> dict[str, float]:
    """``{'loss': mean loss, metric: value, ...}`` on a data set, in evaluation mode, no graph."""
    check_dataset(X, y, "evaluate")
    loss_fn = _losses.get(loss)
    with no_grad(), _mode(model, False):
        outputs = [model(x) for x in X]
        result = {"loss": _loss_value(loss_fn(outputs, list(y)))}
    floats = [_as_float(o) for o in outputs]
    for name, metric in _metrics(loss_fn, metrics).items():
        result[name] = float(metric(floats, y))
    return result


def _loss_value(loss: Any) -> float:
    if not isinstance(loss, Value):
        raise TypeError(f"the loss function must return a Value, got {type(loss).__name__} "
                        f"{preview(loss)} (use reduction='mean')")
    return loss.data


def fit(
    model: Module,
    X: Sequence[Any],
    y: Sequence[Any],
    *,
    loss: str | Callable[..., Any] = "mse",
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: Seed = None,
    l1: float = 0.0,
    l2: float = 0.0,
    scheduler: LRScheduler | None = None,
    metrics: Sequence[str | Metric] | None = None,
    validation_data: tuple[Sequence[Any], Sequence[Any]] | None = None,
    verbose: bool = True,
    on_epoch_end: Callable[[int, dict[str, float]], Any] | None = None,
) -> History:
    """Train ``model`` on ``(X, y)`` and return the per-epoch :class:`History`.

    * ``loss``: a name from ``nn.losses.LOSSES`` (``'mse'``, ``'l1'``,
      ``'bce'``, ``'bce_with_logits'``, ``'cross_entropy'``, ``'hinge'``) or a
      callable ``loss(outputs, targets) -> Value`` returning the batch *mean*.
    * ``optimizer``: default ``Adam(model.parameters(), lr=0.01)``.
    * ``batch_size``: ``None`` for full-batch gradient descent; batches are
      reshuffled every epoch from ``seed`` when ``shuffle`` is on.
    * ``l1`` / ``l2``: add ``l1 * sum|p|`` and ``l2 * sum p**2`` over the
      model's parameters to each batch loss (micrograd's regularisation);
      ``history['loss']`` includes them, ``history['data_loss']`` does not.
    * ``scheduler``: stepped once at the end of every epoch.
    * ``metrics``: default ``['accuracy']`` for classification losses.
    * ``on_epoch_end(epoch, logs)``: called after every epoch; return True to stop.

    Before the first step the model, the loss and the metrics run once over
    all of ``X`` (and ``validation_data``) without a graph, so a bad sample or
    label anywhere raises before any weight has changed. A progress bar shows
    the loss and accuracy when ``verbose`` and the output is a terminal. If the
    loss becomes NaN or infinite, training stops with a RuntimeWarning and
    ``history.stopped`` says when.
    """
    if not callable(model):
        raise TypeError(f"fit needs a model (a callable Module), got {type(model).__name__}")
    check_dataset(X, y, "fit")
    loss_fn = _losses.get(loss)
    epochs = integer(epochs, "fit(epochs)")
    if batch_size is not None:
        batch_size = integer(batch_size, "fit(batch_size)")
    l1, l2 = non_negative(l1, "fit(l1)"), non_negative(l2, "fit(l2)")
    if not isinstance(verbose, bool):
        raise TypeError(f"fit(verbose) needs True or False, got {verbose!r}")
    # Any model with parameters() works, also a micrograd-style class that is not a Module.
    params = list(model.parameters()) if hasattr(model, "parameters") else []
    if optimizer is None:
        optimizer = Adam(params, lr=0.01)
    elif not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit(optimizer) needs an nn Optimizer, got {type(optimizer).__name__}")
    if params and set(params).isdisjoint(optimizer.params):
        raise ValueError("fit(optimizer) updates none of the model's parameters, so training "
                         "would change nothing; make it from this model: "
                         "nn.SGD(model.parameters(), lr=...)")
    if scheduler is not None:
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(f"fit(scheduler) needs an nn LRScheduler, got "
                            f"{type(scheduler).__name__}")
        if scheduler.optimizer is not optimizer:
            raise ValueError("fit(scheduler) schedules another optimizer than the one fit "
                             "steps; make it from the same one: nn.StepLR(optimizer, ...)")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("fit(validation_data) needs a pair (X_val, y_val)")
        check_dataset(*validation_data, "fit(validation_data)")
    metric_fns = _metrics(loss_fn, metrics)
    # One pass over all the data before the first step, without a graph and in
    # evaluation mode (so no dropout mask is drawn): a bad sample or label in a
    # later batch would otherwise fail after the earlier batches had changed the
    # weights. Either fit fails with the model as it was, or it trains.
    evaluate(model, X, y, loss=loss_fn, metrics=metrics)
    if validation_data is not None:
        evaluate(model, *validation_data, loss=loss_fn, metrics=metrics)
    hidden = {"lr"} if l1 or l2 else {"lr", "data_loss"}  # not in the bar: data_loss == loss
    loader = DataLoader(X, y, batch_size or len(X), shuffle=shuffle, seed=seed)
    history = History(loss=[], data_loss=[], lr=[], **{name: [] for name in metric_fns})
    if validation_data is not None:
        history.update({f"val_{k}": [] for k in ["loss", *metric_fns]})

    bar = tqdm(total=epochs, desc="fit", unit="epoch", disable=None if verbose else True,
               file=sys.stderr, dynamic_ncols=True)
    try:
        with _mode(model, True):
            for epoch in range(epochs):
                lr = optimizer.lr
                total = data_total = 0.0
                outputs_seen: list[Any] = []
                targets_seen: list[Any] = []
                for Xb, yb in loader:
                    outputs = [model(x) for x in Xb]
                    data_loss = loss_fn(outputs, yb)
                    value = _loss_value(data_loss)
                    objective = data_loss
                    if l2:
                        objective = objective + _losses.l2_penalty(params, l2)
                    if l1:
                        objective = objective + _losses.l1_penalty(params, l1)
                    if not math.isfinite(objective.data):  # huge weights overflow the penalty
                        history.stopped = (
                            f"the loss became {objective.data!r} in epoch {epoch}; lower the "
                            f"learning rate or clip gradients (nn.clip_grad_norm)"
                        )
                        break
                    optimizer.zero_grad()
                    objective.backward()
                    optimizer.step()
                    total += objective.data * len(Xb)
                    data_total += value * len(Xb)
                    if metric_fns:
                        outputs_seen.extend(_as_float(o) for o in outputs)
                        targets_seen.extend(yb)
                if history.stopped:
                    warnings.warn(history.stopped, RuntimeWarning, stacklevel=2)
                    break
                logs = {"loss": total / len(X), "data_loss": data_total / len(X), "lr": lr}
                for name, metric in metric_fns.items():
                    logs[name] = float(metric(outputs_seen, targets_seen))
                if validation_data is not None:
                    result = evaluate(model, *validation_data, loss=loss_fn, metrics=metrics)
                    logs.update({f"val_{k}": v for k, v in result.items()})
                for key, value in logs.items():
                    history[key].append(value)
                if scheduler is not None:
                    scheduler.step()
                # The numbers first: update() draws the bar, so it shows this epoch's.
                shown = {k: f"{v:.4g}" for k, v in logs.items() if k not in hidden}
                bar.set_postfix(shown, refresh=False)
                bar.update(1)
                if on_epoch_end is not None and on_epoch_end(epoch, logs) is True:
                    history.stopped = f"on_epoch_end asked to stop after epoch {epoch}"
                    break
    finally:
        bar.close()
    return history

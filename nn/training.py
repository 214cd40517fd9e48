"""The training loop, `fit`, and running a model over data: `evaluate`, `predict`.

``fit`` runs the loop every tutorial writes by hand: for each mini-batch, run
the model on every sample, take the loss (the *mean* over the batch, so the
gradient is the batch's mean gradient), zero the gradients, back-propagate and
step the optimiser. It returns a :class:`History` of per-epoch numbers.

It is written in four parts: ``_prepare`` checks every argument and every
number of the data (and runs the model once over it) before anything changes;
``_epoch`` runs the batches; ``_step`` is one batch's forward, backward and
update, taken whole or not at all (a NaN or infinite loss or gradient stops
training before it); ``_report`` records an epoch and draws the progress bar.

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
import gc
import math
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from tqdm import tqdm  # type: ignore[import-untyped]

from autograd import Value, no_grad

from . import losses as _losses
from ._checks import Seed, flag, integer, non_negative, typed
from .compiled_batches import batches
from .data import DataLoader, check_dataset, check_finite
from .metrics import Metric, as_float, metric_functions
from .module import Module
from .optim import Adam, NonFiniteGradientError, Optimizer
from .schedules import LRScheduler


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

    ``stopped`` says why training ended early, if it did; ``stopped_at`` is the
    ``(epoch, batch)`` whose step was refused (``None`` if every step was
    taken); ``steps`` counts the optimiser steps taken.
    """

    stopped: str | None = None
    stopped_at: tuple[int, int] | None = None
    steps: int = 0

    @property
    def epochs(self) -> int:
        """How many epochs ran."""
        return len(self.get("loss", []))

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.items() if v)
        return f"History({self.epochs} epochs; last: {last})"


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
        raise TypeError(f"predict needs a sequence of samples, got {typed(X)}")
    with no_grad(), _mode(model, False):
        return [as_float(model(x)) for x in X]


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
    floats = [as_float(o) for o in outputs]
    for name, metric in metric_functions(loss_fn, metrics).items():
        result[name] = float(metric(floats, y))
    return result


def _loss_value(loss: Any) -> float:
    if not isinstance(loss, Value):
        raise TypeError(f"the loss function must return a Value, got {typed(loss)} (use "
                        f"reduction='mean')")
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
    compile: bool = False,
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
    * ``compile``: run each batch through one NumPy program traced from the model
      (:mod:`nn.compiled_batches`): the same history, many times faster; checked
      against the eager model on a few samples before the first step.

    What a failure leaves behind:

    * Bad arguments or bad data raise before the first step, with the model
      and the optimiser untouched: every sample and label must be finite
      (``X[19][0] = nan`` is a ValueError), and the model, the loss and the
      metrics run once over all of ``X`` (and ``validation_data``) without a
      graph, so a bad sample or label anywhere fails first.
    * Each step is taken whole or not at all. A loss that is NaN or infinite,
      or a gradient that is (see :class:`~nn.optim.NonFiniteGradientError`),
      stops training *before* that step: the weights and the optimiser's state
      are those of the last good step (the parameters' ``.grad`` hold the
      refused step's gradients, to look at). A RuntimeWarning and
      ``history.stopped`` say why, naming the step and the parameter;
      ``history.stopped_at`` is ``(epoch, batch)``; the epochs before it are in
      the history. As in PyTorch, the good steps are kept: training is not
      rolled back to before ``fit``.
    * An exception from your own code (the model, a loss, a metric,
      ``on_epoch_end``) or Ctrl-C propagates. The update comes last in a step,
      so the weights are again those of the last completed step (unless an
      optimiser of your own raises half-way through its ``update_one``).

    The train/eval mode of every submodule and the cycle collector's setting
    are restored however ``fit`` ends. The collector is paused during each step:
    the engine's graphs hold no reference cycles, so it would walk the whole
    graph for nothing (see ``benchmarks/run.py``). A progress bar shows the loss
    and accuracy when ``verbose`` and the output is a terminal.
    """
    run = _prepare(
        model, X, y, loss=loss, optimizer=optimizer, epochs=epochs, batch_size=batch_size,
        shuffle=shuffle, seed=seed, l1=l1, l2=l2, scheduler=scheduler, metrics=metrics,
        validation_data=validation_data, verbose=verbose, on_epoch_end=on_epoch_end,
        compile=compile,
    )
    history = History(loss=[], data_loss=[], lr=[], **{name: [] for name in run.metrics})
    if run.validation is not None:
        history.update({f"val_{k}": [] for k in ["loss", *run.metrics]})
    bar = tqdm(total=run.epochs, desc="fit", unit="epoch", disable=None if verbose else True,
               file=sys.stderr, dynamic_ncols=True)
    try:
        with _mode(model, True):
            for epoch in range(run.epochs):
                try:
                    logs = _epoch(run, model, epoch, history)
                except _Stop as stop:
                    history.stopped, history.stopped_at = str(stop), stop.where
                    warnings.warn(history.stopped, RuntimeWarning, stacklevel=2)
                    break
                if _report(run, bar, history, epoch, logs):
                    history.stopped = f"on_epoch_end asked to stop after epoch {epoch}"
                    break
    finally:
        bar.close()
    return history


class _Run(NamedTuple):
    """A fit's checked arguments."""

    params: list[Value]
    optimizer: Optimizer
    loss_fn: Callable[..., Any]
    l1: float
    l2: float
    epochs: int
    loader: DataLoader
    samples: int
    scheduler: LRScheduler | None
    metrics: dict[str, Metric]
    metric_names: Sequence[str | Metric] | None
    validation: tuple[Sequence[Any], Sequence[Any]] | None
    on_epoch_end: Callable[[int, dict[str, float]], Any] | None
    names: dict[Value, str]
    batches: Any  # how the model runs on a batch: nn.compiled_batches


def _prepare(
    model: Any, X: Sequence[Any], y: Sequence[Any], *, loss: Any, optimizer: Any, epochs: Any,
    batch_size: Any, shuffle: Any, seed: Seed, l1: Any, l2: Any, scheduler: Any, metrics: Any,
    validation_data: tuple[Sequence[Any], Sequence[Any]] | None, verbose: Any,
    on_epoch_end: Any, compile: Any = False,
) -> _Run:
    """Every argument and every sample checked, or an error; nothing is changed either way."""
    if not callable(model):
        raise TypeError(f"fit needs a model (a callable Module), got {typed(model)}")
    check_dataset(X, y, "fit")
    loss_fn = _losses.get(loss)
    epochs = integer(epochs, "fit(epochs)")
    if batch_size is not None:
        batch_size = integer(batch_size, "fit(batch_size)")
    l1, l2 = non_negative(l1, "fit(l1)"), non_negative(l2, "fit(l2)")
    flag(verbose, "fit(verbose)")
    if on_epoch_end is not None and not callable(on_epoch_end):
        raise TypeError(f"fit(on_epoch_end) needs a callable(epoch, logs), got "
                        f"{typed(on_epoch_end)}")
    # Any model with parameters() works, also a micrograd-style class that is not a Module.
    params = list(model.parameters()) if hasattr(model, "parameters") else []
    if optimizer is None:
        optimizer = Adam(params, lr=0.01)
    elif not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit(optimizer) needs an nn Optimizer, got {typed(optimizer)}")
    if params and set(params).isdisjoint(optimizer.params):
        raise ValueError("fit(optimizer) updates none of the model's parameters, so training "
                         "would change nothing; make it from this model: "
                         "nn.SGD(model.parameters(), lr=...)")
    if scheduler is not None:
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(f"fit(scheduler) needs an nn LRScheduler, got {typed(scheduler)}")
        if scheduler.optimizer is not optimizer:
            raise ValueError("fit(scheduler) schedules another optimizer than the one fit "
                             "steps; make it from the same one: nn.StepLR(optimizer, ...)")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("fit(validation_data) needs a pair (X_val, y_val)")
        X_val, y_val = validation_data
        check_dataset(X_val, y_val, "fit(validation_data)")
    metric_fns = metric_functions(loss_fn, metrics)
    # Every number first: a NaN makes no error in the pass below, only a NaN loss,
    # which would stop training half-way with the model already changed.
    check_finite(X, y, "fit")
    if validation_data is not None:
        check_finite(X_val, y_val, "fit(validation_data)")
    # One pass over all the data before the first step, without a graph and in
    # evaluation mode (so no dropout mask is drawn): a bad sample or label in a
    # later batch would otherwise fail after the earlier batches had changed the
    # weights. Either fit fails with the model as it was, or it trains.
    evaluate(model, X, y, loss=loss_fn, metrics=metrics)
    if validation_data is not None:
        evaluate(model, X_val, y_val, loss=loss_fn, metrics=metrics)
    names = dict((p, n) for n, p in model.named_parameters()) if isinstance(model, Module) else {}
    return _Run(
        params=params, optimizer=optimizer, loss_fn=loss_fn, l1=l1, l2=l2, epochs=epochs,
        loader=DataLoader(X, y, batch_size or len(X), shuffle=shuffle, seed=seed),
        samples=len(X), scheduler=scheduler, metrics=metric_fns, metric_names=metrics,
        validation=validation_data, on_epoch_end=on_epoch_end, names=names,
        batches=batches(model, X, params, compile),
    )


class _Stop(Exception):
    """Training stops before the step of ``where`` = (epoch, batch); the message says why."""

    def __init__(self, message: str, where: tuple[int, int]) -> None:
        super().__init__(message)
        self.where = where


def _epoch(run: _Run, model: Any, epoch: int, history: History) -> dict[str, float]:
    """One pass over the batches, a step each; the epoch's logs (or :class:`_Stop`)."""
    lr = run.optimizer.lr
    total = data_total = 0.0
    outputs_seen: list[Any] = []
    targets_seen: list[Any] = []
    for batch, (Xb, yb) in enumerate(run.loader):
        enabled = gc.isenabled()
        gc.disable()  # read each step: a callback may have changed it
        try:
            objective, value, outputs = _step(run, model, Xb, yb, (epoch, batch), history)
        finally:
            if enabled:
                gc.enable()
        history.steps += 1
        total += objective * len(Xb)
        data_total += value * len(Xb)
        if run.metrics:
            outputs_seen.extend(outputs)
            targets_seen.extend(yb)
    logs = {"loss": total / run.samples, "data_loss": data_total / run.samples, "lr": lr}
    for name, metric in run.metrics.items():
        logs[name] = float(metric(outputs_seen, targets_seen))
    if run.validation is not None:
        result = evaluate(model, *run.validation, loss=run.loss_fn, metrics=run.metric_names)
        logs.update({f"val_{k}": v for k, v in result.items()})
    return logs


def _step(
    run: _Run, model: Any, Xb: list[Any], yb: list[Any], where: tuple[int, int],
    history: History,
) -> tuple[float, float, list[Any]]:
    """Forward, backward and update on one batch: (objective, data loss, outputs as floats).

    Only numbers leave this function, so the batch's graph is freed (by reference
    counting: it has no cycles) as it returns, before the collector runs again.
    """
    outputs = run.batches.outputs(Xb)
    data_loss = run.loss_fn(outputs, yb)
    value = _loss_value(data_loss)
    objective = data_loss
    if run.l2:
        objective = objective + _losses.l2_penalty(run.params, run.l2)
    if run.l1:
        objective = objective + _losses.l1_penalty(run.params, run.l1)
    if not math.isfinite(objective.data):  # huge weights overflow the penalty
        raise _Stop(f"{_at(where, history)}: the loss became {objective.data!r}. {_KEPT} "
                    f"Lower the learning rate or clip gradients (nn.clip_grad_norm)", where)
    run.optimizer.zero_grad()
    objective.backward()
    run.batches.backward(outputs)  # compiled: the model's part of the gradient
    try:
        run.optimizer.step()  # checks every gradient before it moves anything
    except NonFiniteGradientError as exc:
        p = run.optimizer.params[exc.index]
        name = run.names.get(p, exc.name)
        problem = (f"is {exc.gradient!r}" if not math.isfinite(exc.gradient)
                   else f"is {exc.gradient:.3g}, too large to square")
        raise _Stop(
            f"{_at(where, history)}: the gradient of {name} {problem} (the loss was "
            f"{objective.data:.6g}). {_KEPT} To find the op that made it, run the same "
            f"forward and backward pass inside autograd.detect_anomaly(), e.g. "
            f"`with autograd.detect_anomaly(): nn.fit(...)`", where) from None
    return objective.data, value, [as_float(o) for o in outputs] if run.metrics else []


_KEPT = ("That step was not taken: the weights and the optimizer's state are those of the "
         "last good step.")


def _at(where: tuple[int, int], history: History) -> str:
    epoch, batch = where
    return f"step {history.steps} (epoch {epoch}, batch {batch})"


def _report(run: _Run, bar: Any, history: History, epoch: int, logs: dict[str, float]) -> bool:
    """Record an epoch's logs, step the schedule, draw the bar; True if on_epoch_end says stop."""
    for key, value in logs.items():
        history[key].append(value)
    if run.scheduler is not None:
        run.scheduler.step()
    # The numbers first: update() draws the bar, so it shows this epoch's.
    hidden = {"lr"} if run.l1 or run.l2 else {"lr", "data_loss"}  # data_loss == loss
    bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k not in hidden}, refresh=False)
    bar.update(1)
    return run.on_epoch_end is not None and run.on_epoch_end(epoch, logs) is True

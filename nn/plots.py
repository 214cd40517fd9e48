"""Pictures of training: loss curves and 2-D decision boundaries (SVG or PNG).

Needs the optional extra: ``pip install "chainrule[plot]"`` (matplotlib).
Without it, ``import nn.plots`` raises an ImportError that says so, which a
script can catch to skip its pictures. matplotlib itself is imported only
when a function here is called, and only its object-oriented ``Figure`` is
used: no pyplot, no change to the user's backend or any other global state.

    plot_loss_curves({"SGD": sgd_history, "Adam": adam_history}, "loss.svg")
    plot_decision_boundary(model, X, y, "boundary.png")

A figure of your own (``matplotlib.figure.Figure``) is written the same way,
atomically and without a creation date, by ``save_figure(fig, "mine.svg")``.
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from autograd import atomic_write

from ._checks import integer, is_real, non_negative, preview, real, typed
from .data import check_dataset
from .training import predict

_FORMATS = {".svg": "svg", ".png": "png"}
INSTALL_HINT = 'pip install "chainrule[plot]"'
_MISSING = (
    f"plotting needs matplotlib, which is an optional extra; install it with: {INSTALL_HINT}"
)


def _matplotlib_installed() -> bool:
    """True if matplotlib can be imported; finds it without importing it."""
    if "matplotlib" in sys.modules:
        return sys.modules["matplotlib"] is not None
    return importlib.util.find_spec("matplotlib") is not None


if not _matplotlib_installed():
    raise ImportError(_MISSING)


def _matplotlib() -> tuple[Any, Any]:
    """matplotlib's ``Figure`` class and ``MaxNLocator``, or an ImportError naming the extra."""
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError as exc:  # uninstalled since nn.plots was imported
        raise ImportError(_MISSING) from exc
    return Figure, MaxNLocator


def _target(path: str | os.PathLike[str]) -> tuple[Path, str]:
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot tell the picture format from {preview(str(path))}: "
                         f"use a name ending in .svg or .png")
    return path, fmt


def _save(fig: Any, path: Path, fmt: str, dpi: int = 120) -> Path:
    # No creation date in SVGs: re-running a script does not change the picture's text.
    metadata = {"Date": None} if fmt == "svg" else None
    # Written next to the target, then renamed: a failed save never leaves half a picture.
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format=fmt, dpi=dpi, metadata=metadata, bbox_inches="tight")
    return path


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int = 120) -> Path:
    """Write a matplotlib ``Figure`` to ``path`` (.svg or .png, from the extension).

    As this module writes its own pictures: to a temporary file renamed into place
    (a failed save never leaves half a picture), and without a creation date in an
    SVG (re-running a script leaves the file's text unchanged). Returns the path.
    """
    target, fmt = _target(path)
    return _save(fig, target, fmt, integer(dpi, "save_figure(dpi)", minimum=1))


def _curve(name: str, run: Any) -> list[float]:
    if isinstance(run, Mapping):  # a History (or any dict with a 'loss' list)
        if "loss" not in run:
            raise ValueError(f"run {preview(name)} is a mapping without a 'loss' entry")
        run = run["loss"]
    if isinstance(run, (str, bytes)) or not isinstance(run, Sequence):
        raise TypeError(f"run {preview(name)} must be a sequence of losses, got {typed(run)}")
    if not run:
        raise ValueError(f"run {preview(name)} has no values")
    for i, v in enumerate(run):
        if not is_real(v):
            raise TypeError(f"run {preview(name)}: losses[{i}] is {typed(v)}, not a number")
    return [float(v) for v in run]


def plot_loss_curves(
    runs: Mapping[str, Any] | Sequence[float],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    log_scale: bool = False,
    xlabel: str = "epoch",
    ylabel: str = "loss",
) -> Path:
    """Draw one or several loss curves in one figure and save it (.svg or .png).

    ``runs`` maps a label to a list of losses (or to a :class:`nn.History`,
    whose ``'loss'`` is drawn); a bare list is one unlabelled run. Epochs are
    numbered from 1 on the x axis.
    ``log_scale`` puts the loss axis on a log scale (non-positive values are
    then left out). Returns the path written.
    """
    target, fmt = _target(path)
    if isinstance(runs, Mapping):
        curves = {str(name): _curve(str(name), run) for name, run in runs.items()}
    else:
        curves = {"": _curve("loss", runs)}
    if not curves:
        raise ValueError("plot_loss_curves needs at least one run")
    Figure, MaxNLocator = _matplotlib()
    fig = Figure(figsize=(6.4, 4.0))
    ax = fig.add_subplot()
    for name, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, label=name or None, linewidth=1.6)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if any(curves):
        ax.legend()
    ax.grid(True, alpha=0.3)
    return _save(fig, target, fmt)


def plot_decision_boundary(
    model: Callable[[Any], Any],
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    path: str | os.PathLike[str],
    *,
    resolution: int = 80,
    threshold: float | None = None,
    padding: float = 0.5,
    title: str | None = None,
) -> Path:
    """Colour the plane by the model's prediction and draw the data on top (2-D inputs).

    A one-output model is drawn as its score, with the decision boundary (the
    line where the score equals ``threshold``) in black; ``threshold``
    defaults to 0 for -1/+1 labels and 0.5 for 0/1 labels (pass 0.0 for a
    model that outputs logits). A model with several outputs is coloured by
    its arg max. The model is evaluated on a ``resolution`` x ``resolution``
    grid covering the data plus ``padding``.
    """
    target, fmt = _target(path)
    Figure, _ = _matplotlib()  # before the costly grid: fail fast without matplotlib
    check_dataset(X, y, "plot_decision_boundary")
    if any(len(row) != 2 for row in X):
        raise ValueError("plot_decision_boundary needs 2-D inputs (rows of two numbers)")
    n = integer(resolution, "resolution", minimum=2)
    pad = non_negative(padding, "padding")
    xs, ys = [real(r[0], "X") for r in X], [real(r[1], "X") for r in X]
    x0, x1 = min(xs) - pad, max(xs) + pad
    y0, y1 = min(ys) - pad, max(ys) + pad
    gx = [x0 + (x1 - x0) * i / (n - 1) for i in range(n)]
    gy = [y0 + (y1 - y0) * j / (n - 1) for j in range(n)]
    outputs = predict(model, [[a, b] for b in gy for a in gx])
    multi = isinstance(outputs[0], list)
    labels = sorted(set(y))
    if threshold is None:
        threshold = 0.0 if -1 in labels else 0.5

    fig = Figure(figsize=(5.6, 4.8))
    ax = fig.add_subplot()
    if multi:
        classes = [max(range(len(o)), key=o.__getitem__) for o in outputs]
        grid = [classes[j * n:(j + 1) * n] for j in range(n)]
        k = len(outputs[0])
        ax.contourf(gx, gy, grid, levels=[c - 0.5 for c in range(k + 1)], cmap="tab10",
                    vmin=0, vmax=9, alpha=0.35)
        ax.scatter(xs, ys, c=list(y), cmap="tab10", vmin=0, vmax=9, edgecolors="k", s=22)
    else:
        thr = real(threshold, "threshold")
        scores = [o if math.isfinite(o) else thr for o in outputs]
        score_grid = [scores[j * n:(j + 1) * n] for j in range(n)]
        # Saturate the colours at the 75th percentile of |score - threshold|, so the
        # region near the data is not washed out by huge scores far away.
        distances = sorted(abs(s - thr) for s in scores)
        spread = distances[(3 * len(distances)) // 4] or 1.0
        ax.contourf(gx, gy, score_grid, levels=21, cmap="RdBu",
                    vmin=thr - spread, vmax=thr + spread, alpha=0.55)
        if min(scores) < thr < max(scores):
            ax.contour(gx, gy, score_grid, levels=[thr], colors="k", linewidths=1.2)
        top = max(labels)  # the positive class: 1 (of 0/1 or -1/+1 labels)
        positive = [t == top for t in y]
        ax.scatter([a for a, p in zip(xs, positive) if p], [b for b, p in zip(ys, positive) if p],
                   c="tab:blue", edgecolors="k", s=22, label=f"class {max(labels)}")
        ax.scatter([a for a, p in zip(xs, positive) if not p],
                   [b for b, p in zip(ys, positive) if not p],
                   c="tab:red", edgecolors="k", s=22, label=f"class {min(labels)}")
        ax.legend(loc="upper right", fontsize="small")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    if title:
        ax.set_title(title)
    return _save(fig, target, fmt)

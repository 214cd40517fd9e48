"""What ``detect_anomaly()`` checks: every new value, and every step of ``backward()``.

Inside the block an op records the line of user code that made its node, and raises
:class:`~autograd.AnomalyError` when its value is NaN or infinite; ``backward()`` checks
each node's contribution to each parent and, on an anomaly, puts every gradient back as
it was before the call.
"""

from __future__ import annotations

import linecache
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .errors import AnomalyError

# Packages whose source lines are not the user's: autograd, and libraries built on it that
# say so with mark_library (nn does).
_LIBRARY_PACKAGES = {"autograd"}


def mark_library(package: str) -> None:
    """Mark ``package`` as a library built on autograd: inside ``detect_anomaly()`` a node
    made by its code is reported at the line of *your* code that called into it, with the
    library's line in parentheses (``model.py:12: out = model(x) (in nn/layers.py:134)``).

    >>> import autograd
    >>> autograd.mark_library("mylib")
    """
    if not isinstance(package, str) or not package.isidentifier():
        raise ValueError(f"mark_library needs a top-level package name, got {package!r}")
    _LIBRARY_PACKAGES.add(package)


def _in_library(frame: Any) -> bool:
    name = frame.f_globals.get("__name__", "")
    return name.partition(".")[0] in _LIBRARY_PACKAGES


def _where(frame: Any) -> str:
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    code = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno}" + (f": {code}" if code else "")


def user_source_line() -> str:
    """'file:line: code' of the innermost caller outside this distribution's packages.

    When the node was made inside a library module built on autograd (a layer's weighted
    sum, say), that line follows in parentheses:
    ``model.py:12: out = model(x) (in nn/layers.py:134: ...)``.
    """
    frame = sys._getframe(1)
    library = None
    while frame is not None and _in_library(frame):
        if library is None and not frame.f_globals.get("__name__", "").startswith("autograd"):
            library = frame
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return _where(library) if library is not None else "<unknown>"
    where = _where(frame)
    return where if library is None else f"{where} (in {_where(library)})"


def describe_input(v: Any) -> str:
    label = v.label
    shown = label if len(label) <= 40 else label[:37] + "..."
    return f"{v.data!r}" + (f" (Value {shown!r})" if label else "")


def check_forward(out: Any, name: str, inputs: Sequence[Any], param: Any) -> None:
    """Record where ``out`` was made, and raise if its value is NaN or inf."""
    source = user_source_line()
    out._scope = out._scope.located(source)
    if not math.isfinite(out.data):
        shown = ", ".join(describe_input(v) for v in inputs[:8])
        extra = f", constant {param!r}" if param is not None else ""
        raise AnomalyError(
            f"{name} produced {out.data!r} from inputs [{shown}]{extra}, at {source}",
            name, tuple(v.data for v in inputs), source,
        )


def _name(node: Any) -> str:
    op = node.primitive
    return op.name if op is not None else (node._op or "a node of your own")


def check_backward_step(
    node: Any, d: Any, upstream: Any, contribution: Any, before: Any, total: Any
) -> None:
    """Raise AnomalyError if one chain-rule step of ``node`` is NaN or inf.

    ``d`` is the local derivative, ``upstream`` the node's gradient; the parent's
    gradient goes from ``before`` to ``total`` by adding ``contribution`` (finite
    steps can still overflow when they add up).
    """
    if math.isfinite(d) and math.isfinite(contribution) and math.isfinite(total):
        return
    source = node.source or (
        "unknown (the node was made outside detect_anomaly(); run the forward pass inside "
        "the block too)"
    )
    inputs = tuple(p.data for p in node._prev)
    if math.isfinite(d) and math.isfinite(contribution):
        what = (
            f"gradients that add up to {total!r}: a contribution of {contribution!r} "
            f"overflowed the sum" if math.isfinite(before) else
            f"a gradient that was already {before!r} before this step (a leaf's gradient "
            f"accumulates across backward() calls: zero it first)"
        )
    else:
        what = (f"a non-finite gradient: local derivative {d!r} x upstream gradient "
                f"{upstream!r} = {contribution!r}")
    raise AnomalyError(
        f"backward of {_name(node)} gave {what}; inputs {list(inputs)[:8]}, output "
        f"{node.data!r}; node created at {source}.",
        _name(node), inputs, source,
    )


def checked_step(node: Any) -> None:
    """One node's chain-rule step, checked: its local derivatives, contributions and sums."""
    parents = node._prev
    g = node.grad
    if node.primitive is None:  # a closure: check what it added, after the fact
        before = [p.grad for p in parents]
        node._backward()
        for p, b in zip(parents, before):
            if not math.isfinite(p.grad):
                added = p.grad - b
                check_backward_step(node, added / g if g else added, g, added, b, p.grad)
        return
    for parent, d in zip(parents, node.local_grads()):
        contribution = d * g
        before = parent.grad
        total = before + contribution
        check_backward_step(node, d, g, contribution, before, total)
        parent.grad = total


def start_checked(root: Any, order: list[Any], seed: float, run: Callable[[], None]) -> None:
    """Run a checked backward pass; on an anomaly put every gradient back as it was."""
    if not math.isfinite(seed):
        raise AnomalyError(f"backward() was seeded with {seed!r}", "backward", (seed,))
    nodes = {p for node in order for p in node._prev}
    nodes.update(order)
    nodes.add(root)
    saved = [(node, node.grad) for node in nodes]
    try:
        run()
        if not order and not math.isfinite(root.grad):
            raise AnomalyError(f"backward() made the gradient of a leaf {root.grad!r}",
                               "backward", (root.data,))
    except AnomalyError as exc:
        for node, g in saved:
            node.grad = g
        raise AnomalyError(
            f"{exc} Every gradient is as it was before this backward() call.",
            exc.op, exc.inputs, exc.source,
        ) from None

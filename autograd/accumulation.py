"""A warning, when asked for, that ``backward()`` is adding to gradients left from before.

Leaf gradients accumulate across ``backward()`` calls, as in PyTorch: a training loop that
forgets ``zero_grad()`` runs without an error and learns badly (its loss goes 1.17, 0.06,
0.64 ...). ``warn_accumulation()`` makes every ``backward()`` in its block (or, called
plainly, from then on in this thread) check first whether a leaf it will write to already
holds a gradient, and warn, naming the leaves, when one does.

>>> import warnings
>>> from autograd import Value, warn_accumulation
>>> w = Value(2.0, label='w')
>>> with warn_accumulation(), warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     (w * w).backward()
...     (w * w).backward()          # w.grad is still 4.0 from the first pass
>>> print(caught[0].message)
backward() adds to gradients left from an earlier pass: w.grad was 4 (1 leaf in all). ...
"""

from __future__ import annotations

import contextvars
import threading
import warnings
from typing import Any

from .modes import ModeBlock

__all__ = ["GradientAccumulationWarning", "warn_accumulation"]

_WATCHING: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "chainrule_warn_accumulation", default=False)
#: Whether backward() checks for gradients left from an earlier pass, in this thread.
watching = _WATCHING.get


class GradientAccumulationWarning(UserWarning):
    """``backward()`` added to a leaf gradient that was not zero (see :func:`warn_accumulation`)."""


class warn_accumulation(ModeBlock):
    """Warn when ``backward()`` adds to leaf gradients left from an earlier pass.

    ``with warn_accumulation():`` checks inside the block; ``warn_accumulation()`` called
    plainly switches the check on for this thread (``warn_accumulation(False)`` off); as a
    decorator it checks inside the function. It costs one pass over the graph's edges per
    ``backward()``, only while it is on.
    """

    def __init__(self, enabled: bool = True) -> None:
        if not isinstance(enabled, bool):
            raise TypeError(f"warn_accumulation needs True or False, got {enabled!r}")
        self.enabled = enabled
        self._local = threading.local()
        # A plain call switches at once (as set_grad_enabled does); a with-block right after
        # restores what was there before that call.
        self._fresh: tuple[int, bool] | None = (threading.get_ident(), _WATCHING.get())
        _WATCHING.set(enabled)

    def __enter__(self) -> warn_accumulation:
        fresh, self._fresh = self._fresh, None
        before = fresh[1] if fresh is not None and fresh[0] == threading.get_ident() \
            else _WATCHING.get()
        self._local.__dict__.setdefault("saved", []).append(before)
        _WATCHING.set(self.enabled)
        return self

    def __exit__(self, *exc: object) -> None:
        _WATCHING.set(self._local.saved.pop())

    def __call__(self, func: Any) -> Any:
        fresh, self._fresh = self._fresh, None  # a decorator: undo the switch of __init__
        if fresh is not None:
            _WATCHING.set(fresh[1])
        return super().__call__(func)


def check(order: list[Any]) -> None:
    """Warn if a leaf that the graph of ``order`` writes to holds a non-zero gradient."""
    leaves: dict[int, Any] = {}
    for node in order:
        for p in node._prev:
            if p._a is None and p.grad != 0.0:
                leaves[id(p)] = p
    if not leaves:
        return
    shown = list(leaves.values())
    first = shown[0]
    name = first.label or "a leaf"
    more = f" ({len(shown)} leaf in all)" if len(shown) == 1 else f" ({len(shown)} leaves in all)"
    warnings.warn(
        f"backward() adds to gradients left from an earlier pass: {name}.grad was "
        f"{first.grad:.6g}{more}. Leaf gradients accumulate across backward() calls; zero them "
        f"first (model.zero_grad(), or {name if first.label else 'v'}.grad = 0.0), unless you "
        f"mean to add them up.",
        GradientAccumulationWarning, stacklevel=3,
    )

"""What :func:`~autograd.draw_dot` can be asked for: one small, checked options object.

``draw_dot(root, heat=True, collapse=1)`` and
``draw_dot(root, options=DrawOptions(heat=True, collapse=1))`` are the same
drawing; an options object can be kept and reused, and ``opts.replace(...)``
changes a few of its fields. Every field is checked when the object is made,
so a wrong value fails there, with a message naming it:

>>> DrawOptions(collapse=1).replace(heat=True).heat
True
>>> DrawOptions(timeout='5')
Traceback (most recent call last):
...
TypeError: timeout must be a number of seconds (int or float) or None, got str '5'
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..engine import Value

#: Default node budget of :func:`draw_dot` (Values and summary nodes drawn).
DEFAULT_MAX_NODES = 2500
RANKDIRS = ("LR", "RL", "TB", "BT")
_FORMAT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
Collapse = bool | int | str | tuple[str, ...] | None


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _typed(value: Any) -> str:
    return f"{type(value).__name__} {_preview(value)}"


def _flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {_typed(value)}")


def _count(name: str, value: Any, lo: int, hi: int | None = None) -> None:
    """An int (not a bool) in [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {_typed(value)}")
    if value < lo or (hi is not None and value > hi):
        bounds = f">= {lo}" if hi is None else f"from {lo} to {hi}"
        raise ValueError(f"{name} must be {bounds}, got {value!r}")


@dataclass(frozen=True)
class DrawOptions:
    """The options of :func:`~autograd.draw_dot` (see there for what each one draws).

    * ``format``: the default output format ('svg', 'png', ...), as in graphviz;
    * ``rankdir``: 'LR' (left to right, micrograd's), 'RL', 'TB' or 'BT'; ``None``: 'LR',
      or 'TB' for a drawing folded or collapsed to fit its budget (a column of
      modules that reads top to bottom in one screen);
    * ``params``: the leaves to colour as parameters (``model.parameters()``);
      by default, the leaves made inside an :func:`autograd.scope`;
    * ``colors``: fill Values by role; ``heat``: fill them by |grad| instead;
      ``tooltips``: full-precision tooltips on every node;
    * ``precision``: decimals of the numbers shown (0 to 17);
    * ``cluster``: boxes around the nodes of each scope (``True``, or a depth);
    * ``collapse``: modules drawn as one summary node each (a depth, a scope
      name, or several); ``fold``: draw repeated copies of the same structure
      (a model applied to many samples) as one copy in a stack (``None``: when
      the drawing is over budget);
    * ``max_nodes``: the layout budget (``None``: no budget);
    * ``executable``, ``timeout``: the layout program and the seconds it may take.
    """

    format: str = "svg"
    rankdir: str | None = None
    params: tuple[Value, ...] | None = None
    colors: bool = True
    heat: bool = False
    tooltips: bool = True
    precision: int = 4
    cluster: bool | int = False
    collapse: Collapse = None
    fold: bool | None = None
    max_nodes: int | None = DEFAULT_MAX_NODES
    executable: str | None = None
    timeout: float | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.format, str) or not _FORMAT.match(self.format):
            raise (TypeError if not isinstance(self.format, str) else ValueError)(
                f"format must be an output format name such as 'svg' or 'png', got "
                f"{_typed(self.format)}")
        if self.rankdir is not None and self.rankdir not in RANKDIRS:
            raise ValueError(f"rankdir must be one of {RANKDIRS}, got {_typed(self.rankdir)}")
        if self.params is not None:
            set_(self, "params", _values("params", self.params))
        for name in ("colors", "heat", "tooltips"):
            _flag(name, getattr(self, name))
        _count("precision", self.precision, 0, 17)
        if not isinstance(self.cluster, bool):
            try:
                _count("cluster", self.cluster, 0)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"cluster must be True, False or a depth >= 0, got "
                                f"{_typed(self.cluster)}") from None
        set_(self, "collapse", _collapse(self.collapse))
        if self.fold is not None:
            _flag("fold", self.fold)
        if self.max_nodes is not None:
            try:
                _count("max_nodes", self.max_nodes, 1)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"max_nodes must be a positive int or None, got "
                                f"{_typed(self.max_nodes)}") from None
        if self.executable is not None:
            if isinstance(self.executable, os.PathLike):
                set_(self, "executable", os.fspath(self.executable))
            if not isinstance(self.executable, str) or not self.executable.strip():
                raise TypeError(f"executable must be a path or a command name (str) or None, "
                                f"got {_typed(self.executable)}")
        if self.timeout is not None:
            set_(self, "timeout", check_timeout(self.timeout))

    @property
    def cluster_depth(self) -> int:
        """How many levels of scopes get a box (0: none)."""
        if isinstance(self.cluster, bool):
            return 10**6 if self.cluster else 0
        return self.cluster

    def replace(self, **changes: Any) -> DrawOptions:
        """A copy with some fields changed (checked like the original)."""
        unknown = sorted(set(changes) - FIELDS)
        if unknown:
            raise TypeError(f"unknown drawing option {unknown[0]!r}; the options are "
                            f"{', '.join(sorted(FIELDS))}")
        return dataclasses.replace(self, **changes)


FIELDS = frozenset(f.name for f in dataclasses.fields(DrawOptions))


def check_timeout(timeout: Any) -> float:
    """A timeout in seconds: a finite number > 0 (TypeError or ValueError otherwise)."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds (int or float) or None, got "
                        f"{_typed(timeout)}")
    if not math.isfinite(timeout) or timeout <= 0:
        raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")
    return float(timeout)


def _values(name: str, items: Any) -> tuple[Value, ...]:
    if isinstance(items, (str, bytes, Value)) or not isinstance(items, Iterable):
        raise TypeError(f"{name} must be an iterable of Values (model.parameters(), a list), "
                        f"got {_typed(items)}")
    values = tuple(items)
    for k, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(f"{name}[{k}] must be a Value, got {_typed(v)}")
    return values


def _collapse(collapse: Any) -> Collapse:
    if collapse is None or isinstance(collapse, bool):
        return collapse
    if isinstance(collapse, int):
        if collapse < 0:
            raise ValueError(f"collapse depth must be >= 0, got {collapse}")
        return collapse
    if isinstance(collapse, str):
        names: tuple[Any, ...] = (collapse,)
    elif isinstance(collapse, Iterable) and not isinstance(collapse, bytes):
        names = tuple(collapse)
    else:
        raise TypeError(f"collapse needs a depth (int), a scope name or several, got "
                        f"{_typed(collapse)}")
    if not names or not all(isinstance(p, str) and p for p in names):
        raise ValueError(f"collapse needs a depth (int) or non-empty scope names, got "
                         f"{_preview(collapse)}")
    return names[0] if isinstance(collapse, str) else names


def options_from(options: DrawOptions | None, keywords: dict[str, Any]) -> DrawOptions:
    """``options`` (or the defaults) with ``keywords`` applied: what draw_dot was asked for."""
    if options is not None and not isinstance(options, DrawOptions):
        raise TypeError(f"options must be a DrawOptions, got {_typed(options)}")
    base = options if options is not None else DrawOptions()
    return base.replace(**keywords) if keywords else base

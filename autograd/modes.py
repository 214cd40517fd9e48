"""Grad mode and anomaly detection: how new ops record, per thread.

The mode is one small immutable :class:`Mode` held in a :class:`contextvars.ContextVar`,
so each thread (and each asyncio task) has its own, and an op reads it with a single
``current_mode()`` call. Entering a block pushes a new Mode that remembers the one it
replaced; leaving restores that one. Nothing is stored on the context-manager objects,
so one ``no_grad()`` object can be entered in several threads at once, or nested.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from .real_numbers import preview
from .scope_names import TOP

F = TypeVar("F", bound=Callable[..., Any])


class Mode:
    """How new ops behave in this thread: record parents, under which scope, checked or not."""

    __slots__ = ("recording", "scope", "anomaly", "outer", "inner")

    def __init__(self, recording: bool, scope: Any, anomaly: bool, outer: Mode | None) -> None:
        self.recording = recording
        self.scope = scope  # a scopes.ScopeName ('' at the top level)
        self.anomaly = anomaly
        self.outer = outer  # the mode this one replaced (restored when its block ends)
        # The modes of the scopes entered from this one, by (name, kind): see scopes.py.
        self.inner: dict[Any, Mode] | None = None



_DEFAULT = Mode(recording=True, scope=TOP, anomaly=False, outer=None)
_MODE: contextvars.ContextVar[Mode] = contextvars.ContextVar("chainrule_mode", default=_DEFAULT)
#: The mode of the calling thread: every op calls this once.
current_mode: Callable[[], Mode] = _MODE.get


#: Make a mode the calling thread's (blocks push a mode whose ``outer`` is the current one).
set_mode: Callable[[Mode], object] = _MODE.set


def pop_mode() -> None:
    """Restore the mode the current one replaced."""
    outer = current_mode().outer
    _MODE.set(outer if outer is not None else _DEFAULT)


def is_grad_enabled() -> bool:
    """True when new ops record their parents (the default)."""
    return current_mode().recording


class ModeBlock:
    """A block that pushes a mode on entry and restores the previous one on exit.

    Usable as ``with block:`` and as a decorator; a decorated generator function runs
    every step of its generator in the mode (the caller's mode between steps).
    Subclasses say what the mode inside is in :meth:`inside`.
    """

    def inside(self, outer: Mode) -> Mode:
        """The mode inside the block, pushed on ``outer``."""
        raise NotImplementedError

    def __enter__(self) -> ModeBlock:
        _MODE.set(self.inside(current_mode()))
        return self

    def __exit__(self, *exc: object) -> None:
        pop_mode()

    def __call__(self, func: F) -> F:
        if not callable(func):
            raise TypeError(f"{type(self).__name__}() decorates a function, got "
                            f"{type(func).__name__} {preview(func)}")
        block = self
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator(*args: Any, **kwargs: Any) -> Any:
                # Each step of the generator runs in the mode; the caller's code between
                # steps runs in the caller's own mode.
                gen = func(*args, **kwargs)
                try:
                    with block:
                        value = gen.send(None)
                    while True:
                        try:
                            sent = yield value
                        except GeneratorExit:
                            with block:
                                gen.close()
                            raise
                        except BaseException as exc:  # noqa: BLE001 - thrown into it
                            with block:
                                value = gen.throw(exc)
                        else:
                            with block:
                                value = gen.send(sent)
                except StopIteration as stop:
                    return stop.value

            return generator  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with block:
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(ModeBlock):
    """Ops record no parents: results are plain leaves. A context manager and a decorator.

    Use it for evaluation and for parameter updates, which must not become part
    of the graph::

        with no_grad():
            predictions = [model(x) for x in X]
    """

    def inside(self, outer: Mode) -> Mode:
        return Mode(False, outer.scope, outer.anomaly, outer)


class enable_grad(ModeBlock):
    """Turn recording back on inside a :class:`no_grad` block."""

    def inside(self, outer: Mode) -> Mode:
        return Mode(True, outer.scope, outer.anomaly, outer)


class set_grad_enabled(ModeBlock):
    """Turn recording on or off for this thread: as a call, a ``with`` block or a decorator.

    As in PyTorch, calling it sets the mode at once (until the enclosing block ends);
    used in a ``with`` block it restores the previous mode at the end of the block.

    >>> from autograd import Value, set_grad_enabled, is_grad_enabled
    >>> with set_grad_enabled(False):
    ...     y = Value(2.0) * 3
    >>> y._prev, is_grad_enabled()
    ((), True)
    >>> _ = set_grad_enabled(False); is_grad_enabled()
    False
    >>> _ = set_grad_enabled(True)
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled needs True or False, got "
                            f"{type(mode).__name__} {preview(mode)}")
        self.mode = mode
        # The call itself switches at once: it replaces the current mode (it does not push
        # one), so the enclosing block still restores what it found.
        now = current_mode()
        _MODE.set(_sibling(now, mode))
        self._before = now.recording

    def inside(self, outer: Mode) -> Mode:
        return Mode(self.mode, outer.scope, outer.anomaly, outer)

    def __enter__(self) -> set_grad_enabled:
        # Undo the immediate switch, then push the mode as a block: on exit the mode from
        # before the call that made this object comes back.
        _MODE.set(_sibling(current_mode(), self._before))
        super().__enter__()
        return self

    def __call__(self, func: F) -> F:
        # Used as a decorator: undo the immediate switch made by __init__.
        _MODE.set(_sibling(current_mode(), self._before))
        return super().__call__(func)


def _sibling(mode: Mode, recording: bool) -> Mode:
    """``mode`` with another recording flag, replacing it rather than pushed on it."""
    return Mode(recording, mode.scope, mode.anomaly, mode.outer)


class detect_anomaly(ModeBlock):
    """Raise :class:`~autograd.AnomalyError` as soon as a value or gradient is NaN or inf.

    Inside the block every new node remembers the source line that made it, so
    the error names the op, its inputs and that line. Run both the forward pass
    and ``backward()`` inside the block. It is slow: use it to hunt a NaN, then
    take it out.
    """

    def inside(self, outer: Mode) -> Mode:
        return Mode(outer.recording, outer.scope, True, outer)

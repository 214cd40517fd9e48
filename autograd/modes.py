"""Per-thread recording state: grad mode, naming scopes and anomaly detection.

Every op reads this state, so it lives in one ``threading.local`` with class
defaults: a new thread starts with recording on, no scope and no anomaly check.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from typing import Any


class _State(threading.local):
    recording: bool = True
    # The tag an op node gets: '' (no scope), or a shared ('', scope) pair so a
    # scoped node costs no extra memory.
    tag: Any = ""
    scope: str = ""
    # True inside detect_anomaly(): ops check their values and record their source line.
    anomaly: bool = False
    # How many grad/value_and_grad/hessian calls are tracing a function in this thread.
    tracing: int = 0


STATE = _State()


def is_grad_enabled() -> bool:
    """True when new ops record their parents (the default)."""
    return STATE.recording


class _GradMode(contextlib.ContextDecorator):
    """Set the recording mode on entry and restore the previous one on exit."""

    mode: bool

    def __init__(self) -> None:
        self._saved: list[bool] = []

    def __enter__(self) -> _GradMode:
        self._saved.append(STATE.recording)
        STATE.recording = self.mode
        return self

    def __exit__(self, *exc: object) -> None:
        STATE.recording = self._saved.pop()

    def _recreate_cm(self) -> _GradMode:
        # As a decorator, each call gets its own object, so calls in several
        # threads never share the stack of saved modes.
        return self._clone()

    def _clone(self) -> _GradMode:
        return type(self)()


class no_grad(_GradMode):
    """Ops record no parents: results are plain leaves. A context manager and a decorator.

    Use it for evaluation and for parameter updates, which must not become part
    of the graph::

        with no_grad():
            predictions = [model(x) for x in X]
    """

    mode = False


class enable_grad(_GradMode):
    """Turn recording back on inside a :class:`no_grad` block."""

    mode = True


class set_grad_enabled(_GradMode):
    """Turn recording on or off for this thread: as a call, a ``with`` block or a decorator.

    As in PyTorch, calling it sets the mode at once; used in a ``with`` block it
    restores the previous mode at the end of the block.

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
            raise TypeError(f"set_grad_enabled needs True or False, got {type(mode).__name__}")
        super().__init__()
        self.mode = mode
        self._previous = STATE.recording
        STATE.recording = mode

    def __enter__(self) -> set_grad_enabled:
        # The mode to restore is the one from before the call that made this object.
        self._saved.append(self._previous)
        STATE.recording = self.mode
        return self

    def __call__(self, func: Any) -> Any:
        # Used as a decorator: undo the immediate switch made by __init__.
        STATE.recording = self._previous
        return super().__call__(func)

    def _clone(self) -> set_grad_enabled:
        previous = STATE.recording
        clone = set_grad_enabled(self.mode)
        clone._previous = previous
        return clone


class _ScopeName(str):
    """A scope's full dotted name that also remembers what opened it.

    It is a ``str`` (equal to, and hashing as, the plain name). Nodes keep the
    name their scope gave them, so the kind travels with each node and needs no
    table by name: two models that use the same scope names (yesterday's and
    today's in one notebook) keep their own kinds.
    """

    kind: str | None
    outer: _ScopeName | None
    # (name, kind) -> (full name, tag) of the scopes entered inside this one: entering a
    # scope allocates nothing after the first time, which matters because nn enters one
    # per neuron per call.
    inner: dict[tuple[str, str | None], tuple[_ScopeName, tuple[str, _ScopeName]]]

    def __new__(cls, full: str, kind: str | None, outer: _ScopeName | None) -> _ScopeName:
        self = super().__new__(cls, full)
        self.kind = kind
        self.outer = outer
        self.inner = {}
        return self

    # Immutable: a copy is the same name (and deepcopy must not copy the scopes inside).
    def __copy__(self) -> _ScopeName:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _ScopeName:
        return self

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return str, (str(self),)  # a pickle holds the plain name


# The top-level scopes, as _ScopeName.inner holds the nested ones.
_SCOPES: dict[tuple[str, str | None], tuple[_ScopeName, tuple[str, _ScopeName]]] = {}


class scope:
    """Tag every node created inside with a dotted scope name (nested scopes join with '.').

    ``nn`` modules use this so a picture of a big graph can group or collapse
    the nodes a module made; read the tag back with ``Value.scope``. ``kind``
    is an optional short description of the module that opens the scope (say
    ``'ReLUNeuron(16)'``); pictures show it in the module's summary, and
    :func:`scope_kinds` reads it back from a node.

    >>> from autograd import Value, scope
    >>> with scope('layers'), scope('0'):
    ...     w = Value(1.0, label='w')
    >>> w.scope
    'layers.0'
    """

    __slots__ = ("name", "kind", "_saved")

    def __init__(self, name: str, kind: str | None = None) -> None:
        if not isinstance(name, str):
            raise TypeError(f"scope needs a string name, got {type(name).__name__} {name!r}")
        if not name:
            raise ValueError("scope needs a non-empty name")
        if kind is not None and not isinstance(kind, str):
            raise TypeError(f"scope({name!r}, kind=...) needs a str or None, got "
                            f"{type(kind).__name__} {kind!r}")
        self.name = name
        self.kind = kind or None
        self._saved: list[tuple[str, Any]] = []

    def __enter__(self) -> str:
        state = STATE
        outer: Any = state.scope  # '' or a _ScopeName: only scope blocks set it
        cache = outer.inner if outer else _SCOPES
        key = (self.name, self.kind)
        entry = cache.get(key)
        if entry is None:
            full = _ScopeName(f"{outer}.{self.name}" if outer else self.name, self.kind,
                              outer or None)
            entry = cache[key] = (full, ("", full))
        self._saved.append((outer, state.tag))
        state.scope, state.tag = entry
        return entry[0]

    def __exit__(self, *exc: object) -> None:
        STATE.scope, STATE.tag = self._saved.pop()


def current_scope() -> str:
    """The dotted name of the innermost :class:`scope` block open in this thread ('' if none).

    >>> from autograd import scope, current_scope
    >>> with scope('critic'), scope('0'):
    ...     current_scope()
    'critic.0'
    """
    return STATE.scope


def scope_kinds(scope: str) -> dict[str, str]:
    """What opened each scope a node was made in: full name -> its ``kind=``, outermost first.

    Pass a node's ``.scope``: the name a :class:`scope` block gave it carries
    the kinds. A name typed in, or one set by hand, carries none (``{}``);
    so do scopes opened without ``kind=``.

    >>> from autograd import Value, scope
    >>> with scope('layers.1', kind='Layer(16, 16, ReLU)'):
    ...     with scope('neurons.3', kind='ReLUNeuron(16)'):
    ...         w = Value(1.0, label='w')
    >>> scope_kinds(w.scope)
    {'layers.1': 'Layer(16, 16, ReLU)', 'layers.1.neurons.3': 'ReLUNeuron(16)'}
    >>> scope_kinds('layers.1.neurons.3')
    {}
    """
    found: list[tuple[str, str]] = []
    name: str | None = scope
    while isinstance(name, _ScopeName):
        if name.kind is not None:
            found.append((str(name), name.kind))
        name = name.outer
    return dict(reversed(found))


class detect_anomaly(contextlib.ContextDecorator):
    """Raise :class:`~autograd.AnomalyError` as soon as a value or gradient is NaN or inf.

    Inside the block every new node remembers the source line that made it, so
    the error names the op, its inputs and that line. Run both the forward pass
    and ``backward()`` inside the block. It is slow: use it to hunt a NaN, then
    take it out.
    """

    def __init__(self) -> None:
        self._saved: list[bool] = []

    def __enter__(self) -> detect_anomaly:
        self._saved.append(STATE.anomaly)
        STATE.anomaly = True
        return self

    def __exit__(self, *exc: object) -> None:
        STATE.anomaly = self._saved.pop()

    def _recreate_cm(self) -> detect_anomaly:
        return detect_anomaly()  # one object per decorated call, so threads never share it


# The packages of this distribution: a source line inside them is not the user's.
_LIBRARY_PACKAGES = ("autograd", "nn")


def _in_library(frame: Any) -> bool:
    name = frame.f_globals.get("__name__", "")
    return name.partition(".")[0] in _LIBRARY_PACKAGES


def _where(frame: Any) -> str:
    import linecache

    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    code = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno}" + (f": {code}" if code else "")


def user_source_line() -> str:
    """'file:line: code' of the innermost caller outside this distribution's packages.

    When the node was made inside ``nn`` (a layer's weighted sum, say), the line in
    ``nn`` follows in parentheses: ``model.py:12: out = model(x) (in nn/layers.py:134: ...)``.
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

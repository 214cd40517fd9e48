"""Naming scopes: every node made inside ``with scope('layers.1'):`` remembers that name.

``nn`` modules open one per module, so a picture of a big graph can group or collapse the
nodes a module made. A node keeps the :class:`ScopeName` it was made under: a ``str``
equal to the dotted name, which also remembers the kind of module that opened each level
(:func:`scope_kinds`) and, for a node made inside ``detect_anomaly()``, the line of code
that made it (``source``).
"""

from __future__ import annotations

from .modes import Mode, ModeBlock, current_mode
from .modes import set_mode as _set_mode
from .real_numbers import preview
from .scope_names import ScopeName

__all__ = ["current_scope", "scope", "scope_kinds"]

# Entering a scope looks its full name up here, so a scope entered once per neuron per
# call allocates nothing after the first time. Bounded: names made up on the fly
# (f"sample{i}") would otherwise pile up forever; clearing only costs a re-allocation.
CACHE_LIMIT = 4096
_TOP_LEVEL: dict[tuple[str, str | None], ScopeName] = {}


class scope(ModeBlock):
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

    def __init__(self, name: str, kind: str | None = None) -> None:
        if not isinstance(name, str):
            raise TypeError(f"scope needs a string name, got {type(name).__name__} "
                            f"{preview(name)}")
        if not name:
            raise ValueError("scope needs a non-empty name")
        if kind is not None and not isinstance(kind, str):
            raise TypeError(f"scope({name!r}, kind=...) needs a str or None, got "
                            f"{type(kind).__name__} {preview(kind)}")
        self.name = name
        self.kind = kind or None

    def inside(self, outer: Mode) -> Mode:
        # A module's scope is entered on every call, from the same outer mode: modes are
        # immutable, so the one made the first time is kept on the outer one and reused.
        key = (self.name, self.kind)
        made = outer.inner
        if made is None:
            made = outer.inner = {}
        else:
            mode = made.get(key)
            if mode is not None:
                return mode
        within = outer.scope
        cache = within.inner if within else _TOP_LEVEL
        full = cache.get(key)
        if full is None:
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            full = cache[key] = ScopeName(f"{within}.{self.name}" if within else self.name,
                                          self.kind, within or None)
        mode = Mode(outer.recording, full, outer.anomaly, outer)
        if len(made) >= CACHE_LIMIT:
            made.clear()
        made[key] = mode
        return mode

    # Entered once per module per call (nn: once per neuron): written out for speed.
    def __enter__(self) -> str:  # type: ignore[override]
        outer = current_mode()
        made = outer.inner
        mode = None if made is None else made.get((self.name, self.kind))
        if mode is None:
            mode = self.inside(outer)
        _set_mode(mode)
        return mode.scope

    def __exit__(self, *exc: object) -> None:
        _set_mode(current_mode().outer)  # type: ignore[arg-type]  # a scope's mode has one


def current_scope() -> str:
    """The dotted name of the innermost :class:`scope` block open in this thread ('' if none).

    >>> from autograd import scope, current_scope
    >>> with scope('critic'), scope('0'):
    ...     current_scope()
    'critic.0'
    """
    return current_mode().scope


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
    while isinstance(name, ScopeName):
        if name.kind is not None:
            found.append((str(name), name.kind))
        name = name.outer
    return dict(reversed(found))

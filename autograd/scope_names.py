"""The name a node keeps of the scope it was made in: a ``str`` that remembers more.

A :class:`ScopeName` equals the dotted name (``'layers.1.neurons.3'``) and also knows
the kind of module that opened each level and, for a node made inside
``detect_anomaly()``, the line of code that made it. Every node holds one (``TOP``,
equal to ``''``, outside any scope), so reading any of them needs no type test.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TOP", "ScopeName", "as_scope_name"]


class ScopeName(str):
    """A scope's full dotted name that also remembers what opened it.

    It is a ``str`` (equal to, and hashing as, the plain name). ``kind`` is the module
    kind given to :class:`scope` (or None), ``outer`` the enclosing scope's name,
    ``source`` the line of user code that made a node (only on nodes made inside
    ``detect_anomaly()``; '' otherwise).
    """

    kind: str | None
    outer: ScopeName | None
    inner: dict[tuple[str, str | None], ScopeName]
    source: str = ""

    def __new__(cls, full: str, kind: str | None = None,
                outer: ScopeName | None = None) -> ScopeName:
        self = super().__new__(cls, full)
        self.kind = kind
        self.outer = outer
        self.inner = {}
        return self

    def located(self, source: str) -> ScopeName:
        """This name, for one node made at ``source`` (a line of code)."""
        copy = ScopeName(str(self), self.kind, self.outer)
        copy.source = source
        return copy

    # Immutable: a copy is the same name (and deepcopy must not copy the scopes inside).
    def __copy__(self) -> ScopeName:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ScopeName:
        return self

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return str, (str(self),)  # a pickle holds the plain name


#: The top level: no scope.
TOP = ScopeName("")


def as_scope_name(name: str) -> ScopeName:
    """A name set by hand (``node.scope = 'encoder'``): it carries no kinds."""
    return name if isinstance(name, ScopeName) else ScopeName(name)


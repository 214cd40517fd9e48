"""Exception types raised by the engine."""

from __future__ import annotations


class DomainError(ValueError):
    """An op got an input outside its domain (log of a negative number, ...).

    ``op`` is the op's name, ``inputs`` the offending input values.
    """

    def __init__(self, message: str, op: str = "", inputs: tuple[float, ...] = ()) -> None:
        super().__init__(message)
        self.op = op
        self.inputs = inputs


class AnomalyError(FloatingPointError):
    """Inside ``detect_anomaly()``, a value or a gradient became NaN or infinite.

    ``op`` names the op, ``inputs`` holds its input values and ``source`` the
    line of user code that created the node (when it was created inside the
    block).
    """

    def __init__(
        self, message: str, op: str = "", inputs: tuple[float, ...] = (), source: str = ""
    ) -> None:
        super().__init__(message)
        self.op = op
        self.inputs = inputs
        self.source = source

"""What a compiled program raises when a function cannot be compiled, or its trace does not hold."""

from __future__ import annotations

__all__ = ["CompileError", "TraceMismatchError"]


class CompileError(TypeError):
    """The function cannot be compiled: a node made with a ``_backward`` closure, an output
    that is not a Value, example inputs that are not numbers, ..."""


class TraceMismatchError(ValueError):
    """Run eagerly at some sample, the function builds another graph than the one traced.

    A trace records the path the function took at its example inputs; a function that
    branches in Python on ``.data`` (``if x.data > 0``), draws random numbers or reads
    state that changes takes another path elsewhere, and the program would compute the
    wrong function there. ``sample`` is the position of the first such sample in the batch
    checked.
    """

    def __init__(self, message: str, sample: int = 0) -> None:
        super().__init__(message)
        self.sample = sample

"""The reach of the gradient suites: the op inputs they checked, recorded as they run.

The per-op and random-graph suites (test_properties_ops.py, test_properties_dags.py)
record every expression whose check passed into :data:`REACH`, while their own module
runs (:func:`recording`): other modules rerun those properties against a deliberately
broken engine, and such runs are not checks that passed. conftest.py prints the reach
at the end of the run; test_testing_reach.py fails when it falls short of an op's range.
"""

from __future__ import annotations

from collections.abc import Iterator

from autograd import Op
from autograd.testing import Expression
from autograd.testing.reach import Reach

REACH = Reach()
_RECORDING = [False]


def record(expr: Expression) -> None:
    """Record ``expr`` (its check passed) if a suite's own module is running."""
    if _RECORDING[0]:
        REACH.record(expr)


def record_input(op: Op, slot: int, x: float, constant: float | None = None) -> None:
    """Record one input of one node whose derivative by it was checked."""
    if _RECORDING[0]:
        REACH.record_input(op, slot, x, constant)


def recording() -> Iterator[None]:
    """The body of a module-scoped autouse fixture: record while the module runs."""
    _RECORDING[0] = True
    try:
        yield
    finally:
        _RECORDING[0] = False

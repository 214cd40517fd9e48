"""How many nodes a dropped graph leaves in reference cycles (for the tests that hold
built-in nodes to none).

Only Values are counted: the test runner's own threads (pytest-xdist talks to its workers
on one) may leave cyclic garbage of their own at any moment, so the number gc.collect()
returns says nothing about the graph.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from autograd import Value


def nodes_in_cycles(build: Callable[[], object]) -> int:
    """Call ``build`` (its result is dropped) and count the Values only the cycle collector
    could free."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        build()
        gc.collect()
        return sum(isinstance(o, Value) for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()

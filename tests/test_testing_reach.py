"""The reach of the gradient suites: every op checked across its whole range.

test_properties_ops.py and test_properties_dags.py record the inputs of every check
that passed (suite_reach.py); pytest runs this module after them. An op whose inputs
never went beyond 4, or never below 0.05, or never to the negative side its domain has,
fails here: a derivative wrong only there would pass every suite. The numbers are
printed at the end of the run (conftest.py).
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, given, settings
from suite_reach import REACH

from autograd.ops import BY_NAME, OPS
from autograd.testing import Expression
from autograd.testing.reach import Reach
from autograd.testing.strategies import applications


def test_the_gradient_suites_reach_every_op_across_its_range() -> None:
    everything = {op.name for op in OPS}
    if not everything <= REACH.ops():
        pytest.skip("the gradient suites did not run over the whole op table here")
    short = REACH.shortfalls(sorted(everything))
    assert not short, "the gradient suites fall short of these ranges:\n" + "\n".join(short)


def _reach_of(strategy_for: object, names: list[str], n: int = 60) -> Reach:
    reach = Reach()
    for name in names:

        @settings(max_examples=n, database=None, derandomize=True, phases=[Phase.generate])
        @given(strategy_for(BY_NAME[name]))  # type: ignore[operator]
        def record(node: Expression) -> None:
            reach.record(node)

        record()
    return reach


NAMES = ["exp", "log", "tanh", "pow_const", "relu", "rdiv_const", "mul"]


def test_the_strategies_reach_each_range_on_their_own() -> None:
    """The strategy alone, without the suites' checks and their ends: 150 draws of each."""
    names = ["exp", "tanh", "pow_const", "relu", "rdiv_const"]
    reach = _reach_of(applications, names, 150)
    assert reach.shortfalls(names) == []


def test_negative_control_bounded_draws_fall_short() -> None:
    """What the suites drew before (inputs within 4, 0.05 from every edge, the constant
    of x ** c anywhere in [-4, 4]) is named for every way it falls short."""
    reach = _reach_of(lambda op: applications(op, full_range=False), NAMES)
    short = "\n".join(reach.shortfalls(NAMES))
    for text in ("exp input 0: largest |x| checked at x > 0 is",
                 "log input 0: smallest |x| checked at x > 0 is",
                 "tanh input 0: largest |x| checked at x < 0",
                 "relu input 0: closest to the kink at 0 from below is",
                 "rdiv_const input 0: closest to the pole at 0 from above is"):
        assert text in short, short


def test_a_side_never_checked_is_named() -> None:
    reach = Reach()
    pow_const = BY_NAME["pow_const"]
    for x in (0.5, 1e-300, 1e150):
        reach.record_input(pow_const, 0, x, 2.0)
    assert "pow_const input 0: never checked at x < 0" in reach.shortfalls(["pow_const"])
    assert reach.shortfalls(["exp"]) == ["exp input 0: never checked"]


def test_the_report_reads_per_op_and_side() -> None:
    reach = Reach()
    relu = BY_NAME["relu"]
    for x in (-3.0, -1e-300, 2.0, 5e307):
        reach.record_input(relu, 0, x)
    (line,) = reach.report(["relu"])
    assert line.startswith("relu[0] (4): -: 1e-300..3 of 1e-300..1.8e+308; +: 2..5e+307 of ")
    assert "kink 0 at <1e-300 >2" in line

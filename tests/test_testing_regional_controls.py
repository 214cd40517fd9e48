"""Regional negative controls: a derivative wrong in one region only must be caught.

The suites once drew every input from a small box (|x| <= 4, 0.05 from every edge, x > 0
for x ** c): with exp's derivative doubled only beyond 8 every test passed, and with the
sign of d/dx x ** c flipped only for x < 0, only three hand-written tests failed. Here an
op's derivative is made wrong in one region (regional_bugs.py: beyond 8, below 0.01,
negative, just beside a kink or pole), and the per-op suite, rerun with the settings it
runs with, must fail; so must the check at the ends of each range. The default run takes
a representative subset (the two cases above among them); the deeper stage every op in
every region its range reaches, and counts what the random-graph suite catches too.
"""

from __future__ import annotations

from typing import Any

import pytest
import test_properties_dags as dags
import test_properties_ops as per_op
from hypothesis import given
from hypothesis import strategies as st
from regional_bugs import GRID, GRID_IDS, REGIONS, break_in_region, doubled, flipped
from test_testing_negative_control import _rerun

from autograd import Op
from autograd.ops import BY_NAME
from autograd.testing import GradientCheckError, check_grads
from autograd.testing.strategies import applications

# (op, region, how it is wrong): one op per region at least, the two cases of the issue
# first, and a derivative that is 0 there (relu below 0: wrong as 0.5).
SUBSET = [
    ("exp", "beyond 8", doubled),
    ("pow_const", "negative", flipped),
    ("tanh", "beyond 8", doubled),
    ("log", "below 0.01", doubled),
    ("relu", "negative", doubled),
    ("abs", "beside a kink or pole", doubled),
    ("rdiv_const", "beside a kink or pole", doubled),
    ("sigmoid", "below 0.01", doubled),
    ("mul", "beyond 8", doubled),
    ("logsumexp", "negative", doubled),
]
SUBSET_IDS = [f"{name}-{region.replace(' ', '-')}-{wrong.__name__}" for name, region, wrong
              in SUBSET]


def _per_op_suite_fails(op: Op) -> None:
    with pytest.raises(GradientCheckError) as info:
        _rerun(per_op.test_first_derivatives_match_numerical, data=st.data())(op=op)
    assert {m.op.name for m in info.value.nodes} == {op.name}  # the culprit is named


def _ends_fail(op: Op) -> None:
    with pytest.raises(GradientCheckError):
        per_op.test_first_derivatives_at_the_ends_of_each_range(op)


@pytest.mark.parametrize(("name", "region", "wrong"), SUBSET, ids=SUBSET_IDS)
def test_a_derivative_wrong_in_one_region_is_caught(
    name: str, region: str, wrong: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    op = BY_NAME[name]
    break_in_region(monkeypatch, op, REGIONS[region], wrong)
    _per_op_suite_fails(op)
    _ends_fail(op)


def test_bounded_draws_miss_a_bug_beyond_8(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the controls above are needed: the per-op property over the bounded draws it
    used before (|x| <= 4, away from every edge) passes exp with its derivative doubled
    beyond 8."""
    exp = BY_NAME["exp"]
    break_in_region(monkeypatch, exp, REGIONS["beyond 8"])

    def old_property(data: st.DataObject) -> None:
        node = data.draw(applications(exp, full_range=False))
        check_grads(node, node.point, order=1, atol=0.0)

    _rerun(given(data=st.data())(old_property), data=st.data())()  # passes: nothing caught
    _per_op_suite_fails(exp)


def test_the_subset_reaches_every_region() -> None:
    assert {region for _, region, _ in SUBSET} == set(REGIONS)
    assert all((BY_NAME[name], region) in GRID for name, region, _ in SUBSET)


@pytest.mark.deep
@pytest.mark.parametrize(("op", "region"), GRID, ids=GRID_IDS)
def test_every_op_wrong_in_each_region_is_caught(
    op: Op, region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_in_region(monkeypatch, op, REGIONS[region])
    _per_op_suite_fails(op)
    _ends_fail(op)


DAG_CAUGHT: list[str] = []


@pytest.mark.deep
@pytest.mark.parametrize(("op", "region"), GRID, ids=GRID_IDS)
def test_the_random_graph_suite_on_regional_bugs(
    op: Op, region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted, not required: random graphs give each op a handful of examples, and their
    tolerance follows the graph's scale, so a wrong slope of 1e-7 beyond 8 can pass them;
    the per-op suite is where each region is looked at."""
    break_in_region(monkeypatch, op, REGIONS[region])
    try:
        _rerun(dags.test_dag_gradients_match_numerical, data=st.data(), suite=dags.PER_OP)(op=op)
    except GradientCheckError:
        DAG_CAUGHT.append(f"{op.name}-{region}")


@pytest.mark.deep
def test_the_random_graph_suite_catches_some_regional_bugs() -> None:
    """Runs after the grid above (pytest keeps a module's order)."""
    if not DAG_CAUGHT:
        pytest.skip("the grid above did not run here")
    print(f"random-graph suite: caught {len(DAG_CAUGHT)} of {len(GRID)} regional bugs")
    assert len(DAG_CAUGHT) >= len(GRID) // 3

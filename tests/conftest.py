"""Hypothesis profiles: 'ci' (derandomized, no deadline), 'dev' (the default on a
workstation), 'thorough' (derandomized, 500 examples per property: CI's deeper stage)
and 'extended' (10,000 examples per property: at least 10,000 random
graphs against each oracle). Choose one with CHAINRULE_HYPOTHESIS_PROFILE=extended;
on CI (CI=true) 'ci' is the default.

Suites parametrized over the op table (random graphs featuring each op) use the
settings registered as 'per-op', derived from the active profile: each op gets its
share of the profile's examples, and at least 5, so that every op is in enough graphs
whatever the profile, and a property's examples add up to at least the profile's count."""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, settings

from autograd.ops import OPS

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=60)
# CI's deeper stage: the gradient suites and oracles again, derandomized, 500 examples each.
settings.register_profile("thorough", parent=settings.get_profile("ci"), max_examples=500)
settings.register_profile(
    "extended",
    deadline=None,
    max_examples=10_000,
    suppress_health_check=[HealthCheck.too_slow],
)
_default = "ci" if os.environ.get("CI") else "dev"
settings.load_profile(os.environ.get("CHAINRULE_HYPOTHESIS_PROFILE", _default))
settings.register_profile(
    "per-op",
    parent=settings(),
    max_examples=max(5, math.ceil(settings().max_examples / len(OPS))),
)


# --- pytest-xdist: modules that share state run in one worker ---------------------------------
# The gradient suites record their reach, which test_testing_reach.py checks; the last test of
# test_oracles.py and of test_testing_regional_controls.py counts what the tests before it
# found. Every other test is sent to whichever worker is free.

WORKER_GROUPS = {
    "tests/test_properties_dags.py": "reach",
    "tests/test_properties_ops.py": "reach",
    "tests/test_testing_reach.py": "reach",
    "tests/test_oracles.py": "oracles",
    "tests/test_testing_regional_controls.py": "regional",
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):  # type: ignore[no-untyped-def]
    if config.getvalue("dist") != "load":  # another --dist asked for on the command line
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Grouped(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return WORKER_GROUPS.get(nodeid.split("::")[0], nodeid)

    return Grouped(config, log)


# --- CHAINRULE_NO_SKIP=1: a skipped test fails the run -------------------------------
# CI sets it for the deeper stage, where PyTorch and Chromium are installed: a test that
# skips there (an import that failed, a browser not found) would otherwise pass unseen.

_SKIPPED: list[str] = []


def pytest_runtest_logreport(report):  # type: ignore[no-untyped-def]
    if report.skipped and os.environ.get("CHAINRULE_NO_SKIP") == "1":
        _SKIPPED.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: send its reach to the main process
        from suite_reach import REACH

        workeroutput["reach"] = (len(REACH), REACH.report() if len(REACH) else [])
    if _SKIPPED and session.exitstatus == 0:
        session.exitstatus = 1


# The reach of the gradient suites, as each pytest-xdist worker reported it (the group of
# modules that records it runs in one worker).
_WORKER_REACH: list[tuple[int, list[str]]] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):  # type: ignore[no-untyped-def]
    count, lines = getattr(node, "workeroutput", {}).get("reach", (0, []))
    if count:
        _WORKER_REACH.append((count, lines))


def pytest_terminal_summary(terminalreporter):  # type: ignore[no-untyped-def]
    # The reach of the gradient suites (suite_reach.py): the inputs each op was checked at.
    from suite_reach import REACH

    reached = _WORKER_REACH + ([(len(REACH), REACH.report())] if len(REACH) else [])
    for count, lines in reached:
        terminalreporter.write_line(
            f"\nreach of the gradient suites: |input| checked per side of 0 ('+' and '-'), of "
            f"the range where a check means something, and the closest approach to each edge "
            f"({count} inputs checked):")
        for line in lines:
            terminalreporter.write_line(f"  {line}")
    if _SKIPPED:
        terminalreporter.write_line(
            f"CHAINRULE_NO_SKIP=1: {len(_SKIPPED)} test(s) skipped, which fails this run: "
            + ", ".join(_SKIPPED[:10]), red=True)

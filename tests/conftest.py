"""Hypothesis profiles: 'ci' (derandomized, no deadline), 'dev' (the default on a
workstation) and 'extended' (10,000 examples per property: at least 10,000 random
graphs against each oracle). Choose one with CHAINRULE_HYPOTHESIS_PROFILE=extended;
on CI (CI=true) 'ci' is the default.

Suites parametrized over the op table (random graphs featuring each op) use the
settings registered as 'per-op', derived from the active profile: each op gets its
share of the profile's examples, and at least 5, so that every op is in enough graphs
whatever the profile, and a property's examples add up to at least the profile's count."""

from __future__ import annotations

import math
import os

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


# --- CHAINRULE_NO_SKIP=1: a skipped test fails the run -------------------------------
# CI sets it for the deeper stage, where PyTorch and Chromium are installed: a test that
# skips there (an import that failed, a browser not found) would otherwise pass unseen.

_SKIPPED: list[str] = []


def pytest_runtest_logreport(report):  # type: ignore[no-untyped-def]
    if report.skipped and os.environ.get("CHAINRULE_NO_SKIP") == "1":
        _SKIPPED.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    if _SKIPPED and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):  # type: ignore[no-untyped-def]
    # The reach of the gradient suites (suite_reach.py): the inputs each op was checked at.
    from suite_reach import REACH

    if len(REACH):
        terminalreporter.write_line(
            f"\nreach of the gradient suites: |input| checked per side of 0 ('+' and '-'), of "
            f"the range where a check means something, and the closest approach to each edge "
            f"({len(REACH)} inputs checked):")
        for line in REACH.report():
            terminalreporter.write_line(f"  {line}")
    if _SKIPPED:
        terminalreporter.write_line(
            f"CHAINRULE_NO_SKIP=1: {len(_SKIPPED)} test(s) skipped, which fails this run: "
            + ", ".join(_SKIPPED[:10]), red=True)

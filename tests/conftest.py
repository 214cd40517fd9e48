"""Hypothesis profiles: 'ci' (derandomized, no deadline), 'dev' (the default on a
workstation) and 'extended' (10,000 examples per property: at least 10,000 random
graphs against each oracle). Choose one with CHAINRULE_HYPOTHESIS_PROFILE=extended;
on CI (CI=true) 'ci' is the default."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

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

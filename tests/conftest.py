"""Shared test setup: the hypothesis profiles.

``dev`` (the default) keeps local runs quick; ``ci`` (``HYPOTHESIS_PROFILE=ci``,
set by ``.ci/run``) is derandomized so a CI failure reproduces, and runs more
examples. Tests that need the issue's sizes scale them with
:func:`sizes.examples`.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from sizes import CI_PROFILE, DEFAULT_PROFILE, active_profile

settings.register_profile(DEFAULT_PROFILE, max_examples=50, deadline=None)
settings.register_profile(
    CI_PROFILE,
    derandomize=True,
    deadline=None,
    max_examples=200,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(active_profile())

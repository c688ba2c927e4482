"""How many examples a property test runs: the issue's size in CI, a fraction locally.

Usage::

    @settings(max_examples=examples(ci=2_000))
    @given(...)
    def test_allocation_sums_to_the_whole(...): ...

The active profile comes from the ``HYPOTHESIS_PROFILE`` environment variable
(``dev`` when unset), the same variable ``tests/conftest.py`` loads the profile
from; ``.ci/run`` sets it to ``ci``.
"""

from __future__ import annotations

import os
from typing import Final

__all__ = ["CI_PROFILE", "DEFAULT_PROFILE", "PROFILE_ENV", "active_profile", "examples"]

#: The environment variable naming the hypothesis profile to load.
PROFILE_ENV: Final = "HYPOTHESIS_PROFILE"
#: The profile used when the variable is unset: quick local runs.
DEFAULT_PROFILE: Final = "dev"
#: The profile .ci/run selects: derandomized, full sizes.
CI_PROFILE: Final = "ci"

_DEV_FLOOR: Final = 20
_DEV_DIVISOR: Final = 20


def active_profile() -> str:
    """Return the name of the hypothesis profile this run uses."""
    return os.environ.get(PROFILE_ENV, DEFAULT_PROFILE)


def examples(ci: int, dev: int | None = None) -> int:
    """Return ``ci`` under the ``ci`` profile, else ``dev`` (default ``max(20, ci // 20)``).

    Raises:
        ValueError: ``ci`` or ``dev`` is below 1.
    """
    if ci < 1:
        msg = f"ci must be at least 1, got {ci}"
        raise ValueError(msg)
    if dev is not None and dev < 1:
        msg = f"dev must be at least 1, got {dev}"
        raise ValueError(msg)
    if active_profile() == CI_PROFILE:
        return ci
    if dev is None:
        return max(_DEV_FLOOR, ci // _DEV_DIVISOR)
    return dev

"""tests/sizes.py: the issue's example counts in CI, a fraction of them locally."""

from __future__ import annotations

import pytest

from sizes import PROFILE_ENV, active_profile, examples


def test_ci_profile_gets_the_full_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROFILE_ENV, "ci")

    assert active_profile() == "ci"
    assert examples(2_000) == 2_000
    assert examples(2_000, dev=7) == 2_000


def test_dev_profile_gets_a_twentieth_but_at_least_twenty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROFILE_ENV, "dev")

    assert examples(2_000) == 100
    assert examples(100) == 20
    assert examples(100, dev=3) == 3


def test_unset_profile_means_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROFILE_ENV, raising=False)

    assert active_profile() == "dev"
    assert examples(1_000) == 50


@pytest.mark.parametrize(("ci", "dev"), [(0, None), (-5, None), (10, 0)])
def test_sizes_below_one_are_refused(ci: int, dev: int | None) -> None:
    with pytest.raises(ValueError, match="must be at least 1"):
        examples(ci, dev)

"""I2 for subscriptions: ``kill -9`` between closing a period and issuing it, and many workers at once.

A child process is SIGKILLed at each generation fault point (after a page's drafts,
before issuing, while numbering, after the page commits); the next run finishes the
work once: every (subscription, period) has one invoice, every usage record is billed
once (no usage lost, none twice), and the invariants hold. Then four processes run
``subscriptions_due`` at once on SQLite and PostgreSQL with the same result.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pytest

from integration.subscription_workers import CALLS, generate, make_subscriptions, outcome
from pg import admin_connect, pg_url, schema_url  # noqa: F401 - pg_url is a fixture

pytestmark = pytest.mark.slow

TESTS: Final = Path(__file__).resolve().parents[1]
#: Four monthly bills are due (January to April 2026), three months of usage billed.
NOW: Final = datetime(2026, 4, 2, 12, tzinfo=UTC)
BILLS: Final = 4
MONTHS: Final = 3
SUBSCRIPTIONS: Final = 40
WORKERS: Final = 4


@pytest.fixture(name="store_url", params=["sqlite", "postgresql"])
def _store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/subscriptions.db"
        return
    url: str = request.getfixturevalue("pg_url")
    schema = f"subcrash_{os.getpid()}_{len(request.node.name)}"
    with admin_connect(url) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    yield schema_url(url, schema)
    with admin_connect(url) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")


def _expect_complete(found: dict[str, Any], subscriptions: list[str]) -> None:
    wanted = sorted((s, k) for s in subscriptions for k in range(BILLS))
    assert found["periods"] == wanted  # one invoice per (subscription, period): none twice
    assert found["statuses"] == {"pending"}
    assert found["numbers"] == len(wanted)
    assert found["calls"] == len(subscriptions) * MONTHS * CALLS * 10  # no usage lost
    assert set(found["last_index"].values()) == {BILLS - 1}
    assert found["to_issue"] == []
    assert found["violations"] == []


def _run_child(url: str, fault: str | None) -> int:
    env = {k: v for k, v in os.environ.items() if k != "INVOICEKIT_FAULT"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    if fault is not None:
        env["INVOICEKIT_FAULT"] = fault
    command = [sys.executable, "-m", "integration.subscription_workers", "generate", url]
    done = subprocess.run(
        [*command, NOW.isoformat()], env=env, capture_output=True, timeout=300, check=False
    )
    return done.returncode


#: Where the child is killed: inside the page's transaction after drafting, before
#: issuing, in the middle of numbering (all rolled back together), after the page commits.
FAULTS: Final = (
    "subscriptions_after_draft:60",
    "subscriptions_before_issue:1",
    "after_number_alloc:100",
    "subscriptions_after_issue:1",
)


@pytest.mark.parametrize("fault", FAULTS)
def test_kill_9_between_closing_and_issuing_then_the_next_run_finishes_once(
    store_url: str, fault: str
) -> None:
    subscriptions = make_subscriptions(store_url, SUBSCRIPTIONS, MONTHS)
    assert _run_child(store_url, fault) == -signal.SIGKILL
    assert _run_child(store_url, None) == 0
    found = outcome(store_url, NOW)
    _expect_complete(found, subscriptions)
    assert _run_child(store_url, None) == 0
    assert outcome(store_url, NOW) == found  # a further run changes nothing


def test_workers_at_once_bill_each_period_once(store_url: str) -> None:
    subscriptions = make_subscriptions(store_url, SUBSCRIPTIONS, MONTHS)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        drafted = pool.starmap(generate, [(store_url, NOW)] * WORKERS)
    assert sum(drafted) == SUBSCRIPTIONS * BILLS
    _expect_complete(outcome(store_url, NOW), subscriptions)

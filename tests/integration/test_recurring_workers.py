"""T14 and T28 for recurring generation: many workers at once, and ``kill -9`` mid-run.

T14: 8 processes run ``billing.recurring_due()`` three times each, at once, against
one PostgreSQL database (templates claimed with ``FOR UPDATE SKIP LOCKED``) and one
SQLite file (one writer at a time): every (template, period) has exactly one invoice,
every invoice is issued, numbers run 1..N with no gap, no template is left behind.

T28: a child process is SIGKILLed at each generation fault point (inside the draft
transaction, after it commits, after the drafts are issued); the next run finishes
the work once, with the same outcome as a run never killed.
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

from integration.recurring_workers import generate, make_templates, outcome
from pg import admin_connect, pg_url, schema_url  # noqa: F401 - pg_url is a fixture

pytestmark = pytest.mark.slow

TESTS: Final = Path(__file__).resolve().parents[1]
#: Five monthly periods are due (January to May 2026).
NOW: Final = datetime(2026, 5, 20, 12, tzinfo=UTC)
PERIODS: Final = 5
WORKERS: Final = 8
TEMPLATES: Final = 120


@pytest.fixture(name="store_url", params=["postgresql", "sqlite"])
def _store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store: a new PostgreSQL schema, or a new SQLite file."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/recurring.db"
        return
    url: str = request.getfixturevalue("pg_url")
    schema = f"recurring_{os.getpid()}_{len(request.node.name)}"
    with admin_connect(url) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    yield schema_url(url, schema)
    with admin_connect(url) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")


def _expect_complete(found: dict[str, Any], templates: list[str]) -> None:
    wanted = sorted((t, k) for t in templates for k in range(PERIODS))
    assert sorted(found["periods"]) == wanted  # each period once: no duplicate, none missed
    assert found["statuses"] == {"pending"}
    count = len(templates) * PERIODS
    assert found["numbers"] == [f"INV-2026-{k:05d}" for k in range(1, count + 1)]  # no gap
    assert set(found["last_index"].values()) == {PERIODS - 1}
    assert found["to_issue"] == []
    assert found["violations"] == []


def test_eight_workers_generate_each_period_once(store_url: str) -> None:
    templates = make_templates(store_url, TEMPLATES)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        drafted = pool.starmap(generate, [(store_url, NOW)] * WORKERS)
    assert sum(drafted) == TEMPLATES * PERIODS
    _expect_complete(outcome(store_url, NOW), templates)


def _run_child(url: str, fault: str | None) -> int:
    env = {k: v for k, v in os.environ.items() if k != "INVOICEKIT_FAULT"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    if fault is not None:
        env["INVOICEKIT_FAULT"] = fault
    command = [sys.executable, "-m", "integration.recurring_workers", "generate", url]
    done = subprocess.run(
        [*command, NOW.isoformat()], env=env, capture_output=True, timeout=120, check=False
    )
    return done.returncode


#: Where the child is killed: inside the second page's transaction after drafting, before
#: issuing, in the middle of issuing (all rolled back together), after the page commits.
FAULTS: Final = (
    "recurring_after_draft:60",
    "recurring_before_issue:1",
    "after_number_alloc:150",
    "recurring_after_issue:1",
)


@pytest.mark.parametrize("fault", FAULTS)
def test_kill_9_mid_generation_then_the_next_run_finishes_once(store_url: str, fault: str) -> None:
    templates = make_templates(store_url, 60)
    assert _run_child(store_url, fault) == -signal.SIGKILL
    assert _run_child(store_url, None) == 0
    found = outcome(store_url, NOW)
    _expect_complete(found, templates)
    assert _run_child(store_url, None) == 0
    assert outcome(store_url, NOW) == found  # a further run changes nothing

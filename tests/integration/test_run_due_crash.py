"""T28 (run_due part): ``kill -9`` during ``run_due`` loses nothing, and the next run finishes once.

A child process runs ``run_due`` on a SQLite file with 8 overdue invoices (mark overdue,
a late-fee invoice and the d+7 reminder each) and is SIGKILLed at the n-th commit, before
or after it. The next ``run_due`` (and a dispatch once the killed child's message leases
have expired) leaves exactly what an uninterrupted run leaves: every invoice overdue,
one fee invoice per invoice, one d+7 reminder per invoice, all delivered.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final

import pytest

import invoicekit as ik
from invoicekit.domain.dunning import DunningPolicy, LateFee, Step
from invoicekit.records import MessageStatus
from invoicekit.testing import FixedClock, MemoryNotifier, MemoryRenderer
from invoicekit.testing.invariants import check_all

pytestmark = pytest.mark.slow

TESTS: Final = Path(__file__).resolve().parents[1]
ISSUED: Final = datetime(2026, 3, 2, 9, tzinfo=UTC)
NOW: Final = datetime(2026, 3, 24, 10, tzinfo=UTC)
INVOICES: Final = 8
POLICY: Final = DunningPolicy(
    steps=[Step(days=7, late_fee=LateFee(fixed={"EUR": "40.00"}))], skip_weekends=False
)
LINE: Final = ik.Line("Work", quantity=Decimal(1), unit_price=Decimal("100.00"), tax=ik.Vat("19"))
#: Where the child dies: the n-th hit of a fault point (3 commits per invoice: overdue, fee, reminder).
KILLS: Final = [
    ("before_commit", 1),
    ("after_commit", 2),
    ("before_commit", 9),
    ("after_commit", 14),
    ("before_commit", 18),
    ("after_commit", 23),
    ("after_number_alloc", 5),  # inside a late fee's transaction: the fee is all or nothing
]


def open_billing(path: Path, at: datetime, mail: MemoryNotifier) -> ik.Billing:
    return ik.Billing.sqlite(
        path, clock=FixedClock(at), notifiers=[mail], renderer=MemoryRenderer()
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("run-due") / "template.db"
    with open_billing(path, ISSUED, MemoryNotifier()) as billing:
        seller = billing.sellers.create(
            id="s1", name="Northwind", country="DE", currency="EUR", dunning=POLICY
        )
        books = billing.seller(seller.id)
        globex = books.customers.create("Globex", id="c1", email="ap@globex.example")
        for n in range(INVOICES):
            draft = books.invoices.draft(globex.id, lines=[LINE], id=f"i{n}", terms=ik.NetDays(14))
            books.invoices.issue(draft.id)
    return path


def run_child(path: Path, fault: str) -> int:
    env = {**os.environ, "INVOICEKIT_FAULT": fault}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "integration.run_due_child", str(path), NOW.isoformat()]
    return subprocess.run(command, env=env, timeout=120, check=False).returncode


@pytest.mark.parametrize(("point", "nth"), KILLS, ids=[f"{p}:{n}" for p, n in KILLS])
def test_kill_9_during_run_due_loses_nothing(
    template: Path, tmp_path: Path, point: str, nth: int
) -> None:
    path = tmp_path / "books.db"
    shutil.copyfile(template, path)
    assert run_child(path, f"{point}:{nth}") == -signal.SIGKILL

    mail = MemoryNotifier()
    later = NOW + timedelta(minutes=10)  # the killed child's message leases have expired
    with open_billing(path, later, mail) as billing:
        billing.run_due(NOW)
        billing.dispatch(limit=1000)
        again = billing.run_due(NOW)
        assert again.done == ()
        books = billing.seller("s1")
        ids = [f"i{n}" for n in range(INVOICES)]
        assert {books.invoices.get(i).status for i in ids} == {ik.Status.OVERDUE}
        fees = Counter(
            i.metadata["late_fee_for"] for i in books.invoices.list(limit=1000) if i.id not in ids
        )
        assert fees == dict.fromkeys(ids, 1)
        messages = [m for m in books.messages.list(limit=1000) if m.kind == "reminder"]
        assert sorted(m.key for m in messages) == sorted(f"{i}:reminder:d+7:email" for i in ids)
        assert {m.status for m in messages} == {MessageStatus.SENT}
        assert check_all(billing, "s1") == []

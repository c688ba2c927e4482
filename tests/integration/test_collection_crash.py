"""T29 ``crash_between_provider_charge_and_commit``: kill -9 around a charge takes the money once.

A child process runs ``run_due`` over invoices charged automatically by the sandbox
(its state in an SQLite file the parent shares, so the charges survive) and is
SIGKILLed at a named point: after the attempt is recorded and before the provider is
asked, after the provider charged and before the outcome is recorded
(``after_provider_call``), or around a commit. The next runs finish the work: every
invoice paid, every attempt key charged at most once, no charge without its invoice paid.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final

import pytest

import invoicekit as ik
from integration.collection_child import sandbox
from invoicekit.testing import FixedClock, MemoryNotifier, MemoryRenderer
from invoicekit.testing.invariants import check_all

pytestmark = pytest.mark.slow

TESTS: Final = Path(__file__).resolve().parents[1]
NOW: Final = datetime(2026, 3, 2, 10, tzinfo=UTC)
INVOICES: Final = 5
LINE: Final = ik.Line("Work", quantity=Decimal(1), unit_price=Decimal("100.00"), tax=ik.Vat("19"))
#: Where the child dies: the n-th hit of a fault point (the charge window is the point).
KILLS: Final = [
    ("collect_attempt_recorded", 1),
    ("collect_attempt_recorded", 4),
    ("after_provider_call", 1),
    ("after_provider_call", 2),
    ("after_provider_call", 5),
    ("before_commit", 2),
    ("after_commit", 3),
    ("before_commit", 6),
]


def open_billing(books: Path, state: Path) -> ik.Billing:
    clock = FixedClock(NOW)
    return ik.Billing.sqlite(
        books,
        clock=clock,
        notifiers=[MemoryNotifier(channel="email")],
        renderer=MemoryRenderer(),
        payments=[sandbox(str(state), clock)],
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("collect")
    books, state = folder / "books.db", folder / "sandbox.db"
    with open_billing(books, state) as billing:
        billing.sellers.create(
            id="s1", name="Northwind", country="DE", currency="EUR",
            collection="charge_automatically",
        )  # fmt: skip
        seller = billing.seller("s1")
        customer = seller.customers.create("Globex", id="c1", email="ap@globex.example")
        provider = billing.providers["sandbox"]
        method = provider.save_method(customer.id, consent="Charge my card.")  # type: ignore[attr-defined]
        seller.customers.save_payment_method(customer.id, method)
        for n in range(INVOICES):
            draft = seller.invoices.draft(customer.id, lines=[LINE], id=f"i{n}")
            seller.invoices.issue(draft.id)
    return books, state


def copy_sqlite(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def run_child(books: Path, state: Path, fault: str) -> int:
    env = {**os.environ, "INVOICEKIT_FAULT": fault}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    command = [
        sys.executable, "-m", "integration.collection_child", str(books), str(state),
        NOW.isoformat(),
    ]  # fmt: skip
    return subprocess.run(command, env=env, timeout=120, check=False).returncode


@pytest.mark.parametrize(("point", "nth"), KILLS, ids=[f"{p}:{n}" for p, n in KILLS])
def test_kill_9_around_a_charge_charges_once(
    template: tuple[Path, Path], tmp_path: Path, point: str, nth: int
) -> None:
    books, state = tmp_path / "books.db", tmp_path / "sandbox.db"
    shutil.copyfile(template[0], books)
    copy_sqlite(template[1], state)  # the sandbox's state is in WAL mode: copy through SQLite
    assert run_child(books, state, f"{point}:{nth}") == -signal.SIGKILL

    with open_billing(books, state) as billing:
        billing.run_due(NOW)
        assert billing.run_due(NOW).done == ()
        charges = billing.providers["sandbox"].charges()  # type: ignore[attr-defined]
        per_key = Counter(c["key"] for c in charges)
        assert per_key == {f"collect:i{n}:0": 1 for n in range(INVOICES)}
        seller = billing.seller("s1")
        for n in range(INVOICES):
            invoice = seller.invoices.get(f"i{n}")
            assert invoice.status is ik.Status.PAID
            assert len(invoice.payments) == 1
        assert check_all(billing, "s1") == []

"""Code that runs in other processes for the concurrency (T11) and crash (T28) tests.

Spawned processes import this module by name (``tests/`` is on ``sys.path`` through
pytest's ``pythonpath``, and the crash test puts it on ``PYTHONPATH`` for its child),
so everything here is a top-level function with picklable arguments.

Run as a script (``python -m integration.workers issue-many DB [--payments]``) it opens
the SQLite file with the fault points armed from ``$INVOICEKIT_FAULT`` and issues the
drafts made by :func:`make_store` with ``issue_many``; it writes ``ready`` to stdout
just before the work starts, so a parent can time a kill into the work.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import invoicekit as ik
from invoicekit.domain.invoice import Invoice
from invoicekit.errors import ConcurrencyError, InvoiceKitError
from invoicekit.faults import FaultPoints
from invoicekit.ports import PaymentProvider
from invoicekit.testing import FixedClock, MemoryPayments

__all__ = [
    "BATCH",
    "CUSTOMER",
    "DRAFTS",
    "NOW",
    "SELLER",
    "InjectedRollbackError",
    "draft_ids",
    "issue_drafts",
    "main",
    "make_store",
    "open_billing",
]

#: The instant every process's clock shows (2026: numbers are INV-2026-NNNNN).
NOW: Final = datetime(2026, 3, 2, 9, tzinfo=UTC)
SELLER: Final = "s1"
CUSTOMER: Final = "c1"
#: How many drafts the crash test issues, and how many per transaction.
DRAFTS: Final = 200
BATCH: Final = 20


class InjectedRollbackError(Exception):
    """Raised by a fault point to make the running transaction roll back."""


def open_billing(
    path: str | Path, *, faults: FaultPoints | None = None, payments: bool = False
) -> ik.Billing:
    """The SQLite store at ``path`` with the fixed clock and, optionally, payment links."""
    provider: PaymentProvider | None = MemoryPayments() if payments else None
    return ik.Billing.sqlite(path, clock=FixedClock(NOW), faults=faults, payments=provider)


def draft_ids(prefix: str, count: int) -> list[str]:
    """The ids of ``count`` drafts named ``prefix-00000``, ``prefix-00001``, ..."""
    return [f"{prefix}-{k:05d}" for k in range(count)]


def make_store(path: str | Path, ids: list[str]) -> None:
    """Create the seller, its customer and one draft per id (amounts differ per draft).

    The drafts are written in one transaction through the storage port: a few
    thousand one-draft transactions would cost more than the test they prepare.
    """
    billing = open_billing(path)
    try:
        billing.sellers.create(
            id=SELLER, name="Northwind", country="DE", currency="EUR", timezone="Europe/Berlin"
        )
        books = billing.seller(SELLER)
        books.customers.create("Globex", email="ap@globex.example", id=CUSTOMER)
        with billing.storage.transaction() as tx:
            seller = tx.sellers.get(SELLER)
            customer = tx.customers.get(SELLER, CUSTOMER)
            for k, invoice_id in enumerate(ids):
                line = ik.Line(
                    f"Work {k}",
                    quantity=str(k % 7 + 1),
                    unit_price=f"{10 + k % 13}.{k % 100:02d}",
                    tax=ik.Vat("19" if k % 3 else "7"),
                )
                draft = Invoice.draft(
                    id=invoice_id, seller=seller, customer=customer, lines=[line], at=NOW
                )
                tx.invoices.add(draft)
    finally:
        billing.close()


def _t11_faults(rng: random.Random, rollback_share: float) -> FaultPoints:
    """Sleep 0-5 ms after taking a number; roll back ``rollback_share`` of the issues."""

    def nap() -> None:
        time.sleep(rng.uniform(0, 0.005))

    def maybe_roll_back() -> None:
        if rng.random() < rollback_share:
            raise InjectedRollbackError("T11: injected rollback at before_commit")

    return FaultPoints({"after_number_alloc": nap, "before_commit": maybe_roll_back})


def issue_drafts(
    path: str,
    ids: list[str],
    *,
    seed: int,
    rollback_share: float,
    barrier: Any,
    results: Any,
) -> None:
    """T11 worker: wait on ``barrier``, then issue each of ``ids`` once, one call each.

    Puts one dict on ``results``: the (id, number) pairs committed, the ids rolled back
    by the injected fault, the ConcurrencyErrors, raw ``sqlite3`` errors that escaped,
    any other error, and the seconds spent.
    """
    report: dict[str, Any] = {
        "seed": seed,
        "committed": [],
        "rolled_back": [],
        "concurrency": [],
        "raw_sqlite": [],
        "other": [],
        "seconds": 0.0,
    }
    try:
        rng = random.Random(seed)  # noqa: S311 - fault timing, not security
        billing = open_billing(path, faults=_t11_faults(rng, rollback_share))
        books = billing.seller(SELLER)
        barrier.wait(timeout=120)
        start = time.perf_counter()
        for invoice_id in ids:
            try:
                issued = books.invoices.issue(invoice_id)
            except InjectedRollbackError:
                report["rolled_back"].append(invoice_id)
            except ConcurrencyError as exc:
                report["concurrency"].append(f"{invoice_id}: {exc}")
            except sqlite3.Error as exc:
                report["raw_sqlite"].append(f"{invoice_id}: {type(exc).__name__}: {exc}")
            except InvoiceKitError as exc:
                report["other"].append(f"{invoice_id}: {type(exc).__name__}: {exc}")
            else:
                report["committed"].append((invoice_id, issued.number))
        report["seconds"] = time.perf_counter() - start
        billing.close()
    except BaseException:  # noqa: BLE001 - everything goes back to the parent, which fails the test
        report["other"].append(traceback.format_exc())
    results.put(report)


def _issue_many(path: str, *, payments: bool, announce: Callable[[], None]) -> None:
    billing = open_billing(path, faults=FaultPoints.from_env(), payments=payments)
    try:
        books = billing.seller(SELLER)
        ids = draft_ids("d", DRAFTS)
        announce()
        books.invoices.issue_many(ids, batch_size=BATCH)
    finally:
        billing.close()


def main(argv: list[str] | None = None) -> int:
    """``issue-many DB [--payments]``: issue the crash test's drafts (see the module doc)."""
    parser = argparse.ArgumentParser(prog="python -m integration.workers")
    sub = parser.add_subparsers(dest="command", required=True)
    issue = sub.add_parser("issue-many", help="issue_many over the 200 drafts of make_store")
    issue.add_argument("db")
    issue.add_argument("--payments", action="store_true", help="with MemoryPayments links")
    args = parser.parse_args(argv)

    def announce() -> None:
        sys.stdout.write("ready\n")
        sys.stdout.flush()

    _issue_many(args.db, payments=args.payments, announce=announce)
    return 0


if __name__ == "__main__":
    sys.exit(main())

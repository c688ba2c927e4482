"""Code run in other processes by the recurring generation tests (T14, T28 for generation).

``python -m integration.recurring_workers generate URL NOW`` opens ``URL`` with the
fault points armed from ``$INVOICEKIT_FAULT`` and the clock at ``NOW`` (ISO), prints
``ready`` and runs ``billing.recurring_due()`` once. Spawned processes import this
module by name, so everything here is a top-level function with picklable arguments.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from typing import Any, Final

import invoicekit as ik
from invoicekit.faults import FaultPoints
from invoicekit.testing import FixedClock
from invoicekit.testing.invariants import check_all

__all__ = ["SELLER", "START", "generate", "main", "make_templates", "outcome"]

SELLER: Final = "s-rec"
#: The clock when the templates are created.
START: Final = datetime(2026, 1, 1, 6, tzinfo=UTC)


def _billing(url: str, now: datetime, faults: FaultPoints | None = None) -> ik.Billing:
    return ik.Billing.from_url(url, clock=FixedClock(now), faults=faults)


def make_templates(url: str, count: int) -> list[str]:
    """One seller, ``count`` customers, a monthly 1st-of-month template each; their ids."""
    billing = _billing(url, START)
    try:
        billing.sellers.create(
            id=SELLER, name="Northwind", country="DE", currency="EUR", timezone="Europe/Berlin"
        )
        books = billing.seller(SELLER)
        ids = []
        for k in range(count):
            customer = books.customers.create(f"Client {k}", id=f"c-{k:04d}")
            template = books.recurring.create(
                customer.id,
                schedule=ik.Schedule.monthly(date(2026, 1, 1), "Europe/Berlin"),
                lines=[
                    ik.Line("Retainer {month_name} {year}", 1, f"{100 + k}.00", tax=ik.Vat("19"))
                ],
                terms=ik.NetDays(14),
                id=f"t-{k:04d}",
            )
            ids.append(template.id)
        return ids
    finally:
        billing.close()


def generate(url: str, now: datetime, rounds: int = 3) -> int:
    """Run ``recurring_due`` ``rounds`` times at ``now``; how many invoices this worker drafted."""
    billing = _billing(url, now)
    try:
        return sum(len(billing.recurring_due().generated) for _ in range(rounds))
    finally:
        billing.close()


def outcome(url: str, now: datetime) -> dict[str, Any]:
    """What the store holds: invoices per (template, period), numbers, progress, invariants."""
    billing = _billing(url, now)
    try:
        books = billing.seller(SELLER)
        invoices = []
        after = None
        while True:
            page = books.invoices.list(limit=500, after=after)
            if not page:
                break
            invoices += page
            after = page[-1].id
        periods = [(inv.metadata["recurring_template"], inv.metadata["period"]) for inv in invoices]
        records = [books.recurring.progress(t.id) for t in books.recurring.list(limit=1000)]
        return {
            "invoices": len(invoices),
            "periods": periods,
            "statuses": {str(inv.status) for inv in invoices},
            "numbers": sorted(inv.number or "" for inv in invoices),
            "last_index": {r.template.id: r.last_index for r in records},
            "to_issue": [i for r in records for i in r.to_issue],
            "violations": check_all(billing, SELLER),
        }
    finally:
        billing.close()


def main(argv: list[str] | None = None) -> int:
    """``generate URL NOW``: one run with fault points from the environment."""
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["generate"])
    parser.add_argument("url")
    parser.add_argument("now")
    args = parser.parse_args(argv)
    billing = _billing(args.url, datetime.fromisoformat(args.now), FaultPoints.from_env())
    try:
        print("ready", flush=True)  # noqa: T201 - the parent reads it
        billing.recurring_due()
    finally:
        billing.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

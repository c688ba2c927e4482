"""Code run in other processes by the subscription crash and worker tests (I2, issue 16).

``python -m integration.subscription_workers generate URL NOW`` opens ``URL`` with the
fault points armed from ``$INVOICEKIT_FAULT`` and the clock at ``NOW`` (ISO), prints
``ready`` and runs ``billing.subscriptions_due()`` once. Spawned processes import this
module by name, so everything here is a top-level function with picklable arguments.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import invoicekit as ik
from invoicekit.faults import FaultPoints
from invoicekit.testing import FixedClock
from invoicekit.testing.invariants import check_all

__all__ = ["SELLER", "START", "generate", "main", "make_subscriptions", "outcome"]

SELLER: Final = "s-sub"
#: The clock when the subscriptions are created (10:00 in Berlin).
START: Final = datetime(2026, 1, 1, 9, tzinfo=UTC)
#: Usage per subscription and month: ``CALLS`` records of 10 calls each.
CALLS: Final = 30


def _billing(url: str, now: datetime, faults: FaultPoints | None = None) -> ik.Billing:
    return ik.Billing.from_url(url, clock=FixedClock(now), faults=faults)


def make_subscriptions(url: str, count: int, months: int) -> list[str]:
    """One seller, ``count`` customers on a fee-plus-usage plan, with ``months`` of usage."""
    billing = _billing(url, START)
    try:
        billing.sellers.create(
            id=SELLER, name="Northwind", country="DE", currency="EUR", timezone="Europe/Berlin"
        )
        books = billing.seller(SELLER)
        vat = ik.Vat("19")
        books.plans.create(
            "API",
            frequency="monthly",
            id="api",
            prices=[
                {
                    "id": "fee",
                    "description": "Platform fee",
                    "currency": "EUR",
                    "kind": "fixed",
                    "unit_amount": "20.00",
                    "tax": vat,
                },
                {
                    "id": "calls",
                    "description": "API calls",
                    "currency": "EUR",
                    "kind": "metered",
                    "unit_amount": "0.01",
                    "meter": "api_calls",
                    "tax": vat,
                },
            ],
        )
        ids = []
        for k in range(count):
            customer = books.customers.create(f"Client {k}", id=f"c-{k:04d}")
            sub = books.subscriptions.create(customer.id, plan_id="api", id=f"sub-{k:04d}")
            ids.append(sub.id)
        records = [
            {
                "subscription_id": sub_id,
                "meter": "api_calls",
                "quantity": 10,
                "key": f"{sub_id}-{m}-{n}",
                "at": START + timedelta(days=31 * m + n % 28),
            }
            for sub_id in ids
            for m in range(months)
            for n in range(CALLS)
        ]
        end = START + timedelta(days=31 * months)
        late = _billing(url, end)  # the usage is sent as it happens: before the bills
        try:
            late.seller(SELLER).usage.record_many(records)
        finally:
            late.close()
        return ids
    finally:
        billing.close()


def generate(url: str, now: datetime, rounds: int = 2) -> int:
    """Run ``subscriptions_due`` ``rounds`` times at ``now``; how many invoices this worker drafted."""
    billing = _billing(url, now)
    try:
        return sum(len(billing.subscriptions_due().generated) for _ in range(rounds))
    finally:
        billing.close()


def outcome(url: str, now: datetime) -> dict[str, Any]:
    """What the store holds: invoices per (subscription, period), usage billed, invariants."""
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
        periods = sorted((i.metadata["subscription"], i.metadata["period"]) for i in invoices)
        calls = sum(
            (
                line.quantity
                for i in invoices
                for line in i.lines
                if "API calls" in line.description
            ),
            Decimal(0),
        )
        records = [books.subscriptions.progress(s.id) for s in books.subscriptions.list(limit=1000)]
        return {
            "periods": periods,
            "statuses": {str(i.status) for i in invoices},
            "calls": calls,
            "numbers": len({i.number for i in invoices}),
            "last_index": {r.subscription.id: r.last_index for r in records},
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
        billing.subscriptions_due()
    finally:
        billing.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

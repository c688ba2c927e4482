"""Late usage of any age is billed once, on memory, SQLite and PostgreSQL (issue 16 item 3).

Usage stamped in a period billed more than a year before it arrives (more periods than
used to be kept) becomes one adjustment line on the next invoice, naming its period; a
``max`` meter's adjustment is the whole period recounted less what it billed; a period
with a plan change is recounted over the windows and at the prices its bill had.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import invoicekit as ik
from invoicekit.testing import FixedClock
from pg import pg_url  # noqa: F401 - a fixture, found by its name
from subscription_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    START,
    VAT,
    agency,
    sub_billing_fixture,
    sub_clock_fixture,
    sub_store_fixture,
)

#: Past the 15th monthly bill (1 Apr 2027) and its grace: 15 periods are billed.
FIFTEEN_MONTHS = timedelta(days=455, hours=2)


def _of(books: ik.SellerBooks, sub_id: str) -> list[ik.Invoice]:
    mine = [i for i in books.invoices.list(limit=1000) if i.metadata.get("subscription") == sub_id]
    return sorted(mine, key=lambda i: int(i.metadata["period"]))


def _late(invoices: list[ik.Invoice]) -> list[tuple[int, str, Decimal]]:
    return [
        (int(i.metadata["period"]), line.description, line.unit_price)
        for i in invoices
        for line in i.lines
        if line.description.startswith("Late usage")
    ]


def test_late_usage_older_than_a_year_of_periods_is_billed_once(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    sub_id = a.books.subscriptions.create(a.customer_id, plan_id="api").id
    sub_clock.advance(days=10)
    a.books.usage.record(sub_id, "api_calls", 2000, key="u1", at=START + timedelta(days=5))
    sub_clock.advance(FIFTEEN_MONTHS - timedelta(days=10))
    sub_billing.run_due()
    assert len(_of(a.books, sub_id)) == 16  # bills 0 to 15
    jan = START + timedelta(days=30)
    assert a.books.usage.record(sub_id, "api_calls", 500, key="late-1", at=jan)
    sub_clock.advance(days=31)
    sub_billing.run_due()
    sub_clock.advance(days=30)
    sub_billing.run_due()
    assert _late(_of(a.books, sub_id)) == [
        (16, "Late usage for api_calls, 1–31 Jan 2026", Decimal("5.00"))
    ]
    assert a.books.usage.record(sub_id, "api_calls", 500, key="late-1", at=jan) is False


def test_late_usage_of_a_max_meter_bills_the_recounted_period_less_what_it_billed(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    peak = {
        "id": "peak",
        "description": "Peak users",
        "currency": "EUR",
        "kind": "metered",
        "unit_amount": "5.00",
        "meter": ik.Meter(key="users", aggregation=ik.Aggregation.MAX),
        "tax": VAT,
    }
    a.books.plans.create("Peak", frequency="monthly", prices=[peak], id="peak")
    sub_id = a.books.subscriptions.create(a.customer_id, plan_id="peak").id
    sub_clock.advance(days=50)
    a.books.usage.record(sub_id, "users", 10, key="u1", at=START + timedelta(days=3))
    a.books.usage.record(sub_id, "users", 4, key="m1", at=START + timedelta(days=40))
    sub_clock.advance(FIFTEEN_MONTHS - timedelta(days=50))
    sub_billing.run_due()
    jan, feb = START + timedelta(days=20), START + timedelta(days=45)
    a.books.usage.record(sub_id, "users", 7, key="late-low", at=jan)  # below January's 10
    a.books.usage.record(sub_id, "users", 15, key="late-high", at=jan)  # 5 above it
    a.books.usage.record(sub_id, "users", 6, key="late-feb", at=feb)  # 2 above February's 4
    sub_clock.advance(days=31)
    sub_billing.run_due()
    sub_clock.advance(days=30)
    sub_billing.run_due()
    assert _late(_of(a.books, sub_id)) == [
        (16, "Late usage for users, 1–31 Jan 2026", Decimal("25.00")),
        (16, "Late usage for users, 1–28 Feb 2026", Decimal("10.00")),
    ]


def test_late_usage_after_a_plan_change_in_its_period_is_never_billed_twice(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    dearer = {
        "id": "calls2",
        "description": "API calls",
        "currency": "EUR",
        "kind": "metered",
        "unit_amount": "0.02",
        "meter": "api_calls",
        "tax": VAT,
    }
    a.books.plans.create("API 2", frequency="monthly", prices=[dearer], id="api2")
    sub_id = a.books.subscriptions.create(a.customer_id, plan_id="api").id
    sub_billing.run_due()
    sub_clock.advance(days=12)
    a.books.usage.record(sub_id, "api_calls", 2000, key="u1", at=START + timedelta(days=5))
    a.books.subscriptions.change_plan(sub_id, "api2", proration="none")
    sub_clock.advance(days=3)
    a.books.usage.record(sub_id, "api_calls", 100, key="u2", at=START + timedelta(days=14))
    sub_clock.advance(days=17, hours=2)
    sub_billing.run_due()  # February's bill: 10.00 before the change, 2.00 after it
    sub_clock.advance(days=2)
    a.books.usage.record(sub_id, "api_calls", 50, key="late", at=START + timedelta(days=19))
    sub_clock.advance(days=27)
    sub_billing.run_due()
    assert _late(_of(a.books, sub_id)) == [  # 50 × 0.02: not all January recounted at 0.02
        (2, "Late usage for api_calls, 1–31 Jan 2026", Decimal("1.00"))
    ]


def test_late_usage_before_a_later_plan_change_is_billed_at_the_price_it_had(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    a.books.plans.create(
        "API 2",
        frequency="monthly",
        prices=[
            {
                "id": "calls2",
                "description": "API calls",
                "currency": "EUR",
                "kind": "metered",
                "unit_amount": "0.02",
                "meter": "api_calls",
                "tax": VAT,
            }
        ],
        id="api2",
    )
    sub_id = a.books.subscriptions.create(a.customer_id, plan_id="api").id
    sub_clock.advance(days=10)
    a.books.usage.record(sub_id, "api_calls", 2000, key="u1", at=START + timedelta(days=5))
    sub_clock.advance(days=21, hours=2)
    sub_billing.run_due()  # February's bill: January's 2000 calls, 10.00
    sub_clock.advance(days=12)
    a.books.subscriptions.change_plan(sub_id, "api2", proration="none")
    sub_clock.advance(days=5)
    a.books.usage.record(sub_id, "api_calls", 500, key="late", at=START + timedelta(days=30))
    sub_clock.advance(days=11)
    sub_billing.run_due()
    assert _late(_of(a.books, sub_id)) == [  # 2,500 calls on January's tiers: 15.00
        (2, "Late usage for api_calls, 1–31 Jan 2026", Decimal("5.00"))
    ]

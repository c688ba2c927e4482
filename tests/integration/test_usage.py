"""Usage through the facade on memory, SQLite and PostgreSQL (issue 16 item 3).

Records are idempotent by key; usage is billed in arrears with its tiers; usage received
in the grace amends the held draft; usage received later becomes one adjustment line on
the next invoice, exactly once; bad records are refused with their paths.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

import invoicekit as ik
from invoicekit.testing import FixedClock
from pg import pg_url  # noqa: F401 - a fixture, found by its name
from subscription_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    START,
    Agency,
    agency,
    sub_billing_fixture,
    sub_clock_fixture,
    sub_store_fixture,
)

#: The February bill of a subscription started at START: 1 Feb 10:00 in Berlin.
FEB_BILL = START + timedelta(days=31)
MAR_BILL = FEB_BILL + timedelta(days=28)


def _of(books: ik.SellerBooks, sub_id: str) -> list[ik.Invoice]:
    mine = [i for i in books.invoices.list(limit=1000) if i.metadata.get("subscription") == sub_id]
    return sorted(mine, key=lambda i: int(i.metadata["period"]))


def _calls(invoice: ik.Invoice) -> list[tuple[str, Decimal, Decimal]]:
    return [
        (line.description, line.quantity, line.unit_price)
        for line in invoice.lines
        if ("API calls" in line.description or "Late usage" in line.description)
        and line.unit_price  # the free first tier shows as a line at 0
    ]


def _api(billing: ik.Billing) -> tuple[Agency, str]:
    a = agency(billing)
    sub = a.books.subscriptions.create(a.customer_id, plan_id="api")
    billing.run_due()
    return a, sub.id


def test_usage_is_billed_in_arrears_with_its_tiers(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a, sub_id = _api(sub_billing)
    sub_clock.advance(days=25)
    a.books.usage.record(sub_id, "api_calls", 3000, key="u1", at=START + timedelta(days=3))
    a.books.usage.record(sub_id, "api_calls", 9500, key="u2", at=START + timedelta(days=20))
    sub_clock.advance(days=6, hours=1)  # past February's bill and its grace
    sub_billing.run_due()
    first, second = _of(a.books, sub_id)
    assert _calls(first) == []  # January's bill has no usage before it
    assert _calls(second) == [
        ("API calls (units 1,001–10,000) (1–31 Jan 2026)", Decimal(9000), Decimal("0.01")),
        ("API calls (units 10,001 and up) (1–31 Jan 2026)", Decimal(2500), Decimal("0.005")),
    ]
    assert second.totals.tax_exclusive == Decimal("20.00") + Decimal("90.00") + Decimal("12.50")
    assert second.status is ik.Status.PENDING


def test_the_same_key_counts_once(sub_billing: ik.Billing, sub_clock: FixedClock) -> None:
    a, sub_id = _api(sub_billing)
    assert a.books.usage.record(sub_id, "api_calls", 2000, key="k1") is True
    assert a.books.usage.record(sub_id, "api_calls", 2000, key="k1") is False
    batch = a.books.usage.record_many(
        [
            {"subscription_id": sub_id, "meter": "api_calls", "quantity": 2000, "key": "k1"},
            {"subscription_id": sub_id, "meter": "api_calls", "quantity": 500, "key": "k2"},
        ]
    )
    assert batch == ik.UsageBatch(stored=1, duplicates=("k1",))
    sub_clock.advance(days=31, hours=1)
    sub_billing.run_due()
    assert _calls(_of(a.books, sub_id)[1]) == [
        ("API calls (units 1,001–10,000) (1–31 Jan 2026)", Decimal(1500), Decimal("0.01"))
    ]


def test_usage_received_in_the_grace_amends_the_held_draft(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a, sub_id = _api(sub_billing)
    sub_clock.advance(days=31)  # February's bill is due: drafted, held for the grace
    a.books.usage.record(sub_id, "api_calls", 2000, key="u1", at=START + timedelta(days=5))
    sub_billing.run_due()
    held = _of(a.books, sub_id)[1]
    assert held.status is ik.Status.DRAFT
    sub_clock.advance(minutes=30)
    a.books.usage.record(sub_id, "api_calls", 1000, key="u2", at=FEB_BILL - timedelta(minutes=1))
    sub_billing.run_due()
    assert _of(a.books, sub_id)[1].status is ik.Status.DRAFT  # still in the grace
    sub_clock.advance(minutes=30)
    sub_billing.run_due()
    issued = _of(a.books, sub_id)[1]
    assert issued.id == held.id
    assert issued.status is ik.Status.PENDING
    assert _calls(issued) == [
        ("API calls (units 1,001–10,000) (1–31 Jan 2026)", Decimal(2000), Decimal("0.01"))
    ]


def test_usage_after_the_grace_is_one_adjustment_on_the_next_invoice(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a, sub_id = _api(sub_billing)
    sub_clock.advance(days=6)
    a.books.usage.record(sub_id, "api_calls", 2000, key="u1", at=START + timedelta(days=5))
    sub_clock.advance(days=25, hours=1)
    sub_billing.run_due()
    sub_clock.advance(days=2)
    late_at = START + timedelta(days=30)  # stamped in January, received in February
    a.books.usage.record(sub_id, "api_calls", 500, key="late-1", at=late_at)
    sub_billing.run_due()  # nothing due: the adjustment waits for the next bill
    sub_clock.advance(days=27)
    sub_billing.run_due()
    sub_clock.advance(days=31)
    sub_billing.run_due()
    _, feb, mar, apr = _of(a.books, sub_id)
    assert _calls(feb) == [
        ("API calls (units 1,001–10,000) (1–31 Jan 2026)", Decimal(1000), Decimal("0.01"))
    ]
    late = [line for line in mar.lines if line.description.startswith("Late usage")]
    assert [(line.description, line.quantity, line.unit_price) for line in late] == [
        ("Late usage for api_calls, 1–31 Jan 2026", Decimal(1), Decimal("5.00"))
    ]
    assert late[0].note is not None
    assert "2000" in late[0].note
    assert "2500" in late[0].note
    assert not [line for line in apr.lines if line.description.startswith("Late usage")]
    assert a.books.usage.record(sub_id, "api_calls", 500, key="late-1", at=late_at) is False


def test_usage_is_accepted_until_the_cancellation_takes_effect(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a, sub_id = _api(sub_billing)
    sub_clock.advance(days=10)
    canceled = a.books.subscriptions.cancel(sub_id, at_period_end=True)
    assert canceled.cancel_at is not None
    before = canceled.cancel_at - timedelta(seconds=1)
    sub_clock.advance(days=21, hours=1)
    assert a.books.usage.record(sub_id, "api_calls", 1500, key="last", at=before)
    with pytest.raises(ik.ValidationError) as caught:
        a.books.usage.record(sub_id, "api_calls", 1, key="after", at=canceled.cancel_at)
    assert caught.value.problems[0].path == "at"


@pytest.mark.parametrize(
    ("record", "path"),
    [
        ({"subscription_id": "sub-404"}, "subscription_id"),
        ({"meter": "storage_gb"}, "meter"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": "1.0000001"}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": 10**13}, "quantity"),
        ({"key": ""}, "key"),
        ({"at": START.replace(tzinfo=None)}, "at"),
        ({"at": START + timedelta(minutes=6)}, "at"),
        ({"at": START - timedelta(seconds=1)}, "at"),  # before the subscription started
        ({"properties": {"region": 3}}, "properties"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_records_are_refused_with_their_path(
    sub_billing: ik.Billing, record: dict[str, object], path: str
) -> None:
    a, sub_id = _api(sub_billing)
    good = {"subscription_id": sub_id, "meter": "api_calls", "quantity": 10, "key": "ok"}
    with pytest.raises(ik.ValidationError) as caught:
        a.books.usage.record_many([good, {**good, "key": "bad", **record}])
    assert caught.value.problems[0].path.startswith(f"records[1].{path}")
    # the batch is one transaction: the good record was not stored either
    assert a.books.usage.record(sub_id, "api_calls", 10, key="ok") is True


def test_five_minutes_ahead_is_still_accepted(sub_billing: ik.Billing) -> None:
    a, sub_id = _api(sub_billing)
    assert a.books.usage.record(sub_id, "api_calls", 1, key="soon", at=START + timedelta(minutes=5))


def test_another_sellers_subscription_is_refused_like_an_unknown_one(
    sub_billing: ik.Billing,
) -> None:
    a, _ = _api(sub_billing)
    b, theirs = _api(sub_billing)
    messages = []
    for sub_id in (theirs, "sub_00000000000000000000000000000000"):
        with pytest.raises(ik.ValidationError) as caught:
            a.books.usage.record(sub_id, "api_calls", 1, key="x")
        messages.append(caught.value.problems[0].message)
    assert messages[0] == messages[1]
    assert b.books.usage.record(theirs, "api_calls", 1, key="x") is True


def test_the_seller_grace_decides_when_the_held_draft_is_issued(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing, usage_grace=timedelta(hours=3))
    assert sub_billing.sellers.get(a.books.seller_id).usage_grace == timedelta(hours=3)
    sub_id = a.books.subscriptions.create(a.customer_id, plan_id="api").id
    sub_billing.run_due()
    sub_clock.advance(days=31, hours=2)  # past the default hour, inside this seller's three
    a.books.usage.record(sub_id, "api_calls", 2000, key="u1", at=START + timedelta(days=5))
    sub_billing.run_due()
    assert _of(a.books, sub_id)[1].status is ik.Status.DRAFT
    sub_clock.advance(hours=1)
    sub_billing.run_due()
    assert _of(a.books, sub_id)[1].status is ik.Status.PENDING


def test_a_seller_without_grace_issues_the_usage_bill_at_once(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    sub_billing.sellers.update(a.books.seller_id, usage_grace=timedelta(0))
    sub_id = a.books.subscriptions.create(a.customer_id, plan_id="api").id
    sub_billing.run_due()
    sub_clock.advance(days=31)  # February's bill is due: nothing to wait for
    sub_billing.run_due()
    assert _of(a.books, sub_id)[1].status is ik.Status.PENDING


@pytest.mark.parametrize(
    ("grace", "on_end"),
    [(timedelta(days=7, seconds=1), "canceled"), (timedelta(seconds=-1), "unpaid"), (3600, "x")],
)
def test_the_seller_subscription_settings_are_checked(
    sub_billing: ik.Billing, grace: object, on_end: object
) -> None:
    with pytest.raises(ik.ValidationError) as caught:
        sub_billing.sellers.create(
            name="Acme",
            country="DE",
            currency="EUR",
            usage_grace=grace,  # type: ignore[arg-type]
            subscription_on_dunning_end=on_end,  # type: ignore[arg-type]
        )
    paths = {p.path for p in caught.value.problems}
    assert "usage_grace" in paths
    assert ("subscription_on_dunning_end" in paths) is (on_end == "x")
    assert sub_billing.sellers.list() == []

"""Which time zone decides what, through the facade: the seller's for the books' dates.

Reminder days, issue dates and the numbering period follow the seller's calendar,
across the date line (Pacific/Auckland, Pacific/Kiritimati at UTC+14, a customer in
Pacific/Pago_Pago at UTC-11) and on DST change days (Europe/Berlin,
America/New_York). Runs on memory and SQLite.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import invoicekit as ik
from billing_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    clock_fixture,
    line,
    make_billing_fixture,
    storage_kind_fixture,
)
from invoicekit.testing import FixedClock, MemoryNotifier, MemoryRenderer, MemoryStorage
from sizes import examples


def _local(zone: str, day: date, at: time) -> datetime:
    """The instant (in UTC) of ``day`` at ``at`` on the wall clock of ``zone``."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _books(billing: ik.Billing, zone: str, **customer: Any) -> tuple[ik.SellerBooks, ik.Invoice]:
    """A seller in ``zone`` with one issued invoice to a customer reachable by e-mail."""
    seller = billing.sellers.create(name="Northwind", country="NZ", currency="NZD", timezone=zone)
    books = billing.seller(seller.id)
    client = books.customers.create("Globex", email="ap@globex.example", **customer)
    return books, books.invoices.issue(books.invoices.draft(client.id, lines=[line()]).id)


def _reminders_at(
    make_billing: Any, clock: FixedClock, zone: str, instants: list[datetime], **customer: Any
) -> list[str]:
    """The keys of the reminders sent when ``send(kind="reminder")`` is called at each instant."""
    email = MemoryNotifier(channel="email")
    billing = make_billing(renderer=MemoryRenderer(), notifiers=[email])
    books, invoice = _books(billing, zone, **customer)
    for at in instants:
        clock.set(at)
        books.invoices.send(invoice.id, kind="reminder")
    return [m.key for m in email.sent if ":reminder:" in m.key]


# (zone, a day, the local time of a call on it, the local time of a call the next day):
# both calls fall on the same UTC date, so a UTC day key would swallow the second.
CONSECUTIVE_LOCAL_DAYS = [
    ("Pacific/Auckland", date(2026, 5, 9), time(20), time(8)),  # NZST, UTC+12
    ("Pacific/Kiritimati", date(2026, 5, 9), time(15), time(9)),  # UTC+14
    ("Europe/Berlin", date(2026, 3, 28), time(9), time(0, 30)),  # spring forward on the 29th
    ("America/New_York", date(2026, 3, 7), time(21), time(9)),  # spring forward on the 8th
    ("Europe/Berlin", date(2026, 10, 24), time(23, 30), time(0, 30)),  # fall back on the 25th
    ("America/New_York", date(2026, 10, 31), time(21), time(9)),  # fall back on 1 Nov
]


@pytest.mark.parametrize("case", CONSECUTIVE_LOCAL_DAYS, ids=lambda c: f"{c[0]}-{c[1]}")
def test_reminders_on_consecutive_local_days_both_go_out(
    make_billing: Any, clock: FixedClock, case: tuple[str, date, time, time]
) -> None:
    zone, day, first, second = case
    nxt = day + timedelta(days=1)
    calls = [_local(zone, day, first), _local(zone, nxt, second)]
    assert calls[0].astimezone(UTC).date() == calls[1].astimezone(UTC).date()
    keys = _reminders_at(make_billing, clock, zone, calls)
    assert [k.split(":")[2] for k in keys] == [day.isoformat(), nxt.isoformat()]


def test_two_reminders_on_one_local_day_send_one(make_billing: Any, clock: FixedClock) -> None:
    # 01:00 and 23:00 on 10 May at UTC+14 are 9 and 10 May in UTC: still one day of the books.
    morning = _local("Pacific/Kiritimati", date(2026, 5, 10), time(1))
    keys = _reminders_at(
        make_billing, clock, "Pacific/Kiritimati", [morning, morning + timedelta(hours=22)]
    )
    assert [k.split(":")[2] for k in keys] == ["2026-05-10"]


def test_the_reminder_day_is_the_sellers_not_the_customers(
    make_billing: Any, clock: FixedClock
) -> None:
    # 10 May 08:00 in Auckland is 9 May 09:00 in Pago Pago (UTC-11): the books say 10 May.
    at = _local("Pacific/Auckland", date(2026, 5, 10), time(8))
    keys = _reminders_at(
        make_billing, clock, "Pacific/Auckland", [at], timezone="Pacific/Pago_Pago"
    )
    assert [k.split(":")[2] for k in keys] == ["2026-05-10"]


ZONES = ["Pacific/Auckland", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin"]


@settings(max_examples=examples(ci=200), suppress_health_check=[HealthCheck.too_slow])
@given(
    zone=st.sampled_from([*ZONES, "America/New_York"]),
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    hours=st.tuples(st.integers(0, 23), st.integers(0, 23)),
    next_day=st.booleans(),
)
def test_one_reminder_per_local_day_of_the_seller(
    zone: str, day: date, hours: tuple[int, int], next_day: bool
) -> None:
    """Two calls send two reminders exactly when they fall on two days of the seller's calendar."""
    first = _local(zone, day, time(hours[0]))
    second = _local(zone, day + timedelta(days=int(next_day)), time(hours[1]))
    clock = FixedClock(min(first, second))

    def make_billing(**adapters: Any) -> ik.Billing:
        return ik.Billing(storage=MemoryStorage(), clock=clock, **adapters)

    keys = _reminders_at(make_billing, clock, zone, [first, second])
    assert len(keys) == (2 if next_day else 1)


@pytest.mark.parametrize("zone", [*ZONES, "America/New_York"])
def test_documents_issued_around_new_year_are_numbered_in_the_local_year(
    make_billing: Any, clock: FixedClock, zone: str
) -> None:
    billing = make_billing()
    clock.set(_local(zone, date(2026, 12, 31), time(23, 30)))
    books, invoice = _books(billing, zone)
    assert invoice.issue_date == date(2026, 12, 31)
    assert invoice.number is not None
    assert "2026" in invoice.number
    clock.set(_local(zone, date(2027, 1, 1), time(0, 30)))
    nxt = books.invoices.issue(books.invoices.draft(invoice.customer_id, lines=[line()]).id)
    assert nxt.issue_date == date(2027, 1, 1)
    assert nxt.number is not None
    assert "2027" in nxt.number
    note = books.invoices.credit(invoice.id, lines=[line("10.00")])
    assert note.issue_date == date(2027, 1, 1)
    assert "2027" in note.number


@pytest.mark.parametrize("zone", ["Europe", "Europe/" + "x" * 300, "../x", "", 5])
def test_a_bad_zone_reaches_no_store_through_any_entry_point(make_billing: Any, zone: Any) -> None:
    billing = make_billing()
    books, invoice = _books(billing, "Pacific/Auckland")
    calls = {
        "sellers.create": lambda: billing.sellers.create(
            name="Acme", country="DE", currency="EUR", timezone=zone
        ),
        "sellers.update": lambda: billing.sellers.update(books.seller_id, timezone=zone),
        "customers.create": lambda: books.customers.create("Initech", timezone=zone),
        "customers.update": lambda: books.customers.update(invoice.customer_id, timezone=zone),
    }
    for name, call in calls.items():
        with pytest.raises(ik.ValidationError) as caught:
            call()
        assert caught.value.paths == ("timezone",), name
    assert [s.timezone for s in billing.sellers.list()] == ["Pacific/Auckland"]
    assert [c.timezone for c in books.customers.list()] == [None]


def test_an_issued_invoice_keeps_its_reminder_days_after_the_seller_moves_zone(
    make_billing: Any, clock: FixedClock
) -> None:
    email = MemoryNotifier(channel="email")
    billing = make_billing(renderer=MemoryRenderer(), notifiers=[email])
    books, invoice = _books(billing, "Pacific/Auckland")
    billing.sellers.update(books.seller_id, timezone="Pacific/Pago_Pago")
    clock.set(_local("Pacific/Auckland", date(2026, 5, 10), time(8)))  # 9 May in Pago Pago
    books.invoices.send(invoice.id, kind="reminder")
    assert [m.key.split(":")[2] for m in email.sent] == ["2026-05-10"]

"""Which time zone decides what: the seller's for dates of the books, the customer's for delivery."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

import factories as f
from invoicekit.domain.calendar import books_date, delivery_time, delivery_zone
from invoicekit.errors import ValidationError

AUCKLAND = f.seller(timezone="Pacific/Auckland")
#: 10 May 2026 10:00 UTC: 22:00 in Auckland (NZST), 12:00 in Berlin (CEST), 9 May 23:00 in Pago Pago.
AT = datetime(2026, 5, 10, 10, tzinfo=UTC)


def test_the_books_date_is_the_sellers_calendar_date() -> None:
    assert books_date(AT, AUCKLAND) == date(2026, 5, 10)
    assert books_date(datetime(2026, 5, 10, 12, tzinfo=UTC), AUCKLAND) == date(2026, 5, 11)
    kiritimati = f.seller(timezone="Pacific/Kiritimati")  # UTC+14
    assert books_date(datetime(2026, 12, 31, 10, tzinfo=UTC), kiritimati) == date(2027, 1, 1)
    pago_pago = f.seller(timezone="Pacific/Pago_Pago")  # UTC-11
    assert books_date(datetime(2027, 1, 1, 10, tzinfo=UTC), pago_pago) == date(2026, 12, 31)


def test_the_books_date_ignores_the_customers_zone() -> None:
    customer = f.customer(AUCKLAND, timezone="Pacific/Pago_Pago")
    assert delivery_time(AT, customer, AUCKLAND).date() == date(2026, 5, 9)
    assert books_date(AT, AUCKLAND) == date(2026, 5, 10)


@pytest.mark.parametrize("naive", [datetime(2026, 5, 10, 10), "2026-05-10T10:00:00+00:00"])  # noqa: DTZ001 - the naive datetime is the point
def test_a_time_without_a_zone_is_refused_not_read_in_the_hosts_zone(naive: object) -> None:
    with pytest.raises(ValidationError) as caught:
        books_date(naive, AUCKLAND)  # type: ignore[arg-type]
    assert caught.value.paths == ("at",)
    with pytest.raises(ValidationError):
        delivery_time(naive, None, AUCKLAND)  # type: ignore[arg-type]


def _quiet(at: datetime) -> bool:
    """Quiet hours as a host would define them: 21:00 to 08:00 on the recipient's wall clock."""
    return not time(8) <= at.time() < time(21)


def test_quiet_hours_follow_the_customers_zone() -> None:
    berlin = f.customer(AUCKLAND, timezone="Europe/Berlin")
    assert delivery_time(AT, berlin, AUCKLAND).time() == time(12)
    assert not _quiet(delivery_time(AT, berlin, AUCKLAND))  # noon in Berlin
    assert _quiet(delivery_time(AT, None, AUCKLAND))  # 22:00 at the seller's


def test_a_customer_without_a_zone_is_timed_in_the_sellers() -> None:
    customer = f.customer(AUCKLAND)
    assert customer.timezone is None
    assert delivery_zone(customer, AUCKLAND).key == "Pacific/Auckland"
    assert delivery_time(AT, customer, AUCKLAND) == AT
    assert delivery_time(AT, customer, AUCKLAND).hour == 22
    pago_pago = f.customer(AUCKLAND, timezone="Pacific/Pago_Pago")
    assert delivery_zone(pago_pago, AUCKLAND).key == "Pacific/Pago_Pago"
    assert delivery_time(AT, pago_pago, AUCKLAND).hour == 23

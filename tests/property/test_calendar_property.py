"""T24 (in part): overdue flips at the start of the seller's local day after the due date.

The oracle is independent of ``books_date``: the instant of local midnight that
starts the day after the due date, built with ``datetime.combine`` in the seller's
zone. Zones across the date line (UTC+14, UTC+12/13, UTC-11) and with DST.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

import factories as f
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.calendar import delivery_time
from invoicekit.domain.status import Status
from invoicekit.errors import InvalidTransitionError
from sizes import examples

ZONES = [
    "Pacific/Auckland",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Europe/Berlin",
    "America/New_York",
]


@settings(max_examples=examples(ci=1_000))
@given(
    zone=st.sampled_from(ZONES),
    issued_on=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    minutes=st.integers(-3 * 24 * 60, 3 * 24 * 60),
)
def test_overdue_flips_on_the_sellers_local_day_after_the_due_date(
    zone: str, issued_on: date, minutes: int
) -> None:
    local = ZoneInfo(zone)
    seller = f.seller(timezone=zone)
    invoice = f.issued(of=seller, at=datetime.combine(issued_on, time(12), tzinfo=local))
    assert invoice.issue_date == issued_on
    assert invoice.due_date == issued_on + timedelta(days=30)
    flips = datetime.combine(invoice.due_date + timedelta(days=1), time(0), tzinfo=local)
    at = flips.astimezone(UTC) + timedelta(minutes=minutes)
    if at >= flips:
        new, _ = lc.apply(invoice, lc.MarkOverdue(), at=at)
        assert new.status is Status.OVERDUE
    else:
        try:
            lc.apply(invoice, lc.MarkOverdue(), at=at)
        except InvalidTransitionError:
            pass
        else:
            raise AssertionError(
                f"overdue at {at} before the seller's day after {invoice.due_date}"
            )


@settings(max_examples=examples(ci=500))
@given(
    seller_zone=st.sampled_from(ZONES),
    customer_zone=st.none() | st.sampled_from(ZONES),
    minutes=st.integers(0, 2 * 366 * 24 * 60),
)
def test_delivery_is_timed_on_the_customers_wall_clock_else_the_sellers(
    seller_zone: str, customer_zone: str | None, minutes: int
) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    seller = f.seller(timezone=seller_zone)
    customer = f.customer(seller, timezone=customer_zone)
    wall = delivery_time(at, customer, seller)
    assert wall == at  # the same instant
    assert wall.tzinfo == ZoneInfo(customer_zone or seller_zone)

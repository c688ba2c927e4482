"""T27 as properties: proration lines over change dates, anchor days 1-31, monthly and yearly
plans and DST zones.

The oracle is independent of the code under test: the change's local date comes from
``datetime.astimezone``, day counts from date subtraction, and the prorated amount from
``Fraction`` arithmetic rounded half-up by hand, per line, to the cent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from invoicekit.domain.line import Line
from invoicekit.domain.pricing import Plan, Price, PriceKind
from invoicekit.domain.proration import prorate
from invoicekit.domain.schedule import BillingPeriod, Frequency
from invoicekit.domain.subscription import ProrationBehavior, Subscription
from invoicekit.domain.subscription_changes import change_plan, change_quantity
from invoicekit.domain.tax import Vat
from sizes import examples

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "America/Santiago",
    "Asia/Kathmandu",
]
CENT = Fraction(1, 100)


def _half_up(value: Fraction) -> Decimal:
    """``value`` rounded half-up (away from zero) to the cent, by integer arithmetic."""
    cents = value / CENT
    whole, rest = divmod(abs(cents.numerator), cents.denominator)
    if 2 * rest >= cents.denominator:
        whole += 1
    return Decimal(whole if cents >= 0 else -whole) / 100


def _reference(amount: Decimal, period: BillingPeriod, at: datetime, zone: str) -> Decimal:
    """The day-exact share of ``amount`` from ``at``'s local day to the period end."""
    day = at.astimezone(ZoneInfo(zone)).date()
    days = (period.end - max(day, period.start)).days
    return _half_up(Fraction(amount) * days / (period.end - period.start).days)


def _prices(fee: Decimal, seat: Decimal, pid: str = "") -> tuple[Price, ...]:
    return (
        Price.create(
            id=f"base{pid}",
            description=f"Plan{pid}",
            currency="EUR",
            kind=PriceKind.FIXED,
            unit_amount=fee,
            tax=(Vat("19"),),
        ),
        Price.create(
            id=f"seats{pid}",
            description=f"Seats{pid}",
            currency="EUR",
            kind=PriceKind.SEATS,
            unit_amount=seat,
            tax=(Vat("19"),),
        ),
    )


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100_000), places=2)
starts = st.one_of(
    st.dates(min_value=date(2023, 1, 1), max_value=date(2032, 12, 31)),
    st.sampled_from([date(2024, 2, 29), date(2028, 2, 28), date(2027, 2, 28)]),
)
seats = st.integers(0, 500)


def _subscription(
    *,
    start: date,
    zone: str,
    anchor: int,
    frequency: Frequency,
    fee: Decimal,
    seat: Decimal,
    q: int,
) -> Subscription:
    plan = Plan.create(id="p", name="P", frequency=frequency, prices=_prices(fee, seat))
    begins = datetime(start.year, start.month, start.day, 9, tzinfo=ZoneInfo(zone))
    return Subscription.create(
        id="s",
        customer_id="c",
        plan=plan,
        currency="EUR",
        start=begins,
        zone=zone,
        quantities={"seats": q},
        anchor_day=anchor,
    )


def _instant(sub: Subscription, index: int, share: float) -> tuple[BillingPeriod, datetime]:
    """A change instant inside period ``index``: after its bill, before the next one."""
    period = sub.schedule.period_at(index)
    begins = sub.schedule.bill_at(period)
    ends = sub.schedule.bill_at(sub.schedule.period_at(index + 1))
    seconds = int((ends - begins).total_seconds() * share)
    return period, begins + timedelta(seconds=max(1, seconds))


def _amount(line: Line) -> Decimal:
    return line.quantity * line.unit_price


cases = st.fixed_dictionaries(
    {
        "start": starts,
        "zone": st.sampled_from(ZONES),
        "anchor": st.integers(1, 31),
        "frequency": st.sampled_from([Frequency.MONTHLY, Frequency.YEARLY]),
        "fee": amounts,
        "seat": amounts,
        "index": st.integers(0, 14),
        "share": st.floats(0, 0.999),
    }
)


@settings(max_examples=examples(ci=5_000, dev=100))
@given(case=cases, old=seats, new=seats)
def test_t27_each_seat_proration_line_is_the_day_exact_reference(
    case: dict[str, Any], old: int, new: int
) -> None:
    index, share, zone, seat = case.pop("index"), case.pop("share"), case["zone"], case["seat"]
    sub = _subscription(**case, q=old)
    period, at = _instant(sub, index, share)
    change = change_quantity(sub, "seats", new, at=at, proration=ProrationBehavior.PRORATE)
    credit = _reference(seat * old, period, at, zone)
    charge = _reference(seat * new, period, at, zone)
    expected = sorted(x for x in (-credit, charge) if x) if old != new else []
    assert sorted(_amount(line) for line in change.lines) == expected
    assert change.subscription.pending == change.lines
    assert all(
        " of " in (line.note or "") and " days" in (line.note or "") for line in change.lines
    )
    assert not change.invoice_now
    # Undone the same day: every line of both changes nets to exactly zero.
    later = min(at + timedelta(minutes=1), _end_of_local_day(at, zone))
    undone = change_quantity(
        change.subscription, "seats", old, at=later, proration=ProrationBehavior.PRORATE
    )
    assert sum(_amount(line) for line in undone.subscription.pending) == 0


def _end_of_local_day(at: datetime, zone: str) -> datetime:
    local = at.astimezone(ZoneInfo(zone))
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time())
    return max(at, midnight.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC) - timedelta(seconds=1))


@settings(max_examples=examples(ci=2_000, dev=100))
@given(case=cases)
def test_t27_a_plan_change_credits_and_charges_each_price_day_exactly(case: dict[str, Any]) -> None:
    index, share, zone = case.pop("index"), case.pop("share"), case["zone"]
    fee, seat, frequency = case["fee"], case["seat"], case["frequency"]
    sub = _subscription(**case, q=3)
    period, at = _instant(sub, index, share)
    richer = Plan.create(id="q", name="Q", frequency=frequency, prices=_prices(fee * 2, seat, "2"))
    change = change_plan(sub, richer, at=at, proration="invoice_now", quantities={"seats2": 4})
    expected = [
        -_reference(fee, period, at, zone),
        -_reference(seat * 3, period, at, zone),
        _reference(fee * 2, period, at, zone),
        _reference(seat * 4, period, at, zone),
    ]
    assert sorted(_amount(line) for line in change.lines) == sorted(x for x in expected if x)
    assert change.invoice_now == bool(change.lines)
    assert change.subscription.pending == ()
    assert change.subscription.plan_id == "q"


@settings(max_examples=examples(ci=5_000, dev=100))
@given(
    amount=st.decimals(min_value=Decimal(0), max_value=Decimal(10) ** 9, places=2),
    start=starts,
    length=st.sampled_from([28, 29, 30, 31, 365, 366]),
    offset=st.integers(-3, 370),
)
@example(amount=Decimal("0.01"), start=date(2027, 4, 1), length=30, offset=15)  # 0.005: a tie
@example(amount=Decimal("0.03"), start=date(2027, 1, 1), length=366, offset=61)  # 0.025
def test_t27_unused_plus_used_is_the_full_amount_within_a_cent(
    amount: Decimal, start: date, length: int, offset: int
) -> None:
    period = BillingPeriod(start, start + timedelta(days=length), 3)
    since = start + timedelta(days=offset)
    unused, note = prorate(amount, period, since, "EUR")
    days = min(max((period.end - since).days, 0), length)
    assert unused == _half_up(Fraction(amount) * days / length)
    assert note.startswith(f"{days} of {length} days")
    used = _half_up(Fraction(amount) * (length - days) / length)
    assert abs(unused + used - amount) <= Decimal("0.01")
    if days == length:
        assert unused == amount  # a whole period costs the full price to the cent


@settings(max_examples=examples(ci=1_000, dev=60))
@given(
    start=starts,
    zone=st.sampled_from(ZONES),
    frequency=st.sampled_from([Frequency.MONTHLY, Frequency.YEARLY]),
    seat=amounts,
    first=seats,
    changes=st.lists(st.tuples(st.floats(0, 0.999), seats), min_size=1, max_size=8),
)
def test_t27_seats_billed_for_a_period_equal_the_day_weighted_seats_within_rounding(
    *,
    start: date,
    zone: str,
    frequency: Frequency,
    seat: Decimal,
    first: int,
    changes: list[tuple[float, int]],
) -> None:
    """I1: the advance line plus every proration line of the period equals, within half a cent
    per proration line, the seats held on each day at the period's daily rate.
    """
    sub = _subscription(
        start=start,
        zone=zone,
        anchor=start.day,
        frequency=frequency,
        fee=Decimal(1),
        seat=seat,
        q=first,
    )
    period, _ = _instant(sub, 1, 0)
    moments = sorted(_instant(sub, 1, share)[1] for share, _ in changes)
    held: dict[date, int] = {}
    for at, (_, quantity) in zip(moments, changes, strict=True):
        sub = change_quantity(sub, "seats", quantity, at=at, proration="prorate").subscription
        held[at.astimezone(ZoneInfo(zone)).date()] = quantity  # the day's last change rules it
    billed = seat * first + sum((_amount(line) for line in sub.pending), Decimal(0))
    days = (period.end - period.start).days
    quantity, exact = first, Fraction(0)
    for n in range(days):
        quantity = held.get(period.start + timedelta(days=n), quantity)
        exact += Fraction(seat) * quantity / days
    # Each change makes a credit and a charge, each rounded (a line rounded to 0 is left out).
    assert abs(Fraction(billed) - exact) <= Fraction(2 * len(changes), 200)

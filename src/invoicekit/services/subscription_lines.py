"""The lines of one subscription bill, from the store's usage: used by ``run_due`` and by previews.

One function computes a bill's lines for both the real invoice and its preview, so the
two agree (issue 16 item 5): the usage of each metered price is aggregated in the store
over the bill's usage window, ``domain.subscription_billing.bill_lines`` prices it, and
late usage of periods billed before becomes one adjustment line per (price, period).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

import attrs

from invoicekit.domain.line import Line
from invoicekit.domain.pricing import Price, PriceKind
from invoicekit.domain.proration import days_text, local_day
from invoicekit.domain.subscription import Subscription
from invoicekit.domain.subscription_billing import (
    PeriodBill,
    UsageWindow,
    after_bill,
    bill_lines,
    due_bills,
    usage_windows,
)
from invoicekit.domain.subscription_rating import item_rated
from invoicekit.domain.usage import Aggregation, Usage
from invoicekit.ports import Transaction
from invoicekit.subscription_records import BilledUsage, SubscriptionRecord, UsageQuery

__all__ = [
    "KEEP_BILLED",
    "LATE_MARGIN",
    "Composed",
    "Known",
    "aggregated",
    "bill_for",
    "compose",
    "keep",
    "metered",
    "prefetch",
    "usage_of",
]

#: Closed periods whose billed usage is kept for late usage (older late usage is not billed).
KEEP_BILLED: Final = 12
#: Usage received this long before ``usage_billed_until`` is checked again: a record whose
#: transaction committed after the bill's aggregate read it is still found (a recount of
#: one already billed changes nothing: the difference to the billed amount is zero).
LATE_MARGIN: Final = timedelta(minutes=5)


@attrs.frozen
class Composed:
    """A bill's lines and what its metered prices bill (to record as ``BilledUsage``)."""

    lines: tuple[Line, ...]
    billed: tuple[BilledUsage, ...]
    #: ``record.billed`` with late usage's differences applied.
    amended: tuple[BilledUsage, ...]


def metered(sub: Subscription) -> list[Price]:
    """The subscription's metered prices, in item order."""
    return [i.price for i in sub.items if i.price.kind is PriceKind.METERED and i.price.meter]


#: Usage aggregated ahead (``prefetch``): (subscription, meter, start, end, aggregation, property).
Known = Mapping[tuple[str, str, datetime, datetime, Aggregation, str | None], Usage]


def _asked(
    seller_id: str, sub: Subscription, window: UsageWindow
) -> tuple[UsageQuery, Aggregation, str | None] | None:
    """The store query of one window (None: its price has no meter)."""
    meter = window.price.meter
    if meter is None:
        return None
    query = UsageQuery(
        seller_id=seller_id,
        subscription_id=sub.id,
        meter=meter.key,
        start=window.start,
        end=window.end,
    )
    return query, meter.aggregation, meter.property


def _known_key(
    query: UsageQuery, aggregation: Aggregation, prop: str | None
) -> tuple[str, str, datetime, datetime, Aggregation, str | None]:
    return query.subscription_id, query.meter, query.start, query.end, aggregation, prop


def aggregated(
    tx: Transaction,
    seller_id: str,
    sub: Subscription,
    window: UsageWindow,
    known: Known | None = None,
) -> Usage:
    """The usage of one window (its price's meter, ``start <= at < end``), aggregated in the store.

    ``known``: usage ``prefetch`` aggregated in this transaction already (a miss asks the store).
    """
    asked = _asked(seller_id, sub, window)
    if asked is None:
        return Usage()
    query, aggregation, prop = asked
    found = known.get(_known_key(*asked)) if known else None
    if found is None:
        found = tx.usage.aggregate(query, aggregation, prop=prop)
    return Usage(quantity=_plain_number(found.quantity), events=found.events)


def prefetch(
    tx: Transaction, seller_id: str, due: Sequence[tuple[Subscription, Sequence[PeriodBill]]]
) -> dict[tuple[str, str, datetime, datetime, Aggregation, str | None], Usage]:
    """The usage of every window the due bills of a page bill, in one ``aggregate_many``.

    ``due``: each subscription (its trial ended if due) with its ``due_bills``, billed in
    order as ``run_due`` does: a window not foreseen here is simply asked for when composed.
    """
    asked = []
    for sub, bills in due:
        current = sub
        for bill in bills:
            for window in usage_windows(current, bill):
                one = _asked(seller_id, current, window)
                if one is not None:
                    asked.append(one)
            current = after_bill(current, bill)
    if not asked:
        return {}
    found = tx.usage.aggregate_many(asked)
    return {_known_key(*one): usage for one, usage in zip(asked, found, strict=True)}


def _plain_number(quantity: Decimal) -> Decimal:
    """``quantity`` without trailing zeros a store's fixed scale adds (45040, not 45040.000000)."""
    if quantity == quantity.to_integral_value():
        return quantity.quantize(Decimal(1))
    return quantity.normalize()


def usage_of(
    tx: Transaction, seller_id: str, sub: Subscription, bill: PeriodBill
) -> dict[str, Usage]:
    """The usage ``bill`` bills, by ``usage_windows`` key (a plan change splits a meter)."""
    return {w.key: aggregated(tx, seller_id, sub, w) for w in usage_windows(sub, bill)}


def bill_for(sub: Subscription, index: int, now: datetime) -> PeriodBill | None:
    """Bill ``index`` of ``sub`` as ``due_bills`` makes it (None when it has none by ``now``)."""
    for bill in due_bills(sub, index - 1 if index else None, now):
        if bill.index == index:
            return bill
        if bill.index > index:
            break
    return None


def _period_text(sub: Subscription, bill: PeriodBill) -> str:
    """The days a bill's usage was for, as its usage lines name them ("1–31 Jan 2026")."""
    window = bill.usage_window
    if window is None:
        return f"period {bill.index}"
    zone = sub.schedule.zone
    first = local_day(window[0], zone)
    last = min(
        bill.period.start - timedelta(days=1),
        local_day(window[1] - timedelta(microseconds=1), zone),
    )
    return days_text(first, max(first, last))


def _late_lines(
    tx: Transaction, record: SubscriptionRecord, now: datetime
) -> tuple[list[Line], tuple[BilledUsage, ...]]:
    """Adjustment lines for usage received after its period was billed, each difference once."""
    sub = record.subscription
    since = record.usage_billed_until
    if since is None or not record.billed:
        return [], record.billed
    bills = {b.period_index: bill_for(sub, b.period_index, now) for b in record.billed}
    ends = [b.usage_window[1] for b in bills.values() if b is not None and b.usage_window]
    if not ends:
        return [], record.billed
    late = tx.usage.late(
        record.seller_id, sub.id, received_from=since - LATE_MARGIN, before=max(ends)
    )
    if not late:
        return [], record.billed
    lines: list[Line] = []
    amended: list[BilledUsage] = []
    for billed in record.billed:
        bill = bills[billed.period_index]
        windows = {w.key: w for w in usage_windows(sub, bill)} if bill is not None else {}
        window = windows.get(billed.price_id)
        meter = window.price.meter if window is not None else None
        if (
            bill is None
            or window is None
            or meter is None
            or not any(m == meter.key and window.start <= at < window.end for m, at in late)
        ):
            amended.append(billed)
            continue
        usage = aggregated(tx, record.seller_id, sub, window)
        rated = item_rated(window.price, Decimal(1), usage)
        difference = rated.amount - billed.amount
        if difference == 0 and usage.quantity == billed.quantity:
            amended.append(billed)
            continue
        lines.append(
            Line(
                f"Late usage for {meter.key}, {_period_text(sub, bill)}",
                quantity=Decimal(1),
                unit_price=difference,
                tax=window.price.taxes,
                unit=window.price.unit,
                note=(
                    f"{window.price.description}: billed {billed.quantity} = {billed.amount}; "
                    f"now {usage.quantity} = {rated.amount}; difference {difference}"
                ),
            )
        )
        amended.append(attrs.evolve(billed, quantity=usage.quantity, amount=rated.amount))
    return lines, tuple(amended)


def compose(
    tx: Transaction,
    record: SubscriptionRecord,
    sub: Subscription,
    bill: PeriodBill,
    now: datetime,
    *,
    late: bool,
    known: Known | None = None,
) -> Composed:
    """The lines of ``bill``: its prices over its period and usage window, plus late usage.

    ``late``: add adjustment lines for late usage of periods billed before (the first new
    bill of a run does; a held draft recomputed at issue does not: it is its own period).
    ``known``: usage ``prefetch`` aggregated already.
    """
    windows = usage_windows(sub, bill)
    usage = {w.key: aggregated(tx, record.seller_id, sub, w, known) for w in windows}
    lines = list(bill_lines(sub, bill, usage))
    amended = record.billed
    if late:
        extra, amended = _late_lines(tx, record, now)
        lines += extra
    billed = tuple(
        BilledUsage(
            period_index=bill.index,
            price_id=w.key,
            quantity=usage[w.key].quantity,
            amount=item_rated(w.price, Decimal(1), usage[w.key]).amount,
        )
        for w in windows
    )
    return Composed(tuple(lines), billed, amended)


def keep(billed: Sequence[BilledUsage]) -> tuple[BilledUsage, ...]:
    """The billed usage of the last ``KEEP_BILLED`` periods, the latest entry per (period, price)."""
    latest: dict[tuple[int, str], BilledUsage] = {}
    for one in billed:
        latest[one.period_index, one.price_id] = one
    indexes = sorted({i for i, _ in latest})[-KEEP_BILLED:]
    return tuple(v for (i, _), v in sorted(latest.items()) if i in indexes)

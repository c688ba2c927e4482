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

from invoicekit.domain.customer_coupons import bill_coupons
from invoicekit.domain.late_usage import as_billed, changes_aggregate, late_periods
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
    """Adjustment lines for usage received after its period was billed, each difference once.

    The periods come from the late records themselves (the billed bill each one's ``at``
    falls in), whatever their age: only those periods are recounted in the store.
    """
    sub = record.subscription
    since = record.usage_billed_until
    indexes = sorted({b.period_index for b in record.billed if b.period_index >= 0})
    if since is None or not indexes:
        return [], record.billed
    last = bill_for(sub, indexes[-1], now)
    if last is None or last.usage_window is None:
        return [], record.billed
    late = tx.usage.late(
        record.seller_id, sub.id, received_from=since - LATE_MARGIN, before=last.usage_window[1]
    )
    stamped = late_periods(sub, late, indexes)
    billed_by = {(b.period_index, b.price_id): b for b in record.billed}
    keys: dict[int, set[str]] = {}
    for i, k in billed_by:
        keys.setdefault(i, set()).add(k)
    lines: list[Line] = []
    changed: dict[tuple[int, str], BilledUsage] = {}
    for index, found in sorted(stamped.items()):
        bill = bill_for(sub, index, now)
        windows = as_billed(usage_windows(sub, bill) if bill is not None else (), bill)
        if keys.get(index, set()) != {w.key for w in windows}:
            continue  # not the windows it billed (a replaced price forgotten): never bill twice
        for window in windows:
            billed = billed_by.get((index, window.key))
            meter = window.price.meter
            if (
                bill is None
                or billed is None
                or meter is None
                or not any(m == meter.key and changes_aggregate(window, at) for m, at in found)
            ):
                continue
            usage = aggregated(tx, record.seller_id, sub, window)
            rated = item_rated(window.price, Decimal(1), usage)
            difference = rated.amount - billed.amount
            if difference == 0 and usage.quantity == billed.quantity:
                continue
            lines.append(
                Line(
                    f"Late usage for {meter.key}, {_period_text(sub, bill)}",
                    quantity=Decimal(1),
                    unit_price=difference,
                    tax=window.price.taxes,
                    unit=window.price.unit,
                    note=(
                        f"{window.price.description}: billed {billed.quantity} = "
                        f"{billed.amount}; now {usage.quantity} = {rated.amount}; "
                        f"difference {difference}"
                    ),
                )
            )
            changed[index, window.key] = attrs.evolve(
                billed, quantity=usage.quantity, amount=rated.amount
            )
    amended = tuple(changed.get((b.period_index, b.price_id), b) for b in record.billed)
    return lines, amended


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

    The coupons are the subscription's own, or in a period none of them applies to, the
    customer's (``domain.customer_coupons.bill_coupons``).

    ``late``: add adjustment lines for late usage of periods billed before (the first new
    bill of a run does; a held draft recomputed at issue does not: it is its own period).
    ``known``: usage ``prefetch`` aggregated already.
    """
    windows = usage_windows(sub, bill)
    usage = {w.key: aggregated(tx, record.seller_id, sub, w, known) for w in windows}
    held = tx.catalog.get_customer_coupon(record.seller_id, sub.customer_id)
    coupons = bill_coupons(sub, held, bill.index)
    priced = sub if coupons == sub.coupons else attrs.evolve(sub, coupons=coupons)
    lines = list(bill_lines(priced, bill, usage))
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
    """The latest entry per (period, price), of every billed period, none pruned.

    Late usage of any age needs what its period billed to bill the difference once; the
    cost is one small entry per period and metered price.
    """
    latest: dict[tuple[int, str], BilledUsage] = {}
    for one in billed:
        latest[one.period_index, one.price_id] = one
    return tuple(v for _, v in sorted(latest.items()))

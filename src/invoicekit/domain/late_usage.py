"""Late usage: which billed periods a late record amends, and the windows their bills had.

Usage received after its period was billed is recounted per period (the services' job);
these pure helpers say which periods (found from the records' own timestamps, so the
work grows with the late records, not with the subscription's age) and rebuild each
period's usage windows keyed as its bill keyed them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime

import attrs

from invoicekit.domain.subscription import Subscription
from invoicekit.domain.subscription_billing import PeriodBill, UsageWindow, billed_index_of
from invoicekit.domain.usage import Aggregation

__all__ = ["as_billed", "changes_aggregate", "late_periods"]


def late_periods(
    sub: Subscription, late: Sequence[tuple[str, datetime]], indexes: list[int]
) -> dict[int, list[tuple[str, datetime]]]:
    """The late records by the billed period they amend: the one each is stamped in.

    A weighted-sum meter's record is a level that lasts into the periods after it: it
    amends every billed period from its own on (once per meter, from its earliest).
    """
    weighted = {
        p.meter.key
        for p in [*(i.price for i in sub.items), *(r.item.price for r in sub.retired)]
        if p.meter is not None and p.meter.aggregation is Aggregation.WEIGHTED_SUM
    }
    stamped: dict[int, list[tuple[str, datetime]]] = {}
    earliest: dict[str, tuple[int, datetime]] = {}
    for key, stamp in late:
        index = billed_index_of(sub, stamp, indexes)
        if index is None:
            continue
        stamped.setdefault(index, []).append((key, stamp))
        if key in weighted and (key not in earliest or stamp < earliest[key][1]):
            earliest[key] = (index, stamp)
    for key, (index, stamp) in earliest.items():
        for later in indexes[bisect_right(indexes, index) :]:
            stamped.setdefault(later, []).append((key, stamp))
    return stamped


def changes_aggregate(window: UsageWindow, at: datetime) -> bool:
    """True when a late record at ``at`` changes the window's aggregate."""
    meter = window.price.meter
    if meter is not None and meter.aggregation is Aggregation.WEIGHTED_SUM:
        return at < window.end  # a level: it lasts until the next record
    return window.start <= at < window.end


def as_billed(windows: Sequence[UsageWindow], bill: PeriodBill | None) -> list[UsageWindow]:
    """``windows`` keyed as its bill keyed them: a price replaced after the bill was current then.

    A window of an item a later plan change retired is keyed '<price id>@<until>' now; its
    bill, before the change, keyed it by the price id.
    """
    if bill is None or bill.usage_window is None:
        return list(windows)
    end = bill.usage_window[1]
    return [
        attrs.evolve(w, key=w.price.id) if "@" in w.key and w.end == end and _after(w, end) else w
        for w in windows
    ]


def _after(window: UsageWindow, end: datetime) -> bool:
    """True when the window's key names a change after ``end`` (the bill's window end)."""
    until = datetime.fromisoformat(window.key.rsplit("@", 1)[1])
    return until > end

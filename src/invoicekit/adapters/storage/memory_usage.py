"""Usage records in memory (``UsageRepository``): the reference store the SQL adapters must match."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from invoicekit.adapters.storage.usage_batches import (
    check_batch,
    fresh,
    same_usage,
    usage_conflict,
)
from invoicekit.domain.usage import Aggregation, Meter, Usage, UsageRecord, aggregate, level_before
from invoicekit.subscription_records import UsageQuery

__all__ = ["MemoryUsage"]


class MemoryUsage:
    """Records keyed by (seller id, key); aggregates with ``domain.usage.aggregate``."""

    def __init__(self, table: Any) -> None:
        self._t = table

    def add_many(self, records: Sequence[UsageRecord]) -> builtins.list[bool]:
        """Append the new ones; False for a key stored already with the same content."""
        first = check_batch(records)
        for key, record in first.items():
            stored = self._t.get(key)
            if stored is not None and not same_usage(stored, record):
                raise usage_conflict(record.key)
        stored = {key for key in first if self._t.get(key) is not None}
        for key, record in first.items():
            if key not in stored:
                self._t.put(key, record)
        return fresh(records, stored)

    def _records(self, query: UsageQuery) -> builtins.list[UsageRecord]:
        return [
            r
            for r in self._t.values()
            if r.seller_id == query.seller_id
            and r.subscription_id == query.subscription_id
            and r.meter == query.meter
            and r.at < query.end
            and (query.received_before is None or r.received_at < query.received_before)
        ]

    def aggregate(
        self, query: UsageQuery, aggregation: Aggregation, *, prop: str | None = None
    ) -> Usage:
        """The matching records aggregated by the domain's reference."""
        found = self._records(query)
        meter = Meter(key=query.meter, aggregation=aggregation, property=prop)
        before = level_before(found, query.start)
        return aggregate(meter, found, query.start, query.end, level_before=before)

    def aggregate_many(
        self, queries: Sequence[tuple[UsageQuery, Aggregation, str | None]]
    ) -> builtins.list[Usage]:
        """``aggregate`` of each query, in order."""
        return [self.aggregate(q, a, prop=p) for q, a, p in queries]

    def late(
        self, seller_id: str, subscription_id: str, *, received_from: datetime, before: datetime
    ) -> builtins.list[tuple[str, datetime]]:
        """(meter, at) of records received at or after ``received_from`` stamped before ``before``."""
        return sorted(
            (r.meter, r.at)
            for r in self._t.values()
            if r.seller_id == seller_id
            and r.subscription_id == subscription_id
            and r.received_at >= received_from
            and r.at < before
        )

"""Usage records of ``SqliteStorage`` (schema 8): appended in batches, aggregated in SQL.

The table is append-only: ``add_many`` reads which of the batch's keys are stored
(one indexed statement per 500 keys), refuses the batch before writing anything when
one of them differs, then inserts the new rows with one ``executemany``. The write
lock is held, so no other writer slips in between.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Final

from invoicekit.adapters.storage.sqlite_schema import Session
from invoicekit.adapters.storage.usage_batches import check_batch, fresh, usage_conflict
from invoicekit.adapters.storage.usage_many import Group, collect, sqlite_sql
from invoicekit.adapters.storage.usage_sql import (
    aggregate_sql,
    from_micros,
    level_sql,
    micros,
    property_path,
    sqlite_row,
    usage_of,
    weighted_row,
)
from invoicekit.domain.usage import Aggregation, Usage, UsageRecord
from invoicekit.subscription_records import UsageQuery

__all__ = ["SqliteUsage"]

_INSERT: Final = (
    "INSERT INTO usage_records (seller_id, key, subscription_id, meter, quantity, at, "
    "received_at, properties) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
#: Keys per statement (under SQLite's limit of bound parameters).
_SLICE: Final = 500


class SqliteUsage:
    """``UsageRepository`` on one ``Session``."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def _stored(self, seller_id: str, keys: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        found: dict[str, tuple[Any, ...]] = {}
        for start in range(0, len(keys), _SLICE):
            part = keys[start : start + _SLICE]
            marks = ", ".join("?" * len(part))
            sql = (
                "SELECT seller_id, key, subscription_id, meter, quantity, at, received_at, "  # noqa: S608 - constants only
                f"properties FROM usage_records WHERE seller_id = ? AND key IN ({marks})"
            )
            for row in self._s.rows("read usage records", sql, (seller_id, *part)):
                found[row[1]] = row
        return found

    def add_many(self, records: Sequence[UsageRecord]) -> builtins.list[bool]:
        """Append the new ones; False for a key stored already with the same content."""
        first = check_batch(records)
        rows = {key: sqlite_row(record) for key, record in first.items()}
        sellers: dict[str, list[str]] = {}
        for seller_id, key in rows:
            sellers.setdefault(seller_id, []).append(key)
        stored: set[tuple[str, str]] = set()
        for seller_id, keys in sellers.items():
            for key, row in self._stored(seller_id, keys).items():
                mine = rows[seller_id, key]
                if row[:6] + row[7:] != mine[:6] + mine[7:]:  # received_at aside
                    raise usage_conflict(key)
                stored.add((seller_id, key))
        new = [row for key, row in rows.items() if key not in stored]
        if new:
            self._s.run_many("store usage records", _INSERT, new)
        return fresh(records, stored)

    def aggregate(
        self, query: UsageQuery, aggregation: Aggregation, *, prop: str | None = None
    ) -> Usage:
        """The matching records aggregated in SQL (exact integer sums)."""
        late = query.received_before is not None
        start, end = micros(query.start), micros(query.end)
        params: dict[str, Any] = {
            "seller_id": query.seller_id,
            "subscription_id": query.subscription_id,
            "meter": query.meter,
            "start": start,
            "end": end,
            "path": property_path(prop or ""),
        }
        if query.received_before is not None:
            params["received_before"] = micros(query.received_before)
        sql = aggregate_sql(aggregation, received_before=late)
        if aggregation is not Aggregation.UNIQUE_COUNT:
            del params["path"]
        level = 0
        if aggregation is Aggregation.WEIGHTED_SUM:
            row = weighted_row(lambda text: self._one(text, params), received_before=late)
            params.pop("end")
            found = self._s.one("read the usage level", level_sql(received_before=late), params)
            level = 0 if found is None else int(found[0])
        else:
            row = self._one(sql, params)
        return usage_of(aggregation, row, start=start, end=end, level=level)

    def aggregate_many(
        self, queries: Sequence[tuple[UsageQuery, Aggregation, str | None]]
    ) -> builtins.list[Usage]:
        """``[aggregate(q) for q in queries]`` with one statement per page of SUM/COUNT/MAX/UNIQUE_COUNT."""
        return collect(queries, self._page, lambda q, a, p: self.aggregate(q, a, prop=p))

    def _page(
        self, group: Group, page: builtins.list[tuple[int, UsageQuery]]
    ) -> Iterator[tuple[int, Usage]]:
        sql, params, usage = sqlite_sql(group, page)
        for row in self._s.rows("aggregate usage", sql, params):
            yield int(row[0]), usage(tuple(row))

    def _one(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
        row = self._s.one("aggregate usage", sql, params)
        assert row is not None  # noqa: S101 - an aggregate always returns a row
        return tuple(row)

    def late(
        self, seller_id: str, subscription_id: str, *, received_from: datetime, before: datetime
    ) -> builtins.list[tuple[str, datetime]]:
        """(meter, at) of records received at or after ``received_from`` stamped before ``before``."""
        sql = (
            "SELECT meter, at FROM usage_records WHERE seller_id = ? AND subscription_id = ? "
            "AND received_at >= ? AND at < ? ORDER BY meter, at"
        )
        params = (seller_id, subscription_id, micros(received_from), micros(before))
        rows = self._s.rows("find late usage", sql, params)
        return [(row[0], from_micros(row[1])) for row in rows]

"""Usage records of ``SqlAlchemyStorage`` (0009): appended in batches, aggregated in SQL.

PostgreSQL keeps quantities as NUMERIC(24,6) and times as timestamptz, so its sums
are exact; on SQLite the columns and aggregates are ``usage_sql``'s (scaled
integers, microseconds). ``add_many`` reads which of the batch's keys are stored and
refuses the batch before writing when one differs; it then inserts the rest with
``ON CONFLICT DO NOTHING ... RETURNING key`` in one multi-row statement, inside a
savepoint: a key another transaction stored meanwhile with other content rolls the
batch back.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from invoicekit.adapters.storage.sqlalchemy_tables import USAGE_RECORDS, Context, translate
from invoicekit.adapters.storage.usage_batches import check_batch, fresh, usage_conflict
from invoicekit.adapters.storage.usage_many import Group, collect, pg_sql, sqlite_sql
from invoicekit.adapters.storage.usage_sql import (
    aggregate_sql,
    from_micros,
    level_sql,
    micros,
    properties_text,
    property_path,
    usage_of,
    weighted_row,
)
from invoicekit.domain.usage import (
    Aggregation,
    Usage,
    UsageRecord,
    quantity_units,
    weighted_quantity,
)
from invoicekit.subscription_records import UsageQuery

__all__ = ["SqlUsage"]

_U = USAGE_RECORDS
#: Keys per statement.
_SLICE: Final = 1000
_MICRO: Final = Decimal(10**12)
_PG_WHERE: Final = (
    "seller_id = :seller_id AND subscription_id = :subscription_id AND meter = :meter"
    " AND at >= :start AND at < :end"
)
_PG: Final = {
    Aggregation.SUM: "SELECT COUNT(*), SUM(quantity) FROM usage_records WHERE {where}",
    Aggregation.COUNT: "SELECT COUNT(*) FROM usage_records WHERE {where}",
    Aggregation.MAX: "SELECT COUNT(*), MAX(quantity) FROM usage_records WHERE {where}",
    Aggregation.UNIQUE_COUNT: "SELECT COUNT(*), COUNT(DISTINCT properties ->> :prop) "
    "FROM usage_records WHERE {where}",
    Aggregation.LAST: "SELECT COUNT(*), (SELECT quantity FROM usage_records WHERE {where} "
    "ORDER BY at DESC, key DESC LIMIT 1) FROM usage_records WHERE {where}",
    Aggregation.WEIGHTED_SUM: "WITH w AS (SELECT quantity AS l, at, "
    "LEAD(at, 1, :end) OVER (ORDER BY at, key) AS nxt FROM usage_records WHERE {where}) "
    "SELECT COUNT(*), MIN(at), SUM(l * EXTRACT(EPOCH FROM nxt - at)) FROM w",
}
_PG_LEVEL: Final = (
    "SELECT quantity FROM usage_records WHERE seller_id = :seller_id AND "
    "subscription_id = :subscription_id AND meter = :meter AND at < :start{late} "
    "ORDER BY at DESC, key DESC LIMIT 1"
)
_LATE: Final = " AND received_at < :received_before"


_PG_INSERT: Final = (
    "INSERT INTO usage_records (seller_id, key, subscription_id, meter, quantity, at, "
    "received_at, properties) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb) "
    "ON CONFLICT DO NOTHING RETURNING seller_id, key"
)
_PG_STORED: Final = (
    "SELECT seller_id, key, subscription_id, meter, quantity, at, properties "
    "FROM usage_records WHERE seller_id = %s AND key = ANY(%s)"
)


def _pg_row(record: UsageRecord) -> dict[str, Any]:
    return {
        "seller_id": record.seller_id,
        "key": record.key,
        "subscription_id": record.subscription_id,
        "meter": record.meter,
        "quantity": record.quantity,
        "at": record.at,
        "received_at": record.received_at,
        "properties": dict(record.properties) if record.properties else None,
    }


def _sqlite_row(record: UsageRecord) -> dict[str, Any]:
    return {
        "seller_id": record.seller_id,
        "key": record.key,
        "subscription_id": record.subscription_id,
        "meter": record.meter,
        "quantity": quantity_units(record.quantity),
        "at": micros(record.at),
        "received_at": micros(record.received_at),
        "properties": properties_text(record),
    }


def _same(stored: Any, mine: dict[str, Any]) -> bool:
    """Whether a stored row says what ``mine`` does (``received_at`` aside)."""
    return (
        stored.subscription_id == mine["subscription_id"]
        and stored.meter == mine["meter"]
        and stored.quantity == mine["quantity"]
        and stored.at == mine["at"]
        and (stored.properties or None) == (mine["properties"] or None)
    )


class SqlUsage:
    """``UsageRepository`` on one transaction's ``Context``."""

    def __init__(self, ctx: Context) -> None:
        self._c = ctx
        self._row = _pg_row if ctx.postgres else _sqlite_row
        insert = postgresql.insert if ctx.postgres else sqlite.insert
        self._insert = insert(_U).on_conflict_do_nothing().returning(_U.c.seller_id, _U.c.key)

    def _driver(self, operation: str, sql: str, params: Any, *, many: bool = False) -> Any:
        """Rows of a statement run on psycopg itself (PostgreSQL): no SQL compiled per batch.

        ``many``: ``executemany`` with RETURNING; the rows of every execution.
        """
        driver: Any = self._c.conn.connection.dbapi_connection
        try:
            with driver.cursor() as cursor:
                if not many:
                    return cursor.execute(sql, params).fetchall()
                cursor.executemany(sql, params, returning=True)
                found = []
                while True:
                    found += cursor.fetchall()
                    if not cursor.nextset():
                        return found
        except (*self._c.errors, driver.Error) as exc:
            raise translate(exc, operation=operation, url=self._c.url) from exc

    def _stored_rows(self, seller_id: str, keys: builtins.list[str]) -> builtins.list[Any]:
        if self._c.postgres:
            rows = self._driver("read usage records", _PG_STORED, (seller_id, keys))
            names = ("seller_id", "key", "subscription_id", "meter", "quantity", "at", "properties")
            return [SimpleNamespace(**dict(zip(names, r, strict=True))) for r in rows]
        query = sa.select(_U).where(_U.c.seller_id == seller_id, _U.c.key.in_(keys))
        return list(self._c.rows("read usage records", query))

    def _check_stored(self, rows: dict[tuple[str, str], dict[str, Any]]) -> set[tuple[str, str]]:
        """The batch's keys stored already; DuplicateError when one differs."""
        sellers: dict[str, builtins.list[str]] = {}
        for seller_id, key in rows:
            sellers.setdefault(seller_id, []).append(key)
        stored: set[tuple[str, str]] = set()
        for seller_id, keys in sellers.items():
            for start in range(0, len(keys), _SLICE):
                part = keys[start : start + _SLICE]
                for row in self._stored_rows(seller_id, part):
                    if not _same(row, rows[seller_id, row.key]):
                        raise usage_conflict(row.key)
                    stored.add((seller_id, row.key))
        return stored

    def add_many(self, records: Sequence[UsageRecord]) -> builtins.list[bool]:
        """Append the new ones; False for a key stored already with the same content."""
        first = check_batch(records)
        rows = {key: self._row(record) for key, record in first.items()}
        stored = self._check_stored(rows)
        new = [row for key, row in rows.items() if key not in stored]
        if new:
            savepoint = self._c.conn.begin_nested()
            try:
                inserted = self._insert_rows(new)
                raced = {k: rows[k] for k in rows if k not in stored and k not in inserted}
                stored |= self._check_stored(raced) if raced else set()
            except BaseException:
                savepoint.rollback()
                raise
            savepoint.commit()
        return fresh(records, stored)

    def _insert_rows(self, new: builtins.list[dict[str, Any]]) -> set[tuple[str, str]]:
        """Insert, skipping keys taken meanwhile; the (seller, key) of the rows inserted."""
        if not self._c.postgres:
            found = self._c.rows("store usage records", self._insert, new)
            return {(r.seller_id, r.key) for r in found}
        params = [
            (
                r["seller_id"],
                r["key"],
                r["subscription_id"],
                r["meter"],
                r["quantity"],
                r["at"],
                r["received_at"],
                None if r["properties"] is None else json.dumps(r["properties"]),
            )
            for r in new
        ]
        found = self._driver("store usage records", _PG_INSERT, params, many=True)
        return {(r[0], r[1]) for r in found}

    def aggregate(
        self, query: UsageQuery, aggregation: Aggregation, *, prop: str | None = None
    ) -> Usage:
        """The matching records aggregated in SQL."""
        if not self._c.postgres:
            return self._sqlite_aggregate(query, aggregation, prop)
        late = _LATE if query.received_before is not None else ""
        params: dict[str, Any] = {
            "seller_id": query.seller_id,
            "subscription_id": query.subscription_id,
            "meter": query.meter,
            "start": query.start,
            "end": query.end,
        }
        if late:
            params["received_before"] = query.received_before
        if aggregation is Aggregation.UNIQUE_COUNT:
            params["prop"] = prop or ""
        sql = sa.text(_PG[aggregation].format(where=_PG_WHERE + late))
        found = self._c.first("aggregate usage", sql, params)
        assert found is not None  # noqa: S101 - an aggregate always returns a row
        row: tuple[Any, ...] = tuple(found)
        events = int(row[0])
        if aggregation is Aggregation.COUNT:
            return Usage(Decimal(events), events)
        if aggregation is not Aggregation.WEIGHTED_SUM:
            return Usage(Decimal(row[1] or 0), events)
        params.pop("end")
        params.pop("prop", None)
        level = self._c.first("read the usage level", sa.text(_PG_LEVEL.format(late=late)), params)
        first: datetime = query.end if row[1] is None else row[1]
        total = int(Decimal(row[2] or 0) * _MICRO)
        if level is not None:
            total += quantity_units(Decimal(level[0])) * (micros(first) - micros(query.start))
        return Usage(weighted_quantity(total), events)

    def aggregate_many(
        self, queries: Sequence[tuple[UsageQuery, Aggregation, str | None]]
    ) -> builtins.list[Usage]:
        """``[aggregate(q) for q in queries]`` with one statement per page of SUM/COUNT/MAX/UNIQUE_COUNT."""
        return collect(queries, self._page, lambda q, a, p: self.aggregate(q, a, prop=p))

    def _page(
        self, group: Group, page: builtins.list[tuple[int, UsageQuery]]
    ) -> Iterator[tuple[int, Usage]]:
        if not self._c.postgres:
            sql, named, usage = sqlite_sql(group, page)
            for row in self._c.rows("aggregate usage", sa.text(sql), named):
                yield int(row[0]), usage(tuple(row))
            return
        text, params = pg_sql(group, page)
        for row in self._driver("aggregate usage", text, params):
            events = int(row[1])
            if group[0] is Aggregation.COUNT:
                yield int(row[0]), Usage(Decimal(events), events)
            else:
                yield int(row[0]), Usage(Decimal(row[2] or 0), events)

    def _sqlite_aggregate(
        self, query: UsageQuery, aggregation: Aggregation, prop: str | None
    ) -> Usage:
        late = query.received_before is not None
        start, end = micros(query.start), micros(query.end)
        params: dict[str, Any] = {
            "seller_id": query.seller_id,
            "subscription_id": query.subscription_id,
            "meter": query.meter,
            "start": start,
            "end": end,
        }
        if query.received_before is not None:
            params["received_before"] = micros(query.received_before)
        if aggregation is Aggregation.UNIQUE_COUNT:
            params["path"] = property_path(prop or "")

        def one(text: str) -> tuple[Any, ...]:
            row = self._c.first("aggregate usage", sa.text(text), params)
            assert row is not None  # noqa: S101 - an aggregate always returns a row
            return tuple(row)

        level = 0
        if aggregation is not Aggregation.WEIGHTED_SUM:
            row = one(aggregate_sql(aggregation, received_before=late))
        else:
            row = weighted_row(one, received_before=late)
            params.pop("end")
            found = self._c.first(
                "read the usage level", sa.text(level_sql(received_before=late)), params
            )
            level = 0 if found is None else int(found[0])
        return usage_of(aggregation, row, start=start, end=end, level=level)

    def late(
        self, seller_id: str, subscription_id: str, *, received_from: datetime, before: datetime
    ) -> builtins.list[tuple[str, datetime]]:
        """(meter, at) of records received at or after ``received_from`` stamped before ``before``."""
        convert: Any = (lambda t: t) if self._c.postgres else micros
        query = (
            sa.select(_U.c.meter, _U.c.at)
            .where(
                _U.c.seller_id == seller_id,
                _U.c.subscription_id == subscription_id,
                _U.c.received_at >= convert(received_from),
                _U.c.at < convert(before),
            )
            .order_by(_U.c.meter, _U.c.at)
        )
        rows = self._c.rows("find late usage", query)
        if self._c.postgres:
            return [(row.meter, row.at.astimezone(UTC)) for row in rows]
        return [(row.meter, from_micros(row.at)) for row in rows]

"""Many usage aggregates in one statement: ``aggregate_many`` of the SQL adapters.

Queries are grouped by what their statement shares (aggregation, property, seller,
``received_before``); each group of up to ``PAGE`` queries is one SELECT joining the
list of (subscription, meter, start, end) to ``usage_records`` with one row per query
(LEFT JOIN: a query without records still has its row). SUM, COUNT, MAX and
UNIQUE_COUNT batch; WEIGHTED_SUM and LAST (a window function, an ordered pick) stay
one query each, by ``aggregate``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from invoicekit.adapters.storage.usage_sql import micros, property_path, usage_of
from invoicekit.domain.usage import Aggregation, Usage
from invoicekit.subscription_records import UsageQuery

__all__ = ["BATCHED", "PAGE", "Group", "collect", "groups", "pg_sql", "sqlite_sql"]

#: Queries per statement (5 bound values each: under SQLite's limit of 32766).
PAGE: Final = 500
#: The aggregations one statement computes for many queries.
BATCHED: Final = frozenset(
    {Aggregation.SUM, Aggregation.COUNT, Aggregation.MAX, Aggregation.UNIQUE_COUNT}
)
#: (aggregation, property, seller, received_before): what one statement's queries share.
Group = tuple[Aggregation, str | None, str, datetime | None]

_SQLITE_COLUMNS: Final = {
    Aggregation.SUM: "COUNT(u.key), SUM(u.quantity % 1000000), SUM(u.quantity / 1000000)",
    Aggregation.COUNT: "COUNT(u.key)",
    Aggregation.MAX: "COUNT(u.key), MAX(u.quantity)",
    Aggregation.UNIQUE_COUNT: "COUNT(u.key), COUNT(DISTINCT json_extract(u.properties, :path))",
}
_PG_COLUMNS: Final = {
    Aggregation.SUM: "COUNT(u.key), SUM(u.quantity)",
    Aggregation.COUNT: "COUNT(u.key)",
    Aggregation.MAX: "COUNT(u.key), MAX(u.quantity)",
    Aggregation.UNIQUE_COUNT: "COUNT(u.key), COUNT(DISTINCT u.properties ->> %(prop)s)",
}


def groups(queries: Sequence[Asked]) -> dict[Group, list[int]]:
    """The positions of the batched queries, by what their statement shares."""
    found: dict[Group, list[int]] = {}
    for n, (query, aggregation, prop) in enumerate(queries):
        if aggregation in BATCHED:
            used = prop if aggregation is Aggregation.UNIQUE_COUNT else None
            key = (aggregation, used, query.seller_id, query.received_before)
            found.setdefault(key, []).append(n)
    return found


#: One query of a list: (query, aggregation, property).
Asked = tuple[UsageQuery, Aggregation, str | None]


def collect(
    queries: Sequence[Asked],
    run_page: Callable[[Group, list[tuple[int, UsageQuery]]], Iterable[tuple[int, Usage]]],
    one: Callable[[UsageQuery, Aggregation, str | None], Usage],
) -> list[Usage]:
    """``aggregate_many``: each group's pages by ``run_page`` ((position, Usage) rows), the rest by ``one``."""
    found: list[Usage | None] = [None] * len(queries)
    for group, positions in groups(queries).items():
        for start in range(0, len(positions), PAGE):
            page = [(n, queries[n][0]) for n in positions[start : start + PAGE]]
            for n, usage in run_page(group, page):
                found[n] = usage
    return [
        one(query, aggregation, prop) if usage is None else usage
        for usage, (query, aggregation, prop) in zip(found, queries, strict=True)
    ]


def sqlite_sql(
    group: Group, page: Sequence[tuple[int, UsageQuery]]
) -> tuple[str, dict[str, Any], Callable[[tuple[Any, ...]], Usage]]:
    """The SELECT of one page of a group on SQLite, its named parameters, and row -> Usage."""
    aggregation, prop, seller_id, received_before = group
    params: dict[str, Any] = {"seller_id": seller_id}
    values = []
    for n, query in page:
        values.append(f"(:i{n}, :b{n}, :m{n}, :s{n}, :e{n})")
        params[f"i{n}"] = n
        params[f"b{n}"] = query.subscription_id
        params[f"m{n}"] = query.meter
        params[f"s{n}"] = micros(query.start)
        params[f"e{n}"] = micros(query.end)
    late = ""
    if received_before is not None:
        late = " AND u.received_at < :received_before"
        params["received_before"] = micros(received_before)
    if aggregation is Aggregation.UNIQUE_COUNT:
        params["path"] = property_path(prop or "")
    sql = (
        f"WITH q(i, sub, meter, s, e) AS (VALUES {', '.join(values)}) "  # noqa: S608 - constants and numbered names only
        f"SELECT q.i, {_SQLITE_COLUMNS[aggregation]} FROM q LEFT JOIN usage_records u "
        "ON u.seller_id = :seller_id AND u.subscription_id = q.sub AND u.meter = q.meter "
        f"AND u.at >= q.s AND u.at < q.e{late} GROUP BY q.i"
    )

    def usage(row: tuple[Any, ...]) -> Usage:
        return usage_of(aggregation, tuple(row[1:]), start=0, end=0, level=0)

    return sql, params, usage


def pg_sql(group: Group, page: Sequence[tuple[int, UsageQuery]]) -> tuple[str, dict[str, Any]]:
    """The SELECT of one page of a group on PostgreSQL (psycopg ``%(name)s`` parameters).

    The queries are five arrays ``unnest`` turns into rows: one statement text whatever
    the page's size, so the server plans it once per connection.
    """
    aggregation, prop, seller_id, received_before = group
    params: dict[str, Any] = {
        "seller_id": seller_id,
        "i": [n for n, _ in page],
        "b": [q.subscription_id for _, q in page],
        "m": [q.meter for _, q in page],
        "s": [q.start for _, q in page],
        "e": [q.end for _, q in page],
    }
    late = ""
    if received_before is not None:
        late = " AND u.received_at < %(received_before)s"
        params["received_before"] = received_before
    if aggregation is Aggregation.UNIQUE_COUNT:
        params["prop"] = prop or ""
    sql = (
        f"SELECT q.i, {_PG_COLUMNS[aggregation]} FROM unnest(%(i)s::int[], %(b)s::text[], "  # noqa: S608 - constants only
        "%(m)s::text[], %(s)s::timestamptz[], %(e)s::timestamptz[]) AS q(i, sub, meter, s, e) "
        "LEFT JOIN usage_records u ON u.seller_id = %(seller_id)s AND u.subscription_id = q.sub "
        f"AND u.meter = q.meter AND u.at >= q.s AND u.at < q.e{late} GROUP BY q.i"
    )
    return sql, params

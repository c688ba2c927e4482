"""Usage records as SQLite rows, and the SQLite aggregate statements (``SqliteStorage`` and SQLAlchemy on SQLite).

SQLite has no exact decimal type, so a quantity is stored as an INTEGER scaled by
10**6 (``quantity_units``: usage has at most 6 decimal places) and every sum is an
exact integer sum. Times are INTEGER microseconds since 1970-01-01 UTC: compact,
ordered, and differences are durations. Sums that could pass 64 bits are taken in
limbs of 10**6 and joined in Python, so no aggregate overflows or rounds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from invoicekit.domain.usage import (
    PROPERTY_KEY,
    USAGE_PLACES,
    Aggregation,
    Usage,
    UsageRecord,
    quantity_units,
    weighted_quantity,
)
from invoicekit.errors import StorageError

__all__ = [
    "EPOCH",
    "WEIGHTED_LIMBS",
    "aggregate_sql",
    "from_micros",
    "join_limbs",
    "level_sql",
    "micros",
    "properties_text",
    "property_path",
    "sqlite_row",
    "usage_of",
    "weighted_row",
]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_LIMB: Final = 10**6
#: WEIGHTED_SUM: Σ level × microseconds in limbs of 10**6: term k holds the products of
#: limb i of the level and limb j of the duration with i + j = k.
WEIGHTED_LIMBS: Final = 5


def micros(value: datetime) -> int:
    """Microseconds since 1970-01-01 UTC of an aware datetime."""
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    """The UTC datetime of stored microseconds."""
    return EPOCH + timedelta(microseconds=value)


def properties_text(record: UsageRecord) -> str | None:
    """The stored JSON of a record's properties; None when it has none."""
    if not record.properties:
        return None
    return json.dumps(dict(record.properties), sort_keys=True, separators=(",", ":"))


def sqlite_row(record: UsageRecord) -> tuple[Any, ...]:
    """The values of the INSERT of ``record`` (the order of ``COLUMNS``)."""
    return (
        record.seller_id,
        record.key,
        record.subscription_id,
        record.meter,
        quantity_units(record.quantity),
        micros(record.at),
        micros(record.received_at),
        properties_text(record),
    )


def property_path(prop: str) -> str:
    """The JSON path of a property; a name no record can have (UsageRecord checks keys) finds none."""
    if not PROPERTY_KEY.fullmatch(prop):
        return '$."no such property"'  # a space: no stored key has one
    return f'$."{prop}"'


def _limb(column: str, i: int) -> str:
    if i == 0:
        return f"({column} % {_LIMB})"
    if i == 2:  # noqa: PLR2004 - the top limb
        return f"({column} / {_LIMB**2})"
    return f"(({column} / {_LIMB}) % {_LIMB})"


def _weighted_terms() -> str:
    terms = []
    for k in range(WEIGHTED_LIMBS):
        parts = [f"{_limb('l', i)} * {_limb('d', k - i)}" for i in range(3) if 0 <= k - i < 3]  # noqa: PLR2004
        terms.append(f"SUM({' + '.join(parts)})")
    return ", ".join(terms)


_WHERE: Final = (
    "seller_id = :seller_id AND subscription_id = :subscription_id AND meter = :meter"
    " AND at >= :start AND at < :end"
)
_STATEMENTS: Final = {
    Aggregation.SUM: "SELECT COUNT(*), SUM(quantity % 1000000), SUM(quantity / 1000000) "
    "FROM usage_records WHERE {where}",
    Aggregation.COUNT: "SELECT COUNT(*) FROM usage_records WHERE {where}",
    Aggregation.MAX: "SELECT COUNT(*), MAX(quantity) FROM usage_records WHERE {where}",
    Aggregation.UNIQUE_COUNT: "SELECT COUNT(*), COUNT(DISTINCT json_extract(properties, :path)) "
    "FROM usage_records WHERE {where}",
    Aggregation.LAST: "SELECT COUNT(*), (SELECT quantity FROM usage_records WHERE {where} "
    "ORDER BY at DESC, key DESC LIMIT 1) FROM usage_records WHERE {where}",
    Aggregation.WEIGHTED_SUM: "WITH w AS (SELECT quantity AS l, at, "  # noqa: S608 - constants only
    "LEAD(at, 1, :end) OVER (ORDER BY at, key) - at AS d FROM usage_records WHERE {where}) "
    f"SELECT COUNT(*), MIN(at), {_weighted_terms()} FROM w",
}


#: WEIGHTED_SUM with one product per row: exact unless a product passes 64 bits (SQLite
#: then makes it REAL) or the sum does (SQLite raises "integer overflow"); ``weighted_row``
#: falls back to the limbs then.
_WEIGHTED_FAST: Final = (
    "WITH w AS (SELECT quantity AS l, at, "
    "LEAD(at, 1, :end) OVER (ORDER BY at, key) - at AS d FROM usage_records WHERE {where}) "
    "SELECT COUNT(*), MIN(at), SUM(l * d) FROM w"
)


def weighted_row(
    run: Callable[[str], tuple[Any, ...]], *, received_before: bool
) -> tuple[Any, ...]:
    """The WEIGHTED_SUM row (count, first at, limb sums...) by ``run`` (SQL -> its one row)."""
    where = _WHERE + (" AND received_at < :received_before" if received_before else "")
    try:
        row = run(_WEIGHTED_FAST.format(where=where))
    except StorageError as exc:
        if "integer overflow" not in str(exc):
            raise
    else:
        if row[2] is None or type(row[2]) is int:
            return row
    return run(aggregate_sql(Aggregation.WEIGHTED_SUM, received_before=received_before))


def aggregate_sql(aggregation: Aggregation, *, received_before: bool) -> str:
    """The SELECT of one aggregation (named parameters; ``:received_before`` when asked)."""
    where = _WHERE + (" AND received_at < :received_before" if received_before else "")
    return _STATEMENTS[aggregation].format(where=where)


def level_sql(*, received_before: bool) -> str:
    """WEIGHTED_SUM: the quantity of the last record before ``:start`` (by at, then key)."""
    where = (
        "seller_id = :seller_id AND subscription_id = :subscription_id AND meter = :meter"
        " AND at < :start"
    )
    if received_before:
        where += " AND received_at < :received_before"
    return f"SELECT quantity FROM usage_records WHERE {where} ORDER BY at DESC, key DESC LIMIT 1"  # noqa: S608 - constants only


def join_limbs(sums: tuple[Any, ...]) -> int:
    """Σ_k sums[k] × 10**(6k), NULL sums as 0."""
    return sum((s or 0) * _LIMB**k for k, s in enumerate(sums))


def _units(value: int) -> Decimal:
    return Decimal(value).scaleb(-USAGE_PLACES)


def usage_of(
    aggregation: Aggregation, row: tuple[Any, ...], *, start: int, end: int, level: int
) -> Usage:
    """The Usage of an ``aggregate_sql`` row (times in microseconds, ``level`` scaled)."""
    events = int(row[0])
    if aggregation is Aggregation.SUM:
        return Usage(_units(join_limbs(row[1:3])), events)
    if aggregation is Aggregation.COUNT:
        return Usage(Decimal(events), events)
    if aggregation is Aggregation.UNIQUE_COUNT:
        return Usage(Decimal(row[1]), events)
    if aggregation in (Aggregation.MAX, Aggregation.LAST):
        return Usage(_units(row[1] or 0), events)
    first = end if row[1] is None else int(row[1])
    total = join_limbs(row[2:]) + level * (first - start)
    return Usage(weighted_quantity(total), events)

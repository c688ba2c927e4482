"""Usage records: ingestion in batches and aggregating a period, on SQLite and PostgreSQL.

Rows (the floors work on the same rows, in the same run, on the same machine):

* ``ingest SQLite`` / ``ingest PG``: ``UsageRepository.add_many`` of batches of
  1,000 records, one transaction per batch (keys checked, rows converted, one
  ``executemany``/multi-row INSERT). Floor: a raw ``executemany`` of the same rows,
  already converted, into a scratch table with the same columns and indexes, one
  transaction per batch. Goal: at most 3x. The PostgreSQL events/s is printed beside
  Lago's published ~10,000 events/s (here PostgreSQL shares the machine's 2 cores).
* ``aggregate <SUM|UNIQUE_COUNT|WEIGHTED_SUM> <store>``: ``UsageRepository.aggregate``
  over 1,000,000 events of one subscription's period against a hand-written SQL
  aggregate of the same rows. Goal: at most 2x.

Usage: ``python benchmarks/bench_usage.py [--quick] [--no-postgres] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import common

from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.adapters.storage.usage_sql import micros, sqlite_row
from invoicekit.domain.usage import Aggregation, UsageRecord
from invoicekit.ports import Storage, UsageQuery

T0 = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)
BATCH = 1000
LAGO = 10_000
SQLITE_SCRATCH = (
    (
        "CREATE TABLE scratch (seller_id TEXT NOT NULL, key TEXT NOT NULL, subscription_id TEXT "
        "NOT NULL, meter TEXT NOT NULL, quantity INTEGER NOT NULL, at INTEGER NOT NULL, "
        "received_at INTEGER NOT NULL, properties TEXT, UNIQUE (seller_id, key))"
    ),
    "CREATE INDEX scratch_period ON scratch (seller_id, subscription_id, meter, at, key, quantity)",
    "CREATE INDEX scratch_received ON scratch (seller_id, subscription_id, received_at)",
)
SQLITE_INSERT = "INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
PG_INSERT = "INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
WHERE = (
    "seller_id = 's-1' AND subscription_id = 'sub-1' AND meter = 'api_calls' "
    "AND at >= {start} AND at < {end}"
)
#: The hand-written aggregates (the floor): what one would write for each, by hand.
HAND = {
    Aggregation.SUM: "SELECT COUNT(*), SUM(quantity) FROM usage_records WHERE {where}",
    Aggregation.UNIQUE_COUNT: "SELECT COUNT(DISTINCT {prop}) FROM usage_records WHERE {where}",
    Aggregation.WEIGHTED_SUM: "SELECT SUM(quantity * (nxt - at)) FROM (SELECT quantity, at, "
    "LEAD(at, 1, {end}) OVER (ORDER BY at) AS nxt FROM usage_records WHERE {where}) w",
}


def records(n: int, *, start: int = 0, sub: str = "sub-1") -> Iterator[UsageRecord]:
    """``n`` checked records spread over March, 5,000 distinct users."""
    step = (END - T0) / max(n, 1)
    for i in range(start, start + n):
        at = T0 + step * (i - start)
        yield UsageRecord.create(
            seller_id="s-1",
            subscription_id=sub,
            meter="api_calls",
            key=f"{sub}-{i:09d}",
            quantity=Decimal(i % 7) + Decimal("0.25"),
            at=at,
            received_at=at,
            properties={"user": f"u{i % 5000}"},
        )


def pg_values(r: UsageRecord) -> tuple[Any, ...]:
    props = json.dumps(dict(r.properties)) if r.properties else None
    return (r.seller_id, r.key, r.subscription_id, r.meter, r.quantity, r.at, r.received_at, props)


def ingest(
    store: Storage, raw: Callable[[list[tuple[Any, ...]]], None], convert: Any, batches: int
) -> tuple[float, float]:
    """Seconds of ``add_many`` over ``batches`` of BATCH, and of the raw floor on the same rows."""
    made = [list(records(BATCH, start=b * BATCH, sub="ingest")) for b in range(batches)]
    rows = [[convert(r) for r in batch] for batch in made]
    start = time.perf_counter()
    for batch in rows:
        raw(batch)
    floor = time.perf_counter() - start
    start = time.perf_counter()
    for batch_records in made:
        with store.transaction() as tx:
            tx.usage.add_many(batch_records)
    library = time.perf_counter() - start
    return library, floor


def sqlite_case(path: Path, *, batches: int, events: int) -> list[common.Row]:
    store = SqliteStorage.open(path / "usage.db", synchronous="NORMAL")
    conn = sqlite3.connect(path / "usage.db", isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")
    for statement in SQLITE_SCRATCH:
        conn.execute(statement)

    def raw(batch: list[tuple[Any, ...]]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(SQLITE_INSERT.format(table="scratch"), batch)
        conn.execute("COMMIT")

    lib, floor = ingest(store, raw, sqlite_row, batches)
    n = batches * BATCH
    rows = [common.ratio_goal("ingest SQLite (events/s)", n, lib, floor, 3)]
    conn.execute("BEGIN")
    for chunk in _chunks(records(events), 50_000):
        conn.executemany(SQLITE_INSERT.format(table="usage_records"), map(sqlite_row, chunk))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    where = WHERE.format(start=micros(T0), end=micros(END))
    hand = {
        a: sql.format(where=where, end=micros(END), prop="json_extract(properties, '$.user')")
        for a, sql in HAND.items()
    }
    rows += _aggregates(store, lambda a: conn.execute(hand[a]).fetchall(), "SQLite", events)
    conn.close()
    store.close()
    return rows


def pg_case(*, batches: int, events: int) -> list[common.Row]:
    import bench_postgres as bp
    import psycopg

    with bp.scratch_database() as url:
        store = SqlAlchemyStorage(bp.library_url(url))
        conn = psycopg.connect(**bp.conninfo(url), autocommit=True)
        conn.execute("CREATE TABLE scratch (LIKE usage_records INCLUDING ALL)")

        def raw(batch: list[tuple[Any, ...]]) -> None:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(PG_INSERT.format(table="scratch"), batch)

        lib, floor = ingest(store, raw, pg_values, batches)
        n = batches * BATCH
        row = common.ratio_goal("ingest PG (events/s)", n, lib, floor, 3)
        rows = [{**row, "note": f"Lago: ~{LAGO:,} events/s published; PG shares 2 cores here"}]
        with conn.cursor() as cur, cur.copy("COPY usage_records FROM STDIN") as copy:
            for r in records(events):
                copy.write_row(pg_values(r))
        conn.execute("VACUUM ANALYZE usage_records")
        where = WHERE.format(start=f"'{T0.isoformat()}'", end=f"'{END.isoformat()}'")
        hand = {
            a: sql.format(
                where=where, end=f"'{END.isoformat()}'::timestamptz", prop="properties ->> 'user'"
            )
            for a, sql in HAND.items()
        }
        hand[Aggregation.WEIGHTED_SUM] = hand[Aggregation.WEIGHTED_SUM].replace(
            "(nxt - at)", "EXTRACT(EPOCH FROM nxt - at)"
        )
        rows += _aggregates(store, lambda a: conn.execute(hand[a]).fetchall(), "PG", events)
        conn.close()
        store.close()
    return rows


def _aggregates(
    store: Storage, hand: Callable[[Aggregation], object], name: str, events: int
) -> list[common.Row]:
    query = UsageQuery(
        seller_id="s-1", subscription_id="sub-1", meter="api_calls", start=T0, end=END
    )
    rows = []
    for aggregation in HAND:

        def library(a: Aggregation = aggregation) -> object:
            with store.transaction(write=False) as tx:
                return tx.usage.aggregate(query, a, prop="user")

        lib = common.best(library, repeat=3)
        floor = common.best(lambda a=aggregation: hand(a), repeat=3)
        case = f"aggregate {aggregation.name} {name} (events/s)"
        rows.append(common.ratio_goal(case, events, lib, floor, 2))
    return rows


def _chunks(items: Iterator[UsageRecord], size: int) -> Iterator[list[UsageRecord]]:
    chunk: list[UsageRecord] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args()
    batches, events = (2, 10_000) if args.quick else (50, 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        rows = sqlite_case(Path(tmp), batches=batches, events=events)
    if not args.no_postgres:
        rows += pg_case(batches=batches, events=events)
    common.emit(rows, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

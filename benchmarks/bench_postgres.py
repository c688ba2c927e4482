"""SqlAlchemyStorage on PostgreSQL against raw psycopg doing the same SQL work, in the same run.

Three cases, each a row of ``run()``:

* ``bulk``: 10-line invoices, each stored as a draft then saved issued (with its
  content hash), 1,000 per transaction. Floor: psycopg ``executemany`` of the same
  rows and the same (pre-serialized) documents. ``serialize_share`` is how much of
  the library's time is turning invoices into documents, which the floor skips.
* ``per_tx``: the same work, one transaction per invoice (invoices per second).
* ``overdue``: ``find(overdue_on=...)`` (first page of 100) among N stored invoices
  against the same query written by hand on the same index, returning the same rows.

It creates a throw-away database ``invoicekit_bench_<pid>`` next to the one named
by ``INVOICEKIT_BENCH_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``,
then ``root@``) and drops it afterwards. Absolute figures depend on the server and
its disk; the ratios are what we track. Nothing here asserts a time.
Usage: ``python benchmarks/bench_postgres.py [--overdue-n 100000]``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import psycopg
import sqlalchemy as sa
from psycopg import sql

from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.domain import lifecycle
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.line import Line
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.status import Status
from invoicekit.domain.tax import Vat
from invoicekit.ports import InvoiceQuery
from invoicekit.serialization import canonical_json, content_hash, make_converter, to_document

AT = datetime(2026, 3, 1, 9, tzinfo=UTC)
CONVERTER = make_converter()
OPEN = ["pending", "partially_paid", "overdue", "failed"]
ADMIN_URLS = (
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql://root@127.0.0.1:5432/test",
)
INSERT = (
    "INSERT INTO invoices (seller_id, id, customer_id, status, series, number, issue_date, "
    "due_date, version, content_hash, doc) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
UPDATE = (
    "UPDATE invoices SET status = %s, number = %s, issue_date = %s, due_date = %s, version = %s, "
    "content_hash = %s, doc = %s WHERE seller_id = %s AND id = %s AND version = %s"
)
COLUMNS = (
    "seller_id, id, customer_id, status, series, number, issue_date, due_date, version, "
    "content_hash, doc"
)
Pair = tuple[Invoice, Invoice, str]


def conninfo(url: str) -> dict[str, Any]:
    parsed = sa.make_url(url)
    return {
        "host": parsed.host,
        "port": parsed.port or 5432,
        "user": parsed.username,
        "password": parsed.password,
        "dbname": parsed.database,
    }


@contextmanager
def scratch_database() -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards."""
    candidates = (
        [os.environ["INVOICEKIT_BENCH_PG_URL"]]
        if "INVOICEKIT_BENCH_PG_URL" in os.environ
        else ADMIN_URLS
    )
    errors = []
    for url in candidates:
        try:
            admin = psycopg.connect(**conninfo(url), autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc:
            errors.append(f"{url}: {exc}")
            continue
        name = f"invoicekit_bench_{os.getpid()}"
        with admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            try:
                yield sa.make_url(url).set(database=name).render_as_string(hide_password=False)
            finally:
                admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        return
    raise RuntimeError("no PostgreSQL server: " + "; ".join(errors))


def parties() -> tuple[Seller, Customer]:
    seller = Seller(id="s1", name="Northwind", country="DE", currency="EUR")
    customer = Customer(id="c1", seller_id="s1", name="Globex", email="ap@globex.example")
    return seller, customer


def make_pairs(n: int, lines: int = 10, prefix: str = "i") -> list[Pair]:
    """``n`` (draft, issued, content hash) triples of ``lines``-line invoices."""
    seller, customer = parties()
    rows = [
        Line(f"item {k}", quantity=f"{1 + k % 3}", unit_price=f"{10 + k}.50", tax=Vat("19"))
        for k in range(lines)
    ]
    draft = Invoice.draft(id="t", seller=seller, customer=customer, lines=rows, at=AT)
    made = []
    for k in range(n):
        d = attrs.evolve(draft, id=f"{prefix}{k}")
        command = lifecycle.Issue(number=f"{prefix}-{k:06d}", seller=seller, customer=customer)
        issued, _ = lifecycle.apply(d, command, at=AT)
        made.append((d, issued, content_hash(to_document(CONVERTER, issued))))
    return made


def library_store(storage: SqlAlchemyStorage, pairs: list[Pair], per_tx: int) -> float:
    start = time.perf_counter()
    for i in range(0, len(pairs), per_tx):
        with storage.transaction() as tx:
            for draft, issued, _digest in pairs[i : i + per_tx]:
                tx.invoices.add(draft)
                tx.invoices.save(issued, expected_version=draft.version, freeze=True)
    return time.perf_counter() - start


def raw_rows(pairs: list[Pair]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    inserts, updates = [], []
    for draft, issued, digest in pairs:
        doc = canonical_json(to_document(CONVERTER, draft))
        inserts.append(("s1", draft.id, "c1", "draft", "invoice", None, None, None, 1, None, doc))
        updates.append(
            (
                issued.status.value,
                issued.number,
                issued.issue_date,
                issued.due_date,
                issued.version,
                digest,
                canonical_json(to_document(CONVERTER, issued)),
                "s1",
                issued.id,
                draft.version,
            )
        )
    return inserts, updates


def raw_store(url: str, pairs: list[Pair], per_tx: int) -> float:
    inserts, updates = raw_rows(pairs)
    with psycopg.connect(**conninfo(url)) as conn:
        start = time.perf_counter()
        for i in range(0, len(pairs), per_tx):
            with conn.transaction(), conn.cursor() as cur:
                if per_tx == 1:  # executemany of one row is execute
                    cur.execute(INSERT, inserts[i])
                    cur.execute(UPDATE, updates[i])
                else:
                    cur.executemany(INSERT, inserts[i : i + per_tx])
                    cur.executemany(UPDATE, updates[i : i + per_tx])
        return time.perf_counter() - start


def serialize_only(pairs: list[Pair]) -> float:
    start = time.perf_counter()
    for draft, issued, _ in pairs:
        canonical_json(to_document(CONVERTER, draft))
        document = to_document(CONVERTER, issued)
        canonical_json(document)
        content_hash(document)
    return time.perf_counter() - start


def settle(url: str) -> None:
    """Let no phase pay for the one before: fresh statistics, and the WAL flushed if allowed.

    ANALYZE matters: psycopg prepares a statement run five times, and PostgreSQL may
    keep a generic plan made while the table was empty (a sequential scan) until
    autovacuum analyzes it, up to a minute later. A live database has statistics.
    """
    with psycopg.connect(**conninfo(url), autocommit=True) as conn:
        conn.execute("ANALYZE")
        with suppress(psycopg.Error):  # CHECKPOINT needs a superuser; not essential
            conn.execute("CHECKPOINT")


def bulk(storage: SqlAlchemyStorage, url: str, n: int, repeat: int = 3) -> dict[str, object]:
    """Best of ``repeat`` runs each, alternating; each run stores new ids."""
    lib, floor, ser = [], [], []
    for k in range(repeat):
        pairs = make_pairs(n, prefix=f"bulk{k}-")
        settle(url)
        lib.append(library_store(storage, pairs, 1000))
        settle(url)
        floor.append(raw_store(url, make_pairs(n, prefix=f"raw{k}-"), 1000))
        ser.append(serialize_only(pairs))
    return {
        "case": "bulk",
        "invoices": n,
        "library_per_s": n / min(lib),
        "floor_per_s": n / min(floor),
        "ratio": min(lib) / min(floor),
        "serialize_share": min(ser) / min(lib),
    }


def per_transaction(
    storage: SqlAlchemyStorage, url: str, n: int, repeat: int = 3
) -> dict[str, object]:
    """Best of ``repeat`` alternating runs of ``n`` one-invoice transactions each."""
    libs, floors = [], []
    for k in range(repeat):
        settle(url)
        libs.append(library_store(storage, make_pairs(n, prefix=f"tx{k}-"), 1))
        settle(url)
        floors.append(raw_store(url, make_pairs(n, prefix=f"tx-raw{k}-"), 1))
    lib, floor = min(libs), min(floors)
    return {
        "case": "per_tx",
        "invoices": n,
        "library_per_s": n / lib,
        "floor_per_s": n / floor,
        "ratio": lib / floor,
    }


STATUS_MIX = (
    [Status.PAID] * 14
    + [Status.PENDING] * 2
    + [Status.OVERDUE, Status.PARTIALLY_PAID, Status.VOID, Status.DRAFT]
)


def populate(url: str, n: int) -> None:
    """``n`` one-line invoices of seller ``s2`` over two years, ~20 % open; COPYed (fast)."""
    (_, issued, _) = make_pairs(1, lines=1)[0]
    template = to_document(CONVERTER, attrs.evolve(issued, seller_id="s2"))
    with psycopg.connect(**conninfo(url)) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY invoices ({COLUMNS}) FROM STDIN") as copy:
            for k in range(n):
                status = STATUS_MIX[k % len(STATUS_MIX)]
                day = date(2024, 1, 1) + timedelta(days=(k * 7919) % 730)
                doc = dict(template, id=f"inv-{k:07d}", status=status.value)
                if status is Status.DRAFT:
                    doc.update(number=None, issue_date=None, due_date=None, issued_at=None)
                    doc.update(seller=None, customer=None)
                else:
                    due = (day + timedelta(days=30)).isoformat()
                    doc.update(number=f"INV-{k:07d}", issue_date=day.isoformat(), due_date=due)
                digest = None if status is Status.DRAFT else content_hash(doc)
                copy.write_row(
                    (
                        "s2",
                        doc["id"],
                        "c1",
                        status.value,
                        "invoice",
                        doc["number"],
                        doc["issue_date"],
                        doc["due_date"],
                        doc["version"],
                        digest,
                        canonical_json(doc),
                    )
                )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE invoices")
    settle(url)


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def overdue(storage: SqlAlchemyStorage, url: str, n: int) -> dict[str, object]:
    """First page (100) of overdue invoices: the library against the same SQL by hand.

    The floor filters on the (seller_id, status, due_date) index and sorts by
    (issue_date, id), as the library does; the library also checks each content
    hash and rebuilds each Invoice, which the floor does not.
    """
    populate(url, n)
    on = date(2025, 12, 1)
    where = "seller_id = %s AND status = ANY(%s) AND due_date < %s"
    floor_sql = (
        f"SELECT seller_id, id, number, content_hash, doc FROM invoices WHERE {where} "  # noqa: S608 - constants only
        "ORDER BY issue_date, id LIMIT 100"
    )
    params = ("s2", OPEN, on)

    def library() -> list[Invoice]:
        with storage.transaction(write=False) as tx:
            return tx.invoices.find("s2", InvoiceQuery(overdue_on=on))

    with psycopg.connect(**conninfo(url), autocommit=True) as conn:

        def raw() -> list[Any]:
            return conn.execute(floor_sql, params).fetchall()

        if [i.id for i in library()] != [r[1] for r in raw()]:
            raise RuntimeError("library and floor disagree: the benchmark compares nothing")
        count_sql = f"SELECT count(*) FROM invoices WHERE {where}"  # noqa: S608 - constants only
        row = conn.execute(count_sql, params).fetchone()
        matches = 0 if row is None else row[0]
        lib, floor = best(library), best(raw)
    return {
        "case": "overdue",
        "invoices": n,
        "matching": matches,
        "library_ms": lib * 1e3,
        "floor_ms": floor * 1e3,
        "ratio": lib / floor,
    }


def run(
    *, bulk_n: int = 3_000, per_tx_n: int = 300, overdue_n: int = 100_000
) -> list[dict[str, object]]:
    """Measure the three cases in a scratch database; return one row per case."""
    with scratch_database() as url:
        storage = SqlAlchemyStorage(url)
        try:
            return [
                bulk(storage, url, bulk_n),
                per_transaction(storage, url, per_tx_n),
                overdue(storage, url, overdue_n),
            ]
        finally:
            storage.close()


def report(rows: list[dict[str, object]]) -> None:
    """Print the rows as a table."""
    for row in rows:
        if row["case"] == "overdue":
            print(
                f"{row['case']:>8} {row['invoices']:>9,} stored, {row['matching']:,} match: "
                f"library {row['library_ms']:.2f} ms, raw SQL {row['floor_ms']:.2f} ms, "
                f"ratio {row['ratio']:.2f}"
            )
            continue
        extra = ""
        if "serialize_share" in row:
            extra = f", serializing {float(row['serialize_share']):.0%} of library time"  # type: ignore[arg-type]
        print(
            f"{row['case']:>8} {row['invoices']:>9,} invoices: "
            f"library {row['library_per_s']:,.0f}/s, raw psycopg {row['floor_per_s']:,.0f}/s, "
            f"ratio {row['ratio']:.2f}{extra}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--overdue-n", type=int, default=100_000)
    parser.add_argument("--bulk-n", type=int, default=3_000)
    parser.add_argument("--per-tx-n", type=int, default=300)
    args = parser.parse_args()
    report(run(bulk_n=args.bulk_n, per_tx_n=args.per_tx_n, overdue_n=args.overdue_n))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

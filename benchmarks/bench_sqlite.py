"""SqliteStorage against raw ``sqlite3`` doing the same SQL work, measured in the same run.

Three cases, each a row of ``run()``:

* ``bulk``: 10-line invoices, each stored as a draft then saved issued (with its
  content hash), 1,000 per transaction. Floor: ``executemany`` of the same rows
  and the same (pre-serialized) documents. ``serialize_share`` is how much of the
  library's time is turning invoices into documents, which the floor skips.
* ``per_tx_normal`` / ``per_tx_full``: the same work, one transaction per invoice,
  with ``synchronous=NORMAL`` and ``FULL`` (FULL syncs the WAL on every commit).
* ``overdue``: ``find(overdue_on=...)`` (first page of 100) among N stored invoices
  against the same query written by hand, returning the same rows.

Absolute figures depend on the disk; the ratios are what we track.
Usage: ``python benchmarks/bench_sqlite.py [--overdue-n 1000000]``.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import attrs

from invoicekit.adapters.storage.sqlite import SqliteStorage
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
OPEN = ("pending", "partially_paid", "overdue", "failed")
INSERT = (
    "INSERT INTO invoices (seller_id, id, customer_id, status, series, number, issue_date, "
    "due_date, version, content_hash, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
UPDATE = (
    "UPDATE invoices SET status = ?, number = ?, issue_date = ?, due_date = ?, version = ?, "
    "content_hash = ?, doc = ? WHERE seller_id = ? AND id = ? AND version = ?"
)
Pair = tuple[Invoice, Invoice, str]
BATCH = 10_000


def iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


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
        command = lifecycle.Issue(number=f"INV-2026-{k:06d}", seller=seller, customer=customer)
        issued, _ = lifecycle.apply(d, command, at=AT)
        made.append((d, issued, content_hash(to_document(CONVERTER, issued))))
    return made


def library_store(storage: SqliteStorage, pairs: list[Pair], per_tx: int) -> float:
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
                iso(issued.issue_date),
                iso(issued.due_date),
                issued.version,
                digest,
                canonical_json(to_document(CONVERTER, issued)),
                "s1",
                issued.id,
                draft.version,
            )
        )
    return inserts, updates


def raw_connection(path: Path, synchronous: str = "FULL") -> sqlite3.Connection:
    SqliteStorage.open(path).close()  # the same schema
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    return conn


def raw_store(conn: sqlite3.Connection, pairs: list[Pair], per_tx: int) -> float:
    inserts, updates = raw_rows(pairs)
    start = time.perf_counter()
    for i in range(0, len(pairs), per_tx):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(INSERT, inserts[i : i + per_tx])
        conn.executemany(UPDATE, updates[i : i + per_tx])
        conn.execute("COMMIT")
    return time.perf_counter() - start


def serialize_only(pairs: list[Pair]) -> float:
    start = time.perf_counter()
    for draft, issued, _ in pairs:
        canonical_json(to_document(CONVERTER, draft))
        document = to_document(CONVERTER, issued)
        canonical_json(document)
        content_hash(document)
    return time.perf_counter() - start


def bulk(folder: Path, n: int, repeat: int = 3) -> dict[str, object]:
    """Best of ``repeat`` runs each, on a new file every run (the ids must be new)."""
    pairs = make_pairs(n)
    lib, floor, ser = [], [], []
    for k in range(repeat):
        storage = SqliteStorage.open(folder / f"bulk-{k}.sqlite")
        lib.append(library_store(storage, pairs, 1000))
        storage.close()
        conn = raw_connection(folder / f"bulk-raw-{k}.sqlite")
        floor.append(raw_store(conn, pairs, 1000))
        conn.close()
        ser.append(serialize_only(pairs))
    return {
        "case": "bulk",
        "invoices": n,
        "library_per_s": n / min(lib),
        "floor_per_s": n / min(floor),
        "ratio": min(lib) / min(floor),
        "serialize_share": min(ser) / min(lib),
    }


def per_transaction(folder: Path, n: int, mode: Literal["FULL", "NORMAL"]) -> dict[str, object]:
    pairs = make_pairs(n, prefix=f"{mode}-")
    storage = SqliteStorage.open(folder / f"tx-{mode}.sqlite", synchronous=mode)
    lib = library_store(storage, pairs, 1)
    storage.close()
    conn = raw_connection(folder / f"tx-{mode}-raw.sqlite", mode)
    floor = raw_store(conn, pairs, 1)
    conn.close()
    return {
        "case": f"per_tx_{mode.lower()}",
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


def populate(path: Path, n: int) -> None:
    """``n`` one-line invoices over two years, mostly paid, ~20 % open; written raw (fast)."""
    (_, issued, _) = make_pairs(1, lines=1)[0]
    template = to_document(CONVERTER, issued)
    conn = raw_connection(path, "NORMAL")
    conn.execute("BEGIN IMMEDIATE")
    batch = []
    for k in range(n):
        status = STATUS_MIX[k % len(STATUS_MIX)]
        day = date(2024, 1, 1) + timedelta(days=(k * 7919) % 730)
        doc = dict(template, id=f"inv-{k:07d}", status=status.value)
        if status is Status.DRAFT:
            doc.update(number=None, issue_date=None, due_date=None, issued_at=None)
            doc.update(seller=None, customer=None)
        else:
            due = day + timedelta(days=30)
            doc.update(number=f"INV-{k:07d}", issue_date=day.isoformat(), due_date=due.isoformat())
        digest = None if status is Status.DRAFT else content_hash(doc)
        batch.append(
            (
                "s1",
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
        if len(batch) == BATCH:
            conn.executemany(INSERT, batch)
            batch.clear()
    conn.executemany(INSERT, batch)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def overdue(folder: Path, n: int) -> dict[str, object]:
    """First page (100) of overdue invoices: the library, the same SQL by hand, a naive SELECT.

    The floor sorts and cuts the page on the covering index, then reads those 100
    documents (what the adapter does); the naive query sorts every matching row
    with its document, which is what a first attempt at the SQL usually looks like.
    """
    path = folder / "overdue.sqlite"
    populate(path, n)
    on = date(2025, 12, 1)
    storage = SqliteStorage(path)
    conn = sqlite3.connect(path)
    columns = "SELECT seller_id, id, number, content_hash, doc FROM invoices"
    where = "seller_id = ? AND status IN (?, ?, ?, ?) AND due_date < ?"
    page = f"SELECT rowid FROM invoices WHERE {where} ORDER BY issue_date, id LIMIT 100"  # noqa: S608 - constants only
    tuned = f"{columns} WHERE rowid IN ({page}) ORDER BY issue_date, id"
    naive = f"{columns} WHERE {where} ORDER BY issue_date, id LIMIT 100"
    params = ("s1", *OPEN, on.isoformat())

    def library() -> list[Invoice]:
        with storage.transaction(write=False) as tx:
            return tx.invoices.find("s1", InvoiceQuery(overdue_on=on))

    def raw(sql: str) -> Callable[[], list[Any]]:
        return lambda: conn.execute(sql, params).fetchall()

    expected = [i.id for i in library()]
    if expected != [r[1] for r in raw(tuned)()] or expected != [r[1] for r in raw(naive)()]:
        raise RuntimeError("library and floor disagree: the benchmark compares nothing")
    matches = conn.execute(f"SELECT count(*) FROM invoices WHERE {where}", params).fetchone()[0]  # noqa: S608 - constants only
    lib, floor, first_try = best(library), best(raw(tuned)), best(raw(naive))
    storage.close()
    conn.close()
    return {
        "case": "overdue",
        "invoices": n,
        "matching": matches,
        "library_ms": lib * 1e3,
        "floor_ms": floor * 1e3,
        "naive_sql_ms": first_try * 1e3,
        "ratio": lib / floor,
    }


def run(
    *,
    bulk_n: int = 5_000,
    per_tx_n: int = 300,
    overdue_n: int = 100_000,
    directory: str | None = None,
) -> list[dict[str, object]]:
    """Measure the three cases in a temporary folder; return one row per case."""
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        folder = Path(tmp)
        return [
            bulk(folder, bulk_n),
            per_transaction(folder, per_tx_n, "NORMAL"),
            per_transaction(folder, per_tx_n, "FULL"),
            overdue(folder, overdue_n),
        ]


def report(rows: list[dict[str, object]]) -> None:
    """Print the rows as a table."""
    for row in rows:
        if row["case"] == "overdue":
            print(
                f"{row['case']:>14} {row['invoices']:>9,} stored, {row['matching']:,} match: "
                f"library {row['library_ms']:.2f} ms, raw SQL {row['floor_ms']:.2f} ms, "
                f"ratio {row['ratio']:.2f} (naive SQL {row['naive_sql_ms']:.2f} ms)"
            )
            continue
        extra = ""
        if "serialize_share" in row:
            extra = f", serializing {float(row['serialize_share']):.0%} of library time"  # type: ignore[arg-type]
        print(
            f"{row['case']:>14} {row['invoices']:>9,} invoices: "
            f"library {row['library_per_s']:,.0f}/s, raw {row['floor_per_s']:,.0f}/s, "
            f"ratio {row['ratio']:.2f}{extra}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--overdue-n", type=int, default=100_000)
    parser.add_argument("--bulk-n", type=int, default=5_000)
    parser.add_argument("--per-tx-n", type=int, default=300)
    parser.add_argument("--dir", default=None, help="where to put the database files")
    args = parser.parse_args()
    report(
        run(
            bulk_n=args.bulk_n,
            per_tx_n=args.per_tx_n,
            overdue_n=args.overdue_n,
            directory=args.dir,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

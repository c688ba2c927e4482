"""Webhook intake on SQLite: ``billing.webhooks.receive`` against a raw floor in the same run.

Library: N issued invoices, one signed ``payment.succeeded`` notice each (as
``SandboxPayments`` sends it), each received in its own transaction: signature check
over the raw bytes, the dedupe row, the payment, the invoice update and its outbox
rows. Floor: the bare HMAC check (``hmac`` + ``compare_digest``), ``json.loads``, then
the same writes in raw ``sqlite3`` in one transaction per notice (the event row, the
invoice row with a pre-serialized paid document, two outbox rows), on a file with the
same schema. Ratios only; no assertions on time.
Usage: ``python benchmarks/bench_webhooks.py [--n 500] [--quick]``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import invoicekit as ik  # noqa: E402 - after sys.path
from invoicekit.adapters.payments import SandboxPayments  # noqa: E402
from invoicekit.adapters.storage.sqlite import SqliteStorage  # noqa: E402

SECRET = "bench-secret-bench-secret-0001"  # noqa: S105 - a benchmark's own key
NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _setup(
    path: Path, n: int, sync: str = "FULL"
) -> tuple[ik.Billing, list[tuple[bytes, dict[str, str]]]]:
    clock = ik.FixedClock(NOW)
    provider = SandboxPayments(
        base_url="http://127.0.0.1:9",
        webhook_url="http://127.0.0.1:9",
        secrets=[SECRET],
        clock=clock,
    )
    storage = SqliteStorage.open(path, synchronous=sync)  # type: ignore[arg-type]
    billing = ik.Billing(storage=storage, payments=provider, clock=clock)
    billing.sellers.create(id="s1", name="Northwind", country="DE", currency="EUR")
    books = billing.seller("s1")
    books.customers.create(id="c1", name="Globex", email="ap@globex.example")
    line = ik.Line("Consulting", quantity="1", unit_price="100.00", tax=ik.Vat("19"))
    ids = [books.invoices.draft(customer_id="c1", lines=[line]).id for _ in range(n)]
    books.invoices.issue_many(ids)
    deliveries = []
    for i, invoice_id in enumerate(ids):
        event = {
            "id": f"evt_{i}",
            "type": "payment.succeeded",
            "created": int(NOW.timestamp()),
            "data": {
                "payment_ref": f"pay_{i}",
                "amount": "119.00",
                "currency": "EUR",
                "metadata": {"seller_id": "s1", "invoice_id": invoice_id},
            },
        }
        deliveries.append(provider.signed(event))
    return billing, deliveries


def library(n: int, sync: str) -> float:
    """Notices per second through ``billing.webhooks.receive``."""
    with tempfile.TemporaryDirectory() as folder:
        billing, deliveries = _setup(Path(folder) / "lib.sqlite", n, sync)
        start = time.perf_counter()
        for body, headers in deliveries:
            billing.webhooks.receive("sandbox", body, headers)
        elapsed = time.perf_counter() - start
        paid = billing.seller("s1").invoices.list(status="paid", limit=n + 1)
        assert len(paid) == n  # noqa: S101 - the benchmark checks it measured real work
        billing.close()
    return n / elapsed


def floor(n: int, sync: str) -> float:
    """Notices per second: bare HMAC check, json.loads, the same writes in raw sqlite3."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "floor.sqlite"
        billing, deliveries = _setup(path, n)
        with sqlite3.connect(path) as raw:  # the stored documents, as a paid one would be
            docs = {
                invoice_id: doc.replace('"status":"pending"', '"status":"paid"')
                for invoice_id, doc in raw.execute("SELECT id, doc FROM invoices")
            }
        billing.close()
        key = SECRET.encode()
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL").fetchall()
        conn.execute(f"PRAGMA synchronous = {sync}")
        start = time.perf_counter()
        for body, headers in deliveries:
            signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
            mac = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
            assert hmac.compare_digest(headers["webhook-signature"], f"v1,{mac}")  # noqa: S101
            event: dict[str, Any] = json.loads(body)
            invoice_id = event["data"]["metadata"]["invoice_id"]
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO provider_events (provider, event_id, seller_id, invoice_id, "
                "payment_ref, kind, type, amount, currency, received_at, outcome, raw) "
                "VALUES ('sandbox', ?, 's1', ?, ?, 'succeeded', ?, ?, 'EUR', ?, 'recorded', ?)",
                (
                    event["id"],
                    invoice_id,
                    event["data"]["payment_ref"],
                    event["type"],
                    event["data"]["amount"],
                    NOW.isoformat(),
                    body,
                ),
            )
            conn.execute(
                "UPDATE invoices SET status = 'paid', version = version + 1, doc = ? "
                "WHERE seller_id = 's1' AND id = ?",
                (docs[invoice_id], invoice_id),
            )
            for kind in ("PaymentSucceeded", "InvoicePaid"):
                conn.execute(
                    "INSERT INTO outbox (key, seller_id, invoice_id, kind, payload, created_at, "
                    "attempts) VALUES (?, 's1', ?, ?, '{}', ?, 0)",
                    (f"{event['id']}:{kind}", invoice_id, kind, NOW.isoformat()),
                )
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="20 notices, a smoke test")
    args = parser.parse_args()
    n = 20 if args.quick else args.n
    for sync in ("FULL", "NORMAL"):
        lib, raw = library(n, sync), floor(n, sync)
        print(
            f"webhook intake, SQLite synchronous={sync}, {n} notices: library {lib:,.0f}/s, "
            f"floor {raw:,.0f}/s, ratio {raw / lib:.1f}"
        )


if __name__ == "__main__":
    main()

"""SQLite repositories of the smaller records: credit notes, number counters, outbox, idempotency.

Split from sqlite.py (which wires them into its transaction) so that each module
has one job. Number allocation is one upsert per call; it serializes because a
write transaction starts with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from invoicekit.adapters.storage.sqlite_invoices import _iso
from invoicekit.adapters.storage.sqlite_schema import Row, Session
from invoicekit.domain.invoice import CreditNote
from invoicekit.errors import DuplicateError, NotFoundError, StorageError
from invoicekit.ports import IdempotencyRecord, OutboxRecord
from invoicekit.serialization import canonical_json

#: Shared with sqlite.py, which wires them into a transaction (private to the adapter).
__all__ = ["_CreditNotes", "_Idempotency", "_Outbox", "_Sequences"]


_OUTBOX: Final = (
    "SELECT key, seller_id, kind, payload, created_at, invoice_id, position, delivered_at, "
    "attempts, last_error FROM outbox"
)


def _when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _json(session: Session, value: dict[str, Any], what: str) -> str:
    try:
        return canonical_json(value)
    except (TypeError, ValueError) as exc:
        raise StorageError(
            f"could not store {what} in {session.path}: it is not plain JSON data ({exc}); "
            "pass str, int, bool, None, lists and dicts only"
        ) from exc


class _CreditNotes:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, note: CreditNote) -> None:
        sql = (
            "INSERT INTO credit_notes (seller_id, id, invoice_id, number, issued_at, doc) "
            "VALUES (?, ?, ?, ?, ?, ?)"
        )
        params = (note.seller_id, note.id, note.invoice_id, note.number, note.issued_at.isoformat())
        try:
            self._s.run("add a credit note", sql, (*params, self._s.dump(note)))
        except DuplicateError as exc:
            sql = "SELECT 1 FROM credit_notes WHERE seller_id = ? AND id = ?"
            if self._s.one("add a credit note", sql, (note.seller_id, note.id)) is not None:
                raise DuplicateError(f"credit note {note.id!r} already exists") from exc
            raise DuplicateError(f"credit note number {note.number!r} is already used") from exc

    def get(self, seller_id: str, credit_note_id: str) -> CreditNote:
        sql = "SELECT doc FROM credit_notes WHERE seller_id = ? AND id = ?"
        row = self._s.one("read a credit note", sql, (seller_id, credit_note_id))
        if row is None:
            raise NotFoundError("credit note", credit_note_id)
        return self._s.load(row[0], CreditNote, f"credit note {credit_note_id!r}")

    def for_invoice(self, seller_id: str, invoice_id: str) -> list[CreditNote]:
        sql = "SELECT id, doc FROM credit_notes WHERE seller_id = ? AND invoice_id = ?"
        rows = self._s.rows("list credit notes", sql, (seller_id, invoice_id))
        notes = [self._s.load(doc, CreditNote, f"credit note {key!r}") for key, doc in rows]
        return sorted(notes, key=lambda n: (n.issued_at, n.number))  # instants, not ISO text


class _Sequences:
    def __init__(self, session: Session) -> None:
        self._s = session

    def next_value(self, seller_id: str, series: str, period: str) -> int:
        # One upsert that takes the value and moves the counter; it rolls back with the
        # transaction, and BEGIN IMMEDIATE keeps every other writer out until commit.
        sql = (
            "INSERT INTO sequences (seller_id, series, period, next_value) VALUES (?, ?, ?, 2) "
            "ON CONFLICT (seller_id, series, period) DO UPDATE SET next_value = next_value + 1 "
            "RETURNING next_value - 1"
        )
        row = self._s.one("take the next number", sql, (seller_id, series, period))
        if row is None:  # pragma: no cover - an upsert with RETURNING always returns its row
            raise StorageError(f"could not take the next number in {self._s.path}")
        return int(row[0])

    def next_values(self, seller_id: str, series: str, period: str, count: int) -> int:
        if count < 1:
            raise StorageError(f"take at least one number, not {count}")
        sql = (
            "INSERT INTO sequences (seller_id, series, period, next_value) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (seller_id, series, period) DO UPDATE SET next_value = next_value + ? "
            "RETURNING next_value - ?"
        )
        params = (seller_id, series, period, 1 + count, count, count)
        row = self._s.one("take a block of numbers", sql, params)
        if row is None:  # pragma: no cover - an upsert with RETURNING always returns its row
            raise StorageError(f"could not take a block of numbers in {self._s.path}")
        return int(row[0])

    def peek(self, seller_id: str, series: str, period: str) -> int:
        sql = "SELECT next_value FROM sequences WHERE seller_id = ? AND series = ? AND period = ?"
        row = self._s.one("read a number counter", sql, (seller_id, series, period))
        return 1 if row is None else int(row[0])

    def started(self, seller_id: str, series: str) -> bool:
        sql = (
            "SELECT 1 FROM sequences WHERE seller_id = ? AND series = ? AND next_value > 1 LIMIT 1"
        )
        return self._s.one("read the number counters", sql, (seller_id, series)) is not None


class _Outbox:
    def __init__(self, session: Session) -> None:
        self._s = session

    def append(self, records: Sequence[OutboxRecord]) -> None:
        # NOT EXISTS rather than ON CONFLICT alone: a skipped insert must not use up a position.
        sql = (
            "INSERT INTO outbox (key, seller_id, invoice_id, kind, payload, created_at, "
            "delivered_at, attempts, last_error) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE key = ?)"
        )
        rows = []
        for r in records:
            payload = _json(self._s, r.payload, f"outbox record {r.key!r}")
            params = (r.key, r.seller_id, r.invoice_id, r.kind, payload, r.created_at.isoformat())
            extra = (_iso(r.delivered_at), r.attempts, r.last_error)
            rows.append((*params, *extra, r.key))
        if rows:  # executemany runs the rows in order: positions follow the append order
            self._s.run_many("append to the outbox", sql, rows)

    @staticmethod
    def _record(row: Row) -> OutboxRecord:
        key, seller_id, kind, payload, created, invoice_id, position, delivered, attempts, error = (
            row
        )
        return OutboxRecord(
            key=key,
            seller_id=seller_id,
            kind=kind,
            payload=json.loads(payload),
            created_at=datetime.fromisoformat(created),
            invoice_id=invoice_id,
            position=position,
            delivered_at=_when(delivered),
            attempts=attempts,
            last_error=error,
        )

    def pending(self, *, limit: int = 100, seller_id: str | None = None) -> list[OutboxRecord]:
        sql, params = f"{_OUTBOX} WHERE delivered_at IS NULL", []
        if seller_id is not None:
            sql, params = f"{sql} AND seller_id = ?", [seller_id]
        rows = self._s.page(
            "read pending outbox records", f"{sql} ORDER BY position", params, limit
        )
        return [self._record(row) for row in rows]

    def mark_delivered(self, keys: Sequence[str], *, at: datetime) -> None:
        for key in keys:
            sql = "UPDATE outbox SET delivered_at = ? WHERE key = ?"
            self._s.run("mark outbox records delivered", sql, (at.isoformat(), key))

    def mark_failed(self, key: str, *, error: str) -> None:
        sql = "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE key = ?"
        self._s.run("mark an outbox record failed", sql, (error, key))

    def list(
        self, *, seller_id: str, invoice_id: str | None = None, limit: int = 1000
    ) -> list[OutboxRecord]:
        sql, params = f"{_OUTBOX} WHERE seller_id = ?", [seller_id]
        if invoice_id is not None:
            sql, params = f"{sql} AND invoice_id = ?", [seller_id, invoice_id]
        rows = self._s.page("list outbox records", f"{sql} ORDER BY position", params, limit)
        return [self._record(row) for row in rows]


class _Idempotency:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, seller_id: str, key: str) -> IdempotencyRecord | None:
        sql = (
            "SELECT fingerprint, operation, result, created_at FROM idempotency "
            "WHERE seller_id = ? AND key = ?"
        )
        row = self._s.one("read an idempotency record", sql, (seller_id, key))
        if row is None:
            return None
        fingerprint, operation, result, created = row
        return IdempotencyRecord(
            seller_id=seller_id,
            key=key,
            fingerprint=fingerprint,
            operation=operation,
            result=json.loads(result),
            created_at=datetime.fromisoformat(created),
        )

    def put(self, record: IdempotencyRecord) -> None:
        sql = (
            "INSERT INTO idempotency (seller_id, key, fingerprint, operation, result, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)"
        )
        result = _json(self._s, record.result, f"idempotency record {record.key!r}")
        params = (record.seller_id, record.key, record.fingerprint, record.operation, result)
        try:
            self._s.run(
                "store an idempotency record", sql, (*params, record.created_at.isoformat())
            )
        except DuplicateError as exc:
            raise DuplicateError(f"idempotency key {record.key!r} is already used") from exc

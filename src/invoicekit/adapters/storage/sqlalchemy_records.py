"""The SQLAlchemy repositories of the smaller records: credit notes, number counters, outbox, idempotency.

Split from sqlalchemy_repos.py (which wires them into ``SqlTransaction``) so that
each module has one job. ``_record`` (an outbox row as an OutboxRecord) is also
how the event feed reads the outbox. Numbers are taken by an UPDATE ... RETURNING
on the counter row, never a database sequence (a sequence does not roll back).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_repository import _b, _Repository, _where
from invoicekit.adapters.storage.sqlalchemy_tables import (
    CREDIT_NOTES,
    DECODE_ERRORS,
    IDEMPOTENCY,
    OUTBOX,
    SEQUENCES,
)
from invoicekit.domain.invoice import CreditNote
from invoicekit.errors import DuplicateError, NotFoundError, StorageError
from invoicekit.ports import IdempotencyRecord, OutboxRecord
from invoicekit.serialization import canonical_json

#: Shared with sqlalchemy_repos.py, which wires them into SqlTransaction (private to the adapter).
__all__ = ["_CreditNotes", "_Idempotency", "_Outbox", "_Sequences", "_record"]


_NOTE = sa.select(CREDIT_NOTES.c.doc).where(*_where(CREDIT_NOTES, "seller_id", "id"))
_NOTES = sa.select(CREDIT_NOTES.c.id, CREDIT_NOTES.c.doc).where(
    *_where(CREDIT_NOTES, "seller_id", "invoice_id")
)
_COUNTER = sa.select(SEQUENCES.c.next_value).where(
    *_where(SEQUENCES, "seller_id", "series", "period")
)
_STARTED = (
    sa.select(SEQUENCES.c.series)
    .where(*_where(SEQUENCES, "seller_id", "series"), SEQUENCES.c.next_value > 1)
    .limit(1)
)
_TAKE = (
    sa.update(SEQUENCES)
    .where(*(SEQUENCES.c[n] == _b(f"k_{n}") for n in ("seller_id", "series", "period")))
    .values(next_value=SEQUENCES.c.next_value + _b("k_count"))
    .returning(SEQUENCES.c.next_value - _b("k_count"))
)


_IDEMPOTENCY = sa.select(IDEMPOTENCY).where(*_where(IDEMPOTENCY, "seller_id", "key"))


@functools.cache
def _outbox(pending: bool, seller: bool, invoice: bool) -> sa.Select[Any]:
    t = OUTBOX
    query = sa.select(t)
    if pending:
        query = query.where(t.c.delivered_at.is_(None))
    if seller:
        query = query.where(t.c.seller_id == _b("seller_id"))
    if invoice:
        query = query.where(t.c.invoice_id == _b("invoice_id"))
    return query.order_by(t.c.position).limit(_b("limit"))


class _CreditNotes(_Repository):
    def add(self, note: CreditNote) -> None:
        values = {
            "seller_id": note.seller_id,
            "id": note.id,
            "invoice_id": note.invoice_id,
            "number": note.number,
            "issued_at": note.issued_at.isoformat(),
            "doc": self._c.dump(note),
        }
        if self._c.insert_new("add credit note", CREDIT_NOTES, values):
            return
        key = {"seller_id": note.seller_id, "id": note.id}
        if self._c.first("add credit note", _NOTE, key) is not None:
            raise DuplicateError(f"credit note {note.id!r} already exists")
        raise DuplicateError(f"credit note number {note.number!r} is already used")

    def get(self, seller_id: str, credit_note_id: str) -> CreditNote:
        key = {"seller_id": seller_id, "id": credit_note_id}
        row = self._c.first("get credit note", _NOTE, key)
        if row is None:
            raise NotFoundError("credit note", credit_note_id)
        return self._c.load(row.doc, CreditNote, f"credit note {credit_note_id!r}")

    def for_invoice(self, seller_id: str, invoice_id: str) -> list[CreditNote]:
        key = {"seller_id": seller_id, "invoice_id": invoice_id}
        notes = [
            self._c.load(r.doc, CreditNote, f"credit note {r.id!r}")
            for r in self._c.rows("list credit notes", _NOTES, key)
        ]
        # Sorted here, not in SQL: issued_at compares as an instant, whatever its offset.
        return sorted(notes, key=lambda n: (n.issued_at, n.number))


class _Sequences(_Repository):
    def next_value(self, seller_id: str, series: str, period: str) -> int:
        key = {"seller_id": seller_id, "series": series, "period": period}
        self._c.insert_new("take a number", SEQUENCES, {**key, "next_value": 1})
        # The UPDATE locks the counter row until commit: a concurrent issuer waits,
        # then reads our committed value (or, under REPEATABLE READ, gets a retryable
        # serialization failure). A rollback puts the number back.
        params = {f"k_{name}": value for name, value in key.items()}
        return int(self._c.scalar("take a number", _TAKE, {**params, "k_count": 1}))

    def next_values(self, seller_id: str, series: str, period: str, count: int) -> int:
        if count < 1:
            raise StorageError(f"take at least one number, not {count}")
        key = {"seller_id": seller_id, "series": series, "period": period}
        self._c.insert_new("take numbers", SEQUENCES, {**key, "next_value": 1})
        params = {f"k_{name}": value for name, value in key.items()}
        return int(self._c.scalar("take numbers", _TAKE, {**params, "k_count": count}))

    def peek(self, seller_id: str, series: str, period: str) -> int:
        key = {"seller_id": seller_id, "series": series, "period": period}
        row = self._c.first("read a number counter", _COUNTER, key)
        return 1 if row is None else int(row.next_value)

    def started(self, seller_id: str, series: str) -> bool:
        key = {"seller_id": seller_id, "series": series}
        return self._c.first("read the number counters", _STARTED, key) is not None


def _record(row: sa.Row[Any]) -> OutboxRecord:
    try:
        return _decode_record(row)
    except DECODE_ERRORS as exc:
        raise StorageError(f"stored outbox record {row.key!r} cannot be read back: {exc}") from exc


def _decode_record(row: sa.Row[Any]) -> OutboxRecord:
    return OutboxRecord(
        key=row.key,
        seller_id=row.seller_id,
        kind=row.kind,
        payload=json.loads(row.payload),
        created_at=datetime.fromisoformat(row.created_at),
        invoice_id=row.invoice_id,
        position=row.position,
        delivered_at=None if row.delivered_at is None else datetime.fromisoformat(row.delivered_at),
        attempts=row.attempts,
        last_error=row.last_error,
    )


class _Outbox(_Repository):
    def append(self, records: Sequence[OutboxRecord]) -> None:
        rows = [
            {
                "key": r.key,
                "seller_id": r.seller_id,
                "invoice_id": r.invoice_id,
                "kind": r.kind,
                "payload": canonical_json(r.payload),
                "created_at": r.created_at.isoformat(),
                "delivered_at": None if r.delivered_at is None else r.delivered_at.isoformat(),
                "attempts": r.attempts,
                "last_error": r.last_error,
            }
            for r in records
        ]
        # executemany runs the rows in order, so positions follow the append order.
        if rows:
            self._c.run("append to the outbox", self._c.insert_ignoring(OUTBOX), rows)

    def pending(self, *, limit: int = 100, seller_id: str | None = None) -> list[OutboxRecord]:
        query = _outbox(pending=True, seller=seller_id is not None, invoice=False)
        params = {"seller_id": seller_id, "limit": max(limit, 0)}
        return [_record(r) for r in self._c.rows("read pending outbox records", query, params)]

    def mark_delivered(self, keys: Sequence[str], *, at: datetime) -> None:
        if keys:
            statement = sa.update(OUTBOX).where(OUTBOX.c.key.in_(list(keys)))
            self._c.run(
                "mark outbox records delivered", statement.values(delivered_at=at.isoformat())
            )

    def mark_failed(self, key: str, *, error: str) -> None:
        statement = (
            sa.update(OUTBOX)
            .where(OUTBOX.c.key == key)
            .values(attempts=OUTBOX.c.attempts + 1, last_error=error)
        )
        self._c.run("mark an outbox record failed", statement)

    def list(
        self, *, seller_id: str, invoice_id: str | None = None, limit: int = 1000
    ) -> list[OutboxRecord]:
        query = _outbox(pending=False, seller=True, invoice=invoice_id is not None)
        params = {"seller_id": seller_id, "invoice_id": invoice_id, "limit": max(limit, 0)}
        return [_record(r) for r in self._c.rows("list outbox records", query, params)]


class _Idempotency(_Repository):
    def get(self, seller_id: str, key: str) -> IdempotencyRecord | None:
        params = {"seller_id": seller_id, "key": key}
        row = self._c.first("read an idempotency record", _IDEMPOTENCY, params)
        if row is None:
            return None
        try:
            result, created_at = json.loads(row.result), datetime.fromisoformat(row.created_at)
        except DECODE_ERRORS as exc:
            raise StorageError(
                f"stored idempotency key {key!r} cannot be read back: {exc}"
            ) from exc
        return IdempotencyRecord(
            seller_id=row.seller_id,
            key=row.key,
            fingerprint=row.fingerprint,
            operation=row.operation,
            result=result,
            created_at=created_at,
        )

    def put(self, record: IdempotencyRecord) -> None:
        values = {
            "seller_id": record.seller_id,
            "key": record.key,
            "fingerprint": record.fingerprint,
            "operation": record.operation,
            "result": canonical_json(record.result),
            "created_at": record.created_at.isoformat(),
        }
        if not self._c.insert_new("store an idempotency record", IDEMPOTENCY, values):
            raise DuplicateError(f"idempotency key {record.key!r} is already used")

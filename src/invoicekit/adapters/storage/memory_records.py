"""The reference repositories of the smaller records: credit notes, number counters, outbox, idempotency.

Split from memory.py (which wires them into its transaction) so that each module
has one job. Counters are gapless because a failed transaction rolls back its
tables, the counters' too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from copy import deepcopy
from datetime import datetime

import attrs

from invoicekit.adapters.storage.memory_table import _Table
from invoicekit.domain.invoice import CreditNote
from invoicekit.errors import DuplicateError, NotFoundError, StorageError
from invoicekit.ports import IdempotencyRecord, OutboxRecord

#: Shared with memory.py, which wires them into its transaction (private to the adapter).
__all__ = ["_CreditNotes", "_Idempotency", "_Outbox", "_Sequences"]


class _CreditNotes:
    def __init__(self, table: _Table[tuple[str, str], CreditNote]) -> None:
        self._t = table

    def add(self, note: CreditNote) -> None:
        if self._t.get((note.seller_id, note.id)) is not None:
            raise DuplicateError(f"credit note {note.id!r} already exists")
        if any(n.seller_id == note.seller_id and n.number == note.number for n in self._t.values()):
            raise DuplicateError(f"credit note number {note.number!r} is already used")
        self._t.put((note.seller_id, note.id), note)

    def get(self, seller_id: str, credit_note_id: str) -> CreditNote:
        found = self._t.get((seller_id, credit_note_id))
        if found is None:
            raise NotFoundError("credit note", credit_note_id)
        return found

    def for_invoice(self, seller_id: str, invoice_id: str) -> list[CreditNote]:
        return sorted(
            (
                n
                for n in self._t.values()
                if n.seller_id == seller_id and n.invoice_id == invoice_id
            ),
            key=lambda n: (n.issued_at, n.number),
        )


class _Sequences:
    def __init__(self, table: _Table[tuple[str, str, str], int]) -> None:
        self._t = table

    def next_value(self, seller_id: str, series: str, period: str) -> int:
        key = (seller_id, series, period)
        value = self._t.get(key) or 1
        self._t.put(key, value + 1)
        return value

    def next_values(self, seller_id: str, series: str, period: str, count: int) -> int:
        if count < 1:
            raise StorageError(f"take at least one number, not {count}")
        key = (seller_id, series, period)
        value = self._t.get(key) or 1
        self._t.put(key, value + count)
        return value

    def peek(self, seller_id: str, series: str, period: str) -> int:
        return self._t.get((seller_id, series, period)) or 1

    def started(self, seller_id: str, series: str) -> bool:
        keys = {*self._t.rows, *self._t.changes}
        return any(key[:2] == (seller_id, series) and self._t.get(key) for key in keys)


class _Outbox:
    def __init__(self, table: _Table[str, OutboxRecord], counter: Callable[[], int]) -> None:
        self._t = table
        self._counter = counter

    def append(self, records: Sequence[OutboxRecord]) -> None:
        for record in records:
            if self._t.get(record.key) is None:
                copy = attrs.evolve(
                    record, position=self._counter(), payload=deepcopy(record.payload)
                )
                self._t.put(record.key, copy)

    def _ordered(self) -> list[OutboxRecord]:
        """Copies of every record in append order (callers may change what they get)."""
        return [
            attrs.evolve(r, payload=deepcopy(r.payload))
            for r in sorted(self._t.values(), key=lambda r: r.position or 0)
        ]

    def pending(self, *, limit: int = 100, seller_id: str | None = None) -> list[OutboxRecord]:
        return [
            r
            for r in self._ordered()
            if r.delivered_at is None and (seller_id is None or r.seller_id == seller_id)
        ][:limit]

    def mark_delivered(self, keys: Sequence[str], *, at: datetime) -> None:
        for key in keys:
            record = self._t.get(key)
            if record is not None:
                self._t.put(key, attrs.evolve(record, delivered_at=at))

    def mark_failed(self, key: str, *, error: str) -> None:
        record = self._t.get(key)
        if record is not None:
            self._t.put(key, attrs.evolve(record, attempts=record.attempts + 1, last_error=error))

    def list(
        self, *, seller_id: str, invoice_id: str | None = None, limit: int = 1000
    ) -> list[OutboxRecord]:
        return [
            r
            for r in self._ordered()
            if r.seller_id == seller_id and (invoice_id is None or r.invoice_id == invoice_id)
        ][:limit]


class _Idempotency:
    def __init__(self, table: _Table[tuple[str, str], IdempotencyRecord]) -> None:
        self._t = table

    def get(self, seller_id: str, key: str) -> IdempotencyRecord | None:
        found = self._t.get((seller_id, key))
        return None if found is None else attrs.evolve(found, result=deepcopy(found.result))

    def put(self, record: IdempotencyRecord) -> None:
        if self._t.get((record.seller_id, record.key)) is not None:
            raise DuplicateError(f"idempotency key {record.key!r} is already used")
        self._t.put(
            (record.seller_id, record.key), attrs.evolve(record, result=deepcopy(record.result))
        )

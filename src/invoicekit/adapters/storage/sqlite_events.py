"""The event feed of ``SqliteStorage`` (schema 6): the outbox by position, and handler cursors.

SQLite has one writer at a time and the outbox position is taken inside the write
transaction, so position order is commit order: the epoch is always 0.
"""

from __future__ import annotations

import builtins
import json
from datetime import datetime
from typing import Final

from invoicekit.adapters.storage.sqlite_schema import Row, Session
from invoicekit.adapters.storage.times import parse_utc, utc_text_or_none
from invoicekit.errors import ConcurrencyError
from invoicekit.records import HandlerCursor, OutboxRecord

__all__ = ["SqliteEventFeed", "stale_cursor"]

_OUTBOX: Final = (
    "SELECT key, seller_id, kind, payload, created_at, invoice_id, position, delivered_at, "
    "attempts, last_error FROM outbox"
)
_CURSOR: Final = "name, epoch, position, attempts, next_attempt_at, parked_at, last_error, version"


def stale_cursor(name: str) -> ConcurrencyError:
    """The error of a cursor saved meanwhile by another dispatcher."""
    return ConcurrencyError(
        f"event handler {name!r} moved on meanwhile (another dispatcher); it carries on from there",
        retryable=False,
    )


def cursor_values(cursor: HandlerCursor, version: int) -> tuple[object, ...]:
    """A cursor's column values in ``_CURSOR`` order, at ``version``."""
    return (
        cursor.name,
        cursor.epoch,
        cursor.position,
        cursor.attempts,
        utc_text_or_none(cursor.next_attempt_at, "next_attempt_at"),
        utc_text_or_none(cursor.parked_at, "parked_at"),
        cursor.last_error,
        version,
    )


def cursor_from(row: Row) -> HandlerCursor:
    """The cursor of a row in ``_CURSOR`` order."""
    name, epoch, position, attempts, next_at, parked_at, error, version = row
    return HandlerCursor(
        name=name,
        epoch=int(epoch),
        position=int(position),
        attempts=attempts,
        next_attempt_at=parse_utc(next_at),
        parked_at=parse_utc(parked_at),
        last_error=error,
        version=version,
    )


class SqliteEventFeed:
    """``EventFeed`` on one ``Session``."""

    def __init__(self, session: Session) -> None:
        self._s = session

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
            delivered_at=parse_utc(delivered),
            attempts=attempts,
            last_error=error,
        )

    def read(
        self,
        *,
        epoch: int,  # noqa: ARG002 - always 0 here
        position: int,
        limit: int,
    ) -> builtins.list[tuple[int, OutboxRecord]]:
        """Records after ``position``, by position."""
        sql = f"{_OUTBOX} WHERE position > ? ORDER BY position"
        rows = self._s.page("read the event feed", sql, (position,), limit)
        return [(0, self._record(row)) for row in rows]

    def end(self) -> tuple[int, int]:
        """(0, the last position)."""
        row = self._s.one("read the end of the event feed", "SELECT MAX(position) FROM outbox")
        return 0, int(row[0]) if row is not None and row[0] is not None else 0

    def cursor(self, name: str) -> HandlerCursor | None:
        """The cursor of ``name``."""
        sql = f"SELECT {_CURSOR} FROM event_cursors WHERE name = ?"  # noqa: S608 - constants only
        row = self._s.one("read an event handler's cursor", sql, (name,))
        return None if row is None else cursor_from(row)

    def cursors(self) -> builtins.list[HandlerCursor]:
        """Every cursor by name."""
        sql = f"SELECT {_CURSOR} FROM event_cursors ORDER BY name"  # noqa: S608 - constants only
        return [cursor_from(row) for row in self._s.rows("list event handlers' cursors", sql)]

    def save_cursor(self, cursor: HandlerCursor, *, expected_version: int) -> HandlerCursor:
        """Insert (at version 0) or update at ``expected_version``; ConcurrencyError otherwise."""
        values = cursor_values(cursor, expected_version + 1)
        if expected_version == 0:
            sql = (
                f"INSERT INTO event_cursors ({_CURSOR}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "  # noqa: S608 - constants only
                "ON CONFLICT (name) DO NOTHING"
            )
        else:
            sql = (
                "UPDATE event_cursors SET name = ?, epoch = ?, position = ?, attempts = ?, "
                "next_attempt_at = ?, parked_at = ?, last_error = ?, version = ? "
                "WHERE name = ? AND version = ?"
            )
            values = (*values, cursor.name, expected_version)
        if self._s.run("save an event handler's cursor", sql, values) != 1:
            raise stale_cursor(cursor.name)
        return cursor_from(values[:8])

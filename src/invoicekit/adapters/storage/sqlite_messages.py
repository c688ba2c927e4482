"""The message queue and in-app inboxes of ``SqliteStorage`` (schema versions 2 and 3).

They behave as ``MemoryStorage``'s do (the reference). A write transaction holds
SQLite's write lock from its first statement (``BEGIN IMMEDIATE``), so two
dispatchers never claim one message: the second reads what the first committed.
The times ``claim`` compares are stored as UTC text of one fixed width
(``utc_text``), so comparing the text compares the instants. A message is
identified by (seller, key), as an inbox item is: two sellers may use one key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

import attrs

from invoicekit.adapters.storage.sqlite_schema import Row, Session
from invoicekit.adapters.storage.times import parse_utc, utc_text, utc_text_or_none
from invoicekit.errors import NotFoundError, ValidationError, problem
from invoicekit.ports import InboxItem, MessageRecord, MessageStatus

__all__ = ["SqliteInbox", "SqliteMessages"]

#: The columns a message is written with; storage assigns ``position``.
_WRITTEN: Final = (
    "key, seller_id, customer_id, kind, step, channel, recipient, created_at, "
    "next_attempt_at, invoice_id, subject_id, status, attempts, last_error, lease_owner, "
    "lease_expires_at, sent_at, provider_id"
)
_MESSAGE_COLUMNS: Final = f"{_WRITTEN}, position"
_MESSAGES: Final = f"SELECT {_MESSAGE_COLUMNS} FROM messages"  # noqa: S608 - constants only
_INBOX: Final = (
    "SELECT key, seller_id, customer_id, kind, title, text, created_at, invoice_id, html, url, "
    "read_at FROM inbox"
)
#: Due at ``:now``: queued and its time has come, or sending and its lease has run out.
_DUE: Final = (
    "((status = 'queued' AND next_attempt_at <= ?) "
    "OR (status = 'sending' AND lease_expires_at <= ?))"
)


def _message(row: Row) -> MessageRecord:
    (
        key,
        seller_id,
        customer_id,
        kind,
        step,
        channel,
        recipient,
        created_at,
        next_attempt_at,
        invoice_id,
        subject_id,
        status,
        attempts,
        last_error,
        lease_owner,
        lease_expires_at,
        sent_at,
        provider_id,
        position,
    ) = row
    return MessageRecord(
        key=key,
        seller_id=seller_id,
        customer_id=customer_id,
        kind=kind,
        step=step,
        channel=channel,
        recipient=recipient,
        created_at=datetime.fromisoformat(created_at),
        next_attempt_at=datetime.fromisoformat(next_attempt_at),
        invoice_id=invoice_id,
        subject_id=subject_id,
        status=MessageStatus(status),
        attempts=attempts,
        last_error=last_error,
        lease_owner=lease_owner,
        lease_expires_at=parse_utc(lease_expires_at),
        sent_at=parse_utc(sent_at),
        provider_id=provider_id,
        position=position,
    )


class SqliteMessages:
    """``MessageRepository`` on one ``Session``: one row per message, keyed by (seller, key)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def enqueue(self, records: Sequence[MessageRecord]) -> list[MessageRecord]:
        """Insert each new (seller, key) in order (its position is its rowid); skip stored ones."""
        # NOT EXISTS rather than ON CONFLICT: a skipped insert must not use up a position.
        sql = (
            f"INSERT INTO messages ({_WRITTEN}) "  # noqa: S608 - constants only
            f"SELECT {', '.join('?' * 18)} "
            "WHERE NOT EXISTS (SELECT 1 FROM messages WHERE seller_id = ? AND key = ?) "
            "RETURNING position"
        )
        added = []
        for r in records:
            params: tuple[Any, ...] = (
                r.key,
                r.seller_id,
                r.customer_id,
                r.kind,
                r.step,
                r.channel,
                r.recipient,
                utc_text(r.created_at, "created_at"),
                utc_text(r.next_attempt_at, "next_attempt_at"),
                r.invoice_id,
                r.subject_id,
                r.status.value,
                r.attempts,
                r.last_error,
                r.lease_owner,
                utc_text_or_none(r.lease_expires_at, "lease_expires_at"),
                utc_text_or_none(r.sent_at, "sent_at"),
                r.provider_id,
            )
            row = self._s.one("enqueue a message", sql, (*params, r.seller_id, r.key))
            if row is not None:
                added.append(attrs.evolve(r, position=row[0]))
        return added

    def claim(
        self,
        *,
        now: datetime,
        owner: str,
        lease_until: datetime,
        limit: int = 20,
        seller_id: str | None = None,
    ) -> list[MessageRecord]:
        """Take the oldest due messages; the write lock keeps every other claimer out until commit."""
        if limit <= 0:
            return []
        when = utc_text(now, "now")
        clause, params = _DUE, [when, when]
        if seller_id is not None:
            clause, params = f"{clause} AND seller_id = ?", [*params, seller_id]
        sql = (
            "UPDATE messages SET status = 'sending', lease_owner = ?, lease_expires_at = ?, "  # noqa: S608 - constants only
            "attempts = attempts + 1 WHERE position IN "
            f"(SELECT position FROM messages WHERE {clause} ORDER BY position LIMIT ?) "
            f"RETURNING {_MESSAGE_COLUMNS}"
        )
        lease = utc_text(lease_until, "lease_until")
        rows = self._s.rows("claim messages", sql, (owner, lease, *params, limit))
        return sorted((_message(row) for row in rows), key=lambda m: m.position or 0)

    def complete(
        self, seller_id: str, key: str, *, at: datetime, provider_id: str | None = None
    ) -> MessageRecord:
        """Mark sent (also after a lost lease: a sent message is sent); sent stays as it was."""
        sql = (
            "UPDATE messages SET status = 'sent', sent_at = ?, provider_id = ?, "
            "lease_owner = NULL, lease_expires_at = NULL "
            "WHERE seller_id = ? AND key = ? AND status != 'sent'"
        )
        params = (utc_text(at, "at"), provider_id, seller_id, key)
        self._s.run("complete a message", sql, params)
        return self.get(seller_id, key)

    def fail(
        self, seller_id: str, key: str, *, error: str, retry_at: datetime | None
    ) -> MessageRecord:
        """Queue again at ``retry_at``, or fail for good; a sent message stays sent."""
        status = MessageStatus.FAILED if retry_at is None else MessageStatus.QUEUED
        sql = (
            "UPDATE messages SET status = ?, last_error = ?, "
            "next_attempt_at = COALESCE(?, next_attempt_at), lease_owner = NULL, "
            "lease_expires_at = NULL WHERE seller_id = ? AND key = ? AND status != 'sent'"
        )
        params = (status.value, error, utc_text_or_none(retry_at, "retry_at"), seller_id, key)
        self._s.run("record a failed message", sql, params)
        return self.get(seller_id, key)

    def retry(self, seller_id: str, key: str, *, at: datetime) -> MessageRecord:
        """Queue a failed message again for ``at``."""
        record = self.get(seller_id, key)
        if record.status is not MessageStatus.FAILED:
            raise ValidationError(
                [problem("status", "only a failed message can be retried", record.status.value)],
                subject=f"message {key!r}",
            )
        sql = (
            "UPDATE messages SET status = 'queued', next_attempt_at = ? "
            "WHERE seller_id = ? AND key = ?"
        )
        self._s.run("retry a message", sql, (utc_text(at, "at"), seller_id, key))
        return self.get(seller_id, key)

    def get(self, seller_id: str, key: str) -> MessageRecord:
        """The message; NotFoundError also for another seller's key."""
        sql = f"{_MESSAGES} WHERE seller_id = ? AND key = ?"
        row = self._s.one("read a message", sql, (seller_id, key))
        if row is None:
            raise NotFoundError("message", key)
        return _message(row)

    def list(
        self,
        seller_id: str,
        *,
        statuses: Iterable[MessageStatus] | None = None,
        invoice_id: str | None = None,
        limit: int = 100,
        after: int | None = None,
    ) -> list[MessageRecord]:
        """The seller's messages in enqueue order, filtered, after position ``after``."""
        clauses, params = ["seller_id = ?"], list[Any]([seller_id])
        if statuses is not None:
            wanted = sorted({MessageStatus(s).value for s in statuses})
            if not wanted:
                return []
            clauses.append(f"status IN ({', '.join('?' * len(wanted))})")
            params += wanted
        if invoice_id is not None:
            clauses.append("invoice_id = ?")
            params.append(invoice_id)
        if after is not None:
            clauses.append("position > ?")
            params.append(after)
        sql = f"{_MESSAGES} WHERE {' AND '.join(clauses)} ORDER BY position"
        return [_message(row) for row in self._s.page("list messages", sql, params, limit)]


def _item(row: Row) -> InboxItem:
    key, seller_id, customer_id, kind, title, text, created_at, invoice_id, html, url, read_at = row
    return InboxItem(
        key=key,
        seller_id=seller_id,
        customer_id=customer_id,
        kind=kind,
        title=title,
        text=text,
        created_at=datetime.fromisoformat(created_at),
        invoice_id=invoice_id,
        html=html,
        url=url,
        read_at=parse_utc(read_at),
    )


class SqliteInbox:
    """``InboxRepository`` on one ``Session``: keyed by (seller, key), listed per customer."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def put(self, item: InboxItem) -> bool:
        """Store an item under a new key; False (nothing changed) when the key is stored."""
        # NOT EXISTS rather than ON CONFLICT: a skipped insert must not use up a position.
        sql = (
            "INSERT INTO inbox (seller_id, key, customer_id, kind, title, text, html, url, "
            "invoice_id, created_at, read_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM inbox WHERE seller_id = ? AND key = ?)"
        )
        params = (
            item.seller_id,
            item.key,
            item.customer_id,
            item.kind,
            item.title,
            item.text,
            item.html,
            item.url,
            item.invoice_id,
            utc_text(item.created_at, "created_at"),
            utc_text_or_none(item.read_at, "read_at"),
            item.seller_id,
            item.key,
        )
        return self._s.run("put an inbox item", sql, params) == 1

    def list(
        self,
        seller_id: str,
        customer_id: str,
        *,
        unread_only: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> list[InboxItem]:
        """The customer's items, newest first (then last put first)."""
        sql = f"{_INBOX} WHERE seller_id = ? AND customer_id = ?"
        if unread_only:
            sql += " AND read_at IS NULL"
        sql += " ORDER BY created_at DESC, position DESC LIMIT ? OFFSET ?"
        params = (seller_id, customer_id, max(limit, 0), max(offset, 0))
        return [_item(row) for row in self._s.rows("list inbox items", sql, params)]

    def unread_count(self, seller_id: str, customer_id: str) -> int:
        """How many of the customer's items have no read time."""
        sql = (
            "SELECT COUNT(*) FROM inbox WHERE seller_id = ? AND customer_id = ? AND read_at IS NULL"
        )
        row = self._s.one("count unread inbox items", sql, (seller_id, customer_id))
        return 0 if row is None else int(row[0])

    def mark_read(
        self, seller_id: str, customer_id: str, keys: Sequence[str], *, at: datetime
    ) -> int:
        """Set ``read_at`` on the customer's unread items among ``keys``; how many changed."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return 0
        sql = (
            "UPDATE inbox SET read_at = ? WHERE seller_id = ? AND customer_id = ? "  # noqa: S608 - placeholders only
            f"AND read_at IS NULL AND key IN ({', '.join('?' * len(wanted))})"
        )
        params = (utc_text(at, "at"), seller_id, customer_id, *wanted)
        return self._s.run("mark inbox items read", sql, params)

"""The storage ports of messaging: the outbox and its event feed, messages, inboxes, idempotency.

Part of the storage port (:mod:`invoicekit.repositories` re-exports these names);
every adapter implements them and the storage contract suite says how they behave.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from invoicekit.records import (
    HandlerCursor,
    IdempotencyRecord,
    InboxItem,
    MessageRecord,
    MessageStatus,
    OutboxRecord,
)

__all__ = [
    "EventFeed",
    "IdempotencyRepository",
    "InboxRepository",
    "MessageRepository",
    "Outbox",
]


class Outbox(Protocol):
    """Events and messages written with the change that caused them, read by the dispatcher."""

    def append(self, records: Sequence[OutboxRecord]) -> None:
        """Add records; a record whose key is already stored is skipped (dedupe)."""

    def pending(self, *, limit: int = 100, seller_id: str | None = None) -> list[OutboxRecord]:
        """Undelivered records in the order they were appended."""

    def mark_delivered(self, keys: Sequence[str], *, at: datetime) -> None:
        """Mark records delivered; unknown keys are ignored."""

    def mark_failed(self, key: str, *, error: str) -> None:
        """Count a failed attempt and keep its error."""

    def list(
        self, *, seller_id: str, invoice_id: str | None = None, limit: int = 1000
    ) -> list[OutboxRecord]:
        """All records of one seller (optionally one invoice), in append order."""


class EventFeed(Protocol):
    """The outbox read in an order no later commit can get ahead of, and the handlers' cursors.

    A mark is ``(epoch, position)``; records come in increasing mark order, and a record
    that commits later always gets a greater mark than every record ``read`` returned.
    """

    def read(self, *, epoch: int, position: int, limit: int) -> list[tuple[int, OutboxRecord]]:
        """Up to ``limit`` (epoch, record) pairs after the mark, committed and in mark order."""

    def end(self) -> tuple[int, int]:
        """The mark of the last record ``read`` can return now ((0, 0) when there is none)."""

    def cursor(self, name: str) -> HandlerCursor | None:
        """The cursor of handler ``name``, or None."""

    def cursors(self) -> list[HandlerCursor]:
        """Every handler's cursor, by name."""

    def save_cursor(self, cursor: HandlerCursor, *, expected_version: int) -> HandlerCursor:
        """Store ``cursor`` (new when ``expected_version`` is 0); returns it at the next version.

        Raises ConcurrencyError when the stored version is not ``expected_version``.
        """


class MessageRepository(Protocol):
    """Messages waiting for, or done with, delivery; several dispatchers share them safely."""

    def enqueue(self, records: Sequence[MessageRecord]) -> list[MessageRecord]:
        """Add queued messages; a (seller, key) already stored is skipped. Returns the ones added.

        Keys are unique per seller, not across sellers: another seller's message under
        the same key is a message of its own.
        """

    def claim(
        self,
        *,
        now: datetime,
        owner: str,
        lease_until: datetime,
        limit: int = 20,
        seller_id: str | None = None,
    ) -> list[MessageRecord]:
        """Take up to ``limit`` messages due at ``now`` for ``owner`` until ``lease_until``.

        Due means queued with ``next_attempt_at <= now``, or sending with an expired
        lease (its dispatcher died). Claimed messages become ``sending`` with
        ``attempts + 1``, oldest first. Two transactions never claim the same
        message (SQLite: the write lock; PostgreSQL: ``FOR UPDATE SKIP LOCKED``).
        """

    def complete(
        self, seller_id: str, key: str, *, at: datetime, provider_id: str | None = None
    ) -> MessageRecord:
        """Record the seller's message as sent. Raises NotFoundError for a key it does not have."""

    def fail(
        self, seller_id: str, key: str, *, error: str, retry_at: datetime | None
    ) -> MessageRecord:
        """Record a failed attempt: re-queued at ``retry_at``, or ``failed`` for good when None.

        A message already ``sent`` stays sent. Raises NotFoundError (also for another
        seller's key).
        """

    def retry(self, seller_id: str, key: str, *, at: datetime) -> MessageRecord:
        """Queue a ``failed`` message again for ``at``.

        Raises NotFoundError (also for another seller's key) and ValidationError
        when the message is not ``failed``.
        """

    def get(self, seller_id: str, key: str) -> MessageRecord:
        """The message. Raises NotFoundError, also for another seller's key."""

    def list(
        self,
        seller_id: str,
        *,
        statuses: Iterable[MessageStatus] | None = None,
        invoice_id: str | None = None,
        limit: int = 100,
        after: int | None = None,
    ) -> list[MessageRecord]:
        """The seller's messages in enqueue order, filtered; ``after`` is the last position seen."""


class InboxRepository(Protocol):
    """In-app inboxes: per customer, newest first, with read marks."""

    def put(self, item: InboxItem) -> bool:
        """Store ``item``; False (and nothing changed) when its seller already has its key."""

    def list(
        self,
        seller_id: str,
        customer_id: str,
        *,
        unread_only: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> list[InboxItem]:
        """The customer's items, newest first."""

    def unread_count(self, seller_id: str, customer_id: str) -> int:
        """How many of the customer's items are unread."""

    def mark_read(
        self, seller_id: str, customer_id: str, keys: Sequence[str], *, at: datetime
    ) -> int:
        """Mark items read (already read ones keep their time); returns how many changed."""


class IdempotencyRepository(Protocol):
    """Results of writes made with an idempotency key, per seller."""

    def get(self, seller_id: str, key: str) -> IdempotencyRecord | None:
        """The stored record, or None."""

    def put(self, record: IdempotencyRecord) -> None:
        """Store a record. Raises DuplicateError if (seller, key) exists."""

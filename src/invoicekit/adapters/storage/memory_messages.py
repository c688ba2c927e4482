"""The message queue and in-app inboxes of ``MemoryStorage``, the reference the others follow.

Both are keyed by (seller, key): two sellers may have an invoice with the same id,
so the same message key, and each seller's message is its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

import attrs

from invoicekit.errors import NotFoundError, ValidationError, problem
from invoicekit.ports import InboxItem, MessageRecord, MessageStatus

__all__ = ["MemoryInbox", "MemoryMessages"]

V = TypeVar("V")
#: Where a row lives: (seller id, key).
Where = tuple[str, str]


class Table(Protocol[V]):
    """The part of ``MemoryStorage``'s transactional table these repositories use."""

    def get(self, key: Where) -> V | None: ...

    def put(self, key: Where, value: V) -> None: ...

    def values(self) -> Iterator[V]: ...


def _due(record: MessageRecord, now: datetime) -> bool:
    """Whether a dispatcher may claim ``record`` at ``now``."""
    if record.status is MessageStatus.QUEUED:
        return record.next_attempt_at <= now
    if record.status is MessageStatus.SENDING:
        return record.lease_expires_at is not None and record.lease_expires_at <= now
    return False


def _where(record: MessageRecord) -> Where:
    return record.seller_id, record.key


class MemoryMessages:
    """``MessageRepository`` in a table keyed by (seller, key)."""

    def __init__(self, table: Table[MessageRecord], counter: Callable[[], int]) -> None:
        self._t = table
        self._counter = counter
        #: (seller, invoice) -> the keys ever enqueued for it: a superset (a rolled-back
        #: enqueue stays listed), so a lookup reads each key back through the table.
        self._by_invoice: dict[Where, set[Where]] = {}

    def enqueue(self, records: Sequence[MessageRecord]) -> list[MessageRecord]:
        """Store each (seller, key) not stored yet, in order, with the next position."""
        added = []
        for record in records:
            if self._t.get(_where(record)) is None:
                stored = attrs.evolve(record, position=self._counter())
                self._t.put(_where(record), stored)
                if record.invoice_id is not None:
                    mine = (record.seller_id, record.invoice_id)
                    self._by_invoice.setdefault(mine, set()).add(_where(record))
                added.append(stored)
        return added

    def _ordered(self) -> list[MessageRecord]:
        return sorted(self._t.values(), key=lambda r: r.position or 0)

    def claim(
        self,
        *,
        now: datetime,
        owner: str,
        lease_until: datetime,
        limit: int = 20,
        seller_id: str | None = None,
    ) -> list[MessageRecord]:
        """Lease the oldest due messages (of one seller, when given) to ``owner``."""
        due = [
            r
            for r in self._ordered()
            if _due(r, now) and (seller_id is None or r.seller_id == seller_id)
        ][:limit]
        claimed = []
        for r in due:
            new = attrs.evolve(
                r,
                status=MessageStatus.SENDING,
                lease_owner=owner,
                lease_expires_at=lease_until,
                attempts=r.attempts + 1,
            )
            self._t.put(_where(r), new)
            claimed.append(new)
        return claimed

    def complete(
        self, seller_id: str, key: str, *, at: datetime, provider_id: str | None = None
    ) -> MessageRecord:
        """Mark the seller's message sent; a sent message stays as it was."""
        record = self.get(seller_id, key)
        if record.status is MessageStatus.SENT:
            return record
        new = attrs.evolve(
            record,
            status=MessageStatus.SENT,
            sent_at=at,
            provider_id=provider_id,
            lease_owner=None,
            lease_expires_at=None,
        )
        self._t.put(_where(new), new)
        return new

    def fail(
        self, seller_id: str, key: str, *, error: str, retry_at: datetime | None
    ) -> MessageRecord:
        """Queue the seller's message again at ``retry_at``, or fail it for good; sent stays sent."""
        record = self.get(seller_id, key)
        if record.status is MessageStatus.SENT:
            return record
        status = MessageStatus.FAILED if retry_at is None else MessageStatus.QUEUED
        new = attrs.evolve(
            record,
            status=status,
            last_error=error,
            next_attempt_at=record.next_attempt_at if retry_at is None else retry_at,
            lease_owner=None,
            lease_expires_at=None,
        )
        self._t.put(_where(new), new)
        return new

    def retry(self, seller_id: str, key: str, *, at: datetime) -> MessageRecord:
        """Queue the seller's failed message again for ``at``."""
        record = self.get(seller_id, key)
        if record.status is not MessageStatus.FAILED:
            raise ValidationError(
                [problem("status", "only a failed message can be retried", record.status.value)],
                subject=f"message {key!r}",
            )
        new = attrs.evolve(record, status=MessageStatus.QUEUED, next_attempt_at=at)
        self._t.put(_where(new), new)
        return new

    def get(self, seller_id: str, key: str) -> MessageRecord:
        """The seller's message; NotFoundError for a key only another seller has."""
        found = self._t.get((seller_id, key))
        if found is None:
            raise NotFoundError("message", key)
        return found

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
        wanted = None if statuses is None else frozenset(MessageStatus(s) for s in statuses)
        rows: Iterable[MessageRecord]
        if invoice_id is None:
            rows = self._ordered()
        else:  # one invoice's few messages, not a sort of the whole queue (run_due asks per invoice)
            keys = self._by_invoice.get((seller_id, invoice_id), set())
            found = (self._t.get(key) for key in keys)
            rows = sorted((r for r in found if r is not None), key=lambda r: r.position or 0)
        return [
            r
            for r in rows
            if r.seller_id == seller_id
            and (wanted is None or r.status in wanted)
            and (invoice_id is None or r.invoice_id == invoice_id)
            and (after is None or (r.position or 0) > after)
        ][:limit]


class MemoryInbox:
    """``InboxRepository`` in a table keyed by (seller, key), listed per customer."""

    def __init__(self, table: Table[tuple[int, InboxItem]], counter: Callable[[], int]) -> None:
        self._t = table
        self._counter = counter

    def put(self, item: InboxItem) -> bool:
        """Store an item under a (seller, key) not stored yet; False when it is."""
        if self._t.get((item.seller_id, item.key)) is not None:
            return False
        self._t.put((item.seller_id, item.key), (self._counter(), item))
        return True

    def _items(self, seller_id: str, customer_id: str) -> list[tuple[int, InboxItem]]:
        return sorted(
            (
                (n, item)
                for n, item in self._t.values()
                if item.seller_id == seller_id and item.customer_id == customer_id
            ),
            key=lambda pair: (pair[1].created_at, pair[0]),
            reverse=True,
        )

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
        items = [
            item
            for _, item in self._items(seller_id, customer_id)
            if not unread_only or item.read_at is None
        ]
        return items[offset : offset + limit]

    def unread_count(self, seller_id: str, customer_id: str) -> int:
        """How many of the customer's items have no read time."""
        return sum(1 for _, item in self._items(seller_id, customer_id) if item.read_at is None)

    def mark_read(
        self, seller_id: str, customer_id: str, keys: Sequence[str], *, at: datetime
    ) -> int:
        """Set ``read_at`` on the customer's unread items among ``keys``; how many changed."""
        changed = 0
        for key in dict.fromkeys(keys):
            found = self._t.get((seller_id, key))
            if found is None:
                continue
            n, item = found
            if item.customer_id == customer_id and item.read_at is None:
                self._t.put((seller_id, key), (n, attrs.evolve(item, read_at=at)))
                changed += 1
        return changed

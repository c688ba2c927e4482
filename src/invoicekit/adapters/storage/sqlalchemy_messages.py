"""The message queue and in-app inboxes of ``SqlAlchemyStorage`` (Alembic revisions 0002, 0003).

They behave as ``MemoryStorage``'s do (the reference). ``claim`` first selects
the oldest due messages and then marks them: on PostgreSQL the SELECT takes
their row locks with ``FOR UPDATE SKIP LOCKED``, so concurrent dispatchers
take disjoint messages without waiting for each other; on SQLite the write
lock taken at ``BEGIN IMMEDIATE`` keeps every other claimer out until commit.
A message is identified by (seller, key), as an inbox item is: two sellers may
use one key, and every statement after ``claim`` names both.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

import attrs
import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_tables import INBOX, MESSAGES, Context
from invoicekit.adapters.storage.times import parse_utc, utc_text, utc_text_or_none
from invoicekit.errors import NotFoundError, ValidationError, problem
from invoicekit.ports import InboxItem, MessageRecord, MessageStatus

__all__ = ["SqlInbox", "SqlMessages"]

_b = sa.bindparam
_M, _I = MESSAGES, INBOX

#: The message a statement reads or changes: the seller's, with the key.
_THE_MESSAGE: Final = sa.and_(_M.c.seller_id == _b("k_seller"), _M.c.key == _b("k_key"))
_BY_KEY: Final = sa.select(_M).where(_THE_MESSAGE)
_DUE: Final = sa.or_(
    sa.and_(_M.c.status == MessageStatus.QUEUED.value, _M.c.next_attempt_at <= _b("now")),
    sa.and_(_M.c.status == MessageStatus.SENDING.value, _M.c.lease_expires_at <= _b("now")),
)
_NOT_SENT: Final = _M.c.status != MessageStatus.SENT.value
_COMPLETE: Final = (
    sa.update(_M)
    .where(_THE_MESSAGE, _NOT_SENT)
    .values(
        status=MessageStatus.SENT.value,
        sent_at=_b("sent_at"),
        provider_id=_b("provider_id"),
        lease_owner=None,
        lease_expires_at=None,
    )
)
_FAIL: Final = (
    sa.update(_M)
    .where(_THE_MESSAGE, _NOT_SENT)
    .values(
        status=_b("status"),
        last_error=_b("last_error"),
        next_attempt_at=sa.func.coalesce(_b("retry_at", type_=sa.Text()), _M.c.next_attempt_at),
        lease_owner=None,
        lease_expires_at=None,
    )
)
_RETRY: Final = (
    sa.update(_M)
    .where(_THE_MESSAGE, _M.c.status == MessageStatus.FAILED.value)
    .values(status=MessageStatus.QUEUED.value, next_attempt_at=_b("next_attempt_at"))
)
_INBOX_NEXT: Final = sa.select(sa.func.coalesce(sa.func.max(_I.c.position), 0) + 1).where(
    _I.c.seller_id == _b("seller_id"), _I.c.customer_id == _b("customer_id")
)
_UNREAD: Final = (
    sa.select(sa.func.count())
    .select_from(_I)
    .where(
        _I.c.seller_id == _b("seller_id"),
        _I.c.customer_id == _b("customer_id"),
        _I.c.read_at.is_(None),
    )
)


@functools.cache
def _claimable(*, seller: bool, postgres: bool) -> sa.Select[Any]:
    """The positions ``claim`` takes, oldest first; locked and skipping locked rows on PostgreSQL."""
    query = sa.select(_M.c.position).where(_DUE)
    if seller:
        query = query.where(_M.c.seller_id == _b("seller_id"))
    query = query.order_by(_M.c.position).limit(_b("limit"))
    return query.with_for_update(skip_locked=True) if postgres else query


@functools.cache
def _enqueue(*, postgres: bool) -> Any:
    """Insert one message unless its (seller, key) is stored; returns its position when inserted."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if postgres else sqlite.insert
    return insert(_M).on_conflict_do_nothing().returning(_M.c.position)


@functools.cache
def _listing(*, statuses: bool, invoice: bool, after: bool) -> sa.Select[Any]:
    query = sa.select(_M).where(_M.c.seller_id == _b("seller_id"))
    if statuses:
        query = query.where(_M.c.status.in_(_b("statuses", expanding=True)))
    if invoice:
        query = query.where(_M.c.invoice_id == _b("invoice_id"))
    if after:
        query = query.where(_M.c.position > _b("after"))
    return query.order_by(_M.c.position).limit(_b("limit"))


@functools.cache
def _inbox_listing(*, unread_only: bool) -> sa.Select[Any]:
    query = sa.select(_I).where(
        _I.c.seller_id == _b("seller_id"), _I.c.customer_id == _b("customer_id")
    )
    if unread_only:
        query = query.where(_I.c.read_at.is_(None))
    order = (_I.c.created_at.desc(), _I.c.position.desc())
    return query.order_by(*order).limit(_b("limit")).offset(_b("offset"))


def _values(r: MessageRecord) -> dict[str, Any]:
    return {
        "key": r.key,
        "seller_id": r.seller_id,
        "customer_id": r.customer_id,
        "invoice_id": r.invoice_id,
        "subject_id": r.subject_id,
        "kind": r.kind,
        "step": r.step,
        "channel": r.channel,
        "recipient": r.recipient,
        "status": r.status.value,
        "attempts": r.attempts,
        "last_error": r.last_error,
        "created_at": utc_text(r.created_at, "created_at"),
        "next_attempt_at": utc_text(r.next_attempt_at, "next_attempt_at"),
        "lease_owner": r.lease_owner,
        "lease_expires_at": utc_text_or_none(r.lease_expires_at, "lease_expires_at"),
        "sent_at": utc_text_or_none(r.sent_at, "sent_at"),
        "provider_id": r.provider_id,
    }


def _message(row: sa.Row[Any]) -> MessageRecord:
    return MessageRecord(
        key=row.key,
        seller_id=row.seller_id,
        customer_id=row.customer_id,
        kind=row.kind,
        step=row.step,
        channel=row.channel,
        recipient=row.recipient,
        created_at=datetime.fromisoformat(row.created_at),
        next_attempt_at=datetime.fromisoformat(row.next_attempt_at),
        invoice_id=row.invoice_id,
        subject_id=row.subject_id,
        status=MessageStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        lease_owner=row.lease_owner,
        lease_expires_at=parse_utc(row.lease_expires_at),
        sent_at=parse_utc(row.sent_at),
        provider_id=row.provider_id,
        position=row.position,
    )


class SqlMessages:
    """``MessageRepository`` on one transaction's ``Context``."""

    def __init__(self, ctx: Context) -> None:
        self._c = ctx

    def enqueue(self, records: Sequence[MessageRecord]) -> list[MessageRecord]:
        """Insert each new (seller, key) in order (positions follow); skip stored ones."""
        statement = _enqueue(postgres=self._c.postgres)
        added = []
        for r in records:
            row = self._c.first("enqueue a message", statement, _values(r))
            if row is not None:
                added.append(attrs.evolve(r, position=row.position))
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
        """Lock the oldest due messages (skipping ones another claimer holds), then lease them."""
        if limit <= 0:
            return []
        query = _claimable(seller=seller_id is not None, postgres=self._c.postgres)
        params = {"now": utc_text(now, "now"), "seller_id": seller_id, "limit": limit}
        positions = [r.position for r in self._c.rows("claim messages", query, params)]
        if not positions:
            return []
        statement = (
            sa.update(_M)
            .where(_M.c.position.in_(positions))
            .values(
                status=MessageStatus.SENDING.value,
                lease_owner=owner,
                lease_expires_at=utc_text(lease_until, "lease_until"),
                attempts=_M.c.attempts + 1,
            )
            .returning(*_M.c)
        )
        rows = self._c.rows("claim messages", statement)
        return sorted((_message(row) for row in rows), key=lambda m: m.position or 0)

    def complete(
        self, seller_id: str, key: str, *, at: datetime, provider_id: str | None = None
    ) -> MessageRecord:
        """Mark sent (also after a lost lease: a sent message is sent); sent stays as it was."""
        params = {
            "k_seller": seller_id,
            "k_key": key,
            "sent_at": utc_text(at, "at"),
            "provider_id": provider_id,
        }
        self._c.count("complete a message", _COMPLETE, params)
        return self.get(seller_id, key)

    def fail(
        self, seller_id: str, key: str, *, error: str, retry_at: datetime | None
    ) -> MessageRecord:
        """Queue again at ``retry_at``, or fail for good; a sent message stays sent."""
        status = MessageStatus.FAILED if retry_at is None else MessageStatus.QUEUED
        params = {
            "k_seller": seller_id,
            "k_key": key,
            "status": status.value,
            "last_error": error,
            "retry_at": utc_text_or_none(retry_at, "retry_at"),
        }
        self._c.count("record a failed message", _FAIL, params)
        return self.get(seller_id, key)

    def retry(self, seller_id: str, key: str, *, at: datetime) -> MessageRecord:
        """Queue a failed message again for ``at``."""
        record = self.get(seller_id, key)
        if record.status is not MessageStatus.FAILED:
            raise ValidationError(
                [problem("status", "only a failed message can be retried", record.status.value)],
                subject=f"message {key!r}",
            )
        params = {"k_seller": seller_id, "k_key": key, "next_attempt_at": utc_text(at, "at")}
        self._c.count("retry a message", _RETRY, params)
        return self.get(seller_id, key)

    def get(self, seller_id: str, key: str) -> MessageRecord:
        """The message; NotFoundError also for another seller's key."""
        row = self._c.first("read a message", _BY_KEY, {"k_seller": seller_id, "k_key": key})
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
        wanted = None if statuses is None else sorted({MessageStatus(s).value for s in statuses})
        if wanted == [] or limit <= 0:
            return []
        query = _listing(
            statuses=wanted is not None, invoice=invoice_id is not None, after=after is not None
        )
        params = {
            "seller_id": seller_id,
            "statuses": wanted,
            "invoice_id": invoice_id,
            "after": after,
            "limit": limit,
        }
        params = {k: v for k, v in params.items() if v is not None}
        return [_message(row) for row in self._c.rows("list messages", query, params)]


def _item(row: sa.Row[Any]) -> InboxItem:
    return InboxItem(
        key=row.key,
        seller_id=row.seller_id,
        customer_id=row.customer_id,
        kind=row.kind,
        title=row.title,
        text=row.text,
        created_at=datetime.fromisoformat(row.created_at),
        invoice_id=row.invoice_id,
        html=row.html,
        url=row.url,
        read_at=parse_utc(row.read_at),
    )


class SqlInbox:
    """``InboxRepository`` on one transaction's ``Context``."""

    def __init__(self, ctx: Context) -> None:
        self._c = ctx

    def put(self, item: InboxItem) -> bool:
        """Store an item under a new key, after the customer's last; False when the key is stored."""
        key = {"seller_id": item.seller_id, "customer_id": item.customer_id}
        position = self._c.scalar("put an inbox item", _INBOX_NEXT, key)
        values = {
            **key,
            "key": item.key,
            "position": position,
            "kind": item.kind,
            "title": item.title,
            "text": item.text,
            "html": item.html,
            "url": item.url,
            "invoice_id": item.invoice_id,
            "created_at": utc_text(item.created_at, "created_at"),
            "read_at": utc_text_or_none(item.read_at, "read_at"),
        }
        return self._c.insert_new("put an inbox item", _I, values)

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
        params = {
            "seller_id": seller_id,
            "customer_id": customer_id,
            "limit": max(limit, 0),
            "offset": max(offset, 0),
        }
        query = _inbox_listing(unread_only=unread_only)
        return [_item(row) for row in self._c.rows("list inbox items", query, params)]

    def unread_count(self, seller_id: str, customer_id: str) -> int:
        """How many of the customer's items have no read time."""
        params = {"seller_id": seller_id, "customer_id": customer_id}
        return int(self._c.scalar("count unread inbox items", _UNREAD, params))

    def mark_read(
        self, seller_id: str, customer_id: str, keys: Sequence[str], *, at: datetime
    ) -> int:
        """Set ``read_at`` on the customer's unread items among ``keys``; how many changed."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return 0
        statement = (
            sa.update(_I)
            .where(
                _I.c.seller_id == seller_id,
                _I.c.customer_id == customer_id,
                _I.c.read_at.is_(None),
                _I.c.key.in_(wanted),
            )
            .values(read_at=utc_text(at, "at"))
            .execution_options(preserve_rowcount=True)
        )
        return self._c.count("mark inbox items read", statement)

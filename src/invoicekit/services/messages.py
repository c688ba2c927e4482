"""What the host application sees of delivery: one seller's messages and customers' inboxes."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

from invoicekit.domain import checks
from invoicekit.errors import ValidationError, problem
from invoicekit.ports import InboxItem, MessageRecord, MessageStatus
from invoicekit.services.dispatch import Dispatcher, DispatchReport
from invoicekit.services.unit import Runner

__all__ = ["Inbox", "Messages"]


def _statuses(
    status: MessageStatus | str | Iterable[MessageStatus | str] | None,
) -> builtins.list[MessageStatus] | None:
    if status is None:
        return None
    items = [status] if isinstance(status, str) else builtins.list(status)
    try:
        return [MessageStatus(s) for s in items]
    except ValueError as exc:
        allowed = ", ".join(s.value for s in MessageStatus)
        raise ValidationError(
            [problem("status", f"allowed: {allowed}", status)], subject="message query"
        ) from exc


class Messages:
    """One seller's messages: list them, see the failed ones, queue a failed one again."""

    def __init__(self, runner: Runner, seller_id: str, dispatcher: Dispatcher | None) -> None:
        self._run = runner
        self._seller_id = seller_id
        self._dispatcher = dispatcher

    def get(self, key: str) -> MessageRecord:
        """One message by key. Raises NotFoundError (also for another seller's key)."""
        checks.refuse(checks.lookup("key", key), "query")
        with self._run.read() as tx:
            return tx.messages.get(self._seller_id, key)

    def list(
        self,
        *,
        status: MessageStatus | str | Iterable[MessageStatus | str] | None = None,
        invoice_id: str | None = None,
        limit: int = 100,
        after: int | None = None,
    ) -> builtins.list[MessageRecord]:
        """Messages in the order they were queued; page with ``after`` (the last ``position``)."""
        found = checks.lookup("invoice_id", invoice_id, required=False)
        found += checks.at_least("limit", limit)
        found += [] if after is None else checks.at_least("after", after, 0)
        checks.refuse(found, "query")
        with self._run.read() as tx:
            return tx.messages.list(
                self._seller_id,
                statuses=_statuses(status),
                invoice_id=invoice_id,
                limit=limit,
                after=after,
            )

    def failed(self, *, limit: int = 100) -> builtins.list[MessageRecord]:
        """Messages that failed for good (``last_error`` says why), oldest first."""
        return self.list(status=MessageStatus.FAILED, limit=limit)

    def retry(self, key: str) -> MessageRecord:
        """Queue a failed message again, due now; a repeat changes nothing.

        A message already queued or being sent (retried before) is returned as it is;
        one that was sent raises ValidationError.
        """
        checks.refuse(checks.lookup("key", key), "retry")
        with self._run.storage.transaction() as tx:
            record = tx.messages.get(self._seller_id, key)
            if record.status in {MessageStatus.QUEUED, MessageStatus.SENDING}:
                return record
            return tx.messages.retry(self._seller_id, key, at=self._run.clock.now())

    def dispatch(self, *, limit: int = 100) -> DispatchReport:
        """Deliver this seller's due messages now, in the calling thread."""
        if self._dispatcher is None:
            return DispatchReport()
        return self._dispatcher.dispatch(limit=limit, seller_id=self._seller_id)


class Inbox:
    """Customers' in-app inboxes (the ``in_app`` channel), for the host application's UI."""

    def __init__(self, runner: Runner, seller_id: str) -> None:
        self._run = runner
        self._seller_id = seller_id

    def list(
        self, customer_id: str, *, unread_only: bool = False, limit: int = 50, offset: int = 0
    ) -> builtins.list[InboxItem]:
        """The customer's items, newest first."""
        found = checks.lookup("customer_id", customer_id) + checks.flag("unread_only", unread_only)
        found += checks.at_least("limit", limit) + checks.at_least("offset", offset, 0)
        checks.refuse(found, "query")
        with self._run.read() as tx:
            return tx.inbox.list(
                self._seller_id, customer_id, unread_only=unread_only, limit=limit, offset=offset
            )

    def unread_count(self, customer_id: str) -> int:
        """How many of the customer's items are unread (for a badge)."""
        checks.refuse(checks.lookup("customer_id", customer_id), "query")
        with self._run.read() as tx:
            return tx.inbox.unread_count(self._seller_id, customer_id)

    def mark_read(self, customer_id: str, keys: Iterable[str]) -> int:
        """Mark items read; returns how many were unread (a repeat changes nothing and returns 0)."""
        keys = checks.plural(keys)
        found = checks.lookup("customer_id", customer_id) + checks.items(
            "keys", keys, str, "str key"
        )
        checks.refuse(found or [p for key in keys for p in checks.lookup("keys", key)], "mark_read")
        with self._run.storage.transaction() as tx:
            return tx.inbox.mark_read(
                self._seller_id, customer_id, builtins.list(keys), at=self._run.clock.now()
            )

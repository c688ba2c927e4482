"""``InAppNotifier``: the ``in_app`` channel, which puts messages in the customer's inbox in Storage."""

from __future__ import annotations

from invoicekit.adapters.notify.headers import check_message
from invoicekit.errors import DeliveryError, StorageError
from invoicekit.ports import Clock, Delivery, InboxItem, OutgoingMessage, Storage

__all__ = ["InAppNotifier"]


class InAppNotifier:
    """Stores each message once in the customer's inbox; a repeated key is a duplicate."""

    def __init__(self, storage: Storage, clock: Clock) -> None:
        self._storage = storage
        self._clock = clock

    @property
    def channel(self) -> str:
        """Always "in_app"."""
        return "in_app"

    def send(self, message: OutgoingMessage) -> Delivery:
        """Put ``message`` in the inbox of ``message.customer_id``; CR/LF in the title is refused."""
        check_message(message.recipient, message.subject)
        try:
            with self._storage.transaction() as tx:
                now = self._clock.now()
                added = tx.inbox.put(
                    InboxItem(
                        key=message.key,
                        seller_id=message.seller_id,
                        customer_id=message.customer_id,
                        kind=message.kind,
                        title=message.subject,
                        text=message.text,
                        created_at=now,
                        invoice_id=message.invoice_id,
                        html=message.html,
                        url=message.url,
                    )
                )
        except StorageError as exc:  # the store is down or busy: try again later
            raise DeliveryError(
                f"the inbox could not be written: {exc}",
                channel=self.channel,
                recipient=message.recipient,
                retryable=True,
            ) from exc
        return Delivery(
            message.key, self.channel, now, provider_id=message.key, duplicate=not added
        )

    def __repr__(self) -> str:
        return f"InAppNotifier({self._storage!r})"

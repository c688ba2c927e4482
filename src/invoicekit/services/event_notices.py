"""What a handler or webhook receives for one outbox record: ``EventNotice``, by dotted name.

Each domain event class names its type (``InvoicePaid.event_type == "invoice.paid"``);
``invoice.partially_paid`` is derived from a ``payment.succeeded`` that leaves a balance.
Outbox records written before names and facts existed still load (their facts are None).
"""

from __future__ import annotations

import builtins
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import attrs
import cattrs

from invoicekit.domain import events as ev
from invoicekit.errors import ValidationError, problem
from invoicekit.records import OutboxRecord
from invoicekit.serialization import event_from_document, event_to_document
from invoicekit.serialization.converter import EVENT_CONTEXT

__all__ = ["EVENT_TYPES", "PARTIALLY_PAID", "EventNotice", "check_pattern", "matches", "notices"]

#: Derived from a ``payment.succeeded`` whose invoice still has a balance.
PARTIALLY_PAID: Final = "invoice.partially_paid"
#: Every dotted event type a handler or webhook can subscribe to.
EVENT_TYPES: Final[frozenset[str]] = frozenset(
    {
        cls.event_type
        for cls in vars(ev).values()
        if isinstance(cls, type) and issubclass(cls, ev.Event) and cls is not ev.Event
    }
    | {PARTIALLY_PAID}
)


@attrs.frozen(kw_only=True)
class EventNotice:
    """One event as handlers and webhooks receive it: the event and the invoice's facts then.

    ``type`` is the dotted type (``invoice.paid``); ``id`` is the same on every redelivery
    (handlers are called at least once: dedupe on it).
    The facts are None on records written by invoicekit versions before schema version 1.
    """

    id: str
    type: str  # the dotted type, e.g. "invoice.paid" (no doc comment: "type" is a common word)
    schema_version: int = ev.SCHEMA_VERSION
    seller_id: str
    invoice_id: str | None
    customer_id: str | None = None
    #: The invoice's status before the change, where it was recorded.
    status_before: str | None = None
    status_after: str | None = None
    #: What was left to pay after the change.
    amount_due: Decimal | None = None
    currency: str | None = None
    at: datetime
    #: The domain event itself (``InvoicePaid``, ``PaymentSucceeded``...).
    event: ev.Event
    #: Where the record sits in the outbox (storage-assigned; increasing per invoice).
    position: int | None = None

    def to_json(self, converter: cattrs.Converter) -> dict[str, Any]:
        """The notice as JSON-ready data (a webhook's body)."""
        data = event_to_document(converter, self.event)
        data.pop("type")
        return {
            "id": self.id,
            "type": self.type,
            "schema_version": self.schema_version,
            "seller_id": self.seller_id,
            "invoice_id": self.invoice_id,
            "customer_id": self.customer_id,
            "status_before": self.status_before,
            "status_after": self.status_after,
            "amount_due": None if self.amount_due is None else str(self.amount_due),
            "currency": self.currency,
            "created": self.at.isoformat(),
            "data": data,
        }


def notices(converter: cattrs.Converter, record: OutboxRecord) -> builtins.list[EventNotice]:
    """The notices of one outbox record: its own type, and ``invoice.partially_paid`` if derived."""
    event = event_from_document(converter, record.payload)
    facts: dict[str, Any] = record.payload.get(EVENT_CONTEXT) or {}
    due = facts.get("amount_due")
    first = EventNotice(
        id=record.key,
        type=event.event_type,
        seller_id=record.seller_id,
        invoice_id=record.invoice_id,
        customer_id=facts.get("customer_id"),
        status_before=facts.get("status_before"),
        status_after=facts.get("status_after"),
        amount_due=None if due is None else Decimal(due),
        currency=facts.get("currency"),
        at=event.at,
        event=event,
        position=record.position,
    )
    found = [first]
    if isinstance(event, ev.PaymentSucceeded) and first.status_after == "partially_paid":
        found.append(attrs.evolve(first, id=f"{record.key}:{PARTIALLY_PAID}", type=PARTIALLY_PAID))
    return found


def check_pattern(pattern: str, path: str = "event") -> None:
    """Refuse a pattern that can never match: allowed are "*", a type, or "<prefix>.*"."""
    if isinstance(pattern, str) and (pattern == "*" or pattern in EVENT_TYPES):
        return
    if isinstance(pattern, str) and pattern.endswith(".*"):
        prefix = pattern[:-1]
        if any(t.startswith(prefix) for t in EVENT_TYPES):
            return
    allowed = '"*", "invoice.*", "payment.*" or one of ' + ", ".join(sorted(EVENT_TYPES))
    raise ValidationError([problem(path, allowed, pattern)], subject="event handler")


def matches(pattern: str, event_type: str) -> bool:
    """Whether ``event_type`` is one ``pattern`` (checked by ``check_pattern``) subscribes to."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern

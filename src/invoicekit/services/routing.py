"""Which channels a message goes to, and to which address: the customer's choice, checked.

A customer lists the channels every message goes to and, separately, a fallback
order for when none of them can take it (no address, no notifier configured, or
a permanent refusal). A customer with no usable channel at all gets one
``failed`` message on the pseudo-channel ``none`` that says why, so the host
application sees it among the failed messages instead of nothing happening.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

import attrs

from invoicekit.domain.invoice import CollectionFailure, Invoice
from invoicekit.domain.parties import Customer
from invoicekit.ports import MessageRecord, MessageStatus, Notifier

__all__ = [
    "FAILURE_STEP",
    "NO_CHANNEL",
    "Route",
    "failure_of",
    "message_key",
    "plan",
    "recipient",
    "routes",
]

#: The channel of the record that reports a customer nobody can reach.
NO_CHANNEL: Final = "none"
#: The step of a ``payment_failed`` message: the failure's position on the invoice, from 1.
FAILURE_STEP: Final = "failure-"


@attrs.frozen
class Route:
    """Where one message goes: a channel and the recipient's address on it."""

    channel: str
    recipient: str


def message_key(invoice_id: str, kind: str, step: str, channel: str) -> str:
    """The key of one message: stable across retries, so recipients can tell repeats apart."""
    return f"{invoice_id}:{kind}:{step}:{channel}"


def failure_of(invoice: Invoice, step: str) -> CollectionFailure | None:
    """The failure a ``payment_failed`` message of ``step`` is about, or None when none is."""
    number = step.removeprefix(FAILURE_STEP)
    if step == number or not number.isdigit() or not 1 <= int(number) <= len(invoice.failures):
        return None
    return invoice.failures[int(number) - 1]


_MISSING: Final = {
    "email": "email: no e-mail address",
    "sms": "sms: no phone number",
    "webhook": "webhook: no webhook_url on the customer and no default URL on the notifier",
}


def recipient(customer: Customer, channel: str, notifiers: Mapping[str, Notifier]) -> Route | str:
    """The route to ``customer`` on ``channel``, or why there is none (as a sentence)."""
    if channel not in notifiers:
        return f"{channel}: no notifier for this channel is configured on Billing"
    address = {
        "email": customer.email,
        "sms": customer.phone,
        # "" means the notifier's own endpoint, when it has one.
        "webhook": customer.webhook_url
        or ("" if getattr(notifiers[channel], "url", None) else None),
        "in_app": customer.id,
    }.get(channel)
    if address is None:
        return _MISSING.get(channel, f"{channel}: unknown channel")
    return Route(channel, address)


def routes(
    customer: Customer, notifiers: Mapping[str, Notifier], channels: tuple[str, ...] | None = None
) -> tuple[list[Route], list[tuple[str, str]]]:
    """The usable routes of ``channels`` (the customer's by default), and (channel, why not) for the rest.

    When none of them is usable, the first usable fallback channel is used instead.
    """
    found: list[Route] = []
    unusable: list[tuple[str, str]] = []
    for channel in channels if channels is not None else customer.channels:
        route = recipient(customer, channel, notifiers)
        if isinstance(route, Route):
            found.append(route)
        else:
            unusable.append((channel, route))
    if not found:
        for channel in customer.fallback:
            route = recipient(customer, channel, notifiers)
            if isinstance(route, Route):
                return [route], unusable
    return found, unusable


def plan(
    *,
    seller_id: str,
    invoice_id: str,
    customer: Customer,
    kind: str,
    step: str,
    now: datetime,
    notifiers: Mapping[str, Notifier],
    channels: tuple[str, ...] | None = None,
    subject_id: str | None = None,
) -> list[MessageRecord]:
    """The messages that tell ``customer`` about one document: one per channel asked for.

    A channel that cannot be used (no address, no notifier) gets a ``failed`` record
    saying why, so it shows among the failed messages; a customer with no channels
    at all gets one on the pseudo-channel ``none``.
    """
    found, unusable = routes(customer, notifiers, channels)
    base = MessageRecord(
        key="",
        seller_id=seller_id,
        customer_id=customer.id,
        kind=kind,
        step=step,
        channel="",
        recipient="",
        created_at=now,
        next_attempt_at=now,
        invoice_id=invoice_id,
        subject_id=subject_id,
    )
    if not found and not unusable:
        unusable = [(NO_CHANNEL, "the customer has no channels and no fallback")]
    failed = [
        attrs.evolve(
            base,
            key=message_key(invoice_id, kind, step, channel),
            channel=channel,
            status=MessageStatus.FAILED,
            last_error=f"customer {customer.id!r} cannot be reached on {why}",
        )
        for channel, why in unusable
    ]
    return [
        *(
            attrs.evolve(
                base,
                key=message_key(invoice_id, kind, step, r.channel),
                channel=r.channel,
                recipient=r.recipient,
            )
            for r in found
        ),
        *failed,
    ]

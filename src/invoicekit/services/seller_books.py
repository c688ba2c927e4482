"""``SellerBooks``: one seller's books (the services scoped to that seller), and its ``Events``.

Split from billing.py so that each module has one job: billing.py is the
composition root (it builds the adapters and, in ``Billing.seller``, these
books); this module holds only what the books are. Both names stay importable
from :mod:`invoicekit.services.billing`.
"""

from __future__ import annotations

import builtins

import attrs

from invoicekit.domain import checks
from invoicekit.domain.events import Event
from invoicekit.ports import OutboxRecord
from invoicekit.serialization import event_from_document
from invoicekit.services.catalog import Coupons, Plans
from invoicekit.services.invoices import Invoices
from invoicekit.services.messages import Inbox, Messages
from invoicekit.services.parties import Customers
from invoicekit.services.payments import Payments
from invoicekit.services.recurring import Recurring
from invoicekit.services.reports import Reports
from invoicekit.services.subscriptions import Subscriptions
from invoicekit.services.unit import Runner
from invoicekit.services.usage import Usage
from invoicekit.services.webhook_endpoints import WebhookEndpoints

__all__ = ["Events", "SellerBooks"]


class Events:
    """What happened to one seller's invoices, read from the outbox in the order it happened."""

    def __init__(self, runner: Runner, seller_id: str) -> None:
        self._run = runner
        self._seller_id = seller_id

    def records(
        self, *, invoice_id: str | None = None, limit: int = 1000
    ) -> builtins.list[OutboxRecord]:
        """The outbox records (delivered or not) of this seller, optionally of one invoice."""
        found = checks.lookup("invoice_id", invoice_id, required=False)
        checks.refuse(found + checks.at_least("limit", limit), "query")
        with self._run.read() as tx:
            return tx.outbox.list(seller_id=self._seller_id, invoice_id=invoice_id, limit=limit)

    def list(self, *, invoice_id: str | None = None, limit: int = 1000) -> builtins.list[Event]:
        """The domain events of this seller, optionally of one invoice."""
        return [
            event_from_document(self._run.converter, r.payload)
            for r in self.records(invoice_id=invoice_id, limit=limit)
        ]


@attrs.frozen
class SellerBooks:
    """Everything for one seller: customers, invoices, payments, events."""

    seller_id: str
    customers: Customers
    invoices: Invoices
    payments: Payments
    events: Events
    messages: Messages
    inbox: Inbox
    recurring: Recurring
    #: Plans subscriptions are made from (fixed fees, seats, metered prices).
    plans: Plans
    #: Coupons subscriptions may carry.
    coupons: Coupons
    #: Customers' subscriptions; their invoices come out of ``billing.run_due``.
    subscriptions: Subscriptions
    #: Usage records of metered prices, sent by the host's app.
    usage: Usage
    #: The host's own endpoints that receive this seller's events, signed (``add``, ``failing``).
    webhook_endpoints: WebhookEndpoints
    #: Receivables reports as of any date, computed in the store (``invoicekit.reports``).
    reports: Reports

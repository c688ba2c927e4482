"""Payment links, asked of the provider after the issuing transaction has committed.

A provider is a network call of unknown length: made inside the write transaction
it would hold SQLite's write lock (and a row lock on PostgreSQL) for that long.
So the invoice is issued first (a provider's ``IssueCheck``, which does no I/O, may
still refuse it inside that transaction), then the link is asked for and stored in
a short transaction of its own. A provider failure leaves the invoice issued without a
link; ``invoices.add_payment_link(id)`` (or ``issue_many`` with the same ids) asks again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import attrs

from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.errors import PaymentError
from invoicekit.ports import InvoiceSave, Transaction
from invoicekit.services import calls
from invoicekit.services.providers import Providers
from invoicekit.services.unit import Runner

__all__ = ["PaymentLinks"]

log = logging.getLogger("invoicekit.links")


class PaymentLinks:
    """Gives one seller's issued invoices the provider's payment link, outside the issuing lock."""

    def __init__(self, runner: Runner, seller_id: str, providers: Providers) -> None:
        self._run = runner
        self._seller_id = seller_id
        self._providers = providers

    @property
    def enabled(self) -> bool:
        """Whether there is a provider to ask (without one, the link step is skipped)."""
        return len(self._providers) > 0

    def check(self, invoice: Invoice) -> None:
        """Let the provider refuse ``invoice`` before it is stored, if it has an IssueCheck."""
        check_issue = getattr(self._providers.for_invoice(invoice), "check_issue", None)
        if check_issue is not None:
            check_issue(invoice)

    def add(self, invoice: Invoice) -> Invoice:
        """``invoice`` with its payment link, asked for and stored now if it has none.

        Raises PaymentError when the provider refuses; the invoice stays as it was.
        """
        [linked] = self._add_all([invoice], quiet=False)
        return linked

    def try_add(self, invoices: Sequence[Invoice]) -> list[Invoice]:
        """``invoices`` with their links, stored in one transaction; a provider failure is logged.

        An invoice the provider fails for is returned (and stays) without a link.
        """
        return self._add_all(invoices, quiet=True)

    def _add_all(self, invoices: Sequence[Invoice], *, quiet: bool) -> list[Invoice]:
        urls: dict[str, str] = {}
        for invoice in invoices:
            provider = self._providers.for_invoice(invoice)
            if provider is None or not _needs_link(invoice):
                continue
            try:
                link = provider.payment_link(invoice)
            except PaymentError as exc:
                if not quiet:
                    raise
                log.warning(
                    "invoice %s is issued, but its payment link could not be created (%s); "
                    "call invoices.add_payment_link(%r) to try again",
                    invoice.ref,
                    exc,
                    invoice.id,
                )
                continue
            self._run.faults.hit("after_provider_call")
            if link is not None:
                urls[invoice.id] = link.url
        if not urls:
            return list(invoices)

        def body(tx: Transaction, _: datetime) -> dict[str, Invoice]:
            current = tx.invoices.get_many(self._seller_id, list(urls), for_update=True)
            stored = {invoice.id: invoice for invoice in current}
            saves = []
            for invoice in current:
                if _needs_link(invoice):  # not if one was stored meanwhile, or it was voided
                    linked = attrs.evolve(
                        invoice, payment_link=urls[invoice.id], version=invoice.version + 1
                    )
                    saves.append(InvoiceSave(linked, invoice.version))
                    stored[invoice.id] = linked
            tx.invoices.save_many(saves)
            return stored

        call = calls.AddPaymentLinks(invoice_ids=tuple(urls))
        stored = self._run.write(self._seller_id, call, body)
        return [stored.get(invoice.id, invoice) for invoice in invoices]


def _needs_link(invoice: Invoice) -> bool:
    """True for an issued, not voided invoice without a link."""
    return invoice.payment_link is None and invoice.status not in {Status.DRAFT, Status.VOID}

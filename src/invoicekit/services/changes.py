"""One lifecycle command applied to one invoice in one transaction: what invoices and payments share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from invoicekit.domain import checks, lifecycle
from invoicekit.domain.invoice import Invoice
from invoicekit.errors import ConcurrencyError
from invoicekit.ports import Transaction
from invoicekit.services import calls
from invoicekit.services.unit import Runner

__all__ = ["InvoiceChanges"]


class InvoiceChanges:
    """Applies lifecycle commands to one seller's invoices; the internal interface payments use."""

    def __init__(self, runner: Runner, seller_id: str) -> None:
        self._run = runner
        self._seller_id = seller_id

    @property
    def seller_id(self) -> str:
        """The seller whose invoices these are."""
        return self._seller_id

    def get(self, invoice_id: str) -> Invoice:
        """The invoice. Raises NotFoundError (also for another seller's id)."""
        checks.refuse(checks.lookup("invoice_id", invoice_id), "query")
        with self._run.read() as tx:
            return tx.invoices.get(self._seller_id, invoice_id)

    def apply(
        self,
        call: calls.InvoiceCall,
        make: lifecycle.Command | Callable[[Transaction, Invoice], lifecycle.Command],
        *,
        expected_version: int | None = None,
        key: str | None = None,
    ) -> Invoice:
        """Apply one lifecycle command to ``call.invoice_id`` in one transaction (shared by payments)."""
        checks.refuse(checks.lookup("invoice_id", call.invoice_id), call.operation)

        def body(tx: Transaction, now: datetime) -> Invoice:
            inv = tx.invoices.get(self._seller_id, call.invoice_id, for_update=True)
            if expected_version is not None and inv.version != expected_version:
                raise ConcurrencyError(
                    f"invoice {inv.ref} is at version {inv.version}, not {expected_version}; reload it",
                    retryable=False,
                )
            command = make if isinstance(make, lifecycle.Command) else make(tx, inv)
            return self.apply_in(tx, inv, [command], now=now)

        return self._run.write(self._seller_id, call, body, Invoice, key=key)

    def apply_in(
        self,
        tx: Transaction,
        invoice: Invoice,
        commands: Sequence[lifecycle.Command],
        *,
        now: datetime,
    ) -> Invoice:
        """Apply ``commands`` in order to ``invoice`` (locked in ``tx``), save it once, write the events.

        The one place a lifecycle change is stored: ``apply`` and webhook intake both come
        here, so whatever follows a change in the same transaction covers both.
        """
        new, events = invoice, []
        for command in commands:
            new, more = lifecycle.apply(new, command, at=now)
            events.extend(more)
        if new is not invoice:
            tx.invoices.save(new, expected_version=invoice.version)
        self._run.changed(
            tx, new, events, now, before=str(invoice.status)
        )  # the outbox, receipts and payment notices
        return new

"""Payments on one seller's invoices: record, settle, fail, refund, pay with customer credit."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal

from invoicekit.domain import credit, lifecycle
from invoicekit.domain.invoice import Invoice, Payment
from invoicekit.errors import DuplicateError, InvoiceKitError
from invoicekit.ports import PaymentProvider, Transaction
from invoicekit.services import calls
from invoicekit.services.changes import InvoiceChanges
from invoicekit.services.credit import credit_holders, pay_with_credit
from invoicekit.services.refunds import refund_at_provider
from invoicekit.services.unit import Runner

__all__ = ["Payments"]


class Payments:
    """Money in and out for one seller's invoices; every call is one transaction."""

    def __init__(
        self,
        runner: Runner,
        invoices: InvoiceChanges,
        new_id: Callable[[str], str],
        providers: Mapping[str, PaymentProvider],
    ) -> None:
        self._run = runner
        self._invoices = invoices
        self._new_id = new_id
        self._providers = providers

    def record(
        self,
        invoice_id: str,
        amount: Decimal | str,
        *,
        pending: bool = False,
        method: str = "manual",
        reference: str | None = None,
        payment_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Invoice:
        """Record a payment; ``pending=True`` for money in flight. Overpayment becomes customer credit."""
        pid = payment_id or self._new_id("pay")
        command = lifecycle.RecordPayment(
            pid, amount, pending=pending, method=method, reference=reference
        )
        call = calls.RecordPayment(
            invoice_id=invoice_id,
            amount=amount,
            pending=pending,
            method=method,
            reference=reference,
            payment_id=payment_id,
        )
        return self._invoices.apply(call, command, key=idempotency_key)

    def settle(
        self, invoice_id: str, payment_id: str, *, idempotency_key: str | None = None
    ) -> Invoice:
        """A pending payment arrived."""
        call = calls.SettlePayment(invoice_id=invoice_id, payment_id=payment_id)
        return self._invoices.apply(call, lifecycle.SettlePayment(payment_id), key=idempotency_key)

    def fail(
        self, invoice_id: str, payment_id: str, *, reason: str, idempotency_key: str | None = None
    ) -> Invoice:
        """A pending payment did not settle; the balance stays open and the invoice shows failed."""
        call = calls.FailPayment(invoice_id=invoice_id, payment_id=payment_id, reason=reason)
        return self._invoices.apply(
            call, lifecycle.FailPayment(payment_id, reason), key=idempotency_key
        )

    def record_failure(
        self,
        invoice_id: str,
        *,
        reason: str,
        code: str | None = None,
        idempotency_key: str | None = None,
    ) -> Invoice:
        """A collection attempt failed (a declined card); the reason is kept on the invoice."""
        call = calls.FailCollection(invoice_id=invoice_id, reason=reason, code=code)
        return self._invoices.apply(
            call, lifecycle.FailCollection(reason, code), key=idempotency_key
        )

    def refund(
        self,
        invoice_id: str,
        payment_id: str,
        amount: Decimal | str,
        *,
        refund_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Invoice:
        """Give back part or all of a payment: customer credit held first, then the balance re-opens.

        A payment of a provider (its method is the provider's name) is refunded through that
        provider first, outside the transaction; if the provider fails, its PaymentError is
        raised and nothing is recorded. Other payments are refunded in the books only.
        """
        rid = refund_id or self._new_id("ref")
        command = lifecycle.RefundPayment(payment_id, rid, amount)
        seller_id = self._invoices.seller_id
        command = refund_at_provider(
            self._run,
            self._providers,
            seller_id,
            invoice_id,
            command,
            idempotency_key=idempotency_key,
        )
        call = calls.Refund(
            invoice_id=invoice_id, payment_id=payment_id, amount=amount, refund_id=refund_id
        )
        try:
            return self._invoices.apply(call, command, key=idempotency_key)
        except InvoiceKitError as exc:
            if command.provider_id is not None:
                exc.add_note(
                    f"the provider has paid this refund out as {command.provider_id!r}; call "
                    "again with the same idempotency_key or refund_id to record it once"
                )
            raise

    def apply_credit(
        self,
        invoice_id: str,
        amount: Decimal | str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Invoice:
        """Pay an invoice with customer credit held on the customer's other invoices.

        ``amount`` None applies all that fits. The credit must be in the invoice's currency;
        it is recorded as a payment with method ``credit`` and spent on its sources in the
        same transaction, exactly once. Raises PaymentNotAllowedError when nothing is due and
        ValidationError when the credit held or the amount due is less than ``amount``.
        """
        payment_id = self._new_id("pay")
        seller_id = self._invoices.seller_id

        def body(tx: Transaction, now: datetime) -> Invoice:
            target = tx.invoices.get(seller_id, invoice_id, for_update=True)
            if idempotency_key is not None and tx.idempotency.get(seller_id, idempotency_key):
                # The same key committed while we waited for the lock (PostgreSQL, READ
                # COMMITTED): the Runner retries this race and replays the first answer.
                raise DuplicateError(f"idempotency key {idempotency_key!r} was just used")
            return pay_with_credit(tx, self._run, target, amount, payment_id, now=now)

        call = calls.ApplyCredit(invoice_id=invoice_id, amount=amount)
        return self._run.write(seller_id, call, body, Invoice, key=idempotency_key)

    def credit_balance(self, customer_id: str) -> dict[str, Decimal]:
        """The customer credit a customer holds, per currency (none held: an empty dict)."""
        with self._run.read() as tx:
            tx.customers.get(self._invoices.seller_id, customer_id)
            return credit.held_by_currency(
                credit_holders(tx, self._invoices.seller_id, customer_id)
            )

    def list(self, invoice_id: str) -> builtins.list[Payment]:
        """The payments of one invoice, in the order they were recorded."""
        return list(self._invoices.get(invoice_id).payments)

"""Payments on one seller's invoices: record (settled or pending), settle, fail, refund, list."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from decimal import Decimal

from invoicekit.domain import lifecycle
from invoicekit.domain.invoice import Invoice, Payment
from invoicekit.ports import PaymentProvider
from invoicekit.services import calls
from invoicekit.services.invoices import Invoices
from invoicekit.services.unit import Runner

__all__ = ["Payments"]


class Payments:
    """Money in and out for one seller's invoices; every call is one transaction."""

    def __init__(
        self,
        runner: Runner,
        invoices: Invoices,
        new_id: Callable[[str], str],
        provider: PaymentProvider | None,
    ) -> None:
        self._run = runner
        self._invoices = invoices
        self._new_id = new_id
        self._provider = provider

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
        return self._invoices.change(call, command, key=idempotency_key)

    def settle(
        self, invoice_id: str, payment_id: str, *, idempotency_key: str | None = None
    ) -> Invoice:
        """A pending payment arrived."""
        call = calls.SettlePayment(invoice_id=invoice_id, payment_id=payment_id)
        return self._invoices.change(call, lifecycle.SettlePayment(payment_id), key=idempotency_key)

    def fail(
        self, invoice_id: str, payment_id: str, *, reason: str, idempotency_key: str | None = None
    ) -> Invoice:
        """A pending payment did not settle; the balance stays open and the invoice shows failed."""
        call = calls.FailPayment(invoice_id=invoice_id, payment_id=payment_id, reason=reason)
        return self._invoices.change(
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
        return self._invoices.change(
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
        """Give back part or all of a payment; the balance re-opens by that amount."""
        rid = refund_id or self._new_id("ref")
        command = lifecycle.RefundPayment(payment_id, rid, amount)
        call = calls.Refund(
            invoice_id=invoice_id, payment_id=payment_id, amount=amount, refund_id=refund_id
        )
        return self._invoices.change(call, command, key=idempotency_key)

    def list(self, invoice_id: str) -> builtins.list[Payment]:
        """The payments of one invoice, in the order they were recorded."""
        return list(self._invoices.get(invoice_id).payments)

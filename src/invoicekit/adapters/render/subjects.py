"""What a document is about besides the invoice: a receipt's payment, a credit note, a refund, a failure.

Each kind's context is checked here, before anything is rendered, so a document
never shows another payment's figures or a missing one as blank.
"""

from __future__ import annotations

from invoicekit.domain.invoice import CollectionFailure, CreditNote, Invoice, Payment, Refund
from invoicekit.errors import NotFoundError, ValidationError, problem
from invoicekit.ports import DOCUMENT_KINDS, DocumentContext

__all__ = ["Subject", "check_subject", "failure_in", "refunded_payment", "refuse"]

#: What a document can be about besides the invoice itself.
Subject = Payment | CreditNote | Refund | None


def refuse(path: str, message: str, value: object = None) -> ValidationError:
    """A ValidationError about the document's ``path``."""
    args = () if value is None else (value,)
    return ValidationError([problem(path, message, *args)], subject="document")


def _payment(invoice: Invoice, payment_id: str) -> Payment:
    try:
        return invoice.payment(payment_id)
    except NotFoundError:
        ids = ", ".join(p.id for p in invoice.payments) or "none"
        raise refuse(
            "context.payment_id",
            f"invoice {invoice.ref} has no such payment; its payments: {ids}",
            payment_id,
        ) from None


def refunded_payment(invoice: Invoice, refund_id: str) -> tuple[Payment, Refund]:
    """The payment a refund gave money back from, and the refund; ValidationError if none."""
    for payment in invoice.payments:
        for refund in payment.refunds:
            if refund.id == refund_id:
                return payment, refund
    ids = ", ".join(r.id for p in invoice.payments for r in p.refunds) or "none"
    raise refuse(
        "context.refund_id",
        f"invoice {invoice.ref} has no such refund; its refunds: {ids}",
        refund_id,
    )


def failure_in(invoice: Invoice, ctx: DocumentContext) -> CollectionFailure | None:
    """The failed attempt a ``payment_failed`` document is about: the context's, else the latest."""
    if ctx.failure is not None:
        return ctx.failure
    return invoice.failures[-1] if invoice.failures else None


def _credit_note(invoice: Invoice, ctx: DocumentContext) -> CreditNote:
    note = ctx.credit_note
    if note is None:
        raise refuse(
            "context.credit_note", "a credit note document needs DocumentContext(credit_note=...)"
        )
    if note.invoice_id != invoice.id:
        raise refuse(
            "context.credit_note",
            f"credit note {note.number} corrects invoice {note.invoice_number}, not {invoice.ref}",
            note.number,
        )
    return note


def check_subject(kind: str, invoice: Invoice, ctx: DocumentContext) -> Subject:
    """What ``kind`` is about (a payment, a credit note, a refund), after checking the context has it."""
    if kind not in DOCUMENT_KINDS:
        raise refuse("kind", f"unknown document kind; allowed: {', '.join(DOCUMENT_KINDS)}", kind)
    if invoice.number is None or invoice.seller is None or invoice.customer is None:
        raise refuse("invoice", f"invoice {invoice.ref} is a draft: issue it first, then render it")
    if kind == "receipt":
        if ctx.payment_id is None:
            raise refuse("context.payment_id", "a receipt needs DocumentContext(payment_id=...)")
        return _payment(invoice, ctx.payment_id)
    if kind == "refund":
        if ctx.refund_id is None:
            raise refuse("context.refund_id", "a refund needs DocumentContext(refund_id=...)")
        return refunded_payment(invoice, ctx.refund_id)[1]
    if kind == "payment_failed" and ctx.payment_id is not None:
        return _payment(invoice, ctx.payment_id)
    if kind == "credit_note":
        return _credit_note(invoice, ctx)
    return None

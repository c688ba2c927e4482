"""The invoice statuses and the actions that move between them (the table is in lifecycle.py)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Action", "PaymentStatus", "Status"]


class Status(StrEnum):
    """Where an invoice stands."""

    #: Being edited; has no number yet.
    DRAFT = "draft"
    #: Issued and awaiting payment (Stripe calls it open).
    PENDING = "pending"
    #: Part of the amount was paid and the due date has not passed.
    PARTIALLY_PAID = "partially_paid"
    #: Nothing is left to pay.
    PAID = "paid"
    #: The due date passed with a balance left.
    OVERDUE = "overdue"
    #: The last collection attempt failed; the error is kept.
    FAILED = "failed"
    #: Cancelled before any payment; final, and its number stays used.
    VOID = "void"
    #: Written off; a later payment is still accepted.
    UNCOLLECTIBLE = "uncollectible"


class Action(StrEnum):
    """Everything that can be done to an invoice; each is one row group of the lifecycle table."""

    #: Change a draft's lines, customer, terms or memo.
    EDIT = "edit"
    #: Delete a draft (it never had a number).
    DELETE = "delete"
    #: Number, freeze and open the invoice for payment.
    ISSUE = "issue"
    #: Record that the invoice was handed to a channel.
    SEND = "send"
    #: Record a payment, settled at once or pending.
    RECORD_PAYMENT = "record_payment"
    #: A pending payment settled.
    SETTLE_PAYMENT = "settle_payment"
    #: A pending payment failed to settle.
    FAIL_PAYMENT = "fail_payment"
    #: A collection attempt (charging a saved method) failed.
    FAIL_COLLECTION = "fail_collection"
    #: Give back part or all of a payment.
    REFUND = "refund"
    #: The due date passed with a balance.
    MARK_OVERDUE = "mark_overdue"
    #: Cancel an issued invoice that has no payments.
    VOID = "void"
    #: Write the balance off as uncollectible.
    WRITE_OFF = "write_off"
    #: Issue a credit note against the invoice.
    CREDIT = "credit"
    #: Let customer credit held on the invoice pay another invoice of the customer.
    APPLY_CREDIT = "apply_credit"
    #: The payer disputed a payment (a chargeback): the amount counts as not received.
    DISPUTE = "dispute"
    #: A dispute was decided: won, the money counts again; lost, it is gone for good.
    RESOLVE_DISPUTE = "resolve_dispute"


class PaymentStatus(StrEnum):
    """Where one payment stands."""

    #: In flight (bank debit, SEPA, ACH): not yet counted as paid.
    PENDING = "pending"
    #: Received and allocated.
    SUCCEEDED = "succeeded"
    #: Did not settle.
    FAILED = "failed"

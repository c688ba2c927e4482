"""The executor's re-check of a planned step against the invoice as it is now, locked.

Split from :mod:`invoicekit.domain.planning` (which re-exports ``why_not`` and
``still_applies``): the planner proposes from a snapshot; this decides, inside the
transaction that performs the step, whether it still applies (T15, T26).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from invoicekit.domain.due_steps import (
    AddLateFee,
    ChargeInvoice,
    InvoiceStep,
    MarkOverdueStep,
    RetryCollection,
    SendReminder,
)
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.overdue import (
    CHASED,
    SkipReason,
    closed_reason,
    fully_credited,
    is_overdue,
)
from invoicekit.domain.reminding import below_minimum
from invoicekit.domain.status import Status

__all__ = ["still_applies", "why_not"]


def why_not(
    step: InvoiceStep, invoice_now: Invoice, *, minimum: Mapping[str, Decimal] | None = None
) -> str | None:
    """Why ``step`` no longer applies to the invoice as it is now (locked), or None if it does.

    The executor calls this inside the transaction that performs the step (T15, T26).
    """
    closed = closed_reason(invoice_now.status, invoice_now.amount_due, fully_credited(invoice_now))
    if closed is not None or invoice_now.status not in CHASED:
        return str(closed or invoice_now.status.value)
    if isinstance(step, MarkOverdueStep):
        return _overdue_changed(step, invoice_now)
    if invoice_now.in_flight > 0:
        return SkipReason.IN_FLIGHT.value
    if isinstance(step, RetryCollection):
        return None if len(invoice_now.failures) == step.attempt else "attempts changed"
    if isinstance(step, ChargeInvoice):
        return None
    return _chase_changed(step, invoice_now, minimum)


def _chase_changed(
    step: SendReminder | AddLateFee, invoice_now: Invoice, minimum: Mapping[str, Decimal] | None
) -> str | None:
    if minimum is not None and below_minimum(minimum, invoice_now.amount_due, invoice_now.currency):
        return SkipReason.BELOW_MINIMUM.value
    if isinstance(step, AddLateFee) and step.currency != invoice_now.currency:
        return SkipReason.CURRENCY_MISMATCH.value
    return None


def _overdue_changed(step: MarkOverdueStep, invoice_now: Invoice) -> str | None:
    if invoice_now.status is Status.OVERDUE:
        return "already overdue"
    if invoice_now.in_flight > 0:
        return SkipReason.IN_FLIGHT.value
    zone = invoice_now.seller.timezone if invoice_now.seller else "UTC"
    return None if is_overdue(invoice_now, step.at, zone) else "not past due"


def still_applies(
    step: InvoiceStep, invoice_now: Invoice, *, minimum: Mapping[str, Decimal] | None = None
) -> bool:
    """Whether ``step`` still applies to the locked invoice (``why_not`` gives the reason)."""
    return why_not(step, invoice_now, minimum=minimum) is None

"""What happens to an invoice's money: payments, their refunds and disputes, credit applied.

Split from :mod:`invoicekit.domain.invoice` (which re-exports these names): the
immutable values an invoice records as it is paid, collected, refunded, disputed
or credited; only ``lifecycle.py`` creates or changes them on an invoice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Final

import attrs

from invoicekit.domain.status import PaymentStatus

__all__ = [
    "CollectionFailure",
    "CreditApplication",
    "CreditTransfer",
    "Dispute",
    "Payment",
    "Refund",
]

_ZERO: Final = Decimal(0)


@attrs.frozen
class Refund:
    """Money given back against one payment."""

    id: str
    amount: Decimal
    at: datetime
    #: The part that gave back customer credit held on the invoice; only the rest re-opened
    #: the balance.
    from_credit: Decimal = _ZERO
    #: The payment provider's id of the refund, when the provider paid it out.
    provider_id: str | None = None


@attrs.frozen
class Dispute:
    """A payer's dispute (chargeback) of part of a payment; open until won or lost."""

    id: str
    amount: Decimal
    at: datetime
    #: The part that re-opened the balance while the dispute is open or lost.
    reopened: Decimal
    reason: str | None = None
    #: None while open; "won" (the money counts again) or "lost" (it is gone for good).
    outcome: str | None = None
    resolved_at: datetime | None = None

    @property
    def holds(self) -> Decimal:
        """What this dispute takes off the payment's allocation: nothing once won."""
        return _ZERO if self.outcome == "won" else self.reopened


@attrs.frozen
class Payment:
    """One payment towards an invoice; once settled, ``allocated + customer_credit == amount``."""

    id: str
    amount: Decimal
    status: PaymentStatus
    at: datetime
    method: str = "manual"
    reference: str | None = None
    #: The part that reduced this invoice's balance.
    allocated: Decimal = _ZERO
    #: The part beyond the balance, which became customer credit.
    customer_credit: Decimal = _ZERO
    refunds: tuple[Refund, ...] = ()
    failure_reason: str | None = None
    disputes: tuple[Dispute, ...] = ()

    @property
    def refunded(self) -> Decimal:
        """Sum of the refunds against this payment."""
        return sum((r.amount for r in self.refunds), _ZERO)

    @property
    def net_allocated(self) -> Decimal:
        """What this payment still pays: allocated minus refunds and open or lost disputes."""
        refunded = sum((r.amount - r.from_credit for r in self.refunds), _ZERO)
        return self.allocated - refunded - sum((d.holds for d in self.disputes), _ZERO)

    def dispute(self, dispute_id: str) -> Dispute | None:
        """The dispute ``dispute_id`` of this payment, or None."""
        return next((d for d in self.disputes if d.id == dispute_id), None)


@attrs.frozen
class CollectionFailure:
    """A failed attempt to collect payment, kept so support can see why."""

    at: datetime
    reason: str
    code: str | None = None


@attrs.frozen
class CreditApplication:
    """A credit note as it applies to the invoice it corrects."""

    credit_note_id: str
    number: str
    #: The credit note's payable amount.
    amount: Decimal
    #: The part that reduced the invoice's balance.
    allocated: Decimal
    #: The rest, which became customer credit.
    customer_credit: Decimal
    at: datetime


@attrs.frozen
class CreditTransfer:
    """Customer credit held on this invoice that paid another invoice of the customer."""

    #: The id of the ``credit`` payment it became on the other invoice.
    payment_id: str
    invoice_id: str
    number: str
    amount: Decimal
    at: datetime

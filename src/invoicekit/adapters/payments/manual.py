"""Payment by bank transfer: no hosted page, the invoice carries the seller's account details.

``ManualPayments`` is the PaymentProvider for sellers who are paid into their bank
account. It refuses to issue an invoice whose seller has no bank account (the
customer would have no way to pay), gives the renderer the transfer details with
the invoice number as reference and, for EUR, the EPC QR payload, and records
refunds that someone has to pay out by hand.
"""

from __future__ import annotations

import hashlib
import threading
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import attrs

from invoicekit.adapters.epc import epc_payload
from invoicekit.errors import PaymentError, ValidationError, problem

if TYPE_CHECKING:
    from invoicekit.domain.invoice import Invoice
    from invoicekit.domain.parties import BankAccount
    from invoicekit.ports import PaymentLink

__all__ = ["BankTransferInstructions", "ManualPayments", "ManualRefund"]

_NAME: Final = "manual"


@attrs.frozen
class BankTransferInstructions:
    """What a customer needs to pay an invoice by transfer, as printed on its first screen."""

    #: The account holder: the account's holder, else the seller's legal name, else its name.
    holder: str
    iban: str
    #: The IBAN in groups of four, as people read and type it.
    display_iban: str
    bic: str | None
    #: The payment reference: the invoice number (None for a draft, which has none yet).
    reference: str | None
    amount: Decimal
    currency: str
    #: The EPC QR payload for EUR invoices with something due, else None.
    epc_payload: str | None = None


@attrs.frozen
class ManualRefund:
    """A refund recorded for someone to pay out by bank transfer."""

    id: str
    key: str
    seller_id: str
    invoice_id: str
    #: The invoice number, for the transfer's reference.
    reference: str | None
    payment_id: str
    amount: Decimal
    currency: str


def _bank_account(invoice: Invoice) -> tuple[BankAccount, str]:
    """The seller snapshot's account and holder name; PaymentError (not retryable) when absent."""
    seller = invoice.seller
    if seller is None or seller.bank_account is None:
        seller_id = seller.id if seller is not None else invoice.seller_id
        raise PaymentError(
            f"cannot take payment by bank transfer for invoice {invoice.id!r}: seller "
            f"{seller_id!r} has no bank account to print on it; set Seller.bank_account, e.g. "
            f"billing.sellers.update({seller_id!r}, bank_account=BankAccount(iban=...)) "
            "with BankAccount from invoicekit.domain.parties, then issue again",
            provider=_NAME,
            code="no_bank_account",
            retryable=False,
        )
    account = seller.bank_account
    return account, account.holder or seller.legal_name or seller.name


class ManualPayments:
    """PaymentProvider for bank transfer: no link, details from the seller, refunds paid by hand.

    Thread-safe; refunds are kept in memory (``refunds``) for the host to pay out and
    are idempotent by key.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refunds: dict[str, ManualRefund] = {}

    def __repr__(self) -> str:
        return f"ManualPayments(refunds={len(self._refunds)})"

    @property
    def name(self) -> str:
        """Always "manual"."""
        return _NAME

    def check_issue(self, invoice: Invoice) -> None:
        """Refuse to issue without a bank account to print (the IssueCheck of the port).

        Raises PaymentError (``retryable=False``, code ``no_bank_account``) when the
        seller snapshot has no bank account, so issuing fails before a number is used.
        """
        _bank_account(invoice)

    def payment_link(self, invoice: Invoice) -> PaymentLink | None:
        """None: a bank transfer has no hosted page; the invoice prints the seller's account.

        Raises PaymentError (``no_bank_account``) like ``check_issue``.
        """
        _bank_account(invoice)
        return None

    def instructions(self, invoice: Invoice) -> BankTransferInstructions:
        """The transfer details for ``invoice``: account, reference, amount due, EPC payload.

        Raises PaymentError when the seller snapshot has no bank account (a draft has no
        snapshot yet, so issue it first).
        """
        account, holder = _bank_account(invoice)
        return BankTransferInstructions(
            holder=holder,
            iban=account.iban,
            display_iban=account.display_iban,
            bic=account.bic,
            reference=invoice.number,
            amount=invoice.amount_due,
            currency=invoice.currency,
            epc_payload=epc_payload(invoice),
        )

    def refund(self, invoice: Invoice, payment_id: str, amount: Decimal, *, key: str) -> str:
        """Record a refund to pay out by hand; returns an id derived from ``key``.

        The same key returns the same id and records nothing new. Raises ValidationError
        for an amount that is not a positive Decimal or an empty key, and PaymentError
        when ``key`` was used for another refund.
        """
        found = []
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
            found.append(problem("amount", "must be a positive Decimal", amount))
        if not isinstance(key, str) or not key:
            found.append(problem("key", "must be a non-empty string", key))
        if found:
            raise ValidationError(found, subject="refund")
        refund_id = "manual_rf_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
        record = ManualRefund(
            id=refund_id,
            key=key,
            seller_id=invoice.seller_id,
            invoice_id=invoice.id,
            reference=invoice.number,
            payment_id=payment_id,
            amount=amount,
            currency=invoice.currency,
        )
        with self._lock:
            known = self._refunds.get(key)
            if known is None:
                self._refunds[key] = record
            elif known != record:
                raise PaymentError(
                    f"refund key {key!r} was already used for another refund "
                    f"({known.amount} {known.currency} of payment {known.payment_id!r} "
                    f"on invoice {known.invoice_id!r}); use a new key for a new refund",
                    provider=_NAME,
                    code="idempotency_conflict",
                    retryable=False,
                )
        return refund_id

    @property
    def refunds(self) -> tuple[ManualRefund, ...]:
        """Refunds recorded so far, in the order they were first asked for."""
        with self._lock:
            return tuple(self._refunds.values())

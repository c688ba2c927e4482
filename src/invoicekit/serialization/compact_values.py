"""Format 2 of stored documents, the writing half for settings, parties and payments.

A seller, a customer (also as snapshotted on an invoice), rounding policies, payment
terms and the payments, credits and failures recorded on an invoice, each a compact
dict with its defaults left out. compact.py writes the documents that hold them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from invoicekit.domain.invoice import (
    CollectionFailure,
    CreditApplication,
    CreditTransfer,
    Dispute,
    Payment,
    Refund,
)
from invoicekit.domain.numbering import Reset, Series, default_series
from invoicekit.domain.parties import Address, BankAccount, Contact, Customer, Seller
from invoicekit.domain.policy import PriceMode, RoundingPolicy, TaxRounding
from invoicekit.domain.status import PaymentStatus
from invoicekit.domain.terms import EndOfMonth, FixedDate, NetDays, PaymentTerms
from invoicekit.domain.usage import DEFAULT_USAGE_GRACE
from invoicekit.money import Rounding
from invoicekit.serialization.collection_values import method_document
from invoicekit.serialization.dunning_values import dunning_document

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_SERIES",
    "DEFAULT_TERMS",
    "credit_document",
    "customer_document",
    "differs",
    "failure_document",
    "fields",
    "payment_document",
    "policy_document",
    "seconds_from",
    "seconds_text",
    "seller_document",
    "terms_document",
    "transfer_document",
]

#: Defaults left out of documents, shared (they are immutable) by the reading half.
DEFAULT_POLICY: Final = RoundingPolicy()
DEFAULT_SERIES: Final = default_series()
DEFAULT_TERMS: Final = NetDays(30)
_EXCLUSIVE: Final = PriceMode.EXCLUSIVE
_SUCCEEDED: Final = PaymentStatus.SUCCEEDED
_NOTHING: Final = "0"


def differs(value: object, default: object) -> bool:
    """Not the default: identity first (what a trusted load shares), then equality."""
    return value is not default and value != default


def policy_document(policy: RoundingPolicy) -> dict[str, Any]:
    """A rounding policy, defaults left out (``{}`` is ``RoundingPolicy()``)."""
    out: dict[str, Any] = {}
    if policy.tax_rounding is not TaxRounding.PER_CATEGORY:
        out["tax_rounding"] = policy.tax_rounding.value
    if policy.mode is not Rounding.HALF_UP:
        out["mode"] = policy.mode.value
    if policy.cash_increments:
        out["cash_increments"] = {k: str(v) for k, v in policy.cash_increments.items()}
    return out


def terms_document(terms: PaymentTerms) -> dict[str, Any]:
    """``{"net_days": 30}``, ``{"fixed_date": "2026-03-31"}`` or ``{"end_of_month": 10}``."""
    if isinstance(terms, NetDays):
        return {"net_days": terms.days}
    if isinstance(terms, FixedDate):
        return {"fixed_date": terms.on.isoformat()}
    if isinstance(terms, EndOfMonth):
        return {"end_of_month": terms.days}
    raise TypeError(
        f"payment terms {terms!r} cannot be stored: use NetDays, FixedDate or EndOfMonth"
    )


def _series(series: Series) -> list[str]:
    out = [series.name, series.format.pattern]
    if series.format.reset is not Reset.YEARLY:
        out.append(series.format.reset.value)
    return out


def fields(value: object, names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of ``value`` that are not None."""
    out: dict[str, Any] = {}
    for name in names:
        item = getattr(value, name)
        if item is not None:
            out[name] = item
    return out


_ADDRESS: Final = ("country", "line1", "line2", "city", "postal_code", "region")
_CONTACT: Final = ("name", "phone", "email")
_SELLER_TEXT: Final = ("tax_id", "legal_name", "email", "phone", "registration_id")
_CUSTOMER_TEXT: Final = (
    "email",
    "phone",
    "tax_id",
    "locale",
    "timezone",
    "webhook_url",
    "registration_id",
)


def _address(address: Address) -> dict[str, Any]:
    return fields(address, _ADDRESS)


def _bank(account: BankAccount) -> dict[str, Any]:
    return fields(account, ("iban", "bic", "holder"))


def _contact(contact: Contact) -> dict[str, Any]:
    return fields(contact, _CONTACT)


def _party_extras(out: dict[str, Any], party: Seller | Customer) -> None:
    """The fields Seller and Customer share: address, metadata, e-invoicing ids."""
    if party.address is not None:
        out["address"] = _address(party.address)
    if party.metadata:
        out["metadata"] = dict(party.metadata)
    if party.electronic_address is not None:
        out["electronic_address"] = [party.electronic_address.scheme, party.electronic_address.id]
    if party.contact is not None:
        out["contact"] = _contact(party.contact)


def _seller_settings(out: dict[str, Any], seller: Seller) -> None:
    """The seller's flags and automation settings that differ from their defaults."""
    if seller.send_on_issue:
        out["send_on_issue"] = True
    if seller.apply_credit_at_issue:
        out["apply_credit_at_issue"] = True
    if seller.reminder_minimum:
        out["reminder_minimum"] = {k: str(v) for k, v in seller.reminder_minimum.items()}
    if not seller.send_receipts:
        out["send_receipts"] = False
    if seller.payment_provider is not None:
        out["payment_provider"] = seller.payment_provider
    if seller.dunning is not None:
        out["dunning"] = dunning_document(seller.dunning)
    if seller.collection != "send_invoice":
        out["collection"] = seller.collection
    if seller.collect_on != "on_issue":
        out["collect_on"] = seller.collect_on
    if seller.usage_grace != DEFAULT_USAGE_GRACE:
        out["usage_grace"] = seconds_text(seller.usage_grace)
    if seller.subscription_on_dunning_end != "canceled":
        out["subscription_on_dunning_end"] = seller.subscription_on_dunning_end


def seconds_text(span: timedelta) -> str:
    """A non-negative duration as its seconds in decimal text ("3600", "1.5"): exact, no float."""
    whole, micro = divmod(span // timedelta(microseconds=1), 1_000_000)
    return str(whole) if not micro else f"{whole}.{micro:06d}".rstrip("0")


def seconds_from(text: str) -> timedelta:
    """The duration ``seconds_text`` wrote."""
    whole, _, fraction = text.partition(".")
    return timedelta(seconds=int(whole), microseconds=int(fraction.ljust(6, "0") or 0))


def seller_document(seller: Seller) -> dict[str, Any]:
    """A seller (also as snapshotted on an invoice), defaults left out."""
    out: dict[str, Any] = {
        "id": seller.id,
        "name": seller.name,
        "country": seller.country,
        "currency": seller.currency,
    }
    if seller.timezone != "UTC":
        out["timezone"] = seller.timezone
    if seller.locale != "en":
        out["locale"] = seller.locale
    out.update(fields(seller, _SELLER_TEXT))
    _party_extras(out, seller)
    if differs(seller.rounding, DEFAULT_POLICY):
        out["rounding"] = policy_document(seller.rounding)
    if seller.prices is not _EXCLUSIVE:
        out["prices"] = seller.prices.value
    if differs(seller.terms, DEFAULT_TERMS):
        out["terms"] = terms_document(seller.terms)
    if differs(seller.series, DEFAULT_SERIES):
        out["series"] = [_series(s) for s in seller.series]
    if seller.bank_account is not None:
        out["bank_account"] = _bank(seller.bank_account)
    _seller_settings(out, seller)
    return out


def customer_document(customer: Customer) -> dict[str, Any]:
    """A customer (also as snapshotted on an invoice), defaults left out."""
    out: dict[str, Any] = {
        "id": customer.id,
        "seller_id": customer.seller_id,
        "name": customer.name,
    }
    out.update(fields(customer, _CUSTOMER_TEXT))
    _party_extras(out, customer)
    if customer.channels != ("email",):
        out["channels"] = list(customer.channels)
    if customer.fallback:
        out["fallback"] = list(customer.fallback)
    if customer.archived:
        out["archived"] = True
    if customer.dunning is not None:
        out["dunning"] = dunning_document(customer.dunning)
    if customer.payment_method is not None:
        out["payment_method"] = method_document(customer.payment_method)
    return out


# --------------------------------------------------------------------------- payments


def _refund(refund: Refund) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": refund.id,
        "amount": str(refund.amount),
        "at": refund.at.isoformat(),
    }
    if str(refund.from_credit) != _NOTHING:
        out["from_credit"] = str(refund.from_credit)
    if refund.provider_id is not None:
        out["provider_id"] = refund.provider_id
    return out


def payment_document(payment: Payment) -> dict[str, Any]:
    """A payment (its refunds inside), defaults left out."""
    out: dict[str, Any] = {
        "id": payment.id,
        "amount": str(payment.amount),
        "at": payment.at.isoformat(),
    }
    if payment.status is not _SUCCEEDED:
        out["status"] = payment.status.value
    if payment.method != "manual":
        out["method"] = payment.method
    if payment.reference is not None:
        out["reference"] = payment.reference
    if str(payment.allocated) != _NOTHING:
        out["allocated"] = str(payment.allocated)
    if str(payment.customer_credit) != _NOTHING:
        out["customer_credit"] = str(payment.customer_credit)
    if payment.refunds:
        out["refunds"] = [_refund(r) for r in payment.refunds]
    if payment.failure_reason is not None:
        out["failure_reason"] = payment.failure_reason
    if payment.disputes:
        out["disputes"] = [_dispute(d) for d in payment.disputes]
    return out


def _dispute(dispute: Dispute) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": dispute.id,
        "amount": str(dispute.amount),
        "at": dispute.at.isoformat(),
        "reopened": str(dispute.reopened),
    }
    if dispute.reason is not None:
        out["reason"] = dispute.reason
    if dispute.outcome is not None:
        out["outcome"] = dispute.outcome
    if dispute.resolved_at is not None:
        out["resolved_at"] = dispute.resolved_at.isoformat()
    return out


def credit_document(credit: CreditApplication) -> dict[str, Any]:
    """A credit note as applied to the invoice."""
    return {
        "credit_note_id": credit.credit_note_id,
        "number": credit.number,
        "amount": str(credit.amount),
        "allocated": str(credit.allocated),
        "customer_credit": str(credit.customer_credit),
        "at": credit.at.isoformat(),
    }


def transfer_document(transfer: CreditTransfer) -> dict[str, Any]:
    """Customer credit of the invoice that paid another invoice."""
    return {
        "payment_id": transfer.payment_id,
        "invoice_id": transfer.invoice_id,
        "number": transfer.number,
        "amount": str(transfer.amount),
        "at": transfer.at.isoformat(),
    }


def failure_document(failure: CollectionFailure) -> dict[str, Any]:
    """A failed collection attempt."""
    out: dict[str, Any] = {"at": failure.at.isoformat(), "reason": failure.reason}
    if failure.code is not None:
        out["code"] = failure.code
    return out

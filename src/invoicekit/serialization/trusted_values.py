"""Format 2 of stored documents, the reading half for settings, parties and payments.

Built by unchecked constructors (builders.py), as trusted.py explains; numbering series
by their own constructor, once per distinct set (cached). compact_values.py is the
writing half.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from invoicekit.domain.frozen import FrozenMapping
from invoicekit.domain.invoice import (
    CollectionFailure,
    CreditApplication,
    CreditTransfer,
    Dispute,
    Payment,
    Refund,
)
from invoicekit.domain.numbering import Reset, Series
from invoicekit.domain.parties import (
    Address,
    BankAccount,
    Contact,
    Customer,
    ElectronicAddress,
    Seller,
)
from invoicekit.domain.policy import PriceMode, RoundingPolicy, TaxRounding
from invoicekit.domain.status import PaymentStatus
from invoicekit.domain.terms import EndOfMonth, FixedDate, NetDays, PaymentTerms
from invoicekit.domain.usage import DEFAULT_USAGE_GRACE
from invoicekit.money import Rounding
from invoicekit.serialization.builders import unchecked
from invoicekit.serialization.collection_values import method_from
from invoicekit.serialization.compact_values import (
    DEFAULT_POLICY,
    DEFAULT_SERIES,
    DEFAULT_TERMS,
    seconds_from,
)
from invoicekit.serialization.dunning_values import dunning_from

__all__ = [
    "PRICES",
    "credit",
    "customer",
    "failure",
    "metadata",
    "payment",
    "policy",
    "seller",
    "terms",
    "transfer",
]

_D: Final = Decimal
_day: Final = date.fromisoformat
_time: Final = datetime.fromisoformat
_NOTHING: Final = Decimal(0)
_EMPTY: Final = FrozenMapping()
_PAYMENT_STATUS: Final = {s.value: s for s in PaymentStatus}
#: Price modes by their stored value.
PRICES: Final = {p.value: p for p in PriceMode}
_CACHE_LIMIT: Final = 1024
_SERIES: dict[tuple[tuple[str, ...], ...], tuple[Series, ...]] = {}


_new_policy: Final = unchecked(RoundingPolicy)
_new_net_days: Final = unchecked(NetDays)
_new_end_of_month: Final = unchecked(EndOfMonth)
_new_fixed_date: Final = unchecked(FixedDate)
_new_address: Final = unchecked(Address)
_new_bank: Final = unchecked(BankAccount)
_new_contact: Final = unchecked(Contact)
_new_endpoint: Final = unchecked(ElectronicAddress)
_new_seller: Final = unchecked(Seller)
_new_customer: Final = unchecked(Customer)


def policy(data: dict[str, Any]) -> RoundingPolicy:
    """The rounding policy written by ``compact_values.policy_document``."""
    if not data:
        return DEFAULT_POLICY
    increments = data.get("cash_increments")
    return _new_policy(
        tax_rounding=TaxRounding(data.get("tax_rounding", "per_category")),
        mode=Rounding(data.get("mode", "half_up")),
        cash_increments=FrozenMapping({k: _D(v) for k, v in increments.items()})
        if increments
        else _EMPTY,
    )


def terms(data: dict[str, Any]) -> PaymentTerms:
    """The payment terms written by ``compact_values.terms_document``."""
    [(kind, value)] = data.items()
    if kind == "net_days":
        return _new_net_days(days=value)
    if kind == "end_of_month":
        return _new_end_of_month(days=value)
    if kind == "fixed_date":
        return _new_fixed_date(on=_day(value))
    raise ValueError(f"unknown payment terms {kind!r}")


def _series(rows: list[list[str]]) -> tuple[Series, ...]:
    key = tuple(tuple(row) for row in rows)
    found = _SERIES.get(key)
    if found is None:
        if len(_SERIES) >= _CACHE_LIMIT:
            _SERIES.clear()
        found = _SERIES[key] = tuple(
            Series.of(row[0], row[1], Reset(row[2]) if len(row) > 2 else Reset.YEARLY)  # noqa: PLR2004
            for row in rows
        )
    return found


def _address(data: dict[str, Any] | None) -> Address | None:
    if data is None:
        return None
    get = data.get
    return _new_address(
        country=data["country"],
        line1=get("line1"),
        line2=get("line2"),
        city=get("city"),
        postal_code=get("postal_code"),
        region=get("region"),
    )


def _bank(data: dict[str, Any] | None) -> BankAccount | None:
    if data is None:
        return None
    return _new_bank(iban=data["iban"], bic=data.get("bic"), holder=data.get("holder"))


def _contact(data: dict[str, Any] | None) -> Contact | None:
    if data is None:
        return None
    return _new_contact(name=data.get("name"), phone=data.get("phone"), email=data.get("email"))


def _endpoint(pair: list[str] | None) -> ElectronicAddress | None:
    return None if pair is None else _new_endpoint(scheme=pair[0], id=pair[1])


def metadata(data: dict[str, Any] | None) -> FrozenMapping:
    """Metadata as stored (none: the shared empty mapping)."""
    return _EMPTY if data is None else FrozenMapping(data)


def seller(data: dict[str, Any]) -> Seller:
    """The seller written by ``compact_values.seller_document``."""
    get = data.get
    rounding, prices, terms_data = get("rounding"), get("prices"), get("terms")
    series, minimum = get("series"), get("reminder_minimum")
    grace = get("usage_grace")
    return _new_seller(
        id=data["id"],
        name=data["name"],
        country=data["country"],
        currency=data["currency"],
        timezone=get("timezone", "UTC"),
        locale=get("locale", "en"),
        tax_id=get("tax_id"),
        legal_name=get("legal_name"),
        address=_address(get("address")),
        email=get("email"),
        phone=get("phone"),
        rounding=DEFAULT_POLICY if rounding is None else policy(rounding),
        prices=PriceMode.EXCLUSIVE if prices is None else PRICES[prices],
        terms=DEFAULT_TERMS if terms_data is None else terms(terms_data),
        series=DEFAULT_SERIES if series is None else _series(series),
        metadata=metadata(get("metadata")),
        bank_account=_bank(get("bank_account")),
        send_on_issue=get("send_on_issue", False),
        apply_credit_at_issue=get("apply_credit_at_issue", False),
        send_receipts=get("send_receipts", True),
        payment_provider=get("payment_provider"),
        dunning=dunning_from(get("dunning")),
        collection=get("collection", "send_invoice"),
        collect_on=get("collect_on", "on_issue"),
        usage_grace=DEFAULT_USAGE_GRACE if grace is None else seconds_from(grace),
        subscription_on_dunning_end=get("subscription_on_dunning_end", "canceled"),
        reminder_minimum=_EMPTY
        if minimum is None
        else FrozenMapping({k: _D(v) for k, v in minimum.items()}),
        electronic_address=_endpoint(get("electronic_address")),
        registration_id=get("registration_id"),
        contact=_contact(get("contact")),
    )


def customer(data: dict[str, Any]) -> Customer:
    """The customer written by ``compact_values.customer_document``."""
    get = data.get
    return _new_customer(
        id=data["id"],
        seller_id=data["seller_id"],
        name=data["name"],
        email=get("email"),
        phone=get("phone"),
        address=_address(get("address")),
        tax_id=get("tax_id"),
        locale=get("locale"),
        timezone=get("timezone"),
        channels=tuple(get("channels", ("email",))),
        fallback=tuple(get("fallback", ())),
        webhook_url=get("webhook_url"),
        metadata=metadata(get("metadata")),
        archived=get("archived", False),
        electronic_address=_endpoint(get("electronic_address")),
        registration_id=get("registration_id"),
        contact=_contact(get("contact")),
        dunning=dunning_from(get("dunning")),
        payment_method=method_from(get("payment_method")),
    )


# --------------------------------------------------------------------------- payments

_new_refund: Final = unchecked(Refund)
_new_payment: Final = unchecked(Payment)
_new_credit: Final = unchecked(CreditApplication)
_new_transfer: Final = unchecked(CreditTransfer)
_new_failure: Final = unchecked(CollectionFailure)
_new_dispute: Final = unchecked(Dispute)


def _dispute(data: dict[str, Any]) -> Dispute:
    resolved = data.get("resolved_at")
    return _new_dispute(
        id=data["id"],
        amount=_D(data["amount"]),
        at=_time(data["at"]),
        reopened=_D(data["reopened"]),
        reason=data.get("reason"),
        outcome=data.get("outcome"),
        resolved_at=None if resolved is None else _time(resolved),
    )


def _refund(data: dict[str, Any]) -> Refund:
    from_credit = data.get("from_credit")
    return _new_refund(
        id=data["id"],
        amount=_D(data["amount"]),
        at=_time(data["at"]),
        from_credit=_NOTHING if from_credit is None else _D(from_credit),
        provider_id=data.get("provider_id"),
    )


def payment(data: dict[str, Any]) -> Payment:
    """The payment written by ``compact_values.payment_document``."""
    get = data.get
    allocated, credit, refunds = get("allocated"), get("customer_credit"), get("refunds")
    return _new_payment(
        id=data["id"],
        amount=_D(data["amount"]),
        status=_PAYMENT_STATUS[get("status", "succeeded")],
        at=_time(data["at"]),
        method=get("method", "manual"),
        reference=get("reference"),
        allocated=_NOTHING if allocated is None else _D(allocated),
        customer_credit=_NOTHING if credit is None else _D(credit),
        refunds=() if refunds is None else tuple(_refund(r) for r in refunds),
        failure_reason=get("failure_reason"),
        disputes=tuple(_dispute(d) for d in get("disputes", ())),
    )


def credit(data: dict[str, Any]) -> CreditApplication:
    """The applied credit note written by ``compact_values.credit_document``."""
    return _new_credit(
        credit_note_id=data["credit_note_id"],
        number=data["number"],
        amount=_D(data["amount"]),
        allocated=_D(data["allocated"]),
        customer_credit=_D(data["customer_credit"]),
        at=_time(data["at"]),
    )


def transfer(data: dict[str, Any]) -> CreditTransfer:
    """The credit transfer written by ``compact_values.transfer_document``."""
    return _new_transfer(
        payment_id=data["payment_id"],
        invoice_id=data["invoice_id"],
        number=data["number"],
        amount=_D(data["amount"]),
        at=_time(data["at"]),
    )


def failure(data: dict[str, Any]) -> CollectionFailure:
    """The collection failure written by ``compact_values.failure_document``."""
    return _new_failure(at=_time(data["at"]), reason=data["reason"], code=data.get("code"))

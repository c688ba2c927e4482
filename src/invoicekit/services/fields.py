"""The keyword arguments of the facade, typed, so ``mypy --strict`` flags a misspelt one.

``Billing``'s constructors take ``**options: Unpack[BillingOptions]``; sellers and
customers take their fields the same way. At run time they are plain dicts, checked
against the attrs fields (a test keeps each TypedDict equal to the fields it names).
A new Seller or Customer field is one more line here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal, TypedDict

from invoicekit.domain.collection import SavedPaymentMethod
from invoicekit.domain.dunning import DunningPolicy, PolicyOverride
from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.numbering import Series
from invoicekit.domain.parties import Address, BankAccount, Contact, ElectronicAddress
from invoicekit.domain.policy import PriceMode, RoundingPolicy
from invoicekit.domain.terms import PaymentTerms
from invoicekit.faults import FaultPoints
from invoicekit.ports import Clock, Notifier, PaymentProvider, Renderer
from invoicekit.services.dispatch import RetryPolicy

__all__ = [
    "BillingOptions",
    "CustomerChanges",
    "CustomerSettings",
    "DraftFields",
    "DraftRequired",
    "SellerChanges",
    "SellerFields",
    "SellerSettings",
]


class BillingOptions(TypedDict, total=False):
    """``Billing``'s keyword arguments besides ``storage`` (see ``Billing`` for each)."""

    payments: PaymentProvider | Sequence[PaymentProvider] | None
    renderer: Renderer | None
    notifiers: Iterable[Notifier]
    clock: Clock | None
    faults: FaultPoints | None
    new_id: Callable[[str], str]
    dispatch: Literal["now", "worker"]
    retry: RetryPolicy | None
    lease: timedelta
    attach_pdf: bool
    pay_url: str | None
    pay_link_ttl: timedelta


class SellerSettings(TypedDict, total=False):
    """A seller's optional fields (``Seller`` documents each)."""

    timezone: str
    locale: str
    tax_id: str | None
    legal_name: str | None
    address: Address | None
    email: str | None
    phone: str | None
    rounding: RoundingPolicy
    prices: PriceMode | str
    terms: PaymentTerms
    series: Iterable[Series]
    metadata: Mapping[str, Any]
    bank_account: BankAccount | None
    send_on_issue: bool
    apply_credit_at_issue: bool
    send_receipts: bool
    reminder_minimum: Mapping[str, Decimal | str | int]
    electronic_address: ElectronicAddress | None
    registration_id: str | None
    contact: Contact | None
    payment_provider: str | None
    dunning: DunningPolicy | None
    collection: str
    collect_on: str
    usage_grace: timedelta
    subscription_on_dunning_end: str


class SellerFields(SellerSettings):
    """``sellers.create``: the three fields a seller needs, and any of its settings."""

    name: str
    country: str
    currency: str


class SellerChanges(SellerSettings, total=False):
    """``sellers.update``: any of a seller's fields."""

    name: str
    country: str
    currency: str


class CustomerSettings(TypedDict, total=False):
    """A customer's fields that ``customers.create`` takes besides its named ones."""

    tax_id: str | None
    locale: str | None
    timezone: str | None
    fallback: Sequence[str]
    webhook_url: str | None
    metadata: Mapping[str, Any]
    archived: bool
    electronic_address: ElectronicAddress | None
    registration_id: str | None
    contact: Contact | None
    dunning: DunningPolicy | PolicyOverride | None
    payment_method: SavedPaymentMethod | None


class CustomerChanges(CustomerSettings, total=False):
    """``customers.update``: any of a customer's fields."""

    name: str
    email: str | None
    phone: str | None
    address: Address | None
    channels: Sequence[str]


class DraftRequired(TypedDict):
    """What every draft needs: the customer and the lines."""

    customer_id: str
    lines: Sequence[Line | Mapping[str, Any]]


class DraftFields(DraftRequired, total=False):
    """One draft of ``invoices.draft_many``: ``invoices.draft``'s arguments (no idempotency key)."""

    terms: PaymentTerms | None
    discounts: Sequence[Discount]
    charges: Sequence[Charge]
    prices: str | None
    memo: str | None
    footer: str | None
    metadata: Mapping[str, Any] | None
    series: str
    currency: str | None
    id: str | None
    buyer_reference: str | None
    order_reference: str | None
    contract_reference: str | None
    project_reference: str | None

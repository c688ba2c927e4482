"""The parties to an invoice: the seller who issues it and the customer who pays it.

An issued invoice keeps both as they were at issue (the values are immutable, so
the snapshot is the object itself). The parts of a party (address, bank account,
electronic address, contact) are in party_details and the field checks both
share in party_checks; those names are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any, Final

import attrs

from invoicekit.domain import checks
from invoicekit.domain.collection import (
    SavedPaymentMethod,
    collection_problems,
    saved_method_problems,
)
from invoicekit.domain.dunning import DunningPolicy, PolicyOverride
from invoicekit.domain.numbering import Series, default_series
from invoicekit.domain.party_checks import (
    _channels,
    _email,
    _locale,
    _phone,
    _price_mode,
    _series,
    _text,
)
from invoicekit.domain.party_details import (
    Address,
    BankAccount,
    Contact,
    ElectronicAddress,
    _party_ids,
    iban_checksum_ok,  # noqa: F401 - importable here as before
)
from invoicekit.domain.policy import PriceMode, RoundingPolicy
from invoicekit.domain.reminding import minimum_problems, minimums
from invoicekit.domain.terms import NetDays, PaymentTerms
from invoicekit.domain.usage import DEFAULT_USAGE_GRACE, subscription_setting_problems
from invoicekit.domain.zones import zone_problems
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.money import check_currency

__all__ = [
    "CHANNELS",
    "Address",
    "BankAccount",
    "Contact",
    "Customer",
    "ElectronicAddress",
    "Seller",
]

#: Channels a customer can be reached on, in the order tried by default.
CHANNELS: Final = ("email", "sms", "webhook", "in_app")

_MAX_URL: Final = 2000


@attrs.frozen(hash=False)
class Seller:
    """The issuer of invoices and owner of every setting (a host platform may have many)."""

    id: str
    name: str
    country: str
    currency: str
    #: IANA zone of the books: issue and due dates, overdue, reminder days, numbering periods.
    timezone: str = "UTC"
    locale: str = "en"
    tax_id: str | None = None
    legal_name: str | None = None
    address: Address | None = None
    email: str | None = None
    phone: str | None = None
    #: How this seller rounds (tax per category, half-up by default).
    rounding: RoundingPolicy = attrs.field(factory=RoundingPolicy)
    #: Whether this seller's prices include tax by default.
    prices: PriceMode = attrs.field(default=PriceMode.EXCLUSIVE, converter=_price_mode)
    #: Default payment terms of new invoices.
    terms: PaymentTerms = attrs.field(factory=lambda: NetDays(30))
    #: Numbering series; ``invoice`` and ``credit_note`` are required.
    series: tuple[Series, ...] = attrs.field(factory=default_series, converter=_series)
    metadata: Mapping[str, Any] = attrs.field(factory=dict, converter=checks.frozen_metadata)
    #: Where customers pay by transfer; printed with the invoice number as reference (and an
    #: EPC QR code for EUR).
    bank_account: BankAccount | None = None
    #: Send every invoice to its customer as soon as it is issued.
    send_on_issue: bool = False
    #: Pay each invoice at issue with the customer credit the customer holds in its currency.
    apply_credit_at_issue: bool = False
    #: Send the customer a receipt the moment a payment succeeds (in the same transaction).
    send_receipts: bool = True
    #: Per currency, the amount due below which no reminder or final notice goes out.
    reminder_minimum: Mapping[str, Decimal] = attrs.field(factory=dict, converter=minimums)
    #: Where e-invoices reach this seller (EN 16931 BT-34; Peppol and XRechnung need it).
    electronic_address: ElectronicAddress | None = None
    #: Legal registration id, e.g. the commercial register number (EN 16931 BT-30).
    registration_id: str | None = None
    #: The seller's contact point (EN 16931 BG-6; XRechnung needs name, phone and e-mail).
    contact: Contact | None = None
    #: The name of the payment provider this seller's invoices are paid through (one of the
    #: providers Billing was given); None: Billing's first (default) provider.
    payment_provider: str | None = None
    #: How ``run_due`` chases this seller's open invoices (reminders, late fees, retries);
    #: None: no automatic reminders (``run_due`` still marks invoices overdue).
    dunning: DunningPolicy | None = None
    #: "send_invoice" (the customer pays) or "charge_automatically" (``run_due`` charges the
    #: customer's saved payment method); see ``collect_on`` for when.
    collection: str = "send_invoice"
    #: When ``run_due`` charges automatically: "on_issue" or "on_due_date".
    collect_on: str = "on_issue"
    #: How long after a period closes its subscription invoice waits for late usage before it
    #: is issued (0 to 7 days); usage arriving later is an adjustment on the next invoice.
    usage_grace: timedelta = DEFAULT_USAGE_GRACE
    #: What a subscription becomes when dunning ends without payment: "canceled" or "unpaid".
    subscription_on_dunning_end: str = "canceled"

    def series_named(self, name: str) -> Series:
        """The series called ``name``; ValidationError naming the configured ones if absent."""
        for series in self.series:
            if series.name == name:
                return series
        names = ", ".join(s.name for s in self.series)
        raise ValidationError(
            [
                problem(
                    "series", f"seller {self.id!r} has no such series; configured: {names}", name
                )
            ],
            subject="invoice",
        )

    def __attrs_post_init__(self) -> None:
        found: list[Problem] = []
        _text(found, "id", self.id, required=True, limit=64)
        _text(found, "name", self.name, required=True)
        names = [s.name for s in self.series if isinstance(s, Series)]
        if len(names) != len(self.series) or len(set(names)) != len(names):
            found.append(problem("series", "must be Series values with distinct names", names))
        found.extend(
            problem("series", f"needs a series named {needed!r}", names)
            for needed in ("invoice", "credit_note")
            if needed not in names
        )
        _text(found, "legal_name", self.legal_name, required=False)
        _text(found, "tax_id", self.tax_id, required=False, limit=40)
        found += checks.country("country", self.country)
        try:
            check_currency(self.currency)
        except ValidationError as exc:
            found.extend(exc.problems)
        found.extend(zone_problems("timezone", self.timezone))
        _locale(found, "locale", self.locale)
        _email(found, "email", self.email)
        _phone(found, "phone", self.phone)
        if self.address is not None and not isinstance(self.address, Address):
            found.append(problem("address", "must be an Address", self.address))
        if self.bank_account is not None and not isinstance(self.bank_account, BankAccount):
            found.append(problem("bank_account", "must be a BankAccount", self.bank_account))
        found += _settings_problems(self)
        _party_ids(found, self.electronic_address, self.registration_id, self.contact)
        if found:
            raise ValidationError(found, subject="seller")


@attrs.frozen(hash=False)
class Customer:
    """Who an invoice is for: one customer of one seller, with contact details and preferences."""

    id: str
    seller_id: str
    name: str
    email: str | None = None
    phone: str | None = None
    address: Address | None = None
    tax_id: str | None = None
    #: Locale for documents and messages; None uses the seller's.
    locale: str | None = None
    #: IANA zone of delivery times (quiet hours, time of day) and of the customer's own
    #: billing periods; None uses the seller's. Dates of the books follow the seller's.
    timezone: str | None = None
    #: Channels every message goes to (email, sms, webhook, in_app).
    channels: tuple[str, ...] = attrs.field(default=("email",), converter=_channels)
    #: Channels tried in order when none of ``channels`` can take a message (no address,
    #: no notifier, or a permanent refusal).
    fallback: tuple[str, ...] = attrs.field(default=(), converter=_channels)
    #: Where the ``webhook`` channel posts for this customer (None: the notifier's endpoint).
    webhook_url: str | None = None
    metadata: Mapping[str, Any] = attrs.field(factory=dict, converter=checks.frozen_metadata)
    archived: bool = False
    #: Where e-invoices reach this customer (EN 16931 BT-49; Peppol and XRechnung need it).
    electronic_address: ElectronicAddress | None = None
    #: Legal registration id of the customer (EN 16931 BT-47).
    registration_id: str | None = None
    #: The customer's contact point (EN 16931 BG-9).
    contact: Contact | None = None
    #: This customer's own policy, or changes to the seller's (None: the seller's policy).
    dunning: DunningPolicy | PolicyOverride | None = None
    #: The payment method the customer saved for automatic collection (the provider's
    #: reference and the consent given, never card data); None: nothing saved.
    payment_method: SavedPaymentMethod | None = None

    def __attrs_post_init__(self) -> None:
        found: list[Problem] = []
        _text(found, "id", self.id, required=True, limit=64)
        _text(found, "seller_id", self.seller_id, required=True, limit=64)
        _text(found, "name", self.name, required=True)
        _text(found, "tax_id", self.tax_id, required=False, limit=40)
        _email(found, "email", self.email)
        _phone(found, "phone", self.phone)
        _locale(found, "locale", self.locale)
        if self.timezone is not None:
            found.extend(zone_problems("timezone", self.timezone))
        if self.address is not None and not isinstance(self.address, Address):
            found.append(problem("address", "must be an Address", self.address))
        for field in ("channels", "fallback"):
            for i, channel in enumerate(getattr(self, field)):
                if channel not in CHANNELS:
                    found.append(
                        problem(
                            f"{field}[{i}]",
                            f"unknown channel; allowed: {', '.join(CHANNELS)}",
                            channel,
                        )
                    )
        if self.webhook_url is not None and (
            not isinstance(self.webhook_url, str)
            or not self.webhook_url.startswith(("https://", "http://"))
            or not self.webhook_url.isprintable()
            or " " in self.webhook_url
            or len(self.webhook_url) > _MAX_URL
        ):
            found.append(problem("webhook_url", "must be one http(s) URL", self.webhook_url))
        _party_ids(found, self.electronic_address, self.registration_id, self.contact)
        found += checks.metadata("metadata", self.metadata) + checks.flag("archived", self.archived)
        if self.dunning is not None and not isinstance(
            self.dunning, DunningPolicy | PolicyOverride
        ):
            found.append(problem("dunning", _DUNNING + " or a PolicyOverride", self.dunning))
        if self.payment_method is not None:
            found += saved_method_problems(self.payment_method, "payment_method.")
        if "email" in self.channels and self.email is None:
            found.append(problem("email", "required when 'email' is one of the channels"))
        if "sms" in self.channels and self.phone is None:
            found.append(problem("phone", "required when 'sms' is one of the channels"))
        if found:
            raise ValidationError(found, subject="customer")


def _settings_problems(seller: Seller) -> list[Problem]:
    """The seller's settings: rounding, prices, terms, metadata, flags, provider, reminder minimums."""
    rounding = "a RoundingPolicy, e.g. RoundingPolicy(mode='half_up')"
    return (
        checks.instance("rounding", seller.rounding, RoundingPolicy, rounding)
        + checks.instance("prices", seller.prices, PriceMode, "'exclusive' or 'inclusive'")
        + checks.terms("terms", seller.terms)
        + checks.metadata("metadata", seller.metadata)
        + checks.flag("send_on_issue", seller.send_on_issue)
        + checks.flag("apply_credit_at_issue", seller.apply_credit_at_issue)
        + checks.flag("send_receipts", seller.send_receipts)
        + checks.identifier("payment_provider", seller.payment_provider, required=False)
        + minimum_problems(seller.reminder_minimum)
        + collection_problems(seller.collection, seller.collect_on)
        + subscription_setting_problems(seller.usage_grace, seller.subscription_on_dunning_end)
        + (
            []
            if seller.dunning is None or isinstance(seller.dunning, DunningPolicy)
            else [problem("dunning", _DUNNING, seller.dunning)]
        )
    )


_DUNNING: Final = "must be None or a DunningPolicy, e.g. DunningPolicy(steps=[Step(days=3)])"

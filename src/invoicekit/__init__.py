"""invoicekit: invoicing as part of your application, exact to the minor unit.

Everything users import is listed in ``__all__``; the rest lives in modules.
What is listed needs only the core dependencies. Adapters and the e-invoice functions
(the ``einvoice`` extra) are imported on first use, so ``import invoicekit`` never loads lxml.
"""

import typing  # as a module: its names would be public names of the package

from invoicekit.domain import lifecycle
from invoicekit.domain.collection import SavedPaymentMethod
from invoicekit.domain.coupons import AppliedCoupon, Coupon, CouponDuration
from invoicekit.domain.customer_coupons import CustomerCoupon
from invoicekit.domain.dunning import (
    DunningPolicy,
    LateFee,
    LateFeeMode,
    PolicyOverride,
    QuietHours,
    Step,
)
from invoicekit.domain.events import Event
from invoicekit.domain.invoice import CreditNote, Invoice, Payment
from invoicekit.domain.line import Charge, Discount, Line, ServicePeriod
from invoicekit.domain.numbering import NumberFormat, Reset, Series
from invoicekit.domain.parties import (
    Address,
    BankAccount,
    Contact,
    Customer,
    ElectronicAddress,
    Seller,
)
from invoicekit.domain.policy import PriceMode, RoundingPolicy, TaxRounding
from invoicekit.domain.pricing import Plan, Price, PriceKind, PricingModel, Tier
from invoicekit.domain.recurring import IssueMode, Occurrence, RecurringTemplate, TemplateStatus
from invoicekit.domain.schedule import Alignment, BillingPeriod, BillTiming, Frequency, Schedule
from invoicekit.domain.standalone_credit import standalone_credit_note
from invoicekit.domain.status import Action, PaymentStatus, Status
from invoicekit.domain.subscription import (
    PauseBehavior,
    ProrationBehavior,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
)
from invoicekit.domain.tax import Tax, TaxCategory, Vat
from invoicekit.domain.terms import DueOnReceipt, EndOfMonth, FixedDate, NetDays, PaymentTerms
from invoicekit.domain.totals import Totals, compute_totals
from invoicekit.domain.usage import Aggregation, Meter
from invoicekit.errors import (
    ConcurrencyError,
    ConfigurationError,
    ConflictError,
    CurrencyMismatchError,
    DeliveryError,
    DuplicateError,
    IntegrityError,
    InvalidTransitionError,
    InvariantViolationError,
    InvoiceKitError,
    MissingExtraError,
    NotFoundError,
    PaymentError,
    PaymentNotAllowedError,
    PayPageNotFoundError,
    StorageError,
    ValidationError,
    WebhookRejectedError,
)
from invoicekit.money import Rounding, allocate, quantize, split
from invoicekit.services.billing import Billing, SellerBooks
from invoicekit.services.due_report import DueEntry, DueReport
from invoicekit.services.event_handlers import EventDispatchReport, HandlerState
from invoicekit.services.event_notices import EventNotice
from invoicekit.services.generation import Generated, GenerationReport, Skipped
from invoicekit.services.issuing import Issued
from invoicekit.services.usage import UsageBatch

if typing.TYPE_CHECKING:  # imported on first use at run time, see __getattr__
    from invoicekit.adapters.notify.files import FileNotifier
    from invoicekit.adapters.notify.sms import HttpSmsGateway, SmsNotifier
    from invoicekit.adapters.notify.smtp import SmtpNotifier
    from invoicekit.adapters.notify.webhook import WebhookNotifier
    from invoicekit.adapters.payments import ManualPayments, SandboxPayments, epc_payload, qr_svg
    from invoicekit.adapters.payments.stripe import StripeAccount, StripePayments
    from invoicekit.adapters.render import Branding, TemplateRenderer
    from invoicekit.einvoice import (
        check_profile,
        read_facturx,
        to_cii,
        to_facturx,
        to_ubl,
        to_xrechnung,
    )
    from invoicekit.testing.clock import FixedClock

__version__ = "0.1.0"

__all__ = [
    "Action",
    "Address",
    "Aggregation",
    "Alignment",
    "AppliedCoupon",
    "BankAccount",
    "BillTiming",
    "Billing",
    "BillingPeriod",
    "Branding",
    "Charge",
    "ConcurrencyError",
    "ConfigurationError",
    "ConflictError",
    "Contact",
    "Coupon",
    "CouponDuration",
    "CreditNote",
    "CurrencyMismatchError",
    "Customer",
    "CustomerCoupon",
    "DeliveryError",
    "Discount",
    "DueEntry",
    "DueOnReceipt",
    "DueReport",
    "DunningPolicy",
    "DuplicateError",
    "ElectronicAddress",
    "EndOfMonth",
    "Event",
    "EventDispatchReport",
    "EventNotice",
    "FileNotifier",
    "FixedClock",
    "FixedDate",
    "Frequency",
    "Generated",
    "GenerationReport",
    "HandlerState",
    "HttpSmsGateway",
    "IntegrityError",
    "InvalidTransitionError",
    "InvariantViolationError",
    "Invoice",
    "InvoiceKitError",
    "IssueMode",
    "Issued",
    "LateFee",
    "LateFeeMode",
    "Line",
    "ManualPayments",
    "Meter",
    "MissingExtraError",
    "NetDays",
    "NotFoundError",
    "NumberFormat",
    "Occurrence",
    "PauseBehavior",
    "PayPageNotFoundError",
    "Payment",
    "PaymentError",
    "PaymentNotAllowedError",
    "PaymentStatus",
    "PaymentTerms",
    "Plan",
    "PolicyOverride",
    "Price",
    "PriceKind",
    "PriceMode",
    "PricingModel",
    "ProrationBehavior",
    "QuietHours",
    "RecurringTemplate",
    "Reset",
    "Rounding",
    "RoundingPolicy",
    "SandboxPayments",
    "SavedPaymentMethod",
    "Schedule",
    "Seller",
    "SellerBooks",
    "Series",
    "ServicePeriod",
    "Skipped",
    "SmsNotifier",
    "SmtpNotifier",
    "Status",
    "Step",
    "StorageError",
    "StripeAccount",
    "StripePayments",
    "Subscription",
    "SubscriptionItem",
    "SubscriptionStatus",
    "Tax",
    "TaxCategory",
    "TaxRounding",
    "TemplateRenderer",
    "TemplateStatus",
    "Tier",
    "Totals",
    "UsageBatch",
    "ValidationError",
    "Vat",
    "WebhookNotifier",
    "WebhookRejectedError",
    "allocate",
    "check_profile",
    "compute_totals",
    "epc_payload",
    "lifecycle",
    "qr_svg",
    "quantize",
    "read_facturx",
    "split",
    "standalone_credit_note",
    "to_cii",
    "to_facturx",
    "to_ubl",
    "to_xrechnung",
]

#: Names imported from their module on first use: the adapters and FixedClock (so
#: ``import invoicekit`` stays quick) and the e-invoice entry points (the ``einvoice`` extra).
_LAZY: typing.Final = {
    "Branding": "invoicekit.adapters.render",
    "FileNotifier": "invoicekit.adapters.notify.files",
    "HttpSmsGateway": "invoicekit.adapters.notify.sms",
    "ManualPayments": "invoicekit.adapters.payments",
    "SandboxPayments": "invoicekit.adapters.payments",
    "SmsNotifier": "invoicekit.adapters.notify.sms",
    "SmtpNotifier": "invoicekit.adapters.notify.smtp",
    "StripeAccount": "invoicekit.adapters.payments.stripe",
    "StripePayments": "invoicekit.adapters.payments.stripe",
    "TemplateRenderer": "invoicekit.adapters.render",
    "WebhookNotifier": "invoicekit.adapters.notify.webhook",
    "FixedClock": "invoicekit.testing.clock",
    "epc_payload": "invoicekit.adapters.payments",
    "qr_svg": "invoicekit.adapters.payments",
    **dict.fromkeys(
        ("check_profile", "read_facturx", "to_cii", "to_facturx", "to_ubl", "to_xrechnung"),
        "invoicekit.einvoice",
    ),
}


def __getattr__(name: str) -> typing.Any:
    """Import an adapter or an e-invoice entry point on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'invoicekit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

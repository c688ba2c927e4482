"""invoicekit: invoicing as part of your application, exact to the minor unit.

Everything users import is listed in ``__all__``; the rest lives in modules.
Adapters that need an optional extra are imported from their modules, never here.
"""

from invoicekit.domain import lifecycle
from invoicekit.domain.events import Event
from invoicekit.domain.invoice import CreditNote, Invoice, Payment
from invoicekit.domain.line import Charge, Discount, Line, ServicePeriod
from invoicekit.domain.numbering import NumberFormat, Reset, Series
from invoicekit.domain.parties import Address, BankAccount, Customer, Seller
from invoicekit.domain.policy import PriceMode, RoundingPolicy, TaxRounding
from invoicekit.domain.status import Action, PaymentStatus, Status
from invoicekit.domain.tax import Tax, TaxCategory, Vat
from invoicekit.domain.terms import DueOnReceipt, EndOfMonth, FixedDate, NetDays, PaymentTerms
from invoicekit.domain.totals import Totals, compute_totals
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
    StorageError,
    ValidationError,
)
from invoicekit.money import Rounding, allocate, quantize, split
from invoicekit.services.billing import Billing, SellerBooks

__version__ = "0.1.0"

__all__ = [
    "Action",
    "Address",
    "BankAccount",
    "Billing",
    "Charge",
    "ConcurrencyError",
    "ConfigurationError",
    "ConflictError",
    "CreditNote",
    "CurrencyMismatchError",
    "Customer",
    "DeliveryError",
    "Discount",
    "DueOnReceipt",
    "DuplicateError",
    "EndOfMonth",
    "Event",
    "FixedDate",
    "IntegrityError",
    "InvalidTransitionError",
    "InvariantViolationError",
    "Invoice",
    "InvoiceKitError",
    "Line",
    "MissingExtraError",
    "NetDays",
    "NotFoundError",
    "NumberFormat",
    "Payment",
    "PaymentError",
    "PaymentNotAllowedError",
    "PaymentStatus",
    "PaymentTerms",
    "PriceMode",
    "Reset",
    "Rounding",
    "RoundingPolicy",
    "Seller",
    "SellerBooks",
    "Series",
    "ServicePeriod",
    "Status",
    "StorageError",
    "Tax",
    "TaxCategory",
    "TaxRounding",
    "Totals",
    "ValidationError",
    "Vat",
    "allocate",
    "compute_totals",
    "lifecycle",
    "quantize",
    "split",
]

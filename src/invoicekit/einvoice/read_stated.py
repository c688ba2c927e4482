"""What a received e-invoice states, syntax-neutral: the records the UBL and CII readers fill.

Every record keeps the XPath it was read from, so a problem or a wrong sum found later
names the element in the sender's XML.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs

from invoicekit.domain.line import ServicePeriod
from invoicekit.domain.parties import Address, BankAccount, Contact, ElectronicAddress
from invoicekit.einvoice.read_source import Stated


@attrs.frozen
class TaxKey:
    """A VAT category code and rate as stated (BT-151/152, BT-95/96, BT-118/119)."""

    category: str
    rate: Decimal | None
    path: str


@attrs.frozen
class Party:
    """A seller (BG-4) or buyer (BG-7) as stated."""

    path: str
    name: str | None
    trading_name: str | None
    registration_id: str | None
    vat_id: str | None
    tax_number: str | None
    endpoint: ElectronicAddress | None
    address: Address | None
    contact: Contact | None


@attrs.frozen
class Adjustment:
    """An allowance or charge on the document (BG-20/21) or on a line (BG-27/28)."""

    path: str
    charge: bool
    amount: Stated
    reason: str | None
    percent: Decimal | None
    base: Decimal | None
    tax: TaxKey | None


@attrs.frozen
class Row:
    """A VAT breakdown row (BG-23) as stated."""

    key: TaxKey
    base: Stated
    amount: Stated
    reason: str | None
    code: str | None


@attrs.frozen
class StatedLine:
    """An invoice line (BG-25) as stated."""

    path: str
    name: str
    quantity: Decimal
    unit: str
    net: Stated
    price: Decimal
    base_quantity: Decimal
    tax: TaxKey
    period: ServicePeriod | None
    adjustments: tuple[Adjustment, ...]
    #: BT-127, the first line note stated (the model keeps one).
    note: str | None = None


@attrs.define
class Doc:
    """The whole document as stated; the syntax readers fill it, the model is built from it."""

    credit: bool = False
    specification: str | None = None
    number: str = ""
    issue_date: date = date.min
    due_date: date | None = None
    currency: str = ""
    note: str | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None
    contract_reference: str | None = None
    project_reference: str | None = None
    period: tuple[ServicePeriod, str] | None = None
    #: The actual delivery date (BT-72) with its XPath; invoicekit derives it from the lines.
    delivery: tuple[date, str] | None = None
    preceding: tuple[str, date] | None = None
    seller: Party | None = None
    buyer: Party | None = None
    means: tuple[str, str] | None = None
    payment_id: tuple[str, str] | None = None
    account: BankAccount | None = None
    terms: tuple[str, str] | None = None
    adjustments: list[Adjustment] = attrs.Factory(list)
    rows: list[Row] = attrs.Factory(list)
    lines: list[StatedLine] = attrs.Factory(list)
    stated: dict[str, Stated] = attrs.Factory(dict)
    root: str = ""

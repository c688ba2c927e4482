"""Shared test factories: a seller, a customer, a draft and an issued invoice.

Every factory returns a valid, fully built domain value with sensible defaults
(EUR, Europe/Berlin, one line of 100.00 at 19 % VAT, net 30) and takes keyword
overrides for what a test cares about. ``AT`` is the default action time.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from invoicekit.domain import lifecycle as lc
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.line import Line
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.policy import RoundingPolicy
from invoicekit.domain.tax import Tax, Vat
from invoicekit.domain.terms import PaymentTerms

__all__ = [
    "AT",
    "CASH_CHF",
    "COUNTRY",
    "customer",
    "draft",
    "issue",
    "issued",
    "line",
    "seller",
    "snapshot",
    "utc",
]

#: The default "now" of a test: 2026-03-01 09:00 UTC (an issued invoice is due 2026-03-31).
AT = datetime(2026, 3, 1, 9, tzinfo=UTC)
#: The rounding policy of a Swiss seller: payable amounts rounded to 0.05 CHF.
CASH_CHF = RoundingPolicy(cash_increments={"CHF": "0.05"})
#: A plausible seller country per currency the tests use.
COUNTRY: Mapping[str, str] = {"EUR": "DE", "JPY": "JP", "BHD": "BH", "CHF": "CH", "USD": "US"}
_ZONE: Mapping[str, str] = {
    "EUR": "Europe/Berlin",
    "JPY": "Asia/Tokyo",
    "BHD": "Asia/Bahrain",
    "CHF": "Europe/Zurich",
    "USD": "America/New_York",
}


def utc(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A timezone-aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def snapshot(invoice: Invoice) -> tuple[Invoice, str]:
    """A copy of ``invoice`` taken now, and its full ``repr`` (every nested value, policy included).

    ``copy.deepcopy`` cannot be used: the metadata mappings are ``MappingProxyType``,
    which neither pickles nor deep-copies. Compare ``snapshot(x) == snapshot(y)``.
    """
    return copy.copy(invoice), repr(invoice)


def seller(
    *,
    id: str = "s1",
    currency: str = "EUR",
    timezone: str | None = None,
    rounding: RoundingPolicy | None = None,
    **overrides: Any,
) -> Seller:
    """A seller in ``currency``; CHF sellers cash-round to 0.05 unless ``rounding`` is given."""
    if rounding is None:
        rounding = CASH_CHF if currency == "CHF" else RoundingPolicy()
    fields: dict[str, Any] = {
        "id": id,
        "name": "Northwind",
        "country": COUNTRY.get(currency, "DE"),
        "currency": currency,
        "timezone": timezone or _ZONE.get(currency, "UTC"),
        "rounding": rounding,
    }
    fields.update(overrides)
    return Seller(**fields)


def customer(of: Seller | None = None, *, id: str = "c1", **overrides: Any) -> Customer:
    """A customer of ``of`` (the default seller when None) reachable by e-mail."""
    owner = of or seller()
    fields: dict[str, Any] = {
        "id": id,
        "seller_id": owner.id,
        "name": "Globex",
        "email": "ap@globex.example",
    }
    fields.update(overrides)
    return Customer(**fields)


def line(
    unit_price: str | Decimal = "100.00",
    quantity: str | Decimal = "1",
    tax: Tax | None = None,
    description: str = "Consulting",
) -> Line:
    """One line; 19 % VAT unless ``tax`` says otherwise."""
    return Line(description, quantity=quantity, unit_price=unit_price, tax=tax or Vat("19"))


def draft(
    *,
    of: Seller | None = None,
    to: Customer | None = None,
    lines: Iterable[Line | Mapping[str, Any]] | None = None,
    id: str = "i1",
    at: datetime = AT,
    terms: PaymentTerms | None = None,
    **overrides: Any,
) -> Invoice:
    """A draft of one line of 100.00 at 19 % (119.00 EUR) unless ``lines`` is given."""
    s = of or seller()
    c = to or customer(s)
    return Invoice.draft(
        id=id,
        seller=s,
        customer=c,
        lines=list(lines) if lines is not None else [line()],
        at=at,
        terms=terms,
        **overrides,
    )


def issue(
    invoice: Invoice,
    *,
    of: Seller | None = None,
    to: Customer | None = None,
    number: str = "INV-2026-00001",
    at: datetime = AT,
    issue_date: date | None = None,
) -> Invoice:
    """Issue ``invoice`` with ``number``; the parties default to the factories' (matching ids)."""
    s = of or seller(id=invoice.seller_id, currency=invoice.currency)
    c = to or customer(s, id=invoice.customer_id)
    new, _ = lc.apply(
        invoice, lc.Issue(number=number, seller=s, customer=c, issue_date=issue_date), at=at
    )
    return new


def issued(
    *,
    of: Seller | None = None,
    to: Customer | None = None,
    lines: Iterable[Line | Mapping[str, Any]] | None = None,
    number: str = "INV-2026-00001",
    at: datetime = AT,
    terms: PaymentTerms | None = None,
    **overrides: Any,
) -> Invoice:
    """An issued invoice (pending, due 30 days after ``at``'s date in the seller's zone)."""
    s = of or seller()
    c = to or customer(s)
    return issue(
        draft(of=s, to=c, lines=lines, at=at, terms=terms, **overrides),
        of=s,
        to=c,
        number=number,
        at=at,
    )

"""How values are written in either syntax: amounts, rates and numbers as text, and which tax terms.

Shared by the UBL and CII writers so both write the same value the same way.
"""

from __future__ import annotations

from decimal import Decimal

from invoicekit.domain.tax import REASON_REQUIRED, Tax, TaxCategory
from invoicekit.errors import ValidationError, problem
from invoicekit.money import minor_unit

__all__ = ["amount", "exemption", "has_rate", "number", "rate"]


def amount(value: Decimal, currency: str) -> str:
    """An amount with exactly the currency's digits ("1000.00", "120" in JPY)."""
    unit = minor_unit(currency)
    fitted = value.quantize(unit)
    if fitted != value:
        raise ValidationError(
            [problem("amount", f"{currency} amounts have the currency's digits", value)],
            subject="e-invoice",
        )
    text = f"{fitted:f}"
    return "0" + text[2:] if text.startswith("-0") and fitted == 0 else text


def rate(value: Decimal) -> str:
    """A VAT rate as written: no exponent, no trailing zeros beyond two places ("19.00" -> "19")."""
    text = f"{value.normalize():f}"
    return "0" if text in ("0", "-0") else text


def number(value: Decimal) -> str:
    """A quantity or price in plain notation, as stored (never "1E+3")."""
    return f"{value:f}"


def exemption(tax: Tax) -> tuple[str | None, str | None]:
    """BT-120/BT-121: the exemption reason text and VATEX code, only for E, AE, K, G, O."""
    if tax.category not in REASON_REQUIRED:
        return None, None
    return tax.exemption_reason, tax.exemption_code


def has_rate(tax: Tax) -> bool:
    """Whether a rate is written: every category but O (BR-O-05 to BR-O-09)."""
    return tax.category is not TaxCategory.OUTSIDE_SCOPE

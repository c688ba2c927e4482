"""Taxes on a line: the EN 16931 VAT categories, rates and exemption reasons."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Final

import attrs

from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.money import parse_decimal

__all__ = ["Tax", "TaxCategory", "Vat", "tax_problems"]


class TaxCategory(StrEnum):
    """EN 16931 VAT category codes: the UNCL 5305 subset EN 16931 allows (BT-118 / BT-151).

    The same ten codes as code_tables.EN16931_VAT_CATEGORIES (a test keeps them equal).
    """

    #: Standard rate (a positive rate).
    STANDARD = "S"
    #: Zero rated goods (rate 0).
    ZERO_RATED = "Z"
    #: Exempt from tax (rate 0, an exemption reason is required).
    EXEMPT = "E"
    #: VAT reverse charge: the buyer accounts for the tax (rate 0, reason required).
    REVERSE_CHARGE = "AE"
    #: Intra-community supply of goods and services in the EU (rate 0, reason required).
    INTRA_COMMUNITY = "K"
    #: Export outside the EU, free of tax (rate 0, reason required).
    EXPORT = "G"
    #: Services outside the scope of tax (rate 0, reason required).
    OUTSIDE_SCOPE = "O"
    #: Canary Islands general indirect tax (IGIC).
    CANARY_ISLANDS = "L"
    #: Ceuta and Melilla tax (IPSI).
    CEUTA_MELILLA = "M"
    #: Italy's split payment, UNCL 5305 "Transferred (VAT)", where the buyer pays the VAT
    #: to the State; only on a domestic Italian invoice, never beside S (BR-B-01, BR-B-02).
    SPLIT_PAYMENT = "B"


#: Categories whose rate must be 0.
ZERO_RATE_CATEGORIES: Final = frozenset(
    {
        TaxCategory.ZERO_RATED,
        TaxCategory.EXEMPT,
        TaxCategory.REVERSE_CHARGE,
        TaxCategory.INTRA_COMMUNITY,
        TaxCategory.EXPORT,
        TaxCategory.OUTSIDE_SCOPE,
    }
)
#: Categories that must say why no tax is charged (EN 16931 BR-E-10, BR-AE-10, ...).
REASON_REQUIRED: Final = ZERO_RATE_CATEGORIES - {TaxCategory.ZERO_RATED}

_MAX_RATE: Final = Decimal(100)
_MAX_NAME: Final = 40


def _rate(value: object) -> Decimal:
    return parse_decimal(value, path="rate", subject="tax")


@attrs.frozen(cache_hash=True)
class Tax:
    """One tax applied to a line: a scheme name, an EN 16931 category and a percentage rate.

    Two lines carrying equal ``Tax`` values fall into the same breakdown group.
    Several taxes on one line stack (each on the line's net), as US state and
    county sales taxes do.
    """

    category: TaxCategory = attrs.field(converter=TaxCategory)
    rate: Decimal = attrs.field(converter=_rate)
    #: Scheme name shown on documents: "VAT" by default, "state", "county" for US taxes.
    name: str = "VAT"
    #: Why no tax is charged (required for E, AE, K, G, O), e.g. "Reverse charge".
    exemption_reason: str | None = None
    #: The VATEX code of the exemption reason, e.g. "VATEX-EU-AE".
    exemption_code: str | None = None
    #: The rate as an exact fraction (19 -> 0.19), computed once.
    fraction: Decimal = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        problems = tax_problems(self, "")
        if problems:
            raise ValidationError(problems, subject="tax")
        object.__setattr__(self, "fraction", self.rate.scaleb(-2))

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """Short human label such as 'VAT 19%' or 'VAT reverse charge'."""
        if self.category in REASON_REQUIRED:
            return f"{self.name} {self.exemption_reason}"
        return f"{self.name} {self.rate.normalize():f}%"

    @classmethod
    def exempt(cls, reason: str, *, code: str | None = None, name: str = "VAT") -> Tax:
        """Exempt from tax (category E) for the stated reason."""
        return cls(TaxCategory.EXEMPT, Decimal(0), name, reason, code)

    @classmethod
    def reverse_charge(
        cls, reason: str = "Reverse charge", *, code: str | None = "VATEX-EU-AE"
    ) -> Tax:
        """Reverse charge (category AE): the buyer accounts for the VAT."""
        return cls(TaxCategory.REVERSE_CHARGE, Decimal(0), "VAT", reason, code)

    @classmethod
    def zero_rated(cls, *, name: str = "VAT") -> Tax:
        """Zero rated (category Z)."""
        return cls(TaxCategory.ZERO_RATED, Decimal(0), name)

    @classmethod
    def export(
        cls, reason: str = "Export outside the EU", *, code: str | None = "VATEX-EU-G"
    ) -> Tax:
        """Export free of tax (category G)."""
        return cls(TaxCategory.EXPORT, Decimal(0), "VAT", reason, code)

    @classmethod
    def outside_scope(
        cls, reason: str = "Not subject to VAT", *, code: str | None = "VATEX-EU-O"
    ) -> Tax:
        """Outside the scope of tax (category O)."""
        return cls(TaxCategory.OUTSIDE_SCOPE, Decimal(0), "VAT", reason, code)

    @classmethod
    def sales_tax(cls, name: str, rate: Decimal | str) -> Tax:
        """A US-style sales tax (state, county, city) at ``rate`` percent."""
        return cls(TaxCategory.STANDARD, _rate(rate), name)


#: Vat values already built, by rate as given: a str or an int as it is, a Decimal by its
#: str, which keeps the exponent (Vat(Decimal("19.0")) keeps the rate 19.0, and a Decimal
#: never finds the Vat of a str the str parser refuses). Tax is frozen: sharing is safe.
_VATS: Final[dict[object, Tax]] = {}
#: Rates kept at most; a program using more builds the others each time.
_VATS_KEPT: Final = 256


def Vat(rate: Decimal | str | int) -> Tax:  # noqa: N802 - reads as a value constructor, like Decimal
    """Standard-rated VAT at ``rate`` percent: ``Vat("19")``.

    The values are kept per rate and shared (a Tax is frozen), so building one again is cheap.
    """
    kind = type(rate)
    if kind is str or kind is int:
        key: object = rate
    elif kind is Decimal:
        key = (Decimal, str(rate))
    else:
        return Tax(TaxCategory.STANDARD, _rate(rate))
    tax = _VATS.get(key)
    if tax is None:
        tax = Tax(TaxCategory.STANDARD, _rate(rate))
        if len(_VATS) < _VATS_KEPT:
            _VATS[key] = tax
    return tax


def tax_problems(tax: Tax, path: str) -> list[Problem]:
    """Every rule ``tax`` breaks, with paths under ``path``."""
    where = f"{path}." if path else ""
    found: list[Problem] = []
    if tax.rate < 0 or tax.rate > _MAX_RATE:
        found.append(problem(f"{where}rate", "must be between 0 and 100 percent", tax.rate))
    if tax.category == TaxCategory.STANDARD and tax.rate <= 0:
        found.append(
            problem(
                f"{where}rate",
                "a standard-rated tax needs a rate above 0 (use Z, E, ...)",
                tax.rate,
            )
        )
    if tax.category in ZERO_RATE_CATEGORIES and tax.rate != 0:
        found.append(
            problem(f"{where}rate", f"category {tax.category.value} always has rate 0", tax.rate)
        )
    if tax.category in REASON_REQUIRED and not (tax.exemption_reason or tax.exemption_code):
        found.append(
            problem(
                f"{where}exemption_reason",
                f"category {tax.category.value} needs an exemption reason or VATEX code",
            )
        )
    if tax.category not in REASON_REQUIRED and tax.exemption_reason is not None:
        found.append(
            problem(
                f"{where}exemption_reason",
                f"only categories {', '.join(sorted(REASON_REQUIRED))} take a reason",
                tax.exemption_reason,
            )
        )
    if not tax.name or len(tax.name) > _MAX_NAME or not tax.name.isprintable():
        found.append(problem(f"{where}name", "must be 1-40 printable characters", tax.name))
    return found

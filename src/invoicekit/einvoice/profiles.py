"""What each e-invoice profile requires, checked before anything is written.

``check(doc, profile)`` raises one ValidationError listing every business term the
profile needs but the invoice lacks, each as ``BT-10 buyer_reference: ...``, so a
host fixes them all at once. EN 16931 rules that the model cannot guarantee on its
own (a buyer country, a seller VAT id, one VAT category per line, two decimals) are
part of every profile; Peppol BIS 3.0 and XRechnung 3.0 add their own (in
profile_extras).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

import attrs

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.tax import TaxCategory
from invoicekit.einvoice.category_rules import cii_category_problems, split_payment_problems
from invoicekit.einvoice.codes import VATEX, unit_code
from invoicekit.einvoice.profile_extras import _peppol, _xrechnung
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.money import currency_digits

__all__ = ["PROFILES", "Profile", "check", "profile_named"]

_PEPPOL_PROCESS: Final = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
_MAX_DIGITS: Final = 2  # EN 16931 BR-DEC: amounts have at most two decimals
_COUNTRY_PREFIX_LEN: Final = 2
_CENT: Final = Decimal("0.01")
#: BR-DE-18: one cash discount ("Skonto") in BT-20 as KoSIT's XRechnung defines it.


@attrs.frozen
class Profile:
    """An e-invoice profile: its name, the syntaxes it comes in, BT-24 and BT-23 identifiers."""

    name: str
    title: str
    syntaxes: tuple[str, ...]
    #: BT-24 Specification identifier.
    specification: str
    #: BT-23 Business process type, if the profile sets one.
    process: str | None = None


#: The supported profiles by name.
PROFILES: Final[Mapping[str, Profile]] = {
    "en16931": Profile(
        "en16931",
        "EN 16931 core (Factur-X / ZUGFeRD EN16931 in CII)",
        ("ubl", "cii"),
        "urn:cen.eu:en16931:2017",
    ),
    "peppol": Profile(
        "peppol",
        "Peppol BIS Billing 3.0",
        ("ubl",),
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
        _PEPPOL_PROCESS,
    ),
    "xrechnung": Profile(
        "xrechnung",
        "XRechnung 3.0 (German public sector)",
        ("ubl", "cii"),
        "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
        _PEPPOL_PROCESS,
    ),
}

#: Categories whose lines need a seller VAT id or tax number (BR-S-02, BR-Z-02, BR-E-02, ...).
_SELLER_TAX_ID: Final = frozenset(TaxCategory) - {TaxCategory.OUTSIDE_SCOPE}


def profile_named(name: str, syntax: str) -> Profile:
    """The profile called ``name`` written in ``syntax``; ValidationError naming what is known."""
    found = PROFILES.get(name)
    if found is None:
        raise ValidationError(
            [problem("profile", f"unknown profile; known: {', '.join(PROFILES)}", name)],
            subject="e-invoice",
        )
    if syntax not in found.syntaxes:
        raise ValidationError(
            [
                problem(
                    "profile",
                    f"{found.title} is written in {' and '.join(found.syntaxes).upper()} only",
                    name,
                )
            ],
            subject="e-invoice",
        )
    return found


def _is_vat_id(tax_id: str | None) -> bool:
    """A VAT identifier starts with a two-letter country prefix (BR-CO-09)."""
    return (
        tax_id is not None
        and len(tax_id) > _COUNTRY_PREFIX_LEN
        and tax_id[:_COUNTRY_PREFIX_LEN].isalpha()
        and tax_id[:_COUNTRY_PREFIX_LEN].isupper()
    )


def _categories(doc: Invoice | CreditNote) -> set[TaxCategory]:
    return {t.category for line in doc.lines for t in line.taxes} | {
        t.category for adj in (*doc.totals.discounts, *doc.totals.charges) for t in adj.taxes
    }


def _core(doc: Invoice | CreditNote, seller: Seller, customer: Customer) -> list[Problem]:
    """The EN 16931 rules every profile needs and the model does not enforce by itself."""
    found: list[Problem] = []
    if currency_digits(doc.currency) > _MAX_DIGITS:
        found.append(
            problem(
                "BT-5 currency",
                "EN 16931 allows at most two decimals in amounts (BR-DEC); "
                "invoice this currency on paper or as PDF",
                doc.currency,
            )
        )
    for i, line in enumerate(doc.lines):
        if len(line.taxes) != 1:
            found.append(
                problem(
                    f"BT-151 lines[{i}].tax",
                    "an e-invoice line carries exactly one VAT category (BR-CO-04); "
                    "stacked sales taxes cannot be expressed",
                    ", ".join(t.label for t in line.taxes),
                )
            )
        try:
            unit_code(line.unit, path=f"BT-130 lines[{i}].unit")
        except ValidationError as exc:
            found.extend(exc.problems)
    categories = _categories(doc)
    if TaxCategory.OUTSIDE_SCOPE in categories and len(categories) > 1:
        found.append(
            problem(
                "BT-151 lines[].tax",
                "an invoice with 'not subject to VAT' (O) lines has no other VAT category "
                "(BR-O-11); invoice them separately",
                ", ".join(sorted(c.value for c in categories)),
            )
        )
    found += split_payment_problems(categories, seller, customer)
    codes = {t.exemption_code for line in doc.lines for t in line.taxes} - {None}
    found.extend(
        problem(
            "BT-121 tax.exemption_code",
            "not a VATEX code (e.g. VATEX-EU-AE, VATEX-EU-132-1C)",
            code,
        )
        for code in sorted(c for c in codes if c is not None)
        if code not in VATEX
    )
    found += _party_core(seller, customer, categories)
    found += _tax_amounts(doc)
    return found


def _tax_amounts(doc: Invoice | CreditNote) -> list[Problem]:
    """BR-CO-17 as the official rules test it: each VAT amount within one unit of base x rate."""
    found: list[Problem] = []
    for i, row in enumerate(doc.totals.breakdown):
        if row.tax.category is TaxCategory.OUTSIDE_SCOPE:
            continue
        if row.tax.rate.to_integral_value(ROUND_HALF_UP) == 0:
            ok = row.amount.to_integral_value(ROUND_HALF_UP) == 0
        else:
            exact = (abs(row.base) * row.tax.rate / 100).quantize(_CENT, ROUND_HALF_UP)
            ok = abs(row.amount) - 1 < exact < abs(row.amount) + 1  # strict, as the rule
        if not ok:
            found.append(
                problem(
                    f"BT-117 totals.breakdown[{i}].amount",
                    f"the {row.tax.label} amount is more than one unit away from "
                    f"{row.base} x {rate_text(row.tax.rate)}% (BR-CO-17); the seller's tax "
                    "rounding policy gives a total EN 16931 does not accept",
                    row.amount,
                )
            )
    return found


def rate_text(value: Decimal) -> str:
    """A rate without trailing zeros, for messages."""
    return f"{value.normalize():f}"


def _party_core(seller: Seller, customer: Customer, categories: set[TaxCategory]) -> list[Problem]:
    found: list[Problem] = []
    if customer.address is None:
        found.append(
            problem(
                "BT-55 customer.address.country",
                "the buyer's postal address with its country is required (BR-10, BR-11); "
                "set Customer.address=Address(country=...)",
            )
        )
    if categories & _SELLER_TAX_ID and seller.tax_id is None:
        found.append(
            problem(
                "BT-31 seller.tax_id",
                "the seller's VAT identifier or tax number is required for VAT categories "
                f"{', '.join(sorted(c.value for c in categories & _SELLER_TAX_ID))} "
                "(BR-S-02, BR-CO-26)",
            )
        )
    if not categories & _SELLER_TAX_ID and seller.tax_id is None and not seller.registration_id:
        found.append(
            problem(
                "BT-30 seller.registration_id",
                "the seller needs a legal registration id or tax id (BR-CO-26)",
            )
        )
    if customer.tax_id is not None and not _is_vat_id(customer.tax_id):
        found.append(
            problem(
                "BT-48 customer.tax_id",
                "a buyer VAT identifier starts with its ISO country code, e.g. 'FR40303265045' "
                "(BR-CO-09)",
                customer.tax_id,
            )
        )
    if TaxCategory.REVERSE_CHARGE in categories and not (
        customer.tax_id or customer.registration_id
    ):
        found.append(
            problem(
                "BT-48 customer.tax_id",
                "reverse charge (AE) needs the buyer's VAT identifier (BR-AE-02)",
            )
        )
    if TaxCategory.INTRA_COMMUNITY in categories and not customer.tax_id:
        found.append(
            problem(
                "BT-48 customer.tax_id",
                "an intra-community supply (K) needs the buyer's VAT identifier (BR-IC-02)",
            )
        )
    return found


def _k_period(doc: Invoice | CreditNote) -> list[Problem]:
    """BR-IC-11: an intra-community supply states when it happened (here: line periods)."""
    if TaxCategory.INTRA_COMMUNITY in _categories(doc) and any(
        line.period is None for line in doc.lines
    ):
        return [
            problem(
                "BG-14 lines[].period",
                "an intra-community supply (K) needs a service period on every line (BR-IC-11)",
            )
        ]
    return []


_EXTRA: Final = {"peppol": _peppol, "xrechnung": _xrechnung}


def check(doc: Invoice | CreditNote, profile: str, *, syntax: str | None = None) -> None:
    """Raise ValidationError listing every term ``profile`` requires that ``doc`` lacks.

    With ``syntax="cii"`` also what the Factur-X CII code lists lack (split payment, B).

    Each problem's path is ``"<BT number> <model path>"``, e.g. ``"BT-10 buyer_reference"``.
    """
    if profile not in PROFILES:
        raise ValidationError(
            [problem("profile", f"unknown profile; known: {', '.join(PROFILES)}", profile)],
            subject="e-invoice",
        )
    if isinstance(doc, Invoice) and (
        doc.number is None or doc.seller is None or doc.customer is None
    ):
        raise ValidationError(
            [problem("status", "only an issued invoice is exported; issue it first", doc.ref)],
            subject="e-invoice",
        )
    seller, customer = doc.seller, doc.customer
    if seller is None or customer is None:  # pragma: no cover - a CreditNote always has both
        raise ValidationError([problem("seller", "missing party snapshot")], subject="e-invoice")
    found = _core(doc, seller, customer) + _k_period(doc)
    if syntax == "cii":
        found += cii_category_problems(_categories(doc))
    extra = _EXTRA.get(profile)
    if extra is not None:
        found += extra(doc, seller, customer)
    if found:
        raise ValidationError(found, subject=f"{PROFILES[profile].title} e-invoice")

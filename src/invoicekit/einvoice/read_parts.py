"""The parts UBL and CII state alike, each read by one function given the syntax's paths.

VAT categories, allowances and charges, periods, addresses, contacts, tax ids, bank
accounts, unit codes and stated sums differ between the two syntaxes only in where
they stand; ``read_ubl`` and ``read_cii`` pass the paths.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final

import attrs

from invoicekit.domain.line import ServicePeriod
from invoicekit.domain.parties import Address, BankAccount, Contact, ElectronicAddress
from invoicekit.domain.received import received_account, received_address
from invoicekit.einvoice.code_tables import LIST_VERSION
from invoicekit.einvoice.codes import EAS, UNIT_CODES, VATEX
from invoicekit.einvoice.read_source import Source, Stated, build_or_fail, decimal, fail, text_of
from invoicekit.einvoice.read_stated import Adjustment, Row, StatedLine, TaxKey
from invoicekit.errors import ValidationError

_ONE_NOTE: Final = "the model keeps one note (BT-22); this one is not kept"
_ONE_LINE_NOTE: Final = "the model keeps one note per line (BT-127); this one is not kept"
_KEPT: Final = "kept as stated, though invoicekit would not issue it"


@attrs.frozen(kw_only=True)
class Paths:
    """Where one syntax states the parts both syntaxes share, relative to each part's element."""

    #: Dates are CII DateTimeStrings (format 102) rather than ISO 8601.
    cii: bool
    #: A period's start and end dates.
    period_start: str
    period_end: str
    #: A VAT category's code and rate, its tax scheme (read, nothing to keep), and in a
    #: VAT breakdown row its exemption reason and reason code.
    tax_category: str
    tax_rate: str
    tax_scheme: str
    tax_reason: str
    tax_reason_code: str
    #: An allowance's or charge's indicator, amount, reason, percent, base and VAT category.
    charge_indicator: str
    charge_amount: str
    charge_reason: str
    charge_percent: str
    charge_base: str
    charge_tax: str
    #: The number and issue date of the invoice a credit note credits.
    preceding_number: str
    preceding_date: str


def tax_key(src: Source, node: Any, paths: Paths) -> TaxKey:
    """The VAT category and rate stated in ``node``."""
    src.text(node, paths.tax_scheme)
    return TaxKey(
        src.required(node, paths.tax_category, "the VAT category code"),
        src.number(node, paths.tax_rate),
        src.path(node),
    )


def row(src: Source, node: Any, base: Stated, amount: Stated, paths: Paths) -> Row:
    """A VAT breakdown row: its category ``node`` with the exemption reason, base and amount."""
    code = src.one(node, paths.tax_reason_code)
    if code is not None and text_of(code) not in VATEX:
        src.warn(code, "not a VATEX exemption reason code invoicekit knows", text_of(code))
    return Row(
        tax_key(src, node, paths),
        base,
        amount,
        src.text(node, paths.tax_reason),
        None if code is None else text_of(code),
    )


def adjustment(src: Source, node: Any, paths: Paths) -> Adjustment:
    """An allowance or charge; its amount is required, its VAT category is not (on lines)."""
    indicator = src.required(node, paths.charge_indicator, "the charge indicator")
    amount = src.amount(node, paths.charge_amount)
    if amount is None:
        name = paths.charge_amount.rpartition(":")[2]
        raise fail(src.path(node), f"an allowance or charge needs an {name}")
    category = src.one(node, paths.charge_tax)
    return Adjustment(
        path=src.path(node),
        charge=indicator.lower() == "true",
        amount=amount,
        reason=src.text(node, paths.charge_reason),
        percent=src.number(node, paths.charge_percent),
        base=src.number(node, paths.charge_base),
        tax=tax_key(src, category, paths) if category is not None else None,
    )


def period(src: Source, node: Any | None, paths: Paths) -> ServicePeriod | None:
    """A period from its start and end dates; one without both is reported, not fatal."""
    if node is None:
        return None
    start = src.date(node, paths.period_start, cii=paths.cii)
    end = src.date(node, paths.period_end, cii=paths.cii)
    if start is None or end is None:
        src.note(node, "a period needs both a start and an end date")
        return None
    return src.build(node, lambda: ServicePeriod(start, end))


def line(
    src: Source,
    node: Any,
    *,
    name: str,
    quantity: Any,
    net: Stated,
    price: Stated,
    base_quantity: Decimal | None,
    tax: Any,
    period_node: Any | None,
    adjustments: Sequence[Any],
    paths: Paths,
    notes: Sequence[Any] = (),
) -> StatedLine:
    """A line from the elements the syntax's reader found: the quantity with its unit, VAT, period.

    ``notes``: the line's note elements (BT-127, UBL ``cbc:Note``, CII ``ram:Content``);
    the first is kept, any other is reported as not kept.
    """
    for extra in notes[1:]:
        src.note(extra, _ONE_LINE_NOTE)
    return StatedLine(
        path=src.path(node),
        name=name,
        quantity=decimal(text_of(quantity), lambda: src.path(quantity)),
        unit=unit(src, quantity),
        net=net,
        price=price.value,
        base_quantity=base_quantity if base_quantity is not None else Decimal(1),
        tax=tax_key(src, tax, paths),
        period=period(src, period_node, paths),
        adjustments=tuple(adjustment(src, a, paths) for a in adjustments),
        note=text_of(notes[0]) if notes else None,
    )


def invoice_period(
    src: Source, parent: Any, path: str, paths: Paths
) -> tuple[ServicePeriod, str] | None:
    """The invoice period (BG-14) with its XPath, to compare with the one the lines give."""
    node = src.one(parent, path)
    found = period(src, node, paths)
    return (found, src.path(node)) if found is not None else None


def preceding(src: Source, node: Any | None, paths: Paths) -> tuple[str, date] | None:
    """The number and issue date of the invoice a credit note credits (BT-25/26)."""
    if node is None:
        return None
    number = src.text(node, paths.preceding_number)
    issued = src.date(node, paths.preceding_date, cii=paths.cii)
    if number is None or issued is None:
        src.note(node, "a preceding invoice needs both its number and issue date")
        return None
    return number, issued


def address(src: Source, node: Any | None, *, country: str, **fields: str) -> Address | None:
    """A postal address; ``fields`` maps each Address field but the country to its path."""
    if node is None:
        return None
    values = {field: one_line(src, node, path) for field, path in fields.items()}
    code = src.text(node, country) or ""
    return src.build(node, lambda: Address(country=code, **values))


def contact(
    src: Source,
    node: Any | None,
    *,
    name: tuple[str, ...],
    phone: tuple[str, ...],
    email: tuple[str, ...],
) -> Contact | None:
    """A contact point; a phone or e-mail the model refuses is reported, not fatal."""
    if node is None:
        return None
    values: dict[str, str | None] = {}
    nodes: dict[str, Any] = {}
    for field, paths in (("name", name), ("phone", phone), ("email", email)):
        found = src.one(node, "/".join(paths))
        nodes[field] = found
        values[field] = None if found is None else text_of(found)
    if values["phone"] is not None:
        values["phone"] = re.sub(r"[\s()./-]", "", values["phone"])
    for field in ("phone", "email"):
        if values[field] is None:
            continue
        try:
            Contact(**{field: values[field]})
        except ValidationError as exc:
            src.note(nodes[field], f"not kept: {exc.problems[0].message}")
            values[field] = None
    if not any(values.values()):
        return None
    return build_or_fail(src.path(node), lambda: Contact(**values))


def tax_ids(src: Source, ids: Sequence[tuple[bool, Any]]) -> tuple[str | None, str | None]:
    """The VAT id (BT-31/48) and the first other tax number (BT-32); the model keeps one."""
    vat = next((n for is_vat, n in ids if is_vat and n is not None), None)
    other = next((n for is_vat, n in ids if not is_vat and n is not None), None)
    if vat is not None and other is not None:
        src.note(other, "the model holds one tax id per party; the VAT id is kept")
    return (
        text_of(vat) if vat is not None else None,
        text_of(other) if other is not None and vat is None else None,
    )


def endpoint(src: Source, node: Any | None) -> ElectronicAddress | None:
    """A party's electronic address (BT-34/49) with its scheme; an odd one is kept with a warning."""
    if node is None:
        return None
    scheme, value = node.get("schemeID", ""), text_of(node) or ""
    if not value:
        src.warn(node, "an electronic address with no id; not kept", scheme)
        return None
    if scheme not in EAS:
        src.warn(f"{src.path(node)}/@schemeID", "not a code of the EAS code list", scheme)
    try:
        return ElectronicAddress(scheme, value)
    except ValidationError as exc:
        for found in exc.problems:
            src.warn(node, f"{_KEPT}: {found.message}", value)
    return src.build(node, lambda: received_address(scheme, value))


def bank_account(src: Source, node: Any, *, iban: str, holder: str, bic: Any | None) -> BankAccount:
    """The payee's account (BG-17), kept as stated; an IBAN or BIC of another shape is warned of.

    ``bic`` is the BIC's element, which CII states outside the account.
    """
    number_node = src.one(node, iban)
    number = "" if number_node is None else text_of(number_node) or ""
    name, code = src.text(node, holder), None if bic is None else text_of(bic)
    try:
        return BankAccount(iban=number, bic=code, holder=name)
    except ValidationError as exc:
        where = {"iban": number_node, "bic": bic}
        for found in exc.problems:
            at = where.get(found.path)
            src.warn(
                src.path(node) if at is None else at, f"{_KEPT}: {found.message}", str(found.value)
            )
    return src.build(node, lambda: received_account(number, code, name))


def one_line(src: Source, parent: Any, path: str) -> str | None:
    """A name or address line; one stated over several lines is joined into one, with a warning."""
    node = src.one(parent, path)
    value = None if node is None else text_of(node)
    if node is None or value is None or value.isprintable():
        return value
    joined = " ".join(value.split())
    src.warn(node, "stated over several lines; read as one line", value)
    return joined


def unit(src: Source, node: Any) -> str:
    """The unit code of a quantity; one invoicekit does not know is refused."""
    code = node.get("unitCode")
    if code not in UNIT_CODES:
        raise fail(
            f"{src.path(node)}/@unitCode",
            "a UN/ECE Rec 20 or Rec 21 unit code of the list the official rules check "
            f"(BR-CL-23; {len(UNIT_CODES)} codes, read from {LIST_VERSION})",
            code,
        )
    return str(code)


def type_code(src: Source, node: Any | None, credit: bool) -> None:
    """Report a document type code the model cannot tell apart from 380 or 381."""
    text = None if node is None else text_of(node)
    if node is not None and text != ("381" if credit else "380"):
        kind = "credit note (381)" if credit else "commercial invoice (380)"
        src.note(node, f"read as a {kind}; the model has no other document types")


def one_note(src: Source, notes: Sequence[Any]) -> None:
    """Report every note after the first: the model keeps one (BT-22)."""
    for extra in notes[1:]:
        src.note(extra, _ONE_NOTE)


def amounts(src: Source, node: Any, paths: Mapping[str, str]) -> dict[str, Stated]:
    """The sums stated at ``paths``, by business term; the absent ones left out."""
    found = {term: src.amount(node, path) for term, path in paths.items()}
    return {term: stated for term, stated in found.items() if stated is not None}

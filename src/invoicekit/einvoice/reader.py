"""Read a received e-invoice (UBL 2.1 or CII D16B) into invoicekit's model and check its sums.

``read(xml)`` parses only through :func:`invoicekit.einvoice.safexml.parse` (hostile XML
is refused), maps every EN 16931 term invoicekit models into an issued ``Invoice`` or a
``CreditNote`` built through the public constructors, reports every element it did not
map with its XPath, and recomputes the totals with invoicekit's engine to tell whether
the sender's BT-106 ... BT-115 are right. For XML our writers produced, exporting the
read document again gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import partial
from typing import Any, Final, TypeVar

import attrs

from invoicekit._extras import require
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.lifecycle import Issue, RecordPayment, apply
from invoicekit.domain.line import Charge, Discount, Line, ServicePeriod
from invoicekit.domain.parties import (
    Address,
    BankAccount,
    Contact,
    Customer,
    ElectronicAddress,
    Seller,
)
from invoicekit.domain.policy import PriceMode, RoundingPolicy, TaxRounding
from invoicekit.domain.tax import Tax, TaxCategory
from invoicekit.domain.terms import EndOfMonth, FixedDate, NetDays, PaymentTerms
from invoicekit.domain.totals import Totals, compute_totals
from invoicekit.einvoice.codes import UNIT_CODES, payment_means_code
from invoicekit.einvoice.profiles import PROFILES
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.money import Rounding, check_currency, minor_unit

__all__ = ["Difference", "ReadResult", "UnknownElement", "read"]

_T = TypeVar("_T")
_SUBJECT: Final = "e-invoice"
_NS: Final = {
    "ubl": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
_PREFIX: Final = {uri: prefix for prefix, uri in _NS.items()}
_DECIMAL: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_MAX_ID: Final = 64
_CREDIT_CODES: Final = frozenset({"381", "261", "262", "296", "308", "396", "420", "458", "532"})
_CASH_STEPS: Final = tuple(
    Decimal(s) for s in ("0.05", "0.1", "0.2", "0.25", "0.5", "1", "5", "10")
)
_NOT_MAPPED: Final = "not mapped to the invoicekit model"


@attrs.frozen
class UnknownElement:
    """An element of the XML the read document does not hold, with its XPath and why."""

    path: str
    text: str | None
    reason: str = _NOT_MAPPED


@attrs.frozen
class Difference:
    """A stated amount (BT-106 ... BT-131) that invoicekit's engine computes differently."""

    term: str
    path: str
    stated: Decimal | None
    computed: Decimal | None


@attrs.frozen
class ReadResult:
    """What ``read`` found: the document, its syntax and profile, what was not mapped, the sums."""

    #: An issued Invoice, or a CreditNote (which names the invoice it credits).
    document: Invoice | CreditNote
    #: "ubl" or "cii".
    syntax: str
    #: The profile name ("en16931", "peppol", "xrechnung") whose BT-24 the XML states, else None.
    profile: str | None
    #: BT-24 as stated.
    specification: str | None
    #: Every element not held by ``document`` (never silently dropped).
    unknown: tuple[UnknownElement, ...]
    #: True when the engine, from the read lines, computes every stated amount exactly.
    totals_match: bool
    #: The stated amounts the engine computes differently, by business term.
    differences: tuple[Difference, ...]

    @property
    def credits(self) -> tuple[str, date] | None:
        """For a credit note, the number and issue date of the invoice it credits (BT-25/26)."""
        if isinstance(self.document, CreditNote):
            return self.document.invoice_number, self.document.invoice_issue_date
        return None


# -- what the XML states, syntax-neutral ----------------------------------------------------


@attrs.frozen
class _Stated:
    value: Decimal
    path: str


@attrs.frozen
class _TaxKey:
    category: str
    rate: Decimal | None
    path: str


@attrs.frozen
class _Party:
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
class _Adjustment:
    path: str
    charge: bool
    amount: _Stated
    reason: str | None
    percent: Decimal | None
    base: Decimal | None
    tax: _TaxKey | None


@attrs.frozen
class _Row:
    key: _TaxKey
    base: _Stated
    amount: _Stated
    reason: str | None
    code: str | None


@attrs.frozen
class _Line:
    path: str
    name: str
    quantity: Decimal
    unit: str
    net: _Stated
    price: Decimal
    base_quantity: Decimal
    tax: _TaxKey
    period: ServicePeriod | None
    adjustments: tuple[_Adjustment, ...]


@attrs.define
class _Doc:
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
    preceding: tuple[str, date] | None = None
    seller: _Party | None = None
    buyer: _Party | None = None
    means: tuple[str, str] | None = None
    payment_id: tuple[str, str] | None = None
    account: BankAccount | None = None
    terms: tuple[str, str] | None = None
    adjustments: list[_Adjustment] = attrs.Factory(list)
    rows: list[_Row] = attrs.Factory(list)
    lines: list[_Line] = attrs.Factory(list)
    stated: dict[str, _Stated] = attrs.Factory(dict)
    root: str = ""


def _fail(path: str, message: str, value: object = None) -> ValidationError:
    found = problem(path, message, value) if value is not None else problem(path, message)
    return ValidationError([found], subject=_SUBJECT)


class _Source:
    """Walks one parsed document, remembering every element read so the rest can be reported."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.seen: set[Any] = {root}
        self.notes: list[UnknownElement] = []

    @staticmethod
    def tag(step: str) -> str:
        prefix, local = step.split(":")
        return f"{{{_NS[prefix]}}}{local}"

    def one(self, parent: Any, path: str) -> Any | None:
        node = parent
        for step in path.split("/"):
            node = node.find(self.tag(step))
            if node is None:
                return None
            self.seen.add(node)
        return node

    def all(self, parent: Any, path: str) -> list[Any]:
        head, _, last = path.rpartition("/")
        node = self.one(parent, head) if head else parent
        if node is None:
            return []
        found = node.findall(self.tag(last))
        self.seen.update(found)
        return list(found)

    def text(self, parent: Any, path: str) -> str | None:
        node = self.one(parent, path)
        return None if node is None else _text_of(node)

    def required(self, parent: Any, path: str, term: str) -> str:
        value = self.text(parent, path)
        if value is None:
            where = f"{self.path(parent)}/{path}"
            raise _fail(where, f"{term} is required; the document does not state it")
        return value

    def amount(self, parent: Any, path: str) -> _Stated | None:
        node = self.one(parent, path)
        if node is None:
            return None
        where = self.path(node)
        return _Stated(_decimal(_text_of(node), where), where)

    def number(self, parent: Any, path: str) -> Decimal | None:
        found = self.amount(parent, path)
        return None if found is None else found.value

    def date(self, parent: Any, path: str, *, cii: bool = False) -> date | None:
        node = self.one(parent, path)
        if node is None:
            return None
        return _date(self, node, cii=cii)

    def note(self, node: Any, reason: str) -> None:
        self.notes.append(UnknownElement(self.path(node), _text_of(node), reason))

    def path(self, node: Any) -> str:
        parts: list[str] = []
        while node is not None:
            parent = node.getparent()
            name = _prefixed(node.tag)
            if parent is not None:
                same = [c for c in parent if c.tag == node.tag]
                if len(same) > 1:
                    name += f"[{same.index(node) + 1}]"
            parts.append(name)
            node = parent
        return "/" + "/".join(reversed(parts))

    def unknown(self) -> tuple[UnknownElement, ...]:
        """The topmost elements never read, then the read ones the model cannot hold."""
        found = [
            UnknownElement(self.path(node), _text_of(node))
            for node in self.root.iter("{*}*")
            if node not in self.seen and node.getparent() in self.seen
        ]
        return (*found, *self.notes)


def _prefixed(tag: str) -> str:
    uri, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    prefix = _PREFIX.get(uri)
    return f"{prefix}:{local}" if prefix else tag


def _text_of(node: Any) -> str | None:
    value = (node.text or "").strip()
    return value or None


def _decimal(text: str | None, where: str) -> Decimal:
    """A number as written in the XML, as an exact Decimal (never through float)."""
    if text is None or not _DECIMAL.fullmatch(text):
        raise _fail(where, "must be a decimal number like 1234.56", text)
    return Decimal(text)


def _date(src: _Source, node: Any, *, cii: bool) -> date:
    where = src.path(node)
    if cii:
        inner = src.one(node, "udt:DateTimeString")
        if inner is None:
            inner = src.one(node, "qdt:DateTimeString")
        if inner is None:
            raise _fail(where, "needs a DateTimeString child")
        text, where = _text_of(inner), src.path(inner)
        if inner.get("format", "102") != "102" or text is None or not re.fullmatch(r"\d{8}", text):
            raise _fail(where, "must be a date in format 102 (YYYYMMDD)", text)
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    else:
        text = _text_of(node)
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise _fail(where, "must be a date like 2026-03-01", text) from None


def _build_or_fail(where: str, build: Callable[[], _T]) -> _T:
    """Run a model constructor, putting the XPath in front of every problem it reports."""
    try:
        return build()
    except ValidationError as exc:
        raise ValidationError(
            [
                Problem(f"{where} {p.path}".strip(), p.message, p.value, p.has_value)
                for p in exc.problems
            ],
            subject=_SUBJECT,
        ) from None


# -- UBL ------------------------------------------------------------------------------------


def _ubl_tax_key(src: _Source, node: Any) -> _TaxKey:
    return _TaxKey(
        src.required(node, "cbc:ID", "the VAT category code"),
        src.number(node, "cbc:Percent"),
        src.path(node),
    )


def _ubl_tax_scheme(src: _Source, node: Any) -> None:
    src.text(node, "cac:TaxScheme/cbc:ID")


def _ubl_party(src: _Source, node: Any | None, who: str) -> _Party:
    if node is None:
        raise _fail(who, "the document names no such party")
    endpoint = src.one(node, "cbc:EndpointID")
    address = _ubl_address(src, src.one(node, "cac:PostalAddress"))
    ids = [
        (src.text(scheme, "cac:TaxScheme/cbc:ID") == "VAT", src.one(scheme, "cbc:CompanyID"))
        for scheme in src.all(node, "cac:PartyTaxScheme")
    ]
    vat_id, tax_number = _tax_ids(src, ids)
    legal = src.one(node, "cac:PartyLegalEntity")
    contact_node = src.one(node, "cac:Contact")
    return _Party(
        path=src.path(node),
        name=src.text(legal, "cbc:RegistrationName") if legal is not None else None,
        trading_name=src.text(node, "cac:PartyName/cbc:Name") if who == "seller" else None,
        registration_id=src.text(legal, "cbc:CompanyID") if legal is not None else None,
        vat_id=vat_id,
        tax_number=tax_number,
        endpoint=_endpoint(src, endpoint),
        address=address,
        contact=_contact(
            src,
            contact_node,
            name=("cbc:Name",),
            phone=("cbc:Telephone",),
            email=("cbc:ElectronicMail",),
        ),
    )


def _tax_ids(src: _Source, ids: Sequence[tuple[bool, Any]]) -> tuple[str | None, str | None]:
    """The VAT id (BT-31/48) and the first other tax number (BT-32); the model keeps one."""
    vat = next((n for is_vat, n in ids if is_vat and n is not None), None)
    other = next((n for is_vat, n in ids if not is_vat and n is not None), None)
    if vat is not None and other is not None:
        src.note(other, "the model holds one tax id per party; the VAT id is kept")
    return (
        _text_of(vat) if vat is not None else None,
        _text_of(other) if other is not None and vat is None else None,
    )


def _endpoint(src: _Source, node: Any | None) -> ElectronicAddress | None:
    if node is None:
        return None
    scheme, value = node.get("schemeID", ""), _text_of(node)
    return _build_or_fail(src.path(node), lambda: ElectronicAddress(scheme, value or ""))


def _ubl_address(src: _Source, node: Any | None) -> Address | None:
    if node is None:
        return None
    fields = {
        "line1": src.text(node, "cbc:StreetName"),
        "line2": src.text(node, "cbc:AdditionalStreetName"),
        "city": src.text(node, "cbc:CityName"),
        "postal_code": src.text(node, "cbc:PostalZone"),
        "region": src.text(node, "cbc:CountrySubentity"),
    }
    country = src.text(node, "cac:Country/cbc:IdentificationCode") or ""
    return _build_or_fail(src.path(node), lambda: Address(country=country, **fields))


def _contact(
    src: _Source,
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
        values[field] = None if found is None else _text_of(found)
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
    return _build_or_fail(src.path(node), lambda: Contact(**values))


def _ubl_adjustment(src: _Source, node: Any) -> _Adjustment:
    indicator = src.required(node, "cbc:ChargeIndicator", "the charge indicator")
    amount = src.amount(node, "cbc:Amount")
    if amount is None:
        raise _fail(src.path(node), "an allowance or charge needs an Amount")
    category = src.one(node, "cac:TaxCategory")
    if category is not None:
        _ubl_tax_scheme(src, category)
    return _Adjustment(
        path=src.path(node),
        charge=indicator.lower() == "true",
        amount=amount,
        reason=src.text(node, "cbc:AllowanceChargeReason"),
        percent=src.number(node, "cbc:MultiplierFactorNumeric"),
        base=src.number(node, "cbc:BaseAmount"),
        tax=_ubl_tax_key(src, category) if category is not None else None,
    )


def _ubl_period(src: _Source, node: Any | None) -> ServicePeriod | None:
    if node is None:
        return None
    start, end = src.date(node, "cbc:StartDate"), src.date(node, "cbc:EndDate")
    if start is None or end is None:
        src.note(node, "a period needs both a start and an end date")
        return None
    return _build_or_fail(src.path(node), lambda: ServicePeriod(start, end))


def _ubl_line(src: _Source, node: Any, credit: bool) -> _Line:
    where = src.path(node)
    src.text(node, "cbc:ID")
    qty = src.one(node, "cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity")
    if qty is None:
        raise _fail(where, "a line needs a quantity (BT-129)")
    net = src.amount(node, "cbc:LineExtensionAmount")
    if net is None:
        raise _fail(where, "a line needs a net amount (BT-131)")
    item = src.one(node, "cac:Item")
    category = src.one(item, "cac:ClassifiedTaxCategory") if item is not None else None
    if item is None or category is None:
        raise _fail(where, "a line needs an item with its VAT category (BT-151)")
    _ubl_tax_scheme(src, category)
    price = src.one(node, "cac:Price")
    price_amount = src.amount(price, "cbc:PriceAmount") if price is not None else None
    if price is None or price_amount is None:
        raise _fail(where, "a line needs a net price (BT-146)")
    base_qty = src.number(price, "cbc:BaseQuantity")
    return _Line(
        path=where,
        name=src.required(item, "cbc:Name", "the item name (BT-153)"),
        quantity=_decimal(_text_of(qty), src.path(qty)),
        unit=_unit(src, qty),
        net=net,
        price=price_amount.value,
        base_quantity=base_qty if base_qty is not None else Decimal(1),
        tax=_ubl_tax_key(src, category),
        period=_ubl_period(src, src.one(node, "cac:InvoicePeriod")),
        adjustments=tuple(_ubl_adjustment(src, a) for a in src.all(node, "cac:AllowanceCharge")),
    )


def _unit(src: _Source, node: Any) -> str:
    code = node.get("unitCode")
    if code not in UNIT_CODES:
        raise _fail(
            f"{src.path(node)}/@unitCode",
            "not a UN/ECE Rec 20 unit code invoicekit knows; known: " + ", ".join(UNIT_CODES),
            code,
        )
    return str(code)


def _read_ubl(src: _Source, root: Any, credit: bool) -> _Doc:
    d = _Doc(credit=credit, root=src.path(root))
    d.specification = src.text(root, "cbc:CustomizationID")
    src.text(root, "cbc:ProfileID")
    d.number = src.required(root, "cbc:ID", "the invoice number (BT-1)")
    d.issue_date = src.date(root, "cbc:IssueDate") or _missing(src, root, "cbc:IssueDate", "BT-2")
    d.due_date = src.date(root, "cbc:DueDate")
    code = src.one(root, "cbc:CreditNoteTypeCode" if credit else "cbc:InvoiceTypeCode")
    _type_code(src, code, credit)
    notes = src.all(root, "cbc:Note")
    d.note = _text_of(notes[0]) if notes else None
    for extra in notes[1:]:
        src.note(extra, "the model keeps one note (BT-22); this one is not kept")
    d.currency = src.required(root, "cbc:DocumentCurrencyCode", "the currency (BT-5)")
    d.buyer_reference = src.text(root, "cbc:BuyerReference")
    period = src.one(root, "cac:InvoicePeriod")
    found = _ubl_period(src, period)
    d.period = (found, src.path(period)) if found is not None else None
    d.order_reference = src.text(root, "cac:OrderReference/cbc:ID")
    billing = src.one(root, "cac:BillingReference/cac:InvoiceDocumentReference")
    if billing is not None:
        ref_date = src.date(billing, "cbc:IssueDate")
        ref = src.text(billing, "cbc:ID")
        if ref is not None and ref_date is not None:
            d.preceding = (ref, ref_date)
        else:
            src.note(billing, "a preceding invoice needs both its number and issue date")
    d.contract_reference = src.text(root, "cac:ContractDocumentReference/cbc:ID")
    d.project_reference = src.text(root, "cac:ProjectReference/cbc:ID")
    d.seller = _ubl_party(src, src.one(root, "cac:AccountingSupplierParty/cac:Party"), "seller")
    d.buyer = _ubl_party(src, src.one(root, "cac:AccountingCustomerParty/cac:Party"), "customer")
    means = src.one(root, "cac:PaymentMeans")
    if means is not None:
        _ubl_means(src, d, means)
    terms = src.one(root, "cac:PaymentTerms/cbc:Note")
    if terms is not None and _text_of(terms) is not None:
        d.terms = (_text_of(terms) or "", src.path(terms))
    d.adjustments = [_ubl_adjustment(src, a) for a in src.all(root, "cac:AllowanceCharge")]
    _ubl_tax_total(src, d, root)
    total = src.one(root, "cac:LegalMonetaryTotal")
    if total is None:
        raise _fail(d.root, "the document states no totals (LegalMonetaryTotal)")
    for term, name in (
        ("BT-106", "LineExtensionAmount"),
        ("BT-109", "TaxExclusiveAmount"),
        ("BT-112", "TaxInclusiveAmount"),
        ("BT-107", "AllowanceTotalAmount"),
        ("BT-108", "ChargeTotalAmount"),
        ("BT-113", "PrepaidAmount"),
        ("BT-114", "PayableRoundingAmount"),
        ("BT-115", "PayableAmount"),
    ):
        stated = src.amount(total, f"cbc:{name}")
        if stated is not None:
            d.stated[term] = stated
    line_name = "cac:CreditNoteLine" if credit else "cac:InvoiceLine"
    d.lines = [_ubl_line(src, line, credit) for line in src.all(root, line_name)]
    return d


def _missing(src: _Source, parent: Any, path: str, term: str) -> date:
    raise _fail(f"{src.path(parent)}/{path}", f"{term} is required; the document does not state it")


def _type_code(src: _Source, node: Any | None, credit: bool) -> None:
    text = None if node is None else _text_of(node)
    if node is not None and text != ("381" if credit else "380"):
        kind = "credit note (381)" if credit else "commercial invoice (380)"
        src.note(node, f"read as a {kind}; the model has no other document types")


def _ubl_means(src: _Source, d: _Doc, means: Any) -> None:
    code = src.one(means, "cbc:PaymentMeansCode")
    if code is not None:
        d.means = (_text_of(code) or "", src.path(code))
    payment_id = src.one(means, "cbc:PaymentID")
    if payment_id is not None:
        d.payment_id = (_text_of(payment_id) or "", src.path(payment_id))
    account = src.one(means, "cac:PayeeFinancialAccount")
    if account is not None:
        iban = src.text(account, "cbc:ID") or ""
        holder = src.text(account, "cbc:Name")
        bic = src.text(account, "cac:FinancialInstitutionBranch/cbc:ID")
        d.account = _build_or_fail(
            src.path(account), lambda: BankAccount(iban=iban, bic=bic, holder=holder)
        )


def _ubl_tax_total(src: _Source, d: _Doc, root: Any) -> None:
    for tax_total in root.findall(src.tag("cac:TaxTotal")):
        amount = tax_total.find(src.tag("cbc:TaxAmount"))
        if amount is not None and amount.get("currencyID", d.currency) != d.currency:
            continue  # BT-111 in the tax currency: left for the unknown report
        src.seen.add(tax_total)
        stated = src.amount(tax_total, "cbc:TaxAmount")
        if stated is not None:
            d.stated["BT-110"] = stated
        for sub in src.all(tax_total, "cac:TaxSubtotal"):
            category = src.one(sub, "cac:TaxCategory")
            base, amount_ = src.amount(sub, "cbc:TaxableAmount"), src.amount(sub, "cbc:TaxAmount")
            if category is None or base is None or amount_ is None:
                raise _fail(
                    src.path(sub), "a VAT breakdown row needs its base, amount and category"
                )
            _ubl_tax_scheme(src, category)
            d.rows.append(
                _Row(
                    _ubl_tax_key(src, category),
                    base,
                    amount_,
                    src.text(category, "cbc:TaxExemptionReason"),
                    src.text(category, "cbc:TaxExemptionReasonCode"),
                )
            )
        break


# -- CII ------------------------------------------------------------------------------------


def _cii_tax_key(src: _Source, node: Any) -> _TaxKey:
    src.text(node, "ram:TypeCode")
    return _TaxKey(
        src.required(node, "ram:CategoryCode", "the VAT category code"),
        src.number(node, "ram:RateApplicablePercent"),
        src.path(node),
    )


def _cii_party(src: _Source, node: Any | None, who: str) -> _Party:
    if node is None:
        raise _fail(who, "the document names no such party")
    org = src.one(node, "ram:SpecifiedLegalOrganization")
    contact = _contact(
        src,
        src.one(node, "ram:DefinedTradeContact"),
        name=("ram:PersonName",),
        phone=("ram:TelephoneUniversalCommunication", "ram:CompleteNumber"),
        email=("ram:EmailURIUniversalCommunication", "ram:URIID"),
    )
    postal = src.one(node, "ram:PostalTradeAddress")
    address = None
    if postal is not None:
        fields = {
            "postal_code": src.text(postal, "ram:PostcodeCode"),
            "line1": src.text(postal, "ram:LineOne"),
            "line2": src.text(postal, "ram:LineTwo"),
            "city": src.text(postal, "ram:CityName"),
            "region": src.text(postal, "ram:CountrySubDivisionName"),
        }
        country = src.text(postal, "ram:CountryID") or ""
        address = _build_or_fail(src.path(postal), lambda: Address(country=country, **fields))
    idents = [src.one(reg, "ram:ID") for reg in src.all(node, "ram:SpecifiedTaxRegistration")]
    vat_id, tax_number = _tax_ids(
        src, [(i.get("schemeID") == "VA", i) for i in idents if i is not None]
    )
    return _Party(
        path=src.path(node),
        name=src.text(node, "ram:Name"),
        trading_name=src.text(org, "ram:TradingBusinessName")
        if org is not None and who == "seller"
        else None,
        registration_id=src.text(org, "ram:ID") if org is not None else None,
        vat_id=vat_id,
        tax_number=tax_number,
        endpoint=_endpoint(src, src.one(node, "ram:URIUniversalCommunication/ram:URIID")),
        address=address,
        contact=contact,
    )


def _cii_adjustment(src: _Source, node: Any) -> _Adjustment:
    indicator = src.required(node, "ram:ChargeIndicator/udt:Indicator", "the charge indicator")
    amount = src.amount(node, "ram:ActualAmount")
    if amount is None:
        raise _fail(src.path(node), "an allowance or charge needs an ActualAmount")
    category = src.one(node, "ram:CategoryTradeTax")
    return _Adjustment(
        path=src.path(node),
        charge=indicator.lower() == "true",
        amount=amount,
        reason=src.text(node, "ram:Reason"),
        percent=src.number(node, "ram:CalculationPercent"),
        base=src.number(node, "ram:BasisAmount"),
        tax=_cii_tax_key(src, category) if category is not None else None,
    )


def _cii_period(src: _Source, node: Any | None) -> ServicePeriod | None:
    if node is None:
        return None
    start = src.date(node, "ram:StartDateTime", cii=True)
    end = src.date(node, "ram:EndDateTime", cii=True)
    if start is None or end is None:
        src.note(node, "a period needs both a start and an end date")
        return None
    return _build_or_fail(src.path(node), lambda: ServicePeriod(start, end))


def _cii_line(src: _Source, node: Any) -> _Line:
    where = src.path(node)
    src.text(node, "ram:AssociatedDocumentLineDocument/ram:LineID")
    qty = src.one(node, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")
    price = src.one(node, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice")
    settlement = src.one(node, "ram:SpecifiedLineTradeSettlement")
    if qty is None or price is None or settlement is None:
        raise _fail(where, "a line needs a quantity, a net price and its settlement")
    category = src.one(settlement, "ram:ApplicableTradeTax")
    net = src.amount(
        settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
    )
    price_amount = src.amount(price, "ram:ChargeAmount")
    if category is None or net is None or price_amount is None:
        raise _fail(where, "a line needs its VAT category, net amount and net price")
    base_qty = src.number(price, "ram:BasisQuantity")
    return _Line(
        path=where,
        name=src.required(node, "ram:SpecifiedTradeProduct/ram:Name", "the item name (BT-153)"),
        quantity=_decimal(_text_of(qty), src.path(qty)),
        unit=_unit(src, qty),
        net=net,
        price=price_amount.value,
        base_quantity=base_qty if base_qty is not None else Decimal(1),
        tax=_cii_tax_key(src, category),
        period=_cii_period(src, src.one(settlement, "ram:BillingSpecifiedPeriod")),
        adjustments=tuple(
            _cii_adjustment(src, a)
            for a in src.all(settlement, "ram:SpecifiedTradeAllowanceCharge")
        ),
    )


def _read_cii(src: _Source, root: Any) -> _Doc:
    d = _Doc(root=src.path(root))
    context = src.one(root, "rsm:ExchangedDocumentContext")
    if context is not None:
        src.text(context, "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID")
        d.specification = src.text(context, "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID")
    header = src.one(root, "rsm:ExchangedDocument")
    if header is None:
        raise _fail(d.root, "the document has no ExchangedDocument (BT-1, BT-2, BT-3)")
    d.number = src.required(header, "ram:ID", "the invoice number (BT-1)")
    code = src.one(header, "ram:TypeCode")
    d.credit = code is not None and _text_of(code) in _CREDIT_CODES
    _type_code(src, code, d.credit)
    d.issue_date = src.date(header, "ram:IssueDateTime", cii=True) or _missing(
        src, header, "ram:IssueDateTime", "BT-2"
    )
    notes = src.all(header, "ram:IncludedNote")
    if notes:
        d.note = src.text(notes[0], "ram:Content")
    for extra in notes[1:]:
        src.note(extra, "the model keeps one note (BT-22); this one is not kept")
    trade = src.one(root, "rsm:SupplyChainTradeTransaction")
    if trade is None:
        raise _fail(d.root, "the document has no SupplyChainTradeTransaction")
    agreement = src.one(trade, "ram:ApplicableHeaderTradeAgreement")
    settlement = src.one(trade, "ram:ApplicableHeaderTradeSettlement")
    if agreement is None or settlement is None:
        raise _fail(src.path(trade), "needs ApplicableHeaderTradeAgreement and ...Settlement")
    src.one(trade, "ram:ApplicableHeaderTradeDelivery")
    d.buyer_reference = src.text(agreement, "ram:BuyerReference")
    d.seller = _cii_party(src, src.one(agreement, "ram:SellerTradeParty"), "seller")
    d.buyer = _cii_party(src, src.one(agreement, "ram:BuyerTradeParty"), "customer")
    d.order_reference = src.text(agreement, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID")
    d.contract_reference = src.text(
        agreement, "ram:ContractReferencedDocument/ram:IssuerAssignedID"
    )
    project = src.one(agreement, "ram:SpecifiedProcuringProject")
    if project is not None:
        d.project_reference = src.text(project, "ram:ID")
        src.text(project, "ram:Name")
    _cii_settlement(src, d, settlement)
    d.lines = [_cii_line(src, n) for n in src.all(trade, "ram:IncludedSupplyChainTradeLineItem")]
    return d


def _cii_means(src: _Source, d: _Doc, means: Any | None) -> None:
    if means is None:
        return
    code = src.one(means, "ram:TypeCode")
    if code is not None:
        d.means = (_text_of(code) or "", src.path(code))
    account = src.one(means, "ram:PayeePartyCreditorFinancialAccount")
    if account is not None:
        iban = src.text(account, "ram:IBANID") or ""
        holder = src.text(account, "ram:AccountName")
        bic = src.text(means, "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID")
        d.account = _build_or_fail(
            src.path(account), lambda: BankAccount(iban=iban, bic=bic, holder=holder)
        )


def _cii_settlement(src: _Source, d: _Doc, settlement: Any) -> None:
    reference = src.one(settlement, "ram:PaymentReference")
    if reference is not None:
        d.payment_id = (_text_of(reference) or "", src.path(reference))
    d.currency = src.required(settlement, "ram:InvoiceCurrencyCode", "the currency (BT-5)")
    _cii_means(src, d, src.one(settlement, "ram:SpecifiedTradeSettlementPaymentMeans"))
    for row in src.all(settlement, "ram:ApplicableTradeTax"):
        base, amount = src.amount(row, "ram:BasisAmount"), src.amount(row, "ram:CalculatedAmount")
        if base is None or amount is None:
            raise _fail(
                src.path(row), "a VAT breakdown row needs its BasisAmount and CalculatedAmount"
            )
        d.rows.append(
            _Row(
                _cii_tax_key(src, row),
                base,
                amount,
                src.text(row, "ram:ExemptionReason"),
                src.text(row, "ram:ExemptionReasonCode"),
            )
        )
    period = src.one(settlement, "ram:BillingSpecifiedPeriod")
    found = _cii_period(src, period)
    d.period = (found, src.path(period)) if found is not None else None
    d.adjustments = [
        _cii_adjustment(src, a) for a in src.all(settlement, "ram:SpecifiedTradeAllowanceCharge")
    ]
    terms = src.one(settlement, "ram:SpecifiedTradePaymentTerms")
    if terms is not None:
        description = src.one(terms, "ram:Description")
        if description is not None and _text_of(description) is not None:
            d.terms = (_text_of(description) or "", src.path(description))
        d.due_date = src.date(terms, "ram:DueDateDateTime", cii=True)
    summation = src.one(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    if summation is None:
        raise _fail(src.path(settlement), "the document states no totals (MonetarySummation)")
    for term, name in (
        ("BT-106", "LineTotalAmount"),
        ("BT-108", "ChargeTotalAmount"),
        ("BT-107", "AllowanceTotalAmount"),
        ("BT-109", "TaxBasisTotalAmount"),
        ("BT-114", "RoundingAmount"),
        ("BT-112", "GrandTotalAmount"),
        ("BT-113", "TotalPrepaidAmount"),
        ("BT-115", "DuePayableAmount"),
    ):
        stated = src.amount(summation, f"ram:{name}")
        if stated is not None:
            d.stated[term] = stated
    for tax in summation.findall(src.tag("ram:TaxTotalAmount")):
        if tax.get("currencyID", d.currency) == d.currency:
            src.seen.add(tax)
            d.stated["BT-110"] = _Stated(_decimal(_text_of(tax), src.path(tax)), src.path(tax))
    _cii_preceding(src, d, src.one(settlement, "ram:InvoiceReferencedDocument"))


def _cii_preceding(src: _Source, d: _Doc, invoice_ref: Any | None) -> None:
    if invoice_ref is not None:
        ref = src.text(invoice_ref, "ram:IssuerAssignedID")
        ref_date = src.date(invoice_ref, "ram:FormattedIssueDateTime", cii=True)
        if ref is not None and ref_date is not None:
            d.preceding = (ref, ref_date)
        else:
            src.note(invoice_ref, "a preceding invoice needs both its number and issue date")


# -- the model ------------------------------------------------------------------------------


def _stable_id(kind: str, *parts: str) -> str:
    """A readable id when short enough (``seller:vat:DE123456789``), else a SHA-256 digest."""
    text = ":".join(parts)
    plain = f"{kind}:{text}"
    if len(plain) <= _MAX_ID and plain.isprintable():
        return plain
    return f"{kind}:sha256:{hashlib.sha256(text.encode('utf-8')).hexdigest()[:40]}"


def _party_key(party: _Party) -> str:
    """What identifies a party across documents: tax id, else electronic address, else name."""
    if party.vat_id or party.tax_number:
        return f"tax:{party.vat_id or party.tax_number}"
    if party.endpoint is not None:
        return f"eas:{party.endpoint.scheme}:{party.endpoint.id}"
    return f"name:{party.name or party.trading_name}"


def _tax(key: _TaxKey, rows: Sequence[_Row]) -> Tax:
    """The Tax of a line or adjustment; the exemption reason comes from its breakdown row."""
    if key.category not in {c.value for c in TaxCategory}:
        raise _fail(
            f"{key.path}/ID",
            "not a VAT category invoicekit knows; known: "
            + ", ".join(c.value for c in TaxCategory),
            key.category,
        )
    rate = key.rate if key.rate is not None else Decimal(0)
    row = next(
        (
            r
            for r in rows
            if r.key.category == key.category
            and (r.key.rate if r.key.rate is not None else Decimal(0)) == rate
        ),
        None,
    )
    reason = row.reason if row is not None else None
    code = row.code if row is not None else None
    if TaxCategory(key.category) not in _REASONED:
        reason = code = None
    return _build_or_fail(
        key.path, lambda: Tax(TaxCategory(key.category), rate, "VAT", reason, code)
    )


_REASONED: Final = frozenset(
    {
        TaxCategory.EXEMPT,
        TaxCategory.REVERSE_CHARGE,
        TaxCategory.INTRA_COMMUNITY,
        TaxCategory.EXPORT,
        TaxCategory.OUTSIDE_SCOPE,
    }
)


def _adjustment(adj: _Adjustment, tax: Tax | None) -> Discount | Charge:
    """A percent adjustment when the XML states percent and base, else a fixed amount."""
    cls = Charge if adj.charge else Discount
    if adj.percent is not None and adj.base is not None:
        return _build_or_fail(
            adj.path, lambda: cls(percent=adj.percent, reason=adj.reason, tax=tax)
        )
    return _build_or_fail(
        adj.path, lambda: cls(amount=adj.amount.value, reason=adj.reason, tax=tax)
    )


def _lines(d: _Doc) -> list[Line]:
    out = []
    for line in d.lines:
        tax = _tax(line.tax, d.rows)
        built = [_adjustment(a, None) for a in line.adjustments]
        discounts = [a for a in built if isinstance(a, Discount)]
        charges = [a for a in built if isinstance(a, Charge)]
        out.append(
            _build_or_fail(
                line.path,
                partial(
                    Line,
                    description=line.name,
                    quantity=line.quantity,
                    unit_price=line.price,
                    tax=tax,
                    unit=line.unit,
                    base_quantity=line.base_quantity,
                    discounts=discounts,
                    charges=charges,
                    period=line.period,
                ),
            )
        )
    return out


def _document_adjustments(d: _Doc) -> tuple[list[Discount], list[Charge]]:
    discounts: list[Discount] = []
    charges: list[Charge] = []
    for adj in d.adjustments:
        if adj.tax is None:
            raise _fail(adj.path, "a document allowance or charge needs its VAT category (BT-95)")
        built = _adjustment(adj, _tax(adj.tax, d.rows))
        if isinstance(built, Charge):
            charges.append(built)
        else:
            discounts.append(built)
    return discounts, charges


def _differences(d: _Doc, totals: Totals, paid: Decimal) -> list[Difference]:
    """Every stated amount the engine's ``totals`` disagree with (absent stated sums count as 0)."""
    zero = Decimal(0)
    computed = totals.bt()
    computed["BT-113"] = paid
    computed["BT-115"] = totals.payable - paid
    out: list[Difference] = []
    for term, value in computed.items():
        stated = d.stated.get(term)
        if (stated.value if stated is not None else zero) != value:
            where = stated.path if stated is not None else f"{d.root} ({term} not stated)"
            out.append(Difference(term, where, stated.value if stated else None, value))
    for line, figures in zip(d.lines, totals.lines, strict=True):
        if line.net.value != figures.net:
            out.append(Difference("BT-131", line.net.path, line.net.value, figures.net))
        kinds = (
            [a for a in line.adjustments if not a.charge],
            [a for a in line.adjustments if a.charge],
        )
        for stated_adjs, values, term in zip(
            kinds, (figures.discounts, figures.charges), ("BT-136", "BT-141"), strict=True
        ):
            for adj, value in zip(stated_adjs, values, strict=True):
                if adj.amount.value != value:
                    out.append(Difference(term, adj.amount.path, adj.amount.value, value))
    doc_adjs = [a for a in d.adjustments if not a.charge], [a for a in d.adjustments if a.charge]
    for stated_adjs, applied, term in zip(
        doc_adjs, (totals.discounts, totals.charges), ("BT-92", "BT-99"), strict=True
    ):
        for adj, done in zip(stated_adjs, applied, strict=False):
            if adj.amount.value != done.amount:
                out.append(Difference(term, adj.amount.path, adj.amount.value, done.amount))
    out += _breakdown_differences(d, totals)
    return out


def _breakdown_differences(d: _Doc, totals: Totals) -> list[Difference]:
    out: list[Difference] = []
    left = list(totals.breakdown)
    for row in d.rows:
        rate = row.key.rate if row.key.rate is not None else Decimal(0)
        match = next(
            (c for c in left if c.tax.category.value == row.key.category and c.tax.rate == rate),
            None,
        )
        if match is None:
            out.append(Difference("BT-116", row.base.path, row.base.value, None))
            continue
        left.remove(match)
        if row.base.value != match.base:
            out.append(Difference("BT-116", row.base.path, row.base.value, match.base))
        if row.amount.value != match.amount:
            out.append(Difference("BT-117", row.amount.path, row.amount.value, match.amount))
    for extra in left:
        where = f"{d.root} (no VAT breakdown row for {extra.tax.category.value} {extra.tax.rate})"
        out.append(Difference("BT-116", where, None, extra.base))
    return out


def _policies(currency: str, rounding: _Stated | None) -> Iterator[RoundingPolicy]:
    """Every rounding convention invoicekit supports, the default first; cash steps if stated."""
    unit = minor_unit(currency)
    steps: list[Decimal | None] = [None]
    if rounding is not None and rounding.value != 0:
        steps = [s for s in _CASH_STEPS if s % unit == 0]
    for step in steps:
        increments = {currency: step} if step is not None else {}
        for where in TaxRounding:
            for mode in Rounding:
                yield RoundingPolicy(tax_rounding=where, mode=mode, cash_increments=increments)


def _best_totals(
    d: _Doc,
    lines: Sequence[Line],
    discounts: Sequence[Discount],
    charges: Sequence[Charge],
    paid: Decimal,
) -> tuple[RoundingPolicy, Totals, list[Difference]]:
    """The first rounding convention under which the engine reproduces every stated amount.

    When none does, the convention with the fewest differences (the default on a tie).
    A convention under which the lines cannot be computed (a discount above a line
    rounded down) is skipped; when none can, the default's problems are raised.
    """
    best: tuple[RoundingPolicy, Totals, list[Difference]] | None = None
    refused: ValidationError | None = None
    for policy in _policies(d.currency, d.stated.get("BT-114")):
        try:
            totals = _located(
                d,
                partial(
                    compute_totals,
                    d.currency,
                    lines,
                    discounts=discounts,
                    charges=charges,
                    prices=PriceMode.EXCLUSIVE,
                    policy=policy,
                ),
            )
        except ValidationError as exc:
            refused = refused or exc
            continue
        found = _differences(d, totals, paid)
        if not found:
            return policy, totals, found
        if best is None or len(found) < len(best[2]):
            best = (policy, totals, found)
    if best is None:
        assert refused is not None  # noqa: S101 - _policies yields at least one policy
        raise refused
    return best


def _located(d: _Doc, build: Callable[[], _T]) -> _T:
    """Run a model step, naming problems at ``lines[i]`` / ``discounts[j]`` by their XPath."""
    try:
        return build()
    except ValidationError as exc:
        where = {f"lines[{i}]": line.path for i, line in enumerate(d.lines)}
        for kind, charge in (("discounts", False), ("charges", True)):
            same = [a for a in d.adjustments if a.charge is charge]
            where |= {f"{kind}[{j}]": a.path for j, a in enumerate(same)}
        moved = []
        for p in exc.problems:
            head, _, rest = p.path.partition(".")
            path = f"{where[head]} {rest}".strip() if head in where else p.path
            moved.append(Problem(path, p.message, p.value, p.has_value))
        raise ValidationError(moved, subject=_SUBJECT) from None


_TERMS_TEXT: Final[tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], PaymentTerms]], ...]] = (
    (re.compile(r"due on receipt", re.I), lambda _: NetDays(0)),
    (re.compile(r"net (\d{1,4}) days?", re.I), lambda m: NetDays(int(m[1]))),
    (
        re.compile(r"due on (\d{4}-\d{2}-\d{2})", re.I),
        lambda m: FixedDate(date.fromisoformat(m[1])),
    ),
    (re.compile(r"end of month", re.I), lambda _: EndOfMonth(0)),
    (re.compile(r"end of month \+ (\d{1,4}) days?", re.I), lambda m: EndOfMonth(int(m[1]))),
)


def _terms(d: _Doc) -> tuple[PaymentTerms, str | None]:
    """Payment terms that give the stated due date, and the stated text when they describe it otherwise."""
    text = d.terms[0] if d.terms is not None else None
    if d.due_date is not None and d.due_date < d.issue_date:
        raise _fail(
            d.root, f"the due date (BT-9) {d.due_date} is before the issue date", d.due_date
        )
    for pattern, make in _TERMS_TEXT:
        found = pattern.fullmatch(text.strip()) if text is not None else None
        if found is None:
            continue
        try:
            terms = make(found)
            due = terms.due_date(d.issue_date)
        except (ValidationError, ValueError):
            continue
        if d.due_date is None or due == d.due_date:
            return terms, None if terms.describe() == text else text
    if d.due_date is not None:
        return FixedDate(d.due_date), text
    return NetDays(0), text


def _seller(d: _Doc, policy: RoundingPolicy, terms: PaymentTerms) -> Seller:
    party = d.seller
    assert party is not None  # noqa: S101 - both readers set it or raise
    name = party.trading_name or party.name
    if name is None:
        raise _fail(party.path, "the seller's name (BT-27) is required")
    if party.address is None:
        raise _fail(party.path, "the seller's postal address with its country (BG-5) is required")
    tax_id = party.vat_id or party.tax_number
    return _build_or_fail(
        party.path,
        lambda: Seller(
            id=_stable_id("seller", _party_key(party)),
            name=name,
            legal_name=party.name if party.trading_name else None,
            country=party.address.country if party.address else "",
            currency=d.currency,
            tax_id=tax_id,
            registration_id=party.registration_id,
            address=party.address,
            bank_account=d.account,
            electronic_address=party.endpoint,
            contact=party.contact,
            rounding=policy,
            prices=PriceMode.EXCLUSIVE,
            terms=terms,
        ),
    )


def _customer(d: _Doc, seller: Seller) -> Customer:
    party = d.buyer
    assert party is not None  # noqa: S101 - both readers set it or raise
    if party.name is None:
        raise _fail(party.path, "the buyer's name (BT-44) is required")
    name = party.name
    return _build_or_fail(
        party.path,
        lambda: Customer(
            id=_stable_id("customer", _party_key(party)),
            seller_id=seller.id,
            name=name,
            address=party.address,
            tax_id=party.vat_id or party.tax_number,
            channels=(),
            electronic_address=party.endpoint,
            registration_id=party.registration_id,
            contact=party.contact,
        ),
    )


def _drop_zero_adjustments(src: _Source, d: _Doc) -> None:
    """Fixed allowances and charges of 0 change nothing and the model holds none: report them."""

    def keep(adjustments: Sequence[_Adjustment]) -> list[_Adjustment]:
        kept = []
        for adj in adjustments:
            if adj.amount.value == 0 and (adj.percent is None or adj.base is None):
                src.notes.append(
                    UnknownElement(adj.path, "0", "an allowance or charge of 0 is not kept")
                )
            else:
                kept.append(adj)
        return kept

    d.adjustments = keep(d.adjustments)
    d.lines = [attrs.evolve(line, adjustments=tuple(keep(line.adjustments))) for line in d.lines]


def _check_derived(src: _Source, d: _Doc, lines: Sequence[Line]) -> None:
    """Report stated values the model derives and would state differently (BT-3, BT-81, BT-83, BG-14)."""
    expected_means = payment_means_code(d.currency) if d.account is not None else None
    if d.means is not None and d.means[0] != expected_means:
        src.notes.append(
            UnknownElement(
                d.means[1],
                d.means[0],
                f"invoicekit states payment means {expected_means or 'none'} for "
                f"{'a transfer in ' + d.currency if d.account else 'no payee account'}",
            )
        )
    if d.payment_id is not None and (d.payment_id[0] != d.number or d.account is None):
        src.notes.append(
            UnknownElement(
                d.payment_id[1], d.payment_id[0], "invoicekit uses the invoice number (BT-1)"
            )
        )
    if d.period is not None:
        periods = [line.period for line in lines]
        derived = (
            ServicePeriod(
                min(p.start for p in periods if p is not None),
                max(p.end for p in periods if p is not None),
            )
            if periods and all(p is not None for p in periods)
            else None
        )
        if derived != d.period[0]:
            src.notes.append(
                UnknownElement(
                    d.period[1],
                    f"{d.period[0].start}/{d.period[0].end}",
                    "invoicekit derives the invoice period (BG-14) from the line periods",
                )
            )


def _credit_note(
    d: _Doc, *, src: _Source, lines: list[Line], seller: Seller, customer: Customer, totals: Totals
) -> CreditNote:
    if d.preceding is None:
        raise _fail(
            d.root,
            "a credit note must name the invoice it credits: number and issue date "
            "(BT-25, BT-26); invoicekit cannot hold a credit note without them",
        )
    number, issued = d.preceding
    if d.terms is not None and d.terms[0] != f"Credit for invoice {number} of {issued.isoformat()}":
        src.notes.append(
            UnknownElement(d.terms[1], d.terms[0], "a credit note holds no payment terms")
        )
    at = datetime.combine(d.issue_date, time(), tzinfo=UTC)
    return CreditNote(
        id=_stable_id("credit-note", seller.id, d.number),
        number=d.number,
        seller_id=seller.id,
        customer_id=customer.id,
        invoice_id=_stable_id("invoice", seller.id, number),
        invoice_number=number,
        invoice_issue_date=issued,
        currency=d.currency,
        lines=tuple(lines),
        totals=totals,
        issue_date=d.issue_date,
        issued_at=at,
        seller=seller,
        customer=customer,
        reason=d.note,
    )


def _invoice(
    d: _Doc,
    *,
    lines: list[Line],
    discounts: list[Discount],
    charges: list[Charge],
    seller: Seller,
    customer: Customer,
    terms_text: str | None,
    paid: Decimal,
) -> Invoice:
    at = datetime.combine(d.issue_date, time(), tzinfo=UTC)
    draft = _located(
        d,
        lambda: Invoice.draft(
            id=_stable_id("invoice", seller.id, d.number),
            seller=seller,
            customer=customer,
            lines=lines,
            at=at,
            currency=d.currency,
            terms=seller.terms,
            discounts=discounts,
            charges=charges,
            prices=PriceMode.EXCLUSIVE,
            memo=d.note,
            metadata={"payment_terms": terms_text} if terms_text is not None else None,
            buyer_reference=d.buyer_reference,
            order_reference=d.order_reference,
            contract_reference=d.contract_reference,
            project_reference=d.project_reference,
        ),
    )
    invoice, _ = apply(
        draft,
        Issue(number=d.number, seller=seller, customer=customer, issue_date=d.issue_date),
        at=at,
    )
    if paid:
        prepaid = d.stated["BT-113"]
        invoice, _ = _located(
            d,
            lambda: apply(
                invoice,
                RecordPayment(payment_id="prepaid", amount=paid, reference=prepaid.path),
                at=at,
            ),
        )
    return invoice


def read(xml: bytes) -> ReadResult:
    """Read a UBL 2.1 Invoice / CreditNote or a CII CrossIndustryInvoice into invoicekit's model.

    Raises:
        MissingExtraError: lxml is not installed (``pip install 'invoicekit[einvoice]'``).
        ValidationError: hostile or malformed XML, an unknown root element, a unit code or
            VAT category invoicekit does not know, or a value the model refuses; each
            problem's path is the XPath of the offending element.
    """
    safexml = require("invoicekit.einvoice.safexml", extra="einvoice", feature="e-invoice reading")
    root = safexml.parse(xml)
    src = _Source(root)
    tag = root.tag if isinstance(root.tag, str) else ""
    if tag == src.tag("ubl:Invoice"):
        syntax, d = "ubl", _read_ubl(src, root, credit=False)
    elif tag == src.tag("cn:CreditNote"):
        syntax, d = "ubl", _read_ubl(src, root, credit=True)
    elif tag == src.tag("rsm:CrossIndustryInvoice"):
        syntax, d = "cii", _read_cii(src, root)
    else:
        raise _fail(
            f"/{_prefixed(tag)}",
            "not an e-invoice: the root must be a UBL 2.1 Invoice or CreditNote, "
            "or a CII D16B CrossIndustryInvoice",
        )
    _build_or_fail(f"{d.root}/currency", lambda: check_currency(d.currency))
    if not d.lines:
        raise _fail(d.root, "an invoice needs at least one line (BG-25)")
    _drop_zero_adjustments(src, d)
    lines = _lines(d)
    discounts, charges = _document_adjustments(d)
    prepaid = d.stated.get("BT-113")
    paid = prepaid.value if prepaid is not None and not d.credit else Decimal(0)
    policy, totals, differences = _best_totals(d, lines, discounts, charges, paid)
    terms, terms_text = _terms(d)
    seller = _seller(d, policy, terms)
    customer = _customer(d, seller)
    _check_derived(src, d, lines)
    document: Invoice | CreditNote
    if d.credit:
        document = _credit_note(
            d, src=src, lines=lines, seller=seller, customer=customer, totals=totals
        )
    else:
        document = _invoice(
            d,
            lines=lines,
            discounts=discounts,
            charges=charges,
            seller=seller,
            customer=customer,
            terms_text=terms_text,
            paid=paid,
        )
    profile = next((p.name for p in PROFILES.values() if p.specification == d.specification), None)
    return ReadResult(
        document=document,
        syntax=syntax,
        profile=profile,
        specification=d.specification,
        unknown=src.unknown(),
        totals_match=not differences,
        differences=tuple(differences),
    )

"""Build invoicekit's model from what a received e-invoice states, through its public constructors.

Parties, lines, allowances and charges, payment terms, and the issued Invoice or
CreditNote; ids are derived from what identifies each object, so reading the same
document twice gives equal objects. Values the model derives itself are reported
where the document states them otherwise.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import partial
from typing import Final, TypeVar

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.lifecycle import Issue, RecordPayment, apply
from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.policy import PriceMode, RoundingPolicy
from invoicekit.domain.tax import Tax, TaxCategory
from invoicekit.domain.terms import EndOfMonth, FixedDate, NetDays, PaymentTerms
from invoicekit.domain.totals import Totals
from invoicekit.einvoice.read_source import SUBJECT, Source, UnknownElement, build_or_fail, fail
from invoicekit.einvoice.read_stated import Adjustment, Doc, Party, Row, TaxKey
from invoicekit.errors import Problem, ValidationError

_T = TypeVar("_T")
_MAX_ID: Final = 64
_CATEGORIES: Final = frozenset(c.value for c in TaxCategory)


def _stable_id(kind: str, *parts: str) -> str:
    """A readable id when short enough (``seller:vat:DE123456789``), else a SHA-256 digest."""
    text = ":".join(parts)
    plain = f"{kind}:{text}"
    if len(plain) <= _MAX_ID and plain.isprintable():
        return plain
    return f"{kind}:sha256:{hashlib.sha256(text.encode('utf-8')).hexdigest()[:40]}"


def _party_key(party: Party) -> str:
    """What identifies a party across documents: tax id, else electronic address, else name."""
    if party.vat_id or party.tax_number:
        return f"tax:{party.vat_id or party.tax_number}"
    if party.endpoint is not None:
        return f"eas:{party.endpoint.scheme}:{party.endpoint.id}"
    return f"name:{party.name or party.trading_name}"


def _tax(key: TaxKey, rows: Sequence[Row]) -> Tax:
    """The Tax of a line or adjustment; the exemption reason comes from its breakdown row."""
    if key.category not in _CATEGORIES:
        raise fail(
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
    return build_or_fail(
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


def _adjustment(adj: Adjustment, tax: Tax | None) -> Discount | Charge:
    """A percent adjustment when the XML states percent and base, else a fixed amount."""
    cls = Charge if adj.charge else Discount
    if adj.percent is not None and adj.base is not None:
        return build_or_fail(adj.path, lambda: cls(percent=adj.percent, reason=adj.reason, tax=tax))
    return build_or_fail(adj.path, lambda: cls(amount=adj.amount.value, reason=adj.reason, tax=tax))


def build_lines(d: Doc) -> list[Line]:
    """The model's lines, each with its VAT (exemption reason from its breakdown row)."""
    out = []
    for line in d.lines:
        tax = _tax(line.tax, d.rows)
        built = [_adjustment(a, None) for a in line.adjustments]
        discounts = [a for a in built if isinstance(a, Discount)]
        charges = [a for a in built if isinstance(a, Charge)]
        out.append(
            build_or_fail(
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
                    note=line.note,
                ),
            )
        )
    return out


def build_adjustments(d: Doc) -> tuple[list[Discount], list[Charge]]:
    """The document-level allowances and charges; each needs its VAT category (BT-95)."""
    discounts: list[Discount] = []
    charges: list[Charge] = []
    for adj in d.adjustments:
        if adj.tax is None:
            raise fail(adj.path, "a document allowance or charge needs its VAT category (BT-95)")
        built = _adjustment(adj, _tax(adj.tax, d.rows))
        if isinstance(built, Charge):
            charges.append(built)
        else:
            discounts.append(built)
    return discounts, charges


def located(d: Doc, build: Callable[[], _T]) -> _T:
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
        raise ValidationError(moved, subject=SUBJECT) from None


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


def build_terms(d: Doc, src: Source) -> tuple[PaymentTerms, str | None]:
    """Payment terms that give the stated due date, and the stated text when they describe it otherwise.

    A due date before the issue date (EN 16931 has no rule against it) is warned of and
    read as due on the issue date: invoicekit's terms cannot fall due before issue.
    """
    text = d.terms[0] if d.terms is not None else None
    if d.due_date is not None and d.due_date < d.issue_date:
        src.warn(
            d.root,
            f"the due date (BT-9) is before the issue date {d.issue_date}; read as due on issue",
            d.due_date.isoformat(),
        )
        d.due_date = None
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


def build_seller(d: Doc, policy: RoundingPolicy, terms: PaymentTerms) -> Seller:
    """The seller, rounding as the stated sums show and with the terms that give the due date."""
    party = d.seller
    assert party is not None  # noqa: S101 - both readers set it or raise
    name = party.trading_name or party.name
    if name is None:
        raise fail(party.path, "the seller's name (BT-27) is required")
    if party.address is None:
        raise fail(party.path, "the seller's postal address with its country (BG-5) is required")
    tax_id = party.vat_id or party.tax_number
    return build_or_fail(
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


def build_customer(d: Doc, seller: Seller) -> Customer:
    """The buyer as a customer of ``seller``."""
    party = d.buyer
    assert party is not None  # noqa: S101 - both readers set it or raise
    if party.name is None:
        raise fail(party.path, "the buyer's name (BT-44) is required")
    name = party.name
    return build_or_fail(
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


def _credit_terms(number: str | None, issued: date | None) -> str:
    """The payment terms text the writers give a credit note (einvoice/view.py)."""
    if number is None:
        return "Credit note"
    return f"Credit for invoice {number}" + (f" of {issued.isoformat()}" if issued else "")


def build_credit_note(
    d: Doc, *, src: Source, lines: list[Line], seller: Seller, customer: Customer, totals: Totals
) -> CreditNote:
    """The credit note, with the invoice it credits (BT-25/26) or, naming none, standalone."""
    number, issued = d.preceding if d.preceding is not None else (None, None)
    if d.terms is not None and d.terms[0] != _credit_terms(number, issued):
        src.notes.append(
            UnknownElement(d.terms[1], d.terms[0], "a credit note holds no payment terms")
        )
    at = datetime.combine(d.issue_date, time(), tzinfo=UTC)
    return CreditNote(
        id=_stable_id("credit-note", seller.id, d.number),
        number=d.number,
        seller_id=seller.id,
        customer_id=customer.id,
        invoice_id=_stable_id("invoice", seller.id, number) if number is not None else None,
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
        buyer_reference=d.buyer_reference,
        order_reference=d.order_reference,
    )


def build_invoice(
    d: Doc,
    *,
    lines: list[Line],
    discounts: list[Discount],
    charges: list[Charge],
    seller: Seller,
    customer: Customer,
    terms_text: str | None,
    paid: Decimal,
) -> Invoice:
    """The invoice, drafted and issued under its number, with any prepaid amount (BT-113) recorded."""
    at = datetime.combine(d.issue_date, time(), tzinfo=UTC)
    draft = located(
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
            received=True,
        ),
    )
    invoice, _ = apply(
        draft,
        Issue(number=d.number, seller=seller, customer=customer, issue_date=d.issue_date),
        at=at,
    )
    if paid:
        invoice, _ = located(
            d,
            lambda: apply(
                invoice,
                RecordPayment(payment_id="prepaid", amount=paid, reference="BT-113 paid amount"),
                at=at,
            ),
        )
    return invoice

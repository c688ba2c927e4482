"""Format 2 of stored documents, the reading half: compact dicts back into domain values.

A trusted load: these documents were written by invoicekit from values that passed
validation when they entered (``Line``, ``Seller``, ``Invoice.draft``...), and an issued
invoice's frozen part is checked against its content hash before it gets here. So values
are rebuilt by unchecked constructors (builders.py: each attrs slot set, no converter,
validator or ``__attrs_post_init__``), not by running their checks again, which cost most
of a load.
Taxes and numbering series are built by their constructors, once per distinct value
(cached): there are few of them. ``compact.py`` is the writing half.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.line import Charge, Discount, Line, ServicePeriod
from invoicekit.domain.policy import PriceMode
from invoicekit.domain.status import Status
from invoicekit.domain.tax import Tax, TaxCategory
from invoicekit.domain.totals import (
    DocumentAdjustment,
    LineAmounts,
    TaxSubtotal,
    Totals,
)
from invoicekit.serialization.builders import unchecked
from invoicekit.serialization.compact import LINE_BASE_QUANTITY, zero_text
from invoicekit.serialization.compact_values import DEFAULT_POLICY
from invoicekit.serialization.trusted_values import (
    PRICES,
    credit,
    customer,
    failure,
    metadata,
    payment,
    policy,
    seller,
    terms,
    transfer,
)

__all__ = ["credit_note", "customer", "invoice", "seller"]

_tuple_new: Final = tuple.__new__
_D: Final = Decimal
_day: Final = date.fromisoformat
_time: Final = datetime.fromisoformat
_STATUS: Final = {s.value: s for s in Status}
#: Bounded caches of the values built by their (checking) constructors.
_CACHE_LIMIT: Final = 4096
_TAXES: dict[tuple[str | None, ...], Tax] = {}


def _cached_tax(row: list[str | None]) -> Tax:
    key = tuple(row)
    tax = _TAXES.get(key)
    if tax is None:
        if len(_TAXES) >= _CACHE_LIMIT:
            _TAXES.clear()
        category, rate, *rest = row
        tax = _TAXES[key] = Tax(TaxCategory(category), _D(rate), *rest)  # type: ignore[arg-type]
    return tax


class _Taxes(list[Tax]):
    """A document's tax table, and each tax as a tuple of one (shared by the items it is on)."""

    __slots__ = ("singles",)

    def __init__(self, rows: list[list[str | None]]) -> None:
        super().__init__(_cached_tax(row) for row in rows)
        self.singles = [(tax,) for tax in self]


def _tax_table(rows: list[list[str | None]]) -> _Taxes:
    return _Taxes(rows)


def _refs(ref: int | list[int], taxes: _Taxes) -> tuple[Tax, ...]:
    if type(ref) is int:
        return taxes.singles[ref]
    return tuple(taxes[i] for i in ref)  # type: ignore[union-attr]


# --------------------------------------------------------------------------- lines, totals

_new_discount: Final = unchecked(Discount)
_new_charge: Final = unchecked(Charge)
_new_period: Final = unchecked(ServicePeriod)
_new_line: Final = unchecked(Line)
_new_applied: Final = unchecked(DocumentAdjustment)
_new_subtotal: Final = unchecked(TaxSubtotal)
_new_totals: Final = unchecked(Totals)


def _adjustment(build: Any, data: dict[str, Any], taxes: _Taxes) -> Any:
    percent, amount, tax = data.get("percent"), data.get("amount"), data.get("tax")
    return build(
        percent=None if percent is None else _D(percent),
        amount=None if amount is None else _D(amount),
        reason=data.get("reason"),
        taxes=None if tax is None else _refs(tax, taxes),
    )


def _adjustments(build: Any, items: list[dict[str, Any]] | None, taxes: _Taxes) -> Any:
    return () if items is None else tuple([_adjustment(build, item, taxes) for item in items])


def _line(data: dict[str, Any], taxes: _Taxes) -> Line:
    if len(data) == 4:  # noqa: PLR2004 - description, quantity, unit price, tax: nothing else
        discounts = charges = ()
        base_quantity, unit, period, note = LINE_BASE_QUANTITY, "C62", None, None
    else:
        get = data.get
        base_quantity, unit = get("base_quantity"), get("unit", "C62")
        base_quantity = LINE_BASE_QUANTITY if base_quantity is None else _D(base_quantity)
        discounts = _adjustments(_new_discount, get("discounts"), taxes)
        charges = _adjustments(_new_charge, get("charges"), taxes)
        pair = get("period")
        period = None if pair is None else _new_period(start=_day(pair[0]), end=_day(pair[1]))
        note = get("note")
    tax = data["tax"]
    return _new_line(
        description=data["description"],
        quantity=_D(data["quantity"]),
        unit_price=_D(data["unit_price"]),
        taxes=taxes.singles[tax] if type(tax) is int else _refs(tax, taxes),
        unit=unit,
        base_quantity=base_quantity,
        discounts=discounts,
        charges=charges,
        period=period,
        note=note,
    )


def _amounts(row: list[Any], taxes: _Taxes) -> LineAmounts:
    base = _D(row[0])
    size = len(row)
    if size == 1:
        return _tuple_new(LineAmounts, (base, (), (), base, None, ()))
    net = _D(row[1])
    if size == 2:  # noqa: PLR2004 - positions of the row
        return _tuple_new(LineAmounts, (base, (), (), net, None, ()))
    discounts = tuple(map(_D, row[2]))
    charges = tuple(map(_D, row[3])) if size > 3 else ()  # noqa: PLR2004
    gross = None if size < 5 or row[4] is None else _D(row[4])  # noqa: PLR2004
    line_taxes = tuple((taxes[i], _D(a)) for i, a in row[5]) if size > 5 else ()  # noqa: PLR2004
    return _tuple_new(LineAmounts, (base, discounts, charges, net, gross, line_taxes))


def _applied(data: dict[str, Any], kind: str, taxes: _Taxes) -> DocumentAdjustment:
    percent, base, gross = data.get("percent"), data.get("base"), data.get("gross")
    return _new_applied(
        kind=data.get("kind", kind),
        amount=_D(data["amount"]),
        taxes=tuple(taxes[i] for i in data["tax"]),
        percent=None if percent is None else _D(percent),
        base=None if base is None else _D(base),
        reason=data.get("reason"),
        gross=None if gross is None else _D(gross),
    )


def _totals(
    data: dict[str, Any], taxes: _Taxes, currency: str, prices: PriceMode, lines: tuple[Line, ...]
) -> Totals:
    """The stored totals of ``lines`` (kept with them for ``Totals.explain()``)."""
    currency = data.get("currency", currency)
    zero = zero_text(currency)
    chosen = policy(data["policy"]) if "policy" in data else DEFAULT_POLICY
    rule = chosen.mode.value
    tax_inclusive = _D(data["tax_inclusive"])
    payable, discounts, charges = data.get("payable"), data.get("discounts"), data.get("charges")
    return _new_totals(
        currency=currency,
        lines=tuple([_amounts(row, taxes) for row in data["lines"]]),
        discounts=()
        if discounts is None
        else tuple(_applied(d, "discount", taxes) for d in discounts),
        charges=() if charges is None else tuple(_applied(c, "charge", taxes) for c in charges),
        line_net_total=_D(data["line_net_total"]),
        discount_total=_D(data.get("discount_total", zero)),
        charge_total=_D(data.get("charge_total", zero)),
        tax_exclusive=_D(data["tax_exclusive"]),
        breakdown=tuple(
            [
                _new_subtotal(tax=taxes[i], base=_D(base), amount=_D(amount))
                for i, base, amount in data["breakdown"]
            ]
        ),
        tax_total=_D(data["tax_total"]),
        tax_inclusive=tax_inclusive,
        rounding=_D(data.get("rounding", zero)),
        payable=tax_inclusive if payable is None else _D(payable),
        prices=PRICES[data["prices"]] if "prices" in data else prices,
        policy=chosen,
        recorded=tuple(
            [
                ((s[0],), _D(s[1]), _D(s[2]), s[3] if len(s) > 3 else rule)  # noqa: PLR2004
                for s in data.get("steps", ())
            ]
        ),
        source_lines=lines,
    )


# --------------------------------------------------------------------------- documents

_new_invoice: Final = unchecked(Invoice)


def _when(text: str | None) -> datetime | None:
    return None if text is None else _time(text)


def _on(text: str | None) -> date | None:
    return None if text is None else _day(text)


def invoice(frozen: dict[str, Any], rest: dict[str, Any]) -> Invoice:
    """The invoice whose frozen part and the rest ``compact.invoice_parts`` wrote."""
    taxes = _tax_table(frozen["taxes"])
    prices = PRICES[frozen["prices"]] if "prices" in frozen else PriceMode.EXCLUSIVE
    lines = tuple([_line(line, taxes) for line in frozen["lines"]])
    totals = _totals(frozen["totals"], taxes, frozen["currency"], prices, lines)
    get, more = frozen.get, rest.get
    snapshot_seller, snapshot_customer = get("seller"), get("customer")
    status, rest_policy = more("status"), more("policy")
    payments, applied, transfers, failures = (
        more("payments"),
        more("credits"),
        more("credit_transfers"),
        more("failures"),
    )
    return _new_invoice(
        id=frozen["id"],
        seller_id=frozen["seller_id"],
        customer_id=frozen["customer_id"],
        currency=frozen["currency"],
        lines=lines,
        totals=totals,
        terms=terms(frozen["terms"]),
        status=Status.DRAFT if status is None else _STATUS[status],
        discounts=_adjustments(_new_discount, get("discounts"), taxes),
        charges=_adjustments(_new_charge, get("charges"), taxes),
        prices=prices,
        policy=totals.policy if rest_policy is None else policy(rest_policy),
        memo=get("memo"),
        footer=get("footer"),
        metadata=metadata(more("metadata")),
        series=get("series", "invoice"),
        number=get("number"),
        issue_date=_on(get("issue_date")),
        due_date=_on(get("due_date")),
        seller=None if snapshot_seller is None else seller(snapshot_seller),
        customer=None if snapshot_customer is None else customer(snapshot_customer),
        payment_link=more("payment_link"),
        payments=() if payments is None else tuple([payment(p) for p in payments]),
        credits=() if applied is None else tuple([credit(c) for c in applied]),
        credit_transfers=() if transfers is None else tuple([transfer(t) for t in transfers]),
        failures=() if failures is None else tuple([failure(f) for f in failures]),
        created_at=_when(more("created_at")),
        issued_at=_when(get("issued_at")),
        paid_at=_when(more("paid_at")),
        voided_at=_when(more("voided_at")),
        written_off_at=_when(more("written_off_at")),
        version=more("version", 1),
        buyer_reference=get("buyer_reference"),
        order_reference=get("order_reference"),
        contract_reference=get("contract_reference"),
        project_reference=get("project_reference"),
    )


_new_credit_note: Final = unchecked(CreditNote)


def credit_note(data: dict[str, Any]) -> CreditNote:
    """The credit note written by ``compact.credit_note_document``."""
    taxes = _tax_table(data["taxes"])
    currency = data["currency"]
    lines = tuple([_line(line, taxes) for line in data["lines"]])
    return _new_credit_note(
        id=data["id"],
        number=data["number"],
        seller_id=data["seller_id"],
        customer_id=data["customer_id"],
        invoice_id=data.get("invoice_id"),
        invoice_number=data.get("invoice_number"),
        invoice_issue_date=(
            _day(data["invoice_issue_date"]) if "invoice_issue_date" in data else None
        ),
        currency=currency,
        lines=lines,
        totals=_totals(data["totals"], taxes, currency, PriceMode.EXCLUSIVE, lines),
        issue_date=_day(data["issue_date"]),
        issued_at=_time(data["issued_at"]),
        seller=seller(data["seller"]),
        customer=customer(data["customer"]),
        reason=data.get("reason"),
        buyer_reference=data.get("buyer_reference"),
        order_reference=data.get("order_reference"),
    )

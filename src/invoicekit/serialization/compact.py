"""Format 2 of stored documents, the writing half: domain values as compact JSON-ready dicts.

Invoices and credit notes (parties, settings and payments: compact_values.py). A field
at its default is left out; each distinct tax is written once per document, in
``taxes``, and lines, totals and adjustments name it by its index; totals leave out what
the document says already (its currency and price mode) and zeros in the currency's
digits. Amounts are decimal strings written exactly (``"5.00"`` stays ``"5.00"``), times
ISO 8601. ``trusted.py`` is the reading half; docs/explanation/stored-documents.md
describes the format.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any, Final

import attrs

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.policy import PriceMode, RoundingPolicy
from invoicekit.domain.status import Status
from invoicekit.domain.tax import Tax
from invoicekit.domain.totals import DocumentAdjustment, LineAmounts, Totals
from invoicekit.money import minor_unit
from invoicekit.serialization.compact_values import (
    DEFAULT_POLICY,
    credit_document,
    customer_document,
    differs,
    failure_document,
    fields,
    payment_document,
    policy_document,
    seller_document,
    terms_document,
    transfer_document,
)

__all__ = [
    "FORMAT",
    "LINE_BASE_QUANTITY",
    "TaxTable",
    "credit_note_document",
    "invoice_parts",
    "zero_text",
]

#: The format written by this module (format 1 was cattrs' full documents, with no marker).
FORMAT: Final = 2
_DRAFT: Final = Status.DRAFT
_EXCLUSIVE: Final = PriceMode.EXCLUSIVE
_ONE: Final = "1"
#: Line's own default base quantity (the reading half shares it, so identity says "default").
LINE_BASE_QUANTITY: Final = attrs.fields(Line).base_quantity.default


@functools.cache
def zero_text(currency: str) -> str:
    """Zero in ``currency``'s minor digits as stored text: ``"0.00"`` for EUR, ``"0"`` for JPY."""
    return str(Decimal(0).quantize(minor_unit(currency)))


class TaxTable:
    """The distinct taxes of one document, in order of first use; an item names one by index.

    Taxes are told apart by their exact stored text (``"19"`` and ``"19.0"`` are two rows,
    though equal as values), so every tax reads back as it was written.
    """

    __slots__ = ("_by_id", "_by_row", "rows")

    def __init__(self) -> None:
        self._by_id: dict[int, int] = {}
        self._by_row: dict[tuple[str | None, ...], int] = {}
        #: The table as written: ``[category, rate, name, exemption reason, exemption code]``,
        #: trailing defaults ("VAT", None, None) left out.
        self.rows: list[list[str | None]] = []

    def ref(self, tax: Tax) -> int:
        """The index of ``tax``, added to the table on first use."""
        found = self._by_id.get(id(tax))
        if found is not None:
            return found
        row: tuple[str | None, ...] = (
            tax.category.value,
            str(tax.rate),
            tax.name,
            tax.exemption_reason,
            tax.exemption_code,
        )
        found = self._by_row.get(row)
        if found is None:
            found = self._by_row[row] = len(self.rows)
            self.rows.append(_trimmed(row))
        self._by_id[id(tax)] = found  # the tax lives as long as the document being written
        return found

    def refs(self, taxes: tuple[Tax, ...]) -> int | list[int]:
        """One tax as its index, several (or none) as a list of indexes."""
        if len(taxes) == 1:
            tax = taxes[0]
            found = self._by_id.get(id(tax))
            return self.ref(tax) if found is None else found
        return [self.ref(t) for t in taxes]


#: A tax row's defaults by position (category and rate are always written).
_TAX_DEFAULTS: Final = (None, None, "VAT", None, None)
_TAX_REQUIRED: Final = 2


def _trimmed(row: tuple[str | None, ...]) -> list[str | None]:
    end = len(row)
    while end > _TAX_REQUIRED and row[end - 1] == _TAX_DEFAULTS[end - 1]:
        end -= 1
    return list(row[:end])


# --------------------------------------------------------------------------- lines, totals


def _adjustment(item: Discount | Charge, taxes: TaxTable) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if item.percent is not None:
        out["percent"] = str(item.percent)
    if item.amount is not None:
        out["amount"] = str(item.amount)
    if item.reason is not None:
        out["reason"] = item.reason
    if item.taxes is not None:
        out["tax"] = taxes.refs(item.taxes)
    return out


def _line(line: Line, taxes: TaxTable) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": line.description,
        "quantity": str(line.quantity),
        "unit_price": str(line.unit_price),
        "tax": taxes.refs(line.taxes),
    }
    if line.unit != "C62":
        out["unit"] = line.unit
    if line.base_quantity is not LINE_BASE_QUANTITY:
        base_quantity = str(line.base_quantity)
        if base_quantity != _ONE:
            out["base_quantity"] = base_quantity
    if line.discounts:
        out["discounts"] = [_adjustment(d, taxes) for d in line.discounts]
    if line.charges:
        out["charges"] = [_adjustment(c, taxes) for c in line.charges]
    if line.period is not None:
        out["period"] = [line.period.start.isoformat(), line.period.end.isoformat()]
    if line.note is not None:
        out["note"] = line.note
    return out


def _amounts(amounts: LineAmounts, taxes: TaxTable) -> list[Any]:
    """``[base, net, discounts, charges, gross, taxes]`` with trailing defaults left out.

    ``[base]`` alone means the net is the base.
    """
    base, discounts, charges, net, gross, line_taxes = amounts
    head = [str(base), str(net)]
    if line_taxes:
        return [
            *head,
            [str(d) for d in discounts],
            [str(c) for c in charges],
            None if gross is None else str(gross),
            [[taxes.ref(t), str(a)] for t, a in line_taxes],
        ]
    if gross is not None:
        return [*head, [str(d) for d in discounts], [str(c) for c in charges], str(gross)]
    if charges:
        return [*head, [str(d) for d in discounts], [str(c) for c in charges]]
    if discounts:
        return [*head, [str(d) for d in discounts]]
    return head if head[0] != head[1] else head[:1]


def _applied(item: DocumentAdjustment, kind: str, taxes: TaxTable) -> dict[str, Any]:
    out: dict[str, Any] = {"amount": str(item.amount), "tax": [taxes.ref(t) for t in item.taxes]}
    if item.kind != kind:
        out["kind"] = item.kind
    if item.percent is not None:
        out["percent"] = str(item.percent)
    if item.base is not None:
        out["base"] = str(item.base)
    if item.reason is not None:
        out["reason"] = item.reason
    if item.gross is not None:
        out["gross"] = str(item.gross)
    return out


def _step(
    step: tuple[tuple[object, ...], Decimal, Decimal, str], rule: str, labels: dict[int, str]
) -> list[str]:
    """``[where, exact, rounded]`` and the rule when it is not the policy's mode.

    ``where`` is written as ``RoundingStep.where`` reads it; a tax's label is formatted once
    per document (``labels``, by object), as the same taxes recur in every step.
    """
    where, exact, rounded, how = step
    first = where[0] if len(where) == 1 else None
    if type(first) is str:
        text = first
    elif Tax not in map(type, where):
        text = " ".join(map(str, where))
    else:
        parts = []
        for part in where:
            if type(part) is str:
                parts.append(part)
            elif isinstance(part, Tax):
                label = labels.get(id(part))
                if label is None:
                    label = labels[id(part)] = str(part)
                parts.append(label)
            else:
                parts.append(str(part))
        text = " ".join(parts)
    out = [text, str(exact), str(rounded)]
    if how != rule:
        out.append(how)
    return out


def _totals(totals: Totals, taxes: TaxTable, currency: str, prices: PriceMode) -> dict[str, Any]:
    zero = zero_text(totals.currency)
    tax_inclusive = str(totals.tax_inclusive)
    out: dict[str, Any] = {
        "lines": [_amounts(a, taxes) for a in totals.lines],
        "line_net_total": str(totals.line_net_total),
        "tax_exclusive": str(totals.tax_exclusive),
        "breakdown": [[taxes.ref(r.tax), str(r.base), str(r.amount)] for r in totals.breakdown],
        "tax_total": str(totals.tax_total),
        "tax_inclusive": tax_inclusive,
    }
    if totals.currency != currency:
        out["currency"] = totals.currency
    if totals.prices is not prices:
        out["prices"] = totals.prices.value
    if differs(totals.policy, DEFAULT_POLICY):
        out["policy"] = policy_document(totals.policy)
    if totals.discounts:
        out["discounts"] = [_applied(d, "discount", taxes) for d in totals.discounts]
    if totals.charges:
        out["charges"] = [_applied(c, "charge", taxes) for c in totals.charges]
    for name in ("discount_total", "charge_total", "rounding"):
        value = str(getattr(totals, name))
        if value != zero:
            out[name] = value
    payable = str(totals.payable)
    if payable != tax_inclusive:
        out["payable"] = payable
    if totals.recorded:
        rule = totals.policy.mode.value
        labels: dict[int, str] = {}
        out["steps"] = [_step(s, rule, labels) for s in totals.recorded]
    return out


# --------------------------------------------------------------------------- documents

_OPTIONAL_FROZEN: Final = (
    "memo",
    "footer",
    "number",
    "buyer_reference",
    "order_reference",
    "contract_reference",
    "project_reference",
)
_OPTIONAL_TIMES: Final = ("created_at", "paid_at", "voided_at", "written_off_at")


def invoice_parts(invoice: Invoice) -> tuple[dict[str, Any], dict[str, Any]]:
    """The invoice as (frozen part, the rest): what issuing freezes, and what may change later.

    The frozen part holds every field of ``FROZEN_FIELDS`` and the tax table; it is what
    the content hash covers.
    """
    taxes = TaxTable()
    frozen: dict[str, Any] = {
        "id": invoice.id,
        "seller_id": invoice.seller_id,
        "customer_id": invoice.customer_id,
        "currency": invoice.currency,
        "lines": [_line(line, taxes) for line in invoice.lines],
        "terms": terms_document(invoice.terms),
    }
    if invoice.discounts:
        frozen["discounts"] = [_adjustment(d, taxes) for d in invoice.discounts]
    if invoice.charges:
        frozen["charges"] = [_adjustment(c, taxes) for c in invoice.charges]
    totals = invoice.totals
    frozen["totals"] = _totals(totals, taxes, invoice.currency, invoice.prices)
    if invoice.prices is not _EXCLUSIVE:
        frozen["prices"] = invoice.prices.value
    frozen.update(fields(invoice, _OPTIONAL_FROZEN))
    if invoice.series != "invoice":
        frozen["series"] = invoice.series
    if invoice.issue_date is not None:
        frozen["issue_date"] = invoice.issue_date.isoformat()
    if invoice.due_date is not None:
        frozen["due_date"] = invoice.due_date.isoformat()
    if invoice.issued_at is not None:
        frozen["issued_at"] = invoice.issued_at.isoformat()
    if invoice.seller is not None:
        frozen["seller"] = seller_document(invoice.seller)
    if invoice.customer is not None:
        frozen["customer"] = customer_document(invoice.customer)
    frozen["taxes"] = taxes.rows
    return frozen, _invoice_rest(invoice, totals.policy)


def _invoice_rest(invoice: Invoice, totals_policy: RoundingPolicy) -> dict[str, Any]:
    rest: dict[str, Any] = {}
    if invoice.status is not _DRAFT:
        rest["status"] = invoice.status.value
    if invoice.version != 1:
        rest["version"] = invoice.version
    if differs(invoice.policy, totals_policy):
        rest["policy"] = policy_document(invoice.policy)
    if invoice.metadata:
        rest["metadata"] = dict(invoice.metadata)
    if invoice.payment_link is not None:
        rest["payment_link"] = invoice.payment_link
    if invoice.payments:
        rest["payments"] = [payment_document(p) for p in invoice.payments]
    if invoice.credits:
        rest["credits"] = [credit_document(c) for c in invoice.credits]
    if invoice.credit_transfers:
        rest["credit_transfers"] = [transfer_document(t) for t in invoice.credit_transfers]
    if invoice.failures:
        rest["failures"] = [failure_document(f) for f in invoice.failures]
    for name in _OPTIONAL_TIMES:
        when = getattr(invoice, name)
        if when is not None:
            rest[name] = when.isoformat()
    return rest


def credit_note_document(note: CreditNote) -> dict[str, Any]:
    """A credit note (it is frozen as a whole: no content hash column keeps it apart)."""
    taxes = TaxTable()
    out: dict[str, Any] = {
        "v": FORMAT,
        "id": note.id,
        "number": note.number,
        "seller_id": note.seller_id,
        "customer_id": note.customer_id,
        # A standalone credit note leaves out what it lacks (format 1 and 2 always had them).
        **fields(note, ("invoice_id", "invoice_number")),
        **(
            {"invoice_issue_date": note.invoice_issue_date.isoformat()}
            if note.invoice_issue_date is not None
            else {}
        ),
        "currency": note.currency,
        "lines": [_line(line, taxes) for line in note.lines],
        "totals": _totals(note.totals, taxes, note.currency, _EXCLUSIVE),
        "issue_date": note.issue_date.isoformat(),
        "issued_at": note.issued_at.isoformat(),
        "seller": seller_document(note.seller),
        "customer": customer_document(note.customer),
    }
    out.update(fields(note, ("reason", "buyer_reference", "order_reference")))
    out["taxes"] = taxes.rows
    return out

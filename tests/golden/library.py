"""Run a golden-schema case through invoicekit and report it in the case's ``[expected]`` shape.

The schema (every number a decimal string) is described in tests/golden/cases;
``totals_for`` maps it onto ``Line``/``Discount``/``Charge``/``Tax``/``RoundingPolicy``
and calls ``compute_totals``, ``expected_from`` turns the ``Totals`` back into the
``[expected]`` mapping, ``run_account`` replays the ``[[account]]`` operations on
an issued invoice through ``lifecycle.apply``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from invoicekit.domain.invoice import Invoice
from invoicekit.domain.lifecycle import Command, Credit, Issue, RecordPayment, RefundPayment, apply
from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.policy import PriceMode, RoundingPolicy
from invoicekit.domain.tax import Tax
from invoicekit.domain.totals import Totals, compute_totals
from invoicekit.errors import InvalidTransitionError, ValidationError

__all__ = ["expected_from", "run_account", "totals_for"]

Case = Mapping[str, Any]

#: Every account operation happens at this instant (the invoice is due 30 days later).
AT: Final = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def tax_of(entry: Mapping[str, Any]) -> Tax:
    """A ``Tax`` from ``{category, rate, name?, exemption_reason?}``."""
    return Tax(
        category=entry["category"],
        rate=entry["rate"],
        name=entry.get("name", "VAT"),
        exemption_reason=entry.get("exemption_reason"),
    )


def _taxes(entries: Sequence[Mapping[str, Any]]) -> tuple[Tax, ...]:
    return tuple(tax_of(e) for e in entries)


def _fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of a ``Discount``/``Charge``; taxes only at document level."""
    taxes = _taxes(entry["taxes"]) if "taxes" in entry else None
    return {"percent": entry.get("percent"), "amount": entry.get("amount"), "tax": taxes}


def line_of(entry: Mapping[str, Any], index: int) -> Line:
    """A ``Line`` from a case line; its ``allowances`` are the library's ``discounts``."""
    return Line(
        description=f"line {index + 1}",
        quantity=entry["quantity"],
        unit_price=entry["unit_price"],
        tax=_taxes(entry["taxes"]),
        unit=entry.get("unit", "C62"),
        base_quantity=entry.get("base_quantity", "1"),
        discounts=[Discount(**_fields(a)) for a in entry.get("allowances", [])],
        charges=[Charge(**_fields(c)) for c in entry.get("charges", [])],
    )


def lines_of(case: Case) -> list[Line]:
    """Every line of ``case`` as a ``Line``."""
    return [line_of(entry, i) for i, entry in enumerate(case["lines"])]


def discounts_of(case: Case) -> list[Discount]:
    """The document allowances of ``case`` as ``Discount`` values with their taxes."""
    return [Discount(**_fields(a)) for a in case.get("allowances", [])]


def charges_of(case: Case) -> list[Charge]:
    """The document charges of ``case`` as ``Charge`` values with their taxes."""
    return [Charge(**_fields(c)) for c in case.get("charges", [])]


def policy_of(case: Case) -> RoundingPolicy:
    """The seller's rounding policy the case describes."""
    increments = {case["currency"]: case["cash_increment"]} if "cash_increment" in case else {}
    return RoundingPolicy(
        tax_rounding=case.get("tax_rounding", "per_category"),
        mode=case.get("rounding_mode", "half_up"),
        cash_increments=increments,
    )


def prices_of(case: Case) -> PriceMode:
    """Whether the case's prices include tax."""
    return PriceMode(case.get("prices", "exclusive"))


def totals_for(case: Case) -> Totals:
    """Compute the totals of a golden-schema case with invoicekit."""
    return compute_totals(
        case["currency"],
        lines_of(case),
        discounts=discounts_of(case),
        charges=charges_of(case),
        prices=prices_of(case),
        policy=policy_of(case),
    )


def amount_text(value: Decimal) -> str:
    """An amount as written in a case: plain notation, its own exponent (``1000.00``)."""
    return f"{value:f}"


def rate_text(rate: Decimal) -> str:
    """A rate as a case writes it: no trailing zeros (``19``, ``6.25``, ``0``)."""
    text = f"{rate.normalize():f}"
    return "0" if text in ("-0", "0") else text


def expected_from(totals: Totals) -> dict[str, Any]:
    """The ``[expected]`` mapping of a case, from invoicekit's ``Totals``."""
    return {
        "line_nets": [amount_text(la.net) for la in totals.lines],
        "allowances": [amount_text(d.amount) for d in totals.discounts],
        "charges": [amount_text(c.amount) for c in totals.charges],
        "line_net_total": amount_text(totals.line_net_total),
        "allowance_total": amount_text(totals.discount_total),
        "charge_total": amount_text(totals.charge_total),
        "tax_exclusive": amount_text(totals.tax_exclusive),
        "tax_total": amount_text(totals.tax_total),
        "tax_inclusive": amount_text(totals.tax_inclusive),
        "rounding": amount_text(totals.rounding),
        "payable": amount_text(totals.payable),
        "breakdown": [
            {
                "name": row.tax.name,
                "category": row.tax.category.value,
                "rate": rate_text(row.tax.rate),
                "base": amount_text(row.base),
                "tax": amount_text(row.amount),
            }
            for row in totals.breakdown
        ],
    }


def parties_of(case: Case) -> tuple[Seller, Customer]:
    """A seller with the case's currency, prices and rounding, and one customer of it."""
    seller = Seller(
        id="seller-golden",
        name="Golden Seller GmbH",
        country="DE",
        currency=case["currency"],
        rounding=policy_of(case),
        prices=prices_of(case),
    )
    customer = Customer(
        id="customer-golden", seller_id=seller.id, name="Golden Customer", email="ap@example.com"
    )
    return seller, customer


def issued_invoice(case: Case) -> Invoice:
    """The case's invoice, drafted and issued (number ``INV-GOLDEN-1``) at :data:`AT`."""
    seller, customer = parties_of(case)
    draft = Invoice.draft(
        id="invoice-golden",
        seller=seller,
        customer=customer,
        lines=lines_of(case),
        at=AT,
        discounts=discounts_of(case),
        charges=charges_of(case),
    )
    invoice, _ = apply(draft, Issue(number="INV-GOLDEN-1", seller=seller, customer=customer), at=AT)
    return invoice


def account_view(invoice: Invoice) -> dict[str, str]:
    """The ``expect`` mapping of an account operation."""
    return {
        "paid": amount_text(invoice.paid),
        "credited": amount_text(invoice.credited),
        "due": amount_text(invoice.amount_due),
        "customer_credit": amount_text(invoice.customer_credit),
        "status": invoice.status.value,
    }


def _command(op: Mapping[str, Any], k: int, pay_ids: list[str]) -> Command:
    kind = op["op"]
    if kind == "pay":
        pay_ids.append(f"pay-{len(pay_ids) + 1}")
        return RecordPayment(payment_id=pay_ids[-1], amount=op["amount"])
    if kind == "refund":
        index = op["payment"]
        payment_id = pay_ids[index] if 0 <= index < len(pay_ids) else f"no-such-payment-{index}"
        return RefundPayment(
            payment_id=payment_id, refund_id=f"refund-{k + 1}", amount=op["amount"]
        )
    if kind == "credit":
        return Credit(
            credit_note_id=f"credit-note-{k + 1}",
            number=f"CN-GOLDEN-{k + 1}",
            lines=[line_of(entry, i) for i, entry in enumerate(op["lines"])],
        )
    raise ValueError(f"unknown account op {kind!r}")


def run_account(case: Case) -> list[dict[str, str]]:
    """Replay ``case['account']`` on the issued invoice; one ``expect`` mapping per operation.

    A refused operation gives ``{"error": "validation"}`` (ValidationError) or
    ``{"error": "invalid_transition"}`` (the lifecycle refused it) and changes nothing.
    Payments are numbered in the order of the ``pay`` operations; a refund names one
    by its index among them.
    """
    invoice = issued_invoice(case)
    pay_ids: list[str] = []
    results: list[dict[str, str]] = []
    for k, op in enumerate(case.get("account", [])):
        try:
            invoice, _ = apply(invoice, _command(op, k, pay_ids), at=AT)
        except ValidationError:
            results.append({"error": "validation"})
        except InvalidTransitionError:
            results.append({"error": "invalid_transition"})
        else:
            results.append(account_view(invoice))
    return results

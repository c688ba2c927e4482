"""The invoice, its payments and its credit notes, as immutable values.

An invoice answers four questions: what is it for (lines), how much is due
(``amount_due``), when (``due_date``) and how to pay (``payment_link``). Status
changes happen only in ``lifecycle.py``; build a draft with ``Invoice.draft``.
The payment values (payments, refunds, disputes, credit) are in invoice_payments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import attrs

from invoicekit.domain import checks
from invoicekit.domain.invoice_payments import (
    CollectionFailure,
    CreditApplication,
    CreditTransfer,
    Dispute,
    Payment,
    Refund,
)
from invoicekit.domain.line import Charge, Discount, Line, build_lines
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.policy import PriceMode, RoundingPolicy
from invoicekit.domain.snapshots import customer_snapshot, optional_snapshot
from invoicekit.domain.status import PaymentStatus, Status
from invoicekit.domain.terms import PaymentTerms
from invoicekit.domain.totals import Totals, compute_totals
from invoicekit.errors import NotFoundError, Problem, ValidationError, problem
from invoicekit.money import check_currency, minor_unit

__all__ = [
    "CollectionFailure",
    "CreditApplication",
    "CreditNote",
    "CreditTransfer",
    "Dispute",
    "Invoice",
    "Payment",
    "Refund",
    "reference_problems",
]

_MAX_MEMO: Final = 2000
_MAX_ID: Final = 64
_MAX_REFERENCE: Final = 200
_ZERO: Final = Decimal(0)


@attrs.frozen
class CreditNote:
    """A credit note: its own numbered document, computed like an invoice, that corrects one.

    A standalone credit note (domain/standalone_credit.py) corrects no stored invoice:
    ``invoice_id`` is None, and the invoice number and date are an external invoice's or
    None (EN 16931 BT-25 and BT-26 are optional).
    """

    id: str
    number: str
    seller_id: str
    customer_id: str
    invoice_id: str | None
    #: The corrected invoice's number and issue date (EN 16931 BT-25/BT-26; art. 219).
    invoice_number: str | None
    invoice_issue_date: date | None
    currency: str
    lines: tuple[Line, ...]
    totals: Totals
    issue_date: date
    issued_at: datetime
    seller: Seller
    customer: Customer = attrs.field(converter=customer_snapshot)
    reason: str | None = None
    #: The corrected invoice's buyer and order references (BT-10, BT-13), which Peppol and
    #: XRechnung ask of credit notes too.
    buyer_reference: str | None = None
    order_reference: str | None = None


@attrs.frozen
class Invoice:
    """An invoice: a draft until issued, then frozen except for payments, status and credits."""

    id: str
    seller_id: str
    customer_id: str
    currency: str
    lines: tuple[Line, ...]
    totals: Totals
    terms: PaymentTerms
    status: Status = Status.DRAFT
    discounts: tuple[Discount, ...] = ()
    charges: tuple[Charge, ...] = ()
    prices: PriceMode = PriceMode.EXCLUSIVE
    policy: RoundingPolicy = attrs.field(factory=RoundingPolicy, eq=False)
    memo: str | None = None
    footer: str | None = None
    metadata: Mapping[str, Any] = attrs.field(factory=dict, converter=checks.frozen_metadata)
    #: The numbering series ("invoice" unless the seller has several).
    series: str = "invoice"
    #: Assigned at issue; a draft has none.
    number: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    #: Snapshots of the parties as they were at issue.
    seller: Seller | None = None
    #: Without the customer's saved payment method (``snapshots.customer_snapshot``).
    customer: Customer | None = attrs.field(default=None, converter=optional_snapshot)
    payment_link: str | None = None
    payments: tuple[Payment, ...] = ()
    credits: tuple[CreditApplication, ...] = ()
    #: Customer credit of this invoice applied to other invoices (``payments.apply_credit``).
    credit_transfers: tuple[CreditTransfer, ...] = ()
    failures: tuple[CollectionFailure, ...] = ()
    created_at: datetime | None = None
    issued_at: datetime | None = None
    paid_at: datetime | None = None
    voided_at: datetime | None = None
    written_off_at: datetime | None = None
    #: Grows by one with every change (optimistic concurrency).
    version: int = 1
    #: The buyer's reference for routing, e.g. a German Leitweg-ID (EN 16931 BT-10).
    buyer_reference: str | None = None
    #: The buyer's purchase order number (EN 16931 BT-13).
    order_reference: str | None = None
    #: The contract this invoice bills under (EN 16931 BT-12).
    contract_reference: str | None = None
    #: The project this invoice bills for (EN 16931 BT-11).
    project_reference: str | None = None

    @classmethod
    def draft(
        cls,
        *,
        id: str,
        seller: Seller,
        customer: Customer,
        lines: Iterable[Line | Mapping[str, Any]],
        at: datetime,
        currency: str | None = None,
        terms: PaymentTerms | None = None,
        discounts: Iterable[Discount] = (),
        charges: Iterable[Charge] = (),
        prices: PriceMode | str | None = None,
        memo: str | None = None,
        footer: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        series: str = "invoice",
        issue_date: date | None = None,
        buyer_reference: str | None = None,
        order_reference: str | None = None,
        contract_reference: str | None = None,
        project_reference: str | None = None,
        received: bool = False,
    ) -> Invoice:
        """Build a draft for ``customer`` of ``seller``, checking everything at once.

        Raises ValidationError listing every problem with its path (``lines[2].unit_price``);
        a float amount raises TypeError. Totals are computed with the seller's rounding policy.
        ``received`` is for the e-invoice reader only: a received total may be below zero.
        """
        found: list[Problem] = []
        built, line_problems = build_lines(lines)
        found += line_problems
        if customer.seller_id != seller.id:
            found.append(problem("customer", "belongs to another seller", customer.id))
        cur = seller.currency if currency is None else currency
        try:
            check_currency(cur)
        except ValidationError as exc:
            found += exc.problems
        found += _draft_text_problems(memo, footer, id)
        found += checks.metadata("metadata", metadata)
        discounts, charges = checks.plural(discounts), checks.plural(charges)
        found += checks.items("discounts", discounts, Discount, "Discount")
        found += checks.items("charges", charges, Charge, "Charge")
        references = {
            "buyer_reference": buyer_reference,
            "order_reference": order_reference,
            "contract_reference": contract_reference,
            "project_reference": project_reference,
        }
        found += reference_problems(references)
        if series not in {s.name for s in seller.series}:
            found.append(problem("series", f"seller {seller.id!r} has no such series", series))
        mode = seller.prices if prices is None else _price_mode(prices, found)
        chosen_terms = seller.terms if terms is None else terms
        bad_terms = checks.terms("terms", chosen_terms) + checks.day("issue_date", issue_date)
        found += bad_terms
        if issue_date is not None and not bad_terms:
            try:
                chosen_terms.due_date(issue_date)
            except ValidationError as exc:
                found += exc.problems
        totals: Totals | None = None
        if not found:
            try:
                totals = compute_totals(
                    cur,
                    built,
                    discounts=tuple(discounts),
                    charges=tuple(charges),
                    prices=mode,
                    policy=seller.rounding,
                    received=received,
                )
            except ValidationError as exc:
                found += exc.problems
        elif not built and not line_problems:
            found.append(problem("lines", "an invoice needs at least one line"))
        if found or totals is None:
            raise ValidationError(found, subject="invoice")
        return cls(
            id=id,
            seller_id=seller.id,
            customer_id=customer.id,
            currency=cur,
            lines=built,
            totals=totals,
            terms=chosen_terms,
            discounts=tuple(discounts),
            charges=tuple(charges),
            prices=mode,
            policy=seller.rounding,
            memo=memo,
            footer=footer,
            metadata=metadata,
            series=series,
            issue_date=issue_date,
            created_at=at,
            buyer_reference=buyer_reference,
            order_reference=order_reference,
            contract_reference=contract_reference,
            project_reference=project_reference,
        )

    @property
    def ref(self) -> str:
        """How messages name this invoice: its number, or 'draft <id>' before issue."""
        return self.number if self.number is not None else f"draft {self.id}"

    @property
    def zero(self) -> Decimal:
        """Zero with the currency's minor digits (0.00 for EUR, 0 for JPY)."""
        return _ZERO.quantize(minor_unit(self.currency))

    @property
    def paid(self) -> Decimal:
        """Payments allocated to this invoice minus refunds that re-opened it (BT-113 after issue)."""
        return sum(
            (p.net_allocated for p in self.payments if p.status is PaymentStatus.SUCCEEDED),
            self.zero,
        )

    @property
    def credited(self) -> Decimal:
        """Credit-note amounts allocated to this invoice's balance."""
        return sum((c.allocated for c in self.credits), self.zero)

    @property
    def credit_notes_total(self) -> Decimal:
        """Sum of every credit note issued against this invoice (the credit cap counts these)."""
        return sum((c.amount for c in self.credits), self.zero)

    @property
    def amount_due(self) -> Decimal:
        """What is left to pay: BT-112 − paid − credited + BT-114 (never below 0)."""
        return self.totals.tax_inclusive - self.paid - self.credited + self.totals.rounding

    @property
    def in_flight(self) -> Decimal:
        """Pending payments not yet settled (reminders pause while this covers the balance)."""
        return sum(
            (p.amount for p in self.payments if p.status is PaymentStatus.PENDING), self.zero
        )

    @property
    def customer_credit(self) -> Decimal:
        """Customer credit held here: overpayments and over-credits, less refunds and transfers."""
        created = sum(
            (p.customer_credit for p in self.payments if p.status is PaymentStatus.SUCCEEDED),
            self.zero,
        ) + sum((c.customer_credit for c in self.credits), self.zero)
        refunded = sum((r.from_credit for p in self.payments for r in p.refunds), self.zero)
        return created - refunded - sum((t.amount for t in self.credit_transfers), self.zero)

    @property
    def has_payments(self) -> bool:
        """True once any payment succeeded or is in flight (a void is then refused)."""
        return any(p.status is not PaymentStatus.FAILED for p in self.payments)

    def payment(self, payment_id: str) -> Payment:
        """The payment with ``payment_id``; NotFoundError if this invoice has none such."""
        for p in self.payments:
            if p.id == payment_id:
                return p
        raise NotFoundError("payment", payment_id)


def _price_mode(value: PriceMode | str, found: list[Problem]) -> PriceMode:
    try:
        return PriceMode(value)
    except ValueError:
        found.append(problem("prices", "must be 'exclusive' or 'inclusive'", value))
        return PriceMode.EXCLUSIVE


def reference_problems(references: Mapping[str, object]) -> list[Problem]:
    """Each reference (BT-10 to BT-13) is one line of printable text of at most 200 characters."""
    return [
        problem(name, f"must be one line of printable text of 1-{_MAX_REFERENCE} characters", value)
        for name, value in references.items()
        if value is not None
        and (
            not isinstance(value, str)
            or not value.strip()
            or len(value) > _MAX_REFERENCE
            or not value.isprintable()
        )
    ]


def _draft_text_problems(memo: object, footer: object, invoice_id: object) -> list[Problem]:
    found = checks.identifier("id", invoice_id, limit=_MAX_ID)
    for name, value in (("memo", memo), ("footer", footer)):
        found += checks.text(name, value, limit=_MAX_MEMO, required=False, one_line=False)
    return found

"""Invoice status rules. Every status change happens in this file.

``ALLOWED`` is the table of which action each status accepts; ``apply`` checks
it, checks the action's own guard (no void after a payment, no overdue before the
due date, ...) and returns the new invoice with the events that describe the
change. A refused action raises ``InvalidTransitionError`` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Final, cast

import attrs

from invoicekit.domain import checks
from invoicekit.domain import events as ev
from invoicekit.domain.calendar import books_date
from invoicekit.domain.invoice import (
    CollectionFailure,
    CreditApplication,
    CreditNote,
    CreditTransfer,
    Invoice,
    Payment,
    Refund,
)
from invoicekit.domain.line import Charge, Discount, Line, build_lines
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.status import Action, PaymentStatus, Status
from invoicekit.domain.terms import PaymentTerms
from invoicekit.domain.totals import compute_totals
from invoicekit.errors import (
    DuplicateError,
    InvalidTransitionError,
    InvariantViolationError,
    PaymentNotAllowedError,
    ValidationError,
    problem,
)
from invoicekit.money import parse_amount

__all__ = [
    "ALLOWED",
    "CREDIT_METHOD",
    "Action",
    "ApplyCredit",
    "Command",
    "Credit",
    "Delete",
    "Edit",
    "FailCollection",
    "FailPayment",
    "Issue",
    "MarkOverdue",
    "PayWithCredit",
    "RecordPayment",
    "RefundPayment",
    "Send",
    "SettlePayment",
    "Status",
    "Void",
    "WriteOff",
    "apply",
    "outcomes",
    "refundable",
    "transitions",
]

_A = Action
_OPEN: Final = frozenset(
    {
        _A.SEND,
        _A.RECORD_PAYMENT,
        _A.SETTLE_PAYMENT,
        _A.FAIL_PAYMENT,
        _A.FAIL_COLLECTION,
        _A.REFUND,
        _A.MARK_OVERDUE,
        _A.VOID,
        _A.WRITE_OFF,
        _A.CREDIT,
    }
)

_SETTLED: Final = frozenset(
    {_A.SEND, _A.RECORD_PAYMENT, _A.SETTLE_PAYMENT, _A.FAIL_PAYMENT, _A.REFUND, _A.CREDIT}
)

#: The lifecycle table: the actions each status accepts. Guards refine it
#: (void needs no payments, mark_overdue needs a passed due date and a balance).
ALLOWED: Final[Mapping[Status, frozenset[Action]]] = {
    Status.DRAFT: frozenset({_A.EDIT, _A.DELETE, _A.ISSUE}),
    Status.PENDING: _OPEN,
    Status.PARTIALLY_PAID: _OPEN - {_A.VOID},
    Status.OVERDUE: _OPEN - {_A.MARK_OVERDUE},
    Status.FAILED: _OPEN,
    # A payment on a paid invoice (a duplicate transfer) is recorded as customer credit:
    # money that arrived is never refused by the ledger. Only a paid invoice holds credit
    # (a refund gives it back before re-opening the balance), so only it can apply credit.
    Status.PAID: _SETTLED | {_A.APPLY_CREDIT},
    Status.UNCOLLECTIBLE: _SETTLED,
    Status.VOID: frozenset(),
}

_PAYMENT_ACTIONS: Final = frozenset(
    {_A.RECORD_PAYMENT, _A.SETTLE_PAYMENT, _A.FAIL_PAYMENT, _A.REFUND}
)
#: The method of a payment made with customer credit (``PayWithCredit``); reserved for it.
CREDIT_METHOD: Final = "credit"
_MAX_CREDIT_REFERENCE: Final = 140


def _lines(value: Iterable[Line | Mapping[str, Any]]) -> tuple[Line | Mapping[str, Any], ...]:
    return checks.plural(value)  # type: ignore[no-any-return]  # build_lines reports a non-list


def _optional_lines(
    value: Iterable[Line | Mapping[str, Any]] | None,
) -> tuple[Line | Mapping[str, Any], ...] | None:
    return None if value is None else tuple(value)


def _discounts(value: Iterable[Discount]) -> tuple[Discount, ...]:
    return tuple(value)


def _optional_discounts(value: Iterable[Discount] | None) -> tuple[Discount, ...] | None:
    return None if value is None else tuple(value)


def _charges(value: Iterable[Charge]) -> tuple[Charge, ...]:
    return tuple(value)


def _optional_charges(value: Iterable[Charge] | None) -> tuple[Charge, ...] | None:
    return None if value is None else tuple(value)


class Command:
    """Base of the action values passed to ``apply``; ``action`` names the table row."""

    action: ClassVar[Action]

    def __attrs_post_init__(self) -> None:
        """Check the arguments commands share by name (ids, flags, reasons) when it is built."""
        found = [
            bad
            for field in attrs.fields(cast("type[attrs.AttrsInstance]", type(self)))
            if (check := checks.ARGUMENTS.get(field.name)) is not None
            for bad in check(field.name, getattr(self, field.name), field.default is attrs.NOTHING)
        ]
        checks.refuse(found, self.action.value)


@attrs.frozen
class Edit(Command):
    """Change a draft. Fields left as None stay as they are; totals are recomputed."""

    action: ClassVar[Action] = Action.EDIT
    seller: Seller
    customer: Customer | None = None
    lines: tuple[Line | Mapping[str, Any], ...] | None = attrs.field(
        default=None, converter=_optional_lines
    )
    discounts: tuple[Discount, ...] | None = attrs.field(
        default=None, converter=_optional_discounts
    )
    charges: tuple[Charge, ...] | None = attrs.field(default=None, converter=_optional_charges)
    terms: PaymentTerms | None = None
    memo: str | None = None
    footer: str | None = None


@attrs.frozen
class Delete(Command):
    """Delete a draft."""

    action: ClassVar[Action] = Action.DELETE


@attrs.frozen
class Issue(Command):
    """Issue a draft with the number storage allocated, freezing parties and totals."""

    action: ClassVar[Action] = Action.ISSUE
    number: str
    seller: Seller
    customer: Customer
    #: Defaults to the date of ``at`` in the seller's time zone.
    issue_date: date | None = None
    payment_link: str | None = None


@attrs.frozen
class Send(Command):
    """Record that the invoice was handed to ``channel``."""

    action: ClassVar[Action] = Action.SEND
    channel: str


@attrs.frozen
class RecordPayment(Command):
    """A payment of ``amount``; ``pending=True`` for money in flight (SEPA, ACH)."""

    action: ClassVar[Action] = Action.RECORD_PAYMENT
    payment_id: str
    amount: Any
    pending: bool = False
    method: str = "manual"
    reference: str | None = None


@attrs.frozen
class SettlePayment(Command):
    """A pending payment settled."""

    action: ClassVar[Action] = Action.SETTLE_PAYMENT
    payment_id: str


@attrs.frozen
class FailPayment(Command):
    """A pending payment did not settle."""

    action: ClassVar[Action] = Action.FAIL_PAYMENT
    payment_id: str
    reason: str


@attrs.frozen
class FailCollection(Command):
    """An attempt to collect (charge a saved method) failed."""

    action: ClassVar[Action] = Action.FAIL_COLLECTION
    reason: str
    code: str | None = None


@attrs.frozen
class RefundPayment(Command):
    """Give back ``amount`` of payment ``payment_id``."""

    action: ClassVar[Action] = Action.REFUND
    payment_id: str
    refund_id: str
    amount: Any
    #: The payment provider's id of the refund, when the provider paid it out.
    provider_id: str | None = None


@attrs.frozen
class MarkOverdue(Command):
    """The due date passed with a balance left."""

    action: ClassVar[Action] = Action.MARK_OVERDUE


@attrs.frozen
class Void(Command):
    """Cancel an issued invoice that has no payments; its number stays used."""

    action: ClassVar[Action] = Action.VOID
    reason: str | None = None


@attrs.frozen
class WriteOff(Command):
    """Write the balance off as uncollectible."""

    action: ClassVar[Action] = Action.WRITE_OFF
    reason: str | None = None


@attrs.frozen
class Credit(Command):
    """Issue credit note ``number`` for ``lines`` (computed like an invoice) against the invoice."""

    action: ClassVar[Action] = Action.CREDIT
    credit_note_id: str
    number: str
    lines: tuple[Line | Mapping[str, Any], ...] = attrs.field(converter=_lines)
    reason: str | None = None
    discounts: tuple[Discount, ...] = attrs.field(default=(), converter=_discounts)
    charges: tuple[Charge, ...] = attrs.field(default=(), converter=_charges)
    #: The date its number was taken for; defaults to ``at`` in the seller's time zone.
    issue_date: date | None = None


@attrs.frozen
class PayWithCredit(Command):
    """Pay ``amount`` (at most what is due) with customer credit held on invoices ``sources``.

    Recorded as a settled payment with method ``credit``; each source gives up its part
    through ``ApplyCredit`` in the same transaction, so the credit is spent once.
    """

    action: ClassVar[Action] = Action.RECORD_PAYMENT
    payment_id: str
    amount: Any
    #: The numbers of the invoices the credit comes from (the payment's reference).
    sources: tuple[str, ...]


@attrs.frozen
class ApplyCredit(Command):
    """Give ``amount`` of the credit held on this invoice to invoice ``to_invoice_id``."""

    action: ClassVar[Action] = Action.APPLY_CREDIT
    #: The ``credit`` payment it becomes on the other invoice.
    payment_id: str
    to_invoice_id: str
    to_number: str
    amount: Any


Transition = tuple[Invoice, list[ev.Event]]


def apply(invoice: Invoice, command: Command, *, at: datetime) -> Transition:
    """Apply ``command`` to ``invoice`` at ``at``; return the new invoice and its events.

    Raises InvalidTransitionError (PaymentNotAllowedError for payment actions) when
    the status or a guard refuses, ValidationError for bad input. Never mutates.
    """
    action = command.action
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError(
            [problem("at", "must be a timezone-aware datetime", at)], subject="action"
        )
    allowed = ALLOWED[invoice.status]
    if action not in allowed:
        _refuse(invoice, action)
    handler = _HANDLERS[type(command)]
    new, events = handler(invoice, command, at)
    if new is not invoice:
        new = attrs.evolve(new, version=invoice.version + 1)
    return new, events


def _refuse(invoice: Invoice, action: Action, reason: str | None = None) -> None:
    allowed = [a.value for a in ALLOWED[invoice.status]]
    cls = PaymentNotAllowedError if action in _PAYMENT_ACTIONS else InvalidTransitionError
    raise cls(invoice.ref, invoice.status.value, action.value, allowed, reason=reason)


def _past_due(invoice: Invoice, at: datetime) -> bool:
    if invoice.due_date is None or invoice.seller is None:
        return False
    return books_date(at, invoice.seller) > invoice.due_date


def _settle(
    invoice: Invoice, at: datetime, events: list[ev.Event], *, keep_failed: bool = False
) -> Invoice:
    """Set the status that follows from the balance, with the events of the change."""
    before = invoice.status
    due = invoice.amount_due
    if due == 0:
        status = Status.PAID
    elif before is Status.UNCOLLECTIBLE or (keep_failed and before is Status.FAILED):
        status = before
    elif _past_due(invoice, at):
        status = Status.OVERDUE
    elif invoice.paid > 0:
        status = Status.PARTIALLY_PAID
    else:
        status = Status.PENDING
    if status is before:
        return invoice
    if status is Status.PAID:
        events.append(ev.InvoicePaid(invoice_id=invoice.id, at=at))
        return attrs.evolve(invoice, status=status, paid_at=at)
    if before is Status.PAID:
        events.append(ev.InvoiceReopened(invoice_id=invoice.id, at=at, amount_due=due))
    if status is Status.OVERDUE:
        events.append(ev.InvoiceOverdue(invoice_id=invoice.id, at=at, amount_due=due))
    return attrs.evolve(invoice, status=status, paid_at=None)


def _amount(invoice: Invoice, value: object, path: str = "amount") -> Decimal:
    amount = parse_amount(value, invoice.currency, path=path)
    if amount <= 0:
        raise ValidationError([problem(path, "must be greater than 0", value)], subject="payment")
    return amount


# --- handlers: one per command ------------------------------------------------------------


#: The invoice fields an edit may change: the ones ``Edit`` carries, and the totals and
#: rounding policy computed from them. Every other field is kept as it is.
EDITED_FIELDS: Final = (
    "customer_id",
    "lines",
    "terms",
    "discounts",
    "charges",
    "memo",
    "footer",
    "totals",
    "policy",
)


def _edit(invoice: Invoice, cmd: Edit, at: datetime) -> Transition:
    if cmd.seller.id != invoice.seller_id:
        raise ValidationError(
            [problem("seller", "a draft cannot move to another seller", cmd.seller.id)],
            subject="invoice",
        )
    customer = cmd.customer
    if customer is None:
        customer = _stub_customer(invoice, cmd.seller)
    # Invoice.draft checks the edited draft as a whole and computes its totals; only the
    # edited fields are taken from it, so a field the edit does not touch is never dropped.
    checked = Invoice.draft(
        id=invoice.id,
        seller=cmd.seller,
        customer=customer,
        lines=invoice.lines if cmd.lines is None else cmd.lines,
        at=invoice.created_at or at,
        currency=invoice.currency,
        terms=invoice.terms if cmd.terms is None else cmd.terms,
        discounts=invoice.discounts if cmd.discounts is None else cmd.discounts,
        charges=invoice.charges if cmd.charges is None else cmd.charges,
        prices=invoice.prices,
        memo=invoice.memo if cmd.memo is None else (cmd.memo or None),
        footer=invoice.footer if cmd.footer is None else (cmd.footer or None),
        metadata=invoice.metadata,
        series=invoice.series,
        issue_date=invoice.issue_date,
    )
    new = attrs.evolve(invoice, **{name: getattr(checked, name) for name in EDITED_FIELDS})
    return new, [ev.InvoiceEdited(invoice_id=invoice.id, at=at)]


def _stub_customer(invoice: Invoice, seller: Seller) -> Customer:
    """The draft's customer reference when an edit does not change it (only its id is used)."""
    return Customer(id=invoice.customer_id, seller_id=seller.id, name="-", channels=())


def _delete(invoice: Invoice, _: Delete, at: datetime) -> Transition:
    return invoice, [ev.InvoiceDeleted(invoice_id=invoice.id, at=at)]


def _issue(invoice: Invoice, cmd: Issue, at: datetime) -> Transition:
    found = []
    if not isinstance(cmd.number, str) or not cmd.number.strip():
        found.append(problem("number", "must be a non-empty string", cmd.number))
    if cmd.seller.id != invoice.seller_id:
        found.append(problem("seller", "is not the invoice's seller", cmd.seller.id))
    if cmd.customer.id != invoice.customer_id or cmd.customer.seller_id != invoice.seller_id:
        found.append(problem("customer", "is not the invoice's customer", cmd.customer.id))
    if found:
        raise ValidationError(found, subject="issue")
    issue_date = cmd.issue_date or invoice.issue_date or books_date(at, cmd.seller)
    due_date = invoice.terms.due_date(issue_date)
    totals = compute_totals(
        invoice.currency,
        invoice.lines,
        discounts=invoice.discounts,
        charges=invoice.charges,
        prices=invoice.prices,
        policy=cmd.seller.rounding,
    )
    new = attrs.evolve(
        invoice,
        status=Status.PENDING,
        number=cmd.number,
        issue_date=issue_date,
        due_date=due_date,
        seller=cmd.seller,
        customer=cmd.customer,
        totals=totals,
        policy=cmd.seller.rounding,
        payment_link=cmd.payment_link,
        issued_at=at,
    )
    events: list[ev.Event] = [
        ev.InvoiceIssued(
            invoice_id=invoice.id,
            at=at,
            number=cmd.number,
            amount_due=new.amount_due,
            currency=invoice.currency,
        )
    ]
    return _settle(new, at, events), events


def _send(invoice: Invoice, cmd: Send, at: datetime) -> Transition:
    return invoice, [ev.InvoiceSent(invoice_id=invoice.id, at=at, channel=cmd.channel)]


def _allocate(invoice: Invoice, payment: Payment, at: datetime, events: list[ev.Event]) -> Invoice:
    """Apply a succeeded payment: the balance first, the rest to customer credit."""
    due = invoice.amount_due
    allocated = min(payment.amount, due)
    credit = payment.amount - allocated
    done = attrs.evolve(
        payment, status=PaymentStatus.SUCCEEDED, allocated=allocated, customer_credit=credit
    )
    payments = tuple(done if p.id == payment.id else p for p in invoice.payments)
    if all(p.id != payment.id for p in invoice.payments):
        payments += (done,)
    events.append(
        ev.PaymentSucceeded(
            invoice_id=invoice.id,
            at=at,
            payment_id=payment.id,
            amount=payment.amount,
            allocated=allocated,
        )
    )
    if credit > 0:
        events.append(
            ev.CustomerCreditCreated(
                invoice_id=invoice.id,
                at=at,
                customer_id=invoice.customer_id,
                amount=credit,
                source=f"payment {payment.id}",
            )
        )
    return _settle(attrs.evolve(invoice, payments=payments), at, events)


def _record_payment(invoice: Invoice, cmd: RecordPayment, at: datetime) -> Transition:
    amount = _amount(invoice, cmd.amount)
    if cmd.method == CREDIT_METHOD:
        why = "is reserved for payments with customer credit: use payments.apply_credit"
        raise ValidationError([problem("method", why, cmd.method)], subject="payment")
    _new_payment_id(invoice, cmd.payment_id)
    payment = Payment(
        id=cmd.payment_id,
        amount=amount,
        status=PaymentStatus.PENDING,
        at=at,
        method=cmd.method,
        reference=cmd.reference,
    )
    events: list[ev.Event] = []
    if cmd.pending:
        events.append(
            ev.PaymentPending(invoice_id=invoice.id, at=at, payment_id=payment.id, amount=amount)
        )
        return attrs.evolve(invoice, payments=(*invoice.payments, payment)), events
    return _allocate(invoice, payment, at, events), events


def _new_payment_id(invoice: Invoice, payment_id: str) -> None:
    if any(p.id == payment_id for p in invoice.payments):
        raise DuplicateError(f"payment {payment_id!r} is already recorded on invoice {invoice.ref}")


def _pay_with_credit(invoice: Invoice, cmd: PayWithCredit, at: datetime) -> Transition:
    amount = _amount(invoice, cmd.amount)
    if invoice.amount_due == 0:
        _refuse(invoice, cmd.action, "nothing is due")
    if amount > invoice.amount_due:
        raise ValidationError(
            [problem("amount", f"at most {invoice.amount_due} is due on {invoice.ref}", amount)],
            subject="customer credit",
        )
    _new_payment_id(invoice, cmd.payment_id)
    reference = "customer credit from " + ", ".join(cmd.sources)
    if len(reference) > _MAX_CREDIT_REFERENCE:  # payment references are at most 140 characters
        reference = reference[: _MAX_CREDIT_REFERENCE - 1] + "…"
    payment = Payment(cmd.payment_id, amount, PaymentStatus.PENDING, at, CREDIT_METHOD, reference)
    events: list[ev.Event] = []
    return _allocate(invoice, payment, at, events), events


def _apply_credit(invoice: Invoice, cmd: ApplyCredit, at: datetime) -> Transition:
    amount = _amount(invoice, cmd.amount)
    if amount > invoice.customer_credit:
        why = f"at most {invoice.customer_credit} of customer credit is held on {invoice.ref}"
        raise ValidationError([problem("amount", why, amount)], subject="customer credit")
    if any(t.payment_id == cmd.payment_id for t in invoice.credit_transfers):
        raise DuplicateError(
            f"credit for payment {cmd.payment_id!r} was already applied from {invoice.ref}"
        )
    transfer = CreditTransfer(cmd.payment_id, cmd.to_invoice_id, cmd.to_number, amount, at)
    new = attrs.evolve(invoice, credit_transfers=(*invoice.credit_transfers, transfer))
    return new, [
        ev.CustomerCreditApplied(
            invoice_id=invoice.id,
            at=at,
            customer_id=invoice.customer_id,
            amount=amount,
            to_invoice_id=cmd.to_invoice_id,
            payment_id=cmd.payment_id,
        )
    ]


def _pending(invoice: Invoice, payment_id: str, action: Action) -> Payment:
    payment = invoice.payment(payment_id)
    if payment.status is not PaymentStatus.PENDING:
        _refuse(invoice, action, f"payment {payment_id!r} is {payment.status.value}, not pending")
    return payment


def _settle_payment(invoice: Invoice, cmd: SettlePayment, at: datetime) -> Transition:
    payment = _pending(invoice, cmd.payment_id, cmd.action)
    events: list[ev.Event] = []
    return _allocate(invoice, payment, at, events), events


def _fail_payment(invoice: Invoice, cmd: FailPayment, at: datetime) -> Transition:
    payment = _pending(invoice, cmd.payment_id, cmd.action)
    failed = attrs.evolve(payment, status=PaymentStatus.FAILED, failure_reason=cmd.reason)
    new = attrs.evolve(
        invoice,
        payments=tuple(failed if p.id == payment.id else p for p in invoice.payments),
        failures=(*invoice.failures, CollectionFailure(at, cmd.reason)),
    )
    events: list[ev.Event] = [
        ev.PaymentFailed(invoice_id=invoice.id, at=at, payment_id=payment.id, reason=cmd.reason)
    ]
    if new.amount_due > 0 and new.status not in (Status.UNCOLLECTIBLE, Status.FAILED):
        new = attrs.evolve(new, status=Status.FAILED)
    return new, events


def _fail_collection(invoice: Invoice, cmd: FailCollection, at: datetime) -> Transition:
    new = attrs.evolve(
        invoice,
        status=Status.FAILED,
        failures=(*invoice.failures, CollectionFailure(at, cmd.reason, cmd.code)),
    )
    return new, [
        ev.CollectionFailed(invoice_id=invoice.id, at=at, reason=cmd.reason, code=cmd.code)
    ]


def refundable(invoice: Invoice, payment_id: str) -> Decimal:
    """What may still be refunded of a payment: what it still pays plus the credit held here.

    Never more than the payment brought in. Credit applied to another invoice is not
    refundable here: it paid that invoice, as a ``credit`` payment that can be refunded there.
    """
    p = invoice.payment(payment_id)
    return min(p.amount - p.refunded, p.net_allocated + invoice.customer_credit)


def _refund(invoice: Invoice, cmd: RefundPayment, at: datetime) -> Transition:
    """Give money back: customer credit held on the invoice first, only the rest re-opens it."""
    payment = invoice.payment(cmd.payment_id)
    amount = _amount(invoice, cmd.amount)
    if payment.status is not PaymentStatus.SUCCEEDED:
        _refuse(
            invoice,
            cmd.action,
            f"payment {payment.id!r} is {payment.status.value}; "
            "only succeeded payments are refunded",
        )
    if any(r.id == cmd.refund_id for p in invoice.payments for r in p.refunds):
        raise DuplicateError(
            f"refund {cmd.refund_id!r} is already recorded on invoice {invoice.ref}"
        )
    cap = refundable(invoice, payment.id)
    if amount > cap:
        raise ValidationError(
            [problem("amount", _over_refund(invoice, payment, cap), amount)], subject="refund"
        )
    from_credit = min(amount, invoice.customer_credit)
    refund = Refund(cmd.refund_id, amount, at, from_credit=from_credit, provider_id=cmd.provider_id)
    done = attrs.evolve(payment, refunds=(*payment.refunds, refund))
    new = attrs.evolve(
        invoice, payments=tuple(done if p.id == payment.id else p for p in invoice.payments)
    )
    events: list[ev.Event] = [
        ev.PaymentRefunded(
            invoice_id=invoice.id,
            at=at,
            payment_id=payment.id,
            refund_id=cmd.refund_id,
            amount=amount,
            from_credit=from_credit,
        )
    ]
    return _settle(new, at, events, keep_failed=True), events


def _over_refund(invoice: Invoice, payment: Payment, cap: Decimal) -> str:
    """Why a refund is above ``cap``, and where the rest went when credit was applied elsewhere."""
    why = f"at most {cap} of payment {payment.id!r} can be refunded through this invoice"
    if not invoice.credit_transfers or cap == payment.amount - payment.refunded:
        return why  # capped by what the payment brought in, not by credit spent elsewhere
    to = ", ".join(sorted({t.number for t in invoice.credit_transfers}))
    return (
        f"{why}; customer credit held here already paid {to}: to give that money back, "
        "refund the 'credit' payment on that invoice"
    )


def _mark_overdue(invoice: Invoice, cmd: MarkOverdue, at: datetime) -> Transition:
    if not _past_due(invoice, at):
        _refuse(
            invoice,
            cmd.action,
            f"the due date {invoice.due_date} has not passed on {at.isoformat()}",
        )
    new = attrs.evolve(invoice, status=Status.OVERDUE)
    return new, [ev.InvoiceOverdue(invoice_id=invoice.id, at=at, amount_due=invoice.amount_due)]


def _void(invoice: Invoice, cmd: Void, at: datetime) -> Transition:
    if invoice.has_payments or invoice.credits:
        _refuse(invoice, cmd.action, "it has payments or credit notes; issue a credit note instead")
    new = attrs.evolve(invoice, status=Status.VOID, voided_at=at)
    return new, [ev.InvoiceVoided(invoice_id=invoice.id, at=at, reason=cmd.reason)]


def _write_off(invoice: Invoice, _: WriteOff, at: datetime) -> Transition:
    new = attrs.evolve(invoice, status=Status.UNCOLLECTIBLE, written_off_at=at)
    return new, [
        ev.InvoiceMarkedUncollectible(invoice_id=invoice.id, at=at, amount_due=invoice.amount_due)
    ]


def _credit(invoice: Invoice, cmd: Credit, at: datetime) -> Transition:
    if invoice.seller is None or invoice.customer is None or invoice.issue_date is None:
        raise InvariantViolationError("I4", f"issued invoice {invoice.ref} lost its snapshot")
    if invoice.number is None:
        raise InvariantViolationError("I3", f"issued invoice {invoice.id} has no number")
    if any(c.credit_note_id == cmd.credit_note_id for c in invoice.credits):
        raise DuplicateError(
            f"credit note {cmd.credit_note_id!r} is already recorded on invoice {invoice.ref}"
        )
    lines, found = build_lines(cmd.lines)
    if not cmd.number or not isinstance(cmd.number, str):
        found.append(problem("number", "must be a non-empty string", cmd.number))
    if found:
        raise ValidationError(found, subject="credit note")
    totals = compute_totals(
        invoice.currency,
        lines,
        discounts=cmd.discounts,
        charges=cmd.charges,
        prices=invoice.prices,
        policy=invoice.policy,
    )
    left = invoice.totals.payable - invoice.credit_notes_total
    if totals.payable <= 0 or totals.payable > left:
        raise ValidationError(
            [
                problem(
                    "lines",
                    f"the credit note's amount must be above 0 and at most {left} "
                    f"(left to credit on {invoice.ref})",
                    totals.payable,
                )
            ],
            subject="credit note",
        )
    note = CreditNote(
        id=cmd.credit_note_id,
        number=cmd.number,
        seller_id=invoice.seller_id,
        customer_id=invoice.customer_id,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        invoice_issue_date=invoice.issue_date,
        currency=invoice.currency,
        lines=lines,
        totals=totals,
        issue_date=cmd.issue_date or books_date(at, invoice.seller),
        issued_at=at,
        seller=invoice.seller,
        customer=invoice.customer,
        reason=cmd.reason,
        buyer_reference=invoice.buyer_reference,
        order_reference=invoice.order_reference,
    )
    allocated = min(totals.payable, invoice.amount_due)
    credit = totals.payable - allocated
    applied = CreditApplication(note.id, note.number, totals.payable, allocated, credit, at)
    events: list[ev.Event] = [ev.CreditNoteIssued(invoice_id=invoice.id, at=at, credit_note=note)]
    if credit > 0:
        events.append(
            ev.CustomerCreditCreated(
                invoice_id=invoice.id,
                at=at,
                customer_id=invoice.customer_id,
                amount=credit,
                source=f"credit note {note.number}",
            )
        )
    new = attrs.evolve(invoice, credits=(*invoice.credits, applied))
    return _settle(new, at, events, keep_failed=True), events


_HANDLERS: Final[Mapping[type[Command], Any]] = {
    Edit: _edit,
    Delete: _delete,
    Issue: _issue,
    Send: _send,
    RecordPayment: _record_payment,
    SettlePayment: _settle_payment,
    FailPayment: _fail_payment,
    FailCollection: _fail_collection,
    RefundPayment: _refund,
    MarkOverdue: _mark_overdue,
    Void: _void,
    WriteOff: _write_off,
    Credit: _credit,
    PayWithCredit: _pay_with_credit,
    ApplyCredit: _apply_credit,
}


def transitions() -> Iterable[tuple[Status, Action, frozenset[Status]]]:
    """Every (status, action) pair the table allows with the statuses it can lead to.

    The docs draw the lifecycle diagram from this; the tests check that every
    accepted action ends in one of the statuses listed here.
    """
    for status in Status:
        for action in sorted(ALLOWED[status]):
            yield status, action, outcomes(status, action)


def outcomes(status: Status, action: Action) -> frozenset[Status]:
    """The statuses ``action`` can lead to from ``status`` (which one depends on the balance)."""
    if action not in ALLOWED[status]:
        return frozenset()
    balance = {Status.PAID, Status.PARTIALLY_PAID, Status.OVERDUE, Status.PENDING}
    keep = {status}
    table: dict[Action, set[Status]] = {
        Action.EDIT: {Status.DRAFT},
        Action.DELETE: set(),
        Action.ISSUE: {Status.PENDING, Status.PAID, Status.OVERDUE},
        Action.SEND: keep,
        Action.RECORD_PAYMENT: (balance - {Status.PENDING}) | keep,
        Action.SETTLE_PAYMENT: (balance - {Status.PENDING}) | keep,
        Action.FAIL_PAYMENT: {Status.FAILED} | keep,
        Action.FAIL_COLLECTION: {Status.FAILED},
        Action.REFUND: (balance - {Status.PAID}) | keep,
        Action.MARK_OVERDUE: {Status.OVERDUE},
        Action.VOID: {Status.VOID},
        Action.WRITE_OFF: {Status.UNCOLLECTIBLE},
        Action.CREDIT: {Status.PAID, Status.OVERDUE} | keep,
        Action.APPLY_CREDIT: keep,
    }
    result = table[action]
    if status is Status.UNCOLLECTIBLE and action is not Action.SEND:
        result = (result & {Status.PAID}) | keep
    return frozenset(result)

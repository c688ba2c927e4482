"""T08 transition_matrix_exhaustive: every (status, action) pair against a hand-written spec.

The spec below is written out by hand from docs/reference/lifecycle.md and totals-rules
"After issue" (the ``ALLOWED`` table of lifecycle.py decides where they are
silent). Each cell names the representative invoice it runs on (``rep``), and
either the next status plus the event names, or the error expected: a table
refusal (the status never accepts the action) or a guard refusal (the status
accepts it, this invoice does not, and the message gives the reason).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest

import factories as f
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Action, Status
from invoicekit.errors import InvalidTransitionError, PaymentError, PaymentNotAllowedError

A = Action
S = Status
EARLY = f.utc(2026, 3, 10)  # before the due date 2026-03-31
LATE = f.utc(2026, 4, 10)  # after it
PAYMENT_ACTIONS = {
    A.RECORD_PAYMENT,
    A.SETTLE_PAYMENT,
    A.FAIL_PAYMENT,
    A.REFUND,
    A.DISPUTE,
    A.RESOLVE_DISPUTE,
}


def _run(invoice: Invoice, *commands: lc.Command, at: datetime = f.AT) -> Invoice:
    for command in commands:
        invoice, _ = lc.apply(invoice, command, at=at)
    return invoice


def _pp() -> lc.Command:
    return lc.RecordPayment("pp", "20.00", pending=True)


def _p1(amount: str = "50.00") -> lc.Command:
    return lc.RecordPayment("p1", amount)


#: Representative invoices (EUR 100.00 + 19 % = 119.00, issued 2026-03-01, due 2026-03-31).
#: "+pp" adds a payment "pp" of 20.00 in flight; "+p1" a settled payment "p1" of 50.00.
REPS: dict[str, Callable[[], Invoice]] = {
    "draft": f.draft,
    "pending": f.issued,
    "pending+pp": lambda: _run(f.issued(), _pp()),
    "partial": lambda: _run(f.issued(), _p1()),
    "partial+pp": lambda: _run(f.issued(), _p1(), _pp()),
    "partial+d1": lambda: _run(f.issued(), _p1(), lc.DisputePayment("p1", "d1", "10.00")),
    "paid": lambda: _run(f.issued(), _p1("119.00")),
    "paid+pp": lambda: _run(f.issued(), _pp(), _p1("119.00")),
    "paid+credit": lambda: _run(f.issued(), _p1("130.00")),  # 11.00 customer credit
    "overdue": lambda: _run(f.issued(), lc.MarkOverdue(), at=LATE),
    "overdue+pp": lambda: _run(_run(f.issued(), _pp()), lc.MarkOverdue(), at=LATE),
    "overdue+p1": lambda: _run(_run(f.issued(), _p1()), lc.MarkOverdue(), at=LATE),
    "failed": lambda: _run(f.issued(), lc.FailCollection("card declined")),
    "failed+pp": lambda: _run(f.issued(), _pp(), lc.FailCollection("card declined")),
    "failed+p1": lambda: _run(f.issued(), _p1(), lc.FailCollection("card declined")),
    "void": lambda: _run(f.issued(), lc.Void()),
    "uncollectible": lambda: _run(f.issued(), _p1(), lc.WriteOff()),
    "uncollectible+pp": lambda: _run(f.issued(), _p1(), _pp(), lc.WriteOff()),
}

#: The command each action is tried with, unless a cell gives its own.
COMMANDS: dict[Action, lc.Command] = {
    A.EDIT: lc.Edit(seller=f.seller(), memo="changed"),
    A.DELETE: lc.Delete(),
    A.ISSUE: lc.Issue(number="INV-2026-00002", seller=f.seller(), customer=f.customer()),
    A.SEND: lc.Send("email"),
    A.RECORD_PAYMENT: lc.RecordPayment("p9", "10.00"),
    A.SETTLE_PAYMENT: lc.SettlePayment("pp"),
    A.FAIL_PAYMENT: lc.FailPayment("pp", "insufficient funds"),
    A.FAIL_COLLECTION: lc.FailCollection("card declined", code="card_declined"),
    A.REFUND: lc.RefundPayment("p1", "r1", "10.00"),
    A.MARK_OVERDUE: lc.MarkOverdue(),
    A.VOID: lc.Void("entered twice"),
    A.WRITE_OFF: lc.WriteOff("customer insolvent"),
    A.CREDIT: lc.Credit("cn1", "CN-2026-00001", lines=[f.line("10.00")]),
    A.APPLY_CREDIT: lc.ApplyCredit("pc", "inv-2", "INV-2026-00002", "10.00"),
    A.DISPUTE: lc.DisputePayment("p1", "d1", "10.00"),
    A.RESOLVE_DISPUTE: lc.ResolveDispute("p1", "d1", won=True),
}
NO_DISPUTE = "has no open dispute"


@dataclass(frozen=True)
class Cell:
    """The expected outcome of one action on one representative invoice."""

    rep: str
    status: Status | None = None
    events: tuple[str, ...] = ()
    error: type[Exception] | None = None
    #: For a guard refusal: a piece of the reason the message must give.
    guard: str | None = None
    late: bool = False
    command: lc.Command | None = None


def ok(
    rep: str, status: Status, *events: str, late: bool = False, cmd: lc.Command | None = None
) -> Cell:
    return Cell(rep, status, events, late=late, command=cmd)


def no(rep: str, *, pay: bool = False) -> Cell:
    """A table refusal: the status never accepts the action."""
    return Cell(rep, error=PaymentNotAllowedError if pay else InvalidTransitionError)


def guard(rep: str, reason: str, *, pay: bool = False, cmd: lc.Command | None = None) -> Cell:
    """A guard refusal: the status accepts the action, this invoice does not."""
    error = PaymentNotAllowedError if pay else InvalidTransitionError
    return Cell(rep, error=error, guard=reason, command=cmd)


def _refused_everything(rep: str) -> dict[Action, Cell]:
    return {a: no(rep, pay=a in PAYMENT_ACTIONS) for a in Action}


def _issued_row(rep: str) -> dict[Action, Cell]:
    """Edit, delete and issue are refused on every issued invoice (I4); only a paid one holds
    customer credit to apply elsewhere."""
    return {A.EDIT: no(rep), A.DELETE: no(rep), A.ISSUE: no(rep), A.APPLY_CREDIT: no(rep)}


PAY_REST = lc.RecordPayment("p9", "69.00")

SPEC: dict[Status, dict[Action, Cell]] = {
    S.DRAFT: {
        **_refused_everything("draft"),
        A.EDIT: ok("draft", S.DRAFT, "InvoiceEdited"),
        A.DELETE: ok("draft", S.DRAFT, "InvoiceDeleted"),
        A.ISSUE: ok("draft", S.PENDING, "InvoiceIssued"),
    },
    S.PENDING: {
        **_issued_row("pending"),
        A.SEND: ok("pending", S.PENDING, "InvoiceSent"),
        A.RECORD_PAYMENT: ok("pending", S.PARTIALLY_PAID, "PaymentSucceeded"),
        A.SETTLE_PAYMENT: ok("pending+pp", S.PARTIALLY_PAID, "PaymentSucceeded"),
        A.FAIL_PAYMENT: ok("pending+pp", S.FAILED, "PaymentFailed"),
        A.FAIL_COLLECTION: ok("pending", S.FAILED, "CollectionFailed"),
        A.REFUND: guard(
            "pending+pp",
            "only succeeded payments are refunded",
            pay=True,
            cmd=lc.RefundPayment("pp", "r1", "10.00"),
        ),
        A.MARK_OVERDUE: ok("pending", S.OVERDUE, "InvoiceOverdue", late=True),
        A.VOID: ok("pending", S.VOID, "InvoiceVoided"),
        A.WRITE_OFF: ok("pending", S.UNCOLLECTIBLE, "InvoiceMarkedUncollectible"),
        A.CREDIT: ok("pending", S.PENDING, "CreditNoteIssued"),
        A.DISPUTE: guard(
            "pending+pp",
            "only succeeded payments are disputed",
            pay=True,
            cmd=lc.DisputePayment("pp", "d1", "10.00"),
        ),
        A.RESOLVE_DISPUTE: guard(
            "pending+pp", NO_DISPUTE, pay=True, cmd=lc.ResolveDispute("pp", "d1", won=True)
        ),
    },
    S.PARTIALLY_PAID: {
        **_issued_row("partial"),
        A.SEND: ok("partial", S.PARTIALLY_PAID, "InvoiceSent"),
        A.RECORD_PAYMENT: ok("partial", S.PAID, "PaymentSucceeded", "InvoicePaid", cmd=PAY_REST),
        A.SETTLE_PAYMENT: ok("partial+pp", S.PARTIALLY_PAID, "PaymentSucceeded"),
        A.FAIL_PAYMENT: ok("partial+pp", S.FAILED, "PaymentFailed"),
        A.FAIL_COLLECTION: ok("partial", S.FAILED, "CollectionFailed"),
        A.REFUND: ok("partial", S.PARTIALLY_PAID, "PaymentRefunded"),
        A.MARK_OVERDUE: ok("partial", S.OVERDUE, "InvoiceOverdue", late=True),
        A.VOID: no("partial"),
        A.WRITE_OFF: ok("partial", S.UNCOLLECTIBLE, "InvoiceMarkedUncollectible"),
        A.CREDIT: ok("partial", S.PARTIALLY_PAID, "CreditNoteIssued"),
        A.DISPUTE: ok("partial", S.PARTIALLY_PAID, "PaymentDisputed"),
        A.RESOLVE_DISPUTE: ok("partial+d1", S.PARTIALLY_PAID, "DisputeResolved"),
    },
    S.PAID: {
        **_issued_row("paid"),
        A.SEND: ok("paid", S.PAID, "InvoiceSent"),
        A.RECORD_PAYMENT: ok("paid", S.PAID, "PaymentSucceeded", "CustomerCreditCreated"),
        A.SETTLE_PAYMENT: ok("paid+pp", S.PAID, "PaymentSucceeded", "CustomerCreditCreated"),
        A.FAIL_PAYMENT: ok("paid+pp", S.PAID, "PaymentFailed"),
        A.FAIL_COLLECTION: no("paid"),
        A.REFUND: ok("paid", S.PARTIALLY_PAID, "PaymentRefunded", "InvoiceReopened"),
        A.MARK_OVERDUE: no("paid"),
        A.VOID: no("paid"),
        A.WRITE_OFF: no("paid"),
        A.CREDIT: ok("paid", S.PAID, "CreditNoteIssued", "CustomerCreditCreated"),
        A.APPLY_CREDIT: ok("paid+credit", S.PAID, "CustomerCreditApplied"),
        A.DISPUTE: ok("paid", S.PARTIALLY_PAID, "PaymentDisputed", "InvoiceReopened"),
        A.RESOLVE_DISPUTE: guard("paid", NO_DISPUTE, pay=True),
    },
    S.OVERDUE: {
        **_issued_row("overdue"),
        A.SEND: ok("overdue", S.OVERDUE, "InvoiceSent", late=True),
        A.RECORD_PAYMENT: ok("overdue", S.OVERDUE, "PaymentSucceeded", late=True),
        A.SETTLE_PAYMENT: ok("overdue+pp", S.OVERDUE, "PaymentSucceeded", late=True),
        A.FAIL_PAYMENT: ok("overdue+pp", S.FAILED, "PaymentFailed", late=True),
        A.FAIL_COLLECTION: ok("overdue", S.FAILED, "CollectionFailed", late=True),
        A.REFUND: ok("overdue+p1", S.OVERDUE, "PaymentRefunded", late=True),
        A.MARK_OVERDUE: no("overdue"),
        A.VOID: ok("overdue", S.VOID, "InvoiceVoided", late=True),
        A.WRITE_OFF: ok("overdue", S.UNCOLLECTIBLE, "InvoiceMarkedUncollectible", late=True),
        A.CREDIT: ok("overdue", S.OVERDUE, "CreditNoteIssued", late=True),
        A.DISPUTE: ok("overdue+p1", S.OVERDUE, "PaymentDisputed", late=True),
        A.RESOLVE_DISPUTE: guard("overdue+p1", NO_DISPUTE, pay=True),
    },
    S.FAILED: {
        **_issued_row("failed"),
        A.SEND: ok("failed", S.FAILED, "InvoiceSent"),
        A.RECORD_PAYMENT: ok("failed", S.PARTIALLY_PAID, "PaymentSucceeded"),
        A.SETTLE_PAYMENT: ok("failed+pp", S.PARTIALLY_PAID, "PaymentSucceeded"),
        A.FAIL_PAYMENT: ok("failed+pp", S.FAILED, "PaymentFailed"),
        A.FAIL_COLLECTION: ok("failed", S.FAILED, "CollectionFailed"),
        A.REFUND: ok("failed+p1", S.FAILED, "PaymentRefunded"),
        A.MARK_OVERDUE: ok("failed", S.OVERDUE, "InvoiceOverdue", late=True),
        A.VOID: ok("failed", S.VOID, "InvoiceVoided"),
        A.WRITE_OFF: ok("failed", S.UNCOLLECTIBLE, "InvoiceMarkedUncollectible"),
        A.CREDIT: ok("failed", S.FAILED, "CreditNoteIssued"),
        A.DISPUTE: ok("failed+p1", S.FAILED, "PaymentDisputed"),
        A.RESOLVE_DISPUTE: guard("failed+p1", NO_DISPUTE, pay=True),
    },
    S.VOID: _refused_everything("void"),
    S.UNCOLLECTIBLE: {
        **_issued_row("uncollectible"),
        A.SEND: ok("uncollectible", S.UNCOLLECTIBLE, "InvoiceSent"),
        A.RECORD_PAYMENT: ok(
            "uncollectible", S.PAID, "PaymentSucceeded", "InvoicePaid", cmd=PAY_REST
        ),
        A.SETTLE_PAYMENT: ok("uncollectible+pp", S.UNCOLLECTIBLE, "PaymentSucceeded"),
        A.FAIL_PAYMENT: ok("uncollectible+pp", S.UNCOLLECTIBLE, "PaymentFailed"),
        A.FAIL_COLLECTION: no("uncollectible"),
        A.REFUND: ok("uncollectible", S.UNCOLLECTIBLE, "PaymentRefunded"),
        A.MARK_OVERDUE: no("uncollectible"),
        A.VOID: no("uncollectible"),
        A.WRITE_OFF: no("uncollectible"),
        A.CREDIT: ok("uncollectible", S.UNCOLLECTIBLE, "CreditNoteIssued"),
        A.DISPUTE: ok("uncollectible", S.UNCOLLECTIBLE, "PaymentDisputed"),
        A.RESOLVE_DISPUTE: guard("uncollectible", NO_DISPUTE, pay=True),
    },
}

PAIRS = [(s, a) for s in Status for a in Action]


def _allowed_in_spec(status: Status) -> list[str]:
    """The actions the spec row accepts by status (guard refusals count as accepted)."""
    row = SPEC[status]
    return sorted(
        a.value for a, cell in row.items() if cell.error is None or cell.guard is not None
    )


def test_the_spec_covers_every_status_and_action() -> None:
    assert set(SPEC) == set(Status)
    missing = [(s.value, a.value) for s, a in PAIRS if a not in SPEC[s]]
    assert missing == []
    assert len(PAIRS) == 8 * len(Action)


@pytest.mark.parametrize("name", sorted(REPS))
def test_each_representative_is_in_its_status(name: str) -> None:
    expected = name.split("+", maxsplit=1)[0].replace("partial", "partially_paid")
    assert REPS[name]().status.value == expected


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_transition(status: Status, action: Action) -> None:
    cell = SPEC[status][action]
    invoice = REPS[cell.rep]()
    assert invoice.status is status
    before = f.snapshot(invoice)
    command = cell.command or COMMANDS[action]
    at = LATE if cell.late or status is S.OVERDUE else EARLY

    if cell.error is None:
        new, events = lc.apply(invoice, command, at=at)
        assert new.status is cell.status
        if action is not A.DELETE:
            assert new.status in lc.outcomes(status, action)
        assert tuple(e.name for e in events) == cell.events
        # Send and delete record an event and leave the value as it is (no new version).
        bump = 0 if action in (A.SEND, A.DELETE) else 1
        assert new.version == invoice.version + bump
        assert f.snapshot(invoice) == before
        return

    with pytest.raises(cell.error) as caught:
        lc.apply(invoice, command, at=at)
    exc = caught.value
    assert type(exc) is cell.error
    assert isinstance(exc, InvalidTransitionError)
    assert isinstance(exc, PaymentError) == (action in PAYMENT_ACTIONS)
    message = str(exc)
    assert invoice.ref in message
    assert f"'{status.value}'" in message
    assert f"cannot {action.value} " in message
    assert (exc.status, exc.action) == (status.value, action.value)
    if cell.guard is not None:
        assert cell.guard in message
    elif status is S.VOID:
        assert message.endswith("allowed: none (void is final)")
        assert exc.allowed == ()
    else:
        allowed = _allowed_in_spec(status)
        assert message.endswith("allowed: " + ", ".join(allowed))
        assert list(exc.allowed) == allowed
    # Nothing changed: the invoice passed in equals the copy taken before.
    assert f.snapshot(invoice) == before
    assert invoice.version == before[0].version


def test_the_table_in_the_library_matches_the_spec() -> None:
    for status in Status:
        assert sorted(a.value for a in lc.ALLOWED[status]) == _allowed_in_spec(status), status


# ------------------------------------------------------------------ the cases T08 names


@pytest.mark.parametrize(
    "rep",
    ["pending+pp", "partial", "paid", "overdue+p1", "failed+p1", "failed+pp", "uncollectible"],
)
def test_void_after_any_payment_is_refused(rep: str) -> None:
    invoice = REPS[rep]()
    before = f.snapshot(invoice)
    with pytest.raises(InvalidTransitionError, match=r"cannot void on invoice INV-2026-00001"):
        lc.apply(invoice, lc.Void(), at=LATE if rep.startswith("overdue") else EARLY)
    assert f.snapshot(invoice) == before


def test_void_after_a_fully_refunded_payment_is_still_refused() -> None:
    invoice = _run(f.issued(), _p1(), lc.RefundPayment("p1", "r1", "50.00"))
    assert (invoice.status, invoice.paid) == (S.PENDING, invoice.zero)
    with pytest.raises(InvalidTransitionError, match="it has payments or credit notes"):
        lc.apply(invoice, lc.Void(), at=EARLY)


def test_void_after_a_credit_note_is_refused() -> None:
    invoice = _run(f.issued(), COMMANDS[A.CREDIT])
    with pytest.raises(InvalidTransitionError, match="credit notes"):
        lc.apply(invoice, lc.Void(), at=EARLY)


def test_a_payment_that_failed_does_not_block_void() -> None:
    invoice = _run(f.issued(), _pp(), lc.FailPayment("pp", "returned"))
    assert invoice.status is S.FAILED
    new, events = lc.apply(invoice, lc.Void(), at=EARLY)
    assert new.status is S.VOID
    assert [e.name for e in events] == ["InvoiceVoided"]
    assert new.number == invoice.number  # a voided invoice keeps its number (I3)


@pytest.mark.parametrize(
    "command",
    [
        lc.RecordPayment("p9", "10.00"),
        lc.RecordPayment("p9", "10.00", pending=True),
        lc.SettlePayment("pp"),
        lc.RefundPayment("p1", "r1", "1.00"),
    ],
    ids=["pay", "pay-pending", "settle", "refund"],
)
def test_paying_a_void_invoice_is_a_payment_error(command: lc.Command) -> None:
    invoice = REPS["void"]()
    with pytest.raises(PaymentError) as caught:
        lc.apply(invoice, command, at=EARLY)
    assert caught.value.code == "not_allowed"
    assert caught.value.retryable is False
    assert "allowed: none (void is final)" in str(caught.value)


def test_paying_an_uncollectible_invoice_makes_it_paid() -> None:
    invoice = REPS["uncollectible"]()
    assert invoice.amount_due == Decimal("69.00")
    new, events = lc.apply(invoice, lc.RecordPayment("p9", "69.00"), at=LATE)
    assert (new.status, new.amount_due, new.paid_at) == (S.PAID, Decimal("0.00"), LATE)
    assert [e.name for e in events] == ["PaymentSucceeded", "InvoicePaid"]
    assert new.written_off_at == invoice.written_off_at  # the write-off stays on record

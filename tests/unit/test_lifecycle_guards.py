"""Lines of lifecycle.py that mutation testing found no test noticing a change to.

Each check of ``Issue`` (blank number, another seller, another customer), the credit
note's checks, ``outcomes()`` from an uncollectible invoice, ``transitions()``, small
balances, and what an edit keeps and changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import attrs
import pytest

import factories as f
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.line import Charge, Discount
from invoicekit.domain.status import Action, Status
from invoicekit.domain.tax import Vat
from invoicekit.domain.terms import NetDays
from invoicekit.errors import InvariantViolationError, ValidationError

A = Action
S = Status


def _issue_problems(command: lc.Issue) -> list[str]:
    """The fields ``command`` is refused for; the draft is left as it was."""
    draft = f.draft()
    before = f.snapshot(draft)
    with pytest.raises(ValidationError) as caught:
        lc.apply(draft, command, at=f.AT)
    assert f.snapshot(draft) == before
    return [p.path for p in caught.value.problems]


@pytest.mark.parametrize("number", ["", "   ", "\t\n"])
def test_issue_refuses_a_blank_number(number: str) -> None:
    seller = f.seller()
    command = lc.Issue(number=number, seller=seller, customer=f.customer(seller))

    assert _issue_problems(command) == ["number"]


def test_issue_refuses_another_sellers_snapshot() -> None:
    other = f.seller(id="s2")
    command = lc.Issue(number="INV-1", seller=other, customer=f.customer())

    assert _issue_problems(command) == ["seller"]


@pytest.mark.parametrize(
    "customer",
    [f.customer(id="c2"), f.customer(f.seller(id="s2"))],
    ids=["another customer id", "same id of another seller"],
)
def test_issue_refuses_another_customers_snapshot(customer: object) -> None:
    command = lc.Issue(number="INV-1", seller=f.seller(), customer=customer)  # type: ignore[arg-type]

    assert _issue_problems(command) == ["customer"]


def test_issue_reports_every_problem_at_once() -> None:
    other = f.seller(id="s2")
    command = lc.Issue(number=" ", seller=other, customer=f.customer(other, id="c2"))

    assert _issue_problems(command) == ["number", "seller", "customer"]


@pytest.mark.parametrize("number", ["", None])
def test_a_credit_note_needs_a_number(number: object) -> None:
    invoice = f.issued()
    before = f.snapshot(invoice)
    credit = lc.Credit("cn1", number, lines=[f.line("10.00")])  # type: ignore[arg-type]

    with pytest.raises(ValidationError, match="non-empty string") as caught:
        lc.apply(invoice, credit, at=f.AT)

    assert [p.path for p in caught.value.problems] == ["number"]
    assert f.snapshot(invoice) == before


#: Where each action leads from an uncollectible invoice: it stays written off until the
#: balance reaches 0, then it is paid; nothing reopens it and send changes nothing.
FROM_UNCOLLECTIBLE = {
    A.SEND: {S.UNCOLLECTIBLE},
    A.RECORD_PAYMENT: {S.UNCOLLECTIBLE, S.PAID},
    A.SETTLE_PAYMENT: {S.UNCOLLECTIBLE, S.PAID},
    A.FAIL_PAYMENT: {S.UNCOLLECTIBLE},
    A.REFUND: {S.UNCOLLECTIBLE},
    A.DISPUTE: {S.UNCOLLECTIBLE},
    A.RESOLVE_DISPUTE: {S.UNCOLLECTIBLE, S.PAID},
    A.CREDIT: {S.UNCOLLECTIBLE, S.PAID},
}


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_outcomes_from_uncollectible(action: Action) -> None:
    assert lc.outcomes(S.UNCOLLECTIBLE, action) == FROM_UNCOLLECTIBLE.get(action, set())


def test_outcomes_from_uncollectible_match_what_apply_does() -> None:
    invoice = lc.apply(f.issued(), lc.WriteOff("insolvent"), at=f.AT)[0]
    part, _ = lc.apply(invoice, lc.RecordPayment("p1", "19.00"), at=f.AT)
    paid, _ = lc.apply(part, lc.RecordPayment("p2", "100.00"), at=f.AT)

    assert (part.status, paid.status) == (S.UNCOLLECTIBLE, S.PAID)
    assert {part.status, paid.status} == lc.outcomes(S.UNCOLLECTIBLE, A.RECORD_PAYMENT)


def test_transitions_list_every_allowed_pair_with_its_outcomes() -> None:
    listed = list(lc.transitions())

    assert len(listed) == sum(len(actions) for actions in lc.ALLOWED.values())
    assert {(s, a) for s, a, _ in listed} == {(s, a) for s in Status for a in lc.ALLOWED[s]}
    assert all(to == lc.outcomes(s, a) for s, a, to in listed)


# ------------------------------------------------------------------ time, balance, failures


class _NoOffset(tzinfo):
    """A time zone that does not know its offset: ``at`` is then as good as naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def test_a_datetime_whose_zone_has_no_offset_is_refused() -> None:
    at = datetime(2026, 3, 2, 9, tzinfo=_NoOffset())

    with pytest.raises(ValidationError, match="timezone-aware"):
        lc.apply(f.issued(), lc.Send("email"), at=at)


def test_one_cent_paid_is_partially_paid() -> None:
    invoice, _ = lc.apply(f.issued(), lc.RecordPayment("p1", "0.01"), at=f.AT)

    assert (invoice.status, invoice.amount_due) == (S.PARTIALLY_PAID, Decimal("118.99"))


def test_a_failed_payment_of_the_last_cents_fails_the_invoice() -> None:
    invoice = f.issued()
    for command in (lc.RecordPayment("p1", "118.50"), lc.RecordPayment("p2", "0.50", True)):
        invoice, _ = lc.apply(invoice, command, at=f.AT)

    failed, _ = lc.apply(invoice, lc.FailPayment("p2", "returned"), at=f.AT)

    assert (failed.status, failed.amount_due) == (S.FAILED, Decimal("0.50"))


# ------------------------------------------------------------------ credit notes


@pytest.mark.parametrize("lost", ["seller", "customer", "issue_date"])
def test_a_credit_note_on_an_invoice_that_lost_its_snapshot_is_an_invariant_violation(
    lost: str,
) -> None:
    changes: dict[str, Any] = {lost: None}
    broken = attrs.evolve(f.issued(), **changes)

    with pytest.raises(InvariantViolationError, match="I4"):
        lc.apply(broken, lc.Credit("cn1", "CN-1", lines=[f.line("10.00")]), at=f.AT)


def test_a_credit_note_on_an_invoice_without_a_number_is_an_invariant_violation() -> None:
    broken = attrs.evolve(f.issued(), number=None)

    with pytest.raises(InvariantViolationError, match="I3"):
        lc.apply(broken, lc.Credit("cn1", "CN-1", lines=[f.line("10.00")]), at=f.AT)


def test_a_credit_note_with_a_bad_line_is_refused_naming_the_line() -> None:
    credit = lc.Credit("cn1", "CN-1", lines=[f.line("10.00"), {"description": "x"}])

    with pytest.raises(ValidationError) as caught:
        lc.apply(f.issued(), credit, at=f.AT)

    assert {p.path.split(".")[0] for p in caught.value.problems} == {"lines[1]"}


def test_a_credit_note_keeps_its_charges() -> None:
    credit = lc.Credit(
        "cn1", "CN-1", lines=[f.line("10.00")], charges=[Charge(amount="5.00", tax=Vat("19"))]
    )

    _, events = lc.apply(f.issued(), credit, at=f.AT)

    note = events[0].credit_note  # type: ignore[attr-defined]
    assert (note.totals.charge_total, note.totals.payable) == (Decimal("5.00"), Decimal("17.85"))


# ------------------------------------------------------------------ editing a draft

LATER = f.utc(2026, 3, 5)


def test_an_edit_that_names_nothing_keeps_memo_footer_terms_and_creation_time() -> None:
    draft = f.draft(terms=NetDays(10), memo="Thanks", footer="IBAN DE00")

    edited, _ = lc.apply(draft, lc.Edit(seller=f.seller()), at=LATER)

    assert (edited.memo, edited.footer, edited.terms, edited.created_at) == (
        "Thanks",
        "IBAN DE00",
        NetDays(10),
        f.AT,
    )


def test_an_edit_sets_memo_footer_and_terms_and_empty_text_clears_them() -> None:
    draft = f.draft(memo="Thanks", footer="IBAN DE00")

    changed, _ = lc.apply(
        draft, lc.Edit(seller=f.seller(), memo="New", footer="", terms=NetDays(7)), at=LATER
    )

    assert (changed.memo, changed.footer, changed.terms) == ("New", None, NetDays(7))


def test_an_edit_changes_document_discounts_and_charges() -> None:
    edit = lc.Edit(
        seller=f.seller(),
        discounts=[Discount(percent="10")],
        charges=[Charge(amount="5.00", tax=Vat("19"))],
    )

    edited, _ = lc.apply(f.draft(), edit, at=LATER)

    assert (edited.totals.discount_total, edited.totals.charge_total) == (
        Decimal("10.00"),
        Decimal("5.00"),
    )


def test_a_draft_cannot_move_to_another_seller() -> None:
    with pytest.raises(ValidationError, match="another seller") as caught:
        lc.apply(f.draft(), lc.Edit(seller=f.seller(id="s2")), at=LATER)

    assert [p.path for p in caught.value.problems] == ["seller"]

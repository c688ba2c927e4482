"""Guards of lifecycle.py that mutation testing found unguarded by any test.

Each check of ``Issue`` (blank number, another seller, another customer), the credit
note's number, and ``outcomes()`` from an uncollectible invoice, action by action.
"""

from __future__ import annotations

import pytest

import factories as f
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.status import Action, Status
from invoicekit.errors import ValidationError

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

"""T07 lifecycle_state_machine: one invoice driven by random rules, checked against the model.

Every rule is tried in every state. When the library refuses, the model must
refuse with the same kind of error and the invoice must be unchanged; when it
accepts, the model must accept with the same events. After every step: I1,
amount_due ≥ 0, allocated + customer credit = received, paid iff nothing is due,
one version per accepted change, the issued fields never change (I4), and the
library's account equals the model's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import factories as f
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.line import Line
from invoicekit.domain.status import PaymentStatus, Status
from invoicekit.domain.tax import Tax, Vat
from invoicekit.errors import (
    DuplicateError,
    InvalidTransitionError,
    InvoiceKitError,
    NotFoundError,
    PaymentNotAllowedError,
    ValidationError,
)
from model import lifecycle_model as m
from sizes import examples

#: (currency, minor unit, cash increment)
CURRENCIES = [
    ("EUR", Decimal("0.01"), None),
    ("JPY", Decimal(1), None),
    ("BHD", Decimal("0.001"), None),
    ("CHF", Decimal("0.01"), Decimal("0.05")),
]
ZONES = ["Europe/Berlin", "Pacific/Auckland", "America/Los_Angeles", "UTC"]
RATES = [Decimal(0), Decimal(7), Decimal("7.7"), Decimal(10), Decimal(19)]
FRACTION = st.integers(min_value=1, max_value=99).map(lambda n: Decimal(n) / 100)
ISSUED_FIELDS = (
    "number",
    "lines",
    "totals",
    "seller",
    "customer",
    "issue_date",
    "due_date",
    "issued_at",
    "currency",
    "terms",
    "discounts",
    "charges",
    "prices",
    "memo",
    "payment_link",
)


def _tax(rate: Decimal) -> Tax:
    return Vat(rate) if rate else Tax.zero_rated()


def _lines_strategy(unit: Decimal) -> st.SearchStrategy[list[m.ModelLine]]:
    def line(low: int) -> st.SearchStrategy[m.ModelLine]:
        return st.builds(
            m.ModelLine,
            quantity=st.integers(1, 20_000).map(lambda n: Decimal(n) / 1000),
            unit_price=st.integers(low, 5_000_000).map(lambda n: Decimal(n) * unit / 100),
            rate=st.sampled_from(RATES),
        )

    # The first line costs something (a zero invoice is paid at issue: an edge test has it).
    return st.tuples(line(100), st.lists(line(0), max_size=2)).map(lambda t: [t[0], *t[1]])


def _library_lines(lines: Sequence[m.ModelLine]) -> list[Line]:
    return [
        Line(f"item {i}", quantity=ln.quantity, unit_price=ln.unit_price, tax=_tax(ln.rate))
        for i, ln in enumerate(lines)
    ]


def _part(amount: Decimal, fraction: Decimal, unit: Decimal) -> Decimal:
    """A fraction of ``amount`` rounded down to the unit, at least one unit."""
    return max(unit, (amount * fraction / unit).to_integral_value(ROUND_FLOOR) * unit)


def _expect_kind(exc: InvoiceKitError, kind: str) -> None:
    if kind == m.TRANSITION:
        assert type(exc) is InvalidTransitionError, exc
    elif kind == m.PAYMENT:
        assert type(exc) is PaymentNotAllowedError, exc
    elif kind == m.VALIDATION:
        assert isinstance(exc, ValidationError), exc
    elif kind == m.NOT_FOUND:
        assert isinstance(exc, NotFoundError), exc
    else:
        assert isinstance(exc, DuplicateError), exc


def _apply(invoice: Invoice, command: lc.Command, at: datetime) -> lc.Transition | InvoiceKitError:
    """The transition, or the library error that refused it."""
    try:
        return lc.apply(invoice, command, at=at)
    except InvoiceKitError as exc:
        return exc


class LifecycleMachine(RuleBasedStateMachine):
    """One invoice, one model, one clock."""

    def __init__(self) -> None:
        super().__init__()
        self.invoice: Invoice
        self.model: m.Account
        self.counter = 0
        self.issued_snapshot: tuple[Any, ...] | None = None

    @initialize(
        data=st.data(),
        currency=st.sampled_from(CURRENCIES),
        zone=st.sampled_from(ZONES),
        issued=st.booleans(),
        days_later=st.integers(0, 45),
    )
    def start(
        self,
        data: st.DataObject,
        currency: tuple[str, Decimal, Decimal | None],
        zone: str,
        issued: bool,
        days_later: int,
    ) -> None:
        code, self.unit, cash = currency
        self.seller = f.seller(currency=code, timezone=zone)
        self.customer = f.customer(self.seller)
        self.now = f.AT
        lines = data.draw(_lines_strategy(self.unit), label="lines")
        self.invoice = f.draft(of=self.seller, to=self.customer, lines=_library_lines(lines))
        self.model = m.Account.draft(lines, unit=self.unit, timezone=zone, net_days=30, cash=cash)
        if issued:  # half the runs start issued, so more steps exercise the account
            self.issue()
        # ... and the clock starts up to 45 days on, often past the due date.
        self.now += timedelta(days=days_later)

    def _next(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _step(
        self, command: lc.Command, model_op: Callable[[], tuple[m.Account, list[str]]]
    ) -> None:
        before = self.invoice
        snap = f.snapshot(before)
        try:
            expected: tuple[m.Account, list[str]] | m.Refused = model_op()
        except m.Refused as refused:
            expected = refused
        outcome = _apply(before, command, self.now)
        verdict = type(outcome).__name__ if isinstance(outcome, InvoiceKitError) else "accepted"
        event(f"{before.status.value} {command.action.value}: {verdict}")
        if isinstance(outcome, InvoiceKitError):
            assert isinstance(expected, m.Refused), f"library refused {command}: {outcome}"
            _expect_kind(outcome, expected.kind)
            assert f.snapshot(before) == snap
            return
        new, events = outcome
        assert not isinstance(expected, m.Refused), f"library accepted {command}; model: {expected}"
        account, names = expected
        assert [e.name for e in events] == names, command
        if command.action is not lc.Action.DELETE:  # a deleted draft has no next status
            # lifecycle.outcomes documents where each action can lead: it must hold.
            assert new.status in lc.outcomes(before.status, command.action), (
                before.status,
                command.action,
                new.status,
            )
        assert new.version == before.version + (account.version - self.model.version)
        assert f.snapshot(before) == snap  # apply never mutates its input
        self.invoice, self.model = new, account
        if new.status is not Status.DRAFT and self.issued_snapshot is None:
            self.issued_snapshot = self._issued_fields()

    def _issued_fields(self) -> tuple[Any, ...]:
        inv = self.invoice
        return (*(getattr(inv, name) for name in ISSUED_FIELDS), repr(inv.totals), repr(inv.policy))

    def _payment_id(self, pick: int, status: str | None = None) -> str:
        """A payment of the model: mostly one in ``status`` when there is one, else any."""
        ids = sorted(self.model.payments)
        wanted = [i for i in ids if self.model.payments[i].status == status]
        if wanted and pick % 4:
            return wanted[pick % len(wanted)]
        return ids[pick % len(ids)] if ids else "no-such-payment"

    # ------------------------------------------------------------------ draft rules

    @rule()
    def issue(self) -> None:
        cmd = lc.Issue(number=self._next("INV-"), seller=self.seller, customer=self.customer)
        self._step(cmd, lambda: self.model.issue(self.now))

    @rule(data=st.data())
    def edit(self, data: st.DataObject) -> None:
        lines = data.draw(_lines_strategy(self.unit), label="new lines")
        cmd = lc.Edit(seller=self.seller, lines=tuple(_library_lines(lines)))
        self._step(cmd, lambda: self.model.edit(lines))

    @rule()
    def delete(self) -> None:
        self._step(lc.Delete(), self.model.delete)

    # ------------------------------------------------------------------ issued rules

    @rule(channel=st.sampled_from(["email", "sms"]))
    def send(self, channel: str) -> None:
        self._step(lc.Send(channel), self.model.send)

    def _pay(self, amount: Decimal, *, pending: bool = False) -> None:
        pid = self._next("p")
        cmd = lc.RecordPayment(pid, amount, pending=pending)
        self._step(cmd, lambda: self.model.pay(pid, amount, self.now, pending=pending))

    @rule(fraction=FRACTION)
    def pay_part(self, fraction: Decimal) -> None:
        self._pay(_part(self.model.amount_due, fraction, self.unit))

    @rule()
    def pay_rest(self) -> None:
        self._pay(self.model.amount_due)

    @rule(extra=st.integers(1, 10_000))
    def pay_over(self, extra: int) -> None:
        self._pay(self.model.amount_due + extra * self.unit)

    @rule(kind=st.sampled_from(["part", "rest", "over"]), fraction=FRACTION)
    def pay_pending(self, kind: str, fraction: Decimal) -> None:
        due = self.model.amount_due
        amounts = {"part": _part(due, fraction, self.unit), "rest": due, "over": due + self.unit}
        self._pay(amounts[kind], pending=True)

    @rule(pick=st.integers(0, 1000))
    def pay_again_with_a_used_id(self, pick: int) -> None:
        pid = self._payment_id(pick)
        cmd = lc.RecordPayment(pid, self.unit)
        self._step(cmd, lambda: self.model.pay(pid, self.unit, self.now))

    @rule(pick=st.integers(0, 1000))
    def settle(self, pick: int) -> None:
        pid = self._payment_id(pick, "pending")
        self._step(lc.SettlePayment(pid), lambda: self.model.settle(pid, self.now))

    @rule(pick=st.integers(0, 1000))
    def fail_pending(self, pick: int) -> None:
        pid = self._payment_id(pick, "pending")
        self._step(lc.FailPayment(pid, "returned"), lambda: self.model.fail_payment(pid))

    @rule()
    def fail_collection(self) -> None:
        self._step(lc.FailCollection("card declined", "card_declined"), self.model.fail_collection)

    @rule(hours=st.integers(1, 48))
    def advance_hours(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule(days=st.integers(1, 40))
    def advance_days(self, days: int) -> None:
        self.now += timedelta(days=days)

    @rule()
    def mark_overdue(self) -> None:
        self._step(lc.MarkOverdue(), lambda: self.model.mark_overdue(self.now))

    @rule()
    def void(self) -> None:
        self._step(lc.Void("mistake"), self.model.void)

    @rule()
    def write_off(self) -> None:
        self._step(lc.WriteOff("insolvent"), self.model.write_off)

    @rule(
        pick=st.integers(0, 1000), kind=st.sampled_from(["part", "all", "over"]), fraction=FRACTION
    )
    def refund(self, pick: int, kind: str, fraction: Decimal) -> None:
        pid = self._payment_id(pick, "succeeded")
        payment = self.model.payments.get(pid)
        refundable = self.unit
        if payment is not None:  # the model's cap: what came in, at most what pays + credit
            paying = payment.allocated - payment.refunded + payment.from_credit
            refundable = min(payment.amount - payment.refunded, paying + self.model.customer_credit)
        if kind == "part":
            amount = _part(refundable, fraction, self.unit)
        elif kind == "all":
            amount = refundable
        else:
            amount = refundable + self.unit
        rid = self._next("r")
        cmd = lc.RefundPayment(pid, rid, amount)
        self._step(cmd, lambda: self.model.refund(pid, rid, amount, self.now))

    @rule(kind=st.sampled_from(["partial", "vat", "full", "over"]), fraction=FRACTION)
    def credit_note(self, kind: str, fraction: Decimal) -> None:
        left = self.model.payable - self.model.credit_notes_total
        step = self.model.cash or self.unit
        if kind == "partial":
            lines = [m.ModelLine(Decimal(1), _part(left, fraction, self.unit), Decimal(0))]
        elif kind == "vat":
            lines = [m.ModelLine(Decimal(1), _part(left, fraction, self.unit), Decimal(19))]
        elif kind == "full":
            lines = [m.ModelLine(Decimal(1), max(left, Decimal(0)), Decimal(0))]
        else:
            lines = [m.ModelLine(Decimal(1), max(left, Decimal(0)) + step, Decimal(0))]
        note = self._next("cn")
        cmd = lc.Credit(note, f"CN-{note}", lines=_library_lines(lines), reason=kind)
        self._step(cmd, lambda: self.model.credit(note, lines, self.now))

    # ------------------------------------------------------------------ invariants

    @invariant()
    def money_is_conserved(self) -> None:
        inv = self.invoice
        totals = inv.totals
        assert totals.tax_inclusive - inv.paid - inv.credited + totals.rounding == inv.amount_due
        assert inv.amount_due >= 0
        for p in inv.payments:
            if p.status is PaymentStatus.SUCCEEDED:
                assert p.allocated + p.customer_credit == p.amount
                assert 0 <= p.refunded <= p.amount
                assert 0 <= p.net_allocated <= p.allocated
            else:
                assert p.allocated == p.customer_credit == Decimal(0)
                assert p.refunds == ()
        received = sum(
            (p.amount for p in inv.payments if p.status is PaymentStatus.SUCCEEDED), Decimal(0)
        )
        allocated = sum((p.allocated for p in inv.payments), Decimal(0)) + inv.credited
        returned = sum((r.from_credit for p in inv.payments for r in p.refunds), Decimal(0))
        assert inv.customer_credit == received + inv.credit_notes_total - allocated - returned

    @invariant()
    def status_follows_the_balance(self) -> None:
        inv = self.invoice
        if inv.status not in (Status.DRAFT, Status.VOID):
            assert (inv.status is Status.PAID) == (inv.amount_due == 0), (
                inv.status,
                inv.amount_due,
            )
        if inv.status is Status.OVERDUE:
            assert self.model.past_due(self.now)

    @invariant()
    def issued_fields_never_change(self) -> None:
        if self.issued_snapshot is not None:
            assert self._issued_fields() == self.issued_snapshot

    @invariant()
    def library_equals_model(self) -> None:
        inv, acc = self.invoice, self.model
        acc.self_check()
        payments = {
            p.id: m.ModelPayment(
                p.amount,
                p.status.value,
                p.allocated,
                p.refunded,
                sum((r.from_credit for r in p.refunds), Decimal(0)),
            )
            for p in inv.payments
        }
        assert (
            inv.status.value,
            inv.totals.tax_inclusive,
            inv.totals.rounding,
            inv.paid,
            inv.credited,
            inv.credit_notes_total,
            inv.customer_credit,
            inv.amount_due,
            inv.in_flight,
            payments,
            inv.issue_date,
            inv.due_date,
            inv.version,
        ) == (
            acc.status,
            acc.tax_inclusive,
            acc.rounding,
            acc.paid,
            acc.credited,
            acc.credit_notes_total,
            acc.customer_credit,
            acc.amount_due,
            acc.in_flight,
            dict(acc.payments),
            acc.issue_date,
            acc.due_date,
            acc.version,
        )
        assert inv.totals.payable == acc.payable


LifecycleMachine.TestCase.settings = settings(max_examples=examples(200), stateful_step_count=50)
TestLifecycleMachine = LifecycleMachine.TestCase

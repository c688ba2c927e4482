"""A subscription's life as a state machine: any order of changes and clock steps.

Rules change seats and plans (each proration behaviour), pause and resume, add coupons,
cancel, and move the clock, billing what is due the way ``run_due`` does. Every refused
change is a ValidationError (never another exception); invariants after every step: each
bill comes once in index order, nothing follows a final bill, bill_lines never fails, and
each bill's metered windows tile its usage window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from invoicekit.domain.coupons import Coupon
from invoicekit.domain.line import Line
from invoicekit.domain.subscription import Subscription, SubscriptionStatus
from invoicekit.domain.subscription_billing import (
    TRIAL_INDEX,
    PeriodBill,
    after_bill,
    bill_lines,
    due_bills,
    usage_windows,
)
from invoicekit.domain.subscription_changes import (
    add_coupon,
    cancel,
    change_plan,
    change_quantity,
    end_trial,
    pause,
    resume,
    set_status,
)
from invoicekit.domain.tax import Vat
from invoicekit.domain.usage import Usage
from invoicekit.errors import ValidationError
from sizes import examples
from subscription_plans import PRO, TEAM, subscribe

BEHAVIORS = st.sampled_from(["prorate", "none", "invoice_now"])


class SubscriptionLife(RuleBasedStateMachine):
    """One subscription, changed and billed in any order."""

    def __init__(self) -> None:
        super().__init__()
        self.now = datetime(2027, 1, 1, 9, tzinfo=ZoneInfo("America/New_York"))
        self.sub: Subscription = subscribe(start=self.now, zone="America/New_York")
        self.last: int | None = None
        self.bills: list[PeriodBill] = []
        self.coupons = 0

    @initialize(trial_days=st.sampled_from([0, 0, 1, 14]), paid=st.booleans())
    def start(self, trial_days: int, paid: bool) -> None:
        """Start now, or with a trial (free or at a price) ending ``trial_days`` later."""
        if trial_days:
            lines = [Line("Trial", 1, "3.00", tax=Vat("19"))] if paid else []
            self.sub = subscribe(
                start=self.now,
                zone="America/New_York",
                trial_end=self.now + timedelta(days=trial_days),
                trial_lines=lines,
            )

    def _try(self, change: object) -> None:
        try:
            result = change()  # type: ignore[operator]
        except ValidationError:
            return  # refused: the subscription value is untouched
        self.sub = getattr(result, "subscription", result)

    def _bill(self) -> None:
        for bill in due_bills(self.sub, self.last, self.now):
            windows = usage_windows(self.sub, bill)
            usage = {w.key: Usage(Decimal(n * 100), n) for n, w in enumerate(windows, start=1)}
            bill_lines(self.sub, bill, usage)
            if bill.usage_window is not None and windows:
                ordered = sorted(windows, key=lambda w: w.start)
                assert ordered[0].start == bill.usage_window[0]
                assert ordered[-1].end == bill.usage_window[1]
                assert all(a.end == b.start for a, b in pairwise(ordered))
            self.sub = after_bill(self.sub, bill)
            assert bill.skipped is not None or self.sub.pending == ()
            self.bills.append(bill)
            self.last = bill.index

    @rule(hours=st.integers(1, 40 * 24))
    def wait(self, hours: int) -> None:
        self.now += timedelta(hours=hours)
        self._bill()
        ends = self.sub.cancel_at
        first = self.sub.schedule.bill_at(self.sub.schedule.period_at(0))
        if ends is not None and ends <= self.now and first < ends:
            # A cancellation that took effect has had its final bill: nothing is stuck.
            assert self.bills
            assert self.bills[-1].final

    @rule(quantity=st.integers(-1, 30), proration=BEHAVIORS)
    def seats(self, quantity: int, proration: str) -> None:
        price = "seats" if self.sub.plan_id == "pro" else "seats_team"
        self._try(
            lambda: change_quantity(self.sub, price, quantity, at=self.now, proration=proration)
        )

    @rule(proration=BEHAVIORS)
    def switch_plan(self, proration: str) -> None:
        target = TEAM if self.sub.plan_id == "pro" else PRO
        self._try(lambda: change_plan(self.sub, target, at=self.now, proration=proration))

    @rule(behavior=st.sampled_from(["skip", "mark_uncollectible"]))
    def pause_it(self, behavior: str) -> None:
        self._try(lambda: pause(self.sub, at=self.now, behavior=behavior))

    @rule()
    def resume_it(self) -> None:
        self._try(lambda: resume(self.sub, at=self.now))

    @rule(percent=st.integers(1, 100))
    def coupon(self, percent: int) -> None:
        self.coupons += 1
        offer = Coupon.create(
            id=f"c{self.coupons}", name=f"{percent}% off", percent_off=percent, duration="forever"
        )
        self._try(lambda: add_coupon(self.sub, offer, at=self.now))

    @rule(has_payment_method=st.booleans())
    def trial_ends(self, has_payment_method: bool) -> None:
        self._try(lambda: end_trial(self.sub, at=self.now, has_payment_method=has_payment_method))

    @rule(at_period_end=st.booleans(), prorate=st.booleans())
    def cancel_it(self, at_period_end: bool, prorate: bool) -> None:
        self._try(
            lambda: cancel(self.sub, at=self.now, at_period_end=at_period_end, prorate=prorate)
        )

    @rule(status=st.sampled_from(list(SubscriptionStatus)))
    def status(self, status: SubscriptionStatus) -> None:
        self._try(lambda: set_status(self.sub, status, at=self.now))

    @invariant()
    def each_bill_once_in_order(self) -> None:
        indexes = [b.index for b in self.bills if b.index != TRIAL_INDEX]
        assert indexes == list(range(len(indexes)))
        assert [b.index for b in self.bills].count(TRIAL_INDEX) <= 1
        finals = [i for i, b in enumerate(self.bills) if b.final]
        assert finals in ([], [len(self.bills) - 1])


SubscriptionLife.TestCase.settings = settings(
    max_examples=examples(ci=300, dev=25), stateful_step_count=30, deadline=None
)
TestSubscriptionLife = SubscriptionLife.TestCase

"""Late usage is billed exactly once, whenever it arrives (issue 16 item 3; memory store).

Hypothesis draws usage records stamped in January and February with any delay before
they reach invoicekit (in the grace, days after the invoice, a month later). Time moves
an hour at a time with ``run_due`` every six hours. At the end every period's usage is
billed exactly as if it had all arrived on time: its usage lines plus the late-usage
adjustment lines naming it equal the rated amount of all its records, to the cent.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import invoicekit as ik
from invoicekit.domain.pricing_rate import rate
from invoicekit.domain.usage import Usage
from invoicekit.testing import FixedClock
from sizes import examples
from subscription_fixtures import START, agency

#: (hours after START it happened, calls, hours after that it reached invoicekit).
RECORDS = st.lists(
    st.tuples(
        st.integers(0, 58 * 24 - 1),
        st.integers(0, 6000),
        st.sampled_from([0, 1, 2, 30, 24 * 3, 24 * 20, 24 * 40]),
    ),
    max_size=12,
)
#: The usage windows of bills 1 and 2, and what they are called on late-usage lines.
WINDOWS = {1: (0, 31 * 24, "1–31 Jan 2026"), 2: (31 * 24, 59 * 24, "1–28 Feb 2026")}


@settings(
    max_examples=examples(ci=60, dev=8),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(records=RECORDS)
def test_every_periods_usage_is_billed_once_whenever_it_arrives(
    records: list[tuple[int, int, int]],
) -> None:
    clock = FixedClock(START)
    billing = ik.Billing.in_memory(clock=clock)
    a = agency(billing)
    sub = a.books.subscriptions.create(a.customer_id, plan_id="api")
    price = next(p for p in a.books.plans.get("api").prices if p.id == "calls")
    arrivals = sorted((at + delay, at, calls, n) for n, (at, calls, delay) in enumerate(records))
    hour = 0
    for arrive, at, calls, n in [*arrivals, (120 * 24, 0, 0, -1)]:
        while hour < arrive:  # time passes; run_due every six hours
            hour += 1
            clock.set(START + timedelta(hours=hour))
            if hour % 6 == 0:
                billing.run_due()
        if n >= 0:
            a.books.usage.record(
                sub.id, "api_calls", calls, key=f"r{n}", at=START + timedelta(hours=at)
            )
    billing.run_due()
    invoices = [
        i for i in a.books.invoices.list(limit=1000) if i.metadata.get("subscription") == sub.id
    ]
    for index, (first, end, days) in WINDOWS.items():
        used = sum(calls for _, at, calls, _ in arrivals if first <= at < end)
        expected = rate(price, Usage(Decimal(used), 1)).amount
        (own,) = [i for i in invoices if i.metadata["period"] == index]
        billed = sum(
            (
                amounts.net
                for line, amounts in zip(own.lines, own.totals.lines, strict=True)
                if "API calls" in line.description
            ),
            Decimal(0),
        )
        late = [
            line.unit_price
            for i in invoices
            for line in i.lines
            if line.description == f"Late usage for api_calls, {days}"
        ]
        assert billed + sum(late, Decimal(0)) == expected, (index, billed, late, expected)
    billing.close()

"""The live summaries never disagree with the invoices: after random operations they equal a
rebuild from scratch, and the dashboard's live figures equal ``books.reports`` at "now".

Runs on memory, SQLite and PostgreSQL. Each example gets a seller of its own in one store
(sellers never see each other's rows), so PostgreSQL needs no fresh database per example.
Refused operations (a void after a payment, a refund of nothing) must leave the
summaries as they were: the transaction that refuses rolls them back with the invoice.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import invoicekit as ik
from billing_fixtures import AT
from invoicekit.domain.summary import Day
from invoicekit.errors import InvoiceKitError
from invoicekit.services.live_summary import AGING_BUCKETS, LiveSummaries
from invoicekit.summary_repositories import ClientQuery
from invoicekit.testing import FixedClock
from pg import pg_url  # noqa: F401 - the fixture

KINDS = [k.value for k in Day]

_money = st.integers(min_value=1, max_value=500_00).map(lambda c: Decimal(c) / 100)
_index = st.integers(min_value=0, max_value=30)
ISSUE = st.tuples(
    st.just("issue"), st.integers(0, 3), st.sampled_from(["EUR", "USD", "JPY", "CHF"]), _money
)
OPS = st.one_of(
    ISSUE,
    st.tuples(st.just("pay"), _index, st.sampled_from(["0.3", "0.5", "1", "1.25"])),
    st.tuples(st.just("pending"), _index),
    st.tuples(st.just("refund"), _index),
    st.tuples(st.just("void"), _index),
    st.tuples(st.just("credit"), _index, _money),
    st.tuples(st.just("write_off"), _index),
    st.tuples(st.just("fail"), _index),
    st.tuples(st.just("overdue"), _index),
    st.tuples(st.just("apply_credit"), _index),
    st.tuples(st.just("advance"), st.integers(1, 70)),
)


def _line(amount: Decimal) -> ik.Line:
    return ik.Line("Work", quantity="1", unit_price=amount, tax=ik.Vat("19"))


def run(billing: ik.Billing, clock: FixedClock, ops: list[tuple[Any, ...]]) -> str:
    """Apply ``ops`` to a new seller of ``billing``; return the seller's id."""
    clock.set(AT)
    seller = billing.sellers.create(  # CHF is cash rounded: invoiced is what falls due
        name="Random Books",
        country="DE",
        currency="EUR",
        timezone="Europe/Berlin",
        rounding=ik.RoundingPolicy(cash_increments={"CHF": "0.05"}),
    )
    books = billing.seller(seller.id)
    customers = [books.customers.create(f"Client {i}") for i in range(4)]
    invoices: list[str] = []
    for op in ops:
        # A refused operation changes nothing (the comparisons below check it).
        with contextlib.suppress(InvoiceKitError):
            _apply(books, clock, customers, invoices, op)
    return seller.id


def _apply(  # noqa: PLR0912 - one branch per operation
    books: Any, clock: FixedClock, customers: list[Any], invoices: list[str], op: tuple[Any, ...]
) -> None:
    kind = op[0]
    if kind == "issue":
        _, who, currency, amount = op
        amount = amount.to_integral_value() if currency == "JPY" else amount
        draft = books.invoices.draft(customers[who].id, lines=[_line(amount)], currency=currency)
        invoices.append(books.invoices.issue(draft.id).id)
        return
    if kind == "advance":
        clock.advance(timedelta(days=op[1]))
        return
    if not invoices:
        return
    invoice_id = invoices[op[1] % len(invoices)]
    invoice = books.invoices.get(invoice_id)
    if kind == "pay" and invoice.amount_due > 0:
        share = (invoice.amount_due * Decimal(op[2])).quantize(invoice.zero)
        books.payments.record(
            invoice_id,
            max(share, invoice.zero + Decimal(1).scaleb(-2 if invoice.currency != "JPY" else 0)),
        )
    elif kind == "pending" and invoice.amount_due > 0:
        books.payments.record(invoice_id, invoice.amount_due, pending=True)
    elif kind == "refund":
        paid = [p for p in invoice.payments if p.status == "succeeded" and p.net_allocated > 0]
        if paid:
            books.payments.refund(
                invoice_id,
                paid[0].id,
                (paid[0].net_allocated / 2).quantize(invoice.zero) or paid[0].net_allocated,
            )
    elif kind == "void":
        books.invoices.void(invoice_id)
    elif kind == "credit":
        amount = op[2].to_integral_value() if invoice.currency == "JPY" else op[2]
        books.invoices.credit(invoice_id, lines=[_line(amount)])
    elif kind == "write_off":
        books.invoices.write_off(invoice_id)
    elif kind == "fail":
        books.payments.record_failure(invoice_id, reason="card declined")
    elif kind == "overdue":
        books.invoices.mark_overdue(invoice_id)
    elif kind == "apply_credit":
        books.payments.apply_credit(invoice_id)


def snapshot(billing: ik.Billing, seller_id: str) -> tuple[Any, ...]:
    """Every summary row of the seller, as the store returns them."""
    with billing.storage.transaction(write=False) as tx:
        s = tx.summaries
        clients, total = s.clients(seller_id, ClientQuery(sort="name", descending=False, limit=500))
        days = s.days(seller_id, KINDS)
        dues = [s.days(seller_id, [Day.DUE.value], customer_id=c.customer_id) for c in clients]
        return clients, total, days, dues, s.credit(seller_id)


def check(billing: ik.Billing, clock: FixedClock, seller_id: str) -> None:
    """Summaries == a rebuild, and the live figures == the reports at now."""
    kept = snapshot(billing, seller_id)
    with billing.storage.transaction() as tx:
        tx.summaries.rebuild(seller_id)
    assert snapshot(billing, seller_id) == kept

    live = LiveSummaries(billing.storage, clock, seller_id)
    figures = live.figures()
    report = billing.seller(seller_id).reports.receivables()
    assert figures.today == report.as_of
    for cur in sorted(set(figures.headlines) | set(report.open)):
        h = figures.headlines[cur]
        assert h.open == report.open.get(cur, h.open * 0), cur
        assert h.overdue == report.overdue.get(cur, h.overdue * 0), cur
        assert h.credit == report.customer_credit.get(cur, h.credit * 0), cur
        assert h.dso == report.dso.get(cur), cur
        assert h.collection_rate == report.collection_rate.get(cur), cur
        aging = report.aging.get(cur)
        if aging is not None:
            buckets = (
                aging.current,
                aging.days_1_30,
                aging.days_31_60,
                aging.days_61_90,
                aging.over_90,
            )
            assert tuple(figures.aging[cur][b] for b in AGING_BUCKETS) == buckets
        months = [(m.invoiced, m.collected, m.credited) for m in report.monthly.get(cur, [])]
        if months:
            assert [(m.invoiced, m.collected, m.credited) for m in figures.months[cur]] == months
    balances = billing.seller(seller_id).reports.all_client_balances()
    clients, _, overdue = live.clients(ClientQuery(limit=500))
    mine = sorted(
        (
            c.customer_id,
            c.currency,
            c.open,
            overdue.get((c.customer_id, c.currency), c.open * 0),
            c.credit,
        )
        for c in clients
        if c.open or c.credit
    )
    theirs = sorted((b.customer_id, b.currency, b.open, b.overdue, b.credit) for b in balances)
    assert mine == theirs


SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ik.Billing, FixedClock]]:
    clock = FixedClock(AT)
    if request.param == "memory":
        billing = ik.Billing.in_memory(clock=clock)
    elif request.param == "sqlite":
        billing = ik.Billing.sqlite(tmp_path / "books.db", clock=clock)
    else:
        billing = ik.Billing.from_url(request.getfixturevalue("pg_url"), clock=clock)
    yield billing, clock
    billing.close()


@SETTINGS
@given(issues=st.lists(ISSUE, min_size=1, max_size=6), ops=st.lists(OPS, max_size=25))
@example(issues=[("issue", 0, "CHF", Decimal("9.06"))], ops=[])  # 10.78 due as 10.80
def test_summaries_equal_a_rebuild_and_the_reports(
    store: tuple[ik.Billing, FixedClock],
    issues: list[tuple[Any, ...]],
    ops: list[tuple[Any, ...]],
) -> None:
    billing, clock = store
    seller_id = run(billing, clock, issues + ops)

    check(billing, clock, seller_id)


def test_a_refused_change_leaves_the_summaries_as_they_were(
    store: tuple[ik.Billing, FixedClock],
) -> None:
    billing, clock = store
    seller_id = run(billing, clock, [("issue", 0, "EUR", Decimal("100.00")), ("pay", 0, "0.5")])
    before = snapshot(billing, seller_id)
    books = billing.seller(seller_id)
    invoice_id = books.invoices.list(limit=1)[0].id

    with pytest.raises(InvoiceKitError):
        books.invoices.void(invoice_id)  # it has a payment

    assert snapshot(billing, seller_id) == before


def test_an_older_sqlite_file_gets_its_summaries_on_open(tmp_path: Path) -> None:
    clock = FixedClock(AT)
    path = tmp_path / "old.db"
    billing = ik.Billing.sqlite(path, clock=clock)
    seller_id = run(billing, clock, [("issue", 0, "EUR", Decimal("100.00")), ("pay", 0, "0.3")])
    kept = snapshot(billing, seller_id)
    billing.close()
    import sqlite3

    with sqlite3.connect(path) as conn:  # back to schema 9: no summaries yet
        for table in ("summary_clients", "summary_days", "summary_parts", "customer_coupons"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    conn.close()

    reopened = ik.Billing.sqlite(path, clock=clock)
    try:
        assert snapshot(reopened, seller_id) == kept
        check(reopened, clock, seller_id)
    finally:
        reopened.close()


def test_the_live_attention_list_is_the_reports_at_now(
    store: tuple[ik.Billing, FixedClock],
) -> None:
    billing, clock = store
    ops = [
        ("issue", 0, "EUR", Decimal("100.00")),
        ("issue", 1, "USD", Decimal("50.00")),
        ("issue", 2, "EUR", Decimal("70.00")),
        ("pay", 2, "0.5"),
        ("advance", 40),
        ("overdue", 0),
        ("fail", 1),
        ("issue", 3, "EUR", Decimal("10.00")),
    ]
    seller_id = run(billing, clock, ops)

    live = LiveSummaries(billing.storage, clock, seller_id).attention(limit=100)
    report = billing.seller(seller_id).reports.attention(limit=100)

    def key(item: Any) -> tuple[Any, ...]:
        # A failed collection attempt: the reports show the attempt (no amount), the live
        # list the amount still due on the invoice.
        amount = None if item.kind == "failed_payment" else item.amount
        return (
            item.kind,
            item.invoice_id,
            amount,
            item.days_overdue,
            item.last_reminder,
            item.last_reminder_at,
            item.next_step,
        )

    assert sorted(map(key, live)) == sorted(map(key, report))
    assert {"overdue", "failed_payment"} <= {item.kind for item in live}

"""Every receivables figure reconciles, on memory, SQLite and PostgreSQL (issue 17, T35).

Hypothesis builds books of two sellers (issue, partial payment, overpayment, credit
note, void, write-off, refund, failed collection, customer credit applied, several
currencies) while the clock moves on. Then, for each seller: the client balances add
up to the open receivables, the aging buckets add up to them too, and every figure
equals an independent computation from the invoices themselves, now and as of each
earlier instant (the figures seen then). Another seller's data never appears.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import invoicekit as ik
from invoicekit.domain.status import PaymentStatus, Status
from invoicekit.errors import InvoiceKitError
from invoicekit.reports.ledger import ledger_entries
from invoicekit.testing import FixedClock, MemoryStorage
from pg import pg_url  # noqa: F401 - the fixture
from sizes import examples

D = Decimal
START: Final = datetime(2026, 1, 5, 9, tzinfo=UTC)
OPEN: Final = {Status.PENDING, Status.PARTIALLY_PAID, Status.OVERDUE, Status.FAILED}
CURRENCIES: Final = ("EUR", "USD", "JPY")

Figures = dict[str, dict[str, Decimal]]

# One step on one invoice: (action, invoice index, amount in percent of its total, days).
step = st.tuples(
    st.sampled_from(
        ["pay", "pay", "overpay", "credit", "void", "write_off", "refund", "fail", "apply"]
    ),
    st.integers(0, 7),
    st.integers(1, 150),
    st.integers(0, 40),
)
invoice_spec = st.tuples(
    st.integers(0, 1),  # seller
    st.integers(0, 2),  # customer
    st.sampled_from(CURRENCIES),
    st.integers(1, 5000),  # unit price in whole units
    st.integers(0, 30),  # days before the next invoice
)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def make_billing(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[FixedClock], ik.Billing]]:
    """Billing objects on one store per test (each example makes sellers of its own)."""
    opened: list[ik.Billing] = []
    memory = MemoryStorage()
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None

    def build(clock: FixedClock) -> ik.Billing:
        if request.param == "memory":  # one store for every example: closing it would end it
            billing = ik.Billing(storage=memory, clock=clock)
        else:
            while opened:  # the last example's: hundreds must not hold a connection each
                opened.pop().close()
            if request.param == "sqlite":
                billing = ik.Billing.sqlite(tmp_path / "books.sqlite", clock=clock)
            else:
                assert url is not None
                billing = ik.Billing.from_url(url, clock=clock)
        opened.append(billing)
        return billing

    yield build
    for billing in opened:
        billing.close()


def _line(price: int) -> ik.Line:
    return ik.Line("Work", quantity="1", unit_price=str(price), tax=ik.Vat("10"))


def _amount(invoice: ik.Invoice, percent: int) -> Decimal:
    total = invoice.totals.tax_inclusive
    return (total * percent / 100).quantize(invoice.zero) or invoice.zero + D(1)


def _try(action: Callable[[], object]) -> None:
    """Run one step; a step the lifecycle refuses (void after payment...) changes nothing."""
    with contextlib.suppress(InvoiceKitError):
        action()


def _apply(books: ik.SellerBooks, invoice: ik.Invoice, action: str, percent: int) -> None:
    amount = _amount(invoice, percent)
    if action == "pay":
        _try(lambda: books.payments.record(invoice.id, min(amount, invoice.amount_due)))
    elif action == "overpay":
        _try(lambda: books.payments.record(invoice.id, invoice.amount_due + amount))
    elif action == "credit":
        price = max(amount / D("1.1"), D(1)).quantize(invoice.zero)
        _try(lambda: books.invoices.credit(invoice.id, lines=[_line(int(price) or 1)]))
    elif action == "void":
        _try(lambda: books.invoices.void(invoice.id))
    elif action == "write_off":
        _try(lambda: books.invoices.write_off(invoice.id))
    elif action == "fail":
        _try(lambda: books.payments.record_failure(invoice.id, reason="card declined"))
    elif action == "apply":
        _try(lambda: books.payments.apply_credit(invoice.id))
    else:
        paid = [p for p in invoice.payments if p.status is PaymentStatus.SUCCEEDED]
        if paid:
            part = min(amount, paid[0].amount - paid[0].refunded)
            _try(lambda: books.payments.refund(invoice.id, paid[0].id, part))


def _expected(books: ik.SellerBooks, today: date) -> Figures:
    """The figures computed from the invoices themselves (not from the report entries)."""
    found: Figures = defaultdict(lambda: defaultdict(Decimal))
    for invoice in books.invoices.list(limit=10_000):
        cur = invoice.currency
        # The entries close on the invoice's own figures without a correcting entry.
        assert "adjusted" not in {e.kind for e in ledger_entries(invoice)}
        if invoice.status in OPEN:
            found["open"][cur] += invoice.amount_due
            assert invoice.due_date is not None
            if invoice.due_date < today:
                found["overdue"][cur] += invoice.amount_due
        if invoice.status is not Status.DRAFT:
            found["credit"][cur] += invoice.customer_credit
    return {k: {c: v for c, v in d.items() if v} for k, d in found.items()}


def _nonzero(figures: dict[str, Decimal]) -> dict[str, Decimal]:
    return {c: v for c, v in figures.items() if v}


def _check(books: ik.SellerBooks, as_of: datetime | None, expected: Figures, ids: set[str]) -> None:
    report = books.reports.receivables(as_of=as_of)
    balances = books.reports.all_client_balances(as_of=as_of)
    assert {b.customer_id for b in balances} <= ids  # T35: only this seller's clients
    summed: Figures = defaultdict(lambda: defaultdict(Decimal))
    for b in balances:
        summed["open"][b.currency] += b.open
        summed["overdue"][b.currency] += b.overdue
        summed["credit"][b.currency] += b.credit
        assert b.net == b.open - b.credit
    assert _nonzero(dict(report.open)) == expected.get("open", {})
    assert _nonzero(summed["open"]) == expected.get("open", {})
    assert {c: a.total for c, a in report.aging.items()} == expected.get("open", {})
    assert _nonzero(dict(report.overdue)) == expected.get("overdue", {})
    assert _nonzero(summed["overdue"]) == expected.get("overdue", {})
    assert dict(report.customer_credit) == expected.get("credit", {})
    assert _nonzero(summed["credit"]) == expected.get("credit", {})
    for cur, weeks in report.cash_in.items():  # week one holds the overdue and this week
        assert weeks[0].expected >= report.overdue.get(cur, D(0))


def _monthly_expected(books: ik.SellerBooks, zone: ZoneInfo) -> Figures:
    """Invoiced and collected per (currency, month), from the invoices."""
    found: Figures = defaultdict(lambda: defaultdict(Decimal))
    for invoice in books.invoices.list(limit=10_000):
        if invoice.issued_at is None:
            continue
        cur = invoice.currency
        month = invoice.issued_at.astimezone(zone).strftime("%Y-%m")
        found[f"invoiced {month}"][cur] += invoice.totals.tax_inclusive + invoice.totals.rounding
        for p in invoice.payments:
            if p.status is not PaymentStatus.SUCCEEDED:
                continue
            if p.method != "credit":  # credit applied here moved, no money came in
                found[f"collected {p.at.astimezone(zone):%Y-%m}"][cur] += p.amount
            for r in p.refunds:  # a refund pays money out, even of a payment from credit
                found[f"collected {r.at.astimezone(zone):%Y-%m}"][cur] -= r.amount
    return {k: {c: v for c, v in d.items() if v} for k, d in found.items()}


@settings(
    max_examples=examples(ci=200, dev=12),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    invoices=st.lists(invoice_spec, min_size=1, max_size=8),
    steps=st.lists(step, max_size=14),
)
# A payment made from customer credit, then refunded: the refund pays money out, so the
# month collects 2 (the overpayment) less 1 (the refund), not 2.
@example(
    invoices=[
        (0, 0, "EUR", 1, 0),
        (0, 0, "EUR", 1, 0),
        (0, 2, "JPY", 1, 0),
        (0, 2, "JPY", 1, 0),
        (0, 0, "EUR", 1, 0),
    ],
    steps=[("overpay", 2, 1, 0), ("apply", 3, 1, 0), ("refund", 3, 1, 0)],
)
def test_every_figure_reconciles_now_and_as_of_earlier(
    make_billing: Callable[[FixedClock], ik.Billing],
    invoices: list[tuple[int, int, str, int, int]],
    steps: list[tuple[str, int, int, int]],
) -> None:
    clock = FixedClock(START)
    billing = make_billing(clock)
    zones = ("Europe/Berlin", "America/New_York")
    sellers = [
        billing.seller(
            billing.sellers.create(name=f"S{n}", country="DE", currency="EUR", timezone=z).id
        )
        for n, z in enumerate(zones)
    ]
    customers = [
        [b.customers.create(f"C{i}", email="ap@c.example").id for i in range(3)] for b in sellers
    ]
    customers[0][2] = sellers[0].customers.create('=HYPERLINK("x")', email="x@c.example").id
    issued: list[tuple[ik.SellerBooks, str]] = []
    for seller, customer, currency, price, days in invoices:
        books = sellers[seller]
        draft = books.invoices.draft(
            customers[seller][customer], lines=[_line(price)], currency=currency
        )
        issued.append((books, books.invoices.issue(draft.id).id))
        clock.advance(timedelta(days=days, hours=5))
    snapshots: list[tuple[datetime, list[Figures]]] = []
    for action, index, percent, days in steps:
        books, invoice_id = issued[index % len(issued)]
        _apply(books, books.invoices.get(invoice_id), action, percent)
        now = clock.now()
        today = [now.astimezone(ZoneInfo(z)).date() for z in zones]
        snapshots.append((now, [_expected(b, t) for b, t in zip(sellers, today, strict=True)]))
        clock.advance(timedelta(days=days, minutes=7))
    now = clock.now()
    for n, books in enumerate(sellers):
        ids = set(customers[n])
        day = now.astimezone(ZoneInfo(zones[n])).date()
        _check(books, None, _expected(books, day), ids)
        for at, figures in snapshots[-4:]:
            _check(books, at, figures[n], ids)
        monthly = books.reports.monthly(months=3)
        wanted = _monthly_expected(books, ZoneInfo(zones[n]))
        for cur, months in monthly.items():
            for m in months:
                key = f"{m.month:%Y-%m}"
                assert m.invoiced == wanted.get(f"invoiced {key}", {}).get(cur, D(0))
                assert m.collected == wanted.get(f"collected {key}", {}).get(cur, D(0))


def _books_with(billing: ik.Billing, clock: FixedClock) -> tuple[ik.SellerBooks, ik.SellerBooks]:
    a = billing.seller(billing.sellers.create(name="A", country="DE", currency="EUR").id)
    b = billing.seller(billing.sellers.create(name="B", country="DE", currency="EUR").id)
    for books in (a, b):
        customer = books.customers.create("Client", email="c@c.example")
        draft = books.invoices.draft(customer.id, lines=[_line(100)])
        books.invoices.issue(draft.id)
    clock.advance(timedelta(days=50))
    return a, b


def test_definitions_on_a_known_example(
    make_billing: Callable[[FixedClock], ik.Billing],
) -> None:
    clock = FixedClock(START)
    billing = make_billing(clock)
    seller = billing.sellers.create(name="N", country="DE", currency="EUR", timezone="UTC")
    books = billing.seller(seller.id)
    customer = books.customers.create("Client", email="c@c.example")
    first = books.invoices.issue(books.invoices.draft(customer.id, lines=[_line(1000)]).id)
    clock.advance(timedelta(days=10))
    second = books.invoices.issue(books.invoices.draft(customer.id, lines=[_line(500)]).id)
    books.payments.record(first.id, "400.00")
    clock.advance(timedelta(days=25))  # 2026-02-09: due 2026-02-04 and 2026-02-14 (net 30)
    report = books.reports.receivables(window_days=90)
    assert report.open == {"EUR": D("1250.00")}  # 1100 + 550 - 400
    assert report.overdue == {"EUR": D("700.00")}
    aging = report.aging["EUR"]
    assert (aging.current, aging.days_1_30, aging.days_31_60) == (D("550.00"), D("700.00"), D(0))
    # DSO: 1250 open ÷ 1650 invoiced in the last 90 days × 90 days.
    assert report.dso == {"EUR": (D("1250") / D("1650") * 90).quantize(D("0.01"))}
    # Collection rate: 400 collected ÷ 1100 fell due in the window (the second is not due).
    assert report.collection_rate == {"EUR": (D("400") / D("1100")).quantize(D("0.0001"))}
    weeks = report.cash_in["EUR"]
    assert [w.expected for w in weeks[:2]] == [D("1250.00"), D("0.00")]  # 700 overdue + 550
    assert weeks[0].start == date(2026, 2, 9)
    assert weeks[0].end == date(2026, 2, 15)
    months = report.monthly["EUR"]
    assert [(f"{m.month:%Y-%m}", m.invoiced, m.collected) for m in months[-2:]] == [
        ("2026-01", D("1650.00"), D("400.00")),
        ("2026-02", D("0.00"), D("0.00")),
    ]
    overdue = [i for i in report.attention if i.kind == "overdue"]
    assert [(i.number, i.amount, i.days_overdue) for i in overdue] == [
        (first.number, D("700.00"), 5)
    ]
    assert second.due_date is not None
    # As of the day before the second was issued: only the first, unpaid.
    before = books.reports.receivables(as_of=date(2026, 1, 14))
    assert before.open == {"EUR": D("1100.00")}
    assert before.overdue == {"EUR": D("0.00")}


def test_another_sellers_figures_never_appear(
    make_billing: Callable[[FixedClock], ik.Billing],
) -> None:
    clock = FixedClock(START)
    billing = make_billing(clock)
    a, b = _books_with(billing, clock)
    a_clients = {c.customer_id for c in a.reports.all_client_balances()}
    b_clients = {c.customer_id for c in b.reports.all_client_balances()}
    assert a_clients
    assert b_clients
    assert not a_clients & b_clients
    assert a.reports.receivables().open == {"EUR": D("110.00")}
    assert {i.invoice_id for i in a.reports.attention()}.isdisjoint(
        {i.invoice_id for i in b.reports.attention()}
    )


def test_bad_input_is_one_validation_error_naming_each_field(
    make_billing: Callable[[FixedClock], ik.Billing],
) -> None:
    clock = FixedClock(START)
    books, _ = _books_with(make_billing(clock), clock)
    with pytest.raises(ik.ValidationError) as caught:
        books.reports.client_balances(
            currency="euro",
            sort="size",
            limit=0,
            after="x",
            as_of="2026-01-01",  # type: ignore[arg-type]
        )
    paths = {p.path for p in caught.value.problems}
    assert paths == {"currency", "sort", "limit", "after", "as_of"}
    with pytest.raises(ik.ValidationError, match="timezone-aware"):
        books.reports.aging(as_of=datetime(2026, 1, 1))  # noqa: DTZ001 - the point
    with pytest.raises(ik.ValidationError, match="window_days"):
        books.reports.dso(window_days=0)
    with pytest.raises(ik.NotFoundError):
        ik.Billing.in_memory().seller("sel_nobody").reports.aging()


def test_client_pages_sort_search_and_page_through_every_client(
    make_billing: Callable[[FixedClock], ik.Billing],
) -> None:
    clock = FixedClock(START)
    billing = make_billing(clock)
    books = billing.seller(billing.sellers.create(name="N", country="DE", currency="EUR").id)
    names = ["Zeta", "alpha", "Beta", "=cmd", "Gamma"]
    for price, name in enumerate(names, start=1):
        customer = books.customers.create(name, email="c@c.example")
        books.invoices.issue(books.invoices.draft(customer.id, lines=[_line(price * 10)]).id)
    first = books.reports.client_balances(limit=2)
    assert [b.name for b in first.items] == ["Gamma", "=cmd"]
    assert first.next is not None
    rest: list[Any] = []
    after: str | None = first.next
    while after is not None:
        page = books.reports.client_balances(limit=2, after=after)
        rest += page.items
        after = page.next
    assert [b.name for b in rest] == ["Beta", "alpha", "Zeta"]
    by_name = books.reports.client_balances(sort="name", descending=False)
    assert [b.name for b in by_name.items] == ["=cmd", "Beta", "Gamma", "Zeta", "alpha"]
    assert [b.name for b in books.reports.client_balances(search="ET").items] == ["Beta", "Zeta"]

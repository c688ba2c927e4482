"""Issue 11, item 5: every bad argument of a public entry point is a ValidationError naming its
field, on every adapter (memory, SQLite, PostgreSQL), and nothing is stored.

One table per entry point; each row is (field the error must name, bad keyword arguments).
Every call starts from the same seeded store, which must be exactly as before afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import pytest

import invoicekit as ik
from invoicekit.domain.numbering import Reset, Series
from invoicekit.testing import FixedClock
from pg import admin_connect, pg_url, schema_url  # noqa: F401

AT: Final = datetime(2026, 3, 2, 9, tzinfo=UTC)
SURROGATE: Final = "caf\udce9"  # a lone surrogate: bytes decoded with errors="surrogateescape"
SELLER: Final[dict[str, Any]] = {"name": "Acme GmbH", "country": "DE", "currency": "EUR"}


class Net14:
    """Follows the PaymentTerms protocol but is none of our terms types (cannot be stored)."""

    def due_date(self, issue_date: date) -> date:
        return issue_date + timedelta(days=14)

    def describe(self) -> str:
        return "net 14"


@dataclass(frozen=True)
class World:
    """A seeded store: a seller with a customer, a draft and an issued invoice with payments."""

    billing: ik.Billing
    books: ik.SellerBooks
    customer_id: str
    draft_id: str
    invoice_id: str
    pending_id: str
    paid_id: str


def _seed(billing: ik.Billing) -> World:
    seller = billing.sellers.create(**SELLER)
    books = billing.seller(seller.id)
    customer = books.customers.create("Globex", email="ap@globex.example")
    draft = books.invoices.draft(customer.id, lines=[_line()])
    invoice = books.invoices.issue(books.invoices.draft(customer.id, lines=[_line()]).id)
    books.payments.record(invoice.id, "10.00", pending=True, payment_id="pending-1")
    books.payments.record(invoice.id, "10.00", payment_id="paid-1")
    return World(billing, books, customer.id, draft.id, invoice.id, "pending-1", "paid-1")


def _line(**changes: Any) -> dict[str, Any]:
    return {
        "description": "Consulting",
        "quantity": "1",
        "unit_price": "100.00",
        "tax": ik.Vat("19"),
        **changes,
    }


@pytest.fixture(scope="module", params=["memory", "sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One seeded store per adapter, shared by the module: bad calls never change it."""
    kind: str = request.param
    clock = FixedClock(AT)
    if kind == "memory":
        billing = ik.Billing.in_memory(clock=clock)
    elif kind == "sqlite":
        billing = ik.Billing.sqlite(tmp_path_factory.mktemp("bad") / "books.sqlite", clock=clock)
    else:
        url: str = request.getfixturevalue("pg_url")
        schema = f"bad_input_{os.getpid()}"
        with admin_connect(url) as admin:
            admin.execute(f"CREATE SCHEMA {schema}")
        billing = ik.Billing.from_url(schema_url(url, schema), clock=clock)
    with billing:
        yield _seed(billing)


def snapshot(world: World) -> object:
    """Everything a bad call could have stored: sellers, customers, invoices, events."""
    billing = world.billing
    state: list[object] = []
    for seller in billing.sellers.list():
        books = billing.seller(seller.id)
        state += [
            seller,
            books.customers.list(include_archived=True, limit=1000),
            books.invoices.list(limit=1000),
            [(r.key, r.kind) for r in books.events.records(limit=10_000)],
        ]
    return state


def refused(world: World, field: str, call: Callable[[], object]) -> None:
    """``call`` raises a ValidationError naming ``field`` and leaves the store as it was."""
    before = snapshot(world)
    with pytest.raises(ik.ValidationError) as info:
        call()
    assert field in info.value.paths, str(info.value)
    assert snapshot(world) == before


def without(bad: dict[str, Any], name: str, default: str) -> tuple[Any, dict[str, Any]]:
    """``bad[name]`` (else ``default``) and the other arguments; the shared row is not changed."""
    rest = dict(bad)
    return rest.pop(name, default), rest


def case(field: str, label: str, /, **kwargs: Any) -> Any:
    """One row of a table: the field named by the error, and the bad keyword arguments."""
    return pytest.param(field, kwargs, id=label)


METADATA: Final = [
    case("metadata", "not-a-dict", metadata=[1, 2]),
    case("metadata[1]", "int-key-merging-with-str", metadata={1: "a", "1": "b"}),
    case("metadata['x']", "object", metadata={"x": object()}),
    case("metadata['x']", "nan", metadata={"x": float("nan")}),
    case("metadata['x']", "decimal", metadata={"x": Decimal("1.50")}),
    case("metadata['x']", "datetime", metadata={"x": AT}),
    case("metadata['x']", "nested", metadata={"x": {"y": 1}}),
    case("metadata['x']", "surrogate", metadata={"x": SURROGATE}),
    case("metadata['x']", "long-value", metadata={"x": "v" * 501}),
    case(f"metadata[{'k' * 41!r}]", "long-key", metadata={"k" * 41: 1}),
    case("metadata", "51-keys", metadata={f"k{i}": i for i in range(51)}),
    case("metadata['x']", "huge-int", metadata={"x": 2**64}),
]
SETTINGS: Final = [
    case("country", "unknown-country", country="XX"),
    case("rounding", "rounding-str", rounding="half_up"),
    case("prices", "prices-gross", prices="gross"),
    case("terms", "terms-int", terms=14),
    case("terms", "terms-custom", terms=Net14()),
    case("send_on_issue", "send-on-issue-str", send_on_issue="no"),
    case("series", "series-int", series=5),
    case("name", "name-surrogate", name=SURROGATE),
    *METADATA,
]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        *SETTINGS,
        case("id", "id-list", id=["s"]),
        case("idempotency_key", "key-surrogate", idempotency_key=SURROGATE),
        case("idempotency_key", "key-list", idempotency_key=["k"]),
        case("idempotency_key", "key-empty", idempotency_key=""),
    ],
)
def test_sellers_create(world: World, field: str, bad: dict[str, Any]) -> None:
    refused(world, field, lambda: world.billing.sellers.create(**{**SELLER, **bad}))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        *SETTINGS,
        case("seller_id", "seller-id-list", seller_id=["s"]),
        case("idempotency_key", "key-surrogate", idempotency_key=SURROGATE),
    ],
)
def test_sellers_update(world: World, field: str, bad: dict[str, Any]) -> None:
    seller_id, bad = without(bad, "seller_id", world.books.seller_id)
    refused(world, field, lambda: world.billing.sellers.update(seller_id, **bad))


CUSTOMER_FIELDS: Final = [
    case("name", "name-surrogate", name=SURROGATE),
    case("archived", "archived-str", archived="no"),
    case("channels[0]", "channels-int", channels=5),
    *METADATA,
]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        *CUSTOMER_FIELDS,
        case("id", "id-list", id=["c"]),
        case("idempotency_key", "key-surrogate", idempotency_key=SURROGATE),
        case("idempotency_key", "key-too-long", idempotency_key="k" * 256),
    ],
)
def test_customers_create(world: World, field: str, bad: dict[str, Any]) -> None:
    arguments = {"name": "Initech", **bad}
    refused(world, field, lambda: world.books.customers.create(**arguments))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        *CUSTOMER_FIELDS,
        case("customer_id", "customer-id-list", customer_id=["c"]),
        case("idempotency_key", "key-surrogate", idempotency_key=SURROGATE),
    ],
)
def test_customers_update(world: World, field: str, bad: dict[str, Any]) -> None:
    customer_id, bad = without(bad, "customer_id", world.customer_id)
    refused(world, field, lambda: world.books.customers.update(customer_id, **bad))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        case("limit", "limit-str", limit="x"),
        case("limit", "limit-zero", limit=0),
        case("include_archived", "include-archived-str", include_archived="no"),
        case("after", "after-list", after=["c"]),
    ],
)
def test_customers_list(world: World, field: str, bad: dict[str, Any]) -> None:
    refused(world, field, lambda: world.books.customers.list(**bad))


DRAFT_CONTENT: Final = [
    case("lines[0].unit_price", "unit-price-none", lines=[_line(unit_price=None)]),
    case("lines[0].discounts", "line-discounts-int", lines=[_line(discounts=5)]),
    case("lines[0].discounts[0]", "line-discounts-none", lines=[_line(discounts=[None])]),
    case("lines[0].description", "description-surrogate", lines=[_line(description=SURROGATE)]),
    case("lines[0].description", "description-nul", lines=[_line(description="a\x00b")]),
    case("discounts[0]", "discounts-none", discounts=[None]),
    case("terms", "terms-int", terms=14),
    case("terms", "terms-custom", terms=Net14()),
    case("memo", "memo-surrogate", memo=SURROGATE),
    case("memo", "memo-escape", memo="\x1b[31mred"),
    case("footer", "footer-surrogate", footer=SURROGATE),
    case("customer_id", "customer-id-list", customer_id=["c"]),
    case("idempotency_key", "key-surrogate", idempotency_key=SURROGATE),
]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        *DRAFT_CONTENT,
        case("lines", "lines-none", lines=None),
        case("prices", "prices-gross", prices="gross"),
        case("id", "id-list", id=["i"]),
        case("discounts", "discounts-none", discounts=None),
        *METADATA,
    ],
)
def test_invoices_draft(world: World, field: str, bad: dict[str, Any]) -> None:
    arguments = {"customer_id": world.customer_id, "lines": [_line()], **bad}
    refused(world, field, lambda: world.books.invoices.draft(**arguments))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        *DRAFT_CONTENT,
        case("lines", "lines-str", lines="Consulting"),
        case("invoice_id", "invoice-id-list", invoice_id=["i"]),
    ],
)
def test_invoices_edit(world: World, field: str, bad: dict[str, Any]) -> None:
    invoice_id, bad = without(bad, "invoice_id", world.draft_id)
    refused(world, field, lambda: world.books.invoices.edit(invoice_id, **bad))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        case("invoice_id", "invoice-id-list", invoice_id=["i"]),
        case("invoice_id", "invoice-id-surrogate", invoice_id=SURROGATE),
        case("idempotency_key", "key-surrogate", idempotency_key=SURROGATE),
    ],
)
def test_invoices_issue(world: World, field: str, bad: dict[str, Any]) -> None:
    invoice_id, bad = without(bad, "invoice_id", world.draft_id)
    refused(world, field, lambda: world.books.invoices.issue(invoice_id, **bad))


REASONS: Final = [
    case("reason", "reason-surrogate", reason=SURROGATE),
    case("reason", "reason-1mb", reason="r" * 1_000_000),
    case("reason", "reason-int", reason=5),
    case("idempotency_key", "key-surrogate", idempotency_key=SURROGATE),
]


@pytest.mark.parametrize("operation", ["void", "write_off"])
@pytest.mark.parametrize(("field", "bad"), REASONS)
def test_invoices_void_and_write_off(
    world: World, operation: str, field: str, bad: dict[str, Any]
) -> None:
    method = getattr(world.books.invoices, operation)
    refused(world, field, lambda: method(world.invoice_id, **bad))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        *REASONS,
        case("lines", "lines-none", lines=None),
        case("lines[0]", "lines-item-none", lines=[None]),
        case("lines[0].unit_price", "unit-price-none", lines=[_line(unit_price=None)]),
    ],
)
def test_invoices_credit(world: World, field: str, bad: dict[str, Any]) -> None:
    arguments = {"lines": [_line(unit_price="1.00")], **bad}
    refused(world, field, lambda: world.books.invoices.credit(world.invoice_id, **arguments))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        case("limit", "limit-str", limit="x"),
        case("limit", "limit-zero", limit=0),
        case("limit", "limit-bool", limit=True),
        case("due_from", "due-from-str", due_from="2026-01-01"),
        case("due_to", "due-to-datetime", due_to=AT),
        case("overdue_on", "overdue-on-str", overdue_on="2026-01-01"),
        case("customer_id", "customer-id-list", customer_id=["c"]),
        case("after", "after-int", after=5),
        case("status", "status-unknown", status="gone"),
    ],
)
def test_invoices_list(world: World, field: str, bad: dict[str, Any]) -> None:
    refused(world, field, lambda: world.books.invoices.list(**bad))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        case("pending", "pending-str", pending="no"),
        case("pending", "pending-none", pending=None),
        case("payment_id", "payment-id-list", payment_id=["p"]),
        case("method", "method-none", method=None),
        case("method", "method-surrogate", method=SURROGATE),
        case("reference", "reference-200k", reference="r" * 200_000),
        case("reference", "reference-141", reference="r" * 141),
        case("reference", "reference-surrogate", reference=SURROGATE),
        case("reference", "reference-newline", reference="a\nb"),
        case("invoice_id", "invoice-id-list", invoice_id=["i"]),
        case("idempotency_key", "key-surrogate", idempotency_key=SURROGATE),
    ],
)
def test_payments_record(world: World, field: str, bad: dict[str, Any]) -> None:
    invoice_id, bad = without(bad, "invoice_id", world.invoice_id)
    refused(world, field, lambda: world.books.payments.record(invoice_id, "5.00", **bad))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        case("payment_id", "payment-id-list", payment_id=["p"]),
        case("idempotency_key", "key-surrogate", idempotency_key=SURROGATE),
    ],
)
def test_payments_settle(world: World, field: str, bad: dict[str, Any]) -> None:
    payment_id, bad = without(bad, "payment_id", world.pending_id)
    refused(world, field, lambda: world.books.payments.settle(world.invoice_id, payment_id, **bad))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        case("reason", "reason-none", reason=None),
        case("reason", "reason-empty", reason=" "),
        case("reason", "reason-surrogate", reason=SURROGATE),
        case("reason", "reason-1001", reason="r" * 1001),
        case("payment_id", "payment-id-list", payment_id=["p"]),
    ],
)
def test_payments_fail(world: World, field: str, bad: dict[str, Any]) -> None:
    arguments = {"payment_id": world.pending_id, "reason": "declined", **bad}
    refused(world, field, lambda: world.books.payments.fail(world.invoice_id, **arguments))


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        case("reason", "reason-none", reason=None),
        case("reason", "reason-surrogate", reason=SURROGATE),
        case("reason", "reason-1mb", reason="r" * 1_000_000),
        case("code", "code-list", code=["c"]),
        case("idempotency_key", "key-surrogate", idempotency_key=SURROGATE),
    ],
)
def test_payments_record_failure(world: World, field: str, bad: dict[str, Any]) -> None:
    arguments = {"reason": "card declined", **bad}
    refused(
        world, field, lambda: world.books.payments.record_failure(world.invoice_id, **arguments)
    )


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        case("payment_id", "payment-id-int", payment_id=5),
        case("refund_id", "refund-id-list", refund_id=["r"]),
        case("idempotency_key", "key-surrogate", idempotency_key=SURROGATE),
    ],
)
def test_payments_refund(world: World, field: str, bad: dict[str, Any]) -> None:
    arguments = {"payment_id": world.paid_id, **bad}
    refused(
        world,
        field,
        lambda: world.books.payments.refund(world.invoice_id, amount="1.00", **arguments),
    )


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda s: Series.of(s.name, s.format.pattern, Reset.NEVER), id="reset"),
        pytest.param(lambda s: Series.of(s.name, "R-{year}-{seq:05d}"), id="format"),
    ],
)
def test_a_series_that_issued_a_number_keeps_its_format_and_reset(
    world: World, bad: Callable[[Series], Series]
) -> None:
    """Changing a used series made every later issue fail with DuplicateError (or reuse numbers)."""
    billing, seller_id = world.billing, world.books.seller_id
    series = billing.sellers.get(seller_id).series
    changed = tuple(bad(s) if s.name == "invoice" else s for s in series)
    refused(world, "series", lambda: billing.sellers.update(seller_id, series=changed))


def test_an_unused_series_may_change_a_new_one_may_be_added_a_used_one_stays(world: World) -> None:
    """The freeze starts with the first number: a fresh seller changes its formats freely."""
    billing = world.billing
    seller = billing.sellers.create(**SELLER)
    never = tuple(Series.of(s.name, s.format.pattern, Reset.NEVER) for s in seller.series)
    assert billing.sellers.update(seller.id, series=never).series == never
    books = billing.seller(seller.id)
    customer = books.customers.create("Initech", email="ap@initech.example")
    books.invoices.issue(books.invoices.draft(customer.id, lines=[_line()]).id)
    more = (*never, Series.of("shop", "SHOP-{seq:04d}", Reset.NEVER))
    assert billing.sellers.update(seller.id, series=more).series == more
    draft = books.invoices.draft(customer.id, lines=[_line()], series="shop")
    assert books.invoices.issue(draft.id).number == "SHOP-0001"
    refused(world, "series", lambda: billing.sellers.update(seller.id, series=never))


Call = Callable[[ik.SellerBooks], object]


def call(field: str, label: str, function: Call) -> Any:
    """One row of the messages, inbox and events table: the field, and the bad call."""
    return pytest.param(field, function, id=label)


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        call("key", "messages.get-key-list", lambda b: b.messages.get(["k"])),
        call("limit", "messages.list-limit-str", lambda b: b.messages.list(limit="x")),
        call("after", "messages.list-after-str", lambda b: b.messages.list(after="x")),
        call("invoice_id", "messages.list-invoice-list", lambda b: b.messages.list(invoice_id=[1])),
        call("key", "messages.retry-key-surrogate", lambda b: b.messages.retry(SURROGATE)),
        call("customer_id", "inbox.list-customer-list", lambda b: b.inbox.list(["c"])),
        call("limit", "inbox.list-limit-str", lambda b: b.inbox.list("c", limit="x")),
        call("offset", "inbox.list-offset-negative", lambda b: b.inbox.list("c", offset=-1)),
        call("unread_only", "inbox.list-unread-str", lambda b: b.inbox.list("c", unread_only="no")),
        call("customer_id", "inbox.unread-surrogate", lambda b: b.inbox.unread_count(SURROGATE)),
        call("keys", "inbox.mark_read-keys-int", lambda b: b.inbox.mark_read("c", 5)),
        call("keys[0]", "inbox.mark_read-key-list", lambda b: b.inbox.mark_read("c", [["k"]])),
        call(
            "keys", "inbox.mark_read-key-surrogate", lambda b: b.inbox.mark_read("c", [SURROGATE])
        ),
        call("limit", "events.list-limit-str", lambda b: b.events.list(limit="x")),
        call(
            "invoice_id", "events.records-invoice-list", lambda b: b.events.records(invoice_id=[1])
        ),
    ],
)
def test_messages_inbox_and_events(world: World, field: str, bad: Call) -> None:
    refused(world, field, lambda: bad(world.books))

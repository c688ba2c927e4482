"""``draft_many`` and ``issue_many`` on memory, a SQLite file and PostgreSQL (issue 13).

A batch is all or nothing: a bad draft among 50 stores none of them, with the
problem's index in its path; a failure at invoice 37 of 50 leaves all 50 drafts and
uses no number (I3). ``issue_many`` returns ids and numbers in the order given, an
id given twice is issued once, and numbers follow the order given per series.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs
import pytest

import invoicekit as ik
from billing_fixtures import line
from invoicekit.faults import FaultPoints
from invoicekit.testing import FixedClock, MemoryStorage
from pg import pg_url  # noqa: F401

AT: Final = datetime(2026, 3, 2, 9, tzinfo=UTC)
COUNT: Final = 50
BAD: Final = 37


class InjectedFaultError(Exception):
    """Raised by an armed fault point."""


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def make_billing(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Billing objects sharing one store of each kind (PostgreSQL: the session's database)."""
    opened: list[ik.Billing] = []
    memory = MemoryStorage()

    def build(**options: Any) -> ik.Billing:
        options.setdefault("clock", FixedClock(AT))
        if request.param == "memory":
            billing = ik.Billing(storage=memory, **options)
        elif request.param == "sqlite":
            billing = ik.Billing.sqlite(tmp_path / "b.sqlite", **options)
        else:
            billing = ik.Billing.from_url(request.getfixturevalue("pg_url"), **options)
        opened.append(billing)
        return billing

    yield build
    for billing in opened:
        if billing.storage is not memory:
            billing.close()


def setup(billing: ik.Billing) -> tuple[ik.SellerBooks, ik.Customer]:
    seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR")
    books = billing.seller(seller.id)
    return books, books.customers.create("Globex", email="ap@globex.example")


def rows(customer_id: str, count: int = COUNT) -> list[dict[str, Any]]:
    return [{"customer_id": customer_id, "lines": [line(f"{10 + k}.00")]} for k in range(count)]


def next_number(billing: ik.Billing, books: ik.SellerBooks) -> int:
    with billing.storage.transaction(write=False) as tx:
        return tx.sequences.peek(books.seller_id, "invoice", "2026")


def test_draft_many_makes_what_draft_makes(make_billing: Any) -> None:
    books, customer = setup(make_billing())
    ids = books.invoices.draft_many(
        [{"customer_id": customer.id, "lines": [line("12.00")], "memo": "Thanks", "id": "d-1"}]
    )
    one = books.invoices.draft(customer.id, lines=[line("12.00")], memo="Thanks", id="d-2")
    assert ids == ["d-1"]
    assert books.invoices.get("d-1") == attrs.evolve(one, id="d-1")


def test_draft_many_then_issue_many_numbers_in_the_order_given(make_billing: Any) -> None:
    books, customer = setup(make_billing())
    ids = books.invoices.draft_many(rows(customer.id, 7))
    order = [*ids[3:], *ids[:3]]
    issued = books.invoices.issue_many(order, batch_size=3)
    assert issued == [ik.Issued(i, f"INV-2026-{n:05d}") for n, i in enumerate(order, start=1)]
    assert books.invoices.issue_many(ids) == [issued[(k + 4) % 7] for k in range(7)]
    stored = books.invoices.get(order[0])
    assert (stored.status, stored.amount_due) == (ik.Status.PENDING, Decimal("15.47"))


def test_a_bad_draft_stores_none_and_names_its_index(make_billing: Any) -> None:
    billing = make_billing()
    books, customer = setup(billing)
    data = rows(customer.id)
    bad_line = {"description": "x", "quantity": "x", "unit_price": "1.00", "tax": ik.Vat("19")}
    data[BAD] = {"customer_id": customer.id, "lines": [bad_line]}
    data[3] = {**data[3], "lines": [{**bad_line, "quantity": "2", "unit_price": "-"}]}
    with pytest.raises(ik.ValidationError) as caught:
        books.invoices.draft_many(data)
    assert caught.value.paths == (
        "drafts[3].lines[0].unit_price",
        f"drafts[{BAD}].lines[0].quantity",
    )
    assert books.invoices.list() == []


def test_an_unknown_customer_is_not_found_and_stores_none(make_billing: Any) -> None:
    books, customer = setup(make_billing())
    data = rows(customer.id)
    data[BAD] = {**data[BAD], "customer_id": "cus_nobody"}
    with pytest.raises(ik.NotFoundError, match="cus_nobody"):
        books.invoices.draft_many(data)
    assert books.invoices.list() == []


@pytest.mark.parametrize(
    ("drafts", "path"),
    [
        ("not a list", "drafts"),
        ([{"customer_id": "c"}] * 1001, "drafts"),
        ([5], "drafts[0]"),
        ([{"lines": []}], "drafts[0].customer_id"),
        ([{"customer_id": "c", "lines": [], "colour": "red"}], "drafts[0].colour"),
        ([{"customer_id": "c", "lines": "many"}], "drafts[0].lines"),
        ([{"customer_id": "c", "lines": [], "id": "x"}] * 2, "drafts[1].id"),
    ],
)
def test_draft_many_refuses_bad_shapes_before_a_transaction(
    make_billing: Any, drafts: Any, path: str
) -> None:
    books, _ = setup(make_billing())
    with pytest.raises(ik.ValidationError) as caught:
        books.invoices.draft_many(drafts)
    assert caught.value.paths[0] == path


def test_draft_many_with_a_taken_id_stores_none(make_billing: Any) -> None:
    books, customer = setup(make_billing())
    books.invoices.draft(customer.id, lines=[line()], id="taken")
    data = [*rows(customer.id, 3), {"customer_id": customer.id, "lines": [line()], "id": "taken"}]
    with pytest.raises(ik.DuplicateError, match="taken"):
        books.invoices.draft_many(data)
    assert [i.id for i in books.invoices.list()] == ["taken"]


def test_draft_many_replays_its_idempotency_key(make_billing: Any) -> None:
    books, customer = setup(make_billing())
    first = books.invoices.draft_many(rows(customer.id, 2), idempotency_key="import-1")
    assert books.invoices.draft_many(rows(customer.id, 2), idempotency_key="import-1") == first
    assert len(books.invoices.list()) == len(first)
    with pytest.raises(ik.ConflictError):
        books.invoices.draft_many(rows(customer.id, 3), idempotency_key="import-1")


def test_a_failure_at_invoice_37_leaves_all_50_drafts_and_no_number(make_billing: Any) -> None:
    billing = make_billing()
    books, customer = setup(billing)
    ids = books.invoices.draft_many(rows(customer.id))
    hits = {"n": 0}

    def fail_at_37() -> None:
        hits["n"] += 1
        if hits["n"] == BAD:
            raise InjectedFaultError("invoice 37")

    faulty = make_billing(faults=FaultPoints({"after_number_alloc": fail_at_37}))
    with pytest.raises(InjectedFaultError):
        faulty.seller(books.seller_id).invoices.issue_many(ids)
    assert {i.status for i in books.invoices.list(limit=COUNT + 1)} == {ik.Status.DRAFT}
    assert next_number(billing, books) == 1
    assert [i.number for i in books.invoices.issue_many(ids)][-1] == f"INV-2026-{COUNT:05d}"


def test_an_id_given_twice_is_issued_once(make_billing: Any) -> None:
    billing = make_billing()
    books, customer = setup(billing)
    a, b = books.invoices.draft_many(rows(customer.id, 2))
    issued = books.invoices.issue_many([a, b, a])
    assert issued == [ik.Issued(a, "INV-2026-00001"), ik.Issued(b, "INV-2026-00002"), issued[0]]
    assert next_number(billing, books) == 3
    assert len([e for e in books.events.records() if e.kind == "InvoiceIssued"]) == 2


def test_issue_many_refuses_an_unknown_id_and_issues_nothing(make_billing: Any) -> None:
    billing = make_billing()
    books, customer = setup(billing)
    ids = books.invoices.draft_many(rows(customer.id, 3))
    with pytest.raises(ik.NotFoundError, match="inv_missing"):
        books.invoices.issue_many([*ids, "inv_missing"])
    assert next_number(billing, books) == 1


def test_one_batch_over_two_series_numbers_each_in_the_order_given(make_billing: Any) -> None:
    billing = make_billing()
    seller = billing.sellers.create(
        name="Northwind",
        country="DE",
        currency="EUR",
        series=(
            ik.Series.of("invoice", "INV-{year}-{seq:05d}"),
            ik.Series.of("credit_note", "CN-{year}-{seq:05d}"),
            ik.Series.of("export", "EXP-{seq:04d}", ik.Reset.NEVER),
        ),
    )
    books = billing.seller(seller.id)
    customer = books.customers.create("Globex")
    kinds = ["export", "invoice", "export", "invoice", "invoice"]
    ids = books.invoices.draft_many(
        [{"customer_id": customer.id, "lines": [line()], "series": kind} for kind in kinds]
    )
    numbers = [one.number for one in books.invoices.issue_many(ids)]
    assert numbers == ["EXP-0001", "INV-2026-00001", "EXP-0002", "INV-2026-00002", "INV-2026-00003"]
    assert next_number(billing, books) == 4

"""SqliteStorage on real files: round trips, queries, versions, numbering, integrity, schema.

Every test uses a file under ``tmp_path`` (never ``:memory:``). Where MemoryStorage
(the reference) defines an answer, the test asks both adapters and compares.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from factories import AT, customer, draft, issue, line, seller
from invoicekit.adapters.storage.memory import MemoryStorage
from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.adapters.storage.sqlite_schema import SCHEMA_VERSION
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.events import CreditNoteIssued
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Address, Customer, Seller
from invoicekit.domain.status import Status
from invoicekit.errors import (
    ConcurrencyError,
    DuplicateError,
    IntegrityError,
    InvoiceKitError,
    NotFoundError,
    StorageError,
)
from invoicekit.ports import IdempotencyRecord, InvoiceQuery, OutboxRecord, Storage
from invoicekit.serialization import frozen_hash

DB = "db.sqlite"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / DB


@pytest.fixture
def storage(path: Path) -> Iterator[SqliteStorage]:
    store = SqliteStorage.open(path)
    yield store
    store.close()


def stored_hash(path: Path, invoice_id: str = "i1") -> str | None:
    raw = sqlite3.connect(path)
    (digest,) = raw.execute(
        "SELECT content_hash FROM invoices WHERE id = ?", (invoice_id,)
    ).fetchone()
    raw.close()
    return digest  # type: ignore[no-any-return]


def rich_seller() -> Seller:
    return seller(
        id="s1",
        legal_name="Northwind GmbH",
        tax_id="DE811234567",
        address=Address("DE", line1="Hauptstr. 1", city="Berlin", postal_code="10115"),
        email="billing@northwind.example",
        phone="+4930123456",
        metadata={"plan": "pro", "seats": 12, "trial": False, "referrer": None},
    )


def rich_customer(of: Seller, customer_id: str = "c1", **overrides: Any) -> Customer:
    return customer(
        of,
        id=customer_id,
        address=Address("FR", city="Paris"),
        locale="fr_FR",
        timezone="Europe/Paris",
        channels=("email", "webhook"),
        metadata={"crm": customer_id},
        **overrides,
    )


def invoices_in_every_state(s: Seller, c: Customer) -> tuple[list[Invoice], list[CreditNote]]:
    """One invoice per state the lifecycle reaches, payments, refunds and credits included."""
    made: list[Invoice] = []
    notes: list[CreditNote] = []
    lines = [line("19.99", "3"), line("5.00", "0.5", description="Setup — «spécial» ✓")]
    plain = draft(of=s, to=c, id="d1", lines=lines, memo="first", metadata={"po": "PO-1"})
    made.append(plain)

    def issued(invoice_id: str, number: str) -> Invoice:
        return issue(draft(of=s, to=c, id=invoice_id, lines=lines), of=s, to=c, number=number)

    def step(invoice: Invoice, command: lc.Command, at: datetime = AT) -> Invoice:
        new, events = lc.apply(invoice, command, at=at)
        notes.extend(e.credit_note for e in events if isinstance(e, CreditNoteIssued))
        return new

    made.append(issued("i1", "INV-2026-00001"))
    paid = step(issued("i2", "INV-2026-00002"), lc.RecordPayment("p1", "20.00"))
    made.append(paid)
    made.append(step(paid, lc.RefundPayment("p1", "r1", "5.00")))
    made[-1] = attrs.evolve(made[-1], id="i3", number="INV-2026-00003")
    made.append(
        step(issued("i4", "INV-2026-00004"), lc.Credit("n1", "CN-2026-00001", [line("10.00")]))
    )
    made.append(step(issued("i5", "INV-2026-00005"), lc.FailCollection("declined", code="x")))
    made.append(step(issued("i6", "INV-2026-00006"), lc.Void("mistake")))
    made.append(step(issued("i7", "INV-2026-00007"), lc.WriteOff("insolvent")))
    late = AT + timedelta(days=40)
    made.append(step(issued("i8", "INV-2026-00008"), lc.MarkOverdue(), late))
    pending = lc.RecordPayment("p2", "10.00", pending=True)
    made.append(step(issued("i9", "INV-2026-00009"), pending))
    return made, notes


# --------------------------------------------------------------------------- round trips


def test_every_value_type_reads_back_equal_through_a_new_instance(
    storage: SqliteStorage, path: Path
) -> None:
    s = rich_seller()
    c = rich_customer(s)
    archived = rich_customer(s, "c2", archived=True)
    invoices, notes = invoices_in_every_state(s, c)
    record = OutboxRecord(
        key="k1",
        seller_id="s1",
        kind="invoice.issued",
        payload={"amount": "1.00", "list": [1, "two", None, True], "unicode": "€ ✓"},
        created_at=AT,
        invoice_id="i1",
        delivered_at=AT + timedelta(seconds=1),
        attempts=2,
        last_error="451 try later",
    )
    idem = IdempotencyRecord("s1", "key-1", "fp", "issue", {"value": {"x": [1.5, "2"]}}, AT)
    with storage.transaction() as tx:
        tx.sellers.add(s)
        tx.customers.add(c)
        tx.customers.add(archived)
        for invoice in invoices:
            tx.invoices.add(invoice)
        for note in notes:
            tx.credit_notes.add(note)
        tx.outbox.append([record])
        tx.idempotency.put(idem)

    other = SqliteStorage(path)
    with other.transaction(write=False) as tx:
        assert tx.sellers.get("s1") == s
        assert tx.sellers.list() == [s]
        assert tx.customers.get("s1", "c1") == c
        assert tx.customers.list("s1", include_archived=True) == [c, archived]
        for invoice in invoices:
            back = tx.invoices.get("s1", invoice.id)
            assert back == invoice
            assert back.policy == invoice.policy  # excluded from Invoice.__eq__
        assert [tx.credit_notes.get("s1", n.id) for n in notes] == notes
        assert tx.credit_notes.for_invoice("s1", "i4") == notes
        [stored] = tx.outbox.list(seller_id="s1")
        assert stored == attrs.evolve(record, position=1)
        assert stored.payload == record.payload
        back_idem = tx.idempotency.get("s1", "key-1")
        assert back_idem == idem
        assert back_idem is not None
        assert back_idem.result == idem.result
        assert tx.idempotency.get("s1", "nope") is None
    other.close()


def test_reopening_the_file_keeps_everything(path: Path) -> None:
    s = rich_seller()
    c = rich_customer(s)
    invoices, _ = invoices_in_every_state(s, c)
    first = SqliteStorage.open(path)
    with first.transaction() as tx:
        tx.sellers.add(s)
        tx.customers.add(c)
        for invoice in invoices:
            tx.invoices.add(invoice)
        tx.sequences.next_value("s1", "invoice", "2026")
        tx.outbox.append([OutboxRecord("k", "s1", "x", {"a": 1}, AT)])
    with first.transaction(write=False) as tx:
        before = snapshot(tx)
    first.close()
    again = SqliteStorage.open(path)
    with again.transaction(write=False) as tx:
        assert snapshot(tx) == before
        assert tx.sequences.peek("s1", "invoice", "2026") == 2
    again.close()


def snapshot(tx: Any) -> list[Any]:
    return [
        tx.sellers.list(),
        tx.customers.list("s1", include_archived=True),
        [(i, i.policy) for i in tx.invoices.find("s1", InvoiceQuery(limit=1000))],
        [(r, r.payload) for r in tx.outbox.list(seller_id="s1")],
    ]


# --------------------------------------------------------------------------- find


STATUSES = list(Status)


def query_population() -> list[Invoice]:
    """Invoices spread over statuses, customers, issue and due dates (some equal, some None)."""
    s = seller()
    customers = [customer(s, id=f"c{k}") for k in range(3)]
    base = draft(of=s, to=customers[0])
    made = []
    for k in range(40):
        status = STATUSES[k % len(STATUSES)]
        issue_date = None if k % 9 == 0 else date(2026, 1, 1) + timedelta(days=(k * 7) % 23)
        due = None if k % 11 == 0 else date(2026, 1, 10) + timedelta(days=(k * 5) % 60)
        made.append(
            attrs.evolve(
                base,
                id=f"inv-{(k * 13) % 40:02d}",
                customer_id=customers[k % 3].id,
                status=status,
                issue_date=issue_date,
                due_date=due,
                number=None if status is Status.DRAFT else f"N-{k:03d}",
            )
        )
    return made


def queries() -> Iterator[InvoiceQuery]:
    statuses: list[frozenset[Status] | None] = [
        None,
        frozenset(),
        frozenset({Status.DRAFT}),
        frozenset({Status.PENDING, Status.OVERDUE, Status.PAID}),
    ]
    customers = [None, "c1", "nobody"]
    dues: list[date | None] = [None, date(2026, 2, 1)]
    overdue: list[date | None] = [None, date(2026, 2, 15), date(2027, 1, 1)]
    for st, cu, dfrom, dto, od in itertools.product(statuses, customers, dues, dues, overdue):
        yield InvoiceQuery(
            statuses=st,
            customer_id=cu,
            due_from=dfrom,
            due_to=None if dto is None else dto + timedelta(days=20),
            overdue_on=od,
            limit=1000,
        )


def reference_find(invoices: list[Invoice], seller_id: str, query: InvoiceQuery) -> list[str]:
    """``find`` by the InvoiceQuery docstring: AND of the filters; (issue date, id), drafts last.

    ``after`` is a position: the page resumes after that invoice's place in the
    order even when it no longer matches; an id never stored starts from the top.
    """
    memory = MemoryStorage()  # its matches() is the reference filter
    with memory.transaction() as tx:
        mine = [i for i in invoices if i.seller_id == seller_id]
        for invoice in mine:
            tx.invoices.add(attrs.evolve(invoice, number=None))
        kept = {
            i.id for i in tx.invoices.find(seller_id, attrs.evolve(query, limit=10**6, after=None))
        }

    def key(inv: Invoice) -> tuple[bool, date, str]:
        return (inv.status is Status.DRAFT, inv.issue_date or date.min, inv.id)

    ordered = sorted((i for i in mine if i.id in kept), key=key)
    where = {i.id: key(i) for i in mine}
    if query.after in where:
        ordered = [i for i in ordered if key(i) > where[query.after]]
    return [i.id for i in ordered][: query.limit]


@pytest.fixture
def population(storage: SqliteStorage) -> list[Invoice]:
    made = query_population()
    made.append(attrs.evolve(made[0], seller_id="other", id="inv-x"))
    with storage.transaction() as tx:
        for invoice in made:
            tx.invoices.add(invoice)
    return made


def find(store: Storage, query: InvoiceQuery, seller_id: str = "s1") -> list[str]:
    with store.transaction(write=False) as tx:
        return [i.id for i in tx.invoices.find(seller_id, query)]


def test_find_matches_the_reference_for_every_filter_combination(
    storage: SqliteStorage, population: list[Invoice]
) -> None:
    checked = 0
    for query in queries():
        expected = reference_find(population, "s1", query)
        assert find(storage, query) == expected, query
        checked += bool(expected)
    assert checked > 20  # the population makes most combinations non-empty


def test_drafts_come_last_even_with_a_preset_issue_date(
    storage: SqliteStorage, population: list[Invoice]
) -> None:
    everything = find(storage, InvoiceQuery(limit=1000))
    status = {i.id: i.status for i in population if i.seller_id == "s1"}
    kinds = [status[i] is Status.DRAFT for i in everything]
    assert kinds == sorted(kinds)
    assert any(i.status is Status.DRAFT and i.issue_date for i in population)


@pytest.mark.parametrize("limit", [0, 1, 3, 7, 1000, -1, -5])
def test_find_pages_by_position(
    storage: SqliteStorage, population: list[Invoice], limit: int
) -> None:
    everything = find(storage, InvoiceQuery(limit=1000))
    for after in [None, "unknown-id", *everything]:
        for statuses in (None, frozenset({Status.PAID, Status.DRAFT})):
            query = InvoiceQuery(statuses=statuses, limit=limit, after=after)
            assert find(storage, query) == reference_find(population, "s1", query), query


def test_paging_walks_every_invoice_once(storage: SqliteStorage, population: list[Invoice]) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = find(storage, InvoiceQuery(limit=3, after=after))
        if not page:
            break
        seen += page
        after = page[-1]
    assert seen == find(storage, InvoiceQuery(limit=1000))
    assert len(seen) == 40
    assert find(storage, InvoiceQuery(), seller_id="other") == ["inv-x"]


def test_customer_list_filters_and_pages_like_memory(storage: SqliteStorage) -> None:
    s = seller()
    memory = MemoryStorage()
    people = [customer(s, id=f"c{k}", archived=k % 3 == 0) for k in (5, 1, 3, 2, 4, 0)]
    for store in (memory, storage):
        with store.transaction() as tx:
            for person in people:
                tx.customers.add(person)
            tx.customers.add(customer(seller(id="s2"), id="c9"))
    for archived, limit, after in itertools.product(
        (False, True), (0, 2, 100, -1), (None, "c", "c2", "c9")
    ):
        results = []
        for store in (memory, storage):
            with store.transaction(write=False) as tx:
                results.append(
                    tx.customers.list("s1", include_archived=archived, limit=limit, after=after)
                )
        assert results[0] == results[1]


# --------------------------------------------------------------------------- errors like memory


def attempt(store: Storage, action: Any) -> tuple[str, str]:
    try:
        with store.transaction() as tx:
            action(tx)
    except InvoiceKitError as exc:
        return type(exc).__name__, str(exc)
    return "ok", ""


def test_refusals_match_memory_storage_in_type_and_message(storage: SqliteStorage) -> None:
    s = seller()
    c = customer(s)
    d = draft(of=s, to=c)
    issued = issue(d, of=s, to=c)
    note_inv, events = lc.apply(issued, lc.Credit("n1", "CN-1", [line("1.00")]), at=AT)
    note = next(e.credit_note for e in events if isinstance(e, CreditNoteIssued))
    other_draft = draft(of=s, to=c, id="i2")
    steps: list[Any] = [
        lambda tx: tx.sellers.add(s),
        lambda tx: tx.sellers.add(s),
        lambda tx: tx.sellers.get("nope"),
        lambda tx: tx.sellers.update(seller(id="nope")),
        lambda tx: tx.customers.add(c),
        lambda tx: tx.customers.add(c),
        lambda tx: tx.customers.get("s1", "nope"),
        lambda tx: tx.customers.get("other-seller", "c1"),
        lambda tx: tx.customers.update(customer(s, id="nope")),
        lambda tx: tx.invoices.add(d),
        lambda tx: tx.invoices.add(d),
        lambda tx: tx.invoices.get("s1", "nope"),
        lambda tx: tx.invoices.get("other-seller", "i1"),
        lambda tx: tx.invoices.get_by_number("s1", "INV-2026-00001"),
        lambda tx: tx.invoices.save(issued, expected_version=7),
        lambda tx: tx.invoices.save(attrs.evolve(issued, id="nope"), expected_version=1),
        lambda tx: tx.invoices.save(issued, expected_version=1, freeze=True),
        lambda tx: tx.invoices.add(other_draft),
        lambda tx: tx.invoices.save(
            attrs.evolve(other_draft, number=issued.number, version=2), expected_version=1
        ),
        lambda tx: tx.invoices.add(attrs.evolve(other_draft, id="i3", number=issued.number)),
        lambda tx: tx.invoices.delete("s1", "i1", expected_version=2),
        lambda tx: tx.invoices.delete("s1", "i2", expected_version=5),
        lambda tx: tx.invoices.delete("s1", "nope", expected_version=1),
        lambda tx: tx.invoices.delete("s1", "i2", expected_version=1),
        lambda tx: tx.invoices.get("s1", "i2"),
        lambda tx: tx.invoices.save(note_inv, expected_version=2),
        lambda tx: tx.credit_notes.add(note),
        lambda tx: tx.credit_notes.add(note),
        lambda tx: tx.credit_notes.add(attrs.evolve(note, id="n2")),
        lambda tx: tx.credit_notes.get("s1", "nope"),
        lambda tx: tx.idempotency.put(IdempotencyRecord("s1", "k", "f", "op", {}, AT)),
        lambda tx: tx.idempotency.put(IdempotencyRecord("s1", "k", "g", "op", {}, AT)),
    ]
    memory = MemoryStorage()
    outcomes = [(attempt(memory, step), attempt(storage, step)) for step in steps]
    for k, (expected, got) in enumerate(outcomes):
        assert got == expected, k
    assert {kind for (kind, _), _ in outcomes} == {
        "ok",
        "DuplicateError",
        "NotFoundError",
        "ConcurrencyError",
        "StorageError",
    }


def test_a_refused_write_leaves_the_transaction_usable(storage: SqliteStorage) -> None:
    s = seller()
    with storage.transaction() as tx:
        tx.sellers.add(s)
        with pytest.raises(DuplicateError):
            tx.sellers.add(s)
        tx.customers.add(customer(s))
    with storage.transaction(write=False) as tx:
        assert tx.customers.get("s1", "c1").id == "c1"


# --------------------------------------------------------------------------- versions


def test_save_checks_the_stored_version(storage: SqliteStorage, path: Path) -> None:
    s = seller()
    c = customer(s)
    d = draft(of=s, to=c)
    with storage.transaction() as tx:
        tx.invoices.add(d)
    edited, _ = lc.apply(d, lc.Edit(seller=s, memo="v2"), at=AT)
    with storage.transaction() as tx:
        tx.invoices.save(edited, expected_version=1)
    with (
        pytest.raises(ConcurrencyError, match="stored version 2, expected 1"),
        storage.transaction() as tx,
    ):
        tx.invoices.save(edited, expected_version=1)
    with SqliteStorage(path).transaction(write=False) as tx:
        stored = tx.invoices.get("s1", "i1")
    assert stored.version == 2
    assert stored.memo == "v2"
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT version FROM invoices").fetchall() == [(2,)]
    raw.close()


# --------------------------------------------------------------------------- numbering


def test_numbers_start_at_one_and_a_rolled_back_transaction_consumes_nothing(
    storage: SqliteStorage,
) -> None:
    with storage.transaction() as tx:
        assert tx.sequences.peek("s1", "invoice", "2026") == 1
        assert tx.sequences.next_value("s1", "invoice", "2026") == 1
        assert tx.sequences.next_value("s1", "invoice", "2026") == 2
        assert tx.sequences.next_value("s1", "invoice", "2027") == 1
        assert tx.sequences.next_value("s1", "credit_note", "2026") == 1
        assert tx.sequences.next_value("s2", "invoice", "2026") == 1

    class RolledBackError(Exception):
        pass

    taken = []
    with pytest.raises(RolledBackError), storage.transaction() as tx:  # noqa: PT012 - the block is the point
        taken.append(tx.sequences.next_value("s1", "invoice", "2026"))
        taken.append(tx.sequences.next_value("s1", "invoice", "2028"))
        raise RolledBackError
    assert taken == [3, 1]
    with storage.transaction() as tx:
        assert tx.sequences.peek("s1", "invoice", "2026") == 3
        assert tx.sequences.peek("s1", "invoice", "2028") == 1
        assert tx.sequences.next_value("s1", "invoice", "2026") == 3


def _take_numbers(path: str, barrier: Any, count: int, out: Any) -> None:
    store = SqliteStorage(path, busy_timeout_ms=30_000)
    barrier.wait()
    values = []
    for _ in range(count):
        with store.transaction() as tx:
            values.append(tx.sequences.next_value("s1", "invoice", "2026"))
    store.close()
    out.put(values)


@pytest.mark.slow
def test_four_processes_take_400_numbers_without_gaps_or_duplicates(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Spawned workers import this module by the name pytest gave it: put its root on the path.
    root = Path(__file__).resolve().parents[_take_numbers.__module__.count(".")]
    monkeypatch.syspath_prepend(str(root))
    SqliteStorage.open(path).close()
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    out = ctx.Queue()
    workers = [
        ctx.Process(target=_take_numbers, args=(str(path), barrier, 100, out)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    taken = [out.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    values = sorted(v for chunk in taken for v in chunk)
    assert values == list(range(1, 401))
    assert all(chunk == sorted(chunk) for chunk in taken)
    with SqliteStorage(path).transaction(write=False) as tx:
        assert tx.sequences.peek("s1", "invoice", "2026") == 401


def test_threads_share_a_storage_with_one_connection_each(storage: SqliteStorage) -> None:
    taken: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(25):
            with storage.transaction() as tx:
                value = tx.sequences.next_value("s1", "invoice", "2026")
            with lock:
                taken.append(value)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == list(range(1, 101))


# --------------------------------------------------------------------------- integrity, T09


@pytest.fixture
def issued_invoice(storage: SqliteStorage) -> Invoice:
    s = seller()
    c = customer(s)
    d = draft(of=s, to=c)
    issued = issue(d, of=s, to=c)
    with storage.transaction() as tx:
        tx.invoices.add(d)
        tx.invoices.save(issued, expected_version=1, freeze=True)
    return issued


def tamper(path: Path, sql: str) -> None:
    raw = sqlite3.connect(path)
    with raw:
        assert raw.execute(sql).rowcount == 1
    raw.close()


def test_a_raw_update_of_an_issued_invoice_is_detected_on_every_read(
    storage: SqliteStorage, path: Path, issued_invoice: Invoice
) -> None:
    with storage.transaction(write=False) as tx:
        assert tx.invoices.get("s1", "i1") == issued_invoice
    tamper(path, "UPDATE invoices SET doc = replace(doc, '\"100.00\"', '\"10.00\"')")
    reads: list[Any] = [
        lambda tx: tx.invoices.get("s1", "i1"),
        lambda tx: tx.invoices.get_by_number("s1", "INV-2026-00001"),
        lambda tx: tx.invoices.find("s1", InvoiceQuery()),
    ]
    for read in reads:
        with pytest.raises(IntegrityError) as caught, storage.transaction(write=False) as tx:
            read(tx)
        message = str(caught.value)
        assert "INV-2026-00001" in message
        assert "no longer matches the hash recorded at issue" in message


def test_payments_after_issue_keep_the_hash_valid(
    storage: SqliteStorage, issued_invoice: Invoice
) -> None:
    paid, _ = lc.apply(issued_invoice, lc.RecordPayment("p1", "119.00"), at=AT)
    with storage.transaction() as tx:
        tx.invoices.save(paid, expected_version=2)
    with storage.transaction(write=False) as tx:
        assert tx.invoices.get("s1", "i1") == paid
        assert tx.invoices.get("s1", "i1").status is Status.PAID


def test_saving_changed_frozen_content_is_refused(
    storage: SqliteStorage, path: Path, issued_invoice: Invoice
) -> None:
    changed = attrs.evolve(issued_invoice, memo="edited after issue", version=3)
    with pytest.raises(IntegrityError, match="frozen"), storage.transaction() as tx:
        tx.invoices.save(changed, expected_version=2)
    with pytest.raises(IntegrityError, match="recorded at issue"), storage.transaction() as tx:
        tx.invoices.save(changed, expected_version=2, freeze=True)
    with storage.transaction(write=False) as tx:
        assert tx.invoices.get("s1", "i1") == issued_invoice


def test_the_hash_recorded_at_issue_is_the_one_of_the_bytes_stored(
    storage: SqliteStorage, path: Path, issued_invoice: Invoice
) -> None:
    digest = stored_hash(path)
    assert digest == frozen_hash(issued_invoice)
    # Freezing again with the same frozen content changes nothing; the hash stays.
    paid, _ = lc.apply(issued_invoice, lc.RecordPayment("p1", "10.00"), at=AT)
    with storage.transaction() as tx:
        tx.invoices.save(paid, expected_version=2, freeze=True)
    assert stored_hash(path) == digest


def test_unreadable_stored_documents_raise_integrity_error(
    storage: SqliteStorage, path: Path, issued_invoice: Invoice
) -> None:
    with storage.transaction() as tx:
        tx.sellers.add(seller())
    tamper(path, "UPDATE sellers SET doc = '{\"id\": 1}'")
    tamper(path, "UPDATE invoices SET doc = 'not json'")
    with pytest.raises(IntegrityError, match="seller"), storage.transaction(write=False) as tx:
        tx.sellers.get("s1")
    with (
        pytest.raises(IntegrityError, match="INV-2026-00001"),
        storage.transaction(write=False) as tx,
    ):
        tx.invoices.get("s1", "i1")


# --------------------------------------------------------------------------- schema


def test_a_schema_newer_than_the_code_is_refused(path: Path) -> None:
    SqliteStorage.open(path).close()
    newer = str(SCHEMA_VERSION + 1)
    raw = sqlite3.connect(path)
    with raw:
        raw.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (newer,))
    raw.close()
    for opener in (SqliteStorage.open, SqliteStorage):
        with pytest.raises(StorageError) as caught, opener(path).transaction(write=False) as tx:
            tx.sellers.list()
        message = str(caught.value)
        assert f"schema version {SCHEMA_VERSION + 1}" in message
        assert f"up to {SCHEMA_VERSION}" in message
        assert "upgrade invoicekit" in message
        assert str(path) in message


def test_a_foreign_sqlite_database_is_refused(path: Path) -> None:
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE things (x)")
    raw.close()
    with pytest.raises(StorageError, match="not an invoicekit one"):
        SqliteStorage.open(path)


def test_the_constructor_needs_an_existing_schema(path: Path) -> None:
    with (
        pytest.raises(StorageError, match=r"SqliteStorage\.open"),
        SqliteStorage(path).transaction() as tx,
    ):
        tx.sellers.list()


def test_open_is_idempotent_and_records_the_version(path: Path) -> None:
    for _ in range(3):
        SqliteStorage.open(path).close()
    raw = sqlite3.connect(path)
    meta = raw.execute("SELECT key, value FROM meta").fetchall()
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    raw.close()
    assert meta == [("schema_version", str(SCHEMA_VERSION))]
    assert {"sellers", "customers", "invoices", "credit_notes", "sequences"} <= tables
    assert {"outbox", "idempotency", "meta"} <= tables


# --------------------------------------------------------------------------- connections


@pytest.mark.parametrize(("mode", "level"), [("FULL", 2), ("NORMAL", 1)])
def test_wal_busy_timeout_and_synchronous_are_set(path: Path, mode: Any, level: int) -> None:
    store = SqliteStorage.open(path, busy_timeout_ms=1234, synchronous=mode)
    with store.transaction(write=False):
        conn = store._session()[0].conn
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA busy_timeout").fetchone() == (1234,)
        assert conn.execute("PRAGMA synchronous").fetchone() == (level,)
        assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    store.close()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)  # stored in the file
    raw.close()


def test_two_instances_on_one_file_see_each_others_commits(path: Path) -> None:
    a = SqliteStorage.open(path)
    b = SqliteStorage.open(path)
    with a.transaction() as tx:
        tx.sellers.add(seller(id="s1"))
    with b.transaction() as tx:
        assert [s.id for s in tx.sellers.list()] == ["s1"]
        tx.sellers.add(seller(id="s2"))
    with a.transaction(write=False) as tx:
        assert [s.id for s in tx.sellers.list()] == ["s1", "s2"]
    a.close()
    b.close()


def test_transactions_do_not_nest_and_end_with_their_block(storage: SqliteStorage) -> None:
    with storage.transaction() as tx:
        with pytest.raises(StorageError, match="do not nest"), storage.transaction():
            pass
        tx.sellers.add(seller())
    with pytest.raises(StorageError, match="transaction has ended"):
        tx.sellers.list()
    with storage.transaction(write=False) as tx:
        assert len(tx.sellers.list()) == 1


def test_a_read_transaction_refuses_writes(storage: SqliteStorage) -> None:
    with pytest.raises(StorageError, match="write=True"), storage.transaction(write=False) as tx:
        tx.sequences.next_value("s1", "invoice", "2026")
    with storage.transaction() as tx:
        assert tx.sequences.next_value("s1", "invoice", "2026") == 1


def test_a_closed_storage_refuses_transactions(path: Path) -> None:
    store = SqliteStorage.open(path)
    store.close()
    with pytest.raises(StorageError, match="closed"), store.transaction():
        pass


def test_outbox_dedupes_orders_and_marks(storage: SqliteStorage) -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    records = [OutboxRecord(f"k{i}", f"s{i % 2}", "kind", {"i": i}, at, f"i{i}") for i in range(5)]
    memory = MemoryStorage()
    seen: list[list[Any]] = []
    for store in (memory, storage):
        with store.transaction() as tx:
            tx.outbox.append(records[:3])
            tx.outbox.append([records[1], *records[3:], records[0]])
            tx.outbox.mark_delivered(["k1", "unknown"], at=at)
            tx.outbox.mark_failed("k2", error="boom")
            tx.outbox.mark_failed("k2", error="boom again")
            tx.outbox.mark_failed("unknown", error="x")
        with store.transaction(write=False) as tx:
            seen.append(
                [
                    [(r, r.payload) for r in tx.outbox.pending()],
                    [(r, r.payload) for r in tx.outbox.pending(limit=2, seller_id="s0")],
                    [(r, r.payload) for r in tx.outbox.list(seller_id="s1")],
                    [(r, r.payload) for r in tx.outbox.list(seller_id="s0", invoice_id="i2")],
                    tx.outbox.list(seller_id="s0", limit=-1),
                ]
            )
    assert seen[0] == seen[1]
    assert [r.position for r, _ in seen[1][0]] == [1, 3, 4, 5]
    assert seen[1][3][0][0].attempts == 2
    assert seen[1][3][0][0].last_error == "boom again"


def test_an_outbox_payload_that_is_not_json_is_refused(storage: SqliteStorage) -> None:
    record = OutboxRecord("k", "s1", "kind", {"when": AT}, AT)
    with pytest.raises(StorageError, match="not plain JSON"), storage.transaction() as tx:
        tx.outbox.append([record])


def test_unknown_options_are_refused(path: Path) -> None:
    with pytest.raises(InvoiceKitError, match="synchronous"):
        SqliteStorage(path, synchronous="OFF")  # type: ignore[arg-type]
    with pytest.raises(InvoiceKitError, match="busy_timeout_ms"):
        SqliteStorage(path, busy_timeout_ms=-1)


def test_not_found_is_the_same_for_another_sellers_objects(storage: SqliteStorage) -> None:
    s2 = seller(id="s2")
    with storage.transaction() as tx:
        tx.customers.add(customer(s2, id="c1"))
    with storage.transaction(write=False) as tx:
        with pytest.raises(NotFoundError) as theirs:
            tx.customers.get("s1", "c1")
        with pytest.raises(NotFoundError) as nobody:
            tx.customers.get("s1", "c-none")
    assert str(theirs.value).replace("c1", "X") == str(nobody.value).replace("c-none", "X")


def test_a_finished_thread_leaves_no_open_connection(storage: SqliteStorage) -> None:
    def work() -> None:
        with storage.transaction(write=False) as tx:
            tx.sellers.list()

    for _ in range(5):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    gc.collect()
    assert len(storage._sessions) == 1  # the one open() made on this thread


def test_saves_of_rows_read_in_the_transaction_keep_every_check(
    storage: SqliteStorage, path: Path, issued_invoice: Invoice
) -> None:
    """A save of a row read (or saved) in the same write transaction skips the second read.

    The version and the hash recorded at issue still refuse what they refused before.
    """
    statements: list[str] = []
    with storage.transaction() as tx:
        loaded = tx.invoices.get("s1", "i1", for_update=True)
        storage._session()[0].conn.set_trace_callback(statements.append)
        paid, _ = lc.apply(loaded, lc.RecordPayment("p1", "10.00"), at=AT)
        tx.invoices.save(paid, expected_version=2)
        with pytest.raises(ConcurrencyError, match="changed by someone else"):
            tx.invoices.save(paid, expected_version=2)  # the one just saved is version 3
        changed = attrs.evolve(paid, memo="edited after issue", version=4)
        with pytest.raises(IntegrityError, match="frozen"):
            tx.invoices.save(changed, expected_version=3)
        more, _ = lc.apply(paid, lc.RecordPayment("p2", "5.00"), at=AT)
        tx.invoices.save(more, expected_version=3, freeze=True)
        storage._session()[0].conn.set_trace_callback(None)
    # Only the save with a version the transaction did not see reads the row (for its message).
    reads = [s for s in statements if s.startswith("SELECT id, version, content_hash")]
    assert len(reads) == 1
    assert stored_hash(path) == frozen_hash(issued_invoice)
    with storage.transaction(write=False) as tx:
        assert tx.invoices.get("s1", "i1") == more

"""T33: the adapter under test and a fresh ``MemoryStorage`` agree on every random run of operations.

A hypothesis state machine applies the same operation to both stores: add a
seller, customer or draft, issue with the next number, pay, credit, void, save
with a stale version, delete, append to and mark the outbox, store idempotency
keys, and roll a transaction back on purpose. After each step the outcome (ok
with its value, or the documented error class) and everything observable
(``storage_builders.observe``, read from a fresh instance) must be equal.
Positions in the outbox are storage-assigned and compared only by order.
"""

# ruff: noqa: S101
# (a contract suite checks with assert, as tests do; pytest rewrites these modules)

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from functools import partial
from typing import Any, Final

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from invoicekit.adapters.storage.memory import MemoryStorage
from invoicekit.domain import lifecycle
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.parties import Seller
from invoicekit.domain.status import Status
from invoicekit.errors import (
    ConcurrencyError,
    DuplicateError,
    InvalidTransitionError,
    InvoiceKitError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from invoicekit.ports import InvoiceQuery, Storage, Transaction
from invoicekit.testing.contracts import storage_builders as b
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import OPEN, Reopen, StorageFactory, fresh

__all__ = ["DifferentialContract", "contract_settings", "differential_machine"]

SELLERS: Final = ("s-a", "s-b")
CUSTOMERS: Final = ("c-1", "c-2", "c-3")
#: Instants around the year end: 31 Dec 23:30 UTC is already 2026 in Berlin (the counter's period).
INSTANTS: Final = (
    datetime(2025, 12, 30, 12, tzinfo=UTC),
    datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
    datetime(2026, 1, 20, 9, tzinfo=UTC),
    datetime(2026, 3, 1, 9, tzinfo=UTC),
)
_KEYS: Final = ("key-0", "key-1", "key-2", "key-rolled-back")
#: Documented error classes, most specific first: an outcome names the first that matches.
_ERRORS: Final = (
    NotFoundError,
    ConcurrencyError,
    DuplicateError,
    InvalidTransitionError,
    ValidationError,
    StorageError,
    InvoiceKitError,
)
_CENT: Final = Decimal("0.01")

Op = Callable[[Storage], object]


def contract_settings() -> settings:
    """Hypothesis settings of the contract: ``INVOICEKIT_CONTRACT_EXAMPLES`` examples (100 in CI)."""
    return settings(
        max_examples=int(os.environ.get("INVOICEKIT_CONTRACT_EXAMPLES", "100")),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        stateful_step_count=30,
    )


class _Rollback(Exception):  # noqa: N818 - a signal, not an error
    """Raised on purpose to roll a transaction back."""


def _outcome(storage: Storage, op: Op) -> tuple[str, object]:
    """("ok", value) or ("error", documented class name); other exceptions propagate (a bug)."""
    try:
        return "ok", op(storage)
    except InvoiceKitError as exc:
        return "error", next(cls.__name__ for cls in _ERRORS if isinstance(exc, cls))


def _invoices(tx: Transaction) -> list[tuple[Seller, Invoice]]:
    return [
        (s, inv)
        for s in tx.sellers.list()
        for inv in tx.invoices.find(s.id, InvoiceQuery(limit=1000))
    ]


def _pick(items: list[Any], n: int) -> Any:
    return items[n % len(items)] if items else None


# --------------------------------------------------------------------------- operations


def _add_seller(storage: Storage, seller_id: str) -> object:
    with storage.transaction() as tx:
        tx.sellers.add(b.seller(seller_id))
    return None


def _add_customer(storage: Storage, pick: int, customer_id: str, archived: bool) -> object:
    with storage.transaction() as tx:
        seller = _pick(tx.sellers.list(), pick)
        if seller is None:
            return "skip"
        tx.customers.add(b.customer(seller.id, customer_id, archived=archived))
    return None


def _toggle_archived(storage: Storage, pick: int) -> object:
    with storage.transaction() as tx:
        every = [
            c for s in tx.sellers.list() for c in tx.customers.list(s.id, include_archived=True)
        ]
        customer = _pick(every, pick)
        if customer is None:
            return "skip"
        tx.customers.update(
            b.customer(customer.seller_id, customer.id, archived=not customer.archived)
        )
    return None


def _add_draft(storage: Storage, pick: int, number: int, cents: int, terms: int) -> object:
    with storage.transaction() as tx:
        pairs = [
            (s, c)
            for s in tx.sellers.list()
            for c in tx.customers.list(s.id, include_archived=True)
        ]
        pair = _pick(pairs, pick)
        if pair is None:
            return "skip"
        seller, customer = pair
        amount = Decimal(cents).scaleb(-2)
        tx.invoices.add(b.draft(seller, customer, f"i-{number}", amount=amount, terms_days=terms))
    return None


def _issue(storage: Storage, pick: int, at: datetime) -> object:
    with storage.transaction() as tx:
        found = _pick([p for p in _invoices(tx) if p[1].status is Status.DRAFT], pick)
        if found is None:
            return "skip"
        seller, draft = found
        customer = tx.customers.get(seller.id, draft.customer_id)
        issued = b.issue_in(tx, draft, seller, customer, at=at)
        record = b.outbox_record(
            seller.id, f"issued-{seller.id}-{issued.id}", invoice_id=issued.id, at=at
        )
        tx.outbox.append([record])
        return issued.number


def _pay(storage: Storage, pick: int, percent: int, payment: int, at: datetime) -> object:
    with storage.transaction() as tx:
        found = _pick([p for p in _invoices(tx) if p[1].status in OPEN], pick)
        if found is None:
            return "skip"
        _, invoice = found
        share = (invoice.amount_due * percent / 100).quantize(_CENT, rounding=ROUND_DOWN)
        paid = b.pay(invoice, max(share, _CENT), f"p-{payment}", at=at)
        tx.invoices.save(paid, expected_version=invoice.version)
        return paid.status


def _credit(storage: Storage, pick: int, note: int, cents: int, at: datetime) -> object:
    with storage.transaction() as tx:
        creditable = [p for p in _invoices(tx) if p[1].status not in {Status.DRAFT, Status.VOID}]
        found = _pick(creditable, pick)
        if found is None:
            return "skip"
        seller, invoice = found
        series = seller.series_named("credit_note")
        day = lifecycle.local_date(at, seller.timezone)
        seq = tx.sequences.next_value(seller.id, series.name, series.format.period_key(day))
        amount = str(Decimal(cents).scaleb(-2))
        credited, credit_note = b.credit(
            invoice, f"cn-{note}", series.number(seq, day), amount, at=at
        )
        tx.credit_notes.add(credit_note)
        tx.invoices.save(credited, expected_version=invoice.version)
        return credit_note.number


def _void(storage: Storage, pick: int) -> object:
    with storage.transaction() as tx:
        found = _pick([p for p in _invoices(tx) if p[1].status is not Status.DRAFT], pick)
        if found is None:
            return "skip"
        _, invoice = found
        void, _ = lifecycle.apply(invoice, lifecycle.Void("mistake"), at=b.AT)
        tx.invoices.save(void, expected_version=invoice.version)
    return None


def _stale_save(storage: Storage, pick: int, delta: int) -> object:
    with storage.transaction() as tx:
        found = _pick(_invoices(tx), pick)
        if found is None:
            return "skip"
        _, invoice = found
        tx.invoices.save(invoice, expected_version=invoice.version + delta)
    return None


def _delete(storage: Storage, pick: int) -> object:
    with storage.transaction() as tx:
        found = _pick(_invoices(tx), pick)
        if found is None:
            return "skip"
        seller, invoice = found
        tx.invoices.delete(seller.id, invoice.id, expected_version=invoice.version)
    return None


def _append(storage: Storage, pick: int, key: int, with_invoice: bool) -> object:
    with storage.transaction() as tx:
        found = _pick(_invoices(tx), pick) if with_invoice else None
        seller = found[0] if found else _pick(tx.sellers.list(), pick)
        if seller is None:
            return "skip"
        invoice_id = found[1].id if found else None
        record = b.outbox_record(seller.id, f"k-{key}", invoice_id=invoice_id, payload={"n": key})
        tx.outbox.append([record])
    return None


def _mark(storage: Storage, pick: int, delivered: bool, at: datetime) -> object:
    with storage.transaction() as tx:
        records = [r for s in tx.sellers.list() for r in tx.outbox.list(seller_id=s.id)]
        record = _pick(records, pick)
        if record is None:
            return "skip"
        if delivered:
            tx.outbox.mark_delivered([record.key, "k-never-stored"], at=at)
        else:
            tx.outbox.mark_failed(record.key, error=f"451 at {at.isoformat()}")
    return None


def _put_key(storage: Storage, pick: int, key: int, fingerprint: int) -> object:
    with storage.transaction() as tx:
        seller = _pick(tx.sellers.list(), pick)
        if seller is None:
            return "skip"
        record = b.idempotency_record(seller.id, f"key-{key}", fingerprint=f"fp-{fingerprint}")
        tx.idempotency.put(record)
    return None


def _roll_back(storage: Storage, pick: int) -> object:
    try:
        with storage.transaction() as tx:
            seller = _pick(tx.sellers.list(), pick)
            if seller is None:
                return "skip"
            tx.sequences.next_value(seller.id, "invoice", "2026")
            tx.customers.add(b.customer(seller.id, "c-rolled-back"))
            tx.outbox.append([b.outbox_record(seller.id, "k-rolled-back")])
            tx.idempotency.put(b.idempotency_record(seller.id, "key-rolled-back"))
            for _, invoice in _invoices(tx):
                if invoice.status in OPEN:
                    paid = b.pay(invoice, _CENT, "p-rolled-back")
                    tx.invoices.save(paid, expected_version=invoice.version)
            raise _Rollback
    except _Rollback:
        return "rolled back"


# --------------------------------------------------------------------------- the machine


def _observe(tx: Transaction) -> dict[str, Any]:
    return b.observe(tx, idempotency_keys=_KEYS)


def differential_machine(
    make_storage: StorageFactory, reopen: Reopen
) -> type[RuleBasedStateMachine]:
    """A state machine running each operation on ``make_storage()`` and on a ``MemoryStorage``."""
    picks = st.integers(0, 40)
    instants = st.sampled_from(INSTANTS)

    class StorageDifferential(RuleBasedStateMachine):
        """Both stores, fresh for each example, compared after every step."""

        def __init__(self) -> None:
            super().__init__()
            self.reference: Storage = MemoryStorage()
            self.subject: Storage = make_storage()

        @initialize(
            customers=st.lists(st.sampled_from(CUSTOMERS), min_size=1, max_size=4),
            drafts=st.lists(st.tuples(picks, st.integers(1, 100_000)), max_size=4),
            issued=st.integers(0, 4),
        )
        def start(self, customers: list[str], drafts: list[tuple[int, int]], issued: int) -> None:
            """Both sellers with customers and drafts, some issued (clashing ids are Duplicates)."""
            for seller_id in SELLERS:
                self._both("add_seller", partial(_add_seller, seller_id=seller_id))
            for n, customer_id in enumerate(customers):
                op = partial(_add_customer, pick=n, customer_id=customer_id, archived=False)
                self._both("add_customer", op)
            for n, (pick, cents) in enumerate(drafts):
                op = partial(_add_draft, pick=pick, number=n, cents=cents, terms=14)
                self._both("add_draft", op)
            for n in range(issued):
                self._both("issue", partial(_issue, pick=n, at=INSTANTS[n % len(INSTANTS)]))

        def _both(self, name: str, op: Op) -> None:
            expected = _outcome(self.reference, op)
            assert _outcome(self.subject, op) == expected, name

        @rule(seller_id=st.sampled_from(SELLERS))
        def add_seller(self, seller_id: str) -> None:
            self._both("add_seller", lambda s: _add_seller(s, seller_id))

        @rule(pick=picks, customer_id=st.sampled_from(CUSTOMERS), archived=st.booleans())
        def add_customer(self, pick: int, customer_id: str, archived: bool) -> None:
            self._both("add_customer", lambda s: _add_customer(s, pick, customer_id, archived))

        @rule(pick=picks)
        def toggle_archived(self, pick: int) -> None:
            self._both("toggle_archived", lambda s: _toggle_archived(s, pick))

        @rule(
            pick=picks,
            number=st.integers(0, 5),
            cents=st.integers(1, 100_000),
            terms=st.sampled_from((7, 14, 30)),
        )
        def add_draft(self, pick: int, number: int, cents: int, terms: int) -> None:
            self._both("add_draft", lambda s: _add_draft(s, pick, number, cents, terms))

        @rule(pick=picks, at=instants)
        def issue(self, pick: int, at: datetime) -> None:
            self._both("issue", lambda s: _issue(s, pick, at))

        @rule(pick=picks, percent=st.integers(1, 150), payment=st.integers(0, 3), at=instants)
        def pay(self, pick: int, percent: int, payment: int, at: datetime) -> None:
            self._both("pay", lambda s: _pay(s, pick, percent, payment, at))

        @rule(pick=picks, note=st.integers(0, 3), cents=st.integers(1, 20_000), at=instants)
        def credit(self, pick: int, note: int, cents: int, at: datetime) -> None:
            self._both("credit", lambda s: _credit(s, pick, note, cents, at))

        @rule(pick=picks)
        def void(self, pick: int) -> None:
            self._both("void", lambda s: _void(s, pick))

        @rule(pick=picks, delta=st.sampled_from((-1, 1, 3)))
        def stale_save(self, pick: int, delta: int) -> None:
            self._both("stale_save", lambda s: _stale_save(s, pick, delta))

        @rule(pick=picks)
        def delete(self, pick: int) -> None:
            self._both("delete", lambda s: _delete(s, pick))

        @rule(pick=picks, key=st.integers(0, 4), with_invoice=st.booleans())
        def append(self, pick: int, key: int, with_invoice: bool) -> None:
            self._both("append", lambda s: _append(s, pick, key, with_invoice))

        @rule(pick=picks, delivered=st.booleans(), at=instants)
        def mark(self, pick: int, delivered: bool, at: datetime) -> None:
            self._both("mark", lambda s: _mark(s, pick, delivered, at))

        @rule(pick=picks, key=st.integers(0, 2), fingerprint=st.integers(0, 1))
        def put_key(self, pick: int, key: int, fingerprint: int) -> None:
            self._both("put_key", lambda s: _put_key(s, pick, key, fingerprint))

        @rule(pick=picks)
        def roll_back(self, pick: int) -> None:
            self._both("roll_back", lambda s: _roll_back(s, pick))

        @invariant()
        def same_observable_state(self) -> None:
            with self.reference.transaction(write=False) as tx:
                expected = _observe(tx)
            with fresh(reopen, self.subject) as tx:
                got = _observe(tx)
            assert got == expected

        def teardown(self) -> None:
            self.subject.close()
            self.reference.close()

    return StorageDifferential


class DifferentialContract(StorageFixtures):
    """T33: random operations give the same outcomes and state as on the reference adapter."""

    def test_behaves_like_the_reference_adapter(
        self, make_storage: StorageFactory, reopen: Reopen
    ) -> None:
        """Every step's outcome and the whole observable state equal a fresh MemoryStorage's.

        ``INVOICEKIT_CONTRACT_EXAMPLES`` examples of up to 30 steps, each on new stores
        from ``make_storage``; the state is read back through ``reopen``.
        """
        machine = differential_machine(make_storage, reopen)
        run_state_machine_as_test(machine, settings=contract_settings())

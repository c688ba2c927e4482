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
from datetime import datetime
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
from invoicekit.errors import (
    ConcurrencyError,
    DuplicateError,
    InvalidTransitionError,
    InvoiceKitError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from invoicekit.ports import Storage, Transaction
from invoicekit.testing.contracts import storage_builders as b
from invoicekit.testing.contracts import storage_operations as ops
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import Reopen, StorageFactory, fresh

__all__ = ["DifferentialContract", "contract_settings", "differential_machine"]

_KEYS: Final = ("key-0", "key-1", "key-2", "key-rolled-back")
#: The state is read through ``reopen`` at the first check and every this many after it
#: (a fresh instance per step would make file stores spend most of the run opening files).
_FRESH_EVERY: Final = 3
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
Op = Callable[[Storage], object]


def contract_settings() -> settings:
    """Hypothesis settings of the contract: ``INVOICEKIT_CONTRACT_EXAMPLES`` examples (100 in CI)."""
    return settings(
        max_examples=int(os.environ.get("INVOICEKIT_CONTRACT_EXAMPLES", "100")),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        stateful_step_count=30,
    )


def _outcome(storage: Storage, op: Op) -> tuple[str, object]:
    """("ok", value) or ("error", documented class name); other exceptions propagate (a bug)."""
    try:
        return "ok", op(storage)
    except InvoiceKitError as exc:
        return "error", next(cls.__name__ for cls in _ERRORS if isinstance(exc, cls))


# --------------------------------------------------------------------------- the machine


def _observe(tx: Transaction) -> dict[str, Any]:
    return b.observe(tx, idempotency_keys=_KEYS)


def differential_machine(
    make_storage: StorageFactory, reopen: Reopen
) -> type[RuleBasedStateMachine]:
    """A state machine running each operation on ``make_storage()`` and on a ``MemoryStorage``."""
    picks = st.integers(0, 40)
    instants = st.sampled_from(ops.INSTANTS)

    class StorageDifferential(RuleBasedStateMachine):
        """Both stores, fresh for each example, compared after every step."""

        def __init__(self) -> None:
            super().__init__()
            self.reference: Storage = MemoryStorage()
            self.subject: Storage = make_storage()
            self.checks = 0

        @initialize(
            customers=st.lists(st.sampled_from(ops.CUSTOMERS), min_size=1, max_size=4),
            drafts=st.lists(st.tuples(picks, st.integers(1, 100_000)), max_size=4),
            issued=st.integers(0, 4),
        )
        def start(self, customers: list[str], drafts: list[tuple[int, int]], issued: int) -> None:
            """Both sellers with customers and drafts, some issued (clashing ids are Duplicates)."""
            for seller_id in ops.SELLERS:
                self._both("add_seller", partial(ops.add_seller, seller_id=seller_id))
            for n, customer_id in enumerate(customers):
                op = partial(ops.add_customer, pick=n, customer_id=customer_id, archived=False)
                self._both("add_customer", op)
            for n, (pick, cents) in enumerate(drafts):
                op = partial(ops.add_draft, pick=pick, number=n, cents=cents, terms=14)
                self._both("add_draft", op)
            for n in range(issued):
                self._both(
                    "issue", partial(ops.issue, pick=n, at=ops.INSTANTS[n % len(ops.INSTANTS)])
                )

        def _both(self, name: str, op: Op) -> None:
            expected = _outcome(self.reference, op)
            assert _outcome(self.subject, op) == expected, name

        @rule(seller_id=st.sampled_from(ops.SELLERS))
        def add_seller(self, seller_id: str) -> None:
            self._both("add_seller", lambda s: ops.add_seller(s, seller_id))

        @rule(pick=picks, customer_id=st.sampled_from(ops.CUSTOMERS), archived=st.booleans())
        def add_customer(self, pick: int, customer_id: str, archived: bool) -> None:
            self._both("add_customer", lambda s: ops.add_customer(s, pick, customer_id, archived))

        @rule(pick=picks)
        def toggle_archived(self, pick: int) -> None:
            self._both("toggle_archived", lambda s: ops.toggle_archived(s, pick))

        @rule(
            pick=picks,
            number=st.integers(0, 5),
            cents=st.integers(1, 100_000),
            terms=st.sampled_from((7, 14, 30)),
        )
        def add_draft(self, pick: int, number: int, cents: int, terms: int) -> None:
            self._both("add_draft", lambda s: ops.add_draft(s, pick, number, cents, terms))

        @rule(pick=picks, at=instants)
        def issue(self, pick: int, at: datetime) -> None:
            self._both("issue", lambda s: ops.issue(s, pick, at))

        @rule(pick=picks, percent=st.integers(1, 150), payment=st.integers(0, 3), at=instants)
        def pay(self, pick: int, percent: int, payment: int, at: datetime) -> None:
            self._both("pay", lambda s: ops.pay(s, pick, percent, payment, at))

        @rule(pick=picks, note=st.integers(0, 3), cents=st.integers(1, 20_000), at=instants)
        def credit(self, pick: int, note: int, cents: int, at: datetime) -> None:
            self._both("credit", lambda s: ops.credit(s, pick, note, cents, at))

        @rule(pick=picks)
        def void(self, pick: int) -> None:
            self._both("void", lambda s: ops.void(s, pick))

        @rule(pick=picks, delta=st.sampled_from((-1, 1, 3)))
        def stale_save(self, pick: int, delta: int) -> None:
            self._both("stale_save", lambda s: ops.stale_save(s, pick, delta))

        @rule(pick=picks)
        def delete(self, pick: int) -> None:
            self._both("delete", lambda s: ops.delete(s, pick))

        @rule(pick=picks, key=st.integers(0, 4), with_invoice=st.booleans())
        def append(self, pick: int, key: int, with_invoice: bool) -> None:
            self._both("append", lambda s: ops.append(s, pick, key, with_invoice))

        @rule(pick=picks, delivered=st.booleans(), at=instants)
        def mark(self, pick: int, delivered: bool, at: datetime) -> None:
            self._both("mark", lambda s: ops.mark(s, pick, delivered, at))

        @rule(pick=picks, key=st.integers(0, 2), fingerprint=st.integers(0, 1))
        def put_key(self, pick: int, key: int, fingerprint: int) -> None:
            self._both("put_key", lambda s: ops.put_key(s, pick, key, fingerprint))

        @rule(pick=picks)
        def roll_back(self, pick: int) -> None:
            self._both("roll_back", lambda s: ops.roll_back(s, pick))

        @invariant()
        def same_observable_state(self) -> None:
            """Equal state, read through a fresh instance at every ``_FRESH_EVERY``-th check."""
            with self.reference.transaction(write=False) as tx:
                expected = _observe(tx)
            self.checks += 1
            if self.checks % _FRESH_EVERY == 1:
                with fresh(reopen, self.subject) as tx:
                    got = _observe(tx)
            else:
                with self.subject.transaction(write=False) as tx:
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

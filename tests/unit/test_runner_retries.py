"""Which failures ``Runner.write`` retries (issue 11, item 6).

Only two are worth another attempt: a retryable ConcurrencyError, and the race of two
calls with one idempotency key (the loser's insert of the key is a DuplicateError;
retried, it finds the winner's result and replays it). Any other DuplicateError, such
as an invoice id already taken, is the caller's mistake and is raised at once.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import pytest

import factories as f
from invoicekit.adapters.storage.memory import MemoryStorage
from invoicekit.domain.parties import Customer
from invoicekit.errors import DuplicateError
from invoicekit.faults import FaultPoints
from invoicekit.ports import IdempotencyRecord, Transaction
from invoicekit.serialization import make_converter
from invoicekit.services import calls
from invoicekit.services.unit import Runner
from invoicekit.testing import FixedClock

CALL = calls.UpdateCustomer(customer_id="c1", changes={"name": "Globex AG"})


@pytest.fixture
def storage() -> MemoryStorage:
    store = MemoryStorage()
    with store.transaction() as tx:
        tx.sellers.add(f.seller())
        tx.customers.add(f.customer())
    return store


def runner(storage: MemoryStorage) -> Runner:
    ids = itertools.count()
    return Runner(
        storage, FixedClock(f.AT), make_converter(), FaultPoints(), lambda p: f"{p}_{next(ids)}"
    )


class Counting:
    """A use case body that counts its runs and adds one customer per run."""

    def __init__(self, error: Exception | None = None) -> None:
        self.runs = 0
        self.error = error

    def __call__(self, tx: Transaction, _: datetime) -> Customer:
        self.runs += 1
        customer = f.customer(id=f"c{self.runs + 1}")
        tx.customers.add(customer)
        if self.error is not None:
            raise self.error
        return customer


@pytest.mark.parametrize("key", [None, "k"])
def test_another_duplicate_is_raised_at_once_with_or_without_a_key(
    storage: MemoryStorage, key: str | None
) -> None:
    body = Counting(DuplicateError("invoice 'i1' already exists"))
    with pytest.raises(DuplicateError, match="'i1' already exists"):
        runner(storage).write("s1", CALL, body, Customer, key=key)
    assert body.runs == 1
    with storage.transaction(write=False) as tx:
        assert tx.idempotency.get("s1", "k") is None
        assert [c.id for c in tx.customers.list("s1")] == ["c1"]


def test_the_idempotency_key_race_is_retried_and_replays_the_winner(
    storage: MemoryStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = runner(storage)
    winner = run.write("s1", CALL, Counting(), Customer, key="k")
    # The loser looked the key up before the winner committed: it misses the record once,
    # runs its body, and its insert of the key collides with the winner's.
    repository = storage._tx.idempotency
    real_get = repository.get
    misses = iter([True])

    def racing_get(seller_id: str, key: str) -> IdempotencyRecord | None:
        return None if next(misses, False) else real_get(seller_id, key)

    monkeypatch.setattr(repository, "get", racing_get)
    loser = Counting()
    replayed: Any = run.write("s1", CALL, loser, Customer, key="k")

    assert loser.runs == 1  # its first attempt rolled back; the retry replayed
    assert replayed == winner
    with storage.transaction(write=False) as tx:
        assert [c.id for c in tx.customers.list("s1")] == ["c1", "c2"]

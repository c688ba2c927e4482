"""SQLite's ``subscriptions.save_many`` (one ``executemany``) refuses a batch as one save would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.errors import ConcurrencyError, NotFoundError
from invoicekit.serialization import make_converter
from invoicekit.testing.contracts.storage_subscriptions import subscription_record

CONVERTER = make_converter()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStorage]:
    storage = SqliteStorage.open(tmp_path / "db.sqlite", converter=CONVERTER)
    with storage.transaction() as tx:
        for sub_id in ("sub-1", "sub-2", "sub-3"):
            tx.subscriptions.add(subscription_record(sub_id))
    yield storage
    storage.close()


def _versions(store: SqliteStorage) -> list[tuple[int, int | None]]:
    with store.transaction() as tx:
        found = tx.subscriptions.claim_many("s-1", ["sub-1", "sub-2", "sub-3"])
    return [(r.version, r.last_index) for r in found]


def test_a_batch_saves_each_at_the_next_version(store: SqliteStorage) -> None:
    with store.transaction() as tx:
        found = tx.subscriptions.claim_many("s-1", ["sub-1", "sub-2", "sub-3"])
        tx.subscriptions.save_many([attrs.evolve(r, last_index=k) for k, r in enumerate(found)])
    assert _versions(store) == [(2, 0), (2, 1), (2, 2)]


def test_a_batch_with_a_record_not_stored_saves_none(store: SqliteStorage) -> None:
    with store.transaction() as tx:
        found = tx.subscriptions.claim_many("s-1", ["sub-1", "sub-2"])
    gone = subscription_record("sub-9")
    with pytest.raises(NotFoundError), store.transaction() as tx:
        tx.subscriptions.save_many([attrs.evolve(found[0], last_index=5), gone, found[1]])
    assert _versions(store) == [(1, None), (1, None), (1, None)]


def test_a_batch_with_a_record_twice_or_stale_saves_none(store: SqliteStorage) -> None:
    with store.transaction() as tx:
        first = tx.subscriptions.claim_many("s-1", ["sub-1", "sub-2"])
    with pytest.raises(ConcurrencyError), store.transaction() as tx:
        tx.subscriptions.save_many([first[0], first[1], attrs.evolve(first[0], last_index=4)])
    with store.transaction() as tx:
        tx.subscriptions.save_many([attrs.evolve(first[1], last_index=1)])
    with pytest.raises(ConcurrencyError) as caught, store.transaction() as tx:
        tx.subscriptions.save_many([attrs.evolve(r, last_index=7) for r in first])
    assert caught.value.retryable
    assert _versions(store) == [(1, None), (2, 1), (1, None)]

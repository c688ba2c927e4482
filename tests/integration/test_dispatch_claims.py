"""Several dispatcher processes claim from one queue: every message once, none lost (issue 6).

Four ``spawn`` processes, each with its own storage, claim in a loop from 1000
queued messages until none is left, on one SQLite file (the write lock) and on
PostgreSQL (``FOR UPDATE SKIP LOCKED``). This is the storage half of "several
dispatchers at once never send a message twice".
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import pytest

from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.errors import ConcurrencyError
from invoicekit.ports import MessageRecord, MessageStatus, Storage
from pg import admin_connect, pg_url, schema_url  # noqa: F401

AT: Final = datetime(2026, 3, 1, 9, tzinfo=UTC)
MESSAGES: Final = 1000
WORKERS: Final = 4
_WAIT: Final = 300


def _message(n: int) -> MessageRecord:
    return MessageRecord(
        key=f"i-{n}:invoice:1:email",
        seller_id=f"s-{n % 3}",
        customer_id=f"c-{n % 7}",
        kind="invoice",
        step="1",
        channel="email",
        recipient=f"ap-{n}@example.org",
        created_at=AT,
        next_attempt_at=AT,
        invoice_id=f"i-{n}",
    )


def _open(kind: str, target: str) -> Storage:
    if kind == "sqlite":
        return SqliteStorage(target, busy_timeout_ms=30_000)
    return SqlAlchemyStorage(target, migrate=False)


def _claim_all(kind: str, target: str, owner: str, barrier: Any, out: Any) -> None:
    """Worker: claim 10 at a time until nothing is due; put (owner, keys, retries) on ``out``."""
    storage = _open(kind, target)
    keys: list[str] = []
    retries = 0
    try:
        barrier.wait()
        while True:
            try:
                with storage.transaction() as tx:
                    claimed = tx.messages.claim(
                        now=AT, owner=owner, lease_until=AT + timedelta(hours=1), limit=10
                    )
            except ConcurrencyError:
                retries += 1
                continue
            if not claimed:
                break
            keys.extend(m.key for m in claimed)
    finally:
        storage.close()
    out.put((owner, keys, retries))


def _run(kind: str, target: str, storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    # Spawned workers import this module by the name pytest gave it: put its root on the path.
    root = Path(__file__).resolve().parents[_claim_all.__module__.count(".")]
    monkeypatch.syspath_prepend(str(root))
    messages = [_message(n) for n in range(MESSAGES)]
    with storage.transaction() as tx:
        assert len(tx.messages.enqueue(messages)) == MESSAGES
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    out = ctx.Queue()
    workers = [
        ctx.Process(target=_claim_all, args=(kind, target, f"d-{n}", barrier, out))
        for n in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=_WAIT) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    owner_of: dict[str, str] = {}
    for owner, keys, _retries in results:
        for key in keys:
            assert key not in owner_of, f"{key} claimed by {owner_of[key]} and {owner}"
            owner_of[key] = owner
    assert sorted(owner_of) == sorted(m.key for m in messages), "a message was never claimed"
    with storage.transaction(write=False) as tx:
        stored = [m for s in ("s-0", "s-1", "s-2") for m in tx.messages.list(s, limit=MESSAGES)]
    assert len(stored) == MESSAGES
    for m in stored:
        assert (m.status, m.attempts, m.lease_owner) == (MessageStatus.SENDING, 1, owner_of[m.key])


@pytest.mark.slow
def test_four_processes_claim_1000_messages_once_from_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "queue.db"
    storage = SqliteStorage.open(path)
    try:
        _run("sqlite", str(path), storage, monkeypatch)
    finally:
        storage.close()


@pytest.fixture
def queue_schema(pg_url: str) -> Iterator[str]:  # noqa: F811
    """The URL of a new, migrated PostgreSQL schema (dropped afterwards)."""
    with admin_connect(pg_url) as admin:
        admin.execute("CREATE SCHEMA dispatch_claims")
    url = schema_url(pg_url, "dispatch_claims")
    yield url
    with admin_connect(pg_url) as admin:
        admin.execute("DROP SCHEMA dispatch_claims CASCADE")


@pytest.mark.slow
def test_four_processes_claim_1000_messages_once_from_postgres(
    queue_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = SqlAlchemyStorage(queue_schema)
    try:
        _run("postgres", queue_schema, storage, monkeypatch)
    finally:
        storage.close()

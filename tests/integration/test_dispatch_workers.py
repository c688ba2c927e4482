"""Several dispatchers at once, in processes on SQLite and PostgreSQL, and the worker loop in a thread.

Four dispatcher processes share one store and one real SMTP server on loopback;
with no crash, every message must arrive exactly once (each claimed under a
lease by one dispatcher only).
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest

import invoicekit as ik
from integration.dispatch_child import child_env, command, open_billing, unfinished
from invoicekit.adapters.notify.smtp import message_id_for
from invoicekit.ports import MessageStatus
from invoicekit.testing import FixedClock, MemoryNotifier, MemoryRenderer
from invoicekit.testing.smtp import LoopbackSmtpServer
from pg import admin_connect, pg_url, schema_url  # noqa: F401

COUNT: Final = 120
WORKERS: Final = 4
LINE: Final = ik.Line("Retainer", quantity="1", unit_price="100.00", tax=ik.Vat("19"))


def queue_invoices(store: Path | str, port: int) -> tuple[str, list[str]]:
    """A seller whose COUNT invoices each queued one e-mail; returns (seller id, message keys)."""
    billing = open_billing(store, port)
    seller = billing.sellers.create(
        name="Northwind", country="DE", currency="EUR", send_on_issue=True
    )
    books = billing.seller(seller.id)
    client = books.customers.create("Globex", email="ap@globex.example")
    drafts = [books.invoices.draft(client.id, lines=[LINE]).id for _ in range(COUNT)]
    books.invoices.issue_many(drafts)
    keys = [m.key for m in books.messages.list(limit=10 * COUNT)]
    billing.close()
    return seller.id, keys


def dispatch_in_processes(store: str, port: int, seller_id: str) -> None:
    children = [
        subprocess.Popen(
            command(store, port, seller_id, 300), env=child_env(), stdout=subprocess.PIPE, text=True
        )
        for _ in range(WORKERS)
    ]
    for child in children:
        assert child.wait(timeout=300) == 0
        assert child.stdout is not None
        child.stdout.close()


def check_each_arrived_once(server: LoopbackSmtpServer, keys: list[str]) -> None:
    received = Counter(mail.message_id for mail in server.messages)
    expected = {message_id_for(key, "northwind.example") for key in keys}
    assert set(received) == expected, "a message was lost"
    twice = sorted(k for k, n in received.items() if n > 1)
    assert twice == [], f"sent more than once: {twice}"


@pytest.mark.slow
def test_four_dispatcher_processes_on_sqlite_send_each_message_once(tmp_path: Path) -> None:
    with LoopbackSmtpServer() as server:
        path = tmp_path / "books.sqlite"
        seller_id, keys = queue_invoices(path, server.port)
        dispatch_in_processes(str(path), server.port, seller_id)
        check_each_arrived_once(server, keys)
        billing = open_billing(path, server.port)
        assert unfinished(billing, seller_id) == 0
        billing.close()


@pytest.fixture
def dispatch_schema(pg_url: str) -> Iterator[str]:  # noqa: F811
    """The URL of a new, migrated PostgreSQL schema (dropped afterwards)."""
    with admin_connect(pg_url) as admin:
        admin.execute("CREATE SCHEMA dispatch_workers")
    url = schema_url(pg_url, "dispatch_workers")
    yield url
    with admin_connect(pg_url) as admin:
        admin.execute("DROP SCHEMA dispatch_workers CASCADE")


@pytest.mark.slow
def test_four_dispatcher_processes_on_postgres_send_each_message_once(
    dispatch_schema: str,
) -> None:
    with LoopbackSmtpServer() as server:
        seller_id, keys = queue_invoices(dispatch_schema, server.port)
        dispatch_in_processes(dispatch_schema, server.port, seller_id)
        check_each_arrived_once(server, keys)
        billing = open_billing(dispatch_schema, server.port)
        statuses = {m.status for m in billing.seller(seller_id).messages.list(limit=10 * COUNT)}
        assert statuses == {MessageStatus.SENT}
        billing.close()


def test_the_worker_loop_in_a_thread_delivers_what_is_queued() -> None:
    mail = MemoryNotifier(channel="email")
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    billing = ik.Billing.in_memory(
        clock=clock, notifiers=[mail], renderer=MemoryRenderer(), dispatch="worker"
    )
    seller = billing.sellers.create(
        name="Northwind", country="DE", currency="EUR", send_on_issue=True
    )
    books = billing.seller(seller.id)
    client = books.customers.create("Globex", email="ap@globex.example")
    stop = threading.Event()
    worker = threading.Thread(target=billing.run_worker, args=(stop,), kwargs={"interval": 0.01})
    worker.start()
    try:
        for _ in range(5):
            books.invoices.issue(books.invoices.draft(client.id, lines=[LINE]).id)
        deadline = time.monotonic() + 30
        while len(mail.sent) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()
    assert len(mail.sent) == 5
    assert {m.status for m in books.messages.list()} == {MessageStatus.SENT}

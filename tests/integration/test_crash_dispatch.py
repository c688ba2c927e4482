"""T30: kill -9 during dispatch loses no message; repeats happen only inside the crash window.

A SQLite store holds ``COUNT`` invoice e-mails queued for a real SMTP server on
loopback. Dispatcher processes are killed with SIGKILL at the fault points
around the send (``before_send``, ``after_send``: the message went out but was
not yet recorded as sent) and at random moments; then a clean dispatcher
finishes. Every message must have arrived, each at least once; a message may
arrive twice only when a kill hit between its send and its record, and the
repeat carries the same Message-ID, so the recipient's mail program shows it once.
"""

from __future__ import annotations

import random
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Final

import pytest

import invoicekit as ik
from integration.dispatch_child import child_env, command, open_billing, unfinished
from invoicekit.adapters.notify.smtp import message_id_for
from invoicekit.ports import MessageStatus
from invoicekit.testing.smtp import LoopbackSmtpServer

COUNT: Final = 40
LINE: Final = ik.Line("Retainer", quantity="1", unit_price="100.00", tax=ik.Vat("19"))
#: (fault point, nth hit) for the targeted kills; the random kills come after them.
KILLS: Final = (("after_send", 1), ("before_send", 3), ("after_send", 5), ("after_send", 12))


def make_store(path: Path, port: int) -> tuple[str, list[str]]:
    """A seller whose COUNT issued invoices each queued one e-mail; returns (seller, keys)."""
    billing = open_billing(path, port)
    seller = billing.sellers.create(
        name="Northwind", country="DE", currency="EUR", send_on_issue=True
    )
    books = billing.seller(seller.id)
    client = books.customers.create("Globex", email="ap@globex.example")
    drafts = [books.invoices.draft(client.id, lines=[LINE]).id for _ in range(COUNT)]
    books.invoices.issue_many(drafts)
    keys = [m.key for m in books.messages.list(limit=1000)]
    billing.close()
    assert len(keys) == COUNT
    return seller.id, keys


def run_child(
    path: Path, port: int, seller_id: str, fault: str | None, kill_after: float | None
) -> int:
    with subprocess.Popen(
        command(path, port, seller_id), env=child_env(fault), stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
        if kill_after is not None:
            time.sleep(kill_after)
            proc.kill()
        return proc.wait(timeout=120)


@pytest.mark.timeout(600)
def test_kill_9_during_dispatch_loses_no_message(tmp_path: Path) -> None:
    rng = random.Random(30)  # noqa: S311 - kill times, not secrets
    with LoopbackSmtpServer() as server:
        path = tmp_path / "books.sqlite"
        seller_id, keys = make_store(path, server.port)
        crash_windows = 0
        for point, nth in KILLS:
            code = run_child(path, server.port, seller_id, f"{point}:{nth}", None)
            assert code == -9, f"{point}:{nth} did not kill the dispatcher (exit {code})"
            crash_windows += point == "after_send"
        for _ in range(3):
            run_child(path, server.port, seller_id, None, rng.uniform(0.05, 0.4))
            crash_windows += 1  # a random kill may land between a send and its record
        assert run_child(path, server.port, seller_id, None, None) == 0

        billing = open_billing(path, server.port)
        books = billing.seller(seller_id)
        assert unfinished(billing, seller_id) == 0
        messages = books.messages.list(limit=1000)
        assert {m.status for m in messages} == {MessageStatus.SENT}
        received = Counter(mail.message_id for mail in server.messages)
        expected = {message_id_for(key, "northwind.example") for key in keys}
        assert set(received) == expected, "a message was lost or an unknown one was sent"
        repeats = sum(n - 1 for n in received.values())
        print(f"T30: {COUNT} messages, {len(KILLS) + 3} kills, {repeats} repeats (same Message-ID)")  # noqa: T201
        assert repeats <= crash_windows
        assert all(m.attempts >= 1 for m in messages)
        billing.close()

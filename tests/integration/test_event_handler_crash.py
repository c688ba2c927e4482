"""A handler process killed (SIGKILL) mid-handler resumes where it stopped: at least once, in order.

A SQLite store holds ``COUNT`` issued invoices whose ``invoice.issued`` events a
handler named ``crm`` has not seen yet. Processes run it and are killed right
after the side effect of their 3rd, 1st and 5th calls (before the cursor
moves); then a clean process finishes. Every event must have reached the
handler, in outbox order, and the only repeats are the calls the kills interrupted.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Final

import invoicekit as ik
from integration.dispatch_child import child_env

COUNT: Final = 12
KILLS: Final = (3, 1, 5)
LINE: Final = ik.Line("Retainer", quantity="1", unit_price="100.00", tax=ik.Vat("19"))
#: Longest a child may take: a guard against a hang, never reached when all is well.
GUARD: Final = 120


def run_child(store: Path, log: Path, kill_at: int | None) -> int:
    args = [sys.executable, "-m", "integration.events_child", str(store), str(log)]
    args += [] if kill_at is None else [str(kill_at)]
    return subprocess.run(args, env=child_env(), timeout=GUARD, check=False).returncode


def test_a_killed_handler_resumes_and_misses_nothing(tmp_path: Path) -> None:
    store, log = tmp_path / "books.db", tmp_path / "crm.log"
    with ik.Billing.sqlite(store) as billing:
        billing.on("invoice.issued", print, name="crm")  # the cursor starts here
        seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR")
        books = billing.seller(seller.id)
        customer = books.customers.create("Globex", email="ap@globex.example")
        for _ in range(COUNT):
            books.invoices.issue(books.invoices.draft(customer.id, lines=[LINE]).id)
        wanted = [r.key for r in books.events.records() if r.kind == "InvoiceIssued"]
    for kill_at in KILLS:
        assert run_child(store, log, kill_at) == -signal.SIGKILL
    assert run_child(store, log, None) == 0
    got = log.read_text(encoding="utf-8").split()
    assert sorted(set(got)) == sorted(wanted)  # nothing lost
    first_seen = list(dict.fromkeys(got))
    assert first_seen == wanted  # in outbox order
    # each kill repeats exactly the call it interrupted (a kill at the 1st call of a
    # resumed process interrupts the same event again: it then comes three times)
    assert len(got) == COUNT + len(KILLS)
    assert sum(n - 1 for n in Counter(got).values()) == len(KILLS)
    with ik.Billing.sqlite(store) as billing:
        (state,) = billing.event_handlers()
    assert (state.name, state.attempts, state.parked) == ("crm", 0, False)

"""The idempotency-key race on PostgreSQL, for real (issue 11, item 6).

Two calls with one key run at once on two connections. The loser looked the key
up before the winner committed, so it runs its body; its insert of the key then
collides with the winner's (a DuplicateError), and ``Runner.write`` retries it:
the retry finds the winner's record and replays it. The loser's own work is
rolled back, so the request is executed once.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import datetime

import pytest

import factories as f
from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.domain.parties import Customer
from invoicekit.faults import FaultPoints
from invoicekit.ports import Transaction
from invoicekit.serialization import make_converter
from invoicekit.services import calls
from invoicekit.services.unit import Runner
from invoicekit.testing import FixedClock
from pg import pg_url, truncate_all  # noqa: F401

pytestmark = pytest.mark.slow

#: Longest wait for the other thread: a guard against a hang, never reached when all is well.
GUARD = 30.0
CALL = calls.CreateCustomer(id=None, name="Globex", email=None, phone=None, channels=())


def test_the_loser_of_a_key_race_replays_the_winner(pg_url: str) -> None:  # noqa: F811
    SqlAlchemyStorage(pg_url).close()
    truncate_all(pg_url)
    storage = SqlAlchemyStorage(pg_url)
    with storage.transaction() as tx:
        tx.sellers.add(f.seller())
    ids = itertools.count()
    runner = Runner(
        storage, FixedClock(f.AT), make_converter(), FaultPoints(), lambda p: f"{p}_{next(ids)}"
    )
    looked_up, winner_done = threading.Event(), threading.Event()
    runs: list[str] = []

    def body(
        name: str, wait: threading.Event | None
    ) -> Callable[[Transaction, datetime], Customer]:
        def run(tx: Transaction, _: datetime) -> Customer:
            runs.append(name)
            customer = f.customer(id=f"c-{name}-{len(runs)}")
            tx.customers.add(customer)
            if wait is not None:
                looked_up.set()
                assert wait.wait(GUARD), "the winner never committed"
            return customer

        return run

    results: dict[str, Customer] = {}

    def lose() -> None:
        results["loser"] = runner.write("s1", CALL, body("loser", winner_done), Customer, key="k")

    loser = threading.Thread(target=lose)
    loser.start()
    try:
        assert looked_up.wait(GUARD)
        results["winner"] = runner.write("s1", CALL, body("winner", None), Customer, key="k")
    finally:
        winner_done.set()
        loser.join(GUARD)
    try:
        assert runs == ["loser", "winner"]  # the loser's retry replayed, it did not run again
        assert results["loser"] == results["winner"]
        with storage.transaction(write=False) as tx:
            assert [c.id for c in tx.customers.list("s1")] == [results["winner"].id]
    finally:
        storage.close()

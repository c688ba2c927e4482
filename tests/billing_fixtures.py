"""Shared fixtures for facade-level tests: a ``billing`` parametrized over the storages.

Import the fixtures a test module uses (``tests`` is on ``sys.path``)::

    from billing_fixtures import billing_fixture, clock_fixture  # noqa: F401

Each fixture is registered under its short name (``billing``, ``clock``,
``make_billing``, ``storage_kind``) and imported under its ``*_fixture`` name, so
a test's ``billing`` parameter does not shadow an import. ``billing_fixture``
needs ``make_billing_fixture``, ``storage_kind_fixture`` and ``clock_fixture`` too.

``storage_kind`` is ``memory`` (the reference) or ``sqlite`` (a file under
``tmp_path``). ``make_billing(**adapters)`` builds another ``Billing`` over the
*same* store (the same ``MemoryStorage`` object, or the same SQLite file opened
again), so a test can put fault points or a payment provider in front of the data
it already has. The ``sqlite`` parameter fails with a clear message while the
SQLite adapter does not exist; it is never skipped.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import pytest

import invoicekit as ik
from invoicekit.ports import Storage
from invoicekit.testing import FixedClock, MemoryStorage

__all__ = [
    "AT",
    "SQLITE_MODULE",
    "STORAGES",
    "MakeBilling",
    "Tenant",
    "billing_fixture",
    "clock_fixture",
    "fresh_like",
    "line",
    "make_billing_fixture",
    "open_sqlite",
    "pay_with_keys",
    "seed_tenant",
    "storage_kind_fixture",
]

#: The "now" of every facade test: Monday 2026-03-02 09:00 UTC (10:00 in Berlin).
AT: Final = datetime(2026, 3, 2, 9, tzinfo=UTC)
#: The storages every facade test runs on.
STORAGES: Final = ("memory", "sqlite")
#: The module the ``sqlite`` parameter needs.
SQLITE_MODULE: Final = "invoicekit.adapters.storage.sqlite"

#: Builds another Billing over the test's store: ``make_billing(faults=..., payments=...)``.
MakeBilling = Callable[..., ik.Billing]


def _sqlite_storage_class() -> Any:
    """``SqliteStorage``, or a test failure naming the missing module (never a skip)."""
    module: ModuleType | None
    try:
        module = importlib.import_module(SQLITE_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != SQLITE_MODULE:
            raise
        module = None
    if module is None:
        pytest.fail(
            f"the 'sqlite' storage parameter cannot run: {SQLITE_MODULE} does not exist yet "
            "(SqliteStorage is being written); these tests must pass on SQLite too, so this "
            "is a failure, not a skip",
            pytrace=False,
        )
    return module.SqliteStorage


def open_sqlite(path: Path | str, **options: Any) -> Storage:
    """A SqliteStorage on ``path`` (created and migrated when new); ``options`` go to ``open``."""
    storage: Storage = _sqlite_storage_class().open(path, **options)
    return storage


@pytest.fixture(name="storage_kind", params=STORAGES)
def storage_kind_fixture(request: pytest.FixtureRequest) -> str:
    """``memory`` or ``sqlite``."""
    kind: str = request.param
    return kind


@pytest.fixture(name="clock")
def clock_fixture() -> FixedClock:
    """A clock standing at ``AT`` until a test moves it."""
    return FixedClock(AT)


@pytest.fixture(name="make_billing")
def make_billing_fixture(
    storage_kind: str, tmp_path: Path, clock: FixedClock
) -> Iterator[MakeBilling]:
    """A factory of Billing objects that all share one store and the test's clock."""
    memory = MemoryStorage() if storage_kind == "memory" else None
    path = tmp_path / "billing.sqlite"
    opened: list[Storage] = []

    def build(**adapters: Any) -> ik.Billing:
        storage: Storage = memory if memory is not None else open_sqlite(path)
        if memory is None:
            opened.append(storage)
        adapters.setdefault("clock", clock)
        return ik.Billing(storage=storage, **adapters)

    yield build
    for storage in opened:
        storage.close()
    if memory is not None:
        memory.close()


@pytest.fixture(name="billing")
def billing_fixture(make_billing: MakeBilling) -> ik.Billing:
    """A Billing on the parametrized storage, clock at ``AT``, no provider, no fault points."""
    return make_billing()


def line(
    unit_price: str = "100.00", quantity: str = "1", description: str = "Consulting"
) -> ik.Line:
    """One line at 19 % VAT (100.00 net gives 119.00 due)."""
    return ik.Line(description, quantity=quantity, unit_price=unit_price, tax=ik.Vat("19"))


_PREFIXED_ID: Final = re.compile(r"([a-z]+_)[0-9a-f]{32}")
_TRAILING_DIGITS: Final = re.compile(r"(.*?)(\d+)")


def fresh_like(value: str) -> str:
    """A value of the same shape as ``value`` that never existed anywhere.

    ``inv_<32 hex>`` becomes ``inv_<new 32 hex>``; a number such as
    ``INV-2026-00003`` keeps its prefix and width with the digits replaced by 9s
    (no test issues that many invoices); anything else gets a uuid4 hex suffix.
    """
    if (match := _PREFIXED_ID.fullmatch(value)) is not None:
        return match.group(1) + uuid.uuid4().hex
    if (match := _TRAILING_DIGITS.fullmatch(value)) is not None:
        return match.group(1) + "9" * len(match.group(2))
    return f"{value}-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Tenant:
    """One seller with a bit of everything, and the ids a test needs to reach it."""

    books: ik.SellerBooks
    seller_id: str
    customer_ids: tuple[str, ...]
    #: A draft that stays a draft.
    draft_id: str
    #: A draft that was deleted (its id never resolves again).
    deleted_draft_id: str
    #: Issued invoices, in issue order; the first has a succeeded and a pending payment.
    invoice_ids: tuple[str, ...]
    numbers: tuple[str, ...]
    payment_id: str
    pending_payment_id: str
    refund_id: str
    credit_note_ids: tuple[str, ...]
    credit_note_numbers: tuple[str, ...]
    #: Idempotency keys this seller used: ``pay``, ``draft``, ``customer``.
    keys: dict[str, str]

    @property
    def invoice_id(self) -> str:
        """The first issued invoice (with payments, a refund and a credit note)."""
        return self.invoice_ids[0]


def seed_tenant(billing: ik.Billing, name: str, *, invoices: int = 2) -> Tenant:
    """Create a seller like every other: customers, drafts, invoices, payments, notes, keys.

    Every tenant uses the same idempotency keys (``pay-1``, ``draft-1``, ``customer-1``):
    keys are scoped per seller, so the same strings must not interfere.
    """
    seller = billing.sellers.create(
        name=name, country="DE", currency="EUR", timezone="Europe/Berlin"
    )
    books = billing.seller(seller.id)
    keys = {"pay": "pay-1", "draft": "draft-1", "customer": "customer-1"}
    first = books.customers.create(
        "Globex", email="ap@globex.example", idempotency_key=keys["customer"]
    )
    second = books.customers.create("Initech", email="billing@initech.example")
    deleted = books.invoices.draft(first.id, lines=[line("10.00")])
    books.invoices.delete(deleted.id)
    drafts = [
        books.invoices.draft(
            first.id if i % 2 == 0 else second.id,
            lines=[line("100.00")],
            idempotency_key=keys["draft"] if i == 0 else None,
        )
        for i in range(invoices)
    ]
    issued = books.invoices.issue_many([d.id for d in drafts])
    main = issued[0]
    paid = books.payments.record(main.id, "50.00", idempotency_key=keys["pay"])
    payment_id = paid.payments[-1].id
    pending = books.payments.record(main.id, "5.00", pending=True)
    pending_id = pending.payments[-1].id
    refunded = books.payments.refund(main.id, payment_id, "1.00")
    refund_id = refunded.payments[0].refunds[-1].id
    note = books.invoices.credit(main.id, lines=[line("10.00")], reason="goodwill")
    kept = books.invoices.draft(second.id, lines=[line("20.00")])
    return Tenant(
        books=books,
        seller_id=seller.id,
        customer_ids=(first.id, second.id),
        draft_id=kept.id,
        deleted_draft_id=deleted.id,
        invoice_ids=tuple(i.id for i in issued),
        numbers=tuple(i.number for i in issued if i.number is not None),
        payment_id=payment_id,
        pending_payment_id=pending_id,
        refund_id=refund_id,
        credit_note_ids=(note.id,),
        credit_note_numbers=(note.number,),
        keys=keys,
    )


# --------------------------------------------------------------------------- T16 workers


def pay_with_keys(
    *,
    path: str,
    seller_id: str,
    invoice_ids: list[str],
    amount: str,
    barrier: Any,
    realign_every: int,
    out: Any,
) -> None:
    """In a spawned process: pay invoice ``i`` with key ``key-i`` for every i, retrying conflicts.

    Opens its own ``Billing.sqlite(path)``, waits on ``barrier`` at the start and every
    ``realign_every`` keys (so the processes hit the same keys at the same time), and
    puts ``("ok", {i: sha256 of repr(result)}, retries)`` or ``("error", traceback, 0)``
    on ``out``; it never raises, so the parent never waits for a dead child.
    """
    import hashlib
    import time
    import traceback

    try:
        with ik.Billing.sqlite(path, clock=FixedClock(AT)) as billing:
            books = billing.seller(seller_id)
            digests: dict[int, str] = {}
            retries = 0
            barrier.wait()
            for i, invoice_id in enumerate(invoice_ids):
                if realign_every and i and i % realign_every == 0:
                    barrier.wait()
                for attempt in range(50):
                    try:
                        result = books.payments.record(
                            invoice_id, amount, idempotency_key=f"key-{i}"
                        )
                        break
                    except ik.ConflictError:  # a lock or key race past the Runner's own retries
                        if attempt == 49:
                            raise
                        retries += 1
                        time.sleep(0.01)
                digests[i] = hashlib.sha256(repr(result).encode()).hexdigest()
        out.put(("ok", digests, retries))
    except BaseException:  # noqa: BLE001 - reported to the parent, which fails the test
        out.put(("error", traceback.format_exc(), 0))

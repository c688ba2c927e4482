"""T35 ``tenant_isolation`` at the facade, on every storage (I9).

Sellers A and B hold similar data. From A's books, every public method is
called with B's ids, numbers and keys: the answer must be ``NotFoundError`` with
the same type and message (modulo the id itself) as for an id of the same shape
that never existed, so nothing tells A that B's object exists; listings never
return B's objects; creating an object under an id B already uses behaves as
with a fresh id; B's idempotency keys never replay in A.

``COVERAGE`` lists every public method of ``Billing``, ``billing.sellers`` and
the four repositories of ``SellerBooks``, found by introspection: a new public
method fails ``test_every_public_method_is_covered`` until it is added.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import invoicekit as ik
from billing_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    Tenant,
    billing_fixture,
    clock_fixture,
    fresh_like,
    line,
    make_billing_fixture,
    seed_tenant,
    storage_kind_fixture,
)
from invoicekit.domain.collection import SavedPaymentMethod
from invoicekit.ports import InboxItem, MessageRecord, OutboxRecord
from sizes import examples


@dataclass(frozen=True)
class Target:
    """The ids a probe passes: B's (foreign) or never-existing ones of the same shape.

    ``own_*`` always belong to the scope's own seller (A): they let a probe pass a
    foreign payment id on an invoice the caller may see.
    """

    customer_id: str
    invoice_id: str
    draft_id: str
    deleted_draft_id: str
    number: str
    payment_id: str
    pending_payment_id: str
    credit_note_id: str
    own_invoice_id: str
    own_draft_id: str
    own_customer_id: str

    def foreign_values(self) -> tuple[str, ...]:
        return (
            self.customer_id,
            self.invoice_id,
            self.draft_id,
            self.deleted_draft_id,
            self.number,
            self.payment_id,
            self.pending_payment_id,
            self.credit_note_id,
        )

    def fresh(self) -> Target:
        """The same target with every foreign value replaced by a never-existing one."""
        return Target(
            customer_id=fresh_like(self.customer_id),
            invoice_id=fresh_like(self.invoice_id),
            draft_id=fresh_like(self.draft_id),
            deleted_draft_id=fresh_like(self.deleted_draft_id),
            number=fresh_like(self.number),
            payment_id=fresh_like(self.payment_id),
            pending_payment_id=fresh_like(self.pending_payment_id),
            credit_note_id=fresh_like(self.credit_note_id),
            own_invoice_id=self.own_invoice_id,
            own_draft_id=self.own_draft_id,
            own_customer_id=self.own_customer_id,
        )

    def mask(self, text: str) -> str:
        """``text`` with every foreign value replaced by ``<id>``."""
        for value in sorted(self.foreign_values(), key=len, reverse=True):
            text = text.replace(value, "<id>")
        return text


Probe = Callable[[ik.SellerBooks, Target], object]


@dataclass(frozen=True)
class Coverage:
    """How the isolation tests exercise one public method."""

    #: Calls that must raise NotFoundError, the same for B's ids as for fresh ones.
    not_found: tuple[Probe, ...] = ()
    #: Calls that return a list; none of B's objects may appear, and B's ids as filters
    #: give the same answer as fresh ids.
    listing: tuple[Probe, ...] = ()
    #: Listings paged ``after`` an id: none of B's objects may appear (an id cursor orders
    #: by the id's text, so a fresh id may cut the page elsewhere).
    paging: tuple[Probe, ...] = ()
    #: Calls that create in A under an id B already uses; must behave as with a fresh id.
    creates: tuple[Probe, ...] = ()
    #: Not tenant-scoped (the operator's API): why, checked by ``test_operator_methods``.
    operator: str = ""

    def __post_init__(self) -> None:
        assert self.not_found or self.listing or self.paging or self.creates or self.operator


LINES: Final = (line("10.00"),)

#: A saved card another seller's customer must never receive.
SAVED_METHOD: Final = SavedPaymentMethod(
    provider="sandbox",
    reference="sbx_pm_probe",
    consent="Charge my card for future invoices.",
    consented_at=datetime(2026, 3, 2, tzinfo=UTC),
)


COVERAGE: Final[dict[str, Coverage]] = {
    # ---- customers
    "customers.get": Coverage(not_found=(lambda s, t: s.customers.get(t.customer_id),)),
    "customers.update": Coverage(
        not_found=(
            lambda s, t: s.customers.update(t.customer_id, name="Renamed"),
            lambda s, t: s.customers.update(t.customer_id, name="Renamed", idempotency_key="k1"),
        )
    ),
    "customers.archive": Coverage(not_found=(lambda s, t: s.customers.archive(t.customer_id),)),
    "customers.save_payment_method": Coverage(
        not_found=(lambda s, t: s.customers.save_payment_method(t.customer_id, SAVED_METHOD),)
    ),
    "customers.apply_coupon": Coverage(
        not_found=(
            lambda s, t: s.customers.apply_coupon(t.customer_id, f"coupon-{t.customer_id}"),
            # B's coupon (``tenants`` gives B one named after its customer) on A's customer
            lambda s, t: s.customers.apply_coupon(t.own_customer_id, f"coupon-{t.customer_id}"),
        )
    ),
    "customers.remove_coupon": Coverage(
        not_found=(lambda s, t: s.customers.remove_coupon(t.customer_id),)
    ),
    "customers.coupon": Coverage(not_found=(lambda s, t: s.customers.coupon(t.customer_id),)),
    "customers.remove_payment_method": Coverage(
        not_found=(lambda s, t: s.customers.remove_payment_method(t.customer_id),)
    ),
    "customers.create": Coverage(
        creates=(lambda s, t: s.customers.create("Hooli", id=t.customer_id),)
    ),
    "customers.list": Coverage(
        listing=(lambda s, _: s.customers.list(include_archived=True),),
        paging=(lambda s, t: s.customers.list(include_archived=True, after=t.customer_id),),
    ),
    # ---- invoices
    "invoices.get": Coverage(
        not_found=(
            lambda s, t: s.invoices.get(t.invoice_id),
            lambda s, t: s.invoices.get(t.draft_id),
            lambda s, t: s.invoices.get(t.deleted_draft_id),
        )
    ),
    "invoices.get_by_number": Coverage(
        not_found=(lambda s, t: s.invoices.get_by_number(t.number),)
    ),
    "invoices.list": Coverage(
        listing=(
            lambda s, _: s.invoices.list(limit=1000),
            lambda s, t: s.invoices.list(customer_id=t.customer_id),
            lambda s, t: s.invoices.list(status="pending", customer_id=t.customer_id),
        ),
        paging=(lambda s, t: s.invoices.list(after=t.invoice_id),),
    ),
    "invoices.credit_notes": Coverage(
        not_found=(lambda s, t: s.invoices.credit_notes(t.invoice_id),)
    ),
    "invoices.draft": Coverage(
        not_found=(
            lambda s, t: s.invoices.draft(t.customer_id, lines=LINES),
            lambda s, t: s.invoices.draft(t.customer_id, lines=LINES, idempotency_key="k2"),
        ),
        creates=(lambda s, t: s.invoices.draft(t.own_customer_id, lines=LINES, id=t.invoice_id),),
    ),
    "invoices.draft_many": Coverage(
        not_found=(
            lambda s, t: s.invoices.draft_many([{"customer_id": t.customer_id, "lines": LINES}]),
        ),
        creates=(
            lambda s, t: s.invoices.draft_many(
                [{"customer_id": t.own_customer_id, "lines": LINES, "id": t.invoice_id}]
            ),
        ),
    ),
    "invoices.edit": Coverage(
        not_found=(
            lambda s, t: s.invoices.edit(t.draft_id, memo="mine now"),
            lambda s, t: s.invoices.edit(t.own_draft_id, customer_id=t.customer_id),
        )
    ),
    "invoices.delete": Coverage(not_found=(lambda s, t: s.invoices.delete(t.draft_id),)),
    "invoices.issue": Coverage(
        not_found=(
            lambda s, t: s.invoices.issue(t.draft_id),
            lambda s, t: s.invoices.issue(t.draft_id, idempotency_key="k3"),
        )
    ),
    "invoices.issue_many": Coverage(
        not_found=(
            lambda s, t: s.invoices.issue_many([t.draft_id]),
            lambda s, t: s.invoices.issue_many([t.own_invoice_id, t.draft_id]),
        )
    ),
    "invoices.add_payment_link": Coverage(
        not_found=(lambda s, t: s.invoices.add_payment_link(t.invoice_id),)
    ),
    "invoices.void": Coverage(not_found=(lambda s, t: s.invoices.void(t.invoice_id),)),
    "invoices.write_off": Coverage(not_found=(lambda s, t: s.invoices.write_off(t.invoice_id),)),
    "invoices.mark_overdue": Coverage(
        not_found=(lambda s, t: s.invoices.mark_overdue(t.invoice_id),)
    ),
    "invoices.credit": Coverage(
        not_found=(lambda s, t: s.invoices.credit(t.invoice_id, lines=LINES),)
    ),
    "invoices.credit_standalone": Coverage(
        not_found=(lambda s, t: s.invoices.credit_standalone(t.customer_id, lines=LINES),)
    ),
    "invoices.credit_note": Coverage(
        not_found=(lambda s, t: s.invoices.credit_note(t.credit_note_id),)
    ),
    # ---- payments
    "payments.record": Coverage(
        not_found=(lambda s, t: s.payments.record(t.invoice_id, "1.00"),),
        creates=(
            lambda s, t: s.payments.record(t.own_invoice_id, "1.00", payment_id=t.payment_id),
        ),
    ),
    "payments.settle": Coverage(
        not_found=(
            lambda s, t: s.payments.settle(t.invoice_id, t.pending_payment_id),
            lambda s, t: s.payments.settle(t.own_invoice_id, t.pending_payment_id),
        )
    ),
    "payments.fail": Coverage(
        not_found=(
            lambda s, t: s.payments.fail(t.invoice_id, t.pending_payment_id, reason="returned"),
            lambda s, t: s.payments.fail(t.own_invoice_id, t.pending_payment_id, reason="x"),
        )
    ),
    "payments.record_failure": Coverage(
        not_found=(lambda s, t: s.payments.record_failure(t.invoice_id, reason="declined"),)
    ),
    "payments.refund": Coverage(
        not_found=(
            lambda s, t: s.payments.refund(t.invoice_id, t.payment_id, "1.00"),
            lambda s, t: s.payments.refund(t.own_invoice_id, t.payment_id, "1.00"),
        )
    ),
    "payments.list": Coverage(not_found=(lambda s, t: s.payments.list(t.invoice_id),)),
    "payments.apply_credit": Coverage(
        not_found=(lambda s, t: s.payments.apply_credit(t.invoice_id, idempotency_key="c1"),)
    ),
    "payments.credit_balance": Coverage(
        not_found=(lambda s, t: s.payments.credit_balance(t.customer_id),)
    ),
    # ---- events
    "events.records": Coverage(
        listing=(
            lambda s, _: s.events.records(),
            lambda s, t: s.events.records(invoice_id=t.invoice_id),
        )
    ),
    "events.list": Coverage(
        listing=(
            lambda s, _: s.events.list(),
            lambda s, t: s.events.list(invoice_id=t.invoice_id),
        )
    ),
    # ---- the operator's API: Billing and billing.sellers
    # ---- delivery
    "invoices.send": Coverage(
        not_found=(
            lambda s, t: s.invoices.send(t.invoice_id),
            lambda s, t: s.invoices.send(t.invoice_id, kind="receipt", about=t.payment_id),
        )
    ),
    "messages.get": Coverage(
        not_found=(lambda s, t: s.messages.get(f"{t.invoice_id}:invoice:1:email"),)
    ),
    "messages.retry": Coverage(
        not_found=(lambda s, t: s.messages.retry(f"{t.invoice_id}:invoice:1:email"),)
    ),
    "messages.list": Coverage(
        listing=(
            lambda s, t: s.messages.list(invoice_id=t.invoice_id),
            lambda s, _: s.messages.list(),
        )
    ),
    "messages.failed": Coverage(listing=(lambda s, _: s.messages.failed(),)),
    "messages.dispatch": Coverage(listing=(lambda s, _: s.messages.dispatch().sent,)),
    "inbox.list": Coverage(listing=(lambda s, t: s.inbox.list(t.customer_id),)),
    "inbox.unread_count": Coverage(listing=(lambda s, t: [s.inbox.unread_count(t.customer_id)],)),
    "inbox.mark_read": Coverage(
        listing=(
            lambda s, t: [s.inbox.mark_read(t.customer_id, [f"{t.invoice_id}:invoice:1:in_app"])],
        )
    ),
    "Billing.dispatch": Coverage(
        operator="delivers due messages of every seller: the operator's worker entry point"
    ),
    "Billing.run_worker": Coverage(
        operator="the operator's long-running delivery loop over every seller"
    ),
    "Billing.recurring_due": Coverage(
        operator="generates due recurring invoices of every seller: the scheduler's entry point"
    ),
    "Billing.subscriptions_due": Coverage(
        operator="generates due subscription invoices of every seller: the scheduler's entry point"
    ),
    "Billing.run_due": Coverage(
        operator="chases every seller's open invoices by their own policies: the scheduler's "
        "entry point"
    ),
    "Billing.on": Coverage(
        operator="the host registers its own handlers; each notice names its seller_id"
    ),
    "Billing.dispatch_events": Coverage(
        operator="calls the host's handlers with every seller's events: the operator's entry point"
    ),
    "Billing.event_handlers": Coverage(operator="lists the host's handlers; no tenant data"),
    "Billing.resume_event_handler": Coverage(
        operator="restarts one of the host's handlers; takes no tenant input"
    ),
    "Billing.in_memory": Coverage(operator="a constructor; takes no tenant input"),
    "Billing.sqlite": Coverage(operator="a constructor; takes no tenant input"),
    "Billing.from_url": Coverage(operator="a constructor; takes no tenant input"),
    "Billing.close": Coverage(operator="closes the storage; takes no tenant input"),
    "Billing.seller": Coverage(
        operator="the scope selector: the host platform chooses the seller, never a tenant"
    ),
    "sellers.create": Coverage(operator="the host platform creates tenants"),
    "sellers.get": Coverage(operator="the host platform reads any tenant's settings"),
    "sellers.update": Coverage(operator="the host platform changes any tenant's settings"),
    "sellers.list": Coverage(operator="the host platform lists its tenants"),
}


def public_methods(prefix: str, obj: object) -> set[str]:
    return {
        f"{prefix}.{name}"
        for name in dir(obj)
        if not name.startswith("_") and callable(getattr(obj, name))
    }


def introspected(billing: ik.Billing, books: ik.SellerBooks) -> set[str]:
    names = public_methods("Billing", billing) | public_methods("sellers", billing.sellers)
    names |= public_methods("books", books)
    for part in ("customers", "invoices", "payments", "events", "messages", "inbox"):
        names |= public_methods(part, getattr(books, part))
    return names


@dataclass
class Tenants:
    billing: ik.Billing
    a: Tenant
    b: Tenant
    targets: dict[str, Target] = field(default_factory=dict)

    @property
    def foreign(self) -> Target:
        return self.targets["foreign"]

    def b_ids(self) -> set[str]:
        b = self.b
        return {
            b.seller_id,
            *b.customer_ids,
            b.draft_id,
            b.deleted_draft_id,
            *b.invoice_ids,
            b.payment_id,
            b.pending_payment_id,
            b.refund_id,
            *b.credit_note_ids,
        }


@pytest.fixture
def tenants(billing: ik.Billing) -> Tenants:
    a = seed_tenant(billing, "Alpha", invoices=2)
    b = seed_tenant(billing, "Beta", invoices=3)  # B's third number exists only in B
    b_coupon = b.books.coupons.create(
        "Beta 10%", percent_off="10", id=f"coupon-{b.customer_ids[0]}"
    )
    b.books.customers.apply_coupon(b.customer_ids[0], b_coupon.id)  # A must neither see nor drop it
    assert b.numbers[2] not in a.numbers
    foreign = Target(
        customer_id=b.customer_ids[0],
        invoice_id=b.invoice_id,
        draft_id=b.draft_id,
        deleted_draft_id=b.deleted_draft_id,
        number=b.numbers[2],
        payment_id=b.payment_id,
        pending_payment_id=b.pending_payment_id,
        credit_note_id=b.credit_note_ids[0],
        own_invoice_id=a.invoice_id,
        own_draft_id=a.draft_id,
        own_customer_id=a.customer_ids[0],
    )
    return Tenants(billing, a, b, {"foreign": foreign, "fresh": foreign.fresh()})


def everything(t: Tenant) -> tuple[str, ...]:
    """All of one seller's observable state, as text."""
    books = t.books
    invoices = books.invoices.list(limit=1000)
    return (
        repr(books.customers.list(include_archived=True, limit=1000)),
        repr(invoices),
        repr([books.invoices.credit_notes(i.id) for i in invoices]),
        repr(books.events.records()),
    )


def test_every_public_method_is_covered(tenants: Tenants) -> None:
    found = introspected(tenants.billing, tenants.a.books)
    missing = sorted(found - COVERAGE.keys())
    stale = sorted(COVERAGE.keys() - found)
    assert missing == [], f"public methods missing from COVERAGE (add how to probe them): {missing}"
    assert stale == [], f"COVERAGE names methods that no longer exist: {stale}"


def _outcome(probe: Probe, books: ik.SellerBooks, target: Target) -> tuple[str, str]:
    try:
        result = probe(books, target)
    except Exception as exc:  # noqa: BLE001 - the test compares whatever was raised
        return type(exc).__name__, target.mask(str(exc))
    return "returned", target.mask(repr(result))


def test_foreign_ids_are_not_found_like_never_existing_ids(tenants: Tenants) -> None:
    a, b = tenants.a, tenants.b
    before_a, before_b = everything(a), everything(b)
    problems = []
    for name, coverage in sorted(COVERAGE.items()):
        for n, probe in enumerate(coverage.not_found):
            foreign = _outcome(probe, a.books, tenants.foreign)
            fresh = _outcome(probe, a.books, tenants.targets["fresh"])
            if foreign != fresh:
                problems.append(f"{name}[{n}]: B's ids give {foreign}, fresh ids give {fresh}")
            elif foreign[0] != "NotFoundError":
                problems.append(f"{name}[{n}]: {foreign[0]} (not NotFoundError): {foreign[1]}")
    assert problems == [], "\n".join(problems)
    assert everything(a) == before_a, "a refused call changed A"
    assert everything(b) == before_b, "a call from A's scope changed B"


def _ids_in(result: object) -> Iterable[tuple[str, str]]:
    """(seller id, object id) of each listed object."""
    assert isinstance(result, list)
    for item in result:
        if isinstance(item, OutboxRecord | MessageRecord | InboxItem):
            yield item.seller_id, item.invoice_id or ""
        elif isinstance(item, int | str):  # counts and keys: compared with fresh ids' answers
            yield "", str(item)
        elif isinstance(item, ik.Event):
            yield "", item.invoice_id
        else:
            yield item.seller_id, item.id


def test_listings_never_return_foreign_objects(tenants: Tenants) -> None:
    a = tenants.a
    b_ids = tenants.b_ids()
    problems = []
    for name, coverage in sorted(COVERAGE.items()):
        probes = [(p, True) for p in coverage.listing] + [(p, False) for p in coverage.paging]
        for n, (probe, comparable) in enumerate(probes):
            result = probe(a.books, tenants.foreign)
            leaked = [
                pair
                for pair in _ids_in(result)
                if pair[0] not in ("", a.seller_id) or pair[1] in b_ids
            ]
            if leaked:
                problems.append(f"{name}[{n}] returned B's objects {leaked}")
            fresh = probe(a.books, tenants.targets["fresh"])
            if comparable and repr(result) != repr(fresh):
                problems.append(f"{name}[{n}]: B's ids and fresh ids give different answers")
    assert problems == [], "\n".join(problems)
    assert a.books.invoices.list(customer_id=tenants.foreign.customer_id) == []
    assert len(a.books.invoices.list()) == len(a.invoice_ids) + 1  # A's own, draft included


@pytest.mark.parametrize(
    "name", sorted(n for n, c in COVERAGE.items() if c.creates), ids=lambda n: n
)
def test_creating_under_a_foreign_id_behaves_like_a_fresh_id(
    billing: ik.Billing, name: str
) -> None:
    """A caller-chosen id that B already uses must not change what happens in A."""
    outcomes = []
    for kind in ("foreign", "fresh"):
        seeded = Tenants(billing, seed_tenant(billing, f"A-{kind}"), seed_tenant(billing, "B"))
        b_before = everything(seeded.b)
        target = Target(
            customer_id=seeded.b.customer_ids[0],
            invoice_id=seeded.b.invoice_id,
            draft_id=seeded.b.draft_id,
            deleted_draft_id=seeded.b.deleted_draft_id,
            number=seeded.b.numbers[0],
            payment_id=seeded.b.payment_id,
            pending_payment_id=seeded.b.pending_payment_id,
            credit_note_id=seeded.b.credit_note_ids[0],
            own_invoice_id=seeded.a.invoice_id,
            own_draft_id=seeded.a.draft_id,
            own_customer_id=seeded.a.customer_ids[0],
        )
        if kind == "fresh":
            target = target.fresh()
        books = seeded.a.books
        for probe in COVERAGE[name].creates:
            created = probe(books, target)
            assert getattr(created, "seller_id", books.seller_id) == books.seller_id
            if isinstance(created, ik.Invoice) and created.status is ik.Status.DRAFT:
                books.invoices.issue(created.id)  # its events must reach A's outbox
        assert everything(seeded.b) == b_before, f"{name} with B's id changed B"
        outcomes.append([r.kind for r in books.events.records()])
    foreign, fresh = outcomes
    assert foreign == fresh, (
        f"A's outbox differs when the new id is one B already uses: with B's id {foreign}, "
        f"with a fresh id {fresh}"
    )


def test_a_key_b_used_does_not_replay_in_a(tenants: Tenants) -> None:
    a, b = tenants.a, tenants.b
    b_paid = b.books.payments.record(b.invoice_ids[1], "9.00", idempotency_key="b-key")
    b_before = everything(b)
    # The same key, other parameters, another seller: neither B's result nor a conflict.
    mine = a.books.payments.record(a.invoice_ids[1], "3.00", idempotency_key="b-key")
    assert (mine.seller_id, mine.id) == (a.seller_id, a.invoice_ids[1])
    assert [p.amount for p in mine.payments] == [Decimal("3.00")]
    assert mine.payments[0].id != b_paid.payments[0].id
    assert repr(a.books.payments.record(a.invoice_ids[1], "3.00", idempotency_key="b-key")) == (
        repr(mine)
    )
    # The same key with B's exact parameters (B's invoice id) is NotFound, not B's answer.
    with pytest.raises(ik.NotFoundError):
        a.books.payments.record(b.invoice_ids[1], "9.00", idempotency_key="b-key-2")
    # Both sellers used pay-1, draft-1 and customer-1 while seeding: each got its own object.
    again = a.books.payments.record(a.invoice_id, "50.00", idempotency_key=a.keys["pay"])
    assert (again.seller_id, again.id) == (a.seller_id, a.invoice_id)
    made = a.books.customers.create(
        "Globex", email="ap@globex.example", idempotency_key=b.keys["customer"]
    )
    assert (made.seller_id, made.id) == (a.seller_id, a.customer_ids[0])
    assert everything(b) == b_before


def test_operator_methods(tenants: Tenants) -> None:
    billing, a, b = tenants.billing, tenants.a, tenants.b
    assert billing.seller(b.seller_id).seller_id == b.seller_id
    nobody = billing.seller(fresh_like(b.seller_id))
    assert nobody.customers.list() == []
    assert nobody.invoices.list() == []
    assert nobody.events.records() == []
    with pytest.raises(ik.NotFoundError, match="seller"):
        nobody.customers.create("Globex")
    with pytest.raises(ik.NotFoundError):
        billing.sellers.get(nobody.seller_id)
    assert {s.id for s in billing.sellers.list()} >= {a.seller_id, b.seller_id}
    for name, coverage in COVERAGE.items():
        assert bool(coverage.operator) == name.startswith(("Billing.", "sellers.")), name


# --------------------------------------------------------------------------- guessed ids

_PREFIXES: Final = ("", "inv_", "cus_", "pay_", "cn_", "sel_", "ref_")
GUESSES: Final = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(str),
    st.builds(lambda p, u: p + u.hex, st.sampled_from(_PREFIXES), st.uuids(version=4)),
    st.builds(lambda p, u: p + str(u), st.sampled_from(_PREFIXES), st.uuids(version=4)),
)
NUMBERS: Final = st.builds(
    lambda prefix, year, n: f"{prefix}-{year}-{n:05d}",
    st.sampled_from(["INV", "CN"]),
    st.integers(2000, 2100),
    st.integers(0, 99_999),
)

GUESS_PROBES: Final[dict[str, tuple[str, Callable[[ik.SellerBooks, str], object]]]] = {
    "customers.get": ("customer", lambda s, x: s.customers.get(x)),
    "invoices.get": ("invoice", lambda s, x: s.invoices.get(x)),
    "invoices.credit_notes": ("invoice", lambda s, x: s.invoices.credit_notes(x)),
    "invoices.credit_note": ("credit note", lambda s, x: s.invoices.credit_note(x)),
    "payments.list": ("invoice", lambda s, x: s.payments.list(x)),
    "invoices.void": ("invoice", lambda s, x: s.invoices.void(x)),
    "payments.record": ("invoice", lambda s, x: s.payments.record(x, "1.00")),
}


@settings(
    max_examples=examples(ci=300),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(guess=GUESSES)
def test_guessed_ids_are_not_found(tenants: Tenants, guess: str) -> None:
    for name, (kind, call) in GUESS_PROBES.items():
        with pytest.raises(ik.NotFoundError) as caught:
            call(tenants.a.books, guess)
        assert str(caught.value) == str(ik.NotFoundError(kind, guess)), name


@settings(
    max_examples=examples(ci=200),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(number=NUMBERS)
def test_guessed_numbers_are_not_found(tenants: Tenants, number: str) -> None:
    a = tenants.a
    own = set(a.numbers)
    if number in own:
        assert a.books.invoices.get_by_number(number).seller_id == a.seller_id
        return
    with pytest.raises(ik.NotFoundError) as caught:
        a.books.invoices.get_by_number(number)
    assert str(caught.value) == str(ik.NotFoundError("invoice", number))


def test_shared_numbers_resolve_to_the_scopes_own_invoice(tenants: Tenants) -> None:
    a, b = tenants.a, tenants.b
    shared = sorted(set(a.numbers) & set(b.numbers))
    assert shared == ["INV-2026-00001", "INV-2026-00002"]
    for number in shared:
        assert a.books.invoices.get_by_number(number).seller_id == a.seller_id
        assert b.books.invoices.get_by_number(number).seller_id == b.seller_id
    assert a.books.invoices.get_by_number(shared[0]).id == a.invoice_id


def test_deleted_drafts_of_the_scope_itself_are_not_found(tenants: Tenants) -> None:
    a = tenants.a
    gone = a.deleted_draft_id
    with pytest.raises(ik.NotFoundError) as caught:
        a.books.invoices.get(gone)
    fresh = fresh_like(gone)
    with pytest.raises(ik.NotFoundError) as never:
        a.books.invoices.get(fresh)
    assert str(caught.value).replace(gone, "<id>") == str(never.value).replace(fresh, "<id>")


def test_the_masking_helper_is_sound() -> None:
    target = Target(*(f"x_{uuid.uuid4().hex}" for _ in range(11)))
    fresh = target.fresh()
    assert set(fresh.foreign_values()).isdisjoint(target.foreign_values())
    assert fresh.own_invoice_id == target.own_invoice_id
    assert target.mask(f"invoice {target.invoice_id!r} not found") == "invoice '<id>' not found"
    assert re.fullmatch(r"x_[0-9a-f]{32}", fresh.customer_id)

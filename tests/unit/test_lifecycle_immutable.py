"""T09 issued_invoice_is_immutable, domain part: every mutator and every attribute, by introspection."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import attrs
import pytest

import factories as f
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.frozen import FrozenMapping
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Action, Status
from invoicekit.errors import InvalidTransitionError, InvoiceKitError

LATE = f.utc(2026, 4, 10)
#: Every Command subclass lifecycle defines, found by introspection.
COMMANDS: list[type[lc.Command]] = sorted(
    (
        obj
        for _, obj in inspect.getmembers(lc, inspect.isclass)
        if issubclass(obj, lc.Command) and obj is not lc.Command
    ),
    key=lambda c: c.__name__,
)
#: The commands that change a draft: refused on every issued invoice.
DRAFT_ONLY: set[type[lc.Command]] = {lc.Edit, lc.Delete, lc.Issue}


def _issued_invoices() -> dict[str, Invoice]:
    """One issued invoice in each issued status, with a payment and a credit where possible."""
    base = f.issued()

    def run(inv: Invoice, *commands: lc.Command, at: datetime = f.AT) -> Invoice:
        for c in commands:
            inv, _ = lc.apply(inv, c, at=at)
        return inv

    partial = run(
        base, lc.RecordPayment("p1", "50.00"), lc.RecordPayment("pp", "5.00", pending=True)
    )
    return {
        "pending": base,
        "partially_paid": partial,
        "paid": run(partial, lc.RecordPayment("p2", "70.00")),  # 1.00 customer credit
        "overdue": run(partial, lc.MarkOverdue(), at=LATE),
        "failed": run(partial, lc.FailCollection("declined")),
        "void": run(base, lc.Void()),
        "uncollectible": run(partial, lc.WriteOff()),
    }


ISSUED = _issued_invoices()


def _sample(cls: type[lc.Command]) -> lc.Command:
    samples: dict[type[lc.Command], lc.Command] = {
        lc.Edit: lc.Edit(seller=f.seller(), lines=(f.line("1.00"),), memo="x"),
        lc.Delete: lc.Delete(),
        lc.Issue: lc.Issue(number="INV-X", seller=f.seller(), customer=f.customer()),
        lc.Send: lc.Send("email"),
        lc.RecordPayment: lc.RecordPayment("p9", "1.00"),
        lc.SettlePayment: lc.SettlePayment("pp"),
        lc.FailPayment: lc.FailPayment("pp", "returned"),
        lc.FailCollection: lc.FailCollection("declined"),
        lc.RefundPayment: lc.RefundPayment("p1", "r1", "1.00"),
        lc.MarkOverdue: lc.MarkOverdue(),
        lc.Void: lc.Void(),
        lc.WriteOff: lc.WriteOff(),
        lc.Credit: lc.Credit("cn1", "CN-1", lines=[f.line("1.00")]),
        lc.PayWithCredit: lc.PayWithCredit("pc", "1.00", ("INV-0",)),
        lc.ApplyCredit: lc.ApplyCredit("pc", "inv-2", "INV-2", "1.00"),
        lc.DisputePayment: lc.DisputePayment("p1", "d1", "1.00"),
        lc.ResolveDispute: lc.ResolveDispute("p1", "d1", won=True),
    }
    return samples[cls]


def test_every_command_class_is_known_here() -> None:
    # A new command must get a sample here, and say whether it changes drafts only.
    assert {c.__name__ for c in COMMANDS} == {
        "ApplyCredit",
        "Credit",
        "Delete",
        "DisputePayment",
        "Edit",
        "FailCollection",
        "FailPayment",
        "Issue",
        "MarkOverdue",
        "PayWithCredit",
        "RecordPayment",
        "RefundPayment",
        "ResolveDispute",
        "Send",
        "SettlePayment",
        "Void",
        "WriteOff",
    }
    assert {c.action for c in COMMANDS} == set(Action)  # one command per action


def test_the_draft_only_commands_are_exactly_those_a_draft_accepts() -> None:
    assert {c for c in COMMANDS if c.action in lc.ALLOWED[Status.DRAFT]} == DRAFT_ONLY
    for status in Status:
        if status is not Status.DRAFT:
            assert not {c.action for c in DRAFT_ONLY} & lc.ALLOWED[status], status


@pytest.mark.parametrize("cls", sorted(DRAFT_ONLY, key=lambda c: c.__name__))
@pytest.mark.parametrize("status", sorted(ISSUED))
def test_draft_commands_are_refused_on_issued_invoices(cls: type[lc.Command], status: str) -> None:
    invoice = ISSUED[status]
    before = f.snapshot(invoice)
    with pytest.raises(InvalidTransitionError) as caught:
        lc.apply(invoice, _sample(cls), at=LATE)
    assert f"cannot {cls.action.value} on invoice INV-2026-00001 in status '{status}'" in str(
        caught.value
    )
    assert f.snapshot(invoice) == before


ISSUED_FIELDS = (
    "id",
    "seller_id",
    "customer_id",
    "number",
    "currency",
    "lines",
    "totals",
    "terms",
    "discounts",
    "charges",
    "prices",
    "memo",
    "footer",
    "metadata",
    "series",
    "issue_date",
    "due_date",
    "seller",
    "customer",
    "payment_link",
    "created_at",
    "issued_at",
    "buyer_reference",
    "order_reference",
    "contract_reference",
    "project_reference",
)


@pytest.mark.parametrize(
    "cls", [c for c in COMMANDS if c not in DRAFT_ONLY], ids=lambda c: c.__name__
)
@pytest.mark.parametrize("status", sorted(ISSUED))
def test_no_other_command_touches_the_issued_snapshot(cls: type[lc.Command], status: str) -> None:
    """I4: after issue only payments, status, credits and their dates change."""
    invoice = ISSUED[status]
    fields = [(n, getattr(invoice, n)) for n in ISSUED_FIELDS]
    try:
        new, _ = lc.apply(invoice, _sample(cls), at=LATE)
    except InvoiceKitError:
        return  # refused: the matrix test checks the invoice is unchanged
    assert [(n, getattr(new, n)) for n in ISSUED_FIELDS] == fields
    assert repr(new.totals) == repr(invoice.totals)
    assert repr(new.policy) == repr(invoice.policy)


def test_the_snapshot_list_names_every_field_but_the_account_ones() -> None:
    account = {
        "status",
        "policy",
        "payments",
        "credits",
        "credit_transfers",
        "failures",
        "paid_at",
        "voided_at",
        "written_off_at",
        "version",
    }
    names = {a.name for a in attrs.fields(Invoice)}
    assert names == set(ISSUED_FIELDS) | account


# ------------------------------------------------------------------ frozen values

INVOICE = lc.apply(
    ISSUED["partially_paid"], lc.Credit("cn1", "CN-1", lines=[f.line("1.00")]), at=f.AT
)[0]


@pytest.mark.parametrize("name", [a.name for a in attrs.fields(Invoice)])
def test_setting_any_invoice_attribute_raises(name: str) -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(INVOICE, name, "x")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        delattr(INVOICE, name)
    assert getattr(INVOICE, name) != "x"


def test_no_new_attribute_can_be_added() -> None:
    with pytest.raises((attrs.exceptions.FrozenInstanceError, AttributeError)):
        INVOICE.note = "x"  # type: ignore[attr-defined]


_LEAVES = (str, int, bool, Decimal, date, datetime, timedelta, Enum, type(None))


def _walk(value: object, path: str) -> Iterator[tuple[str, object]]:
    """Every nested value with its path (attrs fields, tuples, mappings)."""
    yield path, value
    if attrs.has(type(value)):
        for a in attrs.fields(type(value)):  # type: ignore[arg-type]
            yield from _walk(getattr(value, a.name), f"{path}.{a.name}")
    elif isinstance(value, tuple | frozenset):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]")
    elif isinstance(value, Mapping):
        for k, item in value.items():
            yield from _walk(item, f"{path}[{k!r}]")


def test_nested_values_are_frozen_too() -> None:
    seen: set[str] = set()
    for path, value in _walk(INVOICE, "invoice"):
        kind = type(value)
        seen.add(kind.__name__)
        if attrs.has(kind):
            first = attrs.fields(kind)[0].name
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                setattr(value, first, None)
        elif isinstance(value, Mapping):
            assert isinstance(value, FrozenMapping), path
            with pytest.raises(TypeError):
                value["x"] = 1  # type: ignore[index]
        else:
            assert isinstance(value, (*_LEAVES, tuple, frozenset)), (path, kind)
    # The walk reached the nested values that matter.
    assert {"Line", "Totals", "Seller", "Customer", "Payment", "CreditApplication", "Tax"} <= seen


@pytest.mark.parametrize(
    "mutate",
    [
        lambda inv: inv.lines[0].__setattr__("unit_price", Decimal(1)),
        lambda inv: inv.totals.__setattr__("payable", Decimal(0)),
        lambda inv: inv.seller.__setattr__("name", "Evil"),
        lambda inv: inv.customer.__setattr__("email", "x@y.example"),
        lambda inv: inv.payments[0].__setattr__("amount", Decimal(0)),
        lambda inv: inv.totals.breakdown[0].__setattr__("amount", Decimal(0)),
    ],
    ids=["line", "totals", "seller", "customer", "payment", "breakdown"],
)
def test_named_nested_values_refuse_changes(mutate: Callable[[Invoice], Any]) -> None:
    before = f.snapshot(INVOICE)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        mutate(INVOICE)
    assert f.snapshot(INVOICE) == before


def test_metadata_cannot_be_changed_after_issue() -> None:
    """I4: metadata is part of the issued snapshot; the caller's dict must not reach into it.

    Metadata is flat (str, int, bool or None values), so a copy of the dict is enough.
    """
    meta: dict[str, Any] = {"po": "PO-1", "tags": "a"}
    invoice = f.issued(metadata=meta)
    meta["po"] = "PO-EVIL"
    meta["new"] = "b"
    assert dict(invoice.metadata) == {"po": "PO-1", "tags": "a"}
    with pytest.raises(TypeError):
        invoice.metadata["po"] = "PO-EVIL"  # type: ignore[index]

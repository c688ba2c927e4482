"""An edit of a draft keeps every field it does not touch (issue 11, item 6).

The draft under edit carries a value other than the default in every field of
``Invoice`` (``FULL``, checked by introspection), so a field an edit drops, also
one added to ``Invoice`` later, shows up as a difference.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

import factories as f
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.invoice import CollectionFailure, CreditTransfer, Invoice
from invoicekit.domain.line import Charge, Discount
from invoicekit.domain.numbering import Series, default_series
from invoicekit.domain.status import Status
from invoicekit.domain.terms import NetDays

SELLER = f.seller(series=(*default_series(), Series.of("shop", "S-{year}-{seq:05d}")))
OTHER_CUSTOMER = f.customer(SELLER, id="c2", name="Initech")
#: How each field of ``Edit`` is named on the invoice (the others keep their name).
ON_INVOICE = {"customer": "customer_id"}
#: Recomputed by every edit (totals and the policy they were computed with) or by apply.
DERIVED = {"totals", "policy", "version"}


def _full() -> Invoice:
    """An invoice with a non-default value in every field, turned back into a draft."""
    paid = f.issued(
        of=SELLER,
        prices="inclusive",
        memo="memo",
        footer="footer",
        metadata={"order": "A-1"},
        buyer_reference="04011000-12345-67",
        order_reference="PO-1",
        contract_reference="C-1",
        project_reference="P-1",
    )
    for command in (
        lc.RecordPayment("p1", "200.00"),
        lc.Credit("cn1", "CN-1", (f.line("10.00"),), issue_date=None),
    ):
        paid, _ = lc.apply(paid, command, at=f.AT)
    return attrs.evolve(
        paid,
        status=Status.DRAFT,
        discounts=(Discount(percent="5"),),
        charges=(Charge(amount="4.90", reason="Shipping"),),
        series="shop",
        payment_link="https://pay.example/i/1",
        failures=(CollectionFailure(f.AT, "declined"),),
        credit_transfers=(CreditTransfer("p9", "inv_2", "INV-2", Decimal("1.00"), f.AT),),
        voided_at=f.AT,
        written_off_at=f.AT,
        version=7,
        terms=NetDays(10),
    )


FULL = _full()


def _is_default(field: attrs.Attribute[Any], value: object) -> bool:
    default = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        default = default.factory()
    return default is not attrs.NOTHING and value == default


def test_the_edited_draft_sets_every_field() -> None:
    kept = [a for a in attrs.fields(Invoice) if a.name not in {*DERIVED, "status"}]
    left = [a.name for a in kept if _is_default(a, getattr(FULL, a.name))]
    assert left == [], f"give FULL a value other than the default in {left}"


def edits() -> st.SearchStrategy[lc.Edit]:
    """Edits that set any subset of the fields an edit can change."""
    text = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=20)
    optional = st.none().__or__
    return st.builds(
        lc.Edit,
        seller=st.just(SELLER),
        customer=optional(st.just(OTHER_CUSTOMER)),
        lines=optional(
            st.lists(
                st.decimals(Decimal("0.01"), Decimal("999"), places=2).map(f.line),
                min_size=1,
                max_size=3,
            )
        ),
        discounts=optional(st.just((Discount(percent="10"),)) | st.just(())),
        charges=optional(st.just((Charge(amount="1.00", reason="Packing"),)) | st.just(())),
        terms=optional(st.integers(0, 90).map(NetDays)),
        memo=optional(text | st.just("")),
        footer=optional(text | st.just("")),
    )


@given(edits())
def test_an_edit_keeps_every_field_it_does_not_touch(edit: lc.Edit) -> None:
    new, _ = lc.apply(FULL, edit, at=f.utc(2026, 3, 2))
    touched = {
        ON_INVOICE.get(a.name, a.name)
        for a in attrs.fields(lc.Edit)
        if a.name != "seller" and getattr(edit, a.name) is not None
    }
    for field in attrs.fields(Invoice):
        if field.name not in touched | DERIVED:
            assert getattr(new, field.name) == getattr(FULL, field.name), field.name
    assert new.version == FULL.version + 1
    if edit.memo is not None:
        assert new.memo == (edit.memo or None)
    if edit.customer is not None:
        assert new.customer_id == OTHER_CUSTOMER.id


def test_an_edit_keeps_the_references_an_xrechnung_export_needs() -> None:
    draft = f.draft(of=SELLER, buyer_reference="04011000-12345-67", order_reference="PO-1")
    new, _ = lc.apply(draft, lc.Edit(seller=SELLER, memo="Thanks"), at=f.AT)
    assert (new.buyer_reference, new.order_reference) == ("04011000-12345-67", "PO-1")

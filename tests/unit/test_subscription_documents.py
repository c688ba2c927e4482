"""Plans, coupons and subscriptions stored as JSON documents read back exactly."""

from __future__ import annotations

import json

import attrs
import pytest

from invoicekit.errors import IntegrityError
from invoicekit.serialization.converter import make_converter
from invoicekit.serialization.subscriptions import (
    coupon_from_text,
    coupon_text,
    plan_from_text,
    plan_text,
    subscription_from_text,
    subscription_text,
)
from invoicekit.testing.subscription_values import rich_coupon, rich_plan, rich_subscription


def test_plan_coupon_and_subscription_read_back_exactly() -> None:
    c = make_converter()
    plan, coupon, sub = rich_plan(), rich_coupon(), rich_subscription()
    assert plan_from_text(c, plan_text(c, plan), "t") == plan
    assert coupon_from_text(c, coupon_text(c, coupon), "t") == coupon
    back = subscription_from_text(c, subscription_text(c, sub), "t")
    assert back == sub
    assert back.pending[0].discounts == sub.pending[0].discounts
    assert subscription_text(c, back) == subscription_text(c, sub)


def test_a_subscription_without_optional_fields_reads_back() -> None:
    c = make_converter()
    bare = attrs.evolve(
        rich_subscription(),
        terms=None,
        trial_end=None,
        trial_lines=(),
        pauses=(),
        cancel_at=None,
        canceled_at=None,
        coupons=(),
        pending=(),
    )
    assert subscription_from_text(c, subscription_text(c, bare), "t") == bare


def test_what_a_change_billed_at_once_reads_back_and_is_absent_from_older_documents() -> None:
    c = make_converter()
    billed = attrs.evolve(rich_subscription(), change_credit_note_id="cn_1")
    assert subscription_from_text(c, subscription_text(c, billed), "t") == billed
    older = json.loads(subscription_text(c, rich_subscription()))
    del older["subscription"]["change_invoice_id"], older["subscription"]["change_credit_note_id"]
    back = subscription_from_text(c, json.dumps(older), "t")
    assert back == rich_subscription()
    assert (back.change_invoice_id, back.change_credit_note_id) == (None, None)


def test_a_changed_or_unknown_document_is_an_integrity_error() -> None:
    c = make_converter()
    document = json.loads(plan_text(c, rich_plan()))
    with pytest.raises(IntegrityError, match=r"plan in books\.db cannot be read back"):
        plan_from_text(c, json.dumps({**document, "format": 99}), "books.db")
    document["plan"]["prices"][0]["kind"] = "gold"
    with pytest.raises(IntegrityError, match="cannot be read back"):
        plan_from_text(c, json.dumps(document), "books.db")
    with pytest.raises(IntegrityError):
        subscription_from_text(c, "{not json", "books.db")

"""Format 2 stored documents: every generated invoice reads back equal, and the same bytes again.

Invoices come from ``invoicekit.testing.strategies.cases()`` (every currency, price mode,
tax rounding, rounding mode, line and document adjustment), drafted and issued, some with
payments and a refund. The trusted load must give back an equal value with every field
set, its format-1 document equal too (so eq=False fields such as the rounding steps are
compared as well), and writing it again must give the same text and content hash.
"""

from __future__ import annotations

from typing import Any, Final

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.library import AT, issued_invoice
from invoicekit.domain import lifecycle
from invoicekit.domain.frozen import FrozenMapping
from invoicekit.domain.invoice import Invoice
from invoicekit.serialization import (
    ContentHashMismatch,
    encode_invoice,
    frozen_hash,
    make_converter,
    read_invoice,
    to_document,
)
from invoicekit.testing.strategies import cases
from sizes import examples

CONVERTER: Final = make_converter()


def assert_complete(value: Any, path: str = "invoice") -> None:
    """Every attrs field of ``value`` and of everything in it is set (a trusted load sets all)."""
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            assert_complete(getattr(value, field.name), f"{path}.{field.name}")
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            assert_complete(item, f"{path}[{i}]")
    elif isinstance(value, FrozenMapping):
        for key, item in value.items():
            assert_complete(item, f"{path}[{key!r}]")


def check_round_trip(invoice: Invoice) -> None:
    encoded = encode_invoice(invoice)
    digest = encoded.content_hash
    back = read_invoice(encoded.text, digest, CONVERTER)
    assert back == invoice
    assert to_document(CONVERTER, back) == to_document(CONVERTER, invoice)
    assert_complete(back)
    again = encode_invoice(back)
    assert again.text == encoded.text
    assert frozen_hash(back) == digest == again.content_hash


@settings(max_examples=examples(ci=300), deadline=None)
@given(cases(max_lines=15), st.integers(0, 3))
def test_every_invoice_reads_back_equal_and_writes_the_same_bytes(
    case: dict[str, Any], payments: int
) -> None:
    issued = issued_invoice(case)
    draft = attrs.evolve(
        issued, number=None, issue_date=None, due_date=None, seller=None, customer=None
    )
    check_round_trip(draft)
    check_round_trip(issued)
    current = issued
    for k in range(payments):
        amount = max(current.amount_due // 2, current.zero + 1)
        command = lifecycle.RecordPayment(f"p{k}", amount, pending=k == 2)
        current, _ = lifecycle.apply(current, command, at=AT)
    if payments:
        command = lifecycle.RefundPayment("p0", "r0", current.payments[0].amount)
        current, _ = lifecycle.apply(current, command, at=AT)
    check_round_trip(current)


@settings(max_examples=examples(ci=200), deadline=None)
@given(cases(max_lines=5), st.data())
def test_a_changed_frozen_part_is_caught(case: dict[str, Any], data: st.DataObject) -> None:
    invoice = issued_invoice(case)
    encoded = encode_invoice(invoice)
    start = encoded.text.index('"f":') + 4
    # Change one digit of an amount, the number or a date somewhere in the frozen part.
    digits = [i for i, ch in enumerate(encoded.text[start:], start) if ch.isdigit()]
    at = data.draw(st.sampled_from(digits))
    if at >= start + len(encoded.frozen.decode()):
        return  # past the frozen part: not covered by the hash
    changed = f"{encoded.text[:at]}{(int(encoded.text[at]) + 1) % 10}{encoded.text[at + 1 :]}"
    try:
        read_invoice(changed, encoded.content_hash, CONVERTER)
    except ContentHashMismatch:
        return
    raise AssertionError(f"a change at {at} went unnoticed")

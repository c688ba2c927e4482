"""Pay-link tokens (T36): 100,000 minted without a collision, each 256 random bits, stored hashed."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import invoicekit as ik
from invoicekit.services.pay_pages import TOKEN_BYTES, token_hash
from invoicekit.testing import FixedClock

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
COUNT = 100_000


def test_100000_tokens_do_not_collide_and_none_is_derived_from_the_invoice() -> None:
    billing = ik.Billing.in_memory(clock=FixedClock(AT), pay_url="https://shop.example/pay")
    s = billing.sellers.create(name="Northwind", country="DE", currency="EUR")
    books = billing.seller(s.id)
    globex = books.customers.create("Globex", channels=["in_app"])
    line = ik.Line("Consulting", quantity=1, unit_price="100.00", tax=ik.Vat("19"))
    invoice = books.invoices.issue(books.invoices.draft(globex.id, lines=[line]).id)
    prefix = "https://shop.example/pay/i/"
    with billing.storage.transaction() as tx:
        tokens = {
            billing.pay_pages.mint_in(tx, invoice, AT).removeprefix(prefix) for _ in range(COUNT)
        }
    assert len(tokens) == COUNT
    assert TOKEN_BYTES * 8 >= 128
    assert {len(base64.urlsafe_b64decode(t + "=")) for t in list(tokens)[:1000]} == {32}
    assert not any(invoice.id in t or (invoice.number or "-") in t for t in tokens)
    sample = next(iter(tokens))
    assert token_hash(sample) == hashlib.sha256(sample.encode()).hexdigest()
    assert billing.pay_pages.open(sample).invoice.id == invoice.id

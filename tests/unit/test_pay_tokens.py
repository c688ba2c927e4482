"""Pay-link tokens (T36): 100,000 minted without a collision, each 256 random bits, stored hashed.

The characters are uniform (chi-square over the 64 symbols of the URL-safe alphabet,
p > 0.001) and no two tokens share a long prefix: nothing in them has structure.
"""

from __future__ import annotations

import base64
import hashlib
import string
from collections import Counter
from datetime import UTC, datetime

import invoicekit as ik
from invoicekit.services.pay_pages import TOKEN_BYTES, token_hash
from invoicekit.testing import FixedClock

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
COUNT = 100_000
#: The URL-safe base64 alphabet of ``secrets.token_urlsafe``.
ALPHABET = string.ascii_letters + string.digits + "-_"
#: The chi-square value with 63 degrees of freedom that p = 0.001 leaves above it.
CHI2_63_P001 = 103.44


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
    # The last of the 43 characters carries only 4 bits: the first 42 are uniform.
    counts = Counter(c for t in tokens for c in t[:42])
    assert set(counts) <= set(ALPHABET)
    expected = COUNT * 42 / len(ALPHABET)
    chi2 = sum((counts.get(c, 0) - expected) ** 2 / expected for c in ALPHABET)
    assert chi2 < CHI2_63_P001, chi2
    prefixes = {t[:8] for t in tokens}  # 48 bits each: a shared one would mean structure
    assert len(prefixes) == COUNT

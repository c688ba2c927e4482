"""The pay page shows a line's note (BT-127) under its description, as text."""

from __future__ import annotations

import invoicekit as ik
from web.conftest import Shop


def test_the_pay_page_shows_a_line_note_escaped_under_the_description(shop: Shop) -> None:
    books = shop.billing.seller(shop.seller_id)
    client = books.customers.create("Initech AG", email="ap@initech.example")
    note = "12 of 30 days <script>alert(1)</script>"
    line = ik.Line("Pro plan", quantity=1, unit_price="12.00", tax=ik.Vat("19"), note=note)
    invoice = books.invoices.issue(books.invoices.draft(client.id, lines=[line]).id)
    token = shop.billing.pay_pages.mint(shop.seller_id, invoice.id).rsplit("/", 1)[1]

    html = shop.client.get(f"/i/{token}").text

    assert (
        'Pro plan<span class="line-note">12 of 30 days &lt;script&gt;alert(1)&lt;/script&gt;</span>'
        in html
    )
    assert "<script>alert" not in html

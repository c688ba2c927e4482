"""The hosted pay page against the invoice's HTML render, measured in the same run.

* page: ``invoice_context`` + the page template for a 10-line invoice (what
  ``GET /i/{token}`` renders once the token is found);
* request: the whole ``GET /i/{token}`` through the ASGI app (Starlette's TestClient,
  in-memory ``Billing``: token lookup by hash, invoice load, render, headers);
* floor: ``TemplateRenderer().render("invoice", invoice)`` (HTML) of the same invoice.

Ratios only; no assertions on time. Best of 5 repeats. The goal is page ≤ 1.5× the floor.
"""

from __future__ import annotations

import secrets
import sys
import timeit
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_render import make_invoice

from invoicekit.adapters.render import TemplateRenderer
from invoicekit.domain.invoice import Invoice
from invoicekit.web.pages import Templates, invoice_context


@dataclass(frozen=True)
class Page:
    """A pay page as ``billing.pay_pages.open`` returns it."""

    token: str
    invoice: Invoice
    can_pay: bool
    status: str
    amount_due: Decimal
    currency: str
    expires_at: datetime | None
    seller_id: str
    customer_id: str


def best(fn: object, number: int) -> float:
    """Best of 5 repeats, in ms per call."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1000  # type: ignore[arg-type]


def run() -> dict[str, float]:
    invoice = make_invoice(10)
    page = Page(
        "t" * 43,
        invoice,
        can_pay=True,
        status=str(invoice.status),
        amount_due=invoice.amount_due,
        currency=invoice.currency,
        expires_at=None,
        seller_id=invoice.seller_id,
        customer_id=invoice.customer_id,
    )
    renderer = TemplateRenderer()
    templates = Templates()

    def floor() -> bytes:
        return renderer.render("invoice", invoice).content

    def pay_page() -> str:
        context = invoice_context(
            page, checkout=None, pay_action="/i/t/pay", csrf_token="0" * 64, pdf_link=None
        )
        return templates.render("invoice.html", {"css": "/assets/web.css", **context})

    floor(), pay_page()  # warm the caches of both
    results = {"floor_ms": best(floor, 200), "page_ms": best(pay_page, 200)}
    results["ratio"] = results["page_ms"] / results["floor_ms"]
    results["request_ms"] = request_ms()
    results["request_ratio"] = results["request_ms"] / results["floor_ms"]
    return results


def request_ms() -> float:
    """Best-of-5 ms of GET /i/{token} through the app over an in-memory Billing."""
    from starlette.testclient import TestClient

    import invoicekit as ik
    from invoicekit.web import create_app

    billing = ik.Billing.in_memory(pay_url="http://testserver")
    seller = billing.sellers.create(
        name="Northwind Studio",
        country="DE",
        currency="EUR",
        bank_account=ik.BankAccount("DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX"),
    )
    books = billing.seller(seller.id)
    client = books.customers.create("Globex GmbH", email="ap@globex.example")
    lines = [
        ik.Line(
            f"Service item {i}", quantity=1 + i % 3, unit_price=f"{10 + i}.50", tax=ik.Vat("19")
        )
        for i in range(10)
    ]
    invoice = books.invoices.issue(books.invoices.draft(client.id, lines=lines).id)
    path = billing.pay_pages.mint(seller.id, invoice.id).removeprefix("http://testserver")
    app = create_app(billing, secret_key=secrets.token_hex(32))
    with TestClient(app) as http:
        if not http.get(path).is_success:
            raise SystemExit(f"GET {path} failed: the benchmark would time an error page")
        return best(lambda: http.get(path), 100)


def main() -> None:
    r = run()
    print("pay page (view + template) vs TemplateRenderer invoice HTML, 10 lines, EPC QR on both")
    print(f"  floor {r['floor_ms']:.3f} ms  page {r['page_ms']:.3f} ms  ratio {r['ratio']:.2f}")
    print(
        f"  whole GET /i/{{token}} (TestClient, in-memory Billing) {r['request_ms']:.3f} ms"
        f"  ratio {r['request_ratio']:.2f}"
    )


if __name__ == "__main__":
    main()

"""Mount invoicekit's web app in a FastAPI application, with the sandbox payment provider.

``python examples/fastapi_app.py`` runs the app on 127.0.0.1 in a thread and walks a
payer through it over real HTTP (no browser: urllib with a cookie jar), then stops.
``python examples/fastapi_app.py --serve`` keeps serving on http://127.0.0.1:8000 and
prints a pay link to open in your browser. Needs the ``web`` extra and FastAPI
(``pip install 'invoicekit[web]' fastapi``).
"""

from __future__ import annotations

import re
import sys
import tempfile
import urllib.request
from datetime import UTC, datetime
from decimal import Decimal
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI

import invoicekit as ik
from invoicekit import FixedClock, SandboxPayments
from invoicekit.web import create_app
from invoicekit.web.loopback import LoopbackServer

SECRET_KEY = "example-only-secret-key-0123456789abcdef"  # noqa: S105 - a demo key on loopback
WEBHOOK_SECRET = "whsec_ZXhhbXBsZS1vbmx5LXdlYmhvb2stc2VjcmV0LTMyYnk="  # noqa: S105 - a demo secret
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def check(condition: object, what: str) -> None:
    """Stop with a message when something the example promises did not happen."""
    if not condition:
        raise SystemExit(f"not as promised: {what}")


def found(match: re.Match[str] | None, what: str) -> str:
    """The text ``match`` found; stops with a message when it found nothing."""
    if match is None:
        raise SystemExit(f"not as promised: {what}")
    return match.group(match.lastindex or 0)


def build(base: str) -> tuple[FastAPI, ik.Billing, str, str, str]:
    """The FastAPI app with invoicekit under /pay, and one issued invoice to pay."""
    clock = FixedClock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    sandbox = SandboxPayments(
        base_url=f"{base}/pay",
        webhook_url=f"{base}/pay/webhooks/sandbox",
        secrets=[WEBHOOK_SECRET],
        clock=clock,
    )
    billing = ik.Billing.sqlite(
        Path(tempfile.mkdtemp()) / "billing.db",
        clock=clock,
        payments=sandbox,
        pay_url=f"{base}/pay",
    )
    seller = billing.sellers.create(
        name="Northwind Studio", country="DE", currency="EUR", timezone="Europe/Berlin"
    )
    books = billing.seller(seller.id)
    client = books.customers.create("Globex GmbH", email="ap@globex.example")
    draft = books.invoices.draft(
        client.id,
        lines=[ik.Line("Logo design", quantity=1, unit_price=Decimal("400.00"), tax=ik.Vat("19"))],
    )
    invoice = books.invoices.issue(draft.id)

    app = FastAPI(title="Northwind shop")

    @app.get("/")
    def home() -> dict[str, str]:
        return {"shop": "Northwind", "pay pages": "/pay/i/<token>"}

    app.mount("/pay", create_app(billing, secret_key=SECRET_KEY, sandbox=sandbox))
    link = billing.pay_pages.mint(seller.id, invoice.id)
    return app, billing, link, seller.id, invoice.id


def post(opener: urllib.request.OpenerDirector, url: str, fields: dict[str, str]) -> str:
    """POST a form as a browser would; follows the 303s; returns where it ended up."""
    with opener.open(url, data=urlencode(fields).encode(), timeout=10) as response:
        return str(response.url)


def main() -> None:
    web = LoopbackServer(port=8000) if "--serve" in sys.argv else LoopbackServer()
    app, billing, link, seller_id, invoice_id = build(web.url)
    if "--serve" in sys.argv:
        print(f"open {link} (Ctrl-C stops)")
        with web.serve(app):
            try:
                while True:
                    input()
            except (KeyboardInterrupt, EOFError):
                return
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with web.serve(app):
        page = opener.open(link, timeout=10).read().decode()  # also sets the CSRF cookie
        check("Pay €476.00 now" in page, "the page offers 'Pay €476.00 now'")
        print("our page: Pay €476.00 now")
        token = found(CSRF.search(page), "the page carries a CSRF token")
        at = post(opener, f"{link}/pay", {"csrf_token": token})
        check("/pay/sandbox/" in at, "Pay leads to the sandbox's page")
        print("click 1 (Pay) -> the sandbox's pay page")
        sandbox_page = opener.open(at, timeout=10).read().decode()
        choice = found(CSRF.search(sandbox_page), "the sandbox's page carries a CSRF token")
        back = post(opener, at, {"csrf_token": choice, "outcome": "succeed"})
        check(back.endswith("?checkout=success"), "Succeed leads back to our page")
        print("click 2 (Succeed) -> back on our page")
    paid = billing.seller(seller_id).invoices.get(invoice_id)
    print(f"invoice {paid.number}: {paid.status}")
    check(str(paid.status) == "paid", "the invoice is paid")
    billing.close()


if __name__ == "__main__":
    main()

"""Get paid in two clicks: issue, e-mail the pay link, pay in chromium through the sandbox, receipt.

Run it with ``python examples/get_paid.py`` (needs the ``web`` and ``testing`` extras
and Debian's chromium with the ``playwright`` package: ``pip install -e '.[dev]'``).
Everything runs on this machine: an SMTP server, the web app under uvicorn and the
sandbox payment provider, all on 127.0.0.1. The payer opens the link from the e-mail,
presses "Pay …" on the hosted invoice page and "Succeed" on the sandbox's page; the
sandbox sends its signed webhook to the app, which records the payment; the invoice
is paid and exactly one receipt e-mail arrives.
"""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import invoicekit as ik
from invoicekit import FixedClock, SandboxPayments, SmtpNotifier, TemplateRenderer
from invoicekit.testing.smtp import LoopbackSmtpServer
from invoicekit.web import create_app
from invoicekit.web.loopback import LoopbackServer

CHROMIUM = "/usr/bin/chromium"
SECRET_KEY = "example-only-secret-key-0123456789abcdef"  # noqa: S105 - a demo key on loopback
WEBHOOK_SECRET = "whsec_ZXhhbXBsZS1vbmx5LXdlYmhvb2stc2VjcmV0LTMyYnk="  # noqa: S105 - a demo secret


def check(condition: object, what: str) -> None:
    """Stop with a message when something the example promises did not happen."""
    if not condition:
        raise SystemExit(f"not as promised: {what}")


def found(match: re.Match[str] | None, what: str) -> str:
    """The text ``match`` found; stops with a message when it found nothing."""
    if match is None:
        raise SystemExit(f"not as promised: {what}")
    return match.group(match.lastindex or 0)


def pay_in_chromium(link: str) -> str:
    """Open ``link`` in chromium, click "Pay …" then "Succeed"; return what the page says."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 375, "height": 667}, is_mobile=True)
        page.goto(link, wait_until="load")
        page.get_by_role("button", name="Pay").click()  # click 1, on our page
        page.get_by_role("button", name="Succeed").click()  # click 2, on the sandbox's page
        page.wait_for_url("**checkout=success")
        status = page.locator("[data-status]").inner_text()
        browser.close()
    return status


def main() -> None:
    smtp = LoopbackSmtpServer().start()
    web = LoopbackServer()  # the port is taken now: the URLs below can name it
    clock = FixedClock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    sandbox = SandboxPayments(
        base_url=web.url,
        webhook_url=f"{web.url}/webhooks/sandbox",
        secrets=[WEBHOOK_SECRET],
        clock=clock,
    )
    billing = ik.Billing.sqlite(
        Path(tempfile.mkdtemp()) / "billing.db",
        clock=clock,
        payments=sandbox,
        pay_url=web.url,
        renderer=TemplateRenderer(qr=False),
        notifiers=[
            SmtpNotifier(
                "127.0.0.1", smtp.port, sender="billing@northwind.example", security="none"
            )
        ],
    )
    seller = billing.sellers.create(
        name="Northwind Studio",
        country="DE",
        currency="EUR",
        timezone="Europe/Berlin",
        bank_account=ik.BankAccount("DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX"),
    )
    books = billing.seller(seller.id)
    client = books.customers.create("Globex GmbH", email="ap@globex.example")
    draft = books.invoices.draft(
        client.id,
        lines=[
            ik.Line(
                "Website redesign",
                quantity=Decimal("12.5"),
                unit_price=Decimal("80.00"),
                tax=ik.Vat("19"),
            )
        ],
    )
    invoice = books.invoices.issue(draft.id)
    books.invoices.send(invoice.id, channels=["email"])
    [mail] = smtp.wait_for(1)
    print(f"e-mail: {mail.subject!r} to {', '.join(mail.rcpt_tos)}")
    link = found(
        re.search(re.escape(web.url) + r"/i/[A-Za-z0-9_-]{43}", mail.text),
        "the e-mail links to the hosted pay page",
    )
    print("pay link: <our page>/i/<token of 256 bits>")

    with web.serve(create_app(billing, secret_key=SECRET_KEY, sandbox=sandbox)):
        status = pay_in_chromium(link)
    print(f"the page says: {status}")

    paid = books.invoices.get(invoice.id)
    print(f"invoice {paid.number}: {paid.status}, due {paid.amount_due} {paid.currency}")
    check(str(paid.status) == "paid", "the invoice is paid")
    mails = smtp.wait_for(3, timeout=2.0)  # two expected; a third would be a duplicate
    receipts = [m for m in mails if m is not mail]
    check(len(receipts) == 1, "exactly one receipt e-mail arrived")
    print(f"receipt e-mails: {len(receipts)} ({receipts[0].subject!r})")
    smtp.stop()
    billing.close()


if __name__ == "__main__":
    main()

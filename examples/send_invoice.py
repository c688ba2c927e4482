"""Issue one invoice and watch it arrive: by e-mail, SMS, webhook and in the in-app inbox.

Run it with ``python examples/send_invoice.py`` (needs the ``testing`` extra for
the local SMTP server, ``sms`` for phone numbers, and ``pdf`` and ``qr`` for the
PDF and the EPC QR code: ``pip install -e '.[testing,sms,pdf,qr]'``). Everything
is real and runs on this machine: an SMTP server on 127.0.0.1, an SMS gateway
stub and a webhook receiver speaking HTTP on 127.0.0.1. Nothing leaves it.
"""

from __future__ import annotations

import json
import tempfile
import threading
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs

import invoicekit as ik
from invoicekit import (
    FixedClock,
    HttpSmsGateway,
    ManualPayments,
    SmsNotifier,
    SmtpNotifier,
    TemplateRenderer,
    WebhookNotifier,
)
from invoicekit.adapters.notify.signing import verify
from invoicekit.testing.smtp import LoopbackSmtpServer

WEBHOOK_SECRET = "whsec-example-only-0123456789"  # noqa: S105 - a demo secret on loopback


def check(condition: object, what: str) -> None:
    """Stop with a message when something the example promises did not happen."""
    if not condition:
        raise SystemExit(f"not as promised: {what}")


class Receiver(BaseHTTPRequestHandler):
    """Records every POST: the SMS gateway stub and the webhook receiver in one."""

    received: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        """Answer like a Twilio-style messages API (201 with a sid) and keep the request."""
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.received.append((self.path, dict(self.headers), body))
        answer = json.dumps({"sid": f"SM{len(self.received):032d}", "status": "queued"})
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


def main() -> None:
    http = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{http.server_address[1]}"
    smtp = LoopbackSmtpServer().start()

    billing = ik.Billing.sqlite(
        Path(tempfile.mkdtemp()) / "billing.db",
        clock=FixedClock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC)),
        payments=ManualPayments(),
        renderer=TemplateRenderer(),
        notifiers=[
            SmtpNotifier(
                "127.0.0.1", smtp.port, sender="billing@northwind.example", security="none"
            ),
            SmsNotifier(HttpSmsGateway("AC123", "token", from_number="+4930123456", base_url=base)),
            WebhookNotifier(f"{base}/hooks/invoices", secret=WEBHOOK_SECRET),
        ],
        attach_pdf=True,
    )
    seller = billing.sellers.create(
        name="Northwind Studio",
        country="DE",
        currency="EUR",
        timezone="Europe/Berlin",
        bank_account=ik.BankAccount("DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX"),
    )
    books = billing.seller(seller.id)
    client = books.customers.create(
        "Globex GmbH",
        email="ap@globex.example",
        phone="+4915112345678",
        channels=["email", "sms", "webhook", "in_app"],
    )
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
    messages = books.invoices.send(invoice.id)

    [mail] = smtp.wait_for(1)
    print(f"e-mail: {mail.subject!r} to {', '.join(mail.rcpt_tos)}")
    check(
        invoice.number is not None and invoice.number in mail.subject,
        "invoice.number is not None and invoice.number in mail.subject",
    )
    html = mail.html or ""
    for answer in ("purpose", "amount-due", "due-date", "how-to-pay"):
        check(f'data-answer="{answer}"' in html, answer)
    check(
        "DE89 3704 0044 0532 0130 00" in html, '"DE89 3704 0044 0532 0130 00" in html'
    )  # bank details, invoice number as reference
    check(
        'src="data:image/svg+xml;base64,' in html, "'src=\"data:image/svg+xml;base64,' in html"
    )  # the EPC QR code, inline
    check("1,190.00" in mail.text, '"1,190.00" in mail.text')
    [(filename, media_type, pdf)] = mail.attachments()
    check(
        media_type == "application/pdf" and pdf.startswith(b"%PDF"),
        'media_type == "application/pdf" and pdf.startswith(b"%PDF")',
    )
    print(f"  with {filename} ({len(pdf):,} bytes), Message-ID {mail.message_id}")

    sms = [(p, b) for p, _, b in Receiver.received if p.endswith("/Messages.json")]
    hooks = [(h, b) for p, h, b in Receiver.received if p == "/hooks/invoices"]
    check(len(sms) == 1 and len(hooks) == 1, "len(sms) == 1 and len(hooks) == 1")
    print(f"sms: {parse_qs(sms[0][1].decode())['Body'][0]!r}")
    headers, body = hooks[0]
    verify(WEBHOOK_SECRET, headers, body)  # raises unless the signature is ours
    print(f"webhook: {json.loads(body)['data']['amount_due']} due, signature verified")
    inbox = books.inbox.list(client.id)
    check(len(inbox) == 1, "len(inbox) == 1")
    print(f"in-app: {inbox[0].title!r} ({books.inbox.unread_count(client.id)} unread)")
    print(
        f"{len(messages)} messages: " + ", ".join(f"{m.channel} {m.status.value}" for m in messages)
    )

    posts = len(Receiver.received)  # the SMS and the webhook
    books.invoices.send(invoice.id)  # again: the same keys, so nothing new goes out
    check(len(smtp.messages) == 1, "one e-mail in all")
    check(len(Receiver.received) == posts, "no new SMS or webhook")
    print("sending again delivered nothing new: each recipient saw each message once")
    billing.close()
    smtp.stop()
    http.shutdown()


if __name__ == "__main__":
    main()

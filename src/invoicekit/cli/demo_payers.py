"""How the demo's clients pay, day by day: bank transfers, halves, cards through the sandbox.

Card payments go the way a payer's would: the pay link from the invoice e-mail opens a
checkout on the sandbox provider (``billing.pay_pages.checkout``), the payer's choice on
the sandbox page (``SandboxPayments.choose``) sends a signed webhook over loopback HTTP,
and ``billing.webhooks.receive`` records the payment. Saved cards are saved as the pay
page's "save this card" box saves them (its consent wording, ``save_payment_method``);
``run_due`` charges them, and retries a declined one.
"""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Final, Literal, Self

from invoicekit.adapters.payments.sandbox_charges import TEST_CARDS
from invoicekit.domain.status import Status
from invoicekit.web.sandbox_page import CONSENT

if TYPE_CHECKING:
    from invoicekit.adapters.payments.sandbox import SandboxPayments
    from invoicekit.cli.demo_agency import Habit
    from invoicekit.domain.invoice import Invoice
    from invoicekit.services.billing import Billing, SellerBooks

__all__ = ["Payers", "WebhookReceiver"]

#: Days after issue when each habit acts (the invoices are due at 14 days).
ON_TIME: Final = 10
LATE: Final = 24
HALVES: Final = (7, 25)
CARD: Final = 3
#: The day the client whose saved card is declined saves a working one: after the first
#: retry (day 1) failed too, before the second (day 3) goes through.
NEW_CARD: Final = 2
#: The sandbox's test cards: one that works, one whose charges fail for want of funds.
GOOD_CARD: Final = "4242424242424242"
EMPTY_CARD: Final = "4000000000009995"
_OPEN: Final = frozenset({Status.PENDING, Status.PARTIALLY_PAID, Status.OVERDUE, Status.FAILED})


class WebhookReceiver:
    """A loopback HTTP endpoint that hands the sandbox's signed webhooks to ``billing``."""

    def __init__(self) -> None:
        self.billing: Billing | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                assert receiver.billing is not None  # noqa: S101 - set before any payment
                receiver.billing.webhooks.receive("sandbox", body, headers)
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the demo reports what it did itself."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class Payers:
    """Plays out each client's habit on the invoices they were sent."""

    def __init__(
        self, billing: Billing, books: SellerBooks, sandbox: SandboxPayments, *, seller: str
    ) -> None:
        self._seller = seller
        self._billing = billing
        self._books = books
        self._sandbox = sandbox
        #: Invoice id -> the habit of its client, the pay link of its e-mail, its issue date.
        self.open: dict[str, tuple[Habit, str | None, date]] = {}

    def start(self, customer_id: str, habit: Habit) -> None:
        """Before the first invoice: the client whose card will be declined saves it."""
        if habit == "card_fails":
            assert TEST_CARDS[EMPTY_CARD][1] == "insufficient_funds"  # noqa: S101 - the story
            self.save_card(customer_id, EMPTY_CARD)

    def save_card(self, customer_id: str, card: str) -> None:
        """Save ``card`` for the customer, as the pay page does when "save this card" is ticked."""
        consent = CONSENT.format(seller=self._seller)
        method = self._sandbox.save_method(customer_id, consent=consent, card=card)
        self._books.customers.save_payment_method(customer_id, method)

    def track(self, invoice_id: str, habit: Habit, pay_link: str | None, issued: date) -> None:
        """Follow ``invoice_id`` from now on (its first pay link is kept)."""
        if invoice_id not in self.open:
            self.open[invoice_id] = (habit, pay_link, issued)

    def day(self, today: date) -> None:
        """Let every client act on the invoices they were sent, ``today``."""
        for invoice_id, (habit, link, issued) in list(self.open.items()):
            age = (today - issued).days
            if age > LATE + 10:
                self.open.pop(invoice_id)  # nobody acts on it any more
            if not _acts(habit, age):
                continue
            invoice = self._books.invoices.get(invoice_id)
            if invoice.status in _OPEN:
                self._pay(invoice, habit, age, link)

    def _pay(self, invoice: Invoice, habit: Habit, age: int, link: str | None) -> None:
        key = f"demo-{invoice.id}-{age}"
        if habit in {"on_time", "late"}:
            self._books.payments.record(invoice.id, invoice.amount_due, payment_id=key)
        elif habit == "partial":
            half = (invoice.totals.payable / 2).quantize(Decimal("0.01"))
            amount = half if age == HALVES[0] else invoice.amount_due
            self._books.payments.record(invoice.id, min(amount, invoice.amount_due), payment_id=key)
        elif habit in {"card", "saved_card"} and link is not None:
            self.pay_by_card(link, "succeed")
            if habit == "saved_card":  # ticked "save this card": run_due charges the next ones
                self.save_card(invoice.customer_id, GOOD_CARD)
        elif habit == "card_fails" and invoice.status is Status.FAILED:
            self.save_card(invoice.customer_id, GOOD_CARD)  # the retry on day 3 goes through

    def pay_by_card(self, link: str, outcome: Literal["succeed", "decline"]) -> None:
        """The payer opens ``link``, presses Pay, then ``outcome`` on the sandbox's page."""
        token = link.rsplit("/i/", 1)[1]
        checkout_url = self._billing.pay_pages.checkout(token)
        reason = "insufficient_funds" if outcome == "decline" else None
        self._sandbox.choose(checkout_url.rsplit("/", 1)[1], outcome, reason=reason)


def _acts(habit: Habit, age: int) -> bool:
    """Whether a client of ``habit`` does something on an invoice ``age`` days old."""
    days: dict[str, tuple[int, ...]] = {
        "on_time": (ON_TIME,),
        "late": (LATE,),
        "partial": HALVES,
        "card": (CARD,),
        "saved_card": (CARD,),
        "card_fails": (NEW_CARD,),
        "never": (),
    }
    return age in days[habit]

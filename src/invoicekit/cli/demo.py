"""``invoicekit demo``: a marketing agency bills 15 clients for a year on the embedded SQLite store.

Time is simulated (a ``FixedClock`` moved a day at a time) and ``billing.run_due()`` runs
every day: it generates the monthly retainers from their recurring templates and the
invoices of two subscriptions (one moves to a bigger plan mid-January, prorated; one is
billed on the ad impressions recorded every day, in tiers), issues and sends them, marks what is overdue, sends reminders, adds late fees and final notices.
The clients pay (``demo_payers``). A process pool sized to the machine's cores draws
the PDFs from the e-mails' HTML meanwhile, and writes the documents and e-mails at the
end (``demo_files``).
"""

from __future__ import annotations

import importlib.util
import os
import random
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Final

from invoicekit.adapters.notify.files import FileNotifier
from invoicekit.adapters.payments.sandbox import SandboxPayments
from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.cli.demo_agency import CLIENTS, FIRST_DAY, POLICY, START, Client
from invoicekit.cli.demo_files import (
    Mailbox,
    Sent,
    pdf_key,
    render_pdf,
    write_documents,
    write_emails,
    write_inbox,
)
from invoicekit.cli.demo_payers import Payers, WebhookReceiver
from invoicekit.cli.demo_summary import DemoResult, tally
from invoicekit.domain.line import Line
from invoicekit.domain.parties import Address, BankAccount
from invoicekit.domain.schedule import Schedule
from invoicekit.domain.tax import Vat
from invoicekit.domain.terms import NetDays
from invoicekit.services.billing import Billing, SellerBooks
from invoicekit.testing.clock import FixedClock

if TYPE_CHECKING:
    from invoicekit.records import OutgoingMessage
    from invoicekit.services.due_report import DueReport

__all__ = ["run_demo"]

SENDER: Final = "Brightside Marketing <billing@brightside.example>"
#: A webhook secret for the sandbox on loopback; it never leaves this process.
_SECRET: Final = "whsec_ZGVtby1vbmx5LXNhbmRib3gtd2ViaG9vay1zZWNyZXQtMzI="  # noqa: S105
#: The output's parts, removed before a new run.
PARTS: Final = ("billing.db", "documents", "emails", "sms", "in_app")
#: Days simulated after the last retainer, so its reminders and final notices go out too.
TAIL_DAYS: Final = 35
#: The day of the month one-off projects are billed.
PROJECT_DAY: Final = 15
#: One-off projects: what they are and their price range.
PROJECTS: Final = (
    ("Product launch campaign", 2500, 6000),
    ("Brand workshop (2 days)", 1800, 2400),
    ("Trade fair booth design", 3000, 7500),
    ("Newsletter redesign", 900, 1500),
)

#: What a step reports: (what, done so far, total).
Report = Callable[[str, int, int], None]


def _quiet(what: str, done: int, total: int) -> None:
    """No progress display."""


def run_demo(out: Path, *, months: int = 12, seed: int = 7, report: Report = _quiet) -> DemoResult:
    """Simulate ``months`` of the agency into ``out`` and return what happened."""
    out.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        path = out / part
        if path.is_dir():
            shutil.rmtree(path)
        path.unlink(missing_ok=True)
    clock = FixedClock(START)
    mailbox = Mailbox(clock)
    with (
        WebhookReceiver() as receiver,
        ProcessPoolExecutor(max_workers=_cores(), mp_context=get_context("forkserver")) as pool,
    ):
        sandbox = SandboxPayments(
            base_url=f"{receiver.url}/pay",
            webhook_url=f"{receiver.url}/webhooks/sandbox",
            secrets=[_SECRET],
            clock=clock,
        )
        billing = Billing(
            # NORMAL: a commit survives a crash of the process, not of the machine (a demo's
            # trade: it commits thousands of times and need not wait for the disk each time).
            storage=SqliteStorage.open(out / "billing.db", synchronous="NORMAL"),
            clock=clock,
            payments=sandbox,
            pay_url=f"{receiver.url}/pay",
            notifiers=[mailbox, FileNotifier(out / "sms", channel="sms", clock=clock)],
        )
        receiver.billing = billing
        pdfs = _Pdfs(pool, out / "documents")
        agency = _Agency(billing, clock, mailbox, sandbox, rng=random.Random(seed), months=months)  # noqa: S311 - not security
        agency.simulate(report, pdfs.submit)
        paths = pdfs.wait(report)
        _write(pool, mailbox.sent, paths, out, report)
        for customer_id in agency.customers.values():
            write_inbox(agency.books.inbox.list(customer_id, limit=1000), out / "in_app")
        result = tally(agency.books, out, months=months, pdf=pdfs.enabled, charges=agency.charges)
        billing.close()
    return result


def _cores() -> int:
    """The cores this process may run on (the pool's size)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _write(
    pool: ProcessPoolExecutor, sent: list[Sent], pdfs: dict[str, Path], out: Path, report: Report
) -> None:
    """The workers write the HTML documents and the e-mails, a share of the e-mails each."""
    numbered = list(enumerate(sent, 1))
    shares = _cores()
    futures = [pool.submit(write_documents, numbered, out / "documents")]
    futures += [
        pool.submit(write_emails, numbered[n::shares], pdfs, out / "emails", SENDER)
        for n in range(shares)
    ]
    for done, future in enumerate(futures, 1):
        future.result()
        report("Writing documents and e-mails", done, len(futures))


class _Pdfs:
    """PDFs drawn in the process pool while the simulation goes on, once per key."""

    def __init__(self, pool: ProcessPoolExecutor, folder: Path) -> None:
        self._pool = pool
        self._folder = folder
        self.enabled = importlib.util.find_spec("weasyprint") is not None
        self._futures: dict[str, Future[Path]] = {}

    def submit(self, message: OutgoingMessage) -> None:
        """Draw the PDF of the invoice or credit note ``message`` is about, from its HTML, once."""
        key = pdf_key(message)
        if not self.enabled or key in self._futures or message.html is None:
            return
        number = message.data.get("number") or message.invoice_id
        path = self._folder / message.kind / f"{message.kind}-{number}.pdf"
        self._futures[key] = self._pool.submit(render_pdf, message.html, path)

    def wait(self, report: Report) -> dict[str, Path]:
        """Every PDF's path by key, once all are written."""
        for n, future in enumerate(self._futures.values(), 1):
            future.result()
            report("Rendering PDFs", n, len(self._futures))
        return {key: future.result() for key, future in self._futures.items()}


#: What the simulation hands the pool: an invoice's or credit note's e-mail.
Submit = Callable[["OutgoingMessage"], None]


class _Agency:
    """The agency's books and a year of its days."""

    def __init__(
        self,
        billing: Billing,
        clock: FixedClock,
        mailbox: Mailbox,
        sandbox: SandboxPayments,
        *,
        rng: random.Random,
        months: int,
    ) -> None:
        self.billing, self.clock, self.mailbox, self.rng = billing, clock, mailbox, rng
        self.months = months
        seller = billing.sellers.create(
            name="Brightside Marketing",
            legal_name="Brightside Marketing GmbH",
            country="DE",
            currency="EUR",
            timezone="Europe/Berlin",
            tax_id="DE811234567",
            email="billing@brightside.example",
            address=Address("DE", line1="Torstraße 1", city="Berlin", postal_code="10119"),
            bank_account=BankAccount("DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX"),
            terms=NetDays(14),
            send_on_issue=True,
            collection="charge_automatically",
            collect_on="on_issue",
            reminder_minimum={"EUR": Decimal("1.00")},
            dunning=POLICY,
        )
        self.books: SellerBooks = billing.seller(seller.id)
        self.customers: dict[str, str] = {}
        self.habits: dict[str, Client] = {}
        for client in CLIENTS:
            customer = self.books.customers.create(
                client.name,
                email=client.email,
                phone=client.phone,
                locale=client.locale,
                channels=client.channels,
            )
            self.customers[client.name] = customer.id
            self.habits[customer.id] = client
            self.books.recurring.create(
                customer.id,
                schedule=Schedule.monthly(FIRST_DAY, "Europe/Berlin"),
                lines=[
                    Line(
                        "Marketing retainer, {month_name} {year}",
                        quantity=Decimal("1"),
                        unit_price=client.retainer,
                        tax=Vat("19"),
                    )
                ],
                count=months,
            )
        self._subscriptions()
        #: Automatic charges: "first charge" or "retry" -> (charged, declined).
        self.charges: dict[str, tuple[int, int]] = {}
        self.payers = Payers(billing, self.books, sandbox, seller=seller.name)
        for customer_id, client in self.habits.items():
            self.payers.start(customer_id, client.habit)

    def simulate(self, report: Report, submit: Submit) -> None:
        """Every day: clients pay, projects are billed, ``run_due`` does the rest."""
        last = _add_months(FIRST_DAY, self.months)
        days = (last - FIRST_DAY).days + TAIL_DAYS
        seen = 0
        for n in range(days):
            today = FIRST_DAY + timedelta(days=n)
            self.clock.set(START.replace(hour=10) + timedelta(days=n))
            self.payers.day(today)
            if today.day == PROJECT_DAY and today < last:
                self._projects(today)
            if today == FIRST_DAY + timedelta(days=45):
                self._dispute()
            self._subscription_day(today, last)
            self._count_charges(self.billing.run_due())
            seen = self._follow(seen, today, submit)
            report(f"Simulating {self.months} months", n + 1, days)

    def _subscriptions(self) -> None:
        """Two clients on plans: Stark moves up mid-January, Vandelay pays for ad impressions."""
        vat = Vat("19")
        fee = {"currency": "EUR", "kind": "fixed", "tax": vat}
        self.books.plans.create(
            "Social Basic",
            frequency="monthly",
            id="social-basic",
            prices=[
                {
                    **fee,
                    "id": "social-basic",
                    "description": "Social media, Basic",
                    "unit_amount": "400.00",
                }
            ],
        )
        self.books.plans.create(
            "Social Pro",
            frequency="monthly",
            id="social-pro",
            prices=[
                {
                    **fee,
                    "id": "social-pro",
                    "description": "Social media, Pro",
                    "unit_amount": "650.00",
                },
                {
                    "id": "channels",
                    "description": "Extra channels",
                    "currency": "EUR",
                    "kind": "seats",
                    "unit_amount": "75.00",
                    "tax": vat,
                },
            ],
        )
        self.books.plans.create(
            "Ads",
            frequency="monthly",
            id="ads",
            prices=[
                {**fee, "id": "ads-fee", "description": "Ad management", "unit_amount": "300.00"},
                {
                    "id": "impressions",
                    "description": "Ad impressions",
                    "currency": "EUR",
                    "kind": "metered",
                    "model": "graduated",
                    "meter": "impressions",
                    "tax": vat,
                    "tiers": [
                        {"up_to": 100_000, "unit_amount": "0.002"},
                        {"up_to": None, "unit_amount": "0.001"},
                    ],
                },
            ],
        )
        stark, vandelay = self.customers["Stark Textil"], self.customers["Vandelay Import"]
        self.social = self.books.subscriptions.create(stark, plan_id="social-basic").id
        self.ads = self.books.subscriptions.create(vandelay, plan_id="ads").id

    def _subscription_day(self, today: date, last: date) -> None:
        """Vandelay's impressions of the day; Stark's plan change; both end with the demo."""
        if today < last:
            self.books.usage.record(
                self.ads, "impressions", self.rng.randrange(2_000, 9_000), key=f"ads-{today}"
            )
        if today == FIRST_DAY + timedelta(days=15):
            self.books.subscriptions.change_plan(
                self.social, "social-pro", quantities={"channels": 2}
            )
        if today == last - timedelta(days=1):
            for sub_id in (self.social, self.ads):
                self.books.subscriptions.cancel(sub_id, at_period_end=True)

    def _count_charges(self, report: DueReport) -> None:
        """Count the automatic charges ``run_due`` made: first attempts and retries, and how they went."""
        for entry in report.entries:
            if entry.outcome != "done" or entry.action not in {"charge", "retry_collection"}:
                continue
            attempt = "first charge" if entry.action == "charge" else "retry"
            charged, declined = self.charges.get(attempt, (0, 0))
            if (entry.reason or "").startswith("charged"):
                self.charges[attempt] = (charged + 1, declined)
            else:
                self.charges[attempt] = (charged, declined + 1)

    def _follow(self, seen: int, today: date, submit: Submit) -> int:
        """Track the invoices e-mailed since ``seen``; send them and credit notes to the PDF pool."""
        for one in self.mailbox.sent[seen:]:
            message = one.message
            if message.kind not in {"invoice", "credit_note"} or message.invoice_id is None:
                continue
            if message.kind == "invoice":
                client = self.habits[message.customer_id]
                self.payers.track(message.invoice_id, client.habit, message.url, today)
            submit(message)
        return len(self.mailbox.sent)

    def _projects(self, today: date) -> None:
        """Mid-month, one or two clients get a one-off project invoice."""
        for name in self.rng.sample(sorted(self.customers), self.rng.choice((1, 2))):
            what, low, high = self.rng.choice(PROJECTS)
            price = Decimal(self.rng.randrange(low, high, 50))
            draft = self.books.invoices.draft(
                self.customers[name],
                lines=[
                    Line(
                        f"{what}, {today:%B %Y}",
                        quantity=Decimal("1"),
                        unit_price=price,
                        tax=Vat("19"),
                    )
                ],
            )
            self.books.invoices.issue(draft.id)  # sent at once: send_on_issue

    def _dispute(self) -> None:
        """Hooli disputes part of its January retainer: a credit note, e-mailed."""
        customer_id = self.customers["Hooli S.L."]
        [first, *_] = self.books.invoices.list(customer_id=customer_id, limit=1)
        note = self.books.invoices.credit(
            first.id,
            lines=[
                Line(
                    "Retainer reduced: campaign postponed",
                    quantity=Decimal("1"),
                    unit_price=Decimal("300.00"),
                    tax=Vat("19"),
                )
            ],
            reason="The January campaign was postponed by the agency",
        )
        self.books.invoices.send(first.id, kind="credit_note", about=note.id)


def _add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)

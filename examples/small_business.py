"""A small design studio bills its clients for six months, with nobody clicking anything.

Run it with ``python examples/small_business.py [output folder]`` (default
``./demo-output``). Everything is stored in one SQLite file; time is simulated
with a clock that moves a day at a time. Each month the studio issues a
retainer invoice to every client, and each invoice goes out at once by e-mail
(written as ``.eml`` files you can open in any mail program), SMS and webhook
(``.json`` files) and the in-app inbox. Clients pay in full, in part, late or
not at all; every morning ``billing.run_due()`` chases what is open by the
studio's dunning policy (a friendly reminder before the due date, firmer ones
after it, a final notice), receipts follow payments, and a disputed line is
credited.

Look at ``<output>/invoices/*.html`` (and ``.pdf`` with the ``pdf`` extra) for
the rendered documents and ``<output>/outbox/`` for every message sent.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import invoicekit as ik
from invoicekit import (
    Address,
    BankAccount,
    DunningPolicy,
    FileNotifier,
    FixedClock,
    Step,
    TemplateRenderer,
)
from invoicekit.ports import DocumentContext

MONTHS = 6
#: Days after issue when the punctual and the late client pay.
PAYS_ON_TIME, PAYS_LATE = 10, 20
#: The studio's reminders: 3 days before the due date, 3 and 10 days after, final notice at 20.
POLICY = DunningPolicy(
    steps=[Step(days=-3), Step(days=3), Step(days=10), Step(days=20, kind="final_notice")],
    send_at=time(9),
    skip_weekends=False,
)
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

#: (name, locale, e-mail, phone, channels, how they pay: "on time", "half", "late", "never")
CLIENTS = (
    ("Globex GmbH", "de_DE", "ap@globex.example", "+4915112345678", ("email", "in_app"), "on time"),
    ("Initech SARL", "fr_FR", "compta@initech.example", "+33612345678", ("email", "sms"), "half"),
    ("Hooli S.L.", "es_ES", "facturas@hooli.example", "+34612345678", ("email", "webhook"), "late"),
    ("Umbrella Ltd", "en", "ap@umbrella.example", "+447700900123", ("email",), "never"),
)


def has(module: str) -> bool:
    """Whether an optional package is installed."""
    return importlib.util.find_spec(module) is not None


def main(out: Path) -> None:
    """Run six simulated months and print what happened."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "billing.db").unlink(missing_ok=True)
    clock = FixedClock(START)
    outbox = out / "outbox"
    renderer = TemplateRenderer()  # with the EPC QR code when the qr extra is installed
    billing = ik.Billing.sqlite(
        out / "billing.db",
        clock=clock,
        renderer=renderer,
        notifiers=[  # on the simulated clock: the e-mails' Date is the day they went out
            FileNotifier(
                outbox / "email", channel="email", sender="billing@northwind.example", clock=clock
            ),
            FileNotifier(outbox / "sms", channel="sms", clock=clock),
            FileNotifier(outbox / "webhook", channel="webhook", clock=clock),
        ],
        attach_pdf=has("weasyprint"),
    )
    seller = billing.sellers.create(
        name="Northwind Studio",
        legal_name="Northwind Studio GmbH",
        country="DE",
        currency="EUR",
        timezone="Europe/Berlin",
        tax_id="DE811234567",
        email="billing@northwind.example",
        address=Address("DE", line1="Torstraße 1", city="Berlin", postal_code="10119"),
        bank_account=BankAccount("DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX"),
        terms=ik.NetDays(14),
        send_on_issue=True,
        reminder_minimum={"EUR": Decimal("1.00")},  # no final notice for a cent of rounding
        dunning=POLICY,  # what run_due sends when
    )
    books = billing.seller(seller.id)
    clients = []
    for name, locale, email, phone, channels, habit in CLIENTS:
        customer = books.customers.create(
            name,
            email=email,
            phone=phone,
            locale=locale,
            channels=channels,
            webhook_url="https://hooks.hooli.example/invoices" if "webhook" in channels else None,
        )
        clients.append((customer, habit))

    issued: list[ik.Invoice] = []
    for month in range(MONTHS):
        first = clock.now()
        for customer, _ in clients:
            draft = books.invoices.draft(
                customer.id,
                lines=[
                    ik.Line(
                        f"Design retainer, {first:%B %Y}",
                        quantity=Decimal("1"),
                        unit_price=Decimal("1200.00"),
                        tax=ik.Vat("19"),
                    ),
                    ik.Line(
                        "Extra hours",
                        quantity=Decimal(3 + month % 4) + Decimal("0.5"),
                        unit="HUR",
                        unit_price=Decimal("85.00"),
                        tax=ik.Vat("19"),
                    ),
                ],
            )
            issued.append(books.invoices.issue(draft.id))  # sent at once: send_on_issue
        if month == 1:  # Hooli disputes an hour of last month's work: credit it
            disputed = next(i for i in issued if i.customer_id == clients[2][0].id)
            note = books.invoices.credit(
                disputed.id,
                lines=[
                    ik.Line(
                        "Extra hours (disputed)",
                        quantity=Decimal("1"),
                        unit_price=Decimal("85.00"),
                        tax=ik.Vat("19"),
                    )
                ],
                reason="One hour was billed twice",
            )
            books.invoices.send(disputed.id, kind="credit_note", about=note.id)
        for _ in range(28):  # the month goes by, a day at a time
            clock.advance(timedelta(days=1))
            day = clock.now()
            for invoice in [i for i in issued if i.issue_date and i.issue_date >= date(2026, 1, 1)]:
                current = books.invoices.get(invoice.id)
                if current.status in {ik.Status.PAID, ik.Status.VOID}:
                    continue
                habit = {c.id: h for c, h in clients}[current.customer_id]
                pay_on_day(books, current, habit, day)
            billing.run_due()  # overdue, reminders and the final notice, each once, by POLICY
    summary(books, issued, out, renderer)


def pay_on_day(books: ik.SellerBooks, invoice: ik.Invoice, habit: str, day: datetime) -> None:
    """The client's payment habit, played out on ``day``."""
    if invoice.issue_date is None:
        return
    age = (day.date() - invoice.issue_date).days
    payment = f"pay-{invoice.number}-{age}"
    if habit == "on time" and age == PAYS_ON_TIME:
        books.payments.record(invoice.id, invoice.amount_due, payment_id=payment)
    elif habit == "half" and age in {7, 21}:
        amount = (invoice.totals.payable / 2).quantize(Decimal("0.01"))
        books.payments.record(invoice.id, min(amount, invoice.amount_due), payment_id=payment)
    elif habit == "late" and age == PAYS_LATE:
        books.payments.record(invoice.id, invoice.amount_due, payment_id=payment)
    # The receipt goes out by itself: it is queued with the payment (Seller.send_receipts).


def summary(
    books: ik.SellerBooks, issued: list[ik.Invoice], out: Path, renderer: TemplateRenderer
) -> None:
    """Write every invoice's document and print the books."""
    folder = out / "invoices"
    folder.mkdir(exist_ok=True)
    pdf = has("weasyprint")
    for invoice in issued:
        current = books.invoices.get(invoice.id)
        context = DocumentContext(as_of=current.issue_date)
        for media_type, suffix in (("text/html", "html"), ("application/pdf", "pdf")):
            if suffix == "pdf" and not pdf:
                continue
            doc = renderer.render("invoice", current, media_type=media_type, context=context)
            (folder / f"{current.number}.{suffix}").write_bytes(doc.content)
    statuses = Counter(books.invoices.get(i.id).status.value for i in issued)
    channels = Counter(m.channel for m in books.messages.list(limit=10_000) if m.status == "sent")
    kinds = Counter(m.kind for m in books.messages.list(limit=10_000) if m.status == "sent")
    print(f"{len(issued)} invoices over {MONTHS} months: {dict(sorted(statuses.items()))}")
    print(f"messages sent by channel: {dict(sorted(channels.items()))}")
    print(f"messages sent by kind: {dict(sorted(kinds.items()))}")
    print(f"failed messages: {len(books.messages.failed())}")
    print(
        f"documents: {folder}{' (HTML and PDF)' if pdf else ' (HTML; pip install invoicekit[pdf] for PDF)'}"
    )
    print(f"messages: {out / 'outbox'}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "demo-output"))

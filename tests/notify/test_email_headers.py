"""The e-mail a payer sees in the inbox: the subject as rendered, the seller's name, the books' time."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from pathlib import Path

import pytest

import invoicekit as ik
from invoicekit.adapters.notify.files import FileNotifier
from invoicekit.adapters.notify.mime import encoded_words
from invoicekit.adapters.notify.smtp import SmtpNotifier, email_for
from invoicekit.errors import ValidationError
from invoicekit.ports import OutgoingMessage
from invoicekit.testing import FixedClock

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SENDER = Address(addr_spec="billing@northwind.example")
SUBJECTS = (
    "Final notice: invoice INV-2026-00008 from Northwind Studio, €1,883.18 due since February 16, 2026",
    "Dernier rappel : facture INV-2026-00010 de Northwind Studio, 0,01\xa0€ dus depuis le 16 mars 2026",
    (
        "Rechnung INV-2026-00010 von Müller & Söhne für Design retainer, Mai 2026 und 4,5 × "
        "Extra hours: 1.234,00\xa0€ fällig am 16. März 2026"
    ),
    "Invoice INV-2026-00001 from Northwind Studio: $119.00 due March 31, 2026",
)


def message(subject: str = SUBJECTS[0], **data: str) -> OutgoingMessage:
    return OutgoingMessage(
        key="k1",
        channel="email",
        recipient="ap@globex.example",
        subject=subject,
        text="Hello",
        data=dict(data),
    )


def parsed(built: object) -> email.message.EmailMessage:
    raw = bytes(built)  # type: ignore[call-overload]
    assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n")), raw
    got: email.message.EmailMessage = email.message_from_bytes(raw, policy=policy.default)  # type: ignore[assignment]
    return got


@pytest.mark.parametrize("subject", SUBJECTS)
def test_the_subject_reads_exactly_as_rendered_without_a_double_space(subject: str) -> None:
    got = parsed(email_for(message(subject), sender=SENDER, at=AT))
    assert got["Subject"] == subject


def test_encoded_words_never_split_a_character() -> None:
    text = "€" * 40 + "ü" * 7
    words = encoded_words(text).split("\r\n ")
    assert len(words) > 1
    assert all(len(w) <= 64 for w in words)
    assert str(email.header.make_header(email.header.decode_header(" ".join(words)))) == text


def test_from_carries_the_sellers_name() -> None:
    got = parsed(email_for(message(seller="Northwind Studio"), sender=SENDER, at=AT))
    assert got["From"] == "Northwind Studio <billing@northwind.example>"
    assert got["From"].addresses[0].display_name == "Northwind Studio"
    accented = parsed(email_for(message(seller="Müller, Söhne & Co."), sender=SENDER, at=AT))
    assert accented["From"].addresses[0].display_name == "Müller, Söhne & Co."
    assert accented["From"].addresses[0].addr_spec == "billing@northwind.example"
    named = Address("Acme Billing", addr_spec="billing@acme.example")
    own = parsed(email_for(message(seller="Northwind Studio"), sender=named, at=AT))
    assert own["From"] == "Acme Billing <billing@acme.example>"  # the host's own name wins


@pytest.mark.parametrize("name", ["Northwind\r\nBcc: evil@x.example", "Northwind\nStudio"])
def test_a_seller_name_with_a_line_break_is_refused_not_injected(name: str) -> None:
    with pytest.raises(ValidationError, match=r"data\.seller"):
        email_for(message(seller=name), sender=SENDER, at=AT)


def test_the_date_header_is_the_clocks_time() -> None:
    notifier = SmtpNotifier("localhost", sender="billing@northwind.example", clock=FixedClock(AT))
    assert notifier.build(message())["Date"] == "Mon, 02 Mar 2026 09:30:00 +0000"


def test_sent_invoices_come_from_the_seller_by_name(tmp_path: Path) -> None:
    clock = FixedClock(AT)
    outbox = tmp_path / "email"
    notifier = FileNotifier(outbox, sender="billing@northwind.example", clock=clock)
    billing = ik.Billing.in_memory(clock=clock, notifiers=[notifier])
    seller = billing.sellers.create(name="Northwind Studio", country="DE", currency="EUR")
    books = billing.seller(seller.id)
    globex = books.customers.create("Globex", email="ap@globex.example")
    line = ik.Line("Consulting", quantity=1, unit_price="100.00", tax=ik.Vat("19"))
    invoice = books.invoices.issue(books.invoices.draft(globex.id, lines=[line]).id)
    books.invoices.send(invoice.id)
    [sent] = outbox.glob("*.eml")
    got = email.message_from_bytes(sent.read_bytes(), policy=policy.default)
    assert got["From"] == "Northwind Studio <billing@northwind.example>"
    assert got["Date"] == "Mon, 02 Mar 2026 09:30:00 +0000"
    assert got["Subject"].startswith("Invoice INV-")
    assert "  " not in got["Subject"]

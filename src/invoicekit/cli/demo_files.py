"""The demo's output: documents rendered in a process pool, e-mails as ``.eml`` with their PDF.

The simulation records each e-mail instead of writing it (``Mailbox``). The worker
processes draw each invoice's and credit note's PDF from the HTML the e-mail already
carries (rendered once, in the simulation) while the simulation goes on; at the end they
write the HTML documents and the ``.eml`` files, a share each, with that same PDF attached.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

from invoicekit.adapters.notify.headers import parse_mailbox
from invoicekit.adapters.notify.smtp import email_for
from invoicekit.records import Delivery, OutgoingMessage, RenderedDocument

if TYPE_CHECKING:
    from invoicekit.records import InboxItem
    from invoicekit.testing.clock import FixedClock

__all__ = [
    "Mailbox",
    "Sent",
    "pdf_key",
    "render_pdf",
    "write_documents",
    "write_emails",
    "write_inbox",
]

#: The kinds whose e-mail carries the invoice's (or credit note's) PDF.
ATTACHED: Final = frozenset({"invoice", "reminder", "final_notice", "credit_note"})


@attrs.frozen
class Sent:
    """One e-mail the simulation sent, and when."""

    message: OutgoingMessage
    at: datetime


class Mailbox:
    """The demo's e-mail notifier: keeps each message for ``write_emails``."""

    channel = "email"

    def __init__(self, clock: FixedClock) -> None:
        self._clock = clock
        self.sent: list[Sent] = []

    def send(self, message: OutgoingMessage) -> Delivery:
        """Keep ``message``, dated by the simulated clock."""
        now = self._clock.now()
        self.sent.append(Sent(message, now))
        return Delivery(message.key, "email", now, provider_id=message.key)


def pdf_key(message: OutgoingMessage) -> str:
    """Which PDF an e-mail of ``message.kind`` is about: its invoice's, or its credit note's."""
    if message.kind == "credit_note":
        return f"credit_note:{message.invoice_id}"
    return str(message.invoice_id)


def render_pdf(html: str, path: Path) -> Path:
    """Draw the PDF of a document's ``html`` (in a worker process) and write it to ``path``."""
    from invoicekit.adapters.render.pdf import render_pdf as draw

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(draw(html))
    return path


def write_emails(
    sent: list[tuple[int, Sent]], pdfs: dict[str, Path], folder: Path, sender: str
) -> int:
    """Write each (number, e-mail) as ``.eml``; ``pdfs`` maps ``pdf_key`` to the PDF attached."""
    folder.mkdir(parents=True, exist_ok=True)
    mailbox = parse_mailbox("sender", sender, allow_name=True, subject="demo")
    cache: dict[Path, bytes] = {}
    for n, one in sent:
        message = one.message
        pdf = pdfs.get(pdf_key(message)) if message.kind in ATTACHED else None
        if pdf is not None:
            content = cache.setdefault(pdf, pdf.read_bytes())
            attachment = RenderedDocument("application/pdf", content, pdf.name)
            message = attrs.evolve(message, attachments=(attachment,))
        name = f"{n:04d}-{one.at:%Y-%m-%d}-{message.kind}-{message.recipient}.eml"
        (folder / name).write_bytes(bytes(email_for(message, sender=mailbox, at=one.at)))
    return len(sent)


def write_documents(sent: list[tuple[int, Sent]], folder: Path) -> int:
    """Write the HTML of every document e-mailed (invoice, reminder, receipt, ...) once each."""
    written: set[str] = set()
    for _, one in sent:
        message = one.message
        number = message.data.get("number") or message.invoice_id
        name = f"{message.kind}-{number}-{one.at:%Y-%m-%d}.html"
        if message.html is None or name in written:
            continue
        written.add(name)
        (folder / message.kind).mkdir(parents=True, exist_ok=True)
        (folder / message.kind / name).write_text(message.html, encoding="utf-8")
    return len(written)


def write_inbox(items: list[InboxItem], folder: Path) -> int:
    """Write each in-app message as ``.json``, as the customer's inbox would show it."""
    folder.mkdir(parents=True, exist_ok=True)
    for item in items:
        body = {
            "customer_id": item.customer_id,
            "kind": item.kind,
            "title": item.title,
            "text": item.text,
            "url": item.url,
            "created_at": item.created_at.isoformat(),
        }
        name = f"{item.created_at:%Y-%m-%d}-{item.kind}-{item.key.replace(':', '_')[-40:]}.json"
        (folder / name).write_text(json.dumps(body, indent=2, ensure_ascii=False), "utf-8")
    return len(items)

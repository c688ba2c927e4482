"""Messages per second SmtpNotifier delivers to a local SMTP server, against bare smtplib.

500 invoice e-mails (text, HTML and a 30 KB PDF) go to an aiosmtpd server on
loopback without TLS. The floor sends the same messages, built beforehand
and serialized once, with ``smtplib.SMTP.sendmail`` over one connection; the
library builds each MIME message itself (as it must) and keeps its connection
open. Best of 2 rounds each, alternating; the ratio library/floor is what we
track.
"""

from __future__ import annotations

import os
import smtplib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from invoicekit.adapters.notify.smtp import SmtpNotifier
from invoicekit.ports import OutgoingMessage, RenderedDocument
from invoicekit.testing.smtp import LoopbackSmtpServer

#: ``--quick``: 20 messages, one round (a smoke test, no meaningful figures).
QUICK = "--quick" in sys.argv
COUNT = 20 if QUICK else 500
ROUNDS = 1 if QUICK else 2
SENDER = "billing@acme.example"
PDF = b"%PDF-1.7\n" + os.urandom(30 * 1024) + b"\n%%EOF\n"


def messages(round_no: int) -> list[OutgoingMessage]:
    return [
        OutgoingMessage(
            key=f"inv_{round_no}_{n}:invoice:1:email",
            channel="email",
            recipient=f"payer{n}@example.test",
            subject=f"Rechnung INV-{n:05d} über 928,00 €",
            text=f"Invoice INV-{n:05d}\n928.00 EUR due 15 March\nPay: https://pay.example.test/i/{n}\n",
            html=f"<h1>Invoice INV-{n:05d}</h1><p>928.00 EUR due 15 March</p>",
            attachments=(RenderedDocument("application/pdf", PDF, f"INV-{n:05d}.pdf"),),
        )
        for n in range(COUNT)
    ]


def library(server: LoopbackSmtpServer, batch: list[OutgoingMessage]) -> float:
    """Seconds for SmtpNotifier to send ``batch`` (building each message itself)."""
    with SmtpNotifier(server.host, server.port, sender=SENDER, security="none") as notifier:
        start = time.perf_counter()
        for message in batch:
            notifier.send(message)
        return time.perf_counter() - start


def floor(server: LoopbackSmtpServer, batch: list[OutgoingMessage]) -> float:
    """Seconds for bare smtplib to send the same messages, built and serialized beforehand."""
    builder = SmtpNotifier(server.host, server.port, sender=SENDER, security="none")
    prebuilt = [(m.recipient, builder.build(m).as_bytes()) for m in batch]
    with smtplib.SMTP(server.host, server.port) as smtp:
        start = time.perf_counter()
        for recipient, data in prebuilt:
            smtp.sendmail(SENDER, [recipient], data)
        return time.perf_counter() - start


def run() -> dict[str, float]:
    """Measure both; return messages/s for each and the ratio of their times."""
    lib_best = base_best = float("inf")
    with LoopbackSmtpServer() as server:
        for round_no in range(ROUNDS):
            batch = messages(round_no)
            lib_best = min(lib_best, library(server, batch))
            base_best = min(base_best, floor(server, batch))
            if len(server.messages) != 2 * COUNT:
                raise RuntimeError("not every message arrived: the benchmark compares nothing")
            server.clear()
    return {
        "messages": COUNT,
        "pdf_bytes": len(PDF),
        "library_per_s": COUNT / lib_best,
        "floor_per_s": COUNT / base_best,
        "ratio": lib_best / base_best,
    }


def report(row: dict[str, float]) -> None:
    print(
        f"{int(row['messages'])} messages with a {row['pdf_bytes'] / 1024:.0f} KB PDF: "
        f"SmtpNotifier {row['library_per_s']:.0f}/s, bare smtplib {row['floor_per_s']:.0f}/s, "
        f"ratio (time) {row['ratio']:.2f}"
    )


if __name__ == "__main__":
    print("smtp: SmtpNotifier vs bare smtplib sending the same messages to local aiosmtpd (no TLS)")
    report(run())

"""What the demo did, counted from its books and its output folder, and shown as tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from invoicekit.services.billing import SellerBooks

__all__ = ["DemoResult", "show", "tally"]


@attrs.frozen
class DemoResult:
    """The demo's figures: invoices and amounts per status, messages per channel and kind."""

    out: Path
    months: int
    pdf: bool
    #: Status -> (invoices, total invoiced, amount still due).
    statuses: dict[str, tuple[int, Decimal, Decimal]]
    channels: dict[str, int]
    kinds: dict[str, int]
    #: Folder -> how many files it holds.
    files: dict[str, int]
    credit_notes: int
    #: Automatic charges of saved cards: "first charge" or "retry" -> (charged, declined).
    charges: dict[str, tuple[int, int]] = attrs.field(factory=dict)
    #: Per subscription: (client, plan now, status, invoices, invoiced).
    subscriptions: tuple[tuple[str, str, str, int, Decimal], ...] = ()

    @property
    def invoices(self) -> int:
        """How many invoices were issued."""
        return sum(n for n, _, _ in self.statuses.values())


def tally(
    books: SellerBooks,
    out: Path,
    *,
    months: int,
    pdf: bool,
    charges: Mapping[str, tuple[int, int]] | None = None,
) -> DemoResult:
    """Count the books' invoices and sent messages and the files written under ``out``."""
    invoices = []
    after: str | None = None
    while page := books.invoices.list(limit=500, after=after):
        invoices += page
        after = page[-1].id
    statuses: dict[str, tuple[int, Decimal, Decimal]] = {}
    for invoice in invoices:
        n, total, due = statuses.get(invoice.status.value, (0, Decimal(0), Decimal(0)))
        statuses[invoice.status.value] = (
            n + 1,
            total + invoice.totals.payable,
            due + invoice.amount_due,
        )
    sent = [m for m in books.messages.list(limit=100_000) if m.status == "sent"]
    files = {
        str(folder.relative_to(out)): sum(1 for p in folder.rglob("*") if p.is_file())
        for folder in sorted(p for p in out.rglob("*") if p.is_dir())
    }
    billed: dict[str, tuple[int, Decimal]] = {}
    for invoice in invoices:
        sub_id = invoice.metadata.get("subscription")
        if isinstance(sub_id, str):
            n, total = billed.get(sub_id, (0, Decimal(0)))
            billed[sub_id] = (n + 1, total + invoice.totals.payable)
    subscriptions = tuple(
        (
            books.customers.get(sub.customer_id).name,
            sub.plan_id,
            sub.status.value,
            *billed.get(sub.id, (0, Decimal(0))),
        )
        for sub in books.subscriptions.list(limit=100)
    )
    return DemoResult(
        out=out,
        months=months,
        pdf=pdf,
        statuses=dict(sorted(statuses.items())),
        channels=dict(sorted(Counter(m.channel for m in sent).items())),
        kinds=dict(sorted(Counter(m.kind for m in sent).items())),
        files=files,
        credit_notes=sum(len(books.invoices.credit_notes(i.id)) for i in invoices),
        charges=dict(sorted((charges or {}).items())),
        subscriptions=subscriptions,
    )


def show(result: DemoResult, console: Console) -> None:
    """Print the summary tables and where to look."""
    from rich.table import Table

    invoices = Table(title=f"{result.invoices} invoices over {result.months} months (EUR)")
    for heading in ("status", "invoices", "invoiced", "still due"):
        invoices.add_column(heading, justify="left" if heading == "status" else "right")
    for status, (n, total, due) in result.statuses.items():
        invoices.add_row(status, str(n), f"{total:,.2f}", f"{due:,.2f}")
    total = sum((t for _, t, _ in result.statuses.values()), Decimal(0))
    due = sum((d for _, _, d in result.statuses.values()), Decimal(0))
    invoices.add_row("all", str(result.invoices), f"{total:,.2f}", f"{due:,.2f}", style="bold")
    console.print(invoices)
    if result.subscriptions:
        console.print(_subscriptions(result))
    messages = Table(title="Messages sent")
    messages.add_column("channel")
    messages.add_column("messages", justify="right")
    for channel, n in result.channels.items():
        messages.add_row(channel, str(n))
    kinds = Table(title="Documents sent")
    kinds.add_column("kind")
    kinds.add_column("messages", justify="right")
    for kind, n in result.kinds.items():
        kinds.add_row(kind, str(n))
    grid = Table.grid(padding=(0, 4))
    grid.add_row(messages, kinds)
    console.print(grid)
    console.print(_cards(result))
    where = Table(title=f"Where to look: {result.out}", show_header=False)
    where.add_column("folder")
    where.add_column("what")
    pdf = "HTML and PDF" if result.pdf else "HTML (pip install 'invoicekit[pdf]' for PDFs)"
    for folder, what in (
        ("documents", f"every invoice, reminder, final notice, credit note and receipt: {pdf}"),
        ("emails", "every e-mail as .eml (open it in any mail program)"),
        ("sms", "every SMS as .json"),
        ("in_app", "every in-app message as .json"),
        ("billing.db", "the books (SQLite): invoicekit run-due --db ... --dry-run"),
    ):
        count = result.files.get(folder)
        where.add_row(folder, what + ("" if count is None else f" ({count} files)"))
    console.print(where)


def _cards(result: DemoResult) -> Table:
    """The saved cards ``run_due`` charged: first charges and retries, charged or declined."""
    from rich.table import Table

    cards = Table(title="Saved cards charged")
    cards.add_column("attempt")
    cards.add_column("charged", justify="right")
    cards.add_column("declined", justify="right")
    for attempt in ("first charge", "retry"):
        charged, declined = result.charges.get(attempt, (0, 0))
        cards.add_row(attempt, str(charged), str(declined))
    return cards


def _subscriptions(result: DemoResult) -> Table:
    """The subscriptions among the invoices: a plan change prorated, a client billed on usage."""
    from rich.table import Table

    table = Table(title="Subscriptions (also in the invoices above)")
    for heading in ("client", "plan", "status", "invoices", "invoiced"):
        table.add_column(
            heading, justify="right" if heading in {"invoices", "invoiced"} else "left"
        )
    for client, plan, status, n, total in result.subscriptions:
        table.add_row(client, plan, status, str(n), f"{total:,.2f}")
    return table

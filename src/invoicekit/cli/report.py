"""``invoicekit report``: the receivables report of one seller, or of each seller of a store.

``--format table`` prints rich tables (headline figures, aging, months, the clients
owing most, what needs attention); ``csv`` and ``json`` print the report's export
(``books.reports.export``) for a spreadsheet or a script. Exit codes: 0 printed; 2 bad
input (store URL, unknown seller, a date not YYYY-MM-DD, an unknown format).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Final

from invoicekit.cli import EXIT_BAD_INPUT, EXIT_OK
from invoicekit.cli.report_tables import print_list, print_per_currency
from invoicekit.cli.run_due import BadInput, open_billing
from invoicekit.errors import InvoiceKitError, NotFoundError
from invoicekit.reports.export import cell_text

if TYPE_CHECKING:
    from rich.console import Console

    from invoicekit.reports.values import ReceivablesReport
    from invoicekit.services.billing import Billing, SellerBooks

__all__ = ["FORMATS", "parse_as_of", "run", "show"]

#: The formats ``--format`` takes.
FORMATS: Final = ("table", "csv", "json")
#: How many clients the table shows (the exports hold every client).
_TOP: Final = 10
#: The rows of the headline figures and of the aging (one column per currency).
_HEADLINE: Final = ("open", "overdue", "credit held", "DSO (days)", "collection rate", "MRR")
_AGING: Final = ("current", "1-30", "31-60", "61-90", "over 90", "total")


def parse_as_of(value: str | None) -> date | None:
    """``--as-of`` as a date (exactly YYYY-MM-DD), or None for today."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or len(value) != len("YYYY-MM-DD"):
        raise BadInput(f"--as-of {value!r}: give a date as YYYY-MM-DD, e.g. 2026-03-31")
    return day


def _sellers(billing: Billing, seller: str | None) -> list[str]:
    if seller is not None:
        try:
            billing.sellers.get(seller)
        except NotFoundError as exc:
            known = ", ".join(s.id for s in billing.sellers.list()[:5]) or "none"
            raise BadInput(
                f"--seller {seller!r}: no such seller in this store (sellers: {known})"
            ) from exc
        return [seller]
    return [s.id for s in billing.sellers.list()]


def run(
    db: str,
    factory: str | None,
    *,
    seller: str | None,
    as_of: str | None,
    output: str,
    console: Console,
) -> int:
    """Print the report of each seller asked for; the exit code."""
    try:
        if output not in FORMATS:
            raise BadInput(f"--format {output!r}: give table, csv or json")
        day = parse_as_of(as_of)
        billing = open_billing(db, factory)
    except BadInput as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return EXIT_BAD_INPUT
    with billing:
        try:
            ids = _sellers(billing, seller)
            books = [billing.seller(i) for i in ids]
            if output == "table":
                for b in books:
                    show(b.reports.receivables(as_of=day), b, console)
            else:
                _export(books, day, output, console)
        except BadInput as exc:
            console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            return EXIT_BAD_INPUT
        except InvoiceKitError as exc:
            console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            return EXIT_BAD_INPUT
    return EXIT_OK


def _export(books: list[SellerBooks], day: date | None, output: str, console: Console) -> None:
    """CSV: the clients table of each seller (a seller_id column first); JSON: every report."""
    if output == "json":
        found = {
            b.seller_id: {
                name: json.loads(b.reports.export(name, "json", as_of=day))
                for name in ("receivables", "aging", "monthly", "cash_in", "clients", "attention")
            }
            for b in books
        }
        console.file.write(json.dumps(found, indent=1, ensure_ascii=False) + "\n")
        return
    header = True
    for b in books:
        text = b.reports.export("clients", "csv", as_of=day)
        lines = text.splitlines()
        seller = _cell(b.seller_id)
        rows = [f"seller_id,{lines[0]}"] if header else []
        rows += [f"{seller},{line}" for line in lines[1:]]
        header = False
        if rows:
            console.file.write("\r\n".join(rows) + "\r\n")


def _cell(value: str) -> str:
    """One CSV cell: quoted as needed, a formula start neutralised (T38)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([cell_text(value)])
    return out.getvalue()


def show_demo(db: Path, console: Console) -> None:
    """The end of ``invoicekit demo``: the headline figures and the aging, as of its last invoice."""
    from invoicekit.services.billing import Billing

    with Billing.sqlite(db) as billing:
        for seller in billing.sellers.list():
            books = billing.seller(seller.id)
            days = [i.issue_date for i in books.invoices.list(limit=10_000) if i.issue_date]
            report = books.reports.receivables(as_of=max(days, default=None))
            show(report, books, console, brief=True)
    console.print(f"The whole report: invoicekit report --db {db}", highlight=False)


def show(
    report: ReceivablesReport, books: SellerBooks, console: Console, *, brief: bool = False
) -> None:
    """The report as rich tables: headline figures, aging, months, top clients, attention.

    ``brief``: the headline figures and the aging only.
    """
    heading = f"seller {report.seller_id} — receivables as of {report.as_of}"
    if len(heading) + 6 <= console.width:
        console.rule(heading)
    else:  # a rule would cut its title with "…"
        console.print(heading, style="bold", highlight=False)
    headline: dict[str, list[str]] = {}
    for cur in report.currencies:
        rate = report.collection_rate.get(cur)
        dso = report.dso.get(cur)
        headline[cur] = [
            _amount(report.open.get(cur)),
            _amount(report.overdue.get(cur)),
            _amount(report.customer_credit.get(cur)),
            "—" if dso is None else f"{dso}",
            "—" if rate is None else f"{rate * 100:.1f} %",
            _amount(report.mrr.get(cur)),
        ]
    print_per_currency(console, "Headline figures", _HEADLINE, headline)
    aging = {
        cur: [
            _amount(v)
            for v in (a.current, a.days_1_30, a.days_31_60, a.days_61_90, a.over_90, a.total)
        ]
        for cur, a in report.aging.items()
    }
    print_per_currency(console, "Aging (days past due)", _AGING, aging)
    if brief:
        return
    months = [
        [cur, f"{m.month:%Y-%m}", _amount(m.invoiced), _amount(m.collected), _amount(m.credited)]
        for cur, figures in report.monthly.items()
        for m in figures[-3:]
    ]
    print_list(
        console,
        "Last 3 months",
        ("currency", "month", "invoiced", "collected", "credited"),
        months,
        text=("currency", "month"),
    )
    clients = [
        [
            b.name or b.customer_id,
            b.currency,
            _amount(b.open),
            _amount(b.overdue),
            _amount(b.credit),
            _amount(b.net),
        ]
        for b in books.reports.client_balances(as_of=report.as_of, limit=_TOP).items
    ]
    print_list(
        console,
        f"Clients owing most (top {_TOP})",
        ("client", "currency", "open", "overdue", "credit", "net"),
        clients,
        text=("client", "currency"),
        wrap=("client",),
    )
    counts: dict[str, int] = {}
    for item in report.attention:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    summary = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(counts.items()))
    console.print(f"Needs attention: {summary or 'nothing'}", highlight=False)


def _amount(value: object) -> str:
    return "" if value is None else f"{value}"

"""Rendering: TemplateRenderer against floors measured in the same run.

* HTML of a 10-line invoice vs a cached ``jinja2.Template`` fed a context built
  with the same Babel calls by hand (both produce byte-identical HTML; checked).
* PDF vs raw ``weasyprint.HTML(string=same_html).write_pdf()``.
* PDF throughput in 1 vs 2 processes (``ProcessPoolExecutor``).

Ratios only; no assertions on time.
"""

from __future__ import annotations

import sys
import time
import timeit
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import jinja2
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from factories import customer, issued, line, seller
from invoicekit.adapters.render import TemplateRenderer
from invoicekit.adapters.render.i18n import translations
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.parties import BankAccount
from invoicekit.money import currency_digits

#: ``--quick``: one call per figure and no throughput run (a smoke test, no meaningful figures).
QUICK = "--quick" in sys.argv
TEMPLATES = Path(__file__).resolve().parents[1] / "src/invoicekit/adapters/render/templates"


def make_invoice(n: int = 10) -> Invoice:
    s = seller(
        name="Northwind Studio",
        bank_account=BankAccount("DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX"),
    )
    lines = [
        line(f"{10 + i}.50", str(1 + i % 3), description=f"Service item {i}") for i in range(n)
    ]
    inv = issued(of=s, to=customer(s), lines=lines)
    return attrs.evolve(inv, payment_link="https://pay.example/i/bench")


def floor_template() -> jinja2.Template:
    """The package's invoice.html compiled once, in a plain environment with the same settings."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(("html",), default_for_string=True, default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(
        translations(__import__("babel").Locale.parse("en")), newstyle=True
    )  # type: ignore[attr-defined]
    return env.get_template("invoice.html")


def floor_context(inv: Invoice) -> dict[str, Any]:
    """The view of adapters/render/view.py built by hand with direct Babel calls (English, unpaid)."""
    s, c, t = inv.seller, inv.customer, inv.totals
    if s is None or c is None or inv.due_date is None or inv.issue_date is None:
        raise SystemExit("the benchmark invoice must be issued")
    loc, cur = "en", inv.currency
    pat = f"¤#,##0.{'0' * currency_digits(cur)}"

    def money(x: Decimal) -> str:
        return format_currency(x, cur, format=pat, locale=loc, currency_digits=False)

    amount, due = money(inv.amount_due), format_date(inv.due_date, "long", locale=loc)
    vat = [
        f"VAT {format_percent(tax.rate.scaleb(-2), locale=loc, decimal_quantization=False)}"
        for tax in (ln.taxes[0] for ln in inv.lines)
    ]
    more = len(inv.lines) - 1
    what = inv.lines[0].description + (f" and {more} more lines" if more > 1 else "")
    return {
        "kind": "invoice",
        "lang": "en",
        "heading": "Invoice",
        "notice": None,
        "tone": "info",
        "title": f"Invoice {inv.number} from {s.name} for {what}: {amount} due {due}",
        "what": what,
        "answers": {
            "amount_label": "Amount due",
            "amount": amount,
            "due_label": "Due date",
            "due": due,
        },
        "purpose": f"Invoice {inv.number} from {s.name} for {c.name}",
        "number": inv.number,
        "document_number": inv.number,
        "settled": False,
        "amount_due": amount,
        "due_date": due,
        "due_date_short": format_date(inv.due_date, "medium", locale=loc),
        "pay": {
            "link": inv.payment_link,
            "link_text": f"Pay {amount} now",
            "instruction": None,
            "contact": None,
            "bank": {
                "holder": s.name,
                "iban": "DE89 3704 0044 0532 0130 00",
                "bic": "COBADEFFXXX",
                "reference": inv.number,
                "qr": None,
                "qr_alt": f"QR code for your banking app: pays {amount} to {s.name}, reference {inv.number}",
            },
        },
        "facts": [
            {"label": "Invoice number", "value": inv.number},
            {"label": "Issue date", "value": format_date(inv.issue_date, "long", locale=loc)},
            {"label": "Payment terms", "value": "Net 30 days"},
        ],
        "seller": {
            "name": s.name,
            "legal_name": None,
            "address": [],
            "tax_id": None,
            "email": None,
            "phone": None,
        },
        "customer": {
            "name": c.name,
            "legal_name": None,
            "address": [],
            "tax_id": None,
            "email": c.email,
            "phone": None,
        },
        "lines": [
            {
                "description": ln.description,
                "quantity": format_decimal(ln.quantity, locale=loc),
                "unit_price": money(ln.unit_price),
                "net": money(a.net),
                "tax": v,
                "period": None,
                "note": ln.note,
            }
            for ln, a, v in zip(inv.lines, t.lines, vat, strict=True)
        ],
        "breakdown": [
            {"label": vat[0], "base": money(r.base), "amount": money(r.amount)} for r in t.breakdown
        ],
        "totals": [
            {"label": "Net total", "value": money(t.line_net_total), "strong": False},
            {"label": "Total tax", "value": money(t.tax_total), "strong": False},
            {"label": "Total", "value": money(t.tax_inclusive), "strong": False},
            {"label": "Amount due", "value": amount, "strong": True},
        ],
        "memo": None,
        "footer": None,
        "short": {
            "seller": s.name,
            "paid": money(inv.paid),
            "credit": None,
            "credited": None,
            "overdue": False,
            "refunded": None,
            "reason": None,
            "what": "",
        },
        "brand": {
            "logo": None,
            "logo_alt": f"{s.name} logo",
            "primary": "#1f4e79",
            "on_primary": "#ffffff",
            "accent": "#b3541e",
            "footer": None,
            "legal_lines": [],
        },
    }


def best(fn: Any, number: int, repeat: int = 5) -> float:
    if QUICK:
        number = repeat = 1
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def _pdf_job(n: int) -> int:
    renderer, inv = TemplateRenderer(qr=False), make_invoice()
    return sum(
        len(renderer.render("invoice", inv, media_type="application/pdf").content) for _ in range(n)
    )


def main() -> None:
    inv = make_invoice()
    renderer = TemplateRenderer(qr=False)
    template = floor_template()
    ours = renderer.render("invoice", inv).content.decode()
    floor = template.render(floor_context(inv))
    same = ours == floor
    if not same:
        print(f"HTML identical to the floor's: {same}")
        raise SystemExit("the floor's HTML differs from invoicekit's: fix floor_context first")
    html_lib = best(lambda: renderer.render("invoice", inv), 50)
    html_floor = best(lambda: template.render(floor_context(inv)), 50)
    rows = [
        (
            "HTML, 10 lines",
            html_lib,
            html_floor,
            "cached jinja2.Template + same Babel calls",
            "≤ 2×",
        )
    ]
    try:
        import weasyprint
    except ImportError:
        weasyprint = None
    if weasyprint is not None:
        pdf_lib = best(lambda: renderer.render("invoice", inv, media_type="application/pdf"), 3, 3)
        pdf_floor = best(lambda: weasyprint.HTML(string=ours).write_pdf(), 3, 3)
        rows.append(
            (
                "PDF, 10 lines",
                pdf_lib,
                pdf_floor,
                "raw weasyprint.HTML(string=same).write_pdf()",
                "≤ 1.1×",
            )
        )
    print(f"HTML identical to the floor's: {same}")
    print(
        "| case | invoicekit ms | floor ms | ratio | floor | goal |\n| --- | --- | --- | --- | --- | --- |"
    )
    for name, lib, flo, what, goal in rows:
        print(f"| {name} | {lib * 1e3:.2f} | {flo * 1e3:.2f} | {lib / flo:.2f} | {what} | {goal} |")
    if weasyprint is not None and not QUICK:
        jobs, per = 4, 3
        with ProcessPoolExecutor(1) as pool:
            pool.submit(_pdf_job, 1).result()  # warm up
            start = time.perf_counter()
            list(pool.map(_pdf_job, [per] * jobs))
            one = jobs * per / (time.perf_counter() - start)
        with ProcessPoolExecutor(2) as pool:
            list(pool.map(_pdf_job, [1, 1]))  # warm up both workers
            start = time.perf_counter()
            list(pool.map(_pdf_job, [per] * jobs))
            two = jobs * per / (time.perf_counter() - start)
        print(
            f"\nPDF throughput: 1 process {one:.1f}/s, 2 processes {two:.1f}/s, speed-up {two / one:.2f}× (goal ≈ 2× on 2 free cores)"
        )


if __name__ == "__main__":
    main()

"""What a payer reads first: what the document is for, that a paid invoice is paid, where credit goes."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from html import unescape

import attrs
import pytest

from factories import customer, issued, line, utc
from invoicekit.adapters.render import TemplateRenderer
from invoicekit.adapters.render.renderer import SHORT_TEXT_LIMIT
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.invoice import Invoice
from invoicekit.ports import DocumentContext
from render.conftest import PAY_LINK, bank_seller, credit


def first_screen(html: str) -> str:
    """The visible text of the summary section (the first screen)."""
    section = re.search(r'<section class="summary".*?</section>', html, re.S)
    assert section
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", section.group(0))).split())


def pay(invoice: Invoice, amount: str) -> Invoice:
    new, _ = lc.apply(invoice, lc.RecordPayment(payment_id="p1", amount=amount), at=utc(2026, 3, 5))
    return new


def retainer(
    *descriptions: tuple[str, str], locale: str | None = None, **seller: object
) -> Invoice:
    """An issued invoice with one line per (description, quantity), paid by link."""
    s = bank_seller(**seller)
    lines = [line("100.00", Decimal(q), description=d) for d, q in descriptions]
    invoice = issued(of=s, to=customer(s, locale=locale), lines=lines)
    return attrs.evolve(invoice, payment_link=PAY_LINK)


RETAINER = (("Design retainer, May 2026", "1"), ("Extra hours", "4.5"))


@pytest.mark.parametrize("kind", ["invoice", "reminder", "final_notice"])
def test_a_paid_invoice_says_it_is_paid_and_nothing_is_due(
    renderer: TemplateRenderer, invoice: Invoice, kind: str
) -> None:
    done = pay(invoice, "928.20")
    ctx = DocumentContext(as_of=done.issue_date)
    doc = renderer.render(kind, done, context=ctx)
    assert doc.title.endswith(": paid in full"), doc.title
    assert "due" not in doc.title
    screen = first_screen(doc.content.decode())
    assert "invoice INV-2026-00001 is paid in full" in screen
    assert "Paid in full" in screen
    assert "€928.20" in screen
    assert "€0.00" not in screen
    assert "Amount due" not in screen
    assert "Due date" not in screen
    text = renderer.render(kind, done, media_type="text/plain", context=ctx).content.decode()
    assert "Amount due: €0.00" not in text.split("From:")[0]
    short = renderer.render(kind, done, media_type="text/x-short", context=ctx).content.decode()
    assert short == "Northwind Studio: invoice INV-2026-00001 is paid in full. Thank you!"


def test_the_first_screen_the_title_and_the_sms_say_what_the_invoice_is_for(
    renderer: TemplateRenderer,
) -> None:
    invoice = retainer(*RETAINER)
    what = "Design retainer, May 2026 and 4.5 × Extra hours"
    doc = renderer.render("invoice", invoice)
    assert f'<p class="what" data-answer="what">{what}</p>' in doc.content.decode()
    assert (
        doc.title
        == f"Invoice INV-2026-00001 from Northwind Studio for {what}: €654.50 due March 31, 2026"
    )
    text = renderer.render("invoice", invoice, media_type="text/plain").content.decode()
    assert text.splitlines()[1] == what
    short = renderer.render("invoice", invoice, media_type="text/x-short").content.decode()
    assert short == (
        f"Northwind Studio: invoice INV-2026-00001, €654.50 due Mar 31, 2026. For: {what}. {PAY_LINK}"
    )


@pytest.mark.parametrize(
    ("locale", "what"),
    [
        ("de", "Für: Design retainer, May 2026 und 4,5 × Extra hours."),
        ("fr", "Objet : Design retainer, May 2026 et 4,5 × Extra hours."),
        ("es", "Concepto: Design retainer, May 2026 y 4,5 × Extra hours."),
    ],
)
def test_the_summary_is_joined_the_customers_way(
    renderer: TemplateRenderer, locale: str, what: str
) -> None:
    short = renderer.render(
        "reminder", retainer(*RETAINER, locale=locale), media_type="text/x-short"
    ).content.decode()
    assert what in short


def test_many_or_long_lines_are_summarised_to_fit_the_title_and_one_sms(
    renderer: TemplateRenderer, make_invoice: Callable[..., Invoice]
) -> None:
    many = retainer(*[(f"Workshop day {n}", "1") for n in range(1, 9)])
    doc = renderer.render("invoice", many)
    assert "for Workshop day 1 and 7 more lines:" in doc.title
    german = retainer(*[(f"Workshop day {n}", "1") for n in range(1, 9)], locale="de")
    assert (
        "für Workshop day 1 und 7 weitere Positionen:" in renderer.render("invoice", german).title
    )
    long = retainer(("Brand identity redesign including " + "logo, typography, colours " * 10, "1"))
    title = renderer.render("invoice", long).title
    assert "for Brand identity redesign including logo, typography…: €119.00" in title
    for invoice in (
        many,
        long,
        make_invoice(link=None, name="The Extraordinarily Long Named Studio"),
    ):
        for kind in ("invoice", "reminder", "final_notice"):
            short = renderer.render(kind, invoice, media_type="text/x-short").content.decode()
            body = short.removesuffix(" " + PAY_LINK)
            assert len(body) <= SHORT_TEXT_LIMIT, short
            assert "Mar 31, 2026" in body, short  # the facts stay whole: only the summary is cut
            assert not body.endswith("…"), short


def test_credit_beyond_the_balance_says_how_the_money_comes_back(
    renderer: TemplateRenderer,
) -> None:
    credited, note = credit(pay(retainer(("Consulting", "1")), "119.00"), "20.00")
    ctx = DocumentContext(credit_note=note)
    screen = first_screen(renderer.render("credit_note", credited, context=ctx).content.decode())
    assert (
        "Nothing to pay. The remaining €23.80 is kept as credit: Northwind Studio refunds it to "
        "your original payment method, or uses it for your next invoice." in screen
    )
    assert "Total credited €23.80" in screen
    automatic = attrs.evolve(
        credited, seller=attrs.evolve(credited.seller, apply_credit_at_issue=True)
    )
    screen = first_screen(renderer.render("credit_note", automatic, context=ctx).content.decode())
    assert (
        "The remaining €23.80 is kept as credit and pays your next invoice from Northwind" in screen
    )

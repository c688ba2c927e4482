"""TemplateRenderer: the first screen, every field of every document, errors, formats."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from html import unescape

import attrs
import pytest

from factories import customer, issued, line, seller, utc
from invoicekit.adapters.render import Branding, TemplateRenderer
from invoicekit.adapters.render.renderer import SHORT_TEXT_LIMIT, TEXT_WIDTH
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.parties import BankAccount
from invoicekit.errors import ConfigurationError, ValidationError
from invoicekit.ports import DOCUMENT_KINDS, DocumentContext
from render.conftest import credit

PAY_LINK = "https://pay.example/i/7f3a9c"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def html_of(
    renderer: TemplateRenderer, invoice: Invoice, kind: str = "invoice", **kw: object
) -> str:
    return renderer.render(kind, invoice, **kw).content.decode()  # type: ignore[arg-type]


def text_of(
    renderer: TemplateRenderer, invoice: Invoice, kind: str = "invoice", **kw: object
) -> str:
    return renderer.render(kind, invoice, media_type="text/plain", **kw).content.decode()  # type: ignore[arg-type]


def answer(html: str, name: str) -> str:
    """The visible text of the element marked data-answer=name."""
    match = re.search(
        rf'data-answer="{name}"[^>]*>(.*?)</(?:h1|div)>\s*(?:<div|</div>|<p|$)', html, re.S
    )
    assert match, f"no data-answer={name}"
    return unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


def paid(invoice: Invoice, amount: str, payment_id: str = "p1") -> Invoice:
    new, _ = lc.apply(
        invoice, lc.RecordPayment(payment_id=payment_id, amount=amount), at=utc(2026, 3, 5)
    )
    return new


# ----------------------------------------------------------------------------- the first screen


def test_the_summary_answers_the_four_questions_before_the_details(
    renderer: TemplateRenderer, invoice: Invoice
) -> None:
    html = html_of(renderer, invoice)
    assert (
        answer(html, "purpose").strip() == "Invoice INV-2026-00001 from Northwind Studio for Globex"
    )
    assert "€928.20" in answer(html, "amount-due")
    assert "March 31, 2026" in answer(html, "due-date")
    how = html[html.index('data-answer="how-to-pay"') : html.index('class="parties"')]
    assert f'href="{PAY_LINK}"' in how
    assert "Pay €928.20 now" in how
    assert "DE89 3704 0044 0532 0130 00" in how
    assert "COBADEFFXXX" in how
    assert "INV-2026-00001" in how
    assert "Reference" in how
    assert 'src="data:image/svg+xml;base64,' in how  # the EPC QR code
    for name in ("purpose", "amount-due", "due-date", "how-to-pay"):
        assert html.index(f'data-answer="{name}"') < html.index('class="lines"')


def test_the_html_is_a_complete_accessible_page(
    renderer: TemplateRenderer, invoice: Invoice
) -> None:
    html = html_of(renderer, invoice)
    assert html.startswith("<!doctype html>")
    assert '<html lang="en">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert (
        "<title>Invoice INV-2026-00001 from Northwind Studio for Brand design and 1.50 × Workshop: €928.20 due March 31, 2026</title>"
        in html
    )
    assert re.search(
        r'<img class="qr" src="data:[^"]+" alt="QR code for your banking app: [^"]+"', html
    )
    assert "<link" not in html
    assert "<script" not in html
    widths = [int(w) for w in re.findall(r"(?<=[{;\s])(?:max-)?width:\s*(\d+)px", html)]
    assert all(w <= 360 or w == 760 for w in widths), widths  # 760: the desktop column's max-width


def test_without_a_link_or_bank_account_the_summary_says_whom_to_contact(
    renderer: TemplateRenderer, make_invoice: Callable[..., Invoice]
) -> None:
    invoice = make_invoice(link=None, bank_account=None, email="billing@northwind.example")
    how = answer(html_of(renderer, invoice), "how-to-pay")
    assert "Please contact Northwind Studio to pay, quoting INV-2026-00001." in how
    assert "billing@northwind.example" in how


def test_only_web_links_become_pay_buttons(renderer: TemplateRenderer, invoice: Invoice) -> None:
    html = html_of(renderer, attrs.evolve(invoice, payment_link="javascript:alert(1)"))
    assert "javascript:" not in html


def test_the_qr_code_is_drawn_for_eur_only_and_can_be_turned_off(
    make_invoice: Callable[..., Invoice], invoice: Invoice
) -> None:
    assert "image/svg+xml" in html_of(TemplateRenderer(), invoice)
    assert "image/svg+xml" not in html_of(TemplateRenderer(qr=False), invoice)
    s = seller(currency="USD", bank_account=BankAccount("DE89 3704 0044 0532 0130 00"))
    usd = issued(of=s, to=customer(s))
    html = html_of(TemplateRenderer(), usd)
    assert "DE89 3704 0044 0532 0130 00" in html
    assert "image/svg+xml" not in html


# ----------------------------------------------------------------------------- every field


def test_every_document_carries_every_field(renderer: TemplateRenderer, invoice: Invoice) -> None:
    brand = Branding(
        footer="Northwind Studio · Berlin", legal_lines=("HRB 12345 B", "CEO: A. Smith")
    )
    r = TemplateRenderer(branding=brand)
    for media_type in ("text/html", "text/plain"):
        body = unescape(r.render("invoice", invoice, media_type=media_type).content.decode())
        for expected in (
            "INV-2026-00001",
            "March 1, 2026",  # issue date
            "Northwind Studio",
            "Northwind Studio GmbH",
            "Hauptstr. 1",
            "10115 Berlin",
            "Germany",
            "DE123456789",
            "Globex",
            "1 rue de la Paix",
            "75002 Paris",
            "France",
            "FR40303265045",
            "Brand design",
            "Workshop",
            "1.50",  # the quantity as stored
            "€780.00",
            "VAT 19%",
            "€148.20",  # tax amount in the breakdown
            "€928.20",
            "Net total",
            "Total tax",
            "Amount due",
            "Net 30 days",
            "Project Falcon, phase 1",
            "Thank you for choosing Northwind.",
            "Northwind Studio · Berlin",
            "HRB 12345 B",
            "CEO: A. Smith",
        ):
            assert expected in body, (media_type, expected)


def test_paid_and_credited_amounts_appear_in_the_totals(
    renderer: TemplateRenderer, invoice: Invoice
) -> None:
    text = text_of(renderer, paid(invoice, "500.00"))
    assert "Paid: -€500.00" in text
    assert "Amount due: €428.20" in text


# ----------------------------------------------------------------------------- kinds


def test_a_reminder_is_friendly_before_the_due_date_and_firmer_after(
    renderer: TemplateRenderer, invoice: Invoice
) -> None:
    before = text_of(
        renderer, invoice, "reminder", context=DocumentContext(as_of=date(2026, 3, 28))
    )
    assert "A friendly reminder: this invoice is due in 3 days." in before
    today = text_of(renderer, invoice, "reminder", context=DocumentContext(as_of=date(2026, 3, 31)))
    assert "This invoice is due today." in today
    after = text_of(renderer, invoice, "reminder", context=DocumentContext(as_of=date(2026, 4, 5)))
    assert "This invoice is overdue by 5 days. Please pay the amount due now." in after
    one = text_of(renderer, invoice, "reminder", context=DocumentContext(as_of=date(2026, 4, 1)))
    assert "overdue by 1 day." in one


def test_the_final_notice_is_the_last_firm_one(
    renderer: TemplateRenderer, invoice: Invoice
) -> None:
    ctx = DocumentContext(as_of=date(2026, 4, 20))
    doc = renderer.render("final_notice", invoice, media_type="text/plain", context=ctx)
    assert (
        doc.title
        == "Final notice: invoice INV-2026-00001 from Northwind Studio for Brand design and 1.50 × Workshop, "
        "€928.20 due since March 31, 2026"
    )
    assert "overdue by 20 days" in doc.content.decode()
    assert "this is our last reminder" in doc.content.decode()


def test_a_partial_receipt_says_what_was_received_and_what_is_still_due(
    renderer: TemplateRenderer, invoice: Invoice
) -> None:
    ctx = DocumentContext(payment_id="p1")
    doc = renderer.render("receipt", paid(invoice, "500.00"), media_type="text/plain", context=ctx)
    assert "€500.00 of €928.20 received, €428.20 still due by March 31." in doc.content.decode()
    assert doc.title == "Receipt for invoice INV-2026-00001 from Northwind Studio: €500.00 received"


def test_a_full_receipt_says_paid_in_full_and_asks_for_nothing(
    renderer: TemplateRenderer, invoice: Invoice
) -> None:
    done = paid(invoice, "928.20")
    html = html_of(renderer, done, "receipt", context=DocumentContext(payment_id="p1"))
    assert "invoice INV-2026-00001 is paid in full" in html
    assert "Paid in full" in answer(html, "due-date")
    assert "€928.20" in answer(html, "amount-due")
    assert "due" not in answer(html, "amount-due") + answer(html, "due-date")
    assert "Nothing to pay." in answer(html, "how-to-pay")
    assert PAY_LINK not in html
    assert "IBAN" not in answer(html, "how-to-pay")


def test_a_credit_note_shows_its_own_lines_and_what_is_left(
    renderer: TemplateRenderer, invoice: Invoice
) -> None:
    credited, note = credit(invoice, "100.00", reason="Late delivery")
    doc = renderer.render(
        "credit_note", credited, media_type="text/plain", context=DocumentContext(credit_note=note)
    )
    text = doc.content.decode()
    assert (
        doc.title
        == "Credit note CN-2026-00001 from Northwind Studio for invoice INV-2026-00001: €119.00"
    )
    assert "This credit note reduces invoice INV-2026-00001 by €119.00." in text
    assert "Goodwill" in text
    assert "Brand design" not in text
    assert "Late delivery" in text
    assert "Total credited: €119.00" in text
    assert "Amount due: €809.20" in text
    assert doc.filename == "credit-note-CN-2026-00001.txt"


# ----------------------------------------------------------------------------- errors


def test_unknown_kinds_and_media_types_are_refused_naming_the_allowed_ones(
    renderer: TemplateRenderer, invoice: Invoice
) -> None:
    with pytest.raises(
        ValidationError, match=r"invoice, credit_note, reminder, final_notice, receipt"
    ):
        renderer.render("letter", invoice)
    with pytest.raises(
        ValidationError, match=r"text/html, text/plain, text/x-short, application/pdf"
    ) as err:
        renderer.render("invoice", invoice, media_type="text/markdown")
    assert err.value.paths == ("media_type",)


def test_contexts_missing_what_the_kind_needs_are_refused(
    renderer: TemplateRenderer, invoice: Invoice
) -> None:
    with pytest.raises(ValidationError, match="payment_id") as err:
        renderer.render("receipt", invoice)
    assert err.value.paths == ("context.payment_id",)
    with pytest.raises(ValidationError, match="has no such payment; its payments: p1"):
        renderer.render(
            "receipt", paid(invoice, "1.00"), context=DocumentContext(payment_id="nope")
        )
    with pytest.raises(ValidationError, match="credit_note"):
        renderer.render("credit_note", invoice)


def test_a_draft_is_refused_until_issued(renderer: TemplateRenderer) -> None:
    from factories import draft

    with pytest.raises(ValidationError, match="issue it first"):
        renderer.render("invoice", draft())


def test_a_missing_host_template_is_a_configuration_error(tmp_path: object) -> None:
    import jinja2

    loader = jinja2.DictLoader({"invoice.html": "{% include 'nope.html' %}"})
    with pytest.raises(ConfigurationError, match=r"nope\.html"):
        TemplateRenderer(templates=loader).render("invoice", issued())
    with pytest.raises(ConfigurationError, match="does not exist"):
        TemplateRenderer(templates="/nonexistent/templates")


# ----------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("currency", "price", "expected"),
    [("JPY", "1000", "¥1,190"), ("BHD", "10.000", "BHD\xa011.900"), ("EUR", "10.00", "€11.90")],
)
def test_money_uses_our_currency_digits(currency: str, price: str, expected: str) -> None:
    s = seller(currency=currency)
    invoice = issued(of=s, to=customer(s), lines=[line(price)])
    text = text_of(TemplateRenderer(qr=False), invoice)
    assert f"Amount due: {expected}" in text


def test_plain_text_has_no_markup_and_is_wrapped(
    renderer: TemplateRenderer, make_invoice: Callable[..., Invoice]
) -> None:
    long = "A very long line description " * 8
    s = seller()
    invoice = attrs.evolve(
        issued(of=s, to=customer(s), lines=[line(description=long.strip())]),
        payment_link=PAY_LINK + "x" * 90,
    )
    text = text_of(renderer, invoice)
    assert "<" not in text
    assert "&amp;" not in text
    assert all(len(row) <= TEXT_WIDTH for row in text.splitlines() if PAY_LINK not in row)
    assert PAY_LINK + "x" * 90 in text  # links are never broken


def test_short_text_fits_one_sms_plus_the_link(
    renderer: TemplateRenderer, make_invoice: Callable[..., Invoice]
) -> None:
    invoice = make_invoice(name="The Extraordinarily Long Named Northwind Creative Studio")
    doc = renderer.render("invoice", invoice, media_type="text/x-short")
    text = doc.content.decode()
    assert text.endswith(" " + PAY_LINK)
    body = text.removesuffix(" " + PAY_LINK)
    assert len(body) <= SHORT_TEXT_LIMIT
    assert "INV-2026-00001" in body
    assert "€928.20" in body
    assert "Mar 31, 2026" in body
    assert "\n" not in text
    bank_only = renderer.render(
        "invoice", make_invoice(link=None), media_type="text/x-short"
    ).content.decode()
    assert "IBAN DE89 3704 0044 0532 0130 00, ref. INV-2026-00001" in bank_only
    assert len(bank_only) <= SHORT_TEXT_LIMIT


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_filenames_name_the_kind_and_number(
    renderer: TemplateRenderer, invoice: Invoice, kind: str
) -> None:
    ctx = DocumentContext(payment_id="p1") if kind == "receipt" else None
    target = paid(invoice, "1.00") if kind in {"receipt", "refund"} else invoice
    if kind == "refund":
        target, _ = lc.apply(target, lc.RefundPayment("p1", "r1", "1.00"), at=utc(2026, 3, 2))
        ctx = DocumentContext(refund_id="r1")
    if kind == "credit_note":
        target, events = lc.apply(
            invoice,
            lc.Credit(credit_note_id="c", number="CN/1", lines=(line(),)),
            at=utc(2026, 3, 2),
        )
        ctx = DocumentContext(credit_note=events[0].credit_note)  # type: ignore[attr-defined]
    doc = renderer.render(kind, target, media_type="text/plain", context=ctx)
    expected = "CN-1" if kind == "credit_note" else "INV-2026-00001"
    assert doc.filename == f"{kind.replace('_', '-')}-{expected}.txt"


# ----------------------------------------------------------------------------- branding and templates


def test_branding_embeds_the_logo_and_colours(invoice: Invoice) -> None:
    brand = Branding(logo=PNG, primary_color="#FFD700", accent_color="#004488")
    html = html_of(TemplateRenderer(branding=brand), invoice)
    assert 'src="data:image/png;base64,iVBORw0KGgo' in html
    assert 'alt="Northwind Studio logo"' in html
    assert "--primary: #ffd700; --on-primary: #111111;" in html  # dark text on a light button
    dark = html_of(TemplateRenderer(branding=Branding(primary_color="#1f4e79")), invoice)
    assert "--on-primary: #ffffff;" in dark


def test_branding_can_differ_per_seller(make_invoice: Callable[..., Invoice]) -> None:
    def by_seller(s: object) -> Branding:
        return Branding(footer=f"Footer of {s.name}")  # type: ignore[attr-defined]

    html = html_of(TemplateRenderer(branding=by_seller), make_invoice())
    assert "Footer of Northwind Studio" in html
    with pytest.raises(ConfigurationError, match="must return a Branding"):
        TemplateRenderer(branding=lambda _: "red").render("invoice", make_invoice())  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"primary_color": "red"},
        {"accent_color": "#12345"},
        {"logo": b"GIF89a"},
        {"legal_lines": ("a\nb",)},
    ],
)
def test_bad_branding_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Branding(**kwargs)  # type: ignore[arg-type]


def test_host_templates_override_the_package_ones(tmp_path: object, invoice: Invoice) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "invoice.html").write_text(
        '{% extends "base.html" %}{% block intro %}<p class="host">Host intro for {{ customer.name }}</p>{% endblock %}',
        encoding="utf-8",
    )
    html = html_of(TemplateRenderer(templates=folder), invoice)
    assert '<p class="host">Host intro for Globex</p>' in html
    assert 'data-answer="amount-due"' in html  # the rest still comes from the package


def test_rendering_is_deterministic_including_the_qr_code(
    renderer: TemplateRenderer, invoice: Invoice
) -> None:
    assert renderer.render("invoice", invoice) == TemplateRenderer().render("invoice", invoice)


def test_a_returned_item_and_an_own_group_allowance_are_shown_with_their_signs(
    renderer: TemplateRenderer,
) -> None:
    from invoicekit.domain.line import Discount
    from invoicekit.domain.tax import Vat

    invoice = issued(
        lines=[line("50.00", "4", description="Chair"), line("50.00", "-1", description="Return")],
        discounts=[Discount(amount="10.00", tax=Vat("7"), reason="Voucher")],
    )
    for media_type in ("text/html", "text/plain"):
        body = unescape(renderer.render("invoice", invoice, media_type=media_type).content.decode())
        for expected in ("Return", "-1", "-€50.00", "VAT 7%", "-€10.00", "-€0.70", "€167.80"):
            assert expected in body, (media_type, expected)

"""Message catalogs (en source, de, fr, es) and locale-aware formatting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from invoicekit.adapters.render import TemplateRenderer
from invoicekit.adapters.render.formatting import formatter
from invoicekit.adapters.render.i18n import available_locales, translations
from invoicekit.domain.invoice import Invoice
from invoicekit.errors import ValidationError
from invoicekit.ports import DocumentContext

RENDER = Path(__file__).resolve().parents[2] / "src" / "invoicekit" / "adapters" / "render"
LANGUAGES = ("de", "es", "fr")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


def _extracted() -> set[object]:
    with (RENDER / "locale" / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    return {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(RENDER), method_map, options_map, keywords=KEYWORDS
        )
    }


def test_the_template_catalog_is_up_to_date() -> None:
    with (RENDER / "locale" / "invoicekit.pot").open("rb") as fh:
        pot = read_po(fh)
    assert {m.id for m in pot if m.id} == _extracted(), (
        "run pybabel extract as docs/how-to/translations.md says"
    )


def _translated(message: Message) -> bool:
    """Whether every form of ``message`` has a translation (a plural has several)."""
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(forms)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    with (RENDER / "locale" / "invoicekit.pot").open("rb") as fh:
        pot = read_po(fh)
    with (RENDER / "locale" / language / "LC_MESSAGES" / "invoicekit.po").open("rb") as fh:
        catalog = read_po(fh, locale=language)
    missing = [
        m.id for m in pot if m.id and (m.id not in catalog or not _translated(catalog[m.id]))
    ]
    assert missing == []
    assert not [m.id for m in catalog if m.fuzzy and m.id]
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []


def test_the_shipped_languages() -> None:
    assert available_locales() == ("en", "de", "es", "fr")


@pytest.mark.parametrize(
    ("locale", "title"),
    [
        (
            "en",
            "Invoice INV-2026-00001 from Northwind Studio for Brand design and 1.50 × Workshop: €928.20 due March 31, 2026",
        ),
        (
            "en_GB",
            "Invoice INV-2026-00001 from Northwind Studio for Brand design and 1.50 × Workshop: €928.20 due 31 March 2026",
        ),
        (
            "de",
            "Rechnung INV-2026-00001 von Northwind Studio für Brand design und 1,50 × Workshop: 928,20\xa0€ fällig am 31. März 2026",
        ),
        (
            "de_AT",
            "Rechnung INV-2026-00001 von Northwind Studio für Brand design und 1,50 × Workshop: €\xa0928,20 fällig am 31. März 2026",
        ),
        (
            "fr",
            "Facture INV-2026-00001 de Northwind Studio pour Brand design et 1,50 × Workshop : 928,20\xa0€, échéance le 31 mars 2026",
        ),
        (
            "es",
            "Factura INV-2026-00001 de Northwind Studio por Brand design y 1,50 × Workshop: 928,20\xa0€ con vencimiento el 31 de marzo de 2026",
        ),
    ],
)
def test_titles_are_in_the_customers_language(
    make_invoice: Callable[..., Invoice], locale: str, title: str
) -> None:
    doc = TemplateRenderer(qr=False).render(
        "invoice", make_invoice(locale=locale), media_type="text/plain"
    )
    assert doc.title == title


def test_the_sellers_locale_applies_when_the_customer_has_none() -> None:
    from factories import customer, issued, seller

    s = seller(locale="fr")
    doc = TemplateRenderer(qr=False).render("invoice", issued(of=s, to=customer(s, locale=None)))
    assert doc.title.startswith("Facture ")
    other = TemplateRenderer(qr=False).render("invoice", issued(of=s, to=customer(s, locale="es")))
    assert other.title.startswith("Factura ")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "de",
            [
                '<html lang="de">',
                "Fälliger Betrag",
                "Per Überweisung zahlen",
                "Verwendungszweck",
                "Vielen Dank für Ihren Auftrag.",
            ],
        ),
        (
            "fr",
            [
                '<html lang="fr">',
                "Montant dû",
                "Titulaire du compte",
                "Merci pour votre confiance.",
            ],
        ),
        ("es", ['<html lang="es">', "Importe pendiente", "Titular de la cuenta", "Concepto"]),
    ],
)
def test_html_labels_are_translated(
    make_invoice: Callable[..., Invoice], language: str, expected: list[str]
) -> None:
    html = (
        TemplateRenderer(qr=False)
        .render("invoice", make_invoice(locale=language, link=None))
        .content.decode()
    )
    for text in expected:
        assert text in html, text
    assert "Amount due" not in html
    assert "Account holder" not in html


@pytest.mark.parametrize(
    ("language", "as_of", "sentence"),
    [
        ("de", date(2026, 4, 1), "Diese Rechnung ist seit 1 Tag überfällig."),
        ("de", date(2026, 4, 3), "Diese Rechnung ist seit 3 Tagen überfällig."),
        ("fr", date(2026, 3, 30), "Petit rappel : cette facture arrive à échéance dans 1 jour."),
        ("es", date(2026, 3, 29), "Un recordatorio amable: esta factura vence dentro de 2 días."),
    ],
)
def test_plurals_follow_the_language(
    make_invoice: Callable[..., Invoice], language: str, as_of: date, sentence: str
) -> None:
    doc = TemplateRenderer(qr=False).render(
        "reminder",
        make_invoice(locale=language),
        media_type="text/plain",
        context=DocumentContext(as_of=as_of),
    )
    assert sentence in " ".join(doc.content.decode().split())


def test_formatting_is_the_locales_with_our_digits() -> None:
    de = formatter("de_DE")
    assert de.money(Decimal("1234.5"), "EUR") == "1.234,50\xa0€"
    assert de.money(Decimal("1234"), "JPY") == "1.234\xa0¥"
    assert de.money(Decimal("1.5"), "BHD") == "1,500\xa0BHD"
    assert de.quantity(Decimal("1.50")) == "1,50"
    assert de.quantity(Decimal("1000")) == "1.000"
    assert de.percent(Decimal("7.5")) == "7,5\xa0%"
    assert de.date(date(2026, 3, 15)) == "15. März 2026"
    assert de.day_month(date(2026, 3, 15)) == "15. März"
    en = formatter(None)
    assert en.money(Decimal("-3"), "EUR") == "-€3.00"
    assert en.lang == "en"
    assert formatter("fr_CH").lang == "fr-CH"


def test_an_unknown_locale_is_refused() -> None:
    with pytest.raises(ValidationError, match="Babel has no data"):
        formatter("xx_YY")


def test_catalogs_are_compiled_once_per_language() -> None:
    de = formatter("de").locale
    assert translations(de) is translations(formatter("de_CH").locale)
    assert translations(de).gettext("Amount due") == "Fälliger Betrag"
    assert translations(formatter("it").locale).gettext("Amount due") == "Amount due"

"""Every rendered document answers the payer's four questions on its first screen, in Chromium.

At 375×667 (a phone) and 1280×800 (a desktop): what it is for, the amount due,
the due date and how to pay are visible without scrolling; nothing scrolls
sideways; axe-core finds no critical accessibility violation. The screenshots
of the invoice go to docs/_static/screenshots (the docs show them), the others
to pytest's temporary directory. The checks themselves are tested against a
hand-written page (sample_invoice.html) broken in one way at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import attrs
import pytest

from browser.kit import AXE_JS, DESKTOP, PHONE, ROOT, SCREENS, Opened, OpenPage, Screen, Site
from factories import customer, issued, line, seller, utc
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.events import CreditNoteIssued
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.parties import BankAccount
from invoicekit.ports import DocumentContext, Renderer

#: The four answers, as the renderer marks them (``data-answer="..."``).
ANSWERS: Final = ("purpose", "amount-due", "due-date", "how-to-pay")
#: axe-core impacts that fail a document; "serious" ones are reported in the message.
FAIL_IMPACTS: Final = frozenset({"critical"})
REPORT_IMPACTS: Final = frozenset({"critical", "serious"})
PAYMENT_LINK: Final = "https://pay.example/i/abc"
IBAN: Final = "DE89 3704 0044 0532 0130 00"
#: The committed screenshots, shown by docs/how-to/invoice-on-screen.md.
DOCS_SCREENSHOTS: Final = ROOT / "docs" / "_static" / "screenshots"
SAMPLE: Final = Path(__file__).with_name("sample_invoice.html")


# ---------------------------------------------------------------- the documents


@dataclass(frozen=True)
class Case:
    """One document to check: how to build it and what its answers must contain."""

    id: str
    kind: str
    build: Callable[[], tuple[Invoice, DocumentContext]]
    #: Digits of the amount due as printed (119.00 -> "11900"); None: not checked.
    amount_digits: str | None
    #: The payment link the how-to-pay answer must link to.
    link: str | None = None
    #: Whether the how-to-pay answer shows the IBAN, the invoice number and an EPC QR code.
    bank: bool = False
    #: Screenshot file stem; the "invoice" ones are committed for the docs.
    shot: str = ""
    #: Words the purpose answer must hold besides the invoice number (the document's own
    #: number, words of the customer's language).
    purpose: tuple[str, ...] = ()


def _bank_seller() -> Any:
    return seller(bank_account=BankAccount(IBAN, bic="COBADEFFXXX"))


def _invoice_with_link() -> tuple[Invoice, DocumentContext]:
    invoice = attrs.evolve(issued(), payment_link=PAYMENT_LINK)
    return invoice, DocumentContext(as_of=date(2026, 3, 1))


def _invoice_with_bank() -> tuple[Invoice, DocumentContext]:
    return issued(of=_bank_seller()), DocumentContext(as_of=date(2026, 3, 1))


def _reminder_before_due() -> tuple[Invoice, DocumentContext]:
    invoice = attrs.evolve(issued(of=_bank_seller()), payment_link=PAYMENT_LINK)
    return invoice, DocumentContext(as_of=date(2026, 3, 26))


def _overdue(day: date) -> tuple[Invoice, DocumentContext]:
    invoice, _ = lc.apply(
        issued(of=_bank_seller()), lc.MarkOverdue(), at=utc(day.year, day.month, day.day)
    )
    return invoice, DocumentContext(as_of=day)


def _partial_receipt() -> tuple[Invoice, DocumentContext]:
    invoice, _ = lc.apply(
        issued(of=_bank_seller()),
        lc.RecordPayment(payment_id="p1", amount="50.00"),
        at=utc(2026, 3, 10),
    )
    return invoice, DocumentContext(as_of=date(2026, 3, 10), payment_id="p1")


def _credit_note() -> tuple[Invoice, DocumentContext]:
    invoice, events = lc.apply(
        issued(of=_bank_seller()),
        lc.Credit(
            credit_note_id="cn1",
            number="CN-2026-00001",
            lines=[line("20.00", description="Agreed discount")],
            reason="Agreed discount on consulting",
        ),
        at=utc(2026, 3, 5),
    )
    (note,) = (e.credit_note for e in events if isinstance(e, CreditNoteIssued))
    return invoice, DocumentContext(as_of=date(2026, 3, 5), credit_note=note)


def _german_invoice() -> tuple[Invoice, DocumentContext]:
    s = _bank_seller()
    c = customer(
        s, name="Donaudampfschifffahrtselektrizitätenhauptbetriebswerk GmbH", locale="de_DE"
    )
    invoice = issued(
        of=s,
        to=c,
        lines=[
            line(description="Datenschutzgrundverordnungskonformitätsüberprüfungsdienstleistung"),
        ],
    )
    return invoice, DocumentContext(as_of=date(2026, 3, 1))


CASES: Final = (
    Case("invoice-link", "invoice", _invoice_with_link, "11900", link=PAYMENT_LINK),
    Case("invoice-bank", "invoice", _invoice_with_bank, "11900", bank=True, shot="invoice"),
    Case(
        "reminder-before-due",
        "reminder",
        _reminder_before_due,
        "11900",
        link=PAYMENT_LINK,
        bank=True,
    ),
    Case("reminder-after-due", "reminder", lambda: _overdue(date(2026, 4, 10)), "11900", bank=True),
    Case("final-notice", "final_notice", lambda: _overdue(date(2026, 4, 24)), "11900", bank=True),
    # 119.00 - 50.00 received = 69.00 still due.
    Case("receipt-partial", "receipt", _partial_receipt, "6900", bank=True),
    # 119.00 - 23.80 credited (20.00 + 19 % VAT) = 95.20 still due.
    Case("credit-note", "credit_note", _credit_note, "9520", bank=True, purpose=("CN-2026-00001",)),
)
GERMAN: Final = Case(
    "invoice-de", "invoice", _german_invoice, "11900", bank=True, purpose=("Rechnung",)
)


# ---------------------------------------------------------------- the checks

_GEOMETRY_JS: Final = """
(names) => ({
  innerWidth: window.innerWidth,
  innerHeight: window.innerHeight,
  scrollWidth: document.documentElement.scrollWidth,
  scrollX: window.scrollX,
  scrollY: window.scrollY,
  lang: document.documentElement.lang,
  answers: names.map((name) => [...document.querySelectorAll(`[data-answer="${name}"]`)].map((el) => {
    const r = el.getBoundingClientRect();
    return {
      name,
      top: r.top, bottom: r.bottom, left: r.left, right: r.right,
      width: r.width, height: r.height,
      visible: el.checkVisibility({opacityProperty: true, visibilityProperty: true}),
      text: el.innerText.trim(),
      links: [...el.querySelectorAll("a[href]")].map((a) => a.href),
      images: [...el.querySelectorAll("img, svg, canvas")].map((img) => {
        const b = img.getBoundingClientRect();
        const loaded = img.tagName !== "IMG" || (img.complete && img.naturalWidth > 0);
        return {tag: img.tagName, width: b.width, height: b.height, loaded};
      }),
    };
  })),
})
"""

_AXE_JS_RUN: Final = """
async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  }));
}
"""


def geometry(opened: Opened) -> dict[str, Any]:
    """Where the page puts each answer, measured at the top of the page."""
    opened.page.evaluate("window.scrollTo(0, 0)")
    result: dict[str, Any] = opened.page.evaluate(_GEOMETRY_JS, list(ANSWERS))
    return result


def first_screen_problems(found: dict[str, Any], screen: Screen) -> list[str]:
    """Each answer exists, is visible with text, and lies fully within the first screen."""
    problems = []
    if found["scrollX"] != 0 or found["scrollY"] != 0:
        problems.append(f"page opened scrolled to ({found['scrollX']}, {found['scrollY']})")
    width, height = found["innerWidth"], found["innerHeight"]
    for name, boxes in zip(ANSWERS, found["answers"], strict=True):
        where = f'[data-answer="{name}"] at {screen.name} {screen.width}×{screen.height}'
        if not boxes:
            problems.append(f"{where}: no such element")
            continue
        shown = [b for b in boxes if b["visible"] and b["width"] > 0 and b["height"] > 0]
        if not shown:
            problems.append(f"{where}: not visible (hidden, transparent or zero-sized)")
            continue
        if not any(b["text"] for b in shown):
            problems.append(f"{where}: visible but has no text")
            continue
        inside = [
            b
            for b in shown
            if b["top"] >= 0 and b["bottom"] <= height and b["left"] >= 0 and b["right"] <= width
        ]
        if not inside:
            b = shown[0]
            problems.append(
                f"{where}: not within the first screen without scrolling: box top={b['top']:.0f} "
                f"bottom={b['bottom']:.0f} left={b['left']:.0f} right={b['right']:.0f}, "
                f"viewport {width}×{height}"
            )
    return problems


def overflow_problems(found: dict[str, Any], screen: Screen) -> list[str]:
    """Nothing scrolls sideways, and the page lays out at the screen's own width."""
    problems = []
    if found["innerWidth"] != screen.width:
        problems.append(
            f"at {screen.name} the page lays out {found['innerWidth']}px wide on a "
            f"{screen.width}px screen: content wider than the screen, or no "
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
        )
    if found["scrollWidth"] > found["innerWidth"]:
        problems.append(
            f"horizontal scroll at {screen.name}: scrollWidth {found['scrollWidth']} > "
            f"innerWidth {found['innerWidth']}"
        )
    return problems


def axe_violations(opened: Opened) -> list[dict[str, Any]]:
    """axe-core's violations, axe injected from the local axe.min.js."""
    opened.page.add_script_tag(path=str(AXE_JS))
    violations: list[dict[str, Any]] = opened.page.evaluate(_AXE_JS_RUN)
    return violations


def problems_of(opened: Opened) -> tuple[list[str], dict[str, Any]]:
    """Every failed check of the page as one line each, and the measured geometry."""
    found = geometry(opened)
    problems = first_screen_problems(found, opened.screen)
    problems += overflow_problems(found, opened.screen)
    problems += [
        f"axe {v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['targets'])}"
        for v in axe_violations(opened)
        if v["impact"] in REPORT_IMPACTS
    ]
    problems += [f"request outside the document's server (blocked): {u}" for u in opened.outside]
    return problems, found


def failing(problems: list[str]) -> list[str]:
    """The problems that fail a test: all but axe findings below FAIL_IMPACTS."""
    return [
        p
        for p in problems
        if not p.startswith("axe ") or p.split(":", 1)[0].removeprefix("axe ") in FAIL_IMPACTS
    ]


def content_problems(case: Case, found: dict[str, Any], invoice: Invoice) -> list[str]:
    """The answers hold the real values: amount, due day, link or bank details with a QR code."""
    answers = dict(zip(ANSWERS, found["answers"], strict=True))
    text = {name: " ".join(b["text"] for b in boxes) for name, boxes in answers.items()}
    problems = [
        f"purpose {text['purpose']!r} does not say {word!r}"
        for word in (invoice.number or "", *case.purpose)
        if word not in text["purpose"]
    ]
    if case.amount_digits and case.amount_digits not in re.sub(r"\D", "", text["amount-due"]):
        problems.append(f"amount-due {text['amount-due']!r} does not show {case.amount_digits}")
    assert invoice.due_date is not None
    if str(invoice.due_date.day) not in text["due-date"]:
        problems.append(f"due-date {text['due-date']!r} does not show day {invoice.due_date.day}")
    pay = answers["how-to-pay"]
    if case.link and not any(case.link in b["links"] for b in pay):
        problems.append(f"how-to-pay has no link to {case.link}: {text['how-to-pay']!r}")
    if case.bank:
        compact = re.sub(r"\s", "", text["how-to-pay"])
        if IBAN.replace(" ", "") not in compact:
            problems.append(f"how-to-pay does not show the IBAN: {text['how-to-pay']!r}")
        if invoice.number and invoice.number not in text["how-to-pay"]:
            problems.append(
                f"how-to-pay does not give {invoice.number} as reference: {text['how-to-pay']!r}"
            )
        images = [i for b in pay for i in b["images"]]
        if not any(i["loaded"] and i["width"] >= 80 and i["height"] >= 80 for i in images):
            problems.append(f"how-to-pay shows no EPC QR code of at least 80×80 px: {images}")
    return problems


def report(where: str, problems: list[str]) -> str:
    """One assertion message: what failed, then the serious axe findings kept for the record."""
    return f"{where}:\n  " + "\n  ".join(problems)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    """The HTML renderer under test; fails (never skips) when it cannot be imported."""
    try:
        from invoicekit.adapters.render import TemplateRenderer
    except ImportError as exc:
        pytest.fail(f"invoicekit.adapters.render is not importable: {exc}", pytrace=False)
    made: Renderer = TemplateRenderer()
    return made


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots not shown in the docs go."""
    return tmp_path_factory.mktemp("screenshots")


CheckDocument = Callable[..., None]


@pytest.fixture
def check_document(
    renderer: Renderer, site: Site, open_page: OpenPage, shots: Path
) -> CheckDocument:
    """Render a case, open it at a screen size, screenshot it and assert every check passes."""

    def check(case: Case, screen: Screen, *, lang: str | None = None) -> None:
        invoice, context = case.build()
        document = renderer.render(case.kind, invoice, context=context)
        assert document.media_type == "text/html"
        opened = open_page(site.publish(f"{case.id}.html", document.content), screen)
        target = DOCS_SCREENSHOTS if case.shot else shots
        target.mkdir(parents=True, exist_ok=True)
        path = target / f"{case.shot or case.id}-{screen.name}.png"
        opened.page.screenshot(path=path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        problems, found = problems_of(opened)
        problems += content_problems(case, found, invoice)
        if lang is not None and not found["lang"].startswith(lang):
            problems.append(f"<html lang={found['lang']!r}>, expected {lang!r}")
        if failing(problems):
            where = f"{case.id} ({case.kind}) at {screen.name}, screenshot {path}"
            pytest.fail(report(where, problems), pytrace=False)

    return check


# ---------------------------------------------------------------- the documents' checks


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_first_screen_answers_the_four_questions(
    case: Case, screen: Screen, check_document: CheckDocument
) -> None:
    check_document(case, screen)


def test_german_invoice_long_words_fit_a_phone(check_document: CheckDocument) -> None:
    check_document(GERMAN, PHONE, lang="de")


# ---------------------------------------------------------------- the checks catch what they should


def _sample(old: str = "", new: str = "") -> bytes:
    html = SAMPLE.read_text(encoding="utf-8")
    if old:
        assert html.count(old) == 1, old
        html = html.replace(old, new)
    return html.encode()


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_the_sample_page_passes_every_check(
    screen: Screen, site: Site, open_page: OpenPage
) -> None:
    opened = open_page(site.publish("sample.html", _sample()), screen)
    problems, _ = problems_of(opened)
    assert not problems, report(f"sample at {screen.name}", problems)


BROKEN: Final = {
    "answer-below-the-fold": (
        '<p data-answer="due-date">',
        '<div style="height: 1000px"></div><p data-answer="due-date">',
        PHONE,
        '[data-answer="due-date"] at phone 375×667: not within the first screen',
    ),
    "answer-hidden": (
        '<p class="amount" data-answer="amount-due">',
        '<p class="amount" data-answer="amount-due" style="visibility: hidden">',
        PHONE,
        '[data-answer="amount-due"] at phone 375×667: not visible',
    ),
    "answer-missing": (
        'data-answer="how-to-pay"',
        "",
        DESKTOP,
        '[data-answer="how-to-pay"] at desktop 1280×800: no such element',
    ),
    "answer-empty": (
        "Invoice INV-2026-00001 from Northwind for Consulting</h1>",
        "&nbsp;</h1>",
        PHONE,
        '[data-answer="purpose"] at phone 375×667: visible but has no text',
    ),
    # A phone shrinks a page wider than itself to fit, so it lays out wider than 375px ...
    "wide-content-phone": (
        "<tbody>",
        '<tbody><tr><td style="white-space: nowrap">' + "Consulting " * 12 + "</td></tr>",
        PHONE,
        "at phone the page lays out",
    ),
    # ... while a desktop scrolls sideways.
    "wide-content-desktop": (
        "<tbody>",
        '<tbody><tr><td style="white-space: nowrap">' + "Consulting " * 40 + "</td></tr>",
        DESKTOP,
        "horizontal scroll at desktop",
    ),
    "no-viewport-meta": (
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "",
        PHONE,
        "at phone the page lays out 98",
    ),
    "button-without-name": (
        "</section>",
        "<button></button></section>",
        DESKTOP,
        "axe critical: button-name",
    ),
    "remote-image": (
        "</section>",
        '<img src="https://cdn.example/logo.png" alt="Northwind"></section>',
        PHONE,
        "request outside the document's server (blocked): https://cdn.example/logo.png",
    ),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_the_checks_catch_a_broken_page(broken: str, site: Site, open_page: OpenPage) -> None:
    old, new, screen, expected = BROKEN[broken]
    opened = open_page(site.publish(f"broken-{broken}.html", _sample(old, new)), screen)
    problems, _ = problems_of(opened)
    assert any(p.startswith(expected) for p in failing(problems)), report(broken, problems)


def test_the_content_checks_catch_a_wrong_answer(site: Site, open_page: OpenPage) -> None:
    opened = open_page(site.publish("sample-content.html", _sample()), DESKTOP)
    _, found = problems_of(opened)
    invoice = issued()
    right = Case("sample", "invoice", _invoice_with_link, "11900", link=PAYMENT_LINK)
    assert content_problems(right, found, invoice) == []
    wrong = Case(
        "sample", "invoice", _invoice_with_bank, "6900", link=PAYMENT_LINK + "x", bank=True
    )
    found_problems = content_problems(wrong, found, invoice)
    assert [p.split(" ", 2)[:2] for p in found_problems] == [
        ["amount-due", "'€119.00'"],
        ["how-to-pay", "has"],
        ["how-to-pay", "does"],
        ["how-to-pay", "does"],
        ["how-to-pay", "shows"],
    ], found_problems

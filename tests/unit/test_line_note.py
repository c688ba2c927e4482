"""A line's note (EN 16931 BT-127): checked as free text, shown by explain(), stored and read back.

Free text like a description, but optional: None is no note; a blank note is refused, since
an e-invoice cannot carry it and it would not read back as written.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Final

import pytest

import factories as f
from invoicekit.domain import events as ev
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.line import Discount, Line, build_lines
from invoicekit.domain.policy import PriceMode
from invoicekit.domain.recurring import RecurringTemplate
from invoicekit.domain.schedule import Schedule
from invoicekit.domain.tax import Vat
from invoicekit.domain.totals import compute_totals
from invoicekit.errors import ValidationError
from invoicekit.serialization import (
    encode_invoice,
    from_document,
    load_value,
    make_converter,
    read_invoice,
    to_document,
    value_text,
)
from invoicekit.serialization.templates import template_from_text, template_text

CONVERTER: Final = make_converter()
NOTE: Final = "Pro plan: 12 of 30 days × 30.00"


def _line(**changes: Any) -> Line:
    fields: dict[str, Any] = {
        "description": "Pro plan",
        "quantity": "1",
        "unit_price": "12.00",
        "tax": Vat("19"),
    }
    return Line(**(fields | changes))


# --------------------------------------------------------------------------- the field


def test_a_line_has_no_note_unless_given_one() -> None:
    assert _line().note is None
    assert _line(note=NOTE).note == NOTE


@pytest.mark.parametrize(
    "note", ["units 1,001–5,000: 4,000 × 0.01", "two\nlines", "a\tb", "x" * 1000]
)
def test_a_note_is_free_text_of_up_to_1000_characters(note: str) -> None:
    assert _line(note=note).note == note


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("", "must be a non-empty string"),
        ("  \n", "must be a non-empty string"),
        (5, "must be a non-empty string"),
        ("x" * 1001, "at most 1000 characters (got 1,001)"),
        ("bell\x07", "without control characters other than tab and newline"),
        ("caf\udce9", "a lone surrogate"),
    ],
)
def test_a_bad_note_is_refused_naming_the_field(note: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _line(note=note)

    [found] = caught.value.problems
    assert found.path == "note"
    assert message in found.message


def test_a_mapping_line_takes_a_note_and_a_bad_one_is_named_by_its_index() -> None:
    good = {"description": "Seats", "quantity": "3", "unit_price": "10.00", "tax": Vat("19")}

    lines, found = build_lines([good | {"note": "3 seats × 10.00"}, good | {"note": "\x00"}])

    assert [line.note for line in lines] == ["3 seats × 10.00"]
    assert [p.path for p in found] == ["lines[1].note"]


# --------------------------------------------------------------------------- explaining


def test_explain_shows_a_note_after_the_arithmetic_of_its_line() -> None:
    totals = compute_totals(
        "EUR", [_line(note=NOTE), _line(description="Setup", unit_price="5.00")]
    )

    rows = totals.explain().splitlines()

    assert rows[1] == f"  line 1: base 12.00 = net 12.00  [{NOTE}]"
    assert rows[2] == "  line 2: base 5.00 = net 5.00"


def test_explain_keeps_a_note_of_several_lines_on_the_line_it_belongs_to() -> None:
    note = "Pro plan\n  12 of 30 days\t× 30.00\n"
    discounted = _line(note=note, discounts=[Discount(percent="10")])

    rows = compute_totals("EUR", [discounted]).explain().splitlines()

    assert rows[1] == (
        "  line 1: base 12.00 - discount 1.20 = net 10.80  [Pro plan / 12 of 30 days × 30.00]"
    )


def test_explain_shows_the_note_of_a_tax_inclusive_line_after_its_gross() -> None:
    totals = compute_totals("EUR", [_line(unit_price="11.90", note="1 month")], prices="inclusive")

    assert totals.prices is PriceMode.INCLUSIVE
    assert totals.explain().splitlines()[1].endswith("(gross 11.90)  [1 month]")


def test_notes_are_words_not_amounts_so_totals_compare_equal_with_or_without() -> None:
    with_note = compute_totals("EUR", [_line(note=NOTE)])
    without = compute_totals("EUR", [_line()])

    assert with_note == without
    assert with_note.notes == ((0, NOTE),)
    assert without.notes == ()
    assert NOTE not in repr(with_note)


# --------------------------------------------------------------------------- stored documents


def _noted_invoice() -> Invoice:
    return f.issued(lines=[_line(note=NOTE), _line(description="Setup", unit_price="5.00")])


def test_a_stored_invoice_keeps_its_line_notes_and_explains_them_after_reading() -> None:
    for invoice in (f.draft(lines=[_line(note=NOTE)]), _noted_invoice()):
        encoded = encode_invoice(invoice)
        back = read_invoice(encoded.text, encoded.content_hash, CONVERTER)

        assert back == invoice
        assert [line.note for line in back.lines] == [line.note for line in invoice.lines]
        assert back.totals.notes == invoice.totals.notes == ((0, NOTE),)
        assert back.totals.explain() == invoice.totals.explain()
        assert encode_invoice(back) == encoded


def test_a_line_without_a_note_is_stored_as_before() -> None:
    frozen = json.loads(encode_invoice(_noted_invoice()).text)["f"]

    assert frozen["lines"][0]["note"] == NOTE
    assert "note" not in frozen["lines"][1]
    assert set(frozen["totals"]).isdisjoint({"notes", "source_lines"})


def test_a_credit_note_keeps_its_line_notes() -> None:
    command = lc.Credit("cn1", "CN-1", lines=[_line(unit_price="4.00", note="4 unused days")])
    _, events = lc.apply(_noted_invoice(), command, at=f.utc(2026, 3, 20))
    [issued] = [e for e in events if isinstance(e, ev.CreditNoteIssued)]
    note = issued.credit_note

    back = load_value(value_text(note), CreditNote, CONVERTER)

    assert back == note
    assert back.lines[0].note == "4 unused days"
    assert "[4 unused days]" in back.totals.explain()


def test_format_1_writes_a_note_only_when_a_line_has_one_and_reads_it_back() -> None:
    invoice = _noted_invoice()
    document = to_document(CONVERTER, invoice)

    assert document["lines"][0]["note"] == NOTE
    assert "note" not in document["lines"][1]  # documents and hashes of old lines unchanged
    assert "source_lines" not in document["totals"]
    back = from_document(CONVERTER, document, Invoice)
    assert back == invoice
    assert back.totals.notes == ((0, NOTE),)


def test_a_recurring_template_keeps_its_line_notes() -> None:
    plain = {"description": "Hosting", "quantity": "1", "unit_price": "9.00", "tax": Vat("19")}
    for extra in ({}, {"discounts": [Discount(percent="10")]}):  # both ways of reading lines
        template = RecurringTemplate.create(
            id="t1",
            customer_id="c1",
            schedule=Schedule.monthly(date(2026, 1, 1), "UTC"),
            lines=[plain | extra | {"note": "billed monthly"}, plain | extra],
            currency="EUR",
        )
        text = template_text(CONVERTER, template)

        back = template_from_text(CONVERTER, text, "test")

        assert back == template
        assert [line.note for line in back.lines] == ["billed monthly", None]
        assert text.count('"note"') == 1
        billed = back.lines_for(back.schedule.period_at(0))  # placeholders filled, period set
        assert [line.note for line in billed] == ["billed monthly", None]

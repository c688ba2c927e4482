"""Numbering formats: the whitelist tokenizer (T41), rendering, resets and series (I3, T13)."""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicekit.domain import numbering
from invoicekit.domain.numbering import (
    DEFAULT_CREDIT_NOTE_FORMAT,
    DEFAULT_INVOICE_FORMAT,
    NumberFormat,
    Reset,
    Series,
    default_series,
)
from invoicekit.errors import ConfigurationError, ValidationError

MARCH_5 = date(2026, 3, 5)
ALLOWED = (
    "allowed fields are seq, year, yy, month, day, series;"
    " specs only on seq: 0Nd with N from 1 to 12, or d"
)


def render(pattern: str, seq: int, *, on: date = MARCH_5, reset: Reset = Reset.NEVER) -> str:
    return NumberFormat.parse(pattern, reset=reset).render(seq, issue_date=on, series="eu")


# --- T41: format-string injection and malformed formats ---------------------------------------

INJECTIONS = [
    # (pattern, the bad token the message must quote)
    ("INV-{seq.__class__.__mro__}", "'seq.__class__.__mro__'"),
    ("INV-{year}-{seq:>999999999}", "'>999999999'"),
    ("INV-{year!r}-{seq}", "'!r'"),
    ("INV-{year}-{0}-{seq}", "'{0}'"),
    ("INV-{year}-{}-{seq}", "'{}'"),
    ("INV-{__import__}-{seq}", "'__import__'"),
    ("INV-{year}-{seq[0]}", "'seq[0]'"),
    ("INV-{year}-{seq", "'{' at position 11"),
    ("INV-{year}-seq}", "'}' at position 14"),
    ("INV-{year}", "'{seq}'"),
    ("INV-{year}-{seq}-{seq}", "second seq field '{seq}'"),
    ("INV-{year}-{seq:013d}", "'013d'"),
    ("INV-{year}-{seq:x}", "'x'"),
    ("INV-{year:04d}-{seq}", "'04d' on field 'year'"),
    ("INV-\n{year}-{seq}", "'\\n' at position 4"),
    ("INV-{year}-{seq:{yy}}", "'seq:{yy'"),
]


@pytest.mark.parametrize(("pattern", "token"), INJECTIONS)
def test_injected_or_malformed_format_is_refused_naming_the_token(pattern: str, token: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        NumberFormat.parse(pattern)
    message = str(caught.value)
    assert token in message
    assert repr(pattern) in message
    assert message.endswith(ALLOWED)


def test_unknown_field_message_is_exact() -> None:
    with pytest.raises(ConfigurationError) as caught:
        NumberFormat.parse("INV-{seq.__class__}")
    assert str(caught.value) == (
        "unknown field 'seq.__class__' in number format 'INV-{seq.__class__}': " + ALLOWED
    )


def test_a_10kb_format_is_refused_quickly_by_length_before_tokenizing() -> None:
    # Made of tokens that would each be refused, so only the length check names the length.
    pattern = ("{seq.__class__}" * 700)[:10_240]
    started = time.perf_counter()
    with pytest.raises(ConfigurationError) as caught:
        NumberFormat.parse(pattern)
    assert time.perf_counter() - started < 0.5
    message = str(caught.value)
    assert "10240 characters" in message
    assert "at most 100" in message
    assert "__class__" not in message


def test_length_limit_is_100_characters() -> None:
    at_limit = "{seq}" + "x" * 95
    assert len(at_limit) == 100
    assert NumberFormat.parse(at_limit, reset=Reset.NEVER).pattern == at_limit
    with pytest.raises(ConfigurationError, match="101 characters"):
        NumberFormat.parse(at_limit + "x", reset=Reset.NEVER)


@pytest.mark.parametrize("char", ["\r", "\t", "\x00", "\x1b", "\x7f", "\u2028", "\u200b"])
def test_control_and_invisible_characters_are_refused_in_literal_text(char: str) -> None:
    with pytest.raises(ConfigurationError, match="printable"):
        NumberFormat.parse("INV" + char + "{seq}", reset=Reset.NEVER)


@pytest.mark.parametrize(
    "spec", ["", "0d", "00d", "5d", "05", "013d", "0012d", "+05d", "05x", " d"]
)
def test_seq_specs_outside_the_whitelist_are_refused(spec: str) -> None:
    with pytest.raises(ConfigurationError, match="on field 'seq'"):
        NumberFormat.parse("{seq:" + spec + "}", reset=Reset.NEVER)


@pytest.mark.parametrize("width", [1, 5, 12])
def test_seq_widths_from_1_to_12_pad_with_zeros(width: int) -> None:
    assert render("{seq:0" + str(width) + "d}", 7) == "7".rjust(width, "0")


@pytest.mark.parametrize("field", ["year", "yy", "month", "day", "series"])
def test_specs_are_refused_on_every_field_but_seq(field: str) -> None:
    with pytest.raises(ConfigurationError, match=f"on field '{field}'"):
        NumberFormat.parse("{" + field + ":d}-{seq}", reset=Reset.NEVER)


@pytest.mark.parametrize("pattern", [123, None, b"INV-{seq}"])
def test_a_non_string_pattern_is_a_configuration_error(pattern: Any) -> None:
    with pytest.raises(ConfigurationError, match="must be a str"):
        NumberFormat.parse(pattern, reset=Reset.NEVER)


def test_direct_construction_validates_too() -> None:
    with pytest.raises(ConfigurationError, match=re.escape("'seq.__class__'")):
        NumberFormat("INV-{seq.__class__}")


def test_source_never_uses_python_string_formatting_machinery() -> None:
    source = Path(numbering.__file__).read_text(encoding="utf-8")
    for forbidden in (".format(", "format_map", "Formatter", "string.Template"):
        assert forbidden not in source, forbidden


def test_percent_and_dollar_text_is_literal() -> None:
    assert render("%d-%(seq)s-$seq-${seq}", 3) == "%d-%(seq)s-$seq-$3"


# --- rendering --------------------------------------------------------------------------------


def test_default_invoice_format_renders_zero_padded() -> None:
    fmt = NumberFormat.parse(DEFAULT_INVOICE_FORMAT)
    assert fmt.render(17, issue_date=MARCH_5, series="invoice") == "INV-2026-00017"


def test_seq_longer_than_its_padding_is_written_in_full() -> None:
    fmt = NumberFormat.parse(DEFAULT_INVOICE_FORMAT)
    assert fmt.render(123456, issue_date=MARCH_5, series="invoice") == "INV-2026-123456"
    assert fmt.render(99999, issue_date=MARCH_5, series="invoice") == "INV-2026-99999"


def test_unpadded_seq() -> None:
    assert render("N{seq}", 42) == "N42"
    assert render("N{seq:d}", 42) == "N42"


def test_doubled_braces_are_literal_braces() -> None:
    assert render("{{{seq}}}", 5) == "{5}"
    assert render("{{seq}}-{seq}", 5) == "{seq}-5"
    assert render("}}{{{seq}", 5) == "}{5"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("{year}", "2026"),
        ("{yy}", "26"),
        ("{month}", "03"),
        ("{day}", "05"),
        ("{series}", "eu"),
    ],
)
def test_each_field_renders(pattern: str, expected: str) -> None:
    assert render(pattern + "/{seq}", 1) == expected + "/1"


def test_all_fields_together() -> None:
    fmt = NumberFormat.parse("{series}/{yy}{month}{day}/{year}-{seq:03d}", reset=Reset.MONTHLY)
    issued = date(2025, 12, 31)
    assert fmt.render(9, issue_date=issued, series="shop-2") == "shop-2/251231/2025-009"


def test_date_fields_are_zero_padded_to_their_width() -> None:
    early = date(5, 1, 9)
    assert render("{year}|{yy}|{month}|{day}|{seq}", 1, on=early) == "0005|05|01|09|1"
    assert render("{yy}-{seq}", 1, on=date(2100, 1, 1)) == "00-1"


@pytest.mark.parametrize("seq", [0, -1, True, False, 1.0, "1", None])
def test_seq_must_be_an_integer_of_at_least_1(seq: Any) -> None:
    fmt = NumberFormat.parse(DEFAULT_INVOICE_FORMAT)
    with pytest.raises(ValidationError) as caught:
        fmt.render(seq, issue_date=MARCH_5, series="invoice")
    assert isinstance(caught.value, ValueError)
    assert caught.value.paths == ("seq",)
    assert caught.value.subject == "invoice number"
    assert "must be an integer >= 1" in str(caught.value)


def test_pattern_reset_and_str() -> None:
    fmt = NumberFormat.parse("A-{seq}", reset=Reset.NEVER)
    assert fmt.pattern == "A-{seq}"
    assert str(fmt) == "A-{seq}"
    assert fmt.reset is Reset.NEVER
    assert NumberFormat.parse(DEFAULT_INVOICE_FORMAT).reset is Reset.YEARLY


def test_equal_patterns_make_equal_hashable_formats() -> None:
    first = NumberFormat.parse(DEFAULT_INVOICE_FORMAT)
    second = NumberFormat.parse(DEFAULT_INVOICE_FORMAT)
    assert first == second
    assert hash(first) == hash(second)
    assert first != NumberFormat.parse(DEFAULT_INVOICE_FORMAT, reset=Reset.NEVER)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        first.pattern = "X-{seq}"  # type: ignore[misc]


# --- resets and period keys (I3, T13) ---------------------------------------------------------


def test_reset_values() -> None:
    assert [reset.value for reset in Reset] == ["never", "yearly", "monthly"]
    assert NumberFormat.parse("{seq}", reset=Reset("never")).reset is Reset.NEVER


@pytest.mark.parametrize("reset", ["weekly", "", 1, None])
def test_unknown_reset_is_a_configuration_error(reset: Any) -> None:
    with pytest.raises(ConfigurationError, match="allowed are never, yearly, monthly"):
        NumberFormat.parse("{year}-{month}-{seq}", reset=reset)


@pytest.mark.parametrize("pattern", ["INV-{seq}", "INV-{month}-{seq}", "{day}{series}{seq}"])
def test_yearly_reset_needs_a_year_field(pattern: str) -> None:
    with pytest.raises(ConfigurationError, match="resets yearly") as caught:
        NumberFormat.parse(pattern, reset=Reset.YEARLY)
    assert repr(pattern) in str(caught.value)


@pytest.mark.parametrize("pattern", ["INV-{year}-{seq}", "INV-{month}-{seq}", "{seq}"])
def test_monthly_reset_needs_a_year_and_a_month_field(pattern: str) -> None:
    with pytest.raises(ConfigurationError, match="resets monthly") as caught:
        NumberFormat.parse(pattern, reset=Reset.MONTHLY)
    assert repr(pattern) in str(caught.value)


@pytest.mark.parametrize(
    ("pattern", "reset"),
    [
        ("{seq}", Reset.NEVER),
        ("INV-{seq:05d}", Reset.NEVER),
        ("{yy}-{seq}", Reset.YEARLY),
        ("{year}-{seq}", Reset.YEARLY),
        ("{yy}{month}-{seq}", Reset.MONTHLY),
        ("{month}/{year}-{seq}", Reset.MONTHLY),
    ],
)
def test_formats_that_show_their_period_are_accepted(pattern: str, reset: Reset) -> None:
    assert NumberFormat.parse(pattern, reset=reset).reset is reset


@pytest.mark.parametrize(
    ("reset", "issued", "key"),
    [
        (Reset.NEVER, date(2025, 12, 31), "all"),
        (Reset.NEVER, date(2026, 1, 1), "all"),
        (Reset.YEARLY, date(2025, 12, 31), "2025"),
        (Reset.YEARLY, date(2026, 1, 1), "2026"),
        (Reset.MONTHLY, date(2025, 12, 31), "2025-12"),
        (Reset.MONTHLY, date(2026, 1, 1), "2026-01"),
        (Reset.MONTHLY, date(2026, 3, 5), "2026-03"),
        (Reset.MONTHLY, date(2026, 10, 1), "2026-10"),
        (Reset.YEARLY, date(999, 6, 1), "0999"),
    ],
)
def test_period_key(reset: Reset, issued: date, key: str) -> None:
    fmt = NumberFormat.parse("{year}-{month}-{seq}", reset=reset)
    assert fmt.period_key(issued) == key


def test_yearly_reset_restarts_at_1_with_a_distinct_number() -> None:
    invoice, _ = default_series()
    last_of_2025 = invoice.number(412, date(2025, 12, 31))
    first_of_2026 = invoice.number(1, date(2026, 1, 1))
    assert (last_of_2025, first_of_2026) == ("INV-2025-00412", "INV-2026-00001")
    assert invoice.number(1, date(2025, 12, 31)) != first_of_2026


# --- series -----------------------------------------------------------------------------------


def test_default_series() -> None:
    invoice, credit_note = default_series()
    assert (invoice.name, credit_note.name) == ("invoice", "credit_note")
    assert invoice.format == NumberFormat.parse(DEFAULT_INVOICE_FORMAT)
    assert credit_note.format == NumberFormat.parse(DEFAULT_CREDIT_NOTE_FORMAT)
    assert invoice.number(17, MARCH_5) == "INV-2026-00017"
    assert credit_note.number(17, MARCH_5) == "CN-2026-00017"
    assert DEFAULT_INVOICE_FORMAT == "INV-{year}-{seq:05d}"
    assert DEFAULT_CREDIT_NOTE_FORMAT == "CN-{year}-{seq:05d}"


def test_series_number_passes_its_name() -> None:
    series = Series.of("shop_2", "{series}/{year}/{seq}")
    assert series.number(3, MARCH_5) == "shop_2/2026/3"
    assert series.format.reset is Reset.YEARLY
    assert Series.of("x", "{seq}", Reset.NEVER).format.reset is Reset.NEVER


@pytest.mark.parametrize("name", ["invoice", "credit_note", "A-1", "x", "x" * 40, "0_-Z"])
def test_valid_series_names(name: str) -> None:
    assert Series.of(name, DEFAULT_INVOICE_FORMAT).name == name


@pytest.mark.parametrize(
    "name",
    ["", "x" * 41, "in voice", "inv/1", "inv.1", "ínv", "inv\n", "\uff29\uff2e\uff36", "{seq}"],
)
def test_invalid_series_names_are_refused(name: str) -> None:
    with pytest.raises(ConfigurationError, match="series name") as caught:
        Series.of(name, DEFAULT_INVOICE_FORMAT)
    assert repr(name) in str(caught.value)
    assert "1 to 40 characters" in str(caught.value)


def test_series_name_must_be_a_string() -> None:
    with pytest.raises(ConfigurationError, match="series name"):
        Series(7, NumberFormat.parse(DEFAULT_INVOICE_FORMAT))  # type: ignore[arg-type]


def test_series_format_must_be_a_number_format() -> None:
    with pytest.raises(ConfigurationError, match="NumberFormat"):
        Series("invoice", DEFAULT_INVOICE_FORMAT)  # type: ignore[arg-type]


def test_series_of_refuses_a_bad_pattern() -> None:
    with pytest.raises(ConfigurationError, match=re.escape("'seq.__class__'")):
        Series.of("invoice", "{seq.__class__}")


# --- properties -------------------------------------------------------------------------------

DATE_FIELDS = ("year", "yy", "month", "day")
SAFE_LITERAL = st.text(st.characters().filter(str.isprintable), max_size=5)
SEQ_FIELD = st.sampled_from(["{seq}", "{seq:d}"] + ["{seq:0" + str(n) + "d}" for n in range(1, 13)])


@attrs.frozen
class Piece:
    """One part of a generated pattern: literal text or a field, with a reference renderer."""

    text: str
    field: str | None = None

    def source(self) -> str:
        if self.field is None:
            return self.text.replace("{", "{{").replace("}", "}}")
        return self.text

    def expected(self, seq: int, issued: date, series: str) -> str:
        if self.field is None:
            return self.text
        if self.field == "seq":
            width = int(self.text[6:-2]) if self.text.startswith("{seq:0") else 0
            return str(seq).rjust(width, "0")
        values = {
            "year": str(issued.year).rjust(4, "0"),
            "yy": str(issued.year % 100).rjust(2, "0"),
            "month": str(issued.month).rjust(2, "0"),
            "day": str(issued.day).rjust(2, "0"),
            "series": series,
        }
        return values[self.field]


def field_piece(name: str) -> Piece:
    return Piece("{" + name + "}", name)


@st.composite
def valid_formats(draw: st.DrawFn) -> tuple[Reset, list[Piece]]:
    """A pattern of safe literals and fields that satisfies its reset rule, as pieces."""
    reset = draw(st.sampled_from(Reset))
    other = st.one_of(
        SAFE_LITERAL.map(Piece),
        st.sampled_from((*DATE_FIELDS, "series")).map(field_piece),
    )
    pieces = draw(st.lists(other, max_size=5))
    pieces.append(Piece(draw(SEQ_FIELD), "seq"))
    if reset is not Reset.NEVER:
        pieces.append(field_piece(draw(st.sampled_from(["year", "yy"]))))
    if reset is Reset.MONTHLY:
        pieces.append(field_piece("month"))
    return reset, draw(st.permutations(pieces))


# yy repeats every century, so the property holds for issue dates within one century.
ISSUE_DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
SEQS = st.integers(min_value=1, max_value=10**15)


@settings(max_examples=500)
@given(valid_formats(), ISSUE_DATES, SEQS, st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True))
def test_render_matches_a_reference_renderer(
    generated: tuple[Reset, list[Piece]], issued: date, seq: int, series: str
) -> None:
    reset, pieces = generated
    fmt = NumberFormat.parse("".join(piece.source() for piece in pieces), reset=reset)
    expected = "".join(piece.expected(seq, issued, series) for piece in pieces)
    assert fmt.render(seq, issue_date=issued, series=series) == expected
    assert Series(series, fmt).number(seq, issued) == expected


@st.composite
def second_issue(draw: st.DrawFn, first: tuple[date, int]) -> tuple[date, int]:
    """Another (date, seq), often in the same period or with a related seq, to hunt collisions."""
    issued, seq = first
    other_date = draw(
        st.one_of(
            st.just(issued),
            st.integers(1, 28).map(lambda day: issued.replace(day=day)),
            st.integers(1, 12).map(lambda month: issued.replace(month=month, day=1)),
            ISSUE_DATES,
        )
    )
    other_seq = draw(
        st.one_of(st.just(seq), st.sampled_from([seq * 10, seq * 10 + 1, seq // 10 or 1]), SEQS)
    )
    return other_date, other_seq


@settings(max_examples=500)
@given(valid_formats(), ISSUE_DATES, SEQS, st.data())
def test_distinct_period_and_seq_render_distinct_numbers(
    generated: tuple[Reset, list[Piece]], issued: date, seq: int, data: st.DataObject
) -> None:
    reset, pieces = generated
    fmt = NumberFormat.parse("".join(piece.source() for piece in pieces), reset=reset)
    other_date, other_seq = data.draw(second_issue((issued, seq)))
    first = (fmt.period_key(issued), seq)
    second = (fmt.period_key(other_date), other_seq)
    number = fmt.render(seq, issue_date=issued, series="s")
    other_number = fmt.render(other_seq, issue_date=other_date, series="s")
    if first != second:
        assert number != other_number, (fmt.pattern, first, second)


@settings(max_examples=500)
@given(st.text(), st.sampled_from(Reset))
def test_parse_of_arbitrary_text_only_raises_configuration_error(text: str, reset: Reset) -> None:
    try:
        fmt = NumberFormat.parse(text, reset=reset)
    except ConfigurationError:
        return
    assert fmt.render(1, issue_date=MARCH_5, series="s")


@settings(max_examples=500)
@given(
    st.text(alphabet="{}:!.[]0123456789dseqyarmonthiy_-\n ", max_size=30), st.sampled_from(Reset)
)
def test_parse_of_brace_heavy_text_only_raises_configuration_error(text: str, reset: Reset) -> None:
    try:
        fmt = NumberFormat.parse(text, reset=reset)
    except ConfigurationError as error:
        message = str(error)
    else:
        message = "number format " + fmt.render(12, issue_date=MARCH_5, series="s")
    assert "number format" in message

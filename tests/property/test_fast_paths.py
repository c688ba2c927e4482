"""The fast paths of value construction decide exactly as the full checks do.

``parse_decimal``, ``Line`` and ``Vat`` take plainly valid input the quick way and
send everything else through every check. Each test builds the same input both
ways (the full checks alone, then with the fast path) and requires the same
value or the same error with the same problems, over valid and invalid input alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any, Final

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from invoicekit.domain import line as line_module
from invoicekit.domain import tax as tax_module
from invoicekit.domain.line import Charge, Discount, Line, ServicePeriod
from invoicekit.domain.tax import Tax, TaxCategory, Vat
from invoicekit.errors import ValidationError
from invoicekit.money import _parse_decimal, parse_decimal
from sizes import examples

N: Final = examples(ci=1_000, dev=300)

#: Text a decimal field may be given: plain decimals and near misses of them.
decimal_texts = st.one_of(
    st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{0,20})?", fullmatch=True),
    st.sampled_from(
        [
            "0",
            "-0",
            "-0.00",
            "1e3",
            "1E+3",
            " 1",
            "1 ",
            "+1",
            "1_000",
            "\u0661",
            "NaN",
            "Infinity",
            "",
        ]
    ),
    st.text(max_size=8),
    st.text(alphabet="0123456789.-", max_size=45),
)
numbers = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=-(10**16), max_value=10**16, places=12),
    st.sampled_from(
        [Decimal("-0"), Decimal("0.00"), Decimal("1E+15"), Decimal("999999999999999.99")]
    ),
    st.sampled_from([Decimal("1.00000000000"), Decimal("1E-10"), Decimal("1E-11")]),
    st.integers(min_value=-(10**16), max_value=10**16),
    decimal_texts,
    st.sampled_from([None, True, False, 1.5, b"1", [1]]),
)


def outcome(build: Callable[[], object]) -> tuple[str, object]:
    """What building gives: the value (its type and repr, which shows every field) or the error."""
    try:
        value = build()
    except ValidationError as exc:
        found = [(p.path, p.message, repr(p.value), p.has_value) for p in exc.problems]
        return "invalid", (exc.subject, found, str(exc))
    except TypeError as exc:
        return "type error", str(exc)
    return "value", (type(value), repr(value))


@contextmanager
def full_checks_only() -> Iterator[None]:
    """Line's quick check says "not plainly valid" to every line, so problems() decides."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(line_module, "_plainly_valid", lambda _: False)
        yield


@settings(max_examples=N)
@given(numbers)
@example(Decimal("1E+15"))
@example(Decimal("-1E+15"))
@example("999999999999999.9")
@example("1000000000000000")
@example("-0.0")
def test_parse_decimal_fast_path_agrees_with_the_full_checks(value: object) -> None:
    fast = outcome(lambda: parse_decimal(value, path="x"))
    full = outcome(lambda: _parse_decimal(value, path="x", subject="input"))
    assert fast == full


@settings(max_examples=N)
@given(numbers)
@example(Decimal("-0"))
@example(Decimal("1E+15"))
@example(Decimal("-1E+15"))
@example(Decimal(1))
def test_line_number_converters_agree_with_the_full_parser(value: Any) -> None:
    """Line's converters give what _lenient (parse_decimal, problems kept) gives."""
    for field, convert in (
        ("quantity", line_module._quantity),
        ("unit_price", line_module._unit_price),
        ("base_quantity", line_module._base_quantity),
    ):
        fast = outcome(lambda convert=convert: convert(value))
        full = outcome(lambda field=field: line_module._lenient(value, field, optional=False))
        assert fast == full


taxes = st.one_of(
    st.sampled_from(["19", "7", "0.5", "19.00", "100", Decimal("19.0"), 19]).map(Vat),
    st.just(Tax.zero_rated()),
    st.just(Tax.exempt("Medical services")),
    st.just(Tax.sales_tax("state", "6.25")),
)
tax_inputs = st.one_of(
    taxes,
    st.lists(taxes, max_size=3),
    st.sampled_from([None, "19", 19, [None], (Vat("19"), "x"), {"rate": "19"}]),
)
texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", " \t", "a\nb", "a\tb", "caf\udce9", "\x85", "x" * 1000, "x" * 1001]),
    st.sampled_from([None, 5, b"x"]),
)
units = st.one_of(
    st.sampled_from(["C62", "HUR", "", "x" * 20, "x" * 21, "a\tb", "\u00a0"]),
    st.text(max_size=22),
    st.sampled_from([None, 5]),
)
adjustments = st.one_of(
    st.sampled_from(
        [
            (),
            [],
            [Discount(percent="10")],
            (Discount(amount="1.00"), Discount(percent="5")),
            [Discount(amount="5.00", tax=Vat("19"))],
            [Charge(amount="1.00")],
            [None],
            5,
            0,
            "abc",
            None,
        ]
    ),
)
charges = st.sampled_from(
    [(), [Charge(amount="4.90", reason="Shipping")], [Discount(percent="10")], [None], 5, None]
)
periods = st.sampled_from(
    [None, ServicePeriod(date(2026, 1, 1), date(2026, 1, 31)), "2026-01", date(2026, 1, 1)]
)


#: Good values of each Line field, and any values (good, bad, near misses) of each.
GOOD: Final[dict[str, st.SearchStrategy[Any]]] = {
    "description": st.one_of(
        st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=30),
        st.sampled_from(["Consulting", "Two\nlines", "a\tb", "x" * 1000]),
    ).filter(str.strip),
    "quantity": st.decimals(min_value=0, max_value=10**9, places=3),
    "unit_price": st.one_of(st.decimals(min_value=0, max_value=10**6, places=2), st.just("9.99")),
    "tax": st.one_of(taxes, st.lists(taxes, min_size=1, max_size=3, unique=True)),
    "unit": st.sampled_from(["C62", "HUR", "DAY", "x" * 20]),
    "base_quantity": st.sampled_from([Decimal(1), Decimal(100), "12.5", 1]),
    "discounts": st.sampled_from([(), [Discount(percent="10")]]),
    "charges": st.sampled_from([(), (Charge(amount="4.90"),)]),
    "period": st.sampled_from([None, ServicePeriod(date(2026, 1, 1), date(2026, 1, 31))]),
    "note": st.one_of(
        st.none(),
        st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=30),
        st.sampled_from(["12 of 30 days", "Two\nlines", "a\tb", "x" * 1000]),
    ).filter(lambda note: note is None or note.strip()),
}
ANY: Final[dict[str, st.SearchStrategy[Any]]] = {
    "description": texts,
    "quantity": numbers,
    "unit_price": numbers,
    "tax": tax_inputs,
    "unit": units,
    "base_quantity": numbers,
    "discounts": adjustments,
    "charges": charges,
    "period": periods,
    "note": texts,
}


@st.composite
def line_fields(draw: st.DrawFn) -> dict[str, Any]:
    """The fields of a good line with up to two of them drawn from anything."""
    fields = {name: draw(strategy) for name, strategy in GOOD.items()}
    for name in draw(st.lists(st.sampled_from(sorted(ANY)), max_size=2, unique=True)):
        fields[name] = draw(ANY[name])
    return fields


def good(**changes: Any) -> dict[str, Any]:
    """A plainly valid line's fields, with ``changes``."""
    fields: dict[str, Any] = {
        "description": "Consulting",
        "quantity": Decimal("8"),
        "unit_price": Decimal("120.00"),
        "tax": Vat("19"),
        "unit": "HUR",
    }
    return fields | changes


@settings(max_examples=N)
@given(line_fields())
@example(good())
@example(good(description="x" * 1001))
@example(good(description=" "))
@example(good(description="caf\udce9"))
@example(good(quantity=Decimal("1.00000000000")))
@example(good(quantity=Decimal(10**9) + 1))
@example(good(quantity=Decimal("-1")))
@example(good(quantity=Decimal("-0")))
@example(good(quantity=Decimal("1E+15")))
@example(good(unit_price=Decimal("-0.00")))
@example(good(unit_price=Decimal("-1E+15")))
@example(good(unit_price=Decimal(10**12) + Decimal("0.01")))
@example(good(unit_price=Decimal("0.00000000001")))
@example(good(tax=[Vat("19"), Vat(Decimal("19.0"))]))
@example(good(tax=[Vat("19"), "19"]))
@example(good(tax=[]))
@example(good(tax="19"))
@example(good(unit="x" * 21))
@example(good(unit=""))
@example(good(base_quantity=0))
@example(good(base_quantity=Decimal("0.00000000001")))
@example(good(discounts=[Discount(amount="5.00", tax=Vat("19"))]))
@example(good(discounts=[Charge(amount="5.00")]))
@example(good(charges=[Discount(percent="10")]))
@example(good(charges=[Charge(amount="1.00", tax=Vat("19"))]))
@example(good(period="2026-01"))
@example(good(note="12 of 30 days"))
@example(good(note="Two\nlines\twith a tab"))
@example(good(note=" "))
@example(good(note=""))
@example(good(note="x" * 1001))
@example(good(note="a\x07b"))
@example(good(note=5))
def test_line_fast_path_agrees_with_the_full_checks(fields: dict[str, Any]) -> None:
    fast = outcome(lambda: Line(**fields))
    with full_checks_only():
        full = outcome(lambda: Line(**fields))
    assert fast == full


@pytest.mark.parametrize(
    "fields",
    [
        {"quantity": Decimal("8"), "unit_price": Decimal("120.00")},
        {"quantity": "8", "unit_price": "120.00"},
        {"quantity": 8, "unit_price": "0.5", "base_quantity": "100"},
        {"quantity": "0.333", "unit_price": "29.90", "tax": [Vat("19"), Vat("7")]},
        {"quantity": 1, "unit_price": "0", "discounts": [Discount(percent="10")]},
    ],
)
def test_plainly_valid_lines_take_the_fast_path(fields: dict[str, Any]) -> None:
    """The common shapes of a good line pass the quick check (else it would be no faster)."""
    line = Line(**{"description": "Consulting", "tax": Vat("19"), **fields})
    assert line_module._plainly_valid(line)


@settings(max_examples=N)
@given(st.one_of(numbers, st.sampled_from(["1.9E+1", Decimal("1.9E+1"), "019", Decimal("019")])))
def test_vat_is_the_tax_it_names_whatever_was_built_before(rate: object) -> None:
    """A kept Vat equals, with the same rate exponent, the Tax built afresh from that rate."""
    before = outcome(lambda: Vat(rate))  # type: ignore[arg-type]
    again = outcome(lambda: Vat(rate))  # type: ignore[arg-type]
    fresh = outcome(lambda: Tax(TaxCategory.STANDARD, rate))
    assert before == again
    if fresh[0] == "value" or before[0] == "value":
        assert before == fresh
    else:
        assert before[0] == fresh[0]  # the same kind of error; Vat names its field "rate"


def test_vat_keeps_at_most_its_limit() -> None:
    kept = dict(tax_module._VATS)
    try:
        for i in range(tax_module._VATS_KEPT + 10):
            Vat(f"{1 + i % 99}.{i}")
        assert len(tax_module._VATS) == tax_module._VATS_KEPT
        assert Vat("12.345").rate.as_tuple() == Decimal("12.345").as_tuple()  # built, not kept
    finally:
        tax_module._VATS.clear()
        tax_module._VATS.update(kept)

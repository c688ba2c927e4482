"""The issue's "Bad input" list: every bad value is refused up front, with its path, all at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

import pytest

from invoicekit.domain import checks
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.lifecycle import Credit, FailCollection, Issue, RecordPayment, Void, apply
from invoicekit.domain.line import Discount, Line
from invoicekit.domain.parties import Address, Customer, Seller
from invoicekit.domain.tax import Tax, TaxCategory, Vat
from invoicekit.domain.terms import FixedDate
from invoicekit.domain.totals import compute_totals
from invoicekit.errors import ValidationError

AT: Final = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SELLER: Final = Seller(id="seller-1", name="Acme GmbH", country="DE", currency="EUR")
CUSTOMER: Final = Customer(
    id="customer-1", seller_id="seller-1", name="Buyer", email="ap@example.com"
)


def good_line(**changes: Any) -> dict[str, Any]:
    return {
        "description": "Consulting",
        "quantity": "2",
        "unit_price": "100.00",
        "tax": Vat("19"),
        **changes,
    }


def draft(lines: list[Mapping[str, Any] | Line], **options: Any) -> Invoice:
    return Invoice.draft(
        id="inv-1", seller=SELLER, customer=CUSTOMER, lines=lines, at=AT, **options
    )


def problems_of(info: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return {p.path: p.message for p in info.value.problems}


# --- floats -----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["quantity", "unit_price", "base_quantity"])
def test_a_float_on_a_line_is_a_type_error(field: str) -> None:
    with pytest.raises(TypeError, match="Decimal or a string"):
        Line(**good_line(**{field: 0.1}))


def test_a_float_in_a_draft_mapping_is_a_type_error_not_swallowed() -> None:
    with pytest.raises(TypeError, match="float"):
        draft([good_line(), good_line(unit_price=19.99)])


def test_a_float_rate_discount_or_payment_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        Tax(TaxCategory.STANDARD, 19.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Decimal"):
        Discount(amount=5.0)
    invoice, _ = apply(
        draft([good_line()]), Issue(number="INV-1", seller=SELLER, customer=CUSTOMER), at=AT
    )
    with pytest.raises(TypeError, match="Decimal"):
        apply(invoice, RecordPayment(payment_id="p1", amount=10.0), at=AT)


# --- currencies -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["XYZ", "EURO", "eur", ""])
def test_an_unknown_currency_is_refused_with_its_path(code: str) -> None:
    with pytest.raises(ValidationError) as info:
        draft([good_line()], currency=code)

    assert info.value.paths == ("currency",)
    assert "ISO 4217" in str(info.value) or "upper case" in str(info.value)


def test_a_seller_with_an_unknown_currency_is_refused() -> None:
    with pytest.raises(ValidationError, match="currency"):
        Seller(id="s", name="S", country="DE", currency="ABC")


# --- quantities, prices and rates --------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quantity", "-1000000000.01", "must be >= -1000000000"),
        ("quantity", Decimal("1E+12"), "<= 1,000,000,000"),
        ("quantity", "1000000000000", "<= 1,000,000,000"),
        ("quantity", "1e12", "plain decimal"),
        ("unit_price", "-0.01", "must be >= 0"),
        ("unit_price", "10000000000000", "<= 1,000,000,000,000"),
        ("unit_price", "0.00000000001", "decimal places"),
        ("base_quantity", "0", "must be > 0"),
    ],
)
def test_negative_or_absurd_numbers_are_refused_with_their_path(
    field: str, value: object, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        draft([good_line(), good_line(**{field: value})])

    assert info.value.paths == (f"lines[1].{field}",)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("category", "rate", "path", "message"),
    [
        ("S", "150", "rate", "between 0 and 100"),
        ("S", "-5", "rate", "between 0 and 100"),
        ("S", "0", "rate", "above 0"),
        ("Z", "7", "rate", "always has rate 0"),
        ("E", "0", "exemption_reason", "needs an exemption reason"),
        ("AE", "0", "exemption_reason", "needs an exemption reason"),
    ],
)
def test_bad_rates_and_exempt_categories_without_a_reason_are_refused(
    category: str, rate: str, path: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        Tax(category, rate)

    assert path in info.value.paths


def test_an_exempt_category_with_a_reason_is_fine() -> None:
    assert Tax("E", "0", exemption_reason="Medical services").label == "VAT Medical services"


# --- dates, lines, discounts ------------------------------------------------------------------


def test_a_due_date_before_the_issue_date_is_refused() -> None:
    with pytest.raises(
        ValidationError, match="must not be before the issue date 2026-02-01"
    ) as info:
        draft([good_line()], terms=FixedDate(date(2026, 1, 1)), issue_date=date(2026, 2, 1))

    assert info.value.paths == ("due_date",)


def test_a_due_date_on_the_issue_date_is_fine() -> None:
    invoice = draft([good_line()], terms=FixedDate(date(2026, 2, 1)), issue_date=date(2026, 2, 1))

    assert invoice.terms.due_date(date(2026, 2, 1)) == date(2026, 2, 1)


def test_an_invoice_without_lines_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least one line") as info:
        draft([])

    assert info.value.paths == ("lines",)


def test_compute_totals_without_lines_is_refused_too() -> None:
    with pytest.raises(ValidationError, match="at least one line"):
        compute_totals("EUR", [])


def test_a_discount_larger_than_its_line_is_refused() -> None:
    line = Line("x", "1", "10.00", Vat("19"), discounts=[Discount(amount="10.01")])

    with pytest.raises(
        ValidationError, match=r"discounts \(10.01\) exceed the line amount \(10.00\)"
    ) as info:
        draft([good_line(), line])

    assert info.value.paths == ("lines[1].discounts",)


def test_a_discount_equal_to_its_line_is_fine() -> None:
    line = Line("x", "1", "10.00", Vat("19"), discounts=[Discount(amount="10.00")])

    assert draft([line]).totals.payable == Decimal("0.00")


def test_a_document_discount_larger_than_its_lines_is_refused() -> None:
    with pytest.raises(ValidationError, match="exceed the VAT 19% lines"):
        draft([good_line()], discounts=[Discount(amount="200.01", tax=Vat("19"))])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"percent": "0"}, "must be > 0"), ({"percent": "100.01"}, "<= 100"), ({}, "exactly one")],
)
def test_bad_discounts_are_refused_when_built(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Discount(**kwargs)


def test_a_payment_of_zero_or_less_is_refused() -> None:
    invoice, _ = apply(
        draft([good_line()]), Issue(number="INV-1", seller=SELLER, customer=CUSTOMER), at=AT
    )

    for amount in ("0.00", "-5.00"):
        with pytest.raises(ValidationError, match="greater than 0"):
            apply(invoice, RecordPayment(payment_id="p1", amount=amount), at=AT)


# --- several problems at once -----------------------------------------------------------------


def test_every_problem_is_reported_at_once_with_its_path_and_nothing_is_returned() -> None:
    lines: list[Mapping[str, Any] | Line] = [
        good_line(),
        good_line(quantity="-2000000000"),
        good_line(unit_price="abc"),
        good_line(description="", quantity="1e12", tax=[]),
        "not a line",  # type: ignore[list-item]
    ]
    before = list(lines)
    result: Invoice | None = None

    with pytest.raises(ValidationError) as info:
        result = draft(lines, currency="eur", memo="x" * 3000)

    assert result is None
    assert lines == before, "the input is left as it was"
    found = problems_of(info)
    assert list(found) == [
        "lines[1].quantity",
        "lines[2].unit_price",
        "lines[3].description",
        "lines[3].quantity",
        "lines[3].tax",
        "lines[4]",
        "currency",
        "memo",
    ]
    assert "upper case: use 'EUR'" in found["currency"]
    text = str(info.value)
    assert text.startswith("invalid invoice, 8 problems:")
    assert "lines[2].unit_price: must be a plain decimal like '12.30'" in text
    assert "(got 'abc')" in text
    assert "x" * 100 not in text, "long values are truncated"


def test_a_single_problem_reads_on_one_line() -> None:
    with pytest.raises(ValidationError) as info:
        draft([good_line(unit_price="12,30")])

    assert str(info.value) == (
        "invalid invoice: lines[0].unit_price: must be a plain decimal like '12.30' "
        "(ASCII digits, a dot, no spaces, exponents or thousands separators) (got '12,30')"
    )


# --- issue 11, item 5: value constructors and commands refuse what storage could not keep -------


def seller(**changes: Any) -> Seller:
    return Seller(**{"id": "s", "name": "S", "country": "DE", "currency": "EUR", **changes})


@pytest.mark.parametrize(
    ("build", "path"),
    [
        pytest.param(
            lambda: Line(**good_line(unit_price=None)), "unit_price", id="unit-price-none"
        ),
        pytest.param(lambda: Line(**good_line(quantity=None)), "quantity", id="quantity-none"),
        pytest.param(lambda: Line(**good_line(discounts=5)), "discounts", id="discounts-int"),
        pytest.param(
            lambda: Line(**good_line(discounts=[None])), "discounts[0]", id="discount-none"
        ),
        pytest.param(
            lambda: Line(**good_line(description="caf\udce9")), "description", id="surrogate"
        ),
        pytest.param(lambda: Discount(amount="1", reason="a\x00"), "reason", id="discount-reason"),
        pytest.param(lambda: FixedDate("2030-01-01"), "on", id="fixed-date-str"),  # type: ignore[arg-type]
        pytest.param(lambda: FixedDate(AT), "on", id="fixed-date-datetime"),
        pytest.param(lambda: seller(country="XX"), "country", id="country-xx"),
        pytest.param(lambda: seller(country="EU"), "country", id="country-eu"),
        pytest.param(lambda: seller(rounding="half_up"), "rounding", id="rounding-str"),
        pytest.param(lambda: seller(prices="gross"), "prices", id="prices-gross"),
        pytest.param(lambda: seller(terms=14), "terms", id="terms-int"),
        pytest.param(lambda: seller(metadata={1: "a", "1": "b"}), "metadata[1]", id="key-merge"),
        pytest.param(lambda: seller(metadata={"x": float("nan")}), "metadata['x']", id="nan"),
        pytest.param(lambda: Address("XX"), "country", id="address-country"),
        pytest.param(
            lambda: Customer(id="c", seller_id="s", name="C", channels=(), archived="no"),
            "archived",
            id="archived-str",
        ),
        pytest.param(lambda: RecordPayment("p", "1.00", pending="no"), "pending", id="pending"),
        pytest.param(lambda: RecordPayment(["p"], "1.00"), "payment_id", id="payment-id"),
        pytest.param(lambda: RecordPayment("p", "1.00", method=None), "method", id="method"),
        pytest.param(lambda: RecordPayment("p", "1", reference="r" * 141), "reference", id="ref"),
        pytest.param(lambda: FailCollection(None), "reason", id="failure-reason-none"),
        pytest.param(lambda: Void("r" * 1001), "reason", id="void-reason-long"),
        pytest.param(lambda: Credit("cn", "CN-1", None), "lines", id="credit-lines-none"),
    ],
)
def test_values_and_commands_refuse_bad_values_naming_the_field(
    build: Callable[[], object], path: str
) -> None:
    """Each was a raw TypeError/KeyError/AttributeError, or was accepted and stored."""
    with pytest.raises(ValidationError) as info:
        build()

    assert path in info.value.paths, str(info.value)


def test_every_allowed_metadata_value_and_free_text_is_accepted() -> None:
    metadata = {"s": "x" * 500, "i": -(2**63), "t": True, "n": None, "k" * 40: 0}
    metadata |= {f"k{i}": i for i in range(50 - len(metadata))}

    assert dict(seller(metadata=metadata).metadata) == metadata
    assert checks.text("memo", "tab\there\nnew line", limit=100, one_line=False) == []
    assert checks.text("memo", "carriage\rreturn", limit=100, one_line=False) != []
    assert checks.reason("reason", "r" * 1000) == []
    assert checks.reference("reference", "r" * 140) == []
    assert FixedDate(date(2030, 1, 1)).on == date(2030, 1, 1)

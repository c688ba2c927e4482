"""invoicekit.errors: one error tree; messages name the object, the value and what is allowed."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest

from invoicekit import errors
from invoicekit.errors import (
    ConcurrencyError,
    ConfigurationError,
    ConflictError,
    CurrencyMismatchError,
    DeliveryError,
    DuplicateError,
    InvalidTransitionError,
    InvariantViolationError,
    InvoiceKitError,
    MissingExtraError,
    NotFoundError,
    PaymentError,
    PaymentNotAllowedError,
    Problem,
    StorageError,
    ValidationError,
    problem,
    raise_if,
)

ERRORS_DOC = Path(__file__).resolve().parents[2] / "docs" / "reference" / "errors.md"


# ------------------------------------------------------------------ the tree


def test_all_is_sorted_and_unique() -> None:
    assert list(errors.__all__) == sorted(set(errors.__all__))


def test_every_exception_in_all_derives_from_the_root() -> None:
    exported = [getattr(errors, name) for name in errors.__all__]
    exceptions = [obj for obj in exported if isinstance(obj, type) and issubclass(obj, Exception)]

    assert len(exceptions) == len(exported) - 1  # everything but Problem
    assert all(issubclass(exc, InvoiceKitError) for exc in exceptions)


def test_every_exception_class_in_the_module_is_exported() -> None:
    defined = {
        name
        for name, obj in vars(errors).items()
        if isinstance(obj, type)
        and issubclass(obj, Exception)
        and obj.__module__ == errors.__name__
    }

    assert defined <= set(errors.__all__)


def test_the_documented_error_tree_names_every_error() -> None:
    text = ERRORS_DOC.read_text(encoding="utf-8")
    names = [
        name
        for name in errors.__all__
        if isinstance(getattr(errors, name), type) and name.endswith("Error")
    ]

    missing = [name for name in names if not re.search(rf"\b{name}\b", text)]
    assert missing == []


@pytest.mark.parametrize(
    ("error", "bases"),
    [
        (ValidationError, (InvoiceKitError, ValueError)),
        (CurrencyMismatchError, (ValidationError, ValueError)),
        (NotFoundError, (InvoiceKitError, LookupError)),
        (ConcurrencyError, (ConflictError,)),
        (DuplicateError, (ConflictError,)),
        (PaymentNotAllowedError, (InvalidTransitionError, PaymentError)),
        (MissingExtraError, (ConfigurationError, ImportError)),
        (StorageError, (InvoiceKitError,)),
        (DeliveryError, (InvoiceKitError,)),
        (InvariantViolationError, (InvoiceKitError,)),
    ],
)
def test_error_bases(error: type[Exception], bases: tuple[type[Exception], ...]) -> None:
    assert all(issubclass(error, base) for base in bases)


def test_not_found_is_a_lookup_error_naming_kind_and_key() -> None:
    with pytest.raises(LookupError) as caught:
        raise NotFoundError("invoice", "INV-2026-00017")

    err = caught.value
    assert isinstance(err, NotFoundError)
    assert (err.kind, err.key) == ("invoice", "INV-2026-00017")
    assert str(err) == "invoice 'INV-2026-00017' not found"


def test_not_found_cuts_a_long_key() -> None:
    err = NotFoundError("customer", "k" * 500)

    assert len(str(err)) < 100
    assert str(err).endswith("... not found")


def test_missing_extra_is_an_import_error_and_a_configuration_error() -> None:
    message = "PDF rendering needs 'weasyprint': pip install 'invoicekit[pdf]'"

    with pytest.raises(ImportError) as caught:
        raise MissingExtraError(message)

    assert isinstance(caught.value, ConfigurationError)
    assert isinstance(caught.value, InvoiceKitError)
    assert str(caught.value) == message


def test_currency_mismatch_is_a_validation_error_naming_both_currencies() -> None:
    err = CurrencyMismatchError("EUR", "USD", path="lines[1].unit_price")

    assert isinstance(err, ValidationError)
    assert isinstance(err, ValueError)
    assert (err.expected, err.got) == ("EUR", "USD")
    assert err.paths == ("lines[1].unit_price",)
    assert str(err) == (
        "invalid amount: lines[1].unit_price: currency 'USD' does not match 'EUR'; "
        "amounts must share one currency"
    )


# ------------------------------------------------------------------ validation


def test_validation_error_lists_every_problem_with_its_path() -> None:
    err = ValidationError(
        [
            problem("lines[0].quantity", "must be positive", -2),
            problem("lines[2].unit_price", "must be a Decimal or a string, not a float", 0.1),
            problem("due", "is required"),
        ],
        subject="invoice",
    )

    assert err.paths == ("lines[0].quantity", "lines[2].unit_price", "due")
    assert str(err) == (
        "invalid invoice, 3 problems:\n"
        "  - lines[0].quantity: must be positive (got -2)\n"
        "  - lines[2].unit_price: must be a Decimal or a string, not a float (got 0.1)\n"
        "  - due: is required"
    )


def test_validation_error_with_one_problem_is_one_line() -> None:
    err = ValidationError([problem("currency", "unknown ISO 4217 code", "EURO")], subject="money")

    assert str(err) == "invalid money: currency: unknown ISO 4217 code (got 'EURO')"


def test_validation_error_from_a_string_has_one_pathless_problem() -> None:
    err = ValidationError("numbering format has no {seq} field")

    assert err.paths == ("",)
    assert err.subject == "input"
    assert str(err) == "invalid input: <input>: numbering format has no {seq} field"


def test_validation_error_cuts_the_value_to_60_characters() -> None:
    huge = "x" * 10_000
    err = ValidationError([problem("memo", "is too long", huge)])

    shown = str(err).split("(got ", 1)[1].removesuffix(")")
    assert len(shown) == 60
    assert shown == repr(huge)[:57] + "..."


def test_a_value_of_exactly_60_characters_is_shown_whole() -> None:
    value = "y" * 58  # repr adds two quotes: 60 characters
    err = ValidationError([problem("memo", "is odd", value)])

    assert str(err).endswith(f"(got {value!r})")


def test_a_problem_can_show_none_as_its_value() -> None:
    assert str(problem("email", "is required", None)) == "email: is required (got None)"
    assert str(problem("email", "is required")) == "email: is required"
    assert str(Problem("", "is empty")) == "<input>: is empty"


def test_prefixed_puts_the_prefix_in_front_of_every_path() -> None:
    inner = ValidationError(
        [
            problem("unit_price", "must not be negative", "-1"),
            problem("[0]", "unknown tax category", "X"),
            problem("", "is empty"),
        ],
        subject="line",
    )

    outer = inner.prefixed("lines[2]")

    assert type(outer) is ValidationError
    assert outer.paths == ("lines[2].unit_price", "lines[2][0]", "lines[2]")
    assert outer.subject == "line"
    assert [p.value for p in outer.problems] == ["-1", "X", None]
    assert "lines[2].unit_price: must not be negative (got '-1')" in str(outer)
    assert inner.paths == ("unit_price", "[0]", "")  # the original is unchanged


def test_raise_if_raises_only_when_there_are_problems() -> None:
    raise_if([], subject="customer")

    with pytest.raises(ValidationError, match=r"^invalid customer: email: is required$"):
        raise_if([problem("email", "is required")], subject="customer")


def test_prefixed_works_on_a_currency_mismatch() -> None:
    err = CurrencyMismatchError("EUR", "USD").prefixed("lines[0]")

    assert err.paths == ("lines[0].currency",)


# ------------------------------------------------------------------ transitions


def test_invalid_transition_names_invoice_status_action_and_what_is_allowed() -> None:
    err = InvalidTransitionError("INV-2026-00017", "draft", "record_payment", ["issue", "delete"])

    assert (err.ref, err.status, err.action) == ("INV-2026-00017", "draft", "record_payment")
    assert err.allowed == ("delete", "issue")  # sorted
    assert err.reason is None
    assert str(err) == (
        "cannot record_payment on invoice INV-2026-00017 in status 'draft'; allowed: delete, issue"
    )


def test_invalid_transition_from_a_final_status_says_so() -> None:
    err = InvalidTransitionError("INV-2026-00017", "void", "record_payment", frozenset())

    assert err.allowed == ()
    assert str(err) == (
        "cannot record_payment on invoice INV-2026-00017 in status 'void'; "
        "allowed: none (void is final)"
    )


def test_invalid_transition_with_a_reason_shows_the_reason_instead() -> None:
    err = InvalidTransitionError(
        "INV-2026-00003",
        "partially_paid",
        "void",
        ["record_payment", "refund"],
        reason="an invoice with payments cannot be voided; issue a credit note",
    )

    assert err.reason == "an invoice with payments cannot be voided; issue a credit note"
    assert err.allowed == ("record_payment", "refund")
    assert str(err) == (
        "cannot void on invoice INV-2026-00003 in status 'partially_paid': "
        "an invoice with payments cannot be voided; issue a credit note"
    )


class _Status(StrEnum):
    VOID = "void"


def test_invalid_transition_shows_a_str_enum_status_as_its_value() -> None:
    err = InvalidTransitionError("INV-1", _Status.VOID, "record_payment", [])

    assert "in status 'void';" in str(err)


def test_payment_not_allowed_is_both_a_transition_and_a_payment_error() -> None:
    err = PaymentNotAllowedError("INV-2026-00009", "void", "record_payment", [])

    with pytest.raises(PaymentError) as as_payment:
        raise err
    with pytest.raises(InvalidTransitionError) as as_transition:
        raise err

    assert as_payment.value is err
    assert as_transition.value is err
    assert err.code == "not_allowed"
    assert err.retryable is False
    assert err.provider == ""
    assert err.ref == "INV-2026-00009"
    assert str(err) == (
        "cannot record_payment on invoice INV-2026-00009 in status 'void'; "
        "allowed: none (void is final)"
    )


def test_payment_not_allowed_passes_the_reason_through() -> None:
    err = PaymentNotAllowedError(
        "INV-1", "paid", "refund", ["refund"], reason="refund exceeds the payment's balance"
    )

    assert (
        str(err)
        == "cannot refund on invoice INV-1 in status 'paid': refund exceeds the payment's balance"
    )


# ------------------------------------------------------------------ the rest


def test_payment_and_delivery_errors_carry_retry_information() -> None:
    payment = PaymentError("card declined", provider="sandbox", code="card_declined")
    delivery = DeliveryError(
        "mailbox full", channel="email", recipient="ap@globex.example", retryable=True
    )

    assert (payment.provider, payment.code, payment.retryable) == (
        "sandbox",
        "card_declined",
        False,
    )
    assert str(payment) == "card declined"
    assert (delivery.channel, delivery.recipient, delivery.retryable) == (
        "email",
        "ap@globex.example",
        True,
    )


def test_invariant_violation_names_the_invariant() -> None:
    err = InvariantViolationError("I1", "amount due -0.01 < 0")

    assert (err.invariant, err.detail) == ("I1", "amount due -0.01 < 0")
    assert str(err) == "invariant I1 violated: amount due -0.01 < 0"

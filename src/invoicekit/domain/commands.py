"""The commands ``lifecycle.apply`` takes: one frozen value per action, checked when built."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, ClassVar, Final, cast

import attrs

from invoicekit.domain import checks
from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.status import Action
from invoicekit.domain.terms import PaymentTerms

__all__ = [
    "CREDIT_METHOD",
    "ApplyCredit",
    "Command",
    "Credit",
    "Delete",
    "DisputePayment",
    "Edit",
    "FailCollection",
    "FailPayment",
    "Issue",
    "MarkOverdue",
    "PayWithCredit",
    "RecordPayment",
    "RefundPayment",
    "ResolveDispute",
    "Send",
    "SettlePayment",
    "Void",
    "WriteOff",
]

#: The method of a payment made with customer credit (``PayWithCredit``); reserved for it.
CREDIT_METHOD: Final = "credit"


def _lines(value: Iterable[Line | Mapping[str, Any]]) -> tuple[Line | Mapping[str, Any], ...]:
    return checks.plural(value)  # type: ignore[no-any-return]  # build_lines reports a non-list


def _optional_lines(
    value: Iterable[Line | Mapping[str, Any]] | None,
) -> tuple[Line | Mapping[str, Any], ...] | None:
    return None if value is None else tuple(value)


def _discounts(value: Iterable[Discount]) -> tuple[Discount, ...]:
    return tuple(value)


def _optional_discounts(value: Iterable[Discount] | None) -> tuple[Discount, ...] | None:
    return None if value is None else tuple(value)


def _charges(value: Iterable[Charge]) -> tuple[Charge, ...]:
    return tuple(value)


def _optional_charges(value: Iterable[Charge] | None) -> tuple[Charge, ...] | None:
    return None if value is None else tuple(value)


class Command:
    """Base of the action values passed to ``apply``; ``action`` names the table row."""

    action: ClassVar[Action]

    def __attrs_post_init__(self) -> None:
        """Check the arguments commands share by name (ids, flags, reasons) when it is built."""
        found = [
            bad
            for field in attrs.fields(cast("type[attrs.AttrsInstance]", type(self)))
            if (check := checks.ARGUMENTS.get(field.name)) is not None
            for bad in check(field.name, getattr(self, field.name), field.default is attrs.NOTHING)
        ]
        checks.refuse(found, self.action.value)


@attrs.frozen
class Edit(Command):
    """Change a draft. Fields left as None stay as they are; totals are recomputed."""

    action: ClassVar[Action] = Action.EDIT
    seller: Seller
    customer: Customer | None = None
    lines: tuple[Line | Mapping[str, Any], ...] | None = attrs.field(
        default=None, converter=_optional_lines
    )
    discounts: tuple[Discount, ...] | None = attrs.field(
        default=None, converter=_optional_discounts
    )
    charges: tuple[Charge, ...] | None = attrs.field(default=None, converter=_optional_charges)
    terms: PaymentTerms | None = None
    memo: str | None = None
    footer: str | None = None


@attrs.frozen
class Delete(Command):
    """Delete a draft."""

    action: ClassVar[Action] = Action.DELETE


@attrs.frozen
class Issue(Command):
    """Issue a draft with the number storage allocated, freezing parties and totals."""

    action: ClassVar[Action] = Action.ISSUE
    number: str
    seller: Seller
    customer: Customer
    #: Defaults to the date of ``at`` in the seller's time zone.
    issue_date: date | None = None
    payment_link: str | None = None


@attrs.frozen
class Send(Command):
    """Record that the invoice was handed to ``channel``."""

    action: ClassVar[Action] = Action.SEND
    channel: str


@attrs.frozen
class RecordPayment(Command):
    """A payment of ``amount``; ``pending=True`` for money in flight (SEPA, ACH)."""

    action: ClassVar[Action] = Action.RECORD_PAYMENT
    payment_id: str
    amount: Any
    pending: bool = False
    method: str = "manual"
    reference: str | None = None


@attrs.frozen
class SettlePayment(Command):
    """A pending payment settled."""

    action: ClassVar[Action] = Action.SETTLE_PAYMENT
    payment_id: str


@attrs.frozen
class FailPayment(Command):
    """A pending payment did not settle."""

    action: ClassVar[Action] = Action.FAIL_PAYMENT
    payment_id: str
    reason: str


@attrs.frozen
class FailCollection(Command):
    """An attempt to collect (charge a saved method) failed."""

    action: ClassVar[Action] = Action.FAIL_COLLECTION
    reason: str
    code: str | None = None


@attrs.frozen
class RefundPayment(Command):
    """Give back ``amount`` of payment ``payment_id``."""

    action: ClassVar[Action] = Action.REFUND
    payment_id: str
    refund_id: str
    amount: Any
    #: The payment provider's id of the refund, when the provider paid it out.
    provider_id: str | None = None


@attrs.frozen
class DisputePayment(Command):
    """The payer disputed ``amount`` of payment ``payment_id`` (a chargeback)."""

    action: ClassVar[Action] = Action.DISPUTE
    payment_id: str
    dispute_id: str
    amount: Any
    reason: str | None = None


@attrs.frozen
class ResolveDispute(Command):
    """Dispute ``dispute_id`` of payment ``payment_id`` was decided: ``won`` by the seller or not."""

    action: ClassVar[Action] = Action.RESOLVE_DISPUTE
    payment_id: str
    dispute_id: str
    won: bool


@attrs.frozen
class MarkOverdue(Command):
    """The due date passed with a balance left."""

    action: ClassVar[Action] = Action.MARK_OVERDUE


@attrs.frozen
class Void(Command):
    """Cancel an issued invoice that has no payments; its number stays used."""

    action: ClassVar[Action] = Action.VOID
    reason: str | None = None


@attrs.frozen
class WriteOff(Command):
    """Write the balance off as uncollectible."""

    action: ClassVar[Action] = Action.WRITE_OFF
    reason: str | None = None


@attrs.frozen
class Credit(Command):
    """Issue credit note ``number`` for ``lines`` (computed like an invoice) against the invoice."""

    action: ClassVar[Action] = Action.CREDIT
    credit_note_id: str
    number: str
    lines: tuple[Line | Mapping[str, Any], ...] = attrs.field(converter=_lines)
    reason: str | None = None
    discounts: tuple[Discount, ...] = attrs.field(default=(), converter=_discounts)
    charges: tuple[Charge, ...] = attrs.field(default=(), converter=_charges)
    #: The date its number was taken for; defaults to ``at`` in the seller's time zone.
    issue_date: date | None = None


@attrs.frozen
class PayWithCredit(Command):
    """Pay ``amount`` (at most what is due) with customer credit held on invoices ``sources``.

    Recorded as a settled payment with method ``credit``; each source gives up its part
    through ``ApplyCredit`` in the same transaction, so the credit is spent once.
    """

    action: ClassVar[Action] = Action.RECORD_PAYMENT
    payment_id: str
    amount: Any
    #: The numbers of the invoices the credit comes from (the payment's reference).
    sources: tuple[str, ...]


@attrs.frozen
class ApplyCredit(Command):
    """Give ``amount`` of the credit held on this invoice to invoice ``to_invoice_id``."""

    action: ClassVar[Action] = Action.APPLY_CREDIT
    #: The ``credit`` payment it becomes on the other invoice.
    payment_id: str
    to_invoice_id: str
    to_number: str
    amount: Any

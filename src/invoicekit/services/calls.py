"""The request of each write as one frozen value: what its idempotency key fingerprints.

A service method builds its call value from its own arguments and hands it to
``Runner.write``; the fingerprint is taken from every field of that value, so a
parameter cannot be left out of it by a hand-kept list (a test checks that every
parameter of every keyed write changes the fingerprint).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Final

import attrs

from invoicekit.domain.line import Charge, Discount, Line
from invoicekit.domain.parties import Address
from invoicekit.domain.terms import PaymentTerms

__all__ = [
    "AddPaymentLinks",
    "ApplyCredit",
    "Call",
    "ChangeRecurring",
    "CreateCustomer",
    "CreateRecurring",
    "CreateSeller",
    "Credit",
    "CreditStandalone",
    "Delete",
    "Draft",
    "DraftMany",
    "Edit",
    "FailCollection",
    "FailPayment",
    "GenerateRecurring",
    "InvoiceCall",
    "Issue",
    "IssueMany",
    "MarkOverdue",
    "RecordPayment",
    "Refund",
    "Send",
    "SettlePayment",
    "UpdateCustomer",
    "UpdateSeller",
    "Void",
    "WriteOff",
]

#: Field metadata: the field holds keyword arguments (``**fields``), fingerprinted one by one.
_SPREAD: Final = {"spread": True}
#: Field metadata: a parameter added after keys were stored; fingerprinted only when it is
#: not its default, so a key stored before it existed still replays.
_LATER: Final = {"later": True}
#: Field metadata: the scope the key belongs to (a key is looked up per seller), not a parameter.
_SCOPE: Final = {"scope": True}


def _mapping(value: Mapping[str, Any] | None) -> Any:
    """A mapping as a plain dict (None as {}); anything else as it is, for the domain to refuse."""
    if value is None:
        return {}
    return dict(value) if isinstance(value, Mapping) else value


@attrs.frozen(kw_only=True)
class Call:
    """One write's request; ``operation`` names it in stored keys and conflict messages."""

    operation: ClassVar[str]

    def params(self) -> dict[str, Any]:
        """The parameters the fingerprint covers, by name (keyword arguments spread out)."""
        found: dict[str, Any] = {}
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if field.metadata.get("spread"):
                found.update(value)
            elif not field.metadata.get("scope") and not (
                field.metadata.get("later") and value == field.default
            ):
                found[field.name] = value
        return found


# --------------------------------------------------------------------------- parties


@attrs.frozen(kw_only=True)
class CreateSeller(Call):
    """``sellers.create``."""

    operation: ClassVar[str] = "create_seller"
    id: str | None
    fields: Mapping[str, Any] = attrs.field(factory=dict, metadata=_SPREAD)


@attrs.frozen(kw_only=True)
class UpdateSeller(Call):
    """``sellers.update``; the key belongs to the seller changed."""

    operation: ClassVar[str] = "update_seller"
    seller_id: str = attrs.field(metadata=_SCOPE)
    changes: Mapping[str, Any] = attrs.field(factory=dict, metadata=_SPREAD)


@attrs.frozen(kw_only=True)
class CreateCustomer(Call):
    """``customers.create``; ``channels`` as chosen (e-mail by default when there is an address)."""

    operation: ClassVar[str] = "create_customer"
    id: str | None
    name: str
    email: str | None
    phone: str | None
    channels: tuple[str, ...]
    address: Address | None = attrs.field(default=None, metadata=_LATER)
    fields: Mapping[str, Any] = attrs.field(factory=dict, metadata=_SPREAD)


@attrs.frozen(kw_only=True)
class UpdateCustomer(Call):
    """``customers.update``."""

    operation: ClassVar[str] = "update_customer"
    customer_id: str
    changes: Mapping[str, Any] = attrs.field(factory=dict, metadata=_SPREAD)


# --------------------------------------------------------------------------- drafts


@attrs.frozen(kw_only=True)
class Draft(Call):
    """``invoices.draft``."""

    operation: ClassVar[str] = "draft"
    id: str | None
    customer_id: str
    lines: Sequence[Line | Mapping[str, Any]]
    terms: PaymentTerms | None
    discounts: Sequence[Discount]
    charges: Sequence[Charge]
    prices: str | None
    memo: str | None
    footer: str | None
    metadata: Any = attrs.field(converter=_mapping)
    series: str
    currency: str | None
    buyer_reference: str | None
    order_reference: str | None
    contract_reference: str | None
    project_reference: str | None


@attrs.frozen(kw_only=True)
class DraftMany(Call):
    """``invoices.draft_many``: each item as given (keyword arguments of ``draft``)."""

    operation: ClassVar[str] = "draft_many"
    drafts: tuple[Mapping[str, Any], ...]


@attrs.frozen(kw_only=True)
class InvoiceCall(Call):
    """A write on one stored invoice (``Invoices.change`` runs these)."""

    invoice_id: str


@attrs.frozen(kw_only=True)
class Edit(InvoiceCall):
    """``invoices.edit``."""

    operation: ClassVar[str] = "edit"
    customer_id: str | None
    lines: Sequence[Line | Mapping[str, Any]] | None
    terms: PaymentTerms | None
    discounts: Sequence[Discount] | None
    charges: Sequence[Charge] | None
    memo: str | None
    footer: str | None
    expected_version: int | None = attrs.field(default=None, metadata=_LATER)


@attrs.frozen(kw_only=True)
class Delete(InvoiceCall):
    """``invoices.delete``."""

    operation: ClassVar[str] = "delete"


@attrs.frozen(kw_only=True)
class Issue(InvoiceCall):
    """``invoices.issue``."""

    operation: ClassVar[str] = "issue"


@attrs.frozen(kw_only=True)
class AddPaymentLinks(Call):
    """Storing the provider's links after issue (``invoices.add_payment_link``, ``issue_many``)."""

    operation: ClassVar[str] = "add_payment_links"
    invoice_ids: tuple[str, ...]


@attrs.frozen(kw_only=True)
class IssueMany(Call):
    """One batch of ``invoices.issue_many``."""

    operation: ClassVar[str] = "issue_many"
    invoice_ids: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Send(InvoiceCall):
    """``invoices.send``; ``step`` as chosen (idempotent by its message keys, not by a key)."""

    operation: ClassVar[str] = "send"
    kind: str
    step: str | None


# --------------------------------------------------------------------------- after issue


@attrs.frozen(kw_only=True)
class Void(InvoiceCall):
    """``invoices.void``."""

    operation: ClassVar[str] = "void"
    reason: str | None


@attrs.frozen(kw_only=True)
class WriteOff(InvoiceCall):
    """``invoices.write_off``."""

    operation: ClassVar[str] = "write_off"
    reason: str | None


@attrs.frozen(kw_only=True)
class MarkOverdue(InvoiceCall):
    """``invoices.mark_overdue``."""

    operation: ClassVar[str] = "mark_overdue"


@attrs.frozen(kw_only=True)
class Credit(InvoiceCall):
    """``invoices.credit``."""

    operation: ClassVar[str] = "credit"
    lines: Sequence[Line | Mapping[str, Any]]
    reason: str | None


@attrs.frozen(kw_only=True)
class CreditStandalone(Call):
    """``invoices.credit_standalone``: a credit note that corrects no stored invoice."""

    operation: ClassVar[str] = "credit_standalone"
    customer_id: str
    lines: Sequence[Line | Mapping[str, Any]]
    preceding: str | None
    preceding_date: date | None
    reason: str | None
    buyer_reference: str | None
    order_reference: str | None


# --------------------------------------------------------------------------- payments


@attrs.frozen(kw_only=True)
class RecordPayment(InvoiceCall):
    """``payments.record``."""

    operation: ClassVar[str] = "record_payment"
    amount: Decimal | str
    pending: bool
    method: str
    reference: str | None
    payment_id: str | None


@attrs.frozen(kw_only=True)
class SettlePayment(InvoiceCall):
    """``payments.settle``."""

    operation: ClassVar[str] = "settle_payment"
    payment_id: str


@attrs.frozen(kw_only=True)
class FailPayment(InvoiceCall):
    """``payments.fail``."""

    operation: ClassVar[str] = "fail_payment"
    payment_id: str
    reason: str


@attrs.frozen(kw_only=True)
class FailCollection(InvoiceCall):
    """``payments.record_failure``."""

    operation: ClassVar[str] = "fail_collection"
    reason: str
    code: str | None


@attrs.frozen(kw_only=True)
class Refund(InvoiceCall):
    """``payments.refund``."""

    operation: ClassVar[str] = "refund"
    payment_id: str
    amount: Decimal | str
    refund_id: str | None


@attrs.frozen(kw_only=True)
class ApplyCredit(InvoiceCall):
    """``payments.apply_credit``; ``amount`` None applies all the credit that fits."""

    operation: ClassVar[str] = "apply_credit"
    amount: Decimal | str | None


# --------------------------------------------------------------------------- recurring


@attrs.frozen(kw_only=True)
class CreateRecurring(Call):
    """``recurring.create``."""

    operation: ClassVar[str] = "create_recurring"
    id: str | None
    customer_id: str
    schedule: Any
    lines: Sequence[Line | Mapping[str, Any]]
    terms: PaymentTerms | None
    memo: str | None
    issue_mode: str
    start: Any
    end: Any
    count: int | None
    currency: str | None
    service_periods: bool


@attrs.frozen(kw_only=True)
class ChangeRecurring(Call):
    """``recurring.pause``, ``resume`` and ``end``: one template, one change."""

    operation: ClassVar[str] = "change_recurring"
    template_id: str
    change: str
    at: Any
    catch_up: bool = False


@attrs.frozen(kw_only=True)
class GenerateRecurring(Call):
    """``recurring.generate_due`` (never keyed: each run is idempotent by itself)."""

    operation: ClassVar[str] = "generate_recurring"

"""Format 2 of stored documents, the reading half: compact dicts back into domain values.

A trusted load: these documents were written by invoicekit from values that passed
validation when they entered (``Line``, ``Seller``, ``Invoice.draft``...), and an issued
invoice's frozen part is checked against its content hash before it gets here. So values
are rebuilt field by field (``object.__new__`` and ``object.__setattr__`` on the attrs
slots) without running their converters and checks again, which cost most of a load.
Taxes and numbering series are built by their constructors, once per distinct value
(cached): there are few of them. ``compact.py`` is the writing half.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from invoicekit.domain.frozen import FrozenMapping
from invoicekit.domain.invoice import (
    CollectionFailure,
    CreditApplication,
    CreditNote,
    CreditTransfer,
    Invoice,
    Payment,
    Refund,
)
from invoicekit.domain.line import Charge, Discount, Line, ServicePeriod
from invoicekit.domain.numbering import Reset, Series
from invoicekit.domain.parties import (
    Address,
    BankAccount,
    Contact,
    Customer,
    ElectronicAddress,
    Seller,
)
from invoicekit.domain.policy import PriceMode, RoundingPolicy, TaxRounding
from invoicekit.domain.status import PaymentStatus, Status
from invoicekit.domain.tax import Tax, TaxCategory
from invoicekit.domain.terms import EndOfMonth, FixedDate, NetDays, PaymentTerms
from invoicekit.domain.totals import DocumentAdjustment, LineAmounts, TaxSubtotal, Totals
from invoicekit.money import Rounding
from invoicekit.serialization.compact import (
    DEFAULT_POLICY,
    DEFAULT_SERIES,
    DEFAULT_TERMS,
    zero_text,
)

__all__ = ["credit_note", "customer", "invoice", "seller"]

_new: Final = object.__new__
_set: Final = object.__setattr__
_tuple_new: Final = tuple.__new__
_D: Final = Decimal
_day: Final = date.fromisoformat
_time: Final = datetime.fromisoformat
_ONE: Final = Decimal(1)
_NOTHING: Final = Decimal(0)
_EMPTY: Final = FrozenMapping()
_STATUS: Final = {s.value: s for s in Status}
_PAYMENT_STATUS: Final = {s.value: s for s in PaymentStatus}
_PRICES: Final = {p.value: p for p in PriceMode}
#: Bounded caches of the values built by their (checking) constructors.
_CACHE_LIMIT: Final = 4096
_TAXES: dict[tuple[str | None, ...], Tax] = {}
_SERIES: dict[tuple[tuple[str, ...], ...], tuple[Series, ...]] = {}


def _cached_tax(row: list[str | None]) -> Tax:
    key = tuple(row)
    tax = _TAXES.get(key)
    if tax is None:
        if len(_TAXES) >= _CACHE_LIMIT:
            _TAXES.clear()
        category, rate, *rest = row
        tax = _TAXES[key] = Tax(TaxCategory(category), _D(rate), *rest)  # type: ignore[arg-type]
    return tax


def _tax_table(rows: list[list[str | None]]) -> list[Tax]:
    return [_cached_tax(row) for row in rows]


def _refs(ref: int | list[int], taxes: list[Tax]) -> tuple[Tax, ...]:
    if type(ref) is int:
        return (taxes[ref],)
    return tuple(taxes[i] for i in ref)  # type: ignore[union-attr]


# --------------------------------------------------------------------------- lines, totals


def _adjustment(cls: type[Discount | Charge], data: dict[str, Any], taxes: list[Tax]) -> Any:
    item = _new(cls)
    percent, amount, tax = data.get("percent"), data.get("amount"), data.get("tax")
    _set(item, "percent", None if percent is None else _D(percent))
    _set(item, "amount", None if amount is None else _D(amount))
    _set(item, "reason", data.get("reason"))
    _set(item, "taxes", None if tax is None else _refs(tax, taxes))
    return item


def _period(pair: list[str]) -> ServicePeriod:
    period = _new(ServicePeriod)
    _set(period, "start", _day(pair[0]))
    _set(period, "end", _day(pair[1]))
    return period


def _line(data: dict[str, Any], taxes: list[Tax]) -> Line:
    line = _new(Line)
    _set(line, "description", data["description"])
    _set(line, "quantity", _D(data["quantity"]))
    _set(line, "unit_price", _D(data["unit_price"]))
    _set(line, "taxes", _refs(data["tax"], taxes))
    _set(line, "unit", data.get("unit", "C62"))
    base_quantity = data.get("base_quantity")
    _set(line, "base_quantity", _ONE if base_quantity is None else _D(base_quantity))
    discounts, charges, period = data.get("discounts"), data.get("charges"), data.get("period")
    _set(
        line,
        "discounts",
        () if discounts is None else tuple(_adjustment(Discount, d, taxes) for d in discounts),
    )
    _set(
        line,
        "charges",
        () if charges is None else tuple(_adjustment(Charge, c, taxes) for c in charges),
    )
    _set(line, "period", None if period is None else _period(period))
    return line


def _amounts(row: list[Any], taxes: list[Tax]) -> LineAmounts:
    base = _D(row[0])
    size = len(row)
    if size == 1:
        return _tuple_new(LineAmounts, (base, (), (), base, None, ()))
    net = _D(row[1])
    discounts = tuple(map(_D, row[2])) if size > 2 else ()  # noqa: PLR2004 - positions
    charges = tuple(map(_D, row[3])) if size > 3 else ()  # noqa: PLR2004
    gross = None if size < 5 or row[4] is None else _D(row[4])  # noqa: PLR2004
    line_taxes = tuple((taxes[i], _D(a)) for i, a in row[5]) if size > 5 else ()  # noqa: PLR2004
    return _tuple_new(LineAmounts, (base, discounts, charges, net, gross, line_taxes))


def _applied(data: dict[str, Any], kind: str, taxes: list[Tax]) -> DocumentAdjustment:
    percent, base, gross = data.get("percent"), data.get("base"), data.get("gross")
    return DocumentAdjustment(
        data.get("kind", kind),
        _D(data["amount"]),
        tuple(taxes[i] for i in data["tax"]),
        None if percent is None else _D(percent),
        None if base is None else _D(base),
        data.get("reason"),
        None if gross is None else _D(gross),
    )


def _totals(data: dict[str, Any], taxes: list[Tax], currency: str, prices: PriceMode) -> Totals:
    currency = data.get("currency", currency)
    zero = zero_text(currency)
    chosen = policy(data["policy"]) if "policy" in data else DEFAULT_POLICY
    rule = chosen.mode.value
    tax_inclusive = _D(data["tax_inclusive"])
    payable = data.get("payable")
    return Totals(
        currency=currency,
        lines=tuple([_amounts(row, taxes) for row in data["lines"]]),
        discounts=tuple(_applied(d, "discount", taxes) for d in data.get("discounts", ())),
        charges=tuple(_applied(c, "charge", taxes) for c in data.get("charges", ())),
        line_net_total=_D(data["line_net_total"]),
        discount_total=_D(data.get("discount_total", zero)),
        charge_total=_D(data.get("charge_total", zero)),
        tax_exclusive=_D(data["tax_exclusive"]),
        breakdown=tuple(
            TaxSubtotal(taxes[i], _D(base), _D(amount)) for i, base, amount in data["breakdown"]
        ),
        tax_total=_D(data["tax_total"]),
        tax_inclusive=tax_inclusive,
        rounding=_D(data.get("rounding", zero)),
        payable=tax_inclusive if payable is None else _D(payable),
        prices=_PRICES[data["prices"]] if "prices" in data else prices,
        policy=chosen,
        recorded=tuple(
            ((s[0],), _D(s[1]), _D(s[2]), s[3] if len(s) > 3 else rule)  # noqa: PLR2004
            for s in data.get("steps", ())
        ),
    )


# --------------------------------------------------------------------------- settings, parties


def policy(data: dict[str, Any]) -> RoundingPolicy:
    """The rounding policy written by ``compact.policy_document``."""
    if not data:
        return DEFAULT_POLICY
    built = _new(RoundingPolicy)
    increments = data.get("cash_increments")
    _set(built, "tax_rounding", TaxRounding(data.get("tax_rounding", "per_category")))
    _set(built, "mode", Rounding(data.get("mode", "half_up")))
    _set(
        built,
        "cash_increments",
        FrozenMapping({k: _D(v) for k, v in increments.items()}) if increments else _EMPTY,
    )
    return built


def terms(data: dict[str, Any]) -> PaymentTerms:
    """The payment terms written by ``compact.terms_document``."""
    [(kind, value)] = data.items()
    built: NetDays | FixedDate | EndOfMonth
    if kind == "net_days":
        built = _new(NetDays)
        _set(built, "days", value)
    elif kind == "end_of_month":
        built = _new(EndOfMonth)
        _set(built, "days", value)
    elif kind == "fixed_date":
        built = _new(FixedDate)
        _set(built, "on", _day(value))
    else:
        raise ValueError(f"unknown payment terms {kind!r}")
    return built


def _series(rows: list[list[str]]) -> tuple[Series, ...]:
    key = tuple(tuple(row) for row in rows)
    found = _SERIES.get(key)
    if found is None:
        if len(_SERIES) >= _CACHE_LIMIT:
            _SERIES.clear()
        found = _SERIES[key] = tuple(
            Series.of(row[0], row[1], Reset(row[2]) if len(row) > 2 else Reset.YEARLY)  # noqa: PLR2004
            for row in rows
        )
    return found


def _fields(value: object, data: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        _set(value, name, data.get(name))


def _address(data: dict[str, Any]) -> Address:
    address = _new(Address)
    _fields(address, data, ("country", "line1", "line2", "city", "postal_code", "region"))
    return address


def _bank(data: dict[str, Any]) -> BankAccount:
    account = _new(BankAccount)
    _fields(account, data, ("iban", "bic", "holder"))
    return account


def _contact(data: dict[str, Any]) -> Contact:
    contact = _new(Contact)
    _fields(contact, data, ("name", "phone", "email"))
    return contact


def _endpoint(pair: list[str]) -> ElectronicAddress:
    endpoint = _new(ElectronicAddress)
    _set(endpoint, "scheme", pair[0])
    _set(endpoint, "id", pair[1])
    return endpoint


def _party_extras(party: Seller | Customer, data: dict[str, Any]) -> None:
    address, metadata = data.get("address"), data.get("metadata")
    endpoint, contact = data.get("electronic_address"), data.get("contact")
    _set(party, "address", None if address is None else _address(address))
    _set(party, "metadata", _EMPTY if metadata is None else FrozenMapping(metadata))
    _set(party, "electronic_address", None if endpoint is None else _endpoint(endpoint))
    _set(party, "contact", None if contact is None else _contact(contact))


def seller(data: dict[str, Any]) -> Seller:
    """The seller written by ``compact.seller_document``."""
    built = _new(Seller)
    _fields(built, data, ("id", "name", "country", "currency"))
    _fields(built, data, ("tax_id", "legal_name", "email", "phone", "registration_id"))
    _set(built, "timezone", data.get("timezone", "UTC"))
    _set(built, "locale", data.get("locale", "en"))
    _party_extras(built, data)
    rounding, prices, terms_data = data.get("rounding"), data.get("prices"), data.get("terms")
    series, account, minimum = (
        data.get("series"),
        data.get("bank_account"),
        data.get("reminder_minimum"),
    )
    _set(built, "rounding", DEFAULT_POLICY if rounding is None else policy(rounding))
    _set(built, "prices", PriceMode.EXCLUSIVE if prices is None else _PRICES[prices])
    _set(built, "terms", DEFAULT_TERMS if terms_data is None else terms(terms_data))
    _set(built, "series", DEFAULT_SERIES if series is None else _series(series))
    _set(built, "bank_account", None if account is None else _bank(account))
    _set(built, "send_on_issue", data.get("send_on_issue", False))
    _set(built, "apply_credit_at_issue", data.get("apply_credit_at_issue", False))
    _set(
        built,
        "reminder_minimum",
        _EMPTY if minimum is None else FrozenMapping({k: _D(v) for k, v in minimum.items()}),
    )
    return built


def customer(data: dict[str, Any]) -> Customer:
    """The customer written by ``compact.customer_document``."""
    built = _new(Customer)
    _fields(built, data, ("id", "seller_id", "name"))
    _fields(
        built,
        data,
        ("email", "phone", "tax_id", "locale", "timezone", "webhook_url", "registration_id"),
    )
    _party_extras(built, data)
    _set(built, "channels", tuple(data.get("channels", ("email",))))
    _set(built, "fallback", tuple(data.get("fallback", ())))
    _set(built, "archived", data.get("archived", False))
    return built


# --------------------------------------------------------------------------- payments


def _refund(data: dict[str, Any]) -> Refund:
    from_credit = data.get("from_credit")
    return Refund(
        data["id"],
        _D(data["amount"]),
        _time(data["at"]),
        _NOTHING if from_credit is None else _D(from_credit),
        data.get("provider_id"),
    )


def _payment(data: dict[str, Any]) -> Payment:
    allocated, credit, refunds = (
        data.get("allocated"),
        data.get("customer_credit"),
        data.get("refunds"),
    )
    return Payment(
        data["id"],
        _D(data["amount"]),
        _PAYMENT_STATUS[data.get("status", "succeeded")],
        _time(data["at"]),
        data.get("method", "manual"),
        data.get("reference"),
        _NOTHING if allocated is None else _D(allocated),
        _NOTHING if credit is None else _D(credit),
        () if refunds is None else tuple(_refund(r) for r in refunds),
        data.get("failure_reason"),
    )


def _credit(data: dict[str, Any]) -> CreditApplication:
    return CreditApplication(
        data["credit_note_id"],
        data["number"],
        _D(data["amount"]),
        _D(data["allocated"]),
        _D(data["customer_credit"]),
        _time(data["at"]),
    )


def _transfer(data: dict[str, Any]) -> CreditTransfer:
    return CreditTransfer(
        data["payment_id"],
        data["invoice_id"],
        data["number"],
        _D(data["amount"]),
        _time(data["at"]),
    )


def _failure(data: dict[str, Any]) -> CollectionFailure:
    return CollectionFailure(_time(data["at"]), data["reason"], data.get("code"))


# --------------------------------------------------------------------------- documents

_OPTIONAL_FROZEN: Final = (
    "memo",
    "footer",
    "number",
    "buyer_reference",
    "order_reference",
    "contract_reference",
    "project_reference",
)


def _when(data: dict[str, Any], name: str) -> datetime | None:
    text = data.get(name)
    return None if text is None else _time(text)


def _on(data: dict[str, Any], name: str) -> date | None:
    text = data.get(name)
    return None if text is None else _day(text)


def invoice(frozen: dict[str, Any], rest: dict[str, Any]) -> Invoice:
    """The invoice whose frozen part and the rest ``compact.invoice_parts`` wrote."""
    taxes = _tax_table(frozen["taxes"])
    currency = frozen["currency"]
    prices = _PRICES[frozen["prices"]] if "prices" in frozen else PriceMode.EXCLUSIVE
    totals = _totals(frozen["totals"], taxes, currency, prices)
    discounts, charges = frozen.get("discounts"), frozen.get("charges")
    snapshot_seller, snapshot_customer = frozen.get("seller"), frozen.get("customer")
    status, rest_policy, metadata = rest.get("status"), rest.get("policy"), rest.get("metadata")
    built = _new(Invoice)
    _fields(built, frozen, ("id", "seller_id", "customer_id", "currency"))
    _fields(built, frozen, _OPTIONAL_FROZEN)
    _set(built, "lines", tuple([_line(line, taxes) for line in frozen["lines"]]))
    _set(built, "totals", totals)
    _set(built, "terms", terms(frozen["terms"]))
    _set(built, "status", Status.DRAFT if status is None else _STATUS[status])
    _set(
        built,
        "discounts",
        () if discounts is None else tuple(_adjustment(Discount, d, taxes) for d in discounts),
    )
    _set(
        built,
        "charges",
        () if charges is None else tuple(_adjustment(Charge, c, taxes) for c in charges),
    )
    _set(built, "prices", prices)
    _set(built, "policy", totals.policy if rest_policy is None else policy(rest_policy))
    _set(built, "metadata", _EMPTY if metadata is None else FrozenMapping(metadata))
    _set(built, "series", frozen.get("series", "invoice"))
    _set(built, "issue_date", _on(frozen, "issue_date"))
    _set(built, "due_date", _on(frozen, "due_date"))
    _set(built, "issued_at", _when(frozen, "issued_at"))
    _set(built, "seller", None if snapshot_seller is None else seller(snapshot_seller))
    _set(built, "customer", None if snapshot_customer is None else customer(snapshot_customer))
    _set(built, "payment_link", rest.get("payment_link"))
    _set(built, "payments", tuple(_payment(p) for p in rest.get("payments", ())))
    _set(built, "credits", tuple(_credit(c) for c in rest.get("credits", ())))
    _set(built, "credit_transfers", tuple(_transfer(t) for t in rest.get("credit_transfers", ())))
    _set(built, "failures", tuple(_failure(f) for f in rest.get("failures", ())))
    for name in ("created_at", "paid_at", "voided_at", "written_off_at"):
        _set(built, name, _when(rest, name))
    _set(built, "version", rest.get("version", 1))
    return built


def credit_note(data: dict[str, Any]) -> CreditNote:
    """The credit note written by ``compact.credit_note_document``."""
    taxes = _tax_table(data["taxes"])
    currency = data["currency"]
    return CreditNote(
        id=data["id"],
        number=data["number"],
        seller_id=data["seller_id"],
        customer_id=data["customer_id"],
        invoice_id=data["invoice_id"],
        invoice_number=data["invoice_number"],
        invoice_issue_date=_day(data["invoice_issue_date"]),
        currency=currency,
        lines=tuple([_line(line, taxes) for line in data["lines"]]),
        totals=_totals(data["totals"], taxes, currency, PriceMode.EXCLUSIVE),
        issue_date=_day(data["issue_date"]),
        issued_at=_time(data["issued_at"]),
        seller=seller(data["seller"]),
        customer=customer(data["customer"]),
        reason=data.get("reason"),
        buyer_reference=data.get("buyer_reference"),
        order_reference=data.get("order_reference"),
    )

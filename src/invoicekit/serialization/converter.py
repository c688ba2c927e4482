"""The cattrs converter: events, calls and idempotency results, and format 1 of stored documents.

One converter, made by ``make_converter()`` and never global. Amounts travel as
decimal strings, times as ISO 8601. ``to_document`` and ``from_document`` are format 1
(every field, validation again on read): documents stored before format 2 (compact.py)
are read with them, and an invoice issued in format 1 is saved in it, so its content
hash holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final, TypeVar, cast

import attrs
import cattrs

from invoicekit.domain import events as ev
from invoicekit.domain.dunning import DunningPolicy, PolicyOverride
from invoicekit.domain.frozen import FrozenMapping
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.line import Line
from invoicekit.domain.numbering import NumberFormat, Series
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.policy import RoundingPolicy
from invoicekit.domain.tax import Tax
from invoicekit.domain.terms import EndOfMonth, FixedDate, NetDays, PaymentTerms
from invoicekit.domain.totals import LineAmounts, Totals
from invoicekit.serialization.compact_values import seconds_from, seconds_text
from invoicekit.serialization.dunning_values import dunning_document, dunning_from

__all__ = [
    "EVENT_CONTEXT",
    "event_from_document",
    "event_to_document",
    "from_document",
    "make_converter",
    "to_document",
]

T = TypeVar("T")

_TERMS: Final[dict[str, type[Any]]] = {
    "net_days": NetDays,
    "fixed_date": FixedDate,
    "end_of_month": EndOfMonth,
}
_TERMS_NAME: Final = {cls: name for name, cls in _TERMS.items()}
#: The key of an outbox payload holding the invoice's facts at the change (customer, statuses).
EVENT_CONTEXT: Final = "_context"
_EVENTS: Final[dict[str, type[ev.Event]]] = {
    cls.__name__: cls
    for cls in vars(ev).values()
    if isinstance(cls, type) and issubclass(cls, ev.Event)
}


def _register_terms(converter: cattrs.Converter) -> None:
    """Store ``PaymentTerms`` as the class's fields plus a ``"type"`` tag naming the class.

    A predicate on the annotation, not a class hook: Python 3.12+'s singledispatch matches a
    Protocol structurally, so NetDays itself would hit the hook and lose its tag on read.
    """
    unstructure_fns = {cls: converter.gen_unstructure_attrs_fromdict(cls) for cls in _TERMS_NAME}
    structure_fns = {cls: converter.gen_structure_attrs_fromdict(cls) for cls in _TERMS_NAME}

    def unstructure(terms: PaymentTerms) -> dict[str, Any]:
        cls = type(terms)
        data: dict[str, Any] = unstructure_fns[cls](terms)
        return {"type": _TERMS_NAME[cls], **data}

    def structure(data: Mapping[str, Any], _: Any) -> PaymentTerms:
        fields = dict(data)
        cls = _TERMS[fields.pop("type")]
        result: PaymentTerms = structure_fns[cls](fields, cls)
        return result

    def is_terms(annotation: Any) -> bool:
        return annotation is PaymentTerms

    converter.register_unstructure_hook_func(is_terms, unstructure)
    converter.register_structure_hook_func(is_terms, structure)
    for cls in _TERMS_NAME:  # also by value (fingerprints): NetDays(14) is not EndOfMonth(14)
        converter.register_unstructure_hook(cls, unstructure)


def _totals_unstructure(converter: cattrs.Converter) -> Any:
    base = converter.gen_unstructure_attrs_fromdict(Totals)

    def unstructure(totals: Totals) -> dict[str, Any]:
        data: dict[str, Any] = base(totals)
        del data["source_lines"]  # the document's lines, stored beside the totals
        data["recorded"] = [
            [" ".join(map(str, where)), str(exact), str(rounded), rule]
            for where, exact, rounded, rule in totals.recorded
        ]
        return data

    return unstructure


def _totals_structure(converter: cattrs.Converter) -> Any:
    base = converter.gen_structure_attrs_fromdict(Totals)

    def structure(data: Mapping[str, Any], _: Any) -> Totals:
        fields = dict(data)
        recorded = tuple(
            ((where,), Decimal(exact), Decimal(rounded), rule)
            for where, exact, rounded, rule in fields.pop("recorded")
        )
        fields["recorded"] = []
        totals: Totals = base(fields, Totals)
        return Totals(**{**_attrs_dict(totals), "recorded": recorded})

    return structure


def _register_line_notes(converter: cattrs.Converter) -> None:
    """Write a line's note (BT-127) only when it has one; give the totals their lines on read.

    The field came after format 1, so a line without a note is written as before: stored
    documents, content hashes, templates and call fingerprints do not change.
    """
    line_fields = converter.gen_unstructure_attrs_fromdict(Line)

    def unstructure_line(line: Line) -> dict[str, Any]:
        data: dict[str, Any] = line_fields(line)
        if data["note"] is None:
            del data["note"]
        return data

    converter.register_unstructure_hook(Line, unstructure_line)
    for cls in (Invoice, CreditNote):
        converter.register_structure_hook(cls, _with_line_notes(converter, cls))


def _with_line_notes(converter: cattrs.Converter, cls: type[T]) -> Any:
    base = converter.gen_structure_attrs_fromdict(cls)

    def structure(data: Mapping[str, Any], _: Any) -> T:
        value: Any = base(data, cls)
        if any(line.note for line in value.lines):
            totals = attrs.evolve(value.totals, source_lines=value.lines)
            value = attrs.evolve(value, totals=totals)
        return cast(T, value)

    return structure


def _attrs_dict(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in value.__attrs_attrs__}


def _register_dunning(converter: cattrs.Converter) -> None:
    """``Seller.dunning`` and ``Customer.dunning`` in format 1: the shape of ``dunning_values``."""
    for cls in (DunningPolicy, PolicyOverride):
        converter.register_unstructure_hook(cls, dunning_document)

    def is_dunning(kind: object) -> bool:
        return any(kind == t for t in (DunningPolicy | None, DunningPolicy | PolicyOverride | None))

    converter.register_structure_hook_func(is_dunning, lambda value, _: dunning_from(value))


def make_converter() -> cattrs.Converter:
    """A converter for every stored domain value: Invoice, CreditNote, Seller, Customer, events."""
    c = cattrs.Converter(forbid_extra_keys=True)
    c.register_unstructure_hook(Decimal, str)
    c.register_structure_hook(Decimal, lambda v, _: Decimal(v))
    c.register_unstructure_hook(datetime, datetime.isoformat)
    c.register_structure_hook(datetime, lambda v, _: datetime.fromisoformat(v))
    c.register_unstructure_hook(date, date.isoformat)
    c.register_structure_hook(date, lambda v, _: date.fromisoformat(v))
    c.register_unstructure_hook(time, time.isoformat)  # a schedule's time of day
    c.register_structure_hook(time, lambda v, _: time.fromisoformat(v))
    c.register_unstructure_hook(timedelta, seconds_text)  # a seller's usage grace
    c.register_structure_hook(timedelta, lambda v, _: seconds_from(v))
    c.register_unstructure_hook(FrozenMapping, FrozenMapping.thaw)
    c.register_structure_hook_func(lambda t: t == Mapping[str, Any], lambda v, _: FrozenMapping(v))
    c.register_unstructure_hook(
        NumberFormat, lambda f: {"pattern": f.pattern, "reset": f.reset.value}
    )
    c.register_structure_hook(
        NumberFormat, lambda v, _: NumberFormat.parse(v["pattern"], reset=v["reset"])
    )
    c.register_unstructure_hook(
        Series, lambda s: {"name": s.name, "format": c.unstructure(s.format)}
    )
    c.register_structure_hook(
        Series, lambda v, _: Series(v["name"], c.structure(v["format"], NumberFormat))
    )
    c.register_unstructure_hook(
        RoundingPolicy,
        lambda p: {
            "tax_rounding": p.tax_rounding.value,
            "mode": p.mode.value,
            "cash_increments": {k: str(v) for k, v in p.cash_increments.items()},
        },
    )
    c.register_structure_hook(RoundingPolicy, lambda v, _: RoundingPolicy(**v))
    _register_terms(c)
    _register_dunning(c)
    c.register_unstructure_hook(
        LineAmounts,
        lambda a: {
            "base": str(a.base),
            "discounts": [str(d) for d in a.discounts],
            "charges": [str(x) for x in a.charges],
            "net": str(a.net),
            "gross": None if a.gross is None else str(a.gross),
            "taxes": [[c.unstructure(t), str(v)] for t, v in a.taxes],
        },
    )
    c.register_structure_hook(
        LineAmounts,
        lambda v, _: LineAmounts(
            Decimal(v["base"]),
            tuple(Decimal(d) for d in v["discounts"]),
            tuple(Decimal(x) for x in v["charges"]),
            Decimal(v["net"]),
            None if v["gross"] is None else Decimal(v["gross"]),
            tuple((c.structure(t, Tax), Decimal(a)) for t, a in v["taxes"]),
        ),
    )
    c.register_unstructure_hook(Totals, _totals_unstructure(c))
    c.register_structure_hook(Totals, _totals_structure(c))
    _register_line_notes(c)
    return c


def event_to_document(converter: cattrs.Converter, event: ev.Event) -> dict[str, Any]:
    """An event as a document tagged with its type name."""
    data: dict[str, Any] = converter.unstructure(event)
    return {"type": event.name, **data}


def event_from_document(converter: cattrs.Converter, document: Mapping[str, Any]) -> ev.Event:
    """The event a document written by ``event_to_document`` describes."""
    fields = dict(document)
    fields.pop(EVENT_CONTEXT, None)  # the invoice's facts beside the event (handlers read them)
    cls = _EVENTS[fields.pop("type")]
    return converter.structure(fields, cls)


def to_document(
    converter: cattrs.Converter, value: Invoice | CreditNote | Seller | Customer
) -> dict[str, Any]:
    """A stored value as a JSON-ready dict."""
    data: dict[str, Any] = converter.unstructure(value)
    return data


def from_document(converter: cattrs.Converter, document: Mapping[str, Any], cls: type[T]) -> T:
    """Rebuild a stored value of type ``cls`` (validation runs again, as for new input)."""
    return converter.structure(document, cls)

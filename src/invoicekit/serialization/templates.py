"""Recurring templates as stored documents: a cattrs document, its lines read back the trusted way.

``run_due`` reads every due template once per period, so its lines (most of a
template) are rebuilt by unchecked constructors, as a stored invoice's are: they were
checked when the template was created. Lines with discounts or charges, rare on
templates, take the cattrs way.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any, Final

import attrs
import cattrs

from invoicekit.domain.line import Line, ServicePeriod
from invoicekit.domain.recurring import RecurringTemplate
from invoicekit.domain.tax import Tax
from invoicekit.errors import IntegrityError
from invoicekit.serialization.builders import unchecked

__all__ = ["TEMPLATE_FORMAT", "template_from_text", "template_text"]

#: The format of the stored template document; bump it when its shape changes.
TEMPLATE_FORMAT: Final = 1
_new_line: Final = unchecked(Line)
_new_period: Final = unchecked(ServicePeriod)
#: Taxes built by cattrs, once per distinct stored form (there are few).
_TAXES: dict[tuple[tuple[str, object], ...], Tax] = {}
_TAX_LIMIT: Final = 1024


def _tax(converter: cattrs.Converter, data: dict[str, Any]) -> Tax:
    key = tuple(data.items())  # the stored keys are sorted
    tax = _TAXES.get(key)
    if tax is None:
        if len(_TAXES) >= _TAX_LIMIT:
            _TAXES.clear()
        tax = _TAXES[key] = converter.structure(data, Tax)
    return tax


def _line(converter: cattrs.Converter, data: dict[str, Any]) -> Line | None:
    """The stored line rebuilt unchecked; None when it has discounts or charges (cattrs reads it)."""
    if data["discounts"] or data["charges"]:
        return None
    pair = data["period"]
    period = (
        None
        if pair is None
        else _new_period(
            start=converter.structure(pair["start"], date),
            end=converter.structure(pair["end"], date),
        )
    )
    return _new_line(
        description=data["description"],
        quantity=Decimal(data["quantity"]),
        unit_price=Decimal(data["unit_price"]),
        taxes=tuple(_tax(converter, t) for t in data["taxes"]),
        unit=data["unit"],
        base_quantity=Decimal(data["base_quantity"]),
        discounts=(),
        charges=(),
        period=period,
        note=data.get("note"),  # written only when the line has one
    )


def template_text(converter: cattrs.Converter, template: RecurringTemplate) -> str:
    """The JSON text stored for ``template``."""
    unstructured = converter.unstructure(template)
    document = {"format": TEMPLATE_FORMAT, "template": unstructured}
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def template_from_text(converter: cattrs.Converter, text: str, where: str) -> RecurringTemplate:
    """The template stored as ``text``; IntegrityError when it cannot be read back."""
    try:
        document = json.loads(text)
        if document["format"] != TEMPLATE_FORMAT:
            raise ValueError(f"unknown template format {document['format']!r}")
        data = document["template"]
        lines = [_line(converter, line) for line in data["lines"]]
        fast = [line for line in lines if line is not None]
        if len(fast) < len(lines):
            full: RecurringTemplate = converter.structure(data, RecurringTemplate)
            return full
        template: RecurringTemplate = converter.structure({**data, "lines": []}, RecurringTemplate)
        return attrs.evolve(template, lines=tuple(fast))
    except (ValueError, KeyError, TypeError, cattrs.BaseValidationError) as exc:
        raise IntegrityError(
            f"the stored recurring template in {where} cannot be read back ({exc!s:.200}); "
            "it was changed outside invoicekit or written by another version: restore a backup"
        ) from exc

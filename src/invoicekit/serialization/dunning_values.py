"""Dunning settings as stored documents: ``Seller.dunning`` and ``Customer.dunning``, both formats.

One plain-JSON shape for a ``DunningPolicy`` or a ``PolicyOverride`` (``"override": true``),
used by the compact codec (format 2) and the cattrs converter (format 1). Defaults are
left out, so a policy stored today still reads when a later field is added.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

import attrs

from invoicekit.domain.dunning import (
    DunningPolicy,
    LateFee,
    LateFeeMode,
    PolicyOverride,
    QuietHours,
    Step,
    late_fee_tax,
)
from invoicekit.domain.tax import Tax
from invoicekit.money import Rounding

__all__ = ["dunning_document", "dunning_from"]

_DEFAULT = DunningPolicy()
_DEFAULT_FEE_TAX = late_fee_tax()


def _tax(tax: Tax) -> dict[str, Any]:
    out: dict[str, Any] = {"category": tax.category.value, "rate": str(tax.rate), "name": tax.name}
    if tax.exemption_reason is not None:
        out["exemption_reason"] = tax.exemption_reason
    if tax.exemption_code is not None:
        out["exemption_code"] = tax.exemption_code
    return out


def _fee(fee: LateFee) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if fee.fixed:
        out["fixed"] = {k: str(v) for k, v in fee.fixed.items()}
    if fee.annual_rate is not None:
        out["annual_rate"] = str(fee.annual_rate)
    if fee.mode is not LateFeeMode.NEW_INVOICE:
        out["mode"] = fee.mode.value
    if fee.tax != _DEFAULT_FEE_TAX:
        out["tax"] = _tax(fee.tax)
    if fee.rounding is not Rounding.HALF_UP:
        out["rounding"] = fee.rounding.value
    if fee.description != "Late payment fee":
        out["description"] = fee.description
    return out


def _step(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"days": step.days, "name": step.name}
    if step.kind != "reminder":
        out["kind"] = step.kind
    if step.late_fee is not None:
        out["late_fee"] = _fee(step.late_fee)
    return out


def _fields(value: DunningPolicy | PolicyOverride) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if value.steps is not None:
        out["steps"] = [_step(s) for s in value.steps]
    if value.send_at is not None:
        out["send_at"] = value.send_at.isoformat()
    if value.quiet_hours is not None:
        out["quiet_hours"] = [
            value.quiet_hours.start.isoformat(),
            value.quiet_hours.end.isoformat(),
        ]
    if value.skip_weekends is not None:
        out["skip_weekends"] = value.skip_weekends
    if value.channels is not None:
        out["channels"] = list(value.channels)
    if value.retry_days is not None:
        out["retry_days"] = list(value.retry_days)
    return out


def dunning_document(value: DunningPolicy | PolicyOverride | None) -> dict[str, Any] | None:
    """The stored shape of a policy or an override (None stays None)."""
    if value is None:
        return None
    out = _fields(value)
    if isinstance(value, PolicyOverride):
        out["override"] = True
    return out


def _tax_from(data: dict[str, Any]) -> Tax:
    return Tax(
        category=data["category"],
        rate=Decimal(data["rate"]),
        name=data.get("name", "VAT"),
        exemption_reason=data.get("exemption_reason"),
        exemption_code=data.get("exemption_code"),
    )


def _fee_from(data: dict[str, Any]) -> LateFee:
    tax = data.get("tax")
    return LateFee(
        fixed=data.get("fixed", {}),
        annual_rate=data.get("annual_rate"),
        mode=LateFeeMode(data.get("mode", "new_invoice")),
        tax=_DEFAULT_FEE_TAX if tax is None else _tax_from(tax),
        rounding=Rounding(data.get("rounding", Rounding.HALF_UP.value)),
        description=data.get("description", "Late payment fee"),
    )


def _step_from(data: dict[str, Any]) -> Step:
    fee = data.get("late_fee")
    return Step(
        days=data["days"],
        kind=data.get("kind", "reminder"),
        late_fee=None if fee is None else _fee_from(fee),
        name=data["name"],
    )


def dunning_from(data: dict[str, Any] | None) -> DunningPolicy | PolicyOverride | None:
    """The policy or override ``dunning_document`` wrote."""
    if data is None:
        return None
    values: dict[str, Any] = {}
    if "steps" in data:
        values["steps"] = tuple(_step_from(s) for s in data["steps"])
    if "send_at" in data:
        values["send_at"] = time.fromisoformat(data["send_at"])
    if "quiet_hours" in data:
        start, end = data["quiet_hours"]
        values["quiet_hours"] = QuietHours(time.fromisoformat(start), time.fromisoformat(end))
    for name in ("skip_weekends", "channels", "retry_days"):
        if name in data:
            values[name] = data[name]
    if data.get("override"):
        return PolicyOverride(**values)
    return attrs.evolve(_DEFAULT, **values)

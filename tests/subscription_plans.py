"""Plans and subscriptions the subscription tests share: a fixed fee, seats and a metered price."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from invoicekit.domain.pricing import Plan, Price, PriceKind
from invoicekit.domain.schedule import Frequency
from invoicekit.domain.subscription import Subscription
from invoicekit.domain.tax import Vat
from invoicekit.domain.usage import Meter

__all__ = ["BERLIN", "PRO", "TEAM", "berlin", "plan", "subscribe"]

BERLIN: Final = "Europe/Berlin"


def berlin(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A wall-clock instant in Berlin."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(BERLIN))


def plan(
    id: str = "pro",
    *,
    fee: str = "30.00",
    seat: str = "10.00",
    call: str = "0.01",
    suffix: str = "",
    frequency: Frequency = Frequency.MONTHLY,
    currency: str = "EUR",
) -> Plan:
    """A plan with a fixed fee, a seats price and a metered price (ids end in ``suffix``)."""
    prices = (
        Price.create(
            id=f"base{suffix}",
            description=f"{id.title()} plan",
            currency=currency,
            kind=PriceKind.FIXED,
            unit_amount=fee,
            tax=(Vat("19"),),
        ),
        Price.create(
            id=f"seats{suffix}",
            description="Seats",
            currency=currency,
            kind=PriceKind.SEATS,
            unit_amount=seat,
            tax=(Vat("19"),),
        ),
        Price.create(
            id=f"api{suffix}",
            description="API calls",
            currency=currency,
            kind=PriceKind.METERED,
            unit_amount=call,
            meter=Meter(key="api_calls"),
            tax=(Vat("19"),),
        ),
    )
    return Plan.create(id=id, name=id.title(), frequency=frequency, prices=prices)


PRO: Final = plan()
TEAM: Final = plan("team", fee="50.00", seat="12.00", call="0.02", suffix="_team")


def subscribe(**fields: Any) -> Subscription:
    """A Pro subscription in EUR from 1 Jan 2027 09:00 Berlin with 3 seats, or as ``fields`` say."""
    given: dict[str, Any] = {
        "id": "sub_1",
        "customer_id": "cus_1",
        "plan": PRO,
        "currency": "EUR",
        "start": berlin(2027, 1, 1),
        "zone": BERLIN,
        "quantities": {"seats": 3},
    }
    given.update(fields)
    return Subscription.create(**given)

"""The demo's marketing agency: its seller settings, its reminder policy and its 15 clients.

Each client has a retainer (a monthly recurring template), a language, channels and a
payment habit that ``demo_payers`` plays out day by day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Final, Literal

import attrs

from invoicekit.domain.dunning import DunningPolicy, Step
from invoicekit.domain.late_fee import LateFee, LateFeeMode

__all__ = ["CLIENTS", "POLICY", "START", "Client", "Habit"]

#: How a client pays: ``on_time`` and ``late`` by bank transfer, ``partial`` in two halves,
#: ``card`` through the sandbox pay page, ``saved_card`` on the pay page once, saving the card
#: that is then charged automatically, ``card_fails`` by a saved card that is declined and
#: retried until the client saves a working one, ``never`` not at all.
Habit = Literal["on_time", "late", "partial", "card", "saved_card", "card_fails", "never"]

#: The first simulated day (a Thursday); retainers bill on the 1st of every month.
START: Final = datetime(2026, 1, 1, 7, 0, tzinfo=UTC)
#: Reminders 3 days before the due date and 3, 7 and 14 days after (the last one adding late
#: payment interest at 10.27 % a year, the German rate for businesses); the final notice at
#: 21 days. Each goes once, at 09:00 Berlin time. A declined automatic charge is retried 1, 3
#: and 7 days after it failed, then left to the reminders.
POLICY: Final = DunningPolicy(
    steps=[
        Step(days=-3),
        Step(days=3),
        Step(days=7),
        Step(days=14, late_fee=LateFee(annual_rate=Decimal("10.27"), mode=LateFeeMode.INTEREST)),
        Step(days=21, kind="final_notice"),
    ],
    send_at=time(9),
    skip_weekends=False,
    retry_days=(1, 3, 7),
)


@attrs.frozen
class Client:
    """One client of the agency: who, how reached, what the retainer is and how they pay."""

    name: str
    locale: str
    email: str
    habit: Habit
    retainer: Decimal
    channels: tuple[str, ...] = ("email",)
    phone: str | None = None


def _client(
    name: str,
    locale: str,
    habit: Habit,
    retainer: str,
    *,
    channels: tuple[str, ...] = ("email",),
    phone: str | None = None,
) -> Client:
    """A client whose accounts-payable address is ``ap@<first word of the name>.example``."""
    domain = name.split(maxsplit=1)[0].lower()
    email = f"ap@{domain}.example"
    return Client(name, locale, email, habit, Decimal(retainer), channels=channels, phone=phone)


#: The agency's 15 clients.
CLIENTS: Final = (
    _client("Globex GmbH", "de_DE", "on_time", "2400.00", channels=("email", "in_app")),
    _client("Initech SARL", "fr_FR", "partial", "1800.00"),
    _client("Hooli S.L.", "es_ES", "late", "1500.00"),
    _client("Umbrella Ltd", "en", "never", "900.00", channels=("email", "in_app")),
    _client("Soylent Foods", "en", "card", "1200.00"),
    _client(
        "Wonka Confiserie",
        "de_DE",
        "on_time",
        "3000.00",
        channels=("email", "sms"),
        phone="+4915112345678",
    ),
    _client("Acme Anvils", "en", "card_fails", "1100.00"),
    _client("Stark Textil", "de_DE", "on_time", "2000.00"),
    _client("Tyrell Studio", "fr_FR", "late", "1350.00"),
    _client("Cyberdyne AG", "de_DE", "saved_card", "2750.00"),
    _client("Vandelay Import", "en", "on_time", "800.00"),
    _client("Pied Piper SA", "fr_FR", "on_time", "1600.00"),
    _client(
        "Oscorp Ibérica",
        "es_ES",
        "late",
        "1250.00",
        channels=("email", "sms", "in_app"),
        phone="+34612345678",
    ),
    _client("Wayne Druck", "de_DE", "on_time", "2200.00"),
    _client("Gringotts Bank", "en", "on_time", "5000.00"),
)

#: The first day of the demo, as a date (the retainers' schedule start).
FIRST_DAY: Final = date(2026, 1, 1)

"""The invoicekit pytest plugin: fixtures for the test suites of applications built on invoicekit.

pytest loads it through the ``pytest11`` entry point named ``invoicekit``. Every
fixture name starts with ``invoicekit_`` so none shadows the host's own. The
fixtures import what they use (Billing, the SMTP server and aiosmtpd) when they
run: loading the plugin costs no more than ``import invoicekit``.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from invoicekit.services.billing import Billing, SellerBooks
    from invoicekit.testing.clock import FixedClock
    from invoicekit.testing.sent import SentMessages
    from invoicekit.testing.smtp import LoopbackSmtpServer

__all__ = [
    "START",
    "invoicekit_billing",
    "invoicekit_books",
    "invoicekit_clock",
    "invoicekit_sent",
    "invoicekit_smtp",
    "invoicekit_start",
]

#: Where ``invoicekit_clock`` starts unless a test overrides ``invoicekit_start``:
#: Monday 2 March 2026, 09:00 UTC (10:00 in Berlin).
START = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def invoicekit_start() -> datetime:
    """The instant ``invoicekit_clock`` starts at; parametrize or override it to start at another."""
    return START


@pytest.fixture
def invoicekit_clock(invoicekit_start: datetime) -> FixedClock:
    """A ``FixedClock`` at ``invoicekit_start``; move it with ``.advance(days=3)`` or ``.set(at)``."""
    from invoicekit.testing.clock import FixedClock

    return FixedClock(invoicekit_start)


@pytest.fixture
def invoicekit_sent() -> SentMessages:
    """The messages ``invoicekit_billing`` sent by e-mail, SMS and webhook, oldest first."""
    from invoicekit.testing.sent import SentMessages

    return SentMessages()


@pytest.fixture
def invoicekit_billing(
    invoicekit_clock: FixedClock, invoicekit_sent: SentMessages
) -> Iterator[Billing]:
    """A ``Billing`` in memory on ``invoicekit_clock``, sending into ``invoicekit_sent``."""
    from invoicekit.services.billing import Billing

    with Billing.in_memory(clock=invoicekit_clock, notifiers=invoicekit_sent.notifiers) as billing:
        yield billing


@pytest.fixture
def invoicekit_books(invoicekit_billing: Billing) -> SellerBooks:
    """The books of a seller in ``invoicekit_billing``: Northwind Studio, Germany, EUR, Berlin time."""
    seller = invoicekit_billing.sellers.create(
        name="Northwind Studio", country="DE", currency="EUR", timezone="Europe/Berlin"
    )
    return invoicekit_billing.seller(seller.id)


@pytest.fixture
def invoicekit_smtp() -> Iterator[LoopbackSmtpServer]:
    """A real SMTP server on a free 127.0.0.1 port (no TLS, no AUTH) that keeps what it receives."""
    from invoicekit.testing.smtp import LoopbackSmtpServer

    with LoopbackSmtpServer() as server:
        yield server
    # aiosmtpd closes its event loop with the transports of finished connections still open:
    # collect them now, quietly, instead of letting their ResourceWarning fail a later test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()

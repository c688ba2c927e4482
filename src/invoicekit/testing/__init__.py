"""What tests of code built on invoicekit need: in-memory adapters and a settable clock.

Importing this package needs no pytest. What does: the pytest plugin
(``invoicekit.testing.pytest_plugin``, fixtures named ``invoicekit_*``, which pytest
loads by itself), ``invoicekit.testing.contracts`` (the port contract suites) and
``invoicekit.testing.strategies`` (hypothesis, too).
"""

from invoicekit.adapters.storage.memory import MemoryStorage
from invoicekit.testing.clock import FixedClock
from invoicekit.testing.fakes import MemoryNotifier, MemoryPayments, MemoryRenderer
from invoicekit.testing.sent import SentMessages

__all__ = [
    "FixedClock",
    "MemoryNotifier",
    "MemoryPayments",
    "MemoryRenderer",
    "MemoryStorage",
    "SentMessages",
]

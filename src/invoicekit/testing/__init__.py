"""What tests of code built on invoicekit need: in-memory adapters and a settable clock.

Importing this package needs no pytest; ``invoicekit.testing.contracts`` (the
port contract suites) and ``invoicekit.testing.strategies`` (hypothesis) do.
"""

from invoicekit.adapters.storage.memory import MemoryStorage
from invoicekit.testing.clock import FixedClock
from invoicekit.testing.fakes import MemoryNotifier, MemoryPayments, MemoryRenderer

__all__ = ["FixedClock", "MemoryNotifier", "MemoryPayments", "MemoryRenderer", "MemoryStorage"]

"""Contract suites: the behaviour every adapter of a port must show (the ``testing`` extra).

Each suite is a class not named ``Test…``; pytest collects it through a subclass
that provides the adapter's fixtures::

    from invoicekit.testing.contracts import StorageContract


    class TestMyStorage(StorageContract): ...
"""

import pytest

# The suites check with assert: have pytest rewrite them for readable failures.
# (Registered by module name before they are imported; the package itself has no asserts.)
pytest.register_assert_rewrite(
    "invoicekit.testing.contracts.notifier",
    "invoicekit.testing.contracts.payments",
    "invoicekit.testing.contracts.renderer",
    "invoicekit.testing.contracts.storage",
    "invoicekit.testing.contracts.storage_base",
    "invoicekit.testing.contracts.storage_builders",
    "invoicekit.testing.contracts.storage_differential",
    "invoicekit.testing.contracts.storage_find",
    "invoicekit.testing.contracts.storage_inbox",
    "invoicekit.testing.contracts.storage_invoices",
    "invoicekit.testing.contracts.storage_isolation",
    "invoicekit.testing.contracts.storage_message_claims",
    "invoicekit.testing.contracts.storage_messages",
    "invoicekit.testing.contracts.storage_messages_sellers",
    "invoicekit.testing.contracts.storage_operations",
    "invoicekit.testing.contracts.storage_parties",
    "invoicekit.testing.contracts.storage_payments",
    "invoicekit.testing.contracts.storage_records",
    "invoicekit.testing.contracts.storage_units",
)

from invoicekit.testing.contracts.notifier import NotifierContract, ReceivedMessage  # noqa: E402
from invoicekit.testing.contracts.payments import PaymentProviderContract, SignEvent  # noqa: E402
from invoicekit.testing.contracts.renderer import RendererContract  # noqa: E402
from invoicekit.testing.contracts.storage import StorageContract  # noqa: E402 - after the rewrite hook
from invoicekit.testing.contracts.storage_builders import Reopen, StorageFactory  # noqa: E402

__all__ = [
    "NotifierContract",
    "PaymentProviderContract",
    "ReceivedMessage",
    "RendererContract",
    "Reopen",
    "SignEvent",
    "StorageContract",
    "StorageFactory",
]

"""``StorageContract``: the behaviour every Storage adapter must show, ours and third parties'.

Subclass it as ``TestXStorage`` and override the fixtures (see ``storage_base``)::

    class TestSqliteStorage(StorageContract):
        @pytest.fixture
        def storage(self, tmp_path: Path) -> Iterator[Storage]:
            store = SqliteStorage(tmp_path / "books.db")
            yield store
            store.close()

        @pytest.fixture
        def make_storage(self, tmp_path_factory: pytest.TempPathFactory) -> StorageFactory:
            return lambda: SqliteStorage(tmp_path_factory.mktemp("db") / "books.db")

        @pytest.fixture
        def reopen(self) -> Reopen:
            return lambda store: SqliteStorage(store.path)

The tests live in one sibling module per concern; this class gathers them.
"""

from __future__ import annotations

from invoicekit.testing.contracts.storage_batches import BatchesContract
from invoicekit.testing.contracts.storage_differential import DifferentialContract
from invoicekit.testing.contracts.storage_events import EventFeedContract
from invoicekit.testing.contracts.storage_find import FindContract
from invoicekit.testing.contracts.storage_inbox import InboxContract
from invoicekit.testing.contracts.storage_invoices import InvoicesContract
from invoicekit.testing.contracts.storage_isolation import IsolationContract
from invoicekit.testing.contracts.storage_messages import MessagesContract
from invoicekit.testing.contracts.storage_messages_sellers import SellerMessagesContract
from invoicekit.testing.contracts.storage_parties import PartiesContract
from invoicekit.testing.contracts.storage_payments import PaymentsStorageContract
from invoicekit.testing.contracts.storage_records import RecordsContract
from invoicekit.testing.contracts.storage_recurring import RecurringStorageContract
from invoicekit.testing.contracts.storage_subscriptions import SubscriptionsStorageContract
from invoicekit.testing.contracts.storage_units import TransactionsContract
from invoicekit.testing.contracts.storage_usage import UsageStorageContract

__all__ = ["StorageContract"]


class StorageContract(
    PartiesContract,
    InvoicesContract,
    BatchesContract,
    FindContract,
    RecordsContract,
    TransactionsContract,
    IsolationContract,
    DifferentialContract,
    MessagesContract,
    SellerMessagesContract,
    InboxContract,
    PaymentsStorageContract,
    RecurringStorageContract,
    SubscriptionsStorageContract,
    UsageStorageContract,
    EventFeedContract,
):
    """Behaviour every Storage adapter must show. Subclass as ``TestXStorage``.

    Override ``storage`` (an empty store per test), ``make_storage`` (a factory of
    empty stores) and, for adapters whose data outlives the object, ``reopen``
    (a fresh instance on the same data). Set ``supports_threads = False`` for an
    adapter whose instances cannot run in several threads at once. Needs pytest
    and hypothesis (``pip install 'invoicekit[testing]'``).
    """

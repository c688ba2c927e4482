"""The storage contract on ``MemoryStorage``, the reference adapter.

The tests marked ``xfail`` below are contract points MemoryStorage does not meet
yet (reported to its owners); ``strict=True`` turns a fix into a failure here, so
the marker is removed in the same change that fixes the adapter.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from invoicekit.adapters.storage.memory import MemoryStorage
from invoicekit.ports import Storage
from invoicekit.testing.contracts import Reopen, StorageContract, StorageFactory


def _known_gap(reason: str) -> pytest.MarkDecorator:
    # Only a failed check counts (an assert, or pytest.raises that did not raise), never a crash.
    failed = (AssertionError, pytest.fail.Exception)
    return pytest.mark.xfail(reason=f"MemoryStorage: {reason}", raises=failed, strict=True)


class TestMemoryStorage(StorageContract):
    @pytest.fixture
    def storage(self) -> Iterator[Storage]:
        store = MemoryStorage()
        yield store
        store.close()

    @pytest.fixture
    def make_storage(self) -> StorageFactory:
        return MemoryStorage

    @pytest.fixture
    def reopen(self) -> Reopen:
        # The data lives in the object: the "fresh instance" is the object itself.
        return lambda store: store

    @_known_gap("stale expected_version raises ConcurrencyError(retryable=True), the default")
    def test_stale_version_conflict_is_not_retryable(self, storage: Storage) -> None:
        super().test_stale_version_conflict_is_not_retryable(storage)

    @_known_gap("find restarts at the first page when `after` no longer matches the query")
    def test_paging_continues_after_an_invoice_that_stopped_matching(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        super().test_paging_continues_after_an_invoice_that_stopped_matching(storage, reopen)

    @_known_gap("find orders a draft with a preset issue_date among the issued invoices")
    def test_find_puts_drafts_last_even_with_a_preset_issue_date(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        super().test_find_puts_drafts_last_even_with_a_preset_issue_date(storage, reopen)

    @_known_gap("outbox payloads and idempotency results are stored by reference, not copied")
    def test_stored_documents_are_copies(self, storage: Storage, reopen: Reopen) -> None:
        super().test_stored_documents_are_copies(storage, reopen)

    @_known_gap("never checks the issue-time content hash, on save or on get")
    def test_changed_issued_content_is_caught(self, storage: Storage, reopen: Reopen) -> None:
        super().test_changed_issued_content_is_caught(storage, reopen)

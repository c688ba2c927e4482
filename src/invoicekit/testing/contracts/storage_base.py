"""The fixtures every storage contract test uses, and how an adapter's suite overrides them.

An adapter's test class overrides ``storage`` (one empty store per test) and
``make_storage`` (a factory of empty stores, used where one test needs several,
such as the differential run), and overrides ``reopen`` when its data outlives
the Python object (a file, a database): ``reopen(storage)`` must then return a
new instance on the same data. Durability and concurrency checks read back
through ``reopen``, never through an object the adapter handed out earlier,
because a shared mutable object passes races and losses it should fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest

from invoicekit.ports import Storage
from invoicekit.testing.contracts.storage_builders import Reopen, StorageFactory

__all__ = ["StorageFixtures"]


def _same(storage: Storage) -> Storage:
    return storage


class StorageFixtures:
    """The overridable fixtures of ``StorageContract`` (see the module docstring)."""

    #: Whether separate instances from ``reopen`` may run transactions in other threads at once.
    supports_threads: ClassVar[bool] = True

    @pytest.fixture
    def storage(self) -> Iterator[Storage]:
        """An empty storage for one test; override it, and close the store after the yield."""
        raise NotImplementedError("override the 'storage' fixture")

    @pytest.fixture
    def make_storage(self) -> StorageFactory:
        """A zero-argument callable returning a new, empty storage; the suite closes each one."""
        raise NotImplementedError("override the 'make_storage' fixture")

    @pytest.fixture
    def reopen(self) -> Reopen:
        """``reopen(storage)``: a FRESH instance on the same data (the suite closes it).

        The default returns ``storage`` itself, which is right only for adapters that
        keep their data in the object (``MemoryStorage``). File and database adapters
        must override it to open a new instance, or durability is not tested.
        """
        return _same

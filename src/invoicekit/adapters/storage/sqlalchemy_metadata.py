"""The SQLAlchemy schema's shared parts: the ``MetaData`` every table is on, the key type.

Key columns use the ``C`` collation on PostgreSQL so that ``ORDER BY id``
orders by code point, as Python's ``sorted`` does in ``MemoryStorage``. The
tables themselves are in sqlalchemy_tables_* (one module per aggregate), all
re-exported by :mod:`invoicekit.adapters.storage.sqlalchemy_tables`.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

__all__ = [
    "METADATA",
    "VERSION_TABLE",
    "key_type",
]

#: Where Alembic records the schema revision; our own name, so that an application
#: keeping its own Alembic history in the same database does not collide with ours.
VERSION_TABLE: Final = "invoicekit_alembic_version"


def key_type() -> sa.types.TypeEngine[str]:
    """Text compared byte by byte: ``COLLATE "C"`` on PostgreSQL, SQLite's default elsewhere."""
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


METADATA: Final = sa.MetaData()

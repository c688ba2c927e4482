"""What every repository of ``SqlAlchemyStorage`` shares: its Context, the key of a prebuilt statement.

Split from sqlalchemy_repos.py with the repositories (one module per aggregate:
sqlalchemy_parties, sqlalchemy_invoices, sqlalchemy_records), which all extend
``_Repository`` and build their statements once with ``_where`` and ``_b``.
"""

from __future__ import annotations

import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_tables import Context

#: Shared by the repositories of sqlalchemy_parties, _invoices and _records (private to the adapter).
__all__ = ["_Repository", "_b", "_where"]


_b = sa.bindparam


def _where(table: sa.Table, *names: str) -> list[sa.ColumnElement[bool]]:
    """``column == :column`` for each name: the key of a prebuilt statement."""
    return [table.c[name] == _b(name) for name in names]


class _Repository:
    """One repository of a transaction: its statements run on the transaction's Context."""

    def __init__(self, ctx: Context) -> None:
        self._c = ctx

"""Recognise a connection refused because the database does not exist, and say how to create it.

libpq reports it without a SQLSTATE on connect (``FATAL: database "x" does not exist``),
so the server's own text is what identifies it; ``3D000`` covers a driver that sets one.
"""

from __future__ import annotations

import re
from typing import Final

#: SQLSTATE invalid_catalog_name: the database named in the URL does not exist.
_INVALID_CATALOG: Final = "3D000"
_NO_DATABASE: Final = re.compile(r'database "(?P<name>[^"]+)" does not exist')


def missing_database_advice(code: str, text: str) -> str | None:
    """What to do when ``text`` (SQLSTATE ``code``) says the database is missing, else None."""
    found = _NO_DATABASE.search(text)
    if found is None and code != _INVALID_CATALOG:
        return None
    which, name = (found["name"], found["name"]) if found else ("named in the URL", "NAME")
    return (
        f"the database {which} does not exist on that server ({text}); create it "
        f"(`createdb {name}`, or `CREATE DATABASE {name};` in psql) and retry: "
        "invoicekit creates its tables, never the database"
    )

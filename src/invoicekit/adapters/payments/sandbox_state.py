"""Where ``SandboxPayments`` keeps its sessions, refunds and undelivered webhooks.

In memory by default (one process: the state goes with the object), or in an
SQLite file given as ``path`` so several processes (a web server's workers, a test
and its server) share one sandbox. Documents are JSON; every change runs in
``transaction()``, which holds a lock (and SQLite's write lock), so it is thread-safe.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

__all__ = ["MemoryState", "SqliteState", "State"]

Doc = dict[str, Any]


class State(Protocol):
    """A small transactional document store: (kind, key) → JSON document."""

    def transaction(self) -> AbstractContextManager[None]:
        """Hold the state for one change."""

    def get(self, kind: str, key: str) -> Doc | None:
        """The document, or None."""

    def put(self, kind: str, key: str, doc: Doc) -> None:
        """Store (replace) a document."""

    def delete(self, kind: str, key: str) -> None:
        """Forget a document (no error when absent)."""

    def all(self, kind: str) -> list[Doc]:
        """Every document of ``kind``, in the order first stored."""


class MemoryState:
    """Documents in dicts, guarded by one re-entrant lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._docs: dict[str, dict[str, str]] = {}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock."""
        with self._lock:
            yield

    def get(self, kind: str, key: str) -> Doc | None:
        """The document, or None."""
        with self._lock:
            text = self._docs.get(kind, {}).get(key)
        return None if text is None else dict(json.loads(text))

    def put(self, kind: str, key: str, doc: Doc) -> None:
        """Store a copy (JSON text: nothing shared with the caller)."""
        with self._lock:
            self._docs.setdefault(kind, {})[key] = json.dumps(doc)

    def delete(self, kind: str, key: str) -> None:
        """Forget a document."""
        with self._lock:
            self._docs.get(kind, {}).pop(key, None)

    def all(self, kind: str) -> list[Doc]:
        """Every document of ``kind`` in insertion order."""
        with self._lock:
            return [dict(json.loads(t)) for t in self._docs.get(kind, {}).values()]


class SqliteState:
    """Documents in one SQLite file; a transaction takes the write lock (``BEGIN IMMEDIATE``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._local = threading.local()
        with self.transaction():
            self._conn().execute(
                "CREATE TABLE IF NOT EXISTS sandbox (position INTEGER PRIMARY KEY AUTOINCREMENT, "
                "kind TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (kind, key))"
            )

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL").fetchall()
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction under the lock; nested use joins the open one."""
        with self._lock:
            depth = getattr(self._local, "depth", 0)
            conn = self._conn()
            if depth == 0:
                conn.execute("BEGIN IMMEDIATE")
            self._local.depth = depth + 1
            try:
                yield
            except BaseException:
                if depth == 0:
                    conn.execute("ROLLBACK")
                raise
            else:
                if depth == 0:
                    conn.execute("COMMIT")
            finally:
                self._local.depth = depth

    def get(self, kind: str, key: str) -> Doc | None:
        """The document, or None."""
        row = (
            self._conn()
            .execute("SELECT doc FROM sandbox WHERE kind = ? AND key = ?", (kind, key))
            .fetchone()
        )
        return None if row is None else dict(json.loads(row[0]))

    def put(self, kind: str, key: str, doc: Doc) -> None:
        """Store (replace) a document, keeping its first position."""
        self._conn().execute(
            "INSERT INTO sandbox (kind, key, doc) VALUES (?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET doc = excluded.doc",
            (kind, key, json.dumps(doc)),
        )

    def delete(self, kind: str, key: str) -> None:
        """Forget a document."""
        self._conn().execute("DELETE FROM sandbox WHERE kind = ? AND key = ?", (kind, key))

    def all(self, kind: str) -> list[Doc]:
        """Every document of ``kind`` in the order first stored."""
        rows = self._conn().execute(
            "SELECT doc FROM sandbox WHERE kind = ? ORDER BY position", (kind,)
        )
        return [dict(json.loads(r[0])) for r in rows]

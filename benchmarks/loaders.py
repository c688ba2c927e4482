"""The bulk loader the report and dashboard benchmarks share (PostgreSQL, ``COPY``).

A database of ``n`` invoices' report entries and their customers, filled once and kept.

A kept database is named by what it holds and by the Alembic head of the library that
made it (``invoicekit_bench_<kind>_<n>_<clients>_r<head>``): after a new migration the
next run fills a new one instead of timing tables of an older schema. Filling happens
in a ``_partial`` database renamed at the end, so an interrupted fill is never reused.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import invoicekit as ik
from invoicekit.adapters.storage.report_sql import ENTRY_COLUMNS

__all__ = ["alembic_head", "pg_bulk_store"]


def alembic_head() -> str:
    """The head revision of the migrations this library ships (``0011``)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from invoicekit.adapters.storage.sqlalchemy import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(config).get_current_head())


def pg_bulk_store(  # noqa: PLR0917 - what one bulk load is made of
    kind: str,
    n: int,
    clients: int,
    customers: Iterable[tuple[str, str, int, str]],
    entries: Iterator[tuple[Any, ...]],
    seller: Callable[[ik.Billing], object],
    after: Sequence[str] = (),
) -> str:
    """The URL of the kept database ``kind`` of ``n`` invoices, filled first if missing.

    ``seller`` makes the seller through the library (on the migrated schema), then
    ``customers`` rows ``(seller_id, id, archived, doc)`` and report ``entries`` go in
    by ``COPY``, then each statement of ``after`` runs (the dashboard's summaries).
    """
    import bench_postgres as bp
    import psycopg
    import sqlalchemy as sa
    from psycopg import sql

    with bp.admin() as (conn, url):
        name = f"invoicekit_bench_{kind}_{n}_{clients}_r{alembic_head()}"
        target = sa.make_url(url).set(database=name).render_as_string(hide_password=False)
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found is not None:
            return target
        started = time.perf_counter()
        partial = f"{name}_partial"
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(partial)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(partial)))
        partial_url = sa.make_url(url).set(database=partial).render_as_string(hide_password=False)
        with ik.Billing.from_url(bp.library_url(partial_url)) as billing:
            seller(billing)
        with psycopg.connect(**bp.conninfo(partial_url)) as db:
            with db.cursor() as cur:
                with cur.copy("COPY customers (seller_id, id, archived, doc) FROM STDIN") as copy:
                    for seller_id, cid, archived, doc in customers:
                        copy.write_row((seller_id, cid, bool(archived), doc))
                columns = ", ".join(ENTRY_COLUMNS)
                with cur.copy(f"COPY report_entries ({columns}) FROM STDIN") as copy:
                    for row in entries:
                        copy.write_row(row)
                for statement in after:
                    cur.execute(statement)  # constants only (the caller's SQL)
            db.commit()
            db.autocommit = True
            db.execute("VACUUM ANALYZE")
        conn.execute(
            sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                sql.Identifier(partial), sql.Identifier(name)
            )
        )
        print(f"  (filled {name} in {time.perf_counter() - started:.0f} s)", flush=True)
        return target

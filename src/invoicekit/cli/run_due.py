"""``invoicekit run-due``: ``billing.run_due`` on any store, its report printed as a table.

Exit codes: 0 run_due finished (what it skipped, and why, is in the table); 1 run_due
raised an error (the message says which; what it did before stays done); 2 bad input (store URL, factory, ``--now``): nothing was done, and no traceback.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from invoicekit.cli import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from invoicekit.errors import InvoiceKitError
from invoicekit.services.billing import Billing

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from invoicekit.services.due_report import DueReport

__all__ = ["BadInput", "load_factory", "open_billing", "parse_now", "run", "store_url"]


class BadInput(Exception):  # noqa: N818 - the command's own signal for exit code 2
    """What the user gave cannot be used; the message says what to give instead."""


def store_url(db: str) -> str:
    """``db`` as a URL ``Billing.from_url`` takes: a bare path becomes ``sqlite:///path``."""
    if "://" in db:
        return db
    path = Path(db)
    if not path.is_file():
        raise BadInput(
            f"--db {db!r}: no such SQLite file; give the path of an existing database, "
            "sqlite:///path.db or postgresql+psycopg://user@host/db"
        )
    return f"sqlite:///{path}"


def load_factory(spec: str) -> Callable[[str], Billing]:
    """The ``module:factory`` callable; it gets the store URL and returns the host's Billing."""
    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        raise BadInput(f"--app {spec!r}: give module:factory, e.g. myapp.billing:make_billing")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BadInput(f"--app {spec!r}: cannot import {module_name!r} ({exc})") from exc
    factory = getattr(module, name, None)
    if not callable(factory):
        raise BadInput(f"--app {spec!r}: {module_name} has no callable {name!r}")
    return factory  # type: ignore[no-any-return]


def parse_now(now: str | None) -> datetime | None:
    """``--now`` as an aware datetime, or None for the clock's now."""
    if now is None:
        return None
    try:
        at = datetime.fromisoformat(now)
    except ValueError as exc:
        raise BadInput(f"--now {now!r}: give ISO 8601, e.g. 2026-03-01T09:00:00+01:00") from exc
    if at.tzinfo is None:
        raise BadInput(f"--now {now!r}: give an offset or Z, e.g. 2026-03-01T09:00:00Z")
    return at


def open_billing(db: str, factory: str | None) -> Billing:
    """The Billing for ``db``: the host's factory's, or a plain one (no notifiers, no providers)."""
    url = store_url(db)
    try:
        billing = load_factory(factory)(url) if factory else Billing.from_url(url)
    except BadInput:
        raise
    except (InvoiceKitError, OSError, ValueError) as exc:
        raise BadInput(f"--db {db!r}: cannot open the store: {exc}") from exc
    if not isinstance(billing, Billing):
        raise BadInput(f"--app {factory!r} returned {type(billing).__name__}, not a Billing")
    return billing


def run(db: str, factory: str | None, *, dry_run: bool, now: str | None, console: Console) -> int:
    """Run (or plan) what is due, print the report; the exit code."""
    try:
        at = parse_now(now)
        billing = open_billing(db, factory)
    except BadInput as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return EXIT_BAD_INPUT
    with billing:
        try:
            report = billing.run_due(at, dry_run=dry_run)
        except InvoiceKitError as exc:
            console.print(
                f"[red]error:[/red] run_due failed: {exc}", highlight=False, soft_wrap=True
            )
            return EXIT_FAILED
    show(report, console)
    return EXIT_OK


def show(report: DueReport, console: Console) -> None:
    """The report as a table: one row per entry, then the counts."""
    from rich.table import Table

    title = f"run_due at {report.at.isoformat()}" + (
        " (dry run: nothing written)" if report.dry_run else ""
    )
    table = Table(title=title)
    for heading in ("outcome", "action", "step", "subject", "reason"):
        table.add_column(heading)
    for entry in report.entries:
        table.add_row(
            entry.outcome, entry.action, entry.step or "", entry.subject_id, entry.reason or ""
        )
    console.print(table)
    console.print(
        f"{len(report.done)} done, {len(report.planned)} planned, {len(report.skipped)} skipped",
        highlight=False,
    )

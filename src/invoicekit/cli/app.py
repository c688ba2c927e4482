"""The typer app behind the ``invoicekit`` command: ``demo``, ``run-due`` and ``report``."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["app"]

app = typer.Typer(
    name="invoicekit",
    help="invoicekit from the command line: a demo of a year of billing, and run_due for any store.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option(help="Folder for the documents, e-mails and messages.")
    ] = Path("invoicekit-demo"),
    months: Annotated[int, typer.Option(min=1, max=36, help="Simulated months.")] = 12,
    seed: Annotated[int, typer.Option(help="Seed of the one-off projects' choice.")] = 7,
    summary_svg: Annotated[
        Path | None, typer.Option(help="Also save the summary tables as an SVG picture.")
    ] = None,
) -> None:
    """A marketing agency bills 15 clients for a year: every document and message, written out."""
    from invoicekit.cli.demo import run_demo
    from invoicekit.cli.demo_summary import show

    console = Console()
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, int] = {}

        def report(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = int(progress.add_task(what, total=total))
            progress.update(tasks[what], completed=done, total=total)  # type: ignore[arg-type]

        result = run_demo(out, months=months, seed=seed, report=report)
    if summary_svg is not None:
        picture = Console(record=True, width=110, file=io.StringIO())
        show(result, picture)
        picture.save_svg(str(summary_svg), title="invoicekit demo")
    show(result, console)
    from invoicekit.cli.report import show_demo

    show_demo(out / "billing.db", console)
    console.print(f"Done in {time.perf_counter() - started:.1f} s.")


@app.command("run-due")
def run_due(
    db: Annotated[
        str,
        typer.Option(
            help="The store: a SQLite path, sqlite:///path.db or postgresql+psycopg://user@host/db."
        ),
    ],
    app_factory: Annotated[
        str | None,
        typer.Option(
            "--app",
            help="module:factory building your Billing (its notifiers and providers) from the URL.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what is due and do nothing.")
    ] = False,
    now: Annotated[
        str | None, typer.Option(help="The time to run at (ISO 8601 with an offset); default now.")
    ] = None,
) -> None:
    """Do what is due: generate, issue, send, remind, add late fees, mark overdue (exit codes: 0, 1, 2)."""
    from invoicekit.cli.run_due import run

    raise typer.Exit(run(db, app_factory, dry_run=dry_run, now=now, console=Console()))


@app.command("report")
def report(
    db: Annotated[
        str,
        typer.Option(
            help="The store: a SQLite path, sqlite:///path.db or postgresql+psycopg://user@host/db."
        ),
    ],
    seller: Annotated[
        str | None,
        typer.Option(
            help="The seller's id; default: every seller of the store, one after another."
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The day to report on (YYYY-MM-DD); default today."),
    ] = None,
    output: Annotated[
        str,
        typer.Option(
            "--format", help="table (rich tables), csv (the clients) or json (every report)."
        ),
    ] = "table",
    app_factory: Annotated[
        str | None,
        typer.Option("--app", help="module:factory building your Billing from the URL."),
    ] = None,
) -> None:
    """Receivables as of a day: open, overdue, aging, months, DSO, clients, attention (exit codes: 0, 2)."""
    from invoicekit.cli.report import run

    raise typer.Exit(
        run(db, app_factory, seller=seller, as_of=as_of, output=output, console=Console())
    )

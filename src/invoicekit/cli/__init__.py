"""The ``invoicekit`` command: ``invoicekit demo`` and ``invoicekit run-due`` (the ``cli`` extra).

Nothing here is imported by ``import invoicekit``; typer and rich are imported when the
command runs, and a missing one stops it with the ``pip install`` line that brings it.
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OK", "main"]

#: Everything asked for was done (a dry run: planned).
EXIT_OK = 0
#: Some work failed (a step raised, a message failed): see the table.
EXIT_FAILED = 1
#: Bad input: an unknown store URL, a factory that cannot be loaded, a bad ``--now``; or the
#: cli extra is missing. Nothing was done.
EXIT_BAD_INPUT = 2


def main() -> None:
    """The console script: checks the cli extra, then runs the typer app."""
    missing = [m for m in ("typer", "rich") if importlib.util.find_spec(m) is None]
    if missing:
        sys.stderr.write(
            f"the invoicekit command needs {' and '.join(missing)}: pip install 'invoicekit[cli]'\n"
        )
        raise SystemExit(EXIT_BAD_INPUT)
    from invoicekit.cli.app import app

    app()

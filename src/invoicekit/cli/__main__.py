"""``python -m invoicekit.cli``: the same as the ``invoicekit`` command."""

from invoicekit.cli import main

main()

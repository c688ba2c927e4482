"""The live summaries' row helpers every store shares: the search key, the sort orders, the row reader.

One definition each, so that memory, SQLite and SQLAlchemy search and sort the clients
table the same way (the reference is ``client_order``; ``ORDER`` is it in SQL).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, Final

import cattrs

from invoicekit.domain.invoice import Invoice
from invoicekit.domain.summary import from_micros
from invoicekit.money import currency_digits
from invoicekit.summary_repositories import ClientQuery, ClientSummary

__all__ = [
    "CLIENT_COLUMNS",
    "ORDER",
    "amount",
    "bucket_columns",
    "bucket_params",
    "client_filter",
    "client_order",
    "client_summary",
    "overdue_page_sql",
    "readable_invoices",
    "search_key",
]

_log = logging.getLogger("invoicekit.storage")
#: What reading a stored document may raise when it was changed outside invoicekit.
_UNREADABLE: Final = (
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    ArithmeticError,
    cattrs.BaseValidationError,
)

#: The ORDER BY of each sort key (fixed text: a query's sort is checked against these keys).
ORDER: Final = {
    "name": "search",
    "currency": "currency",
    "open": "open",
    "credit": "credit",
    "net": "open - credit",
    "invoiced": "invoiced",
}
#: The columns ``client_summary`` reads, in order.
CLIENT_COLUMNS: Final = (
    "customer_id, currency, name, open, credit, invoiced, invoices, open_invoices"
)


def client_filter(
    seller_id: str, query: ClientQuery, mark: Callable[[str], str], prefix: str = ""
) -> tuple[str, list[tuple[str, Any]]]:
    """The WHERE of a clients query on ``summary_clients``, and its parameters.

    Columns are ``prefix``-ed; the parameters are (name, value) pairs in the order
    their placeholders stand (SQLite binds ``?`` in order, SQLAlchemy by name).
    """
    where = f"{prefix}seller_id = {mark('seller_id')}"
    params: list[tuple[str, Any]] = [("seller_id", seller_id)]
    if query.currency is not None:
        where += f" AND {prefix}currency = {mark('currency')}"
        params.append(("currency", query.currency))
    if query.pattern is not None:
        where += f" AND {prefix}search LIKE {mark('pattern')} ESCAPE '\\'"
        params.append(("pattern", query.pattern))
    return where, params


def overdue_page_sql(where: str, way: str, mark: Callable[[str], str]) -> str:
    """The clients page sorted by what is past due today (SQLite and SQL alike).

    Overdue depends on today, so it is computed in the query: a client's open amount
    less their DUE rows from today on (every issued invoice has a due date, so the DUE
    rows add up to ``open``). Rows due later are the few of the last payment terms,
    where the rows past due are most of the book: summing those instead took 300 ms
    at 50,000 clients on PostgreSQL. ``where`` filters ``summary_clients`` (its
    columns prefixed ``c.``); ``mark`` names a placeholder.
    """
    later = (
        "SELECT customer_id, currency, sum(amount) AS later FROM summary_days "  # noqa: S608 - placeholders only
        f"WHERE seller_id = {mark('seller_id')} AND customer_id != '' "
        f"AND kind = {mark('kind')} AND day >= {mark('today')} "
        "GROUP BY customer_id, currency"
    )
    columns = ", ".join(f"c.{name.strip()}" for name in CLIENT_COLUMNS.split(","))
    return (
        f"SELECT {columns} FROM summary_clients AS c LEFT JOIN ({later}) AS o "  # noqa: S608 - constants and placeholders only
        "ON o.customer_id = c.customer_id AND o.currency = c.currency "
        f"WHERE {where} ORDER BY c.open - coalesce(o.later, 0) {way}, c.customer_id {way}, "
        f"c.currency {way} LIMIT {mark('limit')} OFFSET {mark('offset')}"
    )


def search_key(name: str, customer_id: str) -> str:
    """What a client search matches and the name sort orders by: name and id, lower case."""
    return f"{name}\n{customer_id}".lower()


def client_order(sort: str) -> Callable[[ClientSummary], Any]:
    """The sort key of ``sort`` (ties by customer id, then currency, in every store)."""
    value: Callable[[ClientSummary], Any] = {
        "name": lambda c: search_key(c.name, c.customer_id),
        "currency": lambda c: c.currency,
        "open": lambda c: c.open,
        "credit": lambda c: c.credit,
        "net": lambda c: c.net,
        "invoiced": lambda c: c.invoiced,
    }[sort]
    return lambda c: (value(c), c.customer_id, c.currency)


def amount(micros: int, currency: str) -> Decimal:
    """The Decimal amount of a stored integer of millionths, with the currency's digits."""
    return from_micros(int(micros), currency_digits(currency))


def client_summary(row: Sequence[Any]) -> ClientSummary:
    """A ``ClientSummary`` from a row of ``CLIENT_COLUMNS``."""
    customer_id, currency, name, open_, credit, invoiced, invoices, open_invoices = row
    cur = str(currency)
    return ClientSummary(
        customer_id=str(customer_id),
        currency=cur,
        name=str(name),
        open=amount(open_, cur),
        credit=amount(credit, cur),
        invoiced=amount(invoiced, cur),
        invoices=int(invoices),
        open_invoices=int(open_invoices),
    )


def bucket_columns(bounds: int, placeholder: str) -> str:
    """``SUM(CASE ...)`` columns of ``bounds + 1`` day ranges (``placeholder``: ``?`` or ``:b{}``).

    With ``?``, the parameters come from ``bucket_params`` (each bound is used twice).
    """

    def p(i: int) -> str:
        return placeholder.format(i)

    if bounds == 0:
        return "sum(amount)"
    cases = [f"sum(CASE WHEN day < {p(0)} THEN amount ELSE 0 END)"]
    cases += [
        f"sum(CASE WHEN day >= {p(i - 1)} AND day < {p(i)} THEN amount ELSE 0 END)"
        for i in range(1, bounds)
    ]
    cases.append(f"sum(CASE WHEN day >= {p(bounds - 1)} THEN amount ELSE 0 END)")
    return ", ".join(cases)


def bucket_params(cuts: Sequence[str]) -> list[str]:
    """The positional parameters of ``bucket_columns(len(cuts), "?")``, in order."""
    if not cuts:
        return []
    found = [cuts[0]]
    for i in range(1, len(cuts)):
        found += [cuts[i - 1], cuts[i]]
    found.append(cuts[-1])
    return found


def readable_invoices(
    rows: Iterable[Sequence[Any]], converter: cattrs.Converter
) -> Iterator[Invoice]:
    """The invoices of stored rows ``(seller_id, id, doc)``, for a migration's backfill.

    A document that cannot be read back is skipped with a warning: the invoice itself then
    fails to load with its own error, and the backfill of every other invoice goes on.
    """
    from invoicekit.serialization import read_invoice

    for seller_id, invoice_id, doc in rows:
        try:
            yield read_invoice(doc, None, converter)
        except _UNREADABLE as exc:
            _log.warning(
                "invoice %r of seller %r: its document cannot be read (%s); it is left out "
                "of the summaries until it is saved again",
                invoice_id,
                seller_id,
                exc,
            )

"""The report queries as SQL text, shared by SQLite and SQLAlchemy (SQLite, PostgreSQL).

``report_entries`` holds ``reports.ledger`` rows: amounts in integer minor units of
their currency (``to_minor``), times as UTC text of one width and days as ISO text,
so every comparison is a text comparison and every sum an exact integer sum, the
same in both databases. Parameters are named (``:seller_id``); ``Dialect`` holds the
few differences (reading the customer's name from its document, lowering A-Z).
Writing the entries (rows, insert, backfill) is in report_entry_sql, re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, Literal

from invoicekit.adapters.storage.report_entry_sql import (
    BACKFILL_SELECT,
    DELETE_ENTRIES,
    ENTRY_COLUMNS,
    INSERT_ENTRY,
    backfill_rows,
    entry_row,
)
from invoicekit.adapters.storage.times import utc_text
from invoicekit.report_repositories import (
    BalanceRow,
    BalanceSort,
    FailedPaymentRow,
    FlowRow,
    OverdueRow,
)
from invoicekit.reports.ledger import from_minor

__all__ = [
    "BACKFILL_SELECT",
    "DELETE_ENTRIES",
    "ENTRY_COLUMNS",
    "INSERT_ENTRY",
    "Dialect",
    "ReportSql",
    "backfill_rows",
    "entry_row",
]

Dialect = Literal["sqlite", "postgresql"]

_ASCII_UPPER: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SORTS: Final[dict[str, str]] = {
    "balance": "b.open_amount",
    "overdue": "b.overdue",
    "credit": "b.credit",
    "net": "(b.open_amount - b.credit)",
    "name": "COALESCE(c.name, '')",
    "customer_id": "b.customer_id",
    "currency": "b.currency",
}


class ReportSql:
    """The statements of one dialect and how to read their rows back."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        if dialect == "postgresql":
            self._name = "(c.doc::json ->> 'name')"
            self._lower = f"translate({{}}, '{_ASCII_UPPER}', '{_ASCII_UPPER.lower()}')"
            self._find = "strpos({haystack}, {needle}) > 0"
            self._collate = ' COLLATE "C"'
        else:
            self._name = "json_extract(c.doc, '$.name')"
            self._lower = "lower({})"
            self._find = "instr({haystack}, {needle}) > 0"
            self._collate = ""

    # ------------------------------------------------------------------ open_by_due

    def open_by_due(
        self, seller_id: str, cut: datetime, bounds: Sequence[date]
    ) -> tuple[str, dict[str, Any]]:
        """Open amounts per (currency, bucket); bucket i = due before bounds[i]."""
        params: dict[str, Any] = {"seller_id": seller_id, "cut": utc_text(cut)}
        cases = []
        for i, bound in enumerate(bounds):
            params[f"b{i}"] = bound.isoformat()
            cases.append(f"WHEN due_date < :b{i} THEN {i}")
        bucket = f"CASE {' '.join(cases)} ELSE {len(bounds)} END" if cases else "0"
        sql = (
            f"SELECT currency, {bucket} AS bucket, SUM(open_amount) FROM report_entries "  # noqa: S608 - constants and placeholders only
            "WHERE seller_id = :seller_id AND at < :cut AND open_amount <> 0 "
            "GROUP BY currency, bucket"
        )
        return sql, params

    @staticmethod
    def read_open_by_due(rows: Sequence[Sequence[Any]], size: int) -> dict[str, list[Decimal]]:
        """The buckets per currency."""
        found: dict[str, list[Decimal]] = {}
        for currency, bucket, total in rows:
            buckets = found.setdefault(currency, [from_minor(0, currency)] * size)
            buckets[int(bucket)] = from_minor(int(total), currency)
        return found

    # ------------------------------------------------------------------ credit

    @staticmethod
    def credit_held(seller_id: str, cut: datetime) -> tuple[str, dict[str, Any]]:
        """Customer credit per currency."""
        sql = (
            "SELECT currency, SUM(credit_amount) FROM report_entries "
            "WHERE seller_id = :seller_id AND at < :cut AND credit_amount <> 0 "
            "GROUP BY currency"
        )
        return sql, {"seller_id": seller_id, "cut": utc_text(cut)}

    @staticmethod
    def read_sums(rows: Sequence[Sequence[Any]]) -> dict[str, Decimal]:
        """(currency, minor sum) rows as Decimals per currency."""
        return {cur: from_minor(int(total), cur) for cur, total in rows}

    # ------------------------------------------------------------------ balances

    def client_balances(  # noqa: PLR0917 - the port's filters
        self,
        seller_id: str,
        cut: datetime,
        today: date,
        currency: str | None,
        search: str | None,
        sort: BalanceSort,
        descending: bool,
        limit: int,
        offset: int,
    ) -> tuple[str, dict[str, Any]]:
        """One page of client balances."""
        params: dict[str, Any] = {
            "seller_id": seller_id,
            "cut": utc_text(cut),
            "today": today.isoformat(),
            "limit": limit,
            "offset": offset,
        }
        only = ""
        if currency is not None:
            only = " AND currency = :currency"
            params["currency"] = currency
        where = ""
        if search:
            params["needle"] = search.translate(str.maketrans(_ASCII_UPPER, _ASCII_UPPER.lower()))
            in_id = self._find.format(
                haystack=self._lower.format("b.customer_id"), needle=":needle"
            )
            in_name = self._find.format(
                haystack=self._lower.format("COALESCE(c.name, '')"), needle=":needle"
            )
            where = f"WHERE ({in_id} OR {in_name})"
        key = _SORTS[sort] + (self._collate if sort in {"name", "customer_id", "currency"} else "")
        direction = "DESC" if descending else "ASC"
        by = f"{key} {direction}, b.customer_id{self._collate}, b.currency"
        name = self._name.replace("c.doc", "doc")
        # One pass over the entries: per invoice, then per client and currency (the index
        # is in that order, so neither grouping sorts); the names are read from the
        # customers' documents for the page only, unless the order or the search needs all.
        totals = f"""
            WITH i AS (
                SELECT customer_id, currency, invoice_id, SUM(open_amount) AS o,
                    SUM(CASE WHEN due_date < :today THEN open_amount ELSE 0 END) AS d,
                    SUM(credit_amount) AS k
                FROM report_entries
                WHERE seller_id = :seller_id AND at < :cut{only}
                GROUP BY customer_id, currency, invoice_id
            ), b AS (
                SELECT customer_id, currency, SUM(o) AS open_amount, SUM(d) AS overdue,
                    SUM(k) AS credit, SUM(CASE WHEN o > 0 THEN 1 ELSE 0 END) AS invoices
                FROM i GROUP BY customer_id, currency
                HAVING SUM(o) <> 0 OR SUM(k) <> 0
            )"""  # noqa: S608 - constants and placeholders only
        if sort == "name" or search:
            sql = f"""{totals}, c AS (
                SELECT id, {name} AS name FROM customers
                WHERE seller_id = :seller_id AND id IN (SELECT customer_id FROM b)
            )
            SELECT b.customer_id, c.name, b.currency, b.open_amount, b.overdue, b.credit,
                b.invoices
            FROM b LEFT JOIN c ON c.id = b.customer_id
            {where}
            ORDER BY {by} LIMIT :limit OFFSET :offset
            """  # noqa: S608 - constants and placeholders only
        else:
            sql = f"""{totals}, p AS (
                SELECT * FROM b ORDER BY {by} LIMIT :limit OFFSET :offset
            )
            SELECT b.customer_id, {name.replace("doc", "c.doc")} AS name, b.currency,
                b.open_amount, b.overdue, b.credit, b.invoices
            FROM p AS b LEFT JOIN customers AS c
                ON c.seller_id = :seller_id AND c.id = b.customer_id
            ORDER BY {by}
            """  # noqa: S608 - constants and placeholders only
        return sql, params

    @staticmethod
    def read_balances(rows: Sequence[Sequence[Any]]) -> list[BalanceRow]:
        """The balance rows."""
        return [
            BalanceRow(
                cid,
                name,
                cur,
                from_minor(int(o), cur),
                from_minor(int(d), cur),
                from_minor(int(c), cur),
                int(n),
            )
            for cid, name, cur, o, d, c, n in rows
        ]

    # ------------------------------------------------------------------ flows

    @staticmethod
    def flows(
        seller_id: str, start: datetime, cut: datetime, monthly: bool
    ) -> tuple[str, dict[str, Any]]:
        """Invoiced, collected, credited per currency (and month)."""
        month = "substr(day, 1, 7)" if monthly else "''"
        sql = f"""
            SELECT currency, {month} AS month,
                SUM(CASE WHEN kind = 'issued' THEN amount ELSE 0 END),
                SUM(cash_amount),
                SUM(CASE WHEN kind = 'credited' THEN amount ELSE 0 END)
            FROM report_entries
            WHERE seller_id = :seller_id AND at >= :start AND at < :cut
            GROUP BY currency, month ORDER BY currency, month
        """  # noqa: S608 - constants and placeholders only
        return sql, {"seller_id": seller_id, "start": utc_text(start), "cut": utc_text(cut)}

    @staticmethod
    def read_flows(rows: Sequence[Sequence[Any]]) -> list[FlowRow]:
        """The flow rows."""
        return [
            FlowRow(
                cur,
                month,
                from_minor(int(i), cur),
                from_minor(int(c), cur),
                from_minor(int(k), cur),
            )
            for cur, month, i, c, k in rows
        ]

    @staticmethod
    def fell_due(
        seller_id: str, cut: datetime, after: date, until: date
    ) -> tuple[str, dict[str, Any]]:
        """Totals of invoices due in (after, until]."""
        sql = (
            "SELECT currency, SUM(amount) FROM report_entries "
            "WHERE seller_id = :seller_id AND kind = 'issued' AND at < :cut "
            "AND due_date > :after AND due_date <= :until GROUP BY currency"
        )
        return sql, {
            "seller_id": seller_id,
            "cut": utc_text(cut),
            "after": after.isoformat(),
            "until": until.isoformat(),
        }

    # ------------------------------------------------------------------ attention

    @staticmethod
    def overdue(
        seller_id: str, cut: datetime, today: date, limit: int
    ) -> tuple[str, dict[str, Any]]:
        """Invoices open and past due, oldest due date first."""
        sql = """
            SELECT invoice_id, MIN(number), MIN(customer_id), MIN(currency), MIN(due_date),
                SUM(open_amount)
            FROM report_entries
            WHERE seller_id = :seller_id AND at < :cut AND due_date < :today
                AND open_amount <> 0
            GROUP BY invoice_id HAVING SUM(open_amount) > 0
            ORDER BY MIN(due_date), invoice_id LIMIT :limit
        """
        return sql, {
            "seller_id": seller_id,
            "cut": utc_text(cut),
            "today": today.isoformat(),
            "limit": limit,
        }

    @staticmethod
    def read_overdue(rows: Sequence[Sequence[Any]]) -> list[OverdueRow]:
        """The overdue rows."""
        return [
            OverdueRow(i, n, c, cur, date.fromisoformat(d), from_minor(int(o), cur))
            for i, n, c, cur, d, o in rows
        ]

    @staticmethod
    def failed_payments(seller_id: str, cut: datetime, limit: int) -> tuple[str, dict[str, Any]]:
        """Failed payments of invoices open at the cut, newest first."""
        sql = """
            SELECT f.invoice_id, f.number, f.customer_id, f.currency, f.amount, f.at, f.detail
            FROM report_entries AS f
            WHERE f.seller_id = :seller_id AND f.kind = 'payment_failed' AND f.at < :cut
                AND (SELECT SUM(o.open_amount) FROM report_entries AS o
                     WHERE o.seller_id = f.seller_id AND o.invoice_id = f.invoice_id
                        AND o.at < :cut) > 0
            ORDER BY f.at DESC, f.invoice_id DESC LIMIT :limit
        """
        return sql, {"seller_id": seller_id, "cut": utc_text(cut), "limit": limit}

    @staticmethod
    def read_failed(rows: Sequence[Sequence[Any]]) -> list[FailedPaymentRow]:
        """The failed payment rows."""
        return [
            FailedPaymentRow(
                i, n, c, cur, from_minor(int(a), cur), datetime.fromisoformat(at), reason
            )
            for i, n, c, cur, a, at, reason in rows
        ]

"""The dashboard's three pages (overview, clients, one client), read in the thread pool.

The live figures come from the summaries; ``as_of`` switches the overview and the
clients table to ``books.reports`` (computed on demand, in the store).
"""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from invoicekit.domain.summary import OPEN
from invoicekit.errors import NotFoundError, ValidationError
from invoicekit.reports.values import AttentionItem
from invoicekit.services.live_summary import LiveSummaries
from invoicekit.summary_repositories import ClientQuery
from invoicekit.web.csrf import COOKIE
from invoicekit.web.dashboard_views import from_live, from_report, money
from invoicekit.web.pages import NOT_FOUND

if TYPE_CHECKING:
    from invoicekit.web.dashboard import _Dashboard

__all__ = ["DashboardPages", "stylesheet"]

_HERE: Final = Path(__file__).parent
#: The sorts of the as-of table (``books.reports.client_balances``) for the live table's keys.
_REPORT_SORT: Final = {
    "open": "balance",
    "name": "name",
    "currency": "currency",
    "overdue": "overdue",
    "credit": "credit",
    "net": "net",
    "invoiced": "balance",
}
#: Items per kind of the attention list (overdue, failed payments, failed messages).
ATTENTION: Final = 20
#: The clients table's columns, each sortable (the as-of view has no "invoiced").
_COLUMNS: Final = (
    ("name", "Client"),
    ("currency", "Currency"),
    ("open", "Open"),
    ("overdue", "Overdue"),
    ("credit", "Credit"),
    ("net", "Net"),
    ("invoiced", "Invoiced"),
)


@functools.cache
def stylesheet() -> bytes:
    """The dashboard's own stylesheet (no external fonts, no CDN)."""
    return (_HERE / "templates" / "dashboard.css").read_bytes()


class DashboardPages:
    """Builds each page's context and renders it."""

    def __init__(self, app: _Dashboard) -> None:
        self.app = app

    def _live(self, seller_id: str) -> LiveSummaries:
        return LiveSummaries(self.app.billing.storage, self.app.billing.clock, seller_id)

    def _forms(
        self, request: Request, seller_id: str, invoice_id: str, version: int | None, nonce: str
    ) -> list[dict[str, str]]:
        """The action forms the host allows for one invoice, signed for the browser's nonce."""
        forms: list[dict[str, str]] = []
        labels = {"remind": "Send reminder", "mark_paid": "Mark as paid", "void": "Void"}
        for action in ("remind", "mark_paid", "void"):
            if action in self.app.actions:
                purpose = f"dashboard:{seller_id}:{invoice_id}:{action}"
                forms.append(
                    {
                        "action": action,
                        "label": labels[action],
                        "url": request.url_for("act", invoice_id=invoice_id, action=action).path,
                        "token": self.app.csrf.token(nonce, purpose),
                        "version": "" if version is None else str(version),
                    }
                )
        return forms

    # ------------------------------------------------------------ overview

    async def overview(self, request: Request, seller_id: str, as_of: date | None) -> Response:
        """Headline figures, charts and the attention list (live, or as of a date)."""
        books = self.app.billing.seller(seller_id)
        versions: dict[str, int] = {}
        try:
            if as_of is None:
                figures = await run_in_threadpool(self._live(seller_id).figures)
                mrr = await run_in_threadpool(books.reports.mrr)
                views = from_live(figures, mrr)
                today = figures.today
                attention = await run_in_threadpool(
                    functools.partial(
                        self._live(seller_id).attention, limit=ATTENTION, versions=versions
                    )
                )
            else:
                report = await run_in_threadpool(
                    functools.partial(books.reports.receivables, as_of=as_of)
                )
                views, today, attention = (
                    from_report(report),
                    report.as_of,
                    report.attention[: 3 * ATTENTION],
                )
        except ValidationError as exc:
            return self.app.message(request, 400, "Cannot show that date", str(exc))
        nonce, new = self.app.csrf.nonce(request.cookies.get(COOKIE))
        items = []
        for item in attention:
            forms: list[dict[str, str]] = []
            if as_of is None and item.invoice_id is not None and item.kind != "failed_message":
                forms = self._forms(
                    request, seller_id, item.invoice_id, versions.get(item.invoice_id), nonce
                )
            items.append(self._attention(request, item, forms))
        back = request.url.path
        context = {
            "title": "Receivables",
            "today": today.isoformat(),
            "as_of": None if as_of is None else as_of.isoformat(),
            "currencies": views,
            "attention": items,
            "next": back,
            "field": "csrf_token",
        }
        response = self.app.html(request, "dashboard.html", context)
        return self.app.with_nonce(request, response, nonce, new)

    def _attention(
        self, request: Request, item: AttentionItem, forms: list[dict[str, str]]
    ) -> dict[str, Any]:
        kinds = {
            "overdue": "Overdue",
            "failed_payment": "Payment failed",
            "failed_message": "Message failed",
        }
        if item.kind == "overdue":
            detail = f"{item.days_overdue} days overdue"
            if item.last_reminder:
                detail += f"; last reminder: {item.last_reminder}"
            if item.next_step:
                detail += f"; next: {item.next_step} on {item.next_step_on}"
        else:
            detail = item.detail or ""
        client_url = (
            request.url_for("client", customer_id=item.customer_id).path
            if item.customer_id
            else None
        )
        return {
            "kind": kinds.get(item.kind, item.kind),
            "invoice_id": item.invoice_id,
            "number": item.number or item.invoice_id or "—",
            "amount": money(item.amount, item.currency or ""),
            "detail": detail,
            "client_url": client_url,
            "forms": forms,
        }

    # ------------------------------------------------------------ clients

    async def clients(
        self, request: Request, seller_id: str, as_of: date | None, query: ClientQuery, page: int
    ) -> Response:
        """One page of the clients table (live from the summaries, or as of a date)."""
        books = self.app.billing.seller(seller_id)
        rows: list[dict[str, Any]] = []
        if as_of is None:
            found, total, overdue = await run_in_threadpool(self._live(seller_id).clients, query)
            for c in found:
                rows.append(  # noqa: PERF401 - one row per client, built by a helper
                    self._client_row(
                        request,
                        c.customer_id,
                        c.name,
                        c.currency,
                        c.open,
                        overdue.get((c.customer_id, c.currency)),
                        c.credit,
                        c.net,
                        c.invoiced,
                    )
                )
            has_next = query.offset + len(found) < total
        else:
            try:
                result = await run_in_threadpool(
                    functools.partial(
                        books.reports.client_balances,
                        as_of=as_of,
                        search=query.search,
                        sort=_REPORT_SORT[query.sort],
                        descending=query.descending,
                        limit=query.limit,
                        after=str(query.offset) if query.offset else None,
                    )
                )
            except ValidationError as exc:
                return self.app.message(request, 400, "Cannot show that date", str(exc))
            for b in result.items:
                rows.append(  # noqa: PERF401 - one row per client, built by a helper
                    self._client_row(
                        request,
                        b.customer_id,
                        b.name or b.customer_id,
                        b.currency,
                        b.open,
                        b.overdue,
                        b.credit,
                        b.net,
                        None,
                    )
                )
            total, has_next = -1, result.next is not None
        base = {"q": query.search or "", "as_of": "" if as_of is None else as_of.isoformat()}
        url = request.url_for("clients").path

        def link(**changes: Any) -> str:
            params = {
                "sort": query.sort,
                "dir": "desc" if query.descending else "asc",
                "page": page,
                **base,
            }
            params.update(changes)
            return f"{url}?{urlencode({k: v for k, v in params.items() if v not in ('', None)})}"

        headers = []
        for key, label in _COLUMNS:
            if key == "invoiced" and as_of is not None:
                continue
            current = key == query.sort
            way = "asc" if current and query.descending else "desc"
            if key in {"name", "currency"} and not current:
                way = "asc"
            headers.append(
                {
                    "label": label,
                    "url": link(sort=key, dir=way, page=1),
                    "sort": ("descending" if query.descending else "ascending")
                    if current
                    else None,
                    "numeric": key not in {"name", "currency"},
                }
            )
        pages = None if total < 0 else max(1, -(-total // query.limit))
        context = {
            "title": "Clients",
            "rows": rows,
            "headers": headers,
            "invoiced": as_of is None,
            "search": query.search or "",
            "as_of": base["as_of"] or None,
            "sort": query.sort,
            "dir": "desc" if query.descending else "asc",
            "page": page,
            "pages": pages,
            "total": None if total < 0 else total,
            "previous": link(page=page - 1) if page > 1 else None,
            "following": link(page=page + 1) if has_next else None,
        }
        return self.app.html(request, "dashboard_clients.html", context)

    def _client_row(  # noqa: PLR0917 - one table row's cells
        self,
        request: Request,
        customer_id: str,
        name: str,
        currency: str,
        open_: Decimal,
        overdue: Decimal | None,
        credit: Decimal,
        net: Decimal,
        invoiced: Decimal | None,
    ) -> dict[str, Any]:
        return {
            "url": request.url_for("client", customer_id=customer_id).path,
            "name": name,
            "currency": currency,
            "open": money(open_),
            "overdue": money(overdue if overdue is not None else open_ - open_),
            "credit": money(credit),
            "net": money(net),
            "invoiced": money(invoiced),
        }

    # ------------------------------------------------------------ one client

    async def client(self, request: Request, seller_id: str, customer_id: str) -> Response:
        """One client: balances per currency, invoices with their actions, messages."""
        books = self.app.billing.seller(seller_id)
        try:
            customer = await run_in_threadpool(books.customers.get, customer_id)
        except (NotFoundError, ValidationError):
            return self.app.message(request, 404, NOT_FOUND["title"], NOT_FOUND["text"])
        summaries, overdue = await run_in_threadpool(self._live(seller_id).client, customer_id)
        invoices = await run_in_threadpool(
            functools.partial(books.invoices.list, customer_id=customer_id, limit=100)
        )
        nonce, new = self.app.csrf.nonce(request.cookies.get(COOKIE))
        shown = []
        for inv in invoices:
            forms: list[dict[str, str]] = []
            if inv.status in OPEN:
                forms = self._forms(request, seller_id, inv.id, inv.version, nonce)
                if inv.has_payments:
                    forms = [f for f in forms if f["action"] != "void"]
            shown.append(
                {
                    "number": inv.ref,
                    "status": inv.status.value.replace("_", " "),
                    "issued": "" if inv.issue_date is None else inv.issue_date.isoformat(),
                    "due": "" if inv.due_date is None else inv.due_date.isoformat(),
                    "total": money(inv.totals.tax_inclusive, inv.currency),
                    "due_amount": money(
                        inv.amount_due if inv.status in OPEN else None, inv.currency
                    ),
                    "forms": forms,
                }
            )
        messages = []
        for inv in [i for i in invoices if i.number is not None][-10:]:
            for m in await run_in_threadpool(
                functools.partial(books.messages.list, invoice_id=inv.id, limit=20)
            ):
                messages.append(  # noqa: PERF401 - awaited per invoice
                    {
                        "when": m.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                        "number": inv.ref,
                        "kind": m.kind.replace("_", " "),
                        "channel": m.channel,
                        "status": m.status.value,
                        "error": m.last_error or "",
                    }
                )
        messages.sort(key=lambda m: m["when"], reverse=True)
        context = {
            "title": customer.name,
            "customer": {"name": customer.name, "id": customer.id, "email": customer.email or ""},
            "figures": [
                {
                    "currency": s.currency,
                    "open": money(s.open, s.currency),
                    "overdue": money(
                        overdue.get((customer_id, s.currency), s.open - s.open), s.currency
                    ),
                    "credit": money(s.credit, s.currency),
                    "net": money(s.net, s.currency),
                    "invoiced": money(s.invoiced, s.currency),
                }
                for s in summaries
            ],
            "invoices": shown,
            "messages": messages[:50],
            "next": request.url.path,
            "field": "csrf_token",
        }
        response = self.app.html(request, "dashboard_client.html", context)
        return self.app.with_nonce(request, response, nonce, new)

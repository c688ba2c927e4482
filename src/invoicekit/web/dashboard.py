"""The sellers' dashboard (ASGI): headline figures, charts, clients, attention list and actions.

Access is the host's decision: ``authorize(request)`` names the signed-in seller or
returns None, and without a hook every request is refused (403). Every read and action
goes through ``billing.seller(seller_id)``, so a seller never sees another's data: an
id of another seller's client or invoice is simply not found (404). Actions are POST
forms with a CSRF token bound to the seller, the invoice and the action. Sorting,
search and paging are query parameters handled on the server: no script at all.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, Final

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from invoicekit.errors import ConfigurationError, InvoiceKitError, NotFoundError, ValidationError
from invoicekit.services.billing import Billing
from invoicekit.summary_repositories import CLIENT_SORTS, MAX_OFFSET, ClientQuery
from invoicekit.web.csrf import COOKIE, FIELD, Csrf
from invoicekit.web.dashboard_pages import DashboardPages
from invoicekit.web.pages import NOT_FOUND, Templates
from invoicekit.web.security import SecurityHeaders

__all__ = ["ACTIONS", "Authorize", "build_dashboard"]

_log = logging.getLogger("invoicekit.web.dashboard")
#: The actions a host may allow on an invoice (``actions=``).
ACTIONS: Final = frozenset({"remind", "mark_paid", "void"})
#: Who is signed in: the seller id whose books the request may see, or None.
Authorize = Callable[[Request], Any]
MIN_SECRET: Final = 32
MAX_FORM: Final = 4 * 1024


class _Refused(Exception):  # noqa: N818 - control flow: a page to answer with, not an error
    """A request answered with a page instead (``response``)."""

    def __init__(self, response: Response) -> None:
        super().__init__("refused")
        self.response = response


class _Dashboard:
    """The route handlers, sharing the billing, the hook, the CSRF signer and the templates."""

    def __init__(
        self,
        billing: Billing,
        authorize: Authorize | None,
        csrf: Csrf,
        actions: frozenset[str],
        page_size: int,
    ) -> None:
        self.billing = billing
        self.authorize = authorize
        self.csrf = csrf
        self.actions = actions
        self.page_size = page_size
        self.templates = Templates()
        self.pages = DashboardPages(self)

    # ------------------------------------------------------------ helpers

    def html(
        self, request: Request, name: str, context: dict[str, Any], status: int = 200
    ) -> HTMLResponse:
        css = request.url_for("dashboard_css").path
        home = request.url_for("overview").path
        clients = request.url_for("clients").path
        base = {"lang": "en", "css": css, "home": home, "clients_url": clients}
        return HTMLResponse(self.templates.render(name, {**base, **context}), status)

    def message(self, request: Request, status: int, title: str, text: str) -> HTMLResponse:
        return self.html(
            request,
            "dashboard_message.html",
            {"title": title, "heading": title, "text": text},
            status,
        )

    async def seller(self, request: Request) -> str:
        """The seller the host's hook names; refuses (403) when it names none or fails."""
        if self.authorize is None:
            raise _Refused(self._denied(request))
        try:
            found = self.authorize(request)
            if inspect.isawaitable(found):
                found = await found
        except Exception:  # noqa: BLE001 - any failure of the host's hook denies access
            _log.exception("the dashboard's authorize hook failed; access refused")
            raise _Refused(self._denied(request)) from None
        if not isinstance(found, str) or not found:
            raise _Refused(self._denied(request))
        try:
            await run_in_threadpool(self.billing.sellers.get, found)
        except (NotFoundError, ValidationError):
            _log.warning("authorize named a seller the books do not hold; access refused")
            raise _Refused(self._denied(request)) from None
        return found

    def _denied(self, request: Request) -> Response:
        return self.message(
            request, 403, "No access", "Sign in with an account that may see these books."
        )

    def as_of(self, request: Request) -> date | None:
        """``?as_of=YYYY-MM-DD`` as a date; None when absent; refuses (400) anything else."""
        text = request.query_params.get("as_of")
        if text is None or text == "":
            return None
        try:
            if len(text) != 10:  # noqa: PLR2004 - YYYY-MM-DD
                raise ValueError(text)
            return date.fromisoformat(text)
        except ValueError:
            raise _Refused(
                self.message(
                    request,
                    400,
                    "Wrong date",
                    "The date must be a real calendar date written YYYY-MM-DD, e.g. 2026-03-31.",
                )
            ) from None

    def client_query(self, request: Request) -> tuple[ClientQuery, int]:
        """The clients table's query from ``q``, ``sort``, ``dir`` and ``page``; 400 when wrong."""
        params = request.query_params
        sort = params.get("sort") or "open"
        way = params.get("dir") or "desc"
        page_text = params.get("page") or "1"
        if sort not in CLIENT_SORTS or way not in {"asc", "desc"}:
            raise _Refused(
                self.message(
                    request,
                    400,
                    "Unknown order",
                    f"Sort by one of: {', '.join(CLIENT_SORTS)}; dir is asc or desc.",
                )
            )
        most = MAX_OFFSET // self.page_size
        if not page_text.isdigit() or not 1 <= int(page_text) <= most:
            raise _Refused(
                self.message(
                    request, 400, "Unknown page", f"The page is a number from 1 to {most}."
                )
            )
        page = int(page_text)
        search = (params.get("q") or "").strip() or None
        try:
            query = ClientQuery(
                search=search,
                sort=sort,  # type: ignore[arg-type]  # checked against CLIENT_SORTS above
                descending=way == "desc",
                limit=self.page_size,
                offset=(page - 1) * self.page_size,
            )
        except ValidationError as exc:
            raise _Refused(self.message(request, 400, "Wrong search", str(exc))) from None
        return query, page

    def token(
        self, request: Request, seller_id: str, invoice_id: str, action: str
    ) -> tuple[str, str, bool]:
        """A form's CSRF token for (seller, invoice, action), with the browser's nonce."""
        nonce, new = self.csrf.nonce(request.cookies.get(COOKIE))
        return self.csrf.token(nonce, f"dashboard:{seller_id}:{invoice_id}:{action}"), nonce, new

    @staticmethod
    def with_nonce(request: Request, response: Response, nonce: str, new: bool) -> Response:
        if new:
            response.set_cookie(
                COOKIE,
                nonce,
                path=request.scope.get("root_path") or "/",
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
            )
        return response

    # ------------------------------------------------------------ routes

    async def overview(self, request: Request) -> Response:
        try:
            seller_id = await self.seller(request)
            as_of = self.as_of(request)
            return await self.pages.overview(request, seller_id, as_of)
        except _Refused as refused:
            return refused.response

    async def clients(self, request: Request) -> Response:
        try:
            seller_id = await self.seller(request)
            as_of = self.as_of(request)
            query, page = self.client_query(request)
            return await self.pages.clients(request, seller_id, as_of, query, page)
        except _Refused as refused:
            return refused.response

    async def client(self, request: Request) -> Response:
        try:
            seller_id = await self.seller(request)
            customer_id = request.path_params["customer_id"]
            return await self.pages.client(request, seller_id, customer_id)
        except _Refused as refused:
            return refused.response

    async def act(self, request: Request) -> Response:  # noqa: PLR0911 - one answer per refusal
        try:
            seller_id = await self.seller(request)
        except _Refused as refused:
            return refused.response
        action = request.path_params["action"]
        invoice_id = request.path_params["invoice_id"]
        if action not in self.actions:
            return self.message(
                request, 404, NOT_FOUND["title"], "This action is not offered here."
            )
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM:
                return self.message(request, 413, "Too large", "The form sent was too large.")
        form = _form(body)
        purpose = f"dashboard:{seller_id}:{invoice_id}:{action}"
        if not self.csrf.valid(request.cookies.get(COOKIE), form.get(FIELD), purpose):
            return self.message(
                request,
                403,
                "Form expired",
                "This form was not sent from this dashboard, or it expired. Reload the page and try again.",
            )
        books = self.billing.seller(seller_id)
        try:
            done = await run_in_threadpool(_ACTIONS[action], books, invoice_id, form)
        except NotFoundError:
            return self.message(request, 404, NOT_FOUND["title"], NOT_FOUND["text"])
        except InvoiceKitError as exc:
            return self.message(request, 409, "Not done", str(exc))
        back = form.get("next") or ""
        if not back.startswith("/") or back.startswith("//") or "\\" in back:
            back = request.url_for("overview").path
        _log.info(
            "dashboard action %s on invoice %s of seller %s: %s",
            action,
            invoice_id,
            seller_id,
            done,
        )
        return RedirectResponse(back, 303)

    async def css(self, _request: Request) -> Response:
        return Response(
            self.templates_css(),
            media_type="text/css",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    @staticmethod
    def templates_css() -> bytes:
        from invoicekit.web.dashboard_pages import stylesheet

        return stylesheet()


def _form(body: bytes) -> dict[str, str]:
    from urllib.parse import parse_qs

    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def _remind(books: Any, invoice_id: str, _form: dict[str, str]) -> str:
    sent = books.invoices.send(invoice_id, kind="reminder")
    return f"{len(sent)} reminder message(s)"


def _mark_paid(books: Any, invoice_id: str, form: dict[str, str]) -> str:
    invoice = books.invoices.get(invoice_id)
    version = form.get("version", "")
    if not version.isdigit() or int(version) != invoice.version:
        raise ValidationError(
            "the invoice changed since the page was shown; reload it and try again",
            subject="mark_paid",
        )
    key = f"dashboard-mark-paid:{invoice_id}:{version}"
    paid = books.payments.record(
        invoice_id, invoice.amount_due, method="manual", idempotency_key=key
    )
    return f"recorded {invoice.amount_due} {invoice.currency}, now {paid.status}"


def _void(books: Any, invoice_id: str, _form: dict[str, str]) -> str:
    return f"now {books.invoices.void(invoice_id).status}"


_ACTIONS: Final[dict[str, Callable[[Any, str, dict[str, str]], str]]] = {
    "remind": _remind,
    "mark_paid": _mark_paid,
    "void": _void,
}


def build_dashboard(
    billing: Billing,
    *,
    authorize: Authorize | None,
    secret_key: str,
    actions: Iterable[str] = (),
    page_size: int = 50,
) -> Starlette:
    """The app ``invoicekit.web.dashboard_app`` documents."""
    if not isinstance(secret_key, str) or len(secret_key) < MIN_SECRET:
        raise ConfigurationError(
            f"dashboard_app(secret_key=...) needs a secret of at least {MIN_SECRET} characters, "
            "e.g. secrets.token_hex(32), the same in every worker"
        )
    allowed = frozenset(actions)
    unknown = sorted(allowed - ACTIONS)
    if unknown:
        raise ConfigurationError(
            f"dashboard_app(actions=...) got {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(sorted(ACTIONS))}"
        )
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 500:  # noqa: PLR2004
        raise ConfigurationError(
            f"dashboard_app(page_size=...) must be 1 to 500, got {page_size!r}"
        )
    app = _Dashboard(billing, authorize, Csrf(secret_key), allowed, page_size)

    async def not_found(request: Request, _exc: Exception) -> Response:
        return app.message(request, 404, NOT_FOUND["title"], NOT_FOUND["text"])

    routes = [
        Route("/", app.overview, methods=["GET"], name="overview"),
        Route("/clients", app.clients, methods=["GET"], name="clients"),
        Route("/clients/{customer_id}", app.client, methods=["GET"], name="client"),
        Route("/invoices/{invoice_id}/{action}", app.act, methods=["POST"], name="act"),
        Route("/assets/dashboard.css", app.css, methods=["GET"], name="dashboard_css"),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={404: not_found},
    )

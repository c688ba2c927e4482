"""The Starlette app: routes, CSRF checks and error pages around the host's ``Billing``.

Every call into invoicekit (storage, providers, the sandbox's webhook delivery) runs in
the thread pool, so a slow provider never blocks the event loop, and the sandbox can
post its webhook back to this same app while the payer's request waits.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from invoicekit.errors import (
    ConfigurationError,
    InvoiceKitError,
    NotFoundError,
    PaymentError,
    PaymentNotAllowedError,
    WebhookRejectedError,
)
from invoicekit.web.csrf import COOKIE, FIELD, Csrf
from invoicekit.web.host import Host, SandboxDesk, SandboxSessionView
from invoicekit.web.inbox import inbox_context
from invoicekit.web.pages import NOT_FOUND, Templates, invoice_context, stylesheet
from invoicekit.web.sandbox_page import CONSENT, REASONS, sandbox_context
from invoicekit.web.security import SecurityHeaders

__all__ = ["build_app"]

_log = logging.getLogger("invoicekit.web")
#: Shortest ``secret_key`` accepted (256 bits as hex, or a long passphrase).
MIN_SECRET: Final = 32
#: Largest form or webhook body read; more is refused with 413.
MAX_FORM: Final = 16 * 1024
MAX_WEBHOOK: Final = 1024 * 1024
_OUTCOMES: Final = ("succeed", "decline", "pending")


class _App:
    """The route handlers of one app, sharing the host, the CSRF signer and the templates."""

    def __init__(
        self,
        billing: Host,
        csrf: Csrf,
        sandbox: SandboxDesk | None,
        inbox_customer: Callable[[Request], tuple[str, str] | None] | None,
    ) -> None:
        self.billing = billing
        self.csrf = csrf
        self.sandbox = sandbox
        self.inbox_customer = inbox_customer
        self.templates = Templates()
        self.pdf = importlib.util.find_spec("weasyprint") is not None

    # ------------------------------------------------------------ helpers

    def html(
        self, request: Request, name: str, context: dict[str, Any], *, status: int = 200
    ) -> HTMLResponse:
        css = request.url_for("assets", name="web.css").path
        return HTMLResponse(self.templates.render(name, {"css": css, **context}), status)

    def message(self, request: Request, status: int, title: str, text: str) -> HTMLResponse:
        context = {"lang": "en", "title": title, "heading": title, "text": text}
        return self.html(request, "message.html", context, status=status)

    def not_found(self, request: Request) -> HTMLResponse:
        context = {"lang": "en", **NOT_FOUND}
        return self.html(request, "message.html", context, status=404)

    def forbidden(self, request: Request) -> HTMLResponse:
        return self.message(
            request,
            403,
            "Form expired",
            "This form was not sent from this site's page, or it expired. "
            "Go back, reload the page and try again.",
        )

    def nonce(self, request: Request, response: Response, nonce: str, new: bool) -> Response:
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

    async def form(self, request: Request) -> dict[str, str] | None:
        """The urlencoded form of ``request`` (first value of each field), or None when too big."""
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM:
                return None
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[0] for name, values in fields.items()}

    async def checked_form(self, request: Request, purpose: str) -> dict[str, str] | Response:
        """The form, once its size and CSRF token for ``purpose`` pass; else the refusal page."""
        form = await self.form(request)
        if form is None:
            return self.message(request, 413, "Too large", "The form sent was too large.")
        if not self.csrf.valid(request.cookies.get(COOKIE), form.get(FIELD), purpose):
            return self.forbidden(request)
        return form

    # ------------------------------------------------------------ the hosted invoice page

    async def invoice_page(
        self, request: Request, *, error: str | None = None, status: int = 200
    ) -> Response:
        token = request.path_params["token"]
        try:
            page = await run_in_threadpool(self.billing.pay_pages.open, token)
        except NotFoundError:
            return self.not_found(request)
        nonce, new = self.csrf.nonce(request.cookies.get(COOKIE))
        context = invoice_context(
            page,
            checkout=request.query_params.get("checkout"),
            pay_action=request.url_for("pay", token=token).path,
            csrf_token=self.csrf.token(nonce, f"pay:{token}"),
            pdf_link=request.url_for("pdf", token=token).path if self.pdf else None,
            error=error,
        )
        response = self.html(request, "invoice.html", context, status=status)
        return self.nonce(request, response, nonce, new)

    async def pay(self, request: Request) -> Response:
        token = request.path_params["token"]
        form = await self.checked_form(request, f"pay:{token}")
        if isinstance(form, Response):
            return form
        try:
            url = await run_in_threadpool(self.billing.pay_pages.checkout, token)
        except NotFoundError:
            return self.not_found(request)
        except PaymentNotAllowedError:
            return RedirectResponse(request.url_for("invoice", token=token).path, 303)
        except PaymentError as exc:
            _log.warning("checkout failed (%s): %s", exc.code or "error", exc)
            text = (
                "We could not start the card payment just now. Please try again in a "
                "moment, or pay by bank transfer with the details below."
            )
            return await self.invoice_page(request, error=text, status=503)
        if not url.startswith(("https://", "http://")):
            _log.error("checkout URL refused: not a web address")
            return self.message(request, 502, "Payment unavailable", "Please pay by bank transfer.")
        return RedirectResponse(url, 303)

    async def pdf_download(self, request: Request) -> Response:
        token = request.path_params["token"]
        if not self.pdf:
            return self.not_found(request)
        try:
            page = await run_in_threadpool(self.billing.pay_pages.open, token)
        except NotFoundError:
            return self.not_found(request)
        renderer = self.billing.renderer
        if renderer is None:
            from invoicekit.adapters.render import TemplateRenderer

            renderer = TemplateRenderer()
        document = await run_in_threadpool(
            renderer.render, "invoice", page.invoice, media_type="application/pdf"
        )
        return Response(
            document.content,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{document.filename}"'},
        )

    # ------------------------------------------------------------ the sandbox's pay page

    async def sandbox_page(self, request: Request, *, error: str | None = None) -> Response:
        assert self.sandbox is not None  # noqa: S101 - the route exists only with a sandbox
        ref = request.path_params["ref"]
        session = await run_in_threadpool(self.sandbox.session, ref)
        if session is None:
            return self.not_found(request)
        nonce, new = self.csrf.nonce(request.cookies.get(COOKIE))
        context = sandbox_context(
            session,
            action=request.url_for("sandbox", ref=ref).path,
            csrf_token=self.csrf.token(nonce, f"sandbox:{ref}"),
            error=error,
            consent=await run_in_threadpool(self._consent, session),
        )
        response = self.html(request, "sandbox.html", context, status=200 if not error else 409)
        return self.nonce(request, response, nonce, new)

    async def sandbox_choose(self, request: Request) -> Response:
        assert self.sandbox is not None  # noqa: S101 - the route exists only with a sandbox
        ref = request.path_params["ref"]
        form = await self.checked_form(request, f"sandbox:{ref}")
        if isinstance(form, Response):
            return form
        outcome = form.get("outcome")
        reason = form.get("reason") if outcome == "decline" else None
        if outcome not in _OUTCOMES or (reason is not None and reason not in REASONS):
            return self.message(
                request, 400, "Choose an outcome", "Press Succeed, Pending or Decline."
            )
        if await run_in_threadpool(self.sandbox.session, ref) is None:
            return self.not_found(request)
        try:
            session = await run_in_threadpool(
                self.sandbox.choose,
                ref,
                outcome,  # type: ignore[arg-type]  # checked against _OUTCOMES above
                reason=reason,
            )
        except InvoiceKitError as exc:
            return await self.sandbox_page(request, error=str(exc))
        if outcome == "succeed" and form.get("save_card") == "yes":
            await run_in_threadpool(self._save_card, session)
        back = "failed" if outcome == "decline" else "success"
        target = session.return_url
        if not target.startswith(("https://", "http://")):
            return self.message(request, 200, "Done", f"The payment is {session.state}.")
        joiner = "&" if "?" in target else "?"
        return RedirectResponse(f"{target}{joiner}checkout={back}", 303)

    def _consent(self, session: SandboxSessionView) -> str | None:
        """The "save this card" wording for the session's seller; None: the sandbox cannot save."""
        if not callable(getattr(self.sandbox, "save_method", None)):
            return None
        invoice = self.billing.seller(session.seller_id).invoices.get(session.invoice_id)
        seller = invoice.seller.name if invoice.seller is not None else "the seller"
        return CONSENT.format(seller=seller)

    def _save_card(self, session: SandboxSessionView) -> None:
        """Keep the card just used on the customer, with the consent wording they agreed to."""
        consent = self._consent(session)
        if consent is None:
            return
        books = self.billing.seller(session.seller_id)
        customer_id = books.invoices.get(session.invoice_id).customer_id
        method = self.sandbox.save_method(customer_id, consent=consent)  # type: ignore[union-attr]
        books.customers.save_payment_method(customer_id, method)

    # ------------------------------------------------------------ webhooks

    async def webhook(self, request: Request) -> Response:
        provider = request.path_params["provider"]
        seller_id = request.path_params.get("seller_id")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_WEBHOOK:
                return JSONResponse({"error": "body too large"}, 413)
        headers = {name.lower(): value for name, value in request.headers.items()}
        try:
            result = await run_in_threadpool(
                self.billing.webhooks.receive, provider, body, headers, seller_id=seller_id
            )
        except WebhookRejectedError as exc:
            _log.warning("webhook of %s rejected: %s", provider, exc.reason)
            return JSONResponse({"error": "rejected", "reason": exc.reason}, 400)
        except InvoiceKitError as exc:
            # A conflict worth retrying (a lock, a serialization failure) answers 503 so the
            # provider delivers again; anything else 422: a retry would end the same way.
            retryable = bool(getattr(exc, "retryable", False))
            _log.warning("webhook of %s not applied (%s): %s", provider, type(exc).__name__, exc)
            reason = "try again" if retryable else "not applicable"
            return JSONResponse(
                {"error": "not applied", "reason": reason}, 503 if retryable else 422
            )
        return JSONResponse(
            {"provider": result.provider, "event_id": result.event_id, "outcome": result.outcome}
        )

    # ------------------------------------------------------------ the inbox

    async def inbox(self, request: Request) -> Response:
        assert self.inbox_customer is not None  # noqa: S101 - the route exists only then
        who = self.inbox_customer(request)
        if who is None:
            return self.message(request, 403, "Sign in", "Sign in to see your messages.")
        seller_id, customer_id = who
        books = self.billing.seller(seller_id)
        try:
            items = await run_in_threadpool(books.inbox.list, customer_id)
        except InvoiceKitError as exc:  # the host's inbox_customer gave ids the books refuse
            _log.warning("inbox refused for the customer inbox_customer named: %s", exc)
            return self.message(request, 403, "Sign in", "Sign in to see your messages.")
        return self.html(request, "inbox.html", inbox_context(items))

    async def assets(self, request: Request) -> Response:
        if request.path_params["name"] != "web.css":
            return self.not_found(request)
        return Response(
            stylesheet(),
            media_type="text/css",
            headers={"Cache-Control": "public, max-age=3600"},
        )


def build_app(
    billing: Host,
    *,
    secret_key: str,
    sandbox: SandboxDesk | None,
    inbox_customer: Callable[[Request], tuple[str, str] | None] | None,
) -> Starlette:
    """The app ``invoicekit.web.create_app`` documents."""
    if not isinstance(secret_key, str) or len(secret_key) < MIN_SECRET:
        raise ConfigurationError(
            f"create_app(secret_key=...) needs a secret of at least {MIN_SECRET} characters, "
            "e.g. secrets.token_hex(32), the same in every worker"
        )
    app = _App(billing, Csrf(secret_key), sandbox, inbox_customer)

    async def not_found(request: Request, _exc: Exception) -> Response:
        return app.not_found(request)

    routes: list[BaseRoute] = [
        Route("/i/{token}", app.invoice_page, methods=["GET"], name="invoice"),
        Route("/i/{token}/pay", app.pay, methods=["POST"], name="pay"),
        Route("/i/{token}/pdf", app.pdf_download, methods=["GET"], name="pdf"),
        Route("/webhooks/{provider}", app.webhook, methods=["POST"], name="webhook"),
        Route(
            "/webhooks/{provider}/{seller_id}",
            app.webhook,
            methods=["POST"],
            name="seller_webhook",
        ),
        Route("/assets/{name}", app.assets, methods=["GET"], name="assets"),
    ]
    if sandbox is not None:
        routes.append(Route("/sandbox/{ref}", app.sandbox_page, methods=["GET"], name="sandbox"))
        routes.append(Route("/sandbox/{ref}", app.sandbox_choose, methods=["POST"]))
    if inbox_customer is not None:
        routes.append(Route("/inbox", app.inbox, methods=["GET"], name="inbox"))
    return Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={404: not_found},
    )

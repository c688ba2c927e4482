"""``invoicekit.web``: the hosted pay page, the sandbox's pay page, webhooks, the inbox, the dashboard (ASGI).

``create_app(billing, secret_key=...)`` returns a Starlette app to mount anywhere
(FastAPI ``app.mount("/pay", ...)``, Django's ASGI router, any ASGI server). It needs
the ``web`` extra: ``pip install 'invoicekit[web]'``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from invoicekit._extras import require

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request

    from invoicekit.services.billing import Billing
    from invoicekit.web.host import Host, SandboxDesk

__all__ = ["create_app", "dashboard_app"]


def create_app(
    billing: Host,
    *,
    secret_key: str,
    sandbox: SandboxDesk | None = None,
    inbox_customer: Callable[[Request], tuple[str, str] | None] | None = None,
) -> Starlette:
    """The ASGI app serving pay pages, the sandbox's pay page, webhooks and (optionally) the inbox.

    ``secret_key`` signs the CSRF tokens (at least 32 characters; keep it secret and
    the same across workers). ``sandbox`` serves ``SandboxPayments``' pay page under
    ``/sandbox/{ref}``; ``inbox_customer`` tells who is signed in (``(seller_id,
    customer_id)`` or None) and adds ``GET /inbox``. Raises MissingExtraError without
    the ``web`` extra and ConfigurationError for a short ``secret_key``.
    """
    require("starlette", extra="web", feature="invoicekit.web")
    from invoicekit.web.app import build_app

    return build_app(billing, secret_key=secret_key, sandbox=sandbox, inbox_customer=inbox_customer)


def dashboard_app(
    billing: Billing,
    *,
    authorize: Callable[[Request], str | Awaitable[str | None] | None] | None,
    secret_key: str,
    actions: Iterable[str] = (),
    page_size: int = 50,
) -> Starlette:
    """The sellers' dashboard as an ASGI app, to mount behind the host's own login.

    ``authorize(request)`` returns the id of the seller whose books the signed-in user may
    see, or None; a hook that is missing, returns None, names an unknown seller or raises
    answers 403 (deny by default). ``actions`` is what users may do on an invoice from
    the page: any of ``remind``, ``mark_paid``, ``void`` (none by default); each is a POST
    form with a CSRF token signed with ``secret_key`` (at least 32 characters, the same
    in every worker). ``page_size`` rows per page of the clients table. Raises
    MissingExtraError without the ``web`` extra and ConfigurationError for bad options.
    """
    require("starlette", extra="web", feature="invoicekit.web")
    from invoicekit.web.dashboard import build_dashboard

    return build_dashboard(
        billing, authorize=authorize, secret_key=secret_key, actions=actions, page_size=page_size
    )

"""``invoicekit.web``: the hosted pay page, the sandbox's pay page, webhooks and the inbox (ASGI).

``create_app(billing, secret_key=...)`` returns a Starlette app to mount anywhere
(FastAPI ``app.mount("/pay", ...)``, Django's ASGI router, any ASGI server). It needs
the ``web`` extra: ``pip install 'invoicekit[web]'``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from invoicekit._extras import require

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request

    from invoicekit.web.host import Host, SandboxDesk

__all__ = ["create_app"]


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

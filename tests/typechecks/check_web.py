"""Static check: ``Billing`` and ``SandboxPayments`` are what ``create_app`` takes (mypy --strict, never run).

``invoicekit.web.host`` states what the web app needs as Protocols; these assignments
fail type checking the day ``Billing`` or ``SandboxPayments`` stops matching them.
"""

from __future__ import annotations

from invoicekit import Billing, SandboxPayments
from invoicekit.web.host import Host, SandboxDesk


def _billing_is_a_host(billing: Billing) -> Host:
    return billing


def _the_sandbox_has_a_desk(sandbox: SandboxPayments) -> SandboxDesk:
    return sandbox


def _not_anything(text: str) -> Host:
    return text  # type: ignore[return-value]

"""Payment adapters: bank transfer (``ManualPayments``, with its EPC QR code) and ``SandboxPayments``."""

from invoicekit.adapters.epc import epc_payload, qr_svg
from invoicekit.adapters.payments.manual import (
    BankTransferInstructions,
    ManualPayments,
    ManualRefund,
)
from invoicekit.adapters.payments.sandbox import SandboxPayments, SandboxSession

__all__ = [
    "BankTransferInstructions",
    "ManualPayments",
    "ManualRefund",
    "SandboxPayments",
    "SandboxSession",
    "epc_payload",
    "qr_svg",
]

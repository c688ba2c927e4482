"""Payment adapters: bank transfer (``ManualPayments``) and the SEPA EPC QR code it prints."""

from invoicekit.adapters.epc import epc_payload, qr_svg
from invoicekit.adapters.payments.manual import (
    BankTransferInstructions,
    ManualPayments,
    ManualRefund,
)

__all__ = [
    "BankTransferInstructions",
    "ManualPayments",
    "ManualRefund",
    "epc_payload",
    "qr_svg",
]

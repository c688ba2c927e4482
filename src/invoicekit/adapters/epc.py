"""The EPC QR code ("GiroCode") that lets a payer's banking app pre-fill a SEPA credit transfer.

The payload follows EPC069-12 (Quick Response Code: Guidelines to Enable Data
Capture for the Initiation of a SEPA Credit Transfer), one element per line::

    BCD                 service tag
    002                 version (002: BIC optional inside the EEA; 001: BIC required)
    1                   character set (1 = UTF-8)
    SCT                 identification: SEPA Credit Transfer
    COBADEFFXXX         BIC of the beneficiary's bank (may be empty in version 002)
    Northwind GmbH      beneficiary name, at most 70 characters
    DE89370400440532013000  IBAN
    EUR119.00           amount, EUR 0.01 to 999999999.99
                        purpose code (empty)
                        structured creditor reference (empty)
    INV-2026-00001      unstructured remittance: the invoice number, at most 140 characters

The last populated element is not followed by a line break, and the whole payload
is at most 331 bytes (QR version 13 at error correction level M, which EPC requires).
"""

from __future__ import annotations

import io
from decimal import ROUND_UP, Decimal
from html import escape
from typing import TYPE_CHECKING, Any, Final

from invoicekit._extras import require
from invoicekit.domain.status import Status
from invoicekit.errors import ValidationError, problem

if TYPE_CHECKING:
    from invoicekit.domain.invoice import Invoice

__all__ = [
    "EPC_MAX_BYTES",
    "EPC_MAX_QR_VERSION",
    "EPC_VERSIONS",
    "epc_payload",
    "epc_qr",
    "qr_svg",
]

#: The payload limit of EPC069-12: what fits QR version 13 at level M.
EPC_MAX_BYTES: Final = 331
#: The largest QR version a scanner has to read for an EPC code.
EPC_MAX_QR_VERSION: Final = 13
#: "002" makes the BIC optional (payer and payee in the EEA); "001" requires it.
EPC_VERSIONS: Final = ("001", "002")

_MIN_AMOUNT: Final = Decimal("0.01")
_MAX_AMOUNT: Final = Decimal("999999999.99")
_CENTS: Final = Decimal("0.01")
_MAX_NAME: Final = 70
_MAX_REMITTANCE: Final = 140
#: Side of the symbol without its quiet zone, in millimetres (the brief: at least 2.5 cm).
_SYMBOL_MM: Final = Decimal(30)
#: The quiet zone ISO/IEC 18004 asks for, in modules on each side.
_QUIET_ZONE: Final = 4


def _parts(invoice: Invoice, version: str) -> tuple[str, str, str, Decimal, str] | None:
    """Name, IBAN, BIC ("" when unknown), amount and reference, or None when no code applies."""
    seller = invoice.seller
    account = None if seller is None else seller.bank_account
    amount = invoice.amount_due
    if (
        seller is None
        or account is None
        or invoice.currency != "EUR"
        or invoice.number is None
        or invoice.status in (Status.DRAFT, Status.VOID)
        or not _MIN_AMOUNT <= amount <= _MAX_AMOUNT
        or (version == "001" and not account.bic)
    ):
        return None
    name = " ".join((account.holder or seller.legal_name or seller.name).split())
    reference = invoice.number[:_MAX_REMITTANCE]
    return name[:_MAX_NAME].rstrip(), account.iban, account.bic or "", amount, reference


def epc_payload(invoice: Invoice, *, version: str = "002") -> str | None:
    """The EPC069-12 SEPA credit transfer payload for paying ``invoice``, or None when none applies.

    None when the invoice is not in EUR, is a draft or void, has nothing due (or more
    than 999,999,999.99), when its seller snapshot has no bank account, and in version
    "001" when the account has no BIC. Raises ValidationError for an unknown version.
    """
    if version not in EPC_VERSIONS:
        raise ValidationError(
            [problem("version", f"EPC QR versions: {', '.join(EPC_VERSIONS)}", version)],
            subject="EPC QR code",
        )
    parts = _parts(invoice, version)
    if parts is None:
        return None
    name, iban, bic, amount, reference = parts
    head = ["BCD", version, "1", "SCT", bic]
    tail = [iban, f"EUR{amount.quantize(_CENTS)}", "", "", reference]
    # A long multi-byte name is the only part that can push the payload past 331 bytes:
    # shorten it one character at a time (70 four-byte characters are 280 bytes).
    while name:
        payload = "\n".join([*head, name, *tail])
        if len(payload.encode("utf-8")) <= EPC_MAX_BYTES:
            return payload
        name = name[:-1].rstrip()
    return None  # the reference alone is too long for a code


def epc_qr(payload: str) -> Any:
    """The ``segno.QRCode`` of ``payload`` (save it as PNG, SVG, ...) of ``payload``: byte mode UTF-8, level M exactly, never Micro QR.

    Raises ValidationError when the payload needs a version above 13 (more than 331
    bytes) and MissingExtraError without the ``qr`` extra.
    """
    segno = require("segno", extra="qr", feature="EPC QR codes")
    data = payload.encode("utf-8")
    if len(data) > EPC_MAX_BYTES:
        raise ValidationError(
            [problem("payload", f"at most {EPC_MAX_BYTES} bytes in UTF-8", len(data))],
            subject="EPC QR code",
        )
    # boost_error=False: segno would otherwise raise the level to Q or H when it fits,
    # and EPC069-12 asks for M.
    qr = segno.make(data, error="m", micro=False, boost_error=False)
    if qr.version > EPC_MAX_QR_VERSION:  # pragma: no cover - 331 bytes always fit version 13
        raise ValidationError(
            [problem("payload", f"needs QR version {qr.version}; at most 13")],
            subject="EPC QR code",
        )
    return qr


def qr_svg(payload: str, *, title: str = "QR code to pay by bank transfer") -> str:
    """Inline SVG markup (no XML declaration) of the EPC QR code for ``payload``.

    The symbol is 30 mm wide plus its quiet zone (banking apps read it from paper at
    2.5 cm and up), black on white, with ``role="img"``, an ``aria-label`` and a
    ``<title>`` so screen readers announce it. Raises MissingExtraError without the
    ``qr`` extra and ValidationError for a payload over 331 bytes.
    """
    qr = epc_qr(payload)
    out = io.BytesIO()
    qr.save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        scale=1,
        border=_QUIET_ZONE,
        omitsize=True,
        dark="#000",
        light="#fff",
        title=title,
        svgclass="invoicekit-epc-qr",
        lineclass=None,
    )
    svg = out.getvalue().decode("utf-8")
    modules: int = qr.symbol_size(scale=1, border=0)[0]
    module_mm = _SYMBOL_MM / modules
    side = (module_mm * (modules + 2 * _QUIET_ZONE)).quantize(_CENTS, rounding=ROUND_UP)
    attributes = (
        f'<svg role="img" aria-label="{escape(title, quote=True)}" '
        f'width="{side}mm" height="{side}mm"'
    )
    return svg.replace("<svg", attributes, 1)

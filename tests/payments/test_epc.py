"""The EPC069-12 QR payload of an invoice and the SVG that draws it.

The payload is checked line by line against the guideline; the SVG is read back
into a module matrix and compared with segno's encoding of the payload (level M,
version <= 13, byte mode), and decoded by zbar where pyzbar and libzbar are installed.
"""

from __future__ import annotations

import re
import sys
from decimal import Decimal
from typing import Any

import pytest
import segno  # the 'qr' extra, part of the dev setup: a missing one fails, never skips

import factories as f
from invoicekit.adapters.epc import EPC_MAX_BYTES, epc_payload, epc_qr, qr_svg
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.parties import BankAccount, Seller
from invoicekit.errors import MissingExtraError, ValidationError

IBAN = "DE89 3704 0044 0532 0130 00"
BIC = "COBADEFFXXX"


def bank_seller(**overrides: Any) -> Seller:
    fields: dict[str, Any] = {
        "legal_name": "Northwind GmbH",
        "bank_account": BankAccount(iban=IBAN, bic=BIC),
    }
    fields.update(overrides)
    return f.seller(**fields)


def issued_by(seller: Seller, **overrides: Any) -> Invoice:
    return f.issued(of=seller, **overrides)


def pay(invoice: Invoice, amount: str) -> Invoice:
    paid, _ = lc.apply(invoice, lc.RecordPayment(payment_id="p1", amount=Decimal(amount)), at=f.AT)
    return paid


# --------------------------------------------------------------------------- payload


def test_payload_line_by_line_for_a_known_invoice() -> None:
    payload = epc_payload(issued_by(bank_seller()))

    assert payload is not None
    assert payload.split("\n") == [
        "BCD",  # service tag
        "002",  # version: BIC optional
        "1",  # character set: UTF-8
        "SCT",  # SEPA credit transfer
        "COBADEFFXXX",  # BIC
        "Northwind GmbH",  # beneficiary: the legal name
        "DE89370400440532013000",  # IBAN without spaces
        "EUR119.00",  # amount due: 100.00 + 19 % VAT
        "",  # purpose
        "",  # structured reference
        "INV-2026-00001",  # unstructured remittance: the invoice number
    ]
    assert not payload.endswith("\n")


def test_beneficiary_is_the_holder_then_the_legal_name_then_the_name() -> None:
    holder = BankAccount(iban=IBAN, holder="Northwind Treuhand")
    with_holder = epc_payload(issued_by(bank_seller(bank_account=holder)))
    with_legal = epc_payload(issued_by(bank_seller()))
    plain = epc_payload(issued_by(bank_seller(legal_name=None)))

    assert with_holder is not None
    assert with_legal is not None
    assert plain is not None
    assert with_holder.split("\n")[5] == "Northwind Treuhand"
    assert with_legal.split("\n")[5] == "Northwind GmbH"
    assert plain.split("\n")[5] == "Northwind"


def test_version_002_leaves_a_missing_bic_empty_and_001_needs_one() -> None:
    no_bic = issued_by(bank_seller(bank_account=BankAccount(iban=IBAN)))

    payload = epc_payload(no_bic)
    assert payload is not None
    assert payload.split("\n")[4] == ""
    assert epc_payload(no_bic, version="001") is None
    v1 = epc_payload(issued_by(bank_seller()), version="001")
    assert v1 is not None
    assert v1.split("\n")[1:5] == ["001", "1", "SCT", BIC]


def test_an_unknown_version_is_refused() -> None:
    with pytest.raises(ValidationError, match="001, 002"):
        epc_payload(issued_by(bank_seller()), version="003")


@pytest.mark.parametrize(
    ("unit_price", "paid", "expected"),
    [
        ("100.00", None, "EUR119.00"),
        ("100", None, "EUR119.00"),
        ("10.10", None, "EUR12.02"),  # 12.019 rounds to 12.02
        ("100.00", "99.50", "EUR19.50"),  # what is left after a partial payment
        ("100.00", "118.99", "EUR0.01"),  # the smallest amount EPC allows
    ],
)
def test_the_amount_is_what_is_due_with_two_decimals(
    unit_price: str, paid: str | None, expected: str
) -> None:
    invoice = issued_by(bank_seller(), lines=[f.line(unit_price)])
    if paid is not None:
        invoice = pay(invoice, paid)

    payload = epc_payload(invoice)

    assert payload is not None
    assert payload.split("\n")[7] == expected


def test_a_long_name_is_cut_to_70_characters() -> None:
    name = "Northwind " + "Ä" * 100  # the seller allows 200 characters
    payload = epc_payload(issued_by(bank_seller(legal_name=name)))

    assert payload is not None
    beneficiary = payload.split("\n")[5]
    assert len(beneficiary) == 70
    assert name.startswith(beneficiary)
    assert len(payload.encode("utf-8")) <= EPC_MAX_BYTES


def test_a_long_multibyte_name_is_shortened_until_the_payload_fits_331_bytes() -> None:
    name = "\U0001f3e2" * 70  # 70 characters of 4 bytes: 280 bytes alone
    payload = epc_payload(issued_by(bank_seller(legal_name=name)))

    assert payload is not None
    size = len(payload.encode("utf-8"))
    assert size <= EPC_MAX_BYTES
    assert size > EPC_MAX_BYTES - 4  # cut by whole characters, no more than needed
    assert set(payload.split("\n")[5]) == {"\U0001f3e2"}


def test_utf8_names_are_kept_as_written() -> None:
    payload = epc_payload(issued_by(bank_seller(legal_name="Bäckerei Müller & Söhne")))

    assert payload is not None
    assert payload.split("\n")[5] == "Bäckerei Müller & Söhne"


def _no_account() -> Invoice:
    return issued_by(f.seller())


def _draft() -> Invoice:
    return f.draft(of=bank_seller())


def _void() -> Invoice:
    voided, _ = lc.apply(issued_by(bank_seller()), lc.Void("mistake"), at=f.AT)
    return voided


def _paid() -> Invoice:
    return pay(issued_by(bank_seller()), "119.00")


def _dollars() -> Invoice:
    return issued_by(bank_seller(currency="USD"))


def _too_large() -> Invoice:
    return issued_by(bank_seller(), lines=[f.line("900000000.00")])


@pytest.mark.parametrize(
    "make", [_no_account, _draft, _void, _paid, _dollars, _too_large], ids=lambda m: m.__name__
)
def test_no_payload_when_no_transfer_can_be_asked_for(make: Any) -> None:
    invoice = make()

    assert epc_payload(invoice) is None


def test_the_seller_snapshot_decides_not_the_current_seller() -> None:
    at_issue = bank_seller()
    invoice = issued_by(at_issue)
    # The payload only reads the invoice: a seller changed later cannot reach it.
    assert invoice.seller == at_issue
    payload = epc_payload(invoice)
    assert payload is not None
    assert "DE89370400440532013000" in payload


# --------------------------------------------------------------------------- QR code

_STROKE_PATH = re.compile(r'<path stroke="#000" d="([^"]+)"/>')
_SEGMENT = re.compile(r"([Mm])(-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?)h(\d+)")


def drawn_modules(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """The side of the drawing in modules and the dark modules (row, column) its path strokes."""
    match = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    assert match is not None
    assert match.group(1) == match.group(2)
    path = _STROKE_PATH.search(svg)
    assert path is not None
    dark: set[tuple[int, int]] = set()
    x = y = 0.0
    for move, dx, dy, length in _SEGMENT.findall(path.group(1)):
        x, y = (float(dx), float(dy)) if move == "M" else (x + float(dx), y + float(dy))
        dark.update((int(y), int(x) + i) for i in range(int(length)))
        x += int(length)
    return int(match.group(1)), dark


def matrix_modules(qr: Any, border: int) -> set[tuple[int, int]]:
    return {
        (row + border, col + border)
        for row, bits in enumerate(qr.matrix)
        for col, bit in enumerate(bits)
        if bit
    }


def test_the_svg_draws_segnos_level_m_encoding_of_the_payload() -> None:
    payload = epc_payload(issued_by(bank_seller(legal_name="Bäckerei Müller")))
    assert payload is not None
    reference = segno.make(payload.encode("utf-8"), error="m", micro=False, boost_error=False)

    svg = qr_svg(payload)

    assert reference.error == "M"
    assert reference.mode == "byte"
    assert not reference.is_micro
    assert reference.version <= 13
    side, dark = drawn_modules(svg)
    assert side == reference.symbol_size(border=4)[0]
    assert dark == matrix_modules(reference, border=4)
    qr = epc_qr(payload)
    assert (qr.error, qr.version, qr.matrix) == ("M", reference.version, reference.matrix)


def test_a_payload_of_331_bytes_still_fits_version_13_at_level_m() -> None:
    payload = epc_payload(issued_by(bank_seller(legal_name="\U0001f3e2" * 70)))
    assert payload is not None

    qr = epc_qr(payload)

    assert qr.error == "M"
    assert qr.version <= 13


def test_a_payload_over_331_bytes_is_refused() -> None:
    with pytest.raises(ValidationError, match="331 bytes"):
        qr_svg("BCD\n002\n1\nSCT\n\n" + "x" * 400)


def test_the_svg_is_inline_accessible_markup_at_least_25_mm_wide() -> None:
    payload = epc_payload(issued_by(bank_seller()))
    assert payload is not None

    svg = qr_svg(payload, title='Pay "INV-1" <now>')

    assert svg.startswith("<svg ")
    assert "<?xml" not in svg
    assert svg.endswith("</svg>")
    assert 'role="img"' in svg
    assert 'aria-label="Pay &quot;INV-1&quot; &lt;now&gt;"' in svg
    assert '<title>Pay "INV-1" &lt;now&gt;</title>' in svg
    width = re.search(r'width="([\d.]+)mm"', svg)
    assert width is not None
    side, _ = drawn_modules(svg)
    symbol_mm = Decimal(width.group(1)) * (side - 8) / side  # without the quiet zone
    assert symbol_mm >= 25
    assert '<path fill="#fff"' in svg  # a white quiet zone, also on coloured paper


def test_the_svg_decodes_back_to_the_payload_with_zbar() -> None:
    try:
        from PIL import Image as image_module  # noqa: N813 - the module, not a class
        from pyzbar import pyzbar
    except ImportError as exc:  # pragma: no cover - a broken setup, reported clearly
        pytest.fail(f"decoding needs pyzbar and libzbar0 (.ci/run installs both): {exc}")
    payload = epc_payload(issued_by(bank_seller(legal_name="Nørdwind GmbH – Zürich")))
    assert payload is not None
    side, dark = drawn_modules(qr_svg(payload))
    image = image_module.new("L", (side, side), 255)
    for row, col in dark:
        image.putpixel((col, row), 0)
    image = image.resize((side * 8, side * 8), image_module.NEAREST)

    decoded = pyzbar.decode(image)

    assert [d.data.decode("utf-8") for d in decoded] == [payload]


def test_without_segno_the_message_names_the_qr_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "segno", None)  # import segno now raises ImportError

    with pytest.raises(MissingExtraError, match=r"invoicekit\[qr\]"):
        qr_svg("BCD")

"""Code lists an EN 16931 e-invoice draws from: units, VAT categories, payment means, EAS, VATEX.

Only codes accepted by the EN 16931 and Peppol code-list rules are listed; a value
outside them is refused with the codes that are allowed, before any XML is written.
The full unit and VAT category lists are generated (code_tables.py); the named
entries here are the everyday ones shown in messages and on documents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from invoicekit.einvoice.code_tables import UNIT_CODE_SET
from invoicekit.errors import ValidationError, problem

__all__ = [
    "EAS",
    "PAYMENT_MEANS",
    "UNIT_ALIASES",
    "UNIT_CODES",
    "UNIT_NAMES",
    "VATEX",
    "VAT_CATEGORIES",
    "gln_ok",
    "identifier_problem",
    "payment_means_code",
    "unit_code",
]

#: Everyday UN/ECE Rec 20 (and Rec 21 "X" package) unit codes, with their meaning.
UNIT_NAMES: Final[Mapping[str, str]] = {
    "C62": "one (unit)",
    "H87": "piece",
    "EA": "each",
    "XPP": "piece (package)",
    "XPK": "package",
    "XBX": "box",
    "SET": "set",
    "PR": "pair",
    "LS": "lump sum",
    "P1": "percent",
    "SEC": "second",
    "MIN": "minute",
    "HUR": "hour",
    "DAY": "day",
    "WEE": "week",
    "MON": "month",
    "QAN": "quarter (of a year)",
    "ANN": "year",
    "GRM": "gram",
    "KGM": "kilogram",
    "TNE": "tonne",
    "MGM": "milligram",
    "MTR": "metre",
    "CMT": "centimetre",
    "MMT": "millimetre",
    "KMT": "kilometre",
    "MTK": "square metre",
    "MTQ": "cubic metre",
    "LTR": "litre",
    "MLT": "millilitre",
    "KWH": "kilowatt hour",
    "MWH": "megawatt hour",
    "KWT": "kilowatt",
    "AD": "byte",
    "4L": "megabyte",
    "E34": "gigabyte",
    "E35": "terabyte",
    "E48": "service unit",
    "IE": "person",
    "ZZ": "mutually defined",
    "NAR": "number of articles",
}

#: Every Rec 20 / Rec 21 unit code the official rules accept (code_tables.UNIT_CODE_SET),
#: the everyday ones first with their meaning, the others with an empty one.
UNIT_CODES: Final[Mapping[str, str]] = {
    **UNIT_NAMES,
    **{code: "" for code in sorted(UNIT_CODE_SET) if code not in UNIT_NAMES},
}

#: Everyday unit names invoicekit accepts on a line, and the Rec 20 code each one means.
UNIT_ALIASES: Final[Mapping[str, str]] = {
    "one": "C62",
    "unit": "C62",
    "units": "C62",
    "each": "C62",
    "piece": "H87",
    "pieces": "H87",
    "pc": "H87",
    "pcs": "H87",
    "item": "C62",
    "items": "C62",
    "seat": "C62",
    "seats": "C62",
    "user": "C62",
    "users": "C62",
    "license": "C62",
    "licence": "C62",
    "s": "SEC",
    "second": "SEC",
    "seconds": "SEC",
    "min": "MIN",
    "minute": "MIN",
    "minutes": "MIN",
    "h": "HUR",
    "hr": "HUR",
    "hour": "HUR",
    "hours": "HUR",
    "d": "DAY",
    "day": "DAY",
    "days": "DAY",
    "week": "WEE",
    "weeks": "WEE",
    "month": "MON",
    "months": "MON",
    "quarter": "QAN",
    "year": "ANN",
    "years": "ANN",
    "g": "GRM",
    "kg": "KGM",
    "t": "TNE",
    "m": "MTR",
    "km": "KMT",
    "m2": "MTK",
    "m3": "MTQ",
    "l": "LTR",
    "liter": "LTR",
    "litre": "LTR",
    "kwh": "KWH",
    "set": "SET",
    "pair": "PR",
    "lump sum": "LS",
    "flat": "LS",
    "gb": "E34",
    "mb": "4L",
    "tb": "E35",
    # Codes Rec 20 dropped (the official rules refuse them), written as their Rec 21 package.
    "npr": "PR",
    "pa": "XPA",
    "ro": "XRO",
    "tu": "XTU",
    "ct": "XCT",
    "bo": "XBO",
}

#: UNCL 5305 VAT category codes of EN 16931 (BT-95, BT-102, BT-118, BT-151).
VAT_CATEGORIES: Final[Mapping[str, str]] = {
    "S": "Standard rate",
    "Z": "Zero rated goods",
    "E": "Exempt from tax",
    "AE": "VAT reverse charge",
    "K": "VAT exempt for EEA intra-community supply of goods and services",
    "G": "Free export item, tax not charged",
    "O": "Services outside scope of tax",
    "L": "Canary Islands general indirect tax",
    "M": "Tax for production, services and importation in Ceuta and Melilla",
    "B": "Transferred (VAT), Italy's split payment",
}

#: UNCL 4461 payment means codes (BT-81) invoicekit writes or accepts.
PAYMENT_MEANS: Final[Mapping[str, str]] = {
    "1": "Instrument not defined",
    "10": "In cash",
    "30": "Credit transfer",
    "31": "Debit transfer",
    "42": "Payment to bank account",
    "48": "Bank card",
    "49": "Direct debit",
    "54": "Credit card",
    "55": "Debit card",
    "57": "Standing agreement",
    "58": "SEPA credit transfer",
    "59": "SEPA direct debit",
    "97": "Clearing between partners",
    "ZZZ": "Mutually defined",
}

_EAS_TEXT: Final = (
    "0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 0158 0170"
    " 0177 0183 0184 0188 0190 0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 0202 0203"
    " 0204 0205 0208 0209 0210 0211 0212 0213 0215 0216 0217 0218 0221 0225 0230 0235 0240"
    " 9901 9910 9913 9914 9915 9918 9919 9920 9922 9923 9924 9925 9926 9927 9928 9929 9930"
    " 9931 9932 9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 9944 9945 9946 9947"
    " 9948 9949 9950 9951 9952 9953 9957 9959 AN AQ AS AU EM"
)
#: Electronic Address Scheme (EAS) codes for BT-34 and BT-49 (CEF / Peppol list).
EAS: Final = frozenset(_EAS_TEXT.split())

_VATEX_132 = [f"VATEX-EU-132-1{c}" for c in "ABCDEFGHIJKLMNOPQ"]
_VATEX_143 = [f"VATEX-EU-143-1{c}" for c in "ABCDEFGHIJKL"]
_VATEX_148 = [f"VATEX-EU-148-{c}" for c in "ABCDEFG"]
_VATEX_151 = [f"VATEX-EU-151-1{c}" for c in ("A", "AA", "B", "C", "D", "E")]
#: VATEX exemption reason codes (BT-121).
VATEX: Final = frozenset(
    {
        "VATEX-EU-79-C",
        "VATEX-EU-132",
        *_VATEX_132,
        "VATEX-EU-143",
        *_VATEX_143,
        "VATEX-EU-148",
        *_VATEX_148,
        "VATEX-EU-151",
        *_VATEX_151,
        "VATEX-EU-309",
        "VATEX-EU-AE",
        "VATEX-EU-D",
        "VATEX-EU-F",
        "VATEX-EU-G",
        "VATEX-EU-I",
        "VATEX-EU-IC",
        "VATEX-EU-O",
        "VATEX-EU-J",
        "VATEX-FR-FRANCHISE",
        "VATEX-FR-CNWVAT",
    }
)


def unit_code(unit: str, *, path: str = "unit") -> str:
    """The Rec 20 code of a line's unit ("h" -> "HUR", "HUR" -> "HUR"); refuses unknown units."""
    if unit in UNIT_CODES:
        return unit
    code = UNIT_ALIASES.get(unit.strip().lower())
    if code is not None:
        return code
    raise ValidationError(
        [
            problem(
                path,
                "not a UN/ECE Rec 20 or Rec 21 unit code; use a code such as C62 (one), H87 "
                "(piece), HUR (hour), DAY, MON (month), KGM, XBX (box), or a name such as "
                "'hour'",
                unit,
            )
        ],
        subject="e-invoice",
    )


def payment_means_code(currency: str) -> str:
    """The UNCL 4461 code of a transfer to the seller's IBAN: 58 (SEPA) in euro, 30 otherwise."""
    return "58" if currency == "EUR" else "30"


def gln_ok(value: str) -> bool:
    """GS1 check digit of a 13-digit GLN (Peppol rule PEPPOL-COMMON-R040 for scheme 0088)."""
    if len(value) != 13 or not value.isdigit():  # noqa: PLR2004 - a GLN has 13 digits
        return False
    digits = [int(c) for c in value]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return (10 - total % 10) % 10 == digits[12]


def _mod11_no(value: str) -> bool:
    """Norwegian organisation number: weights 2..7 from the right, check digit mod 11."""
    body, check = value[:-1], int(value[-1])
    total = sum(int(d) * (i % 6 + 2) for i, d in enumerate(reversed(body)))
    return int(value) > 0 and (11 - total % 11) % 11 == check


def _mod97_be(value: str) -> bool:
    """Belgian enterprise number: the last two digits are 97 - (first eight mod 97)."""
    return int(value[8:]) == 97 - int(value[:8]) % 97


def _abn(value: str) -> bool:
    """Australian Business Number: first digit minus one, weighted sum mod 89 == 0."""
    weights = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)
    digits = [int(value[0]) - 1, *(int(c) for c in value[1:])]
    return sum(w * d for w, d in zip(weights, digits, strict=True)) % 89 == 0


#: Identifier formats Peppol checks per EAS scheme (PEPPOL-COMMON-R040 to R050):
#: scheme -> (pattern, checksum or None, what the id looks like, rule id).
_ID_FORMATS: Final[Mapping[str, tuple[str, Any, str, str]]] = {
    "0088": (r"[0-9]{13}", gln_ok, "a GLN: 13 digits with a valid GS1 check digit", "R040"),
    "0192": (r"[0-9]{9}", _mod11_no, "a Norwegian organisation number: 9 digits, mod 11", "R041"),
    "0184": (r"DK[0-9]{8}", None, "a Danish CVR number: 'DK' and 8 digits", "R042"),
    "0208": (r"[0-9]{10}", _mod97_be, "a Belgian enterprise number: 10 digits, mod 97", "R043"),
    "0007": (r"[0-9]{10}", None, "a Swedish organisation number: 10 digits", "R049"),
    "0151": (r"[0-9]{11}", _abn, "an Australian Business Number: 11 digits, mod 89", "R050"),
}


def identifier_problem(scheme: str, value: str) -> str | None:
    """Why ``value`` is not a well-formed id under EAS ``scheme`` as Peppol checks it, or None."""
    if scheme not in EAS:
        return "not an EAS scheme code (e.g. 0088, 0208, 9930, EM)"
    known = _ID_FORMATS.get(scheme)
    if known is None:
        return None
    pattern, checksum, what, rule = known
    text = value.strip()
    if re.fullmatch(pattern, text) and (checksum is None or checksum(text)):
        return None
    return f"scheme {scheme} needs {what} (PEPPOL-COMMON-{rule})"

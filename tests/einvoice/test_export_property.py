"""Property: every generated invoice EN 16931 can express exports schema-valid, rule-clean XML
whose sums (BR-CO-10 to BR-CO-17) hold to the cent when recomputed from the XML with Decimal."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from lxml import etree

from einvoice.export_cases import invoice_of, rule_failures, xsd_errors
from invoicekit.einvoice import check_profile, to_cii, to_ubl
from invoicekit.errors import ValidationError
from invoicekit.testing.strategies import cases
from sizes import examples

UBL = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII = {
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def _d(root: Any, path: str, ns: dict[str, str]) -> Decimal:
    text = root.findtext(path, namespaces=ns)
    return Decimal(text) if text is not None else Decimal(0)


def _sums_hold_ubl(root: Any) -> None:
    t = "cac:LegalMonetaryTotal/cbc:"
    nets = [Decimal(e.text) for e in root.iterfind("cac:InvoiceLine/cbc:LineExtensionAmount", UBL)]
    adjustments = {"true": Decimal(0), "false": Decimal(0)}
    per_category: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in root.iterfind("cac:InvoiceLine", UBL):
        cat = line.find("cac:Item/cac:ClassifiedTaxCategory", UBL)
        key = (cat.findtext("cbc:ID", namespaces=UBL), cat.findtext("cbc:Percent", "", UBL))
        per_category[key] += _d(line, "cbc:LineExtensionAmount", UBL)
    for adj in root.iterfind("cac:AllowanceCharge", UBL):
        kind = adj.findtext("cbc:ChargeIndicator", namespaces=UBL)
        value = _d(adj, "cbc:Amount", UBL)
        adjustments[kind] += value
        cat = adj.find("cac:TaxCategory", UBL)
        key = (cat.findtext("cbc:ID", namespaces=UBL), cat.findtext("cbc:Percent", "", UBL))
        per_category[key] += value if kind == "true" else -value
    assert _d(root, t + "LineExtensionAmount", UBL) == sum(nets, Decimal(0))  # BR-CO-10
    assert _d(root, t + "AllowanceTotalAmount", UBL) == adjustments["false"]  # BR-CO-11
    assert _d(root, t + "ChargeTotalAmount", UBL) == adjustments["true"]  # BR-CO-12
    assert _d(root, t + "TaxExclusiveAmount", UBL) == (  # BR-CO-13
        sum(nets, Decimal(0)) - adjustments["false"] + adjustments["true"]
    )
    tax = _d(root, "cac:TaxTotal/cbc:TaxAmount", UBL)
    subtotals = list(root.iterfind("cac:TaxTotal/cac:TaxSubtotal", UBL))
    assert tax == sum((_d(s, "cbc:TaxAmount", UBL) for s in subtotals), Decimal(0))  # BR-CO-14
    assert _d(root, t + "TaxInclusiveAmount", UBL) == (  # BR-CO-15
        _d(root, t + "TaxExclusiveAmount", UBL) + tax
    )
    assert _d(root, t + "PayableAmount", UBL) == (  # BR-CO-16
        _d(root, t + "TaxInclusiveAmount", UBL)
        - _d(root, t + "PrepaidAmount", UBL)
        + _d(root, t + "PayableRoundingAmount", UBL)
    )
    for sub in subtotals:  # BR-S-08 and its siblings: each base is its lines and adjustments
        cat = sub.find("cac:TaxCategory", UBL)
        key = (cat.findtext("cbc:ID", namespaces=UBL), cat.findtext("cbc:Percent", "", UBL))
        assert _d(sub, "cbc:TaxableAmount", UBL) == per_category.pop(key)
        rate = Decimal(key[1] or 0)
        exact = _d(sub, "cbc:TaxableAmount", UBL) * rate / 100
        assert abs(_d(sub, "cbc:TaxAmount", UBL) - exact) <= 1  # BR-CO-17's tolerance
    assert not per_category


def _sums_hold_cii(root: Any) -> None:
    s = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    nets = [
        Decimal(e.text)
        for e in root.iterfind(
            ".//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", CII
        )
    ]
    assert _d(root, s + "LineTotalAmount", CII) == sum(nets, Decimal(0))
    assert _d(root, s + "GrandTotalAmount", CII) == (
        _d(root, s + "TaxBasisTotalAmount", CII) + _d(root, s + "TaxTotalAmount", CII)
    )
    assert _d(root, s + "DuePayableAmount", CII) == (
        _d(root, s + "GrandTotalAmount", CII)
        - _d(root, s + "TotalPrepaidAmount", CII)
        + _d(root, s + "RoundingAmount", CII)
    )


@settings(
    max_examples=examples(ci=60, dev=15),
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(case=cases(max_lines=6))
def test_every_expressible_invoice_exports_valid_xml_whose_sums_hold(case: dict[str, Any]) -> None:
    invoice = invoice_of(case)
    try:
        check_profile(invoice, "peppol")
    except ValidationError as exc:
        # Three decimals, stacked taxes, O mixed with others, K without periods.
        assume(not exc.problems)
    ubl = to_ubl(invoice, "peppol")
    cii = to_cii(invoice)

    assert xsd_errors(ubl) == []
    assert xsd_errors(cii) == []
    _sums_hold_ubl(etree.fromstring(ubl))
    _sums_hold_cii(etree.fromstring(cii))
    assert rule_failures(ubl) == []
    assert rule_failures(cii) == []

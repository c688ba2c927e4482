"""The amount terms of the BT table: allowances, charges, totals, VAT breakdown, lines (BG-20 to BG-25).

Grouped as EN 16931 groups them; ``invoicekit.einvoice.terms`` joins them with the header.
"""

from __future__ import annotations

from typing import Final

from invoicekit.einvoice.term_paths import (
    CII_LINE,
    CII_SETTLEMENT,
    UBL_INVOICE,
    UBL_LINE,
    Term,
    TermGroup,
)

__all__ = ["AMOUNT_GROUPS"]

_CII_TOTALS = f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
_UBL_VAT = f"{UBL_INVOICE}/cac:TaxTotal/cac:TaxSubtotal"
_CII_VAT = f"{CII_SETTLEMENT}/ram:ApplicableTradeTax"
_UBL_ALLOWANCE = f"{UBL_INVOICE}/cac:AllowanceCharge[cbc:ChargeIndicator='false']"
_UBL_CHARGE = f"{UBL_INVOICE}/cac:AllowanceCharge[cbc:ChargeIndicator='true']"
_CII_ALLOWANCE = (
    f"{CII_SETTLEMENT}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='false']"
)
_CII_CHARGE = (
    f"{CII_SETTLEMENT}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='true']"
)
_CII_LINE_SETTLEMENT = "ram:SpecifiedLineTradeSettlement"

#: The amount groups: BG-20 allowances, BG-21 charges, BG-22 totals, BG-23 VAT, BG-25 lines.
AMOUNT_GROUPS: Final[tuple[TermGroup, ...]] = (
    TermGroup(
        "BG-20",
        "Document level allowances",
        (
            Term(
                "BT-92",
                "Allowance amount",
                f"{_UBL_ALLOWANCE}/cbc:Amount",
                f"{_CII_ALLOWANCE}/ram:ActualAmount",
                "totals.discounts[].amount",
            ),
            Term(
                "BT-93",
                "Allowance base amount",
                f"{_UBL_ALLOWANCE}/cbc:BaseAmount",
                f"{_CII_ALLOWANCE}/ram:BasisAmount",
                "totals.discounts[].base (percent discounts, tax-exclusive prices)",
            ),
            Term(
                "BT-94",
                "Allowance percentage",
                f"{_UBL_ALLOWANCE}/cbc:MultiplierFactorNumeric",
                f"{_CII_ALLOWANCE}/ram:CalculationPercent",
                "totals.discounts[].percent",
            ),
            Term(
                "BT-95",
                "Allowance VAT category",
                f"{_UBL_ALLOWANCE}/cac:TaxCategory/cbc:ID",
                f"{_CII_ALLOWANCE}/ram:CategoryTradeTax/ram:CategoryCode",
                "totals.discounts[].taxes[0].category",
            ),
            Term(
                "BT-96",
                "Allowance VAT rate",
                f"{_UBL_ALLOWANCE}/cac:TaxCategory/cbc:Percent",
                f"{_CII_ALLOWANCE}/ram:CategoryTradeTax/ram:RateApplicablePercent",
                "totals.discounts[].taxes[0].rate",
            ),
            Term(
                "BT-97",
                "Allowance reason",
                f"{_UBL_ALLOWANCE}/cbc:AllowanceChargeReason",
                f"{_CII_ALLOWANCE}/ram:Reason",
                "discounts[].reason (else 'Discount')",
            ),
        ),
    ),
    TermGroup(
        "BG-21",
        "Document level charges",
        (
            Term(
                "BT-99",
                "Charge amount",
                f"{_UBL_CHARGE}/cbc:Amount",
                f"{_CII_CHARGE}/ram:ActualAmount",
                "totals.charges[].amount",
            ),
            Term(
                "BT-100",
                "Charge base amount",
                f"{_UBL_CHARGE}/cbc:BaseAmount",
                f"{_CII_CHARGE}/ram:BasisAmount",
                "totals.charges[].base (percent charges, tax-exclusive prices)",
            ),
            Term(
                "BT-101",
                "Charge percentage",
                f"{_UBL_CHARGE}/cbc:MultiplierFactorNumeric",
                f"{_CII_CHARGE}/ram:CalculationPercent",
                "totals.charges[].percent",
            ),
            Term(
                "BT-102",
                "Charge VAT category",
                f"{_UBL_CHARGE}/cac:TaxCategory/cbc:ID",
                f"{_CII_CHARGE}/ram:CategoryTradeTax/ram:CategoryCode",
                "totals.charges[].taxes[0].category",
            ),
            Term(
                "BT-103",
                "Charge VAT rate",
                f"{_UBL_CHARGE}/cac:TaxCategory/cbc:Percent",
                f"{_CII_CHARGE}/ram:CategoryTradeTax/ram:RateApplicablePercent",
                "totals.charges[].taxes[0].rate",
            ),
            Term(
                "BT-104",
                "Charge reason",
                f"{_UBL_CHARGE}/cbc:AllowanceChargeReason",
                f"{_CII_CHARGE}/ram:Reason",
                "charges[].reason (else 'Charge')",
            ),
        ),
    ),
    TermGroup(
        "BG-22",
        "Document totals",
        (
            Term(
                "BT-106",
                "Sum of line net amounts",
                f"{UBL_INVOICE}/cac:LegalMonetaryTotal/cbc:LineExtensionAmount",
                f"{_CII_TOTALS}/ram:LineTotalAmount",
                "totals.line_net_total",
            ),
            Term(
                "BT-107",
                "Sum of allowances",
                f"{UBL_INVOICE}/cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount",
                f"{_CII_TOTALS}/ram:AllowanceTotalAmount",
                "totals.discount_total",
            ),
            Term(
                "BT-108",
                "Sum of charges",
                f"{UBL_INVOICE}/cac:LegalMonetaryTotal/cbc:ChargeTotalAmount",
                f"{_CII_TOTALS}/ram:ChargeTotalAmount",
                "totals.charge_total",
            ),
            Term(
                "BT-109",
                "Total without VAT",
                f"{UBL_INVOICE}/cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount",
                f"{_CII_TOTALS}/ram:TaxBasisTotalAmount",
                "totals.tax_exclusive",
            ),
            Term(
                "BT-110",
                "Total VAT",
                f"{UBL_INVOICE}/cac:TaxTotal/cbc:TaxAmount",
                f"{_CII_TOTALS}/ram:TaxTotalAmount",
                "totals.tax_total",
            ),
            Term(
                "BT-112",
                "Total with VAT",
                f"{UBL_INVOICE}/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",
                f"{_CII_TOTALS}/ram:GrandTotalAmount",
                "totals.tax_inclusive",
            ),
            Term(
                "BT-113",
                "Paid amount",
                f"{UBL_INVOICE}/cac:LegalMonetaryTotal/cbc:PrepaidAmount",
                f"{_CII_TOTALS}/ram:TotalPrepaidAmount",
                "Invoice.paid (payments less refunds)",
            ),
            Term(
                "BT-114",
                "Rounding amount",
                f"{UBL_INVOICE}/cac:LegalMonetaryTotal/cbc:PayableRoundingAmount",
                f"{_CII_TOTALS}/ram:RoundingAmount",
                "totals.rounding",
            ),
            Term(
                "BT-115",
                "Amount due",
                f"{UBL_INVOICE}/cac:LegalMonetaryTotal/cbc:PayableAmount",
                f"{_CII_TOTALS}/ram:DuePayableAmount",
                "totals.payable - paid",
            ),
        ),
    ),
    TermGroup(
        "BG-23",
        "VAT breakdown",
        (
            Term(
                "BT-116",
                "Taxable amount",
                f"{_UBL_VAT}/cbc:TaxableAmount",
                f"{_CII_VAT}/ram:BasisAmount",
                "totals.breakdown[].base",
            ),
            Term(
                "BT-117",
                "Tax amount",
                f"{_UBL_VAT}/cbc:TaxAmount",
                f"{_CII_VAT}/ram:CalculatedAmount",
                "totals.breakdown[].amount",
            ),
            Term(
                "BT-118",
                "VAT category code",
                f"{_UBL_VAT}/cac:TaxCategory/cbc:ID",
                f"{_CII_VAT}/ram:CategoryCode",
                "totals.breakdown[].tax.category",
            ),
            Term(
                "BT-119",
                "VAT rate",
                f"{_UBL_VAT}/cac:TaxCategory/cbc:Percent",
                f"{_CII_VAT}/ram:RateApplicablePercent",
                "totals.breakdown[].tax.rate",
            ),
            Term(
                "BT-120",
                "Exemption reason",
                f"{_UBL_VAT}/cac:TaxCategory/cbc:TaxExemptionReason",
                f"{_CII_VAT}/ram:ExemptionReason",
                "totals.breakdown[].tax.exemption_reason",
            ),
            Term(
                "BT-121",
                "Exemption reason code (VATEX)",
                f"{_UBL_VAT}/cac:TaxCategory/cbc:TaxExemptionReasonCode",
                f"{_CII_VAT}/ram:ExemptionReasonCode",
                "totals.breakdown[].tax.exemption_code",
            ),
        ),
    ),
    TermGroup(
        "BG-25",
        "Invoice line",
        (
            Term(
                "BT-126",
                "Line id (1-based)",
                f"{UBL_LINE}/cbc:ID",
                f"{CII_LINE}/ram:AssociatedDocumentLineDocument/ram:LineID",
                "position in lines",
            ),
            Term(
                "BT-127",
                "Invoice line note",
                f"{UBL_LINE}/cbc:Note",
                f"{CII_LINE}/ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content",
                "lines[].note",
            ),
            Term(
                "BT-129",
                "Quantity",
                f"{UBL_LINE}/cbc:InvoicedQuantity",
                f"{CII_LINE}/ram:SpecifiedLineTradeDelivery/ram:BilledQuantity",
                "lines[].quantity",
            ),
            Term(
                "BT-130",
                "Unit code (UN/ECE Rec 20)",
                f"{UBL_LINE}/cbc:InvoicedQuantity/@unitCode",
                f"{CII_LINE}/ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode",
                "lines[].unit",
            ),
            Term(
                "BT-131",
                "Line net amount",
                f"{UBL_LINE}/cbc:LineExtensionAmount",
                f"{CII_LINE}/{_CII_LINE_SETTLEMENT}/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
                "totals.lines[].net",
            ),
            Term(
                "BT-134",
                "Line period start",
                f"{UBL_LINE}/cac:InvoicePeriod/cbc:StartDate",
                f"{CII_LINE}/{_CII_LINE_SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString",
                "lines[].period.start",
            ),
            Term(
                "BT-135",
                "Line period end",
                f"{UBL_LINE}/cac:InvoicePeriod/cbc:EndDate",
                f"{CII_LINE}/{_CII_LINE_SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString",
                "lines[].period.end",
            ),
            Term(
                "BT-136",
                "Line allowance amount",
                f"{UBL_LINE}/cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount",
                f"{CII_LINE}/{_CII_LINE_SETTLEMENT}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='false']/ram:ActualAmount",
                "totals.lines[].discounts[]",
            ),
            Term(
                "BT-138",
                "Line allowance percentage",
                f"{UBL_LINE}/cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:MultiplierFactorNumeric",
                f"{CII_LINE}/{_CII_LINE_SETTLEMENT}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='false']/ram:CalculationPercent",
                "lines[].discounts[].percent",
            ),
            Term(
                "BT-139",
                "Line allowance reason",
                f"{UBL_LINE}/cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:AllowanceChargeReason",
                f"{CII_LINE}/{_CII_LINE_SETTLEMENT}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='false']/ram:Reason",
                "lines[].discounts[].reason (else 'Discount')",
            ),
            Term(
                "BT-141",
                "Line charge amount",
                f"{UBL_LINE}/cac:AllowanceCharge[cbc:ChargeIndicator='true']/cbc:Amount",
                f"{CII_LINE}/{_CII_LINE_SETTLEMENT}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='true']/ram:ActualAmount",
                "totals.lines[].charges[]",
            ),
            Term(
                "BT-144",
                "Line charge reason",
                f"{UBL_LINE}/cac:AllowanceCharge[cbc:ChargeIndicator='true']/cbc:AllowanceChargeReason",
                f"{CII_LINE}/{_CII_LINE_SETTLEMENT}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='true']/ram:Reason",
                "lines[].charges[].reason (else 'Charge')",
            ),
            Term(
                "BT-146",
                "Item net price",
                f"{UBL_LINE}/cac:Price/cbc:PriceAmount",
                f"{CII_LINE}/ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount",
                "lines[].unit_price (net of tax when prices include tax)",
            ),
            Term(
                "BT-149",
                "Price base quantity",
                f"{UBL_LINE}/cac:Price/cbc:BaseQuantity",
                f"{CII_LINE}/ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity",
                "lines[].base_quantity",
            ),
            Term(
                "BT-151",
                "Line VAT category",
                f"{UBL_LINE}/cac:Item/cac:ClassifiedTaxCategory/cbc:ID",
                f"{CII_LINE}/{_CII_LINE_SETTLEMENT}/ram:ApplicableTradeTax/ram:CategoryCode",
                "lines[].taxes[0].category",
            ),
            Term(
                "BT-152",
                "Line VAT rate",
                f"{UBL_LINE}/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
                f"{CII_LINE}/{_CII_LINE_SETTLEMENT}/ram:ApplicableTradeTax/ram:RateApplicablePercent",
                "lines[].taxes[0].rate",
            ),
            Term(
                "BT-153",
                "Item name",
                f"{UBL_LINE}/cac:Item/cbc:Name",
                f"{CII_LINE}/ram:SpecifiedTradeProduct/ram:Name",
                "lines[].description",
            ),
        ),
    ),
)

"""The EN 16931 business terms invoicekit writes: one table, and the values it reads from the model.

``TERMS`` maps each business term (BT-1 ...) to its place in UBL 2.1 and in CII D16B
and to the model field it comes from; the reference page docs/reference/bt-mapping.md
is generated from it and a test checks every path against real exports. ``view()``
turns an issued Invoice or CreditNote into the values the writers put at those places,
amounts taken from the frozen totals, never computed a second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, localcontext
from typing import Final

import attrs

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.line import Line, ServicePeriod
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.policy import PriceMode
from invoicekit.domain.tax import REASON_REQUIRED, Tax, TaxCategory
from invoicekit.domain.totals import DocumentAdjustment, Totals
from invoicekit.einvoice.codes import payment_means_code, unit_code
from invoicekit.errors import ValidationError, problem
from invoicekit.money import minor_unit

__all__ = [
    "TERMS",
    "AdjustmentView",
    "DocumentView",
    "LineView",
    "Term",
    "TermGroup",
    "amount",
    "credit_note_path",
    "rate",
    "view",
]


@attrs.frozen
class Term:
    """One business term: its id, name, UBL and CII XPaths, and the model field it comes from."""

    bt: str
    name: str
    ubl: str
    cii: str
    model: str


@attrs.frozen
class TermGroup:
    """A heading of the table: a business group (BG-4 Seller ...) and the terms in it."""

    bg: str
    name: str
    terms: tuple[Term, ...]


_I = "/ubl:Invoice"
_L = f"{_I}/cac:InvoiceLine"
_X = "/rsm:CrossIndustryInvoice"
_XA = f"{_X}/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
_XS = f"{_X}/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
_XL = f"{_X}/rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem"
_S = f"{_I}/cac:AccountingSupplierParty/cac:Party"
_B = f"{_I}/cac:AccountingCustomerParty/cac:Party"
_XSP = f"{_XA}/ram:SellerTradeParty"
_XBP = f"{_XA}/ram:BuyerTradeParty"
_SUM = f"{_XS}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
_TAX = f"{_I}/cac:TaxTotal/cac:TaxSubtotal"
_XTAX = f"{_XS}/ram:ApplicableTradeTax"
_LA = f"{_I}/cac:AllowanceCharge[cbc:ChargeIndicator='false']"
_LC = f"{_I}/cac:AllowanceCharge[cbc:ChargeIndicator='true']"
_XLA = f"{_XS}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='false']"
_XLC = f"{_XS}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='true']"
_XLS = "ram:SpecifiedLineTradeSettlement"


def _t(bt: str, name: str, ubl: str, cii: str, model: str) -> Term:
    return Term(bt, name, ubl, cii, model)


def _party(bt: dict[str, str], ubl: str, cii: str, who: str) -> tuple[Term, ...]:
    """The terms of a seller (who='seller') or buyer (who='customer') party."""
    legal = "seller.legal_name or seller.name" if who == "seller" else "customer.name"
    terms = [
        _t(
            bt["name"],
            "Name",
            f"{ubl}/cac:PartyLegalEntity/cbc:RegistrationName",
            f"{cii}/ram:Name",
            legal,
        ),
        _t(
            bt["registration"],
            "Legal registration identifier",
            f"{ubl}/cac:PartyLegalEntity/cbc:CompanyID",
            f"{cii}/ram:SpecifiedLegalOrganization/ram:ID",
            f"{who}.registration_id",
        ),
        _t(
            bt["vat"],
            "VAT identifier",
            f"{ubl}/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID",
            f"{cii}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
            f"{who}.tax_id (starting with a country code)",
        ),
        _t(
            bt["endpoint"],
            "Electronic address (with its EAS scheme)",
            f"{ubl}/cbc:EndpointID",
            f"{cii}/ram:URIUniversalCommunication/ram:URIID",
            f"{who}.electronic_address",
        ),
        _t(
            bt["line1"],
            "Address line 1",
            f"{ubl}/cac:PostalAddress/cbc:StreetName",
            f"{cii}/ram:PostalTradeAddress/ram:LineOne",
            f"{who}.address.line1",
        ),
        _t(
            bt["line2"],
            "Address line 2",
            f"{ubl}/cac:PostalAddress/cbc:AdditionalStreetName",
            f"{cii}/ram:PostalTradeAddress/ram:LineTwo",
            f"{who}.address.line2",
        ),
        _t(
            bt["city"],
            "City",
            f"{ubl}/cac:PostalAddress/cbc:CityName",
            f"{cii}/ram:PostalTradeAddress/ram:CityName",
            f"{who}.address.city",
        ),
        _t(
            bt["postcode"],
            "Post code",
            f"{ubl}/cac:PostalAddress/cbc:PostalZone",
            f"{cii}/ram:PostalTradeAddress/ram:PostcodeCode",
            f"{who}.address.postal_code",
        ),
        _t(
            bt["region"],
            "Country subdivision",
            f"{ubl}/cac:PostalAddress/cbc:CountrySubentity",
            f"{cii}/ram:PostalTradeAddress/ram:CountrySubDivisionName",
            f"{who}.address.region",
        ),
        _t(
            bt["country"],
            "Country code",
            f"{ubl}/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
            f"{cii}/ram:PostalTradeAddress/ram:CountryID",
            "seller.address.country or seller.country"
            if who == "seller"
            else "customer.address.country",
        ),
        _t(
            bt["contact"],
            "Contact point",
            f"{ubl}/cac:Contact/cbc:Name",
            f"{cii}/ram:DefinedTradeContact/ram:PersonName",
            f"{who}.contact.name",
        ),
        _t(
            bt["phone"],
            "Contact telephone",
            f"{ubl}/cac:Contact/cbc:Telephone",
            f"{cii}/ram:DefinedTradeContact/ram:TelephoneUniversalCommunication/ram:CompleteNumber",
            f"{who}.contact.phone",
        ),
        _t(
            bt["email"],
            "Contact e-mail",
            f"{ubl}/cac:Contact/cbc:ElectronicMail",
            f"{cii}/ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID",
            f"{who}.contact.email",
        ),
    ]
    if who == "seller":
        terms.insert(
            1,
            _t(
                "BT-28",
                "Trading name",
                f"{ubl}/cac:PartyName/cbc:Name",
                f"{cii}/ram:SpecifiedLegalOrganization/ram:TradingBusinessName",
                "seller.name (when a legal_name is set)",
            ),
        )
        terms.insert(
            4,
            _t(
                "BT-32",
                "Tax registration identifier",
                f"{ubl}/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID!='VAT']/cbc:CompanyID",
                f"{cii}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']",
                "seller.tax_id (a national tax number)",
            ),
        )
    return tuple(terms)


_SELLER_BT = {
    "name": "BT-27",
    "registration": "BT-30",
    "vat": "BT-31",
    "endpoint": "BT-34",
    "line1": "BT-35",
    "line2": "BT-36",
    "city": "BT-37",
    "postcode": "BT-38",
    "region": "BT-39",
    "country": "BT-40",
    "contact": "BT-41",
    "phone": "BT-42",
    "email": "BT-43",
}
_BUYER_BT = {
    "name": "BT-44",
    "registration": "BT-47",
    "vat": "BT-48",
    "endpoint": "BT-49",
    "line1": "BT-50",
    "line2": "BT-51",
    "city": "BT-52",
    "postcode": "BT-53",
    "region": "BT-54",
    "country": "BT-55",
    "contact": "BT-56",
    "phone": "BT-57",
    "email": "BT-58",
}

#: Every business term invoicekit writes, grouped as EN 16931 groups them.
TERMS: Final[tuple[TermGroup, ...]] = (
    TermGroup(
        "BG-0",
        "Invoice",
        (
            _t(
                "BT-1",
                "Invoice number",
                f"{_I}/cbc:ID",
                f"{_X}/rsm:ExchangedDocument/ram:ID",
                "number",
            ),
            _t(
                "BT-2",
                "Issue date",
                f"{_I}/cbc:IssueDate",
                f"{_X}/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
                "issue_date",
            ),
            _t(
                "BT-3",
                "Type code (380 invoice, 381 credit note)",
                f"{_I}/cbc:InvoiceTypeCode",
                f"{_X}/rsm:ExchangedDocument/ram:TypeCode",
                "Invoice or CreditNote",
            ),
            _t(
                "BT-5",
                "Currency",
                f"{_I}/cbc:DocumentCurrencyCode",
                f"{_XS}/ram:InvoiceCurrencyCode",
                "currency",
            ),
            _t(
                "BT-9",
                "Payment due date",
                f"{_I}/cbc:DueDate",
                f"{_XS}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
                "due_date",
            ),
            _t(
                "BT-10",
                "Buyer reference (Leitweg-ID)",
                f"{_I}/cbc:BuyerReference",
                f"{_XA}/ram:BuyerReference",
                "buyer_reference",
            ),
            _t(
                "BT-11",
                "Project reference",
                f"{_I}/cac:ProjectReference/cbc:ID",
                f"{_XA}/ram:SpecifiedProcuringProject/ram:ID",
                "project_reference",
            ),
            _t(
                "BT-12",
                "Contract reference",
                f"{_I}/cac:ContractDocumentReference/cbc:ID",
                f"{_XA}/ram:ContractReferencedDocument/ram:IssuerAssignedID",
                "contract_reference",
            ),
            _t(
                "BT-13",
                "Purchase order reference",
                f"{_I}/cac:OrderReference/cbc:ID",
                f"{_XA}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
                "order_reference",
            ),
            _t(
                "BT-20",
                "Payment terms",
                f"{_I}/cac:PaymentTerms/cbc:Note",
                f"{_XS}/ram:SpecifiedTradePaymentTerms/ram:Description",
                "terms.describe()",
            ),
            _t(
                "BT-22",
                "Invoice note",
                f"{_I}/cbc:Note",
                f"{_X}/rsm:ExchangedDocument/ram:IncludedNote/ram:Content",
                "memo (credit note: reason)",
            ),
            _t(
                "BT-23",
                "Business process",
                f"{_I}/cbc:ProfileID",
                f"{_X}/rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID",
                "the profile",
            ),
            _t(
                "BT-24",
                "Specification identifier",
                f"{_I}/cbc:CustomizationID",
                f"{_X}/rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
                "the profile",
            ),
        ),
    ),
    TermGroup(
        "BG-3",
        "Preceding invoice (credit notes)",
        (
            _t(
                "BT-25",
                "Preceding invoice number",
                f"{_I}/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID",
                f"{_XS}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
                "CreditNote.invoice_number",
            ),
            _t(
                "BT-26",
                "Preceding invoice issue date",
                f"{_I}/cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate",
                f"{_XS}/ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString",
                "CreditNote.invoice_issue_date",
            ),
        ),
    ),
    TermGroup("BG-4", "Seller", _party(_SELLER_BT, _S, _XSP, "seller")),
    TermGroup("BG-7", "Buyer", _party(_BUYER_BT, _B, _XBP, "customer")),
    TermGroup(
        "BG-16",
        "Payment instructions",
        (
            _t(
                "BT-81",
                "Payment means code (UNCL 4461)",
                f"{_I}/cac:PaymentMeans/cbc:PaymentMeansCode",
                f"{_XS}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode",
                "58 SEPA transfer in EUR, else 30 (seller.bank_account)",
            ),
            _t(
                "BT-83",
                "Remittance information",
                f"{_I}/cac:PaymentMeans/cbc:PaymentID",
                f"{_XS}/ram:PaymentReference",
                "number",
            ),
            _t(
                "BT-84",
                "Payment account (IBAN)",
                f"{_I}/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID",
                f"{_XS}/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
                "seller.bank_account.iban",
            ),
            _t(
                "BT-85",
                "Payment account name",
                f"{_I}/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:Name",
                f"{_XS}/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:AccountName",
                "seller.bank_account.holder",
            ),
            _t(
                "BT-86",
                "Payment service provider (BIC)",
                f"{_I}/cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID",
                f"{_XS}/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID",
                "seller.bank_account.bic",
            ),
        ),
    ),
    TermGroup(
        "BG-20",
        "Document level allowances",
        (
            _t(
                "BT-92",
                "Allowance amount",
                f"{_LA}/cbc:Amount",
                f"{_XLA}/ram:ActualAmount",
                "totals.discounts[].amount",
            ),
            _t(
                "BT-93",
                "Allowance base amount",
                f"{_LA}/cbc:BaseAmount",
                f"{_XLA}/ram:BasisAmount",
                "totals.discounts[].base (percent discounts, tax-exclusive prices)",
            ),
            _t(
                "BT-94",
                "Allowance percentage",
                f"{_LA}/cbc:MultiplierFactorNumeric",
                f"{_XLA}/ram:CalculationPercent",
                "totals.discounts[].percent",
            ),
            _t(
                "BT-95",
                "Allowance VAT category",
                f"{_LA}/cac:TaxCategory/cbc:ID",
                f"{_XLA}/ram:CategoryTradeTax/ram:CategoryCode",
                "totals.discounts[].taxes[0].category",
            ),
            _t(
                "BT-96",
                "Allowance VAT rate",
                f"{_LA}/cac:TaxCategory/cbc:Percent",
                f"{_XLA}/ram:CategoryTradeTax/ram:RateApplicablePercent",
                "totals.discounts[].taxes[0].rate",
            ),
            _t(
                "BT-97",
                "Allowance reason",
                f"{_LA}/cbc:AllowanceChargeReason",
                f"{_XLA}/ram:Reason",
                "discounts[].reason (else 'Discount')",
            ),
        ),
    ),
    TermGroup(
        "BG-21",
        "Document level charges",
        (
            _t(
                "BT-99",
                "Charge amount",
                f"{_LC}/cbc:Amount",
                f"{_XLC}/ram:ActualAmount",
                "totals.charges[].amount",
            ),
            _t(
                "BT-100",
                "Charge base amount",
                f"{_LC}/cbc:BaseAmount",
                f"{_XLC}/ram:BasisAmount",
                "totals.charges[].base (percent charges, tax-exclusive prices)",
            ),
            _t(
                "BT-101",
                "Charge percentage",
                f"{_LC}/cbc:MultiplierFactorNumeric",
                f"{_XLC}/ram:CalculationPercent",
                "totals.charges[].percent",
            ),
            _t(
                "BT-102",
                "Charge VAT category",
                f"{_LC}/cac:TaxCategory/cbc:ID",
                f"{_XLC}/ram:CategoryTradeTax/ram:CategoryCode",
                "totals.charges[].taxes[0].category",
            ),
            _t(
                "BT-103",
                "Charge VAT rate",
                f"{_LC}/cac:TaxCategory/cbc:Percent",
                f"{_XLC}/ram:CategoryTradeTax/ram:RateApplicablePercent",
                "totals.charges[].taxes[0].rate",
            ),
            _t(
                "BT-104",
                "Charge reason",
                f"{_LC}/cbc:AllowanceChargeReason",
                f"{_XLC}/ram:Reason",
                "charges[].reason (else 'Charge')",
            ),
        ),
    ),
    TermGroup(
        "BG-22",
        "Document totals",
        (
            _t(
                "BT-106",
                "Sum of line net amounts",
                f"{_I}/cac:LegalMonetaryTotal/cbc:LineExtensionAmount",
                f"{_SUM}/ram:LineTotalAmount",
                "totals.line_net_total",
            ),
            _t(
                "BT-107",
                "Sum of allowances",
                f"{_I}/cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount",
                f"{_SUM}/ram:AllowanceTotalAmount",
                "totals.discount_total",
            ),
            _t(
                "BT-108",
                "Sum of charges",
                f"{_I}/cac:LegalMonetaryTotal/cbc:ChargeTotalAmount",
                f"{_SUM}/ram:ChargeTotalAmount",
                "totals.charge_total",
            ),
            _t(
                "BT-109",
                "Total without VAT",
                f"{_I}/cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount",
                f"{_SUM}/ram:TaxBasisTotalAmount",
                "totals.tax_exclusive",
            ),
            _t(
                "BT-110",
                "Total VAT",
                f"{_I}/cac:TaxTotal/cbc:TaxAmount",
                f"{_SUM}/ram:TaxTotalAmount",
                "totals.tax_total",
            ),
            _t(
                "BT-112",
                "Total with VAT",
                f"{_I}/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",
                f"{_SUM}/ram:GrandTotalAmount",
                "totals.tax_inclusive",
            ),
            _t(
                "BT-113",
                "Paid amount",
                f"{_I}/cac:LegalMonetaryTotal/cbc:PrepaidAmount",
                f"{_SUM}/ram:TotalPrepaidAmount",
                "Invoice.paid (payments less refunds)",
            ),
            _t(
                "BT-114",
                "Rounding amount",
                f"{_I}/cac:LegalMonetaryTotal/cbc:PayableRoundingAmount",
                f"{_SUM}/ram:RoundingAmount",
                "totals.rounding",
            ),
            _t(
                "BT-115",
                "Amount due",
                f"{_I}/cac:LegalMonetaryTotal/cbc:PayableAmount",
                f"{_SUM}/ram:DuePayableAmount",
                "totals.payable - paid",
            ),
        ),
    ),
    TermGroup(
        "BG-23",
        "VAT breakdown",
        (
            _t(
                "BT-116",
                "Taxable amount",
                f"{_TAX}/cbc:TaxableAmount",
                f"{_XTAX}/ram:BasisAmount",
                "totals.breakdown[].base",
            ),
            _t(
                "BT-117",
                "Tax amount",
                f"{_TAX}/cbc:TaxAmount",
                f"{_XTAX}/ram:CalculatedAmount",
                "totals.breakdown[].amount",
            ),
            _t(
                "BT-118",
                "VAT category code",
                f"{_TAX}/cac:TaxCategory/cbc:ID",
                f"{_XTAX}/ram:CategoryCode",
                "totals.breakdown[].tax.category",
            ),
            _t(
                "BT-119",
                "VAT rate",
                f"{_TAX}/cac:TaxCategory/cbc:Percent",
                f"{_XTAX}/ram:RateApplicablePercent",
                "totals.breakdown[].tax.rate",
            ),
            _t(
                "BT-120",
                "Exemption reason",
                f"{_TAX}/cac:TaxCategory/cbc:TaxExemptionReason",
                f"{_XTAX}/ram:ExemptionReason",
                "totals.breakdown[].tax.exemption_reason",
            ),
            _t(
                "BT-121",
                "Exemption reason code (VATEX)",
                f"{_TAX}/cac:TaxCategory/cbc:TaxExemptionReasonCode",
                f"{_XTAX}/ram:ExemptionReasonCode",
                "totals.breakdown[].tax.exemption_code",
            ),
        ),
    ),
    TermGroup(
        "BG-25",
        "Invoice line",
        (
            _t(
                "BT-126",
                "Line id (1-based)",
                f"{_L}/cbc:ID",
                f"{_XL}/ram:AssociatedDocumentLineDocument/ram:LineID",
                "position in lines",
            ),
            _t(
                "BT-129",
                "Quantity",
                f"{_L}/cbc:InvoicedQuantity",
                f"{_XL}/ram:SpecifiedLineTradeDelivery/ram:BilledQuantity",
                "lines[].quantity",
            ),
            _t(
                "BT-130",
                "Unit code (UN/ECE Rec 20)",
                f"{_L}/cbc:InvoicedQuantity/@unitCode",
                f"{_XL}/ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode",
                "lines[].unit",
            ),
            _t(
                "BT-131",
                "Line net amount",
                f"{_L}/cbc:LineExtensionAmount",
                f"{_XL}/{_XLS}/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
                "totals.lines[].net",
            ),
            _t(
                "BT-134",
                "Line period start",
                f"{_L}/cac:InvoicePeriod/cbc:StartDate",
                f"{_XL}/{_XLS}/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString",
                "lines[].period.start",
            ),
            _t(
                "BT-135",
                "Line period end",
                f"{_L}/cac:InvoicePeriod/cbc:EndDate",
                f"{_XL}/{_XLS}/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString",
                "lines[].period.end",
            ),
            _t(
                "BT-136",
                "Line allowance amount",
                f"{_L}/cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount",
                f"{_XL}/{_XLS}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='false']/ram:ActualAmount",
                "totals.lines[].discounts[]",
            ),
            _t(
                "BT-138",
                "Line allowance percentage",
                f"{_L}/cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:MultiplierFactorNumeric",
                f"{_XL}/{_XLS}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='false']/ram:CalculationPercent",
                "lines[].discounts[].percent",
            ),
            _t(
                "BT-139",
                "Line allowance reason",
                f"{_L}/cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:AllowanceChargeReason",
                f"{_XL}/{_XLS}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='false']/ram:Reason",
                "lines[].discounts[].reason (else 'Discount')",
            ),
            _t(
                "BT-141",
                "Line charge amount",
                f"{_L}/cac:AllowanceCharge[cbc:ChargeIndicator='true']/cbc:Amount",
                f"{_XL}/{_XLS}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='true']/ram:ActualAmount",
                "totals.lines[].charges[]",
            ),
            _t(
                "BT-144",
                "Line charge reason",
                f"{_L}/cac:AllowanceCharge[cbc:ChargeIndicator='true']/cbc:AllowanceChargeReason",
                f"{_XL}/{_XLS}/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator='true']/ram:Reason",
                "lines[].charges[].reason (else 'Charge')",
            ),
            _t(
                "BT-146",
                "Item net price",
                f"{_L}/cac:Price/cbc:PriceAmount",
                f"{_XL}/ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount",
                "lines[].unit_price (net of tax when prices include tax)",
            ),
            _t(
                "BT-149",
                "Price base quantity",
                f"{_L}/cac:Price/cbc:BaseQuantity",
                f"{_XL}/ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity",
                "lines[].base_quantity",
            ),
            _t(
                "BT-151",
                "Line VAT category",
                f"{_L}/cac:Item/cac:ClassifiedTaxCategory/cbc:ID",
                f"{_XL}/{_XLS}/ram:ApplicableTradeTax/ram:CategoryCode",
                "lines[].taxes[0].category",
            ),
            _t(
                "BT-152",
                "Line VAT rate",
                f"{_L}/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
                f"{_XL}/{_XLS}/ram:ApplicableTradeTax/ram:RateApplicablePercent",
                "lines[].taxes[0].rate",
            ),
            _t(
                "BT-153",
                "Item name",
                f"{_L}/cac:Item/cbc:Name",
                f"{_XL}/ram:SpecifiedTradeProduct/ram:Name",
                "lines[].description",
            ),
        ),
    ),
)

_CREDIT_NOTE_NAMES: Final = (
    ("ubl:Invoice", "cn:CreditNote"),
    ("cac:InvoiceLine", "cac:CreditNoteLine"),
    ("cbc:InvoicedQuantity", "cbc:CreditedQuantity"),
    ("cbc:InvoiceTypeCode", "cbc:CreditNoteTypeCode"),
)


def credit_note_path(ubl: str) -> str:
    """The UBL path of a term in a CreditNote (the table gives the Invoice path)."""
    for old, new in _CREDIT_NOTE_NAMES:
        ubl = ubl.replace(old, new)
    return ubl


# -- the values -----------------------------------------------------------------------------


@attrs.frozen
class AdjustmentView:
    """An allowance (discount) or charge as written: amount, optional percent and base, reason."""

    charge: bool
    amount: Decimal
    reason: str
    percent: Decimal | None = None
    base: Decimal | None = None
    tax: Tax | None = None


@attrs.frozen
class LineView:
    """One line as written (BG-25): id, quantity and unit code, net, net price, tax, period."""

    id: str
    name: str
    quantity: Decimal
    unit: str
    net: Decimal
    price: Decimal
    base_quantity: Decimal
    tax: Tax
    period: ServicePeriod | None
    adjustments: tuple[AdjustmentView, ...]


@attrs.frozen
class DocumentView:
    """Everything the writers write, read once from an issued Invoice or CreditNote."""

    credit_note: bool
    number: str
    issue_date: date
    due_date: date | None
    currency: str
    seller: Seller
    customer: Customer
    buyer_reference: str | None
    order_reference: str | None
    contract_reference: str | None
    project_reference: str | None
    preceding: tuple[str, date] | None
    note: str | None
    terms: str | None
    totals: Totals
    lines: tuple[LineView, ...]
    adjustments: tuple[AdjustmentView, ...]
    paid: Decimal
    due: Decimal
    payment_means: str | None
    period: ServicePeriod | None

    @property
    def delivery_date(self) -> date | None:
        """BT-72 actual delivery date: the day of a one-day invoicing period, else None.

        The model holds no delivery date; only when every line was supplied on the
        same single day is that day the date the supply was made (BT-72 semantics).
        """
        if self.period is not None and self.period.start == self.period.end:
            return self.period.start
        return None

    @property
    def type_code(self) -> str:
        """BT-3: 380 commercial invoice, 381 credit note."""
        return "381" if self.credit_note else "380"


def amount(value: Decimal, currency: str) -> str:
    """An amount with exactly the currency's digits ("1000.00", "120" in JPY)."""
    unit = minor_unit(currency)
    fitted = value.quantize(unit)
    if fitted != value:
        raise ValidationError(
            [problem("amount", f"{currency} amounts have the currency's digits", value)],
            subject="e-invoice",
        )
    text = f"{fitted:f}"
    return "0" + text[2:] if text.startswith("-0") and fitted == 0 else text


def rate(value: Decimal) -> str:
    """A VAT rate as written: no exponent, no trailing zeros beyond two places ("19.00" -> "19")."""
    text = f"{value.normalize():f}"
    return "0" if text in ("0", "-0") else text


def number(value: Decimal) -> str:
    """A quantity or price in plain notation, as stored (never "1E+3")."""
    return f"{value:f}"


def _reason(reason: str | None, charge: bool) -> str:
    return reason if reason else ("Charge" if charge else "Discount")


def _document_adjustments(totals: Totals) -> tuple[AdjustmentView, ...]:
    """BG-20/BG-21: one entry per applied adjustment (a spread discount: one per tax group)."""
    exclusive = totals.prices is PriceMode.EXCLUSIVE
    out: list[AdjustmentView] = []
    for adj, charge in [(d, False) for d in totals.discounts] + [(c, True) for c in totals.charges]:
        out.append(_document_adjustment(adj, charge, exclusive=exclusive))
    return tuple(out)


def _document_adjustment(
    adj: DocumentAdjustment, charge: bool, *, exclusive: bool
) -> AdjustmentView:
    with_base = exclusive and adj.percent is not None and adj.base is not None
    return AdjustmentView(
        charge=charge,
        amount=adj.amount,
        reason=_reason(adj.reason, charge),
        percent=adj.percent if with_base else None,
        base=adj.base if with_base else None,
        tax=adj.taxes[0],
    )


def _line(line: Line, index: int, totals: Totals) -> LineView:
    """A line with its net price: the stated price, or for tax-inclusive prices the net one."""
    figures = totals.lines[index]
    tax = line.taxes[0]
    unit = minor_unit(totals.currency)
    adjustments: list[AdjustmentView] = []
    if totals.prices is PriceMode.EXCLUSIVE:
        for k, value in enumerate(figures.discounts):
            pct = line.discounts[k].percent
            adjustments.append(
                AdjustmentView(
                    False,
                    value,
                    _reason(line.discounts[k].reason, False),
                    pct,
                    figures.base if pct is not None else None,
                )
            )
        for k, value in enumerate(figures.charges):
            pct = line.charges[k].percent
            adjustments.append(
                AdjustmentView(
                    True,
                    value,
                    _reason(line.charges[k].reason, True),
                    pct,
                    figures.base if pct is not None else None,
                )
            )
        price = line.unit_price
    else:
        # Gross adjustments are converted to net; the net price is what makes
        # quantity x price / base quantity - allowances + charges equal the line net.
        # An adjustment that converts to 0.00 is left out (EN 16931 amounts of 0 say nothing).
        factor = 1 + tax.fraction
        for k, value in enumerate(figures.discounts):
            net = (value / factor).quantize(unit)
            if net:
                adjustments.append(
                    AdjustmentView(False, net, _reason(line.discounts[k].reason, False))
                )
        for k, value in enumerate(figures.charges):
            net = (value / factor).quantize(unit)
            if net:
                adjustments.append(AdjustmentView(True, net, _reason(line.charges[k].reason, True)))
        price = _net_price(line, figures.net, adjustments, factor, unit)
    return LineView(
        id=str(index + 1),
        name=line.description,
        quantity=line.quantity,
        unit=unit_code(line.unit, path=f"lines[{index}].unit"),
        net=figures.net,
        price=price,
        base_quantity=line.base_quantity,
        tax=tax,
        period=line.period,
        adjustments=tuple(adjustments),
    )


def _net_price(
    line: Line, net: Decimal, adjustments: Sequence[AdjustmentView], factor: Decimal, unit: Decimal
) -> Decimal:
    """The net unit price of a tax-inclusive line, precise enough for the line net to the cent."""
    extra = 4  # digits beyond the currency's, so quantity x price lands within 0.0001
    with localcontext() as ctx:
        ctx.prec = 60
        if line.quantity == 0:
            return max((line.unit_price / factor).quantize(unit.scaleb(-extra)), Decimal(0))
        target = net + sum(
            (a.amount if not a.charge else -a.amount for a in adjustments), Decimal(0)
        )
        scale = line.quantity / line.base_quantity
        digits = max(0, scale.adjusted() + 1) + extra
        price = (target / scale).quantize(unit.scaleb(-digits))
        return max(price, Decimal(0)).normalize() if price else Decimal(0)


def _period(lines: Sequence[Line]) -> ServicePeriod | None:
    """The invoicing period (BG-14): from the earliest to the latest line period, when all have one."""
    periods = [line.period for line in lines]
    if not periods or any(p is None for p in periods):
        return None
    known = [p for p in periods if p is not None]
    return ServicePeriod(min(p.start for p in known), max(p.end for p in known))


def view(doc: Invoice | CreditNote) -> DocumentView:
    """The values of an issued invoice or credit note, ready to write in either syntax."""
    if isinstance(doc, CreditNote):
        totals = doc.totals
        paid = Decimal(0).quantize(minor_unit(doc.currency))
        seller, customer = doc.seller, doc.customer
        number_, issue = doc.number, doc.issue_date
        due_date = None
        terms = f"Credit for invoice {doc.invoice_number} of {doc.invoice_issue_date.isoformat()}"
        preceding: tuple[str, date] | None = (doc.invoice_number, doc.invoice_issue_date)
        note = doc.reason
        # BT-10 / BT-13 of the credited invoice, once the credit note carries them.
        refs: tuple[str | None, ...] = (
            doc.buyer_reference,
            doc.order_reference,
            None,
            None,
        )
    else:
        if (
            doc.number is None
            or doc.issue_date is None
            or doc.seller is None
            or doc.customer is None
        ):
            raise ValidationError(
                [problem("status", "only an issued invoice is exported; issue it first", doc.ref)],
                subject="e-invoice",
            )
        totals = doc.totals
        paid = doc.paid
        seller, customer = doc.seller, doc.customer
        number_, issue = doc.number, doc.issue_date
        due_date = doc.due_date or doc.terms.due_date(doc.issue_date)
        terms = doc.terms.describe()
        preceding = None
        note = doc.memo
        refs = (
            doc.buyer_reference,
            doc.order_reference,
            doc.contract_reference,
            doc.project_reference,
        )
    lines = tuple(_line(line, i, totals) for i, line in enumerate(doc.lines))
    means = payment_means_code(doc.currency) if seller.bank_account is not None else None
    return DocumentView(
        credit_note=isinstance(doc, CreditNote),
        number=number_,
        issue_date=issue,
        due_date=due_date,
        currency=doc.currency,
        seller=seller,
        customer=customer,
        buyer_reference=refs[0],
        order_reference=refs[1],
        contract_reference=refs[2],
        project_reference=refs[3],
        preceding=preceding,
        note=note,
        terms=terms,
        totals=totals,
        lines=lines,
        adjustments=_document_adjustments(totals),
        paid=paid,
        due=totals.payable - paid,
        payment_means=means,
        period=_period(doc.lines),
    )


def exemption(tax: Tax) -> tuple[str | None, str | None]:
    """BT-120/BT-121: the exemption reason text and VATEX code, only for E, AE, K, G, O."""
    if tax.category not in REASON_REQUIRED:
        return None, None
    return tax.exemption_reason, tax.exemption_code


def has_rate(tax: Tax) -> bool:
    """Whether a rate is written: every category but O (BR-O-05 to BR-O-09)."""
    return tax.category is not TaxCategory.OUTSIDE_SCOPE

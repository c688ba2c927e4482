"""The header terms of the BT table: document, preceding invoice, seller, buyer, payment (BG-0 to BG-16).

Grouped as EN 16931 groups them; ``invoicekit.einvoice.terms`` joins them with the amounts.
"""

from __future__ import annotations

from typing import Final

from invoicekit.einvoice.term_paths import (
    CII_AGREEMENT,
    CII_ROOT,
    CII_SETTLEMENT,
    UBL_INVOICE,
    Term,
    TermGroup,
)

__all__ = ["DOCUMENT_GROUPS"]

_UBL_SELLER = f"{UBL_INVOICE}/cac:AccountingSupplierParty/cac:Party"
_UBL_BUYER = f"{UBL_INVOICE}/cac:AccountingCustomerParty/cac:Party"
_CII_SELLER = f"{CII_AGREEMENT}/ram:SellerTradeParty"
_CII_BUYER = f"{CII_AGREEMENT}/ram:BuyerTradeParty"


def _party(bt: dict[str, str], ubl: str, cii: str, who: str) -> tuple[Term, ...]:
    """The terms of a seller (who='seller') or buyer (who='customer') party."""
    legal = "seller.legal_name or seller.name" if who == "seller" else "customer.name"
    terms = [
        Term(
            bt["name"],
            "Name",
            f"{ubl}/cac:PartyLegalEntity/cbc:RegistrationName",
            f"{cii}/ram:Name",
            legal,
        ),
        Term(
            bt["registration"],
            "Legal registration identifier",
            f"{ubl}/cac:PartyLegalEntity/cbc:CompanyID",
            f"{cii}/ram:SpecifiedLegalOrganization/ram:ID",
            f"{who}.registration_id",
        ),
        Term(
            bt["vat"],
            "VAT identifier",
            f"{ubl}/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID",
            f"{cii}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
            f"{who}.tax_id (starting with a country code)",
        ),
        Term(
            bt["endpoint"],
            "Electronic address (with its EAS scheme)",
            f"{ubl}/cbc:EndpointID",
            f"{cii}/ram:URIUniversalCommunication/ram:URIID",
            f"{who}.electronic_address",
        ),
        Term(
            bt["line1"],
            "Address line 1",
            f"{ubl}/cac:PostalAddress/cbc:StreetName",
            f"{cii}/ram:PostalTradeAddress/ram:LineOne",
            f"{who}.address.line1",
        ),
        Term(
            bt["line2"],
            "Address line 2",
            f"{ubl}/cac:PostalAddress/cbc:AdditionalStreetName",
            f"{cii}/ram:PostalTradeAddress/ram:LineTwo",
            f"{who}.address.line2",
        ),
        Term(
            bt["city"],
            "City",
            f"{ubl}/cac:PostalAddress/cbc:CityName",
            f"{cii}/ram:PostalTradeAddress/ram:CityName",
            f"{who}.address.city",
        ),
        Term(
            bt["postcode"],
            "Post code",
            f"{ubl}/cac:PostalAddress/cbc:PostalZone",
            f"{cii}/ram:PostalTradeAddress/ram:PostcodeCode",
            f"{who}.address.postal_code",
        ),
        Term(
            bt["region"],
            "Country subdivision",
            f"{ubl}/cac:PostalAddress/cbc:CountrySubentity",
            f"{cii}/ram:PostalTradeAddress/ram:CountrySubDivisionName",
            f"{who}.address.region",
        ),
        Term(
            bt["country"],
            "Country code",
            f"{ubl}/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
            f"{cii}/ram:PostalTradeAddress/ram:CountryID",
            "seller.address.country or seller.country"
            if who == "seller"
            else "customer.address.country",
        ),
        Term(
            bt["contact"],
            "Contact point",
            f"{ubl}/cac:Contact/cbc:Name",
            f"{cii}/ram:DefinedTradeContact/ram:PersonName",
            f"{who}.contact.name",
        ),
        Term(
            bt["phone"],
            "Contact telephone",
            f"{ubl}/cac:Contact/cbc:Telephone",
            f"{cii}/ram:DefinedTradeContact/ram:TelephoneUniversalCommunication/ram:CompleteNumber",
            f"{who}.contact.phone",
        ),
        Term(
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
            Term(
                "BT-28",
                "Trading name",
                f"{ubl}/cac:PartyName/cbc:Name",
                f"{cii}/ram:SpecifiedLegalOrganization/ram:TradingBusinessName",
                "seller.name (when a legal_name is set)",
            ),
        )
        terms.insert(
            4,
            Term(
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


#: The groups before the amounts: BG-0 document, BG-3, BG-4 seller, BG-7 buyer, BG-16.
DOCUMENT_GROUPS: Final[tuple[TermGroup, ...]] = (
    TermGroup(
        "BG-0",
        "Invoice",
        (
            Term(
                "BT-1",
                "Invoice number",
                f"{UBL_INVOICE}/cbc:ID",
                f"{CII_ROOT}/rsm:ExchangedDocument/ram:ID",
                "number",
            ),
            Term(
                "BT-2",
                "Issue date",
                f"{UBL_INVOICE}/cbc:IssueDate",
                f"{CII_ROOT}/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
                "issue_date",
            ),
            Term(
                "BT-3",
                "Type code (380 invoice, 381 credit note)",
                f"{UBL_INVOICE}/cbc:InvoiceTypeCode",
                f"{CII_ROOT}/rsm:ExchangedDocument/ram:TypeCode",
                "Invoice or CreditNote",
            ),
            Term(
                "BT-5",
                "Currency",
                f"{UBL_INVOICE}/cbc:DocumentCurrencyCode",
                f"{CII_SETTLEMENT}/ram:InvoiceCurrencyCode",
                "currency",
            ),
            Term(
                "BT-9",
                "Payment due date",
                f"{UBL_INVOICE}/cbc:DueDate",
                f"{CII_SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
                "due_date",
            ),
            Term(
                "BT-10",
                "Buyer reference (Leitweg-ID)",
                f"{UBL_INVOICE}/cbc:BuyerReference",
                f"{CII_AGREEMENT}/ram:BuyerReference",
                "buyer_reference",
            ),
            Term(
                "BT-11",
                "Project reference",
                f"{UBL_INVOICE}/cac:ProjectReference/cbc:ID",
                f"{CII_AGREEMENT}/ram:SpecifiedProcuringProject/ram:ID",
                "project_reference",
            ),
            Term(
                "BT-12",
                "Contract reference",
                f"{UBL_INVOICE}/cac:ContractDocumentReference/cbc:ID",
                f"{CII_AGREEMENT}/ram:ContractReferencedDocument/ram:IssuerAssignedID",
                "contract_reference",
            ),
            Term(
                "BT-13",
                "Purchase order reference",
                f"{UBL_INVOICE}/cac:OrderReference/cbc:ID",
                f"{CII_AGREEMENT}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
                "order_reference",
            ),
            Term(
                "BT-20",
                "Payment terms",
                f"{UBL_INVOICE}/cac:PaymentTerms/cbc:Note",
                f"{CII_SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:Description",
                "terms.describe()",
            ),
            Term(
                "BT-22",
                "Invoice note",
                f"{UBL_INVOICE}/cbc:Note",
                f"{CII_ROOT}/rsm:ExchangedDocument/ram:IncludedNote/ram:Content",
                "memo (credit note: reason)",
            ),
            Term(
                "BT-23",
                "Business process",
                f"{UBL_INVOICE}/cbc:ProfileID",
                f"{CII_ROOT}/rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID",
                "the profile",
            ),
            Term(
                "BT-24",
                "Specification identifier",
                f"{UBL_INVOICE}/cbc:CustomizationID",
                f"{CII_ROOT}/rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
                "the profile",
            ),
        ),
    ),
    TermGroup(
        "BG-3",
        "Preceding invoice (credit notes)",
        (
            Term(
                "BT-25",
                "Preceding invoice number",
                f"{UBL_INVOICE}/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID",
                f"{CII_SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID",
                "CreditNote.invoice_number",
            ),
            Term(
                "BT-26",
                "Preceding invoice issue date",
                f"{UBL_INVOICE}/cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate",
                f"{CII_SETTLEMENT}/ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString",
                "CreditNote.invoice_issue_date",
            ),
        ),
    ),
    TermGroup("BG-4", "Seller", _party(_SELLER_BT, _UBL_SELLER, _CII_SELLER, "seller")),
    TermGroup("BG-7", "Buyer", _party(_BUYER_BT, _UBL_BUYER, _CII_BUYER, "customer")),
    TermGroup(
        "BG-16",
        "Payment instructions",
        (
            Term(
                "BT-81",
                "Payment means code (UNCL 4461)",
                f"{UBL_INVOICE}/cac:PaymentMeans/cbc:PaymentMeansCode",
                f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode",
                "58 SEPA transfer in EUR, else 30 (seller.bank_account)",
            ),
            Term(
                "BT-83",
                "Remittance information",
                f"{UBL_INVOICE}/cac:PaymentMeans/cbc:PaymentID",
                f"{CII_SETTLEMENT}/ram:PaymentReference",
                "number",
            ),
            Term(
                "BT-84",
                "Payment account (IBAN)",
                f"{UBL_INVOICE}/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID",
                f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
                "seller.bank_account.iban",
            ),
            Term(
                "BT-85",
                "Payment account name",
                f"{UBL_INVOICE}/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:Name",
                f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:AccountName",
                "seller.bank_account.holder",
            ),
            Term(
                "BT-86",
                "Payment service provider (BIC)",
                f"{UBL_INVOICE}/cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID",
                f"{CII_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID",
                "seller.bank_account.bic",
            ),
        ),
    ),
)

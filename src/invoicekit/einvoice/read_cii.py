"""Read what a CII D16B CrossIndustryInvoice states into the syntax-neutral ``Doc``."""

from __future__ import annotations

from typing import Any, Final

from invoicekit.einvoice import read_parts as parts
from invoicekit.einvoice.read_source import Source, Stated, decimal, fail, text_of
from invoicekit.einvoice.read_stated import Doc, Party, StatedLine

#: Document type codes (BT-3) read as a credit note; every other code as an invoice.
_CREDIT_CODES: Final = frozenset({"381", "261", "262", "296", "308", "396", "420", "458", "532"})
#: Where this syntax states the parts UBL and CII share.
PATHS: Final = parts.Paths(
    cii=True,
    period_start="ram:StartDateTime",
    period_end="ram:EndDateTime",
    tax_category="ram:CategoryCode",
    tax_rate="ram:RateApplicablePercent",
    tax_reason="ram:ExemptionReason",
    tax_reason_code="ram:ExemptionReasonCode",
    tax_scheme="ram:TypeCode",
    charge_indicator="ram:ChargeIndicator/udt:Indicator",
    charge_amount="ram:ActualAmount",
    charge_reason="ram:Reason",
    charge_percent="ram:CalculationPercent",
    charge_base="ram:BasisAmount",
    charge_tax="ram:CategoryTradeTax",
    preceding_number="ram:IssuerAssignedID",
    preceding_date="ram:FormattedIssueDateTime",
)
#: Where the header monetary summation states each sum (BT-106 ... BT-115).
_TOTALS: Final = {
    "BT-106": "ram:LineTotalAmount",
    "BT-108": "ram:ChargeTotalAmount",
    "BT-107": "ram:AllowanceTotalAmount",
    "BT-109": "ram:TaxBasisTotalAmount",
    "BT-114": "ram:RoundingAmount",
    "BT-112": "ram:GrandTotalAmount",
    "BT-113": "ram:TotalPrepaidAmount",
    "BT-115": "ram:DuePayableAmount",
}


def read_cii(src: Source, root: Any) -> Doc:
    """What the CII ``root`` states; its type code (BT-3) tells an invoice from a credit note."""
    d = Doc(root=src.path(root))
    context = src.one(root, "rsm:ExchangedDocumentContext")
    if context is not None:
        src.text(context, "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID")
        d.specification = src.text(context, "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID")
    header = src.one(root, "rsm:ExchangedDocument")
    if header is None:
        raise fail(d.root, "the document has no ExchangedDocument (BT-1, BT-2, BT-3)")
    d.number = src.required(header, "ram:ID", "the invoice number (BT-1)")
    code = src.one(header, "ram:TypeCode")
    d.credit = code is not None and text_of(code) in _CREDIT_CODES
    parts.type_code(src, code, d.credit)
    d.issue_date = src.required_date(header, "ram:IssueDateTime", "BT-2", cii=True)
    notes = src.all(header, "ram:IncludedNote")
    if notes:
        d.note = src.text(notes[0], "ram:Content")
    parts.one_note(src, notes)
    trade = src.one(root, "rsm:SupplyChainTradeTransaction")
    if trade is None:
        raise fail(d.root, "the document has no SupplyChainTradeTransaction")
    agreement = src.one(trade, "ram:ApplicableHeaderTradeAgreement")
    settlement = src.one(trade, "ram:ApplicableHeaderTradeSettlement")
    if agreement is None or settlement is None:
        raise fail(src.path(trade), "needs ApplicableHeaderTradeAgreement and ...Settlement")
    event = src.one(trade, "ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent")
    if event is not None:
        when = src.date(event, "ram:OccurrenceDateTime", cii=True)
        d.delivery = None if when is None else (when, src.path(event))
    d.buyer_reference = src.text(agreement, "ram:BuyerReference")
    d.seller = _party(src, src.one(agreement, "ram:SellerTradeParty"), "seller")
    d.buyer = _party(src, src.one(agreement, "ram:BuyerTradeParty"), "customer")
    d.order_reference = src.text(agreement, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID")
    d.contract_reference = src.text(
        agreement, "ram:ContractReferencedDocument/ram:IssuerAssignedID"
    )
    project = src.one(agreement, "ram:SpecifiedProcuringProject")
    if project is not None:
        d.project_reference = src.text(project, "ram:ID")
        src.text(project, "ram:Name")
    _settlement(src, d, settlement)
    d.lines = [_line(src, n) for n in src.all(trade, "ram:IncludedSupplyChainTradeLineItem")]
    return d


def _party(src: Source, node: Any | None, who: str) -> Party:
    if node is None:
        raise fail(who, "the document names no such party")
    org = src.one(node, "ram:SpecifiedLegalOrganization")
    person = parts.contact(
        src,
        src.one(node, "ram:DefinedTradeContact"),
        name=("ram:PersonName",),
        phone=("ram:TelephoneUniversalCommunication", "ram:CompleteNumber"),
        email=("ram:EmailURIUniversalCommunication", "ram:URIID"),
    )
    postal = parts.address(
        src,
        src.one(node, "ram:PostalTradeAddress"),
        country="ram:CountryID",
        postal_code="ram:PostcodeCode",
        line1="ram:LineOne",
        line2="ram:LineTwo",
        city="ram:CityName",
        region="ram:CountrySubDivisionName",
    )
    idents = [src.one(reg, "ram:ID") for reg in src.all(node, "ram:SpecifiedTaxRegistration")]
    vat_id, tax_number = parts.tax_ids(
        src, [(i.get("schemeID") == "VA", i) for i in idents if i is not None]
    )
    return Party(
        path=src.path(node),
        name=parts.one_line(src, node, "ram:Name"),
        trading_name=parts.one_line(src, org, "ram:TradingBusinessName")
        if org is not None and who == "seller"
        else None,
        registration_id=src.text(org, "ram:ID") if org is not None else None,
        vat_id=vat_id,
        tax_number=tax_number,
        endpoint=parts.endpoint(src, src.one(node, "ram:URIUniversalCommunication/ram:URIID")),
        address=postal,
        contact=person,
    )


def _line_notes(src: Source, node: Any) -> list[Any]:
    """The ``ram:Content`` of each of a line's ``ram:IncludedNote`` elements (BT-127)."""
    notes = src.all(node, "ram:AssociatedDocumentLineDocument/ram:IncludedNote")
    return [content for n in notes if (content := src.one(n, "ram:Content")) is not None]


def _line(src: Source, node: Any) -> StatedLine:
    where = src.path(node)
    src.text(node, "ram:AssociatedDocumentLineDocument/ram:LineID")
    qty = src.one(node, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")
    price = src.one(node, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice")
    settlement = src.one(node, "ram:SpecifiedLineTradeSettlement")
    if qty is None or price is None or settlement is None:
        raise fail(where, "a line needs a quantity, a net price and its settlement")
    category = src.one(settlement, "ram:ApplicableTradeTax")
    net = src.amount(
        settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
    )
    price_amount = src.amount(price, "ram:ChargeAmount")
    if category is None or net is None or price_amount is None:
        raise fail(where, "a line needs its VAT category, net amount and net price")
    base_qty = src.number(price, "ram:BasisQuantity")
    return parts.line(
        src,
        node,
        name=src.required(node, "ram:SpecifiedTradeProduct/ram:Name", "the item name (BT-153)"),
        quantity=qty,
        net=net,
        price=price_amount,
        base_quantity=base_qty,
        tax=category,
        period_node=src.one(settlement, "ram:BillingSpecifiedPeriod"),
        adjustments=src.all(settlement, "ram:SpecifiedTradeAllowanceCharge"),
        paths=PATHS,
        notes=_line_notes(src, node),
    )


def _settlement(src: Source, d: Doc, settlement: Any) -> None:
    d.payment_id = src.stated(settlement, "ram:PaymentReference")
    d.currency = src.required(settlement, "ram:InvoiceCurrencyCode", "the currency (BT-5)")
    means = src.one(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    if means is not None:
        _means(src, d, means)
    for row in src.all(settlement, "ram:ApplicableTradeTax"):
        base, amount = src.amount(row, "ram:BasisAmount"), src.amount(row, "ram:CalculatedAmount")
        if base is None or amount is None:
            raise fail(
                src.path(row), "a VAT breakdown row needs its BasisAmount and CalculatedAmount"
            )
        d.rows.append(parts.row(src, row, base, amount, PATHS))
    d.period = parts.invoice_period(src, settlement, "ram:BillingSpecifiedPeriod", PATHS)
    d.adjustments = [
        parts.adjustment(src, a, PATHS)
        for a in src.all(settlement, "ram:SpecifiedTradeAllowanceCharge")
    ]
    terms = src.one(settlement, "ram:SpecifiedTradePaymentTerms")
    if terms is not None:
        description = src.stated(terms, "ram:Description")
        d.terms = description if description is not None and description[0] else None
        d.due_date = src.date(terms, "ram:DueDateDateTime", cii=True)
    summation = src.one(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    if summation is None:
        raise fail(src.path(settlement), "the document states no totals (MonetarySummation)")
    d.stated.update(parts.amounts(src, summation, _TOTALS))
    for tax in summation.findall(src.tag("ram:TaxTotalAmount")):
        if tax.get("currencyID", d.currency) == d.currency:
            src.seen.add(tax)
            d.stated["BT-110"] = Stated(decimal(text_of(tax), src.path(tax)), src.path(tax))
    d.preceding = parts.preceding(src, src.one(settlement, "ram:InvoiceReferencedDocument"), PATHS)


def _means(src: Source, d: Doc, means: Any) -> None:
    d.means = src.stated(means, "ram:TypeCode")
    account = src.one(means, "ram:PayeePartyCreditorFinancialAccount")
    if account is not None:
        bic = src.one(means, "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID")
        d.account = parts.bank_account(
            src, account, iban="ram:IBANID", holder="ram:AccountName", bic=bic
        )

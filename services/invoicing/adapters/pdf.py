"""An invoice as an A4 PDF (fpdf2). Names print in their own script with the Noto fonts
(pdf_fonts.py); the seller's legal details are on every document; internal failure reasons
never are (a failed payment is mentioned, not explained)."""

from __future__ import annotations

import datetime as dt

from billing.invoicing.v1 import invoice_pb2
from fpdf import FPDF

from services.invoicing.adapters import pdf_fonts
from services.invoicing.domain import money

TITLES = {
    invoice_pb2.INVOICE_KIND_SUBSCRIPTION: "Invoice - subscription",
    invoice_pb2.INVOICE_KIND_NOTIFICATIONS: "Invoice - WhatsApp notifications",
    invoice_pb2.INVOICE_KIND_TOP_UP_RECEIPT: "Receipt - balance top-up",
    invoice_pb2.INVOICE_KIND_PARTNER_DAYS: "Invoice - partner channel days",
    invoice_pb2.INVOICE_KIND_CREDIT_NOTE: "Credit note",
    invoice_pb2.INVOICE_KIND_STATEMENT: "Statement",
}
STATUS_LABELS = {
    invoice_pb2.INVOICE_STATUS_DRAFT: "DRAFT",
    invoice_pb2.INVOICE_STATUS_OPEN: "OPEN",
    invoice_pb2.INVOICE_STATUS_PAID: "PAID",
    invoice_pb2.INVOICE_STATUS_VOID: "VOID",
    invoice_pb2.INVOICE_STATUS_ISSUED: "ISSUED",
}
# Column widths in mm of the lines table: description, quantity, unit price, amount.
COLUMNS_MM = (96.0, 22.0, 32.0, 32.0)
ROW_MM = 6.0
LINE_MM = 4.5


PAYMENT_FAILED_NOTE = (
    "The last payment attempt did not go through. Please pay by card or bank transfer."
)


def _text_of(invoice: invoice_pb2.Invoice) -> str:
    """Every text the document prints that a customer or operator wrote."""
    parts = [invoice.reason, invoice.tax_note]
    for party in (invoice.issuer, invoice.bill_to):
        parts += [party.name, party.address, party.tax_id, party.email]
    parts += [line.description for line in invoice.lines]
    return "\n".join(parts)


def _day(stamp_seconds: int) -> str:
    if not stamp_seconds:
        return "-"
    return dt.datetime.fromtimestamp(stamp_seconds, dt.UTC).strftime("%d %b %Y")


def _quantity(quantity_milli: int) -> str:
    whole, fraction = divmod(quantity_milli, 1000)
    return f"{whole:,}" + (f".{fraction:03d}".rstrip("0") if fraction else "")


def _party_lines(party: invoice_pb2.Party) -> list[str]:
    lines = [party.name, *party.address.splitlines()]
    if party.country:
        lines.append(party.country)
    if party.tax_id:
        lines.append(f"Tax id: {party.tax_id}")
    if party.email:
        lines.append(party.email)
    return [line for line in lines if line]


def render(invoice: invoice_pb2.Invoice) -> bytes:
    currency = invoice.total.currency_code
    pdf = FPDF(format="A4")
    font = pdf_fonts.prepare(pdf, _text_of(invoice))

    def _latin1(text: str) -> str:
        return pdf_fonts.printable(text, font)

    pdf.set_title(f"{TITLES[invoice.kind]} {invoice.number}")
    pdf.set_creation_date(invoice.issue_time.ToDatetime(dt.UTC))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font(font, "B", 16)
    pdf.cell(0, 9, _latin1(TITLES[invoice.kind]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, "", 10)
    facts = [
        ("Number", invoice.number or "(draft)"),
        ("Status", STATUS_LABELS[invoice.status]),
        ("Issued", _day(invoice.issue_time.seconds)),
    ]
    if invoice.due_time.seconds:
        facts.append(("Due", _day(invoice.due_time.seconds)))
    if invoice.period_start_date:
        facts.append(("Period", f"{invoice.period_start_date} to {invoice.period_end_date}"))
    if invoice.corrects_invoice_id:
        facts.append(("Corrects", invoice.corrects_invoice_id))
    if invoice.reason:
        facts.append(("Reason", invoice.reason))
    for label, value in facts:
        pdf.cell(28, 5.5, f"{label}:")
        pdf.cell(0, 5.5, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    top = pdf.get_y()
    for x, heading, party in ((10.0, "From", invoice.issuer), (110.0, "Bill to", invoice.bill_to)):
        pdf.set_xy(x, top)
        pdf.set_font(font, "B", 10)
        pdf.cell(90, 5.5, heading, new_x="LEFT", new_y="NEXT")
        pdf.set_font(font, "", 10)
        for text in _party_lines(party):
            pdf.cell(90, 5, _latin1(text), new_x="LEFT", new_y="NEXT")
    pdf.set_xy(10, max(pdf.get_y(), top + 30) + 6)
    _lines_table(pdf, invoice, currency, font)
    _totals(pdf, invoice, currency, font)
    _seller(pdf, invoice.issuer, font)
    return bytes(pdf.output())


def _seller(pdf: FPDF, issuer: invoice_pb2.Party, font: str) -> None:
    """The seller's legal details, at the foot of every document."""
    pdf.ln(6)
    pdf.set_font(font, "", 8)
    details = [issuer.name, " ".join(issuer.address.splitlines())]
    if issuer.tax_id:
        details.append(f"Tax id {issuer.tax_id}")
    if issuer.email:
        details.append(issuer.email)
    text = pdf_fonts.printable(" - ".join(part for part in details if part), font)
    pdf.multi_cell(0, 4, text, new_x="LMARGIN", new_y="NEXT")


def _lines_table(pdf: FPDF, invoice: invoice_pb2.Invoice, currency: str, font: str) -> None:
    pdf.set_font(font, "B", 10)
    pdf.set_fill_color(230, 236, 240)
    for width, heading, align in zip(
        COLUMNS_MM, ("Description", "Quantity", "Unit price", "Amount"), "LRRR", strict=True
    ):
        pdf.cell(width, ROW_MM + 1, heading, border="B", align=align, fill=True)
    pdf.ln()
    pdf.set_font(font, "", 9)
    for line in invoice.lines:
        unit = money.format_amount(line.unit_price.amount_micros, currency)
        cells = (
            line.description,
            _quantity(line.quantity_milli),
            unit if line.unit_price.amount_micros else "",
            money.format_amount(line.amount.amount_micros, currency),
        )
        description = pdf_fonts.printable(cells[0], font)
        wrapped = pdf.multi_cell(COLUMNS_MM[0], LINE_MM, description, dry_run=True, output="LINES")
        rows = len(wrapped) if isinstance(wrapped, list) else 1
        height = max(ROW_MM, rows * LINE_MM + 1)
        if pdf.will_page_break(height):
            pdf.add_page()
        top = pdf.get_y()
        pdf.multi_cell(COLUMNS_MM[0], LINE_MM, description, new_x="RIGHT", new_y="TOP")
        pdf.set_xy(pdf.l_margin + COLUMNS_MM[0], top)
        # A fallback script's font can stay selected after the description: select ours anew
        # (set_font ignores a request for the font it believes is current).
        pdf.set_font(font, "B", 9)
        pdf.set_font(font, "", 9)
        for width, text in zip(COLUMNS_MM[1:], cells[1:], strict=True):
            pdf.cell(width, LINE_MM, text, align="R")
        pdf.set_xy(pdf.l_margin, top + height)
    pdf.ln(2)


def _totals(pdf: FPDF, invoice: invoice_pb2.Invoice, currency: str, font: str) -> None:
    rate = invoice.tax_rate_basis_points
    rows = [
        ("Subtotal", invoice.subtotal.amount_micros),
        (f"Tax ({rate / 100:g}%)", invoice.tax.amount_micros),
        ("Total", invoice.total.amount_micros),
    ]
    if invoice.credits_applied.amount_micros:
        rows.append(("Credits applied", -invoice.credits_applied.amount_micros))
    if invoice.amount_credited.amount_micros:
        rows.append(("Credit notes", -invoice.amount_credited.amount_micros))
    if invoice.amount_paid.amount_micros:
        rows.append(("Paid", -invoice.amount_paid.amount_micros))
    if invoice.kind != invoice_pb2.INVOICE_KIND_CREDIT_NOTE:
        rows.append(("Amount due", invoice.amount_due.amount_micros))
    label_x = 10 + COLUMNS_MM[0] + COLUMNS_MM[1]
    for label, amount in rows:
        bold = label in ("Total", "Amount due")
        pdf.set_font(font, "B" if bold else "", 10)
        pdf.set_x(label_x)
        pdf.cell(COLUMNS_MM[2], ROW_MM, label)
        pdf.cell(COLUMNS_MM[3], ROW_MM, money.format_amount(amount, currency), align="R")
        pdf.ln()
    if invoice.days:
        pdf.ln(3)
        pdf.set_font(font, "", 9)
        state = "credited to your balance" if invoice.days_credited else "credited once paid"
        pdf.cell(0, 5, f"{invoice.days:,} days, {state}.", new_x="LMARGIN", new_y="NEXT")
    if invoice.tax_note:
        pdf.ln(2)
        pdf.set_font(font, "", 9)
        note = pdf_fonts.printable(invoice.tax_note, font)
        pdf.multi_cell(0, 5, note, new_x="LMARGIN", new_y="NEXT")
    if invoice.payment_failure_reason and invoice.status == invoice_pb2.INVOICE_STATUS_OPEN:
        pdf.set_font(font, "", 9)
        pdf.cell(0, 5, PAYMENT_FAILED_NOTE, new_x="LMARGIN", new_y="NEXT")

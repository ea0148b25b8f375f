"""Invoices print names in their own script (Noto fonts with text shaping), the seller's legal
details, and never an internal failure reason."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from billing.common.v1 import money_pb2
from billing.invoicing.v1 import invoice_pb2

from services.invoicing.adapters import pdf, pdf_fonts

NAMES = {
    "Cyrillic": "ООО Ромашка",  # noqa: RUF001
    "Greek": "Ελληνική Εταιρεία",
    "Arabic": "شركة الأمل",
    "Hebrew": "חברת אור",
    "Devanagari": "भारत ट्रेडर्स",
    "Tamil": "தமிழ் நிறுவனம்",
    "Bengali": "বাংলা কোম্পানি",
    "Thai": "บริษัท ไทย จำกัด",
}
pytestmark = pytest.mark.skipif(not pdf_fonts.available(), reason="fonts-noto-core missing")


def invoice(bill_to: str, line: str) -> invoice_pb2.Invoice:
    usd = money_pb2.Money(currency_code="USD", amount_micros=1_000_000)
    return invoice_pb2.Invoice(
        number="INV-2026-000001",
        kind=invoice_pb2.INVOICE_KIND_SUBSCRIPTION,
        status=invoice_pb2.INVOICE_STATUS_OPEN,
        issuer=invoice_pb2.Party(
            name="Acme Messaging Ltd",
            address="1 Harbour Road\nMumbai 400001",
            tax_id="27AAACA1234F1Z5",
            email="billing@acme.example",
        ),
        bill_to=invoice_pb2.Party(name=bill_to, country="IN"),
        lines=[invoice_pb2.InvoiceLine(description=line, quantity_milli=1000, amount=usd)],
        subtotal=usd,
        total=usd,
        amount_due=usd,
        tax_note="Reverse charge: the buyer accounts for the tax",
        payment_failure_reason="card_declined: do_not_honor (stripe: req_123)",
    )


def test_every_script_gets_its_font_and_the_seller_and_no_reason_are_printed() -> None:
    document = pdf.render(invoice(" / ".join(NAMES.values()), "Plan — Ромашка ไทย"))
    for script in NAMES:
        if script in ("Cyrillic", "Greek"):
            continue
        assert f"NotoSans{script}".encode() in document, script
    if shutil.which("pdftotext") is None:
        return
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=document, capture_output=True, check=True
    ).stdout.decode()
    # The line's numbers print after a description in other scripts (no font leaks into them).
    [line] = [row for row in text.splitlines() if "Plan" in row]
    assert line.split()[-3:] == ["1", "USD", "1.00"]
    for script in ("Cyrillic", "Greek"):
        assert NAMES[script] in text
    assert "Acme Messaging Ltd" in text and "27AAACA1234F1Z5" in text
    assert "Reverse charge" in text
    assert "did not go through" in text
    assert "do_not_honor" not in text and "req_123" not in text


def test_the_covered_scripts_are_named() -> None:
    covered = pdf_fonts.covered_scripts()
    assert {"Latin", "Cyrillic", "Greek", "Arabic", "Hebrew", "Devanagari", "Thai"} <= set(covered)

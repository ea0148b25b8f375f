"""Receipts, credit notes, organization details, PDFs, and what one account may see."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import grpc
import pytest
from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from tests.invoicing.conftest import Invoicing
from tests.invoicing.helpers import (
    TIMEOUT_S,
    USD,
    create_plan,
    field_of,
    partner_invoice,
    rpc_error,
    run_cycle,
    set_organization,
    subscribe,
    usd,
)


def receipt(invoicing: Invoicing, account_id: str, top_up_id: str) -> invoice_pb2.Invoice:
    return invoicing.stub.CreateTopUpReceipt(
        pb.CreateTopUpReceiptRequest(
            account_id=account_id,
            top_up_id=top_up_id,
            amount=usd(100 * USD, "INR"),
            fee=usd(2_500_000, "INR"),
        ),
        timeout=TIMEOUT_S,
    ).invoice


def get(invoicing: Invoicing, invoice: invoice_pb2.Invoice) -> invoice_pb2.Invoice:
    return invoicing.stub.GetInvoice(
        pb.GetInvoiceRequest(account_id=invoice.account_id, invoice_id=invoice.invoice_id),
        timeout=TIMEOUT_S,
    ).invoice


def credit(
    invoicing: Invoicing, invoice: invoice_pb2.Invoice, micros: int, key: str
) -> pb.IssueCreditNoteResponse:
    return invoicing.stub.IssueCreditNote(
        pb.IssueCreditNoteRequest(
            account_id=invoice.account_id,
            invoice_id=invoice.invoice_id,
            amount=usd(micros, invoice.total.currency_code),
            reason="Notifications billed twice on 3 March",
            idempotency_key=key,
        ),
        timeout=TIMEOUT_S,
    )


def test_a_top_up_receipt_taxes_the_fee_only_and_is_paid(invoicing: Invoicing) -> None:
    set_organization(invoicing.stub, "acme", tax_rate_bps=1800)
    issued = receipt(invoicing, "acme", "topup-1")
    assert issued.kind == invoice_pb2.INVOICE_KIND_TOP_UP_RECEIPT
    assert issued.number.startswith("RCT-")
    assert [line.taxable for line in issued.lines] == [False, True]
    assert issued.tax.amount_micros == 450_000
    assert issued.total.amount_micros == 102_950_000
    assert issued.status == invoice_pb2.INVOICE_STATUS_PAID
    assert issued.amount_due.amount_micros == 0
    assert receipt(invoicing, "acme", "topup-1") == issued
    twice = rpc_error(
        invoicing.stub.CreateTopUpReceipt,
        pb.CreateTopUpReceiptRequest(
            account_id="acme",
            top_up_id="topup-1",
            amount=usd(100 * USD, "INR"),
            idempotency_key="another-key",
        ),
    )
    assert twice.code() == grpc.StatusCode.ALREADY_EXISTS


def test_credit_notes_correct_without_editing_the_invoice(invoicing: Invoicing) -> None:
    set_organization(invoicing.stub, "acme", tax_rate_bps=1000)
    create_plan(invoicing.stub)
    subscribe(invoicing.stub, "acme", "2026-03-10")
    (invoice,) = run_cycle(invoicing.stub, "2026-04-10").invoices
    assert invoice.total.amount_micros == 53_900_000  # 49 + 10 %

    note = credit(invoicing, invoice, 9 * USD, "cn-1").credit_note
    assert note.kind == invoice_pb2.INVOICE_KIND_CREDIT_NOTE
    assert note.number.startswith("CN-") and note.number.endswith("000001")
    assert note.corrects_invoice_id == invoice.invoice_id
    assert (note.subtotal.amount_micros, note.tax.amount_micros) == (9 * USD, 900_000)
    assert note.status == invoice_pb2.INVOICE_STATUS_ISSUED
    assert credit(invoicing, invoice, 9 * USD, "cn-1").credit_note == note

    after = get(invoicing, invoice)
    assert list(after.lines) == list(invoice.lines)
    assert (after.number, after.total, after.tax) == (invoice.number, invoice.total, invoice.tax)
    assert after.amount_credited.amount_micros == 9_900_000
    assert after.amount_due.amount_micros == 44 * USD

    too_much = rpc_error(
        invoicing.stub.IssueCreditNote,
        pb.IssueCreditNoteRequest(
            account_id="acme",
            invoice_id=invoice.invoice_id,
            amount=usd(41 * USD),
            reason="again",
            idempotency_key="cn-2",
        ),
    )
    assert too_much.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(too_much) == "amount.amount_micros"
    rest = credit(invoicing, invoice, 40 * USD, "cn-3").credit_note
    assert rest.total.amount_micros == 44 * USD
    settled = get(invoicing, invoice)
    assert settled.status == invoice_pb2.INVOICE_STATUS_PAID
    assert settled.amount_due.amount_micros == 0


def test_a_credit_note_cannot_be_credited_or_be_in_cents_fractions(invoicing: Invoicing) -> None:
    invoice = partner_invoice(invoicing.stub, "partner", "order", channels=1)
    fraction = rpc_error(
        invoicing.stub.IssueCreditNote,
        pb.IssueCreditNoteRequest(
            account_id="partner",
            invoice_id=invoice.invoice_id,
            amount=usd(1_234_567),
            reason="x",
            idempotency_key="k1",
        ),
    )
    assert fraction.code() == grpc.StatusCode.INVALID_ARGUMENT
    note = credit(invoicing, invoice, USD, "k2").credit_note
    nested = rpc_error(
        invoicing.stub.IssueCreditNote,
        pb.IssueCreditNoteRequest(
            account_id="partner",
            invoice_id=note.invoice_id,
            amount=usd(USD),
            reason="x",
            idempotency_key="k3",
        ),
    )
    assert nested.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_organization_details_are_validated_and_printed_when_issued(
    invoicing: Invoicing,
) -> None:
    missing = rpc_error(
        invoicing.stub.GetOrganization, pb.GetOrganizationRequest(account_id="acme")
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    bad: dict[str, dict[str, Any]] = {
        "organization.billing_email": {"billing_email": "not-an-email"},
        "organization.business_name": {"business_name": " "},
        "organization.tax_rate_basis_points": {"tax_rate_basis_points": 10_001},
        "organization.country": {"country": "India"},
        "organization.tax_id": {"tax_id": "4111111111111111"},
    }
    for field, change in bad.items():
        values: dict[str, Any] = {
            "business_name": "Acme",
            "billing_email": "billing@acme.example",
            **change,
        }
        error = rpc_error(
            invoicing.stub.UpdateOrganization,
            pb.UpdateOrganizationRequest(
                account_id="acme", organization=invoice_pb2.Organization(**values)
            ),
        )
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, field
        assert field_of(error) == field
    set_organization(invoicing.stub, "acme", tax_rate_bps=500)
    got = invoicing.stub.GetOrganization(
        pb.GetOrganizationRequest(account_id="acme"), timeout=TIMEOUT_S
    ).organization
    assert (got.tax_rate_basis_points, got.country) == (500, "IN")
    issued = receipt(invoicing, "acme", "topup-1")
    set_organization(invoicing.stub, "acme", tax_rate_bps=2000)
    assert get(invoicing, issued).bill_to.name == "acme Pvt Ltd"
    assert get(invoicing, issued).tax_rate_basis_points == 500


def test_the_pdf_shows_the_invoice(invoicing: Invoicing, tmp_path: Path) -> None:
    acme = invoicing.account("acme")
    set_organization(invoicing.stub, acme, tax_rate_bps=1800)
    create_plan(invoicing.stub, notification_fee=usd(1_000))
    subscribe(invoicing.stub, acme, "2026-03-10")
    people = invoicing.backends.contacts(acme, dt.date(2026, 3, 12), 130)
    # 123 utility templates to US numbers: 3,400 micros each, 418,200 in all.
    invoicing.backends.deliver(acme, dt.date(2026, 3, 12), 123, "utility", contacts=people)
    invoicing.backends.grant_credit(acme, 2 * USD)
    invoices = run_cycle(invoicing.stub, "2026-04-10").invoices
    for invoice in invoices:
        chunks = list(
            invoicing.stub.DownloadInvoicePdf(
                pb.DownloadInvoicePdfRequest(account_id=acme, invoice_id=invoice.invoice_id),
                timeout=TIMEOUT_S,
            )
        )
        assert {chunk.body.content_type for chunk in chunks} == {"application/pdf"}
        document = b"".join(chunk.body.data for chunk in chunks)
        assert document.startswith(b"%PDF")
        path = tmp_path / f"{invoice.number}.pdf"
        path.write_bytes(document)
        text = pdf_text(path)
        for expected in (invoice.number, f"{acme} Pvt Ltd", "Acme Messaging Ltd", "Amount due"):
            assert expected in text
        assert f"USD {invoice.total.amount_micros / USD:,.2f}" in text


def pdf_text(path: Path) -> str:
    """The PDF's text: pdftotext when installed, else the raw content streams."""
    try:
        done = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=30
        )
        return done.stdout.decode()
    except FileNotFoundError:
        pytest.skip("pdftotext (poppler-utils) is not installed")


def test_another_accounts_invoice_is_not_found(invoicing: Invoicing) -> None:
    invoice = partner_invoice(invoicing.stub, "partner", "order", channels=1)
    stranger = "globex"
    calls: list[tuple[Any, Any]] = [
        (
            invoicing.stub.GetInvoice,
            pb.GetInvoiceRequest(account_id=stranger, invoice_id=invoice.invoice_id),
        ),
        (
            invoicing.stub.PayInvoice,
            pb.PayInvoiceRequest(
                account_id=stranger,
                invoice_id=invoice.invoice_id,
                transfer_reference="W-1",
                idempotency_key="k",
            ),
        ),
        (
            invoicing.stub.IssueCreditNote,
            pb.IssueCreditNoteRequest(
                account_id=stranger,
                invoice_id=invoice.invoice_id,
                amount=usd(USD),
                reason="x",
                idempotency_key="k",
            ),
        ),
    ]
    for call, request in calls:
        assert rpc_error(call, request).code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as caught:
        list(
            invoicing.stub.DownloadInvoicePdf(
                pb.DownloadInvoicePdfRequest(account_id=stranger, invoice_id=invoice.invoice_id),
                timeout=TIMEOUT_S,
            )
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND  # type: ignore[attr-defined]
    listed = invoicing.stub.ListInvoices(
        pb.ListInvoicesRequest(account_id=stranger), timeout=TIMEOUT_S
    ).invoices
    assert list(listed) == []
    assert get(invoicing, invoice).status == invoice_pb2.INVOICE_STATUS_OPEN


def test_list_invoices_filters_by_kind_and_pages(invoicing: Invoicing) -> None:
    for number in range(3):
        receipt(invoicing, "acme", f"topup-{number}")
    partner_invoice(invoicing.stub, "acme", "order", channels=1)
    first = invoicing.stub.ListInvoices(
        pb.ListInvoicesRequest(
            account_id="acme", kind=invoice_pb2.INVOICE_KIND_TOP_UP_RECEIPT, page_size=2
        ),
        timeout=TIMEOUT_S,
    )
    assert len(first.invoices) == 2 and first.next_page_token
    second = invoicing.stub.ListInvoices(
        pb.ListInvoicesRequest(
            account_id="acme",
            kind=invoice_pb2.INVOICE_KIND_TOP_UP_RECEIPT,
            page_size=2,
            page_token=first.next_page_token,
        ),
        timeout=TIMEOUT_S,
    )
    seen = {i.source_reference for i in [*first.invoices, *second.invoices]}
    assert seen == {"topup-0", "topup-1", "topup-2"}

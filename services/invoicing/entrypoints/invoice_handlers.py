"""gRPC handlers of invoicing's invoices: receipts, partner days, reading, PDFs, paying and
credit notes."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from google.api import httpbody_pb2

from services.common import validation
from services.common.errors import PermissionDenied
from services.common.service_auth import current_identity
from services.invoicing.adapters import invoice_messages
from services.invoicing.adapters import invoice_payment_messages as payment_messages
from services.invoicing.entrypoints import billing_requests, invoice_requests, payment_requests
from services.invoicing.entrypoints.use_cases import Handlers

PDF_CONTENT_TYPE = "application/pdf"


class InvoiceHandlers(Handlers):
    def CreateTopUpReceipt(
        self, request: pb.CreateTopUpReceiptRequest, context: grpc.ServicerContext
    ) -> pb.CreateTopUpReceiptResponse:
        return self._audit.around(
            "CreateTopUpReceipt",
            request,
            lambda: pb.CreateTopUpReceiptResponse(
                invoice=invoice_messages.invoice(
                    self._use.receipts.issue(payment_requests.top_up_receipt(request))
                )
            ),
            target=lambda answer: answer.invoice.invoice_id,
        )

    def CreatePartnerDaysInvoice(
        self, request: pb.CreatePartnerDaysInvoiceRequest, context: grpc.ServicerContext
    ) -> pb.CreatePartnerDaysInvoiceResponse:
        return self._audit.around(
            "CreatePartnerDaysInvoice",
            request,
            lambda: pb.CreatePartnerDaysInvoiceResponse(
                invoice=invoice_messages.invoice(
                    self._use.partner_days.create(invoice_requests.create_partner_days(request))
                )
            ),
            target=lambda answer: answer.invoice.invoice_id,
        )

    def ListInvoices(
        self, request: pb.ListInvoicesRequest, context: grpc.ServicerContext
    ) -> pb.ListInvoicesResponse:
        validation.require_id(request.account_id, "account_id")
        wanted = invoice_requests.invoice_filter(request)
        page = billing_requests.page(request.page_size, request.page_token)
        found = self._use.invoices.list(request.account_id, wanted, page)
        return pb.ListInvoicesResponse(
            invoices=[invoice_messages.invoice(invoice) for invoice in found],
            next_page_token=validation.next_page_token(page.offset, page.limit, len(found)),
        )

    def GetInvoice(
        self, request: pb.GetInvoiceRequest, context: grpc.ServicerContext
    ) -> pb.GetInvoiceResponse:
        validation.require_id(request.account_id, "account_id")
        validation.require_id(request.invoice_id, "invoice_id")
        found = self._use.invoices.get(request.account_id, request.invoice_id)
        return pb.GetInvoiceResponse(invoice=invoice_messages.invoice(found))

    def DownloadInvoicePdf(
        self, request: pb.DownloadInvoicePdfRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.DownloadInvoicePdfResponse]:
        validation.require_id(request.account_id, "account_id")
        validation.require_id(request.invoice_id, "invoice_id")
        for chunk in self._use.invoices.pdf_chunks(request.account_id, request.invoice_id):
            body = httpbody_pb2.HttpBody(content_type=PDF_CONTENT_TYPE, data=chunk)
            yield pb.DownloadInvoicePdfResponse(body=body)

    def PayInvoice(
        self, request: pb.PayInvoiceRequest, context: grpc.ServicerContext
    ) -> pb.PayInvoiceResponse:
        identity = current_identity()
        if request.transfer_reference and not (identity and identity.operator):
            raise PermissionDenied("only an operator marks an invoice paid by transfer")
        return self._audit.around(
            "PayInvoice",
            request,
            lambda: payment_messages.invoice_paid(
                self._use.payments.pay(payment_requests.pay_invoice(request))
            ),
            before=lambda: self.GetInvoice(
                pb.GetInvoiceRequest(account_id=request.account_id, invoice_id=request.invoice_id),
                context,
            ),
            target=lambda _answer: request.invoice_id,
        )

    def IssueCreditNote(
        self, request: pb.IssueCreditNoteRequest, context: grpc.ServicerContext
    ) -> pb.IssueCreditNoteResponse:
        return self._audit.around(
            "IssueCreditNote",
            request,
            lambda: pb.IssueCreditNoteResponse(
                credit_note=invoice_messages.invoice(
                    self._use.credit_notes.issue(invoice_requests.issue_credit_note(request))
                )
            ),
            target=lambda answer: answer.credit_note.invoice_id,
        )

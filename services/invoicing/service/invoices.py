"""Reading invoices: one account's own only; another account's id is simply not found."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from billing.invoicing.v1 import invoice_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine

from services.common import validation
from services.common.errors import FailedPrecondition, NotFound
from services.invoicing.adapters import invoice_store
from services.invoicing.domain.invoices import Status
from services.invoicing.service import invoice_search, messages

PDF_CHUNK_BYTES = 32 * 1024
PdfRenderer = Callable[[invoice_pb2.Invoice], bytes]


def load(connection: Connection, account_id: str, invoice_id: str) -> invoice_pb2.Invoice:
    row = invoice_store.get(connection, account_id, invoice_id)
    if row is None:
        raise NotFound(f"invoice {invoice_id!r} not found", "invoice_id")
    lines = invoice_store.lines_of(connection, [invoice_id])[invoice_id]
    return messages.invoice(row, lines)


def load_many(connection: Connection, rows: list[invoice_store.Row]) -> list[invoice_pb2.Invoice]:
    lines = invoice_store.lines_of(connection, [row["invoice_id"] for row in rows])
    return [messages.invoice(row, lines[row["invoice_id"]]) for row in rows]


class Invoices:
    def __init__(
        self,
        engine: Engine,
        render_pdf: PdfRenderer,
        accounts: invoice_search.AccountDirectory | None = None,
    ) -> None:
        self._engine = engine
        self._render_pdf = render_pdf
        # Asked only when a list comes back empty: an unknown account is not found.
        self._accounts = accounts or invoice_search.EveryAccount()

    def get(self, request: pb.GetInvoiceRequest) -> pb.GetInvoiceResponse:
        validation.require_id(request.account_id, "account_id")
        validation.require_id(request.invoice_id, "invoice_id")
        with self._engine.connect() as connection:
            return pb.GetInvoiceResponse(
                invoice=load(connection, request.account_id, request.invoice_id)
            )

    def list(self, request: pb.ListInvoicesRequest) -> pb.ListInvoicesResponse:
        validation.require_id(request.account_id, "account_id")
        wanted = invoice_search.invoice_filter(request)
        limit, offset = validation.page(request.page_size, request.page_token)
        with self._engine.connect() as connection:
            rows = invoice_store.list_for_account(
                connection, request.account_id, wanted, limit, offset
            )
            found = load_many(connection, rows)
        if not found and not self._accounts.account_exists(request.account_id):
            raise NotFound(f"account {request.account_id!r} not found", "account_id")
        return pb.ListInvoicesResponse(
            invoices=found, next_page_token=validation.next_page_token(offset, limit, len(rows))
        )

    def pdf_chunks(self, request: pb.DownloadInvoicePdfRequest) -> Iterator[bytes]:
        validation.require_id(request.account_id, "account_id")
        validation.require_id(request.invoice_id, "invoice_id")
        with self._engine.connect() as connection:
            invoice = load(connection, request.account_id, request.invoice_id)
        if invoice.status == messages.STATUS_TO_PB[Status.DRAFT]:
            raise FailedPrecondition("a draft invoice has no PDF yet", "invoice_id")
        document = self._render_pdf(invoice)
        for start in range(0, len(document), PDF_CHUNK_BYTES):
            yield document[start : start + PDF_CHUNK_BYTES]

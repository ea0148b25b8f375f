"""Reading invoices: one account's own only; another account's id is simply not found."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from services.common.errors import FailedPrecondition, NotFound
from services.invoicing.domain.invoice_filter import InvoiceFilter
from services.invoicing.domain.invoices import Status
from services.invoicing.service import invoice_search
from services.invoicing.service.commands.invoices import Invoice
from services.invoicing.service.commands.plans import Page
from services.invoicing.service.ports.billing import BillingWorks

PDF_CHUNK_BYTES = 32 * 1024
PdfRenderer = Callable[[Invoice], bytes]


class Invoices:
    def __init__(
        self,
        works: BillingWorks,
        render_pdf: PdfRenderer,
        accounts: invoice_search.AccountDirectory | None = None,
    ) -> None:
        self._works = works
        self._render_pdf = render_pdf
        # Asked only when a list comes back empty: an unknown account is not found.
        self._accounts = accounts or invoice_search.EveryAccount()

    def get(self, account_id: str, invoice_id: str) -> Invoice:
        with self._works() as work:
            found = work.invoices.get(account_id, invoice_id)
        if found is None:
            raise NotFound(f"invoice {invoice_id!r} not found", "invoice_id")
        return found

    def list(self, account_id: str, wanted: InvoiceFilter, page: Page) -> list[Invoice]:
        with self._works() as work:
            found = work.invoices.page(account_id, wanted, page.limit, page.offset)
        if not found and not self._accounts.account_exists(account_id):
            raise NotFound(f"account {account_id!r} not found", "account_id")
        return found

    def pdf_chunks(self, account_id: str, invoice_id: str) -> Iterator[bytes]:
        invoice = self.get(account_id, invoice_id)
        if invoice.status == Status.DRAFT:
            raise FailedPrecondition("a draft invoice has no PDF yet", "invoice_id")
        document = self._render_pdf(invoice)
        for start in range(0, len(document), PDF_CHUNK_BYTES):
            yield document[start : start + PDF_CHUNK_BYTES]

"""Top-up receipts: the money added to a prepaid balance and the transaction fee, paid."""

from __future__ import annotations

from services.common import replies
from services.common.clock import Clock, moment
from services.common.errors import AlreadyExists
from services.invoicing.domain import lines
from services.invoicing.domain.invoices import Kind
from services.invoicing.service.commands.invoice_payments import TopUpReceipt
from services.invoicing.service.commands.invoices import Invoice
from services.invoicing.service.invoice_issuing import Draft, InvoiceIssuing
from services.invoicing.service.ports.billing import ReceiptWork, ReceiptWorks
from services.invoicing.service.ports.own_requests import ReceiptRequest

SCOPE = "CreateTopUpReceipt"


class Receipts:
    def __init__(
        self,
        works: ReceiptWorks,
        issuing: InvoiceIssuing,
        clock: Clock,
    ) -> None:
        self._works = works
        self._issuing = issuing
        self._clock = clock

    def issue(self, receipt: TopUpReceipt) -> Invoice:
        account_id, top_up_id = receipt.account_id, receipt.top_up_id
        draft = Draft(
            account_id=account_id,
            kind=Kind.TOP_UP_RECEIPT,
            currency_code=receipt.currency_code,
            lines=lines.top_up_lines(top_up_id, receipt.amount_micros, receipt.fee_micros),
            source_reference=top_up_id,
        )
        now = moment(self._clock)
        self._issuing.ensure_series(Kind.TOP_UP_RECEIPT, now.year)

        def issue(work: ReceiptWork) -> Invoice:
            if work.invoices.by_source(account_id, Kind.TOP_UP_RECEIPT, top_up_id) is not None:
                raise AlreadyExists(f"top-up {top_up_id!r} already has a receipt", "top_up_id")
            return self._issuing.issue(work, draft, now)

        with self._works() as work:
            answer = replies.once(
                work.receipts_issued,
                SCOPE,
                receipt.key,
                receipt.request_sha256,
                lambda: issue(work),
            )
            work.commit()
        return answer


class FundingReceipts:
    """A funding's receipt, issued as CreateTopUpReceipt issues it (key "top-up:<funding id>")."""

    def __init__(self, receipts: Receipts, request: ReceiptRequest) -> None:
        self._receipts = receipts
        self._request = request

    def issue(
        self,
        account_id: str,
        funding_id: str,
        currency_code: str,
        amount_micros: int,
        fee_micros: int,
    ) -> str:
        receipt = self._request(account_id, funding_id, currency_code, amount_micros, fee_micros)
        return self._receipts.issue(receipt).invoice_id

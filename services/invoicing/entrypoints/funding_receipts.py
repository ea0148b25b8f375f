"""A funding's receipt, asked of the top-up receipts' use case as CreateTopUpReceipt asks for
it: the same request, so the same checks, key ("top-up:<funding id>") and fingerprint."""

from __future__ import annotations

from billing.common.v1 import money_pb2
from billing.invoicing.v1 import invoicing_service_pb2 as pb

from services.invoicing.entrypoints.payment_requests import top_up_receipt
from services.invoicing.service.receipts import Receipts


class ReceiptsOfFundings:
    def __init__(self, receipts: Receipts) -> None:
        self._receipts = receipts

    def issue(
        self,
        account_id: str,
        funding_id: str,
        currency_code: str,
        amount_micros: int,
        fee_micros: int,
    ) -> str:
        request = pb.CreateTopUpReceiptRequest(
            account_id=account_id,
            top_up_id=funding_id,
            amount=money_pb2.Money(currency_code=currency_code, amount_micros=amount_micros),
            fee=money_pb2.Money(currency_code=currency_code, amount_micros=fee_micros),
        )
        return self._receipts.issue(top_up_receipt(request)).invoice_id

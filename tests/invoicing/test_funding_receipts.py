"""A funding's receipt is asked as CreateTopUpReceipt asks for it: a receipt answered before
is answered again only while its request's fingerprint stays the same."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from services.invoicing.entrypoints.payment_requests import funding_receipt
from services.invoicing.service.receipts import FundingReceipts, Receipts


@dataclass
class _Issued:
    invoice_id: str


@dataclass
class _Receipts:
    asked: list[Any] = field(default_factory=list)

    def issue(self, command: Any) -> _Issued:
        self.asked.append(command)
        return _Issued("inv_receipt")


def test_a_funding_receipt_keeps_its_key_and_request_fingerprint() -> None:
    receipts = _Receipts()
    issued = FundingReceipts(cast(Receipts, receipts), funding_receipt).issue(
        "acme", "fund_0001", "EUR", 25_000_000, 750_000
    )
    assert issued == "inv_receipt"
    (command,) = receipts.asked
    assert (command.account_id, command.top_up_id) == ("acme", "fund_0001")
    assert (command.currency_code, command.amount_micros, command.fee_micros) == (
        "EUR",
        25_000_000,
        750_000,
    )
    assert command.request_sha256 == (
        "d88ae8acb6bd085e5c16f0b3ee982e29b6f5df0a6b81236b00a163710fc0f42a"
    )

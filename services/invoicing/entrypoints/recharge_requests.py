"""The wallet's recharge requests (billing.wallet.recharges) decoded into plain commands."""

from __future__ import annotations

from billing.wallet.v1 import recharges_pb2 as wallet_pb

from services.common import validation
from services.common.background import decoded_event
from services.common.streams import Entry
from services.invoicing.service.commands.payments import RequestRecharge
from services.invoicing.service.recharges import RechargeRequests

REQUESTED = wallet_pb.RechargeRequested.DESCRIPTOR.full_name.encode()
MAX_KEY_LENGTH = 200


class RechargeRequestEntries:
    def __init__(self, requests: RechargeRequests) -> None:
        self._requests = requests

    def handle(self, entries: list[Entry]) -> None:
        for _entry_id, fields in entries:
            if fields.get(b"type") == REQUESTED:
                event = decoded_event(fields, wallet_pb.RechargeRequested)
                self._requests.request(recharge_of(event))


def recharge_of(event: wallet_pb.RechargeRequested) -> RequestRecharge:
    account_id = validation.require_id(event.account_id, "account_id")
    key = validation.text(
        event.idempotency_key, "idempotency_key", required=True, max_length=MAX_KEY_LENGTH
    )
    validation.optional_id(event.channel_id, "channel_id")
    currency = validation.currency(event.amount.currency_code, "amount.currency_code")
    return RequestRecharge(
        account_id=account_id,
        idempotency_key=key,
        channel_id=event.channel_id,
        currency_code=currency,
        amount_micros=event.amount.amount_micros,
        fee_currency_code=event.fee.currency_code,
        fee_micros=event.fee.amount_micros,
    )

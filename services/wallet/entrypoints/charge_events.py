"""Metering's ChargeSettled events, as the wallet's charge commands."""

from __future__ import annotations

from collections.abc import Callable

from billing.metering.v1 import events_pb2

from services.common.background import decoded_event
from services.common.streams import Entry
from services.wallet.service.commands.send import SettleCharge
from services.wallet.service.settlements import Settlements


def charge_command(event: events_pb2.ChargeSettled) -> SettleCharge:
    amount, occur = event.amount, event.occur_time
    return SettleCharge(
        event_id=event.event_id,
        account_id=event.account_id,
        message_id=event.message_id,
        channel_id=event.channel_id,
        reservation_id=event.reservation_id,
        action=event.action,
        currency=amount.currency_code,
        amount_micros=amount.amount_micros,
        occur_time=(occur.seconds, occur.nanos),
    )


def charges_handler(settlements: Settlements) -> Callable[[list[Entry]], None]:
    """The charges stream consumer's handler: one batch, all or nothing (retried)."""

    def handle(entries: list[Entry]) -> None:
        events = [decoded_event(fields, events_pb2.ChargeSettled) for _id, fields in entries]
        settlements.apply([charge_command(event) for event in events])

    return handle

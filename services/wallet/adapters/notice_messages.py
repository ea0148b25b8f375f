"""The wallet's notices and balance alerts as the billing.wallet.v1 messages readers get."""

from __future__ import annotations

from billing.common.v1 import money_pb2
from billing.wallet.v1 import notices_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from google.protobuf.message import Message

from services.wallet.service.commands.notices import (
    BalanceAlert,
    CampaignRefused,
    CreditNotice,
    DaysRunningOut,
    Notice,
    SendFlagged,
)


def _money(currency: str, micros: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code=currency, amount_micros=micros)


def alert_message(alert: BalanceAlert) -> pb.BalanceAlert:
    message = pb.BalanceAlert(
        event_id=alert.event_id,
        account_id=alert.account_id,
        channel_id=alert.channel_id,
        kind=alert.kind,
        available=_money(alert.currency, alert.available_micros),
        recovered_from=alert.recovered_from,
        problem=alert.problem[:200],
    )
    if alert.recharge_micros:
        message.recharge_amount.CopyFrom(_money(alert.currency, alert.recharge_micros))
    message.occur_time.FromMilliseconds(alert.crossing_ms)
    return message


def notice_message(notice: Notice) -> Message:
    if isinstance(notice, CreditNotice):
        credit = notices_pb2.CreditNotice(
            event_id=notice.event_id,
            account_id=notice.account_id,
            credit_id=notice.credit_id,
            kind=notice.kind,
            granted=_money(notice.currency, notice.granted_micros),
            remaining=_money(notice.currency, notice.remaining_micros),
        )
        credit.expire_time.FromMilliseconds(notice.expire_ms)
        credit.occur_time.FromMilliseconds(notice.occur_ms)
        return credit
    if isinstance(notice, DaysRunningOut):
        days = notices_pb2.DaysRunningOut(
            event_id=notice.event_id,
            account_id=notice.account_id,
            channel_id=notice.channel_id,
            paid_through=notice.paid_through,
            days_left=notice.days_left,
        )
        days.occur_time.FromMilliseconds(notice.occur_ms)
        return days
    if isinstance(notice, CampaignRefused):
        refused = notices_pb2.CampaignRefused(
            event_id=notice.event_id,
            account_id=notice.account_id,
            channel_id=notice.channel_id,
            batch_id=notice.batch_id,
            refused_count=notice.refused_count,
            reason=notice.reason,
            available=_money(notice.currency, notice.available_micros),
            required=_money(notice.currency, notice.required_micros),
            needed=_money(notice.currency, notice.needed_micros),
        )
        refused.occur_time.FromMilliseconds(notice.occur_ms)
        refused.window_end_time.FromMilliseconds(notice.window_end_ms)
        return refused
    if isinstance(notice, SendFlagged):
        flagged = notices_pb2.SendFlagged(
            event_id=notice.event_id,
            account_id=notice.account_id,
            channel_id=notice.channel_id,
            message_id=notice.message_id,
            available=_money(notice.currency, notice.available_micros),
        )
        flagged.occur_time.FromMilliseconds(notice.occur_ms)
        flagged.window_end_time.FromMilliseconds(notice.window_end_ms)
        return flagged
    raise TypeError(f"no message for {type(notice).__name__}")

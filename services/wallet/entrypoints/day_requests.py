"""Days and channel requests as plain commands, and the use cases' answers as responses."""

from __future__ import annotations

from billing.wallet.v1 import wallet_service_pb2 as pb

from services.common.idempotency import fingerprint
from services.wallet.adapters import day_messages
from services.wallet.service.commands import days as commands

Keyed = (
    pb.AddDaysRequest
    | pb.TakeBackDaysRequest
    | pb.RegisterChannelRequest
    | pb.AllocateDaysRequest
    | pb.DeleteChannelRequest
)


def _digest(request: Keyed) -> str:
    """The request's fingerprint, told apart from a retry's under the same key."""
    return fingerprint(request) if request.idempotency_key else ""


def add_days(request: pb.AddDaysRequest) -> commands.AddDays:
    return commands.AddDays(
        request.account_id,
        request.days,
        request.reference,
        request.idempotency_key,
        _digest(request),
    )


def take_back_days(request: pb.TakeBackDaysRequest) -> commands.TakeBackDays:
    return commands.TakeBackDays(
        request.account_id,
        request.days,
        request.reference,
        request.idempotency_key,
        _digest(request),
    )


def register_channel(request: pb.RegisterChannelRequest) -> commands.RegisterChannel:
    return commands.RegisterChannel(
        request.account_id,
        request.channel_id,
        request.display_phone_number,
        request.idempotency_key,
        _digest(request),
    )


def list_channels(request: pb.ListChannelsRequest) -> commands.ListChannels:
    return commands.ListChannels(request.account_id, request.page_size, request.page_token)


def allocate_days(request: pb.AllocateDaysRequest) -> commands.AllocateDays:
    return commands.AllocateDays(
        request.account_id,
        request.channel_id,
        request.days,
        request.idempotency_key,
        _digest(request),
    )


def delete_channel(request: pb.DeleteChannelRequest) -> commands.DeleteChannel:
    return commands.DeleteChannel(
        request.account_id, request.channel_id, request.idempotency_key, _digest(request)
    )


def count_channel_days(request: pb.CountChannelDaysRequest) -> commands.CountChannelDays:
    return commands.CountChannelDays(request.account_id, request.from_date, request.to_date)


added = day_messages.added
taken_back = day_messages.taken_back
registered = day_messages.registered
allocated = day_messages.allocated
deleted = day_messages.deleted


def channel_page(answer: commands.ChannelPage) -> pb.ListChannelsResponse:
    return pb.ListChannelsResponse(
        channels=[day_messages.channel_message(channel) for channel in answer.channels],
        pool_days=answer.pool_days,
        next_page_token=answer.next_page_token,
    )


def channel_day_count(answer: commands.ChannelDayCount) -> pb.CountChannelDaysResponse:
    return pb.CountChannelDaysResponse(
        channel_days=answer.channel_days,
        live_channels=answer.live_channels,
        channels_used=answer.channels_used,
        days_account=answer.days_account,
    )

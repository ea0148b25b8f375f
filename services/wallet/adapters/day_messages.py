"""The days use cases' answers as their protobuf responses: the gRPC answer and the kept
replay are the same bytes."""

from __future__ import annotations

from billing.wallet.v1 import funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from google.protobuf.message import Message

from services.wallet.service.commands.days import (
    AllocatedDays,
    Channel,
    DeletedChannel,
    PoolDays,
    RegisteredChannel,
)


def channel_message(channel: Channel) -> funds_pb2.Channel:
    return funds_pb2.Channel(
        channel_id=channel.channel_id,
        account_id=channel.account_id,
        display_phone_number=channel.display_phone_number,
        days_remaining=channel.days_remaining,
        paid_through_date=channel.paid_through_date,
        deleted=channel.deleted,
    )


def channel_of(message: funds_pb2.Channel) -> Channel:
    return Channel(
        channel_id=message.channel_id,
        account_id=message.account_id,
        display_phone_number=message.display_phone_number,
        days_remaining=message.days_remaining,
        paid_through_date=message.paid_through_date,
        deleted=message.deleted,
    )


def added(answer: PoolDays) -> pb.AddDaysResponse:
    return pb.AddDaysResponse(pool_days=answer.pool_days)


def taken_back(answer: PoolDays) -> pb.TakeBackDaysResponse:
    return pb.TakeBackDaysResponse(pool_days=answer.pool_days)


def registered(answer: RegisteredChannel) -> pb.RegisterChannelResponse:
    return pb.RegisterChannelResponse(channel=channel_message(answer.channel))


def allocated(answer: AllocatedDays) -> pb.AllocateDaysResponse:
    return pb.AllocateDaysResponse(
        channel=channel_message(answer.channel), pool_days=answer.pool_days
    )


def deleted(answer: DeletedChannel) -> pb.DeleteChannelResponse:
    return pb.DeleteChannelResponse(
        channel=channel_message(answer.channel),
        returned_days=answer.returned_days,
        pool_days=answer.pool_days,
    )


def _bytes(message: Message) -> bytes:
    return message.SerializeToString(deterministic=True)


def added_kept(stored: bytes) -> PoolDays:
    return PoolDays(pb.AddDaysResponse.FromString(stored).pool_days)


def taken_back_kept(stored: bytes) -> PoolDays:
    return PoolDays(pb.TakeBackDaysResponse.FromString(stored).pool_days)


def registered_kept(stored: bytes) -> RegisteredChannel:
    return RegisteredChannel(channel_of(pb.RegisterChannelResponse.FromString(stored).channel))


def allocated_kept(stored: bytes) -> AllocatedDays:
    allocated = pb.AllocateDaysResponse.FromString(stored)
    return AllocatedDays(channel_of(allocated.channel), allocated.pool_days)


def deleted_kept(stored: bytes) -> DeletedChannel:
    deleted = pb.DeleteChannelResponse.FromString(stored)
    return DeletedChannel(channel_of(deleted.channel), deleted.returned_days, deleted.pool_days)


def added_stored(answer: PoolDays) -> bytes:
    return _bytes(added(answer))


def taken_back_stored(answer: PoolDays) -> bytes:
    return _bytes(taken_back(answer))


def registered_stored(answer: RegisteredChannel) -> bytes:
    return _bytes(registered(answer))


def allocated_stored(answer: AllocatedDays) -> bytes:
    return _bytes(allocated(answer))


def deleted_stored(answer: DeletedChannel) -> bytes:
    return _bytes(deleted(answer))

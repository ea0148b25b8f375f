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


def response(method: str, answer: object) -> Message:
    """The response of `method` (AddDays, TakeBackDays, RegisterChannel...) saying `answer`."""
    if isinstance(answer, PoolDays):
        return taken_back(answer) if method == "TakeBackDays" else added(answer)
    if isinstance(answer, RegisteredChannel):
        return registered(answer)
    if isinstance(answer, AllocatedDays):
        return allocated(answer)
    if isinstance(answer, DeletedChannel):
        return deleted(answer)
    raise TypeError(f"no response for {type(answer).__name__}")


def encode(scope: str, answer: object) -> bytes:
    method = scope.split(":", 1)[0]
    return response(method, answer).SerializeToString(deterministic=True)


def decode(scope: str, stored: bytes) -> object:
    """A kept answer, by the method its scope starts with ("AddDays:<account>")."""
    method = scope.split(":", 1)[0]
    if method == "AddDays":
        return PoolDays(pb.AddDaysResponse.FromString(stored).pool_days)
    if method == "TakeBackDays":
        return PoolDays(pb.TakeBackDaysResponse.FromString(stored).pool_days)
    if method == "RegisterChannel":
        return RegisteredChannel(channel_of(pb.RegisterChannelResponse.FromString(stored).channel))
    if method == "AllocateDays":
        allocated = pb.AllocateDaysResponse.FromString(stored)
        return AllocatedDays(channel_of(allocated.channel), allocated.pool_days)
    if method == "DeleteChannel":
        deleted = pb.DeleteChannelResponse.FromString(stored)
        return DeletedChannel(channel_of(deleted.channel), deleted.returned_days, deleted.pool_days)
    raise ValueError(f"no kept answer for {scope!r}")

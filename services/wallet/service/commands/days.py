"""Days and channels (the partner program), as plain values: what the use cases take and
answer. `request_sha256` tells a retry under the same key from a different request."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AddDays:
    account_id: str
    days: int
    reference: str
    idempotency_key: str
    request_sha256: str = ""


@dataclass(frozen=True, slots=True)
class TakeBackDays:
    account_id: str
    days: int
    reference: str
    idempotency_key: str
    request_sha256: str = ""


@dataclass(frozen=True, slots=True)
class RegisterChannel:
    account_id: str
    channel_id: str
    display_phone_number: str
    idempotency_key: str = ""
    request_sha256: str = ""


@dataclass(frozen=True, slots=True)
class ListChannels:
    account_id: str
    page_size: int
    page_token: str


@dataclass(frozen=True, slots=True)
class AllocateDays:
    account_id: str
    channel_id: str
    days: int
    idempotency_key: str
    request_sha256: str = ""


@dataclass(frozen=True, slots=True)
class DeleteChannel:
    account_id: str
    channel_id: str
    idempotency_key: str = ""
    request_sha256: str = ""


@dataclass(frozen=True, slots=True)
class CountChannelDays:
    account_id: str
    from_date: str
    to_date: str


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel as an answer shows it: its paid days counted from today."""

    channel_id: str
    account_id: str
    display_phone_number: str
    days_remaining: int
    paid_through_date: str  # "" when it never had paid days
    deleted: bool


@dataclass(frozen=True, slots=True)
class PoolDays:
    """AddDays' and TakeBackDays' answer: the days left in the pool."""

    pool_days: int


@dataclass(frozen=True, slots=True)
class RegisteredChannel:
    channel: Channel


@dataclass(frozen=True, slots=True)
class ChannelPage:
    channels: tuple[Channel, ...]
    pool_days: int
    next_page_token: str


@dataclass(frozen=True, slots=True)
class AllocatedDays:
    channel: Channel
    pool_days: int


@dataclass(frozen=True, slots=True)
class DeletedChannel:
    channel: Channel
    returned_days: int
    pool_days: int


@dataclass(frozen=True, slots=True)
class ChannelDayCount:
    channel_days: int
    live_channels: int
    channels_used: int
    days_account: bool


DaysAnswer = PoolDays | RegisteredChannel | AllocatedDays | DeletedChannel

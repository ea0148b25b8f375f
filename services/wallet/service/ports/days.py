"""What the days use cases need: a unit of work over the pool's movements, the channels and
their registrations, and the hot copy of each channel's end of paid days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from services.common.replies import Replies
from services.common.unit_of_work import Transaction
from services.wallet.domain.partitions import Keys
from services.wallet.service.commands.days import (
    AllocatedDays,
    DeletedChannel,
    PoolDays,
    RegisteredChannel,
)


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    account_id: str
    channel_id: str
    display_phone_number: str
    paid_through: dt.date | None
    deleted: bool


@dataclass(frozen=True)
class ChannelDays:
    channel_days: int
    # Live as the range's first day began: registered before it and not deleted before it.
    live_channels: int
    channels_used: int


class DayRecords(Protocol):
    def lock_account(self, account_id: str) -> None:
        """The account's write lock, as the transaction's first statement (NotFound if none)."""
        ...

    def channel(self, account_id: str, channel_id: str) -> ChannelRecord | None: ...

    def channels(
        self,
        account_id: str,
        *,
        live_only: bool = False,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[ChannelRecord]:
        """With a limit, by channel id."""
        ...

    def add_channel(
        self, account_id: str, channel_id: str, display_phone_number: str, now_ms: int
    ) -> None: ...

    def register_again(
        self, account_id: str, channel_id: str, display_phone_number: str, now_ms: int
    ) -> None:
        """A deleted channel live again, under the number given."""
        ...

    def pay_through(self, account_id: str, channel_id: str, day: dt.date, now_ms: int) -> None:
        """The channel's paid days end with `day`."""
        ...

    def mark_deleted(self, account_id: str, channel_id: str, now_ms: int) -> None:
        """Deleted, with no paid days left."""
        ...

    def move(
        self, account_id: str, channel_id: str, kind: str, days: int, reference: str, now_ms: int
    ) -> None:
        """Append a movement of the pool (kind: bought, taken_back, allocated, returned)."""
        ...

    def bought_days(self, account_id: str) -> bool:
        """Whether the account ever bought days (a days account)."""
        ...

    def pool(self, account_id: str) -> int: ...

    def record_channel_event(
        self, account_id: str, channel_id: str, kind: str, epoch_day: int, created_ms: int
    ) -> None: ...

    def count_channel_days(self, account_id: str, first: dt.date, last: dt.date) -> ChannelDays:
        """Channel-days over first..last (inclusive)."""
        ...


class DaysWork(Transaction, Protocol):
    days: DayRecords
    added: Replies[PoolDays]
    taken_back: Replies[PoolDays]
    registered: Replies[RegisteredChannel]
    allocated: Replies[AllocatedDays]
    deleted: Replies[DeletedChannel]


class ChannelDaysHot(Protocol):
    """Each channel's end of paid days, as the send path reads it in Redis."""

    def write_channel_days(
        self, keys: Keys, account_id: str, days_account: bool, channel_id: str, until_ms: int | None
    ) -> None:
        """One channel's end of paid days (None: the channel may not send; its field goes)."""
        ...

    def replace_channel_days(
        self, keys: Keys, account_id: str, days_account: bool, until_ms: Mapping[str, int]
    ) -> None:
        """All of an account's channels at once, in place of what Redis held."""
        ...

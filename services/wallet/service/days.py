"""Days (the partner program): bought days fill the account's pool; days allocated to a
channel extend its paid-through date, counted in the account's time zone from the day of
allocation; deleting a channel returns its unused whole days. The pool is the sum of its
movements, never edited. Each channel's end of paid days is kept hot for the send path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TypeVar

from services.common import validation
from services.common.clock import Clock
from services.common.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from services.common.replies import Replies, once
from services.wallet.domain.accounts import AccountView
from services.wallet.domain.days import local_day, paid_until_ms
from services.wallet.domain.partitions import Partitioner
from services.wallet.service import channel_days
from services.wallet.service.accounts import Accounts, require_account
from services.wallet.service.channel_days import DELETED, REGISTERED
from services.wallet.service.commands.days import (
    AddDays,
    AllocateDays,
    AllocatedDays,
    Channel,
    ChannelDayCount,
    ChannelPage,
    CountChannelDays,
    DeleteChannel,
    DeletedChannel,
    ListChannels,
    PoolDays,
    RegisterChannel,
    RegisteredChannel,
    TakeBackDays,
)
from services.wallet.service.ports.days import ChannelDaysHot, ChannelRecord, DaysWork

Answer = TypeVar("Answer")

MAX_DAYS = 10_000_000  # a partner's order: 100,000 channels x 100 days
MAX_PHONE_LENGTH = 32
MAX_CHANNELS_SHOWN = 1_000  # channels listed in a balance (ListChannels pages them all)


class Days:
    def __init__(
        self,
        work: Callable[[], DaysWork],
        accounts: Accounts,
        hot: ChannelDaysHot,
        partitioner: Partitioner,
        clock: Clock,
    ) -> None:
        self._work = work
        self._accounts = accounts
        self._hot = hot
        self._partitioner = partitioner
        self._clock = clock

    def add(self, command: AddDays) -> PoolDays:
        view = require_account(self._accounts, command.account_id)
        _days(command.days)
        validation.text(command.reference, "reference", max_length=200)
        validation.text(command.idempotency_key, "idempotency_key", required=True)
        with self._work() as work:

            def add() -> PoolDays:
                now_ms = self._clock.now_ms()
                work.days.move(
                    view.account_id, "", "bought", command.days, command.reference, now_ms
                )
                return PoolDays(work.days.pool(view.account_id))

            work.days.lock_account(view.account_id)
            answer = self._once(work.added, "AddDays", view, command, add)
            work.commit()
        self.restore_hot(view.account_id)  # a days account from now on: its channels need days
        return answer

    def take_back(self, command: TakeBackDays) -> PoolDays:
        """Bought days taken back out of the pool (their payment was refunded or disputed);
        refused, saying so, when the pool no longer holds them: days allocated to a channel
        are the channel's until they are returned."""
        view = require_account(self._accounts, command.account_id)
        _days(command.days)
        validation.text(command.reference, "reference", max_length=200)
        validation.text(command.idempotency_key, "idempotency_key", required=True)
        with self._work() as work:

            def take_back() -> PoolDays:
                pool = work.days.pool(view.account_id)
                if pool < command.days:
                    raise FailedPrecondition(
                        f"only {pool} of the {command.days} days are left in the pool; the "
                        "others were allocated to channels (delete a channel to return its "
                        "unused days)",
                        "days",
                    )
                work.days.move(
                    view.account_id,
                    "",
                    "taken_back",
                    -command.days,
                    command.reference,
                    self._clock.now_ms(),
                )
                return PoolDays(pool - command.days)

            work.days.lock_account(view.account_id)
            answer = self._once(work.taken_back, "TakeBackDays", view, command, take_back)
            work.commit()
        return answer

    def register(self, command: RegisterChannel) -> RegisteredChannel:
        view = require_account(self._accounts, command.account_id)
        channel_id = validation.require_id(command.channel_id, "channel_id")
        _phone(command.display_phone_number)
        phone = command.display_phone_number
        with self._work() as work:

            def register() -> RegisteredChannel:
                now_ms = self._clock.now_ms()
                found = work.days.channel(view.account_id, channel_id)
                if found is not None and not found.deleted:
                    if found.display_phone_number != phone:
                        raise AlreadyExists(f"channel {channel_id!r} is registered")
                elif found is not None:
                    work.days.register_again(view.account_id, channel_id, phone, now_ms)
                    channel_days.record(work.days, view, channel_id, REGISTERED, now_ms)
                else:
                    work.days.add_channel(view.account_id, channel_id, phone, now_ms)
                    channel_days.record(work.days, view, channel_id, REGISTERED, now_ms)
                shown = work.days.channel(view.account_id, channel_id)
                return RegisteredChannel(self._channel(view, shown))

            work.days.lock_account(view.account_id)
            answer = self._once(work.registered, "RegisterChannel", view, command, register)
            work.commit()
        self.write_hot(view, answer.channel.channel_id)
        return answer

    def list(self, command: ListChannels) -> ChannelPage:
        view = require_account(self._accounts, command.account_id)
        limit, offset = validation.page(command.page_size, command.page_token)
        with self._work() as work:
            found = work.days.channels(view.account_id, limit=limit, offset=offset)
            pool = work.days.pool(view.account_id)
        return ChannelPage(
            channels=tuple(self._channel(view, record) for record in found),
            pool_days=pool,
            next_page_token=validation.next_page_token(offset, limit, len(found)),
        )

    def allocate(self, command: AllocateDays) -> AllocatedDays:
        view = require_account(self._accounts, command.account_id)
        channel_id = validation.require_id(command.channel_id, "channel_id")
        _days(command.days)
        validation.text(command.idempotency_key, "idempotency_key", required=True)
        with self._work() as work:

            def allocate() -> AllocatedDays:
                found = work.days.channel(view.account_id, channel_id)
                if found is None or found.deleted:
                    raise NotFound(f"channel {channel_id!r} not found")
                pool = work.days.pool(view.account_id)
                if pool < command.days:
                    raise FailedPrecondition(
                        f"the pool holds {pool} days, {command.days} asked", "days"
                    )
                now_ms = self._clock.now_ms()
                today = local_day(view.time_zone, now_ms)
                paid = found.paid_through
                start = today if paid is None or paid < today else paid + dt.timedelta(days=1)
                through = start + dt.timedelta(days=command.days - 1)
                work.days.pay_through(view.account_id, channel_id, through, now_ms)
                work.days.move(view.account_id, channel_id, "allocated", -command.days, "", now_ms)
                shown = work.days.channel(view.account_id, channel_id)
                return AllocatedDays(self._channel(view, shown), pool - command.days)

            work.days.lock_account(view.account_id)
            answer = self._once(work.allocated, "AllocateDays", view, command, allocate)
            work.commit()
        self.write_hot(view, channel_id)
        return answer

    def delete(self, command: DeleteChannel) -> DeletedChannel:
        """Unused whole days (those after today) go back to the pool; a second delete returns 0."""
        view = require_account(self._accounts, command.account_id)
        channel_id = validation.require_id(command.channel_id, "channel_id")
        with self._work() as work:

            def delete() -> DeletedChannel:
                found = work.days.channel(view.account_id, channel_id)
                if found is None:
                    raise NotFound(f"channel {channel_id!r} not found")
                returned = 0
                if not found.deleted:
                    now_ms = self._clock.now_ms()
                    paid = found.paid_through
                    today = local_day(view.time_zone, now_ms)
                    returned = max((paid - today).days, 0) if paid is not None else 0
                    if returned:
                        work.days.move(
                            view.account_id, channel_id, "returned", returned, "", now_ms
                        )
                    work.days.mark_deleted(view.account_id, channel_id, now_ms)
                    channel_days.record(work.days, view, channel_id, DELETED, now_ms)
                shown = work.days.channel(view.account_id, channel_id)
                return DeletedChannel(
                    self._channel(view, shown), returned, work.days.pool(view.account_id)
                )

            work.days.lock_account(view.account_id)
            answer = self._once(work.deleted, "DeleteChannel", view, command, delete)
            work.commit()
        self.write_hot(view, channel_id)
        return answer

    def count_channel_days(self, command: CountChannelDays) -> ChannelDayCount:
        """Channel-days of a date range and the channels live as it began (channel_days.py)."""
        view = require_account(self._accounts, command.account_id)
        first, last = channel_days.date_range(command.from_date, command.to_date)
        with self._work() as work:
            counted = work.days.count_channel_days(view.account_id, first, last)
            days_account = work.days.bought_days(view.account_id)
        return ChannelDayCount(
            counted.channel_days, counted.live_channels, counted.channels_used, days_account
        )

    def write_hot(self, view: AccountView, channel_id: str) -> None:
        """Copy one channel's end of paid days to Redis; a deleted channel may not send."""
        with self._work() as work:
            found = work.days.channel(view.account_id, channel_id)
            days_account = work.days.bought_days(view.account_id)
        until_ms = None
        if found is not None and not found.deleted:
            until_ms = paid_until_ms(view.time_zone, found.paid_through)
        keys = self._partitioner.keys(view.account_id)
        self._hot.write_channel_days(keys, view.account_id, days_account, channel_id, until_ms)

    def restore_hot(self, account_id: str) -> int:
        """Write an account's channels to Redis again from SQL (after Redis lost them).

        An account that ever bought days is a days account: its channels send only while they
        have paid days, even with none left. Registering a phone number alone (to show it, or
        to keep funds per number) changes nothing about sending.
        """
        view = self._accounts.view(account_id)
        if view is None:
            return 0
        with self._work() as work:
            found = work.days.channels(account_id)
            days_account = work.days.bought_days(account_id)
        if not found and not days_account:
            return 0
        until_ms = {
            record.channel_id: paid_until_ms(view.time_zone, record.paid_through)
            for record in found
            if not record.deleted
        }
        keys = self._partitioner.keys(account_id)
        self._hot.replace_channel_days(keys, account_id, days_account, until_ms)
        return len(found)

    def balances(self, account_id: str) -> Sequence[tuple[str, int]]:
        """(channel, days): the pool (channel "") and each live channel's paid days left."""
        view = require_account(self._accounts, account_id)
        with self._work() as work:
            if not work.days.bought_days(view.account_id):
                return []
            pool = work.days.pool(view.account_id)
            found = work.days.channels(view.account_id, live_only=True, limit=MAX_CHANNELS_SHOWN)
        return [("", pool)] + [
            (record.channel_id, self._channel(view, record).days_remaining) for record in found
        ]

    def _once(
        self,
        replies: Replies[Answer],
        method: str,
        view: AccountView,
        command: AddDays | TakeBackDays | RegisterChannel | AllocateDays | DeleteChannel,
        action: Callable[[], Answer],
    ) -> Answer:
        if not command.idempotency_key:
            return action()  # registering and deleting are idempotent by nature
        scope = f"{method}:{view.account_id}"
        key, digest = command.idempotency_key, command.request_sha256
        return once(replies, scope, key, digest, action)

    def _channel(self, view: AccountView, found: ChannelRecord | None) -> Channel:
        if found is None:
            raise NotFound("channel not found")
        paid = found.paid_through
        today = local_day(view.time_zone, self._clock.now_ms())
        remaining = (paid - today).days + 1 if paid is not None and paid >= today else 0
        return Channel(
            channel_id=found.channel_id,
            account_id=found.account_id,
            display_phone_number=found.display_phone_number,
            days_remaining=remaining,
            paid_through_date=paid.isoformat() if paid is not None else "",
            deleted=found.deleted,
        )


def _days(days: int) -> None:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidArgument("days", f"must be 1 to {MAX_DAYS:,}")


def _phone(number: str) -> None:
    if not number:
        return
    digits = number[1:] if number.startswith("+") else number
    if not digits.isdigit() or not digits.isascii() or len(number) > MAX_PHONE_LENGTH:
        raise InvalidArgument("display_phone_number", f"expected a phone number, got {number!r}")

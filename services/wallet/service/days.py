"""Days (the partner program): bought days fill the account's pool; days allocated to a
channel extend its paid-through date, counted in the account's time zone from the day of
allocation; deleting a channel returns its unused whole days. The pool is the sum of its
movements, never edited. Each channel's end of paid days is kept hot for the send path."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from billing.wallet.v1 import funds_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from redis.typing import EncodableT, FieldT
from sqlalchemy.engine import Connection, Engine, RowMapping

from services.common import idempotency, validation
from services.common.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from services.common.redis_client import RedisClient
from services.wallet.adapters import tables
from services.wallet.domain.accounts import AccountView
from services.wallet.domain.partitions import Partitioner
from services.wallet.service import channel_days
from services.wallet.service.account_lock import lock_account
from services.wallet.service.accounts import Accounts, require_account
from services.wallet.service.channel_days import DELETED, REGISTERED

MAX_DAYS = 10_000_000  # a partner's order: 100,000 channels x 100 days
MAX_PHONE_LENGTH = 32
MAX_CHANNELS_SHOWN = 1_000  # channels listed in a balance (ListChannels pages them all)
DAYS_ACCOUNT = "*"  # the field that marks an account whose channels need paid days
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Days:
    def __init__(
        self,
        engine: Engine,
        accounts: Accounts,
        hot: RedisClient,
        partitioner: Partitioner,
        clock: Clock = utc_now,
    ) -> None:
        self._engine = engine
        self._accounts = accounts
        self._hot = hot
        self._partitioner = partitioner
        self._clock = clock

    def add(self, request: pb.AddDaysRequest) -> pb.AddDaysResponse:
        view = require_account(self._accounts, request.account_id)
        _days(request.days)
        validation.text(request.reference, "reference", max_length=200)
        validation.text(request.idempotency_key, "idempotency_key", required=True)

        def add() -> pb.AddDaysResponse:
            _move(connection, view.account_id, "", "bought", request.days, request.reference)
            return pb.AddDaysResponse(pool_days=_pool(connection, view.account_id))

        with self._engine.begin() as connection:
            lock_account(connection, view.account_id)
            response = self._once(connection, "AddDays", view, request, add)
        self.restore_hot(view.account_id)  # a days account from now on: its channels need days
        return response

    def take_back(self, request: pb.TakeBackDaysRequest) -> pb.TakeBackDaysResponse:
        """Bought days taken back out of the pool (their payment was refunded or disputed);
        refused, saying so, when the pool no longer holds them: days allocated to a channel
        are the channel's until they are returned."""
        view = require_account(self._accounts, request.account_id)
        _days(request.days)
        validation.text(request.reference, "reference", max_length=200)
        validation.text(request.idempotency_key, "idempotency_key", required=True)

        def take_back() -> pb.TakeBackDaysResponse:
            pool = _pool(connection, view.account_id)
            if pool < request.days:
                raise FailedPrecondition(
                    f"only {pool} of the {request.days} days are left in the pool; the others "
                    "were allocated to channels (delete a channel to return its unused days)",
                    "days",
                )
            _move(connection, view.account_id, "", "taken_back", -request.days, request.reference)
            return pb.TakeBackDaysResponse(pool_days=pool - request.days)

        with self._engine.begin() as connection:
            lock_account(connection, view.account_id)
            return self._once(connection, "TakeBackDays", view, request, take_back)

    def register(self, request: pb.RegisterChannelRequest) -> pb.RegisterChannelResponse:
        view = require_account(self._accounts, request.account_id)
        channel_id = validation.require_id(request.channel_id, "channel_id")
        _phone(request.display_phone_number)

        def register() -> pb.RegisterChannelResponse:
            row = _channel_row(connection, view.account_id, channel_id)
            values = {"display_phone_number": request.display_phone_number}
            if row is not None and not row["deleted"]:
                if row["display_phone_number"] != request.display_phone_number:
                    raise AlreadyExists(f"channel {channel_id!r} is registered")
            elif row is not None:
                _update(connection, view.account_id, channel_id, deleted=False, **values)
                channel_days.record(connection, view, channel_id, REGISTERED, self._clock())
            else:
                now_ms = _now_ms()
                connection.execute(
                    tables.channels.insert().values(
                        account_id=view.account_id,
                        channel_id=channel_id,
                        paid_through=None,
                        deleted=False,
                        created_ms=now_ms,
                        updated_ms=now_ms,
                        **values,
                    )
                )
                channel_days.record(connection, view, channel_id, REGISTERED, self._clock())
            found = _channel_row(connection, view.account_id, channel_id)
            return pb.RegisterChannelResponse(channel=self._channel(view, found))

        with self._engine.begin() as connection:
            lock_account(connection, view.account_id)
            response = self._once(connection, "RegisterChannel", view, request, register)
        self.write_hot(view, response.channel.channel_id)
        return response

    def list(self, request: pb.ListChannelsRequest) -> pb.ListChannelsResponse:
        view = require_account(self._accounts, request.account_id)
        limit, offset = validation.page(request.page_size, request.page_token)
        channels = tables.channels.c
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(tables.channels)
                    .where(channels.account_id == view.account_id)
                    .order_by(channels.channel_id)
                    .limit(limit)
                    .offset(offset)
                )
                .mappings()
                .all()
            )
            pool = _pool(connection, view.account_id)
        return pb.ListChannelsResponse(
            channels=[self._channel(view, row) for row in rows],
            pool_days=pool,
            next_page_token=validation.next_page_token(offset, limit, len(rows)),
        )

    def allocate(self, request: pb.AllocateDaysRequest) -> pb.AllocateDaysResponse:
        view = require_account(self._accounts, request.account_id)
        channel_id = validation.require_id(request.channel_id, "channel_id")
        _days(request.days)
        validation.text(request.idempotency_key, "idempotency_key", required=True)

        def allocate() -> pb.AllocateDaysResponse:
            row = _channel_row(connection, view.account_id, channel_id)
            if row is None or row["deleted"]:
                raise NotFound(f"channel {channel_id!r} not found")
            pool = _pool(connection, view.account_id)
            if pool < request.days:
                raise FailedPrecondition(
                    f"the pool holds {pool} days, {request.days} asked", "days"
                )
            today = self._today(view)
            paid = _paid_through(row)
            start = today if paid is None or paid < today else paid + dt.timedelta(days=1)
            through = start + dt.timedelta(days=request.days - 1)
            _update(connection, view.account_id, channel_id, paid_through=through.isoformat())
            _move(connection, view.account_id, channel_id, "allocated", -request.days, "")
            found = _channel_row(connection, view.account_id, channel_id)
            return pb.AllocateDaysResponse(
                channel=self._channel(view, found), pool_days=pool - request.days
            )

        with self._engine.begin() as connection:
            lock_account(connection, view.account_id)
            response = self._once(connection, "AllocateDays", view, request, allocate)
        self.write_hot(view, channel_id)
        return response

    def delete(self, request: pb.DeleteChannelRequest) -> pb.DeleteChannelResponse:
        """Unused whole days (those after today) go back to the pool; a second delete returns 0."""
        view = require_account(self._accounts, request.account_id)
        channel_id = validation.require_id(request.channel_id, "channel_id")

        def delete() -> pb.DeleteChannelResponse:
            row = _channel_row(connection, view.account_id, channel_id)
            if row is None:
                raise NotFound(f"channel {channel_id!r} not found")
            returned = 0
            if not row["deleted"]:
                paid = _paid_through(row)
                today = self._today(view)
                returned = max((paid - today).days, 0) if paid is not None else 0
                if returned:
                    _move(connection, view.account_id, channel_id, "returned", returned, "")
                _update(connection, view.account_id, channel_id, deleted=True, paid_through=None)
                channel_days.record(connection, view, channel_id, DELETED, self._clock())
            found = _channel_row(connection, view.account_id, channel_id)
            return pb.DeleteChannelResponse(
                channel=self._channel(view, found),
                returned_days=returned,
                pool_days=_pool(connection, view.account_id),
            )

        with self._engine.begin() as connection:
            lock_account(connection, view.account_id)
            response = self._once(connection, "DeleteChannel", view, request, delete)
        self.write_hot(view, channel_id)
        return response

    def count_channel_days(
        self, request: pb.CountChannelDaysRequest
    ) -> pb.CountChannelDaysResponse:
        """Channel-days of a date range and the channels live as it began (channel_days.py)."""
        view = require_account(self._accounts, request.account_id)
        first, last = channel_days.date_range(request.from_date, request.to_date)
        with self._engine.connect() as connection:
            counted = channel_days.count(connection, view.account_id, first, last)
            days_account = _bought_days(connection, view.account_id)
        return pb.CountChannelDaysResponse(
            channel_days=counted.channel_days,
            live_channels=counted.live_channels,
            channels_used=counted.channels_used,
            days_account=days_account,
        )

    def write_hot(self, view: AccountView, channel_id: str) -> None:
        """Copy one channel's end of paid days to Redis; a deleted channel may not send."""
        with self._engine.connect() as connection:
            row = _channel_row(connection, view.account_id, channel_id)
            days_account = _bought_days(connection, view.account_id)
        key = self._partitioner.keys(view.account_id).channel_days(view.account_id)
        pipe = self._hot.pipeline(transaction=False)
        if days_account:
            pipe.hset(key, DAYS_ACCOUNT, "1")
        if row is None or row["deleted"]:
            pipe.hdel(key, channel_id)
        else:
            pipe.hset(key, channel_id, _paid_until_ms(view, _paid_through(row)))
        pipe.execute()

    def restore_hot(self, account_id: str) -> int:
        """Write an account's channels to Redis again from SQL (after Redis lost them).

        An account that ever bought days is a days account: its channels send only while they
        have paid days, even with none left. Registering a phone number alone (to show it, or
        to keep funds per number) changes nothing about sending.
        """
        view = self._accounts.view(account_id)
        if view is None:
            return 0
        channels = tables.channels.c
        with self._engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(tables.channels).where(channels.account_id == account_id)
                )
                .mappings()
                .all()
            )
            days_account = _bought_days(connection, account_id)
        if not rows and not days_account:
            return 0
        key = self._partitioner.keys(account_id).channel_days(account_id)
        mapping: dict[FieldT, EncodableT] = {DAYS_ACCOUNT: "1"} if days_account else {}
        for row in rows:
            if not row["deleted"]:
                mapping[row["channel_id"]] = _paid_until_ms(view, _paid_through(row))
        pipe = self._hot.pipeline(transaction=True)
        pipe.delete(key)
        if mapping:
            pipe.hset(key, mapping=mapping)
        pipe.execute()
        return len(rows)

    def balances(self, account_id: str) -> Sequence[tuple[str, int]]:
        """(channel, days): the pool (channel "") and each live channel's paid days left."""
        view = require_account(self._accounts, account_id)
        channels = tables.channels.c
        with self._engine.connect() as connection:
            if not _bought_days(connection, view.account_id):
                return []
            pool = _pool(connection, view.account_id)
            rows = (
                connection.execute(
                    sa.select(tables.channels)
                    .where(channels.account_id == view.account_id, channels.deleted.is_(False))
                    .order_by(channels.channel_id)
                    .limit(MAX_CHANNELS_SHOWN)
                )
                .mappings()
                .all()
            )
        return [("", pool)] + [
            (row["channel_id"], self._channel(view, row).days_remaining) for row in rows
        ]

    def _once(
        self,
        connection: Connection,
        method: str,
        view: AccountView,
        request: Any,
        action: Callable[[], Any],
    ) -> Any:
        if not request.idempotency_key:
            return action()  # registering and deleting are idempotent by nature
        return idempotency.once(
            connection,
            tables.idempotency_keys,
            f"{method}:{view.account_id}",
            request.idempotency_key,
            request,
            _RESPONSES[method],
            action,
        )

    def _today(self, view: AccountView) -> dt.date:
        return self._clock().astimezone(ZoneInfo(view.time_zone)).date()

    def _channel(self, view: AccountView, row: RowMapping | None) -> funds_pb2.Channel:
        if row is None:
            raise NotFound("channel not found")
        paid = _paid_through(row)
        today = self._today(view)
        remaining = (paid - today).days + 1 if paid is not None and paid >= today else 0
        return funds_pb2.Channel(
            channel_id=row["channel_id"],
            account_id=row["account_id"],
            display_phone_number=row["display_phone_number"],
            days_remaining=remaining,
            paid_through_date=paid.isoformat() if paid is not None else "",
            deleted=row["deleted"],
        )


_RESPONSES: dict[str, Any] = {
    "AddDays": pb.AddDaysResponse,
    "TakeBackDays": pb.TakeBackDaysResponse,
    "RegisterChannel": pb.RegisterChannelResponse,
    "AllocateDays": pb.AllocateDaysResponse,
    "DeleteChannel": pb.DeleteChannelResponse,
}


def _days(days: int) -> None:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidArgument("days", f"must be 1 to {MAX_DAYS:,}")


def _phone(number: str) -> None:
    if not number:
        return
    digits = number[1:] if number.startswith("+") else number
    if not digits.isdigit() or not digits.isascii() or len(number) > MAX_PHONE_LENGTH:
        raise InvalidArgument("display_phone_number", f"expected a phone number, got {number!r}")


def _paid_through(row: RowMapping) -> dt.date | None:
    value = row["paid_through"]
    return dt.date.fromisoformat(value) if value else None


def _paid_until_ms(view: AccountView, paid: dt.date | None) -> int:
    """The instant the paid days end: midnight after the last paid day, in the account's zone."""
    if paid is None:
        return 0
    after = paid + dt.timedelta(days=1)
    zone = ZoneInfo(view.time_zone)
    return int(dt.datetime(after.year, after.month, after.day, tzinfo=zone).timestamp() * 1000)


def _channel_row(connection: Connection, account_id: str, channel_id: str) -> RowMapping | None:
    channels = tables.channels.c
    return (
        connection.execute(
            sa.select(tables.channels).where(
                channels.account_id == account_id, channels.channel_id == channel_id
            )
        )
        .mappings()
        .first()
    )


def _update(connection: Connection, account_id: str, channel_id: str, **values: Any) -> None:
    channels = tables.channels.c
    connection.execute(
        tables.channels.update()
        .where(channels.account_id == account_id, channels.channel_id == channel_id)
        .values(updated_ms=_now_ms(), **values)
    )


def _move(
    connection: Connection, account_id: str, channel_id: str, kind: str, days: int, reference: str
) -> None:
    connection.execute(
        tables.day_movements.insert().values(
            movement_id=f"{kind}:{uuid.uuid4().hex}",
            account_id=account_id,
            channel_id=channel_id,
            kind=kind,
            days=days,
            reference=reference,
            created_ms=_now_ms(),
        )
    )


def _bought_days(connection: Connection, account_id: str) -> bool:
    moves = tables.day_movements.c
    found = connection.execute(
        sa.select(moves.id).where(moves.account_id == account_id, moves.kind == "bought").limit(1)
    ).first()
    return found is not None


def _pool(connection: Connection, account_id: str) -> int:
    movements = tables.day_movements.c
    total = connection.execute(
        sa.select(sa.func.coalesce(sa.func.sum(movements.days), 0)).where(
            movements.account_id == account_id
        )
    ).scalar_one()
    return int(total)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000

"""Accounts: create, read, update. SQL is the record; Redis holds the hot copy; each change
publishes AccountChanged through the outbox, in the same SQL transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from billing.wallet.v1 import account_pb2
from billing.wallet.v1 import wallet_service_pb2 as pb
from sqlalchemy.engine import Connection, Engine

from services.common import idempotency, outbox, validation
from services.common.clock import Clock
from services.common.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from services.wallet.adapters import tables
from services.wallet.domain.accounts import POSTPAID, SOFT_LIMIT, AccountView
from services.wallet.domain.partitions import Partitioner
from services.wallet.service import funding, profiles
from services.wallet.service.ports.accounts import AccountHotCopy
from services.wallet.service.settings import ACCOUNTS_STREAM

MAX_CACHED_VIEWS = 100_000
DEFAULT_VIEW_MAX_AGE_S = 30.0
EVENT_TYPE = account_pb2.AccountChanged.DESCRIPTOR.full_name


class AccountCache:
    """Views of accounts in this process; dropped on AccountChanged (bounded). A view older than
    max_age_s is read again, so a change whose event never arrived still lands by then. Ages are
    told by the clock's monotonic reading."""

    def __init__(self, ticks: Clock, max_age_s: float = DEFAULT_VIEW_MAX_AGE_S) -> None:
        self._views: dict[str, tuple[AccountView, int]] = {}
        self._max_age_ms = max_age_s * 1000
        self._ticks = ticks

    def get(self, account_id: str) -> AccountView | None:
        found = self._views.get(account_id)
        if found is None:
            return None
        view, loaded = found
        if self._ticks.monotonic_ms() - loaded > self._max_age_ms:
            return None
        return view

    def put(self, view: AccountView) -> None:
        if len(self._views) >= MAX_CACHED_VIEWS:
            self._views.clear()
        self._views[view.account_id] = (view, self._ticks.monotonic_ms())

    def invalidate(self, account_id: str) -> None:
        self._views.pop(account_id, None)


class Accounts:
    def __init__(
        self,
        engine: Engine,
        hot: AccountHotCopy,
        partitioner: Partitioner,
        cache: AccountCache,
        clock: Clock,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._hot = hot
        self._partitioner = partitioner
        self.cache = cache
        # Told an account id after its hot copy was written again (hot state kept beside it).
        self.on_refresh: list[Callable[[str], object]] = []

    def create(self, request: pb.CreateAccountRequest) -> pb.CreateAccountResponse:
        profile = profiles.normalise(request.profile)
        key = request.idempotency_key or f"account:{profile.account_id}"
        now_ms = self._clock.now_ms()

        def insert() -> pb.CreateAccountResponse:
            exists = connection.execute(
                sa.select(tables.accounts.c.account_id).where(
                    tables.accounts.c.account_id == profile.account_id
                )
            ).first()
            if exists is not None:
                raise AlreadyExists(f"account {profile.account_id!r} already exists")
            profile.create_time.FromMilliseconds(now_ms)
            profile.update_time.FromMilliseconds(now_ms)
            connection.execute(
                tables.accounts.insert().values(
                    account_id=profile.account_id,
                    created_ms=now_ms,
                    **_columns(profile, version=1, now_ms=now_ms),
                )
            )
            view = profiles.view_of(profile, 1)
            funding.record(
                connection,
                view.account_id,
                local_today(view.time_zone, now_ms),
                view.funding_mode,
                view.limit_micros,
                applied=True,
            )
            _publish(connection, profile, now_ms)
            return pb.CreateAccountResponse(account=profile)

        with self._engine.begin() as connection:
            response = idempotency.once(
                connection,
                tables.idempotency_keys,
                "CreateAccount",
                key,
                request,
                pb.CreateAccountResponse,
                insert,
            )
        self.refresh(profile.account_id)
        return response

    def get(self, request: pb.GetAccountRequest) -> pb.GetAccountResponse:
        validation.require_id(request.account_id, "account_id")
        found = self._load(request.account_id)
        if found is None:
            raise NotFound(f"account {request.account_id!r} not found")
        return pb.GetAccountResponse(account=found[0])

    def update(
        self, request: pb.UpdateAccountRequest, scheduled: bool = False
    ) -> pb.UpdateAccountResponse:
        """scheduled: a switch whose day has come (its day may be past), not a new change."""
        validation.require_id(request.account_id, "account_id")
        validation.text(request.update_mask, "update_mask", required=True)
        validation.text(request.funding_effective_date, "funding_effective_date", max_length=10)
        key = request.idempotency_key or f"update:{uuid.uuid4().hex}"
        now_ms = self._clock.now_ms()

        def change() -> pb.UpdateAccountResponse:
            row = connection.execute(
                sa.select(tables.accounts.c.profile, tables.accounts.c.version)
                .where(tables.accounts.c.account_id == request.account_id)
                .with_for_update()
            ).first()
            if row is None:
                raise NotFound(f"account {request.account_id!r} not found")
            current = account_pb2.AccountProfile.FromString(row.profile)
            merged = profiles.normalise(
                profiles.merge(current, request.profile, request.update_mask)
            )
            if merged.balance_scope != current.balance_scope and _has_ledger(
                connection, request.account_id
            ):
                raise FailedPrecondition(
                    "balance_scope cannot change once the account holds funds", "balance_scope"
                )
            merged = self._funding_terms(connection, current, merged, request, now_ms, scheduled)
            merged.update_time.FromMilliseconds(now_ms)
            connection.execute(
                tables.accounts.update()
                .where(tables.accounts.c.account_id == request.account_id)
                .values(**_columns(merged, version=row.version + 1, now_ms=now_ms))
            )
            _publish(connection, merged, now_ms)
            return pb.UpdateAccountResponse(account=merged)

        with self._engine.begin() as connection:
            response = idempotency.once(
                connection,
                tables.idempotency_keys,
                f"UpdateAccount:{request.account_id}",
                key,
                request,
                pb.UpdateAccountResponse,
                change,
            )
        self.refresh(request.account_id)
        return response

    def _funding_terms(
        self,
        connection: Connection,
        current: account_pb2.AccountProfile,
        merged: account_pb2.AccountProfile,
        request: pb.UpdateAccountRequest,
        now_ms: int,
        scheduled: bool,
    ) -> account_pb2.AccountProfile:
        """Record a change of funding terms by its day: today's apply now, a later day's are
        scheduled (the profile keeps today's terms until then)."""
        names = {name.strip() for name in request.update_mask.split(",")}
        given = request.funding_effective_date
        if not funding.FIELDS & names:
            if given:
                raise InvalidArgument(
                    "funding_effective_date", "only with a change of the funding terms"
                )
            return merged
        today = local_today(current.time_zone or "UTC", now_ms)
        day = validation.date(given, "funding_effective_date") if given else today
        if day < today and not scheduled:
            raise InvalidArgument("funding_effective_date", f"must not be before {today}")
        if (day - today).days > funding.MAX_SCHEDULE_DAYS:
            raise InvalidArgument(
                "funding_effective_date", f"at most {funding.MAX_SCHEDULE_DAYS} days ahead"
            )
        terms = profiles.view_of(merged, 0)
        account_id = current.account_id
        if day > today:
            funding.record(
                connection, account_id, day, terms.funding_mode, terms.limit_micros, False
            )
            kept = account_pb2.AccountProfile()
            kept.CopyFrom(merged)
            for name in funding.FIELDS:
                setattr(kept, name, getattr(current, name))
            return kept
        if not scheduled:
            funding.drop_scheduled_after(connection, account_id, day)
        funding.record(
            connection, account_id, day, terms.funding_mode, terms.limit_micros, applied=True
        )
        return merged

    def funding_periods(self, request: pb.GetFundingPeriodsRequest) -> pb.GetFundingPeriodsResponse:
        view = require_account(self, request.account_id)
        start, end = validation.date_range(request.from_date, request.to_date)
        with self._engine.connect() as connection:
            covering, later = funding.periods(connection, view.account_id, start, end)
        return pb.GetFundingPeriodsResponse(
            periods=[_period(p) for p in covering], scheduled=[_period(p) for p in later]
        )

    def apply_scheduled_funding(self, limit: int) -> int:
        """The loop: switches whose day has come in the account's time zone; how many."""
        now_ms = self._clock.now_ms()
        tomorrow = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC).date() + dt.timedelta(days=1)
        with self._engine.connect() as connection:
            waiting = funding.due(connection, tomorrow, limit)
        applied = 0
        for account_id, day in waiting:
            view = self.view(account_id)
            if view is None or day > local_today(view.time_zone, now_ms):
                continue
            with self._engine.connect() as connection:
                terms = funding.scheduled(connection, account_id, day)
            if terms is None:
                continue
            mode, limit_micros = terms
            profile = account_pb2.AccountProfile(funding_mode=profiles.MODE_ENUMS[mode])
            if mode == SOFT_LIMIT:
                profile.overdraft_limit_micros = limit_micros
            elif mode == POSTPAID:
                profile.credit_limit_micros = limit_micros
            self.update(
                pb.UpdateAccountRequest(
                    account_id=account_id,
                    profile=profile,
                    update_mask=",".join(sorted(funding.FIELDS)),
                    funding_effective_date=day.isoformat(),
                    idempotency_key=f"funding:{account_id}:{day.isoformat()}",
                ),
                scheduled=True,
            )
            applied += 1
        return applied

    def view(self, account_id: str) -> AccountView | None:
        """The send path's view: from this process's cache, else from SQL."""
        view = self.cache.get(account_id)
        if view is not None:
            return view
        found = self._load(account_id)
        if found is None:
            return None
        view = profiles.view_of(found[0], found[1])
        self.cache.put(view)
        return view

    def refresh(self, account_id: str) -> AccountView | None:
        """Drop the cached view and write the hot copy again from SQL."""
        self.cache.invalidate(account_id)
        view = self.view(account_id)
        if view is not None:
            self.write_hot_copy(view)
            for restore in self.on_refresh:
                restore(account_id)
        return view

    def write_hot_copy(self, view: AccountView) -> None:
        self._hot.write_account(
            self._partitioner.keys(view.account_id),
            view.account_id,
            view.version,
            view.status,
            view.funding_mode,
            view.limit_micros,
            view.currency,
            view.balance_scope,
        )

    def all_views(self) -> list[AccountView]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(tables.accounts.c.profile, tables.accounts.c.version).order_by(
                    tables.accounts.c.account_id
                )
            ).all()
        return [
            profiles.view_of(account_pb2.AccountProfile.FromString(row.profile), row.version)
            for row in rows
        ]

    def _load(self, account_id: str) -> tuple[account_pb2.AccountProfile, int] | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(tables.accounts.c.profile, tables.accounts.c.version).where(
                    tables.accounts.c.account_id == account_id
                )
            ).first()
        if row is None:
            return None
        return account_pb2.AccountProfile.FromString(row.profile), row.version


def _columns(profile: account_pb2.AccountProfile, version: int, now_ms: int) -> dict[str, object]:
    view = profiles.view_of(profile, version)
    return {
        "currency_code": profile.currency_code,
        "status": view.status,
        "funding_mode": view.funding_mode,
        "balance_scope": view.balance_scope,
        "overdraft_limit_micros": profile.overdraft_limit_micros,
        "version": version,
        "profile": profile.SerializeToString(deterministic=True),
        "updated_ms": now_ms,
        "search_name": search_name(profile.display_name),
    }


def search_name(display_name: str) -> str:
    """What operators' searches match a display name against."""
    return display_name.casefold()[:200]


def _publish(connection: Connection, profile: account_pb2.AccountProfile, now_ms: int) -> None:
    event_id = uuid.uuid4().hex
    event = account_pb2.AccountChanged(event_id=event_id, profile=profile)
    outbox.add(connection, tables.outbox, [outbox.event(ACCOUNTS_STREAM, event_id, event)])


def _period(period: funding.Period) -> pb.FundingPeriod:
    return pb.FundingPeriod(
        funding_mode=profiles.MODE_ENUMS[period.mode],
        from_date=period.start.isoformat(),
        to_date=period.end.isoformat(),
        limit_micros=period.limit_micros,
    )


def local_today(time_zone: str, now_ms: int) -> dt.date:
    return dt.datetime.fromtimestamp(now_ms / 1000, ZoneInfo(time_zone)).date()


def _has_ledger(connection: Connection, account_id: str) -> bool:
    found = connection.execute(
        sa.select(tables.ledger_entries.c.id)
        .where(tables.ledger_entries.c.account_id == account_id)
        .limit(1)
    ).first()
    return found is not None


def require_account(accounts: Accounts, account_id: str) -> AccountView:
    validation.require_id(account_id, "account_id")
    view = accounts.view(account_id)
    if view is None:
        raise NotFound(f"account {account_id!r} not found")
    return view

"""CountChannelDays: the channels an account kept, day by day in its time zone. A channel is
live from the day it is registered up to the day before it is deleted; each period of a
channel deleted and registered again counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import grpc
import pytest
import sqlalchemy as sa
from billing.wallet.v1 import wallet_service_pb2 as pb

from tests.wallet.clocked import MovableClock, serve_clocked
from tests.wallet.conftest import DEADLINE_S, WalletUnderTest, wallet_env
from tests.wallet.helpers import field_of, refused

ZONE = "Asia/Kolkata"  # UTC+5:30: 20:00 UTC is already the next day there


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))


@pytest.fixture
def wallet(database_url: str, redis_url: str, clock: MovableClock) -> Iterator[WalletUnderTest]:
    yield from serve_clocked(wallet_env(database_url, redis_url), clock)


def register(wallet: WalletUnderTest, account: str, channel: str) -> None:
    wallet.stub.RegisterChannel(
        pb.RegisterChannelRequest(account_id=account, channel_id=channel), timeout=DEADLINE_S
    )


def delete(wallet: WalletUnderTest, account: str, channel: str) -> None:
    wallet.stub.DeleteChannel(
        pb.DeleteChannelRequest(account_id=account, channel_id=channel), timeout=DEADLINE_S
    )


def counted(
    wallet: WalletUnderTest, account: str, first: str, last: str
) -> pb.CountChannelDaysResponse:
    return wallet.stub.CountChannelDays(
        pb.CountChannelDaysRequest(account_id=account, from_date=first, to_date=last),
        timeout=DEADLINE_S,
    )


def days_of(wallet: WalletUnderTest, account: str, first: str, last: str) -> int:
    return counted(wallet, account, first, last).channel_days


def test_the_day_of_registration_counts_and_the_day_of_deletion_does_not(
    wallet: WalletUnderTest, clock: MovableClock
) -> None:
    account = wallet.create_account(time_zone=ZONE)
    clock.at("2026-03-10 20:00")  # 11 March, 01:30 in Kolkata
    register(wallet, account, "c1")
    assert days_of(wallet, account, "2026-03-01", "2026-03-31") == 21  # 11..31
    assert days_of(wallet, account, "2026-03-10", "2026-03-10") == 0
    assert days_of(wallet, account, "2026-03-11", "2026-03-11") == 1
    # Live as a day begins: registered before it.
    assert counted(wallet, account, "2026-03-11", "2026-03-31").live_channels == 0
    assert counted(wallet, account, "2026-03-12", "2026-03-31").live_channels == 1

    clock.at("2026-03-20 15:30", ZONE)
    delete(wallet, account, "c1")
    delete(wallet, account, "c1")  # deleted already: nothing more happens
    assert days_of(wallet, account, "2026-03-01", "2026-03-31") == 9  # 11..19
    assert days_of(wallet, account, "2026-03-19", "2026-03-19") == 1
    assert days_of(wallet, account, "2026-03-20", "2026-03-20") == 0
    # Deleted during the 20th: live as it began, not as the 21st did.
    assert counted(wallet, account, "2026-03-20", "2026-03-20").live_channels == 1
    assert counted(wallet, account, "2026-03-21", "2026-03-31").live_channels == 0


def test_a_channel_deleted_and_registered_again_counts_both_periods(
    wallet: WalletUnderTest, clock: MovableClock
) -> None:
    account = wallet.create_account(time_zone=ZONE)
    clock.at("2026-03-05 09:00", ZONE)
    register(wallet, account, "c1")
    clock.at("2026-03-10 09:00", ZONE)
    delete(wallet, account, "c1")
    clock.at("2026-03-25 09:00", ZONE)
    register(wallet, account, "c1")
    register(wallet, account, "c1")  # live already: nothing more happens
    assert days_of(wallet, account, "2026-03-01", "2026-03-31") == 5 + 7  # 5..9, 25..31
    assert days_of(wallet, account, "2026-04-01", "2026-04-30") == 30

    # Deleted and registered again on one day: that day counts once.
    clock.at("2026-04-10 09:00", ZONE)
    delete(wallet, account, "c1")
    clock.at("2026-04-10 18:00", ZONE)
    register(wallet, account, "c1")
    assert days_of(wallet, account, "2026-04-01", "2026-04-30") == 30
    assert days_of(wallet, account, "2026-04-10", "2026-04-10") == 1

    # Registered and deleted on one day: no day.
    clock.at("2026-04-15 08:00", ZONE)
    register(wallet, account, "c2")
    clock.at("2026-04-15 20:00", ZONE)
    delete(wallet, account, "c2")
    answer = counted(wallet, account, "2026-04-01", "2026-04-30")
    assert (answer.channel_days, answer.channels_used) == (30, 1)


def test_channel_days_add_up_every_channel(wallet: WalletUnderTest, clock: MovableClock) -> None:
    account = wallet.create_account(time_zone=ZONE)
    clock.at("2026-02-20 12:00", ZONE)
    for channel in ("a", "b", "c"):
        register(wallet, account, channel)
    clock.at("2026-03-16 12:00", ZONE)
    delete(wallet, account, "b")
    answer = counted(wallet, account, "2026-03-01", "2026-03-31")
    assert answer.channel_days == 31 + 15 + 31
    assert (answer.live_channels, answer.channels_used) == (3, 3)
    # Before any channel: nothing; a range that ends before the deletion sees it live.
    assert counted(wallet, account, "2026-01-01", "2026-01-31").channel_days == 0
    assert days_of(wallet, account, "2026-03-01", "2026-03-10") == 30


def test_an_account_that_bought_days_is_told_apart(
    wallet: WalletUnderTest, clock: MovableClock
) -> None:
    account = wallet.create_account()
    register(wallet, account, "c1")
    assert not counted(wallet, account, "2026-03-01", "2026-03-01").days_account
    wallet.stub.AddDays(
        pb.AddDaysRequest(account_id=account, days=30, idempotency_key="invoice:inv-1:days"),
        timeout=DEADLINE_S,
    )
    assert counted(wallet, account, "2026-03-01", "2026-03-01").days_account


def test_bad_requests_name_their_field(wallet: WalletUnderTest) -> None:
    account = wallet.create_account()
    missing = refused(
        wallet.stub.CountChannelDays,
        pb.CountChannelDaysRequest(
            account_id="nobody", from_date="2026-03-01", to_date="2026-03-31"
        ),
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    for first, last, field in (
        ("2026-13-01", "2026-03-31", "from_date"),
        ("", "2026-03-31", "from_date"),
        ("2026-03-01", "x" * 5_000, "to_date"),
        ("2026-03-31", "2026-03-01", "to_date"),  # backwards
        ("2026-01-01", "2027-01-02", "to_date"),  # 367 days
    ):
        error = refused(
            wallet.stub.CountChannelDays,
            pb.CountChannelDaysRequest(account_id=account, from_date=first, to_date=last),
        )
        assert field_of(error) == field
        assert len(error.details() or "") < 200
    assert days_of(wallet, account, "2026-01-01", "2027-01-01") == 0  # 366 days: allowed


def test_channels_registered_before_the_upgrade_are_counted_from_their_rows(
    database_url: str,
) -> None:
    """The migration takes each existing channel as registered when its row was made and a
    deleted one as deleted when it last changed, on days of the account's time zone."""
    from alembic import command
    from alembic.config import Config
    from billing.wallet.v1 import account_pb2

    from services.common import db
    from services.wallet.adapters.day_work import count_channel_days
    from services.wallet.bootstrap import MIGRATIONS

    engine = db.create_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010_payments_recharge_attempts")
    profile = account_pb2.AccountProfile(account_id="old", time_zone=ZONE).SerializeToString()
    march_10_late = int(dt.datetime(2026, 3, 10, 20, tzinfo=dt.UTC).timestamp() * 1000)
    march_20 = int(dt.datetime(2026, 3, 20, 6, tzinfo=dt.UTC).timestamp() * 1000)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO wallet_accounts (account_id, currency_code, status, funding_mode,"
                " balance_scope, overdraft_limit_micros, version, profile, created_ms,"
                " updated_ms) VALUES ('old', 'USD', 'active', 'prepaid', 'account', 0, 1,"
                " :profile, 0, 0)"
            ),
            {"profile": profile},
        )
        for channel, deleted, updated in (("kept", False, march_10_late), ("gone", True, march_20)):
            connection.execute(
                sa.text(
                    "INSERT INTO wallet_channels (account_id, channel_id, display_phone_number,"
                    " paid_through, deleted, created_ms, updated_ms) VALUES ('old', :channel,"
                    " '', NULL, :deleted, :created, :updated)"
                ),
                {
                    "channel": channel,
                    "deleted": deleted,
                    "created": march_10_late,
                    "updated": updated,
                },
            )
    db.migrate(engine, MIGRATIONS)
    with engine.connect() as connection:
        march = count_channel_days(connection, "old", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    engine.dispose()
    # Both from 11 March in Kolkata; "gone" until the 19th.
    assert (march.channel_days, march.channels_used) == (21 + 9, 2)

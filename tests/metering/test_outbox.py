"""Nothing is published for a write that rolled back, and its tier places are given back; events
waiting in the outbox survive the change of its layout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from billing.metering.v1 import events_pb2

from services.common import db
from services.metering.adapters import repository
from services.metering.bootstrap import MIGRATIONS
from tests.metering.conftest import Running, write_rate_cards
from tests.metering.helpers import charges, inbound, profile, status, windows
from tests.metering.test_tiers import KENYA, SMALL_TIERS, utility


def test_a_failed_batch_publishes_nothing_and_counts_nothing(
    start_metering: Callable[..., Running], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cards = write_rate_cards(tmp_path / "cards", {"tiers_USD_2026-10-01.csv": SMALL_TIERS})
    metering = start_metering(rate_cards=cards)
    metering.add_account("acc-1", profile("acct-o", portfolio_id="pf-o"))
    batch = [
        inbound("acct-o", "in-1", "2026-11-03T09:00:00+00:00", contact=KENYA),
        utility("acct-o", "k-1", "2026-11-03T10:00:00+00:00"),
        utility("acct-o", "k-2", "2026-11-03T10:00:01+00:00"),
    ]

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away mid-batch")

    with monkeypatch.context() as patch:
        patch.setattr(repository, "add_daily_usage", broken)
        with pytest.raises(grpc.RpcError) as raised:
            metering.record(*batch)
        assert raised.value.code() == grpc.StatusCode.INTERNAL
    assert charges(metering.redis) == [] and windows(metering.redis) == []

    retried = metering.record(*batch)
    assert retried.accepted_count == 3
    metering.record(status("acct-o", "k-3", "delivered", "2026-11-03T11:00:00+00:00",
                           contact=KENYA, category="utility"))  # fmt: skip
    assert [(c.message_id, c.tier) for c in charges(metering.redis)] == [
        ("k-1", 1),
        ("k-2", 1),
        ("k-3", 1),  # the 3rd of the month: the failed attempt's places were given back
    ]
    assert [w.message_id for w in windows(metering.redis)] == ["in-1"]


def test_events_waiting_in_the_per_event_outbox_are_published_after_the_upgrade(
    database_url: str, start_metering: Callable[..., Running]
) -> None:
    engine = db.create_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
        waiting = [
            events_pb2.ChargeSettled(event_id=f"acct-u:m-{n}:settle", message_id=f"m-{n}")
            for n in range(3)
        ]
        for event in waiting:
            connection.execute(
                sa.text(
                    "INSERT INTO metering_outbox (stream, event_id, type, payload) "
                    "VALUES ('billing.metering.charges', :id, :type, :payload)"
                ),
                {"id": event.event_id, "type": "billing.metering.v1.ChargeSettled",
                 "payload": event.SerializeToString()},
            )  # fmt: skip
    engine.dispose()
    metering = start_metering()  # migrates to the latest revision
    assert metering.wired.relay.drain() == 3
    assert charges(metering.redis) == waiting

"""Unique users added: dated by the contact's first activity, even when reported days late."""

from __future__ import annotations

from billing.metering.v1 import metering_service_pb2 as pb

from tests.metering.conftest import Running
from tests.metering.helpers import inbound, profile, status

ACCOUNT = "acct-f"
X, Y = "+14155550111", "+14155550122"


def added(metering: Running, channel: str = "") -> dict[str, int]:
    """Unique users added per day of March (local), days with none left out."""
    days = metering.stub.GetDailyUsage(
        pb.GetDailyUsageRequest(
            account_id=ACCOUNT, channel_id=channel, from_date="2026-03-01", to_date="2026-03-31"
        ),
        timeout=10,
    ).days
    return {d.date: d.unique_users_added for d in days if d.unique_users_added}


def test_a_contact_moves_to_its_earliest_day_when_earlier_events_arrive_later(
    metering: Running,
) -> None:
    metering.add_account("acc-f", profile(ACCOUNT, time_zone="America/Sao_Paulo"))  # UTC-3
    first_reports = (
        status(ACCOUNT, "m-x12", "delivered", "2026-03-12T15:00:00+00:00", contact=X),
        inbound(ACCOUNT, "in-y12", "2026-03-12T16:00:00+00:00", contact=Y, channel="ch-2"),
    )
    metering.record(*first_reports)
    assert added(metering) == {"2026-03-12": 2}
    assert added(metering, "ch-1") == {"2026-03-12": 1}

    metering.record(
        # 01:00 UTC on the 11th is 22:00 on the 10th in São Paulo: X moves to the 10th.
        status(
            ACCOUNT, "m-x10", "delivered", "2026-03-11T01:00:00+00:00", contact=X, channel="ch-2"
        ),
        # Sent but never delivered: not activity, moves nothing.
        status(ACCOUNT, "m-x05", "sent", "2026-03-05T12:00:00+00:00", contact=X),
        # A read status alone means delivered: Y moves to the 9th.
        status(ACCOUNT, "m-y09", "read", "2026-03-09T12:00:00+00:00", contact=Y, channel="ch-2"),
    )
    assert added(metering) == {"2026-03-09": 1, "2026-03-10": 1}
    assert added(metering, "ch-1") == {"2026-03-12": 1}  # X's first day on ch-1 is still the 12th
    assert added(metering, "ch-2") == {"2026-03-09": 1, "2026-03-10": 1}

    # Redelivered and later events never move a contact back.
    assert metering.record(*first_reports).duplicate_count == 2
    metering.record(inbound(ACCOUNT, "in-x20", "2026-03-20T12:00:00+00:00", contact=X))
    assert added(metering) == {"2026-03-09": 1, "2026-03-10": 1}


def test_out_of_order_within_one_batch(metering: Running) -> None:
    metering.add_account("acc-f", profile(ACCOUNT, time_zone="America/Sao_Paulo"))
    metering.record(
        inbound(ACCOUNT, "in-3", "2026-03-14T12:00:00+00:00", contact=X),
        inbound(ACCOUNT, "in-1", "2026-03-02T12:00:00+00:00", contact=X),
        inbound(ACCOUNT, "in-2", "2026-03-07T12:00:00+00:00", contact=X),
    )
    assert added(metering) == {"2026-03-02": 1}

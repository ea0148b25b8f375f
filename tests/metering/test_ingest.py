"""RecordEvents through gRPC: per-event results, duplicates, reordering, settlements."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from billing.metering.v1 import events_pb2
from billing.metering.v1 import metering_service_pb2 as pb

from services.common.errors import FIELD_METADATA_KEY
from tests.metering.conftest import Running
from tests.metering.helpers import charges, inbound, profile, status

ACCEPTED = events_pb2.EVENT_OUTCOME_ACCEPTED
DUPLICATE = events_pb2.EVENT_OUTCOME_DUPLICATE
REJECTED = events_pb2.EVENT_OUTCOME_REJECTED
DAY = "2026-03-10T"


def test_malformed_events_are_rejected_by_field_and_the_rest_accepted(metering: Running) -> None:
    metering.add_account("acc-a-1", profile("acct-a"))
    missing_time = status("acct-a", "m-3", "sent", DAY + "10:00:00+00:00")
    missing_time.ClearField("occur_time")
    template_as_service = status(
        "acct-a", "m-5", "sent", DAY + "10:00:00+00:00", category="service"
    )
    template_as_service.status.is_template = True
    no_kind = status("acct-a", "m-6", "sent", DAY + "10:00:00+00:00")
    no_kind.ClearField("status")

    response = metering.record(
        status("acct-a", "m-1", "sent", DAY + "10:00:00+00:00"),
        status("acct-a", "m-2", "sent", DAY + "10:00:00+00:00", contact="not-a-number"),
        missing_time,
        status("nobody", "m-4", "sent", DAY + "10:00:00+00:00"),
        template_as_service,
        no_kind,
        inbound("acct-a", "in-1", DAY + "09:00:00+00:00"),
    )

    outcomes = [(r.index, r.outcome, r.field) for r in response.results]
    assert outcomes == [
        (0, ACCEPTED, ""),
        (1, REJECTED, "events[1].contact"),
        (2, REJECTED, "events[2].occur_time"),
        (3, REJECTED, "events[3].account_id"),
        (4, REJECTED, "events[4].status.category"),
        (5, REJECTED, "events[5].kind"),
        (6, ACCEPTED, ""),
    ]
    assert "unknown account" in response.results[3].error
    assert (response.accepted_count, response.duplicate_count, response.rejected_count) == (2, 0, 5)
    report = metering.stub.StreamUsageReport(
        pb.StreamUsageReportRequest(
            account_id="acct-a", from_date="2026-03-10", to_date="2026-03-10"
        ),
        timeout=10,
    )
    assert sorted(r.row.message_id for r in report) == ["in-1", "m-1"]


def test_a_batch_over_one_thousand_events_names_events(metering: Running) -> None:
    metering.add_account("acc-a-1", profile("acct-a"))
    batch = [status("acct-a", f"m-{n}", "sent", DAY + "10:00:00+00:00") for n in range(1_001)]
    with pytest.raises(grpc.RpcError) as raised:
        metering.record(*batch)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    trailers: Any = raised.value.trailing_metadata()
    assert dict(trailers)[FIELD_METADATA_KEY] == "events"
    daily = metering.stub.GetDailyUsage(
        pb.GetDailyUsageRequest(account_id="acct-a", from_date="2026-03-10", to_date="2026-03-10"),
        timeout=10,
    )
    assert daily.days[0].notifications_sent == 0


def test_redeliveries_count_once_and_a_retried_call_returns_the_first_answer(
    metering: Running,
) -> None:
    metering.add_account("acc-a-1", profile("acct-a"))
    batch = [
        status("acct-a", "m-1", "sent", DAY + "10:00:00+00:00"),
        status("acct-a", "m-1", "delivered", DAY + "10:00:05+00:00"),
        status("acct-a", "m-1", "delivered", DAY + "10:00:06+00:00"),
    ]
    first = metering.record(*batch, key="batch-1")
    assert [r.outcome for r in first.results] == [ACCEPTED, ACCEPTED, DUPLICATE]
    retried = metering.record(*batch, key="batch-1")
    assert retried == first
    again = metering.record(*batch)
    assert [r.outcome for r in again.results] == [DUPLICATE] * 3

    settled = charges(metering.redis)
    assert [(c.message_id, c.action, c.amount.amount_micros) for c in settled] == [
        ("m-1", "commit", 25_000)  # North America marketing, USD card of 2026-01-01
    ]
    daily = metering.stub.GetDailyUsage(
        pb.GetDailyUsageRequest(account_id="acct-a", from_date="2026-03-10", to_date="2026-03-10"),
        timeout=10,
    )
    day = daily.days[0]
    assert (day.notifications_sent, day.billable_messages, day.free_messages) == (1, 1, 0)
    assert day.charges.amount_micros == 25_000


def test_read_before_delivered_settles_once_and_failed_releases(metering: Running) -> None:
    metering.add_account("acc-a-1", profile("acct-a"))
    metering.record(status("acct-a", "m-1", "read", DAY + "10:00:09+00:00", reservation_id="r-1"))
    metering.record(
        status("acct-a", "m-1", "delivered", DAY + "10:00:05+00:00"),
        status("acct-a", "m-1", "sent", DAY + "10:00:00+00:00"),
        status("acct-a", "m-2", "sent", DAY + "11:00:00+00:00", category="utility"),
        status("acct-a", "m-2", "failed", DAY + "11:00:01+00:00", category="utility"),
        status("acct-a", "m-2", "delivered", DAY + "11:00:02+00:00", category="utility"),
    )
    settled = [
        (c.message_id, c.action, c.amount.amount_micros, c.reservation_id)
        for c in charges(metering.redis)
    ]
    assert settled == [("m-1", "commit", 25_000, "r-1"), ("m-2", "release", 0, "")]
    active = metering.stub.CountActiveUsers(
        pb.CountActiveUsersRequest(
            account_id="acct-a", from_date="2026-03-10", to_date="2026-03-10"
        ),
        timeout=10,
    )
    assert active.active_users == 1
    daily = metering.stub.GetDailyUsage(
        pb.GetDailyUsageRequest(account_id="acct-a", from_date="2026-03-10", to_date="2026-03-10"),
        timeout=10,
    )
    assert daily.days[0].notifications_sent == 2
    assert daily.days[0].billable_messages == 1

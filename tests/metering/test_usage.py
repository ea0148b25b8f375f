"""A month of mixed traffic in Pacific/Kiritimati (UTC+14), checked against figures by hand.

Rates: Meta's USD card of 2026-01-01 (North America marketing 0.0250, utility 0.0034; India
utility and authentication 0.0014; Brazil marketing 0.0625), plus the provider's fixed fee of
0.005 per charged message.
"""

from __future__ import annotations

from billing.metering.v1 import metering_service_pb2 as pb

from tests.metering.conftest import Running
from tests.metering.helpers import inbound, profile, status

A, B, C, D = "+14155550100", "+919812345678", "+5511987654321", "+14155550103"
ACCOUNT = "acct-k"


def record_month(metering: Running) -> None:
    metering.add_account(
        "acc-k", profile(ACCOUNT, time_zone="Pacific/Kiritimati", fee_micros=5_000)
    )

    def out(mid: str, state: str, at: str, contact: str, channel: str, category: str):  # type: ignore[no-untyped-def]
        return status(ACCOUNT, mid, state, at, contact=contact, channel=channel, category=category)

    metering.record(
        inbound(ACCOUNT, "in-a", "2026-02-28T09:30:00+00:00", contact=A),  # local 02-28 23:30
        out("m-1", "sent", "2026-02-28T10:29:00+00:00", A, "ch-1", "marketing"),
        out("m-1", "delivered", "2026-02-28T10:30:00+00:00", A, "ch-1", "marketing"),  # 03-01
        out("m-2", "delivered", "2026-03-01T12:00:00+00:00", B, "ch-1", "utility"),  # 03-02
        out("m-3", "delivered", "2026-03-01T13:00:00+00:00", B, "ch-2", "authentication"),
    )
    metering.record(
        inbound(ACCOUNT, "in-c", "2026-03-05T00:00:00+00:00", contact=C, channel="ch-2"),
        out("m-4", "delivered", "2026-03-05T00:10:00+00:00", C, "ch-2", "service"),
        out("m-5", "delivered", "2026-03-05T00:20:00+00:00", C, "ch-2", "utility"),
        out("m-6", "delivered", "2026-03-15T10:00:00+00:00", C, "ch-2", "marketing"),  # 03-16
        out("m-7", "sent", "2026-03-20T00:00:00+00:00", D, "ch-1", "marketing"),
        out("m-7", "failed", "2026-03-20T00:00:05+00:00", D, "ch-1", "marketing"),
        out("m-8", "delivered", "2026-03-31T09:00:00+00:00", A, "ch-1", "marketing"),  # 03-31
        out("m-9", "delivered", "2026-03-31T10:30:00+00:00", A, "ch-1", "utility"),  # 04-01
    )


def daily(metering: Running, start: str, end: str, channel: str = "") -> pb.GetDailyUsageResponse:
    return metering.stub.GetDailyUsage(
        pb.GetDailyUsageRequest(
            account_id=ACCOUNT, channel_id=channel, from_date=start, to_date=end
        ),
        timeout=10,
    )


def active(metering: Running, start: str, end: str, channel: str = "") -> int:
    return metering.stub.CountActiveUsers(
        pb.CountActiveUsersRequest(
            account_id=ACCOUNT, channel_id=channel, from_date=start, to_date=end
        ),
        timeout=10,
    ).active_users


def test_daily_counts_in_the_account_time_zone(metering: Running) -> None:
    record_month(metering)
    days = daily(metering, "2026-02-28", "2026-04-01").days
    busy = {
        d.date: (
            d.notifications_sent,
            d.billable_messages,
            d.free_messages,
            d.unique_users_added,
            d.charges.amount_micros,
        )
        for d in days
        if d.notifications_sent or d.billable_messages or d.free_messages or d.unique_users_added
    }
    assert busy == {
        "2026-02-28": (0, 0, 0, 1, 0),  # A writes in
        "2026-03-01": (1, 1, 0, 0, 30_000),  # m-1: 25,000 + 5,000 fee (in the window, marketing)
        "2026-03-02": (2, 2, 0, 1, 12_800),  # m-2 and m-3 to India: 1,400 + 5,000 each; B is new
        "2026-03-05": (1, 0, 2, 1, 0),  # C writes in: service reply and utility template free
        "2026-03-16": (1, 1, 0, 0, 67_500),  # m-6: Brazil marketing 62,500 + 5,000
        "2026-03-20": (1, 0, 0, 0, 0),  # m-7 sent then failed: counted as sent, never charged
        "2026-03-31": (1, 1, 0, 0, 30_000),  # m-8
        "2026-04-01": (1, 1, 0, 0, 8_400),  # m-9: utility 3,400 + 5,000, the window long closed
    }
    assert len(days) == 33
    march_2 = next(d for d in days if d.date == "2026-03-02")
    assert {c.category: c.paid_messages for c in march_2.categories} == {
        "authentication": 1,
        "utility": 1,
    }
    ch2 = {
        d.date: d.unique_users_added
        for d in daily(metering, "2026-03-01", "2026-03-31", "ch-2").days
    }
    assert (ch2["2026-03-02"], ch2["2026-03-05"], sum(ch2.values())) == (1, 1, 2)


def test_active_users_over_months_and_billing_cycles(metering: Running) -> None:
    record_month(metering)
    assert active(metering, "2026-03-01", "2026-03-31") == 3  # A, B, C; D's message failed
    assert active(metering, "2026-02-28", "2026-03-27") == 3  # a cycle starting on the 28th
    assert active(metering, "2026-03-28", "2026-04-27") == 1  # only A
    assert active(metering, "2026-03-03", "2026-03-30") == 1  # only C
    assert active(metering, "2026-03-01", "2026-03-31", channel="ch-2") == 2  # B and C
    assert active(metering, "2026-03-01", "2026-03-31", channel="ch-1") == 2  # A and B
    assert active(metering, "2026-02-01", "2026-02-27") == 0
    assert daily(metering, "2026-03-01", "2026-03-31").active_users == 3


def test_monthly_usage_by_phone_number(metering: Running) -> None:
    record_month(metering)
    months = metering.stub.GetMonthlyUsage(
        pb.GetMonthlyUsageRequest(account_id=ACCOUNT, from_month="2026-02", to_month="2026-04"),
        timeout=10,
    ).months
    summary = [
        (
            m.month,
            m.all_messages,
            m.paid_messages,
            m.free_messages,
            m.notifications_sent,
            m.active_users,
            m.charges.amount_micros,
        )
        for m in months
    ]
    assert summary == [
        ("2026-02", 0, 0, 0, 0, 1, 0),
        ("2026-03", 7, 5, 2, 7, 3, 140_300),
        ("2026-04", 1, 1, 0, 1, 1, 8_400),
    ]
    ch2 = metering.stub.GetMonthlyUsage(
        pb.GetMonthlyUsageRequest(
            account_id=ACCOUNT, channel_id="ch-2", from_month="2026-03", to_month="2026-03"
        ),
        timeout=10,
    ).months[0]
    assert (ch2.paid_messages, ch2.free_messages, ch2.charges.amount_micros) == (2, 2, 73_900)


def test_approximate_charges_project_month_to_date(metering: Running) -> None:
    record_month(metering)

    def charges(as_of: str, month: str = "") -> pb.GetApproximateChargesResponse:
        return metering.stub.GetApproximateCharges(
            pb.GetApproximateChargesRequest(account_id=ACCOUNT, month=month, as_of_date=as_of),
            timeout=10,
        )

    mid = charges("2026-03-16")
    assert (mid.month, mid.month_to_date.amount_micros, mid.days_elapsed, mid.days_in_month) == (
        "2026-03",
        110_300,
        16,
        31,
    )
    assert mid.projected_month_end.amount_micros == 213_706  # 110,300 x 31 / 16, rounded down
    assert mid.month_to_date.currency_code == "USD"
    past = charges("2026-04-10", month="2026-03")
    assert (past.month_to_date.amount_micros, past.projected_month_end.amount_micros) == (
        140_300,
        140_300,
    )
    future = charges("2026-03-16", month="2026-05")
    assert (future.days_elapsed, future.projected_month_end.amount_micros) == (0, 0)


def test_another_account_sees_none_of_it(metering: Running) -> None:
    record_month(metering)
    metering.add_account("acc-o", profile("acct-other"))
    other = metering.stub.GetMonthlyUsage(
        pb.GetMonthlyUsageRequest(
            account_id="acct-other", from_month="2026-03", to_month="2026-03"
        ),
        timeout=10,
    ).months[0]
    assert (other.all_messages, other.active_users, other.charges.amount_micros) == (0, 0, 0)

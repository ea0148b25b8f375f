"""Free windows opened by users, conversations under the older model, Meta's word on pricing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from billing.metering.v1 import metering_service_pb2 as pb

from tests.metering.conftest import Running, write_rate_cards
from tests.metering.helpers import charges, inbound, profile, status, windows

USER_A = "+14155550100"
USER_B = "+14155550101"
USER_C = "+14155550102"


def committed(metering: Running) -> dict[str, int]:
    return {c.message_id: c.amount.amount_micros for c in charges(metering.redis)}


def test_user_messages_open_windows_that_make_replies_free(metering: Running) -> None:
    metering.add_account("acc-1", profile("acct-w"))
    metering.record(
        inbound("acct-w", "in-1", "2026-03-10T09:00:00+00:00", contact=USER_A),
        inbound("acct-w", "in-2", "2026-03-10T09:30:00+00:00", contact=USER_B, referral=True),
    )
    published = [
        (w.contact, w.kind, w.open_time.seconds, w.expire_time.seconds)
        for w in windows(metering.redis)
    ]
    t0 = 1773133200  # 2026-03-10T09:00:00Z
    assert published == [
        (USER_A, "customer_service", t0, t0 + 24 * 3600),
        (USER_B, "customer_service", t0 + 1800, t0 + 1800 + 24 * 3600),
        (USER_B, "free_entry_point", t0 + 1800, t0 + 1800 + 72 * 3600),
    ]
    noon = "2026-03-10T12:00:00+00:00"
    metering.record(
        status("acct-w", "m-1", "delivered", noon, contact=USER_A, category="utility"),
        status("acct-w", "m-2", "delivered", noon, contact=USER_A, category="marketing"),
        status(
            "acct-w",
            "m-3",
            "delivered",
            "2026-03-11T10:00:00+00:00",
            contact=USER_A,
            category="utility",
        ),
        status(
            "acct-w",
            "m-4",
            "delivered",
            "2026-03-12T10:00:00+00:00",
            contact=USER_B,
            category="marketing",
        ),
        status("acct-w", "m-5", "delivered", noon, contact=USER_A, category="service"),
        status(
            "acct-w",
            "m-6",
            "delivered",
            noon,
            contact=USER_C,
            category="marketing",
            pricing=(False, "free_customer_service", "marketing"),
        ),
        status(
            "acct-w",
            "m-7",
            "delivered",
            noon,
            contact=USER_A,
            category="utility",
            pricing=(True, "regular", "utility"),
        ),
    )
    assert committed(metering) == {
        "m-1": 0,  # utility template inside the customer-service window
        "m-2": 25_000,  # marketing is charged inside the window (North America)
        "m-3": 3_400,  # the window closed at 09:00 the next day
        "m-4": 0,  # free entry point: 72 h, everything free
        "m-5": 0,  # service messages are free under per-message pricing
        "m-6": 0,  # Meta says not billable
        "m-7": 3_400,  # Meta says billable, whatever metering's windows say
    }
    daily = metering.stub.GetDailyUsage(
        pb.GetDailyUsageRequest(account_id="acct-w", from_date="2026-03-10", to_date="2026-03-12"),
        timeout=10,
    )
    assert [
        (d.date, d.billable_messages, d.free_messages, d.charges.amount_micros) for d in daily.days
    ] == [
        ("2026-03-10", 2, 3, 28_400),
        ("2026-03-11", 1, 0, 3_400),
        ("2026-03-12", 0, 1, 0),
    ]


CONVERSATION_CARD = (
    '"Cost per conversation in USD on the WhatsApp Business Platform, effective January 1, 2024"\n'
    "Market,Currency,Marketing,Utility,Authentication,Authentication-International,Service\n"
    "North America,$US,0.0250,0.0150,0.0135,n/a,0.0088\n"
)


def test_conversations_open_by_category_under_conversation_based_pricing(
    start_metering: Callable[..., Running], tmp_path: Path
) -> None:
    cards = write_rate_cards(tmp_path / "cards", {"meta_USD_2024-01-01.csv": CONVERSATION_CARD})
    metering = start_metering(rate_cards=cards)
    metering.add_account("acc-1", profile("acct-c", update="2024-01-01T00:00:00+00:00"))
    day = "2024-02-05T"
    metering.record(
        status(
            "acct-c",
            "m-1",
            "delivered",
            day + "10:00:00+00:00",
            contact=USER_A,
            category="marketing",
        ),
        status(
            "acct-c",
            "m-2",
            "delivered",
            day + "12:00:00+00:00",
            contact=USER_A,
            category="marketing",
        ),
        status(
            "acct-c", "m-3", "delivered", day + "13:00:00+00:00", contact=USER_A, category="utility"
        ),
        status(
            "acct-c", "m-4", "delivered", day + "14:00:00+00:00", contact=USER_A, category="service"
        ),
        status(
            "acct-c", "m-5", "delivered", day + "14:00:00+00:00", contact=USER_B, category="service"
        ),
    )
    metering.record(
        status(
            "acct-c",
            "m-6",
            "delivered",
            "2024-02-06T11:00:00+00:00",
            contact=USER_A,
            category="marketing",
        ),
        status(
            "acct-c",
            "m-7",
            "delivered",
            "2024-02-07T11:00:00+00:00",
            contact=USER_C,
            category="marketing",
            pricing=(True, "regular", "marketing"),
            conversation=("conv-x", "2024-02-08T11:00:00+00:00", "marketing"),
        ),
        status(
            "acct-c",
            "m-8",
            "delivered",
            "2024-02-07T12:00:00+00:00",
            contact=USER_C,
            category="marketing",
            pricing=(False, "regular", "marketing"),
            conversation=("conv-x", "2024-02-08T11:00:00+00:00", "marketing"),
        ),
    )
    assert committed(metering) == {
        "m-1": 25_000,  # opens a marketing conversation
        "m-2": 0,  # inside it
        "m-3": 15_000,  # a utility template opens its own conversation
        "m-4": 0,  # non-template inside open conversations: nothing opens
        "m-5": 0,  # opens a service conversation, one of the first 1,000 free this month
        "m-6": 25_000,  # the first marketing conversation expired at 10:00
        "m-7": 25_000,  # Meta's conversation conv-x
        "m-8": 0,
    }
    opened = [(w.kind, w.contact, w.category, w.billable) for w in windows(metering.redis)]
    assert opened == [
        ("conversation", USER_A, "marketing", True),
        ("conversation", USER_A, "utility", True),
        ("conversation", USER_B, "service", False),
        ("conversation", USER_A, "marketing", True),
        ("conversation", USER_C, "marketing", True),
    ]
    month = metering.stub.GetMonthlyUsage(
        pb.GetMonthlyUsageRequest(account_id="acct-c", from_month="2024-02", to_month="2024-02"),
        timeout=10,
    ).months[0]
    assert (month.all_conversations, month.paid_conversations, month.free_conversations) == (
        5,
        4,
        1,
    )
    assert month.charges.amount_micros == 90_000
    by_category = {
        c.category: (c.paid_conversations, c.free_conversations) for c in month.categories
    }
    assert by_category == {"marketing": (3, 0), "service": (0, 1), "utility": (1, 0)}

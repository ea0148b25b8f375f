"""Volume tiers: exact per-month counts per (portfolio, market, category), redeliveries once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from billing.metering.v1 import events_pb2

from tests.metering.conftest import Running, write_rate_cards
from tests.metering.helpers import charges, profile, status

# Rest of Africa utility, graduated: messages 1-3 at 0.0040, 4-5 at 0.0038, then 0.0036.
SMALL_TIERS = (
    "market,category,from,to,rate\n"
    "Rest of Africa,utility,1,3,0.0040\n"
    "Rest of Africa,utility,4,5,0.0038\n"
    "Rest of Africa,utility,6,,0.0036\n"
)
KENYA = "+254712345678"


def utility(
    account: str, message_id: str, at: str, state: str = "delivered"
) -> events_pb2.MessageEvent:
    return status(account, message_id, state, at, contact=KENYA, category="utility")


def test_tier_counts_are_exact_across_accounts_of_a_portfolio_and_redeliveries(
    start_metering: Callable[..., Running], tmp_path: Path
) -> None:
    cards = write_rate_cards(tmp_path / "cards", {"tiers_USD_2026-10-01.csv": SMALL_TIERS})
    metering = start_metering(rate_cards=cards)
    metering.add_account("acc-1", profile("acct-t1", portfolio_id="pf-1"))
    metering.add_account("acc-2", profile("acct-t2", portfolio_id="pf-1"))
    metering.add_account("acc-3", profile("acct-t3", portfolio_id="pf-2"))
    day = "2026-11-03T10:00:0"
    first = [utility("acct-t1", "k-1", day + "1+00:00"), utility("acct-t1", "k-2", day + "2+00:00")]
    metering.record(*first)
    assert metering.record(*first).duplicate_count == 2
    metering.record(
        utility("acct-t2", "k-3", day + "3+00:00"),
        utility("acct-t2", "k-4", day + "4+00:00"),
        utility("acct-t2", "k-5", day + "5+00:00"),
        utility("acct-t3", "k-other", day + "5+00:00"),
    )
    metering.record(
        utility("acct-t1", "k-1", day + "7+00:00", state="read"),
        utility("acct-t1", "k-6", day + "8+00:00"),
        status("acct-t1", "k-7", "delivered", day + "9+00:00", contact=KENYA, category="marketing"),
    )
    metering.redis.flushall()  # Redis lost its counters: they come back from SQL
    metering.record(
        utility("acct-t2", "k-8", "2026-11-30T10:00:00+00:00"),
        utility("acct-t2", "k-9", "2026-12-01T10:00:00+00:00"),
    )
    assert [(c.message_id, c.amount.amount_micros, c.tier) for c in charges(metering.redis)] == [
        ("k-8", 3_600, 3),  # the 7th utility message of November for pf-1
        ("k-9", 4_000, 1),  # December starts again at tier 1
    ]
    metering.redis.flushall()
    metering.record(utility("acct-t1", "k-10", "2026-11-30T11:00:00+00:00"))
    assert [(c.message_id, c.amount.amount_micros, c.tier) for c in charges(metering.redis)] == [
        ("k-10", 3_600, 3)
    ]


def test_tier_prices_before_the_loss(
    start_metering: Callable[..., Running], tmp_path: Path
) -> None:
    cards = write_rate_cards(tmp_path / "cards", {"tiers_USD_2026-10-01.csv": SMALL_TIERS})
    metering = start_metering(rate_cards=cards)
    metering.add_account("acc-1", profile("acct-t1", portfolio_id="pf-1"))
    metering.add_account("acc-2", profile("acct-t2", portfolio_id="pf-1"))
    day = "2026-11-03T10:00:0"
    batch = [utility("acct-t1", f"k-{n}", day + f"{n}+00:00") for n in range(1, 3)]
    metering.record(*batch)
    metering.record(*batch)
    metering.record(*(utility("acct-t2", f"k-{n}", day + f"{n}+00:00") for n in range(3, 7)))
    metering.record(
        status("acct-t1", "k-7", "delivered", day + "9+00:00", contact=KENYA, category="marketing")
    )
    assert [(c.message_id, c.amount.amount_micros, c.tier) for c in charges(metering.redis)] == [
        ("k-1", 4_000, 1),
        ("k-2", 4_000, 1),
        ("k-3", 4_000, 1),
        ("k-4", 3_800, 2),
        ("k-5", 3_800, 2),
        ("k-6", 3_600, 3),
        ("k-7", 22_500, 0),  # marketing has no tiers and does not count
    ]

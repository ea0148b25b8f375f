"""Properties over generated requests: no negative price, graduated tiers = piecewise sum,
free windows cost zero, and order of lookups never changes a price."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import (
    Catalog,
    NoRateInForce,
    PriceDecision,
    PriceRequest,
    PricingEngine,
    ProviderPricing,
    Window,
)
from pricing.tiers import Schedule, Tier

CATALOG = Catalog.load_default()
NUMBERS = [
    "+919812345678",
    "+12125550123",
    "+18095551234",
    "+18765551234",
    "+17875551234",
    "+447911123456",
    "+5511912345678",
    "+74951234567",
    "+77011234567",
    "+263771234567",
    "+97450123456",
    "+6591234567",
    "+254712345678",
    "+201001234567",
    "+2991234567",
    "+393471234567",
    "+96550123456",
    "+2348031234567",
]
ZONES = ["Asia/Kolkata", "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC", "America/New_York"]
CATEGORIES = ["marketing", "utility", "authentication", "authentication-international", "service"]

providers = st.one_of(
    st.none(),
    st.builds(
        ProviderPricing,
        fee_per_message_micros=st.integers(0, 100_000),
        markup_bps=st.integers(0, 50_000),
        included_messages_per_month=st.integers(0, 1_000),
    ),
)
requests = st.builds(
    PriceRequest,
    at=st.datetimes(
        min_value=datetime(2023, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    recipient=st.sampled_from(NUMBERS),
    category=st.sampled_from(CATEGORIES),
    currency=st.sampled_from(["USD", "INR"]),
    time_zone=st.sampled_from(ZONES),
    window=st.sampled_from(list(Window)),
    open_conversations=st.frozensets(st.sampled_from(CATEGORIES), max_size=3),
    monthly_count=st.integers(0, 400_000_000),
    provider=providers,
    provider_monthly_count=st.integers(0, 2_000),
)


def price_or_none(engine: PricingEngine, request: PriceRequest) -> PriceDecision | None:
    try:
        return engine.price(request)
    except NoRateInForce:
        return None


@settings(max_examples=400, deadline=None)
@given(requests)
def test_prices_are_never_negative_and_add_up(request: PriceRequest) -> None:
    decision = price_or_none(PricingEngine(CATALOG), request)
    if decision is None:
        return
    assert decision.meta_cost_micros >= 0
    assert decision.price_micros >= 0
    assert decision.price_micros == decision.meta_cost_micros + decision.margin_micros
    assert decision.billable == (decision.meta_cost_micros > 0)


@settings(max_examples=300, deadline=None)
@given(requests.filter(lambda r: r.window is not Window.NONE))
def test_free_windows_cost_zero_where_the_rules_say(request: PriceRequest) -> None:
    decision = price_or_none(PricingEngine(CATALOG), request)
    if decision is None:
        return
    if request.window is Window.FREE_ENTRY_POINT:
        assert decision.price_micros == 0
        assert decision.pricing_type == "free_entry_point"
        return
    before_change = request.at < datetime(2026, 9, 29, tzinfo=UTC)
    free_category = request.category in ("utility", "service")
    if decision.pricing_model == "per_message" and before_change and free_category:
        assert decision.price_micros == 0
        assert decision.pricing_type == "free_customer_service"


tier_tables = st.lists(st.integers(1, 5_000), min_size=1, max_size=6).flatmap(
    lambda widths: st.tuples(
        st.just(widths),
        st.lists(st.integers(0, 200_000), min_size=len(widths) + 1, max_size=len(widths) + 1),
    )
)


@given(tier_tables, st.integers(0, 40_000), st.integers(1, 40_000))
def test_graduated_tiers_equal_the_piecewise_sum(
    table: tuple[list[int], list[int]], monthly_count: int, message_count: int
) -> None:
    widths, rates = table
    tiers, first = [], 1
    for width, rate in zip(widths, rates, strict=False):
        tiers.append(Tier(first, first + width - 1, rate))
        first += width
    tiers.append(Tier(first, None, rates[-1]))
    schedule = Schedule(tiers)
    one_by_one = sum(
        schedule.tiers[schedule.tier_index(count)].rate_micros
        for count in range(monthly_count, monthly_count + message_count)
    )
    assert schedule.cost_micros(monthly_count, message_count) == one_by_one


@settings(max_examples=150, deadline=None)
@given(requests, st.integers(1, 60))
def test_batch_equals_the_sum_of_single_decisions(request: PriceRequest, count: int) -> None:
    engine = PricingEngine(CATALOG)
    try:
        batch = engine.price_batch(request, count)
    except NoRateInForce:
        return
    total = 0
    for offset in range(count):
        charged_before = _charged_so_far(engine, request, offset)
        single = engine.price(_advance(request, offset, charged_before))
        total += single.price_micros
    assert batch.price_micros == total


def _advance(request: PriceRequest, offset: int, charged_before: int) -> PriceRequest:
    return replace(
        request,
        monthly_count=request.monthly_count + offset,
        provider_monthly_count=request.provider_monthly_count + charged_before,
    )


def _charged_so_far(engine: PricingEngine, request: PriceRequest, offset: int) -> int:
    charged = 0
    for earlier in range(offset):
        decision = engine.price(_advance(request, earlier, charged))
        charged += decision.billable
    return charged


@settings(max_examples=30, deadline=None)
@given(st.lists(requests, min_size=2, max_size=25), st.randoms())
def test_prices_do_not_depend_on_lookup_order(
    batch: list[PriceRequest], shuffler: random.Random
) -> None:
    fresh = PricingEngine(CATALOG)
    expected = [price_or_none(fresh, request) for request in batch]
    warmed = PricingEngine(CATALOG)
    order = list(range(len(batch)))
    shuffler.shuffle(order)
    for index in order + order:
        assert price_or_none(warmed, batch[index]) == expected[index]


def test_far_time_zones_switch_on_their_own_midnight() -> None:
    engine = PricingEngine(CATALOG)
    start = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)
    steps = range(0, 30 * 60, 30)
    seen = []
    for minutes in steps:
        at = start + timedelta(minutes=minutes)
        request = PriceRequest(at, "+919812345678", "service", "USD", "Pacific/Pago_Pago")
        seen.append(engine.price(request).billable)
    # Pago Pago is UTC-11: 2026-10-01 00:00 local is 2026-10-01 11:00 UTC, 26 h after start.
    assert seen == [minutes >= 26 * 60 for minutes in steps]

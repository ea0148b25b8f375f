"""Provider pricing on top of Meta's cost, and batches priced piecewise."""

from __future__ import annotations

import pytest

from pricing import InvalidRequest, PricingEngine, ProviderPricing, Window, markup_micros
from pricing.money import apply_basis_points
from tests.pricing.conftest import make_request

IN = "+919812345678"
MID_2026 = "2026-03-05T10:00:00+05:30"
OCT_2026 = "2026-10-05T10:00:00+05:30"


@pytest.mark.parametrize(
    ("provider", "counted", "meta", "margin", "price"),
    [
        # India marketing, USD 2026-01-01: 0.0118 -> 11,800 micros.
        (ProviderPricing(fee_per_message_micros=5_000), 0, 11_800, 5_000, 16_800),
        (ProviderPricing(markup_bps=1_000), 0, 11_800, 1_180, 12_980),
        (ProviderPricing(markup_bps=1_000, fee_per_message_micros=5_000), 0, 11_800, 6_180, 17_980),
        # 11,800 x 15 bps = 17.7 micros -> 18 (round half up); 11,800 x 5 bps = 5.9 -> 6.
        (ProviderPricing(markup_bps=15), 0, 11_800, 18, 11_818),
        (ProviderPricing(markup_bps=5), 0, 11_800, 6, 11_806),
        (ProviderPricing(price_list={("India", "marketing"): 15_000}), 0, 11_800, 3_200, 15_000),
        (
            ProviderPricing(price_list={("India", "utility"): 1}, markup_bps=100),
            0,
            11_800,
            118,
            11_918,
        ),
        (
            ProviderPricing(included_messages_per_month=10, fee_per_message_micros=5),
            9,
            11_800,
            -11_800,
            0,
        ),
        (
            ProviderPricing(included_messages_per_month=10, fee_per_message_micros=5),
            10,
            11_800,
            5,
            11_805,
        ),
    ],
)
def test_provider_price(
    engine: PricingEngine,
    provider: ProviderPricing,
    counted: int,
    meta: int,
    margin: int,
    price: int,
) -> None:
    request = make_request(
        MID_2026, IN, "marketing", provider=provider, provider_monthly_count=counted
    )
    decision = engine.price(request)
    assert (decision.meta_cost_micros, decision.margin_micros, decision.price_micros) == (
        meta,
        margin,
        price,
    )


def test_free_messages_cost_the_client_nothing(engine: PricingEngine) -> None:
    provider = ProviderPricing(fee_per_message_micros=5_000, markup_bps=2_000)
    request = make_request(MID_2026, IN, "utility", window=Window.SERVICE, provider=provider)
    decision = engine.price(request)
    assert (decision.price_micros, decision.margin_micros, decision.billable) == (0, 0, False)


def test_half_micro_rounds_up() -> None:
    assert markup_micros(1_400, 25) == 4  # 3.5 micros
    assert markup_micros(1_000, 5) == 1  # 0.5 micros
    assert markup_micros(1_000, 4) == 0  # 0.4 micros


def test_basis_points_round_an_exact_half_away_from_zero() -> None:
    assert apply_basis_points(1_400, 25) == 4  # 3.5 micros
    assert apply_basis_points(-1_400, 25) == -4  # -3.5 micros (a negative proration)
    assert apply_basis_points(1_000, -4) == 0  # -0.4 micros
    assert apply_basis_points(333, 10_000) == 333
    assert apply_basis_points(10**15, 1) == 10**11


def test_negative_provider_terms_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        ProviderPricing(markup_bps=-1)


def test_batch_across_india_utility_tier_boundary(engine: PricingEngine) -> None:
    # INR 2026-10-01: messages up to 25,000,000 at 0.115, then 0.1081.
    request = make_request(OCT_2026, IN, "utility", "INR", monthly_count=24_999_990)
    batch = engine.price_batch(request, 30)
    assert [(line.message_count, line.rate_micros) for line in batch.lines] == [
        (10, 115_000),
        (20, 108_100),
    ]
    assert batch.meta_cost_micros == 10 * 115_000 + 20 * 108_100 == 3_312_000


def test_batch_with_plan_included_messages(engine: PricingEngine) -> None:
    provider = ProviderPricing(included_messages_per_month=100, fee_per_message_micros=1_000)
    request = make_request(MID_2026, IN, "marketing", provider=provider, provider_monthly_count=97)
    batch = engine.price_batch(request, 5)
    # 3 included (client pays 0), 2 at 11,800 + 1,000.
    assert batch.meta_cost_micros == 59_000
    assert batch.price_micros == 25_600
    assert batch.margin_micros == 25_600 - 59_000


def test_batch_of_free_messages(engine: PricingEngine) -> None:
    request = make_request(MID_2026, IN, "service")
    batch = engine.price_batch(request, 1_000)
    assert (batch.meta_cost_micros, batch.price_micros) == (0, 0)

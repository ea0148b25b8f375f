"""Conversation-based pricing with a conversation card: made-up test rates, not Meta's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pricing import Catalog, NoRateInForce, PricingEngine
from pricing.catalog import DEFAULT_DATA
from tests.pricing.conftest import make_request

IN = "+919812345678"
EG = "+201001234567"
CARD = (
    '"Cost per conversation in USD on the WhatsApp Business Platform, effective June 1, 2024"\n'
    "Market,Currency,Marketing,Utility,Authentication,Authentication-International,Service\n"
    "India,$US,0.0099,0.0042,0.0042,n/a,0.0040\n"
    "Egypt,$US,0.1073,0.0644,0.0600,n/a,0.0250\n"
    "Other,$US,0.0604,0.0338,0.0304,n/a,0.0145\n"
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> PricingEngine:
    directory: Path = tmp_path_factory.mktemp("cards")
    for name in ("markets.csv", "market_changes.csv"):
        shutil.copy(DEFAULT_DATA / name, directory / name)
    (directory / "meta_USD_2024-06-01.csv").write_text(CARD, encoding="utf-8")
    return PricingEngine(Catalog.load(directory))


def test_template_opens_and_charges_a_conversation(engine: PricingEngine) -> None:
    decision = engine.price(make_request("2025-03-01T10:00:00+05:30", IN, "marketing"))
    assert (decision.pricing_model, decision.opens_conversation) == ("conversation", True)
    assert decision.rate_micros == 9_900
    assert decision.rate_card == "meta_USD_2024-06-01"


def test_utility_opens_beside_an_open_marketing_conversation(engine: PricingEngine) -> None:
    request = make_request(
        "2025-03-01T10:00:00+05:30", EG, "utility", open_conversations=frozenset({"marketing"})
    )
    assert engine.price(request).rate_micros == 64_400


def test_service_conversations_after_the_free_thousand(engine: PricingEngine) -> None:
    at = "2024-10-15T10:00:00+05:30"
    assert engine.price(make_request(at, IN, "service", monthly_count=999)).rate_micros == 0
    charged = engine.price(make_request(at, IN, "service", monthly_count=1_000))
    assert (charged.rate_micros, charged.billable, charged.opens_conversation) == (
        4_000,
        True,
        True,
    )
    batch = engine.price_batch(make_request(at, IN, "service", monthly_count=998), 5)
    assert batch.meta_cost_micros == 3 * 4_000


def test_a_conversation_card_never_prices_messages(engine: PricingEngine) -> None:
    request = make_request("2025-07-01T00:00:00+05:30", IN, "marketing")
    with pytest.raises(NoRateInForce, match="prices per conversation"):
        engine.price(request)

"""WhatsApp Business message pricing: Meta's rate cards and rules, and a provider's price on top.

Pure: files are read once by `Catalog.load`; every decision after that is in memory.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from pricing.catalog import Catalog, Period
from pricing.decision import BatchLine, BatchPrice, PriceDecision
from pricing.engine import PricingEngine
from pricing.errors import (
    InvalidNumber,
    InvalidRequest,
    NoRateInForce,
    PricingError,
    RateCardError,
)
from pricing.markets import Destination
from pricing.money import format_micros, markup_micros, parse_micros
from pricing.provider import ProviderPricing
from pricing.ratecards import CATEGORIES, RateCard
from pricing.request import AuthInternational, PriceRequest
from pricing.rules import RULES, PricingRule, Window

__all__ = [
    "CATEGORIES",
    "RULES",
    "AuthInternational",
    "BatchLine",
    "BatchPrice",
    "Catalog",
    "Destination",
    "InvalidNumber",
    "InvalidRequest",
    "NoRateInForce",
    "Period",
    "PriceDecision",
    "PriceRequest",
    "PricingEngine",
    "PricingError",
    "PricingRule",
    "ProviderPricing",
    "RateCard",
    "RateCardError",
    "Window",
    "default_catalog",
    "format_micros",
    "market_of",
    "markup_micros",
    "parse_micros",
]


@cache
def default_catalog() -> Catalog:
    """The catalog shipped in pricing/data, loaded on first use and then shared."""
    return Catalog.load_default()


def market_of(number: str, on: date, catalog: Catalog | None = None) -> Destination:
    """Market and country of an E.164 number on a local date (raises InvalidNumber)."""
    return (catalog or default_catalog()).market_of(number, on)

"""Shared fixtures: the shipped catalog, loaded once, and a request builder."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from pricing import Catalog, PriceRequest, PricingEngine, Window


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load_default()


@pytest.fixture(scope="session")
def engine(catalog: Catalog) -> PricingEngine:
    return PricingEngine(catalog)


def make_request(
    at: str,
    to: str,
    category: str,
    currency: str = "USD",
    time_zone: str = "Asia/Kolkata",
    **overrides: Any,
) -> PriceRequest:
    """A request at an ISO instant (with offset); other fields default to a plain send."""
    fields: dict[str, Any] = {
        "at": datetime.fromisoformat(at),
        "recipient": to,
        "category": category,
        "currency": currency,
        "time_zone": time_zone,
        "window": Window.NONE,
    }
    fields.update(overrides)
    return PriceRequest(**fields)

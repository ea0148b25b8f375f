"""Decisions written by hand from the rules (DOMAIN.md) and the shipped rate cards.

Every expected amount is a literal read off a card: e.g. India utility on the USD card of
2026-01-01 is 0.0014 -> 1,400 micros.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import pytest

from pricing import AuthInternational, NoRateInForce, PricingEngine, Window
from tests.pricing.conftest import make_request

IN = "+919812345678"
US = "+12125550123"
EG = "+201001234567"
IT = "+393471234567"
KE = "+254712345678"
SG = "+6591234567"
PMP = "per_message"
CBP = "conversation"
REG = "regular"
FCS = "free_customer_service"
FEP = "free_entry_point"


class Case(NamedTuple):
    at: str
    to: str
    category: str
    market: str
    model: str
    pricing_type: str
    rate_micros: int
    currency: str = "USD"
    extra: dict[str, Any] = {}
    time_zone: str = "Asia/Kolkata"
    opens_conversation: bool = False


MID_2026 = "2026-03-05T10:00:00+05:30"  # USD card 2026-01-01, per-message rules of 2025-07-01
OCT_2026 = "2026-10-05T10:00:00+05:30"  # USD/INR cards 2026-10-01, rules of 2026-10-01
SERVICE: dict[str, Any] = {"window": Window.SERVICE}
FREE_ENTRY: dict[str, Any] = {"window": Window.FREE_ENTRY_POINT}
ELIGIBLE: dict[str, Any] = {
    "business_country": "IN",
    "auth_international": AuthInternational(
        start=datetime.fromisoformat("2025-01-01T00:00:00+00:00"),
        exception_countries=frozenset({"NG"}),
    ),
}

CASES = {
    # Per-message pricing (2025-07-01 rules), USD card 2026-01-01, every category.
    "pmp india marketing": Case(MID_2026, IN, "marketing", "India", PMP, REG, 11_800),
    "pmp india utility": Case(MID_2026, IN, "utility", "India", PMP, REG, 1_400),
    "pmp india authentication": Case(MID_2026, IN, "authentication", "India", PMP, REG, 1_400),
    "pmp india service is free": Case(MID_2026, IN, "service", "India", PMP, FCS, 0),
    "pmp utility in window is free": Case(
        MID_2026, IN, "utility", "India", PMP, FCS, 0, extra=SERVICE
    ),
    "pmp service in window is free": Case(
        MID_2026, IN, "service", "India", PMP, FCS, 0, extra=SERVICE
    ),
    "pmp marketing in window is charged": Case(
        MID_2026, IN, "marketing", "India", PMP, REG, 11_800, extra=SERVICE
    ),
    "pmp authentication in window is charged": Case(
        MID_2026, IN, "authentication", "India", PMP, REG, 1_400, extra=SERVICE
    ),
    "pmp free entry point marketing": Case(
        MID_2026, IN, "marketing", "India", PMP, FEP, 0, extra=FREE_ENTRY
    ),
    "pmp free entry point authentication": Case(
        MID_2026, IN, "authentication", "India", PMP, FEP, 0, extra=FREE_ENTRY
    ),
    "pmp authentication-international asked directly": Case(
        MID_2026, "+6281234567890", "authentication-international", "Indonesia", PMP, REG, 136_000
    ),
    # Markets, including the +1 exceptions.
    "+1 212 north america marketing": Case(
        MID_2026, US, "marketing", "North America", PMP, REG, 25_000
    ),
    "+1 809 dominican republic": Case(
        MID_2026, "+18095551234", "utility", "Rest of Latin America", PMP, REG, 11_300
    ),
    "+1 829 dominican republic": Case(
        MID_2026, "+18295551234", "marketing", "Rest of Latin America", PMP, REG, 74_000
    ),
    "+1 876 jamaica": Case(
        MID_2026, "+18765551234", "authentication", "Rest of Latin America", PMP, REG, 11_300
    ),
    "+1 658 jamaica": Case(
        MID_2026, "+16585551234", "utility", "Rest of Latin America", PMP, REG, 11_300
    ),
    "+1 787 puerto rico": Case(
        MID_2026, "+17875551234", "marketing", "Rest of Latin America", PMP, REG, 74_000
    ),
    "+1 939 puerto rico": Case(
        MID_2026, "+19395551234", "utility", "Rest of Latin America", PMP, REG, 11_300
    ),
    "+44 united kingdom": Case(
        MID_2026, "+447911123456", "marketing", "United Kingdom", PMP, REG, 52_900
    ),
    "+55 brazil": Case(MID_2026, "+5511912345678", "marketing", "Brazil", PMP, REG, 62_500),
    "+7 495 russia": Case(MID_2026, "+74951234567", "utility", "Russia", PMP, REG, 40_000),
    "+7 701 kazakhstan before its move is other": Case(
        MID_2026, "+77011234567", "utility", "Other", PMP, REG, 7_700
    ),
    "+7 701 kazakhstan standalone from 2026-10-01": Case(
        OCT_2026, "+77011234567", "utility", "Kazakhstan", PMP, REG, 18_000
    ),
    "+263 zimbabwe in rest of africa (INR 2025-10-01)": Case(
        "2025-10-01T00:00:00+05:30",
        "+263771234567",
        "utility",
        "Rest of Africa",
        PMP,
        REG,
        293_000,
        currency="INR",
    ),
    "+65 singapore in rest of asia pacific before 2026-10-01": Case(
        "2026-09-30T23:59:59+05:30", SG, "utility", "Rest of Asia Pacific", PMP, REG, 11_300
    ),
    "+65 singapore standalone from 2026-10-01": Case(
        "2026-10-01T00:00:00+05:30", SG, "utility", "Singapore", PMP, REG, 16_000
    ),
    "+974 qatar standalone (2026-10-01 card)": Case(
        OCT_2026, "+97450123456", "marketing", "Qatar", PMP, REG, 34_100
    ),
    # Authentication-international eligibility (business in India).
    "auth-intl egypt from an eligible indian business": Case(
        MID_2026, EG, "authentication", "Egypt", PMP, REG, 65_000, extra=ELIGIBLE
    ),
    "auth-intl not for a domestic recipient": Case(
        MID_2026, IN, "authentication", "India", PMP, REG, 1_400, extra=ELIGIBLE
    ),
    "auth-intl not for an exception country": Case(
        MID_2026, "+2348031234567", "authentication", "Nigeria", PMP, REG, 6_700, extra=ELIGIBLE
    ),
    "auth-intl not before the eligibility start": Case(
        "2026-03-05T10:00:00+05:30",
        EG,
        "authentication",
        "Egypt",
        PMP,
        REG,
        3_600,
        extra={
            **ELIGIBLE,
            "auth_international": AuthInternational(
                start=datetime.fromisoformat("2026-04-01T00:00:00+05:30")
            ),
        },
    ),
    "auth-intl n/a on the USD 2026-10-01 card falls back": Case(
        OCT_2026, EG, "authentication", "Egypt", PMP, REG, 3_600, extra=ELIGIBLE
    ),
    "auth-intl INR 2026-10-01 egypt, tier 1": Case(
        OCT_2026, EG, "authentication", "Egypt", PMP, REG, 4_766_800, currency="INR", extra=ELIGIBLE
    ),
    # The 2026-10-01 change.
    "2026-10 service charged at utility rate": Case(
        OCT_2026, IN, "service", "India", PMP, REG, 1_400
    ),
    "2026-10 service in window still charged": Case(
        OCT_2026, IN, "service", "India", PMP, REG, 1_400, extra=SERVICE
    ),
    "2026-10 utility in window charged": Case(
        OCT_2026, IN, "utility", "India", PMP, REG, 1_400, extra=SERVICE
    ),
    "2026-10 free entry point service stays free": Case(
        OCT_2026, IN, "service", "India", PMP, FEP, 0, extra=FREE_ENTRY
    ),
    "2026-10 INR india service has no tiers": Case(
        OCT_2026,
        IN,
        "service",
        "India",
        PMP,
        REG,
        115_000,
        currency="INR",
        extra={"monthly_count": 30_000_000},
    ),
    "2026-10 italy marketing new card": Case(OCT_2026, IT, "marketing", "Italy", PMP, REG, 79_500),
    # Volume tiers (graduated; INR 2026-10-01, USD Rest of Africa utility).
    "INR india utility message 25,000,000 is tier 1": Case(
        OCT_2026,
        IN,
        "utility",
        "India",
        PMP,
        REG,
        115_000,
        currency="INR",
        extra={"monthly_count": 24_999_999},
    ),
    "INR india utility message 25,000,001 is tier 2": Case(
        OCT_2026,
        IN,
        "utility",
        "India",
        PMP,
        REG,
        108_100,
        currency="INR",
        extra={"monthly_count": 25_000_000},
    ),
    "INR india authentication message 750,001 is tier 2": Case(
        OCT_2026,
        IN,
        "authentication",
        "India",
        PMP,
        REG,
        108_100,
        currency="INR",
        extra={"monthly_count": 750_000},
    ),
    "INR india utility top tier": Case(
        OCT_2026,
        IN,
        "utility",
        "India",
        PMP,
        REG,
        80_500,
        currency="INR",
        extra={"monthly_count": 300_000_000},
    ),
    "INR marketing has no tiers": Case(
        OCT_2026,
        IN,
        "marketing",
        "India",
        PMP,
        REG,
        863_100,
        currency="INR",
        extra={"monthly_count": 300_000_000},
    ),
    "USD rest of africa utility message 100,000": Case(
        OCT_2026, KE, "utility", "Rest of Africa", PMP, REG, 4_000, extra={"monthly_count": 99_999}
    ),
    "USD rest of africa utility message 100,001": Case(
        OCT_2026, KE, "utility", "Rest of Africa", PMP, REG, 3_800, extra={"monthly_count": 100_000}
    ),
    "USD rest of africa utility message 80,000,001": Case(
        OCT_2026,
        KE,
        "utility",
        "Rest of Africa",
        PMP,
        REG,
        3_000,
        extra={"monthly_count": 80_000_000},
    ),
    "USD india utility without a tier table: list rate": Case(
        OCT_2026, IN, "utility", "India", PMP, REG, 1_400, extra={"monthly_count": 30_000_000}
    ),
    # Effective dates at midnight in a business time zone far from UTC.
    "UTC+14: 2026-10-01 00:00 local is the new rules": Case(
        "2026-09-30T10:00:00+00:00",
        IN,
        "service",
        "India",
        PMP,
        REG,
        1_400,
        time_zone="Pacific/Kiritimati",
    ),
    "UTC+14: one second earlier is the old rules": Case(
        "2026-09-30T09:59:59+00:00",
        IN,
        "service",
        "India",
        PMP,
        FCS,
        0,
        time_zone="Pacific/Kiritimati",
    ),
    "UTC-11: 2026-10-01 05:00 UTC is still September": Case(
        "2026-10-01T05:00:00+00:00",
        IT,
        "marketing",
        "Italy",
        PMP,
        REG,
        69_100,
        time_zone="Pacific/Pago_Pago",
    ),
    "UTC-11: 2026-10-01 11:00 UTC is October": Case(
        "2026-10-01T11:00:00+00:00",
        IT,
        "marketing",
        "Italy",
        PMP,
        REG,
        79_500,
        time_zone="Pacific/Pago_Pago",
    ),
    # Conversation-based pricing: free decisions need no card.
    "cbp marketing with marketing open: no new conversation": Case(
        "2025-03-01T10:00:00+05:30",
        IN,
        "marketing",
        "India",
        CBP,
        REG,
        0,
        extra={"open_conversations": frozenset({"marketing"})},
    ),
    "cbp service inside any open conversation": Case(
        "2025-03-01T10:00:00+05:30",
        IN,
        "service",
        "India",
        CBP,
        REG,
        0,
        extra={"open_conversations": frozenset({"utility"})},
    ),
    "cbp service conversation free from 2024-11-01": Case(
        "2025-03-01T10:00:00+05:30", IN, "service", "India", CBP, FCS, 0, opens_conversation=True
    ),
    "cbp 1,000th service conversation of the month is free": Case(
        "2024-10-15T10:00:00+05:30",
        IN,
        "service",
        "India",
        CBP,
        FCS,
        0,
        extra={"monthly_count": 999},
        opens_conversation=True,
    ),
    "cbp authentication with authentication-international open": Case(
        "2025-03-01T10:00:00+05:30",
        IN,
        "authentication",
        "India",
        CBP,
        REG,
        0,
        extra={"open_conversations": frozenset({"authentication-international"})},
    ),
    "cbp free entry point": Case(
        "2024-02-01T10:00:00+05:30", IN, "marketing", "India", CBP, FEP, 0, extra=FREE_ENTRY
    ),
    "cbp last second before per-message pricing (IST)": Case(
        "2025-06-30T23:59:59+05:30", IN, "service", "India", CBP, FCS, 0, opens_conversation=True
    ),
    "per-message pricing from 2025-07-01 00:00 IST": Case(
        "2025-07-01T00:00:00+05:30", IN, "service", "India", PMP, FCS, 0
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_decision(engine: PricingEngine, case: Case) -> None:
    request = make_request(
        case.at, case.to, case.category, case.currency, case.time_zone, **case.extra
    )
    decision = engine.price(request)
    assert decision.market == case.market
    assert decision.pricing_model == case.model
    assert decision.pricing_type == case.pricing_type
    assert decision.rate_micros == case.rate_micros
    assert decision.meta_cost_micros == case.rate_micros
    assert decision.price_micros == case.rate_micros
    assert decision.margin_micros == 0
    assert decision.billable is (case.rate_micros > 0)
    assert decision.currency == case.currency
    assert decision.opens_conversation is case.opens_conversation


def test_authentication_international_category_is_reported(engine: PricingEngine) -> None:
    decision = engine.price(make_request(MID_2026, EG, "authentication", **ELIGIBLE))
    assert decision.category == "authentication-international"
    assert "business in IN, recipient in EG" in decision.reason


def test_tier_is_reported(engine: PricingEngine) -> None:
    request = make_request(OCT_2026, IN, "utility", "INR", monthly_count=25_000_000)
    decision = engine.price(request)
    assert decision.tier == 2
    assert decision.rate_card == "meta_INR_2026-10-01"


def test_missing_tier_table_is_said(engine: PricingEngine) -> None:
    decision = engine.price(make_request(OCT_2026, IN, "utility"))
    assert decision.tier is None
    assert "no tier table" in decision.reason


PAID_WITHOUT_CARD = {
    "cbp template opening a conversation": make_request("2025-03-01T10:00:00+05:30", IN, "utility"),
    "cbp 1,001st service conversation": make_request(
        "2024-10-15T10:00:00+05:30", IN, "service", monthly_count=1_000
    ),
    "USD before the first USD card": make_request("2025-12-31T23:59:59+05:30", IN, "marketing"),
    "INR before the first INR card": make_request(
        "2025-09-30T23:59:59+05:30", IN, "marketing", "INR"
    ),
    "qatar standalone but not on the card in force": make_request(
        "2026-08-01T10:00:00+05:30", "+97450123456", "marketing"
    ),
    "authentication-international n/a for brazil": make_request(
        MID_2026, "+5511912345678", "authentication-international"
    ),
    "before any pricing rule": make_request("2023-05-31T10:00:00+05:30", IN, "service"),
    "currency with no card": make_request(MID_2026, IN, "marketing", "EUR"),
}


@pytest.mark.parametrize("request_", PAID_WITHOUT_CARD.values(), ids=PAID_WITHOUT_CARD.keys())
def test_no_rate_in_force_is_an_error(engine: PricingEngine, request_: Any) -> None:
    with pytest.raises(NoRateInForce):
        engine.price(request_)

"""Market of a number: longest prefix, +1 exceptions, +7 Kazakhstan, dated moves."""

from __future__ import annotations

from datetime import date

import pytest

from pricing import Catalog, Destination, InvalidNumber, market_of

MARKETS_ON = {
    ("+919812345678", date(2026, 3, 5)): Destination("India", "IN"),
    ("919812345678", date(2026, 3, 5)): Destination("India", "IN"),
    ("+91 98123-45678", date(2026, 3, 5)): Destination("India", "IN"),
    ("+12125550123", date(2026, 3, 5)): Destination("North America", None),
    ("+18095551234", date(2026, 3, 5)): Destination("Rest of Latin America", "DO"),
    ("+18495551234", date(2026, 3, 5)): Destination("Rest of Latin America", "DO"),
    ("+18765551234", date(2026, 3, 5)): Destination("Rest of Latin America", "JM"),
    ("+19395551234", date(2026, 3, 5)): Destination("Rest of Latin America", "PR"),
    ("+74951234567", date(2026, 3, 5)): Destination("Russia", "RU"),
    ("+76012345678", date(2026, 9, 30)): Destination("Other", "KZ"),
    ("+76012345678", date(2026, 10, 1)): Destination("Kazakhstan", "KZ"),
    ("+77011234567", date(2026, 10, 1)): Destination("Kazakhstan", "KZ"),
    ("+73832123456", date(2026, 10, 1)): Destination("Russia", "RU"),
    ("+263771234567", date(2025, 9, 30)): Destination("Other", "ZW"),
    ("+263771234567", date(2025, 10, 1)): Destination("Rest of Africa", "ZW"),
    ("+97450123456", date(2026, 6, 30)): Destination("Rest of Middle East", "QA"),
    ("+97450123456", date(2026, 7, 1)): Destination("Qatar", "QA"),
    ("+96550123456", date(2026, 9, 30)): Destination("Rest of Middle East", "KW"),
    ("+96550123456", date(2026, 10, 1)): Destination("Kuwait", "KW"),
    ("+48501234567", date(2026, 10, 1)): Destination("Poland", "PL"),
    ("+2126123456789", date(2026, 10, 1)): Destination("Morocco", "MA"),
    ("+2136123456789", date(2026, 10, 1)): Destination("Rest of Africa", "DZ"),
    ("+8613812345678", date(2026, 10, 1)): Destination("Rest of Asia Pacific", "CN"),
    ("+2991234567", date(2026, 10, 1)): Destination("Other", None),
}


@pytest.mark.parametrize(("number", "on"), MARKETS_ON.keys())
def test_market_of(catalog: Catalog, number: str, on: date) -> None:
    assert market_of(number, on, catalog) == MARKETS_ON[(number, on)]


@pytest.mark.parametrize(
    "number",
    [
        "",
        "+",
        "abc",
        "+91-98x",
        "+0123456789",
        "+1234567",
        "+1809555123",
        "+10125550123",
        "+1234567890123456",
        "+٩١٩٨١٢٣٤٥٦٧٨",
    ],
)
def test_invalid_numbers_name_the_number(catalog: Catalog, number: str) -> None:
    with pytest.raises(InvalidNumber) as raised:
        catalog.market_of(number, date(2026, 3, 5))
    assert repr(number) in str(raised.value)

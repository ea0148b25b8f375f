"""Loading rate cards: Meta's layout, symbols, n/a, and errors that name file, line and column."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from pricing import Catalog, RateCardError, parse_micros
from pricing.catalog import DEFAULT_DATA
from pricing.ratecards import load_card

HEADER = "Market,Currency,Marketing,Utility,Authentication,Authentication-International,Service"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_cards_load(catalog: Catalog) -> None:
    labels = {card.label for card in catalog.cards}
    assert labels == {
        "INR card 2025-10-01",
        "INR card 2026-10-01",
        "USD card 2026-01-01",
        "USD card 2026-10-01",
    }
    usd = next(card for card in catalog.cards if card.name == "meta_USD_2026-10-01")
    assert usd.unit == "message"
    assert usd.rates["Oman"]["marketing"] == 34_100
    assert usd.rates["Oman"]["authentication-international"] is None


def test_sentence_gives_currency_date_and_unit(tmp_path: Path) -> None:
    text = (
        '"Cost per conversation in EUR on the WhatsApp Business Platform, effective June 1, 2024"\n'
        "Note: something Meta adds,,,,,,\n"
        f"{HEADER}\nGermany,€,0.1131,0.0456,0.0636,n/a,0.0707\n"
    )
    card = load_card(write(tmp_path, "rates.csv", text))
    assert (card.currency, card.effective, card.unit) == ("EUR", date(2024, 6, 1), "conversation")
    assert card.rates["Germany"] == {
        "marketing": 113_100,
        "utility": 45_600,
        "authentication": 63_600,
        "authentication-international": None,
        "service": 70_700,
    }


def test_file_name_gives_currency_and_date_without_sentence(tmp_path: Path) -> None:
    text = f"{HEADER}\nBrazil,R$,0.3217,0.035,0.035,n/a,n/a\n"
    card = load_card(write(tmp_path, "meta_BRL_2026-07-01.csv", text))
    assert (card.currency, card.effective, card.unit) == ("BRL", date(2026, 7, 1), None)
    assert card.rates["Brazil"]["marketing"] == 321_700


def test_two_line_authentication_international_header(tmp_path: Path) -> None:
    header = HEADER.replace("Authentication-International", '"Authentication-\nInternational"')
    text = f"{header}\nIndia,₹,0.8631,0.115,0.115,2.4971,0.115\n"
    card = load_card(write(tmp_path, "meta_INR_2026-10-01.csv", text))
    assert card.rates["India"]["authentication-international"] == 2_497_100


@pytest.mark.parametrize(
    ("symbol", "currency"),
    [
        ("$US", "USD"),
        ("₹", "INR"),
        ("€", "EUR"),
        ("£", "GBP"),
        ("R$", "BRL"),
        ("Rp", "IDR"),
        ("A$", "AUD"),
        ("MX$", "MXN"),
        ("$MXN", "MXN"),
        ("USD", "USD"),
    ],
)
def test_currency_symbols(tmp_path: Path, symbol: str, currency: str) -> None:
    text = f"{HEADER}\nX,{symbol},1,1,1,n/a,n/a\n"
    card = load_card(write(tmp_path, f"meta_{currency}_2026-01-01.csv", text))
    assert card.currency == currency


BAD_CARDS = {
    "seven decimals": ("Egypt,$US,0.0644123,0.0036,0.0036,n/a,n/a", 3, "Marketing"),
    "negative rate": ("Egypt,$US,-0.06,0.0036,0.0036,n/a,n/a", 3, "Marketing"),
    "empty cell": ("Egypt,$US,0.0644,,0.0036,n/a,n/a", 3, "Utility"),
    "float notation": ("Egypt,$US,6e-2,0.0036,0.0036,n/a,n/a", 3, "Marketing"),
    "other currency": ("Egypt,₹,0.0644,0.0036,0.0036,n/a,n/a", 3, "Currency"),
    "short row": ("Egypt,$US,0.0644,0.0036", 3, None),
}


@pytest.mark.parametrize(("row", "line", "column"), BAD_CARDS.values(), ids=BAD_CARDS.keys())
def test_bad_cells_name_file_line_and_column(
    tmp_path: Path, row: str, line: int, column: str | None
) -> None:
    sentence = '"Cost per message in USD on the WhatsApp Business Platform, effective July 1, 2026"'
    path = write(tmp_path, "meta_USD_2026-07-01.csv", f"{sentence}\n{HEADER}\n{row}\n")
    with pytest.raises(RateCardError) as raised:
        load_card(path)
    error = raised.value
    assert (error.path, error.line, error.column) == ("meta_USD_2026-07-01.csv", line, column)
    assert str(error).startswith(f"meta_USD_2026-07-01.csv:{line}")


def test_sentence_and_name_must_agree(tmp_path: Path) -> None:
    sentence = '"Cost per message in USD on the WhatsApp Business Platform, effective July 1, 2026"'
    path = write(tmp_path, "meta_USD_2026-10-01.csv", f"{sentence}\n{HEADER}\nX,$US,1,1,1,1,1\n")
    with pytest.raises(RateCardError, match="disagree"):
        load_card(path)


def test_unknown_column(tmp_path: Path) -> None:
    path = write(tmp_path, "meta_USD_2026-10-01.csv", f"{HEADER},Promo\nX,$US,1,1,1,1,1,1\n")
    with pytest.raises(RateCardError, match="Promo"):
        load_card(path)


def test_tier_file_must_start_at_the_list_rate(tmp_path: Path) -> None:
    for name in ("markets.csv", "market_changes.csv", "meta_USD_2026-10-01.csv"):
        shutil.copy(DEFAULT_DATA / name, tmp_path / name)
    tiers = "market,category,from,to,rate\nRest of Africa,utility,1,,0.0041\n"
    write(tmp_path, "tiers_USD_2026-10-01.csv", tiers)
    with pytest.raises(RateCardError) as raised:
        Catalog.load(tmp_path)
    assert (raised.value.path, raised.value.line) == ("tiers_USD_2026-10-01.csv", 2)


def test_tier_gaps_are_errors(tmp_path: Path) -> None:
    for name in ("markets.csv", "meta_USD_2026-10-01.csv"):
        shutil.copy(DEFAULT_DATA / name, tmp_path / name)
    tiers = (
        "market,category,from,to,rate\n"
        "Rest of Africa,utility,1,100000,0.0040\nRest of Africa,utility,100002,,0.0038\n"
    )
    write(tmp_path, "tiers_USD_2026-10-01.csv", tiers)
    with pytest.raises(RateCardError, match="does not follow"):
        Catalog.load(tmp_path)


def test_a_dropped_in_card_takes_effect_without_code(tmp_path: Path) -> None:
    for name in ("markets.csv", "market_changes.csv", "meta_USD_2026-10-01.csv"):
        shutil.copy(DEFAULT_DATA / name, tmp_path / name)
    text = (DEFAULT_DATA / "meta_USD_2026-10-01.csv").read_text(encoding="utf-8")
    text = text.replace("October 1, 2026", "January 1, 2027").replace(
        "India,$US,0.0118,", "India,$US,0.0121,"
    )
    write(tmp_path, "meta_USD_2027-01-01.csv", text)
    catalog = Catalog.load(tmp_path)
    assert [card.name for card in catalog.cards][-1] == "meta_USD_2027-01-01"
    india = catalog.cards[-1].rates["India"]
    assert india["marketing"] == 12_100


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("0", 0),
        ("0.0034", 3_400),
        ("1.525", 1_525_000),
        ("12.345678", 12_345_678),
        ("7", 7_000_000),
    ],
)
def test_parse_micros_is_exact(text: str, micros: int) -> None:
    assert parse_micros(text) == micros


@pytest.mark.parametrize("text", ["0.1234567", "-1", "1e-3", "", ".5", "1,5", "NaN"])
def test_parse_micros_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_micros(text)

"""Meta's rate cards and volume-tier tables, read from CSV in Meta's layout and validated once.

A card file `meta_<CUR>_<YYYY-MM-DD>.csv` starts with Meta's quoted header sentence ("Cost per
message in USD on the WhatsApp Business Platform, effective October 1, 2026"), may carry note
lines, then the column header `Market,Currency,Marketing,Utility,Authentication,
Authentication-International,Service` and one row per market. The sentence gives the currency,
date and unit (message or conversation); without one, the file name gives currency and date.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pricing.errors import RateCardError
from pricing.money import parse_micros
from pricing.tiers import Schedule, Tier

MARKETING = "marketing"
UTILITY = "utility"
AUTHENTICATION = "authentication"
AUTHENTICATION_INTERNATIONAL = "authentication-international"
SERVICE = "service"
CATEGORIES = frozenset({MARKETING, UTILITY, AUTHENTICATION, AUTHENTICATION_INTERNATIONAL, SERVICE})
TIERED_CATEGORIES = frozenset({UTILITY, AUTHENTICATION, AUTHENTICATION_INTERNATIONAL})

NOT_APPLICABLE = "n/a"
# Meta writes currency symbols, not ISO codes. "$US" and "₹" appear in Meta's own files;
# "A$", "£", "Rp" (and the typo "GBD") in OJoshuaCG/meta-whatsapp-pricing's loader table of
# Meta tokens; the rest are the usual symbols of those currencies. ISO codes are accepted too.
CURRENCY_SYMBOLS: Mapping[str, str] = {
    "$US": "USD",
    "US$": "USD",
    "₹": "INR",
    "€": "EUR",
    "£": "GBP",
    "GBD": "GBP",
    "R$": "BRL",
    "Rp": "IDR",
    "RP": "IDR",
    "A$": "AUD",
    "MX$": "MXN",
    "$MXN": "MXN",
}
_REQUIRED_COLUMNS = ("market", "currency", MARKETING, UTILITY, AUTHENTICATION)
_RATE_COLUMNS = (MARKETING, UTILITY, AUTHENTICATION, AUTHENTICATION_INTERNATIONAL, SERVICE)
_SENTENCE = re.compile(
    r"cost per (?P<unit>message|conversation) in (?P<currency>[A-Z]{3})\b.*"
    r"effective (?P<date>[A-Z][a-z]+ \d{1,2}, \d{4})",
    re.IGNORECASE,
)
_CARD_NAME = re.compile(r"meta_(?P<currency>[A-Z]{3})_(?P<date>\d{4}-\d{2}-\d{2})\.csv")
_TIER_NAME = re.compile(r"tiers_(?P<currency>[A-Z]{3})_(?P<date>\d{4}-\d{2}-\d{2})\.csv")
_TIER_COLUMNS = ["market", "category", "from", "to", "rate"]


def currency_code(token: str) -> str | None:
    """ISO code for a Meta currency token ('$US' -> 'USD'), or None if unknown."""
    token = token.strip()
    if token in CURRENCY_SYMBOLS:
        return CURRENCY_SYMBOLS[token]
    return token if re.fullmatch(r"[A-Z]{3}", token) else None


@dataclass(frozen=True, slots=True)
class RateCard:
    """One card: rates in micros per (market, category); None where Meta lists no rate."""

    name: str
    currency: str
    effective: date
    unit: str | None  # "message" or "conversation"; None when the file does not say
    rates: Mapping[str, Mapping[str, int | None]]
    # List rate as a one-tier schedule per (market, category) that has a rate.
    flat: dict[tuple[str, str], Schedule] = field(default_factory=dict)
    # Graduated schedules from the tier file of the same currency and date.
    tiered: dict[tuple[str, str], Schedule] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.currency} card {self.effective.isoformat()}"


def load_card(path: Path) -> RateCard:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    line_numbers = _physical_lines(path)
    header_at = next((i for i, row in enumerate(rows) if row and row[0].strip() == "Market"), None)
    if header_at is None:
        raise RateCardError(path.name, 1, None, "no column header line starting with 'Market'")
    sentence = " ".join(rows[0]) if header_at > 0 else ""
    currency, effective, unit = _identify(path, sentence)
    columns = [re.sub(r"\s+", "", cell).lower() for cell in rows[header_at]]
    header_line = line_numbers[header_at]
    for index, column in enumerate(columns):
        if column not in _REQUIRED_COLUMNS + _RATE_COLUMNS:
            raise RateCardError(path.name, header_line, rows[header_at][index], "unknown column")
    for required in _REQUIRED_COLUMNS:
        if required not in columns:
            raise RateCardError(path.name, header_line, required, "missing column")
    rates: dict[str, dict[str, int | None]] = {}
    for offset, row in enumerate(rows[header_at + 1 :], start=header_at + 1):
        line = line_numbers[offset]
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise RateCardError(path.name, line, None, f"{len(row)} cells, {len(columns)} expected")
        cells = dict(zip(columns, row, strict=True))
        market = cells["market"].strip()
        if not market or market in rates:
            raise RateCardError(path.name, line, "Market", f"empty or repeated market {market!r}")
        if currency_code(cells["currency"]) != currency:
            problem = f"currency {cells['currency']!r} is not {currency}"
            raise RateCardError(path.name, line, "Currency", problem)
        rates[market] = {
            category: _rate(path, line, category, cells.get(category, NOT_APPLICABLE))
            for category in _RATE_COLUMNS
        }
    if not rates:
        raise RateCardError(path.name, header_line, None, "no market rows")
    flat = {
        (market, category): Schedule.flat(rate)
        for market, by_category in rates.items()
        for category, rate in by_category.items()
        if rate is not None
    }
    return RateCard(path.stem, currency, effective, unit, rates, flat)


def _physical_lines(path: Path) -> list[int]:
    """Line number (1-based) on which each CSV record ends, for error messages."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        return [reader.line_num for _ in reader]


def _identify(path: Path, sentence: str) -> tuple[str, date, str | None]:
    by_name = _CARD_NAME.fullmatch(path.name)
    said = _SENTENCE.search(sentence)
    if said is None and by_name is not None:
        return by_name["currency"], _iso_date(path, by_name["date"]), None
    if said is None:
        problem = "neither a header sentence nor a meta_<CUR>_<YYYY-MM-DD>.csv name"
        raise RateCardError(path.name, 1, None, problem)
    try:
        effective = datetime.strptime(said["date"], "%B %d, %Y").date()
    except ValueError:
        raise RateCardError(path.name, 1, None, f"bad date {said['date']!r}") from None
    currency, unit = said["currency"].upper(), said["unit"].lower()
    if by_name is not None and (by_name["currency"], by_name["date"]) != (
        currency,
        effective.isoformat(),
    ):
        raise RateCardError(path.name, 1, None, "header sentence and file name disagree")
    return currency, effective, unit


def _iso_date(path: Path, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RateCardError(path.name, 1, None, f"bad date {text!r} in file name") from None


def _rate(path: Path, line: int, column: str, text: str) -> int | None:
    if text.strip().lower() == NOT_APPLICABLE:
        return None
    try:
        return parse_micros(text)
    except ValueError as error:
        raise RateCardError(path.name, line, column.capitalize(), str(error)) from None


def attach_tiers(path: Path, cards: Mapping[tuple[str, date], RateCard]) -> None:
    """Read a tier file and attach its schedules to the card of the same currency and date."""
    named = _TIER_NAME.fullmatch(path.name)
    if named is None:
        raise RateCardError(path.name, 1, None, "tier files are named tiers_<CUR>_<YYYY-MM-DD>.csv")
    card = cards.get((named["currency"], _iso_date(path, named["date"])))
    if card is None:
        raise RateCardError(path.name, 1, None, "no rate card of the same currency and date")
    groups: dict[tuple[str, str], list[tuple[int, Tier]]] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != _TIER_COLUMNS:
            raise RateCardError(path.name, 1, None, f"expected columns {','.join(_TIER_COLUMNS)}")
        for record in reader:
            line = reader.line_num
            market, category = record["market"].strip(), record["category"].strip()
            if market not in card.rates:
                raise RateCardError(path.name, line, "market", f"{market!r} is not on {card.name}")
            if category not in TIERED_CATEGORIES:
                raise RateCardError(path.name, line, "category", f"no tiers for {category!r}")
            tier = Tier(
                _count(path, line, "from", record["from"]),
                _count(path, line, "to", record["to"]) if record["to"].strip() else None,
                _required_rate(path, line, record["rate"]),
            )
            groups.setdefault((market, category), []).append((line, tier))
    for (market, category), lines in groups.items():
        first_line = lines[0][0]
        try:
            schedule = Schedule([tier for _, tier in lines])
        except ValueError as error:
            raise RateCardError(
                path.name, first_line, None, f"{market} {category}: {error}"
            ) from None
        if schedule.tiers[0].rate_micros != card.rates[market][category]:
            problem = f"{market} {category}: first tier differs from the list rate on {card.name}"
            raise RateCardError(path.name, first_line, "rate", problem)
        card.tiered[(market, category)] = schedule


def _count(path: Path, line: int, column: str, text: str) -> int:
    if not (text.strip().isascii() and text.strip().isdigit()) or int(text) < 1:
        raise RateCardError(path.name, line, column, f"{text!r} is not a message count")
    return int(text)


def _required_rate(path: Path, line: int, text: str) -> int:
    rate = _rate(path, line, "rate", text)
    if rate is None:
        raise RateCardError(path.name, line, "rate", "a tier needs a rate")
    return rate

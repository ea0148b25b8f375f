"""Market of a recipient: calling code (longest prefix) to market, versioned by effective date.

The mapping is data: a base table (`markets.csv`) and dated changes (`market_changes.csv`).
A key is the calling code followed, optionally, by the first digits of the national number
(+1 809 for the Dominican Republic, +7 7 for Kazakhstan).
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from pricing.errors import InvalidNumber, RateCardError

OTHER_MARKET = "Other"
MIN_DIGITS = 7  # shortest numbers in use (e.g. +683 xxxx); E.164 allows at most 15
MAX_DIGITS = 15
NANP_DIGITS = 11  # +1 and a 10-digit national number
_SEPARATORS = str.maketrans("", "", " -")


class Destination(NamedTuple):
    """Where a number goes: its market and, when the table knows it, its ISO country code."""

    market: str
    country: str | None


_UNKNOWN = Destination(OTHER_MARKET, None)


def e164_digits(number: str) -> str:
    """The digits of an E.164 number ('+' optional; spaces and hyphens allowed)."""
    digits = number[1:] if number.startswith("+") else number
    if not (digits.isascii() and digits.isdigit()):
        digits = digits.translate(_SEPARATORS)
        if not (digits.isascii() and digits.isdigit()):
            raise InvalidNumber(number, "only digits after an optional '+' are allowed")
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise InvalidNumber(number, f"expected {MIN_DIGITS} to {MAX_DIGITS} digits")
    if digits[0] == "0":
        raise InvalidNumber(number, "a country calling code never starts with 0")
    if digits[0] == "1" and (len(digits) != NANP_DIGITS or digits[1] in "01"):
        raise InvalidNumber(number, "+1 numbers have a 10-digit national number, area code 2-9xx")
    return digits


@dataclass(frozen=True, slots=True)
class MarketRow:
    """One line of the mapping: a key (calling code + leading national digits) and its market."""

    key: str
    market: str
    country: str | None


@dataclass(frozen=True, slots=True)
class MarketChange:
    effective: date
    row: MarketRow


def _merge(known: Destination | None, row: MarketRow) -> Destination:
    """Several countries may share a key (+1: Canada and the United States): same market required;
    the country is then unknown (None)."""
    if known is None:
        return Destination(row.market, row.country)
    if known.market != row.market:
        raise RateCardError("market table", 0, "market", f"+{row.key} maps to two markets")
    return Destination(row.market, known.country if known.country == row.country else None)


class MarketTable:
    """All versions of the mapping, each one a prefix dictionary precomputed at load."""

    def __init__(self, base: Iterable[MarketRow], changes: Iterable[MarketChange]) -> None:
        current: dict[str, Destination] = {}
        for row in base:
            current[row.key] = _merge(current.get(row.key), row)
        self.effective_dates: list[date] = []
        self._versions: list[dict[str, Destination]] = [dict(current)]
        by_date: dict[date, list[MarketRow]] = {}
        for change in changes:
            by_date.setdefault(change.effective, []).append(change.row)
        for effective in sorted(by_date):
            for row in by_date[effective]:
                current[row.key] = Destination(row.market, row.country)
            self.effective_dates.append(effective)
            self._versions.append(dict(current))
        self._longest_key = max((len(key) for key in current), default=1)

    def version_on(self, day: date) -> int:
        """Index of the mapping in force on a (local) day."""
        return bisect_right(self.effective_dates, day)

    def destination(self, digits: str, version: int) -> Destination:
        table = self._versions[version]
        for length in range(min(self._longest_key, len(digits)), 0, -1):
            found = table.get(digits[:length])
            if found is not None:
                return found
        return _UNKNOWN

    def market_of(self, number: str, on: date) -> Destination:
        return self.destination(e164_digits(number), self.version_on(on))

    @classmethod
    def load(cls, base_path: Path, changes_path: Path | None) -> MarketTable:
        base = [row for _, row in _read_rows(base_path, ())]
        changes = []
        if changes_path is not None and changes_path.exists():
            for fields, row in _read_rows(changes_path, ("effective",)):
                changes.append(MarketChange(fields["effective"], row))
        return cls(base, changes)


def _read_rows(
    path: Path, dated: tuple[str, ...]
) -> Iterable[tuple[Mapping[str, date], MarketRow]]:
    columns = [*dated, "calling_code", "area_codes", "market", "country"]
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != columns:
            raise RateCardError(path.name, 1, None, f"expected the columns {','.join(columns)}")
        for record in reader:
            line = reader.line_num
            dates = {name: _parse_date(path, line, name, record[name]) for name in dated}
            code = record["calling_code"].strip()
            if not (code.isascii() and code.isdigit()) or code[0] == "0":
                raise RateCardError(path.name, line, "calling_code", f"bad calling code {code!r}")
            market = record["market"].strip()
            if not market:
                raise RateCardError(path.name, line, "market", "empty market")
            country = record["country"].strip() or None
            area_codes = record["area_codes"].split()
            for area in area_codes or [""]:
                if area and not (area.isascii() and area.isdigit()):
                    raise RateCardError(path.name, line, "area_codes", f"bad area code {area!r}")
                yield dates, MarketRow(code + area, market, country)


def _parse_date(path: Path, line: int, column: str, text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise RateCardError(path.name, line, column, f"bad date {text!r}") from None

"""Everything the engine prices from: rate cards, tiers, the market table and the rules.

Files are read once here; afterwards every lookup is in memory. The catalog is cut into
periods between consecutive effective dates, each knowing its rule, market table version and
the card in force per currency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pricing.calendar import EffectiveCalendar
from pricing.errors import RateCardError
from pricing.markets import Destination, MarketTable
from pricing.ratecards import RateCard, attach_tiers, load_card
from pricing.rules import RULES, PricingRule

DEFAULT_DATA = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class Period:
    """What is in force from `start` (a local date; None = before every effective date)."""

    start: date | None
    rule: PricingRule | None
    market_version: int
    cards: Mapping[str, RateCard]  # usable card per currency
    gaps: Mapping[str, str]  # currency -> why no usable card is in force


class Catalog:
    def __init__(
        self,
        cards: Sequence[RateCard],
        markets: MarketTable,
        rules: Sequence[PricingRule] = RULES,
    ) -> None:
        self.rules = tuple(sorted(rules, key=lambda rule: rule.effective))
        self.cards = tuple(sorted(cards, key=lambda card: (card.currency, card.effective)))
        _check_unique(self.cards)
        self.markets = markets
        dates = [rule.effective for rule in self.rules]
        dates += [card.effective for card in self.cards] + markets.effective_dates
        self.calendar = EffectiveCalendar(dates)
        before_all = self._period(None)
        self.periods = (before_all, *(self._period(day) for day in self.calendar.dates))

    @classmethod
    def load(cls, directory: Path, rules: Sequence[PricingRule] = RULES) -> Catalog:
        """Read `meta_*.csv` cards, `tiers_*.csv` tables, `markets.csv` and `market_changes.csv`."""
        cards = [load_card(path) for path in sorted(directory.glob("meta_*.csv"))]
        by_key = {(card.currency, card.effective): card for card in cards}
        for path in sorted(directory.glob("tiers_*.csv")):
            attach_tiers(path, by_key)
        markets = MarketTable.load(directory / "markets.csv", directory / "market_changes.csv")
        return cls(cards, markets, rules)

    @classmethod
    def load_default(cls) -> Catalog:
        return cls.load(DEFAULT_DATA)

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(card.currency for card in self.cards)

    def period_at(self, at: datetime, time_zone: str) -> Period:
        return self.periods[self.calendar.index(at, time_zone) + 1]

    def rule_on(self, day: date) -> PricingRule | None:
        in_force = [rule for rule in self.rules if rule.effective <= day]
        return in_force[-1] if in_force else None

    def market_of(self, number: str, on: date) -> Destination:
        """Market and country of a number on a local date."""
        return self.markets.market_of(number, on)

    def _period(self, start: date | None) -> Period:
        rule = self.rule_on(start) if start is not None else None
        version = self.markets.version_on(start) if start is not None else 0
        cards: dict[str, RateCard] = {}
        gaps: dict[str, str] = {}
        for currency in sorted({card.currency for card in self.cards}):
            in_force = [
                c for c in self.cards if c.currency == currency and start and c.effective <= start
            ]
            if not in_force:
                gaps[currency] = f"no {currency} rate card is in force (none effective yet)"
                continue
            card = in_force[-1]
            unit = card.unit or self._unit_on(card.effective)
            if rule is not None and unit is not None and unit != rule.card_unit:
                gaps[currency] = (
                    f"the {card.label} prices per {unit}, but {rule.name} prices per "
                    f"{rule.card_unit}; no {currency} card for that model is in force"
                )
                continue
            cards[currency] = card
        return Period(start, rule, version, cards, gaps)

    def _unit_on(self, day: date) -> str | None:
        rule = self.rule_on(day)
        return rule.card_unit if rule is not None else None


def _check_unique(cards: Sequence[RateCard]) -> None:
    seen: set[tuple[str, date]] = set()
    for card in cards:
        key = (card.currency, card.effective)
        if key in seen:
            raise RateCardError(card.name, 1, None, f"a second {card.label}")
        seen.add(key)

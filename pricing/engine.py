"""The pricing engine: one pure decision per message, from a catalog loaded once.

Verdicts and rate lookups depend on a small, finite set of keys (rule, category, window, open
conversations; card, market, category), so the engine memoises them: a decision is then a few
dictionary lookups, one bisect on the time zone's effective instants and one tier bisect.
"""

from __future__ import annotations

from collections.abc import Set
from typing import NamedTuple

from pricing.catalog import Catalog, Period
from pricing.decision import BatchLine, BatchPrice, PriceDecision
from pricing.errors import InvalidRequest, NoRateInForce
from pricing.markets import Destination, e164_digits
from pricing.ratecards import AUTHENTICATION, AUTHENTICATION_INTERNATIONAL, RateCard
from pricing.request import PriceRequest
from pricing.rules import FREE_CUSTOMER_SERVICE, PricingRule, Verdict, Window, decide
from pricing.tiers import Schedule, Tier

MAX_BATCH_MESSAGES = 1_000_000_000


class _Assessment(NamedTuple):
    period: Period
    rule: PricingRule
    destination: Destination
    verdict: Verdict


class _Rate(NamedTuple):
    """Meta's schedule for a charged message, and how it was chosen."""

    card: RateCard
    market: str
    category: str
    schedule: Schedule
    tiered: bool  # a tier table applied
    note: str


class PricingEngine:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._verdicts: dict[tuple[PricingRule, str, Window, frozenset[str]], Verdict] = {}
        self._rates: dict[tuple[str, str, str, bool], _Rate] = {}

    def price(self, request: PriceRequest) -> PriceDecision:
        assessment = self._assess(request)
        verdict = assessment.verdict
        if not verdict.charged:
            return self._free(request, assessment, verdict.pricing_type, verdict.reason)
        free = verdict.free_first_per_month
        if request.monthly_count < free:
            note = f"{verdict.reason}, {request.monthly_count + 1} of {free:,} free this month"
            return self._free(request, assessment, FREE_CUSTOMER_SERVICE, note)
        rate = self._rate(request, assessment)
        index = rate.schedule.tier_index(request.monthly_count)
        rate_micros = rate.schedule.tiers[index].rate_micros
        margin_micros, margin_note = self._margin(request, rate, rate_micros)
        tier_note = f", tier {index + 1}" if rate.tiered else ""
        return PriceDecision(
            assessment.destination.market,
            assessment.destination.country,
            assessment.rule.model,
            rate.category,
            True,
            verdict.pricing_type,
            rate_micros,
            rate_micros,
            margin_micros,
            rate_micros + margin_micros,
            request.currency,
            f"{assessment.rule.name}: {verdict.reason}; {rate.note}{tier_note}{margin_note}",
            verdict.opens_conversation,
            rate.card.name,
            index + 1 if rate.tiered else None,
        )

    def price_batch(self, request: PriceRequest, message_count: int) -> BatchPrice:
        """`message_count` alike messages after `request.monthly_count`: the piecewise sum."""
        if not 1 <= message_count <= MAX_BATCH_MESSAGES:
            raise InvalidRequest(f"message_count must be 1..{MAX_BATCH_MESSAGES:,}")
        first = self.price(request)
        assessment = self._assess(request)
        verdict = assessment.verdict
        free = max(0, verdict.free_first_per_month - request.monthly_count)
        if not verdict.charged or message_count <= free:
            line = BatchLine(message_count, 0, 0, 0, 0, first.reason)
            return BatchPrice(first, message_count, 0, 0, 0, (line,))
        rate = self._rate(request, assessment)
        schedule = rate.schedule
        if verdict.free_first_per_month:
            limit = verdict.free_first_per_month
            list_rate = schedule.tiers[0].rate_micros
            schedule = Schedule((Tier(1, limit, 0), Tier(limit + 1, None, list_rate)))
        lines: list[BatchLine] = []
        counted = request.provider_monthly_count
        for segment in schedule.segments(request.monthly_count, message_count):
            if segment.rate_micros == 0:
                lines.append(BatchLine(segment.message_count, 0, 0, 0, 0, "free"))
                continue
            included = 0
            if request.provider is not None:
                left = request.provider.included_messages_per_month - counted
                included = min(segment.message_count, max(0, left))
            rest = segment.message_count - included
            for count, before in ((included, counted), (rest, counted + included)):
                if count:
                    lines.append(self._line(request, rate, segment.rate_micros, count, before))
            counted += segment.message_count
        return BatchPrice(
            first,
            message_count,
            sum(line.meta_cost_micros for line in lines),
            sum(line.margin_micros for line in lines),
            sum(line.price_micros for line in lines),
            tuple(lines),
        )

    def _line(
        self, request: PriceRequest, rate: _Rate, rate_micros: int, count: int, counted: int
    ) -> BatchLine:
        margin, note = self._margin(request, rate, rate_micros, counted)
        return BatchLine(
            count,
            rate_micros,
            rate_micros * count,
            margin * count,
            (rate_micros + margin) * count,
            f"{count} x {rate_micros}{note}",
        )

    def _assess(self, request: PriceRequest) -> _Assessment:
        period = self.catalog.period_at(request.at, request.time_zone)
        digits = e164_digits(request.recipient)
        destination = self.catalog.markets.destination(digits, period.market_version)
        rule = period.rule
        if rule is None:
            raise NoRateInForce(f"no pricing rule is in force at {request.at.isoformat()}")
        verdict = self._verdict(rule, request.category, request.window, request.open_conversations)
        return _Assessment(period, rule, destination, verdict)

    def _verdict(
        self, rule: PricingRule, category: str, window: Window, open_conversations: Set[str]
    ) -> Verdict:
        key = (rule, category, window, frozenset(open_conversations))
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = decide(rule, category, window, open_conversations)
        return verdict

    def _free(
        self, request: PriceRequest, assessment: _Assessment, pricing_type: str, note: str
    ) -> PriceDecision:
        return PriceDecision(
            assessment.destination.market,
            assessment.destination.country,
            assessment.rule.model,
            request.category,
            False,
            pricing_type,
            0,
            0,
            0,
            0,
            request.currency,
            f"{assessment.rule.name}: {note}",
            assessment.verdict.opens_conversation,
        )

    def _rate(self, request: PriceRequest, assessment: _Assessment) -> _Rate:
        period = assessment.period
        card = period.cards.get(request.currency)
        if card is None:
            gap = period.gaps.get(request.currency, f"no {request.currency} rate card is loaded")
            raise NoRateInForce(f"{gap} at {request.at.isoformat()} ({request.time_zone})")
        destination = assessment.destination
        category, intl_note = request.category, ""
        if category == AUTHENTICATION and request.auth_international is not None:
            category, intl_note = _authentication_category(request, card, destination)
        key = (card.name, destination.market, category, assessment.verdict.use_tiers)
        rate = self._rates.get(key)
        if rate is None:
            rate = self._rates[key] = _look_up(card, *key[1:])
        return rate._replace(note=rate.note + intl_note) if intl_note else rate

    def _margin(
        self, request: PriceRequest, rate: _Rate, rate_micros: int, counted: int | None = None
    ) -> tuple[int, str]:
        provider = request.provider
        if provider is None:
            return 0, ""
        count = request.provider_monthly_count if counted is None else counted
        margin = provider.margin(rate_micros, rate.market, rate.category, count)
        return margin.margin_micros, f"; provider: {margin.note}"


def _look_up(card: RateCard, market: str, category: str, use_tiers: bool) -> _Rate:
    """The schedule on `card` for (market, category): its tier table if asked and listed."""
    if market not in card.rates:
        raise NoRateInForce(f"the {card.label} has no row for market {market!r}")
    where = f"{card.label}, {market} {category}"
    tiered = card.tiered.get((market, category)) if use_tiers else None
    if tiered is not None:
        return _Rate(card, market, category, tiered, True, where)
    schedule = card.flat.get((market, category))
    if schedule is None:
        raise NoRateInForce(f"the {card.label} lists no {category} rate (n/a) for {market}")
    if use_tiers:
        where += " (no tier table: the list rate applies to all volumes)"
    return _Rate(card, market, category, schedule, False, where)


def _authentication_category(
    request: PriceRequest, card: RateCard, destination: Destination
) -> tuple[str, str]:
    """Authentication becomes authentication-international when the business is eligible."""
    eligibility = request.auth_international
    country, home = destination.country, request.business_country
    if eligibility is None or request.at < eligibility.start or country is None or home is None:
        return AUTHENTICATION, ""
    if country == home.upper():
        return AUTHENTICATION, ""
    if country in eligibility.exception_countries:
        return AUTHENTICATION, f" ({country} is an exception country)"
    rates = card.rates.get(destination.market)
    if rates is None or rates[AUTHENTICATION_INTERNATIONAL] is None:
        return AUTHENTICATION, " (no authentication-international rate for this market)"
    note = f" (international: business in {home.upper()}, recipient in {country})"
    return AUTHENTICATION_INTERNATIONAL, note

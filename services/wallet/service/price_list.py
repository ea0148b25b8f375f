"""What an account pays per message: its own prices over the rate card in force.

Customer-facing: every figure is the account's price in its currency. Meta's cost and the
provider's margin stay inside the wallet.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pricing
from pricing.ratecards import SERVICE
from services.common import validation
from services.common.categories import CATEGORY_ENUMS
from services.common.clock import Clock, SystemClock
from services.common.errors import FailedPrecondition, InvalidArgument
from services.wallet.service.accounts import Accounts, require_account
from services.wallet.service.commands.send import (
    CategoryPrice,
    MarketPrices,
    PriceListAnswer,
    PriceListQuery,
    PriceQuote,
    QuotePrice,
)
from services.wallet.service.quotes import category_name, provider_pricing

MAX_MARKET_FILTER_LENGTH = 100
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class PriceList:
    def __init__(
        self,
        accounts: Accounts,
        engine: pricing.PricingEngine,
        clock: Clock | None = None,
    ) -> None:
        self._accounts = accounts
        self._engine = engine
        self._catalog = engine.catalog
        self._clock = clock or SystemClock()

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._clock.now_ms() / 1000, dt.UTC)

    def prices(self, query: PriceListQuery) -> PriceListAnswer:
        view = require_account(self._accounts, query.account_id)
        market_filter = validation.text(
            query.market, "market", max_length=MAX_MARKET_FILTER_LENGTH
        ).casefold()
        zone = ZoneInfo(view.time_zone)
        if query.as_of_date:
            day = validation.date(query.as_of_date, "as_of_date")
        else:
            day = self._now().astimezone(zone).date()
        at = dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone)
        period = self._catalog.period_at(at, view.time_zone)
        card = period.cards.get(view.currency)
        if card is None or period.rule is None:
            reason = period.gaps.get(view.currency, f"no {view.currency} rate card is in force")
            raise FailedPrecondition(reason, "as_of_date")
        provider = provider_pricing(view)
        included = view.terms.included_messages_per_month
        markets = []
        for market in sorted(card.rates):
            if market_filter and market_filter not in market.casefold():
                continue
            prices = []
            for category, rate_micros in card.rates[market].items():
                if rate_micros is None:
                    continue
                margin = provider.margin(rate_micros, market, category, included).margin_micros
                prices.append(CategoryPrice(category, rate_micros + margin))
            markets.append(MarketPrices(market, prices))
        return PriceListAnswer(
            currency=view.currency,
            effective_date=card.effective.isoformat(),
            pricing_model=period.rule.model,
            markets=markets,
            as_of_date=day.isoformat(),
        )

    def quote(self, query: QuotePrice) -> PriceQuote:
        view = require_account(self._accounts, query.account_id)
        is_template = query.category != CATEGORY_ENUMS[SERVICE]
        category = category_name(query.category, is_template, "category")
        if not query.recipient:
            raise InvalidArgument("recipient", "is required")
        at = _datetime(*query.send_time) if query.send_time is not None else None
        at = at or self._now()
        period = self._catalog.period_at(at, view.time_zone)
        rule = period.rule
        try:
            decision = self._engine.price(
                pricing.PriceRequest(
                    at=at,
                    recipient=query.recipient,
                    category=category,
                    currency=view.currency,
                    time_zone=view.time_zone,
                    monthly_count=rule.free_service_conversations_per_month if rule else 0,
                    business_country=view.business_country or None,
                    provider=provider_pricing(view),
                    provider_monthly_count=view.terms.included_messages_per_month,
                )
            )
        except pricing.InvalidNumber as error:
            raise InvalidArgument("recipient", str(error)) from None
        except pricing.NoRateInForce as error:
            raise FailedPrecondition(str(error), "send_time") from None
        except pricing.PricingError as error:
            raise InvalidArgument("recipient", str(error)) from None
        card = period.cards.get(view.currency)
        return PriceQuote(
            market=decision.market,
            category=decision.category,
            currency=view.currency,
            price_micros=decision.price_micros,
            billable=decision.billable,
            pricing_model=decision.pricing_model,
            effective_date=card.effective.isoformat() if card else "",
        )


def _datetime(seconds: int, nanos: int) -> dt.datetime:
    """A Timestamp's (seconds, nanos) as an aware UTC datetime, to the microsecond."""
    return EPOCH + dt.timedelta(seconds=seconds, microseconds=int(nanos / 1000))
